"""Start, stop and ask about the class server.

``start`` sets everything up (accounts, environments, exchange, course folder, configuration) and
starts JupyterHub in its own session, its output in state/hub.log; it returns when the hub answers.
``stop`` ends the hub (which stops the users' servers and the proxy), then anything still carrying
the hub's mark (spawn.MARKER in its environment: servers, kernels, terminals), the proxy by its pid
file, and waits until the hub's three ports are free.
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import psutil

from ..student_env import ROOT, student_env
from . import accounts, course, exchange, hubconfig, roster, spawn
from .envs import instructor_env
from .layout import DEFAULT_ROOT, Layout, Settings


class HubError(RuntimeError):
    """The hub cannot start or stop; the message says why and what to do."""


@dataclass(frozen=True)
class Started:
    url: str
    settings: Settings
    new_passwords: tuple = ()
    passwords_file: Path | None = None


@dataclass(frozen=True)
class Stopped:
    ended: tuple[int, ...] = ()
    busy_ports: tuple[int, ...] = ()
    was_running: bool = False

    @property
    def clean(self) -> bool:
        return not self.busy_ports


@dataclass(frozen=True)
class Options:
    root: Path = DEFAULT_ROOT
    port: int = 8000
    ip: str = "0.0.0.0"
    roster: Path = roster.SAMPLE
    instructor: str = "instructor"
    group: str = "fashion-mnist"
    envs: Path | None = None       # default: ROOT/envs (a class's environments are its own)
    extra_env: dict = field(default_factory=dict)


def require_root() -> None:
    if os.geteuid() != 0:
        raise HubError("the class server makes local accounts and starts servers as them: run it as root "
                       "(sudo make hub)")


def proxy_command() -> str:
    local = Path(sys.prefix) / "npm" / "node_modules" / ".bin" / "configurable-http-proxy"
    found = str(local) if local.exists() else shutil.which("configurable-http-proxy")
    if not found:
        raise HubError("configurable-http-proxy is missing: make setup installs it with npm into .venv/npm")
    return found


def port_busy(port: int) -> bool:
    for family, host in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.settimeout(0.5)
            try:
                if probe.connect_ex((host, port)) == 0:
                    return True
            except OSError:
                pass
    return False


def running(layout: Layout) -> int | None:
    try:
        pid = int(layout.pid.read_text().strip())
    except (FileNotFoundError, ValueError):
        return None
    return pid if psutil.pid_exists(pid) and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE else None


def _quiet(message: str) -> None:
    pass


def _prepare(options: Options, students, say=_quiet) -> tuple[Settings, list]:
    layout = Layout(Path(options.root))
    layout.root.mkdir(parents=True, exist_ok=True)
    os.chmod(layout.root, 0o755)
    layout.state.mkdir(exist_ok=True)
    os.chmod(layout.state, 0o700)
    say(f"hub: accounts for {options.instructor} and {len(students)} students (group {options.group})")
    accounts.ensure_group(options.group)
    accounts.ensure_group(exchange.staff_group(options.group))
    made = [name for name in [options.instructor, *[s.username for s in students]]
            if (accounts.ensure_user(name, options.group, "instructor") if name == options.instructor
                else accounts.ensure_user(name, options.group, "student", accounts.NOLOGIN))]
    accounts.add_to_group(options.instructor, exchange.staff_group(options.group))
    fresh = accounts.set_passwords(made)
    accounts.record(layout.passwords, fresh)
    envs = Path(options.envs or layout.root / "envs")
    say(f"hub: the students' and the instructor's environments in {envs} (the first time: a few minutes)")
    student, instructor = student_env(envs), instructor_env(envs)
    instructor_gid = accounts.pwd.getpwnam(options.instructor).pw_gid
    os.chown(instructor.root, 0, instructor_gid)
    os.chmod(instructor.root, 0o750)
    home = Path(accounts.pwd.getpwnam(options.instructor).pw_dir)
    settings = Settings(root=str(layout.root), port=options.port, ip=options.ip,
                        instructor=options.instructor, students=[s.username for s in students],
                        group=options.group, student_env=str(student.root),
                        instructor_env=str(instructor.root), proxy=proxy_command(),
                        course_dir=str(home / "fashion-mnist"), extra_env=dict(options.extra_env))
    exchange.apply(exchange.plan(layout.exchange, settings.course_id, options.instructor, options.group))
    course.provision_data(settings)
    course.write_student_config(settings)
    course.write_instructor_course(settings)
    layout.settings.write_text(settings.dump(), encoding="utf-8")
    layout.hub_config.write_text(hubconfig.config_file(layout.settings), encoding="utf-8")
    return settings, fresh


def start(options: Options, wait: float = 120, say=_quiet) -> Started:
    require_root()
    layout = Layout(Path(options.root))
    if running(layout):
        raise HubError(f"a hub is already running from {layout.root} (python -m autograder hub stop)")
    students = roster.load(options.roster, options.instructor)
    if not os.access(spawn.BWRAP, os.X_OK):
        raise HubError("bubblewrap (/usr/bin/bwrap) is missing: make setup installs it")
    busy = [port for port in (options.port, options.port + 1, options.port + 2) if port_busy(port)]
    if busy:
        raise HubError(f"port(s) {busy} are in use: choose another --port")
    settings, fresh = _prepare(options, students, say)
    say("hub: starting JupyterHub")
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}")
    with open(layout.log, "ab") as log:
        hub = subprocess.Popen([str(Path(sys.executable).parent / "jupyterhub"), "-f", str(layout.hub_config)],
                               cwd=layout.state, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                               env=env, start_new_session=True)
    layout.pid.write_text(f"{hub.pid}\n")
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        if hub.poll() is not None:
            raise HubError(f"JupyterHub exited ({hub.returncode}); the end of {layout.log}:\n{_tail(layout.log)}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{settings.port}/hub/health", timeout=2) as answer:
                if answer.status == 200:
                    break
        except OSError:
            time.sleep(0.5)
    else:
        stop(layout.root)
        raise HubError(f"JupyterHub did not answer within {wait:.0f} s; the end of {layout.log}:\n{_tail(layout.log)}")
    host = "127.0.0.1" if settings.ip in ("127.0.0.1", "localhost") else socket.getfqdn()
    return Started(f"http://{host}:{settings.port}/", settings, tuple(fresh), layout.passwords)


def _tail(path: Path, size: int = 3000) -> str:
    try:
        return path.read_bytes()[-size:].decode("utf-8", "replace")
    except OSError:
        return "(no log)"


def marked(root: str) -> list[psutil.Process]:
    """Processes whose environment carries this hub's mark."""
    found = []
    for process in psutil.process_iter():
        try:
            if process.environ().get(spawn.MARKER) == root:
                found.append(process)
        except (psutil.AccessDenied, psutil.NoSuchProcess, psutil.ZombieProcess, OSError):
            continue
    return found


def _family(pid: int) -> list[psutil.Process]:
    try:
        top = psutil.Process(pid)
        return [top, *top.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def stop(root: Path = DEFAULT_ROOT, grace: float = 20) -> Stopped:
    """Stop the hub of ``root`` and everything it started; safe to call when nothing runs."""
    layout = Layout(Path(root))
    ports = ()
    if layout.settings.exists():
        ports = Settings.load(layout.settings).ports
    hub = running(layout)
    ended = []
    if hub:
        family = _family(hub)
        os.kill(hub, signal.SIGTERM)     # JupyterHub stops the users' servers and the proxy itself
        gone, alive = psutil.wait_procs(family[:1], timeout=grace)
        ended += [p.pid for p in gone]
    leftovers = {p.pid: p for p in [*(_family(hub) if hub else []), *marked(str(layout.root))]}
    try:
        proxy = int((layout.state / "proxy.pid").read_text().strip())
        leftovers.update({p.pid: p for p in _family(proxy)})
    except (FileNotFoundError, ValueError):
        pass
    leftovers.pop(os.getpid(), None)
    for process in leftovers.values():
        try:
            process.terminate()
        except psutil.NoSuchProcess:
            pass
    gone, alive = psutil.wait_procs(list(leftovers.values()), timeout=5)
    for process in alive:
        try:
            process.kill()
        except psutil.NoSuchProcess:
            pass
    psutil.wait_procs(alive, timeout=5)
    ended += [p.pid for p in leftovers.values()]
    for name in ("proxy.pid", "jupyterhub.pid", "hub.pid"):
        (layout.state / name).unlink(missing_ok=True)
    deadline = time.monotonic() + 10
    busy = [port for port in ports if port_busy(port)]
    while busy and time.monotonic() < deadline:
        time.sleep(0.2)
        busy = [port for port in ports if port_busy(port)]
    return Stopped(tuple(sorted(set(ended))), tuple(busy), bool(hub))
