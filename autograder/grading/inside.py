"""The first process in a submission's box: run nbgrader, then end everything, then report.

    python -m autograder.grading.inside --input IN --work WORK --home HOME --kill-leftovers -- ARGS

Copies the staged scratch course from IN to WORK, runs ``nbgrader ARGS`` there, and when it
returns kills every other process in the box (what the notebook left running: daemons, double
forks), so nothing can change the results while they are read. Then it writes one tar stream to
stdout: manifest.json, the nbgrader log and the executed notebooks plus the files the checks left
for the grader. This process and nbgrader are not dumpable, so the student's kernel (same user)
cannot ptrace them or read their memory.
"""

import argparse
import ctypes
import io
import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import tarfile
from pathlib import Path

PR_SET_DUMPABLE = 4
MANIFEST = "manifest.json"
LOG = "autograde.log"
LOG_KEEP = 200_000          # bytes of the log's end sent back
FILE_KEEP = 64 * 1024 ** 2  # an executed notebook or a hand-over file larger than this is dropped


def not_dumpable():
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)
    except (OSError, AttributeError):
        pass


def kill_leftovers():
    """SIGKILL every process in this PID namespace but this one and its init; return how many."""
    me = os.getpid()
    others = [int(p) for p in os.listdir("/proc") if p.isdigit() and int(p) not in (1, me)]
    alive = []
    for pid in others:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue
        if state != "Z":
            alive.append(pid)
    try:
        os.kill(-1, signal.SIGKILL)  # in a PID namespace: every process in the box except us and init
    except ProcessLookupError:
        pass  # nothing else was running
    return len(alive)


def _regular_file(path):
    """The bytes of ``path`` if it is a regular file (no symlink anywhere) of reasonable size."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        return None
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode) or info.st_size > FILE_KEEP:
            return None
        return handle.read()


FOLDER_KEEP = 64            # files at most from each --keep-dir folder


def _folder_files(out, folders):
    """The names of the regular files directly in each of ``folders`` (no symlinks followed)."""
    names = []
    for folder in folders:
        path = out / folder
        if path.is_symlink() or not path.is_dir():
            continue
        found = sorted(p.name for p in path.iterdir() if p.is_file() and not p.is_symlink())
        names += [f"{folder}/{name}" for name in found[:FOLDER_KEEP]]
    return names


def _add(archive, name, data):
    member = tarfile.TarInfo(name)
    member.size = len(data)
    archive.addfile(member, io.BytesIO(data))


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--input", required=True)
    parser.add_argument("--work", required=True)
    parser.add_argument("--home", required=True)
    parser.add_argument("--output-dir", required=True, help="nbgrader's output folder, relative to WORK")
    parser.add_argument("--keep", action="append", default=[], help="file names to send back")
    parser.add_argument("--keep-dir", action="append", default=[],
                        help="a folder (one level) whose regular files are sent back")
    parser.add_argument("--kill-leftovers", action="store_true")
    parser.add_argument("nbgrader", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    not_dumpable()
    work, given = Path(args.work), Path(args.input)
    shutil.copytree(given / "course", work, dirs_exist_ok=True)
    shutil.copytree(given / "home", args.home, dirs_exist_ok=True)
    given_args = [a for a in args.nbgrader if a != "--"]
    if given_args[:1] == ["nbgrader"]:
        given_args = given_args[1:]
    command = [sys.executable, "-m", "autograder.grading.nbgrader_quiet", *given_args]
    with open(work / LOG, "wb") as log:
        code = subprocess.call(command, cwd=work, stdout=log, stderr=subprocess.STDOUT,
                               stdin=subprocess.DEVNULL)
    # only inside the box's own PID namespace (pid 2 under bwrap's init) is kill(-1) safe
    killed = kill_leftovers() if args.kill_leftovers and os.getpid() <= 3 else 0
    out = work / args.output_dir
    try:
        left = sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file() or p.is_symlink())
    except OSError:
        left = []
    free = shutil.disk_usage(work).free
    manifest = {"exit_code": code, "killed": killed, "files_left": left, "disk_free": free}
    with tarfile.open(fileobj=sys.stdout.buffer, mode="w|") as archive:
        _add(archive, MANIFEST, json.dumps(manifest).encode())
        log_bytes = (work / LOG).read_bytes()
        _add(archive, LOG, log_bytes[-LOG_KEEP:])
        for name in [*args.keep, *_folder_files(out, args.keep_dir)]:
            data = _regular_file(out / name)
            if data is not None:
                _add(archive, f"out/{name}", data)
    return 0


if __name__ == "__main__":
    sys.exit(main())
