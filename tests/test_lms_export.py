"""Grades out to the LMS (issue 24): ``cnnbook report`` writes Canvas's gradebook-import
CSV and Moodle's CSV grade import, from the roster (names, email, ``lms_user_id``), with
the final score after the late penalty; formula-like cells are neutralised; and
``summary.html`` is one self-contained file (images inline). About 15 s.
"""

from __future__ import annotations

import csv
import datetime as dt
import re

from nbgrader.api import Gradebook

from cnnbook.cli import main as cnnbook
from cnnbook.grader import samples

A = samples.TINY


def test_canvas_and_moodle_grade_files(tmp_path):
    root = samples.write_tiny_course(tmp_path / "course")
    with open(root / "nbgrader_config.py", "a") as f:
        f.write('c.LateSubmissionPlugin.penalty_method = "zero"\n')
    assert cnnbook(["--root", str(root), "release", A]) == 0
    db = f"sqlite:///{root / 'gradebook.db'}"
    due = dt.datetime(2026, 11, 20, 17, 0, 0)
    with Gradebook(db) as gb:
        gb.update_or_create_assignment(A, duedate=due)
        gb.update_or_create_student("student0000", first_name="Ada", last_name="Lovelace",
                                    email="ada@example.org", lms_user_id="4242")  # fmt: skip
        gb.update_or_create_student("student0001", first_name="=HYPERLINK(\"x\")",
                                    last_name="@Evil", email="+evil@example.org")  # fmt: skip
        gb.update_or_create_student("absent", first_name="Never", last_name="Came",
                                    email="absent@example.org")  # fmt: skip
    samples.submit_honest_class(root, A, 3)  # student0000..0002 (0002 not on the roster yet)
    (root / "submitted" / "student0001" / A / "timestamp.txt").write_text(
        "2026-11-21 17:00:00 UTC"  # a day late: the "zero" penalty takes every point
    )
    assert cnnbook(["--root", str(root), "autograde", A, "--no-progress"]) == 0
    assert cnnbook(["--root", str(root), "report", A]) == 0
    out = root / "reports" / A

    with open(out / "canvas_grades.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", A]
    assert rows[1][0].strip() == "Points Possible"
    max_score = float(rows[1][5])
    assert max_score > 0
    by_login = {r[3]: r for r in rows[2:]}
    assert set(by_login) == {"absent", "student0000", "student0001", "student0002"}
    assert by_login["student0000"][:3] == ["Lovelace, Ada", "4242", "student0000"]
    assert float(by_login["student0000"][5]) == max_score  # honest, on time
    assert float(by_login["student0001"][5]) == 0  # honest, but late: the penalty applied
    assert float(by_login["absent"][5]) == 0  # on the roster, nothing submitted
    assert by_login["student0002"][0] == "student0002"  # no name known: the id
    # no cell a spreadsheet would evaluate
    assert by_login["student0001"][0] == "'@Evil, =HYPERLINK(\"x\")"
    for row in rows:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@")), cell

    with open(out / "moodle_grades.csv", newline="", encoding="utf-8") as f:
        moodle = list(csv.DictReader(f))
    assert list(moodle[0]) == ["Email address", "ID number", "Username", A]
    by_id = {r["ID number"]: r for r in moodle}
    assert by_id["student0000"]["Email address"] == "ada@example.org"
    assert float(by_id["student0000"][A]) == max_score
    assert float(by_id["student0001"][A]) == 0
    assert by_id["student0001"]["Email address"] == "'+evil@example.org"
    # the same final scores as grades.csv
    with open(out / "grades.csv", newline="") as f:
        grades = {r["student"]: float(r["score"]) for r in csv.DictReader(f)}
    assert {k: float(v[A]) for k, v in by_id.items()} == grades

    page = (out / "summary.html").read_text()
    assert 'src="data:image/png;base64,' in page
    assert not re.search(r'src="(?!data:)', page)  # nothing to fetch beside the page
