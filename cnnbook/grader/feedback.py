"""``cnnbook feedback``: feedback every graded student can fetch through the exchange.

nbgrader's ``generate_feedback`` writes ``feedback/<student>/<a>/<notebook>.html`` for
each autograded submission. Through nbgrader's exchange (0.9.6) that is not enough:

* ``nbgrader release_feedback`` opens ``timestamp.txt`` and ``submission_secret.txt``
  in *every* feedback folder; one folder without them (a missing or corrupt notebook
  has no autograded/ folder, so nbgrader writes none) stops the release of the whole
  class with ``FileNotFoundError``;
* ``nbgrader fetch_feedback`` only fetches ``<name>.html`` for each ``<name>.ipynb``
  the student submitted: a separate ``grading_note.html`` is released but never fetched.

So for every graded student this module completes the folder: the submission's
``timestamp.txt`` and ``submission_secret.txt`` (a fresh random secret when the
submission did not come through the exchange, so that releasing never fails on it),
and the reason for an abnormal status where the student will see it - as a note at
the top of nbgrader's feedback page, or, for a notebook nbgrader could not grade, as a
page named after each notebook the student did submit. ``grading_note.html`` is
written too, for courses that hand feedback back through an LMS. Nothing else stays in
a feedback folder: nbgrader copies every other file of the submission there, and none
of it is feedback.

Links: a symbolic link in a student's ``autograded/`` or ``feedback/`` folder is
recorded and removed *before* nbgrader copies those folders (its copy follows links),
and nothing in ``submitted/`` is read through a link.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from jinja2 import Environment, PackageLoader, select_autoescape

from cnnbook.grader import gradebook, interrupts
from cnnbook.grader.course import Course

NOTE_FILE = "grading_note.html"
NOTE_MARK = '<meta name="generator" content="cnnbook grading note">'
BLOCK_START = "<!-- cnnbook grading note -->"
BLOCK_END = "<!-- /cnnbook grading note -->"

HEADLINES = {
    "timeout": "Your notebook did not finish within the time limit: the cells that did not "
    "run score 0.",
    "memory_limit": "Your code used more memory than allowed: the cell that failed, and what "
    "depends on it, score 0.",
    "kernel_died": "Your code ended its own Python process: the cells that did not run score 0.",
    "output_limit": "Your notebook printed more output than allowed; the rest was dropped "
    "(your score is not affected).",
    "corrupt_notebook": "The notebook file you submitted is not a readable notebook (perhaps "
    "damaged during the upload), so it could not be graded.",
    "missing_notebook": "The notebook the assignment expects was not in your submission, so "
    "nothing could be graded.",
    "sandbox_error": "The grading tool failed on your submission; your instructor will regrade it.",
    "grading_error": "The grading tool failed on your submission; your instructor will regrade it.",
    "no_feedback": "Feedback for this notebook could not be generated.",
}


@dataclass
class StudentFeedback:
    student: str
    status: str
    fetchable: list[str] = field(default_factory=list)  # <name>.html fetch_feedback delivers
    note: bool = False  # the reason is written into the pages
    problem: str = ""  # why the exchange cannot deliver it (hand it back yourself)
    dropped_links: list[str] = field(default_factory=list)


@dataclass
class FeedbackResult:
    assignment: str
    students: list[StudentFeedback]
    nbgrader_error: str = ""  # nbgrader's reason if generate_feedback failed for some

    @property
    def problems(self) -> list[StudentFeedback]:
        return [s for s in self.students if s.problem]


def drop_links(folder: Path) -> list[str]:
    """Remove every symbolic link (and anything not a file or folder) under ``folder``,
    without following any; returns ``"relative/path -> target"`` for each."""
    dropped: list[str] = []
    if not folder.is_dir() or folder.is_symlink():
        return dropped
    for dirpath, dirnames, filenames in os.walk(folder):  # os.walk never follows links
        for name in dirnames + filenames:
            p = Path(dirpath) / name
            if p.is_symlink():
                dropped.append(f"{p.relative_to(folder)} -> {os.readlink(p)}")
                p.unlink()
            elif not (p.is_dir() or p.is_file()):
                dropped.append(f"{p.relative_to(folder)} (not a regular file)")
                p.unlink()
    return dropped


def regular_file(path: Path) -> bool:
    """A file that is really in its folder: not a link, not a FIFO or device."""
    return path.is_file() and not path.is_symlink()


def read_small(path: Path, limit: int = 4096) -> str | None:
    """A short text file of a submission, never through a link."""
    if not regular_file(path) or path.stat().st_size > limit:
        return None
    return path.read_text(errors="replace")


def submitted_notebooks(folder: Path) -> list[str]:
    """Names (without .ipynb) of the notebooks at the top of a submission folder: the
    ones nbgrader's fetch_feedback looks for feedback for."""
    if not folder.is_dir() or folder.is_symlink():
        return []
    return sorted(p.stem for p in folder.glob("*.ipynb") if regular_file(p))


def _env() -> Environment:
    return Environment(
        loader=PackageLoader("cnnbook.grader", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
    )


def note_context(assignment: str, row: dict, expected: list[str], submitted: list[str]):
    status = row.get("status", "no_feedback")
    if row.get("score") is None:
        score = "not recorded"
    else:
        score = f"{row['score']:g} / {row['max_score']:g}"
    advice = "Ask your instructor if this looks wrong."
    if status == "missing_notebook":
        names = ", ".join(f"{n}.ipynb" for n in expected)
        advice = f"If you can still resubmit, submit {names} under that name. {advice}"
    return {
        "assignment": assignment,
        "headline": HEADLINES.get(status, HEADLINES["no_feedback"]),
        "reason": row.get("reason", ""),
        "expected": [f"{n}.ipynb" for n in expected],
        "submitted": [f"{n}.ipynb" for n in submitted]
        if status in ("missing_notebook", "no_feedback")
        else [],
        "score": score,
        "advice": advice,
    }


def _insert_note(page: str, block: str) -> str:
    """nbgrader's feedback page with the note right after ``<body ...>`` (replacing an
    earlier note, so re-running is idempotent)."""
    start, end = page.find(BLOCK_START), page.find(BLOCK_END)
    if start != -1 and end != -1:
        page = page[:start] + page[end + len(BLOCK_END) :]
    marked = f"{BLOCK_START}\n{block}\n{BLOCK_END}"
    body = page.find("<body")
    if body == -1:
        return marked + page
    close = page.find(">", body) + 1
    return page[:close] + "\n" + marked + page[close:]


#: nbgrader's pages show outputs in <pre>, which never wraps: a judge's message or a
#: "Likely mistake:" line ran off the right edge
WRAP_STYLE = (
    '<style id="cnnbook-wrap">pre, .output_text pre, .output_error pre '
    "{ white-space: pre-wrap; overflow-wrap: anywhere; }</style>"
)


def wrap_outputs(page: str) -> str:
    """The page with :data:`WRAP_STYLE` in its head (once)."""
    if 'id="cnnbook-wrap"' in page:
        return page
    head = page.find("</head>")
    return page[:head] + WRAP_STYLE + page[head:] if head != -1 else WRAP_STYLE + page


KEPT = ("timestamp.txt", "submission_secret.txt")


def _keep_only_feedback(folder: Path) -> None:
    """nbgrader copies every other file of the autograded submission into the feedback
    folder; only the pages and the exchange's two files belong there (a file collect
    copied through a link must not ride back to a student with an LMS export)."""
    for p in sorted(folder.iterdir()):
        if p.is_dir() and not p.is_symlink():
            shutil.rmtree(p)
        elif not (p.suffix == ".html" or p.name in KEPT):
            p.unlink()


def _complete_exchange_files(folder: Path, submission: Path) -> str:
    """Give the feedback folder the two files release_feedback opens. Returns a problem
    ('' if none) when the submission did not come through the exchange."""
    problem = ""
    for name in ("timestamp.txt", "submission_secret.txt"):
        text = read_small(submission / name)
        dest = folder / name
        if dest.is_symlink():
            dest.unlink()
        if text is None:
            if name == "timestamp.txt":
                now = dt.datetime.now(dt.timezone.utc)
                text = now.strftime("%Y-%m-%d %H:%M:%S.%f UTC")
            else:
                text = secrets.token_hex(64)
                problem = (
                    "the submission has no submission_secret.txt (it did not come through "
                    "nbgrader's exchange): fetch_feedback cannot deliver it; hand the "
                    "feedback folder back yourself"
                )
        dest.write_text(text)
    return problem


def write_feedback(course: Course, assignment: str) -> FeedbackResult:
    """nbgrader's feedback for every graded student, completed for the exchange."""
    course.require_assignment(assignment)
    status = gradebook.read_status(course.db_url, assignment)
    submissions, _ = gradebook.grade_table(course.db_url, assignment)
    expected = gradebook.notebook_names(course.db_url, assignment)
    students = sorted(set(status) | {s["student"] for s in submissions})

    dropped: dict[str, list[str]] = {}
    for student in students:  # before nbgrader copies anything out of these folders
        dropped[student] = drop_links(course.path("autograded", student, assignment))
        dropped[student] += drop_links(course.path("feedback", student, assignment))

    nbgrader_error = ""
    graded = [s for s in students if course.path("autograded", s, assignment).is_dir()]
    # with no autograded folder at all, nbgrader fails with "No notebooks were matched"
    r = course.api.generate_feedback(assignment, force=True) if graded else {"success": True}
    interrupts.check()
    if not r.get("success"):
        from cnnbook.grader.release import nbgrader_reason

        nbgrader_error = nbgrader_reason(r.get("log") or "", r.get("error") or "")[0]

    env = _env()
    out: list[StudentFeedback] = []
    for student in students:
        row = status.get(student) or {"status": "ok", "reason": "", "score": None}
        folder = course.path("feedback", student, assignment)
        folder.mkdir(parents=True, exist_ok=True)
        links = dropped[student] + drop_links(folder)
        _keep_only_feedback(folder)
        submission = course.path("submitted", student, assignment)
        handed_in = submitted_notebooks(submission)
        sf = StudentFeedback(student, row["status"], dropped_links=links)
        sf.problem = _complete_exchange_files(folder, submission)
        # notes written by an earlier run go; nbgrader's pages were just rewritten
        for page in folder.glob("*.html"):
            if page.name == NOTE_FILE or NOTE_MARK in page.read_text(errors="replace"):
                page.unlink()
        for page in folder.glob("*.html"):  # long judge messages wrap, never run off
            page.write_text(wrap_outputs(page.read_text(errors="replace")))
        abnormal = row["status"] != "ok"
        missing_pages = [
            n for n in handed_in if n in expected and not (folder / f"{n}.html").is_file()
        ]
        if missing_pages and not abnormal:
            row = {**row, "status": "no_feedback", "reason": nbgrader_error or row["reason"]}
            abnormal = True
        if abnormal:
            ctx = note_context(assignment, row, expected, handed_in)
            block = env.get_template("note_block.html.j2").render(ctx)
            page = env.get_template("grading_note.html.j2").render(ctx)
            (folder / NOTE_FILE).write_text(page)
            for name in handed_in:
                html_path = folder / f"{name}.html"
                if html_path.is_file():
                    html_path.write_text(_insert_note(html_path.read_text(), block))
                else:
                    html_path.write_text(page)
            sf.note = True
        sf.fetchable = [f"{n}.html" for n in handed_in if (folder / f"{n}.html").is_file()]
        if not handed_in and not sf.problem:
            sf.problem = (
                "no notebook was submitted, so fetch_feedback has nothing to deliver the "
                f"feedback with; hand {folder / NOTE_FILE} back yourself"
            )
        out.append(sf)
    # folders of students no longer graded (an earlier run, a hand-made folder): made
    # releasable too, so that release_feedback never stops the class on one of them
    for folder in sorted(course.path("feedback").glob(f"*/{assignment}")):
        student = folder.parent.name
        if student in students or not folder.is_dir() or folder.is_symlink():
            continue
        drop_links(folder)
        problem = _complete_exchange_files(folder, course.path("submitted", student, assignment))
        out.append(
            StudentFeedback(
                student,
                "not_graded",
                problem=problem or ("not in the gradebook: an old feedback folder, left as it was"),
            )
        )
    return FeedbackResult(assignment, out, nbgrader_error)
