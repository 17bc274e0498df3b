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


# --- both languages at once (tools/build_book.py's build_site), with a stand-in for jupyter-book ---

FAKE_BUILD = r"""
import json, os, sys, time
from pathlib import Path
lang, out = sys.argv[1], Path(sys.argv[2])
Path(os.environ["FAKE_TIMES"]).joinpath(lang + ".start").write_text(str(time.time()))
time.sleep(1)
page = out / "_build" / "html" / "book" / "01_x" / f"{lang}.html"
page.parent.mkdir(parents=True, exist_ok=True)
page.write_text(os.environ.get("FAKE_PAGE", "<html><body><p>ok</p></body></html>"))
(out / "_build" / ".doctrees").mkdir(parents=True, exist_ok=True)
print("reading sources... Executing notebook using local CWD")
print(json.dumps({"threads": os.environ.get("TF_NUM_INTRAOP_THREADS")}))
if lang in os.environ.get("FAKE_WARN", ""):
    print(f"/book/01_x/{lang}.md:3: WARNING: undefined label: 'nowhere'")
Path(os.environ["FAKE_TIMES"]).joinpath(lang + ".end").write_text(str(time.time()))
sys.exit(1 if lang in os.environ.get("FAKE_FAIL", "") else 0)
"""


def fake_books(tmp_path, monkeypatch, **env):
    script = tmp_path / "fake_jupyter_book.py"
    script.write_text(FAKE_BUILD)
    times = tmp_path / "times"
    times.mkdir()
    monkeypatch.setattr(build_book, "BUILD", tmp_path / "_build")
    monkeypatch.setattr(build_book, "SITE", tmp_path / "_build" / "site")
    monkeypatch.setattr(build_book, "command", lambda lang: [
        build_book.sys.executable, str(script), lang, str(tmp_path / "_build" / lang)])
    monkeypatch.setenv("FAKE_TIMES", str(times))
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return times


def test_both_languages_build_at_once_and_the_site_is_assembled(tmp_path, monkeypatch, capsys):
    times = fake_books(tmp_path, monkeypatch)
    assert build_book.build_site(fresh=False) == 0
    out = capsys.readouterr().out
    assert "book (en): built in" in out and "book (zh): built in" in out and "1 notebooks executed" in out
    for lang in ("en", "zh"):
        assert (tmp_path / "_build" / "site" / lang / "book" / "01_x" / f"{lang}.html").is_file()
        log = (tmp_path / "_build" / "logs" / f"{lang}.log").read_text()
        assert f'"threads": "{build_book.thread_env(2)["TF_NUM_INTRAOP_THREADS"]}"' in log  # half each
    started = max(float((times / f"{lang}.start").read_text()) for lang in ("en", "zh"))
    ended = min(float((times / f"{lang}.end").read_text()) for lang in ("en", "zh"))
    assert started < ended, "the two builds did not overlap"


def test_serial_builds_one_after_the_other(tmp_path, monkeypatch):
    times = fake_books(tmp_path, monkeypatch)
    assert build_book.build_site(fresh=False, serial=True) == 0
    assert float((times / "en.end").read_text()) <= float((times / "zh.start").read_text())


def test_one_failing_language_fails_the_build_and_the_other_still_reports(tmp_path, monkeypatch, capsys):
    fake_books(tmp_path, monkeypatch, FAKE_FAIL="zh")
    assert build_book.build_site(fresh=False) == 1
    captured = capsys.readouterr()
    assert "book (en): built in" in captured.out
    assert "book (zh): build failed" in captured.err and "book (en): build failed" not in captured.err
    assert not (tmp_path / "_build" / "site").exists()  # no half-built site
    # the failed language forgets its Sphinx environment, so the next build reads every page again
    assert not (tmp_path / "_build" / "zh" / "_build" / ".doctrees").exists()
    assert (tmp_path / "_build" / "en" / "_build" / ".doctrees").exists()


def test_a_warning_in_either_language_fails_the_build(tmp_path, monkeypatch, capsys):
    fake_books(tmp_path, monkeypatch, FAKE_WARN="en")
    assert build_book.build_site(fresh=False) == 1
    err = capsys.readouterr().err
    assert "book (en): build failed" in err and "undefined label: 'nowhere'" in err


def test_an_error_shown_in_a_page_fails_the_build(tmp_path, monkeypatch, capsys):
    fake_books(tmp_path, monkeypatch, FAKE_PAGE="<html><body>" + cell("traceback", "ValueError: bad")
               + "</body></html>")
    assert build_book.build_site(fresh=False) == 1
    err = capsys.readouterr().err
    assert "book (en): build failed" in err and "book (zh): build failed" in err
    assert "ValueError: bad" in err


def test_thread_pools_share_the_cores():
    assert build_book.thread_env(2, cores=2)["TF_NUM_INTRAOP_THREADS"] == "1"
    assert build_book.thread_env(2, cores=8)["OMP_NUM_THREADS"] == "4"
    assert build_book.thread_env(2, cores=1)["TF_NUM_INTEROP_THREADS"] == "1"  # never 0
