"""The homework stage: problem 2's file read into exact numbers (:mod:`.inputs`) and solved exactly, every
value and gradient, with float64 and finite-difference checks (:mod:`.solution`).

>>> from symconv.homework import load, solve
>>> s = solve(load())
>>> s.exact["fc1"][0], s.exact["p"][0]
(198/5, 1/5)
"""

from __future__ import annotations

from .inputs import Homework, load, packaged
from .solution import PARTS, Solution, problem1_spec, solve

__all__ = ["Homework", "PARTS", "Solution", "load", "packaged", "problem1_spec", "solve"]
