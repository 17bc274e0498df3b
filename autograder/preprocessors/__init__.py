"""nbgrader preprocessors of this course, one per file, each named in nbgrader_config.py."""

from .accuracy import JudgeAccuracy, PrepareHandover
from .hide_hidden_tests import HideHiddenTests

__all__ = ["HideHiddenTests", "JudgeAccuracy", "PrepareHandover"]
