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
_ARROW = re.compile(r"\\(?:Rightarrow|Longrightarrow|implies|therefore)(?![a-zA-Z])")
# "or" between two values is a hedge, whatever its spelling: each becomes \lor, which parts a chain into
# alternatives (statements of one thing, so all must state the same value)
OR = re.compile(r"\\(?:lor|vee)(?![a-zA-Z])")
_OR_WORD = re.compile(r"[\s,，、;；]*(?:or|或者|或是|或|还是|抑或)[\s,，、;；]*", re.I)
# a remark that opens with "or" offers another value: "\text{ (or 3)}", "\text{or maybe }", "(\text{or } 3)"
_OR_LEAD = r"[\s,，、;；]*[(（]?[\s,，、;；]*(?:or|或者|或是|或|还是|抑或)(?![A-Za-z])"
_OR_REMARK = re.compile(_OR_LEAD + r"(.*?)[)）]?\s*$", re.I | re.S)
_OR_OPENS = re.compile(r"\s*(?:\\(?:text[a-z]*|mbox|hbox)\s*\{\s*)?" + _OR_LEAD, re.I)
_BARE_OR = re.compile(r"(?<![A-Za-z\\])or(?![A-Za-z])", re.I)
_ENDS_OR = re.compile(r"\\(?:lor|vee)\s*$")
_AROUND_OR = re.compile(r"(?:\s|,|;|\\q?quad(?![a-zA-Z])|\\[,;: ]|~)*(?:\\lor|\\vee)(?![a-zA-Z])"
                        r"(?:\s|,|;|\\q?quad(?![a-zA-Z])|\\[,;: ]|~)*")

# Words that open a qualifier ("for every channel", "其中 c = 1, 2"): the rest of the line is not the answer.
_QUALIFIER_WORDS = r"(?:for|where|when|with|each|all|on|over|if|其中|对于|对|当|每|所有|即|这里)"
# a word of doubt is a remark however it is set (\mathrm{maybe}, a bare "maybe"), never a name or working
DOUBT = r"(?:maybe|perhaps|probably|possibly|roughly|approx(?:imately)?|about|around|likely|guess|unsure)"
_TEXT = re.compile(r"\\(?:text|textrm|textit|textbf|textsf|textnormal|mbox|hbox)\s*\{([^{}]*)\}|"
                   r"\\(?:mathrm|mathit|mathsf|operatorname)\s*\{\s*((?:nats?|bits?|" + DOUBT + r"))\s*\}")
_BARE_DOUBT = re.compile(r"(?<![A-Za-z\\{])" + DOUBT + r"(?![A-Za-z])", re.I)
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


def _or_values(line: Src) -> Src:
    r"""A number offered in a remark, ``\ln 5 \text{ (or 3)}``, is another value: ``\ln 5 \lor 3`` (the
    number keeps its place in the student's text)."""
    pieces: list[Src] = []
    last = 0
    for m in _TEXT.finditer(line.text):
        alternative = _OR_REMARK.match(m.group(1) or "")
        if alternative and alternative.group(1).strip() and \
                re.fullmatch(r"[-+\d\s.,/]*", alternative.group(1)):
            start = m.start(1) + alternative.start(1)
            pieces += [line[last:m.start()], line[m.start():m.start() + 1].sub(r"[\s\S]", r" \lor "),
                       line[start:m.start(1) + alternative.end(1)]]
            last = m.end()
    return Src.join(pieces + [line[last:]], sep=" ") if pieces else line


def _line_name(text: str) -> str | None:
    """What a line names: the text before its first top-level relation (None without one)."""
    pieces = spans_top(text, RELATION)
    return text[pieces[0][1]:pieces[0][2]].strip() if len(pieces) > 1 else None


_TEXT_WORDS = re.compile(r"(\\(?:text[a-z]*|mbox|hbox)\s*\{)([^{}]*)")


def _last_restatement(text: str, own: frozenset[str]) -> int:
    r"""Where the last relation stating the line's name (or the part's) again stands, -1 when none does: a
    qualifier before it (``L = \ln 5 \text{ (if natural; } L = 3 \text{ if base 10)}``) would hide a second
    statement, and a second statement is never hidden in a remark."""
    # a remark's words blanked (its brackets are words: "\text{(if natural; }" opens nothing), places kept
    text = _CJK.sub(lambda m: " " * len(m[0]), _TEXT_WORDS.sub(lambda m: m[1] + " " * len(m[2]), text))
    name = _line_name(text)
    pieces = spans_top(text, RELATION)
    for _, a, b in reversed(pieces[1:-1]):         # the first piece is the name itself
        plain = text[a:b]
        if _glued(plain, _PART, own) is not None or _glued(plain, _key(name, own), own) is not None:
            return b
    return -1


def _text_command(line: Src, own: frozenset[str] = frozenset()) -> Src:
    r"""``\text{...}`` and friends: a unit (also ``\mathrm{nats}``) or a remark is dropped; one opening a
    qualifier ("for each c", "，对所有 i") or a parenthetical remark ("(all four kernels are zero)") drops the
    rest of the line (not before the line's first relation: "\text{so } L = ..."). Inside brackets, or right
    before ``^``, ``_``, ``=`` or ``:``, it is a name (``\text{conv1}^{(1)} =``, ``\max(0, \text{conv1})``) and
    stays, as ``\mathrm{...}``."""
    pieces = spans_top(line.text, RELATION)
    name_end = pieces[0][2] if len(pieces) > 1 else 0
    restated = _last_restatement(line.text, own)

    def opens(m: re.Match[str]) -> bool:
        opener = r"\s*[,，;；:：]?\s*(?:[(（]|" + _QUALIFIER_WORDS + r"(?![a-zA-Z]))"
        return m.start() >= name_end and re.match(opener, m.group(1) or "", re.I) is not None and \
            not _OR_REMARK.match(m.group(1) or "") and restated < m.start()        # "(or 3)": another value

    first = next((m for m in _TEXT.finditer(line.text) if opens(m) and line.text[:m.start()].strip()), None)
    if first is not None:
        line = line[:first.start()]
    top = set(top_level(line.text))

    def named(m: re.Match[str]) -> bool:     # inside brackets, or right before ^, _, =, : (not "\text{so } L =")
        return m.start() not in top or re.match(r"\s*[\^_=:&\[]", line.text[m.end():m.end() + 40]) is not None

    def replace(m: re.Match[str]) -> str:
        if named(m):
            return rf"\mathrm{{{m.group(1) or m.group(2)}}}"
        if _OR_REMARK.match(m.group(1) or ""):          # A \text{ or } B: alternatives
            return r" \lor "
        return ", " if _AND.fullmatch(m.group(1) or "") else ""      # A \text{ and } B: two entries

    return line.sub(_TEXT, replace)


def _restated(inner: str, name: str | None, own: frozenset[str]) -> bool:
    """Whether a parenthesised relation states the line's own name (or the part's) again, ``L = \\ln 5 \\quad
    (L = 3)``: a second statement, not a remark."""
    pieces = spans_top(inner, RELATION)
    if len(pieces) < 2:
        return False
    said = re.sub(r"\\(?:text[a-z]*|mbox|hbox)\s*\{[^{}]*\}|\\(?:lor|vee)(?![a-zA-Z])", " ",
                  inner[pieces[0][1]:pieces[0][2]])                     # (\text{or } L = 3), (或 L = 3)
    key = _key(_BARE_OR.sub(" ", _CJK.sub(" ", said)).strip(), own)
    return key == _PART or (name is not None and key == _key(name, own))


def _qualifier_parens(line: Src, own: frozenset[str] = frozenset()) -> Src:
    r"""A parenthesised remark: holding a relation, ``(i = 1, \dots, 5)``, ``\left(c = 1, 2\right)`` (a value
    never has one), a shape (``\mathbf 0\ (2\times4\times4)``), or words, ``(\text{both channels})``, ``(两个通道)`` unless it is a function's argument
    (``\max(0, \text{conv1})``). The whole group is dropped, with the spacing before it."""
    text = line.text
    keep: list[Src] = []
    last = 0
    pieces = spans_top(text, RELATION)
    name = text[pieces[0][1]:pieces[0][2]].strip() if len(pieces) > 1 else None
    for i in top_level(text):        # positions inside a group are not top-level: groups never overlap
        if text[i] != "(":
            continue
        end = closing(text, i)
        inner = text[i + 1:end - 1]
        if _restated(inner, name, own) or _OR_OPENS.match(inner):    # a statement of its own, or another value
            opening = line[i:i + 1].sub(r"\(", r" \quad ")
            keep += [line[last:i], Src.join([opening, line[i + 1:end - 1]], sep="")]
            last = end
            continue
        words = (_TEXT.search(inner) is not None or _CJK.search(inner) is not None) and not re.search(
            r"(?:\\(?!q?quad(?![a-zA-Z]))[a-zA-Z]+|(?<![\\A-Za-z])[A-Za-z]+)\s*$", text[max(0, i - 40):i])   # not \quad's d
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


_VALUE_SET = re.compile(r"(?:\\in(?![a-zA-Z])|∈)\s*\\\{(.*?)\\\}")
_NAME_BEFORE = re.compile(r"(?:^|[,;~]|\\q?quad(?![a-zA-Z])|\\[,;: ]|\\(?:lor|vee)(?![a-zA-Z]))"
                          r"(?:\s|[,;~]|\\q?quad(?![a-zA-Z])|\\[,;: ])*([^,;=~]*?)\s*$")


def _set_statement(line: Src, own: frozenset[str] = frozenset()) -> Src:
    r"""``\in \mathbb{R}^{2\times 4\times 4}`` or ``, c \in \{1, 2\}``: which set, not which value; dropped to
    the end of the line (with the index letter before it, when there is one). A set of values of the part
    itself (``L \in \{\ln 5, 3\}``, or of the line's own name) is no index set: each is a value of it."""
    pieces = spans_top(line.text, RELATION)
    name = line.text[pieces[0][1]:pieces[0][2]].strip() if len(pieces) > 1 else None
    for i in top_level(line.text):
        said = _VALUE_SET.match(line.text, i)
        before = _NAME_BEFORE.search(line.text[:i]) if said else None
        key = _key(before.group(1), own) if before and before.group(1) else None
        if said and key is not None and (key == _PART or name is not None and key == _key(name, own)):
            values = line[said.start(1):said.end(1)].sub(r",", r" \lor ")
            equals = line[i:i + 1].sub(r"[\s\S]", " = ")
            return Src.join([line[:i], equals, values, line[said.end():]], sep=" ")
        if _IN.match(line.text, i):
            letter = r"[A-Za-z](?:_\s*(?:\{[^{}]*\}|\w))?"              # m, n \in \{0, 1, 2\}: all of them
            before = re.search(r"(?:(?:,|;|\\q?quad|\\[,;: ]|~|\s)+" + letter + r"(?:\s*,\s*" + letter + r")*)?\s*$",
                               line.text[:i])
            return line[:before.start() if before else i]
    return line


_BOX = re.compile(r"\\(?:boxed|fbox|framebox|bbox)\s*(?:\[[^\[\]]*\]\s*)?\{")


def _unboxed(line: Src) -> Src:
    r"""``\boxed{L = \ln 5}`` is what it holds: the frame marks the answer, and a statement inside it is one
    like any other (``\boxed{L = 3} \qquad L = \ln 5`` states L twice)."""
    while (m := _BOX.search(line.text)) is not None:
        end = closing(line.text, m.end() - 1)
        line = Src.join([line[:m.start()], line[m.end():end - 1], line[end:]], sep=" ")
    return line


def clean_line(line: Src, own: frozenset[str] = frozenset()) -> Src:
    r"""A line without what is not maths: ``\forall`` and the rest, remarks, units, Chinese text (``own``:
    the keys of the part's names, which a parenthesis never hides)."""
    line = _unboxed(_left_right_parens(line))
    m = re.search(r"\\forall(?![a-zA-Z])|∀", line.text)
    if m:
        line = line[:m.start()]
    line = _qualifier_parens(line, own)
    line = _text_command(_or_values(line), own)
    line = line.sub(_CJK, lambda m: r" \lor " if _OR_WORD.fullmatch(m.group(0)) else m.group(0))    # 或
    line = line.sub(_BARE_OR, r" \lor ")
    line = line.sub(_BARE_DOUBT, " ")
    restated = _last_restatement(line.text, own)
    line = _remarks(line, _CJK, lambda m: re.match(_QUALIFIER_WORDS, m.group(0)) is not None and
                    restated < m.end())
    line = _set_statement(line, own)
    m = _UNITS.search(line.text)
    if m:
        line = line[:m.start()]
    return line.sub(r"(?:\s|,|;|\.|\\q?quad|\\[,;: !]|~)+$", "").strip()    # 1.6094\ \text{nats}: no "\" left


# ------------------------------------------------------------------------------------------- statements

@dataclass(frozen=True)
class Side:
    src: Src
    approx: bool          # written after \approx (judged within its written precision)
    writer: int = 0       # which of the statements merged into one chain wrote it (0: the first)


@dataclass(frozen=True)
class Statement:
    name: str | None      # the left side when it names something ("conv1^{(1)}"), else None
    sides: tuple[Src, ...]
    approx: tuple[bool, ...]
    writer: tuple[int, ...] = ()     # per side, the statement that wrote it (a name given twice, an "or")
    derived: bool = False            # written after \Rightarrow, \implies or \therefore

    def claims(self) -> list[Side]:
        """The sides that state a value: a side with letters is a name or working (W \\cdot relu1)."""
        writer = self.writer or (0,) * len(self.sides)
        return [Side(s, a, o) for s, a, o in zip(self.sides, self.approx, writer)
                if s.text.strip() and not has_letters(s.text)]


_GREEK = re.compile(r"\\(?:alpha|beta|gamma|delta|epsilon|varepsilon|zeta|eta|theta|vartheta|iota|kappa|lambda|mu|nu"
                    r"|xi|rho|varrho|sigma|varsigma|tau|upsilon|phi|varphi|chi|psi|omega|Gamma|Delta|Theta|Lambda|Xi"
                    r"|Sigma|Upsilon|Phi|Psi|Omega|partial|nabla|ell)(?![A-Za-z])")


_BOUND = re.compile(r"\\(?:sum|prod)(?![a-zA-Z])\s*(?:\\limits\s*)?_\s*\{\s*([A-Za-z])\s*=\s*-?\d+\s*\}"
                    r"\s*\^\s*(?:\{\s*-?\d+\s*\}|\d)")


def has_letters(text: str) -> bool:
    r"""Whether ``text`` has a letter outside commands: a name (``L``, ``\frac{\partial L}{\partial p}``) or
    working (``y - p``); ``e`` and a transpose ``^T`` are not letters here.

    >>> has_letters(r"-\ln\frac{1}{5}"), has_letters(r"e^{-1} \begin{bmatrix} 1 \end{bmatrix}^{T}")
    (False, False)
    >>> has_letters("y - p"), has_letters(r"\mathrm{conv}_1"), has_letters(r"\boldsymbol{\delta}"), has_letters(r"2\pi")
    (True, True, True, False)
    """
    text = ENVIRONMENT.sub(" ", text)
    for m in list(_BOUND.finditer(text))[::-1]:     # \sum_{i=1}^{5} …: i is bound, a number in each term
        text = text[:m.start()] + " " + re.sub(rf"(?<![A-Za-z\\]){m[1]}(?![A-Za-z])", " 1 ", text[m.end():])
    text = re.sub(r"\\(?:mathbf|boldsymbol|bm)\s*\{\s*O\s*\}", " ", text)       # \mathbf{O}, a zero matrix
    text = re.sub(r"\\(?:mathbf|boldsymbol|bm|vec)\s*(?:\{\s*[01]\s*\}|[01])\s*_\s*(?:\{[^{}]*\}|\w)", " 1 ", text)  # \mathbf 1_n
    font = r"\\(?:mathrm|operatorname\*?|mathit|mathsf|mathbf|boldsymbol|text)\s*\{"
    text = re.sub(font + r"\s*(?:ln|log|exp|sin|cos|tan)\s*\}", " ", text)
    text = re.sub(font + r"([^{}]*)\}", r" \1 ", text)
    text = re.sub(r"\^\s*\{?\s*(?:T|\\top|\\intercal)\s*\}?", " ", text)
    text = re.sub(r"(?<![A-Za-z])O(?=\s*_\s*\{?\s*\d)", " ", text)          # O_{4\times 4}, a zero matrix
    if _GREEK.search(text):                           # \delta, \boldsymbol{\delta}, \nabla: names (\pi is a number)
        return True
    text = re.sub(r"\\[a-zA-Z]+", " ", text)
    return re.search(r"(?<![A-Za-z])(?!e(?![A-Za-z]))[A-Za-z]", text) is not None


_RANGE = re.compile(r"[\s\d,{}]*(?:(?:\\[lc]?dots|\\ldots|\.\.\.?|\\\{|\\\}|\\lor)[\s\d,{}]*)*")
_INDEX_NAME = re.compile(r"[A-Za-z](?:_\s*(?:\{[^{}]*\}|[A-Za-z0-9]))?")


# ------------------------------------------------------------------------------------------------- names

_FONT = re.compile(r"\\(?:mathcal|mathscr|mathfrak|mathbf|boldsymbol|bm|mathrm|mathit|mathsf|mathnormal|text|textrm|"
                   r"textit|textbf|textsf|textnormal|operatorname\*?)(?![a-zA-Z])\s*")
# the names a part goes by besides its own (a loss ℓ, a prediction ŷ); a gradient's, from its variable
_ALIASES = {"L": ("L", r"\ell", "J", "Loss", "loss"), "p": ("p", r"\hat y", r"\hat p")}
_GRADIENT = (r"\frac{{\partial L}}{{\partial {v}}}", r"\frac{{dL}}{{d{v}}}", r"\partial L/\partial {v}", "dL/d{v}",
             r"\nabla_{{{v}}} L")
_PART = "\0part"         # the merge key of every name of the part itself


def name_key(name: str) -> str:
    r"""A name as compared with another: fonts, braces and spacing dropped (``\mathcal{L}`` is ``L``,
    ``\text{conv1}^{(1)}`` is ``conv1^(1)``, ``fc_1`` is ``fc1``).

    >>> name_key(r"\mathcal{L}"), name_key(r"\text{conv}_1^{(2)}"), name_key(r"\frac{\partial L}{\partial\mathbf W}")
    ('L', 'conv1^(2)', '\\frac\\partialL\\partialW')
    """
    key = _FONT.sub("", name)
    key = re.sub(r"[{}\s]|\\[,;: !]|~", "", key)
    return re.sub(r"(?<=[A-Za-z])_(?=\d)", "", key)


def part_keys(part: str | None) -> frozenset[str]:
    r"""The keys (:func:`name_key`) of the names a part is stated under: ``L``, ``\mathcal L``, ``\ell`` for L;
    ``\frac{\partial L}{\partial W}``, ``\nabla_W L`` for dL_dW. Empty when the part is not known."""
    if not part:
        return frozenset()
    names = {part, *_ALIASES.get(part, ())}
    if part.startswith("dL_d"):
        variable = part[4:]
        variants = {variable, variable.replace("_", "")}
        names |= {g.format(v=v) for g in _GRADIENT for v in variants}
    return frozenset(name_key(n) for n in names)


_SUFFIX = re.compile(r"(?:\^?\(([^()]*)\)|\^([\w,]+)|_?\[([\w,]+)\]|_?([\w,]+))")


def indexed(name: str | None, own: frozenset[str]) -> tuple[str, ...] | None:
    r"""The indices when a statement names one channel or entry of the part (``\frac{\partial L}{\partial
    h^{(1,1)}}``, ``\mathrm{fc1}_1``, ``fc1_i``): each a whole number or a letter (every index); None for
    anything else (the part itself, another name).

    >>> own = part_keys("fc1")
    >>> indexed(r"\mathrm{fc1}_3", own), indexed("fc1_i", own), indexed("fc1", own), indexed("y_3", own)
    (('3',), ('i',), None, None)
    """
    if name is None:
        return None
    key = name_key(name)
    for stem in sorted(own, key=len, reverse=True):
        if key.startswith(stem) and key != stem:
            m = _SUFFIX.fullmatch(key[len(stem):])
            if m is None:
                continue
            found = tuple(i.strip() for i in next(g for g in m.groups() if g is not None).split(","))
            if found and all(re.fullmatch(r"\d+|[A-Za-z]", i) for i in found):
                return found
    return None


def _key(name: str | None, own: frozenset[str]) -> str | None:
    """The key a statement's name merges under: the part's own when it is one of the part's names."""
    if name is None:
        return None
    key = name_key(name)
    return _PART if key in own else key


def _range_like(st: Statement) -> bool:
    """``c = 1, 2`` or ``i = 1, \\dots, 5`` in form: a single letter and whole numbers."""
    return (st.name is not None and _INDEX_NAME.fullmatch(st.name) is not None and len(st.sides) >= 2
            and all(_RANGE.fullmatch(side.text) is not None for side in st.sides[1:]))


def _ranges(found: list[Statement], own: frozenset[str]) -> set[int]:
    """Which statements are index ranges (which indices a line is for, not a value): after the first, shaped
    like one, and of a name that is an index: neither the part's own name or an alias of it, nor a name
    another statement of the answer gives a value (``L = \\ln 5 \\quad L = 3`` states L twice)."""
    shaped = {k for k, st in enumerate(found) if k and _range_like(st)}
    taken = {_key(st.name, own) for k, st in enumerate(found) if k not in shaped}
    return {k for k in shaped if _key(found[k].name, own) not in taken | {_PART}}


# ------------------------------------------------------------------------------------------------ chains

_TRUNCATED = re.compile(r"(?<=\d)\s*(?:\\[lc]?dots|\.\.\.)\s*$")     # 1.6094\ldots: a decimal cut short
_CHAIN = re.compile(RELATION.pattern + r"|\s*\\(?:lor|vee)(?![a-zA-Z])\s*")
_GLUE = re.compile(r"(?:\s|/|\||\\\||,|;|&|~|\\[,;: ]|\\q?quad(?![a-zA-Z])|\\h?space\s*\{[^{}]*\})*$")


def _glued(text: str, key: str | None, own: frozenset[str]) -> int | None:
    r"""Where a side ends with the chain's own name (its ``key``), as in ``p = 0.2 / p = 7`` or ``L = 3 \ L =
    \ln 5`` (two statements with no separator the reader knows): the start of that name, else None."""
    if key is None:
        return None
    near = max(1, len(text) - 200)      # a name is short: only the end is tried (long sides stay linear)
    for i in top_level(text):
        starts = (text[i].isalpha() or text[i] == "\\") and not (text[i - 1].isalpha() or text[i - 1] == "\\")
        if i >= near and starts and text[:i].strip() and not re.search(r"(?:\\(?!q?quad\s*$)[a-zA-Z]+|[\^_])\s*$", text[:i]) \
                and _key(text[i:].strip(), own) == key:          # not \mathcal's or \hat's argument
            return i
    return None


def _chains(src: Src, own: frozenset[str]) -> list[Statement]:
    """The statements of one piece: usually one chain; an ``\\lor`` parts it into alternatives (another
    writer each); a side that ends with the chain's own name starts another statement."""
    parts = split_top(src, _CHAIN)
    cut = [_TRUNCATED.search(p.text) for _, p in parts]
    sides = [(p[:c.start()] if c else p).strip() for (_, p), c in zip(parts, cut)]
    approx = [bool(APPROX.search(sep)) or c is not None for (sep, _), c in zip(parts, cut)]
    writer, n = [], 0
    for sep, _ in parts:
        n += OR.search(sep) is not None
        writer.append(n)
    while len(sides) > 1 and not sides[0].text:       # "= 3" or "：conv1^{(1)} = A" after a remark
        sides, approx, writer = sides[1:], approx[1:], writer[1:]
    found: list[Statement] = []
    start = 0                    # where the statement being read begins (one pass, however many are glued)
    while True:
        first = sides[start].text
        name = first if len(sides) - start > 1 and has_letters(first) else None
        key = _key(name, own)
        glued = next(((k, at) for k in range(start + 1, len(sides) - 1)
                      if (at := _glued(sides[k].text, key, own)) is not None), None)
        if glued is None:
            return found + [Statement(name, tuple(sides[start:]), tuple(approx[start:]), tuple(writer[start:]))]
        k, at = glued
        head = sides[k][:at].sub(_GLUE, "").strip()
        found.append(Statement(name, (*sides[start:k], head), tuple(approx[start:k + 1]),
                               tuple(writer[start:k + 1])))
        sides[k], approx[k], start = sides[k][at:].strip(), False, k


def _starts_with_relation(line: Src) -> bool:
    return RELATION.match(line.text.lstrip()) is not None


def lines(src: Src) -> list[Src]:
    r"""Top-level lines (``\\`` outside environments: a break in an align, never a matrix row)."""
    return [p for _, p in split_top(src, _LINE)]


def statements(src: Src, part: str | None = None) -> list[Statement]:
    r"""The statements of an answer block, index ranges (``c = 1, 2``) dropped, a name given twice (or
    through an alias of ``part``, or after an "or") merged into one chain.

    >>> [(st.name, st.writer) for st in statements(Src.of(r"L = \ln 5 \quad \mathcal{L} = 3, \quad c = 1, 2"))]
    [('L', (0, 0, 1))]
    """
    own = part_keys(part)
    joined: list[Src] = []
    for line in lines(src):
        line = clean_line(line, own).sub(_AROUND_OR, r" \lor ").strip()
        if not line.text:
            continue
        if joined and (_starts_with_relation(line) or OR.match(line.text) or _ENDS_OR.search(joined[-1].text)):
            # a line that continues the one above: "= …", or either side of an "or" line
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
                chains = _chains(body, own)
                if a and _ARROW.search(pieces[a][0]):
                    chains[0] = Statement(chains[0].name, chains[0].sides, chains[0].approx, chains[0].writer,
                                          derived=True)
                found.extend(chains)
    drop = _ranges(found, own)
    return _restatements([st for k, st in enumerate(found) if k not in drop], own)


def _restatements(found: list[Statement], own: frozenset[str]) -> list[Statement]:
    """Statements of the same name are one chain (``L = -\\ln 0.2 \\\\ \\text{so } L \\approx 1.609``), an
    alias of the part's name too (``\\mathcal L``, ``\\ell``): a name given twice with two values is then a
    false chain (a hedge), not two channels. A bare value before the part's own statement (a TOML answer
    ``\\ln 5 \\quad L = 3``) states the part too, unless what follows is derived from it
    (``\\Rightarrow``)."""
    keys = [_key(st.name, own) for st in found]
    if found and keys[0] is None and len(found[0].sides) == 1 and _PART in keys[1:] and \
            not (len(found) > 1 and found[1].derived):
        keys[0] = _PART
    merged: dict[str | int, tuple[list[Src], list[bool], list[int]]] = {}
    heads: dict[str | int, Statement] = {}       # the statement that names each chain
    next_writer: dict[str | int, int] = {}
    for n, (st, key) in enumerate(zip(found, keys)):
        group = key if key is not None else n               # a nameless statement is its own
        writer = st.writer or (0,) * len(st.sides)
        if group not in merged:
            merged[group] = (list(st.sides), list(st.approx), list(writer))
            heads[group], next_writer[group] = st, max(writer) + 1
            continue
        sides, approx, written = merged[group]
        skip = 1 if st.name is not None else 0          # the name itself, not a value
        sides += st.sides[skip:]
        approx += st.approx[skip:]
        written += [next_writer[group] + w for w in writer[skip:]]
        next_writer[group] += max(writer) + 1
        if heads[group].name is None:                   # a bare value, then "L = 3": the chain is L's
            heads[group] = st
    return [Statement(heads[g].name, tuple(sides), tuple(approx), tuple(written), heads[g].derived)
            for g, (sides, approx, written) in merged.items()]


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


def first_name(text: str, part: str | None = None) -> str | None:
    """The merge key (:func:`name_key`, the part's own names as one) of a block's first statement's name, None
    when it names nothing: an unlabelled block right after a labelled one that names the same thing states that
    answer again (``L = 3`` after ``L = \\ln 5 \\label{ans:L}``), so it is read with it."""
    found = statements(Src.of(_LABEL.sub("", text)), part)
    return _key(found[0].name, part_keys(part)) if found else None
