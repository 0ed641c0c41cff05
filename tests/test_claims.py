"""Claims: every closed form symconv prints (operator syntax and LaTeX) parses back to an equal form; claims are
proved or refuted for every size at a configuration's kernel, padding and groups; malformed claims are refused
with a message naming the token and its column."""

from __future__ import annotations

import itertools
import json
import re
from pathlib import Path

import pytest
import sympy as sp

from symconv import ConvSpec, derive
from symconv.derivation import ops
from symconv.proof.claims import ClaimError, parse, prove_claim
from symconv.derivation.forms import derive_general
from symconv.errors import InputError, SymconvError, UnsupportedError
from symconv.derivation.index import Symbols
from symconv.proof.presburger import Fixed, general_forms, prove

from conftest import needs_torch

SPECS = [
    ConvSpec(2, 2, 3, padding=1),                                        # the homework's problem 1
    ConvSpec(1, 1, 3),
    ConvSpec(2, 4, 3, stride=2, padding=1, groups=2, bias=True),
    ConvSpec(1, 2, 4, ndim=1, padding="same"),
    ConvSpec(2, 2, 3, ndim=1, stride=3, padding="full", dilation=2, bias=True),
    ConvSpec(2, 2, (3, 2), stride=(2, 3), padding=(1, 0), dilation=(1, 2)),
    ConvSpec(3, 3, (4, 2), padding="same", dilation=(1, 3), groups=3),
    ConvSpec(2, 2, (3, 2, 1), ndim=3, stride=(2, 1, 3), padding="full", dilation=(2, 1, 1), groups=2, bias=True),
    ConvSpec(1, 1, 2, ndim=3, stride=2, padding=(0, 1, 2)),
]


def _grid():
    out = []
    for ndim, k, s, p, d, g in itertools.product((1, 2), (1, 2, 3), (1, 2, 3), (0, 1, "valid", "same", "full"),
                                                (1, 2), (1, 2)):
        try:
            out.append(ConvSpec(2 * g, 2 * g, k, stride=s, padding=p, dilation=d, groups=g, ndim=ndim, bias=True))
        except SymconvError:            # "same" with a stride
            continue
    return out + SPECS


def _round_trips(form, ndim):
    for text in (str(form), form.to_latex()):
        assert parse(text, ndim) == form, text


def test_round_trip_every_derived_form():
    specs = _grid()
    assert len(specs) > 250
    for spec in specs:
        for form in derive(spec, prove=False).closed_forms.values():
            _round_trips(form, spec.ndim)


@pytest.mark.parametrize("ndim", [1, 2, 3])
@pytest.mark.parametrize("grouped", [False, True])
@pytest.mark.parametrize("bias", [False, True])
def test_round_trip_general_forms(ndim, grouped, bias):
    for form in derive_general(ndim, grouped, bias).closed.values():
        _round_trips(form, ndim)
    for form in general_forms(ndim, grouped, bias, (2,) * ndim, (3,) * ndim).values():
        _round_trips(form, ndim)


@pytest.mark.parametrize("text,ndim,want", [
    ("correlate(pad(g, 1), rot180(swap_io(h)))", 2, "correlate(pad(g, 1), rot180(swap_io(h)))"),
    ("dL/dy ⊗ rot180(swap_io(h))", 1, "correlate(g, rot180(swap_io(h)))"),
    (r"\partial L / \partial y \otimes h", 1, "correlate(g, h)"),
    (r"\operatorname{pad}_1(g) \otimes h", 2, "correlate(pad(g, 1), h)"),
    (r"\operatorname{pad}_{(1, 2)}\left(g\right)", 2, "pad(g, (1, 2))"),
    (r"\operatorname{pad}_{(1, 2), (0, 0)}\left(g\right)", 2, "pad(g, ((1, 2), (0, 0)))"),
    (r"\operatorname{dilate}_{2, 1}\left(g\right)", 2, "dilate(g, (2, 1))"),
    (r"x \otimes_{\Sigma n, s=1,2, d=2,1, G=2} g", 2, "batch_correlate(x, g, stride=(1, 2), dilation=(2, 1), groups=2)"),
    (r"g \otimes_{G=2} \operatorname{swap}_{io, G=2}\left(h\right)", 1, "correlate(g, swap_io(h, groups=2), groups=2)"),
    (r"g \otimes_{G=2} \operatorname{swap}_{io}\left(h\right)", 1, "correlate(g, swap_io(h), groups=2)"),
    (r"g \otimes_{G=2} \operatorname{swap}_{io, G=1}\left(h\right)", 1, "correlate(g, swap_io(h), groups=2)"),
    ("correlate(g, h, groups=2, stride=2)", 1, "correlate(g, h, stride=2, groups=2)"),
    ("pad(g, -((H + 1) mod 2))", 1, "pad(g, -((H + 1) mod 2))"),
    (r"\operatorname{pad}_{(2 H^{o}_{1} - H_{1}, 0), (0, 0)}(g)", 2, "pad(g, ((2*H^o_1 - H_1, 0), (0, 0)))"),
    ("sum_axes(g, (0,))", 1, "sum_axes(g, (0,))"),
    (r"\operatorname{sum}_{0,2}\left(g\right)", 1, "sum_axes(g, (0, 2))"),
    ("pad(g, 0)", 1, "pad(g, 0)"),                                   # as written: nothing is simplified away
    ("(g) + b", 1, "g + b"),
])
def test_accepted_notations(text, ndim, want):
    assert str(parse(text, ndim)) == want


def test_unary_minus_binds_tighter_than_mod():
    H = Symbols(1, False).H[0]
    assert parse("pad(g, -H mod 3)", 1).widths[0][0] == sp.Mod(-H, 3)
    assert parse("pad(g, -(H mod 3))", 1).widths[0][0] == -sp.Mod(H, 3)
    assert parse("pad(g, 2 * H mod 3)", 1).widths[0][0] == sp.Mod(2 * H, 3)      # left to right, like *


def test_unary_minus_and_mod_build_the_printed_expression():
    form = parse("pad(x, (0, -((H + 1) mod 2)))", 1)
    lo, hi = form.widths[0]
    assert lo == 0 and isinstance(lo, int)
    assert str(hi) == "-Mod(H + 1, 2)"


# --------------------------------------------------------------------------------------------- errors

NAMES = (r"\(names: g, x, h, b; operators: correlate, batch_correlate, pad, dilate, rot180, swap_io, sum_axes, "
         r"unfold, fold, sum_windows, divide\)")
DEEP = "pad(" * 10_000 + "g" + ", 1)" * 10_000

MALFORMED = [
    ("correlate(g, k)", r"^claim: unknown name 'k' at column 14 " + NAMES + "$"),
    ("correlate(pad(g, 1), rot180(h)", r"^claim: '\(' at column 10 is never closed$"),
    ("correlate(g, h))", r"^claim: '\)' at column 16 has no matching '\('$"),
    ("correlate(g, h) ) x", r"^claim: '\)' at column 17 has no matching '\('$"),
    ("correlate(g, h) x", r"^claim: unexpected 'x' at column 17 after the end of the closed form"),
    ("correlate(g, h) + 100", r"^claim: expected a tensor \(g, x, h, b\) or an operator at column 19, "
                              r"got the number 100$"),
    ("", r"^claim: empty"),
    ("   \t", r"^claim: empty"),
    (DEEP, r"^claim: \d+ characters; a claim has at most 10000$"),
    ("(" * 200 + "g" + ")" * 200, r"^claim: nesting deeper than 64 at column 65$"),
    ("pad(g, 12345678901234567890)", r"^claim: the number 123456789012\.\.\. at column 8 is too large "
                                     r"\(at most 9 digits\)$"),
    ("pad(g, k)", r"^claim: unknown size 'k' at column 8 \(sizes here: N, G, C, O, H_1, H_2, K_1"),
    ("pad(H_1, 1)", r"^claim: 'H_1' is a size, but a tensor or an operator is expected at column 5$"),
    ("pad(g, h)", r"^claim: 'h' is a tensor, but a size is expected at column 8$"),
    ("dilate(g, (2, 1, 1))", r"^claim: dilate factors at column 11: one value or one per spatial axis "
                             r"\(2 here\), got 3$"),
    ("pad(g, (1, 2, 3))", r"^claim: pad widths at column 8: expected p, \(low, high\), or one \(low, high\) "
                          r"pair per spatial axis \(2 here\)$"),
    ("correlate(g, h, stride=0)", r"^claim: stride at column 24 must be positive$"),
    ("correlate(g, h, stride=2, stride=2)", r"^claim: stride given twice at column 27$"),
    ("correlate(g, h, padding=1)", r"^claim: expected one of stride, dilation, groups at column 17, got 'padding'$"),
    ("rot180(h, 2)", r"^claim: expected '\)' at column 9, got ','$"),
    ("pad(g, (1, 2) + 1)", r"^claim: a tuple cannot take part in arithmetic at column 15$"),
    ("pad(g, H_1 mod 0)", r"^claim: remainder modulo 0 at column 12$"),
    ("pad(g, 1 2)", r"^claim: expected '\)' at column 10, got the number 2$"),
    (r"\operatorname{foo}\left(g\right)", r"^claim: unknown operator '\\\\operatorname\{foo\}' at column 1"),
    (r"\sqrt{g}", r"^claim: unknown LaTeX command '\\\\sqrt' at column 1"),
    ("g $ h", r"^claim: unexpected character '\$' at column 3$"),
    ("eval(g)", r"^claim: unknown name 'eval' at column 1 "),
    ("eval('1')", r"^claim: unexpected character \"'\" at column 6$"),
    ("__import__(g)", r"^claim: expected a tensor \(g, x, h, b\) or an operator at column 1, got '_'$"),
    # ';' is a token (it separates the groups of count's LaTeX subscript): the parser names what it expected
    ("correlate(g; h)", r"^claim: expected ',' and the kernel of correlate at column 12, got ';'$"),
    (r"g \otimes_{x=2} h", r"^claim: expected \\Sigma n, s=, d= or G= in the subscript of \\otimes at column 12"),
]


@pytest.mark.parametrize("text,pattern", MALFORMED)
def test_malformed_claims_are_refused(text, pattern):
    with pytest.raises(InputError, match=pattern) as info:
        parse(text, 2)
    assert isinstance(info.value, ClaimError) and isinstance(info.value, SymconvError)


def test_deep_nesting_within_the_length_limit_is_refused_without_recursion():
    text = "pad(" * 1500 + "g" + ")" * 1500
    with pytest.raises(ClaimError, match=r"^claim: nesting deeper than 64 at column 260$"):
        parse(text, 1)
    text = "(" * 4000 + ")" * 4000
    with pytest.raises(ClaimError, match="nesting deeper"):
        parse(text, 1)


def test_error_column_is_kept():
    with pytest.raises(ClaimError) as info:
        parse("correlate(g, k)", 2)
    assert info.value.column == 14


def test_the_parser_never_evaluates_text():
    source = (Path(__file__).resolve().parents[1] / "symconv" / "proof" / "claims.py").read_text(encoding="utf-8")
    code = "\n".join(line for line in source.splitlines() if not line.lstrip().startswith(("#", ">>>")))
    for word in ("eval(", "exec(", "sympify(", "parse_expr(", "import ast", "S("):
        assert word not in code, word


# ---------------------------------------------------------------------------------------------- proofs

@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.describe())
def test_derived_forms_are_proved_as_claims(spec):
    derivation = derive(spec, prove=False)
    for wrt, form in zip("xhb", derivation.closed_forms.values()):
        for text in (str(form), form.to_latex()):
            claim = prove_claim(spec, wrt, text)
            assert claim.verdict == "proved", (text, claim.detail)
            assert claim.form == form


def test_statement_says_what_was_proved():
    spec = ConvSpec(2, 2, 3, padding=1)
    claim = prove_claim(spec, "x", "correlate(pad(g, 1), rot180(swap_io(h)))")
    assert claim.statement == "for every N, C_in, C_out, H, W at K = 3, P = 1, stride 1, dilation 1"
    assert str(claim) == ("∂L/∂x = correlate(pad(g, 1), rot180(swap_io(h))): proved for every N, C_in, C_out, "
                          "H, W at K = 3, P = 1, stride 1, dilation 1")
    grouped = ConvSpec(4, 4, (3, 2), stride=(2, 1), padding="full", groups=2)
    claim = prove_claim(grouped, "h", str(derive(grouped, prove=False).grad_weight))
    assert claim.statement == ("for every N, C_in, C_out, H, W at G = 2, K = (3, 2), P = ((2, 2), (1, 1)), "
                               "stride (2, 1), dilation 1")
    same = ConvSpec(1, 1, 4, ndim=1, padding="same")
    assert prove_claim(same, "x", str(derive(same, prove=False).grad_input)).statement.endswith(
        "at K = 4, P = (1, 2), stride 1, dilation 1")


def test_general_symbolic_claim_for_every_kernel_and_padding():
    spec = ConvSpec(4, 4, 3, ndim=1, stride=2, groups=2)
    text = str(derive_general(1, True, False).closed["grad_input"])
    claim = prove_claim(spec, "x", text, fixed_sizes=False)
    assert claim.ok and claim.statement == "for every N, G, C_in, C_out, H, K, P_low, P_high at stride 2, dilation 1"
    # The same text read at the spec's sizes: K, P and G take its values.
    assert prove_claim(spec, "x", text).statement == ("for every N, C_in, C_out and every H ≥ 3 (a non-empty output) "
                                                      "at G = 2, K = 3, P = 0, stride 2, dilation 1")


HOMEWORK = ConvSpec(2, 2, 3, padding=1)


def test_seed_formula_3_without_the_channel_swap_is_refuted():
    claim = prove_claim(HOMEWORK, "x", "correlate(pad(g, 1), rot180(h))")
    assert claim.verdict == "refuted"
    cex = claim.counterexample
    assert cex.kernel_size == (3, 3) and cex.pads == ((1, 1), (1, 1))       # at the homework's K and P
    assert cex.in_channels != cex.out_channels
    assert str(claim).startswith("∂L/∂x = correlate(pad(g, 1), rot180(h)): refuted, at C_in = 1, C_out = 2")


@pytest.mark.parametrize("text", [
    "correlate(pad(g, 1), rot180(swap_io(h)))",
    r"\operatorname{pad}_{1}\left(\frac{\partial L}{\partial y}\right) \otimes "
    r"\operatorname{rot180}\left(\operatorname{swap}_{io}\left(h\right)\right)",
    "correlate(pad(∂L/∂y, 1), rot180(swap_io(h)))",
])
def test_seed_formula_3_with_the_channel_swap_is_proved(text):
    assert prove_claim(HOMEWORK, "x", text).verdict == "proved"


@pytest.mark.parametrize("text", [
    "∂L/∂y ⊗ rot180(x)",
    r"\frac{\partial L}{\partial y} \otimes \operatorname{rot180}\left(x\right)",
    "dL/dy ⊗ rot180(x)",
])
def test_seed_formula_6_as_written_is_refuted(text):
    claim = prove_claim(HOMEWORK, "h", text)
    assert claim.verdict == "refuted"
    assert claim.counterexample.kind == "shape"
    # x (data) read as a kernel is a 1x1 kernel at H = W = 1: the result's shape is witnessed wrong there.
    assert str(claim.counterexample) == ("at C_in = 1, C_out = 1, H = 1, W = 1, K = 3, P = 1: ∂L/∂h: the formula's "
                                         "result has shape (1, 1, 1, 1) but h has (1, 1, 3, 3)")


@pytest.mark.parametrize("text", [
    "batch_correlate(pad(g, 1), rot180(x))",
    r"\operatorname{pad}_{1}\left(g\right) \otimes_{\Sigma n} \operatorname{rot180}\left(x\right)",
])
def test_seed_formula_6_as_a_batch_correlation_is_refuted(text):
    # The (C_in, C_out) result is transposed (wrong at C_out = 2, total 6), and its terms are wrong at W = 2
    # (total 6 as well, but lexicographically smaller: one output channel): the smallest over every kind of
    # failure is reported.
    claim = prove_claim(HOMEWORK, "h", text)
    assert claim.verdict == "refuted" and claim.counterexample.kind == "missing"
    assert str(claim.counterexample) == (
        "at C_in = 1, C_out = 1, H = 1, W = 2, K = 3, P = 1: ∂L/∂h[0,0,1,0] should contain x[0,0,0,0]·g[0,0,0,1] "
        "but the formula gives x[0,0,0,0]·g[0,0,0,0]")


def test_a_term_counted_twice_is_refuted():
    form = "correlate(pad(g, 1), rot180(swap_io(h)))"
    claim = prove_claim(HOMEWORK, "x", f"{form} + {form}")
    assert claim.verdict == "refuted" and claim.counterexample.kind == "doubled"


def test_bias_claims():
    spec = ConvSpec(2, 2, 3, padding=1, bias=True)
    assert prove_claim(spec, "b", "sum_axes(g, (0, 2, 3))").ok
    wrong = prove_claim(spec, "b", "sum_axes(g, (0, 1, 2, 3))")
    assert wrong.verdict == "refuted"
    with pytest.raises(InputError, match=r"^wrt b: the configuration has no bias"):
        prove_claim(HOMEWORK, "b", "sum_axes(g, (0, 2, 3))")
    with pytest.raises(InputError, match=r"^wrt must be one of x, h, b, got 'y'"):
        prove_claim(HOMEWORK, "y", "g")


def test_seed_formula_6_as_written_with_its_swap_is_refuted_for_every_size():
    # The seed's (6) exchanges the channels of a correlation's *result*: the permutation is read around the
    # correlation's terms, so the reading is decided (refuted, with the smallest sizes), not left undecided.
    claim = prove_claim(HOMEWORK, "h", "swap_io(batch_correlate(pad(g, 1), rot180(x)))")
    assert claim.verdict == "refuted"
    assert str(claim.counterexample) == (
        "at C_in = 1, C_out = 1, H = 1, W = 2, K = 3, P = 1: ∂L/∂h[0,0,1,0] should contain x[0,0,0,0]·g[0,0,0,1] "
        "but the formula gives x[0,0,0,0]·g[0,0,0,0]")


@pytest.mark.parametrize("spec,wrt,text", [
    # Reversing both operands of a correlation reverses its result: rot180 of a sum of products.
    (HOMEWORK, "h", "rot180(batch_correlate(rot180(pad(x, 1)), rot180(g)))"),
    (ConvSpec(2, 4, 3, ndim=1, padding=(2,), groups=2), "h",
     "rot180(batch_correlate(rot180(pad(x, 2)), rot180(g), groups=2))"),
    (HOMEWORK, "h", "swap_io(swap_io(batch_correlate(pad(x, 1), g)))"),
    # At K = 1 and P = 1, y is x padded by 1 and mixed across channels: ∂L/∂x is g mixed back, cropped by 1.
    (ConvSpec(2, 3, 1, ndim=1, padding=1), "x", "pad(correlate(g, swap_io(h)), -1)"),
])
def test_index_maps_around_a_correlation_are_proved(spec, wrt, text):
    claim = prove_claim(spec, wrt, text)
    assert claim.verdict == "proved", str(claim)


def test_unsupported_claims_are_undecided_not_proved(monkeypatch):
    # A form without an affine reading (a correlation of a correlation has three factors per term; shapes
    # refute every such claim here first, so the reading is made to fail): neither proved nor refuted.
    def unreadable(self, space):
        raise UnsupportedError(f"{self} has no affine reading")
    monkeypatch.setattr(ops.BatchCorrelate, "relation", unreadable)
    claim = prove_claim(HOMEWORK, "h", "rot180(rot180(batch_correlate(pad(x, 1), g)))")  # not proved before: cached
    assert claim.verdict == "undecided" and "has no affine reading" in claim.detail
    assert "not decided" in str(claim)


def test_fixed_sizes_option_of_the_prover():
    forms = general_forms(1, False, False, (2,), (1,))
    proof = prove(1, False, False, (2,), (1,), forms, Fixed((3,), ((1, 2),)))
    assert proof.ok and proof.statement == "for every N, C_in, C_out, H at K = 3, P = (1, 2), stride 2, dilation 1"
    wrong = ops.Correlate(ops.pad(ops.Tensor("g"), ((1, 1),)), ops.Rot180(ops.SwapIO(ops.Tensor("h")), 1), (1,), (1,))
    proof = prove(1, False, False, (1,), (1,), {"grad_input": wrong}, Fixed((3,), ((0, 0),)), ["grad_input"])
    cex = proof.counterexample
    assert not proof.ok and cex.kernel_size == (3,) and cex.pads == ((0, 0),)
    with pytest.raises(SymconvError, match="fixed padding needs 1"):
        prove(1, False, False, (1,), (1,), forms, Fixed(pads=((1, 1), (1, 1))))


@needs_torch
@pytest.mark.parametrize("spec,wrt,text", [
    (HOMEWORK, "x", "correlate(pad(g, 1), rot180(h))"),
    (ConvSpec(1, 1, 3, padding=1), "h", "batch_correlate(pad(g, 1), rot180(x))"),
    (HOMEWORK, "h", "swap_io(batch_correlate(pad(g, 1), rot180(x)))"),
    (HOMEWORK, "h", "rot180(batch_correlate(pad(x, 1), rot180(g)))"),
    (ConvSpec(2, 2, 3, ndim=1, padding=1), "x", "rot180(correlate(pad(g, 1), rot180(swap_io(h))))"),
    (ConvSpec(2, 2, 3, ndim=1, stride=2), "x", "correlate(pad(dilate(g, 2), 2), rot180(swap_io(h)))"),
    (ConvSpec(4, 4, 2, ndim=1, groups=2), "x", "correlate(pad(g, 1), rot180(swap_io(h)), groups=2)"),
])
def test_claim_counterexamples_differ_from_torch(spec, wrt, text):
    from test_presburger import _differs_from_torch
    claim = prove_claim(spec, wrt, text)
    assert claim.verdict == "refuted", claim.detail
    parts = claim.form
    assert _differs_from_torch(claim.counterexample, parts), str(claim)


def test_cli_claims_and_all_sizes(capsys):
    from symconv.cli import main
    assert main(["verify", "--claim", "correlate(pad(g, 1), rot180(swap_io(h)))", "--wrt", "x"]) == 0
    assert "proved for every N, C_in, C_out, H, W at K = 3, P = 1" in capsys.readouterr().out
    assert main(["verify", "--claim", "correlate(pad(g, 1), rot180(h))", "--wrt", "x"]) == 1
    assert "refuted, at C_in = 1" in capsys.readouterr().out
    assert main(["verify", "--claim", "correlate(pad(g, 1), rot180(swap_io(h))) + 100", "--wrt", "x"]) == 2
    assert capsys.readouterr().err.startswith("symconv: error: claim: ")
    assert main(["verify", "--claim", "correlate(g, h)"]) == 2                      # --wrt missing
    assert main(["verify", "--all-sizes"]) == 2                                     # --sweep missing
    assert main(["verify", "--sweep", "--all-sizes", "--sweep-ndim", "1", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["failed"] == 0


def test_cli_all_sizes_fails_loudly_on_a_mutant(capsys):
    from symconv.cli import main
    assert main(["verify", "--sweep", "--all-sizes", "--sweep-ndim", "1", "--mutant", "no_rotation"]) == 1
    out = capsys.readouterr().out
    assert "FAILED 1d" in out and "should contain" in out
