"""The homework report: problem 1 from the engine, problem 2 part by part, every step checked."""

from __future__ import annotations

from typing import Any

import numpy as np
import sympy as sp

from . import ops
from .derivation import derive
from .doc import Block, Heading, Math, Para, Table, to_latex, to_markdown, user_text
from .homework import Solution, problem1_spec
from .report import derivation_blocks
from .seed import check_seed
from .wording import w
from .exprs import as_expr

TITLES = {
    "conv1": r"\mathrm{conv}_1", "relu1": r"\mathrm{relu}_1", "fc1": r"\mathrm{fc}_1", "p": "p", "L": "L",
    "dL_dp": r"\frac{\partial L}{\partial p}", "dL_dfc1": r"\frac{\partial L}{\partial \mathrm{fc}_1}",
    "dL_drelu1": r"\frac{\partial L}{\partial \mathrm{relu}_1}",
    "dL_dconv1": r"\frac{\partial L}{\partial \mathrm{conv}_1}", "dL_dW": r"\frac{\partial L}{\partial W}",
    "dL_dh": r"\frac{\partial L}{\partial h}", "dL_dx": r"\frac{\partial L}{\partial x}",
    "dL_dconv_bias": r"\frac{\partial L}{\partial b^{\mathrm{conv}}}",
    "dL_dfc_bias": r"\frac{\partial L}{\partial b^{\mathrm{fc}}}",
}


def _num(v: Any) -> str:
    return sp.latex(v)


def _dec(v: Any) -> str:
    f = float(sp.N(v, 30))
    text = f"{f:.6g}"
    return "0" if text == "-0" else text


def tensor_latex(a: np.ndarray, fmt: Any = _num) -> str:
    """Scalars as they are, vectors as transposed rows, matrices as bmatrix, 3-D as channel matrices, 4-D
    as a block matrix (output channel by input channel)."""
    a = np.asarray(a, dtype=object)
    if a.ndim == 0:
        return fmt(a[()])
    if a.ndim == 1:
        return r"\begin{bmatrix} " + " & ".join(fmt(v) for v in a) + r" \end{bmatrix}^{T}"
    if a.ndim == 2:
        rows = [" & ".join(fmt(v) for v in row) for row in a]
        return r"\begin{bmatrix} " + r" \\ ".join(rows) + r" \end{bmatrix}"
    if a.ndim == 3:
        return r",\ ".join(tensor_latex(c, fmt) for c in a)
    rows = [" & ".join(tensor_latex(k, fmt) for k in row) for row in a]
    return r"\begin{bmatrix} " + r" \\ ".join(rows) + r" \end{bmatrix}"


def _fill(a: np.ndarray, name: str) -> str:
    """A matrix whose entries are all equal is written as that value times a matrix of ones."""
    flat = list(a.reshape(-1))
    if len(set(flat)) == 1:
        return rf"{_num(flat[0])}\cdot \mathbf{{1}}_{{{a.shape[0]}\times {a.shape[1]}}}"
    return tensor_latex(a)


def _part(s: Solution, name: str, formula: str, substituted: str | None, note: str = "",
          lang: str = "en") -> list[Block]:
    blocks: list[Block] = [Math(rf"{TITLES[name]} = {formula}")]
    if substituted:
        blocks.append(Math(rf"{TITLES[name]} = {substituted}"))
    blocks.append(Math(rf"{TITLES[name]} = {tensor_latex(s.exact[name])}"))
    if not all(as_expr(v).is_Integer for v in np.asarray(s.exact[name]).reshape(-1)):
        blocks.append(Math(rf"{TITLES[name]} \approx {tensor_latex(s.exact[name], _dec)}"))
    checks = [w("check.float", lang, err=_err(s, name, "float64"))]
    fd = s.max_error(name, "finite-difference")
    if fd is not None:
        checks.append(w("check.fd", lang, err=f"{fd:.1e}"))
    blocks.append(Para(w("check", lang, items="; ".join(checks)) + (" " + note if note else "")))
    return blocks


def _err(s: Solution, name: str, against: str) -> str:
    e = s.max_error(name, against)
    return "n/a" if e is None else f"{e:.1e}"


def problem2_blocks(s: Solution, lang: str = "en") -> list[Block]:
    hw = s.homework
    spec = hw.spec
    m, n = hw.fc_weight.shape
    t = hw.target
    g_name = {"g": r"\frac{\partial L}{\partial \mathrm{conv}_1}", "x": "F"}
    blocks: list[Block] = [Heading(w("hw.problem2", lang), 1), Para(w("hw.data", lang)),
                           Math(rf"F = {tensor_latex(hw.x)}"), Math(rf"h = {tensor_latex(hw.h)}")]
    pads = ", ".join(f"({lo}, {hi})" for lo, hi in spec.pads)
    blocks.append(Para(w("hw.setting", lang, stride=spec.stride[0], pads=pads,  # type: ignore[index]
                         dilation=spec.dilation[0], m=m, n=n, t=t)))  # type: ignore[index]
    x0, c0 = hw.x, s.exact["conv1"]
    # (1) one entry written out: the products that make conv1[0, 0, 0].
    K1, K2 = hw.h.shape[2:]
    (lo1, _), (lo2, _) = spec.pads
    S1, S2 = spec.stride  # type: ignore[misc]
    D1, D2 = spec.dilation  # type: ignore[misc]
    terms = []
    for c in range(hw.x.shape[0]):
        for a in range(K1):
            for b in range(K2):
                u, v = D1 * a - lo1, D2 * b - lo2
                xv = x0[c, u, v] if 0 <= u < x0.shape[1] and 0 <= v < x0.shape[2] else 0
                terms.append(rf"({_num(xv)})({_num(hw.h[0, c, a, b])})")
    bias0 = "" if hw.conv_bias is None else f" + ({_num(hw.conv_bias[0])})"
    blocks += [Heading(w("hw.1", lang), 2),
               *_part(s, "conv1", r"F \otimes h" + (" + b" if hw.conv_bias is not None else "") +
                      r",\quad \mathrm{conv}_{1;\,o,i,j} = \sum_{c,a,b} F_{c,\,S i + D a - P,\,S j + D b - P}\,"
                      r"h_{o,c,a,b}" + (" + b_o" if hw.conv_bias is not None else ""),
                      r"\Big(" + " + ".join(terms) + bias0 + rf" = {_num(c0[0, 0, 0])},\ \dots\Big)", lang=lang)]
    blocks += [Heading(w("hw.2", lang), 2),
               *_part(s, "relu1", r"\max(\mathrm{conv}_1, 0)", rf"\max\left({tensor_latex(c0)},\ 0\right)",
                      lang=lang)]
    r = s.exact["relu1"].reshape(-1)
    fc_b = "" if hw.fc_bias is None else r" + b^{\mathrm{fc}}"
    blocks += [Heading(w("hw.3", lang), 2),
               *_part(s, "fc1", r"W\,\mathrm{vec}(\mathrm{relu}_1)" + fc_b,
                      rf"{_fill(hw.fc_weight, 'W')}\,{tensor_latex(r)}"
                      + ("" if hw.fc_bias is None else rf" + {tensor_latex(hw.fc_bias)}"), lang=lang)]
    f = s.exact["fc1"]
    blocks += [Heading(w("hw.4", lang), 2),
               *_part(s, "p", r"\left[\frac{e^{\mathrm{fc}_{1;i}}}{\sum_j e^{\mathrm{fc}_{1;j}}}\right]_i",
                      rf"\left[\frac{{e^{{{_num(f[0])}}}}}{{{' + '.join(f'e^{{{_num(v)}}}' for v in f)}}},\ "
                      r"\dots\right]", lang=lang)]
    pt = s.exact["p"][t - 1]
    blocks += [Heading(w("hw.5", lang), 2),
               *_part(s, "L", r"-\sum_{i} y_i \log p_i = -\log p_" + str(t), rf"-\log\left({_num(pt)}\right)",
                      w("hw.natural_log", lang), lang=lang)]
    same_rows = all(list(row) == list(hw.fc_weight[0]) for row in hw.fc_weight)
    blocks += [Heading(w("hw.6", lang), 2),
               *_part(s, "dL_dp", r"\left[-\frac{y_i}{p_i}\right]_i",
                      r"\left[" + r",\ ".join(rf"-\frac{{{y}}}{{{_num(p)}}}"
                                              for y, p in zip(s.local["y"], s.exact["p"])) + r"\right]", lang=lang),
               *_part(s, "dL_dfc1", r"J_{\mathrm{softmax}}^{T}\,\frac{\partial L}{\partial p}"
                      r",\quad J_{ij} = \frac{\partial p_i}{\partial \mathrm{fc}_{1;j}} = p_i(\delta_{ij} - p_j)",
                      _p_minus_y(s), lang=lang),
               *_part(s, "dL_drelu1", r"W^{T}\,\frac{\partial L}{\partial \mathrm{fc}_1}",
                      rf"{_fill(hw.fc_weight.T, 'W')}\,{tensor_latex(s.exact['dL_dfc1'])}",
                      _degenerate(s, same_rows, lang), lang=lang),
               *_part(s, "dL_dconv1", r"\mathbb{1}[\mathrm{conv}_1 > 0] \odot \frac{\partial L}{\partial \mathrm{relu}_1}",
                      None, _ties(s, lang), lang=lang)]
    blocks += [Heading(w("hw.7", lang), 2),
               *_part(s, "dL_dW", r"\frac{\partial L}{\partial \mathrm{fc}_1}\,\mathrm{vec}(\mathrm{relu}_1)^{T}",
                      rf"{tensor_latex(s.exact['dL_dfc1'])}\,{tensor_latex(r)[:-len('^{T}')]}", lang=lang)]
    dh = ops.rename(s.derivation.grad_weight, g_name).to_latex()
    blocks += [Heading(w("hw.8", lang), 2), Para(w("hw.closed_form", lang)),
               *_part(s, "dL_dh", dh, None, lang=lang)]
    dx = ops.rename(s.derivation.grad_input, g_name).to_latex()
    blocks += [Heading(w("hw.beyond", lang), 2), *_part(s, "dL_dx", dx, None, lang=lang)]
    if "dL_dconv_bias" in s.exact:
        blocks += _part(s, "dL_dconv_bias", ops.rename(s.derivation.grad_bias, g_name).to_latex(), None,
                        lang=lang)
    if "dL_dfc_bias" in s.exact:
        blocks += _part(s, "dL_dfc_bias", r"\frac{\partial L}{\partial \mathrm{fc}_1}", None, lang=lang)
    blocks += [Heading(w("hw.checks", lang), 2), check_table(s, lang)]
    return blocks


def _p_minus_y(s: Solution) -> str:
    p, y = s.exact["p"], s.local["y"]
    diff = [sp.simplify(pi - yi) for pi, yi in zip(p, y)]
    assert all(sp.simplify(a - b) == 0 for a, b in zip(diff, s.exact["dL_dfc1"])), "p - y identity"
    return (r"p - y = " + tensor_latex(np.array(p, dtype=object)) + " - "
            + tensor_latex(np.array(y, dtype=object)))


def _degenerate(s: Solution, same_rows: bool, lang: str = "en") -> str:
    if any(v != 0 for v in s.exact["dL_drelu1"].reshape(-1)):
        return ""
    return w("hw.same_rows" if same_rows else "hw.vanishes", lang) + w("hw.zero_after", lang)


def _ties(s: Solution, lang: str = "en") -> str:
    if not s.relu_ties:
        return w("hw.no_ties", lang)
    return w("hw.ties", lang, where=", ".join(str(list(t)) for t in s.relu_ties))


def check_table(s: Solution, lang: str = "en") -> Table:
    rows = []
    for name in s.exact:
        rows.append((f"${TITLES[name]}$", "x".join(map(str, s.exact[name].shape)) or w("scalar", lang),
                     _err(s, name, "float64"), _err(s, name, "finite-difference")))
    return Table((w("part", lang), w("shape", lang), w("float_diff", lang), w("fd_diff", lang)), tuple(rows))


def homework_blocks(s: Solution, lang: str = "en") -> list[Block]:
    d1 = derive(problem1_spec(s.homework))
    blocks: list[Block] = [Heading(w("hw.problem1", lang), 1), Para(w("hw.p1.intro", lang))]
    blocks += derivation_blocks(d1, list(d1.proofs), check_seed(d1), lang)
    return blocks + problem2_blocks(s, lang)


def render(s: Solution, lang: str = "en") -> tuple[str, str]:
    blocks = homework_blocks(s, lang)
    title = user_text(s.homework.title)
    return to_latex(blocks, title, lang=lang), to_markdown(blocks, title)
