r"""Sheets written outside the project, by testers who never read the reader's code, with a teacher's verdicts
decided by hand before the checker ran (``expected.toml`` in each folder):

- ``tests/data/outside_sheets/``: three sheets (40 answers) graded once on arrival; what they found was fixed;
- ``tests/data/outside_sheets2/``: three sheets (42 answers), written while the reader was being extended
  and meant to be held out (its 42 verdicts agreed the first time it was graded here, though a reader
  session may have seen them: treat it as a second corpus, not as blind).
- ``tests/data/outside_sheets3/``: three sheets (42 answers) held out until the reader was done, graded blind
  once: 26 of 42. The misses were NumPy printouts pasted from a notebook (``[[-22., -22.], ...]``, doubles
  printed in full, ``6.9e-18``), a ``?`` or empty answer (wrong, not unreadable), a side in symbols beside the
  numbers (``-5 e_3 = (0, 0, -5, 0, 0)^T``) and a formula remark holding math; all fixed, 42 of 42 since.
- ``tests/data/outside_sheets4/``: three sheets (42 answers) written after those fixes, graded blind once: 39
  of 42. The misses: a Greek name on the left (``\boldsymbol{\delta} = ...``) read as an unknown, and two
  answers that only say 同上 ("same as above"), which the teacher marks wrong; fixed, 42 of 42 since.
- ``tests/data/outside_sheets5/``: three sheets of exactly 12 answers each (36), the bar's own shape, graded
  blind once: 33 of 36. The misses: a worked entry before two channel answers taken for the answer, a shape in
  parentheses after a zero (``\mathbf 0\ (2\times4\times4)``), a unit after ``\ ``; fixed, 36 of 36 since.
- ``tests/data/outside_sheets6/``: three ordinary students' sheets of 12 answers each, graded blind once: 35 of
  36 verdicts and all 11 mistakes named (the bar met). The miss: a formula followed by a remark opened by 其中
  ("where") that holds math; fixed, 36 of 36 since.
- ``tests/data/outside_sheets7/``: three more ordinary students' sheets (36 answers), graded blind once: 36 of 36
  and all 11 mistakes named, unchanged since (its tester glimpsed set 6's expectations, so its two formula
  answers repeat set 6's).
- ``tests/data/outside_sheets8/``: eleven sheets (99 answers, 77 numeric; half of problem 1 in index notation),
  written by someone who never read the reader's code, graded blind once: 73 of 77 numeric verdicts and 13 of
  16 mistakes named. The misses, all one notation: a number and the ones vector with only a space between them
  (``39.6\,\mathbf 1``), refused as two juxtaposed numbers; read as a product since, 77 of 77 and 16 of 16.
  Its 22 formula answers wait for the index-notation reader (skipped here).

Issue 13's bar is 35 of 36 verdicts on such sheets. Every answer is its own test case; a verdict the checker
gets wrong is a failure here, never an edited expectation. A mistake the teacher names is asserted too (in
the checker's vocabulary: the teacher's "rotation_where_none_belongs" is ``extra_rotation``; an arithmetic
slip names no mistake, or ``one_entry`` when it is in exactly one entry of several).
"""

from __future__ import annotations

import functools
import tomllib
from pathlib import Path

import pytest

from symconv.grading.answers import read_answers
from symconv.grading.grade import Grade, grade
from symconv.grading.gradebook import mistake_of
from symconv.homework.inputs import load
from symconv.homework.solution import solve

DATA = Path(__file__).parent / "data"
FOLDERS = tuple(f"outside_sheets{k}" for k in ("", 2, 3, 4, 5, 6, 7, 8))
# set 8's problem-1 formulas are half in index notation, which the formula reader does not read yet (issue 19
# item 1, another change): their verdicts are skipped until it lands; its numeric answers are asserted
INDEX_NOTATION = ("outside_sheets8",)
# an arithmetic slip names no mistake, or one_entry when it sits in exactly one entry of several (issue 19)
TEACHER_WORDS = {"rotation_where_none_belongs": ("extra_rotation",), "arithmetic": ("", "one_entry")}


@functools.lru_cache(maxsize=1)
def _solution():  # type: ignore[no-untyped-def]
    return solve(load())


def _expected(folder: str) -> dict[str, dict[str, dict[str, str]]]:
    return tomllib.loads((DATA / folder / "expected.toml").read_text(encoding="utf-8"))


@functools.lru_cache(maxsize=None)
def _graded(folder: str, sheet: str) -> dict[str, Grade]:
    path = next(p for p in (DATA / folder).iterdir() if p.stem == sheet)
    return {g.part: g for g in grade(read_answers(path), _solution())}


def _cases() -> list:  # type: ignore[type-arg]
    return [pytest.param(folder, sheet, part, want, id=f"{folder}-{sheet}-{part}", marks=[pytest.mark.skip(
                reason="index-notation formulas: graded once the index-sum reader lands (issue 19 item 1)")]
                if folder in INDEX_NOTATION and part.endswith("_formula") else [])
            for folder in FOLDERS for sheet, parts in _expected(folder).items() for part, want in parts.items()]


def test_every_sheet_has_its_verdicts():
    for folder in FOLDERS:
        sheets = sorted(p.stem for p in (DATA / folder).iterdir() if p.suffix == ".tex")
        expected = _expected(folder)
        assert sheets == sorted(expected) and len(sheets) >= 3, folder
        assert sum(len(parts) for parts in expected.values()) >= 36


@pytest.mark.parametrize("folder,sheet,part,want", _cases())
def test_outside_verdict(folder, sheet, part, want):
    got = _graded(folder, sheet).get(part)
    assert got is not None, f"{sheet} {part}: not found on the sheet"
    assert got.verdict == want["verdict"], f"{sheet} {part}: {got.verdict} ({got.detail}), want {want['verdict']}"
    if "mistake" in want:
        named = TEACHER_WORDS.get(want["mistake"], (want["mistake"],))
        assert mistake_of(got) in named, f"{sheet} {part}: mistake {mistake_of(got)!r}, want {named!r}"
