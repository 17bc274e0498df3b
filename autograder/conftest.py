"""`pytest autograder --notebook PATH`: the hidden checks on one completed notebook, no nbgrader.

Runs the notebook once, then each graded test cell of the assignment's source (hidden tests
included) as one pytest test against the notebook's functions, and ends with a per-part report.
"""

import pytest

from autograder.notebook_run import grade_cells, run_notebook

_results = {}
_cell_errors = []


def pytest_addoption(parser):
    parser.addoption("--notebook", action="store", default=None,
                     help="a completed Fashion-MNIST notebook to check")
    parser.addoption("--lang", action="store", default=None,
                     help="en or zh (default: the notebook's LANG)")


def _lang(config):
    if config.getoption("--lang"):
        return config.getoption("--lang")
    path = config.getoption("--notebook")
    if path:
        import nbformat
        from autograder.notebook_run import notebook_language
        return notebook_language(nbformat.read(path, as_version=4))
    return "en"


def pytest_generate_tests(metafunc):
    if "grade_cell" in metafunc.fixturenames:
        cells = grade_cells(_lang(metafunc.config))
        metafunc.parametrize("grade_cell", cells, ids=[cell[0] for cell in cells])


@pytest.fixture(scope="session")
def student(request):
    path = request.config.getoption("--notebook")
    if not path:
        pytest.skip("pass --notebook PATH to check a completed notebook")
    namespace, errors, lang = run_notebook(path)
    _cell_errors.extend(errors)
    return namespace, errors, lang


def pytest_runtest_logreport(report):
    if report.when == "call" or (report.when == "setup" and report.outcome != "passed"):
        grade_id = report.nodeid.rsplit("[", 1)[-1].rstrip("]")
        message = ""
        if report.failed:
            message = str(getattr(report.longrepr, "reprcrash", None) and report.longrepr.reprcrash.message
                          or report.longrepr).splitlines()[0]
        _results[grade_id] = (report.outcome, message)


def pytest_terminal_summary(terminalreporter, config):
    if not config.getoption("--notebook") or not _results:
        return
    cells = {cell[0]: cell[1] for cell in grade_cells(_lang(config))}
    write = terminalreporter.write_line
    terminalreporter.section("Fashion-MNIST notebook report")
    earned = 0
    for grade_id, points in cells.items():
        outcome, message = _results.get(grade_id, ("not run", ""))
        got = points if outcome == "passed" else 0
        earned += got
        write(f"{'PASS' if outcome == 'passed' else 'FAIL'}  {grade_id:<38} {got:>2}/{points:<2} {message}")
    write(f"score: {earned}/{sum(cells.values())}")
    for index, error in _cell_errors:
        write(f"notebook cell {index} raised {error}")
