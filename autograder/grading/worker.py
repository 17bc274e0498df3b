"""Grade one submission with plain `nbgrader autograde`, in a scratch copy of the course.

Runs on a Dask worker or in a local thread. It never touches the real course: it gets the
files it needs in the Job, and returns the executed notebooks and a status for the coordinator.
"""

import os
import sys
import tempfile
import time
from pathlib import Path

from . import isolation

GRADED, TIMED_OUT, KERNEL_DIED, MISSING, FAILED = (
    "graded", "timed out", "kernel died", "missing notebook", "failed")


def _write(root, files):
    for name, data in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def _status(code, log, executed, job):
    if code is None:
        return TIMED_OUT, f"stopped after {job.limits.get('timeout')} s (whole-notebook limit)"
    if "DeadKernelError" in log or "Kernel died" in log or "kernel died" in log:
        return KERNEL_DIED, "the kernel died while running the notebook (e.g. os._exit or a crash)"
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
        status, detail = _status(code, log, executed, job)
        gone = [name for name in job.submission if not (out / name).exists() and status == GRADED]
        if gone:
            detail = (detail + "; " if detail else "") + "deleted files in its working folder: " + ", ".join(gone)
    return {"student": job.student, "status": status, "detail": detail, "notebooks": executed,
            "seconds": round(time.perf_counter() - start, 1), "network_isolated": isolated,
            "log_tail": log[-2000:]}
