"""What a judge decided about one grade cell."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Verdict:
    grade_id: str
    passed: bool
    message: str = ""          # why it failed, in the notebook's language (empty when it passed)

    @classmethod
    def failed(cls, grade_id, message):
        return cls(grade_id, False, message)
