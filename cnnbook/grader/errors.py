"""The instructor tools' own exception types.

Every failure an instructor can do something about is one of these: its message says
what went wrong, naming the file or the setting, and what to do, in one or two lines.
The command line (:mod:`cnnbook.cli`) prints the message and exits with ``exit_code``;
the library never prints a traceback for them and never exits.
"""

from __future__ import annotations


class CnnbookError(Exception):
    """A failure with a message meant for the instructor."""

    exit_code = 1


class NotACourseRootError(CnnbookError):
    """The folder has no ``nbgrader_config.py``."""

    exit_code = 2


class UnknownAssignmentError(CnnbookError):
    """An assignment name that is neither in ``solutions/`` nor in the gradebook."""

    exit_code = 2


class GradebookError(CnnbookError):
    """The gradebook cannot be opened or written (bad URL, read-only file or folder)."""

    exit_code = 3


class GradebookLockedError(GradebookError):
    """Another program held the (SQLite) gradebook for longer than the lock timeout."""


class ReleaseError(CnnbookError):
    """nbgrader could not generate the student version; the old release is untouched."""

