"""Each hidden check passes the reference solution and fails a wrong one with a useful message."""

import os
import time

import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import course  # noqa: E402
from course import reference  # noqa: E402
from fashion_mnist_student import probes  # noqa: E402
from probe_judge import checks  # noqa: E402
from autograder.guard import call  # noqa: E402
from autograder.preprocessors import accuracy  # noqa: E402


def fails(check, *args, match, **kwargs):
    with pytest.raises(AssertionError, match=match):
        check(*args, **kwargs)


# --- preprocess_images ---

def test_preprocess_reference_passes():
    for check in (checks.preprocess_images_shape, checks.preprocess_images_range,
                  checks.preprocess_images_input):
        check(reference.preprocess_images)


def test_preprocess_without_scaling_names_the_largest_value():
    fails(checks.preprocess_images_range, lambda images: images.astype(float),
          match=r"\[0, 1\]; the largest was 255.0.*Divide by 255")


def test_preprocess_message_in_chinese():
    fails(checks.preprocess_images_range, lambda images: images.astype(float), lang="zh",
          match="像素值应在 \\[0, 1\\] 之间；最大值是 255.0")


def test_preprocess_returning_integers_fails_dtype():
    fails(checks.preprocess_images_shape, lambda images: images // 255, match="floating-point")


def test_preprocess_that_flattens_fails_shape():
    fails(checks.preprocess_images_shape, lambda images: images.reshape(len(images), -1) / 255.0,
          match="keep the shape")


def test_preprocess_dividing_by_256_fails_the_ends():
    fails(checks.preprocess_images_range, lambda images: images / 256.0, match="255 must become 1.0")


def test_preprocess_in_place_fails_input_check():
    def in_place(images):
        if images.dtype.kind == "f":
            images /= 255.0
            return images
        return images / 255.0
    fails(checks.preprocess_images_input, in_place, match="changed the array")


def test_unwritten_function_says_so():
    def stub(images):
        raise NotImplementedError()
    fails(checks.preprocess_images_shape, stub, match="not written yet")


def test_crashing_function_reports_the_error():
    fails(checks.preprocess_images_shape, lambda images: images / undefined_name,  # noqa: F821
          match="raised NameError")


def test_hanging_function_is_stopped_with_a_message():
    def forever(images):
        while True:
            pass
    start = time.monotonic()
    with pytest.raises(AssertionError, match="did not finish within 1 s"):
        call(forever, 0, lang="en", seconds=1)
    assert time.monotonic() - start < 30


def test_warnings_and_fd2_output_from_student_code_are_silenced(capfd):
    import warnings

    def noisy():
        warnings.warn("input_shape is deprecated", UserWarning)
        os.write(2, b"C++ log line\n")
        return 1
    assert call(noisy) == 1
    assert capfd.readouterr().err == ""


# --- build_model ---

def test_build_reference_passes():
    checks.build_model_output(reference.build_model)
    checks.build_model_layers(reference.build_model)


def test_build_with_input_shape_argument_passes():
    """The tutorial's own Flatten(input_shape=...) gets full marks (its warning is swallowed)."""
    from tensorflow import keras

    def tutorial():
        return keras.Sequential([keras.layers.Flatten(input_shape=(28, 28)),
                                 keras.layers.Dense(128, activation='relu'),
                                 keras.layers.Dense(10)])
    checks.build_model_output(tutorial)
    checks.build_model_layers(tutorial)


def test_build_with_softmax_output_names_from_logits():
    from tensorflow import keras

    def softmax_output():
        return keras.Sequential([keras.Input((28, 28)), keras.layers.Flatten(),
                                 keras.layers.Dense(128, activation='relu'),
                                 keras.layers.Dense(10, activation='softmax')])
    fails(checks.build_model_layers, softmax_output, match="'softmax'.*from_logits=True")


def test_build_without_flatten_fails_output_shape():
    from tensorflow import keras

    def no_flatten():
        return keras.Sequential([keras.Input((28, 28)), keras.layers.Dense(128, activation='relu'),
                                 keras.layers.Dense(10)])
    fails(checks.build_model_output, no_flatten, match=r"\(\d+, 10\); it gave \(\d+, 28, 10\)")


def test_build_with_wrong_width_fails_layers():
    from tensorflow import keras

    def narrow():
        return keras.Sequential([keras.Input((28, 28)), keras.layers.Flatten(),
                                 keras.layers.Dense(64, activation='relu'), keras.layers.Dense(10)])
    fails(checks.build_model_layers, narrow, match="Dense\\(64, relu\\)")


# --- compile_model ---

def _compile_with(**kwargs):
    def compile_model(model):
        model.compile(**kwargs)
        return model
    return compile_model


def test_compile_reference_passes():
    checks.compile_model_optimizer(reference.compile_model)
    checks.compile_model_loss(reference.compile_model)
    checks.compile_model_metrics(reference.compile_model)


def test_compile_adma_typo_is_named():
    wrong = _compile_with(optimizer='adma', loss='sparse_categorical_crossentropy')
    fails(checks.compile_model_optimizer, wrong, match="'adma'.*it is 'adam'")


def test_compile_tf1_optimizer_is_named():
    import tensorflow as tf

    def tf1(model):
        model.compile(optimizer=tf.train.AdamOptimizer(), loss='sparse_categorical_crossentropy')
        return model
    fails(checks.compile_model_optimizer, tf1, match="TensorFlow 1")
    fails(checks.compile_model_optimizer, tf1, lang="zh", match="TensorFlow 1 的接口")


def test_compile_sgd_fails_optimizer():
    fails(checks.compile_model_optimizer, _compile_with(optimizer='sgd', loss='mse'), match="must be Adam")


def test_compile_without_from_logits_fails_loss():
    wrong = _compile_with(optimizer='adam', loss='sparse_categorical_crossentropy', metrics=['accuracy'])
    fails(checks.compile_model_loss, wrong, match="from_logits=True")


def test_compile_categorical_loss_fails():
    wrong = _compile_with(optimizer='adam', loss='categorical_crossentropy')
    fails(checks.compile_model_loss, wrong, match="sparse categorical")


def _softmax_output():
    from tensorflow import keras
    return keras.Sequential([keras.Input((28, 28)), keras.layers.Flatten(),
                             keras.layers.Dense(128, activation='relu'),
                             keras.layers.Dense(10, activation='softmax')])


def test_softmax_output_costs_build_model_points_only():
    """One mistake costs only its own part: compile_model is graded on the reference model."""
    fails(checks.build_model_layers, _softmax_output, match="'softmax'.*from_logits=True")
    checks.compile_model_loss(reference.compile_model)


def test_compile_without_metrics_fails():
    wrong = _compile_with(optimizer='adam',
                          loss=__import__("keras").losses.SparseCategoricalCrossentropy(from_logits=True))
    fails(checks.compile_model_metrics, wrong, match="metrics=\\['accuracy'\\]")


def test_compile_returning_none_fails():
    def no_return(model):
        reference.compile_model(model)
    fails(checks.compile_model_optimizer, no_return, match="return the model")


# --- train_model ---

def test_train_reference_passes():
    checks.train_model_epochs(reference.train_model)
    checks.train_model_loss(reference.train_model)


def test_train_ignoring_epochs_fails():
    fails(checks.train_model_epochs, lambda model, images, labels, epochs=10:
          model.fit(images, labels, epochs=1, verbose=0), match="asked for \\d epochs but trained 1")


def test_train_on_shuffled_labels_does_not_lower_the_loss():
    def wrong(model, images, labels, epochs=10):
        model.optimizer.learning_rate.assign(0.0)
        return model.fit(images, labels, epochs=epochs, verbose=0)
    fails(checks.train_model_loss, wrong, match="did not go down")


def test_train_not_returning_history_fails():
    fails(checks.train_model_epochs, lambda model, images, labels, epochs=10: None, match="History")


# --- make_probability_model ---

def test_probability_reference_passes():
    checks.make_probability_model_softmax(reference.make_probability_model)


def test_probability_without_softmax_fails():
    fails(checks.make_probability_model_softmax, lambda model: model, match="Softmax")


def test_probability_with_doubled_softmax_fails():
    from tensorflow import keras
    doubled = lambda model: keras.Sequential([model, keras.layers.Softmax(), keras.layers.Softmax()])  # noqa: E731
    fails(checks.make_probability_model_softmax, doubled, match="not the softmax of the model's logits")


def test_predictions_shape():
    checks.accuracy_predictions(np.zeros((10000, 10)))
    fails(checks.accuracy_predictions, np.zeros((10000,)), match=r"\(10000, 10\)")


# --- accuracy ---

def test_every_correct_run_is_passed_or_re_checked_and_no_weak_one_passes():
    """calibration.json from the fairness benchmark (autograder/calibrate.py): every measured
    correct run reaches the threshold or lands in the re-checked band below it (never below the
    band), no measurable weak run reaches the threshold, and the benchmark ran its full plan."""
    import json
    from autograder.threshold import CALIBRATION
    calibration = json.loads(CALIBRATION.read_text())
    variants = calibration["variants"]
    assert calibration["benchmark"]["complete"]
    assert all(v["runs"] >= 20 for v in variants if v["correct"] and v["variant"] != "tf_keras_float32")
    assert sum(1 for v in variants if not v["correct"] and v["runs"] >= 10) >= 4
    threshold, band = calibration["threshold"], calibration["borderline_band"]
    assert threshold - band <= min(v["minimum"] for v in variants if v["correct"])
    assert threshold > max(v["maximum"] for v in variants if not v["correct"] and v["measurable"])
    assert all(rate <= calibration["false_fail_target"]
               for name, rate in calibration["two_stage"].items()
               if next(v for v in variants if v["variant"] == name)["correct"])


def _handed_over(model, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    probes.configure(0, tmp_path / probes.FOLDER)
    probes.hand_over_model(model)
    return tmp_path / accuracy.HANDOVER


def test_untrained_model_fails_accuracy(tmp_path, monkeypatch):
    path = _handed_over(reference.build_model(), tmp_path, monkeypatch)
    fails(accuracy.judge_file, path, match="accuracy on the 10,000 test images")


def test_accuracy_rejects_a_non_model(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    probes.configure(0, tmp_path / probes.FOLDER)
    fails(probes.hand_over_model, "model", match="Keras model")
    fails(accuracy.judge_file, tmp_path / accuracy.HANDOVER, match="received no trained model")


def test_accuracy_rejects_another_architecture(tmp_path, monkeypatch):
    from tensorflow import keras
    wide = keras.Sequential([keras.Input((28, 28)), keras.layers.Flatten(), keras.layers.Dense(64),
                             keras.layers.Dense(10)])
    path = _handed_over(wide, tmp_path, monkeypatch)
    fails(accuracy.judge_file, path, lang="zh", match="权重形状")


def _random_weights(seed=1):
    rng = np.random.default_rng(seed)
    return [rng.normal(0, 0.1, shape).astype(np.float32) for shape in reference.WEIGHT_SHAPES]


def test_numpy_forward_pass_is_the_keras_models():
    """The grader measures handed-over weights in NumPy: same logits as build_model()'s predict."""
    model = reference.build_model()
    assert [tuple(w.shape) for w in model.get_weights()] == reference.WEIGHT_SHAPES
    model.set_weights(_random_weights())
    images = reference.scaled_test_set()[0][:500]
    keras_logits = model.predict(images, verbose=0)
    numpy_logits = reference.logits_from_weights(_random_weights(), images)
    np.testing.assert_allclose(numpy_logits, keras_logits, rtol=1e-4, atol=1e-4)
    assert (numpy_logits.argmax(axis=1) == keras_logits.argmax(axis=1)).mean() > 0.99


def test_forward_pass_comparison_can_fail():
    """Without the ReLU (a wrong forward pass) the comparison above would fail."""
    model = reference.build_model()
    model.set_weights(_random_weights())
    images = reference.scaled_test_set()[0][:500]
    kernel1, bias1, kernel2, bias2 = _random_weights()
    linear = (images.reshape(len(images), -1) @ kernel1 + bias1) @ kernel2 + bias2
    with pytest.raises(AssertionError):
        np.testing.assert_allclose(linear, model.predict(images, verbose=0), rtol=1e-4, atol=1e-4)


@pytest.mark.slow
def test_trained_reference_model_passes_accuracy(tmp_path, monkeypatch):
    accuracy.judge_file(_handed_over(reference.trained_model(), tmp_path, monkeypatch))


# --- plots ---

@pytest.fixture(params=["en", "zh"])
def class_names(request):
    course.setup_matplotlib(request.param)
    return _Names(course.class_names(request.param), request.param)


class _Names(list):
    """A notebook's class names, with its language: the grader judges in the notebook's LANG."""
    def __init__(self, names, lang):
        super().__init__(names)
        self.lang = lang


def _plot_image_with(class_names, right="blue", wrong="red", percent="{:2.0f}%", show=True):
    def plot_image(i, predictions_array, true_label, img):
        true_label, img = true_label[i], img[i]
        if show:
            plt.imshow(img, cmap=plt.cm.binary)
        predicted = np.argmax(predictions_array)
        color = right if predicted == true_label else wrong
        plt.xlabel(("{} " + percent + " ({})").format(class_names[predicted],
                                                      100 * np.max(predictions_array),
                                                      class_names[true_label]), color=color)
    return plot_image


def test_plot_image_reference_passes(class_names):
    checks.plot_image_label(_plot_image_with(class_names), class_names, lang=class_names.lang)
    checks.plot_image_label(lambda *a: reference.plot_image(*a, class_names=class_names), class_names,
                            lang=class_names.lang)


def test_plot_image_swapped_colors_fail(class_names):
    fails(checks.plot_image_label, _plot_image_with(class_names, right="red", wrong="blue"),
          class_names, lang=class_names.lang, match="blue|蓝色")


def test_plot_image_raw_fraction_fails(class_names):
    fails(checks.plot_image_label, _plot_image_with(class_names, percent="{:.2f}"), class_names,
          lang=class_names.lang, match="x-label must read|x 轴标签应为")


def test_plot_image_without_image_fails(class_names):
    fails(checks.plot_image_label, _plot_image_with(class_names, show=False), class_names,
          lang=class_names.lang, match="plt.imshow")


def test_plot_image_with_english_names_on_chinese_notebook_fails():
    fails(checks.plot_image_label, _plot_image_with(course.class_names("en")),
          course.class_names("zh"), lang="zh", match="x 轴标签应为")


def test_plot_value_array_reference_passes():
    checks.plot_value_array_bars(reference.plot_value_array)


def _value_array_with(ylim=True, predicted="red", true="blue", bars=10):
    def plot_value_array(i, predictions_array, true_label):
        thisplot = plt.bar(range(bars), predictions_array[:bars], color="#777777")
        if ylim:
            plt.ylim([0, 1])
        thisplot[int(np.argmax(predictions_array))].set_color(predicted)
        thisplot[true_label[i]].set_color(true)
    return plot_value_array


def test_plot_value_array_without_ylim_fails():
    fails(checks.plot_value_array_bars, _value_array_with(ylim=False), match="from 0 to 1")


def test_plot_value_array_swapped_colors_fail():
    fails(checks.plot_value_array_bars, _value_array_with(predicted="blue", true="red"),
          match="must be blue; it is red")


def test_plot_value_array_nine_bars_fail():
    fails(checks.plot_value_array_bars, _value_array_with(bars=9), match="10 bars")
