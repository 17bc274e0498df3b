"""The one gradebook writer: nbgrader's own autograde pipeline, with Execute replaced by replay.

Only the coordinator uses this module, one submission at a time, so the SQLite gradebook has
exactly one writer however many workers ran the notebooks.
"""

import shutil
import sqlite3
import warnings
from contextlib import closing
from pathlib import Path

from .coursedir import Course
from .state import State
from .status import NEVER_RAN, Result


def course_config(course):
    from traitlets.config.loader import PyFileConfigLoader
    return PyFileConfigLoader("nbgrader_config.py", path=str(course)).load_config()


def _name(preprocessor):
    return preprocessor if isinstance(preprocessor, str) else f"{preprocessor.__module__}.{preprocessor.__name__}"


AHEAD_HOOK = "autograder.box.ahead.pre_convert_hook"   # nbgrader_config.py's (autograder/box/ahead.py)


def replay_preprocessors(config):
    """The course's autograde pipeline with the execution replayed (the verdicts that are taken
    after execution, such as the accuracy, are taken here again, in this process)."""
    from nbgrader.converters.autograde import Autograde

    from .replay import ReplayExecution
    listed = config.Autograde.get("autograde_preprocessors") or Autograde.class_traits()["autograde_preprocessors"].default()
    pipeline = []
    for preprocessor in listed:
        name = _name(preprocessor)
        pipeline.append(ReplayExecution if name.endswith((".Execute", ".GradingExecute")) else preprocessor)
    return pipeline


def gradebook(course):
    """The course's gradebook, with its course id (without it nbgrader adds a 'default_course')."""
    from nbgrader.api import Gradebook
    paths = Course(course)
    return Gradebook(f"sqlite:///{paths.gradebook_file}", course_id=paths.course_id)


def recorded_ids(course, assignment):
    """{student: nbgrader submission id} of what the gradebook holds for ``assignment``."""
    with gradebook(course) as gb:
        return {s.student_id: s.id for s in gb.assignment_submissions(assignment)}


def scores(course, assignment):
    with gradebook(course) as gb:
        return {s.student_id: (s.score, s.max_score) for s in gb.assignment_submissions(assignment)}


def _safe_relative(name):
    """A hand-over file's name as the box sent it: at most one folder deep, no '..', no root."""
    parts = [p for p in Path(name).parts if p not in ("", ".", "..", "/")]
    return Path(*parts[-2:]) if parts else Path("unnamed")


def seconds_late(course, assignment):
    """{student: seconds after the due date} of the submissions nbgrader counts as late."""
    with gradebook(course) as gb:
        return {s.student_id: s.total_seconds_late for s in gb.assignment_submissions(assignment)
                if s.total_seconds_late and s.total_seconds_late > 0}


def store(state: State, job, result: Result):
    """Keep a worker's result where ReplayExecution and JudgeAccuracy find it, then note it."""
    folder = state.results_dir / job.student / job.assignment
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    for name, text in result.notebooks.items():
        (folder / name).write_text(text, encoding="utf-8")
    for name, data in result.handover.items():
        target = folder / _safe_relative(name)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    if not result.notebooks:
        from .replay import NOT_RUN
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


def _sqlite_path(db_url, root):
    """The file of a ``sqlite:///`` URL (relative to the course, as nbgrader reads it), or None."""
    prefix = "sqlite:///"
    if not str(db_url).startswith(prefix) or str(db_url)[len(prefix):] in ("", ":memory:"):
        return None
    return Path(root) / str(db_url)[len(prefix):]


def _journal_mode(path, mode):
    """Set the SQLite journal mode of the file at ``path``; return the mode it had, or None when it
    could not be set (another process holds the file, a file system without WAL)."""
    try:
        with closing(sqlite3.connect(path, timeout=30)) as db:
            before = db.execute("PRAGMA journal_mode").fetchone()[0].lower()
            after = db.execute(f"PRAGMA journal_mode={mode}").fetchone()[0].lower()
    except sqlite3.Error:
        return None
    return before if after == mode else None


def _commit_without_waiting_for_the_disk(connection, _record):
    connection.execute("PRAGMA synchronous=NORMAL")


class _CachedSchemaValidation:
    """jsonschema.validate as nbgrader's metadata check calls it, with the validator built once.

    nbgrader checks every cell's nbgrader metadata with ``jsonschema.validate(metadata, schema)``
    (about 90 calls per submission), which checks the constant schema itself and builds a new
    validator on every call. This does the same check and raises the same error
    (``best_match(iter_errors)``), with the schema checked and the validator built once.
    """

    def __init__(self):
        import jsonschema
        self._jsonschema = jsonschema
        self._validators = {}

    def validate(self, instance, schema, cls=None, *args, **kwargs):
        if cls is not None or args or kwargs:
            return self._jsonschema.validate(instance, schema, cls, *args, **kwargs)
        key = id(schema)
        found = self._validators.get(key)
        if found is None or found[0] is not schema:
            validator_class = self._jsonschema.validators.validator_for(schema)
            validator_class.check_schema(schema)
            found = self._validators[key] = (schema, validator_class(schema))
        error = self._jsonschema.exceptions.best_match(found[1].iter_errors(instance))
        if error is not None:
            raise error

    def __getattr__(self, name):  # anything else nbgrader asks of the jsonschema module
        return getattr(self._jsonschema, name)


class Writer:
    """The coordinator's gradebook writer for one assignment: nbgrader's autograde pipeline, with
    the execution replayed, built once and used for every submission of a batch.

    Use it as a context manager (``with Writer(course, assignment, state) as writer``). While it is
    open, nbgrader's own code runs unchanged, with three per-submission costs taken away
    (benchmarks/writer.py measured them; GRADING.md has the figures):
    - nbgrader's metadata check uses a validator built once (_CachedSchemaValidation);
    - every ``Gradebook()`` nbgrader opens (about nine per submission, each with its own engine,
      connection and table check) shares one SQLAlchemy engine per database URL;
    - the SQLite gradebook is in WAL mode with ``synchronous=NORMAL``: nbgrader commits about 40
      times per submission, and each commit no longer waits for the disk. A crash of the machine
      can lose the last commits but cannot corrupt the file, and the state only says "recorded"
      for what the gradebook holds on the next run. On leaving, the journal mode it had is
      restored (which writes everything into the file itself). A writer killed before that leaves
      the file in WAL mode with its -wal file beside it: SQLite reads both, and the next writer
      restores the mode. What workers copy from the file (the assignment's cells) was written
      before, by generate_assignment.
    ``record_one`` records one student as the result arrives and ``feedback`` writes that student's
    feedback page (nbgrader's GenerateFeedback, in this process); export stays nbgrader's own
    command, run once at the end.
    """

    def __init__(self, course, assignment, state: State):
        from nbgrader.apps import NbGraderAPI
        from nbgrader.coursedir import CourseDirectory
        self.course, self.assignment, self.state = Path(course), assignment, state
        config = course_config(course)
        config.CourseDirectory.root = str(course)
        config.Autograde.autograde_preprocessors = replay_preprocessors(config)
        config.ReplayExecution.results_dir = str(state.results_dir)
        if _name(config.Autograde.get("pre_convert_hook") or "") == AHEAD_HOOK:
            config.Autograde.pre_convert_hook = None   # the replay starts no kernel, ahead or not
        self.api = NbGraderAPI(coursedir=CourseDirectory(config=config), config=config)
        self.database = _sqlite_path(self.api.coursedir.db_url, self.course)
        self._patched, self._engines, self._journal = [], {}, None

    def __enter__(self):
        from nbgrader import api
        from nbgrader.nbgraderformat import common
        self._patched = [(common, "jsonschema", common.jsonschema), (api, "create_engine", api.create_engine)]
        common.jsonschema = _CachedSchemaValidation()
        create_engine = api.create_engine

        def shared_engine(url, **options):
            key = (str(url), repr(sorted(options.items())))
            if key not in self._engines:
                engine = self._engines[key] = create_engine(url, **options)
                if engine.dialect.name == "sqlite":
                    from sqlalchemy import event
                    event.listen(engine, "connect", _commit_without_waiting_for_the_disk)
            return self._engines[key]
        api.create_engine = shared_engine
        if self.database is not None:
            self._journal = _journal_mode(self.database, "wal")
        return self

    def __exit__(self, *exc):
        for module, name, value in reversed(self._patched):
            setattr(module, name, value)
        self._patched = []
        for engine in self._engines.values():
            engine.dispose()
        self._engines = {}
        if self._journal not in (None, "wal"):
            _journal_mode(self.database, self._journal)
        self._journal = None

    def autograde(self, student):
        """Put one student's stored result in the gradebook; return why it failed, or None."""
        if self.state.get(student).status in NEVER_RAN:
            _record_empty_submission(self.course, self.assignment, student)
            return None
        outcome = self.api.autograde(self.assignment, student, force=True, create=True)
        if outcome["success"]:
            return None
        return (outcome.get("error") or "nbgrader could not record it")[-500:]

    def _submission_id(self, student):
        from nbgrader.api import MissingEntry
        with gradebook(self.course) as gb:
            try:
                return gb.find_submission(self.assignment, student).id
            except MissingEntry:
                return None

    def record_one(self, student):
        """Record one student's stored result and mark it in the state (recorded as the gradebook's
        submission id, or not recorded and why); return why it failed, or None."""
        from sqlalchemy.exc import SAWarning
        with warnings.catch_warnings():
            # SQLAlchemy's autoflush notices from inside nbgrader, for a notebook that did not run
            warnings.simplefilter("ignore", SAWarning)
            why = self.autograde(student)
        if why is not None:
            self.state.mark_not_recorded(student, "the gradebook could not record it")
            return why
        submission = self._submission_id(student)
        if submission is None:
            why = "the gradebook has no submission for it after recording"
            self.state.mark_not_recorded(student, why)
            return why
        self.state.mark_recorded(student, submission)
        return None

    def record(self, students):
        """record_one for each of ``students``; return {student: why it failed}."""
        failures = {}
        for student in students:
            why = self.record_one(student)
            if why is not None:
                failures[student] = why
        return failures

    def feedback(self, student):
        """Write one recorded student's feedback page; return why it failed, or None. A submission
        that never ran (no notebook, a bad file) has no page: its reason is in the table."""
        entry = self.state.get(student)
        if entry is None or entry.status in NEVER_RAN or entry.recorded_as is None:
            return None
        outcome = self.api.generate_feedback(self.assignment, student, force=True)
        if outcome["success"]:
            return None
        return f"feedback for {student} failed: " + (outcome.get("error") or outcome.get("log") or "")[-400:]


def record(course, assignment, students, state: State):
    """Record each student's stored result; return {student: why it failed} for those that did not."""
    with Writer(course, assignment, state) as writer:
        return writer.record(students)
