r"""The LaTeX of index expressions: SymPy's printer, with our tensors by their display names.

>>> import sympy as sp
>>> print(Printer({"g": r"\hat{g}"}).doprint(sp.IndexedBase("g")[sp.Symbol("n"), 2]))
\hat{g}_{n,2}
>>> print(Printer().doprint(sp.KroneckerDelta(sp.Symbol("u"), sp.Symbol("i"))))
\delta_{i,\,u}
"""

from __future__ import annotations

from typing import Any, Mapping

import sympy as sp
from sympy.printing.latex import LatexPrinter


class Printer(LatexPrinter):
    """SymPy's LaTeX printer, writing our tensors by their display names (``g`` -> ``\\hat{g}``)."""

    def __init__(self, tensor_names: Mapping[str, str] | None = None,
                 symbol_names: Mapping[sp.Symbol, str] | None = None,
                 sizes: Mapping[sp.Symbol, sp.Expr] | None = None, **settings: Any) -> None:
        super().__init__({"symbol_names": dict(symbol_names or {}), **settings})
        self._tensor_names = dict(tensor_names or {})
        self._sizes = dict(sizes or {})

    def doprint(self, expr: Any) -> str:
        # A size written out (the output size at stride 1) is put in before printing, so SymPy simplifies
        # the bounds it appears in (H^o − 1 becomes H + 2P − K).
        if self._sizes and isinstance(expr, sp.Basic):
            expr = expr.xreplace(self._sizes)
        return super().doprint(expr)

    def _print_Indexed(self, expr: sp.Indexed) -> str:
        label = str(expr.base.label)
        name = self._tensor_names.get(label, self._print(expr.base.label))
        return f"{name}_{{{','.join(self._print(i) for i in expr.indices)}}}"

    def _print_KroneckerDelta(self, expr: sp.KroneckerDelta, exp: Any = None) -> str:
        return rf"\delta_{{{self._print(expr.args[0])},\,{self._print(expr.args[1])}}}"
