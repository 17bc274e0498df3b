"""What the instructor sees: a progress line while grading, a table at the end."""

import sys
import time


class Progress:
    def __init__(self, total, stream=sys.stderr):
        self.total, self.done, self.failed, self.stream = total, 0, 0, stream
        self.start = time.perf_counter()
        self.show()

    def update(self, status):
        self.done += 1
        self.failed += status != "graded"
        self.show()

    def show(self):
        width = 30
        filled = int(width * self.done / self.total) if self.total else width
        elapsed = time.perf_counter() - self.start
        self.stream.write(f"\r[{'#' * filled}{'.' * (width - filled)}] done {self.done - self.failed}"
                          f"  failed {self.failed}  remaining {self.total - self.done}  ({elapsed:.0f} s)")
        if self.done == self.total:
            self.stream.write("\n")
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
