"""The grading sheet of ``symconv check``: every verdict, and the given and expected value of each part
that is not correct, as .tex and .md. Part names come from users' files: escaped wherever they land."""

from __future__ import annotations

import re

from ..grading.grade import Grade, summary
from ..wording import w
from .doc import Block, Code, Heading, Math, Mono, Para, Table, UserText, to_latex, to_markdown, user_text
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
        tuple((_part_cell(g.part), w("v." + g.verdict, lang), UserText(cut(g.detail_text(lang), MAX_CELL, lang)))
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
            blocks += [Heading(f"${_inline(g.part)}$" if g.part in TITLES else user_text(cut(g.part, MAX_CELL, lang)),
                               3)]
            if g.mistake_text(lang):
                blocks.append(Para(user_text(w("g.likely", lang, mistake=g.mistake_text(lang)))))
            blocks += [Para(w("g.given", lang)), _mono(given), Para(w("g.expected", lang)), _expected(g, lang)]
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


def _part_cell(part: str) -> str | Mono | UserText:
    """A part's name in the table: a known part as the homework writes it ($\\partial L/\\partial p$), another
    name in typewriter (a label from a .tex), escaped text otherwise (a .toml key can hold anything)."""
    if part in TITLES:
        return f"${_inline(part)}$"
    part = cut(part, MAX_CELL)
    return Mono(part) if re.fullmatch(r"[A-Za-z0-9_]+", part) else UserText(part)


def _inline(part: str) -> str:
    """A part's title for a line of text: ∂L/∂p written on the line, not as a small fraction."""
    return re.sub(r"^\\frac\{\\partial L\}\{\\partial (.+)\}$", r"\\partial L / \\partial \1", TITLES[part])


def _expected(g: Grade, lang: str) -> Block:
    """The expected value as the report writes it (matrices, a large one by its first rows and its shape);
    as text when the sheet has no tensor for it."""
    if g.value is None or g.part not in TITLES:
        return _mono(cut(g.expected, MAX_SHOWN, lang))
    return Math(f"{TITLES[g.part]} = {tensor_latex(g.value)}")


def _mono(text: str) -> Block:
    return Code(text)
