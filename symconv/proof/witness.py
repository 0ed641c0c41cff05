"""A refutation's witness: the formula and the definition's derivative evaluated at the counterexample's sizes.

The all-sizes prover (:mod:`.presburger`) finds the smallest sizes where a closed form differs from the
definition by reading both as Presburger sets. A refutation is only reported when plain evaluation agrees:
the formula evaluated by its operators (:mod:`symconv.derivation.ops`) and the derivative of the definition
y = correlate(pad(x, P), h) (+ b) evaluated directly, on the same random integers, once exactly (Python
integers) and once in float64, differ there (in shape, in a value, or because the formula cannot be
evaluated at those sizes). A counterexample that does not hold is no refutation: the claim is undecided.

The definition's derivative is taken entry by entry from y: L = Σ g·y is linear in x, so ∂L/∂x[u] is
Σ g·y(e_u, h) for the unit array e_u (all of them at once, as one batch); ∂L/∂h[e] likewise with
y(x, e_e); ∂L/∂b[o] = Σ g[:, o], the derivative of y's ``+ b[o]``.
"""

from __future__ import annotations

import functools
from typing import Any, Sequence

import numpy as np

from ..derivation import ops
from ..derivation.index import Symbols
from ..errors import SymconvError

#: The largest value of each operator parameter, as a configuration's own limits (README: kernel size,
#: stride, dilation 1,024 per axis; padding and channels 4,096): beyond them evaluating would allocate
#: gigabytes (a dilation of 10^7), so claims are refused over them and nothing over them is evaluated.
MAX_VALUE = {"stride": 1024, "dilation": 1024, "dilation factor": 1024, "groups": 4096, "padding": 4096,
             "kernel size": 1024, "output size": 1 << 20}
MAX_ENTRIES = 2_000_000          # entries of the unit-array batch evaluated at once; beyond it: not checked
MAX_WORK = 20_000_000            # products the definition's derivative takes (its loop over kernel entries)


def _cost(target: str, shapes: dict[str, tuple[int, ...]], out: tuple[int, ...], groups: int) -> str:
    """What evaluating at these shapes would allocate or compute beyond the bounds, counted from the shapes
    alone before any array is made ("" when within them): the random tensors, the buffer of the definition's
    correlation (output entries × kernel window × channels of a group, for every unit array at once for ∂L/∂x)
    and the products of its loop (once per kernel entry for ∂L/∂h). A kernel of 1024³ entries is 8 GiB of
    random integers alone."""
    count = {k: int(np.prod(v, dtype=object)) for k, v in shapes.items()}
    made = sum(count.values())
    if made > MAX_ENTRIES:
        return f"random tensors of {made:,} entries (bound {MAX_ENTRIES:,})"
    n, c = shapes["x"][:2]
    window = int(np.prod(shapes["h"][2:], dtype=object)) * (c // max(groups, 1))
    outputs = int(np.prod(out, dtype=object)) * shapes["g"][1]
    if target == "grad_input":
        buffer = count["x"] // max(n, 1) * outputs * window
        if buffer > MAX_ENTRIES:
            return f"a buffer of {buffer:,} entries for the definition's derivative (bound {MAX_ENTRIES:,})"
    elif target == "grad_weight":
        work = count["h"] * n * outputs * window
        if work > MAX_WORK:
            return f"{work:,} products for the definition's derivative (bound {MAX_WORK:,})"
    return ""


def _forward(pads: Sequence[tuple[int, int]], stride: tuple[int, ...], dilation: tuple[int, ...],
             groups: int) -> ops.Expr:
    return ops.Correlate(ops.pad(ops.Tensor("x"), tuple(pads)), ops.Tensor("h"), stride, dilation, groups)


def _forward_transposed(cx: Any) -> ops.Expr:
    """The transposed convolution's y in the operators (as :func:`symconv.derivation.numeric.forward_expr`)."""
    widths = tuple((d * (k - 1) - lo, d * (k - 1) - hi + r) for k, d, (lo, hi), r in zip(
        cx.kernel_size, cx.dilation, cx.pads, cx.output_padding))
    return ops.Correlate(ops.pad(ops.dilate(ops.Tensor("x"), cx.stride), widths),
                         ops.Rot180(ops.SwapIO(ops.Tensor("h"), cx.groups), cx.ndim), (1,) * cx.ndim, cx.dilation,
                         cx.groups)


def _truth(target: str, env: dict[str, np.ndarray], forward: ops.Expr) -> np.ndarray:
    """∂L/∂target of L = Σ g·y, y the definition, from y alone (see the module)."""
    x, h, g = env["x"], env["h"], env["g"]
    if target == "grad_bias":
        return g.sum(axis=(0,) + tuple(range(2, g.ndim)))
    if target == "grad_output":            # ∂L/∂g = y (without the bias, which is not a monomial of x and h)
        return forward.evaluate({"x": x, "h": h})
    own = x if target == "grad_input" else h
    per = int(np.prod(own.shape[1:])) if target == "grad_input" else int(np.prod(own.shape))
    if per * int(np.prod(g.shape[1:])) * (1 if target == "grad_input" else g.shape[0]) > MAX_ENTRIES:
        raise _TooLarge(f"{per} entries")
    units = np.zeros((per, per), dtype=own.dtype)      # Python's 0 and 1 in an exact (object) array
    for k in range(per):
        units[k, k] = 1
    if target == "grad_input":
        y = forward.evaluate({"x": units.reshape((per,) + own.shape[1:]), "h": h})     # per, O, out...
        grad = np.tensordot(g.reshape(g.shape[0], -1), y.reshape(per, -1), axes=([1], [1]))
        return grad.reshape(own.shape)
    out = np.empty(per, dtype=own.dtype)
    for k in range(per):
        y = forward.evaluate({"x": x, "h": units[k].reshape(own.shape)})
        out[k] = (g * y).sum()
    return out.reshape(own.shape)


def _over_limit(parts: tuple[ops.Expr, ...], sizes: dict[Any, int]) -> str:
    """An operator parameter whose value at these sizes would make evaluating allocate beyond the
    configuration's limits ("" when none)."""
    for part in parts:
        for node in ops.nodes(part):
            for what, value, _ in ops.parameters(node):
                try:
                    at = int(value.xreplace(sizes)) if hasattr(value, "xreplace") else int(value)
                except (TypeError, ValueError, ZeroDivisionError):
                    continue                      # not a number here: evaluating says why
                if abs(at) > MAX_VALUE[what]:
                    return f"{what} {at} is over {MAX_VALUE[what]:,}"
    return ""


class _TooLarge(Exception):
    pass


def _unary_truth(cx: Any, x: np.ndarray, g: np.ndarray) -> np.ndarray:
    """∂L/∂x of slicing or padding from its definition alone: L = Σ g·y(e_u) for each unit array e_u, y by
    NumPy's own slicing (x[..., P : P + S(H^o − 1) + 1 : S]) or zero padding."""
    ho = [cx.sizes[f"Ho{k + 1}" if cx.ndim > 1 else "Ho"] for k in range(cx.ndim)]
    out = np.zeros(x.shape, dtype=x.dtype)
    flat = out.reshape(-1)
    for k in range(x.size):
        unit = np.zeros(x.size, dtype=x.dtype)
        unit[k] = 1
        unit = unit.reshape(x.shape)
        if cx.op == "slice":
            y = unit[(slice(None), slice(None)) + tuple(slice(a, a + s * (n - 1) + 1, s) for a, s, n in zip(
                cx._axis("P"), cx.stride, ho))]
        else:
            y = np.pad(unit, ((0, 0), (0, 0)) + tuple(zip(cx._axis("P"), cx._axis("Q"))))
        flat[k] = (g * y).sum() if y.shape == g.shape else None
    return out


def _witnessed_unary(cx: Any, parts: tuple[ops.Expr, ...], seed: int) -> tuple[bool, str]:
    sym = Symbols(cx.ndim, False)
    sizes = {sym.N: cx.batch, sym.C: cx.sizes["C"]}
    for k in range(cx.ndim):
        sizes.update({sym.H[k]: cx.input_size[k], sym.Ho[k]: cx.sizes[f"Ho{k + 1}" if cx.ndim > 1 else "Ho"],
                      sym.P[k]: cx._axis("P")[k], sym.S[k]: cx.stride[k]})
    x_shape = (cx.batch, cx.sizes["C"]) + cx.input_size
    g_shape = (cx.batch, cx.sizes["C"]) + tuple(sizes[h] for h in sym.Ho)
    if int(np.prod(x_shape)) * int(np.prod(g_shape)) > MAX_ENTRIES:
        return False, "too large to evaluate"
    rng = np.random.default_rng(seed)
    x, g = rng.integers(-50, 51, x_shape).astype(object), rng.integers(-50, 51, g_shape).astype(object)
    want = _unary_truth(cx, x, g)
    return differs(parts, x, g, sizes, want)


def differs(parts: tuple[ops.Expr, ...], x: np.ndarray, g: np.ndarray, sizes: Any, want: np.ndarray
            ) -> tuple[bool, str]:
    """Whether the formula (the sum of ``parts``) differs from ``want``, ∂L/∂x of an operator of one input at
    these x and g, and where: a formula that cannot be evaluated there, or has another shape, differs."""
    try:
        got = np.asarray(functools.reduce(ops.AddBias, parts).evaluate({"x": x, "g": g}, sizes))
    except (ValueError, IndexError, KeyError, TypeError, ZeroDivisionError, SymconvError) as exc:
        return True, f"the formula cannot be evaluated there ({exc})"
    if got.shape != want.shape:
        return True, f"its result has shape {got.shape}, the derivative {want.shape}"
    differ = np.argwhere(np.asarray(got != want))
    if len(differ) == 0:
        return False, "the formula equals the derivative there (exactly)"
    at = tuple(int(i) for i in differ[0])
    return True, f"entry {list(at)}: the formula gives {got[at]}, the derivative {want[at]}"


def witnessed(cx: Any, parts: tuple[ops.Expr, ...], seed: int = 18) -> tuple[bool, str]:
    """Whether the counterexample ``cx`` (a :class:`~.presburger.Counterexample`) holds: (True, how it
    differs) or (False, why not)."""
    if getattr(cx, "op", "conv") in ("slice", "pad"):
        return _witnessed_unary(cx, parts, seed)
    sizes = cx.symbol_values(Symbols(cx.ndim, True))
    groups, n = cx.groups, cx.batch
    out = tuple(sizes[s] for s in Symbols(cx.ndim, True).Ho)
    kernel = (cx.in_channels, cx.sizes["O"]) if getattr(cx, "transposed", False) else (cx.out_channels, cx.sizes["C"])
    shapes = {"x": (n, cx.in_channels) + cx.input_size, "h": kernel + cx.kernel_size,
              "g": (n, cx.out_channels) + out, "b": (cx.out_channels,)}
    over = _over_limit(parts, sizes) or _cost(cx.target, shapes, out, groups)     # before anything is made
    try:
        built = ops.largest(functools.reduce(ops.AddBias, parts), shapes, sizes) if parts else 0
    except (ValueError, ZeroDivisionError, SymconvError):
        built = 0                                        # evaluating says why it cannot
    if not over and built > MAX_ENTRIES:
        over = f"an array of {built:,} entries"
    if over:
        return False, f"too large to evaluate: {over}"
    rng = np.random.default_rng(seed)
    ints = {k: rng.integers(-50, 51, v) for k, v in shapes.items()}
    forward = _forward_transposed(cx) if getattr(cx, "transposed", False) else _forward(cx.pads, cx.stride,
                                                                                        cx.dilation, groups)
    verdicts = []
    for dtype in (object, np.float64):
        env = {k: (v.astype(object) if dtype is object else v.astype(np.float64)) for k, v in ints.items()}
        if dtype is object:
            env = {k: np.vectorize(int, otypes=[object])(v) if v.size else v for k, v in env.items()}
        try:
            want = _truth(cx.target, env, forward)
        except _TooLarge as exc:
            return False, f"too large to evaluate ({exc})"
        try:
            # the terms summed as the claim's + sums them (a bias broadcast over data, else entrywise)
            # no term at all (a double backward's ggO claim without one of its forward passes) gives zeros
            got = np.asarray(functools.reduce(ops.AddBias, parts).evaluate(env, sizes)) if parts \
                else np.zeros_like(want)
        except (ValueError, IndexError, KeyError, TypeError, ZeroDivisionError, SymconvError) as exc:
            verdicts.append(f"the formula cannot be evaluated there ({exc})")
            continue
        if got.shape != want.shape:
            verdicts.append(f"its result has shape {got.shape}, the derivative {want.shape}")
            continue
        differ = np.argwhere(np.asarray(got != want))
        if len(differ) == 0:
            return False, f"the formula equals the derivative there ({'exactly' if dtype is object else 'in float64'})"
        at = tuple(int(i) for i in differ[0])
        verdicts.append(f"entry {list(at)}: the formula gives {got[at]}, the derivative {want[at]}")
    return True, verdicts[0]
