"""A tiny nbgrader course (one assignment, a1/nb.ipynb, 3 points), generated in-process in seconds,
for the tests of the class grader's coordinator (tests/test_grading_units.py, tests/test_cli.py)."""

import nbformat
from nbformat.v4 import new_code_cell, new_notebook


def _tiny_cell(kind, source, grade_id, points=0):
    meta = {"grade": kind == "test", "solution": kind == "answer", "locked": kind == "test",
            "grade_id": grade_id, "schema_version": 3}
    if kind == "test":
        meta["points"] = points
    return new_code_cell(source, metadata={"nbgrader": meta})


TINY_SOURCE = new_notebook(cells=[
    _tiny_cell("answer", "def f():\n    ### BEGIN SOLUTION\n    return 1\n    ### END SOLUTION", "f"),
    _tiny_cell("test", "assert f() == 1", "test_f", points=2),
    _tiny_cell("test", "assert f() > 0", "test_g", points=1)])
TINY_SOURCE.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}


def _tiny_course(where):
    """An nbgrader course with one assignment (a1/nb.ipynb, 3 points), generated in-process."""
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory
    from autograder.grading.gradebook import course_config
    where.mkdir(parents=True)
    (where / "nbgrader_config.py").write_text('c = get_config()\nc.CourseDirectory.course_id = "tiny"\n'
                                              'c.CourseDirectory.db_url = "sqlite:///gradebook.db"\n')
    (where / "source" / "a1").mkdir(parents=True)
    nbformat.write(TINY_SOURCE, where / "source" / "a1" / "nb.ipynb")
    config = course_config(where)
    config.CourseDirectory.root = str(where)
    done = NbGraderAPI(coursedir=CourseDirectory(config=config), config=config).generate_assignment("a1")
    assert done["success"], done.get("error")
    return where


