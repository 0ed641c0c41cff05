"""Printing is exact and total: every size expression and closed form symconv prints reads back, through the
claim grammar, as the same tree (issue 18: a grader re-proving a reprint graded a wrong formula right)."""

from __future__ import annotations

import dataclasses
import itertools

import sympy as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from symconv.derivation import ops
from symconv.derivation.index import Symbols
from symconv.proof.claims import MAX_POWER, parse, parse_size

NDIM = 2
SIZES = Symbols(NDIM, True).size_symbols()

_leaf = st.one_of(st.integers(-12, 12).map(sp.Integer), st.sampled_from(SIZES))


def _mod(a: sp.Expr, b: sp.Expr) -> sp.Expr:
    # SymPy's Mod.eval recurses without end on a few nested remainders: such an expression is not generated
    # (the grammar refuses to build one, with a reason, rather than raise)
    try:
        return sp.Mod(a, b) if b != 0 else sp.Mod(a, b + 2)
    except RecursionError:
        return a


def _grow(inner: st.SearchStrategy) -> st.SearchStrategy:
    return st.one_of(
        st.tuples(inner, inner).map(lambda t: t[0] + t[1]),
        st.tuples(inner, inner).map(lambda t: t[0] - t[1]),
        st.tuples(inner, inner).map(lambda t: t[0] * t[1]),
        inner.map(lambda a: -a),
        st.tuples(inner, inner).map(lambda t: _mod(*t)),
        st.tuples(inner, st.integers(2, 3)).map(lambda t: t[0] ** t[1]),
    )


def _readable(expr: sp.Expr) -> bool:
    """Numbers of at most 9 digits and exponents of at most 64 (the grammar's limits)."""
    return all(abs(n) < 10 ** 9 for n in expr.atoms(sp.Integer)) and all(
        p.exp <= MAX_POWER for p in expr.atoms(sp.Pow)) and all(
        # SymPy may pull a factor out of a remainder, leaving Mod(1, A/B) or Mod(A/B, 1) with a quotient
        # inside (whose printing can even recurse without end): no size expression symconv builds is such; a
        # claim that writes one is proved or refuted, but its reprint is not readable (a known gap, left out)
        all(a.is_polynomial(*m.free_symbols) for a in m.args) for m in expr.atoms(sp.Mod))


sizes = st.recursive(_leaf, _grow, max_leaves=8).filter(_readable)
small_sizes = st.recursive(_leaf, _grow, max_leaves=3).filter(_readable)


def _values(expr: sp.Expr, seed: int) -> dict[sp.Symbol, int]:
    return {s: 1 + (seed * 7 + 3 * k) % 9 for k, s in enumerate(sorted(expr.free_symbols, key=str))}


def _value(expr: sp.Expr, at: dict[sp.Symbol, int]) -> sp.Expr | None:
    try:
        return sp.sympify(expr).xreplace({k: sp.Integer(v) for k, v in at.items()})
    except ZeroDivisionError:
        return None


@settings(max_examples=3000, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sizes, st.integers(0, 1000))
def test_size_expressions_read_back_as_printed(expr: sp.Expr, seed: int) -> None:
    for text in (ops._str(expr), ops._latex(expr)):
        back = parse_size(text, NDIM)
        assert sp.sympify(back) == expr, text
        at = _values(expr, seed)
        assert _value(back, at) == _value(expr, at), text


def _named(name: str) -> sp.Symbol:
    return next(s for s in SIZES if str(s) == name)


def _issue_cases() -> list[sp.Expr]:
    k, g, d = (_named(n) for n in ("K_1", "G", "D_1"))
    return [sp.Mod(3, k + 1), sp.Mod(1, k - 3), sp.Mod(g, 3 * d), k ** 2, -sp.Mod(k, 2), sp.Mod(-k, 3 * d) + 1]


def test_the_issues_expressions_print_exactly() -> None:
    # Before: "3 mod K_1 + 1", "1 mod K_1 - 3" (read back as (1 mod K_1) - 3), "G mod 3*D_1" ((G mod 3)*D_1),
    # and "K_1**2", which the grammar could not read.
    for expr in _issue_cases():
        assert parse_size(ops._str(expr), NDIM) == expr
        assert parse_size(ops._latex(expr), NDIM) == expr
    k = _named("K_1")
    assert ops._str(sp.Mod(1, k - 3)) == "1 mod (K_1 - 3)"
    assert ops._str(sp.Mod(3, k + 1)) == "3 mod (K_1 + 1)"


_tensor = st.sampled_from([ops.Tensor("g"), ops.Tensor("x"), ops.Tensor("h")])
_pos = st.one_of(st.integers(2, 4), small_sizes.filter(lambda e: not (e.is_Integer and e < 1)))


def _per_axis(values: st.SearchStrategy) -> st.SearchStrategy:
    return st.one_of(values.map(lambda v: (v,) * NDIM), st.tuples(*[values] * NDIM))


def _ints(value: object) -> object:
    return int(value) if isinstance(value, sp.Basic) and value.is_Integer else value


def _forms(inner: st.SearchStrategy) -> st.SearchStrategy:
    widths = st.one_of(st.tuples(small_sizes, small_sizes).map(lambda p: (p,) * NDIM),
                       st.tuples(*[st.tuples(small_sizes, small_sizes)] * NDIM))
    return st.one_of(
        st.tuples(inner, widths).map(lambda t: ops.Pad(t[0], tuple((_ints(a), _ints(b)) for a, b in t[1]))),
        st.tuples(inner, _per_axis(_pos)).map(lambda t: ops.Dilate(t[0], tuple(map(_ints, t[1])))),
        inner.map(lambda a: ops.Rot180(a, NDIM)),
        st.tuples(inner, st.one_of(st.just(1), st.sampled_from(SIZES))).map(lambda t: ops.SwapIO(*t)),
        st.tuples(inner, inner, _per_axis(_pos), _per_axis(_pos), st.one_of(st.just(1), _pos)).map(
            lambda t: ops.Correlate(t[0], t[1], tuple(map(_ints, t[2])), tuple(map(_ints, t[3])), _ints(t[4]))),
        st.tuples(inner, inner, _per_axis(_pos), _per_axis(_pos)).map(
            lambda t: ops.BatchCorrelate(t[0], t[1], tuple(map(_ints, t[2])), tuple(map(_ints, t[3])))),
        st.tuples(inner, st.lists(st.integers(0, 3), min_size=1, max_size=3, unique=True)).map(
            lambda t: ops.SumAxes(t[0], tuple(t[1]))),
        st.tuples(inner, inner).map(lambda t: ops.AddBias(*t)),
    )


forms = st.recursive(_tensor, _forms, max_leaves=5)


@settings(max_examples=1500, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(forms)
def test_closed_forms_read_back_as_printed(form: ops.Expr) -> None:
    assert parse(str(form), NDIM) == _flat(form), str(form)
    assert parse(form.to_latex(), NDIM) == _flat(form), form.to_latex()


def _flat(expr: ops.Expr) -> ops.Expr:
    """A sum printed without parentheses, ``a + (b + c)`` as ``a + b + c``, reads back left-associated (the
    same sum); every other node as it is."""
    if isinstance(expr, ops.AddBias):
        return list(itertools.accumulate(_terms(expr), ops.AddBias))[-1]
    changes = {f.name: _flat(getattr(expr, f.name)) for f in dataclasses.fields(expr)
               if isinstance(getattr(expr, f.name), ops.Expr)}
    return dataclasses.replace(expr, **changes) if changes else expr


def _terms(expr: ops.Expr) -> list[ops.Expr]:
    if isinstance(expr, ops.AddBias):
        return _terms(expr.arg) + _terms(expr.bias)
    return [_flat(expr)]
