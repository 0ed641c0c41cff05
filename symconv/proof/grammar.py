r"""The claim grammar: a closed form that a person writes, read by a small parser (proved by :mod:`.claims`).

A claim is written the way symconv prints a closed form, in either of its two notations (they may even be
mixed): the operator syntax of ``str()`` and the LaTeX of ``to_latex()``. Both read back to an equal tree::

    correlate(pad(g, 1), rot180(swap_io(h)))
    \operatorname{pad}_{1}\left(g\right) \otimes \operatorname{rot180}\left(\operatorname{swap}_{io}\left(h\right)\right)

The text is only ever read by the recursive-descent parser below: never ``eval``, ``sympify``,
``parse_expr`` or :mod:`ast`. The grammar (``|`` separates choices, ``[...]`` is optional, ``{...}``
repeats; ``\left(`` and ``\right)`` are ``(`` and ``)``)::

    claim     := tensors END
    tensors   := product {"+" product}                 a + b is add_bias(a, b); several terms are a sum
    product   := operand {OTIMES [ "_" "{" options "}" ] operand}      left-associative
    operand   := TENSOR | "(" tensors ")"
               | OPERATOR "(" tensors ["," value] {"," KEY "=" value} ")"          operator syntax
               | "\operatorname{" LATEXOP "}" ["_" subscript] "(" tensors ")"          LaTeX
               | "\operatorname{divide}" "(" tensors "," divisor ")" | "\frac{" tensors "}{" divisor "}"
    divisor   := size | "d" | ("count" | "valid_count") "(" value "," value "," value ")"
               | "\operatorname{count}" ["^{\mathrm{valid}}"] "_{" axes ";" axes ";" axes "}"
    axes      := size {"," size}                                       one value, or one per spatial axis
    options   := option {"," option}     option := "\Sigma n" | ("s" | "d" | "G") "=" size | size
    value     := size | "(" value {"," value} [","] ")"                     a tuple, e.g. ((2, 2), (1, 1))
    size      := term {("+" | "-") term}
    term      := unary {("*" | "\cdot" | "mod" | "\bmod" | juxtaposition in LaTeX subscripts) unary}
    unary     := "-" unary | atom [("**" | "^") (NUMBER | "{" NUMBER "}")]       an exponent of 1 to 64
    atom      := NUMBER | SIZE | "(" size ")"

- TENSOR: ``g`` (also ``dL/dy``, ``∂L/∂y``, ``\frac{\partial L}{\partial y}``, ``\partial L / \partial y``),
  ``x``, ``h``, ``b``; the double backward's claims also ``ggI``, ``ggW``, ``ggb``, in LaTeX ``\mathit{ggW}`` as
  its report prints them (any name may be written ``\mathit{...}``).
- OPERATOR: ``correlate``, ``batch_correlate`` (KEY: ``stride``, ``dilation``, ``groups``), ``pad`` (value:
  the widths), ``dilate`` (the factors), ``rot180``, ``swap_io`` (KEY: ``groups``), ``sum_axes`` (the axes),
  ``unfold`` (value: the kernel size) and ``fold`` (values: the output size, the kernel size), both with KEY
  ``stride``, ``dilation``, ``padding``; in LaTeX ``\operatorname{unfold}_{K=3,\ s=2}`` and
  ``\operatorname{fold}_{H_{1},H_{2},\ K=3,\ p=1}`` (s, d and p where they are not 1, 1, 0); average
  pooling's ``sum_windows`` (the window per axis) and ``divide`` (a divisor: a size, ``count(K, S, P)`` /
  ``valid_count(K, S, P)``, or ``d``, the general derivation's divisor), in LaTeX
  ``\operatorname{sum\_windows}_{3, 2}`` and ``\operatorname{divide}\left(T,\ D\right)`` with D a size,
  ``\operatorname{count}_{K;S;P}`` or ``\operatorname{count}^{\mathrm{valid}}_{K;S;P}`` (three groups separated
  by ``;``, each one value or one per axis separated by ``,``: ``_{3,2;2,1;1,0}``), as symconv prints them; by
  hand also ``\operatorname{valid\_count}_{K;S;P}``, the superscript after the subscript, and ``\frac{T}{D}``
  (``\dfrac``, ``\tfrac``) for ``divide(T, D)``. (A number before a tensor, ``\frac{1}{9} g``, is not read:
  a claim's numbers are sizes; write the divisor under the tensor.)
  LATEXOP: ``pad``, ``dilate``, ``rot180``, ``swap`` (subscript ``io``), ``sum``, ``unfold``, ``fold``,
  ``sum\_windows``, ``divide`` (``\mathrm{...}`` reads as ``\operatorname{...}``, and ``sum_windows`` without its
  backslash); OTIMES: ``\otimes`` or ``⊗``, a correlation (``\Sigma n`` among its options: a batch correlation).
- SIZE: the names :class:`symconv.derivation.index.Symbols` prints for the spatial rank: ``N G C O`` and ``H K S D P
  H^o`` in 1-D, ``H_1 ... K_2 ... H^o_2`` in 2-D and 3-D (LaTeX: ``H_{1}``, ``H^{o}_{1}``). NUMBER: at most
  9 digits.
- One value for several spatial axes means every axis (``pad(g, 1)``, ``dilate(g, 2)``); a pad's ``(lo, hi)``
  pair likewise; per-axis values are a tuple of one entry per axis (``dilate(g, (2, 1))``, and for widths
  pairs: ``((2, 2), (1, 1))``), in LaTeX subscripts the same entries without the outer parentheses.
- ``mod`` binds like ``*``, unary minus tighter (``-H mod 2`` is (−H) mod 2), as symconv prints.
- ``\operatorname{swap}_{io}`` has one group; ``\operatorname{swap}_{io, G=2}`` has two, as symconv prints it
  (so a swap inside a grouped ``⊗`` cannot silently take the ⊗'s groups); ``swap_io(h)`` likewise.

Anything else is a :class:`ClaimError` (an :class:`~symconv.errors.InputError`) naming the token and its
column; nothing is ever dropped or guessed.

>>> print(parse("correlate(pad(g, 1), rot180(swap_io(h)))", 2))
correlate(pad(g, 1), rot180(swap_io(h)))
>>> print(parse(r"\operatorname{pad}_{(2, 1)}\left(\frac{\partial L}{\partial y}\right) \otimes_{d=2} h", 1))
correlate(pad(g, (2, 1)), h, dilation=2)
>>> print(parse(r"x \otimes_{\Sigma n, s=1,2, d=2,1} g", 2))
batch_correlate(x, g, stride=(1, 2), dilation=(2, 1))
>>> print(parse("pad(x, ((1, 1 - ((H_1 + 1) mod 2)), (0, 0)))", 2))
pad(x, ((1, 1 - ((H_1 + 1) mod 2)), (0, 0)))
>>> print(parse(r"\operatorname{pad}_{(D K - D - P, 0)}\left(g\right)", 1))
pad(g, (D*K - D - P, 0))
>>> print(parse(r"\operatorname{sum\_windows}_{3}\left(\operatorname{divide}\left(g,\ "
...             r"\operatorname{count}^{\mathrm{valid}}_{3;2;1}\right)\right)", 1))
sum_windows(divide(g, valid_count(3, 2, 1)), 3)
>>> parse("correlate(g, k)", 2)
Traceback (most recent call last):
...
symconv.proof.grammar.ClaimError: claim: unknown name 'k' at column 14 (names: g, x, h, b; operators: correlate, batch_correlate, pad, dilate, rot180, swap_io, sum_axes, unfold, fold, sum_windows, divide)
>>> parse("correlate(g, h) + 100", 2)
Traceback (most recent call last):
...
symconv.proof.grammar.ClaimError: claim: expected a tensor (g, x, h, b) or an operator at column 19, got the number 100
>>> parse("pad(g, 1))", 2)
Traceback (most recent call last):
...
symconv.proof.grammar.ClaimError: claim: ')' at column 10 has no matching '('
>>> parse("dilate(g, (2, 1, 1))", 2)
Traceback (most recent call last):
...
symconv.proof.grammar.ClaimError: claim: dilate factors at column 11: one value or one per spatial axis (2 here), got 3
"""

from __future__ import annotations

import re
from typing import Any, NamedTuple, Sequence

import sympy as sp

from ..derivation import ops
from ..derivation.index import Symbols
from ..derivation.pooling import Divide, Divisor, SumWindows
from ..derivation.second import LATEX as SECOND_LATEX
from ..errors import InputError

TENSORS = ("g", "x", "h", "b")
OPERATORS = ("correlate", "batch_correlate", "pad", "dilate", "rot180", "swap_io", "sum_axes", "unfold", "fold",
             "sum_windows", "divide")
DIVISORS = ("count", "valid_count")      # average pooling's divisors by name: divide(g, count(K, S, P))
LATEX_OPERATORS = {"pad": "pad", "dilate": "dilate", "rot180": "rot180", "swap": "swap_io", "sum": "sum_axes",
                   "unfold": "unfold", "fold": "fold", "sum_windows": "sum_windows", "divide": "divide"}
LATEX_DIVISORS = {"count": "count", "valid_count": "valid_count"}   # \operatorname{count}^{\mathrm{valid}} too
GENERAL_DIVISOR = "d"      # the general derivation's divisor, one number per output position (divide(g, d))
MAX_LENGTH = 10_000        # characters; symconv's longest printed form (3-D, LaTeX) has about 900
MAX_DEPTH = 64             # nested parentheses and braces; a printed form nests fewer than 10
MAX_DIGITS = 9
MAX_OPERATORS = 12         # operators in one claim; a printed form has at most 6
MAX_POWER = 64             # a size's exponent (``K**2``, ``K^{2}``)
_NAMES_HELP = f"names: {', '.join(TENSORS)}; operators: {', '.join(OPERATORS)}"
_LATEX_HELP = "LaTeX: " + ", ".join(r"\operatorname{%s}" % k.replace("_", r"\_") for k in LATEX_OPERATORS) + \
    r", \operatorname{count}, \otimes, \frac, \mathit, \bmod"


class ClaimError(InputError):
    """A claim that cannot be read: the message names the token and its (1-based) column."""

    def __init__(self, message: str, column: int = 0) -> None:
        super().__init__(f"claim: {message}")
        self.column = column


# ---------------------------------------------------------------------------------------------- tokens

class Token(NamedTuple):
    kind: str       # num, name, op (a LaTeX operator), otimes, sigma, mod, end, or the character itself
    text: str       # as written
    col: int        # 1-based column of its first character
    value: Any = None

    def describe(self) -> str:
        if self.kind == "end":
            return "the end of the claim"
        if self.kind == "num":
            return f"the number {self.text}"
        return repr(self.text)


_G = (r"(?:dL/dy|∂L/∂y|\\frac\s*\{\s*\\partial\s*L\s*\}\s*\{\s*\\partial\s*y\s*\}"
      r"|\\partial\s*L\s*/\s*\\partial\s*y)")
_RULES = [
    ("space", re.compile(r"\s+|\\[,;!: ]|\\q?quad\b")),
    ("g", re.compile(_G)),
    # \operatorname{sum\_windows} as printed; \mathrm{sum_windows} as a person may type it
    ("op", re.compile(r"\\(?:operatorname|mathrm)\s*\{\s*([A-Za-z0-9]+(?:\\?_[A-Za-z0-9]+)*)\s*\}")),
    ("mathit", re.compile(r"\\mathit\s*\{\s*([A-Za-z][A-Za-z0-9]*)\s*\}")),     # \mathit{ggW}: a tensor's name
    ("frac", re.compile(r"\\[dt]?frac(?![A-Za-z])")),
    ("(", re.compile(r"\\left\s*\(")),
    (")", re.compile(r"\\right\s*\)")),
    ("otimes", re.compile(r"\\otimes(?![A-Za-z])|⊗")),
    ("mod", re.compile(r"\\bmod(?![A-Za-z])|mod(?![A-Za-z0-9_])")),
    ("^", re.compile(r"\^|\*\*")),
    ("*", re.compile(r"\\cdot(?![A-Za-z])|\*|·")),
    ("sigma", re.compile(r"\\Sigma(?![A-Za-z])|Σ")),
    ("latex", re.compile(r"\\[A-Za-z]+|\\.")),
    ("num", re.compile(r"[0-9]+")),
    # a name, then LaTeX's H^{o} and H_{1} (or H^o_1): the names Symbols prints
    ("name", re.compile(r"[A-Za-z][A-Za-z0-9]*(?:_[A-Za-z0-9]+)*"
                        r"(?:\^(?:o|\{o\}))?(?:_(?:[0-9]|\{[0-9]+\}))?")),
    ("-", re.compile(r"-|−")),
    ("punct", re.compile(r"[(),=+{}_;]")),
]


def tokenize(text: str) -> list[Token]:
    """The claim's tokens, with parentheses and braces checked to balance (and to nest at most
    :data:`MAX_DEPTH` deep) before any parsing, so a hostile nesting costs one linear pass."""
    if not isinstance(text, str):
        raise ClaimError(f"a claim is text, got {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise ClaimError(f"{len(text)} characters; a claim has at most {MAX_LENGTH}")
    tokens: list[Token] = []
    pos = 0
    while pos < len(text):
        for kind, rule in _RULES:
            m = rule.match(text, pos)
            if m:
                break
        else:
            raise ClaimError(f"unexpected character {text[pos]!r} at column {pos + 1}", pos + 1)
        word, col = m.group(0), pos + 1
        pos = m.end()
        if kind == "space":
            continue
        if kind == "g":
            tokens.append(Token("name", word, col, "g"))
        elif kind == "op":
            tokens.append(Token("op", word, col, m.group(1).replace("\\_", "_")))
        elif kind == "mathit":
            tokens.append(Token("name", word, col, m.group(1)))
        elif kind == "latex":
            raise ClaimError(f"unknown LaTeX command {word!r} at column {col} ({_LATEX_HELP})", col)
        elif kind == "num":
            if len(word) > MAX_DIGITS:
                raise ClaimError(f"the number {word[:12]}{'...' if len(word) > 12 else ''} at column {col} "
                                 f"is too large (at most {MAX_DIGITS} digits)", col)
            tokens.append(Token("num", word, col, int(word)))
        elif kind == "name":
            tokens.append(Token("name", word, col, word.replace("{", "").replace("}", "")))
        elif kind == "punct":
            tokens.append(Token(word, word, col))
        else:
            tokens.append(Token(kind, word, col))
    _balanced(tokens)
    tokens.append(Token("end", "", len(text) + 1))
    return tokens


def _balanced(tokens: list[Token]) -> None:
    opened: list[Token] = []
    for t in tokens:
        if t.kind in ("(", "{"):
            opened.append(t)
            if len(opened) > MAX_DEPTH:
                raise ClaimError(f"nesting deeper than {MAX_DEPTH} at column {t.col}", t.col)
        elif t.kind in (")", "}"):
            want = "(" if t.kind == ")" else "{"
            if not opened or opened[-1].kind != want:
                raise ClaimError(f"{t.text!r} at column {t.col} has no matching {want!r}", t.col)
            opened.pop()
    if opened:
        t = opened[-1]
        raise ClaimError(f"{t.text!r} at column {t.col} is never closed", t.col)


# ---------------------------------------------------------------------------------------------- parser

class _Tuple(NamedTuple):
    items: tuple[Any, ...]
    col: int


def _size_names(ndim: int) -> dict[str, sp.Symbol]:
    sym = Symbols(ndim, True)
    return {str(s): s for s in sym.size_symbols()}


def _num(value: Any) -> Any:
    """An int where SymPy holds a whole number (as the engine's forms hold them)."""
    return int(value) if isinstance(value, sp.Basic) and value.is_Integer else value


class _Parser:
    def __init__(self, text: str, ndim: int, tensors: tuple[str, ...] = TENSORS) -> None:
        if ndim not in (1, 2, 3):
            raise ClaimError(f"the spatial rank must be 1, 2 or 3, got {ndim!r}")
        self.tokens = tokenize(text)
        self.pos = 0
        self.ndim = ndim
        self.names = tensors                   # the tensors a claim may read (the double backward's: ggI ...)
        self.sizes = _size_names(ndim)
        self.groups: list[Any] = []            # the G of each LaTeX ⊗ whose kernel is being read
        self.latex_subscript = False           # juxtaposition multiplies inside LaTeX subscripts only

    # -- helpers
    @property
    def tok(self) -> Token:
        return self.tokens[self.pos]

    def take(self) -> Token:
        t = self.tokens[self.pos]
        self.pos += 1
        return t

    def at(self, kind: str, value: Any = None) -> bool:
        t = self.tok
        return t.kind == kind and (value is None or t.value == value)

    def expect(self, kind: str, what: str = "") -> Token:
        if not self.at(kind):
            t = self.tok
            raise ClaimError(f"expected {what or repr(kind)} at column {t.col}, got {t.describe()}", t.col)
        return self.take()

    def fail(self, message: str, t: Token | None = None, got: bool = False) -> ClaimError:
        """``message at column N`` (and ``, got TOKEN`` with ``got``)."""
        t = t or self.tok
        return ClaimError(f"{message} at column {t.col}" + (f", got {t.describe()}" if got else ""), t.col)

    # -- tensors
    def claim(self) -> ops.Expr:
        if self.at("end"):
            raise ClaimError("empty (write a closed form, e.g. correlate(pad(g, 1), rot180(swap_io(h))))", 1)
        expr = self.tensors()
        if not self.at("end"):
            t = self.tok
            raise ClaimError(f"unexpected {t.describe()} at column {t.col} after the end of the closed form "
                             f"(which ends at column {t.col - 1})", t.col)
        return expr

    def tensors(self) -> ops.Expr:
        expr = self.product()
        while self.at("+"):
            self.take()
            expr = ops.AddBias(expr, self.product())
        return expr

    def product(self) -> ops.Expr:
        expr = self.operand()
        while self.at("otimes"):
            self.take()
            batch, opts = self.otimes_options() if self.at("_") else (False, {})
            groups = opts.get("G", 1)
            self.groups.append(groups)
            kernel = self.operand()
            self.groups.pop()
            cls = ops.BatchCorrelate if batch else ops.Correlate
            expr = cls(expr, kernel, opts.get("s", (1,) * self.ndim), opts.get("d", (1,) * self.ndim), groups)
        return expr

    def operand(self) -> ops.Expr:
        t = self.tok
        if t.kind == "name" and t.value in self.names:
            self.take()
            return ops.Tensor(t.value, SECOND_LATEX.get(t.value, ""))      # ggW prints as \mathit{ggW}
        if t.kind == "frac":
            self.take()
            return self.fraction(t)
        if t.kind == "name" and t.value in OPERATORS:
            self.take()
            return self.call(t)
        if t.kind == "op":
            self.take()
            return self.latex_call(t)
        if t.kind == "(":
            self.take()
            expr = self.tensors()
            self.expect(")", "')'")
            return expr
        if t.kind == "name" and t.value in self.sizes:
            raise self.fail(f"{t.text!r} is a size, but a tensor or an operator is expected", t)
        if t.kind == "name":
            help_ = _NAMES_HELP if self.names == TENSORS else \
                f"names: {', '.join(self.names)}; operators: {', '.join(OPERATORS)}"
            raise ClaimError(f"unknown name {t.text!r} at column {t.col} ({help_})", t.col)
        raise self.fail(f"expected a tensor ({', '.join(self.names)}) or an operator", t, got=True)

    def call(self, name: Token) -> ops.Expr:
        op = name.value
        self.expect("(", f"'(' after {op}")
        first = self.tensors()
        if op in ("correlate", "batch_correlate"):
            self.expect(",", f"',' and the kernel of {op}")
            kernel = self.tensors()
            kw = self.keywords(("stride", "dilation", "groups"))
            self.expect(")", "')'")
            ones = (1,) * self.ndim
            cls = ops.Correlate if op == "correlate" else ops.BatchCorrelate
            return cls(first, kernel, kw.get("stride", ones), kw.get("dilation", ones), kw.get("groups", 1))
        if op in ("unfold", "fold"):
            return self.window_call(op, first)
        if op == "divide":
            self.expect(",", "',' and the divisor of divide")
            divisor = self.divisor()
            self.expect(")", "')'")
            return Divide(first, divisor)
        if op in ("rot180", "swap_io"):
            kw = self.keywords(("groups",) if op == "swap_io" else ())
            self.expect(")", "')'")
            return ops.Rot180(first, self.ndim) if op == "rot180" else ops.SwapIO(first, kw.get("groups", 1))
        self.expect(",", f"',' and the {self._what(op)} of {op}")
        start = self.tok
        value = self.value()
        self.expect(")", "')'")
        return self.build(op, first, [value], start)

    def window_call(self, op: str, first: ops.Expr) -> ops.Expr:
        """``unfold(T, K[, stride=, dilation=, padding=])``, ``fold(T, H, K[, ...])`` as symconv prints them
        (PyTorch's F.unfold / F.fold, on the unflattened columns)."""
        from ..derivation.ops_fold import Fold, Unfold
        values = []
        for what in (("output size", "kernel size") if op == "fold" else ("kernel size",)):
            self.expect(",", f"',' and the {what} of {op}")
            start = self.tok
            values.append(self.per_axis(self.value(), f"{op} {what}", start, positive=True))
        kw = self.keywords(("stride", "dilation", "padding"))
        self.expect(")", "')'")
        opts = (kw.get("stride", (1,) * self.ndim), kw.get("dilation", (1,) * self.ndim),
                kw.get("padding", (0,) * self.ndim))
        return Fold(first, values[0], values[1], *opts) if op == "fold" else Unfold(first, values[0], *opts)

    def latex_window(self, op: str, name: Token) -> ops.Expr:
        r"""``\operatorname{unfold}_{K=k, s=.., d=.., p=..}(T)`` and ``\operatorname{fold}_{H.., K=k, ...}(T)``
        as symconv prints them: per-axis values comma-separated after their key, fold's size first."""
        from ..derivation.ops_fold import Fold, Unfold
        self.expect("_", f"'_' and the options of {name.text}")
        self.expect("{", f"'{{' after {name.text}_")
        outer, self.latex_subscript = self.latex_subscript, True
        found: dict[str, list[Any]] = {"H": []}
        key, starts = "H", {"H": self.tok}
        while True:
            t = self.tok
            if t.kind == "name" and t.value in ("K", "s", "d", "p") and self.tokens[self.pos + 1].kind == "=":
                self.take()
                self.take()
                if t.value in found:
                    raise self.fail(f"{t.value}= given twice", t)
                key, starts[t.value] = t.value, self.tok
                found[key] = [self.size()]
            elif key != "H" or op == "fold":
                found[key].append(self.size())
            else:
                raise self.fail(f"expected K=, s=, d= or p= in the subscript of {name.text}", t, got=True)
            if not self.at(","):
                break
            self.take()
        self.latex_subscript = outer
        self.expect("}", "',' or '}'")
        if "K" not in found:
            raise self.fail(f"{name.text} needs its kernel size (K=) in its subscript", name)
        self.expect("(", f"'(' after {name.text}")
        arg = self.tensors()
        self.expect(")", "')'")
        words = {"H": "output size", "K": "kernel size", "s": "stride", "d": "dilation", "p": "padding"}
        default = {"s": sp.Integer(1), "d": sp.Integer(1), "p": sp.Integer(0)}
        values = {}
        for k in ("H", "K", "s", "d", "p"):
            if k == "H" and op == "unfold":
                continue
            if k == "H" and not found["H"]:
                raise self.fail(f"{name.text} needs its output size first in its subscript", name)
            items = found.get(k, [default.get(k)])
            value = items[0] if len(items) == 1 else _Tuple(tuple(items), starts[k].col)
            values[k] = self.per_axis(value, f"{op} {words[k]}", starts.get(k, name), positive=k != "p")
        opts = (values["K"], values["s"], values["d"], values["p"])
        return Fold(arg, values["H"], *opts) if op == "fold" else Unfold(arg, *opts)

    def keywords(self, allowed: Sequence[str]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        while allowed and self.at(","):
            self.take()
            key = self.tok
            if key.kind != "name" or key.value not in allowed:
                raise self.fail(f"expected one of {', '.join(allowed)}", key, got=True)
            self.take()
            if key.value in out:
                raise self.fail(f"{key.value} given twice", key)
            self.expect("=", f"'=' after {key.value}")
            start = self.tok
            value = self.value()
            out[key.value] = self.groups_value(value, start) if key.value == "groups" else \
                self.per_axis(value, key.value, start, positive=key.value != "padding")
        return out

    def latex_call(self, name: Token) -> ops.Expr:
        op = LATEX_OPERATORS.get(name.value)
        if name.value in LATEX_DIVISORS:
            raise self.fail(rf"{name.text} is a divisor: write it as \operatorname{{divide}}\left(T,\ {name.text}"
                            rf"_{{K;S;P}}\right)", name)
        if op is None:
            raise ClaimError(f"unknown operator {name.text!r} at column {name.col} (LaTeX operators: "
                             f"{', '.join(LATEX_OPERATORS)})", name.col)
        items: list[Any] = []
        start = self.tok
        groups = 1                  # swap_{io} has one group unless its subscript states G (as printed)
        if op in ("unfold", "fold"):
            return self.latex_window(op, name)
        if op == "divide":
            return self.latex_divide(name)
        if op == "swap_io":
            self.expect("_", r"'_{io}' after \operatorname{swap}")
            groups = self.swap_subscript(groups)
        elif op != "rot180":
            self.expect("_", f"'_' and the {self._what(op)} of {name.text}")
            start = self.tok
            items = self.subscript()
        self.expect("(", f"'(' after {name.text}")
        arg = self.tensors()
        self.expect(")", "')'")
        if op == "rot180":
            return ops.Rot180(arg, self.ndim)
        if op == "swap_io":
            return ops.SwapIO(arg, groups)
        return self.build(op, arg, items, start)

    @staticmethod
    def _what(op: str) -> str:
        return {"pad": "widths", "dilate": "factors", "sum_axes": "axes", "sum_windows": "window"}[op]

    def build(self, op: str, arg: ops.Expr, items: list[Any], start: Token) -> ops.Expr:
        if op == "pad":
            return ops.Pad(arg, self.widths(items, start))
        if op == "dilate":
            value = items[0] if len(items) == 1 else _Tuple(tuple(items), start.col)
            return ops.Dilate(arg, self.per_axis(value, "dilate factors", start, positive=True))
        value = items[0] if len(items) == 1 else _Tuple(tuple(items), start.col)
        if op == "sum_windows":
            return SumWindows(arg, self.per_axis(value, "sum_windows window", start, positive=True))
        return ops.SumAxes(arg, self.axes(value, start))

    def latex_divide(self, name: Token) -> ops.Expr:
        r"""``\operatorname{divide}\left(T,\ D\right)`` as symconv prints it (plain parentheses too)."""
        self.expect("(", f"'(' after {name.text}")
        arg = self.tensors()
        self.expect(",", f"',' and the divisor of {name.text}")
        divisor = self.latex_divisor()
        self.expect(")", "')'")
        return Divide(arg, divisor)

    def fraction(self, frac: Token) -> ops.Expr:
        r"""``\frac{T}{D}``: T divided by the divisor D, as ``divide(T, D)`` (``\frac{g}{9}``)."""
        self.expect("{", f"'{{' after {frac.text}")
        arg = self.tensors()
        self.expect("}", f"'}}' after the numerator of {frac.text}")
        self.expect("{", f"'{{' and the divisor of {frac.text}")
        divisor = self.latex_divisor()
        self.expect("}", f"'}}' after the divisor of {frac.text}")
        return Divide(arg, divisor)

    def latex_divisor(self) -> Divisor:
        r"""The divisor in LaTeX, where juxtaposition multiplies (``K_{1} K_{2}``, as symconv prints a product)."""
        outer, self.latex_subscript = self.latex_subscript, True
        divisor = self.divisor()
        self.latex_subscript = outer
        return divisor

    def latex_count(self, name: Token) -> Divisor:
        r"""``\operatorname{count}_{K;S;P}`` and ``\operatorname{count}^{\mathrm{valid}}_{K;S;P}`` as symconv
        prints them (the superscript before or after the subscript; ``\operatorname{valid\_count}_{...}``
        too): three groups separated by ';', each one value or one per spatial axis separated by ','."""
        kind = self.valid_superscript(name, LATEX_DIVISORS[name.value])
        self.expect("_", f"'_' and the kernel;stride;padding of {name.text}")
        self.expect("{", f"'{{' after {name.text}_")
        outer, self.latex_subscript = self.latex_subscript, True
        groups: list[tuple[Token, list[Any]]] = [(self.tok, [self.size()])]
        while self.at(",") or self.at(";"):
            if self.take().kind == ";":
                groups.append((self.tok, []))
            groups[-1][1].append(self.size())
        self.latex_subscript = outer
        self.expect("}", "',', ';' or '}'")
        if len(groups) != 3:
            raise ClaimError(f"{name.text} subscript at column {groups[0][0].col}: expected kernel;stride;padding "
                             f"(three groups separated by ';'), got {len(groups)}", groups[0][0].col)
        kind = self.valid_superscript(name, kind)           # the superscript may follow the subscript
        parts = []
        for what, (start, items) in zip(("kernel", "stride", "padding"), groups):
            value = items[0] if len(items) == 1 else _Tuple(tuple(items), start.col)
            parts.append(self.per_axis(value, f"{kind} {what}", start, positive=what != "padding"))
        return Divisor(kind, None, *parts, Symbols(self.ndim, False).H)

    def valid_superscript(self, name: Token, kind: str) -> str:
        r"""``^{\mathrm{valid}}`` after ``\operatorname{count}``: the real entries' count."""
        if not self.at("^"):
            return kind
        hat = self.take()
        if kind == "valid_count":
            raise self.fail(f"a second superscript on {name.text}", hat)
        self.expect("{", f"'{{' after {name.text}^")
        t = self.tok
        if not (t.kind in ("op", "name") and t.value == "valid"):
            raise self.fail(rf"expected \mathrm{{valid}} in the superscript of {name.text}", t, got=True)
        self.take()
        self.expect("}", "'}'")
        return "valid_count"

    def divisor(self) -> Divisor:
        r"""A number or size (``divide(g, 9)``), or ``count(K, S, P)`` / ``valid_count(K, S, P)``: average
        pooling's window clipped at the padded input, or its real entries (:class:`Divisor`); in LaTeX
        ``\operatorname{count}_{K;S;P}`` and ``\operatorname{count}^{\mathrm{valid}}_{K;S;P}``; ``d``, the general
        derivation's divisor (which the prover asks to name)."""
        t = self.tok
        if t.kind == "op" and t.value in LATEX_DIVISORS:
            self.take()
            return self.latex_count(t)
        if t.kind == "name" and t.value == GENERAL_DIVISOR:
            self.take()
            return Divisor("tensor")
        if not (t.kind == "name" and t.value in DIVISORS):
            start = self.tok
            value = self.value()
            if isinstance(value, _Tuple):
                raise self.fail("a divisor is one number or size, count(K, S, P) or valid_count(K, S, P)", start)
            return Divisor("constant", _num(value))
        self.take()
        self.expect("(", f"'(' after {t.text}")
        parts = []
        for what in ("kernel", "stride", "padding"):
            if parts:
                self.expect(",", f"',' and the {what} of {t.text}")
            start = self.tok
            parts.append(self.per_axis(self.value(), f"{t.text} {what}", start, positive=what != "padding"))
        self.expect(")", "')'")
        return Divisor(t.value, None, *parts, Symbols(self.ndim, False).H)

    # -- LaTeX subscripts
    def subscript(self) -> list[Any]:
        """``_{a, b, ...}`` (or ``_a``): comma-separated values, juxtaposition multiplying."""
        if not self.at("{"):
            return [self.unary()]
        self.take()
        outer, self.latex_subscript = self.latex_subscript, True
        items = [self.value()]
        while self.at(","):
            self.take()
            items.append(self.value())
        self.latex_subscript = outer
        self.expect("}", "',' or '}'")
        return items

    def swap_subscript(self, groups: Any) -> Any:
        braced = self.at("{")
        if braced:
            self.take()
        t = self.tok
        if not self.at("name", "io"):
            raise self.fail(r"expected 'io' in \operatorname{swap}_{io}", t, got=True)
        self.take()
        if braced:
            if self.at(","):
                self.take()
                key = self.tok
                if not self.at("name", "G"):
                    raise self.fail("expected G=", key, got=True)
                self.take()
                self.expect("=", "'=' after G")
                start = self.tok
                groups = self.groups_value(self.size(), start)
            self.expect("}", "'}'")
        return groups

    def otimes_options(self) -> tuple[bool, dict[str, Any]]:
        self.take()                                      # "_"
        self.expect("{", r"'{' after \otimes_")
        outer, self.latex_subscript = self.latex_subscript, True
        batch, found, key = False, {}, None
        starts: dict[str, Token] = {}
        while True:
            t = self.tok
            if t.kind == "sigma":
                self.take()
                if not self.at("name", "n"):
                    raise self.fail(r"expected 'n' after \Sigma (the batch sum)", got=True)
                self.take()
                if batch:
                    raise self.fail(r"\Sigma n given twice", t)
                batch, key = True, None
            elif t.kind == "name" and t.value in ("s", "d", "G") and self.tokens[self.pos + 1].kind == "=":
                self.take()
                self.take()
                if t.value in found:
                    raise self.fail(f"{t.value}= given twice", t)
                key, starts[t.value] = t.value, self.tok
                found[key] = [self.size()]
            elif key in ("s", "d"):
                found[key].append(self.size())       # the next axis of a per-axis stride or dilation
            else:
                raise self.fail(r"expected \Sigma n, s=, d= or G= in the subscript of \otimes", t, got=True)
            if not self.at(","):
                break
            self.take()
        self.latex_subscript = outer
        self.expect("}", "',' or '}'")
        opts: dict[str, Any] = {}
        for k, values in found.items():
            value = values[0] if len(values) == 1 else _Tuple(tuple(values), starts[k].col)
            opts[k] = self.groups_value(value, starts[k]) if k == "G" else \
                self.per_axis(value, {"s": "stride", "d": "dilation"}[k], starts[k], positive=True)
        return batch, opts

    # -- values
    def value(self) -> Any:
        """A size expression, or a tuple of values: ``(a, b)``, ``((1, 1), (2, 2))``, ``(0,)``."""
        if not self.at("("):
            return self.size()
        open_ = self.take()
        items, comma = [self.value()], False
        while self.at(","):
            self.take()
            comma = True
            if self.at(")"):
                break
            items.append(self.value())
        self.expect(")", "',' or ')'")
        if len(items) == 1 and not comma and not isinstance(items[0], _Tuple):
            return self.size(self.power(items[0]))     # (a) was a parenthesised size: carry on after it
        if self.at("+") or self.at("-") or self.at("*") or self.at("mod"):
            raise self.fail("a tuple cannot take part in arithmetic")
        return _Tuple(tuple(items), open_.col)

    def size(self, first: Any = None) -> Any:
        left = self.term(first)
        while self.at("+") or self.at("-"):
            sign = self.take().kind
            right = self.term()
            left = left + right if sign == "+" else left - right
        return left

    def term(self, first: Any = None) -> Any:
        # A product is built from all its factors at once, as SymPy holds it: folding -(N + 1)*(N - 1)
        # pairwise would first distribute the sign into the sum, another tree than the one printed.
        factors = [first] if first is not None else self.signed()
        while True:
            if self.at("*"):
                self.take()
                factors += self.signed()
            elif self.at("mod"):
                t = self.take()
                right = sp.Mul(*self.signed())
                if right == 0:
                    raise self.fail("remainder modulo 0", t)
                try:
                    factors = [sp.Mod(sp.Mul(*factors), right)]
                except RecursionError:     # SymPy's Mod.eval recurses without end on some nested remainders
                    raise self.fail("a remainder SymPy cannot simplify (nested too deeply)", t) from None
            elif self.latex_subscript and self.tok.kind in ("num", "name", "("):
                factors += self.signed()
            else:
                return sp.Mul(*factors)

    def unary(self) -> Any:
        return sp.Mul(*self.signed())

    def signed(self) -> list[Any]:
        """A factor with its signs: ``[base]`` or ``[-1, base]`` (unary minus binds tighter than ``mod``)."""
        negative = False
        while self.at("-"):
            self.take()
            negative = not negative
        base = self.power()
        return [sp.Integer(-1), base] if negative else [base]

    def power(self, base: Any = None) -> Any:
        base = self.atom() if base is None else base
        if not self.at("^"):
            return base
        self.take()
        braced = self.at("{")
        if braced:
            self.take()
        power = self.expect("num", "a whole-number exponent")
        if braced:
            self.expect("}", "'}'")
        if not 1 <= power.value <= MAX_POWER:
            raise self.fail(f"exponent {power.text}: between 1 and {MAX_POWER}", power)
        if self.at("^"):
            raise self.fail("a power of a power: write the exponent once", self.tok)
        return base ** power.value

    def atom(self) -> Any:
        t = self.tok
        if t.kind == "num":
            self.take()
            return sp.Integer(t.value)
        if t.kind == "name":
            if t.value in self.sizes:
                self.take()
                return self.sizes[t.value]
            if t.value in self.names:
                raise self.fail(f"{t.text!r} is a tensor, but a size is expected", t)
            raise ClaimError(f"unknown size {t.text!r} at column {t.col} (sizes here: "
                             f"{', '.join(self.sizes)})", t.col)
        if t.kind == "(":
            self.take()
            inner = self.size()
            self.expect(")", "')'")
            return inner
        raise self.fail("expected a size (a number or a size name)", t, got=True)

    # -- turning values into operator arguments
    def per_axis(self, value: Any, what: str, start: Token, positive: bool = False) -> tuple[Any, ...]:
        items = value.items if isinstance(value, _Tuple) else (value,) * self.ndim
        if len(items) != self.ndim or any(isinstance(v, _Tuple) for v in items):
            n = len(items) if not any(isinstance(v, _Tuple) for v in items) else "nested tuples"
            raise ClaimError(f"{what} at column {start.col}: one value or one per spatial axis ({self.ndim} "
                             f"here), got {n}", start.col)
        if positive and any(v.is_Integer and v < 1 for v in items):
            raise ClaimError(f"{what} at column {start.col} must be positive", start.col)
        return tuple(_num(v) for v in items)

    def groups_value(self, value: Any, start: Token) -> Any:
        if isinstance(value, _Tuple) or value.is_Integer and value < 1:
            raise ClaimError(f"groups at column {start.col} must be one positive number or size", start.col)
        return _num(value)

    def widths(self, items: list[Any], start: Token) -> tuple[tuple[Any, Any], ...]:
        def pair(v: Any) -> tuple[Any, Any] | None:
            if not isinstance(v, _Tuple):
                return (v, v)
            if len(v.items) == 2 and not any(isinstance(w, _Tuple) for w in v.items):
                return v.items
            return None
        if len(items) == 1 and pair(items[0]) is not None:
            lo, hi = pair(items[0])                                       # type: ignore[misc]
            return ((_num(lo), _num(hi)),) * self.ndim
        axes = items[0].items if len(items) == 1 else tuple(items)
        if len(axes) == self.ndim and all(isinstance(v, _Tuple) and pair(v) is not None for v in axes):
            return tuple((_num(v.items[0]), _num(v.items[1])) for v in axes)
        raise ClaimError(f"pad widths at column {start.col}: expected p, (low, high), or one (low, high) "
                         f"pair per spatial axis ({self.ndim} here)", start.col)

    def axes(self, value: Any, start: Token) -> tuple[int, ...]:
        items = value.items if isinstance(value, _Tuple) else (value,)
        if not all(not isinstance(v, _Tuple) and v.is_Integer and v >= 0 for v in items):
            raise ClaimError(f"sum axes at column {start.col}: expected axis numbers such as (0, 2, 3)",
                             start.col)
        return tuple(int(v) for v in items)



def parse(text: str, ndim: int, tensors: tuple[str, ...] = TENSORS) -> ops.Expr:
    """The closed form a claim writes, for a convolution with ``ndim`` spatial axes (see the module's
    grammar), reading the tensors ``tensors`` (the double backward's claims also read ggI, ggW and ggb).
    Raises :class:`ClaimError` naming the token and its column."""
    return _Parser(text, ndim, tensors).claim()


def parse_size(text: str, ndim: int) -> Any:
    """A size expression alone (``1 - ((H_1 + 1) mod 2)``), as SymPy: the grammar's ``size``, in either
    notation (juxtaposition multiplies, as in a LaTeX subscript).

    >>> parse_size("G mod (3*D) - K**2", 1)
    -K**2 + Mod(G, 3*D)
    """
    p = _Parser(text, ndim)
    p.latex_subscript = True
    value = p.size()
    if not p.at("end"):
        raise p.fail("unexpected", got=True)
    return _num(value)


def terms(expr: ops.Expr) -> tuple[ops.Expr, ...]:
    """The terms of a sum ``a + b + ...`` (a claim's ``+`` between gradients), each a closed form."""
    if isinstance(expr, ops.AddBias):
        return terms(expr.arg) + terms(expr.bias)
    return (expr,)
