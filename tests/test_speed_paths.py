"""The fast paths give the same answers as the slow ones: im2col correlations against a naive loop (float and
exact object arrays, empty batches), and the chunked exact prover against one chunk (both sides chunked,
oversize blocks sliced, mutants still caught). Correctness only: no test here is timed."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import sympy as sp

from symconv import ConvSpec, derive
from symconv.derivation import ops
from symconv.proof import exact as exact_mod
from symconv.proof.checks import verify
from symconv.proof.mutants import mutate_derivation


def naive_correlate(x, k, s, d, g):
    """out[n, o, i] = Σ_{c, a} x[n, group(o)·C/G + c, s·i + d·a] k[o, c, a], loop by loop."""
    n, c = x.shape[:2]
    o, cg = k.shape[:2]
    out = tuple((L - dd * (K - 1) - 1) // ss + 1 for L, K, ss, dd in zip(x.shape[2:], k.shape[2:], s, d))
    y = np.zeros((n, o) + out, dtype=np.result_type(x, k))
    for nn, oo, *i in itertools.product(range(n), range(o), *map(range, out)):
        for cc, *a in itertools.product(range(cg), *map(range, k.shape[2:])):
            pos = tuple(ss * ii + dd * aa for ss, ii, dd, aa in zip(s, i, d, a))
            y[(nn, oo) + tuple(i)] += x[(nn, oo // (o // g) * cg + cc) + pos] * k[(oo, cc) + tuple(a)]
    return y


def naive_batch_correlate(x, k, s, d, g):
    """out[o, c, a] = Σ_{n, i} x[n, group(o)·C/G + c, s·a + d·i] k[n, o, i], loop by loop."""
    n, c = x.shape[:2]
    o = k.shape[1]
    cg = c // g
    out = tuple((L - dd * (K - 1) - 1) // ss + 1 for L, K, ss, dd in zip(x.shape[2:], k.shape[2:], s, d))
    y = np.zeros((o, cg) + out, dtype=np.result_type(x, k))
    for oo, cc, *a in itertools.product(range(o), range(cg), *map(range, out)):
        for nn, *i in itertools.product(range(n), *map(range, k.shape[2:])):
            pos = tuple(ss * aa + dd * ii for ss, aa, dd, ii in zip(s, a, d, i))
            y[(oo, cc) + tuple(a)] += x[(nn, oo // (o // g) * cg + cc) + pos] * k[(nn, oo) + tuple(i)]
    return y


CASES = [  # (data shape, kernel spatial, stride, dilation, groups, out channels)
    ((2, 4, 7), (3,), (2,), (1,), 2, 6),
    ((1, 2, 6, 5), (2, 3), (1, 2), (2, 1), 1, 3),
    ((2, 2, 4, 3, 5), (2, 1, 2), (1, 1, 2), (1, 2, 1), 2, 4),
]


@pytest.mark.parametrize("shape,K,s,d,g,o", CASES)
def test_correlate_im2col_equals_a_naive_loop(shape, K, s, d, g, o):
    rng = np.random.default_rng(1)
    x = rng.integers(-5, 6, shape)
    k = rng.integers(-5, 6, (o, shape[1] // g) + K)
    got = ops.Correlate(ops.Tensor("x"), ops.Tensor("k"), s, d, g).evaluate({"x": x, "k": k})
    np.testing.assert_array_equal(got, naive_correlate(x, k, s, d, g))
    # The same definition on object arrays is exact.
    xo, ko = (np.vectorize(sp.Rational, otypes=[object])(v, 7) for v in (x, k))
    exact_y = ops.Correlate(ops.Tensor("x"), ops.Tensor("k"), s, d, g).evaluate({"x": xo, "k": ko})
    assert exact_y.dtype == object and all(isinstance(v, sp.Rational) for v in exact_y.flat)
    np.testing.assert_array_equal(exact_y * 49, naive_correlate(x, k, s, d, g))


@pytest.mark.parametrize("shape,K,s,d,g,o", CASES)
def test_batch_correlate_im2col_equals_a_naive_loop(shape, K, s, d, g, o):
    rng = np.random.default_rng(2)
    x = rng.integers(-5, 6, shape)
    out = tuple((L - dd * (k - 1) - 1) // ss + 1 for L, k, ss, dd in zip(shape[2:], K, s, d))
    gk = rng.integers(-5, 6, (shape[0], o) + K)
    form = ops.BatchCorrelate(ops.Tensor("x"), ops.Tensor("g"), s, d, g)
    got = form.evaluate({"x": x, "g": gk})
    assert got.shape == (o, shape[1] // g) + out
    np.testing.assert_array_equal(got, naive_batch_correlate(x, gk, s, d, g))
    xo, go = (np.vectorize(sp.Rational, otypes=[object])(v, 3) for v in (x, gk))
    exact_h = form.evaluate({"x": xo, "g": go})
    assert exact_h.dtype == object
    np.testing.assert_array_equal(exact_h * 9, naive_batch_correlate(x, gk, s, d, g))


def test_empty_batch_through_im2col():
    x = np.zeros((0, 2, 5))
    k = np.ones((3, 2, 2))
    y = ops.Correlate(ops.Tensor("x"), ops.Tensor("k"), (1,), (1,), 1).evaluate({"x": x, "k": k})
    assert y.shape == (0, 3, 4)
    h = ops.BatchCorrelate(ops.Tensor("x"), ops.Tensor("g"), (1,), (1,), 1).evaluate(
        {"x": x, "g": np.zeros((0, 3, 4))})
    assert h.shape == (3, 2, 2) and not h.any()


@pytest.mark.parametrize("cls", [ops.Correlate, ops.BatchCorrelate])
@pytest.mark.parametrize("chunk", [1, 5, 37, 1000])
def test_triple_chunks_are_runs_of_the_whole(cls, chunk):
    rng = np.random.default_rng(3)
    x = rng.integers(0, 4, (3, 4, 6, 5))           # 0 marks a zero entry, as pad and dilate make them
    k = rng.integers(0, 4, (4, 2, 2, 3)) if cls is ops.Correlate else rng.integers(0, 4, (3, 4, 3, 2))
    form = cls(ops.Tensor("x"), ops.Tensor("k"), (1, 2), (2, 1), 2)
    *whole, shape = form.triples({"x": x, "k": k})
    chunk_shape, chunks = form.triple_chunks({"x": x, "k": k}, None, chunk)
    chunks = list(chunks)
    assert chunk_shape == shape
    outs = [c[0] for c in chunks if c[0].size]
    assert all(a.max() <= b.min() for a, b in zip(outs, outs[1:]))   # runs of output entries, in order
    key = lambda cols: sorted(zip(*(c.tolist() for c in cols)))
    assert key([np.concatenate(c) for c in zip(*chunks)]) == key(whole)


SPECS = [(ConvSpec(2, 4, 3, stride=2, padding=1, groups=2, bias=True), (7, 6), 2),
         (ConvSpec(3, 2, 2, ndim=1, dilation=2, padding="full"), (9,), 3),
         (ConvSpec(2, 2, (2, 1, 2), ndim=3, stride=(1, 2, 1), padding=1), (3, 4, 3), 2)]


@pytest.mark.parametrize("spec,size,batch", SPECS)
@pytest.mark.parametrize("chunk", [7, 64, 500])
def test_chunked_exact_proof_equals_one_chunk(monkeypatch, spec, size, batch, chunk):
    d = derive(spec, prove=False)
    whole = verify(spec, size, batch=batch, derivation=d)
    monkeypatch.setattr(exact_mod, "CHUNK", chunk)      # small: many runs each side, oversize blocks sliced
    part = verify(spec, size, batch=batch, derivation=d)
    assert whole.ok and part.ok and whole.checked == part.checked
    bad = verify(spec, size, batch=batch, derivation=mutate_derivation(d, "no_rotation"))
    assert not bad.ok and "missing from the closed form" in bad.detail


def test_compare_refuses_runs_out_of_order_and_names_differences():
    radix = (5, 1, 1)
    shapes = {"a": (5,), "b": (1,), "c": (1,)}
    with pytest.raises(RuntimeError, match="not above the runs before it"):
        exact_mod._compare([np.array([3, 4]), np.array([0, 1])], [np.array([0, 1, 3, 4])],
                           radix, "t", "a", ("b", "c"), shapes)
    same, count, _ = exact_mod._compare([np.array([0, 1]), np.array([3, 4])], [np.array([0, 1, 3, 4])],
                                        radix, "t", "a", ("b", "c"), shapes)
    assert same and count == 4
    same, _, detail = exact_mod._compare([np.array([0, 2])], [np.array([0]), np.array([1])],
                                         radix, "t", "a", ("b", "c"), shapes)
    assert not same and detail.startswith("t: 2 monomials against 2; missing from the closed form: a[1]")


def test_compare_reads_neither_stream_far_ahead_of_the_other():
    """Runs of different lengths on the two sides (the closed form's 2-million-monomial runs against the
    definition's blocks): the side that is behind is read, so the keys held stay about one run. Read in turn,
    the longer runs got ahead by a part of a run each time (10 GiB held at N=8, C=64, 56x56)."""
    read = [0, 0]
    ahead = []

    def runs(k, size, total=20_000):
        for start in range(0, total, size):
            read[k] = min(start + size, total)
            ahead.append(abs(read[0] - read[1]))
            yield np.arange(start, min(start + size, total))
    radix = (20_000, 1, 1)
    shapes = {"a": (20_000,), "b": (1,), "c": (1,)}
    same, count, _ = exact_mod._compare(runs(0, 100), runs(1, 7), radix, "t", "a", ("b", "c"), shapes)
    assert same and count == 20_000
    assert max(ahead) <= 100 + 7


@pytest.mark.parametrize("got,expect,same", [
    ([np.arange(0, 101)], [np.arange(0, 51), np.arange(51, 101)], True),     # one side ends first, above
    ([np.arange(0, 31)], [np.arange(0, 51)], False),                         # ends below: the rest is extra
    ([np.arange(0, 51)], [np.arange(0, 31)], False),
    ([np.arange(0, 10), np.arange(10, 11)], [np.arange(0, 10)], False),      # one key more, at the very end
])
def test_compare_when_one_stream_ends_first(got, expect, same):
    radix = (101, 1, 1)
    shapes = {"a": (101,), "b": (1,), "c": (1,)}
    assert exact_mod._compare(got, expect, radix, "t", "a", ("b", "c"), shapes)[0] is same


@pytest.mark.parametrize("case", ["sorted", "lead_digit", "random", "wide_lead"])
def test_sort_is_numpys_sort_whichever_path(case, monkeypatch):
    """exact._sort returns keys in order as they are, puts keys in order but for their leading digit in
    order by a radix sort of that digit, and sorts anything else; always what np.sort gives."""
    rng = np.random.default_rng(3)
    radix = (50, 40, 30)
    rows = np.array(sorted({tuple(r) for r in rng.integers(0, [50, 40, 30], (3000, 3)).tolist()}))
    keys = exact_mod._keys(tuple(rows.T), radix)
    if case == "lead_digit":        # the definition's ∂L/∂x: in order within each leading digit only
        keys = np.concatenate([keys[rows[:, 0] % 2 == 1], keys[rows[:, 0] % 2 == 0]])
    elif case == "random":
        keys = rng.permutation(keys)
    elif case == "wide_lead":       # a leading digit over 16 bits: the plain sort
        radix = (2 ** 20, 40, 30)
        keys = rng.permutation(exact_mod._keys((rows[:, 0] * 20_000, rows[:, 1], rows[:, 2]), radix))
    want = np.sort(keys)
    sorts = []
    real = np.sort
    monkeypatch.setattr(np, "sort", lambda a, *args, **kw: sorts.append(1) or real(a, *args, **kw))
    got = exact_mod._sort(keys.copy(), radix)
    assert np.array_equal(got, want)
    assert bool(sorts) is (case in ("random", "wide_lead"))
