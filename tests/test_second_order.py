"""The double backward of convolution (derive --order 2): gI, gW and ggO derived by the engine from L₂ (the
first-order derivatives' index sums contracted with ggI, ggW, ggb), compared with PyTorch's own double
backward (autograd through its first-order gradients, float64) at the configurations of PyTorch's
gradgradcheck tests, with a gradgradcheck-style finite difference of symconv's first-order forms and with the
bilinearity identity (the first-order forms renamed), proved for every size, and PyTorch's
_convolution_double_backward formulas stated as claims."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys

import numpy as np
import pytest

from symconv.derivation import ops
from symconv.derivation.forms import derive_forms, renamed
from symconv.derivation.second import derive_second_general, derive_second_order
from symconv.derivation.numeric import central_difference
from symconv.derivation.spec import ConvSpec
from symconv.proof.attach import prove_second_order
from symconv.proof.claims import prove_claim, prove_second_claim

from conftest import needs_torch
from data.torch_double_backward_configs import CONV2D, SAME_3D

SPECS = [(f"{src}[k{k}_n{n}_s{s}_p{p}_d{d}_g{g}]", ConvSpec(cin, cout, k, stride=s, padding=p, dilation=d,
                                                           groups=g, bias=True), (b, cin, n, n))
         for src, b, cin, cout, k, n, s, p, d, g in CONV2D] + [
    (f"{src}[w{'x'.join(map(str, w))}_d{d}]", ConvSpec(w[1], w[0], w[2:], padding=p, dilation=d, ndim=3), x)
    for src, x, w, p, d in SAME_3D]


def _arrays(spec, shape, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape)
    h = rng.standard_normal((spec.out_channels, spec.in_channels // spec.groups) + tuple(spec.kernel_size))
    out = (shape[0], spec.out_channels) + spec.output_size(shape[2:])
    g = rng.standard_normal(out)
    ggI, ggW = rng.standard_normal(x.shape), rng.standard_normal(h.shape)
    ggb = rng.standard_normal(spec.out_channels) if spec.bias else None
    return x, h, g, ggI, ggW, ggb


def _torch_double_backward(spec, x, h, g, ggI, ggW, ggb):
    import torch
    conv = {2: torch.nn.functional.conv2d, 3: torch.nn.functional.conv3d}[spec.ndim]
    tx, th, tg = (torch.tensor(v, requires_grad=True) for v in (x, h, g))
    tb = torch.zeros(spec.out_channels, dtype=torch.float64, requires_grad=True) if spec.bias else None
    y = conv(tx, th, tb, stride=spec.stride, padding=spec.padding, dilation=spec.dilation, groups=spec.groups)
    firsts = torch.autograd.grad(y, [tx, th] + ([tb] if tb is not None else []), tg, create_graph=True)
    L2 = (firsts[0] * torch.tensor(ggI)).sum() + (firsts[1] * torch.tensor(ggW)).sum()
    if tb is not None:
        L2 = L2 + (firsts[2] * torch.tensor(ggb)).sum()
    gI, gW, ggO = torch.autograd.grad(L2, [tx, th, tg], allow_unused=True)
    return {"grad_input": gI.numpy(), "grad_weight": gW.numpy(), "grad_output": ggO.numpy()}


@needs_torch
@pytest.mark.parametrize("name, spec, shape", SPECS, ids=[s[0] for s in SPECS])
def test_matches_torch_double_backward(name, spec, shape):
    arrays = _arrays(spec, shape)
    want = _torch_double_backward(spec, *arrays)
    got = derive_second_order(spec).evaluate(*arrays)
    for key in want:
        np.testing.assert_allclose(got[key], want[key], rtol=1e-10, atol=1e-10, err_msg=key)


@pytest.mark.parametrize("name, spec, shape", SPECS[:3] + SPECS[-3:], ids=[s[0] for s in SPECS[:3] + SPECS[-3:]])
def test_gradgradcheck_style_finite_differences(name, spec, shape):
    # L2 = <ggI, dL/dx(g, h)> + <ggW, dL/dh(x, g)> from symconv's first-order forms, differentiated numerically.
    x, h, g, ggI, ggW, _ = _arrays(spec, shape, seed=2)
    first = derive_forms(spec)

    def L2(x_, h_, g_):
        grads = first.evaluate(x_, h_, g_)
        return float((grads["grad_input"] * ggI).sum() + (grads["grad_weight"] * ggW).sum())
    got = derive_second_order(spec).evaluate(x, h, g, ggI, ggW)
    for key, fn, at in (("grad_input", lambda v: L2(v, h, g), x), ("grad_weight", lambda v: L2(x, v, g), h),
                        ("grad_output", lambda v: L2(x, h, v), g)):
        np.testing.assert_allclose(got[key], central_difference(fn, at), rtol=1e-6, atol=1e-6, err_msg=key)


@pytest.mark.parametrize("spec", [ConvSpec(1, 1, 3, stride=2, padding=1, ndim=1),
                                  ConvSpec(4, 8, 3, padding=2, groups=2),
                                  ConvSpec(1, 1, (1, 2, 5), padding="same", dilation=2, ndim=3)])
def test_proved_for_every_size(spec):
    proofs = prove_second_order(derive_second_order(spec))
    assert set(proofs) == {"grad_input", "grad_weight", "grad_output[0]", "grad_output[1]"}
    assert all(p.ok for p in proofs.values()), {k: p.results[0].detail for k, p in proofs.items()}


SPEC = ConvSpec(1, 1, 3, stride=2, padding=1, ndim=1)


@pytest.mark.parametrize("wrt, claim, verdict, words", [
    # gI = conv_transpose(gO, ggW, stride, padding, output_padding = (H + 2P − D(K − 1) − 1) mod S): in the
    # vocabulary pad(dilate(gO, S), (D(K−1) − P, D(K−1) − P + R)) ⊗ rot180(swap_io(ggW)); ggW read as h.
    ("x", "correlate(pad(dilate(g, 2), (1, 1 + ((H + 1) mod 2))), rot180(swap_io(h)))", "proved", ""),
    # ... without its recomputed output padding
    ("x", "correlate(pad(dilate(g, 2), 1), rot180(swap_io(h)))", "refuted",
     "at C_in = 1, C_out = 1, H = 2, K = 3, P = 1: ∂L/∂x: the formula's result has shape (1, 1, 1) but x has "
     "(1, 1, 2)"),
    # gW = ggI (batch and channels exchanged) correlated with gO, stride and dilation exchanged, ggI read as x:
    # without the narrowing to the kernel size it is one entry too long at even H
    ("h", "swap_io(correlate(pad(swap_io(x), 1), swap_io(g), dilation=2))", "refuted",
     "at C_in = 1, C_out = 1, H = 2, K = 3, P = 1: ∂L/∂h: the formula's result has shape (1, 1, 4) but h has "
     "(1, 1, 3)"),
    # narrowed (the padding after cut by the same remainder), it holds
    ("h", "swap_io(correlate(pad(swap_io(x), (1, 1 - ((H + 1) mod 2))), swap_io(g), dilation=2))", "proved", ""),
])
def test_pytorch_formulas_as_claims(wrt, claim, verdict, words):
    result = prove_claim(SPEC, wrt, claim)
    assert result.verdict == verdict
    assert str(result.counterexample or "") == words


def test_ggO_is_two_forward_passes_refuted_when_rotated():
    from symconv.proof import presburger
    from symconv.proof.grammar import parse
    wrong = parse("correlate(pad(x, 1), rot180(h), stride=2)", 1)
    proof = presburger.prove(1, False, False, (2,), (1,), {"grad_output": wrong},
                             presburger.Fixed((3,), ((1, 1),)), ["grad_output"])
    assert str(proof.counterexample) == ("at C_in = 1, C_out = 1, H = 2, K = 3, P = 1: ∂L/∂g[0,0,0] should "
                                         "contain x[0,0,1]·h[0,0,2] but the formula gives x[0,0,0]·h[0,0,1] + "
                                         "x[0,0,1]·h[0,0,0]")


def test_cli(tmp_path):
    run = lambda *a: subprocess.run([sys.executable, "-m", "symconv", *a], cwd=tmp_path, capture_output=True,  # noqa
                                    text=True, timeout=300)
    done = run("derive", "--order", "2", "--ndim", "1", "--stride", "2", "--bias", "--no-pdf", "--out", "r")
    assert done.returncode == 0, done.stderr
    # the report is written beside the printed forms (it was none before)
    assert {p.name for p in (tmp_path / "r").iterdir()} == {"conv_double_backward_1d_k3_s2_p1_d1_bias.tex",
                                                            "conv_double_backward_1d_k3_s2_p1_d1_bias.md"}
    # ggO's forward passes as the engine reads them: padded only as far as a window reaches (the last
    # (H + 1) mod 2 entries of PyTorch's padding are never read at stride 2)
    assert done.stdout.splitlines()[:3] == [
        "gI = correlate(pad(dilate(g, 2), (1, ((H + 1) mod 2) + 1)), rot180(swap_io(ggW)))",
        "gW = batch_correlate(pad(ggI, (1, 1 - ((H + 1) mod 2))), g, dilation=2)",
        "ggO = correlate(pad(ggI, (1, 1 - ((H + 1) mod 2))), h, stride=2) + "
        "correlate(pad(x, (1, 1 - ((H + 1) mod 2))), ggW, stride=2) + ggb"]
    data = json.loads(run("derive", "--order", "2", "--ndim", "1", "--json", "--no-pdf", "--out", "o").stdout)
    assert data["order"] == 2 and all(p["ok"] for p in data["proof"].values())
    # each entry carries its printed form and the --wrt under which verify --order 2 --claim proves it back
    assert {k: (v["name"], v["wrt"]) for k, v in data["closed_forms"].items()} == {
        "grad_input": ("gI", "x"), "grad_weight": ("gW", "h"), "grad_output": ("ggO", "g")}
    assert data["closed_forms"]["grad_weight"]["form"] == "batch_correlate(pad(ggI, 1), g)"
    bad = run("derive", "--order", "2", "--op", "pad")
    assert bad.returncode == 2 and bad.stderr.strip() == "symconv: error: --order 2: only with --op conv"


@needs_torch
@pytest.mark.parametrize("kind", ["no_rotation", "no_swap", "pad_off_by_one"])
def test_mutants_fail(kind):
    from symconv.proof.mutants import mutate
    name, spec, shape = SPECS[4]                   # the grouped configuration: every mutant changes it
    d = derive_second_order(spec)
    wrong = dataclasses.replace(d, grad_input=mutate(d.grad_input, kind))
    arrays = _arrays(spec, shape)
    want = _torch_double_backward(spec, *arrays)["grad_input"]
    try:
        got = wrong.evaluate(*arrays)["grad_input"]
    except ValueError:                   # its channel counts no longer fit: it cannot even be evaluated
        return
    assert got.shape != want.shape or not np.allclose(got, want)


# ----------------------------------------------------------------------- derived by the engine, step by step

def _by_linearity(spec):
    """The bilinearity identity (the previous source of the double backward, now a cross-check): gI is the
    first-order ∂L/∂x with h read as ggW, gW the first-order ∂L/∂h with x read as ggI, ggO the forward passes
    of (ggI, h) and (x, ggW)."""
    first = derive_forms(spec)
    forward = ops.Correlate(ops.pad(ops.Tensor("x"), spec.pads), ops.Tensor("h"), tuple(spec.stride),
                            tuple(spec.dilation), spec.groups)
    return (renamed(first.grad_input, {"h": "ggW"}), renamed(first.grad_weight, {"x": "ggI"}),
            (renamed(forward, {"x": "ggI"}), renamed(forward, {"h": "ggW"})))


@pytest.mark.parametrize("name, spec, shape", SPECS, ids=[s[0] for s in SPECS])
def test_engine_agrees_with_the_bilinearity_identity(name, spec, shape):
    d = derive_second_order(spec)
    gI, gW, ggO = _by_linearity(spec)
    # gI and gW: the same closed forms, word for word
    assert (str(d.grad_input), str(d.grad_weight)) == (str(gI), str(gW))
    # ggO: the same values, exactly (the engine pads only as far as a window reaches)
    x, h, g, ggI, ggW = (np.vectorize(int, otypes=[object])(np.rint(3 * a)) for a in _arrays(spec, shape)[:5])
    env = {"x": x, "h": h, "g": g, "ggI": ggI, "ggW": ggW}
    sizes = d.first.sizes(x, g)
    want = sum(t.evaluate(env, sizes) for t in ggO)
    got = d.evaluate(x, h, g, ggI, ggW)["grad_output"]
    assert got.shape == want.shape and (got == want).all()


def test_steps_are_recorded_per_result():
    general = derive_second_general(1, False, True)
    keys = [(s.target, s.key) for s in general.steps]
    # L₂ is stated from the first-order derivatives as SymPy gave them, then each result is derived
    assert keys[:6] == [("definition", "definition_y"), ("definition", "definition_L"),
                        ("definition", "first_order"), ("definition", "first_order"),
                        ("definition", "first_order"), ("definition", "definition_L2")]
    by = {t: [k for tt, k in keys if tt == t] for t in ("grad_input", "grad_weight", "grad_output")}
    assert by["grad_input"] == ["differentiate_L2", "eliminate_deltas", "absorb_stride", "swap_channels",
                                "reverse_kernel_index", "rotate_kernel", "bounds_to_padding", "recognise"]
    assert by["grad_weight"] == ["differentiate_L2", "eliminate_deltas", "read_off_delta", "bounds_to_padding",
                                 "recognise"]
    # ggO: three parts, each rewritten on its own: conv(ggI, h), conv(x, ggW), ggb
    assert by["grad_output"].count("part") == 3 and by["grad_output"][-1] == "recognise_bias"
    assert by["grad_output"].count("recognise") == 2
    # every equation is the derivative of L₂
    assert all("L_2" in s.latex or s.latex.startswith("T^{(") for s in general.steps if s.target != "definition")


def test_a_step_that_does_not_hold_is_caught(monkeypatch):
    # The rules are checked when taken in the double backward too: a rotation that forgets to reverse the index
    from symconv.derivation import engine
    from symconv.errors import DerivationError
    real = engine.rotate_kernel

    def rotate_kernel(term, ctx):
        found = real(term, ctx)
        if found is None:
            return None
        arg, new = found
        flipped = engine.Term(tuple(engine.Factor(f.tensor, tuple(-e for e in f.index)) if f.tensor.endswith("_rot")
                                    else f for f in new.factors), new.deltas, new.limits)
        return arg, flipped
    monkeypatch.setattr(engine, "RULES", tuple(rotate_kernel if r is real else r for r in engine.RULES))
    import symconv.derivation.forms as forms
    monkeypatch.setattr(forms, "RULES", engine.RULES)
    monkeypatch.setenv("SYMCONV_CACHE", "0")
    derive_second_general.cache_clear()
    try:
        with pytest.raises(DerivationError, match=r"^step 'rotate_kernel' of grad_input failed its check"):
            derive_second_general(1, False, False, seed=7)
    finally:
        derive_second_general.cache_clear()


def _mutant(expr, kind):
    """gI without its rotation; gW without the stride/dilation exchange (the forward's stride kept as the
    weight gradient's stride, its dilation as its dilation)."""
    def walk(e):
        if kind == "no_rotation" and isinstance(e, ops.Rot180):
            return walk(e.arg)
        if kind == "no_exchange" and isinstance(e, ops.BatchCorrelate):
            return ops.BatchCorrelate(walk(e.data), walk(e.kernel), e.dilation, e.stride, e.groups)
        if isinstance(e, ops.Tensor):
            return e
        return dataclasses.replace(e, **{f.name: walk(getattr(e, f.name)) for f in dataclasses.fields(e)
                                         if isinstance(getattr(e, f.name), ops.Expr)})
    return walk(expr)


# PyTorch's strided gradgradcheck configurations, each mutant where it changes the form (the exchange is no
# change where stride and dilation are equal)
MUTANT_CASES = [(target, kind) + s for s in SPECS if "stride" in s[0]
                for target, kind in (("grad_input", "no_rotation"), ("grad_weight", "no_exchange"))
                if kind == "no_rotation" or s[1].stride != s[1].dilation]


@needs_torch
@pytest.mark.parametrize("target, kind, name, spec, shape", MUTANT_CASES,
                         ids=[f"{c[1]}-{c[2]}" for c in MUTANT_CASES])
def test_engine_mutants_fail_against_torch(target, kind, name, spec, shape):
    d = derive_second_order(spec)
    wrong = dataclasses.replace(d, **{target: _mutant(getattr(d, target), kind)})
    assert str(getattr(wrong, target)) != str(getattr(d, target))
    arrays = _arrays(spec, shape, seed=3)
    want = _torch_double_backward(spec, *arrays)[target]
    try:
        got = wrong.evaluate(*arrays)[target]
    except ValueError:                   # the window no longer fits: it cannot even be evaluated
        return
    assert got.shape != want.shape or not np.allclose(got, want)


# ------------------------------------------------------------- verify --order 2 --claim: PyTorch's formulas

# _convolution_double_backward at SPEC (1-D, K = 3, stride 2, padding 1), written with its own names:
# gI = conv_transpose(gO, ggW, stride, padding, output_padding = (H + 2P − D(K − 1) − 1) mod S), in symconv's
# vocabulary pad(dilate(gO, S), (D(K−1) − P, D(K−1) − P + R)) ⊗ rot180(swap_io(ggW));
# gW = the weight gradient of (ggI, gO): ggI (batch and channels exchanged) correlated with gO, the stride
# and dilation exchanged, narrowed to the kernel size; ggO = conv(ggI, w) + conv(x, ggW) (+ ggb).
GI = "correlate(pad(dilate(g, 2), (1, 1 + ((H + 1) mod 2))), rot180(swap_io(ggW)))"
GW = "swap_io(correlate(pad(swap_io(ggI), (1, 1 - ((H + 1) mod 2))), swap_io(g), dilation=2))"
GGO = "correlate(pad(ggI, 1), h, stride=2) + correlate(pad(x, 1), ggW, stride=2)"


@pytest.mark.parametrize("wrt, claim, verdict, words", [
    ("x", GI, "proved", ""),
    # the output padding dropped
    ("x", "correlate(pad(dilate(g, 2), 1), rot180(swap_io(ggW)))", "refuted",
     "at C_in = 1, C_out = 1, H = 2, K = 3, P = 1: gI: the formula's result has shape (1, 1, 1) but x has (1, 1, 2)"),
    # the rotation dropped
    ("x", "correlate(pad(dilate(g, 2), (1, 1 + ((H + 1) mod 2))), swap_io(ggW))", "refuted",
     "at C_in = 1, C_out = 1, H = 2, K = 3, P = 1: gI[0,0,1] should contain g[0,0,0]·ggW[0,0,2] but the formula "
     "gives g[0,0,0]·ggW[0,0,0]"),
    ("h", GW, "proved", ""),
    # stride and dilation not exchanged: the forward's stride kept as the weight gradient's stride
    ("h", GW.replace("dilation=2", "stride=2"), "refuted",
     "at C_in = 1, C_out = 1, H = 1, K = 3, P = 1: gW: the formula's result has shape (1, 1, 2) but h has "
     "(1, 1, 3)"),
    ("g", GGO, "proved", ""),
    # one forward pass forgotten
    ("g", "correlate(pad(ggI, 1), h, stride=2)", "refuted",
     "at C_in = 1, C_out = 1, H = 1, K = 3, P = 1: ggO[0,0,0] should contain x[0,0,0]·ggW[0,0,1] but the "
     "formula gives 0"),
    ("g", GGO.replace("h, stride", "rot180(h), stride"), "refuted",
     "at C_in = 1, C_out = 1, H = 2, K = 3, P = 1: ggO[0,0,0] should contain ggI[0,0,1]·h[0,0,2] but the "
     "formula gives ggI[0,0,0]·h[0,0,1] + ggI[0,0,1]·h[0,0,0]"),
])
def test_second_order_claims(wrt, claim, verdict, words):
    result = prove_second_claim(SPEC, wrt, claim)
    assert (result.verdict, str(result.counterexample or "")) == (verdict, words)


def test_ggb_is_required_with_a_bias():
    spec = ConvSpec(1, 1, 3, stride=2, padding=1, ndim=1, bias=True)
    assert prove_second_claim(spec, "g", GGO + " + ggb").verdict == "proved"
    result = prove_second_claim(spec, "g", GGO)
    assert result.verdict == "refuted" and str(result.counterexample) == (
        "at C_in = 1, C_out = 1, H = 1, K = 3, P = 1: ggO: no term adds ggb, but the convolution has a bias: "
        "ggO[0,0,0] holds ggb[0]")


@needs_torch
def test_refuted_rotation_confirmed_by_torch():
    # The counterexample's sizes and entry: gI[0,0,1] holds g[0,0,0]·ggW[0,0,2]; PyTorch's double backward
    # with those one-hot tensors gives 1 there, the unrotated claim 0.
    import torch
    x, h = np.zeros((1, 1, 2)), np.zeros((1, 1, 3))
    g, ggW, ggI = np.zeros((1, 1, 1)), np.zeros((1, 1, 3)), np.zeros((1, 1, 2))
    g[0, 0, 0], ggW[0, 0, 2] = 1.0, 1.0
    tx, th, tg = (torch.tensor(v, requires_grad=True) for v in (x, h, g))
    y = torch.nn.functional.conv1d(tx, th, stride=2, padding=1)
    dx, dh = torch.autograd.grad(y, [tx, th], tg, create_graph=True)
    gI = torch.autograd.grad((dx * torch.tensor(ggI)).sum() + (dh * torch.tensor(ggW)).sum(), tx,
                             allow_unused=True)[0].detach().numpy()
    from symconv.proof.grammar import parse
    wrong = parse("correlate(pad(dilate(g, 2), (1, 1 + ((H + 1) mod 2))), swap_io(ggW))", 1,
                  ("g", "x", "h", "ggI", "ggW", "ggb"))
    d = derive_second_order(SPEC)
    got = wrong.evaluate({"g": g, "ggW": ggW}, d.first.sizes(x, g))
    assert gI[0, 0, 1] == 1.0 and got[0, 0, 1] == 0.0


def test_verify_order_2_cli(tmp_path):
    run = lambda *a: subprocess.run([sys.executable, "-m", "symconv", "verify", "--order", "2", "--ndim", "1",  # noqa
                                     "--stride", "2", *a], cwd=tmp_path, capture_output=True, text=True,
                                    timeout=300)
    done = run("--claim", GI, "--wrt", "x")
    assert done.returncode == 0 and done.stdout.startswith("gI = ") and "proved for every" in done.stdout
    done = run("--claim", GW.replace("dilation=2", "stride=2"), "--wrt", "h", "--json")
    data = json.loads(done.stdout)
    assert done.returncode == 1 and data["verdict"] == "refuted" and data["wrt"] == "h"
    assert json.loads(run("--claim", GGO, "--wrt", "g", "--json").stdout)["verdict"] == "proved"
    # one line, exit 2: a claim reading the wrong tensors, ggb without a bias, --wrt g at the first order
    for args, words in [(("--claim", "correlate(pad(g, 1), rot180(swap_io(h)))", "--wrt", "x"),
                         "symconv: error: claim: the formula reads h; gI is made of g and ggW"),
                        (("--claim", GGO + " + ggb", "--wrt", "g"),
                         "symconv: error: claim: ggb: add it once, as it is (ggO holds ggb on every entry of its "
                         "channel), and only when the convolution has a bias"),
                        (("--claim", GI, "--wrt", "b"), "symconv: error: --wrt b: the double backward's results are "
                         "gI (--wrt x), gW (--wrt h) and ggO (--wrt g)")]:
        bad = run(*args)
        assert (bad.returncode, bad.stderr.strip()) == (2, words)
    first = subprocess.run([sys.executable, "-m", "symconv", "verify", "--ndim", "1", "--claim", "g", "--wrt", "g"],
                           cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert (first.returncode, first.stderr.strip()) == (
        2, "symconv: error: --wrt g: only with --order 2 (ggO of the double backward)")
