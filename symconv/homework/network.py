"""A homework network (:mod:`.layers`) solved exactly: every layer's output, every gradient, with the checks.

Each layer's rule is SymPy's derivative of its generic entry, as the seed's fully connected layer's is
(:func:`~symconv.homework.solution.layer_definitions`)::

    relu(z)   = max(z, 0)                       relu'(z)    = Heaviside(z, 0)        (0 at z = 0, as PyTorch)
    lrelu(z)  = z if z > 0 else a z             lrelu'(z)   = 1 if z > 0 else a      (a at z = 0, as PyTorch)
    sigmoid   = 1 / (1 + e^-z)                  sigmoid'    = e^-z / (1 + e^-z)^2
    tanh      = (e^z - e^-z) / (e^z + e^-z)     tanh'       = SymPy's derivative of that quotient
    avg_pool  = sum_k w_k / K                   d/dw_k      = 1 / K                  (K counts padding, as PyTorch)
    max_pool  = sum_k s_k w_k                   d/dw_k      = s_k                    (s: the first maximum)
    mse       = sum_i (o_i - t_i)^2 / n         dL/do_l     = 2 (o_l - t_l) / n      (n = 1 for reduction "sum")

the linear layer and softmax + cross-entropy use the seed's rules, and a convolution's gradients come from the
closed forms :func:`symconv.derive` derives at that layer's configuration. The pooling rules are applied through
each window's index map (which entry of the input the window's k-th entry is).

Exact values are SymPy numbers: rationals until a sigmoid, tanh or softmax brings exponentials in; an entry
holding ``exp(r)`` (r rational) is kept as one reduced fraction in ``t = exp(1/q)`` (q the lcm of the r's
denominators: ``t`` is transcendental, so the fraction is zero only when it is 0), which decides ties and zero
parts exactly. Then every part is recomputed in float64 from the same rules and every gradient is checked by
central differences of L, both relative to the part's magnitude, as :class:`~symconv.homework.solution.Solution`
does for the seed.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
import sympy as sp

from ..derivation.exprs import as_expr, numpy_function
from ..derivation.numeric import conv
from ..proof.stored import derive
from .degeneracy import find as find_degenerate
from .layers import Layer, Network, windows
from .rules import (_EXACT, STEP, TOLERANCES, Checked, _to_float, any_digits, power_of_ten_above,
                    rule)

MAX_EXPONENTIALS = 6   # an entry with more distinct exponentials is kept as SymPy's sum, not one fraction
MAX_DEGREE = 400     # an entry's exponentials are written over one base t = exp(1/q) only up to this degree


# ---------------------------------------------------------------------------------------------------------
# Exact numbers

def canon(v: Any) -> Any:
    """``v`` as one reduced fraction: a rational as it is; exponentials of rationals over one base."""
    v = as_expr(v)
    if v.is_Rational:
        return v
    atoms = v.atoms(sp.exp)
    if len(atoms) > MAX_EXPONENTIALS:
        return v       # exact as it stands: one fraction of it would be far longer (a sum of many tanh's)
    exps = [a for a in atoms if a.args[0].is_Rational] + ([sp.E] if v.has(sp.E) else [])
    if not exps:
        return sp.cancel(v)
    args = [sp.Integer(1) if a is sp.E else a.args[0] for a in exps]
    q = math.lcm(*(int(r.q) for r in args))
    if max(abs(int(r * q)) for r in args) > MAX_DEGREE:
        # each exponential its own generator (exact for sums of them: distinct exp(r) are linearly
        # independent, Lindemann-Weierstrass; SymPy merges products exp(a) exp(b) into exp(a + b) itself)
        names = {a: sp.Dummy("E", positive=True) for a in exps}
        out = sp.cancel(v.xreplace(names))
        return out.xreplace({d: a for a, d in names.items()})
    t = sp.Dummy("t", positive=True)
    out = sp.cancel(v.xreplace({a: t ** int(r * q) for a, r in zip(exps, args)}))
    return out.xreplace({t: sp.exp(sp.Rational(1, q))})


def _canon_all(a: np.ndarray) -> np.ndarray:
    a = np.asarray(a, dtype=object)
    with np.errstate(all="ignore"):
        return np.vectorize(canon, otypes=[object])(a) if a.size else a


def sign(v: Any) -> int:
    """The sign of an exact value (0 only when it is 0: :func:`canon` decides)."""
    v = as_expr(v)
    if v.is_Rational:
        return int(bool(v > 0)) - int(bool(v < 0))
    n = sp.N(v, 60)
    if n.is_Number and abs(n) > sp.Float("1e-40", 60):
        return 1 if n > 0 else -1
    v = canon(v)         # within 10^-40 of 0: decided exactly (0 only when it is 0)
    if v == 0 or (v.is_Rational and v == 0):
        return 0
    return 1 if sp.N(v, 200) > 0 else -1


def _greater(a: Any, b: Any) -> bool:
    return sign(as_expr(a) - as_expr(b)) > 0


# ---------------------------------------------------------------------------------------------------------
# The layers' generic entries and SymPy's derivatives of them

@functools.lru_cache(maxsize=1)
def definitions() -> dict[str, Any]:
    z, a = sp.Symbol("z", real=True), sp.Symbol("a", nonnegative=True)
    out: dict[str, Any] = {"z": z, "a": a}
    entries = {"relu": sp.Max(z, 0), "leaky_relu": sp.Piecewise((z, z > 0), (a * z, True)),
               "sigmoid": 1 / (1 + sp.exp(-z)), "tanh": (sp.exp(z) - sp.exp(-z)) / (sp.exp(z) + sp.exp(-z))}
    for name, e in entries.items():
        d = sp.diff(e, z)
        if name == "relu":       # SymPy's Heaviside(z) is 1/2 at 0; PyTorch's convention is 0
            d = d.replace(sp.Heaviside, lambda arg, *rest: sp.Heaviside(arg, 0))
        out[name], out["d" + name] = e, d
    # Pools: the generic window entry w_1 .. w_K, its derivative in w_j.
    K = sp.Symbol("K", integer=True, positive=True)
    k, j = sp.Idx("k", K), sp.Idx("j", K)
    w, s = sp.IndexedBase("w"), sp.IndexedBase("s")
    avg, mx = sp.Sum(w[k], k) / K, sp.Sum(s[k] * w[k], k)
    from .rules import _in_range
    out["avg_pool"], out["davg_pool"] = avg, _in_range(sp.diff(avg, w[j]).doit())       # 1/K
    out["max_pool"], out["dmax_pool"] = mx, _in_range(sp.diff(mx, w[j]).doit())         # s[j]
    out["pool_args"] = (K, j, s)
    # Mean squared error over n entries (n = 1 for a sum), and SymPy's derivative in o_l.
    n = sp.Symbol("n", integer=True, positive=True)
    i, l_ = sp.Idx("i", n), sp.Idx("l", n)
    o, t = sp.IndexedBase("o"), sp.IndexedBase("t")
    N = sp.Symbol("N", positive=True)
    mse = sp.Sum((o[i] - t[i]) ** 2, i) / N
    out["mse"], out["dmse"] = mse, _in_range(sp.diff(mse, o[l_]).doit())
    out["mse_args"] = ([o, t, n, N], [o, t, l_, N])
    return out


@functools.lru_cache(maxsize=None)
def _elementwise(kind: str, derivative: bool, exact: bool) -> Callable[..., Any]:
    d = definitions()
    expr = d[("d" if derivative else "") + kind]
    if exact:
        return lambda v, slope=0: expr.xreplace({d["z"]: v, d["a"]: slope})
    f = numpy_function([d["z"], d["a"]], expr, {"Heaviside": np.heaviside})
    return lambda v, slope=0.0: np.broadcast_to(np.asarray(f(v, slope), dtype=float), np.shape(v)).copy()


def _pool_derivative(kind: str, K: int, chosen: np.ndarray | None) -> np.ndarray:
    """d(window entry)/d(w_j) for each window (rows) and j (columns): SymPy's derivative at K (and s)."""
    d = definitions()
    Ks, j, s = d["pool_args"]
    expr = d["d" + kind]
    if kind == "avg_pool":
        return np.full((1, K), expr.xreplace({Ks: K}), dtype=object)
    rule_s = sp.lambdify([s, j], expr)
    return np.array([[rule_s(row, jj) for jj in range(K)] for row in chosen], dtype=object)


# ---------------------------------------------------------------------------------------------------------
# One pass through the network (exact or float64): the values and the decisions at the kinks

@dataclass
class Pass:
    values: list[np.ndarray]                   # values[0] = x, values[k] = output of layer k
    masks: dict[int, np.ndarray] = field(default_factory=dict)     # relu/leaky layers: input > 0
    chosen: dict[int, np.ndarray] = field(default_factory=dict)    # max pools: the window slot taken


def _params_float(net: Network) -> dict[str, np.ndarray]:
    return {name: _to_float(v) for layer in net.layers for name, v in layer.params.items()}


def forward(net: Network, x: np.ndarray, params: dict[str, np.ndarray], exact: bool, start: int = 0,
            value: np.ndarray | None = None, fix: "Pass | None" = None, fix_at: dict[int, np.ndarray] | None = None
            ) -> Pass:
    """The network's forward pass from layer ``start`` (whose input is ``value``; from x when start is 0).
    ``fix``/``fix_at``: at the entries ``fix_at[k]`` of layer k the decisions of ``fix`` (the exact pass) are
    taken instead of float64's own (where float64 cannot tell them apart)."""
    vals = [x] if start == 0 else [None] * start + [value]
    p = Pass(vals)
    for k, layer in enumerate(net.layers[start:], start + 1):
        z = vals[-1]
        if layer.type == "conv":
            b = params.get(layer.bias_name) if layer.bias_name else None
            y = conv(z[None], params[layer.weight_name], layer.spec, b)[0]
        elif layer.type == "linear":
            W = params[layer.weight_name]
            m, n = W.shape
            b = params[layer.bias_name] if layer.bias_name else (
                np.full(m, sp.Integer(0), dtype=object) if exact else np.zeros(m))
            y = np.asarray(rule("fc", exact)(W, z, b, np.arange(m), n), dtype=object if exact else float)
        elif layer.type == "flatten":
            y = z.reshape(-1)
        elif layer.type in ("relu", "leaky_relu"):
            mask = (np.vectorize(sign, otypes=[int])(z) > 0) if exact else (z > 0)
            if fix is not None and fix_at and k in fix_at:
                mask = np.where(fix_at[k], fix.masks[k], mask)
            p.masks[k] = mask
            d = _elementwise(layer.type, True, exact)
            slope = layer.slope if exact else float(layer.slope or 0)
            # relu and leaky relu are homogeneous: f(z) = f'(z) z, f' taken at the decided side (the sign)
            if exact:
                y = np.array([d(1 if m_ else -1, slope) * v
                              for m_, v in zip(mask.reshape(-1), z.reshape(-1))], dtype=object).reshape(z.shape)
            else:
                y = np.where(mask, 1.0, float(d(-1.0, slope))) * z
        elif layer.type in ("sigmoid", "tanh"):
            f = _elementwise(layer.type, False, exact)
            y = _canon_all(np.vectorize(f, otypes=[object])(z)) if exact else f(z)
        else:
            y, chosen = _pool_forward(layer, z, exact)
            if chosen is not None:
                if fix is not None and fix_at and k in fix_at:
                    chosen = np.where(fix_at[k], fix.chosen[k], chosen)
                    y = _pool_forward(layer, z, exact, chosen)[0]
                p.chosen[k] = chosen
        if exact and layer.type in ("conv", "linear"):
            y = _canon_all(y)
        vals.append(y)
    return p


def _pool_forward(layer: Layer, z: np.ndarray, exact: bool, chosen: np.ndarray | None = None
                  ) -> tuple[np.ndarray, np.ndarray | None]:
    K, S, P = layer.window  # type: ignore[misc]
    win = windows(layer.in_shape, K, S, P)
    flat = z.reshape(-1)
    if layer.type == "avg_pool":
        size = int(np.prod(K))
        if exact:
            out = [sum((flat[i] for i in row if i >= 0), sp.Integer(0)) / size for row in win]
            return _canon_all(np.array(out, dtype=object)).reshape(layer.out_shape), None
        return np.array([sum(flat[i] for i in row if i >= 0) / size for row in win]).reshape(layer.out_shape), None
    if chosen is None:
        chosen = np.empty(len(win), dtype=np.int64)
        for o, row in enumerate(win):
            best = -1
            for slot, i in enumerate(row):       # the first maximum in scan order (PyTorch's)
                if i < 0:
                    continue                      # the padding: never the maximum (PyTorch pads with -inf)
                if best < 0 or (_greater(flat[i], flat[row[best]]) if exact else flat[i] > flat[row[best]]):
                    best = slot
            chosen[o] = best
    vals = [flat[win[o, s]] for o, s in enumerate(chosen)]
    out = np.array(vals, dtype=object if exact else float).reshape(layer.out_shape)
    return out, chosen


def _loss_forward(net: Network, out: np.ndarray, exact: bool) -> dict[str, Any]:
    loss = net.loss
    if loss.type == "cross_entropy":
        m = len(out)
        y = np.array([1 if i + 1 == loss.target else 0 for i in range(m)], dtype=object)
        if exact:
            p = _canon_all(rule("softmax", True)(out, np.arange(m), m))
            L = sp.expand_log(rule("loss", True)(y, p, m), force=True)
            return {"p": p, "L": np.array(L, dtype=object)}
        c = float(np.max(out))
        e = np.exp(out - c)
        return {"p": e / e.sum(), "L": np.asarray(c + math.log(e.sum()) - out[loss.target - 1])}
    d = definitions()
    t = loss.target.reshape(-1)
    o = out.reshape(-1)
    n = o.size
    N = n if loss.reduction == "mean" else 1
    if exact:
        f = sp.lambdify(d["mse_args"][0], d["mse"], _EXACT)
        return {"L": np.array(canon(f(o, t, n, N)), dtype=object)}
    return {"L": np.asarray(float(np.sum((o - _to_float(t)) ** 2) / N))}


def _loss_backward(net: Network, out: np.ndarray, parts: dict[str, Any], exact: bool) -> dict[str, np.ndarray]:
    """dL/dp (cross-entropy) and dL/d(the last output)."""
    loss = net.loss
    if loss.type == "cross_entropy":
        m = len(out)
        y = np.array([1 if i + 1 == loss.target else 0 for i in range(m)], dtype=object if exact else float)
        if exact:
            dp = _canon_all(rule("dloss", True)(y, parts["p"], np.arange(m)))
            return {"p": dp, "out": _canon_all(rule("softmax_vjp", True)(out, dp, np.arange(m), m))}
        p = parts["p"]
        return {"p": np.asarray(rule("dloss", False)(y, p, np.arange(m)), dtype=float), "out": p - y}
    d = definitions()
    t = loss.target.reshape(-1)
    o = out.reshape(-1)
    N = o.size if loss.reduction == "mean" else 1
    if exact:
        f = sp.lambdify(d["mse_args"][1], d["dmse"], _EXACT)
        g = np.array([f(o, t, l_, N) for l_ in range(o.size)], dtype=object)
        return {"out": _canon_all(g).reshape(out.shape)}
    f = numpy_function(d["mse_args"][1], d["dmse"])
    return {"out": np.asarray(f(o, _to_float(t), np.arange(o.size), N), dtype=float).reshape(out.shape)}


def backward(net: Network, fw: Pass, g: np.ndarray, params: dict[str, np.ndarray], exact: bool,
             derivations: dict[int, Any], reduce: bool = True) -> tuple[list[np.ndarray], dict[str, np.ndarray]]:
    """dL/d(each layer's input) (``grads[k]`` for layer k+1's input, grads[0] = dL/dx) and dL/d(each
    parameter), from dL/d(the last output) = g."""
    grads: list[Any] = [None] * len(net.layers) + [g]
    pgrads: dict[str, np.ndarray] = {}
    for k in range(len(net.layers), 0, -1):
        layer, z, g = net.layers[k - 1], fw.values[k - 1], grads[k]
        if layer.type == "conv":
            got = derivations[k].evaluate(z[None], params[layer.weight_name], g[None])
            dz = got["grad_input"][0]
            pgrads[layer.weight_name] = got["grad_weight"]
            if layer.bias_name:
                pgrads[layer.bias_name] = got["grad_bias"]
        elif layer.type == "linear":
            W = params[layer.weight_name]
            m, n = W.shape
            dz = rule("fc_vjp_r", exact)(W, g, np.arange(n), m)
            pgrads[layer.weight_name] = rule("fc_vjp_W", exact)(g, z, np.arange(m)[:, None], np.arange(n)[None, :])
            if layer.bias_name:
                pgrads[layer.bias_name] = np.asarray(rule("fc_vjp_b", exact)(g, np.arange(m)))
        elif layer.type == "flatten":
            dz = g.reshape(z.shape)
        elif layer.type in ("relu", "leaky_relu"):
            d = _elementwise(layer.type, True, exact)
            slope = layer.slope if exact else float(layer.slope or 0)
            side = np.where(fw.masks[k], 1, -1)        # f' depends only on the side: taken there
            dz = (np.array([d(int(s), slope) for s in side.reshape(-1)], dtype=object).reshape(z.shape) * g
                  if exact else d(side.astype(float), slope) * g)
        elif layer.type in ("sigmoid", "tanh"):
            d = _elementwise(layer.type, True, exact)
            dz = np.vectorize(d, otypes=[object])(z) * g if exact else d(z) * g
        else:
            dz = _pool_backward(layer, fw.chosen.get(k), g, exact)
        if exact and reduce:
            dz = _canon_all(dz)
        grads[k - 1] = np.asarray(dz, dtype=object if exact else float).reshape(z.shape)
    if exact:
        pgrads = {n_: _canon_all(v) if reduce else np.asarray(v, dtype=object) for n_, v in pgrads.items()}
    else:
        pgrads = {n_: np.asarray(v, dtype=float) for n_, v in pgrads.items()}
    return grads, pgrads


MAX_UNIT_PASSES = 32


def _cross_entropy_exact(f: np.ndarray, target: int
                         ) -> tuple[dict[str, Any], dict[str, Any], np.ndarray, dict[Any, Any]]:
    """p, L, dL/dp and dL/df as the seed solves them: the softmax's inputs written as max f + log E_j
    (:func:`~symconv.homework.solution._exponentials`), so that its values and gradients are rational
    functions of the E_j, which SymPy reduces quickly and exactly; dL/df also returned in the E_j (for the
    backward pass) with the map E_j -> exp(f_j - max f)."""
    from .rules import _cancel, _exponentials
    m = len(f)
    shifted, back = _exponentials(f)
    fE = np.array([shifted[j] for j in range(m)], dtype=object)
    y = np.array([1 if i + 1 == target else 0 for i in range(m)], dtype=object)
    pE = _cancel(rule("softmax", True)(fE, np.arange(m), m))
    L = rule("loss", True)(y, pE, m)
    dpE = _cancel(rule("dloss", True)(y, pE, np.arange(m)))
    dfE = _cancel(rule("softmax_vjp", True)(fE, dpE, np.arange(m), m))
    to_exp = np.vectorize(lambda v: as_expr(v).xreplace(back), otypes=[object])
    L = as_expr(L).xreplace(back)
    if back:
        L = sp.expand_log(L, force=True)
    return ({"p": to_exp(pE), "L": np.array(L, dtype=object)}, {"p": to_exp(dpE), "out": to_exp(dfE)}, dfE, back)


def _exact_backward(net: Network, fw: Pass, g: np.ndarray, params: dict[str, np.ndarray],
                    derivations: dict[int, Any], back: dict[Any, Any]
                    ) -> tuple[list[np.ndarray], dict[str, np.ndarray]]:
    """:func:`backward` exactly. The backward pass is linear in g = dL/d(last output): when g holds
    exponentials (the softmax's), it is run once per entry of g on the unit vector there (exact rationals
    when the layers hold none), and each gradient is then sum_i c_i g_i, reduced once (not at every layer) while
    g is written in the softmax's E_j, which ``back`` then replaces by their exponentials."""
    g = np.asarray(g, dtype=object)
    if all(as_expr(v).is_Rational for v in g.reshape(-1)) or g.size > MAX_UNIT_PASSES:
        return backward(net, fw, g, params, True, derivations)
    runs = []
    smooth = any(layer.type in ("sigmoid", "tanh") for layer in net.layers)   # exponentials in the layers too
    for i in range(g.size):
        unit = np.zeros(g.size, dtype=object)
        unit[:] = sp.Integer(0)
        unit[i] = sp.Integer(1)
        runs.append(backward(net, fw, unit.reshape(g.shape), params, True, derivations, reduce=smooth))
    flat = g.reshape(-1)

    def combine(parts: list[np.ndarray]) -> np.ndarray:
        total = sum((np.asarray(c, dtype=object) * gi for c, gi in zip(parts, flat) if gi != 0),
                    np.zeros(np.shape(parts[0]), dtype=object) + sp.Integer(0))
        out = _canon_all(np.asarray(total, dtype=object))
        return np.vectorize(lambda v: as_expr(v).xreplace(back), otypes=[object])(out) if back and out.size else out
    grads = [combine([r[0][k] for r in runs]) for k in range(len(runs[0][0]))]
    pgrads = {name: combine([r[1][name] for r in runs]) for name in runs[0][1]}
    return grads, pgrads


def _pool_backward(layer: Layer, chosen: np.ndarray | None, g: np.ndarray, exact: bool) -> np.ndarray:
    K, S, P = layer.window  # type: ignore[misc]
    win = windows(layer.in_shape, K, S, P)
    size = win.shape[1]
    if layer.type == "max_pool":
        onehot = np.zeros(win.shape, dtype=np.int64)
        onehot[np.arange(len(win)), chosen] = 1
        deriv = _pool_derivative("max_pool", size, onehot)
    else:
        deriv = np.broadcast_to(_pool_derivative("avg_pool", size, None), win.shape)
    dz = np.full(int(np.prod(layer.in_shape)), sp.Integer(0) if exact else 0.0, dtype=object if exact else float)
    flat = g.reshape(-1)
    for o, row in enumerate(win):
        for slot, i in enumerate(row):
            if i >= 0 and deriv[o, slot] != 0:
                dz[i] = dz[i] + flat[o] * (deriv[o, slot] if exact else float(deriv[o, slot]))
    return dz.reshape(layer.in_shape)


# ---------------------------------------------------------------------------------------------------------
# The solution

def part_names(net: Network) -> list[str]:
    """The parts in the homework's order: the outputs, the loss's, then the gradients back to x and the
    parameters (the seed's order: weights from the last layer back, dL/dx, then the biases)."""
    outs = [layer.name for layer in net.layers if layer.name]
    loss = ["p", "L", "dL_dp"] if net.loss.type == "cross_entropy" else ["L"]
    weights = [layer.weight_name for layer in reversed(net.layers) if layer.weight_name]
    biases = [layer.bias_name for layer in net.layers if layer.bias_name]
    return (outs + loss + ["dL_d" + n for n in reversed(outs)] + ["dL_d" + n for n in weights] + ["dL_dx"]
            + ["dL_d" + n for n in biases])


@dataclass
class NetworkSolution(Checked):
    """The exact solution of a :class:`~.layers.Network`, with the interface of
    :class:`~symconv.homework.solution.Solution` that checks, reports and grading use."""

    homework: Network
    exact: dict[str, np.ndarray]
    approx: dict[str, np.ndarray]
    finite_difference: dict[str, np.ndarray]
    sensitivity: dict[str, np.ndarray]
    kappa: float                               # the last output's magnitude (see magnitude())
    ties: list[tuple[str, tuple[int, ...]]]    # (layer name, entry) of every ReLU input exactly 0 and
    pool_ties: list[tuple[str, tuple[int, ...]]]   # every max-pool output whose window has two maxima
    relu_from_exact: list[Any] = field(default_factory=list)
    derivations: dict[int, Any] = field(default_factory=dict)
    local: dict[str, Any] = field(default_factory=dict)
    linear: dict[str, Any] = field(default_factory=dict)
    degenerate: list[Any] = field(default_factory=list)
    _floats: dict[str, np.ndarray] = field(default_factory=dict, repr=False)

    @property
    def relu_ties(self) -> list[tuple[Any, ...]]:
        return [(name, *idx) for name, idx in self.ties]

    def floats(self, name: str) -> np.ndarray:
        if name not in self._floats:
            self._floats[name] = _to_float(self.exact[name])
        return self._floats[name]

    def texts(self, name: str) -> np.ndarray:
        with any_digits():
            return np.vectorize(str, otypes=[object])(self.exact[name])

    def involves_E(self, name: str) -> bool:
        return False

    def max_error(self, name: str, against: str) -> float | None:
        diff = self.differences(name, against)
        if diff is None:
            return None
        if np.isnan(diff).any():
            return math.nan
        return float(diff.max()) if diff.size else 0.0

    def magnitude(self, name: str) -> float:
        """M: the part's sensitivity (every value in absolute value, see :func:`_sensitivities`), times the
        last output's magnitude for the gradients (an absolute error in a value is a relative
        one in the gradients after it), rounded up to a power of ten."""
        own = max(1.0, float(np.max(self.sensitivity[name], initial=1.0)))
        if name in ("p", "L", "dL_dp") and self.homework.loss.type == "cross_entropy":
            value = 1.0 if name == "p" else float(np.max(np.abs(self.floats(name)), initial=1.0))
            return power_of_ten_above(self.kappa * max(1.0, value))
        return power_of_ten_above(own * self.kappa if name.startswith("dL_") else own)

    def __repr__(self) -> str:
        L = self.exact["L"][()]
        return f"<Solution of {self.homework.title!r}: L = {float(sp.N(L, 30)):.6g}; {len(self.exact)} parts>"


def solve_network(net: Network) -> NetworkSolution:
    derivations = {k: derive(layer.spec) for k, layer in enumerate(net.layers, 1) if layer.type == "conv"}
    params = {name: v for layer in net.layers for name, v in layer.params.items()}
    fw = forward(net, net.x, params, True)
    last = fw.values[-1]
    if net.loss.type == "cross_entropy":
        lparts, lgrads, g, back = _cross_entropy_exact(last, net.loss.target)
    else:
        lparts = _loss_forward(net, last, True)
        lgrads = _loss_backward(net, last, lparts, True)
        g, back = lgrads["out"], {}
    grads, pgrads = _exact_backward(net, fw, g, params, derivations, back)
    exact = _assemble(net, fw.values, lparts, lgrads, grads, pgrads)
    ties = [(net.layers[k - 1].name, tuple(int(i) for i in idx)) for k in fw.masks
            for idx in np.ndindex(*fw.values[k - 1].shape) if sign(fw.values[k - 1][idx]) == 0]
    pool_ties = _pool_ties(net, fw)
    sens, kappa = _sensitivities(net, derivations)
    approx, undecided = _float_pass(net, fw, derivations, sens)
    fd = _finite_differences(net, fw, approx, exact, sens)
    sol = NetworkSolution(net, exact, approx, fd, sens, kappa, ties, pool_ties, undecided, derivations)
    sol.degenerate = find_degenerate(sol)
    return sol


def _assemble(net: Network, values: list[np.ndarray], lparts: dict[str, Any], lgrads: dict[str, Any],
              grads: list[np.ndarray], pgrads: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    by: dict[str, np.ndarray] = {"x": values[0], "dL_dx": grads[0]}
    for k, layer in enumerate(net.layers, 1):
        if layer.name:
            by[layer.name] = values[k]
            by["dL_d" + layer.name] = grads[k]
    by.update(lparts)
    if "p" in lgrads:
        by["dL_dp"] = lgrads["p"]
    by.update({"dL_d" + n: v for n, v in pgrads.items()})
    return {name: np.asarray(by[name], dtype=object if isinstance(by[name], np.ndarray) and by[name].dtype == object
                             else None) for name in part_names(net)}


def _pool_ties(net: Network, fw: Pass) -> list[tuple[str, tuple[int, ...]]]:
    out = []
    for k, chosen in fw.chosen.items():
        layer = net.layers[k - 1]
        win = windows(layer.in_shape, *layer.window)  # type: ignore[misc]
        flat = fw.values[k - 1].reshape(-1)
        for o, row in enumerate(win):
            best = flat[row[chosen[o]]]
            if sum(1 for i in row if i >= 0 and sign(as_expr(flat[i]) - as_expr(best)) == 0) > 1:
                out.append((layer.name, tuple(int(v) for v in np.unravel_index(o, layer.out_shape))))
    return out


# ---------------------------------------------------------------------------------------------------------
# float64: the recomputation, magnitudes and finite differences

def _float_pass(net: Network, exact_fw: Pass, derivations: dict[int, Any], sens: dict[str, np.ndarray]
                ) -> tuple[dict[str, np.ndarray], list[Any]]:
    """Every part again in float64 from the same rules. Where float64's decision at a kink (a ReLU input's
    side, a window's maximum) differs from the exact one and the float64 values are within their own check's
    bound of the kink, float64 cannot tell: the exact decision is taken there (and named)."""
    params = _params_float(net)
    x = _to_float(net.x)
    fw = forward(net, x, params, False)
    fix_at: dict[int, np.ndarray] = {}
    undecided = []
    for k, layer in enumerate(net.layers, 1):
        z = fw.values[k - 1]
        inp = "x" if k == 1 else _input_name(net, k)
        bound = TOLERANCES["float64"] * power_of_ten_above(float(np.max(sens.get(inp, np.ones(1)), initial=1.0)))
        if k in fw.masks:
            differ = (fw.masks[k] != exact_fw.masks[k]) & (np.abs(z) <= bound)
            if differ.any():
                fix_at[k] = differ
                undecided += [(layer.name, *map(int, i)) for i in zip(*np.nonzero(differ))]
        if k in fw.chosen:
            win = windows(layer.in_shape, *layer.window)  # type: ignore[misc]
            flat = z.reshape(-1)
            rows = np.arange(len(win))
            a, b = flat[win[rows, fw.chosen[k]]], flat[win[rows, exact_fw.chosen[k]]]
            differ = (fw.chosen[k] != exact_fw.chosen[k]) & (np.abs(a - b) <= bound)
            if differ.any():
                fix_at[k] = differ
                undecided += [(layer.name, *map(int, np.unravel_index(o, layer.out_shape)))
                              for o in np.nonzero(differ)[0]]
        if fix_at:
            fw = forward(net, x, params, False, fix=exact_fw, fix_at=fix_at)
    last = fw.values[-1]
    lparts = _loss_forward(net, last, False)
    if net.loss.type == "cross_entropy":
        lparts = _softmax_float(last, net.loss.target - 1)
    if net.loss.type == "cross_entropy":
        lgrads = {"p": lparts.pop("dL_dp"), "out": lparts.pop("dL_dout")}
    else:
        lgrads = _loss_backward(net, last, lparts, False)
    grads, pgrads = backward(net, fw, lgrads["out"], params, False, derivations)
    return _assemble(net, fw.values, lparts, lgrads, grads, pgrads), undecided


def _input_name(net: Network, k: int) -> str:
    """The part that is layer k's input (through a flatten, the layer before it)."""
    for layer in reversed(net.layers[:k - 1]):
        if layer.name:
            return layer.name
    return "x"


def _softmax_float(f: np.ndarray, t: int) -> dict[str, np.ndarray]:
    """p, L, dL/dp, dL/df at float64's precision without its exponent range (the seed's way)."""
    from .rules import _softmax_parts
    p, L, dp, df = _softmax_parts(np.asarray(f, dtype=float), t)
    return {"p": p, "L": L, "dL_dp": dp, "dL_dout": df}


def _sensitivities(net: Network, derivations: dict[int, Any]) -> tuple[dict[str, np.ndarray], float]:
    """Each part recomputed with every value in absolute value: forward through |x|, |weights|, |biases|
    (an activation passing |z| on, a max pool taking the window's largest, an average its mean), backward
    from |dL/d(last output)| taken as 1 (cross-entropy: |p - y| <= 1; mse: 2 max(|o| + |t|) / n) with every
    kink passing the gradient (ReLU's mask as 1, every window entry of a max pool). It bounds each part's
    |value| and the sum of |terms| float64 adds up for it."""
    ab = {name: np.abs(_to_float(v)) for layer in net.layers for name, v in layer.params.items()}
    vals = [np.abs(_to_float(net.x))]
    with np.errstate(over="ignore", invalid="ignore"):
        for layer in net.layers:
            z = vals[-1]
            if layer.type == "conv":
                y = conv(z[None], ab[layer.weight_name], layer.spec, ab.get(layer.bias_name))[0]
            elif layer.type == "linear":
                W = ab[layer.weight_name]
                y = W @ z + (ab[layer.bias_name] if layer.bias_name else 0.0)
            elif layer.type == "flatten":
                y = z.reshape(-1)
            elif layer.type == "leaky_relu":
                y = z * max(1.0, float(layer.slope))
            elif layer.type in ("relu", "sigmoid", "tanh"):
                y = np.maximum(z, 1.0) if layer.type != "relu" else z
            else:
                win = windows(layer.in_shape, *layer.window)  # type: ignore[misc]
                flat = np.concatenate([z.reshape(-1), [0.0]])          # index -1: the padding, 0
                y = (flat[win].max(axis=1) if layer.type == "max_pool" else flat[win].sum(axis=1) / win.shape[1]
                     ).reshape(layer.out_shape)
            vals.append(np.asarray(y, dtype=float))
        out = vals[-1]
        top = float(np.max(out, initial=1.0))
        if net.loss.type == "cross_entropy":
            g0, loss_sens = np.ones(out.shape), {"p": np.ones(out.shape), "L": np.ones(()), "dL_dp": np.ones(out.shape)}
        else:
            t = float(np.max(np.abs(_to_float(net.loss.target)), initial=0.0))
            n = out.size if net.loss.reduction == "mean" else 1
            g0 = np.full(out.shape, 2 * (top + t) / n)
            loss_sens = {"L": np.asarray((top + t) ** 2 * out.size / n)}
        grads = [None] * len(net.layers) + [g0]
        pgrads: dict[str, np.ndarray] = {}
        for k in range(len(net.layers), 0, -1):
            layer, z, g = net.layers[k - 1], vals[k - 1], grads[k]
            if layer.type == "conv":
                got = derivations[k].evaluate(z[None], ab[layer.weight_name], g[None])
                dz = got["grad_input"][0]
                pgrads[layer.weight_name] = got["grad_weight"]
                if layer.bias_name:
                    pgrads[layer.bias_name] = got["grad_bias"]
            elif layer.type == "linear":
                dz = ab[layer.weight_name].T @ g
                pgrads[layer.weight_name] = np.outer(g, z)
                if layer.bias_name:
                    pgrads[layer.bias_name] = g
            elif layer.type == "flatten":
                dz = g.reshape(z.shape)
            elif layer.type == "leaky_relu":
                dz = g * max(1.0, float(layer.slope))
            elif layer.type in ("relu", "sigmoid", "tanh"):
                dz = g
            else:
                win = windows(layer.in_shape, *layer.window)  # type: ignore[misc]
                dz = np.zeros(z.size + 1)
                share = 1.0 if layer.type == "max_pool" else 1.0 / win.shape[1]
                np.add.at(dz, win.reshape(-1), np.repeat(g.reshape(-1) * share, win.shape[1]))
                dz = dz[:-1].reshape(z.shape)
            grads[k - 1] = np.asarray(dz, dtype=float)
    sens = _assemble(net, vals, loss_sens, {"p": loss_sens["dL_dp"]} if "dL_dp" in loss_sens else {}, grads, pgrads)
    # as the seed's: an absolute error d in the last output is a relative error of about d in every gradient
    kappa = max(1.0, float(np.max(np.nan_to_num(vals[-1], posinf=1e300), initial=1.0)))
    return {k: np.nan_to_num(np.asarray(v, dtype=float), posinf=1e300) for k, v in sens.items()}, kappa


def _plain_loss(net: Network, start: int, value: np.ndarray, params: dict[str, np.ndarray], x: np.ndarray
                ) -> tuple[float, dict[int, bytes]]:
    """L by a plain float forward from layer ``start`` (whose input is ``value``), and the decisions taken
    at every kink on the way (by layer)."""
    fw = forward(net, x, params, False, start, value)
    out = fw.values[-1]
    if net.loss.type == "cross_entropy":
        c = float(np.max(out))
        L = c + math.log(float(np.exp(out - c).sum())) - float(out[net.loss.target - 1])
    else:
        L = float(_loss_forward(net, out, False)["L"])
    return L, _kinks(fw)


def _kinks(fw: Pass) -> dict[int, bytes]:
    return {**{k: np.asarray(m, dtype=bool).tobytes() for k, m in fw.masks.items()},
            **{-k: np.asarray(c, dtype=np.int64).tobytes() for k, c in fw.chosen.items()}}


def _finite_differences(net: Network, exact_fw: Pass, approx: dict[str, np.ndarray], exact: dict[str, np.ndarray],
                        sens: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Central differences of L in every value a gradient is reported for, each step STEP / max(1, how far
    the last output moves per unit of the entry). An entry whose step up or down changes a decision at a
    kink (a ReLU input's side, a window's maximum) from the exact one is left out (it compares as equal):
    there the quotient is one-sided, as the seed's are at a tie."""
    params = _params_float(net)
    x = _to_float(net.x)
    want = _kinks(exact_fw)
    out: dict[str, np.ndarray] = {}
    values = forward(net, x, params, False).values

    def differences(name: str, at: np.ndarray, f: Callable[[np.ndarray], tuple[float, dict[int, bytes]]]
                    ) -> np.ndarray:
        at = np.array(at, dtype=float)
        grad = np.zeros_like(at)
        steps = STEP / np.maximum(1.0, sens.get("dL_d" + name, np.ones(at.shape)))
        flat, res, st = at.reshape(-1), grad.reshape(-1), np.broadcast_to(steps, at.shape).reshape(-1)
        known = _to_float(exact["dL_d" + name]).reshape(-1)
        for i in range(flat.size):
            keep = flat[i]
            flat[i] = keep + st[i]
            up, k_up = f(at)
            flat[i] = keep - st[i]
            down, k_down = f(at)
            flat[i] = keep
            same = all(want[k] == v for k, v in k_up.items()) and all(want[k] == v for k, v in k_down.items())
            res[i] = (up - down) / (2 * st[i]) if same else known[i]
        return grad

    for k, layer in enumerate(net.layers, 1):
        if layer.name:
            out["dL_d" + layer.name] = differences(layer.name, values[k],
                                                   lambda v, k=k: _plain_loss(net, k, v, params, x))
        for pname in layer.params:
            def f(v: np.ndarray, pname: str = pname, k: int = k) -> tuple[float, dict[int, bytes]]:
                return _plain_loss(net, k - 1, values[k - 1], {**params, pname: v}, x)
            out["dL_d" + pname] = differences(pname, params[pname], f)
    out["dL_dx"] = differences("x", x, lambda v: _plain_loss(net, 0, v, params, v))
    if net.loss.type == "cross_entropy":
        from .rules import _difference_in_p
        out["dL_dp"] = _difference_in_p(values[-1], net.loss.target - 1)
    return out
