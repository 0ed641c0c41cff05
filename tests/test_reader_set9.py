r"""What the ninth blind set (tests/data/outside_sheets9) found, each as its own case: macros the sheet defines,
index ranges stated in the prose around a formula, kernel positions centred only when stated, a rounded side
of a chain, entries written to different places. Verdicts come from the homework's exact solution and from
the true gradients (hand-derived, and confirmed against PyTorch by the set's verify_set9.py)."""

from __future__ import annotations

import functools

import pytest

from symconv.grading.answers import read_tex_answers
from symconv.grading.grade import grade
from symconv.grading.gradebook import detail_of, mistake_of
from symconv.grading.macros import MAX_GROWTH, definitions, expand
from symconv.homework.inputs import load
from symconv.homework.solution import solve

TRUE_DH = r"\sum_{b}\sum_{i=0}^{H-1}\sum_{j=0}^{W-1} \frac{\partial L}{\partial y_{b,o,i,j}}\, x_{b,c,i+m-1,j+n-1}"


@functools.lru_cache(maxsize=1)
def _solution():  # type: ignore[no-untyped-def]
    return solve(load())


def _graded(part: str, latex: str):  # type: ignore[no-untyped-def]
    return next(g for g in grade({part: latex}, _solution()) if g.part == part)


def _sheet(preamble: str, body: str) -> dict[str, str]:
    return read_tex_answers(preamble + r"\begin{document}" + body + r"\end{document}")


# ------------------------------------------------------------------------------------------------ macros

def test_a_macro_with_an_argument_is_written_out():
    defs = definitions(r"\newcommand{\dL}[1]{\frac{\partial L}{\partial #1}}")
    assert expand(r"\dL{x_{b,c,i,j}} = \dL y", defs) == \
        r"\frac{\partial L}{\partial x_{b,c,i,j}} = \frac{\partial L}{\partial y}"


def test_two_arguments_an_optional_one_def_and_declared_operators():
    defs = definitions(r"\newcommand\grad[2]{\dfrac{\partial #1}{\partial #2}}"
                       r"\newcommand{\pad}[2][1]{\operatorname{pad}_{#1}(#2)}"
                       r"\def\rr#1{\operatorname{rot180}(#1)}"
                       r"\DeclareMathOperator*{\rot}{rot180}\renewcommand{\R}{\mathbb{R}}")
    assert expand(r"\grad{L}{x}", defs) == r"\dfrac{\partial L}{\partial x}"
    assert expand(r"\pad{g} + \pad[2]{g}", defs) == r"\operatorname{pad}_{1}(g) + \operatorname{pad}_{2}(g)"
    assert expand(r"\rr{h} = \rot(h)", defs) == r"\operatorname{rot180}(h) = \operatorname{rot180}(h)"
    assert expand(r"\R x \Rx", defs) == r"\mathbb{R} x \Rx"       # \Rx is another name: left alone


def test_a_macro_inside_a_macro_is_written_out_too():
    defs = definitions(r"\newcommand{\p}{\partial}\newcommand{\dL}[1]{\frac{\p L}{\p #1}}")
    assert expand(r"\dL{h}", defs) == r"\frac{\partial L}{\partial h}"


def test_a_macro_bomb_leaves_the_answer_as_written():
    bomb = r"\newcommand{\a}{xxxxxxxxxx}" + "".join(
        rf"\newcommand{{\{chr(98 + k)}}}{{\{chr(97 + k)}\{chr(97 + k)}\{chr(97 + k)}}}" for k in range(12))
    defs = definitions(bomb)
    text = r"L = \m"
    assert expand(text, defs) == text                        # 3**12 * 10 characters: beyond MAX_GROWTH
    assert MAX_GROWTH * len(text) + 2000 < 3 ** 12 * 10
    loop = definitions(r"\newcommand{\a}{\a x}")
    assert expand(r"\a", loop) == r"\a"                      # never ends: as written


def test_a_sheet_with_its_own_derivative_macro_is_graded():
    preamble = r"\documentclass{article}\newcommand{\dL}[1]{\frac{\partial L}{\partial #1}}"
    answers = _sheet(preamble, r"\begin{equation}\dL{h_{o,c,m,n}} = " + TRUE_DH.replace(r"\frac{\partial L}"
                     r"{\partial y_{b,o,i,j}}", r"\dL{y_{b,o,i,j}}") + r"\label{ans:dL_dh_formula}\end{equation}")
    assert r"\frac{\partial L}{\partial h_{o,c,m,n}}" in answers["dL_dh_formula"]
    assert _graded("dL_dh_formula", answers["dL_dh_formula"]).verdict == "correct"


def test_a_declared_rotation_operator_is_read():
    preamble = r"\DeclareMathOperator{\rot}{rot180}"
    answers = _sheet(preamble, r"$$\frac{\partial L}{\partial x_c} = \sum_o \frac{\partial L}{\partial y_o} "
                     r"\otimes \rot(h_{o,c}) \label{ans:dL_dx_formula}$$")
    assert _graded("dL_dx_formula", answers["dL_dx_formula"]).verdict == "correct"
    wrong = _sheet(preamble, r"$$\frac{\partial L}{\partial x_c} = \sum_o \frac{\partial L}{\partial y_o} "
                   r"\otimes h_{o,c} \label{ans:dL_dx_formula}$$")
    assert _graded("dL_dx_formula", wrong["dL_dx_formula"]).verdict == "wrong"


# ------------------------------------------------------------------------- index ranges and kernel numbering

CENTRED = r"\frac{\partial L}{\partial h_{o,c,u,v}}=\sum_{n}\sum_{i=0}^{H-1}\sum_{j=0}^{W-1}" \
          r"\frac{\partial L}{\partial y_{n,o,i,j}}\,x_{n,c,i+u,j+v}"


def test_kernel_positions_are_not_read_as_centred_unless_stated():
    g = _graded("dL_dh_formula", CENTRED)
    assert g.verdict == "wrong" and "u = " in detail_of(g)        # refuted in the student's own indices
    stated = _graded("dL_dh_formula", CENTRED + r", \quad u,v\in\{-1,0,1\}")
    assert stated.verdict == "correct" and "centred" in detail_of(stated)


@pytest.mark.parametrize("where", ["before", "after"])
def test_an_index_range_stated_in_the_prose_around_a_formula_is_its_condition(where):
    said = r"模板位置用中心为原点的坐标 $u,v\in\{-1,0,1\}$，$x$ 越界取 0："
    block = r"\begin{equation}" + CENTRED + r"\label{ans:dL_dh_formula}\end{equation}"
    answers = _sheet("", said + block if where == "before" else block + said)
    assert answers["dL_dh_formula"].endswith(r", \quad u,v\in\{-1,0,1\}")
    assert _graded("dL_dh_formula", answers["dL_dh_formula"]).verdict == "correct"


def test_a_range_in_the_prose_is_not_added_to_a_closed_form_or_for_other_letters():
    said = r"where $u,v\in\{-1,0,1\}$."
    closed = _sheet("", said + r"\[\frac{\partial L}{\partial x} = \operatorname{pad}_1(\frac{\partial L}"
                    r"{\partial y}) \otimes \operatorname{rot180}(h) \label{ans:dL_dx_formula}\]")
    assert r"\in" not in closed["dL_dx_formula"]
    other = _sheet("", said + r"\[\frac{\partial L}{\partial h_{o,c,m,n}} = " + TRUE_DH +
                   r"\label{ans:dL_dh_formula}\]")
    assert r"\in" not in other["dL_dh_formula"]
    assert _graded("dL_dh_formula", other["dL_dh_formula"]).verdict == "correct"


# --------------------------------------------------------------------------------------- rounding, entry by entry

@pytest.mark.parametrize("latex,verdict,mistake", [
    (r"\log 5 \approx 1.60", "wrong", "rounded"),               # ln 5 = 1.6094: truncated at its written place
    (r"-\ln\frac15 \approx 1.62", "wrong", "rounded"),          # within 1%, beyond half a unit
    (r"\log 5 \approx 1.61", "correct", ""),
    (r"\log 5 \approx 1.70", "wrong", ""),                      # 6% off: no rounding
])
def test_a_rounded_side_of_a_chain_names_rounded(latex, verdict, mistake):
    g = _graded("L", latex)
    assert (g.verdict, mistake_of(g)) == (verdict, mistake)


def test_each_entry_is_judged_at_its_own_written_place():
    # (p - y)/ln 10 = (0.086859, ..., -0.347436, ...): 0.0869 is right at 4 places, -0.347 at 3
    g = _graded("dL_dfc1", r"\approx [0.0869, 0.0869, -0.347, 0.0869, 0.0869]^T")
    assert (g.verdict, mistake_of(g)) == ("wrong", "log_base_10")
    # an entry written as an integer keeps the finest written place: 0.3 beside 0 is no rounding of 0
    assert _graded("dL_dp", r"[0, 0.3, -5.0, 0, 0]").verdict == "wrong"
    assert _graded("p", r"[0.2, 0.20, 0.2, 0.2, 0.21]").verdict == "wrong"
    assert _graded("p", r"[0.2, 0.20, 0.2, 0.2, 0.2]").verdict == "correct"


# ------------------------------------------------------------------------------------------- set 10's findings

@pytest.mark.parametrize("part,latex", [
    ("conv1", r"\mathrm{conv}_1 = \begin{matrix} -22 & -22 \\ -26 & -26 \end{matrix}\ ,\quad "
              r"\begin{matrix} 98 & 100 \\ 100 & 98 \end{matrix}"),
    ("p", r"p = (0.2,\ 0.2,\ \dots,\ 0.2)"),
    ("p", r"p = \left[\tfrac15,\; \cdots,\; \tfrac15\right]"),
])
def test_spacing_commands_around_separators_and_dots(part, latex):
    assert _graded(part, latex).verdict == "correct"


def test_dots_between_different_entries_stay_unread():
    g = _graded("p", r"p = (0.2,\ 0.3,\ \dots,\ 0.2)")
    assert g.verdict == "unparsed" and "dots" in detail_of(g)


def test_a_kernel_numbered_in_the_other_formula_keeps_its_numbering():
    # (1) sums a, b from 1 to 3; (2) uses a, b unsummed: 1-based there too, so x_{…, w_j + a - 1} is shifted
    dx = (r"\frac{\partial L}{\partial x_{c,i,j}} = \sum_{o} \sum_{a=1}^{3} \sum_{b=1}^{3} "
          r"\frac{\partial L}{\partial y_{o,i-a+2,j-b+2}} h_{o,c,a,b}")
    dh = (r"\frac{\partial L}{\partial h_{o,c,a,b}} = \sum_{n=1}^{N}\sum_{i}\sum_{j} "
          r"\frac{\partial L}{\partial y_{n,o,i,j}} x_{n,c,i+a-1,j+b-1}")
    answers = _sheet("", rf"\[{dx} \label{{ans:dL_dx_formula}}\] \[{dh} \label{{ans:dL_dh_formula}}\]")
    assert answers["dL_dh_formula"].endswith(r", \quad a \in \{1,2,3\}, \quad b \in \{1,2,3\}")
    assert _graded("dL_dh_formula", answers["dL_dh_formula"]).verdict == "wrong"
    assert _graded("dL_dx_formula", answers["dL_dx_formula"]).verdict == "correct"
    right = _sheet("", rf"\[{dx} \label{{ans:dL_dx_formula}}\] \[{dh.replace('+a-1', '+a-2').replace('+b-1', '+b-2')}"
                   r"\label{ans:dL_dh_formula}\]")
    assert _graded("dL_dh_formula", right["dL_dh_formula"]).verdict == "correct"


def test_a_derivation_with_a_wrong_middle_step_is_graded_within_its_budget():
    # the wrong step is confirmed by evaluating both lines: over the sums' own bounds, not a wide grid
    # (7 s before, over the 2 s budget: unparsed)
    text = (r"\begin{aligned}\frac{\partial L}{\partial x_{c,i,j}} &= \sum_{o=1}^{C_{out}}\sum_{p=1}^{H}"
            r"\sum_{q=1}^{W} g_{o,p,q}\,\frac{\partial y_{o,p,q}}{\partial x_{c,i,j}} \\ &= \sum_{o=1}^{C_{out}}"
            r"\sum_{p=1}^{H}\sum_{q=1}^{W} g_{o,p,q}\; h_{o,c,\,p-i+2,\,q-j+2} \\ &= \sum_{o=1}^{C_{out}}"
            r"\sum_{m=1}^{3}\sum_{n=1}^{3} g_{o,\,i-m+2,\,j-n+2}\; h_{o,c,m,n}\end{aligned}")
    g = _graded("dL_dx_formula", text)
    assert g.verdict == "correct" and "step 2" in detail_of(g)


# ------------------------------------------------------------------------------------------- set 11's findings

def test_a_quad_separated_list_with_dots_is_one_value_everywhere():
    g = _graded("dL_drelu1", r"[0.1 \quad 0.1 \quad \dots \quad 0.1]^T")
    assert (g.verdict, mistake_of(g)) == ("wrong", "softmax_for_gradient")      # W^T p: 0.1 everywhere
    assert _graded("dL_drelu1", r"[0 \quad \cdots \quad 0]").verdict == "correct"


def test_kernel_channels_in_plain_letters_are_read_as_written():
    dx = (r"\frac{\partial L}{\partial x_{c,i,j}} = \sum_{o=0}^{C_{out}-1} \sum_{m=0}^{2} \sum_{n=0}^{2} "
          r"g_{o,i-m+1,j-n+1}\, h_{CO,m,n}")
    g = _graded("dL_dx_formula", dx.replace("CO", "c,o"))
    assert (g.verdict, mistake_of(g)) == ("wrong", "no_swap")
    assert _graded("dL_dx_formula", dx.replace("CO", "o,c")).verdict == "correct"
    seed = (r"\frac{\partial L}{\partial x_{in_i,w_i,h_i}} = \sum_{out_j=1}^{C_{out}} \sum_{a=1}^{3}\sum_{b=1}^{3} "
            r"\frac{\partial L}{\partial y_{out_j,w_i-a+2,h_i-b+2}} h_{in_i,out_j,a,b}")
    assert _graded("dL_dx_formula", seed).verdict == "correct"        # the homework's own (in, out) names


# ------------------------------------------------------------------ a decimal times a power of ten (variants)

@pytest.mark.parametrize("written,verdict", [
    ("2.51e-10", "correct"), (r"2.51 \times 10^{-10}", "correct"), ("2.5e-10", "correct"),
    ("2.52e-10", "wrong"), ("2.4e-10", "wrong"),                 # beyond half a unit of the last written place
    ("2.5086572881367994e-10", "correct"),                       # float64's printout
])
def test_a_decimal_with_an_exponent_is_judged_at_its_own_last_place(written, verdict):
    # a saturated softmax's gradient, 2.50865728813679940001e-10: before, 2.51e-10 was an exact number (wrong)
    from symconv.grading.grade import grade_part
    import numpy as np
    import sympy as sp
    want = np.array([sp.Rational(250865728813679940001, 10 ** 30)], dtype=object)
    assert grade_part("dL_dx", f"[{written}]", want).verdict == verdict


# ------------------------------------------------------------------------------------------- set 12's finding

def test_a_remark_opened_inside_text_and_closed_outside_it():
    g = _graded("dL_dh", r"\frac{\partial L}{\partial h} = \mathbf{0} \text{ (since } "
                         r"\frac{\partial L}{\partial conv1} = 0)")
    assert g.verdict == "correct"
    assert _graded("L", r"L = \ln 5 \text{ (natural log)}").verdict == "correct"
