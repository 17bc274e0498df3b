"""Fashion-MNIST for the notebook: the four original files, found, decoded and checked.

``load_data()`` looks, in order, beside the notebook (the folder the kernel runs in: the course's
zip "with data" puts the four .gz files there), in Keras' cache (``$KERAS_HOME/datasets/
fashion-mnist``, ``~/.keras`` by default), and else lets Keras download them into that cache. It
decodes the files itself and checks each against the original's checksum, so a missing or damaged
file gives a message, in the notebook's language, that says what to do instead of a traceback from
inside Keras. The arrays are the ones ``keras.datasets.fashion_mnist.load_data()`` returns.
"""

import gzip
import hashlib
import os
from pathlib import Path

import numpy as np

from .messages import ReadableError, say

FILES = {
    # name: (kind, shape, sha256 of the decoded array's bytes)
    "train-labels-idx1-ubyte.gz": ("labels", (60000,),
        "657fbd221bfc9f4198cc14b5619cc33ec57c58dd0e47af4d99d6650759e869a7"),
    "train-images-idx3-ubyte.gz": ("images", (60000, 28, 28),
        "2e487a6c89124f78f2d7521542223cafe96f7123c3ca13d447772ac6ecbb3012"),
    "t10k-labels-idx1-ubyte.gz": ("labels", (10000,),
        "3d0e6c6ea990b53b6f8f500a41cac93881d981b315f84578b7d915342ade01e9"),
    "t10k-images-idx3-ubyte.gz": ("images", (10000, 28, 28),
        "c867c93ff95360594e8ec3287995350b824dd110b11595c0e13d5423f621867a"),
}


# The arrays already checked in this process, by the file's identity (path, inode, size, times):
# the notebook's set-up cell, the checks' training examples and the probes read the same files, and
# decoding and checking all four takes about 0.4 s each time. The arrays are read-only (NumPy views
# of the decoded bytes), so sharing them changes nothing for any reader; a file that changed is
# decoded and checked again.
_CHECKED = {}
_CHECKED_MOST = 16


class DataError(ReadableError, RuntimeError):
    """Fashion-MNIST is missing or damaged; the message says what to do."""


def keras_dir():
    """The folder Keras' fashion_mnist.load_data() reads before it downloads."""
    home = os.environ.get("KERAS_HOME", os.path.join("~", ".keras"))
    return Path(os.path.expanduser(home)) / "datasets" / "fashion-mnist"


def _decode(path, kind):
    header = 8 if kind == "labels" else 16
    with gzip.open(path, "rb") as f:
        raw = f.read()
    return np.frombuffer(raw, np.uint8, offset=header)


def _identity(path, digest):
    info = os.stat(path)
    return (str(Path(path).resolve()), info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns, digest)


def check_file(path, kind, shape, digest, lang="en"):
    """The decoded array in ``path`` (read-only); DataError saying what is wrong with it otherwise."""
    if not path.is_file():
        raise DataError(say("data_missing", lang, path=path))
    key = _identity(path, digest)
    if key in _CHECKED:
        return _CHECKED[key]
    array = _checked_array(path, kind, shape, digest, lang)
    if len(_CHECKED) >= _CHECKED_MOST:
        del _CHECKED[next(iter(_CHECKED))]   # the oldest
    _CHECKED[key] = array
    return array


def _checked_array(path, kind, shape, digest, lang):
    try:
        array = _decode(path, kind)
    except (OSError, EOFError, ValueError) as err:
        raise DataError(say("data_unreadable", lang, path=path, error=err)) from None
    size = int(np.prod(shape))
    if array.size != size:
        raise DataError(say("data_size", lang, path=path, size=array.size, want=size, kind=kind,
                            shape=shape))
    array = array.reshape(shape)
    if kind == "labels" and array.max() > 9:
        raise DataError(say("data_labels", lang, path=path, high=array.max()))
    if hashlib.sha256(array.tobytes()).hexdigest() != digest:
        raise DataError(say("data_checksum", lang, path=path))
    array.setflags(write=False)   # shared by every reader in this process (_CHECKED)
    return array


def verify(directory, lang="en", names=tuple(FILES)):
    """Decode and check the files ``names`` (all four by default) in ``directory``; return
    {name: array}."""
    directory = Path(directory)
    return {name: check_file(directory / name, *FILES[name], lang=lang) for name in names}


def as_splits(arrays):
    """((train images, train labels), (test images, test labels)), as Keras returns them."""
    return ((arrays["train-images-idx3-ubyte.gz"], arrays["train-labels-idx1-ubyte.gz"]),
            (arrays["t10k-images-idx3-ubyte.gz"], arrays["t10k-labels-idx1-ubyte.gz"]))


def _complete(folder):
    return all((folder / name).is_file() for name in FILES)


def _checked(folder, fix, lang):
    try:
        return verify(folder, lang)
    except DataError as err:
        raise DataError(f"{fix} {err}") from None  # what to do first: the error's first line


def load_data(lang="en", download=True):
    """The tutorial's ``fashion_mnist.load_data()``: from beside the notebook, else Keras' cache,
    else Keras' download into that cache. Raises DataError with what to do when none works."""
    here, cache = Path.cwd(), keras_dir()
    if _complete(here):
        return as_splits(_checked(here, say("data_fix_beside", lang), lang))
    if not _complete(cache) and download:
        try:
            from keras.datasets import fashion_mnist
            fashion_mnist.load_data()  # fetches only the files the cache lacks
        except Exception as error:  # noqa: BLE001 (no network, a proxy, a full disk: all say the same)
            raise DataError(say("data_none", lang, folder=cache, names=", ".join(FILES),
                                error=f"{type(error).__name__}: {error}")) from None
    return as_splits(_checked(cache, say("data_fix_cache", lang, folder=cache), lang))
