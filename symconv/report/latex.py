r"""LaTeX and Markdown building blocks: escaping user strings, and document wrappers.

>>> print(escape_latex(r"50% of {x} & \ more_"))
50\% of \{x\} \& \textbackslash{} more\_
>>> print(escape_markdown("<img onerror=x> [a](b)"))
&lt;img onerror=x&gt; \[a\]\(b\)
>>> print(one_line("two\nlines\x00"))
two lines
"""

from __future__ import annotations

import re

_ESCAPES = {
    "\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "$": r"\$", "&": r"\&", "#": r"\#", "%": r"\%",
    "_": r"\_", "^": r"\textasciicircum{}", "~": r"\textasciitilde{}",
    # Not special, but misprinted by the default OT1 font encoding (< as an inverted !, | as a dash).
    "<": r"\textless{}", ">": r"\textgreater{}", "|": r"\textbar{}",
}
_MARKDOWN_ENTITIES = {"<": "&lt;", ">": "&gt;", "&": "&amp;"}


def _printable(ch: str) -> bool:
    # A control character is invalid input to TeX and invisible in Markdown: dropped (newlines are kept).
    return ch == "\n" or ch == "\t" or not (ord(ch) < 32 or 127 <= ord(ch) < 160)


def one_line(text: str) -> str:
    """A user string for a heading, a title or a table cell: control characters dropped, whitespace runs
    (newlines too, which would end a LaTeX heading's paragraph or a Markdown line) made one space."""
    return " ".join("".join(ch for ch in text if _printable(ch)).split())


def escape_latex(text: str) -> str:
    """Make any user string safe as LaTeX text: every special character becomes a literal."""
    return "".join(_ESCAPES.get(ch, ch) for ch in text if _printable(ch))


def escape_markdown(text: str) -> str:
    """Make a user string inert in Markdown: no HTML (``<`` and ``>`` become entities), links, emphasis,
    headings, list markers, table cells or math."""
    return "".join(_MARKDOWN_ENTITIES.get(ch) or ("\\" + ch if ch in "\\`*_{}[]()#+-.!|$~:@" else ch)
                   for ch in text if _printable(ch))


def code_latex(text: str) -> str:
    r"""Text shown as it was typed (typewriter, line by line) that nothing in it can make act as TeX: every
    character escaped, every line its own (an empty one too: ``\\`` never ends nothing), spaces kept, a
    break allowed every few characters of a long run without spaces, and the source cut into short lines
    (pdfTeX reads at most 200,000 bytes per source line).

    >>> print(code_latex("a &\n\n  {b}"))
    \begin{flushleft}\ttfamily
    \mbox{}a\ \&\\
    \mbox{}\\
    \mbox{}\ \ \{b\}
    \end{flushleft}
    """
    lines = []
    for line in text.split("\n"):
        out, run = ["\\mbox{}"], 0
        for k, ch in enumerate((ch for ch in line if _printable(ch)), 1):
            if ch in " \t":
                out.append("\\ ")
                run = 0
            else:
                out.append(_ESCAPES.get(ch, ch))
                run += 1
                if run % _RUN == 0:
                    out.append("\\allowbreak{}")
            if k % (8 * _RUN) == 0:
                out.append("%\n")
        lines.append("".join(out))
    return "\\begin{flushleft}\\ttfamily\n" + "\\\\\n".join(lines) + "\n\\end{flushleft}"


_RUN = 8       # characters without a space before a line may break (a line of typewriter holds about 80)


def matrix_columns(body: str) -> int:
    """The most columns any row of ``body`` has (an upper bound: every ``&`` between row ends counts)."""
    return 1 + max((row.count("&") for row in re.split(r"\\\\|\\(?:begin|end)\{", body)), default=0)


def needs_unicode_engine(tex: str) -> bool:
    """Whether a LaTeX source holds characters beyond ASCII: it is then built with XeLaTeX.

    >>> needs_unicode_engine("Homework 11"), needs_unicode_engine("作业 11")
    (False, True)
    """
    return not tex.isascii()          # one pass in C (a character loop took ~5 ms of a report)


def document(body: str, title: str, packages: tuple[str, ...] = (), lang: str = "en") -> str:
    r"""A complete, self-contained LaTeX document (title already escaped by the caller), on A4 paper.

    Chinese documents use ctex (compiled with XeLaTeX) and its Fandol fonts, which TeX Live ships.
    amsmath's matrices stop at MaxMatrixCols columns (10 by default): the counter is raised to what the
    body needs, so a fully connected layer with many inputs still prints. Every page has its number at the
    foot, centred (ctexart would put it at the head from page 2 on). ``\sloppy``: a line holding long
    inline math is stretched rather than set past the margin.
    """
    uses = "\n".join(rf"\usepackage{{{p}}}" for p in ("amsmath", "amssymb", "geometry", *packages))
    if lang == "zh":
        cls = "\\documentclass[11pt,UTF8,fontset=fandol]{ctexart}"
    elif needs_unicode_engine(body + title):
        # A user's string beyond ASCII (a Chinese title in an English report): pdfLaTeX cannot set it, so the
        # English document is built like a Chinese one (XeLaTeX, ctex's fonts) with English conventions.
        cls = "\\documentclass[11pt,UTF8,fontset=fandol,scheme=plain]{ctexart}"
    else:
        cls = "\\documentclass[11pt]{article}"
    cols = max(10, matrix_columns(body))
    return (f"{cls}\n{uses}\n\\geometry{{a4paper,margin=2cm}}\n\\setcounter{{MaxMatrixCols}}{{{cols}}}\n"
            f"\\allowdisplaybreaks\n\\pagestyle{{plain}}\n\\sloppy\n\\renewcommand{{\\arraystretch}}{{1.3}}\n\\title{{{title}}}\n\\date{{}}\n\\begin{{document}}\n\\maketitle\n"
            f"{body}\n\\end{{document}}\n")
