"""``as_expr``: a SymPy object from an internal value, without ever parsing a string.

>>> as_expr(3), as_expr(0.5)
(3, 0.500000000000000)
>>> as_expr("1+1")
Traceback (most recent call last):
...
TypeError: as_expr takes SymPy objects and numbers, never strings: '1+1'
"""

from __future__ import annotations

from numbers import Number
from typing import Any

import sympy as sp


def as_expr(value: Any) -> sp.Basic:
    if isinstance(value, sp.Basic):
        return value
    if isinstance(value, Number) and not isinstance(value, bool):
        return sp.Float(value) if isinstance(value, float) else sp.Integer(int(value))  # type: ignore[call-overload]
    raise TypeError(f"as_expr takes SymPy objects and numbers, never strings: {value!r}")
