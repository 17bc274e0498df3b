"""The class command's first nbgrader is started before the jobs are known
(autograder/grading/worker.py ``Nbgrader``, batch ``_Workers.start_ahead``): it grades the first
submission as one started for it would; one not needed (nothing to grade, a refusal) or started
for other settings is ended, its folder removed. Real nbgrader on a tiny course (plain Python
cells, no box: these tests are about the worker's nbgrader, not the kernel's box)."""

import json
import sys
from pathlib import Path

import nbformat
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from tiny_course import _tiny_course  # noqa: E402

from autograder.grading import batch, nbgrader_quiet, worker  # noqa: E402
from autograder.grading.sandbox import Limits  # noqa: E402
from autograder.grading.status import Status  # noqa: E402


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    return _tiny_course(tmp_path_factory.mktemp("tiny") / "course")


def _course(template, where, students=("ann",)):
    import shutil
    course = where / "course"
    shutil.copytree(template, course)
    release = nbformat.read(course / "release" / "a1" / "nb.ipynb", as_version=4)
    release.cells[0].source = "def f():\n    return 1"
    for student in students:
        (course / "submitted" / student / "a1").mkdir(parents=True)
        nbformat.write(release, course / "submitted" / student / "a1" / "nb.ipynb")
    return course


@pytest.fixture
def made(monkeypatch):
    """Every Nbgrader made, in order, with what the coordinator did in between."""
    seen = []
    real_init, real_find = worker.Nbgrader.__init__, batch.find_jobs

    def init(self, *args, **kwargs):
        real_init(self, *args, **kwargs)
        seen.append(self)
    monkeypatch.setattr(worker.Nbgrader, "__init__", init)
    monkeypatch.setattr(batch, "find_jobs", lambda *args, **kwargs: seen.append("find_jobs") or real_find(*args, **kwargs))
    return seen


def _grade(course, **options):
    options = {"workers": 1, "sandboxed": False, "feedback": False, "report": False, **options}
    return batch.grade_batch(batch.Options("a1", course, **options))


def _ended(nbgrader):
    return nbgrader.running.process.poll() is not None and not nbgrader.course.exists()


def test_the_first_submission_is_graded_by_the_nbgrader_started_before_the_jobs_were_found(template, tmp_path, made):
    course = _course(template, tmp_path)
    result = _grade(course)
    assert result.exit_code == 0, result.problems
    assert [(row.student, row.status, row.score) for row in result.rows] == [("ann", Status.GRADED, 3)]
    assert made[:2] == [made[0], "find_jobs"] and len(made) == 2   # no other nbgrader was started
    assert _ended(made[0])


def test_an_nbgrader_started_ahead_and_not_needed_is_ended(template, tmp_path, made):
    course = _course(template, tmp_path)
    _grade(course)
    made.clear()
    again = _grade(course)        # nothing changed: nothing to grade
    assert again.graded == [] and again.unchanged == ["ann"]
    assert isinstance(made[0], worker.Nbgrader) and _ended(made[0])
    (course / "gradebook.db").unlink()
    made.clear()
    refused = _grade(course)
    assert refused.exit_code == 2 and "no gradebook" in refused.refusal
    assert isinstance(made[0], worker.Nbgrader) and _ended(made[0])


def test_an_nbgrader_started_for_other_settings_is_ended_and_a_new_one_grades(template, tmp_path, made):
    from autograder.grading.jobs import find_jobs
    course = _course(template, tmp_path)
    job, = find_jobs(course, "a1", Limits(), 1)
    other = worker.Nbgrader("a1", Limits(memory_gb=3), 1, sandboxed=False)
    result = worker.grade(job, sandboxed=False, ahead=lambda: other)
    assert result.status == Status.GRADED, result.log_tail
    assert _ended(other) and len([m for m in made if isinstance(m, worker.Nbgrader)]) == 2


@pytest.mark.parametrize("line, told", [
    ('["--student", "s01", "--force"]\n', ["--student", "s01", "--force"]),
    ("[]\n", []),
    ("", None),                                    # stdin closed: not needed
    ("not JSON\n", None),
    ('{"--student": "s01"}\n', None),
    ('["--student", 1]\n', None),
])
def test_the_worker_nbgrader_reads_only_a_list_of_options_from_its_stdin(line, told):
    assert nbgrader_quiet.options(line) == told
    if told is not None:
        assert json.loads(line) == told
