"""`python -m autograder grade ASSIGNMENT`: the command line of the class grader.

It only parses the options, calls the library (autograder/grading/batch.py: grade_batch) and
prints what it returns; see autograder/GRADING.md.
"""

import sys
from pathlib import Path

from . import sandbox
from .batch import Options, grade_batch
from .coursedir import Course

DEFAULTS = sandbox.Limits()   # the one set of defaults: the box's


def add_arguments(g):
    g.add_argument("assignment")
    g.add_argument("--workers", type=int, default=2, help="parallel submissions (default 2)")
    g.add_argument("--engine", choices=["local", "dask"], default=None,
                   help="local: a pool on this machine (the default); dask: a Dask LocalCluster, "
                        "or the cluster of --scheduler (the default when --scheduler is given)")
    g.add_argument("--scheduler", help="address of a running Dask scheduler (tcp://host:8786)")
    g.add_argument("--student", action="append", default=[], metavar="ID",
                   help="grade this student again whatever the state says (repeatable); the others "
                        "are graded only if they changed")
    g.add_argument("--force", action="store_true", help="grade the whole class again")
    g.add_argument("--timeout", type=float, default=DEFAULTS.seconds,
                   help=f"seconds for a whole notebook (default {DEFAULTS.seconds:g})")
    g.add_argument("--memory", type=float, default=DEFAULTS.memory_gb,
                   help=f"GB of address space per process (default {DEFAULTS.memory_gb:g})")
    g.add_argument("--disk", type=float, default=DEFAULTS.disk_gb,
                   help=f"GB of scratch space per submission (default {DEFAULTS.disk_gb:g})")
    g.add_argument("--processes", type=int, default=DEFAULTS.processes,
                   help=f"processes and threads per submission (default {DEFAULTS.processes})")
    g.add_argument("--course", default=".", help="the course folder (default: here)")
    g.add_argument("--allow-network", action="store_true", help="let student code reach the network")
    g.add_argument("--unsafe-no-sandbox", action="store_true",
                   help="run student code with your own rights, outside the box (only where the "
                        "box cannot be built, and only for code you trust)")
    g.add_argument("--no-feedback", action="store_true", help="skip feedback and export")
    g.add_argument("--no-report", action="store_true",
                   help="skip the class report (reports/ASSIGNMENT.html, as `python -m autograder report` writes it)")


def options_from(args):
    limits = sandbox.Limits(seconds=args.timeout, memory_gb=args.memory, disk_gb=args.disk,
                            processes=args.processes, network=args.allow_network)
    return Options(args.assignment, Path(args.course), args.workers, args.engine, args.scheduler, limits,
                   not args.unsafe_no_sandbox, not args.no_feedback, not args.no_report,
                   tuple(args.student), args.force)


def run(args):
    """The command line's `grade`: a thin layer over grade_batch."""
    batch = grade_batch(options_from(args))
    if batch.refusal:
        print(f"error: {batch.refusal}", file=sys.stderr)
        return batch.exit_code
    if not batch.rows:
        print("\n".join(batch.problems), file=sys.stderr)
        return batch.exit_code
    if batch.problems:  # on top of the table, so nobody reads the table as complete
        print(f"{len(batch.problems)} PROBLEM(S): these grades are not complete")
        for line in batch.problems:
            print(f"  - {line}")
        print()
    print(batch.table())
    paths = Course(batch.course)
    print(f"feedback: {paths.feedback_root}   grades: {paths.grades_csv}"
          + (f"   report: {batch.report}" if batch.report else ""), file=sys.stderr)
    return batch.exit_code
