"""The bubblewrap command line of one kernel's box, built from nothing.

The box's root is an empty tmpfs (bwrap's own), made read-only at the end. Into it go, read-only:
the system's programs and libraries (/usr, and /bin, /lib*, /sbin as the host has them: links
under merged /usr, folders otherwise), the dynamic loader's and the fonts' configuration from /etc,
a passwd and group of the box's own (no host user names: a class server's /etc/passwd lists the
class), the base interpreter (its binary, its standard library, libpython), the Python view
(autograder/box/view.py) mounted in the base interpreter's own site-packages, every other
site-packages or dist-packages folder the system shows hidden by an empty tmpfs, the notebook's
folder at /tmp/given, the data set where Keras looks, and the grader's private folder of the
connection file at /box. Writable: a private /tmp of ``disk_gb`` only, where the kernel works in
/tmp/work (a copy of /tmp/given) and binds its IPC sockets (/tmp/.box). No network, its own PID,
IPC, UTS and user namespaces, no capabilities, no further user namespaces, a session of its own;
bwrap ends it when the grader goes (``--die-with-parent``).
"""

import glob
import os
import sys
from pathlib import Path

from .view import View

INSIDE_TMP = "/tmp"
WORK = "/tmp/work"                  # the kernel's working folder: a copy of the notebook's folder
GIVEN = "/tmp/given"                # the notebook's folder, read-only (copied to WORK at the start)
GIVEN_PREFIX = "autograder-given-"  # the host folder a box shows at GIVEN (scratch.private_folder)
HOME = "/tmp/home"
SOCKETS = "/tmp/.box"               # the kernel binds its IPC sockets here
IPC_PREFIX = f"{SOCKETS}/kernel"    # ...as kernel-<port>
GRADER = "/box"                     # the grader's private folder (connection file, passwd), read-only
CONNECTION = f"{GRADER}/connection.json"
STARTUP_NAME = "startup.py"         # in GRADER: what a kernel started ahead runs as it starts
KERAS_HOME = f"{INSIDE_TMP}/keras"  # writable, with the data set's folder read-only inside it
ETC_FILES = ("/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/localtime", "/etc/fonts")
SYSTEM = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")


def data_dir():
    """The host folder of the data set (read-only in the box, where Keras looks)."""
    from fashion_mnist_student.data import keras_dir
    return keras_dir().resolve()


def _system():
    """bwrap arguments for /usr and the top-level folders that are links into it (merged /usr)."""
    args = []
    for path in SYSTEM:
        if os.path.islink(path):
            args += ["--symlink", os.readlink(path), path]
        elif os.path.isdir(path):
            args += ["--ro-bind", path, path]
    for path in ETC_FILES:
        if os.path.exists(path):
            args += ["--ro-bind", path, path]
    return args


def _interpreter():
    """The base interpreter: its binary, standard library and libpython, where it has them."""
    base = Path(sys.base_prefix).resolve()
    if base.is_relative_to("/usr"):
        return []   # in /usr already
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    args = []
    for path in [base / "bin" / version, base / "lib" / version,
                 *sorted(Path(p) for p in glob.glob(str(base / "lib" / "libpython3*")))]:
        if path.exists():
            args += ["--ro-bind", str(path), str(path)]
    return args


def interpreter_path():
    """The base interpreter's binary (the box runs it, never a venv's link to it)."""
    base = Path(sys.base_prefix).resolve()
    return str(base / "bin" / f"python{sys.version_info.major}.{sys.version_info.minor}")


def host_site_folders():
    """Every site-packages or dist-packages folder of the system that the binds above would show."""
    patterns = ["/usr/lib/python3*/site-packages", "/usr/lib/python3*/dist-packages",
                "/usr/local/lib/python3*/site-packages", "/usr/local/lib/python3*/dist-packages",
                "/usr/lib64/python3*/site-packages", "/usr/local/lib64/python3*/site-packages",
                f"{Path(sys.base_prefix).resolve()}/lib/python3*/site-packages"]
    found = {p for pattern in patterns for p in glob.glob(pattern) if os.path.isdir(p)}
    return sorted(found)


def _python(view: View):
    args = []
    for folder in sorted({*host_site_folders(), view.site_packages}):
        args += ["--tmpfs", folder]
    for name, path in sorted(view.entries.items()):
        args += ["--ro-bind", str(path), f"{view.site_packages}/{name}"]
    return args


def environment(threads_env=None):
    """The kernel's whole environment (bwrap --clearenv first): nothing of the grader's."""
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": HOME, "TMPDIR": INSIDE_TMP,
           "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "PYTHONUNBUFFERED": "1",
           "PYTHONDONTWRITEBYTECODE": "1", "PYTHONNOUSERSITE": "1",
           "MPLCONFIGDIR": f"{HOME}/.matplotlib", "KERAS_HOME": KERAS_HOME,
           "JUPYTER_RUNTIME_DIR": f"{HOME}/.jupyter-runtime", "IPYTHONDIR": f"{HOME}/.ipython",
           "TF_CPP_MIN_LOG_LEVEL": "2", "TF_ENABLE_ONEDNN_OPTS": "0",
           # started by a parent (the box's first process): ipykernel prints no connection banner
           "JPY_PARENT_PID": "1"}
    env.update(threads_env or {})
    return env


def argv(bwrap, view: View, given, grader, data, disk_gb, kernel_args, env, network=False, lifeline=None):
    """The bwrap command line: ``kernel_args`` run in /tmp/work, a copy of ``given``.

    ``lifeline``: the read end (an inherited fd) of a pipe whose write end only the grader holds.
    A shell in the box waits on it and, at its end (the grader died), kills everything in the box:
    bwrap binds its box's first process to the grader's life only once it has built the box, and a
    grader killed while it did so left the box running."""
    args = [bwrap, "--unshare-user", "--unshare-pid", "--unshare-ipc", "--unshare-uts",
            "--unshare-cgroup-try", "--disable-userns", "--die-with-parent", "--new-session",
            "--cap-drop", "ALL", "--clearenv"]
    if not network:
        args.append("--unshare-net")
    args += _system()
    args += ["--ro-bind", f"{grader}/passwd", "/etc/passwd", "--ro-bind", f"{grader}/group", "/etc/group",
             "--dev", "/dev", "--proc", "/proc"]
    args += _interpreter() + _python(view)
    args += ["--size", str(int(disk_gb * 1024 ** 3)), "--tmpfs", INSIDE_TMP,
             "--ro-bind", str(given), GIVEN, "--ro-bind", str(grader), GRADER]
    if data is not None and Path(data).is_dir():
        args += ["--ro-bind", str(data), f"{KERAS_HOME}/datasets/{Path(data).name}"]
    # the hiding tmpfs mounts and the root are writable until now: nothing can fill them
    for folder in sorted({*host_site_folders(), view.site_packages}):
        args += ["--remount-ro", folder]
    args += ["--remount-ro", "/"]
    for name, value in env.items():
        args += ["--setenv", name, value]
    watch = (f"(exec 0</proc/self/fd/{int(lifeline)} || exit; read _; kill -KILL -1) 2>/dev/null & "
             if lifeline is not None else "")
    start = (f"{watch}mkdir -p {WORK} {HOME} {SOCKETS} && cp -a {GIVEN}/. {WORK}/ 2>/dev/null; "
             f'cd {WORK} && exec "$@"')
    return [*args, "--chdir", INSIDE_TMP, "--", "/bin/sh", "-c", start, "box", *kernel_args]


def passwd_files(grader):
    """A passwd and a group that name only the box's user (the host's list the class)."""
    uid, gid = os.getuid(), os.getgid()
    name = "root" if uid == 0 else "student"
    (Path(grader) / "passwd").write_text(f"{name}:x:{uid}:{gid}::{HOME}:/bin/sh\n"
                                         "nobody:x:65534:65534::/nonexistent:/usr/sbin/nologin\n")
    group = "root" if gid == 0 else "student"
    (Path(grader) / "group").write_text(f"{group}:x:{gid}:\nnogroup:x:65534:\n")
