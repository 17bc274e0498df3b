"""Fairness benchmark of the accuracy part (not run by the tests; about an hour on 2 idle cores).

    nice -n 10 python benchmarks/fairness.py [--correct-seeds 20] [--weak-seeds 10] [--epochs 10]

Trains the reference solution, other correct variants students really write and weak variants,
each over several seeds, the way the grader trains a submission: one TensorFlow/BLAS thread per
run (course/threads.py), two runs at once, the same data (course.load_data), the seed applied with
``keras.utils.set_random_seed`` and op determinism as the grader's preamble sets them
(autograder/seeding.py: off). Accuracy is taken the way the grader takes it: the NumPy forward
pass ``course.reference.accuracy_of_weights`` on the trained weights.

Before the main runs, a determinism check trains the reference twice per seed with op determinism
on and twice with it off, each in a fresh process (a fresh kernel, as in grading): is a regrade
identical, and what does determinism cost?

Writes benchmarks/results/fairness.json after every finished run (so an interrupted benchmark
continues where it stopped: finished runs are never trained again, and partial results are
usable; runs come in tiers: a few seeds of every variant first) and benchmarks/results/fairness.md
(the table); prints wall and CPU seconds. ``python -m autograder.calibrate`` reads the JSON.
"""

import argparse
import json
import multiprocessing
import os
import platform
import resource
import signal
import statistics
import sys
import time
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from autograder.seeding import OP_DETERMINISM  # noqa: E402
from course.threads import thread_env  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results" / "fairness.json"
TABLE = ROOT / "benchmarks" / "results" / "fairness.md"
AT_ONCE = 2  # the grader's two workers on two cores
VERSION = 1  # bump when a variant's definition changes: the cached runs of other versions are dropped


# --- the variants: written the way students write the notebook's functions ---------------------

def scale(images):
    return images / 255.0  # the reference: float64 in, Keras casts to float32


def scale_float32(images):
    return images.astype("float32") / 255.0


def no_scaling(images):
    return images  # the lesson's most common mistake (chapter 12): raw 0..255 pixels


def build(units=128):
    from tensorflow import keras
    return keras.Sequential([keras.Input(shape=(28, 28)), keras.layers.Flatten(),
                             keras.layers.Dense(units, activation="relu"), keras.layers.Dense(10)])


def build_tf_keras(units=128):
    import tensorflow as tf
    return tf.keras.models.Sequential([tf.keras.layers.Input(shape=(28, 28)), tf.keras.layers.Flatten(),
                                       tf.keras.layers.Dense(units, activation=tf.nn.relu),
                                       tf.keras.layers.Dense(10)])


def compile_logits(model):
    from tensorflow import keras
    model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    return model


def compile_tf_keras(model):
    import tensorflow as tf
    model.compile(optimizer=tf.keras.optimizers.Adam(),
                  loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=[tf.keras.metrics.SparseCategoricalAccuracy()])
    return model


def compile_probabilities(model):
    # from_logits left at False on a linear output: chapter 12's softmax/logits mix-up
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


@dataclass(frozen=True)
class Variant:
    name: str
    correct: bool
    what: str
    preprocess: object = scale
    build: object = build
    compile: object = compile_logits
    units: int = 128
    epochs: int | None = None  # None: the lesson's 10 (or --epochs)
    fit: dict = field(default_factory=dict)
    most_seeds: int | None = None  # fewer seeds than the others of its kind (see VARIANTS)

    @property
    def caught_by_shape(self):
        """The grader refuses this model before measuring it (its weights have other shapes)."""
        return self.units != 128


VARIANTS = [
    Variant("reference", True, "the reference solution (course/reference.py)"),
    Variant("validation_split", True, "fit(..., validation_split=0.2): trains on 48,000 images",
            fit={"validation_split": 0.2}),
    Variant("batch_64", True, "fit(..., batch_size=64)", fit={"batch_size": 64}),
    Variant("no_shuffle", True, "fit(..., shuffle=False)", fit={"shuffle": False}),
    Variant("tf_keras_float32", True,
            "tf.keras names throughout, Adam() object, SparseCategoricalAccuracy metric, "
            "float32 inputs (images.astype('float32') / 255.0)",
            preprocess=scale_float32, build=build_tf_keras, compile=compile_tf_keras,
            # tried first with 2 seeds at 1 epoch: the very same accuracy as the reference's (Keras
            # casts float64 inputs to float32; tf.keras is keras): two seeds show it, more would
            # only repeat the reference's runs
            most_seeds=2),
    Variant("one_epoch", False, "too few epochs: the model trained for 1 epoch", epochs=1),
    Variant("no_scaling", False, "no scaling: trained on raw 0..255 pixels", preprocess=no_scaling),
    Variant("from_logits_false", False,
            "wrong loss: 'sparse_categorical_crossentropy' (from_logits=False) on the linear output",
            compile=compile_probabilities),
    # refused by the grader's shape check before its accuracy is taken; its seeds show whether the
    # threshold alone would fail it too
    Variant("tiny_layer", False, "a tiny layer: Dense(10, relu) instead of Dense(128, relu)", units=10),
]
BY_NAME = {variant.name: variant for variant in VARIANTS}


# --- one run, in a worker process (one thread, set by the environment before TensorFlow loads) --

_DATA = None


def _data():
    global _DATA
    if _DATA is None:
        from course import load_data
        _DATA = load_data()[0]
    return _DATA


def train(name, seed, epochs, determinism=True, threads=None):
    """Train variant ``name`` with ``seed`` as the grader's preamble seeds it; the accuracy the
    grader would measure, and the seconds (wall and CPU) the training took. ``threads``: another
    thread count than the grader's (only in a fresh process: TensorFlow reads it when it loads)."""
    if threads:
        os.environ.update(thread_env(1, cores=threads, most=threads))
    import course  # noqa: F401  (TensorFlow's C++ log level)
    import keras
    import tensorflow as tf

    from course import reference
    variant = BY_NAME[name]
    images, labels = _data()
    keras.utils.set_random_seed(seed)
    if determinism:
        tf.config.experimental.enable_op_determinism()
    wall, cpu = time.perf_counter(), time.process_time()
    model = variant.compile(variant.build(variant.units))
    model.fit(variant.preprocess(images), labels, epochs=variant.epochs or epochs, verbose=0, **variant.fit)
    seconds, cpu_seconds = time.perf_counter() - wall, time.process_time() - cpu
    return {"variant": name, "seed": seed, "determinism": determinism,
            "accuracy": reference.accuracy_of_weights(model.get_weights()),
            "train_seconds": round(seconds, 2), "cpu_seconds": round(cpu_seconds, 2),
            "threads": os.environ.get("TF_NUM_INTRAOP_THREADS")}


def _key(run):
    threads = f"/threads{run['threads']}" if str(run.get("threads") or 1) != "1" else ""
    return f"{run['variant']}/{run['seed']}/{'det' if run['determinism'] else 'nodet'}/{run.get('repeat', 0)}{threads}"


# --- the plan, the pool, the cache ----------------------------------------------------------------

def _tier(variant, seed):
    """When a run comes, so that whatever has finished is a usable sample: first 5 seeds of each
    correct variant and 3 of each weak one, then 10 and 5, then the correct variants' other seeds
    (their lower tail sets the threshold), the weak ones' last (the cheap one-epoch variant at
    once: it costs a tenth of a run)."""
    if variant.epochs == 1:
        return 0
    if variant.correct:
        return 0 if seed < 5 else 1 if seed < 10 else 2
    return 0 if seed < 3 else 1 if seed < 5 else 3


def plan(correct_seeds, weak_seeds, check_seeds):
    """The determinism check first (fresh processes), then the main runs by tier, seed by seed
    across the variants within a tier."""
    check = [{"variant": "reference", "seed": seed, "determinism": det, "repeat": repeat}
             for seed in range(check_seeds) for det in (True, False) for repeat in (0, 1)]
    # the same seed with TensorFlow's pools at 2 threads (TensorFlow's default on this machine)
    check += [{"variant": "reference", "seed": 0, "determinism": OP_DETERMINISM, "repeat": 0, "threads": 2}]
    main = []
    for seed in range(max(correct_seeds, weak_seeds)):
        for variant in VARIANTS:
            if seed < min(correct_seeds if variant.correct else weak_seeds, variant.most_seeds or seed + 1):
                main.append((_tier(variant, seed), seed, len(main),
                             {"variant": variant.name, "seed": seed, "determinism": OP_DETERMINISM, "repeat": 0}))
    return check, [job for *_, job in sorted(main, key=lambda entry: entry[:3])]


def load(args):
    if RESULTS.exists():
        results = json.loads(RESULTS.read_text())
        if results.get("version") == VERSION and results.get("epochs") == args.epochs:
            return results
    return {"version": VERSION, "epochs": args.epochs, "runs": {}, "sessions": []}


def save(results):
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    partial = RESULTS.with_suffix(".partial")
    partial.write_text(json.dumps(results, indent=1) + "\n")
    partial.replace(RESULTS)


def run_all(jobs, results, fresh, epochs):
    """Run the jobs not cached yet, AT_ONCE at a time; ``fresh``: a new process for every run."""
    todo = [job for job in jobs if _key(job) not in results["runs"]]
    if not todo:
        return
    print(f"{len(todo)} runs to do ({len(jobs) - len(todo)} cached)", flush=True)
    with ProcessPoolExecutor(AT_ONCE, mp_context=multiprocessing.get_context("spawn"),
                             max_tasks_per_child=1 if fresh else None) as pool:
        pending = {pool.submit(train, job["variant"], job["seed"], epochs, job["determinism"],
                               job.get("threads")): job for job in todo}
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                job = pending.pop(future)
                run = {**future.result(), "repeat": job["repeat"], "finished": time.strftime("%H:%M:%S")}
                results["runs"][_key(run)] = run
                save(results)
                left = len(pending)
                print(f"{run['variant']:>18} seed {run['seed']:>2} det={run['determinism']!s:5} "
                      f"accuracy {run['accuracy']:.4f} ({run['train_seconds']:.0f} s); {left} left", flush=True)


# --- summaries ------------------------------------------------------------------------------------

def thresholds():
    """The calibrated threshold, and the one it replaced (when calibrate recorded it)."""
    from autograder.paths import CALIBRATION
    data = json.loads(CALIBRATION.read_text())
    previous, current = data.get("previous_threshold"), data["threshold"]
    return [previous, current] if previous not in (None, current) else [current]


def summary(results, threshold):
    rows = []
    for variant in VARIANTS:
        runs = [r for r in results["runs"].values() if r["variant"] == variant.name
                and r["determinism"] == OP_DETERMINISM and r.get("repeat", 0) == 0 and str(r.get("threads")) == "1"]
        if not runs:
            continue
        accuracies = sorted(r["accuracy"] for r in runs)
        below = sum(a < threshold for a in accuracies)
        rows.append({"variant": variant.name, "correct": variant.correct, "what": variant.what,
                     "caught_by_shape": variant.caught_by_shape, "runs": len(accuracies),
                     "min": min(accuracies), "median": statistics.median(accuracies), "max": max(accuracies),
                     "mean": statistics.fmean(accuracies),
                     "stdev": statistics.stdev(accuracies) if len(accuracies) > 1 else 0.0,
                     "below_threshold": below, "train_seconds_median":
                         statistics.median(r["train_seconds"] for r in runs)})
    return rows


def determinism_summary(results):
    by_seed = {}
    for run in results["runs"].values():
        if run["variant"] == "reference" and str(run.get("threads")) == "1":
            by_seed.setdefault((run["seed"], run["determinism"]), []).append(run)
    rows = []
    for (seed, det), repeats in sorted(by_seed.items()):
        if len(repeats) < 2:
            continue  # only the main run of this seed: not part of the check
        rows.append({"seed": seed, "determinism": det, "accuracies": [r["accuracy"] for r in repeats],
                     "identical": len({r["accuracy"] for r in repeats}) == 1,
                     "train_seconds": [r["train_seconds"] for r in repeats],
                     "cpu_seconds": [r["cpu_seconds"] for r in repeats]})
    return rows


def markdown(results, limits):
    head = " | ".join(f"below {t:.3f}" for t in limits)
    lines = [f"{results.get('machine', '')}; one TensorFlow thread per run, {AT_ONCE} runs at once; accuracy "
             "by the grader's forward pass on the 10,000 test images"
             + (f" (threshold {limits[0]:.3f} before the calibration, {limits[-1]:.3f} after)." if len(limits) > 1
                else f" (threshold {limits[0]:.3f})."), "",
             f"| variant | correct? | runs | min | median | max | {head} |",
             "|---|---|---|---|---|---|" + "---|" * len(limits)]
    rows = {t: {row["variant"]: row for row in summary(results, t)} for t in limits}
    for row in summary(results, limits[-1]):
        kind = "correct" if row["correct"] else ("weak (refused by the shape check)"
                                                  if row["caught_by_shape"] else "weak")
        below = " | ".join(f"{rows[t][row['variant']]['below_threshold']}/{row['runs']}" for t in limits)
        lines.append(f"| `{row['variant']}`: {row['what']} | {kind} | {row['runs']} | {row['min']:.4f} | "
                     f"{row['median']:.4f} | {row['max']:.4f} | {below} |")
    checks = determinism_summary(results)
    if checks:
        lines += ["", "| determinism check (reference, fresh process each) | accuracies | identical | "
                  "training: CPU seconds (wall) |", "|---|---|---|---|"]
        for row in checks:
            lines.append(f"| seed {row['seed']}, op determinism {'on' if row['determinism'] else 'off'} | "
                         f"{', '.join(f'{a:.4f}' for a in row['accuracies'])} | "
                         f"{'yes' if row['identical'] else 'no'} | "
                         f"{', '.join(f'{c:.1f} ({w:.0f})' for c, w in zip(row['cpu_seconds'], row['train_seconds']))} |")
    for run in results["runs"].values():
        one = results["runs"].get(_key({**run, "threads": "1", "repeat": 0}))
        if str(run.get("threads")) != "1" and one:
            lines.append(f"| seed {run['seed']}, op determinism {'on' if run['determinism'] else 'off'}, "
                         f"{run['threads']} threads (1 thread: "
                         f"{one['accuracy']:.4f}) | {run['accuracy']:.4f} | "
                         f"{'yes' if one['accuracy'] == run['accuracy'] else 'no'} | "
                         f"{run['cpu_seconds']:.1f} ({run['train_seconds']:.0f}) |")
    return "\n".join(lines)


def _stop(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv=None):
    signal.signal(signal.SIGTERM, _stop)  # a kill still records the session's figures
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--correct-seeds", type=int, default=20)
    parser.add_argument("--weak-seeds", type=int, default=10)
    parser.add_argument("--check-seeds", type=int, default=1, help="seeds of the determinism check")
    parser.add_argument("--epochs", type=int, default=10, help="the lesson's 10; fewer only to try the script")
    parser.add_argument("--table-only", action="store_true", help="rewrite the table from the JSON, train nothing")
    args = parser.parse_args(argv)
    os.environ.update(thread_env(AT_ONCE), TF_CPP_MIN_LOG_LEVEL="2")  # inherited by the workers
    results = load(args)
    results["machine"] = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    results["plan"] = {"correct_seeds": args.correct_seeds, "weak_seeds": args.weak_seeds,
                       "check_seeds": args.check_seeds, "at_once": AT_ONCE,
                       "threads_per_run": thread_env(AT_ONCE)["TF_NUM_INTRAOP_THREADS"]}
    results["variants"] = [{"name": v.name, "correct": v.correct, "what": v.what,
                            "caught_by_shape": v.caught_by_shape} for v in VARIANTS]
    limits = thresholds()
    if not args.table_only:
        wall, load_before = time.perf_counter(), os.getloadavg()
        check, main_runs = plan(args.correct_seeds, args.weak_seeds, args.check_seeds)
        session = {"started": time.strftime("%Y-%m-%d %H:%M:%S"), "load_before": load_before}
        results["sessions"].append(session)
        try:
            run_all(check, results, fresh=True, epochs=args.epochs)
            run_all(main_runs, results, fresh=False, epochs=args.epochs)
        finally:
            children = resource.getrusage(resource.RUSAGE_CHILDREN)
            session.update(wall_seconds=round(time.perf_counter() - wall, 1),
                           cpu_seconds=round(children.ru_utime + children.ru_stime, 1),
                           load_after=os.getloadavg(),
                           complete=all(_key(j) in results["runs"] for j in check + main_runs))
            save(results)
            print(f"took {session['wall_seconds']:.0f} s wall, {session['cpu_seconds']:.0f} s CPU "
                  f"(load {load_before[0]:.1f} before, {session['load_after'][0]:.1f} after)", flush=True)
    results["summary"] = summary(results, limits[-1])
    results["determinism"] = determinism_summary(results)
    if args.table_only:  # the JSON is the running benchmark's: leave it alone
        TABLE.write_text(markdown(results, limits) + "\n")
    else:
        save(results)
        TABLE.write_text(markdown(results, limits) + "\n")
    print(markdown(results, limits))


if __name__ == "__main__":
    main()
