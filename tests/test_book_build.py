"""The built book: every chapter in both languages, real figures, no unintended errors,
twin links that resolve, Chinese search, and a cached rebuild that executes nothing."""

import json
import re
import subprocess
import sys

import jupytext
import pytest

from book_site import CHAPTERS, ROOT, SITE, build_site, page, soup

pytestmark = pytest.mark.slow


@pytest.fixture(scope="session")
def site():
    build_site()  # once per test session, shared with test_browser.py
    return SITE


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_chapter_is_built(site, lang):
    for chapter in CHAPTERS:
        assert page(lang, chapter).is_file(), f"{chapter} missing in {lang}"
    html = soup(page(lang, "05_compile")).find("html")
    assert html["lang"].startswith(lang)


def code_cells(lang, chapter):
    """The code cells the page shows (cells tagged remove-cell are not in the HTML), as (source,
    tags): a cell tagged remove-output shows its code without its figure (chapter 09's tutorial
    plots, whose figure the book draws with its non-colour cues in a remove-input cell)."""
    nb = jupytext.read(ROOT / "book" / chapter / f"{lang}.md")
    return [(cell.source, cell.metadata.get("tags", [])) for cell in nb.cells
            if cell.cell_type == "code" and "remove-cell" not in cell.metadata.get("tags", [])]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_plot_is_an_embedded_image(site, lang):
    """Each code cell that calls plt.show() has a figure, a local image file that exists."""
    plots = 0
    for chapter in CHAPTERS:
        path = page(lang, chapter)
        sources, cells = code_cells(lang, chapter), soup(path).select("div.cell")
        assert len(cells) == len(sources), f"{path}: {len(cells)} cells for {len(sources)} code cells"
        for number, ((source, tags), cell) in enumerate(zip(sources, cells), 1):
            images = [img["src"] for img in cell.select("div.cell_output img")]
            if "plt.show()" in source and "remove-output" not in tags:
                plots += 1
                assert images, f"{chapter}/{lang} code cell {number}: no figure"
            for src in images:
                assert not src.startswith(("http://", "https://", "data:")), src
                assert (path.parent / src).resolve().is_file(), src
    assert plots >= 10


def test_no_page_links_a_remote_picture(site):
    for path in SITE.rglob("book/**/*.html"):
        for img in soup(path).find_all("img"):
            assert not img.get("src", "").startswith(("http://", "https://")), (path, img["src"])


def unexpected_errors(path):
    """Error or stderr outputs outside cells tagged raises-exception."""
    found = []
    # myst-nb renders a traceback as a highlighted div, or as a plain pre when it has no lexer for it
    for output in soup(path).select(".output.traceback, .output.error, .output.stderr"):
        cell = output.find_parent("div", class_="cell")
        if not (cell and "tag_raises-exception" in cell.get("class", [])):
            found.append(output.get_text()[:200])
    return found


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_no_errors_except_the_intended_ones(site, lang):
    for chapter in CHAPTERS:
        assert unexpected_errors(page(lang, chapter)) == [], chapter
    intended = soup(page(lang, "12_mistakes")).select("div.tag_raises-exception .output.traceback")
    assert len(intended) >= 5, "the common-mistakes page should show its errors"


def test_error_check_can_fail(site, tmp_path):
    """The same page with one intended-failure tag removed is reported."""
    html = page("en", "12_mistakes").read_text(encoding="utf-8")
    changed = tmp_path / "page.html"
    changed.write_text(html.replace("tag_raises-exception", "tag_other", 1), encoding="utf-8")
    assert unexpected_errors(changed)


@pytest.mark.parametrize("lang,other", [("en", "zh"), ("zh", "en")])
def test_twin_links_resolve(site, lang, other):
    for chapter in CHAPTERS:
        path = page(lang, chapter)
        links = soup(path).select("a.twin-link")
        assert len(links) == 1, path
        target = (path.parent / links[0]["href"]).resolve()
        assert target == page(other, chapter).resolve() and target.is_file(), links[0]["href"]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_pages_load_nothing_from_the_network(site, lang):
    """The built site, read offline: every script and style sheet a page loads is a file of the site,
    MathJax included (tools/build_book.py checks this on every build; tests/test_build_book_checks.py
    shows the check failing on a CDN script and a missing file)."""
    import importlib.util
    spec = importlib.util.spec_from_file_location("build_book", ROOT / "tools" / "build_book.py")
    build_book = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build_book)
    assert build_book.offline_problems(SITE / lang) == []
    mathjax = SITE / lang / "_static" / "mathjax"
    assert (mathjax / "tex-mml-chtml.js").is_file()
    assert sum(f.stat().st_size for f in mathjax.rglob("*") if f.is_file()) < 3_000_000


def test_site_index_offers_both_languages(site):
    index = soup(SITE / "index.html")
    hrefs = {a["href"] for a in index.find_all("a")}
    assert hrefs == {"en/book/00_home/en.html", "zh/book/00_home/zh.html"}
    for href in hrefs:
        assert (SITE / href).is_file()


def search_terms(lang):
    text = (SITE / lang / "searchindex.js").read_text(encoding="utf-8")
    return json.loads(text[text.index("(") + 1:text.rindex(")")])["terms"]


def test_chinese_search_index_has_chinese_words(site):
    terms = search_terms("zh")
    for word in ("训练", "模型", "准确率", "神经网络"):
        assert word in terms, word
    # jieba splits sentences into words; without it a whole run of Chinese is one "word"
    chinese = [t for t in terms if re.fullmatch(r"[\u4e00-\u9fff]+", t)]
    assert len(chinese) > 500 and max(map(len, chinese)) <= 8, max(chinese, key=len)
    assert "训练" not in search_terms("en")  # the check can fail: the English build has no Chinese


def test_build_log_is_clean(site):
    for lang in ("en", "zh"):
        log = (ROOT / "_build" / "logs" / f"{lang}.log").read_text(encoding="utf-8")
        for bad in ("missing from font", "DeprecationWarning", "reference target not found",
                    "undefined label", "Executing notebook failed"):
            assert bad not in log, (lang, bad)


def test_cached_rebuild_executes_nothing(site):
    result = subprocess.run([sys.executable, str(ROOT / "tools" / "build_book.py")], cwd=ROOT,
                            capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stderr[-3000:]
    # what the build script reports (timings belong in the README, not in an assertion)
    reported = re.findall(r"book \((en|zh)\): built in [\d.]+ s, (\d+) notebooks executed", result.stdout)
    assert sorted(reported) == [("en", "0"), ("zh", "0")], result.stdout[-2000:]
    for lang in ("en", "zh"):
        log = (ROOT / "_build" / "logs" / f"{lang}.log").read_text(encoding="utf-8")
        assert not re.search(r"Executing notebook|Executing:", log), lang
