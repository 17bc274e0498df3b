"""plot_image and plot_value_array, from what they drew on their own figures."""

import numpy as np
from fashion_mnist_student.classes import CLASS_NAMES
from matplotlib.colors import to_rgb

from ..messages import word
from .verdict import require


def _colour_name(rgba):
    if not rgba:
        return str(rgba)
    for name in ("blue", "red"):
        if np.allclose(rgba[:3], to_rgb(name)):
            return name
    return str(tuple(round(c, 3) for c in rgba[:3]))


def _drawn(handovers, grade_id):
    drawn = handovers.get(grade_id).get("drawn", [])
    return [d if isinstance(d, dict) else {} for d in drawn] + [{}] * (2 - len(drawn))


def image_label(handovers, inputs, lang):
    got = handovers.get("test_plot_image")
    drawn = _drawn(handovers, "test_plot_image")
    predictions, true_labels, images = inputs.plot_fixture
    names = CLASS_NAMES[lang]
    for i, verdict, colour in [(0, "right", "blue"), (1, "wrong", "red")]:
        require(drawn[i].get("images"), "plot_no_image", lang)
        shown = got.array(f"image{i}")
        require(shown.shape == images[i].shape and np.allclose(shown, images[i]), "plot_wrong_image", lang)
        predicted = int(np.argmax(predictions[i]))
        want = "{} {:2.0f}% ({})".format(names[predicted], 100 * np.max(predictions[i]), names[true_labels[i]])
        label = str(drawn[i].get("label", ""))
        require(" ".join(label.split()) == " ".join(want.split()), "plot_label", lang, want=want, got=label)
        got_colour = _colour_name(drawn[i].get("label_colour"))
        require(got_colour == colour, "plot_label_color", lang, want=word(colour, lang), verdict=word(verdict, lang), got=got_colour)


def value_array(handovers, inputs, lang):
    drawn = _drawn(handovers, "test_plot_value_array")
    predictions, true_labels, _ = inputs.plot_fixture
    for i in (0, 1):
        bars = sorted((b for b in drawn[i].get("bars", []) if isinstance(b, dict)), key=lambda b: b.get("x", 0))
        require(len(bars) == 10, "bars_count", lang, got=len(bars))
        heights = [b.get("height") for b in bars]
        require(np.allclose(np.asarray(heights, dtype=np.float64), predictions[i]), "bars_heights", lang)
        low, high = (drawn[i].get("ylim") or [None, None])[:2]
        require((low, high) == (0, 1), "bars_ylim", lang, low=low, high=high)
        predicted, true = int(np.argmax(predictions[i])), int(true_labels[i])
        for which, label, colour in [("predicted", predicted, "red"), ("true", true, "blue")]:
            if which == "predicted" and predicted == true:
                continue  # the true colour is drawn last and wins
            got = _colour_name(bars[label].get("colour"))
            require(got == colour, "bars_color", lang, which=word(which, lang), label=label, want=word(colour, lang), got=got)
