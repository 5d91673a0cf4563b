"""A cheating class graded end to end by ``cnnbook autograde`` (the trusted judge).

Every "student" hands in the released ``ps02_convolution`` notebook with every answer
still a stub, plus a few lines in one answer cell: a trick from public nbgrader
discussions or one of our own. The judge runs the tests outside the student's process,
so each trick must score 0. Controls get exact scores: the reference answers 15/15, a
helper module submitted beside the notebook 15/15, a partly wrong answer its exact
score, the untouched stub 0.
"""

from __future__ import annotations

import json
import os
import shutil
import textwrap
from pathlib import Path

import nbformat
import pytest

from cnnbook.cli import main as cnnbook
from cnnbook.grader import cells, gradebook

ROOT = Path(__file__).resolve().parents[1]
A = "ps02_convolution"

TRICKS = {
    # replace the check helpers (and numpy's comparisons) with functions that pass
    "patch_helpers": """
        import cnnbook.grading as g
        for _n in ("call", "check_output", "check_int", "check_float", "check_array"):
            setattr(g, _n, lambda *a, **k: None)
        np.allclose = lambda *a, **k: True
        np.isclose = lambda a, b, **k: np.ones(np.shape(a), bool)
    """,
    # rewrite every later cell before it runs (input transformer)
    "skip_later_cells": """
        get_ipython().input_transformers_post.append(lambda lines: ["pass\\n"])
    """,
    # the same with an AST transformer
    "ast_rewrite": """
        import ast as _ast
        class _Nop(_ast.NodeTransformer):
            def visit_Module(self, node):
                return _ast.Module(body=[_ast.Pass()], type_ignores=[])
        get_ipython().ast_transformers.append(_Nop())
    """,
    # hide every exception raised by any later cell
    "swallow_errors": """
        get_ipython().set_custom_exc((BaseException,), lambda *a, **k: None)
    """,
    # print what passing output looks like, then leave before the tests
    "exit_early": """
        import os as _os
        print("test_conv2d_forward_basic: passed\\nAll tests passed: 15 / 15")
        _os._exit(0)
    """,
    # return objects that compare equal to anything (one per answer cell)
    "lying_objects": {
        "conv_output_size": """
            class _AnyInt(int):
                def __eq__(self, other): return True
                __hash__ = int.__hash__
            def conv_output_size(n, f, pad=0, stride=1):
                return _AnyInt(0)
        """,
        "zero_pad": """
            class _Yes(np.ndarray):
                def __eq__(self, other): return np.ones(np.shape(other), bool)
                def __ne__(self, other): return np.zeros(np.shape(other), bool)
            def zero_pad(x, pad):
                return np.zeros((1,)).view(_Yes)
        """,
        "conv_single_step": """
            class _AnyFloat(float):
                def __eq__(self, other): return True
                __hash__ = float.__hash__
            def conv_single_step(x_slice, w, b):
                return _AnyFloat(0)
        """,
        "conv2d_forward": """
            class _Arrayish:
                def __array__(self, dtype=None, copy=None): return np.zeros((1, 1, 2, 2))
                def __eq__(self, other): return True
            def conv2d_forward(x, w, b, stride=1, pad=0):
                return _Arrayish()
        """,
    },
    # the reference, imported, under other names, or read from disk
    "reference_import": """
        try:
            from cnnbook.layers import conv2d_forward as _c
        except ImportError:
            _c = None
        import importlib, glob, sys
        for _name in ("cnnbook.layers", "cnnbook.layers.convolution", "cnnbook.nn",
                      "cnnbook.tensors"):
            try:
                importlib.import_module(_name)
            except ImportError:
                pass
        _found = {}
        _roots = [p for p in sys.path if p] + ["/work", "/root", "/home", "/tmp", "/opt"]
        _paths = [q for r in _roots for pattern in ("/**/layers.py", "/**/layers/*.py")
                  for q in glob.glob(r + pattern, recursive=True)]
        for _path in _paths[:200]:
            try:
                _text = open(_path).read()
            except OSError:
                continue
            if "def conv2d_forward" in _text and _path.endswith(".py"):
                try:
                    exec(compile(_text, _path, "exec"), _found)
                except Exception:
                    pass
        if "conv2d_forward" in _found:
            conv_output_size = _found["conv_output_size"]
            zero_pad = _found["zero_pad"]
            conv_single_step = _found["conv_single_step"]
            conv2d_forward = lambda *a, **k: _found["conv2d_forward"](*a, **k)  # noqa: E731
    """,
    # find hidden tests or expected values on disk or in memory, and replay them
    "snoop_expected": """
        import gc, glob, json as _json
        _hits = [o for o in gc.get_objects() if isinstance(o, str) and "HIDDEN TESTS" in o]
        _files = glob.glob("/home/**/*", recursive=True) + glob.glob("/tmp/**/*", recursive=True)
        _calls = [f for f in _files if f.endswith("calls.json")]
        _known = {}
        if _calls:
            _payload = _json.load(open(_calls[0]))
            _known = {"n": len(_payload["calls"])}
        def conv_output_size(n, f, pad=0, stride=1):
            return 3  # the most common visible answer
    """,
    # the course's helpers, as the judge used to send them for graded_with_reference
    # (their source in the calls file, bound in memory during conv2d_forward's calls):
    # 7/15 before issue 20; now the payload names the helpers and nothing else
    "shipped_helpers": {
        "conv_output_size": """
            import gc as _gc, json as _json, os as _os
            _course = {}
            def _helpers():
                if not _course:
                    for _dir in (_os.getcwd(), _os.path.dirname(_os.getcwd()), "/tmp"):
                        try:
                            with open(_os.path.join(_dir, ".cnnbook-calls.json")) as _f:
                                _sources = _json.load(_f).get("helper_sources") or {}
                        except (OSError, ValueError):
                            continue
                        for _code in _sources.values():
                            exec(_code, _course)
                    for _o in _gc.get_objects():
                        _file = getattr(getattr(_o, "__code__", None), "co_filename", "")
                        if callable(_o) and _file.startswith("<course"):
                            _course.setdefault(_o.__name__, _o)
                return _course
            def conv_output_size(n, f, pad=0, stride=1):
                return _helpers()["conv_output_size"](n, f, pad, stride)
        """,
        "zero_pad": """
            def zero_pad(x, pad):
                return _helpers()["zero_pad"](x, pad)
        """,
        "conv_single_step": """
            def conv_single_step(x_slice, w, b):
                return _helpers()["conv_single_step"](x_slice, w, b)
        """,
        "conv2d_forward": """
            def conv2d_forward(x, w, b, stride=1, pad=0):
                raise NotImplementedError()
        """,
    },
    # a harness of one's own: claim results without computing them
    "fake_harness": """
        import sys, types, json as _json
        _fake = types.ModuleType("cnnbook.grader.sandboxed.harness")
        def _run_calls(namespace, calls_path, results_path):
            payload = _json.load(open(calls_path))
            with open(results_path, "w") as out:
                for i, _ in enumerate(payload["calls"]):
                    out.write(_json.dumps({"index": i, "value": 3, "blobs": []}) + "\\n")
        _fake.run_calls = _run_calls
        sys.modules["cnnbook.grader.sandboxed.harness"] = _fake
    """,
    # as root: start as many processes as possible (a fork flood)
    "fork_flood": """
        import subprocess as _sp
        _procs = []
        for _ in range(2000):
            try:
                _procs.append(_sp.Popen(["sleep", "30"]))
            except OSError:
                break
        print("started", len(_procs))
    """,
}

HONEST = "honest"
ONE_LOOPS = "one_function_loops"
FLOOD = "helper_called_a_million_times"
HELPER_MODULE = "helper_module"
PARTLY_WRONG = "partly_wrong"
STUB = "stub"


def released_notebook(assignment: str = A):
    return nbformat.read(ROOT / "exercises" / assignment / f"{assignment}.ipynb", as_version=4)


def solution_cells(assignment: str = A) -> dict[str, str]:
    nb = nbformat.read(ROOT / "solutions" / assignment / f"{assignment}.ipynb", as_version=4)
    out = {}
    for cell in nb.cells:
        nbg = cell.metadata.get("nbgrader", {})
        if nbg.get("solution"):
            out[nbg["grade_id"]] = cells.blank_solution_markers(cell.source)
    return out


def make_submission(folder: Path, kind: str) -> None:
    nb = released_notebook()
    answers = solution_cells()
    extra_files = {}
    for cell in nb.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        if not cell.metadata.get("nbgrader", {}).get("solution"):
            continue
        if kind == HONEST:
            cell.source = answers[gid]
        elif kind == PARTLY_WRONG:
            cell.source = answers[gid]
            if gid == "conv2d_forward":  # the window always moves by 1: stride ignored
                cell.source = cell.source.replace("i * stride, j * stride", "i, j")
                assert "i, j" in cell.source
        elif kind == ONE_LOOPS:  # conv_single_step never returns; the rest is right
            cell.source = answers[gid]
            if gid == "conv_single_step":
                cell.source = cell.source.replace(
                    "total = 0.0", "total = 0.0\n    while True:\n        pass"
                )
        elif kind == FLOOD:  # right, but calls a helper a million times in one graded call
            cell.source = answers[gid]
            if gid == "conv2d_forward":
                cell.source = cell.source.replace("    N, C, H, W = x.shape", (
                    "    global _flooded\n    if not globals().get('_flooded'):\n"
                    "        _flooded = True\n        for _ in range(1_000_000):\n"
                    "            conv_output_size(5, 3, 1, 1)\n    N, C, H, W = x.shape"))
                assert "_flooded" in cell.source
        elif kind == HELPER_MODULE:
            cell.source = f"from mylayers import {gid}"
        elif isinstance(TRICKS.get(kind), dict):  # the cell's function replaced by a trick
            cell.source = textwrap.dedent(TRICKS[kind][gid]).strip()
        elif kind in TRICKS and gid == "conv_output_size":  # after the stub
            cell.source = cell.source + "\n\n" + textwrap.dedent(TRICKS[kind]).strip()
    if kind == HELPER_MODULE:
        extra_files["mylayers.py"] = "import numpy as np\n\n" + "\n\n".join(answers.values())
    folder.mkdir(parents=True)
    nbformat.write(nb, folder / f"{A}.ipynb")
    for name, text in extra_files.items():
        (folder / name).write_text(text)


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = tmp_path_factory.mktemp("course")
    shutil.copy(ROOT / "nbgrader_config.py", root)
    shutil.copytree(ROOT / "solutions" / A, root / "solutions" / A)
    assert cnnbook(["--root", str(root), "release", A]) == 0
    kinds = [HONEST, HELPER_MODULE, PARTLY_WRONG, STUB, ONE_LOOPS, FLOOD, *TRICKS]
    for kind in kinds:
        make_submission(root / "submitted" / kind / A, kind)
    args = [
        "--root",
        str(root),
        "autograde",
        A,
        "--jobs",
        "2",
        "--no-progress",
        "--timeout",
        "120",
        "--call-timeout",
        "3",
    ]
    assert cnnbook(args) == 0
    status = gradebook.read_status(f"sqlite:///{root / 'gradebook.db'}", A)
    return root, status


@pytest.mark.xdist_group("cheating")  # the graded class once, on one worker
@pytest.mark.slow
def test_controls_get_exact_scores(graded):
    _, status = graded
    assert status[HONEST]["score"] == 15
    assert status[HELPER_MODULE]["score"] == 15  # the student's own module is used
    assert status[PARTLY_WRONG]["score"] == 12  # only the stride test (3 points) fails
    assert status[STUB]["score"] == 0
    # a million recorded helper calls in one graded call: the record stops at its bound,
    # the function is right, the batch goes on
    assert status[FLOOD]["score"] == 15
    # an endless loop in conv_single_step costs its test, and conv2d_forward's 8 points
    # with it: conv2d_forward calls it and never returns either (the sandbox holds no
    # course code to run instead since issue 20; a helper that returns, right or wrong,
    # costs its own points only, tests/test_grader_judging_own_helpers.py)
    assert status[ONE_LOOPS]["score"] == 15 - 2 - 8


@pytest.mark.xdist_group("cheating")  # the graded class once, on one worker
@pytest.mark.slow
@pytest.mark.parametrize("trick", sorted(TRICKS))
def test_every_trick_scores_zero(graded, trick):
    _, status = graded
    row = status[trick]
    assert row["max_score"] == 15
    assert row["score"] == 0, (trick, row)


@pytest.mark.xdist_group("cheating")  # the graded class once, on one worker
@pytest.mark.slow
def test_feedback_shows_verdicts_never_hidden_tests(graded):
    root, _ = graded
    for kind in (HONEST, PARTLY_WRONG, "lying_objects"):
        nb = nbformat.read(root / "autograded" / kind / A / f"{A}.ipynb", as_version=4)
        text = json.dumps(nb)
        assert "HIDDEN TESTS" not in text
        assert "hidden_rng" not in text
        assert str(root) not in text  # no host paths
    nb = nbformat.read(root / "autograded" / PARTLY_WRONG / A / f"{A}.ipynb", as_version=4)
    errors = [
        o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"
    ]
    assert len(errors) == 1 and "conv2d_forward" in errors[0].evalue
    nb = nbformat.read(root / "autograded" / "lying_objects" / A / f"{A}.ipynb", as_version=4)
    messages = " ".join(
        o.evalue for c in nb.cells if c.cell_type == "code" for o in c.outputs
        if o.output_type == "error"
    )  # fmt: skip
    assert "not plain data" in messages


@pytest.mark.xdist_group("cheating")  # the graded class once, on one worker
@pytest.mark.slow
def test_process_cap_holds_even_as_root(graded):
    """The fork flood ran as whatever user grades (root in CI): the pids cgroup stopped it."""
    from cnnbook.grader.isolation.limits import Limits
    from cnnbook.grader.isolation.process_cap import process_cap_mode

    root, _ = graded
    nb = nbformat.read(root / "autograded" / "fork_flood" / A / f"{A}.ipynb", as_version=4)
    printed = "".join(
        o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs
    )
    started = int(printed.split("started", 1)[1].split()[0])
    if process_cap_mode() in ("cgroup-v1", "cgroup-v2") or os.getuid() != 0:
        assert 0 < started < Limits.tasks, started
    else:
        pytest.skip("no pids cgroup here and running as root: nothing can cap processes")


@pytest.mark.xdist_group("cheating")  # the graded class once, on one worker
@pytest.mark.slow
def test_feedback_html_shows_the_judges_messages(graded):
    root, _ = graded
    assert cnnbook(["--root", str(root), "feedback", A]) == 0
    page = (root / "feedback" / PARTLY_WRONG / A / f"{A}.html").read_text()
    assert "HIDDEN TESTS" not in page and "hidden_rng" not in page
    assert "test_conv2d_forward_stride" in page or "stride" in page
    assert "has the right shape" in page or "has the wrong shape" in page  # the judge's words
    honest = (root / "feedback" / HONEST / A / f"{A}.html").read_text()
    assert "AssertionError" not in honest


# ------------------------------------------------------------------ ps08 as well
# The tricks that do not depend on ps02's functions, handed in with ps08_normalization
# (19 points, no reference module in its sandbox), beside an honest control, the stub and
# one catalogued mistake whose exact score is known.
PS08 = "ps08_normalization"
PS08_FUNCTIONS = ("batchnorm_forward", "batchnorm_backward", "spatial_batchnorm_forward",
                  "spatial_batchnorm_backward", "dropout_forward", "dropout_backward",
                  "adam_step")
PS08_TRICKS = {k: TRICKS[k] for k in ("patch_helpers", "skip_later_cells", "ast_rewrite",
                                      "swallow_errors", "exit_early", "fake_harness")}
PS08_TRICKS["reference_import"] = """
    import importlib
    for _name in ("cnnbook.layers", "cnnbook.layers.normalization",
                  "cnnbook.layers.optimizers", "cnnbook.nn"):
        try:
            _ref = importlib.import_module(_name)
        except ImportError:
            continue
        for _fn in FUNCTIONS:
            if hasattr(_ref, _fn):
                globals()[_fn] = getattr(_ref, _fn)
""".replace("FUNCTIONS", repr(PS08_FUNCTIONS))
PS08_TRICKS["lying_arrays"] = """
    class _Yes(np.ndarray):
        def __eq__(self, other): return np.ones(np.shape(other), bool)
        def __ne__(self, other): return np.zeros(np.shape(other), bool)
    def _lie(*args, **kwargs):
        return np.zeros(1).view(_Yes), np.zeros(1).view(_Yes), np.zeros(1).view(_Yes)
    for _fn in FUNCTIONS:
        globals()[_fn] = _lie
""".replace("FUNCTIONS", repr(PS08_FUNCTIONS))
EPS_OUTSIDE = "eps_outside_sqrt"  # costs both batchnorm_forward cells: 5 of 19 points


def make_ps08_submission(folder: Path, kind: str) -> None:
    nb = released_notebook(PS08)
    answers = solution_cells(PS08)
    for cell in nb.cells:
        nbg = cell.metadata.get("nbgrader", {})
        if not nbg.get("solution"):
            continue
        gid = nbg["grade_id"]
        if kind in (HONEST, EPS_OUTSIDE):
            cell.source = answers[gid]
            if kind == EPS_OUTSIDE and gid == "batchnorm_forward":
                old = "np.sqrt(var + eps)"
                assert old in cell.source
                cell.source = cell.source.replace(old, "(np.sqrt(var) + eps)")
        elif kind in PS08_TRICKS and gid == "adam_step":  # the last cell: after every stub
            cell.source = cell.source + "\n\n" + textwrap.dedent(PS08_TRICKS[kind]).strip()
    folder.mkdir(parents=True)
    nbformat.write(nb, folder / f"{PS08}.ipynb")


@pytest.fixture(scope="module")
def graded_ps08(tmp_path_factory):
    root = tmp_path_factory.mktemp("course08")
    shutil.copy(ROOT / "nbgrader_config.py", root)
    shutil.copytree(ROOT / "solutions" / PS08, root / "solutions" / PS08)
    assert cnnbook(["--root", str(root), "release", PS08]) == 0
    for kind in [HONEST, STUB, EPS_OUTSIDE, *PS08_TRICKS]:
        make_ps08_submission(root / "submitted" / kind / PS08, kind)
    args = ["--root", str(root), "autograde", PS08, "--jobs", "2", "--no-progress",
            "--timeout", "120", "--call-timeout", "3"]
    assert cnnbook(args) == 0
    return gradebook.read_status(f"sqlite:///{root / 'gradebook.db'}", PS08)


@pytest.mark.slow
def test_ps08_controls_and_tricks(graded_ps08):
    status = graded_ps08
    assert status[HONEST]["score"] == status[HONEST]["max_score"] == 19
    assert status[STUB]["score"] == 0
    assert status[EPS_OUTSIDE]["score"] == 14
    scored = {trick: status[trick]["score"] for trick in PS08_TRICKS}
    assert all(score == 0 for score in scored.values()), scored
