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
import unicodedata
from dataclasses import dataclass

from ..derivation.layout import aligned, display
from .latex import code_latex, document, escape_latex, escape_markdown, one_line


@dataclass(frozen=True)
class UserText:
    """A user's string: escaped differently for each target."""

    text: str


@dataclass(frozen=True)
class Mono:
    """Program text in a table cell (a closed form's ``str``): typewriter in LaTeX, code in Markdown."""

    text: str


@dataclass(frozen=True)
class Words:
    r"""A sentence symconv wrote from its own data (a grader's detail, a proof's statement): escaped like a
    user's string, then written as a reader writes it: sizes with an index as math ($C_{\mathrm{in}}$, not
    C_in), gradients as ∂L/∂x (not dL/dx), and a closed form in typewriter (code in Markdown)."""

    text: str
    lang: str = "en"        # "zh": the prose between the forms takes full-width punctuation


Cell = str | Mono | UserText | Words


@dataclass(frozen=True)
class Heading:
    text: str | UserText
    level: int = 2


@dataclass(frozen=True)
class Para:
    text: "str | UserText | Words"      # our LaTeX as written, or a string escaped for each target


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


_OPERATOR = re.compile(r"\b(?:batch_correlate|correlate|swap_io|rot180|dilate|pad|crop|sum_axes|add_bias)\(")
_SIZE = re.compile(r"\b([A-Z])_(in|out|low|high)\b")
_GRADIENT = re.compile(r"\bdL/d([a-z]\w*)")


def _words(text: str, latex: bool, lang: str = "en") -> str:
    """:class:`Words` for one target: pieces of program text (closed forms) in typewriter or a code span,
    the rest escaped, with sizes and gradients as math."""
    out, k = [], 0
    text = one_line(text)
    while k < len(text):
        m = _OPERATOR.search(text, k)
        start = m.start() if m else len(text)
        out.append(_prose(text[k:start], latex, lang))
        if m is None:
            break
        depth, end = 0, m.end() - 1
        while end < len(text):                    # to the parenthesis that closes the operator's own
            depth += {"(": 1, ")": -1}.get(text[end], 0)
            end += 1
            if depth == 0:
                break
        form = text[start:end]
        out.append(rf"\texttt{{{_breakable_code(escape_latex(form))}}}" if latex else _code_span(form))
        k = end
    return "".join(out)


def _breakable_code(latex: str) -> str:
    return re.sub(r"(, |\()", r"\1\\allowbreak{}", latex)


_FULL_WIDTH = {", ": "，", "; ": "；", ": ": "："}


def _prose(text: str, latex: bool, lang: str = "en") -> str:
    if lang == "zh":
        text = re.sub(r"(, |; |: )", lambda m: _FULL_WIDTH[m.group(1)], text)
    pieces = re.split(r"(\bdL/d[a-z]\w*|\b[A-Z]_(?:in|out|low|high)\b| ≥ |⊗|(?<![\w)\]])-(?=\d))", text)
    out = []
    for k, piece in enumerate(pieces):
        if k % 2 == 0:
            out.append(escape_latex(piece) if latex else escape_markdown(piece))
        elif piece == "⊗":
            out.append(r"$\otimes$" if latex else "⊗")
        elif piece == " ≥ ":
            out.append(r" $\geq$ " if latex else " ≥ ")
        elif piece == "-":                        # a negative number: a minus sign, not a hyphen
            out.append("$-$" if latex else "−")
        elif piece.startswith("dL/d"):
            out.append(_GRADIENT.sub(lambda m: rf"$\partial L/\partial {m.group(1)}$", piece))
        else:
            out.append(_SIZE.sub(lambda m: rf"${m.group(1)}_{{\mathrm{{{m.group(2)}}}}}$", piece))
    return "".join(out)


def _text(value: Cell, latex: bool) -> str:
    """A heading's, title's or cell's text: a user's string on one line, escaped for the target."""
    if isinstance(value, Words):
        return _words(value.text, latex, value.lang)
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
            out.append(b.text if isinstance(b.text, str) else _text(b.text, True))
        elif isinstance(b, Math):
            out.append(display(b.latex))
        elif isinstance(b, Lines):
            out.append("\\begin{align*}\n" + aligned(b.lhs, b.rows, b.rel) + "\n\\end{align*}")
        elif isinstance(b, Table):
            out.append(_table_latex(b))
        elif isinstance(b, Figure):
            # A minipage cannot break across pages: the drawing and its caption stay together. The drawing
            # is never scaled: its panels wrap onto a second line when they are wider than the line.
            out.append(f"\\begin{{center}}\n\\begin{{minipage}}{{\\linewidth}}\n\\centering\n"
                       f"{b.tikz}\n\n\\medskip\n{b.caption}\n"
                       f"\\end{{minipage}}\n\\end{{center}}")
        elif isinstance(b, Code):
            # Code may hold a user's text: escaped, never verbatim (which \end{verbatim} would break out of).
            out.append(code_latex(b.text))
    body = "\n\n".join(out)
    return (document(body, _text(title, True), packages=("tikz", "array", "longtable", "xltabular"), lang=lang)
            if full else body + "\n")


_LINE = 80      # characters of 11 pt text a line of the A4 text block holds (about)


def _visible(cell: str) -> int:
    """About how many characters a cell sets: commands, braces and math shifts are not counted; a Chinese
    character (or full-width punctuation) is set about twice as wide as a Latin letter, so it counts twice.

    >>> _visible("步长 1"), _visible(r"$\\mathit{gI}$")
    (6, 2)
    """
    text = re.sub(r"\\[a-zA-Z]+|[{}$^_&]|\\[,;!]", "", cell)
    return len(text) + sum(1 for ch in text if unicodedata.east_asian_width(ch) in "WF")


def _table_latex(b: Table) -> str:
    r"""A table at the text's size that breaks across pages (``longtable``); when its columns are wider than
    the line, it is set to the line's width (``xltabular``): short columns keep their width and the long ones
    share the rest, wrapping inside it."""
    cells = [tuple(_text(c, True) for c in r) for r in b.rows]
    widths = [max(_visible(str(row[k])) for row in [b.header, *cells]) for k in range(len(b.header))]
    head = f"\\hline\n{' & '.join(b.header)} \\\\\n\\hline\n\\endhead\n"
    if sum(widths) + 3 * len(widths) <= _LINE:
        env, cols = "longtable}{", "l" * len(widths)
    else:
        env = "xltabular}{\\linewidth}{"
        wrap = [wd > _SHORT for wd in widths] if max(widths) > _SHORT else [wd == max(widths) for wd in widths]
        cols = "".join(r">{\raggedright\arraybackslash}X" if x else "l" for x in wrap)
        cells = [tuple(_breakable(c) if x else c for c, x in zip(r, wrap)) for r in cells]
    rows = "\n".join(" & ".join(r) + r" \\" for r in cells)
    return f"\\begin{{{env}{cols}}}\n{head}{rows}\n\\hline\n\\end{{{env.split('}')[0]}}}"


_SHORT = 22     # characters of a column that keeps its natural width in a table wider than the line


def _breakable(cell: str) -> str:
    """A cell's text with a break allowed after each comma and operator outside math (a long
    ``x[0,0,0,0]*g[0,0,0,1]`` or closed form wraps in its column instead of running past it)."""
    out, math = [], False
    for k, ch in enumerate(cell):
        out.append(ch)
        if ch == "$" and cell[k - 1:k] != "\\":
            math = not math
        elif not math and ch in ",*(=":
            out.append("\\allowbreak{}")
    return "".join(out)


def to_markdown(blocks: list[Block], title: str | UserText | None = None) -> str:
    out = [f"# {_text(title, False)}"] if title is not None else []
    for b in blocks:
        if isinstance(b, Heading):
            out.append("#" * b.level + " " + _text(b.text, False))
        elif isinstance(b, Para):
            out.append(b.text if isinstance(b.text, str) else _text(b.text, False))
        elif isinstance(b, Math):
            # \allowbreak lets TeX break a long display; Markdown's math renderers scroll instead.
            out.append(f"$$\n{b.latex.replace(chr(92) + 'allowbreak', '')}\n$$")
        elif isinstance(b, Lines):
            out.append(f"$$\n\\begin{{aligned}}\n{aligned(b.lhs, b.rows, b.rel)}\n\\end{{aligned}}\n$$")
        elif isinstance(b, Table):
            head = "| " + " | ".join(b.header) + " |"
            rule = "|" + "---|" * len(b.header)
            rows = ["| " + " | ".join(_text(c, False) for c in r) + " |" for r in b.rows]
            out.append("\n".join([head, rule, *rows]))
        elif isinstance(b, Figure):
            out.append(f"![{b.svg_file}]({b.svg_file})\n\n{b.caption}")      # the caption's math renders
        elif isinstance(b, Code):
            fence = "`" * max(3, 1 + max((len(r) for r in re.findall(r"`+", b.text)), default=0))
            out.append(f"{fence}\n{b.text}\n{fence}")
    return "\n\n".join(out) + "\n"
