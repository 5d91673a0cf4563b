"""The gradebook's address, and its troubles in the course's words.

A gradebook is a SQLAlchemy URL (``sqlite:///gradebook.db`` by default, or
``postgresql://...``). These helpers say what kind it is, add the SQLite lock timeout,
describe it for a message without its password, find its SQLite file, and turn a
database error into a :class:`~cnnbook.grader.errors.GradebookError` that says what to
do. They open no connection.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from cnnbook.grader.errors import GradebookError, GradebookLockedError

LOCK_TIMEOUT = 30.0  # seconds a locked SQLite gradebook is waited for (cnnbook --lock-timeout)


def is_sqlite(db_url: str) -> bool:
    return db_url.startswith("sqlite")


def with_lock_timeout(db_url: str, seconds: float) -> str:
    """The URL, for SQLite with ``?timeout=seconds``: every connection, nbgrader's
    included, then waits that long for another program's lock before it gives up."""
    if not is_sqlite(db_url):
        return db_url
    url = make_url(db_url)
    url = url.update_query_dict({"timeout": f"{seconds:g}"})
    return url.render_as_string(hide_password=False)


def describe(db_url: str) -> str:
    """The gradebook for a message: the SQLite file, or the URL without its password."""
    try:
        url = make_url(db_url)
    except ArgumentError:
        return db_url
    if is_sqlite(db_url):
        return url.database or "(in memory)"
    return url.render_as_string(hide_password=True)


def sqlite_file(db_url: str):
    """The SQLite file of a gradebook URL (None for other databases)."""
    if not is_sqlite(db_url):
        return None
    database = make_url(db_url).database
    return Path(database) if database and database != ":memory:" else None


def translate(error: Exception, db_url: str) -> GradebookError:
    """A database error as a :class:`GradebookError` whose message says what to do."""
    text = str(getattr(error, "orig", None) or error).strip().splitlines()[0][:300]
    where = describe(db_url)
    low = text.lower()
    if "locked" in low:
        waited = make_url(db_url).query.get("timeout", "?") if is_sqlite(db_url) else "?"
        return GradebookLockedError(
            f"the gradebook {where} is locked by another program (formgrader, another "
            f"cnnbook or nbgrader command, an open sqlite3 shell) and stayed locked for "
            f"{waited} s. Close that program and run the command again (or raise "
            f"--lock-timeout); nothing was changed."
        )
    if "readonly" in low or "read-only" in low or "permission denied" in low:
        return GradebookError(
            f"the gradebook {where} cannot be written ({text}): make the file and its "
            f"folder writable by this user, or pass --db with a writable gradebook."
        )
    return GradebookError(
        f"cannot open the gradebook {where} ({text}): check --db or "
        f"c.CourseDirectory.db_url in nbgrader_config.py, and that the file's folder exists."
    )
