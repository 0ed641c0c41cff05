"""Verdicts that teach (issue 13, item 2): a wrong numeric answer names the mistake that explains it exactly.

Each wrong answer is computed here the way a student would make the mistake, in PyTorch (independent of
symconv's solver and of :mod:`symconv.grading.mistakes`), written as LaTeX decimals the way a student types
them, read by the real reader from a sheet and graded. The homework used has gradients that do not vanish
(varied fc weights) and conv1 entries of both signs, so that every mistake changes the answer; the packaged
homework, where everything before fc1 has a zero gradient, is graded as well. Correct answers and unrelated
wrong answers must name no mistake.
"""

from __future__ import annotations

import csv
import functools
import math
import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from symconv.grading.answers import read_answers  # noqa: E402
from symconv.grading.grade import Grade, grade, grade_part  # noqa: E402
from symconv.grading.gradebook import Gradebook, mistake_of  # noqa: E402
from symconv.grading.mistakes import MISTAKES, candidates  # noqa: E402
from symconv.homework.inputs import load  # noqa: E402
from symconv.homework.solution import solve  # noqa: E402
from symconv.wording import WORDS  # noqa: E402

X = "[[[1, 2, 3, 4], [8, 7, 6, 5], [9, 10, 11, 12], [16, 15, 14, 13]], " \
    "[[29, 30, 31, 32], [28, 27, 26, 25], [21, 22, 23, 24], [20, 19, 18, 17]]]"
H = "[[[[-1, 0, 1], [-1, 0, 1], [-1, 0, 1]], [[-1, -1, -1], [0, 0, 0], [1, 1, 1]]], " \
    "[[[1, 0, 0], [0, 1, 0], [0, 0, 1]], [[0, 0, 1], [0, 1, 0], [1, 0, 0]]]]"
# conv1 = [[-22, -22], [-26, -26]], [[98, 100], [100, 98]] as in the homework, but conv1's first channel is
# made to straddle 0 by a bias, and the fc weights vary, so that no gradient vanishes.
W = [[((3 * i + 5 * j) % 7 - 3) / 100 for j in range(8)] for i in range(5)]
VARIED = f"""
[input]
x = {X}
[conv]
h = {H}
bias = [24, -99]
[fc]
out_features = 5
weight = {W}
[loss]
target = 3
"""


@functools.lru_cache(maxsize=None)
def _solution(text: str):  # type: ignore[no-untyped-def]
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "hw.toml"
        path.write_text(text, encoding="utf-8")
        return solve(load(path))


def varied():  # type: ignore[no-untyped-def]
    return _solution(VARIED)


def packaged():  # type: ignore[no-untyped-def]
    return _solution(Path(load.__globals__["packaged"]()).read_text(encoding="utf-8"))


# ------------------------------------------------------------------------------- the student, in PyTorch

def _t(a) -> "torch.Tensor":  # type: ignore[no-untyped-def]
    import sympy as sp
    to_float = np.vectorize(lambda v: float(sp.N(v, 30)), otypes=[float])
    return torch.tensor(to_float(np.asarray(a, dtype=object)))


def student(hw, *, log=torch.log, flip=False, relu=True, flatten=(0, 1, 2), target=None,
            weight_times=1.0):  # type: ignore[no-untyped-def]
    """Every part as a student computes it, with the forward mistakes given (a log base, a flipped kernel, no
    ReLU before the fc layer, another flattening order, another target class, the fc weights multiplied by a
    factor); the backward mistakes are applied by the tests."""
    t = (target or hw.target) - 1
    x = _t(hw.x)[None].requires_grad_()
    h = _t(hw.h).requires_grad_()
    cb = _t(hw.conv_bias if hw.conv_bias is not None else [0] * hw.h.shape[0]).requires_grad_()
    Wt = (_t(hw.fc_weight) * weight_times).requires_grad_()
    conv1 = torch.nn.functional.conv2d(x, h.flip(-1, -2) if flip else h, cb)
    relu1 = torch.relu(conv1) if relu else conv1
    fc1 = Wt @ relu1[0].permute(*flatten).reshape(-1)
    p = torch.softmax(fc1, 0)
    L = -log(p[t])
    for v in (conv1, relu1, fc1, p):
        v.retain_grad()
    L.backward()
    return {"conv1": conv1[0], "relu1": relu1[0], "fc1": fc1, "p": p, "L": L, "dL_dp": p.grad,
            "dL_dfc1": fc1.grad,
            "dL_drelu1": relu1.grad[0], "dL_dconv1": conv1.grad[0], "dL_dW": Wt.grad, "dL_dh": h.grad,
            "dL_dx": x.grad[0], "dL_dconv_bias": cb.grad, "_graph": (x, h, cb, Wt, conv1, relu1, fc1)}


def conv_back(hw, dconv1):  # type: ignore[no-untyped-def]
    """dL/dx, dL/dh and dL/dconv_bias from a given dL/dconv1, by autograd through the convolution alone."""
    x = _t(hw.x)[None].requires_grad_()
    h = _t(hw.h).requires_grad_()
    cb = _t(hw.conv_bias).requires_grad_()
    conv1 = torch.nn.functional.conv2d(x, h, cb)
    gx, gh, gb = torch.autograd.grad(conv1, (x, h, cb), dconv1[None])
    return {"dL_dx": gx[0], "dL_dh": gh, "dL_dconv_bias": gb}


def fc_back(hw, relu1, g):  # type: ignore[no-untyped-def]
    """dL/dW and dL/drelu1 of the fc layer from a given dL/dfc1."""
    Wt = _t(hw.fc_weight)
    return {"dL_dW": torch.outer(g, relu1.reshape(-1)), "dL_drelu1": (Wt.T @ g).reshape(relu1.shape)}


# ------------------------------------------------------------------------------- LaTeX as students write it

def latex(a, places: int | None = None) -> str:  # type: ignore[no-untyped-def]
    """A value as a student types it: a scalar, a column vector, a matrix, or channel matrices with commas;
    with ``places`` decimals, or by default as many as leave 12 significant digits to the largest entry
    (float64 computations are good to about 15)."""
    a = np.asarray(a.detach() if hasattr(a, "detach") else a, dtype=float)
    if places is None:
        top = float(np.max(np.abs(a))) if a.size else 0.0
        places = max(1, 12 - (math.floor(math.log10(top)) + 1 if top >= 1 else 0))
    num = lambda v: f"{v:.{places}f}"  # noqa: E731
    if a.ndim == 0:
        return num(float(a))
    if a.ndim == 1:
        return r"\begin{bmatrix} " + r" \\ ".join(map(num, a)) + r" \end{bmatrix}"
    if a.ndim == 2:
        rows = r" \\ ".join(" & ".join(map(num, row)) for row in a)
        return r"\begin{bmatrix} " + rows + r" \end{bmatrix}"
    return ", ".join(latex(m, places) for m in a.reshape((-1,) + a.shape[-2:]))


def graded(tmp_path: Path, sol, answers: dict[str, str]) -> dict[str, Grade]:  # type: ignore[no-untyped-def]
    body = "\n".join(f"\\begin{{equation}}\\label{{ans:{p}}}\n{p} = {text}\n\\end{{equation}}"
                     for p, text in answers.items())
    sheet = tmp_path / "sheet.tex"
    sheet.write_text(f"\\documentclass{{article}}\n\\begin{{document}}\n{body}\n\\end{{document}}\n",
                     encoding="utf-8")
    return {g.part: g for g in grade(read_answers(sheet), sol)}


# --------------------------------------------------------------------------- the homework is not degenerate

def test_the_varied_homework_has_gradients_that_do_not_vanish():
    sol, hw = varied(), varied().homework
    for part in ("dL_drelu1", "dL_dconv1", "dL_dh", "dL_dx", "dL_dconv_bias"):
        assert np.count_nonzero(sol.floats(part)) > 1, part
    mask = sol.floats("conv1") > 0
    assert mask.any() and (~mask).any()
    right = student(hw)
    for part in ("conv1", "fc1", "p", "dL_dfc1", "dL_dconv1", "dL_dW", "dL_dh", "dL_dx"):   # oracle agrees
        assert np.allclose(right[part].detach().numpy(), sol.floats(part), rtol=1e-12, atol=1e-12), part


# ------------------------------------------------------------------------------- each mistake, named

def _wrong_answers(hw):  # type: ignore[no-untyped-def]
    """(part, the student's wrong value, the mistake it must be named as)."""
    right = student(hw)
    r = {k: v for k, v in right.items() if not k.startswith("_")}
    cases = []
    # transposed: a 8x5 answer for the 5x8 dL/dW, and each channel's square matrix transposed
    cases.append(("dL_dW", r["dL_dW"].T, "transposed"))
    cases.append(("dL_dx", r["dL_dx"].transpose(-1, -2), "transposed"))
    cases.append(("conv1", r["conv1"].transpose(-1, -2), "transposed"))
    # sign flipped: y - p, and everything after it
    for part in ("dL_dfc1", "dL_dW", "dL_drelu1", "dL_dh", "L"):
        cases.append((part, -r[part], "sign_flipped"))
    # the kernel flipped: a true convolution
    flipped = student(hw, flip=True)
    cases += [("conv1", flipped["conv1"], "kernel_flipped"), ("relu1", flipped["relu1"], "kernel_flipped")]
    cases += [(part, flipped[part], "kernel_flipped") for part in ("fc1", "dL_dfc1", "dL_dconv1", "dL_dW")]
    # softmax instead of its gradient: p for dL/dfc1 (and dL/dp), and the gradients computed from p
    cases += [("dL_dfc1", r["p"], "softmax_for_gradient"), ("dL_dp", r["p"], "softmax_for_gradient")]
    from_p = fc_back(hw, r["relu1"], r["p"])
    mask = (r["conv1"] > 0).double()
    from_p["dL_dconv1"] = from_p["dL_drelu1"] * mask
    from_p.update(conv_back(hw, from_p["dL_dconv1"]))
    for part in ("dL_dW", "dL_drelu1", "dL_dconv1", "dL_dh", "dL_dx"):
        cases.append((part, from_p[part], "softmax_for_gradient"))
    # ReLU's mask forgotten, taken from the gradient's sign, or inverted; ReLU left out before the fc layer
    no_mask = {"dL_dconv1": r["dL_drelu1"], **conv_back(hw, r["dL_drelu1"])}
    by_sign = {"dL_dconv1": torch.relu(r["dL_drelu1"]), **conv_back(hw, torch.relu(r["dL_drelu1"]))}
    inverted = {"dL_dconv1": r["dL_drelu1"] * (1 - mask), **conv_back(hw, r["dL_drelu1"] * (1 - mask))}
    for wrong in (no_mask, by_sign, inverted):
        for part in ("dL_dconv1", "dL_dh", "dL_dx", "dL_dconv_bias"):
            cases.append((part, wrong[part], "relu_mask"))
    cases.append(("relu1", r["conv1"], "relu_mask"))
    cases.append(("dL_drelu1", r["dL_dconv1"], "relu_mask"))                 # the mask one step early
    cases.append(("dL_dW", torch.outer(r["dL_dfc1"], r["conv1"].reshape(-1)), "relu_mask"))
    # relu1 flattened channel last, or column-major within each channel
    for order in ((1, 2, 0), (0, 2, 1)):
        flat = student(hw, flatten=order)
        cases += [("fc1", flat["fc1"], "flatten_order")]
        g = r["dL_dfc1"]
        cases.append(("dL_dW", torch.outer(g, r["relu1"].permute(*order).reshape(-1)), "flatten_order"))
    cases.append(("dL_dW", r["dL_dW"].T.reshape(-1), "flatten_order"))     # 40 entries, column by column
    # log base 10: L, and every gradient after it
    ten = student(hw, log=torch.log10)
    for part in ("L", "dL_dp", "dL_dfc1", "dL_dW", "dL_dconv1", "dL_dx"):
        cases.append((part, ten[part], "log_base_10"))
    # the fc weights' common factor left out (weights of 3/100, -1/100 … used as 3, -1 …): fc1 and what follows
    factor = _common_factor(hw.fc_weight)
    if factor != 1:
        unscaled = student(hw, weight_times=float(1 / factor))
        cases += [(part, unscaled[part], "fc_scale") for part in ("fc1", "dL_dfc1", "dL_dW")]
    # the one-hot target on the next class: L and every gradient after it
    other = hw.target % hw.fc_weight.shape[0] + 1
    moved = student(hw, target=other)
    cases += [(part, moved[part], "wrong_target") for part in ("L", "dL_dp", "dL_dfc1", "dL_dW")]
    return cases


def _common_factor(w):  # type: ignore[no-untyped-def]
    """The fc weights' common rational factor, from the homework's own numbers (Fractions)."""
    from fractions import Fraction
    import math as _math
    entries = [Fraction(str(v)) for v in np.asarray(w, dtype=object).reshape(-1) if v != 0]
    return Fraction(_math.gcd(*(e.numerator for e in entries)), _math.lcm(*(e.denominator for e in entries)))


def random_homework(seed: int) -> str:
    """A small homework of random integers (2 x 4 x 4 input, 2 x 2 x 3 x 3 kernels, biases, 4 classes)."""
    rng = np.random.default_rng(seed)
    x, h, bias = rng.integers(-5, 6, (2, 4, 4)), rng.integers(-2, 3, (2, 2, 3, 3)), rng.integers(-3, 4, 2)
    weight, target = rng.integers(-3, 4, (4, 8)) / 10, int(rng.integers(1, 5))
    return (f"[input]\nx = {x.tolist()}\n[conv]\nh = {h.tolist()}\nbias = {bias.tolist()}\n"
            f"[fc]\nout_features = 4\nweight = {weight.tolist()}\n[loss]\ntarget = {target}\n")


@pytest.mark.parametrize("seed", range(1, 7))
def test_every_mistake_on_random_homeworks(tmp_path, seed):
    """The same mistakes, made on homeworks nobody chose (one with a target probability of 5e-7)."""
    sol = _solution(random_homework(seed))
    missed = []
    for part, value, mistake in _wrong_answers(sol.homework):
        got = graded(tmp_path, sol, {part: latex(value)})[part]
        if (got.verdict, got.mistake) != ("wrong", mistake):
            missed.append((part, mistake, got.verdict, got.mistake))
    assert missed == []


def test_every_mistake_is_tried():
    assert {m for _, _, m in CASES} == set(MISTAKES)


CASES = _wrong_answers(varied().homework)


@pytest.mark.parametrize("part,value,mistake", CASES,
                         ids=[f"{m}-{p}-{k}" for k, (p, _, m) in enumerate(CASES)])
def test_each_wrong_answer_names_its_mistake(tmp_path, part, value, mistake):
    got = graded(tmp_path, varied(), {part: latex(value)})[part]
    assert got.verdict == "wrong", (part, mistake, got.detail)
    assert got.mistake == mistake, f"{part} ({mistake}): named {got.mistake!r}; {got.detail}"
    assert "likely mistake: " in got.detail and "可能的错误：" in got.detail_text("zh")


def test_a_tensor_written_as_one_vector_in_another_order(tmp_path):
    """relu1 written as one vector, channel last: its entries are listed in another order."""
    right = student(varied().homework)
    got = graded(tmp_path, varied(), {"relu1": latex(right["relu1"].permute(1, 2, 0).reshape(-1))})["relu1"]
    assert (got.verdict, got.mistake) == ("wrong", "flatten_order")
    assert got.detail.endswith("likely mistake: the entries listed in another order than (channel, row, column)")


def test_correct_answers_name_no_mistake(tmp_path):
    right = student(varied().homework)
    parts = [p for p in varied().exact if p not in ("dL_dfc_bias",)]
    got = graded(tmp_path, varied(), {p: latex(right[p]) for p in parts})
    assert {p: (g.verdict, g.mistake) for p, g in got.items()} == {p: ("correct", "") for p in parts}


def test_unrelated_wrong_answers_name_no_mistake(tmp_path):
    right = student(varied().homework)
    answers = {}
    for part in ("conv1", "fc1", "L", "dL_dfc1", "dL_dW", "dL_dconv1", "dL_dh", "dL_dx"):
        v = right[part].detach().clone()
        v.view(-1)[0] += 0.5                    # one slip of arithmetic
        answers[part] = latex(v)
    answers["p"] = latex(right["p"] * 2)        # a scale no mistake of the list makes
    got = graded(tmp_path, varied(), answers)
    # a slip in one entry of several is named as such (one_entry, issue 19); in a single value, or a scale, nothing
    assert {p: (g.verdict, g.mistake) for p, g in got.items() if p in answers} == \
        {p: ("wrong", "" if p in ("L", "p") else "one_entry") for p in answers}


def test_a_mistake_and_one_more_slip_names_none(tmp_path):
    """Exactly: y - p with one entry mistyped is wrong, and no mistake explains it."""
    right = student(varied().homework)
    v = -right["dL_dfc1"].detach().clone()
    v[1] += 0.01
    got = graded(tmp_path, varied(), {"dL_dfc1": latex(v)})["dL_dfc1"]
    assert (got.verdict, got.mistake) == ("wrong", "")


def test_written_precision_decides(tmp_path):
    """L = 0.70 is log10(5) to its two places; L = 0.72 is not, and no mistake explains it."""
    sol = packaged()
    assert grade_part("L", "0.70", sol.exact["L"], sol).mistake == "log_base_10"
    assert grade_part("L", r"\log_{10} 5", sol.exact["L"], sol).mistake == "log_base_10"
    assert grade_part("L", "0.699", sol.exact["L"], sol).mistake == "log_base_10"
    assert grade_part("L", "0.72", sol.exact["L"], sol).mistake == ""
    assert grade_part("L", "0.7", sol.exact["L"], sol).mistake == "log_base_10"      # within 0.05 of 0.699
    assert grade_part("L", "1.61", sol.exact["L"], sol).verdict == "correct"


def test_transposed_shape_is_named_whatever_the_entries(tmp_path):
    sol = packaged()
    right = np.asarray(sol.floats("dL_dW"))
    exact = grade_part("dL_dW", latex(right.T, 1), sol.exact["dL_dW"], sol)
    assert (exact.verdict, exact.mistake) == ("wrong", "transposed")
    assert exact.detail == ("shape [8, 5], expected [5, 8]; likely mistake: transposed (rows and columns "
                            "exchanged)")
    both = grade_part("dL_dW", latex(-right.T, 1), sol.exact["dL_dW"], sol)
    assert both.mistake == "transposed,sign_flipped"
    assert both.detail.startswith("shape [8, 5], expected [5, 8]; transposed back, 20 entries differ")
    assert both.detail.endswith("likely mistake: transposed (rows and columns exchanged) and the sign flipped "
                                "(such as y - p for p - y)")
    slip = right.T.copy()
    slip[0, 0] = 1
    other = grade_part("dL_dW", latex(slip, 1), sol.exact["dL_dW"], sol)
    assert other.mistake == "transposed" and "transposed back, 1 entry differs" in other.detail


def test_other_shapes_are_wrong_with_both_shapes():
    sol = packaged()
    for part, text, shape in (("dL_dW", r"\begin{bmatrix} 1 & 2 \\ 3 & 4 \end{bmatrix}", "[2, 2]"),
                              ("conv1", r"\begin{bmatrix} 1 & 2 & 3 \end{bmatrix}", "[3]"),
                              ("L", r"\begin{bmatrix} 1 & 2 \end{bmatrix}", "[2]")):
        g = grade_part(part, text, sol.exact[part], sol)
        want = str(list(sol.exact[part].shape))
        assert (g.verdict, g.mistake) == ("wrong", ""), g.detail
        assert shape in g.detail and want in g.detail, g.detail


def test_the_packaged_homework(tmp_path):
    """Where a gradient vanishes, a mistake that only scales it changes nothing and names nothing; the others
    still name theirs."""
    sol = packaged()
    zeros = r"\begin{bmatrix} 0 & 0 \\ 0 & 0 \end{bmatrix}, \begin{bmatrix} 0 & 0 \\ 0 & 0 \end{bmatrix}"
    got = graded(tmp_path, sol, {
        "dL_dconv1": zeros,                                                      # correct: no mistake
        "dL_dfc1": r"\begin{bmatrix} 0.2 & 0.2 & 0.2 & 0.2 & 0.2 \end{bmatrix}^T",  # p
        "dL_dp": r"\begin{bmatrix} 0 & 0 & 5 & 0 & 0 \end{bmatrix}^T",          # +1/p
        "L": r"-\log_{10} 0.2",
        "dL_dx": r"\mathbf{1}_{2\times 4\times 4}"})                             # a guess
    assert {p: (g.verdict, g.mistake) for p, g in got.items() if p in (
        "dL_dconv1", "dL_dfc1", "dL_dp", "L")} == {"dL_dconv1": ("correct", ""),
                                                   "dL_dfc1": ("wrong", "softmax_for_gradient"),
                                                   "dL_dp": ("wrong", "sign_flipped"),
                                                   "L": ("wrong", "log_base_10")}
    assert got["dL_dx"].mistake == ""


def test_no_candidate_is_zero_or_correct_and_they_come_in_order():
    for sol in (varied(), packaged()):
        for part in sol.exact:
            order = []
            for c in candidates(sol, part):
                assert np.any(c.floats != 0), (part, c.mistake)
                assert not np.array_equal(c.floats, sol.floats(part)), (part, c.mistake)
                order.append(MISTAKES.index(c.mistake))
            assert order == sorted(order), part           # the first that explains an answer is the one named


def test_a_layer_of_real_size_is_graded_and_named_within_the_budget():
    """A 2 x 12 x 12 input and 10 classes (dL/dW: 2,000 entries with exponentials), answered in decimals with
    the sign flipped: wrong and named, not over the 2 s budget."""
    import sys
    sys.path.insert(0, str(Path(__file__).parent))
    from test_scaling import layer_file

    from symconv.homework.inputs import parse
    sol = solve(parse(layer_file(0, 2, 12, 10), "layer"))
    for part in ("dL_dconv1", "dL_dx", "dL_dW"):
        got = grade_part(part, latex(-sol.floats(part), 12), sol.exact[part], sol)
        assert (got.verdict, got.mistake) == ("wrong", "sign_flipped"), (part, got.detail[:200])


def test_every_mistake_has_a_sentence_in_each_language():
    import symconv.grading.formulas as formulas
    for lang in ("en", "zh"):
        for m in MISTAKES + formulas.MISTAKES:
            assert WORDS[lang]["m." + m], (lang, m)
        assert set(k for k in WORDS[lang] if k.startswith(("m.", "fa."))) == \
            set(k for k in WORDS["en"] if k.startswith(("m.", "fa.")))


def test_the_gradebook_carries_the_mistake(tmp_path):
    right = student(varied().homework)
    grades = [g for g in graded(tmp_path, varied(), {"dL_dfc1": latex(-right["dL_dfc1"]),
                                                     "L": latex(right["L"])}).values() if g.verdict != "missing"]
    book = Gradebook()
    book.add("ann", "ann.tex", grades)
    rows = {r["part"]: r for r in book.rows()}
    assert rows["dL_dfc1"]["mistake"] == "sign_flipped" and rows["L"]["mistake"] == ""
    assert "sign_flipped" in book.to_csv() and '"mistake": "sign_flipped"' in book.to_json()
    assert [mistake_of(g) for g in grades] == ["", "sign_flipped"]      # the homework's order: L, dL_dfc1


def test_check_names_the_mistake_in_chinese(tmp_path):
    sheet = tmp_path / "zh.tex"
    sheet.write_text("\\begin{equation}\\label{ans:dL_dfc1}\n"
                     "\\frac{\\partial L}{\\partial fc1} = y - p = "
                     "\\begin{bmatrix} -0.2 & -0.2 & 0.8 & -0.2 & -0.2 \\end{bmatrix}^T\n\\end{equation}\n"
                     "\\begin{equation}\\label{ans:L}\nL = -\\log_{10} 0.2\n\\end{equation}\n", encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "symconv", "check", str(sheet), "--lang", "zh", "--out", "out",
                           "--no-pdf"], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert done.returncode == 1, done.stderr
    for name in ("grades_zh_zh.md", "grades_zh_zh.tex"):      # in the table's detail and under the part
        text = (tmp_path / "out" / name).read_text(encoding="utf-8").replace("\\-", "-")
        assert text.count("可能的错误：符号反了（例如把 p - y 写成了 y - p）") == 2, name
        assert text.count("可能的错误：用了以 10 为底的对数，而不是自然对数") == 2, name
    assert "likely mistake" not in text


def test_check_json_and_the_gradebook_name_the_mistakes(tmp_path):
    sheets = Path(__file__).parent / "data" / "sheets"
    one = subprocess.run([sys.executable, "-m", "symconv", "check", str(sheets / "s41_grace.tex"), "--json"],
                         cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert one.returncode == 1, one.stderr
    parts = json.loads(one.stdout)["parts"]
    assert parts["dL_dW"]["mistake"] == "transposed,sign_flipped" and parts["p"]["mistake"] == ""
    many = subprocess.run([sys.executable, "-m", "symconv", "check", str(sheets / "s41_grace.tex"),
                           str(sheets / "s42_wu_lei.toml"), "--out", "out", "--no-pdf"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=300)
    assert many.returncode == 1, many.stderr
    rows = list(csv.DictReader((tmp_path / "out" / "gradebook.csv").open(encoding="utf-8")))
    named = {(r["student"], r["part"]): r["mistake"] for r in rows if r["mistake"]}
    assert named == {("s41_grace", "conv1"): "transposed", ("s41_grace", "relu1"): "relu_mask",
                     ("s41_grace", "fc1"): "relu_mask", ("s41_grace", "dL_dfc1"): "sign_flipped",
                     ("s41_grace", "dL_dW"): "transposed,sign_flipped", ("s42_wu_lei", "L"): "log_base_10",
                     ("s42_wu_lei", "dL_dp"): "sign_flipped", ("s42_wu_lei", "dL_dW"): "flatten_order",
                     ("s42_wu_lei", "fc1"): "rounded"}       # 39.5: fc1's double 39.599999999999994 cut
    md = re.sub(r"\\(.)", r"\1", (tmp_path / "out" / "grades_s42_wu_lei.md").read_text(encoding="utf-8"))
    assert "\nLikely mistake: relu1 flattened in another order than (channel, row, column).\n" in md


def test_a_false_chain_names_the_mistake_of_its_wrong_side():
    """-log 0.2 = 0.699: the exact side is right, the decimal is log10 5; a side no mistake explains, none."""
    sol = packaged()
    got = grade_part("L", r"L = -\log 0.2 = 0.699", sol.exact["L"], sol)
    assert (got.verdict, got.mistake) == ("wrong", "log_base_10"), got.detail
    assert got.detail.endswith("likely mistake: log base 10 instead of the natural log")
    other = grade_part("L", r"L = -\log 0.2 = 0.5", sol.exact["L"], sol)
    assert (other.verdict, other.mistake) == ("wrong", ""), other.detail
    flipped = grade_part("dL_dfc1", r"y - p = \begin{bmatrix} 0.2 & 0.2 & -0.8 & 0.2 & 0.2 \end{bmatrix}^T = "
                         r"\begin{bmatrix} -0.2 & -0.2 & 0.8 & -0.2 & -0.2 \end{bmatrix}^T", sol.exact["dL_dfc1"], sol)
    assert flipped.verdict == "wrong" and flipped.mistake == "sign_flipped", flipped.detail


def test_formula_verdicts_are_worded_in_chinese_too(tmp_path):
    sheet = tmp_path / "f.tex"
    sheet.write_text("\\begin{equation}\\label{ans:dL_dx_formula}\n\\frac{\\partial L}{\\partial x} = "
                     "\\frac{\\partial L}{\\partial y} \\otimes h^T\n\\end{equation}\n"
                     "\\begin{equation}\\label{ans:dL_dh_formula}\n\\frac{\\partial L}{\\partial h} = "
                     "x \\otimes \\frac{\\partial L}{\\partial y}\n\\end{equation}\n", encoding="utf-8")
    got = {g.part: g for g in grade(read_answers(sheet), packaged())}
    wrong, right = got["dL_dx_formula"], got["dL_dh_formula"]
    assert (wrong.verdict, wrong.mistake, right.verdict) == ("wrong", "no_rotation", "correct")
    assert wrong.detail.startswith("read as dL/dx = ")
    assert "; likely mistake: no rotation (the kernel" in wrong.detail
    zh = wrong.detail_text("zh")
    assert zh.startswith("读作 dL/dx = ") and "被否定" in zh and zh.endswith("可能的错误：没有旋转（卷积核必须旋转 180 度）")
    assert right.detail_text("zh").startswith("读作 dL/dh = ") and "已证明" in right.detail_text("zh")
    assert wrong.mistake_text("zh") == "没有旋转（卷积核必须旋转 180 度）" and right.mistake_text() == ""


# ------------------------------------------------------------------- rounded: truncated after its places

def _cut(v: float, places: int) -> str:
    """A float64 truncated toward zero after ``places`` decimal places, by its decimal expansion (the way a
    student copies digits off a calculator), independent of symconv."""
    from decimal import ROUND_DOWN, Decimal
    return str(Decimal(v).quantize(Decimal(1).scaleb(-places), rounding=ROUND_DOWN))


def test_truncated_decimals_are_named_rounded_from_the_homeworks_own_p():
    """Issue 19's own example: p = 1/5 written 0.19, the float64 just below 0.2 (0.19999999999999998, what
    1 - 4 * 0.2 gives) cut after 2 places. Before: no mistake named (0.19 is 5% off, outside the 1% rule)."""
    sol = packaged()
    below = math.nextafter(0.2, 0.0)
    assert _cut(below, 2) == "0.19" and _cut(1 - 4 * 0.2, 2) == "0.19"
    got = grade_part("p", _cut(below, 2), sol.exact["p"], sol)
    assert (got.verdict, got.mistake) == ("wrong", "rounded")
    assert got.detail.endswith("likely mistake: rounded too coarsely: truncated after 2 decimal places, not rounded "
                               "(the float64 just below 1/5 (0.19999999999999998), cut there, is 0.19; rounded, "
                               "it is 0.20)")
    assert got.detail_text("zh").endswith("舍入过粗：在第 2 位小数后直接截断，而不是四舍五入（略小于 1/5 的 float64 值 "
                                          "0.19999999999999998 截断后为 0.19；四舍五入应为 0.20）")
    # fc1 = 39.6 computed as 39.599999999999994 and cut: 39.5
    assert _cut(math.nextafter(39.6, 0.0), 1) == "39.5"
    assert grade_part("fc1", "39.5", sol.exact["fc1"], sol).mistake == "rounded"
    # dL/dfc1 = p - y, each entry cut after 2 places from the float64 just below it
    cut = [_cut(math.nextafter(float(v), 0.0), 2) for v in sol.floats("dL_dfc1")]
    assert cut == ["0.19", "0.19", "-0.79", "0.19", "0.19"]
    got = grade_part("dL_dfc1", "(" + ", ".join(cut) + ")^T", sol.exact["dL_dfc1"], sol)
    assert (got.verdict, got.mistake) == ("wrong", "rounded")


@pytest.mark.parametrize("written", ["0.18", "0.3", "0.21", "0.1", "0.17"])
def test_what_no_truncation_gives_is_not_named_rounded(written):
    """Two units off (0.18), far off (0.3), above the value (0.21: nothing cut gives it), one digit (0.1 is half
    of 0.2): no rounding explains them."""
    sol = packaged()
    got = grade_part("p", written, sol.exact["p"], sol)
    assert (got.verdict, got.mistake) == ("wrong", "")


def test_an_irrational_value_cut_is_named_rounded_with_the_exact_value():
    """The varied homework's p (exponentials), computed by the student in PyTorch and cut after 2 places: the
    entries that cutting changes are wrong and named rounded; ln 5 cut (1.60) too."""
    sol = varied()
    p = student(sol.homework)["p"].detach().numpy()
    cut = [_cut(float(v), 2) for v in p]
    rounded = [f"{float(v):.2f}" for v in p]
    assert cut != rounded                        # the cut changes some entries, not all
    got = grade_part("p", "(" + ", ".join(cut) + ")", sol.exact["p"], sol)
    assert (got.verdict, got.mistake) == ("wrong", "rounded")
    assert ", cut there, is 0.19; rounded, it is 0.20)" in got.detail
    assert grade_part("p", "(" + ", ".join(rounded) + ")", sol.exact["p"], sol).verdict == "correct"
    ln5 = packaged()
    got = grade_part("L", _cut(math.log(5), 2), ln5.exact["L"], ln5)
    assert got.mistake == "rounded" and got.detail.endswith("(log(5), cut there, is 1.60; rounded, it is 1.61)")


def test_two_thirds_cut_is_a_truncation_and_two_units_off_is_not():
    import sympy as sp
    from symconv.grading.grade import _truncation
    assert _truncation(sp.Rational(66, 100), sp.Rational(2, 3), 2) == (
        "m.truncated", {"places": 2, "given": "0.66", "source": "2/3", "right": "0.67"})
    assert _truncation(sp.Rational(65, 100), sp.Rational(2, 3), 2) is None
    assert _truncation(sp.Rational(-19, 100), sp.Rational(-1, 5), 2)[1]["right"] == "-0.20"
    assert _truncation(sp.Rational(19, 100), sp.Rational(-1, 5), 2) is None
