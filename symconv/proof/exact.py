"""Exact proofs at one concrete size: the monomials of every gradient, from the definition and from the
closed form, as sorted integer keys.

L is trilinear, so a derivative is a set of monomials: the definition's are enumerated from its index
expression (never from a closed form), the closed form's from its operators evaluated on entry *numbers*
(pad, dilate, rot180 and swap_io only move entries, so each result entry names its source) and the
correlation's windows. The two sorted lists must be equal. The definition side is enumerated in chunks.

>>> from symconv import ConvSpec
>>> from symconv.derivation.forms import derive_forms
>>> d = derive_forms(ConvSpec(2, 2, 3, padding=1))
>>> exact(d, (3, 3), 1)
(True, 392, '392 monomials of the gradients equal to the derivative of the definition (input 1x2x3x3)')
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import sympy as sp

from ..derivation import ops
from ..derivation.engine import base_tensors, definition
from ..derivation.exprs import as_expr
from ..derivation.forms import Derivation, derive_general, sizes_at
from ..derivation.index import Term, join_groups
from ..derivation.spec import ConvSpec
from ..errors import UnsupportedError

CHUNK = 2_000_000        # monomials enumerated at once


def small_input_size(spec: ConvSpec, outputs: int = 3, remainder: int = 0) -> tuple[int, ...]:
    """The smallest spatial size with ``outputs`` output positions per axis, plus ``remainder`` (< stride).

    At least two outputs per axis are needed for a proof to see the stride and the dilation at all.
    """
    sizes = []
    for k, s, d, (lo, hi) in zip(spec.kernel_size, spec.stride, spec.dilation, spec.pads):  # type: ignore
        sizes.append(max(1, s * (outputs - 1) + d * (k - 1) + 1 - lo - hi) + min(remainder, s - 1))
    return tuple(sizes)



def _flat(layout: tuple[str, ...], idx: list[np.ndarray], shape: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """Flat PyTorch-layout positions of Term-layout indices, and the in-range mask (:func:`join_groups`,
    on arrays of indices)."""
    axes, dims, ok = join_groups(layout, idx, shape)
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


def exact(d: Derivation, input_size: tuple[int, ...], batch: int = 1, **_: Any) -> tuple[bool, int, str]:
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
