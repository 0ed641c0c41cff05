"""The problem-1 figure: which entries of ∂L/∂y one input entry meets, and through which kernel entries.

For an input entry u (the centre of a small input), the definition y[i] = Σ_a x[S·i + D·a − P]·h[a] pairs u
with every (i, a) such that S·i + D·a − P = u. The figure shows u in x, those i in g = ∂L/∂y (labelled with
the entry of rot180(h) each one meets, K−1−a), the same entries in dilate(g, S) when the stride is above 1,
and the kernel entries used. One geometry is drawn twice: TikZ for the .tex, SVG for the .md.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from ..proof.exact import small_input_size
from ..derivation.spec import ConvSpec

CELL_CM, CELL_PX = 0.5, 30   # a cell holds its label ("10,12") at 6 pt in TeX, 11 px in the SVG


@dataclass(frozen=True)
class Panel:
    title: str
    rows: int
    cols: int
    filled: dict[tuple[int, int], str]      # cell -> label ("" for no label)
    grey: frozenset[tuple[int, int]] = frozenset()


def panels(spec: ConvSpec, lang: str = "en") -> list[Panel]:
    size = tuple(max(n, d * (k - 1) + 1) for n, d, k in zip(small_input_size(spec, 4), spec.dilation,
                                                              spec.kernel_size))  # type: ignore[arg-type]
    out = spec.output_size(size)
    axes = min(2, spec.ndim)
    # Per axis: the (i, a) with S*i + D*a - P_low = u, for the u nearest the centre that some output meets
    # (at stride 2 and dilation 2 the centre itself may be met by none: the figure would show nothing).
    def meets(k: int, v: int) -> list[tuple[int, int]]:
        S, D, K, (lo, _) = spec.stride[k], spec.dilation[k], spec.kernel_size[k], spec.pads[k]  # type: ignore
        return [(i, a) for i in range(out[k]) for a in range(K) if S * i + D * a - lo == v]
    u = tuple(min(range(n), key=lambda v: (not meets(k, v), abs(v - n // 2), v))
              for k, n in enumerate(size[:axes]))
    pairs = [meets(k, u[k]) for k in range(axes)]
    def grid(v: tuple[int, ...]) -> tuple[int, int]:
        return (v[0], v[1]) if axes == 2 else (0, v[0])
    def shape(v: tuple[int, ...]) -> tuple[int, int]:
        return (v[0], v[1]) if axes == 2 else (1, v[0])
    touched: dict[tuple[int, int], str] = {}
    used: dict[tuple[int, int], str] = {}
    kernel = tuple(spec.kernel_size[:axes])  # type: ignore[index]
    for combo in itertools.product(*pairs):
        i = tuple(p[0] for p in combo)
        rot = tuple(kk - 1 - p[1] for kk, p in zip(kernel, combo))
        label = ",".join(map(str, rot))
        touched[grid(i)] = label
        used[grid(rot)] = label
    names = {"en": ("input x", "g = ∂L/∂y", "dilate(g, S)", "rot180(swap_io(h))"),
             "zh": ("输入 x", "g = ∂L/∂y", "dilate(g, S)", "rot180(swap_io(h))")}[lang]
    result = [Panel(names[0], *shape(size[:axes]), {grid(u): "u"}),
              Panel(names[1], *shape(out[:axes]), touched)]
    strides = tuple(spec.stride[:axes])  # type: ignore[index]
    if any(s > 1 for s in strides):
        dil = tuple((n - 1) * s + 1 for n, s in zip(out[:axes], strides))
        rows, cols = shape(dil)
        grey = frozenset((r, c) for r in range(rows) for c in range(cols)
                         if (axes == 2 and (r % strides[0] or c % strides[1])) or (axes == 1 and c % strides[0]))
        moved = {((r * strides[0], c * strides[1]) if axes == 2 else (0, c * strides[0])): lab
                 for (r, c), lab in touched.items()}
        result.append(Panel(names[2], rows, cols, moved, grey))
    result.append(Panel(names[3], *shape(kernel), used))
    return result


def _offsets(ps: list[Panel]) -> list[int]:
    xs, x = [], 0
    for p in ps:
        xs.append(x)
        x += p.cols + 2
    return xs


# Panel titles in LaTeX (the SVG writes the plain ones): the reader's notation, not program names.
_TEX_TITLES = {"g = ∂L/∂y": r"$g = \partial L/\partial y$", "dilate(g, S)": r"$\operatorname{dilate}_S(g)$",
               "rot180(swap_io(h))": r"$\operatorname{rot180}(\operatorname{swap}_{io}(h))$"}
LABEL_PT = 6     # a cell's label, in points: never scaled (a figure wider than the line wraps its panels)


def tikz(spec: ConvSpec, lang: str = "en") -> str:
    r"""The panels as TikZ pictures side by side, each its own box, so that TeX wraps them onto the next line
    when they are wider than the line: the figure is never scaled, its labels stay at LABEL_PT points.

    >>> pictures = tikz(ConvSpec(2, 2, 3, stride=2, padding=1))
    >>> pictures.count(r"\begin{tikzpicture}"), r"\tiny" in pictures, "adjustbox" in pictures
    (4, False, False)
    """
    pictures = []
    for p in panels(spec, lang):
        lines = [rf"\begin{{tikzpicture}}[x={CELL_CM}cm,y={CELL_CM}cm,font=\small,"
                 r"baseline=(current bounding box.north)]",
                 rf"\node[anchor=south] at ({p.cols / 2},0.3) {{{_TEX_TITLES.get(p.title, _tex(p.title))}}};"]
        for r in range(p.rows):
            for c in range(p.cols):
                fill = "orange!60" if (r, c) in p.filled else ("black!15" if (r, c) in p.grey else "white")
                lines.append(rf"\filldraw[fill={fill},draw=black!60] ({c},{-r - 1}) rectangle ({c + 1},{-r});")
                if p.filled.get((r, c)):
                    lines.append(rf"\node[font=\fontsize{{{LABEL_PT}}}{{{LABEL_PT}}}\selectfont] at "
                                 rf"({c + 0.5},{-r - 0.5}) {{{p.filled[(r, c)]}}};")
        lines.append(r"\end{tikzpicture}")
        pictures.append("\n".join(lines))
    # Glue between the pictures: where TeX may break the line.
    return "\n\\hspace{2em plus 1em}\n".join(pictures)


def _tex(text: str) -> str:
    return text.replace("_", r"\_")


def svg(spec: ConvSpec, lang: str = "en") -> str:
    ps = panels(spec, lang)
    offsets = _offsets(ps)
    # Wide enough for the grids and for every title centred over its grid (a monospace character of the
    # 12 px titles is about 0.6 em wide), so that "rot180(swap_io(h))" is not cut at the right edge.
    titles = max((x0 + p.cols / 2) * CELL_PX + len(p.title) * 0.6 * 12 / 2 for p, x0 in zip(ps, offsets))
    width = int(max((offsets[-1] + ps[-1].cols + 1) * CELL_PX, titles + CELL_PX / 2))
    height = (max(p.rows for p in ps) + 3) * CELL_PX
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'font-family="monospace" font-size="12">', f'<rect width="{width}" height="{height}" fill="white"/>']
    for p, x0 in zip(ps, offsets):
        out.append(f'<text x="{(x0 + p.cols / 2) * CELL_PX:.1f}" y="{CELL_PX:.1f}" text-anchor="middle">'
                   f'{_xml(p.title)}</text>')
        for r in range(p.rows):
            for c in range(p.cols):
                fill = "#f5a04b" if (r, c) in p.filled else ("#d9d9d9" if (r, c) in p.grey else "white")
                x, y = (x0 + c) * CELL_PX, (r + 2) * CELL_PX
                out.append(f'<rect x="{x}" y="{y}" width="{CELL_PX}" height="{CELL_PX}" fill="{fill}" '
                           f'stroke="#666"/>')
                if p.filled.get((r, c)):
                    out.append(f'<text x="{x + CELL_PX / 2:.1f}" y="{y + CELL_PX * 0.7:.1f}" '
                               f'text-anchor="middle" font-size="11">{_xml(p.filled[(r, c)])}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def _xml(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
