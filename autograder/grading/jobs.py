"""What there is to grade: the submissions, and fingerprints of everything that decides a grade."""

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from .sandbox import Limits

ROOT = Path(__file__).resolve().parents[2]
# the code that grades: the hidden checks and preprocessors, and the shared course package the
# checks build their fixtures with (course.reference); a change to either changes every grade
GRADING_CODE = ("autograder", "course")
NOT_GRADING = ("report/",)   # the class report reads grades, it does not decide them
SKIP_PARTS = {"__pycache__", ".ipynb_checkpoints"}


def folder_files(folder, suffixes=None):
    """{relative path: bytes} of every file under ``folder``, in a stable order."""
    folder = Path(folder)
    return {str(p.relative_to(folder)): p.read_bytes()
            for p in sorted(folder.rglob("*"))
            if p.is_file() and not SKIP_PARTS & set(p.parts) and (suffixes is None or p.suffix in suffixes)}


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
    submission: dict[str, bytes]
    course: dict[str, bytes]      # nbgrader_config.py, the gradebook snapshot, the source's other files
    notebooks: list[str]          # notebook names the source expects
    fingerprint: str = ""
    limits: Limits = field(default_factory=Limits)
    workers: int = 1              # how many run at once on this machine: sizes the thread pools
    course_dir: str = ""          # the real course folder, hidden from the box where it exists


def course_files(course, assignment):
    """What a worker needs to run plain `nbgrader autograde` by itself. Not the source notebooks:
    nbgrader restores locked cells from the gradebook, and the solutions stay out of the box."""
    course = Path(course)
    files = {"nbgrader_config.py": (course / "nbgrader_config.py").read_bytes(),
             "gradebook.db": (course / "gradebook.db").read_bytes()}
    source = course / "solutions" / assignment
    for name, data in folder_files(source).items():
        if not name.endswith(".ipynb"):
            files[f"solutions/{assignment}/{name}"] = data
    return files


def grading_fingerprint(course, assignment, limits: Limits):
    """Changes with anything that decides a grade: the source notebooks, the course's nbgrader
    configuration (cell time limit, preprocessors), the grading code and data, and the limits."""
    course = Path(course)
    code = {f"{package}/{name}": data for package in GRADING_CODE
            for name, data in folder_files(ROOT / package, {".py", ".json"}).items()
            if not name.startswith(NOT_GRADING)}
    return fingerprint(folder_files(course / "solutions" / assignment),
                       {"nbgrader_config.py": (course / "nbgrader_config.py").read_bytes()},
                       code, {"limits": json.dumps(limits.grade_relevant(), sort_keys=True).encode()})


def find_jobs(course, assignment, limits: Limits, workers=1):
    course = Path(course)
    shared = course_files(course, assignment)
    grading = grading_fingerprint(course, assignment, limits)
    notebooks = sorted(p.name for p in (course / "solutions" / assignment).glob("*.ipynb"))
    jobs = []
    for folder in sorted((course / "submitted").glob(f"*/{assignment}")):
        if folder.is_dir():
            files = folder_files(folder)
            jobs.append(Job(folder.parent.name, assignment, files, shared, notebooks,
                            fingerprint(files, {"grading": grading.encode()}), limits, workers,
                            str(course.resolve())))
    return jobs


def submission_unchanged(course, job):
    """Is the submitted folder still what was graded? (Checked again after the run.)"""
    folder = Path(course) / "submitted" / job.student / job.assignment
    return folder.is_dir() and folder_files(folder) == job.submission
