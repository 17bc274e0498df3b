"""Reading what the kernel handed over, as data only: JSON and NumPy arrays without pickle.

Every limit here is a failure of that cell with a clear message, never a crash of the grader: the
hand-over is written by code the student controls.
"""

import json
import zipfile
from pathlib import Path

import numpy as np
from fashion_mnist_student.probes import FOLDER

from ..messages import say

MAX_JSON = 512 * 1024
MAX_ARRAYS_BYTES = 64 * 1024 ** 2
MAX_ARRAYS = 64


class HandoverProblem(AssertionError):
    """The hand-over of a cell is missing or malformed; str() is the student's message."""


class Handover:
    """One cell's hand-over: ``data`` (JSON) and named arrays, loaded on demand."""

    def __init__(self, grade_id, data, arrays, lang):
        self.grade_id, self.data, self._arrays, self.lang = grade_id, data, arrays, lang

    def array(self, name, dtype=None):
        if name not in self._arrays:
            raise HandoverProblem(say("probe_malformed", self.lang, detail=f"no array {name!r}"))
        array = self._arrays[name]
        return array.astype(dtype) if dtype else array

    def get(self, key, default=None):
        return self.data.get(key, default) if isinstance(self.data, dict) else default


def _regular(path):
    return path.is_file() and not path.is_symlink()


def read(folder, grade_id, lang="en"):
    """The hand-over of ``grade_id`` in ``folder`` (the notebook's folder)."""
    base = Path(folder) / FOLDER
    text_path, arrays_path = base / f"{grade_id}.json", base / f"{grade_id}.npz"
    if not (_regular(text_path) and _regular(arrays_path)):
        raise HandoverProblem(say("probe_missing", lang))
    if text_path.stat().st_size > MAX_JSON or arrays_path.stat().st_size > MAX_ARRAYS_BYTES:
        raise HandoverProblem(say("probe_malformed", lang, detail="too large"))
    try:
        data = json.loads(text_path.read_text(encoding="utf-8"))
        arrays = {}
        with zipfile.ZipFile(arrays_path) as archive:
            members = archive.infolist()
            if len(members) > MAX_ARRAYS or sum(m.file_size for m in members) > MAX_ARRAYS_BYTES:
                raise ValueError("too many or too large arrays")
        with np.load(arrays_path, allow_pickle=False) as loaded:
            for name in loaded.files:
                arrays[name] = loaded[name]
    except (OSError, ValueError, UnicodeDecodeError, zipfile.BadZipFile, EOFError) as error:
        raise HandoverProblem(say("probe_malformed", lang, detail=f"{type(error).__name__}: {error}"[:200])) from None
    if not isinstance(data, dict):
        raise HandoverProblem(say("probe_malformed", lang, detail="not a JSON object"))
    return Handover(grade_id, data, arrays, lang)


class Folder:
    """The hand-overs of one executed notebook, each read once."""

    def __init__(self, folder, lang="en"):
        self.folder, self.lang, self._read = Path(folder), lang, {}

    def get(self, grade_id):
        if grade_id not in self._read:
            try:
                self._read[grade_id] = read(self.folder, grade_id, self.lang)
            except HandoverProblem as problem:
                self._read[grade_id] = problem
        found = self._read[grade_id]
        if isinstance(found, HandoverProblem):
            raise found
        return found
