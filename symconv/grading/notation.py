r"""The notations students write answers in, taken apart before the parser sees them.

An answer block is read as *statements*, each a chain of *sides*::

    L &= -\ln\frac{1}{5} \\            one statement (a line starting with a relation continues it):
      &= \ln 5 \approx 1.609           sides  L | -\ln\frac{1}{5} | \ln 5 | ≈ 1.609

    conv1^{(1)} = A, \qquad conv1^{(2)} = B      two statements (a comma before a new "name ="):
                                                 one per channel, combined by the reader

Only text is handled here (no SymPy, no parser): lines, relations, statements, and what is not mathematics at
all (``\text{...}``, units, ``\forall ...``, ``(i = 1, \dots, 5)``). Every piece is a :class:`Src`, which
remembers for each character where it stood in the student's text, so that a message about a rewritten
piece still names the student's own column.

>>> [[s.text for s in st.sides] for st in statements(Src.of(r"L = \ln 5 \approx 1.61 \text{ nats}"))]
[['L', '\\ln 5', '1.61']]
>>> [st.name for st in statements(Src.of(r"a^{(1)} = 1, \qquad a^{(2)} = 2 \quad (c = 1, 2)"))]
['a^{(1)}', 'a^{(2)}']
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from ..errors import SymconvError


class ParseError(SymconvError, ValueError):
    """An answer the parser could not read: the reason and the offending text (the student's column)."""


def at(src: Src, i: int) -> str:
    """Where character ``i`` of ``src`` stood in the student's text: its column (1-based) and the text from
    there."""
    col = src.col(i)
    rest = " ".join(src.whole[col:].split())
    if not rest:
        return f"column {col + 1} (the end)"
    return f"column {col + 1} ('{rest[:24] + ('…' if len(rest) > 24 else '')}')"


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
                origin.extend([self.col(m.start())] * (len(new) - 1) + [self.col(max(m.end() - 1, m.start()))])
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


# --------------------------------------------------------------------------------------------- scanning

_ENV = re.compile(r"\\(begin|end)\s*\{[^{}]*\}")


def top_level(text: str) -> Iterator[int]:
    """The positions outside every brace, bracket, parenthesis and environment."""
    depth = env = i = 0
    while i < len(text):
        m = _ENV.match(text, i)
        if m:
            env += 1 if m.group(1) == "begin" else -1
            i = m.end()
            continue
        ch = text[i]
        if depth == 0 and env == 0:
            yield i
        if ch == "\\":
            i += 2
            continue
        if ch in "{[(":
            depth += 1
        elif ch in "}])":
            depth -= 1
        i += 1


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


# ---------------------------------------------------------------------------------- what is not maths

RELATION = re.compile(r"&?\s*(?::=|=|\\approx|\\thickapprox|\\simeq|\\doteq|\\sim(?![a-zA-Z])|≈)\s*&?")
APPROX = re.compile(r"\\approx|\\thickapprox|\\simeq|\\doteq|\\sim|≈")
_LINE = re.compile(r"\\\\(?:\s*\[\s*-?\d*\.?\d+\s*(?:pt|em|ex|mm|cm|in|mu|bp)\s*\])?|\\newline(?![a-zA-Z])")
_COMMA = re.compile(r",|;")

# Words that open a qualifier ("for every channel", "其中 c = 1, 2"): the rest of the line is not the answer.
_QUALIFIER_WORDS = r"(?:for|where|when|with|each|all|and|on|over|if|其中|对于|对|当|每|所有|即|这里)"
_TEXT = re.compile(r"\\(?:text|textrm|textit|textbf|textsf|textnormal|mbox|hbox)\s*\{([^{}]*)\}|"
                   r"\\(?:mathrm|mathit|operatorname)\s*\{\s*((?:nats?|bits?))\s*\}")
_CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff01-\uff0f\uff1a-\uff20\uff5b-\uff65]+")
_UNITS = re.compile(r"(?<![A-Za-z\\])(?:nats?|bits?)\s*$")


def _remarks(line: Src, pattern: re.Pattern[str], opens: Callable[[re.Match[str]], bool]) -> Src:
    """``line`` without the matches of ``pattern``; from the first one that ``opens`` a qualifier on, nothing."""
    first = next((m for m in pattern.finditer(line.text) if opens(m)), None)
    if first is not None:
        line = line[:first.start()]
    return line.sub(pattern, "")


def _text_command(line: Src) -> Src:
    r"""``\text{...}`` and friends: a unit (also ``\mathrm{nats}``) or a remark is dropped; one opening a
    qualifier ("for each c", "对所有 i") or a parenthetical remark ("(all four kernels are zero)") drops the
    rest of the line."""
    return _remarks(line, _TEXT, lambda m: re.match(r"\s*(?:[(（]|" + _QUALIFIER_WORDS + r"(?![a-zA-Z]))",
                                                     m.group(1) or "", re.I) is not None)


def _qualifier_parens(line: Src) -> Src:
    r"""A parenthesised remark holding a relation, ``(i = 1, \dots, 5)``, ``\left(c = 1, 2\right)``: a
    value never has one, so the whole group is dropped (with the spacing before it)."""
    text = line.text
    keep: list[Src] = []
    last = 0
    for i in top_level(text):        # positions inside a group are not top-level: groups never overlap
        if text[i] != "(":
            continue
        end = closing(text, i)
        inner = text[i + 1:end - 1]
        if len(spans_top(inner, RELATION)) > 1 or re.search(r"\\(?:in|forall|leq?|geq?)(?![a-zA-Z])", inner):
            before = re.search(r"(?:\s|,|;|\\q?quad|\\[,;: ]|~)*$", text[max(last, i - 200):i])
            start = i - len(before.group(0)) if before else i
            if not text[:start].strip():
                continue          # a group that opens the line is the value itself, whatever it holds
            keep.append(line[last:start])
            last = end
    return Src.join(keep + [line[last:]], sep="") if keep else line


def _left_right_parens(line: Src) -> Src:
    return line.sub(r"\\left\s*\(", "(").sub(r"\\right\s*\)", ")")


_IN = re.compile(r"\\in(?![a-zA-Z])|∈")


def _set_statement(line: Src) -> Src:
    r"""``\in \mathbb{R}^{2\times 4\times 4}`` or ``, c \in \{1, 2\}``: which set, not which value; dropped to
    the end of the line (with the index letter before it, when there is one)."""
    for i in top_level(line.text):
        if _IN.match(line.text, i):
            before = re.search(r"(?:(?:,|;|\\q?quad|\\[,;: ]|~|\s)+[A-Za-z](?:_\s*(?:\{[^{}]*\}|\w))?)?\s*$",
                               line.text[:i])
            return line[:before.start() if before else i]
    return line


def clean_line(line: Src) -> Src:
    r"""A line without what is not maths: ``\forall`` and the rest, remarks, units, Chinese text."""
    line = _left_right_parens(line)
    m = re.search(r"\\forall(?![a-zA-Z])|∀", line.text)
    if m:
        line = line[:m.start()]
    line = _text_command(line)
    line = _remarks(line, _CJK, lambda m: re.match(_QUALIFIER_WORDS, m.group(0)) is not None)
    line = _set_statement(line)
    line = _qualifier_parens(line)
    m = _UNITS.search(line.text)
    if m:
        line = line[:m.start()]
    return line.strip().sub(r"(?:\s|,|;|\.|\\q?quad|\\[,;: !]|~)+$", "")


# ------------------------------------------------------------------------------------------- statements

@dataclass(frozen=True)
class Side:
    src: Src
    approx: bool          # written after \approx (judged within its written precision)


@dataclass(frozen=True)
class Statement:
    name: str | None      # the left side when it names something ("conv1^{(1)}"), else None
    sides: tuple[Src, ...]
    approx: tuple[bool, ...]

    def claims(self) -> list[Side]:
        """The sides that state a value: a side with letters is a name or working (W \\cdot relu1)."""
        return [Side(s, a) for s, a in zip(self.sides, self.approx) if s.text.strip() and not has_letters(s.text)]


def has_letters(text: str) -> bool:
    r"""Whether ``text`` has a letter outside commands: a name (``L``, ``\frac{\partial L}{\partial p}``) or
    working (``y - p``); ``e`` and a transpose ``^T`` are not letters here.

    >>> has_letters(r"-\ln\frac{1}{5}"), has_letters(r"e^{-1} \begin{bmatrix} 1 \end{bmatrix}^{T}"), has_letters("y - p")
    (False, False, True)
    """
    text = _ENV.sub(" ", text)
    text = re.sub(r"\\(?:mathrm|operatorname|mathit|mathsf|mathbf|text)\s*\{\s*(?:ln|log|exp|sin|cos|tan)\s*\}", " ",
                  text)
    text = re.sub(r"\\(?:mathrm|operatorname\*?|mathit|mathsf|mathbf|boldsymbol|text)\s*\{([^{}]*)\}", r" \1 ", text)
    text = re.sub(r"\^\s*\{?\s*(?:T|\\top|\\intercal)\s*\}?", " ", text)
    text = re.sub(r"\\[a-zA-Z]+", " ", text)
    return re.search(r"(?<![A-Za-z])(?!e(?![A-Za-z]))[A-Za-z]", text) is not None


_RANGE = re.compile(r"[\s\d,{}]*(?:(?:\\[lc]?dots|\\ldots|\.\.\.?|\\\{|\\\})[\s\d,{}]*)*")
_INDEX_NAME = re.compile(r"[A-Za-z](?:_\s*(?:\{[^{}]*\}|[A-Za-z0-9]))?")


def _is_range(st: Statement) -> bool:
    """``c = 1, 2`` or ``i = 1, \\dots, 5``: which indices a line is for, not a value."""
    return (st.name is not None and _INDEX_NAME.fullmatch(st.name) is not None and len(st.sides) == 2
            and _RANGE.fullmatch(st.sides[1].text) is not None)


def _chain(src: Src) -> Statement:
    parts = split_top(src, RELATION)
    sides = tuple(p.strip() for _, p in parts)
    approx = tuple(bool(APPROX.search(sep)) for sep, _ in parts)
    first = sides[0].text
    name = first if len(sides) > 1 and has_letters(first) else None
    return Statement(name, sides, approx)


def _starts_with_relation(line: Src) -> bool:
    return RELATION.match(line.text.lstrip()) is not None


def lines(src: Src) -> list[Src]:
    r"""Top-level lines (``\\`` outside environments: a break in an align, never a matrix row)."""
    return [p for _, p in split_top(src, _LINE)]


def statements(src: Src) -> list[Statement]:
    r"""The statements of an answer block, qualifiers (``c = 1, 2``) dropped."""
    joined: list[Src] = []
    for line in lines(src):
        line = clean_line(line)
        if not line.text:
            continue
        if joined and _starts_with_relation(line):
            joined[-1] = Src.join([joined[-1], line])
        else:
            joined.append(line)
    found: list[Statement] = []
    for text in joined:
        pieces = spans_top(text.text, _COMMA)
        cuts = [k for k in range(1, len(pieces))
                if len(spans_top(text.text[pieces[k][1]:pieces[k][2]], RELATION)) > 1]
        for a, b in zip([0] + cuts, cuts + [len(pieces)]):
            body = text[pieces[a][1]:pieces[b - 1][2]].sub(r"^(?:\s|\\q?quad|\\[,;: ]|~)+", "").strip()
            if body.text:
                found.append(_chain(body))
    return [st for k, st in enumerate(found) if not (k and _is_range(st))]


def channel_keys(names: list[str | None]) -> list[tuple[int, ...]] | None:
    """The channel index each statement's name carries (``conv1^{(2)}`` → (2,)): the numbers in which the
    names differ. None when they carry none (the statements are then taken in the order written).

    >>> channel_keys(["conv1^{(1)}", "conv1^{(2)}"])
    [(1,), (2,)]
    >>> channel_keys([r"\\frac{\\partial L}{\\partial h_{1,2}}", r"\\frac{\\partial L}{\\partial h_{1,1}}"])
    [(2,), (1,)]
    """
    if any(n is None for n in names):
        return None
    numbers = [tuple(int(d) for d in re.findall(r"\d+", n or "")) for n in names]
    if len({len(n) for n in numbers}) != 1 or not numbers[0]:
        return None
    varying = [k for k in range(len(numbers[0])) if len({n[k] for n in numbers}) > 1]
    if not varying:
        return None
    return [tuple(n[k] for k in varying) for n in numbers]


# --------------------------------------------------------------------------------------------- labels

_LABEL = re.compile(r"\\label\{ans:([A-Za-z0-9_]+)\}")


def split_labels(body: str) -> dict[str, str]:
    r"""PART -> its text, for a block holding several ``\label{ans:...}`` (an align answering fc1 on one line
    and p on the next). A label belongs to the statement of its line (a line starting with a relation
    continues the one above); an unlabelled statement belongs to the label before it (the first label when
    it comes before every label)."""
    groups: list[list[str]] = []
    for line in lines(Src.of(body)):
        if groups and _starts_with_relation(Src.of(re.sub(r"^\s*&", "", _LABEL.sub("", line.text)))):
            groups[-1].append(line.text)
        else:
            groups.append([line.text])
    found: dict[str, list[str]] = {}
    current: str | None = None
    pending: list[str] = []
    for group in groups:
        labels = _LABEL.findall("".join(group))
        if labels:
            current = labels[0]
            found.setdefault(current, []).extend(pending + group)
            pending = []
        elif current is None:
            pending.extend(group)
        else:
            found[current].extend(group)
    return {label: " \\\\\n".join(texts) for label, texts in found.items()}


# ------------------------------------------------------------------------------- rewriting for the parser

_END = r"(?![a-zA-Z])"      # the end of a command's name (\b fails before a digit: \tfrac15)
_DIMEN = r"\[\s*-?\d*\.?\d+\s*(?:pt|em|ex|mm|cm|in|mu|bp)\s*\]"
_MATRIX_ENV = r"(?:[pbvVB]?matrix\*?|smallmatrix|array)"
_OPEN_WRAP = r"(?:\\left\s*(?:\[|\(|\\\||\||\\lbrack|\\\{|\\lvert|\\lVert)|\[|\()"
_CLOSE_WRAP = r"(?:\\right\s*(?:\]|\)|\\\||\||\\rbrack|\\\}|\\rvert|\\rVert)|\]|\))"
_SIZED = r"\\(?:big|Big|bigg|Bigg)[lr]?\s*(?=[()\[\]|])"


def normalise(src: Src) -> Src:
    r"""The notations latex2sympy2 does not read, rewritten into ones it does (origins kept):
    every matrix environment is a ``bmatrix`` (an ``array``'s column spec and the brackets around it
    dropped; ``vmatrix`` too is read as the matrix, as students use it for brackets), ``\dfrac``/``\tfrac``
    are ``\frac`` (``\frac15`` braced), ``\log`` is natural and ``\log_{10}``/``\lg`` base 10, a transpose
    is ``^T``, and labels, ``$``, ``\displaystyle`` and negative spaces are gone."""
    src = src.sub(r"\\label\s*\{[^{}]*\}|\\tag\*?\s*\{[^{}]*\}|\\nonumber" + _END + r"|\\notag" + _END +
                  r"|\\displaystyle" + _END + r"|\\textstyle" + _END + r"|\\left\s*\.|\\right\s*\.|\$|\\!|"
                  r"\\hline" + _END + "|" + _SIZED, "")
    src = src.sub(r"\\[dtc]frac" + _END, r"\frac")
    src = src.sub(r"\\frac\s*(\d)\s*(\d)", lambda m: rf"\frac{{{m[1]}}}{{{m[2]}}}")
    src = src.sub(r"\\lg" + _END, r"\log_{10}")
    src = src.sub(r"\\log\s*_\s*(?:\{\s*e\s*\}|e(?![a-zA-Z]))|\\log(?![a-zA-Z])(?!\s*_)", r"\ln")
    src = src.sub(r"\\mathrm\s*\{\s*e\s*\}", "e")
    src = src.sub(r"\\mathrm\s*\{\s*T\s*\}|\\mathsf\s*\{\s*T\s*\}|\\top" + _END + r"|\\intercal" + _END +
                  r"|\\mathsf\s+T(?![a-zA-Z])", "T")
    src = src.sub(r"\\begin\s*\{array\}\s*(?:\[[a-z]\])?\s*\{(?:[^{}]|\{[^{}]*\})*\}|\\begin\s*\{" + _MATRIX_ENV +
                  r"\}", r"\begin{bmatrix}")
    src = src.sub(r"\\end\s*\{" + _MATRIX_ENV + r"\}", r"\end{bmatrix}")
    src = src.sub(_OPEN_WRAP + r"\s*(?=\\begin\{bmatrix\})", "")
    src = src.sub(r"(?<=\\end\{bmatrix\})\s*" + _CLOSE_WRAP, "")
    src = src.sub(r"\\\\\s*(?:" + _DIMEN + r")?\s*(?=\\end\{bmatrix\})", " ")     # a last row's \\
    src = src.sub(r"\\(?:left|right)\s*([()\[\]])", lambda m: m.group(1))
    return src.sub(r"(?<=\\\\)\s*" + _DIMEN, " ")


_TRANSPOSE = r"(?:\s*(?:\^\s*\{?\s*T\s*\}?|'))?"
_WRAPPED = re.compile(r"\s*[(\[](.*)[)\]]" + _TRANSPOSE + r"\s*", re.S)


def items(side: Src) -> list[Src]:
    r"""A side's entries when it is a list: ``(0, 0, -5, 0, 0)^T``, ``[a, b]``, ``A, B`` (channels); else
    the side itself, alone."""
    m = _WRAPPED.fullmatch(side.text)
    inner = side
    if m and closing(side.text, m.start(1) - 1) == m.end(1) + 1:     # (a, b) (c, d) is not one list
        inner = side[m.start(1):m.end(1)]
    parts = [p.strip() for _, p in split_top(inner, _COMMA)]
    if len(parts) == 1:
        return [side]
    for p in parts:
        if not p.text:
            raise ParseError(f"an empty entry in the list at {at(p, 0)}")
    return parts


_SPACES = r"(?:\\quad|\\qquad|\\;|\\,|\\:|\\ |~|\\enspace|\\thinspace)"
_NUM = r"[-+]?\d+(?:\.\d+)?"


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
        if i < last or text[i] not in "([" or re.search(r"(?:\\[a-zA-Z]+|[\^_])\s*$", text[max(0, i - 40):i]):
            continue
        end = closing(text, i)
        inner = src[i + 1:end - 1]
        if "\\begin" in inner.text:
            continue
        cells = [p.strip() for _, p in split_top(inner, _COMMA)]
        if len(cells) == 1 and text[i] == "[":
            cells = [p.strip() for _, p in split_top(inner, re.compile(_SPACES + r"+(?:\s*" + _SPACES + ")*"))]
            if len(cells) == 1 and re.fullmatch(r"\s*" + _NUM + r"(?:\s+" + _NUM + r")+\s*", inner.text):
                cells = [p.strip() for _, p in split_top(inner, re.compile(r"\s+(?=[-+]?\d)"))]
        cells = [c for c in cells if c.text]
        if len(cells) > 1:
            out += [src[last:i], _bmatrix(src, i, end, cells)]
            last = end
    return Src.join(out + [src[last:]], sep="") if out else src


def top_level_all(text: str) -> Iterator[int]:
    """Every position outside environments, at any bracket depth (so nested lists are found too)."""
    env = i = 0
    while i < len(text):
        m = _ENV.match(text, i)
        if m:
            env += 1 if m.group(1) == "begin" else -1
            i = m.end()
            continue
        if env == 0:
            yield i
        i += 2 if text[i] == "\\" else 1


_LITERAL = re.compile(r"(?:[\s\d.,&+\-\[\]()]|\\\\|\\(?:begin|end)\{bmatrix\}|\^\s*\{?\s*T\s*\}?|" + _SPACES + ")*")


def is_literal(text: str) -> bool:
    r"""Whether a side is only numbers as written (``1.609``, ``[0.2 \quad 0.2]``, a matrix of them): its
    decimals are then rounding, where in ``-\ln(0.2)`` or ``0.1 \cdot 396`` they are exact numbers."""
    return _LITERAL.fullmatch(text) is not None


def spaces(src: Src) -> Src:
    """Spacing commands are spaces (latex2sympy2 would drop them: here, so that columns stay the student's)."""
    return src.sub(r"\\\\|" + _SPACES, lambda m: m.group(0) if m.group(0) == "\\\\" else " ")


def check_juxtaposed(src: Src) -> None:
    r"""Two numbers with only space between them (``5 7``, ``5\,7``) are refused: latex2sympy2 would read
    35, and a student means two entries (a missing ``&`` or comma) or a product written wrongly; either way
    the teacher should see it. ``\frac 1 2`` and ``x^2 3``-like arguments of a command are not numbers side
    by side."""
    for m in re.finditer(r"(?<![\d.])\d+(?:\.\d+)?(\s+)(?=\d)", src.text):
        if re.search(r"(?:\\[a-zA-Z]+|[\^_])\s*$", src.text[max(0, m.start() - 40):m.start()]):
            continue
        pair = re.match(r"\d+(?:\.\d+)?\s+\d+(?:\.\d+)?", src.text[m.start():])
        shown = " ".join(src[m.start():m.start() + len(pair.group(0))].student().split()) if pair else ""
        raise ParseError(f"two numbers with only a space between them at {at(src, m.start())}: '{shown}' is "
                         "not read as a product; separate entries with & or a comma, or write \\cdot")
