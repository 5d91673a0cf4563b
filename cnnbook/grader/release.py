"""``cnnbook release``: nbgrader's ``generate_assignment``, never destroying a release.

nbgrader's ``generate_assignment --force`` deletes ``exercises/<a>/`` first and then
generates it; when generation fails (a solution region without its END marker, a
gradebook that cannot be opened) the students' release is gone. Here nbgrader writes
into a fresh folder beside the release, and only a complete release replaces the old
one (two renames on one file system). A failure leaves ``exercises/<a>/`` as it was
and is reported as a :class:`ReleaseError` naming the notebook and nbgrader's reason.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import nbformat

from cnnbook.grader import gradebook, interrupts
from cnnbook.grader.course import Course
from cnnbook.grader.errors import ReleaseError

# nbgrader's own summary lines, which carry no reason
_GENERIC = ("There was an error processing", "Please see the", "Traceback")


@dataclass
class Released:
    assignment: str
    path: Path  # exercises/<a>
    notebooks: list[str]


def nbgrader_reason(log: str, error: str = "") -> tuple[str, str]:
    """nbgrader's reason for a failure, from its captured log: ``(reason, detail)``,
    detail being the first line of the cell contents nbgrader prints after it, if any."""
    lines = log.splitlines()
    for i, line in enumerate(lines):
        m = re.match(r"\[(ERROR|CRITICAL)\]\s*(.*)", line)
        if not m or m.group(2).startswith(_GENERIC):
            continue
        reason, _, rest = m.group(2).partition(" Cell contents are:")
        detail = ""
        if _:
            follow = [x.strip() for x in lines[i + 1 : i + 4] if x.strip()]
            detail = follow[0] if follow else ""
        return reason.strip(), detail
    tail = [x.strip() for x in (error or log).strip().splitlines() if x.strip()]
    return (tail[-1] if tail else "nbgrader gave no reason"), ""


def _cell_name(notebook: Path, first_line: str) -> str:
    """The grade_id of the source cell starting with ``first_line`` ('' if none)."""
    if not first_line:
        return ""
    try:
        nb = nbformat.read(str(notebook), as_version=4)
    except Exception:  # noqa: BLE001 - the name is a courtesy; the reason stands alone
        return ""
    for cell in nb.cells:
        lines = [x.strip() for x in cell.source.splitlines() if x.strip()]
        if lines and lines[0] == first_line:
            return cell.metadata.get("nbgrader", {}).get("grade_id", "")
    return ""


def kernel_language_info(path: Path) -> None:
    """Give the released notebook the ``language_info`` its kernel reports (this Python's
    version), so that it does not open marked unsaved when the kernel starts: JupyterLab
    writes the kernel's ``language_info`` into the notebook, and the source notebook
    carries the version of the machine that last ran it."""
    import sys

    nb = nbformat.read(str(path), as_version=4)
    info = dict(nb.metadata.get("language_info", {}))
    info.update(
        {
            "codemirror_mode": {"name": "ipython", "version": 3},
            "file_extension": ".py",
            "mimetype": "text/x-python",
            "name": "python",
            "nbconvert_exporter": "python",
            "pygments_lexer": "ipython3",
            "version": sys.version.split()[0],
        }
    )
    if nb.metadata.get("language_info") != info:
        nb.metadata["language_info"] = info
        mode = path.stat().st_mode
        path.chmod(mode | 0o200)
        nbformat.write(nb, str(path))
        path.chmod(mode)


def release(course: Course, assignment: str) -> Released:
    """Generate the student version of ``assignment``; replace the release on success."""
    course.require_assignment(assignment, released=False)
    gradebook.check_writable(course.db_url)
    final = course.path("release", ".", assignment).resolve()
    final.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{assignment}.releasing-", dir=final.parent))
    coursedir = course.coursedir
    saved = coursedir.release_directory
    try:
        coursedir.release_directory = str(work)
        try:
            r = course.api.generate_assignment(assignment, force=True, create=True)
        finally:
            coursedir.release_directory = saved
        interrupts.check()
        fresh = work / assignment
        if not r.get("success") or not fresh.is_dir():
            raise _failure(course, assignment, final, r)
        notebooks = sorted(p.stem for p in fresh.glob("*.ipynb"))
        for path in fresh.glob("*.ipynb"):
            kernel_language_info(path)
        old = work / "previous"
        if final.exists():
            os.rename(final, old)
        try:
            os.rename(fresh, final)
        except OSError:
            if old.exists():
                os.rename(old, final)  # put the previous release back before failing
            raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return Released(assignment, final, notebooks)


def _failure(course: Course, assignment: str, final: Path, r: dict) -> ReleaseError:
    log, error = r.get("log") or "", r.get("error") or ""
    reason, detail = nbgrader_reason(log, error)
    source = course.path("source", ".", assignment)
    notebooks = sorted(source.glob("*.ipynb"))
    where = notebooks[0] if len(notebooks) == 1 else source
    cell = _cell_name(where, detail) if where.is_file() else ""
    in_cell = f" (cell {cell!r})" if cell else ""
    try:
        shown = where.relative_to(course.root)
    except ValueError:
        shown = where
    kept = f"{final} is unchanged" if final.exists() else f"nothing was written to {final}"
    if "database" in reason.lower() or "sqlite" in reason.lower():
        return ReleaseError(
            f"cannot release {assignment}: the gradebook {gradebook.describe(course.db_url)} "
            f"failed: {reason}. {kept}."
        )
    return ReleaseError(
        f"cannot release {assignment}: {shown}{in_cell}: {reason.rstrip('.')}. Fix the "
        f"source notebook and run `cnnbook release {assignment}` again; {kept}."
    )
