"""Grading answers against the exact homework solution: ``symconv check``.

A part's verdict is ``correct``, ``wrong``, ``unparsed`` or ``missing``. A ``wrong`` numeric answer also names
the mistake (:attr:`Grade.mistake`, a key of :data:`symconv.grading.mistakes.MISTAKES`) when one of the usual
mistakes explains it exactly: the value that mistake produces equals the answer, entry for entry, within the
answer's written precision when it has decimals (:mod:`.mistakes`). An answer whose shape is the transpose of
the part's is ``wrong`` and ``transposed`` whatever its entries, which are then compared transposed back.
"""

from __future__ import annotations

import dataclasses
import math
import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import sympy as sp

from .answers import (MIN_SIGNIFICANT, FalseChain, NoAnswer, ParseError, coarse, decimals_written, parse_answer,
                      time_budget, warm_up)
from .mistakes import Candidate, candidates, floats, with_mistake
from .source import Refused
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
    mistake: str = ""     # the mistakes named, comma-separated keys (mistakes.MISTAKES, formulas.MISTAKES)
    # The expected tensor itself, for the sheet to print as matrices (``expected`` is its flat text).
    value: Any = dataclasses.field(default=None, repr=False, compare=False)

    def detail_text(self, lang: str = "en") -> str:
        if isinstance(self.reason, str):
            return self.reason
        key, values = self.reason
        return w(key, lang, **{k: _fill(v, lang) for k, v in values.items()})

    @property
    def detail(self) -> str:
        return self.detail_text("en")

    def mistake_text(self, lang: str = "en") -> str:
        """The mistake named, worded (as at the end of the detail), or "" when none is."""
        if not self.mistake or isinstance(self.reason, str) or self.reason[0] != "g.with_mistake":
            return ""
        return str(_fill(self.reason[1]["mistake"], lang))

    def _repr_markdown_(self) -> str:
        return f"**{self.part}**: {self.verdict} ({self.detail})"


def _fill(value: Any, lang: str) -> Any:
    """A detail's value: ("w", key) is a worded phrase, (key, values) a worded sentence, a list the entries."""
    if isinstance(value, tuple) and value[0] == "w":
        return w(value[1], lang)
    if isinstance(value, tuple):
        return w(value[0], lang, **{k: _fill(v, lang) for k, v in value[1].items()})
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
        key = {0: "g.broadcast_value", 1: "g.broadcast_row"}.get(g.ndim, "g.broadcast")
        return np.broadcast_to(g, expected.shape), ("w", key)
    return None, ""


def _shape_text(shape: tuple[int, ...]) -> str:
    return str(list(shape))     # a string: a list in a Grade's values would be read as a list of entries


def _exp_one(diff: Any) -> bool:
    """Whether a real difference is exactly 0 because exp of it is exactly 1: logarithms of sums of
    exponentials (``\\ln(e^{0.3} + …) - 0.6`` against ``\\ln(1 + e^{-1.2} + …) + 1.5``) that
    ``sp.simplify`` leaves apart, while ``exp`` of their difference expands to 1."""
    try:
        return bool(diff.is_real) and sp.expand(sp.exp(diff)) == 1
    except (TypeError, ValueError, ArithmeticError, RecursionError):
        return False


def _same(got: Any, want: Any, tol: float | None) -> tuple[bool, bool]:
    """(equal, only within rounding). Exact first; a decimal answer within half a unit of its last written
    place; a complex or non-numeric value is simply not equal, never an error.

    The difference is evaluated to 30 digits first: ``sp.simplify`` (slow on the softmax's exponentials, a
    second per entry) is asked only whether a difference that small is exactly 0."""
    if isinstance(got, sp.Rational) and isinstance(want, sp.Rational):
        if got == want:
            return True, False
        diff: Any = got - want
    elif not isinstance(got, sp.Expr):
        return False, False
    else:
        try:
            diff = sp.N(got - want, 30)
        except (TypeError, ValueError, ArithmeticError):
            return False, False
        if diff.is_real and diff.is_number and abs(diff) <= sp.Float(10) ** -25 * (1 + abs(sp.N(want, 30))) \
                and (sp.simplify(got - want) == 0 or _exp_one(got - want)):
            return True, False
    if tol is None or not diff.is_real:
        return False, False
    try:
        return abs(float(diff)) <= tol * (1 + 1e-9), True
    except (TypeError, ValueError, OverflowError):
        return False, False


def grade_part(part: str, latex: str | None, expected: np.ndarray, solution: Solution | None = None) -> Grade:
    """One part graded within the per-answer time budget; user input never raises here. With the
    ``solution``, a wrong answer names the mistake that explains it, if one does (:mod:`.mistakes`)."""
    return dataclasses.replace(_grade_part(part, latex, expected, solution), value=expected)


def _grade_part(part: str, latex: str | None, expected: np.ndarray, solution: Solution | None = None) -> Grade:
    own = solution is not None and solution.exact.get(part) is expected
    if own:      # the solution writes its entries from their coefficients (SymPy's printer: ms an entry)
        texts = solution.texts(part)              # type: ignore[union-attr]
        exp_text = "[" + ", ".join(_flat(texts)) + "]" if expected.ndim else str(texts[()])
    else:
        exp_text = str(_flat(expected) if expected.ndim else expected[()])
    if latex is None:
        return Grade(part, "missing", exp_text, "", ("g.missing", {"part": part}))
    if isinstance(latex, Refused):       # a TOML value over a limit, refused before it was read
        return Grade(part, "unparsed", exp_text, str(latex), latex.reason)
    try:
        with time_budget():
            want_f = solution.floats(part) if own else None          # type: ignore[union-attr]
            graded, value, tol = _grade_answer(part, latex, expected, exp_text, want_f)
    except FalseChain as exc:        # a chain a = b ≈ c with a false side: wrong, whatever the expected
        graded = Grade(part, "wrong", exp_text, latex.strip(), exc.reason)
        side = _explained_side(exc, expected, solution, part)
        return graded if side is None else dataclasses.replace(
            graded, mistake=side[0], reason=with_mistake(graded.reason, [side[1]]))
    except NoAnswer as exc:          # a label with nothing (or '?') after it: no answer is a wrong one
        return Grade(part, "wrong", exp_text, latex.strip(), exc.reason or str(exc))
    except ParseError as exc:        # the reader's worded reason (a sheet in Chinese), else its message
        return Grade(part, "unparsed", exp_text, latex.strip(), exc.reason or str(exc))
    named = [(graded.mistake, "m." + graded.mistake)] if graded.mistake else []   # "transposed", by shape
    if graded.verdict == "wrong" and value is not None and solution is not None:
        try:
            with time_budget():              # a budget of its own: naming a mistake never costs the verdict
                found = _explained(value, solution, part, tol)
        except ParseError:
            found = None
        named += [(found.mistake, found.sentence)] if found else []
        if not named:
            named += _slip(value, expected, tol)
    if not named:
        return graded
    return dataclasses.replace(graded, mistake=",".join(m for m, _ in named),
                               reason=with_mistake(graded.reason, [s for _, s in named]))


def _slip(value: np.ndarray, expected: np.ndarray, tol: Any) -> list[tuple[str, Any]]:
    """A wrong answer no usual mistake explains, read from the answer itself: ``rounded`` when every entry that
    differs is a decimal outside its written precision by more than half a unit but within 1%, of a value that
    no decimal of that many places equals (1.62 for ln 5: a rounding, where 39.7 for 39.6 is a slip), or is
    that value truncated after its written places (0.66 for 2/3; 0.19 for 1/5, cut from float64's
    0.19999999999999998: see :func:`_truncation`); ``one_entry`` when exactly one entry of several differs (an
    arithmetic slip: the entry is named)."""
    got, want = _floats_or_none(value), _floats_or_none(expected)
    if got is None or want is None or got.shape != want.shape:
        return []
    differ, _ = _differ(value, expected, tol, want, got)
    if not differ:
        return []
    at = [idx for idx, _, _ in differ]
    def places_at(i: tuple[int, ...]) -> int:
        return round(-math.log10(2 * _tol_at(tol, i)))     # type: ignore[operator]
    cut = [] if tol is None else [_truncation(g, e, places_at(i)) for i, g, e in differ]
    if cut and all(cut):
        return [("rounded", cut[0])]
    if tol is not None and all(abs(got[i] - want[i]) <= 0.01 * abs(want[i])
                               and not (as_expr(e) * 10 ** places_at(i)).is_integer for i, _, e in differ):
        return [("rounded", ("m.rounded", {"places": places_at(differ[0][0])}))]
    if len(differ) == 1 and expected.size > 1:
        return [("one_entry", ("m.one_entry", {"at": str(list(map(int, at[0])))}))]
    return []


def _cut(value: Any, places: int) -> sp.Rational:
    """``value`` truncated toward zero after ``places`` decimal places (exactly: SymPy's floor)."""
    scale = sp.Integer(10) ** places
    v = as_expr(value)
    return sp.sign(v) * sp.floor(abs(v) * scale) / scale


def _decimal(value: Any, places: int) -> str:
    """``value`` rounded half away from zero to ``places`` decimal places, written out (0.20, 0.67)."""
    scale = sp.Integer(10) ** places
    v = as_expr(value)
    n = int(sp.sign(v) * sp.floor(abs(v) * scale + sp.Rational(1, 2)))
    digits = f"{abs(n):0{places + 1}d}"
    text = digits[:-places] + "." + digits[-places:] if places else digits
    return ("-" if n < 0 else "") + text


def _truncation(given: Any, want: Any, places: int) -> Any:
    """The sentence naming ``given`` a truncation of ``want`` after its ``places`` written decimal places,
    or None. Either the exact value cut there (0.66 for 2/3), or, where the exact value is itself a decimal of
    that many places, the float64 just below it cut there (0.19 for 1/5: 1/5 computed as 0.19999999999999998,
    then cut; 39.5 for 39.6 from 39.599999999999994). Both are checked by cutting the value shown: the
    sentence is its own witness. The written value must carry :data:`MIN_SIGNIFICANT` digits (a one-digit
    cut, 0.1 for 0.2, is half the value) and have the exact value's sign; 0.18 for 1/5 (two units off) and
    0.21 for 1/5 (above it: nothing cut gives it) are not truncations."""
    g, e = as_expr(given), as_expr(want)
    if not isinstance(g, sp.Rational) or not e.is_real or e.is_zero or \
            abs(g) * 10 ** places < 10 ** (MIN_SIGNIFICANT - 1):     # exactly (0.1 at 1 place: one digit)
        return None
    try:
        if sp.sign(g) != sp.sign(e):
            return None
        source: Any = None
        if _cut(e, places) == g and e != g:
            source = str(e)
        elif e.is_Rational and _cut(e, places) == e:
            near = float(np.nextafter(float(e), 0.0))
            if _cut(sp.Rational(near), places) == g:     # the float64 below e, cut, is the answer
                source = ("m.truncated_below", {"want": str(e), "near": repr(near)})
    except (TypeError, ValueError, ArithmeticError):
        return None
    if source is None:
        return None
    return ("m.truncated", {"places": places, "given": _decimal(g, places), "source": source,
                            "right": _decimal(e, places)})


def _explained_side(exc: FalseChain, expected: np.ndarray, solution: Solution | None, part: str
                    ) -> tuple[str, Any] | None:
    """The mistake that explains a side of a false chain (``-\\log 0.2 = 0.699``: 0.699 is log10 5), if one
    does: each side the chain's reason names is read on its own and tried as the answer; failing that, a side
    that is the answer rounded too coarsely (``\\log 5 \\approx 1.60``) names ``rounded``."""
    if solution is None or isinstance(exc.reason, str):
        return None
    rounded = None
    for text in (v for k, v in exc.reason[1].items() if k in ("a", "b") and isinstance(v, str)):
        try:
            with time_budget():
                side = parse_answer(text)
                value, _ = _shape_to(side.value, expected)
                if value is None:
                    continue
                tol = None if side.decimals is None else 0.5 * 10 ** (-side.decimals)
                found = _explained(value, solution, part, tol)
                if found is None and rounded is None:
                    rounded = next((s for s in _slip(value, expected, tol) if s[0] == "rounded"), None)
        except ParseError:
            continue
        if found is not None:
            return found.mistake, found.sentence
    return rounded


def _explained(value: np.ndarray, solution: Solution, part: str, tol: Any) -> Candidate | None:
    """The first of the usual mistakes whose wrong value equals ``value`` (in the part's shape), or None."""
    got = _floats_or_none(value)
    if got is None:
        return None                          # a complex or non-numeric entry: no mistake explains it
    slack = 0.0 if tol is None else tol
    for cand in candidates(solution, part):
        if cand.floats.shape != got.shape or not np.all(
                np.abs(got - cand.floats) <= slack + 1e-9 * (1 + np.abs(cand.floats))):
            continue
        wrong = np.asarray(cand.exact(), dtype=object).reshape(got.shape)
        if not _differ(value, wrong, tol, cand.floats, got, digits=False)[0]:     # 0.7 names log10 5
            return cand
    return None


def _floats_or_none(value: np.ndarray) -> np.ndarray | None:
    try:
        return floats(value)
    except (TypeError, ValueError, OverflowError, ArithmeticError):
        return None


def _transposed_shape(given: Any, expected: np.ndarray) -> bool:
    """Whether ``given`` has the part's shape with its last two axes exchanged (an 8x5 answer for 5x8)."""
    g = np.shape(given)
    e = expected.shape
    return len(g) == len(e) >= 2 and g != e and g == e[:-2] + (e[-1], e[-2])


def _grade_answer(part: str, latex: str, expected: np.ndarray, exp_text: str, want_f: np.ndarray | None = None
                  ) -> tuple[Grade, np.ndarray | None, float | None]:
    """The grade, the answer in the part's shape (None when it has no such reading) and the tolerance of its
    written decimals (None when exact). ``want_f``: the expected entries in float64, when known (a quick
    test that settles most entries without SymPy)."""
    answer = parse_answer(latex, part)
    given_text = str(_flat(answer.value) if np.ndim(answer.value) else answer.value)
    tol: Any = None if answer.decimals is None else 0.5 * 10 ** (-answer.decimals)
    per_entry = _entry_tols(answer, tol)
    shapes = {"got": _shape_text(np.shape(answer.value)), "want": _shape_text(expected.shape)}
    if _transposed_shape(answer.value, expected):
        value = np.swapaxes(np.asarray(answer.value, dtype=object), -1, -2)
        tol = tol if per_entry is None else np.swapaxes(per_entry, -1, -2)
        differ = _differ(value, expected, tol, want_f)[0]
        if not differ:
            return Grade(part, "wrong", exp_text, given_text, ("g.shape", shapes), "transposed"), None, tol
        rest = _differ_reason(differ, "")
        return (Grade(part, "wrong", exp_text, given_text, ("g.shape_then", {**shapes, "rest": rest}),
                      "transposed"), value, tol)
    if answer.covers is not None and len(answer.covers) < expected.ndim and \
            np.shape(answer.value) in ((), expected.shape[len(answer.covers):]):     # a matrix, or 0 for it
        return Grade(part, "wrong", exp_text, given_text, _one_channel(answer.covers, expected),
                     "missing_channel"), None, tol
    value, how = _shape_to(answer.value, expected)
    if value is None:
        return Grade(part, "wrong", exp_text, given_text, ("g.shape", shapes)), None, tol
    if per_entry is not None:
        tol = _shape_to(per_entry, expected)[0].astype(float)
    contradicted = _contradicted(answer, value)
    if contradicted is not None:
        return Grade(part, "wrong", exp_text, given_text, contradicted), None, tol
    differ, rounded = _differ(value, expected, tol, want_f)
    if differ and all(coarse(g, _tol_at(tol, i)) and _same(g, e, _tol_at(tol, i))[0] for i, g, e in differ):
        reason = ("g.coarse", {"places": answer.decimals, "given": given_text, "digits": MIN_SIGNIFICANT})
        return Grade(part, "wrong", exp_text, given_text, reason), value, tol
    if differ:
        return Grade(part, "wrong", exp_text, given_text, _differ_reason(differ, how)), value, tol
    reason: Any = ("g.rounded", {"places": answer.decimals, "how": how}) if rounded else ("g.exact", {"how": how})
    if answer.unread:        # the chain's final value read, a step before it not: the teacher may look
        reason = ("g.unread_step", {"detail": reason, "step": answer.unread})
    return Grade(part, "correct", exp_text, given_text, reason), value, tol


_NUMBER = re.compile(r"(?<![A-Za-z_^{\\])\d+(?:\.\d+)?")


def _entry_tols(answer: Any, tol: float | None) -> np.ndarray | None:
    """Each entry's own rounding (``[0.0869 & -0.347]``: half a unit of the 4th and of the 3rd place), in the
    answer's shape, when its entries are written as numbers one by one: the numbers in the answer's text, in
    order, are the entries' absolute values. An entry written without decimals keeps the answer's tolerance
    (the finest written), so a 0 beside 0.25 is judged at 0.005. None otherwise (one tolerance for all)."""
    value = np.asarray(answer.value, dtype=object)
    if tol is None or value.size < 2:
        return None
    numbers = _NUMBER.findall(answer.text)
    if len(numbers) != value.size:
        return None
    out = np.empty(value.shape, dtype=float)
    for idx, written in zip(np.ndindex(*value.shape), numbers):
        entry = as_expr(value[idx])
        if not isinstance(entry, sp.Rational) or abs(entry) != sp.Rational(written):
            return None
        places = decimals_written(written)          # a double printed in full: its 12 significant digits
        out[idx] = tol if places is None else 0.5 * 10 ** -places
    return out


def _tol_at(tol: Any, idx: tuple[int, ...]) -> float | None:
    return float(tol[idx]) if isinstance(tol, np.ndarray) else tol


def _one_channel(covers: tuple[str, ...], expected: np.ndarray) -> tuple[str, dict[str, Any]]:
    """The reason for an answer that states one channel only (``∂L/∂h^{(1,1)} = 0`` for all four): the
    channels missing, numbered as the student numbers them (from 1 unless an index is 0)."""
    base = 0 if "0" in covers else 1
    given = tuple(int(i) for i in covers)
    missing = [k for k in np.ndindex(*expected.shape[:len(covers)]) if tuple(i + base for i in k) != given]
    shown = ", ".join("(" + ", ".join(str(i + base) for i in k) + ")" for k in missing[:8])
    return ("g.one_channel", {"given": "(" + ", ".join(covers) + ")", "n": len(missing),
                              "missing": shown + (", …" if len(missing) > 8 else "")})


def _contradicted(answer: Any, value: np.ndarray) -> tuple[str, dict[str, Any]] | None:
    r"""The reason when a statement of one entry or channel (``\mathrm{fc1}_1 = 40``, ``fc1_i = 40``) says
    otherwise than the answer it stands beside: a hedge, wrong whichever is right. Entries are numbered from 1
    unless an index written is 0; a letter is every index; an index past the part's end is left alone."""
    numbers = [i for idx, _, _ in answer.stated for i in idx if i.isdigit()]
    base = 0 if "0" in numbers else 1
    for idx, name, said in answer.stated:
        if len(idx) > value.ndim:
            continue
        where = tuple(slice(None) if not i.isdigit() else int(i) - base for i in idx)
        if any(isinstance(k, int) and not 0 <= k < n for k, n in zip(where, value.shape)):
            continue
        sub = np.asarray(value[where], dtype=object)
        try:
            mine = np.broadcast_to(np.asarray(said.value, dtype=object), sub.shape)
        except ValueError:
            continue
        tol = None if said.decimals is None else 0.5 * 10 ** (-said.decimals)
        if _differ(np.asarray(mine, dtype=object), sub, tol)[0]:
            return ("g.entry_hedge", {"name": name, "a": said.text, "b": answer.text})
    return None


def _differ(value: np.ndarray, expected: np.ndarray, tol: Any, want_f: np.ndarray | None = None,
            got_f: np.ndarray | None = None, digits: bool = True) -> tuple[list[Any], bool]:
    """The entries that differ, as (index, given, expected), and whether any equal one was only within
    rounding. With the expected entries in float64 (``want_f``), an entry is settled by floats where they
    decide it beyond their rounding error, and by :func:`_same` otherwise."""
    if want_f is not None and np.shape(want_f) == expected.shape and got_f is None:
        got_f = _floats_or_none(value)
    quick = want_f is not None and got_f is not None and np.shape(got_f) == np.shape(want_f)
    differ, rounded = [], False
    for idx in np.ndindex(*expected.shape):
        want, got = as_expr(expected[idx]), as_expr(value[idx])
        t = _tol_at(tol, idx)
        if quick:
            equal, within = _quick(got, want, t, float(got_f[idx]), float(want_f[idx]))  # type: ignore[index]
        else:
            equal, within = _same(got, want, t)
        if equal and not (digits and within and coarse(got, t)):      # \approx 2 for ln 5: too few digits to round
            rounded = rounded or within
            continue
        differ.append((idx, got, want))
    return differ, rounded


def _quick(got: Any, want: Any, tol: float | None, got_f: float, want_f: float) -> tuple[bool, bool]:
    """:func:`_same`, settled by the two float64 values where they decide it: each is within a relative
    2**-53 of its exact value (correctly rounded), so a difference beyond the tolerance by more than
    1e-15 (|got| + |want|) is real, and so is one inside it by as much (a decimal answer against an entry
    with exponentials, which no decimal equals exactly). Otherwise, and for two rationals, exactly."""
    if (isinstance(got, sp.Rational) and isinstance(want, sp.Rational)) or not (
            math.isfinite(got_f) and math.isfinite(want_f)):
        return _same(got, want, tol)
    d, limit = abs(got_f - want_f), (tol or 0.0) * (1 + 1e-9)
    margin = 1e-15 * (abs(got_f) + abs(want_f)) + 1e-300
    if d > limit + margin:
        return False, False
    if tol is not None and d < limit - margin and isinstance(got, sp.Rational) and not want.is_Rational:
        return True, True
    return _same(got, want, tol)


def _differ_reason(differ: list[Any], how: Any) -> tuple[str, dict[str, Any]]:
    shown = [{"at": list(map(int, i)), "given": g, "want": e} for i, g, e in differ[:4]]
    more = ("g.more", {"n": len(differ) - 4}) if len(differ) > 4 else ""
    return ("g.differ1" if len(differ) == 1 else "g.differ",
            {"n": len(differ), "how": how, "shown": shown, "more": more})


def grade(answers: dict[str, str], solution: Solution, strict_channels: bool = False) -> list[Grade]:
    """A grade per part of the solution (the biases' too, when the homework has them), in the homework's
    order; a label naming no part of this solution is reported as unparsed, never ignored. With
    ``strict_channels``, a formula's bare ⊗ does not imply the channel swap (see :mod:`.formulas`)."""
    if any(isinstance(text, str) for text in answers.values()):
        warm_up()                  # the parser's one-time set-up, outside every answer's time budget
    grades = [grade_part(p, answers.get(p), solution.exact[p], solution) for p in solution.exact]
    for label, text in answers.items():
        if isinstance(text, Refused) and label not in solution.exact:      # refused before it was read
            grades.append(Grade(label, "unparsed", "", str(text), text.reason))
        elif label.endswith("_formula"):           # problem 1's formulas, proved for every size
            from .formulas import grade_formula
            grades.append(grade_formula(label, answers[label], solution, Grade, strict_channels))
        elif label not in solution.exact:
            grades.append(Grade(label, "unparsed", "", answers[label].strip(),
                                ("g.unknown", {"label": repr(label), "known": ", ".join(solution.exact)})))
    return grades


def summary(grades: list[Grade]) -> dict[str, int]:
    return {v: sum(g.verdict == v for g in grades) for v in VERDICTS}


def exit_status(grades: list[Grade]) -> int:
    present = [g for g in grades if g.verdict != "missing"]
    return 0 if all(g.verdict == "correct" for g in present) else 1


def table(grades: list[Grade], lang: str = "en") -> str:
    """The terminal's table of verdicts, in ``lang`` (a Chinese word takes two columns: padded by its width)."""
    import unicodedata

    def cells(text: str) -> int:
        return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)

    rows = [(w("part", lang), w("verdict", lang), w("detail", lang))] + [
        (g.part, w("v." + g.verdict, lang), g.detail_text(lang)) for g in grades]
    width = [max(cells(r[k]) for r in rows) for k in range(2)]
    lines = ["  ".join(c + " " * (wd - cells(c)) for c, wd in zip(r[:2], width)) + "  " + r[2] for r in rows]
    lines.insert(1, "-" * (width[0] + width[1] + 12))
    s = summary(grades)
    lines.append(", ".join(f"{n} {w('v.' + v, lang)}" for v, n in s.items()))
    return "\n".join(lines)
