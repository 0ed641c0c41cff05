r"""How a display is set on the page: centred at the text's size, broken where it is too long, never shrunk.

A display is inline math in a centred paragraph (``\displaystyle``), so TeX may break it after a relation or
a binary operator when it is wider than the line; the report (:mod:`symconv.report.doc`) and
:meth:`Derivation.to_latex` both use it, so the two print the same text.

A closed form for every size carries its padding widths as long size expressions; written inside the
subscript of ``pad`` they make the line two lines wide. :func:`named_widths` names them (``q_x``) and gives
one row per axis to print below.

>>> print(display("y = x"))
\begin{center}
$\displaystyle y = x$
\end{center}
"""

from __future__ import annotations

import re
from dataclasses import fields, replace
from typing import Any

import sympy as sp

from . import ops

_LONG = 24      # characters of a pad's width expressions beyond which they are named and listed below


def display(latex: str) -> str:
    return f"\\begin{{center}}\n$\\displaystyle {_between_factors(latex)}$\n\\end{{center}}"


_WIDE = 80      # visible characters of a product beyond which a break between its factors is allowed
_FACTOR_START = re.compile(r" (?=\\(?:hat|bar|tilde|check|overline|delta|mathit)(?![A-Za-z])|[A-Za-z][_^])")
_BIG = (r"\sum", r"\prod")


def _visible(latex: str) -> int:
    """About how many characters wide ``latex`` is set: a command one glyph, braces and scripts' marks none."""
    return len(re.sub(r"[{}_^ ]", "", re.sub(r"\\[A-Za-z]+", "x", latex)))


def _between_factors(latex: str) -> str:
    r"""``latex`` with a line break allowed between two factors of a product (after a factor's subscript,
    before the next tensor or delta) when the product is longer than a line. TeX breaks inline math only
    after a relation or a binary operator: a step's summand at three spatial axes (a tensor whose subscript
    holds three long offsets, times the kernel's) was one unbreakable product wider than the page. A sum's
    limits are not part of its summand's product and are never followed by a break; a short product is left
    as it was (so are the 1-D and 2-D reports).

    >>> out = _between_factors(r"\sum_{a} \hat{g}_{" + "n,o," * 20 + r"a} h^{\top}_{c,o,a} \delta_{a,\,b}")
    >>> out.count(r"\allowbreak"), out.endswith(r"a} \allowbreak h^{\top}_{c,o,a} \allowbreak \delta_{a,\,b}")
    (2, True)
    >>> short = r"\sum_{" + "a," * 60 + r"a} \hat{g}_{a} h_{a} + g_{" + "b," * 30 + "b} h_{b}"
    >>> _between_factors(short) == short      # a sum's limits are not its summand's width
    True
    """
    points: list[tuple[int, int]] = []        # (where a break may go, the product it is in)
    widths = [0]
    i, depth, base = 0, 0, ""
    while i < len(latex):
        ch = latex[i]
        command = re.match(r"\\[A-Za-z]+", latex[i:]) if ch == "\\" else None
        if depth == 0 and command:
            base = command.group()
            if base in _BIG:
                widths.append(0)                # the summand is a new product
            else:
                widths[-1] += 1
            i += len(base)
            continue
        if depth == 0 and ch in "_^" and latex[i + 1:i + 2] == "{":
            end = _group_end(latex, i + 1)
            if base not in _BIG:
                widths[-1] += _visible(latex[i:end])
                if _FACTOR_START.match(latex, end):
                    points.append((end, len(widths) - 1))
            i = end
            continue
        depth += (ch == "{") - (ch == "}")
        if depth == 0 and ch in "=+-<>":
            widths.append(0)                    # TeX may break after a relation or a binary operator
        elif ch not in "{} ":
            widths[-1] += 1
            if depth == 0 and ch.isalpha():
                base = ch
        i += 1
    out, last = [], 0
    for at, product in points:
        if widths[product] > _WIDE:
            out += [latex[last:at], r" \allowbreak"]
            last = at
    return "".join(out) + latex[last:]


def _group_end(latex: str, start: int) -> int:
    """The index just after the brace group that opens at ``start``."""
    depth = 0
    for i in range(start, len(latex)):
        depth += (latex[i] == "{") - (latex[i] == "}")
        if depth == 0:
            return i + 1
    return len(latex)


def aligned(lhs: str, rows: tuple[str, ...], rel: str = "=") -> str:
    """``lhs rel rows[0]``, then every further row below it: a row starting with "=" is a new right-hand
    side (aligned at "="), any other continues the last (indented)."""
    return f"{lhs} &{rel} {rows[0]}" + "".join(
        f" \\\\\n&{row}" if row.startswith("=") else f" \\\\\n&\\quad {row}" for row in rows[1:])


def _widths_text(widths: Any) -> str:
    return "".join(str(v) for pair in widths for v in pair)


def named_widths(form: ops.Expr, name: str) -> tuple[ops.Expr, list[str]]:
    r"""``form`` with every long padding written as the symbol ``name`` and the rows that define it, one per
    spatial axis: ``(low, high)`` in LaTeX.

    >>> from symconv.derivation.spec import ConvSpec
    >>> from symconv.derivation.forms import derive_forms
    >>> general = derive_forms(ConvSpec(1, 1, 3, stride=2)).general.closed["grad_input"]
    >>> short, rows = named_widths(general, "q_x")
    >>> r"\operatorname{pad}_{q_{x}}" in short.to_latex(), len(rows)
    (True, 2)
    """
    found: list[str] = []

    def walk(e: ops.Expr) -> ops.Expr:
        if isinstance(e, ops.Tensor):
            return e
        changes = {f.name: walk(getattr(e, f.name)) for f in fields(e)  # type: ignore[arg-type]
                   if isinstance(getattr(e, f.name), ops.Expr)}
        if isinstance(e, ops.Pad) and len(_widths_text(e.widths)) > _LONG and not found:
            found.extend(rf"\left({ops._latex(lo)},\ {ops._latex(hi)}\right)" for lo, hi in e.widths)
            symbol = sp.Symbol(name)
            changes["widths"] = ((symbol, symbol),)
        return replace(e, **changes)  # type: ignore[type-var]

    return walk(form), found


def _sum_over_positions(form: ops.Expr) -> tuple[str, str] | None:
    r"""(the entry's index, the sum) of a bias gradient, the sum of one tensor over the batch and every
    position, as a reader writes it (``\sum_{n,i_1,i_2} g_{n,o,i_1,i_2}``); None for any other form."""
    if not isinstance(form, ops.SumAxes) or not isinstance(form.arg, ops.Tensor) or 0 not in form.axes \
            or 1 in form.axes or sorted(form.axes) != [0] + list(range(2, max(form.axes) + 1)):
        return None
    spatial = len(form.axes) - 1
    pos = ["i"] if spatial == 1 else [f"i_{{{k + 1}}}" for k in range(spatial)]
    return "o", rf"\sum_{{{','.join(['n'] + pos)}}} {form.arg.to_latex()}_{{{','.join(['n', 'o'] + pos)}}}"


def form_latex(form: ops.Expr) -> str:
    r"""A closed form's LaTeX for a reader: the form's own (which symconv's claim grammar reads back), except
    a bias gradient, written as its sum over the batch and the positions rather than by axis numbers.

    >>> print(form_latex(ops.SumAxes(ops.Tensor("g"), (0, 2, 3))))
    \sum_{n,i_{1},i_{2}} g_{n,o,i_{1},i_{2}}
    """
    summed = _sum_over_positions(form)
    return form.to_latex() if summed is None else summed[1]


def gradient_displays(symbol: str, form: ops.Expr, general: bool = True) -> tuple[str, tuple[str, ...]]:
    """The display of ``∂L/∂symbol = form`` and the rows defining its named padding (none when short, or
    for a configuration's own form, which is printed whole)."""
    short, rows = named_widths(form, f"q_{symbol}") if general else (form, [])
    summed = _sum_over_positions(form)
    lhs = rf"\frac{{\partial L}}{{\partial {symbol}{'' if summed is None else '_{' + summed[0] + '}'}}}"
    if not rows:
        return f"{lhs} = {form_latex(form)}", ()
    return f"{lhs} = {short.to_latex()}", tuple(r + "," for r in rows[:-1]) + (rows[-1],)
