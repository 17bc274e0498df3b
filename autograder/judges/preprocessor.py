"""JudgeProbes: the verdict of every probed grade cell, in nbgrader's process after execution.

It also writes the static check's signal (autograder.judges.static: code that reached for the
course's code) into the grade cells it touches, for the class report; that costs no point.
"""

from nbformat.v4 import new_output
from nbgrader import utils
from nbgrader.preprocessors import NbGraderPreprocessor

from ..handover import HANDOVER_DIR, submission_seed, written_by_student
from ..notebook_run import notebook_language
from . import read_ahead
from .handover import Folder
from .registry import ACCURACY_DEPENDS_ON, JUDGED_CELLS, judge_cell
from .static import finding_for, forbidden_functions

GRADED_FUNCTIONS = {name for _, depends in JUDGED_CELLS.values() for name in depends} | set(ACCURACY_DEPENDS_ON)


def _failed_already(cell):
    return any(o.get("output_type") == "error" for o in cell.get("outputs", []))


def _fail(cell, message):
    cell.outputs.append(new_output("error", ename="AssertionError", evalue=message,
                                   traceback=[f"AssertionError: {message}"]))


def _folder(resources):
    return resources.get(HANDOVER_DIR) or resources.get("metadata", {}).get("path") or "."


def judge_notebook(nb, resources):
    """Write each probed cell's verdict into it; return {grade id: Verdict or None (skipped)}."""
    lang = notebook_language(nb)
    solutions = [c.source for c in nb.cells if c.cell_type == "code" and written_by_student(c)]
    forbidden = forbidden_functions(solutions, GRADED_FUNCTIONS)
    handovers = Folder(_folder(resources), lang)
    seed = submission_seed(nb, resources)
    verdicts = {}
    for cell in nb.cells:
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if cell.cell_type != "code" or not utils.is_grade(cell):
            continue
        depends = JUDGED_CELLS[grade_id][1] if grade_id in JUDGED_CELLS else ACCURACY_DEPENDS_ON
        finding = finding_for(forbidden, depends)
        if finding:  # a signal for the class report, never a score
            cell.metadata.setdefault("autograder", {})["forbidden"] = finding.what
        if grade_id not in JUDGED_CELLS or _failed_already(cell):
            verdicts[grade_id] = None
            continue
        verdict = judge_cell(grade_id, handovers, seed, lang)
        if not verdict.passed:
            _fail(cell, verdict.message)
        verdicts[grade_id] = verdict
    return verdicts


class JudgeProbes(NbGraderPreprocessor):
    """Configured after Execute (and before JudgeAccuracy) in nbgrader_config.py. nbgrader makes
    the pipeline's preprocessors before it runs the first: the data the verdicts read is read
    ahead while the kernel runs (read_ahead)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        read_ahead.start()

    def preprocess(self, nb, resources):
        read_ahead.wait()
        judge_notebook(nb, resources)
        return nb, resources
