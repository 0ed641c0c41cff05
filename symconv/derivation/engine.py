"""The derivation engine: from the definition of y = x ⊗ h to recognised closed forms of its gradients.

Pipeline for each gradient (∂L/∂x, ∂L/∂h, ∂L/∂b), every size a SymPy symbol:

1. *differentiate* ``L = Σ g·y`` with SymPy: ``∂x[t]/∂x[u] = δ(t, u)``;
2. rewrite with the rules below, each one applied where it fits, until none fits:

   - *delta elimination*: ``Σ_j f(j) δ(j, k) = f(k)`` (unit coefficient, same range);
   - *stride*: ``Σ_i g[i] δ(t, S·i) = ĝ[t]`` with ĝ = dilate(g, S) (the divisibility condition S | t);
   - *change of summation variable* ``a → K−1−a`` where the kernel index runs backwards;
   - *rotation*: ``h[K−1−a] = rot180(h)[a]``;
   - *channel swap*: a kernel indexed (contracted, kept) is swap_io of one indexed (kept, contracted);
   - *bounds to padding*: an offset or a range mismatch becomes zero padding (negative: cropping);

3. *recognise* the result as a correlation (or a sum over axes) of the tensors the rules introduced.

Every step is checked when it is taken: both sides are evaluated exactly, with random integers, at several
random concrete sizes, and a mismatch raises :class:`DerivationError`. The differentiation itself is checked
against the exact difference ``L(x + e_u) − L(x)`` (L is linear in each argument).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from typing import Any, Callable, Mapping

import numpy as np
import sympy as sp

from . import ops
from ..errors import DerivationError
from .index import Factor, Symbols, TensorInfo, Term, array_axes, evaluate_term, join_groups
from .printing import Printer
from ..wording import w
from .exprs import as_expr


@dataclass(frozen=True)
class Step:
    """One equation of a derivation and the rule that produced it.

    The rule is named by ``key`` (its wording, per language, is in :mod:`symconv.wording`), with ``arg`` the
    LaTeX it quotes; ``note`` holds language-neutral LaTeX (definitions of the tensors introduced here) and
    ``note_key``/``note_arg`` a worded note.
    """

    target: str          # "grad_input", "grad_weight", "grad_bias" or "definition"
    key: str             # rule name: "differentiate", "eliminate_deltas", ...
    latex: str           # the equation
    note: str = ""
    arg: str = ""
    note_key: str = ""
    note_arg: str = ""

    def rule_text(self, lang: str = "en") -> str:
        return w("rule." + self.key, lang, arg=self.arg) if self.arg else w("rule." + self.key, lang)

    def note_text(self, lang: str = "en") -> str:
        worded = w(self.note_key, lang, arg=self.note_arg) if self.note_key else ""
        return "; ".join(t for t in (worded, self.note) if t)

    @property
    def rule(self) -> str:
        return self.rule_text("en")

    def __repr__(self) -> str:
        rule = self.rule if len(self.rule) <= 200 else self.rule[:199] + "…"
        return f"<Step of {self.target}: {rule}>"

    def _repr_markdown_(self) -> str:
        """In a notebook: the rule in words, then the equation, then what the new symbols mean."""
        note = f"\n\n{w('where', 'en', note=self.note_text())}" if self.note_text() else ""
        return f"**{self.rule}**\n\n$$\n{self.latex}\n$$" + note


@dataclass
class Context:
    """What one gradient's derivation knows: symbols, tensors, the free indices and their ranges."""

    sym: Symbols
    tensors: dict[str, TensorInfo]
    free: tuple[sp.Symbol, ...]
    free_size: dict[sp.Symbol, sp.Expr]
    target: str
    seed: int
    # conv, conv_transpose (its definition scatters with a delta), slice, pad, unfold, fold, avg_pool, or
    # conv_double (the double backward's L2, whose sums over ∂L/∂x's own index are read off a delta:
    # shift_index applies at any stride)
    op: str = "conv"

    @property
    def transposed(self) -> bool:
        return self.op == "conv_transpose"


# ---------------------------------------------------------------------------------------------- definition

def base_tensors(sym: Symbols, transposed: bool = False) -> dict[str, TensorInfo]:
    sp_ = ("s",) * sym.ndim
    # A transposed convolution's kernel is laid out (C_in, C_out/G, ...): its first channel axis is x's.
    kernel = sym.group_size(sym.C, sym.O) if transposed else sym.group_size(sym.O, sym.C)
    return {
        "x": TensorInfo("x", "x", ("n",) + sym.layout("c") + sp_, (sym.N,) + sym.group_size(sym.C) + sym.H,
                        ops.Tensor("x")),
        "h": TensorInfo("h", "h", sym.layout("c", "l") + sp_, kernel + sym.K, ops.Tensor("h")),
        "g": TensorInfo("g", "g", ("n",) + sym.layout("c") + sp_, (sym.N,) + sym.group_size(sym.O) + sym.Ho,
                        ops.Tensor("g")),
        "b": TensorInfo("b", "b", sym.layout("c"), sym.group_size(sym.O), ops.Tensor("b")),
    }


def _grid(sym: Symbols) -> tuple[tuple[sp.Symbol, sp.Expr, sp.Expr], ...]:
    """Summation limits over every entry of y."""
    lims = [(sym.n, 0, sym.N - 1)] + ([(sym.gam, 0, sym.G - 1)] if sym.grouped else [])
    lims.append((sym.o, 0, sym.O - 1))
    lims += [(i, 0, ho - 1) for i, ho in zip(sym.i, sym.Ho)]
    return tuple((v, as_expr(lo), hi) for v, lo, hi in lims)


def definition(sym: Symbols, bias: bool) -> tuple[sp.Expr, sp.Expr, list[Term]]:
    """y[n, γ, o, i] and L = Σ g·y as SymPy expressions, and L as Terms (for exact checks)."""
    x, h, g, b = (sp.IndexedBase(name) for name in "xhgb")
    pos = tuple(s * i + d * a - p for s, i, d, a, p in zip(sym.S, sym.i, sym.D, sym.a, sym.P))
    inner = ((sym.c, 0, sym.C - 1),) + tuple((a, 0, k - 1) for a, k in zip(sym.a, sym.K))
    y = sp.Sum(x[(sym.n,) + sym.group(sym.c) + pos] * h[sym.group(sym.o, sym.c) + sym.a], *inner)
    y_index = (sym.n,) + sym.group(sym.o) + sym.i
    if bias:
        y = y + b[sym.group(sym.o)]
    lims = _grid(sym)
    L = sp.Sum(g[y_index] * y, *lims)
    terms = [Term((Factor("g", y_index), Factor("x", (sym.n,) + sym.group(sym.c) + pos),
                   Factor("h", sym.group(sym.o, sym.c) + sym.a)), (), lims + inner)]
    if bias:
        terms.append(Term((Factor("g", y_index), Factor("b", sym.group(sym.o))), (), lims))
    return y, L, terms


def definition_transposed(sym: Symbols, bias: bool) -> tuple[sp.Expr, sp.Expr, list[Term]]:
    """The transposed convolution's y and L = Σ g·y: each input entry x[i] scattered by the kernel to the
    outputs j = S·i + D·a − P (PyTorch's ConvTransposeNd, the adjoint of the convolution's gather), written
    with a Kronecker delta since j is not an affine function of the summed indices' values alone."""
    x, h, g, b = (sp.IndexedBase(name) for name in "xhgb")
    j = tuple(sp.Symbol(f"j_{k + 1}" if sym.ndim > 1 else "j", integer=True) for k in range(sym.ndim))
    pos = tuple(s * i + d * a - p for s, i, d, a, p in zip(sym.S, sym.i, sym.D, sym.a, sym.P))
    inner = ((sym.c, 0, sym.C - 1),) + tuple((i, 0, n - 1) for i, n in zip(sym.i, sym.H)) \
        + tuple((a, 0, k - 1) for a, k in zip(sym.a, sym.K))
    deltas = tuple(zip(j, pos))
    body = sp.Mul(x[(sym.n,) + sym.group(sym.c) + sym.i], h[sym.group(sym.c, sym.o) + sym.a],
                  *[sp.KroneckerDelta(l, r, evaluate=False) for l, r in deltas], evaluate=False)
    y = sp.Sum(body, *inner)
    y_index = (sym.n,) + sym.group(sym.o) + j
    if bias:
        y = y + b[sym.group(sym.o)]
    lims = _grid(sym)
    lims = lims[:len(lims) - sym.ndim] + tuple((jj, sp.Integer(0), ho - 1) for jj, ho in zip(j, sym.Ho))
    L = sp.Sum(g[y_index] * y, *lims)
    # L's terms (for the exact checks) with the delta taken: g read at j = S·i + D·a − P, zero outside it.
    gather = (sym.n,) + sym.group(sym.o) + pos
    terms = [Term((Factor("g", gather), Factor("x", (sym.n,) + sym.group(sym.c) + sym.i),
                   Factor("h", sym.group(sym.c, sym.o) + sym.a)), (), lims[:len(lims) - sym.ndim] + inner)]
    if bias:
        terms.append(Term((Factor("g", y_index), Factor("b", sym.group(sym.o))), (), lims))
    return y, L, terms


def unary_tensors(sym: Symbols) -> dict[str, TensorInfo]:
    """x and g of an operator of one input that moves entries (slicing, constant padding): no kernel, no
    groups, the channels kept (C of them)."""
    sp_ = ("s",) * sym.ndim
    return {"x": TensorInfo("x", "x", ("n", "c") + sp_, (sym.N, sym.C) + sym.H, ops.Tensor("x")),
            "g": TensorInfo("g", "g", ("n", "c") + sp_, (sym.N, sym.C) + sym.Ho, ops.Tensor("g"))}


def definition_slice(sym: Symbols) -> tuple[sp.Expr, sp.Expr, list[Term]]:
    """Strided slicing ``y = x[..., P : P + S·H^o : S]`` on every spatial axis: y[n, c, i] = x[n, c, P + S·i]
    (P the start, S the step, H^o entries kept)."""
    x, g = sp.IndexedBase("x"), sp.IndexedBase("g")
    pos = tuple(p + s * i for p, s, i in zip(sym.P, sym.S, sym.i))
    y = x[(sym.n, sym.c) + pos]
    lims = ((sym.n, sp.Integer(0), sym.N - 1), (sym.c, sp.Integer(0), sym.C - 1)) + tuple(
        (i, sp.Integer(0), ho - 1) for i, ho in zip(sym.i, sym.Ho))
    y_index = (sym.n, sym.c) + sym.i
    L = sp.Sum(g[y_index] * y, *lims)
    return y, L, [Term((Factor("g", y_index), Factor("x", (sym.n, sym.c) + pos)), (), lims)]


def definition_pad(sym: Symbols) -> tuple[sp.Expr, sp.Expr, list[Term]]:
    """Constant (zero) padding by P before and H^o − H − P after each axis: y[n, c, j] = x[n, c, j − P],
    zero where j − P is outside x."""
    x, g = sp.IndexedBase("x"), sp.IndexedBase("g")
    j = tuple(sp.Symbol(f"j_{k + 1}" if sym.ndim > 1 else "j", integer=True) for k in range(sym.ndim))
    pos = tuple(jj - p for jj, p in zip(j, sym.P))
    y = x[(sym.n, sym.c) + pos]
    lims = ((sym.n, sp.Integer(0), sym.N - 1), (sym.c, sp.Integer(0), sym.C - 1)) + tuple(
        (jj, sp.Integer(0), ho - 1) for jj, ho in zip(j, sym.Ho))
    y_index = (sym.n, sym.c) + j
    L = sp.Sum(g[y_index] * y, *lims)
    return y, L, [Term((Factor("g", y_index), Factor("x", (sym.n, sym.c) + pos)), (), lims)]


# ------------------------------------------------------------------------------------------------- checks

def random_sizes(sym: Symbols, rng: random.Random, transposed: bool = False) -> dict[sp.Symbol, int]:
    """A consistent set of small concrete sizes (the output size follows from the others)."""
    if transposed:
        return _random_transposed_sizes(sym, rng)
    small = sym.ndim == 3
    sizes = {sym.N: rng.randint(1, 2), sym.G: rng.randint(1, 2) if sym.grouped else 1,
             sym.C: rng.randint(1, 2), sym.O: rng.randint(1, 2)}
    for k in range(sym.ndim):
        K, S, D = rng.randint(1, 2 if small else 3), rng.randint(1, 3), rng.randint(1, 2)
        if sym.unit:
            S = D = 1
        P, Phi = rng.randint(0, 3), rng.randint(0, 3)
        span = D * (K - 1) + 1
        low = max(1, span - P - Phi)
        H = rng.randint(low, low + (2 if small else 4))
        sizes.update({sym.K[k]: K, sym.P[k]: P, sym.H[k]: H, sym.Ho[k]: (H + P + Phi - span) // S + 1})
        if not sym.unit:
            sizes.update({sym.S[k]: S, sym.D[k]: D})
    return sizes


def _random_transposed_sizes(sym: Symbols, rng: random.Random) -> dict[sp.Symbol, int]:
    # Ho = S(H − 1) − 2P + D(K − 1) + R + 1 with the output padding R below max(S, D), as PyTorch allows.
    small = sym.ndim == 3
    sizes = {sym.N: rng.randint(1, 2), sym.G: rng.randint(1, 2) if sym.grouped else 1,
             sym.C: rng.randint(1, 2), sym.O: rng.randint(1, 2)}
    for k in range(sym.ndim):
        while True:
            K, S, D = rng.randint(1, 2 if small else 3), rng.randint(1, 3), rng.randint(1, 2)
            if sym.unit:
                S = D = 1
            H, P, R = rng.randint(1, 3 if small else 4), rng.randint(0, 2), rng.randint(0, max(S, D) - 1)
            Ho = S * (H - 1) - 2 * P + D * (K - 1) + R + 1
            if Ho >= 1:
                break
        sizes.update({sym.K[k]: K, sym.P[k]: P, sym.H[k]: H, sym.Ho[k]: Ho})
        if not sym.unit:
            sizes.update({sym.S[k]: S, sym.D[k]: D})
    return sizes


def _random_slice_sizes(sym: Symbols, rng: random.Random) -> dict[sp.Symbol, int]:
    # A start P, a step S and H^o entries that fit: P + S(H^o − 1) ≤ H − 1.
    sizes = {sym.N: rng.randint(1, 2), sym.C: rng.randint(1, 2), sym.G: 1, sym.O: 1}
    for k in range(sym.ndim):
        S, P, Ho = rng.randint(1, 3), rng.randint(0, 3), rng.randint(1, 3)
        H = P + S * (Ho - 1) + 1 + rng.randint(0, 3)
        sizes.update({sym.S[k]: S, sym.P[k]: P, sym.Ho[k]: Ho, sym.H[k]: H, sym.D[k]: 1, sym.K[k]: 1})
    return sizes


def _random_pad_sizes(sym: Symbols, rng: random.Random) -> dict[sp.Symbol, int]:
    sizes = {sym.N: rng.randint(1, 2), sym.C: rng.randint(1, 2), sym.G: 1, sym.O: 1}
    for k in range(sym.ndim):
        H, P, Q = rng.randint(1, 4), rng.randint(0, 3), rng.randint(0, 3)
        sizes.update({sym.H[k]: H, sym.P[k]: P, sym.Ho[k]: H + P + Q, sym.S[k]: 1, sym.D[k]: 1, sym.K[k]: 1})
    return sizes


def _random_window_sizes(sym: Symbols, rng: random.Random) -> dict[sp.Symbol, int]:
    # unfold and fold: a kernel, stride, dilation and padding per axis, and as many blocks as PyTorch counts,
    # H^o = ⌊(H + 2P − D(K − 1) − 1)/S⌋ + 1 ≥ 1 (their evaluators refuse any other count).
    sizes = {sym.N: rng.randint(1, 2), sym.C: rng.randint(1, 2), sym.G: 1, sym.O: 1}
    for k in range(sym.ndim):
        K, S, D, P = rng.randint(1, 3), rng.randint(1, 3), rng.randint(1, 2), rng.randint(0, 2)
        H = max(1, D * (K - 1) + 1 - 2 * P) + rng.randint(0, 3)
        sizes.update({sym.K[k]: K, sym.S[k]: S, sym.D[k]: D, sym.P[k]: P, sym.H[k]: H,
                      sym.Ho[k]: (H + 2 * P - D * (K - 1) - 1) // S + 1})
    return sizes


def _random_pool_sizes(sym: Symbols, rng: random.Random) -> dict[sp.Symbol, int]:
    # A window K every S entries over H padded by P ≤ K/2 on each side, H^o by PyTorch's rule (rounded up,
    # the last window starting inside the input or the left padding, half the time).
    from .spec import pool_output_length
    sizes = {sym.N: rng.randint(1, 2), sym.C: rng.randint(1, 2), sym.G: 1, sym.O: 1}
    ceil = rng.random() < 0.5
    for k in range(sym.ndim):
        K, S = rng.randint(1, 3), rng.randint(1, 3)
        P = rng.randint(0, K // 2)
        H = rng.randint(max(1, K - 2 * P), K + 4)
        sizes.update({sym.K[k]: K, sym.S[k]: S, sym.P[k]: P, sym.H[k]: H, sym.D[k]: 1,
                      sym.Ho[k]: pool_output_length(H, K, S, P, ceil)})
    return sizes


_RANDOM_SIZES = {"slice": _random_slice_sizes, "pad": _random_pad_sizes, "unfold": _random_window_sizes,
                 "fold": _random_window_sizes, "avg_pool": _random_pool_sizes}


def random_env(tensors: Mapping[str, TensorInfo], sizes: Mapping[sp.Symbol, int],
               rng: random.Random) -> dict[str, np.ndarray]:
    """Random small integers (as Python ints, so every sum is exact) for x, h, g and b."""
    env = {}
    # The double backward's L2 also reads ggI, ggW and ggb (drawn after the others, so that a first-order
    # derivation draws the same numbers as before).
    for name in ("x", "h", "g", "b", "ggI", "ggW", "ggb"):
        if name not in tensors:          # an operator of one input (slicing, padding) has no h or b
            continue
        info = tensors[name]
        shape = [int(s.xreplace(dict(sizes))) for s in info.shape]
        _, shape_pt, _ = join_groups(info.layout, [0] * len(shape), shape)
        values = [rng.randint(-4, 4) for _ in range(int(np.prod(shape_pt)))]
        env[name] = np.array(values, dtype=object).reshape(shape_pt)
    if "w" in tensors:      # average pooling's weight w = 1/d: a random positive divisor d per output position
        shape = [int(s.xreplace(dict(sizes))) for s in tensors["w"].shape]
        d = np.array([sp.Integer(rng.randint(1, 4)) for _ in range(int(np.prod(shape)))], dtype=object)
        env["d"] = d.reshape(shape)
        env["w"] = np.array([1 / v for v in d], dtype=object).reshape(shape)
    return env


def _free_points(ctx: Context, sizes: Mapping[sp.Symbol, int], rng: random.Random,
                 most: int) -> list[dict[sp.Symbol, int]]:
    ranges = [int(ctx.free_size[f].xreplace(dict(sizes))) for f in ctx.free]
    total = int(np.prod(ranges))
    picks = range(total) if total <= most else rng.sample(range(total), most)
    points = []
    for flat in picks:
        idx = np.unravel_index(flat, ranges)
        points.append({f: int(v) for f, v in zip(ctx.free, idx)})
    return points


def _check(ctx: Context, rule: str, left: Callable[[Any, Any, Any], Any],
           right: Callable[[Any, Any, Any], Any], trials: int = 3, most: int = 8) -> None:
    """Compare two evaluations of the same quantity at random sizes, arrays and free indices."""
    rng = random.Random(f"{ctx.seed}:{ctx.target}:{rule}")
    for _ in range(trials):
        sizes = random_sizes(ctx.sym, rng, ctx.transposed) if ctx.op in ("conv", "conv_transpose", "conv_double") \
            else _RANDOM_SIZES[ctx.op](ctx.sym, rng)
        env = random_env(ctx.tensors, sizes, rng)
        for point in _free_points(ctx, sizes, rng, most):
            lv, rv = left(sizes, env, point), right(sizes, env, point)
            if lv != rv:
                shown = {str(k): v for k, v in {**sizes, **point}.items()}
                raise DerivationError(f"step '{rule}' of {ctx.target} failed its check: {lv} != {rv} at {shown}")


def _check_terms(ctx: Context, rule: str, before: Term, after: Term) -> None:
    _check(ctx, rule,
           lambda s, e, p: evaluate_term(before, ctx.tensors, e, s, p),
           lambda s, e, p: evaluate_term(after, ctx.tensors, e, s, p))


# -------------------------------------------------------------------------------------------------- rules

# A rule returns None where it does not fit, else (the LaTeX its wording quotes, or "", the new Term).
Rule = Callable[[Term, Context], "tuple[str, Term] | None"]


def _coeff(expr: sp.Expr, var: sp.Symbol) -> sp.Expr:
    return sp.expand(expr).coeff(var)


def _range_size(term: Term, var: sp.Symbol) -> sp.Expr:
    for v, lo, hi in term.limits:
        if v == var:
            return sp.expand(hi - lo + 1)
    raise KeyError(var)


def eliminate_deltas(term: Term, ctx: Context) -> tuple[str, Term] | None:
    """Σ_j f(j) δ(j, k) = f(k) for each delta whose bound variable has coefficient ±1 and the range of k."""
    done = False
    for _ in range(len(term.deltas)):
        for pos, (lhs, rhs) in enumerate(term.deltas):
            diff = sp.expand(lhs - rhs)
            for var in sorted(term.bound() & diff.free_symbols, key=str):
                c = _coeff(diff, var)
                if c not in (1, -1) or (diff - c * var).has(var):
                    continue
                value = sp.expand(-(diff - c * var) / c)
                if not (value in ctx.free_size and sp.expand(ctx.free_size[value] - _range_size(term, var)) == 0
                        or value in term.bound() and sp.expand(_range_size(term, value)
                                                               - _range_size(term, var)) == 0):
                    continue
                rest = term.deltas[:pos] + term.deltas[pos + 1:]
                term = replace(term, deltas=rest).subs({var: value}, drop=[var])
                done = True
                break
            else:
                continue
            break
    return ("", term) if done else None


def shift_index(term: Term, ctx: Context) -> tuple[str, Term] | None:
    """Σ_i T[.., i, ..] δ(t, i + r) = T[.., t − r, ..] (T is zero outside its range): at stride 1 the output
    position is read off the delta directly, no dilation needed. A transposed convolution's outputs are
    scattered, j = S·i + D·a − P, so at any stride its derivative reads g at j this way (and constant
    padding's, which reads x at j − P)."""
    if not (ctx.sym.unit or ctx.op != "conv"):
        return None
    for pos, (lhs, rhs) in enumerate(term.deltas):
        diff = sp.expand(lhs - rhs)
        cands = []
        for var in term.bound() & diff.free_symbols:
            c = _coeff(diff, var)
            holders = [f for f in term.factors for e in f.index if e.has(var)]
            if c not in (1, -1) or (diff - c * var).has(var) or len(holders) != 1:
                continue
            cands.append((_long_sum_first(term, ctx, var), str(var), var, c))
        if cands:
            _, _, var, c = min(cands)
            value = sp.expand(-(diff - c * var) / c)
            rest = term.deltas[:pos] + term.deltas[pos + 1:]
            # The summation variable it removes, so that two such steps in a row read apart (i_1, then i_2).
            name = Printer(symbol_names=ctx.sym.latex_names()).doprint(var)
            return name, replace(term, deltas=rest).subs({var: value}, drop=[var])
    return None


def _long_sum_first(term: Term, ctx: Context, var: sp.Symbol) -> int:
    # Collapse the sum over output positions (its range involves an output size), keep the short kernel sum.
    hi = next(h for v, _, h in term.limits if v == var)
    return 0 if hi.free_symbols & set(ctx.sym.Ho) else 1


def absorb_stride(term: Term, ctx: Context) -> tuple[str, Term] | None:
    """Σ_i T[.., i, ..] δ(t, S·i + r) = T̂[.., t − r, ..] with T̂ = dilate(T, S): the stride's divisibility."""
    for fpos, factor in enumerate(term.factors):
        info = ctx.tensors[factor.tensor]
        spatial = [k for k, kind in enumerate(info.layout) if kind == "s"]
        changes: dict[int, tuple[int, sp.Symbol, sp.Expr, sp.Expr]] = {}   # axis -> (delta, var, coef, t)
        for dpos, (lhs, rhs) in enumerate(term.deltas):
            diff = sp.expand(lhs - rhs)
            cands = []
            for var in term.bound() & diff.free_symbols:
                c = _coeff(diff, var)
                axes = [k for k in spatial if factor.index[k] == var]
                used_elsewhere = sum(e.has(var) for f in term.factors for e in f.index) != 1
                if c in (1, -1) or (diff - c * var).has(var) or len(axes) != 1 or used_elsewhere:
                    continue
                cands.append((_long_sum_first(term, ctx, var), str(var), var, c, axes[0]))
            if cands:
                _, _, var, c, axis = min(cands)
                sign = 1 if (c.is_positive or c.could_extract_minus_sign() is False) else -1
                coef = c * sign
                t = sp.expand(-(diff - c * var) * sign)     # S·i = t
                changes[axis] = (dpos, var, coef, t)
        if not changes:
            continue
        factors = tuple(changes[k][2] if k in changes else 1 for k in spatial)
        name = factor.tensor + "_dil"
        latex = rf"\hat{{{info.latex}}}"
        shape = list(info.shape)
        index = list(factor.index)
        for k, (_, _var, coef, t) in changes.items():
            shape[k] = sp.expand((shape[k] - 1) * coef + 1)
            index[k] = t
        idx = [sp.Symbol(f"t_{j + 1}" if len(spatial) > 1 else "t", integer=True) for j in range(len(spatial))]
        pr = Printer(symbol_names=ctx.sym.latex_names(), sizes=ctx.sym.shown())
        lhs_idx = ",".join(["\\dots"] + [pr.doprint(v) for v in idx])
        rhs_idx = ",".join(["\\dots"] + [pr.doprint(v / f) for v, f in zip(idx, factors)])
        cond = "".join(rf"[{pr.doprint(f)} \mid {pr.doprint(v)}]" for v, f in zip(idx, factors) if f != 1)
        definition = rf"{latex}_{{{lhs_idx}}} = {cond}\, {info.latex}_{{{rhs_idx}}}"
        ctx.tensors[name] = TensorInfo(name, latex, info.layout, tuple(shape), ops.dilate(info.op, factors),
                                       definition)
        drop = {changes[k][1] for k in changes}
        keep = tuple(d for j, d in enumerate(term.deltas) if j not in {changes[k][0] for k in changes})
        new_factors = list(term.factors)
        new_factors[fpos] = Factor(name, tuple(index))
        new = Term(tuple(new_factors), keep, tuple(lim for lim in term.limits if lim[0] not in drop))
        return "", new
    return None


def _roles(term: Term, ctx: Context) -> tuple[int, int] | None:
    """(data, kernel) positions: the kernel's spatial indices hold no free index, the data's do."""
    if len(term.factors) != 2 or term.deltas:
        return None
    free = set(ctx.free)

    def spatial(f: Factor) -> list[sp.Expr]:
        return [e for e, kind in zip(f.index, ctx.tensors[f.tensor].layout) if kind == "s"]
    has_free = [any(e.free_symbols & free for e in spatial(f)) for f in term.factors]
    if has_free == [True, False]:
        return 0, 1
    if has_free == [False, True]:
        return 1, 0
    return None


def reverse_kernel_index(term: Term, ctx: Context) -> tuple[str, Term] | None:
    """Change of summation variable a → K−1−a where the data index runs backwards in a."""
    roles = _roles(term, ctx)
    if roles is None:
        return None
    data = term.factors[roles[0]]
    mapping = {}
    for var, lo, hi in term.limits:
        coefs = [_coeff(e, var) for e in data.index if e.has(var)]
        if lo == 0 and coefs and all(c.could_extract_minus_sign() for c in coefs):
            mapping[var] = hi - var
    if not mapping:
        return None
    pr = Printer(symbol_names=ctx.sym.latex_names(), sizes=ctx.sym.shown())
    subst = ", ".join(f"{pr.doprint(v)} \\to {pr.doprint(e)}" for v, e in mapping.items())
    return subst, term.subs(mapping)


def _derived(ctx: Context, base: TensorInfo, name: str, latex: str, layout_shape: tuple[sp.Expr, ...],
             op: ops.Expr, definition: str) -> str:
    ctx.tensors[name] = TensorInfo(name, latex, base.layout, layout_shape, op, definition)
    return name


def rotate_kernel(term: Term, ctx: Context) -> tuple[str, Term] | None:
    """h[.., K−1−a] = rot180(h)[.., a]: a kernel read backwards on every spatial axis is the rotated kernel."""
    roles = _roles(term, ctx)
    if roles is None:
        return None
    kernel = term.factors[roles[1]]
    info = ctx.tensors[kernel.tensor]
    spatial = [k for k, kind in enumerate(info.layout) if kind == "s"]
    new_index = list(kernel.index)
    for k in spatial:
        e = kernel.index[k]
        var = next((v for v in term.bound() if _coeff(e, v) == -1), None)
        if var is None or sp.expand(e + var - (info.shape[k] - 1)) != 0:
            return None
        new_index[k] = var
    latex = rf"\overline{{{info.latex}}}"
    lhs = ",".join(["\\dots"] + [f"a_{{{j + 1}}}" if len(spatial) > 1 else "a" for j in range(len(spatial))])
    rhs = ",".join(["\\dots"] + [(f"K_{{{j + 1}}}-1-a_{{{j + 1}}}" if len(spatial) > 1 else "K-1-a")
                                 for j in range(len(spatial))])
    name = _derived(ctx, info, kernel.tensor + "_rot", latex, info.shape, ops.Rot180(info.op, ctx.sym.ndim),
                    rf"{latex}_{{{lhs}}} = {info.latex}_{{{rhs}}}")
    factors = list(term.factors)
    factors[roles[1]] = Factor(name, tuple(new_index))
    return "", replace(term, factors=tuple(factors))


def swap_channels(term: Term, ctx: Context) -> tuple[str, Term] | None:
    """A kernel indexed (contracted, kept) channels is swap_io of the kernel indexed (kept, contracted)."""
    roles = _roles(term, ctx)
    if roles is None:
        return None
    data, kernel = term.factors[roles[0]], term.factors[roles[1]]
    info = ctx.tensors[kernel.tensor]
    dinfo = ctx.tensors[data.tensor]
    if dinfo.layout[0] != "n" or data.index[0] not in ctx.free:      # only the batch-kept correlation
        return None
    kc, kl = info.layout.index("c"), info.layout.index("l")
    if not (kernel.index[kc] in term.bound() and kernel.index[kl] in ctx.free):
        return None
    shape, index = list(info.shape), list(kernel.index)
    shape[kc], shape[kl] = shape[kl], shape[kc]
    index[kc], index[kl] = index[kl], index[kc]
    latex = rf"{info.latex}^{{\top}}"
    groups = ctx.sym.G if ctx.sym.grouped else 1
    name = _derived(ctx, info, kernel.tensor + "_swap", latex, tuple(shape), ops.SwapIO(info.op, groups),
                    rf"{latex}_{{\dots,c,o,\dots}} = {info.latex}_{{\dots,o,c,\dots}}")
    factors = list(term.factors)
    factors[roles[1]] = Factor(name, tuple(index))
    return "", replace(term, factors=tuple(factors))


def _data_axes(term: Term, ctx: Context, roles: tuple[int, int]) -> list[tuple[int, Any, Any, Any, Any, Any]]:
    """Per spatial axis of the data: (axis, α, free u, β, kernel var, offset) of the index α·u + β·a + offset."""
    data, kernel = term.factors[roles[0]], term.factors[roles[1]]
    dinfo, kinfo = ctx.tensors[data.tensor], ctx.tensors[kernel.tensor]
    dsp = [k for k, kind in enumerate(dinfo.layout) if kind == "s"]
    ksp = [k for k, kind in enumerate(kinfo.layout) if kind == "s"]
    axes = []
    for dk, kk in zip(dsp, ksp):
        e, a = sp.expand(data.index[dk]), kernel.index[kk]
        us = [u for u in ctx.free if e.has(u)]
        if len(us) != 1 or a not in term.bound():
            raise DerivationError(f"{ctx.target}: cannot read the data index {e} as a correlation")
        u = us[0]
        alpha, beta = _coeff(e, u), _coeff(e, a)
        offset = sp.expand(e - alpha * u - beta * a)
        if offset.free_symbols & (term.bound() | set(ctx.free)):
            raise DerivationError(f"{ctx.target}: the data index {e} is not affine in one output and one "
                                  f"kernel index")
        axes.append((dk, alpha, u, beta, kk, offset))
    return axes


def bounds_to_padding(term: Term, ctx: Context) -> tuple[str, Term] | None:
    """T[α·u + β·a + r] over the exact ranges is T̃[α·u + β·a] with T̃ = T padded by (−r, just enough)."""
    roles = _roles(term, ctx)
    if roles is None:
        return None
    data, kernel = term.factors[roles[0]], term.factors[roles[1]]
    dinfo, kinfo = ctx.tensors[data.tensor], ctx.tensors[kernel.tensor]
    widths, shape, index = [], list(dinfo.shape), list(data.index)
    for dk, alpha, u, beta, kk, offset in _data_axes(term, ctx, roles):
        need = sp.expand(alpha * (ctx.free_size[u] - 1) + beta * (kinfo.shape[kk] - 1) + 1)
        lo = sp.expand(-offset)
        hi = sp.expand(need - lo - dinfo.shape[dk])
        widths.append((lo, hi))
        shape[dk] = need
        index[dk] = sp.expand(alpha * u + beta * kernel.index[kk])
    if all(lo == 0 and hi == 0 for lo, hi in widths):
        return None
    latex = rf"\tilde{{{dinfo.latex}}}"
    pr = Printer(symbol_names=ctx.sym.latex_names(), sizes=ctx.sym.shown())
    where = r",\ ".join(rf"({pr.doprint(lo)},\ {pr.doprint(hi)})" for lo, hi in widths)
    if len(where) > _LONG_WIDTHS:
        # Widths of size symbols are too long for a subscript (which cannot break): named q, written after it.
        where = r",\allowbreak\ ".join(rf"({pr.doprint(lo)},\ {pr.doprint(hi)})" for lo, hi in widths)
        definition = rf"{latex} = \operatorname{{pad}}_{{q}}\left({dinfo.latex}\right),\ q = {where}"
    else:
        definition = rf"{latex} = \operatorname{{pad}}_{{{where}}}\left({dinfo.latex}\right)"
    name = _derived(ctx, dinfo, data.tensor + "_pad", latex, tuple(shape), ops.pad(dinfo.op, tuple(widths)),
                    definition)
    factors = list(term.factors)
    factors[roles[0]] = Factor(name, tuple(index))
    return "", replace(term, factors=tuple(factors))


_LONG_WIDTHS = 60   # characters of LaTeX beyond which a padding's widths are named instead of subscripted


def offset_to_padding(term: Term, ctx: Context) -> tuple[str, Term] | None:
    """T[u + r] over u's range is T̃[u] with T̃ = pad(T, (−r, just enough)): a gradient that is one tensor's
    entries moved (slicing's, padding's), its offset and length made a padding (negative: a crop)."""
    if len(term.factors) != 1 or term.deltas:
        return None
    (factor,) = term.factors
    info = ctx.tensors[factor.tensor]
    widths, shape, index = [], list(info.shape), list(factor.index)
    for k, kind in enumerate(info.layout):
        if kind != "s":
            continue
        e = sp.expand(factor.index[k])
        us = [u for u in ctx.free if e.has(u)]
        if len(us) != 1 or _coeff(e, us[0]) != 1:
            return None
        r = sp.expand(e - us[0])
        if r.free_symbols & (term.bound() | set(ctx.free)):
            return None
        widths.append((sp.expand(-r), sp.expand(ctx.free_size[us[0]] - info.shape[k] + r)))
        shape[k], index[k] = ctx.free_size[us[0]], us[0]
    if not widths or all(lo == 0 and hi == 0 for lo, hi in widths):
        return None
    latex = rf"\tilde{{{info.latex}}}"
    pr = Printer(symbol_names=ctx.sym.latex_names())
    where = r",\allowbreak\ ".join(rf"({pr.doprint(lo)},\ {pr.doprint(hi)})" for lo, hi in widths)
    name = _derived(ctx, info, factor.tensor + "_pad", latex, tuple(shape), ops.pad(info.op, tuple(widths)),
                    rf"{latex} = \operatorname{{pad}}_{{q}}\left({info.latex}\right),\ q = {where}")
    return "", replace(term, factors=(Factor(name, tuple(index)),))


RULES: tuple[Rule, ...] = (eliminate_deltas, shift_index, absorb_stride, swap_channels, reverse_kernel_index,
                           rotate_kernel, bounds_to_padding, offset_to_padding)


# ------------------------------------------------------------------------------------------- recognition

def recognise(term: Term, ctx: Context) -> ops.Expr:
    """Read the rewritten Term as an operator expression; :class:`DerivationError` when it is not one."""
    if len(term.factors) == 1 and not term.deltas:
        (factor,) = term.factors
        info = ctx.tensors[factor.tensor]
        kept = [e for e in factor.index if e in ctx.free]
        if kept != list(ctx.free):
            raise DerivationError(f"{ctx.target}: the kept indices are out of order")
        axes = array_axes(info.layout)
        summed = tuple(axes[k] for k, e in enumerate(factor.index) if e in term.bound())
        return ops.SumAxes(info.op, summed) if summed else info.op     # nothing summed: the entries moved
    roles = _roles(term, ctx)
    if roles is None:
        raise DerivationError(f"{ctx.target}: the rewritten sum is not a correlation of two tensors")
    data, kernel = term.factors[roles[0]], term.factors[roles[1]]
    dinfo, kinfo = ctx.tensors[data.tensor], ctx.tensors[kernel.tensor]
    axes = _data_axes(term, ctx, roles)
    if any(off != 0 for *_, off in axes):
        raise DerivationError(f"{ctx.target}: an offset is left after padding")
    stride = tuple(alpha for _, alpha, *_ in axes)
    dilation = tuple(beta for _, _, _, beta, _, _ in axes)
    groups = ctx.sym.G if ctx.sym.grouped else 1
    if data.index[0] in ctx.free:
        return ops.Correlate(dinfo.op, kinfo.op, stride, dilation, groups)
    if data.index[0] in term.bound() and kernel.index[0] == data.index[0]:
        return ops.BatchCorrelate(dinfo.op, kinfo.op, stride, dilation, groups)
    raise DerivationError(f"{ctx.target}: the batch index is neither kept nor shared")


def to_layout(ctx: Context, array: np.ndarray, point: Mapping[sp.Symbol, int],
              sizes: Mapping[sp.Symbol, int]) -> Any:
    """The entry of a PyTorch-layout array at a Term-layout free index."""
    layout = ctx.tensors[_TENSOR[ctx.target]].layout
    shape = [int(as_expr(ctx.free_size[f]).xreplace(dict(sizes))) for f in ctx.free]
    index, _, _ = join_groups(layout, [point[f] for f in ctx.free], shape)
    return array[tuple(index)]


_TENSOR = {"grad_input": "x", "grad_weight": "h", "grad_bias": "b", "grad_output": "g"}
