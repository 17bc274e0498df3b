"""What the instructor sees: a progress line on stderr and the per-student table at the end."""

import sys
import time

PROBLEMS = ("timed out", "kernel died", "missing notebook", "failed")


def is_problem(status):
    return status in PROBLEMS


class Progress:
    """``[fashion_mnist_en] ████░░░░ 3/8  done 2  failed 1  remaining 5 (2 running)  01:12``."""

    def __init__(self, assignment, total, stream=None, width=24):
        self.assignment, self.total, self.width = assignment, total, width
        self.stream = sys.stderr if stream is None else stream
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.done = self.failed = self.running = 0
        self.start = time.monotonic()
        self._last = None

    def line(self):
        finished = self.done + self.failed
        filled = self.width * finished // self.total if self.total else self.width
        elapsed = int(time.monotonic() - self.start)
        return (f"[{self.assignment}] {'█' * filled}{'░' * (self.width - filled)} {finished}/{self.total}"
                f"  done {self.done}  failed {self.failed}  remaining {self.total - finished}"
                f" ({self.running} running)  {elapsed // 60:02d}:{elapsed % 60:02d}")

    def update(self, done=0, failed=0, running=None, message=None):
        self.done += done
        self.failed += failed
        if running is not None:
            self.running = running
        if message:
            self.stream.write(("\r\x1b[K" if self.tty else "") + message + "\n")
        text = self.line()
        if self.tty:
            self.stream.write("\r\x1b[K" + text)
        elif text.split("  ")[:-1] != (self._last or "").split("  ")[:-1]:
            self.stream.write(text + "\n")  # a log gets a line per change, not per tick
        self._last = text
        self.stream.flush()

    def close(self):
        if self.tty:
            self.stream.write("\n")
            self.stream.flush()


def fmt_score(score, max_score):
    if max_score is None:
        return "–"
    score_text = "–" if score is None else f"{score:g}"
    return f"{score_text}/{max_score:g}"


def table(rows):
    """Markdown table: ``rows`` of dicts with student, status, score, max_score, action, seconds, notes."""
    header = ["student", "status", "score", "run", "seconds", "notes"]
    body = [[row["student"], row["status"], fmt_score(row.get("score"), row.get("max_score")),
             row.get("action", ""), "" if row.get("seconds") is None else f"{row['seconds']:.0f}",
             "; ".join(row.get("notes") or [])] for row in sorted(rows, key=lambda r: r["student"])]
    widths = [max(len(str(line[i])) for line in [header, *body]) for i in range(len(header))]

    def render(cells):
        return "| " + " | ".join(str(c).ljust(w) for c, w in zip(cells, widths)) + " |"

    lines = [render(header), "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    lines += [render(line) for line in body]
    counts = {}
    for row in rows:
        counts[row["status"]] = counts.get(row["status"], 0) + 1
    summary = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
    return "\n".join(lines) + f"\n\n{len(rows)} submission(s): {summary or 'none'}"
