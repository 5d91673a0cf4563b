"""The cnnbook command line."""

from __future__ import annotations

import pytest


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
    from cnnbook.grader.staging import in_shard

    names = [f"student{i}" for i in range(200)]
    for n in (1, 2, 5):
        owners = [[k for k in range(1, n + 1) if in_shard(s, k, n)] for s in names]
        assert all(len(o) == 1 for o in owners)
