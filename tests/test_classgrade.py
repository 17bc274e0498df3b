"""``python -m autograder grade``: class-scale grading on top of nbgrader (autograder/GRADING.md).

The slow tests grade one batch of real submissions (correct, wrong, crashing, memory-hungry,
output-flooding, file-deleting, missing; later a hanging one) with real nbgrader and real kernels
through Dask's LocalCluster with 2 workers. The first run is interrupted after its first recorded
result and run again; a hanging submission added later is graded alone with a short --timeout;
a last run finds nothing to do. The quick tests cover the pure parts: keys, the table, replay.
"""

import hashlib
import html
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
import psutil
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from nbgrader import utils
from notebooks import NOTEBOOK, ROOT, WRONG, failed, make_course, scores, submit, with_cells_replaced

from autograder.classgrade import replay as replay_module
from autograder.classgrade.report import Progress, fmt_score, table
from autograder.classgrade.state import State, submission_key, tree_hash
from autograder.classgrade.worker import autograde_preprocessors, classify

ASSIGNMENT = "fashion_mnist_en"
SOLUTION_PRE = "def preprocess_images(images):\n    return images / 255.0\n"
ADMA = WRONG["adma_typo"][0]["compile_model"]  # compile fails, so nothing trains: a fast notebook
ADMA_FAILED = WRONG["adma_typo"][1]
NETWORK_PROBE = ("import socket\ntry:\n    socket.create_connection(('pypi.org', 443), timeout=5).close()\n"
                 "    print('NETWORK: open')\nexcept OSError:\n    print('NETWORK: blocked')\n")


# --- quick tests of the pure parts ------------------------------------------------------------

def test_key_changes_with_any_byte_of_submission_or_source():
    submission, source = {"fashion_mnist.ipynb": b"{...}"}, {"fashion_mnist.ipynb": b"source"}
    key = submission_key(submission, source)
    assert key == submission_key(dict(submission), dict(source))
    assert key != submission_key({"fashion_mnist.ipynb": b"{..,}"}, source)       # wrong input: edited
    assert key != submission_key(submission, {"fashion_mnist.ipynb": b"source2"})  # source changed
    assert key != submission_key({**submission, "extra.py": b""}, source)          # a file added
    assert tree_hash({"a": b"bc"}) != tree_hash({"ab": b"c"})                     # names are delimited


def test_state_says_what_to_do(tmp_path):
    state = State(tmp_path)
    assert state.needs("ann", "k1", autograded_exists=False) == "execute"
    state.update("ann", key="k1", executed=True, recorded=False)
    assert State(tmp_path).needs("ann", "k1", False) == "replay"     # interrupted before recording
    state.update("ann", recorded=True)
    assert State(tmp_path).needs("ann", "k1", True) == "nothing"
    assert State(tmp_path).needs("ann", "k1", False) == "replay"     # autograded copy deleted
    assert State(tmp_path).needs("ann", "k2", True) == "execute"     # wrong input: resubmitted
    (tmp_path / "state.json").write_text("{broken")
    assert State(tmp_path).needs("ann", "k1", True) == "execute"     # damaged state: execute again


def test_table_and_progress():
    rows = [{"student": "bo", "status": "timed out", "score": 4.0, "max_score": 24.0, "action": "executed",
             "seconds": 41.2, "notes": []},
            {"student": "al", "status": "graded", "score": 24.0, "max_score": 24.0, "action": "unchanged",
             "seconds": None, "notes": ["x", "y"]}]
    text = table(rows)
    lines = text.splitlines()
    assert lines[0].split("|")[1].strip() == "student" and "al" in lines[2] and "bo" in lines[3]
    assert "| 24/24 " in lines[2] and "x; y" in lines[2] and "| 4/24 " in lines[3]
    assert text.endswith("2 submission(s): 1 graded, 1 timed out")
    assert fmt_score(None, 24.0) == "–/24" and fmt_score(None, None) == "–"

    class Log(list):
        def write(self, text):
            self.append(text)

        def flush(self):
            pass

    log = Log()
    progress = Progress("a1", 3, stream=log)
    progress.update(done=1, running=2)
    progress.update(failed=1, message="bo: timed out")
    assert "1/3  done 1  failed 0  remaining 2 (2 running)" in log[0]
    assert log[1] == "bo: timed out\n" and "2/3  done 1  failed 1  remaining 1" in log[2]


def _graded_notebook():
    grade = {"grade": True, "solution": False, "locked": True, "points": 2, "schema_version": 3}
    nb = new_notebook(cells=[
        new_markdown_cell("# title"),
        new_code_cell("LANG = 'en'\nx = 1"),
        new_code_cell("assert x == 1", metadata={"nbgrader": dict(grade, grade_id="t1")}),
        new_code_cell("y = x + 1"),
        new_code_cell("assert y == 2", metadata={"nbgrader": dict(grade, grade_id="t2")}),
    ])
    executed = nbformat.from_dict(nb)
    executed.cells[1].outputs = [new_output("stream", name="stdout", text="hello\n")]
    executed.cells[1].execution_count = 1
    return nb, executed


def test_replay_copies_outputs_and_marks_cells_not_reached():
    nb, executed = _graded_notebook()
    replay_module.replay(nb, executed)
    assert nb.cells[1].outputs[0]["text"] == "hello\n" and nb.cells[1].execution_count == 1
    assert [utils.determine_grade(nb.cells[i])[0] for i in (2, 4)] == [2, 2]

    nb, executed = _graded_notebook()
    replay_module.replay(nb, executed, {"why": "timed out", "reached": 2, "seconds": 30})
    assert utils.determine_grade(nb.cells[2])[0] == 2                      # ran before the stop
    assert utils.determine_grade(nb.cells[4])[0] == 0                      # never ran: 0 points
    stopped = nb.cells[3].outputs[-1]
    assert stopped["ename"] == "GradingStopped" and "30 s" in stopped["evalue"]
    assert "did not run" in nb.cells[4].outputs[-1]["evalue"]

    nb, executed = _graded_notebook()
    replay_module.replay(nb, None, {"why": "kernel died", "reached": -1})  # nothing ran at all
    assert "kernel died while running cell 2" in nb.cells[1].outputs[-1]["evalue"]
    assert [utils.determine_grade(nb.cells[i])[0] for i in (2, 4)] == [0, 0]


def test_replay_refuses_a_different_notebook():
    nb, executed = _graded_notebook()
    executed.cells[2].source = "pass  # edited test"   # wrong input: not the notebook that ran
    with pytest.raises(replay_module.ReplayMismatch):
        replay_module.replay(nb, executed)
    nb, executed = _graded_notebook()
    executed.cells.append(new_code_cell("extra"))
    with pytest.raises(replay_module.ReplayMismatch):
        replay_module.replay(nb, executed)


def test_replay_message_in_chinese():
    nb, executed = _graded_notebook()
    nb.cells[1].source = "LANG = 'zh'\nx = 1"
    executed.cells[1].source = nb.cells[1].source
    replay_module.replay(nb, executed, {"why": "timed out", "reached": 1, "seconds": 60})
    assert "60 秒" in nb.cells[2].outputs[-1]["evalue"]


def test_classify():
    done = {"status": "done", "reached": 40, "flooded": {}, "deleted": []}
    assert classify(0, False, {"nb": done}, ["nb"])[0] == "graded"
    assert classify(-9, True, {"nb": dict(done, status="running", reached=7)}, ["nb"])[:3:2] == (
        "timed out", {"nb": {"why": "timed out", "reached": 7}})
    assert classify(1, False, {"nb": dict(done, status="kernel died", reached=1)}, ["nb"])[0] == "kernel died"
    assert classify(1, False, {}, ["nb"])[0] == "failed"                    # no checkpoint at all
    status, notes, _ = classify(0, False, {"nb": dict(done, flooded={"3": 5_000_000})}, ["nb"])
    assert status == "output limited" and "5,000,000" in notes[0]
    status, notes, _ = classify(0, False, {"nb": dict(done, deleted=["work:a.py"], memory_error=True)}, ["nb"])
    assert status == "files deleted" and len(notes) == 2


def test_course_folders_resolve_against_the_course_not_the_cwd(tmp_path, monkeypatch):
    from autograder.classgrade.cli import course_folders
    (tmp_path / "nbgrader_config.py").write_text(
        "c = get_config()\nc.CourseDirectory.db_url = 'sqlite:///gradebook.db'\n"
        "c.CourseDirectory.course_id = 'c1'\nc.CourseDirectory.source_directory = 'solutions'\n")
    monkeypatch.chdir(ROOT)   # wrong input: a relative db_url read from elsewhere would hit ROOT's gradebook
    folders = course_folders(tmp_path)
    assert folders["db_url"] == f"sqlite:///{tmp_path / 'gradebook.db'}" and folders["course_id"] == "c1"
    assert folders["source"] == tmp_path / "solutions"


def test_replay_takes_executes_place_in_nbgrader_list():
    names = autograde_preprocessors("x.Replay")
    assert names[0] == "x.Replay" and not any(n.endswith(".Execute") for n in names)
    assert "nbgrader.preprocessors.saveautogrades.SaveAutoGrades" in names


# --- the real thing -----------------------------------------------------------------------------

def grade(course, *args, env=None, check=True):
    command = [sys.executable, "-m", "autograder", "grade", ASSIGNMENT, "--course", str(course), *args]
    result = subprocess.run(command, capture_output=True, text=True, env=env or _env(), timeout=1500)
    if check:
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-5000:]
    return result


def _env():
    bin_dir = str(Path(sys.executable).parent)
    return dict(os.environ, PATH=bin_dir + os.pathsep + os.environ.get("PATH", ""), TF_CPP_MIN_LOG_LEVEL="2")


def last_run(course):
    data = json.loads((course / ".grading" / ASSIGNMENT / "last_run.json").read_text())
    return {row["student"]: row for row in data["rows"]}, data


def hashes(folder):
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(Path(folder).rglob("*")) if p.is_file()}


def page_text(path):
    return html.unescape(re.sub(r"<[^>]+>", "", path.read_text(encoding="utf-8")))


def sandboxes_left(students):
    """Sandboxes (scratch courses are named classgrade-STUDENT-…) of these students still running."""
    found = []
    for process in psutil.process_iter(["cmdline", "cwd"]):
        try:
            text = " ".join(process.info["cmdline"] or []) + " " + (process.info["cwd"] or "")
        except (psutil.Error, TypeError):
            continue
        if "autograde" in text and any(f"classgrade-{student}-" in text for student in students):
            found.append(process.pid)
    return found


def batch(solution):
    return {
        "a_crash": with_cells_replaced(solution, {"preprocess_images": "import os\nos._exit(1)"}),
        "correct": solution,
        "wrong": with_cells_replaced(solution, {"compile_model": ADMA}),
        "memory_hog": with_cells_replaced(solution, {
            "build_model": "hog = bytearray(30 * 1024**3)  # 30 GB\n"
                           "def build_model():\n    return None",
            "compile_model": ADMA}),
        "flood": with_cells_replaced(solution, {
            "preprocess_images": SOLUTION_PRE + "for _ in range(40000):\n    print('spam ' * 40)",
            "compile_model": ADMA}),
        "deleter": with_cells_replaced(solution, {
            "preprocess_images": SOLUTION_PRE + NETWORK_PROBE
            + "import os, shutil\nfor name in os.listdir('.'):\n"
              "    shutil.rmtree(name) if os.path.isdir(name) else os.remove(name)\n"
              "shutil.rmtree('../../../submitted', ignore_errors=True)\n",
            "compile_model": ADMA}),
    }


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    course = make_course(tmp_path_factory.mktemp("classcourse"))
    solution = nbformat.read(course / "solutions" / ASSIGNMENT / NOTEBOOK, 4)
    for student, nb in batch(solution).items():
        submit(course, student, ASSIGNMENT, nb)
    (course / "submitted" / "nobook" / ASSIGNMENT).mkdir(parents=True)
    (course / "submitted" / "nobook" / ASSIGNMENT / "answers.txt").write_text("I lost my notebook")
    before = hashes(course / "submitted")
    runs = {}

    # 1. interrupted after its first recorded result ...
    command = [sys.executable, "-m", "autograder", "grade", ASSIGNMENT, "--course", str(course),
               "--workers", "2", "--timeout", "600"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env())
    state_file = course / ".grading" / ASSIGNMENT / "state.json"
    first = None
    deadline = time.monotonic() + 600
    while process.poll() is None and time.monotonic() < deadline and first is None:
        time.sleep(0.5)
        if state_file.exists():
            try:
                students = json.loads(state_file.read_text())["students"]
            except ValueError:
                continue
            first = next((name for name, entry in students.items() if entry.get("recorded")), None)
    process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=120)
    runs["interrupted"] = (process.returncode, first, err)
    time.sleep(3)
    runs["left_after_interrupt"] = sandboxes_left(list(batch(solution)) + ["nobook"])

    # 2. ... resumed: only the rest are executed
    runs["resumed"] = grade(course, "--workers", "2", "--timeout", "600")
    runs["resumed_rows"] = last_run(course)[0]

    # 3. a hanging submission arrives late; a short whole-notebook limit stops it
    submit(course, "hang", ASSIGNMENT, with_cells_replaced(solution, {
        "build_model": "import time\nwhile True:\n    time.sleep(1)"}))
    before.update({k: v for k, v in hashes(course / "submitted").items() if k.startswith("hang/")})
    runs["hang"] = grade(course, "--workers", "2", "--timeout", "75")
    runs["hang_rows"] = last_run(course)[0]

    # 4. nothing changed: nothing is executed
    start = time.monotonic()
    runs["again"] = grade(course, "--workers", "2")
    runs["again_seconds"] = time.monotonic() - start
    runs["again_rows"], runs["again_data"] = last_run(course)
    after = hashes(course / "submitted")
    return course, runs, before, after


pytestmark_slow = pytest.mark.slow


@pytestmark_slow
def test_interrupted_run_keeps_its_finished_work(graded):
    course, runs, _, _ = graded
    returncode, first, err = runs["interrupted"]
    assert first is not None, err[-3000:]
    assert returncode == 130 and "interrupted" in err
    assert runs["left_after_interrupt"] == [], "sandboxes outlived the interrupted run"
    rows = runs["resumed_rows"]
    assert rows[first]["action"] == "unchanged"
    executed = {name for name, row in rows.items() if row["action"] in ("executed", "replayed")}
    assert executed == set(rows) - {first}


@pytestmark_slow
def test_each_submission_has_its_status_and_score(graded):
    course = graded[0]
    rows = {**graded[1]["resumed_rows"], **graded[1]["hang_rows"]}
    cells = scores(course, ASSIGNMENT)
    status = {name: row["status"] for name, row in rows.items()}
    assert status == {"a_crash": "kernel died", "correct": "graded", "wrong": "graded",
                      "memory_hog": "memory error", "flood": "output limited", "deleter": "files deleted",
                      "nobook": "missing notebook", "hang": "timed out"}, rows
    assert sum(s for s, _ in cells["correct"].values()) == 24
    assert failed(cells["wrong"]) == ADMA_FAILED
    assert failed(cells["flood"]) == ADMA_FAILED and failed(cells["deleter"]) == ADMA_FAILED
    assert all(score == 0 for score, _ in cells["a_crash"].values())
    assert all(score == 0 for score, _ in cells["nobook"].values())
    assert {"test_build_model_output", "test_build_model_layers"} <= failed(cells["memory_hog"])
    assert not {"test_preprocess_images_shape", "test_plot_image"} & failed(cells["memory_hog"])
    # the hanging notebook: part 1 ran before the loop and keeps its 4 points; the rest scores 0
    assert {k: v[0] for k, v in cells["hang"].items() if v[0]} == {
        "test_preprocess_images_shape": 1, "test_preprocess_images_range": 2, "test_preprocess_images_input": 1}
    assert "flood" in rows and "characters dropped" in "; ".join(rows["flood"]["notes"])
    assert "deleted" in "; ".join(rows["deleter"]["notes"])


@pytestmark_slow
def test_gradebook_and_export_have_every_student(graded):
    course = graded[0]
    students = {"a_crash", "correct", "wrong", "memory_hog", "flood", "deleter", "nobook", "hang"}
    assert set(scores(course, ASSIGNMENT)) == students
    export = (course / "grades.csv").read_text()
    assert all(f",{student}," in export for student in students)


@pytestmark_slow
def test_submitted_files_are_never_changed(graded):
    _, _, before, after = graded
    assert after == before
    assert any(name.startswith("deleter/") for name in after)  # it tried to delete them


@pytestmark_slow
def test_student_code_has_no_network(graded):
    course = graded[0]
    text = (course / "autograded" / "deleter" / ASSIGNMENT / NOTEBOOK).read_text()
    isolation = graded[1]["again_data"]["isolation"]
    if isolation.startswith("no network ("):
        assert "NETWORK: blocked" in text
    else:
        pytest.skip(f"network isolation unavailable here: {isolation}")


@pytestmark_slow
def test_rerun_with_nothing_changed_executes_nothing(graded):
    rows = graded[1]["again_rows"]
    assert {row["action"] for row in rows.values()} == {"unchanged"}
    assert "executed" not in graded[1]["again"].stdout.split("|", 7)[-1]
    assert graded[1]["hang_rows"]["hang"]["action"] == "executed"
    assert {row["action"] for name, row in graded[1]["hang_rows"].items() if name != "hang"} == {"unchanged"}


@pytestmark_slow
def test_report_table_and_progress(graded):
    result = graded[1]["again"]
    assert "| student" in result.stdout and "| hang " in result.stdout and "timed out" in result.stdout
    assert re.search(r"\d+/8  done \d+  failed \d+  remaining 0", result.stderr)
    assert "8 submission(s)" in result.stdout


@pytestmark_slow
def test_feedback_explains_without_hidden_tests(graded):
    course = graded[0]
    pages = {p.parts[-3]: page_text(p) for p in (course / "feedback").glob(f"*/{ASSIGNMENT}/*.html")}
    assert set(pages) >= {"a_crash", "correct", "wrong", "memory_hog", "flood", "deleter", "hang"}
    for student, text in pages.items():
        assert "HIDDEN TESTS" not in text, student
        assert not re.search(r"checks\.(preprocess_images_range|accuracy_threshold|plot_image_label)\(",
                             text), student
    assert "the grader stopped this notebook after 75 s" in pages["hang"].lower()
    assert "kernel died while running cell" in pages["a_crash"]
    assert "compile_model raised ValueError: Could not interpret optimizer identifier: adma" in pages["wrong"]


@pytestmark_slow
def test_feedback_check_can_fail(graded):
    """The same hidden lines are in the autograded notebooks: the check above would see them."""
    course = graded[0]
    text = (course / "autograded" / "hang" / ASSIGNMENT / NOTEBOOK).read_text()
    assert "checks.preprocess_images_range(" in text


# --- as a user without privileges, on a course folder that user owns --------------------------

NOBODY = 65534


@pytestmark_slow
@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("setpriv"), reason="needs root to become nobody")
def test_grades_as_an_unprivileged_user():
    top = Path(tempfile.mkdtemp(prefix="classgrade-nobody-test-", dir="/tmp"))
    try:
        course = make_course(top / "course")
        solution = nbformat.read(course / "solutions" / ASSIGNMENT / NOTEBOOK, 4)
        submit(course, "wrong", ASSIGNMENT, with_cells_replaced(solution, {"compile_model": ADMA}))
        keras = Path(os.environ.get("KERAS_HOME", Path.home() / ".keras"))
        shutil.copytree(keras / "datasets" / "fashion-mnist", top / "keras" / "datasets" / "fashion-mnist")
        (top / "home").mkdir()
        subprocess.run(["chown", "-R", f"{NOBODY}:{NOBODY}", str(top)], check=True)
        env = dict(_env(), HOME=str(top / "home"), KERAS_HOME=str(top / "keras"))
        command = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups",
                   sys.executable, "-m", "autograder", "grade", ASSIGNMENT, "--course", str(course),
                   "--workers", "1", "--timeout", "600"]
        python_home = Path(os.path.realpath(sys.executable)).parents[3]   # e.g. /root/.pyenv
        if python_home.is_relative_to("/root"):
            # This machine's Python lives under mode-700 /root, which `nobody` cannot traverse (a real
            # user would have their own Python). In a private mount namespace, /root becomes a tmpfs
            # holding only that Python, bound in; nothing changes outside this test's processes.
            staging = top / "python-home"
            staging.mkdir()
            inside = "/root/" + str(python_home.relative_to("/root"))
            script = (f"mount --bind {python_home} {staging} && mount -t tmpfs -o mode=755 none /root && "
                      f"mkdir -p {inside} && mount --bind {staging} {inside} && exec \"$@\"")
            command = ["unshare", "--mount", "--propagation", "private", "sh", "-c", script, "sh", *command]
        result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=900)
        assert result.returncode == 0, result.stderr[-4000:]
        rows, data = last_run(course)
        assert rows["wrong"]["status"] == "graded"
        assert failed(scores(course, ASSIGNMENT)["wrong"]) == ADMA_FAILED
        assert "student code: " + data["isolation"] in result.stderr  # says what isolation it had
        if data["isolation"].startswith("no network"):
            assert "user namespace" in data["isolation"]   # not root: unshare --user --map-root-user
        owners = {p.stat().st_uid for p in course.rglob("*")}
        assert owners == {NOBODY}
    finally:
        shutil.rmtree(top, ignore_errors=True)
