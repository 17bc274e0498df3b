"""Class statistics and item analysis: how each test cell behaves across the class.

Discrimination is the point-biserial correlation between passing a cell (0/1) and the rest of the
score (total minus that cell's points), so a cell does not correlate with itself. Submissions
without a notebook are left out of the item analysis: they fail every cell without trying any.
"""

import math
import statistics
from dataclasses import dataclass, field

from ..grading.status import NEVER_RAN, Status
from .data import ClassData, Student

HARD_PASS_RATE = 0.2        # below this nearly everyone fails the cell
WEAK_DISCRIMINATION = 0.2   # below this weak submissions pass as often as strong ones
BORDERLINE = 0.01           # accuracy this close to the threshold is borderline


@dataclass
class Summary:
    count: int
    max_score: float
    mean: float | None
    median: float | None
    full_marks: int
    below_half: int


@dataclass
class MessageGroup:
    key: str | None          # the MESSAGES key; None for a text no template produced
    example: str             # one student's message, as they saw it
    students: list[str]


@dataclass
class Item:
    grade_id: str
    part: str
    max_score: float
    attempted: int
    pass_rate: float | None
    points_lost: float
    discrimination: float | None       # None: zero variance, no correlation to speak of
    groups: list[MessageGroup] = field(default_factory=list)

    @property
    def too_hard(self):
        return self.pass_rate is not None and self.pass_rate < HARD_PASS_RATE

    @property
    def weak(self):
        return self.discrimination is not None and self.discrimination < WEAK_DISCRIMINATION


@dataclass
class Part:
    part: str
    max_score: float
    pass_rate: float | None     # passed every cell of the part
    points_lost: float


def summary(data: ClassData) -> Summary:
    scores = [s.score for s in data.graded]
    top = max((s.max_score for s in data.graded), default=0.0)
    return Summary(len(scores), top,
                   statistics.fmean(scores) if scores else None,
                   statistics.median(scores) if scores else None,
                   sum(1 for s in data.graded if s.score >= s.max_score > 0),
                   sum(1 for s in data.graded if s.score < s.max_score / 2))


def point_biserial(passed, rest):
    """Pearson's r of a 0/1 list with a score list; None when either has no variance."""
    n = len(passed)
    if n < 2:
        return None
    mx, my = sum(passed) / n, sum(rest) / n
    sxx = sum((x - mx) ** 2 for x in passed)
    syy = sum((y - my) ** 2 for y in rest)
    if sxx == 0 or syy == 0:
        return None
    sxy = sum((x - mx) * (y - my) for x, y in zip(passed, rest))
    return sxy / math.sqrt(sxx * syy)


def analysed(data: ClassData) -> list[Student]:
    return [s for s in data.graded if s.status not in NEVER_RAN]


def _groups(students, grade_id):
    groups: dict[str, MessageGroup] = {}
    for s in students:
        result = s.cells.get(grade_id)
        if result is None or result.passed:
            continue
        label = result.key or (result.message or "").split(":")[0] or "no message"
        group = groups.setdefault(label, MessageGroup(result.key, result.message or "", []))
        group.students.append(s.student)
    return sorted(groups.values(), key=lambda g: (-len(g.students), g.key or ""))


def items(data: ClassData) -> list[Item]:
    students = analysed(data)
    found = []
    for cell in data.cells:
        rows = [(s.cells[cell.grade_id], s.score) for s in students if cell.grade_id in s.cells]
        passed = [1 if r.passed else 0 for r, _ in rows]
        rest = [total - r.score for r, total in rows]
        found.append(Item(cell.grade_id, cell.part, cell.max_score, len(rows),
                          sum(passed) / len(rows) if rows else None,
                          sum(r.max_score - r.score for r, _ in rows),
                          point_biserial(passed, rest), _groups(students, cell.grade_id)))
    return found


def parts(data: ClassData, found: list[Item]) -> list[Part]:
    students = analysed(data)
    names = list(dict.fromkeys(c.part for c in data.cells))
    result = []
    for name in names:
        ids = [c.grade_id for c in data.cells if c.part == name]
        rows = [s for s in students if all(i in s.cells for i in ids)]
        result.append(Part(name, sum(c.max_score for c in data.cells if c.part == name),
                           sum(all(s.cells[i].passed for i in ids) for s in rows) / len(rows) if rows else None,
                           sum(i.points_lost for i in found if i.part == name)))
    return result


def borderline(accuracy, threshold):
    return accuracy is not None and abs(accuracy - threshold) <= BORDERLINE + 1e-12
