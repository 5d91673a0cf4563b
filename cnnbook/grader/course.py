"""The course on disk: nbgrader's configuration, directory layout and gradebook."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from nbgrader.apps import NbGraderAPI
from nbgrader.coursedir import CourseDirectory
from traitlets.config import Config
from traitlets.config.loader import PyFileConfigLoader


class Course:
    """A course root (the folder holding ``nbgrader_config.py``), seen through nbgrader.

    ``db_url`` overrides the gradebook (any SQLAlchemy URL nbgrader accepts, e.g. a
    PostgreSQL one for a multi-user setup); by default it is ``<root>/gradebook.db``.
    """

    def __init__(self, root: str | os.PathLike = ".", db_url: str | None = None):
        self.root = Path(root).resolve()
        cfg = Config()
        if (self.root / "nbgrader_config.py").exists():
            loader = PyFileConfigLoader("nbgrader_config.py", path=str(self.root))
            cfg.merge(loader.load_config())
        cfg.CourseDirectory.root = str(self.root)
        if db_url:
            cfg.CourseDirectory.db_url = db_url
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

    def path(self, kind: str, student: str = ".", assignment: str = ".") -> Path:
        """``kind`` is one of source, release, submitted, autograded, feedback."""
        directory = getattr(self.coursedir, f"{kind}_directory")
        return Path(self.coursedir.format_path(directory, student, assignment))

    def source_assignments(self) -> list[str]:
        src = self.path("source")
        if not src.is_dir():
            return []
        return sorted(p.name for p in src.iterdir() if p.is_dir() and any(p.glob("*.ipynb")))

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
