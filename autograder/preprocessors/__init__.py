"""nbgrader preprocessors of this course, one per file, each named in nbgrader_config.py.

The verdicts of the probed cells are autograder.judges.JudgeProbes (not given to students)."""

from .accuracy import JudgeAccuracy
from .execute import GradingExecute
from .hide_hidden_tests import HideHiddenTests

__all__ = ["GradingExecute", "HideHiddenTests", "JudgeAccuracy"]
