"""The course's data, kept as data (TOML files reviewed by course authors), and its reader.

Files
-----
chapters.toml        the book's chapters and the sections hints point to
                     (read by :mod:`cnnbook.grading.book`; the sandbox gets a copy)
assignments.toml     the graded assignments, the one list tools, tests and docs read
                     (read by :mod:`cnnbook.grader.assignments`)
misconceptions/      the known mistakes, one file per assignment (read by
                     :mod:`cnnbook.grader.judging.misconceptions`). They hold fragments
                     of the reference answers: never in the sandbox or a release.

This module only finds and parses the files; each reader above checks its own fields.
"""

from __future__ import annotations

import sys
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - the course runs on 3.11; tomli is tomllib's backport
    import tomli as tomllib

FOLDER = Path(__file__).resolve().parent


class CourseDataError(ValueError):
    """A course data file is malformed; the message names the file (and the entry)."""


def read(path: Path | str) -> dict:
    """The parsed TOML file ``path`` (relative to this folder, or absolute)."""
    path = FOLDER / path
    try:
        with open(path, "rb") as f:
            return tomllib.load(f)
    except tomllib.TOMLDecodeError as e:
        raise CourseDataError(f"{path}: not valid TOML: {e}") from e


def check_fields(where: str, entry: dict, required: set[str], optional: set[str] = frozenset()):
    """Raise :class:`CourseDataError` naming ``where`` for a missing or unknown field."""
    missing = sorted(required - entry.keys())
    unknown = sorted(entry.keys() - required - optional)
    problems = []
    if unknown:
        known = ", ".join(sorted(required | set(optional)))
        problems.append(f"unknown field(s) {', '.join(unknown)} (known: {known})")
    if missing:
        problems.append(f"missing field(s) {', '.join(missing)}")
    if problems:
        raise CourseDataError(f"{where}: {'; '.join(problems)}")
