"""The graded assignments: the one list every tool, test and doc reads.

Read from the course data ``cnnbook/coursedata/assignments.toml`` (one ``[[assignment]]``
table each: ``name``, ``chapters``, ``implements``). Adding an assignment psNN is adding
its table there and its source module ``tools/exercise_sources/psNN_*.py``; the build
(``tools/build_solutions.py``), the tests (``tests/exercise_harness.py``) and the README
table follow (``tests/test_coursedata.py`` checks that they do).
"""

from __future__ import annotations

from dataclasses import dataclass

from cnnbook.coursedata import CourseDataError, check_fields, read


@dataclass(frozen=True)
class Assignment:
    name: str  # the nbgrader assignment id, the notebook's and the source module's name
    chapters: tuple[str, ...]  # the book chapters it practises ("02", "03")
    implements: str  # what students implement (Markdown, for the README table)


def load(path: str = "assignments.toml") -> tuple[Assignment, ...]:
    """The assignments of ``path`` (in the course data folder), in teaching order."""
    data = read(path)
    check_fields(path, data, {"assignment"})
    found = []
    for n, raw in enumerate(data["assignment"]):
        where = f"{path}: assignment {n + 1}" + (f" ({raw['name']})" if "name" in raw else "")
        check_fields(where, raw, {"name", "chapters", "implements"})
        found.append(Assignment(raw["name"], tuple(raw["chapters"]), raw["implements"]))
    names = [a.name for a in found]
    if len(set(names)) != len(names):
        raise CourseDataError(f"{path}: an assignment is listed twice: {names}")
    return tuple(found)


ASSIGNMENTS: tuple[Assignment, ...] = load()

#: The assignments' names, in teaching order.
NAMES: tuple[str, ...] = tuple(a.name for a in ASSIGNMENTS)
