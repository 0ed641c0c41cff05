"""Numbers: the forward pass, and central finite differences as an independent oracle.

The forward pass is the same operator vocabulary the closed forms use (:mod:`symconv.derivation.ops`):
``y = correlate(pad(x, P), h, stride=S, dilation=D, groups=G) + b``.

>>> import numpy as np
>>> from symconv import ConvSpec
>>> x = np.arange(16.0).reshape(1, 1, 4, 4)
>>> conv(x, np.ones((1, 1, 3, 3)), ConvSpec(1, 1, 3))[0, 0]
array([[45., 54.],
       [81., 90.]])
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from . import ops
from .spec import ConvSpec


def forward_expr(spec: ConvSpec, bias: bool = False) -> ops.Expr:
    """y as an operator expression over the named tensors x, h (and b).

    A transposed convolution is the same vocabulary: ``correlate(pad(dilate(x, S), (D(K−1) − P,
    D(K−1) − P + R)), rot180(swap_io(h)), dilation=D)`` (a negative width crops), the scatter of each
    x[i] to the outputs S·i + D·a − P read as a gather."""
    if spec.transposed:
        widths = tuple((d * (k - 1) - lo, d * (k - 1) - hi + r) for k, d, (lo, hi), r in zip(
            spec.kernel_size, spec.dilation, spec.pads, spec.output_padding))  # type: ignore[arg-type]
        y = ops.Correlate(ops.pad(ops.dilate(ops.Tensor("x"), tuple(spec.stride)), widths),  # type: ignore
                          ops.Rot180(ops.SwapIO(ops.Tensor("h"), spec.groups), spec.ndim),
                          (1,) * spec.ndim, tuple(spec.dilation), spec.groups)  # type: ignore[arg-type]
        return ops.AddBias(y, ops.Tensor("b")) if bias else y
    y = ops.Correlate(ops.pad(ops.Tensor("x"), spec.pads), ops.Tensor("h"), tuple(spec.stride),  # type: ignore
                      tuple(spec.dilation), spec.groups)  # type: ignore[arg-type]
    return ops.AddBias(y, ops.Tensor("b")) if bias else y


def conv(x: Any, h: Any, spec: ConvSpec, bias: Any = None) -> np.ndarray:
    """The forward pass (PyTorch layout); object arrays of SymPy numbers give exact results."""
    from .forms import check_shapes
    x, h = np.asarray(x), np.asarray(h)
    b = None if bias is None else np.asarray(bias)
    check_shapes(spec, x, h, bias=b)
    env = {"x": x, "h": h} | ({} if b is None else {"b": b})
    return forward_expr(spec, b is not None).evaluate(env)


def central_difference(f: Callable[[np.ndarray], float], at: np.ndarray,
                       step: float | np.ndarray = 1e-6) -> np.ndarray:
    """∂f/∂at by central differences, entry by entry (float64); ``step`` is one step or one per entry."""
    at = np.array(at, dtype=np.float64)
    grad = np.zeros_like(at)
    flat, out = at.reshape(-1), grad.reshape(-1)
    steps = np.broadcast_to(np.asarray(step, dtype=np.float64), at.shape).reshape(-1)
    for k in range(flat.size):
        keep, h = flat[k], steps[k]
        flat[k] = keep + h
        up = f(at)
        flat[k] = keep - h
        down = f(at)
        flat[k] = keep
        out[k] = (up - down) / (2 * h)
    return grad


def finite_difference_grads(spec: ConvSpec, x: np.ndarray, h: np.ndarray, g: np.ndarray,
                            bias: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """∂L/∂x, ∂L/∂h (and ∂L/∂b) of L = Σ g·conv(x, h, b), by central differences of the forward pass."""
    x, h, g = (np.asarray(v, dtype=np.float64) for v in (x, h, g))
    b = None if bias is None else np.asarray(bias, dtype=np.float64)
    out = {"grad_input": central_difference(lambda v: float((g * conv(v, h, spec, b)).sum()), x),
           "grad_weight": central_difference(lambda v: float((g * conv(x, v, spec, b)).sum()), h)}
    if b is not None:
        out["grad_bias"] = central_difference(lambda v: float((g * conv(x, h, spec, v)).sum()), b)
    return out
