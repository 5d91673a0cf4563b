"""Student data on a shared server: no other account may read or change it.

On a one-machine JupyterHub every student is a Unix account. Debian's home folders are
0755 (anyone may read inside), and ``nbgrader collect`` leaves the folders of
``submitted/`` at 0777: a student could read a classmate's notebook, the gradebook and
the feedback, or swap a classmate's submission before grading. Before ``cnnbook``
release, autograde, feedback or report touch the course, :func:`secure` checks the
course root, ``submitted/``, ``autograded/``, ``feedback/``, ``reports/``, every folder
below the first three, and a SQLite gradebook:

* **repaired** when you own it: "other" loses every permission, the group loses write
  (folders at most 0750, files at most 0640), except that a feedback page may stay
  readable (0644): the folders above it keep it private, and ``nbgrader
  release_feedback`` copies each page's mode into the exchange, where its student must
  be able to read it. The group keeps read, for a group of
  teaching assistants (give the course root a group of its own: ``chgrp -R tas ROOT``);
  a course root that is private to you (0700) needs no group at all.
* **refused** when you do not own it (chmod would fail): the command stops, changes
  nothing, and says which path, its mode and owner, and the ``chmod`` to run as that
  owner.

Every repair is said, one line per path (the first few, then a count). The command then
runs with a umask that keeps what it creates (autograded copies, feedback, reports)
private the same way.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from cnnbook.grader.errors import CnnbookError

#: bits no other account may have: all of "other", and the group's write
FORBIDDEN = stat.S_IRWXO | stat.S_IWGRP
#: a feedback page may be read by all (its folders are private; the exchange copy must be
#: readable by its student): only writing and executing are forbidden
FORBIDDEN_FEEDBACK_PAGE = stat.S_IWOTH | stat.S_IXOTH | stat.S_IWGRP
SHOWN = 8  # repairs listed one by one; the rest are counted


class UnsafePermissionsError(CnnbookError):
    """Student data that other accounts can reach, and that cnnbook cannot repair."""


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


def _paths(course) -> list[tuple[Path, int]]:
    """(path, the permission bits forbidden on it): the course root, its student-data
    folders and everything below them, and a SQLite gradebook file (links are never
    followed)."""
    from cnnbook.grader import gradebook

    out = [(course.root, FORBIDDEN)]
    for kind in ("submitted", "autograded", "feedback"):
        base = course.path(kind)
        if base.is_dir() and not base.is_symlink():
            out.append((base, FORBIDDEN))
            page = FORBIDDEN_FEEDBACK_PAGE if kind == "feedback" else FORBIDDEN
            for folder, dirs, files in os.walk(base):
                out += [
                    (Path(folder) / d, FORBIDDEN)
                    for d in dirs if not (Path(folder) / d).is_symlink()
                ]  # fmt: skip
                out += [
                    (Path(folder) / f, page)
                    for f in files if not (Path(folder) / f).is_symlink()
                ]  # fmt: skip
    reports = course.root / "reports"
    if reports.is_dir() and not reports.is_symlink():
        out.append((reports, FORBIDDEN))
    db = gradebook.sqlite_file(course.db_url)
    if db is not None and Path(db).is_file():
        out.append((Path(db), FORBIDDEN))
    return out


def audit(course) -> tuple[list[tuple[Path, int, int]], list[tuple[Path, int, int]]]:
    """(paths you own that others can reach, with their mode and the bits forbidden on
    them), (paths others can reach that you do not own, with their mode and owner)."""
    me = os.geteuid()
    mine, theirs = [], []
    for path, forbidden in _paths(course):
        try:
            st = path.lstat()
        except OSError:
            continue
        mode = stat.S_IMODE(st.st_mode)
        if not mode & forbidden:
            continue
        if st.st_uid == me:  # even root leaves other accounts' files to them
            mine.append((path, mode, forbidden))
        else:
            theirs.append((path, mode, st.st_uid))
    return mine, theirs


def secure(course, log=print) -> list[str]:
    """Repair what can be repaired, refuse (raise) what cannot; returns the repairs."""
    mine, theirs = audit(course)
    if theirs:
        path, mode, uid = theirs[0]
        more = f" (and {len(theirs) - 1} more)" if len(theirs) > 1 else ""
        raise UnsafePermissionsError(
            f"{path} (mode {mode:04o}, owner uid {uid}, not you) can be read or changed by "
            f"other accounts{more}, and only its owner can change that: as that owner run "
            f"`chmod -R o-rwx,g-w {path}`, then run the command again. Nothing was changed."
        )
    done = []
    for path, mode, forbidden in mine:
        new = mode & ~forbidden
        try:
            os.chmod(path, new)
        except OSError as e:
            raise UnsafePermissionsError(
                f"{path} (mode {mode:04o}) can be read or changed by other accounts and "
                f"cannot be repaired ({e.strerror}): run `chmod o-rwx,g-w {path}`."
            ) from e
        done.append(f"{path}: {mode:04o} -> {new:04o}")
    if done:
        log(
            f"cnnbook: repaired permissions of {len(done)} path(s) other accounts could read "
            "or change (student data stays private to you and your group):"
        )
        for line in done[:SHOWN]:
            log(f"  {line}")
        if len(done) > SHOWN:
            log(f"  ... and {len(done) - SHOWN} more")
    return done
