"""Historical gradient bugs (symconv/proof/history.py): each refuted for every size with its smallest
counterexample, and each counterexample confirmed against PyTorch autograd (float64) at its sizes."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from symconv.derivation.forms import derive_forms
from symconv.proof.claims import size_values
from symconv.proof.grammar import parse
from symconv.proof.history import BUGS, refute

from conftest import needs_torch, torch_grads

COUNTEREXAMPLES = {
    "jax_563_undilated_window":
        "at C_in = 1, C_out = 1, H = 3, K = 3, P = 1: ∂L/∂x: the formula cannot be evaluated: "
        "correlate(pad(g, 1), rot180(swap_io(h)), dilation=2) has a kernel wider than its data",
    "pytorch_51430_no_group_split":
        "at G = 2, C_in = 2, C_out = 2, H = 1, K = 3, P = 1: ∂L/∂h: the formula cannot be evaluated: "
        "batch_correlate(pad(x, 1), g) takes groups=1 where the convolution has 2 groups: its channel counts "
        "fit only when G = 1",
    "transposed_wrong_stride_phase":
        "at C_in = 1, C_out = 1, H = 1, K = 1, P = 0, R = 1: ∂L/∂x[0,0,0] should contain g[0,0,0]·h[0,0,0] "
        "but the formula gives g[0,0,1]·h[0,0,0]",
    "pytorch_gI_output_padding":
        "at C_in = 1, C_out = 1, H = 2, K = 3, P = 1: ∂L/∂x: the formula's result has shape (1, 1, 1) but x "
        "has (1, 1, 2)",
}


@pytest.mark.parametrize("name", list(BUGS))
def test_refuted_with_smallest_counterexample(name):
    result = refute(BUGS[name])
    assert result.verdict == "refuted"
    assert str(result.counterexample) == COUNTEREXAMPLES[name]


def _at_counterexample(name):
    """The bug's configuration at its counterexample's channel counts, its input size and random arrays."""
    bug = BUGS[name]
    c = refute(bug).counterexample
    spec = dataclasses.replace(bug.spec, in_channels=c.in_channels, out_channels=c.out_channels)
    rng = np.random.default_rng(7)
    x = rng.standard_normal((c.batch, spec.in_channels) + c.input_size)
    h = rng.standard_normal(spec.weight_channels + tuple(spec.kernel_size))
    g = rng.standard_normal((c.batch, spec.out_channels) + spec.output_size(c.input_size))
    return bug, spec, x, h, g


@needs_torch
@pytest.mark.parametrize("name", list(BUGS))
def test_counterexample_confirmed_by_torch(name):
    bug, spec, x, h, g = _at_counterexample(name)
    target = {"x": "grad_input", "h": "grad_weight"}[bug.wrt]
    want = torch_grads(spec, x, h, g)[target]
    # symconv's own closed form agrees with PyTorch there ...
    np.testing.assert_allclose(derive_forms(spec).evaluate(x, h, g)[target], want, rtol=1e-12, atol=1e-12)
    # ... and the bug's formula does not: it cannot be evaluated, has another shape, or other values.
    form = parse(bug.claim, spec.ndim)
    try:
        got = form.evaluate({"x": x, "h": h, "g": g}, size_values(spec, x.shape[0], x.shape[2:]))
    except ValueError:
        return
    assert got.shape != want.shape or not np.allclose(got, want)


@needs_torch
def test_pytorch_gI_needs_its_recomputed_output_padding():
    # PyTorch's double backward computes gI as conv_transpose(gO, w, stride, padding) with an output padding
    # it recomputes; without it the transposed convolution has the wrong length at the counterexample.
    import torch
    _, spec, x, h, g = _at_counterexample("pytorch_gI_output_padding")
    want = torch_grads(spec, x, h, g)["grad_input"]
    tg, th = torch.tensor(g), torch.tensor(h)
    without = torch.nn.functional.conv_transpose1d(tg, th, stride=2, padding=1)
    assert tuple(without.shape) != want.shape
    k, s, p, d, n = 3, 2, 1, 1, x.shape[2]
    recomputed = (n + 2 * p - d * (k - 1) - 1) % s
    with_it = torch.nn.functional.conv_transpose1d(tg, th, stride=2, padding=1, output_padding=recomputed)
    np.testing.assert_allclose(with_it.numpy(), want, rtol=1e-12)


@needs_torch
def test_transposed_phase_bug_reads_the_bias_only_outputs():
    # At stride 2 with output padding 1 the odd outputs of ConvTranspose with kernel 1 receive no input:
    # a gradient read there is wrong wherever g differs between the two phases.
    _, spec, x, h, g = _at_counterexample("transposed_wrong_stride_phase")
    want = torch_grads(spec, x, h, g)["grad_input"]
    np.testing.assert_allclose(want[0, 0, 0], g[0, 0, 0] * h[0, 0, 0])
