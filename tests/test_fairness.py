"""The fairness of the accuracy part: the training seed (autograder/seeding.py), the borderline
re-check's logic (autograder/recheck.py) and the threshold's calibration from the benchmark
(autograder/calibrate.py). Unit layer: no training here (tests/test_fairness_slow.py trains)."""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from autograder import calibrate, recheck, seeding
from autograder.messages import say

ROOT = Path(__file__).resolve().parents[1]


# --- the seed ----------------------------------------------------------------------------------

def test_seed_comes_from_the_assignment_only_and_is_stable():
    assert seeding.training_seed("fashion_mnist_en") == seeding.training_seed("fashion_mnist_en")
    assert seeding.training_seed("fashion_mnist_en") != seeding.training_seed("fashion_mnist_zh")
    # pinned: a changed salt or derivation re-seeds every grade near the threshold
    assert seeding.training_seed("fashion_mnist_en") == 507117797
    assert all(0 <= seeding.training_seed(f"a{i}") < 2**31 for i in range(50))


def test_preamble_threads_are_the_boxes_and_seeding_imports_no_course_code():
    from course.threads import MOST_THREADS
    assert seeding.MOST_THREADS == MOST_THREADS
    out = subprocess.run([sys.executable, "-c", "import sys, autograder.seeding, autograder.recheck; "
                          "print(sorted(m for m in sys.modules if m == 'course' or m.startswith('course.')))"],
                         capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == "[]"  # the box hides course/: GradingExecute imports these there


def test_seed_source_is_rejected_out_of_range():
    with pytest.raises(ValueError):
        seeding.seed_source(-1)
    with pytest.raises(ValueError):
        seeding.seed_source(2**32)


def test_preamble_seeds_like_set_random_seed_and_pins_the_threads():
    """Run in a fresh interpreter with TensorFlow's default pools: the preamble, then draws from
    NumPy, random and TensorFlow; the same draws after keras.utils.set_random_seed(seed) directly;
    and after another seed."""
    seed = seeding.training_seed("fashion_mnist_en")
    draws = ("import random, numpy, tensorflow\n"
             "print(random.random(), numpy.random.rand(), float(tensorflow.random.uniform(())), "
             "tensorflow.config.threading.get_intra_op_parallelism_threads(), "
             "tensorflow.config.threading.get_inter_op_parallelism_threads(), "
             "sorted(n for n in dir() if n.startswith('_autograder')))\n")
    # a kernel started ahead (autograder/box/ahead.py) runs the preamble as it starts and again
    # before the first cell: the draws after that are the same as after one preamble
    script = (seeding.kernel_preamble("fashion_mnist_en") + draws
              + f"import keras\nkeras.utils.set_random_seed({seed})\n" + draws
              + "keras.utils.set_random_seed(12345)\n" + draws
              + seeding.kernel_preamble("fashion_mnist_en") + seeding.kernel_preamble("fashion_mnist_en") + draws)
    out = subprocess.run([sys.executable, "-c", "import course\n" + script], capture_output=True, text=True,
                         env={"TF_CPP_MIN_LOG_LEVEL": "3", "PATH": "/usr/bin:/bin"}, cwd=ROOT, check=True)
    seeded, direct, other, twice = out.stdout.strip().splitlines()
    assert seeded == direct == twice
    assert seeded.split()[:3] != other.split()[:3]  # a wrong seed would show (planted: 12345)
    assert seeded.endswith(" 1 1 []")  # one thread each pool, as the class command's boxes; no name left
    assert seeding.OP_DETERMINISM is False and "determinism" not in seeding.kernel_preamble("x")
    assert "enable_op_determinism()" in seeding.seed_source(1, determinism=True)


# --- the band and the decision -------------------------------------------------------------------

BAND = recheck.Band(threshold=0.850, width=0.010)


def test_band_holds_only_the_near_misses():
    assert BAND.contains(0.845) and BAND.contains(0.840) and BAND.contains(0.8499)
    assert not BAND.contains(0.850) and not BAND.contains(0.8399) and not BAND.contains(None)


def test_decision_uses_the_further_seeds_mean():
    assert recheck.decide(0.846, [0.853, 0.852], 0.85, seeds=[1, 2]).passed
    assert not recheck.decide(0.846, [0.853, 0.845], 0.85, seeds=[1, 2]).passed  # mean 0.849
    assert not recheck.decide(0.846, [0.86], 0.85, seeds=[1, 2]).passed  # one further run missing
    assert not recheck.decide(0.846, [0.86, 0.86], 0.85, seeds=[1, 2], error="Boom").passed


def test_further_seeds_come_from_the_assignment_and_differ_from_the_first():
    seeds = recheck.recheck_seeds("fashion_mnist_en")
    assert len(seeds) == recheck.FURTHER_SEEDS == len(set(seeds))
    assert seeding.training_seed("fashion_mnist_en") not in seeds
    assert seeds == recheck.recheck_seeds("fashion_mnist_en") != recheck.recheck_seeds("fashion_mnist_zh")


def _fake_kernel(accuracy_by_seed, calls):
    """run_in_kernel and measure stand-ins: the kernel 'writes' the accuracy its seed gives."""
    def run_in_kernel(source):
        seed = int(re.search(r"set_random_seed\((\d+)\)", source).group(1))
        path = re.search(r"os\.replace\([^,]+, '([^']+)'\)", source).group(1)
        calls.append(seed)
        if accuracy_by_seed.get(seed) == "crash":
            raise RuntimeError("ZeroDivisionError: division by zero")
        Path(path).write_text(str(accuracy_by_seed[seed]))

    def measure(path):
        return float(Path(path).read_text())
    return run_in_kernel, measure


def _recheck(first, accuracy_by_seed, folder, calls=None):
    calls = [] if calls is None else calls
    run_in_kernel, measure = _fake_kernel(accuracy_by_seed, calls)
    recheck.train_again(first, BAND, "fashion_mnist_en", folder, run_in_kernel)
    return recheck.judge(first, BAND, "fashion_mnist_en", folder, measure)


def test_a_near_miss_is_trained_again_and_correct_work_passes(tmp_path):
    a, b = recheck.recheck_seeds("fashion_mnist_en")
    calls = []
    result = _recheck(0.846, {a: 0.856, b: 0.852}, tmp_path, calls)
    assert calls == [a, b] and result.passed and result.accuracies == [0.856, 0.852]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["recheck.json", "recheck_1.npz", "recheck_2.npz"]
    assert recheck.describe(result) == ("A near miss, so the grader trained your model again: 0.846 on the first "
                                        "seed, 0.856 and 0.852 on 2 more (mean 0.854): passed, the threshold is 0.850.")
    assert "第一个种子上为 0.846，另外 2 个种子上为 0.856 和 0.852（平均 0.854）：通过" in recheck.describe(result, "zh")


def test_a_weak_near_miss_fails_and_nothing_outside_the_band_is_trained(tmp_path):
    a, b = recheck.recheck_seeds("fashion_mnist_en")
    calls = []
    weak = _recheck(0.842, {a: 0.838, b: 0.851}, tmp_path / "weak", calls)
    assert not weak.passed and "not passed, at least 0.850" in recheck.describe(weak)
    assert "未通过" in recheck.describe(weak, "zh")
    for outside in (0.80, 0.8399, 0.85, 0.90):  # far below or above: no re-training at all
        assert _recheck(outside, {}, tmp_path / str(outside), calls) is None
        assert not (tmp_path / str(outside)).exists()
    assert calls == [a, b]


def test_a_crashing_recheck_keeps_the_first_verdict(tmp_path):
    a, b = recheck.recheck_seeds("fashion_mnist_en")
    result = _recheck(0.845, {a: 0.9, b: "crash"}, tmp_path)
    assert not result.passed and "ZeroDivisionError: division by zero" in recheck.describe(result)
    assert "the first figure counts" in recheck.describe(result)


def test_a_planted_record_or_missing_files_change_nothing(tmp_path):
    """A submission that writes recheck files itself: seeds that are not the assignment's are
    ignored; a record without its hand-overs is a failed re-check; no record, no re-check."""
    run_in_kernel, measure = _fake_kernel({}, [])
    assert recheck.judge(0.845, BAND, "fashion_mnist_en", tmp_path, measure) is None  # no record
    (tmp_path / recheck.RECORD).write_text(json.dumps({"seeds": [1, 2], "error": None}))
    for n in (1, 2):
        (tmp_path / recheck.further_file(n)).write_text("0.99")
    assert recheck.judge(0.845, BAND, "fashion_mnist_en", tmp_path, measure) is None  # not its seeds
    seeds = recheck.recheck_seeds("fashion_mnist_en")
    (tmp_path / recheck.RECORD).write_text(json.dumps({"seeds": seeds, "error": None}))
    (tmp_path / recheck.further_file(2)).unlink()
    result = recheck.judge(0.845, BAND, "fashion_mnist_en", tmp_path, measure)
    assert not result.passed and result.error


def test_first_accuracy_is_the_graders(tmp_path):
    """The first accuracy is the lesson's model measured on the test set (a forward pass without
    the ReLU gives another figure); a malformed or wrongly shaped file gives None."""
    import numpy as np

    from course import reference
    from course.data import load_test_data
    rng = np.random.default_rng(0)
    weights = [rng.normal(0, 0.1, shape).astype(np.float32) for shape in reference.WEIGHT_SHAPES]
    np.savez(tmp_path / "w.npz", **{f"w{i}": w for i, w in enumerate(weights)})
    measured = recheck.first_accuracy(tmp_path / "w.npz")
    images, labels = load_test_data()
    hidden = np.maximum((images / 255.0).reshape(len(images), -1) @ weights[0] + weights[1], 0)
    expected = float(np.mean(np.argmax(hidden @ weights[2] + weights[3], axis=1) == labels))
    assert abs(measured - expected) < 1e-3
    without_relu = (images / 255.0).reshape(len(images), -1) @ weights[0] + weights[1]
    assert abs(measured - float(np.mean(np.argmax(without_relu @ weights[2] + weights[3], axis=1) == labels))) > 1e-3
    np.savez(tmp_path / "bad.npz", w0=np.zeros((784, 10)))
    (tmp_path / "junk.npz").write_bytes(b"not a zip")
    assert recheck.first_accuracy(tmp_path / "bad.npz") is None
    assert recheck.first_accuracy(tmp_path / "junk.npz") is None
    assert recheck.first_accuracy(tmp_path / "missing.npz") is None


def test_kernel_code_runs_the_students_functions_and_hands_the_weights_over(tmp_path, monkeypatch):
    """The kernel code against stand-in student functions (no TensorFlow training): it loads the
    data as the set-up cell does, calls preprocess_images, build_model, compile_model and
    train_model(..., epochs=10), writes the weights to the named file and leaves no name behind."""
    import numpy as np
    monkeypatch.chdir(tmp_path)
    seen = {}

    class Model:
        def get_weights(self):
            return [np.ones((2, 3)), np.zeros(3)]

    def train_model(model, images, labels, epochs=10):
        seen.update(images=images.shape, labels=labels.shape, epochs=epochs, top=float(images.max()))
    namespace = {"preprocess_images": lambda images: images / 255.0, "build_model": Model,
                 "compile_model": lambda model: model, "train_model": train_model}
    exec(recheck.kernel_code(7, "out.npz", "en"), namespace)
    assert seen == {"images": (60000, 28, 28), "labels": (60000,), "epochs": 10, "top": 1.0}
    with np.load(tmp_path / "out.npz") as data:
        assert sorted(data.files) == ["w0", "w1"] and data["w0"].shape == (2, 3)
    assert not [name for name in namespace if name.startswith("_autograder")]
    namespace["train_model"] = lambda *a, **k: 1 / 0  # a student's code that fails: the error comes out
    with pytest.raises(ZeroDivisionError):
        exec(recheck.kernel_code(7, "again.npz", "en"), namespace)
    assert not (tmp_path / "again.npz").exists()


# --- calibration from a benchmark ------------------------------------------------------------------

def _benchmark(tmp_path, spread=0.004, weak_top=0.80, n=20):
    import numpy as np
    rng = np.random.default_rng(0)
    variants = [("reference", True, 0.875), ("batch_64", True, 0.870), ("one_epoch", False, weak_top - 0.01),
                ("tiny_layer", False, 0.86)]
    runs = {}
    for name, correct, mean in variants:
        for seed in range(n if correct else 10):
            accuracy = float(mean + spread * rng.standard_normal()) if name != "one_epoch" else weak_top - 0.001 * seed
            runs[f"{name}/{seed}/det/0"] = {"variant": name, "seed": seed, "determinism": seeding.OP_DETERMINISM, "repeat": 0,
                                            "threads": "1", "accuracy": accuracy}
    runs["same/0/det/0"] = {**runs["reference/0/det/0"], "variant": "same"}  # identical to the reference
    runs["same/1/det/0"] = {**runs["reference/1/det/0"], "variant": "same"}
    benchmark = {"runs": runs, "sessions": [{"complete": True, "wall_seconds": 10, "cpu_seconds": 20}],
                 "variants": [{"name": n, "correct": c, "caught_by_shape": n == "tiny_layer"} for n, c, _ in variants]
                 + [{"name": "same", "correct": True}]}
    path = tmp_path / "fairness.json"
    path.write_text(json.dumps(benchmark))
    return path


def test_tolerance_limit_and_its_inverse_agree():
    k = calibrate.tolerance_factor(20, 0.999, 0.95)
    assert 4.2 < k < 4.4  # tables of one-sided normal tolerance factors: n=20, 99.9 %, 95 %: 4.32
    assert calibrate.tail_upper_bound(0.875, 0.004, 20, 0.875 - k * 0.004, 0.95) == pytest.approx(0.001, rel=1e-6)
    assert calibrate.clopper_pearson_upper(0, 100, 0.95) == pytest.approx(1 - 0.05 ** (1 / 100))


def test_calibrate_chooses_the_highest_threshold_the_recheck_keeps_fair(tmp_path):
    result = calibrate.calibrate(_benchmark(tmp_path), previous=0.84)
    fits = {f["variant"]: f for f in result["variants"]}
    threshold, band = result["threshold"], result["borderline_band"]
    assert fits["same"]["same_as"] == "reference" and "same" not in result["two_stage"]
    assert not fits["tiny_layer"]["measurable"]  # refused by shape: not counted as a false pass
    assert result["pooled_spread"]["df"] == 38  # the two correct variants' spreads agree: pooled
    assert fits["reference"]["sd_used"] == fits["batch_64"]["sd_used"] == result["pooled_spread"]["sd"]
    assert 0 < band < 0.05 and result["weak_not_failed"] == []
    assert max(result["two_stage"][v] for v in ("reference", "batch_64")) <= 0.001
    # one step higher breaks the promise for the worst correct variant (batch_64, the lower one)
    rows = [calibrate.VariantFit(**{k: v for k, v in fits[v].items()}) for v in ("reference", "batch_64")]
    params = [calibrate.conservative(row, 0.95) for row in rows]
    floor = min(m - 3.719 * sd for m, sd in params)
    higher = threshold + 0.001
    assert max(calibrate.two_stage_fail(higher, higher - floor, m, sd) for m, sd in params) > 0.001
    rate = result["rates"][f"{threshold:.3f}"]["false_fail"]
    assert rate["wrong"] == 0 and rate["runs"] == 40
    assert set(result["rates"]) == {f"{threshold:.3f}", "0.840"}
    assert result["benchmark"]["complete"] and len(result["benchmark"]["sha256"]) == 64


def test_two_stage_rates():
    # far above: never fails; at the threshold: half fail the first seed, a quarter... of those pass
    assert calibrate.two_stage_fail(0.80, 0.02, 0.88, 0.003) < 1e-12
    at = calibrate.two_stage_fail(0.88, 0.02, 0.88, 0.003)
    assert at == pytest.approx(0.5 * 0.5, rel=1e-3)  # in the band half the time, then a coin again
    assert calibrate.two_stage_pass(0.88, 0.02, 0.88, 0.003) == pytest.approx(0.75, rel=1e-3)
    assert calibrate.two_stage_fail(0.88, 0.0, 0.88, 0.003) == pytest.approx(0.5)  # no band: one stage


def test_calibrate_says_when_a_weak_variant_is_not_failed(tmp_path):
    result = calibrate.calibrate(_benchmark(tmp_path, weak_top=0.87))  # planted: one_epoch up to 0.87
    assert result["weak_not_failed"] == ["one_epoch"]
    assert result["rates"][f"{result['threshold']:.3f}"]["false_pass"]["wrong"] > 0


def test_calibrate_refuses_a_benchmark_without_enough_reference_runs(tmp_path):
    with pytest.raises(SystemExit, match="too few runs"):
        calibrate.calibrate(_benchmark(tmp_path, n=2))


def test_spreads_that_differ_are_not_pooled(tmp_path):
    path = _benchmark(tmp_path)
    benchmark = json.loads(path.read_text())
    for key, run in benchmark["runs"].items():  # planted: batch_64 five times as spread out
        if run["variant"] == "batch_64":
            run["accuracy"] = 0.870 + 5 * (run["accuracy"] - 0.870)
    path.write_text(json.dumps(benchmark))
    result = calibrate.calibrate(path)
    assert result["pooled_spread"]["sd"] is None and result["pooled_spread"]["levene_p"] < 0.05
    fits = {f["variant"]: f for f in result["variants"]}
    assert fits["batch_64"]["sd_used"] == fits["batch_64"]["sd"] > 2 * fits["reference"]["sd_used"]


def test_calibration_records_its_benchmark():
    data = json.loads(calibrate.CALIBRATION.read_text())
    assert data["benchmark"]["file"] == "benchmarks/results/fairness.json"
    assert data["threshold"] == calibrate.calibrate(ROOT / data["benchmark"]["file"])["threshold"]
    assert 0 < data["borderline_band"] < 0.05


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_notebook_states_the_threshold_and_the_recheck(lang):
    """Part 5's test description, in both languages, gives the calibrated threshold and says that a
    near miss is re-checked (planted: a threshold the notebook does not state fails)."""
    import nbformat
    data = json.loads(calibrate.CALIBRATION.read_text())
    nb = nbformat.read(ROOT / "solutions" / f"fashion_mnist_{lang}" / "fashion_mnist.ipynb", as_version=4)
    text = next(c.source for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "part5_tests")
    assert f"{data['threshold']:.3f}" in text and f"{data['borderline_band']:.3f}" in text
    assert f"{data['threshold'] + 0.001:.3f}" not in text
    assert ("re-checked" if lang == "en" else "复核") in text
