"""Staging a submission: a private copy with no links and no special files, its
notebooks sanitized as nbgrader's Autograde does, and the job the sandbox runs.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import nbformat
from nbgrader.converters import Autograde
from traitlets.utils.importstring import import_item

from cnnbook.grader import sanitizing
from cnnbook.grader.judging import judge

#: The student's own files beside the notebook (a helper module, say) go to the sandbox
#: within these caps; what is refused is named in the submission's reason.
MAX_STUDENT_FILE_BYTES = 5 * 1024 * 1024
MAX_STUDENT_FILES_BYTES = 20 * 1024 * 1024
MAX_STUDENT_FILES = 100
#: A notebook with more cells than this is not graded (nbgrader's steps are linear in
#: cells, and slow: 100 000 cells would hold up a grader for many minutes).
MAX_CELLS = 5000
#: A notebook bigger than this is not read (nbgrader would hold it in memory several times).
MAX_NOTEBOOK_BYTES = 64 * 1024 * 1024
#: Bounds of every walk through a submission folder (:func:`walk`).
MAX_WALK_DEPTH = 32
MAX_WALK_ENTRIES = 5000
#: Bytes of each file the fingerprint reads (its size is always in it).
FINGERPRINT_BYTES = 64 * 1024 * 1024


def in_shard(student: str, k: int, n: int) -> bool:
    """Whether ``student`` is graded by shard ``k`` of ``n`` (1-based), stable across runs.

    Machines sharing a PostgreSQL gradebook (safe for concurrent writers, unlike SQLite)
    and the course folder can each take one shard of a large class.
    """
    return int(hashlib.sha256(student.encode()).hexdigest(), 16) % n == k - 1


def fingerprint(folder: Path) -> str:
    """SHA-256 of a submission folder's files (names, sizes and contents), read as
    :func:`walk` reads them: whatever the folder holds, this returns."""
    h = hashlib.sha256()
    refused: list[str] = []
    for rel, path, size in walk(folder, refused):
        h.update(os.fsencode(rel) + b"\0" + str(size).encode() + b"\0")
        try:
            with open(path, "rb") as f:
                left = FINGERPRINT_BYTES
                while left > 0 and (chunk := f.read(min(1 << 20, left))):
                    h.update(chunk)
                    left -= len(chunk)
        except OSError as e:
            h.update(f"unreadable {e.errno}".encode())
    h.update("\0".join(refused).encode("utf-8", "replace"))
    return h.hexdigest()


def printable(name: str) -> str:
    """A file name as text that can always be written (a name that is not UTF-8 has
    its bad bytes as ``\\xNN``)."""
    return os.fsencode(name).decode("utf-8", "backslashreplace")[:300]


def walk(
    folder: Path, refused: list[str] | None = None, links: list[str] | None = None
) -> Iterator[tuple[str, Path, int]]:
    """The regular files under ``folder``: ``(relative name, path, size)``, sorted.

    Never follows a link, never recurses (a folder nested thousands deep is fine), and
    looks at most ``MAX_WALK_ENTRIES`` entries ``MAX_WALK_DEPTH`` folders deep. Hidden
    names are skipped; links, special files (FIFOs, sockets, devices), names that are
    not UTF-8 and whatever is past the bounds are skipped and named in ``refused``;
    each link is also put in ``links`` as ``"name -> target"`` (never followed).
    """
    refused = [] if refused is None else refused
    seen = 0
    stack: list[tuple[str, str, int]] = [(str(folder), "", 0)]
    while stack:
        path, prefix, depth = stack.pop()
        try:
            with os.scandir(path) as it:
                entries = sorted(it, key=lambda e: e.name, reverse=True)
        except OSError as e:
            refused.append(f"{printable(prefix) or '.'}: cannot be read ({e.strerror})")
            continue
        files = []
        for entry in entries:
            seen += 1
            if seen > MAX_WALK_ENTRIES:
                refused.append(f"more than {MAX_WALK_ENTRIES} files and folders: the rest")
                stack.clear()
                break
            rel = prefix + entry.name
            if entry.name.startswith("."):
                continue
            try:
                entry.name.encode("utf-8")
            except UnicodeEncodeError:
                refused.append(f"{printable(rel)}: the name is not UTF-8")
                continue
            try:
                if entry.is_symlink():
                    refused.append(f"{printable(rel)} is a link")
                    if links is not None:
                        links.append(f"{printable(rel)} -> {printable(os.readlink(entry.path))}")
                elif entry.is_dir(follow_symlinks=False):
                    if depth + 1 >= MAX_WALK_DEPTH:
                        refused.append(f"{printable(rel)}: folders over {MAX_WALK_DEPTH} deep")
                    else:
                        stack.append((entry.path, rel + "/", depth + 1))
                elif entry.is_file(follow_symlinks=False):
                    files.append((rel, Path(entry.path), entry.stat(follow_symlinks=False).st_size))
                else:
                    refused.append(f"{printable(rel)} is not a regular file")
            except OSError as e:
                refused.append(f"{printable(rel)}: {e.strerror}")
        # folders were pushed in reverse order: files of this folder first, then them
        yield from reversed(files)


def student_files(submission: Path, dest: Path, refused: list[str] | None = None) -> list[str]:
    """Copy the student's own files (not notebooks, no links) beside their notebook,
    within size caps; returns what was refused, and why."""
    refused = [] if refused is None else refused
    total, count = 0, 0
    for rel, f, size in walk(submission, refused):
        if rel.endswith(".ipynb") or rel == "timestamp.txt":
            continue
        if size > MAX_STUDENT_FILE_BYTES:
            refused.append(f"{rel} is over {MAX_STUDENT_FILE_BYTES // 2**20} MB")
            continue
        if total + size > MAX_STUDENT_FILES_BYTES or count >= MAX_STUDENT_FILES:
            refused.append(f"{rel}: the submission's files are over the size or count limit")
            continue
        try:
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            copy_bounded(f, dest / rel, MAX_STUDENT_FILE_BYTES)
        except OSError as e:
            refused.append(f"{rel}: {e.strerror}")
            continue
        total += size
        count += 1
    return _shorten(refused)


def _shorten(refused: list[str], most: int = 20) -> list[str]:
    if len(refused) <= most:
        return refused
    return refused[:most] + [f"and {len(refused) - most} more"]


def copy_bounded(src: Path, dest: Path, limit: int) -> None:
    """Copy a regular file, never through a link and never past ``limit`` bytes (it may
    grow while copied); a file that is not regular any more raises ``OSError``."""
    fd = os.open(src, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(errno.EINVAL, "not a regular file")
        with open(fd, "rb", closefd=False) as f, open(dest, "wb") as out:
            left = limit
            while left > 0 and (chunk := f.read(min(1 << 20, left))):
                out.write(chunk)
                left -= len(chunk)
            if f.read(1):
                raise OSError(errno.EFBIG, f"over {limit // 2**20} MB")
    finally:
        os.close(fd)


def stage_submission(src: Path, dest: Path, notebooks: list[str]) -> tuple[list[str], list[str]]:
    """The staged copy nbgrader grades and copies to ``autograded/``: each notebook (a
    regular file within ``MAX_NOTEBOOK_BYTES``), ``timestamp.txt``, and the student's
    other files within the caps of :func:`student_files`. Returns the notebooks that
    were too big or unreadable (as reasons) and the refused files."""
    dest.mkdir(parents=True)
    problems = []
    for name in notebooks:
        nb = src / f"{name}.ipynb"
        if not os.path.lexists(nb):
            continue
        try:
            copy_bounded(nb, dest / nb.name, MAX_NOTEBOOK_BYTES)
        except OSError as e:
            (dest / nb.name).unlink(missing_ok=True)
            why = "is a link" if nb.is_symlink() else e.strerror or str(e)
            problems.append(f"{name}.ipynb could not be read ({why})")
    ts = src / "timestamp.txt"
    try:
        copy_bounded(ts, dest / ts.name, 4096)
    except OSError:
        (dest / ts.name).unlink(missing_ok=True)
    refused = student_files(src, dest)
    return problems, refused


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
    """nbgrader's sanitize stage, as the course's Autograde converter configures it, with
    :class:`~cnnbook.grader.sanitizing.DropStrayCellMetadata` first whatever the config says."""
    nb = nbformat.read(str(path), as_version=4)
    if not isinstance(nb.get("cells"), list) or len(nb.cells) > MAX_CELLS:
        n = len(nb.cells) if isinstance(nb.get("cells"), list) else "no list of"
        raise ValueError(f"it has {n} cells (at most {MAX_CELLS} are graded)")
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
    if "DropStrayCellMetadata" not in map(sanitizing.step_name, pps):
        pps = [sanitizing.DropStrayCellMetadata, *pps]  # also where a config lacks it
    pps = [import_item(pp) if isinstance(pp, str) else pp for pp in pps]
    for pp_class in pps:
        nb, resources = pp_class(config=course.config)(nb, resources)
    return nb
