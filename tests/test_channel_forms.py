r"""Closed forms with channel subscripts judged strictly (issue 19: "when a formula states channels explicitly,
judge them strictly"), and every side of a formula chain proved.

A per-channel formula (``∂L/∂x_c = Σ_o ∂L/∂y_o ⊗ rot180(h_{o,c})``) is read as the index sum it means
(:mod:`symconv.grading.channel_forms`) and proved for every size or refuted; each refutation is confirmed
independently: the sum, evaluated by array loops at the counterexample's sizes, differs from PyTorch's autograd
gradient at the entry named. These formulas were graded ``correct`` before (the subscripts were dropped).
"""

from __future__ import annotations

import numpy as np
import pytest

from conftest import torch_grads
from symconv import ConvSpec
from symconv.derivation.index import Symbols
from symconv.grading.formulas import grade_formula, read_sides
from symconv.grading.grade import Grade
from symconv.grading.gradebook import detail_of
from symconv.homework.inputs import load
from symconv.homework.solution import solve
from symconv.proof.claims import ClaimError
from symconv.proof.index_judge import judge
from symconv.proof.index_reader import Derivation
from symconv.proof.index_sums import IndexSum

SPEC = ConvSpec(2, 2, 3, padding=1)
DX = r"\frac{\partial L}{\partial x_c} = "
DH = r"\frac{\partial L}{\partial h_{o,c}} = "
G = r"\frac{\partial L}{\partial y_%s}"

WRONG = {   # name: (part, formula): the hostile18 cases a76-a79 and more
    "dx, g indexed by c": ("x", DX + r"\sum_o " + G % "c" + r" \otimes \mathrm{rot180}(h_{o,c})"),
    "dh, x indexed by o": ("h", DH + r"x_o \otimes " + G % "o"),
    "dh, g indexed by c": ("h", DH + r"x_c \otimes " + G % "c"),
    "dh, summed over its own c": ("h", DH + r"\sum_c x_c \otimes " + G % "o"),
    "dx, no sum over o": ("x", DX + G % "o" + r" \otimes \mathrm{rot180}(h_{o,c})"),
    "dx, no rotation": ("x", DX + r"\sum_o " + G % "o" + r" \otimes h_{o,c}"),
    "dx, h's indices exchanged": ("x", DX + r"\sum_o " + G % "o" + r" \otimes \mathrm{rot180}(h_{c,o})"),
    "dh, rotated dL/dy": ("h", DH + r"x_c \otimes \mathrm{rot180}(" + G % "o" + ")"),
}
RIGHT = {
    "dx": ("x", DX + r"\sum_o " + G % "o" + r" \otimes \mathrm{rot180}(h_{o,c})"),
    "dx, renamed indices": ("x", r"\frac{\partial L}{\partial x_o} = \sum_c " + G % "c"
                           + r" \otimes \mathrm{rot180}(h_{c,o})"),
    "dx, no left subscript": ("x", r"\frac{\partial L}{\partial x} = \sum_o " + G % "o"
                             + r" \otimes \mathrm{rot180}(h_{o,c})"),
    "dh": ("h", DH + r"x_c \otimes " + G % "o"),
    "dh, stated padding": ("h", DH + r"\operatorname{pad}_1(x_c) \otimes " + G % "o"),
}


def _sum(wrt: str, text: str) -> IndexSum:
    side = read_sides(text, wrt, SPEC)[-1]
    assert isinstance(side, IndexSum), side
    return side


def _judge(wrt: str, text: str):
    s = _sum(wrt, text)
    return judge(SPEC, Derivation(wrt, (s,), (s.reading,), True, (text,)))


@pytest.mark.parametrize("name", list(WRONG))
def test_wrong_channel_subscripts_are_refuted_and_confirmed_by_torch(name: str) -> None:
    wrt, text = WRONG[name]
    v = _judge(wrt, text)
    assert v.verdict == "refuted", v.words
    cx = v.counterexample
    sym = Symbols(2, True)
    sizes = cx.symbol_values(sym)
    spec = ConvSpec(cx.in_channels, cx.out_channels, 3, padding=1)
    rng = np.random.default_rng(19)
    out = tuple(sizes[s] for s in sym.Ho)
    x = rng.normal(size=(cx.batch, cx.in_channels) + cx.input_size)
    h = rng.normal(size=(cx.out_channels, cx.in_channels, 3, 3))
    g = rng.normal(size=(cx.batch, cx.out_channels) + out)
    truth = torch_grads(spec, x, h, g)["grad_input" if wrt == "x" else "grad_weight"]
    got = v.sums[-1].evaluate({"x": x, "h": h, "g": g}, sizes)
    assert got.shape == truth.shape
    assert not np.isclose(got[cx.entry], truth[cx.entry])


@pytest.mark.parametrize("name", list(RIGHT))
def test_right_channel_subscripts_are_proved_and_agree_with_torch(name: str) -> None:
    wrt, text = RIGHT[name]
    v = _judge(wrt, text)
    assert v.verdict == "proved", v.words
    rng = np.random.default_rng(3)
    spec = ConvSpec(2, 3, 3, padding=1)
    x, h, g = rng.normal(size=(2, 2, 4, 5)), rng.normal(size=(3, 2, 3, 3)), rng.normal(size=(2, 3, 4, 5))
    truth = torch_grads(spec, x, h, g)["grad_input" if wrt == "x" else "grad_weight"]
    assert np.allclose(v.sums[-1].evaluate({"x": x, "h": h, "g": g}), truth)


def test_a_sum_over_the_left_sides_index_binds_a_new_one() -> None:
    s = _sum("h", WRONG["dh, summed over its own c"][1])
    assert [str(f.index[0]) for f in s.factors] == ["c'", "o"]


@pytest.mark.parametrize("text, match", [
    (DX + r"\sum_o " + G % "o" + r" \otimes \mathrm{rot180}(h)", r"^claim: h has no channel index"),
    (DX + r"\sum_o " + G % "{o,c}" + r" \otimes \mathrm{rot180}(h_{o,c})", r"^claim: g_\{o,c\}: an image index"),
    (DX + r"\sum_o " + G % "1" + r" \otimes \mathrm{rot180}(h_{o,c})", r"^claim: channel subscript _\{1\}"),
    (DX + r"\sum_o " + G % "o" + r" \otimes \mathrm{rot180}(h_{o})", r"^claim: h_\{o\}: expected two channel"),
])
def test_unreadable_channel_subscripts_say_why(text: str, match: str) -> None:
    side = read_sides(text, "x", SPEC)[-1]
    assert isinstance(side, ClaimError)
    with pytest.raises(ClaimError, match=match):
        raise side


# --------------------------------------------------------------------------------------- grading

@pytest.fixture(scope="module")
def solution():
    from symconv.cli import _packaged_homework
    return solve(load(_packaged_homework()))


PART = {"x": "dL_dx_formula", "h": "dL_dh_formula"}


@pytest.mark.parametrize("name", list(WRONG))
def test_wrong_channel_subscripts_are_graded_wrong(solution, name: str) -> None:
    wrt, text = WRONG[name]
    g = grade_formula(PART[wrt], text, solution, Grade)
    assert g.verdict == "wrong", detail_of(g)
    assert "refuted, at C_in = " in detail_of(g)


@pytest.mark.parametrize("name, mistake", [("dx, no rotation", "no_rotation"),
                                           ("dx, h's indices exchanged", "no_swap"),
                                           ("dh, rotated dL/dy", "extra_rotation")])
def test_per_channel_mistakes_are_named(solution, name: str, mistake: str) -> None:
    wrt, text = WRONG[name]
    assert grade_formula(PART[wrt], text, solution, Grade).mistake == mistake


@pytest.mark.parametrize("name", list(RIGHT))
def test_right_channel_subscripts_are_graded_correct(solution, name: str) -> None:
    wrt, text = RIGHT[name]
    g = grade_formula(PART[wrt], text, solution, Grade)
    assert g.verdict == "correct", detail_of(g)


def test_unreadable_subscript_is_unparsed_with_the_reason(solution) -> None:
    g = grade_formula("dL_dx_formula", DX + r"\sum_o " + G % "o" + r" \otimes \mathrm{rot180}(h)", solution, Grade)
    assert g.verdict == "unparsed"
    assert detail_of(g).startswith("claim: h has no channel index")


GX = r"\frac{\partial L}{\partial x} = "
GY = r"\frac{\partial L}{\partial y}"


def test_a_chain_with_a_false_middle_side_is_wrong_naming_it(solution) -> None:
    text = GX + GY + r" \otimes h^T = " + GY + r" \otimes \mathrm{rot180}(h^T)"
    g = grade_formula("dL_dx_formula", text, solution, Grade)
    assert g.verdict == "wrong", detail_of(g)
    assert detail_of(g).startswith("step 1 does not follow from the definition of y: ")
    assert "第 1 步不能由 y 的定义得到" in g.detail_text("zh")


def test_a_chain_false_in_its_second_side_names_step_2(solution) -> None:
    right = GY + r" \otimes \mathrm{rot180}(h^T)"
    text = GX + right + " = " + GY + r" \otimes h^T = " + right
    g = grade_formula("dL_dx_formula", text, solution, Grade)
    assert g.verdict == "wrong"
    assert detail_of(g).startswith("step 2 does not follow from step 1: ")


def test_a_chain_whose_sides_all_hold_is_correct(solution) -> None:
    right = GY + r" \otimes \mathrm{rot180}(h^T)"
    text = GX + right + " = " + r"\sum_o \frac{\partial L}{\partial y_o} \otimes \mathrm{rot180}(h_{o,c})"
    g = grade_formula("dL_dx_formula", text, solution, Grade)
    assert g.verdict == "correct", detail_of(g)


def test_no_swap_is_correct_by_convention_and_wrong_when_strict(solution) -> None:
    text = GX + GY + r" \otimes \mathrm{rot180}(h)"
    assert grade_formula("dL_dx_formula", text, solution, Grade).verdict == "correct"
    assert grade_formula("dL_dx_formula", text, solution, Grade, strict_channels=True).verdict == "wrong"
