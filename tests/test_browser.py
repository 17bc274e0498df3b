"""A real browser opens an English and a Chinese chapter of the built site.

Headless Chromium from Debian (chromium + chromium-driver); screenshots are kept in
_build/artifacts/ as build artifacts.
"""

import functools
import http.server
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
