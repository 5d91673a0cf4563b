"""The judge's decision on one test cell, and the failure's words."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Verdict:
    """The judge's decision on one test cell."""

    grade_id: str
    points: float
    max_points: float
    passed: bool
    message: str = ""  # why it failed, in the course's words
    stdout: str = ""  # what the test printed (e.g. the accuracy reached)
    diagnosis: str = ""  # id of the known mistake named in the message (diagnosis.py)


def failure_message(error: BaseException) -> str:
    if isinstance(error, AssertionError):
        text = str(error).strip()
        return text or "a check of this test failed"
    return (
        f"the test could not finish with what your code returned: {type(error).__name__}: {error}"
    )
