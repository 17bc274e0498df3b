"""The class report, similar-code pairs and LMS export, on a small fake class (tests/report_course.py).

No training and no nbgrader run: the gradebook is written with nbgrader's API, the autograded
notebooks carry the checks' real messages. Every check below is paired with an input that fails it.
"""

import csv
import shutil
import statistics
import warnings
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from autograder.messages import MESSAGES, say
from autograder import __main__ as entry
from autograder.report import data, items, similarity
from autograder.report.data import CellResult, ClassData, Student
from autograder.report.data import TestCell as Cell  # not a pytest class
from autograder.report.messages_key import message_key
from report_course import ACCURACY, FAILURES, make_course
from report_solutions import COPIED_PAIR, STUDENTS


@pytest.fixture(scope="session")
def courses(tmp_path_factory):
    """One fake course with both assignments, built once; tests that change it work on a copy."""
    course = make_course(tmp_path_factory.mktemp("course"))
    return {lang: (course, f"fashion_mnist_{lang}") for lang in ("en", "zh")}


@pytest.fixture
def course(courses, tmp_path):
    """A copy of the course, free to change, with the English assignment."""
    source, assignment = courses["en"]
    copy = tmp_path / "course"
    shutil.copytree(source, copy)
    return copy, assignment


@pytest.fixture(scope="session")
def loaded(courses):
    return data.load(*courses["en"])


@pytest.fixture(scope="session")
def page(courses):
    """The English class's report with the defaults, rendered once (read-only tests share it)."""
    return _page(*courses["en"])


def _page(course, assignment, *args):
    assert entry.main(["report", assignment, "--course", str(course), *args]) == 0
    path = Path(args[args.index("--out") + 1]) if "--out" in args else course / "reports" / f"{assignment}.html"
    return path, BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def _gradebook_scores(course, assignment):
    with warnings.catch_warnings(), data.gradebook(course) as gb:
        warnings.simplefilter("ignore")
        return {s.student_id: s.score for s in gb.assignment_submissions(assignment)}


# --- message keys ------------------------------------------------------------------------------

FILL = {"first": 2.5, "last": 2.25, "low": -1.0, "high": 3.0, "total": 1.5, "diff": 0.1, "acc": 0.7,
        "threshold": 0.84, "mean": 0.85}


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("key", sorted(MESSAGES))
def test_every_message_maps_back_to_its_key(key, lang):
    import string
    fields = {f for _, f, _, _ in string.Formatter().parse(MESSAGES[key][0]) if f}
    text = say(key, lang, **{f: FILL.get(f, "some (value) [x]") for f in fields})
    assert message_key(text) == key


def test_message_key_fails_on_text_no_template_made():
    text = say("pre_float", "en", dtype="uint8")
    assert message_key(text) == "pre_float"
    assert message_key(text.replace("Divide by 255.0", "Divide by 256")) is None
    assert message_key("NotGraded: kernel died") is None and message_key("") is None
    # np.testing wraps the message in its own lines: a line of it still maps
    wrapped = f"\nNot equal to tolerance rtol=1e-07\n{say('pre_ends', 'en', one=0.5, zero=0)}\nMismatched elements: 1 / 1"
    assert message_key(wrapped) == "pre_ends"


# --- numbers agree with the gradebook -----------------------------------------------------------

def test_summary_agrees_with_the_gradebook(courses, loaded, page):
    course, assignment = courses["en"]
    scores = list(_gradebook_scores(course, assignment).values())
    summary = items.summary(loaded)
    assert summary.count == len(scores) == 8
    assert summary.mean == pytest.approx(statistics.fmean(scores))
    assert summary.median == pytest.approx(statistics.median(scores))
    assert summary.full_marks == sum(s == 24 for s in scores) == 1
    assert summary.below_half == sum(s < 12 for s in scores) == 2
    _, page = page
    shown = {k: float(page.select_one(f"#stat-{k}")["data-value"]) for k in ("mean", "median", "full", "below-half")}
    assert shown == pytest.approx({"mean": summary.mean, "median": summary.median, "full": 1, "below-half": 2})


def test_report_follows_a_changed_gradebook(course):
    """The page reads the gradebook: take 6 points from alice and mean, median, full marks move."""
    path, assignment = course
    before = items.summary(data.load(path, assignment))
    with warnings.catch_warnings(), data.gradebook(path) as gb:
        warnings.simplefilter("ignore")
        grade = gb.find_grade("test_accuracy_threshold", "fashion_mnist", assignment, "alice")
        grade.auto_score = 0.0
        gb.db.commit()
    _, page = _page(path, assignment, "--similarity", "off")
    assert float(page.select_one("#stat-mean")["data-value"]) == pytest.approx(before.mean - 3 / 8)
    assert float(page.select_one("#stat-full")["data-value"]) == before.full_marks - 1 == 0


def test_summary_boundaries():
    """Full marks means every point; below half is strictly below (12 of 24 is not)."""
    rows = [(name, {"x": (score, 24)}) for name, score in
            [("a", 24), ("b", 23.5), ("c", 12), ("d", 11.99), ("e", 0)]]
    summary = items.summary(_class(rows))
    assert (summary.full_marks, summary.below_half) == (1, 2)
    assert summary.median == 12 and summary.mean == pytest.approx((24 + 23.5 + 12 + 11.99) / 5)


# --- item analysis ------------------------------------------------------------------------------

def _class(rows):
    """A hand-made class: rows of (student, {grade_id: (score, max)})."""
    cells = [Cell(g, g.split("_")[0], m) for g, (_, m) in rows[0][1].items()]
    students = [Student(name, sum(s for s, _ in r.values()), sum(m for _, m in r.values()),
                        {g: CellResult(s, m) for g, (s, m) in r.items()}) for name, r in rows]
    return ClassData(Path("."), "a", "nb", "en", 0.84, cells, students)


def test_discrimination_is_the_hand_computed_point_biserial():
    # cell x passed by the two strongest: passed = 1,1,0,0 and rest = 10,8,6,4
    # r = sum((x-.5)(y-7)) / sqrt(sum((x-.5)^2) * sum((y-7)^2)) = 4 / sqrt(1 * 20)
    rows = [("a", {"x": (1, 1), "rest": (10, 10)}), ("b", {"x": (1, 1), "rest": (8, 10)}),
            ("c", {"x": (0, 1), "rest": (6, 10)}), ("d", {"x": (0, 1), "rest": (4, 10)})]
    x = items.items(_class(rows))[0]
    assert x.discrimination == pytest.approx(4 / 20 ** 0.5) == pytest.approx(0.894427, abs=1e-6)
    assert x.pass_rate == 0.5 and x.points_lost == 2 and not x.weak and not x.too_hard
    # passed by the two weakest instead: the same size, negative, flagged as weak
    rows = [(n, {"x": (1 - r["x"][0], 1), "rest": r["rest"]}) for n, r in rows]
    x = items.items(_class(rows))[0]
    assert x.discrimination == pytest.approx(-4 / 20 ** 0.5) and x.weak


def test_discrimination_uses_the_rest_of_the_score(loaded):
    """Textbook point-biserial, (M1 - M0) / s * sqrt(pq) with s the population SD of the rest score."""
    analysed = [s for s in loaded.graded if s.status != "missing notebook"]
    for item in items.items(loaded):
        passed = [s.cells[item.grade_id].passed for s in analysed]
        rest = [s.score - s.cells[item.grade_id].score for s in analysed]
        p = sum(passed) / len(passed)
        m1 = statistics.fmean([r for r, ok in zip(rest, passed) if ok])
        m0 = statistics.fmean([r for r, ok in zip(rest, passed) if not ok])
        expected = (m1 - m0) / statistics.pstdev(rest) * (p * (1 - p)) ** 0.5
        assert item.discrimination == pytest.approx(expected), item.grade_id
        # the total score instead of the rest would give a different (inflated) value
        total = [s.score for s in analysed]
        with_self = (statistics.fmean([t for t, ok in zip(total, passed) if ok])
                     - statistics.fmean([t for t, ok in zip(total, passed) if not ok])) / statistics.pstdev(total) * (p * (1 - p)) ** 0.5
        assert item.discrimination != pytest.approx(with_self, abs=1e-3), item.grade_id


def test_zero_variance_gives_na_without_warnings():
    rows = [("a", {"x": (1, 1), "y": (2, 2), "z": (3, 3)}), ("b", {"x": (1, 1), "y": (0, 2), "z": (1, 3)}),
            ("c", {"x": (1, 1), "y": (1, 2), "z": (0, 3)})]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        found = {i.grade_id: i for i in items.items(_class(rows))}
        assert found["x"].discrimination is None and not found["x"].weak   # everyone passed
        assert items.point_biserial([1, 0], [3, 3]) is None                # rest has no variance
        assert items.point_biserial([1], [3]) is None
        assert found["y"].discrimination is not None


def test_hard_and_weak_cells_are_flagged(loaded, page):
    found = {i.grade_id: i for i in items.items(loaded)}
    assert found["test_accuracy_predictions"].pass_rate == pytest.approx(1 / 7)     # alice alone
    assert found["test_accuracy_predictions"].too_hard
    assert not found["test_accuracy_threshold"].too_hard
    rows = [("a", {"x": (0, 1), "r": (9, 9)}), ("b", {"x": (1, 1), "r": (5, 9)}), ("c", {"x": (0, 1), "r": (1, 9)}),
            ("d", {"x": (1, 1), "r": (5, 9)})]   # passing x says nothing about the rest
    assert items.items(_class(rows))[0].weak
    _, page = page
    assert page.select_one("#item-test_accuracy_predictions")["data-too-hard"] == "true"
    assert page.select_one("#item-test_accuracy_threshold")["data-too-hard"] == "false"


# --- failures grouped by message key ------------------------------------------------------------

@pytest.mark.parametrize("lang", ["en", "zh"])
def test_failures_are_grouped_by_message_key(courses, lang):
    course, assignment = courses[lang]
    found = {i.grade_id: i for i in items.items(data.load(course, assignment))}
    groups = {g.key: g.students for g in found["test_compile_model_loss"].groups}
    assert groups == {"compile_logits": ["bob", "dave"], "compile_loss": ["erin"], None: ["henry"]}
    assert [g.key for g in found["test_compile_model_loss"].groups][0] == "compile_logits"  # most common first
    assert {g.key: g.students for g in found["test_plot_image"].groups}["plot_label"] == ["carol", "frank"]
    # two different texts (each student's own values) still make one group
    messages = {s: say(*FAILURES[s]["test_plot_image"][:1], lang, **FAILURES[s]["test_plot_image"][1])
                for s in ("carol", "frank")}
    assert messages["carol"] != messages["frank"]


def test_failure_groups_link_each_students_feedback(courses, page):
    assignment = courses["en"][1]
    path, page = page
    rows = page.select("#failures-test_compile_model_loss tbody tr")
    by_key = {row["data-key"]: row for row in rows}
    assert by_key["compile_logits"]["data-count"] == "2"
    links = [a["href"] for a in by_key["compile_logits"].select("a")]
    assert links == [f"../feedback/{s}/{assignment}/fashion_mnist.html" for s in ("bob", "dave")]
    assert all((path.parent / link).resolve().is_file() for link in links)
    assert "ivan" not in [a.text for a in page.select("#students-table a")]   # no feedback page: no link


# --- accuracy -----------------------------------------------------------------------------------

def test_borderline_accuracy(loaded, page):
    assert [s.student for s in loaded.students if items.borderline(s.accuracy, loaded.threshold)] == ["bob", "erin"]
    assert items.borderline(0.83, 0.84) and items.borderline(0.85, 0.84)
    assert not items.borderline(0.8299, 0.84) and not items.borderline(0.8501, 0.84)
    assert not items.borderline(None, 0.84)
    assert {s.student: s.accuracy for s in loaded.students if s.accuracy is not None} == ACCURACY
    _, page = page
    assert [li["data-student"] for li in page.select("#borderline li")] == ["bob", "erin"]
    assert page.select_one("#fig-accuracy")["src"].startswith("data:image/png;base64,")


def test_borderline_list_shows_the_recheck(loaded, page):
    from autograder.report.html import _number
    from report_course import RECHECK
    assert [s.student for s in loaded.students if s.recheck] == ["bob"]
    _, page = page
    bob = page.select_one('#borderline li[data-student="bob"] .recheck')
    figures = ", ".join(_number(a, 4) for a in RECHECK["bob"]["accuracies"])
    assert bob["data-passed"] == "no" and figures in bob.text and "on 2 more seeds" in bob.text
    assert page.select_one('#borderline li[data-student="erin"] .recheck') is None


def test_submissions_that_reached_for_the_course_are_listed(loaded, page):
    assert {s.student: sorted(s.forbidden) for s in loaded.students if s.forbidden} == {
        "frank": ["test_build_model_layers", "test_build_model_output"]}
    _, page = page
    assert [li["data-student"] for li in page.select("#forbidden li")] == ["frank"]
    assert "from course.reference import" in page.select_one("#forbidden li").text


def test_accuracy_without_the_graders_field_is_na(course):
    import nbformat
    path, assignment = course
    for nb_path in (path / "autograded").glob(f"*/{assignment}/fashion_mnist.ipynb"):
        nb = nbformat.read(nb_path, as_version=4)
        for cell in nb.cells:
            cell.metadata.pop("autograder", None)
        nbformat.write(nb, nb_path)
    _, page = _page(path, assignment, "--similarity", "off")
    assert page.select_one("#fig-accuracy") is None and page.select("#borderline li") == []
    accuracy_cells = [row.select("td")[4].text.strip() for row in page.select("#students-table tbody tr")]
    assert set(accuracy_cells) == {"n/a"}


# --- run health and the student table -----------------------------------------------------------

def test_run_health(page):
    _, page = page
    counts = {r.select("td")[0].text: int(r.select("td")[1].text) for r in page.select("#status-table tbody tr")}
    assert counts == {"graded": 6, "kernel died": 1, "missing notebook": 1, "failed": 1}
    slowest = [r.select("td")[0].text for r in page.select("#slowest-table tbody tr")]
    assert slowest == ["frank", "carol", "erin", "alice", "bob"]
    rows = {r["data-student"]: r for r in page.select("#students-table tbody tr")}
    assert set(rows) == {"alice", "bob", "carol", "dave", "erin", "frank", "gina", "henry", "ivan"}
    assert rows["ivan"].select("td")[2].text.strip() == "n/a"          # not in the gradebook
    assert rows["henry"].select("td")[7]["data-value"] == "5120.0"     # peak memory


def test_report_is_self_contained_and_in_the_notebooks_language(courses):
    course, assignment = courses["zh"]
    path, page = _page(course, assignment)
    assert path == course / "reports" / f"{assignment}.html"
    html = path.read_text(encoding="utf-8")
    assert page.html["lang"] == "zh-CN" and "班级报告" in page.title.text
    for word in ("通过率", "区分度", "准确率", "学生", "得分"):
        assert word in html, word
    assert not page.select("link, script[src], iframe")
    assert "http://" not in html and "https://" not in html
    images = page.select("img")
    assert len(images) == 3 and all(i["src"].startswith("data:image/png;base64,") for i in images)
    _, english = _page(course, assignment, "--lang", "en", "--similarity", "off", "--out", str(course / "en.html"))
    assert english.html["lang"] == "en" and "通过率" not in str(english)


def test_student_text_is_escaped(course):
    path, assignment = course
    import nbformat
    nb_path = path / "autograded" / "bob" / assignment / "fashion_mnist.ipynb"
    nb = nbformat.read(nb_path, as_version=4)
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                output["evalue"] = "<script>alert(1)</script>"
    nbformat.write(nb, nb_path)
    out, page = _page(path, assignment, "--similarity", "off")
    assert "<script>alert(1)</script>" not in out.read_text(encoding="utf-8")
    assert "<script>alert(1)</script>" in page.text


def test_report_errors_are_one_line(tmp_path, capsys):
    assert entry.main(["report", "fashion_mnist_en", "--course", str(tmp_path)]) == 2
    assert capsys.readouterr().err.count("\n") == 1


# --- similar code -------------------------------------------------------------------------------

def assert_only_the_copied_pair(pairs):
    assert [(p.first, p.second) for p in pairs] == [COPIED_PAIR]


def test_exactly_the_copied_pair_is_flagged(courses, page):
    course, assignment = courses["en"]
    pairs = similarity.find_similar(course, assignment, "fashion_mnist")
    assert_only_the_copied_pair(pairs)
    pair = pairs[0]
    assert pair.similarity > 0.9
    # the side-by-side view holds each cell whole, with the shared passages marked
    plot = {c.grade_id: c for c in pair.cells}["plot_image"]
    assert "".join(s.text for s in plot.left).endswith(STUDENTS["carol"]["plot_image"])
    assert "".join(s.text for s in plot.right).endswith(STUDENTS["frank"]["plot_image"])
    assert any(s.shared for s in plot.left) and any(s.shared for s in plot.right)
    _, page = page
    assert [d["data-pair"] for d in page.select("details.similar-pair")] == [" ".join(COPIED_PAIR)]
    assert page.select("details.similar-pair mark")


def test_broken_threshold_logic_fails_the_check(courses, monkeypatch):
    course, assignment = courses["en"]
    original = similarity.similar_pairs
    monkeypatch.setattr(similarity, "similar_pairs", lambda codes, shared, threshold: original(codes, shared, 0.2))
    with pytest.raises(AssertionError):
        assert_only_the_copied_pair(similarity.find_similar(course, assignment, "fashion_mnist"))


def test_without_the_shared_code_excluded_tutorial_followers_are_flagged(courses, monkeypatch):
    """alice and bob both follow the tutorial: only the reference/stub exclusion keeps them apart."""
    course, assignment = courses["en"]
    monkeypatch.setattr(similarity, "boilerplate", lambda *args: None)
    pairs = similarity.find_similar(course, assignment, "fashion_mnist")
    assert ("alice", "bob") in [(p.first, p.second) for p in pairs]
    with pytest.raises(AssertionError):
        assert_only_the_copied_pair(pairs)


def test_similarity_threshold_option(courses):
    course, assignment = courses["en"]
    assert similarity.find_similar(course, assignment, "fashion_mnist", threshold=0.999) == []
    assert entry.parse(["report", assignment, "--similarity", "0.75"]).similarity == 0.75
    with pytest.raises(SystemExit):
        entry.parse(["report", assignment, "--similarity", "1.5"])
    _, page = _page(course, assignment, "--similarity", "off", "--out", str(course / "off.html"))
    assert page.select("details.similar-pair") == [] and "--similarity off" in page.select_one("#similar").find_next("p").text


# --- LMS export ---------------------------------------------------------------------------------

ROSTER = ["student_id,name,canvas_id,sis_user_id,sis_login_id,section,email",
          "alice,\"Liddell, Alice\",101,S001,alice@uni.edu,A,alice@uni.edu",
          "bob,\"Builder, Bob\",102,S002,bob@uni.edu,A,bob@uni.edu",
          "carol,\"Chen, Carol\",103,S003,carol@uni.edu,B,carol@uni.edu",
          "dave,\"Doe, Dave\",104,S004,dave@uni.edu,B,dave@uni.edu",
          "erin,\"Eriksen, Erin\",105,S005,erin@uni.edu,A,erin@uni.edu",
          "frank,\"Fu, Frank\",106,S006,frank@uni.edu,B,frank@uni.edu",
          "gina,\"Gu, Gina\",107,S007,gina@uni.edu,A,gina@uni.edu"]   # henry left out on purpose


def _roster(tmp_path, lines):
    path = tmp_path / "roster.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _read(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.reader(f))


def _lms(courses, tmp_path, roster, *extra):
    course, assignment = courses["en"]
    return entry.main(["lms", assignment, "--course", str(course), "--roster", str(roster),
                     "--canvas", str(tmp_path / "canvas.csv"), "--moodle", str(tmp_path / "moodle.csv"), *extra])


def test_lms_files(courses, tmp_path, capsys):
    roster = _roster(tmp_path, ROSTER + ["zoe,\"Zhou, Zoe\",108,S008,zoe@uni.edu,A,zoe@uni.edu"])
    assert _lms(courses, tmp_path, roster) == 1
    err = capsys.readouterr().err
    assert "henry" in err and "zoe" in err            # neither is silently dropped
    canvas = _read(tmp_path / "canvas.csv")
    assert canvas[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "Fashion-MNIST (fashion_mnist_en)"]
    assert canvas[1][0].strip() == "Points Possible" and canvas[1][-1] == "24"
    rows = {r[1]: r for r in canvas[2:]}
    assert rows["101"] == ["Liddell, Alice", "101", "S001", "alice@uni.edu", "A", "24"]
    assert rows["104"][-1] == "14" and rows["107"][-1] == "0" and rows["108"][-1] == ""
    moodle = _read(tmp_path / "moodle.csv")
    assert moodle[0] == ["Email address", "Fashion-MNIST (fashion_mnist_en)"]
    assert dict(moodle[1:]) == {"alice@uni.edu": "24", "bob@uni.edu": "18", "carol@uni.edu": "21",
                                "dave@uni.edu": "14", "erin@uni.edu": "21", "frank@uni.edu": "19",
                                "gina@uni.edu": "0", "zoe@uni.edu": ""}
    assert _lms(courses, tmp_path, roster, "--allow-missing", "--missing-as-zero") == 0
    assert dict(_read(tmp_path / "moodle.csv")[1:])["zoe@uni.edu"] == "0"


def test_lms_complete_roster_exits_0(courses, tmp_path):
    roster = _roster(tmp_path, ROSTER + ["henry,\"Hu, Henry\",109,S009,henry@uni.edu,B,henry@uni.edu"])
    assert _lms(courses, tmp_path, roster) == 0


@pytest.mark.parametrize("lines,expected", [
    (None, "roster file not found"),
    (["name,canvas_id", "Alice,101"], "missing column(s) student_id"),
    (["student_id,name,email", "alice,Alice,a@x"], "Canvas needs a column"),
    (["student_id,name,canvas_id,email", "alice,Alice,,a@x"], "no canvas_id"),
    (["student_id,name,canvas_id,email", "alice,Alice,1,a@x", "alice,Alice,2,b@x"], "appears twice"),
])
def test_lms_bad_input_writes_nothing(courses, tmp_path, capsys, lines, expected):
    roster = tmp_path / "nowhere.csv" if lines is None else _roster(tmp_path, lines)
    assert _lms(courses, tmp_path, roster) == 2
    err = capsys.readouterr().err
    assert expected in err and err.count("\n") == 1
    assert not (tmp_path / "canvas.csv").exists() and not (tmp_path / "moodle.csv").exists()


def test_lms_entry_point(courses, tmp_path):
    """`python -m autograder lms` reaches this command (and `grade` is left to the grading CLI)."""
    import subprocess
    import sys
    course, assignment = courses["en"]
    result = subprocess.run([sys.executable, "-m", "autograder", "lms", assignment, "--course", str(course),
                             "--roster", str(tmp_path / "none.csv"), "--canvas", str(tmp_path / "c.csv")],
                            capture_output=True, text=True, cwd=Path(__file__).parents[1])
    assert result.returncode == 2 and "roster file not found" in result.stderr


def test_moodle_by_id_number_and_the_export_lms_name(courses, tmp_path):
    course, assignment = courses["en"]
    roster = _roster(tmp_path, ["student_id,name,idnumber", "alice,Alice,20240001", "dave,Dave,"])
    args = ["--course", str(course), "--roster", str(roster), "--moodle", str(tmp_path / "m.csv"), "--moodle-id", "idnumber"]
    assert entry.main(["export-lms", assignment, *args]) == 2                # dave has no ID number
    assert not (tmp_path / "m.csv").exists()
    roster.write_text("student_id,name,idnumber\nalice,Alice,20240001\ndave,Dave,20240004\n", encoding="utf-8")
    assert entry.main(["export-lms", assignment, *args, "--allow-missing"]) == 0
    assert _read(tmp_path / "m.csv") == [["ID number", "Fashion-MNIST (fashion_mnist_en)"],
                                        ["20240001", "24"], ["20240004", "14"]]
