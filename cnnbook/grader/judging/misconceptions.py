"""The course's known mistakes (what a student gets wrong, in teaching terms): the loader.

The entries are course data, reviewed by course authors, in
``cnnbook/coursedata/misconceptions/<assignment>.toml``: a top-level
``assignment = "<assignment>"``, then one ``[[mistake]]`` table per realistic mistake in
one answer cell, with

* ``id``: a stable identifier ``psNN.<cell>.<slug of whole words>`` (gradebooks and
  reports keep it; never reuse one); ``aliases``: former ids of the entry, which
  :data:`BY_ID` still finds;
* ``cell``: the answer cell (its nbgrader ``grade_id``) it changes;
* ``name``: a short technical name (what the test catalogue calls it);
* ``functions``: the graded functions whose results it changes (its own, and any
  graded function that calls it);
* ``says``: ONE sentence naming the misconception, without code and without expected
  numbers; it is shown to the student after ``Likely mistake:``;
* ``reread``: the book section that explains the right idea, as (chapter number,
  section title) -- the title of a ``##`` heading of that chapter's page;
* how to make it from the reference answer: ``[[mistake.edit]]`` tables (``old`` ->
  ``new``, literal strings ``'''...'''``, each ``old`` found exactly once in the answer
  cell without its ``### BEGIN/END SOLUTION`` lines) or a whole replacement cell
  ``code = '''...'''``;
* ``diagnose`` (optional, default true): false for entries that are not misconceptions
  (importing the reference), which the tests use but feedback never names;
* ``priority`` (optional, default 0): breaks ties when two mistakes behave identically
  on a test (lower first), after "fewest functions changed" (see
  :mod:`cnnbook.grader.judging.diagnosis`).

Adding a mistake is adding one ``[[mistake]]`` table. :func:`load` checks every entry
(fields, id form, duplicates; ``tests/test_coursedata.py`` also checks every edit
against the reference answers). ``tests/exercise_catalogue.py`` takes its
``MISTAKES`` from here; the judge (:mod:`cnnbook.grader.judging.diagnosis`) names them in the
feedback; ``tools/build_solutions.py`` ships their results on the visible inputs (data,
never code) beside each released notebook. The data holds fragments of the reference
answers: it is instructor-side, never in the sandbox or a release.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

from cnnbook.coursedata import FOLDER as COURSEDATA
from cnnbook.coursedata import CourseDataError, check_fields, read
from cnnbook.grader import cells
from cnnbook.grading.book import CHAPTERS

#: Where the entries are: one TOML file per assignment.
FOLDER = COURSEDATA / "misconceptions"
#: Each field of a ``[[mistake]]`` table and its TOML type.
TYPES = {"id": str, "cell": str, "name": str, "functions": list, "says": str, "reread": list,
         "aliases": list, "priority": int, "diagnose": bool, "code": str, "edit": list}
REQUIRED = {"id", "cell", "name", "functions", "says", "reread"}
OPTIONAL = set(TYPES) - REQUIRED
ID = re.compile(r"ps\d\d\.[a-z0-9_]+\.[a-z0-9]+(-[a-z0-9]+)*")

@dataclass(frozen=True)
class Misconception:
    id: str
    assignment: str
    cell: str  # grade_id of the answer cell
    name: str
    functions: tuple[str, ...]
    says: str
    reread: tuple[str, str]  # (chapter number, section title)
    edits: tuple[tuple[str, str], ...] = ()
    code: str | None = None
    diagnose: bool = True
    priority: int = 0
    aliases: tuple[str, ...] = ()  # former ids (gradebooks keep them)
    origin: str = field(default="", compare=False)  # the file it was read from

    @property
    def section(self) -> str:
        """Where to reread, for the student: section, chapter title and page."""
        path, title = CHAPTERS[self.reread[0]]
        return f"section '{self.reread[1]}' of '{title}' ({path})"

    @property
    def line(self) -> str:
        """The feedback line naming this misconception."""
        return f"Likely mistake: {self.says} Reread {self.section}."

    def source(self, reference_cell: str) -> str:
        """The answer cell with this mistake, from the reference answer cell's source."""
        if self.code is not None:
            return textwrap.dedent(self.code).strip("\n") + "\n"
        source = cells.without_solution_markers(reference_cell)
        for old, new in self.edits:
            count = source.count(old)
            if count != 1:
                raise CourseDataError(
                    f"{self.origin}: {self.id}: expected {old!r} exactly once in the "
                    f"answer cell {self.cell}, found {count}"
                )
            source = source.replace(old, new)
        return source


def _entry(path: Path, assignment: str, n: int, raw: dict) -> Misconception:
    where = f"{path}: mistake {n + 1}" + (f" ({raw['id']})" if "id" in raw else "")
    check_fields(where, raw, REQUIRED, OPTIONAL)
    for key, value in raw.items():
        if not isinstance(value, TYPES[key]):
            raise CourseDataError(f"{where}: {key} must be a {TYPES[key].__name__}")
    if "code" in raw and "edit" in raw:
        raise CourseDataError(f"{where}: has both code and edit (give one)")
    if "code" not in raw and not raw.get("edit"):
        raise CourseDataError(f"{where}: has neither code nor an edit")
    edits = []
    for k, edit in enumerate(raw.get("edit", [])):
        check_fields(f"{where}, edit {k + 1}", edit, {"old", "new"})
        edits.append((edit["old"], edit["new"]))
    if not ID.fullmatch(raw["id"]) or raw["id"].split(".")[:2] != [assignment[:4], raw["cell"]]:
        raise CourseDataError(
            f"{where}: id must read {assignment[:4]}.{raw['cell']}.<slug of whole words>"
        )
    if len(raw["reread"]) != 2 or raw["reread"][0] not in CHAPTERS:
        raise CourseDataError(f"{where}: reread must be [chapter number, section title]")
    return Misconception(
        id=raw["id"], assignment=assignment, cell=raw["cell"], name=raw["name"],
        functions=tuple(raw["functions"]), says=raw["says"], reread=tuple(raw["reread"]),
        edits=tuple(edits), code=raw.get("code"), diagnose=raw.get("diagnose", True),
        priority=raw.get("priority", 0), aliases=tuple(raw.get("aliases", ())),
        origin=str(path),
    )  # fmt: skip


def load(folder: Path = FOLDER) -> list[Misconception]:
    """Every entry of the ``*.toml`` files of ``folder`` (one per assignment, in file
    name order, entries in file order); raises :class:`CourseDataError` naming the file
    and the entry for an unknown or missing field or a duplicate id or alias."""
    entries: list[Misconception] = []
    seen: dict[str, str] = {}
    for path in sorted(Path(folder).glob("*.toml")):
        data = read(path)
        check_fields(str(path), data, {"assignment", "mistake"})
        if not isinstance(data["mistake"], list):
            raise CourseDataError(f"{path}: the entries must be [[mistake]] tables")
        if path.stem != data["assignment"]:
            raise CourseDataError(f"{path}: assignment {data['assignment']!r} in a file not "
                                  f"named after it ({data['assignment']}.toml)")  # fmt: skip
        for n, raw in enumerate(data["mistake"]):
            m = _entry(path, data["assignment"], n, raw)
            for name in (m.id, *m.aliases):
                if name in seen:
                    raise CourseDataError(f"{path}: duplicate id {name!r} (also in {seen[name]})")
                seen[name] = str(path)
            entries.append(m)
    return entries


MISCONCEPTIONS: list[Misconception] = load()

#: Every entry by id, and by each of its former ids (``aliases``: gradebooks keep ids).
BY_ID: dict[str, Misconception] = {
    name: m for m in MISCONCEPTIONS for name in (m.id, *m.aliases)
}  # fmt: skip


def for_assignment(assignment: str, diagnosable: bool = True) -> list[Misconception]:
    """The entries of one assignment, in catalogue order (only diagnosable ones by default)."""
    return [
        m for m in MISCONCEPTIONS
        if m.assignment == assignment and (m.diagnose or not diagnosable)
    ]  # fmt: skip
