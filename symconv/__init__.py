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

from typing import TYPE_CHECKING, Any

from .errors import DerivationError, InputError, SpecError, SymconvError, UnsupportedError

if TYPE_CHECKING:
    from .derivation.forms import Derivation
    from .derivation.spec import ConvSpec
    from .proof.attach import derive
    from .proof.checks import Verification, verify

# The rest of the public API is imported on first use (PEP 562), so that ``import symconv`` and a command
# that needs only part of it (the homework never verifies) do not pay for SymPy, NumPy and the proof stage
# up front.
_LAZY = {"ConvSpec": "derivation.spec", "Derivation": "derivation.forms", "derive": "proof.attach",
         "Verification": "proof.checks", "verify": "proof.checks"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib
        value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'symconv' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))

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
