"""The hidden checks, one function per graded cell, each usable from nbgrader or pytest.

Every check builds its own fixtures (a reference model from ``course.reference``, synthetic
predictions for the plots), so a broken part costs its own points, not its neighbours'. A failed
check raises AssertionError with a message in the notebook's language (``lang``).

What the notebook's visible quick checks do too (call the function, check what it returns, the
hints for known mistakes) and their example inputs come from the student package
(fashion_mnist_student.checks and .examples), so both explain a mistake the same way. This module
is never given to students.
"""

import json
from pathlib import Path

import numpy as np

from course import reference
from fashion_mnist_student.checks import (built, compiled, linear_output, output_shape,
                                          preprocessed, trained_history)
from fashion_mnist_student.checks import probabilities as predicted_probabilities
from fashion_mnist_student.examples import example_data, example_images, plot_fixture
from fashion_mnist_student.guard import call
from .messages import say, word

CALIBRATION = Path(__file__).with_name("calibration.json")



def _kind(value):
    return type(value).__name__


# --- preprocess_images -------------------------------------------------------------------------

def preprocess_images_shape(preprocess_images, lang="en"):
    for shape in [(64, 28, 28), (1, 28, 28), (28, 28)]:
        images = example_images()[: shape[0]].reshape(shape) if len(shape) == 3 else example_images()[0]
        result = preprocessed(preprocess_images, images, lang)
        assert result.shape == images.shape, say("pre_shape", lang, given=images.shape, got=result.shape)
        assert np.issubdtype(result.dtype, np.floating), say("pre_float", lang, dtype=result.dtype)


def preprocess_images_range(preprocess_images, lang="en"):
    images = example_images()
    result = preprocessed(preprocess_images, images, lang).astype(np.float64)
    assert result.min() >= 0 and result.max() <= 1, say(
        "pre_range", lang, high=round(float(result.max()), 3), low=round(float(result.min()), 3))
    one, zero = float(result[0, 0, 1]), float(result[0, 0, 0])
    assert abs(one - 1) < 1e-6 and abs(zero) < 1e-6, say("pre_ends", lang, one=one, zero=zero)
    np.testing.assert_allclose(result, images / 255.0, atol=1e-6,
                               err_msg=say("pre_ends", lang, one=one, zero=zero))


def preprocess_images_input(preprocess_images, lang="en"):
    for dtype in (np.uint8, np.float64):
        images = example_images().astype(dtype)
        before = images.copy()
        preprocessed(preprocess_images, images, lang)
        assert np.array_equal(images, before), say("pre_mutates", lang)


# --- build_model -------------------------------------------------------------------------------

def build_model_output(build_model, lang="en"):
    model = built(build_model, lang)
    images = reference.preprocess_images(example_images(5)).astype("float32")
    output_shape(model, images, lang)


def _describe(layer):
    activation = getattr(getattr(layer, "activation", None), "__name__", None)
    units = getattr(layer, "units", None)
    inside = ", ".join(str(x) for x in (units, activation) if x is not None)
    return f"{type(layer).__name__}({inside})" if inside else type(layer).__name__


def build_model_layers(build_model, lang="en"):
    model = built(build_model, lang)
    layers = linear_output(model, lang)
    found = " -> ".join(_describe(layer) for layer in layers) or "[]"
    expected = ["Flatten", "Dense(128, relu)", "Dense(10, linear)"]
    assert [_describe(layer) for layer in layers] == expected, say("model_layers", lang, found=found)


# --- compile_model -----------------------------------------------------------------------------

def _compiled(compile_model, lang):
    return compiled(compile_model, reference.build_model(), lang)


def compile_model_optimizer(compile_model, lang="en"):
    import keras
    model = _compiled(compile_model, lang)
    assert isinstance(model.optimizer, keras.optimizers.Adam), say(
        "compile_optimizer", lang, found=_kind(model.optimizer))


def compile_model_loss(compile_model, lang="en"):
    """Graded on the reference model: a build_model mistake (say a softmax output) costs only
    build_model's points, not these."""
    model = _compiled(compile_model, lang)
    config = model.get_compile_config().get("loss")
    if isinstance(config, dict):
        name, from_logits = config.get("class_name"), config.get("config", {}).get("from_logits", False)
    else:
        name, from_logits = str(config), False
    assert name in ("SparseCategoricalCrossentropy", "sparse_categorical_crossentropy"), say(
        "compile_loss", lang, found=name)
    assert from_logits, say("compile_logits", lang)


def compile_model_metrics(compile_model, lang="en"):
    model = _compiled(compile_model, lang)
    metrics = model.get_compile_config().get("metrics") or []
    names = [m if isinstance(m, str) else m.get("class_name", "") if isinstance(m, dict) else _kind(m)
             for m in metrics]
    accepted = {"accuracy", "acc", "sparse_categorical_accuracy", "SparseCategoricalAccuracy"}
    assert accepted & set(names), say("compile_metrics", lang, found=names)


# --- train_model -------------------------------------------------------------------------------

def train_model_epochs(train_model, lang="en"):
    import keras
    keras.utils.set_random_seed(1)
    model = reference.compile_model(reference.build_model())
    images, labels = example_data(256)
    for epochs in (2, 3):  # one model for both: Keras builds its training step once (~0.5 s)
        history = trained_history(train_model, model, images, labels, epochs, lang)
        got = len(history.history.get("loss", []))
        assert got == epochs, say("train_epochs", lang, want=epochs, got=got)


def train_model_loss(train_model, lang="en"):
    import keras
    keras.utils.set_random_seed(1)
    model = reference.compile_model(reference.build_model())
    images, labels = example_data(2048)
    first = model.evaluate(images, labels, verbose=0)[0]
    call(train_model, model, images, labels, epochs=3, name="train_model", lang=lang)
    last = model.evaluate(images, labels, verbose=0)[0]
    assert last < first, say("train_loss", lang, first=first, last=last)


# --- make_probability_model --------------------------------------------------------------------

def make_probability_model_softmax(make_probability_model, lang="en"):
    import keras
    keras.utils.set_random_seed(2)
    model = reference.build_model()
    images = reference.preprocess_images(example_images(32)).astype("float32") * 8  # spread logits
    probabilities = predicted_probabilities(make_probability_model, model, images, lang)
    low, high = float(probabilities.min()), float(probabilities.max())
    assert low >= 0 and high <= 1 + 1e-6, say("prob_range", lang, low=low, high=high)
    sums = probabilities.sum(axis=1)
    worst = float(sums[np.argmax(np.abs(sums - 1))])
    assert np.all(np.abs(sums - 1) < 1e-5), say("prob_sum", lang, total=worst)
    logits = np.asarray(model.predict(images, verbose=0), dtype=np.float64)
    expected = np.exp(logits - logits.max(axis=1, keepdims=True))
    expected /= expected.sum(axis=1, keepdims=True)
    diff = float(np.abs(probabilities - expected).max())
    assert diff < 1e-4, say("prob_softmax", lang, diff=diff)


# --- the trained model, end to end -------------------------------------------------------------

def threshold():
    return json.loads(CALIBRATION.read_text())["threshold"]


def accuracy_predictions(predictions, lang="en"):
    got = np.shape(predictions)
    assert got == (10000, 10), say("predictions_shape", lang, got=got)


def hand_over_model(model, lang="en"):
    """Write the trained weights where the grader looks; the verdict is taken outside the kernel
    (autograder.preprocessors.accuracy), so nothing patched in here can change it."""
    import os

    import keras

    from .handover import HANDOVER
    assert isinstance(model, keras.Model), say("model_type", lang, kind=_kind(model))
    weights = call(model.get_weights, name="model.get_weights", lang=lang)
    partial = HANDOVER + ".partial.npz"
    np.savez(partial, **{f"w{i}": np.asarray(w) for i, w in enumerate(weights)})
    os.replace(partial, HANDOVER)


# --- plot helpers ------------------------------------------------------------------------------

def _fresh_axes():
    import matplotlib.pyplot as plt
    figure = plt.figure()
    return figure, figure.add_subplot(1, 1, 1)


def _color_name(color):
    from matplotlib.colors import to_rgb
    for name in ("blue", "red"):
        if np.allclose(to_rgb(color), to_rgb(name)):
            return name
    return str(color)


def plot_image_label(plot_image, class_names, lang="en"):
    import matplotlib.pyplot as plt
    predictions, true_labels, images = plot_fixture()  # right, wrong, right
    for i, verdict, colour in [(0, "right", "blue"), (1, "wrong", "red")]:
        figure, axes = _fresh_axes()
        try:
            call(plot_image, i, predictions[i], true_labels, images, name="plot_image", lang=lang)
            axes = plt.gca()
            assert axes.images, say("plot_no_image", lang)
            shown = np.asarray(axes.images[-1].get_array())
            assert shown.shape == images[i].shape and np.allclose(shown, images[i]), say("plot_wrong_image", lang)
            predicted = int(np.argmax(predictions[i]))
            want = f"{class_names[predicted]} 87% ({class_names[true_labels[i]]})"
            got = axes.xaxis.label.get_text()
            assert " ".join(got.split()) == want, say("plot_label", lang, want=want, got=got)
            got_colour = _color_name(axes.xaxis.label.get_color())
            assert got_colour == colour, say("plot_label_color", lang, want=word(colour, lang),
                                             verdict=word(verdict, lang), got=got_colour)
        finally:
            plt.close(figure)


def plot_value_array_bars(plot_value_array, lang="en"):
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle
    predictions, true_labels, _ = plot_fixture()
    for i in (0, 1):
        figure, axes = _fresh_axes()
        try:
            call(plot_value_array, i, predictions[i], true_labels, name="plot_value_array", lang=lang)
            axes = plt.gca()
            bars = [p for p in axes.patches if isinstance(p, Rectangle)]
            assert len(bars) == 10, say("bars_count", lang, got=len(bars))
            bars.sort(key=lambda bar: bar.get_x())
            heights = [bar.get_height() for bar in bars]
            assert np.allclose(heights, predictions[i]), say("bars_heights", lang)
            low, high = axes.get_ylim()
            assert (low, high) == (0, 1), say("bars_ylim", lang, low=low, high=high)
            predicted, true = int(np.argmax(predictions[i])), int(true_labels[i])
            for which, label, colour in [("predicted", predicted, "red"), ("true", true, "blue")]:
                if which == "predicted" and predicted == true:
                    continue  # the true colour is drawn last and wins
                got = _color_name(bars[label].get_facecolor())
                assert got == colour, say("bars_color", lang, which=word(which, lang), label=label,
                                          want=word(colour, lang), got=got)
        finally:
            plt.close(figure)
