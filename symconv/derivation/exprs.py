"""``as_expr``: a SymPy object from an internal value, without ever parsing a string; ``numpy_function``:
an expression as a function of NumPy arrays.

>>> as_expr(3), as_expr(0.5)
(3, 0.500000000000000)
>>> as_expr("1+1")
Traceback (most recent call last):
...
TypeError: as_expr takes SymPy objects and numbers, never strings: '1+1'
>>> import numpy as np
>>> i, j = sp.symbols("i j", integer=True)
>>> numpy_function([i, j], [2 * i + j, sp.floor(i / 2)])(np.arange(4), 1)      # NumPy's floor: floats
[array([1, 3, 5, 7]), array([0., 0., 1., 1.])]
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


def numpy_function(args: Any, expr: Any, functions: dict[str, Any] | None = None) -> Any:
    """``sympy.lambdify(args, expr, "numpy")`` without ``"numpy"`` in lambdify's module list, which runs
    ``from numpy import *`` and so loads NumPy's testing, f2py, ma ... submodules (~50 ms of a cold start):
    NumPy's printer imports just the functions it writes. ``functions`` maps further names to callables."""
    from sympy.printing.numpy import NumPyPrinter
    functions = dict(functions or {})
    printer = NumPyPrinter({"fully_qualified_modules": False, "inline": True, "allow_unknown_functions": True,
                            "user_functions": {k: k for k in functions}})
    return sp.lambdify(args, expr, [functions] if functions else [{}], printer=printer)
