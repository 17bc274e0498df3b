"""The command line and the class grader's coordinator, on a tiny nbgrader course with workers
that return results at once (no box, no kernel): one entry with every verb, --student and
--force, results recorded with feedback as they arrive (a coordinator killed after k results
leaves k), fingerprints that ignore the book, bad files refused with a reason, the demo's class."""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from autograder.__main__ import main, parser
from autograder.grading import batch, cli, jobs, sandbox
from autograder.grading.coursedir import Course
from autograder.grading.status import Result, Status
from tiny_course import TINY_SOURCE, _tiny_course

ROOT = Path(__file__).resolve().parents[1]
VERBS = ("demo", "grade", "report", "lms", "bundle", "calibrate", "hub")


def test_help_lists_every_verb(capsys):
    with pytest.raises(SystemExit) as done:
        main(["--help"])
    said = capsys.readouterr().out
    assert done.value.code == 0
    for verb in VERBS:
        assert f"\n    {verb} " in said or f"\n    {verb}\n" in said, verb
    for verb in VERBS:   # and each verb has its own help
        with pytest.raises(SystemExit):
            main([verb, "--help"])
        assert "usage: python -m autograder " + verb in capsys.readouterr().out


def test_help_lists_exactly_the_table(capsys):
    from autograder.__main__ import VERBS as TABLE
    assert [verb.name for verb in TABLE] == list(VERBS)


FAKE_VERB = """
def add_arguments(parser):
    parser.add_argument("--times", type=int, default=1)

def run(args):
    print("fake " * args.times)
    return 7
"""


def test_a_verb_is_one_line_of_the_table(tmp_path, monkeypatch, capsys):
    """A new verb (the hub's, say) is one Verb(...) entry: its module gives add_arguments and run."""
    from autograder.__main__ import VERBS as TABLE, Verb, parse
    (tmp_path / "fake_verb_module.py").write_text(FAKE_VERB)
    monkeypatch.syspath_prepend(str(tmp_path))
    table = TABLE + (Verb("fake", "fake_verb_module", "a verb planted by the test"),)
    args = parse(["fake", "--times", "2"], table)
    assert args.run(args) == 7 and capsys.readouterr().out.strip() == "fake fake"
    with pytest.raises(SystemExit):   # not in the real table: no such verb
        parse(["fake"])
    with pytest.raises(AttributeError):   # a module without the named function is refused at once
        parse(["fake"], TABLE + (Verb("fake", "fake_verb_module", "x", run="missing"),))
    broken = table + (Verb("broken", "no_such_module_of_the_course", "a verb whose module is missing"),)
    args = parse(["fake"], broken)        # only the chosen verb's module is imported
    assert args.run(args) == 7
    with pytest.raises(ModuleNotFoundError):
        parse(["broken"], broken)


def test_help_imports_no_verb_module():
    """`python -m autograder --help` lists the verbs without importing them (nbgrader, TensorFlow)."""
    code = ("import sys\nfrom autograder.__main__ import parse\ntry:\n    parse(['--help'])\nexcept SystemExit:\n    pass\n"
            "print(sorted(m for m in sys.modules if m.startswith(('autograder.', 'nbgrader', 'tensorflow'))))")
    said = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT).stdout
    assert said.splitlines()[-1] == "['autograder.__main__']", said


def imports_of_main(text, package):
    """Modules of ``text`` (a module of ``package``) that import autograder.__main__."""
    import ast
    found = []
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.ImportFrom):
            base = package.split(".")[: len(package.split(".")) - node.level + 1] if node.level else []
            name = ".".join([*base, node.module or ""]).strip(".")
            names = [f"{name}.{alias.name}" for alias in node.names]
            if name == "autograder.__main__" or "autograder.__main__" in names:
                found.append(node.lineno)
        elif isinstance(node, ast.Import) and any(a.name == "autograder.__main__" for a in node.names):
            found.append(node.lineno)
    return found


def test_no_module_imports_the_entry_back():
    """The verbs are a layer under python -m autograder: none of them imports __main__ (issue #24)."""
    assert imports_of_main("def main():\n    from ..__main__ import main\n", "autograder.grading")
    assert imports_of_main("from . import __main__\n", "autograder")
    assert imports_of_main("import autograder.__main__\n", "autograder.report")
    assert not imports_of_main("from .batch import grade_batch\n", "autograder.grading")
    found = {}
    for module in sorted((ROOT / "autograder").rglob("*.py")):
        if module.name == "__main__.py" and module.parent.name == "autograder":
            continue
        package = ".".join(module.relative_to(ROOT).parent.parts)
        lines = imports_of_main(module.read_text(encoding="utf-8"), package)
        if lines:
            found[str(module.relative_to(ROOT))] = lines
    assert found == {}


def test_demo_needs_a_checkout(monkeypatch, capsys, tmp_path):
    """Installed from a wheel there are no solutions/ to build the sample class from: a clear refusal."""
    from autograder import demo, paths
    monkeypatch.setattr(paths, "checkout", lambda: None)
    assert main(["demo", "--where", str(tmp_path / "demo")]) == 2
    assert "run it from a checkout of the course" in capsys.readouterr().err
    assert not (tmp_path / "demo").exists() and demo.DEFAULT_WHERE.name == "demo"


def test_lms_export_is_a_library_call_with_a_typed_result(tmp_path):
    from autograder.report import lms
    from autograder.report.publish import LmsRequest, LmsResult, export_grades
    with pytest.raises(lms.RosterError, match="give --canvas"):
        export_grades(LmsRequest("a1", tmp_path / "roster.csv", tmp_path))
    with pytest.raises(lms.RosterError, match="roster file not found"):
        export_grades(LmsRequest("a1", tmp_path / "roster.csv", tmp_path, canvas=tmp_path / "c.csv"))
    assert not (tmp_path / "c.csv").exists()
    assert LmsResult(not_in_roster=["zoe"]).missing and not LmsResult().missing


def test_grade_defaults_are_the_boxs_limits():
    args = parser().parse_args(["grade", "a1"])
    assert cli.options_from(args).limits == sandbox.Limits()
    assert parser().parse_args(["grade", "a1", "--student", "ann", "--student", "bob"]).student == ["ann", "bob"]


# --- a tiny class with workers that answer at once -----------------------------------------------

def _submit(course, student, answer="def f():\n    return 1"):
    release = nbformat.read(course / "release" / "a1" / "nb.ipynb", as_version=4)
    release.cells[0].source = answer
    folder = course / "submitted" / student / "a1"
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(release, folder / "nb.ipynb")


def fake_worker(calls):
    """A worker that 'runs' the submitted notebook by returning it as executed (no outputs: every
    test cell passes), and notes who it ran."""
    def grade(job, sandboxed=True, ahead=None):
        calls.append(job.student)
        if job.bad_file:
            return Result(job.student, Status.BAD_FILE, job.bad_file)
        return Result(job.student, Status.GRADED, notebooks={"nb.ipynb": job.submission["nb.ipynb"].decode()})
    return grade


@pytest.fixture(scope="module")
def tiny_template(tmp_path_factory):
    return _tiny_course(tmp_path_factory.mktemp("tiny") / "course")


@pytest.fixture
def tiny_class(tmp_path, monkeypatch, tiny_template):
    course = tmp_path / "course"
    shutil.copytree(tiny_template, course)
    for student in ("ann", "bob", "cat"):
        _submit(course, student)
    calls = []
    monkeypatch.setattr(batch, "grade_one", fake_worker(calls))
    monkeypatch.setattr(batch._Workers, "start_ahead", lambda self: None)   # no real nbgrader for fakes
    return course, calls


def _grade(course, **options):
    options = {"workers": 1, "sandboxed": False, "feedback": False, "report": False, **options}
    return batch.grade_batch(batch.Options("a1", course, **options))


def test_student_regrades_only_that_student(tiny_class):
    course, calls = tiny_class
    first = _grade(course)
    assert first.exit_code == 0 and sorted(calls) == ["ann", "bob", "cat"]
    assert [(r.student, r.status, r.score) for r in first.rows] == [(s, Status.GRADED, 3) for s in ("ann", "bob", "cat")]
    calls.clear()
    again = _grade(course, students=("bob",))
    assert calls == ["bob"] and again.graded == ["bob"] and again.unchanged == ["ann", "cat"]
    calls.clear()
    assert _grade(course).graded == [] and calls == []          # nothing changed: nothing runs
    assert sorted(_grade(course, force=True).graded) == ["ann", "bob", "cat"]
    unknown = _grade(course, students=("zoe",))
    assert unknown.exit_code == 2 and "zoe" in unknown.refusal


def test_new_submissions_start_before_the_gradebook_is_read(tiny_class, monkeypatch):
    """The coordinator reads the gradebook (importing nbgrader, about 2 s) while the workers of
    new submissions already run; a submission whose stored result the gradebook lost is still
    run, after that read."""
    import threading

    from autograder.grading import gradebook
    course, calls = tiny_class
    started, seen, patience = threading.Event(), [], [10.0]
    worker = fake_worker(calls)

    def grade(job, sandboxed=True, ahead=None):
        started.set()
        return worker(job, sandboxed, ahead)
    read = gradebook.recorded_ids

    def recorded_ids(*args):
        seen.append(started.wait(timeout=patience[0]))   # never set if the workers wait for this read
        return read(*args)
    monkeypatch.setattr(batch, "grade_one", grade)
    monkeypatch.setattr(gradebook, "recorded_ids", recorded_ids)
    assert sorted(_grade(course).graded) == ["ann", "bob", "cat"] and seen == [True]
    # bob's record is gone from the state and his stored result with it: run again, after the read
    state = json.loads((course / ".grading" / "a1.json").read_text())
    state["bob"]["recorded_as"] = "lost"
    (course / ".grading" / "a1.json").write_text(json.dumps(state))
    shutil.rmtree(course / ".grading" / "results" / "bob")
    calls.clear()
    started.clear()
    seen.clear()
    patience[0] = 0.5
    assert _grade(course).graded == ["bob"] and calls == ["bob"] and seen == [False]


def test_book_only_change_regrades_nothing_a_check_change_regrades_all(tiny_class, monkeypatch):
    course, calls = tiny_class
    code = course.parent / "code"
    for package in ("autograder", "course"):
        shutil.copytree(ROOT / package, code / package, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(jobs, "ROOT", code)
    _grade(course)
    calls.clear()
    for book_only in ("course/figures.py", "course/text.py"):
        (code / book_only).write_text((code / book_only).read_text() + "\n# edited for the book\n")
    assert _grade(course).graded == [] and calls == []
    judge = code / "autograder" / "judges" / "compile.py"
    judge.write_text(judge.read_text() + "\n# a check changed\n")
    assert sorted(_grade(course).graded) == ["ann", "bob", "cat"]


KILLED_RUN = """
import sys, time
sys.path.insert(0, {tests!r})
from autograder.__main__ import main
from autograder.grading import batch
from autograder.grading.status import Result, Status
def grade(job, sandboxed=True, ahead=None):
    if job.student == "cat":
        time.sleep(600)   # still running when the coordinator is killed
    return Result(job.student, Status.GRADED, notebooks={{"nb.ipynb": job.submission["nb.ipynb"].decode()}})
batch.grade_one = grade
batch._Workers.start_ahead = lambda self: None
sys.exit(main(["grade", "a1", "--course", {course!r}, "--workers", "1", "--unsafe-no-sandbox", "--no-report"]))
"""


def test_killed_coordinator_leaves_the_finished_results_recorded_with_feedback(tiny_class):
    """SIGKILL after k = 2 of 3 results: the two are in the gradebook with their feedback pages."""
    course, _ = tiny_class
    env = dict(os.environ, PATH=str(Path(sys.executable).parent) + os.pathsep + os.environ["PATH"])
    log = course.parent / "stderr.txt"
    with open(log, "w") as stderr:
        process = subprocess.Popen([sys.executable, "-c", KILLED_RUN.format(tests=str(ROOT / "tests"), course=str(course))],
                                   env=env, stdout=subprocess.DEVNULL, stderr=stderr, cwd=ROOT)
        deadline = time.monotonic() + 300
        while "[2/3]" not in log.read_text() and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.2)
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
    said = log.read_text()
    assert "[2/3] ann: graded" in said or "[2/3] bob: graded" in said, said[-2000:]   # in the order they finished
    from autograder.grading import gradebook
    assert {s: score for s, (score, _) in gradebook.scores(course, "a1").items()} == {"ann": 3, "bob": 3}
    paths = Course(course)
    for student in ("ann", "bob"):
        assert (paths.feedback(student, "a1") / "nb.html").is_file(), student
    assert not paths.feedback("cat", "a1").exists()
    state = json.loads((course / ".grading" / "a1.json").read_text())
    assert state["ann"]["recorded_as"] and state["bob"]["recorded_as"] and "cat" not in state


# --- bad files ---------------------------------------------------------------------------------

def test_notebook_problems_each_have_their_reason(monkeypatch):
    good = nbformat.writes(TINY_SOURCE).encode()
    assert jobs.notebook_problem("nb.ipynb", good) == ""
    said = jobs.notebook_problem("nb.ipynb", good[: len(good) // 2])
    assert said.startswith("nb.ipynb is not valid JSON (line ") and ", column " in said
    assert "not a Jupyter notebook" in jobs.notebook_problem("nb.ipynb", b'{"a": 1}')
    assert "not a Jupyter notebook" in jobs.notebook_problem("nb.ipynb", b"[1, 2]")
    old = json.dumps({"nbformat": 3, "nbformat_minor": 0, "cells": [], "metadata": {}}).encode()
    assert "format 3" in jobs.notebook_problem("nb.ipynb", old)
    assert "not UTF-8" in jobs.notebook_problem("nb.ipynb", b"\xff\xfe{")
    monkeypatch.setattr(jobs, "MAX_NOTEBOOK_BYTES", 100)
    assert "too large" in jobs.notebook_problem("nb.ipynb", good)


def test_bad_files_get_one_line_each_in_the_table_and_lose_nothing(tiny_class):
    course, calls = tiny_class
    submitted = course / "submitted"
    (submitted / "bob" / "a1" / "nb.ipynb").write_text('{"cells": [')                      # half-written
    (submitted / "cat" / "a1" / "nb.ipynb").unlink()
    (submitted / "cat" / "a1" / "nb.ipynb").symlink_to(course / "gradebook.db")             # a link
    (submitted / "dan" / "a1").mkdir(parents=True)
    (submitted / "dan" / "a1" / "nb (1).ipynb").write_text(nbformat.writes(TINY_SOURCE))    # renamed
    (submitted / "ann" / "a1" / "notes.txt").symlink_to(course / "gradebook.db")             # a link beside it
    before = {p: p.read_bytes() for p in submitted.rglob("*") if p.is_file() and not p.is_symlink()}
    graded = _grade(course, feedback=True)
    rows = {r.student: r for r in graded.rows}
    assert rows["bob"].status == Status.BAD_FILE and "not valid JSON (line 1, column" in rows["bob"].note
    assert rows["cat"].status == Status.BAD_FILE and "symbolic link" in rows["cat"].note
    assert rows["dan"].status == Status.BAD_FILE and "no nb.ipynb, but nb (1).ipynb" in rows["dan"].note
    assert rows["ann"].status == Status.GRADED and "notes.txt is a symbolic link" in rows["ann"].note
    for row in rows.values():
        assert "\n" not in row.note and "traceback" not in row.note.lower() and "ERROR" not in row.note
    assert {s: score for s, (score, _) in __import__("autograder.grading.gradebook", fromlist=["x"]).scores(course, "a1").items()} \
        == {"ann": 3, "bob": 0, "cat": 0, "dan": 0}
    assert graded.exit_code == 0, graded.problems
    assert {p: p.read_bytes() for p in before} == before and (submitted / "cat" / "a1" / "nb.ipynb").is_symlink()
    assert "notes.txt" not in [name for job in jobs.find_jobs(course, "a1", sandbox.Limits()) for name in job.submission]


# --- the demo's class ---------------------------------------------------------------------------

def test_demo_class_has_each_kind_of_submission(tmp_path, monkeypatch):
    from autograder import demo, samples
    monkeypatch.setattr(samples, "pretrained_weights", lambda: b"weights trained once")
    made = demo.build_class(tmp_path / "demo", "en")
    course = made.course
    assert (course / demo.MARKER).exists() and course != ROOT
    by_name = {job.student: job for job in jobs.find_jobs(course, made.assignment, sandbox.Limits())}
    assert set(by_name) == {s.student for s in made.samples} and len(by_name) >= 10
    nb = {s: nbformat.reads(j.submission["fashion_mnist.ipynb"].decode(), 4) for s, j in by_name.items()
          if "fashion_mnist.ipynb" in j.submission}
    def cell(student, grade_id):
        return next(c.source for c in nb[student].cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)
    assert cell("ada", "preprocess_images") != cell("ben", "preprocess_images")          # written another way
    assert cell("chen", "preprocess_images").strip().endswith("return images")            # not scaled
    assert "softmax" in cell("dana", "build_model")
    assert "'adma'" in cell("eli", "compile_model")
    assert "gradebook.db" in cell("jo", "preprocess_images") and str(course) in cell("jo", "preprocess_images")
    assert "fashion_mnist.ipynb" not in by_name["ivan"].submission and not by_name["ivan"].bad_file
    assert "not valid JSON" in by_name["kim"].bad_file and "symbolic link" in by_name["lee"].bad_file
    assert not [s for s, j in by_name.items() if j.bad_file and s not in ("kim", "lee")]
    from autograder.grading.gradebook import gradebook
    with gradebook(course) as gb:
        assert gb.find_assignment(made.assignment).duedate is not None
    assert (course / "submitted" / "hana" / made.assignment / "timestamp.txt").read_text() > str(demo.DUE)[:19]
    with pytest.raises(SystemExit):   # a folder it did not make is never emptied
        (tmp_path / "mine").mkdir()
        demo.build_class(tmp_path / "mine", "en")


def test_progress_plain_lines_off_a_terminal_and_a_bar_on_one():
    import io
    from autograder.grading.progress import Progress
    plain = io.StringIO()
    progress = Progress(2, plain)
    progress.update("ann", Status.GRADED)
    progress.update("bob", Status.KERNEL_DIED, "the kernel died")
    progress.close()
    lines = plain.getvalue().splitlines()
    assert lines[0].startswith("[1/2] ann: graded  elapsed ") and "left" in lines[0]
    assert lines[1].startswith("[2/2] bob: kernel died (the kernel died)") and "\r" not in plain.getvalue()
    assert lines[2].startswith("done 1  failed 1  remaining 0")
    terminal = io.StringIO()
    progress = Progress(2, terminal, bar=True)   # as on a terminal: tqdm's bar, with each student's line
    progress.update("ann", Status.GRADED)
    progress.close()
    assert "\r" in terminal.getvalue() and "ann: graded" in terminal.getvalue() and "1/2" in terminal.getvalue()
