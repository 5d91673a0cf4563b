"""``cnnbook report``: grades CSV, per-test pass rates, a score histogram, one HTML page.

Everything is read from the gradebook (nbgrader's grades plus cnnbook's side table of
autograde outcomes), so the report also covers grades changed by hand in formgrader.
"""

from __future__ import annotations

import csv
import html
import statistics
from collections import Counter, defaultdict
from pathlib import Path

from . import gradebook, report_misconceptions
from .course import Course


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


def build_report(course: Course, assignment: str, out_dir: Path | None = None) -> dict[str, Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    out = Path(out_dir) if out_dir else course.root / "reports" / assignment
    out.mkdir(parents=True, exist_ok=True)
    submissions, cells = gradebook.grade_table(course.db_url, assignment)
    status = gradebook.read_status(course.db_url, assignment)
    if not submissions:
        raise SystemExit(f"no graded submissions of {assignment!r}: run `cnnbook autograde` first")

    paths = {
        "grades": out / "grades.csv",
        "tests": out / "tests.csv",
        "pass_rates": out / "pass_rates.png",
        "histogram": out / "histogram.png",
        "html": out / "summary.html",
    }
    grades_rows = []
    for s in submissions:
        st = status.get(s["student"], {})
        pct = _pct(s["score"], s["max_score"])
        grades_rows.append(
            {
                "student": s["student"],
                "score": round(s["score"], 4),
                "max_score": round(s["max_score"], 4),
                "percent": round(pct, 2) if pct is not None else "",
                "status": st.get("status", "not autograded by cnnbook"),
                "reason": st.get("reason", ""),
            }
        )
    with open(paths["grades"], "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(grades_rows[0]))
        w.writeheader()
        w.writerows(grades_rows)

    tests = test_pass_rates(cells)
    with open(paths["tests"], "w", newline="") as f:
        fields = ["notebook", "test", "points", "submissions", "passed", "pass_rate"]
        w = csv.DictWriter(f, fieldnames=fields)
        w.writeheader()
        for r in tests:
            w.writerow({**r, "pass_rate": round(r["pass_rate"], 4)})

    # pass rates: the checks the class fails most at the top
    fig, ax = plt.subplots(figsize=(7, 0.45 * max(3, len(tests)) + 1.2))
    labels = [r["test"] for r in reversed(tests)]
    rates = [100 * r["pass_rate"] for r in reversed(tests)]
    ax.barh(labels, rates, color="#4C72B0")
    for y, rate in enumerate(rates):
        ax.text(min(rate + 1, 92), y, f"{rate:.0f}%", va="center", fontsize=8)
    ax.set_xlim(0, 100)
    ax.set_xlabel("submissions passing (%)")
    ax.set_title(f"{assignment}\nautograder tests, most failed at the top", fontsize=11)
    fig.tight_layout()
    fig.savefig(paths["pass_rates"], dpi=100)
    plt.close(fig)

    percents = [r["percent"] for r in grades_rows if r["percent"] != ""]
    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.hist(percents, bins=[i * 10 for i in range(11)], color="#55A868", edgecolor="white")
    ax.set_xlim(0, 100)
    ax.set_xlabel("score (% of the points)")
    ax.set_ylabel("submissions")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_title(f"{assignment}: score distribution (n = {len(percents)})")
    fig.tight_layout()
    fig.savefig(paths["histogram"], dpi=100)
    plt.close(fig)

    counts = Counter(r["status"] for r in grades_rows)
    e = html.escape

    def table(rows: list[dict], cols: list[str]) -> str:
        head = "".join(f"<th>{e(c)}</th>" for c in cols)
        body = "".join(
            "<tr>" + "".join(f"<td>{e(str(r[c]))}</td>" for c in cols) + "</tr>" for r in rows
        )
        return f"<table><tr>{head}</tr>{body}</table>"

    misconceptions = report_misconceptions.write(course.db_url, assignment, out, len(grades_rows))
    paths.update(misconceptions.paths)
    mean = statistics.mean(percents) if percents else 0.0
    median = statistics.median(percents) if percents else 0.0
    test_rows = [{**r, "pass_rate": f"{100 * r['pass_rate']:.0f}%"} for r in tests]
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{e(assignment)}: grading report</title>
<style>
body {{ font-family: sans-serif; max-width: 60em; margin: 2em auto; color: #222; }}
table {{ border-collapse: collapse; margin: 1em 0; }}
td, th {{ border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: left; }}
th {{ background: #f0f0f0; }}
img {{ max-width: 100%; }}
</style></head><body>
<h1>{e(assignment)}: grading report</h1>
<p>{len(grades_rows)} submissions; mean score {mean:.1f}%, median {median:.1f}%.</p>
<h2>Outcomes</h2>
{
        table(
            [{"status": k, "submissions": v} for k, v in sorted(counts.items())],
            ["status", "submissions"],
        )
    }
<h2>Tests the class fails most</h2>
<img src="pass_rates.png" alt="pass rate of each autograder test">
{table(test_rows, ["test", "notebook", "points", "passed", "submissions", "pass_rate"])}
{misconceptions.html}<h2>Score distribution</h2>
<img src="histogram.png" alt="histogram of scores">
<h2>Grades</h2>
{table(grades_rows, ["student", "score", "max_score", "percent", "status", "reason"])}
<p>Files: <a href="grades.csv">grades.csv</a>, <a href="tests.csv">tests.csv</a>.</p>
</body></html>
"""
    paths["html"].write_text(page)
    return paths
