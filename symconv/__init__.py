"""symconv: derive, prove and explain the backward pass of convolutions symbolically.

Public API:

- :class:`ConvSpec` — a convolution's configuration (frozen, validated).
- :func:`derive` — closed forms of ∂L/∂x, ∂L/∂h, ∂L/∂b, obtained by SymPy and checked step by step.
- :class:`Derivation` — those closed forms, their steps, ``to_latex()`` (the step-by-step derivation as a
  LaTeX fragment), and ``evaluate`` (NumPy or exact).
- :func:`verify` / :class:`Verification` — exact proofs and tests at any size (``exact``, ``identity``,
  ``finite-difference``, ``torch``).
- :mod:`symconv.numeric` — the forward pass ``conv`` and finite differences.
- :mod:`symconv.homework`, :mod:`symconv.inputs` — the homework solved exactly; :mod:`symconv.grading.answers`,
  :mod:`symconv.grading` — answers in LaTeX read and graded.

Each is an attribute after ``import symconv`` (``symconv.numeric.conv``, ``symconv.inputs.load``), imported on
first use. Every name of ``__all__`` and every promise above is run by ``tests/test_api.py``.
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
# The public modules, attributes of the package as soon as it is imported (``symconv.numeric.conv``).
_MODULES = ("grading", "homework", "inputs", "numeric")


def __getattr__(name: str) -> Any:
    import importlib
    if name in _LAZY:
        value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    elif name in _MODULES:
        value = importlib.import_module(f".{name}", __name__)
    else:
        raise AttributeError(f"module 'symconv' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY) | set(_MODULES))

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
    "grading",
    "homework",
    "inputs",
    "numeric",
    "verify",
]
__version__ = "0.1.0"
