"""The run state in .grading/: what each submission's last run gave, kept beside the gradebook.

A submission is skipped as "unchanged" only when its fingerprint is the same AND the gradebook
still holds the submission this state recorded (the nbgrader submission id is kept here). After
`make clean` or a new gradebook, the stored results are recorded again without running anything.
"""

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from .status import Result, Status

from ..paths import STATE_DIR  # noqa: E402,F401 (one place for paths: autograder/paths.py)


@dataclass
class Entry:
    fingerprint: str
    status: Status
    detail: str = ""
    seconds: float | None = None
    peak_memory_mb: float | None = None
    sandboxed: bool = False
    recorded_as: str | None = None   # the gradebook's submission id once recorded

    @classmethod
    def load(cls, data):
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        known["status"] = Status(known["status"])
        return cls(**known)


class State:
    """Written by the coordinator alone, one atomic write per change."""

    def __init__(self, course, assignment):
        self.path = Path(course) / STATE_DIR / f"{assignment}.json"
        self.results_dir = Path(course) / STATE_DIR / "results"
        raw = json.loads(self.path.read_text()) if self.path.exists() else {}
        self.entries: dict[str, Entry] = {student: Entry.load(data) for student, data in raw.items()}

    def get(self, student):
        return self.entries.get(student)

    def is_done(self, job, recorded_ids):
        """Same fingerprint, and the gradebook holds the submission this state recorded."""
        entry = self.entries.get(job.student)
        return (entry is not None and entry.fingerprint == job.fingerprint
                and entry.recorded_as is not None and recorded_ids.get(job.student) == entry.recorded_as)

    def has_result(self, job):
        """A finished run of this exact submission, whether or not the gradebook has it."""
        entry = self.entries.get(job.student)
        return (entry is not None and entry.fingerprint == job.fingerprint
                and entry.status not in (Status.FAILED,)
                and (self.results_dir / job.student / job.assignment).is_dir())

    def may_be_done(self, job):
        """False when ``job`` is graded whatever the gradebook holds: no stored result of this
        exact submission and no record of it (the coordinator starts its worker before reading
        the gradebook)."""
        entry = self.entries.get(job.student)
        return (entry is not None and entry.fingerprint == job.fingerprint
                and (entry.recorded_as is not None or self.has_result(job)))

    def record(self, job, result: Result):
        self.entries[job.student] = Entry(job.fingerprint, result.status, result.detail, result.seconds,
                                          result.peak_memory_mb, result.sandboxed)
        self.save()

    def mark_recorded(self, student, submission_id):
        self.entries[student].recorded_as = submission_id
        self.save()

    def mark_not_recorded(self, student, why):
        entry = self.entries[student]
        entry.recorded_as = None
        entry.detail = (entry.detail + "; " if entry.detail else "") + why
        self.save()

    def save(self):
        self.path.parent.mkdir(parents=True, exist_ok=True)
        data = {student: {**asdict(entry), "status": str(entry.status)}
                for student, entry in sorted(self.entries.items())}
        partial = self.path.with_suffix(".partial")
        partial.write_text(json.dumps(data, indent=1, sort_keys=True))
        os.replace(partial, self.path)
