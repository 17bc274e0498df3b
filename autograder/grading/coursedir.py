"""The one entry point for a course's folders: nbgrader's own CourseDirectory, read from the
course's nbgrader_config.py, so the grader, the report and the bundle find submitted/,
autograded/, feedback/, the source and the release wherever that configuration puts them."""

from functools import cached_property
from pathlib import Path

from ..paths import REPORTS_DIR, STATE_DIR  # the run state, the class reports: one place for paths


class Course:
    """The folders of one course (``root`` holds its nbgrader_config.py)."""

    def __init__(self, root="."):
        self.root = Path(root).resolve()

    @cached_property
    def config(self):
        from traitlets.config import Config
        from traitlets.config.loader import PyFileConfigLoader
        if not (self.root / "nbgrader_config.py").exists():
            return Config()
        return PyFileConfigLoader("nbgrader_config.py", path=str(self.root)).load_config()

    @cached_property
    def coursedir(self):
        from nbgrader.coursedir import CourseDirectory
        coursedir = CourseDirectory(config=self.config)
        coursedir.root = str(self.root)
        return coursedir

    def _path(self, step, student, assignment):
        return Path(self.coursedir.format_path(step, student, assignment))

    def source(self, assignment):
        return self._path(self.coursedir.source_directory, ".", assignment).resolve()

    def release(self, assignment):
        return self._path(self.coursedir.release_directory, ".", assignment).resolve()

    def submitted(self, student, assignment):
        return self._path(self.coursedir.submitted_directory, student, assignment)

    def autograded(self, student, assignment):
        return self._path(self.coursedir.autograded_directory, student, assignment)

    def feedback(self, student, assignment):
        return self._path(self.coursedir.feedback_directory, student, assignment)

    def submissions(self, assignment):
        """[(student, folder)] of every collected submission of ``assignment``, sorted."""
        pattern = self._path(self.coursedir.submitted_directory, "*", assignment).relative_to(self.root)
        found = []
        for folder in sorted(self.root.glob(str(pattern))):
            if folder.is_dir():
                student = folder.relative_to(self.root).parts[list(pattern.parts).index("*")]
                found.append((student, folder))
        return found

    @property
    def submitted_root(self):
        return self.root / self.coursedir.submitted_directory

    @property
    def feedback_root(self):
        return self.root / self.coursedir.feedback_directory

    @property
    def gradebook_file(self):
        """The SQLite file of the course's ``db_url`` (relative to the course, as nbgrader reads it)."""
        url = str(self.coursedir.db_url)
        prefix = "sqlite:///"
        if url.startswith(prefix) and url[len(prefix):] not in ("", ":memory:"):
            return self.root / url[len(prefix):]
        return self.root / "gradebook.db"

    @property
    def course_id(self):
        return self.config.CourseDirectory.get("course_id", "default_course")

    @property
    def state_dir(self):
        return self.root / STATE_DIR

    def report(self, assignment):
        return self.root / REPORTS_DIR / f"{assignment}.html"

    @property
    def grades_csv(self):
        return self.root / "grades.csv"
