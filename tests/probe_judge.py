"""The hidden checks of one cell as grading runs them, in this process: the probe (the cell's
hidden lines, in the kernel) hands over, then the judge (nbgrader's process) decides.

``checks.preprocess_images_range(fn, lang="zh")`` raises AssertionError with the student's
message when the verdict is a failure, as the old in-kernel checks did, so each test reads as the
mistake it plants.
"""

import tempfile
from pathlib import Path

from fashion_mnist_student import probes
from fashion_mnist_student.cells import BY_PROBE

from autograder.judges import judge_cell
from autograder.judges.handover import Folder

SEED = 20261202


def grade_id_of(probe_name):
    return BY_PROBE[probe_name].grade_id


def probe_then_judge(probe_name, *args, lang="en", seed=SEED, folder=None, tamper=None):
    """Run the probe, optionally ``tamper(folder)`` with its hand-over, then judge it."""
    with tempfile.TemporaryDirectory(prefix="probe-") as scratch:
        folder = Path(folder or scratch)
        probes.configure(seed, folder / probes.FOLDER)
        getattr(probes, probe_name)(*args, lang=lang)
        if tamper:
            tamper(folder)
        verdict = judge_cell(grade_id_of(probe_name), Folder(folder, lang), seed, lang)
    if not verdict.passed:
        raise AssertionError(verdict.message)
    return verdict


class _Checks:
    def __getattr__(self, name):
        if not hasattr(probes, name):
            raise AttributeError(name)
        return lambda *args, lang="en", **kw: probe_then_judge(name, *args, lang=lang, **kw)


checks = _Checks()
