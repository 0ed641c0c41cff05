"""Average pooling's ∂L/∂x proved for every size by the isl prover, or refuted with the smallest sizes.

The definition's terms are g[n, c, i]·w[i] with w = 1/d a weight per output position; the prover's
relations hold coefficient-1 terms only. The proof therefore splits the gradient in two parts, each exact:

1. **the entries**: the closed form with its division taken out (``divide(g, d)`` read as g) must read the
   same terms as the definition with its weight taken out, {(x entry u) → (g entry n, c, i) : S·i + a − P =
   u, 0 ≤ a < K} — the existing relation proof (missing, extra and doubled terms), word for word;
2. **the weight**: the form's one division must be of g itself (so that its divisor is indexed by the same
   output position i as the definition's weight) and its divisor must equal the definition's at every
   output position of every size. A divisor is a product over the axes of a piecewise-affine function of
   i_k and the sizes (PyTorch's (min(S i − P + K, H + P) − (S i − P)), min(S i − P + K, H) − max(S i − P, 0),
   or the constant K_k) or one constant (``divisor_override``); isl decides each axis's function equal
   (``PwAff.ne_set`` over the output range in the size context).

Why this is sound: with (1) both sides are Σ over the same set of (u, i) pairs, each of g[n, c, i] times
that side's 1/d(i); with (2) the two d(i) are the same function on every i in range, so the sums are equal
term by term. Equal factors on every axis imply equal products; the converse fails (a divisor 9 against
3·3 per axis), so two divisors whose axes differ but whose products might agree are compared at sizes
isl gives and confirmed by evaluation before being called a refutation.

A refutation's sizes are the smallest where either part fails; it is witnessed by evaluating the claim
there against PyTorch's own backward loop (``avg_pool2d_backward_out_cpu``: every window, its clipped
extent and divide factor) written out in NumPy.
"""

from __future__ import annotations

import functools
import itertools
import math
import time
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import numpy as np
import sympy as sp

from ..derivation import ops
from ..derivation.affine import IndexSpace
from ..derivation.index import Symbols, Term, from_sympy
from ..derivation.pooling import (Divide, Divisor, concrete_form, definition_avg_pool, derive_pool_general,
                                  undivided)
from ..derivation.spec import AvgPoolSpec
from ..errors import SymconvError, UnsupportedError
from . import presburger
from .presburger import Proof, Result, _axis_name, _definition_map, _refute, _smallest, _Structure, isl


@dataclass(frozen=True)
class PoolFamily:
    """What a pooling proof fixes: the spatial rank, kernel and stride per axis, the flags, and (for a
    configuration's own proof) the padding; ``padding`` None proves for every P ≤ K/2."""

    ndim: int
    kernel: tuple[int, ...]
    stride: tuple[int, ...]
    ceil_mode: bool = False
    count_include_pad: bool = True
    divisor_override: int | None = None
    padding: tuple[int, ...] | None = None

    @classmethod
    def of(cls, spec: AvgPoolSpec, fixed: bool = True) -> "PoolFamily":
        return cls(spec.ndim, tuple(spec.kernel_size), tuple(spec.stride), spec.ceil_mode,  # type: ignore
                   spec.count_include_pad, spec.divisor_override, tuple(spec.padding) if fixed else None)

    def words(self) -> str:
        one = lambda v: str(v[0]) if len(set(v)) == 1 else "(" + ", ".join(map(str, v)) + ")"  # noqa: E731
        parts = [f"kernel {one(self.kernel)}", f"stride {one(self.stride)}"]
        if self.padding is not None:
            parts.append(f"padding {one(self.padding)}")
        if self.ceil_mode:
            parts.append("ceil mode")
        if self.divisor_override is not None:
            parts.append(f"divisor {self.divisor_override}")
        else:
            parts.append("padding counted" if self.count_include_pad else "real entries counted")
        return ", ".join(parts)

    def name(self) -> str:
        return f"avg_pool {self.ndim}d {self.words()}"


# -------------------------------------------------------------------------------------------- the space

@functools.lru_cache(maxsize=None)
def pool_space(family: PoolFamily) -> tuple[IndexSpace, Symbols, Any]:
    """Per axis: P (unless fixed), H and the output size H^o by PyTorch's rule; N and C."""
    ndim = family.ndim
    sym = Symbols(ndim, False)
    names: dict[sp.Symbol, str] = {sym.N: "N", sym.C: "C"}
    values: dict[sp.Symbol, int] = {sym.G: 1}
    params, context = ["N", "C"], ["N >= 1", "C >= 1"]
    axis = {b: [_axis_name(b, ndim, k) for k in range(ndim)] for b in ("P", "H", "Ho")}
    if family.padding is None:
        params += axis["P"]
    params += axis["H"] + axis["Ho"]
    for k in range(ndim):
        K, S = family.kernel[k], family.stride[k]
        H, Ho = axis["H"][k], axis["Ho"][k]
        values.update({sym.K[k]: K, sym.S[k]: S, sym.D[k]: 1})
        names.update({sym.H[k]: H, sym.Ho[k]: Ho})
        if family.padding is None:
            P = axis["P"][k]
            names[sym.P[k]] = P
            context.append(f"0 <= 2*{P} <= {K}")
        else:
            P = str(family.padding[k])
            values[sym.P[k]] = family.padding[k]
        span = f"{H} + 2*{P} - {K}"
        context += [f"{H} >= 1", f"{Ho} >= 1"]
        if not family.ceil_mode:            # ⌊(H + 2P − K)/S⌋ + 1
            context.append(f"{span} >= 0 and {S}*({Ho} - 1) <= {span} < {S}*{Ho}")
        else:                               # rounded up, the last window starting before H + P
            # (an input shorter than the window, H + 2P < K, still has one clipped window when rounding up:
            # PyTorch's avg_pool1d(ones(1), 2, ceil_mode=True) is [1.]; those sizes are in the domain too)
            up = f"{S}*({Ho} - 2) < {span} <= {S}*({Ho} - 1) and {S}*({Ho} - 1) < {H} + {P}"
            dropped = f"{S}*({Ho} - 1) < {span} <= {S}*{Ho} and {S}*{Ho} >= {H} + {P}"
            context.append(f"(({up}) or ({dropped}))")
    shapes = {"x": (sym.N, 1, sym.C) + sym.H, "g": (sym.N, 1, sym.C) + sym.Ho}
    space = IndexSpace(ndim, tuple(params), names, values, shapes, 1, " and ".join(context))
    return space, sym, space.set(f": {space.context}")


@functools.lru_cache(maxsize=None)
def pool_derivative_term(ndim: int) -> tuple[Term, tuple[sp.Symbol, ...]]:
    """∂L/∂x[free] as SymPy differentiates the definition, its weight factor w taken out (part 2 compares
    the weight)."""
    sym = Symbols(ndim, False)
    _, L, _ = definition_avg_pool(sym)
    free = (sym.n_, sym.c_) + sym.u_
    term = from_sympy(L.diff(sp.IndexedBase("x")[free]))
    return Term(tuple(f for f in term.factors if f.tensor != "w"), term.deltas, term.limits), free


def family_divisor(family: PoolFamily, sym: Symbols) -> Divisor:
    """The divisor PyTorch uses (AvgPoolKernel.cpp), with the padding a symbol where it is not fixed."""
    if family.divisor_override is not None:
        return Divisor("constant", family.divisor_override)
    padding = family.padding if family.padding is not None else sym.P
    return Divisor("count" if family.count_include_pad else "valid_count", None, family.kernel, family.stride,
                   tuple(padding), sym.H)


def family_form(family: PoolFamily) -> ops.Expr:
    """The engine's general ∂L/∂x at the family's kernel, stride (and padding), its divisor the family's."""
    general = derive_pool_general(family.ndim)
    sym = general.sym
    values: dict[sp.Symbol, Any] = {**dict(zip(sym.K, family.kernel)), **dict(zip(sym.S, family.stride))}
    if family.padding is not None:
        values.update(dict(zip(sym.P, family.padding)))
    divisor = family_divisor(family, sym)

    def put(expr: ops.Expr) -> ops.Expr:
        if isinstance(expr, Divide):
            return Divide(expr.arg, divisor)
        arg = getattr(expr, "arg", None)
        return type(expr)(put(arg), *[getattr(expr, f) for f in expr.__dataclass_fields__ if f != "arg"]) \
            if isinstance(arg, ops.Expr) else expr
    return put(general.closed["grad_input"]).map_sizes(values)


# -------------------------------------------------------------------------------------------- divisors

def _axis_pwaff(space: IndexSpace, divisor: Divisor, k: int) -> str:
    """isl text of the divisor's factor on axis k, a function of i (an output position) and the sizes."""
    if divisor.kind == "constant":
        return str(space.int(divisor.value, "divisor")) if k == 0 else "1"
    K, S, P, H = (space.aff(v[k]) for v in (divisor.kernel, divisor.stride, divisor.padding, divisor.length))
    start = f"{S}*i - ({P})"
    if divisor.kind == "count":
        return f"min({start} + {K}, ({H}) + ({P})) - ({start})"
    return f"min({start} + {K}, {H}) - max({start}, 0)"


def _pwaff(space: IndexSpace, text: str, k: int) -> Any:
    ho = space.aff(Symbols(space.ndim, False).Ho[k])
    params = ", ".join(space.params)
    return isl.PwAff(f"[{params}] -> {{ [i] -> [({text})] : 0 <= i < {ho} }}")


def _weights_differ(space: IndexSpace, context: Any, want: Divisor, got: Divisor) -> list[tuple[str, Any, Any]]:
    """Where the two divisors differ, as ("weight", parameter set, (axis, want, got)); [] when isl proves
    them equal axis by axis. A constant against per-axis counts in 2-D and 3-D is compared as a product at
    the points isl gives (see the module's note)."""
    found = []
    constants = {want.kind == "constant", got.kind == "constant"}
    if space.ndim > 1 and constants == {True, False}:
        # A constant c against Π_k f_k(i_k): equal everywhere only if each f_k is a constant c_k with Π c_k =
        # c; where an axis is not constant, two of its values differ, and c cannot equal both products.
        counts = got if got.kind != "constant" else want
        c = space.int((want if want.kind == "constant" else got).value, "divisor")
        per_axis = []
        for k in range(space.ndim):
            f = _pwaff(space, _axis_pwaff(space, counts, k), k)
            kernel = space.int(counts.kernel[k], "kernel")
            bad = f.ne_set(_pwaff(space, str(kernel), k)).params().intersect(context.params())
            if not bad.is_empty():
                found.append(("weight", bad, (k, want, got)))
            per_axis.append(kernel)
        if not found and math.prod(per_axis) != c:
            found.append(("weight", context.params(), (0, want, got)))
        return found
    for k in range(space.ndim):
        a = _pwaff(space, _axis_pwaff(space, want, k), k)
        b = _pwaff(space, _axis_pwaff(space, got, k), k)
        bad = a.ne_set(b).params().intersect(context.params())
        if not bad.is_empty():
            found.append(("weight", bad, (k, want, got)))
    return found


def _claim_divisor(form: ops.Expr, sym: Symbols) -> Divisor:
    """The form's one divisor, which must divide g itself (so that it is indexed by g's position i); a form
    without a division divides by 1."""
    if any(isinstance(n, ops.AddBias) for n in ops.nodes(form)):
        # Each term of a sum could carry its own weight, and one divisor is compared: not read, never proved.
        raise UnsupportedError(f"{form}: a sum of formulas is not read for avg_pool (one divisor is compared)")
    found = [n for n in ops.nodes(form) if isinstance(n, Divide)]
    if not found:
        return Divisor("constant", 1)
    if len(found) > 1:
        raise UnsupportedError(f"{form}: more than one divide; write the divisor once, divide(g, ...)")
    if not isinstance(found[0].arg, ops.Tensor):
        raise UnsupportedError(f"{found[0]}: the prover reads a divisor of g's own positions; write divide(g, ...)")
    d = found[0].divisor
    if d.kind == "tensor":
        raise UnsupportedError(f"{found[0]}: d is the general derivation's divisor; name one (a number, "
                               f"count(K, S, P) or valid_count(K, S, P))")
    return d


# -------------------------------------------------------------------------------------- counterexamples

@dataclass(frozen=True)
class PoolCounterexample:
    """The smallest sizes at which a pooling gradient claim is wrong, and what goes wrong there."""

    family: PoolFamily
    sizes: Mapping[str, int]
    kind: str                   # missing, extra, doubled (entries), weight (the divisor), undefined, shape
    reason: str = ""
    entry: tuple[int, ...] = ()
    values: tuple[Any, Any] = ()          # (the formula's, the derivative's) at the entry
    op: str = "avg_pool"

    @property
    def input_size(self) -> tuple[int, ...]:
        return tuple(self.sizes[_axis_name("H", self.family.ndim, k)] for k in range(self.family.ndim))

    @property
    def padding(self) -> tuple[int, ...]:
        if self.family.padding is not None:
            return self.family.padding
        return tuple(self.sizes[_axis_name("P", self.family.ndim, k)] for k in range(self.family.ndim))

    def spec(self) -> AvgPoolSpec:
        f = self.family
        return AvgPoolSpec(f.ndim, f.kernel, f.stride, self.padding, f.ceil_mode, f.count_include_pad,
                           f.divisor_override)

    def where(self) -> str:
        one = lambda v: str(v[0]) if len(set(v)) == 1 else "(" + ", ".join(map(str, v)) + ")"  # noqa: E731
        parts = ([f"N = {self.sizes['N']}"] if self.sizes["N"] != 1 else []) + [f"C = {self.sizes['C']}"]
        axes = ("H",) if self.family.ndim == 1 else ("H", "W") if self.family.ndim == 2 else ("H_1", "H_2", "H_3")
        parts += [f"{a} = {n}" for a, n in zip(axes, self.input_size)]
        parts.append(f"P = {one(self.padding)}")
        return ", ".join(parts)

    def __str__(self) -> str:
        head = f"at {self.where()}"
        if self.entry:
            got, want = self.values
            head += f": ∂L/∂x[{','.join(map(str, self.entry))}] is {want}, the formula gives {got}"
        return head + (f" ({self.reason})" if self.reason else "")


def torch_loop_grad(spec: AvgPoolSpec, x_shape: tuple[int, ...], g: np.ndarray) -> np.ndarray:
    """∂L/∂x as PyTorch's CPU backward computes it (avg_pool2d_backward_out_cpu, one axis at a time per
    window): each output position's window [S i − P, S i − P + K) clipped at H + P gives the pool size,
    clipped at [0, H) the entries it reaches; the divide factor is divisor_override, the pool size
    (count_include_pad) or the clipped extent; g / factor is added to every entry reached. Exact on object
    arrays."""
    out = np.zeros(x_shape, dtype=object)
    out.fill(sp.Integer(0))
    H = x_shape[2:]
    for pos in itertools.product(*(range(n) for n in g.shape[2:])):
        lo, hi, pool = [], [], 1
        for k, i in enumerate(pos):
            start = spec.stride[k] * i - spec.padding[k]  # type: ignore[index]
            end = min(start + spec.kernel_size[k], H[k] + spec.padding[k])  # type: ignore[index]
            pool *= end - start
            lo.append(max(start, 0))
            hi.append(min(end, H[k]))
        if any(a >= b for a, b in zip(lo, hi)):
            continue
        factor = spec.divisor_override if spec.divisor_override is not None else pool if spec.count_include_pad \
            else math.prod(b - a for a, b in zip(lo, hi))
        window = (slice(None), slice(None)) + tuple(slice(a, b) for a, b in zip(lo, hi))
        out[window] = out[window] + (g[(slice(None), slice(None)) + pos] / sp.Integer(factor)).reshape(
            g.shape[:2] + (1,) * len(pos))
    return out


def witness(cx: PoolCounterexample, form: ops.Expr, seed: int = 22) -> tuple[bool, str, tuple[int, ...],
                                                                            tuple[Any, Any]]:
    """Evaluate the formula exactly at the counterexample's sizes against PyTorch's backward loop: (whether
    they differ, how, the first differing entry, (formula's value, derivative's))."""
    spec = cx.spec()
    sym = Symbols(cx.family.ndim, False)
    shape = (cx.sizes["N"], cx.sizes["C"]) + cx.input_size
    out = spec.output_size(cx.input_size)
    rng = np.random.default_rng(seed)
    g = np.array([sp.Integer(int(v)) for v in rng.integers(-50, 51, int(np.prod(shape[:2] + out)))],
                 dtype=object).reshape(shape[:2] + out)
    x = np.zeros(shape, dtype=object)
    want = torch_loop_grad(spec, shape, g)
    sizes = {**dict(zip(sym.H, cx.input_size)), **dict(zip(sym.Ho, out)),
             **dict(zip(sym.P, cx.padding))}
    try:
        got = np.asarray(form.evaluate({"x": x, "g": g}, sizes))
    except (ValueError, IndexError, KeyError, TypeError, ZeroDivisionError, SymconvError) as exc:
        return True, f"the formula cannot be evaluated there ({exc})", (), ()
    if got.shape != want.shape:
        return True, f"its result has shape {got.shape}, the derivative {want.shape}", (), ()
    differ = np.argwhere(np.asarray(got != want))
    if len(differ) == 0:
        return False, "the formula equals the derivative there (exactly)", (), ()
    at = tuple(int(i) for i in differ[0])
    return True, "", at, (got[at], want[at])


# ------------------------------------------------------------------------------------------- the proof

_WHY = {"missing": "it lacks a term of the derivative", "extra": "it adds a term the derivative lacks",
        "doubled": "it counts a term twice", "weight": "its divisor differs from PyTorch's"}


def prove_pool(family: PoolFamily, form: ops.Expr | None = None) -> Proof:
    """∂L/∂x of average pooling proved for every N, C and input size (and every P ≤ K/2 when the family
    leaves it free), or refuted with the smallest sizes, witnessed by evaluation. ``form`` defaults to the
    engine's general form at the family's parameters."""
    start = time.perf_counter()
    space, sym, context = pool_space(family)
    term, free = pool_derivative_term(family.ndim)
    rel = _definition_map(space, sym, term, free, "x").intersect_params(context)
    fixed = {"G": 1} | ({} if family.padding is None else
                        {_axis_name("P", family.ndim, k): p for k, p in enumerate(family.padding)})
    st = _Structure(space, sym, context, rel, fixed, False, "avg_pool")
    form = family_form(family) if form is None else form
    try:
        claimed = _claim_divisor(form, sym)
        found = _refute(st, "grad_input", (undivided(form),))
        found += _weights_differ(space, context, family_divisor(family, sym), claimed)
    except UnsupportedError as exc:
        result = Result("grad_input", False, detail=str(exc))
    else:
        result = Result("grad_input", True)
        if found:
            result = _refuted(st, family, form, found)
    return Proof(family.ndim, False, False, family.stride, (1,) * family.ndim, (result,),
                 time.perf_counter() - start, statement(family), op="avg_pool")


def _refuted(st: _Structure, family: PoolFamily, form: ops.Expr, found: list[tuple[str, Any, Any]]) -> Result:
    """The smallest sizes over every failure, witnessed; a failure evaluation does not confirm is reported
    as unconfirmed, never as a refutation."""
    best = None
    for kind, bad, detail in found:
        sizes = _smallest(st.space, bad.params() if hasattr(bad, "params") else bad)
        key = (sum(v for p, v in sizes.items() if not p.startswith("Ho")), sorted(sizes.items()))
        if best is None or key < best[0]:
            best = (key, kind, sizes, detail)
    _, kind, sizes, detail = best  # type: ignore[misc]
    reason = detail if isinstance(detail, str) else _WHY.get(kind, "")
    cx = PoolCounterexample(family, {**st.fixed, **sizes}, kind, reason)
    held, why, entry, values = witness(cx, form)
    if not held:
        return Result("grad_input", False, detail=f"the prover's counterexample ({cx.where()}) was not confirmed "
                                                  f"by evaluating the formula there: {why}")
    cx = PoolCounterexample(family, cx.sizes, kind, why or reason, entry, values)
    return Result("grad_input", False, cx, str(cx))  # type: ignore[arg-type]


def statement(family: PoolFamily) -> str:
    axes = ("H",) if family.ndim == 1 else ("H", "W") if family.ndim == 2 else ("H_1", "H_2", "H_3")
    free = ["N", "C"] + list(axes) + (["P up to K/2"] if family.padding is None else [])
    return f"for every {', '.join(free)} (a non-empty output) at {family.words()}"


def prove_spec(spec: AvgPoolSpec, form: ops.Expr | None = None) -> Proof:
    """A configuration's ∂L/∂x (by default the engine's, with its divisor) proved for every N, C, H."""
    family = PoolFamily.of(spec)
    if form is None:
        general = derive_pool_general(spec.ndim)
        form = concrete_form(general.closed["grad_input"], spec, general.sym)
    return prove_pool(family, form)


# ------------------------------------------------------------------------------------------------ sweep

def pool_families(ndims: Sequence[int] = (1, 2)) -> list[PoolFamily]:
    """The families the all-sizes sweep proves: in 1-D every kernel 1..4 and stride 1..3 with every flag
    (ceil_mode, count_include_pad, and a divisor_override), every padding P ≤ K/2 free; in 2-D a kernel of
    (2, 3) and (3, 3) at strides (1, 2) and (2, 2), in 3-D (2, 2, 3) at stride (2, 1, 2), both flags both ways
    (every P free)."""
    out = []
    for ndim in ndims:
        if ndim == 1:
            shapes = [((k,), (s,)) for k in (1, 2, 3, 4) for s in (1, 2, 3)]
        else:
            shapes = [((2, 3), (1, 2)), ((3, 3), (2, 2))] if ndim == 2 else [((2, 2, 3), (2, 1, 2))]
        for kernel, stride in shapes:
            for ceil, include in itertools.product((False, True), (True, False)):
                out.append(PoolFamily(ndim, kernel, stride, ceil, include))
            if ndim == 1:
                out.append(PoolFamily(ndim, kernel, stride, True, False, 2))
    return out


def prove_family(family: PoolFamily, mutant: str | None = None) -> tuple[Proof, float]:
    """One sweep family's proof and its CPU seconds; a mutant's form instead of the engine's."""
    started = time.process_time()
    form = None
    if mutant:
        from .mutants import mutate
        form = mutate(family_form(family), mutant)
    return prove_pool(family, form), time.process_time() - started


def _prove_one(item: tuple[PoolFamily, str | None]) -> tuple[Proof, float]:
    return prove_family(*item)


def sweep(ndims: Sequence[int] = (1, 2, 3), jobs: int = 1, mutant: str | None = None) -> presburger.Sweep:
    """Every family of :func:`pool_families` proved (or, with ``mutant``, a wrong form refuted), in ``jobs``
    processes; the all-sizes sweep (``verify --sweep --all-sizes``) runs it beside the convolutions'."""
    from ..derivation import threads
    start = time.perf_counter()
    todo = [(f, mutant) for f in pool_families(ndims)]
    if jobs > 1 and todo:
        from concurrent.futures import ProcessPoolExecutor
        with ProcessPoolExecutor(jobs, initializer=threads.worker) as pool:
            done = list(pool.map(_prove_one, todo, chunksize=8))
    else:
        done = list(map(_prove_one, todo))
    return presburger.Sweep(tuple(p for p, _ in done), time.perf_counter() - start, sum(c for _, c in done))


__all__ = ["PoolFamily", "PoolCounterexample", "prove_pool", "prove_spec", "pool_families", "prove_family",
           "torch_loop_grad", "witness", "presburger"]
