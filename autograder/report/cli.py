"""`python -m autograder report ASSIGNMENT` and `lms ASSIGNMENT --roster roster.csv` (see autograder/GRADING.md):
the command line over autograder/report/publish.py (parse, call, print).

Exit codes: 0 done; 1 done, but some students were missing (lms, without --allow-missing);
2 bad input, nothing written.
"""

import argparse
import sys
from pathlib import Path

from . import lms
from .publish import LmsRequest, ReportError, export_grades, write_report
from .similarity import DEFAULT_THRESHOLD


def _similarity(text):
    if text == "off":
        return None
    value = float(text)
    if not 0 < value <= 1:
        raise argparse.ArgumentTypeError("give a share between 0 and 1, or off")
    return value


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


def report(args):
    try:
        path = write_report(args.course, args.assignment, args.lang, args.out, args.similarity)
    except ReportError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"report: {path}", file=sys.stderr)
    return 0


def export(args):
    request = LmsRequest(args.assignment, Path(args.roster), Path(args.course),
                         Path(args.canvas) if args.canvas else None, Path(args.moodle) if args.moodle else None,
                         args.moodle_id, args.missing_as_zero)
    try:
        result = export_grades(request)
    except lms.RosterError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    for name, path in result.written.items():
        print(f"{name}: {path}", file=sys.stderr)
    if result.not_in_roster:
        print(f"warning: graded but not in the roster, so not exported: {', '.join(result.not_in_roster)}",
              file=sys.stderr)
    if result.without_submission:
        given = "0" if args.missing_as_zero else "an empty grade"
        print(f"warning: in the roster without a submission, given {given}: {', '.join(result.without_submission)}",
              file=sys.stderr)
    return 1 if result.missing and not args.allow_missing else 0
