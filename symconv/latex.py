r"""LaTeX and Markdown building blocks: a SymPy printer for our tensors, escaping, and document wrappers.

>>> print(escape_latex(r"50% of {x} & \ more_"))
50\% of \{x\} \& \textbackslash{} more\_
>>> import sympy as sp
>>> print(Printer({"g": r"\hat{g}"}).doprint(sp.IndexedBase("g")[sp.Symbol("n"), 2]))
\hat{g}_{n,2}
"""

from __future__ import annotations

from typing import Any, Mapping

import sympy as sp
from sympy.printing.latex import LatexPrinter

_ESCAPES = {
    "\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "$": r"\$", "&": r"\&", "#": r"\#", "%": r"\%",
    "_": r"\_", "^": r"\textasciicircum{}", "~": r"\textasciitilde{}",
}


def escape_latex(text: str) -> str:
    """Make any user string safe as LaTeX text: every special character becomes a literal."""
    return "".join(_ESCAPES.get(ch, ch) for ch in text)


def escape_markdown(text: str) -> str:
    """Make a user string inert in Markdown (no links, emphasis, HTML or math)."""
    return "".join("\\" + ch if ch in "\\`*_{}[]()#+-.!|<>$&~" else ch for ch in text)


class Printer(LatexPrinter):
    """SymPy's LaTeX printer, writing our tensors by their display names (``g`` -> ``\\hat{g}``)."""

    def __init__(self, tensor_names: Mapping[str, str] | None = None,
                 symbol_names: Mapping[sp.Symbol, str] | None = None, **settings: Any) -> None:
        super().__init__({"symbol_names": dict(symbol_names or {}), **settings})
        self._tensor_names = dict(tensor_names or {})

    def _print_Indexed(self, expr: sp.Indexed) -> str:
        label = str(expr.base.label)
        name = self._tensor_names.get(label, self._print(expr.base.label))
        return f"{name}_{{{','.join(self._print(i) for i in expr.indices)}}}"

    def _print_KroneckerDelta(self, expr: sp.KroneckerDelta, exp: Any = None) -> str:
        return rf"\delta_{{{self._print(expr.args[0])},\,{self._print(expr.args[1])}}}"


def document(body: str, title: str, packages: tuple[str, ...] = (), lang: str = "en") -> str:
    """A complete, self-contained LaTeX document (title already escaped by the caller).

    Chinese documents use ctex (compiled with XeLaTeX) and its Fandol fonts, which TeX Live ships.
    """
    uses = "\n".join(rf"\usepackage{{{p}}}" for p in ("amsmath", "amssymb", "geometry", *packages))
    cls = "\\documentclass[11pt,UTF8,fontset=fandol]{ctexart}" if lang == "zh" else "\\documentclass[11pt]{article}"
    return (f"{cls}\n{uses}\n\\geometry{{margin=2cm}}\n"
            f"\\allowdisplaybreaks\n\\title{{{title}}}\n\\date{{}}\n\\begin{{document}}\n\\maketitle\n"
            f"{body}\n\\end{{document}}\n")
