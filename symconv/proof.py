"""Exact proofs at concrete sizes: every closed form against SymPy's derivative of the definition.

Each entry of x, h, g (and b) is its own SymPy symbol. L = Σ g·y is built from the *definition* (the same
index expression the engine differentiates, summed out at concrete sizes, never from the closed forms), then
``sympy.diff`` gives every entry of every gradient, and the closed form, evaluated on arrays of symbols by
its exact evaluator, must agree with it as a polynomial.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import sympy as sp

from .derive import Derivation, check_shapes, derive_general
from .engine import base_tensors, definition
from .index import evaluate_term
from .spec import ConvSpec

_NAMES = {"grad_input": "x", "grad_weight": "h", "grad_bias": "b"}


@dataclass(frozen=True)
class Proof:
    ok: bool
    checked: int
    detail: str


def symbol_array(name: str, shape: tuple[int, ...]) -> np.ndarray:
    """An object array whose entries are the symbols ``name_i_j_...``."""
    out = np.empty(shape, dtype=object)
    for idx in np.ndindex(*shape):
        out[idx] = sp.Symbol(f"{name}_{'_'.join(map(str, idx))}")
    return out


def small_input_size(spec: ConvSpec, extra: int = 1) -> tuple[int, ...]:
    """The smallest spatial size the kernel fits in, plus ``extra`` (so the output has a few entries)."""
    sizes = []
    for k, d, (lo, hi) in zip(spec.kernel_size, spec.dilation, spec.pads):  # type: ignore[arg-type]
        sizes.append(max(1, d * (k - 1) + 1 - lo - hi) + extra)
    return tuple(sizes)


def definition_loss(spec: ConvSpec, env: dict[str, np.ndarray]) -> sp.Expr:
    """L = Σ g·y at concrete sizes, summed out from the index expression of the definition."""
    sym = derive_general(spec.ndim, spec.groups > 1, spec.bias).sym
    _, _, terms = definition(sym, spec.bias)
    tensors = base_tensors(sym)
    x = env["x"]
    sizes = {sym.N: x.shape[0], sym.G: spec.groups, sym.C: spec.in_channels // spec.groups,
             sym.O: spec.out_channels // spec.groups}
    out = spec.output_size(tuple(x.shape[2:]))
    for k, (K, S, D, (lo, _)) in enumerate(zip(spec.kernel_size, spec.stride, spec.dilation,  # type: ignore
                                               spec.pads)):
        sizes.update({sym.K[k]: K, sym.S[k]: S, sym.D[k]: D, sym.P[k]: lo, sym.H[k]: x.shape[2 + k],
                      sym.Ho[k]: out[k]})
    return sp.Add(*[evaluate_term(t, tensors, env, sizes, {}) for t in terms])


def prove(derivation: Derivation, input_size: tuple[int, ...] | None = None, batch: int = 1) -> Proof:
    """Prove the derivation's closed forms exactly at one concrete size."""
    spec = derivation.spec
    size = input_size or small_input_size(spec)
    out = spec.output_size(size)
    env = {"x": symbol_array("x", (batch, spec.in_channels) + size),
           "h": symbol_array("h", (spec.out_channels, spec.in_channels // spec.groups)
                             + tuple(spec.kernel_size)),  # type: ignore[operator]
           "g": symbol_array("g", (batch, spec.out_channels) + out)}
    if spec.bias:
        env["b"] = symbol_array("b", (spec.out_channels,))
    check_shapes(spec, env["x"], env["h"], env["g"])
    L = sp.expand(definition_loss(spec, env))
    got = derivation.evaluate(env["x"], env["h"], env["g"])
    checked = 0
    for name, values in got.items():
        wrt = env[_NAMES[name]]
        for idx in np.ndindex(*wrt.shape):
            expected = sp.diff(L, wrt[idx])
            if sp.expand(values[idx] - expected) != 0:
                return Proof(False, checked, f"{name}{list(idx)}: closed form gives {values[idx]}, "
                                             f"the derivative of the definition is {expected}")
            checked += 1
    return Proof(True, checked, f"{checked} entries equal to the derivative of the definition "
                                f"(input {batch}x{spec.in_channels}x{'x'.join(map(str, size))})")
