"""BoxedKernelManager: jupyter_client's kernel manager with the kernel started in a box.

Whoever runs nbclient (plain `nbgrader autograde`, the formgrader, the class command's workers)
gets the same box (autograder/box/command.py), because GradingExecute asks for this manager.

The kernel talks to the grader over IPC sockets, not TCP: it binds them in its own /tmp (a
tmpfs of the box), and the grader connects through ``/proc/<pid>/root/tmp/.box/kernel-<port>``
of a process in the box, which reaches the box's files across its network namespace. So the box
needs no network at all (not even loopback that other processes on the machine share), and
nothing the kernel can write lies on the host's disk. Before connecting the grader checks, with
no link followed, that each path is a socket, and puts zmq's reconnection an hour away: the grader
connects once, before any student code ran, and never again to whatever the kernel might put
there later. The connection file lies in a private 0700 folder of the grader, mounted read-only.

A dead kernel's box is gone with it: nbclient makes a new manager for the restart, so the next
kernel starts in a fresh box.
"""

import asyncio
import os
import shutil
from pathlib import Path

import zmq
from jupyter_client.manager import AsyncKernelManager
from traitlets import Any, Dict, Unicode, default

from ..grading import scratch
from ..grading.sandbox import Limits, ProcessCap, SandboxUnavailable, kill_tree
from . import command, pull, view

START_SECONDS = 60        # for the kernel's sockets to appear
# ZeroMQ reconnects a broken connection after this long: an hour, longer than any notebook may
# run. Not -1 ("never"): on a broken connection that value makes the grader's own thread process
# an end-of-endpoint command inside recv, and once, under load, right after a kernel died in the
# box, libzmq aborted the grading process there (SIGABRT in recv_multipart, tests/test_execute.py).
RECONNECT_MS = 3_600_000


class BoxedKernelManager(AsyncKernelManager):
    """A kernel in a box of its own: ``given`` (a host folder) copied to its /tmp/work."""

    given = Unicode("", help="host folder the kernel gets a copy of, as its working folder")
    limits = Any(None, help="autograder.grading.sandbox.Limits (memory, disk, processes, files)")
    kernel_env = Dict(help="extra environment of the kernel (thread pools)")
    startup_code = Unicode("", help="Python the kernel runs as it starts, before it answers any "
                                    "request (a kernel started ahead: the training seed's preamble)")
    label = Unicode("", help="set as AUTOGRADER_BOX_OF in bwrap's own environment (not the kernel's: "
                             "--clearenv), so the grader's tests can tell whose box a process is")

    @default("transport")
    def _transport_default(self):
        return "ipc"

    # --- start ---------------------------------------------------------------------------

    def _limits(self):
        return self.limits if isinstance(self.limits, Limits) else Limits()

    async def _async_pre_start_kernel(self, **kw):
        limits = self._limits()
        bwrap = shutil.which("bwrap")
        if bwrap is None:
            raise SandboxUnavailable("bubblewrap (bwrap) is not installed")
        given = Path(self.given or kw.get("cwd") or ".").resolve()
        self._grader = scratch.private_folder("autograder-box-")
        command.passwd_files(self._grader)
        self.connection_file = str(self._grader / "connection.json")
        self.transport, self.ip = "ipc", command.IPC_PREFIX
        self._box_pid = None
        # the box's lifeline (command.argv): the box gets the read end, only this process the write end
        self._lifeline_in, self._lifeline = os.pipe()
        self._cap = ProcessCap(limits.processes).__enter__()
        kw["cwd"] = str(self._grader)
        kw["env"] = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "AUTOGRADER_BOX_OF": self.label}
        _, kw = await super()._async_pre_start_kernel(**kw)
        kw["pass_fds"] = (self._lifeline_in,)   # jupyter_client hands its keywords to Popen
        self.kernel_spec.interrupt_mode = "message"   # a signal would stop at bwrap
        kernel = [command.interpreter_path(), "-m", "ipykernel_launcher", "-f", command.CONNECTION]
        if self.startup_code:   # in the grader's private folder, read-only in the box
            (self._grader / command.STARTUP_NAME).write_text(self.startup_code, encoding="utf-8")
            kernel.append(f"--IPKernelApp.exec_files={command.GRADER}/{command.STARTUP_NAME}")
        argv = command.argv(bwrap, view.current(), given, self._grader, command.data_dir(), limits.disk_gb,
                            kernel, command.environment(self.kernel_env), network=limits.network,
                            lifeline=self._lifeline_in)
        return [*self._cap.launcher(limits), *argv], kw

    def _find_box_pid(self):
        """A process in the box: bwrap's child, the box's first process."""
        import psutil
        try:
            children = psutil.Process(self.provisioner.process.pid).children()
        except (psutil.Error, AttributeError):
            return None
        return children[0].pid if children else None

    def root(self):
        """``/proc/<pid>/root`` of the box, or None once it is gone."""
        return f"/proc/{self._box_pid}/root" if self._box_pid else None

    async def _async_launch_kernel(self, kernel_cmd, **kw):
        try:
            await super()._async_launch_kernel(kernel_cmd, **kw)
        finally:
            _close(self, "_lifeline_in")   # the box has its own copy
        names = [f"{command.IPC_PREFIX}-{port}" for port in
                 (self.shell_port, self.iopub_port, self.stdin_port, self.hb_port, self.control_port)]
        loop = asyncio.get_running_loop()
        deadline = loop.time() + START_SECONDS
        while True:
            if self.provisioner.process.poll() is not None:
                raise RuntimeError("the kernel's box ended before the kernel started "
                                   f"(exit code {self.provisioner.process.poll()})")
            self._box_pid = self._box_pid or self._find_box_pid()
            if self._box_pid and all(pull.is_socket(self.root(), name) for name in names):
                break
            if loop.time() > deadline:
                raise TimeoutError(f"the kernel's sockets did not appear within {START_SECONDS} s")
            await asyncio.sleep(0.05)
        self.ip = f"{self.root()}{command.IPC_PREFIX}"
        self.context.setsockopt(zmq.RECONNECT_IVL, RECONNECT_MS)

    def client(self, **kwargs):
        kc = super().client(**kwargs)
        kc.context.setsockopt(zmq.RECONNECT_IVL, RECONNECT_MS)   # connect once, in practice never again
        return kc

    # --- while it runs -------------------------------------------------------------------

    def pull(self, inside, names, target, **caps):
        """Copy the files ``names`` of the box's folder ``inside`` into the host folder ``target``."""
        root = self.root()
        if root is None or not self.provisioner or self.provisioner.process.poll() is not None:
            return []
        return pull.pull(root, inside, names, target, **caps)

    # --- end -----------------------------------------------------------------------------

    def cleanup_ipc_files(self):
        """Nothing: the sockets are in the box's /tmp, which ends with it (and a path through
        /proc/<pid>/root must not be acted on once the kernel could have changed it)."""

    async def _async_cleanup_resources(self, restart=False):
        process = getattr(self.provisioner, "process", None) if self.provisioner else None
        if process is not None and process.poll() is None:
            kill_tree(process.pid)
        try:
            await super()._async_cleanup_resources(restart=restart)
        finally:
            _close(self, "_lifeline_in")
            _close(self, "_lifeline")   # after the kill: a box still running would end itself
            cap = getattr(self, "_cap", None)
            if cap is not None:
                cap.__exit__(None, None, None)
                self._cap = None
            grader = getattr(self, "_grader", None)
            if grader is not None:
                shutil.rmtree(grader, ignore_errors=True)
                self._grader = None

    # jupyter_client's AsyncKernelManager binds ``cleanup_resources`` to the base class's function,
    # so what nbclient calls when it finds the kernel dead would skip the box's own end above (its
    # cgroups and its private folder, with the connection file, stayed behind once per dead kernel)
    cleanup_resources = _async_cleanup_resources


def _close(manager, name):
    fd = getattr(manager, name, None)
    if fd is not None:
        setattr(manager, name, None)
        try:
            os.close(fd)
        except OSError:
            pass
