"""Files the grader takes out of a running box: the hand-overs, and nothing it did not ask for.

The grader reads the box's /tmp through ``/proc/<pid>/root`` of a process in the box. Every
component below that is opened with ``O_NOFOLLOW`` relative to the one above (``dir_fd``): a
link the kernel planted is refused, never followed, so the walk cannot leave the box's /tmp.
Only names the grader asks for are taken (``<grade id>.json`` and ``<grade id>.npz`` of a grade
cell it knows), each a regular file of at most ``max_bytes``, read in one bounded read, and
written into a host folder the grader emptied (never over a link).
"""

import os
import stat
from pathlib import Path

MAX_FILE_BYTES = 64 * 1024 ** 2     # a hand-over larger than this is left in the box
MAX_FILES = 64                      # files at most per pull
DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
FILE_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC


def _walk(root_fd, parts):
    """An fd of the folder ``parts`` below ``root_fd``, no link followed, or None."""
    fd = os.dup(root_fd)
    try:
        for part in parts:
            if part in ("", ".", "..") or "/" in part:
                raise OSError("bad component")
            next_fd = os.open(part, DIR_FLAGS, dir_fd=fd)
            os.close(fd)
            fd = next_fd
        return fd
    except OSError:
        os.close(fd)
        return None


def _read(dir_fd, name, max_bytes):
    """The bytes of the regular file ``name`` in ``dir_fd`` (no link, at most ``max_bytes``), or None."""
    try:
        fd = os.open(name, FILE_FLAGS, dir_fd=dir_fd)
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size > max_bytes:
            return None
        chunks, left = [], max_bytes + 1
        while left > 0:
            chunk = os.read(fd, min(left, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        data = b"".join(chunks)
        return data if len(data) <= max_bytes else None
    except OSError:
        return None
    finally:
        os.close(fd)


def _write(folder, name, data):
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / name
    if target.is_symlink() or target.exists():
        target.unlink()
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


def pull(root, inside, names, target, max_bytes=MAX_FILE_BYTES, max_files=MAX_FILES):
    """Copy the files ``names`` of the box's folder ``inside`` (absolute, in the box) through
    ``root`` (``/proc/<pid>/root``) into the host folder ``target``; return the names copied."""
    names = [n for n in names if n and "/" not in n and n not in (".", "..")][:max_files]
    try:
        root_fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)   # the box's root itself
    except OSError:
        return []
    try:
        folder_fd = _walk(root_fd, [p for p in Path(inside).parts if p != "/"])
    finally:
        os.close(root_fd)
    if folder_fd is None:
        return []
    copied = []
    try:
        for name in names:
            data = _read(folder_fd, name, max_bytes)
            if data is not None:
                _write(Path(target), name, data)
                copied.append(name)
    finally:
        os.close(folder_fd)
    return copied


def is_socket(root, inside):
    """Is ``inside`` (absolute, in the box) a socket, reached with no link followed?"""
    parts = [p for p in Path(inside).parts if p != "/"]
    try:
        root_fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError:
        return False
    try:
        folder_fd = _walk(root_fd, parts[:-1])
    finally:
        os.close(root_fd)
    if folder_fd is None:
        return False
    try:
        return stat.S_ISSOCK(os.stat(parts[-1], dir_fd=folder_fd, follow_symlinks=False).st_mode)
    except OSError:
        return False
    finally:
        os.close(folder_fd)
