"""The distributed path as users run it: a `dask scheduler` and two `dask worker` processes started
on their own, each worker in its own empty folder (no shared disk with the course), and
`grade --scheduler ADDRESS`. Short submissions keep it quick: a missing notebook, and a crash in the
first function whose later cells train on 64 images and take the weights trained once by the suite
(notebooks.trained_elsewhere; without it, each crash went on to train for ten epochs, and the
test took four minutes)."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from notebooks import NOTEBOOK, make_course, scores, submit, trained_elsewhere, with_cells_replaced

pytestmark = pytest.mark.slow
ASSIGNMENT = "fashion_mnist_en"


def _env():
    return dict(os.environ, PATH=str(Path(sys.executable).parent) + os.pathsep + os.environ["PATH"])


@pytest.fixture
def cluster(tmp_path):
    scheduler_file = tmp_path / "scheduler.json"
    dask = [sys.executable, "-m", "distributed.cli.dask_scheduler"]
    processes = [subprocess.Popen([*dask, "--scheduler-file", str(scheduler_file), "--no-dashboard",
                                   "--port", "0"], env=_env(), cwd=tmp_path,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)]
    deadline = time.monotonic() + 60
    while not scheduler_file.exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    for name in ("worker-a", "worker-b"):
        folder = tmp_path / name
        folder.mkdir()
        processes.append(subprocess.Popen(
            [sys.executable, "-m", "distributed.cli.dask_worker", "--scheduler-file", str(scheduler_file),
             "--nthreads", "1", "--nworkers", "1", "--no-dashboard", "--local-directory", str(folder)],
            env=_env(), cwd=folder, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True))
    time.sleep(5)
    yield json.loads(scheduler_file.read_text())["address"]
    for process in processes:
        os.killpg(process.pid, signal.SIGTERM)
    for process in processes:
        process.wait(timeout=30)


def test_grade_on_a_running_dask_cluster(tmp_path, cluster):
    course = make_course(tmp_path / "course")
    nb = nbformat.read(course / "solutions" / ASSIGNMENT / NOTEBOOK, 4)
    crash = trained_elsewhere(with_cells_replaced(nb, {"preprocess_images": "import os\nos._exit(1)"}))
    for student in ("one", "two", "three"):
        submit(course, student, ASSIGNMENT, crash)
    (course / "submitted" / "empty" / ASSIGNMENT).mkdir(parents=True)
    result = subprocess.run([sys.executable, "-m", "autograder", "grade", ASSIGNMENT, "--course", str(course),
                             "--workers", "2", "--scheduler", cluster, "--no-feedback"],
                            env=_env(), capture_output=True, text=True, timeout=1200)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert "to grade with 2 workers (dask)" in result.stderr
    for student in ("one", "two", "three"):
        assert f"{student}  " in result.stdout and "kernel died" in result.stdout
    assert set(scores(course, ASSIGNMENT)) == {"one", "two", "three", "empty"}
    # the workers' own folders hold no course files: the jobs carried them
    assert not list((tmp_path / "worker-a").rglob("gradebook.db")) and not list((tmp_path / "worker-b").rglob("*.ipynb"))
