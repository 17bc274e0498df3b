"""The course installs as a package (issue #24): `pip install .` from a clean export has every
package and data file the grader reads, and a wheel installed non-editable grades a submission
with plain `nbgrader autograde`. Paths are defined in one place (autograder/paths.py).

The wheel is built once per module from the tracked files (what `git archive` or a fresh clone
has: nothing untracked, no build leftovers), with pip's own `pip wheel --no-deps`.
"""

import ast
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from autograder import paths

ROOT = Path(__file__).resolve().parents[1]
PACKAGE_FOLDERS = paths.CHECKOUT_PACKAGES   # {package: its folder in the checkout}
# what a wheel must never carry: the tests, the solutions, the book, the tools, the student package twice
NEVER = ("tests/", "solutions/", "exercises/", "book/", "tools/", "benchmarks/", "course/student-package/")
NOT_SHIPPED = {".md", ".pyc"}   # docs stay in the checkout (GRADING.md); everything else is module or data


def _tracked():
    """Tracked files that exist in the working tree (a clean export of it)."""
    out = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    return [name for name in out.decode().split("\0") if name and (ROOT / name).is_file()]


def export(where):
    """Copy the tracked files to ``where``, as `git archive` would give them (with today's edits)."""
    for name in _tracked():
        target = where / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, target, follow_symlinks=False)
    return where


def build_wheel(source, out):
    result = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                             "-q", "-w", str(out), str(source)], capture_output=True, text=True)
    if result.returncode != 0:
        raise AssertionError(f"pip wheel failed:\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}")
    (wheel,) = out.glob("*.whl")
    return wheel


def expected_files(tracked):
    """{path in the wheel} of every module and data file of the course's packages (tracked)."""
    found = set()
    for name in tracked:
        for top, folder in PACKAGE_FOLDERS.items():
            if name.startswith(folder + "/") and not (top == "course" and name.startswith("course/student-package/")):
                inside = name[len(folder) + 1:]
                if Path(name).suffix not in NOT_SHIPPED and "__pycache__" not in name:
                    found.add(f"{top}/{inside}")
    return found


def wheel_problems(wheel, tracked):
    """What is wrong with ``wheel``: missing modules or data, files it must not carry, dependencies
    that are not the pins of requirements.txt."""
    with zipfile.ZipFile(wheel) as z:
        names = set(z.namelist())
        (metadata,) = [n for n in names if n.endswith(".dist-info/METADATA")]
        requires = {line.split(":", 1)[1].strip() for line in z.read(metadata).decode().splitlines()
                    if line.startswith("Requires-Dist:")}
    problems = [f"missing from the wheel: {name}" for name in sorted(expected_files(tracked) - names)]
    problems += [f"must not be in the wheel: {name}" for name in sorted(names) if name.startswith(NEVER)]
    pins = {line.strip() for line in (ROOT / "requirements.txt").read_text().splitlines()
            if line.strip() and not line.lstrip().startswith("#")}
    normal = {re.sub(r"\s+", "", p).replace("'", '"') for p in pins}
    declared = {re.sub(r"\s+", "", p).replace("'", '"') for p in requires}
    problems += [f"not a dependency of the wheel: {p}" for p in sorted(normal - declared)]
    tools = {re.match(r"[A-Za-z0-9_.-]+", line).group(0).lower()
             for line in (ROOT / "requirements-dev.txt").read_text().splitlines()
             if line.strip() and not line.lstrip().startswith("#")}
    problems += [f"the book's or the tests' tool is a dependency of the wheel: {p}" for p in sorted(declared)
                 if re.match(r"[A-Za-z0-9_.-]+", p).group(0).lower() in tools]
    return problems


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    where = tmp_path_factory.mktemp("wheel")
    return build_wheel(export(where / "src"), where / "dist")


def test_wheel_has_every_package_and_data_file(wheel):
    tracked = _tracked()
    assert wheel_problems(wheel, tracked) == []
    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in ("autograder/judges/__init__.py", "autograder/calibration.json",
                   "autograder/report/templates/report.html.j2", "fashion_mnist_student/threshold.json",
                   "autograder/feedback/__init__.py", "autograder/feedback/templates/feedback_lang/conf.json",
                   "autograder/feedback/templates/feedback_lang/feedback_lang.html.j2"):
        assert needed in names, needed


def test_a_wheel_with_packages_listed_by_hand_fails_the_check(wheel, tmp_path):
    """The pyproject.toml of before issue #24 (packages by hand, no dependencies): its wheel lacks the
    judges and the student package's threshold, and the check says so."""
    source = export(tmp_path / "src")
    text = (source / "pyproject.toml").read_text()
    old = text[:text.index("[tool.setuptools]")].replace('dynamic = ["dependencies"]\n', "") + (
        '[tool.setuptools]\n'
        'packages = ["course", "autograder", "autograder.grading", "autograder.preprocessors", "autograder.report",\n'
        '            "fashion_mnist_student"]\n'
        'package-dir = {"fashion_mnist_student" = "course/student-package/fashion_mnist_student"}\n\n'
        '[tool.setuptools.package-data]\nautograder = ["calibration.json"]\n"autograder.report" = ["templates/*.j2"]\n')
    (source / "pyproject.toml").write_text(old)
    said = wheel_problems(build_wheel(source, tmp_path / "dist"), _tracked())
    assert "missing from the wheel: autograder/judges/__init__.py" in said
    assert "missing from the wheel: fashion_mnist_student/threshold.json" in said
    assert any(line.startswith("not a dependency of the wheel: nbgrader==") for line in said)


def test_a_wheel_that_depends_on_the_book_and_test_tools_fails_the_check(tmp_path):
    """`pip install .` gives a grader, not the book's and the tests' tools: a pyproject.toml that
    takes requirements-dev.txt as dependencies too is caught."""
    source = export(tmp_path / "src")
    text = (source / "pyproject.toml").read_text()
    (source / "pyproject.toml").write_text(text.replace('{file = ["requirements.txt"]}',
                                                        '{file = ["requirements.txt", "requirements-dev.txt"]}'))
    said = wheel_problems(build_wheel(source, tmp_path / "dist"), _tracked())
    assert any(line.startswith("the book's or the tests' tool is a dependency of the wheel: jupyter-book==")
               for line in said), said


# --- one place for paths --------------------------------------------------------------------

PATH_DEFINITIONS = (re.compile(r"Path\(__file__\)"), re.compile(r"[\"']calibration\.json[\"']"),
                    re.compile(r"[\"']\.grading[\"']"), re.compile(r"with_name\([\"']calibration"))


def path_definitions(text):
    """Lines of module ``text`` that define a path autograder/paths.py holds (code, not prose)."""
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return []
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, (ast.Module, ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef))
                  and node.body and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)}
    doc_lines = {line for node in ast.walk(tree) if id(node) in docstrings
                 for line in range(node.lineno, node.end_lineno + 1)}
    found = []
    for number, line in enumerate(text.splitlines(), 1):
        code = line.split("#", 1)[0]
        if number not in doc_lines and any(p.search(code) for p in PATH_DEFINITIONS):
            found.append(f"{number}: {line.strip()}")
    return found


def test_paths_are_defined_once():
    """The calibration file, the run state, the course root and every file found beside a module
    (templates, the sample roster) come from autograder/paths.py only."""
    assert path_definitions('from pathlib import Path\nCALIBRATION = Path(__file__).with_name("calibration.json")\n')
    assert path_definitions("ROOT = Path(__file__).resolve().parents[2]\n")
    assert path_definitions('TEMPLATES = Path(__file__).with_name("templates")\n')
    assert path_definitions('STATE = course / ".grading"\n')
    assert not path_definitions('"""calibration.json, the .grading folder"""\nx = 1  # Path(__file__).parents[1]\n')
    found = {}
    for module in sorted((ROOT / "autograder").rglob("*.py")):
        if module.name != "paths.py" or module.parent.name != "autograder":
            lines = path_definitions(module.read_text(encoding="utf-8"))
            if lines:
                found[str(module.relative_to(ROOT))] = lines
    assert found == {}, "define these in autograder/paths.py and import them from there"


def test_packages_are_found_where_python_imports_them(monkeypatch):
    """In the checkout the student package lies in course/student-package/; installed, paths finds
    each package where Python would import it (for the grading fingerprint)."""
    assert paths.checkout() == ROOT and paths.PACKAGES["fashion_mnist_student"] == PACKAGE_FOLDERS["fashion_mnist_student"]
    monkeypatch.setattr(paths, "checkout", lambda: None)
    monkeypatch.setattr(paths, "ROOT", ROOT / "course" / "student-package")   # as if this were site-packages
    found = paths._packages()
    assert found["fashion_mnist_student"] == "fashion_mnist_student"
    assert found["autograder"] == os.path.relpath(ROOT / "autograder", ROOT / "course" / "student-package")


# --- the wheel installed non-editable grades a submission ----------------------------------

INSTALLED = """import json, autograder, autograder.judges, course, fashion_mnist_student
from autograder import paths
print(json.dumps({"files": [m.__file__ for m in (autograder, autograder.judges, course, fashion_mnist_student)],
                  "checkout": str(paths.checkout()), "packages": paths.PACKAGES,
                  "calibration": paths.CALIBRATION.is_file(),
                  "feedback": [(paths.FEEDBACK_TEMPLATES / "feedback_lang" / name).is_file()
                               for name in ("conf.json", "feedback_lang.html.j2")],
                  "report": (paths.REPORT_TEMPLATES / "report.html.j2").is_file()}))"""


def _fresh_env(where, wheel):
    """A venv with the wheel installed (not editable) and, for its dependencies, the pinned packages
    of this environment's site-packages on its path (a .pth line: no .pth file there is run, so
    this environment's editable finder stays out). Seconds, instead of a minute of pip."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(where)], check=True)
    python = where / "bin" / "python"
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "-q", str(wheel)],
                   check=True, capture_output=True)
    site = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               check=True, capture_output=True, text=True).stdout.strip())
    (site / "zz_course_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return python, site


@pytest.mark.slow
def test_installed_wheel_grades_a_submission_with_plain_nbgrader(wheel, tmp_path):
    import json

    from notebooks import completed_release, make_course, scores, submit, trained_elsewhere
    python, site = _fresh_env(tmp_path / "env", wheel)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    venv_bin = str(Path(sys.executable).parent)
    env["PATH"] = os.pathsep.join([str(python.parent)] + [p for p in env.get("PATH", "").split(os.pathsep)
                                                          if p and Path(p).resolve() != Path(venv_bin).resolve()])
    course = make_course(tmp_path / "course", ["fashion_mnist_en"])
    said = json.loads(subprocess.run([str(python), "-c", INSTALLED], cwd=course, env=env, check=True,
                                     capture_output=True, text=True).stdout)
    assert all(Path(f).resolve().is_relative_to(site.resolve()) for f in said["files"]), said["files"]
    assert said["checkout"] == "None" and said["calibration"] and said["feedback"] == [True, True]
    assert said["report"]
    assert said["packages"]["fashion_mnist_student"] == "fashion_mnist_student"
    submit(course, "ada", "fashion_mnist_en", trained_elsewhere(completed_release("en")))
    result = subprocess.run([str(python), "-m", "nbgrader", "autograde", "fashion_mnist_en"], cwd=course, env=env,
                            capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stderr[-3000:]
    cells = scores(course, "fashion_mnist_en")["ada"]
    assert sum(s for s, _ in cells.values()) == sum(m for _, m in cells.values()) == 24, cells
