"""An assignment's tests as the judge reads them: its cells, their kinds, its functions.

From the instructor's source notebook (visible and hidden tests, the reference
answers); cell kinds follow nbgrader's metadata (:mod:`cnnbook.grader.cells`).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from enum import Enum

import nbformat

from cnnbook.grader import cells


class CellKind(str, Enum):
    ANSWER = "answer"  # the student's code (a solution region)
    CODE = "code"  # locked instructor code run in both places (imports, data)
    DRIVER = "driver"  # locked instructor code that calls the student's functions
    TEST = "test"  # a graded test cell
    OTHER = "other"  # markdown, unlocked scratch cells


@dataclass(frozen=True)
class Cell:
    index: int
    kind: CellKind
    grade_id: str
    source: str
    points: float = 0.0

    @property
    def visible_source(self) -> str:
        """The test cell as the student's release shows it (hidden tests removed)."""
        return cells.without_hidden_tests(self.source).rstrip()


def cell_kind(cell) -> CellKind:
    """What the judge does with a notebook cell (nbgrader's kinds: :mod:`cnnbook.grader.cells`)."""
    if cell.get("cell_type") != "code":
        return CellKind.OTHER
    if cells.is_answer(cell):
        return CellKind.ANSWER
    if cells.is_test(cell):
        return CellKind.TEST
    if cell.get("metadata", {}).get("cnnbook", {}).get("role") == "driver":
        return CellKind.DRIVER
    if cells.is_locked(cell):
        return CellKind.CODE
    return CellKind.OTHER


def defined_names(source: str) -> list[str]:
    """Top-level names an answer cell defines (functions, classes, imports, assignments)."""
    try:
        tree = ast.parse(cells.blank_solution_markers(source))
    except SyntaxError:
        return []
    names = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.append(node.name)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names += [(a.asname or a.name).split(".")[0] for a in node.names if a.name != "*"]
    return names


@dataclass
class AssignmentTests:
    """An assignment's cells as the judge needs them, from its instructor source notebook."""

    name: str
    cells: list[Cell]
    functions: list[str]
    sandbox_modules: tuple[str, ...] = ()

    @classmethod
    def from_notebook(cls, nb, name: str = "") -> AssignmentTests:
        found = []
        functions: list[str] = []
        for i, cell in enumerate(nb.cells):
            kind = cell_kind(cell)
            nbg = cell.get("metadata", {}).get("nbgrader", {})
            found.append(
                Cell(i, kind, cells.grade_id(cell, f"cell-{i}"), cell.source,
                     float(nbg.get("points", 0) or 0))
            )  # fmt: skip
            if kind is CellKind.ANSWER:
                functions += [n for n in defined_names(cell.source) if n not in functions]
        meta = nb.metadata.get("cnnbook", {})
        return cls(name, found, functions, tuple(meta.get("sandbox_modules", ())))

    @classmethod
    def from_path(cls, path, name: str = "") -> AssignmentTests:
        return cls.from_notebook(nbformat.read(str(path), as_version=4), name)

    @property
    def tests(self) -> list[Cell]:
        return [c for c in self.cells if c.kind is CellKind.TEST]


def imported_names(tests: AssignmentTests) -> set[str]:
    """Names answer cells bring in by import (ps07's layers), not by definition."""
    names = set()
    for cell in tests.cells:
        if cell.kind is CellKind.ANSWER:
            try:
                tree = ast.parse(cells.blank_solution_markers(cell.source))
            except SyntaxError:
                continue
            for node in tree.body:
                if isinstance(node, ast.Import | ast.ImportFrom):
                    names |= {(a.asname or a.name).split(".")[0] for a in node.names}
    return names
