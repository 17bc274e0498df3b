"""Feedback that tells students which checks failed and why, without the hidden test source.

nbgrader 0.9 copies autograded notebooks into the feedback HTML as they are: hidden test lines
and the tracebacks that quote them included. This preprocessor (added to
``GenerateFeedback.preprocessors`` in nbgrader_config.py) removes the hidden region from every
test cell and shortens each test cell's error to its last line, the check's message.
"""

from nbgrader import utils
from nbgrader.preprocessors import ClearHiddenTests, NbGraderPreprocessor


class HideHiddenTests(NbGraderPreprocessor):  # nbconvert runs a preprocessor only when enabled

    def preprocess(self, nb, resources):
        clear = ClearHiddenTests(enforce_metadata=False)
        for cell in nb.cells:
            if cell.cell_type != "code" or not utils.is_grade(cell):
                continue
            clear._remove_hidden_test_region(cell)
            for output in cell.get("outputs", []):
                if output.get("output_type") == "error":
                    output["traceback"] = [f"{output.get('ename')}: {output.get('evalue')}"]
        return nb, resources
