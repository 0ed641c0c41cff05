"""Sparse integer polynomials in numbered variables: the exact arithmetic of proofs.

L = Σ g·x·h is multilinear, so a polynomial is a dict from monomials (sorted tuples of variable numbers) to
integer coefficients, and the derivative by a variable removes it from each monomial that holds it. Arrays of
:class:`Poly` go through the closed forms' exact evaluator (NumPy object arrays) like any other number.

>>> a, b = Poly.var(0), Poly.var(1)
>>> p = (a + b) * (a + 2 * b)
>>> sorted(p.terms.items())
[((0, 0), 1), ((0, 1), 3), ((1, 1), 2)]
>>> sorted(p.diff(1).terms.items())
[((0,), 3), ((1,), 4)]
>>> p - p == 0
True
"""

from __future__ import annotations

from collections import defaultdict
from numbers import Integral
from typing import Any

import sympy as sp

Monomial = tuple[int, ...]


def _as_int(value: Any) -> int | None:
    if isinstance(value, Integral) or isinstance(value, sp.Integer):
        return int(value)
    return None


class Poly:
    __slots__ = ("terms",)

    def __init__(self, terms: dict[Monomial, int] | None = None) -> None:
        self.terms = {m: c for m, c in (terms or {}).items() if c}

    @staticmethod
    def var(number: int) -> "Poly":
        return Poly({(number,): 1})

    @staticmethod
    def lift(value: Any) -> "Poly":
        if isinstance(value, Poly):
            return value
        n = _as_int(value)
        if n is None:
            raise TypeError(f"cannot use {value!r} in an integer polynomial")
        return Poly({(): n})

    def __add__(self, other: Any) -> "Poly":
        o = Poly.lift(other)
        if not o.terms:
            return self
        out = dict(self.terms)
        for m, c in o.terms.items():
            out[m] = out.get(m, 0) + c
        return Poly(out)

    __radd__ = __add__

    def __neg__(self) -> "Poly":
        return Poly({m: -c for m, c in self.terms.items()})

    def __sub__(self, other: Any) -> "Poly":
        return self + (-Poly.lift(other))

    def __rsub__(self, other: Any) -> "Poly":
        return Poly.lift(other) - self

    def __mul__(self, other: Any) -> "Poly":
        n = _as_int(other)
        if n is not None:
            return Poly({m: c * n for m, c in self.terms.items()})
        o = Poly.lift(other)
        out: dict[Monomial, int] = defaultdict(int)
        for m1, c1 in self.terms.items():
            for m2, c2 in o.terms.items():
                out[tuple(sorted(m1 + m2))] += c1 * c2
        return Poly(out)

    __rmul__ = __mul__

    def __eq__(self, other: object) -> bool:
        try:
            return self.terms == Poly.lift(other).terms
        except TypeError:
            return NotImplemented

    def __hash__(self) -> int:
        return hash(frozenset(self.terms.items()))

    def diff(self, number: int) -> "Poly":
        out: dict[Monomial, int] = defaultdict(int)
        for m, c in self.terms.items():
            k = m.count(number)
            if k:
                i = m.index(number)
                out[m[:i] + m[i + 1:]] += c * k
        return Poly(out)

    def show(self, names: list[str]) -> str:
        """Readable form with the variables' names, e.g. ``g_0_0_1*h_0_1_2_0 + ...``."""
        if not self.terms:
            return "0"
        parts = []
        for m, c in sorted(self.terms.items()):
            body = "*".join(names[v] for v in m) or "1"
            parts.append(body if c == 1 else f"{c}*{body}")
        return " + ".join(parts)

    def __repr__(self) -> str:
        return f"Poly({self.terms!r})"
