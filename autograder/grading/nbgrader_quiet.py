"""`python -m nbgrader autograde <assignment>` for the class command's worker, told the rest of
its command line (the student) on its stdin. Not dumpable (nothing of the same user can ptrace it
or read its memory), and it dies with the worker that started it (a killed coordinator leaves no
nbgrader behind; its kernels' boxes die with it, bwrap's --die-with-parent). Set here, after exec:
no Python runs between fork and exec in the coordinator (sandbox.ProcessCap).

It can start before its submission is known (autograder/grading/worker.py, Nbgrader): first it
starts its kernel's box ahead (autograder/box/ahead.py), so the kernel imports TensorFlow while
nbgrader is imported (a second) and while the coordinator still finds the jobs; then it waits
for one line on its stdin, a JSON list of the options (``["--student", "s01", "--force"]``).
An empty stdin (the worker was not needed) ends it."""

import ctypes
import json
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


def options(line):
    """The options told on stdin: a JSON list of strings, else None."""
    try:
        told = json.loads(line)
    except ValueError:
        return None
    if isinstance(told, list) and all(isinstance(option, str) for option in told):
        return told
    return None


if __name__ == "__main__":
    not_dumpable()
    if os.environ.get("AUTOGRADER_PARENT", "").isdigit():
        die_with_parent(int(os.environ["AUTOGRADER_PARENT"]))
    from autograder.quick_exit import skip_last_collection
    from autograder.box.ahead import start_for_nbgrader
    start_for_nbgrader(sys.argv[1:])
    from nbgrader.apps.nbgraderapp import main
    skip_last_collection()
    told = options(sys.stdin.readline())
    if told is None:
        sys.exit(3)
    sys.argv[1:] = [*sys.argv[1:], *told]
    sys.exit(main())
