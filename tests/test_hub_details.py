"""The smaller grading-side items of issue 24: the released notebook opens saved
(its ``language_info`` is the kernel's), Formgrader gets names instead of "None, None",
long judge messages wrap in feedback pages and in Formgrader. About 15 s."""

from __future__ import annotations

import sys

import nbformat
from nbgrader.api import Gradebook

from cnnbook.cli import main as cnnbook
from cnnbook.grader import gradebook, samples
from cnnbook.grader.judging.replay import verdict_outputs, wrap_lines

A = samples.TINY


def test_release_names_and_wrapped_feedback(tmp_path):
    root = samples.write_tiny_course(tmp_path / "course")
    source = root / "solutions" / A / f"{A}.ipynb"
    nb = nbformat.read(source, as_version=4)
    nb.metadata["language_info"] = {"name": "python", "version": "3.0.1"}  # another machine
    nbformat.write(nb, source)
    assert cnnbook(["--root", str(root), "release", A]) == 0
    released = nbformat.read(root / "exercises" / A / f"{A}.ipynb", as_version=4)
    info = released.metadata["language_info"]
    assert info["version"] == sys.version.split()[0]  # what the kernel will report
    assert info["pygments_lexer"] == "ipython3" and info["codemirror_mode"]["name"] == "ipython"

    db = f"sqlite:///{root / 'gradebook.db'}"
    with Gradebook(db) as gb:
        gb.update_or_create_student("student0001", first_name="Grace", last_name="Hopper")
    samples.submit_honest_class(root, A, 2)
    samples.make_submission(
        nbformat.read(root / "exercises" / A / f"{A}.ipynb", as_version=4),
        {"square": samples.TINY_ANSWERS["partial"]},
        path=root / "submitted" / "student0002" / A / f"{A}.ipynb",
    )
    assert cnnbook(["--root", str(root), "autograde", A, "--no-progress"]) == 0
    names = {r["student"]: (r["first_name"], r["last_name"]) for r in gradebook.roster(db)}
    assert names["student0001"] == ("Grace", "Hopper")  # the roster's names are kept
    assert names["student0000"] == ("", "student0000")  # no account, no roster: the id
    assert cnnbook(["--root", str(root), "feedback", A]) == 0
    page = (root / "feedback" / "student0002" / A / f"{A}.html").read_text()
    assert 'id="cnnbook-wrap"' in page and "white-space: pre-wrap" in page
    assert page.count('id="cnnbook-wrap"') == 1
    assert cnnbook(["--root", str(root), "feedback", A]) == 0  # idempotent
    page = (root / "feedback" / "student0002" / A / f"{A}.html").read_text()
    assert page.count('id="cnnbook-wrap"') == 1


def test_judge_messages_wrap_for_formgrader():
    link = "https://cnnbook.github.io/cnn-from-the-ground-up/chapters/02_convolution.html#x"
    message = "Likely mistake: " + "the bias is left out of the value " * 6 + link
    out = verdict_outputs({"passed": False, "message": message})
    error = out[-1]
    assert error["evalue"] == message  # the message itself, whole
    lines = error["traceback"][0].splitlines()
    assert len(lines) > 1
    assert all(len(x) <= 100 or link in x for x in lines)
    assert link in error["traceback"][0]  # a link is never cut
    assert " ".join(lines).replace("AssertionError: ", "") == message
    assert wrap_lines("short") == "short"
