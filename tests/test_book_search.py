"""Every glossary term, searched for on the built Chinese site in headless Chromium, finds the
pages that use it (slow: needs the built site).

Sphinx indexes Chinese with jieba; without the user dictionary generated from book/terminology.yml
(html_search_options in _config.zh.yml), jieba cuts 过拟合 into 过 + 拟合, the query is looked up
whole, and the search finds nothing. One-character terms (层, 轮) are kept in the index by
book/_ext/twins.py, since Sphinx drops every one-character word.
"""

import functools
import importlib.util
import re

import jupytext
import pytest

from book_site import CHAPTERS, ROOT
from chromium import needs_chromium
from test_browser import ARTIFACTS, browser, server  # noqa: F401  (fixtures: the built site, Chromium)

pytestmark = [pytest.mark.slow, needs_chromium]

spec = importlib.util.spec_from_file_location("terminology", ROOT / "tools" / "terminology.py")
terminology = importlib.util.module_from_spec(spec)
spec.loader.exec_module(terminology)
TERMS = terminology.load()
ROLE = re.compile(r"\{term\}`([^`]+)`")
GLOSSARY = "book/15_glossary/zh"


@functools.cache
def prose(chapter):
    """The Chinese page's Markdown cells: where a reader sees the term."""
    notebook = jupytext.read(ROOT / "book" / chapter / "zh.md")
    return "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "markdown")


def pages_using(term):
    """The Chinese pages a search for the term must find: the glossary, every page that links the
    term, and (for terms of two or more characters) every page whose prose uses it."""
    label = terminology.label(term, "zh").lower()
    pages = {GLOSSARY}
    for chapter in CHAPTERS:
        text = prose(chapter)
        linked = any((re.search(r"<([^<>]+)>\s*$", c) or [None, c])[1].strip().lower() == label
                     for c in ROLE.findall(text))
        if linked or (len(term["zh"]) > 1 and term["zh"] in re.sub(r"`[^`]*`|\$[^$]*\$", "", text)):
            pages.add(f"book/{chapter}/zh")
    return pages


def search(browser, server, query):
    """The pages Sphinx's search page lists for the query, once the search has finished."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait
    browser.get(f"{server}/zh/search.html?q={query}")
    WebDriverWait(browser, 30).until(lambda b: b.execute_script(
        "const s = document.querySelector('p.search-summary'); return s && s.innerText.trim().length > 0;"))
    links = [a.get_attribute("href") for a in browser.find_elements(By.CSS_SELECTOR, "ul.search li a")]
    return {match[1] for link in links if (match := re.search(r"/zh/(book/[^/]+/zh)\.html", link))}


def test_every_glossary_term_finds_the_pages_that_use_it(server, browser):  # noqa: F811
    missing = {}
    for term in TERMS:
        found = search(browser, server, term["zh"])
        if not pages_using(term) <= found:
            missing[term["zh"]] = sorted(pages_using(term) - found)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / "search_zh_terms.png"))
    assert missing == {}, f"the search does not find these pages: {missing}"


def test_search_check_can_fail(server, browser):  # noqa: F811
    """A word cut apart by jieba is not found: the search sees 过拟 as nothing (过 + 拟)."""
    assert search(browser, server, "过拟") == set()
    assert GLOSSARY in search(browser, server, "过拟合")
