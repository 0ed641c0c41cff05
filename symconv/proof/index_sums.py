r"""Index notation: ``∂L/∂x_{c,u,v} = Σ … ∂L/∂y_{o,i,j} · h_{o,c,…}`` read as the affine relation the prover uses.

A gradient written as an index sum says, for each entry of ∂L/∂x (or ∂L/∂h), which products of two entries it
adds up: a set of (gradient entry, summation indices) → (factor entries) pairs under affine conditions (the
sums' bounds, stated conditions, Iverson brackets, each factor's index inside its tensor: the zero-outside
convention). That is exactly a closed form's :meth:`~symconv.derivation.ops.Expr.relation`, so an index sum is
one more operator (:class:`IndexSum`) and :func:`symconv.proof.claims.prove_form` proves it for every size or
refutes it with the smallest counterexample, witnessed by evaluating the sum (:meth:`IndexSum.evaluate`,
array loops independent of isl) against the definition's derivative.

The student's indices are numbers on the student's own scale: 0-based, 1-based, or for a kernel centred
(−1, 0, 1 for a 3×3 kernel). :class:`Reading` fixes the scales; :func:`read_derivation` lists the readings the
bounds and conditions allow (``\sum_{i=1}^{H}``, ``m \in \{0,1,2\}``) or a remark states ("1-based", "下标从
1 开始"), the likeliest first, and :func:`judge` accepts the first under which the formula is proved (and names
it), checking every line of a derivation against the one before:

>>> from symconv import ConvSpec
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
import itertools
import re
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import numpy as np
import sympy as sp

from ..derivation import ops
from ..derivation.affine import Extent, IndexSpace, tup
from ..derivation.index import Symbols
from ..derivation.spec import ConvSpec
from ..errors import UnsupportedError
from .grammar import ClaimError

MAX_TEXT = 4000          # characters of one index formula
MAX_SUMS = 8             # summation indices of one side

# ---------------------------------------------------------------------------------------------- tokens

_TOKEN = re.compile(r"\\[A-Za-z]+|\\.|[A-Za-z]|\d+|\S")
_DROP = re.compile(r"\\(?:left|right|bigl|bigr|Bigl|Bigr|biggl|biggr|big|Big|bigg|Bigg|limits|nolimits|"
                   r"displaystyle|textstyle|nonumber|notag|mathrm|operatorname)(?![A-Za-z])")
_ZERO_WORDS = re.compile(r"outside|out of range|out-of-range|zero[- ]padd|padded with zero|taken as 0|as zero|"
                         r"are 0|is 0|=\s*0|越界|超出|之外|以外|取\s*0|为\s*0|取零|为零|补零|填充", re.I)
_ONE_BASED = re.compile(r"1-based|one-based|from 1|start(?:s|ing)? at 1|从\s*1\s*开始|从\s*1\s*起", re.I)
_ZERO_BASED = re.compile(r"0-based|zero-based|from 0|start(?:s|ing)? at 0|从\s*0\s*开始|从\s*0\s*起", re.I)
_TEXT = re.compile(r"\\(?:text|textrm|mbox|textit|textbf|mathrm)\s*\{((?:[^{}]|\{[^{}]*\})*)\}")


@dataclass
class _Notes:
    zero_outside: bool = False
    base: int | None = None          # stated: 0 or 1


def _prepare(latex: str) -> tuple[str, _Notes]:
    """The formula's math with remarks (``\text{…}``, CJK words) taken out and remembered."""
    if len(latex) > MAX_TEXT:
        raise ClaimError(f"an index formula of {len(latex):,} characters; at most {MAX_TEXT:,}")
    notes = _Notes()
    latex = expand_macros(latex)
    text = re.sub(r"\\(?:label|tag\*?)\s*\{[^{}]*\}", " ", latex)
    text = re.sub(r"(?<!\\)%.*", " ", text)
    text = re.sub(r"\\substack\s*\{((?:[^{}]|\{[^{}]*\})*)\}", lambda m: m.group(1).replace("\\\\", ","), text)

    def remark(m: re.Match[str]) -> str:
        said = m.group(1)
        if _ZERO_WORDS.search(said):
            notes.zero_outside = True
        if _ONE_BASED.search(said):
            notes.base = 1
        elif _ZERO_BASED.search(said):
            notes.base = 0
        # a word between two pieces of math separates them, like a comma
        return " , " if re.search(r"[A-Za-z\u4e00-\u9fff]", said) else " "
    text = re.sub(r"\\(?:begin|end)\s*\{[A-Za-z*]*\}(?:\{[^{}]*\})?", " ", text)
    text = text.replace("\\\\", " ")            # a line break of an aligned derivation
    text = _TEXT.sub(remark, text)
    rest = re.sub(r"[^\x00-\x7f]+", lambda m: remark(re.match(r"(.*)", m.group(0), re.S)) if m.group(0).strip()
                  else " ", text)       # CJK words outside \text: a remark too
    text = rest.replace("∂", r"\partial ").replace("Σ", r"\sum ").replace("≤", r"\le ").replace("≥", r"\ge ")
    text = _DROP.sub(" ", text)
    text = re.sub(r"\\[dt]frac(?![A-Za-z])", r"\\frac", text)
    text = re.sub(r"\\(?:leq|leqslant)(?![A-Za-z])", r"\\le", text)
    text = re.sub(r"\\(?:geq|geqslant)(?![A-Za-z])", r"\\ge", text)
    text = re.sub(r"\\lt(?![A-Za-z])", "<", text)
    text = re.sub(r"\\gt(?![A-Za-z])", ">", text)
    text = re.sub(r"\\(?:mathbb|mathbf|boldsymbol|bm|mathcal|mathit)\s*\{\s*(\w)\s*\}", r"\1", text)
    text = re.sub(r"\\(?:mathbb|mathbf|mathcal)\s+(\w)", r"\1", text)
    text = re.sub(r"\\(?:ell)(?![A-Za-z])", "L", text)
    text = re.sub(r"\\[,;:! ]|~", " ", text)
    text = re.sub(r"\\q?quad(?![A-Za-z])", " , ", text)         # a wide space separates remarks
    return text, notes


def _tokens(text: str) -> list[str]:
    return [t for t in _TOKEN.findall(text) if t not in ("&",)]


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
                kernel = any(f.tensor == "h" and not f.derived and any(v in sp.sympify(e).free_symbols
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
            return space.aff(sp.expand(sp.sympify(e).xreplace(back)), names)
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
        for s in sums:
            if s is _BATCH:
                ranges.append(range(shapes["g"][0]))
                continue
            ranges.append(range(-2 * reach, 2 * reach + 1))
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


def _value(e: Any, values: Mapping[sp.Symbol, Any], sizes: Mapping[sp.Symbol, int]) -> Any:
    """An affine index expression on arrays: the constant and each symbol's integer coefficient."""
    e = sp.expand(sp.sympify(e).xreplace({k: sp.Integer(v) for k, v in sizes.items()}))
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


# ------------------------------------------------------------------------------------------- the parser

_RELATIONS = {"<": "<", ">": ">", r"\le": "<=", r"\ge": ">=", "=": "=", r"\ne": "!=", r"\neq": "!="}
_DATA_NAMES = {"x": "x", "X": "x", "h": "h", "w": "h", "W": "h", "K": "h", "g": "g", "y": "g", "Y": "g",
               "z": "g"}


class _Parser:
    """A recursive-descent reader of one side's tokens (see :func:`read_index_sum` for the notations)."""

    def __init__(self, tokens: list[str], spec: ConvSpec, names: dict[str, sp.Symbol]) -> None:
        self.t, self.i, self.spec, self.names = tokens, 0, spec, names
        self.free: set[Any] = set()
        self.sym = Symbols(spec.ndim, False)

    # --- tokens
    def peek(self, k: int = 0) -> str:
        return self.t[self.i + k] if self.i + k < len(self.t) else ""

    def take(self, want: str | None = None) -> str:
        tok = self.peek()
        if want is not None and tok != want:
            raise ClaimError(f"expected {want!r} but found {tok or 'the end'!r}")
        self.i += 1
        return tok

    def group(self) -> list[str]:
        """The tokens of ``{…}`` (or of one token)."""
        if self.peek() != "{":
            return [self.take()]
        self.take("{")
        depth, out = 1, []
        while self.i < len(self.t):
            tok = self.take()
            depth += tok == "{"
            depth -= tok == "}"
            if depth == 0:
                return out
            out.append(tok)
        raise ClaimError("a { without its }")

    # --- names and sizes
    def word(self) -> str:
        """A name: letters, then an optional subscript (``out_j``, ``c_{in}``, ``w_i``) and primes."""
        out = ""
        while self.peek().isalpha() and len(self.peek()) == 1:
            out += self.take()
        if self.peek() == "_" and out:
            self.take()
            sub = self.group()
            out += "_" + ("{" + "".join(sub) + "}" if len(sub) > 1 else "".join(sub))
        while self.peek() == "'":
            out += self.take()
        return out

    def size(self, word: str) -> Any:
        w = word.replace("{", "").replace("}", "").replace(r"\text", "")
        sym = self.sym
        axes = {"H": 0, "W": 1} if self.spec.ndim == 2 else {"H": 0, "L": 0}
        table: dict[str, Any] = {"N": sym.N, "B": sym.N, "K": sym.K[0], "k": None, "C_in": sym.C, "C_i": sym.C,
                                 "C": sym.C, "C_out": sym.O, "C_o": sym.O, "O": sym.O, "M": sym.O,
                                 "P": sym.P[0], "p": None, "Cin": sym.C, "Cout": sym.O}
        for a, k in axes.items():
            if k < self.spec.ndim:
                table[a] = sym.H[k]
                for tail in ("'", "_out", "_o", "_y", "^out"):
                    table[a + tail] = sym.Ho[k]
                table[f"K_{a}"] = sym.K[k]
        return table.get(w)

    def symbol(self, word: str) -> Any:
        size = self.size(word)
        if size is not None:
            return size
        if word not in self.names:
            if len(self.names) > 40:
                raise ClaimError("more than 40 index names")
            self.names[word] = sp.Symbol(word, integer=True)
        return self.names[word]

    # --- affine expressions
    def expr(self) -> Any:
        out = self.term()
        while self.peek() in ("+", "-"):
            sign = 1 if self.take() == "+" else -1
            out = out + sign * self.term()
        return out

    def term(self) -> Any:
        sign = 1
        while self.peek() in ("-", "+"):
            sign *= -1 if self.take() == "-" else 1
        out = self.atom()
        while True:
            if self.peek() in ("*", r"\cdot", r"\times"):
                self.take()
                out = out * self.atom()
            elif self.peek() and (self.peek()[0].isalpha() or self.peek() in ("(", "{")) and out.is_Number:
                out = out * self.atom()              # 2i
            else:
                break
        if self.peek() == "/":
            self.take()
            den = self.atom()
            if not den.is_Integer or den == 0:
                raise ClaimError("an index is divided by something other than a whole number")
            out = out / den
        return sign * out

    def atom(self) -> Any:
        tok = self.peek()
        if tok.isdigit():
            if len(tok) > 6:
                raise ClaimError(f"the number {tok[:12]}… in an index is too large")
            self.take()
            return sp.Integer(int(tok))
        if tok in ("(", "{"):
            close = ")" if tok == "(" else "}"
            self.take()
            out = self.expr()
            self.take(close)
            return out
        if tok == r"\frac":
            self.take()
            num = _Parser(self.group(), self.spec, self.names).full_expr()
            den = _Parser(self.group(), self.spec, self.names).full_expr()
            if not den.is_Integer or den == 0:
                raise ClaimError("an index is divided by something other than a whole number")
            return num / den
        if tok == r"\lfloor":
            self.take()
            out = self.expr()
            self.take(r"\rfloor")
            return sp.floor(out)
        if tok.isalpha() and len(tok) == 1:
            return self.symbol(self.word())
        raise ClaimError(f"unexpected {tok or 'end'!r} in an index")

    def full_expr(self) -> Any:
        out = self.expr()
        if self.i != len(self.t):
            raise ClaimError(f"unexpected {self.peek()!r} in an index")
        return out

    def items(self, tokens: list[str]) -> list[list[str]]:
        """``tokens`` split at top-level commas."""
        out: list[list[str]] = [[]]
        depth = 0
        for tok in tokens:
            depth += tok in ("{", "(", "[", r"\{")
            depth -= tok in ("}", ")", "]", r"\}")
            if tok == "," and depth == 0:
                out.append([])
            else:
                out[-1].append(tok)
        return [o for o in out if o]

    # --- conditions: 0 \le i < H, i \in \{0,1,2\}, i \in [0, H)
    def condition(self, tokens: list[str]) -> list[Any]:
        if r"\in" in tokens:
            at = tokens.index(r"\in")
            names = [_Parser(t, self.spec, self.names).full_expr() for t in self.items(tokens[:at])]
            lo, hi = self.range_set(tokens[at + 1:])
            return [c for v in names for c in (sp.Le(lo, v, evaluate=False), sp.Le(v, hi, evaluate=False))]
        parts: list[list[str]] = [[]]
        ops_: list[str] = []
        depth = 0
        for tok in tokens:
            depth += tok in ("{", "(")
            depth -= tok in ("}", ")")
            if depth == 0 and tok in _RELATIONS:
                ops_.append(_RELATIONS[tok])
                parts.append([])
            else:
                parts[-1].append(tok)
        if not ops_:
            raise ClaimError(f"not a condition: {''.join(tokens)[:40]!r}")
        sides = [_Parser(p, self.spec, self.names).full_expr() for p in parts]
        out = []
        for (a, b), op in zip(zip(sides, sides[1:]), ops_):
            out.append({"<": lambda: sp.Lt(a, b, evaluate=False), ">": lambda: sp.Lt(b, a, evaluate=False),
                        "<=": lambda: sp.Le(a, b, evaluate=False), ">=": lambda: sp.Le(b, a, evaluate=False),
                        "=": lambda: sp.Eq(a, b, evaluate=False), "!=": lambda: sp.Ne(a, b, evaluate=False)}[op]())
        return out

    def range_set(self, tokens: list[str]) -> tuple[Any, Any]:
        """(low, high), both inclusive, of ``\\{0, 1, 2\\}``, ``\\{0, …, H-1\\}``, ``[0, H)``, ``[1, H]``."""
        if not tokens:
            raise ClaimError("\\in with no set after it")
        first, last = tokens[0], tokens[-1]
        inner = tokens[1:-1]
        if first not in (r"\{", "[", "(") or last not in (r"\}", "]", ")"):
            raise ClaimError("\\in takes a set {a, ..., b} or an interval [a, b)")
        items = [t for t in self.items(inner) if t not in ([r"\dots"], [r"\ldots"], [r"\cdots"], ["."] * 3)]
        items = [[x for x in t if x != "."] for t in items]
        items = [t for t in items if t]
        values = [_Parser(t, self.spec, self.names).full_expr() for t in items]
        if not values:
            raise ClaimError("an empty set of indices")
        lo, hi = values[0], values[-1]
        if first == "(":
            lo = lo + 1
        if last == ")" or (first == "[" and last == ")"):
            hi = hi - 1
        if first == r"\{" and len(values) > 2 and not any(t in inner for t in (r"\dots", r"\ldots", r"\cdots")):
            if not all((b - a) == 1 for a, b in zip(values, values[1:])):
                raise ClaimError("a set of indices that are not consecutive")
        return lo, hi


@dataclass
class _Side:
    """What one side of the equation says: summations (symbol, low, high), conditions and factors."""

    sums: list[tuple[Any, Any, Any]] = dataclasses.field(default_factory=list)
    conds: list[Any] = dataclasses.field(default_factory=list)
    factors: list[Factor] = dataclasses.field(default_factory=list)
    derived: list[tuple[Any, Any, Any]] = dataclasses.field(default_factory=list)   # ∂y/∂x: (y idx, x idx, wrt)


def _derivative(p: _Parser) -> tuple[str, str, list[str]] | None:
    """``\\frac{\\partial A}{\\partial B_{…}}`` or ``\\partial A / \\partial B_{…}`` at the parser's position:
    (A's letter, B's letter, B's subscript tokens), A's subscript folded into A as ``A_{…}`` tokens."""
    start = p.i
    if p.peek() == r"\frac":
        p.take()
        num, den = p.group(), p.group()
        sub_after: list[str] = []
        if p.peek() == "_":               # \frac{\partial L}{\partial y}_{o,i,j}
            p.take()
            sub_after = p.group()
        if not num or num[0] not in (r"\partial", "d") or not den or den[0] not in (r"\partial", "d"):
            p.i = start
            return None
        return _split_partial(num[1:]), _split_partial(den[1:])[0], (_split_partial(den[1:])[1] or sub_after)  # type: ignore[return-value]
    if p.peek() == r"\partial":
        p.take()
        top = []
        while p.peek() not in ("/", ""):
            top.append(p.take())
        if p.peek() != "/":
            p.i = start
            return None
        p.take()
        if p.take() != r"\partial":
            p.i = start
            return None
        letter = p.take()
        sub = []
        if p.peek() == "_":
            p.take()
            sub = p.group()
        return _split_partial(top), letter, sub  # type: ignore[return-value]
    return None


def _split_partial(tokens: list[str]) -> tuple[str, list[str]]:
    """``y_{o,i,j}`` → ("y", its subscript tokens); ``L`` → ("L", [])."""
    if not tokens:
        raise ClaimError("∂ with nothing after it")
    letter = tokens[0]
    if len(tokens) > 2 and tokens[1] == "[" and tokens[-1] == "]":          # y[o, i, j]
        return letter, tokens[2:-1]
    if len(tokens) > 2 and tokens[1] == "_":
        rest = tokens[2:]
        if rest[0] == "{" and rest[-1] == "}":
            rest = rest[1:-1]
        return letter, rest
    return letter, []


def _index(p: _Parser, tokens: list[str], rank: tuple[int, ...]) -> tuple[Any, ...]:
    """A subscript's indices: comma-separated, or juxtaposed single letters (``x_{cij}``) when that gives
    one of the ranks the tensor may have."""
    items = p.items(tokens)
    if len(items) == 1 and all(len(t) == 1 and t.isalpha() for t in items[0]) and len(items[0]) in rank:
        items = [[t] for t in items[0]]
    return tuple(_Parser(t, p.spec, p.names).full_expr() for t in items)


def _side(p: _Parser, side: _Side) -> None:
    """Sums and factors until the end of the tokens."""
    nd = p.spec.ndim
    while p.i < len(p.t):
        tok = p.peek()
        if tok in (r"\cdot", r"\times", "*", "(", ")", r"\,"):
            p.take()
            continue
        if tok == r"\sum":
            p.take()
            _sum(p, side)
            continue
        if tok in ("[", r"\[") or (tok in ("1", "I") and p.peek(1) in ("[", "_", "(", r"\{")):
            _iverson(p, side)
            continue
        d = _derivative(p)
        if d is not None:
            (num, num_sub), den, den_sub = d
            if num in ("L", "E", "J", "l") and _DATA_NAMES.get(den) == "g":
                side.factors.append(Factor("g", _index(p, den_sub, (nd + 1, nd + 2)), "∂L/∂y"))
            elif _DATA_NAMES.get(num) == "g" and _DATA_NAMES.get(den) in ("x", "h"):
                y = _index(p, num_sub, (nd + 1, nd + 2))
                w = _index(p, den_sub, (nd + 1, nd + 2))
                side.derived.append((y, w, _DATA_NAMES[den]))
            else:
                raise ClaimError(f"a factor ∂{num}/∂{den} that is neither ∂L/∂y nor ∂y/∂x, ∂y/∂h")
            continue
        if tok == r"\delta" and p.peek(1) == "_":
            p.take()
            p.take()
            sub = p.group()
            idx = _index(p, sub, (2, nd + 1, nd + 2))
            if len(idx) == 2:                    # Kronecker's δ_{o,o'}
                side.conds.append(sp.Eq(idx[0], idx[1], evaluate=False))
            else:
                side.factors.append(Factor("g", idx, "δ"))
            continue
        if len(tok) == 1 and tok in _DATA_NAMES and p.peek(1) in ("_", "["):
            p.take()
            name = _DATA_NAMES[tok]
            if p.take() == "[":                   # x[c, i, j]
                sub, depth = [], 1
                while p.i < len(p.t):
                    t = p.take()
                    depth += t == "["
                    depth -= t == "]"
                    if depth == 0:
                        break
                    sub.append(t)
            else:
                sub = p.group()
            while p.peek() == "^":                # h_{…}^{…}: a rotation or transpose is not index notation
                raise ClaimError(f"{tok}_{{…}}^{{…}}: an index formula names every index")
            side.factors.append(Factor(name, _index(p, sub, (nd + 1, nd + 2)), tok))
            continue
        raise ClaimError(f"unexpected {tok!r} in an index sum")


def _sum(p: _Parser, side: _Side) -> None:
    low: list[str] = []
    high: list[str] = []
    for _ in range(2):
        if p.peek() == "_":
            p.take()
            low = p.group()
        elif p.peek() == "^":
            p.take()
            high = p.group()
    if low[:1] == ["("] and low[-1:] == [")"]:
        low = low[1:-1]                            # \sum_{(i,j)}
    items = p.items(low) if low else []
    highs = p.items(high) if high else []
    with_low = []
    for item in items:
        if r"\in" in item or any(t in ("<", ">", r"\le", r"\ge") for t in item):
            conds = p.condition(item)
            side.conds += conds
            for c in conds:
                for s in sorted(c.free_symbols, key=str):
                    if not _is_size(s) and s not in p.free and s not in [v for v, _, _ in side.sums]:
                        side.sums.append((s, None, None))
            continue
        if "=" in item:
            at = item.index("=")
            left = _Parser(item[:at], p.spec, p.names)
            lhs = left.full_expr()
            lo = _Parser(item[at + 1:], p.spec, p.names).full_expr()
            new = [s for s in lhs.free_symbols if not _is_size(s) and s not in p.free
                   and s not in [v for v, _, _ in side.sums]]
            if isinstance(lhs, sp.Symbol) and not _is_size(lhs):
                var = lhs
            elif len(new) == 1:
                var = new[0]                   # \sum_{w_j - w_i = -W}: the new index is summed
            else:
                raise ClaimError(f"\\sum_{{{lhs} = …}}: no new index to sum over")
            side.sums.append((var, None, None))
            with_low.append((len(side.sums) - 1, lhs, lo))
            continue
        for name in [item] if len(item) > 1 and item[0].isalpha() and "_" in item else [[t] for t in item] \
                if all(len(t) == 1 and t.isalpha() for t in item) and len(item) > 1 and not _one_word(item) \
                else [item]:
            s = _Parser(name, p.spec, p.names).full_expr()
            if not isinstance(s, sp.Symbol) or _is_size(s):
                raise ClaimError(f"\\sum_{{{''.join(item)}}}: not an index name")
            side.sums.append((s, None, None))
    if highs and not with_low:
        raise ClaimError("\\sum with an upper bound but no lower one")
    if highs and len(highs) != len(with_low):
        raise ClaimError(f"\\sum with {len(with_low)} lower bounds and {len(highs)} upper ones")
    for k, (at, lhs, lo) in enumerate(with_low):
        hi = _Parser(highs[k], p.spec, p.names).full_expr() if highs else None
        var = side.sums[at][0]
        if lhs == var:
            side.sums[at] = (var, lo, hi)
        else:
            side.conds.append(sp.Le(lo, lhs, evaluate=False))
            if hi is not None:
                side.conds.append(sp.Le(lhs, hi, evaluate=False))


def _one_word(item: list[str]) -> bool:
    """Letters that spell one index name rather than several (``in``, ``out``)."""
    return "".join(item) in ("in", "out", "ci", "co", "cin", "cout", "oc", "ic")


def _is_size(s: Any) -> bool:
    return not isinstance(s, sp.Symbol) or s.name in {str(v) for v in _SIZE_NAMES}


_SIZE_NAMES = {str(v) for v in (Symbols(2, True).N, Symbols(2, True).C, Symbols(2, True).O)} | {
    str(v) for s in (Symbols(1, True), Symbols(2, True), Symbols(3, True)) for v in s.H + s.K + s.Ho + s.P}


def _iverson(p: _Parser, side: _Side) -> None:
    """``[cond]``, ``1[cond]``, ``1_{cond}``, ``I(cond)``, ``1\\{cond\\}``: a condition on the term."""
    if p.peek() in ("1", "I"):
        p.take()
        if p.peek() == "_":
            p.take()
            body = p.group()
            side.conds += _conditions(p, body)
            return
    open_ = p.take()
    close = {"[": "]", r"\[": r"\]", "(": ")", r"\{": r"\}"}[open_]
    body, depth = [], 1
    while p.i < len(p.t):
        tok = p.take()
        depth += tok == open_
        depth -= tok == close
        if depth == 0:
            break
        body.append(tok)
    else:
        raise ClaimError(f"an Iverson bracket {open_} without its {close}")
    side.conds += _conditions(p, body)


def _conditions(p: _Parser, tokens: list[str]) -> list[Any]:
    out = []
    for part in _split_words(tokens, (r"\land", r"\wedge", "and", ",")):
        out += p.condition(part)
    return out


def _split_words(tokens: list[str], seps: tuple[str, ...]) -> list[list[str]]:
    out: list[list[str]] = [[]]
    depth = 0
    for tok in tokens:
        depth += tok in ("{", "(", "[", r"\{")
        depth -= tok in ("}", ")", "]", r"\}")
        if depth == 0 and tok in seps:
            out.append([])
        else:
            out[-1].append(tok)
    return [o for o in out if o]


# ------------------------------------------------------------------------------------------ the reader

@dataclass(frozen=True)
class Derivation:
    """An index formula as read: the gradient (``x`` or ``h``), one :class:`IndexSum` per right-hand side
    (a chain ``∂L/∂x = A = B = …`` or an ``aligned`` derivation: the steps, in order), the readings the
    bounds allow (the first is the likeliest), and the remarks taken into account."""

    target: str
    steps: tuple[IndexSum, ...]
    readings: tuple[Reading, ...]
    zero_outside: bool
    texts: tuple[str, ...]

    def at(self, reading: Reading) -> tuple[IndexSum, ...]:
        return tuple(_axes(s, reading.wh).with_reading(reading) for s in self.steps)


def _axes(s: IndexSum, wh: bool) -> IndexSum:
    """The sum with H and W (and H', W') exchanged when W names the first spatial axis."""
    if not wh or s.ndim != 2:
        return s
    sym = Symbols(2, True)
    swap = {sym.H[0]: sym.H[1], sym.H[1]: sym.H[0], sym.Ho[0]: sym.Ho[1], sym.Ho[1]: sym.Ho[0]}

    def x(e: Any) -> Any:
        return sp.sympify(e).xreplace(swap) if isinstance(e, sp.Basic) else e
    return dataclasses.replace(
        s, bounds=tuple((v, x(lo), x(hi)) for v, lo, hi in s.bounds),
        conds=tuple(c.xreplace(swap) for c in s.conds),
        factors=tuple(dataclasses.replace(f, index=tuple(x(e) for e in f.index)) for f in s.factors))


_CORRELATION = re.compile(r"\\(?:otimes|star|ast|circledast|operatorname\s*\{\s*conv)(?![A-Za-z])|⊗|\*")
_PD = re.compile(r"\\(?:pd|pdv|partialderivative|dv)\s*\{((?:[^{}]|\{[^{}]*\})*)\}\s*\{((?:[^{}]|\{[^{}]*\})*)\}")


def expand_macros(latex: str) -> str:
    """The partial-derivative macros sheets define or take from the physics package, ``\\pd{L}{x_{c,i,j}}``
    and ``\\pdv{L}{x}``, written out as ``\\frac{\\partial L}{\\partial x_{c,i,j}}``."""
    return _PD.sub(lambda m: rf"\frac{{\partial {m.group(1)}}}{{\partial {m.group(2)}}}", latex)


def looks_like_index_sum(latex: str) -> bool:
    """Whether a formula answer is written in index notation (a subscripted ∂L/∂x_{…} or ∂L/∂h_{…} on the
    left, or a \\sum) with no correlation operator (⊗, ⋆, ∗, conv), rather than as a closed form (which may
    sum per-channel correlations: ``\\sum_o \\frac{\\partial L}{\\partial y_o} \\otimes h_{o,c}``)."""
    latex = expand_macros(latex)
    if _CORRELATION.search(latex):
        return False
    return bool(re.search(r"\\sum|\\partial\s*(?:x|h|w)\s*[_\[]|\\partial\s*(?:x|h|w)\s*\}\s*_|"
                          r"\\partial\s*\\?(?:mathbf|boldsymbol)?\s*\{?\s*(?:x|h)\s*\}?\s*_", latex))


def _chunks(tokens: list[str]) -> list[list[str]]:
    return _split_words(tokens, (",", ";", "."))


def read_derivation(latex: str, spec: ConvSpec, wrt: str | None = None) -> Derivation:
    """Read ``∂L/∂x_{…} = Σ … [= Σ … …]`` (see the module docstring): raises :class:`ClaimError` (one line
    naming what is wrong) for what it cannot read. ``wrt`` (``x`` or ``h``), when given, must be the
    left-hand side's tensor."""
    text, notes = _prepare(latex)
    tokens = _tokens(text)
    if len(tokens) > 1500:
        raise ClaimError(f"an index formula of {len(tokens):,} tokens; at most 1,500")
    chunks = _chunks(tokens)
    eq_at = next((k for k, c in enumerate(chunks) if "=" in _top(c) and (r"\partial" in c or r"\sum" in c)), None)
    if eq_at is None:
        raise ClaimError("no equation ∂L/∂x_{…} = … in the formula")
    # a chunk before the equation that is part of it (a comma inside an unbraced subscript) is not expected;
    # chunks after it are conditions (m, n \in \{0,1,2\}; 0 \le i < H) or words
    equation = chunks[eq_at]
    extra: list[list[str]] = []
    pending: list[str] = []
    for c in chunks[eq_at + 1:]:
        if any(t in c for t in (r"\in", "<", ">", r"\le", r"\ge")):
            extra.append(pending + ([","] if pending else []) + c)
            pending = []
        elif all(len(t) == 1 and t.isalpha() or t in ("_", "{", "}") or t.isdigit() for t in c):
            pending += ([","] if pending else []) + c
        elif "=" in _top(c) and (r"\partial" in c or r"\sum" in c):
            raise ClaimError("two equations in one formula answer")
        else:
            pending = []
    sides = _split_words(equation, ("=",))
    if len(sides) < 2:
        raise ClaimError("no right-hand side after ∂L/∂x_{…} =")
    names: dict[str, sp.Symbol] = {}
    lhs = _Parser(sides[0], spec, names)
    d = _derivative(lhs)
    if d is None or lhs.i != len(lhs.t):
        raise ClaimError("the left-hand side is not ∂L/∂x_{…} or ∂L/∂h_{…}")
    (num, _), den, den_sub = d
    target = _DATA_NAMES.get(den)
    if num not in ("L", "E", "J", "l") or target not in ("x", "h"):
        raise ClaimError(f"the left-hand side is ∂{num}/∂{den}, not ∂L/∂x_{{…}} or ∂L/∂h_{{…}}")
    if wrt is not None and target != wrt:
        raise ClaimError(f"the formula is for ∂L/∂{target}, but this answer asks for ∂L/∂{wrt}")
    nd = spec.ndim
    if not den_sub:
        raise ClaimError(f"∂L/∂{den} without its indices: an index formula names the entry")
    free = _index(lhs, den_sub, (nd + 1, nd + 2))
    if not all(isinstance(v, sp.Symbol) and not _is_size(v) for v in free):
        raise ClaimError(f"the entry ∂L/∂{den}_{{…}} is named by index letters, not expressions")
    conds: list[Any] = []
    for c in extra:
        conds += lhs.condition(c)
    steps = []
    texts = []
    for side_tokens in sides[1:]:
        side = _Side(conds=list(conds))
        p = _Parser(side_tokens, spec, names)
        p.free = set(free)
        _side(p, side)
        steps.append(_build(target, free, side, spec, "".join(side_tokens)))
        texts.append(" ".join(side_tokens))
    if any(s.lhs_swapped for s in steps) and not all(s.lhs_swapped for s in steps):
        # the left-hand side names the kernel's channels once for every line: (C_in, C_out) when any line
        # shows it (its x shares the first index)
        steps = []
        for side_tokens in sides[1:]:
            side = _Side(conds=list(conds))
            p = _Parser(side_tokens, spec, names)
            p.free = set(free)
            _side(p, side)
            steps.append(_build(target, free, side, spec, "".join(side_tokens), swap=True))
    readings = _readings(steps, notes, spec)
    return Derivation(target, tuple(steps), readings, notes.zero_outside, tuple(texts))


def _top(tokens: list[str]) -> list[str]:
    out, depth = [], 0
    for t in tokens:
        depth += t in ("{", "(")
        depth -= t in ("}", ")")
        if depth == 0:
            out.append(t)
    return out


def _build(target: str, free: tuple[Any, ...], side: _Side, spec: ConvSpec, text: str,
           swap: bool = False) -> IndexSum:
    nd = spec.ndim
    factors = list(side.factors)
    conds = list(side.conds)
    for y, w, wrt in side.derived:
        if wrt == "x":                         # ∂y_{o,p}/∂x_{c,u}
            if len(y) != nd + 1 or len(w) != nd + 1:
                raise ClaimError("∂y/∂x is read with indices y_{o,i,j} and x_{c,u,v}")
            factors.append(Factor("h", (y[0], w[0]) + tuple(w[1:]) + tuple(y[1:]), "∂y/∂x", derived="dydx"))
        else:                                  # ∂y_{o,p}/∂h_{o',c,a}: [o = o'] x_{c, p + a - P}
            if len(y) != nd + 1 or len(w) != nd + 2:
                raise ClaimError("∂y/∂h is read with indices y_{o,i,j} and h_{o,c,m,n}")
            out_c, in_c = (w[1], w[0]) if swap and tuple(w[:2]) == tuple(free[:2]) else (w[0], w[1])
            conds.append(sp.Eq(y[0], out_c, evaluate=False))
            factors.append(Factor("x", (in_c,) + tuple(y[1:]) + tuple(w[2:]), "∂y/∂h", derived="dydh"))
    by = {f.tensor: f for f in factors}
    if target == "x":
        batch = len(free) == nd + 2
    else:
        batch = "x" in by and not by["x"].derived and len(by["x"].index) == nd + 2 or \
            "g" in by and len(by["g"].index) == nd + 2
    for f in factors:
        want = (nd + 2 if f.tensor == "h" or batch else nd + 1) if not f.derived else len(f.index)
        if len(f.index) != want:
            raise ClaimError(f"{f.written}_{{…}} has {len(f.index)} indices; {want} were expected here")
        if f.derived and batch:
            raise ClaimError("∂y/∂x written with a batch index is not read; leave out the image index")
    # the kernel's channels: the index shared with x (or ∂L/∂x) is the input channel
    at = 1 if batch else 0
    xc = free[at] if target == "x" else (by["x"].index[at] if "x" in by and not by["x"].derived else
                                        by["x"].index[0] if "x" in by else None)
    gc = by["g"].index[at] if "g" in by else None
    new = []
    for f in factors:
        if f.tensor == "h" and not f.derived and xc is not None and \
                sp.expand(f.index[0] - xc) == 0 and sp.expand(f.index[1] - xc) != 0:
            f = dataclasses.replace(f, index=(f.index[1], f.index[0]) + f.index[2:], swapped=True)
        new.append(f)
    free_t = tuple(free)
    lhs_swapped = target == "h" and (swap or xc is not None and free[0] == xc and free[1] != xc)
    if lhs_swapped:
        free_t = (free[1], free[0]) + tuple(free[2:])
    # every index symbol used must be free or summed; one that is neither is read at its first value
    summed = [s for s, _, _ in side.sums]
    if len(summed) > MAX_SUMS:
        raise ClaimError(f"{len(summed)} summation indices; at most {MAX_SUMS}")
    if len(set(summed)) != len(summed):
        raise ClaimError("an index is summed twice")
    bounds = list(side.sums)
    if any(s in free for s in summed):
        raise ClaimError("a sum runs over an index of the left-hand side")
    used: set[Any] = set()
    for f in new:
        for e in f.index:
            used |= sp.sympify(e).free_symbols
    for c in conds:
        used |= c.free_symbols
    for v in sorted(used, key=str):
        if v not in free and v not in summed and not _is_size(v):
            bounds.append((v, "first", "first"))
    kernel = tuple(int(k) for k in spec.kernel_size)          # type: ignore[union-attr]
    pads = tuple(int(lo) for lo, _ in spec.pads)              # type: ignore[union-attr]
    for f in new:
        for e in f.index:
            _check_affine(e)
    return IndexSum(target, free_t, batch, tuple(bounds), tuple(conds), tuple(new), Reading(), kernel, pads,
                    nd, lhs_swapped, text)


def _check_affine(e: Any) -> None:
    e = sp.expand(sp.sympify(e))
    for t in sp.Add.make_args(e):
        coeff, rest = t.as_coeff_Mul()
        if not coeff.is_Integer or isinstance(rest, sp.Mul) or isinstance(rest, sp.Pow):
            raise ClaimError(f"the index {e} is not a whole-number combination of indices and sizes")


def _readings(steps: Sequence[IndexSum], notes: _Notes, spec: ConvSpec) -> tuple[Reading, ...]:
    """The readings the bounds, conditions and remarks allow, the likeliest first."""
    data: set[int] = set()
    kern: set[Any] = set()
    batch: set[int] = set()
    half = (int(spec.kernel_size[0]) - 1) // 2                # type: ignore[index]
    for s in steps:
        lows: dict[Any, Any] = {}
        highs: dict[Any, Any] = {}
        for v, lo, hi in s.bounds:
            if lo is not None and lo != "first":
                lows[v] = lo
            if hi is not None and hi != "first":
                highs[v] = hi
        for c in s.conds:
            if isinstance(c, (sp.Le, sp.Lt)):
                a, b = c.lhs, c.rhs
                if isinstance(b, sp.Symbol) and a.is_Integer:
                    lows[b] = a + (1 if isinstance(c, sp.Lt) else 0)
                if isinstance(a, sp.Symbol) and not b.is_Integer:
                    highs[a] = b - (1 if isinstance(c, sp.Lt) else 0)
        uses = []
        for f in s.factors:
            for k, e in enumerate(f.index):
                if f.derived:
                    continue
                axis = k + (0 if f.tensor == "h" or s.batch else 1)
                uses.append((e, "kernel" if f.tensor == "h" and axis >= 2 else "data", f.tensor, axis))
        for k, v in enumerate(s.free):
            axis = k + (0 if s.target == "h" or s.batch else 1)
            uses.append((v, "kernel" if s.target == "h" and axis >= 2 else "data", s.target, axis))
        for e, kind, tensor, axis in uses:
            if not isinstance(e, sp.Symbol):
                continue
            if kind == "data" and axis == 0 and tensor != "h":
                lo = lows.get(e)
                if lo is not None and lo.is_Integer and int(lo) in (0, 1):
                    batch.add(int(lo))
                continue
            lo = lows.get(e)
            if lo is not None and lo.is_Integer:
                if kind == "data" and int(lo) in (0, 1):
                    data.add(int(lo))
                elif kind == "kernel":
                    kern.add(int(lo) if int(lo) in (0, 1) and int(lo) != -half else None if int(lo) == -half
                             else "?")
            hi = highs.get(e)
            if lo is None and hi is not None and kind == "data":
                for size in hi.free_symbols:
                    if sp.expand(hi - size) == -1:
                        data.add(0)
                    elif sp.expand(hi - size) == 0:
                        data.add(1)
    if notes.base is not None and not data:
        data.add(notes.base)
    if notes.base is not None and not kern:
        kern.add(notes.base)
    kern.discard("?")
    ds = sorted(data) if data else [0, 1]
    ks = sorted(kern, key=lambda k: (k is None, k)) if kern else [ds[0], 1 - ds[0], None]
    # H and W: which axis each names, when the sums use them (x_{c,w,h} names W first, as the seed does)
    sym = Symbols(2, True)
    used = set().union(*(set().union(*(sp.sympify(e).free_symbols for v, lo, hi in s.bounds for e in (lo, hi)
                                       if isinstance(e, sp.Basic)), *(c.free_symbols for c in s.conds))
                         for s in steps)) if steps else set()
    whs = [False]
    if spec.ndim == 2 and used & {sym.H[0], sym.H[1], sym.Ho[0], sym.Ho[1]}:
        first = str(steps[0].free[-2]).lower() if steps else ""
        whs = [True, False] if first.startswith("w") else [False, True]
    own = sorted(batch)[0] if len(batch) == 1 else None
    out = [Reading(d, k, wh, own if own != d else None) for wh in whs for d, k in itertools.product(ds, ks)]
    return tuple(sorted(out, key=lambda r: (r.wh != whs[0], r.data != r.kernel, out.index(r))))


# ------------------------------------------------------------------------------------------ the verdict

def _structure(spec: ConvSpec, target: str) -> Any:
    from . import presburger
    grouped = spec.groups > 1
    if grouped:
        raise UnsupportedError("an index sum is read for one group")
    fixed = presburger.Fixed(tuple(spec.kernel_size), tuple(spec.pads))  # type: ignore[arg-type]
    term, free = presburger.derivative_term(spec.ndim, False, spec.bias, target)
    return presburger._definition(spec.ndim, False, tuple(spec.stride), tuple(spec.dilation),  # type: ignore
                                  target, term, free, fixed)


_TARGET = {"x": "grad_input", "h": "grad_weight"}


def _found(spec: ConvSpec, s: IndexSum, against: IndexSum | None) -> tuple[Any, list[Any]]:
    """(the structure compared with, the failures: [] when ``s`` equals the definition's derivative, or
    ``against``'s sum, for every size)."""
    from . import presburger
    st = _structure(spec, s.target)
    if against is not None:
        rel = presburger.form_relation(st.space, against, s.target).intersect_params(st.context)
        st = dataclasses.replace(st, definition=rel)
    return st, presburger._refute(st, _TARGET[s.target], (s,))


def holds(spec: ConvSpec, s: IndexSum, against: IndexSum | None = None) -> bool:
    """Whether the sum equals ∂L/∂target (or the sum ``against``) for every size; False when undecided."""
    from .presburger import _Mismatch
    try:
        return not _found(spec, s, against)[1]
    except (UnsupportedError, _Mismatch, ClaimError):
        return False


@dataclass(frozen=True)
class Step:
    """One line of a derivation checked: ``ok``, or where it fails (``words``: in the student's indices)."""

    number: int
    ok: bool
    words: str = ""


@dataclass(frozen=True)
class IndexVerdict:
    """An index formula (or derivation) judged for every size: ``verdict`` of its last line against the
    definition (``proved``, ``refuted``, ``undecided``), the reading of its numbers used (``assumed`` when
    the formula did not decide it), each step's check, and the counterexample in the student's indices."""

    derivation: Derivation
    reading: Reading
    assumed: bool
    verdict: str
    statement: str
    words: str
    steps: tuple[Step, ...]
    counterexample: Any = None
    sums: tuple[IndexSum, ...] = ()
    open_words: str = ""          # what the formula left open, as it was read

    @property
    def first_wrong(self) -> Step | None:
        return next((s for s in self.steps if not s.ok), None)


def judge(spec: ConvSpec, d: Derivation) -> IndexVerdict:
    """The derivation's last line proved or refuted against the definition's derivative, and, when it has
    several lines, each line against the one before (the first against the definition), for every size."""
    from .claims import prove_form
    steps = d.steps
    chosen = next((r for r in d.readings if holds(spec, d.at(r)[-1])), None)
    assumed = len(d.readings) > 1
    if chosen is None and len(steps) == 1:
        chosen = d.readings[0]
    elif chosen is None:
        # the reading under which most lines follow (the first from the definition), the likeliest first
        def held(r: Reading) -> int:
            at = d.at(r)
            return sum(holds(spec, s, at[k - 1] if k else None) for k, s in enumerate(at))
        likely = d.readings[:6]              # the 2 s budget: six readings at most
        chosen = max(likely, key=lambda r: (held(r), -likely.index(r)))
    at = d.at(chosen)
    proof = prove_form(spec, d.target, at[-1], text=at[-1].text)
    if proof.ok:
        verdict, words = "proved", ""
    elif proof.counterexample is not None:
        verdict, words = "refuted", student_words(proof.counterexample, at[-1])
    else:
        verdict, words = "undecided", proof.detail
    checked = []
    if len(at) > 1:
        for k, s in enumerate(at):
            if k == 0:
                ok = holds(spec, s) if not (k == len(at) - 1) else proof.ok
                words_k = "" if ok else _step_words(spec, s, None)
            else:
                ok = holds(spec, s, at[k - 1])
                words_k = "" if ok else _step_words(spec, s, at[k - 1])
            checked.append(Step(k + 1, ok, words_k))
    return IndexVerdict(d, chosen, assumed and proof.ok, verdict, proof.statement, words, tuple(checked),
                        proof.counterexample, at, _assumed_words(d.readings, chosen))


def _assumed_words(readings: Sequence[Reading], chosen: Reading) -> str:
    """What the formula left open and how it was read: "kernel positions 0-based", "indices 1-based, ..."."""
    parts = []
    if len({r.data for r in readings}) > 1:
        parts.append(f"indices {chosen.data}-based")
    if len({r.kernel for r in readings}) > 1:
        parts.append("kernel positions " + ("centred" if chosen.kernel is None else f"{chosen.kernel}-based"))
    if len({r.wh for r in readings}) > 1:
        parts.append("W the first spatial axis and H the second" if chosen.wh else
                     "H the first spatial axis and W the second")
    return ", ".join(parts)


def _step_words(spec: ConvSpec, s: IndexSum, before: IndexSum | None) -> str:
    """Where ``s`` differs from the line before (or the definition): the smallest sizes, in the student's
    indices; the difference confirmed by evaluating both sums there."""
    from . import presburger
    try:
        st, found = _found(spec, s, before)
    except presburger._Mismatch as exc:
        return str(exc)
    except (UnsupportedError, ClaimError) as exc:
        return f"not decided ({exc})"
    if not found:
        return ""
    cx = presburger._counterexample(st, _TARGET[s.target], (s,), found)
    text = student_words(cx, s, "the line before" if before is not None else "the definition")
    if before is not None and not _differs(cx, s, before):
        return f"{text} (not confirmed by evaluating both lines there)"
    return text


def _differs(cx: Any, a: IndexSum, b: IndexSum) -> bool:
    """Both sums evaluated on the same random integers at the counterexample's sizes differ."""
    sym = Symbols(cx.ndim, True)
    sizes = cx.symbol_values(sym)
    out = tuple(sizes[s] for s in sym.Ho)
    rng = np.random.default_rng(19)
    env = {"x": rng.integers(-50, 51, (cx.batch, cx.in_channels) + cx.input_size),
           "h": rng.integers(-50, 51, (cx.out_channels, cx.in_channels) + cx.kernel_size),
           "g": rng.integers(-50, 51, (cx.batch, cx.out_channels) + out)}
    try:
        return bool(np.any(a.evaluate(env, sizes) != b.evaluate(env, sizes)))
    except (ValueError, IndexError, UnsupportedError):
        return False


def student_index(s: IndexSum, tensor: str, index: Sequence[int], swapped: bool = False) -> str:
    """A 0-based PyTorch index written on the student's scale and in the student's order (the batch index
    left out when the student wrote none)."""
    idx = list(index)
    lead = 0
    if tensor in ("x", "g") and not s.batch:
        idx, lead = idx[1:], 1
    vals = [v + s._offset(tensor, k + lead) for k, v in enumerate(idx)]
    if tensor == "h" and swapped:
        vals = [vals[1], vals[0]] + vals[2:]
    return ",".join(map(str, vals))


def student_words(cx: Any, s: IndexSum, other: str = "the definition") -> str:
    """A counterexample (:class:`~.presburger.Counterexample`) in the student's own index names and scale:
    "at C_in = 1, C_out = 2, H = 1, W = 1: ∂L/∂x_{c,i,j} at c = 0, i = 0, j = 0 should contain
    ∂L/∂y_{1,0,0}·h_{1,0,1,1} but the sum gives …"."""
    target = s.target
    names = [str(v) for v in s.free]
    lhs_swapped = target == "h" and _lhs_swapped(s)
    entry_vals = student_index(s, target, cx.entry, lhs_swapped).split(",") if cx.entry else []
    if lhs_swapped:
        names = [names[1], names[0]] + names[2:]
    where = ", ".join(f"{n} = {v}" for n, v in zip(names, entry_vals))
    lhs = f"∂L/∂{target}_{{{','.join(names)}}}" + (f" at {where}" if where else "")
    g_show = next((f.written for f in s.factors if f.tensor == "g" and not f.derived), "∂L/∂y")
    swapped = any(f.swapped for f in s.factors if f.tensor == "h")

    def mono(m: Sequence[tuple[str, tuple[int, ...]]]) -> str:
        return "·".join(f"{g_show if t == 'g' else t}_{{{student_index(s, t, i, swapped)}}}" for t, i in m)
    at = f"at {_where(cx)}: "
    fixed = [str(v) for v, lo, _ in s.bounds if lo == "first"]
    scale = f" ({', '.join(fixed)} not summed over: read at {'its' if len(fixed) == 1 else 'their'} first " \
            f"value)" if fixed else ""
    if cx.kind == "missing":
        gives = " + ".join(mono(m) for m in cx.formula) or "0"
        return at + f"{lhs} should contain {mono(cx.monomial)} but the sum gives {gives}{scale}"
    if cx.kind == "extra":
        gives = " + ".join(mono(m) for m in cx.formula) or "0"
        return at + f"{lhs} should not contain {mono(cx.monomial)}, which the sum gives; {other} gives " \
                    f"{gives}{scale}"
    if cx.kind == "doubled":
        return at + f"the sum counts {mono(cx.monomial)} in {lhs} {cx.count} times; {other} has it once{scale}"
    return at + cx.reason.replace("the formula", "the sum")


def _lhs_swapped(s: IndexSum) -> bool:
    return s.lhs_swapped


def _where(cx: Any) -> str:
    """The sizes without the fixed kernel and padding (problem 1's 3×3, padding 1 is the question's)."""
    return cx.where()


def diagnose(spec: ConvSpec, s: IndexSum) -> tuple[str, ...]:
    """The usual mistake (:data:`symconv.grading.formulas.MISTAKES`' names) whose correction makes the sum
    proved for every size, read as the sum was: for ∂L/∂x the kernel's positions not reversed (``no_rotation``:
    h_{…, m} should be h_{…, K−1−m}) or its channels not exchanged (``no_swap``); for ∂L/∂h the kernel's
    positions reversed (``extra_rotation``). () when none explains it."""
    fixes: list[tuple[str, IndexSum]] = []
    if s.target == "x":
        fixes.append(("no_rotation", dataclasses.replace(s, factors=tuple(
            dataclasses.replace(f, index=f.index[:2] + tuple(
                (k - 1) + 2 * s._offset("h", 2 + a) - e for a, (k, e) in enumerate(zip(s.kernel, f.index[2:]))))
            if f.tensor == "h" and not f.derived else f for f in s.factors))))
        fixes.append(("no_swap", dataclasses.replace(s, factors=tuple(
            dataclasses.replace(f, index=(f.index[1], f.index[0]) + f.index[2:]) if f.tensor == "h"
            and not f.derived else f for f in s.factors))))
    else:
        flip = {v: (k - 1) + 2 * s._offset("h", 2 + a) - v for a, (k, v) in enumerate(zip(s.kernel, s.free[2:]))}
        fixes.append(("extra_rotation", dataclasses.replace(
            s, factors=tuple(dataclasses.replace(f, index=tuple(sp.sympify(e).xreplace(flip) for e in f.index))
                             for f in s.factors),
            conds=tuple(c.xreplace(flip) for c in s.conds),
            bounds=tuple((v, lo if not isinstance(lo, sp.Basic) else lo.xreplace(flip),
                          hi if not isinstance(hi, sp.Basic) else hi.xreplace(flip)) for v, lo, hi in s.bounds))))
    for name, fixed in fixes:
        if holds(spec, fixed):
            return (name,)
    return ()
