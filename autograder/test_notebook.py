"""One test per graded cell of the assignment, run against the notebook given with --notebook."""

from autograder.preprocessors.accuracy import GRADE_ID, HANDOVER, judge_file


def test_part(grade_cell, student, tmp_path, monkeypatch):
    grade_id, points, code = grade_cell
    namespace, _, lang = student
    monkeypatch.chdir(tmp_path)  # where the accuracy cell hands the trained weights over
    exec(compile(code, grade_id, "exec"), namespace)
    if grade_id == GRADE_ID:
        judge_file(tmp_path / HANDOVER, lang)  # as nbgrader's JudgeAccuracy does after execution
