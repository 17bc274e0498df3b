"""The assignment under the real nbgrader CLI: generate, autograde, feedback, export, validate.

One scratch course grades every submission in a single `nbgrader autograde` run per language;
each test then reads its own student's result. The solutions train for real, ten epochs on the
60,000 images, and so does the one that does not scale its images (what that training gives is
its test); the others take the reference's trained weights after a short training
(notebooks.trained_elsewhere), which changes none of their grades and saves a minute each.
"""

import csv
import html
import re

import nbformat
import pytest
from fashion_mnist_student.probes import FOLDER as PROBE_FOLDER

from notebooks import (ATTACKS, CRASH_LATE, HONEST, NOTEBOOK, WRONG, failed, make_course, nbgrader, scores,
                       submit, trained_elsewhere, with_cells_replaced)

pytestmark = pytest.mark.slow

ALL_TESTS = None  # filled from the solution's grade cells


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    course = make_course(tmp_path_factory.mktemp("course"))
    solution = {lang: nbformat.read(course / "solutions" / f"fashion_mnist_{lang}" / NOTEBOOK, 4)
                for lang in ("en", "zh")}
    release = {lang: nbformat.read(course / "exercises" / f"fashion_mnist_{lang}" / NOTEBOOK, 4)
               for lang in ("en", "zh")}
    for lang in ("en", "zh"):
        submit(course, "solution", f"fashion_mnist_{lang}", solution[lang])
        submit(course, "release", f"fashion_mnist_{lang}", release[lang])
    for name, (replacements, _) in WRONG.items():
        wrong = with_cells_replaced(solution["en"], replacements)
        submit(course, name, "fashion_mnist_en", wrong if name == "no_scaling" else trained_elsewhere(wrong))

    for name, replacements in {**ATTACKS, "crash_late": CRASH_LATE, "honest": HONEST}.items():
        submit(course, name, "fashion_mnist_en", trained_elsewhere(with_cells_replaced(solution["en"], replacements)))

    tampered = trained_elsewhere(solution["en"])
    for cell in tampered.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "test_accuracy_threshold":
            cell.source = "pass  # the student 'fixed' the failing test"
    tampered.cells = [cell for cell in tampered.cells
                      if cell.metadata.get("nbgrader", {}).get("grade_id") != "test_plot_value_array"]
    submit(course, "tampered", "fashion_mnist_en", tampered)

    for lang in ("en", "zh"):
        nbgrader("autograde", f"fashion_mnist_{lang}", cwd=course)
        nbgrader("generate_feedback", f"fashion_mnist_{lang}", cwd=course)
    nbgrader("export", cwd=course)
    return course, {lang: scores(course, f"fashion_mnist_{lang}") for lang in ("en", "zh")}


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_solution_gets_full_marks(graded, lang):
    cells = graded[1][lang]["solution"]
    assert failed(cells) == set()
    assert sum(score for score, _ in cells.values()) == 24


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_unmodified_release_scores_zero_everywhere(graded, lang):
    cells = graded[1][lang]["release"]
    assert cells and all(score == 0 for score, _ in cells.values()), cells


@pytest.mark.parametrize("name", sorted(WRONG))
def test_wrong_implementation_loses_exactly_its_part(graded, name):
    assert failed(graded[1]["en"][name]) == WRONG[name][1]


@pytest.mark.parametrize("name", sorted(ATTACKS))
def test_reaching_for_the_course_or_turning_the_probes_off_earns_nothing(graded, name):
    """Plain `nbgrader autograde`, where the kernel shares the instructor's environment: the
    one-line imports of the reference and the probes patched away score 0 on all 15 cells."""
    cells = graded[1]["en"][name]
    assert sum(score for score, _ in cells.values()) == 0, cells


def test_honest_code_a_denylist_once_cost_gets_full_marks(graded):
    """import time and "of course" in train_model, import warnings, collections.Counter in
    plot_value_array, import os + TF_CPP_MIN_LOG_LEVEL above build_model (issue #23): 24/24."""
    cells = graded[1]["en"]["honest"]
    assert failed(cells) == set() and sum(score for score, _ in cells.values()) == 24, cells


def test_a_kernel_killed_in_the_last_part_keeps_the_parts_before_it(graded):
    cells = graded[1]["en"]["crash_late"]
    assert failed(cells) == {"test_plot_value_array"}, cells   # 22/24: plot_image still counts
    text = page_text(graded[0] / "feedback" / "crash_late" / "fashion_mnist_en" / NOTEBOOK.replace(".ipynb", ".html"))
    assert "The kernel died while this cell ran" in text


def test_feedback_of_a_cheat_says_why(graded):
    text = page_text(graded[0] / "feedback" / "importer" / "fashion_mnist_en" / NOTEBOOK.replace(".ipynb", ".html"))
    # the box holds no course to import (the static check is only a signal for the class report)
    assert "No module named 'course'" in text and "def compile_model(model):\n    model.compile" not in text


def test_edited_and_deleted_test_cells_are_restored_and_graded(graded):
    cells = graded[1]["en"]["tampered"]
    # nbgrader puts locked grade cells back from the source: the edit and the deletion don't help
    assert "test_accuracy_threshold" in cells and "test_plot_value_array" in cells
    assert failed(cells) == set(), cells


def page_text(path):
    """The feedback page as a reader sees it: syntax-highlighting tags removed."""
    return html.unescape(re.sub(r"<[^>]+>", "", path.read_text(encoding="utf-8")))


def test_feedback_explains_failures_without_hidden_test_source(graded):
    course = graded[0]
    pages = {path.parts[-3]: page_text(path)
             for path in (course / "feedback").glob("*/fashion_mnist_en/*.html")}
    assert {"solution", "release", "no_scaling", *WRONG} <= set(pages)
    for student, text in pages.items():
        assert "checks.quick_preprocess_images_range(preprocess_images" in text, student  # the visible line is shown
        assert "HIDDEN TESTS" not in text, student
        assert not re.search(r"probes\.(preprocess_images_range|hand_over_model|plot_image_label)\(",
                             text), student
    assert "Pixel values must be in [0, 1]; the largest was 255.0" in pages["no_scaling"]
    assert "not written yet" in pages["release"]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_feedback_is_the_page_with_one_progress_line_per_epoch_and_no_grader_folder(graded, lang):
    """The solution trains for real: its feedback shows the last redraw of each of the ten epochs
    (not every redraw), and the probes' hand-over, kept beside the graded notebook, is not copied
    into the student's feedback (nbgrader_config.py, CourseDirectory.ignore)."""
    course, assignment = graded[0], f"fashion_mnist_{lang}"
    feedback = course / "feedback" / "solution" / assignment
    text = page_text(feedback / NOTEBOOK.replace(".ipynb", ".html"))
    assert text.count("/1875") == text.count("1875/1875 ") == 10
    assert (course / "autograded" / "solution" / assignment / PROBE_FOLDER).is_dir()
    assert not (feedback / PROBE_FOLDER).exists()


def test_feedback_check_can_fail(graded):
    """Without the HideHiddenTests preprocessor, the autograded notebook shows the hidden lines."""
    course = graded[0]
    autograded = (course / "autograded" / "no_scaling" / "fashion_mnist_en" / NOTEBOOK).read_text()
    assert "probes.preprocess_images_range(" in autograded


def test_export_lists_every_student(graded):
    course = graded[0]
    with open(course / "grades.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    students = {row["student_id"] for row in rows}
    assert {"solution", "release", *WRONG, "tampered"} <= students
    solution_en = [row for row in rows if row["student_id"] == "solution"
                   and row["assignment"] == "fashion_mnist_en"]
    assert float(solution_en[0]["raw_score"]) == 24


def test_validate_fails_readably_on_the_release(graded):
    course = graded[0]
    result = nbgrader("validate", str(course / "exercises" / "fashion_mnist_en" / NOTEBOOK),
                      cwd=course, check=False)
    output = result.stdout + result.stderr
    assert "VALIDATION FAILED" in output
    assert "not written yet" in output


def test_validate_passes_on_the_solution(graded, tmp_path):
    """The instructor's source notebook (the weights trained elsewhere: the solutions trained for
    real in the fixture)."""
    course = graded[0]
    nb = nbformat.read(course / "solutions" / "fashion_mnist_zh" / NOTEBOOK, 4)
    submit(tmp_path, "instructor", "fashion_mnist_zh", trained_elsewhere(nb))
    path = tmp_path / "submitted" / "instructor" / "fashion_mnist_zh" / NOTEBOOK
    result = nbgrader("validate", str(path), cwd=course)
    assert "Success! Your notebook passes all the tests." in result.stdout
