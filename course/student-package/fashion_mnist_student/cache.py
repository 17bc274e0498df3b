"""Keep what took minutes to compute, so that the next chapter (or the next day) loads it in seconds.

The book's later chapters all start from the same trained model: each chapter trains it in its own
visible cell the first time and keeps it here, and every later run loads it instead::

    from fashion_mnist_student import cache

    def train():
        keras.utils.set_random_seed(0)
        model = keras.Sequential([...])
        model.compile(...)
        model.fit(train_images, train_labels, epochs=10, verbose=0)
        return model

    model = cache.model("fashion_mnist_seed0_e10", train)

The folder is your own: ``$FASHION_MNIST_CACHE`` if it is set, else the platform's cache folder
for your user (``~/.cache/fashion-mnist`` on Linux, ``~/Library/Caches/fashion-mnist`` on macOS,
``%LOCALAPPDATA%\\fashion-mnist\\Cache`` on Windows). Delete a file there to train it again.

Each entry is computed under a file lock: two notebooks asking for the same entry at once train it
once, and the other waits and loads it. It is written to a partial file and renamed, so nothing
ever reads half an entry, and a computation that fails leaves no entry behind. The package never
trains anything itself: what to compute is always the caller's code.
"""

import json
import os
import re
import sys
from contextlib import contextmanager
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows: no lock; two notebooks at once may then both train
    fcntl = None

ENV = "FASHION_MNIST_CACHE"
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.=-]{0,150}")


def cache_dir() -> Path:
    """The cache folder: ``$FASHION_MNIST_CACHE``, else the user's platform cache folder."""
    given = os.environ.get(ENV)
    if given:
        return Path(given).expanduser()
    home = Path.home()
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or home / "AppData" / "Local")
        return base / "fashion-mnist" / "Cache"
    if sys.platform == "darwin":
        return home / "Library" / "Caches" / "fashion-mnist"
    return Path(os.environ.get("XDG_CACHE_HOME") or home / ".cache") / "fashion-mnist"


def path(name: str, suffix: str) -> Path:
    """Where the entry ``name`` lives; a name is one plain file name (no folders, no ``..``)."""
    if not isinstance(name, str) or not _NAME.fullmatch(name) or ".." in name:
        raise ValueError(f"cache entry names are letters, digits and _ . = -, not {name!r}")
    return cache_dir() / f"{name}{suffix}"


@contextmanager
def _locked(target: Path):
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target.with_name(target.name + ".lock"), "w") as lock:
        if fcntl:
            fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def cached(target: Path, compute, save, load):
    """``load(target)``, or on the first call ``compute()``, saved with ``save(value, partial)``
    and returned. One process computes under the lock; one that comes meanwhile waits, then loads."""
    if not target.exists():
        with _locked(target):
            if not target.exists():  # not computed by another process while we waited
                value = compute()
                partial = target.with_name(target.stem + ".partial" + target.suffix)
                save(value, partial)
                partial.replace(target)
                return value
    return load(target)


def _save_model(model, target):
    model.save(target)


def _load_model(target):
    import keras
    return keras.models.load_model(target)


def model(name: str, train):
    """The Keras model kept as ``name``, or ``train()``'s model, kept for next time."""
    return cached(path(name, ".keras"), train, _save_model, _load_model)


def keep(name: str, trained_model) -> None:
    """Keep a model you have trained already as ``name`` (a model kept before stays)."""
    cached(path(name, ".keras"), lambda: trained_model, _save_model, lambda target: None)


def _write_json(value, target):
    target.write_text(json.dumps(value), encoding="utf-8")


def _read_json(target):
    return json.loads(target.read_text(encoding="utf-8"))


def _plain(value):
    """NumPy numbers and arrays as JSON has them (what evaluate and History may hold)."""
    if hasattr(value, "tolist"):
        return value.tolist()
    raise TypeError(f"cannot keep a {type(value).__name__} as JSON")


def record(name: str, compute):
    """A JSON value (numbers, strings, lists, dicts: a History's ``history``, say) kept as ``name``,
    or ``compute()``'s value, kept for next time. Returned as JSON reads it back, both times."""
    return cached(path(name, ".json"), lambda: json.loads(json.dumps(compute(), default=_plain)),
                  _write_json, _read_json)
