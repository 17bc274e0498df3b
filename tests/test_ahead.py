"""A kernel started ahead (autograder/box/ahead.py): its box and its preamble start before the
notebook is known, GradingExecute takes it only when it was started with its own settings, the
notebook's folder reaches it before any of the notebook's code runs, and a kernel not taken
leaves nothing behind. Real boxed kernels (plain Python: the preambles here import nothing)."""

import gc
import shutil
import threading
import time
import warnings
from pathlib import Path

import psutil
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from autograder.box import ahead
from autograder.grading.sandbox import Limits
from autograder.preprocessors import execute
from autograder.preprocessors.execute import KERNEL_DIED, GradingExecute
from autograder.seeding import kernel_preamble

pytestmark = pytest.mark.skipif(shutil.which("bwrap") is None, reason="bubblewrap is not installed")
MARK = "import os\nos.environ['STARTED_AHEAD'] = 'yes'\n"   # a preamble the cells can see
ROOT = Path(__file__).resolve().parents[1]
SEEN = "import os\nprint(os.environ.get('STARTED_AHEAD', 'no'), os.getcwd(), sorted(os.listdir('.')))"


@pytest.fixture(autouse=True)
def _no_training_seed(monkeypatch):
    monkeypatch.setattr(execute, "kernel_preamble", lambda assignment: "")
    yield
    ahead.discard()


def _grade(nb, folder, assignment="a", **config):
    resources = {"metadata": {"path": str(folder)}, "nbgrader": {"student": "s", "assignment": assignment}}
    GradingExecute(timeout=60, **config).preprocess(nb, resources)
    return nb


def _parts(started):
    """What a kernel started ahead holds on the machine: its box's process, its folders, its cgroups."""
    km = started.km
    return (km.provisioner.process.pid, [started.given, km._grader],
            [g for g in (km._cap.cgroup, km._cap.memory_cgroup) if g])


def _gone(parts):
    pid, folders, cgroups = parts
    return not psutil.pid_exists(pid) and not any(Path(p).exists() for p in [*folders, *cgroups])


def test_a_matching_kernel_is_taken_and_gets_the_folder_before_the_first_cell(tmp_path):
    (tmp_path / "given.txt").write_text("the student's")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "data.txt").write_text("more")
    started = ahead.start("a", Limits(), MARK, label="test:ahead")
    parts = _parts(started)
    nb = _grade(new_notebook(cells=[
        new_code_cell('LANG = "en"\n' + SEEN + "\nprint(open('sub/data.txt').read())"),
        new_code_cell("import os\nos._exit(1)"),
        new_code_cell(SEEN)]), tmp_path)
    assert nb.cells[0].outputs[0]["text"] == "yes /tmp/work ['given.txt', 'sub']\nmore\n"
    # the kernel that died is not started ahead again: a fresh box, with the same folder
    assert [o.get("ename") for o in nb.cells[1].outputs] == [KERNEL_DIED]
    assert nb.cells[2].outputs[0]["text"] == "no /tmp/work ['given.txt', 'sub']\n"
    assert _gone(parts)
    assert getattr(ahead._slot, "ahead", None) is None


def test_a_kernel_started_for_other_settings_is_ended_not_used(tmp_path):
    """Whatever started it, a kernel is used only when it was started for the same assignment
    (its training seed) and the same limits, and never where the kernel runs without a box."""
    for asked in (("b", Limits()), ("a", Limits(memory_gb=3))):
        parts = _parts(ahead.start("a", Limits(), MARK, label="test:ahead"))
        assert ahead.take(*asked) is None
        assert _gone(parts), asked
    parts = _parts(ahead.start("a", Limits(), MARK, label="test:ahead"))
    nb = _grade(new_notebook(cells=[new_code_cell(SEEN)]), tmp_path, unsafe_no_box=True)
    assert nb.cells[0].outputs[0]["text"].startswith("no ") and _gone(parts)


def test_a_kernel_never_taken_leaves_nothing(tmp_path):
    started = ahead.start("a", Limits(), MARK, label="test:ahead")
    parts = _parts(started)
    assert ahead.start("a", Limits(), MARK) is started          # asked again (the hook): the same
    assert psutil.pid_exists(parts[0]) and all(Path(p).exists() for p in [*parts[1], *parts[2]])
    assert sorted(p.name for p in started.given.iterdir()) == []   # nothing of any submission yet
    ahead.discard()
    assert _gone(parts)


def _wait_until(condition, seconds=30):
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.1)
    return condition()


def test_a_kernel_nobody_takes_is_ended_by_its_timer_and_a_taken_one_is_not(monkeypatch):
    """The formgrader runs the hook in a server thread; when the conversion fails before the kernel
    is used, that thread may not autograde again for hours. A timer ends the kernel; a kernel
    taken in time is the taker's, and the timer leaves it alone."""
    monkeypatch.setattr(ahead, "UNTAKEN_SECONDS", 1.0)
    started, late = {}, threading.Event()

    def server_thread():   # the hook, then a conversion that fails; much later, another autograde
        started["kernel"] = ahead.start("a", Limits(), MARK, label="test:ahead")
        late.wait(60)
        started["late take"] = ahead.take("a", Limits())
        ahead.close_thread_loop()   # this thread's own loop (tornado's, in a real server)

    thread = threading.Thread(target=server_thread)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        thread.start()
        try:
            assert _wait_until(lambda: "kernel" in started)
            parts = _parts(started["kernel"])
            assert _wait_until(lambda: _gone(parts)), "a kernel nobody took is still running"
            assert started["kernel"].claimed == "expired"
        finally:
            late.set()
            thread.join()
        started["kernel"]._timer.join()
        assert started.pop("late take") is None
        started.clear()   # the kernel's manager, and with it the loops it was run in
        gc.collect()
    # the timer's thread closed the event loop it ended the kernel with
    assert [str(w.message) for w in caught if "event loop" in str(w.message)] == []
    taken = ahead.take("a", Limits()) if ahead.start("a", Limits(), MARK, label="test:ahead") else None
    parts = _parts(taken)
    time.sleep(2.0)    # past its timer
    assert psutil.pid_exists(parts[0]) and taken.claimed == "taken"
    ahead.end(taken)
    assert _gone(parts)


def test_the_class_commands_nbgrader_reads_the_courses_settings(tmp_path):
    (tmp_path / "nbgrader_config.py").write_text(
        "c = get_config()\nc.GradingExecute.box_limits = {'memory_gb': 3.0, 'processes': 300}\n")
    assert ahead.start_for_nbgrader(["db", "student", "list"], tmp_path) is None
    assert ahead.start_for_nbgrader(["autograde", "--force"], tmp_path) is None
    started = ahead.start_for_nbgrader(["autograde", "ps1", "--student", "s"], tmp_path)
    parts = _parts(started)
    try:
        assert started.assignment == "ps1" and started.limits == Limits(memory_gb=3.0, processes=300)
    finally:
        ahead.discard()
    assert _gone(parts)
    with open(tmp_path / "nbgrader_config.py", "a") as config:
        config.write("c.GradingExecute.unsafe_no_box = True\n")
    assert ahead.start_for_nbgrader(["autograde", "ps1"], tmp_path) is None
    (tmp_path / "nbgrader_config.py").write_text("this is not Python\n")
    assert ahead.start_for_nbgrader(["autograde", "ps1"], tmp_path) is None   # nbgrader will say why



@pytest.mark.parametrize("argv, starts", [
    (["/venv/bin/nbgrader", "autograde", "ps1"], True),
    (["/venv/bin/nbgrader", "autograde", "ps1", "--student", "s", "--force"], True),
    (["/venv/lib/python3.11/site-packages/nbgrader/__main__.py", "autograde", "ps1"], True),
    (["/venv/bin/nbgrader", "autograde", "--force"], False),
    (["/venv/bin/nbgrader", "autograde"], False),
    (["/venv/bin/nbgrader", "validate", "ps1"], False),
    (["/venv/bin/nbgrader", "generate_assignment", "ps1"], False),
    (["/work/autograder/grading/nbgrader_quiet.py", "autograde", "ps1"], False),   # starts its own
    (["/venv/bin/jupyter-lab"], False),
    (["/work/autograder/__main__.py", "grade", "ps1"], False),
    (["/venv/lib/python3.11/site-packages/pytest/__main__.py", "autograde", "ps1"], False),
])
def test_only_nbgrader_autograde_starts_a_kernel_as_it_reads_the_configuration(argv, starts, monkeypatch):
    """The course's nbgrader_config.py ends by starting the first kernel ahead, but only under
    `nbgrader autograde <assignment>`: the formgrader's server, `nbgrader validate`, the class
    command and anything else that reads the file start nothing."""
    from autograder.grading.gradebook import course_config
    started = []
    monkeypatch.setattr(ahead, "start", lambda *args, **kw: started.append(args) or "kernel")
    monkeypatch.setattr("sys.argv", argv)
    course_config(ROOT)
    assert [args[:3] for args in started] == ([("ps1", Limits(), kernel_preamble("ps1"))] if starts else [])


def test_the_kernel_started_as_the_configuration_is_read_has_its_settings(tmp_path, monkeypatch):
    """The settings are those the file gave GradingExecute above the line (nbgrader reads the file
    several times: start() keeps the kernel it started first when the settings match); a course
    that runs trusted code unboxed starts nothing."""
    from autograder.grading.gradebook import course_config
    started = []
    monkeypatch.setattr(ahead, "start", lambda *args, **kw: started.append(args) or "kernel")
    monkeypatch.setattr("sys.argv", ["/venv/bin/nbgrader", "autograde", "ps2"])
    text = (ROOT / "nbgrader_config.py").read_text()
    lines = text[text.index("try:\n    from autograder.box.ahead import start_as_configured"):]
    assert lines.rstrip().endswith("start_as_configured(c)")   # the file's last lines
    (tmp_path / "nbgrader_config.py").write_text(
        f"c = get_config()\nc.GradingExecute.box_limits = {{'memory_gb': 3.0}}\n{lines}")
    course_config(tmp_path)
    assert [args[:2] for args in started] == [("ps2", Limits(memory_gb=3.0))]
    (tmp_path / "nbgrader_config.py").write_text(
        f"c = get_config()\nc.GradingExecute.unsafe_no_box = True\n{lines}")
    course_config(tmp_path)
    assert len(started) == 1


def test_the_configuration_reads_where_the_course_package_is_not_installed(tmp_path, monkeypatch):
    """nbgrader_config.py still loads (for `nbgrader generate_assignment`, say) where autograder
    cannot be imported: it then starts nothing."""
    import builtins

    from autograder.grading.gradebook import course_config
    real_import = builtins.__import__

    def no_autograder(name, *args, **kwargs):
        if name.startswith("autograder"):
            raise ModuleNotFoundError(f"No module named {name!r}")
        return real_import(name, *args, **kwargs)
    monkeypatch.setattr("sys.argv", ["/venv/bin/nbgrader", "autograde", "ps1"])
    monkeypatch.setattr(builtins, "__import__", no_autograder)
    config = course_config(ROOT)
    monkeypatch.setattr(builtins, "__import__", real_import)
    assert config.Autograde.pre_convert_hook == "autograder.box.ahead.pre_convert_hook"
