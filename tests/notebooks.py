"""Helpers for tests that grade real notebooks: the submission generators (autograder/samples.py,
shared with the demo class), leaks of the hidden tests, and reading the gradebook."""

from pathlib import Path

import nbformat

from autograder.samples import (AFTER_TRAINING, BEFORE_TRAINING, NOTEBOOK, PRETRAINED, REWRITTEN,  # noqa: F401
                                ROOT, WRONG, completed_release, grade_ids, make_course, nbgrader,
                                prefixed, pretrained_weights, submit, trained_elsewhere,
                                with_cells_replaced)


SEVEN = ("preprocess_images", "build_model", "compile_model", "train_model", "make_probability_model",
         "plot_image", "plot_value_array")
# submissions that try to earn points they did not work for: {name: {solution grade_id: source}}
ATTACKS = {
    # each solution cell a one-line import of the reference solution (24/24 before issue #16)
    "importer": {name: f"from course.reference import {name}" for name in SEVEN},
    # the first function turns every probe off; the others are the release's stubs
    "patcher": {"preprocess_images": (
        "def preprocess_images(images):\n"
        "    import fashion_mnist_student.probes as p\n"
        "    for name in dir(p):\n"
        "        if not name.startswith('_'):\n"
        "            setattr(p, name, lambda *a, **k: None)\n"
        "    return images / 255.0"),
        **{name: f"def {name}(*args, **kwargs):\n    raise NotImplementedError()" for name in SEVEN[1:]}},
}
# honest code a denylist once cost points (issue #23: 19/24, 22/24, 17/24): one submission, 24/24
HONEST = {
    "build_model": "import os\nos.environ['TF_CPP_MIN_LOG_LEVEL'] = '2'\n\n"
                   "def build_model():\n    return keras.Sequential([keras.Input(shape=(28, 28)), keras.layers.Flatten(),\n"
                   "        keras.layers.Dense(128, activation='relu'), keras.layers.Dense(10)])",
    "train_model": "import warnings\n\ndef train_model(model, images, labels, epochs=10):\n    import time\n"
                   "    warnings.warn('training on the CPU: this takes a minute')\n    start = time.time()\n"
                   "    history = model.fit(images, labels, epochs=epochs)\n"
                   "    print(f'trained in {time.time() - start:.0f} s, of course on the CPU')\n    return history",
    "plot_value_array": "import collections\n\ndef plot_value_array(i, predictions_array, true_label):\n"
                        "    counts = collections.Counter(int(t) for t in true_label)  # the classes shown so far\n"
                        "    plt.grid(False)\n    plt.xticks(range(10))\n    plt.yticks([])\n"
                        "    thisplot = plt.bar(range(10), predictions_array, color='#777777')\n    plt.ylim([0, 1])\n"
                        "    thisplot[np.argmax(predictions_array)].set_color('red')\n"
                        "    thisplot[true_label[i]].set_color('blue')\n    return counts",
}
# the kernel dies in the last part: plot_value_array ends its own process whenever it is called
CRASH_LATE = {"plot_value_array": "def plot_value_array(i, predictions_array, true_label):\n"
                                  "    import os\n    os._exit(1)"}


# what must never reach a student: nbgrader's markers and the first hidden line of the accuracy cell
LEAK_MARKERS = ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "probes.hand_over_model")


def secret_lines(lang):
    """The solution lines and hidden-test lines of the source notebook, stripped; short ones that
    any code may contain (``return model``, ``else:``) left out."""
    import re
    nb = nbformat.read(ROOT / "solutions" / f"fashion_mnist_{lang}" / NOTEBOOK, as_version=4)
    found = set()
    for cell in nb.cells:
        for pattern in (r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", r"### BEGIN HIDDEN TESTS\n(.*?)### END HIDDEN TESTS"):
            for block in re.findall(pattern, cell.source, re.S):
                found |= {line.strip() for line in block.splitlines() if len(line.strip()) >= 16}
    return found


def leaks(text, lang):
    """What of the solution and the hidden tests ``text`` gives away: markers and whole lines."""
    lines = {line.strip() for line in text.splitlines()}
    # in a notebook's JSON each line is a string: "    return images / 255.0\n",
    lines |= {line.strip().strip(",").strip('"').replace("\\n", "").strip() for line in text.splitlines()}
    return sorted({m for m in LEAK_MARKERS if m in text} | (secret_lines(lang) & lines))


def scores(course_dir, assignment):
    """{student: {grade cell: (score, max_score)}} from the course's gradebook."""
    from nbgrader.api import Gradebook
    result = {}
    with Gradebook(f"sqlite:///{Path(course_dir) / 'gradebook.db'}") as gb:
        for submission in gb.assignment_submissions(assignment):
            notebook = submission.notebooks[0]
            result[submission.student_id] = {g.name: (g.score, g.max_score) for g in notebook.grades}
    return result


def failed(cells):
    return {name for name, (score, max_score) in cells.items() if score != max_score}
