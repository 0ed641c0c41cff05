r"""Issue 19 items 1-3: problem 1 written in index notation, graded as a teacher would.

Each formula is read by :mod:`symconv.proof.index_sums` into the affine relation the prover uses and proved for
every size (3×3 kernel, padding 1, stride 1), or refuted at the smallest sizes with the counterexample written
in the student's own index names. Every refutation is confirmed independently: the student's sum, evaluated by
array loops at the counterexample's sizes, differs from PyTorch's autograd gradient at the entry named.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from conftest import torch_grads
from symconv import ConvSpec
from symconv.homework.inputs import load
from symconv.homework.solution import solve
from symconv.grading.formulas import grade_formula
from symconv.grading.grade import Grade
from symconv.grading.gradebook import detail_of
from symconv.derivation.index import Symbols
from symconv.proof.index_judge import judge
from symconv.proof.index_reader import read_derivation
from symconv.proof.grammar import ClaimError

SPEC = ConvSpec(2, 2, 3, padding=1)
DX = r"\frac{\partial L}{\partial x_{c,i,j}} = "
DH = r"\frac{\partial L}{\partial h_{o,c,m,n}} = "

RIGHT = {
    "implicit bounds": DX + r"\sum_{o}\sum_{m,n} \frac{\partial L}{\partial y_{o,i-m+1,j-n+1}} h_{o,c,m,n}",
    "1-based, delta": DX + r"\sum_{o=1}^{C_{out}}\sum_{m=1}^{3}\sum_{n=1}^{3} \delta_{o,i-m+2,j-n+2} h_{o,c,m,n}",
    "dh 0-based, en remark": DH + r"\sum_{i=0}^{H-1}\sum_{j=0}^{W-1} \frac{\partial L}{\partial y_{o,i,j}} "
                             r"x_{c,i+m-1,j+n-1} \quad \text{x taken as 0 outside the image}",
    "juxtaposed, g, condition": r"\partial L/\partial h_{ocmn} = \sum_{i,j} g_{oij}\, x_{c,i+m-1,j+n-1}, \quad "
                                r"m,n \in \{0,1,2\}",
    "substack, limits": r"\frac{\partial L}{\partial x_{c,u,v}} = \sum\limits_{\substack{o,\ 0 \le a < 3 \\ "
                        r"0 \le b < 3}} \frac{\partial L}{\partial y_{o,u+1-a,v+1-b}} h_{o,c,a,b}",
    "over output positions": DX + r"\sum_{o,p,q} \frac{\partial L}{\partial y_{o,p,q}} h_{o,c,i-p+1,j-q+1}",
    "centred kernel": DX + r"\sum_{o}\sum_{m=-1}^{1}\sum_{n=-1}^{1} \frac{\partial L}{\partial y_{o,i-m,j-n}} "
                      r"h_{o,c,m,n}",
    "seed's names, h_{in,out}": r"\frac{\partial L}{\partial x_{in_i,w_i,h_i}} = \sum_{out_j=1}^{C_{out}} "
                                r"\sum_{w_j, h_j} \frac{\partial L}{\partial y_{out_j,w_j,h_j}} "
                                r"h_{in_i,out_j,w_i-w_j+2,h_i-h_j+2}",
    "Iverson brackets": DH + r"\sum_{i=0}^{H-1}\sum_{j=0}^{W-1} [0 \le i+m-1 < H][0 \le j+n-1 < W]\, "
                        r"\delta_{o,i,j}\, x_{c,i+m-1,j+n-1}",
    "batch index, 1-based": DH + r"\sum_{b=1}^{N}\sum_{i=1}^{H}\sum_{j=1}^{W} \frac{\partial L}{\partial y_{b,o,i,j}}"
                            r" x_{b,c,i+m-2,j+n-2}",
    "K in the bounds, inline": DX + r"\sum_{o=0}^{C_{out}-1}\sum_{m=0}^{K-1}\sum_{n=0}^{K-1} \partial L/\partial "
                               r"y_{o,i+1-m,j+1-n}\, h_{o,c,m,n}",
    "zh remark": DX + r"\sum_{o=1}^{C_{out}}\sum_{m,n} \frac{\partial L}{\partial y_{o,i-m+1,j-n+1}} h_{o,c,m,n}"
                 r"\text{，其中下标越界的 } \partial L/\partial y \text{ 取 0}",
    "rotated kernel index": DX + r"\sum_{o}\sum_{m=0}^{2}\sum_{n=0}^{2} \frac{\partial L}{\partial y_{o,i+m-1,j+n-1}}"
                            r" h_{o,c,2-m,2-n}",
    "stated 1-based": DH + r"\sum_{i,j} \delta_{o,i,j}\, x_{c,i+m-2,j+n-2} \quad \text{(1-based indices, zero "
                      r"outside)}",
    "chain rule factor": DX + r"\sum_{o,p,q} \frac{\partial L}{\partial y_{o,p,q}} "
                         r"\frac{\partial y_{o,p,q}}{\partial x_{c,i,j}}",
    "chained condition in parentheses": DH + r"\sum_{i,j} \frac{\partial L}{\partial y_{o,i,j}} \cdot "
                                        r"x_{c,\,i+m-1,\,j+n-1} \quad (0 \le m,n \le 2)",
    "subscripted (∂L/∂y), mathcal": r"\frac{\partial \mathcal{L}}{\partial \mathbf{x}_{c,i,j}} = \sum_{o}\sum_{m,n} "
                                    r"\left(\frac{\partial \mathcal{L}}{\partial \mathbf{y}}\right)_{o,i-m+1,j-n+1} "
                                    r"h_{o,c,m,n}",
    "primed names, batch": r"\frac{\partial L}{\partial x_{n,c,i,j}} = \sum_{o}\sum_{m=0}^{2}\sum_{m'=0}^{2} "
                           r"\frac{\partial L}{\partial y_{n,o,i-m+1,j-m'+1}} h_{o,c,m,m'}",
    "conditions 0 <= i < H": DH + r"\sum_{i,j} \frac{\partial L}{\partial y_{o,i,j}}\, x_{c,i+m-1,j+n-1}, \quad "
                              r"0 \le i < H,\ 0 \le j < W,\ 0 \le m,n \le 2",
    "sum limits, 1-based": DX + r"\sum\limits_{o=1}^{C_{out}} \sum\limits_{m=1}^{3} \sum\limits_{n=1}^{3} "
                           r"\frac{\partial L}{\partial y_{o,i-m+2,j-n+2}}\, h_{o,c,m,n}",
    "zh 1-based remark": DH + r"\sum_{i,j} \frac{\partial L}{\partial y_{o,i,j}} x_{c,i+m-2,j+n-2} "
                         r"\text{（下标从 1 开始，越界的 x 取 0）}",
    "dfrac, cdot, interval": r"\dfrac{\partial L}{\partial h_{o,c,m,n}} = \sum_{i \in [0, H)} \sum_{j \in [0, W)} "
                             r"\dfrac{\partial L}{\partial y_{o,i,j}} \cdot x_{c,i+m-1,j+n-1}",
}

# (formula, the student's names that the counterexample must use)
WRONG = {
    "shifted index": (DX + r"\sum_{o}\sum_{m=0}^{2}\sum_{n=0}^{2} \frac{\partial L}{\partial y_{o,i-m,j-n+1}} "
                      r"h_{o,c,m,n}", "∂L/∂x_{c,i,j} at c = "),
    "missing channel sum": (DX + r"\sum_{m,n} \frac{\partial L}{\partial y_{o,i-m+1,j-n+1}} h_{o,c,m,n}",
                            "o not summed over"),
    "flipped offset sign": (DH + r"\sum_{i=0}^{H-1}\sum_{j=0}^{W-1} \frac{\partial L}{\partial y_{o,i,j}} "
                            r"x_{c,i-m+1,j+n-1}", "∂L/∂h_{o,c,m,n} at o = "),
    "bounds cut a term": (DH + r"\sum_{i=0}^{H-2}\sum_{j=0}^{W-1} \frac{\partial L}{\partial y_{o,i,j}} "
                          r"x_{c,i+m-1,j+n-1}", "∂L/∂h_{o,c,m,n} at o = "),
    "no rotation": (DX + r"\sum_{o}\sum_{m=0}^{2}\sum_{n=0}^{2} \frac{\partial L}{\partial y_{o,i+m-1,j+n-1}} "
                    r"h_{o,c,m,n}", "∂L/∂y_{"),
    "channel of the wrong tensor": (DX + r"\sum_{o,m,n} \frac{\partial L}{\partial y_{c,i-m+1,j-n+1}} h_{o,c,m,n}",
                                    "∂L/∂x_{c,i,j}"),
    # h is C_out x C_in: h_{c,o} written with plain letters is read as written (outside_sheets11 v7_tanaka's
    # teacher: no swap); only role names (h_{in_i,out_j}, as the homework writes) are read by their names
    "kernel channels (c, o) as written": (DX + r"\sum_{o}\sum_{m=0}^{2}\sum_{n=0}^{2} \frac{\partial L}{\partial "
                                          r"y_{o,i-m+1,j-n+1}} h_{c,o,m,n}", "∂L/∂x_{c,i,j} at c = "),
    "dh with h_{c,o} as written": (r"\frac{\partial L}{\partial h_{c,o,m,n}} = \sum_{i,j} \frac{\partial L}"
                                   r"{\partial y_{o,i,j}} x_{c,i+m-1,j+n-1}", "∂L/∂h_{c,o,m,n} at c = "),
    "1-based bounds cut": (DX + r"\sum_{o=1}^{C_{out}-1}\sum_{m=1}^{3}\sum_{n=1}^{3} "
                           r"\frac{\partial L}{\partial y_{o,i-m+2,j-n+2}} h_{o,c,m,n}", "should contain ∂L/∂y_{1,1,1}·h_{1,1,2,2}"),
}


@pytest.mark.parametrize("name", list(RIGHT))
def test_right_index_sums_are_proved(name: str) -> None:
    v = judge(SPEC, read_derivation(RIGHT[name], SPEC))
    assert v.verdict == "proved", v.words
    assert v.statement.startswith("for every N, C_in, C_out, H, W at K = 3, P = 1")


def _confirm(v) -> None:
    """The student's sum differs from PyTorch's gradient at the counterexample's sizes and entry."""
    cx = v.counterexample
    sym = Symbols(2, True)
    sizes = cx.symbol_values(sym)
    spec = ConvSpec(cx.in_channels, cx.out_channels, 3, padding=1)
    rng = np.random.default_rng(7)
    out = tuple(sizes[s] for s in sym.Ho)
    # random reals: no product of two of them cancels another by accident
    x = rng.normal(size=(cx.batch, cx.in_channels) + cx.input_size)
    h = rng.normal(size=(cx.out_channels, cx.in_channels, 3, 3))
    g = rng.normal(size=(cx.batch, cx.out_channels) + out)
    truth = torch_grads(spec, x, h, g)["grad_input" if v.derivation.target == "x" else "grad_weight"]
    got = v.sums[-1].evaluate({"x": x, "h": h, "g": g}, sizes)
    assert got.shape == truth.shape
    assert not np.isclose(got[cx.entry], truth[cx.entry])


@pytest.mark.parametrize("name", list(WRONG))
def test_wrong_index_sums_are_refuted_in_the_students_indices(name: str) -> None:
    text, names = WRONG[name]
    v = judge(SPEC, read_derivation(text, SPEC))
    assert v.verdict == "refuted"
    assert names in v.words
    assert v.words.startswith("at C_in = ")
    _confirm(v)


def test_missing_channel_sum_by_hand_written_loops() -> None:
    """The sum without Σ_o, evaluated by plain loops (o = 0), against autograd at the counterexample's sizes."""
    v = judge(SPEC, read_derivation(WRONG["missing channel sum"][0], SPEC))
    cx = v.counterexample
    assert (cx.in_channels, cx.out_channels) == (1, 2)
    rng = np.random.default_rng(3)
    H, W = cx.input_size
    x = rng.normal(size=(1, 1, H, W))
    h = rng.normal(size=(2, 1, 3, 3))
    g = rng.normal(size=(1, 2, H, W))
    loops = np.zeros_like(x)
    for c in range(1):
        for i in range(H):
            for j in range(W):
                for m in range(3):
                    for n in range(3):
                        if 0 <= i - m + 1 < H and 0 <= j - n + 1 < W:
                            loops[0, c, i, j] += g[0, 0, i - m + 1, j - n + 1] * h[0, c, m, n]
    truth = torch_grads(ConvSpec(1, 2, 3, padding=1), x, h, g)["grad_input"]
    assert np.allclose(v.sums[-1].evaluate({"x": x, "h": h, "g": g}, cx.symbol_values(Symbols(2, True))), loops)
    assert not np.isclose(loops[cx.entry], truth[cx.entry])


def test_right_sums_evaluate_to_autograd() -> None:
    """Every right formula, evaluated by its loops at a size that is not square, is PyTorch's gradient."""
    rng = np.random.default_rng(11)
    spec = ConvSpec(2, 3, 3, padding=1)
    x = rng.normal(size=(2, 2, 4, 5))
    h = rng.normal(size=(3, 2, 3, 3))
    g = rng.normal(size=(2, 3, 4, 5))
    truth = torch_grads(spec, x, h, g)
    sym = Symbols(2, True)
    sizes = {sym.N: 2, sym.C: 2, sym.O: 3, sym.H[0]: 4, sym.H[1]: 5, sym.K[0]: 3, sym.K[1]: 3, sym.Ho[0]: 4,
             sym.Ho[1]: 5, sym.P[0]: 1, sym.P[1]: 1, sym.G: 1}
    for name, text in RIGHT.items():
        v = judge(SPEC, read_derivation(text, SPEC))
        want = truth["grad_input" if v.derivation.target == "x" else "grad_weight"]
        assert np.allclose(v.sums[-1].evaluate({"x": x, "h": h, "g": g}, sizes), want), name


def test_other_configurations() -> None:
    """The same reader for another convolution (padding 0): the unpadded formula proved, the padded one
    (0-based kernel stated by its bounds) refuted."""
    spec = ConvSpec(2, 2, 3, padding=0)
    right = DX + r"\sum_{o,m,n} \frac{\partial L}{\partial y_{o,i-m,j-n}} h_{o,c,m,n}"
    assert judge(spec, read_derivation(right, spec)).verdict == "proved"
    padded = DX + r"\sum_{o}\sum_{m=0}^{2}\sum_{n=0}^{2} \frac{\partial L}{\partial y_{o,i-m+1,j-n+1}} h_{o,c,m,n}"
    assert judge(spec, read_derivation(padded, spec)).verdict == "refuted"


def test_a_sum_of_one_factor_is_refuted_saying_so() -> None:
    v = judge(SPEC, read_derivation(DX + r"\sum_{o} \frac{\partial L}{\partial y_{o,i,j}}", SPEC))
    assert v.verdict == "refuted" and "the sum multiplies ∂L/∂y, but ∂L/∂x sums products of ∂L/∂y and h" in v.words


def test_reading_is_named_when_nothing_decides_it() -> None:
    v = judge(SPEC, read_derivation(RIGHT["implicit bounds"], SPEC))
    assert v.assumed and v.reading.kernel == 0
    v = judge(SPEC, read_derivation(RIGHT["centred kernel"], SPEC))
    assert v.reading.kernel is None


@pytest.mark.parametrize("text, message", [
    (r"\frac{\partial L}{\partial x} = \sum_{o} y", r"^claim: ∂L/∂x without its indices"),
    (DX + r"\sum_{o} \frac{\partial L}{\partial y_{o,i,j}} h_{o,c,1,1}^{T}", r"^claim: h_\{…\}\^\{…\}"),
    (DX + r"\sum_{o} \frac{\partial L}{\partial y_{o,i,j}} h_{o,c,i^2,1}", r"^claim: unexpected '\^' in an index"),
    (DX + r"\sum_{o} \frac{\partial L}{\partial y_{o,i,j}} \frac{\partial L}{\partial y}", r"^claim: ∂L/∂y_\{…\} has 0 "
     r"indices; 3 were expected here$"),
])
def test_unreadable_index_formulas_say_why(text: str, message: str) -> None:
    with pytest.raises(Exception, match=message):
        judge(SPEC, read_derivation(text, SPEC))


# ------------------------------------------------------------------------------------ derivations

LINES = [
    r"\sum_{o,p,q} \frac{\partial L}{\partial y_{o,p,q}} \frac{\partial y_{o,p,q}}{\partial x_{c,i,j}}",
    r"\sum_{o,p,q} \frac{\partial L}{\partial y_{o,p,q}} h_{o,c,i-p+1,j-q+1}",
    r"\sum_{o}\sum_{m,n} \frac{\partial L}{\partial y_{o,i-m+1,j-n+1}} h_{o,c,m,n}",
    r"\sum_{o}\sum_{m=0}^{2}\sum_{n=0}^{2} \frac{\partial L}{\partial y_{o,i+m-1,j+n-1}} h_{o,c,2-m,2-n}",
    r"\sum_{o}\sum_{a=-1}^{1}\sum_{b=-1}^{1} \frac{\partial L}{\partial y_{o,i+a,j+b}} h_{o,c,1-a,1-b}",
]
BAD = r"\sum_{o}\sum_{m,n} \frac{\partial L}{\partial y_{o,i-m,j-n+1}} h_{o,c,m,n}"


def _aligned(lines: list[str]) -> str:
    return (r"\begin{aligned} \frac{\partial L}{\partial x_{c,i,j}} &= " + r" \\ &= ".join(lines)
            + r" \end{aligned}")


@pytest.mark.parametrize("n, k", [(n, k) for n in range(2, 6) for k in range(1, n + 1)])
def test_one_wrong_step_is_named(n: int, k: int) -> None:
    lines = LINES[:n]
    lines[k - 1] = BAD
    v = judge(SPEC, read_derivation(_aligned(lines), SPEC))
    assert [s.ok for s in v.steps][:k] == [True] * (k - 1) + [False]
    assert v.first_wrong.number == k
    assert v.first_wrong.words.startswith("at C_in = ")
    assert v.verdict == ("refuted" if k == n else "proved")


@pytest.mark.parametrize("n", range(2, 6))
def test_right_derivations_hold_line_by_line(n: int) -> None:
    v = judge(SPEC, read_derivation(_aligned(LINES[:n]), SPEC))
    assert v.verdict == "proved" and all(s.ok for s in v.steps) and len(v.steps) == n


def test_chain_of_equals_is_a_derivation() -> None:
    v = judge(SPEC, read_derivation(DX + " = ".join([LINES[0], BAD, LINES[2]]), SPEC))
    assert [s.ok for s in v.steps] == [True, False, False]
    assert v.verdict == "proved"


# --------------------------------------------------------------------------------------- grading

@pytest.fixture(scope="module")
def solution():
    from symconv.cli import _packaged_homework
    return solve(load(_packaged_homework()))


def test_five_line_derivation_is_graded_within_the_budget(solution) -> None:
    """grade_formula reads and proves under the 2 s budget per answer (time_budget): over it, the grade
    would be unparsed."""
    g = grade_formula("dL_dx_formula", _aligned(LINES), solution, Grade)
    assert g.verdict == "correct", detail_of(g)
    g = grade_formula("dL_dh_formula", RIGHT["dh 0-based, en remark"], solution, Grade)
    assert g.verdict == "correct", detail_of(g)


def test_right_last_line_after_a_wrong_step_is_correct_with_a_note(solution) -> None:
    lines = LINES[:4]
    lines[1] = BAD
    g = grade_formula("dL_dx_formula", _aligned(lines), solution, Grade)
    assert g.verdict == "correct"
    assert "step 2 does not follow from step 1: at C_in = " in detail_of(g)
    from symconv.wording import w
    assert w("fa.step_wrong", "zh", n=2, before=1, detail="d").startswith("第 2 步不能由第 1 步得到")


def test_wrong_index_formula_is_graded_wrong_with_students_indices(solution) -> None:
    g = grade_formula("dL_dx_formula", WRONG["missing channel sum"][0], solution, Grade)
    assert g.verdict == "wrong"
    assert "dL/dx_{c,i,j} at c = 0, i = 0, j = 0" in detail_of(g)


def test_seed_formulas_3_and_6(solution) -> None:
    """The homework's own (3) is correct (the swap implied by ⊗), (6) as written wrong (extra rotation);
    --strict-channels judges (3) by the letter."""
    three = r"\frac{\partial L}{\partial y} \otimes h^{\text{rotate } 180^\circ}"
    six = r"\frac{\partial L}{\partial y} \otimes x^{\text{rotate } 180^\circ}"
    g = grade_formula("dL_dx_formula", three, solution, Grade)
    assert g.verdict == "correct" and "channel swap implied by (x), as in the homework's (2)" in detail_of(g)
    g = grade_formula("dL_dx_formula", three, solution, Grade, strict_channels=True)
    assert g.verdict == "wrong" and g.mistake == "no_swap"
    g = grade_formula("dL_dh_formula", six, solution, Grade)
    assert g.verdict == "wrong" and g.mistake == "extra_rotation"
    g = grade_formula("dL_dx_formula", r"\frac{\partial L}{\partial y} \otimes h", solution, Grade)
    assert g.verdict == "wrong" and g.mistake == "no_rotation"
    g = grade_formula("dL_dx_formula", r"\frac{\partial L}{\partial y} \otimes \mathrm{rot180}(h^T)", solution, Grade)
    assert g.verdict == "correct" and "implied" not in detail_of(g)


SEED = open(__file__.rsplit("/", 1)[0] + "/data/seed_index_derivations.tex", encoding="utf-8").read().split("%%\n")


def test_seed_derivations_2_and_5() -> None:
    """The seed's (2) and (5) as written: the first line holds for every size (its loose bounds W + w_i ... are
    harmless: the terms outside are zero); the second line's typo w_i + (w_j - w_j) sums one term 2W + 1
    times; with that typo corrected (w_j - w_i) the chain holds with a centred kernel."""
    for text in SEED[:2]:
        v = judge(SPEC, read_derivation(text, SPEC))
        assert v.steps[0].ok and not v.steps[1].ok and v.verdict == "refuted"
    v = judge(SPEC, read_derivation(SEED[0], SPEC))
    assert "3 times" in v.steps[1].words
    fixed = judge(SPEC, read_derivation(SEED[0].replace("(w_j-w_j)", "(w_j-w_i)"), SPEC))
    assert fixed.verdict == "proved" and all(s.ok for s in fixed.steps) and fixed.reading.kernel is None


def test_seed_derivation_5_with_its_typo_corrected_still_has_a_wrong_last_line() -> None:
    """The seed's (5) with w_j - w_j corrected: its first two lines hold for every size; its last line,
    x_{in_i, w_i-w_j, h_i-h_j}, holds under no numbering: refuted at W = 2, confirmed by PyTorch there. It sums
    over out_j where ∂L/∂h_{in_i,out_i,…} takes out_i only, and subtracts positions that add up; with both
    corrected the derivation holds line by line, with either alone it does not."""
    fixed = SEED[1].replace("(w_j-w_j)", "(w_j-w_i)")
    v = judge(SPEC, read_derivation(fixed, SPEC))
    assert [s.ok for s in v.steps] == [True, True, False] and v.verdict == "refuted"
    assert v.words == ("at C_in = 1, C_out = 1, H = 1, W = 2, K = 3, P = 1: ∂L/∂h_{in_i,out_i,w_i,h_i} at in_i = 1, "
                       "out_i = 1, w_i = 2, h_i = 1 should contain x_{1,1,1}·∂L/∂y_{1,1,2} but the sum gives 0")
    _confirm(v)
    # the last line with out_i for out_j (∂L/∂h_{in_i,out_i,…} takes y's channel out_i only) and the kernel and
    # output positions added (w_j + w_i - 2, 1-based): every line holds for every size
    head = fixed.rsplit(r"\\", 1)[0] + r"\\ &= "

    def last(channel: str, position: str) -> str:
        sums = r"\sum_{out_j=1, w_j-w_i=-W, h_j-h_i=-H}^{C_{out}, W, H}" if channel == "out_j" else \
            r"\sum_{w_j-w_i=-W, h_j-h_i=-H}^{W, H}"
        return head + sums + rf" \frac{{\partial L}}{{\partial y_{{{channel}, w_i+(w_j-w_i), h_i+(h_j-h_i)}}}} " \
            rf"x_{{in_i, {position}}} \end{{aligned}}"
    assert last("out_j", "w_i-w_j, h_i-h_j") == fixed.strip()  # the seed's own last line, rebuilt
    v = judge(SPEC, read_derivation(last("out_i", "w_j+w_i-2, h_j+h_i-2"), SPEC))
    assert v.verdict == "proved" and all(s.ok for s in v.steps) and len(v.steps) == 3
    for half in (last("out_j", "w_j+w_i-2, h_j+h_i-2"), last("out_i", "w_i-w_j, h_i-h_j")):
        assert judge(SPEC, read_derivation(half, SPEC)).verdict == "refuted"     # either correction alone


# ------------------------------------------------------------------------------ one grammar (item 4)

def test_verify_claim_reads_what_check_reads(capsys) -> None:
    """Before: verify --claim rejected h^T and index sums, which check reads."""
    from symconv.cli import main
    assert main(["verify", "--claim", r"\frac{\partial L}{\partial y} \otimes \mathrm{rot180}(h^T)",
                 "--wrt", "x"]) == 0
    assert "proved for every N, C_in, C_out, H, W at K = 3, P = 1" in capsys.readouterr().out
    assert main(["verify", "--claim", RIGHT["dh 0-based, en remark"], "--wrt", "h"]) == 0
    assert "as an index sum" in capsys.readouterr().out
    assert main(["verify", "--claim", WRONG["missing channel sum"][0], "--wrt", "x", "--json"]) == 1
    out = json.loads(capsys.readouterr().out)
    assert out["verdict"] == "refuted" and "∂L/∂x_{c,i,j} at c = 0" in out["counterexample"]
    # another configuration: stride 1, padding 2, kernel 5
    five = DX + r"\sum_{o}\sum_{m=0}^{4}\sum_{n=0}^{4} \frac{\partial L}{\partial y_{o,i-m+2,j-n+2}} h_{o,c,m,n}"
    assert main(["verify", "--kernel-size", "5", "--padding", "2", "--claim", five, "--wrt", "x"]) == 0
    assert main(["verify", "--kernel-size", "5", "--padding", "1", "--claim", five, "--wrt", "x"]) == 1
    assert main(["verify", "--claim", DX + r"\sum_{o} \frac{\partial L}{\partial y_{o,i,j}} h_{o,c,i^2,1}",
                 "--wrt", "x"]) == 2
    assert capsys.readouterr().err.startswith("symconv: error: claim: unexpected '^' in an index")


def test_check_strict_channels(tmp_path, capsys) -> None:
    from symconv.cli import main
    sheet = tmp_path / "s.toml"
    sheet.write_text('dL_dx_formula = \'\\frac{\\partial L}{\\partial y} \\otimes h^{\\text{rotate } 180^\\circ}\'\n',
                     encoding="utf-8")
    main(["check", str(sheet), "--json"])
    assert json.loads(capsys.readouterr().out)["parts"]["dL_dx_formula"]["verdict"] == "correct"
    main(["check", str(sheet), "--json", "--strict-channels"])
    assert json.loads(capsys.readouterr().out)["parts"]["dL_dx_formula"]["verdict"] == "wrong"


def test_first_wrong_step_is_named_in_chinese(solution) -> None:
    lines = LINES[:3]
    lines[1] = BAD
    g = grade_formula("dL_dx_formula", _aligned(lines), solution, Grade)
    zh = g.detail_text("zh")
    assert g.verdict == "correct" and "第 2 步不能由第 1 步得到：at C_in = 1" in zh and "下标求和式" in zh
    g = grade_formula("dL_dx_formula", _aligned([BAD] + LINES[1:3]), solution, Grade)
    assert "第 1 步不能由 y 的定义得到" in g.detail_text("zh")


def test_star_is_a_product_in_an_index_sum_and_a_correlation_in_a_closed_form(solution) -> None:
    """* between two indexed factors multiplies them; a Σ over per-channel closed forms with * is read by the
    closed-form reader when the index reader cannot read it (before: unparsed either way)."""
    g = grade_formula("dL_dx_formula", DX + r"\sum_{o,m,n} g_{o,i-m+1,j-n+1} * h_{o,c,m,n}", solution, Grade)
    assert g.verdict == "correct" and "index sum" in detail_of(g)
    g = grade_formula("dL_dx_formula", r"\frac{\partial L}{\partial x_c} = \sum_o \frac{\partial L}{\partial y_o} * "
                      r"\operatorname{rot180}(h_{o,c})", solution, Grade)
    assert g.verdict == "correct", detail_of(g)


# ------------------------------------------------------------------------------- random notations

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_NAMES = ["c", "i", "j", "o", "m", "n", "p", "q", "u", "v", "a", "b", "k", "l", "in_i", "out_j", "w_i", "c_{in}"]


@st.composite
def _written(draw):  # type: ignore[no-untyped-def]
    """∂L/∂x written with random index names, numbering (0- or 1-based, bounds stated or not), sums in a random
    order, and maybe one offset shifted by ±1 (then it must be refuted)."""
    c, i, j, o, m, n = draw(st.permutations(_NAMES).map(lambda ns: ns[:6]))
    base = draw(st.sampled_from([0, 1]))
    stated = draw(st.booleans())
    shift = draw(st.sampled_from([0, 0, 1, -1]))
    # 0-based truth: g[o, i - m + 1] h[o, c, m]; on base b the kernel's m is m_b = m + b, the pixels likewise
    off = 1 + base
    sums = [rf"\sum_{{{o}={base}}}^{{C_{{out}}{'-1' if base == 0 else ''}}}" if stated else rf"\sum_{{{o}}}",
            rf"\sum_{{{m}={base}}}^{{{2 + base}}}" if stated else rf"\sum_{{{m}}}",
            rf"\sum_{{{n}={base}}}^{{{2 + base}}}" if stated else rf"\sum_{{{n}}}"]
    order = draw(st.permutations(range(3)))
    text = (rf"\frac{{\partial L}}{{\partial x_{{{c},{i},{j}}}}} = " + "".join(sums[k] for k in order)
            + rf" \frac{{\partial L}}{{\partial y_{{{o},{i}-{m}+{off + shift},{j}-{n}+{off}}}}} h_{{{o},{c},{m},{n}}}")
    return text, shift, base, stated


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_written())
def test_random_notations(case) -> None:
    text, shift, base, stated = case
    v = judge(SPEC, read_derivation(text, SPEC))
    if shift == 0:
        assert v.verdict == "proved", (text, v.words)
        if stated:
            assert (v.reading.data, v.reading.kernel) == (base, base)
    else:
        assert v.verdict == "refuted", text
        _confirm(v)


def test_details_are_plain_for_pdflatex(solution) -> None:
    """The English sheet is built with pdfLaTeX, which has no δ: a δ-user's counterexample is spelled out."""
    text = DX + r"\sum_{m,n} \delta_{o,i-m+1,j-n+1} h_{o,c,m,n}"
    detail = detail_of(grade_formula("dL_dx_formula", text, solution, Grade))
    assert "delta_{1,0,0}*h_{1,0,1,1}" in detail and "δ" not in detail and "∂" not in detail


# ------------------------------------------------------------------ mistakes named in index sums (issue 19)

# (formula, mistake, the sentence's English words, its Chinese words): each correction is proved by the
# prover (explain), and checked here independently: the corrected sum, evaluated by loops, is PyTorch's gradient
NAMED = {
    "shifted in i": (WRONG["shifted index"][0], "shifted_index",
                     "an index shifted by 1 in i (dL/dy_{o,i-m,j-n+1} where dL/dy_{o,i-m+1,j-n+1} belongs)",
                     "下标在 i 方向上偏移了 1（写成了 dL/dy_{o,i-m,j-n+1}，应为 dL/dy_{o,i-m+1,j-n+1}）"),
    "shifted in i and j, dh": (DH + r"\sum_{i,j} \frac{\partial L}{\partial y_{o,i,j}} x_{c,i+m,j+n}, \quad "
                               r"m,n \in \{0,1,2\}", "shifted_index",
                               "an index shifted by 1 in i, j (x_{c,i+m,j+n} where x_{c,i+m-1,j+n-1} belongs)",
                               "下标在 i, j 方向上偏移了 1"),
    "shifted, 1-based delta": (DX + r"\sum_{o=1}^{C_{out}}\sum_{m=1}^{3}\sum_{n=1}^{3} \delta_{o,i-m+1,j-n+2} "
                               r"h_{o,c,m,n}", "shifted_index",
                               "shifted by 1 in i (delta_{o,i-m+1,j-n+2} where delta_{o,i-m+2,j-n+2} belongs)",
                               "偏移了 1"),
    "missing channel sum": (WRONG["missing channel sum"][0], "missing_channel_sum",
                            "the sum over the output channels missing (o never summed: read at its first value)",
                            "缺少对输出通道的求和（o 没有求和，只取了第一个值）"),
    "flipped sign in i": (WRONG["flipped offset sign"][0], "flipped_sign",
                          "an offset's sign flipped in i (x_{c,i-m+1,j+n-1} where x_{c,i+m-1,j+n-1} belongs)",
                          "偏移量的符号在 i 方向上反了"),
    "flipped sign in j, zh remark": (DH + r"\sum_{i=0}^{H-1}\sum_{j=0}^{W-1} g_{o,i,j}\, x_{c,i+m-1,j-n+1} "
                                     r"\text{，越界取 0}", "flipped_sign",
                                     "flipped in j (x_{c,i+m-1,j-n+1} where x_{c,i+m-1,j+n-1} belongs)",
                                     "偏移量的符号在 j 方向上反了（写成了 x_{c,i+m-1,j-n+1}，应为 x_{c,i+m-1,j+n-1}）"),
    "bound cuts H-1": (WRONG["bounds cut a term"][0], "bounds_cut",
                       "a bound that cuts a term (the sum over i ends at H-2: the term i = H-1 is left out)",
                       "求和的上下限截掉了一项（i 的求和止于 H-2，漏掉了 i = H-1 这一项）"),
    "bound cuts C_out, 1-based": (WRONG["1-based bounds cut"][0], "bounds_cut",
                                  "the sum over o ends at C_out-1: the term o = C_out is left out", "o = C_out"),
    "bound starts at 1, 0-based": (DH + r"\sum_{i=1}^{H-1}\sum_{j=0}^{W-1} \frac{\partial L}{\partial y_{o,i,j}} "
                                   r"x_{c,i+m-1,j+n-1}", "bounds_cut",
                                   "the sum over i starts at 1: the term i = 0 is left out", "始于 1"),
    "missing batch sum": (DH + r"\sum_{i=1}^{H}\sum_{j=1}^{W} \frac{\partial L}{\partial y_{b,o,i,j}} "
                          r"x_{b,c,i+m-2,j+n-2}", "missing_batch_sum",
                          "the sum over the images missing (b never summed: read at its first value)",
                          "缺少对各图像（批次）的求和（b 没有求和"),
}


@pytest.mark.parametrize("name", list(NAMED))
def test_index_sum_mistakes_are_named_and_their_correction_is_right(name: str, solution) -> None:
    """Before: these named no mistake (only no_rotation, no_swap, extra_rotation were tried)."""
    from symconv.proof.index_judge import explain
    text, mistake, en, zh = NAMED[name]
    part = "dL_dx_formula" if text.startswith(DX) else "dL_dh_formula"
    g = grade_formula(part, text, solution, Grade)
    assert (g.verdict, g.mistake) == ("wrong", mistake), detail_of(g)
    assert en in detail_of(g) and zh in g.detail_text("zh")
    v = judge(SPEC, read_derivation(text, SPEC))
    assert v.verdict == "refuted"
    assert v.words.startswith("at N = 2, C_in = 1" if mistake == "missing_batch_sum" else "at C_in = ")
    _confirm(v)                                    # the student's sum is wrong where the counterexample says
    fixed = explain(SPEC, v.sums[-1]).fixed        # the correction named is right, by PyTorch at other sizes
    rng = np.random.default_rng(5)
    spec = ConvSpec(2, 3, 3, padding=1)
    x, h, g_ = rng.normal(size=(2, 2, 4, 5)), rng.normal(size=(3, 2, 3, 3)), rng.normal(size=(2, 3, 4, 5))
    truth = torch_grads(spec, x, h, g_)["grad_input" if part == "dL_dx_formula" else "grad_weight"]
    sym = Symbols(2, True)
    sizes = {sym.N: 2, sym.C: 2, sym.O: 3, sym.H[0]: 4, sym.H[1]: 5, sym.K[0]: 3, sym.K[1]: 3, sym.Ho[0]: 4,
             sym.Ho[1]: 5, sym.P[0]: 1, sym.P[1]: 1, sym.G: 1}
    assert np.allclose(fixed.evaluate({"x": x, "h": h, "g": g_}, sizes), truth)
    assert not np.allclose(v.sums[-1].evaluate({"x": x, "h": h, "g": g_}, sizes), truth)


def test_every_index_mistake_has_a_sentence_in_each_language() -> None:
    from symconv.grading.formulas import MISTAKES
    from symconv.wording import WORDS
    for lang in ("en", "zh"):
        for m in MISTAKES + ("bounds_cut_high", "bounds_cut_low"):
            assert WORDS[lang]["m." + m], (lang, m)


def test_a_wrong_sum_no_single_correction_explains_names_none(solution) -> None:
    g = grade_formula("dL_dx_formula", WRONG["channel of the wrong tensor"][0], solution, Grade)
    assert (g.verdict, g.mistake) == ("wrong", "")


@pytest.mark.parametrize("name", list(RIGHT))
def test_right_index_sums_are_graded_correct(name: str, solution) -> None:
    """Every right notation as the grader gives it: correct (a teacher's verdict), the reading named."""
    part = "dL_dx_formula" if read_derivation(RIGHT[name], SPEC).target == "x" else "dL_dh_formula"
    g = grade_formula(part, RIGHT[name], solution, Grade)
    assert g.verdict == "correct", detail_of(g)
    assert "proved for every" in detail_of(g) and "最后一行已证明" in g.detail_text("zh")


def test_at_least_15_notations_right_and_the_wrong_kinds() -> None:
    assert len(RIGHT) >= 15 and {"shifted index", "missing channel sum", "flipped offset sign",
                                 "bounds cut a term"} <= set(WRONG)


@pytest.mark.parametrize("n, k", [(n, k) for n in range(2, 6) for k in range(1, n + 1)])
def test_first_wrong_step_is_graded_in_both_languages(n: int, k: int, solution) -> None:
    """The grade names the first wrong step with its counterexample in English and Chinese: correct with a note
    when the last line is still right, wrong when the wrong step is the last."""
    lines = LINES[:n]
    lines[k - 1] = BAD
    g = grade_formula("dL_dx_formula", _aligned(lines), solution, Grade)
    assert g.verdict == ("wrong" if k == n else "correct")
    en, zh = detail_of(g), g.detail_text("zh")
    if k == 1:
        assert "step 1 does not follow from the definition of y: at C_in = " in en
        assert "第 1 步不能由 y 的定义得到：at C_in = " in zh
    else:
        assert f"step {k} does not follow from step {k - 1}: at C_in = " in en
        assert f"第 {k} 步不能由第 {k - 1} 步得到：at C_in = " in zh
    assert "dL/dx_{c,i,j} at c = " in en
    if k == n:                       # the last line wrong: the mistake it makes is named too
        assert g.mistake == "shifted_index" and "an index shifted by 1 in i" in en
