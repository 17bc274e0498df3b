"""tools/build_book.py's check of the built pages, on small hand-made pages (fast)."""

import importlib.util

from book_site import ROOT

spec = importlib.util.spec_from_file_location("build_book", ROOT / "tools" / "build_book.py")
build_book = importlib.util.module_from_spec(spec)
spec.loader.exec_module(build_book)


def cell(kind, text, tags=""):
    return (f'<div class="cell {tags} docutils container"><div class="cell_output docutils container">'
            f'<div class="output {kind} highlight-myst-ansi notranslate"><pre>{text}</pre></div>'
            f'</div></div>')


def problems(tmp_path, *cells):
    (tmp_path / "book" / "01_x").mkdir(parents=True, exist_ok=True)
    (tmp_path / "book" / "01_x" / "en.html").write_text(
        "<html><body>" + "".join(cells) + "</body></html>", encoding="utf-8")
    return build_book.output_problems(tmp_path)


def test_missing_glyphs_and_deprecations_fail_the_build(tmp_path):
    glyph = cell("stderr", "x.py:3: UserWarning: Glyph 35757 (\\N{CJK UNIFIED IDEOGRAPH-8BAD}) "
                           "missing from font(s) DejaVu Sans.")
    shape = cell("stderr", "UserWarning: Do not pass an `input_shape`/`input_dim` argument to a layer.")
    deprecated = cell("stderr", "DeprecationWarning: this is going away")
    found = problems(tmp_path, glyph, shape, deprecated)
    assert len(found) == 3 and "Glyph 35757" in found[0]


def test_intended_errors_and_plain_output_pass(tmp_path):
    intended = cell("traceback", "ValueError: bad", tags="tag_raises-exception")
    warned = cell("stderr", "UserWarning: fine here", tags="tag_raises-exception")
    printed = cell("stream", "Warning: printed on purpose")
    assert problems(tmp_path, intended, warned, printed) == []
    assert problems(tmp_path, cell("traceback", "ValueError: bad")) == ["book/01_x/en.html: ValueError: bad"]
