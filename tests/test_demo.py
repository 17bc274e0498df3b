"""`python -m autograder demo`, end to end: the sample class graded in the sandbox by the real
command, in a scratch course; then the real `grade --student` on that graded class."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from notebooks import scores
from test_grading import report_rows

pytestmark = pytest.mark.slow
ASSIGNMENT = "fashion_mnist_en"


def _run(*args):
    env = dict(os.environ, PATH=str(Path(sys.executable).parent) + os.pathsep + os.environ["PATH"])
    return subprocess.run([sys.executable, "-m", "autograder", *args], capture_output=True, text=True,
                          env=env, timeout=3600)


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    where = tmp_path_factory.mktemp("demo") / "en"
    return where, _run("demo", "--where", str(where), "--workers", "2")


def test_demo_grades_the_sample_class_and_says_where_to_look(demo):
    where, result = demo
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    report = re.search(r"class report: (\S+)", result.stdout)
    assert report and Path(report.group(1)).is_file() and Path(report.group(1)).is_relative_to(where)
    page = Path(report.group(1)).read_text(encoding="utf-8")
    assert "ada" in page and "jo" in page and "kim" in page
    rows = report_rows(result.stdout)
    assert rows["ada"][:2] == ("graded", "24/24") and rows["ben"][:2] == ("graded", "24/24")
    assert rows["jo"][1] == "0/24" and "kernel died" in rows["jo"][2]      # the hostile one, with its reason
    assert rows["kim"][0] == "bad file" and "not valid JSON (line" in rows["kim"][2]
    assert rows["lee"][0] == "bad file" and "symbolic link" in rows["lee"][2]
    assert rows["ivan"][:2] == ("missing notebook", "0/24") and "late by 2 h" in rows["hana"][2]
    for mistake in ("chen", "dana", "eli", "fay", "gus"):
        assert rows[mistake][0] == "graded" and rows[mistake][1] != "24/24", (mistake, rows[mistake])
    assert "nothing outside the boxes changed (gradebook and submitted files intact): yes" in result.stdout
    assert set(scores(where, ASSIGNMENT)) == set(rows)
    for student in ("ada", "chen", "jo"):
        assert (where / "feedback" / student / ASSIGNMENT / "fashion_mnist.html").is_file(), student


def test_student_regrades_one_student_of_the_graded_class(demo):
    where, _ = demo
    result = _run("grade", ASSIGNMENT, "--course", str(where), "--student", "chen", "--no-report")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "11 unchanged, 0 to record, 1 to grade" in result.stderr
    rows = report_rows(result.stdout)
    assert "unchanged" not in rows["chen"][2] and "unchanged, not run again" in rows["ada"][2]
