"""The book's Sphinx extension book/_ext/a11y.py, without a build (fast): the toggles of hidden
cells speak the page's language, and the sidebar numbers the chapters as the text cites them.

The built site is checked in the browser (tests/test_browser.py); these tests show each rule on
planted HTML, and show it failing.
"""

import importlib.util
import re

import pytest
import yaml

from book_site import CHAPTERS, ROOT

spec = importlib.util.spec_from_file_location("book_a11y", ROOT / "book" / "_ext" / "a11y.py")
a11y = importlib.util.module_from_spec(spec)
spec.loader.exec_module(a11y)

# myst-nb's toggles as it writes them (myst_nb/sphinx_.py, visit_HideCellInput)
TOGGLES = "".join(f'<p class="{state} admonition-title">{verb} code cell {kind}</p>\n'
                  for kind in ("content", "source", "output", "outputs")
                  for state, verb in (("collapsed", "Show"), ("expanded", "Hide")))


def test_chinese_pages_get_chinese_toggles():
    zh = a11y.translate_toggles(TOGGLES, "zh_CN")
    assert "code cell" not in zh and not re.search(r">(Show|Hide) ", zh)
    assert '<p class="collapsed admonition-title">显示单元格输出</p>' in zh
    assert '<p class="expanded admonition-title">隐藏单元格代码</p>' in zh
    # the rejected variant of the terminology (代码单元) is not what the toggles say
    assert "代码单元" not in zh
    # English pages keep myst-nb's English
    assert a11y.translate_toggles(TOGGLES, "en") == TOGGLES


def test_untranslated_toggles_are_found():
    """What tests/test_browser.py looks for on a built Chinese page: the check can fail."""
    assert english_toggles(TOGGLES) == 8
    assert english_toggles(a11y.translate_toggles(TOGGLES, "zh_CN")) == 0


def english_toggles(html):
    return len(re.findall(r'admonition-title">(?:Show|Hide) code cell', html))


SIDEBAR = ('<ul class="nav bd-sidenav"><li class="toctree-l1"><a class="reference internal" '
           'href="../01_setup/en.html">Getting set up</a></li>'
           '<li class="toctree-l1 current active"><a class="current reference internal" href="#">What to do '
           'about <code>fit</code></a></li>'
           '<li class="toctree-l1"><a class="reference internal" href="../13b_next/en.html">What next</a></li>'
           '<li><a class="reference external" href="https://example.org/07_x/en.html">elsewhere</a></li></ul>')


def test_sidebar_numbers_the_chapters():
    html = a11y.number_sidebar_links(SIDEBAR, "book/07b_overfitting/en")
    assert sidebar_numbers(html) == [("01", "../01_setup/en.html"), ("07b", "#"), ("13b", "../13b_next/en.html")]
    assert "elsewhere</a>" in html and 'chapter-number">' not in html.split("example.org")[1]
    assert a11y.number_sidebar_links(html, "book/07b_overfitting/en") == html  # numbered once only
    assert a11y.chapter_number("book/00_home/en") is None and a11y.chapter_number("search") is None


NUMBERED_LINK = re.compile(r'<a class="[^"]*reference internal[^"]*" href="([^"]*)">'
                           r'<span class="chapter-number">(\w+)</span>')


def sidebar_numbers(html):
    """[(number, href)] of the numbered chapter links."""
    return [(number, href) for href, number in NUMBERED_LINK.findall(html)]


def test_unnumbered_sidebar_is_found():
    assert sidebar_numbers(SIDEBAR) == []


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_chapter_in_the_toc_has_a_number(lang):
    """The numbers come from the folders: every chapter the toc lists has one, and they follow the
    book's order (07 before 07b before 08)."""
    toc = yaml.safe_load((ROOT / ("_toc.yml" if lang == "en" else "_toc.zh.yml")).read_text())
    numbers = [a11y.chapter_number(entry["file"]) for entry in toc["chapters"]]
    assert None not in numbers and numbers == sorted(numbers)
    assert {"07b", "13b"} <= set(numbers) and len(numbers) == len(CHAPTERS) - 1


class Soup:
    """What pydata-sphinx-theme's generate_toctree_html hands back for the sidebar: a BeautifulSoup,
    printed by the template (a plain string would do as well)."""
    def __init__(self, html):
        self.html = html

    def __str__(self):
        return self.html


def test_the_theme_sidebar_is_numbered_through_the_page_context():
    """a11y.number_the_sidebar wraps the theme's function in the page's context: the sidebar it
    returns is numbered, other kinds of toctree are left alone, and wrapping twice numbers once."""
    calls = []

    def theme(kind, startdepth=1, show_nav_level=1, **kwargs):
        calls.append(kind)
        return Soup(SIDEBAR)

    context = {"generate_toctree_html": theme}
    a11y.number_the_sidebar(None, "book/07b_overfitting/en", "page.html", context, None)
    a11y.number_the_sidebar(None, "book/07b_overfitting/en", "page.html", context, None)
    html = context["generate_toctree_html"](startdepth=0, kind="sidebar", maxdepth=4)
    assert sidebar_numbers(str(html))[1] == ("07b", "#") and str(html).count('class="chapter-number"') == 3
    assert isinstance(context["generate_toctree_html"]("raw"), Soup)
    # without the wrapper, the theme's sidebar has no numbers: what the browser test would catch
    assert sidebar_numbers(str(theme("sidebar"))) == []
