"""Average pooling: ∂L/∂x derived by the engine (sum_windows of pad(dilate(divide(g, d), S))), compared with
PyTorch autograd (float64), exact evaluation, the divisor's readings and the spec's refusals."""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy as sp

from symconv.derivation.pooling import (Divide, Divisor, SumWindows, derive_pool_forms, derive_pool_general,
                                        divisor_of)
from symconv.derivation.spec import AvgPoolSpec, pool_output_length
from symconv.derivation import ops
from symconv.errors import SpecError

from conftest import needs_torch


def torch_pool_grad(spec: AvgPoolSpec, x: np.ndarray, g: np.ndarray) -> np.ndarray:
    """∂(Σ g·avg_pool(x))/∂x by PyTorch autograd in float64 (1-D through avg_pool2d, which alone takes
    divisor_override, as PyTorch's own avg_pool1d is built)."""
    import torch
    tx = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    kw = dict(ceil_mode=spec.ceil_mode, count_include_pad=spec.count_include_pad,
              divisor_override=spec.divisor_override)
    if spec.ndim == 1:
        y = torch.nn.functional.avg_pool2d(tx.unsqueeze(2), (1,) + spec.kernel_size, (1,) + spec.stride,
                                           (0,) + spec.padding, **kw).squeeze(2)
    else:
        f = torch.nn.functional.avg_pool2d if spec.ndim == 2 else torch.nn.functional.avg_pool3d
        y = f(tx, spec.kernel_size, spec.stride, spec.padding, **kw)
    assert tuple(y.shape) == g.shape
    (y * torch.tensor(g, dtype=torch.float64)).sum().backward()
    return tx.grad.numpy()


# (input shape, spec): every flag both ways, strides below, at and above the kernel, padding up to K/2,
# sizes where ceil_mode adds a window and where it drops one (the last would start in the right padding).
OWN = [
    ((2, 3, 7), AvgPoolSpec(1, 3, stride=2, padding=1)),
    ((2, 3, 7), AvgPoolSpec(1, 3, stride=2, padding=1, count_include_pad=False)),
    ((2, 3, 6), AvgPoolSpec(1, 3, stride=2, padding=1, ceil_mode=True)),
    ((2, 3, 6), AvgPoolSpec(1, 3, stride=2, padding=1, ceil_mode=True, count_include_pad=False)),
    ((1, 2, 5), AvgPoolSpec(1, 2, stride=3, ceil_mode=True)),
    ((1, 1, 1), AvgPoolSpec(1, 2, stride=2, padding=1, ceil_mode=True)),
    ((1, 2, 9), AvgPoolSpec(1, 4, stride=1, padding=2, count_include_pad=False, divisor_override=3)),
    ((2, 2, 7, 6), AvgPoolSpec(2, (3, 2), stride=(2, 1), padding=(1, 0), ceil_mode=True,
                               count_include_pad=False)),
    ((1, 2, 5, 5), AvgPoolSpec(2, 2, ceil_mode=True, divisor_override=7)),
    ((1, 1, 4, 5, 6), AvgPoolSpec(3, (2, 3, 2), stride=(1, 2, 2), padding=(1, 1, 0), ceil_mode=True,
                                  count_include_pad=False)),
]


@needs_torch
@pytest.mark.parametrize("shape, spec", OWN, ids=[s.describe() for _, s in OWN])
def test_matches_torch_autograd(shape, spec):
    rng = np.random.default_rng(3)
    x = rng.standard_normal(shape)
    g = rng.standard_normal(shape[:2] + spec.output_size(shape[2:]))
    got = derive_pool_forms(spec).evaluate(x, g)["grad_input"]
    np.testing.assert_allclose(got, torch_pool_grad(spec, x, g), rtol=1e-12, atol=1e-12)


def test_general_form_and_steps():
    general = derive_pool_general(1)
    assert str(general.closed["grad_input"]) == \
        "sum_windows(pad(dilate(divide(g, d), S), (K - P - 1, H - H^o*S + P + S - 1)), K)"
    assert [s.key for s in general.steps] == [
        "definition_y_avg_pool", "definition_L", "differentiate", "eliminate_deltas", "absorb_weight",
        "absorb_stride", "reverse_window_index", "window_to_padding", "recognise"]


@pytest.mark.parametrize("spec, form", [
    (AvgPoolSpec(1, 3, stride=2, padding=1), "sum_windows(pad(dilate(divide(g, 3), 2), (1, ((H + 1) mod 2) + 1)), 3)"),
    (AvgPoolSpec(1, 2), "sum_windows(pad(dilate(divide(g, 2), 2), (1, (H mod 2) + 1)), 2)"),
    (AvgPoolSpec(1, 3, stride=1, padding=1, count_include_pad=False),
     "sum_windows(pad(divide(g, valid_count(3, 1, 1)), 1), 3)"),
    (AvgPoolSpec(1, 3, stride=2, padding=1, ceil_mode=True),
     "sum_windows(pad(dilate(divide(g, count(3, 2, 1)), 2), (1, H - 2*H^o + 2)), 3)"),
    (AvgPoolSpec(2, 2, divisor_override=5), "sum_windows(pad(dilate(divide(g, 5), 2), "
                                            "((1, (H_1 mod 2) + 1), (1, (H_2 mod 2) + 1))), 2)"),
])
def test_closed_forms(spec, form):
    assert str(derive_pool_forms(spec).grad_input) == form


def test_exact_evaluation():
    # H = 4, K = 3, S = 2, P = 1, count_include_pad=False: windows [-1, 2) and [1, 4) hold 2 and 3 real
    # entries, so x[0] gets g0/2, x[1] and x[2] g0/2 + g1/3 ... by hand.
    spec = AvgPoolSpec(1, 3, stride=2, padding=1, count_include_pad=False)
    x = np.array([[[sp.Integer(v) for v in range(4)]]], dtype=object)
    g = np.array([[[sp.Integer(6), sp.Integer(9)]]], dtype=object)
    got = derive_pool_forms(spec).evaluate(x, g)["grad_input"]
    assert got.tolist() == [[[3, 3 + 3, 3, 3]]]


def test_divisor_counts_by_hand():
    # H = 5, K = 3, S = 2, P = 1, ceil_mode: starts -1, 1, 3; clipped at H + P = 6: 3, 3, 3 (the last window
    # [3, 6) ends at 6); the real entries: 2, 3, 2.
    H = sp.Symbol("H")
    count = Divisor("count", None, (3,), (2,), (1,), (H,))
    valid = Divisor("valid_count", None, (3,), (2,), (1,), (H,))
    assert count.axis_counts(0, 3, {H: 5}) == [3, 3, 3]
    assert valid.axis_counts(0, 3, {H: 5}) == [2, 3, 2]
    # H = 4, K = 3, S = 2, P = 1, ceil_mode: starts -1, 1, 3; the last clipped at H + P = 5 holds 2.
    assert count.axis_counts(0, 3, {H: 4}) == [3, 3, 2]
    assert pool_output_length(4, 3, 2, 1, True) == 3


def test_operators_read_both_ways():
    g = np.arange(1, 7).reshape(1, 1, 6)
    form = SumWindows(Divide(ops.Tensor("g"), Divisor("constant", 2)), (3,))
    np.testing.assert_allclose(form.evaluate({"g": g.astype(float)}), [[[3.0, 4.5, 6.0, 7.5]]])
    exact = form.evaluate({"g": g.astype(object)})
    assert exact.tolist() == [[[3, sp.Rational(9, 2), 6, sp.Rational(15, 2)]]]


def test_divisor_of_simplifies():
    sym = derive_pool_general(1).sym
    assert str(divisor_of(AvgPoolSpec(1, 3, padding=1, count_include_pad=False), sym)) == "valid_count(3, 3, 1)"
    assert str(divisor_of(AvgPoolSpec(1, 3, padding=0, count_include_pad=False), sym)) == "3"
    assert str(divisor_of(AvgPoolSpec(1, 3, padding=0, ceil_mode=True, count_include_pad=False), sym)) == \
        "count(3, 3, 0)"


@pytest.mark.parametrize("make, message", [
    (lambda: AvgPoolSpec(1, 3, padding=2), r"^padding must be at most half the kernel size \(3 on spatial axis 1\)"),
    (lambda: AvgPoolSpec(1, 0), r"^kernel_size must be a positive integer"),
    (lambda: AvgPoolSpec(1, 2, stride=0), r"^stride must be a positive integer"),
    (lambda: AvgPoolSpec(1, 2, divisor_override=0), r"^divisor_override must be a non-zero integer"),
    (lambda: AvgPoolSpec(2, 2).check_input((1, 0, 4, 4)), r"^input shape: only the batch axis may be empty"),
    (lambda: AvgPoolSpec(3, 2).check_input((0, 1, 49)), r"^input shape must be \(N, C\) and 3 spatial axes"),
    (lambda: AvgPoolSpec(1, 2, ceil_mode=1), r"^ceil_mode must be true or false"),
    (lambda: AvgPoolSpec(4, 2), r"^ndim must be 1, 2 or 3"),
    (lambda: AvgPoolSpec(1, 5, padding=1).output_size((2,)), r"^input size: 2 with padding 1 is shorter"),
])
def test_spec_refuses(make, message):
    with pytest.raises(SpecError, match=message):
        make()


# ------------------------------------------------------------------ PyTorch's own test configurations

from data.torch_pool_configs import CONFIGS, REJECTED  # noqa: E402

RUNNABLE = 2_000_000        # input entries beyond which a configuration is left to its shape check alone


def spec_of(cfg) -> AvgPoolSpec:
    """A PyTorch configuration as symconv's spec (stride None or () means the kernel, as in PyTorch)."""
    stride = None if cfg.stride in (None, ()) else cfg.stride
    as_axes = lambda v: tuple(v) if isinstance(v, (list, tuple)) and len(v) != 1 else (  # noqa: E731
        v[0] if isinstance(v, (list, tuple)) else v)
    return AvgPoolSpec(cfg.dim, as_axes(cfg.kernel_size), None if stride is None else as_axes(stride),
                       as_axes(cfg.padding), cfg.ceil_mode, cfg.count_include_pad, cfg.divisor_override)


def batched(cfg) -> tuple[int, ...]:
    # An unbatched input (C, *spatial) is PyTorch's batch of one.
    return (1,) + tuple(cfg.input_shape) if len(cfg.input_shape) == cfg.dim + 1 else tuple(cfg.input_shape)


SMALL = [c for c in CONFIGS if math.prod(c.input_shape) <= RUNNABLE]


@needs_torch
@pytest.mark.parametrize("cfg", SMALL, ids=[f"{c.test}-{k}" for k, c in enumerate(SMALL)])
def test_torch_configs_match_autograd(cfg):
    spec = spec_of(cfg)
    shape = batched(cfg)
    out = spec.check_input(shape)
    rng = np.random.default_rng(7)
    x, g = rng.standard_normal(shape), rng.standard_normal(out)
    got = derive_pool_forms(spec).evaluate(x, g)["grad_input"]
    np.testing.assert_allclose(got, torch_pool_grad(spec, x, g), rtol=1e-10, atol=1e-12)


def test_every_config_is_read():
    # Every configuration of the table builds a spec whose output size is PyTorch's; the large ones too.
    assert len(SMALL) > 900
    for cfg in CONFIGS:
        spec_of(cfg).check_input(batched(cfg))


@pytest.mark.parametrize("cfg", REJECTED, ids=[f"{c.test}-{k}" for k, c in enumerate(REJECTED)])
def test_torch_rejected_configs_are_refused(cfg):
    with pytest.raises(SpecError):
        spec_of(cfg).check_input(batched(cfg))


# ---------------------------------------------------------------------- proved for every size (isl)

from symconv.proof.mutants import mutate  # noqa: E402
from symconv.proof.presburger_pool import (PoolFamily, pool_families, prove_pool, prove_spec,  # noqa: E402
                                           sweep as pool_sweep)
from symconv.proof.grammar import parse  # noqa: E402


@pytest.mark.parametrize("spec", [s for _, s in OWN] + [AvgPoolSpec(1, 4, stride=3, padding=2, ceil_mode=True),
                                                        AvgPoolSpec(1, 2, divisor_override=-2)],
                         ids=lambda s: s.describe())
def test_engine_forms_are_proved_for_every_size(spec):
    proof = prove_spec(spec)
    assert proof.ok, proof.results[0].detail
    assert proof.statement.startswith("for every N, C, H")
    general = prove_pool(PoolFamily.of(spec, fixed=False))
    assert general.ok and "P up to K/2" in general.statement


def test_sweep_families_are_proved():
    result = pool_sweep((1, 2, 3))
    assert len(result.proofs) == len(pool_families((1, 2, 3))) == 72 and result.ok


def _confirm_with_torch(spec, form, cx):
    """The counterexample's sizes, evaluated: the claim's value at its entry differs from PyTorch
    autograd's there, and the derivative's value it reports is PyTorch's."""
    import torch  # noqa: F401
    shape = (cx.sizes["N"], cx.sizes["C"]) + cx.input_size
    rng = np.random.default_rng(22)
    g = rng.integers(-50, 51, spec.check_input(shape)).astype(float)
    want = torch_pool_grad(spec, np.zeros(shape), g)
    sym = derive_pool_general(spec.ndim).sym
    sizes = {**dict(zip(sym.H, cx.input_size)), **dict(zip(sym.Ho, g.shape[2:]))}
    got = np.asarray(form.evaluate({"g": g}, sizes), dtype=float)
    if not cx.entry:                     # a refutation by shape: the formula's result is not x's shape
        assert cx.kind == "shape" and got.shape != want.shape
        return
    assert got.shape == want.shape and not np.allclose(got, want)
    assert float(cx.values[1]) == pytest.approx(want[cx.entry])
    assert float(cx.values[0]) == pytest.approx(got[cx.entry])


WRONG_DIVISORS = [
    # (the configuration, a claim with a wrong divisor, the smallest sizes the prover must name)
    (AvgPoolSpec(1, 3, stride=2, padding=1, ceil_mode=True, count_include_pad=False),      # include flipped
     "sum_windows(pad(dilate(divide(g, count(3, 2, 1)), 2), (1, H - 2*H^o + 2)), 3)", "C = 1, H = 1, P = 1"),
    (AvgPoolSpec(1, 3, stride=2, padding=1),                                               # off by one
     "sum_windows(pad(dilate(divide(g, 4), 2), (1, ((H + 1) mod 2) + 1)), 3)", "C = 1, H = 1, P = 1"),
    (AvgPoolSpec(1, 3, stride=2, padding=1, count_include_pad=False),                       # flipped, no ceil
     "sum_windows(pad(dilate(divide(g, 3), 2), (1, ((H + 1) mod 2) + 1)), 3)", "C = 1, H = 1, P = 1"),
    (AvgPoolSpec(2, 2, divisor_override=3),                                                # override ignored
     "sum_windows(pad(dilate(divide(g, 4), 2), ((1, (H_1 mod 2) + 1), (1, (H_2 mod 2) + 1))), 2)",
     "C = 1, H = 2, W = 2, P = 0"),
    (AvgPoolSpec(2, 3, stride=2, padding=1, ceil_mode=True),                                # 9 for the clipped count
     "sum_windows(pad(dilate(divide(g, 9), 2), ((1, H_1 - 2*H^o_1 + 2), (1, H_2 - 2*H^o_2 + 2))), 3)",
     "C = 1, H = 1, W = 2, P = 1"),
]


@needs_torch
@pytest.mark.parametrize("spec, claim, where", WRONG_DIVISORS, ids=[w[1][:40] for w in WRONG_DIVISORS])
def test_wrong_divisors_are_refuted_and_confirmed_by_torch(spec, claim, where):
    form = parse(claim, spec.ndim)
    proof = prove_spec(spec, form)
    cx = proof.counterexample
    assert not proof.ok and cx is not None and cx.kind == "weight", proof.results[0].detail
    assert cx.where() == where
    _confirm_with_torch(spec, form, cx)


@needs_torch
@pytest.mark.parametrize("spec, kind", [
    (AvgPoolSpec(1, 3, stride=2, padding=1), "divisor_off_by_one"),
    (AvgPoolSpec(1, 3, stride=2, padding=1, ceil_mode=True), "divisor_off_by_one"),
    (AvgPoolSpec(1, 3, stride=2, padding=1, ceil_mode=True), "count_include_pad_flipped"),
    (AvgPoolSpec(2, 3, stride=1, padding=1, count_include_pad=False), "count_include_pad_flipped"),
    (AvgPoolSpec(1, 3, stride=2, padding=1), "pad_off_by_one"),
    (AvgPoolSpec(2, (3, 2), stride=(2, 1), padding=(1, 0), ceil_mode=True), "pad_off_by_one"),
])
def test_mutants_fail(spec, kind):
    form = mutate(derive_pool_forms(spec).grad_input, kind)
    assert form != derive_pool_forms(spec).grad_input
    proof = prove_spec(spec, form)
    assert not proof.ok and proof.counterexample is not None
    _confirm_with_torch(spec, form, proof.counterexample)


@needs_torch
def test_ceil_mode_ignored_is_refuted():
    # The form derived without ceil_mode, claimed for the configuration with it: at H = 1 ceil_mode gives one
    # clipped window (without it, no output: PyTorch's avg_pool1d(ones(1), 2, ceil_mode=True) is [1.]), whose
    # g entry the form never reads. (The prover's domain once began at H + 2P ≥ K and answered H = 3.)
    spec = AvgPoolSpec(1, 2, stride=2, ceil_mode=True)
    form = derive_pool_forms(AvgPoolSpec(1, 2, stride=2)).grad_input
    proof = prove_spec(spec, form)
    assert not proof.ok and proof.counterexample.where() == "C = 1, H = 1, P = 0"
    _confirm_with_torch(spec, form, proof.counterexample)


@needs_torch
@pytest.mark.parametrize("kernel, stride, padding, include", [(2, 2, 0, False), (2, 2, 0, True), (3, 2, 1, False),
                                                               (4, 3, 1, False)])
def test_ceil_mode_inputs_shorter_than_the_window_are_in_the_domain(kernel, stride, padding, include):
    """With ceil_mode an input shorter than the window (H + 2P < K) still has one clipped window in PyTorch:
    the engine's form is proved there too (the statement says every H), and a divisor ignoring the clip is
    refuted at H = 1, confirmed by autograd (a blind tester's claim got H = 3 as the smallest counterexample)."""
    import torch
    spec = AvgPoolSpec(1, kernel, stride=stride, padding=padding, ceil_mode=True, count_include_pad=include)
    assert spec.output_size((1,)) == (1,)
    assert torch.nn.functional.avg_pool1d(torch.ones(1, 1, 1), kernel, stride, padding, ceil_mode=True,
                                          count_include_pad=include).shape == (1, 1, 1)
    right = derive_pool_forms(spec).grad_input
    assert prove_spec(spec, right).ok
    wrong = Divide(right.arg.arg.arg.arg, Divisor("constant", value=kernel))   # every window divided by K
    form = SumWindows(ops.pad(ops.Dilate(wrong, (stride,)), right.arg.widths), (kernel,))
    proof = prove_spec(spec, form)
    assert not proof.ok and proof.counterexample.where().startswith("C = 1, H = 1"), proof.counterexample.where()
    _confirm_with_torch(spec, form, proof.counterexample)


def test_mutant_sweeps_fail():
    assert not any(p.ok for p in pool_sweep((1,), mutant="divisor_off_by_one").proofs)
    flipped = pool_sweep((1,), mutant="count_include_pad_flipped").proofs
    # Unchanged only where there is no padding to count (K = 1) or a divisor_override: 24 of 60.
    assert sum(p.ok for p in flipped) == 24


def test_a_sum_with_one_divided_term_is_not_proved():
    # The halves of the windows, one divided and one not, read every term once, so the entries agree; one
    # divisor compared would miss the undivided half: a sum is never proved (a guard: the affine reading of
    # a sum of two data arrays refused it already).
    spec = AvgPoolSpec(1, 2, stride=1)
    form = parse("pad(divide(g, 2), (1, 0)) + pad(g, (0, 1))", 1)
    proof = prove_spec(spec, form)
    assert not proof.ok and "a sum of formulas is not read" in proof.results[0].detail


def test_divisor_of_another_tensor_is_not_read():
    spec = AvgPoolSpec(1, 3, stride=2, padding=1)
    proof = prove_spec(spec, parse("sum_windows(divide(pad(dilate(g, 2), (1, ((H + 1) mod 2) + 1)), 3), 3)", 1))
    assert not proof.ok and "divide(g, ...)" in proof.results[0].detail


# ---------------------------------------------------------------------------------- command line

import json  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
POOL = ["--op", "avg_pool", "--ndim", "1", "--kernel-size", "3", "--stride", "2", "--padding", "1"]


def _run(*args, cwd=None):
    import os
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "symconv", *args], capture_output=True, text=True, cwd=cwd,
                          env=env, timeout=600)


def test_cli_derive_json_and_claim_round_trip(tmp_path):
    done = _run("derive", *POOL, "--ceil-mode", "--no-count-include-pad", "--json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    entry = data["closed_forms"]["grad_input"]
    assert entry["wrt"] == "x" and entry["form"] == \
        "sum_windows(pad(dilate(divide(g, valid_count(3, 2, 1)), 2), (1, H - 2*H^o + 2)), 3)"
    assert data["spec"]["ceil_mode"] is True and data["spec"]["count_include_pad"] is False
    assert data["proof"]["ok"] and data["proof"]["general"]["ok"]
    proved = _run("verify", *POOL, "--ceil-mode", "--no-count-include-pad", "--wrt", entry["wrt"],
                  "--claim", entry["form"])
    assert proved.returncode == 0 and "proved for every N, C, H" in proved.stdout
    flipped = _run("verify", *POOL, "--ceil-mode", "--wrt", "x", "--claim", entry["form"])
    assert flipped.returncode == 1 and "refuted, at C = 1, H = 1, P = 1" in flipped.stdout


def test_cli_stride_defaults_to_the_kernel():
    done = _run("derive", "--op", "avg_pool", "--ndim", "1", "--kernel-size", "2", "--no-pdf", "--json")
    assert json.loads(done.stdout)["spec"]["stride"] == [2] and json.loads(done.stdout)["spec"]["padding"] == [0]


@pytest.mark.parametrize("args, message", [
    (["derive", *POOL, "--padding", "2"],
     "symconv: error: padding must be at most half the kernel size (3 on spatial axis 1), got 2"),
    (["derive", *POOL, "--divisor-override", "0"],
     "symconv: error: divisor_override must be a non-zero integer (at most 4096 in size) or none, got 0"),
    (["derive", "--ceil-mode"], "symconv: error: --ceil-mode: only with --op avg_pool"),
    (["derive", *POOL, "--dilation", "2"], "symconv: error: --dilation: --op avg_pool has no dilation (PyTorch's "
                                           "AvgPoolNd)"),
    (["derive", *POOL, "--in-channels", "2"], "symconv: error: --in-channels: --op avg_pool has no in channels "
                                              "(PyTorch's AvgPoolNd)"),
    (["derive", *POOL, "--padding", "same"], "symconv: error: --padding: --op avg_pool takes integers, one per "
                                             "axis or once"),
    (["derive", "--no-count-include-pad"], "symconv: error: --count-include-pad: only with --op avg_pool"),
    (["verify", *POOL], "symconv: error: --op avg_pool: verify it with --claim FORM --wrt x (for every size), "
                        "or with derive"),
    (["verify", *POOL, "--wrt", "h", "--claim", "g"], "symconv: error: --wrt h: avg_pool has one input, x"),
    (["verify", *POOL, "--wrt", "x", "--claim", "sum_windows(g, 100000000)"],
     "symconv: error: claim: 100000000 in sum_windows(g, 100000000): a window, stride or padding is at most 1,024"),
    (["verify", *POOL, "--wrt", "x", "--claim", "divide(g, count(3, 2))"],
     "symconv: error: claim: expected ',' and the padding of count at column 21, got ')'"),
])
def test_cli_refuses_in_one_line(tmp_path, args, message):
    done = _run(*args, "--no-pdf", cwd=tmp_path) if args[0] == "derive" else _run(*args, cwd=tmp_path)
    assert done.returncode == 2 and done.stderr.strip() == message and "Traceback" not in done.stderr


def test_cli_report_en_zh(tmp_path):
    for lang in ("en", "zh"):
        done = _run("derive", *POOL, "--no-count-include-pad", "--no-pdf", "--lang", lang, "--out", "o",
                    cwd=tmp_path)
        assert done.returncode == 0, done.stderr
    md = (tmp_path / "o" / "avg_pool_backward_1d_k3_s2_p1_nopad.md").read_text()
    assert "| operator | avg\\_pool |" in md and "| count\\_include\\_pad | no |" in md
    assert "`sum_windows(pad(dilate(divide(g, valid_count(3, 2, 1)), 2), (1, ((H + 1) mod 2) + 1)), 3)`" in md
    # the rule in math, as the reader sees d_i in the display (it was plain "1/d ... into g")
    assert "Step 5: the position's weight $1/d_i$ is taken into $g$." in md
    zh = (tmp_path / "o" / "avg_pool_backward_1d_k3_s2_p1_nopad_zh.md").read_text()
    assert "除数只计真实元素" in zh and "把该位置的权重 $1/d_i$ 并入 $g$" in zh


def test_all_sizes_sweep_names_avg_pool(capsys):
    from symconv.cli import main
    assert main(["verify", "--sweep", "--all-sizes", "--sweep-ndim", "1", "--mutant", "divisor_off_by_one",
                 "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["by_op"] == {"avg_pool": {"total": 60, "proved": 0}}
    assert data["failures"][0]["family"] == "avg_pool 1d kernel 1, stride 1, padding counted"


def test_the_largest_array_of_a_pooling_form_is_counted_before_evaluating():
    """ops.largest (the grader's and the witness's guard against formulas that would take gigabytes) reads
    sum_windows and divide: it raised "no shape" on them."""
    from symconv.derivation import ops
    from symconv.derivation.pooling import Divide, Divisor, SumWindows
    g = ops.Tensor("g")
    form = SumWindows(ops.pad(ops.Dilate(Divide(g, Divisor("constant", value=9)), (1000,)), ((900, 900),)), (5,))
    assert ops.largest(form, {"g": (1, 1, 3)}, {}) == (2 * 1000 + 1) + 1800      # the padded array
    assert ops.largest(SumWindows(g, (2, 3)), {"g": (2, 3, 4, 5)}, {}) == 2 * 3 * 4 * 5  # g itself, the widest
    assert ops.largest(SumWindows(ops.pad(g, ((0, 6),)), (7,)), {"g": (1, 1, 1)}, {}) == 7
    with pytest.raises(ValueError):            # and the count agrees with what evaluating builds
        SumWindows(g, (7,)).evaluate({"g": np.zeros((1, 1, 3))})
