"""How fast the one gradebook writer records a class: seconds per submission at N = 50, 200, 1000.

    python benchmarks/writer.py [--sizes 50 200 1000]

Grades one correct submission for real (once), then copies its executed notebook and weights as
the finished results of N students and times, for each N on a fresh course: recording them all
(`autograder.grading.gradebook.record`: nbgrader's autograde pipeline with the execution replayed
and the accuracy judged in this process), `nbgrader generate_feedback` and `nbgrader export`.
No training happens after the first run. Writes benchmarks/results/writer.json and prints a
markdown table with the projection for 2,000 students on 32 workers.
"""

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

import nbformat  # noqa: E402

from notebooks import NOTEBOOK, make_course, submit  # noqa: E402
from autograder.grading import gradebook  # noqa: E402
from autograder.grading.jobs import find_jobs  # noqa: E402
from autograder.grading.sandbox import Limits  # noqa: E402
from autograder.grading.state import State  # noqa: E402
from autograder.grading.status import Result, Status  # noqa: E402

ASSIGNMENT = "fashion_mnist_en"
RESULTS = ROOT / "benchmarks" / "results" / "writer.json"
GOAL_S = 1.4           # 64 workers at 90 s a submission finish one every 1.4 s
WORKER_S = 90          # one submission on one worker (training included), measured by benchmarks/grading.py


def env():
    bin_dir = str(Path(sys.executable).parent)
    return dict(os.environ, PATH=bin_dir + os.pathsep + os.environ.get("PATH", ""), TF_CPP_MIN_LOG_LEVEL="2")


def executed_once(top):
    """One real graded run: the executed notebook and the weights it handed over."""
    course = make_course(top / "seed")
    submit(course, "seed", ASSIGNMENT, nbformat.read(course / "solutions" / ASSIGNMENT / NOTEBOOK, 4))
    done = subprocess.run([sys.executable, "-m", "autograder", "grade", ASSIGNMENT, "--course", str(course),
                           "--workers", "1", "--no-feedback"], env=env(), capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(done.stdout[-2000:] + done.stderr[-2000:])
    folder = course / ".grading" / "results" / "seed" / ASSIGNMENT
    return {p.name: p.read_bytes() for p in folder.iterdir()}


def timed(step):
    start = time.perf_counter()
    step()
    return time.perf_counter() - start


def measure(top, n, files):
    course = make_course(top / f"n{n}")
    source = nbformat.read(course / "solutions" / ASSIGNMENT / NOTEBOOK, 4)
    for i in range(n):
        submit(course, f"s{i:04d}", ASSIGNMENT, source)
    state = State(course, ASSIGNMENT)
    jobs = find_jobs(course, ASSIGNMENT, Limits())
    executed = files[NOTEBOOK].decode()
    handover = {name: data for name, data in files.items() if name != NOTEBOOK}
    for job in jobs:
        gradebook.store(state, job, Result(job.student, Status.GRADED, notebooks={NOTEBOOK: executed},
                                           handover=handover))
    students = [job.student for job in jobs]
    record = timed(lambda: gradebook.record(course, ASSIGNMENT, students, state))
    scores = gradebook.scores(course, ASSIGNMENT)
    assert len(scores) == n and all(score == 24 for score, _ in scores.values()), "not every result recorded"
    nbgrader = [sys.executable, "-m", "nbgrader"]
    feedback = timed(lambda: subprocess.run([*nbgrader, "generate_feedback", ASSIGNMENT, "--force"], cwd=course,
                                            env=env(), capture_output=True, check=True))
    export = timed(lambda: subprocess.run([*nbgrader, "export"], cwd=course, env=env(), capture_output=True,
                                          check=True))
    shutil.rmtree(course, ignore_errors=True)
    return {"n": n, "record_s": round(record, 1), "record_per_submission_s": round(record / n, 3),
            "feedback_s": round(feedback, 1), "feedback_per_submission_s": round(feedback / n, 3),
            "export_s": round(export, 1)}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[50, 200, 1000])
    args = parser.parse_args(argv)
    top = Path(tempfile.mkdtemp(prefix="writer-bench-"))
    results = {"machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
               "goal_per_submission_s": GOAL_S, "rows": []}
    try:
        files = executed_once(top)
        for n in args.sizes:
            row = measure(top, n, files)
            results["rows"].append(row)
            RESULTS.parent.mkdir(parents=True, exist_ok=True)
            RESULTS.write_text(json.dumps(results, indent=2) + "\n")
            print(row, flush=True)
    finally:
        shutil.rmtree(top, ignore_errors=True)
    print(markdown(results))


def markdown(results):
    lines = [f"Machine: {results['machine']}.", "",
             "| N | record (s per submission) | feedback (s per submission) | export (s) | ratio to the 1.4 s goal |",
             "|---|---|---|---|---|"]
    for row in results["rows"]:
        lines.append(f"| {row['n']} | {row['record_s']} ({row['record_per_submission_s']}) | {row['feedback_s']} "
                     f"({row['feedback_per_submission_s']}) | {row['export_s']} | "
                     f"{row['record_per_submission_s'] / GOAL_S:.2f} |")
    largest = results["rows"][-1]
    writer = largest["record_per_submission_s"] + largest["feedback_per_submission_s"]
    lines += ["", f"2,000 students on 32 workers: the workers need 2000 × {WORKER_S} s / 32 = "
              f"{2000 * WORKER_S / 32 / 60:.0f} min; the writer {2000 * writer / 60:.0f} min "
              f"(record + feedback at {writer:.2f} s each), overlapping with the workers except for feedback."]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
