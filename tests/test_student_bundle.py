"""What students get (issue #12): the student package, the zip per language, the visible checks.

The fast tests build the wheel and the zips, look inside them for anything of the grader, run the
visible test cells and the quick checks on right and wrong functions, and load the data from each
place it may be. The slow ones run `nbgrader validate` as a student would: on the completed notebook,
on one with a planted mistake, and in the student environment, made from the bundle's requirements.
"""

import contextlib
import io
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import numpy as np
import pytest

from autograder import bundle
from course import reference
from course.data import FILES, keras_dir
from fashion_mnist_student import checks, class_names, data, examples
from fashion_mnist_student.messages import MESSAGES, text
from notebooks import (NOTEBOOK, PRETRAINED, ROOT, completed_release, leaks, nbgrader, pretrained_weights,
                       trained_elsewhere)

LANGS = ("en", "zh")
REAL_DATA = keras_dir()  # the provisioned files, before a test points KERAS_HOME elsewhere
ADMA = {"compile_model": "def compile_model(model):\n    model.compile(optimizer='adma',\n"
                         "        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),\n"
                         "        metrics=['accuracy'])\n    return model"}


# --- the zip ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def zips(tmp_path_factory):
    """{lang: path of the zip}, plus "with-data" for the English one with the data."""
    out = tmp_path_factory.mktemp("bundles")
    wheel = bundle.build_wheel(out / "wheel")
    made = {lang: bundle.write_zip(out / f"fashion_mnist_{lang}.zip", f"fashion_mnist_{lang}",
                                   bundle.bundle_files(f"fashion_mnist_{lang}", wheel)) for lang in LANGS}
    made["with-data"] = bundle.write_zip(out / "fashion_mnist_en-with-data.zip", "fashion_mnist_en",
                                         bundle.bundle_files("fashion_mnist_en", wheel, with_data=True))
    return made


def zip_texts(path):
    """{name: text} of every text file in the zip and in the wheel inside it."""
    texts = {}
    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            raw = archive.read(name)
            if name.endswith(".whl"):
                with zipfile.ZipFile(io.BytesIO(raw)) as wheel:
                    texts.update({f"{name}!{inner}": wheel.read(inner).decode("utf-8")
                                  for inner in wheel.namelist()})
            elif not name.endswith(".gz"):
                texts[name] = raw.decode("utf-8")
    return texts


@pytest.mark.parametrize("lang", LANGS)
def test_zip_holds_what_a_student_needs_and_nothing_else(zips, lang):
    with zipfile.ZipFile(zips[lang]) as archive:
        names = sorted(archive.namelist())
    folder = f"fashion_mnist_{lang}/"
    assert names == sorted(folder + name for name in [
        NOTEBOOK, "README.md", "requirements.txt", "nbgrader_config.py",
        "fashion_mnist_student-0.1.0-py3-none-any.whl"])
    texts = zip_texts(zips[lang])
    assert texts[folder + NOTEBOOK] == (ROOT / "exercises" / f"fashion_mnist_{lang}" / NOTEBOOK).read_text()
    assert "c.Execute.timeout = 300" in texts[folder + "nbgrader_config.py"]
    packaged = {name.split("!", 1)[1].split("/")[0] for name in texts if "!" in name}
    assert packaged == {"fashion_mnist_student", "fashion_mnist_student-0.1.0.dist-info"}


def test_zip_with_data_holds_the_four_checked_files(zips):
    with zipfile.ZipFile(zips["with-data"]) as archive:
        for name in FILES:
            assert archive.read(f"fashion_mnist_en/{name}") == (keras_dir() / name).read_bytes()


@pytest.mark.parametrize("lang", LANGS)
def test_no_solution_or_hidden_test_in_any_file_of_the_zip(zips, lang):
    for name, content in zip_texts(zips[lang]).items():
        assert leaks(content, lang) == [], name


def test_zip_leak_check_can_fail(zips, tmp_path):
    """A wheel that carried the reference solution (course/reference.py) would be caught."""
    planted = tmp_path / "planted.zip"
    with zipfile.ZipFile(zips["en"]) as source, zipfile.ZipFile(planted, "w") as target:
        for name in source.namelist():
            raw = source.read(name)
            if name.endswith(".whl"):
                inner = io.BytesIO()
                with zipfile.ZipFile(io.BytesIO(raw)) as wheel, zipfile.ZipFile(inner, "w") as copy:
                    for member in wheel.namelist():
                        copy.writestr(member, wheel.read(member))
                    copy.writestr("fashion_mnist_student/reference.py",
                                  (ROOT / "course" / "reference.py").read_text())
                raw = inner.getvalue()
            target.writestr(name, raw)
    found = {name: leaks(content, "en") for name, content in zip_texts(planted).items()}
    assert any("keras.layers.Dense(128, activation='relu')," in found[name] for name in found)


def readme_problems(readme, requirements, lang):
    """What a bundle's README and requirements.txt get wrong; empty when right."""
    problems = []
    for needed in ("pip install -r requirements.txt", "python3 -m venv .venv", ".venv\\Scripts\\activate",
                   "nbgrader validate fashion_mnist.ipynb", "Restart", "fashion_mnist.ipynb"):
        if needed not in readme:
            problems.append(f"README lacks {needed!r}")
    for instructor_only in ("apt", "sudo", "make ", "autograder", "course."):
        if instructor_only in readme:
            problems.append(f"README names {instructor_only!r}")
    if (lang == "zh") != (len(re.findall(r"[\u4e00-\u9fff]", readme)) > 200):
        problems.append("README is not in the notebook's language")
    lines = [line for line in requirements.splitlines() if line and not line.startswith("#")]
    for needed in (r"^\./fashion_mnist_student-.*\.whl$", r"^nbgrader==", r"^jupyterlab==",
                   r"^tensorflow-cpu==.*platform_system == \"Linux\"$",
                   r"^tensorflow==.*platform_system != \"Linux\"$", r"^keras==", r"^ml-dtypes=="):
        if not any(re.search(needed, line) for line in lines):
            problems.append(f"requirements.txt has no line {needed}")
    if any(re.match(r"(autograder|fashion-mnist-course|jupyter-book|pytest|dask)\b", line) for line in lines):
        problems.append("requirements.txt installs the instructor's tools")
    return problems


@pytest.mark.parametrize("lang", LANGS)
def test_readme_and_requirements_are_the_student_path(zips, lang):
    texts = zip_texts(zips[lang])
    folder = f"fashion_mnist_{lang}/"
    assert readme_problems(texts[folder + "README.md"], texts[folder + "requirements.txt"], lang) == []


def test_readme_check_can_fail(zips):
    texts = zip_texts(zips["en"])
    readme, requirements = texts["fashion_mnist_en/README.md"], texts["fashion_mnist_en/requirements.txt"]
    assert readme_problems(readme, requirements, "zh") == ["README is not in the notebook's language"]
    assert readme_problems(readme.replace("pip install", "sudo apt-get install"),
                           requirements.replace("nbgrader==", "pytest=="), "en") == [
        "README lacks 'pip install -r requirements.txt'", "README names 'apt'", "README names 'sudo'",
        "requirements.txt has no line ^nbgrader==", "requirements.txt installs the instructor's tools"]


def test_wheel_carries_the_courses_threshold(zips):
    import json
    texts = zip_texts(zips["en"])
    [name] = [n for n in texts if n.endswith("fashion_mnist_student/threshold.json")]
    assert json.loads(texts[name]) == {"threshold": json.loads(
        (ROOT / "autograder" / "calibration.json").read_text())["threshold"]}


def test_bundle_command_refuses_an_unknown_language(tmp_path, capsys):
    assert bundle.main(["bundle", "fashion_mnist_fr", "--out", str(tmp_path)]) == 1
    assert "_en or _zh" in capsys.readouterr().err


# --- the notebooks' visible test cells ---------------------------------------------------------

def visible_parts(lang):
    nb = nbformat.read(ROOT / "solutions" / f"fashion_mnist_{lang}" / NOTEBOOK, as_version=4)
    return {c.metadata.nbgrader["grade_id"]: c.source.split("### BEGIN HIDDEN TESTS")[0]
            for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")}


def setup_cell(lang):
    nb = nbformat.read(ROOT / "solutions" / f"fashion_mnist_{lang}" / NOTEBOOK, as_version=4)
    return next(c.source for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "setup")


def course_imports(source):
    """The course's modules ``source`` imports."""
    return sorted(set(re.findall(r"^\s*(?:from|import)\s+(autograder|course|fashion_mnist_student)\b",
                                 source, re.M)))


@pytest.mark.parametrize("lang", LANGS)
def test_student_cells_import_only_the_student_package(lang):
    assert course_imports(setup_cell(lang)) == ["fashion_mnist_student"]
    for grade_id, visible in visible_parts(lang).items():
        assert course_imports(visible) == ["fashion_mnist_student"], grade_id


def test_import_check_can_fail():
    assert course_imports("from autograder import checks\nimport course\n") == ["autograder", "course"]


def run_visible(source, namespace):
    """Run ``source`` as a notebook cell: (its output value, stdout, stderr, error)."""
    from IPython.core.interactiveshell import InteractiveShell
    shell = InteractiveShell.instance(cache_size=0)  # no output cache: reset() skips its gc.collect(),
    shell.reset(new_session=False)                  # 0.2 s a cell with TensorFlow loaded
    shell.user_ns.update(namespace)
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        result = shell.run_cell(source, store_history=False)
    return result.result, out.getvalue(), err.getvalue(), result.error_in_exec


@pytest.fixture(scope="module")
def reference_namespace():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from tensorflow import keras
    functions = {name: getattr(reference, name) for name in
                 ("preprocess_images", "build_model", "compile_model", "make_probability_model",
                  "plot_image", "plot_value_array")}
    functions["train_model"] = lambda model, images, labels, epochs=10: model.fit(
        images, labels, epochs=epochs, verbose=0)
    return {**functions, "np": np, "plt": plt, "keras": keras, "class_names": class_names("en"),
            "predictions": np.full((10000, 10), 0.1), "model": reference.build_model()}


@pytest.mark.parametrize("lang", LANGS)
def test_visible_cells_show_no_value_and_no_stderr_for_correct_work(reference_namespace, lang):
    for grade_id, visible in visible_parts(lang).items():
        value, out, err, error = run_visible(visible, {**reference_namespace, "LANG": lang})
        assert error is None, (grade_id, error)
        assert value is None and err == "", (grade_id, value, err)
        from autograder.threshold import threshold
        stated = {"en": f"threshold: {threshold():.3f}\n", "zh": f"门槛：{threshold():.3f}\n"}[lang]
        assert out in ("", "(10000, 10)\n", stated), (grade_id, out)


def test_output_check_can_fail(reference_namespace):
    """The old visible line gave the array back: the cell's output value."""
    value, *_ = run_visible("from fashion_mnist_student import checks\n"
                            "checks.call(preprocess_images, checks.example_images(5), lang=LANG)",
                            {**reference_namespace, "LANG": "en"})
    assert isinstance(value, np.ndarray)


# --- the quick checks: silent when right, the fix in the first line when wrong -------------------

def quick_fails(check, function, lang):
    with pytest.raises(checks.CheckFailed) as caught:
        check(function, lang)
    lines = caught.value._render_traceback_()
    assert all(len(line) <= 80 for line in lines), lines
    return lines[0]


def _compile_with(logits_loss=False, **kwargs):
    """A compile_model that compiles with ``kwargs``, and with the from-logits loss if asked (built
    when it runs: collecting this module imports no Keras)."""
    def compile_model(model):
        model.compile(**kwargs, **({"loss": _logits_loss()} if logits_loss else {}))
        return model
    return compile_model


def _softmax_output():
    from tensorflow import keras
    return keras.Sequential([keras.Input((28, 28)), keras.layers.Flatten(),
                             keras.layers.Dense(128, activation="relu"),
                             keras.layers.Dense(10, activation="softmax")])


def _no_flatten():
    from tensorflow import keras
    return keras.Sequential([keras.Input((28, 28)), keras.layers.Dense(128, activation="relu"),
                             keras.layers.Dense(10)])


def _the_packages_model():
    """A build_model that returns the quick checks' own model (the student package's probe model)."""
    return examples.fresh_model()


PROBE_MODEL_HINT = {"en": "build_model returned the checks' example model",
                    "zh": "build_model 返回的是检查所用的示例模型"}


def _tf1(model):
    import tensorflow as tf
    model.compile(optimizer=tf.train.AdamOptimizer(), loss="sparse_categorical_crossentropy")
    return model


def _unwritten(*args, **kwargs):
    raise NotImplementedError()


def _logits_loss():
    import keras
    return keras.losses.SparseCategoricalCrossentropy(from_logits=True)


def _in_place(images):
    if images.dtype.kind == "f":
        images /= 255.0
        return images
    return images / 255.0


WRONG = {  # quick check: (the function it tries, [(a wrong version, {lang: its first line's start})])
    "quick_compile_model_optimizer": ("compile_model", [
        (_compile_with(optimizer="adma", loss="sparse_categorical_crossentropy"),
         {"en": "Keras does not know the optimizer 'adma': check the spelling, it is 'adam'.",
          "zh": "Keras 不认识优化器 'adma'：请检查拼写，应为 'adam'。"}),
        (_tf1, {"en": "Use optimizer='adam' (or keras.optimizers.Adam()): tf.train.AdamOptimizer",
                "zh": "请使用 optimizer='adam'（或 keras.optimizers.Adam()）"}),
        (lambda model: None, {"en": "compile_model must return the model it compiled",
                              "zh": "compile_model 应返回编译好的模型"}),
        (_compile_with(optimizer="sgd", logits_loss=True, metrics=["accuracy"]),
         {"en": "The optimizer must be Adam", "zh": "优化器应为 Adam"}),
    ]),
    # chapter 12: the plain sparse loss on a model that outputs logits
    "quick_compile_model_loss": ("compile_model", [
        (_compile_with(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"]),
         {"en": "The model outputs logits (Dense(10) with no activation), so the",
          "zh": "模型输出的是 logits"}),
    ]),
    "quick_compile_model_metrics": ("compile_model", [
        (_compile_with(optimizer="adam", logits_loss=True),
         {"en": "Accuracy must be tracked: pass metrics=['accuracy']", "zh": "需要跟踪准确率：请传入 metrics=['accuracy']"}),
    ]),
    "quick_build_model_layers": ("build_model", [
        (_softmax_output, {"en": "Remove the activation 'softmax' from the last Dense(10): the loss uses",
                           "zh": "请去掉最后一层 Dense(10) 的 'softmax' 激活函数"}),
        (_the_packages_model, PROBE_MODEL_HINT),
    ]),
    "quick_build_model_output": ("build_model", [
        (_no_flatten, {"en": "Flatten the 28x28 image first and end with Dense(10)",
                       "zh": "请先用 Flatten 展平 28x28 的图像"}),
        (_unwritten, {"en": "build_model is not written yet: replace `raise NotImplementedError()`",
                      "zh": "build_model 还没有实现"}),
        (_the_packages_model, PROBE_MODEL_HINT),
    ]),
    "quick_preprocess_images_shape": ("preprocess_images", [
        (lambda images: list(images), {"en": "preprocess_images must return a NumPy array, it returned list",
                                       "zh": "preprocess_images 应返回 NumPy 数组，实际返回的是 list"}),
        # chapter 12: integer division keeps integers (0 and 1)
        (lambda images: images // 255, {"en": "preprocess_images must return floating-point values, got dtype uint8",
                                        "zh": "preprocess_images 应返回浮点数，实际的 dtype 是 uint8"}),
    ]),
    # chapter 12: the pixels left unscaled, or divided by the wrong number
    "quick_preprocess_images_range": ("preprocess_images", [
        (lambda images: images.astype(float), {"en": "Pixel values must be in [0, 1]; the largest was 255.0",
                                               "zh": "像素值应在 [0, 1] 之间；最大值是 255.0"}),
        (lambda images: images / 256.0, {"en": "255 must become 1.0 and 0 must stay 0.0",
                                         "zh": "255 应变成 1.0，0 应保持 0.0"}),
        (lambda images: (images // 255).astype(float), {"en": "255 must become 1.0 and 0 must stay 0.0; got 1.0 and 0.0",
                                                        "zh": "255 应变成 1.0，0 应保持 0.0"}),
    ]),
    "quick_preprocess_images_input": ("preprocess_images", [
        (_in_place, {"en": "preprocess_images changed the array it was given",
                     "zh": "preprocess_images 修改了传入的数组"}),
    ]),
    "quick_train_model_epochs": ("train_model", [
        (lambda model, images, labels, epochs=10: None,
         {"en": "train_model must return the History that model.fit returns",
          "zh": "train_model 应返回 model.fit 返回的 History 对象"}),
    ]),
    "quick_train_model_loss": ("train_model", [
        (_unwritten, {"en": "train_model is not written yet", "zh": "train_model 还没有实现"}),
    ]),
    "quick_make_probability_model": ("make_probability_model", [
        (lambda model: model, {"en": "Probabilities must lie in [0, 1]", "zh": "概率应在 [0, 1] 之间"}),
        (lambda model: __import__("keras").Sequential([model, __import__("keras").layers.Flatten(),
                                                       __import__("keras").layers.Dense(3)]),
         {"en": "The probability model must output shape (5, 10), it gave (5, 3).",
          "zh": "概率模型的输出形状应为 (5, 10)，实际是 (5, 3)。"}),
    ]),
    "quick_plot_image": ("plot_image", [
        (lambda i, predictions_array, true_label, img: undefined_name,  # noqa: F821
         {"en": "plot_image raised NameError", "zh": "plot_image 运行时出错：NameError"}),
    ]),
    "quick_plot_value_array": ("plot_value_array", [
        (_unwritten, {"en": "plot_value_array is not written yet", "zh": "plot_value_array 还没有实现"}),
    ]),
}


def test_every_quick_check_is_used_and_tested():
    used = set(re.findall(r"checks\.(quick_\w+)", "".join(visible_parts("en").values())))
    defined = {name for name in dir(checks) if name.startswith("quick_")}
    assert used == defined == set(WRONG)


@pytest.mark.parametrize("quick", sorted(WRONG))
def test_quick_check_passes_the_reference_silently(reference_namespace, quick, capfd):
    function = reference_namespace[WRONG[quick][0]]
    assert getattr(checks, quick)(function, "en") is None
    captured = capfd.readouterr()
    assert captured.err == "" and captured.out == ""


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("quick", sorted(WRONG))
def test_quick_check_names_the_fix_first(quick, lang):
    for function, starts in WRONG[quick][1]:
        assert quick_fails(getattr(checks, quick), function, lang).startswith(starts[lang])


def test_the_two_quick_train_checks_share_one_run_of_train_model():
    """Both ask train_model for one epoch on the same examples: one call serves both (a trace and
    a fit saved per notebook); each still fails on its own terms, and a new function runs again."""
    calls = []

    def no_history(model, images, labels, epochs=10):
        calls.append(epochs)
        model.fit(images, labels, epochs=epochs, verbose=0)

    with pytest.raises(checks.CheckFailed, match="History"):
        checks.quick_train_model_epochs(no_history, "en")
    assert checks.quick_train_model_loss(no_history, "en") is None
    assert calls == [1]

    def crashes(model, images, labels, epochs=10):
        calls.append("crash")
        raise ValueError("no")

    for quick in (checks.quick_train_model_loss, checks.quick_train_model_epochs):
        with pytest.raises(checks.CheckFailed, match="ValueError"):
            quick(crashes, "en")
    assert calls == [1, "crash"]


def _softmax_after_an_input(model):
    import keras
    return keras.Sequential([keras.Input(shape=(28, 28)), model, keras.layers.Softmax()])


def _softmax_functional(model):
    import keras
    inputs = keras.Input(shape=(28, 28))
    return keras.Model(inputs, keras.layers.Softmax()(model(inputs)))


@pytest.mark.parametrize("make", [_softmax_after_an_input, _softmax_functional])
def test_honest_probability_models_pass_the_quick_check(make, capfd):
    """The checks' model takes 28x28 images as the lesson's does: an Input(shape=(28, 28)) in front
    of it, or the functional form, passes silently (both failed when it took flat images)."""
    assert checks.quick_make_probability_model(make, "en") is None
    captured = capfd.readouterr()
    assert captured.err == "" and captured.out == ""


def test_the_checks_model_takes_images_and_is_named_as_the_probe_model():
    """What the honest forms above rely on, and what the judges tell the package's model by."""
    from fashion_mnist_student.checks import model_names
    from fashion_mnist_student.probe_inputs import is_probe_model
    model = examples.fresh_model()
    assert tuple(model.input_shape) == (None, 28, 28)
    assert is_probe_model(model_names(model)) and not is_probe_model(model_names(reference.build_model()))


def stricter_than_hidden(cell, name, wrong, namespace):
    """Whether the visible part of ``cell`` fails ``wrong`` (as function ``name``) where the
    cell's hidden lines alone would pass it: points lost to the quick check alone."""
    import tempfile

    from fashion_mnist_student import probes

    from autograder.judges import JUDGED_CELLS, judge_cell
    from autograder.judges.handover import Folder
    namespace = {**namespace, name: wrong, "LANG": "en"}
    visible, hidden = cell.split("### BEGIN HIDDEN TESTS")
    if run_visible(visible, namespace)[3] is None:
        return False
    from fashion_mnist_student.cells import BY_PROBE
    grade_id = BY_PROBE[re.search(r"probes\.(\w+)\(", hidden).group(1)].grade_id
    with tempfile.TemporaryDirectory() as folder:
        probes.configure(7, Path(folder) / probes.FOLDER)
        if run_visible(hidden.replace("### END HIDDEN TESTS", ""), namespace)[3] is not None:
            return False
        return grade_id not in JUDGED_CELLS or judge_cell(grade_id, Folder(folder), 7).passed


def source_cells():
    nb = nbformat.read(ROOT / "solutions" / "fashion_mnist_en" / NOTEBOOK, as_version=4)
    return {c.metadata.nbgrader["grade_id"]: c.source for c in nb.cells
            if c.metadata.get("nbgrader", {}).get("grade")}


@pytest.mark.slow  # runs the hidden checks, which train
def test_no_quick_check_is_stricter_than_the_hidden_checks_of_its_cell(reference_namespace):
    """A failed cell scores 0: a quick check may only fail what the cell's hidden checks fail."""
    cells = source_cells()
    for name, variants in WRONG.values():
        for wrong, _ in variants:
            for grade_id, cell in cells.items():
                if f"({name}," in cell.split("### BEGIN HIDDEN TESTS")[0]:
                    assert not stricter_than_hidden(cell, name, wrong, reference_namespace), (grade_id, wrong)


def test_strictness_check_can_fail(reference_namespace):
    """The softmax hint in the output cell would cost a softmax model the output cell's points."""
    cell = source_cells()["test_build_model_output"].replace("quick_build_model_output", "quick_build_model_layers")
    assert stricter_than_hidden(cell, "build_model", _softmax_output, reference_namespace)


def test_quick_checks_and_hidden_checks_give_the_same_hint():
    from probe_judge import checks as hidden
    wrong = _compile_with(optimizer="adma", loss="sparse_categorical_crossentropy")
    with pytest.raises(AssertionError) as caught:
        hidden.compile_model_optimizer(wrong, lang="zh")
    assert str(caught.value) == quick_fails(checks.quick_compile_model_optimizer, wrong, "zh")
    unscaled = lambda images: images.astype(float)  # noqa: E731
    with pytest.raises(AssertionError) as caught:
        hidden.preprocess_images_range(unscaled, lang="en")
    assert str(caught.value).split(";")[0] == quick_fails(checks.quick_preprocess_images_range, unscaled, "en").split(";")[0]


def test_the_student_package_knows_nothing_of_the_grader():
    """No module of the student package imports the grader or the course: the hidden lines reach
    the probes only, and a name the package lacks is an ordinary AttributeError."""
    import ast
    package = Path(checks.__file__).parent
    imported = set()
    for path in package.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                imported |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                imported.add((node.module or "").split(".")[0])
            elif isinstance(node, ast.Constant) and isinstance(node.value, str) and "autograder" in node.value:
                imported.add("autograder")
    assert not imported & {"autograder", "course"}, imported
    with pytest.raises(AttributeError):
        checks.preprocess_images_shape  # noqa: B018 (the old fall-through to the grader)
    assert "autograder" in {n.split(".")[0] for n in ["autograder.judges"]}  # the check sees a name


def layer_configs(model):
    """(layer type, config without names) of each layer: what two models share when equal."""
    def unnamed(config):
        return {k: unnamed(v) if isinstance(v, dict) else v for k, v in config.items() if k != "name"}
    return [(type(layer).__name__, unnamed(layer.get_config())) for layer in model.layers]


def compile_summary(model):
    config = model.get_compile_config()
    return type(model.optimizer).__name__, config["loss"]["class_name"], \
        config["loss"]["config"]["from_logits"], config["metrics"]


def _lessons_models(monkeypatch=None):
    """Every function of the student package that runs without arguments (and with compiled=True
    where it takes it), called: the names of those that return the lesson's model (its layers, or
    compiled as the lesson says). load_data and the timed call are left out (a download, a wrapper)."""
    import importlib
    import inspect

    import keras
    lesson = reference.compile_model(reference.build_model())
    package = Path(checks.__file__).parent
    found = []
    for path in sorted(package.glob("*.py")):
        module = importlib.import_module(f"fashion_mnist_student.{path.stem}")
        for name, function in vars(module).items():
            if not inspect.isfunction(function) or function.__module__ != module.__name__:
                continue
            if name in {"load_data", "call", "keras_dir", "setup_matplotlib", "example_data", "_training_subset"}:
                continue
            parameters = inspect.signature(function).parameters.values()
            if any(p.default is p.empty and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD) for p in parameters):
                continue
            calls = [{}] + ([{"compiled": True}] if "compiled" in inspect.signature(function).parameters else [])
            for kwargs in calls:
                try:
                    result = function(**kwargs)
                except Exception:  # noqa: BLE001 (a function that needs more than nothing builds no model)
                    continue
                if not isinstance(result, keras.Model):
                    continue
                if layer_configs(result) == layer_configs(lesson) or (
                        result.compiled and compile_summary(result) == compile_summary(lesson)):
                    found.append(f"{path.stem}.{name}")
    return found


def test_no_student_package_function_returns_the_lessons_model():
    """The kernel imports the student package: nothing in it may build the answer (issue #23). The
    quick checks' and probes' model is a probe model of another width and optimizer, named as the
    probe model, so a build_model that returns it fails both build_model parts
    (tests/test_judges.py)."""
    assert examples.fresh_model() is not None
    assert _lessons_models() == []


def test_the_lessons_model_check_can_fail(monkeypatch):
    def fresh_model(compiled=False):  # the package as it was before issue #23
        return reference.compile_model(reference.build_model()) if compiled else reference.build_model()
    fresh_model.__module__ = examples.__name__
    monkeypatch.setattr(examples, "fresh_model", fresh_model)
    assert "examples.fresh_model" in _lessons_models()


# --- the data: beside the notebook, Keras' cache, Keras' download ------------------------------

@pytest.fixture
def nowhere(tmp_path, monkeypatch):
    """A notebook folder without data, an empty Keras cache and no network."""
    notebook_dir = tmp_path / "notebook"
    notebook_dir.mkdir()
    monkeypatch.chdir(notebook_dir)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    from keras.datasets import fashion_mnist

    def offline():
        raise OSError("URL fetch failure: no network")
    monkeypatch.setattr(fashion_mnist, "load_data", offline)
    return notebook_dir


def test_data_beside_the_notebook_is_used_first(nowhere):
    for name in FILES:
        (nowhere / name).symlink_to(REAL_DATA / name)
    (train, train_labels), (test, test_labels) = data.load_data("en")
    assert train.shape == (60000, 28, 28) and test_labels.shape == (10000,)


def test_data_from_the_keras_cache(nowhere, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(REAL_DATA.parents[1]))
    (train, _), _ = data.load_data("zh")
    assert train.shape == (60000, 28, 28)


@pytest.mark.parametrize("lang", LANGS)
def test_no_data_and_no_network_says_what_to_do(nowhere, lang):
    with pytest.raises(data.DataError) as caught:
        data.load_data(lang)
    first = caught.value._render_traceback_()[0]
    assert first.startswith(text(MESSAGES["data_none"], lang)[:40]), first
    assert "OSError: URL fetch failure" in str(caught.value)


@pytest.mark.parametrize("lang", LANGS)
def test_damaged_data_beside_the_notebook_says_what_to_do(nowhere, lang):
    for name in FILES:
        shutil.copy(REAL_DATA / name, nowhere / name)
    (nowhere / "t10k-labels-idx1-ubyte.gz").write_bytes(b"not gzip")
    with pytest.raises(data.DataError) as caught:
        data.load_data(lang)
    assert str(caught.value).startswith(data.say("data_fix_beside", lang))
    assert "t10k-labels-idx1-ubyte.gz" in str(caught.value)


# --- nbgrader validate, as a student runs it (slow) ---------------------------------------------

def validate(folder, nb, python=None, env=None):
    """Write ``nb`` into ``folder`` with the release's nbgrader_config.py; run validate there."""
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, folder / NOTEBOOK)
    if any(PRETRAINED in cell.source for cell in nb.cells):
        (folder / PRETRAINED).write_bytes(pretrained_weights())
    shutil.copy(ROOT / "exercises" / "fashion_mnist_en" / "nbgrader_config.py", folder)
    if python is None:
        return nbgrader("validate", NOTEBOOK, cwd=folder, check=False)
    return subprocess.run([python, "-m", "nbgrader", "validate", NOTEBOOK], cwd=folder, env=env,
                          capture_output=True, text=True, timeout=1800)


def cell_errors(stdout):
    """validate's text for each failed cell, from 'The following cell failed' to the next one."""
    return [part.split("The error was:", 1)[1] for part in stdout.split("The following cell failed:")[1:]]


def assert_clean_success(result):
    output = result.stdout + result.stderr
    assert "Success! Your notebook passes all the tests." in result.stdout, output[-4000:]
    # nbgrader's own warnings (e.g. "Cell output is ..." for a test cell's value); the kernel's
    # notice that it talks to nbgrader over local TCP is not about the notebook
    warnings = [line for line in output.splitlines() if ("WARNING" in line or "Cell output is" in line)
                and "Kernel is running over TCP without encryption" not in line]
    assert warnings == [], output[-4000:]


@pytest.mark.slow
def test_validate_passes_the_completed_chinese_notebook_without_warnings(tmp_path):
    # the weights trained elsewhere: the English student-env test below trains for real
    assert_clean_success(validate(tmp_path / "zh", trained_elsewhere(completed_release("zh"))))


@pytest.mark.slow
@pytest.mark.parametrize("lang", LANGS)
def test_validate_shows_the_adma_hint_first(tmp_path, lang):
    result = validate(tmp_path / lang, completed_release(lang, ADMA))
    assert "VALIDATION FAILED" in result.stdout, result.stdout[-3000:]
    hint = text(MESSAGES["compile_adma"], lang).format(spelled="adma")
    failed = [error for error in cell_errors(result.stdout) if hint in error]
    assert len(failed) == 3, result.stdout[-6000:]  # the three compile_model test cells
    for error in failed:
        assert error.strip().splitlines()[0].strip() == hint


@pytest.fixture(scope="module")
def student_venv(zips, tmp_path_factory):
    """The student environment (autograder/student_env.py): a venv made from nothing but the English
    bundle, unzipped, with ``pip install -r requirements.txt`` in its folder, as its README says.
    Shared with the book's chapter runs and the hub (one environment, built once per requirements);
    this module's English zip is unzipped here for the work folder."""
    from autograder.student_env import student_env
    built = student_env()
    where = tmp_path_factory.mktemp("student")
    with zipfile.ZipFile(zips["en"]) as archive:
        archive.extractall(where)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["PATH"] = f"{built.bin}{os.pathsep}{env.get('PATH', '')}"
    return str(built.python), env, where / "fashion_mnist_en"


@pytest.mark.slow
def test_student_env_has_the_student_package_and_not_the_grader(student_venv):
    python, env, folder = student_venv
    for module, importable in [("fashion_mnist_student", True), ("autograder", False), ("course", False)]:
        result = subprocess.run([python, "-c", f"import {module}"], cwd=folder.parent, env=env,
                                capture_output=True, text=True, timeout=300)
        assert (result.returncode == 0) == importable, (module, result.stderr[-1000:])


@pytest.mark.slow
def test_student_env_validates_the_completed_notebook(student_venv):
    python, env, folder = student_venv
    work = folder.parent / "work"
    shutil.copytree(folder, work)
    assert_clean_success(validate(work, completed_release("en"), python, env))
