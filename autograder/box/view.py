"""The Python a boxed kernel sees: an allowlist, not the grader's environment with holes in it.

The view is the closure of the kernel's requirements (ROOTS) over the installed distributions'
metadata (``importlib.metadata``; markers evaluated for this machine, extras off), each
distribution given by the top-level entries of its RECORD (packages, modules, its .dist-info and
its ``*.libs`` folder of bundled shared libraries), plus the student package's own folder. Not the
distribution that carries the student package when that is the course (an editable or plain
install of fashion-mnist-course must not bring ``course`` or ``autograder`` along), not a .pth
file or an editable finder of anything else, not ``__pycache__``. The box mounts each entry into
the base interpreter's own site-packages folder, so the interpreter starts as it always does and
finds exactly this (autograder/box/command.py).
"""

import importlib.metadata as metadata
import importlib.util
import sys
import sysconfig
from dataclasses import dataclass
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

STUDENT_PACKAGE = "fashion_mnist_student"
# what a notebook's kernel needs: TensorFlow (the CPU build on Linux), Keras, NumPy, Matplotlib
# with the Chinese fonts, and IPython's kernel; their own requirements follow from the metadata
ROOTS = ("tensorflow-cpu", "tensorflow", "keras", "numpy", "matplotlib", "mplfonts", "ipykernel")
NEVER = {"fashion-mnist-course"}   # the course's own distribution, whatever requires it


@dataclass(frozen=True)
class View:
    """{name in site-packages: host path} and where the box's interpreter looks for it."""
    entries: dict[str, Path]
    site_packages: str          # the base interpreter's own site-packages path (in the box)

    def names(self):
        return sorted(self.entries)


def _distribution(name):
    try:
        return metadata.distribution(name)
    except metadata.PackageNotFoundError:
        return None


def closure(roots=ROOTS):
    """The installed distributions the roots need, by canonical name (missing ones left out)."""
    found, todo = {}, list(roots)
    while todo:
        name = canonicalize_name(todo.pop())
        if name in found or name in NEVER:
            continue
        dist = _distribution(name)
        if dist is None:
            continue
        found[name] = dist
        for text in dist.requires or []:
            try:
                requirement = Requirement(text)
            except InvalidRequirement:
                continue
            if requirement.marker is not None and not requirement.marker.evaluate({"extra": ""}):
                continue   # another platform's, or an extra's
            todo.append(requirement.name)
    return found


def _top_level(dist):
    """{top-level name: host path} of a distribution's files in its site-packages folder."""
    base = Path(dist.locate_file("")).resolve()
    record = dist.read_text("RECORD")   # read as text: dist.files parses each of TensorFlow's 20,000 lines
    names = ([line.split(",", 1)[0].strip('"') for line in record.splitlines()] if record
             else [str(file) for file in dist.files or []])
    tops = set()
    for name in names:
        top = name.split("/", 1)[0]
        if top in ("", "..", "__pycache__") or top.endswith(".pth") or top.startswith("__editable__"):
            continue   # scripts in bin/, byte code of other modules, start-up hooks
        tops.add(top)
    return {top: base / top for top in sorted(tops) if (base / top).exists() or (base / top).is_symlink()}


def student_package():
    """The student package's own folder (wherever and however it is installed), or None."""
    spec = importlib.util.find_spec(STUDENT_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0]).resolve()


_SITE = []


def base_site_packages():
    """The first site folder the base interpreter itself reads that exists (a venv's own is not
    used in the box): its own lib/pythonX.Y/site-packages for a Python built from source (pyenv),
    /usr/local/lib/pythonX.Y/dist-packages for Debian's and Ubuntu's /usr/bin/python3, which never
    reads the purelib path sysconfig gives. Asked of that interpreter, isolated (-I), once."""
    if not _SITE:
        import json
        import subprocess
        base = Path(sys.base_prefix).resolve()
        python = base / "bin" / f"python{sys.version_info.major}.{sys.version_info.minor}"
        folders = []
        try:
            done = subprocess.run([str(python), "-I", "-c", "import json, site; print(json.dumps(site.getsitepackages()))"],
                                  capture_output=True, text=True, timeout=60, env={"PATH": "/usr/bin:/bin"})
            folders = json.loads(done.stdout) if done.returncode == 0 else []
        except (OSError, ValueError, subprocess.TimeoutExpired):
            pass
        existing = [f for f in folders if isinstance(f, str) and Path(f).is_dir()]
        _SITE.append(existing[0] if existing else
                     sysconfig.get_path("purelib", vars={"base": sys.base_prefix, "platbase": sys.base_prefix}))
    return _SITE[0]


_BUILT = {}


def current():
    """``build()`` once per search path in this process (a kernel start must not wait for it)."""
    key = tuple(sys.path)
    if key not in _BUILT:
        _BUILT[key] = build()
    return _BUILT[key]


def build(roots=ROOTS):
    entries = {}
    for dist in closure(roots).values():
        entries.update(_top_level(dist))
    package = student_package()
    if package is not None:
        entries[STUDENT_PACKAGE] = package
    return View(entries, base_site_packages())
