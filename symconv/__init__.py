"""symconv: derive, prove and explain the backward pass of convolutions symbolically.

Public API:

- :class:`ConvSpec` — a convolution's configuration (frozen, validated).
- :func:`derive` — closed forms of ∂L/∂x, ∂L/∂h, ∂L/∂b, obtained by SymPy and checked step by step.
- :class:`Derivation` — those closed forms, their steps, LaTeX, and ``evaluate`` (NumPy or exact).
- :func:`verify` / :class:`Verification` — exact proofs and tests at any size (``exact``, ``identity``,
  ``finite-difference``, ``torch``).
- :mod:`symconv.numeric` — the forward pass ``conv`` and finite differences.
- :mod:`symconv.homework`, :mod:`symconv.inputs` — the homework solved exactly; :mod:`symconv.grading.answers`,
  :mod:`symconv.grading` — answers in LaTeX read and graded.
- Errors: :class:`SymconvError` (root), :class:`SpecError`, :class:`InputError`, :class:`UnsupportedError`,
  :class:`DerivationError`.
"""

from __future__ import annotations

from .errors import DerivationError, InputError, SpecError, SymconvError, UnsupportedError
from .derivation.spec import ConvSpec
from .derivation.forms import Derivation
from .proof.attach import derive
from .proof.checks import Verification, verify

__all__ = [
    "ConvSpec",
    "Derivation",
    "DerivationError",
    "InputError",
    "SpecError",
    "SymconvError",
    "UnsupportedError",
    "Verification",
    "derive",
    "verify",
]
__version__ = "0.1.0"
