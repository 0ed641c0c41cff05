"""Problem 1's formula answers as students write them: read into closed forms (symconv.grading.formulas)."""

from __future__ import annotations

import re

import pytest

from symconv import ConvSpec
from symconv.grading.formulas import read_formula
from symconv.proof.claims import ClaimError

PROBLEM1 = ConvSpec(2, 2, 3, padding=1)
RIGHT_X = "correlate(pad(g, 1), rot180(swap_io(h)))"


@pytest.mark.parametrize("latex", [
    # Limits with braces inside braces, as students copy them from lecture notes.
    r"\frac{\partial L}{\partial x_{c}} = \sum_{o=1}^{C_{out}} \frac{\partial L}{\partial y_{o}} "
    r"\otimes \operatorname{rot180}(h_{o,c})",
    r"\sum_{o=0}^{C_{\mathrm{out}}-1} \frac{\partial L}{\partial y_o} \otimes \mathrm{rot180}(h_{o,c})",
    r"\sum_{o} \frac{\partial L}{\partial y_{o}} \otimes \operatorname{rot180}(h_{o,c})",
    r"\sum_o \delta_o \star \operatorname{flip}(h_{o,c})",
])
def test_channel_sums_with_nested_braces_in_their_limits(latex):
    # channel subscripts on ∂L/∂y: read per channel, as an index sum, and proved (issue 19: strictly)
    assert _proved(read_formula(latex, "x", PROBLEM1))


def _proved(form) -> bool:
    from symconv.proof.index_judge import judge
    from symconv.proof.index_reader import Derivation
    from symconv.proof.index_sums import IndexSum
    assert isinstance(form, IndexSum)
    return judge(PROBLEM1, Derivation("x", (form,), (form.reading,), True, ("",))).verdict == "proved"


def test_a_sum_without_the_channel_swap_is_read_as_written():
    # h_{c,o} is h[c, o] as written (output channel first, as PyTorch stores h): summed over o with ∂L/∂y_o it
    # is the unswapped kernel, refuted (a blind teacher marks it wrong: outside_sheets8 y8_zhang_e).
    assert not _proved(read_formula(r"\sum_{o=1}^{C_{out}} \frac{\partial L}{\partial y_o} \otimes "
                                    r"\mathrm{rot180}(h_{c,o})", "x", PROBLEM1))
    assert not _proved(read_formula(r"\sum_{o=1}^{C_{out}} \frac{\partial L}{\partial y_c} \otimes "
                                    r"\mathrm{rot180}(h_{o,c})", "x", PROBLEM1))


def test_unbalanced_limits_are_an_error_not_a_guess():
    with pytest.raises(ClaimError):
        read_formula(r"\sum_{o=1}^{C_{out} \frac{\partial L}{\partial y_o} \otimes \mathrm{rot180}(h_{o,c})",
                     "x", PROBLEM1)


@pytest.mark.parametrize("latex,want", [
    # A stated padding after a TeX space (found on an outside sheet): the space is not left behind.
    (r"\frac{\partial L}{\partial h}=x\otimes\frac{\partial L}{\partial y}\ \text{(padding 0)}", "batch_correlate(x, g)"),
    (r"x \otimes \frac{\partial L}{\partial y}\quad\text{padding } 1\,", "batch_correlate(pad(x, 1), g)"),
    (r"x\;\star\;\delta~(p = 1)", "batch_correlate(pad(x, 1), g)"),
])
def test_tex_spaces_around_a_stated_padding(latex, want):
    assert str(read_formula(latex, "h", PROBLEM1)) == want


@pytest.mark.parametrize("latex,want", [
    # A remark holding math (braces inside \text) is not the formula; its "padding 1" is stated, not its 180.
    (r"\frac{\partial L}{\partial \boldsymbol{x}} &= \frac{\partial L}{\partial \boldsymbol{y}} \otimes "
     r"\operatorname{rot}_{180}\!\big(\boldsymbol{h}^{\top}\big) \quad \text{（$\boldsymbol h^{\top}$ 交换输入、输出"
     r"通道，再旋转 180°，padding 仍为 1）}", RIGHT_X),
    (r"\delta \otimes \operatorname{rot}_{180}(h^{\top}) \quad \text{(rotate by 180, padding 2)}",
     "correlate(pad(g, 2), rot180(swap_io(h)))"),
])
def test_remarks_with_math_and_numbers(latex, want):
    assert str(read_formula(latex, "x", PROBLEM1)) == want


@pytest.mark.parametrize("latex", [
    # outside sheets 6: a remark opened by 其中 / where runs to the end and may hold math (h^T, C_in)
    r"\frac{\partial L}{\partial x} = \frac{\partial L}{\partial y} \otimes (h^{T})^{\text{rotate } 180^\circ} "
    r"\text{，其中 } h^{T} \text{ 表示交换 } C_{in} \text{ 和 } C_{out} \text{ 两个维度}",
    r"\delta \otimes \mathrm{rot180}(h^T) \text{ where } h^T \text{ swaps } C_{in} \text{ and } C_{out}",
])
def test_a_remark_opened_by_where_is_not_the_formula(latex):
    assert str(read_formula(latex, "x", PROBLEM1)) == RIGHT_X


# hostile18b k01-k09, k21, k29: a parameter the answer states is part of the formula that is proved, never dropped.
@pytest.mark.parametrize("remark,want", [
    (r"\text{(valid)}", "correlate(g, rot180(swap_io(h)))"),
    (r"\text{(padding -1)}", "correlate(pad(g, -1), rot180(swap_io(h)))"),
    (r"\text{(padding 1 on the left, 2 on the right)}", "correlate(pad(g, (1, 2)), rot180(swap_io(h)))"),
    (r"\text{(padding 1, stride 2)}", "correlate(pad(g, 1), rot180(swap_io(h)), stride=2)"),
    (r"\quad \text{(stride 2)}", "correlate(pad(g, 1), rot180(swap_io(h)), stride=2)"),
    (r"\text{ (步长 2)}", "correlate(pad(g, 1), rot180(swap_io(h)), stride=2)"),
    (r"\text{(dilation 2)}", "correlate(pad(g, 1), rot180(swap_io(h)), dilation=2)"),
    (r"\text{(padding 1, groups 2)}", "correlate(pad(g, 1), rot180(swap_io(h)), groups=2)"),
    (r"\text{(no padding)}", "correlate(g, rot180(swap_io(h)))"),
    (r"\text{(padding 1)}", RIGHT_X),
])
def test_stated_parameters_are_read_into_the_formula(remark, want):
    latex = r"\frac{\partial L}{\partial x} = \frac{\partial L}{\partial y} \otimes \mathrm{rot180}(h^T) " + remark
    assert str(read_formula(latex, "x", PROBLEM1)) == want


def test_stated_stride_on_dh_and_both_bare_operators_of_a_sum():
    assert str(read_formula(r"x \otimes \frac{\partial L}{\partial y} \text{(padding 1, stride 2)}", "h", PROBLEM1)) \
        == "batch_correlate(pad(x, 1), g, stride=2)"
    one = "correlate(pad(g, 1), rot180(swap_io(h)))"
    assert str(read_formula(r"\delta \otimes \mathrm{rot180}(h^T) + \delta \otimes \mathrm{rot180}(h^T)", "x",
                            PROBLEM1)) == f"{one} + {one}"


@pytest.mark.parametrize("remark,named", [
    (r"\text{(padding 1.5)}", "1.5"),
    (r"\text{(stride 1.5)}", "1.5"),
    (r"\text{(stride 0)}", "stride 0"),
    (r"\text{(padding 1, 2, 3)}", "padding"),
])
def test_a_stated_parameter_that_cannot_be_read_is_an_error_naming_it(remark, named):
    with pytest.raises(ClaimError, match=re.escape(named)):
        read_formula(r"\delta \otimes \mathrm{rot180}(h^T) " + remark, "x", PROBLEM1)


def test_stated_parameters_change_the_verdict_as_pytorch_does():
    # Independent truth: PyTorch's grad_input at problem 1's setting (stride 1, padding 1) against the formula
    # read with the stated stride 2 / padding 0 / crop: each differs (shape or values), the plain one matches.
    import numpy as np
    from conftest import torch_grads
    rng = np.random.default_rng(18)
    x, h = rng.integers(-3, 4, (1, 2, 5, 5)).astype(float), rng.integers(-3, 4, (2, 2, 3, 3)).astype(float)
    g = rng.integers(-3, 4, (1, 2, 5, 5)).astype(float)
    want = torch_grads(PROBLEM1, x, h, g)["grad_input"]
    base = r"\delta \otimes \mathrm{rot180}(h^T) "
    assert np.array_equal(read_formula(base, "x", PROBLEM1).evaluate({"x": x, "h": h, "g": g}), want)
    for remark in (r"\text{(stride 2)}", r"\text{(valid)}", r"\text{(padding -1)}", r"\text{(dilation 2)}"):
        got = read_formula(base + remark, "x", PROBLEM1).evaluate({"x": x, "h": h, "g": g})
        assert got.shape != want.shape or not np.array_equal(got, want), remark


@pytest.mark.parametrize("head", ["correlate(pad(g, 1),", r"\frac{\partial L}{\partial y} \otimes", "pad("])
def test_a_long_run_of_spaces_in_a_claim_is_read_at_once(head):
    # Regression (hostile18 c32): the padding statement's pattern tried every split of a run of spaces between
    # two overlapping \s*, and a 5,000-space claim ran for minutes. The timeout only guards against a hang.
    import subprocess
    import sys
    claim = head + " " * 5000 + "rot180(swap_io(h))"
    done = subprocess.run([sys.executable, "-m", "symconv", "verify", "--claim", claim, "--wrt", "x"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode in (0, 1, 2) and "Traceback" not in done.stderr
