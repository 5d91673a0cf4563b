"""Everything cnnbook writes to the gradebook, all from the parent process.

nbgrader's gradebook (SQLite by default, any SQLAlchemy URL through ``db_url``) is not
safe for concurrent writers, so the sandboxes never see it: the parent process alone
opens it, and writes one submission at a time as results come in.

Besides nbgrader's own tables, cnnbook keeps one side table, ``cnnbook_grading``: one
row per (assignment, student) with the outcome of the last autograde run, the reason
when the submission could not be graded normally, and the fingerprint of the submitted
files (so a re-run skips submissions that have not changed).

On PostgreSQL several graders may share one gradebook (``--shard``, or two instructors
at once): the schema is created under an advisory lock, so graders that start together
never race on ``CREATE TABLE``, and a side-table row is written with one upsert, so
concurrent writers never lose or duplicate it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import importlib
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
    inspect,
    select,
    text,
)
from sqlalchemy.exc import SAWarning, SQLAlchemyError
from sqlalchemy.pool import NullPool

from cnnbook.grader.gradebook_url import (  # noqa: F401 - part of this module's API
    LOCK_TIMEOUT,
    describe,
    is_sqlite,
    sqlite_file,
    translate,
    with_lock_timeout,
)

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
    # what the judge left (cnnbook.grader.drift): a digest of the gradebook's automatic
    # scores of the submission, and one of the autograded copy's test cells
    Column("grades_digest", String(64)),
    Column("autograded_digest", String(64)),
)


_ENGINES: dict = {}
_SCHEMA_READY: set[str] = set()
# PostgreSQL advisory lock keys (any 64-bit numbers no other tool of the database uses)
SCHEMA_LOCK = 0x636E6E626F6F6B01  # "cnnbook" 01: creating the tables
STATUS_LOCK = 0x636E6E626F6F6B02  # "cnnbook" 02: writing a status snapshot


def _engine(db_url: str):
    """One engine per gradebook URL (parent only). A SQLite one has no connection pool,
    so that a gradebook file replaced between runs is never written through a stale
    connection; a server's keeps its connections (a new PostgreSQL connection costs
    more than the write), checked before use."""
    if db_url not in _ENGINES:
        if db_url.startswith("sqlite"):
            _ENGINES[db_url] = create_engine(db_url, poolclass=NullPool)
        else:
            _ENGINES[db_url] = create_engine(db_url, pool_size=2, pool_pre_ping=True)
    engine = _ENGINES[db_url]
    if db_url not in _SCHEMA_READY:
        _create_schema(engine, db_url)
        if engine.dialect.name != "sqlite":  # a server's tables do not vanish like a file
            _SCHEMA_READY.add(db_url)
    return engine


def _create_schema(engine, db_url: str) -> None:
    """nbgrader's tables (if the gradebook is new) and the side table, if missing.

    On PostgreSQL two processes creating the same table at once make one of them fail
    (``UniqueViolation`` on ``pg_type``), so creation holds a transaction-level advisory
    lock: a second grader waits, then finds the tables there.
    """
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": SCHEMA_LOCK})
        if not inspect(conn).has_table("assignment"):
            Gradebook(db_url).close()  # nbgrader's own schema, stamped with its version
        metadata.create_all(conn)  # a few cheap existence checks
        # a side table made by an earlier cnnbook: add the columns it lacks
        have = {c["name"] for c in inspect(conn).get_columns("cnnbook_grading")}
        for column in grading.columns:
            if column.name not in have:
                kind = column.type.compile(dialect=conn.dialect)
                conn.execute(text(f"ALTER TABLE cnnbook_grading ADD COLUMN {column.name} {kind}"))


@contextlib.contextmanager
def exclusive(db_url: str, key: int = STATUS_LOCK):
    """Hold a gradebook-wide lock (PostgreSQL advisory lock; SQLite has one writer
    anyway), e.g. so that graders finishing together write the status file in turn."""
    engine = _engine(db_url)
    if engine.dialect.name != "postgresql":
        yield
        return
    with engine.connect() as conn:
        conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": key})
        conn.commit()
        try:
            yield
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
            conn.commit()


def record_status(db_url: str, row: dict) -> None:
    """Insert or replace the side-table row of one submission, in one statement."""
    engine = _engine(db_url)
    row = {**row, "graded_at": dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)}
    keys = ("assignment", "student")
    with engine.begin() as conn:
        dialect = conn.dialect.name
        if dialect in ("postgresql", "sqlite"):  # INSERT ... ON CONFLICT DO UPDATE
            stmt = importlib.import_module(f"sqlalchemy.dialects.{dialect}").insert(grading)
            stmt = stmt.values(**row)
            stmt = stmt.on_conflict_do_update(
                index_elements=list(keys),
                set_={k: stmt.excluded[k] for k in row if k not in keys},
            )
            conn.execute(stmt)
        else:
            conn.execute(
                delete(grading).where(
                    (grading.c.assignment == row["assignment"])
                    & (grading.c.student == row["student"])
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


def assignment_names(db_url: str) -> list[str]:
    """Assignments in the gradebook; [] when a SQLite gradebook does not exist yet
    (it is never created here)."""
    path = sqlite_file(db_url)
    if is_sqlite(db_url) and (path is None or not path.is_file()):
        return []
    try:
        with warnings.catch_warnings(), Gradebook(db_url) as gb:
            warnings.simplefilter("ignore", SAWarning)
            return sorted(a.name for a in gb.assignments)
    except SQLAlchemyError as e:
        raise translate(e, db_url) from None


def check_writable(db_url: str) -> None:
    """Before any work starts: open the gradebook and write a row in a transaction that
    is rolled back. Waits for a lock up to the URL's timeout; raises
    :class:`GradebookLockedError` or :class:`GradebookError` instead of failing half-way."""
    try:
        engine = _engine(db_url)
        with engine.connect() as conn:
            trans = conn.begin()
            try:
                conn.execute(
                    insert(grading).values(
                        assignment="(cnnbook write check)", student="-", status="check"
                    )
                )
            finally:
                trans.rollback()
    except (SQLAlchemyError, ImportError) as e:
        raise translate(e, db_url) from None


def notebook_names(db_url: str, assignment: str) -> list[str]:
    """The notebooks of an assignment, as registered by ``cnnbook release``."""
    with Gradebook(db_url) as gb:
        try:
            return [nb.name for nb in gb.find_assignment(assignment).notebooks]
        except MissingEntry:
            return []


def submission_times(db_url: str, assignment: str) -> tuple[dt.datetime | None, dict[str, dict]]:
    """The assignment's due date, and per submission: timestamp, seconds late and the
    late-submission penalty nbgrader's plugin assigned (summed over notebooks)."""
    out: dict[str, dict] = {}
    with warnings.catch_warnings(), Gradebook(db_url) as gb:
        warnings.simplefilter("ignore", SAWarning)
        try:
            a = gb.find_assignment(assignment)
        except MissingEntry:
            return None, {}
        for sub in a.submissions:
            penalty = sum(nb.late_submission_penalty or 0.0 for nb in sub.notebooks)
            out[sub.student.id] = {
                "timestamp": sub.timestamp,
                "seconds_late": float(sub.total_seconds_late or 0.0),
                "penalty": float(penalty),
            }
        return a.duedate, out


def account_name(student: str) -> tuple[str, str] | None:
    """(first, last) name from the Unix account of that login (its GECOS field), as on a
    one-machine JupyterHub where the student id is the login; None if unknown."""
    import pwd

    try:
        full = pwd.getpwnam(student).pw_gecos.split(",")[0].strip()
    except (KeyError, OSError):
        return None
    if not full:
        return None
    first, _, last = full.rpartition(" ")
    return (first, last) if first else ("", last)


def fill_names(db_url: str, students: list[str]) -> None:
    """Students without names (nbgrader creates them so at autograde, and Formgrader then
    lists them as "None, None"): the Unix account's full name where there is one, else
    the student id as the last name. Names already in the roster are kept."""
    with warnings.catch_warnings(), Gradebook(db_url) as gb:
        warnings.simplefilter("ignore", SAWarning)
        changed = False
        for student in students:
            try:
                s = gb.find_student(student)
            except MissingEntry:
                continue
            if s.first_name or s.last_name:
                continue
            first, last = account_name(student) or ("", student)
            s.first_name, s.last_name = first, last
            changed = True
        if changed:
            gb.db.commit()


def roster(db_url: str) -> list[dict]:
    """The gradebook's students (``nbgrader db student add/import``)."""
    with Gradebook(db_url) as gb:
        return [
            {
                "student": s.id,
                "first_name": s.first_name or "",
                "last_name": s.last_name or "",
                "email": s.email or "",
                "lms_user_id": s.lms_user_id or "",
            }
            for s in gb.students
        ]

# --------------------------------------------------------------------------- diagnoses

#: The known mistakes (cnnbook.grader.judging.misconceptions) the judge named in each submission's
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
