"""Unit tests of the instructor tools: the pieces the end-to-end tests rely on."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from cnnbook.grader import runner, samples
from cnnbook.grader.autograde import (
    NOT_EXECUTED,
    ExecutionRecord,
    _clean_output,
    fingerprint,
    merge_outputs,
    read_job,
    worst,
)
from cnnbook.grader.executor import Job, LocalExecutor
from cnnbook.grader.sandbox import Limits, RunOutcome, bwrap_command, run_job, sandbox_available


def test_runner_executes_like_nbgrader_execute():
    """The runner re-creates nbgrader's Execute on nbclient: same settings, same hook."""
    from nbgrader.preprocessors import Execute

    ours = runner.NBGRADER_EXECUTE
    theirs = Execute()
    for name, value in ours.items():
        assert getattr(theirs, name) == value, name
    cls = runner._make_executor_class()
    assert set(ours) <= set(cls.class_trait_names())
    # the rest of nbgrader's Execute is nbclient's defaults, as in our client
    client = cls(new_notebook())
    for name in ("iopub_timeout", "startup_timeout", "kernel_name", "skip_cells_with_tag"):
        assert getattr(client, name) == getattr(theirs, name), name


def test_worst_status_and_fingerprint(tmp_path):
    assert worst(["ok", "timeout", "output_limit"]) == "timeout"
    assert worst(["ok", "corrupt_notebook", "kernel_died"]) == "corrupt_notebook"
    assert worst([]) == "ok"
    (tmp_path / "a.ipynb").write_text("x")
    first = fingerprint(tmp_path)
    assert fingerprint(tmp_path) == first
    (tmp_path / "a.ipynb").write_text("y")
    assert fingerprint(tmp_path) != first


def test_clean_output_keeps_only_well_formed_outputs():
    assert _clean_output("junk") is None
    assert _clean_output({"output_type": "made_up"}) is None
    s = _clean_output({"output_type": "stream", "name": "/etc/passwd", "text": ["a", "b"]})
    assert s.name == "stdout" and s.text == "ab"
    e = _clean_output({"output_type": "error", "ename": 1, "traceback": "not a list"})
    assert e.ename == "1" and e.traceback == []
    data = {"text/plain": ["4"], "x": 1, "application/javascript": "alert(1)"}
    d = _clean_output({"output_type": "display_data", "data": data})
    assert d.data == {"text/plain": "4"}


def _nb():
    nb = new_notebook()
    nb.cells = [
        new_markdown_cell("intro"),
        new_code_cell("x = 1"),
        new_code_cell("assert x == 1"),
        new_code_cell(""),
        new_code_cell("assert x == 2"),
    ]
    return nb


def test_merge_outputs_marks_cells_that_never_ran():
    nb = _nb()
    record = ExecutionRecord(
        {1: (1, [{"output_type": "stream", "name": "stdout", "text": "hi"}])},
        complete=False,
        status="timeout",
        reason="did not finish within the time limit of 5 s",
    )
    merge_outputs(nb, record)
    assert nb.cells[1].outputs[0].text == "hi" and nb.cells[1].execution_count == 1
    for i in (2, 4):  # not run: an error, so nbgrader scores their tests 0
        (out,) = nb.cells[i].outputs
        assert out.output_type == "error" and out.ename == NOT_EXECUTED
        assert "time limit" in out.evalue
    assert nb.cells[3].outputs == []  # empty cells are never run, even by nbgrader


def test_merge_outputs_notes_limits():
    nb = _nb()
    mem = {"output_type": "error", "ename": "MemoryError", "evalue": "", "traceback": []}
    cut = {"output_type": "stream", "name": "stdout", "text": "\n[cnnbook: output limit x"}
    record = ExecutionRecord({1: (1, [mem]), 2: (2, [cut]), 4: (3, [])}, True, "ok", "")
    notes = merge_outputs(nb, record)
    assert any(n.startswith("memory_limit") for n in notes)
    assert any(n.startswith("output_limit") for n in notes)


def _job_dir(tmp_path: Path, lines: list[dict]) -> Path:
    (tmp_path / "out").mkdir()
    with open(tmp_path / "out" / "stream.jsonl", "w") as f:
        for line in lines:
            f.write(json.dumps(line) + "\n")
        f.write("garbage that is not json\n")
    (tmp_path / "sandbox.log").write_text("")
    return tmp_path


@pytest.mark.parametrize(
    ("outcome", "result", "status"),
    [
        (RunOutcome(0, 1.0, False, True), {"status": "ok"}, "ok"),
        (RunOutcome(None, 9.0, True, True), None, "timeout"),
        (RunOutcome(-9, 1.0, False, True), None, "memory_limit"),
        (RunOutcome(-24, 1.0, False, True), None, "timeout"),  # SIGXCPU
        (RunOutcome(0, 1.0, False, True), {"status": "kernel_died", "log_tail": ""}, "kernel_died"),
        (RunOutcome(1, 1.0, False, True), None, "sandbox_error"),
    ],
)
def test_read_job_classifies_how_a_job_ended(tmp_path, outcome, result, status):
    lines = [{"type": "cell", "index": 1, "execution_count": 1, "outputs": []}]
    if result is not None:
        lines.append({"type": "result", "message": "", **result})
    record = read_job(_job_dir(tmp_path, lines), outcome, 9.0, 512)
    assert record.status == status
    assert record.complete == (status == "ok")
    assert list(record.cells) == [1]


def test_bwrap_command_exposes_no_course_files(tmp_path):
    cmd = bwrap_command(tmp_path, Limits())
    joined = " ".join(cmd)
    for flag in ("--unshare-all", "--unshare-user", "--die-with-parent", "--clearenv"):
        assert flag in cmd
    repo = str(Path(__file__).resolve().parents[1])
    mounted = [cmd[i + 2] for i, a in enumerate(cmd) if a in ("--bind", "--ro-bind")]
    for target in mounted:
        # only the package and the venv of the repository are visible, read-only
        if target.startswith(repo + "/"):
            assert target in (f"{repo}/cnnbook", f"{repo}/.venv") or ".venv" in target, target
    assert "--bind" not in cmd  # nothing of the host is writable
    assert "gradebook" not in joined and "submitted" not in joined


def _tiny_job(tmp_path: Path, cells: list[str], cell_timeout: int = 30) -> Job:
    nb = new_notebook(cells=[new_code_cell(c) for c in cells])
    nb.metadata.kernelspec = {"name": "python3", "display_name": "Python 3", "language": "python"}
    (tmp_path / "files").mkdir()
    spec = {"assignment": "t", "execute": {"timeout": cell_timeout}}
    (tmp_path / "job.json").write_text(json.dumps({"spec": spec, "notebook": nb}))
    return Job("s", "t", tmp_path)


@pytest.mark.slow
def test_wall_clock_limit_kills_a_job_that_ignores_interrupts(tmp_path):
    code = "import time\nwhile True:\n    try:\n        time.sleep(0.1)\n    except BaseException:\n        pass"
    job = _tiny_job(tmp_path, ["print('first')", code, "print('never')"])
    use = sandbox_available()
    # 12 s: room for the kernel to start and run the first cell on a busy machine
    outcome = run_job(job.job_dir, Limits(timeout=12), use_sandbox=use)
    assert outcome.timed_out
    record = read_job(job.job_dir, outcome, 12, 512)
    assert record.status == "timeout" and not record.complete
    assert 0 in record.cells and 2 not in record.cells


@pytest.mark.slow
def test_limits_hold_without_bubblewrap(tmp_path):
    """The fallback when bubblewrap is missing still limits memory and output."""
    job = _tiny_job(
        tmp_path,
        ["import numpy as np\nx = np.ones(40 * 1024**3 // 8)", "print('y' * 9_000_000)"],
    )
    results = list(LocalExecutor(1, Limits(timeout=60, memory_mb=1024), sandbox=False).run([job]))
    (result,) = results
    record = read_job(job.job_dir, result.outcome, 60, 1024)
    assert record.status == "ok"
    assert record.cells[0][1][0]["ename"] == "MemoryError"
    text = record.cells[1][1][0]["text"]
    assert len(text) < 1000 and "output limit" in text


def test_samples_make_a_valid_submission(tmp_path):
    src = samples.tiny_source_notebook()
    answers = samples.solution_answers(src)
    assert answers == {
        "square": 'def square(x):\n    """Return x squared (element-wise for arrays)."""\n    return x * x'
    }
    nb = samples.make_submission(
        src, {"square": "pass"}, prefix="import os", path=tmp_path / "a.ipynb"
    )
    assert nb.cells[1].source == "import os\npass"
    nbformat.validate(nbformat.read(str(tmp_path / "a.ipynb"), as_version=4))


def test_cli_help_lists_the_commands(capsys):
    from cnnbook.cli import main

    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    for command in ("release", "autograde", "feedback", "report", "demo"):
        assert command in out
    with pytest.raises(SystemExit):
        main(["autograde", "--help"])
    out = capsys.readouterr().out
    for option in ("--jobs", "--timeout", "--memory"):
        assert option in out
    from cnnbook.cli import build_parser

    args = build_parser().parse_args(["autograde", "ps02", "--shard", "2/3", "-j", "4"])
    assert args.shard == (2, 3) and args.jobs == 4
    with pytest.raises(SystemExit):
        build_parser().parse_args(["autograde", "ps02", "--shard", "4/3"])


def test_shards_partition_the_class():
    from cnnbook.grader.autograde import in_shard

    names = [f"student{i}" for i in range(200)]
    for n in (1, 2, 5):
        owners = [[k for k in range(1, n + 1) if in_shard(s, k, n)] for s in names]
        assert all(len(o) == 1 for o in owners)


def test_process_limit_only_when_not_root(monkeypatch):
    from cnnbook.grader import sandbox

    monkeypatch.setattr(sandbox.os, "getuid", lambda: 0)
    assert "nproc" not in sandbox._rlimits(Limits())
    monkeypatch.setattr(sandbox.os, "getuid", lambda: 4242)
    monkeypatch.setattr(sandbox, "user_tasks", lambda uid: 100)
    assert sandbox._rlimits(Limits(tasks=50))["nproc"] == 150
    assert "--nproc=150" in sandbox._prlimit_args(Limits(tasks=50))
    assert sandbox.user_tasks(os.getuid()) >= 1


@pytest.mark.slow
def test_one_failing_submission_does_not_stop_the_batch(tmp_path, monkeypatch, capsys):
    from cnnbook.cli import main as cnnbook
    from cnnbook.grader import gradebook
    from cnnbook.grader.autograde import Autograder

    root = samples.write_tiny_course(tmp_path / "course")
    assert cnnbook(["--root", str(root), "release"]) == 0
    released = nbformat.read(str(root / "exercises" / samples.TINY / "ps00_tiny.ipynb"), 4)
    for student in ("alice", "bob"):
        path = root / "submitted" / student / samples.TINY / "ps00_tiny.ipynb"
        samples.make_submission(released, {"square": samples.TINY_ANSWERS["honest"]}, path=path)
    stage = Autograder._stage

    def broken(self, student, *args):
        if student == "bob":
            raise PermissionError("simulated: cannot read the submission")
        return stage(self, student, *args)

    monkeypatch.setattr(Autograder, "_stage", broken)
    args = ["--root", str(root), "autograde", samples.TINY, "--no-progress", "--no-sandbox"]
    assert cnnbook(args) == 0
    status = gradebook.read_status(f"sqlite:///{root / 'gradebook.db'}", samples.TINY)
    assert status["alice"]["status"] == "ok" and status["alice"]["score"] == 4
    assert status["bob"]["status"] == "grading_error" and status["bob"]["score"] == 0
    assert "simulated" in status["bob"]["reason"]
    assert status["bob"]["sandbox"] == "none (limits only)"
    assert "WITHOUT network or file-system isolation" in capsys.readouterr().err
    # the tool's own failure is retried by a plain re-run; alice's grade stands
    monkeypatch.setattr(Autograder, "_stage", stage)
    assert cnnbook(args) == 0
    status = gradebook.read_status(f"sqlite:///{root / 'gradebook.db'}", samples.TINY)
    assert status["bob"]["status"] == "ok" and status["bob"]["score"] == 4
    assert status["alice"]["score"] == 4


@pytest.mark.slow
def test_sandbox_works_when_the_course_lives_under_tmp(tmp_path, monkeypatch):
    """A course checked out under /tmp (as CI may do) has its venv bound under /tmp.

    bubblewrap must still start: /tmp inside the sandbox is its own tmpfs, and the
    read-only binds below it land inside that tmpfs.
    """
    if not sandbox_available():
        msg = "bubblewrap (bwrap) is not installed: tools/install_system_packages.sh"
        if os.environ.get("CI"):
            pytest.fail(msg)
        pytest.skip(msg)

    from cnnbook.grader import sandbox

    shared = Path(tempfile.mkdtemp(dir="/tmp", prefix="cnnbook-course-"))
    (shared / "marker.txt").write_text("visible, read-only")
    real_roots = sandbox._readonly_roots()
    monkeypatch.setattr(sandbox, "_readonly_roots", lambda: [*real_roots, str(shared)])
    job_dir = tmp_path / "job"
    job_dir.mkdir()
    job = _tiny_job(job_dir, [
        f"print(open('{shared}/marker.txt').read())",
        "open('/tmp/scratch.txt', 'w').write('tmp is writable')\nprint(open('/tmp/scratch.txt').read())",
        f"try:\n    open('{shared}/marker.txt', 'w')\nexcept OSError:\n    print('read-only')",
    ])
    outcome = run_job(job.job_dir, Limits(timeout=60), use_sandbox=True)
    record = read_job(job.job_dir, outcome, 60, 512)
    assert record.status == "ok", (record.status, record.reason)
    printed = "".join(
        out.get("text", "") for _, outputs in record.cells.values() for out in outputs
    )
    assert "visible, read-only" in printed
    assert "tmp is writable" in printed and "read-only" in printed
    assert (shared / "marker.txt").read_text() == "visible, read-only"
