"""Does the kernel's box slow the student's code? (not run by the tests; about 8 minutes on 2 cores)

    python benchmarks/kernel_box.py [--pairs 3] [--epochs 10]

Each measure is alternated, pair by pair, on the same machine, both sides at one thread:

* start: a boxed kernel (autograder/box, with the grader's preamble) from its launch to its first
  answer, against ``import tensorflow, keras`` and the same seeding in a plain process;
* training: the lesson's ``model.fit`` (the tutorial's call, progress bar included) timed inside a
  boxed kernel and inside a plain script, wall and CPU seconds of the process;
* progress: what one write and flush of the standard output costs in the kernel (ipykernel sends
  it through its I/O thread and waits), against the same work without it: Keras redraws its
  progress bar 20 times a second.

Writes benchmarks/results/kernel_box.json and prints a markdown table.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path

from jupyter_core.utils import run_sync

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from autograder.box import ahead  # noqa: E402
from autograder.grading.sandbox import Limits  # noqa: E402
from autograder.seeding import kernel_preamble  # noqa: E402
from course.threads import thread_env  # noqa: E402
from grading import env  # noqa: E402  (benchmarks/grading.py: this environment, TensorFlow at N threads)

ASSIGNMENT = "fashion_mnist_en"
RESULTS = ROOT / "benchmarks" / "results" / "kernel_box.json"
IMPORT = "import tensorflow, keras\nkeras.utils.set_random_seed(1)\n"
TRAINING = """import time as _t
import fashion_mnist_student
from tensorflow import keras
(_x, _y), _ = fashion_mnist_student.load_data()   # the box has the data set, not the network
_x = _x / 255.0
_m = keras.Sequential([keras.Input(shape=(28, 28)), keras.layers.Flatten(),
                       keras.layers.Dense(128, activation='relu'), keras.layers.Dense(10)])
_m.compile(optimizer='adam', loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=['accuracy'])
_w, _c = _t.perf_counter(), _t.process_time()
_m.fit(_x, _y, epochs={epochs})
print('\\nFIT %.3f %.3f' % (_t.perf_counter() - _w, _t.process_time() - _c))
"""
FLUSH = """import json, sys, time
import numpy as np
_a = np.random.default_rng(0).random((200, 200))
_res = []
for _k in range(3):
    for _flush in (True, False):
        _w = time.perf_counter()
        for _i in range(300):
            if _flush:
                sys.stdout.write("\\b" * 80 + "\\r step %d" % _i)
                sys.stdout.flush()
            _a @ _a
        _res.append((_flush, (time.perf_counter() - _w) / 300 * 1000))
print('\\nFLUSH', json.dumps([[round(w, 3) for f, w in _res if f], [round(w, 3) for f, w in _res if not f]]))
"""


class Boxed:
    """A kernel in the grader's box, started now with the grader's preamble; ``run`` executes
    code in it and returns what it printed; ``close`` ends it."""

    def __init__(self):
        start = time.perf_counter()
        self.started = ahead.start(ASSIGNMENT, Limits(), kernel_preamble(ASSIGNMENT), "benchmark")
        self.client = self.started.km.client()
        self.client.start_channels()
        run_sync(self.client.wait_for_ready)(timeout=120)
        self.ready_s = time.perf_counter() - start

    def run(self, code, timeout=900):
        printed = []

        def keep(message):
            if message["msg_type"] == "stream":
                printed.append(message["content"]["text"])
        reply = run_sync(self.client.execute_interactive)(code, timeout=timeout, output_hook=keep)
        if reply["content"]["status"] != "ok":
            raise RuntimeError(f"the kernel failed: {reply['content']}")
        return "".join(printed)

    def close(self):
        self.client.stop_channels()
        ahead.discard()


def _line(text, tag):
    return [line.split()[1:] for line in text.splitlines() if line.startswith(tag)][-1]


def start_pairs(pairs):
    boxed, plain = [], []
    for _ in range(pairs):
        with closing(Boxed()) as kernel:
            boxed.append(kernel.ready_s)
        begin = time.perf_counter()
        subprocess.run([sys.executable, "-c", IMPORT], env=env(1), check=True, capture_output=True)
        plain.append(time.perf_counter() - begin)
    return {"boxed_kernel_ready_s": boxed, "plain_import_s": plain}


def training_pairs(pairs, epochs):
    code = TRAINING.format(epochs=epochs)
    boxed, script = [], []
    for _ in range(pairs):
        with closing(Boxed()) as kernel:
            boxed.append([float(x) for x in _line(kernel.run(code), "FIT")])
        done = subprocess.run([sys.executable, "-c", code], env=env(1), check=True,
                              capture_output=True, text=True)
        script.append([float(x) for x in _line(done.stdout, "FIT")])
    return {"epochs": epochs, "boxed_kernel_fit_wall_cpu_s": boxed, "script_fit_wall_cpu_s": script,
            "paired_wall_ratio": statistics.median(b[0] / s[0] for b, s in zip(boxed, script))}


def flush_cost():
    with closing(Boxed()) as kernel:
        text = kernel.run(FLUSH)
    flushed, plain = json.loads(text.rsplit("FLUSH", 1)[1])
    extra = statistics.median(f - p for f, p in zip(flushed, plain))
    return {"ms_per_step_with_flush": flushed, "ms_per_step_without": plain,
            "extra_ms_per_flush": round(extra, 3), "share_at_20_per_s": round(extra * 20 / 1000, 4)}


def markdown(results):
    start, train, flush = results["start"], results["training"], results["progress"]
    r = lambda values: ", ".join(f"{v:.2f}" for v in values)  # noqa: E731
    return "\n".join([
        "| measure | boxed kernel | plain process |", "|---|---|---|",
        f"| start to first answer / `import tensorflow, keras` (s) | {r(start['boxed_kernel_ready_s'])} | "
        f"{r(start['plain_import_s'])} |",
        f"| `model.fit`, {train['epochs']} epochs, wall (s) | {r(b[0] for b in train['boxed_kernel_fit_wall_cpu_s'])} | "
        f"{r(s[0] for s in train['script_fit_wall_cpu_s'])} |",
        f"| `model.fit`, CPU of the process (s) | {r(b[1] for b in train['boxed_kernel_fit_wall_cpu_s'])} | "
        f"{r(s[1] for s in train['script_fit_wall_cpu_s'])} |",
        f"| one write and flush of stdout (ms) | {flush['extra_ms_per_flush']} | |",
        f"| paired wall ratio of the fits (boxed / script) | {train['paired_wall_ratio']:.3f} | |"])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=10)
    args = parser.parse_args(argv)
    os.environ.update(thread_env(1, cores=1, most=1))   # the boxed kernels' pools, as the grader's
    results = {"load_before": os.getloadavg(), "start": start_pairs(args.pairs), "progress": flush_cost(),
               "training": training_pairs(args.pairs, args.epochs)}
    results["load_after"] = os.getloadavg()
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(markdown(results))


if __name__ == "__main__":
    main()
