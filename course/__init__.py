"""What the book, the exercise notebooks and the autograder share: class names, data, plotting set-up."""

import os

# TensorFlow's C++ start-up messages go to fd 2; nbgrader scores a grade cell 0 for any stderr.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from .classes import CLASS_NAMES, LANGUAGES, class_names
from .plotting import setup_matplotlib

_FROM_DATA = ("DataError", "load_data", "require_data")


def __getattr__(name):
    # course.data is imported on first use, so `python -m course.data` runs it only once
    if name in _FROM_DATA:
        from . import data
        return getattr(data, name)
    raise AttributeError(f"module 'course' has no attribute {name!r}")

__all__ = ["CLASS_NAMES", "LANGUAGES", "class_names", "DataError", "load_data",
           "require_data", "setup_matplotlib"]
