"""Problem 1's formula answers as students write them: read into closed forms (symconv.grading.formulas)."""

from __future__ import annotations

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
