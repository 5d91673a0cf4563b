"""The runner: what runs inside the sandbox (nbgrader's Execute on nbclient)."""

from __future__ import annotations

from nbformat.v4 import new_notebook

from cnnbook.grader.sandboxed import runner


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
