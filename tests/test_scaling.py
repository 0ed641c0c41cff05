"""The homework's exact work at the size of a real small layer, and the two fuzz findings it fixed.

A 2 x 32 x 32 input, a 3 x 3 kernel with 2 output channels and 10 classes (1,800 entries in relu1, 18,000
fully connected weights) is solved exactly and every part is compared with PyTorch autograd in float64. No
test here is timed: the timings belong to the benchmark (``bench/run.py``).
"""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path

import numpy as np
import pytest
import sympy as sp

from symconv.homework import solve
from symconv.homework.solution import layer_definitions
from symconv.inputs import parse
from symconv.report.homework import render

from conftest import homework_by_torch, needs_torch


def _fractions(a: np.ndarray, den: int) -> list:
    return [_fractions(v, den) for v in a] if a.ndim else f"{int(a)}/{den}"


def layer_file(seed: int = 0, channels: int = 2, size: int = 32, classes: int = 10) -> dict:
    """A homework the size of a real small layer; every number a fraction, both biases, logits all different."""
    rng = np.random.default_rng(seed)
    n = 2 * (size - 2) ** 2
    return {"title": "a small layer",
            "input": {"x": _fractions(rng.integers(-9, 10, (channels, size, size)), 10)},
            "conv": {"h": _fractions(rng.integers(-4, 5, (2, channels, 3, 3)), 4), "bias": ["1/3", "-1/2"]},
            "fc": {"out_features": classes, "weight": _fractions(rng.integers(-3, 4, (classes, n)), 100),
                   "bias": "1/7"},
            "loss": {"target": 3}}


@pytest.fixture(scope="module")
def layer():
    return solve(parse(layer_file(), "layer"))


@needs_torch
def test_a_small_layer_is_solved_exactly_and_matches_torch_autograd(layer):
    s, hw = layer, layer.homework
    assert s.exact["relu1"].size == 1800 and s.exact["dL_dW"].shape == (10, 1800)
    want = homework_by_torch(hw)
    assert set(want) == set(s.exact)
    for name, value in want.items():
        got, torch_value = s.floats(name), value
        if name in ("dL_dconv1", "dL_dh", "dL_dx", "dL_dconv_bias") and s.relu_ties:
            # PyTorch's float conv1 can sit a few ulps off an exact tie; compare where no tie is moved.
            keep = ~s._moves_a_tie(name)
            got, torch_value = got[keep], torch_value[keep]
        np.testing.assert_allclose(got, torch_value, rtol=1e-9, atol=1e-12, err_msg=name)
    # The exact values are SymPy numbers: rationals before the softmax, exponentials after it.
    assert all(v.is_Rational for v in s.exact["fc1"])
    assert s.exact["dL_dW"][0, 0].has(sp.exp)


def test_a_small_layer_passes_its_own_checks(layer):
    for name in layer.exact:
        assert layer.max_error(name, "float64") < 1e-12, name
        fd = layer.max_error(name, "finite-difference")
        assert fd is None or fd < 1e-6, (name, fd)


def test_exact_floats_are_the_exact_values_rounded(layer):
    """Solution.floats (from 256-bit E_j) agrees with SymPy's evalf of the exact entries."""
    for name in ("dL_dW", "dL_dx", "dL_dh", "p", "L"):
        flat = np.asarray(layer.exact[name], dtype=object).reshape(-1)[:40]
        want = np.array([float(sp.N(v, 40)) for v in flat])
        np.testing.assert_allclose(layer.floats(name).reshape(-1)[:40], want, rtol=1e-15, atol=1e-300)


def test_json_texts_and_floats_are_the_exact_entries(layer):
    """The JSON writes each entry from the solution's coefficients (not SymPy's printer, about a minute at
    this size) and its float from Solution.floats; every text reads back as its exact entry."""
    from symconv.cli import solution_json
    doc = solution_json(layer)
    for name, part in doc["parts"].items():
        exact = np.asarray(layer.exact[name], dtype=object).reshape(-1)
        texts = np.asarray(part["exact"], dtype=object).reshape(-1)
        assert list(part["shape"]) == list(layer.exact[name].shape) and texts.size == exact.size, name
        for k in sorted({0, 1, exact.size // 2, exact.size - 1} & set(range(exact.size))):
            assert sp.cancel(sp.sympify(texts[k]) - exact[k]) == 0, (name, k, texts[k])
        assert np.asarray(part["float"]).reshape(-1).tolist() == layer.floats(name).reshape(-1).tolist(), name


@pytest.mark.parametrize("coef,den,text", [
    ([0, 0, 0], 7, "0"),
    ([2, 2, 4], 3, "2/3"),                                  # proportional to S = 1 + E_2 + 2 E_3: a rational
    ([4, -2, 0], 6, "(2 - E_2)/(3 + 3*E_2 + 6*E_3)"),       # reduced by the gcd 2
    ([-1, 0, 3], 1, "(-1 + 3*E_3)/(1 + E_2 + 2*E_3)"),
    ([0, -5, -1], 10, "(-5*E_2 - E_3)/(10 + 10*E_2 + 20*E_3)"),
])
def test_linear_texts_are_the_reduced_fractions(coef, den, text):
    from symconv.homework.solution import Linear
    E = sp.symbols("E_2 E_3")
    lin = Linear(np.array([coef], dtype=object), den)
    assert lin.texts(("1", "E_2", "E_3"), (1, 1, 2))[0] == text
    want = lin.entries((sp.Integer(1), *E), (1, 1, 2))[0]
    assert sp.cancel(sp.sympify(text) - want) == 0


def test_a_small_layer_report_shows_first_entries_and_shapes(layer):
    tex, md = render(layer)
    assert len(tex) < 200_000
    assert r"\quad \left(2 \times 30 \times 30\right)" in tex          # relu1 and the gradients at conv1
    assert r"\quad \left(10 \times 1800\right)" in tex                 # dL/dW = g r^T
    assert r"\cdots" in tex and r"\vdots" in tex
    assert r"E_{j} = e^{\mathrm{fc}_{1;j} - \max_k \mathrm{fc}_{1;k}}" in tex


def test_rules_are_sympys_derivatives_of_the_generic_entries():
    d = layer_definitions()
    g, r, W, y, q = (sp.IndexedBase(v) for v in "g r W y q".split())
    m, n = d["symbols"]["m"], d["symbols"]["n"]
    k, l_ = sp.Idx("k", n), sp.Idx("l", m)
    assert d["fc_vjp_W"] == g[l_] * r[k]
    assert d["fc_vjp_b"] == g[l_]
    assert d["dloss"] == -y[l_] / q[l_]
    assert d["drelu"] == sp.Heaviside(sp.Symbol("z", real=True), 0)
    # The rules, evaluated on a concrete size, are the transposed Jacobians applied to g.
    Wv = sp.Matrix(2, 3, [1, -2, 3, sp.Rational(1, 2), 0, 4])
    gv = sp.Matrix([sp.Rational(1, 3), -1])
    rs = sp.Matrix(sp.symbols("r1:4"))
    from symconv.homework.solution import rule
    got_r = rule("fc_vjp_r", True)(np.array(Wv.tolist(), dtype=object), np.array(list(gv), dtype=object),
                                   np.arange(3), 2)
    assert list(got_r) == list((Wv * rs).jacobian(rs).T * gv)
    f = sp.Matrix(sp.symbols("f1:4"))
    soft = sp.Matrix([sp.exp(v) / sum(sp.exp(u) for u in f) for v in f])
    fv = [sp.Integer(1), sp.Rational(1, 2), sp.Integer(-1)]
    gv3 = np.array([1, -2, sp.Rational(1, 3)], dtype=object)
    got = rule("softmax_vjp", True)(np.array(fv, dtype=object), gv3, np.arange(3), 3)
    want = soft.jacobian(f).T.subs(dict(zip(f, fv))) * sp.Matrix(gv3)
    assert all(sp.simplify(a - b) == 0 for a, b in zip(got, want))


# The two fuzz findings (tests/test_fuzz.py keeps them as expected failures until this lands).

def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "symconv", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=600)


def test_json_with_a_tiny_target_probability(tmp_path):
    # fc1 = (20, -20): p_2 = e^-40 / (1 + e^-40) ~ 4e-18; every exact value is fine.
    (tmp_path / "hw.toml").write_text("[input]\nx = [[[20]]]\n[conv]\nh = [[[[1]]]]\n[fc]\nout_features = 2\n"
                                      "weight = [[1], [-1]]\n[loss]\ntarget = 2\n", encoding="utf-8")
    done = _run(["homework", "hw.toml", "--json", "--no-pdf"], tmp_path)
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert doc["checks"]["dL_dp"]["finite_difference"] is not None
    assert doc["parts"]["L"]["float"] == pytest.approx(40.0)
    assert doc["checks"]["dL_dfc1"]["finite_difference"]["max_error"] < 1e-6
    assert doc["checks"]["dL_dfc1"]["finite_difference"]["passed"] is True


THIRDS = """
[input]
x = [[[3, 5, 0, 2, 0, -4], [2, 3, 4, -2, 4, -4], [-3, -3, -5, 4, 5, 3], [-5, -5, -4, 5, -4, -4]],
     [[0, 4, -1, 2, -4, -2], [-5, 0, 2, 5, 0, 2], [3, -5, 5, -3, -1, 5], [5, 4, 5, -5, 2, -4]]]
[conv]
h = [[[[1, 0, 0.5], ["-2/3", "3/4", 0.1], [0.5, -2, "3/4"]], [[1, -1, 3], [0.5, 3, "-2/3"], [-0.25, -3, 3]]]]
padding = "valid"
[fc]
out_features = 5
weight = [[1, -2, 1, 2, 2, 0, 1, -1], [-2, 0, -1, 0, 1, -2, -1, 2], [2, -1, -2, 2, 1, -1, 0, -2],
          [0, 1, -2, -1, 0, -1, -2, -1], [2, -1, -2, 0, -1, -2, 0, 2]]
[loss]
target = 5
"""


def test_thirds_in_the_kernel(tmp_path):
    # Found by the fuzz: the report once called sp.simplify on the softmax entries (> 10 minutes here).
    (tmp_path / "hw.toml").write_text(THIRDS, encoding="utf-8")
    done = _run(["homework", "hw.toml", "--out", "out", "--no-pdf"], tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "out" / "hw.md").exists()
    s = solve(parse(tomllib.loads(THIRDS), "thirds"))
    assert any(v.has(sp.exp) for v in s.exact["p"])
