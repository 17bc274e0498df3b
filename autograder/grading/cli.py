"""python -m autograder grade ASSIGNMENT: autograde every submission of a class in parallel.

Workers (a local pool, or a Dask cluster with --scheduler) each run plain `nbgrader autograde`
on one submission, in a box (autograder/grading/sandbox.py), on a scratch copy of the course.
This process alone writes the gradebook: it replays each worker's executed notebook through
nbgrader's own autograde pipeline, then runs generate_feedback and export. See
autograder/GRADING.md.
"""

import argparse
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor, as_completed
from functools import partial
from pathlib import Path

from . import gradebook, sandbox
from .jobs import find_jobs, submission_unchanged
from .progress import Progress, table
from .state import State
from .status import PROBLEMS, Result, Status
from .worker import grade


def parse(argv):
    parser = argparse.ArgumentParser(prog="python -m autograder", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    g = sub.add_parser("grade", help="autograde every collected submission of an assignment")
    g.add_argument("assignment")
    g.add_argument("--workers", type=int, default=2, help="parallel submissions (default 2)")
    g.add_argument("--engine", choices=["local", "dask"], default=None,
                   help="local: a pool on this machine (the default); dask: a Dask LocalCluster, "
                        "or the cluster of --scheduler (the default when --scheduler is given)")
    g.add_argument("--scheduler", help="address of a running Dask scheduler (tcp://host:8786)")
    g.add_argument("--timeout", type=float, default=900, help="seconds for a whole notebook (default 900)")
    g.add_argument("--memory", type=float, default=6, help="GB of address space per process (default 6)")
    g.add_argument("--disk", type=float, default=2, help="GB of scratch space per submission (default 2)")
    g.add_argument("--processes", type=int, default=512,
                   help="processes and threads per submission (default 512)")
    g.add_argument("--course", default=".", help="the course folder (default: here)")
    g.add_argument("--allow-network", action="store_true", help="let student code reach the network")
    g.add_argument("--unsafe-no-sandbox", action="store_true",
                   help="run student code with your own rights, outside the box (only where the "
                        "box cannot be built, and only for code you trust)")
    g.add_argument("--no-feedback", action="store_true", help="skip generate_feedback and export")
    g.add_argument("--no-report", action="store_true",
                   help="skip the class report (reports/ASSIGNMENT.html, as `python -m autograder report` writes it)")
    return parser.parse_args(argv)


def _executor(args):
    """(submit, as_completed, close) for the chosen engine."""
    engine = args.engine or ("dask" if args.scheduler else "local")
    if engine == "local":
        pool = ThreadPoolExecutor(max_workers=args.workers)
        return pool.submit, as_completed, pool.shutdown
    import logging

    from distributed import Client, LocalCluster
    from distributed import as_completed as dask_completed
    logging.getLogger("distributed").setLevel(logging.ERROR)
    if args.scheduler:
        client, cluster = Client(args.scheduler), None
    else:
        cluster = LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True,
                               dashboard_address=None, silence_logs=logging.ERROR)
        client = Client(cluster)

    def close():
        client.close()
        if cluster:
            cluster.close()
    return (lambda fn, job: client.submit(fn, job, pure=False, key=f"grade-{job.student}")), dask_completed, close


def _nbgrader(course, *args):
    """Run an nbgrader command in the course; return an error text, or None when it worked."""
    bin_dir = str(Path(sys.executable).parent)
    env = dict(os.environ, PATH=bin_dir + os.pathsep + os.environ.get("PATH", ""))
    result = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course, env=env,
                            capture_output=True, text=True)
    if result.returncode == 0:
        return None
    return f"nbgrader {' '.join(args)} failed (exit {result.returncode}): {(result.stdout + result.stderr)[-800:]}"


def _run_workers(args, to_run, state, sandboxed):
    submit, completed, close = _executor(args)
    progress = Progress(len(to_run))
    work = partial(grade, sandboxed=sandboxed)
    try:
        futures = {submit(work, job): job for job in to_run}
        for future in completed(futures):
            job = futures[future]
            try:
                result = future.result()
            except Exception as error:  # noqa: BLE001 (a worker that died: record it, keep going)
                result = Result(job.student, Status.FAILED, f"worker error: {error}")
            gradebook.store(state, job, result)
            progress.update(result.status)
    finally:
        close()


def _class_report(course, assignment):
    """Write the class report (autograder/report); return an error text, or None when it worked."""
    from ..report.cli import main as report_main
    try:
        code = report_main(["report", assignment, "--course", str(course)])
    except Exception as error:  # noqa: BLE001 (the grades are recorded: say so, don't lose them)
        return f"the class report failed: {type(error).__name__}: {error}"
    return None if code == 0 else f"the class report failed (exit {code}); the message is above"


def _refuse(course, args):
    """The reason not to grade, or None."""
    if not (course / "gradebook.db").exists():
        return f"no gradebook in {course}: run `nbgrader generate_assignment {args.assignment}` first"
    if args.unsafe_no_sandbox or args.scheduler:
        return None  # a cluster's workers check their own machine and report per submission
    why = sandbox.problem(course)
    if why:
        return (f"cannot grade safely on this machine: {why}. Student code would run with your "
                "rights and could delete the gradebook or other students' work. Fix that, or pass "
                "--unsafe-no-sandbox for code you trust.")
    return None


def grade_class(args):
    course = Path(args.course).resolve()
    refusal = _refuse(course, args)
    if refusal:
        print(f"error: {refusal}", file=sys.stderr)
        return 2
    limits = sandbox.Limits(seconds=args.timeout, memory_gb=args.memory, disk_gb=args.disk,
                            processes=args.processes, network=args.allow_network)
    jobs = find_jobs(course, args.assignment, limits, args.workers)
    if not jobs:
        print(f"no submissions in {course / 'submitted'}/*/{args.assignment}", file=sys.stderr)
        return 1
    state = State(course, args.assignment)
    recorded = gradebook.recorded_ids(course, args.assignment)
    todo = [job for job in jobs if not state.is_done(job, recorded)]
    # finished in an earlier run but not in this gradebook (an interrupted run, a new gradebook)
    pending = [job for job in todo if state.has_result(job)]
    to_run = [job for job in todo if job not in pending]
    sandboxed = not args.unsafe_no_sandbox
    engine = args.engine or ("dask" if args.scheduler else "local")
    print(f"{args.assignment}: {len(jobs)} submissions, {len(jobs) - len(todo)} unchanged, "
          f"{len(pending)} to record, {len(to_run)} to grade with {args.workers} workers ({engine})",
          file=sys.stderr)
    if not sandboxed:
        print("warning: --unsafe-no-sandbox: student code runs with your rights", file=sys.stderr)
    if to_run:
        _run_workers(args, to_run, state, sandboxed)
    failures = gradebook.record(course, args.assignment, [job.student for job in todo], state)
    problems = [f"{student}: not recorded: {why}" for student, why in failures.items()]
    problems += [f"{job.student}: {state.get(job.student).status}: {state.get(job.student).detail}"
                 for job in todo if state.get(job.student).status in PROBLEMS and job.student not in failures]
    problems += [f"{job.student}: the submitted files changed or vanished during the run; grade again"
                 for job in todo if not submission_unchanged(course, job)]
    if todo and not args.no_feedback:
        problems += [error for error in (_nbgrader(course, "generate_feedback", args.assignment, "--force"),
                                         _nbgrader(course, "export")) if error]
    report = course / "reports" / f"{args.assignment}.html"
    if not args.no_report and (todo or not report.exists()):
        problems += [error for error in (_class_report(course, args.assignment),) if error]
    if problems:  # on top of the table, so nobody reads the table as complete
        print(f"{len(problems)} PROBLEM(S): these grades are not complete")
        for line in problems:
            print(f"  - {line}")
        print()
    print(_report(course, args.assignment, jobs, todo, state))
    print(f"feedback: {course / 'feedback'}   grades: {course / 'grades.csv'}", file=sys.stderr)
    return 1 if problems else 0


def _report(course, assignment, jobs, todo, state):
    scores = gradebook.scores(course, assignment)
    rows = []
    for job in jobs:
        entry = state.get(job.student)
        status = entry.status if entry else Status.FAILED
        score = scores.get(job.student, (None, None))
        if status not in PROBLEMS and (entry is None or entry.recorded_as is None):
            status = Status.NOT_RECORDED  # 'graded' only when the gradebook holds the score
        note = entry.detail if entry else ""
        if job not in todo:
            note = "unchanged, not run again" + (f"; {note}" if note else "")
        rows.append((job.student, str(status), *score, note))
    return table(rows)


def main(argv=None):
    args = parse(argv)
    return grade_class(args)
