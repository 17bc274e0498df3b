"""Grade one submission with plain `nbgrader autograde`, in a scratch copy of the course.

Runs on a Dask worker or in a local thread. It never touches the real course: it gets the
files it needs in the Job, and returns the executed notebooks and a status for the coordinator.
"""

import os
import re
import sys
import tempfile
import time
from pathlib import Path

import nbformat

from .. import messages
from ..notebook_run import notebook_language
from . import isolation

GRADED, TIMED_OUT, KERNEL_DIED, MISSING, FAILED = (
    "graded", "timed out", "kernel died", "missing notebook", "failed")


def _write(root, files):
    for name, data in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


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


def _status(code, log, executed, job, cell_limit):
    if code is None:
        return TIMED_OUT, f"stopped after {job.limits.get('timeout')} s (whole-notebook limit); every cell scores 0"
    if "DeadKernelError" in log or "Kernel died" in log or "kernel died" in log:
        return KERNEL_DIED, "the kernel died while running the notebook (e.g. os._exit or a crash)"
    if executed and cell_limit:
        return TIMED_OUT, (f"a cell ran past the {cell_limit} s per-cell limit and was "
                           "interrupted; the other cells were graded")
    if "CellTimeoutError" in log:
        return TIMED_OUT, ("a cell ran past the per-cell limit and did not stop when interrupted; "
                           "nbgrader gave up on the notebook, every cell scores 0")
    if len(executed) < len(job.notebooks):
        tail = " | ".join(line for line in log.splitlines() if "ERROR" in line)[-400:]
        return FAILED, tail or f"nbgrader exited with {code}"
    if any("MemoryError" in text for text in executed.values()):
        return GRADED, f"a cell ran out of memory (limit {job.limits.get('memory_gb')} GB)"
    return GRADED, ""


def grade(job):
    start = time.perf_counter()
    missing = [name for name in job.notebooks if name not in job.submission]
    if missing:
        return {"student": job.student, "status": MISSING, "detail": ", ".join(missing),
                "notebooks": {}, "seconds": 0.0, "network_isolated": None}
    with tempfile.TemporaryDirectory(prefix=f"grade-{job.student}-") as scratch:
        root = Path(scratch)
        _write(root, job.course)
        _write(root / "submitted" / job.student / job.assignment, job.submission)
        env = dict(os.environ, PYTHONUNBUFFERED="1",
                   PATH=str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", ""),
                   **isolation.thread_env(job.limits.get("workers", 1)))
        command = [sys.executable, "-m", "nbgrader", "autograde", job.assignment,
                   "--student", job.student, "--force"]
        log_path = root / "autograde.log"
        code, isolated = isolation.run(command, root, job.limits.get("timeout"),
                                       job.limits.get("memory_gb"), env, log_path,
                                       job.limits.get("isolate_network", True))
        log = log_path.read_text(errors="replace")
        out = root / "autograded" / job.student / job.assignment
        # nbgrader copies the submission in before running it: only a finished run's files count
        executed = {name: (out / name).read_text() for name in job.notebooks
                    if code == 0 and (out / name).is_file()}
        cell_limit = _cell_timeout(log)
        status, detail = _status(code, log, executed, job, cell_limit)
        if status == TIMED_OUT and executed:
            executed = {name: _mark_interrupted(text, cell_limit) for name, text in executed.items()}
        gone = [name for name in job.submission if not (out / name).exists() and executed]
        if gone:
            detail = (detail + "; " if detail else "") + "deleted files in its working folder: " + ", ".join(gone)
    return {"student": job.student, "status": status, "detail": detail, "notebooks": executed,
            "seconds": round(time.perf_counter() - start, 1), "network_isolated": isolated,
            "log_tail": log[-2000:]}
