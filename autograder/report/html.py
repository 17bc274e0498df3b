"""Render the class report: one self-contained HTML page (inline CSS, JS and PNG figures).

Jinja2 with autoescape on: student ids, failure messages and code are students' text.
"""

import datetime
import os
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from ..paths import REPORT_TEMPLATES
from . import figures, items
from .data import ClassData
from .labels import labels, status_label
from .similarity import Pair

TEMPLATES = REPORT_TEMPLATES
SLOWEST = 5


def _number(value, digits=2):
    if value is None:
        return "n/a"
    return f"{value:.{digits}f}".rstrip("0").rstrip(".") if digits else f"{value:.0f}"


def _percent(value):
    return "n/a" if value is None else f"{value:.0%}"


def _environment():
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True, undefined=StrictUndefined,
                      trim_blocks=True, lstrip_blocks=True)
    env.filters.update(number=_number, percent=_percent)
    return env


def _links(data: ClassData, out: Path):
    """student -> the feedback page relative to the report (so the folder can be moved whole)."""
    return {s.student: Path(os.path.relpath(s.feedback, out.parent)).as_posix()
            for s in data.students if s.feedback}


def context(data: ClassData, out: Path, lang, pairs: list[Pair] | None, similarity_threshold):
    t = labels(lang)
    summary = items.summary(data)
    found = items.items(data)
    graded = data.graded
    accuracy = [s.accuracy for s in data.students if s.accuracy is not None]
    statuses = {}
    for s in data.students:
        statuses[status_label(s.status, lang)] = statuses.get(status_label(s.status, lang), 0) + 1
    timed = sorted((s for s in data.students if s.seconds is not None), key=lambda s: -s.seconds)
    figs = {"histogram": figures.score_histogram([s.score for s in graded], summary.max_score,
                                                 summary.mean, summary.median, t, lang),
            "pass_rates": figures.pass_rates([i.grade_id for i in found], [i.pass_rate for i in found], t, lang)}
    if accuracy:
        figs["accuracy"] = figures.accuracies(accuracy, data.threshold, items.BORDERLINE, t, lang)
    return {
        "t": t, "lang": lang, "data": data, "summary": summary, "items": found,
        "parts": items.parts(data, found), "figures": figs, "links": _links(data, out),
        "hard_limit": items.HARD_PASS_RATE, "weak_limit": items.WEAK_DISCRIMINATION,
        "margin": items.BORDERLINE, "accuracy_count": len(accuracy),
        "borderline": [s for s in data.students if items.borderline(s.accuracy, data.threshold) or s.recheck],
        "is_borderline": lambda s: items.borderline(s.accuracy, data.threshold),
        "forbidden": [s for s in data.students if s.forbidden],
        "status_counts": sorted(statuses.items(), key=lambda kv: -kv[1]),
        "status_label": lambda status: status_label(status, lang),
        "slowest": timed[:SLOWEST], "pairs": pairs, "similarity_threshold": similarity_threshold,
        "generated": datetime.datetime.now().strftime("%Y-%m-%d %H:%M"),
    }


def render(data: ClassData, out, lang, pairs=None, similarity_threshold=None):
    out = Path(out).resolve()
    return _environment().get_template("report.html.j2").render(
        context(data, out, lang, pairs, similarity_threshold))


def write(data: ClassData, out, lang, pairs=None, similarity_threshold=None):
    out = Path(out).resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")
    partial.write_text(render(data, out, lang, pairs, similarity_threshold), encoding="utf-8")
    os.replace(partial, out)
    return out
