"""Staging a submission: a private copy with no links and no special files, its
notebooks sanitized as nbgrader's Autograde does, and the job the sandbox runs.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import nbformat
from nbgrader.converters import Autograde

from cnnbook.grader.judging import judge

#: The student's own files beside the notebook (a helper module, say) go to the sandbox
#: within these caps; what is refused is named in the submission's reason.
MAX_STUDENT_FILE_BYTES = 5 * 1024 * 1024
MAX_STUDENT_FILES_BYTES = 20 * 1024 * 1024
MAX_STUDENT_FILES = 100


def only_plain_files(folder: str, names: list[str]) -> set[str]:
    """copytree filter: hidden files, and anything but files, folders and symlinks
    (a FIFO would hang the copy), stay behind; symlinks are removed after the copy."""
    skip = set()
    for name in names:
        p = Path(folder) / name
        if name.startswith(".") or not (p.is_symlink() or p.is_file() or p.is_dir()):
            skip.add(name)
    return skip


def in_shard(student: str, k: int, n: int) -> bool:
    """Whether ``student`` is graded by shard ``k`` of ``n`` (1-based), stable across runs.

    Machines sharing a PostgreSQL gradebook (safe for concurrent writers, unlike SQLite)
    and the course folder can each take one shard of a large class.
    """
    return int(hashlib.sha256(student.encode()).hexdigest(), 16) % n == k - 1


def fingerprint(folder: Path) -> str:
    """SHA-256 of a submission folder's files (names and contents)."""
    h = hashlib.sha256()
    for p in sorted(folder.rglob("*")):
        if p.is_file() and not p.is_symlink():
            h.update(str(p.relative_to(folder)).encode() + b"\0")
            with open(p, "rb") as f:
                for chunk in iter(lambda: f.read(1 << 20), b""):
                    h.update(chunk)
    return h.hexdigest()


def student_files(submission: Path, dest: Path) -> list[str]:
    """Copy the student's own files (not notebooks, no links) beside their notebook,
    within size caps; returns what was refused, and why."""
    refused, total, count = [], 0, 0
    for f in sorted(submission.rglob("*")):
        rel = f.relative_to(submission)
        if f.suffix == ".ipynb" or rel.parts[0].startswith(".") or rel.name == "timestamp.txt":
            continue
        if f.is_symlink() or not f.is_file():
            continue
        size = f.stat().st_size
        if size > MAX_STUDENT_FILE_BYTES:
            refused.append(f"{rel} is over {MAX_STUDENT_FILE_BYTES // 2**20} MB")
            continue
        if total + size > MAX_STUDENT_FILES_BYTES or count >= MAX_STUDENT_FILES:
            refused.append(f"{rel}: the submission's files are over the size or count limit")
            continue
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(f, dest / rel)
        total += size
        count += 1
    return refused


def student_code_only(nb) -> dict:
    """The notebook the sandbox runs: the student's code and the locked set-up cells;
    test cells (visible and hidden) and driver cells are left empty, so no test code
    and no expected value ever enters the sandbox."""
    nb = nbformat.from_dict(json.loads(json.dumps(nb)))
    for cell in nb.cells:
        if judge.cell_kind(cell) in (judge.CellKind.TEST, judge.CellKind.DRIVER):
            cell.source = ""
            cell.outputs = []
    return nb


def sanitize(path: Path, course, student: str, assignment: str, notebook: str):
    """nbgrader's sanitize stage, exactly as its Autograde converter configures it."""
    nb = nbformat.read(str(path), as_version=4)
    resources = {
        "nbgrader": {
            "student": student,
            "assignment": assignment,
            "notebook": notebook,
            "db_url": course.db_url,
        }
    }
    pps = course.config.Autograde.get("sanitize_preprocessors") or list(
        Autograde.class_traits()["sanitize_preprocessors"].default()
    )
    for pp_class in pps:
        nb, resources = pp_class(config=course.config)(nb, resources)
    return nb
