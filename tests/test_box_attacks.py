"""The red-team batch through plain `nbgrader autograde` with the course's nbgrader_config.py:
every kernel runs in its box (autograder/box), so a submission reaches nothing of the machine,
the course or the class, and the parts it fakes score 0, while honest work keeps 24/24.

One batch of eight, graded once: the gradebook holds a class roster
(names and e-mails, as `nbgrader db student add` makes it); the attacks sit in cells the
students added after the set-up, so each one's score shows what the attack itself cost."""

import json
import os
import re
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell

from notebooks import CRASH_LATE, ROOT, completed_release, leaks, make_course, nbgrader, scores, submit, \
    trained_elsewhere
from test_grading import DAEMON, FORK_BOMB, MARKER, VANDAL, Listener

pytestmark = pytest.mark.slow
ASSIGNMENT = "fashion_mnist_en"
EMAIL = "@roster.example.org"
ROSTER_READER = """
import os, sqlite3
found = []
for top in ("/", os.getcwd()):
    for folder, _, files in os.walk(top):
        for name in files:
            if name.endswith(".db"):
                try:
                    rows = sqlite3.connect(os.path.join(folder, name)).execute(
                        "select id, first_name, email from student").fetchall()
                    found.append((os.path.join(folder, name), rows))
                except Exception as error:
                    found.append((os.path.join(folder, name), str(error)))
print("roster:", found)
"""
FILE_READER = """
import os, glob
for path in [{reference!r}, {gradebook!r}, os.path.expanduser("~/.bash_history"), "/etc/shadow",
             *glob.glob({course!r} + "/submitted/*/*/*.ipynb")]:
    try:
        print(path, open(path, errors="replace").read()[:2000])
    except OSError as error:
        print("no", path, type(error).__name__)
"""
PIECES = ("def build_model():\n    import numpy as np\n"
          "    return getattr(np.load, '__glob' + 'als__')['__builtins__']['__import__']("
          "'cou' + 'rse.reference', fromlist=['x']).build_model()")
HONEST = {
    "preprocess_images": "import os\nos.environ['TF_CPP_MIN_LOG_LEVEL'] = '2'\n\n"
                         "def preprocess_images(images):\n    return images / 255.0",
    "train_model": "import time, warnings\n\ndef train_model(model, images, labels, epochs=10):\n"
                   "    started = time.time()\n    warnings.warn('training, of course on the CPU')\n"
                   "    history = model.fit(images, labels, epochs=epochs)\n"
                   "    print(f'{time.time() - started:.0f} s')\n    return history",
}


def _added(nb, *sources):
    """``nb`` with code cells the student added after the set-up cell."""
    nb = nbformat.from_dict(nb)
    at = [c.metadata.get("nbgrader", {}).get("grade_id") for c in nb.cells].index("setup") + 1
    nb.cells[at:at] = [new_code_cell(source) for source in sources]
    return nb


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    course = make_course(tmp_path_factory.mktemp("boxed"))
    home = Path.home()
    listener = Listener()
    good = completed_release("en")
    submissions = {
        "honest": _added(completed_release("en", HONEST), "%time x = sum(range(10))",
                         "import collections\nprint(collections.Counter('of course'))"),
        "star": completed_release("en", {name: "pass" for name in
                                         ("build_model", "compile_model", "train_model", "make_probability_model",
                                          "plot_image", "plot_value_array")}
                                  | {"preprocess_images": "from course.reference import *"}),
        "pieces": completed_release("en", {"build_model": PIECES}),
        "added": _added(completed_release("en", {"build_model": "def build_model():\n    raise NotImplementedError()"}),
                        "try:\n    import course.reference as R\nexcept ImportError as error:\n    print(error)"),
        "magic": completed_release("en", {"build_model": "%run " + str(ROOT / "course" / "reference.py")}),
        # every attack on the machine and the class in one submission, each in a cell of its own
        "redteam": _added(good, ROSTER_READER,
                          FILE_READER.format(reference=str(ROOT / "course" / "reference.py"),
                                             gradebook=str(course / "gradebook.db"), course=str(course)),
                          VANDAL.format(course=str(course), home=str(home)), DAEMON.format(marker=MARKER),
                          f"import socket\ntry:\n    socket.create_connection(('127.0.0.1', {listener.port}), 3)\n"
                          "    print('reached')\nexcept OSError as error:\n    print('no network:', error)",
                          "x = bytearray(30 * 1024 ** 3)", FORK_BOMB),
        "killall": _added(good, "import os, signal\nos.kill(-1, signal.SIGKILL)"),
        "crashes": completed_release("en", CRASH_LATE),
    }
    for student, nb in submissions.items():
        nbgrader("db", "student", "add", student, "--first-name", student.title(), "--last-name", "Roster",
                 "--email", f"{student}{EMAIL}", cwd=course)
        submit(course, student, ASSIGNMENT, trained_elsewhere(nb))
    (course / "submitted" / "redteam" / ASSIGNMENT / "class.db").symlink_to(course / "gradebook.db")
    before = {p: p.read_bytes() for p in (course / "submitted").rglob("*.ipynb")}
    result = nbgrader("autograde", ASSIGNMENT, "--force", cwd=course, check=False, timeout=3600)
    return course, result, listener, before


def _outputs(course, student):
    nb = nbformat.read(course / "autograded" / student / ASSIGNMENT / "fashion_mnist.ipynb", 4)
    return json.dumps([c.get("outputs", []) for c in nb.cells])


def _total(cells):
    return sum(score for score, _ in cells.values())


def test_the_batch_ran_and_the_gradebook_has_everyone(batch):
    course, result, _, _ = batch
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert len(scores(course, ASSIGNMENT)) == 8


def test_honest_work_keeps_every_point(batch):
    recorded = scores(batch[0], ASSIGNMENT)
    for student in ("honest", "redteam", "killall"):
        assert _total(recorded[student]) == 24, (student, {k: v for k, v in recorded[student].items() if v[0] != v[1]})
    assert _total(recorded["crashes"]) == 22          # the kernel killed in the last part


def test_the_course_is_not_in_the_box(batch):
    recorded = scores(batch[0], ASSIGNMENT)
    assert _total(recorded["star"]) == 0
    for student in ("pieces", "added", "magic"):
        lost = {name for name, (score, most) in recorded[student].items() if score != most}
        assert {"test_build_model_layers", "test_build_model_output"} <= lost, (student, lost)
    said = _outputs(batch[0], "added") + _outputs(batch[0], "star")
    assert "No module named 'course'" in said


def test_no_roster_no_file_no_classmate_reaches_a_feedback_page(batch):
    said = _outputs(batch[0], "redteam")
    assert EMAIL not in said and "Roster" not in said
    assert not leaks(said, "en"), leaks(said, "en")
    assert "def build_model" not in said
    assert "roster:" in said                               # the reader ran, and found nothing
    assert "no " + str(ROOT / "course" / "reference.py") in said


def test_nothing_of_the_machine_was_touched(batch):
    import psutil
    course, _, listener, before = batch
    said = _outputs(course, "redteam")
    assert {p: p.read_bytes() for p in (course / "submitted").rglob("*.ipynb")} == before
    assert (course / "gradebook.db").exists() and not list(Path("/tmp").glob("vandal-was-here.txt"))
    assert not (Path.home() / "vandal-was-here.txt").exists()
    assert listener.connections == 0 and "no network" in said
    assert not [p for p in psutil.process_iter(["cmdline"]) if MARKER in " ".join(p.info["cmdline"] or [])]
    assert "MemoryError" in said
    assert re.search(r"fork stopped after \d+ children", said)
    os.kill(os.getpid(), 0)                                # kill -1 in a box reached no process of ours
