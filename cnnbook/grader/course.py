"""The course on disk: nbgrader's configuration, directory layout and gradebook."""

from __future__ import annotations

import difflib
import logging
import os
from pathlib import Path

from nbgrader.apps import NbGraderAPI
from nbgrader.coursedir import CourseDirectory
from traitlets.config import Config
from traitlets.config.loader import PyFileConfigLoader

from cnnbook.grader import gradebook
from cnnbook.grader.errors import NotACourseRootError, UnknownAssignmentError

CONFIG_FILE = "nbgrader_config.py"


def find_course_root(start: Path) -> Path | None:
    """The nearest folder at or above ``start`` that holds ``nbgrader_config.py``."""
    for folder in [start, *start.parents]:
        if (folder / CONFIG_FILE).is_file():
            return folder
    return None


class Course:
    """A course root (the folder holding ``nbgrader_config.py``), seen through nbgrader.

    ``db_url`` overrides the gradebook (any SQLAlchemy URL nbgrader accepts, e.g. a
    PostgreSQL one for a multi-user setup); by default it is ``<root>/gradebook.db``.
    A folder without ``nbgrader_config.py`` is refused (:class:`NotACourseRootError`), so
    that no command ever creates a stray ``gradebook.db`` somewhere else. A SQLite
    gradebook held by another program is waited for up to ``lock_timeout`` seconds,
    by cnnbook and by nbgrader alike (the timeout travels in the URL).
    """

    def __init__(
        self,
        root: str | os.PathLike = ".",
        db_url: str | None = None,
        lock_timeout: float = gradebook.LOCK_TIMEOUT,
    ):
        self.root = Path(root).resolve()
        if not (self.root / CONFIG_FILE).is_file():
            above = find_course_root(self.root.parent) if self.root.parent != self.root else None
            hint = f" (the course root above it is {above}: pass --root {above})" if above else ""
            raise NotACourseRootError(
                f"{self.root} is not a course root: it has no {CONFIG_FILE}{hint}. Run cnnbook "
                f"from the folder holding {CONFIG_FILE}, or pass --root DIR."
            )
        cfg = Config()
        loader = PyFileConfigLoader(CONFIG_FILE, path=str(self.root))
        cfg.merge(loader.load_config())
        cfg.CourseDirectory.root = str(self.root)
        # the feedback pages nbgrader renders: no student HTML, script or handler is live
        # (the autograded notebook's outputs are made inert already: judging/inert.py)
        cfg.HTMLExporter.sanitize_html = True
        if db_url:
            cfg.CourseDirectory.db_url = db_url
        url = CourseDirectory(config=cfg).db_url
        cfg.CourseDirectory.db_url = gradebook.with_lock_timeout(url, lock_timeout)
        self.config = cfg
        self.coursedir = CourseDirectory(config=cfg)
        log = logging.getLogger("cnnbook.nbgrader")
        # The API probes nbgrader's exchange (JupyterHub hand-in folder) and complains
        # loudly when a course has none; copying into submitted/ needs no exchange.
        log.setLevel(logging.CRITICAL + 1)
        self.api = NbGraderAPI(coursedir=self.coursedir, config=cfg, log=log)
        log.setLevel(logging.WARNING)

    @property
    def db_url(self) -> str:
        return self.coursedir.db_url

    @property
    def course_id(self) -> str:
        return self.coursedir.course_id

    def path(self, kind: str, student: str = ".", assignment: str = ".") -> Path:
        """``kind`` is one of source, release, submitted, autograded, feedback."""
        directory = getattr(self.coursedir, f"{kind}_directory")
        return Path(self.coursedir.format_path(directory, student, assignment))

    def source_assignments(self) -> list[str]:
        src = self.path("source")
        if not src.is_dir():
            return []
        return sorted(p.name for p in src.iterdir() if p.is_dir() and any(p.glob("*.ipynb")))

    def gradebook_assignments(self) -> list[str]:
        """Assignments registered in the gradebook (never creates a missing one)."""
        return gradebook.assignment_names(self.db_url)

    def require_assignment(self, name: str, *, released: bool = True) -> None:
        """Raise :class:`UnknownAssignmentError` (listing the known ones) unless ``name`` is
        in the gradebook (``released``, for autograde, feedback, report) or has a
        source notebook in ``solutions/`` (for release)."""
        sources = self.source_assignments()
        registered = self.gradebook_assignments()
        if name in (registered if released else sources):
            return
        if released and name in sources:
            raise UnknownAssignmentError(
                f"assignment {name!r} has not been released yet (it is not in the gradebook "
                f"{gradebook.describe(self.db_url)}): run `cnnbook release {name}` first."
            )
        known = sorted(set(sources) | set(registered))
        close = difflib.get_close_matches(name, known, n=1)
        guess = f" Did you mean {close[0]!r}?" if close else ""
        listed = ", ".join(known) if known else "none"
        where = "in the gradebook" if released else f"in {self.path('source')}"
        raise UnknownAssignmentError(
            f"unknown assignment {name!r}: it is not {where}.{guess} Known assignments: {listed}."
        )

    def submitted_students(self, assignment: str) -> list[str]:
        base = self.path("submitted")
        if not base.is_dir():
            return []
        return sorted(p.name for p in base.iterdir() if (p / assignment).is_dir())

    def execute_config(self) -> dict:
        """nbgrader's Execute settings (per-cell timeout and friends), as plain JSON."""
        out: dict = {}
        for section in ("ExecutePreprocessor", "Execute"):
            if section in self.config:
                for key, value in self.config[section].items():
                    if isinstance(value, (int, float, str, bool, list, dict)) or value is None:
                        out[key] = value
        return out
