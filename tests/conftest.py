"""How `make test` spreads the tests over its two workers (pytest-xdist, ``--dist loadgroup``).

Each test module stays on one worker, so a module's fixtures (a graded batch, a scratch course)
are built once; the modules that read the built book share one worker, so the book is built once
and no rebuild replaces the site while a browser test reads it."""

import pytest

# the modules that use the built site (tests/book_site.py's build_site, _build/site, _build/logs)
# (tests/test_suite_layout.py finds them by their imports)
BOOK = {"test_book_build", "test_book_paths", "test_book_search", "test_book_twin_outputs", "test_browser"}


def xdist_group(module_name):
    return "book" if module_name in BOOK else module_name


def pytest_collection_modifyitems(items):
    for item in items:
        item.add_marker(pytest.mark.xdist_group(xdist_group(item.module.__name__)))
