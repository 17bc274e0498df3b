"""The quick checks of the notebook's visible test cells.

Each ``quick_...`` runs the student's function on small examples, shows nothing when it works, and
otherwise raises CheckFailed whose first line says what to fix, in the notebook's language, with
the hints the grader gives for the same mistakes. The grader runs more checks, hidden, of the same
kind: they call the functions above the quick checks too, so a mistake is explained the same way
in the notebook and in the feedback. A quick check asks no more than the hidden checks of its cell
(a failed cell scores 0): so a model with a softmax output fails test_build_model_layers only.

The model the checks give compile_model, train_model and make_probability_model is the probe model
(examples.fresh_model: 28x28 images through Flatten into Dense(96, relu), compiled with plain SGD),
not the lesson's: nothing in this package builds the answer, and a check of one part never depends
on the others. A build_model that returns it fails (not_the_probe_model).

When the course grades a notebook, each test cell's hidden lines call the probes
(fashion_mnist_student.probes), which hand what the functions return to the grader; this package
takes no verdict of the grader's and knows nothing of it.
"""

import json
from pathlib import Path

import numpy as np

from .examples import example_data, example_images, fresh_model, plot_example
from .guard import call
from .messages import ReadableError, say
from .probe_inputs import is_probe_model

THRESHOLD_FILE = Path(__file__).with_name("threshold.json")  # python -m autograder.threshold


class CheckFailed(ReadableError, AssertionError):
    """A quick check failed; Jupyter shows only the message."""


def _kind(value):
    return type(value).__name__


# --- what the quick checks and the hidden checks share -----------------------------------------

def explain_compile(lang):
    """For guard.call(explain=...): the hint for a known mistake in compile_model, or None."""
    def explain(error):
        text = str(error)
        if "AdamOptimizer" in text:
            return say("compile_tf1", lang)
        if "Could not interpret optimizer identifier" in text:
            spelled = text.rsplit(":", 1)[-1].strip()
            return say("compile_adma", lang, spelled=spelled)
        return None
    return explain


def preprocessed(preprocess_images, images, lang="en"):
    result = call(preprocess_images, images, name="preprocess_images", lang=lang)
    assert isinstance(result, np.ndarray), say("pre_not_array", lang, kind=_kind(result))
    return result


def built(build_model, lang="en"):
    import keras
    model = call(build_model, name="build_model", lang=lang)
    assert isinstance(model, keras.Model), say("model_type", lang, kind=_kind(model))
    return model


NAMES_LIMIT = 64  # names model_names reads at most (a model's own, then its layers', nested ones too)


def model_names(model, limit=NAMES_LIMIT):
    """The model's name and its layers' names, nested models' layers too, at most ``limit``."""
    names, todo = [], [model]
    while todo and len(names) < limit:
        layer = todo.pop(0)
        names.append(str(getattr(layer, "name", ""))[:200])
        todo.extend(list(getattr(layer, "layers", None) or [])[:limit])
    return names


def not_the_probe_model(model, lang="en"):
    """build_model must build a model, not return (or wrap) the checks' probe model."""
    assert not is_probe_model(model_names(model)), say("model_is_probe", lang)


def output_shape(model, images, lang="en"):
    """The model's output for ``images`` must be one row of 10 scores per image."""
    output = call(model, images, name="model", lang=lang)
    got, want = tuple(np.shape(output)), (len(images), 10)
    assert got == want, say("model_output", lang, given=images.shape, want=want, got=got)


def linear_output(model, lang="en"):
    """The last Dense layer must output logits: the loss is told from_logits=True."""
    import keras
    layers = [layer for layer in model.layers if not isinstance(layer, keras.layers.InputLayer)]
    last = layers[-1] if layers else None
    if isinstance(last, keras.layers.Dense) and last.activation.__name__ != "linear":
        raise AssertionError(say("model_softmax", lang, activation=last.activation.__name__))
    return layers


def compiled(compile_model, model, lang="en"):
    import keras
    result = call(compile_model, model, name="compile_model", lang=lang, explain=explain_compile(lang))
    assert isinstance(result, keras.Model), say("compile_return", lang, kind=_kind(result))
    assert result.compiled, say("compile_not_compiled", lang)
    return result


def once_per_function(memo, function, key, run):
    """``run()``, run once for ``function`` and ``key`` while they are the last asked: cells that
    ask the same call of the same function share it. ``memo`` holds the function, so its id
    stays its own."""
    full = (id(function), *key)
    if full not in memo:
        memo.clear()
        memo[full] = (function, run())
    return memo[full][1]


def history_problem(history, lang="en"):
    """What is wrong with what train_model returned, or None for a History."""
    import keras
    if isinstance(history, keras.callbacks.History):
        return None
    return say("train_history", lang, kind=_kind(history))


def trained_history(train_model, model, images, labels, epochs, lang="en"):
    history = call(train_model, model, images, labels, epochs=epochs, name="train_model", lang=lang)
    problem = history_problem(history, lang)
    assert problem is None, problem
    return history


def probabilities(make_probability_model, model, images, lang="en"):
    """What the student's probability model predicts for ``images``: one row of 10 per image."""
    probability_model = call(make_probability_model, model, name="make_probability_model", lang=lang)
    predict = getattr(probability_model, "predict", None)
    result = np.asarray(call(predict, images, verbose=0, name="probability_model.predict", lang=lang))
    want = (len(images), 10)
    assert result.shape == want, say("prob_shape", lang, want=want, got=result.shape)
    return result


def drawn(plot, args, name, lang="en"):
    """Call a plot helper on a figure of its own, closed afterwards; return what it drew on."""
    import matplotlib.pyplot as plt
    figure = plt.figure()
    figure.add_subplot(1, 1, 1)
    try:
        call(plot, *args, name=name, lang=lang)
        return plt.gca()
    finally:
        plt.close(figure)


# --- the quick checks: nothing shown when the function works -----------------------------------

def _quick(check, *args, **kwargs):
    try:
        check(*args, **kwargs)
    except AssertionError as failure:
        raise CheckFailed(str(failure)) from None


def quick_preprocess_images_shape(preprocess_images, lang="en"):
    def check():
        images = example_images(5)
        result = preprocessed(preprocess_images, images, lang)
        assert result.shape == images.shape, say("pre_shape", lang, given=images.shape, got=result.shape)
        assert np.issubdtype(result.dtype, np.floating), say("pre_float", lang, dtype=result.dtype)
    _quick(check)


def quick_preprocess_images_range(preprocess_images, lang="en"):
    """Catches the lesson's most common mistakes (chapter 12): no scaling, integer division."""
    def check():
        result = np.asarray(preprocessed(preprocess_images, example_images(5), lang), dtype=np.float64)
        high, low = float(result.max()), float(result.min())
        assert low >= 0 and high <= 1, say("pre_range", lang, high=round(high, 3), low=round(low, 3))
        one, zero = float(result[0, 0, 1]), float(result[0, 0, 0])  # a 255 and a 0 pixel
        assert abs(one - 1) < 1e-6 and abs(zero) < 1e-6, say("pre_ends", lang, one=one, zero=zero)
        assert np.allclose(result, example_images(5) / 255.0, atol=1e-6), say("pre_ends", lang, one=one, zero=zero)
    _quick(check)


def quick_preprocess_images_input(preprocess_images, lang="en"):
    def check():
        for images in (example_images(5), example_images(5).astype(np.float64)):
            before = images.copy()
            preprocessed(preprocess_images, images, lang)
            assert np.array_equal(images, before), say("pre_mutates", lang)
    _quick(check)


def quick_build_model_output(build_model, lang="en"):
    def check():
        model = built(build_model, lang)
        not_the_probe_model(model, lang)
        output_shape(model, (example_images(5) / 255.0).astype("float32"), lang)
    _quick(check)


def quick_build_model_layers(build_model, lang="en"):
    def check():
        model = built(build_model, lang)
        not_the_probe_model(model, lang)
        linear_output(model, lang)
    _quick(check)


LOSS_NAMES = ("SparseCategoricalCrossentropy", "sparse_categorical_crossentropy")
ACCURACY_METRICS = ("accuracy", "acc", "sparse_categorical_accuracy", "SparseCategoricalAccuracy")


def loss_of(compile_config):
    """(the loss's name, from_logits) as a model's compile configuration records them."""
    config = (compile_config or {}).get("loss")
    if isinstance(config, dict):
        return config.get("class_name"), bool((config.get("config") or {}).get("from_logits", False))
    return str(config), False


def metric_names(compile_config):
    """The metrics' names as a model's compile configuration records them."""
    return [m if isinstance(m, str) else (m or {}).get("class_name", "") if isinstance(m, dict) else _kind(m)
            for m in (compile_config or {}).get("metrics") or []]


def quick_compile_model_optimizer(compile_model, lang="en"):
    def check():
        import keras
        model = compiled(compile_model, fresh_model(), lang)
        assert isinstance(model.optimizer, keras.optimizers.Adam), say(
            "compile_optimizer", lang, found=_kind(model.optimizer))
    _quick(check)


def quick_compile_model_loss(compile_model, lang="en"):
    """The loss's kind and from_logits=True: the lesson's model outputs logits."""
    def check():
        name, from_logits = loss_of(compiled(compile_model, fresh_model(), lang).get_compile_config())
        assert name in LOSS_NAMES, say(
            "compile_loss", lang, found=name)
        assert from_logits, say("compile_logits", lang)
    _quick(check)


def quick_compile_model_metrics(compile_model, lang="en"):
    def check():
        names = metric_names(compiled(compile_model, fresh_model(), lang).get_compile_config())
        assert set(ACCURACY_METRICS) & set(names), say("compile_metrics", lang, found=names)
    _quick(check)


_trained_once = {}  # the two quick train checks train the same way: one run serves both


def _quick_training(train_model, lang):
    """(what train_model returned, its failure or None) for one epoch on the checks' examples:
    the two quick train checks ask the same call."""
    def run():
        images, labels = example_data(256)
        try:
            return call(train_model, fresh_model(compiled=True, eager=True), images, labels, epochs=1,
                        name="train_model", lang=lang), None
        except AssertionError as failure:
            return None, failure
    return once_per_function(_trained_once, train_model, (lang,), run)


def quick_train_model_epochs(train_model, lang="en"):
    history, failure = _quick_training(train_model, lang)
    problem = str(failure) if failure is not None else history_problem(history, lang)
    if problem is not None:
        raise CheckFailed(problem)


def quick_train_model_loss(train_model, lang="en"):
    _, failure = _quick_training(train_model, lang)
    if failure is not None:
        raise CheckFailed(str(failure))


def quick_make_probability_model(make_probability_model, lang="en"):
    def check():
        images = (example_images(5) / 255.0 * 8).astype("float32")  # spread the scores
        result = probabilities(make_probability_model, fresh_model(), images, lang).astype(np.float64)
        low, high = float(result.min()), float(result.max())
        assert low >= 0 and high <= 1 + 1e-6, say("prob_range", lang, low=low, high=high)
        sums = result.sum(axis=1)
        worst = float(sums[np.argmax(np.abs(sums - 1))])
        assert np.all(np.abs(sums - 1) < 1e-5), say("prob_sum", lang, total=worst)
    _quick(check)


def quick_plot_image(plot_image, lang="en"):
    _quick(drawn, plot_image, plot_example(0), "plot_image", lang)


def quick_plot_value_array(plot_value_array, lang="en"):
    _quick(drawn, plot_value_array, plot_example(0)[:3], "plot_value_array", lang)


def threshold():
    """The test accuracy the grader requires (a copy of the course's calibration, kept in step by a
    course test)."""
    return json.loads(THRESHOLD_FILE.read_text(encoding="utf-8"))["threshold"]
