"""What the book, the exercise notebooks and the autograder share: class names, data, plotting set-up.

The parts a student's notebook needs (class names, data loading, the Chinese plot font) have their
one home in the student package, fashion_mnist_student (course/student-package/), which students
install from the course bundle; this package re-exports them and adds the instructor's side:
provisioning the data (course.data) and the reference solution (course.reference).
"""

from fashion_mnist_student import CLASS_NAMES, LANGUAGES, class_names, setup_matplotlib

_FROM_DATA = ("DataError", "load_data")


def __getattr__(name):
    # course.data is imported on first use, so `python -m course.data` runs it only once
    if name in _FROM_DATA:
        from . import data
        return getattr(data, name)
    raise AttributeError(f"module 'course' has no attribute {name!r}")

__all__ = ["CLASS_NAMES", "LANGUAGES", "class_names", "DataError", "load_data", "setup_matplotlib"]
