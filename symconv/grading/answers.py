r"""Reading answers written in LaTeX, the way a deep-learning reader means them.

All parsing goes through :func:`parse_answer`, the one place that calls latex2sympy2 (so the parser can be
replaced here alone). Before it, the text is normalised for the notations homework answers use:

- the answer is the right-hand side of the last top-level ``=``;
- ``\log`` is the natural logarithm (latex2sympy2 reads it as base 10);
- ``[a \quad b \quad c]`` (or ``\;``, ``\ ``, ``\,`` separated) is a row vector, not a product;
- matrices separated by top-level commas are the channels of one tensor.

>>> parse_answer(r"L = -\log(0.2)").value
log(5)
>>> parse_answer(r"p = [0.2 \quad 0.2]^T").value.tolist()
[1/5, 1/5]
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import sympy as sp

from ..errors import InputError
from ..derivation.exprs import as_expr


class ParseError(ValueError):
    """An answer the parser could not read: the reason and the offending text."""


@dataclass(frozen=True)
class Answer:
    value: Any            # a SymPy scalar or an object ndarray
    text: str             # the final right-hand side that was parsed
    decimals: int | None  # the most decimal places written, when the answer was given as decimals


_ENV = re.compile(r"\\(begin|end)\{[^}]*\}")


def _top_level_split(text: str, sep: str) -> list[str]:
    """Split at ``sep`` outside braces, brackets, parentheses and environments."""
    parts, depth, env, start, i = [], 0, 0, 0, 0
    while i < len(text):
        m = _ENV.match(text, i)
        if m:
            env += 1 if m.group(1) == "begin" else -1
            i = m.end()
            continue
        ch = text[i]
        if ch == "\\":
            i += 2
            continue
        if ch in "{[(":
            depth += 1
        elif ch in "}])":
            depth -= 1
        elif ch == sep and depth == 0 and env == 0:
            parts.append(text[start:i])
            start = i + 1
        i += 1
    parts.append(text[start:])
    return parts


_SPACES = r"(?:\\quad|\\qquad|\\;|\\,|\\:|\\ |~)"
_VECTOR = re.compile(r"(?:\\left)?\[\s*((?:[^\[\]]|\\left\[|\\right\])*?" + _SPACES + r"(?:[^\[\]])*?)"
                     r"\s*(?:\\right)?\]\s*(\^\s*\{?\s*(?:T|\\top)\s*\}?)?")


def _vectors_to_matrices(text: str) -> str:
    def repl(m: re.Match[str]) -> str:
        items = [t for t in re.split(_SPACES + "+", m.group(1)) if t.strip()]
        body = " & ".join(items)
        return r"\begin{bmatrix} " + body + r" \end{bmatrix}" + (m.group(2) or "")
    return _VECTOR.sub(repl, text)


def _normalise(text: str) -> str:
    text = re.sub(r"\\label\{[^}]*\}|\\tag\*?\{[^}]*\}|\\nonumber|\\notag", "", text)
    text = text.replace("&=", "=").replace("\\\\\n", " ").replace("\\left.", "").replace("\\right.", "")
    text = re.sub(r"\\log\b", r"\\ln", text)
    text = re.sub(r"\\mathrm\{e\}", "e", text)
    text = text.replace(r"\dfrac", r"\frac").replace(r"\tfrac", r"\frac")
    return text.strip().rstrip(".,;").strip()


def _decimals(text: str) -> int | None:
    places = [len(m.group(1)) for m in re.finditer(r"\d\.(\d+)", text)]
    return max(places) if places else None


def _latex2sympy(text: str) -> Any:
    from latex2sympy2 import latex2sympy
    try:
        return latex2sympy(text)
    except Exception as exc:  # latex2sympy2 raises many kinds (ANTLR, SymPy, its own); all mean "unreadable"
        reason = " ".join(str(exc).split())     # its messages span lines; a verdict is one line
        raise ParseError(f"latex2sympy2 could not read it ({exc.__class__.__name__}: {reason})") from None


def _clean(value: Any) -> Any:
    value = as_expr(value)
    # latex2sympy2 leaves log(a, E) unevaluated; a two-argument log is log(a)/log(b).
    value = value.replace(lambda e: isinstance(e, sp.log) and len(e.args) == 2,
                          lambda e: sp.log(e.args[0]) / sp.log(e.args[1]))
    return sp.simplify(value.doit())


def _to_array(value: Any) -> Any:
    if isinstance(value, sp.MatrixBase):
        arr = np.array(value.tolist(), dtype=object)
        arr = np.vectorize(_clean, otypes=[object])(arr)
        return arr.reshape(-1) if 1 in arr.shape else arr
    if isinstance(value, sp.Basic) and value.free_symbols:
        raise ParseError(f"the answer still has unknowns: {', '.join(sorted(map(str, value.free_symbols)))}")
    return _clean(value)


def parse_answer(latex: str) -> Answer:
    """The value of an answer written in LaTeX (its last right-hand side)."""
    if not latex.strip():
        raise ParseError("the answer is empty")
    rhs = _top_level_split(_normalise(latex), "=")[-1].strip()
    if not rhs:
        raise ParseError("nothing after the last '='")
    rhs = _vectors_to_matrices(rhs)
    pieces = [p.strip() for p in _top_level_split(rhs, ",") if p.strip()]
    values = [_to_array(_latex2sympy(p)) for p in pieces]
    if len(values) == 1:
        value = values[0]
    else:
        shapes = {np.shape(v) for v in values}
        if len(shapes) != 1:
            raise ParseError(f"comma-separated parts of different shapes {sorted(shapes)}")
        value = np.array(values, dtype=object)
    for v in np.asarray(value, dtype=object).reshape(-1):
        if isinstance(v, sp.Basic) and v.free_symbols:
            raise ParseError(f"the answer still has unknowns: {', '.join(sorted(map(str, v.free_symbols)))}")
    return Answer(value, rhs, _decimals(rhs))


# ------------------------------------------------------------------------------------------- answer files

_BLOCKS = re.compile(r"\\begin\{(equation\*?|align\*?|gather\*?)\}(.*?)\\end\{\1\}|\$\$(.*?)\$\$", re.S)
_LABEL = re.compile(r"\\label\{ans:([A-Za-z0-9_]+)\}")


def read_tex_answers(text: str) -> dict[str, str]:
    """PART -> LaTeX of every equation-like block labelled ``ans:PART``. Nothing is followed or run."""
    text = re.sub(r"(?<!\\)%.*", "", text)   # comments
    found: dict[str, str] = {}
    for m in _BLOCKS.finditer(text):
        body = m.group(2) if m.group(2) is not None else m.group(3)
        label = _LABEL.search(body)
        if label:
            found[label.group(1)] = body
    return found


def read_answers(path: Any) -> dict[str, str]:
    """Answers from a .tex or .toml file; :class:`InputError` when the file itself is unusable."""
    import tomllib
    from pathlib import Path

    from ..homework.inputs import read_user_file

    path = Path(path)
    if path.suffix not in (".tex", ".toml"):
        raise InputError(f"{path}: answers must be a .tex or .toml file")
    text = read_user_file(path)
    if path.suffix == ".tex":
        answers = read_tex_answers(text)
    else:
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise InputError(f"{path.name}: not valid TOML ({exc})") from None
        bad = [k for k, v in data.items() if not isinstance(v, str)]
        if bad:
            raise InputError(f"{path.name}: {bad[0]}: expected a LaTeX string")
        answers = dict(data)
    if not answers:
        raise InputError(f"{path}: no labelled answers (label each with \\label{{ans:PART}})")
    return answers
