"""Problem 1 at the reader's settings (issue 20, item 2): a homework file's ``[problem1]`` table sets problem
1's convolution (kernel size, stride, padding, dilation, groups, channels); without one it is the seed's
(3x3 kernel, padding 1, stride 1, problem 2's channels)."""

from __future__ import annotations

from pathlib import Path

import pytest

from symconv.derivation.spec import ConvSpec
from symconv.errors import InputError
from symconv.homework import problem1_spec
from symconv.homework.inputs import load
from symconv.report.homework import homework_blocks
from symconv.report.doc import to_latex

VARIANT = Path(__file__).parent / "data" / "variant_3ch_stride2.toml"


def _with(tmp_path: Path, table: str) -> Path:
    path = tmp_path / "hw.toml"
    path.write_text(VARIANT.read_text(encoding="utf-8") + "\n[problem1]\n" + table, encoding="utf-8")
    return path


def test_without_the_table_problem_1_is_the_seeds_setting():
    hw = load(VARIANT)             # stride 2 in problem 2: problem 1 stays the seed's
    assert problem1_spec(hw) == ConvSpec(3, 2, 3, padding=1)


def test_the_table_sets_problem_1(tmp_path):
    hw = load(_with(tmp_path, "stride = 2\npadding = 1\nin_channels = 1\nout_channels = 2\n"))
    assert problem1_spec(hw) == ConvSpec(1, 2, 3, stride=2, padding=1)


def test_a_stride_2_problem_1_gets_a_stride_2_report(tmp_path):
    from symconv.homework import solve
    hw_path = _with(tmp_path, "stride = 2\ndilation = 2\n")
    s = solve(load(hw_path))
    tex = to_latex(homework_blocks(s), "t", full=False)
    intro = tex[tex.index("Derivatives of"):tex.index("Derivatives of") + 300]
    assert "stride 2, dilation 2" in intro and "stride 1" not in intro
    assert "stride $S$ & 2" in tex and "dilation $D$ & 2" in tex          # the configuration table


@pytest.mark.parametrize("table, message", [
    ("strid = 2\n", r"^problem1\.strid: unknown field \(did you mean problem1\.stride\?\)"),
    ("stride = 0\n", r"^problem1\.stride: expected an integer from 1 to 64, got 0"),
    ("padding = -1\n", r"^problem1\.padding: expected an integer from 0 to 64, got -1"),
    ("groups = 2\nin_channels = 3\n", r"^problem1: "),
])
def test_a_bad_table_is_one_line_naming_the_field(tmp_path, table, message):
    with pytest.raises(InputError, match=message):
        load(_with(tmp_path, table))


def test_a_grouped_problem_1_is_reported(tmp_path):
    # The seed's readings were tested with a kernel of all input channels: a grouped setting failed with
    # "h must have shape (2, 2, 2, 2), got (2, 4, 2, 2)".
    from symconv.homework import solve
    hw = load(_with(tmp_path, "kernel_size = 2\npadding = 0\ngroups = 2\nin_channels = 4\nout_channels = 2\n"))
    tex = to_latex(homework_blocks(solve(hw)), "t", full=False)
    assert "groups $G$ & 2" in tex and r"$2\times 2$ kernel, padding 0, stride 1" in tex


def _main_and_appendix(tex: str) -> tuple[str, str]:
    from symconv.wording import w
    main, _, appendix = tex.partition(w("h.appendix", "en"))
    return main[main.index("Step 1:"):], appendix


def test_the_seeds_problem_1_reads_at_stride_1_with_every_stride_in_an_appendix():
    from symconv.homework import solve
    tex = to_latex(homework_blocks(solve(load())), "t", full=False)
    main, appendix = _main_and_appendix(tex)
    steps = main[:main.index("Proof for every size")]
    for symbol in ("S_{1}", "D_{1}", r"\hat{g}", r"\operatorname{dilate}"):
        assert symbol not in steps, symbol                  # no stride or dilation symbol in the main steps
        assert symbol in appendix, symbol                   # the general derivation keeps them
    assert "stride 1: " in steps                            # the rule that replaces the stride's dilation
    # review20: the two such steps had the same title; each names the sum it removes
    assert "the sum over $i_{1}$" in steps and "the sum over $i_{2}$" in steps
    assert r"\left\lfloor" not in steps and r"\left\lfloor" in appendix   # the output size without a floor


def test_the_seeds_problem_1_has_no_stride_dilation_or_output_size_symbol_before_its_appendix():
    # Issue 20: at stride 1 and dilation 1 the output size is written out (H + 2P − K + 1 with the seed's
    # even padding), so the sums, the padding widths and the forms read like a textbook.
    from symconv.homework import solve
    from symconv.wording import w
    tex = to_latex(homework_blocks(solve(load())), "t", full=False)
    problem1 = tex[:tex.index(w("hw.problem2", "en"))]
    main, _, appendix = problem1.partition(w("h.appendix", "en"))
    for symbol in ("S_{1}", "D_{1}", "H^{o}", r"\operatorname{dilate}", r"\mid t", r"P^{\mathrm{high}}"):
        assert symbol not in main, symbol
    assert r"0 \leq i_{1} \leq H_{1} - K_{1} + 2 P_{1}" in main          # the sums over the output positions
    assert r"q_{x} = (K_{1} - P_{1} - 1,\ K_{1} - P_{1} - 1)" in main   # g padded by K − 1 − P on both sides
    assert "H^{o}_{1}" in appendix and r"\operatorname{dilate}_{S_{1}, S_{2}}" in appendix


def test_an_uneven_padding_at_stride_1_names_the_padding_after_each_axis(tmp_path):
    from symconv.derivation.forms import derive_general
    steps = derive_general(2, False, False, unit=True).steps
    text = "".join(s.latex + s.note_text() for s in steps)
    assert "H^{o}" not in text and r"P^{\mathrm{high}}_{1}" in text


def test_a_stride_2_problem_1_gets_the_stride_derivation_and_no_appendix(tmp_path):
    from symconv.homework import solve
    tex = to_latex(homework_blocks(solve(load(_with(tmp_path, "stride = 2\n")))), "t", full=False)
    main, appendix = _main_and_appendix(tex)
    assert appendix == "" and "S_{1}" in main and r"\hat{g}" in main


def test_the_unit_stride_derivation_gives_the_same_closed_forms():
    # Checked numerically step by step like the general one; its forms agree with the general ones at S = D = 1.
    import numpy as np
    from symconv.derivation.forms import derive_forms, derive_general
    spec = ConvSpec(2, 3, 3, padding=1)
    unit = derive_general(2, False, False, unit=True)
    d = derive_forms(spec)
    rng = np.random.default_rng(0)
    x, h, g = rng.integers(-3, 4, (1, 2, 5, 5)), rng.integers(-3, 4, (3, 2, 3, 3)), rng.integers(-3, 4, (1, 3, 5, 5))
    from symconv.derivation.forms import concrete_sizes
    sizes = d.sizes(x, g)
    for name, form in unit.closed.items():
        mine = form.map_sizes(concrete_sizes(spec, unit.sym)).evaluate({"x": x, "h": h, "g": g}, sizes)
        assert np.array_equal(mine, d.closed_forms[name].evaluate({"x": x, "h": h, "g": g}, sizes))
