"""The lesson's model and the probe model in NumPy, for judging: forward pass, softmax,
cross-entropy, plain SGD. Both are Flatten -> Dense(relu) -> Dense(10) on 28x28 images (784
pixels, flattened here); only the width differs (the probe model's is
fashion_mnist_student.probe_inputs.PROBE_UNITS).

float64 throughout, so that a judge's figure is not a rounding artefact; the kernel's Keras model
computes in float32, hence the tolerances in the judges.
"""

import numpy as np

from fashion_mnist_student.probe_inputs import PROBE_WEIGHT_SHAPES, WEIGHT_SHAPES


def has_lesson_shapes(weights):
    return [tuple(np.shape(w)) for w in weights] == [tuple(s) for s in WEIGHT_SHAPES]


def are_probe_shapes(shapes):
    """Whether ``shapes`` (one per weight) are the probe model's, the model the probes gave
    compile_model and train_model."""
    return [tuple(shape) for shape in shapes] == [tuple(s) for s in PROBE_WEIGHT_SHAPES]


def has_probe_shapes(weights):
    return are_probe_shapes(np.shape(w) for w in weights)


def forward(weights, images):
    """(hidden pre-activations, logits) of Flatten -> Dense(relu) -> Dense(10)."""
    kernel1, bias1, kernel2, bias2 = (np.asarray(w, dtype=np.float64) for w in weights)
    pre = np.asarray(images, dtype=np.float64).reshape(len(images), -1) @ kernel1 + bias1
    return pre, np.maximum(pre, 0) @ kernel2 + bias2


def logits(weights, images):
    return forward(weights, images)[1]


def softmax(scores):
    shifted = np.exp(scores - scores.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


def cross_entropy(weights, images, labels):
    """Mean sparse categorical cross-entropy on the logits."""
    scores = logits(weights, images)
    shifted = scores - scores.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return float(-np.mean(log_p[np.arange(len(labels)), labels]))


def accuracy(weights, images, labels):
    return float(np.mean(np.argmax(logits(weights, images), axis=1) == labels))


def gradients(weights, images, labels):
    """Gradient of the mean cross-entropy: (p - y) / n at the logits, back through the ReLU."""
    kernel1, bias1, kernel2, bias2 = (np.asarray(w, dtype=np.float64) for w in weights)
    x = np.asarray(images, dtype=np.float64).reshape(len(images), -1)
    pre, scores = forward(weights, images)
    delta = softmax(scores)
    delta[np.arange(len(labels)), labels] -= 1
    delta /= len(labels)
    hidden = np.maximum(pre, 0)
    back = (delta @ kernel2.T) * (pre > 0)
    return [x.T @ back, back.sum(axis=0), hidden.T @ delta, delta.sum(axis=0)]


def sgd(weights, images, labels, steps, learning_rate):
    """``steps`` full-batch steps of plain gradient descent."""
    current = [np.asarray(w, dtype=np.float64) for w in weights]
    for _ in range(steps):
        current = [w - learning_rate * g for w, g in zip(current, gradients(current, images, labels))]
    return current
