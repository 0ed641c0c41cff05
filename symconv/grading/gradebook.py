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
import hashlib
import io
import json
import stat
import sys
import unicodedata
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
    name order; each once. :func:`find_sheets` also says which paths were passed over, and why."""
    return find_sheets(paths)[0]


def find_sheets(paths: Iterable[str | Path]) -> tuple[list[Path], list[tuple[Path, str]]]:
    """The answer sheets named, as :func:`sheets`, and every path named like a sheet that is not read, with
    the reason: in a folder, a folder named ``x.tex``, a FIFO, a device or a link to one, a link to nothing,
    a path that cannot be looked at. Only ``stat`` is asked (no path is opened here: a FIFO never blocks)."""
    found: list[Path] = []
    skipped: list[tuple[Path, str]] = []
    for p in map(Path, paths):
        try:
            folder = p.is_dir()
            inside = sorted(q for q in p.iterdir() if q.suffix in SUFFIXES) if folder else []
        except OSError as exc:
            skipped.append((p, f"a folder that cannot be listed ({exc.__class__.__name__})"))
            continue
        if not folder:
            found.append(p)        # a file named on the command line: read_answers says what is wrong with it
        for q in inside:
            why = _not_a_sheet(q)
            if why:
                skipped.append((q, why))
            else:
                found.append(q)
    unique: dict[Path, Path] = {}
    for p in found:
        real = p.resolve()
        kept = unique.setdefault(real, p)
        if kept is not p:      # a link and the file it names: the file's own name is the student's
            alias, kept = (kept, p) if kept.is_symlink() and not p.is_symlink() else (p, kept)
            unique[real] = kept
            skipped.append((alias, f"the same file as {kept.name}"))
    return [unique[r] for r in unique], skipped


def _not_a_sheet(path: Path) -> str:
    """Why a folder's entry named like a sheet is not one ("" when it is a regular file, readable or not:
    reading it says what is wrong)."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return "a link to nothing"
    except OSError as exc:
        return f"cannot be looked at ({exc.__class__.__name__})"
    if stat.S_ISDIR(mode):
        return "a folder, not a sheet (folders inside are not searched)"
    if not stat.S_ISREG(mode):
        kind = "a FIFO" if stat.S_ISFIFO(mode) else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) \
            else "a socket" if stat.S_ISSOCK(mode) else "not a regular file"
        return f"{kind}, not a regular file" if kind != "not a regular file" else kind
    return ""


MAX_STEM_BYTES = 80      # a graded sheet's stem (grades_STEM_zh.pdf stays far below the 255-byte NAME_MAX)


def sheet_stems(students: Iterable[str]) -> dict[str, str]:
    """Each student's stem for the graded sheet's files: the student's name when it is printable, has no
    ``/`` or ``\\`` and is at most :data:`MAX_STEM_BYTES` bytes; otherwise made so (``_`` for each such
    character, cut) and followed by ``-`` and 10 hex digits of the name's SHA-256, so that no two students
    share a file (not even on a file system that ignores case).

    >>> sheet_stems(["alice", "p/q.tex", "p_q.tex"])
    {'alice': 'alice', 'p/q.tex': 'p_q.tex-687ae3c600', 'p_q.tex': 'p_q.tex'}
    >>> len(sheet_stems(["x" * 251])["x" * 251])
    80
    """
    names = list(students)
    stems = {n: _stem(n) for n in names}
    folded = [s.casefold() for s in stems.values()]
    for n, s in stems.items():
        if folded.count(s.casefold()) > 1:        # "Alice" and "alice", or a name that looks like a hashed one
            stems[n] = _stem(n, hashed=True)
    return stems


def _stem(name: str, hashed: bool = False) -> str:
    safe = "".join(ch if ch.isprintable() and ch not in "/\\" else "_" for ch in name)
    if safe == name and len(safe.encode()) <= MAX_STEM_BYTES and not hashed:
        return safe
    digest = hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()[:10]
    cut = safe.encode()[:MAX_STEM_BYTES - len(digest) - 1].decode("utf-8", "ignore")
    return f"{cut}-{digest}"


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
        """The rows as CSV, every cell made inert for a spreadsheet (:func:`_cell`)."""
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
        """One line per student: the counts of each verdict; then each sheet's error (unreadable, its worker
        stopped, its PDF failed)."""
        head = ("student", "correct", "wrong", "unparsed", "missing")
        rows = [head] + [(visible(s.student),) + tuple(str(n) for n in summary(s.grades).values())
                         for s in self.sheets]
        width = max(len(r[0]) for r in rows)
        lines = [f"{r[0]:<{width}}  " + "  ".join(f"{c:>8}" for c in r[1:]) for r in rows]
        lines.insert(1, "-" * len(lines[0]))
        lines += [f"error: {visible(m)}" for _, m in self.errors]
        ok = sum(all(g.verdict in ("correct", "missing") for g in s.grades) for s in self.sheets)
        lines.append(f"{len(self.sheets)} sheets graded ({ok} with every present part correct), "
                     f"{len(self.errors)} errors")
        return "\n".join(lines)

    def exit_status(self) -> int:
        """0 when every present part of every sheet is correct, 2 when no sheet could be read, else 1."""
        if not self.sheets and self.errors:
            return 2
        if self.errors:
            return 1
        return 0 if all(g.verdict in ("correct", "missing") for s in self.sheets for g in s.grades) else 1


def visible(text: str) -> str:
    r"""``text`` for a terminal line: each control, format or line-separator character (a newline in a file's
    name would start a forged row of the summary; a bidi override would reorder it) shown as its escape.

    >>> visible("weak\nzz_fake  12"), visible("a\u202eb\tc")
    ('weak\\nzz_fake  12', 'a\\u202eb\\tc')
    """
    return "".join(ch.encode("unicode_escape", "backslashreplace").decode("ascii")
                   if unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Zl", "Zp") else ch for ch in text)


def _cell(value: str) -> str:
    r"""A CSV cell a spreadsheet shows as text. Line breaks, tabs and other control characters become spaces
    (a spreadsheet may start a formula on any line of a cell: a file named ``\r=2+5.tex``), then a cell whose
    first visible character is ``=``, ``+``, ``-`` or ``@`` gets a leading apostrophe (OWASP's advice for
    CSV injection). The JSON gradebook keeps every character.

    >>> _cell("\r=2+5"), _cell("a\n@SUM(1)"), _cell("1 entry differs")
    ("' =2+5", 'a @SUM(1)', '1 entry differs')
    """
    flat = "".join(" " if unicodedata.category(ch) in ("Cc", "Zl", "Zp") else ch for ch in value)
    return "'" + flat if flat.lstrip()[:1] in ("=", "+", "-", "@") else flat


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
