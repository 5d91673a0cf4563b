"""The misconceptions part of ``cnnbook report``: which known mistakes the class holds.

Read from the gradebook's ``cnnbook_diagnoses`` table (the judge's ``Likely mistake:``
lines, recorded per submission by ``cnnbook autograde``): per misconception, how many
students' submissions matched it, with its sentence and the book section to reteach
from. Writes ``misconceptions.csv`` and ``misconceptions.png`` (most frequent at the
top) and returns the HTML section of ``summary.html``.
"""

from __future__ import annotations

import csv
import textwrap
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from cnnbook.grader import gradebook
from cnnbook.grader.judging.inert import csv_cell
from cnnbook.grader.judging.misconceptions import BY_ID

FIELDS = ["misconception", "students", "percent", "says", "reread", "functions", "tests",
          "student_ids"]  # fmt: skip


@dataclass
class MisconceptionReport:
    rows: list[dict]
    submissions: int
    paths: dict[str, Path] = field(default_factory=dict)


def class_counts(diagnoses: list[dict], submissions: int) -> list[dict]:
    """One row per misconception: the students whose submission matched it; most first."""
    students: dict[str, set[str]] = defaultdict(set)
    tests: dict[str, set[str]] = defaultdict(set)
    for d in diagnoses:
        # a line naming several mistakes (two at once, or one per call) has id a+b:
        # each counts
        for name in d["misconception"].split("+"):
            known = BY_ID.get(name)  # a former id (alias) counts as the entry's
            mid = known.id if known else name
            students[mid].add(d["student"])
            tests[mid].add(d["cell"])
    rows = []
    for mid, who in students.items():
        m = BY_ID.get(mid)
        rows.append(
            {
                "misconception": mid,
                "students": len(who),
                "percent": round(100.0 * len(who) / submissions, 1) if submissions else "",
                "says": m.says if m else "(no longer in the catalogue)",
                "reread": m.section if m else "",
                "functions": " ".join(m.functions) if m else "",
                "tests": " ".join(sorted(tests[mid])),
                "student_ids": " ".join(sorted(who)),
            }
        )
    rows.sort(key=lambda r: (-r["students"], r["misconception"]))
    return rows


def _chart(rows: list[dict], assignment: str, submissions: int, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    labels = ["\n".join(textwrap.wrap(r["says"], 60)[:3]) for r in reversed(rows)]
    counts = [r["students"] for r in reversed(rows)]
    fig, ax = plt.subplots(figsize=(9, 0.75 * max(2, len(rows)) + 1.2))
    ax.barh(range(len(rows)), counts, color="#C44E52")
    ax.set_yticks(range(len(rows)), labels, fontsize=8)
    for y, n in enumerate(counts):
        ax.text(n, y, f" {n}", va="center", fontsize=8)
    ax.set_xlim(0, max(counts + [1]) * 1.15)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel(f"students (of {submissions} submissions)")
    ax.set_title(f"{assignment}: misconceptions, most frequent at the top", fontsize=11)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def write(db_url: str, assignment: str, out: Path, submissions: int) -> MisconceptionReport:
    """Write the CSV and the chart into ``out``; the summary page renders ``rows``
    (templates/report.html.j2)."""
    rows = class_counts(gradebook.read_diagnoses(db_url, assignment), submissions)
    report = MisconceptionReport(rows, submissions)
    report.paths["misconceptions"] = out / "misconceptions.csv"
    with open(report.paths["misconceptions"], "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=FIELDS)
        w.writeheader()
        w.writerows({k: csv_cell(v) for k, v in row.items()} for row in rows)
    if rows:
        report.paths["misconceptions_chart"] = out / "misconceptions.png"
        _chart(rows, assignment, submissions, report.paths["misconceptions_chart"])
    return report
