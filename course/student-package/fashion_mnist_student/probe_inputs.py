"""The inputs the grader gives a student's functions, drawn from one seed per submission.

The hidden lines of each graded cell (fashion_mnist_student.probes) call the student's function on
these inputs in the kernel and hand back what it returned; the grader, in its own process, draws
the same inputs from the same seed and judges what came back. Nothing here is secret: knowing how
the inputs are drawn does not help a submission that does not compute the answer, and the seed
changes with the submission, so a hard-coded answer cannot pass.

Everything is NumPy and the standard library, so the grader can draw the inputs without
TensorFlow.
"""

import hashlib
from dataclasses import dataclass
from functools import cached_property

import numpy as np

# the lesson's model, in get_weights() order (what build_model must return and the accuracy
# hand-over must carry)
WEIGHT_SHAPES = ((784, 128), (128,), (128, 10), (10,))
# the probe model: what the quick checks and the probes give compile_model, train_model and
# make_probability_model (examples.fresh_model). It takes 28x28 images as the lesson's model does
# (Flatten first: an honest make_probability_model with keras.Input(shape=(28, 28)) in front
# works on it), but it is not the lesson's model, on purpose: Dense(96, relu), not Dense(128), and
# plain SGD, so nothing in this package builds the answer. Its model and layers carry the name
# PROBE_NAME, which no student writes by chance: a build_model that returns it (or wraps it) fails
# both build_model parts (is_probe_model).
PROBE_UNITS = 96
PROBE_NAME = "fashion_mnist_probe_model"
PROBE_WEIGHT_SHAPES = ((784, PROBE_UNITS), (PROBE_UNITS,), (PROBE_UNITS, 10), (10,))
PROBE_LEARNING_RATE = 0.1   # plain SGD, not the lesson's Adam: the grader can replay its steps
TRAIN_SUBSET = 512     # training images for the "loss goes down" probe
TRAIN_EPOCHS = 3


def is_probe_model(names) -> bool:
    """Whether a model whose own name and its layers' names (nested models' too) are ``names`` is,
    or holds, the probe model (examples.fresh_model)."""
    return any(isinstance(name, str) and name.startswith(PROBE_NAME) for name in names or [])


def seed_of(*parts: str) -> int:
    """A 32-bit seed from text (the assignment, the student, the submitted solution cells)."""
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).digest()
    return int.from_bytes(digest[:4], "little")


@dataclass(frozen=True)
class ProbeInputs:
    seed: int

    def _rng(self, part: str):
        return np.random.default_rng([self.seed, seed_of(part)])

    # --- preprocess_images ---------------------------------------------------------------------

    def images(self, part: str, n: int):
        """``n`` random uint8 images; the first has a 0 and a 255 at positions drawn from the seed."""
        rng = self._rng(part)
        images = rng.integers(1, 255, size=(n, 28, 28), dtype=np.uint8)
        flat = rng.choice(28 * 28, size=2, replace=False)
        images[0].reshape(-1)[flat[0]], images[0].reshape(-1)[flat[1]] = 0, 255
        return images

    @cached_property
    def preprocess_shapes(self):
        n = int(self._rng("preprocess_n").integers(2, 40))
        return ((n, 28, 28), (1, 28, 28), (28, 28))

    def preprocess_shape_inputs(self):
        out = []
        for k, shape in enumerate(self.preprocess_shapes):
            count = shape[0] if len(shape) == 3 else 1
            out.append(self.images(f"preprocess_shape{k}", count).reshape(shape))
        return out

    def preprocess_range_input(self):
        return self.images("preprocess_range", int(self._rng("preprocess_range_n").integers(8, 33)))

    def preprocess_input_inputs(self):
        base = self.images("preprocess_input", 16)
        return [base.copy(), base.astype(np.float64)]

    # --- the probe model ---------------------------------------------------------------------------

    def weights(self, part: str):
        """Weights for the probe model (Glorot-uniform kernels, small random biases)."""
        rng = self._rng(f"weights_{part}")
        out = []
        for shape in PROBE_WEIGHT_SHAPES:
            if len(shape) == 2:
                limit = np.sqrt(6.0 / (shape[0] + shape[1]))
                out.append(rng.uniform(-limit, limit, size=shape).astype(np.float32))
            else:
                out.append(rng.uniform(-0.05, 0.05, size=shape).astype(np.float32))
        return out

    def scaled_batch(self, part: str, low=3, high=17, spread=1.0):
        n = int(self._rng(f"{part}_n").integers(low, high))
        return (self.images(part, n) / 255.0 * spread).astype(np.float32)

    def labels(self, part: str, n: int):
        return self._rng(f"{part}_labels").integers(0, 10, size=n).astype(np.int64)

    @cached_property
    def epochs(self):
        """Two different epoch counts for train_model."""
        first, second = self._rng("epochs").choice([2, 3, 4], size=2, replace=False)
        return int(first), int(second)

    def train_indices(self, count=TRAIN_SUBSET):
        """Which training images the "loss goes down" probe trains on."""
        return np.sort(self._rng("train_subset").choice(60000, size=count, replace=False))

    # --- the plot helpers ----------------------------------------------------------------------

    @cached_property
    def plot_fixture(self):
        """(predictions, true labels, images) of two examples: one right, one wrong. Each
        prediction's confidence is a whole percent drawn from the seed."""
        rng = self._rng("plot")
        true_labels = rng.integers(0, 10, size=2)
        predicted = np.array([true_labels[0], (true_labels[1] + rng.integers(1, 10)) % 10])
        predictions = np.zeros((2, 10))
        for row in range(2):
            confidence = int(rng.integers(51, 98)) / 100
            rest = rng.dirichlet(np.ones(9)) * (1 - confidence)
            others = [c for c in range(10) if c != predicted[row]]
            predictions[row, others] = rest
            predictions[row, predicted[row]] = confidence
        return predictions, true_labels.astype(np.int64), self.images("plot_images", 2)
