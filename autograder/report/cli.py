"""`python -m autograder report ASSIGNMENT` and `lms ASSIGNMENT --roster roster.csv` (see autograder/GRADING.md).

Exit codes: 0 done; 1 done, but some students were missing (lms, without --allow-missing);
2 bad input, nothing written.
"""

import argparse
import sys
import warnings
from pathlib import Path

from . import lms
from ..grading.coursedir import Course
from ..grading.gradebook import gradebook
from .similarity import DEFAULT_THRESHOLD


def _similarity(text):
    if text == "off":
        return None
    value = float(text)
    if not 0 < value <= 1:
        raise argparse.ArgumentTypeError("give a share between 0 and 1, or off")
    return value


class ReportError(Exception):
    """Why the class report cannot be written (bad input; nothing written)."""


def add_report_arguments(r):
    r.add_argument("assignment")
    r.add_argument("--course", default=".", help="the course folder (default: here)")
    r.add_argument("--lang", choices=["en", "zh"], help="report language (default: the notebook's LANG)")
    r.add_argument("--out", help="the HTML file (default: COURSE/reports/ASSIGNMENT.html)")
    r.add_argument("--similarity", type=_similarity, default=DEFAULT_THRESHOLD,
                   help=f"flag pairs sharing at least this share of code (default {DEFAULT_THRESHOLD}); off: skip")


def add_lms_arguments(e):
    e.add_argument("assignment")
    e.add_argument("--roster", required=True, help="CSV: student_id,name,canvas_id,sis_user_id,"
                                                   "sis_login_id,section,email,idnumber")
    e.add_argument("--course", default=".", help="the course folder (default: here)")
    e.add_argument("--canvas", metavar="OUT.csv", help="write Canvas's gradebook import here")
    e.add_argument("--moodle", metavar="OUT.csv", help="write Moodle's grade import here")
    e.add_argument("--moodle-id", choices=sorted(lms.MOODLE_IDS), default="email",
                   help="roster column Moodle matches students on (default email)")
    e.add_argument("--missing-as-zero", action="store_true",
                   help="roster entries without a submission get 0 (default: an empty grade)")
    e.add_argument("--allow-missing", action="store_true",
                   help="exit 0 even when students are missing from the roster or the gradebook")


def write_report(course, assignment, lang=None, out=None, similarity=DEFAULT_THRESHOLD):
    """Write the class report of ``assignment``; return its path. Raises ReportError on bad input."""
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


def report(args):
    try:
        path = write_report(args.course, args.assignment, args.lang, args.out, args.similarity)
    except ReportError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"report: {path}", file=sys.stderr)
    return 0


def _scores(course, assignment):
    """{student: score} and the assignment's points, from the gradebook."""
    with warnings.catch_warnings(), gradebook(course) as gb:
        warnings.simplefilter("ignore")
        points = float(gb.find_assignment(assignment).max_score)
        return {s.student_id: float(s.score) for s in gb.assignment_submissions(assignment)}, points


def export(args):
    course = Path(args.course).resolve()
    if not (args.canvas or args.moodle):
        print("error: give --canvas OUT.csv and/or --moodle OUT.csv", file=sys.stderr)
        return 2
    try:
        roster = lms.read_roster(args.roster)
        if args.canvas:
            roster.require_ids(lms.CANVAS_IDS, "Canvas")
        if args.moodle:
            roster.require_ids((args.moodle_id,), "Moodle")
        from nbgrader.api import MissingEntry   # imported once the roster is known to be good (~2 s)
        if not Course(course).gradebook_file.exists():
            raise lms.RosterError(f"no gradebook in {course}: run `python -m autograder grade {args.assignment}` first")
        try:
            scores, points = _scores(course, args.assignment)
        except MissingEntry:
            raise lms.RosterError(f"no assignment {args.assignment} in {Course(course).gradebook_file}") from None
    except lms.RosterError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    result = lms.match(roster.entries, scores, args.missing_as_zero)
    if args.canvas:
        lms.write_csv(args.canvas, lms.canvas_rows(result, args.assignment, points))
        print(f"canvas: {args.canvas}", file=sys.stderr)
    if args.moodle:
        lms.write_csv(args.moodle, lms.moodle_rows(result, args.assignment, args.moodle_id))
        print(f"moodle: {args.moodle}", file=sys.stderr)
    if result.not_in_roster:
        print(f"warning: graded but not in the roster, so not exported: {', '.join(result.not_in_roster)}",
              file=sys.stderr)
    if result.without_submission:
        given = "0" if args.missing_as_zero else "an empty grade"
        print(f"warning: in the roster without a submission, given {given}: {', '.join(result.without_submission)}",
              file=sys.stderr)
    missing = result.not_in_roster or result.without_submission
    return 1 if missing and not args.allow_missing else 0


def parse(argv):
    from ..__main__ import parse as parse_all
    return parse_all(argv)


def main(argv=None):
    """`report` or `lms` alone (the tests' entry): the same as python -m autograder report|lms ..."""
    from ..__main__ import main as autograder_main
    return autograder_main(sys.argv[1:] if argv is None else list(argv))
