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
