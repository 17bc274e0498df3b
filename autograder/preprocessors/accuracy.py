"""The accuracy verdict, taken in the grader's process instead of the student's kernel.

The hidden part of ``test_accuracy_threshold`` only hands the trained weights over: it writes
them to HANDOVER in the notebook's folder. After execution, JudgeAccuracy (in nbgrader's own
process, for plain `nbgrader autograde` and for the class command alike) runs them through the
forward pass of ``course.reference``'s model (in NumPy: no TensorFlow to import), measures the
accuracy on the test set and writes the verdict into the cell: an error output below the threshold, a stdout line with the figure above
it. Whatever the student's code patched in its kernel (the checks, numpy, keras) is not here, so
the only way to pass is a model that reaches the threshold. GradingExecute, before execution,
removes the hand-over folder a submission brought along.
"""

from pathlib import Path

from nbformat.v4 import new_output
from nbgrader.preprocessors import NbGraderPreprocessor

from .. import recheck
from ..handover import GRADE_ID, HANDOVER, HANDOVER_DIR, PROBE_FOLDER  # noqa: F401  (re-exported)
from ..judges.handover import HandoverProblem, read_json, read_weights
from ..messages import say
from ..notebook_run import notebook_language

HandoverError = HandoverProblem  # the name this module used before the one bounded reader
RECORD_BYTES = 64 * 1024         # the re-check's record: two seeds and an error of 300 characters


def _folder(resources):
    return Path(resources.get(HANDOVER_DIR) or resources.get("metadata", {}).get("path") or ".")


def measure(path):
    """Test-set accuracy of the lesson's model carrying the weights in ``path``."""
    from course import reference
    return reference.accuracy_of_weights(read_weights(path))  # bounded: HandoverProblem


def verdict(path, lang="en"):
    """(accuracy or None, error message or None, note) for the hand-over file at ``path``."""
    from ..threshold import threshold
    try:
        accuracy = measure(path)
    except HandoverProblem as problem:
        return None, problem.message(lang), None
    limit = threshold()
    if accuracy < limit:
        return accuracy, say("acc_low", lang, acc=accuracy, threshold=limit), None
    return accuracy, None, say("acc_measured", lang, acc=accuracy, threshold=limit)


def judge_file(path, lang="en"):
    """Raise AssertionError unless the weights in ``path`` reach the threshold (pytest mode)."""
    _, error, _ = verdict(path, lang)
    if error:
        raise AssertionError(error)


def recheck_folder(folder):
    """Where the grader's re-check left its weights and record (recheck.RECHECK_FOLDER, a folder the
    notebook's box never could write: the grader writes it after the notebook's box ended)."""
    return Path(folder) / recheck.RECHECK_FOLDER


def judged(folder, accuracy, assignment, lang="en"):
    """(error, note, Recheck as a dict) after a re-check of ``accuracy``, or None (outside the
    band, or no valid record: the first verdict stands). The record and the weights are read with
    the bounded reader: a malformed or oversized file is the re-check's error, never memory."""
    where = recheck_folder(folder)

    def measured(path):
        try:
            return measure(path)
        except HandoverProblem as problem:
            raise ValueError(problem.message(lang)) from None

    band = recheck.Band.from_calibration()
    if not band.contains(accuracy):
        return None
    try:  # bounded first (size, depth): recheck.judge then parses a record known to be small
        read_json(where / recheck.RECORD, lang, max_bytes=RECORD_BYTES)
    except HandoverProblem:
        return None
    result = recheck.judge(accuracy, band, assignment, where, measured)
    if result is None:
        return None
    sentence = recheck.describe(result, lang)
    return (None, sentence, result.as_dict()) if result.passed else (sentence, None, result.as_dict())


def _accuracy_cell(nb):
    for cell in nb.cells:
        if cell.cell_type == "code" and cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == GRADE_ID:
            return cell
    return None


class JudgeAccuracy(NbGraderPreprocessor):

    def preprocess(self, nb, resources):
        cell = _accuracy_cell(nb)
        if cell is None or any(o.get("output_type") == "error" for o in cell.get("outputs", [])):
            return nb, resources  # the cell failed in the kernel already: 0 points, its own message
        lang = notebook_language(nb)
        accuracy, error, note = verdict(_folder(resources) / HANDOVER, lang)
        cell.metadata.setdefault("autograder", {})["accuracy"] = accuracy
        assignment = resources.get("nbgrader", {}).get("assignment", "")
        rechecked = judged(_folder(resources), accuracy, assignment, lang)  # a near miss, trained again
        if rechecked:
            error, note, cell.metadata["autograder"]["recheck"] = rechecked
        if error:
            cell.outputs.append(new_output("error", ename="AssertionError", evalue=error,
                                           traceback=[f"AssertionError: {error}"]))
        else:
            cell.outputs.append(new_output("stream", name="stdout", text=note + "\n"))
        return nb, resources
