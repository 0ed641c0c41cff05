r"""The sheet's own macros, written out in its answers as LaTeX would: ``\newcommand{\dL}[1]{\frac{\partial L}
{\partial #1}}`` makes ``\dL{x_{c,i,j}}`` read as ``\frac{\partial L}{\partial x_{c,i,j}}``, and
``\DeclareMathOperator{\rot}{rot180}`` makes ``\rot(h)`` read as ``\operatorname{rot180}(h)``.

Definitions are read from the whole sheet (``\newcommand``, ``\renewcommand``, ``\providecommand``, starred or
not, with a number of arguments and an optional first one; ``\def\name#1#2{…}``; ``\DeclareMathOperator``).
Nothing is run: a definition is text put in place of its name, arguments substituted. Expansion is bounded: a
sheet whose macros grow an answer past :data:`MAX_GROWTH` times (or recurse past :data:`MAX_PASSES` passes)
keeps that answer as written, so the reader names the unknown command there and the other answers are read.

>>> defs = definitions(r"\newcommand{\dL}[1]{\frac{\partial L}{\partial #1}} \DeclareMathOperator{\rot}{rot180}")
>>> expand(r"\dL{x_{c}} = \rot(h)", defs)
'\\frac{\\partial L}{\\partial x_{c}} = \\operatorname{rot180}(h)'
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_PASSES = 16        # nested macros (a macro using another) expanded this deep
MAX_GROWTH = 20        # an answer may grow to this many times its length (plus 2,000 characters)


@dataclass(frozen=True)
class Macro:
    args: int
    body: str
    default: str | None = None      # the optional first argument's default (``\newcommand{\a}[2][x]{…}``)


def _group(text: str, i: int) -> tuple[str, int] | None:
    """The braced group starting at ``text[i] == "{"``: its content and the index after it."""
    if i >= len(text) or text[i] != "{":
        return None
    depth = 0
    for j in range(i, len(text)):
        c = text[j]
        if c == "\\":
            continue
        if c == "{" and (j == 0 or text[j - 1] != "\\"):
            depth += 1
        elif c == "}" and text[j - 1] != "\\":
            depth -= 1
            if depth == 0:
                return text[i + 1:j], j + 1
    return None


def _skip(text: str, i: int) -> int:
    while i < len(text) and text[i] in " \t\n":
        i += 1
    return i


_NAME = re.compile(r"\\([A-Za-z]+)")
_DEFINE = re.compile(r"\\(?:newcommand|renewcommand|providecommand)\*?\s*|\\DeclareMathOperator\*?\s*|"
                     r"\\def\s*(?=\\)")


def definitions(text: str) -> dict[str, Macro]:
    """Every macro the sheet defines, by name (without the backslash); the last definition of a name wins."""
    defs: dict[str, Macro] = {}
    for m in _DEFINE.finditer(text):
        i = m.end()
        braced = _group(text, i)
        if braced is not None:
            name_text, i = braced
        else:
            name_text = ""
        name = _NAME.fullmatch(name_text.strip()) if braced is not None else _NAME.match(text, i)
        if name is None:
            continue
        if braced is None:
            i = name.end()
        if m.group(0).startswith("\\DeclareMathOperator"):
            body = _group(text, _skip(text, i))
            if body is not None:
                defs[name.group(1)] = Macro(0, r"\operatorname{" + body[0] + "}")
            continue
        args, default = 0, None
        if m.group(0).startswith("\\def"):
            params = re.match(r"((?:#[1-9])*)", text[i:])
            args = len(params.group(1)) // 2 if params else 0
            i += len(params.group(1)) if params else 0
        else:
            i = _skip(text, i)
            count = re.match(r"\[\s*([0-9])\s*\]", text[i:])
            if count:
                args, i = int(count.group(1)), _skip(text, i + count.end())
                opt = re.match(r"\[([^\]]*)\]", text[i:])
                if opt:
                    default, i = opt.group(1), _skip(text, i + opt.end())
        body = _group(text, _skip(text, i))
        if body is not None:
            defs[name.group(1)] = Macro(args, body[0], default)
    return defs


def _argument(text: str, i: int) -> tuple[str, int] | None:
    """One macro argument at ``text[i]`` (after spaces): a braced group or a single token."""
    i = _skip(text, i)
    if i >= len(text):
        return None
    braced = _group(text, i)
    if braced is not None:
        return braced
    name = _NAME.match(text, i)
    if name is not None:
        return name.group(0), name.end()
    if text[i] in "}":
        return None
    return text[i], i + 1


def _once(text: str, defs: dict[str, Macro]) -> tuple[str, bool]:
    out: list[str] = []
    i = 0
    changed = False
    while True:
        m = _NAME.search(text, i)
        if m is None:
            out.append(text[i:])
            return "".join(out), changed
        macro = defs.get(m.group(1))
        if macro is None or (m.start() > 0 and text[m.start() - 1] == "\\"):
            out.append(text[i:m.end()])
            i = m.end()
            continue
        out.append(text[i:m.start()])
        j = m.end()
        values: list[str] = []
        if macro.default is not None:
            k = _skip(text, j)
            opt = re.match(r"\[([^\]]*)\]", text[k:])
            values.append(opt.group(1) if opt else macro.default)
            j = k + opt.end() if opt else j
        while len(values) < macro.args:
            arg = _argument(text, j)
            if arg is None:
                break
            values.append(arg[0])
            j = arg[1]
        body = macro.body
        for k, value in enumerate(values, 1):
            body = body.replace(f"#{k}", value)
        # a macro without arguments followed by a letter needs the space LaTeX swallowed: \R x -> \mathbb{R} x
        out.append(body + (" " if macro.args == 0 and j < len(text) and text[j:j + 1].isalpha() else ""))
        i = j
        changed = True


def expand(text: str, defs: dict[str, Macro]) -> str:
    """``text`` with the sheet's macros written out; as written when they grow it beyond the bounds."""
    if not defs or not _NAME.search(text):
        return text
    limit = MAX_GROWTH * len(text) + 2000
    current = text
    for _ in range(MAX_PASSES):
        current, changed = _once(current, defs)
        if len(current) > limit:
            return text
        if not changed:
            return current
    return text
