"""Is a regrade the same grade? One submission graded again and again (not run by the tests).

    nice -n 10 python benchmarks/regrade.py [--times 5] [--class-command]

A scratch course (this repo's config and solutions), the reference solution submitted as one
student, graded ``--times`` times by plain ``nbgrader autograde --force`` (ten epochs on 60,000
images each time, in the kernel, seeded by the grader's preamble); with ``--class-command``, once
more by ``python -m autograder grade`` (the box, one thread per kernel). Records the accuracy each
grading measured (JudgeAccuracy's figure in the autograded notebook), the score and the seconds,
in benchmarks/results/regrade.json, and prints whether they are all equal.
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

from notebooks import NOTEBOOK, make_course, nbgrader, scores, submit  # noqa: E402

ASSIGNMENT = "fashion_mnist_en"
STUDENT = "s01"
RESULTS = ROOT / "benchmarks" / "results" / "regrade.json"


def measured(course):
    nb = nbformat.read(course / "autograded" / STUDENT / ASSIGNMENT / NOTEBOOK, 4)
    cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "test_accuracy_threshold")
    return cell.metadata.get("autograder", {}).get("accuracy")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--times", type=int, default=5)
    parser.add_argument("--class-command", action="store_true")
    args = parser.parse_args(argv)
    top = Path(tempfile.mkdtemp(prefix="regrade-"))
    runs = []
    try:
        course = make_course(top / "course")
        submit(course, STUDENT, ASSIGNMENT, nbformat.read(course / "solutions" / ASSIGNMENT / NOTEBOOK, 4))
        for i in range(args.times):
            start = time.perf_counter()
            nbgrader("autograde", ASSIGNMENT, "--student", STUDENT, "--force", cwd=course)
            runs.append({"path": "nbgrader autograde", "accuracy": measured(course),
                         "score": sum(s for s, _ in scores(course, ASSIGNMENT)[STUDENT].values()),
                         "seconds": round(time.perf_counter() - start, 1)})
            print(runs[-1], flush=True)
        if args.class_command:
            shutil.rmtree(course / "autograded", ignore_errors=True)
            start = time.perf_counter()
            bin_dir = str(Path(sys.executable).parent)
            result = subprocess.run([sys.executable, "-m", "autograder", "grade", ASSIGNMENT, "--course", str(course),
                                     "--workers", "1", "--no-feedback", "--no-report"],
                                    cwd=course, capture_output=True, text=True,
                                    env=dict(os.environ, PATH=bin_dir + os.pathsep + os.environ.get("PATH", "")))
            runs.append({"path": "python -m autograder grade (box)", "accuracy": measured(course),
                         "exit": result.returncode, "seconds": round(time.perf_counter() - start, 1)})
            print(runs[-1], result.stderr[-500:] if result.returncode else "", flush=True)
    finally:
        shutil.rmtree(top, ignore_errors=True)
    accuracies = {run["accuracy"] for run in runs}
    record = {"machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
              "when": time.strftime("%Y-%m-%d %H:%M"), "load_after": os.getloadavg(), "runs": runs,
              "all_equal": len(accuracies) == 1, "distinct_accuracies": sorted(a for a in accuracies if a is not None)}
    RESULTS.write_text(json.dumps(record, indent=2) + "\n")
    print(f"{len(runs)} gradings, accuracies {sorted(accuracies, key=str)}: "
          f"{'all equal' if record['all_equal'] else 'NOT all equal'}")


if __name__ == "__main__":
    main()
