"""Read ahead, in a thread, what the verdicts read besides the hand-overs: the judges' modules,
the training images the loss judge measures on and the scaled test set of the predictions judge
and the accuracy verdict (about 0.5 s on one core).

JudgeProbes starts it when nbgrader builds the autograde pipeline, before the notebook's first
cell, and the class command's coordinator starts it while its workers run: the verdicts after the
last cell then read only the hand-overs, and the reading is done on the core the kernel (one
thread) leaves free. The reading thread yields to the kernel (``NICE``): it starts while the
kernel imports TensorFlow, and what it reads is needed only after the notebook's last cell.
Nothing here decides anything: a missing or damaged file is left for the
verdict that needs it, which says so.
"""

import os
import threading

_started = []
NICE = 10   # added to the reading thread's niceness: it yields the core to a kernel importing TensorFlow


def _yield_to_kernels():
    """Lower this thread's priority (this thread only: a Linux thread has its own nice value)."""
    try:
        me = threading.get_native_id()
        os.setpriority(os.PRIO_PROCESS, me, min(19, os.getpriority(os.PRIO_PROCESS, me) + NICE))
    except (AttributeError, OSError):   # not Linux, or not allowed: read at the usual priority
        pass


def _read():
    _yield_to_kernels()
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
