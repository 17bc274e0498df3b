"""A real browser opens an English and a Chinese chapter of the built site, a figure with its alt
text, the glossary pages with a chapter's link into them, and pages with formulas read from the
file system (MathJax from the site itself).

Headless Chromium from Debian (chromium + chromium-driver); screenshots are kept in
_build/artifacts/ as build artifacts.
"""

import functools
import http.server
import re
import threading

import pytest

import chromium
from chromium import needs_chromium

from book_site import ROOT, SITE, build_site

pytestmark = [pytest.mark.slow, needs_chromium]
ARTIFACTS = ROOT / "_build" / "artifacts"


@pytest.fixture(scope="module")
def server():
    build_site()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(SITE))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    driver = chromium.start(tmp_path_factory.mktemp("chromium"))
    yield driver
    driver.quit()


def images_loaded(browser):
    return browser.execute_script(
        "const imgs = [...document.querySelectorAll('article img, main img')];"
        "return [imgs.length, imgs.filter(i => i.complete && i.naturalWidth > 0).length];")


@pytest.mark.parametrize("lang,other,title", [("en", "zh", "Verify predictions"),
                                              ("zh", "en", "用图表检验预测")])
def test_chapter_renders_and_links_to_its_twin(server, browser, lang, other, title):
    from selenium.webdriver.common.by import By
    browser.get(f"{server}/{lang}/book/09_verify/{lang}.html")
    assert title in browser.title
    total, loaded = images_loaded(browser)
    assert total >= 3 and loaded == total, (total, loaded)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / f"09_verify_{lang}.png"))
    # and the figures: the 5 x 3 grid of predictions, with class names in the page's language
    browser.execute_script("[...document.querySelectorAll('article img')].pop().scrollIntoView()")
    browser.save_screenshot(str(ARTIFACTS / f"09_verify_{lang}_figure.png"))
    browser.execute_script("window.scrollTo(0, 0)")
    browser.find_element(By.CSS_SELECTOR, "a.twin-link").click()
    assert browser.current_url.endswith(f"/{other}/book/09_verify/{other}.html")
    assert images_loaded(browser)[1] >= 3


def test_missing_image_is_detected(server, browser):
    """The image check can fail: break one picture in the page and it is counted as not loaded."""
    browser.get(f"{server}/en/book/09_verify/en.html")
    browser.execute_script("const i = document.querySelector('article img, main img');"
                           "i.src = 'missing.png';")
    browser.execute_script("return new Promise(r => setTimeout(r, 500));")
    total, loaded = images_loaded(browser)
    assert loaded < total


@pytest.mark.parametrize("lang,query,expected", [("zh", "准确率", "/zh/book/"), ("en", "softmax", "/en/book/")])
def test_search_finds_pages(server, browser, lang, query, expected):
    """Sphinx's own search page, in the browser: Chinese words are found (jieba split them)."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait
    browser.get(f"{server}/{lang}/search.html?q={query}")
    WebDriverWait(browser, 20).until(
        lambda b: b.find_elements(By.CSS_SELECTOR, "ul.search li a"))
    links = [a.get_attribute("href") for a in browser.find_elements(By.CSS_SELECTOR, "ul.search li a")]
    assert links and all(expected in link for link in links), links
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / f"search_{lang}.png"))


def test_site_index_leads_to_both_books(server, browser):
    from selenium.webdriver.common.by import By
    for label, title in (("English", "your first neural network"), ("中文", "第一个神经网络")):
        browser.get(f"{server}/index.html")
        browser.find_element(By.LINK_TEXT, label).click()
        assert title in browser.title, browser.title
        browser.save_screenshot(str(ARTIFACTS / f"home_{'en' if label == 'English' else 'zh'}.png"))


# --- figures and the glossary -------------------------------------------------------------------

def _load_terminology():
    import importlib.util
    spec = importlib.util.spec_from_file_location("terminology_tool", ROOT / "tools" / "terminology.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


terminology = _load_terminology()
CJK = "[\\u4e00-\\u9fff]"  # a Chinese character, as a JavaScript regular expression


def figure_problems(browser, figure_id, lang):
    """What is wrong with the figure `figure_id` of the open page: its <img> did not load, or its alt
    text is missing or not in the page's language (Chinese characters on a zh page, none on an en page)."""
    return browser.execute_script(f"""
        const figure = document.getElementById(arguments[0]);
        const img = figure && figure.querySelector('img');
        if (!img) return ['no figure with an image'];
        const problems = [];
        if (!(img.complete && img.naturalWidth > 0)) problems.push('image not loaded');
        const alt = (img.getAttribute('alt') || '').trim();
        const chinese = /{CJK}/.test(alt);
        if (alt.length < 20) problems.push('alt text missing or too short: ' + alt);
        else if (arguments[1] === 'zh' ? !chinese : chinese) problems.push('alt text not in the page language: ' + alt);
        return problems;""", figure_id, lang)


def wait_for_images(browser):
    browser.execute_script("return Promise.all([...document.images].map(i => i.decode().catch(() => null)))")


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_network_diagram_is_shown_with_alt_text(server, browser, lang):
    browser.get(f"{server}/{lang}/book/04_model/{lang}.html")
    wait_for_images(browser)
    assert figure_problems(browser, "fig-network", lang) == []
    browser.execute_script("document.getElementById('fig-network').scrollIntoView()")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / f"04_model_{lang}_network.png"))


def test_figure_check_can_fail(server, browser):
    """A broken picture, an alt text in the other language and a missing alt text are each reported."""
    browser.get(f"{server}/zh/book/04_model/zh.html")
    wait_for_images(browser)
    assert figure_problems(browser, "fig-network", "zh") == []
    assert figure_problems(browser, "fig-network", "en") != []  # Chinese alt text on an English page
    browser.execute_script("const i = document.querySelector('#fig-network img'); i.alt = 'Diagram of the network, "
                           "input, hidden and output layers'; i.src = 'missing.png';")
    browser.execute_script("return new Promise(r => setTimeout(r, 500));")
    problems = figure_problems(browser, "fig-network", "zh")
    assert "image not loaded" in problems and any(p.startswith("alt text not in the page language") for p in problems)
    browser.execute_script("document.querySelector('#fig-network img').removeAttribute('alt')")
    assert any(p.startswith("alt text missing") for p in figure_problems(browser, "fig-network", "zh"))
    assert figure_problems(browser, "fig-no-such-figure", "zh") == ["no figure with an image"]


def glossary_terms_shown(browser):
    """The terms of the open glossary page, as the browser shows them (without the ¶ links)."""
    return browser.execute_script(
        "return [...document.querySelectorAll('dl.glossary dt')].map(dt => {"
        "  const c = dt.cloneNode(true); c.querySelectorAll('a.headerlink').forEach(a => a.remove());"
        "  return c.textContent.trim(); });")


def missing_glossary_terms(browser, lang):
    shown = set(glossary_terms_shown(browser))
    return [terminology.label(term, lang) for term in terminology.load() if terminology.label(term, lang) not in shown]


def follow_term_link(browser, text):
    """Click the first {term} link whose text is `text` on the open page; return the text of the
    glossary entry the browser lands on, or None when the link leads to no glossary entry."""
    from selenium.webdriver.common.by import By
    links = [a for a in browser.find_elements(By.CSS_SELECTOR, "a.reference.internal")
             if a.find_elements(By.CSS_SELECTOR, "span.std-term") and a.text.strip() == text]
    assert links, f"no glossary link {text!r} on {browser.current_url}"
    browser.execute_script("arguments[0].scrollIntoView(); arguments[0].click();", links[0])
    return browser.execute_script(
        "const id = decodeURIComponent(location.hash.slice(1));"
        "const target = id && document.getElementById(id);"
        "if (!target || target.tagName !== 'DT' || !target.closest('dl.glossary')) return null;"
        "const c = target.cloneNode(true); c.querySelectorAll('a.headerlink').forEach(a => a.remove());"
        "return c.textContent.trim();")


@pytest.mark.parametrize("lang,title,link,entry", [("en", "Glossary", "batch", "batch"),
                                                   ("zh", "术语表", "批量", "批量（batch）")])
def test_glossary_lists_the_terms_and_chapters_link_to_them(server, browser, lang, title, link, entry):
    browser.get(f"{server}/{lang}/book/15_glossary/{lang}.html")
    assert title in browser.title
    assert missing_glossary_terms(browser, lang) == []
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / f"glossary_{lang}.png"))
    # a {term} link in the training chapter leads to its entry on the glossary page
    browser.get(f"{server}/{lang}/book/06_train/{lang}.html")
    assert follow_term_link(browser, link) == entry
    assert browser.current_url.split("#")[0].endswith(f"/{lang}/book/15_glossary/{lang}.html")


def test_glossary_checks_can_fail(server, browser):
    """A term taken off the glossary page is missed, and a term link that leads nowhere is caught."""
    browser.get(f"{server}/en/book/15_glossary/en.html")
    browser.execute_script("[...document.querySelectorAll('dl.glossary dt')]"
                           ".find(dt => dt.textContent.trim().startsWith('overfitting')).remove()")
    assert missing_glossary_terms(browser, "en") == ["overfitting"]
    browser.get(f"{server}/en/book/06_train/en.html")
    browser.execute_script("[...document.querySelectorAll('a.reference.internal')]"
                           ".find(a => a.querySelector('span.std-term') && a.textContent.trim() === 'batch')"
                           ".href = '../15_glossary/en.html#term-no-such-term'")
    assert follow_term_link(browser, "batch") is None


# --- formulas: MathJax from the site itself, read from the file system without a network --------

def math_problems(browser):
    """What shows that MathJax did not typeset the open page: formulas not turned into
    <mjx-container>, LaTeX source visible in the text, a MathJax error, a font that did not load."""
    return browser.execute_script(r"""
        const started = window.MathJax && MathJax.startup && MathJax.startup.promise;
        const done = started ? MathJax.startup.promise.then(() => document.fonts.ready) : Promise.resolve();
        return done.then(() => {
          const problems = [];
          const main = document.querySelector('main') || document.body;
          const formulas = main.querySelectorAll('.math').length;
          const typeset = main.querySelectorAll('mjx-container').length;
          if (!formulas) problems.push('no formulas on the page');
          if (typeset < formulas) problems.push(`${typeset} of ${formulas} formulas typeset`);
          for (const raw of ['\\frac', '\\mathbf', '\\(', '\\[', '$$'])
            if (main.innerText.includes(raw)) problems.push('LaTeX source shown: ' + raw);
          if (main.querySelector('mjx-merror')) problems.push('MathJax error');
          const fonts = [...document.fonts].filter(f => /MJX/.test(f.family));
          if (fonts.some(f => f.status === 'error')) problems.push('a MathJax font did not load');
          if (typeset && !fonts.some(f => f.status === 'loaded')) problems.push('no MathJax font loaded');
          return problems;
        });""")


@pytest.mark.parametrize("lang,chapter", [("en", "05_compile"), ("zh", "05_compile"), ("zh", "04_model")])
def test_formulas_render_offline(server, browser, lang, chapter):
    """Opened from the file system, as a student reading the built book offline does (this
    browser has no network either): MathJax comes from the site's _static and typesets every
    formula, with its fonts."""
    page = SITE / lang / "book" / chapter / f"{lang}.html"
    assert 'src="../../_static/mathjax/tex-mml-chtml.js' in page.read_text(encoding="utf-8")
    browser.get(page.as_uri())
    assert math_problems(browser) == []
    browser.execute_script("document.querySelector('mjx-container[display=\"true\"]')"
                           ".scrollIntoView({block: 'center'})")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / f"{chapter}_{lang}_formula.png"))


def test_formula_check_can_fail(server, browser):
    """A copy of the page without its MathJax script, and one that loads MathJax from a CDN as
    Sphinx does by default, show raw LaTeX: the check reports both."""
    page = SITE / "zh" / "book" / "05_compile" / "zh.html"
    html = page.read_text(encoding="utf-8")
    script = re.search(r'<script[^>]*src="[^"]*mathjax/tex-mml-chtml\.js[^"]*"[^>]*></script>', html)[0]
    copies = {"removed": html.replace(script, ""),
              "cdn": html.replace(script, '<script defer="defer" '
                                  'src="https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-mml-chtml.js"></script>')}
    for name, text in copies.items():
        copy = page.with_name(f"zh-mathjax-{name}.html")  # beside the page: the same relative links
        copy.write_text(text, encoding="utf-8")
        try:
            browser.get(copy.as_uri())
            problems = math_problems(browser)
        finally:
            copy.unlink()
        assert any(p.endswith("formulas typeset") for p in problems), (name, problems)
        assert "LaTeX source shown: \\frac" in problems, (name, problems)
