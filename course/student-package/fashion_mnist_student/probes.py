"""The hidden lines of the graded cells: call the student's function, hand over what came back.

Each probe calls one of the student's functions on inputs drawn from the submission's seed
(probe_inputs.ProbeInputs) and writes what the function returned, as plain data (NumPy arrays
and JSON), to the hand-over folder beside the notebook. No probe takes a verdict: the grader
judges the data in its own process after the notebook ran, from the same seed. So patching this
module, the checks, NumPy or Keras in the kernel changes only what is handed over, and a
hand-over that was not computed by the student's function from these inputs fails.

A probe fails the cell itself only when there is nothing to hand over (the function is not
written, raised, or returned something that is not an array / a model / a History) or too much
(more than ARRAYS_LIMIT bytes, refused before anything is copied or written): a failure in the
kernel can only cost points, never earn them. The models the probes give the student's functions
are probe models (examples.fresh_model), not the lesson's, and the grade ids are the table's
(cells.py).
"""

import json
import os
from pathlib import Path

import numpy as np

from .cells import BY_PROBE
from .checks import built, compiled, model_names, once_per_function, preprocessed, trained_history
from .examples import fresh_model, training_images
from .guard import call
from .messages import say
from .probe_inputs import PROBE_LEARNING_RATE, TRAIN_EPOCHS, ProbeInputs  # noqa: F401 (the judges')

FOLDER = "probe_handover"          # beside the notebook, unless configure() says otherwise
JSON_LIMIT = 256 * 1024            # the grader reads at most this much JSON per cell
ARRAYS_LIMIT = 64 * 1024 ** 2      # bytes of all arrays of one cell: the grader reads no more
PROBE_BATCH = 8                    # fewer images than any batch size: one step per epoch

_settings = {"seed": 0, "folder": FOLDER}


def configure(seed, folder=FOLDER):
    """Called by the grader before the notebook's first cell."""
    _settings.update(seed=int(seed), folder=str(folder))


def _inputs():
    return ProbeInputs(_settings["seed"])


def _numeric(value):
    """``value`` as a view the grader can load without pickle (non-numbers become empty); nothing
    is copied yet (a np.broadcast_to view of any size costs nothing here)."""
    array = np.asarray(value)
    if array.dtype.kind not in "biuf" or array.dtype.fields is not None:
        return np.zeros(0)
    return array


def _jsonable(value):
    return json.loads(json.dumps(value, default=lambda v: repr(v)[:200]))


def _id(probe):
    """The grade id whose hidden lines call ``probe`` (fashion_mnist_student.cells)."""
    return BY_PROBE[probe].grade_id


def hand_over(grade_id, data=None, lang="en", **arrays):
    """Write ``data`` (JSON) and ``arrays`` for the grade cell ``grade_id``: copies of the arrays,
    refused (the cell fails in the kernel, which only costs points) above ARRAYS_LIMIT."""
    views = {name: _numeric(value) for name, value in arrays.items()}
    size = sum(int(view.size) * view.dtype.itemsize for view in views.values())
    if size > ARRAYS_LIMIT:  # before a byte is copied or written: a huge view is refused here
        raise AssertionError(say("handover_too_large", lang, size=size, limit=ARRAYS_LIMIT))
    folder = Path(_settings["folder"])
    folder.mkdir(parents=True, exist_ok=True)
    text = json.dumps(_jsonable(data or {}))[:JSON_LIMIT]
    partial = folder / f".{grade_id}.partial"
    np.savez(f"{partial}.npz", **{name: np.ascontiguousarray(view) for name, view in views.items()})
    os.replace(f"{partial}.npz", folder / f"{grade_id}.npz")
    (folder / f"{grade_id}.json").write_text(text, encoding="utf-8")


def _seeded_model(part, compiled=False, eager=False):
    """The probe model (examples.fresh_model: not the lesson's) with the seeded weights of ``part``."""
    model = fresh_model(compiled=compiled, eager=eager)
    model.set_weights(_inputs().weights(part))
    return model


def _weights(model, name):
    return {f"{name}{k}": np.asarray(w) for k, w in enumerate(call(model.get_weights, name="get_weights"))}


# --- preprocess_images -------------------------------------------------------------------------

def preprocess_images_shape(preprocess_images, lang="en"):
    results = [preprocessed(preprocess_images, images, lang) for images in _inputs().preprocess_shape_inputs()]
    hand_over(_id("preprocess_images_shape"), lang=lang, data={"dtypes": [str(r.dtype) for r in results]},
              **{f"result{k}": r for k, r in enumerate(results)})


def preprocess_images_range(preprocess_images, lang="en"):
    result = preprocessed(preprocess_images, _inputs().preprocess_range_input(), lang)
    hand_over(_id("preprocess_images_range"), lang=lang, data={"dtype": str(result.dtype)}, result=result)


def preprocess_images_input(preprocess_images, lang="en"):
    given = _inputs().preprocess_input_inputs()
    for images in given:
        preprocessed(preprocess_images, images, lang)
    hand_over(_id("preprocess_images_input"), lang=lang, data={}, **{f"after{k}": images for k, images in enumerate(given)})


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
    shapes = [[int(n) for n in np.shape(w)] for w in model.get_weights()[:16]]
    hand_over(_id("build_model_output"), lang=lang, data={"names": model_names(model), "weight_shapes": shapes},
              output=np.asarray(output))


def build_model_layers(build_model, lang="en"):
    model = built(build_model, lang)
    output = call(model, _inputs().scaled_batch("model_layers"), name="model", lang=lang)
    hand_over(_id("build_model_layers"), lang=lang, data={"layers": _layers(model), "names": model_names(model)},
              output=np.asarray(output), **_weights(model, "w"))


# --- compile_model -----------------------------------------------------------------------------

_compiled_once = {}  # the three compile cells probe the same function: train its step once


def _compile_probe(grade_id, compile_model, lang):
    data, arrays = once_per_function(_compiled_once, compile_model, (_settings["seed"], lang),
                                     lambda: _compile_run(compile_model, lang))
    hand_over(grade_id, lang=lang, data=data, **arrays)


def _run_eagerly(model):
    """One evaluation and one step: without tracing a graph for them (about 0.4 s saved). The
    numbers are the same; a model whose compile_model asked for XLA keeps it."""
    try:
        if not getattr(model, "jit_compile", False):
            model.run_eagerly = True
    except Exception:  # noqa: BLE001 (not a Keras model's attribute: it runs as it is)
        pass


def _compile_run(compile_model, lang):
    inputs = _inputs()
    model = _seeded_model("compile")
    result = compiled(compile_model, model, lang)
    _run_eagerly(result)
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
    _compile_probe(_id("compile_model_optimizer"), compile_model, lang)


def compile_model_loss(compile_model, lang="en"):
    _compile_probe(_id("compile_model_loss"), compile_model, lang)


def compile_model_metrics(compile_model, lang="en"):
    _compile_probe(_id("compile_model_metrics"), compile_model, lang)


# --- train_model -------------------------------------------------------------------------------

def train_model_epochs(train_model, lang="en"):
    """Two runs from the same seeded weights with plain SGD on a batch smaller than any batch
    size, so each epoch is one step the grader can replay in NumPy."""
    inputs = _inputs()
    images = inputs.scaled_batch("epochs", PROBE_BATCH, PROBE_BATCH + 1)
    labels = inputs.labels("epochs", len(images))
    model = _seeded_model("epochs", compiled=True, eager=True)   # a few single steps: no graph
    start = model.get_weights()
    arrays, lengths = {}, []
    for run, epochs in enumerate(inputs.epochs):
        model.set_weights(start)
        history = trained_history(train_model, model, images, labels, epochs, lang)
        lengths.append(len(history.history.get("loss", [])))
        arrays.update(_weights(model, f"run{run}_"))
    hand_over(_id("train_model_epochs"), lang=lang, data={"lengths": lengths}, **arrays)


def train_model_loss(train_model, lang="en"):
    inputs = _inputs()
    images, labels = training_images(inputs.train_indices())
    model = _seeded_model("train_loss", compiled=True)
    call(train_model, model, images, labels, epochs=TRAIN_EPOCHS, name="train_model", lang=lang)
    hand_over(_id("train_model_loss"), lang=lang, data={}, **_weights(model, "after"))


# --- make_probability_model --------------------------------------------------------------------

def make_probability_model_softmax(make_probability_model, lang="en"):
    """The probabilities of the returned model, and what the given model computes afterwards
    (it must be left as it was: a new model is returned)."""
    model = _seeded_model("probability")
    images = _inputs().scaled_batch("probability", 16, 33, spread=8.0)  # spread the logits
    probability_model = call(make_probability_model, model, name="make_probability_model", lang=lang)
    predict = getattr(probability_model, "predict", None)
    result = call(predict, images, verbose=0, name="probability_model.predict", lang=lang)
    given_after = call(model, images, name="model", lang=lang)
    hand_over(_id("make_probability_model_softmax"), lang=lang, data={"same_model": probability_model is model},
              probabilities=np.asarray(result), given_after=np.asarray(given_after))


# --- the trained model -------------------------------------------------------------------------

def accuracy_predictions(predictions, lang="en"):
    hand_over(_id("accuracy_predictions"), lang=lang, data={"shape": list(np.shape(predictions))},
              predictions=np.asarray(predictions, dtype=np.float32) if np.size(predictions) <= 200_000
              else np.zeros(0))


def hand_over_model(model, lang="en"):
    """The trained weights, for the accuracy verdict."""
    import keras

    from .messages import say
    assert isinstance(model, keras.Model), say("model_type", lang, kind=type(model).__name__)
    hand_over(_id("hand_over_model"), lang=lang, data={}, **_weights(model, "w"))


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
    hand_over(_id("plot_image_label"), lang=lang, data={"drawn": drawn}, **arrays)


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
    hand_over(_id("plot_value_array_bars"), lang=lang, data={"drawn": drawn})
