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
from collections.abc import Callable
from dataclasses import dataclass

from .source import ENVIRONMENT, Src, closing, spans_top, split_top, top_level


# ---------------------------------------------------------------------------------- what is not maths

RELATION = re.compile(r"&?\s*(?::=|=|:|\\approx|\\thickapprox|\\simeq|\\doteq|\\sim(?![a-zA-Z])|≈)\s*&?")
APPROX = re.compile(r"\\approx|\\thickapprox|\\simeq|\\doteq|\\sim|≈")
_LINE = re.compile(r"\\\\(?:\s*\[\s*-?\d*\.?\d+\s*(?:pt|em|ex|mm|cm|in|mu|bp)\s*\])?|\\newline(?![a-zA-Z])")
# where a new statement may start, when a relation follows: "A, \qquad conv1^{(2)} = B", "A \quad conv1^{(2)} = B",
# "0.1 \times 396 \Rightarrow fc1 = 39.6"
_SEP = r"(?:,|;|\\q?quad(?![a-zA-Z])|\\(?:Rightarrow|Longrightarrow|implies|therefore)(?![a-zA-Z]))"
_STATEMENT_SEP = re.compile(_SEP + r"(?:\s*" + _SEP + ")*")       # ", \qquad" is one separator

# Words that open a qualifier ("for every channel", "其中 c = 1, 2"): the rest of the line is not the answer.
_QUALIFIER_WORDS = r"(?:for|where|when|with|each|all|on|over|if|其中|对于|对|当|每|所有|即|这里)"
_TEXT = re.compile(r"\\(?:text|textrm|textit|textbf|textsf|textnormal|mbox|hbox)\s*\{([^{}]*)\}|"
                   r"\\(?:mathrm|mathit|operatorname)\s*\{\s*((?:nats?|bits?))\s*\}")
_AND = re.compile(r"\s*(?:and|&|,|，|和|与|及|以及)\s*", re.I)
_CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff01-\uff0f\uff1a-\uff20\uff5b-\uff65]+")
_UNITS = re.compile(r"(?<![A-Za-z\\])(?:nats?|bits?)\s*$")


def _remarks(line: Src, pattern: re.Pattern[str], opens: Callable[[re.Match[str]], bool]) -> Src:
    """``line`` without the matches of ``pattern``; from the first one that ``opens`` a qualifier after some
    maths on, nothing (at the start of a line, "\\textbf{(a)}" or "对于 conv1：" only introduce it)."""
    first = next((m for m in pattern.finditer(line.text) if opens(m) and line.text[:m.start()].strip()), None)
    if first is not None:
        line = line[:first.start()]
    return line.sub(pattern, "")


def _text_command(line: Src) -> Src:
    r"""``\text{...}`` and friends: a unit (also ``\mathrm{nats}``) or a remark is dropped; one opening a
    qualifier ("for each c", "，对所有 i") or a parenthetical remark ("(all four kernels are zero)") drops the
    rest of the line (not before the line's first relation: "\text{so } L = ..."). Inside brackets, or right
    before ``^``, ``_``, ``=`` or ``:``, it is a name (``\text{conv1}^{(1)} =``, ``\max(0, \text{conv1})``) and
    stays, as ``\mathrm{...}``."""
    pieces = spans_top(line.text, RELATION)
    name_end = pieces[0][2] if len(pieces) > 1 else 0

    def opens(m: re.Match[str]) -> bool:
        opener = r"\s*[,，;；:：]?\s*(?:[(（]|" + _QUALIFIER_WORDS + r"(?![a-zA-Z]))"
        return m.start() >= name_end and re.match(opener, m.group(1) or "", re.I) is not None

    first = next((m for m in _TEXT.finditer(line.text) if opens(m) and line.text[:m.start()].strip()), None)
    if first is not None:
        line = line[:first.start()]
    top = set(top_level(line.text))

    def named(m: re.Match[str]) -> bool:     # inside brackets, or right before ^, _, =, : (not "\text{so } L =")
        return m.start() not in top or re.match(r"\s*[\^_=:&\[]", line.text[m.end():m.end() + 40]) is not None

    def replace(m: re.Match[str]) -> str:
        if named(m):
            return rf"\mathrm{{{m.group(1) or m.group(2)}}}"
        return ", " if _AND.fullmatch(m.group(1) or "") else ""      # A \text{ and } B: two entries

    return line.sub(_TEXT, replace)


def _qualifier_parens(line: Src) -> Src:
    r"""A parenthesised remark: holding a relation, ``(i = 1, \dots, 5)``, ``\left(c = 1, 2\right)`` (a value
    never has one), a shape (``\mathbf 0\ (2\times4\times4)``), or words, ``(\text{both channels})``, ``(两个通道)`` unless it is a function's argument
    (``\max(0, \text{conv1})``). The whole group is dropped, with the spacing before it."""
    text = line.text
    keep: list[Src] = []
    last = 0
    for i in top_level(text):        # positions inside a group are not top-level: groups never overlap
        if text[i] != "(":
            continue
        end = closing(text, i)
        inner = text[i + 1:end - 1]
        words = (_TEXT.search(inner) is not None or _CJK.search(inner) is not None) and not re.search(
            r"(?:\\(?!q?quad(?![a-zA-Z]))[a-zA-Z]+|[A-Za-z])\s*$", text[max(0, i - 40):i])
        shape = re.fullmatch(r"\s*\d+(?:\s*(?:\\times|×|x|\*)\s*\d+)+\s*", inner) is not None    # \mathbf 0 (2\times4)
        if words or shape or len(spans_top(inner, RELATION)) > 1 or \
                re.search(r"\\(?:in|forall|leq?|geq?)(?![a-zA-Z])", inner):
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
    line = _qualifier_parens(line)
    line = _text_command(line)
    line = _remarks(line, _CJK, lambda m: re.match(_QUALIFIER_WORDS, m.group(0)) is not None)
    line = _set_statement(line)
    m = _UNITS.search(line.text)
    if m:
        line = line[:m.start()]
    return line.sub(r"(?:\s|,|;|\.|\\q?quad|\\[,;: !]|~)+$", "").strip()    # 1.6094\ \text{nats}: no "\" left


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
        return [Side(s, a) for s, a in zip(self.sides, self.approx)
                if s.text.strip() and not has_letters(s.text)]


_GREEK = re.compile(r"\\(?:alpha|beta|gamma|delta|epsilon|varepsilon|zeta|eta|theta|vartheta|iota|kappa|lambda|mu|nu"
                    r"|xi|rho|varrho|sigma|varsigma|tau|upsilon|phi|varphi|chi|psi|omega|Gamma|Delta|Theta|Lambda|Xi"
                    r"|Sigma|Upsilon|Phi|Psi|Omega|partial|nabla|ell)(?![A-Za-z])")


def has_letters(text: str) -> bool:
    r"""Whether ``text`` has a letter outside commands: a name (``L``, ``\frac{\partial L}{\partial p}``) or
    working (``y - p``); ``e`` and a transpose ``^T`` are not letters here.

    >>> has_letters(r"-\ln\frac{1}{5}"), has_letters(r"e^{-1} \begin{bmatrix} 1 \end{bmatrix}^{T}")
    (False, False)
    >>> has_letters("y - p"), has_letters(r"\mathrm{conv}_1"), has_letters(r"\boldsymbol{\delta}"), has_letters(r"2\pi")
    (True, True, True, False)
    """
    text = ENVIRONMENT.sub(" ", text)
    text = re.sub(r"\\(?:mathbf|boldsymbol|bm)\s*\{\s*O\s*\}", " ", text)       # \mathbf{O}, a zero matrix
    font = r"\\(?:mathrm|operatorname\*?|mathit|mathsf|mathbf|boldsymbol|text)\s*\{"
    text = re.sub(font + r"\s*(?:ln|log|exp|sin|cos|tan)\s*\}", " ", text)
    text = re.sub(font + r"([^{}]*)\}", r" \1 ", text)
    text = re.sub(r"\^\s*\{?\s*(?:T|\\top|\\intercal)\s*\}?", " ", text)
    text = re.sub(r"(?<![A-Za-z])O(?=\s*_\s*\{?\s*\d)", " ", text)          # O_{4\times 4}, a zero matrix
    if _GREEK.search(text):                           # \delta, \boldsymbol{\delta}, \nabla: names (\pi is a number)
        return True
    text = re.sub(r"\\[a-zA-Z]+", " ", text)
    return re.search(r"(?<![A-Za-z])(?!e(?![A-Za-z]))[A-Za-z]", text) is not None


_RANGE = re.compile(r"[\s\d,{}]*(?:(?:\\[lc]?dots|\\ldots|\.\.\.?|\\\{|\\\})[\s\d,{}]*)*")
_INDEX_NAME = re.compile(r"[A-Za-z](?:_\s*(?:\{[^{}]*\}|[A-Za-z0-9]))?")


def _is_range(st: Statement) -> bool:
    """``c = 1, 2`` or ``i = 1, \\dots, 5``: which indices a line is for, not a value."""
    return (st.name is not None and _INDEX_NAME.fullmatch(st.name) is not None and len(st.sides) == 2
            and _RANGE.fullmatch(st.sides[1].text) is not None)


_TRUNCATED = re.compile(r"(?<=\d)\s*(?:\\[lc]?dots|\.\.\.)\s*$")     # 1.6094\ldots: a decimal cut short


def _chain(src: Src) -> Statement:
    parts = split_top(src, RELATION)
    cut = [_TRUNCATED.search(p.text) for _, p in parts]
    sides = tuple((p[:c.start()] if c else p).strip() for (_, p), c in zip(parts, cut))
    approx = tuple(bool(APPROX.search(sep)) or c is not None for (sep, _), c in zip(parts, cut))
    while len(sides) > 1 and not sides[0].text:       # "= 3" or "：conv1^{(1)} = A" after a remark
        sides, approx = sides[1:], approx[1:]
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
        pieces = spans_top(text.text, _STATEMENT_SEP)
        cuts = [k for k in range(1, len(pieces))
                if len(spans_top(text.text[pieces[k][1]:pieces[k][2]], RELATION)) > 1]
        for a, b in zip([0] + cuts, cuts + [len(pieces)]):
            body = text[pieces[a][1]:pieces[b - 1][2]].sub(r"^(?:\s|\\q?quad|\\[,;: ]|~)+", "").strip()
            if body.text:
                found.append(_chain(body))
    return _restatements([st for k, st in enumerate(found) if not (k and _is_range(st))])


def _restatements(found: list[Statement]) -> list[Statement]:
    """Statements of the same name are one chain (``L = -\\ln 0.2 \\\\ \\text{so } L \\approx 1.609``): a name
    given twice with two values is then a false chain, not two channels."""
    merged: list[Statement] = []
    for st in found:
        key = " ".join(st.name.split()) if st.name else None
        same = next((k for k, m in enumerate(merged)
                     if key and m.name and " ".join(m.name.split()) == key), None)
        if same is None:
            merged.append(st)
        else:
            m = merged[same]
            merged[same] = Statement(m.name, m.sides + st.sides[1:], m.approx + st.approx[1:])
    return merged


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


def _stem(group: list[str]) -> tuple[str, ...]:
    """What a group of lines is about: the first name of two characters or more in its first line's left side
    (``conv1`` in ``\\text{conv1}^{(2)} =``), else every name there (``L``, ``W`` of ∂L/∂W)."""
    left = spans_top(group[0], RELATION)[0]
    names = re.findall(r"[A-Za-z][A-Za-z0-9]*", re.sub(r"\\[a-zA-Z]+", " ", group[0][left[1]:left[2]]))
    long = [n for n in names if len(n) > 1]
    return (long[0],) if long else tuple(names)


def split_labels(body: str) -> dict[str, str]:
    r"""PART -> its text, for a block holding several ``\label{ans:...}`` (an align answering fc1 on one line
    and p on the next). A label belongs to the statement of its line (a line starting with a relation
    continues the one above). An unlabelled statement belongs to the labelled one before it when it is about
    the same name (``conv1^{(2)} = B`` after ``conv1^{(1)} = A \label{ans:conv1}``), else to the next
    labelled one (working before a result: ``fc1_i = \sum_k ... \nonumber`` before ``fc1 = ... \label``),
    else to the one before."""
    groups: list[list[str]] = []
    for line in lines(Src.of(body)):
        if groups and _starts_with_relation(Src.of(re.sub(r"^\s*&", "", _LABEL.sub("", line.text)))):
            groups[-1].append(line.text)
        else:
            groups.append([line.text])
    labels = [(_LABEL.findall("".join(g)) or [None])[0] for g in groups]
    owner: list[str | None] = list(labels)
    for k, group in enumerate(groups):
        if labels[k] is not None:
            continue
        before = next((j for j in range(k - 1, -1, -1) if labels[j] is not None), None)
        after = next((j for j in range(k + 1, len(groups)) if labels[j] is not None), None)
        same = before is not None and _stem(group) == _stem(groups[before])
        pick = before if same or after is None else after
        owner[k] = labels[pick] if pick is not None else None
    found: dict[str, list[str]] = {}
    for group, label in zip(groups, owner):
        if label is not None:
            found.setdefault(label, []).extend(group)
    return {label: " \\\\\n".join(texts) for label, texts in found.items()}


def channel_name(text: str) -> str | None:
    """The name of a block's first statement with its numbers blanked, when it has numbers (``conv1^{(2)} =
    B`` → ``conv#^{(#)}``): an unlabelled block whose name differs from the labelled block before it only in
    these numbers is that answer's next channel (one equation per channel)."""
    found = statements(Src.of(_LABEL.sub("", text)))
    name = found[0].name if found else None
    if name is None or not re.search(r"\d", name):
        return None
    return re.sub(r"\d+", "#", " ".join(name.split()))
