"""GradingExecute on tiny notebooks with a real (plain Python) kernel: a dead kernel costs only
the cell it died in, the hand-over folder a submission brings is gone before its code runs, and
the probes are told their seed and folder."""

import os

import pytest
from nbformat.v4 import new_code_cell, new_notebook

from autograder.preprocessors import execute
from autograder.preprocessors.execute import KERNEL_DIED, NOT_RUN, GradingExecute

GRADE = {"nbgrader": {"grade": True, "locked": True, "points": 1}}


def _grade(source, grade_id):
    return new_code_cell(source, metadata={"nbgrader": {**GRADE["nbgrader"], "grade_id": grade_id}})


@pytest.fixture(autouse=True)
def _no_training_seed(monkeypatch):
    """The training seed's preamble imports Keras (seconds per kernel); these notebooks train nothing."""
    monkeypatch.setattr(execute, "kernel_preamble", lambda assignment: "")


def _run(nb, tmp_path, **config):
    resources = {"metadata": {"path": str(tmp_path)}, "nbgrader": {"student": "s", "assignment": "a"}}
    executor = GradingExecute(timeout=60, **config)
    executor.preprocess(nb, resources)
    return nb


def _errors(cell):
    return [o.get("ename") for o in cell.outputs if o.get("output_type") == "error"]


def test_a_dead_kernel_costs_only_its_cell(tmp_path):
    nb = new_notebook(cells=[
        new_code_cell('LANG = "en"\nx = 41'),
        new_code_cell("def f():\n    return x + 1"),
        _grade("assert f() == 42", "before"),
        _grade("import os\nos._exit(1)", "crash"),
        _grade("assert f() == 42", "after")])
    _run(nb, tmp_path)
    assert _errors(nb.cells[2]) == []                       # kept its point
    assert _errors(nb.cells[3]) == [KERNEL_DIED]            # lost its own
    assert "cell 4" in nb.cells[3].outputs[-1]["evalue"]
    assert _errors(nb.cells[4]) == []                       # the kernel was restarted, the state rebuilt


def test_a_kernel_that_keeps_dying_stops_after_the_restarts(tmp_path):
    nb = new_notebook(cells=[new_code_cell('LANG = "zh"')]
                      + [_grade("import os\nos._exit(1)", f"crash{i}") for i in range(3)]
                      + [_grade("pass", "last")])
    _run(nb, tmp_path, max_restarts=1)
    assert _errors(nb.cells[1]) == [KERNEL_DIED] and _errors(nb.cells[2]) == [KERNEL_DIED]
    assert _errors(nb.cells[3]) == [NOT_RUN] and _errors(nb.cells[4]) == [NOT_RUN]
    assert "内核" in nb.cells[4].outputs[0]["evalue"]


def test_a_planted_hand_over_is_removed_and_the_probes_are_configured(tmp_path):
    planted = tmp_path / "probe_handover"
    planted.mkdir()
    (planted / "test_accuracy_threshold.npz").write_bytes(b"weights trained elsewhere")
    nb = new_notebook(cells=[
        new_code_cell("import os\nprint(sorted(os.listdir('probe_handover')) if os.path.exists('probe_handover') else 'gone')"),
        new_code_cell("from fashion_mnist_student import probes\nprint(probes._settings['folder'], probes._settings['seed'] > 0)")])
    _run(nb, tmp_path)
    assert nb.cells[0].outputs[0]["text"].strip() == "gone"
    folder, positive = nb.cells[1].outputs[0]["text"].split()
    assert folder == "/tmp/work/probe_handover" and positive == "True"   # in the box's copy


def test_the_kernel_works_in_a_box_and_only_its_grade_cells_hand_overs_come_out(tmp_path):
    """The kernel writes in its copy of the folder; after a grade cell the grader takes that
    cell's two files and nothing else (not a link, not a re-check record the notebook made up)."""
    (tmp_path / "given.txt").write_text("the student's")
    (tmp_path / ".autograder-recheck").mkdir()
    (tmp_path / ".autograder-recheck" / "recheck.json").write_text("planted")
    write = ("import os\nos.makedirs('probe_handover', exist_ok=True)\n"
             "open('probe_handover/{0}.json', 'w').write('{{\"id\": \"{0}\"}}')\n")
    nb = new_notebook(cells=[
        new_code_cell("import os\nprint(os.getcwd(), sorted(os.listdir('.')))\nopen('mine.txt', 'w').write('x')"),
        new_code_cell(write.format("later") + "open('probe_handover/recheck.json', 'w').write('{}')\n"
                      "os.symlink('/etc/hostname', 'probe_handover/linked.json')"),
        _grade(write.format("first"), "first"),
        _grade("pass", "linked"),
        _grade("pass", "later")])
    _run(nb, tmp_path)
    assert nb.cells[0].outputs[0]["text"] == "/tmp/work ['given.txt']\n"
    assert not (tmp_path / "mine.txt").exists() and not (tmp_path / ".autograder-recheck").exists()
    handed = tmp_path / "probe_handover"
    assert sorted(p.name for p in handed.iterdir()) == ["first.json", "later.json"]   # no link, no recheck.json
    assert (handed / "first.json").read_text() == '{"id": "first"}'


def test_without_a_box_grading_refuses_unless_told_the_code_is_trusted(tmp_path, monkeypatch):
    monkeypatch.setattr(execute, "_BOX_PROBLEM", ["bubblewrap (bwrap) is not installed"])
    nb = new_notebook(cells=[new_code_cell("import os\nprint(os.getcwd())")])
    with pytest.raises(execute.BoxUnavailable, match="bwrap.*unsafe_no_box.*AUTOGRADER_UNSAFE_NO_BOX"):
        _run(nb, tmp_path)
    _run(nb, tmp_path, unsafe_no_box=True)
    assert nb.cells[0].outputs[0]["text"].strip() == str(tmp_path)      # nbgrader's own way: the folder itself
    monkeypatch.setenv("AUTOGRADER_UNSAFE_NO_BOX", "1")
    _run(nb, tmp_path)
    assert nb.cells[0].outputs[0]["text"].strip() == str(tmp_path)


def test_without_the_restart_the_cell_after_a_crash_would_fail(tmp_path):
    """The check above can fail: plain nbgrader's Execute stops at the dead kernel."""
    from nbclient.exceptions import DeadKernelError
    from nbgrader.preprocessors import Execute
    nb = new_notebook(cells=[new_code_cell("x = 1"), _grade("import os\nos._exit(1)", "crash"), _grade("x", "after")])
    with pytest.raises(DeadKernelError):
        Execute(timeout=60).preprocess(nb, {"metadata": {"path": str(tmp_path)}})
    assert os.path.isdir(tmp_path)


def test_a_near_miss_is_trained_again_in_a_fresh_box_and_only_the_graders_files_count(tmp_path, monkeypatch):
    """The re-check starts a fresh box after the notebook's ended, rebuilds the state from the
    code cells above the accuracy cell (no grade cell runs again), and the grader pulls exactly
    the weights it asked for into .autograder-recheck/, with its own record: what the notebook
    planted there (in its box, or in the folder before grading) is never read."""
    from autograder import recheck
    monkeypatch.setattr(recheck, "first_accuracy", lambda path: 0.85)
    monkeypatch.setattr(recheck.Band, "from_calibration", classmethod(lambda cls: recheck.Band(0.86, 0.02)))
    monkeypatch.setattr(recheck, "kernel_code", lambda seed, path, lang="en", epochs=10: (
        f"import numpy\nnumpy.savez({str(path)!r}, w0=numpy.array([{seed}, state]))"))
    planted = tmp_path / ".autograder-recheck"
    planted.mkdir()
    (planted / "recheck.json").write_text('{"seeds": [1, 2], "error": null}')
    nb = new_notebook(cells=[
        new_code_cell("state = 7"),
        _grade("import os\nos.makedirs('.autograder-recheck', exist_ok=True)\n"
               "open('.autograder-recheck/recheck_1.npz', 'w').write('forged')\n"
               "state = 99", "test_accuracy_threshold"),
        new_code_cell("import os\nos._exit(1)")])          # the notebook's kernel dies in its last cell
    _run(nb, tmp_path)
    import json

    import numpy as np
    seeds = recheck.recheck_seeds("a")
    assert sorted(p.name for p in planted.iterdir()) == ["recheck.json", "recheck_1.npz", "recheck_2.npz"]
    assert json.loads((planted / "recheck.json").read_text()) == {"seeds": seeds, "error": None}
    for n, seed in enumerate(seeds, 1):
        with np.load(planted / f"recheck_{n}.npz") as data:
            assert data["w0"].tolist() == [seed, 7]   # the grader's seed; the state without the grade cell's 99


def test_outside_the_band_nothing_is_trained_again(tmp_path, monkeypatch):
    from autograder import recheck
    monkeypatch.setattr(recheck, "first_accuracy", lambda path: 0.95)
    monkeypatch.setattr(recheck.Band, "from_calibration", classmethod(lambda cls: recheck.Band(0.86, 0.02)))
    nb = new_notebook(cells=[_grade("pass", "test_accuracy_threshold")])
    _run(nb, tmp_path)
    assert not (tmp_path / ".autograder-recheck").exists()


def test_the_box_gets_a_copy_without_links_or_what_nbgrader_copied_through_one(tmp_path):
    """nbgrader copies a submitted link's target into the autograded folder (a link to the
    gradebook arrives as a copy of it): those names, links, and hand-over folders stay out."""
    submitted, autograded = tmp_path / "submitted", tmp_path / "autograded"
    submitted.mkdir()
    autograded.mkdir()
    (tmp_path / "gradebook.db").write_text("ann@example.org")
    (submitted / "roster.db").symlink_to(tmp_path / "gradebook.db")
    (submitted / "data").mkdir()
    (submitted / "data" / "mine.txt").write_text("mine")
    (autograded / "roster.db").write_text("ann@example.org")          # what nbgrader's copy made of it
    (autograded / "data").mkdir()
    (autograded / "data" / "mine.txt").write_text("mine")
    (autograded / "link.txt").symlink_to(tmp_path / "gradebook.db")
    (autograded / "probe_handover").mkdir()
    (autograded / "probe_handover" / "x.json").write_text("{}")
    assert execute._linked_in(submitted) == {"roster.db"}
    import shutil
    copy = execute.box_copy(autograded, execute._linked_in(submitted))
    unruled = execute.box_copy(autograded)
    try:
        assert sorted(str(p.relative_to(copy)) for p in copy.rglob("*")) == ["data", "data/mine.txt"]
        assert "roster.db" in [p.name for p in unruled.iterdir()]   # without the rule
    finally:
        shutil.rmtree(copy)
        shutil.rmtree(unruled)


def test_a_cell_past_its_time_limit_is_interrupted_in_the_box(tmp_path):
    """The per-cell limit interrupts the boxed kernel (a message on the control channel: a signal
    would stop at bwrap) and grading goes on in the same kernel."""
    nb = new_notebook(cells=[new_code_cell("x = 1"), new_code_cell("import time\ntime.sleep(120)"),
                             _grade("print(x + 1)", "after")])
    resources = {"metadata": {"path": str(tmp_path)}, "nbgrader": {"student": "s", "assignment": "a"}}
    GradingExecute(timeout=3, interrupt_on_timeout=True).preprocess(nb, resources)
    assert "KeyboardInterrupt" in _errors(nb.cells[1])
    assert nb.cells[2].outputs[0]["text"] == "2\n"


def test_the_kernel_is_ended_at_once_after_its_last_cell(tmp_path):
    """Nothing of the kernel is needed after its last cell, so it is not given time to end itself
    (about 1.2 s with TensorFlow loaded): an exit hook of the notebook's never runs. Asked to end
    gracefully, as nbclient does by default, it would."""
    assert GradingExecute().shutdown_kernel == "immediate"
    for mode, ran in (("immediate", False), ("graceful", True)):
        marker = tmp_path / f"exit-hook-{mode}"
        nb = new_notebook(cells=[new_code_cell(
            f"import atexit\natexit.register(lambda: open({str(marker)!r}, 'w').close())")])
        _run(nb, tmp_path, unsafe_no_box=True, shutdown_kernel=mode)
        assert marker.exists() is ran, mode
