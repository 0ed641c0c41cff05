"""The homework's exact machinery shared by the seed's solver (:mod:`.solution`) and networks of layers
(:mod:`.network`): each layer's generic entry and SymPy's derivative of it (:func:`layer_definitions`, compiled
once by :func:`rule`), the softmax written in its exponentials, and the relative checks (:class:`Check`)."""

from __future__ import annotations

import contextlib
import functools
import itertools
import math
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np
import sympy as sp

from ..derivation import store
from ..derivation.exprs import as_expr, numpy_function

# The relative tolerance of each check: a part passes when max |Δ| <= tolerance * M (M its magnitude, a power of
# ten, see magnitudes()); reports print that bound (what every machine computes the same), and the measured
# value only when it exceeds the bound.
TOLERANCES = {"float64": 1e-12, "finite-difference": 1e-6}


@contextlib.contextmanager
def any_digits() -> Any:
    """Integers of any length may be written out in full inside (Python refuses more than 4,300 digits, a
    guard against quadratic work; a homework within the stated limits reaches ~160,000, which take ~1 s)."""
    before = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(0)
    try:
        yield
    finally:
        sys.set_int_max_str_digits(before)


@dataclass(frozen=True)
class Check:
    """One check of one part: the largest |exact - float| (NaN when the recomputation gave NaN), the part's
    magnitude M (a power of ten) and the relative tolerance; it passes when error <= tolerance * M."""

    error: float
    magnitude: float
    tolerance: float

    @property
    def bound(self) -> float:
        return self.tolerance * self.magnitude

    @property
    def passed(self) -> bool:
        return bool(self.error <= self.bound)        # False for NaN


class Checked:
    """The checks of a solution (a :class:`~.solution.Solution` or a :class:`~.network.NetworkSolution`), from
    its ``exact`` parts, ``max_error`` and ``magnitude``."""

    exact: dict[str, np.ndarray]

    def max_error(self, name: str, against: str) -> float | None:
        raise NotImplementedError

    def magnitude(self, name: str) -> float:
        raise NotImplementedError

    def differences(self, name: str, against: str) -> np.ndarray | None:
        """|exact − other| entry by entry (flattened) against the float64 recomputation (``approx``) or the
        finite differences; None when that check does not apply to part ``name``."""
        other = self.approx if against == "float64" else self.finite_difference  # type: ignore[attr-defined]
        if name not in other:
            return None
        return abs_difference(self.floats(name), np.asarray(other[name], dtype=float))  # type: ignore[attr-defined]

    def check(self, name: str, against: str) -> Check | None:
        """The float64 (``against="float64"``) or finite-difference check of part ``name``; None when it does
        not apply (no finite differences of L for the forward parts)."""
        e = self.max_error(name, against)
        if e is None:
            return None
        return Check(e, self.magnitude(name), TOLERANCES[against])

    def failed_checks(self) -> list[tuple[str, str]]:
        """(part, check) for every check that did not pass, in the parts' order."""
        return [(name, against) for name in self.exact for against in ("float64", "finite-difference")
                if (c := self.check(name, against)) is not None and not c.passed]


def power_of_ten_above(v: float) -> float:
    """The smallest power of ten >= max(1, v) (inf stays inf). The 1e-9 margin keeps a magnitude that float
    rounding puts a few ulps either side of a power of ten on the same side on every machine."""
    if not v > 1:
        return 1.0
    if not np.isfinite(v):
        return math.inf
    k = math.ceil(math.log10(v) - 1e-9)
    return 10.0 ** k if k < 308 else math.inf


def abs_difference(exact: np.ndarray, theirs: np.ndarray) -> np.ndarray:
    """|exact − theirs|, flattened; 0 where both are the same infinity (an exact value beyond float64's range
    rounds to an infinity, and the same infinity agrees with it)."""
    with np.errstate(invalid="ignore"):
        diff = np.abs(exact - theirs).reshape(-1)
    diff[((exact == theirs) & np.isinf(exact)).reshape(-1)] = 0.0
    return diff


def _float_of(v: Any) -> float:
    v = as_expr(v)
    if v.is_Rational:
        return v.p / v.q          # int / int: correctly rounded, and quick
    return float(sp.N(v, 30))


def _to_float(a: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore", invalid="ignore"):     # beyond float64's range: an infinity, said so
        return np.vectorize(_float_of, otypes=[float])(a) if np.size(a) else np.zeros(np.shape(a))


def _cancel(a: np.ndarray) -> np.ndarray:
    """Each entry as one reduced fraction (only for the few softmax-sized vectors)."""
    with np.errstate(all="ignore"):     # NumPy reads stale float flags after SymPy's work on object arrays
        return np.vectorize(lambda v: sp.cancel(v), otypes=[object])(a)


def _exponentials(fc1: np.ndarray) -> tuple[dict[int, Any], dict[sp.Symbol, Any]]:
    """Values for the softmax's inputs shifted by c = max fc1, as ``log E_j`` with E_j = exp(fc1_j - c) > 0
    (softmax and its derivative do not change when every input moves by c).

    Softmax and its derivative are then rational functions of the E_j, which SymPy reduces quickly; at the
    end each E_j is replaced by its exponential. Where fc1_j = c the value is 0 (E_j = 1): equal logits give
    integers, not sums of exp(c) that SymPy would build and cancel (its first sum imports sympy.tensor and
    sympy.combinatorics, ~20 ms of a warm run).
    """
    c = max(fc1)
    values, back = {}, {}
    for j, v in enumerate(fc1):
        if v == c:
            values[j] = sp.Integer(0)
        else:
            E = sp.Symbol(f"E{j + 1}", positive=True)
            values[j] = sp.log(E)
            back[E] = sp.exp(v - c)
    return values, back


def _in_range(expr: Any) -> Any:
    """``expr`` with each ``Piecewise((e, cond), (0, True))`` that SymPy adds for an index's bounds replaced by
    ``e``, after checking that ``cond`` holds at both ends of every index's range (the conditions are linear)."""
    def first(*pairs: Any) -> Any:
        e, cond = pairs[0]
        idx = sorted(cond.atoms(sp.Idx), key=str)
        for ends in itertools.product(*[(i.lower, i.upper) for i in idx]):
            if cond.xreplace(dict(zip(idx, ends))) is not sp.true:
                raise AssertionError(f"{cond} does not hold on the index range")
        return e
    return expr.replace(sp.Piecewise, first)


def _vjp(out: Any, i: sp.Idx, wrt: Any, g: sp.IndexedBase) -> Any:
    """sum_i g_i d out_i / d wrt: SymPy's derivative of the generic entry, the Kronecker deltas summed out."""
    return _in_range(sp.Sum(g[i] * _in_range(sp.diff(out, wrt).doit()), i).doit())


_DEFINITIONS: dict[str, Any] = {}


def layer_definitions() -> dict[str, Any]:
    """Each layer's generic entry as a SymPy expression, with SymPy's derivatives of it (computed once; they
    hold no sizes: m classes and n = the entries of relu1 are symbols)."""
    if _DEFINITIONS:
        return _DEFINITIONS
    # SymPy's derivatives take ~0.15 s, a third of a cold start after SymPy's import: kept on disk, trusted
    # only after the hash checks of symconv.derivation.store (this file's source among them).
    stored = store.load("homework-layers", (Path(__file__).resolve(),), dict)
    _DEFINITIONS.update(stored if stored is not None else _layer_definitions())
    if stored is None:
        store.save("homework-layers", _DEFINITIONS, (Path(__file__).resolve(),))
    return _DEFINITIONS


def _layer_definitions() -> dict[str, Any]:
    m, n = sp.symbols("m n", integer=True, positive=True)
    i, i2, l_, j, k = sp.Idx("i", m), sp.Idx("i2", m), sp.Idx("l", m), sp.Idx("j", n), sp.Idx("k", n)
    W, r, b, g, f, q, y = map(sp.IndexedBase, ("W", "r", "b", "g", "f", "q", "y"))
    z = sp.Symbol("z", real=True)
    relu = sp.Max(z, 0)
    # SymPy's derivative of max(z, 0) is Heaviside(z); PyTorch's convention at z = 0 is 0, so Heaviside(z, 0).
    drelu = sp.diff(relu, z).replace(sp.Heaviside, lambda arg, *rest: sp.Heaviside(arg, 0))
    fc = sp.Sum(W[i, j] * r[j], j) + b[i]
    softmax = sp.exp(f[i]) / sp.Sum(sp.exp(f[i2]), i2)
    loss = -sp.Sum(y[i] * sp.log(q[i]), i)
    exprs = {"relu": relu, "drelu": drelu, "fc": fc,
             "fc_vjp_r": _vjp(fc, i, r[k], g),          # sum_i g_i W[i, k]
             "fc_vjp_W": _vjp(fc, i, W[l_, k], g),      # g[l] r[k]
             "fc_vjp_b": _vjp(fc, i, b[l_], g),         # g[l]
             "softmax": softmax, "softmax_vjp": _vjp(softmax, i, f[l_], g),
             "loss": loss, "dloss": _in_range(sp.diff(loss, q[l_]).doit())}    # -y[l] / q[l]
    args = {"relu": [z], "drelu": [z], "fc": [W, r, b, i, n], "fc_vjp_r": [W, g, k, m],
            "fc_vjp_W": [g, r, l_, k], "fc_vjp_b": [g, l_], "softmax": [f, i, m], "softmax_vjp": [f, g, l_, m],
            "loss": [y, q, m], "dloss": [y, q, l_]}
    return {**exprs, "args": args, "z": z, "symbols": {"m": m, "n": n}}


_EXACT = [{"exp": np.frompyfunc(sp.exp, 1, 1), "log": np.frompyfunc(sp.log, 1, 1),
           "Heaviside": lambda v, h0: sp.Heaviside(v, h0), "Max": lambda *v: sp.Max(*v)}]


_FLOAT = {"Heaviside": lambda v, h0: np.heaviside(v, h0)}       # and NumPy's own functions


_RULES: dict[tuple[str, bool | str], Callable[..., Any]] = {}


@functools.lru_cache(maxsize=1)       # the same objects each time: see _rule_sources
def _mpf_functions() -> list[dict[str, Any]]:
    import mpmath
    return [{"exp": np.frompyfunc(mpmath.exp, 1, 1), "log": np.frompyfunc(mpmath.log, 1, 1)}]


def rule(name: str, exact: bool | str) -> Callable[..., Any]:
    """The layer definition or derived rule ``name`` as a function over NumPy arrays (index arguments are
    index arrays): exact on object arrays of SymPy numbers, float64, or (``exact="mpf"``) on object arrays
    of mpmath numbers at the caller's working precision."""
    if (name, exact) not in _RULES:
        source = _rule_sources().get((name, exact))
        _RULES[name, exact] = _compiled(source, exact) if source else _lambdified(name, exact)
    return _RULES[name, exact]


def _lambdified(name: str, exact: bool | str) -> Callable[..., Any]:
    d = layer_definitions()
    if exact == "mpf":
        return sp.lambdify(d["args"][name], d[name], _mpf_functions())
    if exact:
        return sp.lambdify(d["args"][name], d[name], _EXACT)
    return numpy_function(d["args"][name], d[name], _FLOAT)


def _namespace(exact: bool | str) -> dict[str, Any]:
    """What lambdify's code for the exact, float64 or mpf rules refers to (checked name by name when the
    code is stored: :func:`_rule_sources`)."""
    import builtins
    if exact == "mpf":
        return {"builtins": builtins, **_mpf_functions()[0]}
    if exact:
        return {"builtins": builtins, **_EXACT[0]}
    return {"builtins": builtins, "exp": np.exp, "log": np.log, "maximum": np.maximum,
            "reduce": functools.reduce, **_FLOAT}


def _compiled(source: str, exact: bool | str) -> Callable[..., Any]:
    # The code lambdify wrote for this rule in an earlier run, read back from the cache only after its
    # hash checks (symconv.derivation.store; this file's source among them): symconv's own text, never input.
    namespace = _namespace(exact)
    exec(compile(source, "<layer rule>", "exec"), namespace)      # noqa: S102
    return namespace["_lambdifygenerated"]


def _names(code: Any) -> set[str]:
    """Every global name a function's code reads, its generator expressions' included."""
    names = set(code.co_names)
    for const in code.co_consts:
        if hasattr(const, "co_names"):
            names |= _names(const)
    return names


_SOURCES: dict[tuple[str, bool | str], str] = {}


def _rule_sources() -> dict[tuple[str, bool | str], str]:
    """lambdify's code for every rule (exact, float64, mpf), kept on disk (lambdify and the SymPy expressions
    it reads, unpickled, cost ~0.1 s of a run). A rule's code is kept only when every name it reads is the
    same object in :func:`_namespace` as in lambdify's own, so the two functions are the same function."""
    if _SOURCES:
        return _SOURCES
    here = (Path(__file__).resolve(),)
    stored = store.load("homework-rules", here, dict)
    if stored is None:
        import builtins
        import inspect
        stored = {}
        for name in layer_definitions()["args"]:
            for exact in (True, False, "mpf"):
                f = _lambdified(name, exact)
                ours = _namespace(exact)
                if all(ours.get(k, getattr(builtins, k, None)) is f.__globals__.get(k, getattr(builtins, k, None))
                       for k in _names(f.__code__)):
                    stored[name, exact] = inspect.getsource(f)
        store.save("homework-rules", stored, here)
    _SOURCES.update(stored)
    return _SOURCES


def _softmax_parts(fc1: np.ndarray, t: int) -> tuple[np.ndarray, ...]:
    """p, L, dL/dp and dL/dfc1 from the same rules, in float64's precision (53-bit mpmath numbers) but not its
    exponent range: with spread logits p_t underflows to 0 in float64, dL/dp_t = -1/p_t overflows, and the
    softmax's derivative then multiplies 0 by -inf (NaN). Evaluated at fc1 - max fc1 (softmax is
    shift-invariant), L as a log-sum-exp; every value is rounded to float64 at the end."""
    import mpmath
    m = len(fc1)
    with mpmath.workprec(53):
        c = max(fc1)
        shifted = np.array([mpmath.mpf(float(v)) - mpmath.mpf(float(c)) for v in fc1], dtype=object)
        y = np.array([mpmath.mpf(1 if i == t else 0) for i in range(m)], dtype=object)
        p = rule("softmax", "mpf")(shifted, np.arange(m), m)
        L = mpmath.log(mpmath.fsum(mpmath.exp(v) for v in shifted)) - shifted[t]
        dL_dp = rule("dloss", "mpf")(y, p, np.arange(m))
        dL_dfc1 = rule("softmax_vjp", "mpf")(shifted, dL_dp, np.arange(m), m)
    as_float = lambda a: np.array([_mpf_to_float(v) for v in a], dtype=float)  # noqa: E731
    return as_float(p), np.asarray(_mpf_to_float(L)), as_float(dL_dp), as_float(dL_dfc1)


def _mpf_to_float(v: Any) -> float:
    """An mpmath number rounded to float64: an infinity beyond its range, 0 below it (never an error)."""
    try:
        return float(v)
    except OverflowError:
        return math.inf if v > 0 else -math.inf


STEP = 1e-6   # how far each central difference moves fc1 (softmax's curvature is on the scale of 1)


def _difference_in_p(fc1: np.ndarray, t: int) -> np.ndarray:
    """Central differences of L = -log p_t in each p_j, at p computed from fc1 by a log-sum-exp in 53-bit
    mpmath numbers (p_t can be below float64's range: dL/dp_t = -1/p_t is then beyond it), each step a
    ten-thousandth of p_j so that p - step stays a probability."""
    import mpmath
    with mpmath.workprec(53):
        f = [mpmath.mpf(float(v)) for v in fc1]
        c = max(f)
        lse = mpmath.log(mpmath.fsum(mpmath.exp(v - c) for v in f))
        p = [mpmath.exp(v - c - lse) for v in f]
        out = []
        for j in range(len(p)):
            step = p[j] / 10000
            up, down = list(p), list(p)
            up[j], down[j] = p[j] + step, p[j] - step
            out.append(_mpf_to_float((-mpmath.log(up[t]) + mpmath.log(down[t])) / (2 * step)))
    return np.array(out)
