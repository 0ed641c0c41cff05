r"""Reading answers written in LaTeX, the way a deep-learning reader means them.

All parsing goes through :func:`parse_answer`, the one place that calls latex2sympy2 (so the parser can be
replaced here alone). Before it, the text is taken apart and rewritten, never the parser's output:

- :mod:`.source`: the text with, for each character, the student's column (messages quote the student);
- :mod:`.notation`: lines, statements and chains (``L = -\ln\frac15 = \ln 5 \approx 1.609``), channels
  (``conv1^{(1)} = A, \qquad conv1^{(2)} = B``), and what is not the answer (``\text{...}``, units,
  ``\forall ...``, ``(i = 1, \dots, 5)``);
- :mod:`.entries`: each side for latex2sympy2 (every matrix environment a ``bmatrix``, tuples and
  ``[a \quad b]`` rows, ``\log`` natural and ``\log_{10}`` base 10, ``5 7`` refused).

Here: the limits, the bounded evaluation of latex2sympy2's tree, a chain's sides judged against each other,
channels combined, and the answer files.

>>> parse_answer(r"L = -\log(0.2)").value
log(5)
>>> parse_answer(r"p = [0.2 \quad 0.2]^T").value.tolist()
[1/5, 1/5]
"""

from __future__ import annotations

import math
import re
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np
import sympy as sp

from ..errors import InputError
from ..derivation.exprs import as_expr
from . import entries as en
from . import macros
from . import notation as nt
from .source import ParseError, Src, render, toml_sheet, where, worded

__all__ = ["Answer", "FalseChain", "ParseError", "parse_answer", "read_answers", "read_tex_answers",
           "time_budget"]


@dataclass(frozen=True)
class Answer:
    value: Any            # a SymPy scalar or an object ndarray
    text: str             # the student's text of the side that was graded
    decimals: int | None  # the most decimal places written, when the answer was given as decimals (or ≈)
    covers: tuple[str, ...] | None = None    # the answer is one channel's or entry's statement (h^{(1,1)} = …)
    stated: tuple[tuple[tuple[str, ...], str, "Answer"], ...] = ()   # other statements of one entry or channel
    unread: str = ""      # a middle step of the chain that was not read (the final value was)


# ------------------------------------------------------------------------------------------------- limits
# Every answer is checked against these before any work: the LaTeX first, then the SymPy tree as it is
# evaluated bottom-up (never with doit() or sympify), all within a time budget where the platform has one.

MAX_FILE_BYTES = 1_000_000      # an answer file
MAX_ANSWER_CHARS = 50_000       # one answer's LaTeX
MAX_DIGITS = 4_300              # one number, written or computed (Python's int-to-str limit)
MAX_NESTING = 40                # brackets, environments and the evaluated tree
MAX_TERMS = 200                 # operators in one entry (latex2sympy2's ANTLR parser slows sharply past this)
MAX_FACTORIAL = 1_000           # n! (2,568 digits)
MAX_SUM_TERMS = 1_000           # terms of a \sum or \prod with numeric bounds
MAX_EXPONENT = 100_000          # |b| of a^b for any a other than 0, 1, -1
TIME_BUDGET = 2.0               # CPU seconds to read and grade one answer (SIGPROF; main thread on POSIX)


class _OverBudget(BaseException):
    """Raised by the alarm; a BaseException so that no ``except Exception`` in a library swallows it."""


_budget_active = False


@contextmanager
def time_budget(seconds: float = TIME_BUDGET) -> Iterator[None]:
    """Stop the work inside with :class:`ParseError` after ``seconds`` of this process's CPU time. Re-entrant
    (the outermost budget governs); a no-op where no interval timer can be set (Windows, or outside the main
    thread), where the size and depth limits above still hold.

    CPU time, not wall-clock time: on a shared machine (other jobs on the cores) a wall-clock alarm turned the
    same answer's verdict into "over budget" at load 10; CPU time depends on the answer, not on the neighbours.
    """
    global _budget_active
    usable = hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
    if _budget_active or not usable:
        yield
        return

    def on_alarm(signum: int, frame: Any) -> None:
        if _budget_active:
            raise _OverBudget()

    previous = signal.signal(signal.SIGPROF, on_alarm)
    _budget_active = True
    signal.setitimer(signal.ITIMER_PROF, seconds)
    try:
        yield
    except _OverBudget:
        raise ParseError(f"reading and grading it took longer than the time budget of {seconds:g} s "
                         "per answer") from None
    finally:
        _budget_active = False
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.signal(signal.SIGPROF, previous)


def _short(text: str) -> str:
    text = " ".join(text.split())
    return f"'{text[:40] + ('…' if len(text) > 40 else '')}'"


def _at(text: str, col: int) -> str:
    """Where a problem is: its column (1-based) and the text from there."""
    rest = " ".join(text[col:].split())
    if not rest:
        return f"column {col + 1} (the end)"
    return f"column {col + 1} ('{rest[:24] + ('…' if len(rest) > 24 else '')}')"


# --------------------------------------------------------------------------------------- checks on the text

_DELIMS = r"\(|\)|\[|\]|\\\{|\\\}|\.|\||\\\||\\langle|\\rangle|\\lvert|\\rvert|\\lVert|\\rVert|\\lbrack|\\rbrack|/"
_TOKEN = re.compile(r"\\(left|right)\s*(" + _DELIMS + r")|\\(begin|end)\s*\{([^{}]*)\}|\\[a-zA-Z]+|\\.|[()\[\]{}]")
_OPEN = {"(": ")", "[": "]", "{": "}"}
_CLOSE = {v: k for k, v in _OPEN.items()}


def check_balance(text: str) -> None:
    """:class:`ParseError` unless (), [], {}, \\left/\\right and \\begin/\\end pair up, at most
    :data:`MAX_NESTING` deep.

    >>> check_balance(r"\\left[ \\begin{matrix} 1 \\end{matrix} \\right]^T")
    >>> check_balance(r"\\ln 5 } + 100")
    Traceback (most recent call last):
    ...
    symconv.grading.source.ParseError: unbalanced: '}' at column 7 ('} + 100') closes nothing
    """
    stack: list[tuple[str, int]] = []
    for m in _TOKEN.finditer(text):
        tok, col = m.group(0), m.start()
        if m.group(1) == "left" or m.group(3) == "begin" or tok in _OPEN:
            opener = r"\left" if m.group(1) else rf"\begin{{{m.group(4)}}}" if m.group(3) else tok
            stack.append((opener, col))
            if len(stack) > MAX_NESTING:
                raise ParseError(f"nested more than {MAX_NESTING} levels deep at {_at(text, col)}")
            continue
        if m.group(1) == "right" or m.group(3) == "end" or tok in _CLOSE:
            want = r"\left" if m.group(1) else rf"\begin{{{m.group(4)}}}" if m.group(3) else _CLOSE[tok]
            shown = r"\right" if m.group(1) else tok
            if not stack:
                raise ParseError(f"unbalanced: '{shown}' at {_at(text, col)} closes nothing")
            opener, where = stack.pop()
            if opener != want:
                raise ParseError(f"unbalanced: '{shown}' at {_at(text, col)} closes '{opener}' of column "
                                 f"{where + 1}")
    if stack:
        opener, where = stack[-1]
        raise ParseError(f"unbalanced: '{opener}' at {_at(text, where)} is never closed")


_SAFE_OPERATORNAMES = {"floor", "ceil", "gcd", "lcm", "arsinh", "arcosh", "artanh", "arcsinh", "arccosh",
                       "arctanh", "exp", "ln", "log", "sin", "cos", "tan", "sinh", "cosh", "tanh"}
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_E_NOTATION = re.compile(r"\d[eE]\s*[+-]?\s*(\d+)")
_FUNCTION_RUN = re.compile(r"(?:\\[a-zA-Z]+\s*(?:[_^]\s*(?:\{[^{}]*\}|\S)\s*)?){21,}")


def _check_text(text: str) -> None:
    """The limits that can be seen in the LaTeX itself, checked before the parser sees it."""
    if len(text) > MAX_ANSWER_CHARS:
        raise ParseError(f"the answer is {len(text):,} characters long (the limit is {MAX_ANSWER_CHARS:,} "
                         "per answer)")
    for m in _NUMBER.finditer(text):
        digits = len(m.group(0)) - ("." in m.group(0))
        if digits > MAX_DIGITS:
            raise ParseError(f"a number of {digits:,} digits at column {m.start() + 1} (the limit is "
                             f"{MAX_DIGITS:,} digits, Python's int-to-str limit)")
    for m in _E_NOTATION.finditer(text):
        if len(m.group(1)) > 4 or int(m.group(1)) > MAX_DIGITS:
            raise ParseError(f"a power of ten with exponent {m.group(1)[:12]} at column {m.start() + 1} (the "
                             f"limit is {MAX_DIGITS:,} digits)")
    # a remark's brackets are words, not maths: "0 \text{ (all four } 3\times 3 \text{ kernels are zero)}"
    check_balance(re.sub(r"(\\(?:text[a-z]*|mbox|hbox)\s*\{)([^{}]*)", lambda m: m[1] + " " * len(m[2]),
                         text))
    m = re.search(r"\\(?:d|t)?binom\b|\\choose\b", text)
    if m:
        raise ParseError(f"{m.group(0)} at column {m.start() + 1}: binomial coefficients are not read in answers")
    m = _FUNCTION_RUN.search(text)
    if m:
        raise ParseError(f"more than 20 commands in a row at {_at(text, m.start())} (the limit is 20)")
    for entry in re.split(r"&|\\\\|,", text):
        ops = len(re.findall(r"[-+*/]|\\cdot\b|\\times\b|\\div\b", entry))
        if ops > MAX_TERMS:
            raise ParseError(f"an entry with {ops:,} operators (the limit is {MAX_TERMS:,} per entry)")


# ---------------------------------------------------------------------------------------------- the parser

FLOAT_PRINTOUT = 15    # significant digits from which a decimal is a double printed in full (NumPy's repr)
FLOAT_KEPT = 12        # of which a teacher keeps 12: float64's arithmetic noise sits in the last few


def decimals_written(text: str) -> int | None:
    """The most decimal places written, counting a power of ten after the number (``2.51e-10`` and
    ``2.51 \\times 10^{-10}`` are written to 12 places). A double printed in full (39.599999999999994,
    0.19999999999999998: 15 or more significant digits) is judged to 12 places, as a teacher reads a pasted
    printout, not to the noise in its last places (nor its exponent: -6.938893903907228e-18 is float64's 0)."""
    places = []
    for m in _DECIMAL.finditer(text):
        whole, frac = m.group(1).lstrip("0"), m.group(2)
        shift = int(m.group(3) or m.group(4) or m.group(5) or 0)
        n = len(frac) - shift
        if len((whole + frac).lstrip("0")) >= FLOAT_PRINTOUT:
            lead = len(whole) if whole else -(len(frac) - len(frac.lstrip("0")))   # the first digit's place
            n = min(n, FLOAT_KEPT - lead)      # to 12 places whatever its exponent: noise (-6.9e-18) is 0
        places.append(n)
    return max(places) if places else None


_DECIMAL = re.compile(r"(\d+)\.(\d+)(?:[eE]([+-]?\d+)|\s*\\times\s*10\s*\^\s*(?:\{\s*([+-]?\d+)\s*\}|([0-9])))?")


def _printout(text: str) -> bool:
    """Whether a decimal in ``text`` is a double printed in full (:data:`FLOAT_PRINTOUT` significant digits or
    more): an expression holding one is judged to 12 significant digits like the number alone."""
    return any(len((m.group(1) + m.group(2)).lstrip("0")) >= FLOAT_PRINTOUT
               for m in re.finditer(r"(\d+)\.(\d+)", text))


def warm_up() -> None:
    """Import latex2sympy2 (its import parses a formula to build ANTLR's tables: a second or more on a busy
    machine) before any answer's time budget starts, so that the first answer of a sheet is not charged for
    it."""
    import latex2sympy2  # noqa: F401


def _latex2sympy(src: Src) -> Any:
    """latex2sympy2's parse tree, accepted only when it covers the whole text, converted unevaluated. Its
    complaints name the student's column and text, never the rewritten form it was given."""
    text = src.text
    import latex2sympy2 as l2s
    from antlr4 import CommonTokenStream, InputStream, Token
    from antlr4.error.ErrorListener import ErrorListener

    class Listener(ErrorListener):
        def syntaxError(self, recognizer: Any, symbol: Any, line: int, col: int, msg: str, e: Any) -> None:
            col_at = symbol.start if symbol is not None and getattr(symbol, "start", -1) >= 0 else col
            raise worded("p.unread", where=where(src, col_at), text=_short(src.student()))

    lexer = l2s.PSLexer(InputStream(text))
    lexer.removeErrorListeners()
    lexer.addErrorListener(Listener())
    tokens = CommonTokenStream(lexer)
    parser = l2s.PSParser(tokens)
    parser.removeErrorListeners()
    parser.addErrorListener(Listener())
    try:
        math = parser.math()
        left = tokens.LT(1)
        if left is not None and left.type != Token.EOF:
            # ANTLR's start rule has no EOF: it stops where the grammar can, and would drop the rest.
            raise worded("p.unread_past", where=where(src, left.start), text=_short(src.student()))
        if math.relation_list() is not None:
            raise ParseError("a list of relations is not an answer")
        l2s.VARIABLE_VALUES = {}
        l2s.frac_type = r"\frac"
        with sp.evaluate(False):
            return l2s.convert_relation(math.relation())
    except ParseError:
        raise
    except RecursionError:
        raise ParseError("nested too deeply or too long for latex2sympy2 (Python's recursion limit)") from None
    except Exception as exc:  # latex2sympy2 raises many kinds (ANTLR, SymPy, its own); all mean "unreadable"
        reason = " ".join(str(exc).split())[:120]     # its messages span lines; a verdict is one line
        raise ParseError(f"latex2sympy2 could not read it ({exc.__class__.__name__}: {reason})") from None


# ----------------------------------------------------------------------------------- the bounded evaluator

_FUNCTIONS = (sp.sin, sp.cos, sp.tan, sp.cot, sp.sec, sp.csc, sp.asin, sp.acos, sp.atan, sp.acot, sp.asec,
              sp.acsc, sp.sinh, sp.cosh, sp.tanh, sp.coth, sp.sech, sp.csch, sp.asinh, sp.acosh, sp.atanh,
              sp.exp, sp.log, sp.Abs, sp.floor, sp.ceiling, sp.sign, sp.Max, sp.Min, sp.Mod, sp.factorial, sp.re,
              sp.im)


def _digits(n: int) -> float:
    return math.log10(abs(n)) if n else 0.0


def _check_rational(value: sp.Rational) -> None:
    digits = max(_digits(value.p), _digits(value.q))
    if digits > MAX_DIGITS:
        raise ParseError(f"a number of about {int(digits) + 1:,} digits (the limit is {MAX_DIGITS:,} digits)")


def _magnitude(value: sp.Expr) -> float:
    """|value| as a float (inf when too large for one); value is bounded, so N() is quick."""
    try:
        return abs(complex(sp.N(value, 15)))
    except (TypeError, ValueError, OverflowError):
        return math.inf


def _check_power(base: sp.Expr, exp: sp.Expr) -> None:
    if not (base.is_number and exp.is_number) or base in (sp.S.Zero, sp.S.One, sp.S.NegativeOne):
        return
    size = _magnitude(exp)
    if size > MAX_EXPONENT:
        raise ParseError(f"a power with exponent {sp.sstr(exp)[:40]} (the limit is {MAX_EXPONENT:,})")
    if isinstance(base, sp.Rational):
        # b^(p/q) is computed as (b^p)^(1/q): p and every digit of b's numerator and denominator count.
        size = abs(exp.p) if isinstance(exp, sp.Rational) else size
        digits = size * max(_digits(base.p), _digits(base.q), 1.0)
    else:
        b = _magnitude(base)
        digits = size * (abs(math.log10(b)) if 0 < b < math.inf else math.inf)
    if digits > MAX_DIGITS:
        raise ParseError(f"{sp.sstr(base)[:30]}^{sp.sstr(exp)[:30]} has about {digits:.3g} digits (the limit "
                         f"is {MAX_DIGITS:,} digits)")


def _finite(expr: sp.Expr, depth: int) -> sp.Expr:
    """A \\sum or \\prod with whole-number bounds and at most :data:`MAX_SUM_TERMS` terms, term by term."""
    body, *limits = expr.args
    if len(limits) != 1:
        raise ParseError("only single sums and products are read")
    var, lo, hi = limits[0]
    lo, hi = _value(lo, depth + 1), _value(hi, depth + 1)
    if not (isinstance(lo, sp.Integer) and isinstance(hi, sp.Integer)):
        raise ParseError(f"a sum or product from {lo} to {hi}: only whole-number bounds are read")
    n = int(hi) - int(lo) + 1
    if n > MAX_SUM_TERMS:
        raise ParseError(f"a sum or product of {n:,} terms (the limit is {MAX_SUM_TERMS:,})")
    terms = []
    for k in range(int(lo), int(hi) + 1):
        with sp.evaluate(False):
            term = body.xreplace({var: sp.Integer(k)})
        terms.append(_value(term, depth + 1))
    return _value(sp.Add(*terms, evaluate=False) if isinstance(expr, sp.Sum)
                  else sp.Mul(*terms, evaluate=False), depth)


def _value(expr: Any, depth: int = 0) -> Any:
    """The value of latex2sympy2's unevaluated tree, evaluated bottom-up with every size checked before the
    step that could exceed it (a tower, a factorial, a long sum are refused, never started)."""
    if depth > MAX_NESTING:
        raise ParseError(f"nested more than {MAX_NESTING} levels deep")
    if isinstance(expr, sp.MatrixBase):
        return sp.ImmutableMatrix(expr.rows, expr.cols, [_value(e, depth + 1) for e in expr])
    if isinstance(expr, (list, tuple)):
        raise ParseError("a list or set is not an answer")
    if not isinstance(expr, sp.Basic):
        raise ParseError(f"not a number ({type(expr).__name__})")
    if expr.is_Atom:
        if isinstance(expr, sp.Rational):
            _check_rational(expr)
        return expr
    if isinstance(expr, (sp.Sum, sp.Product)):
        return _finite(expr, depth)
    if isinstance(expr, (sp.Integral, sp.Derivative, sp.Limit)):
        raise ParseError(f"{type(expr).__name__.lower()}s are not evaluated in answers")
    if isinstance(expr, sp.core.function.AppliedUndef):
        raise ParseError(f"{sp.sstr(expr)[:40]} is an unknown function")
    if isinstance(expr, sp.Function) and not isinstance(expr, _FUNCTIONS):
        raise ParseError(f"{expr.func.__name__} is not evaluated in answers")
    if isinstance(expr, sp.MatPow) or (isinstance(expr, sp.Pow) and isinstance(expr.base, sp.MatrixBase)):
        raise ParseError("powers of matrices are not read in answers")
    if not isinstance(expr, (sp.Expr, sp.MatrixExpr)):
        raise ParseError(f"not a number: {sp.sstr(expr)[:60]} ({type(expr).__name__})")
    args = [_value(a, depth + 1) for a in expr.args]
    if isinstance(expr, sp.Function) and any(isinstance(a, sp.MatrixBase) for a in args):
        raise ParseError(f"{expr.func.__name__} of a matrix is not read in answers (write the entries)")
    if isinstance(expr, sp.factorial):
        n = args[0]
        if not (isinstance(n, sp.Integer) and 0 <= n <= MAX_FACTORIAL):
            raise ParseError(f"factorial of {sp.sstr(n)[:40]} (only of whole numbers up to {MAX_FACTORIAL:,})")
    elif isinstance(expr, sp.Pow):
        _check_power(*args)
    elif isinstance(expr, sp.exp):
        _check_power(sp.E, args[0])
    elif isinstance(expr, sp.Mul):
        digits = sum(max(_digits(a.p), _digits(a.q)) for a in args if isinstance(a, sp.Rational))
        if digits > 2 * MAX_DIGITS:
            raise ParseError(f"a product of about {int(digits):,} digits (the limit is {MAX_DIGITS:,})")
    try:
        result = expr.func(*args)
        if isinstance(result, sp.MatrixExpr):
            result = result.doit()          # the entries are already evaluated and bounded
    except (ValueError, TypeError, ArithmeticError, sp.ShapeError, sp.NonSquareMatrixError) as exc:
        raise ParseError(f"cannot evaluate {sp.sstr(expr)[:60]} ({exc.__class__.__name__}: "
                         f"{' '.join(str(exc).split())[:80]})") from None
    if isinstance(result, sp.Rational):
        _check_rational(result)
    return result


def _clean(value: Any) -> Any:
    value = as_expr(value)
    if not isinstance(value, sp.Expr):
        raise ParseError(f"not a number: {sp.sstr(value)[:60]}")
    if value.has(sp.zoo, sp.oo, -sp.oo, sp.nan):
        raise ParseError(f"not a finite number: {sp.sstr(value)[:60]} (a division by zero or an infinity)")
    if isinstance(value, sp.Rational):
        return value
    try:
        return sp.simplify(value)
    except Exception as exc:  # SymPy raises many kinds on odd trees (a matrix inside an expression): unreadable
        raise ParseError(f"cannot evaluate {sp.sstr(value)[:60]} ({exc.__class__.__name__})") from None


def _to_array(value: Any) -> Any:
    value = _value(value)
    if isinstance(value, sp.MatrixExpr) and not isinstance(value, sp.MatrixBase):
        try:                    # a product latex2sympy2 left symbolic (e^{2} times a matrix)
            value = value.as_explicit()
        except Exception:  # noqa: BLE001 - any failure means the product cannot be read
            raise ParseError(f"a product with a matrix that is not read: {sp.sstr(value)[:60]} (write the "
                             "entries)") from None
    if isinstance(value, sp.MatrixBase):
        arr = np.array(value.tolist(), dtype=object)
        arr = np.vectorize(_clean, otypes=[object])(arr) if arr.size else arr
        return arr.reshape(-1) if 1 in arr.shape else arr
    if isinstance(value, sp.Basic) and value.free_symbols:
        raise ParseError(f"the answer still has unknowns: {', '.join(sorted(map(str, value.free_symbols)))}")
    return _clean(value)


_ZEROS = re.compile(r"\s*(?:\\(?:mathbf|boldsymbol|bm|vec|mathbb)\s*\{\s*([01O])\s*\}|\\(?:mathbf|vec)\s+([01])|"
                    r"(0|O(?=\s*_)))\s*"
                    r"(?:_\s*\{\s*(\d+(?:\s*(?:\\times|\\cdot|\*|x|×)\s*\d+)*)\s*\}|_\s*(\d))?\s*")
MAX_ENTRIES = 100_000           # entries of a stated zero tensor such as 0_{2\times4\times4}


def _constant(m: re.Match[str]) -> Any:
    r"""``\mathbf{0}``, ``0``, ``\mathbf{1}`` (a constant the grader broadcasts to the part's shape) or
    ``0_{2\times4\times4}``, ``\mathbf{0}_{4\times 4}`` (zeros of that shape)."""
    digit = next(g for g in m.groups()[:3] if g)
    one = sp.Integer(1 if digit == "1" else 0)
    dims = m.group(4) or m.group(5)
    if not dims:
        return one
    shape = tuple(int(d) for d in re.findall(r"\d+", dims))
    if math.prod(shape) > MAX_ENTRIES:
        raise ParseError(f"a constant tensor of {math.prod(shape):,} entries (the limit is {MAX_ENTRIES:,})")
    return np.full(shape, one, dtype=object)


class NoAnswer(ParseError):
    """A labelled answer with nothing in it, or only a question mark: no answer, so wrong (not unreadable)."""


class FalseChain(ParseError):
    """A chain ``a = b ≈ c`` whose sides differ: some side is false, so the answer is wrong whatever the
    expected value. ``reason`` is the worded reason (key, values) for the verdict."""


def _check_operatornames(src: Src) -> None:
    r"""Only elementary functions under ``\operatorname``, in what is parsed (``\operatorname{softmax}(fc_1)``
    in working that is never parsed is fine)."""
    for m in re.finditer(r"\\operatorname\s*\{\s*([^{}]*?)\s*\}", src.text):
        if m.group(1) not in _SAFE_OPERATORNAMES:
            raise ParseError(rf"\operatorname{{{m.group(1)}}} at column {src.col(m.start()) + 1} is not read in "
                             f"answers (known: {', '.join(sorted(_SAFE_OPERATORNAMES))})")


def _entry(src: Src) -> Any:
    """One entry of a list (or a whole side): a constant, or what latex2sympy2 reads, evaluated."""
    constant = _ZEROS.fullmatch(src.text)
    if constant:
        return _constant(constant)
    constant = en.dotted_matrix(src) or en.dotted_matrix(en.inline_lists(src))    # [0.1 \quad \dots \quad 0.1]
    if constant is not None:
        return _entry(constant)
    _check_operatornames(src)
    src = en.distribute(en.spaces(en.inline_lists(en.constants(src)))).strip()
    if not src.text:
        raise worded("p.empty_value", where=where(src, 0))
    en.check_juxtaposed(src)
    return _to_array(_latex2sympy(src))


def _stack(values: list[Any], what: str) -> Any:
    shapes = [np.shape(v) for v in values]
    if len(set(shapes)) != 1:
        raise worded(f"p.shapes_{what}", shapes=", ".join(str(list(s)) for s in shapes))
    out = np.empty((len(values),) + shapes[0], dtype=object)
    for k, v in enumerate(values):
        out[k] = v
    return out


def _stack_printed(printed: Any) -> Any:
    """Nested lists of fractions as an object array of SymPy rationals; lists of unequal lengths refused."""
    if not isinstance(printed, list):
        return sp.Rational(printed.numerator, printed.denominator)
    return _stack([_stack_printed(p) for p in printed], "entries") if printed else np.empty(0, dtype=object)


def _side(side: nt.Side) -> tuple[Answer, int]:
    """A side's value; a list (``(0, 0, -5, 0, 0)^T``, channels ``A, B``) stacked along a new first axis.
    With how exact it claims to be (0 best): 0 an exact side, 1 an expression whose decimals are exact
    numbers (``-\\ln(0.2)``, ``0.1 \\cdot 396``), 2 numbers as written with decimals (rounded: judged within
    half a unit of the last place written), 3 a side after ``\\approx`` (judged within its written precision,
    whole numbers at least)."""
    printed = en.nested_list(side.src)
    if printed is not None:              # NumPy's printout: numbers as written (rounded when decimals)
        value = _stack_printed(printed)
    else:
        entries = en.items(side.src)
        constant = en.repeated(entries) if len(entries) > 1 else None
        values = [_entry(constant)] if constant is not None else [_entry(e) for e in entries]
        value = values[0] if len(values) == 1 else _stack(values, "entries")
    decimals = decimals_written(side.src.text)
    if side.approx:
        rank, decimals = 3, decimals or 0
    elif decimals is None:
        rank = 0
    elif printed is not None or en.is_literal(side.src.text) or _printout(side.src.text):
        rank = 2          # a double printed in full inside an expression (39.599999999999994 \cdot \mathbf{1}_5) too
    else:
        rank, decimals = 1, None
    return Answer(value, side.src.student().strip(), decimals), rank


MIN_SIGNIFICANT = 2     # significant digits a rounded value must carry to be accepted within its rounding


def coarse(value: Any, tol: float | None) -> bool:
    """Whether ``value``, written to the places whose half unit is ``tol``, carries fewer than
    :data:`MIN_SIGNIFICANT` significant digits (``L \\approx 2`` for ln 5, 0.04 for 0.0375): such a value is
    accepted only when it is exact, never within its rounding (half a unit of 2 is a quarter of the answer).
    A value below its last written place (0.00, a double's noise printed as -6.9e-18) has no leading digit there
    and is left to the rounding rule alone."""
    if tol is None or not isinstance(value, sp.Rational) or abs(value) < 2 * tol:
        return False       # 0, or a double's noise (-6.9e-18): no leading digit at the places written
    places = round(-math.log10(2 * tol))
    return math.floor(math.log10(abs(float(value)))) + 1 + places < MIN_SIGNIFICANT


def _free(value: Any) -> None:
    for v in np.asarray(value, dtype=object).reshape(-1):
        if isinstance(v, sp.Basic) and v.free_symbols:
            raise ParseError(f"the answer still has unknowns: {', '.join(sorted(map(str, v.free_symbols)))}")


def _agree(a: Answer, b: Answer) -> bool:
    """Whether two sides of a chain state the same value, within the coarser one's written precision (1.61 is
    1.6094 to two places; 0.3 is not 0.2, though a number near 0.25 might be written either way)."""
    try:     # a scalar side stands for every entry (p_i = 1/5 = (0.2, ..., 0.2))
        pairs = np.broadcast_arrays(np.asarray(a.value, dtype=object), np.asarray(b.value, dtype=object))
    except ValueError:
        return False
    tols = [0.5 * 10 ** -d for d in (a.decimals, b.decimals) if d is not None]
    tol = max(tols, default=0)
    for x, y in zip(pairs[0].reshape(-1), pairs[1].reshape(-1)):
        x, y = as_expr(x), as_expr(y)
        if isinstance(x, sp.Rational) and isinstance(y, sp.Rational) and x == y:
            continue
        if not tol and sp.simplify(x - y) == 0:
            continue
        diff = sp.N(x - y, 30)
        if not (diff.is_real and tol and abs(float(diff)) <= tol * (1 + 1e-9)):
            return False
        written = [(v, 0.5 * 10 ** -d) for v, d in ((x, a.decimals), (y, b.decimals)) if d is not None]
        if any(coarse(v, t) for v, t in written if t >= tol):       # the coarser side: 2 digits at least
            return False
    return True


_SYMBOL = re.compile(r"(?<![\\A-Za-z])[A-Za-z]")      # a letter that is not part of a command's name


def _unknowns(value: Any) -> bool:
    return any(isinstance(v, sp.Basic) and bool(v.free_symbols)
               for v in np.asarray(value, dtype=object).reshape(-1))


def _statement(st: nt.Statement) -> Answer | None:
    """A chain's value: its last exact side (else its most precise decimal one), after every other side
    was found to state the same value. None when no side states a value (the statement is working). Two
    sides written by different statements of it (a name given twice, an "or") that differ are a hedge."""
    sides, unread, steps = [], None, []
    read: dict[tuple[str, bool], tuple[Answer, int]] = {}     # a value stated again is read once
    claims = st.claims()
    for k, claim in enumerate(claims):
        try:
            said = (claim.src.text, claim.approx)
            if said not in read:
                read[said] = _side(claim)
            sides.append((*read[said], claim.writer))
        except FalseChain:
            raise
        except ParseError as exc:        # a side in symbols (-5 e_3, \tfrac15 \mathbf{1}_5 - e_3) is working
            if not _SYMBOL.search(claim.src.text):
                if not any(later.writer == claim.writer for later in claims[k + 1:]):
                    raise                  # its statement's last side (L = 7 + \quad L = \ln 5): no value read
                steps.append(claim)        # a middle step not read: the chain keeps its final value, noted
                continue
            unread = unread or exc
    sides += _cancelled(st)
    numeric = [side for side in sides if not _unknowns(side[0].value)]
    if numeric:
        sides = numeric          # beside a side that states the numbers, one with unknowns is working too
    elif unread is not None:
        raise unread
    if not sides:
        return None
    best = min(rank for _, rank, _ in sides)
    main, writer = [(a, o) for a, rank, o in sides if rank == best][-1]
    if best >= 2:       # no exact side: the most precise one written
        main, writer = max(((a, o) for a, _, o in sides), key=lambda ao: ao[0].decimals or 0)
    # a hedge first: sides of two statements that differ, whatever a chain's own sides say
    for other, _, o in sorted(sides, key=lambda side: side[2] == writer):
        if other is not main and not _agree(other, main):
            if o == writer:
                raise _false_chain(other, main)
            raise _hedge(*((other, main) if o < writer else (main, other)))     # in the order written
    shaped = [a for a, _, _ in sides if np.ndim(a.value)]
    if not np.ndim(main.value) and shaped:      # p_i = 1/5 = (0.2, ..., 0.2): the scalar for every entry
        main = Answer(np.full(np.shape(shaped[-1].value), main.value, dtype=object), main.text, main.decimals)
    if steps:
        main = dataclasses.replace(main, unread=_short(" ".join(steps[0].src.student().split())))
    return main


def _cancelled(st: nt.Statement) -> list[tuple[Answer, int, int]]:
    r"""The sides with letters that still state a number, the letters cancelling (``\ln 4 \cdot \frac{x}{x}``):
    such a side is no working (nothing in it is unknown), so it must state the chain's value like any other.
    A side that does not read, or keeps an unknown (``W \cdot relu1``, ``p - y``), is working as before."""
    found = []
    writer = st.writer or (0,) * len(st.sides)
    for k, (src, approx, o) in enumerate(zip(st.sides, st.approx, writer)):
        if (k == 0 and st.name is not None) or not src.text.strip() or not nt.has_letters(src.text):
            continue
        try:
            answer, rank = _side(nt.Side(src, approx, o))
        except ParseError:
            continue
        if not _unknowns(answer.value):
            found.append((answer, rank, o))
    return found


def _false_chain(other: Answer, main: Answer) -> FalseChain:
    reason = ("g.chain", {"a": other.text, "b": main.text})
    return FalseChain(render(reason), reason)


def _hedge(first: Answer, second: Answer) -> FalseChain:
    r"""Two statements of one part with two values (``L = \ln 5 \quad L = 3``): wrong, even if one is right."""
    reason = ("g.two_values", {"a": first.text, "b": second.text})
    return FalseChain(render(reason), reason)


def _per_channel(found: list[tuple[nt.Statement, Answer]]) -> bool:
    """Whether several statements are one per channel: values of one shape, named by channel
    (``conv1^{(1)}``, ``conv1^{(2)}``) or not named at all. Otherwise the last one is the answer and those
    before it working (``\\text{conv1}_1(1,1) = ... = -22`` before ``\\text{conv1} = A, B``)."""
    if len(found) < 2 or len({np.shape(a.value) for _, a in found}) != 1:
        return False
    names = [st.name for st, _ in found]
    return all(n is None for n in names) or nt.channel_keys(names) is not None


def _channels(found: list[tuple[nt.Statement, Answer]]) -> Answer:
    """Statements per channel (``conv1^{(1)} = A, conv1^{(2)} = B``, or one line each) as one tensor, in the
    order of the numbers their names differ in (a grid for two: ``h^{(1,2)}``), else in the order written."""
    keys = nt.channel_keys([st.name for st, _ in found])
    answers = [a for _, a in found]
    shape: tuple[int, ...] = (len(answers),)
    if keys is not None:
        if len(set(keys)) != len(keys):
            dup = next(k for k in keys if keys.count(k) > 1)
            raise worded("p.channel_twice", channel=", ".join(map(str, dup)),
                         names="; ".join(st.name or "" for st, _ in found))
        axes = [sorted({k[j] for k in keys}) for j in range(len(keys[0]))]
        if math.prod(len(a) for a in axes) == len(keys):
            shape = tuple(len(a) for a in axes)
        answers = [answers[i] for i in sorted(range(len(keys)), key=lambda i: keys[i])]
    value = _stack([a.value for a in answers], "channels")
    value = value.reshape(shape + value.shape[1:])
    places = [a.decimals for a in answers if a.decimals is not None]
    return Answer(value, "; ".join(a.text for a in answers), max(places) if places else None,
                  unread=next((a.unread for a in answers if a.unread), ""))


def _after_last_equals(latex: str) -> str:
    """What follows the last ``=`` of an answer, its label and ``$`` dropped (all of it without one)."""
    text = re.sub(r"\\(?:label|tag)\s*\{[^{}]*\}|\$", " ", latex)
    return text.rsplit("=", 1)[-1]


_REFERENCE = re.compile(r"同上|同前|见上|如上|same as (?:above|before)|see above|as above|ditto", re.I)


def parse_answer(latex: str, part: str | None = None) -> Answer:
    r"""The value of an answer written in LaTeX (see :func:`_parse_answer`); ``part``, when known, is the
    part it answers (its name and aliases are never an index range, and its own statement is the answer).
    An answer that only refers to another (同上, "same as above") without a value the reader finds is no
    answer: :class:`NoAnswer`."""
    try:
        return _parse_answer(latex, part)
    except (FalseChain, NoAnswer):
        raise
    except ParseError:
        if _REFERENCE.search(latex):
            raise NoAnswer("refers to another answer (same as above) without writing its value",
                           ("p.reference", {})) from None
        raise


_TEXT_OPENS = re.compile(r"\\text\s*\{([^{}()]*)\(([^{}()]*)\}")


def _remark_across_text(latex: str) -> str:
    r"""A remark opened inside ``\text`` and closed outside it (``\mathbf{0} \text{ (since } \pd{L}{conv1} =
    0)``) with its parenthesis moved out of the text, only when that is what makes the answer balance (a
    parenthesis closed in a later ``\text``, ``\text{ (all four } 3\times 3 \text{ kernels)}``, stays)."""
    fixed = _TEXT_OPENS.sub(r"\\text{\1}(\\text{\2}", latex)
    if fixed == latex:
        return latex
    try:
        check_balance(latex)
        return latex
    except ParseError:
        try:
            check_balance(fixed)
        except ParseError:
            return latex
        return fixed


def _parse_answer(latex: str, part: str | None = None) -> Answer:
    r"""The value of an answer written in LaTeX. Every character is read or the answer is refused with
    :class:`ParseError` naming the student's column; every limit above is checked first.

    The answer is read as statements (:mod:`.notation`): in a chain ``L = -\ln\frac15 = \ln 5 \approx 1.609``
    every side that states a number must state the same one (a side after ``\approx`` within its written
    precision), else :class:`FalseChain`; the value is the last exact side. Sides with letters are names or
    working (``fc1 = W \cdot relu1 = 39.6``). Several statements are channels, combined into one tensor.

    >>> parse_answer(r"L = -\ln\frac{1}{5} = \ln 5 \approx 1.609").value
    log(5)
    >>> parse_answer(r"a^{(2)} = 7, \qquad a^{(1)} = \tfrac{1}{2} \quad (c = 1, 2)").value.tolist()
    [1/2, 7]
    """
    latex = _remark_across_text(latex)
    with time_budget():
        if not latex.strip() or re.fullmatch(r"[\s?？]*", _after_last_equals(latex)):
            raise NoAnswer("no answer written (empty, or only '?')", ("p.no_answer", {}))
        _check_text(latex)
        found = nt.statements(en.normalise(Src.of(latex)), part)
        if not found:
            raise worded("p.no_maths")
        read = [(st, _statement(st)) for st in found]
        valued = [(st, a) for st, a in read if a is not None]
        if not valued:
            # no side states a number: read the last one for the parser's own reason (unknowns, say)
            last = found[-1].sides[-1]
            if not last.text:
                raise ParseError("nothing after the last '='")
            _free(_side(nt.Side(last, False))[0].value)
            raise worded("p.no_value", text=_short(last.student()))
        # the statements of the last one's shape at the end (conv1^{(1)}(1,1) = -22 before two channels is working)
        start = len(valued)
        while start and np.shape(valued[start - 1][1].value) == np.shape(valued[-1][1].value):
            start -= 1
        run = valued[start:]
        answer = _channels(run) if _per_channel(run) else valued[-1][1]
        answer = _own(valued, run, answer, nt.part_keys(part))
        _free(answer.value)
        return _indexed(valued, run, answer, nt.part_keys(part))


def _indexed(valued: list[tuple[nt.Statement, Answer]], run: list[tuple[nt.Statement, Answer]], answer: Answer,
             own: frozenset[str]) -> Answer:
    r"""The answer with what its statements of one channel or entry say (``\mathrm{fc1}_1 = 40`` beside
    ``\mathrm{fc1} = …``; ``h^{(1,1)} = 0`` alone): the grader, which knows the part's shape, checks them."""
    combined = _per_channel(run) and len(run) > 1
    covers, stated = None, []
    for st, a in valued:
        idx = nt.indexed(st.name, own)
        if idx is None or (combined and any(st is r for r, _ in run)):
            continue
        if a is answer:
            if all(i.isdigit() for i in idx):
                covers = idx
            continue
        if not _unknowns(a.value):
            stated.append((idx, st.name or "", a))
    if covers is None and not stated:
        return answer
    return dataclasses.replace(answer, covers=covers, stated=tuple(stated))


def _own(valued: list[tuple[nt.Statement, Answer]], run: list[tuple[nt.Statement, Answer]], answer: Answer,
         own: frozenset[str]) -> Answer:
    """The part's own statement (``p = …``, one chain however often it is given) is its answer, not a later
    statement of another name (``p_i = 0.2``, ``q = …``: working); channels after it (``conv1^{(1)} = A``)
    are a second statement of the part, so they must state its value."""
    mine = next(((st, a) for st, a in valued if st.name is not None and nt.name_key(st.name) in own), None)
    if mine is None or mine[0] is valued[-1][0]:
        return answer
    if _per_channel(run):
        if any(st is mine[0] for st, _ in run):
            return answer
        if not _agree(answer, mine[1]):
            raise _hedge(mine[1], answer)
    return mine[1]


# ------------------------------------------------------------------------------------------- answer files

_BLOCKS = re.compile(r"\\begin\{(equation\*?|align\*?|gather\*?|multline\*?|flalign\*?|eqnarray\*?)\}(.*?)"
                     r"\\end\{\1\}|\$\$(.*?)\$\$|(?<!\\)\\\[(.*?)\\\]", re.S)
_LABEL = re.compile(r"\\label\{ans:([A-Za-z0-9_]+)\}")
_HIDDEN = re.compile(r"\\iffalse(?![a-zA-Z]).*?\\fi(?![a-zA-Z])|\\begin\s*\{comment\}.*?\\end\s*\{comment\}", re.S)


def read_tex_answers(text: str) -> dict[str, str]:
    r"""PART -> LaTeX of every equation-like block labelled ``ans:PART`` (``equation``, ``align``, ``gather``,
    ``multline``, ``flalign``, ``eqnarray``, ``$$``, ``\[``). A block with several labels (an align answering
    one part per line) is split by line (:func:`.notation.split_labels`); an unlabelled block right after a
    labelled one, naming its next channel (``conv1^{(2)} = B`` after ``conv1^{(1)} = A``), is part of that
    answer. Nothing is followed or run. A label used twice is an :class:`InputError` naming it (never silently
    the last one)."""
    text = re.sub(r"(?<!\\)%.*", "", text)   # comments
    text = _HIDDEN.sub(" ", text)             # \iffalse … \fi, \begin{comment}: not on the compiled sheet
    defs = macros.definitions(text)           # the sheet's \newcommand's, written out in its answers
    found: dict[str, str] = {}
    last: str | None = None        # the label of the block before
    before: list[str] = []         # the unlabelled blocks since the last labelled one (not read with it)
    blocks = list(_BLOCKS.finditer(text))
    for k, m in enumerate(blocks):
        body = macros.expand(next(g for g in m.groups()[1:] if g is not None), defs)
        labels = _LABEL.findall(body)
        if not labels:
            shape = nt.channel_name(body)
            channel = shape is not None and last is not None and shape == nt.channel_name(found[last])
            name = nt.first_name(body, last) if last is not None else None
            again = name is not None and name == nt.first_name(found[last], last)     # L = 3 after L = \ln 5
            if (channel or again) and " ".join(body.split()) not in " ".join(found[last].split()):
                found[last] += " \\\\\n" + body      # conv1^{(2)} = B after \label{ans:conv1} conv1^{(1)} = A
            else:
                last = None
                before.append(body)
            continue
        last = labels[-1]
        for label in labels:
            if label in found or labels.count(label) > 1:
                raise InputError(f"\\label{{ans:{label}}} is used twice; label each part once")
        if len(labels) == 1:
            found[labels[0]] = _stated_before(before, body, labels[0])
            if labels[0].endswith("_formula"):
                prose = text[blocks[k - 1].end() if k else 0:m.start()] + " " + \
                    text[m.end():blocks[k + 1].start() if k + 1 < len(blocks) else len(text)]
                found[labels[0]] += _index_ranges(macros.expand(prose, defs), found[labels[0]])
        elif labels:
            found.update(nt.split_labels(body))
        before = []
    formulas = [k for k in found if k.endswith("_formula")]
    for label in formulas:          # a kernel's numbering stated by a sum in the sheet's other formula
        others = " ".join(found[k] for k in formulas if k != label)
        found[label] += _index_ranges(others, found[label], sums=True)
    return found


# a sum over a few numbered positions in another formula of the sheet: \sum_{a=1}^{3}, \sum_{m=0}^{2}
_NUMBERED_SUM = re.compile(r"\\sum\s*(?:\\limits\s*)?_\s*\{\s*([a-z])\s*=\s*(-?\d+)\s*\}\s*\^\s*\{?\s*(-?\d+)\s*\}?")


# an index range stated in the sheet's prose around a formula: $u,v \in \{-1,0,1\}$, \(m, n \in \{0, 1, 2\}\)
_RANGE = re.compile(r"(?<!\\)\$([a-z](?:\s*,\s*[a-z])*\s*\\in\s*\\\{\s*-?\d+(?:\s*,\s*-?\d+)*\s*\\\})\$|"
                    r"\\\(([a-z](?:\s*,\s*[a-z])*\s*\\in\s*\\\{\s*-?\d+(?:\s*,\s*-?\d+)*\s*\\\})\\\)")


def _index_ranges(prose: str, body: str, sums: bool = False) -> str:
    r"""The index ranges a formula answer's surrounding prose states (``模板位置用 $u,v\in\{-1,0,1\}$`` in
    the sentence before it), or, with ``sums``, the numbered sums of the sheet's other formula
    (``\sum_{a=1}^{3}``: the same letter a is 1-based here too), as conditions after the formula
    (`` \quad u,v \in \{-1,0,1\}``), so that a formula is read on the numbering its writer declared; none
    already written or summed in the answer."""
    from ..proof.index_reader import looks_like_index_sum
    if not looks_like_index_sum(body):
        return ""
    said = " ".join(body.split())
    found = [next(g for g in m.groups() if g) for m in _RANGE.finditer(prose)] if not sums else [
        f"{m[1]} \\in \\{{{','.join(map(str, range(int(m[2]), int(m[3]) + 1)))}\\}}"
        for m in _NUMBERED_SUM.finditer(prose) if 0 < int(m[3]) - int(m[2]) <= 6
        and not re.search(r"\\sum\s*(?:\\limits\s*)?_\s*\{\s*" + m[1] + r"\s*=", body)]
    used = set(re.findall(r"(?<![A-Za-z\\])[a-z](?![A-Za-z])", body))     # the single-letter names it uses
    return "".join(f", \\quad {c}" for c in dict.fromkeys(found) if " ".join(c.split()) not in said
                   and set(re.findall(r"[a-z]", c.split("\\in")[0])) <= used)


def _stated_before(before: list[str], body: str, label: str) -> str:
    r"""An answer's block with the unlabelled blocks just before it that state the part itself again
    (``\[ \frac{\partial L}{\partial fc1} = A \]`` right before the labelled one): the sheet shows both, so
    both are read (two values are a hedge; the same value twice is one answer)."""
    mine = nt.first_name(body, label)
    said = [b for b in before if mine is not None and nt.first_name(b, label) == mine
            and " ".join(b.split()) not in " ".join(body.split())]
    return " \\\\\n".join(said + [body])


# a multi-line string's text ('''…''', """…"""): a line in it that looks like a key is part of the value
_MULTILINE = re.compile(r"'''[\s\S]*?'''(?!')|\"\"\"(?:[^\\]|\\[\s\S])*?\"\"\"(?!\")")
_TOML_KEY = re.compile(r"""^[ \t]*(?:"((?:[^"\\\n]|\\.)*)"|'([^'\n]*)'|([A-Za-z0-9_-]+))[ \t]*=""", re.M)


def _read_limited(path: Any) -> str:
    """The file's text, refused before reading when it is not a regular file or larger than
    :data:`MAX_FILE_BYTES` (read with a bound, so /dev/zero and growing files stop too)."""
    import stat

    try:
        info = path.stat()
        if stat.S_ISDIR(info.st_mode):
            raise InputError(f"{path}: is a folder, not a file")
        if not stat.S_ISREG(info.st_mode):
            raise InputError(f"{path}: not a regular file")
        if info.st_size > MAX_FILE_BYTES:
            raise InputError(f"{path}: {info.st_size:,} bytes (the limit is {MAX_FILE_BYTES:,} bytes per answer "
                             "file)")
        with path.open("rb") as f:
            data = f.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a folder, not a file") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.__class__.__name__})") from None
    if len(data) > MAX_FILE_BYTES:
        raise InputError(f"{path}: more than {MAX_FILE_BYTES:,} bytes (the limit per answer file)")
    try:
        return data.decode("utf-8-sig")   # -sig: a byte-order mark (Windows Notepad) is dropped
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not UTF-8 text (byte {exc.start}); save it as UTF-8") from None


def read_answers(path: Any) -> dict[str, str]:
    """Answers from a .tex or .toml file; :class:`InputError` when the file itself is unusable."""
    from pathlib import Path

    path = Path(path)
    if path.suffix not in (".tex", ".toml"):
        raise InputError(f"{path}: answers must be a .tex or .toml file")
    text = _read_limited(path)
    if path.suffix == ".tex":
        try:
            answers = read_tex_answers(text)
        except InputError as exc:
            raise InputError(f"{path.name}: {exc}") from None
    else:
        keys: list[str] = []
        top = _MULTILINE.sub(lambda m: " " * len(m[0]), text)   # "L = …" on a value's second line is no key
        for m in _TOML_KEY.finditer(top.split("\n[", 1)[0]):     # the top-level keys, before any [table]
            key = next(g for g in m.groups() if g is not None)
            if key in keys:
                raise InputError(f"{path.name}: {key!r} is given twice; answer each part once")
            keys.append(key)
        data = toml_sheet(text, path.name)     # a value over a limit: that answer refused, not the sheet
        bad = [k for k, v in data.items() if not isinstance(v, str)]
        if bad:
            raise InputError(f"{path.name}: {bad[0]}: expected a LaTeX string")
        answers = dict(data)
    if not answers:
        raise InputError(f"{path}: no labelled answers (label each with \\label{{ans:PART}})")
    return answers
