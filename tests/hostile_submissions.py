"""Hostile and careless submissions for the tiny sample course (cnnbook.grader.samples).

Test fixtures, not shipped with the package: code put in front of an honest answer
(:data:`PREFIXES`), and an answer cell that tries to reach what it must not
(:func:`snoop_code`).
"""

from __future__ import annotations

from pathlib import Path

from cnnbook.grader import samples

# Code a hostile or unlucky student puts in front of an otherwise honest answer.
PREFIXES = {
    **samples.PREFIXES,
    "huge_allocation": "import numpy as np\nbig = np.ones(40 * 1024**3 // 8)  # 40 GB",
    "print_50mb": 'print("x" * 50_000_000)',
}


def snoop_code(course_root: Path, victim: str, assignment: str, port: int) -> str:
    """An answer cell that tries to read another student's notebook and the solutions,
    to rewrite the gradebook and to open a socket, then answers wrongly (so any score
    above 0 would be a successful tampering). It prints what it managed as JSON."""
    victim_nb = course_root / "submitted" / victim / assignment / f"{assignment}.ipynb"
    solution = course_root / "solutions" / assignment / f"{assignment}.ipynb"
    gradebook = course_root / "gradebook.db"
    return f"""\
import glob, json, os, socket, sqlite3
report = {{}}
def attempt(name, fn):
    try:
        report[name] = "SUCCEEDED: " + str(fn())[:200]
    except Exception as e:
        report[name] = "blocked: " + type(e).__name__
attempt("read_victim", lambda: open({str(victim_nb)!r}).read())
relative = "../../{victim}/{assignment}/{assignment}.ipynb"
attempt("read_victim_relative", lambda: open(relative).read())
pattern = {str(course_root.parent)!r} + "/**/*.ipynb"
attempt("find_notebooks", lambda: glob.glob(pattern, recursive=True) or 1/0)
attempt("read_solutions", lambda: open({str(solution)!r}).read())
def rewrite():
    db = sqlite3.connect({str(gradebook)!r})
    db.execute("UPDATE grade SET auto_score = 100")
    db.commit()
    return "rewritten"
attempt("rewrite_gradebook", rewrite)
attempt("write_outside", lambda: open({str(course_root / "pwned.txt")!r}, "w").write("pwned"))
def connect():
    s = socket.create_connection(("127.0.0.1", {port}), timeout=3)
    s.sendall(b"leak")
    return "connected"
attempt("socket", connect)
print(json.dumps(report))

def square(x):
    return 0
"""
