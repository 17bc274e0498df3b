"""python -m autograder grade ASSIGNMENT: autograde every submission of a class in parallel.

Workers (Dask, or a local pool) each run plain `nbgrader autograde` on one submission in a
scratch copy of the course, isolated. This process alone writes the gradebook: it replays each
worker's executed notebook through nbgrader's own autograde pipeline (Execute replaced by
ReplayExecution), then runs generate_feedback and export. See autograder/GRADING.md.
"""

import argparse
import shutil
import subprocess
import sys
import warnings
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

from .jobs import State, find_jobs
from .replay import ReplayExecution
from .report import Progress, table
from .worker import MISSING, grade

DONE_PREPROCESSORS = ["nbgrader.preprocessors.IgnorePattern",
                      "nbconvert.preprocessors.ClearMetadataPreprocessor",
                      "nbgrader.preprocessors.LimitOutput", "nbgrader.preprocessors.SaveAutoGrades",
                      "nbgrader.preprocessors.AssignLatePenalties", "nbgrader.preprocessors.CheckCellMetadata"]


def parse(argv):
    parser = argparse.ArgumentParser(prog="python -m autograder", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    g = sub.add_parser("grade", help="autograde every collected submission of an assignment")
    g.add_argument("assignment")
    g.add_argument("--workers", type=int, default=2, help="parallel submissions (default 2)")
    g.add_argument("--engine", choices=["dask", "local"], default="dask",
                   help="dask: a LocalCluster or --scheduler; local: a thread pool on this machine")
    g.add_argument("--scheduler", help="address of a running Dask scheduler (tcp://host:8786)")
    g.add_argument("--timeout", type=float, default=900, help="seconds for a whole notebook (default 900)")
    g.add_argument("--memory", type=float, default=6, help="GB of memory per submission (default 6)")
    g.add_argument("--course", default=".", help="the course folder (default: here)")
    g.add_argument("--allow-network", action="store_true", help="don't isolate student code from the network")
    g.add_argument("--no-feedback", action="store_true", help="skip generate_feedback and export")
    return parser.parse_args(argv)


def _executor(args):
    """Yield (submit, as_completed, close) for the chosen engine."""
    if args.engine == "local":
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


def _store(state, job, result):
    """Keep the worker's result where ReplayExecution finds it, then record it as not yet imported."""
    folder = state.results_dir / job.student / job.assignment
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    for name, text in result["notebooks"].items():
        (folder / name).write_text(text, encoding="utf-8")
    if not result["notebooks"]:
        (folder / "NOT_RUN.txt").write_text(f"{result['status']}: {result['detail']}", encoding="utf-8")
    state.record(job, result)


def _import_results(course, assignment, students, state):
    """The one gradebook writer: nbgrader's autograde with execution replaced by replay."""
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory
    from sqlalchemy.exc import SAWarning
    config = _course_config(course)
    config.CourseDirectory.root = str(course)
    config.Autograde.autograde_preprocessors = [ReplayExecution, *DONE_PREPROCESSORS]
    config.ReplayExecution.results_dir = str(state.results_dir)
    api = NbGraderAPI(coursedir=CourseDirectory(config=config), config=config)
    with warnings.catch_warnings():
        # SQLAlchemy's autoflush notices from inside nbgrader, for a notebook that did not run
        warnings.simplefilter("ignore", SAWarning)
        for student in students:
            _import_one(api, course, assignment, student, state)


def _import_one(api, course, assignment, student, state):
    if state.data[student]["status"] == MISSING:
        _record_empty_submission(course, assignment, student)
        state.mark_imported(student)
        return
    outcome = api.autograde(assignment, student, force=True, create=True)
    if outcome["success"]:
        state.mark_imported(student)
    else:
        print(f"\ncould not record {student}: {outcome.get('error', '')[-500:]}", file=sys.stderr)


def _course_config(course):
    from traitlets.config.loader import PyFileConfigLoader
    return PyFileConfigLoader("nbgrader_config.py", path=str(course)).load_config()


def _gradebook(course):
    """The course's gradebook, with its course id (without it nbgrader adds a 'default_course')."""
    from nbgrader.api import Gradebook
    course_id = _course_config(course).CourseDirectory.get("course_id", "default_course")
    return Gradebook(f"sqlite:///{Path(course) / 'gradebook.db'}", course_id=course_id)


def _record_empty_submission(course, assignment, student):
    """A submission without its notebook still belongs in the gradebook, with 0 points."""
    from nbgrader.api import MissingEntry
    with _gradebook(course) as gb:
        gb.update_or_create_student(student)
        try:
            gb.find_submission(assignment, student)
        except MissingEntry:
            gb.add_submission(assignment, student)


def _scores(course, assignment):
    with _gradebook(course) as gb:
        return {s.student_id: (s.score, s.max_score) for s in gb.assignment_submissions(assignment)}


def _nbgrader(course, *args):
    bin_dir = str(Path(sys.executable).parent)
    import os
    env = dict(os.environ, PATH=bin_dir + os.pathsep + os.environ.get("PATH", ""))
    result = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course, env=env,
                            capture_output=True, text=True)
    if result.returncode != 0:
        print(f"nbgrader {' '.join(args)} failed:\n{result.stdout[-1500:]}{result.stderr[-1500:]}", file=sys.stderr)
    return result.returncode


def grade_class(args):
    course = Path(args.course).resolve()
    if not (course / "gradebook.db").exists():
        print(f"error: no gradebook in {course}: run `nbgrader generate_assignment {args.assignment}` first",
              file=sys.stderr)
        return 2
    limits = {"timeout": args.timeout, "memory_gb": args.memory, "workers": args.workers,
              "isolate_network": not args.allow_network}
    jobs = find_jobs(course, args.assignment, limits)
    if not jobs:
        print(f"no submissions in {course / 'submitted'}/*/{args.assignment}", file=sys.stderr)
        return 1
    state = State(course, args.assignment)
    todo = [job for job in jobs if not state.is_done(job)]
    unchanged = len(jobs) - len(todo)
    # finished by workers in an interrupted run, not yet in the gradebook: record them, don't re-run
    pending = [job for job in todo if job.student in state.data
               and state.data[job.student]["fingerprint"] == job.fingerprint]
    to_run = [job for job in todo if job not in pending]
    print(f"{args.assignment}: {len(jobs)} submissions, {unchanged} unchanged, "
          f"{len(pending)} to record, {len(to_run)} to grade with {args.workers} workers ({args.engine})",
          file=sys.stderr)
    isolated = None
    if to_run:
        submit, completed, close = _executor(args)
        progress = Progress(len(to_run))
        try:
            futures = {submit(grade, job): job for job in to_run}
            for future in completed(futures):
                job = futures[future]
                try:
                    result = future.result()
                except Exception as error:  # a worker process that died: record it, keep going
                    result = {"status": "failed", "detail": f"worker error: {error}", "notebooks": {}}
                isolated = result.get("network_isolated", isolated)
                _store(state, job, result)
                progress.update(result["status"])
        finally:
            close()
    _import_results(course, args.assignment, [job.student for job in todo], state)
    scores = _scores(course, args.assignment)
    rows = []
    for job in jobs:
        entry = state.data.get(job.student, {})
        score = scores.get(job.student, (None, None))
        note = entry.get("detail", "")
        if job not in todo:
            note = "unchanged, not run again" + (f"; {note}" if note else "")
        rows.append((job.student, entry.get("status", "?"), *score, note))
    print(table(rows))
    if isolated is False:
        print("warning: this machine allows no network namespace; student code had network access",
              file=sys.stderr)
    if todo and not args.no_feedback:
        _nbgrader(course, "generate_feedback", args.assignment, "--force")
        _nbgrader(course, "export")
    print(f"feedback: {course / 'feedback'}   grades: {course / 'grades.csv'}", file=sys.stderr)
    return 0


def main(argv=None):
    args = parse(argv)
    return grade_class(args)
