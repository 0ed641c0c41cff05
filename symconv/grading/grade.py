"""Grading answers against the exact homework solution: ``symconv check``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import sympy as sp

from .answers import ParseError, parse_answer, time_budget
from ..homework.solution import Solution
from ..wording import w
from ..derivation.exprs import as_expr

VERDICTS = ("correct", "wrong", "unparsed", "missing")


@dataclass(frozen=True)
class Grade:
    part: str
    verdict: str
    expected: str
    given: str
    reason: tuple[str, dict[str, Any]] | str   # (wording key, values), or the parser's own message

    def detail_text(self, lang: str = "en") -> str:
        if isinstance(self.reason, str):
            return self.reason
        key, values = self.reason
        return w(key, lang, **{k: _fill(v, lang) for k, v in values.items()})

    @property
    def detail(self) -> str:
        return self.detail_text("en")

    def _repr_markdown_(self) -> str:
        return f"**{self.part}**: {self.verdict} ({self.detail})"


def _fill(value: Any, lang: str) -> Any:
    """A detail's value: ("w", key) is a worded phrase, (key, values) a worded sentence, a list the entries."""
    if isinstance(value, tuple) and value[0] == "w":
        return w(value[1], lang)
    if isinstance(value, tuple):
        return w(value[0], lang, **value[1])
    if isinstance(value, list):
        return "; ".join(w("g.entry", lang, **e) for e in value)
    return value


def _flat(a: Any) -> list[Any]:
    return list(np.asarray(a, dtype=object).reshape(-1))


def _shape_to(given: Any, expected: np.ndarray) -> tuple[np.ndarray | None, Any]:
    """The given value in the expected tensor's shape: as it is, flattened in (channel, row, column) order,
    or one matrix standing for every channel pair (as the homework writes ∂L/∂h)."""
    g = np.asarray(given, dtype=object)
    if g.shape == expected.shape:
        return g, ""
    if g.size == expected.size:
        return g.reshape(expected.shape), ("w", "g.flat")
    if expected.ndim > g.ndim and expected.shape[expected.ndim - g.ndim:] == g.shape:
        return np.broadcast_to(g, expected.shape), ("w", "g.broadcast")
    return None, ""


def _shape_text(shape: tuple[int, ...]) -> str:
    return str(list(shape))     # a string: a list in a Grade's values would be read as a list of entries


def _same(got: Any, want: Any, tol: float | None) -> tuple[bool, bool]:
    """(equal, only within rounding). Exact first; a decimal answer within half a unit of its last written
    place; a complex or non-numeric value is simply not equal, never an error."""
    if isinstance(got, sp.Rational) and isinstance(want, sp.Rational):
        if got == want:
            return True, False
    elif isinstance(got, sp.Expr) and sp.simplify(got - want) == 0:
        return True, False
    if tol is None or not isinstance(got, sp.Expr):
        return False, False
    diff = sp.N(got - want, 30)
    if not diff.is_real:
        return False, False
    try:
        return abs(float(diff)) <= tol * (1 + 1e-9), True
    except (TypeError, ValueError, OverflowError):
        return False, False


def grade_part(part: str, latex: str | None, expected: np.ndarray) -> Grade:
    """One part graded within the per-answer time budget; user input never raises here."""
    exp_text = str(_flat(expected) if expected.ndim else expected[()])
    if latex is None:
        return Grade(part, "missing", exp_text, "", ("g.missing", {"part": part}))
    try:
        with time_budget():
            return _grade_answer(part, latex, expected, exp_text)
    except ParseError as exc:
        return Grade(part, "unparsed", exp_text, latex.strip(), str(exc))


def _grade_answer(part: str, latex: str, expected: np.ndarray, exp_text: str) -> Grade:
    answer = parse_answer(latex)
    given_text = str(_flat(answer.value) if np.ndim(answer.value) else answer.value)
    value, how = _shape_to(answer.value, expected)
    if value is None:
        return Grade(part, "wrong", exp_text, given_text,
                     ("g.shape", {"got": _shape_text(np.shape(answer.value)),
                                  "want": _shape_text(expected.shape)}))
    differ, rounded = [], False
    tol = None if answer.decimals is None else 0.5 * 10 ** (-answer.decimals)
    for idx in np.ndindex(*expected.shape):
        want, got = as_expr(expected[idx]), as_expr(value[idx])
        equal, within = _same(got, want, tol)
        if equal:
            rounded = rounded or within
            continue
        differ.append((idx, got, want))
    if differ:
        shown = [{"at": list(map(int, i)), "given": g, "want": e} for i, g, e in differ[:4]]
        more = ("g.more", {"n": len(differ) - 4}) if len(differ) > 4 else ""
        return Grade(part, "wrong", exp_text, given_text,
                     ("g.differ1" if len(differ) == 1 else "g.differ",
                      {"n": len(differ), "how": how, "shown": shown, "more": more}))
    if rounded:
        return Grade(part, "correct", exp_text, given_text, ("g.rounded", {"places": answer.decimals, "how": how}))
    return Grade(part, "correct", exp_text, given_text, ("g.exact", {"how": how}))


def grade(answers: dict[str, str], solution: Solution) -> list[Grade]:
    """A grade per part of the solution (the biases' too, when the homework has them), in the homework's
    order; a label naming no part of this solution is reported as unparsed, never ignored."""
    grades = [grade_part(p, answers.get(p), solution.exact[p]) for p in solution.exact]
    for label in answers:
        if label.endswith("_formula"):           # problem 1's formulas, proved for every size
            from .formulas import grade_formula
            grades.append(grade_formula(label, answers[label], solution, Grade))
        elif label not in solution.exact:
            grades.append(Grade(label, "unparsed", "", answers[label].strip(),
                                ("g.unknown", {"label": repr(label), "known": ", ".join(solution.exact)})))
    return grades


def summary(grades: list[Grade]) -> dict[str, int]:
    return {v: sum(g.verdict == v for g in grades) for v in VERDICTS}


def exit_status(grades: list[Grade]) -> int:
    present = [g for g in grades if g.verdict != "missing"]
    return 0 if all(g.verdict == "correct" for g in present) else 1


def table(grades: list[Grade]) -> str:
    rows = [("part", "verdict", "detail")] + [(g.part, g.verdict, g.detail) for g in grades]
    w = [max(len(r[k]) for r in rows[:]) for k in range(2)]
    lines = [f"{r[0]:<{w[0]}}  {r[1]:<{w[1]}}  {r[2]}" for r in rows]
    lines.insert(1, "-" * (w[0] + w[1] + 12))
    s = summary(grades)
    lines.append(", ".join(f"{n} {v}" for v, n in s.items()))
    return "\n".join(lines)
