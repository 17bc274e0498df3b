"""Run one submission's grader sandboxed: a wall-clock cap for the whole process tree, a memory
cap, no network, and TensorFlow's thread pools sized to the worker.

The command runs as ``unshare [--user --map-root-user] --net --pid --fork --kill-child
python -m autograder.classgrade.isolation --limit-as BYTES --lo -- CMD...``:

* a new network namespace has only a loopback interface, which this module brings up (the kernel
  talks to nbgrader over 127.0.0.1), so student code reaches nothing else;
* a new PID namespace: when its first process dies, Linux kills everything in it, including the
  Jupyter kernel (which jupyter_client starts in a session of its own, out of our process group);
* ``RLIMIT_AS`` caps each process's address space (TensorFlow runs the assignment in ~3 GB of
  virtual memory, see GRADING.md), ``RLIMIT_FSIZE`` any file it writes.

When neither ``unshare`` form works (a container without the privilege, no user namespaces), the
command runs without network isolation and :func:`network_isolation` says why.
"""

import argparse
import collections
import ctypes
import fcntl
import functools
import os
import resource
import shutil
import signal
import socket
import struct
import subprocess
import sys
import threading
import time

import psutil

AS_ROOT = ["--net", "--pid", "--fork", "--kill-child"]
AS_USER = ["--user", "--map-root-user", "--net", "--pid", "--fork", "--kill-child"]
MAX_FILE_BYTES = 2 * 1024**3
PR_SET_PDEATHSIG = 1
RUNNING = set()  # sandboxes started by this process, for kill_all() on an interrupt


def thread_env(threads):
    """Environment variables sizing TensorFlow's and the BLAS libraries' thread pools."""
    threads = str(max(1, int(threads)))
    return {"TF_NUM_INTRAOP_THREADS": threads, "TF_NUM_INTEROP_THREADS": threads,
            "OMP_NUM_THREADS": threads, "OPENBLAS_NUM_THREADS": threads, "MKL_NUM_THREADS": threads}


def threads_per_worker(workers, cores=None):
    return max(1, (cores or os.cpu_count() or 1) // max(1, workers))


def bring_up_loopback():
    """``ip link set lo up`` without needing iproute2."""
    SIOCGIFFLAGS, SIOCSIFFLAGS, IFF_UP = 0x8913, 0x8914, 0x1
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        request = struct.pack("16sH14s", b"lo", 0, b"")
        flags = struct.unpack("16sH14s", fcntl.ioctl(sock, SIOCGIFFLAGS, request))[1]
        if not flags & IFF_UP:
            fcntl.ioctl(sock, SIOCSIFFLAGS, struct.pack("16sH14s", b"lo", flags | IFF_UP, b""))


def _probe():
    """Inside the namespaces: loopback works, and the outside world is unreachable."""
    bring_up_loopback()
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    socket.create_connection(server.getsockname(), timeout=5).close()
    try:
        socket.create_connection(("1.1.1.1", 53), timeout=2).close()
    except OSError:
        print("isolated")
    else:
        print("network reachable")


@functools.lru_cache(maxsize=None)
def network_isolation():
    """(unshare prefix or None, a sentence saying what student code runs under)."""
    unshare = shutil.which("unshare")
    if unshare is None:
        return None, "no network isolation: `unshare` (util-linux) is not installed"
    tried = []
    for flags in ([AS_ROOT] if os.geteuid() == 0 else []) + [AS_USER]:
        command = [unshare, *flags, sys.executable, "-m", "autograder.classgrade.isolation", "--probe"]
        try:
            result = subprocess.run(command, capture_output=True, text=True, timeout=60)
        except (OSError, subprocess.TimeoutExpired) as error:
            tried.append(f"{' '.join(command[:len(flags) + 1])}: {error}")
            continue
        if result.returncode == 0 and result.stdout.strip() == "isolated":
            how = "root" if flags is AS_ROOT else "an unprivileged user namespace"
            return [unshare, *flags], f"no network (unshare --net, {how}), own PID namespace"
        reason = (result.stderr.strip().splitlines() or [result.stdout.strip()])[-1:]
        tried.append(f"unshare {' '.join(flags)}: {' '.join(reason) or result.returncode}")
    return None, "no network isolation (" + "; ".join(tried) + ")"


def _die_with_parent():
    """In the child before exec: die if the worker that started us dies; own session."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        pass


def kill_tree(process):
    """SIGKILL a process, its process group and every descendant (kernels have their own session)."""
    try:
        descendants = psutil.Process(process.pid).children(recursive=True)
    except psutil.Error:
        descendants = []
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except OSError:
        pass
    for child in descendants:
        try:
            child.kill()
        except psutil.Error:
            pass
    psutil.wait_procs(descendants, timeout=10)


def kill_all():
    for process in list(RUNNING):
        kill_tree(process)


class _Tail:
    """Keep only the last ``limit`` bytes of a stream (a flooding notebook can't fill memory or disk)."""

    def __init__(self, stream, limit=64 * 1024):
        self.chunks, self.size, self.limit, self.total = collections.deque(), 0, limit, 0
        self.thread = threading.Thread(target=self._drain, args=(stream,), daemon=True)
        self.thread.start()

    def _drain(self, stream):
        for chunk in iter(lambda: stream.read1(65536), b""):
            self.chunks.append(chunk)
            self.size += len(chunk)
            self.total += len(chunk)
            while self.size > self.limit and len(self.chunks) > 1:
                self.size -= len(self.chunks.popleft())

    def text(self):
        self.thread.join(timeout=5)
        return b"".join(self.chunks)[-self.limit:].decode("utf-8", "replace")


def run_sandboxed(command, *, cwd, env, timeout, memory_bytes, isolate=True):
    """Run ``command`` under the sandbox; return returncode, timed_out, seconds, output (tail), isolation."""
    prefix, isolation = network_isolation() if isolate else (None, "isolation disabled")
    inner = [sys.executable, "-m", "autograder.classgrade.isolation"]
    if memory_bytes:
        inner += ["--limit-as", str(int(memory_bytes))]
    if prefix:
        inner.append("--lo")
    full = [*(prefix or []), *inner, "--", *command]
    start = time.monotonic()
    process = subprocess.Popen(full, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, start_new_session=True, preexec_fn=_die_with_parent)
    RUNNING.add(process)
    tail = _Tail(process.stdout)
    timed_out = False
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
    finally:
        if timed_out or process.poll() is None:
            kill_tree(process)
        process.wait()
        RUNNING.discard(process)
    return {"returncode": process.returncode, "timed_out": timed_out,
            "seconds": time.monotonic() - start, "output": tail.text(), "isolation": isolation}


def main(argv=None):
    parser = argparse.ArgumentParser(description="sandbox entry point (inside the namespaces)")
    parser.add_argument("--probe", action="store_true")
    parser.add_argument("--lo", action="store_true", help="bring the loopback interface up")
    parser.add_argument("--limit-as", type=int, default=0, help="RLIMIT_AS in bytes")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    if args.probe:
        return _probe()
    if args.lo:
        bring_up_loopback()
    if args.limit_as:
        resource.setrlimit(resource.RLIMIT_AS, (args.limit_as, args.limit_as))
    resource.setrlimit(resource.RLIMIT_FSIZE, (MAX_FILE_BYTES, MAX_FILE_BYTES))
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    os.execvp(command[0], command)


if __name__ == "__main__":
    main()
