"""Issue 18's findings about claims and formula answers: each test failed on the code before the change."""

from __future__ import annotations

import functools
import subprocess
import sys

import numpy as np
import pytest

from symconv import ConvSpec
from symconv.grading.formulas import grade_formula
from symconv.grading.grade import Grade
from symconv.homework import load, packaged
from symconv.homework.solution import solve
from symconv.proof.claims import parse, prove_claim, size_values

from conftest import random_arrays, torch_grads


@functools.lru_cache(maxsize=1)
def _solution():  # type: ignore[no-untyped-def]
    return solve(load(packaged()))


def _grade(part: str, latex: str) -> Grade:
    return grade_formula(part, latex, _solution(), Grade)


def _value(form_text: str, spec: ConvSpec, size: tuple[int, ...], seed: int = 0, batch: int = 2
           ) -> tuple[np.ndarray, dict]:
    x, h, g, b = random_arrays(spec, size, batch=batch, seed=seed)
    env = {"x": x, "h": h, "g": g} | ({"b": b} if b is not None else {})
    sizes = size_values(spec, x.shape[0], size)
    return parse(form_text, spec.ndim).evaluate(env, sizes), torch_grads(spec, x, h, g, b)


def test_a_formula_is_graded_as_written_not_as_reprinted():
    # 3 mod (K_1 + 1) is 3 at K = 3: a padding of 3, wrong. Its old reprint "3 mod K_1 + 1" is 1, and the
    # reprint was what got proved: the answer was graded correct.
    spec = ConvSpec(2, 2, 3, padding=1)
    got, want = _value("correlate(pad(g, 3 mod (K_1 + 1)), rot180(swap_io(h)))", spec, (5, 5))
    assert got.shape != want["grad_input"].shape                     # the formula is wrong, by PyTorch
    grade = _grade("dL_dx_formula", r"\operatorname{pad}_{3 \bmod (K_1+1)}(g) \otimes \operatorname{rot180}(h^T)")
    assert grade.verdict == "wrong", grade.detail
    right = _grade("dL_dx_formula", r"\operatorname{pad}_{3 \bmod K_1 + 1}(g) \otimes \operatorname{rot180}(h^T)")
    assert right.verdict == "correct", right.detail


HW = ConvSpec(2, 2, 3, padding=1)
ONE_D = ConvSpec(2, 3, 3, padding=1, ndim=1)


def _evaluates(form_text: str, spec: ConvSpec, sizes: dict, batch: int, size: tuple[int, ...]) -> bool:
    """Whether the formula can be evaluated at these sizes (the evaluator's verdict, independent of isl)."""
    small = ConvSpec(sizes["C_in"], sizes["C_out"], spec.kernel_size, padding=spec.padding, ndim=spec.ndim,
                     bias=spec.bias)
    x, h, g, b = random_arrays(small, size, batch=batch)
    env = {"x": x, "h": h, "g": g} | ({"b": b} if b is not None else {})
    try:
        parse(form_text, spec.ndim).evaluate(env, size_values(small, batch, size))
    except ValueError:
        return False
    return True


@pytest.mark.parametrize("claim, wrt, spec, reason", [
    ("correlate(pad(g, 1), rot180(swap_io(h)), dilation=D_1 - 2)", "x", HW,
     "has dilation D_1 - 2, which must be at least 1"),
    ("sum_axes(dilate(g, D - 1), (0, 2))", "b", ConvSpec(2, 2, 3, padding=1, ndim=1, bias=True),
     "has dilation factor D - 1, which must be at least 1"),
    ("sum_axes(g, (0, 2, 2, 0))", "b", ConvSpec(2, 2, 3, padding=1, ndim=1, bias=True), "sums axis 0 twice"),
    ("correlate(pad(g, 1 mod (K_1 - 3)), rot180(swap_io(h)))", "x", HW,
     "has a remainder modulo K_1 - 3, which is 0 here"),
])
def test_parameters_invalid_somewhere_are_refuted_with_the_reason(claim, wrt, spec, reason):
    # Before: the first three were proved (the evaluators refuse them), the last raised ZeroDivisionError.
    proof = prove_claim(spec, wrt, claim)
    assert proof.verdict == "refuted" and proof.counterexample.kind == "undefined"
    assert str(proof.counterexample).endswith(reason), str(proof)
    c = proof.counterexample
    with pytest.raises((ValueError, ZeroDivisionError)):
        x, h, g, b = random_arrays(spec, c.input_size, batch=c.batch)
        env = {"x": x, "h": h, "g": g, "b": b}
        parse(claim, spec.ndim).evaluate(env, size_values(spec, c.batch, c.input_size))


@pytest.mark.parametrize("spec", [ConvSpec(2, 3, 3, padding=1, ndim=1), ConvSpec(2, 3, 3, padding=1)])
def test_the_weight_gradient_written_with_transposed_data_is_proved(spec):
    # PyTorch's own weight gradient transposes batch and channels; it was refuted by an operand-kind rule.
    claim = "swap_io(correlate(pad(swap_io(x), 1), swap_io(g)))"
    proof = prove_claim(spec, "h", claim)
    assert proof.verdict == "proved", str(proof)
    for seed, size in enumerate([(4,) * spec.ndim, (7,) * spec.ndim]):
        got, want = _value(claim, spec, size, seed)
        np.testing.assert_allclose(got, want["grad_weight"], rtol=1e-12, atol=1e-12)


def test_a_shape_the_reading_cannot_express_is_undecided_not_refuted():
    grouped = ConvSpec(4, 4, 3, padding=1, groups=2, ndim=1)
    proof = prove_claim(grouped, "h", "swap_io(correlate(pad(swap_io(x), 1), swap_io(g)))")
    assert proof.verdict == "undecided" and "swap_io of data is read with one group only" in proof.detail


def test_a_counterexample_is_one():
    # Before: reported at C_in = C_out = 1, H = W = 1, where the formula equals the gradient.
    claim = "correlate(rot180(swap_io(h)), pad(g, 1))"
    at_ones, want = _value(claim, ConvSpec(1, 1, 3, padding=1), (1, 1), batch=1)
    np.testing.assert_allclose(at_ones, want["grad_input"])
    proof = prove_claim(HW, "x", claim)
    c = proof.counterexample
    assert (c.in_channels, c.out_channels, c.input_size) == (1, 1, (1, 2)), str(c)
    assert not _evaluates(claim, HW, {"C_in": 1, "C_out": 1}, c.batch, c.input_size)


def _differs(claim: str, spec: ConvSpec, wrt: str, batch: int, size: tuple[int, ...]) -> bool:
    target = {"x": "grad_input", "h": "grad_weight"}[wrt]
    try:
        got, want = _value(claim, spec, size, seed=3, batch=batch)
    except ValueError:
        return True
    return got.shape != want[target].shape or not np.allclose(got, want[target], rtol=1e-9, atol=1e-9)


WRONG_1D = [
    ("x", "correlate(pad(g, 1), swap_io(h))"),
    ("x", "correlate(pad(g, 2), rot180(swap_io(h)))"),
    ("x", "correlate(pad(g, (1, 2)), rot180(swap_io(h)))"),
    ("x", "correlate(rot180(swap_io(h)), pad(g, 1))"),
    ("h", "batch_correlate(pad(x, 1), rot180(g))"),
    ("h", "swap_io(batch_correlate(pad(g, 1), x))"),
    ("h", "batch_correlate(pad(x, (1, 0)), g)"),
]


@pytest.mark.parametrize("wrt, claim", WRONG_1D)
def test_the_reported_counterexample_is_the_smallest_by_evaluation(wrt, claim):
    # Sizes ordered by their total, then (N, C_in, C_out, H): the first where PyTorch and the formula differ
    # is the one reported (before, the smallest of the first failing kind was).
    import dataclasses
    proof = prove_claim(ONE_D, wrt, claim)
    assert proof.verdict == "refuted", str(proof)
    c = proof.counterexample
    reported = (c.batch, c.in_channels, c.out_channels, c.input_size[0])
    grid = sorted(((n, ci, co, hh) for n in range(1, 4) for ci in range(1, 4) for co in range(1, 4)
                   for hh in range(1, 9)), key=lambda t: (sum(t), t))
    for n, ci, co, hh in grid:
        spec = dataclasses.replace(ONE_D, in_channels=ci, out_channels=co)
        if _differs(claim, spec, wrt, n, (hh,)):
            break
    assert reported == (n, ci, co, hh), str(proof)


def test_a_statement_names_the_sizes_with_a_non_empty_output():
    spec = ConvSpec(1, 1, 5, padding=0, ndim=1)
    proof = prove_claim(spec, "x", "correlate(pad(g, 4), rot180(swap_io(h)))")
    assert proof.statement == ("for every N, C_in, C_out and every H ≥ 5 (a non-empty output) at K = 5, P = 0, "
                               "stride 1, dilation 1")


def test_sums_inside_operators_are_read():
    # h written as the sum of its first tap and the rest (each cropped and padded back): a sum inside
    # swap_io and rot180. Before: "not decided (... a bias is added to data ...)".
    claim = ("correlate(pad(g, 1), rot180(swap_io(pad(pad(h, (0, -2)), (0, 2)) + pad(pad(h, (-1, 0)), (1, 0)))))")
    proof = prove_claim(ONE_D, "x", claim)
    assert proof.verdict == "proved", str(proof)
    got, want = _value(claim, ONE_D, (6,))
    np.testing.assert_allclose(got, want["grad_input"], rtol=1e-12, atol=1e-12)
    wrong = prove_claim(ONE_D, "x", claim.replace("(-1, 0)), (1, 0)", "(-2, 0)), (2, 0)"))
    assert wrong.verdict == "refuted" and wrong.counterexample.kind == "missing"
    twice = prove_claim(HW, "h", "rot180(rot180(h) + rot180(h))")
    assert twice.verdict == "refuted" and "a bias" not in str(twice)


def test_a_bias_inside_an_operator_is_a_clear_refusal_or_undecided():
    from symconv.proof.claims import ClaimError
    claim = "correlate(pad(g, 1) + b, rot180(swap_io(h)))"
    with pytest.raises(ClaimError, match=r"^claim: the formula adds b, but the convolution has no bias$"):
        prove_claim(HW, "x", claim)
    proof = prove_claim(ConvSpec(2, 2, 3, padding=1, bias=True), "x", claim)
    assert proof.verdict == "undecided" and "a bias added to data inside an operator" in proof.detail


def test_a_false_counterexample_is_not_a_refutation():
    from symconv.proof.presburger import Counterexample
    from symconv.proof.witness import witnessed
    right = parse("correlate(pad(g, 1), rot180(swap_io(h)))", 2)
    fake = Counterexample("grad_input", "missing", {"N": 1, "G": 1, "C": 2, "O": 1, "K1": 3, "K2": 3, "P1": 1,
                                                   "P2": 1, "Q1": 1, "Q2": 1, "H1": 3, "H2": 2, "Ho1": 3,
                                                   "Ho2": 2}, 2, False, (1, 1), (1, 1))
    held, why = witnessed(fake, (right,))
    assert not held and why == "the formula equals the derivative there (exactly)"
    held, why = witnessed(fake, (parse("correlate(pad(g, 1), swap_io(h))", 2),))
    assert held and why.startswith("entry [")


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "symconv", "verify", *args], capture_output=True, text=True,
                          timeout=300)


@pytest.mark.parametrize("claim, message", [
    ("correlate(pad(g, 1), rot180(swap_io(h)), dilation=10000000)",
     "symconv: error: claim: dilation 10000000 in correlate(pad(g, 1), rot180(swap_io(h)), dilation=10000000): "
     "at most 1,024 (the limit of a configuration's dilation)"),
    ("correlate(pad(g, 99999999), rot180(swap_io(h)))",
     "symconv: error: claim: padding 99999999 in pad(g, 99999999): at most 4,096 (the limit of a configuration's "
     "padding)"),
    ("correlate(" + "pad(" * 60 + "g" + ", 0)" * 60 + ", rot180(swap_io(h)))",
     "symconv: error: claim: 63 operators; a claim has at most 12"),
])
def test_a_claim_over_a_limit_exits_2_with_one_line(claim, message):
    # Before: 2 GB for a dilation of 10^7, a MemoryError traceback for 99,999,999, 86 s for 60 nested pads.
    run = _cli("--claim", claim, "--wrt", "x")
    assert run.returncode == 2 and run.stdout == "" and run.stderr == message + "\n", run.stderr


@pytest.mark.parametrize("latex, limit", [
    (r"\operatorname{dilate}_{10000000}(g) \otimes h", "at most 1,024"),
    (r"\operatorname{pad}_{99999999}(g) \otimes h", "at most 4,096"),
    (r"\operatorname{pad}_{0}(" * 60 + "g" + ")" * 60 + r" \otimes h", "a claim has at most 12"),
    (r"\operatorname{correlate}(\operatorname{pad}_1(g) + b, h)", "the convolution has no bias"),
])
def test_formula_answers_obey_the_claims_limits(latex, limit):
    grade = _grade("dL_dx_formula", latex)
    assert grade.verdict == "unparsed" and limit in grade.detail, grade.detail


def test_a_remainder_modulo_zero_in_a_formula_answer_is_wrong_with_the_reason():
    grade = _grade("dL_dx_formula", r"\operatorname{pad}_{1 \bmod (K_1 - 3)}(g) \otimes \operatorname{rot180}(h^T)")
    assert grade.verdict == "wrong" and "has a remainder modulo K_1 - 3, which is 0 here" in grade.detail


def test_nothing_over_the_limits_is_evaluated():
    # Three nested dilations by 1,024 of a length-3 axis would take 3·10^9 entries: counted, not built.
    from symconv.derivation import ops
    form = parse("correlate(pad(dilate(dilate(dilate(g, 1024), 1024), 1024), 1), h)", 1)
    assert ops.largest(form, {"g": (1, 1, 3), "h": (1, 1, 3)}) == 6_442_450_947
    assert ops.largest(parse("correlate(pad(g, 1), h)", 1), {"g": (1, 1, 3), "h": (1, 1, 3)}) == 9
    proof = prove_claim(ONE_D, "x", "correlate(pad(dilate(dilate(dilate(g, 1024), 1024), 1024), 1), "
                                    "rot180(swap_io(h)))")
    assert proof.verdict == "undecided" and "too large to evaluate: an array of" in proof.detail


def _capped(*args: str) -> subprocess.CompletedProcess:
    import resource

    def cap():                      # 1.5 GB of address space: an allocation of gigabytes fails the run
        resource.setrlimit(resource.RLIMIT_AS, (1_500_000_000, 1_500_000_000))
    return subprocess.run([sys.executable, "-m", "symconv", "verify", *args], capture_output=True, text=True,
                          timeout=300, preexec_fn=cap)


@pytest.mark.parametrize("args, count", [
    # hostile18b w02-w05: the prover's counterexample at K = 1024 (or 600) is too large to evaluate; the
    # random tensors alone were 8 GiB in 3-D (x, h and g: 1024³ + 1024³ + 1 entries, C_out = 2 doubles h)
    (("--ndim", "2", "--kernel-size", "1024", "--padding", "0", "--claim", "correlate(g, rot180(swap_io(h)))"),
     "random tensors of 2,097,154 entries"),
    (("--ndim", "3", "--kernel-size", "1024", "--padding", "0", "--claim", "correlate(pad(g, 1023), rot180(h))"),
     "random tensors of 3,221,225,476 entries"),
    (("--ndim", "3", "--kernel-size", "600", "--padding", "0", "--claim", "correlate(g, rot180(swap_io(h)))"),
     "random tensors of 432,000,002 entries"),
])
def test_a_counterexample_too_large_to_evaluate_is_undecided_before_allocating(args, count):
    done = _capped(*args, "--wrt", "x")
    assert "Traceback" not in done.stderr and done.returncode == 1, done.stderr[-600:]
    assert "not decided" in done.stdout and f"too large to evaluate: {count}" in done.stdout, done.stdout


def test_the_witness_counts_the_definitions_buffer_and_loop():
    from symconv.proof.witness import MAX_ENTRIES, MAX_WORK, _cost
    # ∂L/∂x: every unit array of x (C_in·H·W = 2·40·40) through a correlation with 2·(40−2)² outputs and a
    # window of 3·3·2: 3200 · 2888 · 18 = 166,348,800 entries, by hand
    shapes = {"x": (1, 2, 40, 40), "h": (2, 2, 3, 3), "g": (1, 2, 38, 38), "b": (2,)}
    assert _cost("grad_input", shapes, (38, 38), 1) == \
        f"a buffer of 166,348,800 entries for the definition's derivative (bound {MAX_ENTRIES:,})"
    # ∂L/∂h: 36 kernel entries, each a correlation of 2888 outputs × 18 taps: 1,871,424 products, inside
    assert _cost("grad_weight", shapes, (38, 38), 1) == ""
    big = {"x": (1, 4, 200, 200), "h": (4, 4, 5, 5), "g": (1, 4, 196, 196), "b": (4,)}
    assert _cost("grad_weight", big, (196, 196), 1) == \
        f"{400 * 4 * 196 * 196 * 100:,} products for the definition's derivative (bound {MAX_WORK:,})"
    assert _cost("grad_input", {"x": (1, 1, 5, 5), "h": (1, 1, 3, 3), "g": (1, 1, 3, 3), "b": (1,)}, (3, 3), 1) == ""
