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


def _shown(path: Path) -> str:
    """A path as text that can always be printed (a name that is not UTF-8 is escaped)."""
    return os.fsencode(str(path)).decode("utf-8", "backslashreplace")


def _walk(course):
    """``(path, dir_fd, name, stat)`` of the course root, its student-data folders and
    everything below them, and a SQLite gradebook file. Links are never followed;
    nothing recurses and every entry below a folder is reached from its folder's open
    descriptor (``dir_fd``, ``None`` for the top paths), so a submission nested past
    PATH_MAX or the stack, or with 255-byte names, is walked like any other. Use
    ``dir_fd`` at once: it is closed when the walk moves on."""
    from cnnbook.grader import gradebook

    top = [course.root]
    bases = []
    for kind in ("submitted", "autograded", "feedback"):
        base = course.path(kind)
        if base.is_dir() and not base.is_symlink():
            top.append(base)
            bases.append(base)
    reports = course.root / "reports"
    if reports.is_dir() and not reports.is_symlink():
        top.append(reports)
    db = gradebook.sqlite_file(course.db_url)
    if db is not None and Path(db).is_file():
        top.append(Path(db))
    for path in top:
        try:
            yield path, None, str(path), path.lstat()
        except OSError:
            continue
    for base in bases:
        yield from _below(base)


def _below(base: Path):
    flags = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW
    stack: list[tuple[int, Path, list[str]]] = []
    try:
        fd = os.open(base, flags)
        stack.append((fd, base, sorted(os.listdir(fd), reverse=True)))
        while stack:
            fd, folder, names = stack[-1]
            if not names:
                os.close(fd)
                stack.pop()
                continue
            name = names.pop()
            try:
                st = os.lstat(name, dir_fd=fd)
            except OSError:
                continue
            if stat.S_ISLNK(st.st_mode):
                continue
            yield folder / name, fd, name, st
            if stat.S_ISDIR(st.st_mode):
                try:  # out of descriptors: what is below is behind this private folder
                    sub = os.open(name, flags, dir_fd=fd)
                except OSError:
                    continue
                try:
                    stack.append((sub, folder / name, sorted(os.listdir(sub), reverse=True)))
                except OSError:
                    os.close(sub)
    except OSError:
        return
    finally:
        for fd, _, _ in stack:
            os.close(fd)


def _forbidden(course, path: Path, st: os.stat_result) -> int:
    """The permission bits no other account may have on ``path``: a feedback page may be
    read by all (see the module's docstring), nothing else."""
    if not stat.S_ISDIR(st.st_mode) and course.path("feedback") in path.parents:
        return FORBIDDEN_FEEDBACK_PAGE
    return FORBIDDEN


def audit(course) -> tuple[list[tuple[Path, int, int]], list[tuple[Path, int, int]]]:
    """(paths you own that others can reach, with their mode and the bits forbidden on
    them), (paths others can reach that you do not own, with their mode and owner)."""
    me = os.geteuid()
    mine, theirs = [], []
    for path, _, _, st in _walk(course):
        forbidden = _forbidden(course, path, st)
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
            f"{_shown(path)} (mode {mode:04o}, owner uid {uid}, not you) can be read or "
            f"changed by other accounts{more}, and only its owner can change that: as that "
            f"owner run `chmod -R o-rwx,g-w {_shown(path)}`, then run the command again. "
            "Nothing was changed."
        )
    if not mine:
        return []
    done = []  # a second walk: the repairs need each entry's folder descriptor
    me = os.geteuid()
    for path, dir_fd, name, st in _walk(course):
        mode = stat.S_IMODE(st.st_mode)
        forbidden = _forbidden(course, path, st)
        if not mode & forbidden or st.st_uid != me:
            continue
        new = mode & ~forbidden
        try:
            os.chmod(name, new, dir_fd=dir_fd)
        except OSError as e:
            raise UnsafePermissionsError(
                f"{_shown(path)} (mode {mode:04o}) can be read or changed by other accounts "
                f"and cannot be repaired ({e.strerror}): run `chmod o-rwx,g-w {_shown(path)}`."
            ) from e
        done.append(f"{_shown(path)}: {mode:04o} -> {new:04o}")
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
