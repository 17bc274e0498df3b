"""What there is to grade: the submissions, and fingerprints of exactly what decides a grade."""

import ast
import functools
import hashlib
import json
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path

from .. import paths
from .coursedir import Course
from .sandbox import Limits

ROOT = paths.ROOT
# where the course's own importable packages live (the student package is installed from its folder)
PACKAGES = paths.PACKAGES     # in a checkout or installed (autograder/paths.py)
# what grades, wherever it is imported from: the worker and what runs in its box, and the one
# writer (its replayed autograde pipeline). The course's nbgrader_config.py adds its preprocessors
# (the judges among them) and the source notebook the modules its cells import (the probes); each module adds what
# it imports (statically, or by name in a string, as importlib and nbgrader's config do).
GRADING_ROOTS = ("autograder.grading.worker", "autograder.grading.gradebook")
DATA_SUFFIXES = {".json"}      # data beside a grading module (calibration.json: the threshold)
SKIP_PARTS = {"__pycache__", ".ipynb_checkpoints"}
MAX_NOTEBOOK_BYTES = 32 * 1024 ** 2   # a notebook larger than this is refused (clear its outputs)
MAX_FILE_BYTES = 64 * 1024 ** 2       # any other submitted file larger than this is left out
MAX_SUBMISSION_BYTES = 256 * 1024 ** 2  # a submission larger than this in all is not graded
MODULE_NAME = re.compile(r"^[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)*$")


def folder_files(folder, suffixes=None):
    """{relative path: bytes} of every regular file under ``folder``, in a stable order (symbolic
    links are left out: jobs.refused_files names them)."""
    folder = Path(folder)
    return {str(p.relative_to(folder)): p.read_bytes()
            for p in sorted(folder.rglob("*"))
            if not p.is_symlink() and p.is_file() and not SKIP_PARTS & set(p.parts)
            and (suffixes is None or p.suffix in suffixes)}


def fingerprint(*file_maps):
    digest = hashlib.sha256()
    for files in file_maps:
        for name, data in sorted(files.items()):
            digest.update(name.encode() + b"\0" + hashlib.sha256(data).digest())
    return digest.hexdigest()


# --- the grading code: modules reached from the grading roots --------------------------------

def module_file(name, root=None):
    """The file of a course module ``a.b.c`` (a .py or a package's __init__.py), or None."""
    root = Path(root or ROOT)
    top, *rest = name.split(".")
    if top not in PACKAGES:
        return None
    base = root / PACKAGES[top]
    for candidate in (base.joinpath(*rest).with_suffix(".py") if rest else None,
                      base.joinpath(*rest, "__init__.py")):
        if candidate is not None and candidate.is_file():
            return candidate
    return None


def _package_of(name, path):
    return name if path.name == "__init__.py" else name.rpartition(".")[0]


def _imported(name, path):
    """Module names ``path`` (module ``name``) imports, or names in a string, candidates all."""
    return _imported_by_source(_package_of(name, path), path.read_bytes())


@functools.lru_cache(maxsize=1024)  # keyed by the source itself: a changed file is parsed again
def _imported_by_source(package, source):
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return frozenset()
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = ".".join(package.split(".")[:len(package.split(".")) - node.level + 1])
                base = f"{base}.{node.module}" if node.module else base
            else:
                base = node.module or ""
            found.add(base)
            found |= {f"{base}.{alias.name}" for alias in node.names}   # `from pkg import module`
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and MODULE_NAME.match(node.value):
            found.add(node.value)
    return frozenset(found)


def _with_parents(name):
    parts = name.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts) + 1)]


def grading_modules(roots, root=None):
    """{module name: file} of the course modules reached from ``roots`` (each with its packages)."""
    seen, todo = {}, [n for name in roots for n in _with_parents(name)]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        path = module_file(name, root)
        if path is None:
            continue
        seen[name] = path
        todo += [n for found in _imported(name, path) for n in _with_parents(found) if n not in seen]
    return seen


def notebook_imports(folder):
    """Module names the code cells of the notebooks in ``folder`` import."""
    import nbformat
    found = set()
    for path in sorted(Path(folder).glob("*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            if cell.cell_type != "code":
                continue
            code = "\n".join(line for line in cell.source.splitlines() if not line.lstrip().startswith(("%", "!")))
            try:
                tree = ast.parse(code)
            except SyntaxError:
                continue
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    found |= {alias.name for alias in node.names}
                elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                    found |= {node.module, *(f"{node.module}.{alias.name}" for alias in node.names)}
    return found


AUTOGRADE_SETTINGS = ("sanitize_preprocessors", "autograde_preprocessors")   # of nbgrader's Autograde


def configured_modules(course):
    """Module names of the preprocessors the course's nbgrader configuration gives autograde (the
    feedback page's exporter and preprocessors decide no grade: they are not followed)."""
    from .gradebook import course_config
    settings = course_config(course).Autograde
    names = set()
    for setting in AUTOGRADE_SETTINGS:
        for item in settings.get(setting, None) or []:
            value = item if isinstance(item, str) else f"{item.__module__}.{item.__qualname__}"
            names |= {value, value.rpartition(".")[0]}   # a class's dotted path, and its module
    return {name for name in names if name}


def grading_code(course, assignment, root=None):
    """{path relative to the repository: bytes} of the course code and data that decide a grade."""
    root = Path(root or ROOT)
    source = Course(course).source(assignment)
    roots = [*GRADING_ROOTS, *configured_modules(course), *notebook_imports(source)]
    files = {}
    for path in grading_modules(roots, root).values():
        files[str(path.relative_to(root))] = path.read_bytes()
        for data in path.parent.iterdir():
            if data.suffix in DATA_SUFFIXES and data.is_file():
                files[str(data.relative_to(root))] = data.read_bytes()
    return files


# --- jobs -------------------------------------------------------------------------------------

@dataclass
class Job:
    """One student's submission, with everything a worker on any machine needs."""
    student: str
    assignment: str
    submission: dict[str, bytes]
    course: dict[str, bytes]      # nbgrader_config.py, the gradebook snapshot, the source's other files
    notebooks: list[str]          # notebook names the source expects
    fingerprint: str = ""
    limits: Limits = field(default_factory=Limits)
    workers: int = 1              # how many run at once on this machine: sizes the thread pools
    course_dir: str = ""          # the real course folder, hidden from the box where it exists
    bad_file: str = ""            # why the notebook cannot be graded at all (bad_files), or ""
    refused: list[str] = field(default_factory=list)   # other submitted files left out, and why


def course_files(course, assignment):
    """What a worker needs to run plain `nbgrader autograde` by itself. Not the source notebooks:
    nbgrader restores locked cells from the gradebook, and the solutions stay out of the box."""
    paths = Course(course)
    files = {"nbgrader_config.py": (paths.root / "nbgrader_config.py").read_bytes(),
             "gradebook.db": paths.gradebook_file.read_bytes()}
    source = paths.source(assignment)
    for name, data in folder_files(source).items():
        if not name.endswith(".ipynb"):
            files[f"{source.relative_to(paths.root)}/{name}"] = data
    return files


def grading_fingerprint(course, assignment, limits: Limits):
    """Changes with exactly what decides a grade: the source notebooks, the course's nbgrader
    configuration (cell time limit, preprocessors), the grading code and its data (grading_code:
    not the book's helpers, not the class report), and the limits."""
    return fingerprint(folder_files(Course(course).source(assignment)),
                       {"nbgrader_config.py": (Path(course) / "nbgrader_config.py").read_bytes()},
                       grading_code(course, assignment),
                       {"limits": json.dumps(limits.grade_relevant(), sort_keys=True).encode()})


def _size(n):
    return f"{n / 1024 ** 2:.1f} MB"


def _too_large(name, size):
    return (f"{name} is too large ({_size(size)}, the limit is {_size(MAX_NOTEBOOK_BYTES)}): "
            "clear its outputs and submit again")


def notebook_problem(name, data):
    """Why ``data`` (the file ``name``) is not a notebook the grader can run, or ""."""
    if len(data) > MAX_NOTEBOOK_BYTES:
        return _too_large(name, len(data))
    try:
        nb = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        return f"{name} is not a notebook: not UTF-8 text"
    except json.JSONDecodeError as error:
        return (f"{name} is not valid JSON (line {error.lineno}, column {error.colno}: {error.msg}): "
                "the file is damaged or half-written; open it in Jupyter, save it and submit again")
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list) or "nbformat" not in nb:
        return f"{name} is JSON but not a Jupyter notebook (it has no cells and no nbformat)"
    if nb.get("nbformat") != 4:
        return (f"{name} is a notebook of format {nb.get('nbformat')!r}; the grader reads format 4 "
                "(save it with Jupyter 4 or later)")
    return ""


def bad_files(folder, notebooks):
    """(why the notebooks cannot be graded or "", [other files left out and why]) for a submitted
    folder, from what the files are, before anything reads them as notebooks."""
    folder = Path(folder)
    refused, bad = [], []
    for path in sorted(folder.rglob("*")):
        name = str(path.relative_to(folder))
        if SKIP_PARTS & set(path.parts):
            continue
        info = os.lstat(path)
        if stat.S_ISLNK(info.st_mode):
            (bad if name in notebooks else refused).append(
                f"{name} is a symbolic link, not a file: refused (submit the file itself)")
        elif name in notebooks and stat.S_ISREG(info.st_mode):
            if info.st_size > MAX_NOTEBOOK_BYTES:
                bad.append(_too_large(name, info.st_size))
            else:
                bad.append(notebook_problem(name, path.read_bytes()))
    present = {str(p.relative_to(folder)) for p in folder.rglob("*")}
    missing = [name for name in notebooks if name not in present]
    others = sorted(str(p.relative_to(folder)) for p in folder.rglob("*.ipynb")
                    if not SKIP_PARTS & set(p.parts) and str(p.relative_to(folder)) not in notebooks)
    if missing and others:   # the notebook renamed, or another one submitted
        bad.append(f"no {', '.join(missing)}, but {', '.join(others)}: the notebook must keep the "
                   f"assignment's name ({', '.join(missing)})")
    return "; ".join(b for b in bad if b), refused


def _regular_files(folder):
    """[(relative name, size)] of the regular files under ``folder`` (sizes from lstat: nothing is read)."""
    folder = Path(folder)
    found = []
    for path in sorted(folder.rglob("*")):
        if SKIP_PARTS & set(path.parts):
            continue
        info = os.lstat(path)
        if stat.S_ISREG(info.st_mode):
            found.append((str(path.relative_to(folder)), info.st_size))
    return found


def submission_files(folder, notebooks=()):
    """({relative name: bytes} a worker gets, [files left out and why], why the submission is too
    large or ""). Sizes are checked before a byte is read: each file at most MAX_FILE_BYTES (a
    notebook MAX_NOTEBOOK_BYTES, bad_files says so), the whole at most MAX_SUBMISSION_BYTES."""
    listed = _regular_files(folder)
    total = sum(size for _, size in listed)
    if total > MAX_SUBMISSION_BYTES:
        return {}, [], (f"the submission is too large ({_size(total)} in {len(listed)} files, the limit "
                        f"is {_size(MAX_SUBMISSION_BYTES)}): submit the notebook and only the files it needs")
    files, refused = {}, []
    for name, size in listed:
        limit = MAX_NOTEBOOK_BYTES if name in notebooks else MAX_FILE_BYTES
        if size > limit:
            if name not in notebooks:
                refused.append(f"{name} is too large ({_size(size)}, the limit is {_size(limit)}): left out")
            continue
        files[name] = (Path(folder) / name).read_bytes()
    return files, refused, ""


def find_jobs(course, assignment, limits: Limits, workers=1):
    paths = Course(course)
    shared = course_files(paths.root, assignment)
    grading = grading_fingerprint(paths.root, assignment, limits)
    notebooks = sorted(p.name for p in paths.source(assignment).glob("*.ipynb"))
    jobs = []
    for student, folder in paths.submissions(assignment):
        files, too_large_files, too_large = submission_files(folder, notebooks)
        bad, refused = (too_large, []) if too_large else bad_files(folder, notebooks)
        given = {name: data for name, data in files.items() if not (bad and name in notebooks)}
        jobs.append(Job(student, assignment, given, shared, notebooks,
                        fingerprint(files, {"grading": grading.encode(), "bad": bad.encode()}),
                        limits, workers, str(paths.root), bad, refused + too_large_files))
    return jobs


def submission_unchanged(course, job):
    """Is the submitted folder still what was graded? (Checked again after the run.)"""
    folder = Course(course).submitted(job.student, job.assignment)
    if not folder.is_dir():
        return False
    files, _, _ = submission_files(folder, job.notebooks)
    if job.bad_file:
        files = {name: data for name, data in files.items() if name not in job.notebooks}
    return files == job.submission
