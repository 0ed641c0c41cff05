"""A tiny document model rendered to both LaTeX and GitHub Markdown, so the two never drift apart.

Text in :class:`Para` and table cells is trusted (written by symconv) and may hold inline ``$math$``; any
user-supplied string must pass through :func:`user_text` first, which escapes it for both targets.

>>> blocks = [Heading("Result", 2), Para("It is $x^2$."), Math(r"y = x^{2}")]
>>> print(to_markdown(blocks))
## Result
<BLANKLINE>
It is $x^2$.
<BLANKLINE>
$$
y = x^{2}
$$
<BLANKLINE>
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .latex import code_latex, document, escape_latex, escape_markdown, one_line


@dataclass(frozen=True)
class UserText:
    """A user's string: escaped differently for each target."""

    text: str


@dataclass(frozen=True)
class Mono:
    """Program text in a table cell (a closed form's ``str``): typewriter in LaTeX, code in Markdown."""

    text: str


Cell = str | Mono | UserText


@dataclass(frozen=True)
class Heading:
    text: str | UserText
    level: int = 2


@dataclass(frozen=True)
class Para:
    text: str | UserText      # our LaTeX as written, or a user's string (escaped for each target)


@dataclass(frozen=True)
class Math:
    latex: str


@dataclass(frozen=True)
class Lines:
    """A display too long for one line: ``lhs = rows[0]``, then each further row continued below it (an
    ``align*`` in LaTeX, which may break across pages; ``aligned`` in Markdown). Never shrunk to fit."""

    lhs: str
    rows: tuple[str, ...]
    rel: str = "="


@dataclass(frozen=True)
class Table:
    header: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]


@dataclass(frozen=True)
class Code:
    text: str


@dataclass(frozen=True)
class Figure:
    """A figure drawn twice: TikZ for LaTeX, an SVG file (written beside the .md) for Markdown."""

    tikz: str
    svg_file: str
    caption: str


Block = Heading | Para | Math | Lines | Table | Code | Figure


def user_text(text: str) -> UserText:
    return UserText(text)


def _code_span(text: str) -> str:
    """``text`` as a Markdown code span that nothing in it can end (a longer fence than any backtick run
    inside) and that stays in its table cell (``|`` escaped, which GitHub honours inside code spans)."""
    text = one_line(text).replace("|", "\\|")
    fence = "`" * (1 + max((len(r) for r in re.findall(r"`+", text)), default=0))
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _text(value: Cell, latex: bool) -> str:
    """A heading's, title's or cell's text: a user's string on one line, escaped for the target."""
    if isinstance(value, Mono):
        return rf"\texttt{{{escape_latex(one_line(value.text))}}}" if latex else _code_span(value.text)
    if isinstance(value, UserText):
        return escape_latex(one_line(value.text)) if latex else escape_markdown(one_line(value.text))
    return value


def to_latex(blocks: list[Block], title: str | UserText, full: bool = True, lang: str = "en") -> str:
    out = []
    for b in blocks:
        if isinstance(b, Heading):
            cmd = {1: "section", 2: "section", 3: "subsection"}.get(b.level, "subsubsection")
            out.append(f"\\{cmd}*{{{_text(b.text, True)}}}")
        elif isinstance(b, Para):
            out.append(_text(b.text, True) if isinstance(b.text, UserText) else b.text)
        elif isinstance(b, Math):
            out.append("\\begin{center}\n\\adjustbox{max width=\\linewidth}{$\\displaystyle "
                       f"{b.latex}$}}\n\\end{{center}}")
        elif isinstance(b, Lines):
            out.append("\\begin{align*}\n" + _aligned(b) + "\n\\end{align*}")
        elif isinstance(b, Table):
            cols = "l" * len(b.header)
            rows = "\n".join(" & ".join(_text(c, True) for c in r) + r" \\" for r in b.rows)
            out.append(f"\\begin{{center}}\n\\adjustbox{{max width=\\linewidth}}{{\\begin{{tabular}}{{{cols}}}\n"
                       f"\\hline\n{' & '.join(b.header)} \\\\\n\\hline\n{rows}\n\\hline\n\\end{{tabular}}}}\n"
                       f"\\end{{center}}")
        elif isinstance(b, Figure):
            # A minipage cannot break across pages: the drawing and its caption stay together.
            out.append(f"\\begin{{center}}\n\\begin{{minipage}}{{\\linewidth}}\n\\centering\n"
                       f"\\adjustbox{{max width=\\linewidth}}{{{b.tikz}}}\n\n\\medskip\n{b.caption}\n"
                       f"\\end{{minipage}}\n\\end{{center}}")
        elif isinstance(b, Code):
            # Code may hold a user's text: escaped, never verbatim (which \end{verbatim} would break out of).
            out.append(code_latex(b.text))
    body = "\n\n".join(out)
    return document(body, _text(title, True), packages=("adjustbox", "tikz"), lang=lang) if full else body + "\n"


def _aligned(b: Lines) -> str:
    # A row starting with "=" is a new right-hand side (aligned at "="); any other row continues the last.
    return f"{b.lhs} &{b.rel} {b.rows[0]}" + "".join(
        f" \\\\\n&{row}" if row.startswith("=") else f" \\\\\n&\\quad {row}" for row in b.rows[1:])


def to_markdown(blocks: list[Block], title: str | UserText | None = None) -> str:
    out = [f"# {_text(title, False)}"] if title is not None else []
    for b in blocks:
        if isinstance(b, Heading):
            out.append("#" * b.level + " " + _text(b.text, False))
        elif isinstance(b, Para):
            out.append(_text(b.text, False) if isinstance(b.text, UserText) else b.text)
        elif isinstance(b, Math):
            out.append(f"$$\n{b.latex}\n$$")
        elif isinstance(b, Lines):
            out.append(f"$$\n\\begin{{aligned}}\n{_aligned(b)}\n\\end{{aligned}}\n$$")
        elif isinstance(b, Table):
            head = "| " + " | ".join(b.header) + " |"
            rule = "|" + "---|" * len(b.header)
            rows = ["| " + " | ".join(_text(c, False) for c in r) + " |" for r in b.rows]
            out.append("\n".join([head, rule, *rows]))
        elif isinstance(b, Figure):
            out.append(f"![{b.caption}]({b.svg_file})")
        elif isinstance(b, Code):
            fence = "`" * max(3, 1 + max((len(r) for r in re.findall(r"`+", b.text)), default=0))
            out.append(f"{fence}\n{b.text}\n{fence}")
    return "\n\n".join(out) + "\n"
