"""The box around every kernel that runs student code (issue #23): an allowlist Python view
(view.py), a file system built from nothing (command.py), a kernel manager that starts the kernel
in it and talks to it over IPC sockets (kernel.py), and the bounded pull of the hand-overs
(pull.py). GRADING.md explains the guarantees."""

import os

from ..grading.sandbox import problem as _machine_problem

# Read by the class command's coordinator without importing nbgrader (GradingExecute, which
# writes them, imports it): the opt-out's environment variable, and the enames of the errors a
# dead kernel leaves in its cell and in the test cells it could not reach.
UNSAFE_NO_BOX = "AUTOGRADER_UNSAFE_NO_BOX"
KERNEL_DIED = "KernelDied"
NOT_RUN = "NotRunKernelDied"


def problem():
    """Why a kernel's box cannot be built on this machine, or None when it can."""
    return _machine_problem()


def available():
    return problem() is None


def boxed(unsafe_no_box=False):
    """Whether kernels run in a box here: unless the configuration (``unsafe_no_box``) or the
    environment (UNSAFE_NO_BOX=1) says the code is trusted."""
    return not (unsafe_no_box or os.environ.get(UNSAFE_NO_BOX) == "1")


def label(what):
    """A box's AUTOGRADER_BOX_OF: "<coordinator, or this process>:<what>" (tests find a run's boxes by it)."""
    return f"{os.environ.get('AUTOGRADER_PARENT', os.getpid())}:{what}"
