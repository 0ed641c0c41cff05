"""Exact proofs at concrete sizes: every closed form against SymPy's derivative of the definition.

Each entry of x, h, g (and b) is its own variable of an integer polynomial (:mod:`symconv.poly`). L = Σ g·y
is built from the *definition* (the same index expression the engine differentiates, summed out at concrete
sizes, never from the closed forms); its derivative by each variable gives every entry of every gradient, and
the closed form, evaluated on arrays of variables by its exact evaluator, must equal it as a polynomial.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .derivation import Derivation, check_shapes, derive_general, sizes_at
from .engine import base_tensors, definition
from .index import evaluate_term
from .poly import Poly
from .spec import ConvSpec

_NAMES = {"grad_input": "x", "grad_weight": "h", "grad_bias": "b"}


@dataclass(frozen=True)
class Proof:
    ok: bool
    checked: int
    detail: str
    size: str = ""       # the input's shape, e.g. "1x2x4x4"


def symbol_array(name: str, shape: tuple[int, ...], names: list[str]) -> np.ndarray:
    """An object array of fresh polynomial variables ``name_i_j_...`` (their names appended to ``names``)."""
    out = np.empty(shape, dtype=object)
    for idx in np.ndindex(*shape):
        out[idx] = Poly.var(len(names))
        names.append(f"{name}_{'_'.join(map(str, idx))}")
    return out


def small_input_size(spec: ConvSpec, outputs: int = 3, remainder: int = 0) -> tuple[int, ...]:
    """The smallest spatial size with ``outputs`` output positions per axis, plus ``remainder`` (< stride).

    At least two outputs per axis are needed for a proof to see the stride and the dilation at all.
    """
    sizes = []
    for k, s, d, (lo, hi) in zip(spec.kernel_size, spec.stride, spec.dilation, spec.pads):  # type: ignore
        sizes.append(max(1, s * (outputs - 1) + d * (k - 1) + 1 - lo - hi) + min(remainder, s - 1))
    return tuple(sizes)


def definition_loss(spec: ConvSpec, env: dict[str, np.ndarray]) -> Any:
    """L = Σ g·y at concrete sizes, summed out from the index expression of the definition."""
    sym = derive_general(spec.ndim, spec.groups > 1, spec.bias).sym
    _, _, terms = definition(sym, spec.bias)
    tensors = base_tensors(sym)
    x = env["x"]
    sizes = sizes_at(spec, sym, tuple(x.shape[2:]), x.shape[0])
    return sum((evaluate_term(t, tensors, env, sizes, {}) for t in terms), Poly())


def prove(derivation: Derivation, input_size: tuple[int, ...] | None = None, batch: int = 1) -> Proof:
    """Prove the derivation's closed forms exactly at one concrete size."""
    spec = derivation.spec
    size = input_size or small_input_size(spec)
    out = spec.output_size(size)
    names: list[str] = []
    env = {"x": symbol_array("x", (batch, spec.in_channels) + size, names),
           "h": symbol_array("h", (spec.out_channels, spec.in_channels // spec.groups)
                             + tuple(spec.kernel_size), names),  # type: ignore[operator]
           "g": symbol_array("g", (batch, spec.out_channels) + out, names)}
    if spec.bias:
        env["b"] = symbol_array("b", (spec.out_channels,), names)
    check_shapes(spec, env["x"], env["h"], env["g"])
    L = definition_loss(spec, env)
    try:
        got = derivation.evaluate(env["x"], env["h"], env["g"])
    except (ValueError, IndexError) as exc:
        return Proof(False, 0, f"the closed forms cannot be evaluated at this size: {exc}")
    checked = 0
    for name, values in got.items():
        wrt = env[_NAMES[name]]
        if values.shape != wrt.shape:
            return Proof(False, checked, f"{name} has shape {values.shape}, {_NAMES[name]} has {wrt.shape}")
        for idx in np.ndindex(*wrt.shape):
            (var,) = next(iter(wrt[idx].terms))
            expected = L.diff(var)
            given = Poly.lift(values[idx])
            if given != expected:
                return Proof(False, checked, f"{name}{list(idx)}: closed form gives {given.show(names)}, "
                                             f"the derivative of the definition is {expected.show(names)}")
            checked += 1
    shape = f"{batch}x{spec.in_channels}x{'x'.join(map(str, size))}"
    return Proof(True, checked, f"{checked} entries equal to the derivative of the definition (input {shape})",
                 shape)
