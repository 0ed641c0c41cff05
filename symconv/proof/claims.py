r"""Claims: a closed form that a person writes, proved or refuted for every size.

A claim is read by :mod:`.grammar` (the operator syntax symconv prints, or its LaTeX; never evaluated).

:func:`prove_claim` proves a claim for one configuration, for every batch size, channel count and input size
at its kernel size, padding, groups, stride and dilation (:func:`symconv.proof.presburger.prove`), or refutes it
with the smallest counterexample:

>>> from symconv import ConvSpec
>>> spec = ConvSpec(2, 2, 3, padding=1)
>>> print(prove_claim(spec, "x", "correlate(pad(g, 1), rot180(swap_io(h)))"))
∂L/∂x = correlate(pad(g, 1), rot180(swap_io(h))): proved for every N, C_in, C_out, H, W at K = 3, P = 1, stride 1, dilation 1
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Sequence

import sympy as sp

from ..derivation import ops
from ..derivation.index import Symbols
from ..derivation.spec import ConvSpec
from ..errors import InputError
from . import presburger
from .grammar import (MAX_DEPTH, MAX_DIGITS, MAX_LENGTH, MAX_OPERATORS, MAX_POWER, ClaimError, Token, parse,
                      parse_size, terms, tokenize)
from .witness import MAX_VALUE

# ------------------------------------------------------------------------------------------------ proof

WRT = {"x": "grad_input", "h": "grad_weight", "b": "grad_bias"}


@dataclass(frozen=True)
class ClaimProof:
    """A claim about one gradient of one configuration, proved or refuted for every size.

    ``verdict`` is ``proved``, ``refuted`` (with :attr:`counterexample`, the smallest sizes where it is
    wrong) or ``undecided`` (the affine reading cannot express the formula; :attr:`detail` says why).
    """

    text: str
    wrt: str
    form: ops.Expr
    proof: presburger.Proof
    lhs: str = ""           # the double backward's result (gI, gW, ggO) in place of ∂L/∂wrt

    @property
    def result(self) -> presburger.Result:
        return self.proof.results[0]

    @property
    def ok(self) -> bool:
        return self.result.ok

    @property
    def counterexample(self) -> presburger.Counterexample | None:
        return self.result.counterexample

    @property
    def verdict(self) -> str:
        return "proved" if self.ok else "refuted" if self.counterexample is not None else "undecided"

    @property
    def statement(self) -> str:
        """What was proved (or would have been): "for every N, C_in, C_out, H, W at K = 3, P = 1, ..."."""
        return self.proof.statement

    @property
    def detail(self) -> str:
        return self.result.detail

    def __str__(self) -> str:
        head = f"{self.lhs or '∂L/∂' + self.wrt} = {self.form}"
        if self.ok:
            return f"{head}: proved {self.statement}"
        if self.counterexample is not None:
            return f"{head}: refuted, {self.counterexample}"
        return f"{head}: not decided ({self.detail})"


def prove_claim(spec: ConvSpec, wrt: str, text: str, fixed_sizes: bool = True) -> ClaimProof:
    """Prove or refute ``∂L/∂wrt = claim`` for ``spec`` (``wrt``: ``x``, ``h`` or ``b``).

    The claim is read by :func:`parse` and proved as written, nothing substituted into it: for every batch
    size N, channel counts C_in and C_out (multiples of the groups) and input size, at the spec's kernel size,
    padding, groups, stride and dilation. Size names in the claim (K, P, ...) take those values. With
    ``fixed_sizes=False`` the kernel size, padding and group count are left free too (a claim in K, P and G,
    as :func:`symconv.derivation.derive_general` prints them, proved for every value).
    """
    _check_wrt(spec, wrt)
    return prove_form(spec, wrt, parse(text, spec.ndim), fixed_sizes, text)


def _check_wrt(spec: ConvSpec, wrt: str) -> None:
    if wrt not in WRT:
        raise InputError(f"wrt must be one of {', '.join(WRT)}, got {wrt!r}")
    if wrt == "b" and not spec.bias:
        raise InputError("wrt b: the configuration has no bias (set bias)")


def prove_form(spec: ConvSpec, wrt: str, form: ops.Expr, fixed_sizes: bool = True,
               text: str | None = None) -> ClaimProof:
    """As :func:`prove_claim`, for a closed form already read (a formula answer is proved as the tree its
    reader built, never a reprint of it); ``text`` is what the person wrote, kept for the record."""
    _check_wrt(spec, wrt)
    if "b" in leaves(form) and not spec.bias:
        raise ClaimError("the formula adds b, but the convolution has no bias")
    check_limits(form, spec, fixed_sizes)
    grouped = spec.groups > 1
    fixed = presburger.Fixed(tuple(spec.kernel_size), tuple(spec.pads),  # type: ignore[arg-type]
                             spec.groups if grouped else None,
                             tuple(spec.output_padding) if spec.transposed else None  # type: ignore[arg-type]
                             ) if fixed_sizes else None
    target = WRT[wrt]
    proof = presburger.prove(spec.ndim, grouped, spec.bias, tuple(spec.stride),  # type: ignore[arg-type]
                             tuple(spec.dilation), {target: terms(form)}, fixed, [target],  # type: ignore
                             transposed=spec.transposed)
    return ClaimProof(str(form) if text is None else text, wrt, form, proof)


def one_input_claim(spec: Any, text: str) -> ops.Expr:
    """A claim about ∂L/∂x of an operator of one input (slicing, padding, pooling, unfold, fold) read, and
    refused when it reads anything but g, has over :data:`MAX_OPERATORS` operators or a parameter over its
    bound (before any proof is attempted)."""
    form = parse(text, spec.ndim)
    if leaves(form) - {"g"}:
        raise ClaimError(f"the formula reads {', '.join(sorted(leaves(form) - {'g'}))}; ∂L/∂x of {spec.op} is "
                         f"made of g alone")
    count = sum(not isinstance(n, (ops.Tensor, ops.AddBias)) for n in ops.nodes(form))
    if count > MAX_OPERATORS:
        raise ClaimError(f"{count} operators; a claim has at most {MAX_OPERATORS}")
    for node in ops.nodes(form):
        for what, value, _ in ops.parameters(node):
            if isinstance(value, int) and abs(value) > MAX_VALUE[what]:
                raise ClaimError(f"{what} {_short(value)} in {_short(node)}: at most {MAX_VALUE[what]:,}")
    return form


def prove_unary_claim(spec: Any, text: str) -> ClaimProof:
    """``∂L/∂x = claim`` for a slicing or a constant padding (a :class:`~symconv.derivation.spec.SliceSpec` or
    :class:`~symconv.derivation.spec.PadSpec`), proved or refuted for every N, C and input size at its
    parameters."""
    from .attach import unary_fixed
    form = one_input_claim(spec, text)
    step = tuple(spec.step) if spec.op == "slice" else None
    proof = presburger.prove_unary(spec.op, spec.ndim, step, {"grad_input": terms(form)}, unary_fixed(spec))
    return ClaimProof(text, "x", form, proof)


def prove_pool_claim(spec: Any, text: str) -> ClaimProof:
    """``∂L/∂x = claim`` for average pooling (an :class:`~symconv.derivation.spec.AvgPoolSpec`), proved or
    refuted for every N, C and input size at its kernel, stride, padding and flags
    (:mod:`.presburger_pool`)."""
    from .presburger_pool import prove_spec
    form = one_input_claim(spec, text)
    if isinstance(form, ops.AddBias):
        raise ClaimError("∂L/∂x of avg_pool is one sum of windows; a sum of formulas is not read")
    from ..derivation.pooling import Divide, SumWindows
    from ..derivation.spec import MAX_PER_AXIS
    for node in ops.nodes(form):        # the pooling operators' sizes, as the spec's kernel and stride
        values = node.window if isinstance(node, SumWindows) else (
            node.divisor.kernel + node.divisor.stride + node.divisor.padding) if isinstance(node, Divide) else ()
        big = [v for v in values if isinstance(v, int) and abs(v) > MAX_PER_AXIS]
        if big:
            raise ClaimError(f"{_short(big[0])} in {_short(node)}: a window, stride or padding is at most "
                             f"{MAX_PER_AXIS:,}")
    return ClaimProof(text, "x", form, prove_spec(spec, form))


# ------------------------------------------------------------------------------------- the double backward

SECOND_TENSORS = ("g", "x", "h", "ggI", "ggW", "ggb")
SECOND_WRT = {"x": "gI", "h": "gW", "g": "ggO"}
# What each result reads, and the first-order form it is read back as (L is linear in x and in h, so gI is
# ∂L/∂x with ggW read as h, gW is ∂L/∂h with ggI read as x, and each term of ggO is a forward pass y = ∂L/∂g).
_READS = {"x": ({"g", "ggW"}, {"ggW": "h"}), "h": ({"ggI", "g"}, {"ggI": "x"})}
_PAIRS = (({"ggI", "h"}, {"ggI": "x"}, "conv(ggI, h)"), ({"x", "ggW"}, {"ggW": "h"}, "conv(x, ggW)"))


def prove_second_claim(spec: ConvSpec, wrt: str, text: str) -> ClaimProof:
    """Prove or refute a claim about the double backward of ``spec``: ``wrt`` x for gI (read from g and ggW),
    h for gW (ggI and g), g for ggO (terms of ggI and h, terms of x and ggW, and ggb when the convolution
    has a bias), for every N, C_in, C_out and input size at the spec's kernel, padding, stride and dilation.

    >>> from symconv import ConvSpec
    >>> spec = ConvSpec(1, 1, 3, stride=2, padding=1, ndim=1)
    >>> print(prove_second_claim(spec, "x", "correlate(pad(dilate(g, 2), 1), rot180(swap_io(ggW)))"))
    gI = correlate(pad(dilate(g, 2), 1), rot180(swap_io(ggW))): refuted, at C_in = 1, C_out = 1, H = 2, K = 3, P = 1: gI: the formula's result has shape (1, 1, 1) but x has (1, 1, 2)
    """
    from ..derivation.forms import renamed
    if wrt not in SECOND_WRT:
        raise InputError(f"--wrt {wrt}: the double backward's results are gI (--wrt x), gW (--wrt h) and ggO "
                         f"(--wrt g)")
    if spec.transposed:
        raise InputError("--order 2: the double backward is derived for the convolution (--op conv)")
    form = parse(text, spec.ndim, SECOND_TENSORS)
    check_limits(form, spec)
    lhs = SECOND_WRT[wrt]
    if wrt in _READS:
        reads, names = _READS[wrt]
        if leaves(form) - reads:
            raise ClaimError(f"the formula reads {', '.join(sorted(leaves(form) - reads))}; {lhs} is made of "
                             f"{' and '.join(sorted(reads))}")
        proof = _prove_first(spec, WRT[wrt], terms(renamed(form, names)))
        return ClaimProof(text, wrt, form, _named(proof, lhs, {v: k for k, v in names.items()}), lhs)
    parts = terms(form)
    bias = [t for t in parts if leaves(t) == {"ggb"}]
    # ggb as it is, by name: read from "ggb" or from its LaTeX \mathit{ggb}, which prints it back the same way
    if bias and (not spec.bias or len(bias) > 1 or not isinstance(bias[0], ops.Tensor)):
        raise ClaimError("ggb: add it once, as it is (ggO holds ggb on every entry of its channel), and only "
                         "when the convolution has a bias")
    proofs = []
    for reads, names, what in _PAIRS:
        group = tuple(renamed(t, names) for t in parts if leaves(t) == reads)
        proofs.append(_named(_prove_first(spec, "grad_output", group), lhs, {v: k for k, v in names.items()}))
    stray = [t for t in parts if t not in bias and all(leaves(t) != r for r, _, _ in _PAIRS)]
    if stray:
        raise ClaimError(f"the term {_short(stray[0])} reads {', '.join(sorted(leaves(stray[0])))}; each term of "
                         f"ggO reads ggI and h, or x and ggW (or is ggb)")
    failed = [p for p in proofs if not p.ok]
    proof = failed[0] if failed else proofs[0]
    if not failed and spec.bias and not bias:
        proof = dataclasses.replace(proof, results=(dataclasses.replace(
            proof.results[0], ok=False, counterexample=_without_ggb(spec)),))
    return ClaimProof(text, wrt, form, proof, lhs)


def _without_ggb(spec: ConvSpec) -> presburger.Counterexample:
    """ggO without ggb, refuted at the smallest sizes: one batch entry and channel, the shortest input that
    gives an output; its first entry lacks ggb[0]."""
    sizes = {"N": 1, "C": 1, "O": 1} | ({"G": spec.groups} if spec.groups > 1 else {})
    for k, (K, S, D, (lo, hi)) in enumerate(zip(spec.kernel_size, spec.stride, spec.dilation,  # type: ignore
                                                 spec.pads)):
        H = max(1, D * (K - 1) + 1 - lo - hi)
        name = lambda base: presburger._axis_name(base, spec.ndim, k)  # noqa: E731
        sizes.update({name("H"): H, name("K"): K, name("P"): lo, name("Q"): hi,
                      name("Ho"): (H + lo + hi - D * (K - 1) - 1) // S + 1})
    first = ",".join("0" * (2 + spec.ndim))
    return presburger.Counterexample("grad_output", "no_bias", sizes, spec.ndim, spec.groups > 1,
                                     tuple(spec.stride), tuple(spec.dilation),  # type: ignore[arg-type]
                                     reason=f"no term adds ggb, but the convolution has a bias: ggO[{first}] "
                                            f"holds ggb[0]", lhs="ggO")


def _prove_first(spec: ConvSpec, target: str, parts: tuple[ops.Expr, ...]) -> presburger.Proof:
    grouped = spec.groups > 1
    fixed = presburger.Fixed(tuple(spec.kernel_size), tuple(spec.pads),  # type: ignore[arg-type]
                             spec.groups if grouped else None)
    return presburger.prove(spec.ndim, grouped, False, tuple(spec.stride),  # type: ignore[arg-type]
                            tuple(spec.dilation), {target: parts}, fixed, [target])  # type: ignore[arg-type]


def _named(proof: presburger.Proof, lhs: str, names: dict[str, str]) -> presburger.Proof:
    """The proof's counterexample printed with the double backward's names (gI, ggW ...)."""
    results = tuple(dataclasses.replace(r, counterexample=dataclasses.replace(
        r.counterexample, lhs=lhs, names=tuple(sorted(names.items())))) if r.counterexample is not None else r
        for r in proof.results)
    return dataclasses.replace(proof, results=results)


def size_values(spec: ConvSpec, batch: int, input_size: Sequence[int]) -> dict[sp.Symbol, int]:
    """Every size name a claim may use, as its number for ``spec`` at this batch and input size (what a
    claim's closed form is evaluated with)."""
    sym = Symbols(spec.ndim, True)
    out = {sym.N: batch, sym.G: spec.groups, sym.C: spec.in_channels // spec.groups,
           sym.O: spec.out_channels // spec.groups}
    for k, n in enumerate(spec.output_size(tuple(input_size))):
        out.update({sym.H[k]: int(input_size[k]), sym.K[k]: int(spec.kernel_size[k]),  # type: ignore[index]
                    sym.S[k]: int(spec.stride[k]), sym.D[k]: int(spec.dilation[k]),  # type: ignore[index]
                    sym.P[k]: int(spec.pads[k][0]), sym.Ho[k]: int(n)})  # type: ignore[index]
    return out


def check_limits(form: ops.Expr, spec: ConvSpec, fixed_sizes: bool = True) -> None:
    """A :class:`ClaimError` for a closed form over a limit: more than :data:`MAX_OPERATORS` operators, or a
    parameter whose value at the configuration's sizes is over :data:`MAX_VALUE` (a dilation of 10^7 would
    take gigabytes where the formula is evaluated)."""
    count = sum(not isinstance(n, (ops.Tensor, ops.AddBias)) for n in ops.nodes(form))
    if count > MAX_OPERATORS:
        raise ClaimError(f"{count} operators; a claim has at most {MAX_OPERATORS}")
    sym = Symbols(spec.ndim, True)
    fixed = {s: sp.Integer(v) for s, v in zip(sym.S + sym.D, tuple(spec.stride) + tuple(spec.dilation))}
    if fixed_sizes:
        fixed.update({s: sp.Integer(v) for s, v in zip(sym.K + sym.P, tuple(spec.kernel_size) +
                                                        tuple(lo for lo, _ in spec.pads))})
        fixed[sym.G] = sp.Integer(spec.groups)
    for node in ops.nodes(form):
        for what, value, _ in ops.parameters(node):
            try:
                at = value.xreplace(fixed) if isinstance(value, sp.Basic) else sp.Integer(value)
            except ZeroDivisionError:
                continue                          # refuted by the proof: a remainder modulo 0
            if at.is_Integer and abs(at) > MAX_VALUE[what]:
                raise ClaimError(f"{what} {_short(at)} in {_short(node)}: at most {MAX_VALUE[what]:,} (the limit "
                                 f"of a configuration's {what})")


def _short(value: Any) -> str:
    text = str(value)
    return text if len(text) <= 60 else f"{text[:57]}..."


def leaves(expr: ops.Expr) -> set[str]:
    """The tensors a closed form reads."""
    if isinstance(expr, ops.Tensor):
        return {expr.name}
    return set().union(*(leaves(getattr(expr, f.name)) for f in dataclasses.fields(expr)  # type: ignore
                         if isinstance(getattr(expr, f.name), ops.Expr)))


__all__ = ["MAX_DEPTH", "MAX_DIGITS", "MAX_LENGTH", "MAX_OPERATORS", "MAX_POWER", "MAX_VALUE", "ClaimError",
           "ClaimProof", "Token", "check_limits", "leaves", "parse", "parse_size", "prove_claim", "prove_form",
           "size_values", "terms", "tokenize"]
