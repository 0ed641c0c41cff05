"""The reports of the operators beside the convolution (issue 22): the double backward's (derive --order 2),
strided slicing's, constant padding's and the transposed convolution's. Compiled and read back with
pdfplumber (nothing shrunk, nothing past the margin, every body table at 8 pt or more), titled in words,
byte-identical on a second run, and with an exact second opinion for slicing and padding."""

from __future__ import annotations

import math
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from symconv.derivation import ops
from symconv.derivation.spec import ConvSpec, PadSpec, SliceSpec
from symconv.report.derivation import report_title

from test_layout import _faults

RUNS = {
    "order2": ("derive", "--order", "2", "--ndim", "1", "--stride", "2", "--bias"),
    "order2_zh": ("derive", "--order", "2", "--ndim", "1", "--stride", "2", "--bias", "--lang", "zh"),
    # 2-D, grouped, in Chinese: its proof table's statements ran past the margin (a Chinese character was
    # counted as wide as a Latin letter when a table chose to wrap), and ggO's derivative was one display of
    # three sums wider than the page
    "order2_2d_zh": ("derive", "--order", "2", "--ndim", "2", "--groups", "2", "--in-channels", "2",
                     "--out-channels", "2", "--lang", "zh"),
    "order2_2d": ("derive", "--order", "2", "--ndim", "2", "--groups", "2", "--in-channels", "4",
                  "--out-channels", "4", "--stride", "2", "--dilation", "2", "--bias"),
    "slice": ("derive", "--op", "slice", "--ndim", "1", "--start", "1", "--step", "2"),
    "slice_zh": ("derive", "--op", "slice", "--ndim", "1", "--start", "1", "--step", "2", "--lang", "zh"),
    "pad": ("derive", "--op", "pad", "--ndim", "2", "--padding", "1,2", "--padding-high", "0,3"),
    "transposed": ("derive", "--op", "conv_transpose", "--ndim", "1", "--stride", "2", "--padding", "1",
                   "--output-padding", "1"),
    # average pooling, unfold and fold (issue 22's report review): the pooling reports had the convolution's
    # legend (no word on sum_windows, divide or the divisor) and called their pairs monomials
    "pool_valid": ("derive", "--op", "avg_pool", "--ndim", "1", "--kernel-size", "3", "--stride", "2",
                   "--padding", "1", "--no-count-include-pad"),
    "pool_valid_zh": ("derive", "--op", "avg_pool", "--ndim", "1", "--kernel-size", "3", "--stride", "2",
                      "--padding", "1", "--no-count-include-pad", "--lang", "zh"),
    "pool_ceil_zh": ("derive", "--op", "avg_pool", "--ndim", "1", "--kernel-size", "3", "--stride", "2",
                     "--padding", "1", "--ceil-mode", "--lang", "zh"),
    "pool_override": ("derive", "--op", "avg_pool", "--ndim", "1", "--kernel-size", "3", "--stride", "2",
                      "--padding", "1", "--divisor-override", "4"),
    "pool_2d": ("derive", "--op", "avg_pool", "--ndim", "2", "--kernel-size", "3,2", "--stride", "2",
                "--padding", "1", "--no-count-include-pad"),
    "unfold": ("derive", "--op", "unfold", "--ndim", "1", "--kernel-size", "3", "--padding", "1", "--stride", "2",
               "--dilation", "2"),
    "unfold_3d_zh": ("derive", "--op", "unfold", "--ndim", "3", "--kernel-size", "2", "--padding", "1",
                     "--stride", "2", "--lang", "zh"),
    "fold": ("derive", "--op", "fold", "--ndim", "2", "--output-size", "5,4", "--kernel-size", "2",
             "--stride", "1,2"),
    # a 3-D strided convolution: its change-of-variable step, one product of two tensors with three long
    # offsets each, ran ~18 pt past the right margin (no break allowed inside a product)
    "conv_3d": ("derive", "--ndim", "3", "--stride", "2", "--padding", "1"),
}


# reports with a drawing: its grid lines read as a table's rules, so their tables are not measured here (the
# convolution's are, in test_layout)
FIGURED = {"conv_3d"}


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "symconv", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=900)


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> dict[str, Path]:
    """Each report's folder, written with its PDF."""
    if shutil.which("latexmk") is None or shutil.which("xelatex") is None:
        pytest.skip("needs latexmk and xelatex")
    root = tmp_path_factory.mktemp("operators")
    for name, args in RUNS.items():
        done = _run(*args, "--out", name, cwd=root)
        assert done.returncode == 0, (name, done.stderr)
    return {name: root / name for name in RUNS}


def _only(folder: Path, ext: str) -> Path:
    (path,) = folder.glob(f"*.{ext}")
    return path


def test_every_report_is_readable_and_inside_the_text_block(built):
    faults = [f for folder in built.values() for f in _faults(_only(folder, "pdf"))]
    assert not faults, f"{len(faults)} faults, first: " + "; ".join(faults[:12])


def _table_chars(page) -> list[dict]:
    """The characters of each table's rows. A table opens with two rules one header row apart (about 18 pt:
    its head, repeated on each page it continues on); its body runs to the next rule, or to the page's end
    where it breaks across pages."""
    rules = sorted({round(r["top"], 1) for r in page.lines + page.rects if r["width"] > 50 and r["height"] < 2})
    regions, i = [], 0
    while i + 1 < len(rules):
        if 14 < rules[i + 1] - rules[i] < 24:
            end = rules[i + 2] if i + 2 < len(rules) else page.height
            regions.append((rules[i], end))
            i += 3
        else:
            i += 1
    return [c for c in page.chars if any(top <= c["top"] <= end for top, end in regions)]


def test_body_tables_are_set_at_8_pt_or_more(built):
    pdfplumber = pytest.importorskip("pdfplumber")
    seen = 0
    for name, folder in built.items():
        if name in FIGURED:
            continue
        with pdfplumber.open(_only(folder, "pdf")) as pdf:
            for page in pdf.pages:
                chars = _table_chars(page)
                seen += len(chars)
                small = [c["text"] for c in chars if c["size"] < 7.9]
                assert not small, (name, small[:20])
    assert seen > 500                   # the configuration, closed-form and proof tables of every report


@pytest.mark.parametrize("spec, lang, title", [
    (SliceSpec(1, start=1, step=2), "en", "Backward pass of strided slicing x[..., 1::2]"),
    (SliceSpec(2, start=(0, 2), stop=(4, None), step=(1, 3)), "en", "Backward pass of strided slicing x[..., :4, 2::3]"),
    (SliceSpec(1, start=1, step=2), "zh", "带步长切片 x[..., 1::2] 的反向传播"),
    (PadSpec(2, ((1, 0), (2, 3))), "en", "Backward pass of constant padding (1, 0), (2, 3)"),
    (PadSpec(1, 2), "en", "Backward pass of constant padding (2, 2)"),
    (ConvSpec(2, 2, 3, stride=2, padding=1, ndim=1, transposed=True, output_padding=1), "en",
     "Backward pass of a transposed convolution (1-D, 3 kernel, stride 2, padding 1, output padding 1)"),
    (ConvSpec(2, 2, 3, stride=2, padding=1, ndim=1, transposed=True, output_padding=1), "zh",
     "转置卷积的反向传播（1 维，3 卷积核，步长 2，填充 1，输出填充 1）"),
    (ConvSpec(2, 2, 3, padding=1), "en", "Backward pass of a convolution (2-D, 3×3 kernel, stride 1, padding 1)"),
])
def test_titles_say_the_operator_in_words(spec, lang, title):
    # they were "Backward pass of slice (slice_1d_a1_bend_s2)" and, for the transposed convolution, "Backward
    # pass of a convolution (...)" without its output padding
    assert report_title(spec, lang) == title


def test_titles_in_the_files(built):
    md = _only(built["slice"], "md").read_text(encoding="utf-8")
    assert md.splitlines()[0] == r"# Backward pass of strided slicing x\[\.\.\., 1\:\:2\]"
    tex = _only(built["transposed"], "tex").read_text(encoding="utf-8")
    assert "output padding 1" in tex and "conv\\_transpose\\_1d" not in tex
    assert _only(built["order2"], "md").read_text(encoding="utf-8").splitlines()[0] == (
        r"# Double backward of a convolution \(1\-D, 3 kernel, stride 2, padding 1, bias\)")


def test_reports_are_byte_identical_on_a_second_run(built, tmp_path):
    for name in ("order2", "order2_zh", "slice", "pad", "pool_valid_zh", "pool_2d", "unfold", "fold", "conv_3d"):
        done = _run(*RUNS[name], "--no-pdf", "--out", "again", cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        for ext in ("tex", "md"):
            first = _only(built[name], ext)
            assert (tmp_path / "again" / first.name).read_bytes() == first.read_bytes(), (name, ext)
        for f in (tmp_path / "again").iterdir():
            f.unlink()


def test_slice_and_pad_reports_have_their_own_legend_and_a_second_opinion(built):
    for name, checked in (("slice", "14 entries"), ("pad", "18 entries")):
        md = _only(built[name], "md").read_text(encoding="utf-8")
        # no correlation, rotation or channel swap appears in their forms: the legend names none of them (and
        # padding's none of slicing's dilation); their general proof has no stride and dilation "put in"
        assert "template operation" not in md and "swap" not in md
        assert (r"\operatorname{dilate}_S" in md) == (name == "slice")
        assert "stride and dilation put in" not in md
        assert "trilinear" not in md and "linear in $x$ and in $g$" in md
        assert f"compared exactly: {checked} equal to those of the derivative of the definition" in md
    zh = _only(built["slice_zh"], "md").read_text(encoding="utf-8")
    assert "14 个元素与定义的导数" in zh and "模板运算" not in zh


def test_the_unary_second_opinion_catches_a_wrong_form(monkeypatch):
    from symconv.proof import attach
    from symconv.derivation.forms import derive_unary_forms
    spec = SliceSpec(1, start=1, step=2)
    assert attach.unary_check(spec) == ((7,), True, 14, "")
    right = derive_unary_forms(spec)
    wrong = ops.Pad(right.grad_input.arg, ((0, 2),))              # the offset dropped: the start at 0

    def mutated(s):
        import dataclasses
        return dataclasses.replace(right, grad_input=wrong)
    monkeypatch.setattr(attach, "derive_unary_forms", mutated)
    size, ok, checked, detail = attach.unary_check(spec)
    assert (size, ok) == ((7,), False) and detail.startswith("entry [0, 0, 0]: ")


def test_the_double_backward_report_shows_every_step_under_its_result(built):
    md = _only(built["order2"], "md").read_text(encoding="utf-8")
    heads = [line for line in md.splitlines() if line.startswith("### ")]
    assert heads == ["### Definition",
                     r"### $\mathit{gI}$: the derivative of $L_2$ with respect to the input $x$",
                     r"### $\mathit{gW}$: the derivative of $L_2$ with respect to the kernel $h$",
                     r"### $\mathit{ggO}$: the derivative of $L_2$ with respect to $g = \partial L/\partial y$"]
    from symconv.derivation.second import derive_second_general
    steps = derive_second_general(1, False, True).steps
    assert md.count("Step ") == len(steps) and f"Step {len(steps)}: recognise" in md
    assert "also holds $\\mathit{ggb}$" in md and "exact (integers): the forms above equal, on 28 entries" in md
    assert "texttt" not in md                                 # PyTorch's function named as plain text
    assert md.count("| proved |") == 4                        # gI, gW and ggO's two forward passes
    zh = _only(built["order2_zh"], "md").read_text(encoding="utf-8")
    assert "### $\\mathit{gI}$：$L_2$ 相对于输入 $x$ 的导数" in zh and "第 1 步" in zh


def test_order_2_report_exact_check_agrees_on_pytorch_configs():
    # the second opinion (the forms against L's linearity) on the gradgradcheck configurations
    from data.torch_double_backward_configs import CONV2D
    from symconv.derivation.second import derive_second_order
    from symconv.proof.attach import check_second_order
    for src, b, cin, cout, k, n, s, p, d, g in CONV2D:
        spec = ConvSpec(cin, cout, k, stride=s, padding=p, dilation=d, groups=g, bias=True)
        size, ok, checked, detail = check_second_order(derive_second_order(spec))
        assert ok and checked > 0, (src, detail)


@pytest.mark.parametrize("kind", ["avg_pool", "unfold", "fold"])
def test_the_second_opinion_of_pooling_unfold_and_fold_catches_a_wrong_form(kind):
    """Their reports had no exact second opinion: now each closed form's evaluator is compared with the
    derivative of an independent forward loop (PyTorch's pooling windows, plain unfold/fold loops), entry by
    entry; the engine's form agrees and a mutant of it does not."""
    import dataclasses
    from symconv.derivation.spec import AvgPoolSpec
    from symconv.derivation.spec_fold import FoldSpec, UnfoldSpec
    from symconv.proof import attach
    from symconv.proof.mutants import mutate
    spec, mutant = {
        "avg_pool": (AvgPoolSpec(2, (3, 2), stride=(2, 1), padding=(1, 1), ceil_mode=True, count_include_pad=False),
                     "count_include_pad_flipped"),
        "unfold": (UnfoldSpec(2, (2, 3), dilation=(1, 2), padding=(1, 0), stride=(2, 1)), "fold_padding_off_by_one"),
        "fold": (FoldSpec(2, (5, 4), (2, 2), stride=(1, 2), padding=(1, 0)), "unfold_stride_dilation_swapped"),
    }[kind]
    right = attach._derived(spec)
    size, ok, checked, detail = attach.unary_check(spec, derivation=right)
    assert ok and checked == 2 * math.prod(size) and detail == ""
    wrong = dataclasses.replace(right, grad_input=mutate(right.grad_input, mutant))
    assert wrong.grad_input != right.grad_input
    size, ok, checked, detail = attach.unary_check(spec, derivation=wrong)
    assert not ok and detail.startswith(("entry [", "shape ", "the closed form cannot be evaluated: ")), detail


def _md(built, name: str) -> str:
    return _only(built[name], "md").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", ["pool_valid", "pool_valid_zh", "pool_ceil_zh", "pool_override", "pool_2d"])
def test_pooling_reports_have_their_own_legend(built, name):
    md = _md(built, name)
    # the convolution's operators never appear in a pooling form: its legend named them and not its own
    assert "template operation" not in md and "模板运算" not in md and "swap" not in md and "rot180" not in md
    assert r"\operatorname{sum\_windows}_K$" in md and r"\operatorname{divide}(g,\ d)$" in md
    # H^o (the output's length) stands in every pooling form's padding, under ceil_mode in the configuration's
    assert "$H^{o}$ is the output's length" in md or "$H^{o}$ 是输出的长度" in md
    assert "monomial" not in md and "单项式" not in md and "stride and dilation put in" not in md
    assert "trilinear" not in md and "NumPy's own" not in md and "NumPy 自身" not in md


def _pytorch_divisor(flags: dict, size: tuple[int, ...]) -> list[list[int]]:
    """The divisor per axis from PyTorch itself, one axis at a time (the divisor is a product over the axes):
    the window's sum of ones (divisor_override=1) over the pooled mean of ones."""
    torch = pytest.importorskip("torch")
    pool = torch.nn.functional.avg_pool2d
    out = []
    for k, n in enumerate(size):
        K, S, P = ((v[k] if isinstance(v, tuple) else v) for v in (flags["kernel_size"], flags["stride"],
                                                                    flags["padding"]))
        ones = torch.ones(1, 1, 1, n, dtype=torch.float64)
        total = pool(ones, (1, K), (1, S), (0, P), flags["ceil_mode"], True, 1)
        mean = pool(ones, (1, K), (1, S), (0, P), flags["ceil_mode"], flags["count_include_pad"])
        out.append([round(float(t / m)) for t, m in zip(total.flatten(), mean.flatten())])
    return out


def test_the_divisor_is_said_in_words_with_pytorchs_values(built):
    valid = dict(kernel_size=3, stride=2, padding=1, ceil_mode=False, count_include_pad=False)
    ceil = dict(kernel_size=3, stride=2, padding=1, ceil_mode=True, count_include_pad=True)
    two = dict(kernel_size=(3, 2), stride=(2, 2), padding=(1, 1), ceil_mode=False, count_include_pad=False)
    (d,) = _pytorch_divisor(valid, (6,))
    assert d == [2, 3, 3]
    md = _md(built, "pool_valid")
    assert "how many real entries of $x$ (not padding) the window of output position $i$ covers" in md
    assert f"At an input of $6$ it is ({', '.join(map(str, d))})." in md
    zh = _md(built, "pool_valid_zh")
    assert "真实元素（不含填充）个数" in zh and f"在输入 $6$ 上，它是 ({', '.join(map(str, d))})。" in zh
    (d,) = _pytorch_divisor(ceil, (6,))
    assert d == [3, 3, 3, 2]                       # ceil_mode's last window clipped at the padded end
    assert f"在输入 $6$ 上，它是 ({', '.join(map(str, d))})。" in _md(built, "pool_ceil_zh")
    d1, d2 = _pytorch_divisor(two, (6, 5))
    assert (f"At an input of $6 \\times 5$ it is the product of its factor on each axis, on axis 1: "
            f"({', '.join(map(str, d1))}); on axis 2: ({', '.join(map(str, d2))}).") in _md(built, "pool_2d")
    assert "The divisor is divisor\\_override = 4 at every output position" in _md(built, "pool_override")


@pytest.mark.parametrize("name, zh", [("unfold", False), ("fold", False), ("unfold_3d_zh", True),
                                      ("pool_valid", False), ("pool_valid_zh", True)])
def test_window_reports_name_their_second_opinion_and_their_one_form(built, name, zh):
    md = _md(built, name)
    # their second opinion is a plain loop over each unit input's windows, not NumPy's slicing or padding;
    # their general proof proves one form, not "these forms"
    assert ("对每个单位输入的窗口逐个循环" if zh else "a plain loop over the windows of each unit input") in md
    assert "these with its sizes" not in md and "这些式子" not in md and "proves them" not in md
    if name.startswith(("unfold", "fold")):
        assert ("上面配置的闭式解就是代入其尺寸后的这个式子" if zh
                else "the form of the configuration above is this one with its sizes substituted") in md
        assert r"\operatorname{fold}_{H, K, s, d, p}" in md          # the legend names fold and unfold


def test_a_long_product_may_break_between_its_factors(built):
    tex = _only(built["conv_3d"], "tex").read_text(encoding="utf-8")
    assert r"+ u_{3}'} \allowbreak h^{\top}_{c',o,K_{1} - a_{1} - 1" in tex
    assert r"} \allowbreak h^{\top}" not in _md(built, "conv_3d")   # Markdown's renderers scroll instead
    from symconv.derivation.layout import display
    short = r"\sum_{a} g_{a} h_{a}"
    assert display(short) == "\\begin{center}\n$\\displaystyle " + short + "$\n\\end{center}"


def test_folds_sum_over_the_image_index_is_not_called_stride_1(built):
    # fold's ∂L/∂x sums g over the image index j (coefficient 1 whatever fold's stride): its report, at stride
    # (1, 2), said "stride 1" for both axes, the convolution's wording
    md = _md(built, "fold")
    assert "stride 1:" not in md and md.count("a sum read off a delta") == 2
    from symconv.derivation.unfold import derive_general
    rules = [step.rule_text("zh") for step in derive_general("fold", 2).steps]
    assert sum(r.startswith("由 $\\delta$ 读出求和") for r in rules) == 2 and not any("步长为 1" in r for r in rules)


def test_pooling_is_titled_by_its_window_and_unfold_names_its_blocks_as_its_steps_do():
    """A reader meets 'window K' in the pooling table and H^o for the blocks in unfold's steps: the title said
    '3 kernel' and the legend and table called the blocks L only."""
    from symconv.derivation.spec import AvgPoolSpec
    from symconv.report.derivation import report_title
    from symconv.wording import w
    assert report_title(AvgPoolSpec(2, (3, 2)), "en").startswith("Backward pass of average pooling (2-D, 3×2 window,")
    assert report_title(AvgPoolSpec(1, 3), "zh").startswith("平均池化的反向传播（1 维，3 窗口，")
    for lang in ("en", "zh"):
        assert r"$H^{o}$" in w("legend.fold", lang) and r"$H^{o}$" in w("f.blocks", lang)
