"""A grading process's scratch folder (autograder/grading/scratch.py): what a process killed with
SIGKILL left on the machine (a gradebook's copy in a worker's scratch course, the boxes' private
folders, its cgroups and anything still in them) goes at the next grading; a live process's
folder is never touched; a process that ends normally leaves nothing."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from autograder.grading import scratch
from autograder.grading.sandbox import ProcessCap

ROOT = Path(__file__).resolve().parents[1]

# a grading process: its folder (in WHERE), a copy of a gradebook in it, as root a cap with a
# process in it that does not die with it; it says where its folder is and waits to be killed
GRADER = """
import os, subprocess, sys, time
from pathlib import Path
from autograder.grading import scratch
from autograder.grading.sandbox import ProcessCap
folder = scratch.folder(sys.argv[1])
(folder / "grade-ann-x" / "course").mkdir(parents=True)
(folder / "grade-ann-x" / "course" / "gradebook.db").write_text("the class")
left = ""
if sys.argv[2] == "cap":
    cap = ProcessCap(8).__enter__()
    sleeper = subprocess.Popen(["sleep", "300"], start_new_session=True)
    (cap.cgroup / "cgroup.procs").write_text(str(sleeper.pid))
    left = f"{cap.cgroup} {sleeper.pid}"
print(folder, left, flush=True)
if sys.argv[3] == "wait":
    time.sleep(300)
"""


def _grader(where, cap=False, wait=True):
    process = subprocess.Popen([sys.executable, "-c", GRADER, str(where), "cap" if cap else "-",
                                "wait" if wait else "end"], stdout=subprocess.PIPE, text=True, cwd=ROOT)
    with process.stdout:   # it says one line, its last
        said = process.stdout.readline().split()
    return process, Path(said[0]), said[1:]


def _as_root_with_cgroups():
    return os.geteuid() == 0 and ProcessCap._cgroup_root() is not None


def test_a_killed_graders_folder_goes_at_the_next_grading_and_a_live_ones_stays(tmp_path):
    live, live_folder, _ = _grader(tmp_path)
    killed, killed_folder, _ = _grader(tmp_path)
    try:
        assert (killed_folder / "grade-ann-x" / "course" / "gradebook.db").is_file()
        os.kill(killed.pid, signal.SIGKILL)
        killed.wait()
        (tmp_path / "autograder-new-x").mkdir()   # one being made (not locked yet): not a run's
        scratch.sweep(tmp_path)
        assert not killed_folder.exists()
        assert (live_folder / "grade-ann-x" / "course" / "gradebook.db").is_file()
        assert (tmp_path / "autograder-new-x").is_dir()
    finally:
        live.kill()
        live.wait()
    scratch.sweep(tmp_path)
    assert not live_folder.exists()


def test_a_grader_that_ends_normally_leaves_no_folder(tmp_path):
    process, folder, _ = _grader(tmp_path, wait=False)
    assert process.wait() == 0
    assert not folder.exists() and list(tmp_path.iterdir()) == []


@pytest.mark.skipif(not _as_root_with_cgroups(), reason="cgroups are the root grader's process caps")
def test_a_killed_graders_cgroups_and_what_is_left_in_them_go_at_the_next_grading(tmp_path):
    process, folder, (group, sleeper) = _grader(tmp_path, cap=True)
    group, sleeper = Path(group), int(sleeper)
    try:
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
        assert group.is_dir() and psutil.pid_exists(sleeper)   # what SIGKILL leaves
        (folder / scratch.CAPS).write_text((folder / scratch.CAPS).read_text()
                                           + "/etc\n/sys/fs/cgroup/pids/not-a-cap\n")   # never touched
        scratch.sweep(tmp_path)
        deadline = time.monotonic() + 10
        while psutil.pid_exists(sleeper) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not group.exists() and not folder.exists()
        assert not psutil.pid_exists(sleeper) or psutil.Process(sleeper).status() == psutil.STATUS_ZOMBIE
        assert Path("/etc").is_dir()
    finally:
        try:
            os.kill(sleeper, signal.SIGKILL)
        except ProcessLookupError:
            pass


def test_a_folder_removed_under_a_live_grader_is_made_again(tmp_path):
    """A temporary-file cleaner may remove it all the same: the next need makes a new one."""
    code = ("import shutil, sys, tempfile\nfrom autograder.grading import scratch\n"
            "first = scratch.folder(sys.argv[1])\nshutil.rmtree(first)\nsecond = scratch.folder()\n"
            "tempfile.mkdtemp(dir=second)\nprint(first != second, second.is_dir(), second.parent == first.parent)")
    said = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, cwd=ROOT)
    assert said.stdout.split() == ["True", "True", "True"], said.stderr[-2000:]
    assert list(tmp_path.iterdir()) == []   # and the new one went at the normal exit
