r"""Rewriting a side for latex2sympy2: the notations it does not read, put in ones it does (origins kept), and
the lists a side may be (a tuple, channels separated by commas).

>>> [e.text for e in items(Src.of(r"(0, 0, -5)^T"))]
['0', '0', '-5']
>>> inline_lists(Src.of(r"\frac15 (1, 2)^T")).text
'\\frac15 \\begin{bmatrix} 1 & 2 \\end{bmatrix}^T'
"""

from __future__ import annotations

import re
from fractions import Fraction
from typing import Any

from .source import Src, closing, spans_top, split_top, top_level, top_level_all, where, worded

_COMMA = re.compile(r",|;")


_END = r"(?![a-zA-Z])"      # the end of a command's name (\b fails before a digit: \tfrac15)
_DIMEN = r"\[\s*-?\d*\.?\d+\s*(?:pt|em|ex|mm|cm|in|mu|bp)\s*\]"
_MATRIX_ENV = r"(?:[pbvVB]?matrix\*?|smallmatrix|array)"
_OPEN_WRAP = r"(?:\\left\s*(?:\[|\(|\\\||\||\\lbrack|\\\{|\\lvert|\\lVert)|\[|\()"
_CLOSE_WRAP = r"(?:\\right\s*(?:\]|\)|\\\||\||\\rbrack|\\\}|\\rvert|\\rVert)|\]|\))"
_SIZED = r"\\(?:big|Big|bigg|Bigg)[lr]?\s*(?=[()\[\]|])"


# typed in a word processor or a Chinese input method: what they stand for
_UNICODE = {"−": "-", "–": "-", "×": r"\times ", "·": r"\cdot ", "⋅": r"\cdot ", "∙": r"\cdot ",
            "：": ":", "，": ",", "；": ";"}


def normalise(src: Src) -> Src:
    r"""The notations latex2sympy2 does not read, rewritten into ones it does (origins kept):
    every matrix environment is a ``bmatrix`` (an ``array``'s column spec and the brackets around it
    dropped; ``vmatrix`` too is read as the matrix, as students use it for brackets), ``\dfrac``/``\tfrac``
    are ``\frac`` (``\frac15`` braced), NumPy's ``22.`` and ``6.9e-18`` are ``22`` and
    ``6.9 \times 10^{-18}``, ``\log`` is natural and ``\log_{10}``/``\lg`` base 10, a transpose
    is ``^T``, ``−``, ``×``, ``·`` and full-width punctuation are ASCII, and labels, ``$``, ``\displaystyle`` and
    negative spaces are gone."""
    src = src.sub(r"\\label\s*\{[^{}]*\}|\\tag\*?\s*\{[^{}]*\}|\\nonumber" + _END + r"|\\notag" + _END +
                  r"|\\displaystyle" + _END + r"|\\textstyle" + _END + r"|\\left\s*\.|\\right\s*\.|\$|\\!|"
                  r"\\hline" + _END + "|" + _SIZED, "")
    src = src.sub("[−–×·⋅∙：，；]", lambda m: _UNICODE[m.group(0)])
    src = src.sub(r"\\ \s*(?=[,;])", "")              # a control space before a comma: A\ ,\quad B
    # NumPy's printout: 22. and -0. are whole numbers, 6.9e-18 is 6.9 \times 10^{-18}
    src = src.sub(r"(?<![\w.\\])(\d+(?:\.\d+)?)[eE]([+-]?\d+)(?![\w.])", lambda m: rf"{m[1]} \times 10^{{{m[2]}}}")
    src = src.sub(r"(?<=\d)\.(?![\d.])", "")
    src = src.sub(r"\\[dtc]frac" + _END, r"\frac")
    src = src.sub(r"\\frac\s*(\d)\s*(\d)", lambda m: rf"\frac{{{m[1]}}}{{{m[2]}}}")
    src = src.sub(r"\\operatorname\*?\s*\{\s*(ln|lg|log|exp|sin|cos|tan)\s*\}", lambda m: "\\" + m[1] + " ")
    src = src.sub(r"\\lg" + _END, r"\log_{10}")
    src = src.sub(r"\\log\s*_\s*(?:\{\s*e\s*\}|e(?![a-zA-Z]))|\\log(?![a-zA-Z])(?!\s*_)", r"\ln")
    src = src.sub(r"\\mathrm\s*\{\s*e\s*\}", "e")
    src = src.sub(r"\\(?:mathrm|mathsf|mathit|rm|text)\s*(?:\{\s*T\s*\}|\s+T(?![a-zA-Z]))|\\top" + _END +
                  r"|\\intercal" + _END, "T")
    array = r"\\begin\s*\{array\}\s*(?:\[[a-z]\])?\s*\{(?:[^{}]|\{[^{}]*\})*\}"     # its column spec too
    src = src.sub(array + r"|\\begin\s*\{" + _MATRIX_ENV + r"\}", r"\begin{bmatrix}")
    src = src.sub(r"\\end\s*\{" + _MATRIX_ENV + r"\}", r"\end{bmatrix}")
    src = src.sub(_OPEN_WRAP + r"\s*(?=\\begin\{bmatrix\})", "")
    src = src.sub(r"(?<=\\end\{bmatrix\})\s*" + _CLOSE_WRAP, "")
    src = src.sub(r"\\\\\s*(?:" + _DIMEN + r")?\s*(?=\\end\{bmatrix\})", " ")     # a last row's \\
    src = src.sub(r"\\(?:left|right)\s*([()\[\]])", lambda m: m.group(1))
    return log_arguments(src.sub(r"(?<=\\\\)\s*" + _DIMEN, " "))


_LOG = re.compile(r"\\ln(?![a-zA-Z])\s*|\\log\s*_\s*(?:\{[^{}]*\}|\d)\s*")
# what ends an unbracketed logarithm's argument, at its own depth: an operator (\ln 10 \cdot \lg 5 is
# ln(10)·lg(5), as it reads; latex2sympy2 would take ln(10·lg 5)), a relation, a separator, another function
_LOG_STOP = re.compile(r"\\(?:cdot|times|div|q?quad|approx|ln|log|lg|exp|sin|cos|tan|end|begin|left|right)(?![a-zA-Z])"
                       r"|\\\\|[-+*=,;&<>/]|\\[,;: ]|~")


_LOG_ARGUMENT = re.compile(r"\\(?:[dt]?frac|sqrt|pi|mathrm|exp)")     # the commands an argument may hold


def log_arguments(src: Src) -> Src:
    r"""The argument of ``\ln`` or ``\log_b`` written without brackets, bracketed: it ends at the first operator,
    relation or separator after it (``\ln 10 \cdot \lg 5``, ``\frac12 \cdot \ln 5 \cdot 2``); a braced one,
    ``\ln{10}``, is bracketed too (latex2sympy2 would read the product after it as part of it)."""
    text = src.text
    out: list[Src] = []
    last = 0
    for m in _LOG.finditer(text):
        a = m.end()
        if a < last or a >= len(text) or text[a] in "([" or text.startswith("\\left", a) or text[a] == "^":
            continue
        if text[a] == "{":
            b = closing(text, a)
            out += [src[last:a], Src("(", (src.col(a),), src.whole), src[a + 1:b - 1],
                    Src(")", (src.col(b - 1),), src.whole)]
            last = b
            continue
        b, i = a, a
        while i < len(text):
            if text[i] in ")]}":
                break
            if text[i] in "([{":
                i = closing(text, i)
                b = i
                continue
            stop = _LOG_STOP.match(text, i)
            if stop and not (i == a and text[i] in "-+") or not re.match(r"[\\\w\s.^'!+-]", text[i], re.A):
                break             # an operator, or a character no argument holds (a remark's 其中, a "）")
            if text[i].isspace() and b > a and re.match(r"\s*[A-Za-z]", text[i:]):
                break             # \ln 5 L = …: a name after a space starts a new statement
            if text[i] == "\\":
                command = re.match(r"\\[a-zA-Z]+|\\.", text[i:])
                if command is None or not _LOG_ARGUMENT.fullmatch(command.group(0)):
                    break         # \text{ or } 3, \quad, \mathbf 1: past the argument
                i += len(command.group(0))
            else:
                i += 1
            if not text[i - 1].isspace():
                b = i
        if b > a:
            out += [src[last:a], Src("(", (src.col(a),), src.whole), src[a:b], Src(")", (src.col(b - 1),), src.whole)]
            last = b
    return Src.join(out + [src[last:]], sep="") if out else src


_TRANSPOSE = r"(?:\s*(?:\^\s*\{?\s*T\s*\}?|'))?"
_WRAPPED = re.compile(r"\s*[(\[](.*)[)\]]" + _TRANSPOSE + r"\s*", re.S)


def items(side: Src) -> list[Src]:
    r"""A side's entries when it is a list: ``(0, 0, -5, 0, 0)^T``, ``[a, b]``, ``A, B`` (channels); else
    the side itself, alone. Two matrices side by side are two entries (channels), never their product (as
    ``5 7`` is never 35)."""
    side = side.sub(r"(?<=\\end\{bmatrix\})(?:\s|" + _SPACES + r")*(?=\\begin\{bmatrix\})", ", ")
    m = _WRAPPED.fullmatch(side.text)
    inner = side
    if m and closing(side.text, m.start(1) - 1) == m.end(1) + 1:     # (a, b) (c, d) is not one list
        inner = side[m.start(1):m.end(1)]
    spans = spans_top(inner.text, _COMMA)
    if len(spans) == 1:
        return [side]
    parts = [inner[a:b].strip() for _, a, b in spans]
    for p, (_, a, _) in zip(parts, spans):
        if not p.text:
            raise worded("p.empty_entry", where=where(inner, max(a - 1, 0)))     # at the comma before it
    return parts


# what makes the text after it an argument (\max(a, b), \frac 1 2, x^2 3): a command other than an operator or a
# space, or a superscript or subscript
ARGUMENT_OF = re.compile(r"(?:\\(?!(?:cdot|times|div|pm|mp|ast|star|q?quad|enspace|thinspace)(?![a-zA-Z]))[a-zA-Z]+"
                         r"|[\^_])\s*$")
_CELL = re.compile(r"&|\\\\")
_SPACES = r"(?:\\quad|\\qquad|\\;|\\,|\\:|\\ |~|\\enspace|\\thinspace)"
_NUM = r"[-+]?\d+(?:\.\d+)?"
_SPACED = re.compile(_SPACES + r"+(?:\s*" + _SPACES + ")*")


def _bmatrix(src: Src, start: int, end: int, cells: list[Src]) -> Src:
    """A one-row bmatrix of ``cells``, standing where ``src[start:end]`` stood."""
    opener = Src(r"\begin{bmatrix} ", (src.col(start),) * 16, src.whole)
    closer = Src(r" \end{bmatrix}", (src.col(end - 1),) * 14, src.whole)
    amp = [Src(" & ", (c.col(0),) * 3, src.whole) for c in cells]
    body = [x for k, c in enumerate(cells) for x in ([amp[k]] if k else []) + [c]]
    return Src.join([opener, *body, closer], sep="")


def inline_lists(src: Src) -> Src:
    r"""Lists inside an expression as row vectors: ``\frac15 (1, 1, 1, 1, 1)^T``, ``[0.2 \quad 0.2]``,
    ``[0.2 \; -0.8]``; ``[5 7]`` (numbers and plain spaces only, as NumPy prints) too. A parenthesis after
    a function name (``\max(a, b)``) is an argument list, left alone; a list inside a list is not read."""
    text = src.text
    out: list[Src] = []
    last = 0
    for i in top_level_all(text):
        if i < last or text[i] not in "([" or ARGUMENT_OF.search(text[max(0, i - 40):i]):
            continue
        end = closing(text, i)
        inner = src[i + 1:end - 1]
        if "\\begin" in inner.text:
            continue
        cells = [p.strip() for _, p in split_top(inner, _COMMA)]
        if len(cells) == 1 and text[i] == "[":
            cells = [p.strip() for _, p in split_top(inner, _SPACED)]
            if len(cells) == 1 and re.fullmatch(r"\s*" + _NUM + r"(?:\s+" + _NUM + r")+\s*", inner.text):
                cells = [p.strip() for _, p in split_top(inner, re.compile(r"\s+(?=[-+]?\d)"))]
        cells = [c for c in cells if c.text]
        if len(cells) > 1:
            out += [src[last:i], _bmatrix(src, i, end, cells)]
            last = end
    return Src.join(out + [src[last:]], sep="") if out else src


# numbers as written: a power of ten after a decimal (2.51 \times 10^{-10}, NumPy's 2.51e-10 rewritten so) too
_LITERAL = re.compile(r"(?:[\s\d.,&+\-\[\]()]|\\\\|\\(?:begin|end)\{bmatrix\}|\^\s*\{?\s*T\s*\}?|"
                      r"(?<=\d)\s*\\times\s*10\s*\^\s*(?:\{\s*[+-]?\d+\s*\}|\d)|" + _SPACES + ")*")


def is_literal(text: str) -> bool:
    r"""Whether a side is only numbers as written (``1.609``, ``[0.2 \quad 0.2]``, a matrix of them): its
    decimals are then rounding, where in ``-\ln(0.2)`` or ``0.1 \cdot 396`` they are exact numbers."""
    return _LITERAL.fullmatch(text) is not None


# \mathbf{1}_5, \mathbf 1_5, \vec 0_{8}, \mathbf{1}_n (a length in letters: the part's, as one constant)
_CONSTANT = re.compile(r"\\(?:mathbf|boldsymbol|bm|vec)\s*(?:\{\s*([01])\s*\}|\s*(?<![a-zA-Z])([01])(?![\d.]))"
                       r"(?:\s*_\s*(?:\{\s*(?:(\d+)|[A-Za-z]\w*)\s*\}|(\d)|[A-Za-z](?![a-zA-Z])))?")
MAX_INLINE = 1_000      # entries of a constant vector written inside an expression (39.6 \cdot \mathbf{1}_5)


def constants(src: Src) -> Src:
    r"""``\mathbf{1}`` and ``\mathbf{0}`` inside an expression: the number (the grader broadcasts it), or with a
    length (``\mathbf{1}_5``) a row of that many."""
    def constant(m: re.Match[str]) -> str:
        one = m.group(1) or m.group(2)
        n = int(m.group(3) or m.group(4) or 0)
        # after a number or a bracket with only spacing between (39.6\,\mathbf 1): a scalar times the vector
        times = r" \cdot " if _FACTOR_BEFORE.search(src.text[max(0, m.start() - 80):m.start()]) else ""
        if not n:
            return f"{times} {one} "
        if n > MAX_INLINE:
            raise worded("p.constant_size", n=f"{n:,}", limit=f"{MAX_INLINE:,}")
        return times + r" \begin{bmatrix} " + " & ".join([one] * n) + r" \end{bmatrix} "
    return src.sub(_CONSTANT, constant)


_FACTOR_BEFORE = re.compile(r"[\d)}\]]" + r"(?:\s|\\[,;: ]|\\q?quad(?![a-zA-Z])|~)*$")


def spaces(src: Src) -> Src:
    """Spacing commands are spaces (latex2sympy2 would drop them: here, so that columns stay the student's)."""
    return src.sub(r"\\\\|" + _SPACES, lambda m: m.group(0) if m.group(0) == "\\\\" else " ")


def check_juxtaposed(src: Src) -> None:
    r"""Two numbers with only space between them (``5 7``, ``5\,7``) are refused: latex2sympy2 would read
    35, and a student means two entries (a missing ``&`` or comma) or a product written wrongly; either way
    the teacher should see it. ``\frac 1 2`` and ``x^2 3``-like arguments of a command are not numbers side
    by side."""
    for m in re.finditer(r"(?<![\d.])\d+(?:\.\d+)?(\s+)(?=\d)", src.text):
        if ARGUMENT_OF.search(src.text[max(0, m.start() - 40):m.start()]):
            continue
        pair = re.match(r"\d+(?:\.\d+)?\s+\d+(?:\.\d+)?", src.text[m.start():])
        shown = " ".join(src[m.start():m.start() + len(pair.group(0))].student().split()) if pair else ""
        raise worded("p.juxtaposed", where=where(src, m.start()), shown=shown)


_SPACING = r"(?:\s|\\[,;:! ]|~)*"          # spaces and spacing commands around a cell: (0.2,\ \dots,\ 0.2)
DOTS = re.compile(_SPACING + r"(?:\\[cvdl]?dots|\\ddots|\\ldots|\.\.\.?)" + _SPACING)


def repeated(cells: list[Src]) -> Src | None:
    r"""The one entry of a list or matrix written with dots, ``(0.2, 0.2, \dots, 0.2)`` or ``0 & \cdots & 0 \\
    \vdots & \ddots & \vdots``: a constant of any size, which the grader broadcasts to the part's shape. None
    without dots; a :class:`ParseError` when the written entries differ (the size and the pattern unknown)."""
    dotted = [c for c in cells if DOTS.fullmatch(c.text)]
    written = [c.strip() for c in cells if not DOTS.fullmatch(c.text)]
    if not dotted or not written:
        return None
    if len({" ".join(re.sub(_SPACING, " ", c.text).split()) for c in written}) > 1:
        raise worded("p.dots", where=where(dotted[0], 0))
    return written[0]


def dotted_matrix(src: Src) -> Src | None:
    """:func:`repeated` for a whole ``bmatrix`` (transposed or not: a constant is its own transpose)."""
    m = re.fullmatch(r"\s*\\begin\{bmatrix\}(.*)\\end\{bmatrix\}\s*(?:\^\s*\{?\s*T\s*\}?\s*)?", src.text, re.S)
    if m is None or "\\begin" in m.group(1):
        return None
    body = src[m.start(1):m.end(1)]
    return repeated([body[a:b] for _, a, b in spans_top(body.text, _CELL)])


_MATRIX = re.compile(r"\\begin\{bmatrix\}(.*?)\\end\{bmatrix\}", re.S)
_TRAILING_TIMES = re.compile(r"(?:\s|\\cdot(?![a-zA-Z])|\\times(?![a-zA-Z])|\*)*$")


def distribute(src: Src) -> Src:
    r"""A number times one matrix, ``\frac15 (1, 1, 1)^T`` or ``(0.2 - 0.8) \begin{bmatrix}...``, as the matrix of
    the products: latex2sympy2 misreads a compound factor of a matrix (``(1+1) M`` as ``M``), so the factor
    goes into every entry before it parses. Only a plain product: a factor with a top-level + or -, other
    than its sign, or a second matrix leaves the text as it is."""
    found = list(_MATRIX.finditer(src.text))
    if len(found) != 1:
        return src
    m = found[0]
    prefix, suffix = src.text[:m.start()], src.text[m.end():]
    if not prefix.strip() or not re.fullmatch(r"\s*(?:\^\s*\{?\s*T\s*\}?)?\s*", suffix):
        return src
    factor = src[:len(prefix) - len(_TRAILING_TIMES.search(prefix).group(0))].strip()
    top = list(top_level(factor.text))
    if (not factor.text or ARGUMENT_OF.search(factor.text) or "&" in factor.text
            or any(factor.text[i] in "+-" for i in top if i > 0)):
        return src
    body = src[m.start(1):m.end(1)]
    pieces: list[Src] = []
    for sep, a, b in spans_top(body.text, _CELL):
        if sep:
            pieces.append(Src(f" {sep} ", (body.col(a - 1),) * (len(sep) + 2), src.whole))
        cell = body[a:b].strip()
        if cell.text:
            pieces += [factor, Src(r" \cdot (", (cell.col(0),) * 8, src.whole), cell,
                       Src(")", (cell.col(len(cell) - 1),), src.whole)]
    head = src[len(prefix):m.start(1)]
    return Src.join([head, *pieces, src[m.end(1):]], sep="")


_PRINTED = re.compile(r"\[|\]|,|([-+]?\d+(?:\.\d+)?)(?:\s*\\times\s*10\s*\^\s*\{\s*([-+]?\d{1,3})\s*\})?|\s+")


def nested_list(src: Src) -> list[Any] | None:
    r"""A side that is a nested list of numbers as NumPy and Python print them, ``[[-22., -22.], [-26., -26.]]``
    or ``[[ 0.  0.] [98. 100.]]`` (commas or spaces between entries, after :func:`normalise`), as nested lists
    of fractions (``Fraction``, never evaluated text); None for anything else (a flat list is read by
    :func:`items`)."""
    text = src.text.strip()
    if not text.startswith("[["):
        return None
    tokens: list[tuple[str, Fraction | None]] = []
    pos = 0
    while pos < len(text):
        m = _PRINTED.match(text, pos)
        if m is None:
            return None
        if m.group(1):
            tokens.append(("n", Fraction(m.group(1)) * Fraction(10) ** int(m.group(2) or 0)))
        elif m.group(0) in "[],":
            tokens.append((m.group(0), None))
        pos = m.end()

    def read(k: int) -> tuple[Any, int]:
        kind, value = tokens[k]
        if kind == "n":
            return value, k + 1
        if kind != "[":
            raise ValueError
        out, k = [], k + 1
        while tokens[k][0] != "]":
            item, k = read(k)
            out.append(item)
            if tokens[k][0] == ",":
                k += 1
        return out, k + 1

    try:
        value, end = read(0)
    except (ValueError, IndexError):
        return None
    return value if end == len(tokens) else None
