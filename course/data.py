"""Fashion-MNIST on disk: put the four original files where Keras looks, and check them.

``keras.datasets.fashion_mnist.load_data()`` first looks in ``$KERAS_HOME/datasets/fashion-mnist``
(``~/.keras`` by default) and only downloads what is missing, without checking hashes. So once
``provision()`` has copied the files there, the tutorial's own call works offline. ``verify()``
decodes the files itself, so a missing or damaged file gives a message that says what to run
instead of a traceback from inside Keras.
"""

import gzip
import hashlib
import os
import shutil
import sys
from pathlib import Path

import numpy as np

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
DEBIAN_DIR = Path("/usr/share/datasets/fashion-mnist")
FIX = ("Run `make data` in the course folder (or `python -m course.data provision`) to copy the "
       "files into place; on a machine without Debian's dataset-fashion-mnist package, "
       "`python -m course.data provision --download` fetches them once from the internet.")


class DataError(RuntimeError):
    """Fashion-MNIST is missing or damaged; the message says what to run."""


def keras_dir():
    """The folder Keras' fashion_mnist.load_data() reads before it downloads."""
    home = os.environ.get("KERAS_HOME", os.path.join("~", ".keras"))
    return Path(os.path.expanduser(home)) / "datasets" / "fashion-mnist"


def _decode(path, kind):
    header = 8 if kind == "labels" else 16
    with gzip.open(path, "rb") as f:
        raw = f.read()
    return np.frombuffer(raw, np.uint8, offset=header)


def _check_file(path, kind, shape, digest):
    if not path.is_file():
        raise DataError(f"Fashion-MNIST file missing: {path}. {FIX}")
    try:
        array = _decode(path, kind)
    except (OSError, EOFError, ValueError) as err:
        raise DataError(f"Fashion-MNIST file {path} cannot be read ({err}). "
                        f"It is damaged; delete it and provision again. {FIX}") from None
    size = int(np.prod(shape))
    if array.size != size:
        raise DataError(f"Fashion-MNIST file {path} holds {array.size} values where "
                        f"{size} {kind} are expected {shape}. It is damaged or truncated. {FIX}")
    array = array.reshape(shape)
    if kind == "labels" and array.max() > 9:
        raise DataError(f"Fashion-MNIST labels in {path} go up to {array.max()}, not 0..9. {FIX}")
    if hashlib.sha256(array.tobytes()).hexdigest() != digest:
        raise DataError(f"Fashion-MNIST file {path} decodes to the right shape but the wrong "
                        f"values (checksum mismatch). It is damaged. {FIX}")
    return array


def verify(directory=None):
    """Decode and check the four files; return {name: array}. Raises DataError with the fix."""
    directory = Path(directory) if directory else keras_dir()
    return {name: _check_file(directory / name, *spec) for name, spec in FILES.items()}


def require_data():
    """Check the data is in place before the tutorial's load_data() runs; raise DataError if not."""
    verify()


def load_data():
    """The tutorial's ``fashion_mnist.load_data()``, after checking the files are there and whole."""
    arrays = verify()
    return ((arrays["train-images-idx3-ubyte.gz"], arrays["train-labels-idx1-ubyte.gz"]),
            (arrays["t10k-images-idx3-ubyte.gz"], arrays["t10k-labels-idx1-ubyte.gz"]))


def provision(source=None, download=False):
    """Copy the four files into keras_dir() from ``source`` (default: Debian's folder).

    Files already there and whole are left alone. With ``download=True`` and no local
    source, Keras fetches them from the internet.
    """
    target = keras_dir()
    try:
        verify(target)
        return target
    except DataError:
        pass
    source = Path(source or os.environ.get("FASHION_MNIST_SOURCE") or DEBIAN_DIR)
    if all((source / name).is_file() for name in FILES):
        verify(source)  # never copy damaged files into place
        target.mkdir(parents=True, exist_ok=True)
        for name in FILES:
            partial = target / (name + ".part")
            shutil.copyfile(source / name, partial)
            partial.replace(target / name)
    elif download:
        for name in FILES:
            (target / name).unlink(missing_ok=True)
        from keras.datasets import fashion_mnist
        fashion_mnist.load_data()
    else:
        raise DataError(f"No Fashion-MNIST files in {source}. Install Debian's "
                        "`dataset-fashion-mnist` package (make setup does), pass --from DIR, "
                        "or use --download on a machine with internet.")
    verify(target)
    return target


def main(argv=None):
    import argparse
    parser = argparse.ArgumentParser(prog="python -m course.data", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    put = sub.add_parser("provision", help="copy the files to where Keras looks")
    put.add_argument("--from", dest="source", help=f"folder with the four .gz files (default {DEBIAN_DIR})")
    put.add_argument("--download", action="store_true", help="let Keras download them if no folder has them")
    sub.add_parser("verify", help="decode and check the files Keras will read")
    args = parser.parse_args(argv)
    try:
        if args.command == "provision":
            where = provision(args.source, args.download)
        else:
            verify()
            where = keras_dir()
    except DataError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    print(f"Fashion-MNIST OK in {where}: 60000 training and 10000 test images, labels 0..9.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
