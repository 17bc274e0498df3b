"""An nbgrader preprocessor that stands in for Execute: it takes each cell's outputs from the
notebook a worker already executed, so the coordinator records grades without running anything.

When the worker could not finish (time limit, dead kernel), every grade cell gets an error that
says why, so the student is in the gradebook with 0 for those cells and the feedback explains.
It also tells JudgeAccuracy where the weights the box handed back are.
"""

from pathlib import Path

import nbformat
from nbformat.v4 import new_output
from nbgrader import utils
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Unicode

from ..handover import HANDOVER_DIR

NOT_RUN = "NOT_RUN.txt"


class ReplayExecution(NbGraderPreprocessor):

    results_dir = Unicode("", help="Folder of executed notebooks: <student>/<assignment>/<notebook>.ipynb").tag(config=True)

    def preprocess(self, nb, resources):
        info = resources["nbgrader"]
        folder = Path(self.results_dir) / info["student"] / info["assignment"]
        resources[HANDOVER_DIR] = str(folder)
        path = folder / f"{info['notebook']}.ipynb"
        try:
            executed = nbformat.read(path, as_version=4)
        except FileNotFoundError:
            try:
                reason = (folder / NOT_RUN).read_text(encoding="utf-8").strip()
            except FileNotFoundError:
                reason = "the notebook did not run"
            return self._mark_not_run(nb, reason), resources
        if [c.source for c in executed.cells] != [c.source for c in nb.cells]:
            raise RuntimeError(f"{path} does not match the submission; grade it again")
        for cell, done in zip(nb.cells, executed.cells):
            if cell.cell_type == "code":
                cell.outputs = done.get("outputs", [])
                cell.execution_count = done.get("execution_count")
        return nb, resources

    @staticmethod
    def _mark_not_run(nb, reason):
        for cell in nb.cells:
            if cell.cell_type == "code" and utils.is_grade(cell):
                cell.outputs = [new_output("error", ename="NotGraded", evalue=reason,
                                           traceback=[f"NotGraded: {reason}"])]
        return nb
