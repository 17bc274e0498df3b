"""A kernel started ahead: its box and its import of TensorFlow overlap the grader's own start.

Before the first cell, a grading process spends seconds on work that does not need the kernel
(the class command's nbgrader imports nbgrader, reads its configuration, copies and sanitizes
the submission) and the kernel then spends seconds importing TensorFlow. On two cores they can
overlap: ``start`` starts the box and its kernel at once, with an empty folder as the box's
``/tmp/given``, and the kernel runs the training seed's preamble (which imports TensorFlow) as
it starts (IPython's ``exec_files``), before it answers any request; ``start`` does not wait
for it. GradingExecute, once it knows the notebook, ``take``\\ s the kernel when it was
started for the same assignment, limits and thread pools, fills that folder with the notebook's
folder (a bind mount: the box sees it at once) and, as its first code in the kernel, copies it
to ``/tmp/work``. Nothing of the submission's code has run by then: the kernel ran only the
grader's preamble. A kernel that does not match, or is never taken, is ended (``discard``, and at
the latest when the process exits); every restart and the re-check start cold, as before.

Plain `nbgrader autograde` starts the first kernel as it reads the course's nbgrader_config.py
(``start_as_configured``, its last line), and each further one from ``pre_convert_hook``; the
class command's nbgrader starts it before it imports nbgrader (``start_for_nbgrader``).

One kernel per thread at most (the formgrader could grade in more than one). A kernel not taken
within ``UNTAKEN_SECONDS`` is ended by a timer: the formgrader's hook runs in a server thread,
and a conversion that fails before its kernel is used would otherwise leave it running until that
thread's next autograde.
"""

import asyncio
import atexit
import os
import shutil
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path

from course.threads import VARIABLES

from ..grading import scratch
from . import boxed, label
from .command import GIVEN, GIVEN_PREFIX, WORK

# the grader's environment variables a boxed kernel gets: the sizes of its thread pools
KERNEL_ENV = VARIABLES
# run in a kernel started ahead before anything else: the notebook's folder, now in GIVEN, to WORK
COPY_IN = (f"import shutil as _autograder_shutil\n"
           f"_autograder_shutil.copytree({GIVEN!r}, {WORK!r}, symlinks=True, dirs_exist_ok=True)\n"
           f"del _autograder_shutil\n")

# a kernel started ahead and still not taken after this long is ended (nbgrader takes it within
# a second or two of the hook: it only copies and sanitizes the submission in between)
UNTAKEN_SECONDS = 300

_slot = threading.local()


def kernel_env():
    """The thread pools' sizes of this process's environment, for the kernel."""
    return {name: os.environ[name] for name in KERNEL_ENV if name in os.environ}


@dataclass
class Ahead:
    """A boxed kernel started before its notebook was known, and what it was started for."""
    assignment: str
    limits: object
    threads: dict
    given: Path                  # the host folder the box shows at GIVEN (empty until taken)
    km: object                   # the BoxedKernelManager, its kernel running
    claimed: str = ""            # "" while held; then who has it: "taken", "discarded", "expired"
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)
    _timer: threading.Timer | None = field(default=None, repr=False, compare=False)

    def matches(self, assignment, limits, threads):
        return (self.assignment, self.limits, self.threads) == (assignment, limits, threads)

    def claim(self, by):
        """True for the one caller that gets this kernel (to use or to end it); False once
        someone else has (the owner's thread and the expiry timer may both try)."""
        with self._lock:
            if self.claimed:
                return False
            self.claimed = by
        if self._timer is not None and by != "expired":
            self._timer.cancel()
        return True

    def expire_after(self, seconds):
        self._timer = threading.Timer(seconds, _expire, (self,))
        self._timer.daemon = True
        self._timer.start()


def start(assignment, limits, preamble, label=""):
    """Start a boxed kernel for ``assignment`` now and send it ``preamble``; the Ahead. Where no
    box can be built it raises, as BoxedKernelManager does (GradingExecute, which checks the
    machine first, then refuses with the reason): the machine's check is not repeated here, it
    runs in nbgrader while the kernel starts."""
    from jupyter_core.utils import run_sync

    from .kernel import BoxedKernelManager

    held = getattr(_slot, "ahead", None)
    if held is not None and not held.claimed and held.matches(assignment, limits, kernel_env()) and _alive(held):
        return held   # started before nbgrader by nbgrader_quiet, asked again by the hook
    discard()
    given = scratch.private_folder(GIVEN_PREFIX)
    threads = kernel_env()
    km = BoxedKernelManager(given=str(given), kernel_name="python3", limits=limits,
                            kernel_env=threads, label=label, startup_code=preamble)
    try:
        run_sync(km.start_kernel)()   # back once its sockets are there; the preamble runs on
    except Exception:
        _end(km, given)
        raise
    _slot.ahead = Ahead(assignment, limits, threads, given, km)
    _slot.ahead.expire_after(UNTAKEN_SECONDS)
    return _slot.ahead


def take(assignment, limits):
    """The kernel started ahead for ``assignment`` with ``limits`` and this process's thread
    pools, handed over (and no longer held here); None when there is none or it does not match
    (then it is ended)."""
    ahead = getattr(_slot, "ahead", None)
    _slot.ahead = None
    if ahead is None or not ahead.claim("taken"):
        return None
    if not (_alive(ahead) and ahead.matches(assignment, limits, kernel_env())):
        end(ahead)
        return None
    return ahead


def _alive(ahead):
    return ahead.km.provisioner is not None and ahead.km.provisioner.process.poll() is None


def discard():
    """End the kernel started ahead in this thread, if any."""
    ahead = getattr(_slot, "ahead", None)
    _slot.ahead = None
    if ahead is not None and ahead.claim("discarded"):
        end(ahead)


def _expire(ahead):
    """The timer's end of a kernel nobody took (its thread's slot is cleared when next asked)."""
    try:
        if ahead.claim("expired"):
            end(ahead)
    finally:
        close_thread_loop()


def close_thread_loop():
    """Close the event loop jupyter_core's ``run_sync`` made for this thread, which ends now
    (the timer's). Left open, it is closed by the garbage collector, which says so with a
    ResourceWarning in whatever code happens to run then."""
    try:
        loop = asyncio.get_event_loop_policy().get_event_loop()
    except RuntimeError:   # no loop was made in this thread
        return
    if not loop.is_running():
        loop.close()


def end(ahead):
    """End a kernel started ahead: its box, its folder."""
    _end(ahead.km, ahead.given)


def _end(km, given):
    from jupyter_core.utils import run_sync
    try:
        if km.has_kernel:
            run_sync(km.shutdown_kernel)(now=True)   # kills the box, waits for it, then its cleanup
    finally:
        try:
            run_sync(km.cleanup_resources)()   # its cgroups and its folder (nothing left: nothing done)
        finally:
            shutil.rmtree(given, ignore_errors=True)


def start_for_nbgrader(argv, course="."):
    """For ``autograde <assignment> ...`` with a box, start its kernel ahead, with the settings
    the course's nbgrader_config.py (in ``course``) gives GradingExecute. The class command's
    nbgrader (autograder.grading.nbgrader_quiet) calls it before it imports nbgrader; plain
    nbgrader through ``pre_convert_hook``. Anything unexpected: no kernel ahead (GradingExecute
    starts one as usual). Whatever was read here, GradingExecute takes the kernel only when it
    matches its own settings."""
    if len(argv) < 2 or argv[0] != "autograde" or argv[1].startswith("-"):
        return None
    if not (Path(course) / "nbgrader_config.py").is_file():
        return None
    from ..grading.gradebook import course_config
    try:
        settings = course_config(course).get("GradingExecute", {})
    except Exception:  # noqa: BLE001 (nbgrader reads the configuration and says what is wrong)
        return None
    return _start_with(settings, argv[1])


def _start_with(settings, assignment):
    """Start ``assignment``'s kernel ahead with GradingExecute's ``settings`` (a configuration's
    section): its box's limits, unless the code is trusted and no box is made; None otherwise."""
    from ..grading.sandbox import Limits
    from ..seeding import kernel_preamble
    try:
        if not boxed(settings.get("unsafe_no_box", False)):
            return None
        limits = Limits(**settings.get("box_limits", {}))
        return start(assignment, limits, kernel_preamble(assignment), label(f"ahead:{assignment}"))
    except Exception:  # noqa: BLE001 (GradingExecute starts its kernel as usual and says what is wrong)
        discard()
        return None


def _is_nbgrader_autograde(argv):
    """Whether ``argv`` (a process's sys.argv) is the `nbgrader autograde <assignment>` command:
    the ``nbgrader`` script or ``python -m nbgrader``, nothing else that reads nbgrader_config.py
    (the formgrader's server, `nbgrader validate`, the class command and its replay, a test)."""
    if len(argv) < 3 or argv[1] != "autograde" or argv[2].startswith("-"):
        return False
    program = Path(argv[0])
    return program.name == "nbgrader" or (program.name == "__main__.py" and program.parent.name == "nbgrader")


def start_as_configured(config, argv=None):
    """The last line of the course's nbgrader_config.py. Under `nbgrader autograde <assignment>`,
    the first submission's kernel starts as nbgrader reads its configuration, about a second
    before nbgrader calls ``pre_convert_hook`` (which then finds it started); the settings are
    those the file gave GradingExecute (``config``). nbgrader reads the file more than once: the
    kernel started first is kept. Any other program reading the file starts nothing."""
    argv = sys.argv if argv is None else argv
    if not _is_nbgrader_autograde(argv):
        return None
    return _start_with(config.get("GradingExecute", {}), argv[2])


def pre_convert_hook(assignment=None, student=None, notebooks=None, **_):
    """nbgrader's ``Autograde.pre_convert_hook`` (nbgrader_config.py): called for each submission
    before nbgrader copies and sanitizes it, it starts that submission's kernel ahead."""
    if assignment:
        start_for_nbgrader(["autograde", str(assignment)])


atexit.register(discard)
