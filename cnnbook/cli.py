"""``cnnbook``: the instructor's command-line tool, on top of nbgrader.

Run from the course root (the folder with ``nbgrader_config.py``)::

    cnnbook release [ASSIGNMENT ...]
    cnnbook autograde ASSIGNMENT [--jobs N | --cluster ADDRESS] [--timeout S] [--memory MB]
    cnnbook feedback ASSIGNMENT
    cnnbook report ASSIGNMENT [--out DIR]
    cnnbook check NOTEBOOK                 (for students: the visible tests' score)
    cnnbook demo [--dir DIR]

See ``docs/instructors.md``.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path


def _course(args):
    from cnnbook.grader.course import Course

    course = Course(args.root, db_url=args.db, lock_timeout=args.lock_timeout)
    args.db_url = course.db_url  # for messages about the gradebook
    args.course = course
    # student data on a shared server: private to you (repaired), or the command stops
    from cnnbook.grader import permissions

    permissions.secure(course, log=lambda line: print(line, file=sys.stderr))
    os.umask(os.umask(0) | permissions.FORBIDDEN)  # and what this command creates, too
    return course


def cmd_release(args) -> int:
    from cnnbook.grader.errors import ReleaseError
    from cnnbook.grader.release import release

    course = _course(args)
    names = args.assignments or course.source_assignments()
    if not names:
        print(f"no assignments in {course.path('source')}", file=sys.stderr)
        return 1
    for name in names:  # every name is checked before anything is generated
        course.require_assignment(name, released=False)
    failed = 0
    for name in names:
        try:
            r = release(course, name)
        except ReleaseError as e:
            failed += 1
            print(f"cnnbook: error: {e}", file=sys.stderr)
            continue
        print(f"released {name} -> {r.path}")
    return 1 if failed else 0


def cmd_autograde(args) -> int:
    from cnnbook.grader.autograde import Autograder
    from cnnbook.grader.isolation.bubblewrap import Bubblewrap
    from cnnbook.grader.isolation.dask_executor import ClusterError, DaskExecutor
    from cnnbook.grader.isolation.engine import NoIsolation
    from cnnbook.grader.isolation.jobs import choose
    from cnnbook.grader.isolation.limits import Limits

    course = _course(args)
    course.require_assignment(args.assignment)
    limits = Limits(
        timeout=args.timeout,
        memory_mb=args.memory,
        output_mb=args.output_limit,
        call_timeout=args.call_timeout,
    )
    executor = None
    if args.cluster:  # the sandboxes run on the workers, which must have bubblewrap
        isolation = NoIsolation() if args.no_sandbox else Bubblewrap()
        try:
            executor = DaskExecutor(args.cluster, limits, isolation)
        except ValueError as e:
            print(f"cnnbook autograde: --cluster: {e}", file=sys.stderr)
            return 2
    else:  # the one choice of the engine: bubblewrap when it works here
        isolation = choose(no_sandbox=args.no_sandbox)
    grader = Autograder(
        course,
        args.assignment,
        limits=limits,
        jobs=args.jobs,
        executor=executor,
        isolation=isolation,
        force=args.force,
        progress=not args.no_progress,
        shard=args.shard,
        seed=args.seed,
    )
    if not course.submitted_students(args.assignment):
        print(f"no submissions in {course.path('submitted', '*', args.assignment)}")
        return 0
    try:
        outcomes = grader.run()
    except ClusterError as e:  # what was graded is recorded; a re-run finishes the rest
        print(f"cnnbook autograde: {e}", file=sys.stderr)
        return 3
    if not outcomes:
        print("no submissions in this shard")
        return 0
    width = max(len(o.student) for o in outcomes)
    for o in outcomes:
        score = "-" if o.score is None else f"{o.score:g}/{o.max_score:g}"
        note = " (unchanged, skipped)" if o.skipped else ""
        reason = f"  {o.reason}" if o.reason else ""
        print(f"{o.student:<{width}}  {score:>9}  {o.status}{note}{reason}")
    bad = sum(o.status != "ok" for o in outcomes)
    print(
        f"{len(outcomes)} submissions, {len(outcomes) - bad} graded normally, {bad} with a "
        f"recorded reason; status table: {grader.status_csv}; hidden inputs drawn with "
        f"--seed {grader.seed}"
    )
    return 0


def cmd_feedback(args) -> int:
    from cnnbook.grader.feedback import write_feedback

    course = _course(args)
    result = write_feedback(course, args.assignment)
    for s in result.students:
        for link in s.dropped_links:
            print(f"{s.student}: dropped the link {link}", file=sys.stderr)
        if s.problem:
            print(f"{s.student}: {s.problem}", file=sys.stderr)
    notes = sum(s.note for s in result.students)
    print(
        f"feedback for {len(result.students)} students in {course.path('feedback')} "
        f"({notes} with a grading note); hand it back with "
        f"`nbgrader release_feedback {args.assignment}`"
    )
    if result.nbgrader_error:
        print(
            f"cnnbook: error: nbgrader generate_feedback failed for some submissions: "
            f"{result.nbgrader_error} (those students got a note instead)",
            file=sys.stderr,
        )
        return 1
    return 0


def cmd_check(args) -> int:
    from cnnbook.grader.check import check_notebook, format_report
    from cnnbook.grader.isolation.jobs import choose
    from cnnbook.grader.isolation.limits import Limits

    try:
        report = check_notebook(Path(args.notebook), Limits(timeout=args.timeout), choose())
    except ValueError as e:
        print(f"cnnbook check: {e}", file=sys.stderr)
        return 2
    print(format_report(report))
    return 0 if report.all_passed else 1


def cmd_report(args) -> int:
    from cnnbook.grader.report import build_report

    course = _course(args)
    course.require_assignment(args.assignment)
    paths = build_report(course, args.assignment, Path(args.out) if args.out else None)
    for kind, path in paths.items():
        print(f"{kind:>10}: {path}")
    return 0


def cmd_demo(args) -> int:
    from cnnbook.grader.demo import run_demo

    directory = Path(args.dir) if args.dir else None
    return run_demo(directory, jobs=args.jobs, source_root=args.root, db_url=args.db)


def _shard(text: str) -> tuple[int, int]:
    try:
        k, n = (int(x) for x in text.split("/"))
    except ValueError:
        raise argparse.ArgumentTypeError("expected K/N, e.g. 1/4") from None
    if not 1 <= k <= n:
        raise argparse.ArgumentTypeError("expected 1 <= K <= N")
    return k, n


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="cnnbook",
        description="Instructor tools for the course, on top of nbgrader. Run from the "
        "course root.",
    )
    p.add_argument("--root", default=".", help="course root (default: current folder)")
    p.add_argument(
        "--db", default=None, help="gradebook URL (default: nbgrader's, <root>/gradebook.db)"
    )
    p.add_argument(
        "--lock-timeout",
        type=float,
        default=30.0,
        metavar="S",
        help="seconds to wait for a SQLite gradebook locked by another program (default 30)",
    )
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("release", help="regenerate exercises/ from solutions/, register them")
    s.add_argument("assignments", nargs="*", metavar="ASSIGNMENT")
    s.set_defaults(func=cmd_release)

    from cnnbook.grader.isolation.limits import Limits

    s = sub.add_parser("autograde", help="grade submitted/*/ASSIGNMENT in parallel sandboxes")
    s.add_argument("assignment", metavar="ASSIGNMENT")
    s.add_argument("--jobs", "-j", type=int, default=None, help="parallel jobs (default: cores)")
    s.add_argument(
        "--timeout",
        type=float,
        default=Limits.timeout,
        help=f"wall-clock seconds per notebook (default {Limits.timeout:g})",
    )
    s.add_argument(
        "--memory",
        type=int,
        default=Limits.memory_mb,
        help=f"memory (address space) per process, MB (default {Limits.memory_mb})",
    )
    s.add_argument(
        "--call-timeout",
        type=float,
        default=None,
        help="seconds for one call of a student's function by the tests (default: nbgrader's "
        "cell timeout); a function that loops forever loses only its own tests",
    )
    s.add_argument(
        "--output-limit",
        type=int,
        default=Limits.output_mb,
        help=f"notebook output kept per notebook, MB (default {Limits.output_mb})",
    )
    s.add_argument("--force", action="store_true", help="regrade unchanged submissions too")
    s.add_argument(
        "--shard",
        type=_shard,
        default=None,
        metavar="K/N",
        help="grade only shard K of N of the class (several machines, shared PostgreSQL gradebook)",
    )
    s.add_argument(
        "--seed",
        type=int,
        default=None,
        help="seed of the hidden tests' random inputs (default: a new secret one per run, "
        "printed, so that a run can be reproduced)",
    )
    s.add_argument(
        "--cluster",
        default=None,
        metavar="ADDRESS",
        help="run the sandboxes on a Dask cluster: a scheduler address (tcp://HOST:PORT), "
        "or local:N for N local worker processes; this process keeps the gradebook",
    )
    s.add_argument("--no-progress", action="store_true", help="no progress bar")
    s.add_argument(
        "--no-sandbox",
        action="store_true",
        help="run without bubblewrap even if it is installed (limits only; trusted code only)",
    )
    s.set_defaults(func=cmd_autograde)

    s = sub.add_parser("feedback", help="HTML feedback for each student")
    s.add_argument("assignment", metavar="ASSIGNMENT")
    s.set_defaults(func=cmd_feedback)

    s = sub.add_parser(
        "check",
        help="(students) run a notebook as the autograder does and print the visible tests' "
        "score; exit 1 if any fails",
    )
    s.add_argument("notebook", metavar="NOTEBOOK", help="path of the assignment notebook")
    s.add_argument(
        "--timeout", type=float, default=600, help="wall-clock seconds for the whole notebook"
    )
    s.set_defaults(func=cmd_check)

    s = sub.add_parser("report", help="grades CSV, test pass rates, histogram, HTML summary")
    s.add_argument("assignment", metavar="ASSIGNMENT")
    s.add_argument("--out", default=None, help="output folder (default reports/ASSIGNMENT)")
    s.set_defaults(func=cmd_report)

    s = sub.add_parser("demo", help="a demo class taken through the whole cycle")
    s.add_argument("--dir", default=None, help="where to build it (default: a new temp folder)")
    s.add_argument("--jobs", "-j", type=int, default=None)
    s.set_defaults(func=cmd_demo)
    return p


def main(argv: list[str] | None = None) -> int:
    """The command: 0 done; 1 failed (the reason printed); 2 unknown name or not a
    course root; 3 gradebook trouble; 130 interrupted (Ctrl-C), wherever it lands.
    The private umask a course command sets is the caller's again afterwards (``main``
    is also called in-process, by ``cnnbook demo`` users and the tests)."""
    umask = os.umask(0)
    os.umask(umask)
    try:
        return _main(argv)
    except KeyboardInterrupt:
        print(
            "\ninterrupted: running jobs were stopped; every submission graded so far is "
            "in the gradebook, and running the command again continues where it stopped",
            file=sys.stderr,
        )
        return 130
    finally:
        os.umask(umask)


def _main(argv: list[str] | None) -> int:
    if argv is None and "nbgrader" not in sys.modules:
        # As a command: jsonschema (under nbformat and nbgrader) would build the grammar
        # of an optional IRI format checker at import, about 1.5 s of CPU per command,
        # for a check that notebook validation never makes.
        sys.modules.setdefault("rfc3987_syntax", None)
    args = build_parser().parse_args(argv)
    from sqlalchemy.exc import SQLAlchemyError

    from cnnbook.grader import gradebook, interrupts
    from cnnbook.grader.errors import CnnbookError

    try:
        with interrupts.guard():
            code = args.func(args)
        course = getattr(args, "course", None)
        if course is not None:  # what nbgrader wrote with its own modes: private again
            from cnnbook.grader import permissions

            permissions.secure(course, log=lambda line: None)
        return code
    except CnnbookError as e:
        print(f"cnnbook: error: {e}", file=sys.stderr)
        return e.exit_code
    except SQLAlchemyError as e:  # the gradebook failed half-way (locked, read-only, gone)
        error = gradebook.translate(e, getattr(args, "db_url", None) or args.db or "?")
        print(f"cnnbook: error: {error}", file=sys.stderr)
        return error.exit_code


def run() -> None:
    """The console script: :func:`main`, then exit. After Ctrl-C the process leaves at
    once (its jobs are already stopped and its work folders removed), so that nothing
    left to finalize at interpreter exit can turn exit code 130 into a second
    ``KeyboardInterrupt``."""
    code = main()
    if code == 130:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(130)
    sys.exit(code)


if __name__ == "__main__":
    run()
