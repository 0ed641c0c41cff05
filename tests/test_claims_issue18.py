"""Issue 18's findings about claims and formula answers: each test failed on the code before the change."""

from __future__ import annotations

import functools
import subprocess
import sys

import numpy as np
import pytest

from symconv import ConvSpec
from symconv.grading.formulas import grade_formula
from symconv.grading.grade import Grade
from symconv.homework import load, packaged
from symconv.homework.solution import solve
from symconv.proof.claims import parse, prove_claim, size_values

from conftest import random_arrays, torch_grads


@functools.lru_cache(maxsize=1)
def _solution():  # type: ignore[no-untyped-def]
    return solve(load(packaged()))


def _grade(part: str, latex: str) -> Grade:
    return grade_formula(part, latex, _solution(), Grade)


def _value(form_text: str, spec: ConvSpec, size: tuple[int, ...], seed: int = 0) -> tuple[np.ndarray, dict]:
    x, h, g, b = random_arrays(spec, size, seed=seed)
    env = {"x": x, "h": h, "g": g} | ({"b": b} if b is not None else {})
    sizes = size_values(spec, x.shape[0], size)
    return parse(form_text, spec.ndim).evaluate(env, sizes), torch_grads(spec, x, h, g, b)


def test_a_formula_is_graded_as_written_not_as_reprinted():
    # 3 mod (K_1 + 1) is 3 at K = 3: a padding of 3, wrong. Its old reprint "3 mod K_1 + 1" is 1, and the
    # reprint was what got proved: the answer was graded correct.
    spec = ConvSpec(2, 2, 3, padding=1)
    got, want = _value("correlate(pad(g, 3 mod (K_1 + 1)), rot180(swap_io(h)))", spec, (5, 5))
    assert got.shape != want["grad_input"].shape                     # the formula is wrong, by PyTorch
    grade = _grade("dL_dx_formula", r"\operatorname{pad}_{3 \bmod (K_1+1)}(g) \otimes \operatorname{rot180}(h^T)")
    assert grade.verdict == "wrong", grade.detail
    right = _grade("dL_dx_formula", r"\operatorname{pad}_{3 \bmod K_1 + 1}(g) \otimes \operatorname{rot180}(h^T)")
    assert right.verdict == "correct", right.detail
