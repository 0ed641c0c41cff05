"""The derive command: what it prints, what it writes, how it fails."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from symconv import derive
from symconv.report.derivation import render
from symconv.proof.seed import check_seed
from symconv.report.derivation import seed_claim_text
from symconv.derivation.spec import ConvSpec

from conftest import golden


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "symconv", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=300)


def test_derive_default_is_problem_1(tmp_path):
    done = _run("derive", "--no-pdf", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[:2] == ["dL/dx = correlate(pad(g, 1), rot180(swap_io(h)))",
                         "dL/dh = batch_correlate(pad(x, 1), g)"]
    assert (tmp_path / "reports" / "conv_backward_2d_k3_s1_p1_d1.tex").exists()
    assert (tmp_path / "reports" / "conv_backward_2d_k3_s1_p1_d1.md").exists()


def test_derive_json(tmp_path):
    done = _run("derive", "--ndim", "1", "--stride", "2", "--bias", "--json", "--no-pdf", "--out", "o",
                cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert doc["closed_forms"]["grad_bias"]["form"] == "sum_axes(g, (0, 2))"
    assert doc["closed_forms"]["grad_input"]["form"].startswith("correlate(pad(dilate(g, 2)")
    assert doc["proof"]["ok"] and doc["proof"]["statement"].startswith("for every N") and len(doc["steps"]) > 10
    assert doc["spec"]["stride"] == [2]


@pytest.mark.parametrize("args,pattern", [
    (["--stride", "0"], r"^symconv: error: stride must be a positive integer"),
    (["--stride", "two"], r"^symconv: error: argument --stride: --stride must be an integer"),
    (["--padding", "half"], r"^symconv: error: argument --padding: --padding must be an integer"),
    (["--ndim", "4"], r"^symconv: error: argument --ndim: invalid choice"),
    (["--groups", "3", "--in-channels", "4"], r"^symconv: error: in_channels must be divisible by groups \(3\), got 4$"),
    (["--padding", "same", "--stride", "2"], r"^symconv: error: padding 'same' needs stride 1"),
])
def test_bad_options_exit_2_without_traceback(tmp_path, args, pattern):
    done = _run("derive", "--no-pdf", *args, cwd=tmp_path)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert re.match(pattern, done.stderr.strip().splitlines()[-1]), done.stderr


def test_problem_1_report_matches_golden():
    d = derive(ConvSpec(2, 2, 3, padding=1))
    tex, md = render(d, "Backward pass of a convolution (2d_k3_s1_p1_d1)", check_seed(d))
    assert render(d, "Backward pass of a convolution (2d_k3_s1_p1_d1)", check_seed(d)) == (tex, md)
    golden("conv_backward_2d_k3_s1_p1_d1.tex", tex)
    golden("conv_backward_2d_k3_s1_p1_d1.md", md)


def test_seed_formulas_verdicts():
    claims = {c.label: c for c in check_seed(derive(ConvSpec(2, 2, 3, padding=1)))}
    assert not claims["(3) as written"].holds
    assert claims["(3) with the channel swap of its formula (2)"].holds
    assert not claims["(6) as written"].holds
    assert re.match(r"^\d+ of 36 entries differ; e\.g\. at \(0,0,0,0\) it gives", seed_claim_text(claims["(6) as written"]))


@pytest.mark.skipif(shutil.which("latexmk") is None and shutil.which("pdflatex") is None,
                    reason="no LaTeX on this machine")
def test_pdf_shows_every_step(tmp_path):
    done = _run("derive", "--out", "o", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    pdf = tmp_path / "o" / "conv_backward_2d_k3_s1_p1_d1.pdf"
    assert pdf.exists(), done.stdout
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout
        for phrase in ("Kronecker-delta elimination", "change of summation variable", "rotation by",
                       "channel swap", "bounds to padding", "recognise the closed form", "does not hold"):
            assert phrase in text, phrase


@pytest.mark.skipif(shutil.which("latexmk") is None and shutil.which("pdflatex") is None,
                    reason="no LaTeX on this machine")
def test_pdf_is_reproducible(tmp_path):
    for out in ("a", "b"):
        assert _run("derive", "--ndim", "1", "--out", out, cwd=tmp_path).returncode == 0
    a, b = (tmp_path / d / "conv_backward_1d_k3_s1_p1_d1.pdf" for d in "ab")
    assert a.read_bytes() == b.read_bytes()


def test_notebook_display():
    from symconv.homework import solve
    from symconv.inputs import load
    d = derive(ConvSpec(2, 2, 3, padding=1))
    assert d._repr_latex_().startswith("$$\\frac{\\partial L}{\\partial x} = ")
    assert d.grad_input._repr_latex_().startswith("$\\operatorname{pad}_{1}")
    md = solve(load(Path(__file__).parents[1] / "derivations" / "homework11.toml"))._repr_markdown_()
    assert "| `fc1` | $\\begin{bmatrix} \\frac{198}{5} & \\frac{198}{5}" in md          # one row, a row matrix


@pytest.mark.skipif(shutil.which("xelatex") is None, reason="needs xelatex")
def test_chinese_derive_and_check_reports_compile(tmp_path):
    for out in ("o", "again"):
        done = _run("derive", "--lang", "zh", "--out", out, cwd=tmp_path)
        assert done.returncode == 0, done.stderr
    pdf = tmp_path / "o" / "conv_backward_2d_k3_s1_p1_d1_zh.pdf"
    assert pdf.exists(), done.stdout
    assert pdf.read_bytes() == (tmp_path / "again" / pdf.name).read_bytes()     # reproducible with XeLaTeX too
    answers = Path(__file__).parent / "data" / "homework_answers.tex"
    done = _run("check", str(answers), "--lang", "zh", "--out", "o", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    md = (tmp_path / "o" / "grades_homework_answers_zh.md").read_text(encoding="utf-8")
    assert "| $\\mathrm{conv}_1$ | 正确 | 完全相等 |" in md and "homework\\_answers\\.tex 的评分" in md
    assert (tmp_path / "o" / "grades_homework_answers_zh.pdf").exists(), done.stdout


def test_figure_marks_the_entries_the_definition_pairs():
    from symconv.report.figure import panels, svg, tikz
    # stride 2, padding 1, 3x3, input 7x7, u = (3, 3): 2i + a - 1 = 3 gives (i, a) = (1, 2) and (2, 0),
    # i.e. rows/columns 1 and 2 of g, meeting rot180 entries K-1-a = 0 and 2.
    x, g, dil, k = panels(ConvSpec(2, 2, 3, stride=2, padding=1))
    assert x.filled == {(3, 3): "u"}
    assert g.filled == {(1, 1): "0,0", (1, 2): "0,2", (2, 1): "2,0", (2, 2): "2,2"}
    assert set(dil.filled) == {(2, 2), (2, 4), (4, 2), (4, 4)} and (1, 1) in dil.grey
    assert set(k.filled) == {(0, 0), (0, 2), (2, 0), (2, 2)}
    assert len(panels(ConvSpec(2, 2, 3, padding=1))) == 3          # no dilation panel at stride 1
    assert svg(ConvSpec(1, 1, 3, ndim=1)).startswith("<svg ") and "tikzpicture" in tikz(ConvSpec(1, 1, 3, ndim=1))


def test_derive_writes_the_figure_beside_the_markdown(tmp_path):
    done = _run("derive", "--no-pdf", "--out", "o", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    md = (tmp_path / "o" / "conv_backward_2d_k3_s1_p1_d1.md").read_text(encoding="utf-8")
    assert "](fig_2d_k3_s1_p1_d1.svg)" in md
    assert (tmp_path / "o" / "fig_2d_k3_s1_p1_d1.svg").read_text(encoding="utf-8").startswith("<svg ")


@pytest.mark.parametrize("argv", [
    ["derive", "--no-p"],                       # --no-pdf
    ["derive", "--in-ch", "2"],                 # --in-channels
    ["verify", "--input", "4"],                 # --input-size
    ["homework", "--js"],                       # --json
])
def test_abbreviated_options_are_refused(argv, capsys):
    from symconv.cli import main
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    assert re.match(r"^symconv: error: unrecognized arguments: --", capsys.readouterr().err)
