"""MathJax from the built site itself, so that formulas render when the book is read offline.

Sphinx loads MathJax 3 from a CDN by default; a student reading the book from the file system
without a network then sees raw LaTeX. _config.yml and _config.zh.yml set
`mathjax_path: mathjax/tex-mml-chtml.js`, which Sphinx reads relative to the built `_static`
folder, and this extension puts that file there: MathJax 3's combined TeX + MathML + CommonHTML
script (the menu and the assistive MathML included) and the web fonts it loads from
`output/chtml/fonts/woff-v2/` next to it, with MathJax's licence; about 1.5 MB instead of
MathJax's 35 MB.

The files come from the PyPI wheel django-static-mathjax (MathJax 3.2.2's es5 build, pinned in
requirements-dev.txt and installed by `make setup`), so nothing is vendored in git and the build needs
no network.
"""

import importlib.util
import shutil
from pathlib import Path

from sphinx.errors import ExtensionError

PACKAGE = "mathjax"  # the wheel django-static-mathjax installs it
SCRIPT = "tex-mml-chtml.js"
FONTS = Path("output", "chtml", "fonts", "woff-v2")
TARGET = "mathjax"  # the folder inside _static; mathjax_path is TARGET/SCRIPT


def mathjax_source():
    """MathJax 3's es5 folder inside the installed wheel; an error saying what to install when it
    is not there."""
    spec = importlib.util.find_spec(PACKAGE)
    if spec and spec.submodule_search_locations:
        for location in spec.submodule_search_locations:
            es5 = Path(location) / "static" / "mathjax" / "es5"
            if (es5 / SCRIPT).is_file() and (es5 / FONTS).is_dir():
                return es5
    raise ExtensionError(
        f"offline_mathjax: MathJax 3 ({SCRIPT} and its fonts) is not installed; it comes with the "
        "PyPI package django-static-mathjax in requirements-dev.txt: run `make setup` "
        "(or pip install -r requirements.txt -r requirements-dev.txt)")


def files_to_copy(es5):
    """(source, path inside _static) for every file the site needs."""
    files = [(es5 / SCRIPT, Path(TARGET, SCRIPT))]
    files += [(font, Path(TARGET) / FONTS / font.name) for font in sorted((es5 / FONTS).glob("*.woff"))]
    licence = es5.parent / "LICENSE"
    if licence.is_file():
        files.append((licence, Path(TARGET, "LICENSE")))
    return files


def stage(app):
    """Copy the needed files into a folder beside the build's doctrees and add it to
    html_static_path: Sphinx copies it into _static like any other static file."""
    if app.builder.format != "html":
        return
    expected = f"{TARGET}/{SCRIPT}"
    if app.config.mathjax_path != expected:
        raise ExtensionError(f"offline_mathjax: set `mathjax_path: {expected}` under sphinx: config: "
                             f"(it is {app.config.mathjax_path!r}); the book must not load MathJax "
                             "from the network")
    staging = Path(app.doctreedir).parent / "offline_mathjax"
    for source, relative in files_to_copy(mathjax_source()):
        target = staging / relative
        if not target.is_file() or target.stat().st_size != source.stat().st_size:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
    app.config.html_static_path.append(str(staging))


def setup(app):
    app.connect("builder-inited", stage)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
