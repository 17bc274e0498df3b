"""The environments of the class server, without building one: the student environment is rebuilt
when its pins change and only its student package reinstalled when that alone changed; the
instructor's takes the grading pins (not the book's or the tests') and is built from a staged copy
of the course (nothing of build/ or *.egg-info in the checkout)."""

from pathlib import Path

import pytest

from autograder import student_env
from autograder.hub import envs

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def recorded(monkeypatch):
    calls = []

    def build(target, python):
        (target / "bin").mkdir(parents=True, exist_ok=True)
        (target / "bin" / "python").write_text("")
        calls.append("build")

    monkeypatch.setattr(student_env, "_build", build)
    monkeypatch.setattr(student_env, "_reinstall_package", lambda target: calls.append("reinstall"))
    return calls


def test_student_env_rebuilds_only_what_changed(tmp_path, monkeypatch, recorded):
    student_env.student_env(tmp_path)
    assert recorded == ["build"]
    student_env.student_env(tmp_path)
    assert recorded == ["build"], "nothing changed: nothing done"
    monkeypatch.setattr(student_env, "package_fingerprint", lambda: "another student package")
    student_env.student_env(tmp_path)
    assert recorded == ["build", "reinstall"]
    monkeypatch.setattr(student_env, "pins_fingerprint", lambda python: "other pins")
    student_env.student_env(tmp_path)
    assert recorded == ["build", "reinstall", "build"]
    (tmp_path / "student" / "bin" / "python").unlink()
    student_env.student_env(tmp_path)
    assert recorded[-1] == "build", "a broken environment is rebuilt"


def test_student_env_is_made_as_the_bundle_tells_a_student(tmp_path, monkeypatch):
    """Unzipped English bundle, a new venv, ``pip install -r requirements.txt`` in its folder (the
    hub's jupyterhub on the same line); a change to what the bundle installs rebuilds it."""
    steps = []

    def run(step, cwd):
        steps.append(([str(part) for part in step], Path(cwd)))
        if "-r" not in step:
            return
        assert (Path(cwd) / "requirements.txt").read_text().startswith("# Everything the notebook needs")
        assert list(Path(cwd).glob("fashion_mnist_student-*.whl")) and (Path(cwd) / "fashion_mnist.ipynb").is_file()

    monkeypatch.setattr(student_env, "_run", run)
    student_env._build(tmp_path / "env", "/usr/bin/python3.11")
    assert [step[:3] for step, _ in steps][0] == ["/usr/bin/python3.11", "-m", "venv"]
    install, folder = steps[-1]
    assert install[-3:] == ["-r", "requirements.txt", "jupyterhub==6.1.1"] and folder.name == "fashion_mnist_en"
    before = student_env.pins_fingerprint("/usr/bin/python3.11")
    monkeypatch.setattr(student_env.bundle, "STUDENT_INSTALLED", ("jupyterlab", "nbclassic"))
    monkeypatch.setattr(student_env.bundle.metadata, "version", lambda name: "1.0")
    assert student_env.pins_fingerprint("/usr/bin/python3.11") != before


def test_hub_pin_read_from_requirements(tmp_path):
    assert student_env._pins() == ["jupyterhub==6.1.1"]
    (tmp_path / "requirements.txt").write_text("numpy==2.4.6\njupyterhub\n")
    with pytest.raises(student_env.EnvError, match="pins none of"):
        student_env.pinned(["jupyterhub"], tmp_path / "requirements.txt")


def test_instructor_env_takes_the_grading_pins():
    pins = envs.grading_requirements()
    names = {line.split("==")[0].split(";")[0].strip() for line in pins}
    assert {"nbgrader", "jupyterhub", "keras", "scipy", "dask"} <= names
    dev = {line.split("==")[0].strip() for line in (ROOT / "requirements-dev.txt").read_text().splitlines()
           if line.strip() and not line.startswith("#")}
    assert {"jupyter-book", "selenium", "pytest-xdist"} <= dev and not names & dev   # the book's and the tests' tools
    assert all("==" in line for line in pins), "every requirement pinned"


def test_course_staged_without_build_leftovers(tmp_path):
    fake = tmp_path / "checkout"
    for path in ("pyproject.toml", "course/__init__.py", "autograder/__init__.py",
                 "autograder/__pycache__/x.pyc", "course/x.egg-info/PKG-INFO", "course/build/lib/y.py"):
        (fake / path).parent.mkdir(parents=True, exist_ok=True)
        (fake / path).write_text("")
    staged = envs.stage_source(tmp_path / "staged", fake)
    files = {str(p.relative_to(staged)) for p in staged.rglob("*") if p.is_file()}
    assert files == {"pyproject.toml", "course/__init__.py", "autograder/__init__.py"}
