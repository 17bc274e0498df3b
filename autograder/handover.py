"""What the kernel hands over and where: names shared by the grader's preprocessors.

The probes (fashion_mnist_student.probes) write one JSON file and one .npz file per grade cell
into PROBE_FOLDER beside the notebook; the accuracy cell's .npz holds the trained weights.
"""

from fashion_mnist_student.cells import ACCURACY_ID
from fashion_mnist_student.probe_inputs import seed_of
from fashion_mnist_student.probes import FOLDER as PROBE_FOLDER

GRADE_ID = ACCURACY_ID                            # the grade cell whose verdict JudgeAccuracy takes
HANDOVER = f"{PROBE_FOLDER}/{GRADE_ID}.npz"       # its trained weights, beside the notebook
HANDOVER_DIR = "autograder_handover_dir"          # resources key: where the files are, if not beside the notebook


def written_by_student(cell):
    """Solution cells and every cell the student added or may change (nbgrader keeps them); locked
    cells and grade cells are restored from the source before execution."""
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return bool(meta.get("solution")) or not (meta.get("locked") or meta.get("grade"))


def submission_seed(nb, resources):
    """The seed of a submission's probe inputs: its assignment, its student and every cell the
    student can change (solution cells and added cells, code and text, in order), so a regrade of
    the same work draws the same inputs and any other work, an added cell included, draws others."""
    info = resources.get("nbgrader", {}) if resources else {}
    written = [f"{cell.get('cell_type', '')}\x1e{cell.get('source', '')}" for cell in nb.cells
               if written_by_student(cell)]
    return seed_of(str(info.get("assignment", "")), str(info.get("student", "")), *written)
