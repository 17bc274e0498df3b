"""The class report in a real browser, opened from the file system as an instructor would.

Headless Chromium from Debian (chromium + chromium-driver), as in tests/test_browser.py. Screenshots
are saved in the test's temporary folder.
"""


import pytest

import chromium
from chromium import needs_chromium

from autograder import __main__ as entry
from report_course import make_course

pytestmark = [pytest.mark.slow, needs_chromium]


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    driver = chromium.start(tmp_path_factory.mktemp("chromium"))
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    return make_course(tmp_path_factory.mktemp("course"))


def _column(browser, index):
    return browser.execute_script(
        "return [...document.querySelectorAll('#students-table tbody tr')]"
        f".map(r => r.cells[{index}].dataset.value);")


@pytest.mark.parametrize("lang,title", [("en", "Class report"), ("zh", "班级报告")])
def test_report_opens_offline_with_figures_and_a_sortable_table(course, browser, tmp_path, lang, title):
    from selenium.webdriver.common.by import By
    assignment = f"fashion_mnist_{lang}"
    assert entry.main(["report", assignment, "--course", str(course)]) == 0
    page = course / "reports" / f"{assignment}.html"
    browser.get(page.as_uri())
    assert title in browser.title
    loaded = browser.execute_script(
        "const imgs = [...document.images];"
        "return [imgs.length, imgs.filter(i => i.complete && i.naturalWidth > 0).length];")
    assert loaded == [3, 3]
    for table in ("parts-table", "items-table", "status-table", "slowest-table", "students-table"):
        assert browser.find_elements(By.CSS_SELECTOR, f"#{table} tbody tr"), table
    assert len(browser.find_elements(By.CSS_SELECTOR, "details.similar-pair")) == 1
    browser.save_screenshot(str(tmp_path / f"report_{lang}.png"))

    # click "score": ascending, n/a (ivan, not in the gradebook) last; click again: descending
    header = browser.find_elements(By.CSS_SELECTOR, "#students-table thead th")[2]
    browser.execute_script("arguments[0].scrollIntoView()", header)
    header.click()
    scores = _column(browser, 2)
    numbers = [float(v) for v in scores if v]
    assert numbers == sorted(numbers) and scores[-1] == "" and header.get_attribute("aria-sort") == "ascending"
    header.click()
    numbers = [float(v) for v in _column(browser, 2) if v]
    assert numbers == sorted(numbers, reverse=True) and numbers[0] == 24
    browser.save_screenshot(str(tmp_path / f"report_{lang}_sorted.png"))
    # a feedback link leads to the student's page on disk
    browser.find_element(By.CSS_SELECTOR, "#students-table a").click()
    assert "feedback for" in browser.find_element(By.TAG_NAME, "body").text


def test_an_unsorted_table_is_detected(course, browser):
    """The sort check can fail: with the page's script removed a click changes nothing."""
    from selenium.webdriver.common.by import By
    assert entry.main(["report", "fashion_mnist_en", "--course", str(course), "--similarity", "off",
                     "--out", str(course / "unsorted.html")]) == 0
    page = course / "unsorted.html"
    page.write_text(page.read_text(encoding="utf-8").split("<script>")[0] + "</body></html>", encoding="utf-8")
    browser.get(page.as_uri())
    before = _column(browser, 2)
    browser.find_elements(By.CSS_SELECTOR, "#students-table thead th")[2].click()
    numbers = [float(v) for v in _column(browser, 2) if v]
    assert _column(browser, 2) == before and numbers != sorted(numbers)
