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


class Failed(AssertionError):
    """A judge's failure: str() is the student's message. Raised by ``require``, never by an
    ``assert`` (verdicts must hold under ``python -O``, which strips asserts)."""


def require(condition, key, lang="en", **values):
    """Raise Failed with the message ``key`` (filled with ``values``, only when it fails) unless
    ``condition`` holds. An explicit check: it holds under ``python -O`` too."""
    if not condition:
        from ..messages import say
        raise Failed(say(key, lang, **values))
