"""Reports a student can read: nothing shrunk, nothing past the margin (issue 20, item 1).

Every kind of report the suite builds is compiled and read back with pdfplumber: no character is set below
5.5 pt (the old reports shrank tables and equations to fit, down to 4.2 pt) and none lies outside the text
block of the A4 page with its 2 cm margins (the page number in the footer aside). The unit tests below pin
the pieces: displays and tables are never wrapped in ``\\adjustbox``, tables break across pages, decimals in
math read as powers of ten, kernels are a grid of labelled matrices.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import sympy as sp

from symconv.report.doc import Math, Table, to_latex
from symconv.report import homework as hw_report

DATA = Path(__file__).parent / "data"
A4 = (595.28, 841.89)
MARGIN = 2 / 2.54 * 72         # 2 cm in points
SLACK = 0.5                    # points: rounding of glyph boxes
SMALLEST = 5.5                 # points
RISE = 12                      # points a page's first line may rise above the block (a tall fraction's top
                               # when the page begins with a display: TeX puts the baseline at \topskip)
# Full-width closing punctuation is set half-width at a line's end (ctex's compression): its glyph box, a
# full em, reaches past the margin while its ink (the left half) stays about inside.
CJK_CLOSING = set("，。、；：！？）」』】》")
# and full-width opening punctuation at a line's start likewise: its glyph box reaches left of the margin, its
# ink (the right half) stays inside
CJK_OPENING = set("（「『【《")


def _faults(pdf_path: Path) -> list[str]:
    pdfplumber = pytest.importorskip("pdfplumber")
    faults = []
    with pdfplumber.open(pdf_path) as pdf:
        for number, page in enumerate(pdf.pages, 1):
            left, right = MARGIN - SLACK, page.width - MARGIN + SLACK
            top, bottom = MARGIN - SLACK, page.height - MARGIN + SLACK
            footer = [c for c in page.chars if c["top"] > bottom]
            footer_text = "".join(c["text"] for c in footer).strip()
            for c in page.chars:
                where = f"{pdf_path.name} p.{number} {c['text']!r}"
                if c["size"] < SMALLEST:
                    faults.append(f"{where} at {c['size']:.2f} pt")
                overhang = c["size"] if c["text"] in CJK_CLOSING else 0
                underhang = c["size"] if c["text"] in CJK_OPENING else 0
                if c["x0"] < left - underhang or c["x1"] > right + overhang or c["top"] < top - RISE:
                    faults.append(f"{where} outside the text block at x {c['x0']:.1f}-{c['x1']:.1f}")
                elif c in footer and not footer_text.isdigit():
                    faults.append(f"{where} below the text block (footer {footer_text!r})")
    return faults


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "symconv", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=900)


WRONG_SHEET = ('dL_dconv1 = "\\\\frac{"\n'
               'dL_dW = "0"\n'
               'fc1 = "[39.6 \\\\quad 39.6 \\\\quad 39.6 \\\\quad 39.6 \\\\quad 39.7]"\n'
               'dL_dh = "[[1, 2], [3, 4]]"\n')


@pytest.fixture(scope="module")
def reports(tmp_path_factory) -> list[Path]:
    if shutil.which("latexmk") is None or shutil.which("xelatex") is None:
        pytest.skip("needs latexmk and xelatex")
    pytest.importorskip("pdfplumber")
    root = tmp_path_factory.mktemp("layout")
    (root / "sheet.toml").write_text(WRONG_SHEET, encoding="utf-8")
    shutil.copy(DATA / "sheets" / "s01_zhang_wei.tex", root / "s01.tex")
    runs = [("derive", "--out", "d1"), ("derive", "--stride", "2", "--dilation", "2", "--out", "d2"),
            ("derive", "--ndim", "1", "--stride", "2", "--groups", "2", "--in-channels", "2",
             "--out-channels", "4", "--bias", "--out", "d3"),
            ("homework", "--out", "h_en"), ("homework", "--lang", "zh", "--out", "h_zh"),
            ("homework", str(DATA / "variant_3ch_stride2.toml"), "--out", "v"),
            # a figure wider than the line (a dilated g of 13 columns beside a 15-column input): it wraps
            ("derive", "--stride", "3", "--dilation", "2", "--kernel-size", "5", "--padding", "2", "--out", "d4"),
            ("homework", str(DATA / "variant_softmax_review20.toml"), "--out", "v2"),
            ("check", "sheet.toml", "s01.tex", "--out", "g"),
            ("check", "sheet.toml", "--lang", "zh", "--out", "gz")]
    for args in runs:
        done = _run(*args, cwd=root)
        assert done.returncode in (0, 1), (args, done.stderr)
    pdfs = sorted(root.glob("*/*.pdf"))
    assert len(pdfs) == 11, pdfs
    return pdfs


def test_every_report_is_set_at_a_readable_size_inside_the_text_block(reports):
    faults = [f for pdf in reports for f in _faults(pdf)]
    assert not faults, f"{len(faults)} faults, first: " + "; ".join(faults[:12])


def test_the_suite_builds_every_kind_of_report(reports):
    names = {p.name for p in reports}
    assert {"homework11.pdf", "homework11_zh.pdf", "variant_3ch_stride2.pdf"} <= names
    assert any(n.startswith("grades_") for n in names)
    assert any(n.startswith("conv_backward_1d") for n in names)


def test_the_figure_is_never_scaled_its_labels_at_6_pt_inside_the_line(reports):
    # The figure's cell labels were \tiny inside \adjustbox{max width=\linewidth}: a wide figure shrank
    # them below 5.5 pt, and its last title could pass the right edge. Now each panel is its own picture and
    # the panels wrap; the labels ("u", "1,1") stay at 6 pt on every figure page.
    pdfplumber = pytest.importorskip("pdfplumber")
    seen = 0
    for pdf_path in reports:
        with pdfplumber.open(pdf_path) as pdf:
            for page in pdf.pages:
                labels = [c for c in page.chars if abs(c["size"] - 6) < 0.1 and c["text"] in "u0123456789,"]
                if not labels:
                    continue
                seen += 1
                assert min(c["size"] for c in labels) >= SMALLEST
                inside = [c for c in page.chars if c["text"] not in CJK_CLOSING]       # ctex's hanging stops aside
                assert max(c["x1"] for c in inside) <= page.width - MARGIN + SLACK, pdf_path.name
    assert seen >= 9                                  # every report with a figure (the graded sheets have none)


def test_the_tikz_figure_is_pictures_that_wrap():
    from symconv.derivation.spec import ConvSpec
    from symconv.report.figure import tikz
    from symconv.report.doc import Figure
    pictures = tikz(ConvSpec(2, 2, 5, stride=3, dilation=2, padding=2))
    assert pictures.count(r"\begin{tikzpicture}") == 4 and r"\hspace{2em plus 1em}" in pictures
    assert r"\tiny" not in pictures and r"\fontsize{6}{6}" in pictures
    assert r"$\operatorname{rot180}(\operatorname{swap}_{io}(h))$" in pictures and "swap\\_io" not in pictures
    tex = to_latex([Figure(pictures, "f.svg", "c")], "t")
    assert "adjustbox" not in tex and "scalebox" not in tex


# ------------------------------------------------------------------------------------------- the pieces

def test_displays_and_tables_are_never_shrunk():
    wide = Table(("reading", "verdict"), (("(3)", "refuted at " + "C_in = 1, " * 40),))
    tex = to_latex([Math(r"y = " + " + ".join(f"x_{{{i}}}" for i in range(80))), wide], "t")
    assert "adjustbox{" not in tex and "resizebox" not in tex and "scalebox" not in tex
    assert r"\begin{xltabular}{\linewidth}{l>{\raggedright\arraybackslash}X}" in tex   # the wide column wraps
    assert r"$\displaystyle y = x_{0} + " in tex                        # a display TeX may break at a +


def test_a_narrow_table_keeps_natural_columns():
    tex = to_latex([Table(("a", "b"), (("1", "2"),))], "t", full=False)
    assert r"\begin{longtable}{ll}" in tex


def test_decimals_in_math_are_powers_of_ten():
    assert hw_report._dec_float(1.27951e-05) == r"1.27951 \times 10^{-5}"
    assert hw_report._dec_float(-3.76572e6) == r"-3.76572 \times 10^{6}"
    assert hw_report._dec_float(0.25) == "0.25" and hw_report._dec_float(-0.0) == "0"


def test_kernels_are_a_grid_of_labelled_matrices():
    h = np.arange(2 * 3 * 2 * 2).reshape(2, 3, 2, 2)
    blocks = hw_report.kernel_grid("h", "=", h)
    assert len(blocks) == 2                                          # one display per output channel
    assert all(f"h_{{{o},{c}}} = " in blocks[o].latex for o in range(2) for c in range(3))
    assert r"\begin{bmatrix} 0 & 1 \\ 2 & 3 \end{bmatrix}" in blocks[0].latex
    assert blocks[0].latex.count(r"\begin{bmatrix}") == 3            # no matrix of matrices


def test_a_matrix_wider_than_the_line_is_written_entry_by_entry_one_row_per_display():
    # review20: the exact dL/dW of a 4 x 8 matrix of fractions over S was a bmatrix 722 pt wide.
    E1, E3, S = sp.symbols("E_1 E_3 S")
    a = np.array([[(61 * k * E1 - 7 * E3) / (2 * S) for k in range(1, 9)] for _ in range(4)], dtype=object)
    blocks = hw_report._display(r"\frac{\partial L}{\partial W}", "=", a, hw_report._num)
    assert len(blocks) == 4 and all(isinstance(b, Math) and "bmatrix" not in b.latex for b in blocks)
    assert r"\frac{\partial L}{\partial W_{0,7}} = " in blocks[0].latex and r",\allowbreak\ " in blocks[0].latex
    narrow = hw_report._display("W", "=", np.eye(2, dtype=object), hw_report._num)
    assert len(narrow) == 1 and "bmatrix" in narrow[0].latex


def test_minus_y_over_p_is_never_a_fraction_over_a_fraction():
    assert hw_report._minus_y_over_p(0, sp.Rational(1, 5)) == "0"
    assert hw_report._minus_y_over_p(1, sp.Rational(1, 5)) == r"-\dfrac{1}{1 / 5}"


def test_fractions_in_a_matrix_are_at_text_size_with_room_between_rows():
    m = np.array([[sp.Rational(1, 3), 1], [2, sp.Rational(-5, 7)]], dtype=object)
    tex = hw_report.tensor_latex(m)
    assert r"\dfrac{1}{3}" in tex and r"- \dfrac{5}{7}" in tex and r"\\[1ex]" in tex


@pytest.mark.parametrize("args", [dict(in_channels=2, out_channels=2, kernel_size=3, padding=1),
                                  dict(in_channels=1, out_channels=1, kernel_size=3, stride=2, ndim=1)])
def test_the_svg_figure_keeps_its_titles_inside_and_its_labels_readable(args):
    import re
    from symconv.derivation.spec import ConvSpec
    from symconv.report.figure import svg
    text = svg(ConvSpec(**args))
    width = float(re.search(r'<svg [^>]*width="([\d.]+)"', text).group(1))
    titles = re.findall(r'<text x="([\d.]+)" y="[\d.]+" text-anchor="middle">([^<]*)</text>', text)
    assert any(t == "rot180(swap_io(h))" for _, t in titles)
    # a 12 px monospace character is at most 0.62 em wide: the centred title's right end is inside
    assert all(float(x) + len(t) * 0.62 * 12 / 2 <= width for x, t in titles)
    assert set(re.findall(r'font-size="(\d+)"', text)) <= {"11", "12"}


@pytest.mark.parametrize("args", [dict(stride=2, dilation=2, padding=1, groups=2),
                                  dict(stride=3, dilation=2, padding=0), dict(stride=2, padding=1)])
def test_the_figures_input_entry_is_one_the_outputs_meet(args):
    # review20: at stride 2, dilation 2 the centre entry u is met by no output (2i + 2a - 1 = 4 has no
    # solution); the figure showed u and three empty grids under a caption promising the entries it meets.
    from symconv.derivation.spec import ConvSpec
    from symconv.report.figure import panels
    spec = ConvSpec(2, 2, 3, **args)
    ps = panels(spec)
    (u,) = ps[0].filled
    assert all(p.filled for p in ps[1:]), [(p.title, p.filled) for p in ps]
    # each marked g entry i and its kernel label K-1-a satisfy S*i + D*a - P = u on both axes
    for (i0, i1), label in ps[1].filled.items():
        r0, r1 = map(int, label.split(","))
        for i, r, v, k in ((i0, r0, u[0], 0), (i1, r1, u[1], 1)):
            assert spec.stride[k] * i + spec.dilation[k] * (2 - r) - spec.pads[k][0] == v


def test_a_wide_3d_tensor_is_one_labelled_matrix_per_channel():
    # review20: dL/dx of a 3-channel input was three 4 x 4 matrices stacked with commas, no channel named.
    blocks = hw_report._display(r"\frac{\partial L}{\partial x}", "=", np.zeros((3, 4, 4), dtype=object),
                                hw_report._num)
    assert len(blocks) == 1 and isinstance(blocks[0], Math)
    assert all(rf"\left(\frac{{\partial L}}{{\partial x}}\right)_{{{c}}} = \begin{{bmatrix}}" in blocks[0].latex
               for c in range(3))
