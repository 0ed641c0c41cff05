r"""``unfold`` (im2col) and ``fold`` (col2im): two more closed-form operators, each with the three readings of
:mod:`symconv.derivation.ops` (NumPy, exact, affine relation).

Both work on the *unflattened* view of PyTorch's columns: ``F.unfold`` returns ``(N, C·∏K, ∏L)`` with column
``(c·K_1 + a_1)·K_2 + a_2`` and block ``i_1·L_2 + i_2``; here that array is ``(N, C, K..., L...)``, entry
``[n, c, a..., i...]``. The two are the same numbers in the same order (a C-order reshape, a bijection), and
only the unflattened index is affine in the sizes: ``c·K_1 + a_1`` multiplies two sizes' symbols, which no
Presburger relation can state for every K. So the index expressions, the derivation and the prover all use
the unflattened view, and :func:`flatten_columns` / :func:`unflatten_columns` are the reshape, stated once and
tested on their own against PyTorch's layout::

    unfold(x)[n, c, a, i] = x[n, c, S·i + D·a − P]      (zero outside x)
    fold(y)[n, c, j]      = Σ_{a, i : S·i + D·a − P = j} y[n, c, a, i]

>>> import numpy as np
>>> x = np.arange(1, 6).reshape(1, 1, 5)
>>> u = Unfold(ops.Tensor("x"), (2,), (2,), (1,), (1,))
>>> str(u)
'unfold(x, 2, stride=2, padding=1)'
>>> u.evaluate({"x": x})[0, 0]          # rows: the kernel tap a; columns: the block i
array([[0, 2, 4],
       [1, 3, 5]])
>>> Fold(ops.Tensor("y"), (5,), (2,), (2,), (1,), (1,)).evaluate({"y": u.evaluate({"x": x})})[0, 0]
array([1, 2, 3, 4, 5])
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any, Mapping

import numpy as np
import sympy as sp

from . import ops
from .affine import Extent, IndexSpace, tup, variables
from .ops import Env, Expr, Sizes, _fmt_axes, _int, _latex, _spatial_arg, _sub, _through, _zeros
from ..errors import UnsupportedError


def windows(size: Any, kernel: Any, stride: Any, dilation: Any, padding: Any) -> Any:
    """How many blocks fit on one axis: ⌊(H + 2P − D(K − 1) − 1)/S⌋ + 1 (ints, or a SymPy expression)."""
    if all(isinstance(v, int) for v in (size, kernel, stride, dilation, padding)):
        return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1
    return sp.floor((size + 2 * padding - dilation * (kernel - 1) - 1) / stride) + 1


def _options(kernel: tuple[Any, ...], stride: tuple[Any, ...], dilation: tuple[Any, ...],
             padding: tuple[Any, ...]) -> str:
    # The operator syntax of the claim grammar: the kernel always, the rest where it is not PyTorch's default.
    out = _fmt_axes(kernel)
    for key, value, default in (("stride", stride, 1), ("dilation", dilation, 1), ("padding", padding, 0)):
        if set(value) != {default}:
            out += f", {key}={_fmt_axes(value)}"
    return out


def _latex_options(kernel: tuple[Any, ...], stride: tuple[Any, ...], dilation: tuple[Any, ...],
                   padding: tuple[Any, ...]) -> str:
    def one(v: tuple[Any, ...]) -> str:
        return _latex(v[0]) if len(set(v)) == 1 else ",".join(map(_latex, v))
    parts = [f"K={one(kernel)}"]
    for key, value, default in (("s", stride, 1), ("d", dilation, 1), ("p", padding, 0)):
        if set(value) != {default}:
            parts.append(f"{key}={one(value)}")
    return r",\ ".join(parts)


@dataclass(frozen=True, repr=False)
class _Window(Expr):
    """What unfold and fold share: the argument and the window's options, one entry per spatial axis."""

    arg: Expr
    kernel: tuple[Any, ...]
    stride: tuple[Any, ...]
    dilation: tuple[Any, ...]
    padding: tuple[Any, ...]
    moves_entries = False       # read by ops._only_moves: unfold moves entries (one term each), fold sums

    def _ints(self, sizes: Sizes | None) -> tuple[list[int], ...]:
        return tuple([_int(v, sizes or {}) for v in vals]
                     for vals in (self.kernel, self.stride, self.dilation, self.padding))

    def _mapped(self, mapping: Mapping[sp.Symbol, Any]) -> dict[str, Any]:
        return {f: tuple(_sub(v, mapping) for v in getattr(self, f))
                for f in ("kernel", "stride", "dilation", "padding")}

    def size_parameters(self) -> list[tuple[str, Any, int | None]]:
        """(what, value, least) of each size it takes (see :func:`symconv.derivation.ops.parameters`)."""
        return [("kernel size", v, 1) for v in self.kernel] + [("stride", v, 1) for v in self.stride] + [
            ("dilation", v, 1) for v in self.dilation] + [("padding", v, 0) for v in self.padding]

    def _move(self, space: IndexSpace, image: tuple[Any, ...]) -> tuple[list[str], list[str], list[str]]:
        """Per axis: the image position S·i + D·a − P, as isl text of the variables a and i."""
        d = len(self.kernel)
        a, i = variables("a", d), variables("i", d)
        s = [space.int(v, "stride") for v in self.stride]
        dl = [space.int(v, "dilation") for v in self.dilation]
        pos = [f"{sk}*{ik} + {dk}*{ak} - ({space.aff(p)})" for sk, ik, dk, ak, p in zip(s, i, dl, a, self.padding)]
        return a, i, pos

    def _blocks(self, image: tuple[Any, ...], space: IndexSpace) -> tuple[Any, ...]:
        s = [space.int(v, "stride") for v in self.stride]
        dl = [space.int(v, "dilation") for v in self.dilation]
        return tuple(windows(n, k, sk, dk, p) for n, k, sk, dk, p in zip(image, self.kernel, s, dl, self.padding))


@dataclass(frozen=True, repr=False)
class Unfold(_Window):
    """``unfold(T)[n, c, a..., i...] = T[n, c, S·i + D·a − P]`` (zero outside T): PyTorch's ``F.unfold`` in
    the unflattened view (see the module docstring), on any number of spatial axes."""

    moves_entries = True

    def evaluate(self, env: Env, sizes: Sizes | None = None) -> np.ndarray:
        x = self.arg.evaluate(env, sizes)
        K, S, D, P = self._ints(sizes)
        d = len(K)
        lead = x.shape[:x.ndim - d]
        L = [windows(n, k, s, dl, p) for n, k, s, dl, p in zip(x.shape[len(lead):], K, S, D, P)]
        if any(n < 1 for n in L):
            raise ValueError(f"unfold of spatial size {x.shape[len(lead):]} with kernel {tuple(K)}, dilation "
                             f"{tuple(D)}, padding {tuple(P)} leaves no block")
        padded = _zeros(lead + tuple(n + 2 * p for n, p in zip(x.shape[len(lead):], P)), x)
        padded[(slice(None),) * len(lead) + tuple(slice(p, p + n) for n, p in zip(x.shape[len(lead):], P))] = x
        out = _zeros(lead + tuple(K) + tuple(L), x)
        for a in itertools.product(*(range(k) for k in K)):
            src = tuple(slice(dl * ak, dl * ak + s * (n - 1) + 1, s) for ak, s, dl, n in zip(a, S, D, L))
            out[(slice(None),) * len(lead) + a] = padded[(slice(None),) * len(lead) + src]
        return out

    def __str__(self) -> str:
        return f"unfold({self.arg}, {_options(self.kernel, self.stride, self.dilation, self.padding)})"

    def to_latex(self) -> str:
        opts = _latex_options(self.kernel, self.stride, self.dilation, self.padding)
        return rf"\operatorname{{unfold}}_{{{opts}}}\left({self.arg.to_latex()}\right)"

    def map_sizes(self, mapping: Mapping[sp.Symbol, Any]) -> Expr:
        return Unfold(self.arg.map_sizes(mapping), **self._mapped(mapping))

    def out_shape(self, arg: tuple[int, ...], sizes: Sizes | None) -> tuple[int, ...]:
        """The result's shape from the argument's (for :func:`symconv.derivation.ops.largest`)."""
        K, S, D, P = self._ints(sizes)
        lead = len(arg) - len(K)
        L = [max(windows(n, k, s, dl, p), 0) for n, k, s, dl, p in zip(arg[lead:], K, S, D, P)]
        return tuple(arg[:lead]) + tuple(K) + tuple(L)

    def extent(self, space: IndexSpace) -> Extent:
        kind, sizes = _spatial_arg(self, space, len(self.kernel))
        lead = len(sizes) - len(self.kernel)
        return Extent(kind, tuple(sizes[:lead]) + tuple(self.kernel) + self._blocks(sizes[lead:], space))

    def relation(self, space: IndexSpace) -> Any:
        # out[lead, a, i] = arg[lead, S·i + D·a − P]; where that falls outside arg the entry is a zero (the
        # argument's own relation is restricted to its box, so nothing is read there).
        out = self.extent(space).sizes
        d = len(self.kernel)
        lead = len(out) - 2 * d
        v = variables("z", lead)
        a, i, pos = self._move(space, out)
        return _through(self, space.map(tup(v + a + i), tup(v + pos), space.box(v + a + i, out)), space)

    def requires(self, space: IndexSpace) -> list[tuple[str, Expr, str]]:
        ext = self.extent(space).sizes[-len(self.kernel):]
        return super().requires(space) + [(f"{space.aff(n)} >= 1", self, "leaves no block") for n in ext]


@dataclass(frozen=True, repr=False)
class Fold(_Window):
    """``fold(T)[n, c, j...] = Σ_{a, i : S·i + D·a − P = j} T[n, c, a..., i...]``, the image of ``size``:
    PyTorch's ``F.fold`` (col2im) in the unflattened view, the adjoint of :class:`Unfold` (overlapping
    windows add up)."""

    size: tuple[Any, ...] = ()

    def __init__(self, arg: Expr, size: tuple[Any, ...], kernel: tuple[Any, ...], stride: tuple[Any, ...],
                 dilation: tuple[Any, ...], padding: tuple[Any, ...]) -> None:
        # PyTorch's argument order: F.fold(input, output_size, kernel_size, dilation, padding, stride) names
        # the image size first; the fields keep _Window's order.
        for name, value in (("arg", arg), ("kernel", tuple(kernel)), ("stride", tuple(stride)),
                            ("dilation", tuple(dilation)), ("padding", tuple(padding)), ("size", tuple(size))):
            object.__setattr__(self, name, value)

    def evaluate(self, env: Env, sizes: Sizes | None = None) -> np.ndarray:
        y = self.arg.evaluate(env, sizes)
        K, S, D, P = self._ints(sizes)
        H = [_int(v, sizes or {}) for v in self.size]
        d = len(K)
        if y.ndim < 2 * d:
            raise ValueError(f"fold of an array of rank {y.ndim}: it needs {len(K)} kernel and {len(K)} block axes")
        lead = y.shape[:y.ndim - 2 * d]
        L = [windows(n, k, s, dl, p) for n, k, s, dl, p in zip(H, K, S, D, P)]
        if tuple(y.shape[len(lead):]) != tuple(K) + tuple(L):
            raise ValueError(f"fold to size {tuple(H)} takes kernel and block axes {tuple(K) + tuple(L)}, "
                             f"got {tuple(y.shape[len(lead):])}")
        if any(n < 1 for n in L):
            raise ValueError(f"fold to size {tuple(H)} leaves no block")
        out = _zeros(lead + tuple(n + 2 * p for n, p in zip(H, P)), y)
        for a in itertools.product(*(range(k) for k in K)):
            dst = tuple(slice(dl * ak, dl * ak + s * (n - 1) + 1, s) for ak, s, dl, n in zip(a, S, D, L))
            out[(slice(None),) * len(lead) + dst] += y[(slice(None),) * len(lead) + a]
        return out[(slice(None),) * len(lead) + tuple(slice(p, p + n) for n, p in zip(H, P))]

    def __str__(self) -> str:
        return (f"fold({self.arg}, {_fmt_axes(self.size)}, "
                f"{_options(self.kernel, self.stride, self.dilation, self.padding)})")

    def to_latex(self) -> str:
        opts = _latex_options(self.kernel, self.stride, self.dilation, self.padding)
        size = _latex(self.size[0]) if len(set(self.size)) == 1 else ",".join(map(_latex, self.size))
        return rf"\operatorname{{fold}}_{{{size},\ {opts}}}\left({self.arg.to_latex()}\right)"

    def map_sizes(self, mapping: Mapping[sp.Symbol, Any]) -> Expr:
        m = self._mapped(mapping)
        return Fold(self.arg.map_sizes(mapping), tuple(_sub(v, mapping) for v in self.size), m["kernel"],
                    m["stride"], m["dilation"], m["padding"])

    def size_parameters(self) -> list[tuple[str, Any, int | None]]:
        return super().size_parameters() + [("output size", v, 1) for v in self.size]

    def out_shape(self, arg: tuple[int, ...], sizes: Sizes | None) -> tuple[int, ...]:
        lead = len(arg) - 2 * len(self.kernel)
        return tuple(arg[:max(lead, 0)]) + tuple(_int(v, sizes or {}) for v in self.size)

    def extent(self, space: IndexSpace) -> Extent:
        kind, sizes = _spatial_arg(self, space, len(self.kernel))
        lead = len(sizes) - 2 * len(self.kernel)
        if lead < 0:
            raise UnsupportedError(f"{self}: its argument has fewer than {2 * len(self.kernel)} spatial axes")
        return Extent(kind, tuple(sizes[:lead]) + tuple(self.size))

    def relation(self, space: IndexSpace) -> Any:
        # A sum, as sum_axes: [out[lead, j] -> (a, i)] -> arg[lead, a, i] wherever S·i + D·a − P = j, a below
        # the kernel and i below the block count (the argument's own box says the rest).
        out = self.extent(space).sizes
        d = len(self.kernel)
        lead = len(out) - d
        v, j = variables("z", lead), variables("j", d)
        a, i, pos = self._move(space, out)
        blocks = self._blocks(tuple(self.size), space)
        where = [space.box(v + j, out), space.box(a, tuple(self.kernel)), space.box(i, blocks)]
        where += [f"{jk} = {p}" for jk, p in zip(j, pos)]
        dom = f"[{tup(v + j)} -> {tup(a + i)}]"
        return space.map(dom, tup(v + a + i), " and ".join(where)).apply_range(ops._moved(self.arg, space))

    def requires(self, space: IndexSpace) -> list[tuple[str, Expr, str]]:
        arg = self.arg.extent(space).sizes
        d = len(self.kernel)
        want = tuple(self.kernel) + self._blocks(tuple(self.size), space)
        out = super().requires(space) + [(f"{space.aff(n)} >= 1", self, "leaves no block")
                                         for n in want[d:]]
        return out + [(f"{space.aff(a)} = {space.aff(b)}", self, "takes kernel and block axes its argument "
                       "does not have") for a, b in zip(arg[len(arg) - 2 * d:], want)]


def flatten_columns(y: np.ndarray, ndim: int) -> np.ndarray:
    """``(N, C, K..., L...)`` → PyTorch's ``(N, C·∏K, ∏L)``: the C-order reshape, column (c·K_1 + a_1)·K_2 +
    a_2 and block i_1·L_2 + i_2, as ``F.unfold`` lays them out."""
    lead = y.shape[:y.ndim - 2 * ndim - 1]
    c, rest = y.shape[len(lead)], y.shape[len(lead) + 1:]
    return y.reshape(lead + (c * int(np.prod(rest[:ndim])), int(np.prod(rest[ndim:]))))


def unflatten_columns(y: np.ndarray, kernel: tuple[int, ...], blocks: tuple[int, ...]) -> np.ndarray:
    """PyTorch's ``(N, C·∏K, L)`` → ``(N, C, K..., L...)``, the inverse of :func:`flatten_columns`."""
    per = int(np.prod(kernel))
    if y.shape[-2] % per or y.shape[-1] != int(np.prod(blocks)):
        raise ValueError(f"columns of shape {y.shape} are not (C·{per}, {int(np.prod(blocks))})")
    return y.reshape(y.shape[:-2] + (y.shape[-2] // per,) + tuple(kernel) + tuple(blocks))
