"""`pytest autograder --notebook PATH` grades one notebook without nbgrader, part by part."""

import subprocess
import sys

import nbformat
import pytest

from notebooks import PRETRAINED, ROOT, WRONG, pretrained_weights, trained_elsewhere, with_cells_replaced


def run_pytest_mode(*args):
    return subprocess.run([sys.executable, "-m", "pytest", "autograder", "-p", "no:cacheprovider", *args],
                          cwd=ROOT, capture_output=True, text=True, timeout=1200)


def test_without_a_notebook_everything_is_skipped():
    result = run_pytest_mode()
    assert result.returncode == 0, result.stdout[-2000:]
    assert "15 skipped" in result.stdout


@pytest.mark.slow
def test_report_shows_the_one_broken_part(tmp_path):
    nb = nbformat.read(ROOT / "solutions" / "fashion_mnist_zh" / "fashion_mnist.ipynb", 4)
    path = tmp_path / "no_softmax.ipynb"
    (tmp_path / PRETRAINED).write_bytes(pretrained_weights())  # pytest mode runs in ROOT: a full path
    nbformat.write(trained_elsewhere(with_cells_replaced(nb, WRONG["no_softmax"][0]), tmp_path / PRETRAINED), path)
    result = run_pytest_mode("--notebook", str(path))
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    failed = [line for line in lines if line.startswith("FAIL  ")]
    passed = [line for line in lines if line.startswith("PASS  ")]
    assert len(failed) == 1 and "test_make_probability_model_softmax" in failed[0]
    assert "请在模型后面加一个 Softmax 层" in failed[0]  # the notebook's language
    assert len(passed) == 14
    assert "score: 22/24" in result.stdout


# --- a failed verdict fails its test under python -O too ---------------------------------------

_UNDER_O = """
import sys
from pathlib import Path

import pytest
from fashion_mnist_student import probes

from autograder.test_notebook import test_part

cell = ("test_preprocess_images_range", 2, "probes.preprocess_images_range(preprocess_images)")
for name, function in [("unscaled", lambda images: images.astype(float)),  # the judge fails it
                       ("scaled", lambda images: images / 255.0)]:
    namespace = {"probes": probes, "preprocess_images": function}
    (Path(sys.argv[1]) / name).mkdir()
    with pytest.MonkeyPatch.context() as monkeypatch:
        try:
            test_part(cell, (namespace, [], "en"), Path(sys.argv[1]) / name, monkeypatch)
        except pytest.fail.Exception as failure:
            print(name + " failed: " + str(failure))
        else:
            print(name + " passed")
assert False, "asserts run"
"""


def test_a_failed_verdict_fails_its_test_under_python_O(tmp_path):
    """``python -O`` strips assert statements (the script's last line shows they are stripped): the
    pytest mode's test of a part still fails a failing verdict, and passes a passing one (both in
    one interpreter: each start imports TensorFlow)."""
    done = subprocess.run([sys.executable, "-O", "-c", _UNDER_O, str(tmp_path)], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]  # the assert above was stripped
    unscaled, scaled = done.stdout.splitlines()[-2:]
    assert unscaled.startswith("unscaled failed: Pixel values must be in [0, 1]"), done.stdout
    assert scaled == "scaled passed", done.stdout


def test_no_assert_decides_a_part_in_pytest_mode():
    """autograder/test_notebook.py holds no assert statement (it would be stripped by python -O)."""
    import ast
    source = (ROOT / "autograder" / "test_notebook.py").read_text(encoding="utf-8")
    found = [node.lineno for node in ast.walk(ast.parse(source)) if isinstance(node, ast.Assert)]
    assert not found, found
    assert [n.lineno for n in ast.walk(ast.parse("assert x")) if isinstance(n, ast.Assert)] == [1]  # can fail
