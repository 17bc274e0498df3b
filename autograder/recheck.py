"""The borderline re-check: a near miss is trained again with further seeds before it loses points.

A correct submission's accuracy varies with the seed of its training (benchmarks/fairness.py
measured by how much). When the accuracy of the grader's first training falls in the band just
below the threshold, the grader trains the student's own functions again in the student's kernel,
after the notebook's last cell, with further seeds derived from the assignment (like the first
one: nothing the student controls), and decides on those:

* passed when the mean accuracy of the further seeds reaches the threshold (the first seed is
  left out of the mean: it was picked for being low, so it would drag the mean down);
* otherwise, or when a further training fails, the first verdict stands.

Two halves, because the kernel runs in a box that shows neither the course's code nor the judges,
and the verdict is taken outside it:

* ``after_notebook`` (GradingExecute, after the notebook's box ended): measures the first
  hand-over with a NumPy forward pass of its own (``first_accuracy``, through the judges' bounded
  reader; a test keeps it equal to course.reference's); in the band, it starts a FRESH box, runs
  the preamble and the notebook's code cells above the accuracy cell silently (no grade cell),
  then ``kernel_code`` for each further seed, which rebuilds and trains with the student's
  functions and writes the weights in the box; the grader pulls exactly ``recheck_N.npz`` out
  (autograder/box/pull.py) into RECHECK_FOLDER beside the notebook, a folder no kernel ever
  could write, and writes the record (seeds, error) there itself. A ``recheck.json`` or
  ``recheck_N.npz`` the notebook wrote anywhere is never read.
* ``judge`` (JudgeAccuracy's ``judged`` in preprocessors/accuracy.py): when its own measure of the
  first hand-over is in the band, it measures the further weights with the grader's ``measure``
  and decides (``decide``); ``describe`` gives the sentence, in the student's language. A record
  whose seeds are not the assignment's, or a re-check with no record, changes nothing: the first
  verdict stands.

``Band``: where the re-check applies; its width comes from calibration.json, which
``python -m autograder.calibrate`` sets from the benchmark's spread.
"""

import json
import statistics
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .messages import say
from .seeding import OP_DETERMINISM, training_seed

FURTHER_SEEDS = 2
EPOCHS = 10  # the notebook's own call: train_model(model, train_images, train_labels, epochs=10)
from .paths import CALIBRATION  # noqa: E402 (one place for paths: autograder/paths.py)


@dataclass(frozen=True)
class Band:
    """Accuracies in [threshold - width, threshold) are re-checked."""
    threshold: float
    width: float

    def contains(self, accuracy):
        return accuracy is not None and self.threshold - self.width <= accuracy < self.threshold

    @classmethod
    def from_calibration(cls, path=CALIBRATION):
        data = json.loads(Path(path).read_text())
        return cls(float(data["threshold"]), float(data.get("borderline_band", 0.0)))


@dataclass
class Recheck:
    """The first accuracy, the further seeds' accuracies, and what was decided."""
    first: float
    threshold: float
    seeds: list = field(default_factory=list)
    accuracies: list = field(default_factory=list)
    error: str | None = None

    @property
    def mean(self):
        return statistics.fmean(self.accuracies) if self.accuracies else None

    @property
    def passed(self):
        return (self.error is None and len(self.accuracies) == len(self.seeds) > 0
                and self.mean >= self.threshold)

    def as_dict(self):
        return {**asdict(self), "mean": self.mean, "passed": self.passed}


def recheck_seeds(assignment, n=FURTHER_SEEDS):
    """``n`` further seeds, from the assignment's name only, none equal to the first seed."""
    first = training_seed(assignment)
    seeds = []
    i = 1
    while len(seeds) < n:
        seed = training_seed(f"{assignment}/recheck/{i}")
        if seed != first and seed not in seeds:
            seeds.append(seed)
        i += 1
    return seeds


def kernel_code(seed, path, lang="en", epochs=EPOCHS):
    """Python source for the student's kernel: the notebook's own steps once more (the data as the
    set-up cell loads it, the student's preprocess_images, build_model, compile_model and
    train_model) from ``seed``, then the trained weights written to ``path`` (a partial file
    renamed, as the first hand-over). Prints nothing of its own; leaves no name behind. The thread
    pools are the preamble's (autograder/seeding.py), set before the notebook's first cell."""
    determinism = ("\n    __import__('tensorflow').config.experimental.enable_op_determinism()"
                   if OP_DETERMINISM else "")
    return f'''def _autograder_recheck():
    import os
    import keras
    import numpy
    import fashion_mnist_student
    keras.utils.set_random_seed({int(seed)}){determinism}
    (images, labels), _ = fashion_mnist_student.load_data({lang!r})
    model = compile_model(build_model())
    train_model(model, preprocess_images(images), labels, epochs={int(epochs)})
    weights = model.get_weights()
    numpy.savez({str(path) + ".partial.npz"!r}, **{{f"w{{i}}": numpy.asarray(w) for i, w in enumerate(weights)}})
    os.replace({str(path) + ".partial.npz"!r}, {str(path)!r})
try:
    _autograder_recheck()
finally:
    del _autograder_recheck
'''


def decide(first, accuracies, threshold, seeds=None, error=None):
    return Recheck(first=first, threshold=threshold, seeds=list(seeds or range(len(accuracies))),
                   accuracies=list(accuracies), error=error)


RECORD = "recheck.json"
# beside the notebook, written by the grader only: the notebook's kernel works on a copy of the
# folder in its box and never could write here (GradingExecute empties it before the first cell)
RECHECK_FOLDER = ".autograder-recheck"
RECHECK_DIR = RECHECK_FOLDER
ERROR_KEEP = 300  # characters of a failed re-check's error shown to the student


def further_file(n):
    return f"recheck_{n}.npz"


def train_again(first, band, assignment, folder, run_in_kernel, lang="en", kernel_folder=None,
                collect=None):
    """In the band: train the student's functions again with each further seed
    (``run_in_kernel(source)`` raises on an error or a timeout), the weights written by the kernel
    to ``kernel_folder`` (as the kernel sees it; ``folder`` when None) and brought into ``folder``
    by ``collect(name)``; the grader records the seeds and the error that ended it, if any, in
    ``folder``/recheck.json. Returns that record, or None outside the band."""
    if not band.contains(first):
        return None
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    inside = Path(kernel_folder) if kernel_folder is not None else folder
    seeds, error = recheck_seeds(assignment), None
    for n, seed in enumerate(seeds, 1):
        (folder / further_file(n)).unlink(missing_ok=True)
        try:
            run_in_kernel(kernel_code(seed, inside / further_file(n), lang))
            if collect is not None and not collect(further_file(n)):
                raise RuntimeError("the re-check's weights could not be read from its box")
        except Exception as problem:  # the student's code failed or timed out, the kernel died
            error = (str(problem) or type(problem).__name__)[:ERROR_KEEP]
            break
    record = {"seeds": seeds, "error": error}
    (folder / RECORD).write_text(json.dumps(record), encoding="utf-8")
    return record


def judge(first, band, assignment, folder, measure):
    """The Recheck of a first accuracy ``first`` from what ``train_again`` left in ``folder``, or
    None (outside the band, or no valid record: the first verdict stands). ``measure(path)`` is
    the grader's accuracy of the weights in ``path``; it raises on a missing or malformed file."""
    if not band.contains(first):
        return None
    try:
        record = json.loads((Path(folder) / RECORD).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    seeds = recheck_seeds(assignment)
    if not isinstance(record, dict) or record.get("seeds") != seeds:
        return None
    error = record.get("error")
    error = str(error)[:ERROR_KEEP] if error is not None else None
    accuracies = []
    for n in range(1, len(seeds) + 1):
        if error is not None:
            break
        try:
            accuracies.append(measure(Path(folder) / further_file(n)))
        except Exception as problem:  # a missing or malformed hand-over: the first verdict stands
            error = (str(problem) or type(problem).__name__)[:ERROR_KEEP]
    return decide(first, accuracies, band.threshold, seeds, error)


def _figures(accuracies, lang):
    figures = [f"{a:.3f}" for a in accuracies]
    if len(figures) < 2:
        return "".join(figures)
    joiner = (" 和 ", "、") if lang == "zh" else (" and ", ", ")
    return joiner[1].join(figures[:-1]) + joiner[0] + figures[-1]


def describe(recheck, lang="en"):
    """The verdict's sentence: '0.836 on the first seed, 0.851 and 0.848 on two more: passed ...'."""
    values = {"first": recheck.first, "threshold": recheck.threshold, "n": len(recheck.seeds),
              "figures": _figures(recheck.accuracies, lang), "mean": recheck.mean or 0.0}
    if recheck.error is not None:
        return say("acc_recheck_error", lang, **values, error=recheck.error)
    return say("acc_recheck_passed" if recheck.passed else "acc_recheck_failed", lang, **values)


# --- in the grader: GradingExecute's hook after the notebook's last cell, JudgeAccuracy's verdict --

def first_accuracy(path):
    """The accuracy of the weights in ``path`` (course.reference.accuracy_of_weights: the lesson's
    model in NumPy, on the test set read once per process), or None for a missing, malformed or
    oversized file (read by the judges' bounded reader)."""
    from course.reference import accuracy_of_weights

    from .judges.handover import HandoverProblem, read_weights
    try:
        weights = read_weights(path)
    except HandoverProblem:
        return None
    return accuracy_of_weights(weights)


def kernel_runner(executor):
    """``run_in_kernel`` for a running nbclient executor (GradingExecute): the code runs silently,
    under the executor's per-cell timeout; an error or a timeout raises."""
    def run_in_kernel(source):
        reply = executor.wait_for_reply(executor.kc.execute(source, silent=True, store_history=False))
        if reply is None:
            raise TimeoutError(f"no reply within {executor.timeout} s")
        content = reply.get("content", {})
        if content.get("status") != "ok":
            raise RuntimeError(f"{content.get('ename', 'Error')}: {content.get('evalue', '')}")
    return run_in_kernel


def _accuracy_cell_index(nb):
    from .handover import GRADE_ID
    for index, cell in enumerate(nb.cells):
        if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == GRADE_ID:
            return index
    return None


def after_notebook(executor, folder, assignment, lang="en"):
    """GradingExecute's hook once the notebook's kernel ended: a near miss is trained again in a
    fresh kernel (in a fresh box), whose state is rebuilt from the notebook's code cells above
    the accuracy cell (no grade cell runs), into ``folder``/RECHECK_FOLDER."""
    from nbgrader import utils

    from .handover import HANDOVER
    band = Band.from_calibration()
    if band.width <= 0:
        return None
    folder = Path(folder).resolve()
    first = first_accuracy(folder / HANDOVER)  # about 0.3 s: the test set, one forward pass
    upto = _accuracy_cell_index(executor.nb)
    if not band.contains(first) or upto is None:
        return None
    target = folder / RECHECK_FOLDER
    inside = executor.recheck_folder_in_kernel()
    executor.km, executor.kc = None, None
    with executor.setup_kernel():
        run = kernel_runner(executor)
        executor.wait_for_reply(executor.kc.kernel_info())
        executor._run_silently(executor._preamble)
        for cell in executor.nb.cells[:upto]:
            if cell.cell_type == "code" and not utils.is_grade(cell):
                executor._run_silently(cell.source)
        run(f"__import__('os').makedirs({str(inside)!r}, exist_ok=True)")
        collect = (lambda name: executor.pull([name], str(inside), target)) if executor.boxed else None
        return train_again(first, band, assignment, target, run, lang, kernel_folder=inside, collect=collect)
