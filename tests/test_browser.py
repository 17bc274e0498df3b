"""A real browser opens an English and a Chinese chapter of the built site, a figure with its alt
text, the glossary pages with a chapter's link into them, and pages with formulas read from the
file system (MathJax from the site itself).

Headless Chromium from Debian (chromium + chromium-driver); screenshots are kept in
_build/artifacts/ as build artifacts.
"""

import functools
import http.server
import os
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


# --- accessibility: axe-core over every page, alt texts, phone width, screenshots ----------------

SCREENS = ROOT / "_build" / "screens"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
WIDTHS = {"desktop": 1280, "phone": 390}


def axe_script():
    """axe-core 4 from npm (tools/setup.sh puts it in the venv); axe-selenium-python's own copy is
    axe-core 3.1, which has no WCAG 2.1 rules such as label-content-name-mismatch."""
    import sys
    from pathlib import Path
    script = Path(sys.prefix) / "npm" / "node_modules" / "axe-core" / "axe.min.js"
    assert script.is_file(), f"{script} is missing: run make setup (it needs npm)"
    return script


def site_pages():
    """Every page of both sites, as paths relative to the site: the site's index, the chapters,
    the search and index pages."""
    pages = [path.relative_to(SITE).as_posix() for lang in ("en", "zh")
             for path in [*sorted((SITE / lang / "book").glob("*/*.html")), SITE / lang / "search.html",
                          SITE / lang / "genindex.html"]]
    return ["index.html", *pages]


def axe_violations(browser):
    """[(rule, impact, element)] for every violation of a WCAG 2.0/2.1 A or AA rule on the open page.

    Every rule with one of those tags runs, the experimental ones too (label-content-name-mismatch
    is one): runOnly by tag would leave those out."""
    from axe_selenium_python import Axe
    axe = Axe(browser, script_url=str(axe_script()))
    axe.inject()
    rules = browser.execute_script(
        "return axe.getRules(arguments[0]).map(r => r.ruleId)", WCAG_TAGS)
    results = axe.run(options='{"runOnly": {"type": "rule", "values": %s}, "resultTypes": ["violations"]}'
                      % str(rules).replace("'", '"'))
    return [(v["id"], v["impact"], " ".join(map(str, n["target"])))
            for v in results["violations"] for n in v["nodes"]]


def set_width(browser, width, height=None):
    """A viewport `width` CSS pixels wide, as a phone or a desktop browser shows the page."""
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                            {"width": width, "height": height or (900 if width < 600 else 1000),
                             "deviceScaleFactor": 1, "mobile": width < 600})


def full_screenshot(browser, path, width, limit=16000):
    """The whole page (up to `limit` px high) as a PNG `width` CSS pixels wide: the viewport is made
    as tall as the page for the shot, then put back."""
    height = min(limit, browser.execute_script("return document.documentElement.scrollHeight"))
    set_width(browser, width, height)
    browser.execute_script("window.scrollTo(0, 0)")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(browser.get_screenshot_as_png())
    set_width(browser, width)


def page_width_problems(browser):
    """What a phone reader would have to scroll sideways for, or would misread: the page itself
    wider than the viewport (tables, code and formulas scroll in their own boxes), a table squeezed
    until a column is narrower than two characters, a line of code or output wrapped onto the next
    line (it reads as two lines: issue #25 found `loss=` at column 0 and a class name cut in two),
    or a figure wider than its column."""
    return browser.execute_script("""
        const problems = [];
        const view = document.documentElement.clientWidth;
        if (document.documentElement.scrollWidth > view + 1)
          problems.push(`page ${document.documentElement.scrollWidth}px wide in a ${view}px viewport`);
        for (const pre of document.querySelectorAll('div.cell_input pre, div.cell_output pre, div.highlight pre')) {
          if (!pre.offsetParent) continue;  // in a collapsed toggle
          const style = getComputedStyle(pre);
          const text = pre.textContent.replace(/\\n$/, '');
          if (style.whiteSpace !== 'pre') {
            problems.push(`code wraps (white-space: ${style.whiteSpace}): ` + text.slice(0, 40));
            continue;
          }
          const lines = text.split('\\n').length;
          const lineHeight = parseFloat(style.lineHeight) || 1.2 * parseFloat(style.fontSize);
          const height = pre.scrollHeight - parseFloat(style.paddingTop) - parseFloat(style.paddingBottom);
          if (height > (lines + 1) * lineHeight) problems.push('wrapped code line: ' + text.slice(0, 40));
        }
        for (const img of document.querySelectorAll('main img, article img')) {
          if (!img.offsetParent || img.closest('.navbar-brand')) continue;
          const box = img.parentElement.getBoundingClientRect();
          const rect = img.getBoundingClientRect();
          if (rect.width > box.width + 1 || rect.right > view + 1)
            problems.push(`figure ${Math.round(rect.width)}px wide in a ${Math.round(box.width)}px column: ` +
                          (img.getAttribute('src') || '').split('/').pop());
        }
        for (const cell of document.querySelectorAll('main table td, main table th')) {
          const style = getComputedStyle(cell);
          const em = parseFloat(style.fontSize);
          if (cell.textContent.trim().length > 1 && cell.clientWidth < 2 * em)
            problems.push('table column squeezed: ' + cell.textContent.trim().slice(0, 30));
        }
        return problems;""")


def alt_problems(browser, lang):
    """Pictures of the open page whose alt text says nothing: missing, empty, a path or a file name
    (myst-nb's default is the image's path), or not in the page's language."""
    return browser.execute_script(f"""
        const problems = [];
        for (const img of document.querySelectorAll('main img, article img')) {{
          if (img.closest('.navbar-brand')) continue;
          const alt = (img.getAttribute('alt') || '').trim();
          const name = img.getAttribute('src').split('/').pop();
          if (!alt) problems.push('no alt text: ' + name);
          else if (/^(\\.\\.?\\/|\\/|[a-z]+:\\/\\/)/i.test(alt) || /^[\\w.\\/\\\\-]+$/.test(alt) ||
                   /\\.(png|svg|jpe?g|gif|webp)\\b/i.test(alt) || alt.includes('_images'))
            problems.push('alt text is a path or file name: ' + alt);
          else if (alt.length < 20) problems.push('alt text too short: ' + alt);
          else if ((arguments[0] === 'zh') !== /{CJK}/.test(alt))
            problems.push('alt text not in the page language: ' + alt.slice(0, 60));
        }}
        return problems;""", lang)


def test_every_page_passes_axe_and_fits_a_phone(server, browser):
    """axe-core's WCAG 2.0/2.1 A and AA rules find nothing on any page of either site, at desktop
    and at phone width; every picture has an alt text in the page's language that says something;
    at 390 px nothing makes the page scroll sideways. A page at a width where something was found
    is kept as a whole-page screenshot in _build/screens/; with BOOK_SCREENSHOTS=1, every page at
    both widths is (the shots took 48 of this test's 266 s)."""
    violations, alts, widths = [], [], []
    every_shot = os.environ.get("BOOK_SCREENSHOTS") == "1"
    try:
        for page in site_pages():
            lang = page.split("/")[0] if "/" in page else "en"
            name = page.replace("/book/", "_").replace("/", "_").removesuffix(".html")
            for device, width in WIDTHS.items():
                found = len(violations) + len(alts) + len(widths)
                set_width(browser, width)
                browser.get(f"{server}/{page}")
                wait_for_images(browser)
                violations += [(page, device, *v) for v in axe_violations(browser)]
                if device == "desktop":
                    alts += [(page, problem) for problem in alt_problems(browser, lang)]
                else:
                    widths += [(page, problem) for problem in page_width_problems(browser)]
                if every_shot or len(violations) + len(alts) + len(widths) > found:
                    full_screenshot(browser, SCREENS / f"{name}_{width}.png", width)
    finally:
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    from collections import Counter
    summary = Counter((rule, impact) for _, _, rule, impact, _ in violations)
    assert violations == [], f"{len(violations)} axe violations {dict(summary)}:\n" + \
        "\n".join(map(str, violations[:40]))
    assert alts == [], "\n".join(map(str, alts))
    assert widths == [], "\n".join(map(str, widths))


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_stale_twin_note_is_readable(server, browser, lang):
    """The note a page shows while its twin changed (book/_ext/twins.py) passes axe: planted into a
    page as the build writes it, since an aligned book has none. With the theme's link colour, as
    the note had before twins.css gave its link the text colour, axe finds the contrast too low."""
    import importlib.util
    spec = importlib.util.spec_from_file_location("book_ext_twins", ROOT / "book" / "_ext" / "twins.py")
    twins = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(twins)
    text, link = twins.STALE[lang]
    browser.get(f"{server}/{lang}/book/09_verify/{lang}.html")
    wait_for_images(browser)
    plant = """document.querySelector('p.twin-link').insertAdjacentHTML('afterend',
        `<p class="twin-stale">${arguments[0]} <a class="reference external" href="#">${arguments[1]}</a>.</p>`);
        document.querySelector('p.twin-stale a').style.color = arguments[2];"""
    browser.execute_script(plant, text, link, "")
    assert axe_violations(browser) == []
    browser.execute_script("document.querySelector('p.twin-stale').remove()")
    browser.execute_script(plant, text, link, "var(--pst-color-link)")
    assert "color-contrast" in {rule for rule, _, _ in axe_violations(browser)}


def test_accessibility_checks_can_fail(server, browser):
    """Planted faults are caught: a button whose aria-label leaves out its visible text, grey text
    on grey, a picture whose alt text is its path, one with none, an English alt text on a Chinese
    page, and a table too wide for a phone squeezed into it."""
    browser.get(f"{server}/en/book/09_verify/en.html")
    wait_for_images(browser)
    assert axe_violations(browser) == [] and alt_problems(browser, "en") == []
    browser.execute_script("""
        const main = document.querySelector('main');
        main.insertAdjacentHTML('afterbegin',
          '<button aria-label="Close">Open the menu</button>' +
          '<p style="color:#999;background:#aaa">grey on grey</p>');
        const imgs = document.querySelectorAll('main img');
        imgs[0].alt = '../../_images/0a1b2c3d.png';
        imgs[1].removeAttribute('alt');""")
    rules = {rule for rule, _, _ in axe_violations(browser)}
    assert {"label-content-name-mismatch", "color-contrast"} <= rules, rules
    problems = alt_problems(browser, "en")
    assert any(p.startswith("alt text is a path") for p in problems), problems
    assert any(p.startswith("no alt text") for p in problems), problems
    assert any(p.startswith("alt text not in the page language") for p in alt_problems(browser, "zh"))
    browser.execute_script("document.querySelector('main img').alt = 'predictions.png'")
    assert any("file name" in p for p in alt_problems(browser, "en"))
    try:
        set_width(browser, 390)
        browser.get(f"{server}/en/book/09_verify/en.html")
        assert page_width_problems(browser) == []
        browser.execute_script("""
            const t = document.createElement('table');
            t.style.cssText = 'display:table;width:100%;table-layout:fixed';
            t.innerHTML = '<tr>' + Array(40).fill('<td>long column text</td>').join('') + '</tr>';
            document.querySelector('main').prepend(t);
            const p = document.createElement('pre');
            p.style.cssText = 'white-space:pre;overflow:visible;width:max-content';
            p.textContent = 'x'.repeat(400);
            document.querySelector('main').prepend(p);
            const code = document.querySelector('div.cell_input pre');
            code.style.whiteSpace = 'pre-wrap';
            code.textContent = 'model.compile(optimizer="adam", ' + 'loss=keras.losses.SparseCategoricalCrossentropy() '.repeat(6);
            const img = document.querySelector('main img');
            img.style.cssText = 'max-width:none;width:900px';""")
        problems = page_width_problems(browser)
        assert any(p.startswith("page ") for p in problems) and \
            any(p.startswith("table column squeezed") for p in problems), problems
        assert any(p.startswith("code wraps") for p in problems), problems
        assert any(p.startswith("figure 900px wide") for p in problems), problems
        # a line wrapped although white-space says pre (a <br> the theme might add): the height check
        browser.execute_script("""
            const code = document.querySelector('div.cell_input pre');
            code.style.whiteSpace = 'pre';
            code.innerHTML = 'first line<br><br><br>second line';""")
        assert any(p.startswith("wrapped code line") for p in page_width_problems(browser))
    finally:
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


# --- issue #25: the toggles' language, the sidebar's chapter numbers ----------------------------

def test_chinese_pages_have_chinese_toggles(server):
    """No "Show/Hide code cell ..." on a Chinese page (book/_ext/a11y.py translates myst-nb's
    toggles); the English pages keep them, which shows the check can find them."""
    def toggles(lang):
        return {path.relative_to(SITE).as_posix(): len(re.findall(r'admonition-title">(?:Show|Hide) code cell',
                                                                   path.read_text(encoding="utf-8")))
                for path in sorted((SITE / lang / "book").glob("*/*.html"))}
    english_on_zh = {page: count for page, count in toggles("zh").items() if count}
    assert english_on_zh == {}
    assert sum(toggles("en").values()) > 0
    assert "显示单元格输出" in (SITE / "zh" / "book" / "07_evaluate" / "zh.html").read_text(encoding="utf-8")


def sidebar_chapters(browser):
    """[(number shown, folder linked)] of the sidebar's chapter links on the open page."""
    return [tuple(pair) for pair in browser.execute_script("""
        return [...document.querySelectorAll('.bd-sidenav a.reference.internal')].map(a => {
          const number = a.querySelector('.chapter-number');
          const path = a.getAttribute('href') === '#' ? location.pathname : a.getAttribute('href');
          const folder = (path.match(/(\\d\\d[a-z]?)_[\\w-]+\\/(?:en|zh)\\.html/) || [])[1] || null;
          return [number ? number.textContent.trim() : null, folder];
        });""")]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_sidebar_numbers_are_the_chapters_numbers(server, browser, lang):
    """The sidebar shows each chapter's number (07, 07b, 13b...), the one the text cites, on every
    chapter link, the current page's too."""
    browser.get(f"{server}/{lang}/book/07b_overfitting/{lang}.html")
    chapters = [pair for pair in sidebar_chapters(browser) if pair[1] not in (None, "00")]
    assert len(chapters) >= 17 and all(number == folder for number, folder in chapters), chapters
    assert ("07b", "07b") in chapters and ("13b", "13b") in chapters
    # the check can fail: a link whose number was taken off
    browser.execute_script("document.querySelector('.bd-sidenav .chapter-number').remove()")
    assert any(number != folder for number, folder in sidebar_chapters(browser) if folder not in (None, "00"))
