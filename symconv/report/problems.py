"""A student's problem sheet (``symconv variants``): the student's own numbers, the settings of the homework,
the parts asked with their points, and how to hand the answers in, as .tex and .md.

Generic over the homework's format: every tensor drawn or given (a nested list in the file) is shown as a
matrix under its part name where it has one (``x``, ``h``, ``W``) or its field (``conv.bias``), and every
other setting (``conv.stride = 1``, ``loss.target = 3``, a layer's ``type``) in a table. The student's name
and id, and every string from the file, are escaped.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np

from ..errors import InputError
from ..homework.inputs import array
from ..wording import w
from .doc import Block, Code, Heading, Math, Mono, Para, Table, UserText, to_latex, to_markdown, user_text
from ..grading.classbook import points_text
from .grading import _part_cell
from .homework import _display, _num

SKIP = ("title", "variants", "points")


def problem_sheet(data: dict[str, Any], slots: dict[str, tuple[Any, ...]], points: dict[str, Fraction],
                  student_id: str, student_name: str, title: str, lang: str = "en") -> tuple[str, str]:
    """The sheet as (.tex, .md) for one student's homework ``data`` (the file's TOML, drawn)."""
    names = {path: name for name, path in slots.items()}
    tensors: list[Block] = []
    settings: list[tuple[Any, ...]] = []
    for section, value in data.items():
        if section in SKIP:
            continue
        for path, v in _fields(value, (section,)):
            field = ".".join(str(k if not isinstance(k, int) else k + 1) for k in path)
            a = _tensor(v, field)
            if a is not None:
                label = names.get(path)
                shown = label if label is not None and label.isidentifier() and len(label) <= 12 else None
                title_tex = _symbol(shown) if shown else r"\texttt{" + _tt(field) + "}"
                tensors += _display(title_tex, "=", a, _num)
            else:
                settings.append((Mono(field), UserText(str(v) if not isinstance(v, bool) else str(v).lower())))
    total = sum(points.values(), Fraction(0))
    template = "\n".join([f'% student = "{_quoted(student_id)}"'] + [
        f"\\begin{{equation}}\\label{{ans:{part}}}\n  ...\n\\end{{equation}}" for part in points
        if not part.endswith("_formula")])
    blocks: list[Block] = [
        Para(user_text(w("ps.student", lang, name=student_name, id=student_id))),
        Heading(w("ps.data", lang), 2), *tensors]
    if settings:
        blocks.append(Table((w("ps.setting", lang), w("ps.value", lang)), tuple(settings)))
    blocks += [Heading(w("ps.questions", lang), 2),
               Table((w("part", lang), w("ps.points", lang)),
                     tuple((_part_cell(p), points_text(n)) for p, n in points.items())),
               Para(w("ps.total", lang, n=points_text(total))),
               Heading(w("ps.hand_in", lang), 2), Para(w("ps.how", lang)), Code(template)]
    head = user_text(w("ps.title", lang, title=title))
    return to_latex(blocks, head, lang=lang), to_markdown(blocks, head)


def _tensor(v: Any, field: str) -> np.ndarray | None:
    """A list of numbers as an array of exact numbers; None for anything else (a list of words)."""
    if not isinstance(v, list):
        return None
    try:
        return array(v, field, np.ndim(np.array(v, dtype=object)), "a tensor")
    except (InputError, ValueError):
        return None


def _fields(value: Any, path: tuple[Any, ...]) -> list[tuple[tuple[Any, ...], Any]]:
    """Every leaf field under ``value``: tables and arrays of tables walked, a list of numbers a leaf."""
    if isinstance(value, dict):
        return [f for k, v in value.items() for f in _fields(v, path + (k,))]
    if isinstance(value, list) and value and all(isinstance(e, dict) for e in value):
        return [f for k, e in enumerate(value) for f in _fields(e, path + (k,))]
    return [(path, value)]


def _symbol(name: str) -> str:
    """A tensor's part name as a math symbol: ``W``, ``h``, ``x``; ``conv_bias`` as ``b^{conv}``."""
    if name.endswith("_bias"):
        return rf"b^{{\mathrm{{{name[:-5]}}}}}" if name[:-5].isalnum() else r"\texttt{" + _tt(name) + "}"
    head, digits = name.rstrip("0123456789"), name[len(name.rstrip("0123456789")):]
    return head + (f"_{{{digits}}}" if digits else "") if head.isalpha() and len(head) == 1 else \
        r"\mathrm{" + head.replace("_", r"\_") + "}" + (f"_{{{digits}}}" if digits else "")


def _tt(text: str) -> str:
    """A field name inside ``\\texttt`` in math: letters, digits, dots and escaped underscores only."""
    return "".join(ch if ch.isalnum() and ch.isascii() or ch == "." else r"\_" if ch == "_" else "?"
                   for ch in text)


def _quoted(text: str) -> str:
    """An id inside the template's ``student = "…"`` (a TOML-like basic string)."""
    return text.replace("\\", "\\\\").replace('"', '\\"')
