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
