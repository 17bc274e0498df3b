"""Grade one submission with plain `nbgrader autograde`, in a box, on a scratch copy of the course.

Runs on a Dask worker or in a local thread. It never touches the real course: the Job carries the
files it needs, the box sees only that scratch copy, and the executed notebooks, the hand-over
files and a status come back as a Result for the coordinator, which alone writes the gradebook.
"""

import json
import re
import shutil
import sys
import tarfile
import tempfile
import time
from pathlib import Path

import nbformat
from course.threads import thread_env
from fashion_mnist_student import QUIET_TENSORFLOW

from .. import messages
from ..handover import PROBE_FOLDER
from ..preprocessors.execute import IN_BOX, KERNEL_DIED, PROCESS_LIMIT
from ..notebook_run import notebook_language
from . import inside, sandbox
from .jobs import Job
from .status import Result, Status

INSIDE = sandbox.INSIDE_TMP
# The coordinator takes every verdict itself, from what the box hands back: the judges are not
# mounted in the box, so the box's nbgrader must not list them.
JUDGES = ("autograder.judges.JudgeProbes", "autograder.preprocessors.JudgeAccuracy")
WORKER_CONFIG = ("\n# added by the class grader: the coordinator takes the verdicts\n"
                 "c.Autograde.autograde_preprocessors = [p for p in c.Autograde.autograde_preprocessors "
                 f"if p not in {JUDGES!r}]\n")


def _write(root, files):
    for name, data in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def _font_cache(home):
    """Matplotlib's font list, so the box does not spend seconds rebuilding it every time."""
    try:
        import matplotlib
        cache = Path(matplotlib.get_cachedir())
    except Exception:  # noqa: BLE001 (no cache is only slower)
        return
    target = home / ".matplotlib"
    target.mkdir(parents=True, exist_ok=True)
    for found in cache.glob("fontlist-*.json"):
        shutil.copy(found, target / found.name)


def _environment(home, workers, sandboxed, limits=None):
    from course.data import keras_dir
    keras_home = sandbox.INSIDE_KERAS_HOME if sandboxed else str(keras_dir().parents[1])
    bin_dir = str(Path(sys.executable).parent)
    return {"PATH": f"{bin_dir}:/usr/local/bin:/usr/bin:/bin", "HOME": home, "TMPDIR": INSIDE,
            "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "PYTHONUNBUFFERED": "1", "PYTHONDONTWRITEBYTECODE": "1",
            "MPLCONFIGDIR": f"{home}/.matplotlib", "KERAS_HOME": keras_home,
            **({IN_BOX: "1"} if sandboxed else {}),
            **({PROCESS_LIMIT: str(limits.processes)} if limits else {}),
            **QUIET_TENSORFLOW, **thread_env(workers)}


def _unpack(path, keep, folder):
    """(manifest or None, log text, {name: bytes}) from the box's tar stream."""
    manifest, log, files = None, "", {}
    try:
        with tarfile.open(path, "r:") as archive:
            for member in archive:
                if not member.isfile():
                    continue
                data = archive.extractfile(member).read()
                if member.name == inside.MANIFEST:
                    manifest = json.loads(data)
                elif member.name == inside.LOG:
                    log = data.decode("utf-8", "replace")
                elif member.name.startswith("out/") and (member.name[4:] in keep
                                                         or member.name[4:].startswith(f"{folder}/")):
                    files[member.name[4:]] = data
    except (tarfile.TarError, OSError, EOFError, json.JSONDecodeError, UnicodeDecodeError):
        pass
    return manifest, log, files


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


def notes(manifest, executed, job):
    """What the notebook did that the instructor should know, each said plainly."""
    said = []
    text = "\n".join(executed.values())
    if "MemoryError" in text:
        said.append(f"a cell ran out of memory (limit {job.limits.memory_gb:g} GB)")
    if "Resource temporarily unavailable" in text or "can't start new thread" in text:
        said.append(f"it hit the limit of {job.limits.processes} processes")
    if manifest.get("disk_free", 1 << 30) < 1024 ** 2 or "No space left on device" in text:
        said.append(f"it filled its scratch folder (limit {job.limits.disk_gb:g} GB)")
    if manifest.get("killed"):
        said.append(f"{manifest['killed']} process(es) it left running were killed")
    left = set(manifest.get("files_left", []))
    gone = sorted(name for name in job.submission if name not in left)
    if gone and executed:
        said.append("deleted files in its working folder: " + ", ".join(gone))
    return said


def _not_run(job, status, detail, start, sandboxed, log="", peak=None):
    return Result(job.student, status, detail, seconds=round(time.perf_counter() - start, 1),
                  peak_memory_mb=peak, sandboxed=sandboxed, log_tail=log[-2000:])


def grade(job: Job, sandboxed=True) -> Result:
    start = time.perf_counter()
    if job.bad_file:   # not JSON, not a notebook, a link, too large, misnamed (jobs.bad_files)
        return _not_run(job, Status.BAD_FILE, job.bad_file, start, sandboxed)
    missing = [name for name in job.notebooks if name not in job.submission]
    if missing:
        return _not_run(job, Status.MISSING, f"no {', '.join(missing)} in the submission", start, sandboxed)
    with tempfile.TemporaryDirectory(prefix=f"grade-{job.student}-") as scratch:
        scratch = Path(scratch)
        staging = scratch / "in"
        course = staging / "course"
        _write(course, job.course)
        with open(course / "nbgrader_config.py", "a", encoding="utf-8") as config:
            config.write(WORKER_CONFIG)
        _write(course / "submitted" / job.student / job.assignment, job.submission)
        _font_cache(staging / "home")
        if sandboxed:
            given, work, home = f"{INSIDE}/in", f"{INSIDE}/grading", f"{INSIDE}/home"
        else:
            given, work, home = str(staging), str(scratch / "work"), str(scratch / "home")
        keep = list(job.notebooks)
        argv = [sys.executable, "-m", "autograder.grading.inside", "--input", given, "--work", work,
                "--home", home, "--output-dir", f"autograded/{job.student}/{job.assignment}",
                *[arg for name in keep for arg in ("--keep", name)], "--keep-dir", PROBE_FOLDER,
                *(["--kill-leftovers"] if sandboxed else []),
                "--", "nbgrader", "autograde", job.assignment, "--student", job.student, "--force"]
        outcome = sandbox.run(argv, staging, job.course_dir, job.limits, _environment(home, job.workers, sandboxed, job.limits),
                              scratch / "out.tar", sandboxed=sandboxed)
        manifest, log, files = _unpack(scratch / "out.tar", keep, PROBE_FOLDER)
    if outcome.exit_code is None:
        status, detail = status_of(None, log, {}, job, None)
        return _not_run(job, status, detail, start, sandboxed, log, outcome.peak_memory_mb)
    if manifest is None:
        return _not_run(job, Status.FAILED, f"the box ended without a report (exit code {outcome.exit_code})",
                        start, sandboxed, log, outcome.peak_memory_mb)
    code = manifest["exit_code"]
    executed = {name: files[name].decode("utf-8") for name in job.notebooks if code == 0 and name in files}
    cell_limit = _cell_timeout(log)
    status, detail = status_of(code, log, executed, job, cell_limit)
    if status == Status.TIMED_OUT and executed:
        executed = {name: _mark_interrupted(text, cell_limit) for name, text in executed.items()}
    said = ([detail] if detail else []) + notes(manifest, executed, job)
    handover = {name: data for name, data in files.items() if name not in job.notebooks}
    return Result(job.student, status, "; ".join(said), executed, handover,
                  seconds=round(time.perf_counter() - start, 1), peak_memory_mb=outcome.peak_memory_mb,
                  sandboxed=sandboxed, log_tail=log[-2000:])
