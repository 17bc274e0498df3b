"""Worker side: execute one submission with real ``nbgrader autograde`` in a private scratch
course, sandboxed, and return the executed notebook(s) and a status. Never touches the real course
(it may run on another machine, through ``--scheduler``): everything comes in as bytes.

``bundle`` (the same for every submission, scattered once): ``config`` (nbgrader_config.py),
``source`` ({path: bytes} of the assignment's source folder), ``gradebook`` (a snapshot of the
gradebook, so nbgrader knows the assignment). ``task``: ``assignment``, ``student``, ``files``
(the submission), ``timeout`` (s, whole notebook), ``memory`` (bytes), ``threads``, ``isolate``.
"""

import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from nbgrader.converters import Autograde

from .isolation import run_sandboxed, thread_env

DONE_STATUSES = ("graded", "output limited", "files deleted", "memory error")


def _write_tree(folder, files):
    for name, data in files.items():
        path = Path(folder) / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def autograde_preprocessors(execute):
    """nbgrader's own list, with ``Execute`` replaced by ``execute`` (a dotted class name)."""
    names = []
    for item in Autograde.autograde_preprocessors.default():
        name = item if isinstance(item, str) else f"{item.__module__}.{item.__qualname__}"
        names.append(execute if name.rsplit(".", 1)[-1] == "Execute" else name)
    return names


def _scratch_config(config, progress, course):
    extra = f"""
# --- added by autograder.classgrade.worker for this scratch course ---
c.CourseDirectory.db_url = {f"sqlite:///{course / 'gradebook.db'}"!r}
c.Autograde.autograde_preprocessors = {autograde_preprocessors(
        "autograder.classgrade.executing.CheckpointingExecute")!r}
c.CheckpointingExecute.progress_directory = {str(progress)!r}
c.CheckpointingExecute.watch_directory = {str(course)!r}
c.CourseDirectory.source_directory = "source"
c.CourseDirectory.submitted_directory = "submitted"
c.CourseDirectory.autograded_directory = "autograded"
"""
    return config + extra.encode()


def _writable(path):
    return path and os.path.isdir(path) and os.access(path, os.W_OK)


def sandbox_env(scratch, threads):
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    env.update(thread_env(threads))
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    env["JUPYTER_RUNTIME_DIR"] = str(scratch / "runtime")
    env["IPYTHONDIR"] = str(scratch / "ipython")
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env.pop("JPY_PARENT_PID", None)
    if not _writable(os.path.expanduser("~")):
        # e.g. `nobody`: caches that would live in HOME go to a per-user folder in /tmp
        cache = Path(tempfile.gettempdir()) / f"autograder-cache-{os.getuid()}"
        cache.mkdir(exist_ok=True)
        env.setdefault("MPLCONFIGDIR", str(cache / "matplotlib"))
        env.setdefault("XDG_CACHE_HOME", str(cache))
        env["HOME"] = str(cache)
    return env


def classify(returncode, timed_out, progress, expected):
    """(status, notes, stop info per notebook) from what the sandbox and the checkpoints say."""
    notes, stops = [], {}
    status = "graded"
    for name in expected:
        info = progress.get(name)
        if info is None:
            why = "timed out" if timed_out else "failed"
            stops[name] = {"why": why, "reached": -1}
            status = why if status == "graded" else status
            continue
        if info["status"] == "done":
            stops[name] = None
        elif timed_out:
            stops[name] = {"why": "timed out", "reached": info["reached"]}
            status = "timed out"
        elif info["status"] == "kernel died":
            stops[name] = {"why": "kernel died", "reached": info["reached"]}
            status = "kernel died" if status in DONE_STATUSES else status
        else:
            stops[name] = {"why": "failed", "reached": info["reached"],
                           "error": info.get("error") or f"nbgrader exited with {returncode}"}
            status = "failed" if status in DONE_STATUSES else status
        if info.get("flooded"):
            dropped = sum(info["flooded"].values())
            notes.append(f"output limited ({dropped:,} characters dropped)")
            status = "output limited" if status == "graded" else status
        if info.get("deleted"):
            shown = ", ".join(info["deleted"][:3]) + (" …" if len(info["deleted"]) > 3 else "")
            notes.append(f"deleted {len(info['deleted'])} file(s): {shown}")
            status = "files deleted" if status == "graded" else status
        if info.get("memory_error"):
            notes.append("MemoryError (memory limit)")
            status = "memory error" if status == "graded" else status
    return status, notes, stops


def _has_memory_error(nb_json):
    nb = json.loads(nb_json)
    return any(out.get("ename") == "MemoryError" for cell in nb.get("cells", [])
               for out in cell.get("outputs", []))


def grade_submission(task, bundle):
    """Execute one submission; return a JSON-able result (see module doc)."""
    start = time.monotonic()
    assignment, student = task["assignment"], task["student"]
    expected = sorted(Path(name).stem for name in bundle["source"] if name.endswith(".ipynb")
                      and "/" not in name)
    result = {"student": student, "key": task["key"], "notebooks": {}, "stops": {}, "notes": [],
              "seconds": 0.0, "log": "", "isolation": ""}
    submitted = {Path(name).stem for name in task["files"] if name.endswith(".ipynb") and "/" not in name}
    if not submitted & set(expected):
        result.update(status="missing notebook",
                      notes=[f"no {', '.join(n + '.ipynb' for n in expected)} in the submission"],
                      stops={name: {"why": "failed", "reached": -1, "error": "notebook not submitted"}
                             for name in expected})
        return result
    scratch = Path(tempfile.mkdtemp(prefix=f"classgrade-{student}-"))
    try:
        course, progress = scratch / "course", scratch / "progress"
        course.mkdir()
        (course / "nbgrader_config.py").write_bytes(_scratch_config(bundle["config"], progress, course))
        (course / "gradebook.db").write_bytes(bundle["gradebook"])
        _write_tree(course / "source" / assignment, bundle["source"])
        _write_tree(course / "submitted" / student / assignment, task["files"])
        command = [sys.executable, "-m", "nbgrader", "autograde", assignment, "--student", student, "--force"]
        run = run_sandboxed(command, cwd=course, env=sandbox_env(scratch, task["threads"]),
                            timeout=task["timeout"], memory_bytes=task["memory"], isolate=task["isolate"])
        states = {}
        for name in expected:
            nb_path, info_path = progress / f"{name}.ipynb", progress / f"{name}.json"
            if info_path.exists() and nb_path.exists():
                states[name] = json.loads(info_path.read_text())
                result["notebooks"][name] = nb_path.read_text(encoding="utf-8")
                states[name]["memory_error"] = _has_memory_error(result["notebooks"][name])
        status, notes, stops = classify(run["returncode"], run["timed_out"], states,
                                        [n for n in expected if n in submitted])
        for stop in stops.values():
            if stop and stop["why"] == "timed out":
                stop["seconds"] = task["timeout"]
        if status == "failed":
            last = [line for line in run["output"].splitlines() if line.strip()][-1:]
            notes.append(f"nbgrader exited with {run['returncode']}: {' '.join(last)[:200]}")
        result.update(status=status, notes=notes, stops=stops, log=run["output"][-8000:],
                      isolation=run["isolation"])
        return result
    finally:
        result["seconds"] = round(time.monotonic() - start, 1)
        shutil.rmtree(scratch, ignore_errors=True)
