"""The hidden lines of the graded cells: call the student's function, hand over what came back.

Each probe calls one of the student's functions on inputs drawn from the submission's seed
(probe_inputs.ProbeInputs) and writes what the function returned, as plain data (NumPy arrays
and JSON), to the hand-over folder beside the notebook. No probe takes a verdict: the grader
judges the data in its own process after the notebook ran, from the same seed. So patching this
module, the checks, NumPy or Keras in the kernel changes only what is handed over, and a
hand-over that was not computed by the student's function from these inputs fails.

A probe fails the cell itself only when there is nothing to hand over (the function is not
written, raised, or returned something that is not an array / a model / a History): a failure in
the kernel can only cost points, never earn them.
"""

import json
import os
from pathlib import Path

import numpy as np

from .checks import built, compiled, preprocessed, trained_history
from .examples import fresh_model, training_images
from .guard import call
from .probe_inputs import TRAIN_EPOCHS, ProbeInputs

FOLDER = "probe_handover"          # beside the notebook, unless configure() says otherwise
JSON_LIMIT = 256 * 1024            # the grader reads at most this much JSON per cell
PROBE_LEARNING_RATE = 0.1          # plain SGD on the epochs probe, so the grader can replay it
PROBE_BATCH = 8                    # fewer images than any batch size: one step per epoch

_settings = {"seed": 0, "folder": FOLDER}


def configure(seed, folder=FOLDER):
    """Called by the grader before the notebook's first cell."""
    _settings.update(seed=int(seed), folder=str(folder))


def _inputs():
    return ProbeInputs(_settings["seed"])


def _numeric(value):
    """``value`` as an array the grader can load without pickle (non-numbers become empty)."""
    array = np.asarray(value)
    if array.dtype.kind not in "biuf":
        return np.zeros(0)
    return array


def _jsonable(value):
    return json.loads(json.dumps(value, default=lambda v: repr(v)[:200]))


def hand_over(grade_id, data=None, **arrays):
    """Write ``data`` (JSON) and ``arrays`` for the grade cell ``grade_id``."""
    folder = Path(_settings["folder"])
    folder.mkdir(parents=True, exist_ok=True)
    text = json.dumps(_jsonable(data or {}))[:JSON_LIMIT]
    partial = folder / f".{grade_id}.partial"
    np.savez(f"{partial}.npz", **{name: _numeric(value) for name, value in arrays.items()})
    os.replace(f"{partial}.npz", folder / f"{grade_id}.npz")
    (folder / f"{grade_id}.json").write_text(text, encoding="utf-8")


def _seeded_model(part, compiled_as=None):
    model = fresh_model()
    if compiled_as is not None:
        model.compile(**compiled_as)
    model.set_weights(_inputs().weights(part))
    return model


def _weights(model, name):
    return {f"{name}{k}": np.asarray(w) for k, w in enumerate(call(model.get_weights, name="get_weights"))}


# --- preprocess_images -------------------------------------------------------------------------

def preprocess_images_shape(preprocess_images, lang="en"):
    results = [preprocessed(preprocess_images, images, lang) for images in _inputs().preprocess_shape_inputs()]
    hand_over("test_preprocess_images_shape", {"dtypes": [str(r.dtype) for r in results]},
              **{f"result{k}": r for k, r in enumerate(results)})


def preprocess_images_range(preprocess_images, lang="en"):
    result = preprocessed(preprocess_images, _inputs().preprocess_range_input(), lang)
    hand_over("test_preprocess_images_range", {"dtype": str(result.dtype)}, result=result)


def preprocess_images_input(preprocess_images, lang="en"):
    given = _inputs().preprocess_input_inputs()
    for images in given:
        preprocessed(preprocess_images, images, lang)
    hand_over("test_preprocess_images_input", {}, **{f"after{k}": images for k, images in enumerate(given)})


# --- build_model -------------------------------------------------------------------------------

def _layers(model):
    import keras
    described = []
    for layer in model.layers:
        if isinstance(layer, keras.layers.InputLayer):
            continue
        activation = getattr(getattr(layer, "activation", None), "__name__", None)
        described.append({"class": type(layer).__name__, "units": getattr(layer, "units", None),
                          "activation": activation,
                          "weights": [list(np.shape(w)) for w in layer.get_weights()]})
    return described


def build_model_output(build_model, lang="en"):
    model = built(build_model, lang)
    output = call(model, _inputs().scaled_batch("model_output"), name="model", lang=lang)
    hand_over("test_build_model_output", {}, output=np.asarray(output))


def build_model_layers(build_model, lang="en"):
    model = built(build_model, lang)
    output = call(model, _inputs().scaled_batch("model_layers"), name="model", lang=lang)
    hand_over("test_build_model_layers", {"layers": _layers(model)}, output=np.asarray(output),
              **_weights(model, "w"))


# --- compile_model -----------------------------------------------------------------------------

_compiled_once = {}  # the three compile cells probe the same function: train its step once


def _compile_probe(grade_id, compile_model, lang):
    key = (id(compile_model), _settings["seed"], lang)
    if key not in _compiled_once:
        _compiled_once.clear()
        _compiled_once[key] = (compile_model, _compile_run(compile_model, lang))  # holds the id
    data, arrays = _compiled_once[key][1]
    hand_over(grade_id, data, **arrays)


def _compile_run(compile_model, lang):
    inputs = _inputs()
    model = _seeded_model("compile")
    result = compiled(compile_model, model, lang)
    images = inputs.scaled_batch("compile", 32, 65)
    labels = inputs.labels("compile", len(images))
    before = _weights(result, "before")
    data, after = {}, {}
    try:  # a loss that cannot run costs the loss's points; the judges say which
        logs = call(result.evaluate, images, labels, batch_size=len(images), return_dict=True, verbose=0,
                    name="model.evaluate", lang=lang)
        data["logs"] = {str(k): float(np.asarray(v)) for k, v in dict(logs or {}).items() if np.asarray(v).size == 1}
    except AssertionError as failure:
        data["evaluate_error"] = str(failure)
    try:
        call(result.train_on_batch, images, labels, name="model.train_on_batch", lang=lang)
        after = _weights(result, "after")
    except AssertionError as failure:
        data["train_error"] = str(failure)
    optimizer = getattr(result, "optimizer", None)
    try:
        optimizer_config = optimizer.get_config()
    except Exception:  # noqa: BLE001 (reported as no configuration)
        optimizer_config = {}
    try:
        compile_config = result.get_compile_config()
    except Exception:  # noqa: BLE001
        compile_config = {}
    data.update(optimizer=type(optimizer).__name__, optimizer_config=optimizer_config,
                compile_config=compile_config)
    return data, {**before, **after}


def compile_model_optimizer(compile_model, lang="en"):
    _compile_probe("test_compile_model_optimizer", compile_model, lang)


def compile_model_loss(compile_model, lang="en"):
    _compile_probe("test_compile_model_loss", compile_model, lang)


def compile_model_metrics(compile_model, lang="en"):
    _compile_probe("test_compile_model_metrics", compile_model, lang)


# --- train_model -------------------------------------------------------------------------------

def train_model_epochs(train_model, lang="en"):
    """Two runs from the same seeded weights with plain SGD on a batch smaller than any batch
    size, so each epoch is one step the grader can replay in NumPy."""
    import keras
    inputs = _inputs()
    images = inputs.scaled_batch("epochs", PROBE_BATCH, PROBE_BATCH + 1)
    labels = inputs.labels("epochs", len(images))
    model = _seeded_model("epochs", dict(
        optimizer=keras.optimizers.SGD(learning_rate=PROBE_LEARNING_RATE),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"]))
    start = model.get_weights()
    arrays, lengths = {}, []
    for run, epochs in enumerate(inputs.epochs):
        model.set_weights(start)
        history = trained_history(train_model, model, images, labels, epochs, lang)
        lengths.append(len(history.history.get("loss", [])))
        arrays.update(_weights(model, f"run{run}_"))
    hand_over("test_train_model_epochs", {"lengths": lengths}, **arrays)


def train_model_loss(train_model, lang="en"):
    inputs = _inputs()
    images, labels = training_images(inputs.train_indices())
    model = fresh_model(compiled=True)
    model.set_weights(inputs.weights("train_loss"))
    call(train_model, model, images, labels, epochs=TRAIN_EPOCHS, name="train_model", lang=lang)
    hand_over("test_train_model_loss", {}, **_weights(model, "after"))


# --- make_probability_model --------------------------------------------------------------------

def make_probability_model_softmax(make_probability_model, lang="en"):
    model = _seeded_model("probability")
    images = _inputs().scaled_batch("probability", 16, 33, spread=8.0)  # spread the logits
    probability_model = call(make_probability_model, model, name="make_probability_model", lang=lang)
    predict = getattr(probability_model, "predict", None)
    result = call(predict, images, verbose=0, name="probability_model.predict", lang=lang)
    hand_over("test_make_probability_model_softmax", {}, probabilities=np.asarray(result))


# --- the trained model -------------------------------------------------------------------------

def accuracy_predictions(predictions, lang="en"):
    hand_over("test_accuracy_predictions", {"shape": list(np.shape(predictions))},
              predictions=np.asarray(predictions, dtype=np.float32) if np.size(predictions) <= 200_000
              else np.zeros(0))


def hand_over_model(model, lang="en"):
    """The trained weights, for the accuracy verdict."""
    import keras

    from .messages import say
    assert isinstance(model, keras.Model), say("model_type", lang, kind=type(model).__name__)
    hand_over("test_accuracy_threshold", {}, **_weights(model, "w"))


# --- plot helpers ------------------------------------------------------------------------------

def _colour(value):
    from matplotlib.colors import to_rgba
    try:
        return list(to_rgba(value))
    except (ValueError, TypeError):
        return None


def plot_image_label(plot_image, class_names=None, lang="en"):
    import matplotlib.pyplot as plt
    predictions, true_labels, images = _inputs().plot_fixture
    drawn, arrays = [], {}
    for i in (0, 1):
        figure = plt.figure()
        figure.add_subplot(1, 1, 1)
        try:
            call(plot_image, i, predictions[i], true_labels, images, name="plot_image", lang=lang)
            axes = plt.gca()
            label = axes.xaxis.label
            drawn.append({"images": len(axes.images), "label": label.get_text(),
                          "label_colour": _colour(label.get_color())})
            if axes.images:
                arrays[f"image{i}"] = np.ma.getdata(axes.images[-1].get_array())
        finally:
            plt.close(figure)
    hand_over("test_plot_image", {"drawn": drawn}, **arrays)


def plot_value_array_bars(plot_value_array, lang="en"):
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle
    predictions, true_labels, _ = _inputs().plot_fixture
    drawn = []
    for i in (0, 1):
        figure = plt.figure()
        figure.add_subplot(1, 1, 1)
        try:
            call(plot_value_array, i, predictions[i], true_labels, name="plot_value_array", lang=lang)
            axes = plt.gca()
            bars = [{"x": float(p.get_x()), "height": float(p.get_height()),
                     "colour": _colour(p.get_facecolor())}
                    for p in axes.patches if isinstance(p, Rectangle)]
            drawn.append({"bars": bars, "ylim": [float(v) for v in axes.get_ylim()]})
        finally:
            plt.close(figure)
    hand_over("test_plot_value_array", {"drawn": drawn})
