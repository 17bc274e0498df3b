"""Verdicts outside the kernel: what a submission can do to its hand-over buys no point.

Each test plants an attack on the kernel's side (a forged, missing, malformed or replayed
hand-over; NumPy, Keras, Matplotlib or builtins patched while the probes run; the course's code
imported by the student's cells) and shows the judges, which run with none of it, refuse it,
next to the honest solution passing the same judges.
"""

import builtins
import json
from pathlib import Path

import matplotlib
import numpy as np
import pytest
from fashion_mnist_student import probes
from fashion_mnist_student.probe_inputs import ProbeInputs, seed_of
from nbformat.v4 import new_code_cell, new_notebook

from autograder.handover import submission_seed
from autograder.judges import JUDGED_CELLS, judge_cell, judge_notebook
from autograder.judges.handover import Folder
from autograder.judges.static import forbidden_functions
from course import reference
from probe_judge import SEED, grade_id_of

matplotlib.use("Agg")

# probe name -> the arguments a correct notebook gives it
HONEST = {
    "preprocess_images_shape": (reference.preprocess_images,),
    "preprocess_images_range": (reference.preprocess_images,),
    "preprocess_images_input": (reference.preprocess_images,),
    "build_model_output": (reference.build_model,),
    "build_model_layers": (reference.build_model,),
    "compile_model_optimizer": (reference.compile_model,),
    "compile_model_loss": (reference.compile_model,),
    "compile_model_metrics": (reference.compile_model,),
    "train_model_epochs": (lambda m, x, y, epochs=10: m.fit(x, y, epochs=epochs, verbose=0),),
    "train_model_loss": (lambda m, x, y, epochs=10: m.fit(x, y, epochs=epochs, verbose=0),),
    "make_probability_model_softmax": (reference.make_probability_model,),
    "plot_image_label": (reference.plot_image,),
    "plot_value_array_bars": (reference.plot_value_array,),
}


@pytest.fixture(scope="module")
def honest_handover(tmp_path_factory):
    """Every probe run once on the reference solution, into one folder."""
    folder = tmp_path_factory.mktemp("honest")
    probes.configure(SEED, folder / probes.FOLDER)
    for name, args in HONEST.items():
        getattr(probes, name)(*args)
    probes.accuracy_predictions(np.full((10000, 10), 0.1))
    return folder


def _verdicts(folder, seed=SEED):
    handovers = Folder(folder)
    return {grade_id: judge_cell(grade_id, handovers, seed) for grade_id in JUDGED_CELLS}


def test_the_honest_hand_over_passes_every_judge(honest_handover):
    failed = {g: v.message for g, v in _verdicts(honest_handover).items() if not v.passed}
    assert not failed


def test_a_hand_over_replayed_from_another_submission_fails_every_judge(honest_handover):
    """Data computed for one seed (hard-coded into a notebook, or copied from a classmate) fails
    under another: the inputs differ."""
    other = seed_of("fashion_mnist_en", "someone else")
    passed = [g for g, v in _verdicts(honest_handover, seed=other).items() if v.passed]
    # the predictions are the notebook's own (checked against its own trained model, which this
    # fixture does not hand over): no input of the grader's goes into them
    assert passed == ["test_accuracy_predictions"], passed


def test_no_hand_over_fails_every_cell_with_a_message(tmp_path):
    verdicts = _verdicts(tmp_path)
    assert all(not v.passed and "received nothing from this test cell" in v.message for v in verdicts.values())


def test_hard_coded_hand_overs_fail(tmp_path):
    """A submission that patches the probes to write what a correct function would "look like"."""
    probes.configure(SEED, tmp_path / probes.FOLDER)
    zeros = [np.zeros(s, np.float32) for s in reference.WEIGHT_SHAPES]
    probes.hand_over("test_preprocess_images_shape", {"dtypes": ["float64"] * 3},
                     **{f"result{k}": np.zeros(s) for k, s in enumerate([(5, 28, 28), (1, 28, 28), (28, 28)])})
    probes.hand_over("test_build_model_output", {"names": ["sequential"]}, output=np.zeros((5, 10)))
    probes.hand_over("test_compile_model_loss", {"logs": {"loss": 2.3026, "accuracy": 0.1},
                                                 "compile_config": {"loss": {"class_name": "SparseCategoricalCrossentropy",
                                                                             "config": {"from_logits": True}}}},
                     **{f"before{k}": w for k, w in enumerate(zeros)}, **{f"after{k}": w for k, w in enumerate(zeros)})
    probes.hand_over("test_train_model_epochs", {"lengths": list(ProbeInputs(SEED).epochs)},
                     **{f"run{r}_{k}": w for r in (0, 1) for k, w in enumerate(zeros)})
    probes.hand_over("test_plot_value_array", {"drawn": [{"bars": [{"x": i, "height": 0.1, "colour": [1, 0, 0, 1]}
                                                                  for i in range(10)], "ylim": [0, 1]}] * 2})
    verdicts = _verdicts(tmp_path)
    for grade_id in ("test_preprocess_images_shape", "test_build_model_output", "test_compile_model_loss",
                     "test_train_model_epochs", "test_plot_value_array"):
        assert not verdicts[grade_id].passed, grade_id


def _narrow_model():
    import keras  # here, not at the top: collecting this module imports no Keras
    return keras.Sequential([keras.Input((28, 28)), keras.layers.Flatten(),
                             keras.layers.Dense(64, activation="relu"), keras.layers.Dense(10)])


WRONG = {  # a wrong function for each probe; the attack must not make it pass
    "preprocess_images_shape": (lambda images: images,),
    "preprocess_images_range": (lambda images: images.astype(float),),
    "build_model_layers": (_narrow_model,),
    "compile_model_loss": (lambda m: (m.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                                                metrics=["accuracy"]), m)[1],),
    "train_model_epochs": (lambda m, x, y, epochs=10: m.fit(x, y, epochs=1, verbose=0),),
    "make_probability_model_softmax": (lambda m: m,),
    "plot_value_array_bars": (lambda i, p, t: __import__("matplotlib.pyplot").pyplot.bar(range(10), p),),
}


def _patch_everything(monkeypatch):
    """What a submission can do to the libraries in its kernel."""
    import keras
    monkeypatch.setattr(np, "allclose", lambda *a, **k: True)
    monkeypatch.setattr(np, "array_equal", lambda *a, **k: True)
    monkeypatch.setattr(np.testing, "assert_allclose", lambda *a, **k: None)
    monkeypatch.setattr(builtins, "abs", lambda value: 0)
    monkeypatch.setattr(keras.Model, "evaluate", lambda self, *a, **k: {"loss": 0.0, "accuracy": 1.0})
    monkeypatch.setattr(matplotlib.axes.Axes, "get_ylim", lambda self: (0, 1))
    monkeypatch.setattr(probes, "preprocessed", lambda fn, images, lang="en": np.asarray(fn(images)))


@pytest.mark.parametrize("probe_name", sorted(WRONG))
def test_patching_numpy_keras_matplotlib_builtins_and_the_probes_buys_nothing(probe_name, tmp_path, monkeypatch):
    probes.configure(SEED, tmp_path / probes.FOLDER)
    with monkeypatch.context() as patched:
        _patch_everything(patched)
        try:
            getattr(probes, probe_name)(*WRONG[probe_name])
        except Exception:  # noqa: BLE001 (a probe the patches broke hands over nothing)
            pass
    assert builtins.abs(-1) == 1  # restored: the judges run with the real libraries, as in nbgrader
    verdict = judge_cell(grade_id_of(probe_name), Folder(tmp_path), SEED)
    assert not verdict.passed, probe_name


def _write(folder, grade_id, text=b"{}", arrays=b""):
    base = Path(folder) / probes.FOLDER
    base.mkdir(parents=True, exist_ok=True)
    (base / f"{grade_id}.json").write_bytes(text)
    (base / f"{grade_id}.npz").write_bytes(arrays)


@pytest.mark.parametrize("kind", ["pickle", "garbage", "json", "symlink", "huge"])
def test_a_malformed_hand_over_is_that_cells_failure_not_a_crash(kind, tmp_path):
    grade_id = "test_build_model_output"
    base = tmp_path / probes.FOLDER
    if kind == "pickle":  # an object array: loading it would run pickle
        base.mkdir()
        (base / f"{grade_id}.json").write_text("{}")
        np.savez(base / f"{grade_id}.npz", output=np.array([object()], dtype=object))
    elif kind == "garbage":
        _write(tmp_path, grade_id, arrays=b"PK\x03\x04 not a zip")
    elif kind == "json":
        _write(tmp_path, grade_id, text=b"{not json")
    elif kind == "symlink":
        base.mkdir()
        (base / f"{grade_id}.json").symlink_to("/etc/passwd")
        (base / f"{grade_id}.npz").symlink_to("/etc/passwd")
    else:
        _write(tmp_path, grade_id, text=b"[" + b"0," * 400_000 + b"0]")
    verdict = judge_cell(grade_id, Folder(tmp_path), SEED)
    assert not verdict.passed and verdict.message
    assert "could not be read" in verdict.message or "received nothing" in verdict.message


# --- the static check of the student's cells: a signal for the report, never a score ----------

CHEATS = {
    "import course": "from course.reference import build_model",
    "star import": "from course.reference import *\n\ndef build_model():\n    pass",
    "a helper": "def helper():\n    from course import reference\n    return reference\n\n"
                "def build_model():\n    return helper().build_model()",
    "the student package": "def build_model():\n    return fashion_mnist_student.examples.fresh_model()",
    "importlib": "def build_model():\n    import importlib\n    return importlib.import_module('course.reference').build_model()",
    "reading files": "def build_model():\n    exec(open('/x/course/reference.py').read())",
    "sys.modules": "def build_model():\n    import sys\n    return sys.modules['course.reference'].build_model()",
    "names from pieces": "import numpy as np\n\ndef build_model():\n    return getattr(np.load, '__glob' + 'als__')"
                         "['__builtins__']['__import__']('cou' + 'rse.reference').build_model()",
    "a magic": "%time R = __import__('course.reference')\n\ndef build_model():\n    return R.build_model()",
}
HONEST_CODE = [
    "def build_model():\n    '''Like the reference tutorial: Flatten and two Dense layers.'''\n"
    "    import tensorflow as tf\n    return tf.keras.Sequential([tf.keras.Input((28, 28)), tf.keras.layers.Flatten(),\n"
    "        tf.keras.layers.Dense(128, activation='relu'), tf.keras.layers.Dense(10)])",
    "import numpy as np\n\ndef preprocess_images(images):\n    return np.asarray(images) / 255.0",
]
# what honest students write (issue #23): none of it may cost a point or raise the signal
HONEST_EXTRAS = {
    "import time": "def train_model(model, images, labels, epochs=10):\n    import time\n    start = time.time()\n"
                   "    history = model.fit(images, labels, epochs=epochs)\n"
                   "    print('trained in', round(time.time() - start), 's, of course on the CPU')\n    return history",
    "import warnings": "import warnings\n\ndef train_model(model, images, labels, epochs=10):\n"
                       "    warnings.warn('training on the CPU')\n    return model.fit(images, labels, epochs=epochs)",
    "Counter": "import collections\n\ndef plot_value_array(i, predictions_array, true_label):\n"
               "    counts = collections.Counter(true_label)\n    return counts",
    "os.environ": "import os\nos.environ['TF_CPP_MIN_LOG_LEVEL'] = '2'\n\ndef build_model():\n    return None",
    "seaborn": "import seaborn as sns\nfrom IPython.display import display\n\ndef plot_image(i, p, t, img):\n"
               "    sns.set_theme()",
    "magics": "%time x = 1\n%%timeit\ndef preprocess_images(images):\n    return images / 255.0",
    "scratch": "import os\nfor i in os.listdir('.'):\n    print(i)\n\ndef plot_image(i, p, t, img):\n    pass",
}
GRADED = {"preprocess_images", "build_model", "compile_model", "train_model", "make_probability_model",
          "plot_image", "plot_value_array"}


@pytest.mark.parametrize("name", sorted(CHEATS))
def test_code_that_reaches_for_the_course_is_found(name):
    found = forbidden_functions([CHEATS[name]], {"build_model"})
    assert "build_model" in found, name


@pytest.mark.parametrize("name", sorted(HONEST_EXTRAS))
def test_honest_code_raises_no_signal(name):
    assert forbidden_functions([HONEST_EXTRAS[name]], GRADED) == {}, name


def test_names_from_a_forbidden_import_in_another_cell_are_followed():
    found = forbidden_functions(["import course.reference as R", "def build_model():\n    return R.build_model()",
                                 "def preprocess_images(images):\n    return images / 255.0"],
                                {"build_model", "preprocess_images"})
    assert set(found) == {"build_model"}


def test_honest_code_is_not_flagged():
    assert forbidden_functions(HONEST_CODE, {"build_model", "preprocess_images"}) == {}


def _tiny_notebook(build_model_source, extra_cells=()):
    cells = [new_code_cell('LANG = "en"', metadata={"nbgrader": {"locked": True, "grade_id": "setup",
                                                                  "solution": False, "grade": False}}),
             new_code_cell(build_model_source, metadata={"nbgrader": {"solution": True, "grade_id": "build_model"}}),
             *extra_cells,
             new_code_cell("probes.build_model_output(build_model)",
                           metadata={"nbgrader": {"grade": True, "grade_id": "test_build_model_output", "points": 2,
                                                  "locked": True}})]
    return new_notebook(cells=cells)


def test_the_static_check_is_a_signal_never_a_score(tmp_path):
    """Code that reached for the course keeps the points its hand-over earns (the box holds no
    course to reach): the finding is written into the cell's metadata for the class report."""
    nb = _tiny_notebook(CHEATS["a helper"])
    resources = {"metadata": {"path": str(tmp_path)}, "nbgrader": {"student": "s", "assignment": "fashion_mnist_en"}}
    probes.configure(submission_seed(nb, resources), tmp_path / probes.FOLDER)
    probes.build_model_output(reference.build_model)
    verdicts = judge_notebook(nb, resources)
    cell = nb.cells[-1]
    assert verdicts["test_build_model_output"].passed and cell.outputs == []
    assert cell.metadata["autograder"]["forbidden"] == "from course import reference"
    honest = _tiny_notebook(HONEST_CODE[0])
    probes.configure(submission_seed(honest, resources), tmp_path / probes.FOLDER)
    probes.build_model_output(reference.build_model)
    judge_notebook(honest, resources)
    assert honest.cells[-1].outputs == [] and "autograder" not in honest.cells[-1].metadata


def test_the_seed_follows_the_submission_and_only_it():
    nb = _tiny_notebook(HONEST_CODE[0])
    resources = {"nbgrader": {"student": "ana", "assignment": "fashion_mnist_en"}}
    seed = submission_seed(nb, resources)
    assert seed == submission_seed(_tiny_notebook(HONEST_CODE[0]), resources)   # a regrade
    assert seed != submission_seed(nb, {"nbgrader": {"student": "bo", "assignment": "fashion_mnist_en"}})
    assert seed != submission_seed(_tiny_notebook(HONEST_CODE[1]), resources)
    added = _tiny_notebook(HONEST_CODE[0], [new_code_cell("answers = [0.1] * 10")])  # an added cell
    assert seed != submission_seed(added, resources)
    locked = _tiny_notebook(HONEST_CODE[0])
    locked.cells[0].source = "LANG = 'zh'"  # a locked cell: restored from the source before grading
    assert seed == submission_seed(locked, resources)


def test_hand_over_is_json_and_arrays_only(honest_handover):
    for path in (honest_handover / probes.FOLDER).glob("*.json"):
        json.loads(path.read_text())
    for path in (honest_handover / probes.FOLDER).glob("*.npz"):
        with np.load(path, allow_pickle=False) as data:
            assert all(data[name].dtype.kind in "biuf" for name in data.files)


# --- the one bounded reader: every hand-over is small before it is read -------------------------

def _bomb(path, inflated=512 * 1024 ** 2, name="output"):
    """An .npz of one float32 member that deflates ``inflated`` bytes of zeros to a few MB (a
    plain np.load of it would allocate ``inflated`` bytes)."""
    import io
    import zipfile
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        with archive.open(f"{name}.npy", "w", force_zip64=True) as member:
            header = io.BytesIO()
            np.lib.format.write_array_header_2_0(header, {"descr": "<f4", "fortran_order": False,
                                                          "shape": (inflated // 4,)})
            member.write(header.getvalue())
            chunk = bytes(16 * 1024 ** 2)
            for _ in range(inflated // len(chunk)):
                member.write(chunk)
    return path


@pytest.fixture(scope="module")
def bomb(tmp_path_factory):
    path = _bomb(tmp_path_factory.mktemp("bomb") / "bomb.npz")
    assert path.stat().st_size < 16 * 1024 ** 2  # small on disk: only its headers give it away
    return path


def _planted(honest_handover, tmp_path, grade_id, plant):
    """A copy of the honest hand-over with ``plant(base, grade_id)`` done to one cell's files."""
    import shutil
    folder = tmp_path / "planted"
    shutil.copytree(honest_handover, folder)
    plant(folder / probes.FOLDER, grade_id)
    return folder


def _too_many(base, grade_id):
    np.savez(base / f"{grade_id}.npz", **{f"a{k}": np.zeros(1) for k in range(65)})


def _deep_json(base, grade_id):
    (base / f"{grade_id}.json").write_text("[" * 200_000 + "]" * 200_000)


def _strings(base, grade_id):
    np.savez(base / f"{grade_id}.npz", output=np.array(["0.1"] * 10))


def _lying_header(base, grade_id):
    """A member whose .npy header claims far more data than the member holds."""
    import io
    import zipfile
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "<f8", "fortran_order": False, "shape": (2 ** 40,)})
    with zipfile.ZipFile(base / f"{grade_id}.npz", "w") as archive:
        archive.writestr("output.npy", header.getvalue() + bytes(80))


PLANTS = {"too many arrays": _too_many, "deep JSON": _deep_json, "strings": _strings, "lying header": _lying_header}


@pytest.mark.parametrize("name", sorted(PLANTS))
def test_a_malformed_hand_over_fails_its_own_cell_only(name, honest_handover, tmp_path):
    grade_id = "test_build_model_output"
    folder = _planted(honest_handover, tmp_path, grade_id, PLANTS[name])
    verdicts = _verdicts(folder)
    assert not verdicts[grade_id].passed and "could not be read" in verdicts[grade_id].message, name
    others = {g for g, v in verdicts.items() if not v.passed} - {grade_id}
    assert not others, others


def test_the_plants_are_what_the_reader_refuses(tmp_path):
    """Each plant is refused by the check it names, not by chance: json.loads on the deep JSON
    hits the recursion limit, np.load reads the strings, and the honest bytes pass."""
    from autograder.judges.handover import HandoverProblem, read_arrays, read_json
    _deep_json(tmp_path, "x")
    with pytest.raises(RecursionError):
        json.loads((tmp_path / "x.json").read_text())
    with pytest.raises(HandoverProblem, match="nested"):
        read_json(tmp_path / "x.json")
    _strings(tmp_path, "x")
    assert np.load(tmp_path / "x.npz")["output"].dtype.kind == "U"
    with pytest.raises(HandoverProblem, match="not plain numbers"):
        read_arrays(tmp_path / "x.npz")
    np.savez(tmp_path / "y.npz", w=np.arange(6, dtype=np.float32).reshape(2, 3), f=np.asfortranarray(np.eye(3)))
    got = read_arrays(tmp_path / "y.npz", names=["w", "f"], shapes={"w": (2, 3)})
    assert np.array_equal(got["w"], np.arange(6).reshape(2, 3)) and np.array_equal(got["f"], np.eye(3))
    with pytest.raises(HandoverProblem, match=r"not \(3, 2\)"):
        read_arrays(tmp_path / "y.npz", shapes={"w": (3, 2)})


def test_a_deflate_bomb_fails_its_cell_and_the_accuracy(bomb, honest_handover, tmp_path):
    import shutil

    from autograder.preprocessors.accuracy import verdict
    grade_id = "test_build_model_output"
    folder = _planted(honest_handover, tmp_path, grade_id, lambda base, g: shutil.copy(bomb, base / f"{g}.npz"))
    failed = {g: v.message for g, v in _verdicts(folder).items() if not v.passed}
    assert list(failed) == [grade_id] and "once unpacked" in failed[grade_id]
    accuracy, error, _ = verdict(bomb, lang="zh")
    assert accuracy is None and "无法作为数据读取" in error and "解压后将占" in error  # Chinese throughout


def test_the_graders_memory_stays_small_judging_a_bomb(bomb, tmp_path):
    """Measured in a fresh process (its peak resident memory over its memory before, not time):
    judging the bomb (a few MB that inflate to 512 MB) as a hand-over and as the accuracy weights
    grows it by less than 100 MB, far under the 1 GB bar; a plain np.load of the same file (the
    reader this replaced) is the control that shows the measure can fail."""
    import shutil
    import subprocess
    import sys
    base = tmp_path / probes.FOLDER
    base.mkdir()
    (base / "test_build_model_output.json").write_text("{}")
    shutil.copy(bomb, base / "test_build_model_output.npz")
    measure = ("import sys\n"
               "from autograder.judges import judge_cell\n"
               "from autograder.judges.handover import Folder\n"
               "from autograder.preprocessors.accuracy import verdict\n"
               "import numpy as np\n"
               "def rss(key):\n"
               "    line = next(l for l in open('/proc/self/status') if l.startswith(key))\n"
               "    return int(line.split()[1])\n"
               "before = rss('VmRSS')\n"
               "if sys.argv[3] == 'reader':\n"
               "    assert not judge_cell('test_build_model_output', Folder(sys.argv[1]), 7).passed\n"
               "    assert verdict(sys.argv[2])[1]\n"
               "else:\n"
               "    np.load(sys.argv[2])['output']\n"
               "print((rss('VmHWM') - before) // 1024)\n")
    grown = {}
    for how in ("reader", "np.load"):
        done = subprocess.run([sys.executable, "-c", measure, str(tmp_path), str(bomb), how],
                              capture_output=True, text=True, cwd=Path(__file__).resolve().parents[1])
        assert done.returncode == 0, done.stderr[-2000:]
        grown[how] = int(done.stdout.split()[-1])  # MB
    assert grown["reader"] < 100, grown
    assert grown["np.load"] > 400, grown  # the control: without the bounds, hundreds of MB


def test_verdicts_hold_under_python_O(tmp_path):
    """``python -O`` strips assert statements: a NaN hand-over for test_build_model_output still
    fails there (the judges decide with explicit checks), while an assert would not fire."""
    import subprocess
    import sys
    probes.configure(SEED, tmp_path / probes.FOLDER)
    n = len(ProbeInputs(SEED).scaled_batch("model_output"))
    lesson = [list(shape) for shape in reference.WEIGHT_SHAPES]
    probes.hand_over("test_build_model_output", {"names": ["sequential"], "weight_shapes": lesson},
                     output=np.full((n, 10), np.nan))
    code = ("import sys\n"
            "from autograder.judges import judge_cell\n"
            "from autograder.judges.handover import Folder\n"
            f"v = judge_cell('test_build_model_output', Folder(sys.argv[1]), {SEED})\n"
            "assert False, 'asserts run'\n"
            "print('passed' if v.passed else 'failed: ' + v.message)\n")
    root = Path(__file__).resolve().parents[1]
    done = subprocess.run([sys.executable, "-O", "-c", code, str(tmp_path)], capture_output=True, text=True, cwd=root)
    assert done.returncode == 0, done.stderr[-2000:]  # the assert above was stripped
    assert done.stdout.startswith("failed: ") and "NaN" in done.stdout


def test_no_assert_decides_a_verdict():
    """The judges' and the accuracy verdict's modules hold no assert statement."""
    import ast
    root = Path(__file__).resolve().parents[1] / "autograder"
    found = [f"{path.name}:{node.lineno}" for path in [*sorted((root / "judges").glob("*.py")),
                                                        root / "preprocessors" / "accuracy.py", root / "handover.py"]
             for node in ast.walk(ast.parse(path.read_text())) if isinstance(node, ast.Assert)]
    assert not found, found


# --- the probe copies and caps what it writes --------------------------------------------------

def test_a_huge_view_is_refused_before_a_byte_is_written(tmp_path):
    probes.configure(SEED, tmp_path / probes.FOLDER)
    view = np.broadcast_to(np.float64(0.5), (2 ** 20, 2 ** 20))  # 8 TiB if copied; 8 bytes as a view
    with pytest.raises(AssertionError, match="too large"):
        probes.preprocess_images_range(lambda images: view)
    assert not (tmp_path / probes.FOLDER).exists() or not any((tmp_path / probes.FOLDER).iterdir())
    small = np.broadcast_to(np.float32(0.1), (3, 10))  # a view of an honest size is copied whole
    probes.hand_over("test_build_model_output", {}, output=small)
    with np.load(tmp_path / probes.FOLDER / "test_build_model_output.npz") as data:
        assert data["output"].shape == (3, 10) and np.allclose(data["output"], 0.1)


# --- make_probability_model leaves the model it was given as it was ---------------------------

def _softmax_in_place(model):
    import keras
    model.add(keras.layers.Softmax())
    return model


def _softmax_in_place_wrapped(model):
    import keras
    model.add(keras.layers.Softmax())
    return keras.Sequential([model])


@pytest.mark.parametrize("make", [_softmax_in_place, _softmax_in_place_wrapped])
def test_a_softmax_added_in_place_loses_its_part(make, tmp_path):
    probes.configure(SEED, tmp_path / probes.FOLDER)
    probes.make_probability_model_softmax(make)
    verdict = judge_cell("test_make_probability_model_softmax", Folder(tmp_path, "zh"), SEED, "zh")
    assert not verdict.passed and "改动了传入的模型" in verdict.message
    probes.make_probability_model_softmax(reference.make_probability_model)
    assert judge_cell("test_make_probability_model_softmax", Folder(tmp_path), SEED).passed


def _softmax_after_an_input(model):
    """An honest make_probability_model that names the input the lesson's model takes."""
    import keras
    return keras.Sequential([keras.Input(shape=(28, 28)), model, keras.layers.Softmax()])


def _softmax_functional(model):
    import keras
    inputs = keras.Input(shape=(28, 28))
    return keras.Model(inputs, keras.layers.Softmax()(model(inputs)))


@pytest.mark.parametrize("make", [reference.make_probability_model, _softmax_after_an_input, _softmax_functional])
def test_honest_probability_models_earn_their_part(make, tmp_path):
    """The probe model takes 28x28 images as the lesson's model does: a keras.Input(shape=(28, 28))
    in front of it, or the functional form, earns the part (it lost it when the probe model took
    flat images)."""
    probes.configure(SEED, tmp_path / probes.FOLDER)
    probes.make_probability_model_softmax(make)
    verdict = judge_cell("test_make_probability_model_softmax", Folder(tmp_path), SEED)
    assert verdict.passed, verdict.message


def test_a_softmax_in_place_after_an_input_still_loses_its_part(tmp_path):
    """The honest form's twin that changes the given model: a Softmax added to it in place, then
    an Input in front."""
    def in_place(model):
        import keras
        model.add(keras.layers.Softmax())
        return keras.Sequential([keras.Input(shape=(28, 28)), model])
    probes.configure(SEED, tmp_path / probes.FOLDER)
    probes.make_probability_model_softmax(in_place)
    verdict = judge_cell("test_make_probability_model_softmax", Folder(tmp_path), SEED)
    assert not verdict.passed and "changed the model it was given" in verdict.message, verdict.message


def _wrapped_probe_model():
    import keras
    from fashion_mnist_student import examples
    return keras.Sequential([keras.Input(shape=(28, 28)), examples.fresh_model()])


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_build_model_that_returns_the_student_packages_model_scores_nothing(lang, tmp_path):
    """The student package builds no answer: its model (the probe model), returned or wrapped,
    fails both build_model parts with a message that says so, and its compiled model fails
    compile_model's optimizer."""
    from fashion_mnist_student import examples
    from fashion_mnist_student.messages import say
    probes.configure(SEED, tmp_path / probes.FOLDER)
    for build in (examples.fresh_model, _wrapped_probe_model):
        for probe in ("build_model_output", "build_model_layers"):
            getattr(probes, probe)(build, lang=lang)
            verdict = judge_cell(grade_id_of(probe), Folder(tmp_path, lang), SEED, lang)
            assert not verdict.passed and verdict.message == say("model_is_probe", lang), (build, probe)
    probes.compile_model_optimizer(lambda model: examples.fresh_model(compiled=True))
    verdict = judge_cell("test_compile_model_optimizer", Folder(tmp_path), SEED)
    assert not verdict.passed
    for probe in ("build_model_output", "build_model_layers"):  # the control: the lesson's model passes
        getattr(probes, probe)(reference.build_model, lang=lang)
        assert judge_cell(grade_id_of(probe), Folder(tmp_path, lang), SEED, lang).passed


def _renamed_probe_model():
    """The probe model with its own name and its layers' names changed: only the shapes of its
    weights still say what it is."""
    from fashion_mnist_student import examples
    model = examples.fresh_model()
    for layer in [model, *model.layers]:
        layer.name = f"mine_{id(layer)}"
    return model


def test_a_renamed_probe_model_earns_no_output_point(tmp_path):
    from fashion_mnist_student.probe_inputs import is_probe_model

    from fashion_mnist_student.checks import model_names
    assert not is_probe_model(model_names(_renamed_probe_model()))   # the names no longer tell
    probes.configure(SEED, tmp_path / probes.FOLDER)
    probes.build_model_output(_renamed_probe_model)
    verdict = judge_cell("test_build_model_output", Folder(tmp_path), SEED)
    from fashion_mnist_student.messages import say
    assert not verdict.passed and verdict.message == say("model_is_probe", "en"), verdict.message
    probes.build_model_output(reference.build_model)   # the control: the lesson's model passes
    assert judge_cell("test_build_model_output", Folder(tmp_path), SEED).passed


def test_a_build_model_hand_over_without_names_is_malformed(tmp_path):
    """The names decide whether the model is the probe model: a hand-over without them (or with
    anything but a list of strings) fails its cell."""
    probes.configure(SEED, tmp_path / probes.FOLDER)
    probes.build_model_output(reference.build_model)
    folder = tmp_path / probes.FOLDER
    for names in (None, "fashion_mnist_probe_model", [1, 2]):
        data = {} if names is None else {"names": names}
        (folder / "test_build_model_output.json").write_text(json.dumps(data), encoding="utf-8")
        verdict = judge_cell("test_build_model_output", Folder(tmp_path), SEED)
        assert not verdict.passed and "could not be read as data" in verdict.message, names


# --- the grade cells' one table ------------------------------------------------------------------

def _grade_cells(lang):
    import re

    import nbformat
    root = Path(__file__).resolve().parents[1]
    nb = nbformat.read(root / "solutions" / f"fashion_mnist_{lang}" / "fashion_mnist.ipynb", as_version=4)
    return {c.metadata.nbgrader["grade_id"]: (c.metadata.nbgrader.get("points"), re.findall(r"probes\.(\w+)\(", c.source))
            for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")}


def _table():
    from fashion_mnist_student.cells import CELLS
    return {cell.grade_id: (cell.points, [cell.probe]) for cell in CELLS}


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_grade_cell_table_is_the_solution_notebooks(lang):
    """Ids, points and the probe each cell's hidden lines call, in both notebooks; every probed
    cell but the accuracy one has a judge (the registry refuses to load otherwise)."""
    from fashion_mnist_student.cells import ACCURACY_ID
    assert _table() == _grade_cells(lang)
    assert set(JUDGED_CELLS) == set(_table()) - {ACCURACY_ID}
    assert sum(points for points, _ in _table().values()) == 24


def test_the_table_check_can_fail(monkeypatch):
    from fashion_mnist_student import cells
    changed = cells.CELLS[:-1] + (cells.GradeCell("test_plot_value_array", "plot_value_array",
                                                  ("plot_value_array",), "plot_value_array_bars", 3),)
    monkeypatch.setattr(cells, "CELLS", changed)
    assert _table() != _grade_cells("en")


# --- the re-check's verdict reads only the grader's own folder, bounded ------------------------

def test_a_planted_recheck_is_never_read(tmp_path):
    """A recheck.json and its weights planted in the hand-over folder (where the notebook's code
    writes) change nothing; in the grader's folder, a record too deep to parse changes nothing; a
    well-formed record there is read (the control: its missing weights are the re-check's error)."""
    from autograder import recheck
    from autograder.preprocessors.accuracy import judged, recheck_folder
    first = recheck.Band.from_calibration().threshold - 0.001  # in the band
    record = json.dumps({"seeds": recheck.recheck_seeds("fashion_mnist_en"), "error": None})
    planted = tmp_path / probes.FOLDER
    planted.mkdir()
    (planted / recheck.RECORD).write_text(record)
    assert judged(tmp_path, first, "fashion_mnist_en") is None
    ours = recheck_folder(tmp_path)
    ours.mkdir()
    (ours / recheck.RECORD).write_text('{"seeds": ' + "[" * 5000 + "]" * 5000 + "}")
    assert judged(tmp_path, first, "fashion_mnist_en") is None
    (ours / recheck.RECORD).write_text(record)
    error, note, found = judged(tmp_path, first, "fashion_mnist_en", lang="zh")
    assert note is None and found["error"] and "没有收到训练好的模型" in error
