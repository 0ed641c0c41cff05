"""Configurations we did not design (issue 9): PyTorch's own convolution tests and an exhaustive 1-D sweep.

1. ``tests/data/torch_conv_configs.py`` lists the convolutions PyTorch's test suite runs
   (test_convolution.py, common_nn.py, common_methods_invocations.py). Each is built as a :class:`ConvSpec`
   and derived; its forward pass and gradients are compared with PyTorch autograd in float64, PyTorch being
   given the test's own ``padding=`` argument ('same' and 'valid' included), never symconv's resolved pads.
2. Every 1-D (H, K, S, P, D) with H 1-7, K 1-4, S 1-8, P 0-5, D 1-3 whose output is not empty, plus
   channel and group variants, compared with a naive loop over the definition written below (no symconv
   operator, no torch) and with PyTorch when it is installed. Shapes must match exactly.
3. The mutants of :mod:`symconv.proof.mutants` must fail the same comparisons wherever they change a result.

The default run takes every single configuration of the table and a fixed, seeded slice of the product loops
and 5% of the sweep (about 45 s of CPU). The full run takes everything (about 4 minutes of CPU):

    SYMCONV_FULL=1 .venv/bin/python -m pytest tests/test_outside_configs.py
"""

from __future__ import annotations

import functools
import importlib.util
import os
import random
import sys
import zlib
from itertools import product
from pathlib import Path

import numpy as np
import pytest

from symconv import ConvSpec, SpecError, derive
from symconv.proof.mutants import KINDS, mutate_derivation
from symconv.numeric import conv

FULL = os.environ.get("SYMCONV_FULL") == "1"
RTOL = ATOL = 1e-9


def _load_table():  # type: ignore[no-untyped-def]
    name = "torch_conv_configs"
    if name not in sys.modules:
        where = importlib.util.spec_from_file_location(name, Path(__file__).parent / "data" / f"{name}.py")
        module = importlib.util.module_from_spec(where)  # type: ignore[arg-type]
        sys.modules[name] = module      # dataclasses look their module up while the file executes
        where.loader.exec_module(module)  # type: ignore[union-attr]
    return sys.modules[name]


TABLE = _load_table()


def _seed(text: str) -> int:
    return zlib.crc32(text.encode())   # stable across runs, unlike hash()


def _default_slice(configs: list, per_family: int = 4) -> list:
    """Every member in the full run; otherwise a seeded sample of each product loop, leaving out 3-D
    convolutions with more than two groups (derive() proves each group: several seconds apiece)."""
    if FULL:
        return list(configs)
    families: dict[str, list] = {}
    for c in configs:
        if not (c.ndim == 3 and c.groups > 2):
            families.setdefault(c.family, []).append(c)
    picked = []
    for family, members in families.items():
        picked += random.Random(_seed(family)).sample(members, min(per_family, len(members)))
    return picked


TORCH_CASES = TABLE.CONFIGS + _default_slice(TABLE.FAMILIES)


def spec_of(cfg) -> ConvSpec:  # type: ignore[no-untyped-def]
    return ConvSpec(cfg.input_shape[1], cfg.weight_shape[0], tuple(cfg.weight_shape[2:]), stride=cfg.stride,
                    padding=cfg.padding, dilation=cfg.dilation, groups=cfg.groups, ndim=cfg.ndim,
                    bias=cfg.bias)


@functools.lru_cache(maxsize=None)
def derived(spec: ConvSpec):  # type: ignore[no-untyped-def]
    return derive(spec)


def arrays(cfg, rng):  # type: ignore[no-untyped-def]
    x = rng.standard_normal(cfg.input_shape)
    h = rng.standard_normal(cfg.weight_shape)
    b = rng.standard_normal(cfg.weight_shape[0]) if cfg.bias else None
    return x, h, b


def mismatches(expected: dict, got: dict | None) -> list[str]:
    """What differs between two sets of results (shape first, then values); empty when they agree."""
    if got is None:
        return ["no result"]
    problems = []
    for key, want in expected.items():
        have = got.get(key)
        if have is None:
            problems.append(f"{key}: missing")
        elif np.shape(have) != np.shape(want):
            problems.append(f"{key}: shape {np.shape(have)}, expected {np.shape(want)}")
        elif not np.allclose(np.asarray(have, dtype=np.float64), want, rtol=RTOL, atol=ATOL):
            err = float(np.max(np.abs(np.asarray(have, dtype=np.float64) - want)))
            problems.append(f"{key}: max error {err:.3g}")
    return problems


# ---- oracles ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def torch():  # type: ignore[no-untyped-def]
    torch = pytest.importorskip("torch")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)    # these tensors are small: a second thread only spins (restored below)
    yield torch
    torch.set_num_threads(threads)


def torch_results(torch, cfg, x, h, b, rng=None, g=None) -> dict:  # type: ignore[no-untyped-def]
    """y and the gradients of L = Σ g·y by PyTorch autograd (float64), with the test's own arguments.

    g (∂L/∂y) is drawn from ``rng`` once PyTorch has said the output's shape, unless it is given."""
    F = torch.nn.functional
    fn = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}[cfg.ndim]
    tx = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    th = torch.tensor(h, dtype=torch.float64, requires_grad=True)
    tb = None if b is None else torch.tensor(b, dtype=torch.float64, requires_grad=True)
    y = fn(tx, th, tb, stride=cfg.stride, padding=cfg.padding, dilation=cfg.dilation, groups=cfg.groups)
    g = rng.standard_normal(tuple(y.shape)) if g is None else g
    (y * torch.tensor(g, dtype=torch.float64)).sum().backward()

    def grad(t):  # type: ignore[no-untyped-def]
        return np.zeros(tuple(t.shape)) if t.grad is None else t.grad.numpy()
    out = {"y": y.detach().numpy(), "g": g, "grad_input": grad(tx), "grad_weight": grad(th)}
    if tb is not None:
        out["grad_bias"] = grad(tb)
    return out


def pytorch_pads(padding, kernel, dilation) -> list[tuple[int, int]]:  # type: ignore[no-untyped-def]
    """PyTorch's rule, restated: 'same' puts the odd zero on the high side."""
    nd = len(kernel)
    dilation = (dilation,) * nd if isinstance(dilation, int) else tuple(dilation)
    if padding == "valid":
        return [(0, 0)] * nd
    if padding == "same":
        totals = [d * (k - 1) for k, d in zip(kernel, dilation)]
        return [(t // 2, t - t // 2) for t in totals]
    padding = (padding,) * nd if isinstance(padding, int) else tuple(padding)
    return [(p, p) for p in padding]


def naive_output_size(size, kernel, stride, pads, dilation):  # type: ignore[no-untyped-def]
    return tuple((n + lo + hi - d * (k - 1) - 1) // s + 1
                 for n, k, s, (lo, hi), d in zip(size, kernel, stride, pads, dilation))


def naive_results(x, h, b, g, stride, pads, dilation, groups) -> dict:  # type: ignore[no-untyped-def]
    """The definition, looped:

        y[n, o, i] = b[o] + Σ_{c, k} x[n, grp(o)·C_g + c, i·S + k·D − P_low] h[o, c, k]

    with x read as zero outside its bounds; each product's two partial derivatives are added where they
    belong (∂/∂x gets g·h, ∂/∂h gets g·x), and ∂/∂b gets g."""
    nd = x.ndim - 2
    stride, dilation = (tuple((v,) * nd if isinstance(v, int) else v) for v in (stride, dilation))
    batch, cout, cg = x.shape[0], h.shape[0], h.shape[1]
    per_group = cout // groups
    size, kernel = x.shape[2:], h.shape[2:]
    out = naive_output_size(size, kernel, stride, pads, dilation)
    assert g.shape == (batch, cout) + out
    xs, hs, gs = x.tolist(), h.tolist(), g.tolist()

    def at(nested, index):  # type: ignore[no-untyped-def]
        for i in index:
            nested = nested[i]
        return nested

    y = np.zeros((batch, cout) + out)
    gx, gh, gb = np.zeros(x.shape), np.zeros(h.shape), np.zeros(cout)
    for n, o in product(range(batch), range(cout)):
        first = (o // per_group) * cg
        for i in product(*(range(m) for m in out)):
            acc = 0.0 if b is None else float(b[o])
            go = at(gs, (n, o) + i)
            for c in range(cg):
                for k in product(*(range(m) for m in kernel)):
                    u = tuple(ii * s + kk * d - lo
                              for ii, kk, s, d, (lo, _) in zip(i, k, stride, dilation, pads))
                    if all(0 <= uu < m for uu, m in zip(u, size)):
                        xv, hv = at(xs, (n, first + c) + u), at(hs, (o, c) + k)
                        acc += xv * hv
                        gx[(n, first + c) + u] += go * hv
                        gh[(o, c) + k] += go * xv
            y[(n, o) + i] = acc
            gb[o] += go
    results = {"y": y, "grad_input": gx, "grad_weight": gh}
    if b is not None:
        results["grad_bias"] = gb
    return results


def symconv_results(derivation, spec, x, h, b, g) -> dict:  # type: ignore[no-untyped-def]
    return {"y": conv(x, h, spec, bias=b)} | derivation.evaluate(x=x, h=h, g=g)


# ---- 1. PyTorch's configurations ----------------------------------------------------------------------


def _ids(configs: list) -> list[str]:
    return [c.name for c in configs]


def test_the_table_is_what_it_claims():
    """At least 80 distinct configurations, every weight shape consistent, every source named."""
    keys = {(c.input_shape, c.weight_shape, c.bias, c.stride, c.padding, c.dilation, c.groups)
            for c in TABLE.CONFIGS + TABLE.FAMILIES}
    assert len(keys) >= 80
    for c in TABLE.CONFIGS + TABLE.FAMILIES + TABLE.REJECTED:
        assert c.source.split("::")[0] in ("test_convolution.py", "common_nn.py",
                                           "common_methods_invocations.py", "opinfo"), c.source
        assert c.input_shape[1] % c.groups == 0 and c.weight_shape[1] == c.input_shape[1] // c.groups, c.name
    kinds = {(c.ndim, c.padding if isinstance(c.padding, str) else "int", c.groups > 1, c.bias,
              c.input_shape[0] == 0) for c in TABLE.CONFIGS}
    assert {1, 2, 3} == {k[0] for k in kinds}
    assert {"same", "valid", "int"} == {k[1] for k in kinds}
    assert any(k[2] for k in kinds) and any(k[4] for k in kinds)


@pytest.mark.parametrize("cfg", TORCH_CASES, ids=_ids(TORCH_CASES))
def test_pytorch_configuration_matches_autograd(cfg, torch):
    spec = spec_of(cfg)
    rng = np.random.default_rng(_seed(cfg.name))
    x, h, b = arrays(cfg, rng)
    want = torch_results(torch, cfg, x, h, b, rng)
    g = want.pop("g")
    got = symconv_results(derived(spec), spec, x, h, b, g)
    assert set(got) == set(want)
    assert not mismatches(want, got), f"{spec.describe()}: {mismatches(want, got)}"


ZERO_BATCH = [c for c in TORCH_CASES if c.input_shape[0] == 0]


@pytest.mark.parametrize("cfg", ZERO_BATCH, ids=_ids(ZERO_BATCH))
def test_zero_batch_gives_an_empty_input_gradient_and_zero_weight_gradients(cfg):
    """PyTorch's *_zero_batch tests, without PyTorch: the empty batch contributes nothing."""
    spec = spec_of(cfg)
    x, h, b = arrays(cfg, np.random.default_rng(0))
    out = (0, spec.out_channels) + spec.output_size(tuple(cfg.input_shape[2:]))
    y = conv(x, h, spec, bias=b)
    assert y.shape == out
    grads = derived(spec).evaluate(x=x, h=h, g=np.zeros(out))
    assert grads["grad_input"].shape == x.shape
    assert grads["grad_weight"].shape == h.shape and not grads["grad_weight"].any()
    if cfg.bias:
        assert grads["grad_bias"].shape == (spec.out_channels,) and not grads["grad_bias"].any()


def _small(cfg, limit: int = 6000) -> bool:  # type: ignore[no-untyped-def]
    """Few enough multiply-adds for the naive loop (batch · C_out · outputs · C_in/G · kernel)."""
    pads = pytorch_pads(cfg.padding, cfg.weight_shape[2:], cfg.dilation)
    nd = cfg.ndim
    stride, dilation = ((v,) * nd if isinstance(v, int) else v for v in (cfg.stride, cfg.dilation))
    out = naive_output_size(cfg.input_shape[2:], cfg.weight_shape[2:], stride, pads, dilation)
    return (max(cfg.input_shape[0], 1) * int(np.prod(cfg.weight_shape)) * int(np.prod(out))) <= limit


NAIVE_TABLE = [c for c in TABLE.CONFIGS + _default_slice(TABLE.FAMILIES, per_family=3) if _small(c)]


@pytest.mark.parametrize("cfg", NAIVE_TABLE, ids=_ids(NAIVE_TABLE))
def test_pytorch_configuration_matches_the_naive_loop(cfg):
    """The small configurations of the table again, against the naive loop (runs without PyTorch)."""
    spec = spec_of(cfg)
    rng = np.random.default_rng(_seed(cfg.name))
    x, h, b = arrays(cfg, rng)
    nd = cfg.ndim
    stride, dilation = ((v,) * nd if isinstance(v, int) else v for v in (cfg.stride, cfg.dilation))
    pads = pytorch_pads(cfg.padding, cfg.weight_shape[2:], cfg.dilation)
    out = naive_output_size(cfg.input_shape[2:], cfg.weight_shape[2:], stride, pads, dilation)
    g = rng.standard_normal((cfg.input_shape[0], cfg.weight_shape[0]) + out)
    want = naive_results(x, h, b, g, stride, pads, dilation, cfg.groups)
    got = symconv_results(derived(spec), spec, x, h, b, g)
    assert not mismatches(want, got), f"{spec.describe()}: {mismatches(want, got)}"


@pytest.mark.parametrize("cfg", TABLE.REJECTED, ids=_ids(TABLE.REJECTED))
def test_what_pytorch_rejects_symconv_rejects(cfg):
    with pytest.raises(SpecError, match=r"^(kernel_size: the dilated kernel|padding 'same' needs stride 1)"):
        spec_of(cfg).output_size(tuple(cfg.input_shape[2:]))


@pytest.mark.parametrize("cfg", TABLE.REJECTED, ids=_ids(TABLE.REJECTED))
def test_pytorch_does_reject_them(cfg, torch):
    """Keeps the table honest: these are refusals in PyTorch too."""
    x, h, b = arrays(cfg, np.random.default_rng(0))
    with pytest.raises((RuntimeError, ValueError)):
        torch_results(torch, cfg, x, h, b, np.random.default_rng(0))


def test_empty_channel_is_refused():
    """test_conv_empty_channel builds Conv1d(0, 8, 2); symconv has no zero-channel convolution."""
    with pytest.raises(SpecError, match=r"^in_channels must be a positive integer, got 0$"):
        ConvSpec(0, 8, 2, stride=2, ndim=1)


# ---- 2. the exhaustive small 1-D sweep ----------------------------------------------------------------


def _sweep() -> list[tuple[int, ...]]:
    """(H, K, S, P, D, C_in, C_out, G, bias) for every non-empty output, then channel and group variants."""
    cases = [(H, K, S, P, D, 1, 1, 1, False)
             for H, K, S, P, D in product(range(1, 8), range(1, 5), range(1, 9), range(0, 6), range(1, 4))
             if H + 2 * P >= D * (K - 1) + 1]
    cases += [(H, K, S, P, D, ci, co, g, True)
              for ci, co, g in ((2, 3, 1), (2, 4, 2), (3, 3, 3), (4, 2, 2))
              for H, K, S, P, D in product(range(1, 7), range(1, 4), (1, 2, 3, 5, 8), (0, 1, 2, 5),
                                           range(1, 4))
              if H + 2 * P >= D * (K - 1) + 1]
    return cases


# Corners that every run keeps: a single input entry with a strided 1x1 kernel inside padding (a past bug
# returned dL/dx of shape (1, 1, 2) for x of shape (1, 1, 1)), padding larger than the input, stride larger
# than the padded input, the largest dilation with the largest kernel.
SWEEP_CORNERS = [(1, 1, 5, 2, 1, 1, 1, 1, False), (1, 1, 8, 5, 1, 1, 1, 1, False),
                 (1, 4, 8, 5, 3, 1, 1, 1, False), (7, 4, 8, 0, 2, 1, 1, 1, False),
                 (2, 3, 7, 5, 3, 1, 1, 1, False), (1, 2, 1, 5, 3, 1, 1, 1, False),
                 (7, 1, 1, 0, 1, 1, 1, 1, False), (3, 3, 2, 1, 1, 3, 3, 3, True),
                 (1, 1, 8, 5, 1, 2, 4, 2, True)]
ALL_SWEEP = _sweep()
SWEEP = ALL_SWEEP if FULL else sorted(set(random.Random(9).sample(ALL_SWEEP, len(ALL_SWEEP) // 20)
                                          + SWEEP_CORNERS))


def _sweep_id(case: tuple[int, ...]) -> str:
    H, K, S, P, D, ci, co, g, bias = case
    return f"H{H}-K{K}-S{S}-P{P}-D{D}-c{ci}o{co}g{g}{'-b' if bias else ''}"


def _sweep_setup(case: tuple[int, ...]):  # type: ignore[no-untyped-def]
    H, K, S, P, D, ci, co, g, bias = case
    spec = ConvSpec(ci, co, K, stride=S, padding=P, dilation=D, groups=g, ndim=1, bias=bias)
    rng = np.random.default_rng(_seed(_sweep_id(case)))
    x = rng.standard_normal((2, ci, H))
    h = rng.standard_normal((co, ci // g, K))
    b = rng.standard_normal(co) if bias else None
    out = naive_output_size((H,), (K,), (S,), [(P, P)], (D,))
    gy = rng.standard_normal((2, co) + out)
    return spec, x, h, b, gy


@pytest.mark.parametrize("case", SWEEP, ids=[_sweep_id(c) for c in SWEEP])
def test_sweep_matches_the_naive_loop(case):
    spec, x, h, b, gy = _sweep_setup(case)
    H, K, S, P, D, *_ = case
    want = naive_results(x, h, b, gy, (S,), [(P, P)], (D,), spec.groups)
    got = symconv_results(derived(spec), spec, x, h, b, gy)
    assert got["grad_input"].shape == x.shape and got["grad_weight"].shape == h.shape
    assert not mismatches(want, got), f"{_sweep_id(case)}: {mismatches(want, got)}"


@pytest.mark.parametrize("case", SWEEP, ids=[_sweep_id(c) for c in SWEEP])
def test_sweep_matches_autograd(case, torch):
    spec, x, h, b, gy = _sweep_setup(case)
    H, K, S, P, D, ci, co, g, bias = case
    cfg = TABLE.Config("sweep", x.shape, h.shape, bias, stride=S, padding=P, dilation=D, groups=g)
    want = torch_results(torch, cfg, x, h, b, g=gy)   # the naive test's ∂L/∂y: both oracles judge the same
    assert want.pop("g").shape == want["y"].shape
    got = symconv_results(derived(spec), spec, x, h, b, gy)
    assert not mismatches(want, got), f"{_sweep_id(case)}: {mismatches(want, got)}"


# ---- 3. the comparisons catch wrong closed forms ------------------------------------------------------


def _mutant_results(derivation, kind, spec, x, h, b, g):  # type: ignore[no-untyped-def]
    """The mutant's results: "same" when the mutation leaves the closed forms as they are (mutate_derivation
    refuses it: a 1x1 kernel has nothing to rotate), None when the mutant cannot even be evaluated on these
    shapes (that is caught too)."""
    try:
        mutant = mutate_derivation(derivation, kind)
    except SpecError:
        return "same"
    try:
        return symconv_results(mutant, spec, x, h, b, g)
    except (ValueError, IndexError):
        return None


MUTANT_TABLE = [c for c in TORCH_CASES if _small(c, limit=50_000) and c.input_shape[0] > 0]


@pytest.mark.parametrize("kind", KINDS)
def test_mutants_fail_against_autograd(kind, torch):
    """Wherever a mutant changes a result, the comparison with PyTorch fails; and it does change some."""
    changed, escaped = 0, []
    for cfg in MUTANT_TABLE:
        spec = spec_of(cfg)
        rng = np.random.default_rng(_seed(cfg.name))
        x, h, b = arrays(cfg, rng)
        want = torch_results(torch, cfg, x, h, b, rng)
        g = want.pop("g")
        right = symconv_results(derived(spec), spec, x, h, b, g)
        wrong = _mutant_results(derived(spec), kind, spec, x, h, b, g)
        if wrong == "same" or not mismatches(right, wrong):
            continue             # no mutant here, or one that gives the same numbers (one channel to swap)
        changed += 1
        if not mismatches(want, wrong):
            escaped.append(cfg.name)
    assert not escaped, f"{kind} passed the PyTorch comparison on {escaped}"
    assert changed >= 10, f"{kind} changed only {changed} of {len(MUTANT_TABLE)} configurations"


@pytest.mark.parametrize("kind", KINDS)
def test_mutants_fail_against_the_naive_loop(kind):
    changed, escaped = 0, []
    for case in SWEEP:
        spec, x, h, b, gy = _sweep_setup(case)
        H, K, S, P, D, *_ = case
        right = symconv_results(derived(spec), spec, x, h, b, gy)
        wrong = _mutant_results(derived(spec), kind, spec, x, h, b, gy)
        if wrong == "same" or not mismatches(right, wrong):
            continue
        changed += 1
        if not mismatches(naive_results(x, h, b, gy, (S,), [(P, P)], (D,), spec.groups), wrong):
            escaped.append(_sweep_id(case))
    assert not escaped, f"{kind} passed the naive comparison on {escaped}"
    assert changed >= 10, f"{kind} changed only {changed} of {len(SWEEP)} sweep cases"
