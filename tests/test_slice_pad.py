"""Strided slicing and constant padding: ∂L/∂x derived by the engine (pad(dilate(g, S), ...) and a crop),
compared with PyTorch autograd (float64)."""

from __future__ import annotations

import numpy as np
import pytest

from symconv.derivation.forms import derive_unary_forms, derive_unary_general
from symconv.derivation.spec import PadSpec, SliceSpec
from symconv.errors import SpecError

from conftest import needs_torch
from data.torch_slice_pad_configs import PADS, SLICES


def _torch_grad(spec, x, g):
    import torch
    tx = torch.tensor(x, requires_grad=True)
    if spec.op == "slice":
        y = tx[(slice(None), slice(None)) + tuple(slice(a, b, s) for a, b, s in zip(spec.start, spec.stop,
                                                                                    spec.step))]
    else:
        y = torch.nn.functional.pad(tx, [w for pair in reversed(spec.pads) for w in pair])
    assert tuple(y.shape) == g.shape
    (y * torch.tensor(g)).sum().backward()
    return tx.grad.numpy()


CASES = [(f"{src}{list(pads)}", PadSpec(len(shape) - 2, pads), shape) for src, shape, pads in PADS] + [
    (f"{src}[{a}:{b}:{s}]", SliceSpec(len(shape) - 2, start=a, stop=b, step=s), shape)
    for src, shape, a, b, s in SLICES]


@needs_torch
@pytest.mark.parametrize("name, spec, shape", CASES, ids=[c[0] for c in CASES])
def test_matches_torch_autograd(name, spec, shape):
    rng = np.random.default_rng(1)
    x = rng.standard_normal(shape)
    g = rng.standard_normal(shape[:2] + spec.output_size(shape[2:]))
    got = derive_unary_forms(spec).evaluate(x, g)["grad_input"]
    np.testing.assert_array_equal(got, _torch_grad(spec, x, g))


@pytest.mark.parametrize("spec, form", [
    (SliceSpec(1, start=1, step=2), "pad(dilate(g, 2), (1, H mod 2))"),
    (SliceSpec(1, start=3, stop=10, step=4), "pad(dilate(g, 4), (3, H - 8))"),
    (SliceSpec(2, start=(0, 2), stop=(5, None), step=(3, 2)),
     "pad(dilate(g, (3, 2)), ((0, H_1 - 4), (2, (H_2 + 1) mod 2)))"),
    (PadSpec(2, ((3, 4), (1, 2))), "pad(g, ((-3, -4), (-1, -2)))"),
    (PadSpec(1, 2), "pad(g, -2)"),
])
def test_closed_forms(spec, form):
    # Slicing's backward is pad(dilate(g, S)) (the step's zeros, the start before, the remainder after);
    # padding's is a crop.
    assert str(derive_unary_forms(spec).grad_input) == form


def test_general_forms_and_steps():
    s = derive_unary_general("slice", 1)
    assert str(s.closed["grad_input"]) == "pad(dilate(g, S), (P, H - H^o*S - P + S - 1))"
    assert [st.key for st in s.steps] == ["definition_y_slice", "definition_L", "differentiate", "eliminate_deltas",
                                          "absorb_stride", "offset_to_padding", "recognise"]
    p = derive_unary_general("pad", 1)
    assert str(p.closed["grad_input"]) == "pad(g, (-P, H - H^o + P))"
    # padding has no stride: the sum over the output is read off its delta (worded without "stride 1")
    assert [st.key for st in p.steps][-3:] == ["read_off_delta", "offset_to_padding", "recognise"]


def test_exact_evaluation():
    import sympy as sp
    spec = SliceSpec(1, start=1, step=2)
    x = np.array([[[sp.Integer(v) for v in range(7)]]], dtype=object)
    g = np.array([[[sp.Rational(1, 3), sp.Integer(2), sp.Integer(-1)]]], dtype=object)
    got = derive_unary_forms(spec).evaluate(x, g)["grad_input"]
    assert got.tolist() == [[[0, sp.Rational(1, 3), 0, 2, 0, -1, 0]]]


@pytest.mark.parametrize("make, message", [
    (lambda: SliceSpec(1, start=3, stop=2), r"^stop must be larger than start"),
    (lambda: SliceSpec(1, step=0), r"^step must be a positive integer"),
    (lambda: SliceSpec(1, start=-1), r"^start must be a non-negative integer"),
    (lambda: SliceSpec(1, stop=9).output_size((5,)), r"^stop: the input \(5\) is shorter than stop \(9\)"),
    (lambda: PadSpec(1, ((1, -1),)), r"^pads must be a non-negative integer"),
])
def test_specs_refuse(make, message):
    with pytest.raises(SpecError, match=message):
        make()


# ---------------------------------------------------------------------------------- every size (isl)

from symconv.proof import presburger  # noqa: E402
from symconv.proof.attach import derive_unary  # noqa: E402
from symconv.proof.claims import prove_unary_claim  # noqa: E402


@pytest.mark.parametrize("op, ndim, step", [("slice", 1, (1,)), ("slice", 1, (3,)), ("slice", 2, (2, 3)),
                                            ("pad", 1, None), ("pad", 3, None)])
def test_general_forms_proved_for_every_size(op, ndim, step):
    proof = presburger.prove_unary(op, ndim, step)
    assert proof.ok, proof.results[0].detail


def test_derive_states_what_was_proved():
    d = derive_unary(SliceSpec(1, start=3, stop=10, step=4))
    assert d.proof.statement == "for every N, C and every H ≥ 10 at start = 3, stop = 10, step = 4"
    assert d.general_proof.statement == "for every N, C, H, start and output length at step 4"
    assert derive_unary(PadSpec(2, ((3, 4), (1, 2)))).proof.statement == \
        "for every N, C, H, W at P = ((3, 4), (1, 2))"


@pytest.mark.parametrize("spec, claim, verdict, words", [
    (SliceSpec(1, start=1, step=2), "pad(dilate(g, 2), (1, H mod 2))", "proved", ""),
    # the remainder left out: the gradient's length is wrong wherever H is even
    (SliceSpec(1, start=1, step=2), "pad(dilate(g, 2), 1)", "refuted",
     "at C = 1, H = 2, start = 1, step = 2, H^o = 1: ∂L/∂x: the formula's result has shape (1, 1, 3) but x has "
     "(1, 1, 2)"),
    # the start put after the entries instead of before them
    (SliceSpec(1, start=1, step=2), "pad(dilate(g, 2), (0, (H + 1) mod 2))", "refuted",
     "at C = 1, H = 2, start = 1, step = 2, H^o = 1: ∂L/∂x[0,0,1] should contain g[0,0,0] but the formula gives 0"),
    (PadSpec(2, ((3, 4), (1, 2))), "pad(g, ((-3, -4), (-1, -2)))", "proved", ""),
    # the crop's two sides exchanged
    (PadSpec(2, ((3, 4), (1, 2))), "pad(g, ((-4, -3), (-1, -2)))", "refuted",
     "at C = 1, H = 1, W = 1, P = ((3, 4), (1, 2)): ∂L/∂x[0,0,0,0] should contain g[0,0,3,1] but the formula "
     "gives g[0,0,4,1]"),
])
def test_claims(spec, claim, verdict, words):
    result = prove_unary_claim(spec, claim)
    assert result.verdict == verdict
    assert str(result.counterexample or "") == words


@needs_torch
def test_refutation_confirmed_by_torch():
    # At the counterexample (H = 2, start 1, step 2) PyTorch's gradient has 2 entries, the formula 3.
    spec = SliceSpec(1, start=1, step=2)
    x, g = np.ones((1, 1, 2)), np.ones((1, 1, 1))
    assert _torch_grad(spec, x, g).shape == (1, 1, 2)
    assert parse("pad(dilate(g, 2), 1)", 1).evaluate({"g": g}).shape == (1, 1, 3)


from symconv.proof.grammar import parse  # noqa: E402


def _run(*args, cwd):
    import subprocess
    import sys
    return subprocess.run([sys.executable, "-m", "symconv", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=300)


def test_cli(tmp_path):
    import json
    done = _run("derive", "--op", "slice", "--ndim", "1", "--start", "1", "--step", "2", "--json", cwd=tmp_path)
    data = json.loads(done.stdout)
    entry = data["closed_forms"]["grad_input"]
    assert entry == {"form": "pad(dilate(g, 2), (1, H mod 2))", "latex": entry["latex"], "wrt": "x"}
    back = _run("verify", "--op", "slice", "--ndim", "1", "--start", "1", "--step", "2", "--claim", entry["form"],
                "--wrt", entry["wrt"], cwd=tmp_path)
    assert back.returncode == 0 and "proved for every N, C and every H ≥ 2" in back.stdout
    done = _run("derive", "--op", "pad", "--ndim", "2", "--padding", "3,1", "--padding-high", "4,2", "--no-pdf",
                cwd=tmp_path)
    assert done.stdout.splitlines()[0] == "dL/dx = pad(g, ((-3, -4), (-1, -2)))"
    for args, message in ((("derive", "--start", "1"), "symconv: error: --start: only with --op slice"),
                          (("derive", "--op", "slice", "--padding-high", "1"),
                           "symconv: error: --padding-high: only with --op pad"),
                          (("verify", "--op", "pad", "--claim", "g", "--wrt", "h"),
                           "symconv: error: --wrt h: pad has one input, x")):
        bad = _run(*args, cwd=tmp_path)
        assert bad.returncode == 2 and bad.stderr.strip() == message


def test_cli_reports_en_zh(tmp_path):
    for lang in ("en", "zh"):
        done = _run("derive", "--op", "slice", "--ndim", "1", "--start", "1", "--step", "2", "--no-pdf", "--lang", lang,
                    "--out", "o", cwd=tmp_path)
        assert done.returncode == 0, done.stderr
    md = (tmp_path / "o" / "slice_backward_1d_a1_bend_s2.md").read_text()
    assert "| (start, stop, step) per axis | \\(1, end, 2\\) |" in md
    assert "`pad(dilate(g, 2), (1, H mod 2))`" in md and "offset" in md
    assert (tmp_path / "o" / "slice_backward_1d_a1_bend_s2_zh.md").exists()
