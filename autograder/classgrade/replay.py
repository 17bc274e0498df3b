"""Coordinator side: ``ReplayExecution`` takes ``Execute``'s place in the real course's
``nbgrader autograde``, copying each cell's outputs from the notebook a worker executed.

nbgrader then does everything else itself (sanitizing, restoring locked cells, limiting output,
``SaveAutoGrades``, late penalties) in this one process, the gradebook's only writer. Cells that
never ran because the notebook was stopped get an error output saying why, so their grade cells
score 0 and the feedback explains it.
"""

import json
import os
import re

import nbformat
from nbformat.v4 import new_output
from traitlets import Unicode

from nbgrader import utils
from nbgrader.preprocessors import NbGraderPreprocessor

STOPPED = {
    "timed out": (
        "The grader stopped this notebook after {seconds:.0f} s, its time limit for the whole notebook; "
        "this cell did not run. Look for a loop that never ends or work that takes far too long.",
        "评分程序在 {seconds:.0f} 秒后停止了这个笔记本（整个笔记本的时间上限），这个单元格没有运行。"
        "请检查是否有永不结束的循环或耗时过长的代码。"),
    "kernel died": (
        "The Python kernel died while running cell {cell} (the process exited or crashed: os._exit, "
        "sys.exit in C code, running out of memory); this cell did not run.",
        "运行第 {cell} 个单元格时 Python 内核退出了（进程退出或崩溃：os._exit、内存不足等），这个单元格没有运行。"),
    "failed": (
        "The grader could not run this notebook ({error}); this cell did not run.",
        "评分程序无法运行这个笔记本（{error}），这个单元格没有运行。"),
}


class ReplayMismatch(Exception):
    pass


def notebook_language(nb):
    for cell in nb.cells:
        match = re.search(r'^LANG\s*=\s*["\'](\w+)["\']', cell.source, re.M)
        if cell.cell_type == "code" and match:
            return match.group(1)
    return "en"


def stop_message(stop, lang="en"):
    text = STOPPED.get(stop.get("why"), STOPPED["failed"])[1 if lang == "zh" else 0]
    return text.format(seconds=stop.get("seconds") or 0, cell=stop.get("cell", "?"),
                       error=stop.get("error") or stop.get("why") or "unknown error")


def _error(message):
    return new_output("error", ename="GradingStopped", evalue=message,
                      traceback=[f"GradingStopped: {message}"])


def replay(nb, executed=None, stop=None):
    """Copy outputs from ``executed`` into ``nb`` (in place) and return it.

    ``executed`` is the worker's notebook (None if nothing ran); ``stop`` says why it ended early:
    ``{"why": "timed out" | "kernel died" | "failed", "reached": index of the last code cell that
    finished, ...}``; cells after ``reached`` did not run. Sources must match cell by cell.
    """
    if executed is not None and len(executed.cells) != len(nb.cells):
        raise ReplayMismatch(f"the executed notebook has {len(executed.cells)} cells, this one {len(nb.cells)}")
    reached = len(nb.cells) if stop is None else stop.get("reached", -1)
    stopped_at = next((i for i, c in enumerate(nb.cells) if i > reached and c.cell_type == "code"), None)
    message = stop_message(dict(stop, cell=(stopped_at or 0) + 1), notebook_language(nb)) if stop else None
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        if executed is not None:
            done = executed.cells[index]
            if done.cell_type != cell.cell_type or done.source != cell.source:
                raise ReplayMismatch(f"cell {index} differs between the executed notebook and the submission")
            cell.outputs = done.get("outputs", [])
            cell.execution_count = done.get("execution_count")
        if index > reached:
            if utils.is_grade(cell) or index == stopped_at:
                cell.outputs = [o for o in cell.get("outputs", []) if o.get("output_type") != "error"]
                cell.outputs.append(_error(message))
    return nb


class ReplayExecution(NbGraderPreprocessor):
    """``Execute``'s stand-in: outputs come from ``directory/STUDENT/NOTEBOOK.ipynb`` and ``.json``."""

    directory = Unicode("", help="the workers' executed notebooks, by student").tag(config=True)

    def preprocess(self, nb, resources):
        student = resources["nbgrader"]["student"]
        base = os.path.join(self.directory, student, resources["unique_key"])
        executed, stop = None, {"why": "failed", "reached": -1, "error": "no executed notebook"}
        if os.path.exists(base + ".json"):
            with open(base + ".json") as handle:
                stop = json.load(handle).get("stop")
        if os.path.exists(base + ".ipynb"):
            executed = nbformat.read(base + ".ipynb", as_version=4)
        self.log.info("Replaying %s for %s%s", resources["unique_key"], student,
                      f" (stopped: {stop['why']})" if stop else "")
        return replay(nb, executed, stop), resources
