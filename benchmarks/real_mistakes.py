# ruff: noqa: E501 - wrapper templates on single lines
"""Grade real student implementations with the judge, and measure the feedback (issue 21).

usage:
    python benchmarks/real_mistakes.py grade CORPUS_SPLIT_DIR OUT.jsonl [--checkout DIR]
    python benchmarks/real_mistakes.py measure OUT.jsonl [--list]

CORPUS_SPLIT_DIR holds one folder per repository with files ``cs231n.py`` (CS231n
assignment 2 ``layers.py`` functions), ``dls.py`` (Coursera DLS "Convolution model step
by step") or ``dlfs.py`` (Deep Learning from Scratch classes and im2col). This script
contains none of that code and fetches nothing: it reads the folder it is given. Each
course function is graded alone (every other answer cell the reference's) through a
thin, mechanical wrapper (NCHW/NHWC, parameter dicts, the student's own forward pass
for a cache), never fixing the implementation's logic; ``--checkout`` grades with
another checkout's judge (the "before" figures).

measure: implementations, full marks, unfinished stubs, wrong ones, and the share of
wrong ones with a ``Likely mistake:`` line (checked by hand: it must never be wrong).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

ASSIGNMENT_OF = {
    "zero_pad": "ps02_convolution", "conv_single_step": "ps02_convolution",
    "conv2d_forward": "ps02_convolution", "conv_output_size": "ps02_convolution",
    "maxpool2d_forward": "ps03_pooling", "avgpool2d_forward": "ps03_pooling",
    "relu_forward": "ps04_activations_dense", "affine_forward": "ps04_activations_dense",
    "softmax": "ps05_softmax_cross_entropy", "softmax_cross_entropy": "ps05_softmax_cross_entropy",
    "relu_backward": "ps06_backprop", "affine_backward": "ps06_backprop",
    "conv2d_backward": "ps06_backprop", "maxpool2d_backward": "ps06_backprop",
    "avgpool2d_backward": "ps06_backprop",
}

S = "_corpus"  # the student's module namespace inside the answer cell

WRAPPERS = {
    "cs231n": {
        "conv2d_forward": ("conv_forward_naive", f"""
def conv2d_forward(x, w, b, stride=1, pad=0):
    return {S}["conv_forward_naive"](x, w, b, {{"stride": stride, "pad": pad}})[0]
"""),
        "conv2d_backward": ("conv_backward_naive", f"""
def conv2d_backward(dout, x, w, stride=1, pad=0):
    _, cache = {S}["conv_forward_naive"](x, w, np.zeros(w.shape[0]), {{"stride": stride, "pad": pad}})
    return tuple({S}["conv_backward_naive"](dout, cache))
"""),
        "maxpool2d_forward": ("max_pool_forward_naive", f"""
def maxpool2d_forward(x, size=2, stride=2):
    return {S}["max_pool_forward_naive"](x, {{"pool_height": size, "pool_width": size, "stride": stride}})[0]
"""),
        "maxpool2d_backward": ("max_pool_backward_naive", f"""
def maxpool2d_backward(dout, x, size=2, stride=2):
    _, cache = {S}["max_pool_forward_naive"](x, {{"pool_height": size, "pool_width": size, "stride": stride}})
    return {S}["max_pool_backward_naive"](dout, cache)
"""),
        "relu_forward": ("relu_forward", f"""
def relu_forward(x):
    return {S}["relu_forward"](x)[0]
"""),
        "relu_backward": ("relu_backward", f"""
def relu_backward(dout, x):
    return {S}["relu_backward"](dout, x)
"""),
        "affine_forward": ("affine_forward", f"""
def affine_forward(x, w, b):
    return {S}["affine_forward"](x, w, b)[0]
"""),
        "affine_backward": ("affine_backward", f"""
def affine_backward(dout, x, w):
    return tuple({S}["affine_backward"](dout, (x, w, np.zeros(w.shape[1]))))
"""),
        "softmax_cross_entropy": ("softmax_loss", f"""
def softmax_cross_entropy(logits, y):
    return tuple({S}["softmax_loss"](logits, y))
"""),
    },
    "dls": {
        "zero_pad": ("zero_pad", f"""
def zero_pad(x, pad):
    return {S}["zero_pad"](x.transpose(0, 2, 3, 1), pad).transpose(0, 3, 1, 2)
"""),
        "conv_single_step": ("conv_single_step", f"""
def conv_single_step(x_slice, w, b):
    return {S}["conv_single_step"](x_slice.transpose(1, 2, 0), w.transpose(1, 2, 0), np.full((1, 1, 1), b))
"""),
        "conv2d_forward": ("conv_forward", f"""
def conv2d_forward(x, w, b, stride=1, pad=0):
    out = {S}["conv_forward"](x.transpose(0, 2, 3, 1), w.transpose(2, 3, 1, 0), b.reshape(1, 1, 1, -1), {{"stride": stride, "pad": pad}})[0]
    return out.transpose(0, 3, 1, 2)
"""),
        "maxpool2d_forward": ("pool_forward", f"""
def maxpool2d_forward(x, size=2, stride=2):
    return {S}["pool_forward"](x.transpose(0, 2, 3, 1), {{"f": size, "stride": stride}}, mode="max")[0].transpose(0, 3, 1, 2)
"""),
        "avgpool2d_forward": ("pool_forward", f"""
def avgpool2d_forward(x, size=2, stride=2):
    return {S}["pool_forward"](x.transpose(0, 2, 3, 1), {{"f": size, "stride": stride}}, mode="average")[0].transpose(0, 3, 1, 2)
"""),
        "conv2d_backward": ("conv_backward", f"""
def conv2d_backward(dout, x, w, stride=1, pad=0):
    cache = (x.transpose(0, 2, 3, 1), w.transpose(2, 3, 1, 0), np.zeros((1, 1, 1, w.shape[0])), {{"stride": stride, "pad": pad}})
    dA, dW, db = {S}["conv_backward"](dout.transpose(0, 2, 3, 1), cache)
    return dA.transpose(0, 3, 1, 2), dW.transpose(3, 2, 0, 1), db.reshape(-1)
"""),
        "maxpool2d_backward": ("pool_backward", f"""
def maxpool2d_backward(dout, x, size=2, stride=2):
    cache = (x.transpose(0, 2, 3, 1), {{"f": size, "stride": stride}})
    return {S}["pool_backward"](dout.transpose(0, 2, 3, 1), cache, mode="max").transpose(0, 3, 1, 2)
"""),
        "avgpool2d_backward": ("pool_backward", f"""
def avgpool2d_backward(dout, x, size=2, stride=2):
    cache = (x.transpose(0, 2, 3, 1), {{"f": size, "stride": stride}})
    return {S}["pool_backward"](dout.transpose(0, 2, 3, 1), cache, mode="average").transpose(0, 3, 1, 2)
"""),
    },
    "dlfs": {
        "conv2d_forward": ("Convolution", f"""
def conv2d_forward(x, w, b, stride=1, pad=0):
    return {S}["Convolution"](w, b, stride, pad).forward(x)
"""),
        "conv2d_backward": ("Convolution", f"""
def conv2d_backward(dout, x, w, stride=1, pad=0):
    layer = {S}["Convolution"](w, np.zeros(w.shape[0]), stride, pad)
    layer.forward(x)
    dx = layer.backward(dout)
    return dx, layer.dW, layer.db
"""),
        "maxpool2d_forward": ("Pooling", f"""
def maxpool2d_forward(x, size=2, stride=2):
    return {S}["Pooling"](size, size, stride).forward(x)
"""),
        "maxpool2d_backward": ("Pooling", f"""
def maxpool2d_backward(dout, x, size=2, stride=2):
    layer = {S}["Pooling"](size, size, stride)
    layer.forward(x)
    return layer.backward(dout)
"""),
        "relu_forward": ("Relu", f"""
def relu_forward(x):
    return {S}["Relu"]().forward(x)
"""),
        "relu_backward": ("Relu", f"""
def relu_backward(dout, x):
    layer = {S}["Relu"]()
    layer.forward(x)
    return layer.backward(dout)
"""),
        "affine_forward": ("Affine", f"""
def affine_forward(x, w, b):
    return {S}["Affine"](w, b).forward(x)
"""),
        "affine_backward": ("Affine", f"""
def affine_backward(dout, x, w):
    layer = {S}["Affine"](w, np.zeros(w.shape[1]))
    layer.forward(x)
    dx = layer.backward(dout)
    return dx, layer.dW, layer.db
"""),
        "softmax": ("softmax", f"""
def softmax(z):
    return {S}["softmax"](z)
"""),
        "softmax_cross_entropy": ("SoftmaxWithLoss", f"""
def softmax_cross_entropy(logits, y):
    layer = {S}["SoftmaxWithLoss"]()
    loss = layer.forward(logits, y)
    return loss, layer.backward()
"""),
    },
}


def answer_cell(family: str, function: str, student_source: str, label: str):
    """The answer cell of ``function`` for a corpus implementation, or None."""
    needs, wrapper = WRAPPERS[family].get(function, (None, None))
    if needs is None or f"def {needs}(" not in student_source and f"class {needs}" not in student_source:
        return None
    head = (
        "import linecache as _lc\n"
        f"_src = {student_source!r}\n"
        f"_fname = {label!r}\n"
        "_lc.cache[_fname] = (len(_src), None, _src.splitlines(True), _fname)\n"
        f"{S} = {{'np': np, '__name__': 'student'}}\n"
        f"exec(compile(_src, _fname, 'exec'), {S})\n"
    )
    return head + wrapper


def _grade_repo(checkout: str, repo_dir: Path) -> list[dict]:
    sys.path.insert(0, checkout)
    os.chdir(checkout)
    from cnnbook.grader import cells
    from cnnbook.grader.judging import judge
    from tests import judge_harness

    results = []
    for fam_file in sorted(repo_dir.glob("*.py")):
        family, source = fam_file.stem, fam_file.read_text()
        for function, assignment in ASSIGNMENT_OF.items():
            cell = answer_cell(family, function, source, f"{repo_dir.name}/{family}.py")
            if cell is None:
                continue
            solution = Path(checkout) / "solutions" / assignment / f"{assignment}.ipynb"
            rec = judge_harness.recording(solution, assignment)
            answers = {c.grade_id: cells.blank_solution_markers(c.source)
                       for c in rec.tests.cells if c.kind is judge.CellKind.ANSWER}
            grade_id = next(c.grade_id for c in rec.tests.cells if c.kind is judge.CellKind.ANSWER
                            and function in judge.defined_names(c.source))
            answers[grade_id] = "import numpy as np\n" + cell
            row = {"repo": repo_dir.name, "family": family, "function": function,
                   "assignment": assignment}
            with tempfile.TemporaryDirectory() as tmp:
                try:
                    verdicts = judge_harness.grade(rec, answers, Path(tmp))
                except Exception as exc:  # noqa: BLE001
                    results.append({**row, "error": f"{type(exc).__name__}: {exc}"})
                    continue
            results.append({
                **row, "points": sum(v.points for v in verdicts),
                "max": sum(v.max_points for v in verdicts),
                "failed": [{"cell": v.grade_id, "message": v.message, "diagnosis": v.diagnosis}
                           for v in verdicts if not v.passed],
            })
    return results


def grade(split_dir: str, out: str, checkout: str) -> None:
    """Each repository in its own process (a student's code cannot disturb the next)."""
    with open(out, "w") as fh:
        for repo_dir in sorted(Path(split_dir).iterdir()):
            env = dict(os.environ, REAL_MISTAKES_REPO=str(repo_dir))
            try:
                p = subprocess.run([sys.executable, __file__, "_one", checkout], env=env,
                                   capture_output=True, text=True, timeout=900)
                rows = json.loads(p.stdout.strip().splitlines()[-1]) if p.stdout.strip() else []
                if not rows and p.returncode:
                    rows = [{"repo": repo_dir.name, "error": p.stderr[-2000:]}]
            except subprocess.TimeoutExpired:
                rows = [{"repo": repo_dir.name, "error": "timeout"}]
            for r in rows:
                fh.write(json.dumps(r) + "\n")
            print(repo_dir.name, len(rows), file=sys.stderr)


STUB = ("received None", "NoneType", "is not implemented yet")


def measure(path: str, listing: bool) -> None:
    rows = [json.loads(line) for line in open(path)]
    impl = [r for r in rows if "points" in r]
    wrong, stub, diag, numpy2, where = [], 0, [], 0, 0
    for r in impl:
        if r["points"] >= r["max"]:
            continue
        msgs = [f["message"] for f in r["failed"]]
        if all(any(s in m for s in STUB) for m in msgs):
            stub += 1
            continue
        wrong.append(r)
        ids = {f["diagnosis"] for f in r["failed"] if f["diagnosis"]}
        if ids:
            diag.append((r["repo"], r["family"], r["function"], sorted(ids)))
        numpy2 += any("NumPy 2 changed this" in m for m in msgs)
        raised = [m for m in msgs if "the call raised" in m]
        where += bool(raised) and all("\nat " in m for m in raised)
    raised = sum(any("the call raised" in f["message"] for f in r["failed"]) for r in wrong)
    print(f"implementations graded: {len(impl)}; full marks: "
          f"{sum(r['points'] >= r['max'] for r in impl)}; unfinished stubs: {stub}; "
          f"wrong: {len(wrong)}")
    print(f"wrong with a Likely mistake line: {len(diag)} "
          f"({100 * len(diag) / max(1, len(wrong)):.0f}%)")
    print(f"wrong that raised: {raised}; with the student's line shown: {where}; "
          f"with a NumPy 2 line: {numpy2}")
    print("wrong, by function:", dict(Counter(r["function"] for r in wrong)))
    if listing:
        for d in diag:
            print("  ", *d)


if __name__ == "__main__":
    command, *rest = sys.argv[1:]
    here = str(Path(__file__).resolve().parents[1])
    if command == "_one":
        print(json.dumps(_grade_repo(rest[0], Path(os.environ["REAL_MISTAKES_REPO"]))))
    elif command == "grade":
        checkout = rest[rest.index("--checkout") + 1] if "--checkout" in rest else here
        grade(rest[0], rest[1], checkout)
    elif command == "measure":
        measure(rest[0], "--list" in rest)
    else:
        sys.exit(__doc__)
