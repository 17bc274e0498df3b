"""Submissions made from the solution notebook, for the demo class and the test suite (one place):
a scratch nbgrader course, the release as a student who wrote the reference hands it in, cells
replaced by the book's chapter-12 mistakes, and the cells that skip the ten-epoch training."""

import os
import re
import shutil
import subprocess
import sys
from functools import lru_cache
from pathlib import Path

import nbformat

from .paths import ROOT  # one place for paths
NOTEBOOK = "fashion_mnist.ipynb"
ASSIGNMENTS = ("fashion_mnist_en", "fashion_mnist_zh")

# name: ({solution grade_id: wrong source}, grade cells expected to lose their points)
WRONG = {
    "no_scaling": (
        {"preprocess_images": "def preprocess_images(images):\n    return images"},
        {"test_preprocess_images_shape", "test_preprocess_images_range", "test_accuracy_threshold"}),
    "no_flatten": (
        {"build_model": "def build_model():\n    return keras.Sequential([keras.Input(shape=(28, 28)),\n"
                        "        keras.layers.Dense(128, activation='relu'), keras.layers.Dense(10)])"},
        {"test_build_model_output", "test_build_model_layers", "test_accuracy_predictions",
         "test_accuracy_threshold"}),
    "adma_typo": (
        {"compile_model": "def compile_model(model):\n    model.compile(optimizer='adma',\n"
                          "        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),\n"
                          "        metrics=['accuracy'])\n    return model"},
        {"test_compile_model_optimizer", "test_compile_model_loss", "test_compile_model_metrics",
         "test_accuracy_threshold"}),
    "tf1_optimizer": (
        {"compile_model": "def compile_model(model):\n    model.compile(optimizer=tf.train.AdamOptimizer(),\n"
                          "        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),\n"
                          "        metrics=['accuracy'])\n    return model"},
        {"test_compile_model_optimizer", "test_compile_model_loss", "test_compile_model_metrics",
         "test_accuracy_threshold"}),
    "ignores_epochs": (
        {"train_model": "def train_model(model, images, labels, epochs=10):\n"
                        "    return model.fit(images, labels, epochs=10)"},
        {"test_train_model_epochs"}),
    "no_softmax": (
        {"make_probability_model": "def make_probability_model(model):\n    return model"},
        {"test_make_probability_model_softmax"}),
    "swapped_colors": (
        {"plot_image": "def plot_image(i, predictions_array, true_label, img):\n"
                       "    plt.imshow(img[i], cmap=plt.cm.binary)\n"
                       "    p = np.argmax(predictions_array)\n"
                       "    color = 'red' if p == true_label[i] else 'blue'\n"
                       "    plt.xlabel('{} {:2.0f}% ({})'.format(class_names[p], 100*np.max(predictions_array),\n"
                       "               class_names[true_label[i]]), color=color)"},
        {"test_plot_image"}),
    "no_ylim": (
        {"plot_value_array": "def plot_value_array(i, predictions_array, true_label):\n"
                             "    bars = plt.bar(range(10), predictions_array, color='#777777')\n"
                             "    bars[np.argmax(predictions_array)].set_color('red')\n"
                             "    bars[true_label[i]].set_color('blue')"},
        {"test_plot_value_array"}),
}

# the reference solution written another way: the same model, other spellings
REWRITTEN = {
    "preprocess_images": "def preprocess_images(images):\n    scaled = np.asarray(images, dtype='float32')\n"
                         "    return scaled / 255",
    "build_model": "def build_model():\n    model = keras.Sequential()\n    model.add(keras.Input(shape=(28, 28)))\n"
                   "    model.add(keras.layers.Flatten())\n    model.add(keras.layers.Dense(128, activation='relu'))\n"
                   "    model.add(keras.layers.Dense(10))\n    return model",
    "compile_model": "def compile_model(model):\n    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)\n"
                     "    model.compile(optimizer=keras.optimizers.Adam(), loss=loss, metrics=['accuracy'])\n"
                     "    return model",
    "train_model": "def train_model(model, images, labels, epochs=10):\n"
                   "    history = model.fit(x=images, y=labels, epochs=epochs)\n    return history",
}


def nbgrader(*args, cwd, check=True, timeout=1800):
    # nbgrader runs `alembic` from PATH to create the gradebook: use this environment's
    bin_dir = str(Path(sys.executable).parent)
    env = dict(os.environ, PATH=bin_dir + os.pathsep + os.environ.get("PATH", ""))
    result = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=cwd, env=env,
                            capture_output=True, text=True, timeout=timeout)
    if check and result.returncode != 0:
        raise AssertionError(f"nbgrader {' '.join(args)} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return result


def make_course(where, assignments=ASSIGNMENTS):
    """A scratch course: this repo's nbgrader config and solutions, ``assignments`` generated."""
    where = Path(where)
    where.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "nbgrader_config.py", where)
    shutil.copytree(ROOT / "solutions", where / "solutions")
    for assignment in assignments:
        nbgrader("generate_assignment", assignment, "--force", cwd=where)
    return where


def release(lang):
    """The release notebook as given to students (every solution cell the stub)."""
    return nbformat.read(ROOT / "exercises" / f"fashion_mnist_{lang}" / NOTEBOOK, as_version=4)


def completed_release(lang, replacements=None):
    """The release notebook as a student hands it in who wrote the reference solution (solution
    cells from the source, markers removed), with ``replacements`` {grade_id: source} on top."""
    source = nbformat.read(ROOT / "solutions" / f"fashion_mnist_{lang}" / NOTEBOOK, as_version=4)
    answers = {c.metadata.nbgrader["grade_id"]: re.sub(r"[ \t]*### (BEGIN|END) SOLUTION\n?", "", c.source)
               for c in source.cells if c.metadata.get("nbgrader", {}).get("solution")}
    answers.update(replacements or {})
    nb = nbformat.read(ROOT / "exercises" / f"fashion_mnist_{lang}" / NOTEBOOK, as_version=4)
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in answers:
            cell.source = answers[grade_id]
    return nb


def grade_ids(nb):
    return [cell.metadata.get("nbgrader", {}).get("grade_id") for cell in nb.cells]


def with_cells_replaced(nb, replacements):
    nb = nbformat.from_dict(nb)
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in replacements:
            cell.source = replacements[grade_id]
    return nb


def prefixed(nb, grade_id, code):
    """``nb`` with ``code`` run at the top of one of its cells."""
    cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)
    return with_cells_replaced(nb, {grade_id: code + "\n" + cell.source})


def submit(course_dir, student, assignment, nb):
    folder = Path(course_dir) / "submitted" / student / assignment
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, folder / NOTEBOOK)
    if any(PRETRAINED in cell.source for cell in nb.cells):
        (folder / PRETRAINED).write_bytes(pretrained_weights())
    return folder


# --- submissions that skip the ten-epoch training ---------------------------------------------

PRETRAINED = "pretrained.weights.npz"
# cells a submission adds around the locked training cell (nbgrader restores locked cells, and
# keeps the cells a student adds): the training cell then fits 64 images, and once it has run
# the model takes the weights trained elsewhere
BEFORE_TRAINING = """# added: the next cell trains on 64 images, not 60,000
train_images, train_labels = train_images[:64], train_labels[:64]"""
AFTER_TRAINING = """# added: if the training cell ran, the model takes the weights trained once by the test suite
if "history" in dir():
    with np.load({path!r}) as saved:
        model.set_weights([saved[f"w{{i}}"] for i in range(len(saved.files))])"""


def trained_elsewhere(nb, path=PRETRAINED):
    """``nb`` with two cells added around its training cell: the training runs on 64 images, then
    (if it ran without error) the model takes the reference model's trained weights from ``path``.
    Every part is graded as before, the accuracy on the real test set included, in seconds
    instead of a minute of training. For the submissions whose test is not about what training
    from scratch gives (a submission that does not scale its images trains for real)."""
    from nbformat.v4 import new_code_cell
    nb = nbformat.from_dict(nb)
    at = grade_ids(nb).index("use_train")
    nb.cells[at:at + 1] = [new_code_cell(BEFORE_TRAINING), nb.cells[at],
                           new_code_cell(AFTER_TRAINING.format(path=str(path)))]
    return nb


@lru_cache(maxsize=1)
def pretrained_weights():
    """The bytes of the reference model's weights (np.savez, w0..w3), trained once per cache."""
    import io

    import numpy as np

    from course import reference
    buffer = io.BytesIO()
    np.savez(buffer, **{f"w{i}": w for i, w in enumerate(reference.trained_model().get_weights())})
    return buffer.getvalue()
