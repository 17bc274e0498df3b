"""The seed of the student's training, and the code that applies it in the kernel.

The grader runs ``kernel_preamble(assignment)`` in the student's kernel before the notebook's first cell
(autograder.preprocessors.execute.GradingExecute), so the same notebook trains the same model on
every regrade: under plain `nbgrader autograde` and the class command alike. The seed comes from
the assignment's name only (nothing the student writes or controls: not the notebook, its name,
the student id or the submission time), so every student of an assignment is trained from the
same seed. TensorFlow's thread pools are pinned to the grader's one thread (the order of
floating-point sums depends on them); op determinism is left off (OP_DETERMINISM: measured, it buys
nothing here and costs 27 %; GRADING.md, "Fairness of the accuracy part").

What the seed fixes is the sequence of random numbers from the first cell on: the student's own
code that draws random numbers before training (a quick check that builds a model, a shuffle)
moves the training along that sequence, the same way on every regrade.
"""

from fashion_mnist_student.probe_inputs import seed_of

# course.threads.MOST_THREADS, the class command's boxes' thread count (a test keeps them equal):
# not imported, since the box that runs GradingExecute does not show the course's code
MOST_THREADS = 1


# Op determinism stays off: with one intra-op thread, a fresh process trained the reference to
# the same accuracy twice with it off (0.8788, 0.8788) as with it on (0.8744, 0.8744), and on it
# cost 27 % more CPU (47.3-47.9 s against 37.3-37.7 s for 10 epochs; benchmarks/fairness.py's
# determinism check). What makes a regrade repeat is the seed and the thread count, both set here.
OP_DETERMINISM = False


def training_seed(assignment: str) -> int:
    """A seed in [0, 2**31) from the assignment's name (SHA-256, the probes' derivation: stable
    across Python versions and machines, unlike ``hash()``). Changing it re-seeds every
    assignment, and so changes grades near the threshold."""
    return seed_of("training", str(assignment)) % (2 ** 31)


def seed_source(seed: int, determinism: bool = OP_DETERMINISM, threads: int | None = MOST_THREADS) -> str:
    """Python source that pins TensorFlow's thread pools to ``threads`` (the class command's boxes
    already have that many through their environment; plain `nbgrader autograde` would otherwise
    get TensorFlow's default, one per core, and another order of floating-point sums), seeds
    Python's, NumPy's and TensorFlow's generators (what ``keras.utils.set_random_seed`` does)
    and, with ``determinism``, switches on TensorFlow's op determinism. It runs before any of the
    student's code, so TensorFlow's runtime is not started yet. It prints nothing and leaves no
    name behind in the kernel."""
    seed = int(seed)
    if not 0 <= seed < 2**32:
        raise ValueError(f"seed {seed} out of range")
    lines = ["import tensorflow as _autograder_tf"]
    if threads:  # refused once TensorFlow's runtime has started: the seed is still set below
        lines += ["try:",
                  f"    _autograder_tf.config.threading.set_intra_op_parallelism_threads({int(threads)})",
                  f"    _autograder_tf.config.threading.set_inter_op_parallelism_threads({int(threads)})",
                  "except RuntimeError:",
                  "    pass"]
    lines += ["import keras as _autograder_keras",
              f"_autograder_keras.utils.set_random_seed({seed})"]
    if determinism:
        lines.append("_autograder_tf.config.experimental.enable_op_determinism()")
    lines.append("del _autograder_tf, _autograder_keras")
    return "\n".join(lines) + "\n"


def kernel_preamble(assignment: str) -> str:
    """The code the grader runs in the student's kernel before the notebook's first cell."""
    return seed_source(training_seed(assignment))
