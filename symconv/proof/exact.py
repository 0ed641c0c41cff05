"""Exact proofs at one concrete size: the monomials of every gradient, from the definition and from the
closed form, as sorted integer keys.

L is trilinear, so a derivative is a set of monomials: the definition's are enumerated from its index
expression (never from a closed form), the closed form's from its operators evaluated on entry *numbers*
(pad, dilate, rot180 and swap_io only move entries, so each result entry names its source) and the
correlation's windows. The two sorted lists must be equal.

Both sides come in chunks, each a run of keys above every key of the runs before it, so the two sorted
streams are compared piece by piece (:func:`_compare`) and memory stays bounded whatever the size: about
``CHUNK`` monomials per side at a time (int64 keys and their index arrays: a few hundred MB). The
definition's chunks fix the leading loop variables that are leading axes of the key's tensors (∂L/∂x: n and
the channel of x; ∂L/∂h: the whole entry of h, then n); the closed form's are runs of consecutive output
entries (:meth:`symconv.derivation.ops.Correlate.triple_chunks`). A definition block still over ``CHUNK``
(a very large plane) is enumerated again for each slice of its key range, so that only one slice is held.

>>> from symconv import ConvSpec
>>> from symconv.derivation.forms import derive_forms
>>> d = derive_forms(ConvSpec(2, 2, 3, padding=1))
>>> exact(d, (3, 3), 1)
(True, 392, '392 monomials of the gradients equal to the derivative of the definition (input 1x2x3x3)')
"""

from __future__ import annotations

import itertools
from dataclasses import replace
from typing import Any

import numpy as np
import sympy as sp

from ..derivation import ops
from ..derivation.engine import base_tensors, definition, definition_transposed
from ..derivation.exprs import as_expr, numpy_function
from ..derivation.forms import Derivation, derive_general, sizes_at
from ..derivation.index import Term, join_groups
from ..derivation.spec import ConvSpec
from ..errors import UnsupportedError

CHUNK = 2_000_000        # monomials enumerated at once


def small_input_size(spec: ConvSpec, outputs: int = 3, remainder: int = 0) -> tuple[int, ...]:
    """The smallest spatial size with ``outputs`` output positions per axis, plus ``remainder`` (< stride).

    At least two outputs per axis are needed for a proof to see the stride and the dilation at all. A
    transposed convolution's input is the small side: ``outputs`` input positions (plus ``remainder``), at
    least as many as make its output non-empty.
    """
    if spec.transposed:
        return tuple(max(outputs + min(remainder, s - 1), 1 + -(-(lo + hi - d * (k - 1) - r) // s))
                     for k, s, d, (lo, hi), r in zip(spec.kernel_size, spec.stride, spec.dilation,  # type: ignore
                                                     spec.pads, spec.output_padding))  # type: ignore[arg-type]
    sizes = []
    for k, s, d, (lo, hi) in zip(spec.kernel_size, spec.stride, spec.dilation, spec.pads):  # type: ignore
        sizes.append(max(1, s * (outputs - 1) + d * (k - 1) + 1 - lo - hi) + min(remainder, s - 1))
    return tuple(sizes)


def few_channels(spec: ConvSpec) -> ConvSpec:
    """``spec`` with at most two input and two output channels per group: the index maps, which is what an
    exact check tests, are the same for every channel count, and two each way show every channel swap."""
    g = spec.groups
    return replace(spec, in_channels=g * min(2, spec.in_channels // g),
                   out_channels=g * min(2, spec.out_channels // g))


def _flat(layout: tuple[str, ...], idx: list[np.ndarray], shape: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """Flat PyTorch-layout positions of Term-layout indices, and the in-range mask (:func:`join_groups`,
    on arrays of indices that broadcast together). A position out of range is a meaningless number: the
    caller keeps only the masked ones."""
    axes, dims, ok = join_groups(layout, idx, shape)
    flat: Any = np.int64(0)
    for v, n in zip(axes, dims):
        flat = flat * n + v
    return flat, ok


def _key_order(term: Term, names: tuple[str, ...], sizes: dict[sp.Symbol, int]) -> list[sp.Symbol]:
    """The loop variables that, fixed in this order, fix the key's leading digits: the bare variables among
    the index expressions of the factors named in key order, up to the first expression that is neither a
    bare variable nor already fixed by the ones before it."""
    loop = {lim[0] for lim in term.limits}
    factors = {f.tensor: f for f in term.factors}
    fixed: list[sp.Symbol] = []
    for name in names:
        for e in (as_expr(v).xreplace(sizes) for v in factors[name].index):
            if isinstance(e, sp.Symbol) and e in loop and e not in fixed:
                fixed.append(e)
            elif not e.free_symbols <= set(fixed):
                return fixed
    return fixed


def definition_keys(term: Term, tensors: dict[str, Any], sizes: dict[sp.Symbol, int], names: tuple[str, ...],
                    radix: tuple[int, ...]):
    """Yield the definition's monomials as sorted keys (see :func:`_sorted_keys`, factors in the order
    ``names``), chunk by chunk, each chunk above every key of the chunks before it."""
    limits = {lim[0]: range(int(as_expr(lim[1]).xreplace(sizes)), int(as_expr(lim[2]).xreplace(sizes)) + 1)
              for lim in term.limits}
    lead = _key_order(term, names, sizes)
    order = lead + [v for v in limits if v not in lead]
    ranges = [limits[v] for v in order]
    factors = {f.tensor: f for f in term.factors}
    exprs = [as_expr(e).xreplace(sizes) for name in names for e in factors[name].index]
    fn = numpy_function(order, exprs)
    shapes = [[int(as_expr(v).xreplace(sizes)) for v in tensors[name].shape] for name in names]
    # Fix the fewest leading variables that leave at most CHUNK monomials to a NumPy grid; never more than
    # the key's leading variables, or the blocks would no longer be runs of keys.
    split = 0
    while split < len(lead) and int(np.prod([len(r) for r in ranges[split:]])) > CHUNK:
        split += 1
    inner = int(np.prod([len(r) for r in ranges[split:]]))
    slices = max(1, -(-inner // CHUNK))

    def block(outer: tuple[int, ...]) -> np.ndarray:
        # Open grids: each index expression is computed on the axes of the variables it uses (broadcasting);
        # only the flat positions, the mask and the keys are as large as the block.
        grid = np.meshgrid(*[np.arange(r.start, r.stop) for r in ranges[split:]], indexing="ij", sparse=True)
        shape = tuple(len(r) for r in ranges[split:])
        values = [np.asarray(v, dtype=np.int64) for v in fn(*outer, *grid)]
        cols, pos, keep = [], 0, np.ones(shape, dtype=bool)
        for name, dims in zip(names, shapes):
            flat, ok = _flat(tensors[name].layout, values[pos:pos + len(dims)], dims)
            pos += len(dims)
            cols.append(np.broadcast_to(flat, shape))
            keep &= ok
        return _keys(tuple(c[keep] for c in cols), radix)

    for outer in itertools.product(*ranges[:split]):
        if slices == 1:
            yield _sort(block(outer), radix)
            continue
        # Over CHUNK even with every leading variable fixed: one slice of the block's keys at a time.
        keys = block(outer)      # the first pass also bounds the slices
        if keys.size == 0:
            continue
        lo, hi = int(keys.min()), int(keys.max()) + 1
        del keys
        edges = np.linspace(lo, hi, slices + 1).astype(np.int64)
        for a, b in zip(edges[:-1], edges[1:]):
            keys = block(outer)
            yield _sort(keys[(keys >= a) & (keys < b)], radix)


def definition_monomials(term: Term, tensors: dict[str, Any], sizes: dict[sp.Symbol, int]):
    """Each factor's flat entry for every monomial of the definition's Term, chunk by chunk (in no order)."""
    names = tuple(f.tensor for f in term.factors)
    radix = tuple(int(np.prod([int(as_expr(v).xreplace(sizes)) for v in tensors[n].shape])) for n in names)
    for keys in definition_keys(term, tensors, sizes, names, radix):
        yield list(_rows(keys, radix).T)


def _keys(cols: tuple[np.ndarray, ...], radix: tuple[int, ...]) -> np.ndarray:
    """Each monomial (a, b, c) as the single int64 a*|B|*|C| + b*|C| + c: a multiset in one array."""
    key = np.zeros(len(cols[0]), dtype=np.int64)
    for col, n in zip(cols, radix):
        key *= n
        key += np.asarray(col, dtype=np.int64)
    return key


def _sort(keys: np.ndarray, radix: tuple[int, ...] | None = None) -> np.ndarray:
    """``keys`` sorted. Checking costs about 0.5 ns a key, sorting about 60-100 (AVX-512 quicksort), sorted
    keys no less; so: keys already in order are returned as they are (a correlation's monomials come entry by
    entry, window by window); keys in order but for their leading digit (the definition's ∂L/∂x: a block's
    loops run over g's entries, the key leads with x's, u = S·i + D·a − P) are put in order by a stable
    radix sort of that digit (NumPy sorts 16-bit integers by radix, ~10 ns a key); anything else, and
    whatever the radix sort did not put in order, by a sort."""
    def ordered(k: np.ndarray) -> bool:
        return k.size < 2 or bool(np.all(k[1:] >= k[:-1]))
    if ordered(keys):
        return keys
    if radix is not None and len(radix) > 1:
        lead = keys // int(np.prod(radix[1:]))
        lead -= lead.min()
        if lead.max() < 2 ** 16:
            moved = keys[np.argsort(lead.astype(np.uint16), kind="stable")]
            if ordered(moved):
                return moved
    return np.sort(keys)


def _sorted_keys(cols: tuple[np.ndarray, ...], radix: tuple[int, ...]) -> np.ndarray:
    return _sort(_keys(cols, radix))


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
    general = derive_general(spec.ndim, spec.groups > 1, spec.bias, transposed=spec.transposed)
    sym = general.sym
    sizes = sizes_at(spec, sym, input_size, batch)
    tensors = base_tensors(sym, spec.transposed)
    _, _, terms = (definition_transposed if spec.transposed else definition)(sym, spec.bias)
    out = spec.output_size(input_size)
    shapes = {"x": (batch, spec.in_channels) + input_size,
              "h": spec.weight_channels + tuple(spec.kernel_size),  # type: ignore
              "g": (batch, spec.out_channels) + out, "b": (spec.out_channels,)}
    ids = {k: np.arange(1, int(np.prod(s)) + 1, dtype=np.int64).reshape(s) for k, s in shapes.items()}
    bind = {h: n for h, n in zip(sym.H, input_size)} | {o: n for o, n in zip(sym.Ho, out)}
    wanted = {"grad_input": ("x", ("g", "h")), "grad_weight": ("h", ("x", "g")), "grad_bias": ("b", ("g",))}
    checked = 0
    for name, form in d.closed_forms.items():
        wrt, others = wanted[name]
        radix = tuple(int(np.prod(shapes[t])) for t in (wrt,) + others)
        # The definition's monomials g_j x_u h_k (and g_j b_k), keyed in the order (wrt, others).
        expect = definition_keys(terms[1] if name == "grad_bias" else terms[0], tensors, sizes,
                                 (wrt,) + others, radix)
        if name == "grad_bias":
            if not (isinstance(form, ops.SumAxes) and _index_map(form.arg)):
                raise UnsupportedError(f"exact proof of {name}: {form} is not a sum of an index map")
            *cols_b, shape = form.pairs(ids, bind)
            got: Any = iter([_sorted_keys(tuple(cols_b), radix)])
        else:
            if not (isinstance(form, (ops.Correlate, ops.BatchCorrelate)) and _index_map(form.data)
                    and _index_map(form.kernel)):
                raise UnsupportedError(f"exact proof of {name}: {form} is not a correlation of index maps")
            try:
                shape, chunks = form.triple_chunks(ids, bind, CHUNK)
            except ValueError as exc:
                return False, checked, f"{name}: the closed form cannot be evaluated at this size: {exc}"
            # The closed form's operands name entries of (data tensor, kernel tensor); put them in the order
            # of `others` (g before h for ∂L/∂x, x before g for ∂L/∂h).
            swap = _first_tensor(form.data) != others[0]
            if shape == shapes[wrt]:
                got = _closed_keys(chunks, swap, radix)
        if shape != shapes[wrt]:
            return False, checked, f"{name} has shape {shape}, {wrt} has {shapes[wrt]}"
        try:
            same, count, detail = _compare(got, expect, radix, name, wrt, others, shapes)
        except _Misnamed:
            return False, checked, f"{name} has shape {shape}, {wrt} has {shapes[wrt]}"
        if not same:
            return False, checked, detail
        checked += count
    return True, checked, (f"{checked} monomials of the gradients equal to the derivative of the definition "
                           f"(input {batch}x{spec.in_channels}x{'x'.join(map(str, input_size))})")


class _Misnamed(Exception):
    """A closed form's operand names an entry outside the tensor it should come from."""


def _closed_keys(chunks: Any, swap: bool, radix: tuple[int, ...]):
    for out_f, data_f, kern_f in chunks:
        if swap:
            data_f, kern_f = kern_f, data_f
        if data_f.size and (data_f.max() >= radix[1] or kern_f.max() >= radix[2]):
            raise _Misnamed
        yield _sort(_keys((out_f, data_f, kern_f), radix))


def _compare(got: Any, expect: Any, radix: tuple[int, ...], name: str, wrt: str, others: tuple[str, ...],
             shapes: dict[str, tuple[int, ...]]) -> tuple[bool, int, str]:
    """Two streams of sorted key runs (each run above the runs before it), compared as multisets.

    Keys up to the smaller of the two sides' largest keys so far are complete on both sides, so they are
    compared and dropped; what remains is at most a run or so of each side. Both producers promise
    increasing runs; a run that is not is a bug, raised as RuntimeError, never a verdict."""
    sides: list[list[np.ndarray]] = [[], []]
    last = [None, None]
    totals = [0, 0]
    sample: tuple[np.ndarray, np.ndarray] | None = None

    def settle(upto: Any) -> None:
        nonlocal sample
        parts = []
        for k in range(2):
            pend = np.concatenate(sides[k]) if sides[k] else np.zeros(0, np.int64)
            cut = len(pend) if upto is None else int(np.searchsorted(pend, upto, side="right"))
            parts.append(pend[:cut])
            sides[k] = [pend[cut:]] if cut < len(pend) else []
        if sample is None and (parts[0].shape != parts[1].shape or not np.array_equal(parts[0], parts[1])):
            sample = (parts[0], parts[1])

    streams = [iter(got), iter(expect)]
    live = [True, True]
    while any(live):
        # Advance the side that is behind (the smaller last key; one that has not started first). Taking a
        # run from each side in turn let the side with the longer runs get ahead by a part of a run every
        # time, and its pending keys grew without bound (10 GiB at N=8, C=64, 56x56).
        k = 0 if not live[1] else 1 if not live[0] else \
            0 if last[0] is None else 1 if last[1] is None else int(last[1] < last[0])
        run = next(streams[k], None)
        if run is None:
            live[k] = False
            continue
        totals[k] += len(run)
        if run.size == 0:
            continue
        if last[k] is not None and run[0] <= last[k]:
            raise RuntimeError(f"{name}: a run of keys is not above the runs before it")
        last[k] = int(run[-1])
        if sample is None:
            sides[k].append(run)
        if sample is None and all(v is not None for v in last):
            # Keys up to the smaller last key are complete on both sides; once the other side has ended
            # below this side's last key, all are (a key above its end is one it lacks).
            ended = not live[1 - k] and last[k] >= last[1 - k]  # type: ignore[operator]
            settle(None if ended else min(last))  # type: ignore[type-var]
    if sample is None:
        settle(None)
    if sample is None:
        return True, totals[1], ""
    return False, totals[1], (f"{name}: {totals[0]} monomials against {totals[1]}; "
                              f"{_difference(_rows(sample[0], radix), _rows(sample[1], radix), wrt, others, shapes)}")


def _first_tensor(e: ops.Expr) -> str:
    while not isinstance(e, ops.Tensor):
        e = e.arg  # type: ignore[attr-defined]
    return e.name


def _difference(got: np.ndarray, expect: np.ndarray, wrt: str, others: tuple[str, ...],
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
        lines.append(f"monomial counts differ ({len(got)} against {len(expect)} here)")
    return "; ".join(lines)
