"""A small fake graded class for the report tests, built in seconds: no training, no nbgrader run.

The gradebook is written with nbgrader's own API; autograded notebooks carry error outputs with the
checks' real messages (autograder.messages.say); the run state is the JSON the grader keeps.
"""

import contextlib
import copy
import json
import os
import shutil
import warnings
from pathlib import Path

import nbformat

from autograder.messages import say
from report_solutions import STUDENTS, cell_source

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = "fashion_mnist"
ACCURACY_CELL = "test_accuracy_threshold"

# failed cells per student: grade_id -> (message key, values); every other cell gets full points
FAILURES = {
    "alice": {},
    "bob": {"test_compile_model_loss": ("compile_logits", {}),
            "test_accuracy_predictions": ("predictions_shape", {"got": (10000,)}),
            "test_accuracy_threshold": ("acc_low", {"acc": 0.835, "threshold": 0.84})},  # text only
    "carol": {"test_plot_image": ("plot_label", {"want": "Coat 87% (Coat)", "got": "Coat 0.87 (Coat)"}),
              "test_accuracy_predictions": ("predictions_shape", {"got": (32, 10)})},
    "dave": {"test_preprocess_images_range": ("pre_range", {"high": 255, "low": 0}),
             "test_compile_model_loss": ("compile_logits", {}),
             "test_plot_value_array": ("bars_color", {"which": "true", "label": 9, "want": "blue", "got": "red"}),
             "test_accuracy_predictions": ("predictions_shape", {"got": (10,)}),
             "test_accuracy_threshold": ("acc_low", {"acc": 0.62, "threshold": 0.84})},
    "erin": {"test_compile_model_loss": ("compile_loss", {"found": "MeanSquaredError"}),
             "test_accuracy_predictions": ("predictions_shape", {"got": (1, 10)})},
    "frank": {"test_plot_image": ("plot_label", {"want": "Bag 87% (Bag)", "got": "Bag 0.87 (Bag)"}),
              "test_build_model_layers": ("model_layers", {"found": "Flatten -> Dense(64, relu) -> Dense(10)"}),
              "test_accuracy_predictions": ("predictions_shape", {"got": (10000, 1)})},
}
# around the course's threshold, wherever calibration puts it: bob just below (re-checked, not
# passed), erin just above, the others clear of it
THRESHOLD = json.loads((ROOT / "autograder" / "calibration.json").read_text())["threshold"]
ACCURACY = {"alice": round(THRESHOLD + 0.0376, 4), "bob": round(THRESHOLD - 0.005, 4),
            "carol": round(THRESHOLD + 0.031, 4), "dave": 0.62, "erin": round(THRESHOLD + 0.008, 4),
            "frank": round(THRESHOLD + 0.0201, 4)}
RECHECK = {"bob": {"first": ACCURACY["bob"], "threshold": THRESHOLD, "seeds": [1, 2],
                   "accuracies": [round(THRESHOLD - 0.003, 4), round(THRESHOLD - 0.006, 4)], "error": None,
                   "mean": round(THRESHOLD - 0.0045, 5), "passed": False}}
DIED = "henry"        # the kernel died: every grade cell 0 with the grader's NotGraded note
NO_NOTEBOOK = "gina"  # submitted without the notebook: 0 in the gradebook
NOT_RECORDED = "ivan"  # the grader failed: in the run state only
STATE = {
    "alice": ("graded", 61.2, 2210.0), "bob": ("graded", 58.0, 2105.5), "carol": ("graded", 75.4, 2301.0),
    "dave": ("graded", 49.9, 1988.0), "erin": ("graded", 66.0, 2250.0), "frank": ("graded", 171.3, 2420.0),
    DIED: ("kernel died", 12.5, 5120.0), NO_NOTEBOOK: ("missing notebook", None, None),
    NOT_RECORDED: ("failed", 3.0, None),
}


def source_cells(lang):
    nb = nbformat.read(ROOT / "solutions" / f"fashion_mnist_{lang}" / f"{NOTEBOOK}.ipynb", as_version=4)
    grade = [(c.metadata.nbgrader["grade_id"], float(c.metadata.nbgrader.get("points", 0))) for c in nb.cells
             if c.metadata.get("nbgrader", {}).get("grade") and not c.metadata.nbgrader.get("solution")]
    solution = [c.metadata.nbgrader["grade_id"] for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution")]
    return grade, solution


def cell_scores(student, grade_cells):
    if student in (DIED, NO_NOTEBOOK):
        return {g: 0.0 for g, _ in grade_cells}
    return {g: 0.0 if g in FAILURES[student] else points for g, points in grade_cells}


def _submitted(release, student, lang):
    nb = copy.deepcopy(release)
    code = STUDENTS[student]
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if cell.metadata.get("nbgrader", {}).get("solution") and grade_id in code:
            cell.source = cell_source(grade_id, code[grade_id])
    return nb


# the static check's finding in these students' cells (autograder.judges.static)
FORBIDDEN = {"frank": ("test_build_model_output", "test_build_model_layers")}


def _autograded(submitted, student, lang):
    nb = copy.deepcopy(submitted)
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if not meta.get("grade") or meta.get("solution"):
            continue
        grade_id = meta["grade_id"]
        if student == DIED:
            cell.outputs = [nbformat.v4.new_output("error", ename="NotGraded", evalue="kernel died: os._exit(1)",
                                                   traceback=["NotGraded: kernel died: os._exit(1)"])]
        elif grade_id in FAILURES[student]:
            key, values = FAILURES[student][grade_id]
            text = say(key, lang, **values)
            cell.outputs = [nbformat.v4.new_output("error", ename="AssertionError", evalue=text,
                                                   traceback=["Traceback...", f"AssertionError: {text}"])]
        if grade_id in FORBIDDEN.get(student, ()):  # what JudgeProbes writes for a static-check finding
            cell.metadata.setdefault("autograder", {})["forbidden"] = "from course.reference import"
        if grade_id == ACCURACY_CELL and student in ACCURACY:
            cell.metadata["autograder"] = {"accuracy": ACCURACY[student]}
            if student in RECHECK:
                cell.metadata["autograder"]["recheck"] = RECHECK[student]
    return nb


def _alembic_head():
    """What nbgrader.api.get_alembic_version finds, without its `alembic heads` subprocess (~5 s)."""
    import nbgrader.api
    from alembic.config import Config
    from alembic.script import ScriptDirectory
    folder = os.path.dirname(nbgrader.api.__file__)
    config = Config(os.path.join(folder, "alembic.ini"))
    config.set_main_option("script_location", os.path.join(folder, "alembic"))
    return ScriptDirectory.from_config(config).get_current_head()


@contextlib.contextmanager
def _new_gradebook():
    """nbgrader stamps a new gradebook with alembic's head revision: found in-process here."""
    import nbgrader.api
    original = nbgrader.api.get_alembic_version
    nbgrader.api.get_alembic_version = _alembic_head
    try:
        yield
    finally:
        nbgrader.api.get_alembic_version = original


def _gradebook(course, assignments, students):
    """assignments: {name: (grade cells, solution cells)}; one gradebook for all, as in a real course."""
    from nbgrader.api import Gradebook
    with warnings.catch_warnings(), _new_gradebook(), Gradebook(f"sqlite:///{course / 'gradebook.db'}", course_id="fashion-mnist") as gb:
        warnings.simplefilter("ignore")
        for student in students:
            gb.add_student(student)
        for assignment, (grade_cells, solution_cells) in assignments.items():
            gb.add_assignment(assignment)
            gb.add_notebook(NOTEBOOK, assignment)
            for name, points in grade_cells:
                gb.add_grade_cell(name, NOTEBOOK, assignment, max_score=points, cell_type="code")
            for name in solution_cells:
                gb.add_solution_cell(name, NOTEBOOK, assignment)
            for student in students:
                gb.add_submission(assignment, student)
                for name, score in cell_scores(student, grade_cells).items():
                    grade = gb.find_grade(name, NOTEBOOK, assignment, student)
                    grade.auto_score, grade.needs_manual_grade = score, False
        gb.db.commit()


def _assignment_files(course, assignment, lang):
    for folder in ("solutions", "exercises"):
        (course / folder / assignment).mkdir(parents=True)
        shutil.copy(ROOT / folder / assignment / f"{NOTEBOOK}.ipynb", course / folder / assignment)
    release = nbformat.read(course / "exercises" / assignment / f"{NOTEBOOK}.ipynb", as_version=4)
    for student in [*FAILURES, DIED]:
        submitted = _submitted(release, student, lang)
        for folder, nb in (("submitted", submitted), ("autograded", _autograded(submitted, student, lang))):
            path = course / folder / student / assignment / f"{NOTEBOOK}.ipynb"
            path.parent.mkdir(parents=True)
            nbformat.write(nb, path)
        feedback = course / "feedback" / student / assignment / f"{NOTEBOOK}.html"
        feedback.parent.mkdir(parents=True)
        feedback.write_text(f"<html><body>feedback for {student}</body></html>", encoding="utf-8")
    state = {s: {"fingerprint": f"sha256:{s}", "status": status, "detail": "" if status == "graded" else status,
                 "seconds": seconds, "peak_memory_mb": memory, "sandboxed": True,
                 "recorded_as": None if s == NOT_RECORDED else f"id-{s}"}
             for s, (status, seconds, memory) in STATE.items()}
    (course / ".grading").mkdir(exist_ok=True)
    (course / ".grading" / f"{assignment}.json").write_text(json.dumps(state, indent=1))


def make_course(root, langs=("en", "zh")):
    """A graded class with fashion_mnist_LANG for each of ``langs`` in ``root``; returns the folder."""
    course = Path(root)
    shutil.copy(ROOT / "nbgrader_config.py", course / "nbgrader_config.py")
    _gradebook(course, {f"fashion_mnist_{lang}": source_cells(lang) for lang in langs},
               [*FAILURES, DIED, NO_NOTEBOOK])
    for lang in langs:
        _assignment_files(course, f"fashion_mnist_{lang}", lang)
    return course
