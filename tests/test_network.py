"""Homework networks of layers (issue 21): each layer type solved exactly and compared with PyTorch autograd
in float64, hostile layer files, and the seed's file byte-identical to what it gave before layers existed."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from conftest import golden

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "derivations" / "homework11.toml"


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "symconv", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=600)


def _without_measured(doc: dict) -> dict:
    """The --json document with each measured error left out (finite differences differ in their last digits
    from machine to machine); its bound and verdict stay."""
    for checks in doc["checks"].values():
        for c in checks.values():
            if c is not None:
                c["max_error"] = "measured"
    return doc


def test_seed_json_and_summary_match_golden(tmp_path):
    """The seed's file gives today's --json document and terminal summary, byte for byte (goldens written
    from the code before layers existed)."""
    done = _run("homework", str(SEED), "--json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    golden("homework11.json", json.dumps(_without_measured(json.loads(done.stdout)), indent=2,
                                         ensure_ascii=False) + "\n")
    done = _run("homework", str(SEED), "--no-pdf", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    # the measured finite-difference errors (e.g. 1.7e-08) vary in their last digit between machines
    golden("homework11_summary.txt", re.sub(r"\d\.\de-\d\d", "#.#e-##", done.stdout))


# ---------------------------------------------------------------------------------------------------------
# Networks solved exactly and compared with PyTorch autograd (float64), at randomly drawn data

from conftest import needs_torch, torch  # noqa: E402
from fractions import Fraction  # noqa: E402

import sympy as sp  # noqa: E402

from symconv.errors import InputError  # noqa: E402
from symconv.homework.inputs import parse  # noqa: E402
from symconv.homework.solution import solve  # noqa: E402


def network_by_torch(net) -> dict[str, np.ndarray]:
    """Every part of a network by PyTorch autograd in float64 (independent of symconv's rules)."""
    F = torch.nn.functional
    f64 = lambda a: torch.tensor(np.vectorize(lambda v: float(sp.N(v, 30)), otypes=[float])(  # noqa: E731
        np.asarray(a, dtype=object)))
    leaves = {"x": f64(net.x).requires_grad_()}
    for layer in net.layers:
        for name, v in layer.params.items():
            leaves[name] = f64(v).requires_grad_()
    outs = {}
    z = leaves["x"]
    for layer in net.layers:
        if layer.type == "conv":
            conv = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}[layer.spec.ndim]
            pad = [lo for lo, _ in layer.spec.pads]
            z = conv(z[None], leaves[layer.weight_name], leaves.get(layer.bias_name), stride=layer.spec.stride,
                     padding=pad, dilation=layer.spec.dilation, groups=layer.spec.groups)[0]
        elif layer.type == "linear":
            z = F.linear(z, leaves[layer.weight_name], leaves.get(layer.bias_name))
        elif layer.type == "relu":
            z = torch.relu(z)
        elif layer.type == "leaky_relu":
            z = F.leaky_relu(z, float(layer.slope))
        elif layer.type == "sigmoid":
            z = torch.sigmoid(z)
        elif layer.type == "tanh":
            z = torch.tanh(z)
        elif layer.type == "flatten":
            z = z.reshape(-1)
        else:
            K, S, P = layer.window
            nd = len(K)
            pool = getattr(F, f"{layer.type}{nd}d")
            z = pool(z[None], K, S, P)[0]
        if layer.name:
            z.retain_grad()
            outs[layer.name] = z
    if net.loss.type == "cross_entropy":
        p = torch.softmax(z, 0)
        p.retain_grad()
        outs["p"] = p
        L = -torch.log(p[net.loss.target - 1])
    else:
        t = f64(net.loss.target)
        L = ((z - t) ** 2).sum() / (z.numel() if net.loss.reduction == "mean" else 1)
    L.backward()
    got = {"L": L}
    for name, v in outs.items():
        got[name], got["dL_d" + name] = v, v.grad
    for name, v in leaves.items():
        got["dL_d" + name] = v.grad
    return {k: v.detach().numpy() for k, v in got.items()}


def _rand(rng, shape, low=-3, high=3, den=1):
    """Random exact numbers k/den as TOML strings."""
    return np.vectorize(lambda k: str(Fraction(int(k), den)), otypes=[object])(
        rng.integers(low * den, high * den + 1, size=shape)).tolist()


def _solve(doc: dict):
    return solve(parse(doc, "net"))


def _compare(sol) -> None:
    want = network_by_torch(sol.homework)
    assert set(want) >= set(sol.exact) - {"dL_dp"}
    for name in sol.exact:
        if name == "dL_dp":      # PyTorch's p.grad is dL/dp of -log p_t: -1/p_t at t, 0 elsewhere
            t = sol.homework.loss.target - 1
            expect = np.zeros(len(sol.exact["p"]))
            expect[t] = -1 / want["p"][t]
        else:
            expect = want[name]
        got = sol.floats(name)
        assert got.shape == np.shape(expect), name
        np.testing.assert_allclose(got, expect, rtol=1e-10, atol=1e-10, err_msg=name)
    assert not sol.failed_checks(), sol.failed_checks()


SEEDS = [0, 1, 2]


@needs_torch
@pytest.mark.parametrize("seed", SEEDS)
def test_conv_relu_maxpool_linear_cross_entropy(seed):
    rng = np.random.default_rng(seed)
    doc = {"input": {"x": _rand(rng, (2, 5, 5))},
           "layer": [{"type": "conv", "weight": _rand(rng, (3, 2, 2, 2)), "bias": _rand(rng, (3,))},
                     {"type": "relu"}, {"type": "max_pool", "kernel_size": 2},
                     {"type": "flatten"},
                     {"type": "linear", "out_features": 3, "weight": _rand(rng, (3, 12), den=10),
                      "bias": _rand(rng, (3,))}],
           "loss": {"type": "cross_entropy", "target": int(rng.integers(1, 4))}}
    sol = _solve(doc)
    assert list(sol.exact) == ["conv1", "relu1", "pool1", "fc1", "p", "L", "dL_dp", "dL_dfc1", "dL_dpool1",
                               "dL_drelu1", "dL_dconv1", "dL_dW", "dL_dh", "dL_dx", "dL_dconv_bias", "dL_dfc_bias"]
    _compare(sol)


@needs_torch
@pytest.mark.parametrize("seed", SEEDS)
def test_two_convolutions_with_stride_padding_groups(seed):
    rng = np.random.default_rng(10 + seed)
    doc = {"input": {"x": _rand(rng, (2, 6, 5))},
           "layer": [{"type": "conv", "weight": _rand(rng, (4, 2, 3, 3)), "stride": 2, "padding": 1,
                      "name": "a", "weight_name": "k1"},
                     {"type": "relu"},
                     {"type": "conv", "weight": _rand(rng, (4, 2, 2, 2)), "groups": 2, "padding": [1, 0],
                      "dilation": [1, 2], "bias": _rand(rng, (4,)), "bias_name": "c"},
                     {"type": "relu"}, {"type": "flatten"},
                     {"type": "linear", "out_features": 2, "weight": _rand(rng, (2, 16), den=4)}],
           "loss": {"type": "cross_entropy", "target": 2}}
    sol = _solve(doc)
    assert {"a", "conv2", "dL_dk1", "dL_dh2", "dL_dc", "relu2"} <= set(sol.exact)
    _compare(sol)


@needs_torch
def test_tanh_before_cross_entropy():
    rng = np.random.default_rng(3)
    doc = {"input": {"x": _rand(rng, (1, 4))},
           "layer": [{"type": "conv", "weight": _rand(rng, (1, 1, 2)), "bias": "1/3"}, {"type": "tanh"},
                     {"type": "flatten"}, {"type": "linear", "out_features": 2, "weight": _rand(rng, (2, 3))}],
           "loss": {"type": "cross_entropy", "target": 1}}
    _compare(_solve(doc))


@needs_torch
def test_max_pool_with_a_tie_sends_the_gradient_to_the_first_maximum():
    doc = {"input": {"x": [[[1, 5, 5, 5], [5, 2, 3, 3], [0, 1, 3, 3], [2, 1, 0, 3]]]},
           "layer": [{"type": "max_pool", "kernel_size": 2}, {"type": "flatten"},
                     {"type": "linear", "out_features": 2, "weight": [[1, 2, 3, 4], [-1, 0, 2, 1]]}],
           "loss": {"type": "cross_entropy", "target": 1}}
    sol = _solve(doc)
    assert sol.pool_ties == [("pool1", (0, 0, 0)), ("pool1", (0, 0, 1)), ("pool1", (0, 1, 1))]
    g = sol.exact["dL_dx"][0]
    assert g[0, 1] != 0 and g[1, 0] == 0                     # the first 5 in scan order takes it
    assert g[0, 2] != 0 and g[0, 3] == 0
    assert g[2, 2] != 0 and g[2, 3] == 0 and g[3, 3] == 0
    _compare(sol)


@needs_torch
@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_sigmoid_and_mse_in_one_dimension(reduction):
    rng = np.random.default_rng(5)
    doc = {"input": {"x": _rand(rng, (1, 6))},
           "layer": [{"type": "conv", "weight": _rand(rng, (2, 1, 3), den=2), "stride": 2, "padding": "1"
                      if False else 1},
                     {"type": "sigmoid"}, {"type": "flatten"},
                     {"type": "linear", "out_features": 2, "weight": _rand(rng, (2, 6), den=2), "bias": "1/2"}],
           "loss": {"type": "mse", "target": [1, "-1/2"], "reduction": reduction}}
    sol = _solve(doc)
    assert list(sol.exact)[:4] == ["conv1", "sigmoid1", "fc1", "L"]
    _compare(sol)


@needs_torch
def test_leaky_relu_avg_pool_with_padding_and_a_3d_convolution():
    rng = np.random.default_rng(7)
    doc = {"input": {"x": _rand(rng, (1, 3, 3, 3))},
           "layer": [{"type": "conv", "weight": _rand(rng, (2, 1, 2, 2, 2)), "padding": 1},
                     {"type": "leaky_relu", "slope": "1/5"},
                     {"type": "avg_pool", "kernel_size": 3, "stride": 2, "padding": 1},
                     {"type": "flatten"}, {"type": "linear", "out_features": 3, "weight": _rand(rng, (3, 16))}],
           "loss": {"type": "mse", "target": [[0, 1, 2]][0]}}
    sol = _solve(doc)
    _compare(sol)


@needs_torch
def test_relu_ties_follow_pytorch():
    doc = {"input": {"x": [[1, -1, 2, 0]]},
           "layer": [{"type": "conv", "weight": [[[1, 1]]]}, {"type": "relu"}, {"type": "flatten"},
                     {"type": "linear", "out_features": 2, "weight": [[1, 2, 3], [0, 1, -1]]}],
           "loss": {"type": "cross_entropy", "target": 2}}
    sol = _solve(doc)
    assert sol.relu_ties == [("relu1", 0, 0)]           # conv1 = [0, 1, 2]: ReLU'(0) taken as 0
    assert sol.exact["dL_dconv1"][0, 0] == 0
    _compare(sol)


def test_seed_as_layers_gives_the_seeds_parts_exactly():
    """derivations/network_seed.toml is the seed written as layers: the same parts, values and check bounds."""
    a = solve(parse(__import__("tomllib").loads(SEED.read_text(encoding="utf-8")), "homework11"))
    b = solve(parse(__import__("tomllib").loads((ROOT / "derivations" / "network_seed.toml").read_text(
        encoding="utf-8")), "network_seed"))
    assert list(a.exact) == list(b.exact)
    for name in a.exact:
        assert a.texts(name).tolist() == b.texts(name).tolist(), name
        for against in ("float64", "finite-difference"):
            ca, cb = a.check(name, against), b.check(name, against)
            assert (ca is None) == (cb is None) and (ca is None or ca.magnitude == cb.magnitude), name


# ---------------------------------------------------------------------------------------------------------
# Hostile layer files: one line naming the layer and the field, exit status 2, nothing written

_BASE = """title = "hostile"
[input]
x = [[[1, 2, 3], [4, 5, 6], [7, 8, 9]]]
"""
_TAIL = """
[loss]
type = "cross_entropy"
target = 1
"""
_FLAT_FC = """
[[layer]]
type = "flatten"
[[layer]]
type = "linear"
out_features = 2
weight = 1
"""

HOSTILE = [
    ('[[layer]]\ntype = "convolution"\nweight = [[[[1]]]]\n' + _FLAT_FC,
     "symconv: error: layer 1.type: unknown layer type 'convolution' (valid: conv, relu, leaky_relu, sigmoid, "
     "tanh, max_pool, avg_pool, flatten, linear)"),
    ('[[layer]]\ntype = "max_pol"\nkernel_size = 2\n' + _FLAT_FC,
     "symconv: error: layer 1.type: unknown layer type 'max_pol' (did you mean max_pool?)"),
    ('[[layer]]\ntype = "conv"\nweight = [[[[1, 1], [1, 1]]]]\n[[layer]]\ntype = "linear"\nout_features = 2\n'
     'weight = 1\n',
     "symconv: error: layer 2 (fc1).type: a linear layer takes a vector, its input has shape [1, 2, 2] "
     "(put a flatten layer before it)"),
    ('[[layer]]\ntype = "conv"\nweight = [[[[1]], [[1]]]]\n' + _FLAT_FC,
     "symconv: error: layer 1 (conv1).weight: takes 2 input channels (C_in/groups = 2, groups = 1), its input "
     "has 1"),
    ('[[layer]]\ntype = "max_pool"\nkernel_size = 4\n' + _FLAT_FC,
     "symconv: error: layer 1 (pool1).kernel_size: the window (4) is larger than the padded input (3 + 0 + 0) "
     "on axis 1"),
    ('[[layer]]\ntype = "conv"\nstride = 1\n' + _FLAT_FC,
     "symconv: error: layer 1 (conv1).weight: missing field"),
    ('[[layer]]\ntype = "relu"\nslope = 2\n' + _FLAT_FC,
     "symconv: error: layer 1 (relu1).slope: unknown field (valid for relu: type, name)"),
    ('[[layer]]\ntype = "conv"\nweight = [[[[1, 1], [1, 1]]]]\nstrides = 2\n' + _FLAT_FC,
     "symconv: error: layer 1 (conv1).strides: unknown field (did you mean stride?)"),
    ('[[layer]]\ntype = "relu"\nname = "L"\n' + _FLAT_FC,
     "symconv: error: layer 1 (L).name: 'L' is reserved; choose another name"),
    ('[[layer]]\ntype = "relu"\nname = "a"\n[[layer]]\ntype = "tanh"\nname = "a"\n' + _FLAT_FC,
     "symconv: error: layer 2 (a).name: 'a' already names layer 1 (a).name; choose another name"),
    ('[[layer]]\ntype = "relu"\nname = "\\\\input{x}"\n' + _FLAT_FC,
     "symconv: error: layer 1 (relu1).name: expected a name of letters, digits and _ (starting with a letter, "
     "at most 32), got '\\\\input{x}'"),
    ('[[layer]]\ntype = "avg_pool"\nkernel_size = 2\npadding = 2\n' + _FLAT_FC,
     "symconv: error: layer 1 (pool1).padding: 2 on axis 1 is more than half the window (2)"),
    ('[[layer]]\ntype = "conv"\nweight = [[[[1]]]] \npadding = 7\n[[layer]]\ntype = "sigmoid"\n' + _FLAT_FC,
     "symconv: error: layer 2 (sigmoid1): its output has 289 entries from a sigmoid or tanh on, more than the "
     "limit of 256 (their exact values hold exponentials)"),
    ('[[layer]]\ntype = "flatten"\n[[layer]]\ntype = "linear"\nout_features = 2\nweight = [[1, 2], [3, 4]]\n',
     "symconv: error: layer 2 (fc1).weight: expected a 2 x 9 matrix (out_features x the 9 entries of its input), "
     "got 2 x 2"),
]


@pytest.mark.parametrize("body,message", HOSTILE)
def test_hostile_layer_files(tmp_path, body, message):
    path = tmp_path / "hostile.toml"
    path.write_text(_BASE + body + _TAIL, encoding="utf-8")
    done = _run("homework", str(path), "--no-pdf", "--out", str(tmp_path / "out"), cwd=tmp_path)
    assert done.returncode == 2 and done.stderr.strip() == message, done.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("loss,message", [
    ('type = "mse"\ntarget = [1, 2, 3]', "loss.target: expected shape [2] (the output of layer 2 (fc1)), got [3]"),
    ('type = "cross_entropy"\ntarget = 3', "loss.target: expected a class from 1 to 2, got 3"),
    ('type = "hinge"\ntarget = 1', "loss.type: unknown loss 'hinge' (valid: cross_entropy, mse)"),
    ('type = "mse"\ntarget = [1, 2]\nreduction = "max"', "loss.reduction: expected mean or sum, got 'max'"),
])
def test_hostile_losses(loss, message):
    doc = __import__("tomllib").loads(_BASE + _FLAT_FC + "[loss]\n" + loss)
    with pytest.raises(InputError) as exc:
        parse(doc, "hostile")
    assert str(exc.value) == message


def test_a_file_is_layers_or_the_seeds_sections_not_both():
    doc = __import__("tomllib").loads(_BASE + _FLAT_FC + _TAIL + "[fc]\nout_features = 2\n")
    with pytest.raises(InputError, match=r"^fc: a file lists its layers either as \[\[layer\]\] or as \[conv\]"):
        parse(doc, "both")


# ---------------------------------------------------------------------------------------------------------
# Degeneracy: parts zero (or constant) for every input, with the reason; parts zero only for this data

def _kinds(sol) -> dict[str, tuple[str, str]]:
    return {d.part: (d.kind, d.reason) for d in sol.degenerate}


def test_equal_rows_make_every_gradient_before_them_zero_for_every_input():
    sol = solve(parse(__import__("tomllib").loads((ROOT / "derivations" / "network_seed.toml").read_text(
        encoding="utf-8")), "network_seed"))
    kinds = _kinds(sol)
    for part in ("dL_drelu1", "dL_dconv1", "dL_dh", "dL_dx"):
        assert kinds[part] == ("zero_always", "same_rows"), part
    for part in ("p", "L", "dL_dp", "dL_dfc1"):
        assert kinds[part] == ("constant_always", "same_rows"), part
    assert "fc1" not in kinds and "dL_dW" not in kinds
    # the claim itself, at other inputs: zero whatever x is
    rng = np.random.default_rng(4)
    doc = __import__("tomllib").loads((ROOT / "derivations" / "network_seed.toml").read_text(encoding="utf-8"))
    for _ in range(2):
        doc["input"]["x"] = _rand(rng, (2, 4, 4), -9, 9)
        other = solve(parse(doc, "other"))
        assert all(v == 0 for v in other.exact["dL_dx"].reshape(-1))
        assert other.exact["p"].tolist() == sol.exact["p"].tolist()


def test_a_relu_after_non_positive_weights_is_dead_for_every_input():
    doc = {"input": {"x": [[1, -2, 3, 4]]},
           "layer": [{"type": "conv", "weight": [[[1, -1]]]}, {"type": "relu"},
                     {"type": "conv", "weight": [[[-1, 0]]], "bias": "-1/2"}, {"type": "relu"},
                     {"type": "flatten"}, {"type": "linear", "out_features": 2, "weight": [[1, 2], [3, -1]]}],
           "loss": {"type": "cross_entropy", "target": 1}}
    kinds = _kinds(_solve(doc))
    assert kinds["relu2"] == ("zero_always", "dead_relu")
    for part in ("dL_dconv2", "dL_drelu1", "dL_dconv1", "dL_dh", "dL_dh2", "dL_dx", "dL_dconv_bias2", "dL_dW"):
        assert kinds[part] == ("zero_always", "dead_relu"), part
    assert "dL_drelu2" not in kinds and "dL_dfc1" not in kinds


def test_a_window_that_never_reaches_an_entry_and_a_zero_for_this_data_only():
    doc = {"input": {"x": [[[-1, -2, -3, -4, -5]]]},
           "layer": [{"type": "conv", "weight": [[[[1]]]]}, {"type": "relu"},
                     {"type": "max_pool", "kernel_size": [1, 2], "stride": [1, 3]},
                     {"type": "flatten"}, {"type": "linear", "out_features": 2, "weight": [[1, 2], [0, 1]]}],
           "loss": {"type": "cross_entropy", "target": 2}}
    sol = _solve(doc)
    kinds = _kinds(sol)
    assert kinds["dL_drelu1"] == ("zero_some_always", "uncovered")     # column 2 of 5: no window
    assert kinds["relu1"] == ("zero_here", "data")                      # x < 0 here, not for every x
    assert kinds["dL_dconv1"] == ("zero_here", "data")


def test_degenerate_parts_on_the_terminal_and_in_json(tmp_path):
    path = ROOT / "derivations" / "network_seed.toml"
    done = _run("homework", str(path), "--no-pdf", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "degenerate: dL_dx is 0 for every input (every row of W is the same)" in done.stdout
    done = _run("homework", str(path), "--json", "--no-pdf", cwd=tmp_path)
    doc = json.loads(done.stdout)
    assert {"part": "dL_dh", "kind": "zero_always", "reason": "same_rows", "layer": "fc1"} in doc["degenerate"]
    assert "degenerate" not in json.loads(_run("homework", str(SEED), "--json", cwd=tmp_path).stdout)


# ---------------------------------------------------------------------------------------------------------
# Reports and grading of a network

_TIE_NET = {"input": {"x": [[[1, 5, 5, 5], [5, 2, 3, 3], [0, 1, 3, 3], [2, 1, 0, 3]]]},
            "layer": [{"type": "conv", "weight": [[[[1, 0], [0, -1]]]], "padding": 1, "name": "c_a"},
                      {"type": "relu"}, {"type": "max_pool", "kernel_size": 2, "stride": 2},
                      {"type": "flatten"}, {"type": "linear", "out_features": 2, "weight": _rand(
                          np.random.default_rng(1), (2, 4)), "bias": [1, 0]}],
            "loss": {"type": "cross_entropy", "target": 1}, "title": "Net $&#_ \\input{x}"}


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_network_report_shows_each_step_the_ties_and_is_deterministic(lang):
    from symconv.report.network import render
    sol = _solve(_TIE_NET)
    tex, md = render(sol, lang)
    assert (tex, md) == render(_solve(_TIE_NET), lang)
    assert r"\input{x}" not in tex and r"\textbackslash{}input" in tex
    for text in (r"\mathrm{c\_a} = x \otimes h", r"\mathrm{relu1} = \max(\mathrm{c\_a}, 0)",
                 r"\frac{\partial L}{\partial \mathrm{c\_a}} = [\,\mathrm{c\_a} > 0\,] \odot",
                 r"\operatorname{rot180}", r"\frac{\partial L}{\partial W}"):
        assert text in md, text
    assert md.count(r"\frac{\partial L}{\partial \mathrm{relu1}} = ") == 2      # the rule, then its value
    words = {"en": ("PyTorch's convention", "Degenerate parts", "Backward pass"),
             "zh": ("PyTorch 的约定", "退化的部分", "反向传播")}[lang]
    for word in words:
        assert word in md, word


def test_check_grades_a_networks_parts_by_name(tmp_path):
    sol = _solve(_TIE_NET)
    right = sol.texts("relu1").reshape(-1)
    sheet = tmp_path / "s.tex"
    flat = sol.exact["pool1"].reshape(-1)
    sheet.write_text("\\begin{equation}\\label{ans:pool1}[" + ", ".join(str(v) for v in flat) + "]\\end{equation}\n"
                     "\\begin{equation}\\label{ans:c_a}[" + ", ".join(str(-v) for v in sol.exact["c_a"].reshape(-1))
                     + "]\\end{equation}\n"
                     "\\begin{equation}\\label{ans:fc1_bias}1\\end{equation}\n", encoding="utf-8")
    path = tmp_path / "net.toml"
    import tomllib  # noqa: F401
    lines = ["title = \"net\"", "[input]", f"x = {json.dumps(_TIE_NET['input']['x'])}"]
    for layer in _TIE_NET["layer"]:
        lines.append("[[layer]]")
        lines += [f"{k} = {json.dumps(v)}" for k, v in layer.items()]
    lines += ["[loss]", "type = \"cross_entropy\"", "target = 1"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    done = _run("check", str(sheet), "--against", str(path), cwd=tmp_path)
    rows = {line.split()[0]: line for line in done.stdout.splitlines() if line.strip()}
    assert "correct" in rows["pool1"] and "wrong" in rows["c_a"] and "missing" in rows["dL_dx"]
    assert "fc1_bias" in rows and "unparsed" in rows["fc1_bias"]          # not a part of this network
    assert len(right) == 25


@pytest.mark.parametrize("name", ["network_pool", "network_two_convs", "network_sigmoid_mse", "network_leaky_avg"])
def test_example_networks_solve_with_every_check_passed(name):
    from symconv.homework.inputs import load
    sol = solve(load(ROOT / "derivations" / f"{name}.toml"))
    assert not sol.failed_checks()
    if torch is not None:
        _compare(sol)


@pytest.mark.skipif(__import__("shutil").which("xelatex") is None or __import__("shutil").which("pdflatex") is None,
                    reason="needs TeX")
def test_network_reports_compile_to_pdf(tmp_path):
    """A layer type with _ in a table cell, e^r and a window K1 x K2 in a sentence once broke the LaTeX."""
    for name, lang in (("network_pool", "zh"), ("network_sigmoid_mse", "en")):
        done = _run("homework", str(ROOT / "derivations" / f"{name}.toml"), "--lang", lang, "--out",
                    str(tmp_path), cwd=tmp_path)
        assert done.returncode == 0 and "no PDF" not in done.stdout + done.stderr, done.stdout + done.stderr
        assert (tmp_path / f"{name}{'_zh' if lang == 'zh' else ''}.pdf").exists()
