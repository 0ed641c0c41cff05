r"""Average pooling: its index expression, ∂L/∂x derived by the engine, and the two operators it adds.

The definition (PyTorch's ``AvgPoolNd``, ``aten/src/ATen/native/cpu/AvgPoolKernel.cpp``)::

    y[n, c, i] = w[i] · Σ_{a < K} x[n, c, S·i + a − P]         (x is zero outside its range)
    w[i] = 1 / d[i]                                               d: the window's divisor

with ``d[i]`` the kernel count, the window clipped at the padded input (``count_include_pad``), the count
of real entries in it (not ``count_include_pad``) or ``divisor_override``. The engine derives ∂L/∂x for a
*generic* weight w (one number per output position, random in every check), so the derivation holds for
every divisor; a configuration then names its own (:class:`Divisor`)::

    ∂L/∂x = sum_windows(pad(dilate(divide(g, d), S), (K − 1 − P, H + P − S(H^o − 1) − 1)), K)

Two operators join the vocabulary, each with its readings (NumPy and exact evaluation, the affine relation
of the entries it reads): ``divide(T, d)`` (each output position's entries divided by its divisor; its
relation is T's, the weight is compared by the prover on its own) and ``sum_windows(T, K)`` (the sum of
every window of K consecutive entries: a correlation with a window of ones, channel by channel).

>>> from symconv.derivation.spec import AvgPoolSpec
>>> print(derive_pool_forms(AvgPoolSpec(1, 3, stride=2, padding=1)).grad_input)
sum_windows(pad(dilate(divide(g, 3), 2), (1, ((H + 1) mod 2) + 1)), 3)
>>> print(derive_pool_forms(AvgPoolSpec(1, 3, stride=2, padding=1, count_include_pad=False)).grad_input)
sum_windows(pad(dilate(divide(g, valid_count(3, 2, 1)), 2), (1, ((H + 1) mod 2) + 1)), 3)
"""

from __future__ import annotations

import functools
import itertools
import math
from dataclasses import dataclass, field, replace
from typing import Any, Mapping

import numpy as np
import sympy as sp

from . import ops
from .affine import Extent, IndexSpace, tup, variables
from .engine import RULES, Context, Step, _coeff, _derived, recognise, unary_tensors
from .forms import General, UnaryDerivation, _load, _printer, _store, derive_gradient
from .index import Factor, Symbols, TensorInfo, Term
from .printing import Printer
from ..errors import DerivationError, InputError

# ------------------------------------------------------------------------------------------ operators

DIVISOR_KINDS = ("tensor", "constant", "count", "valid_count")


@dataclass(frozen=True)
class Divisor:
    """What each output position of a pooling is divided by.

    ``tensor``: a named array ``d`` (the general derivation's, any values); ``constant``: one number (the
    kernel count, or ``divisor_override``); ``count``: the window's length clipped at the padded input,
    min(S·i − P + K, H + P) − (S·i − P) per axis, multiplied over the axes (``count_include_pad``; it differs
    from K only under ``ceil_mode``); ``valid_count``: the real entries in the window,
    min(S·i − P + K, H) − max(S·i − P, 0) per axis, multiplied (not ``count_include_pad``). ``length`` is the
    input's size per axis (the symbols H, or numbers).
    """

    kind: str
    value: Any = None
    kernel: tuple[Any, ...] = ()
    stride: tuple[Any, ...] = ()
    padding: tuple[Any, ...] = ()
    length: tuple[Any, ...] = ()

    def __str__(self) -> str:
        if self.kind == "tensor":
            return "d"
        if self.kind == "constant":
            return ops._str(self.value)
        return f"{self.kind}({', '.join(ops._fmt_axes(v) for v in (self.kernel, self.stride, self.padding))})"

    def to_latex(self) -> str:
        if self.kind == "tensor":
            return "d"
        if self.kind == "constant":
            return ops._latex(self.value)
        sub = ";".join(ops._latex(v[0]) if len(set(v)) == 1 else ",".join(map(ops._latex, v))
                       for v in (self.kernel, self.stride, self.padding))
        valid = "" if self.kind == "count" else r"^{\mathrm{valid}}"
        return rf"\operatorname{{count}}{valid}_{{{sub}}}"

    def map_sizes(self, mapping: Mapping[sp.Symbol, Any]) -> "Divisor":
        def sub(v: tuple[Any, ...]) -> tuple[Any, ...]:
            return tuple(ops._sub(e, mapping) for e in v)
        return Divisor(self.kind, ops._sub(self.value, mapping), sub(self.kernel), sub(self.stride),
                       sub(self.padding), sub(self.length))

    def axis_counts(self, k: int, outputs: int, sizes: Mapping[sp.Symbol, int]) -> list[int]:
        """The divisor's factor on spatial axis k at each of its ``outputs`` positions."""
        K, S, P, H = (ops._int(v[k], sizes) for v in (self.kernel, self.stride, self.padding, self.length))
        starts = [S * i - P for i in range(outputs)]
        if self.kind == "count":
            return [min(s + K, H + P) - s for s in starts]
        return [min(s + K, H) - max(s, 0) for s in starts]

    def array(self, env: ops.Env, sizes: Mapping[sp.Symbol, int], outputs: tuple[int, ...]) -> np.ndarray:
        """The divisor at every output position (spatial axes only), as exact integers."""
        if self.kind == "tensor":
            return np.asarray(env["d"])
        if self.kind == "constant":
            out = np.empty(outputs, dtype=object)
            out.fill(sp.Integer(ops._int(self.value, sizes)))
            return out
        per_axis = [self.axis_counts(k, n, sizes) for k, n in enumerate(outputs)]
        out = np.empty(outputs, dtype=object)
        for at in itertools.product(*(range(n) for n in outputs)):
            out[at] = sp.Integer(math.prod(c[i] for c, i in zip(per_axis, at)))
        return out


@dataclass(frozen=True, repr=False)
class Divide(ops.Expr):
    """``out[n, c, i] = arg[n, c, i] / d[i]``: each output position's entries divided by its divisor."""

    arg: ops.Expr
    divisor: Divisor

    def evaluate(self, env: ops.Env, sizes: ops.Sizes | None = None) -> np.ndarray:
        a = self.arg.evaluate(env, sizes)
        nd = len(self.divisor.length) if self.divisor.kind != "tensor" else np.asarray(env["d"]).ndim
        d = self.divisor.array(env, sizes or {}, a.shape[a.ndim - nd:])
        if a.dtype == object:            # exact: an integer divided by an integer is a fraction
            return a / d
        return a / d.astype(float)

    def __str__(self) -> str:
        return f"divide({self.arg}, {self.divisor})"

    def to_latex(self) -> str:
        return rf"\operatorname{{divide}}\left({self.arg.to_latex()},\ {self.divisor.to_latex()}\right)"

    def map_sizes(self, mapping: Mapping[sp.Symbol, Any]) -> ops.Expr:
        return Divide(self.arg.map_sizes(mapping), self.divisor.map_sizes(mapping))

    def out_shape(self, arg: tuple[int, ...], sizes: ops.Sizes | None) -> tuple[int, ...]:
        """The result's shape from the argument's (for :func:`symconv.derivation.ops.largest`): the same."""
        return arg

    def extent(self, space: IndexSpace) -> Extent:
        return self.arg.extent(space)

    def relation(self, space: IndexSpace) -> Any:
        # The entries it reads are the argument's, one for one; the weight 1/d is not an index and is
        # compared on its own (symconv.proof.presburger_pool).
        return self.arg.relation(space)


@dataclass(frozen=True, repr=False)
class SumWindows(ops.Expr):
    """``out[n, c, u] = Σ_{a < K} arg[n, c, u + a]``: the sum of every window of K consecutive entries on each
    spatial axis (length n becomes n − K + 1), a correlation with a window of ones channel by channel."""

    arg: ops.Expr
    window: tuple[Any, ...]

    def evaluate(self, env: ops.Env, sizes: ops.Sizes | None = None) -> np.ndarray:
        a = self.arg.evaluate(env, sizes)
        ks = [ops._int(k, sizes or {}) for k in self.window]
        lead = a.ndim - len(ks)
        outs = [n - k + 1 for n, k in zip(a.shape[lead:], ks)]
        if any(m < 0 for m in outs) or any(k < 1 for k in ks):
            raise ValueError(f"sum_windows: windows {tuple(ks)} do not fit an array of shape {a.shape}")
        out = ops._zeros(a.shape[:lead] + tuple(outs), a)
        for offs in itertools.product(*(range(k) for k in ks)):
            out = out + a[(slice(None),) * lead + tuple(slice(o, o + m) for o, m in zip(offs, outs))]
        return out

    def __str__(self) -> str:
        return f"sum_windows({self.arg}, {ops._fmt_axes(self.window)})"

    def to_latex(self) -> str:
        k = ops._latex(self.window[0]) if len(set(self.window)) == 1 else ", ".join(map(ops._latex, self.window))
        return rf"\operatorname{{sum\_windows}}_{{{k}}}\left({self.arg.to_latex()}\right)"

    def map_sizes(self, mapping: Mapping[sp.Symbol, Any]) -> ops.Expr:
        return SumWindows(self.arg.map_sizes(mapping), tuple(ops._sub(k, mapping) for k in self.window))

    def out_shape(self, arg: tuple[int, ...], sizes: ops.Sizes | None) -> tuple[int, ...]:
        """The result's shape from the argument's (for :func:`symconv.derivation.ops.largest`)."""
        ks = [ops._int(k, sizes or {}) for k in self.window]
        lead = len(arg) - len(ks)
        return tuple(arg[:lead]) + tuple(max(n - k + 1, 0) for n, k in zip(arg[lead:], ks))

    def extent(self, space: IndexSpace) -> Extent:
        kind, sizes = ops._spatial_arg(self, space, len(self.window))
        lead = len(sizes) - len(self.window)
        return Extent(kind, sizes[:lead] + tuple(n - k + 1 for n, k in zip(sizes[lead:], self.window)))

    def relation(self, space: IndexSpace) -> Any:
        # [out[v] → (a)] → arg[v + a] for 0 ≤ a < K on each spatial axis.
        out = self.extent(space).sizes
        v = variables("z", len(out))
        a = variables("a", len(self.window))
        lead = len(out) - len(self.window)
        src = v[:lead] + [f"{z} + {t}" for z, t in zip(v[lead:], a)]
        conds = [space.box(v, out)] + [f"0 <= {t} <= {space.aff(k)} - 1" for t, k in zip(a, self.window)]
        return space.map(f"[{tup(v)} -> {tup(a)}]", tup(src), " and ".join(conds)).apply_range(
            ops._moved(undivided(self.arg), space))

    def requires(self, space: IndexSpace) -> list[tuple[str, ops.Expr, str]]:
        out = self.extent(space).sizes[-len(self.window):]
        return super().requires(space) + [(f"{space.aff(n)} >= 0", self, "has windows wider than its data")
                                          for n in out]


def undivided(expr: ops.Expr) -> ops.Expr:
    """``expr`` with its divisions taken out (the entries it moves, weight aside): how the affine reading,
    and the prover, read a pooling's form."""
    if isinstance(expr, Divide):
        return expr.arg
    if isinstance(expr, ops.Tensor):
        return expr
    if isinstance(expr, (ops.Pad, ops.Dilate, SumWindows)):
        return type(expr)(undivided(expr.arg), *[getattr(expr, f) for f in expr.__dataclass_fields__
                                                  if f != "arg"])
    return expr


# ---------------------------------------------------------------------------------------- definition

def pool_tensors(sym: Symbols) -> dict[str, TensorInfo]:
    """x, g and the weight w = 1/d (one number per output position)."""
    tensors = unary_tensors(sym)
    tensors["w"] = TensorInfo("w", r"d^{-1}", ("s",) * sym.ndim, sym.Ho, ops.Tensor("w"))
    return tensors


def definition_avg_pool(sym: Symbols) -> tuple[sp.Expr, sp.Expr, list[Term]]:
    """y[n, c, i] = w[i] Σ_a x[n, c, S·i + a − P] and L = Σ g·y (x zero outside its range: the padding)."""
    x, g, w = sp.IndexedBase("x"), sp.IndexedBase("g"), sp.IndexedBase("w")
    pos = tuple(s * i + a - p for s, i, a, p in zip(sym.S, sym.i, sym.a, sym.P))
    inner = tuple((a, sp.Integer(0), k - 1) for a, k in zip(sym.a, sym.K))
    y = w[sym.i] * sp.Sum(x[(sym.n, sym.c) + pos], *inner)
    lims = ((sym.n, sp.Integer(0), sym.N - 1), (sym.c, sp.Integer(0), sym.C - 1)) + tuple(
        (i, sp.Integer(0), ho - 1) for i, ho in zip(sym.i, sym.Ho))
    y_index = (sym.n, sym.c) + sym.i
    L = sp.Sum(g[y_index] * y, *lims)
    return y, L, [Term((Factor("g", y_index), Factor("w", sym.i), Factor("x", (sym.n, sym.c) + pos)), (),
                       lims + inner)]


# --------------------------------------------------------------------------------------------- rules

def absorb_weight(term: Term, ctx: Context) -> tuple[str, Term] | None:
    """g[n, c, i]·w[i] = ḡ[n, c, i] with ḡ = divide(g, d): the position's weight taken into g."""
    names = [f.tensor for f in term.factors]
    if "w" not in names or len(term.factors) != 2:
        return None
    weight = term.factors[names.index("w")]
    other = term.factors[1 - names.index("w")]
    info = ctx.tensors[other.tensor]
    spatial = tuple(e for e, kind in zip(other.index, info.layout) if kind == "s")
    if spatial != weight.index:
        return None
    latex = rf"\bar{{{info.latex}}}"
    name = _derived(ctx, info, other.tensor + "_div", latex, info.shape,
                    Divide(info.op, Divisor("tensor")),
                    rf"{latex}_{{n,c,i}} = {info.latex}_{{n,c,i}} / d_{{i}}")
    return "", Term((Factor(name, other.index),), term.deltas, term.limits)


def _window_axes(term: Term, ctx: Context) -> list[tuple[int, sp.Symbol, sp.Symbol, sp.Expr, sp.Expr]] | None:
    """Per spatial axis of a lone factor: (axis, free u, window var a, a's coefficient, offset) of u ± a + r."""
    if len(term.factors) != 1 or term.deltas:
        return None
    (factor,) = term.factors
    info = ctx.tensors[factor.tensor]
    out = []
    for k, kind in enumerate(info.layout):
        if kind != "s":
            continue
        e = sp.expand(factor.index[k])
        us = [u for u in ctx.free if e.has(u)]
        vs = [v for v in term.bound() if e.has(v)]
        if len(us) != 1 or len(vs) != 1 or _coeff(e, us[0]) != 1 or _coeff(e, vs[0]) not in (1, -1):
            return None
        r = sp.expand(e - us[0] - _coeff(e, vs[0]) * vs[0])
        if r.free_symbols & (term.bound() | set(ctx.free)):
            return None
        out.append((k, us[0], vs[0], _coeff(e, vs[0]), r))
    return out or None


def reverse_window_index(term: Term, ctx: Context) -> tuple[str, Term] | None:
    """Change of summation variable a → K − 1 − a where a window is read backwards (u + r − a): the window
    is constant, so reading it the other way round needs no rotation."""
    axes = _window_axes(term, ctx)
    if axes is None:
        return None
    limits = {v: hi for v, lo, hi in term.limits if lo == 0}
    mapping = {v: limits[v] - v for _, _, v, c, _ in axes if c == -1 and v in limits}
    if not mapping:
        return None
    pr = Printer(symbol_names=ctx.sym.latex_names())
    return ", ".join(f"{pr.doprint(v)} \\to {pr.doprint(e)}" for v, e in mapping.items()), term.subs(mapping)


def window_to_padding(term: Term, ctx: Context) -> tuple[str, Term] | None:
    """T[u + a + r] over u's and a's ranges is T̃[u + a] with T̃ = pad(T, (−r, just enough)): the windows'
    offset and reach become a padding (negative: a crop)."""
    axes = _window_axes(term, ctx)
    if axes is None or any(c != 1 for *_, c, _ in axes) or all(r == 0 for *_, r in axes):
        return None
    (factor,) = term.factors
    info = ctx.tensors[factor.tensor]
    reach = {v: hi + 1 for v, lo, hi in term.limits if lo == 0}
    widths, shape, index = [], list(info.shape), list(factor.index)
    for k, u, a, _, r in axes:
        if a not in reach:
            return None
        need = sp.expand(ctx.free_size[u] + reach[a] - 1)
        lo = sp.expand(-r)
        widths.append((lo, sp.expand(need - lo - info.shape[k])))
        shape[k], index[k] = need, u + a
    latex = rf"\tilde{{{info.latex}}}"
    pr = Printer(symbol_names=ctx.sym.latex_names())
    where = r",\allowbreak\ ".join(rf"({pr.doprint(lo)},\ {pr.doprint(hi)})" for lo, hi in widths)
    name = _derived(ctx, info, factor.tensor + "_pad", latex, tuple(shape), ops.pad(info.op, tuple(widths)),
                    rf"{latex} = \operatorname{{pad}}_{{q}}\left({info.latex}\right),\ q = {where}")
    return "", Term((Factor(name, tuple(index)),), (), term.limits)


POOL_RULES = RULES + (absorb_weight, reverse_window_index, window_to_padding)


def recognise_pool(term: Term, ctx: Context) -> ops.Expr:
    """A lone factor read at u + a over every window is sum_windows of it; anything else as the engine
    reads it."""
    axes = _window_axes(term, ctx)
    if axes is None:
        return recognise(term, ctx)
    if any(c != 1 or r != 0 for *_, c, r in axes):
        raise DerivationError(f"{ctx.target}: an offset is left after padding")
    (factor,) = term.factors
    if factor.index[:2] != ctx.free[:2]:
        raise DerivationError(f"{ctx.target}: the kept indices are out of order")
    reach = {v: hi + 1 for v, lo, hi in term.limits}
    return SumWindows(ctx.tensors[factor.tensor].op, tuple(reach[a] for _, _, a, _, _ in axes))


# ---------------------------------------------------------------------------------------- derivation

@functools.lru_cache(maxsize=None)
def derive_pool_general(ndim: int, seed: int = 0) -> General:
    """∂L/∂x of average pooling, every size a symbol and the divisor a generic array d, derived by the
    engine's loop (:func:`~symconv.derivation.forms.derive_gradient`) with three rules added here."""
    if ndim not in (1, 2, 3):
        raise InputError(f"ndim must be 1, 2 or 3, got {ndim!r}")
    key = f"general-avg_pool-{ndim}d-{seed}"
    found = _load(key)
    if found is not None:
        return found
    sym = Symbols(ndim, False)
    y, L, L_terms = definition_avg_pool(sym)
    tensors = pool_tensors(sym)
    pr = _printer(sym, tensors)
    y_idx = ",".join(pr.doprint(v) for v in L_terms[0].factors[0].index)
    steps = [Step("definition", "definition_y_avg_pool", rf"y_{{{y_idx}}} = {pr.doprint(y)}"),
             Step("definition", "definition_L", rf"L = {pr.doprint(L)}", r"$g = \partial L / \partial y$")]
    free, sizes = (sym.n_, sym.c_) + sym.u_, (sym.N, sym.C) + sym.H
    ctx = Context(sym, dict(tensors), free, dict(zip(free, sizes)), "grad_input", seed, "avg_pool")
    form = derive_gradient(ctx, L, L_terms, "x", steps, POOL_RULES, recognise_pool)
    general = General(sym, {"grad_input": form}, tuple(steps))
    _store(key, general)
    return general


def divisor_of(spec: Any, sym: Symbols) -> Divisor:
    """The configuration's divisor, in its simplest reading: ``divisor_override``; else the kernel count
    where every window lies inside the padded input (no ``ceil_mode``) and the padding counts (or there is
    none); else the clipped or the valid count."""
    if spec.divisor_override is not None:
        return Divisor("constant", spec.divisor_override)
    include = spec.count_include_pad or all(p == 0 for p in spec.padding)
    if include and not spec.ceil_mode:
        return Divisor("constant", math.prod(spec.kernel_size))
    return Divisor("count" if include else "valid_count", None, tuple(spec.kernel_size), tuple(spec.stride),
                   tuple(spec.padding), sym.H)


def pool_sizes(spec: Any, sym: Symbols) -> dict[sp.Symbol, Any]:
    """The spec's values for the size symbols; without ``ceil_mode`` the output size in terms of the input
    size, S(H^o − 1) = H + 2P − K − ((H + 2P − K) mod S), so that the padding reads as a remainder; under
    ``ceil_mode`` H^o stays a size of its own (PyTorch's rule, :func:`~.spec.pool_output_length`)."""
    values: dict[sp.Symbol, Any] = {}
    for k, (K, S, P) in enumerate(zip(spec.kernel_size, spec.stride, spec.padding)):
        values.update({sym.K[k]: K, sym.S[k]: S, sym.P[k]: P, sym.D[k]: 1})
        if not spec.ceil_mode:
            span = sym.H[k] + 2 * P - K
            values[sym.Ho[k]] = (span - sp.Mod(span, S)) / S + 1
    return values


def concrete_form(general: ops.Expr, spec: Any, sym: Symbols) -> ops.Expr:
    """The general form at the spec's sizes, its divisor d the spec's own."""
    divisor = divisor_of(spec, sym)

    def put(expr: ops.Expr) -> ops.Expr:
        if isinstance(expr, Divide):
            return Divide(put(expr.arg), divisor if expr.divisor.kind == "tensor" else expr.divisor)
        if isinstance(expr, ops.Tensor):
            return expr
        changes = {f: put(getattr(expr, f)) for f in expr.__dataclass_fields__
                   if isinstance(getattr(expr, f), ops.Expr)}
        return replace(expr, **changes)  # type: ignore[type-var]
    return put(general).map_sizes(pool_sizes(spec, sym))


@dataclass(frozen=True, repr=False)     # the base's short repr
class PoolDerivation(UnaryDerivation):
    """The closed form of ∂L/∂x for average pooling, with the steps that produced it."""

    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def legend_key(self) -> str:
        """The operators' legend: pooling's divide, dilate, pad and sum_windows (no correlation, rotation or
        channel swap appears in its form)."""
        return "legend.pool"


def derive_pool_forms(spec: Any) -> PoolDerivation:
    """The closed form of ∂L/∂x for an :class:`~symconv.derivation.spec.AvgPoolSpec`: the general form with
    the spec's sizes and divisor put in."""
    general = derive_pool_general(spec.ndim)
    return PoolDerivation(spec, general, concrete_form(general.closed["grad_input"], spec, general.sym))
