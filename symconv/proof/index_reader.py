r"""The index notation's reader: LaTeX such as ``\frac{\partial L}{\partial x_{c,i,j}} = \sum_{o}\sum_{m,n}
\frac{\partial L}{\partial y_{o,i-m+1,j-n+1}} h_{o,c,m,n}`` (one line, a chain of ``=`` or an ``aligned``
derivation) read into one :class:`~.index_sums.IndexSum` per right-hand side, with the readings of its
numbers that its bounds, conditions and remarks allow. Never evaluated: tokens, a recursive-descent parser,
SymPy expressions built from them.

What it reads: ``\frac{\partial L}{\partial x_{…}}``, ``\partial L/\partial h_{…}``, ``\pd{L}{x_{…}}``,
``x[c,i,j]``; subscripts with commas or juxtaposed letters (``h_{ocmn}``); ``\sum_{i}``, ``\sum_{i=a}^{b}``,
``\sum_{i,j}``, stacked sums, ``\limits``, ``\substack``, the seed's ``\sum_{out_j=1, w_j-w_i=-W}^{C_{out}, W}``;
bounds in H, W, C_in, C_out, K, N and numbers; conditions (``m,n \in \{0,1,2\}``, ``0 \le i < H``,
``i \in [0, H)``); Iverson brackets; ``\delta_{o,i,j}``, ``g_{o,i,j}`` for ∂L/∂y; ``\delta_{o,o'}`` (two
indices) as Kronecker's; ∂y/∂x and ∂y/∂h as factors; remarks in ``\text{…}`` or Chinese ("1-based",
"zero outside", 越界取 0).
"""

from __future__ import annotations

import dataclasses
import itertools
import re
from dataclasses import dataclass
from typing import Any, Sequence

import sympy as sp

from ..derivation.index import Symbols
from ..derivation.spec import ConvSpec
from .grammar import ClaimError
from .index_sums import Factor, IndexSum, Reading, index_expr

MAX_TEXT = 4000          # characters of one index formula
MAX_SUMS = 8             # summation indices of one side

# ---------------------------------------------------------------------------------------------- tokens

_TOKEN = re.compile(r"\\[A-Za-z]+|\\.|[A-Za-z]|\d+|\S")
_DROP = re.compile(r"\\(?:left|right|bigl|bigr|Bigl|Bigr|biggl|biggr|big|Big|bigg|Bigg|limits|nolimits|"
                   r"displaystyle|textstyle|nonumber|notag|mathrm|operatorname)(?![A-Za-z])")
_ZERO_WORDS = re.compile(r"outside|out of range|out-of-range|zero[- ]padd|padded with zero|taken as 0|as zero|"
                         r"are 0|is 0|=\s*0|越界|超出|之外|以外|取\s*0|为\s*0|取零|为零|补零|填充", re.I)
_ONE_BASED = re.compile(r"1-based|one-based|from 1|start(?:s|ing)? at 1|从\s*1\s*开始|从\s*1\s*起", re.I)
_ZERO_BASED = re.compile(r"0-based|zero-based|from 0|start(?:s|ing)? at 0|从\s*0\s*开始|从\s*0\s*起", re.I)
_TEXT = re.compile(r"\\(?:text|textrm|mbox|textit|textbf|mathrm)\s*\{((?:[^{}]|\{[^{}]*\})*)\}")


@dataclass
class _Notes:
    zero_outside: bool = False
    base: int | None = None          # stated: 0 or 1


def _prepare(latex: str) -> tuple[str, _Notes]:
    """The formula's math with remarks (``\text{…}``, CJK words) taken out and remembered."""
    if len(latex) > MAX_TEXT:
        raise ClaimError(f"an index formula of {len(latex):,} characters; at most {MAX_TEXT:,}")
    notes = _Notes()
    latex = expand_macros(latex)
    text = re.sub(r"\\(?:label|tag\*?)\s*\{[^{}]*\}", " ", latex)
    text = re.sub(r"(?<!\\)%.*", " ", text)
    text = re.sub(r"\\substack\s*\{((?:[^{}]|\{[^{}]*\})*)\}", lambda m: m.group(1).replace("\\\\", ","), text)

    def remark(m: re.Match[str]) -> str:
        said = m.group(1)
        if _ZERO_WORDS.search(said):
            notes.zero_outside = True
        if _ONE_BASED.search(said):
            notes.base = 1
        elif _ZERO_BASED.search(said):
            notes.base = 0
        # a word between two pieces of math separates them, like a comma
        return " , " if re.search(r"[A-Za-z\u4e00-\u9fff]", said) else " "
    text = re.sub(r"\\(?:begin|end)\s*\{[A-Za-z*]*\}(?:\{[^{}]*\})?", " ", text)
    text = text.replace("\\\\", " ")            # a line break of an aligned derivation
    text = _TEXT.sub(remark, text)
    rest = re.sub(r"[^\x00-\x7f]+", lambda m: remark(re.match(r"(.*)", m.group(0), re.S)) if m.group(0).strip()
                  else " ", text)       # CJK words outside \text: a remark too
    text = rest.replace("∂", r"\partial ").replace("Σ", r"\sum ").replace("≤", r"\le ").replace("≥", r"\ge ")
    text = _DROP.sub(" ", text)
    text = re.sub(r"\\[dt]frac(?![A-Za-z])", r"\\frac", text)
    text = re.sub(r"\\(?:leq|leqslant)(?![A-Za-z])", r"\\le", text)
    text = re.sub(r"\\(?:geq|geqslant)(?![A-Za-z])", r"\\ge", text)
    text = re.sub(r"\\lt(?![A-Za-z])", "<", text)
    text = re.sub(r"\\gt(?![A-Za-z])", ">", text)
    text = re.sub(r"\\(?:mathbb|mathbf|boldsymbol|bm|mathcal|mathit)\s*\{\s*(\w)\s*\}", r"\1", text)
    text = re.sub(r"\\(?:mathbb|mathbf|mathcal)\s+(\w)", r"\1", text)
    text = re.sub(r"\\(?:ell)(?![A-Za-z])", "L", text)
    text = re.sub(r"\\[,;:! ]|~", " ", text)
    text = re.sub(r"\\q?quad(?![A-Za-z])", " , ", text)         # a wide space separates remarks
    return text, notes


def _tokens(text: str) -> list[str]:
    return [t for t in _TOKEN.findall(text) if t not in ("&",)]



# ------------------------------------------------------------------------------------------- the parser

_RELATIONS = {"<": "<", ">": ">", r"\le": "<=", r"\ge": ">=", "=": "=", r"\ne": "!=", r"\neq": "!="}
_DATA_NAMES = {"x": "x", "X": "x", "h": "h", "w": "h", "W": "h", "K": "h", "g": "g", "y": "g", "Y": "g",
               "z": "g"}


class _Parser:
    """A recursive-descent reader of one side's tokens (see :func:`read_index_sum` for the notations)."""

    def __init__(self, tokens: list[str], spec: ConvSpec, names: dict[str, sp.Symbol]) -> None:
        self.t, self.i, self.spec, self.names = tokens, 0, spec, names
        self.free: set[Any] = set()
        self.sym = Symbols(spec.ndim, False)

    # --- tokens
    def peek(self, k: int = 0) -> str:
        return self.t[self.i + k] if self.i + k < len(self.t) else ""

    def take(self, want: str | None = None) -> str:
        tok = self.peek()
        if want is not None and tok != want:
            raise ClaimError(f"expected {want!r} but found {tok or 'the end'!r}")
        self.i += 1
        return tok

    def group(self) -> list[str]:
        """The tokens of ``{…}`` (or of one token)."""
        if self.peek() != "{":
            return [self.take()]
        self.take("{")
        depth, out = 1, []
        while self.i < len(self.t):
            tok = self.take()
            depth += tok == "{"
            depth -= tok == "}"
            if depth == 0:
                return out
            out.append(tok)
        raise ClaimError("a { without its }")

    # --- names and sizes
    def word(self) -> str:
        """A name: letters, then an optional subscript (``out_j``, ``c_{in}``, ``w_i``) and primes."""
        out = ""
        while self.peek().isalpha() and len(self.peek()) == 1:
            out += self.take()
        if self.peek() == "_" and out:
            self.take()
            sub = self.group()
            out += "_" + ("{" + "".join(sub) + "}" if len(sub) > 1 else "".join(sub))
        while self.peek() == "'":
            out += self.take()
        return out

    def size(self, word: str) -> Any:
        w = word.replace("{", "").replace("}", "").replace(r"\text", "")
        sym = self.sym
        axes = {"H": 0, "W": 1} if self.spec.ndim == 2 else {"H": 0, "L": 0}
        table: dict[str, Any] = {"N": sym.N, "B": sym.N, "K": sym.K[0], "k": None, "C_in": sym.C, "C_i": sym.C,
                                 "C": sym.C, "C_out": sym.O, "C_o": sym.O, "O": sym.O, "M": sym.O,
                                 "P": sym.P[0], "p": None, "Cin": sym.C, "Cout": sym.O}
        for a, k in axes.items():
            if k < self.spec.ndim:
                table[a] = sym.H[k]
                for tail in ("'", "_out", "_o", "_y", "^out"):
                    table[a + tail] = sym.Ho[k]
                table[f"K_{a}"] = sym.K[k]
        return table.get(w)

    def symbol(self, word: str) -> Any:
        size = self.size(word)
        if size is not None:
            return size
        if word not in self.names:
            if len(self.names) > 40:
                raise ClaimError("more than 40 index names")
            self.names[word] = sp.Symbol(word, integer=True)
        return self.names[word]

    # --- affine expressions
    def expr(self) -> Any:
        out = self.term()
        while self.peek() in ("+", "-"):
            sign = 1 if self.take() == "+" else -1
            out = out + sign * self.term()
        return out

    def term(self) -> Any:
        sign = 1
        while self.peek() in ("-", "+"):
            sign *= -1 if self.take() == "-" else 1
        out = self.atom()
        while True:
            if self.peek() in ("*", r"\cdot", r"\times"):
                self.take()
                out = out * self.atom()
            elif self.peek() and (self.peek()[0].isalpha() or self.peek() in ("(", "{")) and out.is_Number:
                out = out * self.atom()              # 2i
            else:
                break
        if self.peek() == "/":
            self.take()
            den = self.atom()
            if not den.is_Integer or den == 0:
                raise ClaimError("an index is divided by something other than a whole number")
            out = out / den
        return sign * out

    def atom(self) -> Any:
        tok = self.peek()
        if tok.isdigit():
            if len(tok) > 6:
                raise ClaimError(f"the number {tok[:12]}… in an index is too large")
            self.take()
            return sp.Integer(int(tok))
        if tok in ("(", "{"):
            close = ")" if tok == "(" else "}"
            self.take()
            out = self.expr()
            self.take(close)
            return out
        if tok == r"\frac":
            self.take()
            num = _Parser(self.group(), self.spec, self.names).full_expr()
            den = _Parser(self.group(), self.spec, self.names).full_expr()
            if not den.is_Integer or den == 0:
                raise ClaimError("an index is divided by something other than a whole number")
            return num / den
        if tok == r"\lfloor":
            self.take()
            out = self.expr()
            self.take(r"\rfloor")
            return sp.floor(out)
        if tok.isalpha() and len(tok) == 1:
            return self.symbol(self.word())
        raise ClaimError(f"unexpected {tok or 'end'!r} in an index")

    def full_expr(self) -> Any:
        out = self.expr()
        if self.i != len(self.t):
            raise ClaimError(f"unexpected {self.peek()!r} in an index")
        return out

    def items(self, tokens: list[str]) -> list[list[str]]:
        """``tokens`` split at top-level commas."""
        out: list[list[str]] = [[]]
        depth = 0
        for tok in tokens:
            depth += tok in ("{", "(", "[", r"\{")
            depth -= tok in ("}", ")", "]", r"\}")
            if tok == "," and depth == 0:
                out.append([])
            else:
                out[-1].append(tok)
        return [o for o in out if o]

    # --- conditions: 0 \le i < H, i \in \{0,1,2\}, i \in [0, H)
    def condition(self, tokens: list[str]) -> list[Any]:
        if tokens[:1] == ["("] and tokens[-1:] == [")"]:
            tokens = tokens[1:-1]                          # (0 \le m,n \le 2)
        if r"\in" in tokens:
            at = tokens.index(r"\in")
            names = [_Parser(t, self.spec, self.names).full_expr() for t in self.items(tokens[:at])]
            lo, hi = self.range_set(tokens[at + 1:])
            return [c for v in names for c in (sp.Le(lo, v, evaluate=False), sp.Le(v, hi, evaluate=False))]
        parts: list[list[str]] = [[]]
        ops_: list[str] = []
        depth = 0
        for tok in tokens:
            depth += tok in ("{", "(")
            depth -= tok in ("}", ")")
            if depth == 0 and tok in _RELATIONS:
                ops_.append(_RELATIONS[tok])
                parts.append([])
            else:
                parts[-1].append(tok)
        if not ops_:
            raise ClaimError(f"not a condition: {''.join(tokens)[:40]!r}")
        listed = [k for k, part in enumerate(parts) if len(self.items(part)) > 1]
        if len(listed) == 1:                               # 0 \le m, n \le 2: one chain per name
            k = listed[0]
            out = []
            for name in self.items(parts[k]):
                chain = [t for j, part in enumerate(parts) for t in (
                    ([self._symbol_of(ops_[j - 1])] if j else []) + (name if j == k else part))]
                out += self.condition(chain)
            return out
        sides = [_Parser(p, self.spec, self.names).full_expr() for p in parts]
        out = []
        for (a, b), op in zip(zip(sides, sides[1:]), ops_):
            out.append({"<": lambda: sp.Lt(a, b, evaluate=False), ">": lambda: sp.Lt(b, a, evaluate=False),
                        "<=": lambda: sp.Le(a, b, evaluate=False), ">=": lambda: sp.Le(b, a, evaluate=False),
                        "=": lambda: sp.Eq(a, b, evaluate=False), "!=": lambda: sp.Ne(a, b, evaluate=False)}[op]())
        return out

    @staticmethod
    def _symbol_of(op: str) -> str:
        return {"<": "<", ">": ">", "<=": r"\le", ">=": r"\ge", "=": "=", "!=": r"\ne"}[op]

    def range_set(self, tokens: list[str]) -> tuple[Any, Any]:
        """(low, high), both inclusive, of ``\\{0, 1, 2\\}``, ``\\{0, …, H-1\\}``, ``[0, H)``, ``[1, H]``."""
        if not tokens:
            raise ClaimError("\\in with no set after it")
        first, last = tokens[0], tokens[-1]
        inner = tokens[1:-1]
        if first not in (r"\{", "[", "(") or last not in (r"\}", "]", ")"):
            raise ClaimError("\\in takes a set {a, ..., b} or an interval [a, b)")
        items = [t for t in self.items(inner) if t not in ([r"\dots"], [r"\ldots"], [r"\cdots"], ["."] * 3)]
        items = [[x for x in t if x != "."] for t in items]
        items = [t for t in items if t]
        values = [_Parser(t, self.spec, self.names).full_expr() for t in items]
        if not values:
            raise ClaimError("an empty set of indices")
        lo, hi = values[0], values[-1]
        if first == "(":
            lo = lo + 1
        if last == ")" or (first == "[" and last == ")"):
            hi = hi - 1
        if first == r"\{" and len(values) > 2 and not any(t in inner for t in (r"\dots", r"\ldots", r"\cdots")):
            if not all((b - a) == 1 for a, b in zip(values, values[1:])):
                raise ClaimError("a set of indices that are not consecutive")
        return lo, hi


@dataclass
class _Side:
    """What one side of the equation says: summations (symbol, low, high), conditions and factors."""

    sums: list[tuple[Any, Any, Any]] = dataclasses.field(default_factory=list)
    conds: list[Any] = dataclasses.field(default_factory=list)
    factors: list[Factor] = dataclasses.field(default_factory=list)
    derived: list[tuple[Any, Any, Any]] = dataclasses.field(default_factory=list)   # ∂y/∂x: (y idx, x idx, wrt)


def _derivative(p: _Parser) -> tuple[str, str, list[str]] | None:
    """``\\frac{\\partial A}{\\partial B_{…}}`` or ``\\partial A / \\partial B_{…}`` at the parser's position:
    (A's letter, B's letter, B's subscript tokens), A's subscript folded into A as ``A_{…}`` tokens."""
    start = p.i
    if p.peek() == r"\frac":
        p.take()
        num, den = p.group(), p.group()
        sub_after: list[str] = []
        if p.peek() == ")" and p.peek(1) == "_":      # \left(\frac{\partial L}{\partial y}\right)_{o,i,j}
            p.take()
        if p.peek() == "_":               # \frac{\partial L}{\partial y}_{o,i,j}
            p.take()
            sub_after = p.group()
        if not num or num[0] not in (r"\partial", "d") or not den or den[0] not in (r"\partial", "d"):
            p.i = start
            return None
        return _split_partial(num[1:]), _split_partial(den[1:])[0], (_split_partial(den[1:])[1] or sub_after)  # type: ignore[return-value]
    if p.peek() == r"\partial":
        p.take()
        top = []
        while p.peek() not in ("/", ""):
            top.append(p.take())
        if p.peek() != "/":
            p.i = start
            return None
        p.take()
        if p.take() != r"\partial":
            p.i = start
            return None
        letter = p.take()
        sub = []
        if p.peek() == "_":
            p.take()
            sub = p.group()
        return _split_partial(top), letter, sub  # type: ignore[return-value]
    return None


def _split_partial(tokens: list[str]) -> tuple[str, list[str]]:
    """``y_{o,i,j}`` → ("y", its subscript tokens); ``L`` → ("L", [])."""
    if not tokens:
        raise ClaimError("∂ with nothing after it")
    letter = tokens[0]
    if len(tokens) > 2 and tokens[1] == "[" and tokens[-1] == "]":          # y[o, i, j]
        return letter, tokens[2:-1]
    if len(tokens) > 2 and tokens[1] == "_":
        rest = tokens[2:]
        if rest[0] == "{" and rest[-1] == "}":
            rest = rest[1:-1]
        return letter, rest
    return letter, []


def _index(p: _Parser, tokens: list[str], rank: tuple[int, ...]) -> tuple[Any, ...]:
    """A subscript's indices: comma-separated, or juxtaposed single letters (``x_{cij}``) when that gives
    one of the ranks the tensor may have."""
    items = p.items(tokens)
    if len(items) == 1 and all(len(t) == 1 and t.isalpha() for t in items[0]) and len(items[0]) in rank:
        items = [[t] for t in items[0]]
    return tuple(_Parser(t, p.spec, p.names).full_expr() for t in items)


def _side(p: _Parser, side: _Side) -> None:
    """Sums and factors until the end of the tokens."""
    nd = p.spec.ndim
    while p.i < len(p.t):
        tok = p.peek()
        if tok in (r"\cdot", r"\times", "*", "(", ")", r"\,"):
            p.take()
            continue
        if tok == r"\sum":
            p.take()
            _sum(p, side)
            continue
        if tok in ("[", r"\[") or (tok in ("1", "I") and p.peek(1) in ("[", "_", "(", r"\{")):
            _iverson(p, side)
            continue
        d = _derivative(p)
        if d is not None:
            (num, num_sub), den, den_sub = d
            if num in ("L", "E", "J", "l") and _DATA_NAMES.get(den) == "g":
                side.factors.append(Factor("g", _index(p, den_sub, (nd + 1, nd + 2)), "∂L/∂y"))
            elif _DATA_NAMES.get(num) == "g" and _DATA_NAMES.get(den) in ("x", "h"):
                y = _index(p, num_sub, (nd + 1, nd + 2))
                w = _index(p, den_sub, (nd + 1, nd + 2))
                side.derived.append((y, w, _DATA_NAMES[den]))
            else:
                raise ClaimError(f"a factor ∂{num}/∂{den} that is neither ∂L/∂y nor ∂y/∂x, ∂y/∂h")
            continue
        if tok == r"\delta" and p.peek(1) == "_":
            p.take()
            p.take()
            sub = p.group()
            idx = _index(p, sub, (2, nd + 1, nd + 2))
            if len(idx) == 2:                    # Kronecker's δ_{o,o'}
                side.conds.append(sp.Eq(idx[0], idx[1], evaluate=False))
            else:
                side.factors.append(Factor("g", idx, "δ"))
            continue
        if len(tok) == 1 and tok in _DATA_NAMES and p.peek(1) in ("_", "["):
            p.take()
            name = _DATA_NAMES[tok]
            if p.take() == "[":                   # x[c, i, j]
                sub, depth = [], 1
                while p.i < len(p.t):
                    t = p.take()
                    depth += t == "["
                    depth -= t == "]"
                    if depth == 0:
                        break
                    sub.append(t)
            else:
                sub = p.group()
            while p.peek() == "^":                # h_{…}^{…}: a rotation or transpose is not index notation
                raise ClaimError(f"{tok}_{{…}}^{{…}}: an index formula names every index")
            side.factors.append(Factor(name, _index(p, sub, (nd + 1, nd + 2)), tok))
            continue
        raise ClaimError(f"unexpected {tok!r} in an index sum")


def _sum(p: _Parser, side: _Side) -> None:
    low: list[str] = []
    high: list[str] = []
    for _ in range(2):
        if p.peek() == "_":
            p.take()
            low = p.group()
        elif p.peek() == "^":
            p.take()
            high = p.group()
    if low[:1] == ["("] and low[-1:] == [")"]:
        low = low[1:-1]                            # \sum_{(i,j)}
    items = p.items(low) if low else []
    highs = p.items(high) if high else []
    with_low = []
    for item in items:
        if r"\in" in item or any(t in ("<", ">", r"\le", r"\ge") for t in item):
            conds = p.condition(item)
            side.conds += conds
            for c in conds:
                for s in sorted(c.free_symbols, key=str):
                    if not _is_size(s) and s not in p.free and s not in [v for v, _, _ in side.sums]:
                        side.sums.append((s, None, None))
            continue
        if "=" in item:
            at = item.index("=")
            left = _Parser(item[:at], p.spec, p.names)
            lhs = left.full_expr()
            lo = _Parser(item[at + 1:], p.spec, p.names).full_expr()
            new = [s for s in lhs.free_symbols if not _is_size(s) and s not in p.free
                   and s not in [v for v, _, _ in side.sums]]
            if isinstance(lhs, sp.Symbol) and not _is_size(lhs):
                var = lhs
            elif len(new) == 1:
                var = new[0]                   # \sum_{w_j - w_i = -W}: the new index is summed
            else:
                raise ClaimError(f"\\sum_{{{lhs} = …}}: no new index to sum over")
            side.sums.append((var, None, None))
            with_low.append((len(side.sums) - 1, lhs, lo))
            continue
        for name in [item] if len(item) > 1 and item[0].isalpha() and "_" in item else [[t] for t in item] \
                if all(len(t) == 1 and t.isalpha() for t in item) and len(item) > 1 and not _one_word(item) \
                else [item]:
            s = _Parser(name, p.spec, p.names).full_expr()
            if not isinstance(s, sp.Symbol) or _is_size(s):
                raise ClaimError(f"\\sum_{{{''.join(item)}}}: not an index name")
            side.sums.append((s, None, None))
    if highs and not with_low:
        raise ClaimError("\\sum with an upper bound but no lower one")
    if highs and len(highs) != len(with_low):
        raise ClaimError(f"\\sum with {len(with_low)} lower bounds and {len(highs)} upper ones")
    for k, (at, lhs, lo) in enumerate(with_low):
        hi = _Parser(highs[k], p.spec, p.names).full_expr() if highs else None
        var = side.sums[at][0]
        if lhs == var:
            side.sums[at] = (var, lo, hi)
        else:
            side.conds.append(sp.Le(lo, lhs, evaluate=False))
            if hi is not None:
                side.conds.append(sp.Le(lhs, hi, evaluate=False))


def _one_word(item: list[str]) -> bool:
    """Letters that spell one index name rather than several (``in``, ``out``)."""
    return "".join(item) in ("in", "out", "ci", "co", "cin", "cout", "oc", "ic")


def _is_size(s: Any) -> bool:
    return not isinstance(s, sp.Symbol) or s.name in {str(v) for v in _SIZE_NAMES}


_SIZE_NAMES = {str(v) for v in (Symbols(2, True).N, Symbols(2, True).C, Symbols(2, True).O)} | {
    str(v) for s in (Symbols(1, True), Symbols(2, True), Symbols(3, True)) for v in s.H + s.K + s.Ho + s.P}


def _iverson(p: _Parser, side: _Side) -> None:
    """``[cond]``, ``1[cond]``, ``1_{cond}``, ``I(cond)``, ``1\\{cond\\}``: a condition on the term."""
    if p.peek() in ("1", "I"):
        p.take()
        if p.peek() == "_":
            p.take()
            body = p.group()
            side.conds += _conditions(p, body)
            return
    open_ = p.take()
    close = {"[": "]", r"\[": r"\]", "(": ")", r"\{": r"\}"}[open_]
    body, depth = [], 1
    while p.i < len(p.t):
        tok = p.take()
        depth += tok == open_
        depth -= tok == close
        if depth == 0:
            break
        body.append(tok)
    else:
        raise ClaimError(f"an Iverson bracket {open_} without its {close}")
    side.conds += _conditions(p, body)


def _conditions(p: _Parser, tokens: list[str]) -> list[Any]:
    out = []
    for part in _split_words(tokens, (r"\land", r"\wedge", "and", ",")):
        out += p.condition(part)
    return out


def _split_words(tokens: list[str], seps: tuple[str, ...]) -> list[list[str]]:
    out: list[list[str]] = [[]]
    depth = 0
    for tok in tokens:
        depth += tok in ("{", "(", "[", r"\{")
        depth -= tok in ("}", ")", "]", r"\}")
        if depth == 0 and tok in seps:
            out.append([])
        else:
            out[-1].append(tok)
    return [o for o in out if o]


# ------------------------------------------------------------------------------------------ the reader

@dataclass(frozen=True)
class Derivation:
    """An index formula as read: the gradient (``x`` or ``h``), one :class:`IndexSum` per right-hand side
    (a chain ``∂L/∂x = A = B = …`` or an ``aligned`` derivation: the steps, in order), the readings the
    bounds allow (the first is the likeliest), and the remarks taken into account."""

    target: str
    steps: tuple[IndexSum, ...]
    readings: tuple[Reading, ...]
    zero_outside: bool
    texts: tuple[str, ...]

    def at(self, reading: Reading) -> tuple[IndexSum, ...]:
        return tuple(_axes(s, reading.wh).with_reading(reading) for s in self.steps)


def _axes(s: IndexSum, wh: bool) -> IndexSum:
    """The sum with H and W (and H', W') exchanged when W names the first spatial axis."""
    if not wh or s.ndim != 2:
        return s
    sym = Symbols(2, True)
    swap = {sym.H[0]: sym.H[1], sym.H[1]: sym.H[0], sym.Ho[0]: sym.Ho[1], sym.Ho[1]: sym.Ho[0]}

    def x(e: Any) -> Any:
        return e.xreplace(swap) if isinstance(e, sp.Basic) else e
    return dataclasses.replace(
        s, bounds=tuple((v, x(lo), x(hi)) for v, lo, hi in s.bounds),
        conds=tuple(c.xreplace(swap) for c in s.conds),
        factors=tuple(dataclasses.replace(f, index=tuple(x(e) for e in f.index)) for f in s.factors))


_CORRELATION = re.compile(r"\\(?:otimes|star|ast|circledast|operatorname\s*\{\s*conv)(?![A-Za-z])|⊗")
_PD = re.compile(r"\\(?:pd|pdv|partialderivative|dv)\s*\{((?:[^{}]|\{[^{}]*\})*)\}\s*\{((?:[^{}]|\{[^{}]*\})*)\}")


def expand_macros(latex: str) -> str:
    """The partial-derivative macros sheets define or take from the physics package, ``\\pd{L}{x_{c,i,j}}``
    and ``\\pdv{L}{x}``, written out as ``\\frac{\\partial L}{\\partial x_{c,i,j}}``."""
    return _PD.sub(lambda m: rf"\frac{{\partial {m.group(1)}}}{{\partial {m.group(2)}}}", latex)


def looks_like_index_sum(latex: str) -> bool:
    """Whether a formula answer is written in index notation (a subscripted ∂L/∂x_{…} or ∂L/∂h_{…} on the
    left, or a \\sum) with no correlation operator (⊗, ⋆, ∗, conv; ``*`` may be a product), rather than as a
    closed form (which may sum per-channel correlations: ``\\sum_o \\frac{\\partial L}{\\partial y_o}
    \\otimes h_{o,c}``). The grader falls back on the closed-form reader when the index reader cannot read it."""
    latex = expand_macros(latex)
    if _CORRELATION.search(latex):
        return False
    return bool(re.search(r"\\sum|\\partial\s*(?:x|h|w)\s*[_\[]|\\partial\s*(?:x|h|w)\s*\}\s*_|"
                          r"\\partial\s*\\?(?:mathbf|boldsymbol)?\s*\{?\s*(?:x|h)\s*\}?\s*_", latex))


def _chunks(tokens: list[str]) -> list[list[str]]:
    return _split_words(tokens, (",", ";", "."))


def read_derivation(latex: str, spec: ConvSpec, wrt: str | None = None) -> Derivation:
    """Read ``∂L/∂x_{…} = Σ … [= Σ … …]`` (see the module docstring): raises :class:`ClaimError` (one line
    naming what is wrong) for what it cannot read. ``wrt`` (``x`` or ``h``), when given, must be the
    left-hand side's tensor."""
    text, notes = _prepare(latex)
    tokens = _tokens(text)
    if len(tokens) > 1500:
        raise ClaimError(f"an index formula of {len(tokens):,} tokens; at most 1,500")
    chunks = _chunks(tokens)
    eq_at = next((k for k, c in enumerate(chunks) if "=" in _top(c) and (r"\partial" in c or r"\sum" in c)), None)
    if eq_at is None:
        raise ClaimError("no equation ∂L/∂x_{…} = … in the formula")
    # a chunk before the equation that is part of it (a comma inside an unbraced subscript) is not expected;
    # chunks after it are conditions (m, n \in \{0,1,2\}; 0 \le i < H) or words
    equation = chunks[eq_at]
    extra: list[list[str]] = []
    pending: list[str] = []
    for c in chunks[eq_at + 1:]:
        if any(t in c for t in (r"\in", "<", ">", r"\le", r"\ge")):
            extra.append(pending + ([","] if pending else []) + c)
            pending = []
        elif all(len(t) == 1 and t.isalpha() or t in ("_", "{", "}") or t.isdigit() for t in c):
            pending += ([","] if pending else []) + c
        elif "=" in _top(c) and (r"\partial" in c or r"\sum" in c):
            raise ClaimError("two equations in one formula answer")
        else:
            pending = []
    sides = _split_words(equation, ("=",))
    if len(sides) < 2:
        raise ClaimError("no right-hand side after ∂L/∂x_{…} =")
    names: dict[str, sp.Symbol] = {}
    lhs = _Parser(sides[0], spec, names)
    d = _derivative(lhs)
    if d is None or lhs.i != len(lhs.t):
        raise ClaimError("the left-hand side is not ∂L/∂x_{…} or ∂L/∂h_{…}")
    (num, _), den, den_sub = d
    target = _DATA_NAMES.get(den)
    if num not in ("L", "E", "J", "l") or target not in ("x", "h"):
        raise ClaimError(f"the left-hand side is ∂{num}/∂{den}, not ∂L/∂x_{{…}} or ∂L/∂h_{{…}}")
    if wrt is not None and target != wrt:
        raise ClaimError(f"the formula is for ∂L/∂{target}, but this answer asks for ∂L/∂{wrt}")
    nd = spec.ndim
    if not den_sub:
        raise ClaimError(f"∂L/∂{den} without its indices: an index formula names the entry")
    free = _index(lhs, den_sub, (nd + 1, nd + 2))
    if not all(isinstance(v, sp.Symbol) and not _is_size(v) for v in free):
        raise ClaimError(f"the entry ∂L/∂{den}_{{…}} is named by index letters, not expressions")
    conds: list[Any] = []
    for c in extra:
        conds += lhs.condition(c)
    def build(side_tokens: list[str], swap: bool = False) -> Any:
        side = _Side(conds=list(conds))
        p = _Parser(side_tokens, spec, names)
        p.free = set(free)
        _side(p, side)
        return _build(target, free, side, spec, "".join(side_tokens), swap=swap)

    steps = [build(t) for t in sides[1:]]
    texts = [" ".join(t) for t in sides[1:]]
    if any(s.lhs_swapped for s in steps) and not all(s.lhs_swapped for s in steps):
        # the left-hand side names the kernel's channels once for every line: (C_in, C_out) when any line
        # shows it (its x shares the first index)
        steps = [build(t, swap=True) for t in sides[1:]]
    readings = _readings(steps, notes, spec)
    return Derivation(target, tuple(steps), readings, notes.zero_outside, tuple(texts))


def _top(tokens: list[str]) -> list[str]:
    out, depth = [], 0
    for t in tokens:
        depth += t in ("{", "(")
        depth -= t in ("}", ")")
        if depth == 0:
            out.append(t)
    return out


_ROLE = re.compile(r"(?:in|out)(?:_|$)")


def _role_named(index: tuple[Any, ...]) -> bool:
    """Whether a kernel's two channel indices name their roles (in_i, out_j, as the homework writes them)."""
    return any(_ROLE.match(str(v)) for e in index if isinstance(e, sp.Basic) for v in e.free_symbols)


def _build(target: str, free: tuple[Any, ...], side: _Side, spec: ConvSpec, text: str,
           swap: bool = False) -> IndexSum:
    nd = spec.ndim
    factors = list(side.factors)
    conds = list(side.conds)
    for y, w, wrt in side.derived:
        if wrt == "x":                         # ∂y_{o,p}/∂x_{c,u}
            if len(y) != nd + 1 or len(w) != nd + 1:
                raise ClaimError("∂y/∂x is read with indices y_{o,i,j} and x_{c,u,v}")
            factors.append(Factor("h", (y[0], w[0]) + tuple(w[1:]) + tuple(y[1:]), "∂y/∂x", derived="dydx"))
        else:                                  # ∂y_{o,p}/∂h_{o',c,a}: [o = o'] x_{c, p + a - P}
            if len(y) != nd + 1 or len(w) != nd + 2:
                raise ClaimError("∂y/∂h is read with indices y_{o,i,j} and h_{o,c,m,n}")
            out_c, in_c = (w[1], w[0]) if swap and tuple(w[:2]) == tuple(free[:2]) else (w[0], w[1])
            conds.append(sp.Eq(y[0], out_c, evaluate=False))
            factors.append(Factor("x", (in_c,) + tuple(y[1:]) + tuple(w[2:]), "∂y/∂h", derived="dydh"))
    by = {f.tensor: f for f in factors}
    if target == "x":
        batch = len(free) == nd + 2
    else:
        batch = "x" in by and not by["x"].derived and len(by["x"].index) == nd + 2 or \
            "g" in by and len(by["g"].index) == nd + 2
    for f in factors:
        want = (nd + 2 if f.tensor == "h" or batch else nd + 1) if not f.derived else len(f.index)
        if len(f.index) != want:
            raise ClaimError(f"{f.written}_{{…}} has {len(f.index)} indices; {want} were expected here")
        if f.derived and batch:
            raise ClaimError("∂y/∂x written with a batch index is not read; leave out the image index")
    # the kernel's channels: the index shared with x (or ∂L/∂x) is the input channel
    at = 1 if batch else 0
    xc = free[at] if target == "x" else (by["x"].index[at] if "x" in by and not by["x"].derived else
                                        by["x"].index[0] if "x" in by else None)
    gc = by["g"].index[at] if "g" in by else None
    # h is C_out x C_in: h_{o,c} as written, and h_{c,o} is read strictly (no swap); only indices named for
    # their role, the homework's own h_{in_i, out_j}, are read by their names
    new = []
    for f in factors:
        if f.tensor == "h" and not f.derived and xc is not None and _role_named(f.index[:2]) and \
                sp.expand(f.index[0] - xc) == 0 and sp.expand(f.index[1] - xc) != 0:
            f = dataclasses.replace(f, index=(f.index[1], f.index[0]) + f.index[2:], swapped=True)
        new.append(f)
    free_t = tuple(free)
    lhs_swapped = target == "h" and (swap or xc is not None and _role_named(free[:2]) and free[0] == xc
                                     and free[1] != xc)
    if lhs_swapped:
        free_t = (free[1], free[0]) + tuple(free[2:])
    # every index symbol used must be free or summed; one that is neither is read at its first value
    summed = [s for s, _, _ in side.sums]
    if len(summed) > MAX_SUMS:
        raise ClaimError(f"{len(summed)} summation indices; at most {MAX_SUMS}")
    if len(set(summed)) != len(summed):
        raise ClaimError("an index is summed twice")
    bounds = list(side.sums)
    if any(s in free for s in summed):
        raise ClaimError("a sum runs over an index of the left-hand side")
    used: set[Any] = set()
    for f in new:
        for e in f.index:
            used |= index_expr(e).free_symbols
    for c in conds:
        used |= c.free_symbols
    for v in sorted(used, key=str):
        if v not in free and v not in summed and not _is_size(v):
            bounds.append((v, "first", "first"))
    kernel = tuple(int(k) for k in spec.kernel_size)          # type: ignore[union-attr]
    pads = tuple(int(lo) for lo, _ in spec.pads)              # type: ignore[union-attr]
    for f in new:
        for e in f.index:
            _check_affine(e)
    return IndexSum(target, free_t, batch, tuple(bounds), tuple(conds), tuple(new), Reading(), kernel, pads,
                    nd, lhs_swapped, text)


def _check_affine(e: Any) -> None:
    e = sp.expand(index_expr(e))
    for t in sp.Add.make_args(e):
        coeff, rest = t.as_coeff_Mul()
        if not coeff.is_Integer or isinstance(rest, sp.Mul) or isinstance(rest, sp.Pow):
            raise ClaimError(f"the index {e} is not a whole-number combination of indices and sizes")


def _readings(steps: Sequence[IndexSum], notes: _Notes, spec: ConvSpec) -> tuple[Reading, ...]:
    """The readings the bounds, conditions and remarks allow, the likeliest first."""
    data: set[int] = set()
    kern: set[Any] = set()
    batch: set[int] = set()
    half = (int(spec.kernel_size[0]) - 1) // 2                # type: ignore[index]
    for s in steps:
        lows: dict[Any, Any] = {}
        highs: dict[Any, Any] = {}
        for v, lo, hi in s.bounds:
            if lo is not None and lo != "first":
                lows[v] = lo
            if hi is not None and hi != "first":
                highs[v] = hi
        for c in s.conds:
            if isinstance(c, (sp.Le, sp.Lt)):
                a, b = c.lhs, c.rhs
                if isinstance(b, sp.Symbol) and a.is_Integer:
                    lows[b] = a + (1 if isinstance(c, sp.Lt) else 0)
                if isinstance(a, sp.Symbol) and not b.is_Integer:
                    highs[a] = b - (1 if isinstance(c, sp.Lt) else 0)
        uses = []
        for f in s.factors:
            for k, e in enumerate(f.index):
                if f.derived:
                    continue
                axis = k + (0 if f.tensor == "h" or s.batch else 1)
                uses.append((e, "kernel" if f.tensor == "h" and axis >= 2 else "data", f.tensor, axis))
        for k, v in enumerate(s.free):
            axis = k + (0 if s.target == "h" or s.batch else 1)
            uses.append((v, "kernel" if s.target == "h" and axis >= 2 else "data", s.target, axis))
        for e, kind, tensor, axis in uses:
            if not isinstance(e, sp.Symbol):
                continue
            if kind == "data" and axis == 0 and tensor != "h":
                lo = lows.get(e)
                if lo is not None and lo.is_Integer and int(lo) in (0, 1):
                    batch.add(int(lo))
                continue
            lo = lows.get(e)
            if lo is not None and lo.is_Integer:
                if kind == "data" and int(lo) in (0, 1):
                    data.add(int(lo))
                elif kind == "kernel":
                    kern.add(int(lo) if int(lo) in (0, 1) and int(lo) != -half else None if int(lo) == -half
                             else "?")
            hi = highs.get(e)
            if lo is None and hi is not None and kind == "data":
                for size in hi.free_symbols:
                    if sp.expand(hi - size) == -1:
                        data.add(0)
                    elif sp.expand(hi - size) == 0:
                        data.add(1)
    if notes.base is not None and not data:
        data.add(notes.base)
    if notes.base is not None and not kern:
        kern.add(notes.base)
    kern.discard("?")
    ds = sorted(data) if data else [0, 1]
    # centred kernel positions (−1, 0, 1) when stated, or when the kernel is indexed by an offset between
    # positions (the homework's own h_{in_i, out_j, -(w_j-w_i), …}); a kernel indexed by its own letters
    # (h_{o,c,m,n}) is read 0- or 1-based, as a teacher reads it
    offsets = any(not isinstance(e, sp.Symbol) for s in steps for f in s.factors if f.tensor == "h"
                  and not f.derived for e in f.index[2:])
    ks = sorted(kern, key=lambda k: (k is None, k)) if kern else [ds[0], 1 - ds[0]] + ([None] if offsets else [])
    # H and W: which axis each names, when the sums use them (x_{c,w,h} names W first, as the seed does)
    sym = Symbols(2, True)
    used = set().union(*(set().union(*(e.free_symbols for v, lo, hi in s.bounds for e in (lo, hi)
                                       if isinstance(e, sp.Basic)), *(c.free_symbols for c in s.conds))
                         for s in steps)) if steps else set()
    whs = [False]
    if spec.ndim == 2 and used & {sym.H[0], sym.H[1], sym.Ho[0], sym.Ho[1]}:
        first = str(steps[0].free[-2]).lower() if steps else ""
        whs = [True, False] if first.startswith("w") else [False, True]
    own = sorted(batch)[0] if len(batch) == 1 else None
    out = [Reading(d, k, wh, own if own != d else None) for wh in whs for d, k in itertools.product(ds, ks)]
    return tuple(sorted(out, key=lambda r: (r.wh != whs[0], r.data != r.kernel, out.index(r))))


