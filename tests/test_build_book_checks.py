"""tools/build_book.py's check of the built pages, on small hand-made pages (fast)."""

import importlib.util
from pathlib import Path

import pytest
import yaml

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


def test_tensorflow_logs_and_warnings_in_any_case_fail_the_build(tmp_path):
    """What TensorFlow's C++ logging writes to stderr: tests/test_book_build.py rejects any stderr,
    so the build must not pass it either (the check once matched only "Warning")."""
    absl = cell("stderr", "WARNING: All log messages before absl::InitializeLog() is called are "
                          "written to STDERR")
    onednn = cell("stderr", "I0000 00:00:1712345678.123456    4242 port.cc:153] oneDNN custom "
                            "operations are on. You may see slightly different numerical results.")
    older = cell("stderr", "2024-04-05 12:34:56.789012: I tensorflow/core/platform/cpu_feature_guard.cc:182] "
                           "This TensorFlow binary is optimized to use available CPU instructions.")
    lower = cell("stderr", "/x.py:3: warning: something")
    found = problems(tmp_path, absl, onednn, older, lower)
    assert len(found) == 4 and "absl::InitializeLog" in found[0] and "oneDNN" in found[1]
    # the same lines in a cell whose error is the point still pass
    assert problems(tmp_path, *(cell("stderr", text, tags="tag_raises-exception") for text in (
        "WARNING: All log messages before absl::InitializeLog() is called",
        "I0000 00:00:1712345678.123456    4242 port.cc:153] oneDNN custom operations are on."))) == []


def site(tmp_path, **pages):
    """A built site with the given pages (name: html) and one local script."""
    (tmp_path / "_static").mkdir(parents=True, exist_ok=True)
    (tmp_path / "_static" / "local.js").write_text("// a script of the site")
    (tmp_path / "_static" / "macros.html").write_text('<script src="{{ pathto(x) }}"></script>')
    for name, html in pages.items():
        path = tmp_path / "book" / f"{name}.html"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"<html><head>{html}</head><body></body></html>", encoding="utf-8")
    return build_book.offline_problems(tmp_path)


CDN_MATHJAX = '<script defer="defer" src="https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-mml-chtml.js"></script>'


def test_pages_must_load_scripts_and_styles_from_the_site(tmp_path):
    """Offline, a script from a CDN does not load (MathJax: formulas show as raw LaTeX), and
    neither does one the site lacks; local files, inline data and same-page links are fine."""
    fine = ('<script src="../_static/local.js?v=1"></script><link rel="search" href="#" />'
            '<link rel="icon" href="data:image/png;base64,AAAA" />')
    assert site(tmp_path, good=fine) == []
    found = site(tmp_path, cdn=CDN_MATHJAX, missing='<script src="../_static/mathjax/tex-mml-chtml.js"></script>',
                 relative='<link rel="stylesheet" href="//unpkg.com/x.css" />')
    assert found == ["book/cdn.html: <script> loads https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-mml-chtml.js "
                     "from the network (the book must work offline)",
                     "book/missing.html: <script> loads ../_static/mathjax/tex-mml-chtml.js, which is not in the site",
                     "book/relative.html: <link> loads //unpkg.com/x.css from the network (the book must work offline)"]


# --- book/_ext/offline_mathjax.py: MathJax 3 from the site, in a small Sphinx build ----------------

offline_mathjax_spec = importlib.util.spec_from_file_location("offline_mathjax", ROOT / "book" / "_ext" / "offline_mathjax.py")
offline_mathjax = importlib.util.module_from_spec(offline_mathjax_spec)
offline_mathjax_spec.loader.exec_module(offline_mathjax)


@pytest.mark.parametrize("config", ["_config.yml", "_config.zh.yml"])
def test_both_books_load_mathjax_from_the_site(config):
    sphinx = yaml.safe_load((ROOT / config).read_text(encoding="utf-8"))["sphinx"]
    assert sphinx["local_extensions"].get("offline_mathjax") == "book/_ext"
    assert sphinx["config"]["mathjax_path"] == f"{offline_mathjax.TARGET}/{offline_mathjax.SCRIPT}"


def test_the_site_gets_only_the_script_its_fonts_and_the_licence():
    files = offline_mathjax.files_to_copy(offline_mathjax.mathjax_source())
    names = [str(target) for _, target in files]
    assert names[0] == "mathjax/tex-mml-chtml.js" and "mathjax/LICENSE" in names
    assert "mathjax/output/chtml/fonts/woff-v2/MathJax_Main-Regular.woff" in names
    assert sum(source.stat().st_size for source, _ in files) < 3_000_000  # not MathJax's 35 MB


SPHINX_CONF = """
import sys
sys.path.insert(0, {ext!r})
extensions = {extensions!r}
{mathjax_path}
"""


def sphinx_site(tmp_path, extensions=("offline_mathjax",), mathjax_path="mathjax/tex-mml-chtml.js"):
    """A one-page Sphinx build with a formula; returns (exit code, output, html folder)."""
    import subprocess
    import sys
    source, out = tmp_path / "src", tmp_path / "out"
    source.mkdir(parents=True)
    (source / "conf.py").write_text(SPHINX_CONF.format(
        ext=str(ROOT / "book" / "_ext"), extensions=list(extensions),
        mathjax_path=f"mathjax_path = {mathjax_path!r}" if mathjax_path else ""))
    (source / "index.rst").write_text("Softmax\n=======\n\n.. math::\n\n   p_k = \\frac{e^{z_k}}{\\sum_j e^{z_j}}\n")
    result = subprocess.run([sys.executable, "-m", "sphinx", "-q", "-b", "html", str(source), str(out)],
                            capture_output=True, text=True, timeout=300)
    return result.returncode, result.stdout + result.stderr, out


def test_offline_mathjax_puts_mathjax_into_the_site(tmp_path):
    code, output, html = sphinx_site(tmp_path)
    assert code == 0, output
    page = (html / "index.html").read_text(encoding="utf-8")
    assert 'src="_static/mathjax/tex-mml-chtml.js' in page
    assert (html / "_static" / "mathjax" / "output" / "chtml" / "fonts" / "woff-v2" / "MathJax_Zero.woff").is_file()
    assert build_book.offline_problems(html) == []


def test_mathjax_from_the_network_is_caught(tmp_path):
    """Without the extension Sphinx loads MathJax from a CDN, which the build's check reports; with
    it, a mathjax_path left at the CDN stops the build."""
    code, output, html = sphinx_site(tmp_path / "plain", extensions=(), mathjax_path=None)
    assert code == 0, output
    assert [p for p in build_book.offline_problems(html) if "cdn.jsdelivr.net" in p] == [
        "index.html: <script> loads https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-mml-chtml.js from the network "
        "(the book must work offline)"]
    code, output, _ = sphinx_site(tmp_path / "cdn", mathjax_path=None)
    assert code != 0 and "set `mathjax_path: mathjax/tex-mml-chtml.js`" in output


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


def test_a_rebuild_swaps_the_site_in_whole(tmp_path, monkeypatch):
    """A reader of the site during a rebuild (a browser, a test on the other worker) finds the old
    pages or the new ones: the old folder is removed only after the new one is in its place, and
    a copy stopped halfway is cleared up by the next build. With the old rmtree-then-copy, the
    check below sees no site while the old one is removed."""
    fake_books(tmp_path, monkeypatch)
    assert build_book.build_site(fresh=False) == 0
    page = tmp_path / "_build" / "site" / "en" / "book" / "01_x" / "en.html"
    (tmp_path / "_build" / "site" / "en.new").mkdir()  # a copy stopped halfway
    seen = []
    rmtree = build_book.shutil.rmtree

    def watching_rmtree(path, *args, **kwargs):
        seen.append((Path(path).name, page.is_file()))
        return rmtree(path, *args, **kwargs)
    monkeypatch.setattr(build_book.shutil, "rmtree", watching_rmtree)
    assert build_book.build_site(fresh=False) == 0
    assert ("en.old", True) in seen and all(present for name, present in seen if name.endswith(".old"))
    assert sorted(p.name for p in page.parents[2].parent.iterdir() if p.is_dir()) == ["en", "zh"]


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


def test_tensorflow_log_in_a_page_fails_the_build(tmp_path, monkeypatch, capsys):
    fake_books(tmp_path, monkeypatch, FAKE_PAGE="<html><body>" + cell(
        "stderr", "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR")
        + "</body></html>")
    assert build_book.build_site(fresh=False) == 1
    err = capsys.readouterr().err
    assert "book (en): build failed" in err and "absl::InitializeLog" in err


def test_a_page_loading_mathjax_from_a_cdn_fails_the_build(tmp_path, monkeypatch, capsys):
    fake_books(tmp_path, monkeypatch, FAKE_PAGE=f"<html><head>{CDN_MATHJAX}</head><body></body></html>")
    assert build_book.build_site(fresh=False) == 1
    err = capsys.readouterr().err
    assert "book (zh): build failed" in err and "cdn.jsdelivr.net/npm/mathjax@3" in err
    assert not (tmp_path / "_build" / "site").exists()


def test_thread_pools_share_the_cores():
    from course.threads import MOST_THREADS, thread_env
    assert build_book.thread_env is thread_env  # one rule for the book and the grader
    assert thread_env(2, cores=2)["TF_NUM_INTRAOP_THREADS"] == "1"
    assert thread_env(2, cores=8, most=8)["OMP_NUM_THREADS"] == "4"
    assert thread_env(1, cores=8)["OMP_NUM_THREADS"] == str(MOST_THREADS)  # the lesson's model: 1
    assert thread_env(2, cores=1)["TF_NUM_INTEROP_THREADS"] == "1"  # never 0
