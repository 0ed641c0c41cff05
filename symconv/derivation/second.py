r"""The double backward of a convolution, derived by the engine from the first-order derivatives.

PyTorch's ``_convolution_double_backward`` differentiates the first-order gradients once more: given ggI, ggW
(and ggb), the directions in which ∂L/∂x, ∂L/∂h (and ∂L/∂b) are pushed, it returns the derivatives of

    L₂ = Σ ggI·∂L/∂x + Σ ggW·∂L/∂h (+ Σ ggb·∂L/∂b)

with respect to x (gI), h (gW) and g (ggO). Here L₂ is built from the index expressions that SymPy's
derivative of L gave at the first order (each ∂L/∂x[n', c', u'] a sum over g and h with Kronecker deltas,
its own index renamed to barred summation indices), differentiated by SymPy once more, and each part rewritten
by the first order's rules (:func:`symconv.derivation.forms.rewrite`), every step checked when taken, until it
is read as a closed form: gI and gW one correlation each, ggO the sum of the forward passes of (ggI, h) and
(x, ggW), plus ggb on every entry.

>>> from symconv.derivation.spec import ConvSpec
>>> d = derive_second_order(ConvSpec(1, 1, 3, stride=2, padding=1, ndim=1))
>>> print(d.grad_input)
correlate(pad(dilate(g, 2), (1, ((H + 1) mod 2) + 1)), rot180(swap_io(ggW)))
>>> print(d.grad_weight)
batch_correlate(pad(ggI, (1, 1 - ((H + 1) mod 2))), g, dilation=2)
>>> print(" + ".join(map(str, d.grad_output)))
correlate(pad(ggI, (1, 1 - ((H + 1) mod 2))), h, stride=2) + correlate(pad(x, (1, 1 - ((H + 1) mod 2))), ggW, stride=2)
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import sympy as sp

from . import ops
from . import store
from .engine import Context, Step, _check, base_tensors, definition
from .forms import (_SOURCES, Derivation, _bases, _breakable_rows, _printer, check_derivative, concrete_sizes,
                    derive_forms, recognise_checked, rewrite)
from .index import Symbols, Term, TensorInfo, evaluate_term, from_sympy
from .layout import form_latex, named_widths
from .spec import ConvSpec
from ..errors import DerivationError, InputError

# The first-order gradient each direction is contracted with, and the result each derivative is (PyTorch: gI, gW, ggO).
DIRECTIONS = (("x", "ggI"), ("h", "ggW"), ("b", "ggb"))
WRT = {"x": "grad_input", "h": "grad_weight", "g": "grad_output"}
LATEX = {"ggI": r"\mathit{ggI}", "ggW": r"\mathit{ggW}", "ggb": r"\mathit{ggb}"}


def _barred(symbols: tuple[sp.Symbol, ...]) -> tuple[sp.Symbol, ...]:
    # The first-order derivative's own index, summed over in L₂: barred, so that they read apart from the
    # definition's indices, and (sorting first) the ones a delta removes, so that the definition's letters stay.
    out = []
    for s in symbols:
        base = s.name.rstrip("'")
        head, _, sub = base.partition("_")
        head = r"\gamma" if head == "gamma" else head
        out.append(sp.Symbol(rf"\bar{{{head}}}" + (f"_{{{sub}}}" if sub else ""), integer=True))
    return tuple(out)


def _first_free(sym: Symbols, tensor: str) -> tuple[tuple[sp.Symbol, ...], tuple[sp.Expr, ...]]:
    if tensor == "x":
        return (sym.n_,) + sym.group_(sym.c_) + sym.u_, (sym.N,) + sym.group_size(sym.C) + sym.H
    if tensor == "h":
        return sym.group_(sym.o_, sym.c_) + sym.a_, sym.group_size(sym.O, sym.C) + sym.K
    return sym.group_(sym.o_), sym.group_size(sym.O)


def second_tensors(sym: Symbols) -> dict[str, TensorInfo]:
    """x, h, g, b and the three directions, each laid out as the tensor whose gradient it is paired with."""
    tensors = base_tensors(sym)
    for tensor, name in DIRECTIONS:
        info = tensors[tensor]
        tensors[name] = TensorInfo(name, LATEX[name], info.layout, info.shape, ops.Tensor(name, LATEX[name]))
    return tensors


def definition_second(sym: Symbols, bias: bool) -> tuple[list[sp.Expr], list[Term], list[Step]]:
    """L₂'s parts Σ dir·∂L/∂tensor (SymPy sums), the same parts as Terms (for exact checks), and the steps
    that state them: y, L, each first-order derivative as SymPy gave it (at the barred index), then L₂."""
    y, L, _ = definition(sym, bias)
    tensors = second_tensors(sym)
    pr = _printer(sym, tensors)
    y_idx = ",".join(pr.doprint(v) for v in (sym.n,) + sym.group(sym.o) + sym.i)
    steps = [Step("definition", "definition_y", rf"y_{{{y_idx}}} = {pr.doprint(y)}",
                  note_key="note.output_size", note_arg=_output_size(sym, pr)),
             Step("definition", "definition_L", rf"L = {pr.doprint(L)}", r"$g = \partial L / \partial y$")]
    parts, terms, shown = [], [], []
    for tensor, name in DIRECTIONS:
        if tensor == "b" and not bias:
            continue
        free, sizes = _first_free(sym, tensor)
        bar = _barred(free)
        first = L.diff(sp.IndexedBase(tensor)[free]).xreplace(dict(zip(free, bar)))   # the first order's own
        at = pr.doprint(sp.IndexedBase(tensor)[bar])
        steps.append(Step("definition", "first_order", rf"\frac{{\partial L}}{{\partial {at}}} = {pr.doprint(first)}",
                          arg=f"${tensor}$"))
        part = sp.Sum(sp.IndexedBase(name)[bar] * first, *[(v, 0, n - 1) for v, n in zip(bar, sizes)])
        parts.append(part)
        terms.append(from_sympy(part))
        over = ",".join(pr.doprint(v) for v in bar)
        shown.append(rf"\sum_{{{over}}} {pr.doprint(sp.IndexedBase(name)[bar])}\,"
                     rf"\frac{{\partial L}}{{\partial {at}}}")
    steps.append(Step("definition", "definition_L2", "L_2 = " + " + ".join(shown), note_key="note.directions"))
    return parts, terms, steps


def _output_size(sym: Symbols, pr: Any) -> str:
    return r",\ ".join(
        rf"{pr.doprint(o)} = \left\lfloor \frac{{{pr.doprint(h)} + {pr.doprint(p)} + P^{{\mathrm{{high}}}}"
        rf" - {pr.doprint(d)}({pr.doprint(k)}-1) - 1}}{{{pr.doprint(s)}}} \right\rfloor + 1"
        for o, h, d, k, s, p in zip(sym.Ho, sym.H, sym.D, sym.K, sym.S, sym.P))


@dataclass(frozen=True)
class SecondGeneral:
    """The double backward for one structure, every size a symbol: gI, gW and ggO's terms, and the steps."""

    sym: Symbols
    grad_input: ops.Expr
    grad_weight: ops.Expr
    grad_output: tuple[ops.Expr, ...]
    steps: tuple[Step, ...]
    bias_term: bool = False          # ggO also holds ggb, on every entry of its channel


@functools.lru_cache(maxsize=None)
def derive_second_general(ndim: int, grouped: bool, bias: bool, seed: int = 0) -> SecondGeneral:
    """gI, gW and ggO for one structure, derived from L₂ by SymPy and the rules, every step checked."""
    key = f"second-{ndim}d-{'grouped' if grouped else 'plain'}-{'bias' if bias else 'nobias'}-{seed}"
    found = store.load(key, _SOURCES, SecondGeneral)
    if found is not None:
        return found
    sym = Symbols(ndim, grouped)
    parts, L2_terms, steps = definition_second(sym, bias)
    L2 = sp.Add(*parts)
    tensors = second_tensors(sym)
    forms: dict[str, list[ops.Expr]] = {}
    bias_term = False
    for tensor in ("x", "h", "g"):
        target = WRT[tensor]
        if tensor == "g":
            free, sizes = (sym.n_,) + sym.group_(sym.o_) + sym.u_, (sym.N,) + sym.group_size(sym.O) + sym.Ho
        else:
            free, sizes = _first_free(sym, tensor)
        ctx = Context(sym, dict(tensors), free, dict(zip(free, sizes)), target, seed, "conv_double")
        forms[target], found_bias = _derive_one(ctx, L2, L2_terms, tensor, steps)
        bias_term = bias_term or found_bias
    if len(forms["grad_input"]) != 1 or len(forms["grad_weight"]) != 1:
        raise DerivationError("the double backward's gI and gW are each one closed form")
    general = SecondGeneral(sym, forms["grad_input"][0], forms["grad_weight"][0], tuple(forms["grad_output"]),
                            tuple(replace(st, latex=_breakable(st.latex)) for st in steps), bias_term)
    store.save(key, general, _SOURCES)
    return general


def _derive_one(ctx: Context, L2: sp.Expr, L2_terms: list[Term], tensor: str,
                steps: list[Step]) -> tuple[list[ops.Expr], bool]:
    """∂L₂/∂tensor: SymPy's derivative (a sum of parts, checked against L₂'s exact difference), each part
    rewritten and recognised; (the closed forms, whether one part is ggb on every entry)."""
    sym, target = ctx.sym, ctx.target
    wrt = sp.IndexedBase(tensor)[ctx.free]
    terms = sorted((_directions_last(from_sympy(p)) for p in sp.Add.make_args(L2.diff(wrt)) if p != 0),
                   key=_direction_order)
    check_derivative(ctx, terms, L2_terms, tensor)
    pr = _printer(sym, ctx.tensors)
    lhs = rf"\frac{{\partial L_2}}{{\partial {pr.doprint(wrt)}}}"
    index = ",".join(pr.doprint(f) for f in ctx.free)
    names = [lhs] if len(terms) == 1 else [rf"T^{{({k + 1})}}_{{{index}}}" for k in range(len(terms))]
    # several parts: named here, each written out in its own step below (one display holding them all would
    # be wider than the page)
    shown = [pr.doprint(terms[0].to_sympy(_bases(ctx)))] if len(terms) == 1 else names
    steps.append(Step(target, "differentiate_L2", rf"{lhs} = " + " + ".join(shown)))
    forms, bias_term = [], False
    for k, term in enumerate(terms):
        part = names[k]
        if len(terms) > 1:
            steps.append(Step(target, "part", f"{part} = {pr.doprint(term.to_sympy(_bases(ctx)))}", arg=str(k + 1)))
        term = rewrite(ctx, term, part, steps)
        if _is_bias_direction(term, ctx):
            bias_term = True
            channel = ",".join(pr.doprint(c) for c in sym.group_(sym.o_))
            steps.append(Step(target, "recognise_bias", rf"{part} = \mathit{{ggb}}_{{{channel}}}"))
            continue
        form = recognise_checked(ctx, term)
        forms.append(form)
        # a long padding named (q) and given in the note, as the first order's steps do
        name = f"q_{tensor}" if len(terms) == 1 else f"q_{k + 1}"
        short, rows = named_widths(form, name)
        note = rf"${sp.latex(sp.Symbol(name))} = {_breakable_rows(tuple(rows))}$" if rows else ""
        steps.append(Step(target, "recognise", f"{part} = {form_latex(short)}", note))
    return forms, bias_term


def _breakable(latex: str) -> str:
    r"""A step's equation with a line break allowed between its factors: L₂'s derivatives hold up to a dozen
    Kronecker deltas and tensors in one product, wider than the page at three spatial axes.

    >>> _breakable(r"\sum_{a} \delta_{a,\,b} \delta_{c,\,d} \mathit{ggW}_{a}")
    '\\sum_{a} \\delta_{a,\\,b} \\allowbreak \\delta_{c,\\,d} \\allowbreak \\mathit{ggW}_{a}'
    """
    return _FACTOR.sub(r"\1 \\allowbreak ", latex)


# a Kronecker delta or one of L₂'s tensors with its subscript (braces nest one level: \bar{a}_{1}), followed by
# another such factor
_FACTOR = re.compile(r"((?:\\delta|\\mathit\{gg\w+\}|\b[xhg])_\{(?:[^{}]|\{[^{}]*\})*\}) "
                     r"(?=\\delta_|\\mathit\{gg|[xhg]_\{)")


def _direction_order(term: Term) -> int:
    # ggO's parts in PyTorch's order: conv(ggI, h), then conv(x, ggW), then ggb
    names = [name for _, name in DIRECTIONS]
    return min(names.index(f.tensor) for f in term.factors if f.tensor in names)


def _directions_last(term: Term) -> Term:
    # The first order's factors come as (g, h) and (g, x); a rule that takes the first factor it fits (the
    # stride's dilation) must meet them in that order, with the direction (ggW, ggI) in the place of h or x.
    names = {name for _, name in DIRECTIONS}
    return Term(tuple(sorted(term.factors, key=lambda f: f.tensor in names)), term.deltas, term.limits)


def _is_bias_direction(term: Term, ctx: Context) -> bool:
    """ggb read at the kept channel, on every entry (nothing summed): checked exactly like a closed form."""
    channel = ctx.sym.group_(ctx.sym.o_)
    if len(term.factors) != 1 or term.deltas or term.limits or term.factors[0].tensor != "ggb" \
            or term.factors[0].index != channel:
        return False
    where = [ctx.free.index(c) for c in channel]
    _check(ctx, "closed form", lambda s, e, p: evaluate_term(term, ctx.tensors, e, s, p),
           lambda s, e, p: _bias_entry(ctx, e["ggb"], [p[ctx.free[k]] for k in where], s))
    return True


def _bias_entry(ctx: Context, ggb: np.ndarray, channel: list[int], sizes: Any) -> Any:
    if not ctx.sym.grouped:
        return ggb[channel[0]]
    return ggb[channel[0] * int(sizes[ctx.sym.O]) + channel[1]]


@dataclass(frozen=True)
class SecondOrder:
    """The double backward of one configuration: gI (``grad_input``), gW (``grad_weight``) and ggO
    (``grad_output``, a sum of closed forms, plus ggb on every entry when the convolution has a bias), with the
    steps that derived them (:func:`derive_second_general`)."""

    spec: ConvSpec
    general: SecondGeneral
    first: Derivation
    grad_input: ops.Expr
    grad_weight: ops.Expr
    grad_output: tuple[ops.Expr, ...]

    @property
    def steps(self) -> tuple[Step, ...]:
        return self.general.steps

    @property
    def closed_forms(self) -> dict[str, Any]:
        return {"grad_input": self.grad_input, "grad_weight": self.grad_weight, "grad_output": self.grad_output}

    def shown(self) -> dict[str, str]:
        """Each result as printed: ggO's terms joined by +, with ``ggb`` when it has one."""
        out = {"grad_input": str(self.grad_input), "grad_weight": str(self.grad_weight),
               "grad_output": " + ".join(map(str, self.grad_output))}
        if self.general.bias_term:
            out["grad_output"] += " + ggb"
        return out

    def evaluate(self, x: Any, h: Any, g: Any, ggI: Any, ggW: Any, ggb: Any = None) -> dict[str, np.ndarray]:
        """gI, gW and ggO from the closed forms (NumPy on floats, exact on object arrays)."""
        env = {"x": np.asarray(x), "h": np.asarray(h), "g": np.asarray(g), "ggI": np.asarray(ggI),
               "ggW": np.asarray(ggW)}
        sizes = self.first.sizes(env["x"], env["g"])
        out = {"grad_input": self.grad_input.evaluate(env, sizes), "grad_weight": self.grad_weight.evaluate(env, sizes)}
        ggO = sum(t.evaluate(env, sizes) for t in self.grad_output)
        if ggb is not None and self.general.bias_term:
            ggO = ggO + np.asarray(ggb).reshape((1, -1) + (1,) * self.spec.ndim)
        out["grad_output"] = ggO
        return out


def derive_second_order(spec: ConvSpec) -> SecondOrder:
    """The double backward of ``spec``: the structure's forms (:func:`derive_second_general`) at its sizes."""
    if spec.transposed:
        raise InputError("--order 2: the double backward is derived for the convolution (--op conv)")
    general = derive_second_general(spec.ndim, spec.groups > 1, spec.bias)
    values = concrete_sizes(spec, general.sym)
    return SecondOrder(spec, general, derive_forms(spec), general.grad_input.map_sizes(values),
                       general.grad_weight.map_sizes(values),
                       tuple(t.map_sizes(values) for t in general.grad_output))
