"""The closed forms against independent oracles: PyTorch autograd, finite differences, SymPy's derivative."""

from __future__ import annotations

import dataclasses
import random

import numpy as np
import pytest
import sympy as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import symconv
from symconv import ConvSpec, DerivationError, InputError, derive
from symconv.numeric import finite_difference_grads
from symconv.derivation import ops
from symconv.derivation.index import Symbols
from symconv.proof.exact import exact, small_input_size

from conftest import mutate, needs_torch, random_arrays, torch_grads


def _random_specs(count: int, seed: int) -> list[tuple[ConvSpec, tuple[int, ...]]]:
    rng = random.Random(seed)
    out = []
    while len(out) < count:
        nd = rng.choice([1, 2, 3])
        groups = rng.choice([1, 1, 2, 3])
        k = tuple(rng.randint(1, 4) for _ in range(nd))
        s = tuple(rng.randint(1, 3) for _ in range(nd))
        d = tuple(rng.randint(1, 3) for _ in range(nd))
        padding = rng.choice([0, 1, 2, 3, "valid", "same", "full", tuple(rng.randint(0, 2) for _ in range(nd))])
        if padding == "same":
            s = 1
        spec = ConvSpec(groups * rng.randint(1, 2), groups * rng.randint(1, 2), k, stride=s, padding=padding,
                        dilation=d, groups=groups, ndim=nd, bias=rng.random() < 0.5)
        size = tuple(rng.randint(3, 9 if nd < 3 else 6) for _ in range(nd))
        try:
            spec.output_size(size)
        except symconv.SpecError:
            continue
        out.append((spec, size))
    return out


CONFIGS = _random_specs(36, seed=2)


@needs_torch
@pytest.mark.parametrize("spec,size", CONFIGS, ids=[f"{s.describe()}-{z}" for s, z in CONFIGS])
def test_closed_forms_match_torch_autograd(spec, size):
    x, h, g, b = random_arrays(spec, size)
    ours = derive(spec).evaluate(x, h, g)
    theirs = torch_grads(spec, x, h, g, b)
    assert ours.keys() == theirs.keys()
    for name in theirs:
        np.testing.assert_allclose(ours[name], theirs[name], rtol=1e-10, atol=1e-10, err_msg=name)


@needs_torch
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_property_random_configurations_match_torch(data):
    nd = data.draw(st.integers(1, 2))
    groups = data.draw(st.sampled_from([1, 2]))
    k = tuple(data.draw(st.integers(1, 3)) for _ in range(nd))
    s = tuple(data.draw(st.integers(1, 3)) for _ in range(nd))
    d = tuple(data.draw(st.integers(1, 2)) for _ in range(nd))
    p = tuple(data.draw(st.integers(0, 3)) for _ in range(nd))
    spec = ConvSpec(groups * data.draw(st.integers(1, 2)), groups * data.draw(st.integers(1, 2)), k, stride=s,
                    padding=p, dilation=d, groups=groups, ndim=nd, bias=data.draw(st.booleans()))
    size = tuple(data.draw(st.integers(max(1, dd * (kk - 1) + 1 - 2 * pp), 8)) for kk, dd, pp in zip(k, d, p))
    x, h, g, b = random_arrays(spec, size, seed=data.draw(st.integers(0, 1000)))
    ours, theirs = derive(spec).evaluate(x, h, g), torch_grads(spec, x, h, g, b)
    for name in theirs:
        np.testing.assert_allclose(ours[name], theirs[name], rtol=1e-10, atol=1e-10, err_msg=name)


@pytest.mark.parametrize("spec,size", CONFIGS[:8], ids=[s.describe() for s, _ in CONFIGS[:8]])
def test_closed_forms_match_finite_differences(spec, size):
    x, h, g, b = random_arrays(spec, size, batch=1)
    ours = derive(spec).evaluate(x, h, g)
    fd = finite_difference_grads(spec, x, h, g, b)
    for name in fd:
        np.testing.assert_allclose(ours[name], fd[name], rtol=1e-6, atol=1e-6, err_msg=name)


def test_homework_problem_1_closed_forms():
    d = derive(ConvSpec(2, 2, 3, padding=1))
    assert str(d.grad_input) == "correlate(pad(g, 1), rot180(swap_io(h)))"
    assert str(d.grad_weight) == "batch_correlate(pad(x, 1), g)"
    assert d.grad_bias is None
    rules = [s.rule.split(":")[0].split(" (")[0] for s in d.steps if s.target == "grad_input"]
    assert rules == ["differentiate", "Kronecker-delta elimination", "stride", "channel swap",
                     "change of summation variable $a_{1} \\to K_{1} - a_{1} - 1, a_{2} \\to K_{2} - a_{2} - 1$",
                     "rotation by $180^\\circ$", "bounds to padding", "recognise the closed form"]


def test_stride_brings_dilation_and_remainder_padding():
    d = derive(ConvSpec(1, 1, 3, stride=2, padding=1, ndim=1, bias=True))
    assert str(d.grad_input) == "correlate(pad(dilate(g, 2), (1, ((H + 1) mod 2) + 1)), rot180(swap_io(h)))"
    assert str(d.grad_weight) == "batch_correlate(pad(x, (1, 1 - ((H + 1) mod 2))), g, dilation=2)"
    assert str(d.grad_bias) == "sum_axes(g, (0, 2))"


def test_exact_evaluation_agrees_with_float():
    spec = ConvSpec(2, 4, (2, 3), stride=(2, 1), padding=(1, 2), dilation=(1, 2), groups=2, bias=True)
    x, h, g, _ = random_arrays(spec, (5, 6), batch=1)
    exact = derive(spec).evaluate(*(np.vectorize(sp.Rational, otypes=[object])(np.round(a * 8).astype(int)) / 8
                                     for a in (x, h, g)))
    approx = derive(spec).evaluate(*(np.round(a * 8) / 8 for a in (x, h, g)))
    for name in exact:
        assert exact[name].dtype == object
        np.testing.assert_array_equal(exact[name].astype(float), approx[name])


@pytest.mark.parametrize("spec", [ConvSpec(2, 2, 3, padding=1), ConvSpec(2, 3, (3, 2), stride=2, padding=(1, 0))],
                         ids=["homework", "stride2"])
@pytest.mark.parametrize("kind", ["no_rotation", "no_swap", "pad_off_by_one", "no_dilation"])
def test_mutants_fail_the_exact_proof(spec, kind):
    d = derive(spec)
    mutant = dataclasses.replace(d, grad_input=mutate(d.grad_input, kind), grad_weight=mutate(d.grad_weight, kind))
    if mutant.closed_forms == d.closed_forms:
        pytest.skip(f"{kind} changes nothing here (no such operator in this closed form)")
    size = small_input_size(spec, 3)
    assert exact(d, size)[0]
    assert not exact(mutant, size)[0]


@needs_torch
@pytest.mark.parametrize("kind", ["no_rotation", "no_swap", "pad_off_by_one"])
def test_mutants_fail_against_torch(kind):
    spec = ConvSpec(2, 3, 3, padding=1)
    x, h, g, b = random_arrays(spec, (5, 5))
    d = derive(spec)
    mutant = dataclasses.replace(d, grad_input=mutate(d.grad_input, kind))
    try:
        got = mutant.evaluate(x, h, g)["grad_input"]
    except (ValueError, IndexError):
        return  # a mutant that cannot even be evaluated has failed
    want = torch_grads(spec, x, h, g, b)["grad_input"]
    assert got.shape != want.shape or not np.allclose(got, want)


def test_a_wrong_rewrite_rule_is_caught(monkeypatch):
    from symconv.derivation import engine, forms as derive_module

    def off_by_one(term, ctx):
        found = engine.bounds_to_padding(term, ctx)
        if found is None:
            return None
        text, new = found
        f = new.factors[0] if new.factors[0].tensor.endswith("_pad") else new.factors[1]
        shifted = engine.Factor(f.tensor, f.index[:-1] + (f.index[-1] + 1,))
        return text, dataclasses.replace(new, factors=tuple(shifted if x is f else x for x in new.factors))

    rules = tuple(off_by_one if r is engine.bounds_to_padding else r for r in engine.RULES)
    monkeypatch.setattr(derive_module, "RULES", rules)
    with pytest.raises(DerivationError, match=r"^step 'off_by_one' of grad_input failed its check"):
        derive_module.derive_general(1, False, False, seed=12345)


def test_evaluate_rejects_mismatched_shapes():
    d = derive(ConvSpec(2, 2, 3, padding=1))
    with pytest.raises(InputError, match=r"^h must have shape \(2, 2, 3, 3\), got \(2, 2, 3\)$"):
        d.evaluate(np.zeros((1, 2, 4, 4)), np.zeros((2, 2, 3)), np.zeros((1, 2, 4, 4)))
    with pytest.raises(InputError, match=r"^g \(dL/dy\) must have the output's shape"):
        d.evaluate(np.zeros((1, 2, 4, 4)), np.zeros((2, 2, 3, 3)), np.zeros((1, 2, 3, 3)))


def test_proofs_run_inside_derive():
    d = derive(ConvSpec(2, 2, 3, padding=1))
    assert d.proof.ok and [r.target for r in d.proof.results] == ["grad_input", "grad_weight"]
    assert d.proof.statement == "for every N, C_in, C_out, H, W at K = 3, P = 1, stride 1, dilation 1"
    g = derive(ConvSpec(4, 6, (3, 2), stride=(2, 1), padding=1, groups=2, bias=True))
    assert g.proof.statement == ("for every N, C_in, C_out, H, W at G = 2, K = (3, 2), P = 1, "
                                 "stride (2, 1), dilation 1")
    assert [r.target for r in g.proof.results] == ["grad_input", "grad_weight", "grad_bias"]
    # The general forms, of which these are an instance, for every kernel size, padding and group count.
    assert d.general_proof.ok and d.general_proof.statement == (
        "for every N, C_in, C_out, H, W, K, P_low, P_high at stride 1, dilation 1")
    assert g.general_proof.ok and g.general_proof.statement == (
        "for every N, G, C_in, C_out, H, W, K, P_low, P_high at stride (2, 1), dilation 1")
    assert [r.target for r in g.general_proof.results] == ["grad_input", "grad_weight", "grad_bias"]


def test_derive_refuses_general_forms_that_fail_their_proof(monkeypatch):
    # A general form wrong only away from the configuration's K and P (padding P where D(K-1)-P belongs,
    # equal at K = 3, P = 1) passes the concrete proof and is caught by the general one.
    from symconv.proof import presburger
    real = presburger.general_forms

    def wrong(ndim, grouped, bias, stride, dilation):
        forms = dict(real(ndim, grouped, bias, stride, dilation))
        sym = Symbols(ndim, grouped)
        forms["grad_input"] = ops.Correlate(ops.pad(ops.Tensor("g"), tuple((p, p) for p in sym.P)),
                                            forms["grad_input"].kernel, stride, dilation)
        return forms
    monkeypatch.setattr(presburger, "general_forms", wrong)
    with pytest.raises(DerivationError, match=r"general closed forms of .* failed their proof for every size"):
        derive(ConvSpec(2, 2, 3, padding=1, stride=1, dilation=1, ndim=1))


def test_derive_refuses_a_form_that_fails_its_proof(monkeypatch):
    from symconv.derivation import forms
    from symconv.proof import attach
    real = forms.derive_forms

    def wrong(spec):
        d = real(spec)
        return dataclasses.replace(d, grad_input=mutate(d.grad_input, "no_rotation"))
    monkeypatch.setattr(attach, "derive_forms", wrong)
    with pytest.raises(DerivationError, match=r"failed their proof for every size: at C_in = 1"):
        derive(ConvSpec(2, 2, 3, padding=1))
