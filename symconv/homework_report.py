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


def _part(s: Solution, name: str, formula: str, substituted: str | None, note: str = "") -> list[Block]:
    blocks: list[Block] = [Math(rf"{TITLES[name]} = {formula}")]
    if substituted:
        blocks.append(Math(rf"{TITLES[name]} = {substituted}"))
    blocks.append(Math(rf"{TITLES[name]} = {tensor_latex(s.exact[name])}"))
    if not all(sp.sympify(v).is_Integer for v in np.asarray(s.exact[name]).reshape(-1)):
        blocks.append(Math(rf"{TITLES[name]} \approx {tensor_latex(s.exact[name], _dec)}"))
    checks = [f"float64 recomputation from the same expressions: max $|\\Delta|$ = {_err(s, name, 'float64')}"]
    fd = s.max_error(name, "finite-difference")
    if fd is not None:
        checks.append(f"central finite differences of $L$: max $|\\Delta|$ = {fd:.1e}")
    blocks.append(Para("Check: " + "; ".join(checks) + "." + (" " + note if note else "")))
    return blocks


def _err(s: Solution, name: str, against: str) -> str:
    e = s.max_error(name, against)
    return "n/a" if e is None else f"{e:.1e}"


def problem2_blocks(s: Solution) -> list[Block]:
    hw = s.homework
    spec = hw.spec
    m, n = hw.fc_weight.shape
    t = hw.target
    g_name = {"g": r"\frac{\partial L}{\partial \mathrm{conv}_1}", "x": "F"}
    blocks: list[Block] = [Heading("Problem 2", 1), Para("The data (input $F$ with its channels, kernels $h$):"),
                           Math(rf"F = {tensor_latex(hw.x)}"), Math(rf"h = {tensor_latex(hw.h)}")]
    pads = ", ".join(f"({lo}, {hi})" for lo, hi in spec.pads)
    blocks.append(Para(f"Template operation with stride {spec.stride[0]}, padding {pads}, dilation "  # type: ignore
                       f"{spec.dilation[0]}; fully connected layer with {m} outputs over the {n} entries of "  # type: ignore
                       r"$\mathrm{relu}_1$ taken in (channel, row, column) order; target class "
                       f"$y_{{{t}}} = 1$."))
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
    blocks += [Heading("(1) The template operation", 2),
               *_part(s, "conv1", r"F \otimes h" + (" + b" if hw.conv_bias is not None else "") +
                      r",\quad \mathrm{conv}_{1;\,o,i,j} = \sum_{c,a,b} F_{c,\,S i + D a - P,\,S j + D b - P}\,"
                      r"h_{o,c,a,b}" + (" + b_o" if hw.conv_bias is not None else ""),
                      r"\Big(" + " + ".join(terms) + bias0 + rf" = {_num(c0[0, 0, 0])},\ \dots\Big)")]
    blocks += [Heading("(2) ReLU", 2),
               *_part(s, "relu1", r"\max(\mathrm{conv}_1, 0)", rf"\max\left({tensor_latex(c0)},\ 0\right)")]
    r = s.exact["relu1"].reshape(-1)
    fc_b = "" if hw.fc_bias is None else r" + b^{\mathrm{fc}}"
    blocks += [Heading("(3) Fully connected", 2),
               *_part(s, "fc1", r"W\,\mathrm{vec}(\mathrm{relu}_1)" + fc_b,
                      rf"{_fill(hw.fc_weight, 'W')}\,{tensor_latex(r)}"
                      + ("" if hw.fc_bias is None else rf" + {tensor_latex(hw.fc_bias)}"))]
    f = s.exact["fc1"]
    blocks += [Heading("(4) Softmax", 2),
               *_part(s, "p", r"\left[\frac{e^{\mathrm{fc}_{1;i}}}{\sum_j e^{\mathrm{fc}_{1;j}}}\right]_i",
                      rf"\left[\frac{{e^{{{_num(f[0])}}}}}{{{' + '.join(f'e^{{{_num(v)}}}' for v in f)}}},\ "
                      r"\dots\right]")]
    pt = s.exact["p"][t - 1]
    blocks += [Heading("(5) Cross-entropy", 2),
               *_part(s, "L", r"-\sum_{i} y_i \log p_i = -\log p_" + str(t), rf"-\log\left({_num(pt)}\right)",
                      "The logarithm is natural.")]
    same_rows = all(list(row) == list(hw.fc_weight[0]) for row in hw.fc_weight)
    blocks += [Heading("(6) Gradients back to the template operation", 2),
               *_part(s, "dL_dp", r"\left[-\frac{y_i}{p_i}\right]_i",
                      r"\left[" + r",\ ".join(rf"-\frac{{{y}}}{{{_num(p)}}}"
                                              for y, p in zip(s.local["y"], s.exact["p"])) + r"\right]"),
               *_part(s, "dL_dfc1", r"J_{\mathrm{softmax}}^{T}\,\frac{\partial L}{\partial p}"
                      r",\quad J_{ij} = \frac{\partial p_i}{\partial \mathrm{fc}_{1;j}} = p_i(\delta_{ij} - p_j)",
                      _p_minus_y(s)),
               *_part(s, "dL_drelu1", r"W^{T}\,\frac{\partial L}{\partial \mathrm{fc}_1}",
                      rf"{_fill(hw.fc_weight.T, 'W')}\,{tensor_latex(s.exact['dL_dfc1'])}",
                      _degenerate(s, same_rows)),
               *_part(s, "dL_dconv1", r"\mathbb{1}[\mathrm{conv}_1 > 0] \odot \frac{\partial L}{\partial \mathrm{relu}_1}",
                      None, _ties(s))]
    blocks += [Heading("(7) Gradient of the fully connected weights", 2),
               *_part(s, "dL_dW", r"\frac{\partial L}{\partial \mathrm{fc}_1}\,\mathrm{vec}(\mathrm{relu}_1)^{T}",
                      rf"{tensor_latex(s.exact['dL_dfc1'])}\,{tensor_latex(r)[:-len('^{T}')]}")]
    dh = ops.rename(s.derivation.grad_weight, g_name).to_latex()
    blocks += [Heading("(8) Gradient of the kernels", 2),
               Para("From the closed form that the engine derived for this convolution (problem 1's method):"),
               *_part(s, "dL_dh", dh, None)]
    dx = ops.rename(s.derivation.grad_input, g_name).to_latex()
    blocks += [Heading("Beyond the homework", 2), *_part(s, "dL_dx", dx, None)]
    if "dL_dconv_bias" in s.exact:
        blocks += _part(s, "dL_dconv_bias", ops.rename(s.derivation.grad_bias, g_name).to_latex(), None)
    if "dL_dfc_bias" in s.exact:
        blocks += _part(s, "dL_dfc_bias", r"\frac{\partial L}{\partial \mathrm{fc}_1}", None)
    blocks += [Heading("Checks", 2), check_table(s)]
    return blocks


def _p_minus_y(s: Solution) -> str:
    p, y = s.exact["p"], s.local["y"]
    diff = [sp.simplify(pi - yi) for pi, yi in zip(p, y)]
    assert all(sp.simplify(a - b) == 0 for a, b in zip(diff, s.exact["dL_dfc1"])), "p - y identity"
    return (r"p - y = " + tensor_latex(np.array(p, dtype=object)) + " - "
            + tensor_latex(np.array(y, dtype=object)))


def _degenerate(s: Solution, same_rows: bool) -> str:
    if any(v != 0 for v in s.exact["dL_drelu1"].reshape(-1)):
        return ""
    why = (r"Every row of $W$ is the same row $w$, so $W^{T}(p - y) = w^{T} \sum_i (p_i - y_i)$, and "
           r"$\sum_i p_i = 1 = \sum_i y_i$: the gradient vanishes. " if same_rows else
           r"$W^{T}(p - y)$ happens to vanish for these numbers. ")
    return why + (r"Every gradient before this one in the network ($\partial L/\partial \mathrm{conv}_1$, "
                  r"$\partial L/\partial h$, $\partial L/\partial x$) is therefore zero.")


def _ties(s: Solution) -> str:
    if not s.relu_ties:
        return r"No entry of $\mathrm{conv}_1$ is exactly 0, so ReLU's derivative is 0 or 1 everywhere."
    where = ", ".join(str(list(t)) for t in s.relu_ties)
    return (f"At {where} $\\mathrm{{conv}}_1$ is exactly 0: ReLU's derivative there is taken as 0 "
            "(PyTorch's convention); finite differences are one-sided there and are not compared.")


def check_table(s: Solution) -> Table:
    rows = []
    for name in s.exact:
        rows.append((f"${TITLES[name]}$", "x".join(map(str, s.exact[name].shape)) or "scalar",
                     _err(s, name, "float64"), _err(s, name, "finite-difference")))
    return Table(("part", "shape", "float64 max diff", "finite-difference max diff"), tuple(rows))


def homework_blocks(s: Solution) -> list[Block]:
    spec1 = problem1_spec(s.homework)
    d1 = derive(spec1)
    blocks: list[Block] = [Heading("Problem 1", 1),
                           Para(r"Derivatives of $L$ for $y = x \otimes h$ ($\otimes$: the template operation, "
                                r"cross-correlation without flipping the kernel), $3\times 3$ kernel, padding 1, "
                                r"stride 1, derived by symconv's engine from the definition; "
                                r"$g = \partial L/\partial y$.")]
    blocks += derivation_blocks(d1, list(d1.proofs), check_seed(d1))
    return blocks + problem2_blocks(s)


def render(s: Solution) -> tuple[str, str]:
    blocks = homework_blocks(s)
    title = user_text(s.homework.title)
    return to_latex(blocks, title), to_markdown(blocks, title)
