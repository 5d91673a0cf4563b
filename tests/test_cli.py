"""``cnnbook`` (cnnbook/cli.py): wrong names and wrong places fail clearly, non-zero."""

from __future__ import annotations

import pytest

from cnnbook.cli import main as cnnbook
from cnnbook.grader import samples

A = samples.TINY


@pytest.mark.parametrize("command", ["autograde", "feedback", "report"])
def test_unknown_assignment_lists_the_known_ones(tiny_course, capsys, command):
    (tiny_course / "submitted" / "ada" / "ps00_tinny").mkdir(parents=True)
    assert cnnbook(["--root", str(tiny_course), command, "ps00_tinny"]) == 2
    out = capsys.readouterr()
    assert "unknown assignment 'ps00_tinny'" in out.err
    assert f"Did you mean '{A}'?" in out.err and f"Known assignments: {A}." in out.err
    assert "Traceback" not in out.err and "no submissions" not in out.out
    assert not (tiny_course / "autograded").exists()


def test_source_assignment_not_yet_released(tiny_course, capsys):
    (tiny_course / "solutions" / "ps01_new").mkdir()
    (tiny_course / "solutions" / "ps01_new" / "ps01_new.ipynb").write_text("{}")
    assert cnnbook(["--root", str(tiny_course), "autograde", "ps01_new"]) == 2
    assert "run `cnnbook release ps01_new` first" in capsys.readouterr().err


@pytest.mark.parametrize("where", ["outside", "exercises"])
@pytest.mark.parametrize("command", ["release", "autograde", "feedback", "report"])
def test_refuses_to_run_outside_a_course_root(
    tiny_course, tmp_path, monkeypatch, capsys, where, command
):
    folder = tmp_path / "elsewhere" if where == "outside" else tiny_course / "exercises"
    folder.mkdir(exist_ok=True)
    monkeypatch.chdir(folder)
    args = [command] if command == "release" else [command, A]
    assert cnnbook(args) == 2
    err = capsys.readouterr().err
    assert f"{folder} is not a course root: it has no nbgrader_config.py" in err
    if where == "exercises":
        assert f"pass --root {tiny_course}" in err
    assert not (folder / "gradebook.db").exists()
    assert sorted(p.name for p in folder.iterdir()) == ([A] if where == "exercises" else [])

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
    from cnnbook.grader.isolation.staging import in_shard

    names = [f"student{i}" for i in range(200)]
    for n in (1, 2, 5):
        owners = [[k for k in range(1, n + 1) if in_shard(s, k, n)] for s in names]
        assert all(len(o) == 1 for o in owners)
