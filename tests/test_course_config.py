"""What the course's nbgrader_config.py asks of nbgrader's own copying and output handling: the
grader's folders stay out of the feedback, and a progress bar is kept as one line per epoch, in
the graded notebook (where LimitOutput then keeps every epoch) and in the feedback."""

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook, new_output
from traitlets.config.loader import PyFileConfigLoader

from autograder.paths import ROOT
from autograder.recheck import RECHECK_FOLDER
from fashion_mnist_student.probes import FOLDER as PROBE_FOLDER


@pytest.fixture(scope="module")
def config():
    return PyFileConfigLoader("nbgrader_config.py", path=str(ROOT)).load_config()


def test_the_grader_folders_are_named_as_the_code_names_them(config):
    assert {PROBE_FOLDER, RECHECK_FOLDER} <= set(config.CourseDirectory.ignore)
    # nbgrader's own four stay ignored too
    assert {".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback"} <= set(config.CourseDirectory.ignore)


def test_feedback_gets_the_notebooks_files_but_not_the_graders_folders(config, tmp_path):
    """nbgrader's generate_feedback copies every other file of the autograded folder into the
    feedback a student gets: the probes' hand-over (about 4 MB) and the re-check's files are left out."""
    from nbgrader.converters import GenerateFeedback
    from nbgrader.coursedir import CourseDirectory

    graded = tmp_path / "autograded" / "s01" / "a1"
    for name in ("notes.txt", f"{PROBE_FOLDER}/test_build_model_output.npz",
                 f"{PROBE_FOLDER}/test_build_model_output.json", f"{RECHECK_FOLDER}/recheck.json"):
        (graded / name).parent.mkdir(parents=True, exist_ok=True)
        (graded / name).write_text("x")
    config.CourseDirectory.root = str(tmp_path)
    converter = GenerateFeedback(coursedir=CourseDirectory(config=config), config=config)
    converter.init_assignment("a1", "s01")
    feedback = tmp_path / "feedback" / "s01" / "a1"
    assert sorted(p.relative_to(feedback).as_posix() for p in feedback.rglob("*")) == ["notes.txt"]


def _progress(epoch, steps):
    """Keras' progress bar in a kernel: a line per epoch, then one output per redraw."""
    outputs = [new_output("stream", name="stdout", text=f"Epoch {epoch}/2\n")]
    width = 0
    for step in range(1, steps + 1):
        bar = f"{step}/{steps} ━━━ - loss: {1 / step:.4f}"
        outputs.append(new_output("stream", name="stdout",
                                  text="\b" * width + "\r" + bar + ("\n" if step == steps else "")))
        width = len(bar)
    return outputs


def test_a_progress_bar_is_kept_as_one_line_per_epoch(config):
    """The graded notebook (and so the feedback page) keeps what a notebook front end shows: the
    last redraw of each epoch, not each of the hundreds of redraws as an output of its own."""
    from nbconvert.preprocessors import CoalesceStreamsPreprocessor

    listed = list(config.Autograde.autograde_preprocessors)
    coalesce = "nbconvert.preprocessors.CoalesceStreamsPreprocessor"
    assert listed.index(coalesce) == listed.index("autograder.preprocessors.GradingExecute") + 1
    error = new_output("error", ename="ValueError", evalue="after the training", traceback=[])
    cell = new_code_cell("history = train_model(model, train_images, train_labels, epochs=2)",
                         outputs=[*_progress(1, 30), *_progress(2, 30), error])
    nb, _ = CoalesceStreamsPreprocessor(config=config)(new_notebook(cells=[cell]), {})
    outputs = nb.cells[0].outputs
    assert [o.output_type for o in outputs] == ["stream", "error"]
    assert outputs[0].text == "Epoch 1/2\n30/30 ━━━ - loss: 0.0333\nEpoch 2/2\n30/30 ━━━ - loss: 0.0333\n"
    nbformat.validate(nb)


def _listed(names, config):
    from traitlets.utils.importstring import import_item
    return [import_item(name)(config=config) for name in names]


def _training_cell(epochs, redraws):
    outputs = []
    for epoch in range(1, epochs + 1):
        cell = _progress(epoch, redraws)
        cell[0].text = f"Epoch {epoch}/{epochs}\n"
        outputs.extend(cell)
    return new_code_cell("history = train_model(model, train_images, train_labels)", outputs=outputs)


def _after_execute(listed, config, cell):
    """The notebook through what the configured autograde runs after GradingExecute, up to and
    including nbgrader's LimitOutput."""
    nb, resources = new_notebook(cells=[cell]), {}
    for preprocessor in _listed(listed[listed.index("autograder.preprocessors.GradingExecute") + 1:
                                       listed.index("nbgrader.preprocessors.LimitOutput") + 1], config):
        nb, resources = preprocessor(nb, resources)
    return nb.cells[0].outputs[0].text


def test_a_long_training_keeps_its_last_epoch(config):
    """nbgrader's LimitOutput keeps 1,000 lines of a cell's output and counts each output as at
    least one: with ~60 redraws an epoch it cut a training of 20 epochs short. Merged first, each
    epoch is two lines."""
    listed = list(config.Autograde.autograde_preprocessors)
    text = _after_execute(listed, config, _training_cell(20, 60))
    assert text.endswith("Epoch 20/20\n60/60 ━━━ - loss: 0.0167\n")
    assert "truncated" not in text
    # without the merge, the same training loses its last epochs
    listed.remove("nbconvert.preprocessors.CoalesceStreamsPreprocessor")
    assert "Epoch 20/20" not in _after_execute(listed, config, _training_cell(20, 60))


def test_feedback_merges_the_redraws_of_a_notebook_graded_before(config):
    """A notebook autograded before the merge was configured keeps its redraws as outputs of their
    own; its feedback page shows one line an epoch all the same."""
    listed = list(config.GenerateFeedback.preprocessors)
    assert "nbconvert.preprocessors.CoalesceStreamsPreprocessor" in listed
    nb, resources = new_notebook(cells=[_training_cell(3, 60)]), {}
    for preprocessor in _listed([name for name in listed if "GetGrades" not in name], config):
        nb, resources = preprocessor(nb, resources)
    assert len(nb.cells[0].outputs) == 1
    assert nb.cells[0].outputs[0].text.count("\n") == 6
