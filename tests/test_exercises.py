"""The committed student notebooks come from `nbgrader generate_assignment`, hide what they must,
and the English and Chinese versions grade the same things."""

import ast
import inspect
import io
import re
import shutil
import textwrap
import tokenize

import nbformat
import pytest

from course import reference
from notebooks import NOTEBOOK, ROOT, leaks, nbgrader

LANGS = ("en", "zh")


def load(folder, lang, root=ROOT):
    return nbformat.read(root / folder / f"fashion_mnist_{lang}" / NOTEBOOK, as_version=4)


def nbgrader_cells(nb):
    return [cell for cell in nb.cells if "nbgrader" in cell.metadata]


def comparable(nb):
    """What generate_assignment decides: cell types, sources and nbgrader metadata."""
    return [(cell.cell_type, cell.source, cell.metadata.get("nbgrader")) for cell in nb.cells]


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory):
    course = tmp_path_factory.mktemp("regenerate")
    shutil.copy(ROOT / "nbgrader_config.py", course)
    shutil.copytree(ROOT / "solutions", course / "solutions")
    for lang in LANGS:
        nbgrader("generate_assignment", f"fashion_mnist_{lang}", "--force", cwd=course)
    return course


@pytest.mark.parametrize("lang", LANGS)
def test_committed_exercises_match_generate_assignment(regenerated, lang):
    fresh, committed = load("exercises", lang, regenerated), load("exercises", lang)
    assert comparable(committed) == comparable(fresh), (
        "exercises/ has drifted from solutions/: run `make exercises` and commit the result")


@pytest.mark.parametrize("lang", LANGS)
def test_release_folder_has_the_same_files(regenerated, lang):
    def files(root):
        folder = root / "exercises" / f"fashion_mnist_{lang}"
        return {path.name: path.read_bytes() for path in folder.iterdir() if path.suffix != ".ipynb"}
    assert files(ROOT) == files(regenerated)
    assert "timeout" in files(ROOT)["nbgrader_config.py"].decode()  # validate in the student's folder


def test_drift_check_can_fail(regenerated):
    nb = load("exercises", "en", regenerated)
    nb.cells[3].source += "\n# edited by hand"
    assert comparable(nb) != comparable(load("exercises", "en"))


@pytest.mark.parametrize("lang", LANGS)
def test_release_has_no_solutions_or_hidden_tests(lang):
    text = (ROOT / "exercises" / f"fashion_mnist_{lang}" / NOTEBOOK).read_text(encoding="utf-8")
    assert leaks(text, lang) == []


def test_leak_check_can_fail():
    text = (ROOT / "solutions" / "fashion_mnist_en" / NOTEBOOK).read_text(encoding="utf-8")
    found = leaks(text, "en")
    assert "BEGIN HIDDEN TESTS" in found and "probes.preprocess_images_range(preprocess_images, LANG)" in found
    assert "keras.layers.Dense(128, activation='relu')," in found


class _PrintedText(ast.NodeTransformer):
    """The text a print() call shows is in the notebook's language: only what it prints the
    values of (the expressions, an f-string's fields) must be the same in both."""

    def visit_Call(self, node):
        self.generic_visit(node)
        if isinstance(node.func, ast.Name) and node.func.id == "print":
            node.args = [self._values(arg) for arg in node.args]
        return node

    @staticmethod
    def _values(arg):
        if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
            return ast.Constant("<text>")
        if isinstance(arg, ast.JoinedStr):
            return ast.Tuple([part.value for part in arg.values if isinstance(part, ast.FormattedValue)], ast.Load())
        return arg


def _code_only(source):
    """Source without comments, docstrings and the text print() shows, so language-only
    differences disappear."""
    tree = _PrintedText().visit(ast.parse(source))
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.Module)) and node.body and isinstance(node.body[0], ast.Expr) \
                and isinstance(getattr(node.body[0], "value", None), ast.Constant) \
                and isinstance(node.body[0].value.value, str):
            node.body = node.body[1:] or [ast.Pass()]
    return ast.unparse(tree)


def _markers(source):
    """nbgrader's marker lines (### BEGIN HIDDEN TESTS ...), which _code_only drops with the comments."""
    return [line.strip() for line in source.splitlines() if line.strip().startswith("###")]


def twin_differences(en, zh):
    """Where two language versions of the assignment grade differently; empty when in step."""
    problems = []
    en_cells, zh_cells = nbgrader_cells(en), nbgrader_cells(zh)
    ids = [c.metadata.nbgrader["grade_id"] for c in en_cells]
    if ids != [c.metadata.nbgrader["grade_id"] for c in zh_cells]:
        return ["the nbgrader cells or their order differ"]
    for a, b in zip(en_cells, zh_cells):
        # checksums are of each language's own text; everything else must match
        meta_a, meta_b = ({k: v for k, v in c.metadata.nbgrader.items() if k != "checksum"}
                          for c in (a, b))
        if meta_a != meta_b:
            problems.append(f"{meta_a['grade_id']}: metadata differs")
        elif meta_a.get("grade") and (_code_only(a.source) != _code_only(b.source)
                                      or _markers(a.source) != _markers(b.source)):
            # the same code, the same hidden-test markers; only what print() shows may be translated
            problems.append(f"{meta_a['grade_id']}: test cell differs")
        elif a.cell_type == "code" and not meta_a.get("grade"):
            strip = lambda s: _code_only(s).replace("'zh'", "'en'")  # noqa: E731  LANG = "en"/"zh"
            if strip(a.source) != strip(b.source):
                problems.append(f"{meta_a['grade_id']}: code differs")
    return problems


@pytest.mark.parametrize("folder", ["solutions", "exercises"])
def test_english_and_chinese_grade_the_same_cells(folder):
    assert twin_differences(load(folder, "en"), load(folder, "zh")) == []


def test_twin_check_can_fail():
    en, zh = load("solutions", "en"), load("solutions", "zh")
    for cell in zh.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "test_plot_image":
            cell.source = cell.source.replace("plot_image_label", "plot_value_array_bars")
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "compile_model":
            cell.source = cell.source.replace("'adam'", "'sgd'")
    assert twin_differences(en, zh) == ["compile_model: code differs", "test_plot_image: test cell differs"]


def test_every_test_cell_is_named_after_what_it_grades():
    nb = load("solutions", "en")
    functions = {c.metadata.nbgrader["grade_id"] for c in nb.cells
                 if c.metadata.get("nbgrader", {}).get("solution")}
    tests = [c.metadata.nbgrader for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")]
    assert sum(t["points"] for t in tests) == 24
    for test in tests:
        assert test["grade_id"].startswith("test_accuracy") or any(
            test["grade_id"].startswith(f"test_{name}") for name in functions), test["grade_id"]


def _solution_body(source):
    match = re.search(r"### BEGIN SOLUTION\n(.*?)\n\s*### END SOLUTION", source, re.S)
    return textwrap.dedent(match.group(1)).strip()


@pytest.mark.parametrize("name", ["preprocess_images", "build_model", "compile_model",
                                  "train_model", "make_probability_model"])
def test_solution_is_the_reference_code(name):
    """The grader's fixtures and the book's cached model use course.reference: keep them equal."""
    cell = next(c for c in load("solutions", "en").cells
                if c.metadata.get("nbgrader", {}).get("grade_id") == name)
    body = textwrap.dedent(inspect.getsource(getattr(reference, name)).split(":\n", 1)[1])
    body = "\n".join(line for line in body.splitlines() if "import keras" not in line).strip()
    assert _solution_body(cell.source) == body


def test_twins_may_translate_what_print_shows_but_not_what_it_prints():
    assert _code_only("print(f'threshold: {t():.3f}')") == _code_only("print(f'门槛：{t():.3f}')")
    assert _code_only("print('Test accuracy:', acc)") == _code_only("print('测试准确率：', acc)")
    assert _code_only("print(f'threshold: {t()}')") != _code_only("print(f'门槛：{u()}')")
    assert _code_only("x = 'en'") != _code_only("x = '英'")  # other strings still count
    assert _markers("### BEGIN HIDDEN TESTS\nassert x\n") != _markers("assert x\n")
