"""What the instructor sees: a line per finished submission with elapsed time and an estimate of the
time left (tqdm's bar on a terminal, plain lines in CI and logs), and the table at the end."""

import sys
import time

from .status import Status


def _clock(seconds):
    seconds = int(round(seconds))
    return f"{seconds // 60}m{seconds % 60:02d}s" if seconds >= 60 else f"{seconds}s"


class Progress:
    """``update`` once per finished submission; ``close`` at the end prints the totals line."""

    def __init__(self, total, stream=None, bar=None):
        self.stream = stream or sys.stderr
        self.total, self.done, self.failed = total, 0, 0
        self.start = time.perf_counter()
        self.bar = None
        if bar if bar is not None else self.stream.isatty():
            from tqdm import tqdm
            self.bar = tqdm(total=total, file=self.stream, unit="submission", dynamic_ncols=True,
                            bar_format="{l_bar}{bar}| {n_fmt}/{total_fmt} [{elapsed}<{remaining}]")

    def update(self, student, status, note=""):
        self.done += 1
        self.failed += status != Status.GRADED
        elapsed = time.perf_counter() - self.start
        line = f"{student}: {status}" + (f" ({note})" if note else "")
        if self.bar is not None:
            self.bar.write(line, file=self.stream)
            self.bar.update()
            return
        left = elapsed / self.done * (self.total - self.done)
        self.stream.write(f"[{self.done}/{self.total}] {line}  elapsed {_clock(elapsed)}, "
                          f"about {_clock(left)} left\n")
        self.stream.flush()

    def close(self):
        if self.bar is not None:
            self.bar.close()
        self.stream.write(f"done {self.done - self.failed}  failed {self.failed}  remaining "
                          f"{self.total - self.done}  ({_clock(time.perf_counter() - self.start)})\n")
        self.stream.flush()


def table(rows):
    """rows: [(student, status, score, max_score, detail)] -> aligned text table."""
    header = ("student", "status", "score", "detail")
    lines = [(s, status, "-" if score is None else f"{score:g}/{max_score:g}", detail or "")
             for s, status, score, max_score, detail in rows]
    widths = [max(len(str(r[i])) for r in [header, *lines]) for i in range(3)]
    out = ["  ".join(str(v).ljust(w) for v, w in zip(header[:3], widths)) + "  " + header[3]]
    out.append("  ".join("-" * w for w in widths) + "  ------")
    for line in lines:
        out.append("  ".join(str(v).ljust(w) for v, w in zip(line[:3], widths)) + "  " + line[3])
    return "\n".join(out)
