"""symconv benchmark: every figure against a baseline measured in the same run, as a ratio (the two timed
in turn, the median of 5 pairs).

Run:  python bench/run.py            (about 6 minutes with the ResNet-size exact proof; needs PyTorch for
                                      the PyTorch baselines)
      python bench/run.py --quick    (one repetition, small naive baseline, exact proof at two small sizes)
      python bench/run.py --only torch,cold   (some sections: proof, torch, sweeps, cold, homework, allsizes,
                                      scaling)

Rows (issue 14): exact proof vs naive SymPy; the identity test vs PyTorch float64 autograd; conv + evaluate
vs PyTorch's conv2d + nn.grad (float64, float32); `import symconv`, `symconv homework --no-pdf` and
`symconv derive --no-pdf` vs `python -c "import sympy"` (both with their bytecode cached, as installed);
the homework's exact work at four input sizes; the exact proof's time and peak memory at three sizes (the
last the ResNet size unless --quick); grading one
index-notation formula, one 5-line derivation and one wrong index formula vs import sympy. The machine's load is printed: on a shared machine the ratios hold
better than the seconds.

Contended rows (issue 23): the identity test, evaluate (float64, float32), the concrete sweep and the
all-sizes sweep again while a busy process (started and stopped here) holds one core; each a ratio to
PyTorch in the same contended minute, or to its own quiet time in this run. Each section prints the load
average and the BLAS threads symconv chose (symconv.derivation.threads).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
import sympy as sp

from symconv import ConvSpec, derive
from symconv.derivation import threads
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


def paired(ours, base, reps: int) -> tuple[float, float, float]:
    """Both functions timed in turn, ``reps`` times (the order alternating): the median of each and the median
    of the per-pair ratios, which a load that comes and goes on a shared machine disturbs least."""
    pairs = []
    for k in range(reps):
        order = (ours, base) if k % 2 == 0 else (base, ours)
        times = {}
        for fn in order:
            t = time.perf_counter()
            fn()
            times[fn] = time.perf_counter() - t
        pairs.append((times[ours], times[base]))
    return (statistics.median(p[0] for p in pairs), statistics.median(p[1] for p in pairs),
            statistics.median(p[0] / p[1] for p in pairs))


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


def row(label: str, ours: float, base: float, goal: str, faster: bool = False, ratio: float | None = None
        ) -> None:
    """One line: both times and the ratio the goal is stated in (ours/base, or base/ours when faster; the
    median of paired ratios when given)."""
    ratio = (ours / base) if ratio is None else ratio
    ratio = f"{1 / ratio:9.0f}x faster" if faster else f"{ratio:9.2f}x its time"
    print(f"{label:<66} {ours:9.3f} s {base:9.3f} s {ratio}   goal {goal}", flush=True)


@contextlib.contextmanager
def busy():
    """One other process spinning on one core for the duration of the block (the contention a shared
    machine has), stopped at the end whatever happens."""
    spinner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        time.sleep(0.5)                     # scheduled and spinning before anything is timed
        yield
    finally:
        spinner.terminate()
        spinner.wait()


def section(title: str) -> None:
    print(f"-- {title}: load average {os.getloadavg()[0]:.1f}, symconv's BLAS threads in this process "
          f"{threads.chosen()} (of {threads.cores()} cores)", flush=True)


def run(cmd: list[str], env: dict[str, str] | None = None) -> None:
    subprocess.run(cmd, check=True, capture_output=True, env=env)


EXACT = """
import resource, sys, time
from symconv import ConvSpec
from symconv.derivation.forms import derive_forms
from symconv.proof.exact import exact
N, C, H = map(int, sys.argv[1:4])
d = derive_forms(ConvSpec(C, C, 3, padding=1))
t, cpu = time.perf_counter(), time.process_time()
ok, checked, _ = exact(d, (H, H), N)
print(ok, checked, time.perf_counter() - t, time.process_time() - cpu,
      resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)
"""


def layer_homework(size: int, seed: int = 0) -> dict:
    """A homework the size of a small layer: input 2 x size x size, every number a fraction, both biases."""
    rng = np.random.default_rng(seed)
    n = 2 * (size - 2) ** 2

    def fractions(a: np.ndarray, den: int) -> list:
        return [fractions(v, den) for v in a] if a.ndim else f"{int(a)}/{den}"
    return {"title": "bench", "input": {"x": fractions(rng.integers(-9, 10, (2, size, size)), 10)},
            "conv": {"h": fractions(rng.integers(-4, 5, (2, 2, 3, 3)), 4), "bias": ["1/3", "-1/2"]},
            "fc": {"out_features": 10, "weight": fractions(rng.integers(-3, 4, (10, n)), 100), "bias": "1/7"},
            "loss": {"target": 3}}


def torch_rows(spec: ConvSpec, d, arrays, reps: int, tag: str, quiet: dict[str, float] | None = None
               ) -> dict[str, float]:
    """The identity test and conv + evaluate (float64, float32) against PyTorch; with ``quiet`` (the times
    of a quiet run), each symconv time as a ratio to its quiet self too."""
    x64, h64, g64 = arrays
    N, C, H = x64.shape[0], x64.shape[1], x64.shape[2]
    times: dict[str, float] = {}

    def report(key: str, label: str, ours: float, base: float, ratio: float, goal: str) -> None:
        times[key] = ours
        row(label + tag, ours, base, goal, ratio=ratio)
        if quiet and key in quiet:
            print(f"{'   its time without the busy process, ratio':<66} {quiet[key]:9.3f} s {'':>11} {ours / quiet[key]:9.2f}x",
                  flush=True)
    tx = torch.tensor(x64, requires_grad=True)
    th = torch.tensor(h64, requires_grad=True)
    tg = torch.tensor(g64)

    def torch_autograd():
        tx.grad = th.grad = None
        (torch.nn.functional.conv2d(tx, th, padding=1) * tg).sum().backward()
    torch_autograd()
    ours, base, ratio = paired(
        lambda: verify(spec, (H, H), batch=N, method="identity", derivation=d, trials=1), torch_autograd, reps)
    report("identity", f"identity test, 1 trial, N={N} C={C} {H}x{H} K=3 P=1 vs torch f64 autograd", ours, base,
           ratio, "<= 1.2x")
    for dtype, tdtype in ((np.float64, torch.float64), (np.float32, torch.float32)):
        x, h, g = (a.astype(dtype) for a in (x64, h64, g64))
        ax, ah, ag = (torch.tensor(a, dtype=tdtype) for a in (x64, h64, g64))

        def ours_fn():
            conv(x, h, spec)
            d.evaluate(x, h, g)

        def torch_fn():
            torch.nn.functional.conv2d(ax, ah, padding=1)
            torch.nn.grad.conv2d_input(ax.shape, ah, ag, padding=1)
            torch.nn.grad.conv2d_weight(ax, ah.shape, ag, padding=1)
        torch_fn()
        ours, base, ratio = paired(ours_fn, torch_fn, reps)
        name = np.dtype(dtype).name
        report(name, f"conv + evaluate vs torch conv2d + nn.grad ({name})", ours, base, ratio,
               "<= 1.0x" if dtype == np.float64 else "<= 1.2x")
    return times


def sweeps(quick: bool) -> None:
    """The concrete sweep (exact proofs over a grid, 2 workers) and the all-sizes sweep (2 workers), quiet
    and with a busy core, the contended time as a ratio to the quiet one (the same work in the same run)."""
    from symconv.proof.presburger import sweep as all_sizes
    from symconv.proof.sweep import grid, sweep as concrete
    cases = list(grid(ndims=(1,), kernels=(1, 2) if quick else (1, 2, 3, 4, 5)))
    ndims = (1,) if quick else (1, 2)

    def run_concrete() -> float:
        start = time.perf_counter()
        assert all(o.ok for o in concrete(cases, jobs=2))
        return time.perf_counter() - start

    def run_all_sizes() -> float:
        start = time.perf_counter()
        assert all_sizes(ndims=ndims, jobs=2).ok
        return time.perf_counter() - start
    from symconv.derivation.forms import derive_general
    for grouped in (False, True):           # what concrete() makes once before its workers fork
        for bias in (False, True):
            derive_general(1, grouped, bias)
    for label, fn in ((f"concrete sweep, ndim 1, {len(cases)} configurations, 2 jobs", run_concrete),
                      (f"all-sizes sweep, ndim {'+'.join(map(str, ndims))}, 2 jobs", run_all_sizes)):
        section(label)
        quiet = fn()
        with busy():
            contended = fn()
        row(f"{label}: busy core vs quiet", contended, quiet, "(report)")
    every_operator(ndims)


def every_operator(ndims: tuple[int, ...]) -> None:
    """Issue 22: the all-sizes sweep over every operator (`verify --sweep --all-sizes`), as a ratio to the
    convolution-only sweep in the same run; the goal is the whole sweep (ndim 1-3) within 120 s on 2 cores."""
    from symconv.proof.presburger_fold import ALL_OPS as OPS, sweep as all_sizes
    section(f"all-sizes sweep, every operator ({', '.join(OPS)}), ndim {'+'.join(map(str, ndims))}, 2 jobs")
    start = time.perf_counter()
    assert all_sizes(ndims=ndims, jobs=2).ok
    conv_only = time.perf_counter() - start
    from symconv.proof.presburger_pool import pool_families, sweep as pool_sizes
    start = time.perf_counter()
    assert all_sizes(ndims=ndims, jobs=2, ops_=OPS).ok
    pooled = time.perf_counter()
    assert pool_sizes(ndims=ndims, jobs=2).ok       # average pooling's families (verify runs them too)
    every = time.perf_counter() - start
    row("all-sizes sweep, every operator vs the convolution's alone", every, conv_only, "<= 2.5x")
    row(f"all-sizes sweep, avg_pool's {len(pool_families(ndims))} families vs the convolution's alone",
        every - (pooled - start), conv_only, "<= 20 s")


# Problem 1 as students write it (issue 19): ∂L/∂x in index notation, one formula and a derivation of 5 lines.
_INDEX_FORMULA = (r"\frac{\partial L}{\partial x_{c,i,j}} = \sum_{o=1}^{C_{out}}\sum_{m=1}^{3}\sum_{n=1}^{3} "
                  r"\frac{\partial L}{\partial y_{o,i-m+2,j-n+2}} h_{o,c,m,n}")
_DERIVATION = (r"\begin{aligned} \frac{\partial L}{\partial x_{c,i,j}} &= " + r" \\ &= ".join([
    r"\sum_{o,p,q} \frac{\partial L}{\partial y_{o,p,q}} \frac{\partial y_{o,p,q}}{\partial x_{c,i,j}}",
    r"\sum_{o,p,q} \frac{\partial L}{\partial y_{o,p,q}} h_{o,c,i-p+1,j-q+1}",
    r"\sum_{o}\sum_{m,n} \frac{\partial L}{\partial y_{o,i-m+1,j-n+1}} h_{o,c,m,n}",
    r"\sum_{o}\sum_{m=0}^{2}\sum_{n=0}^{2} \frac{\partial L}{\partial y_{o,i+m-1,j+n-1}} h_{o,c,2-m,2-n}",
    r"\sum_{o}\sum_{a=-1}^{1}\sum_{b=-1}^{1} \frac{\partial L}{\partial y_{o,i+a,j+b}} h_{o,c,1-a,1-b}"])
    + r" \end{aligned}")


def index_rows(reps: int) -> None:
    """Grading one index-notation formula, one 5-line derivation and one wrong formula (refuted, its mistake
    named), in this process, each as a ratio to ``python -c "import sympy"`` in the same run (the cold-start
    rows' baseline: the machine's speed at Python and SymPy); the goal is the grader's 2 s per answer."""
    from symconv.cli import _packaged_homework
    from symconv.grading.formulas import grade_formula
    from symconv.grading.grade import Grade
    from symconv.homework.inputs import load
    from symconv.homework.solution import solve
    sol = solve(load(_packaged_homework()))
    wrong = _INDEX_FORMULA.replace("i-m+2", "i-m+1")
    for label, text, verdict in (("index formula", _INDEX_FORMULA, "correct"),
                                 ("5-line derivation", _DERIVATION, "correct"),
                                 ("wrong index formula, mistake named", wrong, "wrong")):
        assert grade_formula("dL_dx_formula", text, sol, Grade).verdict == verdict, label
        ours, base, ratio = paired(lambda text=text: grade_formula("dL_dx_formula", text, sol, Grade),
                                   lambda: run([sys.executable, "-c", "import sympy"]), max(reps, 3))
        row(f"grade one {label} vs import sympy", ours, base, "<= 2 s per answer", ratio=ratio)


def cold_start(reps: int) -> None:
    """A fresh process each time, against `python -c "import sympy"` timed in turn with it; the derivation
    cache warm (a first run fills it) and cold. Both sides run with their bytecode cached (in a folder of
    this run's, PYTHONPYCACHEPREFIX), as an installed package has it: with PYTHONDONTWRITEBYTECODE set, as
    it is in some shells, symconv's modules would be compiled from source on every start (~70 ms) while
    SymPy's come compiled from its installation."""
    py = sys.executable
    out = tempfile.mkdtemp(prefix="symconv-bench-")
    with tempfile.TemporaryDirectory() as cache, tempfile.TemporaryDirectory() as pyc:
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env.update(XDG_CACHE_HOME=cache, PYTHONPYCACHEPREFIX=pyc)

        def sympy_import() -> None:
            run([py, "-c", "import sympy"], env)
        sympy_import()                                       # compiles SymPy into the prefix
        section("cold start")
        run([py, "-c", "import symconv"], env)
        ours, base, _ = paired(lambda: run([py, "-c", "import symconv"], env), sympy_import, max(reps, 3))
        row('python -c "import symconv" vs python -c "import sympy"', ours, base, "(report)")
        for cmd in (["homework"], ["derive"]):
            full = [py, "-m", "symconv", *cmd, "--no-pdf", "--out", out]
            run(full, env)                                  # fills the cache (and compiles symconv)
            warm, imp, ratio = paired(lambda: run(full, env), sympy_import, max(reps, 9))
            row(f"symconv {cmd[0]} --no-pdf (cache warm) vs import sympy", warm, imp, "<= 1.5x", ratio=ratio)
            cold, imp, ratio = paired(lambda: run(full, dict(env, SYMCONV_CACHE="0")), sympy_import, reps)
            row(f"symconv {cmd[0]} --no-pdf (SYMCONV_CACHE=0) vs import sympy", cold, imp, "(report)",
                ratio=ratio)
        print(f"load average after the cold start {os.getloadavg()[0]:.1f}", flush=True)


def naive_rows(quick: bool, reps: int) -> None:
    """The exact proof against the naive SymPy procedure."""
    for cin, cout, H, K, P in ([(2, 2, 4, 3, 1)] if quick else [(2, 2, 4, 3, 1), (3, 3, 8, 3, 1)]):
        spec = ConvSpec(cin, cout, K, padding=P)
        derive(spec, prove=False)
        ours = median_time(lambda: verify(spec, (H, H)), max(reps, 3))
        base = median_time(lambda: naive_proof(spec, (H, H)), 1 if H > 4 else reps)
        row(f"exact proof vs naive SymPy diff (C={cin},{cout} {H}x{H} K={K} P={P})", ours, base,
            ">= 1000x faster at 3,3 8x8", faster=True)


def contention_rows(quick: bool, reps: int) -> None:
    """The identity test and evaluate against PyTorch: quiet, then with a busy process holding a core."""
    N, C, H = (2, 32, 28) if quick else (8, 64, 56)
    spec = ConvSpec(C, C, 3, padding=1)
    d = derive(spec, prove=False)
    rng = np.random.default_rng(0)
    x64, h64, g64 = (rng.standard_normal(s) for s in ((N, C, H, H), (C, C, 3, 3), (N, C, H, H)))
    quiet: dict[str, float] = {}
    if torch is not None:
        torch.set_num_threads(os.cpu_count() or 1)
        section("without a busy process of the benchmark's")
        quiet = torch_rows(spec, d, (x64, h64, g64), reps, "")
        with busy():
            section("contended: one busy process holds a core")
            torch_rows(spec, d, (x64, h64, g64), reps, " [busy]", quiet)
    else:
        print("PyTorch is not installed: the PyTorch baselines are skipped")


def homework_rows(quick: bool) -> None:
    # The homework's exact work at four input sizes (2 channels, 3x3 kernel, 2 output channels, 10 classes;
    # every number a fraction): solve() with its float64 and finite-difference checks, and the --json output.
    from symconv.cli import solution_json
    from symconv.homework import solve
    from symconv.inputs import parse
    for size in ((8, 16) if quick else (8, 16, 24, 32)):
        hw = parse(layer_homework(size), "bench")
        if size == 8:
            solve(hw)                                       # SymPy's first use, the rules' lambdify
        start = time.perf_counter()
        solution = solve(hw)
        solved = time.perf_counter() - start
        start = time.perf_counter()
        solution_json(solution)
        entries = solution.exact["relu1"].size
        print(f"homework exact, input 2x{size}x{size}: relu1 {entries:,} entries, fc weights {10 * entries:,}: "
              f"solve {solved:.2f} s ({solved / entries * 1e3:.2f} ms per entry), --json "
              f"{time.perf_counter() - start:.2f} s   goal 2x32x32 <= 10 s, ~linear in entries", flush=True)


def all_sizes_rows(quick: bool, reps: int) -> None:
    # Proofs for every size: a repeated derive() (cached proof) against one exact proof at a small size, and
    # the all-sizes sweep against the concrete sweep's grid at ndim 1 (both in this process, same run).
    from symconv.derivation.forms import derive_forms
    from symconv.proof.exact import exact, small_input_size
    from symconv.proof.presburger import sweep as all_sizes
    spec = ConvSpec(4, 6, 3, stride=2, padding=1, groups=2, bias=True)
    derive(spec)
    repeated = median_time(lambda: derive(spec), 20)
    one_exact = median_time(lambda: exact(derive_forms(spec), small_input_size(spec, 3)), max(reps, 3))
    row("repeated derive() (proof for every size, cached) vs one exact proof", repeated, one_exact,
        "<= 10 ms", faster=True)
    for nd in ((1,) if quick else (1, 2, 3)):
        swept = all_sizes(ndims=(nd,), jobs=2)
        print(f"--sweep --all-sizes ndim {nd}: {len(swept.proofs)} families proved={swept.ok} in "
              f"{swept.seconds:.1f} s wall ({swept.cpu_seconds:.1f} s CPU)   goal: all of ndim 1-3 <= 60 s",
              flush=True)


def scaling_rows(quick: bool) -> None:
    # The exact proof's scaling: time, monomials, peak memory (each size in a fresh process).
    py = sys.executable
    sizes = [(2, 16, 16), (8, 16, 32)] + ([] if quick else [(8, 64, 56)])
    for n, c, hh in sizes:
        res = subprocess.run([py, "-c", EXACT, str(n), str(c), str(hh)], check=True, capture_output=True, text=True)
        ok, checked, seconds, cpu, peak = res.stdout.split()
        print(f"exact proof N={n} C={c} {hh}x{hh} K=3 P=1: {int(checked):,} monomials, ok={ok}, "
              f"{float(seconds):.1f} s wall, {float(cpu):.1f} s CPU ({float(seconds) / int(checked) * 1e9:.0f} "
              f"ns per monomial), peak RSS {int(peak) / 2**30:.2f} GiB   goal at ResNet size <= 120 s in <= 2 GiB",
              flush=True)


SECTIONS = ("proof", "torch", "sweeps", "cold", "homework", "allsizes", "scaling", "index", "class")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--only", default=",".join(SECTIONS), metavar="LIST",
                    help=f"comma-separated sections to run (default all: {','.join(SECTIONS)})")
    ap.add_argument("--class-size", type=int, default=None, help="students in the class row (default 500; "
                                                                  "20 with --quick)")
    args = ap.parse_args()
    only = set(args.only.split(","))
    if not only <= set(SECTIONS):
        ap.error(f"--only: unknown section {sorted(only - set(SECTIONS))[0]!r} "
                 f"(sections: {', '.join(SECTIONS)})")
    reps = 1 if args.quick else 5
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python "
          f"{platform.python_version()}, NumPy {np.__version__}"
          + (f", PyTorch {torch.__version__} ({torch.get_num_threads()} threads)" if torch else "")
          + f"; load average at start {os.getloadavg()[0]:.1f}")
    print(f"{'measurement':<66} {'symconv':>11} {'baseline':>11}")

    if "proof" in only:
        naive_rows(args.quick, reps)
    if "torch" in only:
        contention_rows(args.quick, reps)
    if "sweeps" in only:
        sweeps(args.quick)
    if "cold" in only:
        cold_start(reps)
    if "homework" in only:
        homework_rows(args.quick)
    if "index" in only:
        index_rows(reps)
    if "class" in only:
        class_rows(args.class_size or (20 if args.quick else 500), args.class_size)
    if "allsizes" in only:
        all_sizes_rows(args.quick, reps)
    if "scaling" in only:
        scaling_rows(args.quick)
    print(f"load average at the end {os.getloadavg()[0]:.1f}")


RANGES = """
[variants]
x = { low = -3, high = 3 }
h = { values = [-1, 0, 1] }
W = { low = -5, high = 5, denominator = 10 }
"""


def _answer_sheet(key: dict, sid: str) -> str:
    """A right answer sheet from a student's key, floats as a notebook prints them (issue 21's class)."""
    def num(v: float) -> str:
        return "0" if v == 0 else repr(float(v))

    def tex(a) -> str:
        a = np.array(a, dtype=float)
        if a.ndim == 0:
            return num(float(a))
        if a.ndim == 1:
            return "(" + ", ".join(num(v) for v in a) + ")^T"
        mats = a.reshape((-1,) + a.shape[-2:])
        return ", ".join(r"\begin{bmatrix}" + r" \\ ".join(" & ".join(num(v) for v in r) for r in m)
                         + r"\end{bmatrix}" for m in mats)
    body = [f"\\begin{{equation}}\\label{{ans:{p}}} {tex(v['float'])} \\end{{equation}}"
            for p, v in key["parts"].items()]
    return "\n".join([f'% student = "{sid}"'] + body) + "\n"


def class_rows(n: int, asked: int | None) -> None:
    """Issue 21: a class of ``n`` students' variants generated (symconv variants --no-pdf) and their sheets
    graded (symconv check --variants --jobs 2), each a fresh process, against one student's (the same two
    commands for a class of 1). The sheets are written from the keys between the two (not timed). One
    problem sheet's PDF is timed too: a class's PDFs take about n times that, over the cores."""
    import json
    from symconv.homework.inputs import packaged
    py = sys.executable
    section(f"a class of {n} (issue 21)")
    times = {}
    for size in (1, n):
        with tempfile.TemporaryDirectory() as tmp:
            hw = os.path.join(tmp, "hw.toml")
            with open(hw, "w", encoding="utf-8") as f:
                f.write(packaged().read_text(encoding="utf-8") + RANGES)
            cls, sheets = os.path.join(tmp, "class"), os.path.join(tmp, "answers")
            os.mkdir(sheets)
            import resource
            cpu0 = resource.getrusage(resource.RUSAGE_CHILDREN)
            start = time.perf_counter()
            run([py, "-m", "symconv", "variants", hw, "--students", str(size), "--seed", "7", "--out", cls,
                 "--no-pdf"])
            made = time.perf_counter() - start
            summary = json.load(open(os.path.join(cls, "variants.json"), encoding="utf-8"))
            for s in summary["students"]:
                key = json.load(open(os.path.join(cls, s["key"]), encoding="utf-8"))
                with open(os.path.join(sheets, f"{s['id']}.tex"), "w", encoding="utf-8") as f:
                    f.write(_answer_sheet(key, s["id"]))
            start = time.perf_counter()
            subprocess.run([py, "-m", "symconv", "check", sheets, "--variants", cls, "--jobs", "2", "--out",
                            os.path.join(tmp, "graded"), "--no-pdf", "--gradebook", "canvas"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            graded = time.perf_counter() - start
            cpu1 = resource.getrusage(resource.RUSAGE_CHILDREN)   # the commands and every worker they waited for
            times[size] = (made, graded)
            times[f"cpu{size}"] = (cpu1.ru_utime + cpu1.ru_stime) - (cpu0.ru_utime + cpu0.ru_stime)
            if size == 1:
                pdf_start = time.perf_counter()
                from symconv.report.pdf import compile_pdf
                compile_pdf(__import__("pathlib").Path(cls) / "sheets" / "problems_s001.tex")
                times["pdf"] = time.perf_counter() - pdf_start
    one, many = sum(times[1]), sum(times[n])
    row(f"class of {n}: variants --no-pdf + check --variants --jobs 2 vs a class of 1", many, one,
        "<= 600 s on 2 cores", ratio=many / one)
    print(f"   generate {times[n][0]:.1f} s, grade {times[n][1]:.1f} s, {times[f'cpu{n}']:.0f} s of CPU in all (the "
          f"wall time on 2 free cores is about half the grading's CPU plus the generating); one problem sheet's "
          f"PDF {times['pdf']:.1f} s "
          f"(so {n} PDFs about {n * times['pdf'] / 2:.0f} s more on 2 cores)", flush=True)


if __name__ == "__main__":
    main()
