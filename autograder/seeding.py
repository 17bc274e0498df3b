"""The seed the student's training runs under while it is graded, and the kernel code that sets it.

The seed comes from the assignment's name only, nothing the student controls, so a regrade of the
same notebook trains the same model (see GRADING.md for what is and is not deterministic).
"""

from fashion_mnist_student.probe_inputs import seed_of


def training_seed(assignment):
    return seed_of("training", str(assignment)) % (2 ** 31)


def kernel_preamble(assignment):
    """Python source the grader runs in the kernel before the notebook's first cell."""
    return f"import keras as _keras\n_keras.utils.set_random_seed({training_seed(assignment)})\ndel _keras\n"
