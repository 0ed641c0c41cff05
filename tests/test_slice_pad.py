"""Strided slicing and constant padding: ∂L/∂x derived by the engine (pad(dilate(g, S), ...) and a crop),
compared with PyTorch autograd (float64)."""

from __future__ import annotations

import numpy as np
import pytest

from symconv.derivation.forms import derive_unary_forms, derive_unary_general
from symconv.derivation.spec import PadSpec, SliceSpec
from symconv.errors import SpecError

from conftest import needs_torch
from data.torch_slice_pad_configs import PADS, SLICES


def _torch_grad(spec, x, g):
    import torch
    tx = torch.tensor(x, requires_grad=True)
    if spec.op == "slice":
        y = tx[(slice(None), slice(None)) + tuple(slice(a, b, s) for a, b, s in zip(spec.start, spec.stop,
                                                                                    spec.step))]
    else:
        y = torch.nn.functional.pad(tx, [w for pair in reversed(spec.pads) for w in pair])
    assert tuple(y.shape) == g.shape
    (y * torch.tensor(g)).sum().backward()
    return tx.grad.numpy()


CASES = [(f"{src}{list(pads)}", PadSpec(len(shape) - 2, pads), shape) for src, shape, pads in PADS] + [
    (f"{src}[{a}:{b}:{s}]", SliceSpec(len(shape) - 2, start=a, stop=b, step=s), shape)
    for src, shape, a, b, s in SLICES]


@needs_torch
@pytest.mark.parametrize("name, spec, shape", CASES, ids=[c[0] for c in CASES])
def test_matches_torch_autograd(name, spec, shape):
    rng = np.random.default_rng(1)
    x = rng.standard_normal(shape)
    g = rng.standard_normal(shape[:2] + spec.output_size(shape[2:]))
    got = derive_unary_forms(spec).evaluate(x, g)["grad_input"]
    np.testing.assert_array_equal(got, _torch_grad(spec, x, g))


@pytest.mark.parametrize("spec, form", [
    (SliceSpec(1, start=1, step=2), "pad(dilate(g, 2), (1, H mod 2))"),
    (SliceSpec(1, start=3, stop=10, step=4), "pad(dilate(g, 4), (3, H - 8))"),
    (SliceSpec(2, start=(0, 2), stop=(5, None), step=(3, 2)),
     "pad(dilate(g, (3, 2)), ((0, H_1 - 4), (2, (H_2 + 1) mod 2)))"),
    (PadSpec(2, ((3, 4), (1, 2))), "pad(g, ((-3, -4), (-1, -2)))"),
    (PadSpec(1, 2), "pad(g, -2)"),
])
def test_closed_forms(spec, form):
    # Slicing's backward is pad(dilate(g, S)) (the step's zeros, the start before, the remainder after);
    # padding's is a crop.
    assert str(derive_unary_forms(spec).grad_input) == form


def test_general_forms_and_steps():
    s = derive_unary_general("slice", 1)
    assert str(s.closed["grad_input"]) == "pad(dilate(g, S), (P, H - H^o*S - P + S - 1))"
    assert [st.key for st in s.steps] == ["definition_y_slice", "definition_L", "differentiate", "eliminate_deltas",
                                          "absorb_stride", "offset_to_padding", "recognise"]
    p = derive_unary_general("pad", 1)
    assert str(p.closed["grad_input"]) == "pad(g, (-P, H - H^o + P))"
    assert [st.key for st in p.steps][-3:] == ["shift_index", "offset_to_padding", "recognise"]


def test_exact_evaluation():
    import sympy as sp
    spec = SliceSpec(1, start=1, step=2)
    x = np.array([[[sp.Integer(v) for v in range(7)]]], dtype=object)
    g = np.array([[[sp.Rational(1, 3), sp.Integer(2), sp.Integer(-1)]]], dtype=object)
    got = derive_unary_forms(spec).evaluate(x, g)["grad_input"]
    assert got.tolist() == [[[0, sp.Rational(1, 3), 0, 2, 0, -1, 0]]]


@pytest.mark.parametrize("make, message", [
    (lambda: SliceSpec(1, start=3, stop=2), r"^stop must be larger than start"),
    (lambda: SliceSpec(1, step=0), r"^step must be a positive integer"),
    (lambda: SliceSpec(1, start=-1), r"^start must be a non-negative integer"),
    (lambda: SliceSpec(1, stop=9).output_size((5,)), r"^stop: the input \(5\) is shorter than stop \(9\)"),
    (lambda: PadSpec(1, ((1, -1),)), r"^pads must be a non-negative integer"),
])
def test_specs_refuse(make, message):
    with pytest.raises(SpecError, match=message):
        make()
