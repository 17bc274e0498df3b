"""Every chapter runs where students are: each page's notebook, downloaded from the built site through
the page's own link, runs top to bottom in the student's environment (autograder/student_env.py:
the student package's wheel and the bundle's pins, nothing of ``course`` or ``autograder``), in
both languages.

Shared: the session's one built book (tests/book_site.py), the one student environment, and one
copy of the models the build trained, put into a temporary cache folder as a returning student's
cache would hold them (``$FASHION_MNIST_CACHE``): the test checks that the code runs, not how long
training takes. Chapter 06 still runs its own ten-epoch ``fit`` (that is the chapter).
"""

import json
import os
import shutil
from pathlib import Path
from urllib.parse import urljoin, urlparse

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from book_site import ROOT, SITE, build_site, page, soup

pytestmark = pytest.mark.slow

CHAPTERS = sorted(path.parent.name for path in (ROOT / "book").glob("*/en.md")
                  if "```{code-cell}" in path.read_text(encoding="utf-8"))
CACHE = ROOT / "_build" / "cache"
KERNEL = "fashion-mnist-student"


@pytest.fixture(scope="module")
def site():
    build_site()  # once per test session, shared with the other book tests
    return SITE


@pytest.fixture(scope="module")
def student_kernels(tmp_path_factory):
    """A Jupyter data folder whose one kernel runs the student environment's Python."""
    from autograder.student_env import student_env
    env = student_env()
    folder = tmp_path_factory.mktemp("jupyter")
    spec = folder / "kernels" / KERNEL
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [str(env.python), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Fashion-MNIST (student)", "language": "python"}), encoding="utf-8")
    return folder, env


@pytest.fixture(scope="module")
def returning_cache(site, tmp_path_factory):
    """The models and histories the build trained, copied as a returning student's cache holds them."""
    folder = tmp_path_factory.mktemp("student-cache")
    for entry in CACHE.iterdir():
        if entry.suffix in (".keras", ".json") and ".partial" not in entry.name:
            shutil.copy(entry, folder / entry.name)
    return folder


def notebook_link(html_page: Path) -> Path:
    """The file the page's "notebook" entry of its download menu points at (book/_ext/chapter_notebooks.py)."""
    anchors = soup(html_page).select("a.btn-download-chapter-notebook[href]")
    assert len(anchors) == 1, f"{html_page}: {len(anchors)} links to the chapter's notebook"
    assert anchors[0].get_text(strip=True) == ("笔记本（.ipynb）" if html_page.stem == "zh" else
                                               "Notebook (.ipynb)")  # in the page's language
    return Path(urlparse(urljoin(html_page.resolve().as_uri(), anchors[0]["href"])).path)


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chapter_notebook_runs_in_the_student_env(site, student_kernels, returning_cache, chapter,
                                                  lang, tmp_path, monkeypatch):
    jupyter, env = student_kernels
    downloaded = notebook_link(page(lang, chapter))
    assert downloaded.is_file(), f"{chapter} ({lang}): the page links {downloaded}, which the site lacks"
    notebook = nbformat.read(downloaded, as_version=4)
    source = "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "code")
    assert "course" not in {line.split()[1].split(".")[0] for line in source.splitlines()
                            if line.startswith(("import ", "from ")) and len(line.split()) > 1}
    assert "glue(" not in source
    text = "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "markdown")
    assert "{glue" not in text, f"{chapter} ({lang}): a value the prose takes from the run is missing"

    cache = tmp_path / "cache"
    shutil.copytree(returning_cache, cache)
    try:
        run_as_student(notebook, jupyter, cache, tmp_path, monkeypatch)
    except CellExecutionError as error:
        pytest.fail(f"{chapter} ({lang}) failed in the student's environment:\n{str(error)[-3000:]}")
    probe = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert probe and all(cell.get("execution_count") for cell in probe)  # every cell ran


def run_as_student(notebook, jupyter, cache, workdir, monkeypatch):
    """Execute ``notebook`` top to bottom in the student environment's kernel, in ``workdir``."""
    monkeypatch.setenv("JUPYTER_PATH", str(jupyter))
    monkeypatch.setenv("FASHION_MNIST_CACHE", str(cache))
    monkeypatch.delenv("MPLBACKEND", raising=False)
    monkeypatch.delenv("IPYTHONDIR", raising=False)  # not the book build's kernel start-up file
    monkeypatch.delenv("PYTHONPATH", raising=False)
    monkeypatch.delenv("COURSE_CACHE", raising=False)
    NotebookClient(notebook, kernel_name=KERNEL, timeout=900,
                   resources={"metadata": {"path": str(workdir)}}).execute()


def test_a_notebook_that_needs_the_course_fails_as_student(student_kernels, tmp_path, monkeypatch):
    """What the chapter test would catch: a cell importing the course's own package."""
    jupyter, _ = student_kernels
    notebook = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("import fashion_mnist_student"),
        nbformat.v4.new_code_cell("import course.reference")])
    with pytest.raises(CellExecutionError, match="No module named 'course'"):
        run_as_student(notebook, jupyter, tmp_path / "cache", tmp_path, monkeypatch)


def test_student_env_has_no_course(student_kernels):
    """The environment is the student's: importing the course's own packages fails there."""
    import subprocess
    _, env = student_kernels
    for module in ("course", "autograder"):
        done = subprocess.run([str(env.python), "-c", f"import {module}"], cwd="/",
                              capture_output=True, text=True, env={**os.environ, "PYTHONPATH": ""})
        assert done.returncode != 0, f"{module} is importable in the student's environment"
    done = subprocess.run([str(env.python), "-c", "import fashion_mnist_student.cache"], cwd="/",
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
