"""The seed of the student's training, and the code that applies it in the kernel.

The grader runs ``preamble(assignment)`` in the student's kernel before the notebook's first cell
(autograder.preprocessors.execute.GradingExecute), so the same notebook trains the same model on
every regrade: under plain `nbgrader autograde` and the class command alike. The seed comes from
the assignment's name only (nothing the student writes or controls: not the notebook, its name,
the student id or the submission time), so every student of an assignment is trained from the
same seed. Op determinism is switched on as well: benchmarks/fairness.py measured what it costs
(GRADING.md, "Fairness of the accuracy part").

What the seed fixes is the sequence of random numbers from the first cell on: the student's own
code that draws random numbers before training (a quick check that builds a model, a shuffle)
moves the training along that sequence, the same way on every regrade.
"""

import hashlib

# Changing it re-seeds every assignment (and so changes grades near the threshold): don't.
SALT = "fashion-mnist-course/accuracy-seed/v1"


def assignment_seed(assignment: str) -> int:
    """A seed in [0, 2**31) from the assignment's name (stable across Python versions and
    machines: not ``hash()``, which is salted per process)."""
    digest = hashlib.sha256(f"{SALT}/{assignment}".encode()).digest()
    return int.from_bytes(digest[:4], "big") % 2**31


def seed_source(seed: int, determinism: bool = True) -> str:
    """Python source that seeds Python's, NumPy's and TensorFlow's generators (what
    ``keras.utils.set_random_seed`` does) and, with ``determinism``, switches on TensorFlow's op
    determinism. It prints nothing and leaves no name behind in the kernel."""
    seed = int(seed)
    if not 0 <= seed < 2**32:
        raise ValueError(f"seed {seed} out of range")
    lines = ["import keras as _autograder_keras",
             f"_autograder_keras.utils.set_random_seed({seed})",
             "del _autograder_keras"]
    if determinism:
        lines[2:2] = ["import tensorflow as _autograder_tf",
                      "_autograder_tf.config.experimental.enable_op_determinism()",
                      "del _autograder_tf"]
    return "\n".join(lines) + "\n"


def preamble(assignment: str) -> str:
    """The code the grader runs in the student's kernel before the notebook's first cell."""
    return seed_source(assignment_seed(assignment))
