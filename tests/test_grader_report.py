"""``cnnbook report`` (cnnbook/grader/report.py, similarity.py): who, which test, when,
and whose code is alike - checked from its CSVs and HTML after the exchange cycle of
tests/exchange_cycle.py."""

from __future__ import annotations

import csv

import pytest

from cnnbook.grader import samples
from cnnbook.grader.report import render_summary
from cnnbook.grader.report_misconceptions import MisconceptionReport
from cnnbook.grader.similarity import REFERENCE
from tests.exchange_cycle import CLASS, NOT_SUBMITTED

A = samples.TINY


def _csv(ec, name):
    with open(ec.root / "reports" / A / name, newline="") as f:
        return list(csv.DictReader(f))


@pytest.mark.slow
@pytest.mark.xdist_group("exchange")
def test_grades_csv_has_times_lateness_penalties_roster_and_flags(exchange_class):
    ec = exchange_class
    assert ec.report_rc == 0
    rows = {r["student"]: r for r in _csv(ec, "grades.csv")}
    assert set(rows) == {*CLASS, NOT_SUBMITTED}
    for student, (_, _, status, score) in CLASS.items():
        assert rows[student]["status"] == status, rows[student]
        assert float(rows[student]["score"]) == score, rows[student]
        assert rows[student]["submitted_at"].endswith(" UTC"), rows[student]
    # fay handed in after the due date: nbgrader's "zero" penalty takes her 4 points
    fay = rows["fay"]
    assert fay["raw_score"] == "4.0" and fay["late_penalty"] == "4.0" and fay["score"] == "0.0"
    assert float(fay["seconds_late"]) > 0 and "late" in fay["flags"].split()
    for student in set(CLASS) - {"fay"}:
        assert float(rows[student]["seconds_late"]) == 0, rows[student]
        assert "late" not in rows[student]["flags"].split()
    # cara never started: flagged, unlike ben, who scored little but wrote code
    assert rows["cara"]["flags"].split() == ["blank"]
    assert "blank" not in rows["ben"]["flags"]
    # the roster's non-submitter
    assert rows[NOT_SUBMITTED]["status"] == "not_submitted"
    assert rows[NOT_SUBMITTED]["score"] == "0.0"
    # links to each student's feedback, relative to the report
    report_dir = ec.root / "reports" / A
    for student in CLASS:
        link = rows[student]["feedback"]
        assert link and (report_dir / link).is_file(), (student, link)
    assert rows["dan"]["feedback"].endswith("grading_note.html")


@pytest.mark.slow
@pytest.mark.xdist_group("exchange")
def test_by_test_csv_has_a_column_per_test(exchange_class):
    rows = {r["student"]: r for r in _csv(exchange_class, "by_test.csv")}
    assert list(next(iter(rows.values()))) == [
        "student",
        "test_square_array",
        "test_square_float",
        "test_square_int",
        "total",
    ]
    assert rows["ada"] == {
        "student": "ada",
        "test_square_array": "2.0",
        "test_square_float": "1.0",
        "test_square_int": "1.0",
        "total": "4.0",
    }
    # ben's abs(x) * x fails only the hidden square(-2)
    assert rows["ben"]["test_square_array"] == "0.0" and rows["ben"]["total"] == "2.0"
    assert NOT_SUBMITTED not in rows


@pytest.mark.slow
@pytest.mark.xdist_group("exchange")
def test_similarity_ranks_the_copy_first(exchange_class):
    rows = _csv(exchange_class, "similarity.csv")
    top = rows[0]
    assert {top["student_a"], top["student_b"]} == {"ada", "fay"}
    assert float(top["similarity"]) == 1.0
    assert all(float(r["similarity"]) < 0.5 for r in rows[1:])
    assert not any("cara" in (r["student_a"], r["student_b"]) for r in rows)  # blank


@pytest.mark.slow
@pytest.mark.xdist_group("exchange")
def test_summary_html_has_every_section(exchange_class):
    page = (exchange_class.root / "reports" / A / "summary.html").read_text()
    for heading in (
        "Needs your attention",
        "Not submitted (1)",
        "Blank: never started (1)",
        "Late (1)",
        "Similar submissions",
        "Each student, each test",
        "Submissions holding links (1)",
    ):
        assert heading in page, heading
    assert "never changes a grade" in page
    assert 'href="../../feedback/ada/ps00_tiny/ps00_tiny.html"' in page
    assert "data/hosts -&gt; /etc/passwd" in page  # listed, escaped, never followed


def test_student_text_is_escaped():
    evil = '<script>alert("x")</script>'
    row = {
        "student": evil,
        "score": 1,
        "max_score": 4,
        "percent": 25,
        "late_penalty": 0,
        "status": "ok",
        "reason": evil,
        "submitted_at": "",
        "flags": "blank",
        "links": evil,
        "feedback": 'x" onclick="alert(1)',
        "seconds_late": 0,
    }
    page = render_summary(
        {
            "assignment": A,
            "generated": "",
            "due": "",
            "n_submissions": 1,
            "n_roster": 1,
            "mean": 25.0,
            "median": 25.0,
            "outcomes": [("ok", 1)],
            "grades": [row],
            "late": [],
            "blank": [row],
            "not_submitted": [],
            "linked": [row],
            "test_names": ["t"],
            "by_test": [{"student": evil, "t": 1.0, "total": 1.0}],
            "tests": [],
            "pairs": [],
            "n_pairs": 0,
            "shown_threshold": 0.5,
            "reference_name": REFERENCE,
            "misconceptions": MisconceptionReport(
                [{"students": 1, "percent": 100, "says": evil, "reread": evil, "tests": "t"}], 1
            ),
        }
    )
    assert "<script>" not in page
    assert "&lt;script&gt;alert(" in page
    assert 'onclick="alert(1)"' not in page
