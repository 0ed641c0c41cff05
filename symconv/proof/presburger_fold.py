"""``unfold`` and ``fold`` proved for every size by the isl prover (:mod:`.presburger`), in their own space.

Per axis: the kernel size K, the padding P (both sides, as PyTorch pads), the image size H and the block
count H^o, which the context defines as PyTorch computes it: S(H^o − 1) ≤ H + 2P − D(K − 1) − 1 < S·H^o,
at a stride S and dilation D per axis (numbers); N and C are parameters. The columns are indexed by their
unflattened view (n, c, a..., i...) — see :mod:`symconv.derivation.unfold` for why — so every relation is
affine. A configuration fixes K and P (every N, C and image size H is proved); the general forms leave them
parameters (every K and P at each stride and dilation).

A refutation is witnessed, as every refutation of the prover is: the formula evaluated by its operators and
∂L/∂x taken from the definition by plain loops (:func:`unfold_loop`, :func:`fold_loop`, written apart from
the operators), on the same random integers at the counterexample's sizes, must differ.

>>> p = prove("unfold", 1, (2,), (1,))
>>> p.ok, p.statement
(True, 'for every N, C, H, K, P (a non-empty output) at stride 2, dilation 1')
"""

from __future__ import annotations

import functools
import itertools
import time
from typing import Any, Mapping

import numpy as np
import sympy as sp

from ..derivation import ops
from ..derivation.affine import IndexSpace
from ..derivation.index import Symbols, Term, from_sympy
from ..derivation.unfold import block_index, definition, derive_general, tensors
from ..errors import SymconvError
from . import presburger
from .presburger import Proof, _axis_name, _Structure, isl
from .witness import differs

OPS = ("unfold", "fold")
ALL_OPS = presburger.OPS + OPS         # every operator the all-sizes sweep proves
MAX_ENTRIES = 2_000_000          # entries a witness evaluates at once; beyond them: not checked


# ------------------------------------------------------------------------------------------- the space

@functools.lru_cache(maxsize=None)
def _space(op: str, ndim: int, stride: tuple[int, ...], dilation: tuple[int, ...],
           fixed: tuple[tuple[int, ...], tuple[int, ...]] | None) -> tuple[IndexSpace, Symbols, Any]:
    """The space at one stride and dilation; ``fixed`` = (kernel size, padding) per axis, or None."""
    sym = Symbols(ndim, False)
    names: dict[sp.Symbol, str] = {sym.N: "N", sym.C: "C"}
    values: dict[sp.Symbol, int] = {sym.G: 1, sym.O: 1}
    params, context = ["N", "C"], ["N >= 1", "C >= 1"]
    axis = {b: [_axis_name(b, ndim, k) for k in range(ndim)] for b in ("K", "P", "H", "Ho")}
    if fixed is None:
        params += axis["K"] + axis["P"]
    params += axis["H"] + axis["Ho"]
    for k in range(ndim):
        K, P, H, Ho = (axis[b][k] for b in ("K", "P", "H", "Ho"))
        s, d = stride[k], dilation[k]
        values.update({sym.S[k]: s, sym.D[k]: d})
        names.update({sym.H[k]: H, sym.Ho[k]: Ho})
        if fixed is None:
            names.update({sym.K[k]: K, sym.P[k]: P})
        else:
            values.update({sym.K[k]: fixed[0][k], sym.P[k]: fixed[1][k]})
            K, P = str(fixed[0][k]), str(fixed[1][k])
        span = f"{H} + 2*{P} - {d}*({K} - 1) - 1"
        context += [f"{K} >= 1", f"{P} >= 0", f"{H} >= 1", f"{span} >= 0", f"{Ho} >= 1",
                    f"{s}*({Ho} - 1) <= {span} < {s}*{Ho}"]
    image, columns = (sym.N, 1, sym.C) + sym.H, (sym.N, 1, sym.C) + sym.K + sym.Ho
    shapes = {"x": image, "g": columns} if op == "unfold" else {"x": columns, "g": image}
    space = IndexSpace(ndim, tuple(params), names, values, shapes, 1, " and ".join(context))
    return space, sym, space.set(f": {space.context}")


@functools.lru_cache(maxsize=None)
def derivative_term(op: str, ndim: int) -> tuple[Term, tuple[sp.Symbol, ...]]:
    """∂L/∂x[free] as SymPy differentiates the definition (x the image for unfold, the columns for fold)."""
    sym = Symbols(ndim, False)
    _, L, _ = definition(sym, op)
    free = (sym.n_, sym.c_) + (sym.u_ if op == "unfold" else sym.a_ + block_index(sym, True))
    return from_sympy(L.diff(sp.IndexedBase("x")[free])), free


def general_form(op: str, ndim: int, stride: tuple[int, ...], dilation: tuple[int, ...]) -> ops.Expr:
    """The engine's general ∂L/∂x with the stride and dilation put in."""
    sym = Symbols(ndim, False)
    return derive_general(op, ndim).closed["grad_input"].map_sizes(
        {**dict(zip(sym.S, stride)), **dict(zip(sym.D, dilation))})


def statement(ndim: int, stride: tuple[int, ...], dilation: tuple[int, ...],
              fixed: tuple[tuple[int, ...], tuple[int, ...]] | None) -> str:
    axes = ("H",) if ndim == 1 else ("H", "W") if ndim == 2 else ("H_1", "H_2", "H_3")
    one = lambda v: str(v[0]) if len(set(v)) == 1 else "(" + ", ".join(map(str, v)) + ")"  # noqa: E731
    at = f"stride {one(stride)}, dilation {one(dilation)}"
    if fixed is None:
        return f"for every N, C, {', '.join(axes)}, K, P (a non-empty output) at {at}"
    least = [max(1, d * (k - 1) + 1 - 2 * p) for k, p, d in zip(*fixed, dilation)]
    shown = ", ".join(f"{a} ≥ {m}" if m > 1 else a for a, m in zip(axes, least))
    return f"for every N, C and every {shown} at K = {one(fixed[0])}, P = {one(fixed[1])}, {at}"


def prove(op: str, ndim: int, stride: tuple[int, ...], dilation: tuple[int, ...],
          forms: Mapping[str, Any] | None = None,
          fixed: tuple[tuple[int, ...], tuple[int, ...]] | None = None) -> Proof:
    """∂L/∂x of unfold or fold proved, or refuted with the smallest counterexample (witnessed by evaluating
    both sides there), for every size at this stride and dilation: by default the engine's general form."""
    if op not in OPS:
        raise SymconvError(f"op must be one of {', '.join(OPS)}, got {op!r}")
    start = time.perf_counter()
    stride, dilation = tuple(stride), tuple(dilation)
    space, sym, context = _space(op, ndim, stride, dilation, fixed)
    term, free = derivative_term(op, ndim)
    rel = presburger._definition_map(space, sym, term, free, "x", tensors(sym, op)).intersect_params(context)
    known = {"G": 1, "O": 1}
    if fixed is not None:
        known.update({_axis_name(b, ndim, k): v[k] for b, v in zip("KP", fixed) for k in range(ndim)})
    st = _Structure(space, sym, context, rel, known, False, op)
    form = (forms or {}).get("grad_input") or general_form(op, ndim, stride, dilation)
    result = presburger.grad_input_result(st, form, witnessed)
    return Proof(ndim, False, False, stride, dilation, (result,), time.perf_counter() - start,
                 statement(ndim, stride, dilation, fixed), op=op)


# ------------------------------------------------------------------------------------- counterexamples

def unfold_loop(x: np.ndarray, kernel: tuple[int, ...], stride: tuple[int, ...], dilation: tuple[int, ...],
                padding: tuple[int, ...]) -> np.ndarray:
    """The definition by plain loops: y[n, c, a, i] = x[n, c, S·i + D·a − P], zero outside x."""
    size = x.shape[2:]
    blocks = tuple((n + 2 * p - dl * (k - 1) - 1) // s + 1
                   for n, k, s, dl, p in zip(size, kernel, stride, dilation, padding))
    y = np.zeros(x.shape[:2] + tuple(kernel) + blocks, dtype=x.dtype)
    for n, c in itertools.product(range(x.shape[0]), range(x.shape[1])):
        for a in itertools.product(*map(range, kernel)):
            for i in itertools.product(*map(range, blocks)):
                j = tuple(s * ii + dl * aa - p for s, ii, dl, aa, p in zip(stride, i, dilation, a, padding))
                if all(0 <= jj < nn for jj, nn in zip(j, size)):
                    y[(n, c) + a + i] = x[(n, c) + j]
    return y


def fold_loop(y: np.ndarray, size: tuple[int, ...], stride: tuple[int, ...], dilation: tuple[int, ...],
              padding: tuple[int, ...]) -> np.ndarray:
    """The definition by plain loops: out[n, c, j] = Σ y[n, c, a, i] over S·i + D·a − P = j."""
    kernel, blocks = y.shape[2:2 + len(size)], y.shape[2 + len(size):]
    out = np.zeros(y.shape[:2] + tuple(size), dtype=y.dtype)
    for n, c in itertools.product(range(y.shape[0]), range(y.shape[1])):
        for a in itertools.product(*map(range, kernel)):
            for i in itertools.product(*map(range, blocks)):
                j = tuple(s * ii + dl * aa - p for s, ii, dl, aa, p in zip(stride, i, dilation, a, padding))
                if all(0 <= jj < nn for jj, nn in zip(j, size)):
                    out[(n, c) + j] += y[(n, c) + a + i]
    return out


def witnessed(cx: Any, parts: tuple[ops.Expr, ...], seed: int = 18) -> tuple[bool, str]:
    """Whether the counterexample holds: the formula against ∂L/∂x of the definition by loops (the adjoint of
    a linear map is read off L = Σ g·y(e_u) for each unit array e_u), exactly on random integers."""
    sym = Symbols(cx.ndim, False)
    size, kernel, pads = cx.input_size, cx.kernel_size, tuple(cx._axis("P"))
    blocks = tuple(cx._axis("Ho"))
    sizes = {sym.N: cx.batch, sym.C: cx.sizes["C"], sym.G: 1, sym.O: 1}
    for k in range(cx.ndim):
        sizes.update({sym.H[k]: size[k], sym.K[k]: kernel[k], sym.P[k]: pads[k], sym.S[k]: cx.stride[k],
                      sym.D[k]: cx.dilation[k], sym.Ho[k]: blocks[k]})
    image = (cx.batch, cx.sizes["C"]) + size
    columns = (cx.batch, cx.sizes["C"]) + kernel + blocks
    x_shape, g_shape = (image, columns) if cx.op == "unfold" else (columns, image)
    if int(np.prod(x_shape)) * int(np.prod(g_shape)) > MAX_ENTRIES:
        return False, "too large to evaluate"
    try:            # the formula's own arrays, counted from the shapes before any is made
        most = ops.largest(functools.reduce(ops.AddBias, parts), {"x": x_shape, "g": g_shape}, sizes)
    except (ValueError, TypeError, ZeroDivisionError, SymconvError):
        most = 0                                # evaluating refuses it first, and says why
    if most > MAX_ENTRIES:
        return False, f"the formula builds an array of {most:,} entries there (bound {MAX_ENTRIES:,})"
    rng = np.random.default_rng(seed)
    x, g = rng.integers(-50, 51, x_shape).astype(object), rng.integers(-50, 51, g_shape).astype(object)
    want = np.zeros(x.shape, dtype=object)
    flat = want.reshape(-1)
    for k in range(x.size):
        unit = np.zeros(x.size, dtype=object)
        unit[k] = 1
        unit = unit.reshape(x.shape)
        y = unfold_loop(unit, kernel, cx.stride, cx.dilation, pads) if cx.op == "unfold" else \
            fold_loop(unit, size, cx.stride, cx.dilation, pads)
        flat[k] = (g * y).sum()
    return differs(parts, x, g, sizes, want)


# ------------------------------------------------------------------------------------------------ sweep

def families(ndims: tuple[int, ...] = (1, 2, 3)) -> list[tuple[Any, ...]]:
    """The representative set the all-sizes sweep proves, (ndim, stride, dilation, op), for both operators
    and every K, P, H, N, C: 1-D and 2-D (PyTorch's own rank) at every per-axis stride and dilation 1-3;
    3-D at strides and dilations (1, 1, 1), (2, 2, 2), (3, 3, 3), (1, 2, 3) and (3, 2, 1), each with each
    (all 729 per-axis pairs would cost about 20 s of the sweep's budget and exercise no other index)."""
    out = []
    for ndim in ndims:
        if ndim < 3:
            per = list(itertools.product((1, 2, 3), repeat=ndim))
        else:
            per = [(1, 1, 1), (2, 2, 2), (3, 3, 3), (1, 2, 3), (3, 2, 1)]
        out += [(ndim, s, d, op) for op in OPS for s in per for d in per]
    return out


def prove_family(family: tuple[Any, ...], mutant: str | None = None) -> Proof:
    ndim, stride, dilation, op = family
    forms = None
    if mutant:
        from .mutants import mutate
        forms = {"grad_input": mutate(general_form(op, ndim, stride, dilation), mutant)}
    return prove(op, ndim, stride, dilation, forms)


def sweep(ndims: tuple[int, ...] = (1, 2, 3), values: tuple[int, ...] = (1, 2, 3), jobs: int = 1,
          mutant: str | None = None, ops_: tuple[str, ...] = ("conv",)) -> presburger.Sweep:
    """:func:`symconv.proof.presburger.sweep` with unfold and fold among the operators it can prove."""
    more = {op: (prove_family, families) for op in OPS}
    return presburger.sweep(ndims, values, jobs, mutant, ops_, more)


__all__ = ["ALL_OPS", "OPS", "families", "prove", "prove_family", "statement", "sweep", "unfold_loop",
           "fold_loop", "witnessed", "isl"]


# ------------------------------------------------------------------------------- a configuration, a claim

def fixed_of(spec: Any) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """(kernel size, padding) per axis of an UnfoldSpec or FoldSpec: what a configuration's proof fixes."""
    return tuple(spec.kernel_size), tuple(spec.padding)


def derive_fold(spec: Any, prove_it: bool = True) -> Any:
    """∂L/∂x of unfold or fold (:func:`symconv.derivation.unfold.derive_fold_forms`), proved for every N, C
    and image size at the spec's kernel, stride, padding and dilation, and its general form for every K and
    P at that stride and dilation.

    >>> from symconv.derivation.spec_fold import UnfoldSpec
    >>> d = derive_fold(UnfoldSpec(2, kernel_size=3, padding=1, stride=2))
    >>> print(d.grad_input, "|", d.proof.statement)
    fold(g, (H_1, H_2), 3, stride=2, padding=1) | for every N, C and every H, W at K = 3, P = 1, stride 2, dilation 1
    """
    from dataclasses import replace
    from ..derivation.unfold import derive_fold_forms
    found = derive_fold_forms(spec)
    if not prove_it:
        return found
    stride, dilation = tuple(spec.stride), tuple(spec.dilation)
    proof = prove(spec.op, spec.ndim, stride, dilation, found.closed_forms, fixed_of(spec))
    general = prove(spec.op, spec.ndim, stride, dilation)
    for p in (proof, general):
        if not p.ok:
            raise SymconvError(f"the closed form of {spec.describe()} failed its proof for every size: "
                               f"{p.counterexample or p.results[0].detail}")
    return replace(found, proof=proof, general_proof=general)
