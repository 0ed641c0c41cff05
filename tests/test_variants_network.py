"""Issue 21: variants of a homework written as layers (``[input]``, ``[[layer]]``, ``[loss]``): drawn by the
network's part names, non-degenerate by the network's own rules (its pool ties, its ReLU inputs), solved,
written as sheets and keys, and graded by ``check --variants`` against each student's own key.

Oracles: PyTorch autograd in float64 on the student's own written file (``test_network.network_by_torch``);
students' sheets written here from their keys, some with a sign flipped, the verdicts counted from what each
sheet was made to get wrong.
"""

from __future__ import annotations

import json
import tomllib
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from conftest import needs_torch
from symconv.cli import main
from symconv.errors import InputError
from symconv.homework.inputs import load, parse, toml_loads
from symconv.homework.solution import solve
from symconv.homework.variants import degeneracies, make_variant, plan, tensor_slots, to_toml
from test_variants import _latex, _sheet

ROOT = Path(__file__).resolve().parent.parent
POOL = (ROOT / "derivations" / "network_pool.toml").read_text(encoding="utf-8")
MSE = (ROOT / "derivations" / "network_sigmoid_mse.toml").read_text(encoding="utf-8")
EXAMPLE = (ROOT / "derivations" / "network_variants.toml").read_text(encoding="utf-8")    # the README's example
# Ranges that keep the softmax away from saturation (fc1 of a few units), so that every gradient is
# of a size a student writes.
RANGES = """
[variants]
x = { low = -20, high = 20, denominator = 10 }
h = { values = [-1, 1, 2] }
W = { low = -3, high = 3, denominator = 10 }
conv_bias = { low = -2, high = 2 }
"""


def _exact(a) -> list:
    return [Fraction(str(v)) for v in np.asarray(a, dtype=object).reshape(-1)]


def _same_network(a, b) -> bool:
    """Two parsed networks hold the same numbers and layers."""
    if _exact(a.x) != _exact(b.x) or a.loss.type != b.loss.type or len(a.layers) != len(b.layers):
        return False
    for la, lb in zip(a.layers, b.layers):
        if (la.type, la.name, la.weight_name, la.bias_name, la.out_shape) != \
                (lb.type, lb.name, lb.weight_name, lb.bias_name, lb.out_shape):
            return False
        if set(la.params) != set(lb.params) or any(_exact(la.params[k]) != _exact(lb.params[k]) for k in la.params):
            return False
    return True


# --- drawing -------------------------------------------------------------------------------------------

def test_a_networks_tensors_are_drawn_by_part_name_and_its_default_bias_name_is_one():
    # the conv layer's bias has no bias_name: the network calls it conv_bias (dL_dconv_bias), and so must
    # [variants] (before: "no tensor of this homework is named 'conv_bias'")
    data = tomllib.loads(POOL)
    slots = tensor_slots(data)
    assert slots == {"x": ("input", "x"), "h": ("layer", 0, "weight"), "conv_bias": ("layer", 0, "bias"),
                     "W": ("layer", 4, "weight")}
    p = plan(POOL + RANGES, "net")
    assert p.shapes == {"x": (1, 5, 5), "h": (2, 1, 2, 2), "conv_bias": (2,), "W": (3, 8)}
    v = make_variant(p, 7, "s001", {})
    layer = v.data["layer"]
    assert {Fraction(str(e)) for e in np.array(v.data["input"]["x"], dtype=object).reshape(-1)} <= \
        {Fraction(k, 10) for k in range(-20, 21)}
    assert {int(e) for e in np.array(layer[0]["weight"]).reshape(-1)} <= {-1, 1, 2}
    assert {int(e) for e in layer[0]["bias"]} <= set(range(-2, 3))
    assert {Fraction(str(e)) for e in np.array(layer[4]["weight"], dtype=object).reshape(-1)} <= \
        {Fraction(k, 10) for k in range(-3, 4)}
    assert layer[2] == {"type": "max_pool", "kernel_size": 2, "stride": 2}     # settings kept
    assert "variants" not in v.data


@pytest.mark.parametrize("name", ["network_pool", "network_two_convs", "network_leaky_avg", "network_seed",
                                  "network_sigmoid_mse"])
def test_every_parameter_of_a_network_has_a_slot_under_the_name_the_network_gives_it(name):
    # the oracle: the parsed network's own parameter names (layers.py), each found at its slot in the file
    data = tomllib.loads((ROOT / "derivations" / f"{name}.toml").read_text(encoding="utf-8"))
    net = parse(data, name)
    want = {pname: (k, "weight" if pname == layer.weight_name else "bias")
            for k, layer in enumerate(net.layers) for pname in layer.params}
    slots = tensor_slots(data)
    assert {n: s[1:] for n, s in slots.items() if n != "x"} == want
    for pname, (k, field) in want.items():
        assert _exact(net.layers[k].params[pname]) == _exact(np.broadcast_to(
            np.array(data["layer"][k][field], dtype=object), net.layers[k].params[pname].shape))


def test_a_bias_named_in_the_file_is_drawn_under_that_name():
    text = POOL.replace('bias = [0, 1]', 'bias = [0, 1]\nbias_name = "b"')
    p = plan(text + RANGES.replace("conv_bias =", "b ="), "net")
    assert p.slots["b"] == ("layer", 0, "bias") and "conv_bias" not in p.slots
    with pytest.raises(InputError, match=r"^variants\.conv_bias: no tensor of this homework is named"):
        plan(text + RANGES, "net")


def test_the_written_layer_file_parses_to_the_same_network():
    p = plan(POOL + RANGES, "net")
    for sid in ("s001", "s002", "s003"):
        v = make_variant(p, 3, sid, {})
        written = to_toml(v.data, comment="a comment")
        back = parse(toml_loads(written, "net", parse_float=Decimal), "net")
        assert _same_network(back, parse(v.data, "net"))
        assert _same_network(back, v.solution.homework)
        assert to_toml(tomllib.loads(written)) == to_toml(v.data)     # a second round trip changes nothing


def test_a_students_network_depends_on_the_seed_and_id_alone():
    p = plan(POOL + RANGES, "net")
    alone = make_variant(p, 11, "s042", {})
    taken: dict[str, dict[str, str]] = {}
    for other in ("zz", "s001"):
        make_variant(p, 11, other, taken)
    assert to_toml(make_variant(p, 11, "s042", taken).data) == to_toml(alone.data)
    assert to_toml(make_variant(p, 12, "s042", {}).data) != to_toml(alone.data)
    assert to_toml(make_variant(p, 11, "s043", {}).data) != to_toml(alone.data)


def test_the_files_own_numbers_break_the_networks_rules():
    # network_pool.toml keeps a max-pool tie and ReLU inputs at exactly 0 on purpose. By hand: channel 1 is
    # x[i,j+1] - x[i+1,j] + 1, so conv1[1,0,1] = x[0,2] - x[1,1] + 1 = 0 - 1 + 1 = 0; channel 0 is
    # x[i,j] + x[i+1,j+1], whose window (rows 2-3, columns 0-1) holds 3, 3, 2, 3: pool1[0,1,0] ties.
    sol = solve(parse(tomllib.loads(POOL), "net"))
    p = plan(POOL + "[variants]\nW = { low = -3, high = 3, denominator = 10 }\n", "net")
    kinds = [k for k, _ in degeneracies(sol, p.asked, p.variants)]
    assert kinds == ["var.relu_zero", "var.pool_tie"]
    assert sol.pool_ties == [("pool1", (0, 1, 0))]


def test_a_max_pool_tie_is_rejected_unless_allow_pool_ties():
    # only W drawn: x and h keep the file's tie, so every draw ties; ReLU zeros allowed to isolate the rule
    base = POOL + "[variants]\nallow_relu_zero = true\nW = { low = -3, high = 3, denominator = 10 }\n"
    with pytest.raises(InputError, match=r"none of 3 draws passed the rules .*a max-pool window ties at "
                                         r"\(pool1, \(0, 1, 0\)\)"):
        make_variant(plan(base, "net"), 1, "s001", {}, attempts=3)
    kept = make_variant(plan(base.replace("allow_relu_zero = true", "allow_relu_zero = true\n"
                                          "allow_pool_ties = true"), "net"), 1, "s001", {}, attempts=3)
    assert kept.attempt == 0 and kept.solution.pool_ties == [("pool1", (0, 1, 0))]


def test_a_relu_input_at_zero_is_rejected_by_the_networks_rule():
    base = POOL + "[variants]\nallow_pool_ties = true\nW = { low = -3, high = 3, denominator = 10 }\n"
    with pytest.raises(InputError, match=r"a ReLU input is exactly 0 at \(relu1, 1, 0, 1\)"):
        make_variant(plan(base, "net"), 1, "s001", {}, attempts=2)


def test_an_asked_part_all_zero_is_rejected_in_a_network():
    # a drawn bias of -100 kills every ReLU (|conv1 without bias| <= 6 here): relu1, pool1 and fc1 are 0, so p is
    # uniform, and every gradient behind the ReLU is 0
    text = POOL + "[variants]\nallow_pool_ties = true\nallow_relu_zero = true\nconv_bias = { values = [-100] }\n"
    with pytest.raises(InputError) as caught:
        make_variant(plan(text, "net"), 1, "s001", {}, attempts=2)
    for part in ("relu1", "pool1", "fc1", "dL_dconv1", "dL_dW", "dL_dh", "dL_dx", "dL_dconv_bias"):
        assert f"; {part} is zero in every entry;" in str(caught.value).replace("(the last: ", "; ")
    assert "dL_dpool1 is zero" not in str(caught.value) and "p is uniform (1/3 for every class)" in str(caught.value)


def test_an_mse_network_has_no_softmax_rule_and_draws():
    p = plan(MSE + "[variants]\nx = { low = -3, high = 3 }\nW = { low = -4, high = 4, denominator = 2 }\n", "net")
    v = make_variant(p, 5, "s001", {})
    assert "p" not in v.solution.exact and not degeneracies(v.solution, p.asked, p.variants)
    assert np.array(v.data["layer"][3]["weight"], dtype=object).shape == (2, 3)


# --- a class of networks: variants, sheets, check --variants -------------------------------------------

POINTS = "[points]\nL = 1\ndL_dfc1 = 1\ndL_dpool1 = 2\ndL_drelu1 = 1\ndL_dW = 1\ndL_dh = 2\ndL_dx = 2\n" \
         "dL_dconv_bias = 1\n"


@pytest.fixture(scope="module")
def net_class(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("netclass")
    (tmp / "hw.toml").write_text(EXAMPLE + POINTS, encoding="utf-8")
    assert main(["variants", str(tmp / "hw.toml"), "--students", "4", "--seed", "21", "--out",
                 str(tmp / "class"), "--no-pdf"]) == 0
    summary = json.loads((tmp / "class" / "variants.json").read_text(encoding="utf-8"))
    keys = {s["id"]: json.loads((tmp / "class" / s["key"]).read_text(encoding="utf-8")) for s in summary["students"]}
    sheets = tmp / "sheets"
    sheets.mkdir()
    plan_ = {"s001.tex": ("s001", ()), "s002.tex": ("s002", ("dL_dfc1",)), "s003.tex": ("s003", ()),
             "s004.tex": ("s001", ())}                 # s004 hands in s001's answers
    for name, (whose, wrong) in plan_.items():
        asked = summary["points"]        # the template lists the parts asked: a sheet answers those
        text = _sheet(keys[whose], None, wrong, tuple(p for p in keys[whose]["parts"] if p not in asked))
        if name == "s003.tex":                          # a network part's sign flipped
            right = _latex(keys["s003"]["parts"]["dL_dpool1"]["float"])
            flipped = _latex(-np.array(keys["s003"]["parts"]["dL_dpool1"]["float"]))
            assert text.count(right) == 1
            text = text.replace(right, flipped)
        (sheets / name).write_text(text, encoding="utf-8")
    status = main(["check", str(sheets), "--variants", str(tmp / "class"), "--out", str(tmp / "graded"),
                   "--no-pdf", "--jobs", "2"])
    book = json.loads((tmp / "graded" / "gradebook.json").read_text(encoding="utf-8"))
    return {"tmp": tmp, "summary": summary, "keys": keys, "status": status, "book": book}


def test_each_network_sheet_is_graded_against_its_own_key(net_class):
    verdicts = {s["student"]: {p["part"]: (p["verdict"], p["mistake"]) for p in s["parts"]}
                for s in net_class["book"]["students"]}
    asked = ["L", "dL_dfc1", "dL_dpool1", "dL_drelu1", "dL_dW", "dL_dh", "dL_dx", "dL_dconv_bias"]
    assert set(verdicts) == {"s001", "s002", "s003", "s004"}
    assert all(sorted(v) == sorted(asked) for v in verdicts.values())     # parts not asked are not missing
    assert all(v == ("correct", "") for v in verdicts["s001"].values())
    assert verdicts["s002"]["dL_dfc1"] == ("wrong", "sign_flipped")
    assert [p for p, v in verdicts["s002"].items() if v[0] != "correct"] == ["dL_dfc1"]
    assert verdicts["s003"]["dL_dpool1"] == ("wrong", "sign_flipped")
    assert [p for p, v in verdicts["s003"].items() if v[0] != "correct"] == ["dL_dpool1"]
    assert sum(v[0] == "wrong" for v in verdicts["s004"].values()) == len(asked)    # another's numbers
    # only the mistakes that apply to a network are named (the seed's own name its layers)
    named = {v[1] for s in verdicts.values() for v in s.values() if v[1]}
    assert not named & {"relu_mask", "flatten_order", "kernel_flipped", "fc_scale", "wrong_target",
                        "softmax_for_gradient"}
    assert net_class["status"] == 1


def test_the_network_keys_have_its_part_names_and_points(net_class):
    s = net_class["summary"]
    assert s["points"] == {"L": "1", "dL_dfc1": "1", "dL_dpool1": "2", "dL_drelu1": "1", "dL_dW": "1",
                           "dL_dh": "2", "dL_dx": "2", "dL_dconv_bias": "1"}
    assert set(s["drawn"]) == {"x", "h", "W", "conv_bias"}
    for key in net_class["keys"].values():
        assert {"conv1", "relu1", "pool1", "fc1", "p", "L", "dL_dpool1", "dL_dconv_bias"} <= set(key["parts"])
        assert "pool_ties" in key and key["pool_ties"] == [] and key["relu_ties"] == []
    digests = {json.dumps(k["parts"]["dL_dh"]["exact"]) for k in net_class["keys"].values()}
    assert len(digests) == 4


def test_a_network_problem_sheet_shows_the_students_numbers_by_part_name(net_class):
    tmp = net_class["tmp"] / "class"
    s = net_class["summary"]["students"][1]
    tex = (tmp / s["sheet"]).read_text(encoding="utf-8")
    md = (tmp / s["sheet"]).with_suffix(".md").read_text(encoding="utf-8")
    for label in ("ans:dL_dpool1", "ans:dL_dconv_bias", "ans:dL_dh", 'student = "s002"'):
        assert label in md
    for text in (tex, md):                                             # the bias by its part name
        assert r"b^{\mathrm{conv}} = \begin{bmatrix}" in text and "layer.1.bias" not in text
    assert "`layer.3.type` | max\\_pool" in md and "Total: 11 points." in md
    data = toml_loads((tmp / s["homework"]).read_text(encoding="utf-8"), "hw", parse_float=Decimal)
    x = np.array(data["input"]["x"], dtype=object)[0]
    first = Fraction(str(x[0, 0]))
    shown = str(first) if first.denominator == 1 else rf"\dfrac{{{abs(first.numerator)}}}{{{first.denominator}}}"
    assert shown in md.split("## Questions")[0]


@needs_torch
def test_a_network_students_key_is_pytorchs_autograd(net_class):
    from test_network import network_by_torch
    tmp = net_class["tmp"] / "class"
    for s in net_class["summary"]["students"][::3]:
        net = load(tmp / s["homework"])
        want = network_by_torch(net)
        key = net_class["keys"][s["id"]]["parts"]
        for part, v in key.items():
            got = np.array(v["float"], dtype=float)
            if part == "dL_dp":      # PyTorch's p.grad is dL/dp of -log p_t: -1/p_t at t, 0 elsewhere
                t = net.loss.target - 1
                expect = np.zeros(len(want["p"]))
                expect[t] = -1 / want["p"][t]
            else:
                expect = want[part]
            np.testing.assert_allclose(got, expect, rtol=1e-10, atol=1e-12, err_msg=f"{s['id']} {part}")


def test_a_network_key_is_homework_json_of_the_students_own_file(net_class, capsys):
    tmp = net_class["tmp"] / "class"
    s = net_class["summary"]["students"][2]
    capsys.readouterr()
    assert main(["homework", str(tmp / s["homework"]), "--json"]) == 0
    solved = json.loads(capsys.readouterr().out)
    assert solved == net_class["keys"][s["id"]]
    assert "dL_dpool1" in solved["parts"] and solved["pool_ties"] == []
