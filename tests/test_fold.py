"""unfold (im2col) and fold (col2im): ∂L/∂x derived by the engine (fold(g) and unfold(g)), compared with
PyTorch autograd (float64) on PyTorch's own configurations (tests/data/torch_fold_configs.py), with plain
loops in 1-D and 3-D (PyTorch has 2-D only), proved for every size, mutants refuted, and the CLI."""

from __future__ import annotations

import dataclasses
import itertools
import json
import subprocess
import sys

import numpy as np
import pytest

from symconv.derivation import ops
from symconv.derivation.engine import Context
from symconv.derivation.index import Factor, Term
from symconv.derivation.ops_fold import Fold, Unfold, flatten_columns, unflatten_columns
from symconv.derivation.spec_fold import FoldSpec, UnfoldSpec
from symconv.derivation.unfold import derive_fold_forms, derive_general
from symconv.errors import DerivationError, SpecError
from symconv.proof import presburger
from symconv.proof.claims_fold import prove_fold_claim
from symconv.proof.mutants import FOLD_KINDS, mutate
from symconv.proof.presburger_fold import families, general_form, prove, sweep

from conftest import needs_torch
from data.torch_fold_configs import CONFIGS, REJECTED


# ------------------------------------------------------------------------------------- independent loops

def unfold_by_loops(x, kernel, stride, dilation, padding):
    """y[n, c, a, i] = x[n, c, S·i + D·a − P] (zero outside), by loops over every index: the definition."""
    size = x.shape[2:]
    blocks = [(n + 2 * p - d * (k - 1) - 1) // s + 1 for n, k, s, d, p in zip(size, kernel, stride, dilation,
                                                                              padding)]
    y = np.zeros(x.shape[:2] + tuple(kernel) + tuple(blocks), dtype=x.dtype)
    for idx in np.ndindex(*y.shape):
        n, c, a, i = idx[0], idx[1], idx[2:2 + len(kernel)], idx[2 + len(kernel):]
        j = [s * ii + d * aa - p for s, ii, d, aa, p in zip(stride, i, dilation, a, padding)]
        if all(0 <= jj < nn for jj, nn in zip(j, size)):
            y[idx] = x[(n, c) + tuple(j)]
    return y


def fold_by_loops(y, size, stride, dilation, padding):
    """out[n, c, j] = Σ y[n, c, a, i] over S·i + D·a − P = j, by loops: the definition."""
    d = len(size)
    out = np.zeros(y.shape[:2] + tuple(size), dtype=y.dtype)
    for idx in np.ndindex(*y.shape):
        a, i = idx[2:2 + d], idx[2 + d:]
        j = [s * ii + dd * aa - p for s, ii, dd, aa, p in zip(stride, i, dilation, a, padding)]
        if all(0 <= jj < nn for jj, nn in zip(j, size)):
            out[idx[:2] + tuple(j)] += y[idx]
    return out


# ---------------------------------------------------------------------------------------------- the specs

@pytest.mark.parametrize("make, message", [
    (lambda: UnfoldSpec(2, kernel_size=0), r"^kernel_size must be a positive integer"),
    (lambda: UnfoldSpec(2, kernel_size=2, stride=0), r"^stride must be a positive integer"),
    (lambda: UnfoldSpec(2, kernel_size=2, dilation=0), r"^dilation must be a positive integer"),
    (lambda: UnfoldSpec(2, kernel_size=2, padding=-1), r"^padding must be a non-negative integer"),
    (lambda: UnfoldSpec(2, kernel_size=(2, 2, 2)), r"^kernel_size must be a positive integer or one per"),
    (lambda: UnfoldSpec(4, kernel_size=2), r"^ndim must be 1, 2 or 3"),
    (lambda: FoldSpec(2, output_size=0, kernel_size=1), r"^output_size must be a positive integer"),
    (lambda: FoldSpec(2, output_size=1, kernel_size=3), r"^output_size: \(1, 1\) .* leaves no sliding block"),
    (lambda: UnfoldSpec(2, kernel_size=6).output_size((5, 5)), r"^input size: \(5, 5\) .* leaves no sliding"),
])
def test_specs_refuse_what_pytorch_refuses(make, message):
    with pytest.raises(SpecError, match=message):
        make()


def test_spec_sizes_are_pytorchs():
    assert UnfoldSpec(2, kernel_size=(2, 3), dilation=(1, 2), padding=(1, 0), stride=(2, 1)).output_size(
        (6, 7)) == (4, 3)
    spec = FoldSpec(2, output_size=(4, 5), kernel_size=(2, 3), dilation=(1, 2), padding=(2, 0), stride=(2, 2))
    assert spec.blocks == (4, 1)          # test_fold_invalid_arg's comment: "4 * 1 = 4 sliding blocks"
    assert spec.input_view((1, 6, 4)) == (1, 1, 2, 3, 4, 1)
    assert FoldSpec(2, output_size=3, kernel_size=2).input_view((16, 4)) == (1, 4, 2, 2, 2, 2)   # unbatched
    assert dataclasses.replace(spec, stride=1).blocks == (7, 1) and hash(spec) == hash(FoldSpec(2, (4, 5), (2, 3),
                                                                                               (1, 2), (2, 0), 2))


@pytest.mark.parametrize("c", REJECTED, ids=[f"{c.test}-{c.input_shape}" for c in REJECTED])
def test_pytorchs_rejected_configurations_are_refused(c):
    with pytest.raises(SpecError):
        _spec(c).input_view(c.input_shape)


# ----------------------------------------------------------------------------- the reshape, on its own

@needs_torch
@pytest.mark.parametrize("kernel, dilation, padding, stride", [((2, 3), (1, 2), (1, 0), (2, 1)), (3, 1, 1, 2)])
def test_flat_and_unflattened_columns_are_one_reshape(kernel, dilation, padding, stride):
    """PyTorch's (N, C·∏K, ∏L) is the unflattened (N, C, K..., L...) in C order, and back: a bijection."""
    import torch
    x = np.arange(2 * 3 * 6 * 7, dtype=np.float64).reshape(2, 3, 6, 7)
    spec = UnfoldSpec(2, kernel_size=kernel, dilation=dilation, padding=padding, stride=stride)
    blocks = spec.output_size((6, 7))
    flat = torch.nn.functional.unfold(torch.tensor(x), kernel, dilation, padding, stride).numpy()
    view = unflatten_columns(flat, spec.kernel_size, blocks)
    assert view.shape == (2, 3) + spec.kernel_size + blocks
    # Column (c·K1 + a1)·K2 + a2, block i1·L2 + i2, entry by entry:
    for n, c, a1, a2, i1, i2 in itertools.product(range(2), range(3), *map(range, spec.kernel_size + blocks)):
        col = (c * spec.kernel_size[0] + a1) * spec.kernel_size[1] + a2
        assert view[n, c, a1, a2, i1, i2] == flat[n, col, i1 * blocks[1] + i2]
    assert np.array_equal(flatten_columns(view, 2), flat)


def test_unflatten_refuses_a_shape_that_is_not_columns():
    with pytest.raises(ValueError, match="are not"):
        unflatten_columns(np.zeros((1, 5, 9)), (2, 3), (3, 3))


# ------------------------------------------------------------------------------------------ the operators

CASES_1_3D = [(1, (3,), (2,), (1,), (1,), (9,)), (1, (2,), (1,), (3,), (2,), (5,)),
              (3, (2, 1, 2), (1, 2, 1), (2, 1, 1), (0, 1, 1), (4, 3, 5))]


@pytest.mark.parametrize("ndim, kernel, stride, dilation, padding, size", CASES_1_3D)
def test_operators_equal_the_loops_in_1d_and_3d(ndim, kernel, stride, dilation, padding, size):
    rng = np.random.default_rng(3)
    x = rng.integers(-9, 10, (2, 2) + size).astype(object)
    want = unfold_by_loops(x, kernel, stride, dilation, padding)
    got = Unfold(ops.Tensor("x"), kernel, stride, dilation, padding).evaluate({"x": x})
    assert got.shape == want.shape and (got == want).all()
    y = rng.integers(-9, 10, want.shape).astype(object)
    back = Fold(ops.Tensor("y"), size, kernel, stride, dilation, padding).evaluate({"y": y})
    assert (back == fold_by_loops(y, size, stride, dilation, padding)).all()


@pytest.mark.parametrize("ndim, kernel, stride, dilation, padding, size", CASES_1_3D + [
    (2, (3, 2), (2, 3), (2, 1), (2, 0), (7, 6))])
def test_unfold_and_fold_are_adjoints_exactly(ndim, kernel, stride, dilation, padding, size):
    """⟨unfold(x), y⟩ = ⟨x, fold(y)⟩ on integers, exactly."""
    rng = np.random.default_rng(5)
    x = rng.integers(-50, 51, (2, 3) + size).astype(object)
    ux = Unfold(ops.Tensor("x"), kernel, stride, dilation, padding).evaluate({"x": x})
    y = rng.integers(-50, 51, ux.shape).astype(object)
    fy = Fold(ops.Tensor("y"), size, kernel, stride, dilation, padding).evaluate({"y": y})
    assert (ux * y).sum() == (x * fy).sum()


def test_fold_refuses_columns_of_another_block_count():
    with pytest.raises(ValueError, match="takes kernel and block axes"):
        Fold(ops.Tensor("y"), (5,), (2,), (1,), (1,), (0,)).evaluate({"y": np.zeros((1, 1, 2, 3))})


# -------------------------------------------------------------------------------------------- derivation

def test_engine_derives_fold_and_unfold():
    assert str(derive_general("unfold", 1).closed["grad_input"]) == "fold(g, H, K, stride=S, dilation=D, padding=P)"
    assert str(derive_general("fold", 1).closed["grad_input"]) == "unfold(g, K, stride=S, dilation=D, padding=P)"
    keys = [st.key for st in derive_general("fold", 2).steps]
    # the sum over the image index is read off a delta (shift_index's rule, worded as slicing's: no stride)
    assert keys == ["definition_y_fold", "definition_L", "differentiate", "eliminate_deltas", "read_off_delta",
                    "read_off_delta", "window_to_unfold", "recognise"]
    assert [st.key for st in derive_general("unfold", 3).steps][-2:] == ["windows_to_fold", "recognise"]


def test_a_wrong_rule_fails_its_check(monkeypatch):
    """The added rules are checked when taken: a windows_to_fold whose fold misses the first position's
    windows is caught at that step."""
    from symconv.derivation import unfold

    class Missing(Fold):
        def evaluate(self, env, sizes=None):
            out = super().evaluate(env, sizes).copy()
            out[..., 0] = 0
            return out
    monkeypatch.setattr(unfold, "Fold", Missing)
    monkeypatch.setattr(unfold, "_load", lambda key: None)
    monkeypatch.setattr(unfold, "_store", lambda key, value: None)
    with pytest.raises(DerivationError, match="^step 'windows_to_fold' of grad_input failed its check"):
        unfold.derive_general.__wrapped__("unfold", 1, seed=1)


def _spec(c):
    ndim = 2
    window = dict(kernel_size=c.kernel_size, dilation=c.dilation, padding=c.padding, stride=c.stride)
    return UnfoldSpec(ndim, **window) if c.kind == "unfold" else FoldSpec(ndim, c.output_size, **window)


def _torch_grad(c, x):
    import torch
    tx = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    args = dict(kernel_size=c.kernel_size, dilation=c.dilation, padding=c.padding, stride=c.stride)
    y = torch.nn.functional.unfold(tx, **args) if c.kind == "unfold" else \
        torch.nn.functional.fold(tx, c.output_size, **args)
    g = np.random.default_rng(2).standard_normal(tuple(y.shape))
    (y * torch.tensor(g)).sum().backward()
    return g, tx.grad.numpy()


@needs_torch
@pytest.mark.parametrize("c", CONFIGS, ids=[f"{c.test}-{c.kind}-{c.input_shape}-k{c.kernel_size}-d{c.dilation}"
                                             f"-p{c.padding}-s{c.stride}" for c in CONFIGS])
def test_matches_torch_autograd_on_pytorchs_configurations(c):
    """Every configuration of PyTorch's own tests (common_nn, OpInfo sample inputs, test_nn, test_pooling):
    the derived ∂L/∂x equals autograd's in float64, the columns through the stated reshape."""
    spec = _spec(c)
    view = spec.input_view(c.input_shape)
    x = np.random.default_rng(1).standard_normal(c.input_shape)
    g, want = _torch_grad(c, x)
    d = derive_fold_forms(spec)
    if c.kind == "unfold":
        g_view = unflatten_columns(g.reshape((view[0],) + g.shape[-2:]), spec.kernel_size,
                                   spec.output_size(view[2:]))
        got = d.evaluate(x.reshape(view), g_view)["grad_input"]
    else:
        got = flatten_columns(d.evaluate(x.reshape(view), g.reshape(view[:2] + spec.output_size_))["grad_input"],
                              2)
    assert np.allclose(got.reshape(want.shape), want, rtol=1e-12, atol=1e-12)


# ----------------------------------------------------------------------------------------------- proofs

def test_general_forms_proved_for_every_size():
    for family in families((1, 2)):
        proof = prove(family[3], *family[:3])
        assert proof.ok, (family, proof.results[0].detail)
    assert "K, P" in prove("fold", 2, (2, 1), (1, 3)).statement


@pytest.mark.parametrize("kind, op", [("fold_padding_off_by_one", "unfold"),
                                      ("unfold_stride_dilation_swapped", "fold"),
                                      ("missing_window", "unfold"), ("missing_window", "fold")])
def test_mutants_are_refuted_with_a_witnessed_counterexample(kind, op):
    form = mutate(general_form(op, 1, (2,), (1,)), kind)
    assert form != general_form(op, 1, (2,), (1,))
    proof = prove(op, 1, (2,), (1,), {"grad_input": form})
    assert not proof.ok and proof.counterexample is not None    # a counterexample only when witnessed
    cx = proof.counterexample
    assert cx.op == op and cx.sizes["N"] == 1 and cx.sizes["C"] == 1


def test_missing_window_counterexample_is_the_smallest_and_reads():
    proof = prove("unfold", 1, (2,), (1,), {"grad_input": mutate(general_form("unfold", 1, (2,), (1,)),
                                                                 "missing_window")})
    assert str(proof.counterexample) == ("at C = 1, H = 1, K = 1, P = 0, blocks = 1: ∂L/∂x[0,0,0] should "
                                         "contain g[0,0,0,0] but the formula gives 0")


def test_mutant_sweep_fails_every_family_it_changes():
    r = sweep(ndims=(1,), mutant="unfold_stride_dilation_swapped", ops_=("fold",))
    changed = [p for p in r.proofs if p.stride != p.dilation]
    assert changed and all(not p.ok for p in changed) and all(p.ok for p in r.proofs if p.stride == p.dilation)
    assert set(FOLD_KINDS) == {"fold_padding_off_by_one", "unfold_stride_dilation_swapped", "missing_window"}


def test_sweep_names_unfold_and_fold():
    r = sweep(ndims=(1,), ops_=("unfold", "fold"))
    assert r.ok and {p.op for p in r.proofs} == {"unfold", "fold"} and len(r.proofs) == 18


@pytest.mark.parametrize("spec, claim, verdict", [
    (UnfoldSpec(2, kernel_size=3, padding=1, stride=2), "fold(g, (H_1, H_2), 3, stride=2, padding=1)", "proved"),
    (UnfoldSpec(2, kernel_size=3, padding=1, stride=2), "fold(g, (H_1, H_2), 3, padding=1)", "refuted"),
    (FoldSpec(1, output_size=7, kernel_size=2, dilation=2), "unfold(g, 2, dilation=2)", "proved"),
    (FoldSpec(1, output_size=7, kernel_size=2, dilation=3, stride=2), "unfold(g, 2, stride=3, dilation=2)",
     "refuted"),
])
def test_claims(spec, claim, verdict):
    assert prove_fold_claim(spec, claim).verdict == verdict


def test_claim_of_other_tensors_is_refused():
    from symconv.proof.grammar import ClaimError
    with pytest.raises(ClaimError, match="reads h"):
        prove_fold_claim(UnfoldSpec(1, kernel_size=2), "correlate(g, h)")


# -------------------------------------------------------------------------------------------------- CLI

def run(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "symconv", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=600)


def test_cli_derive_json_names_form_and_wrt(tmp_path):
    r = run("derive", "--op", "fold", "--output-size", "4,5", "--kernel-size", "2", "--padding", "0", "--json",
            "--no-pdf", "--out", str(tmp_path))
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    assert data["closed_forms"]["grad_input"] == {"form": "unfold(g, 2)", "latex": data["closed_forms"][
        "grad_input"]["latex"], "wrt": "x"}
    assert data["spec"]["blocks"] == [3, 4] and data["proof"]["ok"]
    r = run("verify", "--op", "fold", "--output-size", "4,5", "--kernel-size", "2", "--padding", "0",
            "--claim", data["closed_forms"]["grad_input"]["form"], "--wrt", "x")
    assert r.returncode == 0 and "proved" in r.stdout


def test_cli_report_en_zh(tmp_path):
    for lang in ("en", "zh"):
        r = run("derive", "--op", "unfold", "--kernel-size", "2", "--stride", "2", "--padding", "1", "--no-pdf",
                "--lang", lang, "--out", str(tmp_path))
        assert r.returncode == 0, r.stderr
    en = (tmp_path / "unfold_backward_2d_k2_s2_p1_d1.md").read_text()
    zh = (tmp_path / "unfold_backward_2d_k2_s2_p1_d1_zh.md").read_text()
    assert "fold(g, (H_1, H_2), 2, stride=2, padding=1)" in en and "PyTorch's F.unfold" in en
    assert "滑动块" in zh
    assert en.startswith(r"# Backward pass of unfold, im2col \(2\-D, 2×2 kernel, stride 2, padding 1\)")
    r = run("derive", "--op", "unfold", "--kernel-size", "2", "--no-pdf", "--out", str(tmp_path))   # as PyTorch:
    assert r.stdout.startswith("dL/dx = fold(g, (H_1, H_2), 2)\n")                             # padding 0


def test_unfold_and_fold_default_to_pytorchs_padding_0(tmp_path):
    r = run("derive", "--op", "fold", "--output-size", "4,5", "--kernel-size", "2", "--no-pdf", "--out", str(tmp_path))
    assert r.returncode == 0 and r.stdout.startswith("dL/dx = unfold(g, 2)\n"), r.stdout + r.stderr


@pytest.mark.parametrize("args, message", [
    (("derive", "--op", "fold"), "--output-size: --op fold needs"),
    (("derive", "--op", "unfold", "--output-size", "3"), "--output-size: only with --op fold"),
    (("derive", "--op", "unfold", "--kernel-size", "0"), "kernel_size must be a positive integer"),
    (("derive", "--op", "fold", "--output-size", "1", "--padding", "0"), "leaves no sliding block"),
    (("derive", "--op", "unfold", "--groups", "2"), "--groups: not with --op unfold"),
    (("verify", "--op", "unfold", "--claim", "fold(g, H, 3)", "--wrt", "h"), "--wrt h: unfold has one input"),
    (("verify", "--op", "unfold"), "--op unfold: verify it with --claim"),
])
def test_cli_refusals_are_one_line(args, message):
    r = run(*args, "--no-pdf") if args[0] == "derive" else run(*args)
    assert r.returncode == 2 and message in r.stderr and "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


def test_cli_all_sizes_mutant_runs_on_its_operator():
    r = run("verify", "--sweep", "--all-sizes", "--sweep-ndim", "1", "--mutant", "missing_window", "--json")
    data = json.loads(r.stdout)
    assert r.returncode == 1 and set(data["by_op"]) == {"unfold", "fold"} and data["proved"] == 0
    assert data["failures"][0]["family"] == "unfold 1d stride=(1,) dilation=(1,)"
    assert data["failures"][0]["counterexample"].startswith("at C = 1, H = 1, K = 1, P = 0, blocks = 1: ")


def test_a_refutation_too_large_to_witness_is_undecided_not_evaluated():
    """unfold(g, 1000, padding=4000) at the smallest sizes would build ~10^13 entries: no witness, so no
    refutation (and no gigabytes allocated)."""
    spec = FoldSpec(2, output_size=3, kernel_size=2)
    result = prove_fold_claim(spec, "unfold(g, 1000, padding=4000)")
    assert result.verdict == "undecided" and "entries there" in result.result.detail


def test_report_states_the_3d_sweep_it_has():
    """The 3-D report names the representative strides and dilations the sweep proves, not every one."""
    from symconv.proof.presburger_fold import derive_fold
    from symconv.report.derivation import render
    _, md3 = render(derive_fold(FoldSpec(3, output_size=4, kernel_size=2)), "t", None, "en")
    _, md2 = render(derive_fold(FoldSpec(2, output_size=4, kernel_size=2)), "t", None, "en")
    assert "(1, 2, 3) and (3, 2, 1), each with each" in md3 and "from 1 to 3 per axis" not in md3
    assert "from 1 to 3 per axis" in md2


@pytest.mark.parametrize("ndim", [1, 2, 3])
def test_printed_forms_parse_back(ndim):
    """parse(str(form)) == form for the engine's forms with random parameters, every operator of them."""
    import random

    from symconv.proof.grammar import parse
    rng = random.Random(ndim)
    for op in ("unfold", "fold"):
        general = derive_general(op, ndim)
        sym = general.sym
        for _ in range(5):
            values = {s: rng.randint(1, 3) for s in sym.K + sym.S + sym.D} | {p: rng.randint(0, 2) for p in sym.P}
            form = general.closed["grad_input"].map_sizes(values)
            assert parse(str(form), ndim) == form
        assert parse(str(general.closed["grad_input"]), ndim) == general.closed["grad_input"]


@pytest.mark.parametrize("ndim", [1, 2, 3])
def test_printed_latex_parses_back(ndim):
    """The LaTeX symconv prints for unfold and fold reads back to the same tree (general and concrete)."""
    from symconv.proof.grammar import parse
    for op in ("unfold", "fold"):
        general = derive_general(op, ndim).closed["grad_input"]
        sym = derive_general(op, ndim).sym
        concrete = general.map_sizes({**{s: 2 for s in sym.S}, **{k: 3 for k in sym.K}, **{p: 0 for p in sym.P},
                                      **{d: 1 for d in sym.D}})
        for form in (general, concrete):
            assert parse(form.to_latex(), ndim) == form, form.to_latex()


@pytest.mark.parametrize("claim, message", [
    (r"\operatorname{unfold}_{s=2}\left(g\right)", r"needs its kernel size \(K=\)"),
    (r"\operatorname{fold}_{K=2}\left(g\right)", r"needs its output size first"),
    (r"\operatorname{unfold}_{H, K=2}\left(g\right)", r"expected K=, s=, d= or p="),
    (r"\operatorname{unfold}_{K=2, K=3}\left(g\right)", r"K= given twice"),
    ("unfold(g, 0)", r"must be positive"),
])
def test_malformed_window_claims(claim, message):
    from symconv.proof.grammar import ClaimError, parse
    with pytest.raises(ClaimError, match=message):
        parse(claim, 1)
