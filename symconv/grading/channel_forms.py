r"""A closed form written per channel, ``∂L/∂x_c = Σ_o ∂L/∂y_o ⊗ rot180(h_{o,c})``, read as the index sum it means.

Channel subscripts state precisely which channels meet, so they are judged strictly (issue 19): ``A ⊗ B`` is a
single-channel correlation padded by the problem's padding (or the stated one),

    (A ⊗ B)_{p} = Σ_k A_{p + k − P} · B_{k}          (A zero outside its entries: the padding),

each operand indexed by the channel its subscript names, ``Σ_o`` sums over the named channel, the free indices
are the left side's (``x_c``, ``h_{o,c}``; the right side's unsummed ones when the left side has none) and, for
∂L/∂h, the batch is summed. The result is an :class:`~symconv.proof.index_sums.IndexSum`, so
:func:`~symconv.proof.index_judge.judge` proves it for every size or refutes it with a counterexample that
is evaluated, in the student's own channel names. A ``Σ_c`` over the left side's own index ``c`` binds a new
``c`` (written ``c'``), as it would in any sum. What cannot be read per channel raises
:class:`~symconv.proof.claims.ClaimError` with the reason (the answer is then ``unparsed``), never dropped.

>>> from symconv import ConvSpec
>>> from symconv.proof.claims import parse
>>> spec = ConvSpec(2, 2, 3, padding=1)
>>> s = to_index_sum(parse("correlate(g, rot180(h))", 2), [("g", "o"), ("h", "o,c")], ["c"], ["o"], spec,
...                  "x", 1, "text")
>>> [str(f.index) for f in s.factors]
['(o, i + m - 1, j + n - 1)', '(o, c, 2 - m, 2 - n)']
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any, Sequence

import sympy as sp

from ..derivation import ops
from ..derivation.spec import ConvSpec
from ..proof.claims import ClaimError
from ..proof.index_sums import Factor, IndexSum, Reading, index_expr

_IN = {"c", "i", "ci", "cin", "c_in", "c_i", "in", "k"}
_OUT = {"o", "j", "co", "cout", "c_out", "c_o", "out", "m"}
_NAME = re.compile(r"^[a-z](?:_?[a-z0-9]+)?$")
_SPATIAL = ("i", "j", "p", "q", "u", "v", "s", "t")
_OFFSETS = ("m", "n", "a", "b", "k", "l", "e", "f")


def channel_names(sub: str) -> list[str]:
    """The channel indices a subscript names: ``{o,c}`` → ['o', 'c'], ``{c_{in}}`` → ['c_in']; raises when a
    part is not an index name (a number, an expression)."""
    text = re.sub(r"\\(?:text|mathrm|textrm)\s*\{([^{}]*)\}", r"\1", sub.strip())
    text = text[1:-1] if text.startswith("{") and text.endswith("}") else text
    text = re.sub(r"[{}\s]", "", text).lower()
    parts = text.split(",") if "," in text else [text]
    for p in parts:
        if not _NAME.match(p):
            raise ClaimError(f"channel subscript _{{{text}}}: expected channel index names such as o, c")
    return parts


def _operand(e: ops.Expr, side: str) -> tuple[str, bool]:
    """(tensor, rotated) of one operand of ⊗: a tensor, or rot180 of one."""
    rotated = isinstance(e, ops.Rot180)
    inner = e.arg if rotated else e                                     # type: ignore[attr-defined]
    if not isinstance(inner, ops.Tensor):
        raise ClaimError(f"with channel indices, the {side} operand of ⊗ must be a tensor or rot180 of one "
                         f"(got {e})")
    return inner.name, rotated


def _pick(pool: Sequence[str], used: set[str], count: int) -> list[str]:
    out = [n for n in pool if n not in used][:count]
    if len(out) < count:
        raise ClaimError("too many index names in use to name the spatial positions")
    used.update(out)
    return out


def to_index_sum(form: ops.Expr, subs: Sequence[tuple[str, str]], lhs: Sequence[str], summed: Sequence[str],
                 spec: ConvSpec, wrt: str, width: int, text: str) -> IndexSum:
    """The per-channel formula ``form`` (one ⊗ of two operands, read without its channel subscripts) as an
    index sum: ``subs`` holds each operand's channel subscript (tensor, written) in the order written,
    ``lhs`` the left side's channel indices ([] when it states none), ``summed`` the names under Σ and
    ``width`` the padding ⊗ applies to its first operand (a written pad adds to it)."""
    if isinstance(form, ops.SumAxes | ops.SwapIO) or not isinstance(form, ops.Correlate | ops.BatchCorrelate):
        raise ClaimError("with channel indices, a formula is read as one ⊗ of two operands "
                         "(Σ over a channel in front)")
    if any(int(s) != 1 for s in form.stride) or any(int(d) != 1 for d in form.dilation) or form.groups != 1:
        raise ClaimError("with channel indices, ⊗ is read with stride 1 and no dilation")
    data = form.data
    if isinstance(data, ops.Pad):
        widths = {(int(lo), int(hi)) for lo, hi in data.widths}        # type: ignore[call-overload]
        if len(widths) != 1 or len({w for pair in widths for w in pair}) != 1:
            raise ClaimError("with channel indices, a pad must be the same on every side")
        width = widths.pop()[0]
        data = data.arg
    operands = [_operand(data, "first"), _operand(form.kernel, "second")]
    where: dict[str, list[str]] = {}
    lhs = list(lhs)
    channels_only = {"x": (1, 2), "h": (2,)}[wrt]         # x_c or x_{n,c}; h_{o,c}
    if any(len(lhs) == k + spec.ndim for k in channels_only):
        lhs = lhs[:len(lhs) - spec.ndim]                  # ∂L/∂h_{o,c,u,v}: the positions are ⊗'s
    for tensor, sub in subs:
        if tensor in where:
            raise ClaimError(f"{tensor} is written twice with channel indices")
        where[tensor] = channel_names(sub)
    where, lhs, summed = _batch_dropped(where, list(lhs), list(summed), wrt)
    for tensor, _ in operands:
        if tensor in where and tensor != "h" and len(where[tensor]) == 2:
            raise ClaimError(f"{tensor}_{{{','.join(where[tensor])}}}: an image index must be the same on x and "
                             f"∂L/∂y, summed for ∂L/∂h")
        if tensor not in where:
            example = "h_{o,c}" if tensor == "h" else f"{tensor}_c" if tensor == "x" else "∂L/∂y_o"
            raise ClaimError(f"{tensor} has no channel index while the formula states channels (write {example})")
        want = 2 if tensor == "h" else 1
        if len(where[tensor]) != want:
            raise ClaimError(f"{tensor}_{{{','.join(where[tensor])}}}: expected {want} channel "
                             f"ind{'ices' if want == 2 else 'ex'}")
    if sorted(t for t, _ in operands) != sorted(where):
        raise ClaimError("a channel subscript on a tensor the formula does not multiply")
    if wrt in where:
        raise ClaimError(f"∂L/∂{wrt} is written on both sides")
    free = _free(lhs, where, summed, wrt)
    # Σ_c over the left side's own c binds a new c, as in any sum: c' inside the sum
    rename = {n: n + "'" for n in summed if n in free}
    where = {t: [rename.get(n, n) for n in names] for t, names in where.items()}
    summed = [rename.get(n, n) for n in summed]
    used = set(free) | set(summed) | {n for names in where.values() for n in names}
    for n in list(summed):
        if not any(n in names for names in where.values()):
            if wrt == "h":           # Σ_n x_c ⊗ ∂L/∂y_o: the sum over the images, which ⊗ does for ∂L/∂h
                summed.remove(n)
                continue
            raise ClaimError(f"Σ over {n.rstrip(chr(39))}: no tensor is indexed by it")
    nd = spec.ndim
    out_pos = _pick(_SPATIAL, used, nd)
    offsets = _pick(_OFFSETS, used, nd)
    sym = {n: sp.Symbol(n, integer=True) for n in used}
    kernel = tuple(int(k) for k in spec.kernel_size)                    # type: ignore[union-attr]
    factors = []
    for k, (tensor, rotated) in enumerate(operands):
        if k == 0:                   # (A ⊗ B)_p = Σ_k A_{p + k − P} B_k
            pos = [sym[p] + sym[o] - width for p, o in zip(out_pos, offsets)]
        else:
            pos = [sym[o] for o in offsets]
        if rotated:                  # rot180(T)_k = T_{size − 1 − k}: h's size is K, g's the output's, x's H
            from ..derivation.index import Symbols
            sizes = Symbols(nd, True)
            size = list(kernel) if tensor == "h" else list(sizes.Ho) if tensor == "g" else list(sizes.H)
            pos = [size[a] - 1 - p for a, p in enumerate(pos)]
        chans = [sym[n] for n in where[tensor]]     # h_{a,b} as written: output channel a, input b (PyTorch)
        swapped = False
        written = {"g": "∂L/∂y", "x": "x", "h": "h"}[tensor]     # the base a counterexample indexes
        factors.append(Factor(tensor, tuple(chans) + tuple(sp.expand(p) for p in pos), written, swapped))
    lhs_swapped = wrt == "h" and len(lhs) == 2 and lhs[0] in _IN and lhs[1] in _OUT
    free_syms = [sym[n] for n in free]
    if lhs_swapped:
        free_syms = free_syms[::-1]
    bounds = [(sym[n], None, None) for n in summed]
    if wrt == "h":                   # ∂L/∂h sums over the output's positions too
        # (x ⊗ g)_m = Σ_p x_{p+m−P} g_p: the output position of ⊗ is the kernel's position m, free; the
        # data's positions p are summed
        factors = [_swap_roles(f, out_pos, offsets, sym) for f in factors]
        bounds += [(sym[p], None, None) for p in out_pos]
        free_syms += [sym[o] for o in offsets]
    else:
        bounds += [(sym[o], None, None) for o in offsets]
        free_syms += [sym[p] for p in out_pos]
    for n in sorted(used - set(free) - set(summed) - set(out_pos) - set(offsets)):
        bounds.append((sym[n], "first", "first"))          # neither free nor summed: read at its first value
    pads = tuple(int(lo) for lo, _ in spec.pads)                        # type: ignore[union-attr]
    return IndexSum(wrt, tuple(free_syms), False, tuple(bounds), (), tuple(factors), Reading(), kernel, pads, nd,
                    lhs_swapped, text)


def _swap_roles(f: Factor, out_pos: Sequence[str], offsets: Sequence[str], sym: dict[str, Any]) -> Factor:
    """For ∂L/∂h the free positions are ⊗'s output positions: exchange the two name sets so that the free
    ones carry the kernel's names (m, n) and the summed ones the data's (i, j)."""
    swap = {sym[p]: sym[o] for p, o in zip(out_pos, offsets)} | {sym[o]: sym[p] for p, o in zip(out_pos, offsets)}
    return Factor(f.tensor, tuple(index_expr(e).xreplace(swap) for e in f.index), f.written, f.swapped)


def _batch_dropped(where: dict[str, list[str]], lhs: list[str], summed: list[str], wrt: str
                   ) -> tuple[dict[str, list[str]], list[str], list[str]]:
    """An image index written on x and ∂L/∂y (``x_{n,c}``, ``∂L/∂y_{n,o}``) dropped where it means what the
    reading does anyway: the same image on both factors, summed for ∂L/∂h (Σ_n) and the left side's own for
    ∂L/∂x (``∂L/∂x_{n,c}``). Otherwise it is left for the caller to reject."""
    data = [t for t in ("x", "g") if t in where and len(where[t]) == 2]
    if not data:
        return where, lhs, summed
    n = where[data[0]][0]
    if any(where[t][0] != n for t in data):
        return where, lhs, summed
    if wrt == "h" and n in summed and len(data) == 2:
        summed = [s for s in summed if s != n]
    elif wrt == "x" and len(lhs) == 2 and lhs[0] == n and n not in summed:
        lhs = lhs[1:]
    else:
        return where, lhs, summed
    return {t: names[1:] if t in data else names for t, names in where.items()}, lhs, summed


def _free(lhs: Sequence[str], where: dict[str, list[str]], summed: Sequence[str], wrt: str) -> list[str]:
    """The free channel indices in the order written on the left side (or read from the right side)."""
    if lhs:
        want = 1 if wrt == "x" else 2
        if len(lhs) != want or len(set(lhs)) != len(lhs):
            raise ClaimError(f"∂L/∂{wrt}_{{{','.join(lhs)}}}: expected {want} distinct channel "
                             f"ind{'ex' if want == 1 else 'ices'}")
        return list(lhs)
    if wrt == "x":
        left = [n for n in where.get("h", []) if n not in summed]
        if len(left) != 1:
            raise ClaimError("cannot tell which channel of ∂L/∂x the formula gives (write ∂L/∂x_c)")
        return left
    o, c = where.get("g", [""])[0], where.get("x", [""])[0]
    if not o or not c or o == c or o in summed or c in summed:
        raise ClaimError("cannot tell which channels of ∂L/∂h the formula gives (write ∂L/∂h_{o,c})")
    return [o, c]


def variants(form: ops.Expr, subs: Sequence[tuple[str, str]], width: int, ndim: int
             ) -> list[tuple[str, ops.Expr, list[tuple[str, str]], int]]:
    """Single corrections of a per-channel formula, each named by the mistake it undoes (the names of
    :data:`symconv.grading.formulas.MISTAKES`): a rotation added or removed on one operand, h's two
    indices exchanged, the padding one more or one less."""
    out: list[tuple[str, ops.Expr, list[tuple[str, str]], int]] = []
    if not isinstance(form, ops.Correlate | ops.BatchCorrelate):
        return out
    data = form.data.arg if isinstance(form.data, ops.Pad) else form.data   # type: ignore[attr-defined]
    if isinstance(form.data, ops.Pad):
        width = int(form.data.widths[0][0])                                # type: ignore[index]
    has_rot = isinstance(data, ops.Rot180) or isinstance(form.kernel, ops.Rot180)
    name = "extra_rotation" if has_rot else "no_rotation"

    def toggled(e: ops.Expr) -> ops.Expr:
        return e.arg if isinstance(e, ops.Rot180) else ops.Rot180(e, ndim)    # type: ignore[attr-defined]
    base = dataclasses.replace(form, data=data)                                # type: ignore[type-var]
    out.append((name, dataclasses.replace(base, data=toggled(data)), list(subs), width))
    out.append((name, dataclasses.replace(base, kernel=toggled(form.kernel)), list(subs), width))
    if any(t == "h" for t, _ in subs):
        flipped = [(t, ",".join(channel_names(sub)[::-1]) if t == "h" else sub) for t, sub in subs]
        out.append(("no_swap", base, flipped, width))
    for w in (width + 1, width - 1):
        if w >= 0:
            out.append(("pad_off_by_one", base, list(subs), w))
    return out


__all__ = ["channel_names", "to_index_sum", "variants"]
