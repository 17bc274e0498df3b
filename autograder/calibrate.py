"""Choose the accuracy threshold and the borderline band from the fairness benchmark.

    python benchmarks/fairness.py          # trains (about an hour on 2 cores; resumable)
    python -m autograder.calibrate [--benchmark benchmarks/results/fairness.json]
                                   [--false-fail 0.001] [--confidence 0.95] [--dry-run]

Writes autograder/calibration.json, which the accuracy verdict reads; it records the benchmark it
came from (file, SHA-256, runs, whether it was complete).

The rule. Accuracy over seeds of a correct variant is close to normal (its spread comes from many
small random effects: initial weights, batch order). For every correct variant the threshold is
at most its one-sided lower tolerance limit: the value that, with ``confidence`` (95 %), at most
``false_fail`` (1 in 1,000) of that variant's trainings fall below, x̄ − k·s, with k from the
non-central t distribution (it accounts for x̄ and s being estimates from n seeds). The threshold
is the smallest of these limits, rounded down to 0.001. A variant that trains to the very same
weights as the reference on every seed both ran (``same_as``) is not separate evidence.

Why not Clopper–Pearson alone: it needs no assumption, but with n runs and no failure its 95 %
upper bound is about 3/n (3 % at n = 100): a benchmark of this size cannot show 1 in 1,000 that
way. It is reported beside the normal-tail figures, as the assumption-free bound.

The weak variants must fail: every run of a weak variant whose weights the grader can measure must
be below the threshold (the exit code is 1 otherwise). The band below the threshold where a near
miss is re-checked (autograder/recheck.py) is twice the largest standard deviation of a correct
variant, rounded up to 0.001: a correct submission whose typical accuracy sits at the threshold
lands within it on about 98 % of unlucky seeds.
"""

import argparse
import hashlib
import json
import math
import statistics
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

from .recheck import FURTHER_SEEDS
from .seeding import OP_DETERMINISM
from .threshold import CALIBRATION, write_student_copy

from .paths import ROOT  # one place for paths
BENCHMARK = ROOT / "benchmarks" / "results" / "fairness.json"
STEP = 0.001
FLOOR_TAIL = 1e-4  # below the band, a correct run lands at most this often
MIN_RUNS = 5  # fewer runs of a correct variant say too little to set a threshold from (unless pooled)


@dataclass
class VariantFit:
    variant: str
    correct: bool
    runs: int
    mean: float
    sd: float
    minimum: float
    maximum: float
    measurable: bool = True   # False: refused by the shape check before any accuracy is taken
    same_as: str | None = None
    sd_used: float | None = None  # the pooled sd when the variants' spreads agree, else its own
    df: int | None = None         # degrees of freedom of sd_used
    k: float | None = None        # tolerance factor (correct variants)
    lower_limit: float | None = None
    shapiro_p: float | None = None  # Shapiro-Wilk's p: small would say "not normal"


@dataclass
class Rate:
    """Runs on the wrong side of a threshold: observed, Clopper–Pearson interval, normal tail."""
    wrong: int
    runs: int
    upper_cp: float            # Clopper–Pearson one-sided upper bound at the confidence
    normal_tail: float | None  # fitted normal tail (worst variant), point estimate
    normal_upper: float | None  # ... its upper confidence bound (non-central t)


def _round_down(x, step=STEP):
    return math.floor(x / step + 1e-9) * step


def _round_up(x, step=STEP):
    return math.ceil(x / step - 1e-9) * step


def tolerance_factor(n, coverage, confidence, df=None):
    """k with P(at most 1 - coverage of the population below x̄ - k·s) = confidence (normal; x̄
    from n runs, s with df degrees of freedom: n - 1 unless pooled)."""
    from scipy.stats import nct, norm
    df = n - 1 if df is None else df
    return float(nct.ppf(confidence, df, norm.ppf(coverage) * math.sqrt(n)) / math.sqrt(n))


def tail_upper_bound(mean, sd, n, threshold, confidence, below=True, df=None):
    """Upper confidence bound on the normal population's share below (or above) ``threshold``:
    the p whose tolerance limit x̄ ∓ k(p)·s lands on it."""
    from scipy.optimize import brentq
    from scipy.stats import nct, norm
    if sd == 0:
        return 0.0 if (mean >= threshold if below else mean < threshold) else 1.0
    k = (mean - threshold) / sd if below else (threshold - mean) / sd
    # k = nct.ppf(confidence, n-1, z_p·√n)/√n solved for p: nct.cdf(k·√n, n-1, δ) falls with δ,
    # the bound is the δ where it equals the confidence
    def f(delta):
        x = k * math.sqrt(n)
        value = float(nct.cdf(x, n - 1 if df is None else df, delta))
        if math.isnan(value):  # scipy gives up in the far tails: there the cdf is 0 or 1
            value = 1.0 if x > delta else 0.0
        return value - confidence
    low, high = -40.0, 40.0
    if f(low) < 0:
        return 1.0
    if f(high) > 0:
        return 0.0
    return float(norm.sf(brentq(f, low, high) / math.sqrt(n)))


def clopper_pearson_upper(wrong, runs, confidence):
    from scipy.stats import beta
    return 1.0 if wrong >= runs else float(beta.ppf(confidence, wrong + 1, runs - wrong))


def _main_runs(benchmark):
    """variant -> {seed: accuracy}, the runs trained as the grader trains (op determinism as its
    preamble sets it, one thread, the first repeat)."""
    by_variant = {}
    for run in benchmark["runs"].values():
        if (run["determinism"] == OP_DETERMINISM and run.get("repeat", 0) == 0
                and str(run.get("threads")) == "1"):
            by_variant.setdefault(run["variant"], {})[run["seed"]] = run["accuracy"]
    return by_variant


def pooled_spread(rows):
    """(pooled sd, its degrees of freedom, Levene's p) of the correct variants, or None when their
    spreads differ (Levene's test, p < 0.05) or there is a single one."""
    from scipy.stats import levene
    groups = [row for row in rows if row.correct and row.same_as is None and row.runs >= 3]
    if len(groups) < 2:
        return None
    p = float(levene(*[row.values for row in groups]).pvalue)
    df = sum(row.runs - 1 for row in groups)
    sd = math.sqrt(sum((row.runs - 1) * row.sd ** 2 for row in groups) / df)
    return (sd, df, p) if p >= 0.05 else (None, None, p)


def fit(benchmark, false_fail, confidence):
    """Per variant: the runs' figures; per independent correct variant: the tolerance limit. The
    spread is pooled over the correct variants when Levene's test finds no difference between
    their spreads (one seed's noise, whatever the variant): more degrees of freedom for s, so a
    tighter limit from the same runs; otherwise each variant's own s."""
    variants = {v["name"]: v for v in benchmark["variants"]}
    runs = _main_runs(benchmark)
    reference = runs.get("reference", {})
    fits = []
    for name, info in variants.items():
        seeds = runs.get(name, {})
        if len(seeds) < 2:
            continue
        values = list(seeds.values())
        row = VariantFit(name, info["correct"], len(values), statistics.fmean(values), statistics.stdev(values),
                         min(values), max(values), measurable=not info.get("caught_by_shape", False))
        row.values = values
        if len(set(values)) >= 3:
            from scipy.stats import shapiro
            row.shapiro_p = float(shapiro(values).pvalue)
        shared = set(seeds) & set(reference)
        if name != "reference" and len(shared) >= 2 and all(seeds[s] == reference[s] for s in shared):
            row.same_as = "reference"
        fits.append(row)
    pooled = pooled_spread(fits)
    for row in fits:
        if row.correct and row.same_as is None:
            if pooled and pooled[0] is not None and row.runs >= 3:
                row.sd_used, row.df = pooled[0], pooled[1]
            elif row.runs >= MIN_RUNS:
                row.sd_used, row.df = row.sd, row.runs - 1
            else:
                continue
            row.k = tolerance_factor(row.runs, 1 - false_fail, confidence, row.df)
            row.lower_limit = row.mean - row.k * row.sd_used
        else:
            row.sd_used, row.df = row.sd, row.runs - 1
    return fits, (None if pooled is None else {"sd": pooled[0], "df": pooled[1], "levene_p": pooled[2]})


def rates(fits, benchmark, threshold, confidence):
    """False-fail (correct runs below) and false-pass (measurable weak runs at or above) rates."""
    runs = _main_runs(benchmark)
    out = {}
    for kind, correct in (("false_fail", True), ("false_pass", False)):
        group = [f for f in fits if f.correct == correct and f.measurable and f.same_as is None]
        values = [a for f in group for a in runs[f.variant].values()]
        wrong = sum((a < threshold) if correct else (a >= threshold) for a in values)
        tails = [(statistics.NormalDist(f.mean, f.sd_used or 1e-12).cdf(threshold) if correct
                  else 1 - statistics.NormalDist(f.mean, f.sd_used or 1e-12).cdf(threshold),
                  tail_upper_bound(f.mean, f.sd_used, f.runs, threshold, confidence, below=correct, df=f.df))
                 for f in group if f.runs >= 2]
        worst = max(tails, key=lambda t: t[1]) if tails else (None, None)
        out[kind] = Rate(wrong, len(values), clopper_pearson_upper(wrong, len(values), confidence) if values else 1.0,
                         worst[0], worst[1])
    return out


def conservative(row, confidence):
    """(lower confidence bound of the mean, upper confidence bound of the sd), each at
    ``confidence``: the parameters the two-stage rates are computed with."""
    from scipy.stats import chi2, t
    sd = row.sd_used if row.sd_used is not None else row.sd
    df = row.df if row.df is not None else row.runs - 1
    mean_low = row.mean - float(t.ppf(confidence, row.runs - 1)) * sd / math.sqrt(row.runs)
    sd_high = sd * math.sqrt(df / float(chi2.ppf(1 - confidence, df)))
    return mean_low, sd_high


def two_stage_fail(threshold, band, mean, sd, further=FURTHER_SEEDS):
    """P(a run of N(mean, sd) loses the points): below the band, or in it and the mean of
    ``further`` independent runs below the threshold."""
    from scipy.stats import norm
    below_band = norm.cdf((threshold - band - mean) / sd)
    in_band = norm.cdf((threshold - mean) / sd) - below_band
    return float(below_band + in_band * norm.cdf((threshold - mean) / (sd / math.sqrt(further))))


def two_stage_pass(threshold, band, mean, sd, further=FURTHER_SEEDS):
    from scipy.stats import norm
    above = norm.sf((threshold - mean) / sd)
    in_band = norm.cdf((threshold - mean) / sd) - norm.cdf((threshold - band - mean) / sd)
    return float(above + in_band * norm.sf((threshold - mean) / (sd / math.sqrt(further))))


def choose(fits, false_fail=0.001, confidence=0.95):
    """The threshold and the band, together: the band reaches down to where a correct run lands
    at most FLOOR_TAIL of the time (conservative parameters, worst correct variant), and the
    threshold is the highest, in steps of 0.001, whose two-stage false-fail rate (a near miss
    trained again with FURTHER_SEEDS seeds) stays at most ``false_fail`` for every correct variant."""
    from scipy.stats import norm
    correct = [f for f in fits if f.lower_limit is not None]
    if not correct or not any(f.variant == "reference" for f in correct):
        raise SystemExit("calibrate: the benchmark has too few runs of the reference; "
                         "run benchmarks/fairness.py first")
    params = [conservative(f, confidence) for f in correct]
    floor = min(mean - float(norm.isf(FLOOR_TAIL)) * sd for mean, sd in params)
    threshold = _round_down(min(mean for mean, _ in params))
    while threshold > floor:
        band = _round_up(threshold - floor)
        if max(two_stage_fail(threshold, band, mean, sd) for mean, sd in params) <= false_fail:
            return round(threshold, 3), round(band, 3)
        threshold -= STEP
    return round(_round_down(floor), 3), 0.0  # no band helps: the floor itself


def _benchmark_record(path, benchmark):
    data = Path(path).read_bytes()
    sessions = benchmark.get("sessions", [])
    try:
        shown = str(Path(path).resolve().relative_to(ROOT))
    except ValueError:
        shown = str(path)
    return {"file": shown, "sha256": hashlib.sha256(data).hexdigest(),
            "runs": len(benchmark["runs"]), "plan": benchmark.get("plan"),
            "complete": bool(sessions) and sessions[-1].get("complete", False),
            "machine": benchmark.get("machine"),
            "wall_seconds": sum(s.get("wall_seconds", 0) for s in sessions),
            "cpu_seconds": sum(s.get("cpu_seconds", 0) for s in sessions)}


def calibrate(benchmark_path=BENCHMARK, false_fail=0.001, confidence=0.95, previous=None):
    benchmark = json.loads(Path(benchmark_path).read_text())
    fits, pooled = fit(benchmark, false_fail, confidence)
    threshold, band = choose(fits, false_fail, confidence)
    at = {f"{threshold:.3f}": rates(fits, benchmark, threshold, confidence)}
    if previous is not None and f"{previous:.3f}" not in at:
        at[f"{previous:.3f}"] = rates(fits, benchmark, previous, confidence)
    failing_weak = [f.variant for f in fits if not f.correct and f.measurable and f.maximum >= threshold]
    with_recheck = {}
    for f in fits:
        if f.measurable and f.same_as is None and f.runs >= 2 and (f.correct or f.sd > 0):
            mean, sd = conservative(f, confidence) if f.correct else (f.mean, f.sd)
            with_recheck[f.variant] = (two_stage_fail(threshold, band, mean, sd) if f.correct
                                       else two_stage_pass(threshold, band, f.mean, f.sd))
    return {
        "threshold": threshold,
        "borderline_band": band,
        "rule": (f"two stages: a first accuracy in [threshold - band, threshold) is trained again with "
                 f"{FURTHER_SEEDS} seeds and passes when their mean reaches the threshold. The band reaches "
                 f"down to where a correct run lands at most {FLOOR_TAIL:g} of the time; the threshold is the "
                 f"highest (step {STEP}) whose two-stage false-fail rate is at most {false_fail:g} for every "
                 f"correct variant, each a normal with its mean at its {confidence:.0%} lower bound and its sd "
                 f"at its {confidence:.0%} upper bound"),
        "two_stage": {v: rate for v, rate in with_recheck.items()},
        "false_fail_target": false_fail, "confidence": confidence,
        "previous_threshold": previous,
        "pooled_spread": pooled,
        "variants": [asdict(f) for f in fits],
        "rates": {t: {kind: asdict(rate) for kind, rate in r.items()} for t, r in at.items()},
        "weak_not_failed": failing_weak,
        "benchmark": _benchmark_record(benchmark_path, benchmark),
    }


def summary(result):
    lines = [f"threshold {result['threshold']:.3f} (was {result['previous_threshold']}), "
             f"borderline band {result['borderline_band']:.3f} below it"]
    for f in result["variants"]:
        extra = f", lower tolerance limit {f['lower_limit']:.4f} (k = {f['k']:.2f})" if f["lower_limit"] else ""
        same = f", the same accuracy as the {f['same_as']} on every seed" if f["same_as"] else ""
        same += f", Shapiro-Wilk p {f['shapiro_p']:.2f}" if f["shapiro_p"] is not None else ""
        lines.append(f"  {f['variant']:>18} ({'correct' if f['correct'] else 'weak'}): {f['runs']} runs, "
                     f"mean {f['mean']:.4f}, sd {f['sd']:.4f}, min {f['minimum']:.4f}, max {f['maximum']:.4f}"
                     f"{extra}{same}")
    for t, r in result["rates"].items():
        for kind, rate in r.items():
            tail = (f"; normal tail {rate['normal_tail']:.2g} (upper {rate['normal_upper']:.2g})"
                    if rate["normal_tail"] is not None else "")
            lines.append(f"  at {t}: {kind.replace('_', '-')} {rate['wrong']}/{rate['runs']}, Clopper-Pearson "
                         f"upper {rate['upper_cp']:.3g}{tail}")
    lines.append("  two stages (with the re-check), per variant: " + ", ".join(
        f"{v} {'fails' if any(f['variant'] == v and f['correct'] for f in result['variants']) else 'passes'} "
        f"{rate:.2g}" for v, rate in result["two_stage"].items()))
    if result["weak_not_failed"]:
        lines.append(f"  NOT FAILED by the threshold: {', '.join(result['weak_not_failed'])}")
    return "\n".join(lines)


def add_arguments(parser):
    parser.add_argument("--benchmark", type=Path, default=BENCHMARK,
                        help="the fairness benchmark's results (default benchmarks/results/fairness.json)")
    parser.add_argument("--false-fail", type=float, default=0.001, help="the promise to correct work (default 0.001)")
    parser.add_argument("--confidence", type=float, default=0.95)
    parser.add_argument("--dry-run", action="store_true", help="print, do not write calibration.json")


def main(argv=None):
    """python -m autograder.calibrate [...] (the same as python -m autograder calibrate)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_arguments(parser)
    return run(parser.parse_args(argv))


def run(args):
    if not args.benchmark.is_file():
        print(f"calibrate: no benchmark at {args.benchmark}; run benchmarks/fairness.py first", file=sys.stderr)
        return 2
    old = json.loads(CALIBRATION.read_text()) if CALIBRATION.exists() else {}
    previous = old.get("previous_threshold") if old.get("benchmark", {}).get("sha256") else old.get("threshold")
    previous = old.get("threshold") if previous is None else previous
    result = calibrate(args.benchmark, args.false_fail, args.confidence, previous)
    print(summary(result))
    if not args.dry_run:
        CALIBRATION.write_text(json.dumps(result, indent=2) + "\n")
        write_student_copy()  # the student package carries its own copy (it knows nothing of the grader)
        print(f"wrote {CALIBRATION.relative_to(ROOT)} and the student package's copy")
    return 1 if result["weak_not_failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
