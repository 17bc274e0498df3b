"""One test per graded cell of the assignment, run against the notebook given with --notebook."""


def test_part(grade_cell, student):
    grade_id, points, code = grade_cell
    namespace, _, _ = student
    exec(compile(code, grade_id, "exec"), namespace)
