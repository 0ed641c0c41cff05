"""Proofs for every size (isl): the true closed forms prove; mutants and hand-made wrong forms are refuted with
the smallest counterexample, and each counterexample is confirmed against PyTorch autograd at its sizes."""

from __future__ import annotations

from dataclasses import replace

import islpy as isl
import numpy as np
import pytest
import sympy as sp

from symconv.derivation import ops
from symconv.derivation.affine import aff
from symconv.errors import UnsupportedError
from symconv.derivation.index import Symbols
from symconv.proof.mutants import KINDS, mutate
from symconv.proof.presburger import Counterexample, families, general_forms, index_space, prove, sweep

from conftest import needs_torch, torch

FAMILIES = [
    (1, (1,), (1,)), (1, (2,), (1,)), (1, (1,), (2,)), (1, (3,), (2,)),
    (2, (1, 1), (1, 1)), (2, (2, 1), (1, 2)), (2, (3, 3), (2, 1)),
    (3, (1, 2, 3), (3, 2, 1)), (3, (2, 2, 2), (1, 1, 1)),
]


@pytest.mark.parametrize("ndim,stride,dilation", FAMILIES)
@pytest.mark.parametrize("grouped", [False, True])
@pytest.mark.parametrize("bias", [False, True])
def test_true_forms_prove_for_every_size(ndim, stride, dilation, grouped, bias):
    proof = prove(ndim, grouped, bias, stride, dilation)
    assert proof.ok, [r.detail for r in proof.results]
    assert [r.target for r in proof.results] == ["grad_input", "grad_weight"] + (["grad_bias"] if bias else [])
    assert proof.statement.startswith("for every N, " + ("G, " if grouped else "") + "C_in, C_out")


def test_statement_and_cache():
    from symconv.proof import presburger
    first = prove(2, True, False, (2, 1), (1, 1))
    before = presburger._result.cache_info()
    proof = prove(2, True, False, (2, 1), (1, 1))
    after = presburger._result.cache_info()          # cached per structure, stride, dilation and form
    assert after.hits - before.hits == 2 and after.misses == before.misses
    assert [r.ok for r in proof.results] == [r.ok for r in first.results] == [True, True]
    assert proof.statement == "for every N, G, C_in, C_out, H, W, K, P_low, P_high at stride (2, 1), dilation 1"


# ------------------------------------------------------------------------- counterexamples, confirmed

def _torch_grads(cex: Counterexample, x, h, g, b):
    """PyTorch autograd of L = Σ g·conv(pad(x), h) + b, with the counterexample's (low, high) padding."""
    F = torch.nn.functional
    conv = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}[cex.ndim]
    tx, th, tb = (torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in (x, h, b))
    widths = [w for lo, hi in reversed(cex.pads) for w in (lo, hi)]
    y = conv(F.pad(tx, widths), th, tb, stride=cex.stride, dilation=cex.dilation, groups=cex.groups)
    assert tuple(y.shape) == g.shape
    (y * torch.tensor(g, dtype=torch.float64)).sum().backward()
    return {"grad_input": tx.grad.numpy(), "grad_weight": th.grad.numpy(), "grad_bias": tb.grad.numpy()}


def _differs_from_torch(cex: Counterexample, form) -> bool:
    """Whether the wrong form, evaluated at the counterexample's sizes, differs from PyTorch there (a form
    the evaluator refuses differs too)."""
    sym = Symbols(cex.ndim, cex.grouped)
    values = cex.symbol_values(sym)
    rng = np.random.default_rng(0)
    out = tuple(values[ho] for ho in sym.Ho)
    # Distinct integers far apart, so that two different sums of monomials cannot agree by chance.
    def draw(shape):
        return rng.choice(10 ** 6, int(np.prod(shape)), replace=False).reshape(shape).astype(float)
    x = draw((cex.batch, cex.in_channels) + cex.input_size)
    h = draw((cex.out_channels, cex.in_channels // cex.groups) + cex.kernel_size)
    g = draw((cex.batch, cex.out_channels) + out)
    b = draw((cex.out_channels,))
    want = _torch_grads(cex, x, h, g, b)[cex.target]
    parts = form if isinstance(form, tuple) else (form,)
    try:
        got = sum(p.evaluate({"x": x, "h": h, "g": g, "b": b}, values) for p in parts)
    except (ValueError, IndexError):
        return cex.kind in ("undefined", "shape")
    if cex.kind in ("missing", "extra", "doubled"):
        assert got.shape == want.shape         # the monomials differ, not the shapes
    return got.shape != want.shape or not np.array_equal(got, want)


def _refuted(ndim, grouped, bias, stride, dilation, target, form) -> Counterexample:
    forms = general_forms(ndim, grouped, bias, stride, dilation)
    proof = prove(ndim, grouped, bias, stride, dilation, {**forms, target: form})
    assert not proof.ok
    result = next(r for r in proof.results if r.target == target)
    assert result.counterexample is not None, result.detail
    assert all(r.ok for r in proof.results if r.target != target)
    return result.counterexample


MUTANT_FAMILIES = [(1, False, False, (2,), (1,)), (2, True, True, (2, 1), (1, 2)), (3, False, False, (2, 1, 1), (1, 1, 2))]


@needs_torch
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("family", MUTANT_FAMILIES)
def test_mutants_refuted_with_confirmed_counterexamples(kind, family):
    forms = general_forms(*family)
    wrong = {k: mutate(v, kind) for k, v in forms.items()}
    proof = prove(*family, wrong)
    assert not proof.ok
    for result, target in zip(proof.results, forms):
        if wrong[target] == forms[target]:
            assert result.ok
            continue
        assert not result.ok and result.counterexample is not None, result.detail
        assert _differs_from_torch(result.counterexample, wrong[target]), result.detail


def test_no_rotation_counterexample_reads_for_a_student():
    forms = general_forms(1, False, False, (1,), (1,))
    proof = prove(1, False, False, (1,), (1,), {**forms, "grad_input": mutate(forms["grad_input"], "no_rotation")})
    assert str(proof.counterexample) == ("at C_in = 1, C_out = 1, H = 2, K = 2, P = 0: ∂L/∂x[0,0,0] should contain "
                                         "g[0,0,0]·h[0,0,0] but the formula gives g[0,0,0]·h[0,0,1]")


def _gi(family):
    return general_forms(*family)["grad_input"]


def _gw(family):
    return general_forms(*family)["grad_weight"]


def _with_pad(form, widths):
    pad = form.data
    return replace(form, data=ops.Pad(pad.arg, widths))


def _dilation_one_axis(f):
    form = _gi(f)
    return replace(form, data=ops.Pad(ops.Dilate(form.data.arg.arg, (2, 1)), form.data.widths))


def _pad_one_axis(f):
    form = _gi(f)
    return _with_pad(form, (form.data.widths[0], (0, 0)))


def _low_side_only(f, which):
    form = (_gi if which == "input" else _gw)(f)
    return _with_pad(form, tuple((lo, 0) for lo, _ in form.data.widths))


def _symmetric(f):
    form = _gi(f)
    return _with_pad(form, tuple((lo, lo) for lo, _ in form.data.widths))


def _swap_across_groups(f):
    form = _gi(f)
    return replace(form, kernel=ops.Rot180(ops.SwapIO(ops.Tensor("h"), 1), f[0]))


def _ungrouped_correlation(f):
    return replace(_gi(f), groups=1)


def _exchanged_weight(f):
    form = _gw(f)
    return replace(form, stride=form.dilation, dilation=form.stride)


def _exchanged_input(f):
    form = _gi(f)
    data = form.data
    return replace(form, data=ops.Pad(ops.dilate(ops.Tensor("g"), form.dilation), data.widths),
                   dilation=data.arg.factors)


def _operands_swapped(f):
    form = _gw(f)
    return replace(form, data=form.kernel, kernel=form.data)


def _rotated_data(f):
    form = _gi(f)
    return replace(form, data=ops.Rot180(form.data, f[0]), kernel=form.kernel.arg)


def _padding_p(f):
    sym = Symbols(f[0], f[1])
    return _with_pad(_gi(f), tuple((p, p) for p in sym.P))


HAND_MADE = {
    "dilation on one axis only": ((2, False, False, (2, 2), (1, 1)), "grad_input", _dilation_one_axis),
    "padding on one axis only": ((2, False, False, (1, 1), (1, 1)), "grad_input", _pad_one_axis),
    "one side of the padding only (∂L/∂x)": ((1, False, False, (2,), (1,)), "grad_input",
                                             lambda f: _low_side_only(f, "input")),
    "one side of the padding only (∂L/∂h)": ((1, False, False, (2,), (1,)), "grad_weight",
                                             lambda f: _low_side_only(f, "weight")),
    "symmetric padding assumed": ((1, False, False, (2,), (2,)), "grad_input", _symmetric),
    "padding P instead of D(K-1)-P": ((1, False, False, (1,), (1,)), "grad_input", _padding_p),
    "swap across groups": ((1, True, False, (1,), (1,)), "grad_input", _swap_across_groups),
    "correlation across groups": ((2, True, False, (1, 2), (1, 1)), "grad_input", _ungrouped_correlation),
    "stride and dilation exchanged (∂L/∂h)": ((1, False, False, (2,), (1,)), "grad_weight", _exchanged_weight),
    "stride and dilation exchanged (∂L/∂x)": ((2, False, False, (2, 1), (3, 1)), "grad_input", _exchanged_input),
    "a doubled term (∂L/∂x)": ((1, False, False, (2,), (1,)), "grad_input", lambda f: (_gi(f), _gi(f))),
    "a doubled term (∂L/∂h)": ((2, True, False, (1, 1), (1, 1)), "grad_weight", lambda f: (_gw(f), _gw(f))),
    "operands of the weight gradient swapped": ((1, False, False, (1,), (1,)), "grad_weight", _operands_swapped),
    "data rotated instead of the kernel": ((1, False, False, (1,), (1,)), "grad_input", _rotated_data),
    "bias summed over channels too": ((2, True, True, (1, 1), (1, 1)), "grad_bias",
                                      lambda f: ops.SumAxes(ops.Tensor("g"), (0, 1, 2, 3))),
}


@needs_torch
@pytest.mark.parametrize("name", list(HAND_MADE))
def test_hand_made_wrong_forms_refuted(name):
    family, target, make = HAND_MADE[name]
    form = make(family)
    cex = _refuted(*family, target, form)
    assert _differs_from_torch(cex, form), str(cex)
    assert str(cex).startswith("at ")


def test_doubled_term_is_worded():
    family = (1, False, False, (2,), (1,))
    cex = _refuted(*family, "grad_input", (_gi(family), _gi(family)))
    assert cex.kind == "doubled" and cex.count == 2
    assert "the formula counts g[0,0,0]·h[0,0,0] in ∂L/∂x[0,0,0] 2 times" in str(cex)


def test_counterexamples_prefer_symmetric_padding():
    family = (1, False, False, (1,), (1,))
    cex = _refuted(*family, "grad_input", mutate(_gi(family), "pad_off_by_one"))
    assert all(lo == hi for lo, hi in cex.pads)


def test_affine_reading_of_operators():
    """The relation of pad(dilate(g, 2), ...) at one size is the NumPy evaluator's index map."""
    family = (1, False, False, (2,), (1,))
    form = _gi(family).data                     # pad(dilate(g, 2), (K - P - 1, H - 2H^o + P + 1))
    space, sym = index_space(1, False, (2,), (1,))
    sizes = {"N": 1, "C": 1, "O": 1, "K": 3, "P": 1, "Q": 1, "H": 5, "Ho": 3}
    fixed = space.set(": " + " and ".join(f"{k} = {v}" for k, v in sizes.items()))
    pairs = []
    rel = form.relation(space).intersect_params(fixed)
    rel.wrap().foreach_point(lambda p: pairs.append(tuple(
        p.get_coordinate_val(isl.dim_type.set, k).to_python() for k in range(8))))
    values = {sym.N: 1, sym.G: 1, sym.C: 1, sym.O: 1, sym.K[0]: 3, sym.P[0]: 1, sym.H[0]: 5, sym.Ho[0]: 3}
    g = np.arange(1, 4).reshape(1, 1, 3)
    out = form.evaluate({"g": g}, values)[0, 0]
    # Entry j of the result holds g[0, 0, i] exactly where the relation says so.
    assert sorted((p[3], p[7] + 1) for p in pairs) == [(j, int(v)) for j, v in enumerate(out) if v]


def test_unsupported_expressions_are_named():
    H, K = sp.symbols("H K", integer=True)
    with pytest.raises(UnsupportedError, match=r"^H\*K is not affine"):
        aff(H * K, {H: "H", K: "K"})
    # Not proved, not refuted: a dilation that is a symbol is outside Presburger arithmetic here.
    form = replace(_gi((1, False, False, (1,), (1,))), data=ops.Dilate(ops.Tensor("g"), (sp.Symbol("M"),)))
    proof = prove(1, False, False, (1,), (1,), {**general_forms(1, False, False, (1,), (1,)), "grad_input": form})
    result = proof.results[0]
    assert not proof.ok and result.counterexample is None
    assert result.detail == "M in M is neither an isl parameter nor a fixed number"


def test_small_sweep():
    result = sweep(ndims=(1,), values=(1, 2))
    assert result.ok and len(result.proofs) == len(families((1,), (1, 2))) == 16
