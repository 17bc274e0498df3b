"""The grading process's scratch folder: where it puts everything temporary it leaves on the machine.

A process that grades (plain nbgrader, the formgrader's server, the class command's coordinator
and its nbgrader, a Dask worker) makes one folder, ``autograder-run-*`` in the temporary folder
(0700), the first time it needs one, and holds a lock on it (``flock`` on the folder itself, which
systemd-tmpfiles' age-based cleaning also respects) for as long as it lives; if the folder is
removed under it all the same, the next need makes a new one.
The boxes' private folders, the copies of the notebooks' folders, the workers' scratch courses
(each with a copy of the gradebook) go in it, and so do the names of the cgroups it makes.

A process killed with SIGKILL removes none of that, but the kernel drops its lock. So each
process, as it makes its own folder, removes every other one that no process holds: the cgroups
it names (after killing anything left in them) and its files. Nothing of a killed run stays on
the machine past the next grading. The folder appears under its name only once its lock is held
(it is made under another name, locked, then renamed), so a live run's folder is never taken for
a dead one's. A process that ends normally removes its own.
"""

import atexit
import fcntl
import os
import re
import shutil
import signal
import stat
import tempfile
import threading
import time
from pathlib import Path

PREFIX = "autograder-run-"
CAPS = "cgroups"   # one cgroup path per line, as they are made
# the caps' names (sandbox.ProcessCap): autograder-<12 hex>, and -<12 hex> more for each cap made inside
CAP_NAME = re.compile(r"autograder(-[0-9a-f]{12})+")
CGROUP_ROOTS = (Path("/sys/fs/cgroup/pids"), Path("/sys/fs/cgroup/memory"), Path("/sys/fs/cgroup"))

_guard = threading.Lock()
_mine = None   # (folder, lock fd, pid) of this process


def folder(where=None) -> Path:
    """This process's scratch folder, made (and the dead runs' removed) the first time."""
    global _mine
    with _guard:
        if _mine is not None and _mine[2] == os.getpid() and not _mine[0].is_dir():
            os.close(_mine[1])   # removed under this process (a temporary-file cleaner): a new one
            where, _mine = where or _mine[0].parent, None
        if _mine is None or _mine[2] != os.getpid():   # a forked child makes its own
            where = Path(where or tempfile.gettempdir())
            sweep(where)
            making = Path(tempfile.mkdtemp(prefix="autograder-new-", dir=where))
            fd = os.open(making, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
            fcntl.flock(fd, fcntl.LOCK_EX)
            path = where / (PREFIX + making.name.removeprefix("autograder-new-"))
            making.rename(path)
            _mine = (path, fd, os.getpid())
        return _mine[0]


def private_folder(prefix) -> Path:
    """A new 0700 folder in this process's scratch folder."""
    return Path(tempfile.mkdtemp(prefix=prefix, dir=folder()))


def record_cap(group):
    """Note a cgroup this process made, for the sweep should the process be killed."""
    with open(folder() / CAPS, "a", encoding="utf-8") as caps:
        caps.write(f"{group}\n")


def sweep(where):
    """Remove every run folder in ``where`` that no live process holds: its cgroups, its files."""
    for path in Path(where).glob(PREFIX + "*"):
        try:
            info = path.lstat()
        except OSError:
            continue
        if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.geteuid():
            continue
        try:
            fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:   # its process lives
            os.close(fd)
            continue
        try:
            for group in _caps_of(path):
                end_cap(group)
            shutil.rmtree(path, ignore_errors=True)
        finally:
            os.close(fd)


def _caps_of(path):
    try:
        lines = (path / CAPS).read_text(encoding="utf-8").split()
    except OSError:
        return []
    groups = [Path(line) for line in lines]
    return [g for g in groups if g.parent in CGROUP_ROOTS and CAP_NAME.fullmatch(g.name)]


def kill_members(group):
    """SIGKILL every process in the cgroup ``group`` until it is empty (5 s at most)."""
    for _ in range(50):
        try:
            pids = [int(p) for p in (Path(group) / "cgroup.procs").read_text().split()]
        except OSError:
            return
        if not pids:
            return
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        time.sleep(0.1)


def end_cap(group):
    """Kill what is in the cgroup ``group`` and in the caps made inside it, and remove them all,
    deepest first."""
    group = Path(group)
    kill_members(group)   # first: nothing in it makes more caps inside
    for nested in sorted(group.parent.glob(f"{group.name}-*"), key=lambda g: -len(g.name)):
        kill_members(nested)
        _rmdir(nested)
    _rmdir(group)


def _rmdir(group):
    try:
        group.rmdir()
    except OSError:
        pass


def _remove_mine():
    global _mine
    with _guard:
        mine, _mine = _mine, None
    if mine is not None and mine[2] == os.getpid():
        shutil.rmtree(mine[0], ignore_errors=True)
        os.close(mine[1])


atexit.register(_remove_mine)
