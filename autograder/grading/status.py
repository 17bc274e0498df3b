"""What happened to one submission: a status from one enum and one typed result."""

from dataclasses import asdict, dataclass, field
from enum import StrEnum


class Status(StrEnum):
    GRADED = "graded"                  # the gradebook holds its score
    TIMED_OUT = "timed out"            # a cell or the whole notebook ran past its limit
    KERNEL_DIED = "kernel died"        # os._exit, a crash, a killed kernel
    MISSING = "missing notebook"       # submitted without the notebook: recorded with 0
    BAD_FILE = "bad file"              # the notebook is not one (bad JSON, a link, too large): recorded with 0
    FAILED = "failed"                  # the grader could not run it; the detail says why
    NOT_RECORDED = "not recorded"      # ran, but the gradebook could not record it


# every status except these means the submission's notebook ran and has a score
PROBLEMS = {Status.FAILED, Status.NOT_RECORDED}
# never run: recorded in the gradebook with an empty submission (0 points) and the reason
NEVER_RAN = {Status.MISSING, Status.BAD_FILE}


@dataclass
class Result:
    """A worker's answer for one submission; bytes travel back to the coordinator, no shared disk."""
    student: str
    status: Status
    detail: str = ""
    notebooks: dict[str, str] = field(default_factory=dict)   # name -> executed notebook (JSON text)
    handover: dict[str, bytes] = field(default_factory=dict)  # files the checks leave for the grader
    seconds: float = 0.0
    peak_memory_mb: float | None = None
    sandboxed: bool = False
    log_tail: str = ""

    def summary(self):
        """What the run state keeps (no notebooks, no bytes)."""
        kept = asdict(self)
        for name in ("notebooks", "handover", "log_tail"):
            kept.pop(name)
        kept["status"] = str(self.status)
        return kept
