"""Speed of conv2d forward + backward: ratios to baselines timed in the same run.

Workload (issue #2): x (64, 16, 28, 28), w (32, 16, 3, 3), pad 1, stride 1, float32.

Measured, interleaved round by round so that load from other processes hits
every contender alike:

* ``cnnbook``         conv2d_forward + conv2d_backward, as a cnnbook.nn.Conv2D layer
                      runs them: one ``cache=`` dict kept across calls, so backward
                      reuses the forward's window matrix and large work arrays are
                      reused rather than allocated (and page-faulted) every call;
* ``cnnbook_nocache`` the plain calls without a cache (fresh arrays every call);
* ``torch``           PyTorch CPU conv2d forward + backward (if torch is installed);
* ``matmul``          the three NumPy matrix products of the same shapes and FLOPs
                      (out = W @ cols, dW = dout @ cols.T, dcols = W.T @ dout): the
                      floor for any im2col implementation in NumPy.

Usage: python benchmarks/conv_speed.py [--rounds 30] [--json results.json]
Figures, not pass/fail: the machine's load moves absolute times; the ratios
are the result. The minimum over rounds is the least disturbed measurement.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time

import numpy as np

from cnnbook.layers import conv2d_backward, conv2d_forward

N, C, H, W, F, K, PAD = 64, 16, 28, 28, 32, 3, 1


def contenders(threads: int):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((N, C, H, W)).astype(np.float32)
    w = (rng.standard_normal((F, C, K, K)) * 0.1).astype(np.float32)
    b = np.zeros(F, np.float32)
    dout = rng.standard_normal((N, F, H, W)).astype(np.float32)

    layer_cache = {}  # one dict for the layer's lifetime, as cnnbook.nn.Conv2D keeps it

    def cnnbook():
        conv2d_forward(x, w, b, 1, PAD, cache=layer_cache)
        conv2d_backward(dout, x, w, 1, PAD, cache=layer_cache)

    def cnnbook_nocache():
        conv2d_forward(x, w, b, 1, PAD)
        conv2d_backward(dout, x, w, 1, PAD)

    positions = N * H * W
    w_rows = w.reshape(F, -1)
    cols = rng.standard_normal((C * K * K, positions)).astype(np.float32)
    dout_rows = rng.standard_normal((F, positions)).astype(np.float32)

    def matmul():
        w_rows @ cols
        dout_rows @ cols.T
        w_rows.T @ dout_rows

    found = {"cnnbook": cnnbook, "cnnbook_nocache": cnnbook_nocache, "matmul": matmul}
    try:
        import torch
    except ImportError:
        print("torch is not installed: no PyTorch baseline (pip install torch to add it)")
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args()
    threads = os.cpu_count() or 1
    funcs = contenders(threads)
    for f in funcs.values():  # warm up caches, thread pools, BLAS
        f()
        f()
    times = {name: [] for name in funcs}
    for _ in range(args.rounds):
        for name, f in funcs.items():
            start = time.perf_counter()
            f()
            times[name].append(time.perf_counter() - start)
    best = {name: min(t) * 1000 for name, t in times.items()}
    median = {name: float(np.median(t)) * 1000 for name, t in times.items()}
    print(f"conv2d forward+backward, x {(N, C, H, W)}, w {(F, C, K, K)}, pad {PAD}, float32, "
          f"{threads} cores, {args.rounds} interleaved rounds")
    print(f"{'contender':<18}{'min ms':>9}{'median ms':>11}{'vs torch':>10}{'vs matmul':>11}")
    for name in funcs:
        vs_torch = f"{best[name] / best['torch']:.2f}x" if "torch" in best else "-"
        print(f"{name:<18}{best[name]:>9.2f}{median[name]:>11.2f}{vs_torch:>10}"
              f"{best[name] / best['matmul']:>10.2f}x")
    if args.json:
        result = {"min_ms": best, "median_ms": median, "threads": threads,
                  "machine": platform.machine(), "rounds": args.rounds}
        with open(args.json, "w") as fh:
            json.dump(result, fh, indent=2)


if __name__ == "__main__":
    main()
