"""Parts of a homework network that are zero (or constant) for *every* input, and why; parts zero only for
this data (issue 21, item 2).

"For every input" means for every value of x, the weights and biases as the file gives them. Three reasons
are found from the network's structure alone, never from the numbers of x:

``same_rows``   the last layer is linear with every row of its weight the same row w, before softmax +
                cross-entropy: its input's gradient is W^T (p - y) = w sum_i (p_i - y_i) = 0, and every
                gradient before it is 0; with equal biases too its outputs equal each other, so p = 1/m,
                L = log m, dL/dp and dL/dfc are constants.
``dead_relu``   a ReLU whose input is <= 0 for every input (the signs of the weights, biases and of what
                reaches them, propagated layer by layer): its output is 0, and every gradient before it is 0.
``uncovered``   entries of a pooling layer's (or a strided convolution's) input that no window reaches: their
                gradient is 0 (a pooling window that never takes them).

A part that is all zero with none of these reasons is zero only for this data (``zero_here``).

>>> from symconv.homework import load, solve
>>> [(d.part, d.kind, d.reason) for d in find(solve(load()))][:2]    # the seed solves on its own path
[]
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np

from .layers import windows

# Sign sets of a value, entry by entry: what it can be for some input.
POS, ZERO, NEG = 1, 2, 4
ANY = POS | ZERO | NEG


@dataclass(frozen=True)
class Degenerate:
    part: str
    kind: str                 # "zero_always", "constant_always" or "zero_here"
    reason: str               # same_rows, dead_relu, uncovered, data
    layer: str = ""           # the layer the reason is about (its output's name, or where it is)


def find(sol: Any) -> list[Degenerate]:
    net = getattr(sol, "homework", None)
    if net is None or not hasattr(net, "layers"):
        return []                          # the seed's own format: its report says why (hw.same_rows)
    out: dict[str, Degenerate] = {}

    def before(k: int, kind: str, reason: str, layer: str) -> None:
        """Every gradient before layer k (its input's and every earlier one's, the parameters', x's)."""
        names = [f"dL_d{lay.name}" for lay in net.layers[:k - 1] if lay.name]
        names += [f"dL_d{p}" for lay in net.layers[:k - 1] for p in lay.params] + ["dL_dx"]
        for n in names:
            if n in sol.exact and n not in out:
                out[n] = Degenerate(n, kind, reason, layer)

    last = net.layers[-1]
    if last.type == "linear" and net.loss.type == "cross_entropy":
        W = last.weight
        if all(list(row) == list(W[0]) for row in W):
            before(len(net.layers), "zero_always", "same_rows", last.name)
            b = last.bias
            if b is None or len(set(b.tolist())) == 1:
                for n in ("p", "L", "dL_dp", f"dL_d{last.name}"):      # p = 1/m: each a constant
                    out.setdefault(n, Degenerate(n, "constant_always", "same_rows", last.name))
    signs = _signs(net)
    for k, layer in enumerate(net.layers, 1):
        if layer.type == "relu":
            dead = (signs[k - 1] & POS) == 0
            if dead.all():
                out.setdefault(layer.name, Degenerate(layer.name, "zero_always", "dead_relu", layer.name))
                before(k, "zero_always", "dead_relu", layer.name)
                # the next weighted layer reads only zeros: its weight's gradient is 0 too
                nxt = next((lay for lay in net.layers[k:] if lay.type != "flatten"), None)
                if nxt is not None and nxt.type in ("conv", "linear"):
                    n = "dL_d" + nxt.weight_name
                    out.setdefault(n, Degenerate(n, "zero_always", "dead_relu", layer.name))
        if layer.type in ("max_pool", "avg_pool") or (layer.type == "conv" and k == 1):
            hit = _covered(layer)
            if hit is not None and not hit.all():
                name = f"dL_d{_input_name(net, k)}"
                if name in sol.exact and name not in out:
                    out[name] = Degenerate(name, "zero_some_always", "uncovered", layer.name)
    for name, value in sol.exact.items():
        if name not in out and np.size(value) and all(v == 0 for v in np.asarray(value).reshape(-1)):
            out[name] = Degenerate(name, "zero_here", "data")
    return [out[n] for n in sol.exact if n in out]


def _input_name(net: Any, k: int) -> str:
    for layer in reversed(net.layers[:k - 1]):
        if layer.name:
            return layer.name
    return "x"


def _covered(layer: Any) -> np.ndarray | None:
    """Which entries of the layer's input some window reaches (pools; convolutions by their stride)."""
    if layer.type in ("max_pool", "avg_pool"):
        win = windows(layer.in_shape, *layer.window)
    else:
        spec = layer.spec
        K = tuple(spec.dilation[a] * (spec.kernel_size[a] - 1) + 1 for a in range(spec.ndim))
        if any(s <= k for s, k in zip(spec.stride, K)) or any(lo for lo, _ in spec.pads):
            return None       # every entry reached (a padded strided case is left alone)
        win = windows(layer.in_shape, K, tuple(spec.stride), (0,) * spec.ndim)
    hit = np.zeros(int(np.prod(layer.in_shape)) + 1, dtype=bool)
    hit[win.reshape(-1)] = True
    return hit[:-1].reshape(layer.in_shape)


def _signs(net: Any) -> list[np.ndarray]:
    """For each value (x, then each layer's output), entry by entry, the signs it can take for some input x
    (x itself: any), from the signs of the weights and biases."""
    vals = [np.full(net.x.shape, ANY, dtype=np.int64)]
    for layer in net.layers:
        s = vals[-1]
        if layer.type in ("conv", "linear"):
            out = _affine_signs(layer, s)
        elif layer.type == "relu" or (layer.type == "leaky_relu" and layer.slope == 0):
            out = np.where((s & POS) > 0, s & (POS | ZERO) | ZERO, ZERO)
        elif layer.type == "sigmoid":
            out = np.full(s.shape, POS)
        elif layer.type in ("leaky_relu", "tanh"):
            out = s                                    # the sign kept
        elif layer.type in ("max_pool", "avg_pool"):
            win = windows(layer.in_shape, *layer.window)
            flat = np.concatenate([s.reshape(-1), [ZERO]])
            out = np.bitwise_or.reduce(flat[win], axis=1).reshape(layer.out_shape)
        else:
            out = s.reshape(-1)
        vals.append(np.asarray(out, dtype=np.int64).reshape(layer.out_shape))
    return vals


def _affine_signs(layer: Any, s: np.ndarray) -> np.ndarray:
    """Signs of W z + b: each term w z can be positive when (w > 0 and z can be > 0) or (w < 0 and z can be
    < 0), likewise negative; the sum can be zero unless one side is impossible and a term is sure."""
    def signs_of(w: np.ndarray) -> np.ndarray:
        w = np.asarray(w, dtype=object)
        return np.vectorize(lambda v: POS if v > 0 else NEG if v < 0 else ZERO, otypes=[np.int64])(w)
    if layer.type == "linear":
        W = signs_of(layer.weight)
        z = s.reshape(-1)[None, :]
        can_pos = (((W == POS) & ((z & POS) > 0)) | ((W == NEG) & ((z & NEG) > 0))).any(axis=1)
        can_neg = (((W == POS) & ((z & NEG) > 0)) | ((W == NEG) & ((z & POS) > 0))).any(axis=1)
        b = signs_of(layer.bias) if layer.bias is not None else np.full(W.shape[0], ZERO)
    else:
        from ..derivation.numeric import conv
        Wt = np.asarray(layer.weight, dtype=object)
        wp = np.vectorize(lambda v: 1.0 if v > 0 else 0.0, otypes=[float])(Wt)
        wn = np.vectorize(lambda v: 1.0 if v < 0 else 0.0, otypes=[float])(Wt)
        zp, zn = ((s & POS) > 0).astype(float)[None], ((s & NEG) > 0).astype(float)[None]
        spec = dataclasses.replace(layer.spec, bias=False)
        can_pos = (conv(zp, wp, spec)[0] + conv(zn, wn, spec)[0]) > 0
        can_neg = (conv(zn, wp, spec)[0] + conv(zp, wn, spec)[0]) > 0
        n_out = layer.weight.shape[0]
        b = signs_of(layer.bias) if layer.bias is not None else np.full(n_out, ZERO)
        b = b.reshape((n_out,) + (1,) * (can_pos.ndim - 1))
    pos = can_pos | (b == POS)
    neg = can_neg | (b == NEG)
    # zero taken as always possible (only whether a value can be positive matters to a ReLU after it)
    return np.where(pos, POS, 0) | np.where(neg, NEG, 0) | ZERO
