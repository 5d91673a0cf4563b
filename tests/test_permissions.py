"""Student data on a shared server (issue 24): cnnbook repairs, or refuses, folders and a
gradebook that other accounts can read or write.

Real modes on a course in a world-readable folder (as a Debian home is), and a
throwaway Unix account (created by the test, removed after; needs root, as CI runs)
that proves the reads and writes succeed before the repair and fail after. About 5 s.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path

import pytest

from cnnbook.cli import main as cnnbook
from cnnbook.grader import samples

needs_root = pytest.mark.skipif(
    os.geteuid() != 0 or not shutil.which("useradd"),
    reason="creating a throwaway Unix account needs root and useradd",
)


@pytest.fixture
def other_account():
    name = f"cnnprobe{uuid.uuid4().hex[:6]}"
    subprocess.run(["useradd", "--no-create-home", "--shell", "/usr/sbin/nologin", name],
                   check=True, capture_output=True)  # fmt: skip
    try:
        yield name
    finally:
        subprocess.run(["userdel", name], capture_output=True)


def as_user(user: str, *command: str) -> bool:
    """Whether ``command`` succeeds when run by ``user``."""
    r = subprocess.run(["runuser", "-u", user, "--", *command], capture_output=True)
    return r.returncode == 0


def student_data(root: Path) -> list[Path]:
    """The root, the gradebook, and everything in the student-data folders (exercises/
    and solutions/ are the course's own files, released or in git)."""
    out = [root, root / "gradebook.db"]
    for kind in ("submitted", "autograded", "feedback", "reports"):
        out += [root / kind, *(root / kind).rglob("*")] if (root / kind).exists() else []
    return [p for p in out if not p.is_symlink()]


@pytest.fixture
def shared_course():
    """A course as on a hub: in a 0755 home, with nbgrader collect's 0777 folders."""
    home = Path(tempfile.mkdtemp(prefix="cnnbook-home-"))
    home.chmod(0o755)
    root = samples.write_tiny_course(home / "course")
    try:
        assert cnnbook(["--root", str(root), "release"]) == 0
        samples.submit_honest_class(root, samples.TINY, 2)
        for folder in [root, *root.rglob("*")]:
            if folder.is_dir():
                folder.chmod(0o777 if "submitted" in folder.parts else 0o755)
            else:
                folder.chmod(0o666 if "submitted" in folder.parts else 0o644)
        yield root
    finally:
        shutil.rmtree(home, ignore_errors=True)


@needs_root
def test_other_accounts_lose_access_when_cnnbook_runs(shared_course, other_account, capsys):
    root = shared_course
    student = sorted((root / "submitted").iterdir())[0]
    notebook = next(student.rglob("*.ipynb"))
    gradebook_file = root / "gradebook.db"
    # before: another account reads the gradebook and a submission, and writes into it
    assert as_user(other_account, "cat", str(gradebook_file))
    assert as_user(other_account, "cat", str(notebook))
    assert as_user(other_account, "touch", str(notebook.parent / "planted.txt"))
    (notebook.parent / "planted.txt").unlink()

    assert cnnbook(["--root", str(root), "autograde", samples.TINY, "--no-progress"]) == 0
    err = capsys.readouterr().err
    assert "cnnbook: repaired permissions of" in err
    assert f"{root}: 0755 -> 0750" in err
    assert f"{root / 'submitted'}: 0777 -> 0750" in err

    assert (root.stat().st_mode & 0o777) == 0o750
    for path in student_data(root):
        assert not path.stat().st_mode & 0o027, (path, oct(path.stat().st_mode))
    # after: every attempt fails
    assert not as_user(other_account, "cat", str(gradebook_file))
    assert not as_user(other_account, "cat", str(notebook))
    assert not as_user(other_account, "touch", str(notebook.parent / "planted.txt"))
    assert not as_user(other_account, "ls", str(root / "autograded"))
    # even with the course root opened again, the folders below stay closed
    root.chmod(0o755)
    assert not as_user(other_account, "cat", str(notebook))
    assert not as_user(other_account, "cat", str(next((root / "autograded").rglob("*.ipynb"))))
    # a second run has nothing left to repair but the root
    assert cnnbook(["--root", str(root), "report", samples.TINY]) == 0
    err = capsys.readouterr().err
    assert "repaired permissions of 1 path(s)" in err
    for path in student_data(root):
        assert not path.stat().st_mode & 0o027, path
    # feedback pages are readable (release_feedback copies their mode into the exchange,
    # where their students read them) inside folders no other account can enter
    assert cnnbook(["--root", str(root), "feedback", samples.TINY]) == 0
    pages = list((root / "feedback").rglob("*.html"))
    assert pages
    for page in pages:
        assert page.stat().st_mode & 0o777 == 0o644, (page, oct(page.stat().st_mode))
        assert not as_user(other_account, "cat", str(page))
    for path in student_data(root):
        if path.is_dir():
            assert not path.stat().st_mode & 0o027, path


@needs_root
def test_what_cnnbook_does_not_own_is_refused_and_nothing_changes(shared_course, other_account,
                                                                  capsys):  # fmt: skip
    root = shared_course
    student = sorted((root / "submitted").iterdir())[0]
    shutil.chown(student, user=other_account)
    modes = {p: p.stat().st_mode for p in [root, *root.rglob("*")]}
    assert cnnbook(["--root", str(root), "feedback", samples.TINY]) != 0
    err = capsys.readouterr().err
    assert f"{student} (mode 0777, owner uid" in err
    assert "not you" in err and f"chmod -R o-rwx,g-w {student}" in err
    assert "Nothing was changed" in err
    assert {p: p.stat().st_mode for p in [root, *root.rglob("*")]} == modes
    assert not (root / "feedback").exists()
