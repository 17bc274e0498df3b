"""The instructor's environment: the course installed as a package, non-editable, from its wheel.

Students' servers run in the student environment (autograder/student_env.py: the student package,
nothing of ``course`` or ``autograder``). The instructor's server needs the grader: a virtual
environment next to the student one (``<envs root>/instructor``), built from the same system
interpreter with the pins of requirements.txt (the book's and the tests' tools are elsewhere) and
the course's wheel (``pip wheel --no-deps`` of the checkout, installed with ``--no-deps``). The
hub makes it readable by the instructor's group only (0750), since it holds the solutions
(``course.reference``). Rebuilt when the pins change; the wheel alone is reinstalled when the
course's code changes.
"""

import fcntl
import hashlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from ..student_env import ROOT, Env, EnvError, base_python, envs_root, pinned

PINS_MARKER = "fashion-mnist-pins.sha256"
CODE_MARKER = "fashion-mnist-code.sha256"


def grading_requirements(requirements: Path = ROOT / "requirements.txt") -> list[str]:
    """The pins of requirements.txt: what the course grades with (the book's and the tests' tools
    are in requirements-dev.txt)."""
    kept = [line.split("#", 1)[0].strip() for line in requirements.read_text(encoding="utf-8").splitlines()]
    pinned(["jupyterhub"], requirements)
    return [requirement for requirement in kept if requirement]


def code_fingerprint(root: Path = ROOT) -> str:
    digest = hashlib.sha256((root / "pyproject.toml").read_bytes())
    for top in ("course", "autograder"):
        for path in sorted((root / top).rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts and ".egg-info" not in str(path):
                digest.update(str(path.relative_to(root)).encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()


def stage_source(target: Path, root: Path = ROOT) -> Path:
    """A copy of what the course's wheel is built from (pip builds in the tree it is given: not in
    the checkout, which must not gain build/ folders)."""
    target.mkdir(parents=True)
    skip = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", "build", "dist")
    for name in ("pyproject.toml", "setup.cfg", "setup.py", "MANIFEST.in", "README.md", "LICENSE"):
        if (root / name).is_file():
            shutil.copy(root / name, target / name)
    for top in ("course", "autograder"):
        shutil.copytree(root / top, target / top, ignore=skip)
    return target


def _run(step, cwd):
    done = subprocess.run(step, cwd=cwd, capture_output=True, text=True)
    if done.returncode != 0:
        raise EnvError(f"{' '.join(map(str, step))} failed:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")


def instructor_env(root: Path | None = None) -> Env:
    """The instructor's environment under ``root`` (default: the student environment's root),
    built or brought up to date. Safe to call from several processes at once."""
    root = Path(root or envs_root())
    root.mkdir(parents=True, exist_ok=True)
    env = Env(root / "instructor")
    python = base_python()
    requirements = grading_requirements()
    pins = hashlib.sha256("\n".join([python, *requirements]).encode()).hexdigest()
    code = code_fingerprint()
    with open(root / "instructor.lock", "w") as lock, tempfile.TemporaryDirectory(prefix="instructor-env-") as scratch:
        fcntl.flock(lock, fcntl.LOCK_EX)
        pins_marker, code_marker = env.root / PINS_MARKER, env.root / CODE_MARKER
        fresh = not (pins_marker.is_file() and pins_marker.read_text().strip() == pins and env.python.exists())
        if fresh:
            shutil.rmtree(env.root, ignore_errors=True)
            listed = Path(scratch) / "requirements.txt"
            listed.write_text("\n".join(requirements) + "\n", encoding="utf-8")
            _run([python, "-m", "venv", str(env.root)], scratch)
            os.chmod(env.root, 0o700)   # the hub opens it to the instructor's group
            _run([env.python, "-m", "pip", "install", "-q", "--upgrade", "pip"], scratch)
            _run([env.python, "-m", "pip", "install", "-q", "-r", str(listed)], scratch)
            # see tools/setup.sh: 1.5-2 s of start-up in every nbgrader process
            subprocess.run([env.python, "-m", "pip", "uninstall", "-q", "-y", "rfc3987-syntax"],
                           capture_output=True)
            pins_marker.write_text(pins + "\n")
        if fresh or not (code_marker.is_file() and code_marker.read_text().strip() == code):
            source = stage_source(Path(scratch) / "source")
            _run([env.python, "-m", "pip", "wheel", "--no-deps", "-q", "--wheel-dir", scratch, str(source)], scratch)
            wheels = sorted(Path(scratch).glob("fashion_mnist_course-*.whl"))
            if len(wheels) != 1:
                raise EnvError(f"pip wheel of {ROOT} gave {[w.name for w in wheels]}")
            _run([env.python, "-m", "pip", "install", "-q", "--no-deps", "--force-reinstall", str(wheels[0])], scratch)
            code_marker.write_text(code + "\n")
    return env
