"""The one gradebook writer: nbgrader's own autograde pipeline, with Execute replaced by replay.

Only the coordinator uses this module, one submission at a time, so the SQLite gradebook has
exactly one writer however many workers ran the notebooks.
"""

import shutil
import warnings
from pathlib import Path

from .replay import NOT_RUN, ReplayExecution
from .state import State
from .status import Result, Status


def course_config(course):
    from traitlets.config.loader import PyFileConfigLoader
    return PyFileConfigLoader("nbgrader_config.py", path=str(course)).load_config()


def _name(preprocessor):
    return preprocessor if isinstance(preprocessor, str) else f"{preprocessor.__module__}.{preprocessor.__name__}"


def replay_preprocessors(config):
    """The course's autograde pipeline with the execution replayed (the verdicts that are taken
    after execution, such as the accuracy, are taken here again, in this process)."""
    from nbgrader.converters.autograde import Autograde
    listed = config.Autograde.get("autograde_preprocessors") or Autograde.autograde_preprocessors.default_value
    pipeline = []
    for preprocessor in listed:
        name = _name(preprocessor)
        if name.endswith(".PrepareHandover"):
            continue
        pipeline.append(ReplayExecution if name.endswith(".Execute") else preprocessor)
    return pipeline


def gradebook(course):
    """The course's gradebook, with its course id (without it nbgrader adds a 'default_course')."""
    from nbgrader.api import Gradebook
    course_id = course_config(course).CourseDirectory.get("course_id", "default_course")
    return Gradebook(f"sqlite:///{Path(course) / 'gradebook.db'}", course_id=course_id)


def recorded_ids(course, assignment):
    """{student: nbgrader submission id} of what the gradebook holds for ``assignment``."""
    with gradebook(course) as gb:
        return {s.student_id: s.id for s in gb.assignment_submissions(assignment)}


def scores(course, assignment):
    with gradebook(course) as gb:
        return {s.student_id: (s.score, s.max_score) for s in gb.assignment_submissions(assignment)}


def store(state: State, job, result: Result):
    """Keep a worker's result where ReplayExecution and JudgeAccuracy find it, then note it."""
    folder = state.results_dir / job.student / job.assignment
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    for name, text in result.notebooks.items():
        (folder / name).write_text(text, encoding="utf-8")
    for name, data in result.handover.items():
        (folder / Path(name).name).write_bytes(data)
    if not result.notebooks:
        (folder / NOT_RUN).write_text(f"{result.status}: {result.detail}", encoding="utf-8")
    state.record(job, result)


def _record_empty_submission(course, assignment, student):
    """A submission without its notebook still belongs in the gradebook, with 0 points."""
    from nbgrader.api import MissingEntry
    with gradebook(course) as gb:
        gb.update_or_create_student(student)
        try:
            gb.find_submission(assignment, student)
        except MissingEntry:
            gb.add_submission(assignment, student)


def record(course, assignment, students, state: State):
    """Record each student's stored result; return {student: why it failed} for those that did not."""
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory
    from sqlalchemy.exc import SAWarning
    config = course_config(course)
    config.CourseDirectory.root = str(course)
    config.Autograde.autograde_preprocessors = replay_preprocessors(config)
    config.ReplayExecution.results_dir = str(state.results_dir)
    api = NbGraderAPI(coursedir=CourseDirectory(config=config), config=config)
    failures = {}
    with warnings.catch_warnings():
        # SQLAlchemy's autoflush notices from inside nbgrader, for a notebook that did not run
        warnings.simplefilter("ignore", SAWarning)
        for student in students:
            if state.get(student).status == Status.MISSING:
                _record_empty_submission(course, assignment, student)
            else:
                outcome = api.autograde(assignment, student, force=True, create=True)
                if not outcome["success"]:
                    failures[student] = (outcome.get("error") or "nbgrader could not record it")[-500:]
                    state.mark_not_recorded(student, "the gradebook could not record it")
                    continue
    ids = recorded_ids(course, assignment)
    for student in students:
        if student in failures:
            continue
        if student in ids:
            state.mark_recorded(student, ids[student])
        else:
            failures[student] = "the gradebook has no submission for it after recording"
            state.mark_not_recorded(student, failures[student])
    return failures
