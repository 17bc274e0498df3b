"""The borderline re-check: a near miss is trained again with further seeds before it loses points.

A correct submission's accuracy varies with the seed of its training (benchmarks/fairness.py
measured by how much). When the accuracy of the grader's first training falls in the band just
below the threshold, the grader trains the student's own functions again in the student's kernel,
after the notebook's last cell, with further seeds derived from the assignment (like the first
one: nothing the student controls), and decides on those:

* passed when the mean accuracy of the further seeds reaches the threshold (the first seed is
  left out of the mean: it was picked for being low, so it would drag the mean down);
* otherwise, or when a further training fails, the first verdict stands.

The pieces: ``Band`` (where the re-check applies; its width comes from calibration.json, which
``python -m autograder.calibrate`` sets from the benchmark's spread), ``recheck_seeds``,
``kernel_code`` (what runs in the kernel: rebuild, train, hand the weights over to a named file),
``decide`` and ``run`` (the loop, given a way to run code in the kernel and to measure a file),
and ``describe`` (the verdict's sentence, in the student's language). The weights are measured in
the grader's process (autograder.preprocessors.accuracy.measure), as the first hand-over is.
"""

import json
import statistics
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .messages import say
from .seeding import OP_DETERMINISM, training_seed

FURTHER_SEEDS = 2
EPOCHS = 10  # the notebook's own call: train_model(model, train_images, train_labels, epochs=10)
RESULT_KEY = "autograder_recheck"  # resources key: GradingExecute leaves the Recheck here
CALIBRATION = Path(__file__).with_name("calibration.json")


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


def run(first, band, assignment, folder, run_in_kernel, measure, lang="en"):
    """The re-check of a first accuracy ``first``, or None when it is not in ``band``.

    ``run_in_kernel(source)`` runs code in the student's kernel (raising on an error or a timeout);
    ``measure(path)`` is the grader's accuracy of the weights in ``path``, a file in ``folder``
    (best absolute: the kernel is told this path). A failing further training ends the re-check:
    the first verdict stands, with the reason kept."""
    if not band.contains(first):
        return None
    seeds, accuracies = recheck_seeds(assignment), []
    for n, seed in enumerate(seeds, 1):
        path = Path(folder) / f"recheck_{n}.weights.npz"
        path.unlink(missing_ok=True)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            run_in_kernel(kernel_code(seed, path, lang))
            accuracies.append(measure(path))
        except Exception as error:  # the student's code failed, timed out or handed over junk
            return decide(first, accuracies, band.threshold, seeds, error=f"{type(error).__name__}: {error}")
        finally:
            path.unlink(missing_ok=True)
    return decide(first, accuracies, band.threshold, seeds)


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


def after_last_cell(executor, resources, folder, assignment, lang="en"):
    """Measure the accuracy cell's hand-over; a near miss is trained again in the kernel still
    running, and the Recheck is left in ``resources`` for JudgeAccuracy (not in the notebook,
    where a submission could plant one)."""
    from .handover import HANDOVER, PROBE_FOLDER
    from .preprocessors.accuracy import HandoverError, measure
    resources.pop(RESULT_KEY, None)
    try:
        first = measure(Path(folder) / HANDOVER)
    except HandoverError:
        return None  # no model to re-check: JudgeAccuracy says why
    result = run(first, Band.from_calibration(), assignment, Path(folder).resolve() / PROBE_FOLDER,
                 kernel_runner(executor), measure, lang)
    if result is not None:
        resources[RESULT_KEY] = result.as_dict()
    return result


def judged(recheck, accuracy, lang="en"):
    """(error, note) of the accuracy cell after a re-check of ``accuracy`` (a dict from
    ``Recheck.as_dict``), or None when it is not this accuracy's re-check."""
    if not recheck or accuracy is None or abs(recheck.get("first", -1) - accuracy) > 1e-12:
        return None
    result = Recheck(**{name: recheck[name] for name in ("first", "threshold", "seeds", "accuracies", "error")})
    sentence = describe(result, lang)
    return (None, sentence) if result.passed else (sentence, None)
