"""Which judge decides which grade cell. The cells themselves (ids, parts, the student's
functions, probes, points) are the one table of fashion_mnist_student.cells; this module adds a
judge to each probed cell and refuses to load when the two disagree."""

from fashion_mnist_student.cells import ACCURACY_ID, BY_ID, CELLS
from fashion_mnist_student.probe_inputs import ProbeInputs

from ..messages import say
from . import compile as compile_judges
from . import model, plots, predictions, preprocess, train
from .verdict import Verdict

JUDGES = {
    "test_preprocess_images_shape": preprocess.shape,
    "test_preprocess_images_range": preprocess.scaled,
    "test_preprocess_images_input": preprocess.input_kept,
    "test_build_model_output": model.output,
    "test_build_model_layers": model.layers,
    "test_compile_model_optimizer": compile_judges.optimizer,
    "test_compile_model_loss": compile_judges.loss,
    "test_compile_model_metrics": compile_judges.metrics,
    "test_train_model_epochs": train.epochs,
    "test_train_model_loss": train.loss_down,
    "test_make_probability_model_softmax": predictions.softmax,
    "test_accuracy_predictions": predictions.shape,
    "test_plot_image": plots.image_label,
    "test_plot_value_array": plots.value_array,
}
if set(JUDGES) != set(BY_ID) - {ACCURACY_ID}:  # an explicit check: it holds under python -O
    raise RuntimeError(f"judges and fashion_mnist_student.cells disagree: {sorted(set(JUDGES) ^ (set(BY_ID) - {ACCURACY_ID}))}")

# grade id -> (judge, the student's functions whose code the cell's points depend on)
JUDGED_CELLS = {cell.grade_id: (JUDGES[cell.grade_id], cell.functions) for cell in CELLS if cell.grade_id in JUDGES}
# the accuracy verdict is JudgeAccuracy's; its points depend on the whole pipeline the student wrote
ACCURACY_DEPENDS_ON = BY_ID[ACCURACY_ID].functions


def judge_cell(grade_id, handovers, seed, lang="en"):
    """The Verdict of ``grade_id`` from ``handovers`` (a handover.Folder) and the submission's seed."""
    judge = JUDGES[grade_id]
    try:
        judge(handovers, ProbeInputs(seed), lang)
    except AssertionError as failure:
        return Verdict.failed(grade_id, str(failure))
    except Exception as error:  # noqa: BLE001 (a malformed hand-over is that cell's failure)
        return Verdict.failed(grade_id, say("probe_malformed", lang, detail=f"{type(error).__name__}: {error}"[:200]))
    return Verdict(grade_id, True)
