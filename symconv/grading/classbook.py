"""A class of variants graded (``symconv check SHEETS --variants DIR``): each sheet matched to its student,
points per part, and the gradebook in the layouts a course imports.

Matching: a ``student = "…"`` line in the sheet (a ``%`` comment in a .tex, a key in a .toml) names the
student; without one, the roster id that appears in the file's name as a whole word (``s001.tex``,
``hw11-s001-final.tex``; compared ignoring case; the longest id when several do). Points: each asked part's
points when it is ``correct``, else 0; a part the homework does not ask is not ``missing`` (its row is left
out) and earns nothing when answered.

Layouts (every cell made inert for a spreadsheet, as the long gradebook's):

- ``wide``: one row per student of the roster: id, name, the points of each asked part, total, the mistakes
  named (``dL_dh: relu_mask; L: log_base_10``) and a note (no sheet, or why a sheet could not be graded);
  UTF-8 with a byte-order mark, which Excel needs to show Chinese names.
- ``canvas``: Canvas's gradebook CSV: ``Student, ID, SIS User ID, SIS Login ID, Section`` and one assignment
  column named after the homework, a ``Points Possible`` row first; students matched by SIS User ID (the
  roster's id), the Canvas ID left empty for Canvas to fill.
- ``moodle``: Moodle's CSV grade import: an identifier column (``ID number``, the roster's id, and
  ``Email address`` when the roster has emails; map either in Moodle's "Identify user by"), the name and one
  grade column.

The two import files are plain UTF-8 (an LMS reads UTF-8; only Excel needs the mark).

>>> match_student("hw-S002-final.tex", "", ["s001", "s002", "s0021"])
('s002', 'file name')
>>> match_student("x.tex", '% student = "s001"\\n', ["s001"])
('s001', 'student line')
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Iterable

from .gradebook import _cell
from .grade import Grade

BOM = "\ufeff"
STUDENT_LINE = re.compile(r'^[ \t]*%?[ \t]*student[ \t]*=[ \t]*"((?:[^"\\\n]|\\.)*)"[ \t]*$', re.MULTILINE)


def student_line(text: str) -> str | None:
    """The id a sheet's ``student = "…"`` line states (``\\"`` and ``\\\\`` unescaped), or None."""
    m = STUDENT_LINE.search(text)
    return None if m is None else re.sub(r"\\(.)", r"\1", m.group(1))


def match_student(file_name: str, text: str, ids: Iterable[str]) -> tuple[str | None, str]:
    """The roster id a sheet belongs to and how it was found (``student line`` or ``file name``); (None,
    reason) when no id matches. A ``student = "…"`` line naming no student of the roster is no match (a
    file name is not tried instead: the sheet says whose it is)."""
    by_fold = {i.casefold(): i for i in ids}
    stated = student_line(text)
    if stated is not None:
        sid = by_fold.get(stated.strip().casefold())
        return (sid, "student line") if sid else (None, f'its student = "{stated}" line names no student of '
                                                        f'the roster')
    stem = file_name.rsplit(".", 1)[0].casefold()
    found = [i for f, i in by_fold.items()
             if re.search(rf"(?<![^\W_]){re.escape(f)}(?![^\W_])", stem)]
    if not found:
        return None, "no roster id in its name and no student = \"…\" line"
    return max(found, key=len), "file name"


def asked_grades(grades: list[Grade], asked: Iterable[str]) -> list[Grade]:
    """``grades`` without the ``missing`` rows of parts the homework does not ask."""
    wanted = set(asked)
    return [g for g in grades if g.verdict != "missing" or g.part in wanted]


def points_text(p: Fraction) -> str:
    """``2``, ``1.5``, ``0.25`` (points have at most two decimal places)."""
    if p.denominator == 1:
        return str(p.numerator)
    return f"{float(p):.2f}".rstrip("0").rstrip(".")


@dataclass
class Entry:
    """One roster student's line of the class: their grades (None: no sheet), or why none could be made."""

    id: str
    name: str
    email: str = ""
    section: str = ""
    login: str = ""
    grades: list[Grade] | None = None
    note: str = ""


@dataclass
class ClassBook:
    title: str
    points: dict[str, Fraction]
    entries: list[Entry] = field(default_factory=list)

    def earned(self, e: Entry) -> dict[str, Fraction] | None:
        if e.grades is None:
            return None
        verdicts = {g.part: g.verdict for g in e.grades}
        return {p: (n if verdicts.get(p) == "correct" else Fraction(0)) for p, n in self.points.items()}

    def total(self, e: Entry) -> Fraction | None:
        got = self.earned(e)
        return None if got is None else sum(got.values(), Fraction(0))

    @property
    def possible(self) -> Fraction:
        return sum(self.points.values(), Fraction(0))

    def wide_rows(self) -> list[list[str]]:
        head = ["id", "name", *self.points, "total", "mistakes", "note"]
        rows = [head]
        for e in self.entries:
            got = self.earned(e)
            cells = [points_text(got[p]) if got is not None else "" for p in self.points]
            total = self.total(e)
            mistakes = "; ".join(f"{g.part}: {g.mistake}" for g in e.grades or [] if g.mistake)
            rows.append([e.id, e.name, *cells, points_text(total) if total is not None else "", mistakes, e.note])
        return rows

    def wide_csv(self) -> str:
        return BOM + _csv(self.wide_rows())

    def canvas_csv(self) -> str:
        rows = [["Student", "ID", "SIS User ID", "SIS Login ID", "Section", self.title],
                ["Points Possible", "", "", "", "", points_text(self.possible)]]
        for e in self.entries:
            total = self.total(e)
            rows.append([e.name, "", e.id, e.login, e.section, points_text(total) if total is not None else ""])
        return _csv(rows)

    def moodle_csv(self) -> str:
        emails = any(e.email for e in self.entries)
        head = ["ID number"] + (["Email address"] if emails else []) + ["Full name", self.title]
        rows = [head]
        for e in self.entries:
            total = self.total(e)
            rows.append([e.id] + ([e.email] if emails else []) + [e.name,
                                                                   points_text(total) if total is not None else ""])
        return _csv(rows)

    def to_dict(self) -> dict[str, Any]:
        return {"title": self.title, "points": {p: points_text(n) for p, n in self.points.items()},
                "possible": points_text(self.possible),
                "students": [{"id": e.id, "name": e.name, "points": None if self.earned(e) is None else
                              {p: points_text(n) for p, n in (self.earned(e) or {}).items()},
                              "total": None if self.total(e) is None else points_text(self.total(e) or Fraction(0)),
                              "mistakes": {g.part: g.mistake for g in e.grades or [] if g.mistake},
                              "note": e.note} for e in self.entries]}


def _csv(rows: list[list[str]]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    for row in rows:
        writer.writerow([_cell(c) for c in row])
    return buf.getvalue()
