"""Benchmark of ``python -m autograder grade`` (not run by the tests; about 25 minutes on 2 cores).

    python benchmarks/grading.py [--submissions 8]

* overhead: grading one correct submission (1 worker, all cores) / ``jupyter nbconvert --to
  notebook --execute`` of the same notebook with its hidden tests (what nbgrader executes);
* throughput: N correct submissions with 1 and 2 workers, through a concurrent.futures pool
  (``--engine local``) and through Dask's LocalCluster (submissions per minute, speed-up);
* re-run with nothing changed (seconds), with and without feedback + export.

Writes benchmarks/results/grading.json and prints a markdown table.
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
from autograder.grading.sandbox import problem, thread_env  # noqa: E402

ASSIGNMENT = "fashion_mnist_en"
RESULTS = ROOT / "benchmarks" / "results" / "grading.json"


def env(threads=None):
    bin_dir = str(Path(sys.executable).parent)
    result = dict(os.environ, PATH=bin_dir + os.pathsep + os.environ.get("PATH", ""), TF_CPP_MIN_LOG_LEVEL="2")
    if threads:
        result.update(thread_env(workers=1, cores=threads))
    return result


def timed(command, cwd, environment):
    start = time.perf_counter()
    result = subprocess.run(command, cwd=cwd, env=environment, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, command))} failed:\n{result.stderr[-3000:]}")
    return seconds, result


def course_with(top, name, n):
    course = make_course(Path(top) / name)
    solution = nbformat.read(course / "solutions" / ASSIGNMENT / NOTEBOOK, 4)
    for i in range(n):
        submit(course, f"s{i + 1:02d}", ASSIGNMENT, solution)
    return course


def grade_command(course, workers, engine, *extra):
    return [sys.executable, "-m", "autograder", "grade", ASSIGNMENT, "--course", str(course),
            "--workers", str(workers), "--engine", engine, *extra]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--submissions", type=int, default=8)
    args = parser.parse_args(argv)
    n = args.submissions
    cores = os.cpu_count()
    top = Path(tempfile.mkdtemp(prefix="grading-bench-"))
    results = {"machine": f"{platform.machine()}, {cores} cores, Python {platform.python_version()}",
               "isolation": "bubblewrap box" if problem() is None else "none (--unsafe-no-sandbox)",
               "submissions": n}
    try:
        # 1. overhead
        course = course_with(top, "one", 1)
        notebook = top / "baseline.ipynb"
        shutil.copy(course / "solutions" / ASSIGNMENT / NOTEBOOK, notebook)
        baseline, _ = timed([sys.executable, "-m", "jupyter", "nbconvert", "--to", "notebook", "--execute",
                             str(notebook), "--output", "executed.ipynb",
                             "--ExecutePreprocessor.timeout=600"], top, env(cores))
        print(f"nbconvert --execute: {baseline:.1f} s", flush=True)
        one, _ = timed(grade_command(course, 1, "local", "--no-feedback"), course, env())
        print(f"grade 1 submission: {one:.1f} s", flush=True)
        again_quick, _ = timed(grade_command(course, 1, "local", "--no-feedback"), course, env())
        again_full, _ = timed(grade_command(course, 1, "local"), course, env())
        results["overhead"] = {"nbconvert_execute_s": round(baseline, 1), "grade_one_s": round(one, 1),
                               "ratio": round(one / baseline, 3)}
        results["rerun_unchanged"] = [{"engine": "local", "submissions": 1,
                                       "seconds_no_feedback": round(again_quick, 1),
                                       "seconds_with_feedback_and_export": round(again_full, 1)}]
        save(results)

        # 2. throughput
        results["throughput"] = []
        for engine in ("local", "dask"):
            for workers in (1, 2):
                course = course_with(top, f"{engine}{workers}", n)
                seconds, _ = timed(grade_command(course, workers, engine, "--no-feedback"), course, env())
                row = {"engine": engine, "workers": workers, "seconds": round(seconds, 1),
                       "per_minute": round(n / seconds * 60, 2)}
                results["throughput"].append(row)
                save(results)
                print(row, flush=True)
                if workers == 2:
                    # 3. nothing changed, on this class of n
                    quick, _ = timed(grade_command(course, workers, engine, "--no-feedback"), course, env())
                    full, _ = timed(grade_command(course, workers, engine), course, env())
                    results["rerun_unchanged"].append(
                        {"engine": engine, "submissions": n, "seconds_no_feedback": round(quick, 1),
                         "seconds_with_feedback_and_export": round(full, 1)})
                shutil.rmtree(course, ignore_errors=True)
        for engine in ("local", "dask"):
            rows = {r["workers"]: r for r in results["throughput"] if r["engine"] == engine}
            rows[2]["speedup"] = round(rows[1]["seconds"] / rows[2]["seconds"], 2)
    finally:
        shutil.rmtree(top, ignore_errors=True)
    results["complete"] = True
    save(results)
    print(markdown(results))


def save(results):
    """After every stage, so an interrupted benchmark still leaves its figures."""
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")


def markdown(results):
    o = results["overhead"]
    lines = [f"Machine: {results['machine']}; student code: {results['isolation']}.", "",
             "| measure | value |", "|---|---|",
             f"| `nbconvert --execute` of the notebook (with hidden tests) | {o['nbconvert_execute_s']} s |",
             f"| `python -m autograder grade` of that one submission | {o['grade_one_s']} s |",
             f"| grading overhead (ratio) | {o['ratio']} |"]
    for row in results["throughput"]:
        speed = f", speed-up {row['speedup']}x" if "speedup" in row else ""
        lines.append(f"| {results['submissions']} submissions, {row['engine']}, {row['workers']} worker(s) | "
                     f"{row['seconds']} s, {row['per_minute']} per minute{speed} |")
    for row in results["rerun_unchanged"]:
        lines.append(f"| re-run, nothing changed ({row['submissions']} submission(s), {row['engine']}) | "
                     f"{row['seconds_no_feedback']} s; {row['seconds_with_feedback_and_export']} s without "
                     "--no-feedback (nothing changed, so feedback and export are skipped too) |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
