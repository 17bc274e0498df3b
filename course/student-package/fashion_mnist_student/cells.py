"""The graded cells of the Fashion-MNIST notebook: grade id, part, the student's functions its
points depend on, the probe its hidden lines call, and its points. The one table of them.

It lives here, in the student package, because the probes (which run in the student's kernel and
must know nothing of the grader) hand over under these grade ids; the grader's side imports it
(its judges add a judge to each probed cell and refuse to start when the two disagree; its class
report groups by the parts). Nothing here is secret: every id and point is in the student's own
notebook, and a course test keeps this table equal to the solution notebooks' grade cells.
"""

from dataclasses import dataclass

ACCURACY_ID = "test_accuracy_threshold"   # the trained model's accuracy: JudgeAccuracy's verdict


@dataclass(frozen=True)
class GradeCell:
    grade_id: str
    part: str          # the part of the notebook it grades (the class report groups by it)
    functions: tuple   # the student's functions its points depend on
    probe: str         # the function of fashion_mnist_student.probes its hidden lines call
    points: int


_PIPELINE = ("preprocess_images", "build_model", "compile_model", "train_model")

CELLS = (
    GradeCell("test_preprocess_images_shape", "preprocess_images", ("preprocess_images",), "preprocess_images_shape", 1),
    GradeCell("test_preprocess_images_range", "preprocess_images", ("preprocess_images",), "preprocess_images_range", 2),
    GradeCell("test_preprocess_images_input", "preprocess_images", ("preprocess_images",), "preprocess_images_input", 1),
    GradeCell("test_build_model_output", "build_model", ("build_model",), "build_model_output", 2),
    GradeCell("test_build_model_layers", "build_model", ("build_model",), "build_model_layers", 2),
    GradeCell("test_compile_model_optimizer", "compile_model", ("compile_model",), "compile_model_optimizer", 1),
    GradeCell("test_compile_model_loss", "compile_model", ("compile_model",), "compile_model_loss", 2),
    GradeCell("test_compile_model_metrics", "compile_model", ("compile_model",), "compile_model_metrics", 1),
    GradeCell("test_train_model_epochs", "train_model", ("train_model",), "train_model_epochs", 1),
    GradeCell("test_train_model_loss", "train_model", ("train_model",), "train_model_loss", 1),
    GradeCell("test_make_probability_model_softmax", "make_probability_model", ("make_probability_model",),
              "make_probability_model_softmax", 2),
    GradeCell("test_accuracy_predictions", "accuracy", ("make_probability_model",), "accuracy_predictions", 1),
    GradeCell(ACCURACY_ID, "accuracy", _PIPELINE, "hand_over_model", 3),
    GradeCell("test_plot_image", "plot_image", ("plot_image",), "plot_image_label", 2),
    GradeCell("test_plot_value_array", "plot_value_array", ("plot_value_array",), "plot_value_array_bars", 2),
)
BY_ID = {cell.grade_id: cell for cell in CELLS}
BY_PROBE = {cell.probe: cell for cell in CELLS}
