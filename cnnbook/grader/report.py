"""``cnnbook report``: who, which test, when, and whose code is alike - for one assignment.

Everything about scores is read from the gradebook (nbgrader's grades, due date and
late penalties, its roster, and cnnbook's side table of autograde outcomes), so the
report also covers grades changed by hand in formgrader. Submission folders are read
only for what the gradebook does not hold - answer cells (blank work, similarity),
``timestamp.txt`` of submissions nbgrader could not grade - and never through a link.

Files (in ``reports/<assignment>/``):

``grades.csv``       one row per roster student: final score (late penalty applied, as
                     ``nbgrader export`` does), raw score, penalty, status, reason,
                     submission time, lateness, flags, feedback page
``by_test.csv``      student x autograder test: the points of each test (one column each)
``tests.csv``        per test: points, submissions passing it, pass rate (worst first)
``similarity.csv``   every pair of submissions (and each against the reference solution)
                     by copydetect similarity of the answer cells, most similar first
``summary.html``     all of it on one page (Jinja2 template ``templates/report.html.j2``)
``pass_rates.png``, ``histogram.png``
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import re
import statistics
from collections import Counter, defaultdict
from pathlib import Path

from jinja2 import Environment, PackageLoader, select_autoescape
from nbgrader.utils import parse_utc

from cnnbook.grader import (
    cells,
    drift,
    gradebook,
    lms,
    report_charts,
    report_misconceptions,
    similarity,
)
from cnnbook.grader.course import Course
from cnnbook.grader.errors import CnnbookError
from cnnbook.grader.feedback import regular_file
from cnnbook.grader.judging.inert import csv_cell
from cnnbook.grader.report_submissions import SubmissionFiles, read_notebook, read_submission

NOT_SUBMITTED = "not_submitted"
#: the course's modules that hold reference answers: a submission whose answer cells
#: import one (where the reference solution does not) is flagged ``imports_reference``
REFERENCE_IMPORT = re.compile(
    r"(\bcnnbook\.(layers|fast_layers|nn|train|tensors)\b"
    r"|from\s+cnnbook\s+import\s+[^\n]*\b(layers|fast_layers|nn|train|tensors)\b)"
)
SIMILARITY_SHOWN = 0.5  # pairs at or above this are listed on the page (all in the CSV)


def _pct(score, max_score) -> float | None:
    if score is None or not max_score:
        return None
    return 100.0 * score / max_score


def test_pass_rates(cells: list[dict]) -> list[dict]:
    """Per autograder test cell: how many submissions got its full points. Worst first."""
    by_test: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for c in cells:
        if c["kind"] == "test":
            by_test[(c["notebook"], c["cell"])].append(c)
    rows = []
    for (notebook, cell), grades in by_test.items():
        passed = sum(1 for g in grades if g["score"] is not None and g["score"] >= g["max_score"])
        rows.append(
            {
                "notebook": notebook,
                "test": cell,
                "points": grades[0]["max_score"],
                "submissions": len(grades),
                "passed": passed,
                "pass_rate": passed / len(grades) if grades else 0.0,
            }
        )
    rows.sort(key=lambda r: (r["pass_rate"], r["notebook"], r["test"]))
    return rows


def by_test_table(cells: list[dict], students: list[str]) -> tuple[list[str], list[dict]]:
    """Student x test: ``(test columns, rows)``; a column per autograder test, named
    ``notebook/test`` when the assignment has several notebooks."""
    tests = sorted({(c["notebook"], c["cell"]) for c in cells if c["kind"] == "test"})
    several = len({nb for nb, _ in tests}) > 1
    names = {t: f"{t[0]}/{t[1]}" if several else t[1] for t in tests}
    scores = {(c["student"], c["notebook"], c["cell"]): c["score"] for c in cells}
    rows = []
    for student in students:
        row = {"student": student}
        for t in tests:
            s = scores.get((student, *t))
            row[names[t]] = "" if s is None else round(s, 4)
        rows.append(row)
    return [names[t] for t in tests], rows


def _fmt_time(t: dt.datetime | None) -> str:
    if t is None:
        return ""
    if t.tzinfo is None:
        t = t.replace(tzinfo=dt.timezone.utc)
    return t.astimezone(dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def _late_text(seconds: float) -> str:
    if seconds <= 0:
        return ""
    if seconds < 3600:
        return f"{seconds / 60:.0f} min late" if seconds >= 60 else f"{seconds:.0f} s late"
    if seconds < 86400 * 2:
        return f"{seconds / 3600:.1f} h late"
    return f"{seconds / 86400:.1f} days late"


# --------------------------------------------------------------------------- report


def build_report(course: Course, assignment: str, out_dir: Path | None = None) -> dict[str, Path]:
    """Write the report of ``assignment`` into ``out_dir`` (default ``reports/<assignment>``):
    the CSV tables, the charts and ``summary.html``; returns their paths."""
    out = Path(out_dir) if out_dir else course.root / "reports" / assignment
    out.mkdir(parents=True, exist_ok=True)
    submissions, cells = gradebook.grade_table(course.db_url, assignment)
    status = gradebook.read_status(course.db_url, assignment)
    if not submissions:
        raise CnnbookError(
            f"no graded submissions of {assignment!r}: run `cnnbook autograde {assignment}` first"
        )
    due, times = gradebook.submission_times(course.db_url, assignment)
    roster = gradebook.roster(course.db_url)
    notebooks = gradebook.notebook_names(course.db_url, assignment)
    release = {}
    for name in notebooks:
        nb = read_notebook(course.path("release", ".", assignment) / f"{name}.ipynb")
        if nb is not None:
            release[name] = nb
    stub = "\n\n".join(similarity.answer_code(nb) for nb in release.values())
    reference = "\n\n".join(
        _strip_markers(similarity.answer_code(nb))
        for nb in (
            read_notebook(course.path("source", ".", assignment) / f"{n}.ipynb") for n in notebooks
        )
        if nb is not None
    )

    paths = {
        "grades": out / "grades.csv",
        "by_test": out / "by_test.csv",
        "tests": out / "tests.csv",
        "similarity": out / "similarity.csv",
        "pass_rates": out / "pass_rates.png",
        "histogram": out / "histogram.png",
        "html": out / "summary.html",
    }
    grades_rows, files = _grade_rows(
        course, assignment, out, submissions, status, due, times, roster, notebooks, release,
        reference,
    )  # fmt: skip
    test_names, by_test, tests, pairs = _write_tables(
        paths, grades_rows, cells, files, reference, stub
    )
    percents = [r["percent"] for r in grades_rows if r["percent"] != "" and r["student"] in files]
    report_charts.pass_rates(tests, assignment, paths["pass_rates"])
    report_charts.histogram(percents, assignment, paths["histogram"])
    misconceptions = report_misconceptions.write(course.db_url, assignment, out, len(grades_rows))
    paths.update(misconceptions.paths)
    context = {
        "misconceptions": misconceptions,
        "assignment": assignment,
        "generated": _fmt_time(dt.datetime.now(dt.timezone.utc)),
        "due": _fmt_time(due) if due else "",
        "n_submissions": len(files),
        "n_roster": len(roster),
        "mean": statistics.mean(percents) if percents else 0.0,
        "median": statistics.median(percents) if percents else 0.0,
        "outcomes": sorted(Counter(r["status"] for r in grades_rows).items()),
        "grades": grades_rows,
        "late": [
            {**r, "late_text": _late_text(r["seconds_late"])}
            for r in grades_rows
            if r["status"] != NOT_SUBMITTED and r["seconds_late"] > 0
        ],
        "blank": [r for r in grades_rows if "blank" in r["flags"].split()],
        "not_submitted": [r for r in grades_rows if r["status"] == NOT_SUBMITTED],
        "linked": [r for r in grades_rows if r["links"]],
        "drifted": [r for r in grades_rows if "drift" in r["flags"].split()],
        "imports_reference": [r for r in grades_rows if "imports_reference" in r["flags"].split()],
        "test_names": test_names,
        "by_test": by_test,
        "tests": tests,
        "pairs": [p for p in pairs if p.similarity >= SIMILARITY_SHOWN],
        "n_pairs": len(pairs),
        "shown_threshold": SIMILARITY_SHOWN,
        "reference_name": similarity.REFERENCE,
    }
    paths.update(lms.write_grade_files(out, assignment, grades_rows, roster,
                                       grades_rows[0]["max_score"]))  # fmt: skip
    paths["html"].write_text(inline_images(render_summary(context), out))
    return paths


def _grade_rows(course, assignment, out, submissions, status, due, times, roster, notebooks,
                release, reference="") -> tuple[list[dict], dict[str, SubmissionFiles]]:
    """One row per student of grades.csv (late penalties, flags, the roster's missing
    students), and each submission's files."""
    grades_rows = []
    files: dict[str, SubmissionFiles] = {}
    digests = drift.grades_digests(course.db_url, assignment)
    reference_imports = {m.group(0) for m in REFERENCE_IMPORT.finditer(reference)}
    for s in submissions:
        student = s["student"]
        st = status.get(student, {})
        folder = course.path("submitted", student, assignment)
        files[student] = f = read_submission(folder, notebooks, release)
        t = times.get(student, {})
        timestamp = t.get("timestamp") or f.timestamp
        seconds_late = t.get("seconds_late", 0.0)
        if not seconds_late and timestamp and due:
            seconds_late = max(0.0, (parse_utc(timestamp) - parse_utc(due)).total_seconds())
        penalty = t.get("penalty", 0.0)
        final = max(0.0, s["score"] - penalty)
        pct = _pct(final, s["max_score"])
        flags = []
        if f.blank:
            flags.append("blank")
        if seconds_late > 0:
            flags.append("late")
        if f.links:
            flags.append("links")
        imported = {m.group(0) for m in REFERENCE_IMPORT.finditer(f.answers)}
        imported -= reference_imports
        if imported:
            flags.append("imports_reference")
        drift_reason = ""
        if st:
            drift_reason = drift.drifted(course, assignment, student, st, notebooks, digests)
        if drift_reason:
            flags.append("drift")
        grades_rows.append(
            {
                "student": student,
                "score": round(final, 4),
                "raw_score": round(s["score"], 4),
                "late_penalty": round(penalty, 4),
                "max_score": round(s["max_score"], 4),
                "percent": round(pct, 2) if pct is not None else "",
                "status": st.get("status", "not autograded by cnnbook"),
                "reason": "; ".join(
                    x for x in (st.get("reason", ""), drift_reason and
                                f"NOT the judge's grade: {drift_reason}; run `cnnbook autograde "
                                f"{assignment}` to regrade") if x
                ),  # fmt: skip
                "imports": "; ".join(sorted(imported)),
                "submitted_at": _fmt_time(timestamp),
                "seconds_late": round(seconds_late, 1),
                "flags": " ".join(flags),
                "links": "; ".join(f.links),
                "feedback": _feedback_link(course, student, assignment, notebooks, out),
            }
        )
    submitted = {r["student"] for r in grades_rows}
    missing = [r for r in roster if r["student"] not in submitted]
    for r in missing:
        grades_rows.append(
            {
                **dict.fromkeys(grades_rows[0], ""),
                "student": r["student"],
                "score": 0.0,
                "raw_score": 0.0,
                "late_penalty": 0.0,
                "max_score": grades_rows[0]["max_score"],
                "percent": 0.0,
                "status": NOT_SUBMITTED,
                "reason": "on the gradebook's roster, no submission",
            }
        )
    return grades_rows, files


def _write_tables(paths, grades_rows, cells, files, reference, stub):
    """grades.csv, by_test.csv, tests.csv and similarity.csv; returns what the summary
    shows of them (test names, per-student rows, pass rates, similar pairs)."""
    _write_csv(paths["grades"], grades_rows)

    graded = [r["student"] for r in grades_rows if r["status"] != NOT_SUBMITTED]
    test_names, by_test = by_test_table(cells, graded)
    raw = {g["student"]: g["raw_score"] for g in grades_rows}
    for row in by_test:
        row["total"] = raw[row["student"]]
    _write_csv(paths["by_test"], by_test, ["student", *test_names, "total"])

    tests = test_pass_rates(cells)
    _write_csv(
        paths["tests"],
        [{**r, "pass_rate": round(r["pass_rate"], 4)} for r in tests],
        ["notebook", "test", "points", "submissions", "passed", "pass_rate"],
    )

    codes = {s: f.answers for s, f in files.items() if f.answers and not f.blank}
    pairs = similarity.rank_pairs(codes, reference or None, stub)
    _write_csv(
        paths["similarity"],
        [
            {
                "student_a": p.a,
                "student_b": p.b,
                "similarity": p.similarity,
                "a_in_b": p.a_in_b,
                "b_in_a": p.b_in_a,
                "matching_tokens": p.overlap,
            }
            for p in pairs
        ],
        ["student_a", "student_b", "similarity", "a_in_b", "b_in_a", "matching_tokens"],
    )

    return test_names, by_test, tests, pairs


def inline_images(html: str, folder: Path) -> str:
    """The page's PNG charts as data: URIs, so that summary.html is one file that opens
    anywhere (mailed, or in its own tab behind a hub's login, where relative images fail)."""
    import base64

    def data_uri(match: re.Match) -> str:
        path = folder / match.group(1)
        if not path.is_file():
            return match.group(0)
        return 'src="data:image/png;base64,' + base64.b64encode(path.read_bytes()).decode() + '"'

    return re.sub(r'src="([\w.-]+\.png)"', data_uri, html)


def render_summary(context: dict) -> str:
    """The HTML page, from ``templates/report.html.j2`` (student text is escaped)."""
    env = Environment(
        loader=PackageLoader("cnnbook.grader", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
    )
    return env.get_template("report.html.j2").render(context)


def _strip_markers(code: str) -> str:
    return cells.answer_lines(code)


def _feedback_link(course, student, assignment, notebooks, out: Path) -> str:
    folder = course.path("feedback", student, assignment)
    pages = [folder / f"{n}.html" for n in notebooks] + [folder / "grading_note.html"]
    for page in pages:
        if regular_file(page):
            return os.path.relpath(page, out)
    return ""


def _write_csv(path: Path, rows: list[dict], fields: list[str] | None = None) -> None:
    fields = fields or (list(rows[0]) if rows else [])
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=fields, extrasaction="ignore")
        w.writeheader()
        # a student's file name or message never reads as a spreadsheet formula
        w.writerows({k: csv_cell(v) for k, v in row.items()} for row in rows)
