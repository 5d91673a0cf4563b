"""What ``cnnbook report`` reads from each submission folder, and never through a link.

The answer cells' code (for similarity), whether every answer cell is still as released
(blank work), the submission's ``timestamp.txt``, and the symbolic links the student
handed in (listed, never followed).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbgrader.utils import parse_utc

from cnnbook.grader import similarity
from cnnbook.grader.feedback import read_small, regular_file


def read_notebook(path: Path):
    """The notebook at ``path``, or None if it is not a regular file under 50 MB that
    nbformat can read (a corrupt notebook's status already says so)."""
    if not regular_file(path) or path.stat().st_size > 50 * 1024 * 1024:
        return None
    try:
        return nbformat.read(str(path), as_version=4)
    except Exception:  # noqa: BLE001 - corrupt: the status already says so
        return None


def _links(folder: Path) -> list[str]:
    """Symbolic links in a submission folder (never followed, bounded walk)."""
    from cnnbook.grader.isolation.staging import walk

    found: list[str] = []
    if folder.is_dir() and not folder.is_symlink():
        for _ in walk(folder, links=found):
            pass
    return sorted(found)


@dataclass
class SubmissionFiles:
    """What the report reads from one submission folder."""

    answers: str = ""  # the answer cells' code (for similarity)
    blank: bool = False  # every answer cell as released
    timestamp: dt.datetime | None = None
    links: list[str] = field(default_factory=list)


def read_submission(folder: Path, notebooks: list[str], release) -> SubmissionFiles:
    """``release``: notebook name -> the released notebook (for blank detection)."""
    out = SubmissionFiles(links=_links(folder))
    text = read_small(folder / "timestamp.txt")
    if text:
        try:
            out.timestamp = parse_utc(text.strip())
        except (ValueError, TypeError, OverflowError):
            pass
    codes, unchanged, seen = [], [], 0
    for name in notebooks:
        nb = read_notebook(folder / f"{name}.ipynb")
        if nb is None:
            continue
        seen += 1
        codes.append(similarity.answer_code(nb))
        released = release.get(name)
        if released is not None:
            stubs = _answer_sources(released)
            mine = _answer_sources(nb)
            unchanged.append(all(mine.get(k, "").strip() == v.strip() for k, v in stubs.items()))
    out.answers = "\n\n".join(codes)
    out.blank = bool(seen) and all(unchanged) and len(unchanged) == seen
    return out


def _answer_sources(nb) -> dict[str, str]:
    out = {}
    for cell in nb.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("solution"):
            out[meta.get("grade_id", "")] = str(cell.get("source", ""))
    return out
