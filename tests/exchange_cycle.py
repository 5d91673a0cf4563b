"""A term's cycle through nbgrader's real exchange, as docs/instructors.md tells it.

Six students, each with their own HOME (their assignment folder and nbgrader cache)
and student id: release -> ``nbgrader release_assignment`` -> ``fetch_assignment``/``submit`` as
each student -> ``nbgrader collect`` (and ``collect --update`` for a resubmission) ->
``cnnbook autograde`` -> ``cnnbook feedback`` -> ``nbgrader release_feedback`` ->
``fetch_feedback`` as each student -> ``cnnbook report``. Used once per test run by the
``exchange_class`` fixture (conftest.py); test_grader_feedback.py and test_grader_report.py check it.

The instructor's steps are nbgrader's and cnnbook's commands, as in the docs. One
student (ada) runs the student commands (``nbgrader fetch_assignment``, ``submit``,
``fetch_feedback``) as written in the docs; the others run the same exchange classes
of nbgrader in this process (the commands are thin wrappers around them), which saves
two seconds of start-up per call. Students are told apart by ``--student`` (on a
JupyterHub, their login), not by Unix accounts: that keeps this cycle quick and free of
root. Other accounts can run the course's Python when it is a venv made from a Python
they can run (Debian's ``/usr/bin/python3.11``) in a folder they can read;
tests/test_jupyterhub.py does so, with real accounts on a real JupyterHub.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from cnnbook.cli import main as cnnbook
from cnnbook.grader import samples

A = samples.TINY
COURSE_ID = "cnnbook-exchange-test"
PASSWD_LINE = "root:x:0:0"
INSTRUCTOR_FILE = "instructor-only.txt"  # a link to it planted in the exchange's inbound
INSTRUCTOR_SECRET = (
    "instructor-only-3e7a91"  # in /etc/passwd: must never reach autograded/, feedback/, reports/
)

ORIGINAL = (
    "def square(x):\n"
    "    result = x * x\n"
    "    if hasattr(result, 'copy'):\n"
    "        result = result.copy()\n"
    "    total = 0\n"
    "    for _ in range(3):\n"
    "        total += 1\n"
    "    return result\n"
)
# fay copies ada's answer and renames the variables
COPIED = ORIGINAL.replace("result", "out").replace("total", "count")

# student -> (answers for the answer cell, prefix, expected status, expected score)
CLASS = {
    "ada": ({"square": ORIGINAL}, "", "ok", 4),
    "ben": ({"square": samples.TINY_ANSWERS["partial"]}, "", "ok", 2),
    "cara": ({}, "", "ok", 0),  # fetched, never started, submitted
    "dan": ({"square": ORIGINAL}, "", "missing_notebook", 0),  # renamed the notebook
    "eve": (
        {"square": samples.TINY_ANSWERS["honest"]},
        samples.PREFIXES["infinite_loop"],
        "timeout",
        0,
    ),
    "fay": ({"square": COPIED}, "", "ok", 0),  # late: the zero penalty applies
}
NOT_SUBMITTED = "gil"  # on the roster, never submits
RENAMED = "homework"  # dan's notebook name


@dataclass
class ExchangeClass:
    root: Path  # the course root (the instructor's)
    exchange: Path
    homes: dict[str, Path]
    due: dt.datetime
    logs: dict[str, str] = field(default_factory=dict)  # command -> output
    feedback_rc: int = -1
    report_rc: int = -1

    def to_json(self) -> str:
        return json.dumps(
            {
                "root": str(self.root),
                "exchange": str(self.exchange),
                "homes": {k: str(v) for k, v in self.homes.items()},
                "due": self.due.isoformat(),
                "logs": self.logs,
                "feedback_rc": self.feedback_rc,
                "report_rc": self.report_rc,
            }
        )

    @classmethod
    def from_json(cls, text: str) -> ExchangeClass:
        d = json.loads(text)
        return cls(
            Path(d["root"]),
            Path(d["exchange"]),
            {k: Path(v) for k, v in d["homes"].items()},
            dt.datetime.fromisoformat(d["due"]),
            d["logs"],
            d["feedback_rc"],
            d["report_rc"],
        )

    def fetched(self, student: str) -> list[Path]:
        return sorted((self.homes[student] / A / "feedback").glob("*/*.html"))


def make_student(name: str, base: Path) -> Path:
    home = base / "homes" / name
    home.mkdir(parents=True, exist_ok=True)
    return home


CLI_STUDENT = "ada"


def as_student(name: str, home: Path, command: str, exchange: Path) -> str:
    """A student's ``nbgrader COMMAND A``: in their HOME, with their course config."""
    if name == CLI_STUDENT:
        env = {
            "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
            "HOME": str(home),
            "LANG": "C.UTF-8",
        }
        args = [sys.executable, "-m", "nbgrader", command, A, f"--student={name}"]
        if command == "fetch_assignment":
            args.remove(f"--student={name}")
        proc = subprocess.run(args, cwd=home, env=env, capture_output=True, text=True, timeout=120)
        out = proc.stdout + proc.stderr
        assert proc.returncode == 0, f"{name}: nbgrader {command} failed:\n{out}"
        return out
    from nbgrader.auth import Authenticator
    from nbgrader.coursedir import CourseDirectory
    from nbgrader.exchange import default as exchanges
    from traitlets.config import Config

    cfg = Config()
    cfg.CourseDirectory.course_id = COURSE_ID
    cfg.CourseDirectory.assignment_id = A
    cfg.CourseDirectory.student_id = name
    cfg.Exchange.root = str(exchange)
    cfg.Exchange.cache = str(home / ".local" / "share" / "jupyter" / "nbgrader_cache")
    cfg.Exchange.assignment_dir = str(home)
    cls = {
        "fetch_assignment": exchanges.ExchangeFetchAssignment,
        "submit": exchanges.ExchangeSubmit,
        "fetch_feedback": exchanges.ExchangeFetchFeedback,
    }[command]
    coursedir = CourseDirectory(config=cfg)
    app = cls(coursedir=coursedir, authenticator=Authenticator(config=cfg), config=cfg)
    app.start()
    return ""


def as_instructor(root: Path, *args: str) -> str:
    proc = subprocess.run(
        [sys.executable, "-m", "nbgrader", *args],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
    )
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, f"nbgrader {' '.join(args)} failed:\n{out}"
    return out


def student_config(home: Path, exchange: Path) -> None:
    """What a JupyterHub admin puts in /etc/jupyter/nbgrader_config.py for students."""
    conf = home / ".jupyter" / "nbgrader_config.py"
    conf.parent.mkdir(parents=True, exist_ok=True)
    conf.write_text(
        "c = get_config()  # noqa: F821\n"
        f"c.CourseDirectory.course_id = {COURSE_ID!r}\n"
        f"c.Exchange.root = {str(exchange)!r}\n"
    )


def run_cycle(base: Path) -> ExchangeClass:
    root = samples.write_tiny_course(base / "course", course_id=COURSE_ID)
    exchange = base / "exchange"  # nbgrader's release_assignment creates it (mode 0777)
    with open(root / "nbgrader_config.py", "a") as f:
        f.write(f"c.Exchange.root = {str(exchange)!r}\n")
        f.write('c.LateSubmissionPlugin.penalty_method = "zero"\n')
    assert cnnbook(["--root", str(root), "release", A]) == 0
    ec = ExchangeClass(root, exchange, {}, dt.datetime.now(dt.timezone.utc))
    roster = [*CLASS, NOT_SUBMITTED]
    roster_csv = base / "students.csv"
    roster_csv.write_text("id,last_name\n" + "".join(f"{s},{s.title()}\n" for s in roster))
    as_instructor(root, "db", "student", "import", str(roster_csv))
    ec.logs["release_assignment"] = as_instructor(root, "release_assignment", A)

    def hand_in(student: str, answers: dict, prefix: str) -> None:
        home = ec.homes[student]
        if not (home / A).exists():
            as_student(student, home, "fetch_assignment", exchange)
        path = home / A / f"{A}.ipynb"
        released = nbformat.read(str(path), as_version=4)
        samples.make_submission(released, answers, prefix=prefix, path=path)
        if student == "dan":
            path.rename(path.with_name(f"{RENAMED}.ipynb"))
        as_student(student, home, "submit", exchange)

    for student in roster:
        ec.homes[student] = make_student(student, base)
        student_config(ec.homes[student], exchange)
    # ben first hands in the stub, then resubmits his (partial) answer
    hand_in("ben", {}, "")
    ec.logs["collect_first"] = as_instructor(root, "collect", A)
    time.sleep(1.1)  # submission timestamps have one-second resolution in folder names
    for student, (answers, prefix, _, _) in CLASS.items():
        if student != "fay":
            hand_in(student, answers, prefix)
    # the due date passes; fay hands in late
    ec.due = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=1)).replace(microsecond=0)
    due = ec.due.strftime("%Y-%m-%d %H:%M:%S UTC")
    as_instructor(root, "db", "assignment", "add", A, f"--duedate={due}")
    while dt.datetime.now(dt.timezone.utc) <= ec.due + dt.timedelta(seconds=1):
        time.sleep(0.2)
    hand_in("fay", *CLASS["fay"][:2])
    # after submitting, eve's folder in the inbound is world-writable (nbgrader's submit
    # makes it 0777): she adds a link to a file only the instructor can read
    (root / INSTRUCTOR_FILE).write_text(INSTRUCTOR_SECRET)
    (root / INSTRUCTOR_FILE).chmod(0o600)
    inbound = next((exchange / COURSE_ID / "inbound").glob(f"eve+{A}+*"))
    (inbound / "notes.txt").symlink_to(root / INSTRUCTOR_FILE)
    ec.logs["collect_no_update"] = as_instructor(root, "collect", A)
    ec.logs["collect_update"] = as_instructor(root, "collect", "--update", A)

    # links planted in a collected submission (an LMS export, or a file put into the
    # world-writable inbound folder after submitting): never followed by cnnbook
    ben = root / "submitted" / "ben" / A
    (ben / "passwd").symlink_to("/etc/passwd")
    (ben / "etc").symlink_to("/etc")
    (ben / "data").mkdir()
    (ben / "data" / "hosts").symlink_to("/etc/passwd")

    args = ["--root", str(root)]
    assert cnnbook([*args, "autograde", A, "--jobs", "2", "--timeout", "6", "--no-progress"]) == 0
    ec.feedback_rc = cnnbook([*args, "feedback", A])
    ec.logs["release_feedback"] = as_instructor(root, "release_feedback", A)
    for student in CLASS:
        ec.logs[f"fetch_feedback {student}"] = as_student(
            student, ec.homes[student], "fetch_feedback", exchange
        )
    ec.report_rc = cnnbook([*args, "report", A])
    return ec
