"""The public name of the homework file reader (README: ``from symconv.inputs import load``); it lives in
the homework stage, :mod:`symconv.homework.inputs`."""

from __future__ import annotations

from .homework.inputs import Homework, load, packaged, parse

__all__ = ["Homework", "load", "packaged", "parse"]
