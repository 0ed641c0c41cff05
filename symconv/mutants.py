"""Deliberately wrong closed forms, to show that every check fails on them.

>>> from symconv import ConvSpec, derive
>>> print(mutate(derive(ConvSpec(2, 2, 3, padding=1)).grad_input, "no_rotation"))
correlate(pad(g, 1), swap_io(h))
"""

from __future__ import annotations

import dataclasses

from . import ops

KINDS = ("no_rotation", "no_swap", "pad_off_by_one", "no_dilation")


def mutate(expr: ops.Expr, kind: str) -> ops.Expr:
    """Drop a rotation, a channel swap or a dilation, or shift the first padding by one."""
    if kind not in KINDS:
        raise ValueError(f"unknown mutant {kind!r}; known: {', '.join(KINDS)}")

    def walk(e: ops.Expr) -> ops.Expr:
        if kind == "no_rotation" and isinstance(e, ops.Rot180):
            return walk(e.arg)
        if kind == "no_swap" and isinstance(e, ops.SwapIO):
            return walk(e.arg)
        if kind == "no_dilation" and isinstance(e, ops.Dilate):
            return walk(e.arg)
        if kind == "pad_off_by_one" and isinstance(e, ops.Pad):
            widths = ((e.widths[0][0] + 1, e.widths[0][1] - 1),) + tuple(e.widths[1:])
            return ops.Pad(walk(e.arg), widths)
        changes = {f.name: walk(getattr(e, f.name)) for f in dataclasses.fields(e)  # type: ignore[arg-type]
                   if isinstance(getattr(e, f.name), ops.Expr)}
        return dataclasses.replace(e, **changes)  # type: ignore[type-var]
    return walk(expr)


def mutate_derivation(derivation, kind: str):  # type: ignore[no-untyped-def]
    """The derivation with every closed form mutated."""
    forms = {k: mutate(v, kind) for k, v in derivation.closed_forms.items()}
    return dataclasses.replace(derivation, **forms)
