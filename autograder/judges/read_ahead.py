"""Read ahead, in a thread, what the verdicts read besides the hand-overs: the judges' modules,
the training images the loss judge measures on and the scaled test set of the predictions judge
and the accuracy verdict (about 0.5 s on one core).

JudgeProbes starts it when nbgrader builds the autograde pipeline, before the notebook's first
cell, and the class command's coordinator starts it while its workers run: the verdicts after the
last cell then read only the hand-overs, and the reading is done on the core the kernel (one
thread) leaves free. Nothing here decides anything: a missing or damaged file is left for the
verdict that needs it, which says so.
"""

import threading

_started = []


def _read():
    try:
        from course import reference
        from fashion_mnist_student.examples import training_images

        from . import registry  # noqa: F401  (the judges' modules)
        training_images(slice(0, 0), download=False)   # the whole training set, read and checked
        reference.scaled_test_set()
    except Exception:  # noqa: BLE001 (the verdict that needs the data reports what is wrong)
        pass


def start():
    """Begin reading ahead (once per process)."""
    if not _started:
        thread = threading.Thread(target=_read, name="autograder-read-ahead", daemon=True)
        thread.start()
        _started.append(thread)


def wait():
    """Until the reading ahead, if started, is done: a verdict then finds the data read."""
    for thread in _started:
        thread.join()
