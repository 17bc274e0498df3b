"""The one bounded reader of everything the kernel hands over: JSON and NumPy arrays, data only.

Every file here was written by code the student controls, so nothing is read before it is known
to be small: a regular file (``lstat``: no symlink followed), its size on disk, and for an .npz
the member count and each member's uncompressed size from the zip's headers, then each member's
.npy header (dtype and shape) before its data. An array's dtype must be a plain number (no
objects, no pickle) and its declared size must be the member's size, so a deflate bomb (a small
file that inflates to gigabytes) or a member that lies about its size is refused before it is
inflated. JSON is size-capped and its nesting depth is counted before ``json.loads`` (a deep
JSON must not reach Python's recursion limit). Every refusal is a ``HandoverProblem``: that
cell's failure with a message in the student's language, never the grader's memory or a crash.

Used for the probes' hand-overs (``read``/``Folder``), the accuracy weights and the re-check's
weights and record (``read_weights``, ``read_json``: autograder/preprocessors/accuracy.py).
"""

import json
import os
import re
import stat
import zipfile
from pathlib import Path

import numpy as np
from fashion_mnist_student.probe_inputs import WEIGHT_SHAPES
from fashion_mnist_student.probes import FOLDER

from ..messages import say

MAX_JSON = 512 * 1024                 # bytes of one JSON hand-over
MAX_DEPTH = 32                        # nesting of JSON objects and lists
MAX_ARRAYS_BYTES = 64 * 1024 ** 2     # uncompressed bytes of all arrays of one hand-over
MAX_ARRAYS = 64                       # arrays in one hand-over
NUMERIC_KINDS = "biuf"                # bool, int, unsigned, float: nothing else is data here
_STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)


class HandoverProblem(AssertionError):
    """A hand-over is missing or malformed; ``message(lang)`` is the student's sentence and
    str() the English one (or the language it was raised in)."""

    def __init__(self, key, lang="en", why=None, **values):
        self.key, self.values, self.lang, self.why = key, values, lang, why
        super().__init__(self.message(lang))

    def message(self, lang="en"):
        """The sentence in ``lang``; ``why`` ((key, values)) is the reason, said in ``lang`` too."""
        values = dict(self.values)
        if self.why:
            values["detail"] = say(self.why[0], lang, **self.why[1])
        return say(self.key, lang, **values)


def _malformed(detail, lang):
    """A hand-over that could not be read; ``detail`` is the reader's error (Python's words)."""
    return HandoverProblem("probe_malformed", lang, detail=str(detail)[:200])


def _refused(lang, why, **values):
    """A hand-over refused by one of the bounds; ``why`` a key of autograder.messages."""
    return HandoverProblem("probe_malformed", lang, why=(why, values))


def _checked_size(path, limit, lang, missing="probe_missing"):
    """The size of the regular file ``path`` (not a symlink), refused above ``limit``."""
    try:
        status = Path(path).lstat()
    except OSError:
        raise HandoverProblem(missing, lang) from None
    if not stat.S_ISREG(status.st_mode):
        raise _refused(lang, "handover_not_file")
    if status.st_size > limit:
        raise _refused(lang, "handover_file_size", size=status.st_size, limit=limit)
    return status.st_size


def _open_checked(path, limit, lang, missing="probe_missing"):
    """``path`` opened for reading without following a symbolic link (O_NOFOLLOW), checked on the
    open file itself (a regular file of at most ``limit`` bytes): no swap between check and read."""
    _checked_size(path, limit, lang, missing)
    try:
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        raise _refused(lang, "handover_not_file") from None
    status = os.fstat(descriptor)
    if not stat.S_ISREG(status.st_mode) or status.st_size > limit:
        os.close(descriptor)
        raise _refused(lang, "handover_not_file")
    return os.fdopen(descriptor, "rb")


def json_depth(text):
    """The nesting depth of JSON ``text`` (brackets outside strings), without parsing it."""
    bare = _STRINGS.sub("", text)
    steps = np.frombuffer(bare.encode("utf-8", "replace"), dtype=np.uint8)
    change = (np.isin(steps, (ord("["), ord("{"))).astype(np.int64)
              - np.isin(steps, (ord("]"), ord("}"))).astype(np.int64))
    return int(np.cumsum(change).max(initial=0))


def read_json(path, lang="en", max_bytes=MAX_JSON, max_depth=MAX_DEPTH):
    """The JSON object in ``path``: at most ``max_bytes`` and ``max_depth`` deep."""
    try:
        with _open_checked(path, max_bytes, lang) as stream:
            text = stream.read(max_bytes).decode("utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise _malformed(f"{type(error).__name__}: {error}", lang) from None
    depth = json_depth(text)
    if depth > max_depth:
        raise _refused(lang, "handover_depth", depth=depth, limit=max_depth)
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as error:
        raise _malformed(f"{type(error).__name__}: {error}", lang) from None
    if not isinstance(data, dict):
        raise _refused(lang, "handover_not_object")
    return data


def _member_array(archive, info, lang):
    """One .npy member, its header checked against its size before any data is read."""
    fmt = np.lib.format
    with archive.open(info) as stream:
        try:
            version = fmt.read_magic(stream)
            if version == (1, 0):
                shape, fortran, dtype = fmt.read_array_header_1_0(stream, max_header_size=4096)
            elif version in ((2, 0), (3, 0)):
                shape, fortran, dtype = fmt.read_array_header_2_0(stream, max_header_size=4096)
            else:
                raise ValueError(f"npy version {version}")
        except (ValueError, TypeError, SyntaxError, EOFError) as error:
            raise _malformed(f"{info.filename}: {type(error).__name__}: {error}", lang) from None
        if dtype.hasobject or dtype.kind not in NUMERIC_KINDS or dtype.fields is not None:
            raise _refused(lang, "handover_dtype", name=info.filename[:60], dtype=str(dtype)[:40])
        count = int(np.prod(shape, dtype=np.int64)) if shape else 1
        if count < 0 or count * dtype.itemsize != info.file_size - stream.tell():
            raise _refused(lang, "handover_header", name=info.filename[:60], shape=shape)
        data = stream.read(count * dtype.itemsize + 1)
    if len(data) != count * dtype.itemsize:
        raise _malformed(f"{info.filename}: truncated", lang)
    array = np.frombuffer(data, dtype=dtype, count=count).copy()
    return array.reshape(shape[::-1]).T if fortran else array.reshape(shape)


def read_arrays(path, lang="en", names=None, shapes=None, max_bytes=MAX_ARRAYS_BYTES,
                max_members=MAX_ARRAYS):
    """{name: array} of the .npz in ``path`` (as ``np.savez`` writes it), bounded before reading:
    ``names`` the exact names required (if given), ``shapes`` {name: shape} each must have."""
    arrays = {}
    try:
        with _open_checked(path, max_bytes, lang) as stream, zipfile.ZipFile(stream) as archive:
            members = archive.infolist()
            if len(members) > max_members:
                raise _refused(lang, "handover_members", count=len(members), limit=max_members)
            total = sum(m.file_size for m in members)
            if total > max_bytes:
                raise _refused(lang, "handover_inflates", size=total, limit=max_bytes)
            for info in members:
                name = info.filename[:-4] if info.filename.endswith(".npy") else None
                if not name or name in arrays or info.is_dir():
                    raise _malformed(f"member {info.filename[:60]!r}", lang)
                if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                    raise _malformed(f"{info.filename}: compression {info.compress_type}", lang)
                arrays[name] = _member_array(archive, info, lang)
    except (OSError, zipfile.BadZipFile, EOFError, ValueError, NotImplementedError, RuntimeError) as error:
        raise _malformed(f"{type(error).__name__}: {error}", lang) from None
    if names is not None and sorted(arrays) != sorted(names):
        raise _refused(lang, "handover_names", got=sorted(arrays)[:8], want=sorted(names)[:8])
    for name, shape in (shapes or {}).items():
        if name in arrays and tuple(arrays[name].shape) != tuple(shape):
            raise _refused(lang, "handover_shape", name=name, got=tuple(arrays[name].shape), want=tuple(shape))
    return arrays


def read_weights(path, lang="en"):
    """The weights w0..w3 of the lesson's model in ``path``, as float32 arrays of WEIGHT_SHAPES.
    A missing file is ``acc_no_handover``, other shapes ``acc_architecture``."""
    _checked_size(path, MAX_ARRAYS_BYTES, lang, missing="acc_no_handover")
    arrays = read_arrays(path, lang)
    weights = [arrays[f"w{i}"] for i in range(len(arrays)) if f"w{i}" in arrays]
    if len(weights) != len(arrays):
        raise _refused(lang, "handover_names", got=sorted(arrays)[:8], want=[f"w{i}" for i in range(len(WEIGHT_SHAPES))])
    got = [tuple(w.shape) for w in weights]
    if got != [tuple(s) for s in WEIGHT_SHAPES]:
        raise HandoverProblem("acc_architecture", lang, got=got, want=[tuple(s) for s in WEIGHT_SHAPES])
    return [w.astype(np.float32) for w in weights]


class Handover:
    """One cell's hand-over: ``data`` (JSON) and named arrays."""

    def __init__(self, grade_id, data, arrays, lang):
        self.grade_id, self.data, self._arrays, self.lang = grade_id, data, arrays, lang

    def array(self, name, dtype=None):
        if name not in self._arrays:
            raise _refused(self.lang, "handover_names", got=sorted(self._arrays)[:8], want=[name])
        array = self._arrays[name]
        return array.astype(dtype) if dtype else array

    def get(self, key, default=None):
        return self.data.get(key, default) if isinstance(self.data, dict) else default


def read(folder, grade_id, lang="en"):
    """The hand-over of ``grade_id`` in ``folder`` (the notebook's folder)."""
    base = Path(folder) / FOLDER
    data = read_json(base / f"{grade_id}.json", lang)
    arrays = read_arrays(base / f"{grade_id}.npz", lang)
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
