"""train_model: it trains for ``epochs`` epochs, and the loss goes down."""

import numpy as np
from fashion_mnist_student.examples import training_images
from fashion_mnist_student.probes import PROBE_BATCH, PROBE_LEARNING_RATE

from . import numpy_model
from .verdict import require


def _replays(start, images, labels, epochs):
    """The weights after ``epochs`` steps of the probe's SGD, for each prefix of the batch a
    validation split could have kept."""
    for kept in range(len(images), 0, -1):
        yield numpy_model.sgd(start, images[:kept], labels[:kept], epochs, PROBE_LEARNING_RATE)


def epochs(handovers, inputs, lang):
    got = handovers.get("test_train_model_epochs")
    lengths = got.get("lengths", [])
    images = inputs.scaled_batch("epochs", PROBE_BATCH, PROBE_BATCH + 1)
    labels = inputs.labels("epochs", len(images))
    start = inputs.weights("epochs")
    for run, want in enumerate(inputs.epochs):
        length = lengths[run] if run < len(lengths) else None
        require(length == want, "train_epochs", lang, want=want, got=length)
        after = [got.array(f"run{run}_{k}", np.float64) for k in range(4)]
        require(numpy_model.has_probe_shapes(after), "train_epochs_steps", lang, want=want)
        matches = any(all(np.allclose(a, r, atol=2e-4) for a, r in zip(after, replay))
                      for replay in _replays(start, images, labels, want))
        require(matches, "train_epochs_steps", lang, want=want)


def loss_down(handovers, inputs, lang):
    after = [handovers.get("test_train_model_loss").array(f"after{k}") for k in range(4)]
    require(numpy_model.has_probe_shapes(after), "train_not_given_model", lang)
    start = inputs.weights("train_loss")
    # a few epochs move each weight a little: trained from the seeded start, the first layer's
    # weights still follow it (weights trained from any other start do not)
    follows = np.corrcoef(after[0].ravel(), start[0].ravel())[0, 1]
    require(follows > 0.5, "train_not_given_model", lang)
    images, labels = training_images(inputs.train_indices(), download=False)
    first = numpy_model.cross_entropy(start, images, labels)
    last = numpy_model.cross_entropy(after, images, labels)
    require(last < first, "train_loss", lang, first=round(first, 4), last=round(last, 4))
