"""What a class's grades turn into, as a library: the class report (one HTML page) and the grade
imports of Canvas and Moodle. The `report` and `lms` verbs (autograder/report/cli.py) and the class
grader (autograder/grading/batch.py) call these; nothing here parses a command line or prints.

Bad input raises ReportError (the report) or lms.RosterError (the export), with a one-line message
for the instructor, and nothing is written.
"""

import warnings
from dataclasses import dataclass, field
from pathlib import Path

from . import lms
from ..grading.coursedir import Course
from ..grading.gradebook import gradebook
from .similarity import DEFAULT_THRESHOLD


class ReportError(Exception):
    """Why the class report cannot be written (bad input; nothing written)."""


def write_report(course, assignment, lang=None, out=None, similarity=DEFAULT_THRESHOLD) -> Path:
    """Write the class report of ``assignment``; return its path. Raises ReportError on bad input.

    ``similarity``: flag pairs sharing at least this share of code; None: no similarity check."""
    from nbgrader.api import MissingEntry

    from .data import load
    from .html import write
    from .similarity import find_similar
    paths = Course(course)
    try:
        data = load(paths.root, assignment)
    except FileNotFoundError as error:
        raise ReportError(str(error)) from None
    except MissingEntry:
        raise ReportError(f"no assignment {assignment} in {paths.gradebook_file}") from None
    pairs = None if similarity is None else find_similar(paths.root, assignment, data.notebook, similarity)
    return write(data, Path(out) if out else paths.report(assignment), lang or data.lang, pairs, similarity)


@dataclass
class LmsRequest:
    """What `lms` is asked to write: the roster, and a CSV path per LMS (None: not that one)."""
    assignment: str
    roster: Path
    course: Path = Path(".")
    canvas: Path | None = None
    moodle: Path | None = None
    moodle_id: str = "email"
    missing_as_zero: bool = False


@dataclass
class LmsResult:
    """What was written, and who is missing on either side."""
    written: dict[str, Path] = field(default_factory=dict)   # {"canvas": path, "moodle": path}
    not_in_roster: list[str] = field(default_factory=list)    # graded, not in the roster: not exported
    without_submission: list[str] = field(default_factory=list)   # in the roster, no grade

    @property
    def missing(self) -> bool:
        return bool(self.not_in_roster or self.without_submission)


def _scores(course, assignment):
    """{student: score} and the assignment's points, from the gradebook."""
    with warnings.catch_warnings(), gradebook(course) as gb:
        warnings.simplefilter("ignore")
        points = float(gb.find_assignment(assignment).max_score)
        return {s.student_id: float(s.score) for s in gb.assignment_submissions(assignment)}, points


def export_grades(request: LmsRequest) -> LmsResult:
    """Write the Canvas and/or Moodle CSV of ``request``. Raises lms.RosterError on bad input
    (no LMS asked for, a bad roster, no gradebook or no such assignment), before writing anything."""
    if not (request.canvas or request.moodle):
        raise lms.RosterError("give --canvas OUT.csv and/or --moodle OUT.csv")
    course = Path(request.course).resolve()
    roster = lms.read_roster(request.roster)
    if request.canvas:
        roster.require_ids(lms.CANVAS_IDS, "Canvas")
    if request.moodle:
        roster.require_ids((request.moodle_id,), "Moodle")
    from nbgrader.api import MissingEntry   # imported once the roster is known to be good (~2 s)
    if not Course(course).gradebook_file.exists():
        raise lms.RosterError(f"no gradebook in {course}: run `python -m autograder grade {request.assignment}` first")
    try:
        scores, points = _scores(course, request.assignment)
    except MissingEntry:
        raise lms.RosterError(f"no assignment {request.assignment} in {Course(course).gradebook_file}") from None
    matched = lms.match(roster.entries, scores, request.missing_as_zero)
    result = LmsResult(not_in_roster=list(matched.not_in_roster), without_submission=list(matched.without_submission))
    if request.canvas:
        lms.write_csv(request.canvas, lms.canvas_rows(matched, request.assignment, points))
        result.written["canvas"] = Path(request.canvas)
    if request.moodle:
        lms.write_csv(request.moodle, lms.moodle_rows(matched, request.assignment, request.moodle_id))
        result.written["moodle"] = Path(request.moodle)
    return result
