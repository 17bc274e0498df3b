"""GradingExecute on tiny notebooks with a real (plain Python) kernel: a dead kernel costs only
the cell it died in, the hand-over folder a submission brings is gone before its code runs, and
the probes are told their seed and folder."""

import os

import pytest
from nbformat.v4 import new_code_cell, new_notebook

from autograder.preprocessors import execute
from autograder.preprocessors.execute import KERNEL_DIED, NOT_RUN, GradingExecute

GRADE = {"nbgrader": {"grade": True, "locked": True, "points": 1}}


def _grade(source, grade_id):
    return new_code_cell(source, metadata={"nbgrader": {**GRADE["nbgrader"], "grade_id": grade_id}})


@pytest.fixture(autouse=True)
def _no_training_seed(monkeypatch):
    """The training seed's preamble imports Keras (seconds per kernel); these notebooks train nothing."""
    monkeypatch.setattr(execute, "kernel_preamble", lambda assignment: "")


def _run(nb, tmp_path, **config):
    resources = {"metadata": {"path": str(tmp_path)}, "nbgrader": {"student": "s", "assignment": "a"}}
    executor = GradingExecute(timeout=60, **config)
    executor.preprocess(nb, resources)
    return nb


def _errors(cell):
    return [o.get("ename") for o in cell.outputs if o.get("output_type") == "error"]


def test_a_dead_kernel_costs_only_its_cell(tmp_path):
    nb = new_notebook(cells=[
        new_code_cell('LANG = "en"\nx = 41'),
        new_code_cell("def f():\n    return x + 1"),
        _grade("assert f() == 42", "before"),
        _grade("import os\nos._exit(1)", "crash"),
        _grade("assert f() == 42", "after")])
    _run(nb, tmp_path)
    assert _errors(nb.cells[2]) == []                       # kept its point
    assert _errors(nb.cells[3]) == [KERNEL_DIED]            # lost its own
    assert "cell 4" in nb.cells[3].outputs[-1]["evalue"]
    assert _errors(nb.cells[4]) == []                       # the kernel was restarted, the state rebuilt


def test_a_kernel_that_keeps_dying_stops_after_the_restarts(tmp_path):
    nb = new_notebook(cells=[new_code_cell('LANG = "zh"')]
                      + [_grade("import os\nos._exit(1)", f"crash{i}") for i in range(3)]
                      + [_grade("pass", "last")])
    _run(nb, tmp_path, max_restarts=1)
    assert _errors(nb.cells[1]) == [KERNEL_DIED] and _errors(nb.cells[2]) == [KERNEL_DIED]
    assert _errors(nb.cells[3]) == [NOT_RUN] and _errors(nb.cells[4]) == [NOT_RUN]
    assert "内核" in nb.cells[4].outputs[0]["evalue"]


def test_a_planted_hand_over_is_removed_and_the_probes_are_configured(tmp_path):
    planted = tmp_path / "probe_handover"
    planted.mkdir()
    (planted / "test_accuracy_threshold.npz").write_bytes(b"weights trained elsewhere")
    nb = new_notebook(cells=[
        new_code_cell("import os\nprint(sorted(os.listdir('probe_handover')) if os.path.exists('probe_handover') else 'gone')"),
        new_code_cell("from fashion_mnist_student import probes\nprint(probes._settings['folder'], probes._settings['seed'] > 0)")])
    _run(nb, tmp_path)
    assert nb.cells[0].outputs[0]["text"].strip() == "gone"
    folder, positive = nb.cells[1].outputs[0]["text"].split()
    assert folder == "/tmp/work/probe_handover" and positive == "True"   # in the box's copy


def test_the_kernel_works_in_a_box_and_only_its_grade_cells_hand_overs_come_out(tmp_path):
    """The kernel writes in its copy of the folder; after a grade cell the grader takes that
    cell's two files and nothing else (not a link, not a re-check record the notebook made up)."""
    (tmp_path / "given.txt").write_text("the student's")
    (tmp_path / ".autograder-recheck").mkdir()
    (tmp_path / ".autograder-recheck" / "recheck.json").write_text("planted")
    write = ("import os\nos.makedirs('probe_handover', exist_ok=True)\n"
             "open('probe_handover/{0}.json', 'w').write('{{\"id\": \"{0}\"}}')\n")
    nb = new_notebook(cells=[
        new_code_cell("import os\nprint(os.getcwd(), sorted(os.listdir('.')))\nopen('mine.txt', 'w').write('x')"),
        new_code_cell(write.format("later") + "open('probe_handover/recheck.json', 'w').write('{}')\n"
                      "os.symlink('/etc/hostname', 'probe_handover/linked.json')"),
        _grade(write.format("first"), "first"),
        _grade("pass", "linked"),
        _grade("pass", "later")])
    _run(nb, tmp_path)
    assert nb.cells[0].outputs[0]["text"] == "/tmp/work ['given.txt']\n"
    assert not (tmp_path / "mine.txt").exists() and not (tmp_path / ".autograder-recheck").exists()
    handed = tmp_path / "probe_handover"
    assert sorted(p.name for p in handed.iterdir()) == ["first.json", "later.json"]   # no link, no recheck.json
    assert (handed / "first.json").read_text() == '{"id": "first"}'


def test_without_a_box_grading_refuses_unless_told_the_code_is_trusted(tmp_path, monkeypatch):
    monkeypatch.setattr(execute, "_BOX_PROBLEM", ["bubblewrap (bwrap) is not installed"])
    nb = new_notebook(cells=[new_code_cell("import os\nprint(os.getcwd())")])
    with pytest.raises(execute.BoxUnavailable, match="bwrap.*unsafe_no_box.*AUTOGRADER_UNSAFE_NO_BOX"):
        _run(nb, tmp_path)
    _run(nb, tmp_path, unsafe_no_box=True)
    assert nb.cells[0].outputs[0]["text"].strip() == str(tmp_path)      # nbgrader's own way: the folder itself
    monkeypatch.setenv("AUTOGRADER_UNSAFE_NO_BOX", "1")
    _run(nb, tmp_path)
    assert nb.cells[0].outputs[0]["text"].strip() == str(tmp_path)


def test_without_the_restart_the_cell_after_a_crash_would_fail(tmp_path):
    """The check above can fail: plain nbgrader's Execute stops at the dead kernel."""
    from nbclient.exceptions import DeadKernelError
    from nbgrader.preprocessors import Execute
    nb = new_notebook(cells=[new_code_cell("x = 1"), _grade("import os\nos._exit(1)", "crash"), _grade("x", "after")])
    with pytest.raises(DeadKernelError):
        Execute(timeout=60).preprocess(nb, {"metadata": {"path": str(tmp_path)}})
    assert os.path.isdir(tmp_path)
