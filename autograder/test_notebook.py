"""One test per graded cell of the assignment, run against the notebook given with --notebook.

Each test runs the cell's visible checks and probes in the notebook's namespace, then takes the
verdict from the hand-over as nbgrader's JudgeProbes and JudgeAccuracy do after execution. A failed
verdict fails the test by an explicit check (pytest.fail), never an assert: python -O strips those."""

import pytest
from fashion_mnist_student import probes
from fashion_mnist_student.probe_inputs import seed_of

from autograder.judges import JUDGED_CELLS, judge_cell
from autograder.judges.handover import Folder
from autograder.preprocessors.accuracy import GRADE_ID, HANDOVER, judge_file


def test_part(grade_cell, student, tmp_path, monkeypatch):
    grade_id, points, code = grade_cell
    namespace, _, lang = student
    seed = seed_of("pytest", grade_id)
    monkeypatch.chdir(tmp_path)
    probes.configure(seed, tmp_path / probes.FOLDER)
    exec(compile(code, grade_id, "exec"), namespace)
    if grade_id == GRADE_ID:
        judge_file(tmp_path / HANDOVER, lang)
    elif grade_id in JUDGED_CELLS:
        verdict = judge_cell(grade_id, Folder(tmp_path, lang), seed, lang)
        if not verdict.passed:
            pytest.fail(verdict.message, pytrace=False)
