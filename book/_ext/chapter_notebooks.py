"""Each chapter as a notebook a student can download and run in the course's environment.

At the end of the build every page with code becomes ``<lang>.ipynb`` beside its HTML page
(``book/06_train/en.ipynb``), made from the page's source (jupytext), and the page's download menu
offers it first, labelled in the page's language. The notebook holds what the reader sees:

- cells tagged ``remove-cell`` or ``remove-input`` are left out: they are the build's own (glue,
  the asserts that guard the book's claims, decoration figures); a visible cell never needs them
  (tests/test_book_visible_cells.py keeps ``glue``, ``course`` and ``assert`` out of visible cells,
  tests/test_book_notebooks.py runs every notebook in the student's environment);
- in the Markdown, the values the prose takes from the build ({glue:text}`name:.1%`) are written
  in, formatted as on the page, from the executed notebook; other MyST roles ({term}`epoch`)
  become their plain text.

Launchers: ``notebook_install_url`` (in the Sphinx config; empty by default) is the address of the
published student package's wheel. When it is set, each notebook starts with a cell that
pip-installs it, which is what a hosted launcher such as Colab needs; without a public address
there is nothing for such a launcher to install, so the book offers none (see README).
"""

import ast
import json
import re
from pathlib import Path

BUILD_ONLY = {"remove-cell", "remove-input"}
LABEL = {"en": ("Notebook (.ipynb)", "Download this chapter as a notebook to run"),
         "zh": ("笔记本（.ipynb）", "下载本章的笔记本，在自己的环境中运行")}
_GLUE = re.compile(r"\{glue(?::text)?\}`([A-Za-z0-9_]+)(?::([^`]*))?`")
_ROLE = re.compile(r"\{[a-z:-]+\}`([^`<]*?)(?:\s*<[^`>]*>)?`")


def _lang(path: Path) -> str:
    return "zh" if path.stem == "zh" else "en"


def _glued_outputs(executed: Path) -> list:
    """The glue outputs of a page's executed notebook: myst-nb keeps them in ``<page>.glue.json``
    beside it (and takes them out of the notebook); older runs left them in the cells' outputs."""
    kept = executed.with_name(executed.stem + ".glue.json")
    if kept.is_file():
        return list(json.loads(kept.read_text(encoding="utf-8")).values())
    if not executed.is_file():
        return []
    notebook = json.loads(executed.read_text(encoding="utf-8"))
    return [output for cell in notebook.get("cells", []) for output in cell.get("outputs", [])]


def glued_values(executed: Path) -> dict:
    """{name: value} of what a page's executed notebook glued (text/plain, read as a literal)."""
    values = {}
    for output in _glued_outputs(executed):
        scrapbook = output.get("metadata", {}).get("scrapbook", {})
        name, prefix = scrapbook.get("name"), scrapbook.get("mime_prefix", "")
        data = output.get("data", {})
        text = data.get("text/plain", data.get(prefix + "text/plain"))
        if name and text is not None:
            text = "".join(text) if isinstance(text, list) else text
            try:
                values[name] = ast.literal_eval(text)
            except (ValueError, SyntaxError):
                values[name] = text.strip("'\"")
    return values


def plain_markdown(text: str, values: dict) -> str:
    """Markdown as Jupyter shows it: glued values written in, other roles as their text."""
    def glue(match):
        name, spec = match[1], match[2] or ""
        if name not in values:
            return name
        try:
            return format(values[name], spec)
        except (TypeError, ValueError):
            return str(values[name])
    return _ROLE.sub(lambda match: match[1], _GLUE.sub(glue, text))


def reader_cells(source: Path) -> list:
    """The cells of a MyST page that its reader sees and its notebook holds, in order (jupytext
    cells: ``cell_type``, ``source``, ``metadata``); build-only code cells left out."""
    import jupytext

    page = jupytext.read(source, fmt="md:myst")
    return [cell for cell in page.cells
            if not (cell.cell_type == "code" and set(cell.metadata.get("tags", [])) & BUILD_ONLY)]


def notebook_of(source: Path, executed: Path | None = None, install_url: str = ""):
    """The reader's notebook of a MyST page (a nbformat NotebookNode), or None when it has no code."""
    import nbformat

    values = glued_values(executed) if executed else {}
    cells = []
    for cell in reader_cells(source):
        tags = set(cell.metadata.get("tags", []))
        if cell.cell_type == "code":
            kept = {"tags": sorted(tags - {"hide-output", "hide-input", "hide-cell"})}
            cells.append(nbformat.v4.new_code_cell(cell.source, metadata=kept if kept["tags"] else {}))
        elif cell.cell_type == "markdown":
            cells.append(nbformat.v4.new_markdown_cell(plain_markdown(cell.source, values)))
    if not any(cell.cell_type == "code" for cell in cells):
        return None
    if install_url:
        cells.insert(0, nbformat.v4.new_code_cell(f"%pip install -q {install_url}"))
    notebook = nbformat.v4.new_notebook(cells=cells)
    notebook.metadata = {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                        "language": "python"},
                         "language_info": {"name": "python"}}
    return notebook


def _has_code(source: Path) -> bool:
    return "```{code-cell}" in source.read_text(encoding="utf-8")


def add_download(app, pagename, templatename, context, doctree):
    """Put the chapter's notebook first in the page's download menu."""
    if not pagename.startswith("book/"):
        return
    source = Path(app.srcdir) / f"{pagename}.md"
    if not source.is_file() or not _has_code(source):
        return
    text, tooltip = LABEL[_lang(source)]
    for group in context.get("header_buttons", []):
        if group.get("label") == "download-buttons":
            group["buttons"].insert(0, {"type": "link", "url": f"{Path(pagename).name}.ipynb",
                                        "text": text, "tooltip": tooltip, "icon": "fas fa-code",
                                        "label": "download-chapter-notebook"})


def write_notebooks(app, exception):
    if exception is not None or app.builder.format != "html":
        return
    import nbformat
    executed_root = Path(app.outdir).parent / "jupyter_execute"
    for docname in sorted(app.env.found_docs):
        source = Path(app.srcdir) / f"{docname}.md"
        if not docname.startswith("book/") or not source.is_file() or not _has_code(source):
            continue
        notebook = notebook_of(source, executed_root / f"{docname}.ipynb",
                               app.config.notebook_install_url)
        if notebook is not None:
            target = Path(app.outdir) / f"{docname}.ipynb"
            target.parent.mkdir(parents=True, exist_ok=True)
            nbformat.write(notebook, target)


def setup(app):
    app.add_config_value("notebook_install_url", "", "html")
    app.connect("html-page-context", add_download, priority=600)  # after the theme's buttons (501)
    app.connect("build-finished", write_notebooks)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
