"""The grading sheet of ``symconv check``: every verdict, and the given and expected value of each part
that is not correct, as .tex and .md. Part names come from users' files: escaped wherever they land."""

from __future__ import annotations

import json
import re
from fractions import Fraction

import numpy as np
import sympy as sp

from ..grading.grade import Grade, summary
from ..wording import w
from ..derivation.layout import form_latex
from ..errors import SymconvError
from ..proof.grammar import parse
from .doc import Block, Code, Heading, Math, Mono, Para, Table, UserText, Words, to_latex, to_markdown, user_text
from .homework import TITLES, tensor_latex


MAX_SHOWN = 2_000          # characters of one given or expected value on the sheet (the gradebook keeps all)
MAX_STUDENT_CHARS = 20_000  # characters of a student's text on one sheet, all answers together
MAX_CELL = 300             # characters of a detail in the table
MAX_PARTS = 100            # parts listed on one sheet (a sheet of 10,000 unknown labels stays a few pages)


def sheet(grades: list[Grade], name: str, lang: str = "en") -> tuple[str, str]:
    """A grading sheet as (.tex, .md). The student's text is shown as typed and can never act as TeX
    (:func:`.latex.code_latex`), and it is cut to stated lengths, saying how much was left out, so that any
    sheet compiles in bounded time."""
    shown, rest = grades[:MAX_PARTS], len(grades) - MAX_PARTS
    blocks: list[Block] = [Heading(w("g.grades", lang), 2), Table(
        (w("part", lang), w("verdict", lang), w("detail", lang)),
        tuple((_part_cell(g.part, lang), w("v." + g.verdict, lang), Words(_detail(g, lang), lang))
              for g in shown))]
    s = summary(grades)
    blocks.append(Para(", ".join(f"{n} {w('v.' + v, lang)}" for v, n in s.items()) + "."))
    if rest > 0:
        blocks.append(Para(w("g.more_parts", lang, n=rest)))
    budget = MAX_STUDENT_CHARS
    for g in shown:
        if g.verdict in ("wrong", "unparsed"):
            given = cut(g.given, max(0, min(MAX_SHOWN, budget)), lang)
            budget -= min(len(g.given), MAX_SHOWN)
            heading = _part_cell(g.part, lang)
            blocks += [Heading(heading if isinstance(heading, (str, UserText)) else user_text(g.part), 3)]
            if g.mistake_text(lang):
                blocks.append(Para(Words(w("g.likely", lang, mistake=g.mistake_text(lang)), lang)))
            blocks += [Para(w("g.given", lang)), _given(g, given), Para(w("g.expected", lang)), _expected(g, lang)]
    title = user_text(w("g.title", lang, name=name))
    return to_latex(blocks, title, lang=lang), to_markdown(blocks, title)


def cut(text: str, limit: int, lang: str = "en") -> str:
    """``text`` when at most ``limit`` characters, else its first ``limit`` and how many more there were.

    >>> cut("x" * 2500, 2000)[2000:]
    ' (… 500 more characters)'
    """
    if len(text) <= limit:
        return text
    return text[:limit] + " " + w("g.cut", lang, n=len(text) - limit)


def _detail(g: Grade, lang: str) -> str:
    """The grade's detail, cut to MAX_CELL; the course's ⊗ as ⊗ (the grader's plain text writes it (x))."""
    text = cut(g.detail_text(lang), MAX_CELL, lang)
    if "fa.swap_implied" in repr(g.reason):
        text = text.replace("(x)", "⊗")
    return text


def _part_cell(part: str, lang: str = "en") -> str | Mono | UserText:
    """A part's name in the table: a known part as the homework writes it ($\\partial L/\\partial p$; a formula
    part as the formula for it), another name in typewriter (a label from a .tex), escaped text otherwise (a
    .toml key can hold anything)."""
    if part in FORMULA_PARTS:
        return w("g.formula_part", lang, grad=rf"$\partial L/\partial {FORMULA_PARTS[part]}$")
    if part in TITLES:
        return f"${_inline(part)}$"
    part = cut(part, MAX_CELL)
    return Mono(part) if re.fullmatch(r"[A-Za-z0-9_]+", part) else UserText(part)


def _inline(part: str) -> str:
    """A part's title for a line of text: ∂L/∂p written on the line, not as a small fraction."""
    return re.sub(r"^\\frac\{\\partial L\}\{\\partial (.+)\}$", r"\\partial L / \\partial \1", TITLES[part])


FORMULA_PARTS = {"dL_dx_formula": "x", "dL_dh_formula": "h"}   # symconv check's formula parts: ∂L/∂x, ∂L/∂h


def _expected(g: Grade, lang: str) -> Block:
    """The expected value as the report writes it (matrices, a large one by its first rows and its shape; a
    closed form in the report's notation); as text when the sheet has neither."""
    if g.part in FORMULA_PARTS:
        try:
            form = parse(g.expected, 2)
        except SymconvError:
            return _mono(cut(g.expected, MAX_SHOWN, lang))
        return Math(rf"\frac{{\partial L}}{{\partial {FORMULA_PARTS[g.part]}}} = {form_latex(form)}")
    if g.value is None or g.part not in TITLES:
        return _mono(cut(g.expected, MAX_SHOWN, lang))
    return Math(f"{TITLES[g.part]} = {tensor_latex(g.value)}")


_NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:/\d+)?")


def _given(g: Grade, given: str) -> Block:
    """The given value as read, as matrices like the expected one when it is a list of numbers (the grader
    writes it [1/5, 4/5, ...]), read with ``Fraction`` and never evaluated; else the text as typed."""
    if g.part in TITLES and g.value is not None and given == g.given and len(given) <= MAX_SHOWN:
        try:
            nested = json.loads(_NUMBER.sub(lambda m: f'"{m.group()}"', given))
            value = np.vectorize(lambda t: sp.Rational(Fraction(t)), otypes=[object])(np.array(nested, dtype=object))
        except (ValueError, TypeError, ZeroDivisionError):
            return _mono(given)
        if value.size and value.dtype == object and value.ndim == np.asarray(g.value).ndim:
            return Math(f"{TITLES[g.part]} = {tensor_latex(value)}")
    return _mono(given)


def _mono(text: str) -> Block:
    return Code(text)
