"""The affine reading's vocabulary: SymPy size expressions as isl text, and the space relations live in.

Every closed-form operator (:mod:`symconv.derivation.ops`) can be read a third way, beside its NumPy and exact
evaluators: as an affine relation between indices, with the sizes as isl parameters. For a fixed stride and
dilation every index in a convolution's gradient is affine in the indices and the sizes, up to floor
divisions and remainders by constants, so these relations are Presburger relations and isl decides their
equality for every size at once.

An :class:`IndexSpace` says which SymPy size symbols are isl parameters (``N, G, C, O, H1, K1, P1, ...``),
which are fixed numbers (stride, dilation: always; more when a configuration is concrete), and the shape of
each base tensor in the *uniform layout* the relations use: the channel axis of PyTorch split into (group,
channel within the group), so that the channel index stays affine when the group count is a parameter::

    x[n, γ, c, u...]   (N, G, C, H...)        h[γ, o, c, a...]   (G, O, C, K...)
    g[n, γ, o, i...]   (N, G, O, H^o...)      b[γ, o]            (G, O)

With one group, γ is always 0 (G = 1).

>>> import sympy as sp
>>> H = sp.Symbol("H", integer=True)
>>> aff(sp.Mod(H + 1, 2) + 1, {H: "H"})
'((H + 1) mod 2) + 1'
>>> aff((H - sp.Mod(H, 2)) / 2, {H: "H"})
'floor((H - ((H) mod 2))/2)'
>>> aff(H**2, {H: "H"})
Traceback (most recent call last):
...
symconv.errors.UnsupportedError: H**2 is not affine in the sizes (a product or power of sizes)
"""

from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Mapping, NamedTuple

import sympy as sp

if TYPE_CHECKING:
    import islpy as isl

# islpy (~60 ms to import) is imported where a relation is built, so that commands that never build one
# (the homework, a numeric check) do not pay for it.

from ..errors import UnsupportedError


def _denominator(expr: sp.Expr) -> int:
    """The least common denominator of the rational coefficients of an expanded sum (remainders and floors
    are whole numbers and count as 1)."""
    if isinstance(expr, sp.Add):
        return math.lcm(*(_denominator(t) for t in expr.args))
    if isinstance(expr, sp.Rational):
        return int(expr.q)
    if isinstance(expr, sp.Mul):
        coeff, _ = expr.as_coeff_Mul()
        return int(sp.Rational(coeff).q) if coeff.is_Rational else 1
    return 1


def aff(expr: Any, names: Mapping[sp.Symbol, str], values: Mapping[sp.Symbol, int] | None = None) -> str:
    """isl text of an affine SymPy expression: sums, integer multiples, ``Mod(e, m)`` and ``floor(e / m)``
    with a constant ``m``, and rational coefficients whose sum is a whole number (written as one floor).

    ``names`` gives each symbol's isl name; ``values`` fixes some symbols to numbers first. Anything else
    (a product of two sizes, an unknown symbol) raises :class:`UnsupportedError` naming the expression.
    """
    if not isinstance(expr, sp.Basic):
        return str(int(expr))
    if values:
        try:
            expr = expr.xreplace({k: sp.Integer(v) for k, v in values.items()})
        except ZeroDivisionError:
            raise UnsupportedError(f"{expr} takes a remainder modulo 0") from None
    expr = sp.expand(expr)
    q = _denominator(expr)
    if q != 1:
        return f"floor(({_text(sp.expand(q * expr), names, expr)})/{q})"
    return _text(expr, names, expr)


def _text(e: sp.Expr, names: Mapping[sp.Symbol, str], whole: sp.Expr) -> str:
    if e.is_Integer:
        return str(int(e)) if e >= 0 else f"({int(e)})"
    if isinstance(e, sp.Symbol):
        if e not in names:
            raise UnsupportedError(f"{e} in {whole} is neither an isl parameter nor a fixed number")
        return names[e]
    if isinstance(e, sp.Add):
        terms = sorted(e.args, key=lambda t: (t.is_Number, sp.default_sort_key(t)))
        out = _text(terms[0], names, whole)
        for t in terms[1:]:
            coeff, rest = t.as_coeff_Mul()
            if coeff.is_Number and coeff < 0:
                out += f" - {_text(-t, names, whole)}"
            else:
                out += f" + {_text(t, names, whole)}"
        return out
    if isinstance(e, sp.Mul):
        coeff, rest = e.as_coeff_Mul()
        if not coeff.is_Integer or isinstance(rest, sp.Mul) or rest.is_Number:
            raise UnsupportedError(f"{whole} is not affine in the sizes (a product or power of sizes)")
        inner = _text(rest, names, whole)
        if coeff == -1:
            return f"-{inner}" if isinstance(rest, sp.Symbol) else f"-({inner})"
        return f"{int(coeff)}*{inner}" if isinstance(rest, sp.Symbol) else f"{int(coeff)}*({inner})"
    if isinstance(e, sp.Mod) and e.args[1].is_Integer and e.args[1] > 0:
        return f"(({aff(e.args[0], names)}) mod {int(e.args[1])})"
    if isinstance(e, sp.floor):
        arg = sp.expand(e.args[0])
        q = _denominator(arg)
        if q == 1:
            return _text(arg, names, whole)
        return f"floor(({_text(sp.expand(q * arg), names, whole)})/{q})"
    raise UnsupportedError(f"{whole} is not affine in the sizes (a product or power of sizes)")


class Extent(NamedTuple):
    """An array's uniform-layout shape: its kind (``data`` (n, γ, c, spatial...), ``kernel``
    (γ, o, c, spatial...), ``bias`` (γ, o), or ``other``) and its lengths as SymPy size expressions."""

    kind: str
    sizes: tuple[Any, ...]


KINDS = {"x": "data", "g": "data", "h": "kernel", "b": "bias"}


@dataclass(frozen=True, eq=False)
class IndexSpace:
    """Where relations live: isl parameters for some size symbols, numbers for others, base tensor shapes.

    ``params`` are the isl parameter names, in the order a counterexample minimises them; ``names`` maps a
    SymPy size symbol to its parameter, ``values`` fixes a symbol to a number (stride and dilation always);
    ``shapes`` gives each base tensor's uniform-layout shape; ``groups`` is the structure's group count (the
    symbol G, or 1) and ``context`` the isl constraints every parameter value satisfies.
    """

    ndim: int
    params: tuple[str, ...]
    names: Mapping[sp.Symbol, str]
    values: Mapping[sp.Symbol, int]
    shapes: Mapping[str, tuple[Any, ...]]
    groups: Any
    context: str

    def aff(self, expr: Any, local: Mapping[sp.Symbol, str] | None = None) -> str:
        """isl text of a size expression (and, with ``local``, of index variables)."""
        return aff(expr, {**self.names, **(local or {})}, self.values)

    def int(self, expr: Any, what: str) -> int:
        """A value that must be a number here (a stride, a dilation, a group count of 1)."""
        try:
            value = sp.expand(expr.xreplace({k: sp.Integer(v) for k, v in self.values.items()})) \
                if isinstance(expr, sp.Basic) else expr
        except ZeroDivisionError:
            raise UnsupportedError(f"{expr} takes a remainder modulo 0") from None
        if isinstance(value, sp.Basic) and not value.is_Integer:
            raise UnsupportedError(f"the affine reading needs a concrete {what}, got {value}")
        return int(value)

    def same(self, a: Any, b: Any) -> bool:
        """Whether two size expressions are identical once the fixed numbers are put in."""
        sub = {k: sp.Integer(v) for k, v in self.values.items()}
        try:
            ea = a.xreplace(sub) if isinstance(a, sp.Basic) else sp.Integer(a)
            eb = b.xreplace(sub) if isinstance(b, sp.Basic) else sp.Integer(b)
        except ZeroDivisionError:
            raise UnsupportedError(f"{a} or {b} takes a remainder modulo 0") from None
        return sp.expand(ea - eb) == 0

    def _used(self, text: str) -> str:
        # Only the parameters the text names: isl aligns parameters by name when maps meet, and parsing
        # slows down with every parameter declared.
        words = set(re.findall(r"[A-Za-z_][A-Za-z_0-9]*", text))
        return ", ".join(p for p in self.params if p in words)

    def map(self, domain: str, image: str, constraints: str) -> isl.Map:
        """``{ domain -> image : constraints }``, the image an affine function of the domain's variables
        (read as a multi-affine function and a set: isl reads those much faster than the relation)."""
        import islpy as isl
        function = _parse_multi_aff(f"[{self._used(image)}] -> {{ {domain} -> {image} }}")
        where = _parse_set(f"[{self._used(constraints)}] -> {{ {domain} : {constraints} }}")
        return isl.Map.from_multi_aff(function).intersect_domain(where)

    def set(self, text: str) -> isl.Set:
        return _parse_set(f"[{self._used(text)}] -> {{ {text} }}")

    def box(self, variables: list[str], sizes: tuple[Any, ...]) -> str:
        """``0 <= v < size`` for each variable, as isl constraints."""
        return " and ".join(f"0 <= {v} < {self.aff(n)}" for v, n in zip(variables, sizes)) or "true"

    def tensor_extent(self, name: str) -> Extent:
        if name not in self.shapes:
            raise UnsupportedError(f"tensor {name!r} is not one of {', '.join(self.shapes)}")
        return Extent(KINDS.get(name, "other"), tuple(self.shapes[name]))


# The same text recurs across strides, dilations and forms (a tensor's box, a rotation); isl objects are
# values (every operation returns a new one), so a parsed text can be shared.
@functools.lru_cache(maxsize=65536)
def _parse_multi_aff(text: str) -> isl.MultiAff:
    import islpy as isl
    return isl.MultiAff(text)


@functools.lru_cache(maxsize=65536)
def _parse_set(text: str) -> isl.Set:
    import islpy as isl
    return isl.Set(text)


def variables(prefix: str, count: int) -> list[str]:
    return [f"{prefix}{k}" for k in range(count)]


def tup(vars_: list[str], name: str = "") -> str:
    return f"{name}[{', '.join(vars_)}]"
