"""The class grader as a library: ``grade_batch(Options) -> BatchResult`` autogrades every
submission of an assignment in parallel (the `grade` and `demo` verbs call it; see
autograder/GRADING.md).

Workers (a local pool, or a Dask cluster with a scheduler) each run plain `nbgrader autograde`
on one submission, in a box (autograder/grading/sandbox.py), on a scratch copy of the course.
This process alone writes the gradebook: as each result arrives it replays the worker's executed
notebook through nbgrader's own autograde pipeline and writes that student's feedback, while the
workers go on; export and the class report come at the end. Nothing here parses a command line or
prints a result: progress goes to ``log``, everything else is in the BatchResult.
"""

import os
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from . import gradebook, sandbox
from .coursedir import Course
from .jobs import find_jobs, submission_unchanged
from .progress import Progress, table
from .state import State
from .status import PROBLEMS, Result, Status
from .worker import Nbgrader as start_nbgrader
from .worker import grade as grade_one

@dataclass
class Options:
    """What `grade` is asked to do (the command line's options, typed)."""
    assignment: str
    course: Path = Path(".")
    workers: int = 2
    engine: str | None = None          # "local" | "dask" | None (dask when a scheduler is given)
    scheduler: str | None = None
    limits: sandbox.Limits = field(default_factory=sandbox.Limits)
    sandboxed: bool = True
    feedback: bool = True              # feedback per student as recorded, export at the end
    report: bool = True                # the class report at the end
    students: tuple[str, ...] = ()     # grade these again whatever the state says
    force: bool = False                # grade the whole class again

    @property
    def engine_name(self):
        return self.engine or ("dask" if self.scheduler else "local")


@dataclass
class Row:
    student: str
    status: Status
    score: float | None
    max_score: float | None
    note: str = ""


@dataclass
class BatchResult:
    """What one `grade` run did: every submission's row, what was run and recorded, the problems."""
    assignment: str
    course: Path
    refusal: str = ""                  # why nothing was graded (exit 2), or ""
    rows: list[Row] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    recorded_again: list[str] = field(default_factory=list)   # stored results recorded, not run
    graded: list[str] = field(default_factory=list)           # run by a worker in this run
    problems: list[str] = field(default_factory=list)
    report: Path | None = None

    @property
    def exit_code(self):
        if self.refusal:
            return 2
        return 1 if self.problems or not self.rows else 0

    def table(self):
        return table([(r.student, str(r.status), r.score, r.max_score, r.note) for r in self.rows])


def _executor(options):
    """(submit, as_completed, close) for the chosen engine."""
    if options.engine_name == "local":
        pool = ThreadPoolExecutor(max_workers=options.workers)
        return pool.submit, as_completed, partial(pool.shutdown, cancel_futures=True)
    import logging

    from distributed import Client, LocalCluster
    from distributed import as_completed as dask_completed
    logging.getLogger("distributed").setLevel(logging.ERROR)
    if options.scheduler:
        client, cluster = Client(options.scheduler), None
    else:
        cluster = LocalCluster(n_workers=options.workers, threads_per_worker=1, processes=True,
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


class _Recorder:
    """The coordinator's side of each arrival: keep the result, record it, write its feedback."""

    def __init__(self, writer, state, options, problems):
        self.writer, self.state, self.options, self.problems = writer, state, options, problems
        self.failures = {}

    def __call__(self, job, result=None):
        if result is not None:
            if job.refused:
                result.detail = "; ".join(filter(None, [result.detail, *job.refused]))
            gradebook.store(self.state, job, result)
        why = self.writer.record_one(job.student)
        if why is not None:
            self.failures[job.student] = why
        elif self.options.feedback:
            error = self.writer.feedback(job.student)
            if error:
                self.problems.append(error)


class _Workers:
    """The pool, made when the first job is given: a job's worker starts as soon as it is given
    (once: a job given again is left running); ``results`` yields (job, Result) as each finishes.

    With the local engine, the first job's nbgrader is started before any job is known
    (``start_ahead``, at the coordinator's own start): its kernel starts and imports TensorFlow,
    and nbgrader is imported, while the coordinator imports nbgrader and finds the jobs (the
    kernel starts 1.3 s sooner, the first cell about 0.4 s sooner: on 2 cores the start is bound
    by CPU). The first worker that needs one takes it; one not taken is ended with the pool."""

    def __init__(self, options):
        self._options, self._futures = options, {}
        self._submit = self._completed = self._close = None
        self._ahead, self._lock = None, threading.Lock()

    def start_ahead(self):
        if self._options.engine_name != "local" or self._ahead is not None:
            return
        try:
            self._ahead = start_nbgrader(self._options.assignment, self._options.limits,
                                         self._options.workers, self._options.sandboxed)
        except Exception:  # noqa: BLE001 (the refusal, or the worker that starts one anew, says why)
            self._ahead = None

    def _take_ahead(self):
        with self._lock:
            started, self._ahead = self._ahead, None
        return started

    def start(self, jobs):
        started = {job.student for job in self._futures.values()}
        jobs = [job for job in jobs if job.student not in started]
        if jobs and self._submit is None:
            self._submit, self._completed, self._close = _executor(self._options)
        work = partial(grade_one, sandboxed=self._options.sandboxed)
        if self._ahead is not None:
            work = partial(work, ahead=self._take_ahead)
        for job in jobs:
            self._futures[self._submit(work, job)] = job

    def results(self):
        if not self._futures:
            return
        for future in self._completed(self._futures):
            job = self._futures[future]
            try:
                result = future.result()
            except Exception as error:  # noqa: BLE001 (a worker that died: record it, keep going)
                result = Result(job.student, Status.FAILED, f"worker error: {error}")
            yield job, result

    def close(self):
        try:
            if self._close is not None:
                self._close()
        finally:
            started = self._take_ahead()
            if started is not None:
                started.close()


@dataclass
class _Recorded:
    todo: list                 # the jobs this run ran or recorded
    failures: dict             # {student: why it could not be recorded}
    said: list                 # feedback problems
    jobs: list                 # every submission's job
    state: State


def _class_report(course, assignment):
    """Write the class report (autograder/report); return (path or None, error text or None)."""
    from ..report.publish import ReportError, write_report
    try:
        return write_report(course, assignment), None
    except ReportError as error:
        return None, f"the class report failed: {error}"
    except Exception as error:  # noqa: BLE001 (the grades are recorded: say so, don't lose them)
        return None, f"the class report failed: {type(error).__name__}: {error}"


def _machine_problem(course, options):
    """A future of why the box cannot be built here (None when it can, or when not asked): the
    probe runs in a thread while nbgrader is imported for the course's folders."""
    if not options.sandboxed or options.scheduler:
        return None  # a cluster's workers check their own machine and report per submission
    probe = ThreadPoolExecutor(max_workers=1, thread_name_prefix="box-probe")
    future = probe.submit(sandbox.problem, course)
    probe.shutdown(wait=False)
    return future


def _refusal(course, options):
    """The reason not to grade, or ""."""
    machine = _machine_problem(course, options)
    if not Course(course).gradebook_file.exists():
        return f"no gradebook in {course}: run `nbgrader generate_assignment {options.assignment}` first"
    why = machine.result() if machine is not None else None
    if why:
        return (f"cannot grade safely on this machine: {why}. Student code would run with your "
                "rights and could delete the gradebook or other students' work. Fix that, or pass "
                "--unsafe-no-sandbox for code you trust.")
    return ""


def grade_batch(options: Options, log=sys.stderr) -> BatchResult:
    """Grade a class; record each result as it arrives; return what happened."""
    course = Course(options.course).root
    batch = BatchResult(options.assignment, course)
    workers = _Workers(options)
    workers.start_ahead()
    try:
        recorded = _grade_and_record(options, course, workers, batch, log)
    finally:
        workers.close()
    if recorded is None:
        return batch
    jobs, state, todo, failures = recorded.jobs, recorded.state, recorded.todo, recorded.failures
    batch.problems += [f"{student}: not recorded: {why}" for student, why in failures.items()]
    batch.problems += [f"{job.student}: {state.get(job.student).status}: {state.get(job.student).detail}"
                       for job in todo if state.get(job.student).status in PROBLEMS and job.student not in failures]
    batch.problems += [f"{job.student}: the submitted files changed or vanished during the run; grade again"
                       for job in todo if not submission_unchanged(course, job)]
    batch.problems += recorded.said
    if todo and options.feedback:
        batch.problems += [error for error in (_nbgrader(course, "export"),) if error]
    report = Course(course).report(options.assignment)
    if options.report and (todo or not report.exists()):
        batch.report, error = _class_report(course, options.assignment)
        batch.problems += [error] if error else []
    batch.rows = _rows(course, options.assignment, jobs, todo, state)
    return batch


def _grade_and_record(options, course, workers, batch, log) -> "_Recorded | None":
    """Find the jobs, start the workers of those to run, record each result as it comes; None
    when nothing could be graded (the refusal or the problem is in ``batch``)."""
    batch.refusal = _refusal(course, options)
    if batch.refusal:
        return None
    jobs = find_jobs(course, options.assignment, options.limits, options.workers)
    if not jobs:
        batch.problems.append(f"no submissions in {Course(course).submitted('*', options.assignment)}")
        return None
    unknown = sorted(set(options.students) - {job.student for job in jobs})
    if unknown:
        batch.refusal = f"no submission of {options.assignment} for {', '.join(unknown)}"
        return None
    state = State(course, options.assignment)
    forced = {job.student for job in jobs if options.force or job.student in options.students}
    # A submission with neither a stored result nor a record of its fingerprint is graded whatever
    # the gradebook holds: its worker starts now, while the gradebook is read.
    fresh = [job for job in jobs if job.student in forced or not state.may_be_done(job)]
    workers.start(fresh)
    _read_ahead(fresh)
    return _record_as_they_come(options, course, jobs, forced, state, workers, batch, log)


def _read_ahead(jobs):
    """While the workers of ``jobs`` run: the data their replay's verdicts read (autograder/judges)."""
    if jobs:
        from ..judges import read_ahead
        read_ahead.start()


def _record_as_they_come(options, course, jobs, forced, state, workers, batch, log) -> _Recorded:
    """Decide the rest from the gradebook, record the stored results, then each result as its
    worker finishes."""
    recorded = gradebook.recorded_ids(course, options.assignment)
    todo = [job for job in jobs if job.student in forced or not state.is_done(job, recorded)]
    # finished in an earlier run but not in this gradebook (an interrupted run, a new gradebook)
    pending = [job for job in todo if job.student not in forced and state.has_result(job)]
    to_run = [job for job in todo if job not in pending]
    workers.start(to_run)   # those not started yet: a record the gradebook no longer holds
    batch.unchanged = [job.student for job in jobs if job not in todo]
    batch.recorded_again = [job.student for job in pending]
    batch.graded = [job.student for job in to_run]
    print(f"{options.assignment}: {len(jobs)} submissions, {len(batch.unchanged)} unchanged, "
          f"{len(pending)} to record, {len(to_run)} to grade with {options.workers} workers "
          f"({options.engine_name})", file=log)
    if not options.sandboxed:
        print("warning: --unsafe-no-sandbox: student code runs with your rights", file=log)
    said = []
    with gradebook.Writer(course, options.assignment, state) as writer:
        recorder = _Recorder(writer, state, options, said)
        for job in pending:
            recorder(job)
        if to_run:
            progress = Progress(len(to_run), log)
            for job, result in workers.results():
                recorder(job, result)
                progress.update(job.student, result.status, result.detail)
            progress.close()
    return _Recorded(todo, recorder.failures, said, jobs, state)


def _rows(course, assignment, jobs, todo, state):
    scores = gradebook.scores(course, assignment)
    late = gradebook.seconds_late(course, assignment)
    rows = []
    for job in jobs:
        entry = state.get(job.student)
        status = entry.status if entry else Status.FAILED
        score = scores.get(job.student, (None, None))
        if status not in PROBLEMS and (entry is None or entry.recorded_as is None):
            status = Status.NOT_RECORDED  # 'graded' only when the gradebook holds the score
        note = entry.detail if entry else ""
        if job.student in late:
            note = "; ".join(filter(None, [f"late by {_duration(late[job.student])}", note]))
        if job not in todo:
            note = "unchanged, not run again" + (f"; {note}" if note else "")
        rows.append(Row(job.student, status, *score, note))
    return rows


def _duration(seconds):
    hours, minutes = divmod(int(seconds) // 60, 60)
    return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min"
