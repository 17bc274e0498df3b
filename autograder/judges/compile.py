"""compile_model: Adam's step, the loss the model reports, its accuracy metric.

The probe compiled a seeded model with the student's function, evaluated it on a seeded batch and
took one training step. Each judge checks one thing from that, so a wrong loss costs only the loss.
"""

import math

import numpy as np
from fashion_mnist_student.checks import ACCURACY_METRICS, LOSS_NAMES, loss_of, metric_names

from ..messages import say
from . import numpy_model
from .verdict import Failed, require


def _handover(handovers, grade_id, inputs, lang):
    """(hand-over, weights before the step, weights after it or None when the step failed). The
    weights before the step are the seeded ones the probe gave compile_model."""
    got = handovers.get(grade_id)
    before = [got.array(f"before{k}") for k in range(4)]
    after = None if got.get("train_error") else [got.array(f"after{k}") for k in range(4)]
    require(numpy_model.has_probe_shapes(before) and (after is None or numpy_model.has_probe_shapes(after)), "compile_changed_model", lang)
    given = inputs.weights("compile")
    require(all(np.allclose(b, g, atol=1e-6) for b, g in zip(before, given)), "compile_changed_model", lang)
    return got, before, after



def _batch(inputs):
    images = inputs.scaled_batch("compile", 32, 65)
    return images, inputs.labels("compile", len(images))


def optimizer(handovers, inputs, lang):
    got, before, after = _handover(handovers, "test_compile_model_optimizer", inputs, lang)
    name = got.get("optimizer")
    require(name == "Adam", "compile_optimizer", lang, found=name)
    if after is None:
        return  # the loss could not train (its own part fails); the optimizer is judged by its kind
    rate = (got.get("optimizer_config") or {}).get("learning_rate")
    rate = float(rate) if isinstance(rate, (int, float)) else math.nan
    moved = np.concatenate([np.abs(a.astype(np.float64) - b).ravel() for a, b in zip(after, before)])
    moved = moved[moved > 1e-9]
    # Adam's first step moves every weight with a clear gradient by the learning rate
    adam_like = rate > 0 and moved.size > 0 and moved.max() <= rate * 1.01 and np.median(moved) >= 0.5 * rate
    require(adam_like, "compile_optimizer_step", lang)


def loss(handovers, inputs, lang):
    got, before, _ = _handover(handovers, "test_compile_model_loss", inputs, lang)
    name, from_logits = loss_of(got.get("compile_config"))
    images, labels = _batch(inputs)
    want = numpy_model.cross_entropy(before, images, labels)
    if got.get("evaluate_error"):
        require(name in LOSS_NAMES, "compile_loss", lang, found=name)
        raise Failed(str(got.get("evaluate_error"))[:500])
    reported = (got.get("logs") or {}).get("loss")
    if isinstance(reported, (int, float)) and math.isclose(reported, want, rel_tol=1e-4, abs_tol=1e-5):
        return
    require(name in LOSS_NAMES, "compile_loss", lang, found=name)
    require(from_logits, "compile_logits", lang)
    raise Failed(say("compile_loss_value", lang, got=reported, want=round(want, 4)))


def metrics(handovers, inputs, lang):
    got, before, _ = _handover(handovers, "test_compile_model_metrics", inputs, lang)
    if got.get("evaluate_error"):  # the loss cannot run: judge the metric by its name only
        names = metric_names(got.get("compile_config"))
        require(set(names) & set(ACCURACY_METRICS), "compile_metrics", lang, found=names)
        return
    logs = got.get("logs") or {}
    names = [name for name in logs if name != "loss"]
    found = [name for name in names if name in ACCURACY_METRICS]
    require(found, "compile_metrics", lang, found=names)
    images, labels = _batch(inputs)
    want = numpy_model.accuracy(before, images, labels)
    value = logs[found[0]]
    require(isinstance(value, (int, float)) and abs(value - want) < 1e-6, "compile_metric_value", lang, got=value, want=want)
