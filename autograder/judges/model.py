"""build_model: ten scores per image; the lesson's layers, with the output the weights compute.
Neither part is earned by the student package's probe model (examples.fresh_model), returned,
wrapped or renamed: the probes hand over the model's and its layers' names, and the shapes of its
weights (the layers part checks the weights themselves)."""

import numpy as np
from fashion_mnist_student.probe_inputs import is_probe_model

from ..messages import say
from . import numpy_model
from .verdict import Failed, require

EXPECTED = [("Flatten", None, None), ("Dense", 128, "relu"), ("Dense", 10, "linear")]


def _not_the_probe_model(handover, lang):
    names = handover.get("names")
    if not (isinstance(names, list) and all(isinstance(name, str) for name in names)):
        raise Failed(say("probe_malformed", lang, detail="names"))
    require(not is_probe_model(names), "model_is_probe", lang)


def _not_the_probe_models_weights(handover, lang):
    """The probe model's weights (784x96, 96, 96x10, 10), renamed or not, is the probe model."""
    shapes = handover.get("weight_shapes")
    if not (isinstance(shapes, list) and len(shapes) <= 16 and all(
            isinstance(shape, list) and len(shape) <= 4 and all(type(n) is int for n in shape) for shape in shapes)):
        raise Failed(say("probe_malformed", lang, detail="weight_shapes"))
    require(not numpy_model.are_probe_shapes(shapes), "model_is_probe", lang)


def output(handovers, inputs, lang):
    images = inputs.scaled_batch("model_output")
    handover = handovers.get("test_build_model_output")
    _not_the_probe_model(handover, lang)
    _not_the_probe_models_weights(handover, lang)
    got = handover.array("output")
    want = (len(images), 10)
    require(tuple(got.shape) == want, "model_output", lang, given=images.shape, want=want, got=tuple(got.shape))
    require(np.all(np.isfinite(got)), "model_not_finite", lang)


def _describe(layer):
    units, activation = layer.get("units"), layer.get("activation")
    inside = ", ".join(str(x) for x in (units, activation) if x is not None)
    return f"{layer.get('class')}({inside})" if inside else str(layer.get("class"))


def layers(handovers, inputs, lang):
    got = handovers.get("test_build_model_layers")
    _not_the_probe_model(got, lang)
    described = [layer for layer in got.get("layers", []) if isinstance(layer, dict)]
    last = described[-1] if described else {}
    if last.get("class") == "Dense" and last.get("activation") not in (None, "linear"):
        raise Failed(say("model_softmax", lang, activation=last.get("activation")))
    found = " -> ".join(_describe(layer) for layer in described) or "[]"
    require([(d.get("class"), d.get("units"), d.get("activation")) for d in described] == EXPECTED, "model_layers", lang, found=found)
    weights = [got.array(f"w{k}") for k in range(4)]
    require(numpy_model.has_lesson_shapes(weights), "model_layers", lang, found=found)
    images = inputs.scaled_batch("model_layers")
    scores = got.array("output")
    computed = numpy_model.logits(weights, images)
    require(scores.shape == computed.shape and np.allclose(scores, computed, atol=1e-4), "model_inconsistent", lang)
