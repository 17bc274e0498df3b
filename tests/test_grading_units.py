"""The grading core on tiny fixtures, in seconds: statuses, notes, state, fingerprints, the
replay and accuracy preprocessors, and the box itself with each attack planted in a shell."""

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import numpy as np
import pytest
from nbformat.v4 import new_code_cell, new_notebook, new_output

from autograder import __main__ as entry
from autograder.box.command import interpreter_path
from autograder.grading import batch, jobs, sandbox
from autograder.grading.gradebook import replay_preprocessors
from autograder.grading.progress import table
from autograder.grading.replay import NOT_RUN, ReplayExecution
from autograder.grading.state import State
from autograder.grading.status import Result, Status
from autograder.grading.worker import notes, status_of
from autograder.preprocessors import GradingExecute, HideHiddenTests, JudgeAccuracy
from autograder.preprocessors.accuracy import GRADE_ID, HANDOVER, HANDOVER_DIR

ROOT = Path(__file__).resolve().parents[1]
needs_bwrap = pytest.mark.skipif(sandbox.problem() is not None, reason="no bubblewrap box on this machine")


def _job(**limits):
    return jobs.Job("ann", "a1", {"fashion_mnist.ipynb": b"{}", "notes.txt": b"x"}, {}, ["fashion_mnist.ipynb"],
                    "f1", sandbox.Limits(**limits))


def _grade_cell(grade_id, source="pass", outputs=()):
    cell = new_code_cell(source, metadata={"nbgrader": {"grade": True, "grade_id": grade_id, "points": 3,
                                                        "solution": False, "locked": True}})
    cell.outputs = list(outputs)
    return cell


# --- statuses and notes ------------------------------------------------------------------------

@pytest.mark.parametrize("code, log, executed, cell_limit, expected", [
    (None, "", {}, None, Status.TIMED_OUT),
    (1, "DeadKernelError: Kernel died", {}, None, Status.KERNEL_DIED),
    (0, "", {"fashion_mnist.ipynb": "{}"}, 300, Status.TIMED_OUT),
    (1, "nbclient.exceptions.CellTimeoutError", {}, None, Status.TIMED_OUT),
    (1, "[AutogradeApp | ERROR] something broke", {}, None, Status.FAILED),
    (0, "", {"fashion_mnist.ipynb": "{}"}, None, Status.GRADED),
])
def test_status_of_each_ending(code, log, executed, cell_limit, expected):
    status, detail = status_of(code, log, executed, _job(), cell_limit)
    assert status == expected and isinstance(status, Status)
    assert (detail == "") == (expected == Status.GRADED)


def test_notes_say_what_the_notebook_did():
    executed = {"fashion_mnist.ipynb": "MemoryError ... Resource temporarily unavailable ... No space left on device"}
    said = notes(executed, _job(disk_gb=1, processes=64))
    assert said == ["a cell ran out of memory (limit 6 GB)", "it hit the limit of 64 processes",
                    "it filled its scratch folder (limit 1 GB)"]
    assert notes({"x": "fine"}, _job()) == []


def test_result_summary_keeps_no_bytes():
    result = Result("ann", Status.GRADED, notebooks={"a": "b"}, handover={"w": b"1"})
    assert set(result.summary()) >= {"student", "status", "seconds"} and "handover" not in result.summary()


def test_report_table_lines_up():
    text = table([("ann", "graded", 24.0, 24.0, ""), ("bo", "timed out", 0.0, 24.0, "stopped")])
    lines = text.splitlines()
    assert lines[0].startswith("student  status") and "24/24" in lines[2] and "stopped" in lines[3]


# --- run state ---------------------------------------------------------------------------------

def test_state_skips_only_what_the_gradebook_holds(tmp_path):
    state, job = State(tmp_path, "a1"), _job()
    state.record(job, Result("ann", Status.GRADED))
    assert not state.is_done(job, {"ann": "id-1"})          # recorded nowhere yet
    state.mark_recorded("ann", "id-1")
    assert state.is_done(job, {"ann": "id-1"})
    assert not state.is_done(job, {})                       # make clean: a new, empty gradebook
    assert not state.is_done(job, {"ann": "id-2"})          # a new gradebook with a new submission
    job.fingerprint = "f2"
    assert not state.is_done(job, {"ann": "id-1"})          # the submission changed
    again = State(tmp_path, "a1")
    assert again.get("ann").status is Status.GRADED and again.get("ann").recorded_as == "id-1"


def test_state_has_result_needs_the_stored_notebooks(tmp_path):
    state, job = State(tmp_path, "a1"), _job()
    state.record(job, Result("ann", Status.GRADED))
    assert not state.has_result(job)
    (state.results_dir / "ann" / "a1").mkdir(parents=True)
    assert state.has_result(job)


# --- fingerprints ------------------------------------------------------------------------------

@pytest.fixture
def fingerprint_course(tmp_path, monkeypatch):
    code = tmp_path / "code"
    for package in ("autograder", "course"):   # the student package is in course/student-package
        shutil.copytree(ROOT / package, code / package, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(jobs, "ROOT", code)
    course = tmp_path / "course"
    shutil.copytree(ROOT / "solutions" / "fashion_mnist_en", course / "solutions" / "fashion_mnist_en")
    shutil.copy(ROOT / "nbgrader_config.py", course)
    return course, code


@pytest.mark.parametrize("change", ["course/reference.py", "autograder/judges/registry.py", "autograder/calibration.json",
                                    "autograder/preprocessors/accuracy.py", "autograder/grading/worker.py",
                                    "autograder/preprocessors/execute.py",
                                    "course/student-package/fashion_mnist_student/probes.py",
                                    "course/student-package/fashion_mnist_student/checks.py",
                                    "nbgrader_config.py", "limits"])
def test_fingerprint_changes_with_everything_that_decides_a_grade(fingerprint_course, change):
    course, code = fingerprint_course
    before = jobs.grading_fingerprint(course, "fashion_mnist_en", sandbox.Limits())
    limits = sandbox.Limits()
    if change == "limits":
        limits = sandbox.Limits(seconds=60)
    elif change == "nbgrader_config.py":
        (course / change).write_text((course / change).read_text().replace("timeout = 300", "timeout = 30"))
    else:
        (code / change).write_text((code / change).read_text() + "\n")
    assert jobs.grading_fingerprint(course, "fashion_mnist_en", limits) != before


@pytest.mark.parametrize("change", ["course/figures.py", "course/text.py", "autograder/report/html.py",
                                    "autograder/grading/cli.py", "autograder/demo.py", "autograder/samples.py"])
def test_fingerprint_ignores_what_decides_no_grade(fingerprint_course, change):
    """The book's helpers, the class report, the command line and the demo decide no grade."""
    course, code = fingerprint_course
    before = jobs.grading_fingerprint(course, "fashion_mnist_en", sandbox.Limits())
    (code / change).write_text((code / change).read_text() + "\nx = 1\n")
    (code / "autograder" / "report" / "extra.py").write_text("x = 1\n")
    assert jobs.grading_fingerprint(course, "fashion_mnist_en", sandbox.Limits()) == before


def test_fingerprint_ignores_the_feedback_pages_code(fingerprint_course):
    """The exporter nbgrader_config.py gives the feedback pages decides no grade: editing it
    regrades nothing (the preprocessors it gives autograde are followed: the test above)."""
    from autograder.grading.gradebook import course_config
    course, code = fingerprint_course
    exporter = course_config(course).GenerateFeedback.exporter_class
    assert isinstance(exporter, str) and exporter.startswith("autograder.")
    path = jobs.module_file(exporter.rpartition(".")[0], code)
    before = jobs.grading_fingerprint(course, "fashion_mnist_en", sandbox.Limits())
    path.write_text(path.read_text() + "\nx = 1\n")
    assert jobs.grading_fingerprint(course, "fashion_mnist_en", sandbox.Limits()) == before


def test_grading_code_is_what_the_grading_modules_import(fingerprint_course):
    course, code = fingerprint_course
    files = jobs.grading_code(course, "fashion_mnist_en", code)
    assert {"autograder/judges/compile.py", "autograder/calibration.json", "course/reference.py",
            "autograder/grading/worker.py", "autograder/preprocessors/accuracy.py",
            "autograder/preprocessors/execute.py", "course/student-package/fashion_mnist_student/probes.py",
            "course/student-package/fashion_mnist_student/checks.py"} <= set(files)
    assert not {"course/figures.py", "course/text.py", "autograder/grading/cli.py"} & set(files)
    assert not [name for name in files if name.startswith("autograder/report/")]


def test_an_import_added_to_a_module_is_followed_at_once(fingerprint_course):
    """Parsed modules are remembered by their source (the suite and a long-lived process compute
    the fingerprint many times): a module edited to import another is read again, and what it
    now imports joins the grading code, at its next computation in the same process."""
    course, code = fingerprint_course
    assert "course/figures.py" not in jobs.grading_code(course, "fashion_mnist_en", code)
    registry = code / "autograder" / "judges" / "registry.py"
    registry.write_text(registry.read_text() + "\nimport course.figures\n")
    assert "course/figures.py" in jobs.grading_code(course, "fashion_mnist_en", code)


def test_worker_gets_no_solution_notebook(fingerprint_course):
    course, _ = fingerprint_course
    (course / "gradebook.db").write_bytes(b"")
    assert not [name for name in jobs.course_files(course, "fashion_mnist_en") if name.endswith(".ipynb")]


# --- preprocessors -----------------------------------------------------------------------------

def _resources(folder, student="ann"):
    return {"nbgrader": {"student": student, "assignment": "a1", "notebook": "nb"},
            "metadata": {"path": str(folder)}}


def test_replay_copies_outputs_and_names_the_hand_over_folder(tmp_path):
    nb = new_notebook(cells=[_grade_cell("t1", "x = 1")])
    executed = nbformat.from_dict(nb)
    executed.cells[0].outputs = [new_output("stream", name="stdout", text="ran\n")]
    folder = tmp_path / "ann" / "a1"
    folder.mkdir(parents=True)
    nbformat.write(executed, folder / "nb.ipynb")
    replayed, resources = ReplayExecution(results_dir=str(tmp_path)).preprocess(nbformat.from_dict(nb), _resources(tmp_path))
    assert replayed.cells[0].outputs[0]["text"] == "ran\n" and resources[HANDOVER_DIR] == str(folder)
    executed.cells[0].source = "x = 2"  # a result that is not this submission's
    nbformat.write(executed, folder / "nb.ipynb")
    with pytest.raises(RuntimeError, match="does not match"):
        ReplayExecution(results_dir=str(tmp_path)).preprocess(nbformat.from_dict(nb), _resources(tmp_path))


def test_replay_of_a_notebook_that_did_not_run_zeroes_every_grade_cell(tmp_path):
    folder = tmp_path / "ann" / "a1"
    folder.mkdir(parents=True)
    (folder / NOT_RUN).write_text("timed out: stopped after 900 s")
    nb = new_notebook(cells=[_grade_cell("t1"), _grade_cell("t2")])
    replayed, _ = ReplayExecution(results_dir=str(tmp_path)).preprocess(nb, _resources(tmp_path))
    assert [c.outputs[0]["evalue"] for c in replayed.cells] == ["timed out: stopped after 900 s"] * 2


def test_replay_pipeline_keeps_the_accuracy_verdict():
    from traitlets.config.loader import PyFileConfigLoader
    config = PyFileConfigLoader("nbgrader_config.py", path=str(ROOT)).load_config()
    names = [p if isinstance(p, str) else p.__name__ for p in replay_preprocessors(config)]
    assert names[0] == "ReplayExecution" and "autograder.preprocessors.JudgeAccuracy" in names
    assert "autograder.judges.JudgeProbes" in names
    assert not [n for n in names if n.endswith((".Execute", ".GradingExecute"))]


def _accuracy_notebook(outputs=()):
    return new_notebook(cells=[new_code_cell('LANG = "zh"'), _grade_cell(GRADE_ID, outputs=outputs)])


def test_judge_accuracy_without_hand_over_scores_zero(tmp_path):
    nb, _ = JudgeAccuracy().preprocess(_accuracy_notebook(), _resources(tmp_path))
    error = nb.cells[1].outputs[-1]
    assert error["output_type"] == "error" and "没有收到训练好的模型" in error["evalue"]


def test_judge_accuracy_keeps_a_kernel_error(tmp_path):
    failed = new_output("error", ename="NameError", evalue="model", traceback=[])
    nb, _ = JudgeAccuracy().preprocess(_accuracy_notebook([failed]), _resources(tmp_path))
    assert nb.cells[1].outputs == [failed]


def test_judge_accuracy_measures_the_handed_over_weights(tmp_path):
    from course import reference
    model = reference.build_model()
    (tmp_path / HANDOVER).parent.mkdir()
    np.savez(tmp_path / HANDOVER, **{f"w{i}": w for i, w in enumerate(model.get_weights())})
    nb, _ = JudgeAccuracy().preprocess(_accuracy_notebook(), _resources(tmp_path))
    cell = nb.cells[1]
    assert cell.outputs[-1]["output_type"] == "error" and "准确率" in cell.outputs[-1]["evalue"]
    assert 0 <= cell.metadata["autograder"]["accuracy"] < 0.5


def test_hide_hidden_tests_keeps_the_message_only():
    cell = _grade_cell("t1", "visible()\n### BEGIN HIDDEN TESTS\nsecret_check()\n### END HIDDEN TESTS",
                       [new_output("error", ename="AssertionError", evalue="say this",
                                   traceback=["secret_check() line", "AssertionError: say this"])])
    nb, _ = HideHiddenTests().preprocess(new_notebook(cells=[cell]), {})
    assert "secret_check" not in nb.cells[0].source
    assert nb.cells[0].outputs[0]["traceback"] == ["AssertionError: say this"]


# --- the box, with the attacks planted in a shell ----------------------------------------------

def _in_box(tmp_path, script, **limits):
    staging = tmp_path / "staging"
    staging.mkdir(exist_ok=True)
    out = tmp_path / "out.txt"
    outcome = sandbox.run(["sh", "-c", script], staging, str(tmp_path), sandbox.Limits(**limits),
                          {"PATH": "/usr/bin:/bin"}, out)
    return outcome, out.read_text(errors="replace")


@needs_bwrap
def test_box_sees_its_own_tmp_only(tmp_path):
    (tmp_path / "course-file.txt").write_text("instructor's")
    home = Path.home()
    _, said = _in_box(tmp_path, f"touch {home}/x && echo home-writable; cat {tmp_path}/course-file.txt; "
                                f"echo hi > /tmp/mine && cat /tmp/mine; touch /var/tmp/x /dev/shm/x && echo shared-writable; "
                                f"touch $KERAS_HOME/keras.json && ls $KERAS_HOME/datasets/fashion-mnist")
    assert "home-writable" not in said and "shared-writable" not in said and "instructor's" not in said
    assert "hi" in said and not (home / "x").exists()
    # Keras reads the data set from a writable KERAS_HOME, or it would try to download it
    assert "train-images-idx3-ubyte.gz" in said, said


@needs_bwrap
def test_box_holds_no_judge_no_reference_and_no_checkout(tmp_path):
    """A submission that looks for the hidden checks or the reference solution finds nothing: the
    judges and this checkout (course/reference.py, solutions/, .git) are not mounted; the
    student package, which the kernel imports, is."""
    import fashion_mnist_student

    import autograder
    from autograder.box import view
    judges = Path(autograder.__file__).parent / "judges"
    student = f"{view.base_site_packages()}/fashion_mnist_student"     # where the box's Python finds it
    assert Path(fashion_mnist_student.__file__).parent.is_dir()
    script = (f"ls {judges}; cat {ROOT}/course/reference.py; ls {ROOT}/solutions {ROOT}/.git; "
              f"ls {student} | grep -c probes; echo done")
    _, said = _in_box(tmp_path, script)
    assert "registry.py" not in said and "def build_model" not in said and "HEAD" not in said, said
    assert "fashion_mnist.ipynb" not in said and said.strip().endswith("done")
    assert "1" in said.split()  # the check can see a file where there is one: probes.py is shown
    _, outside = _run_unboxed(script)
    assert "registry.py" in outside and "def build_model" in outside  # ... and these exist


def _run_unboxed(script):
    import subprocess
    done = subprocess.run(["sh", "-c", script], capture_output=True, text=True)
    return done.returncode, done.stdout + done.stderr


@needs_bwrap
def test_box_kills_what_it_started_when_it_ends(tmp_path):
    import psutil
    marker = f"box-daemon-{os.getpid()}"
    _in_box(tmp_path, f"setsid sh -c 'exec -a {marker} sleep 600' & echo started")
    time.sleep(1)
    assert not [p for p in psutil.process_iter(["cmdline"]) if marker in " ".join(p.info["cmdline"] or [])]


@needs_bwrap
def test_box_has_no_network(tmp_path):
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]
    script = f"{interpreter_path()} -c \"import socket; socket.create_connection(('127.0.0.1', {port}), 3); print('reached')\""
    _, said = _in_box(tmp_path, script)
    server.close()
    assert "reached" not in said
    _, said = _in_box(tmp_path, script.replace(str(port), "9"), network=True)  # the check can see a connection
    assert "refused" in said or "reached" in said


@needs_bwrap
def test_box_caps_processes(tmp_path):
    _, said = _in_box(tmp_path, "i=0; while [ $i -lt 200 ]; do sleep 5 & i=$((i+1)); done 2>&1 | tail -1; echo end",
                      processes=32)
    assert "fork" in said.lower() or "resource" in said.lower(), said


ORPHAN = """
import json, os, subprocess, sys
from autograder.grading.sandbox import Limits, ProcessCap
cap = ProcessCap(64).__enter__()
launcher = cap.launcher(Limits())
if sys.argv[1] == "--old":   # the launcher before: a shell that execs prlimit, nothing else
    launcher = ["/bin/sh", "-c", 'exec "$0" "$@"', launcher[launcher.index("/bin/sh") + 3], "--"]
child = subprocess.Popen([*launcher, *sys.argv[2:]], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
print(json.dumps([child.pid, [str(g) for g in (cap.cgroup, cap.memory_cgroup) if g]]), flush=True)
os._exit(0)   # gone while the child's launcher is still on its way to the box
"""


def _orphans(argv):
    """The process a launcher started whose grader died right after Popen, if still alive 1 s later
    (it is killed, its cgroups removed)."""
    import json
    import psutil
    out = subprocess.run([sys.executable, "-c", ORPHAN, *argv], capture_output=True, text=True, check=True)
    pid, cgroups = json.loads(out.stdout)
    time.sleep(1)
    try:
        alive = psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        alive = False
    if alive:
        sandbox.kill_tree(pid)
    for group in cgroups:
        for _ in range(50):
            try:
                Path(group).rmdir()
                break
            except OSError:
                time.sleep(0.1)
    return alive


def test_a_box_whose_grader_dies_as_it_starts_does_not_outlive_it(monkeypatch):
    """Killed in the instant after it started a box (as a test of the class command once did),
    the grader left that box running: bwrap's --die-with-parent comes too late when the grader is
    already gone. The launcher asks for the signal first thing and checks its parent is still there."""
    assert not _orphans(["--new", "sleep", "30"])
    # the same with the launcher before (no setpriv, no check of the parent): the sleep outlives it
    assert _orphans(["--old", "sleep", "30"])


@needs_bwrap
def test_box_caps_disk_and_wall_clock(tmp_path):
    _, said = _in_box(tmp_path, "for i in 1 2 3 4 5 6 7 8; do dd if=/dev/zero of=/tmp/f$i bs=1M count=10; done 2>&1 "
                                "| grep -i space | head -1", disk_gb=0.05)
    assert "No space left" in said, said
    _, said = _in_box(tmp_path, "dd if=/dev/zero of=/tmp/big bs=1M count=200 2>&1 | tail -1", disk_gb=0.05)
    assert "File size limit exceeded" in said, said
    outcome, _ = _in_box(tmp_path, "sleep 60", seconds=2)
    assert outcome.exit_code is None


@needs_bwrap
def test_box_sets_its_limits_before_the_student_runs(tmp_path):
    """Address space, file size, open files and core dumps are limited in the box (a wrong limit,
    or none, shows a different number), and a process that asks for more memory than it may have
    gets a MemoryError."""
    _, said = _in_box(tmp_path, "ulimit -v; ulimit -f; ulimit -n; ulimit -c", memory_gb=1, disk_gb=0.5, open_files=77)
    assert said.split() == [str(1024 ** 2), str(1024 ** 2), "77", "0"], said
    script = "python3 -c 'x = bytearray(600 * 1024 ** 2); print(\"allocated\")' 2>&1 | tail -1"
    _, said = _in_box(tmp_path, script, memory_gb=0.4)
    assert "MemoryError" in said and "allocated" not in said, said
    _, said = _in_box(tmp_path, script, memory_gb=2)
    assert "allocated" in said, said


def test_no_python_runs_between_fork_and_exec(tmp_path, monkeypatch):
    """The coordinator forks from a process with threads (workers, the gradebook writer): Python
    code in the child before exec (a ``preexec_fn``) can wait forever for a lock another thread
    held at the fork, and ``Popen`` waits with it. The box is started without one."""
    import subprocess
    seen = {}

    class Stop(Exception):
        pass

    def popen(argv, **options):
        seen.update(options, argv=argv)
        raise Stop
    monkeypatch.setattr(subprocess, "Popen", popen)
    monkeypatch.setattr(sandbox.ProcessCap, "__enter__", lambda self: self)
    with pytest.raises(Stop):
        sandbox.run(["true"], tmp_path, str(tmp_path), sandbox.Limits(), {}, tmp_path / "out", sandboxed=False)
    assert seen.get("preexec_fn") is None and seen["start_new_session"] is True
    assert seen["argv"][:5] == [sandbox._setpriv(), "--pdeathsig", "KILL", "--", "/bin/sh"]
    assert "--nproc=512" in seen["argv"]


# A worker thread starts boxes while the coordinator's main thread multiplies matrices (the
# accuracy judge, in nbgrader's process): with Python code run between fork and exec, OpenBLAS's
# fork handler and the matrix product wait for each other forever (the demo hung this way in CI).
SPAWN_WHILE_MULTIPLYING = """
import os, subprocess, sys, threading, time
import numpy as np
from autograder.grading import sandbox
done, spawned = threading.Event(), [0]
def spawn():
    while not done.is_set():
        if sys.argv[1] == "box":
            sandbox.run(["true"], ".", ".", sandbox.Limits(), {}, os.devnull, sandboxed=False)
        else:
            subprocess.run(["true"], preexec_fn=os.setsid)
        spawned[0] += 1
worker = threading.Thread(target=spawn, daemon=True)
worker.start()
images, weights = np.random.rand(2000, 784), np.random.rand(784, 128)
end = time.monotonic() + 3
while time.monotonic() < end:
    images @ weights
done.set()
worker.join(30)
print("spawned", spawned[0], "stuck" if worker.is_alive() else "done")
"""


def _spawn_while_multiplying(how, seconds):
    """Run the script above as the coordinator runs: with NumPy's default BLAS pool, one thread a
    core (the suite gives its own processes one thread, tests/conftest.py, and a pool of one cannot
    hang the fork)."""
    import subprocess

    from course.threads import VARIABLES
    env = {name: value for name, value in os.environ.items() if name not in VARIABLES}
    try:
        said = subprocess.run([sys.executable, "-c", SPAWN_WHILE_MULTIPLYING, how], capture_output=True,
                              text=True, timeout=seconds, cwd=ROOT, env=env)
    except subprocess.TimeoutExpired:
        return "hung"
    return said.stdout.strip() + said.stderr[-500:]


def test_boxes_start_while_the_coordinator_multiplies_matrices():
    said = _spawn_while_multiplying("box", 60)
    assert said.startswith("spawned") and said.endswith("done"), said


@pytest.mark.slow
def test_python_between_fork_and_exec_hangs_the_coordinator():
    """The check above can fail: the same run with a preexec_fn hangs."""
    said = _spawn_while_multiplying("preexec", 20)
    assert said == "hung" or said.endswith("stuck"), said


def test_grade_refuses_without_a_box(tmp_path, monkeypatch, capsys):
    (tmp_path / "gradebook.db").write_bytes(b"")
    (tmp_path / "nbgrader_config.py").write_text("c = get_config()\n")
    monkeypatch.setattr(sandbox, "_bwrap", lambda: None)
    code = entry.main(["grade", "fashion_mnist_en", "--course", str(tmp_path)])
    said = capsys.readouterr().err
    assert code == 2 and "bubblewrap (bwrap) is not installed" in said and "--unsafe-no-sandbox" in said
    assert "apt-get install bubblewrap" in said


@needs_bwrap
def test_box_measures_peak_memory(tmp_path):
    script = "python3 -c 'import os, time; x = bytearray(200 * 1024 ** 2); os.fork(); time.sleep(1.5)'"
    outcome, _ = _in_box(tmp_path, script)
    assert outcome.peak_memory_mb >= 190
    if os.geteuid() == 0 and Path("/sys/fs/cgroup/memory/memory.max_usage_in_bytes").exists():
        assert outcome.peak_memory_mb < 350  # the kernel counts the forked copy's shared pages once


# --- start-up costs paid once per graded notebook -----------------------------------------------

def _imported_after(code):
    """The top-level modules a fresh interpreter holds after running ``code``."""
    import subprocess
    done = subprocess.run([sys.executable, "-c", code + "\nimport sys\nprint(' '.join(sorted({m.split('.')[0] for m in sys.modules})))"],
                          capture_output=True, text=True, check=True)
    return set(done.stdout.split())


def test_the_kernel_side_of_the_checks_does_not_import_nbgrader_or_the_grader(tmp_path):
    """The probes run in every graded kernel: they must not pull nbgrader and Jupyter's server in
    (about 2 s a notebook), nor anything of the grader or the reference solution."""
    light = _imported_after(f"import os; os.chdir({str(tmp_path)!r})\n"
                            "from fashion_mnist_student import examples, probes\n"
                            "probes.hand_over_model(examples.fresh_model())")
    assert not light & {"nbgrader", "jupyter_server", "autograder", "course"}, light
    assert "nbgrader" in _imported_after("import autograder.preprocessors.accuracy")


def test_reading_notebooks_does_not_build_iri_parsers():
    """`make setup` removes rfc3987-syntax: jsonschema, imported by nbformat, otherwise builds ~40
    Lark parsers for a format no notebook schema uses (1.5-2 s in every nbgrader process)."""
    assert "rfc3987_syntax" not in _imported_after("import nbformat")
    assert "lark" in _imported_after("import lark")  # the check sees an import when there is one


def test_nbgraders_start_does_not_scan_the_installed_distributions():
    """nbgrader imports setuptools as it starts (nbgrader.utils); setuptools before 67 imported
    pkg_resources, which reads every installed distribution's metadata (about 0.15 s in every
    nbgrader process, one per graded submission). requirements.txt pins one that does not."""
    imported = _imported_after("import nbgrader.coursedir")
    assert "setuptools" in imported and "pkg_resources" not in imported


# --- the one gradebook writer on a tiny nbgrader course ------------------------------------------

from tiny_course import TINY_SOURCE, _tiny_cell, _tiny_course  # noqa: E402,F401 (shared with test_cli)


def _tiny_submissions(course):
    """ann: right (3/3); bob: the stub (0/3); eve: an executed notebook that is not her submission;
    max: no notebook. Each stored as a worker's result."""
    from types import SimpleNamespace
    from autograder.grading import gradebook
    release = nbformat.read(course / "release" / "a1" / "nb.ipynb", as_version=4)
    state = State(course, "a1")
    for student, answer in (("ann", "def f():\n    return 1"), ("bob", None), ("eve", "def f():\n    return 1"),
                            ("max", None)):
        job = SimpleNamespace(student=student, assignment="a1", fingerprint=f"fp-{student}")
        if student == "max":
            (course / "submitted" / student / "a1").mkdir(parents=True)
            gradebook.store(state, job, Result(student, Status.MISSING, "no notebook"))
            continue
        nb = nbformat.from_dict(release)
        if answer:
            nb.cells[0].source = answer
        (course / "submitted" / student / "a1").mkdir(parents=True)
        nbformat.write(nb, course / "submitted" / student / "a1" / "nb.ipynb")
        executed = nbformat.from_dict(nb)
        if not answer:
            for cell in executed.cells[1:]:
                cell.outputs = [new_output("error", ename="NotImplementedError", evalue="", traceback=[])]
        if student == "eve":
            executed.cells[0].source = "def f():\n    return 2"
        gradebook.store(state, job, Result(student, Status.GRADED, notebooks={"nb.ipynb": nbformat.writes(executed)}))
    return state


def _gradebook_contents(course):
    from autograder.grading.gradebook import gradebook
    with gradebook(course) as gb:
        return {(s.student_id, g.name): (g.auto_score, g.manual_score, g.needs_manual_grade)
                for s in gb.assignment_submissions("a1") for n in s.notebooks for g in n.grades} | \
               {(s.student_id, c.name): c.auto_comment
                for s in gb.assignment_submissions("a1") for n in s.notebooks for c in n.comments}


def test_the_replay_starts_no_kernel_ahead(tmp_path, monkeypatch):
    """The course's nbgrader_config.py has nbgrader start each submission's kernel ahead
    (pre_convert_hook); the coordinator's replay runs nbgrader's converter too, but executes
    nothing: a kernel started there (and, when the coordinator was killed, left running; a test of
    the class command found one) would only cost CPU."""
    from autograder.box import ahead
    from autograder.grading import gradebook
    hook = ahead.pre_convert_hook
    assert gradebook.AHEAD_HOOK == f"{hook.__module__}.{hook.__qualname__}"
    assert gradebook.course_config(ROOT).Autograde.pre_convert_hook == gradebook.AHEAD_HOOK
    started = []
    monkeypatch.setattr(ahead, "start_for_nbgrader", lambda argv, course=".": started.append(argv))
    course = _tiny_course(tmp_path / "course")
    with open(course / "nbgrader_config.py", "a") as config:
        config.write(f"c.Autograde.pre_convert_hook = {gradebook.AHEAD_HOOK!r}\n")
    state = _tiny_submissions(course)
    gradebook.record(course, "a1", ["ann"], state)
    assert started == [] and gradebook.scores(course, "a1")["ann"] == (2.0 + 1.0, 3.0)
    # without the rule the hook runs in the replay
    monkeypatch.setattr(gradebook, "AHEAD_HOOK", "something else")
    gradebook.record(course, "a1", ["bob"], state)
    assert started == [["autograde", "a1"]]


def test_writer_records_what_nbgraders_own_pipeline_records(tmp_path):
    """The batch writer and plain nbgrader (one NbGraderAPI.autograde per student, nothing patched)
    leave the same gradebook and autograded notebooks; the state says what was recorded."""
    from autograder.grading.gradebook import Writer, _record_empty_submission, record
    ours, plain = _tiny_course(tmp_path / "ours"), _tiny_course(tmp_path / "plain")
    state, plain_state = _tiny_submissions(ours), _tiny_submissions(plain)
    students = ["ann", "bob", "eve", "max"]
    failures = record(ours, "a1", students, state)
    import warnings
    from sqlalchemy.exc import SAWarning
    reference = Writer(plain, "a1", plain_state)   # not entered: nbgrader exactly as it comes
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SAWarning)  # nbgrader's autoflush notices for eve
        for student in students:
            if student == "max":
                _record_empty_submission(plain, "a1", student)
            else:
                reference.api.autograde("a1", student, force=True, create=True)
    assert _gradebook_contents(ours) == _gradebook_contents(plain)
    contents = _gradebook_contents(ours)
    assert contents[("ann", "test_f")][0] == 2 and contents[("bob", "test_f")][0] == 0
    assert contents[("max", "test_f")][0] is None and contents[("eve", "test_f")][0] is None  # no score
    for student in ("ann", "bob"):
        assert ((ours / "autograded" / student / "a1" / "nb.ipynb").read_text()
                == (plain / "autograded" / student / "a1" / "nb.ipynb").read_text())
    assert set(failures) == {"eve"} and "NbGraderException" in failures["eve"]
    assert state.get("eve").recorded_as is None and "could not record it" in state.get("eve").detail
    from autograder.grading.gradebook import recorded_ids
    ids = recorded_ids(ours, "a1")
    assert {s: state.get(s).recorded_as for s in ("ann", "bob", "max")} == {s: ids[s] for s in ("ann", "bob", "max")}


def test_writer_leaves_nbgrader_and_the_database_as_it_found_them(tmp_path):
    import jsonschema
    import sqlite3
    from nbgrader import api
    from nbgrader.nbgraderformat import common
    from autograder.grading.gradebook import Writer
    course = _tiny_course(tmp_path / "course")
    state = _tiny_submissions(course)
    create_engine = api.create_engine
    with Writer(course, "a1", state) as writer:
        assert common.jsonschema is not jsonschema and api.create_engine is not create_engine
        assert sqlite3.connect(course / "gradebook.db").execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert writer.record(["ann"]) == {}
        assert api.create_engine("sqlite:///gradebook.db") is api.create_engine("sqlite:///gradebook.db")
    assert common.jsonschema is jsonschema and api.create_engine is create_engine
    assert sqlite3.connect(course / "gradebook.db").execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    assert not list(course.glob("gradebook.db-*")), "a WAL file was left beside the gradebook"


def test_cached_schema_validation_gives_jsonschemas_verdicts():
    import jsonschema
    from nbgrader.nbgraderformat.v3 import MetadataValidatorV3
    from autograder.grading.gradebook import _CachedSchemaValidation
    schema = MetadataValidatorV3().schema
    cached = _CachedSchemaValidation()
    good = {"grade": True, "solution": False, "locked": True, "grade_id": "t", "points": 2, "schema_version": 3}
    assert cached.validate(good, schema) is None and jsonschema.validate(good, schema) is None
    for bad in ({**good, "points": -2}, {**good, "grade_id": "a b"}, {k: v for k, v in good.items() if k != "locked"},
                {**good, "favourite": "yes"}):
        with pytest.raises(jsonschema.ValidationError) as theirs:
            jsonschema.validate(bad, schema)
        with pytest.raises(jsonschema.ValidationError) as mine:
            cached.validate(bad, schema)
        assert str(mine.value) == str(theirs.value)
    with pytest.raises(jsonschema.SchemaError):
        cached.validate(good, {"type": "no such type"})
    assert cached.ValidationError is jsonschema.ValidationError


def test_a_failing_class_report_is_a_problem_not_a_crash(tmp_path, capsys):
    """grade writes the class report last: when it cannot (here: no gradebook), the grades stay
    recorded and the run lists the failure among its problems (exit 1)."""
    path, error = batch._class_report(tmp_path, "fashion_mnist_en")
    assert path is None and "the class report failed: no gradebook" in error
    assert entry.parse(["grade", "a", "--no-report"]).no_report and not entry.parse(["grade", "a"]).no_report


def test_submitted_folders_are_read_within_limits(tmp_path, monkeypatch):
    """A file over the per-file limit is left out with its reason, a submission over the total
    is not read at all (a reason in the table, never the coordinator's memory)."""
    folder = tmp_path / "sub"
    folder.mkdir()
    (folder / "fashion_mnist.ipynb").write_text("{}")
    (folder / "notes.txt").write_text("small")
    with open(folder / "big.bin", "wb") as handle:      # sparse: its size is on the disk's record only
        handle.truncate(80 * 1024 ** 2)
    files, refused, too_large = jobs.submission_files(folder, ["fashion_mnist.ipynb"])
    assert sorted(files) == ["fashion_mnist.ipynb", "notes.txt"] and not too_large
    assert refused == ["big.bin is too large (80.0 MB, the limit is 64.0 MB): left out"]
    monkeypatch.setattr(jobs, "MAX_SUBMISSION_BYTES", 50 * 1024 ** 2)
    reads = []
    monkeypatch.setattr(Path, "read_bytes", lambda self: reads.append(self) or b"")
    files, refused, too_large = jobs.submission_files(folder, ["fashion_mnist.ipynb"])
    assert files == {} and reads == [] and "the submission is too large (80.0 MB in 3 files" in too_large
    monkeypatch.setattr(jobs, "MAX_SUBMISSION_BYTES", 100 * 1024 ** 2)   # the check can pass
    assert jobs.submission_files(folder, ["fashion_mnist.ipynb"])[2] == ""


# --- what grading spends besides the notebook (issue #23's performance goal) --------------------

def test_a_grading_process_ends_without_the_last_collection():
    """quick_exit: gc.freeze runs as an exit handler once registered (and only then)."""
    code = ("import atexit, gc, sys\nfrom autograder.quick_exit import skip_last_collection\n"
            "if sys.argv[1] == 'on':\n    skip_last_collection(); skip_last_collection()\n"
            "atexit._run_exitfuncs()\nprint(gc.get_freeze_count() > 0)")
    ran = {flag: __import__("subprocess").run([sys.executable, "-c", code, flag], capture_output=True, text=True,
                                              cwd=ROOT, timeout=60).stdout.strip() for flag in ("on", "off")}
    assert ran == {"on": "True", "off": "False"}


def test_the_judges_read_their_data_ahead_when_nbgrader_builds_the_pipeline(monkeypatch):
    """JudgeProbes starts reading the training set and the scaled test set when it is made (before
    the notebook runs); its verdicts wait for that reading, then find both read."""
    from course import reference
    from fashion_mnist_student import examples

    from autograder.judges import JudgeProbes, read_ahead
    monkeypatch.setattr(read_ahead, "_started", [])
    reference.scaled_test_set.cache_clear()
    examples._training_set.cache_clear()
    JudgeProbes()
    assert len(read_ahead._started) == 1
    read_ahead.wait()
    assert reference.scaled_test_set.cache_info().currsize == 1
    assert examples._training_set.cache_info().currsize == 1
    JudgeProbes()
    assert len(read_ahead._started) == 1   # once per process


def test_the_class_command_still_refuses_a_machine_without_a_box(tmp_path, monkeypatch):
    """The box probe runs in a thread beside nbgrader's import; its answer still refuses (exit 2)."""
    (tmp_path / "gradebook.db").write_bytes(b"")
    (tmp_path / "nbgrader_config.py").write_text("c = get_config()\n")
    monkeypatch.setattr(sandbox, "problem", lambda course=".": "bubblewrap (bwrap) is not installed")
    refused = batch.grade_batch(batch.Options("a1", tmp_path))
    assert refused.exit_code == 2 and "bwrap" in refused.refusal
    allowed = batch.grade_batch(batch.Options("a1", tmp_path, sandboxed=False))
    assert allowed.refusal == "" and allowed.problems


@pytest.mark.skipif(os.geteuid() != 0 or sandbox.ProcessCap._cgroup_root() is None,
                    reason="process caps are cgroups only for a root grader")
def test_caps_made_inside_a_run_end_with_the_run(monkeypatch):
    """The kernels' caps of an nbgrader killed at the whole-notebook limit are named after the
    run's cap and removed with it, their processes killed; a cap outside the run stays."""
    import subprocess
    with sandbox.ProcessCap(8) as outer:
        monkeypatch.setenv(sandbox.CGROUP_OF, outer.cgroup.name)
        inner = sandbox.ProcessCap(8).__enter__()        # its maker is killed: never ended
        left = subprocess.Popen([*inner.launcher(sandbox.Limits()), "sleep", "60"])
        for _ in range(100):
            if (inner.cgroup / "cgroup.procs").read_text().split():
                break
            time.sleep(0.05)
        monkeypatch.setenv(sandbox.CGROUP_OF, "../../escape")   # not a cap's name: ignored
        unrelated = sandbox.ProcessCap(8).__enter__()
        monkeypatch.delenv(sandbox.CGROUP_OF)
        assert inner.cgroup.name.startswith(outer.cgroup.name + "-") and inner.cgroup.exists()
        assert not unrelated.cgroup.name.startswith(outer.cgroup.name)
    try:
        assert not inner.cgroup.exists() and left.wait(timeout=10) == -9
        assert unrelated.cgroup.exists()
    finally:
        left.kill()
        unrelated.__exit__(None, None, None)
    assert not unrelated.cgroup.exists()


def test_nbconvert_checks_the_schema_once_per_pass_under_the_course_configuration():
    """nbgrader's exporters (its passes, the replay, the feedback) take it from nbgrader_config.py."""
    from nbconvert.exporters import NotebookExporter

    from autograder.grading.gradebook import course_config
    assert NotebookExporter(config=course_config(ROOT)).optimistic_validation
    assert not NotebookExporter().optimistic_validation


def test_nbgraders_temporary_folders_go_with_the_workers_scratch_folder(monkeypatch):
    """The boxes' copies and private folders nbgrader makes go in the worker's scratch folder
    (TMPDIR), so they go with it even when the whole-notebook limit killed nbgrader."""
    from autograder.grading import worker
    seen = {}

    import io
    from types import SimpleNamespace

    class KilledAtTheLimit:
        def __init__(self, argv, course, limits, env, log, stdin=None):
            tmp = Path(env["TMPDIR"])
            (tmp / "autograder-given-left").mkdir()     # what a killed nbgrader leaves
            seen.update(tmp=tmp, course=course)
            self.process = SimpleNamespace(poll=lambda: None, stdin=io.BytesIO())

        def restart_clock(self):
            pass

        def wait(self):
            return sandbox.Outcome(None, None)

        def close(self):
            pass
    monkeypatch.setattr(worker.sandbox, "Running", KilledAtTheLimit)
    job = jobs.Job("ann", "a1", {"fashion_mnist.ipynb": b"{}"}, {"nbgrader_config.py": b""},
                   ["fashion_mnist.ipynb"], "f1", sandbox.Limits())
    result = worker.grade(job)
    assert result.status == Status.TIMED_OUT
    assert seen["tmp"].parent == seen["course"].parent and not seen["tmp"].exists()


def test_the_reading_ahead_yields_to_the_kernel_and_only_its_own_thread_does(monkeypatch):
    """The judges' data are read while the kernel imports TensorFlow on the other core: the
    reading thread runs at a lower priority, the rest of the grader's process at its own."""
    import threading

    from autograder.judges import read_ahead
    seen = []
    monkeypatch.setattr(read_ahead, "_started", [])
    monkeypatch.setattr("course.reference.scaled_test_set",
                        lambda: seen.append(os.getpriority(os.PRIO_PROCESS, threading.get_native_id())))
    before = os.getpriority(os.PRIO_PROCESS, 0)
    read_ahead.start()
    read_ahead.wait()
    assert seen == [min(before + read_ahead.NICE, 19)]
    assert os.getpriority(os.PRIO_PROCESS, 0) == before
