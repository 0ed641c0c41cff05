"""The transposed convolution (PyTorch's ConvTransposeNd): its backward derived by the engine, proved for every
size, compared with PyTorch autograd on PyTorch's own test configurations, and its mutants refuted."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from symconv import derive
from symconv.derivation.forms import derive_forms, derive_general
from symconv.derivation.numeric import conv, finite_difference_grads
from symconv.derivation.spec import ConvSpec
from symconv.errors import SpecError
from symconv.proof import presburger
from symconv.proof.claims import prove_claim
from symconv.proof.mutants import mutate, mutate_derivation

from conftest import needs_torch, torch_grads
from data.torch_conv_transpose_configs import CONFIGS, ISSUES


def _spec(c) -> ConvSpec:
    return ConvSpec(c.in_channels, c.out_channels, c.kernel_size, stride=c.stride, padding=c.padding,
                    dilation=c.dilation, groups=c.groups, ndim=c.ndim, bias=c.bias, transposed=True,
                    output_padding=c.output_padding)


def _arrays(spec: ConvSpec, input_shape: tuple[int, ...], seed: int = 0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(input_shape)
    h = rng.standard_normal(spec.weight_channels + tuple(spec.kernel_size))
    b = rng.standard_normal(spec.out_channels) if spec.bias else None
    g = rng.standard_normal((input_shape[0], spec.out_channels) + spec.output_size(tuple(input_shape[2:])))
    return x, h, g, b


# ----------------------------------------------------------------------------------- PyTorch's configurations

@needs_torch
@pytest.mark.parametrize("config", CONFIGS + ISSUES, ids=lambda c: c.name)
def test_forward_and_gradients_match_torch_autograd(config):
    import torch
    spec = _spec(config)
    x, h, g, b = _arrays(spec, config.input_shape)
    fn = {1: torch.nn.functional.conv_transpose1d, 2: torch.nn.functional.conv_transpose2d,
          3: torch.nn.functional.conv_transpose3d}[spec.ndim]
    want_y = fn(*(torch.tensor(v) for v in (x, h)), None if b is None else torch.tensor(b), stride=config.stride,
                padding=config.padding, output_padding=config.output_padding, groups=config.groups,
                dilation=config.dilation).numpy()
    np.testing.assert_allclose(conv(x, h, spec, b), want_y, rtol=1e-12, atol=1e-12)
    want = torch_grads(spec, x, h, g, b)
    got = derive_forms(spec).evaluate(x, h, g)
    assert set(got) == set(want)
    for name in want:
        np.testing.assert_allclose(got[name], want[name], rtol=1e-12, atol=1e-12, err_msg=name)


def test_gradients_match_finite_differences():
    spec = _spec(CONFIGS[2])                          # ConvTranspose1d_dilated: stride, padding, R and D
    x, h, g, b = _arrays(spec, (1, 3, 4), seed=3)
    want = finite_difference_grads(spec, x, h, g, b)
    got = derive_forms(spec).evaluate(x, h, g)
    for name in ("grad_input", "grad_weight"):
        np.testing.assert_allclose(got[name], want[name], rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("spec, grad_input, grad_weight", [
    (ConvSpec(3, 4, 3, stride=2, padding=1, ndim=1, transposed=True, output_padding=1),
     "correlate(pad(g, (1, 0)), h, stride=2)", "batch_correlate(pad(g, (1, 0)), x, dilation=2)"),
    (ConvSpec(4, 6, 3, stride=3, padding=1, ndim=1, groups=2, transposed=True, output_padding=1),
     "correlate(pad(g, (1, 0)), h, stride=3, groups=2)", "batch_correlate(pad(g, (1, 0)), x, dilation=3, groups=2)"),
    (ConvSpec(3, 4, 3, stride=(2, 3), padding=1, dilation=2, transposed=True, output_padding=1),
     "correlate(pad(g, (1, 0)), h, stride=(2, 3), dilation=2)",
     "batch_correlate(pad(g, (1, 0)), x, stride=2, dilation=(2, 3))"),
    (ConvSpec(3, 4, 3, stride=3, transposed=True, output_padding=2),
     "correlate(pad(g, (0, -2)), h, stride=3)", "batch_correlate(pad(g, (0, -2)), x, dilation=3)"),
    (ConvSpec(2, 3, (2, 3, 2), dilation=2, ndim=3, transposed=True),
     "correlate(g, h, dilation=2)", "batch_correlate(g, x, stride=2)"),
])
def test_closed_forms(spec, grad_input, grad_weight):
    # The padding of g is (P, P − R): the output padding crops g's end, and no rotation or channel swap
    # appears (the transposed convolution's ∂L/∂x is a convolution).
    d = derive(spec)
    assert (str(d.grad_input), str(d.grad_weight)) == (grad_input, grad_weight)
    assert d.proof.ok and d.general_proof.ok


def test_general_forms_and_every_step():
    general = derive_general(1, False, True, transposed=True)
    assert {k: str(v) for k, v in general.closed.items()} == {
        "grad_input": "correlate(pad(g, (P, D*K - D + H*S - H^o - P - S + 1)), h, stride=S, dilation=D)",
        "grad_weight": "batch_correlate(pad(g, (P, D*K - D + H*S - H^o - P - S + 1)), x, stride=D, dilation=S)",
        "grad_bias": "sum_axes(g, (0, 2))"}
    keys = [s.key for s in general.steps if s.target == "grad_input"]
    # The scatter's delta is taken by reading g at j (no dilation of g is needed, unlike the convolution's).
    assert keys == ["differentiate", "eliminate_deltas", "shift_delta", "bounds_to_padding", "recognise"]
    from symconv.wording import w         # not the convolution's "stride 1": this is taken at any stride
    assert not w("rule.shift_delta", "en").startswith("stride 1") and "步长为 1" not in w("rule.shift_delta", "zh")
    assert general.steps[0].key == "definition_y_transposed"


# --------------------------------------------------------------------------------------- every size (isl)

@pytest.mark.parametrize("ndim, stride, dilation", [
    (1, (1,), (1,)), (1, (2,), (1,)), (1, (3,), (2,)), (1, (2,), (3,)), (2, (2, 1), (1, 2)), (3, (2, 1, 1), (1, 1, 2))])
@pytest.mark.parametrize("grouped", [False, True])
def test_general_forms_proved_for_every_size(ndim, stride, dilation, grouped):
    proof = presburger.prove(ndim, grouped, True, stride, dilation, transposed=True)
    assert proof.ok, [r.detail for r in proof.results]
    assert "R < max(S, D)" in proof.statement


def test_concrete_statement_names_the_output_padding():
    d = derive(_spec(CONFIGS[0]))
    assert d.proof.statement == "for every N, C_in, C_out, H at K = 3, P = 1, R = 1, stride 3, dilation 1"
    assert d.general_proof.statement == ("for every N, C_in, C_out, H, K, P, R < max(S, D) at stride 3, "
                                         "dilation 1")


# ---------------------------------------------------------------------------------------------- mutants

SPEC = ConvSpec(3, 4, 3, stride=2, padding=1, ndim=1, transposed=True, output_padding=1)


@pytest.mark.parametrize("claim, wrt, verdict", [
    ("correlate(pad(g, (1, 0)), h, stride=2)", "x", "proved"),
    ("batch_correlate(pad(g, (1, 0)), x, dilation=2)", "h", "proved"),
    ("correlate(pad(g, (0, 1)), h, stride=2)", "x", "refuted"),              # output padding on the wrong side
    ("correlate(pad(g, (1, 0)), rot180(h), stride=2)", "x", "refuted"),      # a convolution's rotation
    ("correlate(pad(g, (1, 0)), swap_io(h), stride=2)", "x", "refuted"),     # a convolution's channel swap
    ("batch_correlate(pad(g, (0, 1)), x, dilation=2)", "h", "refuted"),
    ("batch_correlate(pad(g, (1, 0)), x)", "h", "refuted"),                  # the stride's dilation missing
])
def test_claims(claim, wrt, verdict):
    assert prove_claim(SPEC, wrt, claim).verdict == verdict


def test_wrong_side_counterexample_is_smallest_and_confirmed_by_torch():
    import_torch = pytest.importorskip("torch")
    result = prove_claim(SPEC, "x", "correlate(pad(g, (0, 1)), h, stride=2)")
    c = result.counterexample
    assert str(c) == ("at C_in = 1, C_out = 1, H = 1, K = 3, P = 1, R = 1: ∂L/∂x[0,0,0] should contain "
                      "g[0,0,0]·h[0,0,1] but the formula gives g[0,0,0]·h[0,0,0] + g[0,0,1]·h[0,0,1]")
    # At those sizes PyTorch's ∂L/∂x differs from the formula's.
    spec = ConvSpec(1, 1, 3, stride=2, padding=1, ndim=1, transposed=True, output_padding=1)
    x, h, g, _ = _arrays(spec, (1, 1, 1), seed=1)
    want = torch_grads(spec, x, h, g)["grad_input"]
    from symconv.proof.grammar import parse
    got = parse("correlate(pad(g, (0, 1)), h, stride=2)", 1).evaluate({"x": x, "h": h, "g": g})
    assert import_torch is not None and not np.allclose(got, want)


@needs_torch
@pytest.mark.parametrize("kind", ["output_padding_wrong_side", "extra_rotation"])
@pytest.mark.parametrize("config", [CONFIGS[0], CONFIGS[3], CONFIGS[5]], ids=lambda c: c.name)
def test_mutants_fail_torch_and_the_prover(config, kind):
    spec = _spec(config)
    d = derive_forms(spec)
    wrong = mutate_derivation(d, kind)
    x, h, g, b = _arrays(spec, config.input_shape)
    want = torch_grads(spec, x, h, g, b)
    got = wrong.evaluate(x, h, g)
    assert not all(got[k].shape == want[k].shape and np.allclose(got[k], want[k]) for k in got)
    forms = {k: mutate(v, kind) for k, v in
             presburger.general_forms(spec.ndim, spec.groups > 1, spec.bias, spec.stride, spec.dilation,
                                      True).items()}
    proof = presburger.prove(spec.ndim, spec.groups > 1, spec.bias, spec.stride, spec.dilation, forms,
                             transposed=True)
    assert not proof.ok and proof.counterexample is not None


@needs_torch
def test_forward_without_rotation_is_not_torchs():
    # y = correlate(pad(dilate(x, S), ...), rot180(swap_io(h))): dropping the rotation breaks it.
    from symconv.derivation.numeric import forward_expr
    spec = _spec(CONFIGS[0])
    x, h, _, b = _arrays(spec, CONFIGS[0].input_shape)
    want = conv(x, h, spec, b)
    wrong = mutate(forward_expr(spec, True), "no_rotation").evaluate({"x": x, "h": h, "b": b})
    assert wrong.shape == want.shape and not np.allclose(wrong, want)


# --------------------------------------------------------------------------------------------- the spec

@pytest.mark.parametrize("kwargs, message", [
    (dict(output_padding=1), r"^output_padding is only for a transposed convolution"),
    (dict(transposed=True, output_padding=1), r"^output_padding must be smaller than the stride or the dilation"),
    (dict(transposed=True, padding="same"), r"^padding of a transposed convolution must be an integer"),
    (dict(transposed=True, padding=5), r"^padding: the transposed convolution's output would be empty"),
])
def test_spec_refuses(kwargs, message):
    with pytest.raises(SpecError, match=message):
        spec = ConvSpec(1, 1, 3, ndim=1, **kwargs)
        spec.output_size((2,))


def test_conv_describe_unchanged():
    assert ConvSpec(2, 2, 3, padding=1).describe() == "2d_k3_s1_p1_d1"
    assert _spec(CONFIGS[0]).describe() == "transposed_1d_k3_s3_p1_op1_d1_bias"


# ------------------------------------------------------------------------------------------------ the CLI

def _run(*args: str, cwd) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "symconv", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=300)


ARGS = ("--op", "conv_transpose", "--ndim", "1", "--stride", "2", "--padding", "1", "--output-padding", "1")


def test_cli_derive_and_prove_back(tmp_path):
    done = _run("derive", *ARGS, "--json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["spec"]["op"] == "conv_transpose" and data["spec"]["output_padding"] == [1]
    assert data["proof"]["ok"] and data["proof"]["general"]["ok"]
    for name, entry in data["closed_forms"].items():
        back = _run("verify", *ARGS, "--claim", entry["form"], "--wrt", entry["wrt"], cwd=tmp_path)
        assert back.returncode == 0, (name, back.stdout, back.stderr)
        assert "proved for every N, C_in, C_out, H at K = 3, P = 1, R = 1, stride 2, dilation 1" in back.stdout


def test_cli_conv_json_names_wrt(tmp_path):
    done = _run("derive", "--ndim", "1", "--bias", "--json", cwd=tmp_path)
    forms = json.loads(done.stdout)["closed_forms"]
    assert {k: v["wrt"] for k, v in forms.items()} == {"grad_input": "x", "grad_weight": "h", "grad_bias": "b"}
    for entry in forms.values():
        back = _run("verify", "--ndim", "1", "--bias", "--claim", entry["form"], "--wrt", entry["wrt"],
                    cwd=tmp_path)
        assert back.returncode == 0, back.stdout


def test_cli_verify_refutes_and_checks(tmp_path):
    done = _run("verify", *ARGS, "--claim", "correlate(pad(g, (0, 1)), h, stride=2)", "--wrt", "x", cwd=tmp_path)
    assert done.returncode == 1
    assert done.stdout.startswith("∂L/∂x = correlate(pad(g, (0, 1)), h, stride=2): refuted, at C_in = 1")
    for method in ("exact", "identity", "torch"):
        if method == "torch":
            pytest.importorskip("torch")
        ok = _run("verify", *ARGS, "--method", method, cwd=tmp_path)
        assert ok.returncode == 0 and ok.stdout.startswith("ok  transposed_1d_k3_s2_p1_op1_d1"), ok.stdout
    wrong = _run("verify", *ARGS, "--mutant", "output_padding_wrong_side", cwd=tmp_path)
    assert wrong.returncode == 1 and wrong.stdout.startswith("FAILED"), wrong.stdout


@pytest.mark.parametrize("args, message", [
    (("derive", "--output-padding", "1"), "symconv: error: --output-padding: only with --op conv_transpose"),
    (("derive", "--op", "conv_transpose", "--output-padding", "1"),
     "symconv: error: output_padding must be smaller than the stride or the dilation, got 1 with stride 1, "
     "dilation 1"),
    (("derive", "--op", "conv_transpose", "--padding", "same"),
     "symconv: error: padding of a transposed convolution must be an integer or one per axis, got 'same'"),
])
def test_cli_bad_input_is_one_line(tmp_path, args, message):
    done = _run(*args, "--no-pdf", cwd=tmp_path)
    assert done.returncode == 2 and done.stderr.strip() == message and "Traceback" not in done.stderr


def test_cli_report_en_zh(tmp_path):
    for lang in ("en", "zh"):
        done = _run("derive", *ARGS, "--no-pdf", "--lang", lang, "--out", "o", cwd=tmp_path)
        assert done.returncode == 0, done.stderr
    md = (tmp_path / "o" / "conv_backward_transposed_1d_k3_s2_p1_op1_d1.md").read_text()
    assert "| operator | conv\\_transpose |" in md and "| output padding $R$ | 1 |" in md
    assert "`correlate(pad(g, (1, 0)), h, stride=2)`" in md
    assert (tmp_path / "o" / "conv_backward_transposed_1d_k3_s2_p1_op1_d1_zh.md").exists()


def test_all_sizes_sweep_names_every_operator(capsys):
    from symconv.cli import main
    assert main(["verify", "--sweep", "--all-sizes", "--sweep-ndim", "1"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("154 of 154 families proved for every size")
    assert out[1:8] == ["  conv: 36 of 36", "  conv_transpose: 36 of 36", "  slice: 3 of 3", "  pad: 1 of 1",
                        "  unfold: 9 of 9", "  fold: 9 of 9", "  avg_pool: 60 of 60"]
    assert main(["verify", "--sweep", "--all-sizes", "--sweep-ndim", "1", "--mutant", "extra_rotation"]) == 1
    out = capsys.readouterr().out
    assert "  conv_transpose: 0 of 36" in out and "FAILED conv_transpose 1d" in out
