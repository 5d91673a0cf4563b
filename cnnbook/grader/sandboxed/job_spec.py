"""The job spec: what the parent tells the runner about one job, as a typed record.

Built by the commands (``cnnbook autograde``, ``cnnbook check``), completed with the
job's folders by the isolation engine (:meth:`~cnnbook.grader.isolation.engine.Isolation.launch`),
read by the runner (:mod:`cnnbook.grader.sandboxed.runner`). On the wire it is the
``"spec"`` object of ``job.json`` (``{"spec", "notebook", "calls"}``), piped to the
runner's stdin; fields left ``None`` are not written.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields, replace


@dataclass(frozen=True)
class JobSpec:
    assignment: str  # the notebook's name; the working folder is named after it
    execute: dict = field(default_factory=dict)  # nbgrader's Execute settings (timeout, ...)
    max_output_bytes: int = 4_000_000  # notebook output kept (further output is dropped)
    call_timeout: float | None = None  # one graded call (seconds)
    harness_timeout: int | None = None  # all the graded calls (seconds)
    files_dir: str | None = None  # the assignment's other files, as the runner sees them
    work_dir: str | None = None  # the notebook's working folder, as the runner sees it

    def to_json(self) -> dict:
        return {k: v for k, v in asdict(self).items() if v is not None}

    @classmethod
    def from_json(cls, data: dict) -> JobSpec:
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"job spec: unknown field(s) {sorted(unknown)}")
        return cls(**data)

    def in_folders(self, files_dir: str, work_dir: str) -> JobSpec:
        """This spec with the job's folders as the runner will see them."""
        return replace(self, files_dir=files_dir, work_dir=work_dir)
