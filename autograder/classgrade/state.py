"""What has been graded: ``.grading/ASSIGNMENT/state.json`` in the course, keyed by a hash of the
submission's bytes plus the assignment's source, and the workers' executed notebooks next to it.

A submission whose key is unchanged and whose result is recorded in the gradebook is not executed
again; one whose executed notebook is kept but not yet recorded (an interrupted run) is only
replayed. The file is rewritten atomically after every result, so an interrupted run loses
nothing it finished.
"""

import hashlib
import json
import os
from pathlib import Path

from . import GRADER_VERSION

IGNORED = {".ipynb_checkpoints", "__pycache__", ".DS_Store"}


def read_tree(folder):
    """{relative path: bytes} of every file under ``folder`` (empty if it does not exist)."""
    folder = Path(folder)
    files = {}
    if not folder.is_dir():
        return files
    for path in sorted(folder.rglob("*")):
        if path.is_file() and not IGNORED & set(path.relative_to(folder).parts):
            files[path.relative_to(folder).as_posix()] = path.read_bytes()
    return files


def tree_hash(files):
    digest = hashlib.sha256()
    for name in sorted(files):
        data = files[name]
        digest.update(f"{name}\0{len(data)}\0".encode())
        digest.update(data)
    return digest.hexdigest()


def submission_key(submission_files, source_files):
    """The key of one submission: its bytes, the assignment's source, the grader's version."""
    return hashlib.sha256(f"{GRADER_VERSION}:{tree_hash(submission_files)}:{tree_hash(source_files)}"
                          .encode()).hexdigest()


class State:
    def __init__(self, folder):
        self.folder = Path(folder)
        self.path = self.folder / "state.json"
        self.students = {}
        if self.path.exists():
            try:
                self.students = json.loads(self.path.read_text()).get("students", {})
            except (ValueError, OSError):
                self.students = {}  # a damaged state only costs re-execution

    def executed_dir(self, student):
        return self.folder / "executed" / student

    def get(self, student):
        return self.students.get(student, {})

    def needs(self, student, key, autograded_exists):
        """'nothing', 'replay' or 'execute'."""
        entry = self.get(student)
        if entry.get("key") != key:
            return "execute"
        if entry.get("recorded") and autograded_exists:
            return "nothing"
        if entry.get("executed"):
            return "replay"
        return "execute"

    def update(self, student, **fields):
        self.students.setdefault(student, {}).update(fields)
        self.save()

    def save(self):
        self.folder.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_suffix(".tmp")
        temporary.write_text(json.dumps({"students": self.students}, indent=1, sort_keys=True))
        os.replace(temporary, self.path)
