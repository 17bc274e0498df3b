"""Limits, the process cap and the machine checks of the box every student kernel runs in.

The box itself is autograder/box (built from nothing: an allowlist Python view, the notebook's
folder, the data set, a private /tmp of ``disk_gb``; no network, its own PID namespace, no
capabilities). This module holds what the box and the class command's worker share: the
``Limits`` of a submission, ``ProcessCap`` (the prlimit launcher and, as root, a pids cgroup),
``run`` (a command under the wall clock and the limits, boxed or not, its peak memory sampled)
and ``problem`` (why no box can be built on this machine). Why bubblewrap and not ``unshare``
plus bind mounts: see autograder/GRADING.md.
"""

import os
import shlex
import shutil
import signal
import subprocess
import tempfile
import time
import uuid
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from . import scratch

INSTALL_HINT = ("install bubblewrap (Debian/Ubuntu: `sudo apt-get install bubblewrap`, Fedora: "
                "`sudo dnf install bubblewrap`; `make setup` does it)")
USERNS_HINT = ("this machine does not let bubblewrap create user namespaces; allow them "
               "(`sudo sysctl kernel.unprivileged_userns_clone=1`, or on Ubuntu 24.04 "
               "`sudo sysctl kernel.apparmor_restrict_unprivileged_userns=0`)")


@dataclass(frozen=True)
class Limits:
    """Everything a submission may use. All of it decides a grade, so it is in the fingerprint."""
    seconds: float = 900          # wall clock for the whole notebook
    memory_gb: float = 6          # address space per process
    disk_gb: float = 2            # the private /tmp, scratch course included
    processes: int = 512          # processes and threads (TensorFlow alone starts dozens)
    open_files: int = 1024
    network: bool = False

    def grade_relevant(self):
        return {"seconds": self.seconds, "memory_gb": self.memory_gb, "disk_gb": self.disk_gb,
                "processes": self.processes, "open_files": self.open_files, "network": self.network}


@dataclass
class Outcome:
    exit_code: int | None          # None: stopped at the wall-clock limit
    peak_memory_mb: float


class SandboxUnavailable(RuntimeError):
    """The box cannot be built here; the message says what is missing and how to fix it."""


def _bwrap():
    return shutil.which("bwrap")


def _prlimit():
    """util-linux's prlimit (every Debian/Ubuntu/Fedora system has it), or a name the shell will
    report as missing."""
    return shutil.which("prlimit") or "prlimit"


def _setpriv():
    """util-linux's setpriv (the same package as prlimit), or a name Popen will report as missing."""
    return shutil.which("setpriv") or "setpriv"


def command(argv, staging, grader, limits: "Limits", env=None):
    """The bwrap command line that runs ``argv`` in a kernel's box, in /tmp/work, a copy of
    ``staging``; ``grader`` is a private folder of the grader's (autograder/box/command.py)."""
    from ..box import command as box
    from ..box import view
    box.passwd_files(grader)
    return box.argv(_bwrap(), view.current(), staging, grader, box.data_dir(), limits.disk_gb, argv,
                    box.environment(env), network=limits.network)


# The cgroup of the run a process belongs to (set by _run in its child's environment): the caps
# made inside that run are named after it, so the run's own end removes those a killed process
# left behind (the kernels' caps of an nbgrader stopped at the whole-notebook limit).
CGROUP_OF = "AUTOGRADER_CGROUP_OF"


@dataclass
class ProcessCap:
    """RLIMIT_NPROC bounds an ordinary user's box; the kernel exempts root from it, so a root
    grader puts each box in a cgroup with pids.max instead. A cap made inside a run's cap (the
    kernels' boxes of the class command's nbgrader) is named after it, and ends with it."""
    limit: int
    cgroup: Path | None = None
    memory_cgroup: Path | None = None   # where available, for an exact peak (shared pages once)

    @staticmethod
    def _cgroup_root():
        for root in (Path("/sys/fs/cgroup/pids"), Path("/sys/fs/cgroup")):
            controllers = root / "cgroup.controllers"
            if (root / "cgroup.procs").exists() and os.access(root, os.W_OK) and (
                    root.name == "pids" or (controllers.exists() and "pids" in controllers.read_text().split())):
                return root
        return None

    def __enter__(self):
        if os.geteuid() == 0:
            root = self._cgroup_root()
            if root is None:
                raise SandboxUnavailable(
                    "running as root, and no writable cgroup with the pids controller to cap the "
                    "number of processes (the kernel exempts root from RLIMIT_NPROC): grade as an "
                    "ordinary user")
            outer = os.environ.get(CGROUP_OF, "")
            prefix = outer if scratch.CAP_NAME.fullmatch(outer) else "autograder"
            name = f"{prefix}-{uuid.uuid4().hex[:12]}"
            self.cgroup = root / name
            scratch.record_cap(self.cgroup)   # ended by the next grading process if this one is killed
            self.cgroup.mkdir()
            (self.cgroup / "pids.max").write_text(str(self.limit))
            memory = Path("/sys/fs/cgroup/memory")
            if memory != root and (memory / "memory.max_usage_in_bytes").exists() and os.access(memory, os.W_OK):
                self.memory_cgroup = memory / name
                scratch.record_cap(self.memory_cgroup)
                self.memory_cgroup.mkdir()
        return self

    def peak_memory(self):
        """Bytes at the peak, counted by the kernel, or None where there is no memory cgroup."""
        try:
            return int((self.memory_cgroup / "memory.max_usage_in_bytes").read_text())
        except (TypeError, OSError, ValueError):
            return None

    def launcher(self, limits: "Limits"):
        """The argv prefix that puts the box in this cap and under ``limits`` before it starts.

        No Python runs between fork and exec (no ``preexec_fn``): the coordinator has threads (one
        per worker, and the gradebook writer), and a forked child that needs a lock another thread
        held at the fork waits forever, and ``Popen`` with it. So a shell writes its own PID into
        the cgroups, then execs util-linux's ``prlimit``, which sets the limits and execs the box.

        It dies with the process that starts it, from the first instruction on: util-linux's
        ``setpriv`` asks for SIGKILL at that process's death (kept across the execs below), and the
        shell, started after that, ends at once if its parent is already another (the grader died
        before ``setpriv`` could ask). bwrap's own ``--die-with-parent`` comes later: a grader
        killed while the chain was starting would otherwise leave a running box behind."""
        memory = int(limits.memory_gb * 1024 ** 3)
        disk = int(limits.disk_gb * 1024 ** 3)
        rlimits = [f"--as={memory}", f"--fsize={disk}", f"--nofile={limits.open_files}", "--core=0"]
        if not self.cgroup:
            rlimits.append(f"--nproc={self.limit}")
        groups = " ".join(shlex.quote(str(g / "cgroup.procs")) for g in (self.cgroup, self.memory_cgroup) if g)
        join = (f'[ "$PPID" = {os.getpid()} ] || exit 125; '
                f'for procs in {groups}; do echo $$ > "$procs" || exit 125; done; exec "$0" "$@"')
        return [_setpriv(), "--pdeathsig", "KILL", "--", "/bin/sh", "-c", join, _prlimit(), *rlimits, "--"]

    def kill_all(self):
        if self.cgroup:
            scratch.kill_members(self.cgroup)

    def __exit__(self, *exc):
        for group in (self.cgroup, self.memory_cgroup):
            if group:   # and the caps made inside it and left behind, deepest first
                scratch.end_cap(group)


def _tree_rss(process):
    import psutil
    total = 0
    try:
        members = [process, *process.children(recursive=True)]
    except psutil.Error:
        return 0
    for member in members:
        try:
            total += member.memory_info().rss
        except psutil.Error:
            pass
    return total


def kill_tree(pid):
    """Kill a process and all its descendants (a kernel starts a session of its own)."""
    import psutil
    try:
        family = [psutil.Process(pid), *psutil.Process(pid).children(recursive=True)]
    except psutil.NoSuchProcess:
        family = []
    for member in family:
        try:
            member.kill()
        except psutil.NoSuchProcess:
            pass
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def run(argv, staging, course, limits: Limits, env, stdout_path, sandboxed=True):
    """Run ``argv`` (in a box unless ``sandboxed`` is False: then in ``staging``, with ``env``),
    under ``limits`` and the wall clock; stdout goes to ``stdout_path``."""
    with tempfile.TemporaryDirectory(prefix="autograder-box-", dir=scratch.folder()) as grader:
        full = command(argv, staging, grader, limits, env) if sandboxed else argv
        return _run(full, staging, limits, env if not sandboxed else {"PATH": "/usr/bin:/bin"}, stdout_path)


def _run(full, staging, limits, env, stdout_path):
    with closing(Running(full, staging, limits, env, stdout_path)) as running:
        return running.wait()


class Running:
    """A command started now under ``limits`` and its own process cap, its output to
    ``stdout_path``; ``wait`` gives its Outcome, stopping it at the wall clock (which counts from
    the start, or from ``restart_clock``: the class command's nbgrader is started before its
    submission is known). ``close`` ends it, its process tree and its cap."""

    def __init__(self, full, staging, limits, env, stdout_path, stdin=subprocess.DEVNULL):
        self.limits = limits
        self._cap = ProcessCap(limits.processes).__enter__()
        try:
            if self._cap.cgroup:
                env = {**env, CGROUP_OF: self._cap.cgroup.name}
            with open(stdout_path, "wb") as out:   # the child keeps its own copy
                self.process = subprocess.Popen([*self._cap.launcher(limits), *full], env=env, stdout=out,
                                                stderr=subprocess.STDOUT, stdin=stdin, cwd=staging,
                                                start_new_session=True)
        except BaseException:
            self._cap.__exit__(None, None, None)
            raise
        self.restart_clock()

    def restart_clock(self):
        self._deadline = time.monotonic() + self.limits.seconds

    def wait(self):
        import psutil
        peak = 0
        watched = psutil.Process(self.process.pid)
        while True:
            try:
                code = self.process.wait(timeout=0.5)
                break
            except subprocess.TimeoutExpired:
                if not self._cap.memory_cgroup:  # the kernel counts it exactly there
                    peak = max(peak, _tree_rss(watched))
                if time.monotonic() > self._deadline:
                    kill_tree(self.process.pid)
                    self.process.wait()
                    code = None
                    break
        # the sampled sum of RSS counts a forked process's shared pages once per process: an
        # upper bound, used only where the kernel's own count is not available
        peak = self._cap.peak_memory() or peak
        return Outcome(code, round(peak / 1024 ** 2, 1))

    def close(self):
        try:
            if self.process.poll() is None:
                kill_tree(self.process.pid)
                self.process.wait()
            if self.process.stdin:
                self.process.stdin.close()
        finally:
            self._cap.__exit__(None, None, None)


def problem(course="."):
    """Why a box cannot be built on this machine, or None when it can."""
    if _bwrap() is None:
        return f"bubblewrap (bwrap) is not installed: {INSTALL_HINT}"
    if shutil.which("prlimit") is None or shutil.which("setpriv") is None:
        return ("util-linux's prlimit or setpriv is not installed (they set each box's limits and "
                "end it with the grader; Debian/Ubuntu: `sudo apt-get install util-linux`)")
    with tempfile.TemporaryDirectory(prefix="autograder-box-", dir=scratch.folder()) as grader:
        probe = subprocess.run(command(["true"], grader, grader, Limits()), capture_output=True,
                               text=True, timeout=60)
    if probe.returncode != 0:
        said = probe.stderr.strip()[-300:]
        hint = USERNS_HINT if ("namespace" in said or "not permitted" in said) else "see autograder/GRADING.md"
        return f"bubblewrap cannot build the box ({said}): {hint}"
    try:
        with ProcessCap(8):
            pass
    except SandboxUnavailable as why:
        return str(why)
    return None
