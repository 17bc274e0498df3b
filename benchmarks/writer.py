"""How fast the one gradebook writer keeps up with arriving results: seconds per submission at N = 50, 200, 1000.

    python benchmarks/writer.py [--sizes 50 200 1000]

Grades one correct submission for real (once), then copies its executed notebook and hand-over
files as the finished results of N students and times, for each N on a fresh course, what `grade`'s
coordinator does for each result as it arrives: keep it (`gradebook.store`), record it
(`Writer.record_one`: nbgrader's autograde pipeline with the execution replayed and the verdicts
taken in this process) and write that student's feedback (`Writer.feedback`: nbgrader's
GenerateFeedback, in this process); then `nbgrader export` once, as `grade` does at the end.
No training happens after the first run (--seed-cache DIR keeps that run's files for the next
time). Wall and CPU seconds are both reported: on a shared machine the wall clock includes waiting
for the cores. Writes benchmarks/results/writer.json and prints a markdown table with the growth
with N and the projection for 2,000 students on 32 workers.
"""

import argparse
import json
import os
import platform
import resource
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
from autograder.grading.jobs import find_jobs, folder_files  # noqa: E402
from autograder.grading.sandbox import Limits  # noqa: E402
from autograder.grading.state import State  # noqa: E402
from autograder.grading.status import Result, Status  # noqa: E402
from autograder.paths import STATE_DIR  # noqa: E402

ASSIGNMENT = "fashion_mnist_en"
RESULTS = ROOT / "benchmarks" / "results" / "writer.json"
GOAL_S = 1.4           # 64 workers at 90 s a submission finish one every 1.4 s
WORKER_S = 90          # one submission on one worker (training included), measured by benchmarks/grading.py


def env():
    bin_dir = str(Path(sys.executable).parent)
    return dict(os.environ, PATH=bin_dir + os.pathsep + os.environ.get("PATH", ""), TF_CPP_MIN_LOG_LEVEL="2")


def executed_once(top, cache=None):
    """One real graded run: the executed notebook and the weights it handed over (kept in
    ``cache``, and taken from there on the next run, when given)."""
    if cache and (Path(cache) / NOTEBOOK).is_file():
        return folder_files(cache)
    course = make_course(top / "seed", [ASSIGNMENT])
    submit(course, "seed", ASSIGNMENT, nbformat.read(course / "solutions" / ASSIGNMENT / NOTEBOOK, 4))
    done = subprocess.run([sys.executable, "-m", "autograder", "grade", ASSIGNMENT, "--course", str(course),
                           "--workers", "1", "--no-feedback"], env=env(), capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(done.stdout[-2000:] + done.stderr[-2000:])
    folder = course / STATE_DIR / "results" / "seed" / ASSIGNMENT
    files = folder_files(folder)   # the notebook and the hand-over folder (whatever the worker sends)
    if cache:
        for name, data in files.items():
            (Path(cache) / name).parent.mkdir(parents=True, exist_ok=True)
            (Path(cache) / name).write_bytes(data)
    return files


def timed(step):
    """(wall seconds, CPU seconds of this process and of the commands it ran) of ``step``."""
    def cpu():
        own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
        return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime
    start, start_cpu = time.perf_counter(), cpu()
    step()
    return time.perf_counter() - start, cpu() - start_cpu


def measure(top, n, files):
    course = make_course(top / f"n{n}", [ASSIGNMENT])
    source = nbformat.read(course / "solutions" / ASSIGNMENT / NOTEBOOK, 4)
    for i in range(n):
        submit(course, f"s{i:04d}", ASSIGNMENT, source)
    state = State(course, ASSIGNMENT)
    jobs = find_jobs(course, ASSIGNMENT, Limits())
    executed = files[NOTEBOOK].decode()
    handover = {name: data for name, data in files.items() if name != NOTEBOOK}
    students = [job.student for job in jobs]
    failures, feedback_errors = {}, []
    times = {"record": [0.0, 0.0], "feedback": [0.0, 0.0]}

    def arrivals():   # the coordinator's work per arriving result, one after the other
        with gradebook.Writer(course, ASSIGNMENT, state) as writer:
            for job in jobs:
                student = job.student

                def record():   # what a worker handed back, kept and recorded
                    gradebook.store(state, job, Result(student, Status.GRADED, notebooks={NOTEBOOK: executed},
                                                       handover=handover))
                    why = writer.record_one(student)
                    if why:
                        failures[student] = why
                wall, cpu = timed(record)
                times["record"][0] += wall
                times["record"][1] += cpu
                wall, cpu = timed(lambda: feedback_errors.extend(filter(None, [writer.feedback(student)])))
                times["feedback"][0] += wall
                times["feedback"][1] += cpu
    arrivals()
    (record, record_cpu), (feedback, feedback_cpu) = times["record"], times["feedback"]
    scores = gradebook.scores(course, ASSIGNMENT)
    assert not failures and not feedback_errors and len(scores) == n and all(score == 24 for score, _ in scores.values()), \
        f"not every result recorded: {list(failures.items())[:3]} {feedback_errors[:1]}"
    assert all(state.get(s).recorded_as for s in students), "the state does not say recorded"
    nbgrader = [sys.executable, "-m", "nbgrader"]
    export, export_cpu = timed(lambda: subprocess.run([*nbgrader, "export"], cwd=course, env=env(), capture_output=True,
                                          check=True))
    written = len(list((course / "feedback").glob(f"*/{ASSIGNMENT}/*.html")))
    assert written == n, f"feedback for {written} of {n} submissions"
    shutil.rmtree(course, ignore_errors=True)
    return {"n": n, "record_s": round(record, 1), "record_per_submission_s": round(record / n, 3),
            "record_cpu_per_submission_s": round(record_cpu / n, 3),
            "feedback_s": round(feedback, 1), "feedback_per_submission_s": round(feedback / n, 3),
            "feedback_cpu_per_submission_s": round(feedback_cpu / n, 3),
            "export_s": round(export, 1), "export_per_submission_s": round(export / n, 4),
            "export_cpu_s": round(export_cpu, 1)}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[50, 200, 1000])
    parser.add_argument("--seed-cache", help="keep the one graded run's files here and reuse them next time")
    parser.add_argument("--out", default=str(RESULTS), help=f"where to write the JSON (default {RESULTS})")
    args = parser.parse_args(argv)
    top = Path(tempfile.mkdtemp(prefix="writer-bench-"))
    results = {"machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
               "goal_per_submission_s": GOAL_S, "rows": []}
    try:
        files = executed_once(top, args.seed_cache)
        out = Path(args.out)
        for n in args.sizes:
            load_before = os.getloadavg()[0]
            row = measure(top, n, files)
            row["load_1min_before_after"] = [round(load_before, 2), round(os.getloadavg()[0], 2)]
            results["rows"].append(row)
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(json.dumps(results, indent=2) + "\n")
            print(row, flush=True)
    finally:
        shutil.rmtree(top, ignore_errors=True)
    print(markdown(results))


def markdown(results):
    rows = results["rows"]
    lines = [f"Machine: {results['machine']}.", "",
             "| N | record: s per submission, wall (CPU) | ratio to the 1.4 s goal | feedback (in-process): s per submission, "
             "wall (CPU) | export: s for all (CPU) | load (1 min) before, after |",
             "|---|---|---|---|---|---|"]
    for row in rows:
        lines.append(f"| {row['n']} | {row['record_per_submission_s']} ({row['record_cpu_per_submission_s']}) | "
                     f"{row['record_per_submission_s'] / GOAL_S:.2f} | {row['feedback_per_submission_s']} "
                     f"({row['feedback_cpu_per_submission_s']}) | {row['export_s']} ({row['export_cpu_s']}) | "
                     f"{', '.join(map(str, row['load_1min_before_after']))} |")
    first, last = rows[0], rows[-1]
    if last["n"] != first["n"]:
        lines += ["", f"Growth from N = {first['n']} to N = {last['n']} (per-submission time at {last['n']} / at "
                  f"{first['n']}): record {last['record_per_submission_s'] / first['record_per_submission_s']:.2f} "
                  f"(CPU {last['record_cpu_per_submission_s'] / first['record_cpu_per_submission_s']:.2f}), feedback "
                  f"{last['feedback_per_submission_s'] / first['feedback_per_submission_s']:.2f} (CPU "
                  f"{last['feedback_cpu_per_submission_s'] / first['feedback_cpu_per_submission_s']:.2f}), export "
                  f"{last['export_per_submission_s'] / first['export_per_submission_s']:.2f}."]
    lines += ["", projection(last)]
    return "\n".join(lines)


def projection(row, students=2000, workers=32):
    """Wall time for ``students`` on ``workers`` with the writer's per-submission figures of ``row``:
    `grade` records each result and writes its feedback as it arrives, while the workers go on, then
    exports once. The writer keeps up when its time per result is under the time between arrivals."""
    work = students * WORKER_S / workers
    between = WORKER_S / workers
    per_result = row["record_per_submission_s"] + row["feedback_per_submission_s"]
    export = row["export_per_submission_s"] * students
    writer = students * per_result
    total = max(work, writer) + per_result + export
    keeps_up = per_result <= between
    return (f"{students:,} students on {workers} workers at {WORKER_S} s each: the workers need {work / 60:.0f} min "
            f"(a result every {between:.1f} s); the writer records and writes feedback for each as it arrives in "
            f"{per_result:.2f} s ({row['record_per_submission_s']} + {row['feedback_per_submission_s']}), so it "
            f"{'keeps up' if keeps_up else 'falls behind'} (up to {WORKER_S / per_result:.0f} workers); export "
            f"{export / 60:.1f} min at the end: about {total / 60:.0f} min in all, "
            f"{(total - work) / 60:.1f} min after the last worker.")


if __name__ == "__main__":
    main()
