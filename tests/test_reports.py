"""Every report symconv writes for a valid input compiles, in English and Chinese (skipped without LaTeX).

One PDF build takes about 2-5 s; the cases below are the ones that once failed or shrank: an FC layer with
more than 10 inputs (amsmath's matrix column limit), biases, stride 2, 1-D and 3-D derivations, and grading
sheets whose part names hold underscores and markup.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from symconv.report.pdf import compile_pdf

DATA = Path(__file__).parent / "data"
VARIANT = DATA / "variant_3ch_stride2.toml"

needs_latex = pytest.mark.skipif(shutil.which("latexmk") is None or shutil.which("xelatex") is None,
                                 reason="needs latexmk and xelatex")


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "symconv", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=600)


def _built(done: subprocess.CompletedProcess, pdf: Path) -> None:
    assert done.returncode == 0, done.stderr
    assert pdf.exists() and pdf.stat().st_size > 1000, done.stdout + done.stderr


@needs_latex
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_variant_homework_compiles(tmp_path, lang):
    done = _run("homework", str(VARIANT), "--out", "o", "--lang", lang, cwd=tmp_path)
    _built(done, tmp_path / "o" / ("variant_3ch_stride2" + ("_zh" if lang == "zh" else "") + ".pdf"))


@needs_latex
@pytest.mark.parametrize("args,stem", [
    (["--ndim", "1", "--stride", "2"], "conv_backward_1d_k3_s2_p1_d1"),
    (["--kernel-size", "3,2", "--padding", "0"], "conv_backward_2d_k3x2_s1_p0_d1"),
    (["--ndim", "3", "--groups", "2", "--bias", "--lang", "zh"], None),
])
def test_derive_reports_compile(tmp_path, args, stem):
    done = _run("derive", *args, "--out", "o", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    pdfs = list((tmp_path / "o").glob("*.pdf"))
    assert len(pdfs) == 1, done.stdout + done.stderr
    if stem is not None:
        assert pdfs[0].name == stem + ".pdf"


@needs_latex
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_grading_sheet_with_wrong_and_unparsed_parts_compiles(tmp_path, lang):
    (tmp_path / "sheet.toml").write_text(
        'dL_dconv1 = "\\\\frac{"\n'                         # unparsed, with an underscore in its name
        'dL_dW = "0"\n'                                      # wrong shape
        'fc1 = "[39.6 \\\\quad 39.6 \\\\quad 39.6 \\\\quad 39.6 \\\\quad 39.7]"\n'   # one entry wrong
        '"x_<b>|{}%#$&~^\\\\\\\\" = "1"\n'                  # unknown, every special character
        'dL_dfc_bias = "0"\n', encoding="utf-8")             # no bias in this homework: unknown
    done = _run("check", "sheet.toml", "--out", "o", "--lang", lang, cwd=tmp_path)
    assert done.returncode == 1, done.stderr                 # wrong answers, but the PDF built
    assert "LaTeX failed" not in done.stderr, done.stderr
    pdf = tmp_path / "o" / ("grades_sheet" + ("_zh" if lang == "zh" else "") + ".pdf")
    assert pdf.exists(), done.stdout + done.stderr


@needs_latex
def test_a_latex_failure_names_the_first_error_and_its_line(tmp_path):
    tex = tmp_path / "broken.tex"
    tex.write_text("\\documentclass{article}\n\\begin{document}\nfine\n\\undefinedmacro here\n\\end{document}\n",
                   encoding="utf-8")
    result = compile_pdf(tex)
    assert result.failed and result.path is None
    assert "\n" not in result.message
    assert result.message.startswith("no PDF: LaTeX failed on broken.tex: ! Undefined control sequence.")
    assert "(l.4 \\undefinedmacro" in result.message
