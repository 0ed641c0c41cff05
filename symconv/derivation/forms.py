"""``derive_forms(spec)``: the closed forms of a convolution's gradients, obtained and checked by the engine.

The symbolic work depends only on the configuration's *structure* (spatial rank, grouped or not, bias or
not), so it is done once per structure with every size a symbol; a concrete configuration then substitutes
its kernel size, stride, dilation, padding and groups into those closed forms.

>>> from symconv import ConvSpec
>>> d = derive_forms(ConvSpec(2, 2, 3, padding=1))
>>> print(d.grad_input)
correlate(pad(g, 1), rot180(swap_io(h)))
>>> print(d.grad_weight)
batch_correlate(pad(x, 1), g)
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import numpy as np
import sympy as sp

from . import ops, store
from .store import cache_folder  # noqa: F401  (where the cache lives; tests and README name it here)
from .engine import (RULES, Context, Step, base_tensors, definition, definition_pad, definition_slice,
                     definition_transposed, recognise, to_layout, unary_tensors, _check, _check_terms)
from ..errors import InputError
from .index import Symbols, evaluate_term, from_sympy
from .layout import aligned, display, gradient_displays
from .printing import Printer
from .spec import ConvSpec
from ..wording import w

TARGETS = (("grad_input", "x"), ("grad_weight", "h"), ("grad_bias", "b"))


@dataclass(frozen=True)
class General:
    """The symbolic result for one structure: closed forms holding for every size, and the steps."""

    sym: Symbols
    closed: dict[str, ops.Expr]
    steps: tuple[Step, ...]
    # the closed forms as a report shows them (at stride 1 and dilation 1 the output size written out, see
    # Symbols.shown): made when derived and stored with them, so that a warm run builds no SymPy sum
    shown: dict[str, ops.Expr] = field(default_factory=dict)


def _free(sym: Symbols, tensor: str) -> tuple[tuple[sp.Symbol, ...], tuple[sp.Expr, ...]]:
    if tensor == "x":
        return (sym.n_,) + sym.group_(sym.c_) + sym.u_, (sym.N,) + sym.group_size(sym.C) + sym.H
    if tensor == "h":
        return sym.group_(sym.o_, sym.c_) + sym.a_, sym.group_size(sym.O, sym.C) + sym.K
    return sym.group_(sym.o_), sym.group_size(sym.O)


def _printer(sym: Symbols, tensors: Mapping[str, Any]) -> Printer:
    return Printer({k: v.latex for k, v in tensors.items()}, sym.latex_names(), sym.shown())


@functools.lru_cache(maxsize=None)
def derive_general(ndim: int, grouped: bool, bias: bool, seed: int = 0, unit: bool = False,
                   symmetric: bool = False, transposed: bool = False) -> General:
    """Derive every gradient for one structure, every size symbolic, every step checked.

    The result is also kept on disk (:func:`cache_folder`), so that the next process reads it instead of
    deriving it again; see :func:`_load` for when a stored result is trusted.
    """
    key = f"general-{ndim}d-{'grouped' if grouped else 'plain'}-{'bias' if bias else 'nobias'}-{seed}" \
        + ("-unit" if unit else "") + ("-even" if unit and symmetric else "") + ("-transposed" if transposed else "")
    found = _load(key)
    if found is not None:
        return found
    general = _derive_general(ndim, grouped, bias, seed, unit, unit and symmetric, transposed)
    _store(key, general)
    return general


# ------------------------------------------------------------------------------------------ on-disk cache
# One file per structure (:mod:`.store`), trusted only after its hash checks: the package version and the
# SHA-256 of this stage's source files (and SymPy's version) must be this installation's.

_SOURCES = tuple(sorted(Path(__file__).resolve().parent.glob("*.py")))


def _load(key: str) -> General | None:
    return store.load(key, _SOURCES, General)


def _store(key: str, general: General) -> None:
    store.save(key, general, _SOURCES)


def _derive_general(ndim: int, grouped: bool, bias: bool, seed: int, unit: bool = False,
                    symmetric: bool = False, transposed: bool = False) -> General:
    sym = Symbols(ndim, grouped, unit, symmetric, transposed)
    y, L, L_terms = (definition_transposed if transposed else definition)(sym, bias)
    tensors = base_tensors(sym, transposed)
    pr = _printer(sym, tensors)
    y_free = L_terms[0].factors[0].index     # y's own index: (n, γ, o, i) or, transposed, (n, γ, o, j)
    y_idx = ",".join(pr.doprint(v) for v in y_free)
    ho = r",\ ".join(
        rf"{pr.doprint(o)} = \left\lfloor \frac{{{pr.doprint(h)} + P^{{\mathrm{{low}}}} + P^{{\mathrm{{high}}}}"
        rf" - {pr.doprint(d)}({pr.doprint(k)}-1) - 1}}{{{pr.doprint(s)}}} \right\rfloor + 1"
        .replace("P^{\\mathrm{low}}", pr.doprint(p))
        for o, h, d, k, s, p in zip(sym.Ho, sym.H, sym.D, sym.K, sym.S, sym.P))
    # At stride 1 and dilation 1 the output size is written out (no floor, no symbol of its own): each
    # output index runs from 0 to H + P + P_high − K.
    ranges = r",\ ".join(rf"0 \leq {pr.doprint(i)} \leq {pr.doprint(o - 1)}" for i, o in zip(sym.i, sym.Ho))
    note_key = "note.output_range_even" if sym.symmetric else "note.output_range" if sym.unit else "note.output_size"
    note_arg = ranges if sym.unit else ho
    if transposed:
        note_key, note_arg = "note.output_size_transposed", r",\ ".join(
            rf"{pr.doprint(o)} = {pr.doprint(s)}({pr.doprint(h)} - 1) - 2 {pr.doprint(p)} + {pr.doprint(d)}"
            rf"({pr.doprint(k)} - 1) + R + 1" for o, h, d, k, s, p in zip(sym.Ho, sym.H, sym.D, sym.K, sym.S, sym.P))
    steps = [Step("definition", "definition_y_transposed" if transposed else "definition_y",
                  rf"y_{{{y_idx}}} = {pr.doprint(y)}", note_key=note_key, note_arg=note_arg),
             Step("definition", "definition_L", rf"L = {pr.doprint(L)}", r"$g = \partial L / \partial y$")]
    closed: dict[str, ops.Expr] = {}
    for target, tensor in TARGETS:
        if tensor == "b" and not bias:
            continue
        free, sizes = _free(sym, tensor)
        if tensor == "h" and transposed:     # the kernel (C_in, C_out/G, ...): γ, c, o
            free, sizes = sym.group_(sym.c_, sym.o_) + sym.a_, sym.group_size(sym.C, sym.O) + sym.K
        ctx = Context(sym, dict(tensors), free, dict(zip(free, sizes)), target, seed,
                      "conv_transpose" if transposed else "conv")
        form = derive_gradient(ctx, L, L_terms, tensor, steps)
        closed[target] = form
    shown = {k: f.map_sizes(sym.shown()) for k, f in closed.items()} if sym.shown() else dict(closed)
    return General(sym, closed, tuple(steps), shown)


def derive_gradient(ctx: Context, L: sp.Expr, L_terms: list[Any], tensor: str, steps: list[Step],
                    rules: tuple[Any, ...] | None = None, read: Any = None) -> ops.Expr:
    """∂L/∂tensor: SymPy's derivative of L (checked against L's exact difference), rewritten by the rules
    until none fits (each step checked when taken), recognised as a closed form (checked too); the steps are
    appended to ``steps``. An operator that needs more (pooling, :mod:`.pooling`) passes its ``rules`` and
    its reading ``read`` of the last Term (by default the module's RULES and recognise, looked up when
    called, so that a test may put a wrong rule in their place)."""
    sym, target = ctx.sym, ctx.target
    wrt = sp.IndexedBase(tensor)[ctx.free]
    term = from_sympy(L.diff(wrt))
    check_derivative(ctx, [term], L_terms, tensor)
    lhs = rf"\frac{{\partial L}}{{\partial {_printer(sym, ctx.tensors).doprint(wrt)}}}"
    steps.append(Step(target, "differentiate",
                      rf"{lhs} = {_printer(sym, ctx.tensors).doprint(term.to_sympy(_bases(ctx)))}"))
    term = rewrite(ctx, term, lhs, steps, rules)
    form = recognise_checked(ctx, term, read)
    # A long padding is named (q_x) and given in the step's note, where the line may break between axes.
    equation, widths = gradient_displays(tensor, form.map_sizes(ctx.sym.shown()))
    steps.append(Step(target, "recognise", equation,
                      rf"$q_{{{tensor}}} = {_breakable_rows(widths)}$"
                      if widths else ""))
    return form


def rewrite(ctx: Context, term: Any, lhs: str, steps: list[Step], rules: tuple[Any, ...] | None = None) -> Any:
    """The rules applied to ``term`` until none fits, each step checked when taken and appended to ``steps``
    as ``lhs = `` the rewritten sum."""
    progress = True
    while progress:
        progress = False
        for rule in RULES if rules is None else rules:     # RULES read when called: a test may replace it
            known = set(ctx.tensors)
            found = rule(term, ctx)
            if found is None:
                continue
            arg, new = found
            _check_terms(ctx, rule.__name__, term, new)
            notes = [rf"${ctx.tensors[n].definition}$" for n in ctx.tensors if n not in known]
            term = new
            steps.append(Step(ctx.target, _STEP_KEY.get((ctx.op, rule.__name__), rule.__name__), rf"{lhs} = "
                              f"{_printer(ctx.sym, ctx.tensors).doprint(term.to_sympy(_bases(ctx)))}",
                              "; ".join(notes), arg=arg))
            progress = True
            break
    return term


# A rule whose wording differs where it is taken: in the double backward's L₂ a sum over the first-order
# gradient's own index, and in constant padding's derivative a sum over the output, is read off a delta where
# there is no stride at all (the convolution's wording says "stride 1"); so is fold's sum over the image
# index j, whose coefficient is 1 whatever fold's stride (a report of stride (1, 2) said "stride 1" twice).
_STEP_KEY = {("conv_double", "shift_index"): "read_off_delta", ("slice", "shift_index"): "read_off_delta",
             ("pad", "shift_index"): "read_off_delta", ("fold", "shift_index"): "read_off_delta",
             # a transposed convolution's scatter, j = S·i + D·a − P, read off at any stride: a shift, no stride 1
             ("conv_transpose", "shift_index"): "shift_delta"}


def recognise_checked(ctx: Context, term: Any, read: Any = None) -> ops.Expr:
    """The rewritten sum read as a closed form (by ``read``, default :func:`recognise`), the two compared
    exactly at random sizes."""
    form = (recognise if read is None else read)(term, ctx)
    _check(ctx, "closed form", lambda s, e, p: evaluate_term(term, ctx.tensors, e, s, p),
           lambda s, e, p: to_layout(ctx, form.evaluate(e, s), p, s))
    return form


def _bases(ctx: Context) -> dict[str, sp.IndexedBase]:
    return {name: sp.IndexedBase(name) for name in ctx.tensors}


def check_derivative(ctx: Context, terms: list[Any], L_terms: list[Any], tensor: str) -> None:
    """SymPy's derivative (the sum of ``terms``) against the exact difference L(v + e) − L(v): L is linear in
    each argument (the double backward's L₂ too)."""
    def bumped(sizes: Any, env: Any, point: Any) -> Any:
        plus = {k: v.copy() for k, v in env.items()}
        flat = np.zeros(plus[tensor].shape, dtype=int)
        to_layout_index(ctx, flat, point, sizes)
        plus[tensor] = plus[tensor] + flat
        return (sum(evaluate_term(t, ctx.tensors, plus, sizes, {}) for t in L_terms)
                - sum(evaluate_term(t, ctx.tensors, env, sizes, {}) for t in L_terms))
    _check(ctx, "differentiate", lambda s, e, p: sum(evaluate_term(t, ctx.tensors, e, s, p) for t in terms),
           bumped, trials=2, most=4)


def to_layout_index(ctx: Context, array: np.ndarray, point: Any, sizes: Any) -> None:
    """Set the entry at a Term-layout free index to 1 (a unit vector e_u)."""
    view = array.reshape(-1)
    marker = np.arange(array.size).reshape(array.shape)
    view[int(to_layout(ctx, marker, point, sizes))] = 1


def concrete_sizes(spec: ConvSpec, sym: Symbols) -> dict[sp.Symbol, Any]:
    """The spec's values for the size symbols; the output size in terms of the (still symbolic) input size."""
    values: dict[sp.Symbol, Any] = {sym.G: spec.groups}
    if spec.transposed:
        for k, (K, S, D, (lo, hi), R) in enumerate(zip(spec.kernel_size, spec.stride, spec.dilation,  # type: ignore
                                                       spec.pads, spec.output_padding)):  # type: ignore
            values.update({sym.K[k]: K, sym.S[k]: S, sym.D[k]: D, sym.P[k]: lo,
                           sym.Ho[k]: S * (sym.H[k] - 1) - lo - hi + D * (K - 1) + R + 1})
        return values
    for k, (K, S, D, (lo, hi)) in enumerate(zip(spec.kernel_size, spec.stride, spec.dilation,  # type: ignore
                                                spec.pads)):
        X = sym.H[k] + lo + hi - D * (K - 1) - 1
        # S·(H_o − 1) = X − (X mod S): written with Mod so that widths read as a remainder.
        values.update({sym.K[k]: K, sym.S[k]: S, sym.D[k]: D, sym.P[k]: lo,
                       sym.Ho[k]: (X - sp.Mod(X, S)) / S + 1})
    return values


def sizes_at(spec: ConvSpec, sym: Symbols, input_size: tuple[int, ...], batch: int) -> dict[sp.Symbol, int]:
    """Every size symbol's value for ``spec`` at one concrete input size and batch."""
    out = spec.output_size(tuple(input_size))
    sizes = {sym.N: batch, sym.G: spec.groups, sym.C: spec.in_channels // spec.groups,
             sym.O: spec.out_channels // spec.groups}
    for k, (K, S, D, (lo, _)) in enumerate(zip(spec.kernel_size, spec.stride, spec.dilation,  # type: ignore
                                               spec.pads)):
        sizes.update({sym.K[k]: K, sym.S[k]: S, sym.D[k]: D, sym.P[k]: lo, sym.H[k]: input_size[k],
                      sym.Ho[k]: out[k]})
    return sizes


_SYMBOL = {"grad_input": "x", "grad_weight": "h", "grad_bias": "b"}


@dataclass(frozen=True)
class Derivation:
    """The closed forms of one configuration's gradients, with the steps that produced them."""

    spec: ConvSpec
    general: General
    grad_input: ops.Expr
    grad_weight: ops.Expr
    grad_bias: ops.Expr | None
    proof: Any = None     # attached by the proof stage (symconv.derive): a proof for every size
    general_proof: Any = None   # and the general forms' proof for every kernel size and padding too

    @property
    def steps(self) -> tuple[Step, ...]:
        return self.general.steps

    @property
    def legend_key(self) -> str:
        """The operators' legend: at stride 1 and dilation 1 without the stride's operators (none appear)."""
        return "legend.unit" if set(self.spec.stride) == {1} and set(self.spec.dilation) == {1} else "legend"

    @property
    def closed_forms(self) -> dict[str, ops.Expr]:
        forms = {"grad_input": self.grad_input, "grad_weight": self.grad_weight}
        if self.grad_bias is not None:
            forms["grad_bias"] = self.grad_bias
        return forms

    def sizes(self, x: np.ndarray, g: np.ndarray | None = None) -> dict[sp.Symbol, int]:
        sym = self.general.sym
        out = {h: int(n) for h, n in zip(sym.H, x.shape[2:])}
        if g is not None:
            out.update({ho: int(n) for ho, n in zip(sym.Ho, g.shape[2:])})
        return out

    def evaluate(self, x: Any, h: Any, g: Any) -> dict[str, np.ndarray]:
        """Gradients from the closed forms: float arrays give NumPy results, object arrays exact ones."""
        x, h, g = (np.asarray(v) for v in (x, h, g))
        check_shapes(self.spec, x, h, g=g)
        env = {"x": x, "h": h, "g": g}
        return {name: form.evaluate(env, self.sizes(x, g)) for name, form in self.closed_forms.items()}

    def to_latex(self, lang: str = "en") -> str:
        r"""The step-by-step derivation as a LaTeX fragment: the closed forms, the forms for every size, and
        every step with its rule, exactly as the ``symconv derive`` report prints them (the report adds the
        configuration, the figure and the proofs). For ``\input`` into a document that loads amsmath,
        amssymb (ctex for ``lang="zh"``).

        Built here from the steps' own LaTeX and the wording table, so the derivation stage needs nothing
        from the report stage; ``tests/test_api.py`` checks that the report prints the same text.

        >>> from symconv import ConvSpec
        >>> tex = derive_forms(ConvSpec(2, 2, 3, padding=1)).to_latex()
        >>> print(tex.splitlines()[0])
        \section*{Closed forms}
        >>> "Step 1: " in tex, r"\operatorname{rot180}" in tex
        (True, True)
        """
        def gradients(forms: Mapping[str, ops.Expr], general: bool = False) -> list[str]:
            out = []
            for name, form in forms.items():
                equation, widths = gradient_displays(_SYMBOL[name], form, general)
                out.append(display(equation))
                if widths:
                    out.append("\\begin{align*}\n" + aligned(f"q_{{{_SYMBOL[name]}}}", widths) + "\n\\end{align*}")
            return out

        parts = [f"\\section*{{{w('h.closed_forms', lang)}}}", w(self.legend_key, lang),
                 *gradients(self.closed_forms), w("every_size", lang), *gradients(self.general.closed, True)]
        current = None
        for number, step in enumerate(self.steps, start=1):
            if step.target != current:
                current = step.target
                parts.append(f"\\section*{{{w('h.' + step.target, lang)}}}")
            parts += [w("step", lang, n=number, rule=step.rule_text(lang)), display(step.latex)]
            if step.note_text(lang):
                parts.append(w("where", lang, note=step.note_text(lang)))
        return "\n\n".join(parts) + "\n"

    def __repr__(self) -> str:
        forms = "; ".join(f"dL/d{_SYMBOL[n]} = {f}" for n, f in self.closed_forms.items())
        text = f"<Derivation {self.spec.describe()}: {forms}; {len(self.steps)} steps>"
        return text if len(text) <= 300 else text[:298] + "…>"

    def show_steps(self, lang: str = "en") -> "Steps":
        """Every step, numbered, with its rule in words and its equation; renders in a notebook."""
        return Steps(self.steps, lang)

    def _repr_latex_(self) -> str:
        return "$$" + r"\\".join(gradient_displays(t, f, general=False)[0]
                                 for t, f in zip("xhb", self.closed_forms.values())) + "$$"


@dataclass(frozen=True)
class Steps:
    """A derivation's steps for reading: ``d.show_steps()`` in a notebook shows them all, each rule in words."""

    steps: tuple[Step, ...]
    lang: str = "en"

    def __repr__(self) -> str:
        return f"<{len(self.steps)} steps: " + ", ".join(s.key for s in self.steps)[:250] + ">"

    def _repr_markdown_(self) -> str:
        out = []
        for number, step in enumerate(self.steps, start=1):
            out.append(w("step", self.lang, n=number, rule=step.rule_text(self.lang)) + f"\n\n$$\n{step.latex}\n$$")
            if step.note_text(self.lang):
                out.append(w("where", self.lang, note=step.note_text(self.lang)))
        return "\n\n".join(out)


def _breakable_rows(rows: tuple[str, ...]) -> str:
    """Rows of a display joined for a sentence: plain parentheses (``\\left(`` would make each row one
    unbreakable box), so the line may break after any + or −."""
    return r",\ ".join(r.rstrip(",").replace(r"\left(", "(").replace(r"\right)", ")") for r in rows)


def check_shapes(spec: ConvSpec, x: np.ndarray, h: np.ndarray, g: np.ndarray | None = None,
                 bias: np.ndarray | None = None) -> None:
    """Raise :class:`InputError` naming the array whose shape does not fit the spec."""
    nd = spec.ndim
    if x.ndim != nd + 2 or x.shape[1] != spec.in_channels:
        raise InputError(f"x must have shape (N, {spec.in_channels}, {nd} spatial sizes), got {x.shape}")
    want_h = spec.weight_channels + tuple(spec.kernel_size)  # type: ignore
    if h.shape != want_h:
        raise InputError(f"h must have shape {want_h}, got {h.shape}")
    out = (x.shape[0], spec.out_channels) + spec.output_size(tuple(x.shape[2:]))
    if g is not None and g.shape != out:
        raise InputError(f"g (dL/dy) must have the output's shape {out}, got {g.shape}")
    if bias is not None and bias.shape != (spec.out_channels,):
        raise InputError(f"bias must have shape ({spec.out_channels},), got {bias.shape}")


def derive_forms(spec: ConvSpec) -> Derivation:
    """The closed forms of ∂L/∂x, ∂L/∂h (and ∂L/∂b) for ``spec``, derived by the engine, every step checked.

    The forms are the structure's general forms (:func:`derive_general`, cached) with the spec's sizes
    substituted; :func:`symconv.derive` (the proof stage) attaches their proof for every size.
    """
    general = derive_general(spec.ndim, spec.groups > 1, spec.bias, transposed=spec.transposed)
    values = concrete_sizes(spec, general.sym)
    forms = {k: f.map_sizes(values) for k, f in general.closed.items()}
    return Derivation(spec, general, forms["grad_input"], forms["grad_weight"], forms.get("grad_bias"))


# ------------------------------------------------------------------------- operators of one input

UNARY = ("slice", "pad")


@functools.lru_cache(maxsize=None)
def derive_unary_general(op: str, ndim: int, seed: int = 0) -> General:
    """∂L/∂x of strided slicing (``op = "slice"``) or constant padding (``"pad"``), every size a symbol,
    derived by the same engine (:func:`derive_gradient`) from the operator's index expression."""
    if op not in UNARY:
        raise InputError(f"op must be one of {', '.join(UNARY)}, got {op!r}")
    key = f"general-{op}-{ndim}d-{seed}"
    found = _load(key)
    if found is not None:
        return found
    sym = Symbols(ndim, False)
    y, L, L_terms = (definition_slice if op == "slice" else definition_pad)(sym)
    tensors = unary_tensors(sym)
    pr = _printer(sym, tensors)
    y_idx = ",".join(pr.doprint(v) for v in L_terms[0].factors[0].index)
    steps = [Step("definition", f"definition_y_{op}", rf"y_{{{y_idx}}} = {pr.doprint(y)}"),
             Step("definition", "definition_L", rf"L = {pr.doprint(L)}", r"$g = \partial L / \partial y$")]
    free, sizes = (sym.n_, sym.c_) + sym.u_, (sym.N, sym.C) + sym.H
    ctx = Context(sym, dict(tensors), free, dict(zip(free, sizes)), "grad_input", seed, op)
    general = General(sym, {"grad_input": derive_gradient(ctx, L, L_terms, "x", steps)}, tuple(steps))
    _store(key, general)
    return general


def unary_sizes(spec: Any, sym: Symbols) -> dict[sp.Symbol, Any]:
    """A slicing's or padding's values for the size symbols, the output size in terms of the input size."""
    values: dict[sp.Symbol, Any] = {}
    if spec.op == "pad":
        for k, (lo, hi) in enumerate(spec.pads):
            values.update({sym.P[k]: lo, sym.Ho[k]: sym.H[k] + lo + hi})
        return values
    for k, (a, b, s) in enumerate(zip(spec.start, spec.stop, spec.step)):
        # To the end: H^o = ⌈(H − a)/s⌉, written with Mod so that the padding reads as a remainder.
        ho = len(range(a, b, s)) if b is not None else (sym.H[k] - a - sp.Mod(sym.H[k] - a - 1, s) - 1) / s + 1
        values.update({sym.S[k]: s, sym.P[k]: a, sym.Ho[k]: ho})
    return values


@dataclass(frozen=True)
class UnaryDerivation:
    """The closed form of ∂L/∂x of an operator of one input (slicing, constant padding; average pooling,
    unfold and fold subclass it), with the steps that produced it."""

    spec: Any
    general: General
    grad_input: ops.Expr
    proof: Any = None
    general_proof: Any = None

    @property
    def steps(self) -> tuple[Step, ...]:
        return self.general.steps

    @property
    def closed_forms(self) -> dict[str, ops.Expr]:
        return {"grad_input": self.grad_input}

    @property
    def legend_key(self) -> str:
        """The operators' legend: slicing's dilation and padding, padding's crop alone (no correlation,
        rotation or channel swap appears in either)."""
        return "legend.pad" if self.spec.op == "pad" else "legend.unary"

    def evaluate(self, x: Any, g: Any) -> dict[str, np.ndarray]:
        """∂L/∂x from the closed form: float arrays give NumPy results, object arrays exact ones."""
        x, g = np.asarray(x), np.asarray(g)
        if x.ndim != self.spec.ndim + 2:
            raise InputError(f"x must have {self.spec.ndim + 2} axes (N, C and {self.spec.ndim} spatial), "
                             f"got shape {x.shape}")
        want = x.shape[:2] + self.spec.output_size(tuple(x.shape[2:]))
        if g.shape != want:
            raise InputError(f"g (dL/dy) must have the output's shape {want}, got {g.shape}")
        sym = self.general.sym
        sizes = {h: int(n) for h, n in zip(sym.H, x.shape[2:])} | {o: int(n) for o, n in zip(sym.Ho, g.shape[2:])}
        return {"grad_input": self.grad_input.evaluate({"x": x, "g": g}, sizes)}

    def __repr__(self) -> str:
        return f"<Derivation {self.spec.describe()}: dL/dx = {self.grad_input}; {len(self.steps)} steps>"


def derive_unary_forms(spec: Any) -> UnaryDerivation:
    """The closed form of ∂L/∂x for a :class:`~symconv.derivation.spec.SliceSpec` or
    :class:`~symconv.derivation.spec.PadSpec`: the general form with the spec's sizes put in.

    >>> from symconv.derivation.spec import SliceSpec, PadSpec
    >>> print(derive_unary_forms(SliceSpec(1, start=1, step=2)).grad_input)
    pad(dilate(g, 2), (1, H mod 2))
    >>> print(derive_unary_forms(PadSpec(1, ((1, 2),))).grad_input)
    pad(g, (-1, -2))
    """
    general = derive_unary_general(spec.op, spec.ndim)
    values = unary_sizes(spec, general.sym)
    return UnaryDerivation(spec, general, general.closed["grad_input"].map_sizes(values))


# ------------------------------------------------------------------------------ the double backward

def renamed(expr: ops.Expr, names: Mapping[str, str]) -> ops.Expr:
    """The same tree with some tensors read under other names (``h`` as ``ggW``)."""
    from dataclasses import fields, replace
    if isinstance(expr, ops.Tensor):
        return ops.Tensor(names.get(expr.name, expr.name), expr.latex)
    return replace(expr, **{f.name: renamed(getattr(expr, f.name), names)  # type: ignore[arg-type]
                            for f in fields(expr) if isinstance(getattr(expr, f.name), ops.Expr)})
