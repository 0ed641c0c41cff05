r"""Exact numbers of any length, printed for people: an integer of more than :data:`DIGITS` digits is written
as its first and last :data:`EDGE` digits with its digit count.

Python refuses to turn an integer of more than 4,300 digits into text (a guard against quadratic work), and a
homework inside every stated limit reaches that: 144 inputs with distinct 40-digit denominators summed into
one conv1 entry give a 5,600-digit denominator. The shortened form needs no conversion of the whole number:

>>> short_int(7 ** 6000)
'387471...600001 (5,071 digits)'
>>> short_str(sp.Rational(1, 3) + sp.Rational(1, 10 ** 300 + 1))
'100000...000004/300000...000003 (301 digits, 301 digits)'
>>> short_latex(-sp.Rational(7 ** 6000, 3))
'- \\frac{387471\\ldots600001\\ (\\text{5,071 digits})}{3}'
>>> short_str(sp.exp(-sp.Rational(2, 3)))
'exp(-2/3)'
"""

from __future__ import annotations

from typing import Any

import sympy as sp
from sympy.printing.latex import LatexPrinter
from sympy.printing.str import StrPrinter

from ..wording import w

DIGITS = 200    # an integer with more digits is shortened
EDGE = 6        # digits kept at each end


def digit_count(n: int) -> int:
    """The number of decimal digits of |n|, without converting it to text."""
    n = abs(n)
    if n < 10:
        return 1
    d = int(n.bit_length() * 0.30102999566398120)      # log10(2); off by at most one
    return d + 1 if n >= 10 ** d else d


def _parts(n: int) -> tuple[str, str, int] | None:
    """(first digits, last digits, count) for a huge integer; None when it is printed whole."""
    d = digit_count(n)
    if d <= DIGITS:
        return None
    n = abs(n)
    return str(n // 10 ** (d - EDGE)), str(n % 10 ** EDGE).zfill(EDGE), d


def short_int(n: int, lang: str = "en") -> str:
    parts = _parts(n)
    if parts is None:
        return str(n)
    head, tail, d = parts
    return f"{'-' if n < 0 else ''}{head}...{tail} ({w('digits', lang, n=f'{d:,}')})"


class _ShortStr(StrPrinter):
    def _print_Integer(self, expr: Any) -> str:
        return short_int(int(expr.p))

    def _print_Rational(self, expr: Any) -> str:
        p, q = _parts(int(expr.p)), _parts(int(expr.q))
        if p is None and q is None:
            return super()._print_Rational(expr)
        # One count note at the end, so that the fraction still reads as numerator/denominator.
        texts = [str(int(v)) if part is None else f"{'-' if v < 0 else ''}{part[0]}...{part[1]}"
                 for v, part in ((expr.p, p), (expr.q, q))]
        counts = ", ".join(w("digits", "en", n=f"{digit_count(int(v)):,}") for v in (expr.p, expr.q))
        return f"{texts[0]}/{texts[1]} ({counts})"


class _ShortLatex(LatexPrinter):
    def __init__(self, lang: str = "en", **settings: Any) -> None:
        super().__init__(settings)
        self.lang = lang

    def _int(self, n: int) -> str:
        parts = _parts(n)
        if parts is None:
            return str(n)
        head, tail, d = parts
        return (f"{'-' if n < 0 else ''}{head}\\ldots{tail}\\ "
                f"(\\text{{{w('digits', self.lang, n=f'{d:,}')}}})")

    def _print_Integer(self, expr: Any) -> str:
        return self._int(int(expr.p))

    def _print_Rational(self, expr: Any) -> str:
        if _parts(int(expr.p)) is None and _parts(int(expr.q)) is None:
            return super()._print_Rational(expr)
        sign = "- " if expr.p < 0 else ""
        return rf"{sign}\frac{{{self._int(abs(int(expr.p)))}}}{{{self._int(int(expr.q))}}}"


def short_str(v: Any) -> str:
    """``str(v)`` for a SymPy value, with every huge integer in it shortened."""
    return _ShortStr().doprint(sp.Integer(v) if isinstance(v, int) else v)


def short_latex(v: Any, lang: str = "en") -> str:
    """``sp.latex(v)``, with every huge integer in it shortened."""
    return _ShortLatex(lang).doprint(sp.Integer(v) if isinstance(v, int) else v)
