"""A class graded at once (``symconv check SHEET... | FOLDER``): the gradebook and its CSV and JSON files.

One row per student and part: the student (the sheet's file stem), the part, the verdict, the mistake named
(empty when none is) and the verdict's detail. A sheet that could not be read at all is kept as an error of
its own, never dropped silently, and the other sheets are graded regardless.

>>> book = Gradebook()
>>> book.add("alice", "alice.tex", [])
>>> book.fail("bob.tex", "bob.tex: no labelled answers")
>>> book.exit_status()
1
>>> print(book.to_csv().strip())
student,file,part,verdict,mistake,detail
bob,bob.tex,,error,,bob.tex: no labelled answers
"""

from __future__ import annotations

import csv
import io
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, TextIO

from .grade import Grade, summary

SUFFIXES = (".tex", ".toml")
COLUMNS = ("student", "file", "part", "verdict", "mistake", "detail")


def mistake_of(grade: Grade) -> str:
    """The mistake a grade names (comma-separated keys when several, :mod:`.mistakes` and
    :data:`.formulas.MISTAKES`), or ""."""
    return grade.mistake


def detail_of(grade: Grade) -> str:
    """The grade's detail in English; should wording it ever fail, a line saying so, so that one answer
    cannot stop a whole class."""
    try:
        return grade.detail
    except (TypeError, KeyError, ValueError) as exc:
        return f"(the detail could not be worded: {exc.__class__.__name__}: {exc})"


def sheets(paths: Iterable[str | Path]) -> list[Path]:
    """The answer sheets named: files as given, and a folder's .tex and .toml files (not its subfolders), in
    name order; each once."""
    found: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            found += sorted(q for q in p.iterdir() if q.suffix in SUFFIXES and q.is_file())
        else:
            found.append(p)
    seen: set[Path] = set()
    return [p for p in found if not (p.resolve() in seen or seen.add(p.resolve()))]  # type: ignore[func-returns-value]


def students(files: list[Path]) -> dict[Path, str]:
    """Each sheet's student: its file stem, or its file name where two sheets share a stem (alice.tex and
    alice.toml), or the path when even that repeats (two folders)."""
    stems = [f.stem for f in files]
    names = [f.name if stems.count(f.stem) > 1 else f.stem for f in files]
    return {f: (str(f) if names.count(n) > 1 else n) for f, n in zip(files, names)}


@dataclass
class Sheet:
    student: str
    file: str
    grades: list[Grade]


@dataclass
class Gradebook:
    sheets: list[Sheet] = field(default_factory=list)
    errors: list[tuple[str, str]] = field(default_factory=list)     # (file, message)

    def add(self, student: str, file: str, grades: list[Grade]) -> None:
        self.sheets.append(Sheet(student, file, grades))

    def fail(self, file: str, message: str) -> None:
        self.errors.append((file, message))

    def rows(self) -> list[dict[str, str]]:
        rows = [{"student": s.student, "file": s.file, "part": g.part, "verdict": g.verdict,
                 "mistake": mistake_of(g), "detail": detail_of(g)} for s in self.sheets for g in s.grades]
        rows += [{"student": Path(f).stem, "file": f, "part": "", "verdict": "error", "mistake": "",
                  "detail": m} for f, m in self.errors]
        return rows

    def to_csv(self) -> str:
        """The rows as CSV; a cell that a spreadsheet would run as a formula (=, +, -, @ first) is quoted
        with a leading apostrophe, as OWASP advises for CSV files opened in spreadsheets."""
        buf = io.StringIO()
        writer = csv.DictWriter(buf, COLUMNS, lineterminator="\n")
        writer.writeheader()
        for row in self.rows():
            writer.writerow({k: _cell(v) for k, v in row.items()})
        return buf.getvalue()

    def to_dict(self) -> dict[str, Any]:
        return {"students": [{"student": s.student, "file": s.file, "summary": summary(s.grades),
                              "parts": [{"part": g.part, "verdict": g.verdict, "mistake": mistake_of(g),
                                         "detail": detail_of(g), "given": g.given, "expected": g.expected}
                                        for g in s.grades]} for s in self.sheets],
                "errors": [{"file": f, "error": m} for f, m in self.errors]}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n"

    def table(self) -> str:
        """One line per student: the counts of each verdict; then the sheets that could not be read."""
        head = ("student", "correct", "wrong", "unparsed", "missing")
        rows = [head] + [(s.student,) + tuple(str(n) for n in summary(s.grades).values()) for s in self.sheets]
        width = max(len(r[0]) for r in rows)
        lines = [f"{r[0]:<{width}}  " + "  ".join(f"{c:>8}" for c in r[1:]) for r in rows]
        lines.insert(1, "-" * len(lines[0]))
        lines += [f"not graded: {m}" for _, m in self.errors]
        ok = sum(all(g.verdict in ("correct", "missing") for g in s.grades) for s in self.sheets)
        lines.append(f"{len(self.sheets)} sheets graded ({ok} with every present part correct), "
                     f"{len(self.errors)} not readable")
        return "\n".join(lines)

    def exit_status(self) -> int:
        """0 when every present part of every sheet is correct, 2 when no sheet could be read, else 1."""
        if not self.sheets and self.errors:
            return 2
        if self.errors:
            return 1
        return 0 if all(g.verdict in ("correct", "missing") for s in self.sheets for g in s.grades) else 1


def _cell(value: str) -> str:
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


class Progress:
    """A progress bar on a terminal (``[#####.....] 5/10 alice.tex``), redrawn in place; nothing on a stream
    that is not a terminal (a log or a pipe), where a bar would only be noise."""

    def __init__(self, total: int, stream: TextIO | None = None, width: int = 24, force: bool = False) -> None:
        self.total, self.width, self.done = total, width, 0
        self.stream = stream if stream is not None else sys.stderr
        self.on = force or (hasattr(self.stream, "isatty") and self.stream.isatty())

    def step(self, name: str) -> None:
        self.done += 1
        if self.on:
            filled = self.width * self.done // max(self.total, 1)
            shown = "".join(ch for ch in name if ch.isprintable())[:40]
            self.stream.write(f"\r[{'#' * filled}{'.' * (self.width - filled)}] {self.done}/{self.total} "
                              f"{shown}\033[K")
            self.stream.flush()

    def close(self) -> None:
        if self.on and self.done:
            self.stream.write("\r\033[K")
            self.stream.flush()
