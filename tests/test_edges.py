"""Configurations at the edges, found by people who did not write the code: one output position with a
padding wider than the kernel, an empty batch, printed forms that could mean two things, oracles that must
not borrow symconv's own padding, and mutants that are no mutants."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pytest
import sympy as sp

from symconv import ConvSpec, DerivationError, SpecError, derive
from symconv.derivation import ops
from symconv.cli import main
from symconv.proof.mutants import mutate_derivation
from symconv.numeric import conv

from conftest import needs_torch, random_arrays, torch_grads


def naive_grads(spec: ConvSpec, x: np.ndarray, h: np.ndarray, g: np.ndarray) -> dict[str, np.ndarray]:
    """The definition, loop by loop (1-D, one group): y[n,o,i] = Σ_{c,a} x[n,c,S·i + D·a − P] h[o,c,a]."""
    (lo, _), = spec.pads
    (S,), (D,) = spec.stride, spec.dilation
    gx, gh = np.zeros_like(x), np.zeros_like(h)
    for n, o, i, c, a in itertools.product(*(range(v) for v in (x.shape[0], h.shape[0], g.shape[2],
                                                                 x.shape[1], h.shape[2]))):
        j = S * i + D * a - lo
        if 0 <= j < x.shape[2]:
            gx[n, c, j] += g[n, o, i] * h[o, c, a]
            gh[o, c, a] += g[n, o, i] * x[n, c, j]
    return {"grad_input": gx, "grad_weight": gh}


def test_pad_with_a_crop_wider_than_the_array():
    a = np.arange(1, 4).reshape(1, 1, 3)
    t = ops.Tensor("a")
    cases = {(-2, 2): [3, 0, 0], (-5, 4): [0, 0], (1, -2): [0, 1], (-4, 2): [0], (0, -3): [], (-3, 3): [0, 0, 0]}
    for widths, want in cases.items():
        got = ops.pad(t, (widths,)).evaluate({"a": a})
        assert got.shape == (1, 1, len(want)), widths
        assert got.reshape(-1).tolist() == want, widths


def test_one_output_position_with_a_wide_padding():
    # 1-D, K=1, S=5, P=2, H=1: a single output; dL/dx once came back with shape (1, 1, 2).
    spec = ConvSpec(1, 1, 1, stride=5, padding=2, ndim=1)
    x, h = np.array([[[3.0]]]), np.array([[[7.0]]])
    g = np.ones_like(conv(x, h, spec))
    got = derive(spec).evaluate(x, h, g)
    assert got["grad_input"].shape == x.shape and got["grad_weight"].shape == h.shape
    np.testing.assert_array_equal(got["grad_input"], [[[0.0]]])      # y = 0·x: x meets no kernel tap
    np.testing.assert_array_equal(got["grad_weight"], [[[0.0]]])


@pytest.mark.parametrize("K,S,P,D", [(1, 5, 2, 1), (2, 3, 3, 1), (1, 8, 5, 1), (2, 2, 4, 2), (3, 7, 5, 1)])
def test_one_output_position_matches_the_definition(K, S, P, D):
    spec = ConvSpec(2, 3, K, stride=S, padding=P, dilation=D, ndim=1)
    rng = np.random.default_rng(K * 100 + S * 10 + P)
    for H in range(1, 6):
        try:
            out = spec.output_size((H,))
        except SpecError:
            continue
        x, h = rng.integers(-5, 6, (2, 2, H)), rng.integers(-5, 6, (3, 2, K))
        g = rng.integers(-5, 6, (2, 3) + out)
        got, want = derive(spec).evaluate(x, h, g), naive_grads(spec, x, h, g)
        for name in want:
            assert got[name].shape == want[name].shape, (H, name)
            np.testing.assert_array_equal(got[name], want[name], err_msg=f"H={H} {name}")


def test_derive_proves_at_one_output_position(monkeypatch):
    """derive()'s own proofs must see a crop wider than the data: with the old Pad (which cropped the
    array, then padded) they must refuse the closed forms."""
    def old_pad(self, env, sizes=None):
        a = self.arg.evaluate(env, sizes)
        ws = [(ops._int(lo, sizes or {}), ops._int(hi, sizes or {})) for lo, hi in self.widths]
        lead = ops._spatial(a, len(ws))
        a = a[lead + tuple(slice(max(-lo, 0), n - max(-hi, 0)) for (lo, hi), n in zip(ws, a.shape[len(lead):]))]
        out = ops._zeros(a.shape[:len(lead)] + tuple(n + max(lo, 0) + max(hi, 0) for (lo, hi), n
                                                      in zip(ws, a.shape[len(lead):])), a)
        out[lead + tuple(slice(max(lo, 0), max(lo, 0) + n) for (lo, _), n in zip(ws, a.shape[len(lead):]))] = a
        return out
    monkeypatch.setattr(ops.Pad, "evaluate", old_pad)
    from symconv.proof import attach
    attach.evaluator_checks.cache_clear()
    with pytest.raises(DerivationError, match="failed their exact proof"):
        derive(ConvSpec(1, 1, 1, stride=5, padding=2, ndim=1))
    attach.evaluator_checks.cache_clear()


@pytest.mark.parametrize("spec", [ConvSpec(2, 4, 3, padding=1, groups=2, bias=True),
                                  ConvSpec(3, 2, 2, stride=2, ndim=1, bias=True),
                                  ConvSpec(1, 2, (1, 2, 1), padding="same", ndim=3)], ids=str)
def test_empty_batch(spec):
    size = (5,) * spec.ndim
    x = np.zeros((0, spec.in_channels) + size)
    h = np.ones((spec.out_channels, spec.in_channels // spec.groups) + spec.kernel_size)
    g = np.ones((0, spec.out_channels) + spec.output_size(size))
    got = derive(spec).evaluate(x, h, g)
    assert got["grad_input"].shape == x.shape
    np.testing.assert_array_equal(got["grad_weight"], np.zeros_like(h))
    if spec.bias:
        np.testing.assert_array_equal(got["grad_bias"], np.zeros(spec.out_channels))
    exact = derive(spec).evaluate(x.astype(object), np.full(h.shape, sp.Integer(1), dtype=object),
                                  g.astype(object))
    assert all(v is sp.S.Zero for v in exact["grad_weight"].reshape(-1))


@needs_torch
def test_empty_batch_against_torch():
    spec = ConvSpec(4, 4, 3, padding="same", groups=4, bias=True)      # PyTorch's depthwise zero-batch case
    x, h, g, b = random_arrays(spec, (6, 6), batch=0)
    got, want = derive(spec).evaluate(x, h, g), torch_grads(spec, x, h, g, b)
    for name in want:
        assert got[name].shape == want[name].shape
        np.testing.assert_allclose(got[name], want[name])


def _forms():
    for nd, k, s, p, d, grouped in itertools.product((1, 2), (1, 2, 3, 4, (3, 2), (2, 4)), (1, 2, 3, (2, 1)),
                                                     (0, 1, 2, "same", "full", (1, 0)), (1, 2), (False, True)):
        if nd == 1 and any(isinstance(v, tuple) for v in (k, s, p)):
            continue
        try:
            spec = ConvSpec(2 + 2 * grouped, 2 + 2 * grouped, k, stride=s, padding=p, dilation=d,
                            groups=1 + grouped, ndim=nd)
        except SpecError:
            continue
        yield from ((nd, f) for f in derive(spec, prove=False).closed_forms.values())


def test_distinct_forms_print_differently():
    """Within one spatial rank (the rank is the context a form is read in), one text, one form."""
    by_text: dict[tuple[int, str], ops.Expr] = {}
    by_latex: dict[tuple[int, str], ops.Expr] = {}
    for nd, form in _forms():
        for seen, text in ((by_text, str(form)), (by_latex, form.to_latex())):
            assert seen.setdefault((nd, text), form) == form, f"{text!r} stands for two forms"
    assert len(by_text) > 100


def test_pad_widths_and_remainders_read_one_way():
    g, H = ops.Tensor("g"), sp.Symbol("H")
    per_axis = ops.pad(g, ((2, 2), (1, 1)))
    pair = ops.pad(g, ((2, 1), (2, 1)))
    assert str(per_axis) == "pad(g, ((2, 2), (1, 1)))" and str(pair) == "pad(g, (2, 1))"
    assert per_axis.to_latex() != pair.to_latex()
    negated = ops.pad(g, ((0, -sp.Mod(H, 2)),))
    of_negative = ops.pad(g, ((0, sp.Mod(-H, 2)),))
    assert str(negated) == "pad(g, (0, -(H mod 2)))"
    assert str(negated) != str(of_negative)
    assert r"- \left(H \bmod 2\right)" in negated.to_latex()
    assert negated.to_latex() != of_negative.to_latex()
    assert str(ops.pad(g, ((0, sp.Mod(H, 2)),))) == "pad(g, (0, H mod 2))"


def test_mutant_that_changes_nothing_is_refused(capsys):
    assert main(["verify", "--mutant", "no_dilation"]) == 2             # stride 1: nothing to drop
    assert "no dilation to drop" in capsys.readouterr().err
    assert main(["verify", "--mutant", "no_swap", "--in-channels", "1", "--out-channels", "1",
                 "--kernel-size", "1", "--padding", "0"]) == 2           # structurally changed, same values
    assert "no mutant here" in capsys.readouterr().err
    assert main(["verify", "--mutant", "no_dilation", "--stride", "2"]) == 1
    assert main(["verify", "--mutant", "no_rotation", "--kernel-size", "1", "--padding", "0"]) == 2
    assert "no mutant here" in capsys.readouterr().err                  # a 1x1 kernel has nothing to rotate
    with pytest.raises(SpecError, match="^--mutant no_dilation does not change"):
        mutate_derivation(derive(ConvSpec(2, 2, 3), prove=False), "no_dilation")


def test_no_dilation_mutant_reaches_the_weight_gradient():
    d = derive(ConvSpec(2, 2, 3, stride=2, padding=1), prove=False)
    m = mutate_derivation(d, "no_dilation")
    assert "dilation" not in str(m.grad_weight) and "dilation=2" in str(d.grad_weight)


@needs_torch
@pytest.mark.filterwarnings("ignore:Using padding='same'")
@pytest.mark.parametrize("padding", ["same", "valid", "full", 2, (1, 0)])
def test_torch_method_uses_torchs_own_padding(padding, monkeypatch):
    """verify --method torch hands PyTorch the padding as the user wrote it, not symconv's widths."""
    import torch
    seen = []
    real = torch.nn.functional.conv2d

    def spy(*args, **kwargs):
        seen.append(kwargs.get("padding"))
        return real(*args, **kwargs)
    monkeypatch.setattr(torch.nn.functional, "conv2d", spy)
    spec = ConvSpec(2, 2, (4, 3), padding=padding)
    from symconv import verify
    assert verify(spec, (6, 7), method="torch").ok
    want = {"full": (3, 2), 2: (2, 2)}.get(padding, padding)
    assert seen == [want]


def test_json_alone_writes_no_files(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["derive", "--json", "--no-pdf"]) == 0
    assert json.loads(capsys.readouterr().out)["closed_forms"]
    assert list(tmp_path.iterdir()) == []
    assert main(["derive", "--json", "--no-pdf", "--out", "here"]) == 0
    assert sorted(p.suffix for p in (tmp_path / "here").iterdir()) == [".md", ".svg", ".tex"]


def test_derive_seed_check_fits_any_kernel(tmp_path):
    """The seed's formulas were checked on a fixed 4x4 input: a 5x5 kernel without padding did not fit."""
    assert main(["derive", "--kernel-size", "5", "--padding", "0", "--no-pdf", "--out", str(tmp_path)]) == 0


@pytest.mark.parametrize("args,message", [
    (["--method", "finite-difference", "--input-size", "100", "--in-channels", "4"], "over the limit of 20,000"),
    (["--input-size", "56", "--batch", "8", "--in-channels", "64", "--out-channels", "64"],
     "924,844,032 monomials per gradient, over the limit"),
    (["--jobs", "2"], "^symconv: error: --jobs: only --sweep"),
])
def test_verify_refuses_impossible_work_at_once(args, message, capsys, monkeypatch):
    monkeypatch.setattr("symconv.derivation.forms.derive_forms", lambda *a, **k: pytest.fail("work started"))
    assert main(["verify"] + args) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and __import__("re").search(message, err)
