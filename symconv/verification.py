"""``verify(spec, input_size)``: prove or test the closed forms at any size.

Methods:

- ``"exact"``: every entry of ∂L/∂x, ∂L/∂h, ∂L/∂b proved identical, as a polynomial in the entries of x, h,
  g, to the derivative of the definition. L is trilinear, so a derivative is a set of monomials: the
  definition's are enumerated from its index expression, the closed form's from its operators evaluated on
  entry *numbers* (pad, dilate, rot180 and swap_io only move entries, so each result entry names its source)
  and the correlation's windows. The two sorted monomial lists must be equal. Work is done in chunks, so
  memory stays bounded.
- ``"identity"``: ⟨g, y⟩ = ⟨∂L/∂x, x⟩ = ⟨∂L/∂h, h⟩ (= ⟨∂L/∂b, b⟩ + ...) on random integers, in float64 where
  every partial sum is an exactly representable integer, repeated; a wrong closed form passes one trial with
  probability at most 3/(2R+1) (Schwartz–Zippel: a nonzero polynomial of degree 3).
- ``"finite-difference"``: float64 central differences, small sizes.
- ``"torch"``: entrywise against PyTorch autograd (PyTorch must be installed).
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import sympy as sp

from . import ops
from .derivation import Derivation, derive, derive_general, sizes_at
from .engine import base_tensors, definition
from .errors import InputError, UnsupportedError
from .index import Term
from .numeric import conv, finite_difference_grads
from .spec import ConvSpec
from .exprs import as_expr

METHODS = ("exact", "identity", "finite-difference", "torch")
CHUNK = 2_000_000        # monomials enumerated at once


@dataclass(frozen=True)
class Verification:
    ok: bool
    method: str
    checked: int
    seconds: float
    detail: str


def verify(spec: ConvSpec, input_size: tuple[int, ...], batch: int = 1, method: str = "exact",
           derivation: Derivation | None = None, trials: int = 3, seed: int = 0) -> Verification:
    """Check the closed forms of ``spec`` at one size by ``method``."""
    if method not in METHODS:
        raise InputError(f"method must be one of {', '.join(METHODS)}, got {method!r}")
    input_size = tuple(input_size)
    spec.output_size(input_size)  # SpecError when the kernel does not fit
    if batch < 1:
        raise InputError(f"batch must be a positive integer, got {batch}")
    check_work(spec, input_size, batch, method)
    d = derivation or derive(spec, prove=False)
    start = time.perf_counter()
    run = {"exact": _exact, "identity": _identity, "finite-difference": _finite_difference,
           "torch": _torch}[method]
    try:
        ok, checked, detail = run(d, input_size, batch, trials=trials, seed=seed)
    except (ValueError, IndexError) as exc:   # a closed form whose shapes do not even fit
        ok, checked, detail = False, 0, f"the closed forms cannot be evaluated at this size: {exc}"
    return Verification(ok, method, checked, time.perf_counter() - start, detail)


# Stated limits (README, "Limits"), checked from the sizes alone, before anything is allocated.
MAX_MONOMIALS = 40_000_000        # exact: about 1.5 GiB at the peak
MAX_ENTRIES = 50_000_000          # identity, torch: entries of x or of y (400 MB each in float64)
MAX_FD_ENTRIES = 20_000           # finite differences: two forward passes per entry of x and h


def check_work(spec: ConvSpec, input_size: tuple[int, ...], batch: int, method: str) -> None:
    """Refuse, from the sizes alone, work over the stated limits: :class:`InputError` naming the estimate."""
    out = spec.output_size(input_size)
    taps = int(np.prod(spec.kernel_size))  # type: ignore[arg-type]
    x = batch * spec.in_channels * int(np.prod(input_size))
    y = batch * spec.out_channels * int(np.prod(out))
    h = spec.out_channels * spec.in_channels // spec.groups * taps
    if method == "exact":
        work, limit, what = y * spec.in_channels // spec.groups * taps, MAX_MONOMIALS, "monomials per gradient"
    elif method == "finite-difference":
        work, limit, what = x + h, MAX_FD_ENTRIES, "entries of x and h (two forward passes each)"
    else:
        work, limit, what = max(x, y), MAX_ENTRIES, "entries in x or y"
    if work > limit:
        raise InputError(f"--method {method}: this size needs {work:,} {what}, over the limit of {limit:,}; "
                         f"choose a smaller --input-size, --batch or channel count")


# ------------------------------------------------------------------------------------------------- exact

def _flat(layout: tuple[str, ...], idx: list[np.ndarray], shape: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """Flat PyTorch-layout positions of Term-layout indices, and the in-range mask (the same mapping as
    :func:`symconv.index._array_index`, vectorised)."""
    ok = np.ones(idx[0].shape, dtype=bool)
    axes: list[np.ndarray] = []
    dims: list[int] = []
    group = None
    for kind, v, n in zip(layout, idx, shape):
        ok &= (v >= 0) & (v < n)
        if kind == "g":
            group = (v, n)
        elif kind == "c" and group is not None:
            axes.append(group[0] * n + v)
            dims.append(group[1] * n)
            group = None
        else:
            axes.append(v)
            dims.append(n)
    flat = np.zeros(idx[0].shape, dtype=np.int64)
    for v, n in zip(axes, dims):
        flat = flat * n + np.where(ok, v, 0)
    return flat, ok


def definition_monomials(term: Term, tensors: dict[str, Any], sizes: dict[sp.Symbol, int]):
    """Yield, chunk by chunk, each factor's flat entry for every monomial of the definition's Term."""
    ranges = [range(int(as_expr(lo).xreplace(sizes)), int(as_expr(hi).xreplace(sizes)) + 1)
              for _, lo, hi in term.limits]
    names = [lim[0] for lim in term.limits]
    exprs = [[as_expr(e).xreplace(sizes) for e in f.index] for f in term.factors]
    fn = sp.lambdify(names, [e for es in exprs for e in es], "numpy")
    shapes = [[int(as_expr(s).xreplace(sizes)) for s in tensors[f.tensor].shape] for f in term.factors]
    # Enumerate the outer variables in Python and the inner ones as a NumPy grid, within CHUNK monomials.
    split = len(ranges)
    while split > 0 and int(np.prod([len(r) for r in ranges[split - 1:]])) <= CHUNK:
        split -= 1
    for outer in itertools.product(*ranges[:split]):
        inner = np.meshgrid(*[np.arange(r.start, r.stop) for r in ranges[split:]], indexing="ij")
        grid = [np.full(inner[0].shape if inner else (), v) for v in outer] + list(inner)
        values = [np.broadcast_to(np.asarray(v, dtype=np.int64), grid[0].shape) for v in fn(*grid)]
        out, pos, keep = [], 0, np.ones(grid[0].shape, dtype=bool)
        for f, shape in zip(term.factors, shapes):
            flat, ok = _flat(tensors[f.tensor].layout, values[pos:pos + len(f.index)], shape)
            pos += len(f.index)
            out.append(flat)
            keep &= ok
        yield [a[keep] for a in out]


def _sorted_keys(cols: tuple[np.ndarray, ...], radix: tuple[int, ...]) -> np.ndarray:
    """Each monomial (a, b, c) as the single int64 a*|B|*|C| + b*|C| + c, sorted: a multiset in one array."""
    key = np.zeros(len(cols[0]), dtype=np.int64)
    for col, n in zip(cols, radix):
        key = key * n + np.asarray(col, dtype=np.int64)
    return np.sort(key)


def _rows(keys: np.ndarray, radix: tuple[int, ...]) -> np.ndarray:
    cols = []
    for n in reversed(radix):
        cols.append(keys % n)
        keys = keys // n
    return np.stack(cols[::-1], axis=1)


_INDEX_MAPS = (ops.Tensor, ops.Pad, ops.Dilate, ops.Rot180, ops.SwapIO)


def _index_map(e: ops.Expr) -> bool:
    if isinstance(e, ops.Tensor):
        return True
    return isinstance(e, _INDEX_MAPS) and _index_map(e.arg)  # type: ignore[attr-defined]


def _exact(d: Derivation, input_size: tuple[int, ...], batch: int, **_: Any) -> tuple[bool, int, str]:
    spec = d.spec
    general = derive_general(spec.ndim, spec.groups > 1, spec.bias)
    sym = general.sym
    sizes = sizes_at(spec, sym, input_size, batch)
    tensors = base_tensors(sym)
    _, _, terms = definition(sym, spec.bias)
    out = spec.output_size(input_size)
    shapes = {"x": (batch, spec.in_channels) + input_size,
              "h": (spec.out_channels, spec.in_channels // spec.groups) + tuple(spec.kernel_size),  # type: ignore
              "g": (batch, spec.out_channels) + out, "b": (spec.out_channels,)}
    ids = {k: np.arange(1, int(np.prod(s)) + 1, dtype=np.int64).reshape(s) for k, s in shapes.items()}
    bind = {h: n for h, n in zip(sym.H, input_size)} | {o: n for o, n in zip(sym.Ho, out)}
    # The definition's monomials g_j x_u h_k (and g_j b_k), by factor name.
    g_x_h = [np.concatenate(c) if c else np.zeros(0, np.int64)
             for c in zip(*definition_monomials(terms[0], tensors, sizes))]
    wanted = {"grad_input": ("x", ("g", "h")), "grad_weight": ("h", ("x", "g")), "grad_bias": ("b", ("g",))}
    cols = {"g": g_x_h[0], "x": g_x_h[1], "h": g_x_h[2]}
    checked = 0
    for name, form in d.closed_forms.items():
        wrt, others = wanted[name]
        radix = tuple(int(np.prod(shapes[t])) for t in (wrt,) + others)
        if name == "grad_bias":
            bias_cols = [np.concatenate(c) for c in zip(*definition_monomials(terms[1], tensors, sizes))]
            expect = _sorted_keys((bias_cols[1], bias_cols[0]), radix)
            if not (isinstance(form, ops.SumAxes) and _index_map(form.arg)):
                raise UnsupportedError(f"exact proof of {name}: {form} is not a sum of an index map")
            *cols_b, shape = form.pairs(ids, bind)
            got = _sorted_keys(tuple(cols_b), radix)
        else:
            expect = _sorted_keys((cols[wrt],) + tuple(cols[o] for o in others), radix)
            if not (isinstance(form, (ops.Correlate, ops.BatchCorrelate)) and _index_map(form.data)
                    and _index_map(form.kernel)):
                raise UnsupportedError(f"exact proof of {name}: {form} is not a correlation of index maps")
            try:
                out_f, data_f, kern_f, shape = form.triples(ids, bind)
            except ValueError as exc:
                return False, checked, f"{name}: the closed form cannot be evaluated at this size: {exc}"
            # The closed form's operands name entries of (data tensor, kernel tensor); put them in the order
            # of `others` (g before h for ∂L/∂x, x before g for ∂L/∂h).
            if _first_tensor(form.data) != others[0]:
                data_f, kern_f = kern_f, data_f
            if shape == shapes[wrt] and (data_f.size == 0 or (data_f.max() < radix[1] and kern_f.max() < radix[2])):
                got = _sorted_keys((out_f, data_f, kern_f), radix)
            else:
                return False, checked, f"{name} has shape {shape}, {wrt} has {shapes[wrt]}"
        if shape != shapes[wrt]:
            return False, checked, f"{name} has shape {shape}, {wrt} has {shapes[wrt]}"
        if got.shape != expect.shape or not np.array_equal(got, expect):
            return False, checked, (f"{name}: "
                                    f"{_difference(_rows(got, radix), _rows(expect, radix), name, wrt, others, shapes)}")
        checked += len(expect)
    return True, checked, (f"{checked} monomials of the gradients equal to the derivative of the definition "
                           f"(input {batch}x{spec.in_channels}x{'x'.join(map(str, input_size))})")


def _first_tensor(e: ops.Expr) -> str:
    while not isinstance(e, ops.Tensor):
        e = e.arg  # type: ignore[attr-defined]
    return e.name


def _difference(got: np.ndarray, expect: np.ndarray, name: str, wrt: str, others: tuple[str, ...],
                shapes: dict[str, tuple[int, ...]]) -> str:
    def fmt(row: np.ndarray) -> str:
        parts = [f"{t}{[int(i) for i in np.unravel_index(int(v), shapes[t])]}" for t, v in zip(others, row[1:])]
        return f"{wrt}{[int(i) for i in np.unravel_index(int(row[0]), shapes[wrt])]} <- {'*'.join(parts)}"
    g = {tuple(r) for r in got.tolist()}
    e = {tuple(r) for r in expect.tolist()}
    extra = sorted(g - e)[:3]
    missing = sorted(e - g)[:3]
    lines = []
    if missing:
        lines.append("missing from the closed form: " + "; ".join(fmt(np.array(r)) for r in missing))
    if extra:
        lines.append("not in the derivative: " + "; ".join(fmt(np.array(r)) for r in extra))
    if not lines:
        lines.append(f"monomial counts differ ({len(got)} against {len(expect)})")
    return f"{len(got)} monomials against {len(expect)}; " + "; ".join(lines)


# ---------------------------------------------------------------------------------------------- identity

def _identity(d: Derivation, input_size: tuple[int, ...], batch: int, trials: int = 3,
              seed: int = 0, **_: Any) -> tuple[bool, int, str]:
    spec = d.spec
    out = spec.output_size(input_size)
    terms = int(np.prod(out)) * spec.out_channels * batch
    window = spec.in_channels // spec.groups * int(np.prod(spec.kernel_size))
    # Every partial sum is at most terms * window * R^3 (plus the bias term); below 2^53 it is exact in
    # float64 and BLAS may be used.
    R = int(((2 ** 53) / (terms * (window + 1))) ** (1 / 3))
    R = max(1, min(R, 1000))
    rng = np.random.default_rng(seed)
    dtype = np.float64
    checked = 0
    for _ in range(trials):
        x = rng.integers(-R, R + 1, (batch, spec.in_channels) + input_size).astype(dtype)
        h = rng.integers(-R, R + 1, (spec.out_channels, spec.in_channels // spec.groups)
                         + tuple(spec.kernel_size)).astype(dtype)  # type: ignore[operator]
        g = rng.integers(-R, R + 1, (batch, spec.out_channels) + out).astype(dtype)
        y = conv(x, h, spec)
        grads = d.evaluate(x, h, g)
        lhs = float(np.vdot(g, y))
        for name, other in (("grad_input", x), ("grad_weight", h)):
            rhs = float(np.vdot(grads[name], other))
            if lhs != rhs:
                return False, checked, (f"<g, conv(x, h)> = {lhs:.0f} but <{name}, "
                                        f"{'x' if name == 'grad_input' else 'h'}> = {rhs:.0f}")
            checked += 1
        if spec.bias:
            b = rng.integers(-R, R + 1, spec.out_channels).astype(dtype)
            lhs_b = float(np.vdot(g.sum(axis=(0,) + tuple(range(2, g.ndim))), b))
            rhs_b = float(np.vdot(grads["grad_bias"], b))
            if lhs_b != rhs_b:
                return False, checked, f"<g, b> = {lhs_b:.0f} but <grad_bias, b> = {rhs_b:.0f}"
            checked += 1
    p = 3 / (2 * R + 1)
    return True, checked, (f"{checked} adjoint identities held exactly on random integers in [-{R}, {R}]; "
                           f"a wrong closed form passes all {trials} trials with probability <= {p ** trials:.1e}")


# ------------------------------------------------------------------------------------- numeric oracles

def _arrays(d: Derivation, input_size: tuple[int, ...], batch: int, seed: int) -> tuple[np.ndarray, ...]:
    spec = d.spec
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((batch, spec.in_channels) + input_size)
    h = rng.standard_normal((spec.out_channels, spec.in_channels // spec.groups)
                            + tuple(spec.kernel_size))  # type: ignore[operator]
    g = rng.standard_normal((batch, spec.out_channels) + spec.output_size(input_size))
    b = rng.standard_normal(spec.out_channels) if spec.bias else None
    return x, h, g, b


def _compare(ours: dict[str, np.ndarray], theirs: dict[str, np.ndarray], tol: float) -> tuple[bool, int, str]:
    checked = 0
    for name, want in theirs.items():
        got = ours[name]
        if got.shape != want.shape:
            return False, checked, f"{name} has shape {got.shape}, expected {want.shape}"
        err = np.abs(got - want)
        if err.size and err.max() > tol * (1 + np.abs(want).max()):
            idx = np.unravel_index(int(err.argmax()), err.shape)
            return False, checked, f"{name}{list(idx)}: closed form {got[idx]:.6g}, oracle {want[idx]:.6g}"
        checked += want.size
    return True, checked, f"{checked} entries within {tol:g} (relative) of the oracle"


def _finite_difference(d: Derivation, input_size: tuple[int, ...], batch: int, seed: int = 0,
                       **_: Any) -> tuple[bool, int, str]:
    x, h, g, b = _arrays(d, input_size, batch, seed)
    return _compare(d.evaluate(x, h, g), finite_difference_grads(d.spec, x, h, g, b), 1e-5)


def _torch(d: Derivation, input_size: tuple[int, ...], batch: int, seed: int = 0,
           **_: Any) -> tuple[bool, int, str]:
    try:
        import torch
    except ImportError:
        raise UnsupportedError("method 'torch' needs PyTorch: pip install torch") from None
    spec = d.spec
    x, h, g, b = _arrays(d, input_size, batch, seed)
    fn = {1: torch.nn.functional.conv1d, 2: torch.nn.functional.conv2d, 3: torch.nn.functional.conv3d}[spec.ndim]
    tx, th = (torch.tensor(v, requires_grad=True) for v in (x, h))
    tb = None if b is None else torch.tensor(b, requires_grad=True)
    y = fn(tx, th, tb, stride=spec.stride, padding=torch_padding(spec), dilation=spec.dilation,
           groups=spec.groups)
    (y * torch.tensor(g)).sum().backward()
    theirs = {"grad_input": tx.grad.numpy(), "grad_weight": th.grad.numpy()}
    if tb is not None:
        theirs["grad_bias"] = tb.grad.numpy()
    return _compare(d.evaluate(x, h, g), theirs, 1e-9)


def torch_padding(spec: ConvSpec) -> Any:
    """The padding as the user asked for it, in PyTorch's own terms (never our resolved widths): an int or a
    tuple, ``'same'`` or ``'valid'``; ``'full'``, which PyTorch lacks, is its definition D(K-1) per axis."""
    if spec.padding == "full":
        return tuple(d * (k - 1) for k, d in zip(spec.kernel_size, spec.dilation))  # type: ignore[arg-type]
    return spec.padding
