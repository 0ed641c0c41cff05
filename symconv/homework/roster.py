"""A class's roster: who gets a variant (``symconv variants --students ROSTER.csv|N``).

A roster is a CSV file (UTF-8; a byte-order mark, as Excel writes it, is dropped) whose header names an
``id`` column and a ``name`` column (any case; also ``student id``/``学号`` and ``full name``/``姓名``), and
optionally ``email``, ``section`` and ``login`` (carried to the Canvas and Moodle gradebooks). Every id is
non-empty, at most :data:`MAX_ID` characters, free of control characters, and unique ignoring case (two
files ``S1`` and ``s1`` would be one file on some disks). Names may hold anything printable: they are
escaped wherever they go. A bad roster is one line naming the line and the field.

>>> [s.id for s in numbered(3)]
['s001', 's002', 's003']
>>> read_text("id,name\\ns1,Ada\\nS1,Bob\\n", "r.csv")
Traceback (most recent call last):
...
symconv.errors.InputError: r.csv: line 3: id: 'S1' repeats line 2's 's1' (ids are compared ignoring case)
"""

from __future__ import annotations

import csv
import io
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError

MAX_STUDENTS = 10_000
MAX_ID = 64
MAX_NAME = 200
COLUMNS = {"id": ("id", "student id", "student_id", "学号"), "name": ("name", "full name", "student", "姓名"),
           "email": ("email", "email address", "e-mail"), "section": ("section",), "login": ("login", "sis login id")}


@dataclass(frozen=True)
class Student:
    id: str
    name: str
    email: str = ""
    section: str = ""
    login: str = ""


def numbered(n: int) -> list[Student]:
    """``n`` students ``s001``, ``s002``, ... (``--students N``)."""
    if not 1 <= n <= MAX_STUDENTS:
        raise InputError(f"--students: expected a roster file or a number from 1 to {MAX_STUDENTS:,}, got {n}")
    width = max(3, len(str(n)))
    return [Student(f"s{k:0{width}d}", f"Student {k}") for k in range(1, n + 1)]


def read_roster(path: str | Path) -> list[Student]:
    """The roster file read and checked (:func:`read_text`)."""
    from .inputs import read_user_file
    path = Path(path)
    return read_text(read_user_file(path), path.name)


def read_text(text: str, name: str) -> list[Student]:
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"), newline="")))
    rows = [(k + 1, r) for k, r in enumerate(rows) if any(c.strip() for c in r)]
    if not rows:
        raise InputError(f"{name}: an empty roster (write a header id,name and one line per student)")
    line, header = rows[0]
    folded = [" ".join(h.split()).casefold() for h in header]
    where: dict[str, int] = {}
    for field, names in COLUMNS.items():
        found = [k for k, h in enumerate(folded) if h in names]
        if len(found) > 1:
            raise InputError(f"{name}: line {line}: the header has two {field} columns")
        if found:
            where[field] = found[0]
    for field in ("id", "name"):
        if field not in where:
            shown = ", ".join(repr(h) for h in header[:8])
            raise InputError(f"{name}: line {line}: no {field!r} column (the header is {shown}; a roster's header "
                             f"names id and name)")
    if len(rows) - 1 > MAX_STUDENTS:
        raise InputError(f"{name}: {len(rows) - 1:,} students, more than the limit of {MAX_STUDENTS:,}")
    students: list[Student] = []
    seen: dict[str, tuple[int, str]] = {}
    for line, row in rows[1:]:
        values = {f: (row[k].strip() if k < len(row) else "") for f, k in where.items()}
        for field, value in values.items():
            # a control character or a bidi override (which would reorder a gradebook's line); the joiners
            # that Persian and Indic names need are text
            bad = next((ch for ch in value if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp")
                        and ch not in "\u200c\u200d"), None)
            if bad is not None:
                raise InputError(f"{name}: line {line}: {field}: holds the control character U+{ord(bad):04X}")
        sid = values["id"]
        if not sid:
            raise InputError(f"{name}: line {line}: id: empty (every student needs an id)")
        if len(sid) > MAX_ID:
            raise InputError(f"{name}: line {line}: id: {len(sid)} characters, more than the limit of {MAX_ID}")
        if len(values["name"]) > MAX_NAME:
            raise InputError(f"{name}: line {line}: name: {len(values['name'])} characters, more than the limit "
                             f"of {MAX_NAME}")
        if sid.casefold() in seen:
            first, was = seen[sid.casefold()]
            raise InputError(f"{name}: line {line}: id: {sid!r} repeats line {first}'s {was!r} (ids are compared "
                             f"ignoring case)")
        seen[sid.casefold()] = (line, sid)
        students.append(Student(sid, values["name"] or sid, values.get("email", ""), values.get("section", ""),
                                values.get("login", "")))
    if not students:
        raise InputError(f"{name}: no students (only a header)")
    return students


MAX_STEM = 40     # characters of an id kept in a file's name (the rest is a hash)


def file_stems(ids: list[str]) -> dict[str, str]:
    """Each id as a file name's stem: letters, digits, ``_`` and ``-`` kept (any script), anything else
    ``_``; an id that had to change (or starts with ``-``, or is long) gets ``-`` and 10 hex digits of its
    SHA-256, and so do ids whose stems would meet ignoring case. Never ``.``, ``..``, a ``/`` or an option.

    >>> file_stems(["s001", "../etc", "张三", "-rf"])
    {'s001': 's001', '../etc': '___etc-f7f9121fdb', '张三': '张三', '-rf': 'rf-686c39acd6'}
    """
    import hashlib

    def stem(i: str, hashed: bool = False) -> str:
        safe = "".join(ch if (ch.isalnum() or ch in "_-") and ch.isprintable() else "_" for ch in i)
        if safe == i and not safe.startswith("-") and len(safe) <= MAX_STEM and not hashed:
            return safe
        digest = hashlib.sha256(i.encode("utf-8", "surrogatepass")).hexdigest()[:10]
        return f"{safe.lstrip('-')[:MAX_STEM]}-{digest}".lstrip("-")

    stems = {i: stem(i) for i in ids}
    folded = [s.casefold() for s in stems.values()]
    return {i: (stem(i, True) if folded.count(s.casefold()) > 1 else s) for i, s in stems.items()}
