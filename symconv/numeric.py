"""The public name of the forward pass and of finite differences (README: ``from symconv.numeric import
conv``); they live in the derivation stage, :mod:`symconv.derivation.numeric`."""

from __future__ import annotations

from .derivation.numeric import central_difference, conv, finite_difference_grads

__all__ = ["central_difference", "conv", "finite_difference_grads"]
