"""The verdicts of the graded cells, taken in nbgrader's process from what the kernel handed over.

The student's kernel only runs the probes (fashion_mnist_student.probes): they call the student's
functions on inputs drawn from the submission's seed and hand back plain data. Here, outside the
kernel, each judge draws the same inputs from the same seed and decides from that data alone
(``JudgeProbes``, configured in nbgrader_config.py, so plain `nbgrader autograde` and the class
command take the same verdicts). This package is never given to students and is not mounted in
the grading box.
"""

from .preprocessor import JudgeProbes, judge_notebook
from .registry import JUDGED_CELLS, judge_cell
from .verdict import Verdict

__all__ = ["JUDGED_CELLS", "JudgeProbes", "Verdict", "judge_cell", "judge_notebook"]
