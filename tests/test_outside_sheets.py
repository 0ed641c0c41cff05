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
- ``tests/data/outside_sheets8/``: eleven sheets (99 answers: 77 numeric; 22 problem-1 formulas, 11 of them in
  index notation, written the way the seed writes its (2) and (5)), written by someone who never read the
  reader's code, each half graded blind once when its reader was done. Numeric: 73 of 77 verdicts and 13 of 16
  mistakes named; the misses, all one notation (``39.6\,\mathbf 1``, refused as two juxtaposed numbers), read as
  a product since: 77 of 77 and 16 of 16. Formulas: 14 of 22; the misses (per-channel closed forms with both ⊗
  and Σ taken for index sums, a ``\pd`` macro, an image index numbered from 1 beside pixels from 0) fixed: 21 of
  22 and every named formula mistake. The one left is y5_zhoutian.dL_dx_formula: a right last line after a wrong
  step, which issue 19 grades ``correct`` with a note naming the step while this set's teacher marked it wrong
  (the issue is followed; the discrepancy is recorded here and in the README).
- ``tests/data/outside_sheets9/``: ten sheets (116 answers: 96 numeric, 20 problem-1 formulas, 12 of them in
  index notation, written as the seed writes its (2) and (5)), by someone who never read the reader's code,
  graded blind once before any fix: 110 of 116 verdicts (96 of 96 numeric, 14 of 20 formulas), 26 of 32
  mistakes. The misses: macros the sheet defines (``\newcommand{\dL}[1]``, ``\DeclareMathOperator``), an index
  range stated in the prose before a formula, kernel positions read as centred unstated, a rounded side of a
  chain, entries written to different places; fixed, 116 of 116 and 31 of 32 mistakes since (one known miss,
  below).
- ``tests/data/outside_sheets10/``: seven sheets (75 answers: 61 numeric, 14 problem-1 formulas, 8 in index
  notation), by another tester who never read the reader's code (nor set 9), graded blind once after set 9's
  fixes: 70 of 75 verdicts (61 of 61 numeric, 12 of 14 formulas; the rest the sheet's own layout), 19 of 19
  mistakes. The misses: a control space before the comma between two channel matrices, dots between entries
  written with spacing commands, a kernel's numbering stated only by the other formula's sum, a 3-line
  derivation whose wrong step took 7 s to confirm (over the 2 s budget); fixed, 75 of 75 since.
- ``tests/data/outside_sheets11/``: seven sheets (86 answers: 72 numeric, 14 formulas, 9 in index notation), by a
  third tester, graded blind once after set 10's fixes: 83 of 86 verdicts (96.5%; 70 of 72 numeric, 13 of 14
  formulas), 26 of 28 mistakes. The misses: ``h_{c,o,m,n}`` in an index sum read by its letters' roles where
  the teacher reads it as written (h is C_out × C_in: no swap; only ``h_{in_i,out_j}`` names its roles),
  ``[0.1 \quad \dots \quad 0.1]``, and a matrix whose rows elide zero columns (``0 & \cdots & 0 & 98/5 & …``,
  known below); 85 of 86 and 28 of 28 since.
- ``tests/data/outside_sheets12/``: six sheets (77 answers: 65 numeric, 12 formulas, 7 in index notation), by a
  fourth tester, graded blind once after set 11's fixes: **75 of 77 verdicts (97.4%: issue 19's bar)**, 64 of
  65 numeric, 11 of 12 formulas, 24 of 24 mistakes. The misses: a remark opened inside ``\text`` and closed
  outside it (``\mathbf{0} \text{ (since } … = 0)``, fixed) and a derivation's ``∂y_{b,o',p,q}/∂h_{o,c,m,n}``
  with a batch index (known below); 76 of 77 since.

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
FOLDERS = tuple(f"outside_sheets{k}" for k in ("", 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12))
# set 8's problem-1 formulas are asserted by test_outside_formula_verdict (one verdict follows the issue over the
# teacher); its numeric answers here
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
    return [pytest.param(folder, sheet, part, want, id=f"{folder}-{sheet}-{part}")
            for folder in FOLDERS for sheet, parts in _expected(folder).items() for part, want in parts.items()
            if not (folder in INDEX_NOTATION and part.endswith("_formula"))]


def test_every_sheet_has_its_verdicts():
    for folder in FOLDERS:
        sheets = sorted(p.stem for p in (DATA / folder).iterdir() if p.suffix == ".tex")
        expected = _expected(folder)
        assert sheets == sorted(expected) and len(sheets) >= 3, folder
        assert sum(len(parts) for parts in expected.values()) >= 36


# Issue 19 item 3: the seed's (3) as written (a bare ⊗ between dL/dy and the rotated kernel) implies the channel
# swap, as the homework's (2) indexes h_{in_i, out_j}: correct with a note. These teachers marked it wrong
# (no_swap) before that convention was fixed; --strict-channels (strict_channels=True) still grades it so.
SWAP_IMPLIED = {("outside_sheets", "o3_wei_hao", "dL_dx_formula"),
                ("outside_sheets2", "q2_zh_zhangwei", "dL_dx_formula"),
                ("outside_sheets3", "r1_notebook_liuchen", "dL_dx_formula")}


# Mistakes a teacher named that the checker does not (yet): the verdict is still asserted; the mistake is a
# strict expected failure, so naming it turns the test red until this entry is removed.
KNOWN_UNNAMED = {("outside_sheets9", "z6_kim_jisoo", "dL_dh_formula"):
                 "∂L/∂y_o ⊗ x_c: operands exchanged, equal to the true ∂L/∂h rotated by 180° (named by its value)"}


# Verdicts the checker does not give yet (strict expected failures: a fix turns them red until removed here).
KNOWN_VERDICT = {("outside_sheets12", "u6_wu", "dL_dh_formula"):
                 "a chain-rule factor ∂y_{b,o',p,q}/∂h_{o,c,m,n} with a batch index: the index reader reads "
                 "∂y/∂h only as y_{o,i,j} (unparsed)",
                 ("outside_sheets11", "v7_tanaka", "dL_dW"):
                 "rows that elide zero columns (0 & \\cdots & 0 & 98/5 & 20 & 20 & 98/5): the run's length is the "
                 "part's width minus the written entries, which the reader does not know when it reads a matrix"}


@pytest.mark.parametrize("folder,sheet,part,want", _cases())
def test_outside_verdict(folder, sheet, part, want):
    if (folder, sheet, part) in SWAP_IMPLIED:
        from symconv.grading.gradebook import detail_of
        path = next(p for p in (DATA / folder).iterdir() if p.stem == sheet)
        strict = {g.part: g for g in grade(read_answers(path), _solution(), strict_channels=True)}[part]
        assert (strict.verdict, strict.mistake) == (want["verdict"], want["mistake"])
        got = _graded(folder, sheet)[part]
        assert got.verdict == "correct" and "channel swap implied by (x), as in the homework's (2)" in detail_of(got)
        return
    got = _graded(folder, sheet).get(part)
    assert got is not None, f"{sheet} {part}: not found on the sheet"
    if (folder, sheet, part) in KNOWN_VERDICT:
        assert got.verdict != want["verdict"], "graded right now: remove it from KNOWN_VERDICT"
        pytest.xfail(KNOWN_VERDICT[folder, sheet, part])
    assert got.verdict == want["verdict"], f"{sheet} {part}: {got.verdict} ({got.detail}), want {want['verdict']}"
    if "mistake" in want:
        named = TEACHER_WORDS.get(want["mistake"], (want["mistake"],))
        if (folder, sheet, part) in KNOWN_UNNAMED and mistake_of(got) not in named:
            pytest.xfail(KNOWN_UNNAMED[folder, sheet, part])
        assert (folder, sheet, part) not in KNOWN_UNNAMED, "named now: remove it from KNOWN_UNNAMED"
        assert mistake_of(got) in named, f"{sheet} {part}: mistake {mistake_of(got)!r}, want {named!r}"


# Set 8: the formula answers (problem 1), index notation and closed forms; see the module docstring.
ISSUE_OVER_TEACHER = {("y5_zhoutian", "dL_dx_formula"): "correct"}    # a right last line after a wrong step


def _formula_cases() -> list:  # type: ignore[type-arg]
    return [pytest.param(sheet, part, want, id=f"outside_sheets8-{sheet}-{part}")
            for sheet, parts in _expected("outside_sheets8").items() for part, want in parts.items()
            if part.endswith("_formula")]


def test_set8_has_its_formula_answers():
    assert len(_formula_cases()) == 22


@pytest.mark.parametrize("sheet,part,want", _formula_cases())
def test_outside_formula_verdict(sheet, part, want):
    got = _graded("outside_sheets8", sheet).get(part)
    assert got is not None, f"{sheet} {part}: not found on the sheet"
    verdict = ISSUE_OVER_TEACHER.get((sheet, part), want["verdict"])
    assert got.verdict == verdict, f"{sheet} {part}: {got.verdict} ({got.detail}), want {verdict}"
    if (sheet, part) in ISSUE_OVER_TEACHER:
        from symconv.grading.gradebook import detail_of
        assert "step 2 does not follow from step 1: at C_in = " in detail_of(got)
    if "mistake" in want:
        named = TEACHER_WORDS.get(want["mistake"], (want["mistake"],))
        assert mistake_of(got) in named, f"{sheet} {part}: mistake {mistake_of(got)!r}, want {named!r}"
