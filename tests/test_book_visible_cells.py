"""Every code cell a reader sees is one a reader would write and can run with the student package.

A visible cell (any code cell not tagged remove-cell or remove-input: those are the build's own and
stay out of the chapter's notebook, book/_ext/chapter_notebooks.py) may not call ``glue`` (the build's
link from outputs to prose), import ``course`` (the course's own package, which students do not
have) or hold an ``assert`` (the build's guard of what the text says; a "predict, then run" cell
that asserts the answer gives it away). No build needed: the pages are read as jupytext reads them.
Also here: the chapter notebooks' conversion and the student package's cache helper.
"""

import ast
import json
import re
import sys
from pathlib import Path

import pytest

from book_site import MYST_HEADER

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "book" / "_ext"))
import chapter_notebooks as notebooks  # noqa: E402  (book/_ext/chapter_notebooks.py)

PAGES = sorted((ROOT / "book").glob("*/[ez][nh].md"))
_MAGIC = re.compile(r"^\s*[%!]")


def _is_course(module):
    return module == "course" or (module or "").startswith("course.")


def build_scaffolding(source):
    """What in one cell's code is the build's, not the reader's: ["glue", "import course", "assert"]."""
    code = "\n".join("" if _MAGIC.match(line) else line for line in source.splitlines())
    try:
        tree = ast.parse(code)
    except SyntaxError:  # a cell that shows a broken line on purpose (chapter 12): read the text
        found = []
        if re.search(r"\bglue\s*\(", code):
            found.append("glue")
        if re.search(r"^\s*(import|from)\s+course\b", code, re.M):
            found.append("import course")
        if re.search(r"^\s*assert\b", code, re.M):
            found.append("assert")
        return found
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", None)) == "glue":
            found.append("glue")
        elif isinstance(node, ast.Import) and any(_is_course(alias.name) for alias in node.names):
            found.append("import course")
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and _is_course(node.module):
            found.append("import course")
        elif isinstance(node, ast.Assert):
            found.append("assert")
    return found


def page_problems(path):
    problems = []
    for number, cell in enumerate(notebooks.reader_cells(path)):
        if cell.cell_type == "code":
            for what in build_scaffolding(cell.source):
                problems.append(f"{path.parent.name}/{path.name}, visible cell {number}: {what} "
                                f"(move it into a cell tagged remove-cell): {cell.source[:80]!r}")
    return problems


@pytest.mark.parametrize("page", PAGES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_visible_cells_hold_no_build_scaffolding(page):
    assert page_problems(page) == []


SCRATCH = MYST_HEADER + '''# Scratch

```{{code-cell}} ipython3
{visible}
```

```{{code-cell}} ipython3
:tags: [remove-cell]

from myst_nb import glue
import course.reference
glue("x", 1, display=False)
assert True
```

```{{code-cell}} ipython3
---
tags: [remove-input]
---
from course import figures
```
'''


@pytest.mark.parametrize("planted, what", [
    ('from myst_nb import glue\nglue("accuracy", 0.9, display=False)', "glue"),
    ("import course", "import course"),
    ("import course.reference as ref", "import course"),
    ("from course.text import table", "import course"),
    ("from course import figures", "import course"),
    ("x = 3\nassert x == 3  # the answer", "assert"),
    ("for i in range(3):\n    assert i < 3", "assert"),
])
def test_planted_scaffolding_in_a_visible_cell_is_found(tmp_path, planted, what):
    page = tmp_path / "book" / "99_scratch" / "en.md"
    page.parent.mkdir(parents=True)
    page.write_text(SCRATCH.format(visible=planted), encoding="utf-8")
    problems = page_problems(page)
    assert len(problems) == 1 and f": {what} " in problems[0], problems


def test_hidden_cells_and_lookalikes_pass(tmp_path):
    page = tmp_path / "book" / "99_scratch" / "en.md"
    page.parent.mkdir(parents=True)
    visible = ('import fashion_mnist_student\ncourse_name = "course"\nprint("assert")\n'
               "# glue(...) in a comment\nglued = 1")
    page.write_text(SCRATCH.format(visible=visible), encoding="utf-8")
    assert page_problems(page) == []


# --- the chapter's notebook -------------------------------------------------------------------

def test_notebook_leaves_out_build_cells_and_writes_in_glued_values(tmp_path):
    page = tmp_path / "en.md"
    page.write_text(SCRATCH.format(visible="print(1)").replace(
        "# Scratch", "# Scratch\n\nAccuracy {glue:text}`acc:.1%`, a {term}`batch <batch>` of 32."),
        encoding="utf-8")
    executed = tmp_path / "executed.ipynb"
    executed.write_text(json.dumps({"cells": [{"cell_type": "code", "outputs": [
        {"output_type": "display_data", "metadata": {"scrapbook": {"name": "acc", "mime_prefix": ""}},
         "data": {"text/plain": "0.8766"}}]}]}), encoding="utf-8")
    notebook = notebooks.notebook_of(page, executed)
    # myst-nb keeps the glue beside the executed notebook, under the display=False prefix
    (tmp_path / "executed.glue.json").write_text(json.dumps({"acc": {
        "output_type": "display_data", "data": {"application/papermill.record/text/plain": "0.1234"},
        "metadata": {"scrapbook": {"name": "acc", "mime_prefix": "application/papermill.record/"}}}}),
        encoding="utf-8")
    assert "Accuracy 12.3%" in notebooks.notebook_of(page, executed).cells[0].source
    code = [cell.source for cell in notebook.cells if cell.cell_type == "code"]
    text = "".join(cell.source for cell in notebook.cells if cell.cell_type == "markdown")
    assert code == ["print(1)"]
    assert "Accuracy 87.7%, a batch of 32." in text and "{glue" not in text
    assert notebook.metadata["kernelspec"]["name"] == "python3"
    assert notebooks.notebook_of(page, executed, "https://example.org/s.whl").cells[0].source == \
        "%pip install -q https://example.org/s.whl"


def test_page_without_code_has_no_notebook(tmp_path):
    page = tmp_path / "en.md"
    page.write_text("# Only prose\n\nNo code here.\n", encoding="utf-8")
    assert notebooks.notebook_of(page) is None


# --- the student package's cache helper -------------------------------------------------------

@pytest.fixture
def cache(tmp_path, monkeypatch):
    from fashion_mnist_student import cache
    monkeypatch.setenv(cache.ENV, str(tmp_path / "cache"))
    return cache


def test_record_computes_once_then_reads_back(cache, tmp_path):
    calls = []

    def compute():
        calls.append(1)
        return {"loss": [0.5, 0.4]}
    assert cache.record("curves", compute) == {"loss": [0.5, 0.4]}
    assert cache.record("curves", compute) == {"loss": [0.5, 0.4]}
    assert calls == [1]
    assert (tmp_path / "cache" / "curves.json").is_file()


def test_record_keeps_numpy_numbers_as_plain_json(cache):
    import numpy as np
    assert cache.record("numbers", lambda: {"accuracy": np.float32(0.5), "curve": np.arange(3)}) == \
        {"accuracy": 0.5, "curve": [0, 1, 2]}
    with pytest.raises(TypeError):
        cache.record("model", lambda: object())


def test_failing_computation_leaves_no_entry(cache, tmp_path):
    def broken():
        raise RuntimeError("training failed")
    with pytest.raises(RuntimeError):
        cache.record("curves", broken)
    assert not (tmp_path / "cache" / "curves.json").exists()
    assert cache.record("curves", lambda: [1]) == [1]


@pytest.mark.parametrize("name", ["../outside", "a/b", "/etc/passwd", "", ".hidden", "a..b", 3])
def test_entry_names_stay_in_the_cache_folder(cache, name):
    with pytest.raises(ValueError):
        cache.path(name, ".json")


def test_cache_folder_is_the_users_own(monkeypatch, tmp_path):
    from fashion_mnist_student import cache
    monkeypatch.delenv(cache.ENV, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setattr(sys, "platform", "linux")
    assert cache.cache_dir() == tmp_path / ".cache" / "fashion-mnist"
    monkeypatch.setattr(sys, "platform", "darwin")
    assert cache.cache_dir() == tmp_path / "Library" / "Caches" / "fashion-mnist"


def test_cache_gives_no_graded_function_away():
    """The helper takes the caller's training function: nothing of the lesson's model is in it."""
    from fashion_mnist_student import cache
    module = ast.parse(Path(cache.__file__).read_text(encoding="utf-8"))
    names = {node.name for node in ast.walk(module) if isinstance(node, (ast.FunctionDef, ast.ClassDef))}
    assert not names & {"build_model", "compile_model", "train_model", "preprocess_images",
                        "make_probability_model", "plot_image", "plot_value_array", "fresh_model"}
    calls = [node for node in ast.walk(module) if isinstance(node, ast.Attribute)
             and node.attr in ("Sequential", "Dense", "fit", "compile")
             and getattr(node.value, "id", None) != "re"]  # re.compile is no model's
    assert calls == [], "the cache module builds or trains a model itself"


@pytest.mark.parametrize("lang, label", [("en", "Notebook (.ipynb)"), ("zh", "笔记本（.ipynb）")])
def test_download_menu_offers_the_chapter_notebook_in_the_pages_language(tmp_path, lang, label):
    from types import SimpleNamespace
    chapter = tmp_path / "book" / "06_train"
    chapter.mkdir(parents=True)
    (chapter / f"{lang}.md").write_text(SCRATCH.format(visible="print(1)"), encoding="utf-8")
    (chapter / "prose.md").write_text("# Only prose\n", encoding="utf-8")
    app = SimpleNamespace(srcdir=str(tmp_path))

    def menu():
        return {"header_buttons": [{"label": "download-buttons", "buttons": [{"label": "download-source-button"}]}]}
    context = menu()
    notebooks.add_download(app, f"book/06_train/{lang}", "page.html", context, None)
    first = context["header_buttons"][0]["buttons"][0]
    assert (first["url"], first["text"]) == (f"{lang}.ipynb", label)
    context = menu()
    notebooks.add_download(app, "book/06_train/prose", "page.html", context, None)  # no code: no notebook
    assert [button["label"] for button in context["header_buttons"][0]["buttons"]] == ["download-source-button"]
