"""Words, not identifiers (issue 20, item 3): what a reader sees is worded in their language."""

from __future__ import annotations

import re

import numpy as np
import pytest

import symconv
from symconv.grading.grade import grade_part
from symconv.homework import solve
from symconv.inputs import load
from symconv.report.derivation import render as render_derivation
from symconv.report.homework import render as render_homework


@pytest.fixture(scope="module")
def zh_report():
    return render_homework(solve(load()), "zh")


def test_the_chinese_report_is_chinese_throughout(zh_report):
    tex, md = zh_report
    for text in (tex, md):
        assert "refuted" not in text and "proved for" not in text and "n/a" not in text
        assert "成立." not in text and "，，" not in text and ",，" not in text    # no ASCII stop, no doubled comma
        assert "不成立。" in text and "被否定：在" in text and "已证明：对任意" in text
    assert r"\pagestyle{plain}" in tex        # one page-number style: at the foot, every page


def test_gradients_are_named_as_the_reader_writes_them():
    d = symconv.derive(symconv.ConvSpec(2, 2, 3, padding=1))
    tex, md = render_derivation(d, "t", None)
    assert "grad_input" not in tex.replace(r"\_", "_") and "grad_input" not in md
    assert r"$\partial L / \partial x$ & proved" in tex
    assert r"$C_{\mathrm{in}}$" in tex and r"C\_in" not in tex


@pytest.mark.parametrize("given, shape, note", [
    (np.array(1, dtype=object), (5,), "one value for every entry"),
    (np.ones((3,), dtype=object), (2, 3), "one row for every row"),
    (np.ones((2, 2), dtype=object), (2, 2, 2, 2), "one matrix for every channel"),
])
def test_a_broadcast_answer_is_worded_for_its_shape(given, shape, note):
    from symconv.grading.grade import _shape_to
    value, how = _shape_to(given, np.zeros(shape, dtype=object))
    assert value.shape == shape
    from symconv.wording import w
    assert w(how[1], "en").strip(" ()") == note


def test_a_missing_answer_names_no_label_and_keeps_its_expected_tensor():
    expected = np.array([[1, 2], [3, 4]], dtype=object)
    g = grade_part("fc1", None, expected)
    assert g.verdict == "missing" and g.detail == "no answer given" and "ans:" not in g.detail_text("zh")
    assert g.value is expected


def test_the_expected_value_on_a_graded_sheet_is_a_matrix():
    from symconv.report.grading import sheet
    g = grade_part("fc1", "[1, 2]", np.array([1, 3], dtype=object))
    tex, md = sheet([g], "s.tex")
    assert re.search(r"\\mathrm\{fc\}_1 = \\begin\{bmatrix\} 1 & 3 \\end\{bmatrix\}\^\{T\}", tex)
    assert "[1, 3]" not in tex and "[1, 3]" not in md


def test_the_bias_gradient_is_a_sum_over_positions_not_an_axis_list():
    from pathlib import Path
    s = solve(load(Path(__file__).parent / "data" / "variant_3ch_stride2.toml"))
    tex, md = render_homework(s, "en")
    assert r"\sum_{0," not in tex and r"\sum_{0," not in md
    assert r"\sum_{i,j} \left(\frac{\partial L}{\partial \mathrm{conv}_1}\right)_{o,i,j}" in tex


def test_the_derive_reports_bias_gradient_is_summed_over_the_batch_and_the_positions():
    # It printed \operatorname{sum}_{0,2,3}(g): the array axes' numbers (issue 20, item 3).
    d = symconv.derive(symconv.ConvSpec(2, 2, 3, padding=1, bias=True))
    tex, md = render_derivation(d, "t", None)
    for text in (tex, md):
        assert r"\operatorname{sum}_{0" not in text and "sum_axes" not in text.replace(r"\_", "_")
        assert r"\frac{\partial L}{\partial b_{o}} = \sum_{n,i_{1},i_{2}} g_{n,o,i_{1},i_{2}}" in text
        assert "summed over the batch and the positions" in text


@pytest.fixture(scope="module")
def seed_reports():
    s = solve(load())
    return {lang: render_homework(s, lang) for lang in ("en", "zh")}


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_seeds_report_shows_no_program_names(seed_reports, lang):
    # The (3)/(6) table showed C\_in, dL/dx and Python lists such as [0, 0, 0, 0] (issue 20, item 3).
    tex, md = seed_reports[lang]
    plain = tex.replace(r"\_", "_")
    for leak in ("C_in", "C_out", "grad_input", "grad_weight", "[0, 0", "\\label{"):
        assert leak not in plain, leak
    assert not re.search(r"(?<!\\texttt\{)\bdL/d[xh]\b", tex.split(r"\begin{tikzpicture}")[0]
                         + tex.split(r"\end{tikzpicture}")[-1])
    assert r"$C_{\mathrm{in}}$" in tex and r"$\partial L/\partial x$" in tex


def test_the_seeds_formula_3_says_what_the_grader_says(seed_reports):
    # Issue 19/20: the grader marks the seed's (3) correct by the course's ⊗ convention (a bare ⊗ implies the
    # channel swap) and wrong strictly read; (6) wrong, an extra rotation. The report said "(3) as written:
    # does not hold".
    from symconv.grading.formulas import grade_formula
    from symconv.grading.grade import Grade
    s = solve(load())
    tex, _ = seed_reports["en"]
    section = tex[tex.index("own formulas (3) and (6)"):]
    answer3 = r"\frac{\partial L}{\partial x} = \frac{\partial L}{\partial y} \otimes h^{\mathrm{rotate}\ 180^\circ}"
    answer6 = r"\frac{\partial L}{\partial h} = \frac{\partial L}{\partial y} \otimes x^{\mathrm{rotate}\ 180^\circ}"
    assert grade_formula("dL_dx_formula", answer3, s, Grade).verdict == "correct"
    assert grade_formula("dL_dx_formula", answer3, s, Grade, strict_channels=True).mistake == "no_swap"
    assert grade_formula("dL_dh_formula", answer6, s, Grade).mistake == "extra_rotation"
    assert "(3) as written: correct under the course's $\\otimes$ convention" in section
    assert "Strictly read, with the kernel's channels not exchanged" in section
    assert "wrong; likely mistake: no channel swap" in section
    assert "(6) as written: wrong; likely mistake: a rotation where none belongs." in section
    assert "(3) as written: does not hold" not in section
    zh, _ = seed_reports["zh"]
    assert "按原文的 (3)：按课程的 $\\otimes$ 约定正确" in zh and "按原文的 (6)：错误；可能的错误：多了一次不该有的旋转" in zh


def test_the_seed_check_uses_the_files_channel_counts_and_says_them():
    # Issue 20: a homework with 3 input channels was checked at "1 × C_in × 4 × 4" with 2 (cut silently).
    from pathlib import Path
    s = solve(load(Path(__file__).parent / "data" / "variant_3ch_stride2.toml"))
    tex, _ = render_homework(s, "en")
    assert r"input $1 \times 3 \times 4 \times 4$ (3 input and 2 output channels, as in the file)" in tex
    assert "C_{in}" not in tex
    from symconv.proof.seed import check_seed
    from symconv.proof.stored import derive
    claims = check_seed(derive(symconv.ConvSpec(3, 2, 3, padding=1)))
    assert all(c.x_shape == (1, 3, 4, 4) and c.out_channels == 2 and not c.channels_cut for c in claims)
    # 3 in, 2 out: (3) read strictly cannot even be evaluated (its channels do not fit), the swap holds
    by = {c.label: c for c in claims}
    assert by["(3) as written"].error and by["(3) with the channel swap of its formula (2)"].holds
    big = check_seed(derive(symconv.ConvSpec(20, 20, 3, padding=1)))
    assert big[0].channels_cut and big[0].x_shape[1] == 2


def test_a_graded_sheet_names_its_formula_parts_and_shows_values_as_matrices():
    # review20: the sheet named the formula parts dL_dx_formula / dL_dh_formula, wrote the course's ⊗ as
    # "(x)", C_in with an underscore, the given values as Python lists and the expected formula as code.
    from pathlib import Path
    from symconv.grading.grade import grade
    from symconv.grading.answers import read_answers
    from symconv.report.grading import sheet
    grades = grade(read_answers(Path(__file__).parent / "data" / "review20_sheet.tex"), solve(load()))
    for lang in ("en", "zh"):
        tex, md = sheet(grades, "review20_sheet.tex", lang)
        plain = tex.replace(r"\_", "_")
        assert "dL_dx_formula" not in plain and "dL_dh_formula" not in plain and "dL_dx_formula" not in md
        assert "(x)" not in tex and r"$\otimes$" in tex and "C_in" not in plain and "[0, 0, 5, 0, 0]" not in tex
        assert r"\frac{\partial L}{\partial p} = \begin{bmatrix} 0 & 0 & 5 & 0 & 0 \end{bmatrix}^{T}" in tex
        assert r"\frac{\partial L}{\partial h} = \operatorname{pad}_{1}\left(x\right) \otimes_{\Sigma n} g" in tex
    assert "formula for $\\partial L/\\partial x$ & correct" in sheet(grades, "s", "en")[0]


def test_a_proof_statement_sets_its_inequalities_and_reads_in_chinese():
    # review20: "every H ≥ 3" printed "every H 3" (pdfLaTeX's text fonts have no ≥), and the zh report kept
    # "and every ... (a non-empty output)" in English.
    from symconv.report.derivation import _sizes_as_math, statement_text
    statement = "for every N, C_in, C_out and every H ≥ 3, W ≥ 3 (a non-empty output) at G = 2"
    assert _sizes_as_math(statement) == (r"for every N, $C_{\mathrm{in}}$, $C_{\mathrm{out}}$ and every H $\geq$ 3, "
                                         r"W $\geq$ 3 (a non-empty output) at G = 2")
    zh = _sizes_as_math(statement_text(statement, "zh"), "zh")
    assert "every" not in zh and "non-empty" not in zh and ", " not in zh and "（输出非空）" in zh


def test_shapes_exponents_and_headings_read_as_written_by_hand(seed_reports):
    # review20: shapes "2x4x4" with the letter x; e^{198/5} with a stacked fraction in the exponent; the zh
    # heading "(4) softmax" in English alone.
    tex, _ = seed_reports["en"]
    assert r"$2 \times 4 \times 4$" in tex and "2x4x4" not in tex and "input 3x3" not in tex
    assert r"e^{198/5} + e^{198/5}" in tex and r"e^{\dfrac" not in tex and r"e^{\frac{198" not in tex
    zh, _ = seed_reports["zh"]
    assert r"\section*{(4) softmax 归一化}" in zh


def test_the_softmax_sum_is_not_named_like_the_stride():
    # review20: in a stride-2 homework "∂L/∂p = [0 −S 0 0]" read as minus the stride S.
    from pathlib import Path
    s = solve(load(Path(__file__).parent / "data" / "variant_softmax_review20.toml"))
    tex, _ = render_homework(s, "en")
    assert r"Z = \sum_j E_j" in tex and r"S = \sum_j E_j" not in tex and "{S}" not in tex
    assert r"\dfrac{61 E_{1}}{Z}" in tex


def test_a_derive_reports_title_names_its_configuration_in_words():
    # review20: the title was "Backward pass of a convolution (2d_k3_s1_p1_d1)", the file stem.
    from symconv.report.derivation import title_name
    spec = symconv.ConvSpec(4, 6, 3, stride=2, dilation=2, groups=2, bias=True, padding=1)
    assert title_name(spec) == "2-D, 3×3 kernel, stride 2, padding 1, dilation 2, 2 groups, bias"
    assert title_name(spec, "zh") == "2 维，3×3 卷积核，步长 2，填充 1，膨胀 2，2 组，有偏置"
    assert "_" not in title_name(symconv.ConvSpec(2, 2, (3, 2), padding="same"))


def test_problem_2s_convolution_is_written_at_the_files_own_stride_and_padding(seed_reports):
    # review20: problem 2's conv1 entry kept S, D and P (F_{c, Si+Da-P, ...}) at stride 1, dilation 1, padding 0.
    from pathlib import Path
    tex, _ = seed_reports["en"]
    assert r"F_{c,\,i + a,\,j + b}\,h_{o,c,a,b}" in tex and "S i + D a" not in tex
    variant, _ = render_homework(solve(load(Path(__file__).parent / "data" / "variant_3ch_stride2.toml")), "en")
    assert r"F_{c,\,2 i + a - 1,\,2 j + b - 1}\,h_{o,c,a,b} + b_o" in variant
