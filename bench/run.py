"""symconv benchmark: every figure is a ratio against a baseline measured in the same run (median of REPS).

Run:  python bench/run.py            (about 3 minutes; needs PyTorch for the PyTorch baselines)
      python bench/run.py --quick    (smaller repetitions, skips the slowest naive baseline)
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
import tracemalloc

import numpy as np
import sympy as sp

from symconv import ConvSpec, derive
from symconv.numeric import conv
from symconv.proof.checks import verify

try:
    import torch
except ImportError:
    torch = None


def median_time(fn, reps: int) -> float:
    times = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def naive_proof(spec: ConvSpec, size: tuple[int, ...]) -> None:
    """The by-hand SymPy procedure: one symbol per entry, sympy.diff of L for every entry, expand."""
    d = derive(spec, prove=False)
    def syms(name, shape):
        return np.array([sp.Symbol(f"{name}{i}") for i in range(int(np.prod(shape)))], dtype=object).reshape(shape)
    x = syms("x", (1, spec.in_channels) + size)
    h = syms("h", (spec.out_channels, spec.in_channels) + tuple(spec.kernel_size))
    y = conv(x, h, spec)
    g = syms("g", y.shape)
    L = sp.expand(sum(g.reshape(-1) * y.reshape(-1)))
    grads = d.evaluate(x, h, g)
    for name, wrt in (("grad_input", x), ("grad_weight", h)):
        for idx in np.ndindex(*wrt.shape):
            assert sp.expand(sp.diff(L, wrt[idx]) - grads[name][idx]) == 0


def row(label: str, ours: float, base: float, goal: str) -> None:
    print(f"{label:<58} {ours:10.4f} s {base:10.4f} s {base / ours:10.1f}x   {goal}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    reps = 1 if args.quick else 3
    print(f"{'measurement':<58} {'symconv':>12} {'baseline':>12} {'speed-up':>11}   goal")

    # 1. Exact proof against the naive SymPy procedure.
    cases = [(2, 2, 4, 3, 1)] + ([] if args.quick else [(3, 3, 8, 3, 1)])
    for cin, cout, H, K, P in cases:
        spec = ConvSpec(cin, cout, K, padding=P)
        derive(spec, prove=False)
        ours = median_time(lambda: verify(spec, (H, H)), max(reps, 3))
        base = median_time(lambda: naive_proof(spec, (H, H)), 1 if H > 4 else reps)
        row(f"exact proof vs naive SymPy (C={cin},{cout} {H}x{H} K={K} P={P})", ours, base,
            ">= 1000x at (3,3,8,3,1)")

    N, C, H = 8, 64, 56
    spec = ConvSpec(C, C, 3, padding=1)
    d = derive(spec, prove=False)
    rng = np.random.default_rng(0)
    x64 = rng.standard_normal((N, C, H, H))
    h64 = rng.standard_normal((C, C, 3, 3))
    g64 = rng.standard_normal((N, C, H, H))
    if torch is not None:
        torch.set_num_threads(2)
        tx = torch.tensor(x64, dtype=torch.float32, requires_grad=True)
        th = torch.tensor(h64, dtype=torch.float32, requires_grad=True)
        tg = torch.tensor(g64, dtype=torch.float32)

        def torch_autograd():
            tx.grad = th.grad = None
            (torch.nn.functional.conv2d(tx, th, padding=1) * tg).sum().backward()
        base = median_time(torch_autograd, reps)
        ours = median_time(lambda: verify(spec, (H, H), batch=N, method="identity", derivation=d, trials=1), reps)
        row("identity test, one trial (N=8 C=64 56x56) vs torch fwd+bwd f32", ours, base, "<= 1.5x torch's time")

        for dtype, tdtype, goal in ((np.float64, torch.float64, "<= 1.0x"), (np.float32, torch.float32, "<= 2.0x")):
            x, h, g = (a.astype(dtype) for a in (x64, h64, g64))
            ax, ah, ag = (torch.tensor(a, dtype=tdtype) for a in (x64, h64, g64))

            def ours_fn():
                conv(x, h, spec)
                d.evaluate(x, h, g)

            def torch_fn():
                torch.nn.functional.conv2d(ax, ah, padding=1)
                torch.nn.grad.conv2d_input(ax.shape, ah, ag, padding=1)
                torch.nn.grad.conv2d_weight(ax, ah.shape, ag, padding=1)
            row(f"conv + evaluate vs torch conv2d + grads ({np.dtype(dtype).name})",
                median_time(ours_fn, reps), median_time(torch_fn, reps), f"{goal} torch's time")
    else:
        print("PyTorch is not installed: the PyTorch baselines are skipped")

    # 4. Exact proof at a realistic size: time and peak memory.
    for N4, C4, H4 in [(8, 16, 32)]:
        s4 = ConvSpec(C4, C4, 3, padding=1)
        d4 = derive(s4, prove=False)
        tracemalloc.start()
        t = time.perf_counter()
        v = verify(s4, (H4, H4), batch=N4, derivation=d4)
        seconds = time.perf_counter() - t
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        print(f"exact proof N={N4} C={C4} {H4}x{H4} K=3: {v.checked:,} monomials, ok={v.ok}, "
              f"{seconds:.1f} s, peak {peak / 2**30:.2f} GiB")
    print("exact proof N=8 C=64 56x56 K=3 (ResNet): not run; about 0.9 billion monomials, "
          "see README (the closed-form side is not chunked yet)")

    # 5. The main job end to end against importing SymPy.
    imp = median_time(lambda: subprocess.run([sys.executable, "-c", "import sympy"], check=True), reps)
    hw = median_time(lambda: subprocess.run([sys.executable, "-m", "symconv", "homework", "--no-pdf", "--out",
                                             "/tmp/symconv-bench"], check=True, capture_output=True), reps)
    print(f"{'symconv homework --no-pdf vs python -c import sympy':<58} {hw:10.4f} s {imp:10.4f} s "
          f"{hw / imp:10.1f}x slower   goal <= 2x")


if __name__ == "__main__":
    main()
