"""Everything cnnbook writes to the gradebook, all from the parent process.

nbgrader's gradebook (SQLite by default, any SQLAlchemy URL through ``db_url``) is not
safe for concurrent writers, so the sandboxes never see it: the parent process alone
opens it, and writes one submission at a time as results come in.

Besides nbgrader's own tables, cnnbook keeps one side table, ``cnnbook_grading``: one
row per (assignment, student) with the outcome of the last autograde run, the reason
when the submission could not be graded normally, and the fingerprint of the submitted
files (so a re-run skips submissions that have not changed).
"""

from __future__ import annotations

import datetime as dt
import warnings

from nbgrader.api import Gradebook, MissingEntry
from sqlalchemy import (
    Column,
    DateTime,
    Float,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    delete,
    insert,
    select,
)
from sqlalchemy.exc import SAWarning
from sqlalchemy.pool import NullPool

metadata = MetaData()
grading = Table(
    "cnnbook_grading",
    metadata,
    Column("assignment", String(128), primary_key=True),
    Column("student", String(128), primary_key=True),
    Column("status", String(32), nullable=False),
    Column("reason", Text, nullable=False, default=""),
    Column("score", Float),
    Column("max_score", Float),
    Column("fingerprint", String(64)),
    Column("sandbox", String(32)),
    Column("seconds", Float),
    Column("graded_at", DateTime),
)


_ENGINES: dict = {}


def _engine(db_url: str):
    """One engine per gradebook URL (parent only), without a connection pool, so that a
    gradebook file replaced between runs is never written through a stale connection."""
    if db_url not in _ENGINES:
        _ENGINES[db_url] = create_engine(db_url, poolclass=NullPool)
    engine = _ENGINES[db_url]
    metadata.create_all(engine)  # a few cheap existence checks
    return engine


def record_status(db_url: str, row: dict) -> None:
    """Insert or replace the side-table row of one submission."""
    engine = _engine(db_url)
    row = {**row, "graded_at": dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)}
    with engine.begin() as conn:
        conn.execute(
            delete(grading).where(
                (grading.c.assignment == row["assignment"]) & (grading.c.student == row["student"])
            )
        )
        conn.execute(insert(grading).values(**row))


def read_status(db_url: str, assignment: str) -> dict[str, dict]:
    engine = _engine(db_url)
    with engine.connect() as conn:
        rows = conn.execute(select(grading).where(grading.c.assignment == assignment)).mappings()
        out = {r["student"]: dict(r) for r in rows}
    return out


def zero_submission(db_url: str, assignment: str, student: str) -> None:
    """Make sure the submission has grade rows; give 0 to every grade not scored yet.

    Used when nbgrader could not grade the submission at all (no readable notebook):
    the same thing nbgrader itself does for a missing notebook.
    """
    with warnings.catch_warnings(), Gradebook(db_url) as gb:
        # nbgrader's own update_or_create_submission makes SQLAlchemy warn; harmless
        warnings.simplefilter("ignore", SAWarning)
        gb.update_or_create_student(student)
        submission = gb.update_or_create_submission(assignment, student)
        for notebook in submission.notebooks:
            for grade in notebook.grades:
                if grade.auto_score is None and grade.manual_score is None:
                    grade.auto_score = 0
                    grade.needs_manual_grade = False
        gb.db.commit()


def submission_score(db_url: str, assignment: str, student: str) -> tuple[float, float] | None:
    with Gradebook(db_url) as gb:
        try:
            submission = gb.find_submission(assignment, student)
        except MissingEntry:
            return None
        return float(submission.score), float(submission.max_score)


def grade_table(db_url: str, assignment: str) -> tuple[list[dict], list[dict]]:
    """Scores of every submission, and of every graded cell of every submission.

    Returns ``(submissions, cells)``: submissions have student, score, max_score;
    cells have student, notebook, cell, kind ("test" for autograder tests, "answer"
    for manually graded answers), score (None while ungraded), max_score.
    """
    submissions: list[dict] = []
    cells: list[dict] = []
    with Gradebook(db_url) as gb:
        try:
            assignment_row = gb.find_assignment(assignment)
        except MissingEntry:
            return [], []
        for sub in assignment_row.submissions:
            submissions.append(
                {
                    "student": sub.student.id,
                    "score": float(sub.score),
                    "max_score": float(sub.max_score),
                }
            )
            for nb in sub.notebooks:
                solution_names = {c.name for c in nb.notebook.solution_cells}
                for grade in nb.grades:
                    cell = grade.cell
                    kind = "task"
                    if cell.type == "GradeCell":
                        is_test = cell.cell_type == "code" and cell.name not in solution_names
                        kind = "test" if is_test else "answer"
                    scored = grade.auto_score is not None or grade.manual_score is not None
                    cells.append(
                        {
                            "student": sub.student.id,
                            "notebook": nb.notebook.name,
                            "cell": cell.name,
                            "kind": kind,
                            "score": float(grade.score) if scored else None,
                            "max_score": float(grade.max_score),
                        }
                    )
    submissions.sort(key=lambda r: r["student"])
    return submissions, cells


# --------------------------------------------------------------------------- diagnoses

#: The known mistakes (cnnbook.grader.misconceptions) the judge named in each submission's
#: feedback: one row per (assignment, student, notebook, test cell). Replaced whenever
#: the submission is graded again.
diagnoses = Table(
    "cnnbook_diagnoses",
    metadata,
    Column("assignment", String(128), primary_key=True),
    Column("student", String(128), primary_key=True),
    Column("notebook", String(128), primary_key=True),
    Column("cell", String(128), primary_key=True),
    Column("misconception", String(128), nullable=False),
)


def record_diagnoses(db_url: str, assignment: str, student: str, rows) -> None:
    """Replace the diagnoses of one submission by ``rows`` of (notebook, cell, id)."""
    engine = _engine(db_url)
    with engine.begin() as conn:
        conn.execute(
            delete(diagnoses).where(
                (diagnoses.c.assignment == assignment) & (diagnoses.c.student == student)
            )
        )
        for notebook, cell, misconception in rows:
            conn.execute(
                insert(diagnoses).values(
                    assignment=assignment, student=student, notebook=notebook, cell=cell,
                    misconception=misconception,
                )
            )  # fmt: skip


def read_diagnoses(db_url: str, assignment: str) -> list[dict]:
    """Every diagnosis of an assignment: student, notebook, cell, misconception."""
    engine = _engine(db_url)
    with engine.connect() as conn:
        rows = conn.execute(
            select(diagnoses).where(diagnoses.c.assignment == assignment)
        ).mappings()
        return [dict(r) for r in rows]
