"""``python -m autograder grade ASSIGNMENT``: autograde every collected submission in parallel.

Workers (a Dask cluster, or a plain thread pool with ``--engine local``) execute submissions with
real nbgrader in sandboxed scratch courses; this process alone records them in the gradebook by
running ``nbgrader autograde`` with ``ReplayExecution`` in place of ``Execute``; then it runs
``nbgrader generate_feedback`` and ``nbgrader export``. See autograder/GRADING.md.
"""

import argparse
import concurrent.futures
import json
import logging
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

from . import isolation
from .replay import ReplayExecution
from .report import Progress, is_problem, table
from .state import State, read_tree, submission_key
from .worker import autograde_preprocessors, grade_submission

REPLAY = f"{ReplayExecution.__module__}.{ReplayExecution.__qualname__}"


def parse(argv):
    parser = argparse.ArgumentParser(prog="python -m autograder", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    grade = commands.add_parser("grade", help="autograde every submission of ASSIGNMENT")
    grade.add_argument("assignment")
    grade.add_argument("--workers", type=int, default=2, help="parallel submissions (default 2)")
    grade.add_argument("--scheduler", help="address of a running Dask scheduler (default: a LocalCluster)")
    grade.add_argument("--engine", choices=["dask", "local"], default="dask",
                       help="dask (default) or local: a concurrent.futures pool, for comparison")
    grade.add_argument("--timeout", type=float, default=1200,
                       help="wall-clock limit for one whole notebook, seconds (default 1200)")
    grade.add_argument("--memory", type=float, default=None,
                       help="address-space limit per process, GB (default: 80%% of RAM / workers, 4..16)")
    grade.add_argument("--course", default=".", help="the course folder (default: here)")
    grade.add_argument("--no-isolation", action="store_true", help="no network/PID namespaces (debugging)")
    grade.add_argument("--no-feedback", action="store_true", help="skip generate_feedback and export")
    return parser.parse_args(argv)


def default_memory_gb(workers):
    total = psutil.virtual_memory().total / 1024**3
    return max(4.0, min(16.0, 0.8 * total / max(1, workers)))


def nbgrader(*args, course, check=True):
    env = dict(os.environ, PATH=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]))
    result = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course, env=env,
                            capture_output=True, text=True)
    if check and result.returncode != 0:
        raise RuntimeError(f"nbgrader {' '.join(args[:2])} failed:\n{result.stderr[-3000:]}")
    return result


def course_folders(course):
    from traitlets.config.loader import PyFileConfigLoader
    names = {"source": "source", "submitted": "submitted", "autograded": "autograded", "db": None,
             "course_id": "default_course"}
    if (course / "nbgrader_config.py").exists():
        config = PyFileConfigLoader("nbgrader_config.py", path=str(course)).load_config()
        directory = config.get("CourseDirectory", {})
        for key in ("source", "submitted", "autograded"):
            names[key] = directory.get(f"{key}_directory", names[key])
        names["db"] = directory.get("db_url")
        names["course_id"] = directory.get("course_id", names["course_id"])
    db_url = names["db"] or "sqlite:///gradebook.db"
    if not db_url.startswith("sqlite:///"):
        raise SystemExit(f"only a SQLite gradebook is supported (db_url = {db_url})")
    db_path = Path(db_url[len("sqlite:///"):])
    db_path = db_path if db_path.is_absolute() else course / db_path  # relative to the course, not to cwd
    return {"source": course / names["source"], "submitted": course / names["submitted"],
            "autograded": course / names["autograded"], "db": db_path,
            "db_url": f"sqlite:///{db_path}", "course_id": names["course_id"]}


def gradebook_snapshot(db_path):
    """A consistent copy of the gradebook (SQLite's backup API), as bytes."""
    with tempfile.TemporaryDirectory() as folder:
        copy = Path(folder) / "gradebook.db"
        source, target = sqlite3.connect(db_path), sqlite3.connect(copy)
        with target:
            source.backup(target)
        source.close()
        target.close()
        return copy.read_bytes()


def recorded_score(folders, assignment, student):
    from nbgrader.api import Gradebook, MissingEntry
    with Gradebook(folders["db_url"], folders["course_id"]) as gradebook:
        try:
            submission = gradebook.find_submission(assignment, student)
        except MissingEntry:
            return None, None
        return submission.score, submission.max_score


class Engine:
    """Submit grade_submission calls; iterate over (student, result or exception) as they finish."""

    def __init__(self, kind, workers, scheduler=None):
        self.kind, self.workers = kind, workers
        self.client = self.cluster = self.pool = None
        if kind == "dask":
            from dask.distributed import Client, LocalCluster
            if scheduler:
                self.client = Client(scheduler)
            else:
                self.cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                            memory_limit=0, dashboard_address=None,
                                            silence_logs=logging.ERROR)
                self.client = Client(self.cluster)
        else:
            self.pool = concurrent.futures.ThreadPoolExecutor(max_workers=workers)

    def run(self, tasks, bundle):
        if self.kind == "dask":
            from dask.distributed import as_completed
            shared = self.client.scatter(bundle, broadcast=True)
            futures = {self.client.submit(grade_submission, task, shared, pure=False,
                                          key=f"grade-{task['student']}-{task['key'][:16]}"): task
                       for task in tasks}
            iterator = as_completed(futures)
        else:
            futures = {self.pool.submit(grade_submission, task, bundle): task for task in tasks}
            iterator = concurrent.futures.as_completed(futures)
        for future in iterator:
            task = futures[future]
            try:
                yield task, future.result()
            except Exception as error:  # a worker lost, a bug in the worker: record, go on
                yield task, error

    def close(self):
        if self.pool:
            self.pool.shutdown(wait=False, cancel_futures=True)
            isolation.kill_all()
        if self.client:
            self.client.close()
        if self.cluster:
            self.cluster.close()


def record_missing(folders, assignment, student):
    """No notebook to grade: the student and a submission scoring 0 everywhere (what nbgrader does
    for a missing notebook, but nbgrader autograde stops when there is no notebook at all)."""
    from nbgrader.api import Gradebook
    with Gradebook(folders["db_url"], folders["course_id"]) as gradebook:
        gradebook.update_or_create_student(student)
        submission = gradebook.update_or_create_submission(assignment, student)
        for notebook in submission.notebooks:
            for grade in notebook.grades:
                grade.auto_score = 0
                grade.needs_manual_grade = False
        gradebook.db.commit()
    return (*recorded_score(folders, assignment, student), None)


def replay_student(course, folders, state, assignment, student):
    """Record one student's executed notebooks in the gradebook with plain nbgrader autograde."""
    if not state.get(student).get("notebooks", True):
        return record_missing(folders, assignment, student)
    args = ["autograde", assignment, "--student", student, "--force",
            f"--ReplayExecution.directory={state.folder / 'executed'}"]
    args += [f"--Autograde.autograde_preprocessors={name}" for name in autograde_preprocessors(REPLAY)]
    result = nbgrader(*args, course=course, check=False)
    score, max_score = recorded_score(folders, assignment, student)
    error = None
    if result.returncode != 0:
        lines = [line for line in result.stderr.splitlines() if "ERROR" in line or "Error" in line]
        error = (lines[-1] if lines else result.stderr.strip()[-200:])[:300]
    return score, max_score, error


def save_executed(state, result):
    folder = state.executed_dir(result["student"])
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.iterdir():
        old.unlink()
    for name, text in result.get("notebooks", {}).items():
        (folder / f"{name}.ipynb").write_text(text, encoding="utf-8")
    for name, stop in result.get("stops", {}).items():
        (folder / f"{name}.json").write_text(json.dumps({"stop": stop}))


def grade(args):
    course = Path(args.course).resolve()
    assignment = args.assignment
    folders = course_folders(course)
    source = read_tree(folders["source"] / assignment)
    if not source:
        raise SystemExit(f"no source for {assignment} in {folders['source']}")
    if not folders["db"].exists():
        raise SystemExit(f"no gradebook at {folders['db']}: run `nbgrader generate_assignment {assignment}` first")
    state = State(course / ".grading" / assignment)
    students = sorted(p.parent.name for p in folders["submitted"].glob(f"*/{assignment}") if p.is_dir())
    memory_gb = args.memory or default_memory_gb(args.workers)
    threads = isolation.threads_per_worker(args.workers)
    isolation_text = "disabled (--no-isolation)" if args.no_isolation else isolation.network_isolation()[1]
    print(f"grading {len(students)} submission(s) of {assignment} with {args.workers} worker(s) "
          f"({args.engine}{', scheduler ' + args.scheduler if args.scheduler else ''}); "
          f"{threads} thread(s) each, {args.timeout:.0f} s per notebook, {memory_gb:.1f} GB per process; "
          f"student code: {isolation_text}", file=sys.stderr)

    rows, tasks, replays = {}, [], []
    for student in students:
        files = read_tree(folders["submitted"] / student / assignment)
        key = submission_key(files, source)
        # a missing notebook has no autograded copy: its gradebook entry is the record
        autograded = ((folders["autograded"] / student / assignment).is_dir()
                      or state.get(student).get("notebooks") is False)
        action = state.needs(student, key, autograded)
        if action == "nothing":
            entry = state.get(student)
            rows[student] = dict(entry, student=student, action="unchanged", seconds=None)
        elif action == "replay":
            replays.append(student)
        else:
            tasks.append({"assignment": assignment, "student": student, "files": files, "key": key,
                          "timeout": args.timeout, "memory": int(memory_gb * 1024**3), "threads": threads,
                          "isolate": not args.no_isolation})
    progress = Progress(assignment, len(students))
    for row in rows.values():
        progress.update(done=0 if is_problem(row["status"]) else 1, failed=1 if is_problem(row["status"]) else 0)

    def record(student, status, notes, seconds, action):
        entry = state.get(student)
        score, max_score, error = replay_student(course, folders, state, assignment, student)
        notes = list(notes)
        if error:
            notes.append(f"recording failed: {error}")
            status = "failed" if status == "graded" else status
        state.update(student, status=status, notes=notes, score=score, max_score=max_score,
                     recorded=error is None, seconds=seconds if seconds is not None else entry.get("seconds"))
        rows[student] = dict(state.get(student), student=student, action=action, seconds=seconds)
        problem = is_problem(status)
        progress.update(done=0 if problem else 1, failed=1 if problem else 0,
                        message=f"{student}: {status} {'' if score is None else f'{score:g}/{max_score:g}'}")

    def stop(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    engine = None
    try:
        for student in replays:
            entry = state.get(student)
            record(student, entry.get("status", "graded"), entry.get("notes", []), None, "replayed")
        if tasks:
            bundle = {"config": (course / "nbgrader_config.py").read_bytes()
                      if (course / "nbgrader_config.py").exists() else b"c = get_config()\n",
                      "source": source, "gradebook": gradebook_snapshot(folders["db"])}
            engine = Engine(args.engine, args.workers, args.scheduler)
            remaining = len(tasks)
            progress.update(running=min(args.workers, remaining))
            for task, result in engine.run(tasks, bundle):
                student = task["student"]
                remaining -= 1
                if isinstance(result, Exception):
                    result = {"student": student, "status": "failed", "notebooks": {}, "stops": {},
                              "notes": [f"worker error: {type(result).__name__}: {result}"[:300]], "seconds": None}
                save_executed(state, result)
                state.update(student, key=task["key"], executed=True, recorded=False, status=result["status"],
                             notebooks=bool(result["notebooks"]) or result["status"] != "missing notebook",
                             notes=result["notes"], seconds=result["seconds"], isolation=result.get("isolation"))
                progress.running = min(args.workers, remaining)
                current = submission_key(read_tree(folders["submitted"] / student / assignment), source)
                if current != task["key"]:
                    state.update(student, key=None)
                    progress.update(failed=1, message=f"{student}: changed while being graded; run again")
                    rows[student] = dict(state.get(student), student=student, action="executed")
                    continue
                record(student, result["status"], result["notes"], result["seconds"], "executed")
    except KeyboardInterrupt:
        progress.close()
        print(f"\ninterrupted: finished work is kept in {state.folder}; run the command again to grade the rest",
              file=sys.stderr)
        return 130
    finally:
        if engine:
            engine.close()
    progress.close()

    (state.folder / "last_run.json").write_text(json.dumps(
        {"assignment": assignment, "isolation": isolation_text, "workers": args.workers, "engine": args.engine,
         "rows": [{k: v for k, v in row.items()} for row in rows.values()]}, indent=1, default=str))
    print(table(list(rows.values())))
    if not args.no_feedback and students:
        print("nbgrader generate_feedback …", file=sys.stderr)
        nbgrader("generate_feedback", assignment, course=course)
        print("nbgrader export …", file=sys.stderr)
        nbgrader("export", course=course)
        print(f"feedback in {course / 'feedback'}, grades in {course / 'grades.csv'}", file=sys.stderr)
    return 1 if any(row["status"] == "failed" for row in rows.values()) else 0


def main(argv=None):
    args = parse(sys.argv[1:] if argv is None else argv)
    if args.command == "grade":
        return grade(args)
