"""Pairs of submissions whose solution cells are unusually alike, MOSS-style (copydetect).

copydetect tokenizes with Pygments and drops comments and whitespace and renames every name, so
renamed variables, new comments and reformatting change nothing; winnowed k-gram fingerprints are
local, so reordering whole functions changes little. What everyone shares is removed first: the
k-grams of the reference solution and of the release stub are boilerplate.
"""

import io
import itertools
from dataclasses import dataclass
from pathlib import Path

from ..grading.gradebook import course_config

K = 12            # k-gram length in filtered characters (copydetect's noise threshold)
WINDOW = 3        # winnowing window: a shared run of K + WINDOW - 1 characters is always seen
DEFAULT_THRESHOLD = 0.6
SEPARATOR = "\n\n"


@dataclass
class Code:
    """One submission's solution cells, joined, with where each cell sits in the joined text."""
    student: str
    text: str
    spans: dict[str, tuple[int, int]]   # grade_id -> (start, end) in text


@dataclass
class Segment:
    text: str
    shared: bool


@dataclass
class CellPair:
    grade_id: str
    left: list[Segment]
    right: list[Segment]


@dataclass
class Pair:
    first: str
    second: str
    similarity: float          # the larger of the two shares of copied tokens
    shares: tuple[float, float]
    cells: list[CellPair]


def solution_cells(path):
    """[(grade_id, source)] of the cells students write (nbgrader solution cells)."""
    import nbformat   # here, not at the top: `python -m autograder lms` never needs it (~2 s)
    if not Path(path).exists():
        return []
    nb = nbformat.read(path, as_version=4)
    return [(c.metadata["nbgrader"].get("grade_id", str(i)), c.source) for i, c in enumerate(nb.cells)
            if c.cell_type == "code" and c.get("metadata", {}).get("nbgrader", {}).get("solution")]


def joined(student, cells):
    text, spans = "", {}
    for grade_id, source in cells:
        start = len(text)
        text += source + SEPARATOR
        spans[grade_id] = (start, start + len(source))
    return Code(student, text, spans)


def fingerprint(text, boilerplate=None, window=WINDOW):
    from copydetect import CodeFingerprint
    return CodeFingerprint("cells.py", K, window, boilerplate=boilerplate, language="python",
                           fp=io.StringIO(text))


def boilerplate(course, assignment, notebook):
    """The k-grams of the reference solution and the release stub (every window kept)."""
    import numpy as np
    config = course_config(course).CourseDirectory
    hashes = []
    for folder in (config.get("source_directory", "source"), config.get("release_directory", "release")):
        for _, source in solution_cells(Path(course) / folder / assignment / f"{notebook}.ipynb"):
            hashes.extend(fingerprint(source, window=1).hashes)
    return np.unique(np.array(hashes, dtype=np.int64))


def submissions(course, assignment, notebook):
    found = []
    for path in sorted((Path(course) / "submitted").glob(f"*/{assignment}/{notebook}.ipynb")):
        if path.is_symlink():   # refused by the grader (a bad file): not compared either
            continue
        try:
            cells = solution_cells(path)
        except Exception:  # noqa: BLE001 (a bad file, graded 0 with its reason: not compared)
            continue
        if cells:
            found.append(joined(path.parts[-3], cells))
    return found


def _segments(text, start, end, slices):
    """Split text[start:end] into runs marked shared where a copied slice covers them."""
    marks = [False] * (end - start)
    for a, b in zip(*slices):
        for i in range(max(a, start), min(b, end)):
            marks[i - start] = True
    runs = []
    for shared, group in itertools.groupby(zip(text[start:end], marks), key=lambda x: x[1]):
        runs.append(Segment("".join(ch for ch, _ in group), shared))
    return runs


def _cell_pairs(a: Code, b: Code, slices):
    pairs = []
    for grade_id, (start, end) in a.spans.items():
        if grade_id not in b.spans:
            continue
        left = _segments(a.text, start, end, slices[0])
        right = _segments(b.text, *b.spans[grade_id], slices[1])
        if any(s.shared for s in left + right):
            pairs.append(CellPair(grade_id, left, right))
    return pairs


def similar_pairs(codes: list[Code], shared_hashes=None, threshold=DEFAULT_THRESHOLD) -> list[Pair]:
    """Every pair whose larger share of copied tokens reaches ``threshold``, most similar first."""
    from copydetect import compare_files
    prints = {c.student: fingerprint(c.text, shared_hashes) for c in codes}
    flagged = []
    for a, b in itertools.combinations(codes, 2):
        overlap, shares, slices = compare_files(prints[a.student], prints[b.student])
        score = float(max(shares))
        if overlap and score >= threshold:
            flagged.append(Pair(a.student, b.student, score, (float(shares[0]), float(shares[1])),
                                _cell_pairs(a, b, slices)))
    return sorted(flagged, key=lambda p: -p.similarity)


def find_similar(course, assignment, notebook, threshold=DEFAULT_THRESHOLD):
    return similar_pairs(submissions(course, assignment, notebook),
                         boilerplate(course, assignment, notebook), threshold)
