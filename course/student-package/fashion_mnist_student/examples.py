"""The inputs the checks give a student's functions: the notebook's quick checks, and the
grader's probes use some of them too.

``fresh_model`` is the probe model, so a quick check of one part never depends on the student's
other parts: ten logits from 28x28 images through Flatten and Dense(96, relu), compiled (if asked)
with plain SGD. It takes images as the lesson's model does, so whatever a student's function does
with the lesson's model (a keras.Input(shape=(28, 28)) in front, say) it can do with this one. It
is not the lesson's model and is not compiled as the lesson says, on purpose: nothing in this
package, which every graded kernel imports, builds the answer (it is named
probe_inputs.PROBE_NAME, and a build_model that returns it fails both build_model parts; a course
test checks that no function here returns the lesson's model).
"""

from functools import lru_cache

import numpy as np

from .probe_inputs import PROBE_LEARNING_RATE, PROBE_NAME, PROBE_UNITS


def example_images(n=64, seed=0):
    """``n`` random 28x28 uint8 images; the first has a 0 and a 255 pixel in its top-left corner."""
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
    images[0, 0, 0], images[0, 0, 1] = 0, 255
    return images


def fresh_model(compiled=False, eager=False):
    """A new, untrained probe model (not the lesson's): Input(28, 28) -> Flatten -> Dense(96, relu)
    -> Dense(10) logits, named PROBE_NAME (its layers too); compiled with plain SGD, sparse
    cross-entropy on logits and accuracy, if asked; ``eager`` runs it without tracing a graph (the
    checks train it a few steps: tracing would cost more than it saves)."""
    import keras
    model = keras.Sequential([keras.Input(shape=(28, 28)),
                              keras.layers.Flatten(name=f"{PROBE_NAME}_flatten"),
                              keras.layers.Dense(PROBE_UNITS, activation="relu", name=f"{PROBE_NAME}_hidden"),
                              keras.layers.Dense(10, name=f"{PROBE_NAME}_logits")], name=PROBE_NAME)
    if compiled:
        model.compile(optimizer=keras.optimizers.SGD(learning_rate=PROBE_LEARNING_RATE),
                      loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"],
                      run_eagerly=eager)
    return model


@lru_cache(maxsize=2)
def _training_set(download=True):
    from .data import load_data
    (images, labels), _ = load_data(download=download)
    return images, labels


def training_images(indices, download=True):
    """The training images at ``indices``, scaled to [0, 1] as float32, and their labels (the
    grader, which must never wait for a network, passes download=False)."""
    images, labels = _training_set(download)
    return (images[indices] / 255.0).astype("float32"), labels[indices]


def _training_subset(n=2048):
    return training_images(slice(0, n))


def example_data(n=256):
    """The first ``n`` (at most 2048) training images, scaled to [0, 1], and their labels."""
    images, labels = _training_subset()
    return images[:n], labels[:n]


def plot_example(i=0):
    """Arguments for plot_image(i, predictions_array, true_label, img): three images whose
    predictions are right (0), wrong (1) and right (2), each 87% sure."""
    predictions, true_labels, images = plot_fixture()
    return i, predictions[i], true_labels, images


def plot_fixture():
    """(predictions, true labels, images) of three examples: right, wrong, right."""
    images = example_images(3)
    true_labels = np.array([7, 2, 9])
    predictions = np.full((3, 10), 0.13 / 9)
    predictions[0, 7] = predictions[1, 4] = predictions[2, 9] = 0.87
    return predictions, true_labels, images
