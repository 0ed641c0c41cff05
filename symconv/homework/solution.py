"""Problem 2 solved exactly: conv -> ReLU -> fully connected -> softmax -> cross-entropy, and back.

Each layer is written once as a SymPy definition; its local derivative is SymPy's derivative of that
definition (a Jacobian), and the backward pass chains those Jacobians. The convolution's gradients come from
the closed forms of :func:`symconv.derive`. Nothing else computes a gradient.

Every part is then recomputed in float64 from the same expressions (SymPy's lambdify, the closed forms' NumPy
evaluator) and every gradient is checked by central finite differences of L through a plain float forward.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
import sympy as sp

from ..derivation.forms import Derivation
from ..proof.attach import derive
from .inputs import Homework
from ..derivation.numeric import central_difference, conv
from ..derivation.spec import ConvSpec
from ..derivation.exprs import as_expr

# The stated tolerance of each check: reports print "max |Δ| < bound" (what every machine computes the same),
# and the measured value only when it exceeds the bound.
TOLERANCES = {"float64": 1e-12, "finite-difference": 1e-6}

PARTS = ("conv1", "relu1", "fc1", "p", "L", "dL_dp", "dL_dfc1", "dL_drelu1", "dL_dconv1", "dL_dW", "dL_dh",
         "dL_dx")


@dataclass
class Solution:
    homework: Homework
    derivation: Derivation                # of problem 2's convolution
    exact: dict[str, np.ndarray]          # object arrays of SymPy numbers, each in its tensor's own shape
    approx: dict[str, np.ndarray]         # the float64 recomputation
    finite_difference: dict[str, np.ndarray]
    relu_ties: list[tuple[int, ...]]      # conv1 entries exactly 0 (ReLU's derivative taken as 0 there)
    local: dict[str, Any] = field(default_factory=dict)   # the SymPy definitions and derivatives shown

    def max_error(self, name: str, against: str) -> float | None:
        """The largest |exact - float| of a part against the float64 recomputation or finite differences
        (None when that check does not apply). Entries whose difference quotient crosses a ReLU tie are
        left out: at a kink it is one-sided and differs from the derivative taken as 0 there."""
        other = self.approx if against == "float64" else self.finite_difference
        if name not in other:
            return None
        diff = np.abs(_to_float(self.exact[name]) - other[name])
        if against == "finite-difference" and self.relu_ties:
            diff[self._moves_a_tie(name)] = 0.0
        return float(diff.max()) if diff.size else 0.0

    def _moves_a_tie(self, name: str) -> np.ndarray:
        """The entries of part ``name`` whose perturbation moves a conv1 entry that is exactly 0."""
        hw, ties = self.homework, tuple(np.array(self.relu_ties).T)
        shape = self.exact[name].shape
        mask = np.zeros(shape, dtype=bool)
        if name == "dL_dconv1":
            mask[ties] = True
            return mask
        if name not in ("dL_dx", "dL_dh", "dL_dconv_bias"):
            return mask
        x, h = _to_float(hw.x)[None], _to_float(hw.h)
        zero_b = None if hw.conv_bias is None else np.zeros(len(hw.conv_bias))
        for idx in np.ndindex(*shape):
            e = np.zeros(shape)
            e[idx] = 1.0
            # conv is linear in each of x, h, b separately: a unit change of one entry moves conv1 by this.
            moved = (conv(e[None], h, hw.spec, zero_b) if name == "dL_dx" else
                     conv(x, e, hw.spec, zero_b) if name == "dL_dh" else conv(0 * x, 0 * h, hw.spec, e))[0]
            mask[idx] = bool(np.any(moved[ties] != 0))
        return mask

    def _repr_markdown_(self) -> str:
        """In Jupyter: every part with its exact value (LaTeX) and its checks."""
        rows = ["| part | exact | float64 check | finite differences |", "|---|---|---|---|"]
        for name, value in self.exact.items():
            flat = np.asarray(value, dtype=object).reshape(-1)
            shown = ", ".join(sp.latex(v) for v in flat[:6]) + (", \\dots" if flat.size > 6 else "")
            fd = self.max_error(name, "finite-difference")
            rows.append(f"| `{name}` | ${shown}$ | {self.max_error(name, 'float64'):.1e} | "
                        f"{'-' if fd is None else f'{fd:.1e}'} |")
        return "\n".join(rows)


def _to_float(a: np.ndarray) -> np.ndarray:
    return np.vectorize(lambda v: float(sp.N(v, 30)), otypes=[float])(a)


def _cancel(a: np.ndarray) -> np.ndarray:
    """Each entry as one reduced fraction (cheap: every entry is a rational function of a few symbols)."""
    return np.vectorize(lambda v: sp.cancel(v), otypes=[object])(a)


def _exponentials(fc1: np.ndarray) -> tuple[dict[sp.Symbol, Any], dict[sp.Symbol, Any]]:
    """Values for the softmax's inputs as ``c + log E_j`` with c = max fc1 and E_j = exp(fc1_j - c) > 0.

    Softmax and its Jacobian are then rational functions of the E_j (exp(c) cancels), which SymPy reduces
    quickly; at the end each E_j is replaced by its exponential. Where fc1_j = c, E_j is just 1.
    """
    c = max(fc1)
    values, back = {}, {}
    for j, v in enumerate(fc1):
        if v == c:
            values[j] = c
        else:
            E = sp.Symbol(f"E{j + 1}", positive=True)
            values[j] = c + sp.log(E)
            back[E] = sp.exp(v - c)
    return values, back


def layer_definitions(n: int, m: int, target: int) -> dict[str, Any]:
    """Each layer as SymPy expressions of its own symbols, with SymPy's derivatives of them."""
    z = sp.Symbol("z", real=True)
    relu = sp.Max(z, 0)
    # SymPy's derivative of max(z, 0) is Heaviside(z); PyTorch's convention at z = 0 is 0, so Heaviside(z, 0).
    drelu = sp.diff(relu, z).replace(sp.Heaviside, lambda arg, *rest: sp.Heaviside(arg, 0))
    r = sp.Matrix(sp.symbols(f"r1:{n + 1}"))
    W = sp.Matrix(m, n, sp.symbols(f"W1:{m * n + 1}"))
    b = sp.Matrix(sp.symbols(f"b1:{m + 1}"))
    fc = W * r + b
    f = sp.Matrix(sp.symbols(f"f1:{m + 1}"))
    total = sum(sp.exp(v) for v in f)
    softmax = sp.Matrix([sp.exp(v) / total for v in f])
    q = sp.Matrix(sp.symbols(f"p1:{m + 1}", positive=True))
    y = [1 if i + 1 == target else 0 for i in range(m)]
    loss = -sum(yi * sp.log(qi) for yi, qi in zip(y, q))
    return {"z": z, "relu": relu, "drelu": drelu, "r": r, "W": W, "b": b, "fc": fc,
            "dfc_dr": fc.jacobian(r), "dfc_dW": fc.jacobian(list(W)), "dfc_db": fc.jacobian(b),
            "f": f, "softmax": softmax, "dsoftmax": softmax.jacobian(f), "q": q, "y": y, "loss": loss,
            "dloss": sp.Matrix([loss]).jacobian(q)}


def _subs(expr: sp.Matrix, values: dict[sp.Symbol, Any]) -> sp.Matrix:
    return expr.xreplace(values)


def solve(hw: Homework) -> Solution:
    spec = hw.spec
    m, n = hw.fc_weight.shape
    d = layer_definitions(n, m, hw.target)
    derivation = derive(spec)
    x4 = hw.x[None]
    conv1 = conv(x4, hw.h, spec, hw.conv_bias)[0]
    relu_at = np.vectorize(lambda v: d["relu"].xreplace({d["z"]: v}), otypes=[object])
    drelu_at = np.vectorize(lambda v: d["drelu"].xreplace({d["z"]: v}), otypes=[object])
    relu1 = relu_at(conv1)
    r = relu1.reshape(-1)
    bias = hw.fc_bias if hw.fc_bias is not None else np.zeros(m, dtype=object)
    values = {**dict(zip(d["r"], r)), **dict(zip(list(d["W"]), hw.fc_weight.reshape(-1))),
              **dict(zip(d["b"], bias))}
    fc1 = np.array(_subs(d["fc"], values), dtype=object).reshape(m)
    shifted, back = _exponentials(fc1)
    fvals = {d["f"][j]: v for j, v in shifted.items()}
    p = _cancel(np.array(_subs(d["softmax"], fvals), dtype=object).reshape(m))
    qvals = dict(zip(d["q"], p))
    L = d["loss"].xreplace(qvals)
    # Backward: each step multiplies by the transpose of the layer's Jacobian (SymPy's derivative).
    dL_dp = _cancel(np.array(_subs(d["dloss"], qvals), dtype=object).reshape(m))
    dL_dfc1 = _cancel(np.array(_subs(d["dsoftmax"], fvals).T * sp.Matrix(dL_dp), dtype=object).reshape(m))
    dL_dr = np.array(_subs(d["dfc_dr"], values).T * sp.Matrix(dL_dfc1), dtype=object).reshape(-1)
    dL_drelu1 = _cancel(dL_dr.reshape(relu1.shape))
    dL_dconv1 = drelu_at(conv1) * dL_drelu1
    dL_dW = _cancel(np.array(_subs(d["dfc_dW"], values).T * sp.Matrix(dL_dfc1), dtype=object).reshape(m, n))
    grads = derivation.evaluate(x4, hw.h, dL_dconv1[None])
    exact = {"conv1": conv1, "relu1": relu1, "fc1": fc1, "p": p, "L": np.array(L, dtype=object),
             "dL_dp": dL_dp, "dL_dfc1": dL_dfc1, "dL_drelu1": dL_drelu1, "dL_dconv1": dL_dconv1,
             "dL_dW": dL_dW, "dL_dh": _cancel(grads["grad_weight"]), "dL_dx": _cancel(grads["grad_input"][0])}
    if hw.conv_bias is not None:
        exact["dL_dconv_bias"] = _cancel(grads["grad_bias"])
    if hw.fc_bias is not None:
        exact["dL_dfc_bias"] = _cancel(np.array(_subs(d["dfc_db"], values).T * sp.Matrix(dL_dfc1),
                                                dtype=object).reshape(m))
    if back:
        # For display: the entries as rational functions of the E_j, before the exponentials go back in.
        d["E"], d["in_E"] = back, dict(exact)
        to_exp = np.vectorize(lambda v: as_expr(v).xreplace(back), otypes=[object])
        exact = {k: to_exp(v) for k, v in exact.items()}
        exact["L"] = np.array(sp.expand_log(exact["L"][()], force=True), dtype=object)
    ties = [tuple(int(i) for i in idx) for idx in np.ndindex(*conv1.shape) if conv1[idx] == 0]
    approx = float_recompute(hw, d, derivation)
    fd = finite_differences(hw, approx)
    return Solution(hw, derivation, exact, approx, fd, ties, d)


def float_recompute(hw: Homework, d: dict[str, Any], derivation: Derivation) -> dict[str, np.ndarray]:
    """Every part again in float64, from the same expressions (lambdified) and the closed forms (NumPy)."""
    m, n = hw.fc_weight.shape
    x4, h = _to_float(hw.x)[None], _to_float(hw.h)
    W = _to_float(hw.fc_weight)
    b = np.zeros(m) if hw.fc_bias is None else _to_float(hw.fc_bias)
    cb = None if hw.conv_bias is None else _to_float(hw.conv_bias)
    relu = np.vectorize(sp.lambdify(d["z"], d["relu"], "numpy"), otypes=[float])
    drelu = np.vectorize(sp.lambdify(d["z"], d["drelu"], {"Heaviside": lambda v, h0: np.heaviside(v, h0)}),
                         otypes=[float])
    args_fc = list(d["r"]) + list(d["W"]) + list(d["b"])
    fc = sp.lambdify(args_fc, d["fc"], "numpy")
    dfc_dr = sp.lambdify(args_fc, d["dfc_dr"], "numpy")
    dfc_dW = sp.lambdify(args_fc, d["dfc_dW"], "numpy")
    dfc_db = sp.lambdify(args_fc, d["dfc_db"], "numpy")
    softmax = sp.lambdify(list(d["f"]), d["softmax"], "numpy")
    dsoftmax = sp.lambdify(list(d["f"]), d["dsoftmax"], "numpy")
    loss = sp.lambdify(list(d["q"]), d["loss"], "numpy")
    dloss = sp.lambdify(list(d["q"]), d["dloss"], "numpy")

    conv1 = conv(x4, h, hw.spec, cb)[0]
    relu1 = relu(conv1)
    r = relu1.reshape(-1)
    fc_args = list(r) + list(W.reshape(-1)) + list(b)
    fc1 = np.asarray(fc(*fc_args), dtype=float).reshape(m)
    # exp(fc1) overflows for large logits; softmax is shift-invariant, so evaluate at fc1 - max(fc1).
    shifted = fc1 - fc1.max()
    p = np.asarray(softmax(*shifted), dtype=float).reshape(m)
    L = np.asarray(loss(*p), dtype=float)
    dL_dp = np.asarray(dloss(*p), dtype=float).reshape(m)
    dL_dfc1 = np.asarray(dsoftmax(*shifted), dtype=float).T @ dL_dp
    dL_dr = np.asarray(dfc_dr(*fc_args), dtype=float).T @ dL_dfc1
    dL_drelu1 = dL_dr.reshape(relu1.shape)
    dL_dconv1 = drelu(conv1) * dL_drelu1
    dL_dW = (np.asarray(dfc_dW(*fc_args), dtype=float).T @ dL_dfc1).reshape(m, n)
    grads = derivation.evaluate(x4, h, dL_dconv1[None])
    out = {"conv1": conv1, "relu1": relu1, "fc1": fc1, "p": p, "L": L, "dL_dp": dL_dp, "dL_dfc1": dL_dfc1,
           "dL_drelu1": dL_drelu1, "dL_dconv1": dL_dconv1, "dL_dW": dL_dW, "dL_dh": grads["grad_weight"],
           "dL_dx": grads["grad_input"][0]}
    if cb is not None:
        out["dL_dconv_bias"] = grads["grad_bias"]
    if hw.fc_bias is not None:
        out["dL_dfc_bias"] = np.asarray(dfc_db(*fc_args), dtype=float).T @ dL_dfc1
    return out


def _plain_forward(hw: Homework) -> dict[str, Callable[..., float]]:
    """L as a float function of each intermediate, by a plain forward pass (no derivative anywhere)."""
    m, _ = hw.fc_weight.shape
    t = hw.target - 1
    x0, h0, W0 = _to_float(hw.x)[None], _to_float(hw.h), _to_float(hw.fc_weight)
    b0 = np.zeros(m) if hw.fc_bias is None else _to_float(hw.fc_bias)
    cb0 = None if hw.conv_bias is None else _to_float(hw.conv_bias)

    def from_p(p: np.ndarray) -> float:
        return float(-np.log(p[t]))

    def from_fc(f: np.ndarray) -> float:
        e = np.exp(f - f.max())
        return from_p(e / e.sum())

    def from_relu(r: np.ndarray, W: np.ndarray = W0, b: np.ndarray = b0) -> float:
        return from_fc(W @ r.reshape(-1) + b)

    def from_conv(c: np.ndarray) -> float:
        return from_relu(np.maximum(c, 0.0))

    def from_params(x: np.ndarray = x0, h: np.ndarray = h0, cb: np.ndarray | None = cb0) -> float:
        return from_conv(conv(x, h, hw.spec, cb)[0])

    return {"p": from_p, "fc": from_fc, "relu": from_relu, "conv": from_conv, "params": from_params,
            "W": lambda W: from_relu(np.maximum(conv(x0, h0, hw.spec, cb0)[0], 0.0), W=W),
            "b": lambda b: from_relu(np.maximum(conv(x0, h0, hw.spec, cb0)[0], 0.0), b=b)}


def finite_differences(hw: Homework, approx: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Central differences of L with respect to every quantity a gradient is reported for."""
    f = _plain_forward(hw)
    out = {"dL_dp": central_difference(f["p"], approx["p"]),
           "dL_dfc1": central_difference(f["fc"], approx["fc1"]),
           "dL_drelu1": central_difference(f["relu"], approx["relu1"]),
           "dL_dconv1": central_difference(f["conv"], approx["conv1"]),
           "dL_dW": central_difference(f["W"], _to_float(hw.fc_weight)),
           "dL_dh": central_difference(lambda h: f["params"](h=h), _to_float(hw.h)),
           "dL_dx": central_difference(lambda x: f["params"](x=x[None]), _to_float(hw.x))}
    if hw.conv_bias is not None:
        out["dL_dconv_bias"] = central_difference(lambda c: f["params"](cb=c), _to_float(hw.conv_bias))
    if hw.fc_bias is not None:
        out["dL_dfc_bias"] = central_difference(f["b"], _to_float(hw.fc_bias))
    return out


def problem1_spec(hw: Homework) -> ConvSpec:
    """Problem 1's setting (3x3 kernel, padding 1, stride 1) with problem 2's channel counts."""
    return ConvSpec(hw.spec.in_channels, hw.spec.out_channels, 3, padding=1)
