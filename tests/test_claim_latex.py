r"""Claims written in the LaTeX symconv prints for average pooling and for the double backward: every printed form
reads back to the same tree (as ``tests/test_fold.py`` does for unfold and fold), ``verify --claim`` proves the
right one and refutes a wrong divisor with the prover's smallest counterexample (confirmed by PyTorch autograd),
and a malformed subscript is one line naming its column. Before, ``\operatorname{sum\_windows}``,
``\operatorname{divide}``, ``\operatorname{count}`` and ``\mathit{ggW}`` were read in the operator syntax only."""

from __future__ import annotations

import json
import os
import random
import re
import subprocess
import sys
from pathlib import Path

import pytest

from symconv import ConvSpec
from symconv.derivation import ops
from symconv.derivation.pooling import derive_pool_forms, derive_pool_general
from symconv.derivation.second import derive_second_order
from symconv.derivation.spec import AvgPoolSpec
from symconv.proof.claims import SECOND_TENSORS, prove_pool_claim, prove_second_claim
from symconv.proof.grammar import ClaimError, parse, terms

from conftest import needs_torch
from test_avg_pool import WRONG_DIVISORS, _confirm_with_torch

ROOT = Path(__file__).resolve().parents[1]


def _run(*args, cwd=None):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "symconv", *args], capture_output=True, text=True, cwd=cwd,
                          env=env, timeout=600)


# ------------------------------------------------------------------------------ average pooling: read back

SPREAD = [
    AvgPoolSpec(1, 3, stride=2, padding=1),                                           # divisor 3
    AvgPoolSpec(1, 3, stride=2, padding=1, ceil_mode=True),                           # count(3, 2, 1)
    AvgPoolSpec(1, 3, stride=1, padding=1, count_include_pad=False),                  # valid_count, no dilate
    AvgPoolSpec(1, 4, stride=3, padding=2, ceil_mode=True, count_include_pad=False),
    AvgPoolSpec(1, 2, divisor_override=-2),                                           # a negative number
    AvgPoolSpec(2, (3, 2), stride=(2, 1), padding=(1, 0), ceil_mode=True, count_include_pad=False),  # per axis
    AvgPoolSpec(2, 2, divisor_override=5),
    AvgPoolSpec(2, 3, stride=2, padding=1, ceil_mode=True),
    AvgPoolSpec(3, (2, 3, 2), stride=(1, 2, 2), padding=(1, 1, 0), count_include_pad=False),
    AvgPoolSpec(3, 3, stride=2, padding=1, ceil_mode=True),
    AvgPoolSpec(3, 2),
]


def _random_specs(ndim, count=6):
    rng = random.Random(22 + ndim)
    out = []
    for _ in range(count):
        kernel = tuple(rng.randint(1, 4) for _ in range(ndim))
        out.append(AvgPoolSpec(ndim, kernel, stride=tuple(rng.randint(1, 3) for _ in range(ndim)),
                               padding=tuple(rng.randint(0, k // 2) for k in kernel), ceil_mode=rng.random() < 0.5,
                               count_include_pad=rng.random() < 0.5,
                               divisor_override=rng.choice([None, None, None, rng.randint(1, 9)])))
    return out


@pytest.mark.parametrize("spec", SPREAD + [s for n in (1, 2, 3) for s in _random_specs(n)],
                         ids=lambda s: s.describe())
def test_printed_pool_latex_reads_back(spec):
    """parse(form.to_latex()) == form for the engine's form of each configuration (and its operator syntax)."""
    form = derive_pool_forms(spec).grad_input
    for text in (form.to_latex(), str(form)):
        assert parse(text, spec.ndim) == form, text


@pytest.mark.parametrize("ndim", [1, 2, 3])
def test_general_pool_form_reads_back(ndim):
    r"""The general form, divided by the generic divisor d (``\operatorname{divide}\left(g,\ d\right)``)."""
    form = derive_pool_general(ndim).closed["grad_input"]
    for text in (form.to_latex(), str(form)):
        assert parse(text, ndim) == form, text


def test_every_form_a_pool_report_prints_reads_back(tmp_path):
    r"""The LaTeX lines of the .tex and .md that ``derive --op avg_pool`` writes (per-axis values, the valid
    count), with their left-hand side taken off, read back to the derived form; the general form's line names
    its widths q_x (given beside it) and is read from ``to_latex`` above."""
    args = ["--op", "avg_pool", "--ndim", "2", "--kernel-size", "3,2", "--stride", "2,1", "--padding", "1,0",
            "--ceil-mode", "--no-count-include-pad"]
    done = _run("derive", *args, "--no-pdf", "--out", "o", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    spec = AvgPoolSpec(2, (3, 2), stride=(2, 1), padding=(1, 0), ceil_mode=True, count_include_pad=False)
    want = derive_pool_forms(spec).grad_input
    lhs = r"\frac{\partial L}{\partial x} = "
    for path in sorted((tmp_path / "o").iterdir()):
        lines = [line.removeprefix(r"$\displaystyle ").removesuffix("$") for line in path.read_text().splitlines()]
        printed = [line[len(lhs):] for line in lines if line.startswith(lhs) and r"q_{x}" not in line]
        assert printed, path.name
        for text in printed:
            assert parse(text, 2) == want, (path.name, text)


HAND_WRITTEN = [
    # (what a person may type, the operator syntax it means)
    (r"\mathrm{sum\_windows}_{3}(\mathrm{pad}_{(1, 1)}(\mathrm{divide}(g, 3)))",
     "sum_windows(pad(divide(g, 3), 1), 3)"),
    (r"\mathrm{sum_windows}_3\left(\operatorname{pad}_1\left(\frac{g}{3}\right)\right)",
     "sum_windows(pad(divide(g, 3), 1), 3)"),
    (r"\operatorname{sum\_windows}_{3}(\operatorname{pad}_{1}(\operatorname{divide}(g, \operatorname{count}_{3;1;1})))",
     "sum_windows(pad(divide(g, count(3, 1, 1)), 1), 3)"),
    (r"\operatorname{divide}(g, \operatorname{count}_{3;2;1}^{\mathrm{valid}})", "divide(g, valid_count(3, 2, 1))"),
    (r"\operatorname{divide}(g, \operatorname{valid\_count}_{3;2;1})", "divide(g, valid_count(3, 2, 1))"),
    (r"\operatorname{divide}(g, \operatorname{count}^{valid}_{3; 2; 1})", "divide(g, valid_count(3, 2, 1))"),
    (r"\operatorname{divide}(g, valid_count(3, 2, 1))", "divide(g, valid_count(3, 2, 1))"),     # mixed
    (r"\dfrac{\frac{\partial L}{\partial y}}{K}", "divide(g, K)"),
    (r"\tfrac{g}{2 K - 1}", "divide(g, 2*K - 1)"),
]


@pytest.mark.parametrize("text, means", HAND_WRITTEN)
def test_hand_written_pool_latex(text, means):
    assert parse(text, 1) == parse(means, 1)


def test_per_axis_count_in_latex():
    form = parse(r"\operatorname{divide}\left(g,\ \operatorname{count}^{\mathrm{valid}}_{3,2;2,1;1,0}\right)", 2)
    assert str(form) == "divide(g, valid_count((3, 2), (2, 1), (1, 0)))"
    form = parse(r"\operatorname{divide}\left(g,\ \operatorname{count}_{2;2;0}\right)", 3)
    assert form.divisor.kernel == (2, 2, 2) and form.divisor.padding == (0, 0, 0)


# ------------------------------------------------------------------------ average pooling: proved, refuted

def test_the_latex_of_the_right_form_is_proved():
    for spec in SPREAD[:4] + SPREAD[5:6]:
        result = prove_pool_claim(spec, derive_pool_forms(spec).grad_input.to_latex())
        assert result.verdict == "proved", (spec.describe(), result.detail)


@needs_torch
@pytest.mark.parametrize("spec, claim, where", WRONG_DIVISORS, ids=[w[1][:40] for w in WRONG_DIVISORS])
def test_the_latex_of_a_wrong_divisor_is_refuted_at_the_smallest_sizes(spec, claim, where):
    """The wrong divisors of tests/test_avg_pool.py, written in LaTeX: the same smallest counterexample,
    confirmed by PyTorch autograd."""
    latex = parse(claim, spec.ndim).to_latex()
    assert r"\operatorname{divide}" in latex
    result = prove_pool_claim(spec, latex)
    cx = result.counterexample
    assert result.verdict == "refuted" and cx is not None and cx.kind == "weight"
    assert cx.where() == where
    _confirm_with_torch(spec, result.form, cx)


POOL = ["--op", "avg_pool", "--ndim", "1", "--kernel-size", "3", "--stride", "2", "--padding", "1"]


def test_cli_verifies_the_latex_of_a_report(tmp_path):
    """``derive --json`` gives the form's LaTeX; ``verify --claim`` proves it, and refutes it with the divisor
    that ignores count_include_pad=False (the valid count is 2 at H = 1's clipped window, not 3)."""
    done = _run("derive", *POOL, "--no-count-include-pad", "--json", "--no-pdf", cwd=tmp_path)
    entry = json.loads(done.stdout)["closed_forms"]["grad_input"]
    assert r"\operatorname{count}^{\mathrm{valid}}_{3;2;1}" in entry["latex"]
    proved = _run("verify", *POOL, "--no-count-include-pad", "--wrt", entry["wrt"], "--claim", entry["latex"],
                  cwd=tmp_path)
    assert proved.returncode == 0 and "proved for every N, C, H" in proved.stdout, proved.stderr
    wrong = entry["latex"].replace(r"\operatorname{count}^{\mathrm{valid}}_{3;2;1}", "3")
    refuted = _run("verify", *POOL, "--no-count-include-pad", "--wrt", "x", "--claim", wrong, cwd=tmp_path)
    assert refuted.returncode == 1 and "refuted, at C = 1, H = 1, P = 1" in refuted.stdout


MALFORMED = [
    (r"\operatorname{divide}\left(g,\ \operatorname{count}_{3;2}\right)",
     r"^claim: \\operatorname\{count\} subscript at column 54: expected kernel;stride;padding \(three groups "
     r"separated by ';'\), got 2$"),
    (r"\operatorname{divide}(g, \operatorname{count}_{3;2;1;0})", r"subscript at column 48: .* got 4$"),
    (r"\operatorname{divide}(g, \operatorname{count}_{3,3;2;1})",
     r"^claim: count kernel at column 48: one value or one per spatial axis \(1 here\), got 2$"),
    (r"\operatorname{divide}(g, \operatorname{count}_{3;0;1})", r"^claim: count stride at column 50 must be positive$"),
    (r"\operatorname{divide}(g, \operatorname{count}^{\mathrm{real}}_{3;2;1})",
     r"^claim: expected \\mathrm\{valid\} in the superscript of \\operatorname\{count\} at column 48, "
     r"got '\\\\mathrm\{real\}'$"),
    (r"\operatorname{divide}(g, \operatorname{count}^{\mathrm{valid}}_{3;2;1}^{\mathrm{valid}})",
     r"^claim: a second superscript on \\operatorname\{count\} at column 71$"),
    (r"\operatorname{divide}(g, \operatorname{count}(3, 2, 1))",
     r"^claim: expected '_' and the kernel;stride;padding of \\operatorname\{count\} at column 46, got '\('$"),
    (r"\operatorname{divide}(g, \operatorname{count}_{3;2;1)", r"^claim: '\)' at column 53 has no matching '\('$"),
    (r"\operatorname{sum\_windows}\left(g\right)",
     r"^claim: expected '_' and the window of \\operatorname\{sum\\_windows\} at column 28, got '\\\\left\('$"),
    (r"\operatorname{sum\_windows}_{0}(g)", r"^claim: sum_windows window at column 29 must be positive$"),
    (r"\operatorname{sum\_windows}_{3, 3}(g)",
     r"^claim: sum_windows window at column 29: one value or one per spatial axis \(1 here\), got 2$"),
    (r"\operatorname{divide}\left(g\right)",
     r"^claim: expected ',' and the divisor of \\operatorname\{divide\} at column 29, got '\\\\right\)'$"),
    (r"\frac{g}", r"^claim: expected '\{' and the divisor of \\frac at column 9, got the end of the claim$"),
    (r"\frac{g}{(1, 2)}", r"^claim: a divisor is one number or size, .* at column 10$"),
    (r"\frac{1}{9} g", r"^claim: expected a tensor \(g, x, h, b\) or an operator at column 7, got the number 1$"),
    (r"\operatorname{count}_{3;2;1}\left(g\right)",
     r"^claim: \\operatorname\{count\} is a divisor: write it as \\operatorname\{divide\}\\left\(T,\\ "
     r"\\operatorname\{count\}_\{K;S;P\}\\right\) at column 1$"),
    (r"\mathit{ggW}", r"^claim: unknown name '\\\\mathit\{ggW\}' at column 1 \(names: g, x, h, b;"),
]


@pytest.mark.parametrize("text, message", MALFORMED)
def test_malformed_latex_is_named_with_its_column(text, message):
    with pytest.raises(ClaimError, match=message) as info:
        parse(text, 1)
    assert "\n" not in str(info.value)


def test_cli_malformed_latex_is_one_line(tmp_path):
    done = _run("verify", *POOL, "--wrt", "x", "--claim",
                r"\operatorname{sum\_windows}_{3}\left(\operatorname{divide}\left(g,\ \operatorname{count}_{3;2}"
                r"\right)\right)", cwd=tmp_path)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.strip() == (r"symconv: error: claim: \operatorname{count} subscript at column 91: expected "
                                   r"kernel;stride;padding (three groups separated by ';'), got 2")


# ------------------------------------------------------------------------------------- the double backward

SECOND_SPECS = [ConvSpec(1, 1, 3, stride=2, padding=1, ndim=1),
                ConvSpec(1, 1, 3, stride=2, padding=1, ndim=1, bias=True),
                ConvSpec(4, 2, (3, 2), stride=(2, 1), padding=(1, 0), dilation=(1, 2), groups=2, bias=True, ndim=2)]


def _second_latex(d, name):
    r"""A result's LaTeX as the order-2 report prints it: ggO's terms joined by +, and \mathit{ggb} with a bias."""
    form = d.closed_forms[name]
    if name != "grad_output":
        return form.to_latex()
    return " + ".join([t.to_latex() for t in form] + ([r"\mathit{ggb}"] if d.spec.bias else []))


@pytest.mark.parametrize("spec", SECOND_SPECS, ids=lambda s: s.describe())
def test_printed_second_order_latex_reads_back_and_is_proved(spec):
    d = derive_second_order(spec)
    ggb = (ops.Tensor("ggb", r"\mathit{ggb}"),) if spec.bias else ()
    for name, wrt in (("grad_input", "x"), ("grad_weight", "h"), ("grad_output", "g")):
        text = _second_latex(d, name)
        assert r"\mathit{gg" in text
        form = parse(text, spec.ndim, SECOND_TENSORS)
        if name == "grad_output":
            assert terms(form) == tuple(d.grad_output) + ggb, text
        else:
            assert form == d.closed_forms[name], text
        assert form.to_latex() == text
        assert prove_second_claim(spec, wrt, text).verdict == "proved", (name, text)


def test_the_order_2_report_prints_what_reads_back(tmp_path):
    r"""The .md of ``derive --order 2``: each result's line ``\mathit{gI} = ...`` reads back, the right-hand side
    after the first ' = '."""
    done = _run("derive", "--order", "2", "--ndim", "1", "--stride", "2", "--bias", "--no-pdf", "--out", "r",
                cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    d = derive_second_order(ConvSpec(2, 2, 3, stride=2, padding=1, ndim=1, bias=True))
    md = next(p for p in (tmp_path / "r").iterdir() if p.suffix == ".md" and not p.stem.endswith("_zh"))
    found = {}
    for line in md.read_text().splitlines():
        m = re.match(r"^\\mathit\{(gI|gW|ggO)\} = (.*)$", line)
        if m:
            found[m.group(1)] = parse(m.group(2), 1, SECOND_TENSORS)
    assert found["gI"] == d.grad_input and found["gW"] == d.grad_weight
    assert terms(found["ggO"]) == tuple(d.grad_output) + (ops.Tensor("ggb", r"\mathit{ggb}"),)


GI_WITHOUT_OUTPUT_PADDING = (r"\operatorname{pad}_{1}\left(\operatorname{dilate}_{2}\left(g\right)\right) \otimes "
                             r"\operatorname{rot180}\left(\operatorname{swap}_{io}\left(\mathit{ggW}\right)\right)")


def test_cli_order_2_latex_claims(tmp_path):
    """verify --order 2 --claim with the LaTeX: PyTorch's gI without its recomputed output padding refuted at
    the README's counterexample; ggO without ggb (a bias) refuted; the printed forms proved."""
    run = lambda *a: _run("verify", "--order", "2", "--ndim", "1", "--stride", "2", *a, cwd=tmp_path)  # noqa: E731
    refuted = run("--claim", GI_WITHOUT_OUTPUT_PADDING, "--wrt", "x")
    assert refuted.returncode == 1, refuted.stderr
    assert "refuted, at C_in = 1, C_out = 1, H = 2, K = 3, P = 1: gI: the formula's result has shape (1, 1, 1) " \
           "but x has (1, 1, 2)" in refuted.stdout
    d = derive_second_order(ConvSpec(2, 2, 3, stride=2, padding=1, ndim=1, bias=True))
    ggo = " + ".join(t.to_latex() for t in d.grad_output)
    proved = run("--bias", "--claim", ggo + r" + \mathit{ggb}", "--wrt", "g")
    assert proved.returncode == 0 and proved.stdout.startswith("ggO = ") and "proved for every" in proved.stdout
    assert run("--bias", "--claim", ggo, "--wrt", "g").returncode == 1
    for wrt, name in (("x", "grad_input"), ("h", "grad_weight")):
        assert run("--claim", d.closed_forms[name].to_latex(), "--wrt", wrt).returncode == 0
    bad = run("--claim", r"\mathit{ggQ} \otimes h", "--wrt", "x")
    assert bad.returncode == 2 and bad.stderr.strip() == (
        r"symconv: error: claim: unknown name '\\mathit{ggQ}' at column 1 (names: g, x, h, ggI, ggW, ggb; "
        r"operators: correlate, batch_correlate, pad, dilate, rot180, swap_io, sum_axes, unfold, fold, "
        r"sum_windows, divide)")
