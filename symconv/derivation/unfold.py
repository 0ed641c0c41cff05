r"""``unfold`` (im2col) and ``fold`` (col2im) in the derivation stage: their index expressions beside the
convolution's, ∂L/∂x derived by the same engine (:func:`symconv.derivation.forms.derive_gradient`).

The columns are indexed by their unflattened view ``[n, c, a..., i...]`` (kernel tap a, block i), not by
PyTorch's flat ``[n, (c·K_1 + a_1)·K_2 + a_2, i_1·L_2 + i_2]``: the flat index multiplies sizes (c·K_1),
which is not affine in the symbolic sizes, so neither the rules nor the isl prover could read it for every
K. The two views are one C-order reshape (:func:`symconv.derivation.ops_fold.flatten_columns`), a bijection
tested on its own against PyTorch; with it every index below is affine::

    unfold:  y[n, c, a, i] = x[n, c, S·i + D·a − P]                   (x zero outside its range)
    fold:    y[n, c, j]    = Σ_{a, i} x[n, c, a, i] · δ(j, S·i + D·a − P)

The engine's existing rules do most of the work (delta elimination; ``shift_index`` reads fold's g at j);
two rules are added where none fitted, each checked when taken like every rule:

- ``windows_to_fold``: Σ_{a, i} T[n, c, a, i] δ(u, S·i + D·a − P) = fold(T)[n, c, u];
- ``window_to_unfold``: T[n, c, S·i + D·a − P] at a free (a, i) = unfold(T)[n, c, a, i].

>>> from symconv.derivation.spec_fold import UnfoldSpec, FoldSpec
>>> print(derive_fold_forms(UnfoldSpec(2, kernel_size=3, padding=1, stride=2)).grad_input)
fold(g, (H_1, H_2), 3, stride=2, padding=1)
>>> print(derive_fold_forms(FoldSpec(1, output_size=7, kernel_size=2, dilation=2)).grad_input)
unfold(g, 2, dilation=2)
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import sympy as sp

from . import ops
from .engine import Context, Step, eliminate_deltas, shift_index
from .forms import General, UnaryDerivation, _load, _printer, _store, derive_gradient
from .index import Factor, Symbols, TensorInfo, Term
from .ops_fold import Fold, Unfold
from ..errors import InputError

OPS = ("unfold", "fold")


def block_index(sym: Symbols, primed: bool = False) -> tuple[sp.Symbol, ...]:
    """The block indices i (or i', the free ones a derivative is taken at)."""
    if not primed:
        return sym.i
    return tuple(sp.Symbol("i'" if sym.ndim == 1 else f"i'_{k + 1}", integer=True) for k in range(sym.ndim))


def tensors(sym: Symbols, op: str) -> dict[str, TensorInfo]:
    """x and g: the image (N, C, H...) and the columns (N, C, K..., H^o...), H^o the blocks per axis. Every
    axis after the channel is laid out "s" (the layout only joins groups; there are none here)."""
    image = (("n", "c") + ("s",) * sym.ndim, (sym.N, sym.C) + sym.H)
    columns = (("n", "c") + ("s",) * (2 * sym.ndim), (sym.N, sym.C) + sym.K + sym.Ho)
    x, g = (image, columns) if op == "unfold" else (columns, image)
    return {"x": TensorInfo("x", "x", x[0], x[1], ops.Tensor("x")),
            "g": TensorInfo("g", "g", g[0], g[1], ops.Tensor("g"))}


def _position(sym: Symbols, a: tuple[Any, ...], i: tuple[Any, ...]) -> tuple[sp.Expr, ...]:
    return tuple(s * ii + d * aa - p for s, ii, d, aa, p in zip(sym.S, i, sym.D, a, sym.P))


def _lims(*pairs: tuple[tuple[sp.Symbol, ...], tuple[sp.Expr, ...]]) -> tuple[tuple[Any, ...], ...]:
    return tuple((v, sp.Integer(0), n - 1) for vs, ns in pairs for v, n in zip(vs, ns))


def definition(sym: Symbols, op: str) -> tuple[sp.Expr, sp.Expr, list[Term]]:
    """y, L = Σ g·y and L's one Term, for ``op`` unfold (a gather) or fold (a scatter, with a delta)."""
    x, g = sp.IndexedBase("x"), sp.IndexedBase("g")
    nc = (sym.n, sym.c)
    a, i = sym.a, sym.i
    lims_nc = _lims((nc, (sym.N, sym.C)))
    if op == "unfold":
        y = x[nc + _position(sym, a, i)]
        lims = lims_nc + _lims((a, sym.K), (i, sym.Ho))
        L = sp.Sum(g[nc + a + i] * y, *lims)
        return y, L, [Term((Factor("g", nc + a + i), Factor("x", nc + _position(sym, a, i))), (), lims)]
    j = tuple(sp.Symbol(f"j_{k + 1}" if sym.ndim > 1 else "j", integer=True) for k in range(sym.ndim))
    deltas = tuple(zip(j, _position(sym, a, i)))
    inner = _lims((a, sym.K), (i, sym.Ho))
    y = sp.Sum(x[nc + a + i] * sp.Mul(*[sp.KroneckerDelta(l, r) for l, r in deltas]), *inner)
    lims = lims_nc + _lims((j, sym.H)) + inner
    L = sp.Sum(g[nc + j] * y, *(lims_nc + _lims((j, sym.H))))
    return y, L, [Term((Factor("g", nc + j), Factor("x", nc + a + i)), deltas, lims)]


# ------------------------------------------------------------------------------------------------- rules

def _new_tensor(ctx: Context, name: str, latex: str, layout_of: str, shape: tuple[sp.Expr, ...],
                op: ops.Expr, definition: str) -> str:
    ctx.tensors[name] = TensorInfo(name, latex, ctx.tensors[layout_of].layout, shape, op, definition)
    return name


def windows_to_fold(term: Term, ctx: Context) -> tuple[str, Term] | None:
    """Σ_{a, i} T[n, c, a, i] δ(u, S·i + D·a − P) = fold(T)[n, c, u]: the windows that cover u, summed."""
    sym = ctx.sym
    if len(term.factors) != 1 or len(term.deltas) != sym.ndim:
        return None
    (factor,) = term.factors
    n, c, *rest = factor.index
    a, i = tuple(rest[:sym.ndim]), tuple(rest[sym.ndim:])
    if len(rest) != 2 * sym.ndim or set(a + i) != term.bound() or len(set(a + i)) != 2 * sym.ndim:
        return None
    u = tuple(ctx.free[2:])
    have = {frozenset((sp.expand(l), sp.expand(r))) for l, r in term.deltas}
    if (n, c) != tuple(ctx.free[:2]) or have != {frozenset((uu, sp.expand(p)))
                                                 for uu, p in zip(u, _position(sym, a, i))}:
        return None
    ranges = {v: (lo, hi) for v, lo, hi in term.limits}
    if any(ranges[v][0] != 0 or sp.expand(ranges[v][1] - (n_ - 1)) != 0 for v, n_ in zip(a + i, sym.K + sym.Ho)):
        return None
    info = ctx.tensors[factor.tensor]
    form = Fold(info.op, sym.H, sym.K, sym.S, sym.D, sym.P)
    latex = rf"\check{{{info.latex}}}"
    name = _new_tensor(ctx, factor.tensor + "_fold", latex, "x", (sym.N, sym.C) + sym.H, form,
                       rf"{latex}_{{n,c,u}} = \sum_{{a, i\,:\,S i + D a - P = u}} {info.latex}_{{n,c,a,i}}"
                       if sym.ndim == 1 else
                       rf"{latex}_{{n,c,u}} = \sum_{{a, i\,:\,S_k i_k + D_k a_k - P_k = u_k}} "
                       rf"{info.latex}_{{n,c,a,i}}")
    return "", Term((Factor(name, tuple(ctx.free)),), (), ())


def window_to_unfold(term: Term, ctx: Context) -> tuple[str, Term] | None:
    """T[n, c, S·i + D·a − P] at free (n, c, a, i) = unfold(T)[n, c, a, i]: a block's window of T."""
    sym = ctx.sym
    if len(term.factors) != 1 or term.deltas or term.limits:
        return None
    (factor,) = term.factors
    a, i = tuple(ctx.free[2:2 + sym.ndim]), tuple(ctx.free[2 + sym.ndim:])
    if len(i) != sym.ndim or tuple(factor.index[:2]) != tuple(ctx.free[:2]):
        return None
    if [sp.expand(e) for e in factor.index[2:]] != [sp.expand(e) for e in _position(sym, a, i)]:
        return None
    info = ctx.tensors[factor.tensor]
    form = Unfold(info.op, sym.K, sym.S, sym.D, sym.P)
    latex = rf"\tilde{{{info.latex}}}"
    name = _new_tensor(ctx, factor.tensor + "_unfold", latex, "x", (sym.N, sym.C) + sym.K + sym.Ho, form,
                       rf"{latex}_{{n,c,a,i}} = {info.latex}_{{n,c,S i + D a - P}}" if sym.ndim == 1 else
                       rf"{latex}_{{n,c,a,i}} = {info.latex}_{{n,c,S_k i_k + D_k a_k - P_k}}")
    return "", replace(term, factors=(Factor(name, tuple(ctx.free)),))


# The engine's own rules that fit these definitions, then the two added here.
RULES = (eliminate_deltas, shift_index, windows_to_fold, window_to_unfold)


# ------------------------------------------------------------------------------------------ derivation

@functools.lru_cache(maxsize=None)
def derive_general(op: str, ndim: int, seed: int = 0) -> General:
    """∂L/∂x of unfold or fold, every size a symbol, derived from SymPy's derivative of the definition."""
    if op not in OPS:
        raise InputError(f"op must be one of {', '.join(OPS)}, got {op!r}")
    key = f"general-{op}-{ndim}d-{seed}"
    found = _load(key)
    if found is not None:
        return found
    sym = Symbols(ndim, False)
    y, L, L_terms = definition(sym, op)
    info = tensors(sym, op)
    pr = _printer(sym, info)
    y_idx = ",".join(pr.doprint(v) for v in L_terms[0].factors[0].index)
    steps = [Step("definition", f"definition_y_{op}", rf"y_{{{y_idx}}} = {pr.doprint(y)}"),
             Step("definition", "definition_L", rf"L = {pr.doprint(L)}", r"$g = \partial L / \partial y$")]
    if op == "unfold":
        free, sizes = (sym.n_, sym.c_) + sym.u_, (sym.N, sym.C) + sym.H
    else:
        free, sizes = (sym.n_, sym.c_) + sym.a_ + block_index(sym, True), (sym.N, sym.C) + sym.K + sym.Ho
    ctx = Context(sym, dict(info), free, dict(zip(free, sizes)), "grad_input", seed, op)
    general = General(sym, {"grad_input": derive_gradient(ctx, L, L_terms, "x", steps, RULES)}, tuple(steps))
    _store(key, general)
    return general


def spec_sizes(spec: Any, sym: Symbols) -> dict[sp.Symbol, Any]:
    """The spec's values for the size symbols: unfold's image size stays symbolic (its blocks follow from
    it), fold's image size is the spec's output size."""
    values: dict[sp.Symbol, Any] = {}
    for k in range(spec.ndim):
        values.update({sym.K[k]: spec.kernel_size[k], sym.S[k]: spec.stride[k], sym.D[k]: spec.dilation[k],
                       sym.P[k]: spec.padding[k]})
        if spec.op == "fold":
            values.update({sym.H[k]: spec.output_size_[k], sym.Ho[k]: spec.blocks[k]})
    return values


@dataclass(frozen=True, repr=False)     # the base's short repr
class FoldDerivation(UnaryDerivation):
    """The closed form of ∂L/∂x for unfold or fold, with the steps that produced it."""

    @property
    def legend_key(self) -> str:
        """The operators' legend: unfold's and fold's (symconv.wording)."""
        return "legend.fold"

    def evaluate(self, x: Any, g: Any) -> dict[str, np.ndarray]:
        """∂L/∂x from the closed form, x and g in the unflattened view (float arrays: NumPy; object: exact)."""
        x, g = np.asarray(x), np.asarray(g)
        d = self.spec.ndim
        if self.spec.op == "unfold":
            want = x.shape[:2] + tuple(self.spec.kernel_size) + self.spec.output_size(tuple(x.shape[2:]))
        else:
            self.spec.output_size(tuple(x.shape[2:]))
            want = x.shape[:2] + tuple(self.spec.output_size_)
        if g.shape != want:
            raise InputError(f"g (dL/dy) must have the output's shape {want}, got {g.shape}")
        sym = self.general.sym
        image = x.shape[2:] if self.spec.op == "unfold" else g.shape[2:]
        sizes = {h: int(n) for h, n in zip(sym.H, image)}
        sizes.update({o: int(n) for o, n in zip(sym.Ho, (want if self.spec.op == "unfold" else x.shape)[2 + d:])})
        return {"grad_input": self.grad_input.evaluate({"x": x, "g": g}, sizes)}


def derive_fold_forms(spec: Any) -> FoldDerivation:
    """∂L/∂x of an :class:`~symconv.derivation.spec_fold.UnfoldSpec` or
    :class:`~symconv.derivation.spec_fold.FoldSpec`: the general form with the spec's sizes put in."""
    general = derive_general(spec.op, spec.ndim)
    form = general.closed["grad_input"].map_sizes(spec_sizes(spec, general.sym))
    return FoldDerivation(spec, general, form)
