"""Grade one submission with plain `nbgrader autograde`, on a scratch copy of the course.

Runs on a Dask worker or in a local thread. nbgrader runs here, on the trusted side, as a
subprocess in a private temporary folder (0700) holding the scratch course: the gradebook copy
nbgrader needs to restore locked cells never enters a box. Only the kernels that run the
student's code are boxed, by GradingExecute (autograder/box), with the job's limits; the
whole-notebook wall clock is this subprocess's. The executed notebooks, the hand-overs the grader
pulled from the boxes and the re-check's files come back as a Result for the coordinator, which
alone writes the gradebook.
"""

import json
import os
import re
import stat
import subprocess
import sys
import tempfile
import time
from contextlib import closing
from pathlib import Path

import nbformat
from course.threads import thread_env
from fashion_mnist_student import QUIET_TENSORFLOW

from .. import messages
from ..handover import PROBE_FOLDER
from ..notebook_run import notebook_language
from ..box import KERNEL_DIED, UNSAFE_NO_BOX
from ..recheck import RECHECK_FOLDER
from . import sandbox
from .scratch import folder as scratch_folder
from .jobs import Job
from .status import Result, Status

# The coordinator takes every verdict itself, from what the worker hands back: the worker's
# nbgrader does not run the judges.
JUDGES = ("autograder.judges.JudgeProbes", "autograder.preprocessors.JudgeAccuracy")
LOG_KEEP = 200_000          # bytes of the log's end kept
FILE_KEEP = 64 * 1024 ** 2  # an executed notebook or a hand-over file larger than this is dropped
FOLDER_KEEP = 64            # files at most from each hand-over folder


def box_config(limits, sandboxed=True):
    """The scratch course's GradingExecute settings: the job's limits for every box (all that its
    nbgrader needs to start its first kernel ahead, before it is given the job)."""
    box = {"memory_gb": limits.memory_gb, "disk_gb": limits.disk_gb, "processes": limits.processes,
           "open_files": limits.open_files, "network": limits.network}
    return (f"c.GradingExecute.box_limits = {box!r}\n"
            + ("" if sandboxed else "c.GradingExecute.unsafe_no_box = True\n"))


def worker_config(limits, sandboxed=True):
    """What the worker adds to the scratch course's nbgrader_config.py."""
    return ("\n# added by the class grader: the coordinator takes the verdicts; the job's limits\n"
            "c.Autograde.autograde_preprocessors = [p for p in c.Autograde.autograde_preprocessors "
            f"if p not in {JUDGES!r}]\n" + box_config(limits, sandboxed))


def _write(root, files):
    for name, data in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def _environment(workers, sandboxed):
    """nbgrader's environment (trusted); a boxed kernel gets only the thread pools' sizes of it."""
    env = {name: os.environ[name] for name in ("PATH", "HOME", "LANG", "LC_ALL", "KERAS_HOME",
                                              "FASHION_MNIST_CACHE") if name in os.environ}
    env.update({"PYTHONUNBUFFERED": "1", "PYTHONDONTWRITEBYTECODE": "1", **QUIET_TENSORFLOW,
                **thread_env(workers), "AUTOGRADER_PARENT": str(os.getpid())})
    if not sandboxed:
        env[UNSAFE_NO_BOX] = "1"
    return env


def _regular_file(path, limit=FILE_KEEP):
    """The bytes of ``path`` if it is a regular file (not a link) of at most ``limit`` bytes."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode) or info.st_size > limit:
            return None
        return handle.read(info.st_size)


def _log_tail(path, keep=LOG_KEEP):
    """The last ``keep`` bytes of nbgrader's log, as text."""
    try:
        with open(path, "rb") as handle:
            handle.seek(max(0, os.fstat(handle.fileno()).st_size - keep))
            return handle.read(keep).decode("utf-8", "replace")
    except OSError:
        return ""


def _handed_over(out):
    """{relative name: bytes} of the files the grader pulled out of the boxes into ``out``."""
    files = {}
    for folder in (PROBE_FOLDER, RECHECK_FOLDER):
        path = out / folder
        if path.is_symlink() or not path.is_dir():
            continue
        for name in sorted(p.name for p in path.iterdir())[:FOLDER_KEEP]:
            data = _regular_file(path / name)
            if data is not None:
                files[f"{folder}/{name}"] = data
    return files


def _cell_timeout(log):
    """nbclient's per-cell limit: it logs this, interrupts the kernel and goes on with the next cell."""
    found = re.search(r"Timeout waiting for execute reply \((\d+)s\)", log)
    return int(found.group(1)) if found else None


def _mark_interrupted(text, seconds):
    """Put a note in front of the KeyboardInterrupt the per-cell limit left, in the notebook's language."""
    nb = nbformat.reads(text, as_version=4)
    note = nbformat.v4.new_output("stream", name="stdout", text=messages.say(
        "cell_timeout", notebook_language(nb), seconds=seconds) + "\n")
    for cell in nb.cells:
        outputs = cell.get("outputs", [])
        if any(o.get("ename") == "KeyboardInterrupt" for o in outputs):
            cell.outputs = [note, *outputs]
    return nbformat.writes(nb)


def _cells_where_kernel_died(executed):
    """The (1-based) cells where GradingExecute found the kernel dead, in the executed notebooks."""
    died = []
    for text in executed.values():
        try:
            nb = nbformat.reads(text, as_version=4)
        except Exception:  # noqa: BLE001 (an unreadable notebook is reported elsewhere)
            continue
        died += [index + 1 for index, cell in enumerate(nb.cells)
                 if any(o.get("ename") == KERNEL_DIED for o in cell.get("outputs", []))]
    return died


def status_of(code, log, executed, job, cell_limit):
    """(Status, detail) from how the run ended; ``executed`` holds the notebooks it finished."""
    if code is None:
        return Status.TIMED_OUT, (f"stopped after {job.limits.seconds:g} s (whole-notebook limit); "
                                  "every cell scores 0")
    died_in = _cells_where_kernel_died(executed)
    if died_in:
        return Status.GRADED, (f"the kernel died in cell {', '.join(map(str, died_in))} and was restarted; "
                               "the cells before it kept their points")
    if not executed and ("DeadKernelError" in log or "Kernel died" in log or "kernel died" in log):
        return Status.KERNEL_DIED, "the kernel died while running the notebook (e.g. os._exit or a crash)"
    if executed and cell_limit:
        return Status.TIMED_OUT, (f"a cell ran past the {cell_limit} s per-cell limit and was "
                                  "interrupted; the other cells were graded")
    if "CellTimeoutError" in log:
        return Status.TIMED_OUT, ("a cell ran past the per-cell limit and did not stop when interrupted; "
                                  "nbgrader gave up on the notebook, every cell scores 0")
    if len(executed) < len(job.notebooks):
        tail = " | ".join(line for line in log.splitlines() if "ERROR" in line)[-400:]
        return Status.FAILED, tail or f"nbgrader exited with {code}"
    return Status.GRADED, ""


def notes(executed, job):
    """What the notebook did that the instructor should know, each said plainly."""
    said = []
    text = "\n".join(executed.values())
    if "MemoryError" in text:
        said.append(f"a cell ran out of memory (limit {job.limits.memory_gb:g} GB)")
    if "Resource temporarily unavailable" in text or "can't start new thread" in text:
        said.append(f"it hit the limit of {job.limits.processes} processes")
    if "No space left on device" in text or "File size limit exceeded" in text:
        said.append(f"it filled its scratch folder (limit {job.limits.disk_gb:g} GB)")
    return said


def _not_run(job, status, detail, start, sandboxed, log="", peak=None):
    return Result(job.student, status, detail, seconds=round(time.perf_counter() - start, 1),
                  peak_memory_mb=peak, sandboxed=sandboxed, log_tail=log[-2000:])


class Nbgrader:
    """The worker's nbgrader (autograder.grading.nbgrader_quiet), in a new scratch folder (0700)
    with its course, started before its submission is known: it starts its first kernel ahead
    and imports nbgrader, then waits for ``give`` (the course's files and the submission written
    in its course, then the student named on its stdin) and runs `nbgrader autograde` on it. The
    coordinator starts one so at its own start (autograder/grading/batch.py); ``grade`` starts one
    and gives it its job at once otherwise. ``close`` ends it and removes its folder."""

    def __init__(self, assignment, limits, workers, sandboxed=True):
        self.settings = (assignment, limits, workers, sandboxed)
        self._scratch = tempfile.TemporaryDirectory(prefix="grade-", dir=scratch_folder())
        scratch = Path(self._scratch.name)
        self.course, self.log = scratch / "course", scratch / "out.log"
        self.course.mkdir()
        # nbgrader's temporary folders (the boxes' copies and private folders) go in the scratch
        # folder, which goes with this worker even when the whole-notebook limit killed nbgrader
        (scratch / "tmp").mkdir()
        (self.course / "nbgrader_config.py").write_text("c = get_config()\n" + box_config(limits, sandboxed))
        argv = [sys.executable, "-m", "autograder.grading.nbgrader_quiet", "autograde", assignment]
        environment = {**_environment(workers, sandboxed), "TMPDIR": str(scratch / "tmp")}
        try:
            self.running = sandbox.Running(argv, self.course, limits, environment, self.log,
                                           stdin=subprocess.PIPE)
        except BaseException:
            self._scratch.cleanup()
            raise

    def fits(self, job, sandboxed):
        """Whether it was started with the settings ``job`` needs, and still waits for one."""
        return (self.settings == (job.assignment, job.limits, job.workers, sandboxed)
                and self.running.process.poll() is None)

    def give(self, job, sandboxed):
        """Write the job's course and submission, tell nbgrader the student; its Outcome."""
        _write(self.course, job.course)
        with open(self.course / "nbgrader_config.py", "a", encoding="utf-8") as config:
            config.write(worker_config(job.limits, sandboxed))
        _write(self.course / "submitted" / job.student / job.assignment, job.submission)
        self.running.restart_clock()   # the whole-notebook wall clock starts with the job
        try:
            self.running.process.stdin.write(json.dumps(["--student", job.student, "--force"]).encode() + b"\n")
            self.running.process.stdin.close()
        except OSError:   # it ended before it was given the job: its exit code and log say why
            pass
        return self.running.wait()

    def close(self):
        try:
            self.running.close()
        finally:
            self._scratch.cleanup()


def grade(job: Job, sandboxed=True, ahead=None) -> Result:
    """Grade ``job`` with a new nbgrader, or with the one ``ahead()`` hands over (started by the
    coordinator before the jobs were known) when it was started for the same settings."""
    start = time.perf_counter()
    if job.bad_file:   # not JSON, not a notebook, a link, too large, misnamed (jobs.bad_files)
        return _not_run(job, Status.BAD_FILE, job.bad_file, start, sandboxed)
    missing = [name for name in job.notebooks if name not in job.submission]
    if missing:
        return _not_run(job, Status.MISSING, f"no {', '.join(missing)} in the submission", start, sandboxed)
    started = ahead() if ahead is not None else None
    if started is not None and not started.fits(job, sandboxed):
        started.close()
        started = None
    with closing(started or Nbgrader(job.assignment, job.limits, job.workers, sandboxed)) as nbgrader:
        outcome = nbgrader.give(job, sandboxed)
        log = _log_tail(nbgrader.log)
        out = nbgrader.course / "autograded" / job.student / job.assignment
        files = {name: _regular_file(out / name) for name in job.notebooks}
        handover = _handed_over(out)
    if outcome.exit_code is None:
        status, detail = status_of(None, log, {}, job, None)
        return _not_run(job, status, detail, start, sandboxed, log, outcome.peak_memory_mb)
    code = outcome.exit_code
    executed = {name: data.decode("utf-8") for name, data in files.items() if code == 0 and data is not None}
    cell_limit = _cell_timeout(log)
    status, detail = status_of(code, log, executed, job, cell_limit)
    if status == Status.TIMED_OUT and executed:
        executed = {name: _mark_interrupted(text, cell_limit) for name, text in executed.items()}
    said = ([detail] if detail else []) + notes(executed, job)
    return Result(job.student, status, "; ".join(said), executed, handover,
                  seconds=round(time.perf_counter() - start, 1), peak_memory_mb=outcome.peak_memory_mb,
                  sandboxed=sandboxed, log_tail=log[-2000:])
