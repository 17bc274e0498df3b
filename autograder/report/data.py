"""Everything the report shows, loaded once into typed records.

Scores come from the gradebook (nbgrader's API), failure messages and model accuracy from the
autograded notebooks, run health from the run state in .grading/. Nothing here writes.
"""

import json
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from fashion_mnist_student.cells import ACCURACY_ID, BY_ID

from ..grading.state import State
from ..grading.status import Status
from ..notebook_run import notebook_language
from ..grading.gradebook import course_config, gradebook
from .messages_key import message_key

from ..paths import CALIBRATION  # noqa: E402 (one place for paths: autograder/paths.py)
ACCURACY_CELL = ACCURACY_ID   # the grade cells' one table: fashion_mnist_student.cells


@dataclass(frozen=True)
class TestCell:
    grade_id: str
    part: str          # the function it tests, e.g. preprocess_images
    max_score: float


@dataclass
class CellResult:
    score: float
    max_score: float
    message: str | None = None   # what the failed check said (error evalue), if it said anything
    key: str | None = None       # its MESSAGES key, when the text came from a template

    @property
    def passed(self):
        return self.score >= self.max_score


@dataclass
class Student:
    student: str
    score: float | None = None          # None: not in the gradebook
    max_score: float | None = None
    cells: dict[str, CellResult] = field(default_factory=dict)
    status: Status | None = None        # None: no run state for this student
    detail: str = ""
    seconds: float | None = None
    peak_memory_mb: float | None = None
    accuracy: float | None = None
    feedback: Path | None = None        # the feedback page, when it exists
    recheck: dict | None = None         # a near miss trained again (autograder/recheck.py)
    forbidden: dict[str, str] = field(default_factory=dict)  # grade id: what the static check found


@dataclass
class ClassData:
    course: Path
    assignment: str
    notebook: str
    lang: str
    threshold: float
    cells: list[TestCell]
    students: list[Student]

    @property
    def graded(self):
        """Students with a score in the gradebook."""
        return [s for s in self.students if s.score is not None]


def part_of(grade_id, parts):
    """test_preprocess_images_shape -> preprocess_images: the notebook's cells from the grade cells'
    table; another course's, the longest solution-cell name it starts with, otherwise the name
    without its last word (test_accuracy_threshold -> accuracy)."""
    if grade_id in BY_ID:  # the notebook's own cells: the table says
        return BY_ID[grade_id].part
    name = grade_id.removeprefix("test_")
    matches = [p for p in parts if name == p or name.startswith(p + "_")]
    if matches:
        return max(matches, key=len)
    return name.rsplit("_", 1)[0] if "_" in name else name


def threshold():
    return float(json.loads(CALIBRATION.read_text())["threshold"])


def _failure(cell):
    """The text a failed grade cell left: the error's message, else a stream note (cell timeouts)."""
    errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
    streams = [o.get("text", "") for o in cell.get("outputs", []) if o.get("output_type") == "stream"]
    for text in [e.get("evalue", "") for e in errors] + streams:
        if message_key(text):
            return text.strip(), message_key(text)
    if errors:
        e = errors[-1]
        return (f"{e.get('ename', '')}: {e.get('evalue', '')}".strip(": ")), None
    return None, None


def _autograded(course, assignment, student, notebook):
    path = Path(course) / "autograded" / student / assignment / f"{notebook}.ipynb"
    return nbformat.read(path, as_version=4) if path.exists() else None


def _read_notebook_results(nb):
    """{grade_id: (message, key)} for every grade cell, the accuracy the grader wrote, its
    borderline re-check (or None) and {grade_id: what the static check found} (JudgeProbes)."""
    failures, accuracy, recheck, forbidden = {}, None, None, {}
    for cell in nb.cells:
        meta = cell.get("metadata", {})
        grade_id = meta.get("nbgrader", {}).get("grade_id")
        if not grade_id or not meta.get("nbgrader", {}).get("grade"):
            continue
        failures[grade_id] = _failure(cell)
        found = meta.get("autograder", {}).get("forbidden")
        if isinstance(found, str):  # autograder.judges.static: code that reached for the course
            forbidden[grade_id] = found[:80]
        if grade_id == ACCURACY_CELL:
            value = meta.get("autograder", {}).get("accuracy")
            accuracy = float(value) if isinstance(value, (int, float)) else None
            found = meta.get("autograder", {}).get("recheck")
            recheck = found if isinstance(found, dict) and isinstance(found.get("accuracies"), list) else None
    return failures, accuracy, recheck, forbidden


def _language(course, assignment, notebook):
    for folder in ("autograded", "submitted"):
        for path in sorted((Path(course) / folder).glob(f"*/{assignment}/{notebook}.ipynb")):
            try:
                return notebook_language(nbformat.read(path, as_version=4))
            except Exception:  # noqa: BLE001 (a bad file, refused by the grader: try the next)
                continue
    source = Path(course) / "solutions" / assignment / f"{notebook}.ipynb"
    return notebook_language(nbformat.read(source, as_version=4)) if source.exists() else "en"


def _cell_order(course, assignment, notebook):
    """grade_id -> position in the source notebook (the gradebook keeps no order)."""
    source = course_config(course).CourseDirectory.get("source_directory", "source")
    path = Path(course) / source / assignment / f"{notebook}.ipynb"
    if not path.exists():
        return {}
    ids = [c.metadata.get("nbgrader", {}).get("grade_id") for c in nbformat.read(path, as_version=4).cells]
    return {grade_id: i for i, grade_id in enumerate(ids) if grade_id}


def load(course, assignment):
    course = Path(course).resolve()
    if not (course / "gradebook.db").exists():
        raise FileNotFoundError(f"no gradebook in {course}: run `python -m autograder grade {assignment}` first")
    with warnings.catch_warnings(), gradebook(course) as gb:
        warnings.simplefilter("ignore")   # SQLAlchemy notices from inside nbgrader
        record = gb.find_assignment(assignment)
        nb = record.notebooks[0]           # the course has one notebook per assignment
        notebook = nb.name
        parts = [c.name for c in nb.solution_cells]
        cells = [TestCell(c.name, part_of(c.name, parts), float(c.max_score or 0)) for c in nb.grade_cells]
        students = {}
        for submission in gb.assignment_submissions(assignment):
            grades = submission.notebooks[0].grades if submission.notebooks else []
            students[submission.student_id] = Student(
                submission.student_id, float(submission.score), float(submission.max_score),
                {g.name: CellResult(float(g.score), float(g.max_score)) for g in grades})
    order = _cell_order(course, assignment, notebook)
    cells.sort(key=lambda c: (order.get(c.grade_id, len(order)), c.grade_id))
    for name, entry in State(course, assignment).entries.items():
        student = students.setdefault(name, Student(name))
        student.status, student.detail = entry.status, entry.detail
        student.seconds, student.peak_memory_mb = entry.seconds, entry.peak_memory_mb
    for student in students.values():
        autograded = _autograded(course, assignment, student.student, notebook)
        if autograded is not None:
            failures, student.accuracy, student.recheck, student.forbidden = _read_notebook_results(autograded)
            for grade_id, result in student.cells.items():
                if not result.passed:
                    result.message, result.key = failures.get(grade_id, (None, None))
        page = course / "feedback" / student.student / assignment / f"{notebook}.html"
        student.feedback = page if page.exists() else None
    return ClassData(course, assignment, notebook, _language(course, assignment, notebook), threshold(),
                     cells, sorted(students.values(), key=lambda s: s.student))
