"""Benchmark of `make book` (not run by the tests; about five minutes on 2 cores).

    python benchmarks/book.py            # cold build, then a cached rebuild
    python benchmarks/book.py --keep     # keep the benchmark's _build instead of restoring the old one

* cold: from an empty `_build` (no jupyter-cache, no Sphinx environment) and an empty course cache
  (the trained model and the validation curves, `_build/cache` or $COURSE_CACHE): the old ones are
  moved aside first and put back at the end;
* cached rebuild: the same command again with nothing changed.

Both builds are `python tools/build_book.py`, timed from outside (wall clock), with the per-language
times the script reports and the execution time of each notebook from the build logs. Writes
benchmarks/results/book.json and prints a markdown table with the ratio to the goals of issue #11
(cold ≤ 300 s, cached ≤ 15 s). Other jobs on the machine slow a build down: the load average
before and after is recorded with the figures.
"""

import argparse
import json
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None

ROOT = Path(__file__).resolve().parents[1]
BUILD = ROOT / "_build"
RESULTS = ROOT / "benchmarks" / "results" / "book.json"
GOALS = {"cold": 300.0, "cached": 15.0}
LANGS = ("en", "zh")


def load():
    """The 1-, 5- and 15-minute load averages (what `uptime` shows)."""
    try:
        return [round(value, 2) for value in os.getloadavg()]
    except OSError:
        return None


def course_cache():
    return Path(os.environ.get("COURSE_CACHE", BUILD / "cache"))


def build_once():
    """Run the build; (wall seconds, {lang: reported seconds}, {lang: notebooks executed}, output)."""
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")  # as `make book`
    start = time.perf_counter()
    # its own process group: when the benchmark is stopped, the builds and their kernels stop too
    # (before the old _build is put back)
    process = subprocess.Popen([sys.executable, str(ROOT / "tools" / "build_book.py")], cwd=ROOT,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                               start_new_session=True)
    try:
        stdout, stderr = process.communicate()
    except BaseException:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait()
        raise
    wall = time.perf_counter() - start
    output = stdout + stderr
    if process.returncode != 0:
        sys.exit(f"the build failed (exit {process.returncode}):\n{output[-3000:]}")
    reported = re.findall(r"book \((en|zh)\): built in ([\d.]+) s, (\d+) notebooks executed", output)
    return (wall, {lang: float(s) for lang, s, _ in reported}, {lang: int(n) for lang, _, n in reported},
            output)


def notebook_seconds(lang):
    """{page: seconds} for the notebooks this build executed, read from its log."""
    log = BUILD / "logs" / f"{lang}.log"
    if not log.is_file():
        return {}
    seconds, page = {}, None
    for line in log.read_text(encoding="utf-8").splitlines():
        reading = re.search(r"reading sources\.\.\. \[\s*\d+%\] (\S+)", line)
        if reading:
            page = reading[1]
        executed = re.search(r"Executed notebook in ([\d.]+) seconds", line)
        if executed and page:
            seconds[page] = round(float(executed[1]), 1)
    return seconds


class Aside:
    """Move _build (and an outside course cache) aside, and put them back afterwards.

    Waits for a running `make book` first (the build's own lock), so as not to pull its folder
    away from under it."""

    def __init__(self, keep=False):
        self.keep = keep
        self.moved = []

    def __enter__(self):
        stamp = time.strftime("%Y%m%d-%H%M%S")
        for path in (BUILD, course_cache()):
            if path.exists() and not any(path.is_relative_to(moved) for moved, _ in self.moved):
                # outside the book's folder: Sphinx would find the notebooks of an old build in a
                # sibling folder and execute them (only _build itself is excluded)
                aside = ROOT.parent / f".{ROOT.name}{path.name}.before-benchmark-{stamp}"
                with _build_lock():
                    try:
                        path.rename(aside)
                    except OSError:  # the parent folder is not writable or on another disk
                        aside = Path(tempfile.mkdtemp()) / path.name
                        shutil.move(path, aside)
                self.moved.append((path, aside))
                print(f"moved {path} aside to {aside}")
        return self

    def __exit__(self, *exc):
        if self.keep:
            for path, aside in self.moved:
                print(f"kept the benchmark's build; the old one is in {aside}")
            return
        for path, aside in reversed(self.moved):
            with _build_lock():
                shutil.rmtree(path, ignore_errors=True)
                shutil.move(aside, path)
            print(f"restored {path}")


class _build_lock:
    def __enter__(self):
        BUILD.mkdir(exist_ok=True)
        self.file = open(BUILD / ".book.lock", "w")
        if fcntl:
            fcntl.flock(self.file, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc):
        self.file.close()


def markdown(results):
    cold, cached = results["cold"], results["cached"]
    lines = ["| build (2 cores) | time | goal | ratio to goal |", "|---|---|---|---|"]
    for name, label in (("cold", "cold, empty `_build` and course cache"),
                        ("cached", "cached rebuild, nothing changed")):
        run = results[name]
        langs = ", ".join(f"{lang} {run['languages_s'].get(lang, '?')} s" for lang in LANGS)
        lines.append(f"| {label} ({langs}) | {run['wall_s']} s | ≤ {GOALS[name]:.0f} s | "
                     f"**{run['ratio_to_goal']}** |")
    lines.append(f"\nload average (1, 5, 15 min) before: {results['load_before']}, after: "
                 f"{results['load_after']}; notebooks executed cold: {cold['executed']}, cached: "
                 f"{cached['executed']}")
    slowest = sorted(((s, f"{lang}: {page}") for lang in LANGS
                      for page, s in cold["notebook_s"].get(lang, {}).items()), reverse=True)[:6]
    if slowest:
        lines.append("slowest notebooks (cold): " + ", ".join(f"{name} {s} s" for s, name in slowest))
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", action="store_true", help="keep the benchmark's build")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    # stopped with kill: leave through the `with` below, so the old build is put back
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("benchmark stopped"))
    results = {"machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
               "date": time.strftime("%Y-%m-%d %H:%M"), "goals_s": GOALS, "load_before": load()}
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                            text=True).stdout.strip()
    results["commit"] = commit
    with Aside(keep=args.keep):
        for name in ("cold", "cached"):
            print(f"{name} build ...", flush=True)
            wall, languages, executed, _ = build_once()
            results[name] = {"wall_s": round(wall, 1), "languages_s": languages, "executed": executed,
                             "notebook_s": {lang: notebook_seconds(lang) for lang in LANGS},
                             "ratio_to_goal": round(wall / GOALS[name], 2)}
            print(f"{name}: {wall:.1f} s", flush=True)
    results["load_after"] = load()
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(markdown(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
