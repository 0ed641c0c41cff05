"""The grading sheet of ``symconv check``: every verdict, and the given and expected value of each part
that is not correct, as .tex and .md. Part names come from users' files: escaped wherever they land."""

from __future__ import annotations

import re

from ..grading.grade import Grade, summary
from ..wording import w
from .doc import Block, Code, Heading, Mono, Para, Table, UserText, to_latex, to_markdown, user_text


def sheet(grades: list[Grade], name: str, lang: str = "en") -> tuple[str, str]:
    """A grading sheet as (.tex, .md)."""
    blocks: list[Block] = [Heading(w("g.grades", lang), 2), Table(
        (w("part", lang), w("verdict", lang), w("detail", lang)),
        tuple((_part_cell(g.part), w("v." + g.verdict, lang), UserText(g.detail_text(lang))) for g in grades))]
    s = summary(grades)
    blocks.append(Para(", ".join(f"{n} {w('v.' + v, lang)}" for v, n in s.items()) + "."))
    for g in grades:
        if g.verdict in ("wrong", "unparsed"):
            blocks += [Heading(user_text(g.part), 3)]
            if g.mistake_text(lang):
                blocks.append(Para(user_text(w("g.likely", lang, mistake=g.mistake_text(lang)))))
            blocks += [Para(w("g.given", lang)), _mono(g.given),
                       Para(w("g.expected", lang)), _mono(g.expected)]
    title = user_text(w("g.title", lang, name=name))
    return to_latex(blocks, title, lang=lang), to_markdown(blocks, title)


def _part_cell(part: str) -> Mono | UserText:
    """A part's name in the table: typewriter when it is a name (a known part, or a label from a .tex), escaped
    text otherwise (a .toml key can hold anything)."""
    return Mono(part) if re.fullmatch(r"[A-Za-z0-9_]+", part) else UserText(part)


def _mono(text: str) -> Block:
    return Code(text)
