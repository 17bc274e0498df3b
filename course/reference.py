"""The lesson's reference code: the functions students write in the graded notebook.

The autograder builds its fixtures from these (so each part is graded on its own), the book's later
chapters load the model ``trained_model()`` caches, and a test keeps the solution notebook's
function bodies identical to these.

The course cache (``_build/cache``, or $COURSE_CACHE) holds what takes training to compute, once
for both languages of the book: the trained model (kept by the training chapter, or trained here)
and the History of chapter 07's run with a validation set. Each entry is computed under a file lock,
so the English and the Chinese build running at once train it once; the other waits and loads it.
"""

import json
import math
import os
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

import numpy as np

try:
    import fcntl
except ImportError:  # Windows: no lock; two builds at once may then both train
    fcntl = None

from fashion_mnist_student.classes import CLASS_NAMES

CACHE = Path(os.environ.get("COURSE_CACHE", Path(__file__).resolve().parents[1] / "_build" / "cache"))


def preprocess_images(images):
    return images / 255.0


def build_model():
    from tensorflow import keras
    model = keras.Sequential([
        keras.Input(shape=(28, 28)),
        keras.layers.Flatten(),
        keras.layers.Dense(128, activation='relu'),
        keras.layers.Dense(10)
    ])
    return model


def compile_model(model):
    from tensorflow import keras
    model.compile(optimizer='adam',
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=['accuracy'])
    return model


def train_model(model, images, labels, epochs=10):
    return model.fit(images, labels, epochs=epochs)


def make_probability_model(model):
    from tensorflow import keras
    return keras.Sequential([model, keras.layers.Softmax()])


def _model_path(seed, epochs):
    return CACHE / f"fashion_mnist_seed{seed}_e{epochs}.keras"


@contextmanager
def _locked(path):
    """Hold an exclusive lock beside ``path``: one process computes a cache entry, the others wait."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(path.name + ".lock"), "w") as lock:
        if fcntl:
            fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def _cached(path, compute, save, load):
    """``load(path)``, or on the first call ``compute()``, saved with ``save(value, partial_path)``.

    The first process computes under the lock; one that comes while it does waits, then loads.
    The value is written to a partial file and renamed, so nothing ever reads half an entry, and
    a failing ``compute`` leaves no entry behind."""
    if not path.exists():
        with _locked(path):
            if not path.exists():  # not computed by another process while we waited
                value = compute()
                partial = path.with_name(path.stem + ".partial" + path.suffix)
                save(value, partial)
                partial.replace(path)
                return value
    return load(path)


def _save_model(model, path):
    model.save(path)


def _load_model(path):
    import keras
    return keras.models.load_model(path)


def trained_model(seed=0, epochs=10, verbose=0):
    """The tutorial model trained on the full training set, cached on disk after the first call.

    The model the training chapter kept (``keep_trained_model``), or, when there is none, trained
    here with the same seed and settings."""
    def train():
        import keras
        from .data import load_data
        keras.utils.set_random_seed(seed)
        (train_images, train_labels), _ = load_data()
        model = compile_model(build_model())
        model.fit(preprocess_images(train_images), train_labels, epochs=epochs, verbose=verbose)
        return model
    return _cached(_model_path(seed, epochs), train, _save_model, _load_model)


def _reference_problems(model, history, epochs):
    """Why ``model`` is not the reference model trained for ``epochs`` epochs on all 60,000 images."""
    problems = []
    layers = [(type(layer).__name__, getattr(layer, "units", None),
               getattr(getattr(layer, "activation", None), "__name__", None)) for layer in model.layers]
    reference = [(type(layer).__name__, getattr(layer, "units", None),
                  getattr(getattr(layer, "activation", None), "__name__", None))
                 for layer in build_model().layers]
    if layers != reference or tuple(model.input_shape[1:]) != (28, 28):
        problems.append(f"layers {layers}, expected {reference}")
    optimizer = getattr(model, "optimizer", None)
    if type(optimizer).__name__ != "Adam" or not math.isclose(float(optimizer.learning_rate), 0.001, rel_tol=1e-6):
        problems.append("the optimizer is not Adam with its default learning rate")
    loss = getattr(model, "loss", None)
    if type(loss).__name__ != "SparseCategoricalCrossentropy" or not getattr(loss, "from_logits", False):
        problems.append("the loss is not SparseCategoricalCrossentropy(from_logits=True)")
    params = getattr(history, "params", None) or {}
    if params.get("epochs") != epochs or len(getattr(history, "epoch", [])) != epochs:
        problems.append(f"trained for {len(getattr(history, 'epoch', []))} epochs, expected {epochs}")
    if params.get("steps") != math.ceil(60000 / 32):
        problems.append(f"{params.get('steps')} steps per epoch: not all 60,000 training images "
                        "in batches of 32")
    return problems


def keep_trained_model(model, history, seed=0, epochs=10):
    """Keep the training chapter's model as the one ``trained_model(seed, epochs)`` returns.

    The caller promises the seed; the layers, compile settings, epochs and steps are checked, and a
    ValueError says what differs. A model already kept stays (the later chapters' cached pages were
    computed with it); so does one ``trained_model`` trained. Returns nothing (the page shows no
    output that depends on which language's build came first)."""
    problems = _reference_problems(model, history, epochs)
    if problems:
        raise ValueError("not the course's reference model: " + "; ".join(problems))
    _cached(_model_path(seed, epochs), lambda: model, _save_model, lambda path: None)


def _write_json(record, path):
    path.write_text(json.dumps(record), encoding="utf-8")


def _read_json(path):
    return json.loads(path.read_text(encoding="utf-8"))


def validation_history(seed=0, epochs=10, validation_split=0.2):
    """The History of a fresh reference model trained with ``validation_split`` (chapter 07's
    overfitting curves), computed on the first call and kept in the course cache as JSON.

    Training it::

        keras.utils.set_random_seed(seed)
        model = compile_model(build_model())
        history = model.fit(preprocess_images(train_images), train_labels, epochs=epochs,
                            validation_split=validation_split, verbose=0)

    Returns a ``keras.callbacks.History`` with ``history``, ``epoch`` and ``params`` set, as
    ``fit`` would have returned (no model: it is not kept)."""
    import keras

    def train():
        from .data import load_data
        keras.utils.set_random_seed(seed)
        (train_images, train_labels), _ = load_data()
        model = compile_model(build_model())
        fitted = model.fit(preprocess_images(train_images), train_labels, epochs=epochs,
                           validation_split=validation_split, verbose=0)
        return {"history": {name: [float(value) for value in values]
                            for name, values in fitted.history.items()},
                "epoch": list(fitted.epoch), "params": dict(fitted.params)}

    path = CACHE / f"fashion_mnist_seed{seed}_e{epochs}_validation{validation_split}.json"
    record = _cached(path, train, _write_json, _read_json)
    history = keras.callbacks.History()
    history.history, history.epoch, history.params = record["history"], record["epoch"], record["params"]
    return history


def plot_image(i, predictions_array, true_label, img, class_names=None):
    """The tutorial's helper; ``class_names`` defaults to English."""
    import matplotlib.pyplot as plt
    class_names = class_names or CLASS_NAMES["en"]
    true_label, img = true_label[i], img[i]
    plt.grid(False)
    plt.xticks([])
    plt.yticks([])
    plt.imshow(img, cmap=plt.cm.binary)
    predicted_label = np.argmax(predictions_array)
    color = 'blue' if predicted_label == true_label else 'red'
    plt.xlabel("{} {:2.0f}% ({})".format(class_names[predicted_label],
                                         100 * np.max(predictions_array),
                                         class_names[true_label]),
               color=color)


def plot_value_array(i, predictions_array, true_label):
    import matplotlib.pyplot as plt
    true_label = true_label[i]
    plt.grid(False)
    plt.xticks(range(10))
    plt.yticks([])
    thisplot = plt.bar(range(10), predictions_array, color="#777777")
    plt.ylim([0, 1])
    predicted_label = np.argmax(predictions_array)
    thisplot[predicted_label].set_color('red')
    thisplot[true_label].set_color('blue')


# The shapes of build_model()'s weights, in get_weights() order (a test keeps them equal)
WEIGHT_SHAPES = [(784, 128), (128,), (128, 10), (10,)]


@lru_cache(maxsize=1)
def _scaled_test_set():
    """Read, checked and scaled once per process: the grader measures one model per submission."""
    from .data import load_data
    _, (test_images, test_labels) = load_data()
    images = preprocess_images(test_images).astype(np.float32)  # what Keras computes in
    images.setflags(write=False)
    return images, test_labels


def logits_from_weights(weights, images):
    """build_model()'s forward pass in NumPy: Flatten, Dense(128, relu), Dense(10).

    The grader measures every submission's handed-over weights with it, without importing
    TensorFlow (about 3 s a submission in the one gradebook writer); a test keeps it equal to the
    Keras model's predictions."""
    kernel1, bias1, kernel2, bias2 = (np.asarray(w, dtype=np.float32) for w in weights)
    hidden = np.maximum(images.reshape(len(images), -1) @ kernel1 + bias1, 0)
    return hidden @ kernel2 + bias2


def accuracy_of_weights(weights):
    """Accuracy on the 10,000 test images of build_model() carrying ``weights``."""
    test_images, test_labels = _scaled_test_set()
    logits = logits_from_weights(weights, test_images)
    return float(np.mean(np.argmax(logits, axis=1) == test_labels))



# --- chapter 07b: what to do about overfitting -------------------------------------------------
# Four short trainings on the same small training subset, validated on the 12,000 images that
# chapter 07's validation_split=0.2 holds out: the plain model, the plain model with early
# stopping, one with dropout, one with L2 weight decay. Each is a cache entry of its own, so the
# English and the Chinese build, reaching the page at the same time, share the work: each takes
# the entries no other process is computing, then waits for the rest (regularisation_runs).

from dataclasses import dataclass, field  # noqa: E402
from enum import Enum  # noqa: E402

# measured on two cores, one thread per kernel: about 1 s per epoch on 10,000 images (with the
# validation pass), so the four runs cost about 50 s of CPU, about 30 s of a two-language build
REGULARISATION_TRAIN_SIZE = 10_000
REGULARISATION_EPOCHS = 15
DROPOUT_RATE = 0.5
L2_FACTOR = 1e-3
EARLY_STOPPING_PATIENCE = 3


class Remedy(str, Enum):
    PLAIN = "plain"
    EARLY_STOPPING = "early_stopping"
    DROPOUT = "dropout"
    WEIGHT_DECAY = "weight_decay"


def regularised_model(remedy):
    """build_model()'s layers, with dropout after the hidden layer or an L2 penalty on both kernels
    for those remedies (early stopping changes the training, not the model)."""
    from tensorflow import keras
    remedy = Remedy(remedy)
    if remedy is Remedy.DROPOUT:
        return keras.Sequential([
            keras.Input(shape=(28, 28)),
            keras.layers.Flatten(),
            keras.layers.Dense(128, activation='relu'),
            keras.layers.Dropout(DROPOUT_RATE),
            keras.layers.Dense(10)
        ])
    if remedy is Remedy.WEIGHT_DECAY:
        l2 = keras.regularizers.L2(L2_FACTOR)
        return keras.Sequential([
            keras.Input(shape=(28, 28)),
            keras.layers.Flatten(),
            keras.layers.Dense(128, activation='relu', kernel_regularizer=l2),
            keras.layers.Dense(10, kernel_regularizer=l2)
        ])
    return build_model()


def compile_regularised(model):
    """compile_model's settings, plus the cross-entropy alone as a metric: with weight decay the
    loss Keras reports includes the penalty, so the curves compare this instead."""
    from tensorflow import keras
    model.compile(optimizer='adam',
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=['accuracy',
                           keras.metrics.SparseCategoricalCrossentropy(from_logits=True,
                                                                       name="cross_entropy")])
    return model


@dataclass(frozen=True)
class RegularisedRun:
    """One of chapter 07b's trainings, as kept in the course cache (the model is not kept)."""
    remedy: Remedy
    history: dict = field(repr=False)  # fit's History.history: loss, accuracy, cross_entropy, val_...
    epochs_trained: int
    best_epoch: int          # 1-based epoch of the lowest val_cross_entropy
    test_accuracy: float     # of the weights the run ends with (early stopping: the best epoch's)
    test_cross_entropy: float
    seconds: float           # training time on the machine that filled the cache

    @property
    def final_gap(self):
        """Training minus validation accuracy at the last epoch trained."""
        return self.history["accuracy"][-1] - self.history["val_accuracy"][-1]


def _regularisation_data(train_size):
    from .data import load_data
    (train_images, train_labels), (test_images, test_labels) = load_data()
    train_images, test_images = preprocess_images(train_images), preprocess_images(test_images)
    held_out = len(train_images) - int(len(train_images) * 0.2)  # what validation_split=0.2 keeps back
    return ((train_images[:train_size], train_labels[:train_size]),
            (train_images[held_out:], train_labels[held_out:]), (test_images, test_labels))


def _train_regularised(remedy, seed, epochs, train_size):
    import time
    import keras
    remedy = Remedy(remedy)
    (images, labels), validation, (test_images, test_labels) = _regularisation_data(train_size)
    keras.utils.set_random_seed(seed)
    model = compile_regularised(regularised_model(remedy))
    callbacks = []
    if remedy is Remedy.EARLY_STOPPING:
        callbacks.append(keras.callbacks.EarlyStopping(
            monitor="val_cross_entropy", patience=EARLY_STOPPING_PATIENCE, restore_best_weights=True))
    start = time.perf_counter()
    fitted = model.fit(images, labels, epochs=epochs, validation_data=validation,
                       validation_batch_size=256, callbacks=callbacks, verbose=0)
    seconds = time.perf_counter() - start
    test_loss, test_accuracy, test_cross_entropy = model.evaluate(test_images, test_labels,
                                                                  batch_size=256, verbose=0)
    history = {name: [float(value) for value in values] for name, values in fitted.history.items()}
    return {"remedy": remedy.value, "history": history, "epochs_trained": len(fitted.epoch),
            "best_epoch": int(np.argmin(history["val_cross_entropy"])) + 1,
            "test_accuracy": float(test_accuracy), "test_cross_entropy": float(test_cross_entropy),
            "seconds": round(seconds, 1)}


def _regularisation_path(remedy, seed, epochs, train_size):
    return CACHE / (f"fashion_mnist_seed{seed}_{Remedy(remedy).value}_n{train_size}_e{epochs}"
                    f"_dropout{DROPOUT_RATE}_l2{L2_FACTOR}_p{EARLY_STOPPING_PATIENCE}.json")


def _try_locked(path):
    """The lock beside ``path`` if no other process holds it, else None (never waits)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lock = open(path.with_name(path.name + ".lock"), "w")
    if fcntl:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.close()
            return None
    return lock


def _cached_many(entries):
    """[``_cached(path, compute, save, load)`` for each entry], sharing the work with other
    processes asking for the same entries: first compute every entry nobody else is computing
    (without waiting), then wait for and load the rest."""
    for path, compute, save, _ in entries:
        if path.exists():
            continue
        lock = _try_locked(path)
        if lock is None:  # another process is computing it: take the next one
            continue
        with lock:
            if not path.exists():
                partial = path.with_name(path.stem + ".partial" + path.suffix)
                save(compute(), partial)
                partial.replace(path)
    return [_cached(path, compute, save, load) for path, compute, save, load in entries]


def regularisation_runs(seed=0, epochs=REGULARISATION_EPOCHS, train_size=REGULARISATION_TRAIN_SIZE):
    """{Remedy: RegularisedRun} for chapter 07b, each trained once and kept in the course cache.

    Every run starts from ``keras.utils.set_random_seed(seed)``, trains on the first ``train_size``
    training images (scaled) for at most ``epochs`` epochs and is validated after every epoch on the
    last 12,000 training images::

        model = compile_regularised(regularised_model(remedy))
        model.fit(images, labels, epochs=epochs, validation_data=(val_images, val_labels),
                  callbacks=[EarlyStopping(...)] for Remedy.EARLY_STOPPING, verbose=0)
    """
    entries = [(_regularisation_path(remedy, seed, epochs, train_size),
                lambda remedy=remedy: _train_regularised(remedy, seed, epochs, train_size),
                _write_json, _read_json) for remedy in Remedy]
    runs = {}
    for record in _cached_many(entries):
        record = dict(record, remedy=Remedy(record["remedy"]))
        runs[record["remedy"]] = RegularisedRun(**record)
    return runs
