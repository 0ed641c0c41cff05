r"""The reader of answer notations (issue 13, item 1): answers typed the way a hurried student types LaTeX,
each with the exact value that must be read. Values are compared as nested lists of SymPy numbers, so a
merged row, a transposed matrix, a reordered tuple or a dropped channel fails; every message is matched with
an anchored pattern naming the student's own column.
"""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from symconv.grading.answers import FalseChain, ParseError, parse_answer, read_tex_answers
from symconv.grading.grade import grade_part

R = sp.Rational
LN5 = sp.log(5)


def read(latex: str):  # type: ignore[no-untyped-def]
    value = parse_answer(latex).value
    return value.tolist() if isinstance(value, np.ndarray) else value


# --------------------------------------------------------------------------------------------- matrices

M32 = [[1, -2], [R(1, 2), 4], [-5, R(3, 5)]]      # 3 rows, 2 columns, no symmetry: a transpose shows


@pytest.mark.parametrize("latex", [
    r"W=\left[\begin{array}{cc}1&-2\\ \frac12&4\\-5&0.6\end{array}\right]",
    "W = \\left[ \\begin{array}{c|c}\n  1 & -2 \\\\\n  \\dfrac{1}{2} & 4\\\\\n -5&  \\tfrac{3}{5}\n\\end{array} \\right]",
    r"W=\begin{pmatrix}1&-2\\\tfrac12&4\\-5&0.6\end{pmatrix}",
    r"W=\begin{bmatrix} 1 & -2 \\ 0.5 & 4 \\ -5 & 0.6 \\ \end{bmatrix}",         # a last row's \\
    r"W=\begin{vmatrix}1&-2\\[2pt]0.5&4\\[2pt]-5&0.6\end{vmatrix}",             # vmatrix as brackets
    r"W=\left(\begin{matrix}1&-2\\0.5&4\\-5&0.6\end{matrix}\right)",
    r"W=\begin{array}{*{2}{c}}1&-2\\0.5&4\\-5&0.6\end{array}",
    "\\frac{\\partial L}{\\partial W} &= \\begin{bmatrix}\n1 & -2\\\\\n0.5 & 4\\\\\n-5 & 0.6\n\\end{bmatrix}",
    r"W = \begin{bmatrix} 1 & -2 \\ \frac{1}{2} & 2\cdot 2 \\ -5 & 3/5 \end{bmatrix}",
    r"W = \begin{bmatrix} 1 & -2 \\ 0.5 & 2\times2 \\ -5 & 0.6 \end{bmatrix}",
])
def test_matrix_environments_keep_rows_and_columns(latex):
    assert read(latex) == M32


def test_a_transposed_matrix_is_read_transposed():
    assert read(r"W = \begin{bmatrix} 1 & \frac12 & -5 \\ -2 & 4 & 0.6 \end{bmatrix}") == [list(r) for r in zip(*M32)]
    assert read(r"W = \begin{bmatrix} 1 & \frac12 & -5 \\ -2 & 4 & 0.6 \end{bmatrix}^T") == M32


def test_rows_typed_one_per_line_are_never_merged():
    # issue 13: "\\" and a newline became a space, and 19.6 . 20 = 392 was read
    latex = "dW = \\begin{bmatrix}\n19.6 & 20 \\\\\n20 & 19.6\n\\end{bmatrix}"
    assert read(latex) == [[R(98, 5), 20], [20, R(98, 5)]]


# ------------------------------------------------------------------------------ vectors, tuples, lists

@pytest.mark.parametrize("latex,value", [
    (r"\frac{\partial L}{\partial p} = (0, 0, -5, 0, 0)^T", [0, 0, -5, 0, 0]),
    (r"dp=(0,\,0,\,-5,\,0,\,0)^{\top}", [0, 0, -5, 0, 0]),
    (r"p = \left( \tfrac15 ,\dfrac{1}{5}, 0.2 \right)", [R(1, 5)] * 3),
    (r"p = \frac15 (1,1,2)^T", [R(1, 5), R(1, 5), R(2, 5)]),
    (r"p = [0.2 \quad -0.8 \quad 0.2]^T", [R(1, 5), R(-4, 5), R(1, 5)]),
    (r"g = [0.2 \;\; -0.8]", [R(1, 5), R(-4, 5)]),
    (r"g = [0.2, -0.8]", [R(1, 5), R(-4, 5)]),
    (r"x = [5 7]", [5, 7]),                                  # numbers and plain spaces in brackets: a list
    (r"x = [5 -7]", [5, -7]),
    (r"x = [5 - 7]", -2),                                    # ... unless an operator stands alone
    (r"x = \max(1, 2)", 2),                                  # an argument list, not a tuple
    (r"relu1 = \begin{bmatrix}0&0\\0&0\end{bmatrix},\ \begin{bmatrix}98&100\\100&98\end{bmatrix}",
     [[[0, 0], [0, 0]], [[98, 100], [100, 98]]]),
    (r"relu1 = (0, 0, 0, 0, 98, 100, 100, 98)^T", [0, 0, 0, 0, 98, 100, 100, 98]),
])
def test_lists(latex, value):
    assert read(latex) == value


@pytest.mark.parametrize("latex,pattern", [
    (r"x = 5 7", r"^two numbers with only a space between them at column 5 \('5 7'\): '5 7' is not read as a "
                 r"product; separate entries with & or a comma, or write \\cdot$"),
    (r"x = \begin{bmatrix} 1 & 5 7 \end{bmatrix}", r"^two numbers with only a space between them at column 25 "),
    (r"x = 2 \cdot 5 7", r"^two numbers with only a space between them at column 13 \('5 7'\)"),
    (r"x = 1\,000", r"^two numbers with only a space between them at column 5 \('1\\,000'\): '1\\,000'"),
    (r"p = (0.2, , 0.2)", r"^an empty entry in the list at column "),
    (r"p = (0.1, 0.2, \dots, 0.5)", r"^dots at column 16 \('\\dots, 0.5\)'\) stand for entries only when every "),
])
def test_numbers_side_by_side_are_refused_not_multiplied(latex, pattern):
    with pytest.raises(ParseError, match=pattern):
        parse_answer(latex)


@pytest.mark.parametrize("latex,value", [
    # latex2sympy2 reads (1+1) M as M: a number times a matrix is distributed into the entries before it parses
    (r"x = (1+1) (1, 3)", [2, 6]),
    (r"x = 0.1\times(0.2+0.2-0.8+0.2+0.2)\,\mathbf{1}_3", [0, 0, 0]),
    (r"x = -\frac15 (1, 2)^T", [R(-1, 5), R(-2, 5)]),
    (r"x = e^{2} (1, 0)", [sp.exp(2), 0]),
    (r"x = \ln(5) (1, 0)", [LN5, 0]),
    (r"x = (1+1)\begin{bmatrix}1 & 2\\3 & 4\end{bmatrix}", [[2, 4], [6, 8]]),
])
def test_a_number_times_a_matrix(latex, value):
    assert read(latex) == value


def test_frac_with_digit_arguments_is_not_two_numbers():
    assert read(r"p = \frac 1 5") == R(1, 5)
    assert read(r"p = \tfrac15 + \dfrac15") == R(2, 5)


# ------------------------------------------------------------------------------------------- chains

@pytest.mark.parametrize("latex,value,decimals", [
    (r"L = -\ln\frac{1}{5} = \ln 5 \approx 1.609", LN5, None),
    ("L &= -\\ln 0.2 \\\\\n  &= \\ln 5\\\\\n  &\\approx 1.6094", LN5, None),
    (r"L = -\log(0.2) = 1.609", LN5, None),             # a rounded "=" side agrees within its places
    (r"L \approx 1.61", R(161, 100), 2),                 # only approximate: judged within 2 places
    (r"L\approx 2", 2, 0),                               # whole numbers: within 0.5
    (r"L = 1.6094 \approx 1.61", R(8047, 5000), 4),      # the most precise side
    (r"fc1_i = W_{i,:}\cdot \mathrm{vec}(relu1) = 0.1 \times 396 = 39.6", R(198, 5), None),
    (r"p_i = \frac{e^{39.6}}{5e^{39.6}} = (0.2, 0.2, 0.2)", [R(1, 5)] * 3, None),
    (r"dL/dfc1 = p - y = [0.2 \quad -0.8]", [R(1, 5), R(-4, 5)], 1),
])
def test_chains(latex, value, decimals):
    answer = parse_answer(latex)
    got = answer.value.tolist() if isinstance(answer.value, np.ndarray) else answer.value
    assert got == value and answer.decimals == decimals


@pytest.mark.parametrize("latex,pattern", [
    (r"L = \ln 4 = \ln 5", r"^the chain is false: \\ln 4 is not \\ln 5$"),
    (r"L = \ln 5 \approx 1.7", r"^the chain is false: 1.7 is not \\ln 5$"),
    (r"L=\ln 5\approx 1.62", r"^the chain is false: 1.62 is not \\ln 5$"),  # 1.6094 is not 1.62 to 2 places
    (r"L = -\ln 0.25 \approx 1.609", r"^the chain is false: 1.609 is not -\\ln 0.25$"),
])
def test_a_chain_with_a_false_side(latex, pattern):
    with pytest.raises(FalseChain, match=pattern):
        parse_answer(latex)


def test_a_false_chain_is_wrong_even_when_its_last_side_is_right():
    expected = np.array(LN5, dtype=object)
    graded = grade_part("L", r"L = \ln 4 \approx 1.609 = \ln 5", expected)
    assert graded.verdict == "wrong" and graded.detail == r"the chain is false: \ln 4 is not \ln 5"
    assert grade_part("L", r"L = \ln 5 \approx 1.609", expected).verdict == "correct"
    assert grade_part("L", r"L \approx 1.609", expected).verdict == "correct"
    assert grade_part("L", r"L \approx 1.6", expected).verdict == "correct"
    assert grade_part("L", r"L \approx 1.62", expected).verdict == "wrong"


# --------------------------------------------------------------------------- text, units, qualifiers

@pytest.mark.parametrize("latex,value", [
    (r"L = 1.609 \text{ nats}", R(1609, 1000)),
    (r"L=1.609\,\mathrm{nats}", R(1609, 1000)),
    (r"L = 1.609 nats", R(1609, 1000)),
    (r"L = \ln 5 \approx 1.609 \quad \text{（自然对数）}", LN5),
    (r"L = \ln 5 \approx 1.609（约）", LN5),
    (r"fc1_i = 39.6 \quad (i = 1, \dots, 5)", R(198, 5)),
    (r"fc1_i = 39.6, \quad i = 1, \ldots, 5", R(198, 5)),
    (r"fc1_i = \dfrac{396}{10}\;\text{对所有 } i", R(198, 5)),
    (r"fc1_i = 39.6 \quad \text{for all } i = 1, 2, 3, 4, 5", R(198, 5)),
    (r"fc1_i = 39.6 \quad \forall i \in \{1, \dots, 5\}", R(198, 5)),
    (r"fc1_i = 39.6 \quad 其中 i = 1, \dots, 5", R(198, 5)),
    (r"fc1_i = 39.6 \left( i = 1, 2, 3, 4, 5 \right)", R(198, 5)),
    (r"dh = 0 \text{ (all four } 3\times 3 \text{ kernels are zero)}", 0),
    (r"\frac{\partial L}{\partial h} = \mathbf{0} \in \mathbb{R}^{2\times 2\times 3\times 3}", 0),
    (r"\frac{\partial L}{\partial h} = \mathbf{1}", 1),
    (r"$\text{conv1} = 3$", 3),
    ("\\frac{\\partial L}{\\partial x_c} = \\mathbf{0}_{2 \\times 2}, \\quad c \\in \\{1, 2\\}", [[0, 0], [0, 0]]),
])
def test_text_units_and_qualifiers_are_not_the_answer(latex, value):
    assert read(latex) == value


def test_stated_zero_tensors_have_their_shape():
    assert np.shape(parse_answer(r"\frac{\partial L}{\partial x} = 0_{2\times4\times4}").value) == (2, 4, 4)
    assert np.shape(parse_answer(r"dh = \mathbf{0}_{2 \times 2 \times 3\times 3} \quad (c = 1, 2)").value) == (2, 2, 3, 3)
    assert np.shape(parse_answer(r"dx = \mathbf{0}_{4\times 4} \quad (c = 1, 2)").value) == (4, 4)


# -------------------------------------------------------------------------------------------- logs

@pytest.mark.parametrize("latex,value", [
    (r"L = -\log(0.2)", LN5),                     # the homework's log is natural
    (r"L=\log 5", LN5),
    (r"L = \ln{5}", LN5),
    (r"L = \log_e 5", LN5),
    (r"L = -\log_{10}(0.2)", sp.log(5) / sp.log(10)),
    (r"L = -\log_{10}0.2", sp.log(5) / sp.log(10)),
    (r"L = \lg 5", sp.log(5) / sp.log(10)),
    (r"L = \log_2 8", 3),
])
def test_logarithms(latex, value):
    assert sp.simplify(read(latex) - value) == 0
    if value != LN5:
        assert sp.simplify(read(latex) - LN5) != 0


# ----------------------------------------------------------------------------------------- channels

A = [[-22, -22], [-26, -26]]
B = [[98, 100], [100, 98]]
BA = r"\begin{bmatrix} -22 & -22 \\ -26 & -26 \end{bmatrix}"
BB = r"\begin{bmatrix} 98 & 100 \\ 100 & 98 \end{bmatrix}"


@pytest.mark.parametrize("latex", [
    rf"conv1^{{(1)}} = {BA}, \qquad conv1^{{(2)}} = {BB}",
    rf"conv1^{{(2)}} = {BB}, \qquad conv1^{{(1)}} = {BA}",                  # written in another order
    f"conv1^{{(1)}} &= {BA} \\\\\nconv1^{{(2)}} &= {BB}",                       # one line per channel
    rf"conv1_1 = {BA};\; conv1_2 = {BB}",
    rf"conv1^{{(1)}} = {BA} \quad conv1^{{(2)}} = {BB}",                      # a space, no comma
    rf"\text{{通道 1：}} conv1^{{(1)}} = {BA}, \quad \text{{通道 2：}} conv1^{{(2)}} = {BB}",
    rf"conv1 = {BA}, {BB}",
    rf"conv1 = \left({BA}, {BB}\right)",
])
def test_channel_by_channel_answers_make_one_tensor(latex):
    assert read(latex) == [A, B]


def test_channel_pairs_make_a_grid():
    parts = [rf"\frac{{\partial L}}{{\partial h^{{({o},{c})}}}} = {10 * o + c}" for o in (2, 1) for c in (2, 1)]
    assert read(", \\quad ".join(parts)) == [[11, 12], [21, 22]]


def test_a_name_given_twice_is_one_chain():
    assert read("L = -\\ln 0.2 \\\\\n\\text{so } L \\approx 1.609") == LN5
    with pytest.raises(FalseChain, match=r"^the answer states two different values: 1 and 2 \(a hedge is wrong, even"):
        parse_answer(r"a^{(1)} = 1, a^{(1)} = 2")


def test_channels_of_different_shapes_are_refused():
    with pytest.raises(ParseError, match=r"^entries separated by commas of different shapes \[2, 2\], \[\]$"):
        parse_answer(rf"a = {BA}, 3")


# ------------------------------------------------------------------------------------ labels and files

def test_an_align_answering_several_parts_is_split_by_label():
    tex = "\n".join([
        r"\begin{align}",
        r"fc1_i &= 0.1 \times 396 = 39.6 \label{ans:fc1} \\",
        r"p_i &= \frac{e^{39.6}}{\sum_j e^{fc1_j}} \\",
        r"    &= \frac{1}{5} \label{ans:p} \\",
        r"L &= -\ln p_3 \\",
        r"  &= \ln 5 \approx 1.609 \label{ans:L}",
        r"\end{align}",
        r"以下：\[ \frac{\partial L}{\partial p} = (0, 0, -5, 0, 0)^T \label{ans:dL_dp} \]",
    ])
    answers = read_tex_answers(tex)
    assert sorted(answers) == ["L", "dL_dp", "fc1", "p"]
    assert read(answers["fc1"]) == R(198, 5)
    assert read(answers["p"]) == R(1, 5)
    assert read(answers["L"]) == LN5
    assert read(answers["dL_dp"]) == [0, 0, -5, 0, 0]


def test_one_equation_per_channel():
    tex = "\n".join([
        rf"\begin{{equation}}\label{{ans:conv1}} conv1^{{(1)}} = {BA} \end{{equation}}",
        r"第二个通道：",
        rf"\begin{{equation*}} conv1^{{(2)}} = {BB} \end{{equation*}}",
        r"\begin{equation} fc1 = W \cdot relu1 \end{equation}",                  # working, not an answer
        r"\begin{equation}\label{ans:fc1} fc1 = 39.6 \end{equation}",
        r"\begin{equation} conv1^{(3)} = 0 \end{equation}",                      # not right after conv1
    ])
    answers = read_tex_answers(tex)
    assert read(answers["conv1"]) == [A, B] and read(answers["fc1"]) == R(198, 5)


@pytest.mark.parametrize("latex,value", [
    (r"\textbf{(a)} L = \ln 5", LN5),                       # a remark that opens the line introduces it
    (r"\text{for the loss: } L = \ln 5", LN5),
    (r"对于第一个通道：conv1^{(1)} = 1, 第二个：conv1^{(2)} = 2", [1, 2]),
    (r"fc1 = \dfrac{1}{10}\cdot 396 \cdot \left(1,1,1\right)^T", [R(198, 5)] * 3),
    (r"dx = O_{2\times 2}", [[0, 0], [0, 0]]),
    (r"\text{conv1}^{(1)} = 1, \text{conv1}^{(2)} = 2", [1, 2]),           # text in a name is the name
    (r"conv1： \begin{bmatrix}1&2\\3&4\end{bmatrix}", [[1, 2], [3, 4]]),    # a (full-width) colon for =
    (r"p = (−0.2, 0.2×1, 2·0.1)", [R(-1, 5), R(1, 5), R(1, 5)]),             # typed in a word processor
    (r"fc1_i = 39.6 \text{，对所有 } i", R(198, 5)),
    (r"dh = \begin{bmatrix} 0 & \cdots & 0 \\ \vdots & \ddots & \vdots \\ 0 & \cdots & 0 \end{bmatrix}", 0),
    (r"\text{conv1}[0] = 1 \\ \text{conv1}[1] = 2", [1, 2]),
    (r"fc1 = \frac{1}{10}\cdot 396\,\mathbf{1}_3 = 39.6\cdot\mathbf{1}", [R(198, 5)] * 3),
    (r"L = \log 5 = 1.6094\ldots", LN5),                                     # a decimal cut short is approximate
    (r"relu1 = \max\{0, conv1\} = \begin{bmatrix}0&0\end{bmatrix} \text{和} \begin{bmatrix}98&100\end{bmatrix}",
     [[0, 0], [98, 100]]),
    (r"fc1 = [39.6,\ 39.6]^{\mathrm T}", [R(198, 5)] * 2),
    (r"\frac{\partial L}{\partial h} = \mathbf{O}", 0),
    (r"relu1 = \begin{bmatrix}0&0\end{bmatrix} \text{ and } \begin{bmatrix}98&100\end{bmatrix}", [[0, 0], [98, 100]]),
    (r"p = (0.2, 0.2, \dots, 0.2)^T", R(1, 5)),                             # one value, any length
    (r"p = \begin{bmatrix} \tfrac15 \\ \vdots \\ \tfrac15 \end{bmatrix}", R(1, 5)),
])

def test_what_opens_a_line(latex, value):
    assert read(latex) == value


def test_matrices_side_by_side_are_two_entries_never_their_product():
    assert read(r"x = \begin{bmatrix}1&2\end{bmatrix} \quad \begin{bmatrix}3&4\end{bmatrix}") == [[1, 2], [3, 4]]
    assert read(r"x = \begin{bmatrix}1&2\end{bmatrix} \cdot \begin{bmatrix}3\\4\end{bmatrix}") == [11]


def test_working_before_the_result_is_not_a_channel():
    latex = "\n".join([r"\text{conv1}_{1}(1,1) &= (3-1)+(6-8)+(11-9)+(21+22+23)-(29+30+31) = -22 \nonumber \\",
                       rf"\text{{conv1}} &= {BA}, {BB}"])
    assert read(latex) == [A, B]
    assert read(r"fc1_i = 39.6 \\ fc1 = (39.6, 39.6)^T") == [R(198, 5)] * 2


# ------------------------------------------------------------------------------------------ messages

@pytest.mark.parametrize("latex,pattern", [
    # the column and the text are the student's, not the rewritten \begin{bmatrix} ... form
    (r"W = \left[\begin{array}{cc} 1 & 2 \\ 3 & + \end{array}\right]",
     r"^latex2sympy2 could not read it at column 44 \('\\end\{array\}\\right\]'\) of '\\begin\{array\}\{cc\} 1 & 2 "
     r"\\\\ 3 & \+ \\end\{ar…'$"),
    (r"p = (0.2, 0.2 +, 0.2)", r"^latex2sympy2 could not read it at column 16 \(', 0.2\)'\) of '0.2 \+'$"),
    (r"\frac{\partial L}{\partial x} = 3 + & 3", r"^latex2sympy2 could not read it at column 37 \('& 3'\) of '3 \+ & 3'$"),
    (r"L = \operatorname{eye}(3)", r"^\\operatorname\{eye\} at column 5 is not read in answers"),
])
def test_messages_name_the_students_column(latex, pattern):
    with pytest.raises(ParseError, match=pattern):
        parse_answer(latex)


def test_the_readers_reasons_are_worded_in_chinese_too():
    expected = np.array([R(1, 5)] * 2, dtype=object)
    graded = grade_part("p", "p = 0.2 0.2", expected)
    assert graded.verdict == "unparsed"
    assert graded.detail.startswith("two numbers with only a space between them at column 5 ('0.2 0.2')")
    assert graded.detail_text("zh").startswith("第 5 列（'0.2 0.2'）有两个数之间只有空格")
    graded = grade_part("p", r"p = \begin{pmatrix} 0.2 & + \end{pmatrix}", expected)
    assert graded.detail_text("zh") == r"latex2sympy2 无法读取 '\begin{pmatrix} 0.2 & + \end{pmatrix}'：位置在第 29 列（'\end{pmatrix}'）"


# ---------------------------------------------------------------------------------------- no crashes

_TOKENS = st.sampled_from([
    "1", "0.2", "-", "+", "=", r"\approx", ",", "&", r"\\", "\n", "(", ")", "[", "]", "{", "}", r"\frac", r"\dfrac",
    r"\ln", r"\log_{10}", r"\text{ nats}", r"\quad", r"\,", r"\!", r"\begin{bmatrix}", r"\end{bmatrix}",
    r"\begin{array}{cc}", r"\end{array}", r"\left(", r"\right)", "^T", "_{2\\times 2}", r"\mathbf{0}", "conv1^{(1)}",
    "c", "i", r"\dots", r"\forall", r"\in", "中文", "（", "）", " ",
])


@settings(max_examples=300, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_TOKENS, max_size=25))
def test_any_token_soup_is_read_or_refused_never_a_crash(tokens):
    latex = "".join(tokens)
    try:
        parse_answer(latex)
    except ParseError:
        pass
    graded = grade_part("L", latex, np.array(LN5, dtype=object))
    assert graded.verdict in ("correct", "wrong", "unparsed")


_NUMBER = st.sampled_from(["0", "2", "0.2", "-5", r"\frac15", r"\tfrac{1}{5}", r"\frac 1 2", "39.6", r"e^{2}",
                           r"\ln 5", r"\ln(5)", r"\log_{10} 5", r"\sqrt{4}", "1/5", "(1+1)", r"0.1 \times 396"])


@st.composite
def _answers(draw):  # type: ignore[no-untyped-def]
    """Answers shaped the way students shape them: a name, a chain of sides (numbers, tuples, matrices in any
    environment, products of a number and a list), channels, remarks."""
    def side() -> str:
        n = draw(st.integers(1, 3))
        cells = [draw(_NUMBER) for _ in range(n)]
        kind = draw(st.sampled_from(["number", "tuple", "bracket", "matrix", "array", "scaled", "channels", "remark"]))
        if kind == "number":
            return cells[0]
        if kind == "tuple":
            return "(" + ", ".join(cells) + ")" + draw(st.sampled_from(["", "^T", r"^{\top}"]))
        if kind == "bracket":
            return "[" + draw(st.sampled_from([r" \quad ", ", ", " ", r"\;"])).join(cells) + "]"
        env = draw(st.sampled_from(["bmatrix", "pmatrix", "vmatrix", "matrix"]))
        rows = r" \\ ".join(" & ".join(cells) for _ in range(draw(st.integers(1, 2))))
        if kind == "matrix":
            return rf"\begin{{{env}}} {rows} \end{{{env}}}"
        if kind == "array":
            return rf"\left[\begin{{array}}{{{'c' * n}}} {rows} \end{{array}}\right]"
        if kind == "scaled":
            return draw(_NUMBER) + draw(st.sampled_from([" ", r" \cdot "])) + "(" + ", ".join(cells) + ")"
        if kind == "channels":
            return rf"\begin{{{env}}} {rows} \end{{{env}}}, \begin{{{env}}} {rows} \end{{{env}}}"
        return draw(st.sampled_from([r"\mathbf{0}", r"0_{2\times 2}", r"\mathbf{1}_3", "y - p", r"W \cdot relu1"]))

    name = draw(st.sampled_from(["L", r"conv1^{(1)}", r"\frac{\partial L}{\partial p}", r"\text{conv1}", "", "p_i"]))
    sides = [side() for _ in range(draw(st.integers(1, 3)))]
    text = name
    for s in sides:
        text += (draw(st.sampled_from([" = ", r" \approx ", " &= ", ": "])) if text else "") + s
    return text + draw(st.sampled_from(["", r" \quad (c = 1, 2)", r" \text{ nats}", r" \text{(all zero)}", "（约）",
                                        r" \\ conv1^{(2)} = 3", r", \qquad p_2 = 1"]))


@settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(_answers())
def test_any_student_shaped_answer_is_read_or_refused_never_a_crash(latex):
    for expected in (np.array(LN5, dtype=object), np.array([R(1, 5)] * 3, dtype=object),
                     np.zeros((2, 2, 2), dtype=object)):
        assert grade_part("p", latex, expected).verdict in ("correct", "wrong", "unparsed")


# ------------------------------------------------------------------- pasted from a notebook (outside sheets 3)

@pytest.mark.parametrize("latex,value", [
    # NumPy's printout: trailing dots, nested lists with commas (tolist) or without (print), -0.
    (r"\mathtt{conv1} = [[[-22., -22.], [-26., -26.]], [[98., 100.], [100., 98.]]]",
     [[[-22, -22], [-26, -26]], [[98, 100], [100, 98]]]),
    (r"relu1 = [[[  0.   0.]  [  0.   0.]]  [[ 98. 100.]  [100.  98.]]]",
     [[[0, 0], [0, 0]], [[98, 100], [100, 98]]]),
    (r"[[-0., -0.], [-0., 1.5]]", [[0, 0], [0, R(3, 2)]]),
    (r"[[1e-3, 2.5E+2]]", [[R(1, 1000), 250]]),
    (r"[0., 0., 5., 0., 0.]", [0, 0, 5, 0, 0]),
])
def test_numpy_printouts(latex, value):
    assert read(latex) == value


def test_a_ragged_printout_is_refused():
    with pytest.raises(ParseError):
        parse_answer(r"[[1., 2.], [3.]]")


@pytest.mark.parametrize("latex,decimals", [
    # A double printed in full is judged to 12 significant digits, not to the noise in its last places.
    ("39.599999999999994", 10), ("0.19999999999999998", 12), ("1.6094379124341005", 11),
    ("0.0012345678901234567", 14), ("39.6", 1), ("1.609", 3),
])
def test_a_double_printed_in_full_keeps_twelve_significant_digits(latex, decimals):
    assert parse_answer(latex).decimals == decimals


@pytest.mark.parametrize("latex,expected,verdict", [
    ("39.599999999999994", R(198, 5), "correct"),
    ("1.6094379124341005", LN5, "correct"),
    ("39.599999999", R(198, 5), "wrong"),             # 11 significant digits: rounding, and wrongly rounded
    ("39.5999999999", R(198, 5), "wrong"),            # a real slip in the 10th place
    (r"[[-6.938893903907228e-18, 0.]] \approx 0", R(0), "correct"),
])
def test_pasted_floats_graded_as_a_teacher_would(latex, expected, verdict):
    want = np.full((1, 2), expected, dtype=object) if latex.startswith("[[") else np.array(expected, dtype=object)
    assert grade_part("x", latex, want).verdict == verdict


@pytest.mark.parametrize("latex", ["", "  ", r"\frac{\partial L}{\partial relu1} = ?", "= ？", r"\label{ans:x}"])
def test_no_answer_is_wrong_not_unreadable(latex):
    g = grade_part("x", latex, np.array(R(1), dtype=object))
    assert g.verdict == "wrong" and "no answer written" in g.detail


def test_a_side_in_symbols_beside_the_numbers_is_working():
    assert read(r"\frac{\partial L}{\partial \boldsymbol{p}} = -5\,\boldsymbol{e}_3 = (0, 0, -5, 0, 0)^{\top}") \
        == [0, 0, -5, 0, 0]
    assert read(r"\boldsymbol{p} - \boldsymbol{y} = \tfrac15\mathbf{1}_5 - \boldsymbol{e}_3 = "
                r"\left(\tfrac15, \tfrac15, -\tfrac45, \tfrac15, \tfrac15\right)^{\top}") \
        == [R(1, 5), R(1, 5), R(-4, 5), R(1, 5), R(1, 5)]
    with pytest.raises(ParseError):          # only symbols: nothing states the numbers
        parse_answer(r"-5\,\boldsymbol{e}_3")


@pytest.mark.parametrize("latex,verdict", [
    # 同上 / "same as above": graded on the value when one is written, else no answer (outside sheets 4).
    (r"\frac{\partial L}{\partial \mathrm{conv1}} \quad \text{同上 (same as above)}", "wrong"),
    (r"\frac{\partial L}{\partial x} \quad \text{也同上, same as above}", "wrong"),
    (r"\text{同上：} \frac{\partial L}{\partial x} = 1", "correct"),
    (r"\text{same as above, } = 2", "wrong"),
])
def test_a_reference_to_another_answer(latex, verdict):
    g = grade_part("x", latex, np.array(R(1), dtype=object))
    assert g.verdict == verdict
    if latex.count("=") == 0:
        assert "without writing its value" in g.detail


@pytest.mark.parametrize("latex", [r"\delta = (1, 2)", r"\boldsymbol{\delta} = \frac{\partial L}{\partial \mathrm{fc}_1} "
                                   r"= \mathbf{p} - \mathbf{y} = (1, 2)", r"\nabla_{\mathbf{y}} L = (1, 2)"])
def test_greek_names_are_names(latex):
    assert read(latex) == [1, 2]


def test_working_of_another_shape_before_channel_answers():
    # outside sheets 5: a worked entry (a scalar) on the line before the two channels it belongs to
    latex = (r"\mathrm{conv}_1^{(1)}(1,1) &= (-1-8-9)+(3+6+11)+(-29-30-31)+(21+22+23) = -22 \nonumber\\" "\n"
             r"\mathrm{conv}_1^{(1)} &= \begin{pmatrix} -22 & -22 \\ -26 & -26 \end{pmatrix}, \qquad" "\n"
             r"\mathrm{conv}_1^{(2)} = \begin{pmatrix} 98 & 100 \\ 100 & 98 \end{pmatrix} \tag{2-1}")
    assert read(latex) == [[[-22, -22], [-26, -26]], [[98, 100], [100, 98]]]


@pytest.mark.parametrize("latex,value", [
    (r"\frac{\partial L}{\partial x}=\mathbf 0\ (2\times4\times4)", 0),       # a shape, not a product
    (r"L = \log 5 \approx 1.6094\ \text{nats}", LN5),                          # no "\" left by the unit
    (r"L \approx 1.6094\;\mathrm{nats}\,.", LN5),
])
def test_shapes_and_units_after_the_value(latex, value):
    got = parse_answer(latex)
    assert got.value == value or abs(float(got.value) - float(value)) < 1e-4
