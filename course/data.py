"""Fashion-MNIST on disk: put the four original files where Keras looks, and check them.

``keras.datasets.fashion_mnist.load_data()`` first looks in ``$KERAS_HOME/datasets/fashion-mnist``
(``~/.keras`` by default) and only downloads what is missing, without checking hashes. So once
``provision()`` has copied the files there, the tutorial's own call works offline. ``verify()``
decodes the files itself, so a missing or damaged file gives a message that says what to run
instead of a traceback from inside Keras. Students' notebooks load the data with the student
package (fashion_mnist_student.load_data), which also reads the files beside the notebook.
"""

import os
import shutil
import sys
from pathlib import Path

from fashion_mnist_student import data as student_data
from fashion_mnist_student.data import FILES, DataError, as_splits, keras_dir

DEBIAN_DIR = Path("/usr/share/datasets/fashion-mnist")
FIX = ("Run `make data` in the course folder (or `python -m course.data provision`) to copy the "
       "files into place; on a machine without Debian's dataset-fashion-mnist package, "
       "`python -m course.data provision --download` fetches them once from the internet.")

__all__ = ["DEBIAN_DIR", "FILES", "TEST_FILES", "DataError", "keras_dir", "load_data", "load_test_data", "provision",
           "verify"]


TEST_FILES = ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")


def verify(directory=None, names=tuple(FILES)):
    """Decode and check the files ``names`` (all four by default); return {name: array}.
    Raises DataError with the fix.

    The decoding and the checks are the student package's (fashion_mnist_student.data); the fix
    named here is the instructor's."""
    directory = Path(directory) if directory else keras_dir()
    try:
        return student_data.verify(directory, names=names)
    except DataError as err:
        raise DataError(f"{err} {FIX}") from None


def load_data():
    """The tutorial's ``fashion_mnist.load_data()``, from the provisioned files, checked."""
    return as_splits(verify())


def load_test_data():
    """(test images, test labels), checked: what the grader measures a trained model on (the
    60,000 training images are not decoded)."""
    arrays = verify(names=TEST_FILES)
    return arrays[TEST_FILES[0]], arrays[TEST_FILES[1]]


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
