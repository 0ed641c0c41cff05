"""Closed-form operators: the vocabulary in which the engine states a gradient.

An expression is a small tree of operators over named tensors, laid out as PyTorch lays them out:
data ``(N, C, *spatial)``, kernels ``(C_out, C_in/groups, *kernel)``. For example::

    correlate(pad(dilate(g, 2), (1, 2)), rot180(swap_io(h)))
    │         │   └ dilate: S-1 zeros between entries of each spatial axis
    │         └ pad: zeros added (low, high) on each spatial axis; a negative width crops
    └ correlate: out[n,o,i] = sum_{c in group(o), a} data[n, c, s*i + d*a] * kernel[o, c, a]

Each operator is defined once, by array operations that do not care about the element type, so the same
definition is both evaluators: on ``float`` arrays it is fast NumPy, on ``object`` arrays of SymPy numbers or
symbols it is exact.

>>> import numpy as np
>>> g = np.arange(1, 4).reshape(1, 1, 3)
>>> str(pad(dilate(Tensor("g"), (2,)), ((1, 0),)))
'pad(dilate(g, 2), (1, 0))'
>>> pad(dilate(Tensor("g"), (2,)), ((1, 0),)).evaluate({"g": g})
array([[[0, 1, 0, 2, 0, 3]]])
>>> dilate(Tensor("g"), (1,)) == Tensor("g")       # identities vanish when built
True
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields, replace
from typing import Any, Mapping

import numpy as np
import sympy as sp
from numpy.lib.stride_tricks import sliding_window_view
from sympy.printing.latex import LatexPrinter
from sympy.printing.str import StrPrinter

from . import threads
from .exprs import as_expr
from .affine import Extent, IndexSpace, tup, variables
from ..errors import UnsupportedError

Widths = tuple[tuple[Any, Any], ...]   # (low, high) per spatial axis; ints or SymPy expressions of sizes
Env = Mapping[str, np.ndarray]
Sizes = Mapping[sp.Symbol, int]


def _int(value: Any, sizes: Sizes) -> int:
    """An int from an int or a SymPy expression of the size symbols."""
    if isinstance(value, sp.Basic):
        value = as_expr(value.xreplace(dict(sizes)))
        if not value.is_Integer:
            raise ValueError(f"size expression {value} did not evaluate to an integer")
    return int(value)


def _zeros(shape: tuple[int, ...], like: np.ndarray) -> np.ndarray:
    # Exact arrays hold SymPy/Python numbers: their zero must be the exact 0, not np.int64(0).
    if like.dtype == object:
        out = np.empty(shape, dtype=object)
        out.fill(sp.Integer(0))
        return out
    return np.zeros(shape, dtype=like.dtype)


def _spatial(array: np.ndarray, ndim: int) -> tuple[slice, ...]:
    return (slice(None),) * (array.ndim - ndim)


def _plain(value: Any) -> bool:
    """Whether a size expression prints as one token (a size name or a non-negative whole number), so that
    it needs no parentheses as an operand of ``mod``."""
    return isinstance(value, sp.Symbol) or (isinstance(value, sp.Integer) and value >= 0)


class _StrPrinter(StrPrinter):
    r"""SymPy's str in the claim grammar (:mod:`symconv.proof.claims`), exactly: ``Mod(a, b)`` is written
    ``(a mod b)`` with each compound operand in parentheses too. ``mod`` binds like ``*`` and unary minus
    tighter, so without them ``-(H mod 2)`` would read as ``(-H) mod 2``, ``G mod (3*D)`` as ``(G mod 3)*D``
    and ``1 mod (K - 3)`` as ``(1 mod K) - 3``. Powers print as ``K**2``, which the grammar reads."""

    def _print_Mod(self, expr: sp.Mod) -> str:
        a, b = (self._print(arg) if _plain(arg) else f"({self._print(arg)})" for arg in expr.args)
        return f"({a} mod {b})"

    def _print_Mul(self, expr: sp.Mul) -> str:
        # The factors as SymPy holds them: SymPy's own str moves a sign out of a sum, (1 - N)*(N + 1) as
        # -(N - 1)*(N + 1), which reads back as another product.
        coeff, factors = expr.as_coeff_mul()
        words = [self._print(f) if not isinstance(f, sp.Add) else f"({self._print(f)})" for f in factors]
        head = "-" if coeff == -1 else "" if coeff == 1 else f"{self._print(coeff)}*"
        return head + "*".join(words)


class _LatexPrinter(LatexPrinter):
    r"""SymPy's LaTeX in the claim grammar, exactly: a remainder's compound operands are in parentheses
    (SymPy writes ``G \bmod 3 D``, which reads as (G mod 3)·D), and a negated remainder keeps its own:
    ``- \left(H \bmod 2\right)`` (SymPy writes ``- H \bmod 2``, which reads as (−H) mod 2). SymPy already
    puts a remainder that is a factor or a power's base in parentheses."""

    def _print_Mod(self, expr: sp.Mod, exp: Any = None) -> str:
        a, b = (self._print(arg) if _plain(arg) else rf"\left({self._print(arg)}\right)" for arg in expr.args)
        text = rf"{a} \bmod {b}"
        return rf"\left({text}\right)^{{{exp}}}" if exp is not None else text

    def _print_Mul(self, expr: sp.Mul) -> str:
        # As _StrPrinter's: the factors as SymPy holds them, juxtaposed, a sum or remainder in parentheses.
        coeff, factors = expr.as_coeff_mul()
        words = [rf"\left({self._print(f)}\right)" if isinstance(f, (sp.Add, sp.Mod)) else self._print(f)
                 for f in factors]
        head = "- " if coeff == -1 else "" if coeff == 1 else f"{self._print(coeff)} "
        return head + " ".join(words)


def _str(value: Any) -> str:
    if not isinstance(value, sp.Basic):
        return str(value)
    text = _StrPrinter().doprint(value)
    return text[1:-1] if isinstance(value, sp.Mod) else text     # alone, a remainder needs no parentheses


def _fmt_widths(widths: Widths) -> str:
    """One axis's ``(low, high)`` as ``p`` when equal, else ``(low, high)``; several axes that differ as a
    tuple of those, each axis a pair: ``((2, 2), (1, 1))``, never ``(2, 1)``, which means low 2, high 1."""
    def pair(lo: Any, hi: Any) -> str:
        return _str(lo) if lo == hi else f"({_str(lo)}, {_str(hi)})"
    if len(set(widths)) == 1:
        return pair(*widths[0])
    return "(" + ", ".join(f"({_str(lo)}, {_str(hi)})" for lo, hi in widths) + ")"


def _fmt_axes(values: tuple[Any, ...]) -> str:
    return _str(values[0]) if len(set(values)) == 1 else "(" + ", ".join(map(_str, values)) + ")"


def _latex(value: Any) -> str:
    if not isinstance(value, sp.Basic):
        return str(value)
    return _LatexPrinter().doprint(value)


class Expr:
    """Base of the operator tree."""

    def __repr__(self) -> str:
        # The operator syntax, not the dataclass tree (which nests every field and floods a notebook).
        text = str(self)
        return f"<{type(self).__name__}: {text if len(text) <= 240 else text[:239] + '…'}>"

    def evaluate(self, env: Env, sizes: Sizes | None = None) -> np.ndarray:
        raise NotImplementedError

    def to_latex(self) -> str:
        raise NotImplementedError

    def map_sizes(self, mapping: Mapping[sp.Symbol, Any]) -> "Expr":
        """The same tree with size symbols replaced (and identities dropped again)."""
        raise NotImplementedError

    # The affine reading (see symconv.derivation.affine): indices in the uniform layout, sizes as isl parameters.

    def extent(self, space: IndexSpace) -> Extent:
        """The result's uniform-layout shape, as SymPy size expressions."""
        raise NotImplementedError

    def relation(self, space: IndexSpace) -> Any:
        """An index map's result index → the base tensor entry it holds (entries that are zeros are left
        out); a correlation's or a sum's (result index → summation index) → the entries it multiplies."""
        raise NotImplementedError

    def requires(self, space: IndexSpace) -> list[tuple[str, "Expr", str]]:
        """Constraints (isl text, the operator, why) on the sizes without which the evaluators refuse the
        expression."""
        return [c for f in fields(self) if isinstance(getattr(self, f.name), Expr)  # type: ignore[arg-type]
                for c in getattr(self, f.name).requires(space)]

    def _repr_latex_(self) -> str:
        return f"${self.to_latex()}$"


@dataclass(frozen=True, repr=False)
class Tensor(Expr):
    """A named input: ``x``, ``h``, ``g`` (that is ∂L/∂y) ..."""

    name: str
    latex: str = ""

    def evaluate(self, env: Env, sizes: Sizes | None = None) -> np.ndarray:
        return np.asarray(env[self.name])

    def __str__(self) -> str:
        return self.name

    def to_latex(self) -> str:
        return self.latex or self.name

    def map_sizes(self, mapping: Mapping[sp.Symbol, Any]) -> Expr:
        return self

    def extent(self, space: IndexSpace) -> Extent:
        return space.tensor_extent(self.name)

    def relation(self, space: IndexSpace) -> Any:
        # x[v] -> x[v] on the tensor's box: the identity.
        v = variables("z", len(self.extent(space).sizes))
        return space.map(tup(v), tup(v, self.name), space.box(v, self.extent(space).sizes))


def _sub(value: Any, mapping: Mapping[sp.Symbol, Any]) -> Any:
    if isinstance(value, sp.Basic):
        value = sp.expand(value.xreplace(dict(mapping)))
        return int(value) if value.is_Integer else value
    return value


@dataclass(frozen=True, repr=False)
class Pad(Expr):
    """Zeros added on each spatial axis, ``(low, high)``; a negative width removes entries (a crop)."""

    arg: Expr
    widths: Widths

    def evaluate(self, env: Env, sizes: Sizes | None = None) -> np.ndarray:
        # out[j] = a[j - low] where 0 <= j - low < n, else 0; the length is n + low + high. A crop wider than
        # the array (low < -n) carries on into the zeros the other side adds, as the formula says.
        a = self.arg.evaluate(env, sizes)
        ws = [(_int(lo, sizes or {}), _int(hi, sizes or {})) for lo, hi in self.widths]
        lead = _spatial(a, len(ws))
        lengths = a.shape[len(lead):]
        shape = tuple(n + lo + hi for (lo, hi), n in zip(ws, lengths))
        if any(m < 0 for m in shape):
            raise ValueError(f"pad widths {ws} leave a negative length from {tuple(lengths)}")
        out = _zeros(a.shape[:len(lead)] + shape, a)
        src = tuple(slice(max(-lo, 0), min(n, m - lo)) for (lo, _), n, m in zip(ws, lengths, shape))
        dst = tuple(slice(max(lo, 0), max(lo, 0) + max(sl.stop - sl.start, 0)) for (lo, _), sl in zip(ws, src))
        if all(sl.stop > sl.start for sl in src):
            out[lead + dst] = a[lead + src]
        return out

    def __str__(self) -> str:
        return f"pad({self.arg}, {_fmt_widths(self.widths)})"

    def to_latex(self) -> str:
        return rf"\operatorname{{pad}}_{{{_latex_widths(self.widths)}}}\left({self.arg.to_latex()}\right)"

    def map_sizes(self, mapping: Mapping[sp.Symbol, Any]) -> Expr:
        return pad(self.arg.map_sizes(mapping), tuple((_sub(lo, mapping), _sub(hi, mapping))
                                                      for lo, hi in self.widths))

    def extent(self, space: IndexSpace) -> Extent:
        kind, sizes = _spatial_arg(self, space, len(self.widths))
        lead = len(sizes) - len(self.widths)
        return Extent(kind, sizes[:lead] + tuple(n + lo + hi for n, (lo, hi) in zip(sizes[lead:], self.widths)))

    def relation(self, space: IndexSpace) -> Any:
        # out[j] = a[j - low] (j inside the padded length; j - low outside a's box holds a zero).
        out = self.extent(space).sizes
        v = variables("z", len(out))
        lead = len(out) - len(self.widths)
        src = v[:lead] + [f"{j} - ({space.aff(lo)})" for j, (lo, _) in zip(v[lead:], self.widths)]
        return _through(self, space.map(tup(v), tup(src), space.box(v, out)), space)

    def requires(self, space: IndexSpace) -> list[tuple[str, Expr, str]]:
        out = self.extent(space).sizes[-len(self.widths):]
        return super().requires(space) + [(f"{space.aff(n)} >= 0", self, "leaves a negative length") for n in out]


def _latex_widths(widths: Widths) -> str:
    """As :func:`_fmt_widths`: axes that differ are listed as pairs, ``(2,2),(1,1)``."""
    def pair(lo: Any, hi: Any) -> str:
        return _latex(lo) if lo == hi else f"({_latex(lo)}, {_latex(hi)})"
    if len(set(widths)) == 1:
        return pair(*widths[0])
    return ", ".join(f"({_latex(lo)}, {_latex(hi)})" for lo, hi in widths)


@dataclass(frozen=True, repr=False)
class Dilate(Expr):
    """``factor - 1`` zeros inserted between neighbours on each spatial axis: length n becomes (n-1)s+1."""

    arg: Expr
    factors: tuple[Any, ...]

    def evaluate(self, env: Env, sizes: Sizes | None = None) -> np.ndarray:
        a = self.arg.evaluate(env, sizes)
        fs = [_int(f, sizes or {}) for f in self.factors]
        lead = _spatial(a, len(fs))
        shape = a.shape[:len(lead)] + tuple((n - 1) * f + 1 for n, f in zip(a.shape[len(lead):], fs))
        out = _zeros(shape, a)
        out[lead + tuple(slice(None, None, f) for f in fs)] = a
        return out

    def __str__(self) -> str:
        return f"dilate({self.arg}, {_fmt_axes(self.factors)})"

    def to_latex(self) -> str:
        return rf"\operatorname{{dilate}}_{{{_latex(self.factors[0]) if len(set(self.factors)) == 1 else ', '.join(map(_latex, self.factors))}}}\left({self.arg.to_latex()}\right)"

    def map_sizes(self, mapping: Mapping[sp.Symbol, Any]) -> Expr:
        return dilate(self.arg.map_sizes(mapping), tuple(_sub(f, mapping) for f in self.factors))

    def extent(self, space: IndexSpace) -> Extent:
        kind, sizes = _spatial_arg(self, space, len(self.factors))
        fs = [space.int(f, "dilation factor") for f in self.factors]
        lead = len(sizes) - len(fs)
        return Extent(kind, sizes[:lead] + tuple((n - 1) * f + 1 for n, f in zip(sizes[lead:], fs)))

    def relation(self, space: IndexSpace) -> Any:
        # out[t] = a[t / f] where f divides t: t = f·i for an entry i of a.
        n = len(self.extent(space).sizes)
        lead = n - len(self.factors)
        w = variables("w", n)
        spread = w[:lead] + [f"{space.int(f, 'dilation factor')}*{i}" for i, f in zip(w[lead:], self.factors)]
        return _through(self, space.map(tup(w), tup(spread), "true").reverse(), space)

    def requires(self, space: IndexSpace) -> list[tuple[str, Expr, str]]:
        out = self.extent(space).sizes[-len(self.factors):]
        return super().requires(space) + [(f"{space.aff(n)} >= 0", self, "dilates an empty axis") for n in out]


@dataclass(frozen=True, repr=False)
class Rot180(Expr):
    """Every spatial axis reversed: ``rot180(h)[o, c, a] = h[o, c, K-1-a]``."""

    arg: Expr
    ndim: int

    def evaluate(self, env: Env, sizes: Sizes | None = None) -> np.ndarray:
        a = self.arg.evaluate(env, sizes)
        return a[_spatial(a, self.ndim) + (slice(None, None, -1),) * self.ndim]

    def __str__(self) -> str:
        return f"rot180({self.arg})"

    def to_latex(self) -> str:
        return rf"\operatorname{{rot180}}\left({self.arg.to_latex()}\right)"

    def map_sizes(self, mapping: Mapping[sp.Symbol, Any]) -> Expr:
        return Rot180(self.arg.map_sizes(mapping), self.ndim)

    def extent(self, space: IndexSpace) -> Extent:
        return Extent(*_spatial_arg(self, space, self.ndim))

    def relation(self, space: IndexSpace) -> Any:
        # out[a] = arg[K - 1 - a] on each spatial axis.
        sizes = self.extent(space).sizes
        v = variables("z", len(sizes))
        lead = len(sizes) - self.ndim
        src = v[:lead] + [f"{space.aff(n)} - 1 - {a}" for a, n in zip(v[lead:], sizes[lead:])]
        return _through(self, space.map(tup(v), tup(src), space.box(v, sizes)), space)


@dataclass(frozen=True, repr=False)
class SwapIO(Expr):
    """A kernel's two channel axes exchanged within each group: (C_out, C_in/G, ...) -> (C_in, C_out/G, ...)."""

    arg: Expr
    groups: Any = 1

    def evaluate(self, env: Env, sizes: Sizes | None = None) -> np.ndarray:
        a = self.arg.evaluate(env, sizes)
        g = _int(self.groups, sizes or {})
        o, c = a.shape[:2]
        rest = a.shape[2:]
        a = a.reshape((g, o // g, c) + rest).swapaxes(1, 2)
        return a.reshape((g * c, o // g) + rest)

    def __str__(self) -> str:
        return f"swap_io({self.arg}{_opts(groups=self.groups)})"

    def to_latex(self) -> str:
        sub = "io" if self.groups == 1 else f"io, G={_latex(self.groups)}"   # groups stated: never implied
        return rf"\operatorname{{swap}}_{{{sub}}}\left({self.arg.to_latex()}\right)"

    def map_sizes(self, mapping: Mapping[sp.Symbol, Any]) -> Expr:
        return SwapIO(self.arg.map_sizes(mapping), _sub(self.groups, mapping))

    def extent(self, space: IndexSpace) -> Extent:
        kind, sizes = self.arg.extent(space)
        if kind == "data":
            # Data (N, C, ...) with its batch and channel axes exchanged, as PyTorch's weight gradient
            # transposes x and ∂L/∂y: (C, N, ...), read as data again (n, γ, c) = (c, 0, n) with one group.
            if not (space.same(sizes[1], 1) and space.same(self.groups, 1)):
                raise UnsupportedError(f"{self}: swap_io of data is read with one group only")
            return Extent("data", (sizes[2], sizes[1], sizes[0]) + tuple(sizes[3:]))
        if kind != "kernel":
            raise UnsupportedError(f"{self}: swap_io exchanges the first two axes of a kernel or of data; "
                                   f"{self.arg} is neither")
        return Extent("kernel", (sizes[0], sizes[2], sizes[1]) + tuple(sizes[3:]))

    def relation(self, space: IndexSpace) -> Any:
        # A kernel's out[γ, c, o, a] = arg[γ, o, c, a]: within a group, the two channel indices exchanged;
        # data's out[c, 0, n, u] = arg[n, 0, c, u].
        sizes = self.extent(space).sizes
        v = variables("z", len(sizes))
        data = self.arg.extent(space).kind == "data"
        src = ([v[2], v[1], v[0]] if data else [v[0], v[2], v[1]]) + v[3:]
        return _through(self, space.map(tup(v), tup(src), space.box(v, sizes)), space)

    def requires(self, space: IndexSpace) -> list[tuple[str, Expr, str]]:
        if self.arg.extent(space).kind == "data":
            return super().requires(space)
        return super().requires(space) + _group_requires(self, space)


def _opts(**values: Any) -> str:
    shown = [f"{k}={_fmt_axes(v) if isinstance(v, tuple) else _str(v)}" for k, v in values.items()
             if (set(v) != {1} if isinstance(v, tuple) else v != 1)]
    return "".join(", " + s for s in shown)


def _latex_opts(stride: tuple[Any, ...], dilation: tuple[Any, ...], groups: Any) -> str:
    parts = []
    for sym, v in (("s", stride), ("d", dilation)):
        if set(v) != {1}:
            parts.append(f"{sym}={_latex(v[0]) if len(set(v)) == 1 else ','.join(map(_latex, v))}")
    if groups != 1:
        parts.append(f"G={_latex(groups)}")
    return ", ".join(parts)


def _out_shape(size: tuple[int, ...], kernel: tuple[int, ...], stride: tuple[int, ...],
               dilation: tuple[int, ...]) -> tuple[int, ...]:
    spans = tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilation))
    if any(n < span for n, span in zip(size, spans)):
        raise ValueError(f"kernel span {spans} exceeds the data's spatial size {tuple(size)}")
    return tuple((n - span) // s + 1 for n, span, s in zip(size, spans, stride))


def _operands(op: Any, env: Env, sizes: Sizes | None) -> tuple[np.ndarray, np.ndarray, int, tuple[int, ...],
                                                             tuple[int, ...]]:
    """A correlation's evaluated operands, groups, stride and dilation, as plain numbers."""
    return (op.data.evaluate(env, sizes), op.kernel.evaluate(env, sizes), _int(op.groups, sizes or {}),
            tuple(_int(v, sizes or {}) for v in op.stride), tuple(_int(v, sizes or {}) for v in op.dilation))


def _windows(data: np.ndarray, kernel_shape: tuple[int, ...], stride: tuple[int, ...],
             dilation: tuple[int, ...]) -> np.ndarray:
    """data (N, C, *L) -> view (N, C, *out, *kernel) with view[..., i, a] = data[..., s*i + d*a]."""
    nd = len(kernel_shape)
    spans = tuple(d * (k - 1) + 1 for k, d in zip(kernel_shape, dilation))
    if any(n < span for n, span in zip(data.shape[2:], spans)):
        raise ValueError(f"kernel span {spans} exceeds the data's spatial size {data.shape[2:]}")
    view = sliding_window_view(data, spans, axis=tuple(range(2, 2 + nd)))
    return view[(slice(None),) * 2 + tuple(slice(None, None, s) for s in stride)
                + tuple(slice(None, None, d) for d in dilation)]


def _product(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a @ b``; in floating point with the BLAS threads chosen for the machine as it is now (one thread
    when another process holds a core: see :mod:`.threads`). Exact (object) products use no BLAS, and a
    small product (a homework's) is left as it is, so a run that makes only those never loads threadpoolctl."""
    if a.dtype == object or b.dtype == object or a.size * b.shape[-1] < threads.SMALL:
        return np.matmul(a, b)          # exact, or too small for OpenBLAS to use a second thread
    with threads.blas():
        return np.matmul(a, b)


def _columns(data: np.ndarray, kernel_shape: tuple[int, ...], stride: tuple[int, ...],
             dilation: tuple[int, ...], groups: int) -> tuple[np.ndarray, tuple[int, ...]]:
    """im2col: every window of data (N, C, *L), copied once into one contiguous buffer laid out
    (G, C/G·K, N·out), so that a correlation is one matrix product per group (a stack of products
    broadcast over N is several times slower in NumPy); and the output shape. The copy reads each
    (c, a, n) as a strided plane of data, rows contiguous at stride 1."""
    w = _windows(data, kernel_shape, stride, dilation)     # N C out kernel
    nd = len(kernel_shape)
    n, c = w.shape[:2]
    out = tuple(w.shape[2:2 + nd])
    cols = np.empty((c,) + tuple(kernel_shape) + (n,) + out, dtype=data.dtype)
    np.copyto(cols, w.transpose((1,) + tuple(range(2 + nd, 2 + 2 * nd)) + (0,) + tuple(range(2, 2 + nd))))
    return cols.reshape(groups, (c // groups) * int(np.prod(kernel_shape)), n * int(np.prod(out))), out


def _runs(entries: int, per: int, chunk: int | None) -> Any:
    """Consecutive output entries, as index arrays of about ``chunk // per`` entries each (one run: None)."""
    step = entries if chunk is None else max(1, chunk // max(per, 1))
    for e0 in range(0, entries, max(step, 1)):
        yield np.arange(e0, min(e0 + step, entries))


def _kept(out: np.ndarray, data: np.ndarray, kern: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The monomials whose two factors are entries (an id 0 is a zero the operators put in), ids from 0."""
    keep = (data != 0) & (kern != 0)
    return out[keep], data[keep] - 1, kern[keep] - 1


def _joined(chunks: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    parts = list(chunks)
    if not parts:
        return tuple(np.zeros(0, dtype=np.int64) for _ in range(3))  # type: ignore[return-value]
    return tuple(np.concatenate(col) for col in zip(*parts))  # type: ignore[return-value]


def _operand(expr: Expr, right: bool) -> str:
    r"""An operand of ``\otimes`` in LaTeX: ``\otimes`` binds tighter than ``+`` and groups to the left, so a
    sum, and on the right a correlation, is in parentheses."""
    text = expr.to_latex()
    if isinstance(expr, AddBias) or right and isinstance(expr, _Correlation):
        return rf"\left({text}\right)"
    return text


@dataclass(frozen=True, repr=False)
class _Correlation(Expr):
    """What the two correlations share: their operands and options, their printed name, their sizes."""

    data: Expr
    kernel: Expr
    stride: tuple[Any, ...]
    dilation: tuple[Any, ...]
    groups: Any = 1
    name = ""

    def __str__(self) -> str:
        return (f"{self.name}({self.data}, {self.kernel}"
                f"{_opts(stride=self.stride, dilation=self.dilation, groups=self.groups)})")

    def map_sizes(self, mapping: Mapping[sp.Symbol, Any]) -> Expr:
        return type(self)(self.data.map_sizes(mapping), self.kernel.map_sizes(mapping),
                          tuple(_sub(v, mapping) for v in self.stride),
                          tuple(_sub(v, mapping) for v in self.dilation), _sub(self.groups, mapping))


@dataclass(frozen=True, repr=False)
class Correlate(_Correlation):
    """``out[n, o, i] = sum_{c in group(o), a} data[n, c, s*i + d*a] * kernel[o, c, a]`` (PyTorch's conv)."""

    name = "correlate"

    def evaluate(self, env: Env, sizes: Sizes | None = None) -> np.ndarray:
        # One matrix product per group (im2col): kernel (G, O/G, C/G·K) @ columns (G, C/G·K, N·out), the
        # columns being every window of the data copied once (see _columns).
        x, k, g, s, d = _operands(self, env, sizes)
        n, c = x.shape[:2]
        o = k.shape[0]
        taps = int(np.prod(k.shape[2:]))
        if taps == 0:
            raise ValueError("empty kernel")
        cols, out = _columns(x, k.shape[2:], s, d, g)
        y = _product(k.reshape(g, o // g, (c // g) * taps), cols)            # G, O/G, N·out
        return y.reshape(o, n, *out).swapaxes(0, 1)

    def triples(self, ids: Env, sizes: Sizes | None = None) -> tuple[np.ndarray, ...]:
        """The monomials of the result: (output entry, data source, kernel source), for index-map operands,
        and the result's shape.

        ``ids`` holds each input's entries numbered from 1 (0 is a zero entry); the operands, evaluated on
        those numbers, say which input entry each of their entries is. Same windows as :meth:`evaluate`.
        All at once; :meth:`triple_chunks` gives the same monomials in bounded pieces.
        """
        shape, chunks = self.triple_chunks(ids, sizes, None)
        return (*_joined(chunks), shape)

    def triple_chunks(self, ids: Env, sizes: Sizes | None = None, chunk: int | None = 2_000_000
                      ) -> tuple[tuple[int, ...], Any]:
        """The result's shape and an iterator of (output entry, data source, kernel source) arrays, each
        from a run of consecutive output entries holding at most about ``chunk`` monomials (None: one run),
        in increasing order of the output entry."""
        x, k, g, s, d = _operands(self, ids, sizes)
        nd = x.ndim - 2
        w = _windows(x, k.shape[2:], s, d)                   # N C out kernel (a view)
        n, c = w.shape[:2]
        o = k.shape[0]
        shape = (n, o) + tuple(w.shape[2:2 + nd])
        # Output channel o reads data channels group(o)·C/G + c'.
        chan = (np.arange(o) // max(o // g, 1))[:, None] * (c // g) + np.arange(c // g)
        per = (c // g) * int(np.prod(k.shape[2:]))

        def pieces() -> Any:
            for e in _runs(int(np.prod(shape)), per, chunk):
                nn, oo, *ii = np.unravel_index(e, shape)
                data = w[(nn[:, None], chan[oo]) + tuple(i[:, None] for i in ii)]    # E, C/G, kernel
                kern = k[oo]                                                          # E, C/G, kernel
                yield _kept(np.broadcast_to(e.reshape((-1,) + (1,) * (1 + nd)), data.shape), data, kern)
        return shape, pieces()

    def to_latex(self) -> str:
        opts = _latex_opts(self.stride, self.dilation, self.groups)
        op = rf"\otimes_{{{opts}}}" if opts else r"\otimes"
        return rf"{_operand(self.data, False)} {op} {_operand(self.kernel, True)}"

    def extent(self, space: IndexSpace) -> Extent:
        data, kern, s, d = _correlation_operands(self, space, "data", "kernel")
        return Extent("data", (data[0], data[1], kern[1]) + _window_counts(data[3:], kern[3:], s, d))

    def relation(self, space: IndexSpace) -> Any:
        # [out[n, γ, o, i] -> (c, a)] -> [data[n, γ, c, s·i + d·a] -> kernel[γ, o, c, a]] (as entries of the
        # tensors the operands move), for every output entry and every c < C/G, a < K.
        data, kern, s, d = _correlation_operands(self, space, "data", "kernel")
        out = self.extent(space).sizes
        nd = len(s)
        n, q, o, *i = variables("z", 3 + nd)
        c, *a = ["c"] + variables("a", nd)
        dom = f"[{tup([n, q, o] + i)} -> {tup([c] + a)}]"
        box = " and ".join([space.box([n, q, o] + i, out), space.box([c] + a, (data[2],) + tuple(kern[3:]))])
        pos = [f"{si}*{ii} + {di}*{ai}" for si, ii, di, ai in zip(s, i, d, a)]
        taken = space.map(dom, tup([n, q, c] + pos), box).apply_range(_moved_as(self.data, space, "data"))
        weights = space.map(dom, tup([q, o, c] + a), box).apply_range(_moved_as(self.kernel, space, "kernel"))
        return taken.range_product(weights)

    def requires(self, space: IndexSpace) -> list[tuple[str, Expr, str]]:
        data, kern, s, d = _correlation_operands(self, space, "data", "kernel")
        return super().requires(space) + _correlation_requires(self, space, data, kern, s, d, kern[2], data[2],
                                                               "input channels per group")


@dataclass(frozen=True, repr=False)
class BatchCorrelate(_Correlation):
    """``out[o, c, a] = sum_{n, i} data[n, group(o)*C/G + c, s*a + d*i] * kernel[n, o, i]``.

    The correlation that gives a weight gradient: the batch axis is summed and both channel axes are kept.
    """

    name = "batch_correlate"

    def evaluate(self, env: Env, sizes: Sizes | None = None) -> np.ndarray:
        # One matrix product per group (im2col): kernel (G, O/G, N·I) @ columns (G, N·I, C/G·out), where
        # the output positions a step by the stride and the kernel (here: g's) positions i by the dilation.
        x, k, g, s, d = _operands(self, env, sizes)
        n, c = x.shape[:2]
        o = k.shape[1]
        nd = x.ndim - 2
        out = _out_shape(x.shape[2:], k.shape[2:], s, d)
        taps = int(np.prod(k.shape[2:]))      # explicit sizes: -1 cannot be inferred when N = 0
        if n == 0:                            # an empty batch: the sum over it is zero
            return _zeros((o, c // g) + out, np.empty(0, dtype=np.result_type(x, k)))
        w = _windows(x, k.shape[2:], s, d)    # N C out taps
        cols = np.empty((c,) + out + (n,) + tuple(k.shape[2:]), dtype=x.dtype)
        # One copy into (C, out, N, taps): each (c, a, n) is one plane of x, read row by row.
        np.copyto(cols, w.transpose((1,) + tuple(range(2, 2 + nd)) + (0,) + tuple(range(2 + nd, 2 + 2 * nd))))
        cols = cols.reshape(g, (c // g) * int(np.prod(out)), n * taps)
        kk = k.reshape(n, g, o // g, taps).transpose(1, 2, 0, 3).reshape(g, o // g, n * taps)  # G, O/G, N*I
        return _product(kk, cols.swapaxes(1, 2)).reshape((o, c // g) + out)

    def triples(self, ids: Env, sizes: Sizes | None = None) -> tuple[np.ndarray, ...]:
        """(output entry, data source, kernel source) of every monomial; see :meth:`Correlate.triples`."""
        shape, chunks = self.triple_chunks(ids, sizes, None)
        return (*_joined(chunks), shape)

    def triple_chunks(self, ids: Env, sizes: Sizes | None = None, chunk: int | None = 2_000_000
                      ) -> tuple[tuple[int, ...], Any]:
        """As :meth:`Correlate.triple_chunks`. One output entry sums over the whole batch; when that alone is
        over ``chunk``, it comes in runs of batch entries (increasing, so its keys still increase)."""
        x, k, g, s, d = _operands(self, ids, sizes)
        nd = x.ndim - 2
        w = _windows(x, k.shape[2:], s, d)                   # N C out taps (a view)
        n, c = w.shape[:2]
        o = k.shape[1]
        shape = (o, c // g) + tuple(w.shape[2:2 + nd])
        plane = int(np.prod(k.shape[2:]))
        per = n * plane

        step = n if chunk is None or per <= chunk else max(1, chunk // max(plane, 1))

        def pieces() -> Any:
            for e in _runs(int(np.prod(shape)), per, chunk):
                oo, cc, *aa = np.unravel_index(e, shape)
                chan = (oo // max(o // g, 1)) * (c // g) + cc
                for b in [slice(n0, n0 + step) for n0 in range(0, n, max(step, 1))]:
                    # Entry by entry (E, N, taps): within an entry the data's entries then increase with
                    # (n, i), so each run comes out sorted by (entry, data, kernel) as the exact prover keys it.
                    data = w[(b, chan) + tuple(aa)].swapaxes(0, 1)            # E, N, taps
                    kern = k[b][:, oo].swapaxes(0, 1)                         # E, N, taps
                    yield _kept(np.broadcast_to(e.reshape((-1,) + (1,) * (1 + nd)), data.shape), data, kern)
        return shape, pieces()

    def to_latex(self) -> str:
        opts = _latex_opts(self.stride, self.dilation, self.groups)
        sub = r"\Sigma n" + (", " + opts if opts else "")
        return rf"{_operand(self.data, False)} \otimes_{{{sub}}} {_operand(self.kernel, True)}"

    def extent(self, space: IndexSpace) -> Extent:
        data, kern, s, d = _correlation_operands(self, space, "data", "data")
        return Extent("kernel", (data[1], kern[2], data[2]) + _window_counts(data[3:], kern[3:], s, d))

    def relation(self, space: IndexSpace) -> Any:
        # [out[γ, o, c, a] -> (n, i)] -> [data[n, γ, c, s·a + d·i] -> kernel[n, γ, o, i]].
        data, kern, s, d = _correlation_operands(self, space, "data", "data")
        out = self.extent(space).sizes
        nd = len(s)
        q, o, c, *a = variables("z", 3 + nd)
        n, *i = ["n"] + variables("i", nd)
        dom = f"[{tup([q, o, c] + a)} -> {tup([n] + i)}]"
        box = " and ".join([space.box([q, o, c] + a, out), space.box([n] + i, (data[0],) + tuple(kern[3:]))])
        pos = [f"{si}*{ai} + {di}*{ii}" for si, ai, di, ii in zip(s, a, d, i)]
        taken = space.map(dom, tup([n, q, c] + pos), box).apply_range(_moved_as(self.data, space, "data"))
        weights = space.map(dom, tup([n, q, o] + i), box).apply_range(_moved_as(self.kernel, space, "data"))
        return taken.range_product(weights)

    def requires(self, space: IndexSpace) -> list[tuple[str, Expr, str]]:
        data, kern, s, d = _correlation_operands(self, space, "data", "data")
        return super().requires(space) + _correlation_requires(self, space, data, kern, s, d, kern[0], data[0],
                                                               "batch entries")


@dataclass(frozen=True, repr=False)
class SumAxes(Expr):
    """The sum over the given axes, e.g. ``sum_axes(g, (0, 2, 3))`` for a bias gradient."""

    arg: Expr
    axes: tuple[int, ...]

    def evaluate(self, env: Env, sizes: Sizes | None = None) -> np.ndarray:
        a = self.arg.evaluate(env, sizes)
        if a.size == 0:                       # exact arrays keep SymPy's 0, not Python's
            return _zeros(tuple(n for ax, n in enumerate(a.shape) if ax not in self.axes), a)
        return a.sum(axis=self.axes)

    def pairs(self, ids: Env, sizes: Sizes | None = None) -> tuple[np.ndarray, ...]:
        """(output entry, source) of every term of the sum, for an index-map operand."""
        a = self.arg.evaluate(ids, sizes)
        kept = [ax for ax in range(a.ndim) if ax not in self.axes]
        order = np.moveaxis(a, kept, list(range(len(kept))))
        out = np.broadcast_to(np.arange(int(np.prod([a.shape[ax] for ax in kept]))).reshape(
            tuple(a.shape[ax] for ax in kept) + (1,) * len(self.axes)), order.shape)
        keep = order != 0
        return out[keep], order[keep] - 1, tuple(a.shape[ax] for ax in kept)

    def __str__(self) -> str:
        return f"sum_axes({self.arg}, {self.axes})"

    def to_latex(self) -> str:
        return rf"\operatorname{{sum}}_{{{','.join(map(str, self.axes))}}}\left({self.arg.to_latex()}\right)"

    def map_sizes(self, mapping: Mapping[sp.Symbol, Any]) -> Expr:
        return SumAxes(self.arg.map_sizes(mapping), self.axes)

    def _split(self, space: IndexSpace) -> tuple[list[int], list[int], Extent]:
        """Uniform-layout positions kept and summed (a grouped channel axis is two positions)."""
        arg = self.arg.extent(space)
        per_axis = _uniform_axes(arg)
        if any(not 0 <= ax < len(per_axis) for ax in self.axes):
            raise UnsupportedError(f"{self}: an axis outside 0..{len(per_axis) - 1}")
        summed = [p for ax in sorted(set(self.axes)) for p in per_axis[ax]]
        return [p for p in range(len(arg.sizes)) if p not in summed], summed, arg

    def extent(self, space: IndexSpace) -> Extent:
        kept, _, arg = self._split(space)
        kind = "bias" if arg.kind == "data" and kept == [1, 2] else "other"
        return Extent(kind, tuple(arg.sizes[p] for p in kept))

    def relation(self, space: IndexSpace) -> Any:
        # [out[kept] -> (summed)] -> the entry of arg at those indices.
        kept, summed, arg = self._split(space)
        v = variables("z", len(arg.sizes))
        dom = f"[{tup([v[p] for p in kept])} -> {tup([v[p] for p in summed])}]"
        return space.map(dom, tup(v), space.box(v, arg.sizes)).apply_range(_moved(self.arg, space))


@dataclass(frozen=True, repr=False)
class AddBias(Expr):
    """``out[n, o, ...] = arg[n, o, ...] + bias[o]``; or, when ``bias`` is an array of ``arg``'s shape, their
    sum (a claim's ``A + B``)."""

    arg: Expr
    bias: Expr

    def evaluate(self, env: Env, sizes: Sizes | None = None) -> np.ndarray:
        a = self.arg.evaluate(env, sizes)
        b = self.bias.evaluate(env, sizes)
        if b.ndim != 1 or a.ndim == 1:                 # a sum of two arrays of one shape (rot180(A + B))
            if a.shape != b.shape:
                raise ValueError(f"a sum of arrays of shapes {a.shape} and {b.shape}")
            return a + b
        return a + b.reshape((1, -1) + (1,) * (a.ndim - 2))

    def __str__(self) -> str:
        return f"{self.arg} + {self.bias}"

    def to_latex(self) -> str:
        return rf"{self.arg.to_latex()} + {self.bias.to_latex()}"

    def map_sizes(self, mapping: Mapping[sp.Symbol, Any]) -> Expr:
        return AddBias(self.arg.map_sizes(mapping), self.bias.map_sizes(mapping))

    def extent(self, space: IndexSpace) -> Extent:
        return self.arg.extent(space)

    def relation(self, space: IndexSpace) -> Any:
        # A sum: the union of the argument's relation and out[n, γ, o, i] -> bias[γ, o].
        import islpy as isl
        sizes = self.extent(space).sizes
        v = variables("z", len(sizes))
        bias = space.map(tup(v), tup(v[1:3]), space.box(v, sizes)).apply_range(
            _moved(self.bias, space))
        return isl.UnionMap.from_map(self.arg.relation(space)).union(isl.UnionMap.from_map(bias))

    def requires(self, space: IndexSpace) -> list[tuple[str, Expr, str]]:
        arg, bias = self.arg.extent(space), self.bias.extent(space)
        if arg.kind != "data" or bias.kind != "bias":
            raise UnsupportedError(f"{self}: a bias (γ, o) is added to data (n, γ, o, ...)")
        return super().requires(space) + [(f"{space.aff(a)} = {space.aff(b)}", self, "the bias does not match "
                                           "the channels") for a, b in zip(arg.sizes[1:3], bias.sizes)]


def nodes(expr: Expr) -> list[Expr]:
    out = [expr]
    for f in fields(expr):  # type: ignore[arg-type]
        child = getattr(expr, f.name)
        if isinstance(child, Expr):
            out += nodes(child)
    return out


def parameters(node: Expr) -> list[tuple[str, Any, int | None]]:
    """(what, value, least) of each size an operator takes; ``least`` None where any value is valid."""
    if isinstance(node, Pad):
        return [("padding", w, None) for pair in node.widths for w in pair]
    if isinstance(node, Dilate):
        return [("dilation factor", f, 1) for f in node.factors]
    if isinstance(node, SwapIO):
        return [("groups", node.groups, 1)]
    if isinstance(node, (Correlate, BatchCorrelate)):
        return [("stride", v, 1) for v in node.stride] + [("dilation", v, 1) for v in node.dilation] + [
            ("groups", node.groups, 1)]
    if hasattr(node, "size_parameters"):        # an operator of another module (unfold, fold)
        return node.size_parameters()
    return []


def largest(expr: Expr, shapes: Mapping[str, tuple[int, ...]], sizes: Sizes | None = None) -> int:
    """The entries of the largest array evaluating ``expr`` would build, from the inputs' shapes alone (no
    array is made): so that a caller can refuse to evaluate a formula that would take gigabytes (three
    nested ``dilate(·, 1024)`` of a length-3 axis need 3·10^9 entries). A shape the evaluators would refuse
    counts as 0 (evaluating raises first)."""
    most = 0

    def shape(e: Expr) -> tuple[int, ...]:
        nonlocal most
        if isinstance(e, Tensor):
            out = tuple(shapes[e.name])
        elif isinstance(e, Pad):
            a = shape(e.arg)
            ws = [(_int(lo, sizes or {}), _int(hi, sizes or {})) for lo, hi in e.widths]
            lead = len(a) - len(ws)
            out = a[:lead] + tuple(max(n + lo + hi, 0) for n, (lo, hi) in zip(a[lead:], ws))
        elif isinstance(e, Dilate):
            a = shape(e.arg)
            fs = [_int(f, sizes or {}) for f in e.factors]
            lead = len(a) - len(fs)
            out = a[:lead] + tuple(max((n - 1) * f + 1, 0) for n, f in zip(a[lead:], fs))
        elif isinstance(e, Rot180):
            out = shape(e.arg)
        elif isinstance(e, SwapIO):
            a = shape(e.arg)
            g = max(_int(e.groups, sizes or {}), 1)
            out = (a[1] * g, a[0] // g) + a[2:]
        elif isinstance(e, (Correlate, BatchCorrelate)):
            d, k = shape(e.data), shape(e.kernel)
            st = [max(_int(v, sizes or {}), 1) for v in e.stride]
            di = [_int(v, sizes or {}) for v in e.dilation]
            win = tuple(max((n - dd * (kk - 1) - 1) // ss + 1, 0)
                        for n, kk, ss, dd in zip(d[2:], k[2:], st, di))
            taps = math.prod(k[2:])
            most = max(most, math.prod(d[:2]) * math.prod(win) * taps)        # the windows copied once
            out = ((d[0], k[0]) if isinstance(e, Correlate) else (k[1], d[1])) + win
        elif isinstance(e, SumAxes):
            a = shape(e.arg)
            out = tuple(n for ax, n in enumerate(a) if ax not in e.axes)
        elif isinstance(e, AddBias):
            out = shape(e.arg)
            shape(e.bias)
        elif hasattr(e, "out_shape"):            # an operator of another module (unfold, fold)
            out = e.out_shape(shape(e.arg), sizes)
        else:
            raise UnsupportedError(f"{e}: no shape")
        most = max(most, math.prod(out))
        return out
    shape(expr)
    return most


def rename(expr: Expr, latex: Mapping[str, str]) -> Expr:
    """The same tree with some tensors given another LaTeX name (``g`` shown as ``∂L/∂y``)."""
    if isinstance(expr, Tensor):
        return Tensor(expr.name, latex.get(expr.name, expr.latex))
    changes = {f.name: rename(getattr(expr, f.name), latex) for f in fields(expr)  # type: ignore[arg-type]
               if isinstance(getattr(expr, f.name), Expr)}
    return replace(expr, **changes)  # type: ignore[type-var]


# Helpers of the affine reading, shared by the operators above.

_MOVES = (Tensor, Pad, Dilate, Rot180, SwapIO)


def _only_moves(expr: Expr) -> bool:
    """Whether ``expr`` is a tensor under operators that only move entries (pad, dilate, rot180, swap_io)."""
    # An operator defined in another module (unfold) says that it moves entries with ``moves_entries``.
    while (isinstance(expr, _MOVES) or getattr(expr, "moves_entries", False)) and not isinstance(expr, Tensor):
        expr = expr.arg  # type: ignore[attr-defined]
    return isinstance(expr, Tensor)


def _moved(expr: Expr, space: IndexSpace) -> Any:
    """The relation of an operand that only moves entries (pad, dilate, rot180, swap_io of a tensor)."""
    if not _only_moves(expr):
        raise UnsupportedError(f"the affine reading composes operators that move entries; {expr} is not one")
    return expr.relation(space)


def _through(op: Any, move: Any, space: IndexSpace) -> Any:
    """The relation of an operator that moves entries, given its index map ``move`` (result index → the
    argument's index): the argument's entries, or, when the argument is itself a sum of products (a
    correlation, a sum over axes), its terms with the summation index carried along:
    [out → s] → factors wherever out moves to out' and [out' → s] → factors is a term of the argument."""
    import islpy as isl
    if _only_moves(op.arg):
        return move.apply_range(op.arg.relation(space))
    inner = op.arg.relation(space)
    if not isinstance(inner, isl.Map) or not inner.domain().is_wrapping():
        raise UnsupportedError(f"the affine reading moves entries of a tensor or terms of a sum; {op.arg} is "
                               f"neither")
    return move.product(inner.domain().unwrap().range().identity()).apply_range(inner)


def _spatial_arg(op: Any, space: IndexSpace, count: int) -> Extent:
    arg = op.arg.extent(space)
    if count != space.ndim or len(arg.sizes) < count:
        raise UnsupportedError(f"{op}: {count} spatial axes given, the convolution has {space.ndim}")
    return arg


def _group_requires(op: Any, space: IndexSpace) -> list[tuple[str, Expr, str]]:
    """An operator whose groups differ from the convolution's mixes channels of different groups: its
    channel counts are off by the factor G, so it fits only where the two group counts agree. The reading
    (extent, relation) then treats its groups as the convolution's."""
    if space.same(op.groups, space.groups):
        return []
    return [(f"{space.aff(space.groups)} = {space.aff(op.groups)}", op,
             f"takes groups={op.groups} where the convolution has {space.groups} groups: its channel counts "
             f"fit only when G = {op.groups}")]


def _uniform_axes(ext: Extent) -> list[list[int]]:
    """For each PyTorch axis, its positions in the uniform layout (a grouped channel axis has two)."""
    rank = len(ext.sizes)
    if ext.kind == "data":
        return [[0], [1, 2]] + [[p] for p in range(3, rank)]
    if ext.kind == "kernel":
        return [[0, 1], [2]] + [[p] for p in range(3, rank)]
    if ext.kind == "bias":
        return [[0, 1]]
    return [[p] for p in range(rank)]


def as_kind(ext: Extent, want: str, space: IndexSpace) -> tuple[Extent, bool]:
    """``ext`` read as an array of kind ``want``, and whether that exchanges its first two positions: with one
    group, data (n, 0, c, ...) is a kernel (0, n, c, ...) and a kernel data, entry for entry (PyTorch's
    weight gradient correlates transposed data this way). Anything else is :class:`UnsupportedError`."""
    if ext.kind == want:
        return ext, False
    if {ext.kind, want} == {"data", "kernel"} and space.same(ext.sizes[1 if ext.kind == "data" else 0], 1):
        return Extent(want, (ext.sizes[1], ext.sizes[0]) + tuple(ext.sizes[2:])), True
    raise UnsupportedError(f"{ext.kind} is not read as {want}")


def _moved_as(expr: Expr, space: IndexSpace, want: str) -> Any:
    """:func:`_moved`, its index in the layout of kind ``want`` (see :func:`as_kind`)."""
    moved = _moved(expr, space)
    ext, swapped = as_kind(expr.extent(space), want, space)
    if not swapped:
        return moved
    v = variables("w", len(ext.sizes))
    return space.map(tup(v), tup([v[1], v[0]] + v[2:]), "true").apply_range(moved)


def _correlation_operands(op: Any, space: IndexSpace, data_kind: str, kernel_kind: str) -> tuple[Any, ...]:
    try:
        data, _ = as_kind(op.data.extent(space), data_kind, space)
        kern, _ = as_kind(op.kernel.extent(space), kernel_kind, space)
    except UnsupportedError:
        raise UnsupportedError(f"{op}: operands of kinds ({op.data.extent(space).kind}, "
                               f"{op.kernel.extent(space).kind}), expected ({data_kind}, {kernel_kind})") from None
    if len(op.stride) != space.ndim or len(op.dilation) != space.ndim:
        raise UnsupportedError(f"{op}: stride and dilation need {space.ndim} axes")
    s = tuple(space.int(v, "stride") for v in op.stride)
    d = tuple(space.int(v, "dilation") for v in op.dilation)
    return data.sizes, kern.sizes, s, d


def _window_counts(lengths: tuple[Any, ...], taps: tuple[Any, ...], s: tuple[int, ...],
                   d: tuple[int, ...]) -> tuple[Any, ...]:
    # floor((L - d(K - 1) - 1) / s) + 1 windows fit on each axis (as _out_shape computes).
    return tuple(sp.floor((n - di * (k - 1) - 1) / si) + 1 for n, k, si, di in zip(lengths, taps, s, d))


def _correlation_requires(op: Any, space: IndexSpace, data: tuple[Any, ...], kern: tuple[Any, ...],
                          s: tuple[int, ...], d: tuple[int, ...], kern_count: Any, data_count: Any,
                          what: str) -> list[tuple[str, Expr, str]]:
    out = _group_requires(op, space)
    out.append((f"{space.aff(kern_count)} = {space.aff(data_count)}", op, f"has operands whose {what} differ"))
    for n, k, di in zip(data[3:], kern[3:], d):
        out.append((f"{space.aff(k)} >= 1", op, "has an empty kernel"))
        out.append((f"{space.aff(n)} >= {di}*({space.aff(k)} - 1) + 1", op, "has a kernel wider than its data"))
    return out


# Smart constructors: identities vanish, so a closed form reads as simply as the configuration allows.

def pad(arg: Expr, widths: Widths) -> Expr:
    if all(lo == 0 and hi == 0 for lo, hi in widths):
        return arg
    return Pad(arg, tuple(widths))


def dilate(arg: Expr, factors: tuple[Any, ...]) -> Expr:
    if all(f == 1 for f in factors):
        return arg
    return Dilate(arg, tuple(factors))
