"""The accuracy threshold: autograder/calibration.json, and the copy the student package carries.

The student package must not import the grader, so it reads its own copy
(fashion_mnist_student/threshold.json); ``python -m autograder.threshold`` rewrites that copy
from calibration.json (calibrate does it too) and a test fails when the two differ.
"""

import json
from pathlib import Path

from fashion_mnist_student.checks import THRESHOLD_FILE

from .paths import CALIBRATION  # one place for paths


def threshold():
    return json.loads(CALIBRATION.read_text(encoding="utf-8"))["threshold"]


def write_student_copy(path=THRESHOLD_FILE):
    Path(path).write_text(json.dumps({"threshold": threshold()}) + "\n", encoding="utf-8")
    return path


if __name__ == "__main__":
    print(write_student_copy())
