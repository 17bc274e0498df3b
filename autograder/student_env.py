"""The student's environment: a virtual environment holding exactly what the student bundle installs.

One environment serves everything that must run as a student would: the book's chapter notebooks
(tests/test_book_notebooks.py), the students' servers of a class hub (``python -m autograder hub``),
a student's ``nbgrader validate`` (tests/test_student_bundle.py) and the check that the course
installs as a package. It is made as the English bundle's README tells a student: the zip unpacked,
a new venv, ``pip install -r requirements.txt`` in the bundle's folder (the student package's wheel
and the versions the course grades with: TensorFlow, Keras, NumPy, Matplotlib, ipykernel, nbgrader,
JupyterLab), with ``jupyterhub`` on the same command so that a hub can start a student's server from
it. Nothing of ``course`` or ``autograder`` is in it.

It is built with a system interpreter every user may run (``/usr/bin/python3.11`` where there is
one: a hub's students cannot reach a Python under root's home), in a folder every user may read
(``/var/tmp/fashion-mnist-envs/<checkout>``, or ``$FASHION_MNIST_ENVS``), and built once per
requirements: a marker file holds the hash of the pins it was built with (a change rebuilds it; pip's
own cache makes that about a minute), another the student package's (a change reinstalls only its
wheel, in seconds), and a lock file keeps two test workers from building it at the same time.
"""

import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from . import bundle

from .paths import ROOT  # noqa: E402 (one place for paths: autograder/paths.py)
MARKER = "fashion-mnist-env.sha256"            # the pins the environment was built with
PACKAGE_MARKER = "fashion-mnist-student.sha256"  # the student package installed in it
HUB_EXTRA = ("jupyterhub",)   # the single-user server a hub starts (jupyterhub-singleuser)


class EnvError(RuntimeError):
    """The environment could not be built; the message says what pip said."""


@dataclass(frozen=True)
class Env:
    """A built environment: its folder and its interpreter."""
    root: Path

    @property
    def python(self) -> Path:
        return self.root / "bin" / "python"

    @property
    def bin(self) -> Path:
        return self.root / "bin"


def envs_root() -> Path:
    given = os.environ.get("FASHION_MNIST_ENVS")
    if given:
        return Path(given)
    checkout = hashlib.sha256(str(ROOT).encode()).hexdigest()[:12]
    return Path("/var/tmp/fashion-mnist-envs") / checkout


def base_python() -> str:
    """An interpreter of the course's Python version that every user can run."""
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    for candidate in (f"/usr/bin/{version}", f"/usr/local/bin/{version}"):
        if os.access(candidate, os.X_OK):
            return candidate
    return sys.executable


def pinned(names, requirements: Path = ROOT / "requirements.txt") -> list[str]:
    """The lines of requirements.txt that pin ``names`` (one each; EnvError when one is missing)."""
    found = {}
    for line in requirements.read_text(encoding="utf-8").splitlines():
        requirement = line.split("#", 1)[0].strip()
        name = requirement.split("==", 1)[0].split(";", 1)[0].strip().lower()
        if name in names and "==" in requirement:
            found[name] = requirement
    missing = [name for name in names if name not in found]
    if missing:
        raise EnvError(f"{requirements} pins none of {missing}")
    return [found[name] for name in names]


def _pins() -> list[str]:
    return pinned(HUB_EXTRA)


def _run(step, cwd) -> None:
    done = subprocess.run(step, cwd=cwd, capture_output=True, text=True)
    if done.returncode != 0:
        raise EnvError(f"{' '.join(map(str, step))} failed:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")


def _build(target: Path, python: str) -> None:
    """A new venv, set up as the English bundle's README tells a student: the zip unpacked, then
    ``pip install -r requirements.txt`` in its folder (with the hub's ``jupyterhub`` on the same
    command line, so pip resolves them together)."""
    with tempfile.TemporaryDirectory(prefix="student-env-") as scratch:
        try:
            zipped = bundle.bundle("fashion_mnist_en", Path(scratch) / "dist")
        except bundle.BundleError as error:
            raise EnvError(f"the student bundle could not be made: {error}") from error
        with zipfile.ZipFile(zipped) as archive:
            archive.extractall(scratch)
        folder = Path(scratch) / "fashion_mnist_en"
        shutil.rmtree(target, ignore_errors=True)
        pip = [str(target / "bin" / "python"), "-m", "pip", "install", "-q"]
        for step in ([python, "-m", "venv", str(target)], [*pip, "--upgrade", "pip"],
                     [*pip, "-r", "requirements.txt", *_pins()]):
            _run(step, folder)


def _reinstall_package(target: Path) -> None:
    """Only the student package changed: its new wheel over the old one (seconds, not minutes)."""
    with tempfile.TemporaryDirectory(prefix="student-env-") as scratch:
        wheel = bundle.build_wheel(Path(scratch))
        _run([str(target / "bin" / "python"), "-m", "pip", "install", "-q", "--no-deps", "--force-reinstall",
              str(wheel)], scratch)


def pins_fingerprint(python: str) -> str:
    """What decides the environment's third-party packages: the interpreter and the pins."""
    digest = hashlib.sha256(python.encode())
    digest.update((ROOT / "requirements.txt").read_bytes())
    digest.update(bundle.requirements("fashion_mnist_student.whl", "en").encode())   # what the bundle installs
    digest.update("\n".join(_pins()).encode())
    return digest.hexdigest()


def package_fingerprint() -> str:
    """What decides the student package in it: its files and the threshold written into its wheel."""
    from .threshold import threshold
    digest = hashlib.sha256(repr(threshold()).encode())
    package = ROOT / "course" / "student-package"
    for path in sorted(package.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts and ".egg-info" not in str(path):
            digest.update(str(path.relative_to(package)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def fingerprint(python: str) -> str:
    """What decides the environment's contents: the interpreter, the pins, the student package."""
    return hashlib.sha256((pins_fingerprint(python) + package_fingerprint()).encode()).hexdigest()


def student_env(root: Path | None = None) -> Env:
    """The student environment under ``root`` (default ``envs_root()``), built if it is missing or
    its pins changed, its student package reinstalled if only that changed. Safe to call from
    several processes at once."""
    root = Path(root or envs_root())
    root.mkdir(parents=True, exist_ok=True)
    os.chmod(root, 0o755)
    env = Env(root / "student")
    python = base_python()
    pins, package = pins_fingerprint(python), package_fingerprint()
    with open(root / "student.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        pins_marker, package_marker = env.root / MARKER, env.root / PACKAGE_MARKER
        if not (pins_marker.is_file() and pins_marker.read_text().strip() == pins and env.python.exists()):
            _build(env.root, python)
        elif not (package_marker.is_file() and package_marker.read_text().strip() == package):
            _reinstall_package(env.root)
        else:
            return env
        pins_marker.write_text(pins + "\n")
        package_marker.write_text(package + "\n")
    return env


def main(argv=None) -> int:
    env = student_env()
    print(env.python)
    return 0


if __name__ == "__main__":
    sys.exit(main())
