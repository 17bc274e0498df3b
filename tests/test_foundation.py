"""The ground the course stands on: data on disk, class names, Chinese fonts, the two commands."""

import gzip
import os
import re
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

import course
from course import data

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def data_copy(tmp_path):
    """A private copy of the provisioned files, to damage without touching the real ones."""
    folder = tmp_path / "fashion-mnist"
    shutil.copytree(data.keras_dir(), folder)
    return folder


def test_provisioned_data_is_whole():
    arrays = data.verify()
    assert arrays["train-images-idx3-ubyte.gz"].shape == (60000, 28, 28)
    assert arrays["t10k-images-idx3-ubyte.gz"].shape == (10000, 28, 28)
    assert arrays["train-images-idx3-ubyte.gz"].dtype == np.uint8
    assert set(np.unique(arrays["train-labels-idx1-ubyte.gz"])) == set(range(10))


def test_missing_file_says_what_to_run(data_copy):
    (data_copy / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(data.DataError, match="missing.*make data"):
        data.verify(data_copy)


def test_truncated_file_is_reported_as_damaged(data_copy):
    path = data_copy / "train-images-idx3-ubyte.gz"
    path.write_bytes(path.read_bytes()[:100000])
    with pytest.raises(data.DataError, match="damaged.*make data"):
        data.verify(data_copy)


def test_changed_pixels_fail_the_checksum(data_copy):
    path = data_copy / "t10k-images-idx3-ubyte.gz"
    raw = bytearray(gzip.decompress(path.read_bytes()))
    raw[5000] ^= 0xFF
    path.write_bytes(gzip.compress(bytes(raw)))
    with pytest.raises(data.DataError, match="checksum"):
        data.verify(data_copy)


def test_labels_out_of_range_are_reported(data_copy):
    path = data_copy / "t10k-labels-idx1-ubyte.gz"
    raw = bytearray(gzip.decompress(path.read_bytes()))
    raw[8] = 12
    path.write_bytes(gzip.compress(bytes(raw)))
    with pytest.raises(data.DataError, match="0..9"):
        data.verify(data_copy)


def test_test_data_is_checked_without_the_training_files(data_copy, monkeypatch):
    """What the grader measures a model on: the two test files, checked; the training files are
    not read (one removed changes nothing), a damaged test file is still refused."""
    (data_copy / "train-images-idx3-ubyte.gz").unlink()
    home = data_copy.parent / "keras-home"
    (home / "datasets").mkdir(parents=True)
    shutil.move(str(data_copy), home / "datasets" / "fashion-mnist")
    monkeypatch.setenv("KERAS_HOME", str(home))
    images, labels = data.load_test_data()
    assert images.shape == (10000, 28, 28) and labels.shape == (10000,)
    with pytest.raises(data.DataError, match="missing"):
        data.load_data()
    path = data.keras_dir() / "t10k-labels-idx1-ubyte.gz"
    raw = bytearray(gzip.decompress(path.read_bytes()))
    raw[8] = 12
    path.write_bytes(gzip.compress(bytes(raw)))
    with pytest.raises(data.DataError, match="0..9"):
        data.load_test_data()


def _run(code_or_args, keras_home, **kw):
    env = dict(os.environ, KERAS_HOME=str(keras_home), TF_CPP_MIN_LOG_LEVEL="3")
    return subprocess.run([sys.executable, *code_or_args], env=env, capture_output=True,
                          text=True, timeout=300, **kw)


def test_cli_on_missing_data_prints_the_fix_not_a_traceback(tmp_path):
    result = _run(["-m", "course.data", "verify"], tmp_path)
    assert result.returncode == 1
    assert "make data" in result.stderr
    assert "Traceback" not in result.stderr


def _without_tf_settings():
    """This environment without the suite's TF_* settings, as a student's machine has it."""
    return {k: v for k, v in os.environ.items() if not k.startswith("TF_")}


@pytest.fixture(scope="module")
def first_cell(tmp_path_factory):
    """A student's first cell in a fresh interpreter, run once for the two tests below (TensorFlow's
    start costs 5 to 7 s of CPU): the student package, then TensorFlow, then the tutorial's own
    call to Keras, in a Keras home `course.data provision` filled, without the suite's TF_* settings."""
    home = tmp_path_factory.mktemp("keras-home")
    provided = _run(["-m", "course.data", "provision", "--from", str(data.keras_dir())], home)
    assert provided.returncode == 0, provided.stderr
    code = ("import fashion_mnist_student\n"
            "import tensorflow as tf\n"
            "print(tf.keras.datasets.fashion_mnist.load_data()[0][0].shape)\n")
    return subprocess.run([sys.executable, "-c", code], env={**_without_tf_settings(), "KERAS_HOME": str(home)},
                          capture_output=True, text=True, timeout=300)


def test_provision_then_the_tutorial_call_works_offline(first_cell):
    assert first_cell.stdout.strip().endswith("(60000, 28, 28)"), first_cell.stderr[-2000:]


def test_provision_refuses_to_copy_damaged_files(tmp_path, data_copy):
    path = data_copy / "train-labels-idx1-ubyte.gz"
    path.write_bytes(b"not gzip")
    result = _run(["-m", "course.data", "provision", "--from", str(data_copy)], tmp_path / "home")
    assert result.returncode == 1
    assert "damaged" in result.stderr
    assert not (tmp_path / "home" / "datasets" / "fashion-mnist" / "train-labels-idx1-ubyte.gz").exists()


def test_course_load_data_matches_keras():
    from keras.datasets import fashion_mnist
    (x, y), (tx, ty) = course.load_data()
    (kx, ky), (ktx, kty) = fashion_mnist.load_data()
    for ours, theirs in [(x, kx), (y, ky), (tx, ktx), (ty, kty)]:
        np.testing.assert_array_equal(ours, theirs)


def test_class_names_in_both_languages():
    en, zh = course.class_names("en"), course.class_names("zh")
    assert en == ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat',
                  'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot']
    assert len(zh) == 10 and len(set(zh)) == 10
    assert all(re.search(r"[\u4e00-\u9fff]", name) for name in zh)
    en.append("x")  # callers get a copy
    assert len(course.class_names("en")) == 10
    with pytest.raises(ValueError, match="en, zh"):
        course.class_names("fr")


def _render_chinese(setup):
    """Render the Chinese class names; return the warnings matplotlib raised (UserWarning, as for
    a missing glyph; not a ResourceWarning of an earlier test's garbage collected meanwhile)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    with matplotlib.rc_context():
        setup()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            fig, ax = plt.subplots()
            ax.set_xticks(range(10), course.class_names("zh"))
            ax.set_xlabel("运动鞋 87% (短靴)")
            fig.canvas.draw()
            plt.close(fig)
    return [str(w.message) for w in caught if issubclass(w.category, UserWarning)]


def test_chinese_renders_with_a_real_font():
    assert _render_chinese(lambda: course.setup_matplotlib("zh")) == []


def test_without_the_font_set_up_glyphs_go_missing():
    """The check above can fail: matplotlib's default font has no Chinese glyphs."""
    import matplotlib
    def default_font():
        matplotlib.rcParams["font.family"] = "sans-serif"
        matplotlib.rcParams["font.sans-serif"] = ["DejaVu Sans"]
    caught = _render_chinese(default_font)
    assert any("missing from font" in message for message in caught)


def _readme_commands(name):
    text = (ROOT / name).read_text(encoding="utf-8")
    block = re.search(r"<!-- commands -->\s*```(?:bash|sh)?\n(.*?)```", text, re.S)
    assert block, f"{name} has no marked block with the set-up and test commands"
    return [line.strip() for line in block.group(1).splitlines()
            if line.strip() and not line.strip().startswith("#")]


@pytest.mark.parametrize("readme", ["README.md", "README.zh-CN.md"])
def test_readme_commands_are_what_ci_runs(readme):
    commands = _readme_commands(readme)
    assert len(commands) == 2, commands
    ci = (ROOT / ".ci" / "run").read_text()
    ci_lines = [line.strip() for line in ci.splitlines()]
    for command in commands:
        assert command in ci_lines, f"{command!r} from {readme} is not run by .ci/run"


def test_tensorflow_starts_silently_after_the_course_package(first_cell):
    """A notebook imports the student package first; TensorFlow then writes nothing to stderr,
    which the kernel would show in red in the first cell of every page and notebook (TensorFlow
    2.21 logs 'oneDNN custom operations are on' through absl on CPUs with AVX-512 or AMX)."""
    assert first_cell.returncode == 0 and first_cell.stderr == "", first_cell.stderr[-2000:]
    seen = subprocess.run([sys.executable, "-c", "import os\nos.write(2, b'C++ log line')"], env=_without_tf_settings(),
                          capture_output=True, text=True, timeout=60)
    assert seen.stderr == "C++ log line"  # fd 2 is seen


def test_checked_files_are_decoded_once_per_process_and_again_when_they_change(data_copy, monkeypatch):
    """The set-up cell, the checks' examples and the probes read the same files: decoded and
    checked once (read-only arrays, shared), and again when a file changes."""
    from fashion_mnist_student import data as student_data
    decoded = []
    real = student_data._decode
    monkeypatch.setattr(student_data, "_decode", lambda path, kind: decoded.append(path.name) or real(path, kind))
    first = data.verify(data_copy, names=data.TEST_FILES)
    again = data.verify(data_copy, names=data.TEST_FILES)
    assert decoded == list(data.TEST_FILES)
    labels = again["t10k-labels-idx1-ubyte.gz"]
    assert labels is first["t10k-labels-idx1-ubyte.gz"] and not labels.flags.writeable
    with pytest.raises(ValueError):
        labels[0] = 3
    path = data_copy / "t10k-labels-idx1-ubyte.gz"
    raw = bytearray(gzip.decompress(path.read_bytes()))
    raw[8] = 12
    path.write_bytes(gzip.compress(bytes(raw)))
    with pytest.raises(data.DataError, match="0..9"):
        data.verify(data_copy, names=data.TEST_FILES)
    assert decoded[-1] == "t10k-labels-idx1-ubyte.gz" and len(decoded) == 3


def test_the_suites_kernels_get_one_thread_a_pool():
    """tests/conftest.py: what the suite starts without a box (a chapter in the student environment,
    `nbgrader validate`) inherits the threads the grader's boxes give (course/threads.py)."""
    from course.threads import thread_env
    for name, threads in thread_env().items():
        assert os.environ.get(name) == threads, (name, os.environ.get(name))


def unmet_pins(pins):
    """The pins (requirement lines; those whose marker applies here) that this environment does not
    hold, each as 'name: pinned, installed'."""
    from importlib import metadata
    from packaging.requirements import Requirement
    unmet = []
    for line in pins:
        pin = Requirement(line)
        if pin.marker is not None and not pin.marker.evaluate():
            continue
        try:
            installed = metadata.version(pin.name)
        except metadata.PackageNotFoundError:
            installed = None
        if installed is None or not pin.specifier.contains(installed, prereleases=True):
            unmet.append(f"{pin.name}: {pin.specifier}, {installed}")
    return unmet


def test_the_environment_holds_what_requirements_txt_pins():
    """Every machine grades with the same packages, ml-dtypes among them (0.7.0 would cost 0.75 s
    of CPU at every start of TensorFlow); a planted pin the environment does not hold is caught."""
    from autograder.hub.envs import grading_requirements   # requirements.txt's pins, read as the hub reads them
    assert unmet_pins(grading_requirements()) == []
    assert unmet_pins(["ml-dtypes==0.7.0", "not-a-package==1.0", "numpy==1.0; platform_system == 'Plan9'"]) == [
        "ml-dtypes: ==0.7.0, 0.6.0", "not-a-package: ==1.0, None"]


def heavy_top_level_imports(source, heavy=("keras", "tensorflow")):
    """Lines of a module's top level that import ``heavy`` packages: every pytest worker collects
    every test module, and importing Keras costs each of them 5 to 7 s of CPU."""
    import ast
    found = []
    for node in ast.parse(source).body:
        names = ([alias.name for alias in node.names] if isinstance(node, ast.Import)
                 else [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level else [])
        if any(name.split(".")[0] in heavy for name in names):
            found.append(node.lineno)
    return found


def test_collecting_the_tests_imports_no_keras():
    found = {path.name: lines for path in sorted((ROOT / "tests").glob("*.py"))
             if (lines := heavy_top_level_imports(path.read_text(encoding="utf-8")))}
    assert found == {}, found
    assert heavy_top_level_imports("import os\nimport keras\nfrom tensorflow import keras\n"
                                   "def f():\n    import keras\n") == [2, 3]
