"""The grading benchmark's baselines (benchmarks/grading.py): the lesson as a student finishes it,
run as a script and in Jupyter, must hold the solution's own code and nothing of the grading."""

import importlib.util
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
# loaded by its path, not put on sys.path: benchmarks/ holds modules named like common words
_spec = importlib.util.spec_from_file_location("benchmark_grading", ROOT / "benchmarks" / "grading.py")
grading = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(grading)


def leftovers(nb):
    """What a finished notebook must not hold: test cells and solution markers."""
    return ([cell.metadata["nbgrader"]["grade_id"] for cell in nb.cells
             if cell.metadata.get("nbgrader", {}).get("grade")]
            + [line for cell in nb.cells if cell.cell_type == "code" for line in cell.source.splitlines()
               if "### BEGIN" in line or "### END" in line])


def test_the_finished_notebook_has_the_solutions_code_and_no_test_cell():
    finished = grading._finished_notebook()
    solution = nbformat.read(ROOT / "solutions" / grading.ASSIGNMENT / grading.NOTEBOOK, 4)
    assert leftovers(finished) == []
    assert leftovers(solution)  # the check can fail: the solution itself has both
    code = "\n".join(cell.source for cell in finished.cells if cell.cell_type == "code")
    assert "return images / 255.0" in code and "plot_value_array(" in code
    kept = [cell.source for cell in solution.cells
            if cell.cell_type == "code" and not cell.metadata.get("nbgrader", {}).get("grade")]
    assert len(kept) == sum(cell.cell_type == "code" for cell in finished.cells)


def test_the_script_and_the_jupyter_baseline_run_the_same_cells(tmp_path):
    script = grading.notebook_script(tmp_path).read_text()
    command = grading.notebook_in_jupyter(tmp_path)
    assert command[1:5] == ["-m", "nbconvert", "--to", "notebook"] and "--execute" in command
    assert "--ExecutePreprocessor.timeout=-1" in command  # the training cell outlasts nbconvert's 30 s
    notebook = nbformat.read(command[-1], 4)
    nbformat.validate(notebook)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert cell.source in script
    assert notebook.metadata["kernelspec"]["name"] == "python3"
