"""The class server's parts without a hub (autograder/hub): the roster (bad files refused with the
line), the exchange's owners and modes (nothing world-writable; a wrong mode found), the
instructor's collect (a classmate's folder or a link refused), JupyterHub's configuration, the
students' bubblewrap view (the checkout unreachable from it, as a real unprivileged process), the
accounts (someone else's account never taken; the password file root-only) and stop (nothing
left, the ports freed). Tests that need root skip with the reason when not root (CI runs as root)."""

import os
import pwd
import shutil
import socket
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import psutil
import pytest
from traitlets.config import Config

from autograder.hub import accounts, course, exchange, hubconfig, roster, server, spawn
from autograder.hub.layout import Layout, Settings

ROOT = Path(__file__).resolve().parents[1]
as_root = pytest.mark.skipif(os.geteuid() != 0, reason="makes files owned by other users and runs as nobody: needs root")


def settings(tmp_path, **changes):
    values = dict(root=str(tmp_path / "hub"), port=18400, ip="127.0.0.1", instructor="teacher",
                  students=["ada", "li"], group="fm-class", student_env=str(tmp_path / "student-env"),
                  instructor_env=str(tmp_path / "instructor-env"), proxy="/usr/bin/configurable-http-proxy",
                  course_dir="/home/teacher/fashion-mnist")
    values.update(changes)
    return Settings(**values)


# --- the roster ---------------------------------------------------------------------------------

def test_sample_roster_parses():
    students = roster.load(roster.SAMPLE)
    assert [s.username for s in students] == ["student1", "student2"]
    assert students[0].first_name == "Ada"


@pytest.mark.parametrize("text, said", [
    ("name,email\nada,a@x\n", "'username' column"),
    ("username,shoe_size\nada,42\n", "unknown column"),
    ("username\nada\nAda Lovelace\n", "line 3: 'Ada Lovelace' is not a usable user name"),
    ("username\n../../etc\n", "line 2"),
    ("username\n-rf\n", "line 2"),
    ("username\nroot;id\n", "line 2"),
    ("username\nada\nli\nada\n", "line 4: 'ada' is already on line 2"),
    ("username\nteacher\n", "the instructor's account"),
    ("username,first_name\nada,Ada,extra\n", "more fields than the header"),
    ("username,first_name\nada,A:B\n", "holds ':'"),
    ("username\n\n", "no students"),
    ("", "'username' column"),
])
def test_bad_roster_is_refused_with_the_line(text, said):
    with pytest.raises(roster.RosterError) as error:
        roster.parse(text, "class.csv", instructor="teacher")
    assert said in str(error.value) and "class.csv" in str(error.value)


def test_roster_file_not_text_or_missing(tmp_path):
    (tmp_path / "latin1.csv").write_bytes("username,first_name\nada,Zo\xeb\n".encode("latin-1"))
    with pytest.raises(roster.RosterError, match="not UTF-8"):
        roster.load(tmp_path / "latin1.csv")
    with pytest.raises(roster.RosterError, match="cannot be read"):
        roster.load(tmp_path / "missing.csv")


def test_roster_with_bom_and_blank_lines():
    assert [s.username for s in roster.parse("\ufeffUsername\r\nada\r\n\r\nli\r\n")] == ["ada", "li"]


# --- the exchange ---------------------------------------------------------------------------------

def test_exchange_plan_is_not_world_writable():
    entries = exchange.plan(Path("/x/exchange"), "fashion-mnist", "teacher", "fm-class")
    modes = {entry.path.name: entry.mode for entry in entries}
    assert modes["exchange"] & 0o007 == 0, "nobody outside the class enters"
    assert all(entry.mode & 0o002 == 0 or entry.path.name == "inbound" for entry in entries)
    assert modes["exchange"] & stat.S_ISVTX, "sticky root: nobody renames another's entry"
    assert modes["inbound"] & 0o777 == 0o733, "students write into inbound but cannot list it"
    assert {e.path.name: e.group for e in entries}["inbound"] == "fm-class-staff", "submissions: staff only"
    assert modes["feedback"] & 0o070 == 0o010, "feedback: by name only"
    assert modes["outbound"] & 0o070 == 0o050
    assert {entry.owner for entry in entries[1:]} == {"teacher"}


@as_root
def test_exchange_applied_and_checked(tmp_path):
    entries = tuple(exchange.Entry(e.path, e.owner, "root", e.mode)
                    for e in exchange.plan(tmp_path / "exchange", "fashion-mnist", "nobody", "root"))
    exchange.apply(entries)
    assert exchange.differences(entries) == []
    os.chmod(tmp_path / "exchange" / "fashion-mnist" / "inbound", 0o777)   # nbgrader's default
    wrong = exchange.differences(entries)
    assert len(wrong) == 1 and "inbound" in wrong[0] and "777, wanted" in wrong[0]
    exchange.apply(entries)
    assert exchange.differences(entries) == []


def test_exchange_refuses_a_link_in_the_way(tmp_path):
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "exchange").symlink_to(tmp_path / "elsewhere")
    with pytest.raises(RuntimeError, match="symbolic link"):
        exchange.apply(exchange.plan(tmp_path / "exchange", "c", "root", "root")[:1])


@as_root
def test_collect_refuses_a_classmates_folder_and_links(tmp_path):
    inbound = tmp_path / "inbound"
    good = inbound / "nobody+fashion_mnist_en+2026-12-01 10:00:00.000000 UTC+abc"
    good.mkdir(parents=True)
    (good / "fashion_mnist.ipynb").write_text("{}")
    nobody = pwd.getpwnam("nobody")
    os.chown(good, nobody.pw_uid, nobody.pw_gid)
    assert exchange.refusal(str(good), "nobody") is None
    forged = inbound / "root+fashion_mnist_en+2026-12-02 10:00:00.000000 UTC+def"
    shutil.copytree(good, forged)
    os.chown(forged, nobody.pw_uid, nobody.pw_gid)
    assert "names root but is owned by nobody" in exchange.refusal(str(forged), "root")
    (good / "answers.ipynb").symlink_to("/home/teacher/fashion-mnist/solutions/fashion_mnist_en/fashion_mnist.ipynb")
    assert "symbolic links" in exchange.refusal(str(good), "nobody")
    assert "not a folder" in exchange.refusal(str(good / "fashion_mnist.ipynb"), "root")


def test_collect_takes_the_submission_nbgrader_would():
    early = {"timestamp": 1}
    late = {"timestamp": 2, "late": True}
    assert max([early, late], key=exchange._rank) is early      # before the due date wins
    assert max([{"timestamp": 1}, {"timestamp": 2}], key=exchange._rank)["timestamp"] == 2


# --- configuration --------------------------------------------------------------------------------

def test_hub_configuration(tmp_path):
    c = Config()
    s = settings(tmp_path)
    hubconfig.configure(c, s)
    assert (c.JupyterHub.port, c.JupyterHub.hub_port) == (18400, 18401)
    assert c.ConfigurableHTTPProxy.api_url == "http://127.0.0.1:18402"
    assert c.JupyterHub.authenticator_class == "pam"
    assert c.Authenticator.allowed_users == {"teacher", "ada", "li"}
    assert c.Authenticator.admin_users == set()
    assert str(Layout(Path(s.root)).state) in c.JupyterHub.db_url
    assert not c.JupyterHub.db_url.startswith(f"sqlite:///{ROOT}")
    text = hubconfig.config_file(Path(s.root) / "state" / "settings.json")
    compile(text, "jupyterhub_config.py", "exec")


class FakeSpawner:
    def __init__(self, name):
        self.user = type("User", (), {"name": name})()
        self.environment = {}
        self.cmd = None


def test_spawn_hook_per_user(tmp_path):
    s = settings(tmp_path, students=["root"])    # an account with a home on every machine
    teacher = FakeSpawner("teacher")
    spawn.prepare(s, teacher)
    assert teacher.cmd == [f"{s.instructor_env}/bin/jupyterhub-singleuser"]
    assert "JUPYTER_CONFIG_PATH" not in teacher.environment
    student = FakeSpawner("root")
    spawn.prepare(s, student)
    assert student.cmd[0] == spawn.BWRAP and student.cmd[-1] == f"{s.student_env}/bin/jupyterhub-singleuser"
    assert student.environment["JUPYTER_CONFIG_PATH"] == str(Layout(Path(s.root)).student_config)
    assert student.environment["PATH"].startswith(f"{s.student_env}/bin:")
    assert student.environment[spawn.MARKER] == s.root
    assert student.environment["SHELL"] == "/bin/bash"
    assert student.environment["KERAS_HOME"] == teacher.environment["KERAS_HOME"] == str(Layout(Path(s.root)).keras)
    binds = " ".join(student.cmd)
    for hidden in (str(ROOT), s.instructor_env, str(Layout(Path(s.root)).state), "/home/teacher"):
        assert hidden not in binds
    with pytest.raises(PermissionError):
        spawn.prepare(s, FakeSpawner("stranger"))


def test_instructor_config_keeps_the_course_preprocessors(tmp_path):
    text = course.instructor_config(settings(tmp_path))
    compile(text, "nbgrader_config.py", "exec")
    assert "autograder.preprocessors.GradingExecute" in text
    assert "autograder.hub.exchange.Collect" in text and "autograder.hub.exchange.ReleaseAssignment" in text
    assert "sqlite:////home/teacher/fashion-mnist/gradebook.db" in text


@pytest.fixture
def open_tmp():
    """A scratch folder other users may enter (pytest's tmp_path is under a 0700 folder)."""
    import tempfile
    with tempfile.TemporaryDirectory(prefix="hub-test-", dir="/var/tmp") as folder:
        os.chmod(folder, 0o755)
        yield Path(folder)


@as_root
def test_student_view_hides_the_checkout(open_tmp):
    """As an unprivileged user in the students' view: its home and the exchange are there, the
    checkout, the instructor's environment and the hub's state are not. Outside the view the same
    user lists the checkout (the check can fail)."""
    home = open_tmp / "home"
    home.mkdir()
    (home / "mine.txt").write_text("mine")
    os.chown(home, 65534, 65534)
    s = settings(open_tmp)
    for folder in (Path(s.student_env) / "bin", Layout(Path(s.root)).student_config, Layout(Path(s.root)).exchange,
                   Layout(Path(s.root)).keras):
        folder.mkdir(parents=True)
        os.chmod(folder.parent, 0o755)
    script = (f"ls {home}; ls {s.student_env}; ls {ROOT} && echo CHECKOUT-VISIBLE; "
              f"ls {ROOT}/solutions && echo SOLUTIONS-VISIBLE; ls /root && echo ROOT-VISIBLE; true")
    as_nobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
    inside = subprocess.run([*as_nobody, *spawn.student_command(s, str(home))[:-1], "/bin/sh", "-c", script],
                            capture_output=True, text=True, timeout=60)
    assert inside.returncode == 0, inside.stderr
    assert "mine.txt" in inside.stdout
    assert "VISIBLE" not in inside.stdout, inside.stdout
    outside = subprocess.run([*as_nobody, "/bin/sh", "-c", script], capture_output=True, text=True)
    assert "CHECKOUT-VISIBLE" in outside.stdout


# --- accounts ---------------------------------------------------------------------------------------

@as_root
def test_someone_elses_account_is_never_taken():
    with pytest.raises(accounts.AccountError, match="not made by the hub"):
        accounts.ensure_user("nobody", "root")


def test_password_file_is_root_only_and_not_a_link(tmp_path):
    path = tmp_path / "passwords.txt"
    accounts.record(path, [accounts.NewPassword("ada", "s3cret")])
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_text() == "ada\ts3cret\n"
    (tmp_path / "planted").symlink_to(tmp_path / "stolen.txt")
    with pytest.raises(OSError):
        accounts.record(tmp_path / "planted", [accounts.NewPassword("ada", "s3cret")])
    assert not (tmp_path / "stolen.txt").exists()


# --- stop ---------------------------------------------------------------------------------------------

FAKE_HUB = textwrap.dedent("""
    import os, socket, subprocess, sys, time
    listener = socket.socket(); listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", int(sys.argv[1]))); listener.listen()
    # a user's server: its own session (as LocalProcessSpawner starts them), the hub's mark
    subprocess.Popen([sys.executable, "-c", "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(600)"],
                     env=dict(os.environ, FASHION_MNIST_HUB=sys.argv[2]), start_new_session=True)
    import signal; signal.signal(signal.SIGTERM, signal.SIG_IGN)   # a hub that does not stop
    time.sleep(600)
""")


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_stop_leaves_nothing_and_frees_the_ports(tmp_path):
    port = free_port()
    s = settings(tmp_path, port=port)
    layout = Layout(Path(s.root))
    layout.state.mkdir(parents=True)
    layout.settings.write_text(s.dump())
    hub = subprocess.Popen([sys.executable, "-c", FAKE_HUB, str(port), s.root], start_new_session=True)
    layout.pid.write_text(f"{hub.pid}\n")
    deadline = time.monotonic() + 20
    while not (server.port_busy(port) and server.marked(s.root)) and time.monotonic() < deadline:
        time.sleep(0.1)
    user_server = server.marked(s.root)
    assert server.port_busy(port) and user_server
    result = server.stop(layout.root, grace=1)
    hub.wait(timeout=10)
    assert result.was_running and result.clean
    assert hub.pid in result.ended and user_server[0].pid in result.ended
    assert not server.marked(s.root) and not server.port_busy(port)
    assert not psutil.pid_exists(user_server[0].pid) or psutil.Process(user_server[0].pid).status() == psutil.STATUS_ZOMBIE
    assert server.stop(layout.root).ended == ()      # again: nothing to do


def test_start_refuses_without_root_or_with_a_bad_roster(tmp_path, monkeypatch):
    monkeypatch.setattr(server.os, "geteuid", lambda: 1000)
    with pytest.raises(server.HubError, match="run it as root"):
        server.start(server.Options(root=tmp_path, roster=roster.SAMPLE))
    monkeypatch.setattr(server.os, "geteuid", lambda: 0)
    (tmp_path / "bad.csv").write_text("name\nada\n")
    with pytest.raises(roster.RosterError, match="'username' column"):
        server.start(server.Options(root=tmp_path, roster=tmp_path / "bad.csv", port=free_port()))


@pytest.mark.parametrize("private", [True, False])
def test_a_submission_is_not_readable_by_classmates(tmp_path, private):
    """A real ``nbgrader submit`` with the students' configuration leaves the submission's folder
    0770 (staff group); with nbgrader's own it is 0777 (the planted case: classmates could read it)."""
    exchange_root = tmp_path / "exchange"
    for folder in ("inbound", "outbound/fashion_mnist_en"):
        (exchange_root / "fashion-mnist" / folder).mkdir(parents=True)
    (exchange_root / "fashion-mnist" / "inbound").chmod(0o2733)
    home = tmp_path / "home"
    (home / "fashion_mnist_en").mkdir(parents=True)
    (home / "fashion_mnist_en" / "fashion_mnist.ipynb").write_text("{}")
    shutil.copy(home / "fashion_mnist_en" / "fashion_mnist.ipynb", exchange_root / "fashion-mnist" / "outbound" / "fashion_mnist_en")
    s = settings(tmp_path)
    text = course.student_nbgrader_config(s) if private else course.STUDENT_NBGRADER.format(exchange="", course_id="fashion-mnist")
    (home / "nbgrader_config.py").write_text(text.replace(repr(str(Layout(Path(s.root)).exchange)), repr(str(exchange_root)))
                                             .replace("c.Exchange.root = ''", f"c.Exchange.root = {str(exchange_root)!r}"))
    done = subprocess.run([sys.executable, "-m", "nbgrader", "submit", "fashion_mnist_en"], cwd=home,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    (submission,) = (exchange_root / "fashion-mnist" / "inbound").iterdir()
    mode = stat.S_IMODE(submission.stat().st_mode) & 0o777
    assert mode == (0o770 if private else 0o777)


def test_the_verb(tmp_path, capsys, monkeypatch):
    from autograder.__main__ import main
    assert main(["hub", "status", "--root", str(tmp_path)]) == 3
    assert "not running" in capsys.readouterr().out
    assert main(["hub", "stop", "--root", str(tmp_path)]) == 0
    assert "nothing was running" in capsys.readouterr().out
    monkeypatch.setattr(server.os, "geteuid", lambda: 0)
    (tmp_path / "bad.csv").write_text("username\nAda Lovelace\n")
    assert main(["hub", "start", "--root", str(tmp_path), "--roster", str(tmp_path / "bad.csv")]) == 2
    said = capsys.readouterr().out
    assert "bad.csv, line 2" in said and "Traceback" not in said


def test_class_data_provisioned(tmp_path):
    s = settings(tmp_path)
    target = course.provision_data(s)
    assert sorted(p.name for p in target.iterdir()) == sorted(__import__("fashion_mnist_student.data").data.FILES)
    assert stat.S_IMODE(target.stat().st_mode) == 0o755
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o644 for p in target.iterdir())


# every label nbgrader's feedback page prints around the notebook, in each language
FEEDBACK_LABELS = {
    "en": ["Score: ", "(Top)", "Student's answer", "Student's task", "Grade cell: ", "Comments:", "Test cell",
           "Written response", "Late submission penalty"],
    "zh": ["得分：", "（返回顶部）", "学生的答案", "学生的任务", "评分单元格：", "评语：", "测试单元格", "书面作答", "逾期扣分"],
}


def _feedback_page(assignment):
    """The feedback page of the release notebook with every graded part at 1 point, a comment on the
    first answer, a written response and a task added, and a late penalty, written by the exporter
    nbgrader's GenerateFeedback builds from the course's nbgrader_config.py (the file plain
    `nbgrader generate_feedback` and the class command's Writer.feedback both load)."""
    import nbformat
    from nbformat.v4 import new_markdown_cell
    from nbgrader.converters import GenerateFeedback
    from traitlets.config.loader import PyFileConfigLoader
    config = PyFileConfigLoader("nbgrader_config.py", path=str(ROOT)).load_config()
    converter = GenerateFeedback(config=config)
    exporter = converter.exporter_class(parent=converter, config=converter.config)   # as nbgrader does
    nb = nbformat.read(ROOT / "exercises" / assignment / "fashion_mnist.ipynb", as_version=4)
    nb.cells += [new_markdown_cell("Why?", metadata={"nbgrader": {
                     "grade": True, "solution": True, "task": False, "locked": False, "grade_id": "written",
                     "points": 2, "comment": "Good."}}),
                 new_markdown_cell("Plot it.", metadata={"nbgrader": {
                     "grade": False, "solution": False, "task": True, "locked": True, "grade_id": "task",
                     "points": 1}})]
    for cell in nb.cells:
        nbgrader = cell.metadata.get("nbgrader", {})
        if nbgrader.get("grade") or nbgrader.get("task"):
            nbgrader["score"] = 1
    next(cell for cell in nb.cells if cell.metadata.get("nbgrader", {}).get("solution")).metadata.nbgrader["comment"] = "ok"
    body, _ = exporter.from_notebook_node(nb, resources={"nbgrader": {
        "assignment": assignment, "notebook": "fashion_mnist", "score": 20, "max_score": 24, "late_penalty": 1}})
    return body


@pytest.mark.parametrize("assignment, heading", [("fashion_mnist_zh", "fashion_mnist（得分：20.0 / 24.0）"),
                                                 ("fashion_mnist_en", "fashion_mnist (Score: 20.0 / 24.0)")])
def test_feedback_framed_in_the_notebooks_language(assignment, heading):
    body = _feedback_page(assignment)
    assert f"<h4>{heading}</h4>" in body
    assert body.count('id="toc"') == 1
    toc = body[body.index('id="toc"'):body.index('class="panel-body"')]
    assert ("测试单元格" in toc) == assignment.endswith("_zh") and ("Test cell" in toc) != assignment.endswith("_zh")
    assert "autograder.feedback.FeedbackExporter" in course.instructor_config(settings(Path("/x")))


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_feedback_cells_labelled_in_the_notebooks_language(lang):
    """Each cell's heading (its score above all), its comments and every other label nbgrader prints
    are in the notebook's language, and none in the other one."""
    import html
    import re
    body = _feedback_page(f"fashion_mnist_{lang}")
    start = body.index('<a name="test_preprocess_images_range"></a>')       # a test cell: 1 of its 2 points
    cell_heading = " ".join(re.sub(r"<[^>]+>", " ", body[start:body.index("</div>", start)]).split())
    assert cell_heading == {"zh": "评分单元格： test_preprocess_images_range 得分：1.0 / 2.0 （返回顶部）",
                            "en": "Grade cell: test_preprocess_images_range Score: 1.0 / 2.0 (Top)"}[lang]
    text = html.unescape(re.sub(r"<[^>]+>", "", body))
    other = "en" if lang == "zh" else "zh"
    assert [label for label in FEEDBACK_LABELS[lang] if label not in text] == []
    assert [label for label in FEEDBACK_LABELS[other] if label in text] == []
