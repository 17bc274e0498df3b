"""The test workers' grouping (tests/conftest.py): every module that reads the built book runs on
the book's worker, so the site is built once and never rebuilt under a browser test."""

import re
from pathlib import Path

import conftest

TESTS = Path(__file__).parent
# importing the site's builder or path, or the browser tests' fixtures (which build it)
USES_SITE = re.compile(r"^from book_site import .*\b(SITE|build_site)\b|^from test_browser import", re.M)


def modules_using_the_site(sources):
    """{module name} of the test modules among ``sources`` ({name: text}) that use the built site."""
    return {name for name, text in sources.items() if name.startswith("test_") and USES_SITE.search(text)}


def test_every_module_that_reads_the_site_is_in_the_book_group():
    sources = {path.stem: path.read_text(encoding="utf-8") for path in TESTS.glob("test_*.py")}
    using = modules_using_the_site(sources)
    assert {"test_browser", "test_book_build"} <= using
    assert {name for name in using if conftest.xdist_group(name) != "book"} == set()
    # the check can fail: a new module that opens the site, outside the group
    planted = modules_using_the_site({"test_new_pages": "from book_site import SITE\n"})
    assert {name for name in planted if conftest.xdist_group(name) != "book"} == {"test_new_pages"}


def test_other_modules_keep_a_group_of_their_own():
    assert conftest.xdist_group("test_grading") == "test_grading" != conftest.xdist_group("test_demo")
