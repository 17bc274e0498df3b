"""How each user's single-user server is started.

Students: the student environment's ``jupyterhub-singleuser`` inside a bubblewrap view of the
machine that holds the system (``/usr``, ``/etc``), the student environment (read-only), the
students' Jupyter configuration (read-only), the exchange and the student's own home, and nothing
else: not the checkout (world-readable, with the solutions and the source notebooks), not the
instructor's environment or home, not other students' homes, not the hub's state. Everything the
student's notebooks and terminals start runs in that view. Its network is the machine's (the hub
and the proxy talk to the server over it).

The instructor: the instructor's environment's ``jupyterhub-singleuser`` (the course installed
from its wheel, autograder/hub/envs.py), in their home; grading runs each notebook in the kernel
box (autograder/box).
"""

import os
import pwd
from pathlib import Path

BWRAP = "/usr/bin/bwrap"
MARKER = "FASHION_MNIST_HUB"   # in every server's environment: `hub stop` finds what is left by it


def system_binds() -> list[str]:
    """/usr and /etc read-only, and /bin, /lib, /lib64, /sbin as this machine has them (links into
    /usr on merged-usr systems, folders elsewhere)."""
    args = ["--ro-bind", "/usr", "/usr", "--ro-bind", "/etc", "/etc"]
    for top in ("/bin", "/lib", "/lib64", "/sbin", "/lib32", "/libx32"):
        if os.path.islink(top):
            args += ["--symlink", os.readlink(top), top]
        elif os.path.isdir(top):
            args += ["--ro-bind", top, top]
    return args


def student_command(settings, home: str) -> list[str]:
    env = settings.student_env
    config = str(settings.layout.student_config)
    exchange = str(settings.layout.exchange)
    keras = str(settings.layout.keras)
    return [BWRAP, "--die-with-parent", "--new-session", "--unshare-pid", "--unshare-ipc",
            "--unshare-uts", "--unshare-cgroup-try", *system_binds(),
            "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp", "--tmpfs", "/var", "--tmpfs", "/run",
            "--ro-bind", env, env, "--ro-bind", config, config, "--ro-bind", keras, keras,
            "--bind", exchange, exchange,
            "--bind", home, home, "--chdir", home,
            "--", str(Path(env) / "bin" / "jupyterhub-singleuser")]


def instructor_command(settings) -> list[str]:
    return [str(Path(settings.instructor_env) / "bin" / "jupyterhub-singleuser")]


def environment(settings, username: str) -> dict[str, str]:
    env_root = settings.instructor_env if username == settings.instructor else settings.student_env
    env = {"PATH": f"{env_root}/bin:/usr/local/bin:/usr/bin:/bin", MARKER: settings.root,
           "KERAS_HOME": str(settings.layout.keras),
           "TF_CPP_MIN_LOG_LEVEL": "2", "TF_ENABLE_ONEDNN_OPTS": "0"}
    if username != settings.instructor:
        env["JUPYTER_CONFIG_PATH"] = str(settings.layout.student_config)
        env["SHELL"] = "/bin/bash"   # their account's is nologin (accounts.py); their terminal's is bash
    env.update(settings.extra_env)
    return env


def prepare(settings, spawner) -> None:
    """JupyterHub's pre-spawn hook: the command and environment of ``spawner``'s user."""
    name = spawner.user.name
    if name == settings.instructor:
        spawner.cmd = instructor_command(settings)
    elif name in settings.students:
        spawner.cmd = student_command(settings, pwd.getpwnam(name).pw_dir)
    else:
        raise PermissionError(f"{name} is not in this class")
    spawner.environment.update(environment(settings, name))
