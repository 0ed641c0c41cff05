"""Problem 2 of a homework network of layers (issue 21): each layer's step (its rule, its input, its exact
result, decimals, checks), the loss, the gradients back to x, the ties, the degenerate parts, the checks.

Built from the homework report's own pieces (:mod:`.homework`); a part's symbol is its name (``\\mathrm{conv1}``;
one letter in italics: ``h``, ``W``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..derivation import ops
from ..derivation.exprs import as_expr
from ..wording import w
from .doc import Block, Heading, Math, Para, Table, UserText, to_latex, to_markdown, user_text
from .homework import (_LANG, KEEP, _bound, _dec_float, _display, _power_of_ten, kernel_grid, problem1_blocks,
                       tensor_latex)


def title(name: str) -> str:
    """A part's symbol: x, p, L and one-letter names in italics, others upright (``_`` escaped);
    ``dL_dNAME`` as the fraction."""
    if name.startswith("dL_d"):
        return rf"\frac{{\partial L}}{{\partial {title(name[4:])}}}"
    return name if len(name) == 1 else r"\mathrm{" + name.replace("_", r"\_") + "}"


def _step(s: Any, name: str, formula: str, lang: str, note: str = "") -> list[Block]:
    """One part: its rule, its exact value, decimals (unless every entry is an integer), its checks."""
    t = title(name)
    blocks: list[Block] = [Math(f"{t} = {formula}")] if formula else []
    blocks += _display(t, "=", s.exact[name], _num)
    if not all(as_expr(v).is_Integer for v in np.asarray(s.exact[name]).reshape(-1)):
        blocks += _display(t, r"\approx", s.floats(name), _dec_float)
    checks = [w("check.float", lang, err=_bound(s, name, "float64", lang))]
    if s.max_error(name, "finite-difference") is not None:
        checks.append(w("check.fd", lang, err=_bound(s, name, "finite-difference", lang)))
    blocks.append(Para(w("check", lang, items=w("check.sep", lang).join(checks)) + (" " + note if note else "")))
    return blocks


def _num(v: Any) -> str:
    from .homework import _num as num
    return num(v)


def _axes(v: Any) -> str:
    v = tuple(v)
    return str(v[0]) if len(set(v)) == 1 else "(" + ", ".join(map(str, v)) + ")"


def _inputs(net: Any) -> list[str]:
    """The part each layer reads (through a flatten, the part before it)."""
    out, last = [], "x"
    for layer in net.layers:
        out.append(last)
        if layer.name:
            last = layer.name
    return out


def _forward_rule(layer: Any, src: str, lang: str, flat: bool = False) -> tuple[str, str]:
    """(the rule in LaTeX, a note) of one layer's output from its input part ``src`` (``flat``: read through a
    flatten layer, as vec(src))."""
    z = title(src)
    vec = rf"\mathrm{{vec}}({z})" if flat else z
    if layer.type == "conv":
        spec = layer.spec
        b = f" + {title(layer.bias_name)}" if layer.bias_name else ""
        pads = ", ".join(f"({lo}, {hi})" for lo, hi in spec.pads)
        return (rf"{z} \otimes {title(layer.weight_name)}{b}",
                w("net.conv", lang, stride=_axes(spec.stride), pads=pads, dilation=_axes(spec.dilation),
                  groups=spec.groups))
    if layer.type == "linear":
        b = f" + {title(layer.bias_name)}" if layer.bias_name else ""
        return rf"{title(layer.weight_name)}\,{vec}{b}", ""
    if layer.type == "relu":
        return rf"\max({z}, 0)", ""
    if layer.type == "leaky_relu":
        return rf"\max({z}, 0) + {_num(layer.slope)} \min({z}, 0)", ""
    if layer.type == "sigmoid":
        return rf"\frac{{1}}{{1 + e^{{-{z}}}}}", w("net.exp", lang)
    if layer.type == "tanh":
        return rf"\tanh({z}) = \frac{{e^{{{z}}} - e^{{-{z}}}}}{{e^{{{z}}} + e^{{-{z}}}}}", w("net.exp", lang)
    K, S, P = layer.window
    note = w("net.pool", lang, k="$" + r" \times ".join(map(str, K)) + "$", stride=_axes(S), pads=_axes(P))
    if layer.type == "max_pool":
        return rf"\left[\max_{{k \in \mathrm{{window}}(o)}} {z}_k\right]_o", note + " " + w("net.max_rule", lang)
    extra = " " + w("net.avg_pad", lang) if any(P) else ""
    return (rf"\left[\frac{{1}}{{{int(np.prod(K))}}} \sum_{{k \in \mathrm{{window}}(o)}} {z}_k\right]_o",
            note + extra)


def _backward_rule(s: Any, k: int, layer: Any, src: str) -> str:
    """dL/d(src) from dL/d(layer's output), by the layer's derived rule."""
    g = title("dL_d" + layer.name) if layer.name else title("dL_d" + _after_flatten(s.homework, k))
    z = title(src)
    if layer.type == "conv":
        return _closed_form(s, k, layer, src, "grad_input")
    if layer.type == "linear":
        return rf"{title(layer.weight_name)}^{{T}}\,{g}"
    if layer.type == "relu":
        return rf"[\,{z} > 0\,] \odot {g}"
    if layer.type == "leaky_relu":
        return rf"\left([\,{z} > 0\,] + {_num(layer.slope)}\,[\,{z} \le 0\,]\right) \odot {g}"
    if layer.type == "sigmoid":
        return rf"\frac{{e^{{-{z}}}}}{{\left(1 + e^{{-{z}}}\right)^{{2}}}} \odot {g}"
    if layer.type == "tanh":
        return rf"\left(1 - \tanh^{{2}}({z})\right) \odot {g}"
    if layer.type == "max_pool":
        return rf"\left[\sum_{{o:\ k = \mathrm{{first\ argmax}}(o)}} \left({g}\right)_o\right]_k"
    if layer.type == "avg_pool":
        K = int(np.prod(layer.window[0]))
        return rf"\left[\frac{{1}}{{{K}}} \sum_{{o:\ k \in \mathrm{{window}}(o)}} \left({g}\right)_o\right]_k"
    return g


def _flattened(net: Any, src: str) -> bool:
    """Whether part ``src`` has more than one axis (a linear layer reads it through a flatten)."""
    shape = net.x.shape if src == "x" else net.output(src).out_shape
    return len(shape) > 1


def _after_flatten(net: Any, k: int) -> str:
    for layer in net.layers[k:]:
        if layer.name:
            return layer.name
    return "x"


def _closed_form(s: Any, k: int, layer: Any, src: str, which: str) -> str:
    d = s.derivations[k]
    x = np.asarray(s.exact[src] if src in s.exact else s.homework.x, dtype=object)
    g = np.asarray(s.exact["dL_d" + layer.name], dtype=object)
    sizes = d.sizes(x[None], g[None])
    names = {"g": title("dL_d" + layer.name), "x": title(src), "h": title(layer.weight_name)}
    form = {"grad_input": d.grad_input, "grad_weight": d.grad_weight}[which]
    return ops.rename(form.map_sizes(sizes), names).to_latex()


def network_blocks(s: Any, lang: str = "en") -> list[Block]:
    net = s.homework
    srcs = _inputs(net)
    rows = []
    for k, layer in enumerate(net.layers, 1):
        rows.append((str(k), UserText(layer.type), f"${title(layer.name)}$" if layer.name else "-",
                     r"$\times$".join(map(str, layer.out_shape)),
                     ", ".join(f"${title(p)}$" for p in layer.params) or "-"))
    blocks: list[Block] = [Heading(w("hw.problem2", lang), 1), Para(w("net.layers", lang)),
                           Table((w("net.col.layer", lang), w("net.col.type", lang), w("net.col.output", lang),
                                  w("shape", lang), w("net.col.params", lang)), tuple(rows)),
                           Para(w("net.data", lang)), Math(f"x = {tensor_latex(net.x)}")]
    for layer in net.layers:
        for p, v in layer.params.items():
            blocks += (kernel_grid(title(p), "=", v) if np.ndim(v) == 4 else _display(title(p), "=", v, _num))
    blocks.append(Heading(w("net.forward", lang), 2))
    for k, (layer, src) in enumerate(zip(net.layers, srcs), 1):
        if not layer.name:
            continue
        rule, note = _forward_rule(layer, src, lang, _flattened(net, src))
        blocks += [Heading(f"({k}) {layer.type.replace('_', ' ')}", 3), *_step(s, layer.name, rule, lang, note)]
    last = title(srcs[-1] if not net.layers[-1].name else net.layers[-1].name)
    blocks.append(Heading(w("net.loss", lang), 2))
    if net.loss.type == "cross_entropy":
        t = net.loss.target
        blocks += _step(s, "p", rf"\left[\frac{{e^{{{last}_i}}}}{{\sum_j e^{{{last}_j}}}}\right]_i", lang)
        blocks += _step(s, "L", rf"-\log p_{{{t}}}", lang, w("hw.natural_log", lang))
    else:
        n = int(np.prod(net.layers[-1].out_shape))
        scale = rf"\frac{{1}}{{{n}}}" if net.loss.reduction == "mean" else ""
        blocks += [Math(rf"t = {tensor_latex(net.loss.target)}"),
                   *_step(s, "L", rf"{scale}\sum_i \left({last}_i - t_i\right)^{{2}}", lang)]
    blocks += [Heading(w("net.backward", lang), 2), Para(w("net.backward.about", lang))]
    top = net.layers[-1].name
    if net.loss.type == "cross_entropy":
        blocks += _step(s, "dL_dp", r"\left[-\frac{y_i}{p_i}\right]_i", lang)
        blocks += _step(s, "dL_d" + top, r"p - y", lang)
    else:
        n = int(np.prod(net.layers[-1].out_shape)) if net.loss.reduction == "mean" else 1
        blocks += _step(s, "dL_d" + top, rf"\frac{{2}}{{{n}}}\left({last} - t\right)", lang)
    shown = {"dL_d" + top}
    for k in range(len(net.layers), 0, -1):
        layer, src = net.layers[k - 1], srcs[k - 1]
        target = "dL_d" + src
        if target in s.exact and target not in shown:
            shown.add(target)
            blocks += _step(s, target, _backward_rule(s, k, layer, src), lang)
        for p in layer.params:
            blocks += _step(s, "dL_d" + p, _param_rule(s, k, layer, src, p), lang)
    blocks += _ties(s, lang) + _degenerate(s, lang)
    blocks += [Heading(w("hw.checks", lang), 2), Para(w("hw.checks.about", lang)), _check_table(s, lang)]
    if s.failed_checks():
        blocks.append(Para(w("hw.checks.failed", lang, n=len(s.failed_checks()))))
    return blocks


def _param_rule(s: Any, k: int, layer: Any, src: str, p: str) -> str:
    g = title("dL_d" + layer.name)
    if layer.type == "conv":
        if p == layer.weight_name:
            return _closed_form(s, k, layer, src, "grad_weight")
        return rf"\left[\sum_{{i}} \left({g}\right)_{{o,i}}\right]_o"
    if p == layer.weight_name:
        vec = rf"\mathrm{{vec}}({title(src)})" if _flattened(s.homework, src) else title(src)
        return rf"{g}\,{vec}^{{T}}"
    return g


def _where(entries: list[Any]) -> str:
    return ", ".join(str(list(t)) for t in entries[:KEEP]) + (r", $\dots$" if len(entries) > KEEP else "")


def _ties(s: Any, lang: str) -> list[Block]:
    out: list[Block] = []
    net = s.homework
    for layer in net.layers:
        at = [idx for name, idx in s.ties if name == layer.name]
        if at:
            value = "0" if layer.type == "relu" else f"${_num(layer.slope)}$"
            out.append(Para(w("net.relu_ties", lang, where=_where(at), layer=f"${title(layer.name)}$", value=value)))
        at = [idx for name, idx in s.pool_ties if name == layer.name]
        if at:
            out.append(Para(w("net.pool_ties", lang, where=_where(at), layer=f"${title(layer.name)}$")))
    if not out and any(layer.type in ("relu", "leaky_relu", "max_pool") for layer in net.layers):
        out.append(Para(w("net.no_ties", lang)))
    if s.relu_from_exact:
        out.append(Para(w("net.float_undecided", lang, where=_where(s.relu_from_exact)).strip()))
    return out


def _degenerate(s: Any, lang: str) -> list[Block]:
    blocks: list[Block] = [Heading(w("net.degenerate", lang), 2)]
    if not s.degenerate:
        return blocks + [Para(w("net.no_degenerate", lang))]
    net = s.homework
    for d in s.degenerate:
        layer = net.output(d.layer) if d.layer else None
        W = title(layer.weight_name) if layer is not None and layer.weight_name else "W"
        blocks.append(Para(w(f"net.deg.{d.reason}.{d.kind}", lang, part=title(d.part), W=W,
                             layer=title(d.layer) if d.layer else "")))
    return blocks


def _check_table(s: Any, lang: str) -> Table:
    rows = []
    for name in s.exact:
        rows.append((f"${title(name)}$", "x".join(map(str, s.exact[name].shape)) or w("scalar", lang),
                     "$" + _power_of_ten(s.magnitude(name)) + "$", _bound(s, name, "float64", lang, cell=True),
                     _bound(s, name, "finite-difference", lang, cell=True)))
    return Table((w("part", lang), w("shape", lang), w("magnitude", lang), w("float_diff", lang),
                  w("fd_diff", lang)), tuple(rows))


def render(s: Any, lang: str = "en") -> tuple[str, str]:
    """The report of a network homework (.tex, .md): problem 1 as the seed's, problem 2 layer by layer."""
    token = _LANG.set(lang)
    try:
        blocks = problem1_blocks(s, lang) + network_blocks(s, lang)
        title_ = user_text(s.homework.title)
        return to_latex(blocks, title_, lang=lang), to_markdown(blocks, title_)
    finally:
        _LANG.reset(token)
