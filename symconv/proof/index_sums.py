r"""Index notation: ``∂L/∂x_{c,u,v} = Σ … ∂L/∂y_{o,i,j} · h_{o,c,…}`` read as the affine relation the prover uses.

A gradient written as an index sum says, for each entry of ∂L/∂x (or ∂L/∂h), which products of two entries it
adds up: a set of (gradient entry, summation indices) → (factor entries) pairs under affine conditions (the
sums' bounds, stated conditions, Iverson brackets, each factor's index inside its tensor: the zero-outside
convention). That is exactly a closed form's :meth:`~symconv.derivation.ops.Expr.relation`, so an index sum is
one more operator (:class:`IndexSum`) and :func:`symconv.proof.claims.prove_form` proves it for every size or
refutes it with the smallest counterexample, witnessed by evaluating the sum (:meth:`IndexSum.evaluate`,
array loops independent of isl) against the definition's derivative.

The student's indices are numbers on the student's own scale: 0-based, 1-based, or for a kernel centred
(−1, 0, 1 for a 3×3 kernel). :class:`Reading` fixes the scales; :func:`~.index_reader.read_derivation` (:mod:`.index_reader`, the
notation) lists the readings the
bounds and conditions allow (``\sum_{i=1}^{H}``, ``m \in \{0,1,2\}``) or a remark states ("1-based", "下标从
1 开始"), the likeliest first, and :func:`~.index_judge.judge` (:mod:`.index_judge`) accepts the first under which the formula is proved (and names
it), checking every line of a derivation against the one before:

>>> from symconv import ConvSpec
>>> from symconv.proof.index_reader import read_derivation
>>> from symconv.proof.index_judge import judge
>>> spec = ConvSpec(2, 2, 3, padding=1)
>>> d = read_derivation(r"\frac{\partial L}{\partial x_{c,i,j}} = \sum_{o}\sum_{m,n} "
...                     r"\frac{\partial L}{\partial y_{o,i-m+1,j-n+1}} h_{o,c,m,n}", spec)
>>> d.target, [str(v) for v in d.steps[0].free]
('x', ['c', 'i', 'j'])
>>> v = judge(spec, d)
>>> v.verdict, v.reading.words()
('proved', 'indices 0-based, kernel positions 0-based')
>>> v = judge(spec, read_derivation(r"\frac{\partial L}{\partial x_{c,i,j}} = \sum_{m,n} "
...                                 r"\frac{\partial L}{\partial y_{o,i-m+1,j-n+1}} h_{o,c,m,n}", spec))
>>> print(v.words)
at C_in = 1, C_out = 2, H = 1, W = 1, K = 3, P = 1: ∂L/∂x_{c,i,j} at c = 0, i = 0, j = 0 should contain ∂L/∂y_{1,0,0}·h_{1,0,1,1} but the sum gives ∂L/∂y_{0,0,0}·h_{0,0,1,1} (o not summed over: read at its first value)
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import numpy as np
import sympy as sp

from ..derivation import ops
from ..derivation.affine import Extent, IndexSpace, tup
from ..errors import UnsupportedError

# ------------------------------------------------------------------------------------------- the model

@dataclass(frozen=True)
class Factor:
    """One factor: a tensor (``x``, ``h``, ``g`` = ∂L/∂y) and its index as the student wrote it (the
    student's values), in the tensor's PyTorch axis order once read (``order`` says whether the student
    wrote a kernel's channels as (C_in, C_out)). ``derived`` marks ∂y/∂x or ∂y/∂h written as a factor."""

    tensor: str
    index: tuple[Any, ...]
    written: str
    swapped: bool = False
    derived: str = ""          # "dydx": index (o, c, u..., p...) of ∂y_{o,p}/∂x_{c,u}; "dydh": (c, p..., a...)


@dataclass(frozen=True)
class Reading:
    """The scales of the student's numbers: ``data`` for channels and data positions (0 or 1: the first
    entry's number), ``kernel`` for kernel positions (0, 1, or ``None`` for centred: −(K−1)/2 …)."""

    data: int = 0
    kernel: int | None = 0
    wh: bool = False            # W names the first spatial axis and H the second (x_{c, w, h})
    batch: int | None = None    # the image index's first number when it differs from the others' (b = 1..N)

    def words(self) -> str:
        k = "centred" if self.kernel is None else f"{self.kernel}-based"
        return f"indices {self.data}-based, kernel positions {k}" + (
            f", images {self.batch}-based" if self.batch is not None else "") + (
            ", W the first spatial axis and H the second" if self.wh else "")


@dataclass(frozen=True)
class IndexSum(ops.Expr):
    """Σ over ``sums`` of the product of ``factors``, where ``conds`` hold: ∂L/∂``target`` at the entry
    whose indices are ``free`` (the student's names), read with ``reading``'s scales.

    Every index is a SymPy expression in the student's index symbols and the size symbols of
    :class:`~symconv.derivation.index.Symbols` (affine, integer coefficients). ``bounds`` holds (symbol, low,
    high) per summation index (either may be None: the index runs over every valid value); ``conds`` holds
    relations (``sp.Le``, ``sp.Lt``, ``sp.Eq``) of the same. A factor outside its tensor is zero.
    """

    target: str
    free: tuple[Any, ...]
    batch: bool
    bounds: tuple[Any, ...]
    conds: tuple[Any, ...]
    factors: tuple[Factor, ...]
    reading: Reading
    kernel: tuple[int, ...]
    pads: tuple[int, ...]
    ndim: int
    lhs_swapped: bool = False
    text: str = dataclasses.field(default="", compare=False)

    def with_reading(self, reading: Reading) -> "IndexSum":
        return dataclasses.replace(self, reading=reading)

    # --- the scales ------------------------------------------------------------------------------------

    def _offset(self, tensor: str, axis: int) -> int:
        """What to subtract from a student's number on this axis to get the tensor's 0-based index."""
        spatial = axis >= 2
        if tensor == "h" and spatial:
            k = self.kernel[axis - 2]
            return -((k - 1) // 2) if self.reading.kernel is None else self.reading.kernel
        if tensor in ("x", "g") and axis == 0 and self.reading.batch is not None:
            return self.reading.batch
        return self.reading.data

    def _entries(self) -> list[tuple[str, list[Any]]]:
        """Each factor as (tensor, 0-based PyTorch index as SymPy expressions of the student's symbols;
        the batch index is the symbol ``n`` when the student wrote none)."""
        out = []
        nd, bd = self.ndim, self.reading.data
        for f in self.factors:
            idx = list(f.index)
            if f.derived == "dydx":          # ∂y[o, p]/∂x[c, u] = h[o, c, u - p + P]
                o, c, us, ps = idx[0], idx[1], idx[2:2 + nd], idx[2 + nd:]
                out.append(("h", [sp.expand(o - bd), sp.expand(c - bd)] + [
                    sp.expand(u - p + pad) for u, p, pad in zip(us, ps, self.pads)]))
                continue
            if f.derived == "dydh":          # ∂y[n, o, p]/∂h[o, c, a] = x[n, c, p + a - P]
                c, ps, as_ = idx[0], idx[1:1 + nd], idx[1 + nd:]
                pos = [sp.expand(p - bd + a - self._offset("h", 2 + k) - pad)
                       for k, (p, a, pad) in enumerate(zip(ps, as_, self.pads))]
                out.append(("x", ([] if self.batch else [_BATCH]) + [sp.expand(c - bd)] + pos))
                continue
            if f.tensor in ("x", "g") and not self.batch:
                idx = [_BATCH] + idx
                shift = [0] + [self._offset(f.tensor, a + 1) for a in range(len(f.index))]
            else:
                shift = [self._offset(f.tensor, a) for a in range(len(idx))]
            out.append((f.tensor, [sp.expand(e - s) for e, s in zip(idx, shift)]))
        return out

    def _own(self) -> list[Any]:
        """The gradient entry (0-based, PyTorch order) in terms of the free symbols."""
        free = list(self.free)
        if self.target == "x" and not self.batch:
            free = [_BATCH] + free
        return [sp.expand(v - self._offset(self.target, a)) if v is not _BATCH else v for a, v in enumerate(free)]

    def _bounds(self) -> list[tuple[Any, Any, Any]]:
        """The summations with an index the student never summed fixed to its first value ("first")."""
        out = []
        for v, lo, hi in self.bounds:
            if lo == "first":
                kernel = any(f.tensor == "h" and not f.derived and any(v in index_expr(e).free_symbols
                                                                       for e in f.index[2:])
                             for f in self.factors)
                first = self._offset("h", 2) if kernel else self.reading.data
                lo = hi = sp.Integer(first)
            out.append((v, lo, hi))
        return out

    def _sum_symbols(self) -> list[sp.Symbol]:
        out = [b[0] for b in self.bounds]
        if self.target == "h" and not self.batch:
            out = [_BATCH] + out             # ∂L/∂h sums over the batch, each image alone (as the seed says)
        return out

    # --- ops.Expr ------------------------------------------------------------------------------------------

    def __str__(self) -> str:
        return self.text or "index sum"

    def to_latex(self) -> str:
        return self.text

    def map_sizes(self, mapping: Mapping[sp.Symbol, Any]) -> ops.Expr:
        return self

    def extent(self, space: IndexSpace) -> Extent:
        if space.groups != 1:
            raise UnsupportedError("an index sum is read for one group")
        return space.tensor_extent(self.target)

    def relation(self, space: IndexSpace) -> Any:
        # [gradient entry (uniform) -> summation indices] -> [first factor -> second factor]
        ext = self.extent(space)
        own = self._own()
        zs = [sp.Symbol(f"z{k}", integer=True) for k in range(len(own))]
        names: dict[sp.Symbol, str] = {z: f"z{k}" for k, z in enumerate(zs)}
        sums = self._sum_symbols()
        for k, s in enumerate(sums):
            names[s] = f"s{k}"
        # the free symbols in terms of the entry: own[a] = v - offset, so v = z + offset
        back = {}
        for z, e in zip(zs, own):
            v = [s for s in e.free_symbols if s in self.free or s is _BATCH]
            if len(v) != 1:
                raise UnsupportedError(f"the gradient's index {e} is not one of its free indices")
            back[v[0]] = z + sp.expand(v[0] - e)           # e = v - offset
        # a free symbol given twice (x_{c,i,i}) is a condition between entries
        conds = []
        seen: dict[sp.Symbol, Any] = {}
        for z, e in zip(zs, own):
            v = next(iter(s for s in e.free_symbols if s in self.free or s is _BATCH))
            if v in seen:
                conds.append(f"{space.aff(seen[v], names)} = {space.aff(z + sp.expand(v - e), names)}")
            seen.setdefault(v, z + sp.expand(v - e))

        def a(e: Any) -> str:
            return space.aff(sp.expand(index_expr(e).xreplace(back)), names)
        for s, lo, hi in self._bounds():
            if lo is not None:
                conds.append(f"{a(lo)} <= {names[s]}")
            if hi is not None:
                conds.append(f"{names[s]} <= {a(hi)}")
        for c in self.conds:
            op = {sp.Le: "<=", sp.Lt: "<", sp.Eq: "=", sp.Ne: "!="}[type(c)]
            if op == "!=":
                conds.append(f"({a(c.lhs)} < {a(c.rhs)} or {a(c.lhs)} > {a(c.rhs)})")
            else:
                conds.append(f"{a(c.lhs)} {op} {a(c.rhs)}")
        own_uniform = [f"z{k}" for k in range(len(own))]
        conds.append(space.box(own_uniform, _pytorch_sizes(ext)))
        images = {}
        for tensor, idx in self._entries():
            texts = [a(e) for e in idx]
            conds.append(space.box(texts, _pytorch_sizes(space.tensor_extent(tensor))))
            images[tensor] = _to_uniform(tensor, texts)
        want = {"x": ("g", "h"), "h": ("x", "g")}[self.target]
        if sorted(images) != sorted(want) or len(self.factors) != 2:
            raise _wrong_factors(self, want)
        dom = f"[{tup(_to_uniform(self.target, own_uniform))} -> {tup([names[s] for s in sums])}]"
        image = f"[{tup(images[want[0]], want[0])} -> {tup(images[want[1]], want[1])}]"
        # the entry's uniform tuple holds a constant 0 (the group): read it through a map on z
        return _map_with_constants(space, dom, image, " and ".join(conds))

    def requires(self, space: IndexSpace) -> list[tuple[str, ops.Expr, str]]:
        return []

    def evaluate(self, env: Mapping[str, np.ndarray], sizes: Mapping[sp.Symbol, int] | None = None
                 ) -> np.ndarray:
        """The sum itself, by array loops over every entry and every summation index (no isl): each
        factor gathered where its index is inside its tensor (zero elsewhere), multiplied, added up."""
        sizes = dict(sizes or {})
        shapes = {k: np.asarray(v).shape for k, v in env.items()}
        out_shape = shapes[self.target]
        like = np.asarray(env["g"])
        total = np.zeros(out_shape, dtype=like.dtype) if like.dtype != object else np.full(out_shape, 0, object)
        own = self._own()
        sums = self._sum_symbols()
        reach = max([*out_shape, *(n for s in shapes.values() for n in s)]) + max(self.kernel) + 2
        ranges = []
        entries = self._entries()
        fixed = {}          # a sum whose bounds are numbers at these sizes runs over them alone (a smaller grid)
        for v, lo, hi in self._bounds():
            if lo is not None and hi is not None:
                try:
                    fixed[v] = (int(_value(lo, {}, sizes)), int(_value(hi, {}, sizes)))
                except (UnsupportedError, TypeError):
                    pass
        for s in sums:
            if s is _BATCH:
                ranges.append(range(shapes["g"][0]))
                continue
            lo, hi = fixed.get(s, (-2 * reach, 2 * reach))
            ranges.append(range(max(lo, -2 * reach), min(hi, 2 * reach) + 1))
        axes = [range(n) for n in out_shape] + ranges
        grid = np.meshgrid(*[np.arange(r.start, r.stop) for r in axes], indexing="ij", sparse=True)
        values: dict[sp.Symbol, Any] = {}
        for k, e in enumerate(own):
            v = next(iter(s for s in e.free_symbols if s in self.free or s is _BATCH))
            values[v] = grid[k] + int(sp.expand(v - e)) if v is not _BATCH else grid[k]
        for k, s in enumerate(sums):
            values[s] = grid[len(out_shape) + k]
        keep = np.ones([len(r) for r in axes], dtype=bool)
        for k, e in enumerate(own):      # a free symbol given twice must agree
            v = next(iter(s for s in e.free_symbols if s in self.free or s is _BATCH))
            keep &= np.asarray(_value(e, values, sizes) == grid[k])
        for s, lo, hi in self._bounds():
            if lo is not None:
                keep &= np.asarray(_value(lo, values, sizes) <= values[s])
            if hi is not None:
                keep &= np.asarray(values[s] <= _value(hi, values, sizes))
        for c in self.conds:
            lhs, rhs = _value(c.lhs, values, sizes), _value(c.rhs, values, sizes)
            keep &= np.asarray({sp.Le: lhs <= rhs, sp.Lt: lhs < rhs, sp.Eq: lhs == rhs,
                                sp.Ne: lhs != rhs}[type(c)])
        picks = []
        for tensor, idx in entries:
            at = [np.broadcast_to(_value(e, values, sizes), keep.shape) for e in idx]
            inside = np.ones(keep.shape, dtype=bool)
            for n, i in zip(shapes[tensor], at):
                inside &= (i >= 0) & (i < n)
            keep = keep & inside
            picks.append((tensor, at))
        where = np.nonzero(keep)
        product = None
        for tensor, at in picks:
            got = np.asarray(env[tensor])[tuple(i[where] for i in at)]
            product = got if product is None else product * got
        out_index = tuple(w for w in where[:len(out_shape)])
        if product is not None and len(product):
            np.add.at(total, out_index, product)
        return total


_BATCH = sp.Symbol("n_batch", integer=True)


def index_expr(e: Any) -> sp.Expr:
    """An index expression as SymPy: an ``int`` becomes an Integer; anything but SymPy's own objects (a string
    above all: the reader builds expressions, it never hands text to SymPy's parser) is a bug."""
    if isinstance(e, int):
        return sp.Integer(e)
    if not isinstance(e, sp.Basic):
        raise TypeError(f"an index expression must be SymPy's or an int, not {type(e).__name__}")
    return e


def _value(e: Any, values: Mapping[sp.Symbol, Any], sizes: Mapping[sp.Symbol, int]) -> Any:
    """An affine index expression on arrays: the constant and each symbol's integer coefficient."""
    e = sp.expand(index_expr(e).xreplace({k: sp.Integer(v) for k, v in sizes.items()}))
    const, terms = e.as_coeff_add()
    out: Any = int(const)
    for t in terms:
        coeff, sym = t.as_coeff_Mul()
        if sym not in values:
            raise UnsupportedError(f"{sym} has no value here")
        out = out + int(coeff) * values[sym]
    return out


def _pytorch_sizes(ext: Extent) -> tuple[Any, ...]:
    """A uniform-layout shape of one group in PyTorch's order (the group axis, always 1 here, dropped)."""
    sizes = list(ext.sizes)
    if ext.kind == "data":
        return (sizes[0], sizes[2], *sizes[3:])
    return (sizes[1], sizes[2], *sizes[3:])


def _to_uniform(tensor: str, index: Sequence[str]) -> list[str]:
    """A PyTorch index of one group in the uniform layout: γ = 0 before the channel (data) or first (kernel)."""
    index = list(index)
    return index[:1] + ["0"] + index[1:] if tensor in ("x", "g") else ["0"] + index


def _map_with_constants(space: IndexSpace, dom: str, image: str, conds: str) -> Any:
    """``{ dom -> image : conds }`` where the domain's tuple may hold constants (the group, 0): read as a
    relation (isl names the constant positions itself)."""
    import islpy as isl
    used = space._used(f"{image} {conds}")
    return isl.Map(f"[{used}] -> {{ {dom} -> {image} : {conds} }}")


def _wrong_factors(s: IndexSum, want: tuple[str, str]) -> Exception:
    from .presburger import _Mismatch
    got = " and ".join(f.written for f in s.factors) or "nothing"
    return _Mismatch(f"the sum multiplies {got}, but ∂L/∂{s.target} sums products of "
                     f"{' and '.join('∂L/∂y' if w == 'g' else w for w in want)}")


