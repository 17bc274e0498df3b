"""What there is to grade: submissions, their fingerprints, and the state of earlier runs."""

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

STATE_DIR = ".grading"


def folder_files(folder):
    """{relative path: bytes} of every file under ``folder``, in a stable order."""
    folder = Path(folder)
    return {str(p.relative_to(folder)): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file() and ".ipynb_checkpoints" not in p.parts}


def fingerprint(*file_maps):
    digest = hashlib.sha256()
    for files in file_maps:
        for name, data in sorted(files.items()):
            digest.update(name.encode() + b"\0" + hashlib.sha256(data).digest())
    return digest.hexdigest()


@dataclass
class Job:
    """One student's submission, with everything a worker on any machine needs."""
    student: str
    assignment: str
    submission: dict            # {relative path: bytes}
    course: dict                # config, source notebooks, gradebook snapshot
    notebooks: list             # notebook names the source expects
    fingerprint: str = ""
    limits: dict = field(default_factory=dict)


def course_files(course, assignment):
    """The parts of the course a worker needs to run plain `nbgrader autograde` by itself."""
    course = Path(course)
    files = {"nbgrader_config.py": (course / "nbgrader_config.py").read_bytes(),
             "gradebook.db": (course / "gradebook.db").read_bytes()}
    source = course / "solutions" / assignment
    for name, data in folder_files(source).items():
        files[f"solutions/{assignment}/{name}"] = data
    return files


def source_fingerprint(course, assignment):
    """Changes when the assignment or the checks change, so everything is graded again."""
    checks = Path(__file__).resolve().parents[1]
    return fingerprint(folder_files(Path(course) / "solutions" / assignment),
                       {p.name: p.read_bytes() for p in sorted(checks.glob("*.py"))},
                       {"calibration.json": (checks / "calibration.json").read_bytes()})


def find_jobs(course, assignment, limits):
    course = Path(course)
    shared = course_files(course, assignment)
    source = source_fingerprint(course, assignment)
    notebooks = sorted(p.name for p in (course / "solutions" / assignment).glob("*.ipynb"))
    jobs = []
    for folder in sorted((course / "submitted").glob(f"*/{assignment}")):
        if folder.is_dir():
            files = folder_files(folder)
            jobs.append(Job(folder.parent.name, assignment, files, shared, notebooks,
                            fingerprint(files, {"source": source.encode()}), limits))
    return jobs


class State:
    """Results of earlier runs, written by the coordinator alone, one atomic write per result."""

    def __init__(self, course, assignment):
        self.path = Path(course) / STATE_DIR / f"{assignment}.json"
        self.results_dir = Path(course) / STATE_DIR / "results"
        self.data = json.loads(self.path.read_text()) if self.path.exists() else {}

    def is_done(self, job):
        entry = self.data.get(job.student)
        return bool(entry) and entry["fingerprint"] == job.fingerprint and entry.get("imported")

    def record(self, job, result, imported=False):
        self.data[job.student] = {"fingerprint": job.fingerprint, "status": result["status"],
                                  "detail": result.get("detail", ""), "seconds": result.get("seconds"),
                                  "imported": imported}
        self.save()

    def mark_imported(self, student):
        self.data[student]["imported"] = True
        self.save()

    def save(self):
        self.path.parent.mkdir(parents=True, exist_ok=True)
        partial = self.path.with_suffix(".partial")
        partial.write_text(json.dumps(self.data, indent=1, sort_keys=True))
        os.replace(partial, self.path)
