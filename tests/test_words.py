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
