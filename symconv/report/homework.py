"""The homework report: problem 1 from the engine, problem 2 part by part, every step checked."""

from __future__ import annotations

import re
from contextvars import ContextVar
from typing import Any

import numpy as np
import sympy as sp

from ..derivation import ops
from ..proof.stored import derive, seed_claims
from .doc import Block, Heading, Lines, Math, Para, Table, to_latex, to_markdown, user_text
from ..homework.solution import Solution, problem1_spec
from .derivation import derivation_blocks
from ..wording import w
from ..derivation.exprs import as_expr
from .numbers import short_latex

# The report's language while it is rendered: a huge integer's digit count is written in it (_num is a plain
# one-argument formatter, passed around as such).
_LANG: ContextVar[str] = ContextVar("report_lang", default="en")

TITLES = {
    "conv1": r"\mathrm{conv}_1", "relu1": r"\mathrm{relu}_1", "fc1": r"\mathrm{fc}_1", "p": "p", "L": "L",
    "dL_dp": r"\frac{\partial L}{\partial p}", "dL_dfc1": r"\frac{\partial L}{\partial \mathrm{fc}_1}",
    "dL_drelu1": r"\frac{\partial L}{\partial \mathrm{relu}_1}",
    "dL_dconv1": r"\frac{\partial L}{\partial \mathrm{conv}_1}", "dL_dW": r"\frac{\partial L}{\partial W}",
    "dL_dh": r"\frac{\partial L}{\partial h}", "dL_dx": r"\frac{\partial L}{\partial x}",
    "dL_dconv_bias": r"\frac{\partial L}{\partial b^{\mathrm{conv}}}",
    "dL_dfc_bias": r"\frac{\partial L}{\partial b^{\mathrm{fc}}}",
}


class _Later:
    """An entry written only if the report shows it (a large tensor shows its first rows and columns)."""

    def __init__(self, make: Any) -> None:
        self.make = make

    def value(self) -> Any:
        return self.make()


def _num(v: Any) -> str:
    text = short_latex(v.value() if isinstance(v, _Later) else v, _LANG.get())
    # A fraction as an entry of a matrix is set at the text's size (\dfrac), not at a subscript's.
    return text.replace(r"\frac", r"\dfrac", 1) if text.lstrip("- ").startswith(r"\frac") else text


def _power(v: Any) -> str:
    """A number in an exponent: a fraction on one line (198/5), never stacked over the base's line."""
    v = as_expr(v)
    if isinstance(v, sp.Rational) and not v.is_Integer and max(abs(v.p), v.q) < 10 ** 40:
        return f"{v.p}/{v.q}"         # a longer one is shortened as everywhere (its digits cut)
    return short_latex(v, _LANG.get())


def _dec(v: Any) -> str:
    return _dec_float(float(sp.N(v, 30)))


def _dec_float(f: float) -> str:
    """Six significant digits; a power of ten written as one (1.27951e-05 as 1.27951 \\times 10^{-5})."""
    text = f"{f:.6g}"
    if "e" in text:
        mantissa, exponent = text.split("e")
        return rf"{mantissa} \times 10^{{{int(exponent)}}}"
    return "0" if text == "-0" else text


BIG = 100    # a tensor with more entries is shown by its first KEEP entries along each axis, and its shape
KEEP = 6


def tensor_latex(a: np.ndarray, fmt: Any = _num, shape: bool = True) -> str:
    """Scalars as they are, vectors as transposed rows, matrices as bmatrix, 3-D as channel matrices, 4-D
    as a block matrix (output channel by input channel). Above :data:`BIG` entries only the first
    :data:`KEEP` entries along each axis are written, with dots where the rest would be and (unless
    ``shape`` is false) the tensor's shape after it: only those entries are ever formatted."""
    a = np.asarray(a, dtype=object)
    if a.size <= BIG:
        return _tensor(a, fmt, (False,) * a.ndim)
    cut = tuple(n > KEEP for n in a.shape)
    text = _tensor(a[tuple(slice(0, KEEP) for _ in a.shape)], fmt, cut)
    return text + (_shape_note(a.shape) if shape else "")


def _shape_note(shape: tuple[int, ...]) -> str:
    return r"\quad \left(" + r" \times ".join(map(str, shape)) + r"\right)"


def _tensor(a: np.ndarray, fmt: Any, cut: tuple[bool, ...]) -> str:
    """:func:`tensor_latex` of the entries kept; ``cut`` marks the axes that go on (a row of dots, a column
    of dots, a comma and dots)."""
    if a.ndim == 0:
        return fmt(a[()])
    if a.ndim == 1:
        return r"\begin{bmatrix} " + " & ".join([fmt(v) for v in a] + [r"\cdots"] * cut[0]) + r" \end{bmatrix}^{T}"
    if a.ndim == 3:
        return r",\allowbreak\ ".join([_tensor(c, fmt, cut[1:]) for c in a] + [r"\dots"] * cut[0])
    inner = (lambda v: fmt(v)) if a.ndim == 2 else (lambda k: _tensor(k, fmt, cut[2:]))
    cells = [[inner(v) for v in row] for row in a]
    if a.ndim == 2 and sum(max(map(_width, col)) for col in zip(*cells)) > MATRIX_LINE:
        # Too wide with fractions at the text's size: they are set smaller rather than past the margin.
        cells = [[c.replace(r"\dfrac", r"\frac") for c in row] for row in cells]
    rows = [" & ".join(row + [r"\cdots"] * cut[1]) for row in cells]
    if cut[0]:
        rows.append(" & ".join([r"\vdots"] * a.shape[1] + [r"\ddots"] * cut[1]))
    # Rows of \dfrac entries get room between them, or one fraction's bar meets the next one's numerator.
    sep = r" \\[1ex] " if any("frac" in row for row in rows) else r" \\ "
    return r"\begin{bmatrix} " + sep.join(rows) + r" \end{bmatrix}"


MATRIX_LINE = 48   # characters (commands aside) of a matrix's widest entries, column by column, set as \dfrac


def _width(entry: str) -> int:
    """About how wide an entry is set: a fraction as its wider part, commands and braces not counted."""
    plain = re.sub(r"\\[a-zA-Z]+|[{}^_ ]", "", entry)
    return len(plain) // 2 + 1 if r"\frac" in entry else len(plain)


def _fill(a: np.ndarray, name: str) -> str:
    """A matrix whose entries are all equal is written as that value times a matrix of ones."""
    flat = list(a.reshape(-1))
    if len(set(flat)) == 1:
        return rf"{_num(flat[0])}\cdot \mathbf{{1}}_{{{a.shape[0]}\times {a.shape[1]}}}"
    return tensor_latex(a)


def _part(s: Solution, name: str, formula: str, substituted: str | Lines | None, note: str = "",
          lang: str = "en") -> list[Block]:
    blocks: list[Block] = [Math(rf"{TITLES[name]} = {formula}")]
    if isinstance(substituted, Lines):
        blocks.append(substituted)
    elif substituted:
        blocks.append(Math(rf"{TITLES[name]} = {substituted}"))
    blocks += _display(TITLES[name], "=", shown(s, name), _num)
    if not all(as_expr(v).is_Integer for v in np.asarray(s.exact[name]).reshape(-1)):
        blocks += _display(TITLES[name], r"\approx", s.floats(name), _dec_float)
    checks = [w("check.float", lang, err=_bound(s, name, "float64", lang))]
    if s.max_error(name, "finite-difference") is not None:
        checks.append(w("check.fd", lang, err=_bound(s, name, "finite-difference", lang)))
    blocks.append(Para(w("check", lang, items=w("check.sep", lang).join(checks)) + (" " + note if note else "")))
    return blocks


WIDE = 10   # columns beyond which a matrix is written transposed, or a tensor one channel to a row


def _display(title: str, rel: str, a: Any, fmt: Any) -> list[Block]:
    """``title rel a`` at a readable size: a wide matrix transposed, a wide 3-D tensor one channel per row,
    a wide kernel gradient one output channel per line."""
    a = np.asarray(a, dtype=object)
    if a.ndim == 2 and a.shape[1] > max(WIDE, a.shape[0]):
        return [Math(rf"\left({title}\right)^{{T}} {rel} {tensor_latex(a.T, fmt)}")]
    if a.ndim == 3 and a.shape[0] > 1 and a.shape[0] * a.shape[2] > WIDE - 1:
        # One matrix per channel, each labelled with its channel (review20 could not tell three stacked 4 x 4
        # matrices apart), a break allowed between them.
        shown = a[:KEEP] if a.size > BIG else a           # a large tensor: its first channels
        channels = [rf"\left({title}\right)_{{{c}}} {rel} {tensor_latex(m, fmt)}" for c, m in enumerate(shown)]
        more = r",\allowbreak\quad \dots" + _shape_note(a.shape) if len(shown) < len(a) else ""
        return [Math(r",\allowbreak\quad ".join(channels) + more)]
    if a.ndim == 4:
        return kernel_grid(rf"\left({title}\right)", rel, a, fmt)
    if a.ndim == 2 and a.size <= BIG:
        cells = [[fmt(v) for v in row] for row in a]
        if sum(max(map(_width, col)) + 2 for col in zip(*cells)) > MATRIX_WIDTH:
            # Wider than the line even transposed: one display per row, its entries named and separated
            # where TeX may break the line (a 4 x 8 matrix of fractions over S ran 130 pt off the page).
            return [Math(r",\allowbreak\ ".join(f"{_entry(title, i, j)} {rel} {c}" for j, c in enumerate(row)))
                    for i, row in enumerate(cells)]
    return [Math(f"{title} {rel} {tensor_latex(a, fmt)}")]


def _entry(title: str, i: int, j: int) -> str:
    r"""The name of one entry: ``\frac{\partial L}{\partial W_{i,j}}`` for a gradient by one letter, else the
    title in parentheses with the index."""
    m = re.fullmatch(r"\\frac\{\\partial L\}\{\\partial ([A-Za-z])\}", title)
    return rf"\frac{{\partial L}}{{\partial {m.group(1)}_{{{i},{j}}}}}" if m else rf"\left({title}\right)_{{{i},{j}}}"


MATRIX_WIDTH = 72   # characters (commands aside) a matrix may take, its columns and their room together


def kernel_grid(label: str, rel: str, a: Any, fmt: Any = _num) -> list[Block]:
    """A tensor of kernels (output channel × input channel × K × K) as a grid of matrices labelled
    ``label_{o,c}``: one display per output channel, a break allowed between its kernels. A large tensor
    shows its first :data:`KEEP` channels each way and its shape."""
    a = np.asarray(a, dtype=object)
    big = a.size > BIG
    outs, ins = (min(n, KEEP) if big else n for n in a.shape[:2])
    blocks: list[Block] = []
    for o in range(outs):
        kernels = [rf"{label}_{{{o},{c}}} {rel} {tensor_latex(a[o, c], fmt, shape=False)}" for c in range(ins)]
        more = r",\allowbreak\quad \dots" if ins < a.shape[1] else ""
        blocks.append(Math(r",\allowbreak\quad ".join(kernels) + more))
    if big:
        blocks.append(Math(r"\vdots" + _shape_note(a.shape) if outs < a.shape[0] else _shape_note(a.shape)))
    return blocks


def _power_of_ten(v: float) -> str:
    """1e-12 as 10^{-12}, 3.25e-05 as 3.2 \\cdot 10^{-5} (LaTeX); a value that is not finite as itself."""
    if not np.isfinite(v):
        return r"\infty" if v > 0 else r"\mathrm{NaN}"
    mantissa, exponent = f"{v:.1e}".split("e")
    if mantissa == "1.0" and int(exponent) == 0:
        return "1"
    return (f"10^{{{int(exponent)}}}" if mantissa == "1.0" else
            rf"{mantissa} \cdot 10^{{{int(exponent)}}}")


def _bound(s: Solution, name: str, against: str, lang: str = "en", cell: bool = False) -> str:
    """A check as the bound it meets ("max |Δ| <= 10^{-12} · M = 10^{-10}"), the same on every machine; the
    measured value only when it exceeds the bound (a failure, which no machine should show)."""
    c = s.check(name, against)
    if c is None:
        return w("n/a", lang)
    if np.isinf(c.magnitude) and c.passed:
        return w("bound.cell_beyond" if cell else "bound.beyond", lang)
    tol, bound = _power_of_ten(c.tolerance), _power_of_ten(c.bound)
    if c.passed:
        return rf"$\le {bound}$" if cell else w("bound.within", lang, tol=tol, bound=bound)
    value = _power_of_ten(c.error)
    return (f"${value} > {bound}$ ({w('failed', lang)})" if cell else
            w("bound.exceeds", lang, value=value, tol=tol, bound=bound))


def _exponentials(s: Solution) -> tuple[dict[sp.Symbol, Any], sp.Symbol, Any] | None:
    """When softmax's inputs differ, the E_j = exp(fc1_j - max fc1) that the exact values are written in,
    the symbol Z and its value sum_j E_j (an E_j with fc1_j = max fc1 is 1); None when there are none."""
    back = s.local.get("E")
    if not back:
        return None
    by_name = {str(e): e for e in back}
    E = [by_name.get(f"E{j + 1}", sp.Integer(1)) for j in range(len(s.exact["fc1"]))]
    # Z, not S: S is the stride in the same report (review20 read -S as minus the stride).
    return back, sp.Symbol("Z", positive=True), sp.Add(*E)


def _with_S(v: Any, Es: list[sp.Symbol], S: sp.Symbol, total: Any) -> Any:
    """A rational function of the E_j with every factor sum_j E_j written as S: (E_1 - S)/(10 S)."""
    n, d = sp.fraction(sp.cancel(as_expr(v)))

    def pull(poly: Any) -> Any:
        k = 0
        while poly != 0 and Es:
            q, r = sp.div(poly, total, *Es)
            if r != 0:
                break
            poly, k = q, k + 1
        return poly * S ** k
    return pull(n) / pull(d)


def shown(s: Solution, name: str) -> np.ndarray:
    """A part as the report writes it: exactly, in terms of E_j and S when softmax's exponentials enter.
    The entries of a large part are written only where the report shows them (:class:`_Later`)."""
    ex = _exponentials(s)
    if ex is None or not s.involves_E(name):
        return s.exact[name]
    back, S, total = ex
    if name == "L":    # -log(E_t / S) = log S - (fc1_t - max fc1)
        f = s.exact["fc1"]
        return np.array(sp.log(S) - (f[s.homework.target - 1] - max(f)), dtype=object)
    Es = sorted(back, key=str)
    if name in s.linear:
        # Written directly over S (the same fraction _with_S finds, without dividing polynomials).
        if s.exact[name].size <= BIG:
            return s.in_E(name, total=S)
        out = np.empty(s.exact[name].shape, dtype=object)
        for idx in np.ndindex(*out.shape):
            out[idx] = _Later(lambda idx=idx: s.in_E(name, idx, total=S)[()])
        return out
    a = s.in_E(name)
    if not any(as_expr(v).free_symbols for v in a.reshape(-1)):
        return s.exact[name]
    return np.vectorize(lambda v: _with_S(v, Es, S, total), otypes=[object])(a)


def _exact_latex(s: Solution, name: str) -> str:
    return tensor_latex(shown(s, name))


def _exponential_blocks(s: Solution, lang: str) -> list[Block]:
    """The E_j and S, defined once, before the first part written in terms of them."""
    ex = _exponentials(s)
    if ex is None:
        return []
    back, S, total = ex
    f = s.exact["fc1"]
    c = max(f)
    values = r",\ ".join(rf"E_{{{j + 1}}} = " + (_num(sp.exp(v - c)) if v != c else "1") for j, v in enumerate(f))
    return [Para(w("hw.E", lang)),
            Math(r"E_{j} = e^{\mathrm{fc}_{1;j} - \max_k \mathrm{fc}_{1;k}},\quad Z = \sum_j E_j"),
            Math(rf"{values},\quad Z = {_num(total)} \approx {_dec(total.xreplace(back))}")]


def _conv1_entry(s: Solution) -> Lines:
    """conv1[0, 0, 0] written out: the products of every input channel, a few to a row (never shrunk)."""
    hw, spec = s.homework, s.homework.spec
    x0, c0 = hw.x, s.exact["conv1"]
    K1, K2 = hw.h.shape[2:]
    (lo1, _), (lo2, _) = spec.pads
    D1, D2 = spec.dilation  # type: ignore[misc]
    rows = []
    for c in range(hw.x.shape[0]):
        terms = []
        for a in range(K1):
            for b in range(K2):
                u, v = D1 * a - lo1, D2 * b - lo2
                xv = x0[c, u, v] if 0 <= u < x0.shape[1] and 0 <= v < x0.shape[2] else 0
                terms.append(rf"({_num(xv)})({_num(hw.h[0, c, a, b])})")
        rows += [" + ".join(terms[i:i + ROW_TERMS]) for i in range(0, len(terms), ROW_TERMS)]
    rows = [rows[0]] + ["+ " + r for r in rows[1:]]
    if hw.conv_bias is not None:
        rows[-1] += f" + ({_num(hw.conv_bias[0])})"
    return Lines(r"\mathrm{conv}_{1;\,0,0,0}", (*rows, f"= {_num(c0[0, 0, 0])}"))


ROW_TERMS = 5   # products per row of the written-out conv1 entry: a row fits the A4 text width at 11 pt


def _position(spec: Any, axis: int, i: str, a: str) -> str:
    """The input row (or column) output i meets through kernel entry a, at the file's own stride, dilation and
    padding (i + a at stride 1, dilation 1, padding 0: no S, D or P that are 1 or 0)."""
    S, D, (P, _) = spec.stride[axis], spec.dilation[axis], spec.pads[axis]
    text = ("" if S == 1 else f"{S} ") + i + " + " + ("" if D == 1 else f"{D} ") + a
    return text + (f" - {P}" if P else "")


def problem2_blocks(s: Solution, lang: str = "en") -> list[Block]:
    hw = s.homework
    spec = hw.spec
    m, n = hw.fc_weight.shape
    t = hw.target
    g_name = {"g": r"\frac{\partial L}{\partial \mathrm{conv}_1}", "x": "F"}
    blocks: list[Block] = [Heading(w("hw.problem2", lang), 1), Para(w("hw.data", lang)),
                           Math(rf"F = {tensor_latex(hw.x)}"), *kernel_grid("h", "=", hw.h)]
    pads = ", ".join(f"({lo}, {hi})" for lo, hi in spec.pads)
    blocks.append(Para(w("hw.setting", lang, stride=spec.stride[0], pads=pads,  # type: ignore[index]
                         dilation=spec.dilation[0], m=m, n=n, t=t)))  # type: ignore[index]
    c0 = s.exact["conv1"]
    blocks += [Heading(w("hw.1", lang), 2),
               *_part(s, "conv1", r"F \otimes h" + (" + b" if hw.conv_bias is not None else "") +
                      r",\quad \mathrm{conv}_{1;\,o,i,j} = \sum_{c,a,b} F_{c,\,"
                      + r",\,".join(_position(spec, k, i, a) for k, (i, a) in enumerate((("i", "a"), ("j", "b"))))
                      + r"}\,h_{o,c,a,b}" + (" + b_o" if hw.conv_bias is not None else ""),
                      _conv1_entry(s), lang=lang)]
    blocks += [Heading(w("hw.2", lang), 2),
               *_part(s, "relu1", r"\max(\mathrm{conv}_1, 0)", rf"\max\left({tensor_latex(c0)},\ 0\right)",
                      lang=lang)]
    r = s.exact["relu1"].reshape(-1)
    fc_b = "" if hw.fc_bias is None else r" + b^{\mathrm{fc}}"
    fc_values = rf"{_fill(hw.fc_weight, 'W')}\,{tensor_latex(r)}" + ("" if hw.fc_bias is None else
                                                                     rf" + {tensor_latex(hw.fc_bias)}")
    if n > WIDE and len(set(hw.fc_weight.reshape(-1))) > 1:
        # W written out is too wide for a line: its transpose is tall and narrow.
        blocks += [Heading(w("hw.3", lang), 2), Math(rf"W^{{T}} = {tensor_latex(hw.fc_weight.T)}"),
                   *_part(s, "fc1", r"W\,\mathrm{vec}(\mathrm{relu}_1)" + fc_b,
                          Lines(TITLES["fc1"], (rf"W\,{tensor_latex(r)}",) + (() if hw.fc_bias is None else
                                                                            (rf"+ {tensor_latex(hw.fc_bias)}",))),
                          lang=lang)]
    else:
        blocks += [Heading(w("hw.3", lang), 2),
                   *_part(s, "fc1", r"W\,\mathrm{vec}(\mathrm{relu}_1)" + fc_b, fc_values, lang=lang)]
    f = s.exact["fc1"]
    blocks += [Heading(w("hw.4", lang), 2), *_exponential_blocks(s, lang),
               *_part(s, "p", r"\left[\frac{e^{\mathrm{fc}_{1;i}}}{\sum_j e^{\mathrm{fc}_{1;j}}}\right]_i",
                      rf"\left[\frac{{e^{{{_power(f[0])}}}}}{{{' + '.join(f'e^{{{_power(v)}}}' for v in f)}}},\ "
                      r"\dots\right]", lang=lang)]
    pt = shown(s, "p")[t - 1]
    blocks += [Heading(w("hw.5", lang), 2),
               *_part(s, "L", r"-\sum_{i} y_i \log p_i = -\log p_" + str(t), rf"-\log\left({_num(pt)}\right)",
                      w("hw.natural_log", lang), lang=lang)]
    same_rows = all(list(row) == list(hw.fc_weight[0]) for row in hw.fc_weight)
    blocks += [Heading(w("hw.6", lang), 2),
               *_part(s, "dL_dp", r"\left[-\frac{y_i}{p_i}\right]_i",
                      r"\left[" + r",\ ".join(_minus_y_over_p(y, p)
                                              for y, p in zip(s.local["y"], shown(s, "p"))) + r"\right]", lang=lang),
               *_part(s, "dL_dfc1", r"J_{\mathrm{softmax}}^{T}\,\frac{\partial L}{\partial p}"
                      r",\quad J_{ij} = \frac{\partial p_i}{\partial \mathrm{fc}_{1;j}} = p_i(\delta_{ij} - p_j)",
                      _p_minus_y(s), lang=lang),
               *_part(s, "dL_drelu1", r"W^{T}\,\frac{\partial L}{\partial \mathrm{fc}_1}",
                      rf"{_fill(hw.fc_weight.T, 'W')}\,{tensor_latex(shown(s, 'dL_dfc1'))}",
                      _degenerate(s, same_rows, lang), lang=lang),
               *_part(s, "dL_dconv1", r"[\,\mathrm{conv}_1 > 0\,] \odot \frac{\partial L}{\partial \mathrm{relu}_1}",
                      None, _ties(s, lang), lang=lang)]
    blocks += [Heading(w("hw.7", lang), 2),
               *_part(s, "dL_dW", r"\frac{\partial L}{\partial \mathrm{fc}_1}\,\mathrm{vec}(\mathrm{relu}_1)^{T}",
                      rf"{tensor_latex(shown(s, 'dL_dfc1'))}\,{tensor_latex(r, shape=False)[:-len('^{T}')]}"
                      + ("" if r.size <= BIG else _shape_note((m, n))), lang=lang)]
    # The closed forms at this input's size (no size symbol such as (H_1 + 1) mod 2 is left).
    sizes = s.derivation.sizes(hw.x[None], c0[None])
    dh = ops.rename(s.derivation.grad_weight.map_sizes(sizes), g_name).to_latex()
    blocks += [Heading(w("hw.8", lang), 2), Para(w("hw.closed_form", lang)),
               *_part(s, "dL_dh", dh, None, lang=lang)]
    dx = ops.rename(s.derivation.grad_input.map_sizes(sizes), g_name).to_latex()
    blocks += [Heading(w("hw.beyond", lang), 2), *_part(s, "dL_dx", dx, None, lang=lang)]
    if "dL_dconv_bias" in s.exact:
        # Summed over the positions of each output channel, written as a sum (not the operator's axis list).
        blocks += _part(s, "dL_dconv_bias", r"\left[\sum_{i,j} \left(\frac{\partial L}{\partial \mathrm{conv}_1}"
                        r"\right)_{o,i,j}\right]_o", None, lang=lang)
    if "dL_dfc_bias" in s.exact:
        blocks += _part(s, "dL_dfc_bias", r"\frac{\partial L}{\partial \mathrm{fc}_1}", None, lang=lang)
    blocks += [Heading(w("hw.checks", lang), 2), Para(w("hw.checks.about", lang)), check_table(s, lang)]
    if s.failed_checks():
        blocks.append(Para(w("hw.checks.failed", lang, n=len(s.failed_checks()))))
    return blocks


def _minus_y_over_p(y: Any, p: Any) -> str:
    """-y_i/p_i with p_i on one line (never a fraction over a fraction); 0 where y_i is 0."""
    return "0" if y == 0 else rf"-\dfrac{{{y}}}{{{sp.latex(p, fold_short_frac=True)}}}"


def _p_minus_y(s: Solution) -> str:
    y = s.local["y"]
    # dL/dfc1 = p - y, checked exactly on the E_j forms: rational functions, which sp.cancel decides quickly
    # (sp.simplify on the exponentials can run for many minutes).
    p, g = ((s.in_E("p"), s.in_E("dL_dfc1")) if s.involves_E("p") else (s.exact["p"], s.exact["dL_dfc1"]))
    assert all(sp.cancel(a - yi - b) == 0 for a, yi, b in zip(p, y, g)), "p - y identity"
    return (r"p - y = " + tensor_latex(np.array(shown(s, "p"), dtype=object)) + " - "
            + tensor_latex(np.array(y, dtype=object)))


def _degenerate(s: Solution, same_rows: bool, lang: str = "en") -> str:
    if any(v != 0 for v in s.exact["dL_drelu1"].reshape(-1)):
        return ""
    return w("hw.same_rows" if same_rows else "hw.vanishes", lang) + w("hw.zero_after", lang)


def _ties(s: Solution, lang: str = "en") -> str:
    near = s.near_ties()
    after = "" if not near else w("hw.near_ties", lang, where=_where(near))
    if s.relu_from_exact:
        after += w("hw.float_undecided", lang, where=_where(s.relu_from_exact))
    if not s.relu_ties:
        return w("hw.no_ties", lang) + after
    return w("hw.ties", lang, where=_where(s.relu_ties)) + after


def _where(entries: list[tuple[int, ...]]) -> str:
    return ", ".join(str(list(t)) for t in entries[:KEEP]) + (r", $\dots$" if len(entries) > KEEP else "")


def check_table(s: Solution, lang: str = "en") -> Table:
    rows = []
    for name in s.exact:
        M = s.magnitude(name)
        rows.append((f"${TITLES[name]}$", _shape_cell(s.exact[name].shape) or w("scalar", lang),
                     "$" + _power_of_ten(M) + "$",
                     _bound(s, name, "float64", lang, cell=True),
                     _bound(s, name, "finite-difference", lang, cell=True)))
    return Table((w("part", lang), w("shape", lang), w("magnitude", lang), w("float_diff", lang),
                  w("fd_diff", lang)), tuple(rows))


def _shape_cell(shape: tuple[int, ...]) -> str:
    """A shape as a reader writes it: $2 \times 4 \times 4$ (not 2x4x4); "" for a scalar."""
    return "$" + r" \times ".join(map(str, shape)) + "$" if shape else ""


def homework_blocks(s: Solution, lang: str = "en") -> list[Block]:
    return problem1_blocks(s, lang) + problem2_blocks(s, lang)


def problem1_blocks(s: Solution, lang: str = "en") -> list[Block]:
    """Problem 1: the derivation at the homework's problem 1 setting (a network's too)."""
    spec = problem1_spec(s.homework)
    # The setting read from the file's [problem1] (the seed's 3x3, padding 1, stride 1 without one).
    axes = (lambda v: str(v[0]) if len(set(v)) == 1 else ", ".join(map(str, v)))
    sep = "，" if lang == "zh" else ", "
    dilation = "" if set(spec.dilation) == {1} else f"{sep}{w('f.dilation', lang).split()[0]} {axes(spec.dilation)}"
    blocks: list[Block] = [Heading(w("hw.problem1", lang), 1), Para(w(
        "hw.p1.intro", lang, k=r"\times ".join(map(str, spec.kernel_size)),
        p=axes([lo for lo, _ in spec.pads]) if len({lo for lo, hi in spec.pads} | {hi for _, hi in spec.pads}) == 1
        else ", ".join(f"({lo}, {hi})" for lo, hi in spec.pads), s=axes(spec.stride), d=dilation))]
    blocks += derivation_blocks(derive(spec), seed_claims(spec), lang)
    return blocks


def render(s: Solution, lang: str = "en") -> tuple[str, str]:
    token = _LANG.set(lang)
    try:
        blocks = homework_blocks(s, lang)
        title = user_text(s.homework.title)
        return to_latex(blocks, title, lang=lang), to_markdown(blocks, title)
    finally:
        _LANG.reset(token)
