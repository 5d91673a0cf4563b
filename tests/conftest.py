"""Shared fixtures.

``built_book``: the book built ONCE per test run with the README's strict
command (``jupyter-book build . -W -n --keep-going``) into the repository's
``_build/`` (whose execution cache makes local reruns fast). Every test that
needs the site asks for it; mark such tests ``@pytest.mark.slow`` and
``@pytest.mark.xdist_group("book")`` so that ``pytest -n 2 --dist loadgroup``
runs them on one worker. Under any other distribution the build still runs
once: workers take a file lock and the first one records its result for the
others of the same run.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
BUILD_DIR = REPO / "_build"
RESULTS_VARIABLE = "CNNBOOK_TEST_RESULTS"  # tests/judge_harness.py's shared results


def pytest_configure(config):
    """One folder of judge-harness results for the whole run, made by the process that
    starts first (the xdist controller: its workers inherit the variable)."""
    if RESULTS_VARIABLE not in os.environ:
        os.environ[RESULTS_VARIABLE] = tempfile.mkdtemp(prefix="cnnbook-test-results-")
        config._cnnbook_results_owner = True


def pytest_unconfigure(config):
    if getattr(config, "_cnnbook_results_owner", False):
        shutil.rmtree(os.environ.pop(RESULTS_VARIABLE), ignore_errors=True)
BOOK_BUILD_ARGS = ["build", ".", "-W", "-n", "--keep-going"]


@dataclass(frozen=True)
class BookBuild:
    """What one run of the strict book build left behind."""

    returncode: int
    html: Path  # _build/html
    log: Path  # the build's stdout and stderr

    def log_tail(self, lines: int = 40) -> str:
        """The warnings and errors of the log (the end of the log if it has none)."""
        text = self.log.read_text(errors="replace").splitlines()
        flagged = [line for line in text if "WARNING" in line or "ERROR" in line or "Error" in line]
        flagged = [line for line in flagged if "Kernel is running over TCP" not in line]
        return "\n".join((flagged or text)[-lines:])


def _run_id() -> str:
    # pytest-xdist gives all workers of one run the same id; without xdist the
    # session is one process.
    return os.environ.get("PYTEST_XDIST_TESTRUNUID") or f"pid-{os.getpid()}"


def _jupyter_book() -> list[str]:
    script = Path(sys.executable).with_name("jupyter-book")
    return [str(script)] if script.exists() else ["jupyter-book"]


@pytest.fixture(scope="session")
def book_build() -> BookBuild:
    """Run the strict book build once per test run (whatever its outcome)."""
    BUILD_DIR.mkdir(exist_ok=True)
    log = BUILD_DIR / "pytest-book-build.log"
    stamp = BUILD_DIR / "pytest-book-build.json"
    with open(BUILD_DIR / "pytest-book-build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            record = json.loads(stamp.read_text())
        except (OSError, ValueError):
            record = {}
        if record.get("run") != _run_id():
            with open(log, "w") as out:
                proc = subprocess.run(
                    _jupyter_book() + BOOK_BUILD_ARGS,
                    cwd=REPO,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                    # the kernels must use matplotlib's inline backend, never Agg from the env
                    env={k: v for k, v in os.environ.items() if k != "MPLBACKEND"},
                )
            record = {"run": _run_id(), "returncode": proc.returncode}
            stamp.write_text(json.dumps(record))
    return BookBuild(returncode=record["returncode"], html=BUILD_DIR / "html", log=log)


@pytest.fixture(scope="session")
def built_book(book_build: BookBuild) -> Path:
    """The html folder of the book, built without a warning or an error."""
    assert book_build.returncode == 0, (
        f"`jupyter-book {' '.join(BOOK_BUILD_ARGS)}` exited {book_build.returncode}; "
        f"full log in {book_build.log}; its warnings and errors:\n{book_build.log_tail()}"
    )
    assert (book_build.html / "index.html").is_file()
    return book_build.html


# --------------------------------------------------------------------------- instructor


@pytest.fixture(scope="session")
def tiny_release(tmp_path_factory) -> Path:
    """A course root with the tiny assignment released by ``cnnbook release`` (once)."""
    from cnnbook.cli import main as cnnbook
    from cnnbook.grader import samples

    root = samples.write_tiny_course(tmp_path_factory.mktemp("tiny") / "course")
    assert cnnbook(["--root", str(root), "release", samples.TINY]) == 0
    return root


@pytest.fixture
def tiny_course(tiny_release, tmp_path) -> Path:
    """A private copy of ``tiny_release`` (its gradebook is ``<root>/gradebook.db``)."""
    import shutil

    root = tmp_path / "course"
    shutil.copytree(tiny_release, root)
    return root


@pytest.fixture(scope="session")
def exchange_class(tmp_path_factory):
    """A whole term's cycle through nbgrader's exchange (tests/exchange_cycle.py), run
    once per test run; test_grader_feedback.py and test_grader_report.py check what it left. Under
    pytest-xdist the workers share it: the first takes a file lock and runs the cycle,
    the others wait for it and read what it recorded."""
    from tests.exchange_cycle import ExchangeClass, run_cycle

    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent  # shared by the workers of this run
    folder = base / "exchange-cycle"
    folder.mkdir(exist_ok=True)
    record = folder / "cycle.json"
    with open(folder / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if record.exists():
            return ExchangeClass.from_json(record.read_text())
        ec = run_cycle(folder / "class")
        record.write_text(ec.to_json())
        return ec
