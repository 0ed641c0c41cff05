"""The homework's own answers to problem 1, formulas (3) and (6), read literally and tested.

The seed states ∂L/∂x = ∂L/∂y ⊗ h^{rotate 180°} (3) and ∂L/∂h = ∂L/∂y ⊗ x^{rotate 180°} (6). Each reading is
an operator expression (nothing is computed by hand); it is compared with the engine's closed form on small
random integers, and any difference is reported as a concrete counterexample.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace

import numpy as np

from ..derivation import ops
from ..derivation.forms import Derivation, derive_forms
from ..derivation.spec import ConvSpec
from ..errors import UnsupportedError
from . import presburger
from .exact import few_channels


@dataclass(frozen=True)
class SeedClaim:
    label: str            # "(3) as written"
    formula: str          # LaTeX of the reading
    expr: ops.Expr
    target: str           # which gradient it claims to be
    holds: bool
    total: int = 0        # entries compared
    differ: int = 0       # entries that differ
    at: str = ""          # the first differing entry, with the reading's and the gradient's values
    got: str = ""
    want: str = ""
    shape: tuple[str, str] | None = None   # (reading's, gradient's) when they do not even match
    error: str = ""
    every_size: str = ""  # the reading judged for every size: "proved ...", "refuted, at ..." or "undecided ..."
    x_shape: tuple[int, ...] = ()   # the input the readings were evaluated at (N, C_in, spatial sizes)
    out_channels: int = 0           # and the kernel's output channels
    channels_cut: bool = False      # True when the file's channels were more than MAX_CHANNELS (see check_seed)



def _readings(spec: ConvSpec) -> list[tuple[str, str, ops.Expr, str]]:
    g, h, x = ops.Tensor("g"), ops.Tensor("h"), ops.Tensor("x")
    full = tuple((k - 1 - lo, k - 1 - hi) for k, (lo, hi) in zip(spec.kernel_size, spec.pads))  # type: ignore
    gp = ops.pad(g, full)
    return [
        ("(3) as written", r"\frac{\partial L}{\partial y} \otimes h^{\mathrm{rotate}\ 180^\circ}",
         ops.Correlate(gp, ops.Rot180(h, spec.ndim), (1,) * spec.ndim, (1,) * spec.ndim), "grad_input"),
        ("(3) with the channel swap of its formula (2)",
         r"\frac{\partial L}{\partial y} \otimes \operatorname{rot180}(\operatorname{swap}_{io}(h))",
         ops.Correlate(gp, ops.Rot180(ops.SwapIO(h), spec.ndim), (1,) * spec.ndim, (1,) * spec.ndim),
         "grad_input"),
        ("(6) as written", r"\frac{\partial L}{\partial y} \otimes x^{\mathrm{rotate}\ 180^\circ}",
         ops.SwapIO(ops.BatchCorrelate(gp, ops.Rot180(x, spec.ndim), (1,) * spec.ndim, (1,) * spec.ndim)),
         "grad_weight"),
    ]


def check_seed(derivation: Derivation, input_size: tuple[int, ...] | None = None,
               seed: int = 11) -> list[SeedClaim]:
    """Test each reading against the closed form on random integers (both with ∂L/∂y padded by K−1−P).

    The default input is 4×4 (the homework's), or larger where the kernel needs it: at least two outputs
    per axis.
    """
    spec = derivation.spec
    cut = max(spec.in_channels, spec.out_channels) > MAX_CHANNELS
    if cut:
        # The readings differ (or not) in their index maps, not in the channel count; 1,000 channels would
        # cost seconds per entry. The file's own counts are kept up to MAX_CHANNELS (the report says which).
        spec = few_channels(spec)
        derivation = derive_forms(spec)
    if input_size is None:
        input_size = tuple(max(4, k + 1 - lo - hi) for k, (lo, hi) in zip(spec.kernel_size, spec.pads))  # type: ignore
    rng = random.Random(seed)
    out = spec.output_size(input_size)

    def ints(shape: tuple[int, ...]) -> np.ndarray:
        return np.array([rng.randint(-3, 3) for _ in range(int(np.prod(shape)))], dtype=object).reshape(shape)
    env = {"x": ints((1, spec.in_channels) + input_size),
           "h": ints((spec.out_channels, spec.in_channels // spec.groups) + tuple(spec.kernel_size)),  # type: ignore
           "g": ints((1, spec.out_channels) + out)}
    truth = derivation.evaluate(env["x"], env["h"], env["g"])
    claims = []
    for label, formula, expr, target in _readings(spec):
        claims.append(_numeric(spec, env, truth, label, formula, expr, target))
    return [replace(c, every_size=judge(spec, c.expr, c.target), x_shape=env["x"].shape,
                    out_channels=spec.out_channels, channels_cut=cut) for c in claims]


MAX_CHANNELS = 16   # input or output channels up to which the readings are tested at the file's own counts


def judge(spec: ConvSpec, expr: ops.Expr, target: str) -> str:
    """The reading proved or refuted for every size at the spec (isl), as one sentence."""
    grouped = spec.groups > 1
    fixed = presburger.Fixed(tuple(spec.kernel_size), tuple(spec.pads),  # type: ignore[arg-type]
                             spec.groups if grouped else None)
    try:
        proof = presburger.prove(spec.ndim, grouped, spec.bias, tuple(spec.stride),  # type: ignore[arg-type]
                                 tuple(spec.dilation), {target: expr}, fixed, [target])  # type: ignore[arg-type]
    except UnsupportedError as exc:
        return f"undecided ({exc})"
    (result,) = proof.results
    if result.ok:
        return f"proved {proof.statement}"
    if result.counterexample is not None:
        return f"refuted, {result.counterexample}"
    return f"undecided ({result.detail})"


def _numeric(spec: ConvSpec, env: dict[str, np.ndarray], truth: dict[str, np.ndarray], label: str, formula: str,
             expr: ops.Expr, target: str) -> SeedClaim:
    try:
        got = expr.evaluate(env)
    except ValueError as exc:
        return SeedClaim(label, formula, expr, target, False, error=str(exc))
    want = truth[target]
    if got.shape != want.shape:
        return SeedClaim(label, formula, expr, target, False, shape=(str(got.shape), str(want.shape)))
    diff = [idx for idx in np.ndindex(*want.shape) if got[idx] != want[idx]]
    if not diff:
        return SeedClaim(label, formula, expr, target, True, total=want.size)
    idx = diff[0]
    return SeedClaim(label, formula, expr, target, False, total=want.size, differ=len(diff),
                     at=str([int(i) for i in idx]), got=str(got[idx]), want=str(want[idx]))
