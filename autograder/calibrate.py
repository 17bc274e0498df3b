"""Calibrate the accuracy threshold: train the reference solution with several seeds, on this
machine, and set the threshold with a margin below the lowest accuracy.

    python -m autograder calibrate [--seeds 5]     (or python -m autograder.calibrate)

Writes autograder/calibration.json, which the accuracy check reads. Also records a clearly weaker
model (one epoch on 1,000 images) to show it falls below the threshold.
"""

import argparse
import json
import math
import platform
import time

import course  # noqa: F401  (quiets TensorFlow's C++ log before it loads)
from course import load_data, reference

from .threshold import CALIBRATION, write_student_copy

MARGIN = 0.02


def train_and_score(seed, n_train=None, epochs=10):
    import keras
    keras.utils.set_random_seed(seed)
    (images, labels), _ = load_data()
    if n_train:
        images, labels = images[:n_train], labels[:n_train]
    model = reference.compile_model(reference.build_model())
    start = time.perf_counter()
    model.fit(reference.preprocess_images(images), labels, epochs=epochs, verbose=0)
    # measured as the grader measures a submission (JudgeAccuracy): the same forward pass
    return reference.accuracy_of_weights(model.get_weights()), time.perf_counter() - start


def add_arguments(parser):
    parser.add_argument("--seeds", type=int, default=5, help="reference runs to train (default 5)")


def main(argv=None):
    """python -m autograder.calibrate [--seeds 5] (the same as python -m autograder calibrate)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_arguments(parser)
    return run(parser.parse_args(argv))


def run(args):
    runs = []
    for seed in range(args.seeds):
        accuracy, seconds = train_and_score(seed)
        runs.append({"seed": seed, "accuracy": round(accuracy, 4), "train_seconds": round(seconds, 1)})
        print(f"seed {seed}: test accuracy {accuracy:.4f} ({seconds:.0f} s)", flush=True)
    weak_accuracy, _ = train_and_score(0, n_train=1000, epochs=1)
    lowest = min(run["accuracy"] for run in runs)
    threshold = math.floor((lowest - MARGIN) * 100) / 100
    result = {
        "threshold": threshold,
        "rule": f"lowest reference accuracy minus {MARGIN}, rounded down to 0.01",
        "reference_runs": runs,
        "weaker_model": {"what": "same model, 1 epoch on the first 1,000 training images",
                         "accuracy": round(weak_accuracy, 4)},
        "machine": f"{platform.machine()}, {platform.python_version()}",
    }
    CALIBRATION.write_text(json.dumps(result, indent=2) + "\n")
    write_student_copy()  # the student package carries its own copy (it knows nothing of the grader)
    print(f"threshold {threshold:.2f} (lowest {lowest:.4f}); weaker model {weak_accuracy:.4f}")
    assert weak_accuracy < threshold, "the weaker model should fall below the threshold"


if __name__ == "__main__":
    main()
