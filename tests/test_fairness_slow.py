"""Fair accuracy points under the real `nbgrader autograde` and the course's config: a regrade
trains the same model, and a near miss is trained again (in a fresh box, after the notebook) before it loses
its points.

One scratch course, one autograde run of three submissions, then a regrade of one of them:
- ``twice``: the solution whose provided training cell fits the first 2,000 images (a thirtieth of
  the training, enough to show that an unseeded training differs; far below the threshold, so no
  re-check), graded twice: the same accuracy;
- ``near_correct``: the solution, with its trained model swapped for planted weights whose accuracy
  is just below the threshold (in the borderline band): the re-check trains the student's correct
  functions twice more, ten epochs on 60,000 images each, and passes it;
- ``near_weak``: the same planted first model, but a ``train_model`` that trains one epoch on 6,000
  images: the re-check trains that twice and fails it.
"""

import json
import shutil

import nbformat
import numpy as np
import pytest
from nbformat.v4 import new_code_cell

from notebooks import NOTEBOOK, grade_ids, make_course, nbgrader, pretrained_weights, scores, submit

pytestmark = pytest.mark.slow

ASSIGNMENT = "fashion_mnist_en"
SUBSET = """# added: the next cell trains on {n} images, not 60,000
train_images, train_labels = train_images[:{n}], train_labels[:{n}]"""
PLANT = """# added: the trained model takes planted weights, just below the threshold
with np.load({path!r}) as saved:
    model.set_weights([saved[f"w{{i}}"] for i in range(len(saved.files))])"""
WEAK_TRAIN = '''def train_model(model, images, labels, epochs=10):
    """Fit `model` for `epochs` epochs and return the History."""
    return model.fit(images[:6000], labels[:6000], epochs=1)'''


def planted_weights(path, target):
    """The reference model's trained weights with one class's bias lowered until the accuracy is
    ``target`` (±0.0005): a genuinely trained model, just worse."""
    import io

    from course import reference
    with np.load(io.BytesIO(pretrained_weights())) as saved:
        weights = [saved[f"w{i}"].copy() for i in range(4)]
    low, high = 0.0, 50.0
    for _ in range(40):
        shift = (low + high) / 2
        trial = [w.copy() for w in weights]
        trial[3][6] -= shift  # class 6 (shirt), the most confused class
        accuracy = reference.accuracy_of_weights(trial)
        if abs(accuracy - target) < 0.0005:
            break
        low, high = (shift, high) if accuracy > target else (low, shift)
    np.savez(path, **{f"w{i}": w for i, w in enumerate(trial)})
    return accuracy


def _around_training(nb, before=None, after=None):
    nb = nbformat.from_dict(nb)
    at = grade_ids(nb).index("use_train")
    nb.cells[at:at + 1] = ([new_code_cell(before)] if before else []) + [nb.cells[at]] + (
        [new_code_cell(after)] if after else [])
    return nb


def _accuracy_cell(course, student):
    nb = nbformat.read(course / "autograded" / student / ASSIGNMENT / NOTEBOOK, 4)
    return next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "test_accuracy_threshold")


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    from autograder.recheck import Band
    band = Band.from_calibration()
    assert band.width > 0, "calibration.json has no borderline band: run python -m autograder.calibrate"
    course = make_course(tmp_path_factory.mktemp("fair"))
    planted = course / "planted.weights.npz"
    first = planted_weights(planted, band.threshold - band.width / 2)
    assert band.contains(first)
    solution = nbformat.read(course / "solutions" / ASSIGNMENT / NOTEBOOK, 4)
    submit(course, "twice", ASSIGNMENT, _around_training(solution, before=SUBSET.format(n=2000)))
    # the kernel's box holds only the submission's folder: the planted weights are handed in with it
    near = _around_training(solution, before=SUBSET.format(n=64), after=PLANT.format(path=planted.name))
    submit(course, "near_correct", ASSIGNMENT, near)
    weak = nbformat.from_dict(near)
    for cell in weak.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "train_model":
            cell.source = WEAK_TRAIN
    submit(course, "near_weak", ASSIGNMENT, weak)
    for student in ("near_correct", "near_weak"):
        shutil.copy(planted, course / "submitted" / student / ASSIGNMENT / planted.name)
    nbgrader("autograde", ASSIGNMENT, cwd=course)
    first_grade = {student: _accuracy_cell(course, student) for student in ("twice", "near_correct", "near_weak")}
    return course, band, first, first_grade


def test_a_regrade_trains_the_same_model(course):
    course, _, _, first_grade = course
    before = first_grade["twice"].metadata["autograder"]["accuracy"]
    nbgrader("autograde", ASSIGNMENT, "--student", "twice", "--force", cwd=course)
    after = _accuracy_cell(course, "twice").metadata["autograder"]["accuracy"]
    assert isinstance(before, float) and 0.5 < before < 0.95
    assert after == before  # not to 1e-6: bit for bit


def test_the_recheck_passes_a_correct_near_miss(course):
    course, band, first, first_grade = course
    cell = first_grade["near_correct"]
    recheck = cell.metadata["autograder"]["recheck"]
    assert recheck["first"] == pytest.approx(first) and recheck["passed"], recheck
    assert len(recheck["accuracies"]) == 2 and min(recheck["accuracies"]) >= band.threshold - band.width
    assert scores(course, ASSIGNMENT)["near_correct"]["test_accuracy_threshold"] == (3.0, 3.0)
    text = "".join(o.get("text", "") for o in cell.outputs)
    assert f"{first:.3f} on the first seed" in text and ": passed, the threshold is" in text


def test_the_recheck_fails_a_weak_near_miss(course):
    course, band, first, first_grade = course
    cell = first_grade["near_weak"]
    recheck = cell.metadata["autograder"]["recheck"]
    assert not recheck["passed"] and recheck["mean"] < band.threshold and recheck["error"] is None, recheck
    assert scores(course, ASSIGNMENT)["near_weak"]["test_accuracy_threshold"] == (0.0, 3.0)
    error = next(o for o in cell.outputs if o.get("output_type") == "error")
    assert "not passed, at least" in error["evalue"]


def test_no_recheck_far_from_the_threshold(course):
    _, _, _, first_grade = course
    assert "recheck" not in first_grade["twice"].metadata["autograder"]
    assert json.dumps(first_grade["twice"].metadata["autograder"])  # plain data only
