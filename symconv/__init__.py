"""symconv: derive, prove and explain the backward pass of convolutions symbolically.

Public API:

- :class:`ConvSpec` — a convolution's configuration (frozen, validated).
- :func:`derive` — closed forms of ∂L/∂x, ∂L/∂h, ∂L/∂b, obtained by SymPy and checked step by step.
- :class:`Derivation` — those closed forms, their steps, LaTeX, and ``evaluate`` (NumPy or exact).
- :mod:`symconv.numeric` — the forward pass ``conv`` and finite differences.
- Errors: :class:`SymconvError` (root), :class:`SpecError`, :class:`InputError`, :class:`UnsupportedError`,
  :class:`DerivationError`.
"""

from __future__ import annotations

from .errors import DerivationError, InputError, SpecError, SymconvError, UnsupportedError
from .spec import ConvSpec
from .derivation import Derivation, derive

__all__ = [
    "ConvSpec",
    "Derivation",
    "DerivationError",
    "InputError",
    "SpecError",
    "SymconvError",
    "UnsupportedError",
    "derive",
]
__version__ = "0.1.0"
