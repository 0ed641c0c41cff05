r"""The reader's rules behind the hostile18 cases (tests/data/hostile18/cases.toml), one unit test per rule, each
named after the case it explains. Expected values are the packaged homework's, worked by hand: L = ln 5,
fc1 = 39.6 (five times), p = 1/5 (five times), ∂L/∂fc1 = (0.2, 0.2, -0.8, 0.2, 0.2), ∂L/∂h = 0 (2 x 2 x 3 x 3).
"""

from __future__ import annotations

import math
import os

import pytest
import sympy as sp

from symconv.grading.answers import FalseChain, parse_answer, read_answers, read_tex_answers
from symconv.grading.grade import grade_part
from symconv.grading.gradebook import find_sheets
from symconv.homework.inputs import load
from symconv.homework.solution import solve

_SOLUTION: list = []
FC1 = r"(0.2, 0.2, -0.8, 0.2, 0.2)^T"
HEDGE = "a hedge is wrong, even if one of them is right"


def _solution():  # type: ignore[no-untyped-def]
    if not _SOLUTION:
        _SOLUTION.append(solve(load()))
        parse_answer("1")        # the parser's tables, built outside any graded answer's budget
    return _SOLUTION[0]


def _grade(part: str, latex: str):  # type: ignore[no-untyped-def]
    sol = _solution()
    return grade_part(part, latex, sol.exact[part], sol)


def _tex(*blocks: str) -> str:
    return "\\documentclass{article}\n\\begin{document}\n" + "\n".join(blocks) + "\n\\end{document}\n"


# ---------------------------------------------------------------------------------------------- hedges

def test_a09_an_unlabelled_display_before_the_answer_states_it_again():
    before = r"\[ \frac{\partial L}{\partial \mathrm{fc1}} = (0.2, 0.2, 0.2, -0.8, 0.2)^T \]"
    labelled = "\\begin{equation}\\label{ans:dL_dfc1}\n\\frac{\\partial L}{\\partial \\mathrm{fc1}} = " + FC1 + \
        "\n\\end{equation}"
    got = _grade("dL_dfc1", read_tex_answers(_tex(before, labelled))["dL_dfc1"])
    assert got.verdict == "wrong" and HEDGE in got.detail
    same = r"\[ \frac{\partial L}{\partial \mathrm{fc1}} = " + FC1 + r" \]"
    assert _grade("dL_dfc1", read_tex_answers(_tex(same, labelled))["dL_dfc1"]).verdict == "correct"
    other = r"\[ \mathrm{fc1} = 39.6 \cdot \mathbf{1}_5 \]"          # another name: not this answer
    assert _grade("dL_dfc1", read_tex_answers(_tex(other, labelled))["dL_dfc1"]).verdict == "correct"


@pytest.mark.parametrize("hide", [
    ("\\iffalse\n", "\n\\fi"),
    ("\\begin{comment}\n", "\n\\end{comment}"),
])
def test_a57_text_the_compiled_sheet_does_not_show_is_no_answer(hide):
    hidden = hide[0] + "\\begin{equation}\\label{ans:dL_dfc1}\n\\frac{\\partial L}{\\partial fc1} = " + FC1 + \
        "\n\\end{equation}" + hide[1]
    shown = "\\begin{equation}\\label{ans:L}\nL = \\ln 5\n\\end{equation}"
    assert set(read_tex_answers(_tex(hidden, shown))) == {"L"}
    commented = "% \\begin{equation}\\label{ans:p} p = 3 \\end{equation}"
    assert set(read_tex_answers(_tex(commented, shown))) == {"L"}


def test_a84_a_side_whose_letters_cancel_states_a_value():
    with pytest.raises(FalseChain):
        parse_answer(r"L = \ln 5 = \ln 4 \cdot \frac{x}{x}", "L")
    assert parse_answer(r"L = \ln 5 = \ln 5 \cdot \frac{x}{x}", "L").value == sp.log(5)
    assert parse_answer(r"L = -\ln p_3 = \ln 5", "L").value == sp.log(5)       # p_3 unknown: working


def test_a85_a_word_of_doubt_is_a_remark_and_the_value_beside_it_is_stated():
    for word in (r"\,\mathrm{maybe}", r"\ \text{maybe}", " maybe", r"\,\operatorname{perhaps}"):
        with pytest.raises(FalseChain):
            parse_answer(r"\mathrm{fc1} = 39.6 \cdot \mathbf{1} = 40 \cdot \mathbf{1}" + word, "fc1")
    assert parse_answer(r"\mathrm{fc1} = 39.6 \cdot \mathbf{1}\,\mathrm{maybe}", "fc1").value == sp.Rational(198, 5)


@pytest.mark.parametrize("latex,name", [
    (r"\mathrm{fc1}_1 = 40, \quad \mathrm{fc1} = 39.6 \cdot \mathbf{1}_5", r"\mathrm{fc1}_1"),          # a89
    (r"\mathrm{fc1}_i = 40, \quad \mathrm{fc1} = 39.6 \cdot \mathbf{1}_5", r"\mathrm{fc1}_i"),          # a91
])
def test_a89_a91_a_statement_of_one_entry_that_contradicts_the_answer_is_a_hedge(latex, name):
    got = _grade("fc1", latex)
    assert got.verdict == "wrong" and got.detail.startswith(f"the answer states {name} = 40") and HEDGE in got.detail
    agreeing = latex.replace("= 40", "= 39.6")
    assert _grade("fc1", agreeing).verdict == "correct"


def test_a90_an_entry_of_a_gradient_is_numbered_from_1():
    got = _grade("dL_dfc1", r"\frac{\partial L}{\partial fc1_3} = 0.2, \quad \frac{\partial L}{\partial fc1} = " + FC1)
    assert got.verdict == "wrong" and HEDGE in got.detail
    right = r"\frac{\partial L}{\partial fc1_3} = -0.8, \quad \frac{\partial L}{\partial fc1} = " + FC1
    assert _grade("dL_dfc1", right).verdict == "correct"
    zero_based = r"\frac{\partial L}{\partial fc1_0} = 0.2, \quad \frac{\partial L}{\partial fc1_2} = -0.8, \quad " \
        r"\frac{\partial L}{\partial fc1} = " + FC1       # an index 0 written: counted from 0
    assert _grade("dL_dfc1", zero_based).verdict == "correct"


def test_a88_one_channel_named_is_not_every_channel():
    got = _grade("dL_dh", r"\frac{\partial L}{\partial h^{(1,1)}} = \mathbf{0}_{3\times 3}")
    assert (got.verdict, got.mistake) == ("wrong", "missing_channel")
    assert "only channel (1, 1) is given; 3 missing: (1, 2), (2, 1), (2, 2)" in got.detail
    assert "缺少 3 个" in got.detail_text("zh")
    every = _grade("dL_dh", r"\frac{\partial L}{\partial h} = \mathbf{0}_{3\times 3}")      # no channel named
    assert every.verdict == "correct"


# ---------------------------------------------------------------------------------------------- rounding

def test_a27_a_value_written_approximately_needs_two_significant_digits():
    got = _grade("L", r"L \approx 2")
    assert got.verdict == "wrong" and "fewer than 2 significant digits" in got.detail
    assert "有效数字少于 2 位" in got.detail_text("zh")
    assert _grade("L", r"L \approx 1.6").verdict == "correct"          # 1.6094 to one place: 2 digits
    assert _grade("L", "1.61").verdict == "correct"
    assert _grade("p", r"p \approx 0.2").verdict == "correct"          # exact: no rounding needed
    with pytest.raises(FalseChain):                                     # a chain's side too
        parse_answer(r"L = \ln 5 \approx 2", "L")


@pytest.mark.parametrize("part,latex", [
    ("p", r"p = 0.20000000000000001 \cdot \mathbf{1}_{5}"),          # b05
    ("fc1", r"\mathrm{fc1} = 39.599999999999994 \cdot \mathbf{1}_5"),   # b16
])
def test_b05_b16_a_double_printed_in_full_is_judged_to_12_digits_inside_an_expression(part, latex):
    assert _grade(part, latex).verdict == "correct"
    assert _grade(part, latex.replace("0000000000000001", "0000000100000001")
                  .replace("599999999999994", "599999990999994")).verdict == "wrong"     # off in the 9th digit


# ---------------------------------------------------------------------------------------------- notation

@pytest.mark.parametrize("latex", [
    r"L = \lg 5 \cdot \ln 10",                 # b01
    r"L = \ln 10 \cdot \lg 5",                 # b02
    r"L = \log_{5} 5 \cdot \ln 5",             # b03
    r"L = \frac{1}{2} \cdot \ln 5 \cdot 2",    # b23
    r"L = \operatorname{ln} 5",                # b22
    r"L = \ln{5} \cdot 1",
    r"L = \ln 25 / 2",
    r"L = \ln 5 \text{ (or 1.609)}",
])
def test_b01_b03_b22_b23_cdot_ends_a_logarithms_argument(latex):
    assert sp.simplify(parse_answer(latex, "L").value - sp.log(5)) == 0


def test_b01_the_argument_still_holds_what_it_holds():
    assert float(parse_answer(r"L = \ln \frac{1}{0.2}", "L").value) == pytest.approx(math.log(5))
    assert float(parse_answer(r"L = \ln 5 \cdot 2", "L").value) == pytest.approx(2 * math.log(5))
    assert float(parse_answer(r"L = \ln 2 + \ln 3", "L").value) == pytest.approx(math.log(6))


@pytest.mark.parametrize("latex", [
    r"\mathrm{fc1} = 39.6 \cdot \mathbf 1_5",      # b04
    r"\mathrm{fc1} = 39.6 \cdot \vec 1_{5}",
    r"\mathrm{fc1} = 39.6 \cdot \mathbf{1}_n",      # a length in letters: the constant, broadcast
    r"\mathrm{fc1} = \frac{1}{10}(98+100+100+98)\cdot\mathbf 1=[39.6 \quad 39.6 \quad 39.6 \quad 39.6 \quad 39.6]^T",
])
def test_b04_a_constant_vector_without_braces(latex):
    assert _grade("fc1", latex).verdict == "correct"


@pytest.mark.parametrize("part,latex", [
    ("fc1", r"\mathrm{fc1} = \sum_{i=1}^{5} 7.92 \cdot \mathbf{1}_5"),      # b06
    ("L", r"L = \sum_{k=1}^{5} \frac{\ln 5}{5}"),                          # b07
    ("L", r"L = \sum_{k=1}^{3} k - 6 + \ln 5"),                            # the bound index in the term
])
def test_b06_b07_a_sum_over_a_bound_index_is_evaluated(part, latex):
    assert _grade(part, latex).verdict == "correct"


# ---------------------------------------------------------------------------------------------- files

def test_a92_b43_one_toml_value_on_two_lines_is_one_answer(tmp_path):
    hedge = tmp_path / "a.toml"
    hedge.write_text("L = '''L = \\ln 5\nL = \\ln 4'''\n", encoding="utf-8")
    got = _grade("L", read_answers(hedge)["L"])
    assert got.verdict == "wrong" and HEDGE in got.detail
    chain = tmp_path / "b.toml"
    chain.write_text('L = """L = \\\\ln 5\nL = -\\\\ln 0.2"""\nfc1 = "39.6"\n', encoding="utf-8")
    assert _grade("L", read_answers(chain)["L"]).verdict == "correct"
    twice = tmp_path / "c.toml"
    twice.write_text("L = '''\\ln 5'''\nL = '3'\n", encoding="utf-8")
    with pytest.raises(Exception, match="'L' is given twice"):
        read_answers(twice)


def test_c05_a_link_to_a_sheet_keeps_the_files_own_name(tmp_path):
    (tmp_path / "good.tex").write_text("x", encoding="utf-8")
    os.symlink("good.tex", tmp_path / "alias.tex")
    found, skipped = find_sheets([tmp_path])
    assert [p.name for p in found] == ["good.tex"]
    assert [(p.name, why) for p, why in skipped] == [("alias.tex", "the same file as good.tex")]


# ---------------------------------------------------------------------------------------------- issue 19, 5 and 6

def _latex_vector(values) -> str:  # type: ignore[no-untyped-def]
    return "(" + ", ".join(str(v) for v in values) + ")^T"


def test_a_chain_keeps_its_final_value_when_a_middle_step_is_not_read():
    got = _grade("fc1", r"\mathrm{fc1} = \frac{1}{10} 98 \, 100 = 39.6 \cdot \mathbf 1_5")
    assert got.verdict == "correct"
    assert "a step of the chain was not read, '\\frac{1}{10} 98 \\, 100'" in got.detail
    assert "未能读取" in got.detail_text("zh")
    last = _grade("fc1", r"\mathrm{fc1} = 39.6 \cdot \mathbf 1_5 = \frac{1}{10} 98 \, 100")   # the final side
    assert last.verdict == "unparsed"


@pytest.mark.parametrize("latex", [
    r"\frac{\partial L}{\partial h} = \mathbf{0}_{3\times 3}, \quad c_{out}, c_{in} \in \{1,2\}",
    r"\frac{\partial L}{\partial h} = 0 \quad (\text{所有 } 3\times 3 \text{ 核的梯度均为 } 0)",
    r"\frac{\partial L}{\partial h} = 0 \quad (\text{all four kernels are } 0)",
])
def test_a_qualifier_or_a_remark_after_the_value(latex):
    assert _grade("dL_dh", latex).verdict == "correct"


def test_one_entry_wrong_is_named_with_its_entry():
    sol = _solution()
    wrong = list(sol.exact["dL_dfc1"])
    wrong[1] = sp.Rational(3, 10)                      # a slip in the second entry only
    got = _grade("dL_dfc1", _latex_vector(wrong))
    assert (got.verdict, got.mistake) == ("wrong", "one_entry")
    assert got.detail.endswith("likely mistake: one entry wrong, [1] (an arithmetic slip?)")
    assert "有一个元素错了：[1]" in got.detail_text("zh")
    assert _grade("L", "L = 3").mistake == ""        # a single value: no entry to name


def test_rounded_too_coarsely_is_named():
    got = _grade("L", "L = 1.62")                      # ln 5 = 1.6094…: 0.66% off, beyond 2 places
    assert (got.verdict, got.mistake) == ("wrong", "rounded")
    assert "rounded too coarsely" in got.detail and "舍入过粗" in got.detail_text("zh")
    assert _grade("L", "L = 1.65").mistake == ""      # 2.5% off: not a rounding
    assert _grade("fc1", r"(39.6, 39.6, 39.6, 39.6, 39.7)").mistake == "one_entry"   # 39.6 is exact: a slip


def test_missing_channel_names_the_channels_missing_in_each_language():
    got = _grade("dL_dh", r"\frac{\partial L}{\partial h_{2,1}} = 0")
    assert (got.verdict, got.mistake) == ("wrong", "missing_channel")
    assert "only channel (2, 1) is given; 3 missing: (1, 1), (1, 2), (2, 2)" in got.detail
    assert "缺少通道" in got.detail_text("zh")


def test_every_mistake_read_from_the_answer_has_a_sentence_in_each_language():
    from symconv.grading.mistakes import SHAPE_MISTAKES
    from symconv.wording import WORDS
    for lang in ("en", "zh"):
        for m in SHAPE_MISTAKES + ("fc_scale", "wrong_target"):
            assert WORDS[lang]["m." + m], (lang, m)


def test_fc_scale_and_wrong_target_from_the_homeworks_own_numbers():
    # fc1 = W relu1 with W all 1/10: the factor left out gives 396 (relu1's sum, 98 + 100 + 100 + 98) each
    got = _grade("fc1", r"\mathrm{fc1} = 396 \cdot \mathbf{1}_5")
    assert (got.verdict, got.mistake) == ("wrong", "fc_scale") and "factor 1/10 left out" in got.detail
    # the target on class 2 instead of 3: dL/dfc1 = p - y with y = e_2, p = 1/5 each
    got = _grade("dL_dfc1", r"(0.2, -0.8, 0.2, 0.2, 0.2)^T")
    assert (got.verdict, got.mistake) == ("wrong", "wrong_target")
    assert "the target class taken as 2 instead of 3" in got.detail and "目标类别取成了 2" in got.detail_text("zh")


def test_a_number_then_the_ones_vector_with_only_space_between_is_a_product():
    """outside_sheets8's four first-run misses (y2, y4, y6, y8): ``39.6\\,\\mathbf 1`` was refused as two numbers."""
    for latex in (r"\mathrm{fc1} = 39.6\,\mathbf 1", r"\mathrm{fc1} = 39.6 \mathbf{1}_5", r"\mathrm{fc1} = \frac{396}{10}\;\vec 1"):
        assert _grade("fc1", latex).verdict == "correct", latex
    assert _grade("fc1", r"\mathrm{fc1} = 39.6\,\mathbf 1 = 40\,\mathbf 1").verdict == "wrong"
    assert _grade("fc1", r"\mathrm{fc1} = 39.6 \; 39.6").verdict == "unparsed"     # two numbers stay refused
