"""Proofs for every size: the closed forms against the definition, decided by Presburger arithmetic (isl).

L = Σ g·y is trilinear, so each gradient is a sum of monomials: ∂L/∂x[u] = Σ g[j]·h[k] over a set of index
triples (u, j, k); ∂L/∂h and ∂L/∂b likewise. For a fixed stride and dilation, those sets are *Presburger
sets* in the sizes: affine constraints and floor divisions by constants in N, G, C_in/G, C_out/G, every input
size H, kernel size K and padding (low P and high Q). Two readings give them:

- the **definition**: the index expression of ∂L/∂x that SymPy differentiates from y = x ⊗ h
  (:func:`symconv.derivation.engine.definition`), read term by term (its factors, Kronecker deltas and limits) — never
  a closed form;
- the **closed form**: each operator's affine relation (:meth:`symconv.derivation.ops.Expr.relation`), composed.

The proof of one gradient, every size at once: the closed form can be evaluated (its pads and windows fit),
its result has the gradient's shape, the two sets of monomials are equal, and both maps from summation
indices to monomials are injective (so no monomial is counted twice and every coefficient is 1). When a
condition fails, the counterexample has the smallest sizes: isl's lexicographic minimum of (sum of the
sizes, N, G, C, O, K, P, Q, H), symmetric padding preferred.

>>> proof = prove(1, grouped=False, bias=False, stride=(2,), dilation=(1,))
>>> proof.ok, proof.statement
(True, 'for every N, C_in, C_out, H, K, P_low, P_high at stride 2, dilation 1')
>>> from symconv.proof.mutants import mutate
>>> wrong = {k: mutate(v, "no_rotation") for k, v in general_forms(1, False, False, (1,), (1,)).items()}
>>> print(prove(1, False, False, (1,), (1,), wrong).counterexample)
at C_in = 1, C_out = 1, H = 2, K = 2, P = 0: ∂L/∂x[0,0,0] should contain g[0,0,0]·h[0,0,0] but the formula gives g[0,0,0]·h[0,0,1]
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import math
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence

import sympy as sp

from ..derivation import ops, threads
from ..derivation.affine import KINDS, IndexSpace, tup
from ..derivation.forms import derive_general
from ..derivation.engine import base_tensors, definition, definition_pad, definition_slice, definition_transposed
from ..errors import SymconvError, UnsupportedError
from ..derivation.index import Symbols, Term, from_sympy


class _LazyIsl:
    """islpy, imported at the first use of ``isl.<name>``: a stored proof unpickles this module (its
    :class:`Proof` and :class:`Counterexample` are plain data), and a command that only reads stored proofs
    should not pay for loading isl (about 35 ms)."""

    def __getattr__(self, name: str) -> Any:
        import islpy
        globals()["isl"] = islpy
        return getattr(islpy, name)


isl: Any = _LazyIsl()

TARGETS = {"grad_input": "x", "grad_weight": "h", "grad_bias": "b", "grad_output": "g"}
# The order of a monomial's factors once the gradient's own index is put first. ∂L/∂g is y itself (the
# double backward's ggO is made of forward passes): proved only when asked for (``targets``).
OTHERS = {"x": ("g", "h"), "h": ("x", "g"), "b": ("g",), "g": ("x", "h")}
# An operator of one input that moves entries (slicing, padding): ∂L/∂x[u] is a sum of entries of g.
UNARY_OTHERS = {"x": ("g",)}


def _others(space: IndexSpace, tensor: str) -> tuple[str, ...]:
    return OTHERS[tensor] if "h" in space.shapes else UNARY_OTHERS[tensor]


# ------------------------------------------------------------------------------------------- the space

def _axis_name(base: str, ndim: int, k: int) -> str:
    return base if ndim == 1 else f"{base}{k + 1}"


@dataclass(frozen=True)
class Fixed:
    """Sizes fixed to numbers beside the stride and dilation: a concrete configuration's kernel size, padding
    (low, high) per axis and group count. ``None`` leaves that size a parameter (every value).

    >>> Fixed(kernel_size=(3, 3), pads=((1, 1), (1, 1))).words()
    'K = 3, P = 1'
    """

    kernel_size: tuple[int, ...] | None = None
    pads: tuple[tuple[int, int], ...] | None = None
    groups: int | None = None
    output_padding: tuple[int, ...] | None = None     # a transposed convolution's, fixed with its padding

    def check(self, ndim: int, grouped: bool) -> None:
        def whole(v: Any, least: int) -> bool:
            return isinstance(v, int) and not isinstance(v, bool) and v >= least
        if self.kernel_size is not None and (len(self.kernel_size) != ndim
                                             or not all(whole(k, 1) for k in self.kernel_size)):
            raise UnsupportedError(f"a fixed kernel size needs {ndim} positive integers, "
                                   f"got {self.kernel_size}")
        if self.pads is not None and (len(self.pads) != ndim or not all(
                len(p) == 2 and whole(p[0], 0) and whole(p[1], 0) for p in self.pads)):
            raise UnsupportedError(f"fixed padding needs {ndim} (low, high) pairs of non-negative integers, "
                                   f"got {self.pads}")
        if self.groups is not None and (not whole(self.groups, 1) or (not grouped and self.groups != 1)):
            raise UnsupportedError(f"a fixed group count needs a positive integer (1 when not grouped), "
                                   f"got {self.groups}")

    def words(self) -> str:
        """"G = 2, K = 3, P = 1": what is fixed, as symconv prints sizes ("" when nothing is)."""
        one = lambda v: str(v[0]) if len(set(v)) == 1 else "(" + ", ".join(map(str, v)) + ")"  # noqa: E731
        parts = [f"G = {self.groups}"] if self.groups is not None and self.groups != 1 else []
        if self.kernel_size is not None:
            parts.append(f"K = {one(self.kernel_size)}")
        if self.pads is not None:
            parts.append(f"P = {ops._fmt_widths(self.pads)}")
        if self.output_padding is not None:
            parts.append(f"R = {one(self.output_padding)}")     # the output padding (--output-padding R)
        return ", ".join(parts)

    def sizes(self, ndim: int, grouped: bool) -> dict[str, int]:
        """The fixed values under their isl parameter names (G, K1, P1, Q1, ...)."""
        out = {"G": self.groups} if grouped and self.groups is not None else {}
        for k in range(ndim):
            if self.kernel_size is not None:
                out[_axis_name("K", ndim, k)] = self.kernel_size[k]
            if self.pads is not None and self.output_padding is not None:
                out[_axis_name("P", ndim, k)] = self.pads[k][0]
                out[_axis_name("R", ndim, k)] = self.output_padding[k]
            elif self.pads is not None:
                out[_axis_name("P", ndim, k)], out[_axis_name("Q", ndim, k)] = self.pads[k]
        return out


def index_space(ndim: int, grouped: bool, stride: tuple[int, ...], dilation: tuple[int, ...],
                fixed: Fixed | None = None, transposed: bool = False) -> tuple[IndexSpace, Symbols]:
    """The isl space of one structure at one stride and dilation: every other size a parameter.

    Parameters (in the order a counterexample minimises them): N, G (when grouped), C = C_in/G, O = C_out/G,
    then per axis K, P (low padding), Q (high padding), H, and the output size Ho, which the context defines:
    S·(Ho − 1) ≤ H + P + Q − D(K − 1) − 1 < S·Ho. With ``fixed``, its kernel size, padding and group count
    are numbers instead of parameters (a concrete configuration, proved for every N, C_in, C_out and input
    size).
    """
    fixed = fixed or Fixed()
    fixed.check(ndim, grouped)
    if transposed:
        return _transposed_space(ndim, grouped, stride, dilation, fixed)

    def axis(K: str, P: str, Q: str, H: str, Ho: str, s: int, d: int) -> list[str]:
        span = f"{H} + {P} + {Q} - {d}*({K} - 1) - 1"
        return [f"{K} >= 1", f"{P} >= 0", f"{Q} >= 0", f"{H} >= 1", f"{span} >= 0",
                f"{s}*({Ho} - 1) <= {span} < {s}*{Ho}"]
    return _conv_space(ndim, grouped, stride, dilation, fixed, "Q", lambda k: str(fixed.pads[k][1]), axis, False)


def _transposed_space(ndim: int, grouped: bool, stride: tuple[int, ...], dilation: tuple[int, ...],
                      fixed: Fixed) -> tuple[IndexSpace, Symbols]:
    """:func:`index_space` of a transposed convolution: per axis K, P (its padding, both sides), R (its
    output padding, 0 ≤ R < max(S, D) as PyTorch allows), H, and the output size the context defines,
    Ho = S(H − 1) − 2P + D(K − 1) + R + 1 ≥ 1. The kernel is laid out (G, C, O, K...): C_in first."""
    def axis(K: str, P: str, R: str, H: str, Ho: str, s: int, d: int) -> list[str]:
        return [f"{K} >= 1", f"{P} >= 0", f"0 <= {R} < {max(s, d)}", f"{H} >= 1",
                f"{Ho} = {s}*({H} - 1) - 2*{P} + {d}*({K} - 1) + {R} + 1", f"{Ho} >= 1"]
    return _conv_space(ndim, grouped, stride, dilation, fixed, "R",
                  lambda k: str((fixed.output_padding or (0,) * ndim)[k]), axis, True)


def _conv_space(ndim: int, grouped: bool, stride: tuple[int, ...], dilation: tuple[int, ...], fixed: Fixed,
                     third: str, third_fixed: Callable[[int], str], axis: Callable[..., list[str]], transposed: bool
                ) -> tuple[IndexSpace, Symbols]:
    """The space both operators share: N, G, C, O and per axis K, P, ``third`` (Q, the padding after the axis;
    or R, the output padding), H and Ho as parameters (numbers where ``fixed`` gives them), each axis's
    context from ``axis(K, P, third, H, Ho, s, d)``."""
    sym = Symbols(ndim, grouped)
    names: dict[sp.Symbol, str] = {sym.N: "N", sym.C: "C", sym.O: "O"}
    values: dict[sp.Symbol, int] = {}
    if grouped and fixed.groups is None:
        names[sym.G] = "G"
    else:
        values[sym.G] = fixed.groups or 1
    params = ["N"] + (["G"] if sym.G in names else []) + ["C", "O"]
    context = ["N >= 1", "C >= 1", "O >= 1"] + (["G >= 1"] if sym.G in names else [])
    per_axis = {b: [_axis_name(b, ndim, k) for k in range(ndim)] for b in ("K", "P", third, "H", "Ho")}
    for b in ("K", "P", third, "H"):
        if b == "K" and fixed.kernel_size is not None or b in ("P", third) and fixed.pads is not None:
            continue
        params += per_axis[b]
    params += per_axis["Ho"]
    for k in range(ndim):
        K, P, T, H, Ho = (per_axis[b][k] for b in ("K", "P", third, "H", "Ho"))
        s, d = stride[k], dilation[k]
        names.update({sym.H[k]: H, sym.Ho[k]: Ho})
        values.update({sym.S[k]: s, sym.D[k]: d})
        if fixed.kernel_size is None:
            names[sym.K[k]] = K
        else:
            values[sym.K[k]] = K = str(fixed.kernel_size[k])          # type: ignore[assignment]
        if fixed.pads is None:
            names[sym.P[k]] = P
        else:
            values[sym.P[k]] = fixed.pads[k][0]
            P, T = str(fixed.pads[k][0]), third_fixed(k)
        context += axis(K, P, T, H, Ho, s, d)
    G = sym.G if sym.G in names else values[sym.G]
    kernel = (G, sym.C, sym.O) if transposed else (G, sym.O, sym.C)
    shapes = {"x": (sym.N, G, sym.C) + sym.H, "h": kernel + sym.K,
              "g": (sym.N, G, sym.O) + sym.Ho, "b": (G, sym.O)}
    space = IndexSpace(ndim, tuple(params), names, values, shapes, G, " and ".join(context))
    return space, sym


def _uniform(layout: tuple[str, ...], index: Sequence[str]) -> list[str]:
    """A Term-layout index in the uniform layout: without a group axis, γ = 0 goes before the channel."""
    index = list(index)
    if "g" not in layout:
        index.insert(layout.index("c"), "0")
    return index


# ------------------------------------------------------------------------------------- the definition

def _free(sym: Symbols, tensor: str, transposed: bool = False) -> tuple[sp.Symbol, ...]:
    if tensor == "x":
        return (sym.n_,) + sym.group_(sym.c_) + sym.u_
    if tensor == "h" and transposed:
        return sym.group_(sym.c_, sym.o_) + sym.a_
    if tensor == "h":
        return sym.group_(sym.o_, sym.c_) + sym.a_
    if tensor == "g":
        return (sym.n_,) + sym.group_(sym.o_) + sym.u_
    return sym.group_(sym.o_)


@functools.lru_cache(maxsize=None)
def derivative_term(ndim: int, grouped: bool, bias: bool, tensor: str,
                    transposed: bool = False) -> tuple[Term, tuple[sp.Symbol, ...]]:
    """∂L/∂tensor[free] as a Term (factors, deltas, limits), as SymPy differentiates the definition."""
    sym = Symbols(ndim, grouped)
    _, L, _ = (definition_transposed if transposed else definition)(sym, bias)
    free = _free(sym, tensor, transposed)
    return from_sympy(L.diff(sp.IndexedBase(tensor)[free])), free


def definition_relation(space: IndexSpace, sym: Symbols, bias: bool, tensor: str) -> isl.Map:
    """{ [free index → summation index] → [tensor[free] → [other factors]] }: the definition's terms of
    ∂L/∂tensor, read from the Term of its derivative (limits, deltas, and every factor's index in range)."""
    term, free = derivative_term(sym.ndim, sym.grouped, bias, tensor)
    return _definition_map(space, sym, term, free, tensor)


def _definition_map(space: IndexSpace, sym: Symbols, term: Term, free: tuple[sp.Symbol, ...],
                    tensor: str, tensors: Mapping[str, Any] | None = None) -> isl.Map:
    # ``tensors``: the layouts of an operator whose x and g are not the convolution's (unfold, fold)
    tensors = tensors or base_tensors(sym)
    local = {v: f"f{k}" for k, v in enumerate(free)}
    local.update({lim[0]: f"s{k}" for k, lim in enumerate(term.limits)})
    text = {f.tensor: _uniform(tensors[f.tensor].layout, [space.aff(e, local) for e in f.index])
            for f in term.factors}
    own = _uniform(tensors[tensor].layout, [local[v] for v in free])
    if sorted(text) != sorted(_others(space, tensor)):
        raise SymconvError(f"the derivative of L by {tensor} has factors {sorted(text)}")
    conds = [f"{space.aff(lo)} <= {local[v]} <= {space.aff(hi)}" for v, lo, hi in term.limits]
    conds += [f"{space.aff(lhs, local)} = {space.aff(rhs, local)}" for lhs, rhs in term.deltas]
    conds.append(space.box(own, space.shapes[tensor]))
    conds += [space.box(idx, space.shapes[name]) for name, idx in text.items()]
    others = [tup(text[name], name) for name in _others(space, tensor)]
    mono = f"[{tup(own, tensor)} -> {others[0] if len(others) == 1 else f'[{others[0]} -> {others[1]}]'}]"
    dom = f"[{tup([local[v] for v in free])} -> {tup([local[lim[0]] for lim in term.limits])}]"
    return space.map(dom, mono, ' and '.join(conds))


# ---------------------------------------------------------------------------------------- closed forms

def form_relation(space: IndexSpace, form: ops.Expr, tensor: str) -> isl.Map:
    """{ [result index → summation index] → [tensor[result index] → [other factors]] } of a closed form
    (a correlation, a batch correlation or a sum over axes), its factors in the definition's order."""
    want = _others(space, tensor)
    if ops._only_moves(form) and (len(want) > 1 or _leaf(form) != want[0]):
        # entries of one tensor, moved: no product of the gradient's factors
        sums = f"products of {' and '.join(want)}" if len(want) > 1 else f"entries of {want[0]}"
        raise _Mismatch(f"the formula's entries are entries of {_leaf(form)}, but ∂L/∂{tensor} sums {sums}")
    if ops._only_moves(form):
        # Entries of g moved (slicing's or padding's gradient): each result entry is one term, summed over
        # nothing: [r → []] → g[...].
        v = [f"r{k}" for k in range(len(form.extent(space).sizes))]
        terms = space.map(f"[{tup(v)} -> []]", tup(v), "true").apply_range(form.relation(space))
    else:
        terms = form.relation(space)
    if not isinstance(terms, isl.Map) or not terms.domain().is_wrapping():
        raise UnsupportedError(f"{form} is not a correlation or a sum over axes")
    rng = terms.range()
    if rng.is_wrapping():
        pair = rng.unwrap()
        names = (pair.get_tuple_name(isl.dim_type.in_), pair.get_tuple_name(isl.dim_type.out))
        if names == want[::-1]:
            terms = terms.range_reverse()
            names = want
    else:
        names = (rng.get_tuple_name(),)
    if names != want:
        raise _Mismatch(f"the formula multiplies {' and '.join(names)}, but ∂L/∂{tensor} needs "
                        f"{' and '.join(want)}")
    own = terms.domain().unwrap().domain_map()
    if _readable_as(form.extent(space), KINDS[tensor], space) and ops.as_kind(
            form.extent(space), KINDS[tensor], space)[1]:
        # A result of the other kind read as the gradient's (data (c, 0, o) as a kernel (0, c, o), see
        # ops.as_kind): its first two positions exchanged.
        v = [f"r{k}" for k in range(len(form.extent(space).sizes))]
        own = own.apply_range(space.map(tup(v), tup([v[1], v[0]] + v[2:]), "true"))
    own = own.set_tuple_name(isl.dim_type.out, tensor)
    return own.range_product(terms)


def _leaf(expr: ops.Expr) -> str:
    while not isinstance(expr, ops.Tensor):
        expr = expr.arg  # type: ignore[attr-defined]
    return expr.name


class _Mismatch(Exception):
    """A closed form that multiplies the wrong tensors: wrong at every size."""


# ------------------------------------------------------------------------------------------ the proof

@dataclass(frozen=True)
class Counterexample:
    """The smallest sizes at which a closed form is wrong, the gradient entry, and what goes wrong there.

    ``kind`` is ``missing`` (a monomial of the definition the formula lacks), ``extra`` (one it adds),
    ``doubled`` (one it counts ``count`` times), ``undefined`` (the formula cannot be evaluated) or
    ``shape`` (its result has another shape). Indices are PyTorch's (the channel joins group and channel).
    """

    target: str
    kind: str
    sizes: Mapping[str, int]               # isl parameter -> value (N, G, C, O, K, P, Q, H, Ho ...)
    ndim: int
    grouped: bool
    stride: tuple[int, ...]
    dilation: tuple[int, ...]
    entry: tuple[int, ...] = ()
    monomial: tuple[tuple[str, tuple[int, ...]], ...] = ()
    formula: tuple[tuple[tuple[str, tuple[int, ...]], ...], ...] = ()   # the other side at that entry
    count: int = 0
    reason: str = ""
    transposed: bool = False                # a transposed convolution's (sizes hold R, not Q)
    op: str = "conv"                        # or slice, pad (sizes hold P and the output size, no kernel)
    # the double backward's claims are proved as first-order forms: the result's name (gI, gW, ggO) and the
    # tensors' (x read as ggI ...) put back when printed
    lhs: str = ""
    names: tuple[tuple[str, str], ...] = ()

    def _axis(self, base: str) -> list[int]:
        return [self.sizes[_axis_name(base, self.ndim, k)] for k in range(self.ndim)]

    @property
    def batch(self) -> int:
        return self.sizes["N"]

    @property
    def groups(self) -> int:
        return self.sizes.get("G", 1)

    @property
    def in_channels(self) -> int:
        return self.groups * self.sizes["C"]

    @property
    def out_channels(self) -> int:
        return self.groups * self.sizes["O"]

    @property
    def input_size(self) -> tuple[int, ...]:
        return tuple(self._axis("H"))

    @property
    def kernel_size(self) -> tuple[int, ...]:
        return tuple(self._axis("K"))

    @property
    def pads(self) -> tuple[tuple[int, int], ...]:
        if self.transposed:
            return tuple(zip(self._axis("P"), self._axis("P")))
        return tuple(zip(self._axis("P"), self._axis("Q")))

    @property
    def output_padding(self) -> tuple[int, ...]:
        return tuple(self._axis("R")) if self.transposed else (0,) * self.ndim

    def symbol_values(self, sym: Symbols) -> dict[sp.Symbol, int]:
        """Every size symbol of :class:`symconv.derivation.index.Symbols`, to evaluate a general closed form here."""
        out = {sym.N: self.batch, sym.G: self.groups, sym.C: self.sizes["C"], sym.O: self.sizes["O"]}
        for k in range(self.ndim):
            out.update({sym.H[k]: self.input_size[k], sym.K[k]: self.kernel_size[k],
                        sym.P[k]: self.pads[k][0],
                        sym.S[k]: self.stride[k], sym.D[k]: self.dilation[k],
                        sym.Ho[k]: self.sizes[_axis_name("Ho", self.ndim, k)]})
        return out

    def where(self) -> str:
        """"C_in = 1, C_out = 1, H = 2, K = 2, P = 1": the sizes a student would set."""
        if self.op in ("slice", "pad"):
            return self._where_unary()
        if self.op in ("unfold", "fold"):       # (presburger_fold's; its columns indexed (n, c, a..., i...))
            return ", ".join(([f"N = {self.batch}"] if self.batch != 1 else []) + [f"C = {self.sizes['C']}"] + [
                f"{a} = {n}" for a, n in zip(("H",) if self.ndim == 1 else ("H", "W") if self.ndim == 2
                                             else ("H_1", "H_2", "H_3"), self.input_size)] + [
                f"{b} = {v[0] if len(set(v)) == 1 else tuple(v)}" for b, v in (
                    ("K", self._axis("K")), ("P", self._axis("P")), ("blocks", self._axis("Ho")))])
        parts = [f"N = {self.batch}"] if self.batch != 1 else []
        if self.grouped:
            parts.append(f"G = {self.groups}")
        parts += [f"C_in = {self.in_channels}", f"C_out = {self.out_channels}"]
        axes = ("H",) if self.ndim == 1 else ("H", "W") if self.ndim == 2 else ("H_1", "H_2", "H_3")
        one = lambda v: str(v[0]) if len(set(v)) == 1 else "(" + ", ".join(map(str, v)) + ")"  # noqa: E731
        parts += [f"{a} = {n}" for a, n in zip(axes, self.input_size)]
        parts.append(f"K = {one(self.kernel_size)}")
        parts.append(f"P = {ops._fmt_widths(self.pads)}")     # ((low, high) per axis) as symconv prints
        if self.transposed:
            parts.append(f"R = {one(self.output_padding)}")     # the output padding (--output-padding R)
        return ", ".join(parts)

    def _where_unary(self) -> str:
        one = lambda v: str(v[0]) if len(set(v)) == 1 else "(" + ", ".join(map(str, v)) + ")"  # noqa: E731
        parts = ([f"N = {self.batch}"] if self.batch != 1 else []) + [f"C = {self.sizes['C']}"]
        axes = ("H",) if self.ndim == 1 else ("H", "W") if self.ndim == 2 else ("H_1", "H_2", "H_3")
        parts += [f"{a} = {n}" for a, n in zip(axes, self.input_size)]
        if self.op == "pad":
            parts.append(f"P = {ops._fmt_widths(tuple(zip(self._axis('P'), self._axis('Q'))))}")
        else:
            parts += [f"start = {one(self._axis('P'))}", f"step = {one(self.stride)}",
                      f"{'H^o' if self.ndim == 1 else 'outputs'} = {one(self._axis('Ho'))}"]
        return ", ".join(parts)

    def __str__(self) -> str:
        tensor = TARGETS[self.target]
        entry = f"{self.lhs or '∂L/∂' + tensor}[{','.join(map(str, self.entry))}]"
        names = dict(self.names)
        mono = _show(self.monomial, names)
        gives = " + ".join(_show(m, names) for m in self.formula) or "0"
        at = f"at {self.where()}: "
        if self.kind == "missing":
            return at + f"{entry} should contain {mono} but the formula gives {gives}"
        if self.kind == "extra":
            return at + (f"{entry} should not contain {mono}, which the formula gives; "
                         f"the definition gives {gives}")
        if self.kind == "doubled":
            return at + f"the formula counts {mono} in {entry} {self.count} times; the definition has it once"
        return at + f"{self.lhs or '∂L/∂' + tensor}: {self.reason}"


def _show(mono: Sequence[tuple[str, tuple[int, ...]]], names: Mapping[str, str] | None = None) -> str:
    return "·".join(f"{(names or {}).get(name, name)}[{','.join(map(str, idx))}]" for name, idx in mono)


@dataclass(frozen=True)
class Result:
    """One gradient's proof: ``ok``, or the counterexample (``None`` with ``detail`` when unsupported)."""

    target: str
    ok: bool
    counterexample: Counterexample | None = None
    detail: str = ""


@dataclass(frozen=True)
class Proof:
    """The closed forms of one structure at one stride and dilation, proved (or refuted) for every size."""

    ndim: int
    grouped: bool
    bias: bool
    stride: tuple[int, ...]
    dilation: tuple[int, ...]
    results: tuple[Result, ...]
    seconds: float
    statement: str = field(default="")
    transposed: bool = False
    op: str = "conv"

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.results)

    @property
    def counterexample(self) -> Counterexample | None:
        return next((r.counterexample for r in self.results if r.counterexample is not None), None)


def _statement(ndim: int, grouped: bool, stride: tuple[int, ...], dilation: tuple[int, ...],
               fixed: Fixed | None = None, transposed: bool = False) -> str:
    fixed = fixed or Fixed()
    axes = ("H",) if ndim == 1 else ("H", "W") if ndim == 2 else ("H_1", "H_2", "H_3")
    sizes = ["N"] + (["G"] if grouped and fixed.groups is None else []) + ["C_in", "C_out"] + list(axes)
    sizes += ([] if fixed.kernel_size is not None else ["K"]) + (
        [] if fixed.pads is not None else ["P", "R < max(S, D)"] if transposed else ["P_low", "P_high"])
    one = lambda v: str(v[0]) if len(set(v)) == 1 else "(" + ", ".join(map(str, v)) + ")"  # noqa: E731
    at = f"{fixed.words()}, " if fixed.words() else ""
    least = _least_input(fixed, dilation, stride if transposed else None)
    if any(m > 1 for m in least):
        # The proof covers the sizes with a non-empty output (the context): name them.
        shown = [f"{a} ≥ {m}" if m > 1 else a for a, m in zip(axes, least)]
        head = f"{', '.join(s for s in sizes if s not in axes)} and every {', '.join(shown)} (a non-empty output)"
        return f"for every {head} at {at}stride {one(stride)}, dilation {one(dilation)}"
    return f"for every {', '.join(sizes)} at {at}stride {one(stride)}, dilation {one(dilation)}"


def _least_input(fixed: Fixed, dilation: tuple[int, ...], transposed_stride: tuple[int, ...] | None = None
                 ) -> tuple[int, ...]:
    """The smallest input size per axis with a non-empty output, D(K - 1) + 1 - P_low - P_high (at least 1),
    when the kernel size and padding are fixed; 1 otherwise. A transposed convolution's output
    S(H − 1) − 2P + D(K − 1) + R + 1 is non-empty from H = 1 + ⌈(2P − D(K − 1) − R) / S⌉."""
    if fixed.kernel_size is None or fixed.pads is None:
        return (1,) * len(dilation)
    if transposed_stride is not None:
        rs = fixed.output_padding or (0,) * len(dilation)
        return tuple(max(1, 1 + -(-(2 * lo - d * (k - 1) - r) // s)) for k, d, s, (lo, _), r in zip(
            fixed.kernel_size, dilation, transposed_stride, fixed.pads, rs))
    return tuple(max(1, d * (k - 1) + 1 - lo - hi) for k, d, (lo, hi) in zip(fixed.kernel_size, dilation,
                                                                              fixed.pads))


@dataclass(frozen=True, eq=False)
class _Structure:
    """What one gradient's proof needs: the space, the context, the definition's terms."""

    space: IndexSpace
    sym: Symbols
    context: isl.Set
    definition: isl.Map
    fixed: Mapping[str, int] = field(default_factory=dict)    # sizes fixed to numbers, by parameter name
    transposed: bool = False
    op: str = "conv"


@functools.lru_cache(maxsize=None)
def _space(ndim: int, grouped: bool, stride: tuple[int, ...], dilation: tuple[int, ...],
           fixed: Fixed | None = None, transposed: bool = False) -> tuple[IndexSpace, Symbols, isl.Set]:
    space, sym = index_space(ndim, grouped, stride, dilation, fixed, transposed)
    return space, sym, space.set(f": {space.context}")


@functools.lru_cache(maxsize=None)
def _definition(ndim: int, grouped: bool, stride: tuple[int, ...], dilation: tuple[int, ...], tensor: str,
                term: Term, free: tuple[sp.Symbol, ...], fixed: Fixed | None = None,
                transposed: bool = False) -> _Structure:
    # Keyed by the derivative's Term itself: with or without a bias, ∂L/∂x and ∂L/∂h are the same Term.
    space, sym, context = _space(ndim, grouped, stride, dilation, fixed, transposed)
    rel = _definition_map(space, sym, term, free, tensor).intersect_params(context)
    if not rel.is_injective():
        raise SymconvError(f"the definition's terms of ∂L/∂{tensor} are not injective")
    known = {"G": 1} if not grouped else {}
    return _Structure(space, sym, context, rel, {**known, **(fixed or Fixed()).sizes(ndim, grouped)}, transposed)


def general_forms(ndim: int, grouped: bool, bias: bool, stride: tuple[int, ...],
                  dilation: tuple[int, ...], transposed: bool = False) -> dict[str, ops.Expr]:
    """The engine's closed forms for one structure, with the stride and dilation put in."""
    sym = Symbols(ndim, grouped)
    values = {**dict(zip(sym.S, stride)), **dict(zip(sym.D, dilation))}
    return {k: f.map_sizes(values)
            for k, f in derive_general(ndim, grouped, bias, transposed=transposed).closed.items()}


def prove(ndim: int, grouped: bool, bias: bool, stride: tuple[int, ...], dilation: tuple[int, ...],
          forms: Mapping[str, Any] | None = None, fixed: Fixed | None = None,
          targets: Sequence[str] | None = None, transposed: bool = False) -> Proof:
    """Prove (or refute, with the smallest counterexample) closed forms for every size at this stride and
    dilation. ``forms`` maps ``grad_input``/``grad_weight``/``grad_bias`` to a closed form in the symbols of
    :class:`symconv.derivation.index.Symbols`, or to a sequence of closed forms meaning their sum; by default the
    engine's own forms. ``fixed`` fixes the kernel size, padding or group count to numbers (the statement
    then names them); ``targets`` limits the proof to some gradients. Each gradient's proof is cached (per
    structure, stride, dilation, fixed sizes and form).

    >>> forms = {"grad_input": ops.Correlate(ops.pad(ops.Tensor("g"), ((1, 1),)),
    ...          ops.Rot180(ops.SwapIO(ops.Tensor("h")), 1), (1,), (1,))}
    >>> proof = prove(1, False, False, (1,), (1,), forms, Fixed((3,), ((1, 1),)), ["grad_input"])
    >>> proof.ok, proof.statement
    (True, 'for every N, C_in, C_out, H at K = 3, P = 1, stride 1, dilation 1')
    """
    start = time.perf_counter()
    stride, dilation = tuple(stride), tuple(dilation)
    if len(stride) != ndim or len(dilation) != ndim or not all(
            isinstance(v, int) and v >= 1 for v in stride + dilation):
        raise UnsupportedError(f"stride and dilation need {ndim} positive integers each, got {stride} and "
                               f"{dilation}")
    if forms is None:
        forms = general_forms(ndim, grouped, bias, stride, dilation, transposed) if transposed \
            else general_forms(ndim, grouped, bias, stride, dilation)
    if fixed is not None:
        fixed.check(ndim, grouped)
        if fixed == Fixed() or fixed == Fixed(groups=1):
            fixed = None
    results = []
    for target, tensor in TARGETS.items():
        if tensor == "b" and not bias or targets is not None and target not in targets:
            continue
        if target == "grad_output" and targets is None:
            continue
        if target not in forms:
            results.append(Result(target, False, detail=f"no closed form given for {target}"))
            continue
        form = forms[target]
        parts = tuple(form) if isinstance(form, (list, tuple)) else (form,)
        term, free = derivative_term(ndim, grouped, bias, tensor, transposed)
        results.append(_result(ndim, grouped, stride, dilation, target, term, free, parts, fixed, transposed))
    return Proof(ndim, grouped, bias, stride, dilation, tuple(results), time.perf_counter() - start,
                 _statement(ndim, grouped, stride, dilation, fixed, transposed), transposed)


@functools.lru_cache(maxsize=8192)
def _result(ndim: int, grouped: bool, stride: tuple[int, ...], dilation: tuple[int, ...], target: str,
            term: Term, free: tuple[sp.Symbol, ...], parts: tuple[ops.Expr, ...],
            fixed: Fixed | None = None, transposed: bool = False) -> Result:
    st = _definition(ndim, grouped, stride, dilation, TARGETS[target], term, free, fixed, transposed)
    try:
        spread = tuple(t for p in parts for t in _spread(p, st.space))
        found = _refute(st, target, spread)
    except UnsupportedError as exc:
        return Result(target, False, detail=str(exc))
    if not found:
        return Result(target, True)
    example = _counterexample(st, target, spread, found)
    # A refutation stands only when evaluating the formula and the definition's derivative at its sizes
    # (exact integers and float64) shows the difference; otherwise the formula is undecided, never refuted.
    from .witness import witnessed
    held, why = witnessed(example, parts)
    if not held:
        return Result(target, False, detail=f"the prover's counterexample ({example.where()}) was not confirmed "
                                            f"by evaluating the formula there: {why}")
    return Result(target, False, example, str(example))


# The operands each correlation takes (as ops checks them when it reads one): a formula that correlates the
# wrong kinds of arrays, or swaps the channels of data, is wrong at every size — a counterexample at the
# smallest sizes, not an "unsupported" formula.
_OPERANDS = {ops.Correlate: ("correlate", "data", "kernel"),
             ops.BatchCorrelate: ("batch_correlate", "data", "data")}
_KIND_WORDS = {"data": "data (N, C, ...)", "kernel": "a kernel (C_out, C_in/G, ...)",
               "bias": "a bias (C_out)", "other": "a sum over axes"}


def _readable_as(ext: Any, want: str, space: IndexSpace) -> bool:
    try:
        ops.as_kind(ext, want, space)
    except UnsupportedError:
        return False
    return True


def _misplaced(expr: ops.Expr, space: IndexSpace) -> str | None:
    """Why ``expr`` puts an array where its operator takes another kind, or None."""
    for f in dataclasses.fields(expr):  # type: ignore[arg-type]
        child = getattr(expr, f.name)
        if isinstance(child, ops.Expr):
            found = _misplaced(child, space)
            if found:
                return found
    if isinstance(expr, ops.SwapIO):
        kind = expr.arg.extent(space).kind
        if kind not in ("kernel", "data"):
            return f"{expr} exchanges a kernel's channel axes, but {expr.arg} is {_KIND_WORDS[kind]}"
    if type(expr) in _OPERANDS:
        name, *want = _OPERANDS[type(expr)]
        for operand, role, need in zip((expr.data, expr.kernel), ("first", "second"), want):  # type: ignore
            kind = operand.extent(space).kind
            if not _readable_as(operand.extent(space), need, space):
                return (f"{expr}: {name} takes {_KIND_WORDS[need]} as its {role} operand, but {operand} is "
                        f"{_KIND_WORDS[kind]}")
    return None


MAX_TERMS = 64      # terms of a formula once its sums are multiplied out


def _spread(expr: ops.Expr, space: IndexSpace, top: bool = True) -> list[ops.Expr]:
    """The terms of a formula with every sum inside an operator multiplied out: each operator is linear in
    each operand, so rot180(A + B) = rot180(A) + rot180(B) and correlate(A + B, K) = correlate(A, K) +
    correlate(B, K). A bias (C_out) added to data inside an operator broadcasts; that is not read."""
    if isinstance(expr, ops.AddBias):
        if not top and expr.bias.extent(space).kind == "bias" and expr.arg.extent(space).kind != "bias":
            raise UnsupportedError(f"{expr}: a bias added to data inside an operator is not read")
        return _spread(expr.arg, space, top) + _spread(expr.bias, space, top)
    children = [(f.name, getattr(expr, f.name)) for f in dataclasses.fields(expr)  # type: ignore[arg-type]
                if isinstance(getattr(expr, f.name), ops.Expr)]
    choices = [[(name, t) for t in _spread(child, space, False)] for name, child in children]
    if math.prod(len(c) for c in choices) > MAX_TERMS:
        raise UnsupportedError(f"{expr}: more than {MAX_TERMS} terms once its sums are multiplied out")
    return [dataclasses.replace(expr, **dict(combo)) for combo in itertools.product(*choices)]  # type: ignore


def _remainders(value: Any) -> list[sp.Mod]:
    """The remainders in a size expression, innermost first."""
    if not isinstance(value, sp.Basic):
        return []
    out: list[sp.Mod] = []
    for arg in value.args:
        out += _remainders(arg)
    return out + ([value] if isinstance(value, sp.Mod) else [])


def _invalid(space: IndexSpace, ctx: isl.Set, parts: tuple[ops.Expr, ...]) -> list[tuple[str, isl.Set, Any]]:
    """Every operator parameter checked over the whole size domain: a remainder modulo 0, a stride,
    dilation, factor or group count below 1, a repeated axis or one out of range. Each is refuted where it
    happens (the evaluators refuse it there), as ("undefined", those sizes, why)."""
    found: list[tuple[str, isl.Set, Any]] = []

    def where(cond: str) -> isl.Set:
        return ctx.subtract(space.set(f": {cond}"))

    try:
        for part in parts:
            for node in ops.nodes(part):
                for what, value, least in ops.parameters(node):
                    for m in _remainders(value):
                        bad = where(f"{space.aff(m.args[1])} != 0")
                        if not bad.is_empty():
                            found.append(("undefined", bad, f"{node} has a remainder modulo "
                                                            f"{ops._str(m.args[1])}, which is 0 here"))
                    if least is not None:
                        bad = where(f"{space.aff(value)} >= {least}")
                        if not bad.is_empty():
                            found.append(("undefined", bad, f"{node} has {what} {ops._str(value)}, which must "
                                                            f"be at least {least}"))
                if isinstance(node, ops.SumAxes):
                    twice = sorted({a for a in node.axes if node.axes.count(a) > 1})
                    if twice:
                        found.append(("undefined", ctx, f"{node} sums axis {twice[0]} twice"))
                    rank = len(ops._uniform_axes(node.arg.extent(space)))
                    if any(a >= rank for a in node.axes):
                        found.append(("undefined", ctx, f"{node} sums an axis beyond {node.arg}'s "
                                                        f"{rank} axes"))
    except UnsupportedError:
        if not found:
            raise
    return found


def _covers(bad: isl.Set, ctx: isl.Set) -> bool:
    """Whether a failure happens at every size (no later failure can be smaller)."""
    return bad.params().is_equal(ctx.params())


def _refute(st: _Structure, target: str, parts: tuple[ops.Expr, ...]) -> list[tuple[str, isl.Set, Any]]:
    """[] when the closed form is proved; else every failure found, each (kind, the parametric set of bad
    things, detail), so that the smallest sizes over all of them can be reported."""
    space, ctx, tensor = st.space, st.context, TARGETS[target]
    found = _invalid(space, ctx, parts)
    if any(_covers(bad, ctx) for _, bad, _ in found):
        return found
    try:
        found += _misread(st, target, parts)
    except (UnsupportedError, ZeroDivisionError) as exc:
        if not found:
            raise UnsupportedError(str(exc)) from None
    return found


def _misread(st: _Structure, target: str, parts: tuple[ops.Expr, ...]) -> list[tuple[str, isl.Set, Any]]:
    space, ctx, tensor = st.space, st.context, TARGETS[target]
    want = space.tensor_extent(tensor)
    found: list[tuple[str, isl.Set, Any]] = []
    for part in parts:
        why = _misplaced(part, space)
        if why is not None:
            return found + [("shape", ctx, why)]
    for part in parts:
        for cond, op, why in part.requires(space):
            bad = ctx.subtract(space.set(f": {cond}"))
            if not bad.is_empty():
                found.append(("undefined", bad, f"{op} {why}"))
                if _covers(bad, ctx):
                    return found
        ext = part.extent(space)
        if _readable_as(ext, want.kind, space):
            ext = ops.as_kind(ext, want.kind, space)[0]
        if ext.kind != want.kind or len(ext.sizes) != len(want.sizes):
            return found + [("shape", ctx, f"the formula's result is laid out as {ext.kind}, {tensor} as "
                                          f"{want.kind}")]
        same = " and ".join(f"{space.aff(a)} = {space.aff(b)}" for a, b in zip(ext.sizes, want.sizes))
        bad = ctx.subtract(space.set(f": {same}"))
        if not bad.is_empty():
            found.append(("shape", bad, (part, ext)))
            if _covers(bad, ctx):
                return found
    monos = []
    for part in parts:
        try:
            monos.append(form_relation(space, part, tensor).intersect_params(ctx))
        except _Mismatch as exc:
            return found + [("shape", ctx, str(exc))]
        except UnsupportedError:
            if found:                   # the failures found already are witnessed; this part is unread
                return found
            raise
    defined = st.definition.range()
    # no term at all (a double backward's ggO claim without its conv(x, ggW)): every monomial is missing
    got = monos[0].range() if monos else defined.subtract(defined)
    for m in monos[1:]:
        got = got.union(m.range())
    for kind, bad in (("missing", defined.subtract(got)), ("extra", got.subtract(defined))):
        if not bad.is_empty():
            found.append((kind, bad, None))
    doubled = None
    for j, m in enumerate(monos):
        twice = m.apply_range(m.reverse()).subtract(isl.Map.identity(m.get_space().domain().map_from_set()))
        here = twice.domain().apply(m)
        for other in monos[j + 1:]:
            here = here.union(m.range().intersect(other.range()))
        doubled = here if doubled is None else doubled.union(here)
    if doubled is not None and not doubled.is_empty():
        found.append(("doubled", doubled, monos))
    return found


# ---------------------------------------------------------------------------------- counterexamples

def _smallest(space: IndexSpace, sizes: isl.Set) -> dict[str, int]:
    """The parameter values of a non-empty parameter set with the smallest sum, then lexicographically
    smallest in (N, G, C, O, K..., P..., Q..., H...); symmetric padding (P = Q) when there is one."""
    params = list(space.params)
    chosen = [p for p in params if not p.startswith("Ho")]
    sym_pads = " and ".join(f"{p} = Q{p[1:]}" for p in params if p.startswith("P") and f"Q{p[1:]}" in params)
    # With the padding fixed to numbers there is no padding to prefer symmetric.
    preferred = [sizes.intersect_params(space.set(f": {sym_pads}"))] if sym_pads else []
    for candidate in preferred + [sizes]:
        if candidate.is_empty():
            continue
        dims = ["t"] + [f"v_{p}" for p in params]
        eqs = [f"t = {' + '.join(chosen)}"] + [f"v_{p} = {p}" for p in params]
        grid = space.set(f"{tup(dims)} : {' and '.join(eqs)}").intersect_params(candidate.params())
        grid = grid.project_out(isl.dim_type.param, 0, grid.dim(isl.dim_type.param))
        point = grid.lexmin().sample_point()
        coordinate = point.get_coordinate_val
        return {p: coordinate(isl.dim_type.set, k + 1).to_python() for k, p in enumerate(params)}
    raise SymconvError("no sizes in an empty set")


def _fix(space: IndexSpace, values: Mapping[str, int]) -> isl.Set:
    return space.set(": " + " and ".join(f"{p} = {v}" for p, v in values.items()))


def _points(s: isl.Set, most: int = 8) -> list[list[int]]:
    out: list[list[int]] = []

    def take(p: isl.Point) -> None:
        if len(out) < most:
            out.append([p.get_coordinate_val(isl.dim_type.set, k).to_python() for k in range(s.n_dim())])
    s.foreach_point(take)
    return sorted(out)


def _torch_index(name: str, index: list[int], sizes: Mapping[str, int],
                 transposed: bool = False) -> tuple[int, ...]:
    """A uniform-layout index in PyTorch's layout: the group joins the channel that follows it (a transposed
    convolution's kernel is (C_in, C_out/G, ...): its group joins an input channel)."""
    if name in ("h", "b"):
        per_group = sizes["C" if transposed and name == "h" else "O"]
    else:                       # (slicing's and padding's g has x's channels: no O)
        per_group = sizes["C"] if name == "x" else sizes.get("O", sizes["C"])
    at = 1 if KINDS[name] == "data" else 0
    return tuple(index[:at]) + (index[at] * per_group + index[at + 1],) + tuple(index[at + 2:])


def _split(space: IndexSpace, tensor: str, coords: list[int], sizes: Mapping[str, int],
           transposed: bool = False) -> tuple[tuple[int, ...], tuple[tuple[str, tuple[int, ...]], ...]]:
    """(the gradient entry, the monomial's factors) of a monomial point, in PyTorch indices."""
    ranks = [len(space.shapes[t]) for t in (tensor,) + _others(space, tensor)]
    cuts = list(itertools.accumulate(ranks))
    pieces = [coords[a:b] for a, b in zip([0] + cuts, cuts)]
    entry = _torch_index(tensor, pieces[0], sizes, transposed)
    return entry, tuple((t, _torch_index(t, p, sizes, transposed))
                        for t, p in zip(_others(space, tensor), pieces[1:]))


def _counterexample(st: _Structure, target: str, parts: tuple[ops.Expr, ...],
                    found: list[tuple[str, isl.Set, Any]]) -> Counterexample:
    """The smallest sizes over every failure found (by their total, then lexicographically), described by
    the first failure that happens there."""
    space, tensor = st.space, TARGETS[target]
    stride = tuple(space.values[s] for s in st.sym.S)
    dilation = tuple(st.space.values[d] for d in st.sym.D)
    sizes = _smallest(space, functools.reduce(lambda a, b: a.union(b), [bad.params() for _, bad, _ in found]))
    kind, bad, detail = next(f for f in found if not f[1].params().intersect(_fix(space, sizes)).is_empty())
    # The Counterexample names every size, the fixed ones too (isl only knows the parameters).
    base = dict(target=target, kind=kind, sizes={**st.fixed, **sizes}, ndim=space.ndim,
                grouped=st.sym.grouped, stride=stride, dilation=dilation, transposed=st.transposed, op=st.op)
    if kind == "undefined":
        return Counterexample(**base, reason=f"the formula cannot be evaluated: {detail}")
    if kind == "shape":
        if isinstance(detail, tuple):
            part, ext = detail
            detail = (f"the formula's result has shape {_torch_shape(space, ext, sizes)} but {tensor} has "
                      f"{_torch_shape(space, space.tensor_extent(tensor), sizes)}")
        return Counterexample(**base, reason=detail)
    at = bad.intersect_params(_fix(space, sizes))
    first = at.lexmin()
    coords = _points(first, 1)[0]
    entry, mono = _split(space, tensor, coords, sizes, st.transposed)
    rank = len(space.shapes[tensor])
    # The other side's monomials at the same gradient entry, to show what it gives instead.
    if kind == "missing":
        other = functools.reduce(lambda a, b: a.union(b),
                                 [form_relation(space, p, tensor).range() for p in parts],
                                 st.definition.range().subtract(st.definition.range()))
    else:
        other = st.definition.range()
    if kind == "doubled":
        count = sum(len(_points(m.intersect_range(first).domain().intersect_params(_fix(space, sizes)), 100))
                    for m in detail)
        return Counterexample(**base, entry=entry, monomial=mono, count=count)
    here = _entry_set(other.intersect_params(_fix(space, sizes)), coords[:rank])
    gives = tuple(_split(space, tensor, c, sizes, st.transposed)[1] for c in _points(here, 4))
    return Counterexample(**base, entry=entry, monomial=mono, formula=gives)


def _entry_set(monomials: isl.Set, entry: list[int]) -> isl.Set:
    """The monomials whose gradient index (the leading coordinates) is ``entry``."""
    for k, v in enumerate(entry):
        monomials = monomials.fix_val(isl.dim_type.set, k, isl.Val.int_from_si(monomials.get_ctx(), v))
    return monomials


def _torch_shape(space: IndexSpace, ext: Any, sizes: Mapping[str, int]) -> str:
    """A uniform-layout shape as PyTorch's: the group count multiplies the channel axis it belongs to."""
    n = [_value(space, e, sizes) for e in ext.sizes]
    if ext.kind == "data":
        n = [n[0], n[1] * n[2]] + n[3:]
    elif ext.kind in ("kernel", "bias"):
        n = [n[0] * n[1]] + n[2:]
    return "(" + ", ".join(map(str, n)) + ")"


def _value(space: IndexSpace, expr: Any, sizes: Mapping[str, int]) -> int:
    sub = {s: sizes[n] for s, n in space.names.items() if n in sizes}
    value = expr.xreplace({**{k: sp.Integer(v) for k, v in space.values.items()}, **sub}) \
        if isinstance(expr, sp.Basic) else expr
    return int(value)


# -------------------------------------------------------------------------------------------- sweep

@dataclass(frozen=True)
class Sweep:
    """Every structure at every per-axis stride and dilation, each proved for every size."""

    proofs: tuple[Proof, ...]
    seconds: float            # wall clock
    cpu_seconds: float        # processor time summed over the processes (what a busy machine cannot inflate)

    @property
    def ok(self) -> bool:
        return all(p.ok for p in self.proofs)

    @property
    def failures(self) -> tuple[Proof, ...]:
        return tuple(p for p in self.proofs if not p.ok)


OPS = ("conv", "conv_transpose", "slice", "pad")


def families(ndims: Sequence[int] = (1, 2, 3), values: Sequence[int] = (1, 2, 3),
             ops_: Sequence[str] = ("conv",), more: Mapping[str, Any] | None = None) -> list[tuple[Any, ...]]:
    """(ndim, grouped, bias, stride, dilation) for every structure and per-axis stride and dilation, for each
    operator of ``ops_`` (a transposed convolution's families end with ``"conv_transpose"``)."""
    # With and without a bias side by side: ∂L/∂x and ∂L/∂h are the same proofs, cached in one process.
    out = []
    for op in ops_:
        tail = () if op == "conv" else (op,)
        for ndim in ndims:
            if op in (more or {}):           # an operator proved in its own module: (its prover, family...)
                prover, listed = more[op]   # type: ignore[index]
                out += [(prover,) + f for f in listed((ndim,)) if f[-1] == op]
                continue
            if op in ("slice", "pad"):        # slicing at every step per axis; padding has no parameter
                steps = list(itertools.product(values, repeat=ndim)) if op == "slice" else [None]
                out += [(ndim, step, op) for step in steps]
                continue
            per_axis = list(itertools.product(values, repeat=ndim))
            out += [(ndim, grouped, bias, s, d) + tail for grouped in (False, True) for s in per_axis
                    for d in per_axis for bias in (False, True)]
    return out


def _prove_family(family: tuple[Any, ...]) -> tuple[Proof, float]:
    start = time.process_time()
    *structure, mutant = family
    if callable(structure[0]):
        prover, *structure = structure
        return prover(tuple(structure), mutant), time.process_time() - start
    if structure[-1] in ("slice", "pad"):
        ndim, step, op = structure
        forms = None
        if mutant:
            from .mutants import mutate
            forms = {"grad_input": mutate(prove_unary_general_form(op, ndim, step), mutant)}
        return prove_unary(op, ndim, step, forms), time.process_time() - start
    transposed = structure[-1] == "conv_transpose"
    if transposed:
        structure = structure[:-1]
    forms = None
    if mutant:
        from .mutants import mutate
        forms = {k: mutate(v, mutant) for k, v in general_forms(*structure, transposed).items()}
    proof = prove(*structure, forms, transposed=transposed)
    return proof, time.process_time() - start


def sweep(ndims: Sequence[int] = (1, 2, 3), values: Sequence[int] = (1, 2, 3), jobs: int = 1,
          mutant: str | None = None, ops_: Sequence[str] = ("conv",), more: Mapping[str, Any] | None = None
          ) -> Sweep:
    """Prove the engine's closed forms for every family of :func:`families` (of each operator in ``ops_``),
    in ``jobs`` processes; with ``mutant``, a deliberately wrong version of them instead (the families it
    changes must fail)."""
    start = time.perf_counter()
    # ``more``: operators proved in modules of their own, op -> (prover(family, mutant), families(ndims)).
    todo = [f + (mutant,) for f in families(ndims, values, ops_, more)]
    if jobs > 1:
        from concurrent.futures import ProcessPoolExecutor    # a stored proof's reader need not load it
        with ProcessPoolExecutor(jobs, initializer=threads.worker) as pool:     # one BLAS thread each
            done = list(pool.map(_prove_family, todo, chunksize=8))
    else:
        done = list(map(_prove_family, todo))
    return Sweep(tuple(p for p, _ in done), time.perf_counter() - start, sum(c for _, c in done))


# ---------------------------------------------------------------------- operators of one input

@functools.lru_cache(maxsize=None)
def _unary_space(op: str, ndim: int, step: tuple[int, ...], fixed: tuple[Any, ...] | None
                 ) -> tuple[IndexSpace, Symbols, isl.Set]:
    """The isl space of slicing (``op = "slice"``, at a step per axis) or constant padding (``"pad"``):
    per axis P (the start, or the low padding), Q (padding's high one), H and the output size H^o.
    ``fixed`` gives per axis (start, stop or None) of a slicing, or (low, high) of a padding, as numbers."""
    sym = Symbols(ndim, False)
    names: dict[sp.Symbol, str] = {sym.N: "N", sym.C: "C"}
    values: dict[sp.Symbol, int] = {sym.G: 1}
    params, context = ["N", "C"], ["N >= 1", "C >= 1"]
    per_axis = {b: [_axis_name(b, ndim, k) for k in range(ndim)] for b in ("P", "Q", "H", "Ho")}
    if fixed is None:
        params += per_axis["P"] + (per_axis["Q"] if op == "pad" else [])
    params += per_axis["H"] + per_axis["Ho"]
    for k in range(ndim):
        P, Q, H, Ho = (per_axis[b][k] for b in ("P", "Q", "H", "Ho"))
        s = step[k]
        values.update({sym.S[k]: s, sym.D[k]: 1, sym.K[k]: 1})
        names.update({sym.H[k]: H, sym.Ho[k]: Ho})
        if fixed is None:
            names[sym.P[k]] = P
        else:
            values[sym.P[k]] = fixed[k][0]
            P = str(fixed[k][0])
        context += [f"{H} >= 1", f"{Ho} >= 1", f"{P} >= 0"]
        if op == "pad":
            Q = Q if fixed is None else str(fixed[k][1])
            context += [f"{Q} >= 0", f"{Ho} = {H} + {P} + {Q}"]
        elif fixed is None:
            context.append(f"{P} + {s}*({Ho} - 1) <= {H} - 1")
        elif fixed[k][1] is None:                         # to the end: H^o = ⌈(H − P)/S⌉
            context.append(f"{s}*({Ho} - 1) <= {H} - {P} - 1 < {s}*{Ho}")
        else:
            a, b = fixed[k]
            context += [f"{Ho} = {len(range(a, b, s))}", f"{H} >= {b}"]
    shapes = {"x": (sym.N, 1, sym.C) + sym.H, "g": (sym.N, 1, sym.C) + sym.Ho}
    space = IndexSpace(ndim, tuple(params), names, values, shapes, 1, " and ".join(context))
    return space, sym, space.set(f": {space.context}")


@functools.lru_cache(maxsize=None)
def unary_derivative_term(op: str, ndim: int) -> tuple[Term, tuple[sp.Symbol, ...]]:
    """∂L/∂x[free] of slicing or padding as a Term, as SymPy differentiates the definition."""
    sym = Symbols(ndim, False)
    _, L, _ = (definition_slice if op == "slice" else definition_pad)(sym)
    free = (sym.n_, sym.c_) + sym.u_
    return from_sympy(L.diff(sp.IndexedBase("x")[free])), free


def _unary_statement(op: str, ndim: int, step: tuple[int, ...], fixed: tuple[Any, ...] | None) -> str:
    axes = ("H",) if ndim == 1 else ("H", "W") if ndim == 2 else ("H_1", "H_2", "H_3")
    one = lambda v: str(v[0]) if len(set(v)) == 1 else "(" + ", ".join(map(str, v)) + ")"  # noqa: E731
    if op == "pad":
        if fixed is None:
            return f"for every N, C, {', '.join(axes)}, P_low, P_high"
        return f"for every N, C, {', '.join(axes)} at P = {ops._fmt_widths(tuple(fixed))}"
    if fixed is None:
        return f"for every N, C, {', '.join(axes)}, start and output length at step {one(step)}"
    least = [a + 1 if b is None else b for a, b in fixed]
    stops = "end" if all(b is None for _, b in fixed) else one(tuple("end" if b is None else b for _, b in fixed))
    shown = ", ".join(f"{a} ≥ {m}" if m > 1 else a for a, m in zip(axes, least))
    return f"for every N, C and every {shown} at start = {one(tuple(a for a, _ in fixed))}, stop = {stops}, " \
           f"step = {one(step)}"


def grad_input_result(st: _Structure, form: Any, witnessed: Callable[[Any, tuple[ops.Expr, ...]], tuple[bool, str]]
                      ) -> Result:
    """∂L/∂x of an operator of one input (a form, or a sum given as a list) proved on ``st``, or refuted with
    the smallest counterexample, kept only when ``witnessed`` confirms it by evaluating the formula there."""
    parts = tuple(form) if isinstance(form, (list, tuple)) else (form,)
    try:
        spread = tuple(t for p in parts for t in _spread(p, st.space))
        found = _refute(st, "grad_input", spread)
    except UnsupportedError as exc:
        return Result("grad_input", False, detail=str(exc))
    if not found:
        return Result("grad_input", True)
    example = _counterexample(st, "grad_input", spread, found)
    held, why = witnessed(example, parts)
    return Result("grad_input", False, example, str(example)) if held else Result(
        "grad_input", False, detail=f"the prover's counterexample ({example.where()}) was not confirmed by "
                                    f"evaluating the formula there: {why}")


def prove_unary(op: str, ndim: int, step: tuple[int, ...] | None = None, forms: Mapping[str, Any] | None = None,
                fixed: tuple[Any, ...] | None = None) -> Proof:
    """∂L/∂x of slicing (at ``step``) or padding proved, or refuted with the smallest counterexample, for
    every size: by default the engine's general form; ``fixed`` as :func:`_unary_space` takes it (a
    concrete slicing or padding, proved for every N, C and input size)."""
    from ..derivation.forms import derive_unary_general
    start = time.perf_counter()
    step = tuple(step or (1,) * ndim) if op == "slice" else (1,) * ndim
    space, sym, context = _unary_space(op, ndim, step, fixed)
    term, free = unary_derivative_term(op, ndim)
    rel = _definition_map(space, sym, term, free, "x").intersect_params(context)
    st = _Structure(space, sym, context, rel, {} if fixed is None else _unary_fixed(op, fixed), False, op)
    if forms is None:
        forms = {"grad_input": derive_unary_general(op, ndim).closed["grad_input"].map_sizes(
            dict(zip(sym.S, step)))}
    from .witness import witnessed
    result = grad_input_result(st, forms["grad_input"], witnessed)
    return Proof(ndim, False, False, step, (1,) * ndim, (result,), time.perf_counter() - start,
                 _unary_statement(op, ndim, step, fixed), op=op)


def _unary_fixed(op: str, fixed: tuple[Any, ...]) -> dict[str, int]:
    ndim = len(fixed)
    out = {}
    for k, (a, b) in enumerate(fixed):
        out[_axis_name("P", ndim, k)] = a
        if op == "pad":
            out[_axis_name("Q", ndim, k)] = b
    return out


def prove_unary_general_form(op: str, ndim: int, step: tuple[int, ...] | None) -> ops.Expr:
    """The engine's general ∂L/∂x of slicing (at ``step``) or padding."""
    from ..derivation.forms import derive_unary_general
    sym = Symbols(ndim, False)
    return derive_unary_general(op, ndim).closed["grad_input"].map_sizes(dict(zip(sym.S, step or (1,) * ndim)))
