"""No page of the built site shows the machine that built it: no home folder, no path of the
book's folder or of the virtual environment, no kernel temporary file (book/_ext/a11y.py writes
them relative to the lesson: ~/.keras/..., .venv/..., <cell>)."""

import os
import re
import sys
import tempfile

import pytest

from book_site import ROOT, SITE, build_site

pytestmark = pytest.mark.slow


def machine_path_pattern():
    paths = {os.path.realpath(p) for p in (ROOT, sys.prefix, os.path.expanduser("~"),
                                            tempfile.gettempdir(), os.path.dirname(os.__file__))}
    paths |= {str(p) for p in (ROOT, sys.prefix)}
    alternatives = [re.escape(p) + r"(?=/|\b)" for p in sorted(paths, key=len, reverse=True) if p not in ("", "/")]
    return re.compile("|".join(alternatives + [r"ipykernel_\d+", r"/tmp/tmp\w+"]))


def machine_paths_in(site):
    """[(page, the path and some context)] for every machine path in the site's pages and sources."""
    pattern = machine_path_pattern()
    found = []
    for path in sorted(site.rglob("*")):
        if path.suffix not in (".html", ".txt", ".ipynb", ".md", ".js") or not path.is_file():
            continue
        relative = path.relative_to(site)
        if relative.parts[1:2] == ("_static",) or "_static" in relative.parts[:1]:
            continue  # the theme's own files
        text = path.read_text(encoding="utf-8", errors="replace")
        for match in pattern.finditer(text):
            found.append((relative.as_posix(), text[max(0, match.start() - 40):match.end() + 40]))
    return found


def test_site_shows_no_machine_paths():
    build_site()
    found = machine_paths_in(SITE)
    assert found == [], "\n".join(f"{page}: {context!r}" for page, context in found[:30])


def test_machine_path_check_can_fail(tmp_path):
    page = tmp_path / "en" / "book" / "12_mistakes" / "en.html"
    page.parent.mkdir(parents=True)
    page.write_text("<pre>File ~/.keras/datasets/x.npz and .venv/lib/python3.11/x.py</pre>", encoding="utf-8")
    assert machine_paths_in(tmp_path) == []
    for planted in (f"{sys.prefix}/lib/python3.11/site-packages/keras/src/x.py",
                    f"{os.path.expanduser('~')}/.keras/datasets", f"{ROOT}/book/12_mistakes",
                    "/tmp/ipykernel_4242/1234.py:3: UserWarning"):
        page.write_text(f"<pre>Traceback: {planted}</pre>", encoding="utf-8")
        assert len(machine_paths_in(tmp_path)) >= 1, planted


def test_paths_are_rewritten_relative_to_the_lesson():
    """The extension's rules, on the lines a traceback shows."""
    sys.path.insert(0, str(ROOT / "book" / "_ext"))
    import a11y
    rules = a11y.machine_paths(ROOT)
    home = os.path.expanduser("~")
    cell = f"{os.path.realpath(tempfile.gettempdir())}/ipykernel_4242/1234.py:3: UserWarning: x"
    assert a11y.scrub(cell, rules) == "<cell>:3: UserWarning: x"
    assert a11y.scrub(f"{home}/.keras/datasets/fashion-mnist", rules) == "~/.keras/datasets/fashion-mnist"
    assert a11y.scrub(f"{os.path.realpath(ROOT)}/book/x.md", rules) == "./book/x.md"
    saved = f"Saved artifact at '{os.path.realpath(tempfile.gettempdir())}/tmps2128z74/fashion_mnist_savedmodel'"
    assert a11y.scrub(saved, rules) == "Saved artifact at '<tmp>/fashion_mnist_savedmodel'"
    scrubbed = a11y.scrub(f"{os.path.realpath(sys.prefix)}/lib/python3.11/site-packages/keras/x.py", rules)
    assert machine_path_pattern().search(scrubbed) is None, scrubbed
