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

from ..handover import GRADE_ID, HANDOVER, HANDOVER_DIR  # noqa: F401  (re-exported)
from ..messages import say
from ..recheck import judged
from ..notebook_run import notebook_language


class HandoverError(AssertionError):
    def __init__(self, key, **values):
        super().__init__(key)
        self.key, self.values = key, values


def _folder(resources):
    return Path(resources.get(HANDOVER_DIR) or resources.get("metadata", {}).get("path") or ".")


def measure(path):
    """Test-set accuracy of the lesson's model carrying the weights in ``path``."""
    import numpy as np

    from course import reference
    if not Path(path).is_file():
        raise HandoverError("acc_no_handover")
    try:
        with np.load(path, allow_pickle=False) as data:
            weights = [data[f"w{i}"] for i in range(len(data.files))]
    except (OSError, ValueError, KeyError) as error:
        raise HandoverError("acc_unreadable", error=f"{type(error).__name__}: {error}") from None
    got = [tuple(w.shape) for w in weights]
    if got != reference.WEIGHT_SHAPES:
        raise HandoverError("acc_architecture", got=got, want=reference.WEIGHT_SHAPES)
    return reference.accuracy_of_weights(weights)


def verdict(path, lang="en"):
    """(accuracy or None, error message or None, note) for the hand-over file at ``path``."""
    from ..threshold import threshold
    try:
        accuracy = measure(path)
    except HandoverError as problem:
        return None, say(problem.key, lang, **problem.values), None
    limit = threshold()
    if accuracy < limit:
        return accuracy, say("acc_low", lang, acc=accuracy, threshold=limit), None
    return accuracy, None, say("acc_measured", lang, acc=accuracy, threshold=limit)


def judge_file(path, lang="en"):
    """Raise AssertionError unless the weights in ``path`` reach the threshold (pytest mode)."""
    _, error, _ = verdict(path, lang)
    if error:
        raise AssertionError(error)


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
