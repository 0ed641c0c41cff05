"""Problem 2 solved exactly: conv -> ReLU -> fully connected -> softmax -> cross-entropy, and back.

Each layer is written once as a SymPy definition of its *generic entry* (``sympy.IndexedBase``, ``Sum``); its
local derivative is SymPy's derivative of that definition, and the backward step is SymPy's sum of that
derivative against the incoming gradient, the Kronecker deltas summed out (a vector-Jacobian product)::

    fc_i  = sum_j W[i, j] r[j] + b[i]       sum_i g_i dfc_i/dr_k    = sum_i W[i, k] g[i]
                                            sum_i g_i dfc_i/dW_lk   = g[l] r[k]
    p_i   = e^f_i / sum_j e^f_j             sum_i g_i dp_i/df_l     = e^f_l g_l / S - e^f_l sum_i e^f_i g_i / S^2
    L     = -sum_i y_i log q_i              dL/dq_l                 = -y[l] / q[l]
    relu  = max(z, 0)                       relu'                   = Heaviside(z, 0)

Each derived rule is then evaluated over every entry at once (``lambdify`` on NumPy index arrays): exactly on
object arrays, in float64 on float arrays; lambdify's code is kept in the cache, so a warm run neither
unpickles the SymPy definitions nor calls lambdify. No Jacobian matrix is built, so the cost is linear in the number of
entries (times the number of classes). The convolution's gradients come from the closed forms of
:func:`symconv.derive`. Nothing else computes a gradient.

Exact numbers. Every gradient after the softmax is linear in ``dL/dfc1``, whose entries are ``N_i / S`` with
``N_i`` linear in the basis ``(1, E_j ...)`` (``E_j = exp(fc1_j - max fc1)``, ``S = sum_j E_j``; just the
rational ``dL/dfc1`` when every ``fc1_j`` is the same). So those gradients are carried as integer coefficient
arrays over that basis with one common denominator (rationals scaled to integers, which NumPy multiplies
quickly and exactly), and every entry is written as one reduced fraction at the end.

Every part is then recomputed in float64 from the same rules (the closed forms' NumPy evaluator for the
convolution) and every gradient is checked by central finite differences of L through a plain float forward.
Both checks are relative: a part passes when ``max |Δ| <= tolerance * M``, M its magnitude (:func:`magnitudes`)
rounded up to a power of ten, so that a correct solution passes at any scale and a wrong formula fails.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Callable

import numpy as np
import sympy as sp

from ..derivation.forms import Derivation
from ..proof.stored import derive
from .inputs import Homework
# the machinery shared with networks of layers (.rules), importable from here as before
from .rules import (  # noqa: F401
    Check, Checked, STEP, TOLERANCES, _DEFINITIONS, _EXACT, _FLOAT, _RULES, _SOURCES, _cancel, _compiled,
    _difference_in_p, _exponentials, _float_of, _in_range, _lambdified, _layer_definitions, _mpf_functions,
    _mpf_to_float, _names, _namespace, _rule_sources, _softmax_parts, _to_float, _vjp, abs_difference,
    any_digits, layer_definitions, power_of_ten_above, rule)
from ..derivation.numeric import central_difference, conv
from ..derivation.spec import ConvSpec
from ..derivation.exprs import as_expr


# The parts computed after the softmax: an absolute error d in fc1 is a relative error of about d in each of
# them, so their magnitude is multiplied by fc1's (see magnitudes()).
AFTER_SOFTMAX = ("p", "L", "dL_dp", "dL_dfc1", "dL_drelu1", "dL_dconv1", "dL_dW", "dL_dh", "dL_dx",
                 "dL_dconv_bias", "dL_dfc_bias")

PARTS = ("conv1", "relu1", "fc1", "p", "L", "dL_dp", "dL_dfc1", "dL_drelu1", "dL_dconv1", "dL_dW", "dL_dh",
         "dL_dx")


LCM_BITS = 4096   # above this, rationals are not scaled to integers (the integers would be too long to help)


@dataclass(frozen=True)
class Basis:
    """The softmax's exponentials: every gradient after it is ``(sum_b c_b B_b) / S`` over ``B = (1, E_j ...)``,
    with ``S = sum_b s_b B_b``; ``B = (1,)``, ``S = 1`` when every fc1 entry is the same (all E_j = 1)."""

    symbols: tuple[Any, ...]      # (1, E_2, ...): the E_j of the entries below max fc1
    values: tuple[Any, ...]       # (1, exp(fc1_2 - max fc1), ...)
    s: tuple[int, ...]            # S's coefficients (the first counts the entries at the max)

    @property
    def trivial(self) -> bool:
        return len(self.symbols) == 1

    def scaled(self) -> tuple[int, ...]:
        """Each basis value times 2^256, rounded (for floats of exact values without SymPy's evalf)."""
        import mpmath
        with mpmath.workdps(100):
            return tuple(int(mpmath.nint(mpmath.exp(mpmath.mpf(as_expr(v).args[0].p) / as_expr(v).args[0].q)
                                         * mpmath.mpf(2) ** 256)) if k else 2 ** 256
                         for k, v in enumerate(self.values))


@dataclass(frozen=True)
class Linear:
    """A part's entries as ``(sum_b coef[..., b] B_b) / (den S)`` over the softmax basis (:class:`Basis`)."""

    coef: np.ndarray     # shape (*part, len(basis)): Python ints (exact rationals when their lcm is huge)
    den: int

    def entries(self, terms: tuple[Any, ...], s: tuple[int, ...], index: Any = ..., total: Any = None
                ) -> np.ndarray:
        """The entries (or those at ``index``) as SymPy values, each one reduced fraction; ``terms`` are the
        basis written as symbols (E_j) or as exponentials; ``total`` writes S as that symbol."""
        coef = self.coef[index] if index is not ... else self.coef
        totals: dict[int, Any] = {}
        S = sp.Add(*(k * t for k, t in zip(s, terms))) if total is None else total
        out = np.empty(coef.shape[:-1], dtype=object)
        for idx in np.ndindex(*out.shape):
            out[idx] = _one_fraction(list(coef[idx]), self.den, terms, s, S, totals)
        return out


    def texts(self, terms: tuple[str, ...], s: tuple[int, ...]) -> np.ndarray:
        """The same reduced fractions as :meth:`entries`, written as text without building them in SymPy
        (``terms``: the basis as text, e.g. ``exp(-519/1000)``); each reads back (``sympify``) as its entry.
        SymPy's printer orders every sum's terms, milliseconds an entry: a minute for a 2x32x32 input."""
        totals: dict[int, str] = {}
        out = np.empty(self.coef.shape[:-1], dtype=object)
        for idx in np.ndindex(*out.shape):
            value = _reduced(list(self.coef[idx]), self.den, s)
            if isinstance(value, Fraction):
                out[idx] = str(value)
                continue
            num, d = value
            if d not in totals:
                totals[d] = _sum_text([d * k for k in s], terms)
            out[idx] = f"({_sum_text(num, terms)})/({totals[d]})"
        return out


def _sum_text(coef: list[int], terms: tuple[str, ...]) -> str:
    """``sum_b coef_b term_b`` as text (the term ``1`` written as its coefficient alone)."""
    parts = []
    for v, t in zip(coef, terms):
        if v:
            body = str(abs(v)) if t == "1" else t if abs(v) == 1 else f"{abs(v)}*{t}"
            parts.append(("- " if v < 0 else "+ ") + body)
    text = " ".join(parts)
    return text[2:] if text.startswith("+ ") else "-" + text[2:]


def _reduced(c: list[Any], den: int, s: tuple[int, ...]) -> Fraction | tuple[list[int], int]:
    """(sum_b c_b B_b) / (den S) reduced: a rational when it is one, else (integer numerator coefficients, d)
    for (sum_b num_b B_b) / (d S). S is linear and irreducible, so only a numerator proportional to S
    cancels with it."""
    if any(not isinstance(v, int) for v in c) or not isinstance(den, int):
        q = [sp.Rational(v) for v in c] + [sp.Rational(den)]
        scale = math.lcm(*(v.q for v in q))
        c, den = [int(v * scale) for v in c], int(q[-1] * scale)
    if not any(c):
        return Fraction(0)
    if len(s) == 1 or all(a * s[0] == c[0] * b for a, b in zip(c, s)):
        return Fraction(c[0], den * s[0])                 # a multiple of S (or no E_j at all): a rational
    g = math.gcd(den, *c)
    return [v // g for v in c], den // g


def _one_fraction(c: list[Any], den: int, terms: tuple[Any, ...], s: tuple[int, ...], S: Any,
                  totals: dict[int, Any]) -> Any:
    """(sum_b c_b B_b) / (den S) as SymPy writes the reduced fraction (what sp.cancel gives, without its cost)."""
    value = _reduced(c, den, s)
    if isinstance(value, Fraction):
        return sp.Rational(value.numerator, value.denominator)
    num, d = value
    if d not in totals:
        totals[d] = d * S                                  # SymPy distributes an integer over S's terms
    return sp.Add(*(v * t for v, t in zip(num, terms) if v)) / totals[d]


@dataclass
class Solution(Checked):
    homework: Homework
    derivation: Derivation                # of problem 2's convolution
    exact: dict[str, np.ndarray]          # object arrays of SymPy numbers, each in its tensor's own shape
    approx: dict[str, np.ndarray]         # the float64 recomputation
    finite_difference: dict[str, np.ndarray]
    relu_ties: list[tuple[int, ...]]      # conv1 entries exactly 0 (ReLU's derivative taken as 0 there)
    local: dict[str, Any] = field(default_factory=dict)   # the SymPy definitions and derivatives shown
    basis: Basis = field(default_factory=lambda: Basis((sp.Integer(1),), (sp.Integer(1),), (1,)))
    linear: dict[str, Linear] = field(default_factory=dict)   # the gradients after the softmax, as coefficients
    sensitivity: dict[str, np.ndarray] = field(default_factory=dict)   # see magnitudes()
    # conv1 entries that are not 0 but whose float64 value is within conv1's own error bound of 0 (10^39-sized
    # terms cancelling to 2): float64 cannot tell ReLU's side there, so its recomputation of the parts after
    # ReLU takes ReLU's exact mask at them (as the finite differences leave out near ties)
    relu_from_exact: list[tuple[int, ...]] = field(default_factory=list)
    _floats: dict[str, np.ndarray] = field(default_factory=dict, repr=False)
    _in_E: dict[str, np.ndarray] = field(default_factory=dict, repr=False)

    def floats(self, name: str) -> np.ndarray:
        """The exact values of part ``name`` rounded to float64 (correctly rounded for rationals; from
        256-bit values of the E_j for the gradients after the softmax; never SymPy's evalf per entry)."""
        if name not in self._floats:
            lin = self.linear.get(name)
            self._floats[name] = _to_float(self.exact[name]) if lin is None else self.floats_of(lin)
        return self._floats[name]

    def floats_of(self, lin: Linear) -> np.ndarray:
        """The entries of ``lin`` (over this solution's basis) rounded to float64, as :meth:`floats` does."""
        B = np.array(self.basis.scaled(), dtype=object)
        total = lin.den * int(np.dot(np.array(self.basis.s, dtype=object), B))
        num = lin.coef.dot(B) if lin.coef.size else np.zeros(lin.coef.shape[:-1], dtype=object)
        return np.vectorize(lambda v: float(v / total), otypes=[float])(num) if num.size else np.zeros(num.shape)

    def texts(self, name: str) -> np.ndarray:
        """The exact entries of part ``name`` as text (``str`` of each; the gradients after the softmax
        written from their coefficients, see :meth:`Linear.texts`)."""
        lin = self.linear.get(name)
        if lin is None:
            return np.vectorize(str, otypes=[object])(self.exact[name])
        return lin.texts(tuple(str(v) for v in self.basis.values), self.basis.s)

    def involves_E(self, name: str) -> bool:
        """Whether part ``name`` is written in terms of the softmax's E_j (and S)."""
        return not self.basis.trivial and name in self.local.get("in_E", {}) | self.linear

    def in_E(self, name: str, index: Any = ..., total: Any = None) -> np.ndarray:
        """Part ``name`` (or its entries at ``index``, a NumPy index) as rational functions of the E_j, before
        the exponentials go back in; built on demand, so a report writes only the entries it shows. With
        ``total`` (a symbol), a gradient after the softmax is written over that symbol for S."""
        if name in self.linear:
            if index is not ... or total is not None:
                return self.linear[name].entries(self.basis.symbols, self.basis.s, index, total)
            if name not in self._in_E:
                self._in_E[name] = self.linear[name].entries(self.basis.symbols, self.basis.s)
            return self._in_E[name]
        a = np.asarray(self.local["in_E"][name], dtype=object)
        return a if index is ... else np.asarray(a[index], dtype=object)

    def max_error(self, name: str, against: str) -> float | None:
        """The largest |exact - float| of a part against the float64 recomputation or finite differences
        (None when that check does not apply); NaN when the other side has a NaN, and 0 where both are the
        same infinity (a value beyond float64's range). Entries whose difference quotient crosses a ReLU tie
        (or a conv1 entry within one step of 0, :meth:`near_ties`) are left out: at a kink it is one-sided
        and differs from the derivative taken as 0 there; so are ties in the float64 check when float
        rounding moved a tie off 0."""
        diff = self.differences(name, against)
        if diff is None:
            return None
        if np.isnan(diff).any():
            return math.nan
        # float64 rounding can put a tie a few ulps off 0, on either side of the kink: those entries are left
        # out of the float64 check too (only then: a tie the float pass hits exactly compares as usual).
        off_kink = any(self.approx["conv1"][t] != 0 for t in self.relu_ties)
        if self.relu_ties and (against == "finite-difference" or off_kink):
            diff[self._moves_a_tie(name).reshape(-1)] = 0.0
        near = self.near_ties()
        if against == "finite-difference" and near:
            diff[self._moves_a_tie(name, near).reshape(-1)] = 0.0
        return float(diff.max()) if diff.size else 0.0

    def magnitude(self, name: str) -> float:
        """M of part ``name``: max(1, its largest sensitivity entry), times fc1's magnitude after the softmax
        (p: fc1's; L and dL/dp: also their own largest |value|), rounded up to a power of ten."""
        kappa = max(1.0, float(np.max(self.sensitivity["fc1"])))
        if name in ("p", "L", "dL_dp"):
            own = 1.0 if name == "p" else float(np.max(np.abs(self.floats(name)), initial=1.0))
            return power_of_ten_above(kappa * own)
        m = max(1.0, float(np.max(self.sensitivity[name], initial=1.0)))
        return power_of_ten_above(m * kappa if name in AFTER_SOFTMAX else m)

    def near_ties(self) -> list[tuple[int, ...]]:
        """conv1 entries that are not 0 but that one finite-difference step can move across ReLU's kink: a
        step moves conv1 by at most STEP times max(1, max |x|, max |h|) (see _steps); the difference
        quotients through them are one-sided, as at a tie, and are left out the same way."""
        hw = self.homework
        reach = STEP * max(1.0, float(np.max(np.abs(_to_float(hw.x)))), float(np.max(np.abs(_to_float(hw.h)))))
        c = self.approx["conv1"]
        return [tuple(int(i) for i in idx) for idx in np.ndindex(*c.shape)
                if self.exact["conv1"][idx] != 0 and abs(c[idx]) <= reach]

    def _moves_a_tie(self, name: str, ties_at: list[tuple[int, ...]] | None = None) -> np.ndarray:
        """The entries of part ``name`` whose perturbation moves a conv1 entry that is exactly 0.

        conv1 is linear in each of x, h, b separately and a unit change of one entry reaches each conv1 entry
        through at most one product, so it moves a tie exactly when the backward pass of the tie indicator
        through |h| (or |x|, or the bias) is non-zero there: one backward pass instead of one per entry."""
        shape = self.exact[name].shape
        ties = np.zeros((1,) + self.exact["conv1"].shape)
        ties[(0,) + tuple(np.array(self.relu_ties if ties_at is None else ties_at).T)] = 1.0
        if name == "dL_dconv1":
            return ties[0] > 0
        if name not in ("dL_dx", "dL_dh", "dL_dconv_bias"):
            return np.zeros(shape, dtype=bool)
        hw = self.homework
        grads = self.derivation.evaluate(np.abs(_to_float(hw.x))[None], np.abs(_to_float(hw.h)), ties)
        key = {"dL_dx": "grad_input", "dL_dh": "grad_weight", "dL_dconv_bias": "grad_bias"}[name]
        moved = grads[key][0] if name == "dL_dx" else grads[key]
        return moved > 0

    def __repr__(self) -> str:
        parts = ", ".join(f"{n} {'x'.join(map(str, v.shape)) or 'scalar'}" for n, v in self.exact.items())
        text = f"<Solution of {self.homework.title!r}: L = {float(sp.N(self.exact['L'][()], 30)):.6g}; {parts}>"
        return text if len(text) <= 300 else text[:298] + "…>"

    def _repr_markdown_(self) -> str:
        """In Jupyter: one row per part, its exact value (a row matrix of the first entries, then its shape)
        and its checks."""
        rows = ["| part | exact | float64 check | finite differences |", "|---|---|---|---|"]
        for name, value in self.exact.items():
            flat = np.asarray(value, dtype=object).reshape(-1)
            with any_digits():      # a notebook shows every digit (the report shortens them)
                near = self.floats(name).reshape(-1)
                # an entry too long to read in a cell is shown by its value (the exact one is in the report)
                texts = [t if len(t) <= 60 else rf"\approx {f:.6g}" for t, f in
                         ((sp.latex(v), f) for v, f in zip(flat[:4], near[:4]))]
                first = " & ".join(texts) + (r" & \cdots" if flat.size > 4 else "")
                shape = r"\times".join(map(str, np.shape(value)))
                shown = (texts[0] if not np.ndim(value) else
                         rf"\begin{{bmatrix}} {first} \end{{bmatrix}}\ ({shape})")
            fd = self.max_error(name, "finite-difference")
            rows.append(f"| `{name}` | ${shown}$ | {self.max_error(name, 'float64'):.1e} | "
                        f"{'-' if fd is None else f'{fd:.1e}'} |")
        return "\n".join(rows)


def _ints(a: Any) -> tuple[np.ndarray, int]:
    """``a = A / d``: A integers (Python ints, which NumPy multiplies exactly and quickly), d the lcm of the
    denominators of ``a``; ``a`` itself and d = 1 when that lcm would be longer than :data:`LCM_BITS`."""
    a = np.asarray(a, dtype=object)
    q = [sp.Rational(v) for v in a.reshape(-1)]
    d = 1
    for v in q:
        d = math.lcm(d, int(v.q))
        if d.bit_length() > LCM_BITS:
            return a, 1
    return np.array([int(v.p) * (d // int(v.q)) for v in q] or [], dtype=object).reshape(a.shape), d


def _elementwise(name: str, exact: bool) -> Callable[[np.ndarray], np.ndarray]:
    f = rule(name, exact)
    return np.frompyfunc(f, 1, 1) if exact else np.vectorize(f, otypes=[float])


def _columns(f: Callable[[np.ndarray], np.ndarray], G: np.ndarray) -> np.ndarray:
    """f applied to each basis column of G (f is linear), the results stacked on a last axis."""
    return np.stack([np.asarray(f(G[..., b]), dtype=object) for b in range(G.shape[-1])], axis=-1)


def _exact_conv(x: np.ndarray, h: np.ndarray, spec: ConvSpec, bias: np.ndarray | None) -> np.ndarray:
    """The forward convolution, exactly, on integers (conv is bilinear in x and h)."""
    X, dx = _ints(x)
    H, dh = _ints(h)
    out = conv(X, H, spec) if bias is None else conv(X, H, spec, np.array(
        [sp.Rational(v) * dx * dh for v in bias], dtype=object))
    return np.vectorize(lambda v: sp.Rational(v, dx * dh), otypes=[object])(out)


def _softmax_basis(dL_dfc1: np.ndarray, back: dict[sp.Symbol, Any], fc1: np.ndarray) -> tuple[Basis, np.ndarray]:
    """dL/dfc1 as N / S, N's rows the coefficients over the basis (1, E_j ...)."""
    if not back:
        return Basis((sp.Integer(1),), (sp.Integer(1),), (1,)), np.asarray(dL_dfc1, dtype=object)[:, None]
    Es = sorted(back, key=lambda e: int(str(e)[1:]))
    at_max = sum(1 for v in fc1 if v == max(fc1))
    basis = Basis((sp.Integer(1), *Es), (sp.Integer(1), *(back[e] for e in Es)), (at_max,) + (1,) * len(Es))
    S = at_max + sp.Add(*Es)
    N = np.empty((len(dL_dfc1), len(basis.symbols)), dtype=object)
    for row, v in enumerate(dL_dfc1):
        num, den = sp.fraction(sp.cancel(as_expr(v) * S))
        poly = sp.Poly(num, *Es)
        assert den.is_Rational and poly.total_degree() <= 1, f"dL/dfc1 entry {v} is not linear over S"
        N[row] = [poly.coeff_monomial(1) / den] + [poly.coeff_monomial(e) / den for e in Es]
    return basis, N


def relu_mask(conv1: np.ndarray) -> np.ndarray:
    """ReLU's derivative at each entry of conv1 (0 or 1; 0 at a tie, as PyTorch takes it), as Python ints."""
    return np.vectorize(lambda v: int(_elementwise("drelu", True)(v)), otypes=[object])(conv1)


def fc_backward(hw: Homework, r: np.ndarray, G: np.ndarray, dG: int, shape: tuple[int, ...]) -> dict[str, Linear]:
    """The fully connected layer's backward step from dL/dfc1 = (G / dG) . B / S (:class:`Basis`), with ``r``
    its input (relu1 flattened): dL/drelu1 (in ``shape``), dL/dW and, with a bias, dL/dfc_bias."""
    m, n = hw.fc_weight.shape
    Wi, dW = _ints(hw.fc_weight)
    Ri, dR = _ints(r)
    out = {"dL_drelu1": Linear(_columns(lambda g: rule("fc_vjp_r", True)(Wi, g, np.arange(n), m), G)
                               .reshape(tuple(shape) + (G.shape[1],)), dW * dG),
           "dL_dW": Linear(_columns(lambda g: rule("fc_vjp_W", True)(g, Ri, np.arange(m)[:, None],
                                                                     np.arange(n)[None, :]), G), dG * dR)}
    if hw.fc_bias is not None:
        out["dL_dfc_bias"] = Linear(_columns(lambda g: rule("fc_vjp_b", True)(g, np.arange(m)), G), dG)
    return out


def conv_backward(hw: Homework, derivation: Derivation, dconv1: Linear) -> dict[str, Linear]:
    """The convolution's backward step from dL/dconv1, by the closed forms of :func:`symconv.derive` applied to
    each basis column: dL/dh, dL/dx and, with a bias, dL/dconv_bias."""
    C, dC = dconv1.coef, dconv1.den
    X, dX = _ints(hw.x[None])
    H, dH = _ints(hw.h)
    per_column = [derivation.evaluate(X, H, C[None, ..., b]) for b in range(C.shape[-1])]
    stack = lambda key, at: np.stack([np.asarray(g[key], dtype=object)[at] for g in per_column], -1)  # noqa: E731
    out = {"dL_dh": Linear(stack("grad_weight", ...), dX * dC), "dL_dx": Linear(stack("grad_input", 0), dH * dC)}
    if hw.conv_bias is not None:
        out["dL_dconv_bias"] = Linear(stack("grad_bias", ...), dC)
    return out


def solve(hw: Homework) -> Solution:
    """The exact solution of a homework: the seed's network (conv -> ReLU -> fully connected -> softmax ->
    cross-entropy), or a network of layers (:mod:`.network`), whose solution has the same interface."""
    if not isinstance(hw, Homework):
        from .network import solve_network
        return solve_network(hw)       # type: ignore[return-value]
    spec = hw.spec
    m, n = hw.fc_weight.shape
    derivation = derive(spec)
    x4 = hw.x[None]
    conv1 = _exact_conv(x4, hw.h, spec, hw.conv_bias)[0]
    relu1 = _elementwise("relu", True)(conv1).astype(object)
    r = relu1.reshape(-1)
    fc_bias = hw.fc_bias if hw.fc_bias is not None else np.full(m, sp.Integer(0), dtype=object)
    fc1 = np.asarray(rule("fc", True)(hw.fc_weight, r, fc_bias, np.arange(m), n), dtype=object)
    shifted, back = _exponentials(fc1)
    f = np.array([shifted[j] for j in range(m)], dtype=object)
    p = _cancel(rule("softmax", True)(f, np.arange(m), m))
    y = np.array([1 if i + 1 == hw.target else 0 for i in range(m)], dtype=object)
    L = rule("loss", True)(y, p, m)
    # Backward: each step is the layer's derived rule (SymPy's derivative, summed against the gradient).
    dL_dp = _cancel(rule("dloss", True)(y, p, np.arange(m)))
    dL_dfc1 = _cancel(rule("softmax_vjp", True)(f, dL_dp, np.arange(m), m))
    basis, N = _softmax_basis(dL_dfc1, back, fc1)
    G, dG = _ints(N)
    linear = fc_backward(hw, r, G, dG, relu1.shape)
    linear["dL_dconv1"] = Linear(linear["dL_drelu1"].coef * relu_mask(conv1)[..., None], linear["dL_drelu1"].den)
    linear.update(conv_backward(hw, derivation, linear["dL_dconv1"]))
    exact = {"conv1": conv1, "relu1": relu1, "fc1": fc1, "p": p, "L": np.array(L, dtype=object),
             "dL_dp": dL_dp, "dL_dfc1": dL_dfc1}
    local = {"y": [int(v) for v in y]}
    if back:
        # For display: the softmax-sized parts in terms of the E_j, before the exponentials go back in.
        local["E"], local["in_E"] = back, dict(exact)
        to_exp = np.vectorize(lambda v: as_expr(v).xreplace(back), otypes=[object])
        exact = {k: to_exp(v) for k, v in exact.items()}
        exact["L"] = np.array(sp.expand_log(exact["L"][()], force=True), dtype=object)
    for name in ("dL_drelu1", "dL_dconv1", "dL_dW", "dL_dh", "dL_dx", "dL_dconv_bias", "dL_dfc_bias"):
        if name in linear:
            exact[name] = linear[name].entries(basis.values, basis.s)
    ties = [tuple(int(i) for i in idx) for idx in np.ndindex(*conv1.shape) if conv1[idx] == 0]
    sens = magnitudes(hw, derivation)
    # conv1's float64 bound, as its check states it (TOLERANCES × M, M from conv1's sensitivity)
    bound = TOLERANCES["float64"] * power_of_ten_above(max(1.0, float(np.max(sens["conv1"], initial=1.0))))
    undecided = _undecided_relu(hw, conv1, bound)      # ReLU's side there from conv1's exact sign, not from
    approx = float_recompute(hw, derivation, {t: int(bool(conv1[t] > 0)) for t in undecided})   # relu_mask
    fd = finite_differences(hw, approx, sens)
    return Solution(hw, derivation, exact, approx, fd, ties, local, basis, linear, sens, undecided)


def _undecided_relu(hw: Homework, conv1: np.ndarray, bound: float) -> list[tuple[int, ...]]:
    """conv1 entries that are not 0 whose float64 value lies within ``bound`` (conv1's own error bound) of 0:
    there float64 cannot decide ReLU's side."""
    cb = None if hw.conv_bias is None else _to_float(hw.conv_bias)
    c = conv(_to_float(hw.x)[None], _to_float(hw.h), hw.spec, cb)[0]
    return [tuple(int(i) for i in idx) for idx in np.ndindex(*c.shape)
            if conv1[idx] != 0 and not abs(c[idx]) > bound]


def float_recompute(hw: Homework, derivation: Derivation, mask_at: dict[tuple[int, ...], int] | None = None
                    ) -> dict[str, np.ndarray]:
    """Every part again in float64, from the same rules (lambdified for NumPy) and the closed forms (NumPy).
    ``mask_at`` gives ReLU's side (1 or 0) at the conv1 entries float64 cannot decide (see solve())."""
    m, n = hw.fc_weight.shape
    t = hw.target - 1
    x4, h = _to_float(hw.x)[None], _to_float(hw.h)
    W = _to_float(hw.fc_weight)
    b = np.zeros(m) if hw.fc_bias is None else _to_float(hw.fc_bias)
    cb = None if hw.conv_bias is None else _to_float(hw.conv_bias)
    y = np.array([1.0 if i == t else 0.0 for i in range(m)])
    conv1 = conv(x4, h, hw.spec, cb)[0]
    relu1 = _elementwise("relu", False)(conv1)
    drelu = np.asarray(_elementwise("drelu", False)(conv1), dtype=float)
    for at, side in (mask_at or {}).items():
        relu1[at], drelu[at] = (conv1[at] if side else 0.0), float(side)
    r = relu1.reshape(-1)
    fc1 = np.asarray(rule("fc", False)(W, r, b, np.arange(m), n), dtype=float)
    p, L, dL_dp, dL_dfc1 = _softmax_parts(fc1, t)
    dL_drelu1 = np.asarray(rule("fc_vjp_r", False)(W, dL_dfc1, np.arange(n), m), dtype=float).reshape(relu1.shape)
    dL_dconv1 = drelu * dL_drelu1
    dL_dW = np.asarray(rule("fc_vjp_W", False)(dL_dfc1, r, np.arange(m)[:, None], np.arange(n)[None, :]),
                       dtype=float)
    grads = derivation.evaluate(x4, h, dL_dconv1[None])
    out = {"conv1": conv1, "relu1": relu1, "fc1": fc1, "p": p, "L": L, "dL_dp": dL_dp, "dL_dfc1": dL_dfc1,
           "dL_drelu1": dL_drelu1, "dL_dconv1": dL_dconv1, "dL_dW": dL_dW, "dL_dh": grads["grad_weight"],
           "dL_dx": grads["grad_input"][0]}
    if cb is not None:
        out["dL_dconv_bias"] = grads["grad_bias"]
    if hw.fc_bias is not None:
        out["dL_dfc_bias"] = np.asarray(rule("fc_vjp_b", False)(dL_dfc1, np.arange(m)), dtype=float)
    return out


def _logsumexp(f: np.ndarray) -> float:
    c = f.max()
    return float(c + np.log(np.exp(f - c).sum()))


def _plain_forward(hw: Homework) -> dict[str, Callable[..., float]]:
    """L as a float function of each intermediate, by a plain forward pass (no derivative anywhere)."""
    m, _ = hw.fc_weight.shape
    t = hw.target - 1
    x0, h0, W0 = _to_float(hw.x)[None], _to_float(hw.h), _to_float(hw.fc_weight)
    b0 = np.zeros(m) if hw.fc_bias is None else _to_float(hw.fc_bias)
    cb0 = None if hw.conv_bias is None else _to_float(hw.conv_bias)
    relu0 = np.maximum(conv(x0, h0, hw.spec, cb0)[0], 0.0)

    def from_fc(f: np.ndarray) -> float:
        return _logsumexp(f) - float(f[t])      # -log softmax(f)_t, without forming a p_t that can underflow

    def from_relu(r: np.ndarray, W: np.ndarray = W0, b: np.ndarray = b0) -> float:
        return from_fc(W @ r.reshape(-1) + b)

    def from_conv(c: np.ndarray) -> float:
        return from_relu(np.maximum(c, 0.0))

    def from_params(x: np.ndarray = x0, h: np.ndarray = h0, cb: np.ndarray | None = cb0) -> float:
        return from_conv(conv(x, h, hw.spec, cb)[0])

    return {"fc": from_fc, "relu": from_relu, "conv": from_conv, "params": from_params,
            "W": lambda W: from_relu(relu0, W=W), "b": lambda b: from_relu(relu0, b=b)}


def magnitudes(hw: Homework, derivation: Derivation) -> dict[str, np.ndarray]:
    """Each part's *sensitivity*, entry by entry: the part recomputed with every input, weight and bias in
    absolute value and |dL/dfc1| taken as 1 (its bound: |p - y| <= 1). It bounds the part's |value| and the
    sum of |terms| that float64 adds up for it (a sum's rounding error is at most n eps times that), so a
    check relative to it holds however much the terms cancel; for fc1 it is also how far fc1 moves per unit
    of a variable, which sets the finite differences' steps. (M, the check's scale, is built from it in
    :meth:`Solution.magnitude`.)"""
    m, n = hw.fc_weight.shape
    ax, ah, aW = np.abs(_to_float(hw.x))[None], np.abs(_to_float(hw.h)), np.abs(_to_float(hw.fc_weight))
    acb = None if hw.conv_bias is None else np.abs(_to_float(hw.conv_bias))
    afb = np.zeros(m) if hw.fc_bias is None else np.abs(_to_float(hw.fc_bias))
    with np.errstate(over="ignore"):
        c = conv(ax, ah, hw.spec, acb)[0]
        r = (aW.T @ np.ones(m)).reshape(c.shape)
        grads = derivation.evaluate(ax, ah, r[None])
        out = {"conv1": c, "relu1": c, "fc1": aW @ c.reshape(-1) + afb, "dL_dfc1": np.ones(m),
               "dL_drelu1": r, "dL_dconv1": r, "dL_dW": np.outer(np.ones(m), c.reshape(-1)),
               "dL_dh": grads["grad_weight"], "dL_dx": grads["grad_input"][0]}
    if acb is not None:
        out["dL_dconv_bias"] = grads["grad_bias"]
    if hw.fc_bias is not None:
        out["dL_dfc_bias"] = np.ones(m)
    return out


def _steps(sensitivity: np.ndarray) -> np.ndarray:
    """One step per entry, chosen for its magnitude: STEP / max(1, how far fc1 moves per unit of it), so that
    every difference moves fc1 by about STEP (a fixed step overshoots the curvature when the weights are
    large, and rounding swamps it when they are small)."""
    return STEP / np.maximum(1.0, np.nan_to_num(np.asarray(sensitivity, dtype=float), posinf=1e300))


def finite_differences(hw: Homework, approx: dict[str, np.ndarray],
                       sensitivity: dict[str, np.ndarray] | None = None) -> dict[str, np.ndarray]:
    """Central differences of L with respect to every quantity a gradient is reported for, each step chosen
    for its entry's magnitude (:func:`_steps`; ``sensitivity`` from :func:`magnitudes`)."""
    f = _plain_forward(hw)
    sens = sensitivity or {}
    step = lambda name, like: _steps(sens.get(name, np.ones(np.shape(like))))  # noqa: E731
    out = {"dL_dp": _difference_in_p(approx["fc1"], hw.target - 1),
           "dL_dfc1": central_difference(f["fc"], approx["fc1"], STEP),
           "dL_drelu1": central_difference(f["relu"], approx["relu1"], step("dL_drelu1", approx["relu1"])),
           "dL_dconv1": central_difference(f["conv"], approx["conv1"], step("dL_dconv1", approx["conv1"])),
           "dL_dW": central_difference(f["W"], _to_float(hw.fc_weight), step("dL_dW", hw.fc_weight)),
           "dL_dh": central_difference(lambda h: f["params"](h=h), _to_float(hw.h), step("dL_dh", hw.h)),
           "dL_dx": central_difference(lambda x: f["params"](x=x[None]), _to_float(hw.x), step("dL_dx", hw.x))}
    if hw.conv_bias is not None:
        out["dL_dconv_bias"] = central_difference(lambda c: f["params"](cb=c), _to_float(hw.conv_bias),
                                                  step("dL_dconv_bias", hw.conv_bias))
    if hw.fc_bias is not None:
        out["dL_dfc_bias"] = central_difference(f["b"], _to_float(hw.fc_bias), STEP)
    return out


def problem1_spec(hw: Homework) -> ConvSpec:
    """Problem 1's setting: the file's ``[problem1]``, else the seed's (3x3 kernel, padding 1, stride 1)
    with problem 2's channel counts."""
    return hw.problem1 or ConvSpec(hw.spec.in_channels, hw.spec.out_channels, 3, padding=1)
