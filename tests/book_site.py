"""Build the book once per test session (execution is cached) and read the built pages."""

import subprocess
import sys
import time
from pathlib import Path

from bs4 import BeautifulSoup

ROOT = Path(__file__).resolve().parents[1]
SITE = ROOT / "_build" / "site"
CHAPTERS = sorted(path.parent.name for path in (ROOT / "book").glob("*/en.md"))
# the front matter of a MyST page of the book (a jupytext text notebook, Python 3 kernel), for the
# scratch pages tests write (test_book_build_failures, test_book_visible_cells)
MYST_HEADER = """---
jupytext:
  text_representation:
    extension: .md
    format_name: myst
kernelspec:
  display_name: Python 3
  language: python
  name: python3
---
"""
_built = {}


def build_site():
    """Run `make book`'s script; return (seconds, output). Cached for the session."""
    if "site" not in _built:
        start = time.perf_counter()
        result = subprocess.run([sys.executable, str(ROOT / "tools" / "build_book.py")], cwd=ROOT,
                                capture_output=True, text=True, timeout=3600)
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-5000:]
        _built["site"] = (time.perf_counter() - start, result.stdout + result.stderr)
    return _built["site"]


def page(lang, chapter):
    return SITE / lang / "book" / chapter / f"{lang}.html"


def soup(path):
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")
