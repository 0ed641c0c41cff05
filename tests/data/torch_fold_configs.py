"""Unfold / fold (im2col / col2im) configurations taken from PyTorch's own tests.

The table was written by hand from reading, in pytorch/pytorch (stored snapshots; the
torch/testing/_internal files are the ones shipped with torch 2.13.0+cpu):

  * torch/testing/_internal/common_nn.py, new_module_tests entries with fullname 'Unfold', 'Fold',
    'Fold_no_batch_dim_input', 'Unfold_int_input', 'Fold_int_input',
    'Fold_no_batch_dim_int_input' (all default_dtype=torch.double, check_gradgrad=False: the
    module tests run gradcheck only).
  * torch/testing/_internal/common_methods_invocations.py: sample_inputs_nn_unfold (OpInfo
    'nn.functional.unfold', aten_name 'im2col', supports_fwgrad_bwgrad).  There is no OpInfo /
    sample function for nn.functional.fold in this version, and common_modules.py has no
    ModuleInfo for Fold / Unfold.
  * test/test_nn.py: TestNN.test_fold_invalid_arg, TestNN.test_unfold_invalid_arg,
    TestNNDeviceType.test_Unfold_empty, TestNNDeviceType.test_fold (gradcheck + gradgradcheck,
    plus a bfloat16 comparison on CPU).
  * test/nn/test_pooling.py: TestAvgPool._sum_pool2d / _sum_pool3d, the reference used by
    test_doubletensor_avg_pool2d[_with_divisor] and test_doubletensor_avg_pool3d[_with_divisor]:
    torch.nn.functional.unfold(x, kernel_size=kernel_size, stride=kernel_size) on (1, 1, H, W).

Notes
  * Argument order: F.unfold(input, kernel_size, dilation, padding, stride) and
    F.fold(input, output_size, kernel_size, dilation, padding, stride) (nn.Unfold / nn.Fold take
    the same order; common_nn passes them positionally).
  * Product loops are kept in FAMILIES (itertools.product as the tests state them); CONFIGS holds
    the hand-listed entries followed by every family member, exact duplicates dropped (first kept).
  * Not expressible here: dtype (the test_fold bfloat16 check), forward-AD checks, device, and the
    reference comparison of the pooling tests.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Union

Axes = Union[int, tuple]


@dataclass(frozen=True)
class FoldConfig:
    source: str
    test: str
    kind: str              # "unfold" or "fold"
    input_shape: tuple     # as passed (unfold: (N, C, *spatial) or (C, *spatial); fold: (N, C*prod(kernel), L) or (C*prod(kernel), L))
    kernel_size: Axes
    dilation: Axes = 1
    padding: Axes = 0
    stride: Axes = 1
    output_size: Axes | None = None   # fold only


F_ = FoldConfig
CN = "common_nn.py"
CMI = "common_methods_invocations.py"
TN = "test_nn.py"
TP = "test_pooling.py"

# --------------------------------------------------------------------------------------------
# FAMILIES
# --------------------------------------------------------------------------------------------

# sample_inputs_nn_unfold:
#     shapes = ((0, 1, 5, 5), (2, 3, 5, 5)); kernel_sizes = (2, (2, 2), (2, 3))
#     dilations = (1, 2, (1, 2)); paddings = (0, 1, (1, 2)); strides = (1, 2, (1, 2))
#     for shape, kernel_size, dilation, padding, stride in product(...):
#         SampleInput(tensor, kernel_size, dilation, padding, stride)
#     # With default args
#     SampleInput(make_arg((1, 1, 5, 5)), (3, 3))
_fam_sample_unfold = tuple(
    F_(CMI, "sample_inputs_nn_unfold", "unfold", shape, k, dilation=d, padding=p, stride=s)
    for shape, k, d, p, s in itertools.product(
        ((0, 1, 5, 5), (2, 3, 5, 5)),
        (2, (2, 2), (2, 3)),
        (1, 2, (1, 2)),
        (0, 1, (1, 2)),
        (1, 2, (1, 2)),
    )
) + (F_(CMI, "sample_inputs_nn_unfold", "unfold", (1, 1, 5, 5), (3, 3)),)

# test_pooling.py TestAvgPool._sum_pool2d(x, kernel_size):
#     F.unfold(x, kernel_size=kernel_size, stride=kernel_size)
# test_doubletensor_avg_pool2d: x = (1, 1, 5, 8), kernel (i, j) for i in 1..5, j in 1..8
_fam_sumpool2d = tuple(
    F_(TP, "test_doubletensor_avg_pool2d (_sum_pool2d)", "unfold", (1, 1, 5, 8), (i, j), stride=(i, j))
    for i, j in itertools.product(range(1, 5 + 1), range(1, 8 + 1))
)
# test_doubletensor_avg_pool2d_with_divisor: x = (1, 1, 3, 3), i, j in 1..3 (the divisor loop
# does not change the unfold call)
_fam_sumpool2d_div = tuple(
    F_(TP, "test_doubletensor_avg_pool2d_with_divisor (_sum_pool2d)", "unfold", (1, 1, 3, 3), (i, j),
       stride=(i, j))
    for i, j in itertools.product(range(1, 3 + 1), range(1, 3 + 1))
)
# _sum_pool3d(x, (i, j, k)) sums x (h, w, d) over chunks of i along dim 0, then calls
# _sum_pool2d(t.unsqueeze(0).unsqueeze(0), (j, k)) on (1, 1, w, d).
# test_doubletensor_avg_pool3d: h, w, d = 5, 6, 7 -> (1, 1, 6, 7), j in 1..6, k in 1..7
_fam_sumpool3d = tuple(
    F_(TP, "test_doubletensor_avg_pool3d (_sum_pool3d)", "unfold", (1, 1, 6, 7), (j, k), stride=(j, k))
    for j, k in itertools.product(range(1, 6 + 1), range(1, 7 + 1))
)
# test_doubletensor_avg_pool3d_with_divisor: h, w, d = 6, 5, 7 -> (1, 1, 5, 7), j in 1..5, k in 1..7
_fam_sumpool3d_div = tuple(
    F_(TP, "test_doubletensor_avg_pool3d_with_divisor (_sum_pool3d)", "unfold", (1, 1, 5, 7), (j, k),
       stride=(j, k))
    for j, k in itertools.product(range(1, 5 + 1), range(1, 7 + 1))
)

FAMILIES: dict[str, tuple[FoldConfig, ...]] = {
    "sample_inputs_nn_unfold": _fam_sample_unfold,                        # 162 + 1
    "test_doubletensor_avg_pool2d": _fam_sumpool2d,                       # 40
    "test_doubletensor_avg_pool2d_with_divisor": _fam_sumpool2d_div,      # 9
    "test_doubletensor_avg_pool3d": _fam_sumpool3d,                       # 42
    "test_doubletensor_avg_pool3d_with_divisor": _fam_sumpool3d_div,      # 35
}

# --------------------------------------------------------------------------------------------
# Hand-listed entries
# --------------------------------------------------------------------------------------------
_EXPLICIT = (
    # common_nn.py: nn.Unfold((2, 2), (1, 1), (0, 0), (1, 1)), input_size=(2, 4, 3, 3)
    F_(CN, "Unfold", "unfold", (2, 4, 3, 3), (2, 2), dilation=(1, 1), padding=(0, 0), stride=(1, 1)),
    # common_nn.py: nn.Fold((3, 3), (2, 2), (1, 1), (0, 0), (1, 1)), input_size=(2, 16, 4)
    F_(CN, "Fold", "fold", (2, 16, 4), (2, 2), dilation=(1, 1), padding=(0, 0), stride=(1, 1),
       output_size=(3, 3)),
    # common_nn.py: same Fold, input_size=(16, 4), ref=single_batch_reference_fn
    F_(CN, "Fold_no_batch_dim_input", "fold", (16, 4), (2, 2), dilation=(1, 1), padding=(0, 0),
       stride=(1, 1), output_size=(3, 3)),
    # common_nn.py: nn.Unfold(2, 1, 0, 1), input_size=(2, 4, 3, 3)
    F_(CN, "Unfold_int_input", "unfold", (2, 4, 3, 3), 2, dilation=1, padding=0, stride=1),
    # common_nn.py: nn.Fold(3, 2, 1, 0, 1), input_size=(2, 16, 4)
    F_(CN, "Fold_int_input", "fold", (2, 16, 4), 2, dilation=1, padding=0, stride=1, output_size=3),
    # common_nn.py: nn.Fold(3, 2, 1, 0, 1), input_size=(16, 4)
    F_(CN, "Fold_no_batch_dim_int_input", "fold", (16, 4), 2, dilation=1, padding=0, stride=1,
       output_size=3),

    # test_nn.py::test_Unfold_empty: nn.Unfold(kernel_size=(2, 3)) on torch.randn(0, 3, 3, 4);
    # _test_module_empty_input runs backward
    F_(TN, "test_Unfold_empty", "unfold", (0, 3, 3, 4), (2, 3)),
    # test_nn.py::test_fold: F.fold(x, output_size=(4, 5), kernel_size=(2, 2)),
    # x = torch.randn(1, 12, 12, dtype=torch.double); gradcheck + gradgradcheck, 5 seeds
    F_(TN, "test_fold", "fold", (1, 12, 12), (2, 2), output_size=(4, 5)),
)


def _key(c: FoldConfig) -> tuple:
    return (c.kind, c.input_shape, c.kernel_size, c.dilation, c.padding, c.stride, c.output_size)


def _dedupe(items) -> tuple:
    seen, out = set(), []
    for c in items:
        k = _key(c)
        if k not in seen:
            seen.add(k)
            out.append(c)
    return tuple(out)


CONFIGS: tuple[FoldConfig, ...] = _dedupe(
    _EXPLICIT + tuple(c for fam in FAMILIES.values() for c in fam)
)

# --------------------------------------------------------------------------------------------
# REJECTED: PyTorch raises RuntimeError.  Error text as printed by torch 2.13.0+cpu.
# --------------------------------------------------------------------------------------------
REJECTED: tuple[FoldConfig, ...] = (
    # test_nn.py::test_fold_invalid_arg -- "input.size(1) not divisible by \prod(kernel_size)"
    # fold = nn.Fold(output_size=(4, 5), kernel_size=(2, 3)); regex "be divisible by the product of kernel_size"
    F_(TN, "test_fold_invalid_arg", "fold", (1, 5, 9), (2, 3), output_size=(4, 5)),
    # "Expected size of input's dimension 1 to be divisible by the product of kernel_size,
    #  but got input.size(1)=5 and kernel_size=(2, 3)."
    F_(TN, "test_fold_invalid_arg", "fold", (1, 19, 9), (2, 3), output_size=(4, 5)),
    # "Expected size of input's dimension 1 to be divisible by the product of kernel_size,
    #  but got input.size(1)=19 and kernel_size=(2, 3)."
    # -- "input.size(2) not matching the total number of sliding blocks";
    # regex "match the calculated number of sliding blocks"
    F_(TN, "test_fold_invalid_arg", "fold", (1, 6, 10), (2, 3), output_size=(4, 5)),
    # "Given output_size=(4, 5), kernel_size=(2, 3), dilation=(1, 1), padding=(0, 0), stride=(1, 1),
    #  expected size of input's dimension 2 to match the calculated number of sliding blocks
    #  3 * 3 = 9, but got input.size(2)=10."
    F_(TN, "test_fold_invalid_arg", "fold", (1, 6, 5), (2, 3), stride=(2, 2), output_size=(4, 5)),
    # "Given output_size=(4, 5), kernel_size=(2, 3), dilation=(1, 1), padding=(0, 0), stride=(2, 2),
    #  expected size of input's dimension 2 to match the calculated number of sliding blocks
    #  2 * 2 = 4, but got input.size(2)=5."
    F_(TN, "test_fold_invalid_arg", "fold", (1, 6, 5), (2, 3), dilation=(1, 2), padding=(2, 0),
       stride=(2, 2), output_size=(4, 5)),
    # "Given output_size=(4, 5), kernel_size=(2, 3), dilation=(1, 2), padding=(2, 0), stride=(2, 2),
    #  expected size of input's dimension 2 to match the calculated number of sliding blocks
    #  4 * 1 = 4, but got input.size(2)=5."   (test comment: "should be 4 * 1 = 4 sliding blocks")
    F_(TN, "test_fold_invalid_arg", "fold", (1, 12, 12), (2, 2), dilation=8, padding=0, stride=1,
       output_size=(4, 5)),
    # "Given output_size=(4, 5), kernel_size=(2, 2), dilation=(8, 8), padding=(0, 0), stride=(1, 1),
    #  calculated shape of the array of sliding blocks as (-4, -3), which is too small (non-positive)"
    # (test regex "calculated shape of the array of sliding blocks as")

    # test_nn.py::test_unfold_invalid_arg -- "calculated output shape is too small";
    # regex "its components must be at least one"
    F_(TN, "test_unfold_invalid_arg", "unfold", (1, 2, 2, 2), (2, 3)),
    # "Given input with spatial size (2, 2), kernel_size=(2, 3), dilation=(1, 1), padding=(0, 0),
    #  calculated shape of the array of sliding blocks as (1, 0), but its components must be at least one."
    F_(TN, "test_unfold_invalid_arg", "unfold", (1, 2, 2, 3), (5, 3), padding=(1, 1)),
    # "Given input with spatial size (2, 3), kernel_size=(5, 3), dilation=(1, 1), padding=(1, 1),
    #  calculated shape of the array of sliding blocks as (0, 3), but its components must be at least one."
    F_(TN, "test_unfold_invalid_arg", "unfold", (1, 2, 2, 2), (1, 3), dilation=(1, 2), padding=(1, 1)),
    # "Given input with spatial size (2, 2), kernel_size=(1, 3), dilation=(1, 2), padding=(1, 1),
    #  calculated shape of the array of sliding blocks as (4, 0), but its components must be at least one."

    # test_nn.py::test_Unfold_empty: torch.randn(3, 0, 3, 4) (empty channel dim); regex "Expected 3D or 4D"
    F_(TN, "test_Unfold_empty", "unfold", (3, 0, 3, 4), (2, 3)),
    # "Expected 3D or 4D (batch mode) tensor with possibly 0 batch size and other non-zero
    #  dimensions for input, but got: [3, 0, 3, 4]"
)

# Regexes the PyTorch tests assert for the REJECTED entries (same order).
REJECTED_REGEX: tuple[str, ...] = (
    r"be divisible by the product of kernel_size",
    r"be divisible by the product of kernel_size",
    r"match the calculated number of sliding blocks",
    r"match the calculated number of sliding blocks",
    r"match the calculated number of sliding blocks",
    r"calculated shape of the array of sliding blocks as",
    r"its components must be at least one",
    r"its components must be at least one",
    r"its components must be at least one",
    r"Expected 3D or 4D",
)

assert len(REJECTED_REGEX) == len(REJECTED)
assert all(c.kind in ("unfold", "fold") for c in CONFIGS + REJECTED)
