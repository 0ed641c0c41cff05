"""Shared oracles and helpers: PyTorch autograd (when installed), mutants, golden files."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from symconv.proof.mutants import mutate  # noqa: F401 (re-exported for the tests)
from symconv.derivation.spec import ConvSpec

GOLDEN = Path(__file__).parent / "golden"

try:
    import torch
except ImportError:  # PyTorch is an optional oracle
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch is not installed")


@pytest.fixture(autouse=True, scope="session")
def _derivation_cache_in_tmp(tmp_path_factory):
    """symconv's on-disk derivation cache (XDG_CACHE_HOME/symconv) in a fresh folder for the run, commands
    run as subprocesses included: tests never read what an earlier run or the user's cache holds."""
    old = os.environ.get("XDG_CACHE_HOME")
    os.environ["XDG_CACHE_HOME"] = str(tmp_path_factory.mktemp("xdg-cache"))
    yield
    if old is None:
        os.environ.pop("XDG_CACHE_HOME", None)
    else:
        os.environ["XDG_CACHE_HOME"] = old


def torch_grads(spec: ConvSpec, x: np.ndarray, h: np.ndarray, g: np.ndarray,
                b: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Gradients of L = Σ g·conv(x, h, b) (or of its transposed convolution) by PyTorch autograd, in float64."""
    conv = {1: torch.nn.functional.conv1d, 2: torch.nn.functional.conv2d, 3: torch.nn.functional.conv3d}
    tx = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    th = torch.tensor(h, dtype=torch.float64, requires_grad=True)
    tb = None if b is None else torch.tensor(b, dtype=torch.float64, requires_grad=True)
    # PyTorch's own padding argument (its 'same'/'valid'), never symconv's resolved widths; 'full', which
    # PyTorch lacks, by its definition D(K-1).
    padding = spec.padding if spec.padding != "full" else tuple(
        d * (k - 1) for k, d in zip(spec.kernel_size, spec.dilation))
    if spec.transposed:         # PyTorch's ConvTransposeNd, given the spec's own output_padding
        transposed = {1: torch.nn.functional.conv_transpose1d, 2: torch.nn.functional.conv_transpose2d,
                      3: torch.nn.functional.conv_transpose3d}[spec.ndim]
        y = transposed(tx, th, tb, stride=spec.stride, padding=padding, output_padding=spec.output_padding,
                       groups=spec.groups, dilation=spec.dilation)
    else:
        y = conv[spec.ndim](tx, th, tb, stride=spec.stride, padding=padding, dilation=spec.dilation,
                            groups=spec.groups)
    assert tuple(y.shape) == g.shape
    (y * torch.tensor(g, dtype=torch.float64)).sum().backward()
    out = {"grad_input": tx.grad.numpy(), "grad_weight": th.grad.numpy()}
    if tb is not None:
        out["grad_bias"] = tb.grad.numpy()
    return out


def homework_by_torch(hw) -> dict[str, np.ndarray]:
    """Every part of a homework by PyTorch autograd in float64 (an oracle independent of symconv's solver):
    conv → ReLU → linear → softmax → −log p_target, biases zero where the file has none."""
    import sympy as sp
    f64 = lambda a: torch.tensor(np.vectorize(lambda v: float(sp.N(v, 30)), otypes=[float])(  # noqa: E731
        np.asarray(a, dtype=object)))
    m = hw.fc_weight.shape[0]
    x = f64(hw.x)[None].requires_grad_()
    h = f64(hw.h).requires_grad_()
    cb = f64(hw.conv_bias if hw.conv_bias is not None else np.zeros(hw.h.shape[0], dtype=object)).requires_grad_()
    W = f64(hw.fc_weight).requires_grad_()
    fb = f64(hw.fc_bias if hw.fc_bias is not None else np.zeros(m, dtype=object)).requires_grad_()
    conv1 = torch.nn.functional.conv2d(x, h, cb, stride=hw.spec.stride, padding=hw.spec.pads[0][0],
                                       dilation=hw.spec.dilation)
    relu1 = torch.relu(conv1)
    fc1 = torch.nn.functional.linear(relu1.reshape(-1), W, fb)
    p = torch.softmax(fc1, 0)
    L = -torch.log(p[hw.target - 1])
    for t in (conv1, relu1, fc1, p):
        t.retain_grad()
    L.backward()
    out = {"conv1": conv1[0], "relu1": relu1[0], "fc1": fc1, "p": p, "L": L, "dL_dp": p.grad,
           "dL_dfc1": fc1.grad, "dL_drelu1": relu1.grad[0], "dL_dconv1": conv1.grad[0], "dL_dW": W.grad,
           "dL_dh": h.grad, "dL_dx": x.grad[0]}
    if hw.conv_bias is not None:
        out["dL_dconv_bias"] = cb.grad
    if hw.fc_bias is not None:
        out["dL_dfc_bias"] = fb.grad
    return {k: v.detach().numpy() for k, v in out.items()}


def random_arrays(spec: ConvSpec, size: tuple[int, ...], batch: int = 2, seed: int = 0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((batch, spec.in_channels) + size)
    h = rng.standard_normal((spec.out_channels, spec.in_channels // spec.groups) + tuple(spec.kernel_size))
    g = rng.standard_normal((batch, spec.out_channels) + spec.output_size(size))
    b = rng.standard_normal(spec.out_channels) if spec.bias else None
    return x, h, g, b


def golden(name: str, text: str) -> None:
    """Compare with tests/golden/NAME; on a mismatch write NAME.obtained. SYMCONV_REGEN=1 rewrites."""
    path = GOLDEN / name
    if os.environ.get("SYMCONV_REGEN") == "1":
        path.write_text(text, encoding="utf-8")
    expected = path.read_text(encoding="utf-8") if path.exists() else None
    if expected != text:
        path.with_name(name + ".obtained").write_text(text, encoding="utf-8")
        raise AssertionError(f"{name} differs from its golden file; see {path}.obtained "
                             f"(SYMCONV_REGEN=1 regenerates on purpose)")
