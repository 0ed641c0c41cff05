"""Deliberately wrong closed forms, to show that every check fails on them.

>>> from symconv import ConvSpec, derive
>>> print(mutate(derive(ConvSpec(2, 2, 3, padding=1)).grad_input, "no_rotation"))
correlate(pad(g, 1), swap_io(h))
"""

from __future__ import annotations

import dataclasses

from typing import Any

from ..derivation import ops
from ..derivation.ops_fold import Fold, Unfold
from ..derivation.pooling import Divide, Divisor
from ..errors import SpecError

KINDS = ("no_rotation", "no_swap", "pad_off_by_one", "no_dilation")
# A transposed convolution's gradients have no rotation or swap to drop: its mutants misplace the output
# padding or rotate the kernel as a convolution's ∂L/∂x would.
TRANSPOSED_KINDS = ("output_padding_wrong_side", "extra_rotation")
# unfold's gradient is a fold and fold's an unfold: a fold padded one more, an unfold with its stride and
# dilation exchanged, and either with its last block (window) left out.
FOLD_KINDS = ("fold_padding_off_by_one", "unfold_stride_dilation_swapped", "missing_window")
# Average pooling's: a divisor off by one (a constant plus one; a count's window one longer) and
# count_include_pad flipped (the clipped window's length against its real entries).
POOL_KINDS = ("divisor_off_by_one", "count_include_pad_flipped")


def mutate(expr: ops.Expr, kind: str) -> ops.Expr:
    """Drop a rotation, a channel swap or a dilation, shift the first padding by one, put the padding after an
    axis before it (a transposed convolution's output padding on the wrong side), or rotate a kernel that
    is read unrotated."""
    known = KINDS + TRANSPOSED_KINDS + FOLD_KINDS + POOL_KINDS
    if kind not in known:
        raise ValueError(f"unknown mutant {kind!r}; known: {', '.join(known)}")

    def walk(e: ops.Expr) -> ops.Expr:
        if kind in FOLD_KINDS and isinstance(e, (Fold, Unfold)):
            return _window_mutant(e, kind, walk)
        if kind in POOL_KINDS and isinstance(e, Divide):
            return Divide(walk(e.arg), _pool_divisor(e.divisor, kind))
        if kind == "no_rotation" and isinstance(e, ops.Rot180):
            return walk(e.arg)
        if kind == "no_swap" and isinstance(e, ops.SwapIO):
            return walk(e.arg)
        if kind == "no_dilation" and isinstance(e, ops.Dilate):
            return walk(e.arg)
        if kind == "no_dilation" and isinstance(e, ops.BatchCorrelate):
            # The weight gradient meets the stride as its dilation: forgetting the stride drops it there too.
            return ops.BatchCorrelate(walk(e.data), walk(e.kernel), e.stride, (1,) * len(e.dilation), e.groups)
        if kind == "output_padding_wrong_side" and isinstance(e, ops.Pad):
            return ops.Pad(walk(e.arg), tuple((hi, lo) for lo, hi in e.widths))
        if kind == "extra_rotation" and isinstance(e, ops.Correlate) and not isinstance(e.kernel, ops.Rot180):
            return dataclasses.replace(e, data=walk(e.data), kernel=ops.Rot180(walk(e.kernel), len(e.stride)))
        if kind == "pad_off_by_one" and isinstance(e, ops.Pad):
            widths = ((e.widths[0][0] + 1, e.widths[0][1] - 1),) + tuple(e.widths[1:])
            return ops.Pad(walk(e.arg), widths)
        changes = {f.name: walk(getattr(e, f.name)) for f in dataclasses.fields(e)  # type: ignore[arg-type]
                   if isinstance(getattr(e, f.name), ops.Expr)}
        return dataclasses.replace(e, **changes)  # type: ignore[type-var]
    return walk(expr)


def _drop_last_block(e: ops.Expr, ndim: int) -> ops.Expr:
    # The last block on the first axis read as zeros: its entries cropped, then zeros padded back. A pad acts
    # on the last ndim axes, the blocks of the (n, c, a..., i...) columns.
    cut = ((0, -1),) + ((0, 0),) * (ndim - 1)
    return ops.Pad(ops.Pad(e, cut), tuple((-lo, -hi) for lo, hi in cut))


def _window_mutant(e: ops.Expr, kind: str, walk: Any) -> ops.Expr:
    arg = walk(e.arg)  # type: ignore[attr-defined]
    ndim = len(e.kernel)  # type: ignore[attr-defined]
    if kind == "fold_padding_off_by_one" and isinstance(e, Fold):
        return dataclasses.replace(e, arg=arg, padding=(e.padding[0] + 1,) + tuple(e.padding[1:]))
    if kind == "unfold_stride_dilation_swapped" and isinstance(e, Unfold):
        return dataclasses.replace(e, arg=arg, stride=e.dilation, dilation=e.stride)
    if kind == "missing_window":
        return dataclasses.replace(e, arg=_drop_last_block(arg, ndim)) if isinstance(e, Fold) \
            else _drop_last_block(dataclasses.replace(e, arg=arg), ndim)
    return dataclasses.replace(e, arg=arg)


def _pool_divisor(d: Divisor, kind: str) -> Divisor:
    if kind == "divisor_off_by_one":
        if d.kind == "constant":
            return dataclasses.replace(d, value=d.value + 1)
        return dataclasses.replace(d, kernel=(d.kernel[0] + 1,) + tuple(d.kernel[1:]))
    if d.kind in ("count", "valid_count"):
        return dataclasses.replace(d, kind="valid_count" if d.kind == "count" else "count")
    return d        # a constant (the kernel count, an override) has no padding to count


def mutate_derivation(derivation, kind: str):  # type: ignore[no-untyped-def]
    """The derivation with every closed form mutated.

    A mutant that changes nothing (``no_dilation`` at stride 1, ``no_swap`` with one channel each way ...)
    is not a mutant: :class:`SpecError` says so rather than let a self-test pass.
    """
    forms = {k: mutate(v, kind) for k, v in derivation.closed_forms.items()}
    if forms == derivation.closed_forms:
        raise SpecError(f"--mutant {kind} does not change the closed forms of {derivation.spec.describe()}"
                        f"{_why(kind)}; a self-test needs a configuration it changes")
    return dataclasses.replace(derivation, **forms)


def _why(kind: str) -> str:
    return {"no_dilation": " (at stride 1 there is no dilation to drop: use --stride 2 or more)",
            "no_rotation": " (a kernel of size 1 has nothing to rotate)",
            "no_swap": ""}.get(kind, "")


def same_values(original, mutant, input_size: tuple[int, ...], batch: int = 1, seed: int = 0) -> bool:  # type: ignore[no-untyped-def]
    """Whether the mutant gives the true closed forms' values at this size on random integers (it is then
    no mutant here: ``no_swap`` with one channel each way, for instance). A mutant that cannot even be
    evaluated at this size differs."""
    import numpy as np

    from ..derivation.numeric import conv
    spec = original.spec
    rng = np.random.default_rng(seed)
    x = rng.integers(-9, 10, (batch, spec.in_channels) + tuple(input_size))
    h = rng.integers(-9, 10, spec.weight_channels + tuple(spec.kernel_size))
    g = rng.integers(-9, 10, conv(x, h, spec).shape)
    want = original.evaluate(x, h, g)
    try:
        got = mutant.evaluate(x, h, g)
    except (ValueError, IndexError, SpecError):
        return False
    return all(got[k].shape == v.shape and np.array_equal(got[k], v) for k, v in want.items())
