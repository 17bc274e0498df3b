"""Run a student's function so that what goes wrong becomes a readable AssertionError.

The notebook's quick checks and the probes of the graded cells both call
student code through ``call``.

nbgrader scores a grade cell 0 if it writes anything to stderr, so warnings (e.g. Keras' notice
about ``Flatten(input_shape=...)``) and C++ log lines emitted while the student's code runs are
swallowed here: correct work must not lose points to them.
"""

import contextlib
import io
import os
import signal
import sys
import warnings

from .messages import say

DEFAULT_SECONDS = 60


class _TimeUp(BaseException):
    pass


@contextlib.contextmanager
def _silenced_stderr():
    sys.stderr.flush()
    saved_fd = None
    try:
        saved_fd = os.dup(2)
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
    except OSError:
        saved_fd = None
    saved_stream = sys.stderr
    sys.stderr = io.StringIO()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        sys.stderr = saved_stream
        if saved_fd is not None:
            os.dup2(saved_fd, 2)
            os.close(saved_fd)


@contextlib.contextmanager
def _time_limit(seconds):
    if not hasattr(signal, "SIGALRM") or seconds is None:
        yield
        return

    def stop(signum, frame):
        raise _TimeUp()

    previous = signal.signal(signal.SIGALRM, stop)
    signal.alarm(int(seconds))
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def call(function, *args, name=None, lang="en", seconds=DEFAULT_SECONDS, explain=None, **kwargs):
    """Call ``function`` quietly within ``seconds``; turn any failure into an AssertionError.

    ``explain(error)`` may return a more specific message for a known mistake.
    """
    name = name or getattr(function, "__name__", "function")
    if not callable(function):
        raise AssertionError(say("not_defined", lang, name=name))
    try:
        with _silenced_stderr(), _time_limit(seconds):
            return function(*args, **kwargs)
    except _TimeUp:
        raise AssertionError(say("timeout", lang, name=name, seconds=seconds)) from None
    except NotImplementedError:
        raise AssertionError(say("not_written", lang, name=name)) from None
    except AssertionError:
        raise
    except Exception as error:
        message = explain(error) if explain else None
        error_text = f"{type(error).__name__}: {error}"
        raise AssertionError(message or say("raised", lang, name=name, error=error_text)) from None
