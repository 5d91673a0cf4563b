"""Grades that drift from the judge's: noticed by ``cnnbook autograde`` and ``report``.

Whenever the judge grades a submission (``cnnbook autograde``, or nbgrader's own
Autograde through :mod:`cnnbook.grader.doors`), the side table keeps two digests of what
it left: the gradebook's automatic scores of the submission (one per graded cell), and
the test cells of the ``autograded/`` copy (the judge's verdicts, as nbgrader saved
them). Anything that changes either afterwards - an ``nbgrader autograde`` run by a
configuration that does not load the course's, an edited gradebook, a hand-replaced
autograded notebook - makes the digests disagree. Manual grades (Formgrader's manual
scores) never count: they are kept beside the automatic ones.
"""

from __future__ import annotations

import hashlib
import json
import warnings
from pathlib import Path

import nbformat
from nbgrader.api import Gradebook, MissingEntry
from sqlalchemy.exc import SAWarning

from cnnbook.grader.judging import judge


def _digest_of(submission) -> str:
    items = sorted(
        (nb.notebook.name, g.cell.name, None if g.auto_score is None else float(g.auto_score))
        for nb in submission.notebooks
        for g in nb.grades
    )
    return hashlib.sha256(json.dumps(items).encode()).hexdigest()


def grades_digest(db_url: str, assignment: str, student: str) -> str | None:
    """Digest of the automatic scores of every graded cell of the submission."""
    with warnings.catch_warnings(), Gradebook(db_url) as gb:
        warnings.simplefilter("ignore", SAWarning)
        try:
            return _digest_of(gb.find_submission(assignment, student))
        except MissingEntry:
            return None


def grades_digests(db_url: str, assignment: str) -> dict[str, str]:
    """:func:`grades_digest` of every submission of the assignment, in one session."""
    with warnings.catch_warnings(), Gradebook(db_url) as gb:
        warnings.simplefilter("ignore", SAWarning)
        try:
            submissions = gb.find_assignment(assignment).submissions
        except MissingEntry:
            return {}
        return {sub.student.id: _digest_of(sub) for sub in submissions}


def test_cells_digest(notebooks: dict[str, object]) -> str:
    """Digest of the test cells (grade id and outputs) of notebooks given by name."""
    items = []
    for name in sorted(notebooks):
        nb = notebooks[name]
        if nb is None:
            items.append([name, None])
            continue
        for cell in nb.cells:
            if judge.cell_kind(cell) is judge.CellKind.TEST:
                outputs = [
                    {k: v for k, v in o.items() if k in ("output_type", "name", "text", "ename",
                                                         "evalue")}  # fmt: skip
                    for o in cell.get("outputs", [])
                ]
                gid = cell.metadata.get("nbgrader", {}).get("grade_id", "")
                items.append([name, gid, outputs])
    return hashlib.sha256(json.dumps(items, sort_keys=True, default=str).encode()).hexdigest()


def autograded_digest(folder: Path, notebooks: list[str], in_memory: dict | None = None) -> str:
    """Digest of the test cells of the autograded copy in ``folder`` (a notebook that is
    missing or unreadable counts as None); ``in_memory`` overrides files by name."""
    loaded = {}
    for name in notebooks:
        if in_memory and name in in_memory:
            loaded[name] = in_memory[name]
            continue
        try:
            loaded[name] = nbformat.read(str(folder / f"{name}.ipynb"), as_version=4)
        except (OSError, ValueError):
            loaded[name] = None
    return test_cells_digest(loaded)


def drifted(course, assignment: str, student: str, row: dict, notebooks: list[str],
            digests: dict[str, str] | None = None) -> str:
    """Why the gradebook or the autograded copy no longer matches what the judge recorded
    for ``student`` (``row``: the side-table row; ``digests``: :func:`grades_digests`,
    read once for the class), or "" when they match. A row from a cnnbook that kept no
    digests is not judged."""
    if not row.get("grades_digest"):
        return ""
    if digests is None:
        now_digest = grades_digest(course.db_url, assignment, student)
    else:
        now_digest = digests.get(student)
    if now_digest != row["grades_digest"]:
        from cnnbook.grader import gradebook

        now = gradebook.submission_score(course.db_url, assignment, student)
        shown = f"{now[0]:g}/{now[1]:g}" if now else "no grade"
        judged = row.get("score")
        judged = f"{judged:g}" if judged is not None else "?"
        return (
            f"the gradebook's automatic scores changed after the judge graded it "
            f"(now {shown}, the judge's {judged}): graded outside cnnbook's judge?"
        )
    folder = course.path("autograded", student, assignment)
    if row.get("autograded_digest") and folder.is_dir():
        if autograded_digest(folder, notebooks) != row["autograded_digest"]:
            return f"the autograded copy {folder} is not the one the judge wrote"
    return ""
