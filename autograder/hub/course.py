"""The instructor's course folder and the students' Jupyter configuration.

The instructor's course (``~instructor/fashion-mnist``, mode 0700 in a 0700 home) gets the course's
nbgrader_config.py (its preprocessors: grading goes through the kernel box) with the hub's lines
added, and the source notebooks of both languages copied from the checkout (the checkout itself is
not visible from a student's server). Nothing there is overwritten on a later start: it is the
instructor's work. The students' configuration (read-only to them) names the exchange and the
course, and turns off the formgrader's server extension for them (its pages answer 404; the lab's
Nbgrader menu may still list it, and the lab's formgrader and create-assignment plugins are listed as
disabled in labconfig/page_config.json).
"""

import json
import os
import pwd
import shutil
from pathlib import Path

from ..student_env import ROOT
from .exchange import STUDENT_SUBMIT
from .layout import ASSIGNMENTS

HUB_LINES = """
# --- the class server (python -m autograder hub): where this course and its exchange are ---
c.CourseDirectory.root = {course!r}
c.CourseDirectory.db_url = {db!r}
c.CourseDirectory.course_id = {course_id!r}
c.Exchange.root = {exchange!r}
# the exchange is not world-writable: see autograder/hub/exchange.py
c.ExchangeFactory.release_assignment = "autograder.hub.exchange.ReleaseAssignment"
c.ExchangeFactory.collect = "autograder.hub.exchange.Collect"
"""

STUDENT_NBGRADER = """# The class's exchange (written by python -m autograder hub start)
c = get_config()  # noqa: F821
c.Exchange.root = {exchange!r}
c.CourseDirectory.course_id = {course_id!r}
"""


def student_nbgrader_config(settings) -> str:
    return (STUDENT_NBGRADER.format(exchange=str(settings.layout.exchange), course_id=settings.course_id)
            + STUDENT_SUBMIT)

INSTRUCTOR_TOOLS = {"@jupyter/nbgrader:formgrader": True, "@jupyter/nbgrader:create-assignment": True}
INSTRUCTOR_SERVER_EXTENSIONS = {"nbgrader.server_extensions.formgrader": False}


def instructor_config(settings) -> str:
    course = settings.course_dir
    base = (ROOT / "nbgrader_config.py").read_text(encoding="utf-8")
    return base + HUB_LINES.format(course=course, db=f"sqlite:///{course}/gradebook.db",
                                   course_id=settings.course_id, exchange=str(settings.layout.exchange))


def _owned(path: Path, uid: int, gid: int, mode: int) -> None:
    os.chown(path, uid, gid, follow_symlinks=False)
    os.chmod(path, mode)


def write_instructor_course(settings) -> Path:
    user = pwd.getpwnam(settings.instructor)
    course = Path(settings.course_dir)
    course.mkdir(parents=True, exist_ok=True)
    text = instructor_config(settings)
    for config in (course / "nbgrader_config.py", Path(user.pw_dir) / ".jupyter" / "nbgrader_config.py"):
        config.parent.mkdir(exist_ok=True)
        config.write_text(text, encoding="utf-8")
        _owned(config.parent, user.pw_uid, user.pw_gid, 0o700)
        _owned(config, user.pw_uid, user.pw_gid, 0o600)
    for assignment in ASSIGNMENTS:
        target = course / "solutions" / assignment
        if not target.exists():
            shutil.copytree(ROOT / "solutions" / assignment, target,
                            ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    for parent, dirs, files in os.walk(course):
        for name in [*dirs, *files]:
            os.chown(os.path.join(parent, name), user.pw_uid, user.pw_gid, follow_symlinks=False)
    _owned(course, user.pw_uid, user.pw_gid, 0o700)
    return course


def provision_data(settings) -> Path:
    """Fashion-MNIST for the whole class in ROOT/keras (KERAS_HOME of every server, read-only to the
    users): the instructor's grading box binds it into each kernel, students' notebooks load it
    offline. Copied from where this machine's Keras has it (``make data``) or Debian's package."""
    from fashion_mnist_student.data import FILES, keras_dir
    target = settings.layout.keras / "datasets" / "fashion-mnist"
    target.mkdir(parents=True, exist_ok=True)
    sources = [keras_dir(), Path("/usr/share/datasets/fashion-mnist")]
    for name in FILES:
        if (target / name).is_file():
            continue
        found = next((folder / name for folder in sources if (folder / name).is_file()), None)
        if found is None:
            raise FileNotFoundError(f"{name} of Fashion-MNIST is missing: run `make data` first")
        shutil.copyfile(found, target / name)
    for folder in (settings.layout.keras, settings.layout.keras / "datasets", target):
        os.chmod(folder, 0o755)
    for name in FILES:
        os.chmod(target / name, 0o644)
    return target


def write_student_config(settings) -> Path:
    folder = settings.layout.student_config
    (folder / "labconfig").mkdir(parents=True, exist_ok=True)
    (folder / "nbgrader_config.py").write_text(student_nbgrader_config(settings), encoding="utf-8")
    (folder / "labconfig" / "page_config.json").write_text(
        json.dumps({"disabledExtensions": INSTRUCTOR_TOOLS}, indent=1), encoding="utf-8")
    (folder / "jupyter_server_config.json").write_text(
        json.dumps({"ServerApp": {"jpserver_extensions": INSTRUCTOR_SERVER_EXTENSIONS}}, indent=1),
        encoding="utf-8")
    for parent, dirs, files in os.walk(folder):
        os.chmod(parent, 0o755)
        for name in files:
            os.chmod(os.path.join(parent, name), 0o644)
    return folder
