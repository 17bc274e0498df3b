"""Benchmark of ``python -m autograder grade`` (not run by the tests; about 30 minutes on 2 cores).

    python benchmarks/grading.py [--submissions 4] [--repeats 3] [--rounds 3] [--overhead-only]

* overhead: grading one correct submission in both paths (each boxed kernel at one thread, as
  the grader sets it) against the bare tutorial script (benchmarks/tutorial_script.py), the
  lesson's notebook as a script (its code cells without the test cells: predictions and figures
  included) and the same notebook run by Jupyter with no grader, all at one thread, alternated,
  wall and CPU seconds, ratios taken pair by pair: plain `nbgrader autograde` with the course's
  configuration, and the class command (1 worker, --no-feedback), with where its time went;
* threads: the script with TensorFlow at 1 and at 2 threads (why 2 workers can beat 2x 1 worker);
* throughput: N correct submissions with 1 and 2 workers, through the local pool (``--repeats``
  runs each: min and median) and through Dask's LocalCluster (once each), speed-ups;
* re-run with nothing changed (seconds), with and without feedback + export.

Writes benchmarks/results/grading.json and prints a markdown table.
"""

import argparse
import json
import os
import platform
import shutil
import statistics
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
from autograder.grading.sandbox import problem  # noqa: E402
from autograder.notebook_run import is_test_cell  # noqa: E402
from autograder.samples import completed_release  # noqa: E402
from course.threads import thread_env  # noqa: E402

LANG = "en"
ASSIGNMENT = f"fashion_mnist_{LANG}"
RESULTS = ROOT / "benchmarks" / "results" / "grading.json"
SCRIPT = ROOT / "benchmarks" / "tutorial_script.py"


def _cell_seconds(cell):
    timing = cell.get("metadata", {}).get("execution", {})
    start, end = timing.get("iopub.execute_input"), timing.get("shell.execute_reply")
    if not (start and end):
        return 0.0
    from datetime import datetime
    return (datetime.fromisoformat(end.replace("Z", "+00:00"))
            - datetime.fromisoformat(start.replace("Z", "+00:00"))).total_seconds()


def profile(course, command_s):
    """Where one grading run's time went: the student's own cells, the test cells (visible and
    hidden checks), the rest of the box (start, nbgrader's passes, kernel start), the coordinator."""
    state = json.loads((course / ".grading" / f"{ASSIGNMENT}.json").read_text())
    worker_s = next(iter(state.values()))["seconds"]
    nb = nbformat.read(course / ".grading" / "results" / "s01" / ASSIGNMENT / NOTEBOOK, 4)
    phases = {"student code (training included)": 0.0}
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        meta = cell.metadata.get("nbgrader", {})
        key = f"check {meta['grade_id']}" if meta.get("grade") else "student code (training included)"
        phases[key] = phases.get(key, 0.0) + _cell_seconds(cell)
    in_cells = sum(phases.values())
    phases["nbgrader's passes, the boxes and kernel starts, the pulls"] = worker_s - in_cells
    phases["coordinator (start, replay, accuracy verdict, gradebook)"] = command_s - worker_s
    return {name: round(seconds, 1) for name, seconds in phases.items()}


def markdown_profile(overhead):
    median, cpu, ratio = overhead["median_s"], overhead["cpu_s"], overhead["paired_ratios"]
    n = overhead["rounds"]
    lines = [f"| bare tutorial script (benchmarks/tutorial_script.py), 1 thread as in the kernel, median of {n} | {median['script_1']} s (CPU {cpu['script_1']}) |",
             f"| the lesson's notebook as a script (its code cells, no test cell), 1 thread, median of {n} | {median['notebook_1']} s (CPU {cpu['notebook_1']}) |",
             f"| the same notebook run by Jupyter (`nbconvert --execute`, a plain kernel, no grader), 1 thread, median of {n} | {median['jupyter_1']} s (CPU {cpu['jupyter_1']}) |",
             f"| `python -m autograder grade`, one correct submission, median of {n} | {median['grade']} s |",
             f"| plain `nbgrader autograde`, one correct submission, median of {n} | {median['plain']} s |",
             f"| class command / bare script, paired (goal ≤ {overhead['goal']}) | **{ratio['grade_over_script_1']}** |",
             f"| class command / notebook as a script, paired | **{ratio['grade_over_notebook_1']}** |",
             f"| plain nbgrader / bare script, paired | **{ratio['plain_over_script_1']}** |",
             f"| plain nbgrader / notebook as a script, paired | **{ratio['plain_over_notebook_1']}** |",
             f"| notebook as a script / bare script; notebook in Jupyter / bare script, paired | "
             f"{ratio['notebook_1_over_script_1']}; {ratio['jupyter_1_over_script_1']} |",
             f"| class command / notebook in Jupyter; plain nbgrader / notebook in Jupyter, paired | "
             f"**{ratio['grade_over_jupyter_1']}**; **{ratio['plain_over_jupyter_1']}** |"]
    lines += [f"| — {phase} | {seconds} s |" for phase, seconds in overhead["profile"].items()]
    return "\n".join(lines)


def env(threads=None):
    bin_dir = str(Path(sys.executable).parent)
    result = dict(os.environ, PATH=bin_dir + os.pathsep + os.environ.get("PATH", ""), TF_CPP_MIN_LOG_LEVEL="2")
    if threads:
        result.update(thread_env(1, cores=threads, most=threads))
    return result


def timed(command, cwd, environment):
    start = time.perf_counter()
    result = subprocess.run(command, cwd=cwd, env=environment, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, command))} failed:\n{result.stderr[-3000:]}")
    return seconds, result


def timed_cpu(command, cwd, environment):
    """(wall seconds, result, CPU seconds of the command and everything it waited for)."""
    import resource
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    seconds, result = timed(command, cwd, environment)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return seconds, result, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def course_with(top, name, n):
    course = make_course(Path(top) / name)
    solution = nbformat.read(course / "solutions" / ASSIGNMENT / NOTEBOOK, 4)
    for i in range(n):
        submit(course, f"s{i + 1:02d}", ASSIGNMENT, solution)
    return course


def grade_command(course, workers, engine, *extra):
    # the class report is one page per class, not a cost per submission: not timed here
    return [sys.executable, "-m", "autograder", "grade", ASSIGNMENT, "--course", str(course),
            "--workers", str(workers), "--engine", engine, "--no-report", *extra]


NOTEBOOK_SCRIPT_HEAD = """# The lesson's notebook as a plain script: its code cells without the test cells, the figures
# drawn into PNG files as Jupyter's inline backend draws them (benchmarks/grading.py writes this).
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as _plt
_figures = []


def _show(*args, **kwargs):
    _figures.append(len(_figures))
    _plt.gcf().savefig(f"figure-{len(_figures)}.png", format="png")
    _plt.close("all")


_plt.show = _show
"""


def _finished_notebook():
    """The release as a student finishes it with the reference's answers, test cells left out."""
    nb = completed_release(LANG)
    nb.cells = [cell for cell in nb.cells if not is_test_cell(cell)]
    return nb


def notebook_script(top):
    """The solution notebook's code cells, test cells left out, as one script in ``top``: the
    lesson as a student runs it (predictions and figures included), without any grading."""
    body = [cell.source for cell in _finished_notebook().cells if cell.cell_type == "code"]
    path = Path(top) / "lesson_notebook_as_script.py"
    path.write_text(NOTEBOOK_SCRIPT_HEAD + "\n\n" + "\n\n".join(body) + "\n")
    return path


def notebook_in_jupyter(top):
    """The same finished notebook, and the command that runs it in Jupyter with nothing of the
    grader: a plain kernel (no box, no preamble, no check), figures drawn by the inline backend."""
    path = Path(top) / "lesson_notebook.ipynb"
    nbformat.write(_finished_notebook(), path)
    return [sys.executable, "-m", "nbconvert", "--to", "notebook", "--execute",
            "--ExecutePreprocessor.timeout=-1", "--output", "lesson_notebook_run", str(path)]


def overhead(top, cores, results, rounds=3):
    """The bare tutorial script, the lesson's notebook as a script and in Jupyter, all at the
    kernel's one thread, and the grading of one correct submission in both paths, alternated; wall
    and CPU."""
    course = course_with(top, "one", 1)
    plain = course_with(top, "plain", 1)
    lesson = notebook_script(top)
    jupyter = notebook_in_jupyter(top)
    runs = {"script_1": [], "notebook_1": [], "jupyter_1": [], "grade": [], "plain": []}
    cpu = {name: [] for name in runs}
    for _ in range(rounds):
        for name, command, environment in (("script_1", [sys.executable, str(SCRIPT)], env(1)),
                                           ("grade", grade_command(course, 1, "local", "--no-feedback"), env()),
                                           ("notebook_1", [sys.executable, str(lesson)], env(1)),
                                           ("jupyter_1", jupyter, env(1)),
                                           ("plain", [sys.executable, "-m", "nbgrader", "autograde", ASSIGNMENT,
                                                      "--force"], env(1))):
            if name == "grade":
                shutil.rmtree(course / ".grading", ignore_errors=True)
            where = {"grade": course, "plain": plain}.get(name, top)
            seconds, _, cpu_s = timed_cpu(command, where, environment)
            runs[name].append(seconds)
            cpu[name].append(cpu_s)
        print({name: round(values[-1], 1) for name, values in runs.items()}, flush=True)
    median = {name: statistics.median(values) for name, values in runs.items()}
    # each grading run against the baseline run just before it (the machine's speed drifts)
    paired = {f"{path}_over_{base}": round(statistics.median(g / b for g, b in zip(runs[path], runs[base])), 3)
              for path, base in (("grade", "script_1"), ("plain", "notebook_1"),
                                 ("grade", "notebook_1"), ("plain", "script_1"),
                                 ("notebook_1", "script_1"), ("jupyter_1", "script_1"),
                                 ("grade", "jupyter_1"), ("plain", "jupyter_1"))}
    results["overhead"] = {"rounds": rounds, "runs_s": {name: [round(x, 1) for x in values] for name, values in runs.items()},
                           "cpu_s": {name: [round(x, 1) for x in values] for name, values in cpu.items()},
                           "median_s": {name: round(value, 1) for name, value in median.items()},
                           "paired_ratios": paired, "goal": 1.1, "profile": profile(course, runs["grade"][-1])}
    again_quick, _ = timed(grade_command(course, 1, "local", "--no-feedback"), course, env())
    again_full, _ = timed(grade_command(course, 1, "local"), course, env())
    results["rerun_unchanged"] = [{"engine": "local", "submissions": 1,
                                   "seconds_no_feedback": round(again_quick, 1),
                                   "seconds_with_feedback_and_export": round(again_full, 1)}]


def thread_scaling(top, results):
    """The script with TensorFlow's pools at 1 and at 2 threads, alternated: what one worker gets
    (all cores) against what each of two workers gets (one core)."""
    runs = {1: [], 2: []}
    for _ in range(2):
        for threads in (1, 2):
            seconds, _ = timed([sys.executable, str(SCRIPT)], top, env(threads))
            runs[threads].append(seconds)
    one, two = statistics.median(runs[1]), statistics.median(runs[2])
    results["threads"] = {"script_1_thread_s": [round(x, 1) for x in runs[1]],
                          "script_2_threads_s": [round(x, 1) for x in runs[2]],
                          "ratio_2_over_1": round(two / one, 3)}
    print(results["threads"], flush=True)


def throughput(top, n, repeats, results):
    """n correct submissions with 1 and 2 workers: the local pool `repeats` times each (min and
    median), Dask's LocalCluster once each; then a re-run with nothing changed."""
    results["throughput"] = []
    for engine, times in (("local", repeats), ("dask", 1)):
        for workers in (1, 2):
            runs = []
            for run in range(times):
                course = course_with(top, f"{engine}{workers}-{run}", n)
                seconds, _ = timed(grade_command(course, workers, engine, "--no-feedback"), course, env())
                runs.append(seconds)
                print(f"{engine}, {workers} worker(s), run {run + 1}: {seconds:.1f} s", flush=True)
                if workers == 2 and run == 0:
                    quick, _ = timed(grade_command(course, workers, engine, "--no-feedback"), course, env())
                    full, _ = timed(grade_command(course, workers, engine), course, env())
                    results["rerun_unchanged"].append(
                        {"engine": engine, "submissions": n, "seconds_no_feedback": round(quick, 1),
                         "seconds_with_feedback_and_export": round(full, 1)})
                shutil.rmtree(course, ignore_errors=True)
            median = statistics.median(runs)
            results["throughput"].append({"engine": engine, "workers": workers, "runs_s": [round(x, 1) for x in runs],
                                          "seconds": round(median, 1), "min_s": round(min(runs), 1),
                                          "per_minute": round(n / median * 60, 2)})
            save(results)
    for engine in ("local", "dask"):
        rows = {r["workers"]: r for r in results["throughput"] if r["engine"] == engine}
        rows[2]["speedup"] = round(rows[1]["seconds"] / rows[2]["seconds"], 2)
        rows[2]["speedup_of_minimums"] = round(rows[1]["min_s"] / rows[2]["min_s"], 2)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--submissions", type=int, default=4)
    parser.add_argument("--repeats", type=int, default=3, help="runs of the local pool per worker count")
    parser.add_argument("--rounds", type=int, default=3, help="alternated rounds of the overhead measure")
    parser.add_argument("--overhead-only", action="store_true",
                        help="only the baselines-vs-grading ratios and the profile (about 10 minutes)")
    args = parser.parse_args(argv)
    cores = os.cpu_count()
    top = Path(tempfile.mkdtemp(prefix="grading-bench-"))
    results = {"machine": f"{platform.machine()}, {cores} cores, Python {platform.python_version()}",
               "isolation": "bubblewrap box" if problem() is None else "none (--unsafe-no-sandbox)",
               "submissions": args.submissions, "load_before": os.getloadavg()}
    if args.overhead_only and RESULTS.exists():  # keep the other sections of the last full run
        results = {**json.loads(RESULTS.read_text()), **results, "overhead_only_rerun": True}
    try:
        overhead(top, cores, results, args.rounds)
        save(results)
        print(markdown_profile(results["overhead"]), flush=True)
        if args.overhead_only:
            return
        thread_scaling(top, results)
        save(results)
        throughput(top, args.submissions, args.repeats, results)
    finally:
        shutil.rmtree(top, ignore_errors=True)
    results["load_after"] = os.getloadavg()
    results["complete"] = True
    save(results)
    print(markdown(results))


def save(results):
    """After every stage, so an interrupted benchmark still leaves its figures."""
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")


def markdown(results):
    load = lambda key: ", ".join(f"{x:.2f}" for x in results.get(key, ()))  # noqa: E731
    lines = [f"Machine: {results['machine']}; student code: {results['isolation']}; load average "
             f"(1, 5, 15 min) {load('load_before')} before, {load('load_after')} after.", "",
             "| measure | value |", "|---|---|", markdown_profile(results["overhead"])]
    threads = results.get("threads")
    if threads:
        lines.append(f"| tutorial script, TensorFlow at 1 thread / at 2 threads (runs) | "
                     f"{threads['script_1_thread_s']} s / {threads['script_2_threads_s']} s: "
                     f"2 threads take {threads['ratio_2_over_1']}x the time of 1 |")
    for row in results["throughput"]:
        speed = (f", speed-up {row['speedup']}x (of the fastest runs {row['speedup_of_minimums']}x)"
                 if "speedup" in row else "")
        lines.append(f"| {results['submissions']} submissions, {row['engine']}, {row['workers']} worker(s), "
                     f"runs {row['runs_s']} s | median {row['seconds']} s, min {row['min_s']} s, "
                     f"{row['per_minute']} per minute{speed} |")
    for row in results["rerun_unchanged"]:
        lines.append(f"| re-run, nothing changed ({row['submissions']} submission(s), {row['engine']}) | "
                     f"{row['seconds_no_feedback']} s; {row['seconds_with_feedback_and_export']} s without "
                     "--no-feedback (nothing changed, so feedback and export are skipped too) |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
