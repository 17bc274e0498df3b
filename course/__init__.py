"""What the book, the exercise notebooks and the autograder share: class names, data, plotting set-up.

The parts a student's notebook needs (class names, data loading, the Chinese plot font) have their
one home in the student package, fashion_mnist_student (course/student-package/), which students
install from the course bundle; this package re-exports them and adds the instructor's side:
provisioning the data (course.data) and the reference solution (course.reference).
"""

from fashion_mnist_student import CLASS_NAMES, LANGUAGES, class_names
from fashion_mnist_student import setup_matplotlib as _student_setup_matplotlib

_FROM_DATA = ("DataError", "load_data")


def setup_matplotlib(lang="en"):
    """The student package's set-up (the CJK font first on Chinese pages), and, for the book, a
    message on stderr for every figure whose text is shown below 9 pt in the page's column
    (course.figures.report_small_text): the book's build fails on it (a "warning" on stderr)."""
    _student_setup_matplotlib(lang)
    from .figures import report_small_text
    report_small_text()


def __getattr__(name):
    # course.data is imported on first use, so `python -m course.data` runs it only once
    if name in _FROM_DATA:
        from . import data
        return getattr(data, name)
    raise AttributeError(f"module 'course' has no attribute {name!r}")

__all__ = ["CLASS_NAMES", "LANGUAGES", "class_names", "DataError", "load_data", "setup_matplotlib"]
