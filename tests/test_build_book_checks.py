"""tools/build_book.py's check of the executed notebooks, on small hand-made notebooks (fast)."""

import importlib.util
import json

from book_site import ROOT

spec = importlib.util.spec_from_file_location("build_book", ROOT / "tools" / "build_book.py")
build_book = importlib.util.module_from_spec(spec)
spec.loader.exec_module(build_book)


def cell(outputs, tags=()):
    return {"cell_type": "code", "metadata": {"tags": list(tags)}, "outputs": outputs, "source": ""}


def stderr(text):
    return {"output_type": "stream", "name": "stderr", "text": text}


def problems(tmp_path, *cells):
    (tmp_path / "book").mkdir(exist_ok=True)
    (tmp_path / "book" / "en.ipynb").write_text(json.dumps({"cells": list(cells)}))
    return build_book.output_problems(tmp_path)


def test_missing_glyphs_and_deprecations_fail_the_build(tmp_path):
    glyph = stderr("x.py:3: UserWarning: Glyph 35757 (\\N{CJK UNIFIED IDEOGRAPH-8BAD}) "
                   "missing from font(s) DejaVu Sans.\n")
    shape = stderr("UserWarning: Do not pass an `input_shape`/`input_dim` argument to a layer.\n")
    deprecated = stderr("DeprecationWarning: this is going away\n")
    found = problems(tmp_path, cell([glyph]), cell([shape]), cell([deprecated]))
    assert len(found) == 3 and "Glyph 35757" in found[0]


def test_intended_errors_and_plain_output_pass(tmp_path):
    error = {"output_type": "error", "ename": "ValueError", "evalue": "bad", "traceback": []}
    printed = {"output_type": "stream", "name": "stdout", "text": "Warning: printed on purpose\n"}
    assert problems(tmp_path, cell([error, stderr("Warning\n")], tags=["raises-exception"]),
                    cell([printed])) == []
    assert problems(tmp_path, cell([error])) == ["book/en.ipynb: ValueError: bad"]
