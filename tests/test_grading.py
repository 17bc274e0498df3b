"""Class-scale grading under real nbgrader and real kernels, two Dask workers.

A batch mixes correct, wrong, hanging, crashing, memory-hungry, noisy and missing submissions
with hostile ones (a vandal, a daemon, a fork bomb, a disk filler, patched checks); each gets its
status and score, the gradebook has every student, submitted files stay as they were, nothing is
written outside the boxes, nothing of the batch survives it, a re-run executes nothing and a
killed run finishes what was left.
"""

import html
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import nbformat
import psutil
import pytest

from course.data import keras_dir

from autograder.grading import scratch
from autograder.grading.jobs import folder_files
from notebooks import (ATTACKS, CRASH_LATE, NOTEBOOK, ROOT, WRONG, make_course, nbgrader, scores, submit,
                       trained_elsewhere, with_cells_replaced)

ASSIGNMENT = "fashion_mnist_en"
pytestmark = pytest.mark.slow


# the kernel dies in part 1 (the cell that should define preprocess_images): part 1 is lost
# (20/24: the model takes the trained weights), the kernel is restarted and the rest is graded
CRASH_EARLY = {"preprocess_images": "import os\nos._exit(1)"}


def solution(course):
    return nbformat.read(course / "solutions" / ASSIGNMENT / NOTEBOOK, 4)


def prefixed(nb, grade_id, code):
    """The solution with ``code`` run at the top of one of its cells."""
    cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)
    return with_cells_replaced(nb, {grade_id: code + "\n" + cell.source})


def grade(course, *args, timeout=2400, env=None):
    env = dict(os.environ, PATH=str(Path(sys.executable).parent) + os.pathsep + os.environ["PATH"],
               **(env or {}))
    process = subprocess.Popen([sys.executable, "-m", "autograder", "grade", ASSIGNMENT,
                                "--course", str(course), *args], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, env=env)
    stdout, stderr = process.communicate(timeout=timeout)
    result = subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)
    result.pid = process.pid     # the coordinator's: its boxes are labelled with it
    return result


class Listener:
    """A TCP server on the host's loopback that counts who reaches it."""

    def __init__(self):
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.connections = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                connection, _ = self.server.accept()
            except OSError:
                return
            self.connections += 1
            connection.close()


MARKER = f"autograder-test-daemon-{os.getpid()}"
LIMITS = ("--disk", "1")  # the batch's limits: they are part of every fingerprint, so re-runs repeat them

VANDAL = """
import os, shutil
for root in ({course!r}, {home!r}):
    for folder, _, files in os.walk(root):
        for name in files:
            if name == "gradebook.db" or (name.endswith(".ipynb") and "submitted" in folder):
                try:
                    os.remove(os.path.join(folder, name))
                except OSError:
                    pass
for target in ({home!r}, {course!r}):
    shutil.rmtree(target, ignore_errors=True)
for where in ({home!r}, "/tmp", "/var/tmp", "/dev/shm", {course!r}):
    try:
        open(os.path.join(where, "vandal-was-here.txt"), "w").write("gotcha")
    except OSError:
        pass
"""

DAEMON = """
import os, sys
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        os.execv(sys.executable, [sys.executable, "-c", "import time; time.sleep(900)", {marker!r}])
    os._exit(0)
os.wait()
"""

FORK_BOMB = """
import os, signal, time
children = []
try:
    while len(children) < 100000:
        pid = os.fork()
        if pid == 0:
            time.sleep(600)
            os._exit(0)
        children.append(pid)
except OSError as error:
    print("fork stopped after", len(children), "children:", error)
for pid in children:  # a bomb that cleans up, so the rest of the notebook can still be graded
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
"""

DISK_FILLER = """
import os
chunk = b"x" * (64 * 1024 ** 2)
written = []
try:
    for k in range(1000):
        with open(f"filler-{k}.bin", "wb") as f:
            f.write(chunk)
        written.append(f"filler-{k}.bin")
except OSError as error:
    print("the disk is full:", error)
for name in written:
    os.remove(name)
"""

# each patch, planted by a submission that trains on 64 images only, would have bought the
# accuracy points when the verdict was taken in the kernel
CHEATS = {
    "cheat_checks": "import autograder.threshold as c\nc.threshold = lambda: 0.0\n"
                    "import autograder.preprocessors.accuracy as a\na.verdict = lambda *x, **k: (1.0, None, 'ok')",
    "cheat_numpy": "np.mean = lambda *a, **k: 1.0",
    "cheat_keras": "original = keras.Model.predict\nkeras.Model.predict = lambda self, x, *a, **k: "
                   "np.eye(10)[test_labels] if len(x) == 10000 else original(self, x, *a, **k)",
}


# prints what it can find of the grader and the reference solution, so that it lands in its feedback
LEAKER = {"preprocess_images": (
    "def preprocess_images(images):\n    return images / 255.0\n\n"
    "for path in {paths!r}:\n"
    "    try:\n        print(open(path).read())\n"
    "    except OSError as error:\n        print('not found:', error)\n"
    "try:\n    import autograder.judges.registry as r, inspect\n    print(inspect.getsource(r))\n"
    "except Exception as error:\n    print('not importable:', error)").format(
        paths=[str(ROOT / "course" / "reference.py"), str(ROOT / "autograder" / "judges" / "registry.py")])}


def cheater(nb, patch):
    return with_cells_replaced(nb, {"train_model": (
        "def train_model(model, images, labels, epochs=10):\n"
        "    history = model.fit(images[:64], labels[:64], epochs=epochs, verbose=0)\n"
        + "".join(f"    {line}\n" for line in patch.splitlines()) + "    return history")})


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    course = make_course(tmp_path_factory.mktemp("class"))
    home = tmp_path_factory.mktemp("home")  # the grader's home for this run: the vandal goes for it
    (home / "precious.txt").write_text("the instructor's notes")
    listener = Listener()
    submit(course, "correct", ASSIGNMENT, solution(course))  # the one that trains for real
    nb = trained_elsewhere(solution(course))  # the others' tests are not about training
    submit(course, "wrong", ASSIGNMENT, with_cells_replaced(nb, WRONG["no_softmax"][0]))
    submit(course, "crashes", ASSIGNMENT, with_cells_replaced(nb, CRASH_LATE))  # the kernel dies in the last part
    for name, replacements in {**ATTACKS, "leaker": LEAKER}.items():
        submit(course, name, ASSIGNMENT, with_cells_replaced(nb, replacements))
    submit(course, "hungry", ASSIGNMENT, prefixed(nb, "plot_value_array", "big = np.ones(int(30e9 / 8))"))
    submit(course, "noisy", ASSIGNMENT, prefixed(nb, "plot_image", (
        "import os, socket\n"
        "for k in range(100000):\n    print('flood', k)\n"
        "for name in os.listdir('.'):\n    if name.endswith('.txt'):\n        os.remove(name)\n"
        "try:\n    socket.create_connection(('127.0.0.1', %d), timeout=3).close()\n"
        "except OSError:\n    pass") % listener.port))
    (course / "submitted" / "noisy" / ASSIGNMENT / "notes.txt").write_text("my notes")
    submit(course, "vandal", ASSIGNMENT, prefixed(nb, "plot_image", VANDAL.format(course=str(course), home=str(home))))
    submit(course, "daemon", ASSIGNMENT, prefixed(nb, "plot_image", DAEMON.format(marker=MARKER)))
    submit(course, "forkbomb", ASSIGNMENT, prefixed(nb, "plot_value_array", FORK_BOMB))
    submit(course, "filler", ASSIGNMENT, prefixed(nb, "plot_value_array", DISK_FILLER))
    for name, patch in CHEATS.items():  # their own training (64 images from scratch), not the weights
        submit(course, name, ASSIGNMENT, cheater(solution(course), patch))
    (course / "submitted" / "empty" / ASSIGNMENT).mkdir(parents=True)
    (course / "submitted" / "empty" / ASSIGNMENT / "notes.txt").write_text("forgot the notebook")
    before = folder_files(course / "submitted")
    gradebook_before = (course / "gradebook.db").stat().st_size
    outside = _outside_snapshot(home)
    result = grade(course, "--workers", "2", *LIMITS,
                   env={"HOME": str(home), "KERAS_HOME": str(keras_dir().parents[1])})
    return Batch(course, result, before, listener, home, outside, gradebook_before)


def _outside_snapshot(home):
    """The vandal's marker files wherever the batch could have written outside its box (the
    grader itself writes caches to its home, so only the vandal's own file name is looked for)."""
    shared = [p for folder in ("/tmp", "/var/tmp", "/dev/shm") for p in Path(folder).glob("vandal-was-here.txt")]
    return sorted(str(p) for p in [*home.rglob("vandal-was-here.txt"), *shared])


class Batch:
    def __init__(self, course, result, before, listener, home, outside, gradebook_before):
        self.course, self.result, self.before, self.listener = course, result, before, listener
        self.home, self.outside, self.gradebook_before = home, outside, gradebook_before

    def __getitem__(self, index):  # the older tests unpack it as a tuple
        return (self.course, self.result, self.before, self.listener)[index]


EXPECTED = {  # student: (status, score)
    "correct": ("graded", 24), "wrong": ("graded", 22),
    "crashes": ("graded", 22),  # the kernel died in plot_value_array: only that part is lost
    "hungry": ("graded", 22), "empty": ("missing notebook", 0),
    # hostile code above a function reaches nothing outside its box and costs no point
    # (the static check is a signal, GRADING.md)
    "noisy": ("graded", 24), "vandal": ("graded", 24), "daemon": ("graded", 24), "forkbomb": ("graded", 24),
    "filler": ("graded", 24),
    # train_model imports the grader, which is not in the box: its part and the accuracy
    "cheat_checks": ("graded", 19), "cheat_numpy": ("graded", 21),
    "cheat_keras": ("graded", 20),  # the accuracy and the forged predictions
    "importer": ("graded", 0), "patcher": ("graded", 0),
    "leaker": ("graded", 24),  # it finds nothing to print; its own preprocess_images is right
}


from autograder.grading.status import Status  # noqa: E402

STATUSES = {status.value for status in Status}  # one source: a new status is parsed too


def report_rows(output):
    rows = {}
    for line in output.splitlines():
        parts = re.split(r"\s{2,}", line.strip())
        if len(parts) >= 3 and parts[1] in STATUSES:
            rows[parts[0]] = (parts[1], parts[2], parts[3] if len(parts) > 3 else "")
    return rows


def test_every_submission_gets_its_status_and_score(batch):
    course, result, _, _ = batch
    assert result.returncode == 0, result.stderr[-3000:]
    rows = report_rows(result.stdout)
    for student, (status, score) in EXPECTED.items():
        assert rows[student][:2] == (status, f"{score}/24"), (student, rows[student])
    assert "out of memory" in rows["hungry"][2]
    assert "hit the limit of 512 processes" in rows["forkbomb"][2]
    assert "the kernel died in cell" in rows["crashes"][2] and "restarted" in rows["crashes"][2]
    assert "filled its scratch folder (limit 1 GB)" in rows["filler"][2]
    assert "done 15  failed 1  remaining 0" in result.stderr  # progress: graded, and not
    assert "PROBLEM" not in result.stdout


def test_gradebook_has_every_student(batch):
    course = batch[0]
    recorded = scores(course, ASSIGNMENT)
    assert set(recorded) == set(EXPECTED)
    for student, (_, score) in EXPECTED.items():
        assert sum(s for s, _ in recorded[student].values()) == score, student
    assert "correct" in (course / "grades.csv").read_text()
    report = (course / "reports" / f"{ASSIGNMENT}.html").read_text(encoding="utf-8")  # written by grade
    assert "vandal" in report and "forkbomb" in report


def test_submitted_files_are_never_changed(batch):
    course, _, before, _ = batch
    assert folder_files(course / "submitted") == before


def test_nothing_was_written_outside_the_boxes(batch):
    assert (batch.home / "precious.txt").read_text() == "the instructor's notes"
    assert _outside_snapshot(batch.home) == batch.outside == []
    assert (batch.course / "gradebook.db").stat().st_size >= batch.gradebook_before
    assert not (batch.course / "vandal-was-here.txt").exists()


def _box_of(process):
    """AUTOGRADER_BOX_OF of a box's bwrap ("<coordinator pid>:<notebook folder>"), or ""."""
    import psutil
    try:
        return process.environ().get("AUTOGRADER_BOX_OF", "")
    except (psutil.Error, OSError):
        return ""


def test_no_process_of_the_batch_is_alive(batch):
    import psutil
    ours = f"{batch.result.pid}:"
    left = [p.info for p in psutil.process_iter(["pid", "cmdline"])
            if MARKER in " ".join(p.info["cmdline"] or []) or _box_of(p).startswith(ours)]
    assert not left


def test_patched_checks_do_not_buy_the_accuracy_points(batch):
    recorded = scores(batch.course, ASSIGNMENT)
    for name in CHEATS:
        assert recorded[name]["test_accuracy_threshold"] == (0, 3), name
    assert recorded["cheat_keras"]["test_accuracy_predictions"] == (0, 1)  # Model.predict patched
    assert recorded["correct"]["test_accuracy_threshold"] == (3, 3)


def test_student_code_has_no_network(batch):
    listener = batch[3]
    assert "no network namespace" not in batch[1].stderr
    assert listener.connections == 0


def test_network_check_can_fail(batch):
    """The listener does count a connection made from outside the namespace."""
    listener = batch[3]
    before = listener.connections
    socket.create_connection(("127.0.0.1", listener.port), timeout=3).close()
    time.sleep(0.5)
    assert listener.connections == before + 1


def test_feedback_shows_messages_not_hidden_tests(batch):
    course = batch[0]
    pages = {p.parts[-3]: html.unescape(re.sub(r"<[^>]+>", "", p.read_text(encoding="utf-8")))
             for p in (course / "feedback").glob(f"*/{ASSIGNMENT}/*.html")}
    assert set(pages) >= {"correct", "wrong", "crashes"}
    for student, text in pages.items():
        assert "HIDDEN TESTS" not in text and "probes.make_probability_model_softmax(" not in text, student
    assert "Add a Softmax layer" in pages["wrong"]
    assert "The kernel died while this cell ran" in pages["crashes"]
    # the training's progress bar: the last redraw of each of the ten epochs, not ~600 redraws
    assert pages["correct"].count("/1875") == pages["correct"].count("1875/1875 ") == 10


def test_the_grader_and_the_reference_are_not_in_the_box(batch):
    """The leaker printed every file of the grader it could open into its own feedback: none was there."""
    page = (batch.course / "feedback" / "leaker" / ASSIGNMENT / NOTEBOOK.replace(".ipynb", ".html")).read_text(encoding="utf-8")
    text = html.unescape(re.sub(r"<[^>]+>", "", page))
    assert "not found" in text and "not importable" in text
    # the reference module's own functions (the leaker's notebook has a build_model of its own)
    assert "def accuracy_of_weights" not in text and "JUDGED_CELLS" not in text
    assert "JUDGED_CELLS" in (ROOT / "autograder" / "judges" / "registry.py").read_text()  # it would show


def test_rerun_executes_nothing(batch):
    course = batch[0]
    result = grade(course, "--workers", "2", *LIMITS)
    assert result.returncode == 0
    assert f"{len(EXPECTED)} unchanged, 0 to record, 0 to grade" in result.stderr


def test_a_changed_submission_is_graded_again(batch):
    course = batch[0]
    shutil.rmtree(course / "submitted" / "empty" / ASSIGNMENT)
    submit(course, "empty", ASSIGNMENT, trained_elsewhere(with_cells_replaced(solution(course), CRASH_EARLY)))
    result = grade(course, "--workers", "1", "--engine", "local", *LIMITS)
    assert f"{len(EXPECTED) - 1} unchanged, 0 to record, 1 to grade" in result.stderr
    assert report_rows(result.stdout)["empty"][:2] == ("graded", "20/24")


def test_time_limits(tmp_path):
    """A cell over the per-cell limit, a notebook over the whole-notebook limit, and a cell that
    ignores the per-cell interrupt, on a scratch course whose per-cell limit is 30 s, not 300."""
    course = make_course(tmp_path / "course")
    config = course / "nbgrader_config.py"
    config.write_text(config.read_text().replace("c.Execute.timeout = 300", "c.Execute.timeout = 30"))
    nb = trained_elsewhere(solution(course))
    submit(course, "hangs", ASSIGNMENT, prefixed(nb, "plot_value_array", "while True:\n    pass"))
    slow = nb
    for grade_id in ("preprocess_images", "build_model", "compile_model", "train_model", "plot_image"):
        slow = prefixed(slow, grade_id, "import time\ntime.sleep(28)")  # 140 s, no cell over 30 s
    submit(course, "slow", ASSIGNMENT, slow)
    submit(course, "stuck", ASSIGNMENT, with_cells_replaced(nb, {"preprocess_images": (
        "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    pass")}))
    # 120 s for the notebook: "hangs" needs its 30 s and the rest of an ordinary notebook within it,
    # also when the machine is shared (make test runs two test workers)
    result = grade(course, "--workers", "2", "--engine", "local", "--timeout", "120")
    rows = report_rows(result.stdout)
    assert rows["hangs"][:2] == ("timed out", "22/24"), rows  # the rest of the notebook is graded
    assert "30 s per-cell limit and was interrupted" in rows["hangs"][2], rows
    assert rows["slow"][:2] == ("timed out", "0/24") and "whole-notebook limit" in rows["slow"][2], rows
    assert rows["stuck"][:2] == ("timed out", "0/24") and "did not stop when interrupted" in rows["stuck"][2], rows
    feedback = (course / "feedback" / "hangs" / ASSIGNMENT / NOTEBOOK.replace(".ipynb", ".html")).read_text(encoding="utf-8")
    assert "per-cell limit and was interrupted" in html.unescape(re.sub(r"<[^>]+>", "", feedback))


def _boxes_under(coordinator):
    """The boxes a grading command started (bwrap and everything in them), still running, as
    psutil processes: only this run's, whatever else runs on the machine."""
    import psutil
    try:
        tree = psutil.Process(coordinator).children(recursive=True)
    except psutil.NoSuchProcess:
        return []
    return tree if any("bwrap" in _command(p) for p in tree) else []


def _still_running(processes):
    """Those of ``processes`` alive now (the same process: its start time checked, not a reused PID)."""
    return [(p.pid, _command(p)[:120]) for p in processes if _running(p) and p.is_running()]


def _running(process):
    import psutil
    try:
        return process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _command(process):
    import psutil
    try:
        return " ".join(process.cmdline())
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return ""


def test_killed_coordinator_leaves_nothing_running_and_resumes(tmp_path):
    """SIGKILL of the grading command alone (not its group): its boxes die with it; what finished
    is recorded, and a re-run grades the rest, with the same grades."""
    course = make_course(tmp_path / "course")
    crash = trained_elsewhere(with_cells_replaced(solution(course), CRASH_EARLY))
    for student in ("first", "second", "third"):
        submit(course, student, ASSIGNMENT, crash)
    env = dict(os.environ, PATH=str(Path(sys.executable).parent) + os.pathsep + os.environ["PATH"])
    process = subprocess.Popen([sys.executable, "-m", "autograder", "grade", ASSIGNMENT,
                                "--course", str(course), "--workers", "1"],
                               env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True)
    state = course / ".grading" / f"{ASSIGNMENT}.json"
    deadline = time.monotonic() + 600
    boxes = []
    while not (state.exists() and boxes) and time.monotonic() < deadline:
        time.sleep(0.2)
        boxes = _boxes_under(process.pid)
    assert state.exists() and boxes, "no box was running after the first result"
    assert any("ipykernel_launcher" in _command(p) for p in boxes)
    # its scratch folder (autograder/grading/scratch.py): the one it holds open, locked
    held = [Path(os.readlink(fd)) for fd in Path(f"/proc/{process.pid}/fd").iterdir()]
    held = [path for path in held if path.name.startswith(scratch.PREFIX)]
    assert len(held) == 1, held
    folder = held[0]
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    time.sleep(5)
    assert _still_running(boxes) == []  # orphans reparented elsewhere are still found by identity
    # what SIGKILL left: the worker's scratch course with its copy of the gradebook, the cgroups
    assert list(folder.glob("grade-*/course/gradebook.db"))
    cgroups = [Path(line) for line in (folder / scratch.CAPS).read_text().split()] if os.geteuid() == 0 else []
    result = grade(course, "--workers", "1")
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert not folder.exists(), "the killed run's scratch folder outlived the next run"
    assert [g for g in cgroups if g.exists() or list(g.parent.glob(f"{g.name}-*"))] == []
    counts = [int(n) for n in re.search(r"(\d+) unchanged, (\d+) to record, (\d+) to grade", result.stderr).groups()]
    # results are recorded as they arrive: what finished before the kill is in the gradebook
    # already (unchanged), or, killed between keeping and recording it, recorded now
    assert counts[0] + counts[1] >= 1 and sum(counts) == 3, counts
    assert len(re.findall(r"^(first|second|third)\s+graded\s+20/24", result.stdout, re.M)) == 3
    assert set(scores(course, ASSIGNMENT)) == {"first", "second", "third"}


def test_a_new_gradebook_gets_every_result_again(tmp_path):
    """After `make clean` and generate_assignment the state alone must not say 'unchanged'."""
    course = make_course(tmp_path / "course")
    submit(course, "crash", ASSIGNMENT, trained_elsewhere(with_cells_replaced(solution(course), CRASH_EARLY)))
    first = grade(course, "--workers", "1", "--no-feedback", "--no-report")
    assert first.returncode == 0, first.stderr[-2000:]
    assert not (course / "reports").exists()  # --no-report
    (course / "gradebook.db").unlink()
    nbgrader("generate_assignment", ASSIGNMENT, "--force", cwd=course)
    again = grade(course, "--workers", "1", "--no-feedback")
    assert "0 unchanged, 1 to record, 0 to grade" in again.stderr, again.stderr
    assert set(scores(course, ASSIGNMENT)) == {"crash"}
