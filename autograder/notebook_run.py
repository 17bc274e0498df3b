"""Run a student's notebook in this process, the way nbgrader would, keeping its namespace.

Used by ``pytest autograder --notebook PATH``: every code cell except the test cells runs in one
IPython shell (magics work), errors are recorded and the next cell still runs, and a cell that
runs past ``cell_seconds`` is interrupted.
"""

import re
import signal

import nbformat

from .paths import ROOT


def is_test_cell(cell):
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return meta.get("grade", False) and not meta.get("solution", False)


def notebook_language(nb):
    for cell in nb.cells:
        match = re.search(r'^LANG\s*=\s*["\'](\w+)["\']', cell.source, re.M)
        if cell.cell_type == "code" and match:
            return match.group(1)
    return "en"


def grade_cells(lang):
    """The source's test cells, hidden tests included: (grade_id, points, code)."""
    source = ROOT / "solutions" / f"fashion_mnist_{lang}" / "fashion_mnist.ipynb"
    nb = nbformat.read(source, as_version=4)
    return [(c.metadata.nbgrader["grade_id"], c.metadata.nbgrader.get("points", 0),
             c.source.replace("### BEGIN HIDDEN TESTS\n", "").replace("### END HIDDEN TESTS", ""))
            for c in nb.cells if is_test_cell(c)]


class _CellTimeout(BaseException):
    pass


def run_notebook(path, cell_seconds=600):
    """Execute ``path``'s code cells (not its test cells); return (namespace, errors, lang)."""
    import matplotlib
    matplotlib.use("Agg")
    from IPython.core.interactiveshell import InteractiveShell

    nb = nbformat.read(path, as_version=4)
    shell = InteractiveShell.instance()
    errors = []

    def stop(signum, frame):
        raise _CellTimeout()

    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or is_test_cell(cell):
            continue
        previous = signal.signal(signal.SIGALRM, stop)
        signal.alarm(cell_seconds)
        try:
            result = shell.run_cell(cell.source, silent=True, store_history=False)
            if result.error_in_exec or result.error_before_exec:
                error = result.error_in_exec or result.error_before_exec
                errors.append((index, f"{type(error).__name__}: {error}"))
        except _CellTimeout:
            errors.append((index, f"cell stopped after {cell_seconds} s"))
        finally:
            signal.alarm(0)
            signal.signal(signal.SIGALRM, previous)
    return shell.user_ns, errors, notebook_language(nb)
