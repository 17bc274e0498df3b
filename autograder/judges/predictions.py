"""make_probability_model and the notebook's predictions."""

import numpy as np

from ..handover import GRADE_ID as ACCURACY_ID
from ..messages import say
from . import numpy_model
from .handover import HandoverProblem
from .verdict import Failed, require


def softmax(handovers, inputs, lang):
    """The probabilities are the softmax of the given model's logits, from a new model: the given
    one is left as it was (a Softmax added to it in place loses this part)."""
    images = inputs.scaled_batch("probability", 16, 33, spread=8.0)
    got = handovers.get("test_make_probability_model_softmax")
    probabilities = got.array("probabilities", np.float64)
    want = (len(images), 10)
    require(probabilities.shape == want, "prob_shape", lang, want=want, got=probabilities.shape)
    logits = numpy_model.logits(inputs.weights("probability"), images)
    low, high = float(probabilities.min()), float(probabilities.max())
    require(low >= 0 and high <= 1 + 1e-6, "prob_range", lang, low=low, high=high)
    sums = probabilities.sum(axis=1)
    worst = float(sums[np.argmax(np.abs(sums - 1))])
    require(np.all(np.abs(sums - 1) < 1e-5), "prob_sum", lang, total=worst)
    expected = numpy_model.softmax(logits)
    diff = float(np.abs(probabilities - expected).max())
    require(diff < 1e-4, "prob_softmax", lang, diff=diff)
    given_after = got.array("given_after", np.float64)
    left_alone = (got.get("same_model") is False and given_after.shape == logits.shape
                  and np.allclose(given_after, logits, atol=1e-4))
    require(left_alone, "prob_changed_model", lang)


def shape(handovers, inputs, lang):
    """One row of ten per test image, and (when the trained model was handed over) the rows
    are that model's predictions."""
    got = handovers.get("test_accuracy_predictions")
    shape_given = tuple(got.get("shape", []))
    require(shape_given == (10000, 10), "predictions_shape", lang, got=shape_given)
    predictions = got.array("predictions")
    require(predictions.shape == (10000, 10), "predictions_shape", lang, got=predictions.shape)
    try:
        model = handovers.get(ACCURACY_ID)
        weights = [model.array(f"w{k}") for k in range(4)]
    except HandoverProblem:
        return  # the accuracy cell says what went wrong with the model
    if not numpy_model.has_lesson_shapes(weights):
        return
    from course.reference import scaled_test_set
    images, _ = scaled_test_set()
    predicted = np.argmax(predictions, axis=1)
    # on the test images as the notebook preprocessed them: scaled, or (a part-1 mistake that
    # costs part 1) not scaled at all
    agree = 0.0
    for shown in (images, images * 255.0):  # the second forward pass only when the first disagrees
        agree = max(agree, float(np.mean(predicted == np.argmax(numpy_model.logits(weights, shown), axis=1))))
        if agree >= 0.99:
            return
    raise Failed(say("predictions_not_model", lang, share=round(agree, 3)))
