"""`make book` fails, and says why, on a failing cell, a missing glyph or a broken reference.

Real builds of a two-page scratch book that uses the course's own configuration, extension and
build script (about half a minute each)."""

import shutil
import subprocess
import sys

import pytest

from book_site import MYST_HEADER, ROOT

pytestmark = pytest.mark.slow


def scratch_book(tmp_path, chapter):
    for name in ("_config.yml", "_config.zh.yml"):
        shutil.copy(ROOT / name, tmp_path / name)
    shutil.copytree(ROOT / "book" / "_ext", tmp_path / "book" / "_ext")
    (tmp_path / "tools").mkdir()
    shutil.copy(ROOT / "tools" / "build_book.py", tmp_path / "tools")
    for lang in ("en", "zh"):
        (tmp_path / f"_toc{'' if lang == 'en' else '.zh'}.yml").write_text(
            f"format: jb-book\nroot: book/00_home/{lang}\nchapters:\n- file: book/01_x/{lang}\n")
        for folder, text in (("00_home", "# Home\n\nHome page.\n"), ("01_x", MYST_HEADER + chapter)):
            (tmp_path / "book" / folder).mkdir(parents=True, exist_ok=True)
            (tmp_path / "book" / folder / f"{lang}.md").write_text(text, encoding="utf-8")


def build(tmp_path):
    return subprocess.run([sys.executable, str(tmp_path / "tools" / "build_book.py")], cwd=tmp_path,
                          capture_output=True, text=True, timeout=900)


def test_a_failing_cell_fails_the_build_unless_tagged(tmp_path):
    scratch_book(tmp_path, "# Chapter\n\n```{code-cell} ipython3\n:tags: [raises-exception]\n\n"
                           "1 / 0\n```\n\n```{code-cell} ipython3\nundefined_name\n```\n")
    result = build(tmp_path)
    assert result.returncode != 0
    assert "book (en): build failed" in result.stderr and "NameError" in result.stderr
    assert "ZeroDivisionError" not in result.stderr  # the tagged cell is allowed to fail


def test_missing_glyphs_broken_references_and_small_figure_text_fail_every_time(tmp_path):
    """... and a figure whose text would be shown below 9 pt in the column (course.setup_matplotlib
    measures every figure the book renders) is named with its size; one at the column's width is not."""
    figure = ("import course\ncourse.setup_matplotlib('en')\n"
              "for width, title in ((7, 'fits'), (12, 'too wide')):\n"
              "    plt.figure(figsize=(width, 3))\n    plt.title(title)\n    plt.show()\n")
    scratch_book(tmp_path, "# Chapter\n\nSee {ref}`no-such-label`.\n\n```{code-cell} ipython3\n"
                           f"import matplotlib.pyplot as plt\n{figure}```\n\n```{{code-cell}} ipython3\n"
                           "plt.title('训练')\nplt.show()\n```\n")
    for attempt in (1, 2):  # a rerun with nothing changed must not pass quietly
        result = build(tmp_path)
        assert result.returncode != 0, attempt
        assert "missing from font" in result.stderr, attempt
        assert "no-such-label" in result.stderr, attempt
        assert "figure text below 9 pt at the 7-inch column (figure 12 × 3 in)" in result.stderr, result.stderr[-3000:]
        assert "(figure 7 × 3 in)" not in result.stderr
