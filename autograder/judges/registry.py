"""Which judge decides which grade cell, and which student function each cell depends on."""

from fashion_mnist_student.probe_inputs import ProbeInputs

from ..messages import say
from . import compile as compile_judges
from . import model, plots, predictions, preprocess, train
from .verdict import Verdict

# grade id -> (judge, the student's functions whose code the cell's points depend on)
JUDGED_CELLS = {
    "test_preprocess_images_shape": (preprocess.shape, ("preprocess_images",)),
    "test_preprocess_images_range": (preprocess.scaled, ("preprocess_images",)),
    "test_preprocess_images_input": (preprocess.input_kept, ("preprocess_images",)),
    "test_build_model_output": (model.output, ("build_model",)),
    "test_build_model_layers": (model.layers, ("build_model",)),
    "test_compile_model_optimizer": (compile_judges.optimizer, ("compile_model",)),
    "test_compile_model_loss": (compile_judges.loss, ("compile_model",)),
    "test_compile_model_metrics": (compile_judges.metrics, ("compile_model",)),
    "test_train_model_epochs": (train.epochs, ("train_model",)),
    "test_train_model_loss": (train.loss_down, ("train_model",)),
    "test_make_probability_model_softmax": (predictions.softmax, ("make_probability_model",)),
    "test_accuracy_predictions": (predictions.shape, ("make_probability_model",)),
    "test_plot_image": (plots.image_label, ("plot_image",)),
    "test_plot_value_array": (plots.value_array, ("plot_value_array",)),
}
# the accuracy verdict is JudgeAccuracy's; its points depend on the whole pipeline the student wrote
ACCURACY_DEPENDS_ON = ("preprocess_images", "build_model", "compile_model", "train_model")


def judge_cell(grade_id, handovers, seed, lang="en"):
    """The Verdict of ``grade_id`` from ``handovers`` (a handover.Folder) and the submission's seed."""
    judge, _ = JUDGED_CELLS[grade_id]
    try:
        judge(handovers, ProbeInputs(seed), lang)
    except AssertionError as failure:
        return Verdict.failed(grade_id, str(failure))
    except Exception as error:  # noqa: BLE001 (a malformed hand-over is that cell's failure)
        return Verdict.failed(grade_id, say("probe_malformed", lang, detail=f"{type(error).__name__}: {error}"[:200]))
    return Verdict(grade_id, True)
