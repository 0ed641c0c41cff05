r"""Text with the student's columns: a piece of an answer after rewriting, and where each character stood.

Every rewrite of an answer (a matrix environment renamed, a remark dropped, a tuple turned into a row) works on
a :class:`Src`, so that a message about the rewritten text still names the student's own column and quotes
the student's own text:

>>> s = Src.of(r"x = \dfrac{1}{2}").sub(r"\\dfrac", r"\frac")
>>> s.text, s.col(4), s.col(9), s.student()
('x = \\frac{1}{2}', 4, 10, 'x = \\dfrac{1}{2}')

Scanning helpers find what stands at the top level (outside every bracket and environment).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

from ..errors import InputError, SymconvError
from ..wording import w


Reason = tuple[str, dict[str, Any]]     # a sentence of symconv.wording and its values (a value may be a Reason)


class ParseError(SymconvError, ValueError):
    """An answer the parser could not read: the reason and the offending text (the student's column). Its
    message is English; ``reason``, when set, is the same sentence as a wording key and values, for a sheet
    in another language."""

    def __init__(self, message: str, reason: Reason | None = None) -> None:
        super().__init__(message)
        self.reason = reason


def render(reason: Reason, lang: str = "en") -> str:
    key, values = reason
    return w(key, lang, **{k: render(v, lang) if isinstance(v, tuple) else v for k, v in values.items()})


def worded(key: str, **values: Any) -> ParseError:
    """A :class:`ParseError` saying the sentence ``key`` of :mod:`symconv.wording`."""
    return ParseError(render((key, values)), (key, values))


def where(src: Src, i: int) -> Reason:
    """Where character ``i`` of ``src`` stood in the student's text: its column (1-based) and the text from
    there."""
    col = src.col(i)
    rest = " ".join(src.whole[col:].split())
    if not rest:
        return "p.at_end", {"col": col + 1}
    return "p.at", {"col": col + 1, "rest": rest[:24] + ("…" if len(rest) > 24 else "")}


class Src:
    """A piece of text and, for each character, its index in the student's whole text (``whole``)."""

    __slots__ = ("text", "origin", "whole")

    def __init__(self, text: str, origin: tuple[int, ...], whole: str) -> None:
        self.text, self.origin, self.whole = text, origin, whole

    @classmethod
    def of(cls, whole: str) -> Src:
        return cls(whole, tuple(range(len(whole))), whole)

    def __len__(self) -> int:
        return len(self.text)

    def __repr__(self) -> str:
        return f"Src({self.text!r})"

    def __getitem__(self, key: slice) -> Src:
        return Src(self.text[key], self.origin[key], self.whole)

    def col(self, i: int) -> int:
        """The student's index of character ``i`` (just past the last character for ``i == len``)."""
        if i < len(self.origin):
            return self.origin[i]
        return self.origin[-1] + 1 if self.origin else len(self.whole)

    def student(self) -> str:
        """The student's own text this piece was made from."""
        if not self.origin:
            return ""
        return self.whole[min(self.origin):max(self.origin) + 1]

    def sub(self, pattern: str | re.Pattern[str], repl: str | Callable[[re.Match[str]], str]) -> Src:
        """``re.sub`` that keeps the origins; new text takes the origin of what it replaces. A string
        ``repl`` is literal (no group references)."""
        pat = re.compile(pattern) if isinstance(pattern, str) else pattern
        text: list[str] = []
        origin: list[int] = []
        last = 0
        for m in pat.finditer(self.text):
            text.append(self.text[last:m.start()])
            origin.extend(self.origin[last:m.start()])
            new = repl if isinstance(repl, str) else repl(m)
            text.append(new)
            if new:      # new text stands where the old began; its last character where the old ended
                end = self.col(max(m.end() - 1, m.start()))
                origin.extend([self.col(m.start())] * (len(new) - 1) + [end])
            last = m.end()
        text.append(self.text[last:])
        origin.extend(self.origin[last:])
        return Src("".join(text), tuple(origin), self.whole)

    def strip(self) -> Src:
        body = self.text.strip()
        start = len(self.text) - len(self.text.lstrip())
        return self[start:start + len(body)]

    @staticmethod
    def join(parts: list[Src], sep: str = " ") -> Src:
        whole = parts[0].whole
        text: list[str] = []
        origin: list[int] = []
        for k, p in enumerate(parts):
            if k:
                text.append(sep)
                origin.extend([p.col(0)] * len(sep))
            text.append(p.text)
            origin.extend(p.origin)
        return Src("".join(text), tuple(origin), whole)


class Refused(str):
    """An answer refused before it was read (a TOML sheet's value over a limit, which tomllib could not even
    convert): the value's text, shortened, and why. Graded ``unparsed`` with that reason."""

    reason: str

    def __new__(cls, text: str, reason: str) -> Refused:
        made = super().__new__(cls, text)
        made.reason = reason
        return made


def toml_sheet(text: str, name: str) -> dict[str, Any]:
    r"""A TOML answer sheet's keys and values. A top-level value over a limit of
    :func:`symconv.homework.inputs.toml_limits` (an integer of 4,301 digits, arrays nested 600 deep) becomes a
    :class:`Refused` answer and the other answers are read; one inside a table, or TOML's own error, is an
    :class:`~symconv.errors.InputError` for the sheet (``name``: the file's name).

    >>> toml_sheet('L = "\\\\ln 5"\np = ' + "7" * 4301, "s.toml")["p"].reason
    'a number of 4,301 digits (the limit is 4,300)'
    """
    from ..homework.inputs import toml_limits, toml_loads

    refused: dict[str, Refused] = {}
    for e in reversed(toml_limits(text)):        # from the end, so that earlier spans stay where they are
        if not e.problem:
            continue
        if "." in e.field:
            raise InputError(f"{name}: {e.field}: {e.problem}")
        value = " ".join(text[e.start:e.end].split())
        refused[e.field] = Refused(value[:40] + (f"… ({len(value):,} characters)" if len(value) > 40 else ""),
                                   e.problem)
        text = text[:e.start] + ' ""' + text[e.end:]
    data = toml_loads(text, name)
    return {**data, **{k: refused[k] for k in reversed(list(refused))}}


# --------------------------------------------------------------------------------------------- scanning

ENVIRONMENT = re.compile(r"\\(begin|end)\s*\{[^{}]*\}")


_TOKEN = re.compile(r"\\(begin|end)\s*\{[^{}]*\}"                                  # an environment
                    r"|\\(?:(\{|lbrace(?![a-zA-Z])|langle(?![a-zA-Z]))|\}|rbrace(?![a-zA-Z])|rangle(?![a-zA-Z]))"
                    r"|\\[a-zA-Z]+|\\.|([{\[(])|[}\])]")


def _positions(text: str, any_depth: bool) -> Iterator[int]:
    """The positions outside environments (and, unless ``any_depth``, outside every brace, bracket and
    parenthesis, ``\\{ \\}`` too): every plain character and the start of every command. One regex pass over
    the tokens; the characters between two tokens share their depth."""
    depth = env = last = 0
    for m in _TOKEN.finditer(text):
        out = env == 0 and (any_depth or depth == 0)
        if out:
            yield from range(last, m.start())
        if m.group(1):
            env += 1 if m.group(1) == "begin" else -1
        else:
            if out:
                yield m.start()
            opened = m.group(2) or m.group(3)
            if opened or m.group(0) in ("}", "]", ")") or m.group(0)[1:] in ("}", "rbrace", "rangle"):
                depth += 1 if opened else -1
        last = m.end()
    if env == 0 and (any_depth or depth == 0):
        yield from range(last, len(text))


def top_level(text: str) -> Iterator[int]:
    """The positions outside every brace, bracket, parenthesis and environment."""
    return _positions(text, any_depth=False)


def spans_top(text: str, pattern: re.Pattern[str]) -> list[tuple[str, int, int]]:
    """``text`` cut at the top-level matches of ``pattern``: (the separator before, start, end) per piece."""
    pieces: list[tuple[str, int, int]] = []
    sep, start, skip_to = "", 0, 0
    for i in top_level(text):
        if i < skip_to:
            continue
        m = pattern.match(text, i)
        if m and m.end() > i:
            pieces.append((sep, start, i))
            sep, start, skip_to = m.group(0), m.end(), m.end()
    pieces.append((sep, start, len(text)))
    return pieces


def split_top(src: Src, pattern: re.Pattern[str]) -> list[tuple[str, Src]]:
    """``src`` cut at the top-level matches of ``pattern``: (the separator before the piece, the piece)."""
    return [(sep, src[a:b]) for sep, a, b in spans_top(src.text, pattern)]


def closing(text: str, i: int) -> int:
    """The index just past the bracket that closes the one opening at ``i`` (``(``, ``[`` or ``{``)."""
    depth = 0
    while i < len(text):
        ch = text[i]
        if ch == "\\":
            i += 2
            continue
        if ch in "{[(":
            depth += 1
        elif ch in "}])":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return len(text)


def top_level_all(text: str) -> Iterator[int]:
    """Every position outside environments, at any bracket depth (so nested lists are found too)."""
    return _positions(text, any_depth=True)
