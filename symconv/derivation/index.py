"""Index expressions: the convolution's definition as SymPy sums over indexed tensors.

The data model is one :class:`Term`: a sum, over rectangular ranges, of a product of indexed tensors and
Kronecker deltas::

    Term(factors=(g[n, o, i], h[o, c, a]),         # Factor(tensor name, index expressions)
         deltas=((u', S*i + D*a - P),),           # δ(lhs, rhs)
         limits=((n, 0, N-1), (o, 0, O-1), ...))  # inclusive, as in sympy.Sum

Sizes (H, K, S, D, P, the output size H_o, channel counts) are SymPy symbols, so a Term holds for every size.
Channels are indexed per group: ``x[n, γ, c, u]`` is PyTorch's ``x[n, γ*C + c, u]`` with C = C_in/G; when the
configuration has one group the group index is left out.

Every tensor a Term may name is described by a :class:`TensorInfo`: its layout, its index ranges and the
operator expression (:mod:`symconv.derivation.ops`) that computes it from x, h and g. :func:`evaluate_term` evaluates a
Term at concrete sizes with concrete arrays; that is how each rewrite step is checked.
"""

from __future__ import annotations

import functools
import itertools
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, Sequence

import numpy as np
import sympy as sp

from . import ops
from .exprs import as_expr

# Axis kinds of a tensor's index layout:
#   "n" batch · "g" group (joins the following "c" into one PyTorch channel axis)
#   "c" channel (joined with a preceding "g") · "l" channel local to a group · "s" spatial
Layout = tuple[str, ...]


def _int_symbols(names: Iterable[str], **assumptions: bool) -> tuple[sp.Symbol, ...]:
    return tuple(sp.Symbol(name, integer=True, **assumptions) for name in names)


@dataclass(frozen=True)
class Symbols:
    """The symbols of one structure of convolution (spatial rank, grouped or not)."""

    ndim: int
    grouped: bool
    unit: bool = False      # stride 1 and dilation 1 on every axis: S and D are the number 1, not symbols
    symmetric: bool = False  # with unit: the padding after each axis equals the padding before it
    transposed: bool = False  # a transposed convolution's sizes: its output size is not written out

    def _axes(self, base: str) -> tuple[str, ...]:
        return (base,) if self.ndim == 1 else tuple(f"{base}_{k + 1}" for k in range(self.ndim))

    def __post_init__(self) -> None:
        pos = dict(positive=True)
        set_ = lambda name, value: object.__setattr__(self, name, value)  # noqa: E731 (frozen dataclass)
        set_("N", sp.Symbol("N", integer=True, positive=True))
        set_("G", sp.Symbol("G", integer=True, positive=True))
        set_("C", sp.Symbol("C", integer=True, positive=True))   # input channels per group
        set_("O", sp.Symbol("O", integer=True, positive=True))   # output channels per group
        for name in ("H", "K", "S", "D"):
            set_(name, _int_symbols(self._axes(name), **pos))
        if self.unit:
            set_("S", (sp.Integer(1),) * self.ndim)
            set_("D", (sp.Integer(1),) * self.ndim)
        set_("P", _int_symbols(self._axes("P"), nonnegative=True))
        set_("Ho", _int_symbols(self._axes("H^o"), **pos))
        set_("P_high", _int_symbols(self._axes("Phigh"), nonnegative=True))   # printed only (see shown)
        set_("n", sp.Symbol("n", integer=True))
        set_("gam", sp.Symbol("gamma", integer=True))
        set_("o", sp.Symbol("o", integer=True))
        set_("c", sp.Symbol("c", integer=True))
        set_("i", _int_symbols(self._axes("i")))
        set_("a", _int_symbols(self._axes("a")))
        # The indices a derivative is taken at; primed so they never meet a bound index of the definition.
        set_("n_", sp.Symbol("n'", integer=True))
        set_("gam_", sp.Symbol("gamma'", integer=True))
        set_("o_", sp.Symbol("o'", integer=True))
        set_("c_", sp.Symbol("c'", integer=True))
        set_("u_", _int_symbols([s + "'" for s in self._axes("u")]))
        set_("a_", _int_symbols([s + "'" for s in self._axes("a")]))

    # These attributes are set in __post_init__; the annotations are for readers and type checkers.
    N: sp.Symbol = field(init=False, repr=False, compare=False)
    G: sp.Symbol = field(init=False, repr=False, compare=False)
    C: sp.Symbol = field(init=False, repr=False, compare=False)
    O: sp.Symbol = field(init=False, repr=False, compare=False)
    H: tuple[sp.Symbol, ...] = field(init=False, repr=False, compare=False)
    K: tuple[sp.Symbol, ...] = field(init=False, repr=False, compare=False)
    S: tuple[sp.Symbol, ...] = field(init=False, repr=False, compare=False)
    D: tuple[sp.Symbol, ...] = field(init=False, repr=False, compare=False)
    P: tuple[sp.Symbol, ...] = field(init=False, repr=False, compare=False)
    Ho: tuple[sp.Symbol, ...] = field(init=False, repr=False, compare=False)
    P_high: tuple[sp.Symbol, ...] = field(init=False, repr=False, compare=False)
    n: sp.Symbol = field(init=False, repr=False, compare=False)
    gam: sp.Symbol = field(init=False, repr=False, compare=False)
    o: sp.Symbol = field(init=False, repr=False, compare=False)
    c: sp.Symbol = field(init=False, repr=False, compare=False)
    i: tuple[sp.Symbol, ...] = field(init=False, repr=False, compare=False)
    a: tuple[sp.Symbol, ...] = field(init=False, repr=False, compare=False)
    n_: sp.Symbol = field(init=False, repr=False, compare=False)
    gam_: sp.Symbol = field(init=False, repr=False, compare=False)
    o_: sp.Symbol = field(init=False, repr=False, compare=False)
    c_: sp.Symbol = field(init=False, repr=False, compare=False)
    u_: tuple[sp.Symbol, ...] = field(init=False, repr=False, compare=False)
    a_: tuple[sp.Symbol, ...] = field(init=False, repr=False, compare=False)

    def group(self, *rest: Any) -> tuple[Any, ...]:
        """``(γ, *rest)`` when grouped, else ``rest``: the group index is left out with one group."""
        return ((self.gam,) if self.grouped else ()) + rest

    def group_size(self, *rest: Any) -> tuple[Any, ...]:
        """``(G, *rest)`` when grouped, else ``rest``: sizes in the same layout as :meth:`group`."""
        return ((self.G,) if self.grouped else ()) + rest

    def group_(self, *rest: Any) -> tuple[Any, ...]:
        return ((self.gam_,) if self.grouped else ()) + rest

    def layout(self, *kinds: str) -> Layout:
        return (("g",) if self.grouped else ()) + kinds

    def size_symbols(self) -> tuple[sp.Symbol, ...]:
        return (self.N, self.G, self.C, self.O) + self.H + self.K + (() if self.unit else self.S + self.D) \
            + self.P + self.Ho

    def shown(self) -> dict[sp.Symbol, sp.Expr]:
        """What the printed steps write for the output size at stride 1 and dilation 1: H + P + P_high − K + 1
        (H + 2P − K + 1 with even padding), so a reader meets no output-size symbol; empty otherwise.

        The steps are checked with H^o as a size of its own (random sizes satisfy this identity), so writing
        it out changes only how they read.
        """
        if not self.unit or self.transposed:
            return {}
        high = self.P if self.symmetric else self.P_high
        return {ho: h + p + q - k + 1 for ho, h, p, q, k in zip(self.Ho, self.H, self.P, high, self.K)}

    def latex_names(self) -> dict[sp.Symbol, str]:
        """How the printer writes the symbols whose names are not LaTeX already."""
        names: dict[sp.Symbol, str] = {self.gam: r"\gamma", self.gam_: r"\gamma'"}
        for k, sym in enumerate(self.P_high):
            names[sym] = r"P^{\mathrm{high}}" + (f"_{{{k + 1}}}" if self.ndim > 1 else "")
        for group in (self.u_, self.a_):
            for sym in group:
                base = sym.name.rstrip("'")
                names[sym] = sp.latex(sp.Symbol(base)) + "'"
        return names


@dataclass(frozen=True)
class Factor:
    """One indexed tensor in a product: ``tensor[index...]``."""

    tensor: str
    index: tuple[sp.Expr, ...]

    def subs(self, mapping: Mapping[sp.Symbol, sp.Expr]) -> "Factor":
        return Factor(self.tensor, tuple(sp.expand(e.xreplace(dict(mapping))) for e in self.index))


@dataclass(frozen=True)
class Term:
    """``sum over limits of (product of factors) * (product of deltas)``."""

    factors: tuple[Factor, ...]
    deltas: tuple[tuple[sp.Expr, sp.Expr], ...]
    limits: tuple[tuple[sp.Symbol, sp.Expr, sp.Expr], ...]

    def subs(self, mapping: Mapping[sp.Symbol, sp.Expr], drop: Iterable[sp.Symbol] = ()) -> "Term":
        """Substitute index symbols everywhere and drop the named summations."""
        dropped = set(drop)
        m = dict(mapping)
        return Term(tuple(f.subs(m) for f in self.factors),
                    tuple((sp.expand(l.xreplace(m)), sp.expand(r.xreplace(m))) for l, r in self.deltas),
                    tuple(lim for lim in self.limits if lim[0] not in dropped))

    def bound(self) -> set[sp.Symbol]:
        return {lim[0] for lim in self.limits}

    def to_sympy(self, bases: Mapping[str, sp.IndexedBase]) -> sp.Expr:
        body = sp.Mul(*[bases[f.tensor][f.index] for f in self.factors],
                      *[sp.KroneckerDelta(l, r, evaluate=False) for l, r in self.deltas], evaluate=False)
        return sp.Sum(body, *self.limits) if self.limits else body


def from_sympy(expr: sp.Expr) -> Term:
    """Read a derivative that SymPy produced back into a :class:`Term` (nested sums are flattened)."""
    limits: list[tuple[sp.Symbol, sp.Expr, sp.Expr]] = []
    factors: list[Factor] = []
    deltas: list[tuple[sp.Expr, sp.Expr]] = []

    def walk(e: sp.Expr) -> None:
        if isinstance(e, sp.Sum):
            limits.extend(tuple(lim) for lim in e.limits)
            walk(e.function)
        elif isinstance(e, sp.Mul):
            for arg in e.args:
                walk(arg)
        elif isinstance(e, sp.Indexed):
            factors.append(Factor(str(e.base.label), tuple(e.indices)))
        elif isinstance(e, sp.KroneckerDelta):
            deltas.append((e.args[0], e.args[1]))
        elif e == 1:
            return
        else:
            raise ValueError(f"unexpected part {e!r} in a derivative")

    walk(expr)
    return Term(tuple(factors), tuple(deltas), tuple(limits))


@dataclass(frozen=True)
class TensorInfo:
    """A tensor that may appear in a Term: its layout, index ranges, and how to compute it."""

    name: str
    latex: str
    layout: Layout
    shape: tuple[sp.Expr, ...]
    op: ops.Expr
    definition: str = ""           # LaTeX of its definition, shown where it is introduced


def join_groups(layout: Layout, index: Sequence[Any], shape: Sequence[Any]) -> tuple[list[Any], list[Any], Any]:
    """A Term-layout index as a PyTorch-layout one: a group axis joins the channel axis after it (γ·C + c).

    Returns (the PyTorch index, the PyTorch shape, whether the index is in range). The one place the join is
    written: it works on ints and, elementwise, on NumPy arrays of indices.

    >>> join_groups(("n", "g", "c", "s"), (0, 1, 2, 3), (1, 2, 3, 4))
    ([0, 5, 3], [1, 6, 4], True)
    >>> join_groups(("n", "c", "s"), (0, 0, 4), (1, 1, 4))[2]
    False
    """
    out: list[Any] = []
    dims: list[Any] = []
    ok: Any = True
    group = None
    for kind, value, size in zip(layout, index, shape):
        ok = ok & (value >= 0) & (value < size)
        if kind == "g":
            group = (value, size)
        elif kind == "c" and group is not None:
            out.append(group[0] * size + value)
            dims.append(group[1] * size)
            group = None
        else:
            out.append(value)
            dims.append(size)
    return out, dims, ok


def array_axes(layout: Layout) -> list[int]:
    """The PyTorch array axis of each layout position (a group axis shares the following channel's axis)."""
    out, axis = [], 0
    for kind in layout:
        out.append(axis)
        if kind != "g":          # the group's axis is the next channel's: join_groups' rule
            axis += 1
    return out


def _array_index(info: TensorInfo, index: tuple[int, ...], shape: tuple[int, ...]) -> tuple[int, ...] | None:
    """Map an index in the Term layout to the PyTorch array index; None when out of range (value 0)."""
    out, _, ok = join_groups(info.layout, index, shape)
    return tuple(out) if ok else None


@functools.lru_cache(maxsize=4096)
def _compiled(term: Term) -> tuple[Any, tuple[sp.Symbol, ...]]:
    """The Term's index expressions as one Python function of (every other symbol, bound indices)."""
    exprs = [e for f in term.factors for e in f.index] + [l - r for l, r in term.deltas]
    bound = tuple(lim[0] for lim in term.limits)
    others = set().union(*(as_expr(e).free_symbols for e in exprs)) - set(bound)
    others |= set().union(*(as_expr(lo).free_symbols | as_expr(hi).free_symbols for _, lo, hi in term.limits))
    params = tuple(sorted(others, key=str))
    return sp.lambdify(params + bound, exprs, "math"), params


def evaluate_term(term: Term, tensors: Mapping[str, TensorInfo], env: Mapping[str, np.ndarray],
                  sizes: Mapping[sp.Symbol, int], free: Mapping[sp.Symbol, int]) -> Any:
    """The Term's value at concrete sizes, arrays and free indices; out-of-range entries are 0."""
    arrays = {f.tensor: np.asarray(tensors[f.tensor].op.evaluate(env, sizes)) for f in term.factors}
    shapes = {name: tuple(int(as_expr(s).xreplace(dict(sizes))) for s in tensors[name].shape)
              for name in arrays}
    ranges = [range(int(as_expr(lo).xreplace(dict(sizes))), int(as_expr(hi).xreplace(dict(sizes))) + 1)
              for _, lo, hi in term.limits]
    fn, params = _compiled(term)
    fixed = {**sizes, **free}
    head = [fixed[p] for p in params]
    total: Any = 0
    nfac = sum(len(f.index) for f in term.factors)
    for values in itertools.product(*ranges):
        idx = [int(v) for v in fn(*head, *values)]
        if any(idx[nfac:]):
            continue
        prod: Any = 1
        pos = 0
        for f in term.factors:
            at = _array_index(tensors[f.tensor], tuple(idx[pos:pos + len(f.index)]), shapes[f.tensor])
            pos += len(f.index)
            if at is None:
                prod = 0
                break
            prod = prod * arrays[f.tensor][at]
        total += prod
    return total
