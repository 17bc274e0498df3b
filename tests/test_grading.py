"""Class-scale grading under real nbgrader and real kernels, two Dask workers.

A batch mixes correct, wrong, hanging, crashing, memory-hungry, noisy and missing submissions;
each gets its status and score, the gradebook has every student, submitted files stay as they
were, a re-run executes nothing and an interrupted run finishes what was left.
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
import pytest

from autograder.grading.jobs import folder_files
from autograder.grading.report import table
from notebooks import NOTEBOOK, WRONG, make_course, scores, submit, with_cells_replaced

ASSIGNMENT = "fashion_mnist_en"


def solution(course):
    return nbformat.read(course / "solutions" / ASSIGNMENT / NOTEBOOK, 4)


def prefixed(nb, grade_id, code):
    """The solution with ``code`` run at the top of one of its cells."""
    cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)
    return with_cells_replaced(nb, {grade_id: code + "\n" + cell.source})


def grade(course, *args, timeout=2400):
    env = dict(os.environ, PATH=str(Path(sys.executable).parent) + os.pathsep + os.environ["PATH"])
    return subprocess.run([sys.executable, "-m", "autograder", "grade", ASSIGNMENT,
                           "--course", str(course), *args], capture_output=True, text=True,
                          env=env, timeout=timeout)


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


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    course = make_course(tmp_path_factory.mktemp("class"))
    listener = Listener()
    nb = solution(course)
    submit(course, "correct", ASSIGNMENT, nb)
    submit(course, "wrong", ASSIGNMENT, with_cells_replaced(nb, WRONG["no_softmax"][0]))
    submit(course, "hangs", ASSIGNMENT, prefixed(nb, "plot_value_array", "while True:\n    pass"))
    submit(course, "crashes", ASSIGNMENT, with_cells_replaced(nb, {"preprocess_images": "import os\nos._exit(1)"}))
    submit(course, "hungry", ASSIGNMENT, prefixed(nb, "plot_value_array", "big = np.ones(int(30e9 / 8))"))
    submit(course, "noisy", ASSIGNMENT, prefixed(nb, "plot_image", (
        "import os, socket\n"
        "for k in range(100000):\n    print('flood', k)\n"
        "for name in os.listdir('.'):\n    if name.endswith('.txt'):\n        os.remove(name)\n"
        "try:\n    socket.create_connection(('127.0.0.1', %d), timeout=3).close()\n"
        "except OSError:\n    pass") % listener.port))
    (course / "submitted" / "noisy" / ASSIGNMENT / "notes.txt").write_text("my notes")
    (course / "submitted" / "empty" / ASSIGNMENT).mkdir(parents=True)
    (course / "submitted" / "empty" / ASSIGNMENT / "notes.txt").write_text("forgot the notebook")
    before = folder_files(course / "submitted")
    result = grade(course, "--workers", "2")
    return course, result, before, listener


EXPECTED = {  # student: (status, score)
    "correct": ("graded", 24), "wrong": ("graded", 22), "hangs": ("timed out", 22),
    "crashes": ("kernel died", 0), "hungry": ("graded", 22), "noisy": ("graded", 24),
    "empty": ("missing notebook", 0),
}


STATUSES = {"graded", "timed out", "kernel died", "missing notebook", "failed"}


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
    assert "300 s per-cell limit and was interrupted" in rows["hangs"][2]
    assert "deleted files in its working folder: notes.txt" in rows["noisy"][2]
    assert "done 4  failed 3  remaining 0" in result.stderr  # progress: graded, and not


def test_gradebook_has_every_student(batch):
    course = batch[0]
    recorded = scores(course, ASSIGNMENT)
    assert set(recorded) == set(EXPECTED)
    for student, (_, score) in EXPECTED.items():
        assert sum(s for s, _ in recorded[student].values()) == score, student
    assert "correct" in (course / "grades.csv").read_text()


def test_submitted_files_are_never_changed(batch):
    course, _, before, _ = batch
    assert folder_files(course / "submitted") == before


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
    assert set(pages) >= {"correct", "wrong", "hangs", "crashes"}
    for student, text in pages.items():
        assert "HIDDEN TESTS" not in text and "checks.make_probability_model_softmax(" not in text, student
    assert "Add a Softmax layer" in pages["wrong"]
    assert "per-cell limit and was interrupted" in pages["hangs"] and "kernel died" in pages["crashes"]


def test_rerun_executes_nothing(batch):
    course = batch[0]
    result = grade(course, "--workers", "2")
    assert result.returncode == 0
    assert "7 unchanged, 0 to record, 0 to grade" in result.stderr


def test_a_changed_submission_is_graded_again(batch):
    course = batch[0]
    shutil.rmtree(course / "submitted" / "empty" / ASSIGNMENT)
    submit(course, "empty", ASSIGNMENT, with_cells_replaced(solution(course), {"preprocess_images": "import os\nos._exit(3)"}))
    result = grade(course, "--workers", "1", "--engine", "local")
    assert "6 unchanged, 0 to record, 1 to grade" in result.stderr
    assert report_rows(result.stdout)["empty"][:2] == ("kernel died", "0/24")


def test_time_limits(tmp_path):
    """A notebook over the whole-notebook limit, and a cell that ignores the per-cell interrupt."""
    course = make_course(tmp_path / "course")
    config = course / "nbgrader_config.py"
    config.write_text(config.read_text().replace("c.Execute.timeout = 300", "c.Execute.timeout = 30"))
    nb = solution(course)
    sleepy = "import time\ntime.sleep(25)"
    submit(course, "slow", ASSIGNMENT, prefixed(prefixed(nb, "preprocess_images", sleepy), "build_model", sleepy))
    submit(course, "stuck", ASSIGNMENT, with_cells_replaced(nb, {"preprocess_images": (
        "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    pass")}))
    result = grade(course, "--workers", "2", "--engine", "local", "--timeout", "75", "--no-feedback")
    rows = report_rows(result.stdout)
    assert rows["slow"][:2] == ("timed out", "0/24") and "whole-notebook limit" in rows["slow"][2], rows
    assert rows["stuck"][:2] == ("timed out", "0/24") and "did not stop when interrupted" in rows["stuck"][2], rows


def test_interrupted_run_resumes(tmp_path):
    course = make_course(tmp_path / "course")
    crash = with_cells_replaced(solution(course), {"preprocess_images": "import os\nos._exit(1)"})
    for student in ("first", "second", "third"):
        submit(course, student, ASSIGNMENT, crash)
    env = dict(os.environ, PATH=str(Path(sys.executable).parent) + os.pathsep + os.environ["PATH"])
    process = subprocess.Popen([sys.executable, "-m", "autograder", "grade", ASSIGNMENT,
                                "--course", str(course), "--workers", "1", "--engine", "local"],
                               env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True)
    state = course / ".grading" / f"{ASSIGNMENT}.json"
    deadline = time.monotonic() + 600
    while not state.exists() and time.monotonic() < deadline:
        time.sleep(0.5)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    assert state.exists(), "no result was recorded before the deadline"
    result = grade(course, "--workers", "1", "--engine", "local")
    assert result.returncode == 0, result.stderr[-2000:]
    counts = re.search(r"(\d+) unchanged, (\d+) to record, (\d+) to grade", result.stderr).groups()
    assert int(counts[1]) >= 1 and int(counts[1]) + int(counts[2]) == 3, counts
    assert len(re.findall(r"^(first|second|third)\s+kernel died\s+0/24", result.stdout, re.M)) == 3
    assert set(scores(course, ASSIGNMENT)) == {"first", "second", "third"}


def test_report_table_lines_up():
    text = table([("ann", "graded", 24.0, 24.0, ""), ("bo", "timed out", 0.0, 24.0, "stopped")])
    lines = text.splitlines()
    assert lines[0].startswith("student  status") and "24/24" in lines[2] and "stopped" in lines[3]


NOBODY_PROBE = """
import os, sys
sys.path.insert(0, {folder!r})
import isolation
prefix = isolation.network_prefix()
code, isolated = isolation.run([sys.executable, "-c", {connect!r}], "/tmp", 60, 2, dict(os.environ), {log!r})
print(os.geteuid(), "--user" in prefix, isolated, code)
"""
CONNECT = ("import socket, sys; s = socket.socket(); s.settimeout(3); "
           "sys.exit(0 if s.connect_ex(('127.0.0.1', {port})) == 0 else 7)")


@pytest.mark.skipif(os.geteuid() != 0 or not Path("/usr/bin/python3").exists(),
                    reason="needs root to switch to nobody, and a system python3 nobody can run")
def test_isolation_works_for_an_ordinary_user():
    """As nobody: a user namespace takes the network away (the host's listener is not reachable)."""
    import tempfile
    listener = Listener()
    scratch = Path(tempfile.mkdtemp(prefix="nobody-"))  # pytest's tmp folders are private to root
    scratch.chmod(0o777)
    log = scratch / "probe.log"
    folder = str(Path(__file__).resolve().parents[1] / "autograder" / "grading")
    script = NOBODY_PROBE.format(folder=folder, connect=CONNECT.format(port=listener.port), log=str(log))
    result = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                             "/usr/bin/python3", "-c", script], capture_output=True, text=True,
                            timeout=120, env={"PATH": "/usr/bin:/bin", "HOME": "/tmp"})
    assert result.stdout.split() == ["65534", "True", "True", "7"], result.stdout + result.stderr
    assert listener.connections == 0
    outside = subprocess.run(["/usr/bin/python3", "-c", CONNECT.format(port=listener.port)])
    assert outside.returncode == 0  # the same probe outside the namespace does connect
    shutil.rmtree(scratch, ignore_errors=True)


def test_time_limit_kills_processes_in_other_sessions(tmp_path):
    """Like a Jupyter kernel, the grandchild starts its own session; it must die at the limit too."""
    import psutil
    from autograder.grading import isolation
    pid_file = tmp_path / "child.pid"
    spawn = ("import subprocess, sys, time; p = subprocess.Popen([sys.executable, '-c', "
             "'import time; time.sleep(600)'], start_new_session=True); "
             f"open({str(pid_file)!r}, 'w').write(str(p.pid)); time.sleep(600)")
    code, _ = isolation.run([sys.executable, "-c", spawn], tmp_path, 5, None, dict(os.environ),
                            tmp_path / "log", isolate_network=False)
    assert code is None
    child = int(pid_file.read_text())
    time.sleep(0.5)
    assert not psutil.pid_exists(child) or psutil.Process(child).status() == psutil.STATUS_ZOMBIE
