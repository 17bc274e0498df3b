"""`python -m nbgrader` for the class command's worker: not dumpable (nothing of the same user can
ptrace it or read its memory), and it dies with the worker that started it (a killed coordinator
leaves no nbgrader behind; its kernels' boxes die with it, bwrap's --die-with-parent). Set here,
after exec: no Python runs between fork and exec in the coordinator (sandbox.ProcessCap).

Before it imports nbgrader (a second on its own) it starts the kernel's box ahead
(autograder/box/ahead.py), so the kernel imports TensorFlow while nbgrader starts."""

import ctypes
import os
import signal
import sys

PR_SET_PDEATHSIG = 1
PR_SET_DUMPABLE = 4


def _prctl(option, value):
    try:
        ctypes.CDLL(None, use_errno=True).prctl(option, value, 0, 0, 0)
    except (OSError, AttributeError):
        pass


def not_dumpable():
    _prctl(PR_SET_DUMPABLE, 0)


def die_with_parent(parent):
    _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:   # the parent was gone before the line above
        os._exit(1)


if __name__ == "__main__":
    not_dumpable()
    if os.environ.get("AUTOGRADER_PARENT", "").isdigit():
        die_with_parent(int(os.environ["AUTOGRADER_PARENT"]))
    from autograder.quick_exit import skip_last_collection
    from autograder.box.ahead import start_for_nbgrader
    start_for_nbgrader(sys.argv[1:])
    from nbgrader.apps.nbgraderapp import main
    skip_last_collection()
    sys.exit(main())
