"""Speed of conv2d forward + backward: ratios to baselines timed in the same run.

Workloads, float32, stride 1, pad 1, 3x3 filters:

* ``issue-2``: x (64, 16, 28, 28), w (32, 16, 3, 3) (the workload of issue #2);
* ``mnist-conv2``: x (32, 16, 14, 14), w (32, 16, 3, 3), the second convolution
  of the MNIST LeNet (``cnnbook.train.build_mnist_model``) on a training batch.

Contenders:

* ``fast``      cnnbook.fast_layers.conv2d_forward + conv2d_backward as
                cnnbook.nn.Conv2D runs them: one ``cache=`` dict kept across calls,
                so backward reuses the forward's window matrix and large work
                arrays are reused rather than allocated every call;
* ``reference`` cnnbook.layers.conv2d_forward + conv2d_backward, no cache;
* ``torch``     PyTorch CPU conv2d forward + backward (if torch is installed;
                it is not a requirement of the course);
* ``matmul``    the three NumPy matrix products of the same shapes and FLOPs
                (out = W @ cols, dW = dout @ cols.T, dcols = W.T @ dout): the floor
                for any im2col implementation in NumPy.

How they are timed: in rounds; in each round every contender gets one *block*:
the machine is left idle for ``--gap`` seconds, then the contender runs
``--repeats`` times in a row. Blocks, not single calls, are interleaved because
both thread pools keep their threads spinning for a while after a parallel call
(OpenBLAS's workers and PyTorch's OpenMP workers): a call made right after
another library's parallel call shares the cores with those spinning threads.
On 2 cores, timing single calls interleaved made PyTorch look about 1.6 times
slower than it is (13-17 ms instead of 8 ms on the issue's shape); the idle gap
lets the other pool go to sleep first. ``--gap 0 --repeats 1`` times the old way.

Targets (issue #22): fast <= 1.0x torch and <= 1.2x matmul, on each workload.

Usage: python benchmarks/conv_speed.py [--rounds 10] [--repeats 5] [--gap 0.25]
       [--threads N] [--json out.json]
Figures, not pass/fail: the machine's load moves absolute times; the ratios are
the result. The minimum over rounds is the least disturbed measurement. NumPy and
PyTorch get the same number of threads (default: all cores).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time

import numpy as np
from threadpoolctl import threadpool_info, threadpool_limits

from cnnbook import fast_layers, layers

WORKLOADS = {
    "issue-2": (64, 16, 28, 28, 32),
    "mnist-conv2": (32, 16, 14, 14, 32),
}
K, PAD = 3, 1


def contenders(shape, threads: int):
    N, C, H, W, F = shape
    rng = np.random.default_rng(0)
    x = rng.standard_normal((N, C, H, W)).astype(np.float32)
    w = (rng.standard_normal((F, C, K, K)) * 0.1).astype(np.float32)
    b = np.zeros(F, np.float32)
    dout = rng.standard_normal((N, F, H, W)).astype(np.float32)

    layer_cache = {}  # one dict for the layer's lifetime, as cnnbook.nn.Conv2D keeps it

    def fast():
        fast_layers.conv2d_forward(x, w, b, 1, PAD, cache=layer_cache)
        fast_layers.conv2d_backward(dout, x, w, 1, PAD, cache=layer_cache)

    def reference():
        layers.conv2d_forward(x, w, b, 1, PAD)
        layers.conv2d_backward(dout, x, w, 1, PAD)

    positions = N * H * W
    w_rows = w.reshape(F, -1)
    cols = rng.standard_normal((C * K * K, positions)).astype(np.float32)
    dout_rows = rng.standard_normal((F, positions)).astype(np.float32)

    def matmul():
        w_rows @ cols
        dout_rows @ cols.T
        w_rows.T @ dout_rows

    found = {"fast": fast, "reference": reference, "matmul": matmul}
    try:
        import torch
    except ImportError:
        print("torch is not installed: no PyTorch baseline")
    else:
        torch.set_num_threads(threads)
        xt = torch.tensor(x, requires_grad=True)
        wt = torch.tensor(w, requires_grad=True)
        bt = torch.tensor(b, requires_grad=True)
        dt = torch.tensor(dout)

        def torch_conv():
            xt.grad = wt.grad = bt.grad = None
            torch.nn.functional.conv2d(xt, wt, bt, padding=PAD).backward(dt)

        found["torch"] = torch_conv
    return found


def measure(shape, threads: int, rounds: int, repeats: int, gap: float) -> dict:
    funcs = contenders(shape, threads)
    for f in funcs.values():  # warm up caches, thread pools, BLAS
        f()
        f()
    times = {name: [] for name in funcs}
    for _ in range(rounds):
        for name, f in funcs.items():  # one block per contender and round
            time.sleep(gap)  # the previous contender's spinning threads go to sleep
            for _ in range(repeats):
                start = time.perf_counter()
                f()
                times[name].append(time.perf_counter() - start)
    best = {name: min(t) * 1000 for name, t in times.items()}
    median = {name: float(np.median(t)) * 1000 for name, t in times.items()}
    return {"min_ms": best, "median_ms": median}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=5, help="calls per block")
    parser.add_argument("--gap", type=float, default=0.25, help="idle seconds before a block")
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args()
    blas = [(i["internal_api"], i.get("architecture")) for i in threadpool_info()]
    print(f"BLAS: {blas}; {args.threads} threads; load average {os.getloadavg()[0]:.1f}")
    results = {}
    with threadpool_limits(limits=args.threads, user_api="blas"):
        for name, shape in WORKLOADS.items():
            N, C, H, W, F = shape
            r = measure(shape, args.threads, args.rounds, args.repeats, args.gap)
            best, median = r["min_ms"], r["median_ms"]
            print(f"\n{name}: x {(N, C, H, W)}, w {(F, C, K, K)}, pad {PAD}, float32, "
                  f"{args.rounds} rounds of {args.repeats} calls after {args.gap} s idle")
            print(f"{'contender':<12}{'min ms':>9}{'median ms':>11}{'vs torch':>10}"
                  f"{'vs matmul':>11}")
            for c in best:
                vs_torch = f"{best[c] / best['torch']:.2f}x" if "torch" in best else "-"
                print(f"{c:<12}{best[c]:>9.2f}{median[c]:>11.2f}{vs_torch:>10}"
                      f"{best[c] / best['matmul']:>10.2f}x")
            results[name] = r
    if args.json:
        result = {"workloads": results, "threads": args.threads, "blas": blas,
                  "machine": platform.machine(), "rounds": args.rounds,
                  "repeats": args.repeats, "gap": args.gap}
        with open(args.json, "w") as fh:
            json.dump(result, fh, indent=2)


if __name__ == "__main__":
    main()
