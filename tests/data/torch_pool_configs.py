"""Average-pooling (avg_pool1d / avg_pool2d / avg_pool3d) configurations taken from PyTorch's own tests.

The table was written by hand from reading, in pytorch/pytorch (stored snapshots; the
torch/testing/_internal files are the ones shipped with torch 2.13.0+cpu):

  * test/nn/test_pooling.py
      TestAvgPool: test_doubletensor_avg_pool2d, test_doubletensor_avg_pool2d_with_divisor,
        test_doubletensor_avg_pool3d, test_doubletensor_avg_pool3d_with_divisor (these compare
        against a reference built from F.unfold + sum), test_avg_pool{1,2,3}d_ceil_mode (gh-36977,
        asserts no NaN);
      TestPoolingNNDeviceType: test_AvgPool2d_empty, test_pooling_shape (asserts output shapes),
        test_avg_pool2d_nhwc (channels_last vs contiguous, forward + backward),
        test_avg_pool2d_reduced_floating, test_pool3d_size_one_feature_dim,
        test_AvgPool3d_backward_after_cat_dim1_device, test_pooling_zero_stride,
        test_pool_large_size, test_pool_invalid_size, test_pooling_bfloat16, test_pooling_large.
  * test/test_nn.py: TestNNDeviceType.test_avg_pool_large_tensor, test_avg_pool_large_tensor2.
  * torch/testing/_internal/common_nn.py: in this version module_tests / new_module_tests hold no
    AvgPool entries any more (they moved to common_modules.py, below).
  * torch/testing/_internal/common_modules.py: module_inputs_torch_nn_AvgPool1d/2d/3d (the
    ModuleInfo inputs; run by test_modules.py with gradcheck / gradgradcheck).
  * torch/testing/_internal/common_methods_invocations.py: sample_inputs_avgpool1d/2d/3d and
    error_inputs_avg_pool1d/2d/3d (OpInfos nn.functional.avg_pool1d/2d/3d; supports_autograd,
    supports_fwgrad_bwgrad, so gradcheck / gradgradcheck run on every sample).

Notes
  * `dim` (1, 2 or 3: which avg_pool{dim}d / AvgPool{dim}d the test calls) is an extra field, not
    in the requested layout: the input shape alone is ambiguous (e.g. (2, 3, 6) is a batched 1d
    input for AvgPool1d and an unbatched 2d input for AvgPool2d).
  * stride=None means the test passes no stride.  One OpInfo sample passes stride=() (an empty
    tuple, which PyTorch also reads as "use kernel_size"); it is kept as ().
  * avg_pool1d has no divisor_override argument; 1d entries always have divisor_override=None.
  * Product loops are kept in FAMILIES (built with itertools.product as the tests state them);
    CONFIGS holds the hand-listed entries followed by every family member.  Exact duplicates
    (same dim and same arguments) are dropped, keeping the first occurrence.
  * LARGE holds configurations from @largeTensorTest / CUDA-only tests whose inputs have
    2e9 .. 4.4e9 elements: far too big for float64 autograd, so they are kept apart (the checker
    runs them on the meta device only).  Entries of CONFIGS that are large-ish but runnable are
    marked "LARGE" in a comment (biggest: 200x512x28x28 = 80M elements, about 640 MB in float64).
  * What the tests check that is not expressible here: memory format (channels_last /
    channels_last_3d, non-contiguous strides from as_strided), dtype (half / bfloat16 / float),
    device (CUDA-only tests), the expected output shape (test_pooling_shape), and the reference
    comparisons themselves.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Union

Axes = Union[int, tuple]


@dataclass(frozen=True)
class PoolConfig:
    source: str            # file, e.g. "test_pooling.py" / "common_modules.py" / "common_methods_invocations.py"
    test: str              # the test function or the entry's desc, quoted as in PyTorch
    input_shape: tuple     # (N, C, *spatial) or unbatched (C, *spatial) exactly as the test passes it
    kernel_size: Axes      # int or tuple, as passed
    stride: Axes | None    # None when the test passes none (PyTorch then uses kernel_size)
    padding: Axes = 0
    ceil_mode: bool = False
    count_include_pad: bool = True
    divisor_override: int | None = None
    dim: int = 0           # extra: 1, 2 or 3 -> avg_pool{dim}d (always set below)


P = PoolConfig
TP = "test_pooling.py"
TN = "test_nn.py"
CM = "common_modules.py"
CMI = "common_methods_invocations.py"

# --------------------------------------------------------------------------------------------
# FAMILIES: loops of test/nn/test_pooling.py::TestAvgPool, as the tests state them.
# --------------------------------------------------------------------------------------------

# test_doubletensor_avg_pool2d:
#     n, m = 5, 8; input = torch.rand(1, 1, n, m, dtype=torch.double)
#     for i in range(1, n + 1): for j in range(1, m + 1): F.avg_pool2d(input[0], (i, j))
# input[0] is the unbatched (1, 5, 8) tensor.
_fam_avg2d = tuple(
    P(TP, "test_doubletensor_avg_pool2d", (1, 5, 8), (i, j), None, dim=2)
    for i, j in itertools.product(range(1, 5 + 1), range(1, 8 + 1))
)

# test_doubletensor_avg_pool2d_with_divisor:
#     n, m = 3, 3; input = torch.rand(1, 1, n, m); for i, j: for divisor in [1, 7, i * j]:
#         F.avg_pool2d(input[0], (i, j), divisor_override=divisor)
_fam_avg2d_div = tuple(
    P(TP, "test_doubletensor_avg_pool2d_with_divisor", (1, 3, 3), (i, j), None,
      divisor_override=divisor, dim=2)
    for i, j in itertools.product(range(1, 3 + 1), range(1, 3 + 1))
    for divisor in (1, 7, i * j)
)

# test_doubletensor_avg_pool3d:
#     h, w, d = 5, 6, 7; input = torch.rand(h, w, d); for i, j, k:
#         F.avg_pool3d(input.unsqueeze(0), (i, j, k))     -> unbatched (1, 5, 6, 7)
_fam_avg3d = tuple(
    P(TP, "test_doubletensor_avg_pool3d", (1, 5, 6, 7), (i, j, k), None, dim=3)
    for i, j, k in itertools.product(range(1, 5 + 1), range(1, 6 + 1), range(1, 7 + 1))
)

# test_doubletensor_avg_pool3d_with_divisor:
#     h, w, d = 6, 5, 7; for i, j, k: for divisor in [1, 7, i * j]:
#         F.avg_pool3d(input.unsqueeze(0), (i, j, k), divisor_override=divisor)
_fam_avg3d_div = tuple(
    P(TP, "test_doubletensor_avg_pool3d_with_divisor", (1, 6, 5, 7), (i, j, k), None,
      divisor_override=divisor, dim=3)
    for i, j, k in itertools.product(range(1, 6 + 1), range(1, 5 + 1), range(1, 7 + 1))
    for divisor in (1, 7, i * j)
)

# test_pooling_shape: check(expected, sizes, **kw) loops `for i in [1, 2, 3]` and calls
# avg_pool{i}d(torch.randn(sizes[: i + 2]), **kw); expected output shapes in the comments.
_shape_calls = (
    # (sizes, kwargs, expected output shape (first i + 2 entries))
    ((1, 1, 5, 6, 7), dict(kernel_size=1, stride=2, padding=0, ceil_mode=True), (1, 1, 3, 3, 4)),
    ((1, 1, 3, 4, 5), dict(kernel_size=2, stride=2, padding=1, ceil_mode=False), (1, 1, 2, 3, 3)),
    ((1, 1, 3, 4, 5), dict(kernel_size=2, stride=2, padding=1, ceil_mode=True), (1, 1, 2, 3, 3)),
)
_fam_pooling_shape = tuple(
    P(TP, "test_pooling_shape", sizes[: i + 2], kw["kernel_size"], kw["stride"],
      padding=kw["padding"], ceil_mode=kw["ceil_mode"], dim=i)
    for (sizes, kw, _expected), i in itertools.product(_shape_calls, (1, 2, 3))
)
POOLING_SHAPE_EXPECTED = {  # (dim, input_shape, ceil_mode) -> output shape asserted by the test
    (i, sizes[: i + 2], kw["ceil_mode"]): expected[: i + 2]
    for (sizes, kw, expected), i in itertools.product(_shape_calls, (1, 2, 3))
}

# test_pool_large_size: for num_dim in [1, 2, 3]:
#     x = torch.ones([1, 1, 16777217] + (num_dim - 1) * [1]); fn(x, 1, stride=1, padding=0)
# LARGE-ish: 16,777,217 elements (134 MB in float64).
_fam_pool_large_size = tuple(
    P(TP, "test_pool_large_size", (1, 1, 16777217) + (1,) * (d - 1), 1, 1, padding=0, dim=d)
    for d in (1, 2, 3)
)

# test_pooling_bfloat16 (CUDA-only in PyTorch; shapes kept): AvgPool{1,2,3}d(3, stride=2)
_fam_pooling_bf16 = tuple(
    P(TP, "test_pooling_bfloat16", (8, 4) + (16,) * d, 3, 2, dim=d) for d in (1, 2, 3)
)

# sample_inputs_avgpool2d: "Order: input_shape, kernel_size, stride, padding, ceil_mode,
# count_include_pad, divisor_override", passed positionally.
_avgpool2d_cases = (
    ((1, 3, 9, 9), 3, 1, 1, True, False, 2),
    ((1, 3, 9, 9), (4, 4), (2, 3), 1, True, False, 2),
    ((1, 3, 9, 9), (6, 6), (3, 3), (2, 3), True, True, 2),
    ((2, 3, 9, 9), (3, 3), (1, 1), (1, ), True, False, 2),
    ((1, 1, 4, 4), (2, 2), (), (0, ), False, True, -2),      # stride=() and a negative divisor
    ((1, 2, 6, 6), (4, 4), (2, 2), (2, ), True, True, None),
)
_fam_sample_avgpool2d = tuple(
    P(CMI, "sample_inputs_avgpool2d", shape, k, s, padding=p, ceil_mode=c, count_include_pad=cip,
      divisor_override=dv, dim=2)
    for shape, k, s, p, c, cip, dv in _avgpool2d_cases
) + (
    # "Case with just input_shape and kernel_size"
    P(CMI, "sample_inputs_avgpool2d", (1, 3, 9, 9), (3, 3), None, dim=2),
)

FAMILIES: dict[str, tuple[PoolConfig, ...]] = {
    "test_doubletensor_avg_pool2d": _fam_avg2d,                          # 40
    "test_doubletensor_avg_pool2d_with_divisor": _fam_avg2d_div,         # 27
    "test_doubletensor_avg_pool3d": _fam_avg3d,                          # 210
    "test_doubletensor_avg_pool3d_with_divisor": _fam_avg3d_div,         # 630
    "test_pooling_shape": _fam_pooling_shape,                            # 9
    "test_pool_large_size": _fam_pool_large_size,                        # 3
    "test_pooling_bfloat16": _fam_pooling_bf16,                          # 3
    "sample_inputs_avgpool2d": _fam_sample_avgpool2d,                    # 7
}

# --------------------------------------------------------------------------------------------
# Hand-listed entries
# --------------------------------------------------------------------------------------------
_EXPLICIT = (
    # ---- test/nn/test_pooling.py, TestAvgPool (regression gh-36977: output must have no NaN)
    P(TP, "test_avg_pool1d_ceil_mode", (1, 16, 4), 1, 2, ceil_mode=True, count_include_pad=True, dim=1),
    P(TP, "test_avg_pool2d_ceil_mode", (1, 16, 4, 4), (1, 2), 2, padding=(0, 1), ceil_mode=True,
      count_include_pad=True, dim=2),
    P(TP, "test_avg_pool3d_ceil_mode", (1, 16, 4, 4, 4), (1, 2, 3), 2, ceil_mode=True,
      count_include_pad=True, dim=3),

    # ---- test/nn/test_pooling.py, TestPoolingNNDeviceType
    # test_AvgPool2d_empty: nn.AvgPool2d(3, stride=2) on an empty batch (also channels_last);
    # _test_module_empty_input runs backward.
    P(TP, "test_AvgPool2d_empty", (0, 16, 20, 32), 3, 2, dim=2),

    # test_avg_pool2d_nhwc: helper(n, c, h, w, kernel_size, stride=None, count_include_pad=True,
    # divisor_override=None, padding=0); stride defaults to kernel_size and is passed explicitly.
    # NB: the helper never forwards `padding` to nn.AvgPool2d, so the calls
    # helper(..., padding=1) / padding=2 run with padding 0; they are listed as run.
    P(TP, "test_avg_pool2d_nhwc", (4, 8, 8, 8), 3, 3, dim=2),
    P(TP, "test_avg_pool2d_nhwc", (4, 8, 8, 8), 3, 3, count_include_pad=False, dim=2),   # padding=1 dropped
    P(TP, "test_avg_pool2d_nhwc", (4, 8, 8, 8), 3, 2, count_include_pad=False, dim=2),   # padding=2 dropped
    P(TP, "test_avg_pool2d_nhwc", (4, 8, 8, 8), 3, 3, divisor_override=42, dim=2),
    P(TP, "test_avg_pool2d_nhwc", (4, 8, 8, 8), 7, 7, dim=2),
    P(TP, "test_avg_pool2d_nhwc", (200, 512, 28, 28), 2, 2, dim=2),   # LARGE: 80M elements (~640 MB float64)
    P(TP, "test_avg_pool2d_nhwc", (4, 8, 7, 7), 3, 1, dim=2),         # also helper(..., padding=2, stride=1)
    P(TP, "test_avg_pool2d_nhwc", (10, 512, 31, 31), 3, 2, dim=2),    # 4.9M elements
    P(TP, "test_avg_pool2d_nhwc", (1, 129, 8, 8), 3, 2, dim=2),

    # test_avg_pool2d_reduced_floating (half / bfloat16 vs float): nn.AvgPool2d(kernel_size, stride)
    P(TP, "test_avg_pool2d_reduced_floating", (4, 30, 8, 8), 7, 1, dim=2),
    P(TP, "test_avg_pool2d_reduced_floating", (4, 65, 8, 8), 7, 1, dim=2),   # channels_last
    P(TP, "test_avg_pool2d_reduced_floating", (1, 19, 20, 10), 8, 2, dim=2),

    # test_pool3d_size_one_feature_dim (CUDA vs CPU; input as_strided with strides
    # [30, 1234, 6, 2, 1], not expressible): F.avg_pool3d(t, (5, 1, 1), stride=(5, 1, 1))
    P(TP, "test_pool3d_size_one_feature_dim", (7, 1, 5, 3, 2), (5, 1, 1), (5, 1, 1), dim=3),

    # test_AvgPool3d_backward_after_cat_dim1_device (CUDA; grad with an enlarged batch stride):
    # F.avg_pool3d(x, kernel_size=3, padding=1, stride=2)
    P(TP, "test_AvgPool3d_backward_after_cat_dim1_device", (1, 3, 4, 4, 4), 3, 2, padding=1, dim=3),

    # ---- common_modules.py: module_inputs_torch_nn_AvgPool1d  (constructor args positional:
    # kernel_size, stride, padding)
    P(CM, "module_inputs_torch_nn_AvgPool1d: desc='no_batch_dim'", (3, 6), 2, None, dim=1),
    P(CM, "module_inputs_torch_nn_AvgPool1d: (no desc)", (2, 3, 6), 2, None, dim=1),
    P(CM, "module_inputs_torch_nn_AvgPool1d: desc='stride'", (2, 3, 6), (2,), (2,), dim=1),
    P(CM, "module_inputs_torch_nn_AvgPool1d: desc='stride_pad'", (2, 3, 6), 2, 2, padding=1, dim=1),

    # ---- common_modules.py: module_inputs_torch_nn_AvgPool2d
    P(CM, "module_inputs_torch_nn_AvgPool2d: desc='no_batch_dim'", (3, 6, 6), (2, 2), None, dim=2),
    P(CM, "module_inputs_torch_nn_AvgPool2d: (no desc)", (2, 3, 6, 6), (2, 2), None, dim=2),
    P(CM, "module_inputs_torch_nn_AvgPool2d: desc='stride'", (2, 3, 6, 6), (2, 2), (2, 2), dim=2),
    P(CM, "module_inputs_torch_nn_AvgPool2d: desc='stride_pad'", (2, 3, 6, 6), (2, 2), (2, 2),
      padding=(1, 1), dim=2),
    P(CM, "module_inputs_torch_nn_AvgPool2d: desc='divisor'", (2, 3, 6, 6), (2, 2), None,
      divisor_override=1, dim=2),
    P(CM, "module_inputs_torch_nn_AvgPool2d: desc='divisor_stride'", (2, 3, 6, 6), (2, 2), (2, 2),
      divisor_override=1, dim=2),
    P(CM, "module_inputs_torch_nn_AvgPool2d: desc='divisor_stride_pad'", (2, 3, 6, 6), (2, 2), (2, 2),
      padding=(1, 1), divisor_override=1, dim=2),

    # ---- common_modules.py: module_inputs_torch_nn_AvgPool3d
    P(CM, "module_inputs_torch_nn_AvgPool3d: desc='no_batch_dim'", (3, 4, 4, 4), (2, 2, 2), None, dim=3),
    P(CM, "module_inputs_torch_nn_AvgPool3d: (no desc)", (2, 3, 4, 4, 4), (2, 2, 2), None, dim=3),
    P(CM, "module_inputs_torch_nn_AvgPool3d: desc='stride'", (2, 3, 5, 5, 5), 2, (2, 2, 2), dim=3),
    P(CM, "module_inputs_torch_nn_AvgPool3d: desc='stride_pad'", (2, 3, 5, 5, 5), 2, 2,
      padding=(1, 1, 1), dim=3),
    P(CM, "module_inputs_torch_nn_AvgPool3d: desc='stride_pad_gpu_fixedkw_output'", (2, 3, 5, 5, 5),
      4, 2, padding=(1, 2, 1), dim=3),
    P(CM, "module_inputs_torch_nn_AvgPool3d: desc='stride_pad_gpu_general_output'", (2, 3, 2, 4, 8),
      (2, 4, 8), 1, padding=(1, 1, 2), dim=3),
    P(CM, "module_inputs_torch_nn_AvgPool3d: desc='stride1_pad0_gpu_input'", (2, 3, 4, 4, 4),
      3, 1, padding=0, dim=3),
    P(CM, "module_inputs_torch_nn_AvgPool3d: desc='stride_pad_gpu_input_nooverlap'", (2, 3, 4, 4, 4),
      2, 2, padding=(1, 1, 1), dim=3),
    P(CM, "module_inputs_torch_nn_AvgPool3d: desc='divisor'", (2, 3, 4, 4, 4), (2, 2, 2), None,
      divisor_override=1, dim=3),
    P(CM, "module_inputs_torch_nn_AvgPool3d: desc='divisor_stride'", (2, 3, 5, 5, 5), 2, (2, 2, 2),
      divisor_override=1, dim=3),
    P(CM, "module_inputs_torch_nn_AvgPool3d: desc='divisor_stride_pad'", (2, 3, 5, 5, 5), 2, 2,
      padding=(1, 1, 1), divisor_override=1, dim=3),
    P(CM, "module_inputs_torch_nn_AvgPool3d: desc='divisor_stride_pad_gpu_fixedkw_output'",
      (2, 3, 5, 5, 5), 4, 2, padding=(1, 2, 1), divisor_override=1, dim=3),
    P(CM, "module_inputs_torch_nn_AvgPool3d: desc='divisor_stride_pad_gpu_general_output'",
      (2, 3, 2, 4, 8), (2, 4, 8), 1, padding=(1, 1, 2), divisor_override=1, dim=3),
    P(CM, "module_inputs_torch_nn_AvgPool3d: desc='divisor_stride1_pad0_gpu_input'", (2, 3, 4, 4, 4),
      3, 1, padding=0, divisor_override=1, dim=3),
    P(CM, "module_inputs_torch_nn_AvgPool3d: desc='divisor_stride_pad_gpu_input_nooverlap'",
      (2, 3, 4, 4, 4), 2, 2, padding=(1, 1, 1), divisor_override=1, dim=3),

    # ---- common_methods_invocations.py: sample_inputs_avgpool1d (kernel_size positional, rest kwargs)
    P(CMI, "sample_inputs_avgpool1d", (2, 3, 9), (3,), None, dim=1),
    P(CMI, "sample_inputs_avgpool1d", (1, 3, 9), 3, 1, padding=1, ceil_mode=True,
      count_include_pad=False, dim=1),
    P(CMI, "sample_inputs_avgpool1d", (1, 3, 9), (6,), (3,), padding=(2,), ceil_mode=True,
      count_include_pad=True, dim=1),
    P(CMI, "sample_inputs_avgpool1d", (2, 3, 9), (3,), (1,), padding=(1,), ceil_mode=False,
      count_include_pad=True, dim=1),
    P(CMI, "sample_inputs_avgpool1d", (0, 3, 9), (6,), (3,), padding=(2,), ceil_mode=False,
      count_include_pad=True, dim=1),                                  # empty batch
    P(CMI, "sample_inputs_avgpool1d", (1, 2, 9), (7,), (3,), padding=(2,), ceil_mode=False, dim=1),
    P(CMI, "sample_inputs_avgpool1d", (1, 2, 9), (7,), (3,), padding=(3,), ceil_mode=True, dim=1),
    P(CMI, "sample_inputs_avgpool1d", (1, 2, 9), (7,), (3,), ceil_mode=False, dim=1),
    P(CMI, "sample_inputs_avgpool1d", (1, 2, 9), (7,), (3,), ceil_mode=True, dim=1),

    # ---- common_methods_invocations.py: sample_inputs_avgpool3d
    P(CMI, "sample_inputs_avgpool3d", (2, 3, 3, 4, 4), (2, 2, 2), None, dim=3),
    P(CMI, "sample_inputs_avgpool3d", (1, 2, 4, 4, 4), 2, 1, padding=1, ceil_mode=True,
      count_include_pad=False, divisor_override=2, dim=3),
    P(CMI, "sample_inputs_avgpool3d", (1, 2, 5, 5, 5), (2, 3, 4), (1, 2, 2), padding=(0, 1, 2),
      ceil_mode=True, count_include_pad=True, divisor_override=2, dim=3),
    P(CMI, "sample_inputs_avgpool3d", (1, 2, 5, 5, 5), (2, 3, 4), (1, 2, 2), padding=(0, 1, 2),
      ceil_mode=False, dim=3),
    P(CMI, "sample_inputs_avgpool3d", (1, 1, 7, 5, 7), (6, 3, 4), (2, 3, 2), padding=(3, 1, 0),
      ceil_mode=False, count_include_pad=False, divisor_override=2, dim=3),
    P(CMI, "sample_inputs_avgpool3d", (1, 1, 4, 5, 4), (2, 2, 3), (2, 2, 1), padding=0,
      ceil_mode=False, count_include_pad=True, divisor_override=-2, dim=3),   # negative divisor
    P(CMI, "sample_inputs_avgpool3d", (1, 1, 6, 5, 6), (4, 5, 6), (2, 3, 2), padding=2,
      ceil_mode=True, count_include_pad=True, divisor_override=None, dim=3),
    P(CMI, "sample_inputs_avgpool3d", (0, 1, 4, 5, 4), (2, 3, 1), (2, 1, 2), padding=0,
      ceil_mode=False, count_include_pad=True, divisor_override=None, dim=3),  # empty batch
)


def _key(c: PoolConfig) -> tuple:
    return (c.dim, c.input_shape, c.kernel_size, c.stride, c.padding, c.ceil_mode,
            c.count_include_pad, c.divisor_override)


def _dedupe(items) -> tuple:
    seen, out = set(), []
    for c in items:
        k = _key(c)
        if k not in seen:
            seen.add(k)
            out.append(c)
    return tuple(out)


CONFIGS: tuple[PoolConfig, ...] = _dedupe(
    _EXPLICIT + tuple(c for fam in FAMILIES.values() for c in fam)
)

# --------------------------------------------------------------------------------------------
# LARGE: accepted by PyTorch but 2e9+ elements (largeTensorTest / CUDA-only); not for float64.
# --------------------------------------------------------------------------------------------
LARGE: tuple[PoolConfig, ...] = (
    # test_pooling.py::test_pooling_large (half, CUDA, @largeTensorTest("6GB")):
    # helper(nn.AvgPool2d(4, 4)) on torch.randn(2**7 + 10, 2**8, 2**8, 2**8) (4-d, batched)
    P(TP, "test_pooling_large", (138, 256, 256, 256), 4, 4, dim=2),
    # test_nn.py::test_avg_pool_large_tensor (gh-113833, half, CUDA): nn.AvgPool2d(2)
    P(TN, "test_avg_pool_large_tensor", (128, 256, 256, 256), 2, None, dim=2),
    # test_nn.py::test_avg_pool_large_tensor2 (gh-129785, float, CUDA):
    # nn.AvgPool2d([2, 2], [2, 2], [0, 0], False, True, None); output asserted [2048, 64, 104, 79]
    P(TN, "test_avg_pool_large_tensor2", (2048, 64, 209, 159), [2, 2], [2, 2], padding=[0, 0],
      ceil_mode=False, count_include_pad=True, divisor_override=None, dim=2),
)

# --------------------------------------------------------------------------------------------
# REJECTED: PyTorch raises.  Error text as printed by torch 2.13.0+cpu (RuntimeError unless said).
# --------------------------------------------------------------------------------------------
REJECTED: tuple[PoolConfig, ...] = (
    # test_pooling.py::test_pooling_zero_stride: x = torch.ones([1, 2] + num_dim * [4]);
    # fn(x, kernel_size=2, stride=0) and nn.AvgPool{n}d(kernel_size=2, stride=0)(x)
    # test regex "stride should not be zero|stride must be greater than zero"
    P(TP, "test_pooling_zero_stride", (1, 2, 4), 2, 0, dim=1),            # "stride should not be zero"
    P(TP, "test_pooling_zero_stride", (1, 2, 4, 4), 2, 0, dim=2),         # "stride should not be zero"
    P(TP, "test_pooling_zero_stride", (1, 2, 4, 4, 4), 2, 0, dim=3),      # "stride should not be zero"

    # test_pooling.py::test_pool_invalid_size: avg has no dilation, so the test falls back to
    # fn(x, 6, stride=2, padding=0) on torch.ones([1, 1] + num_dim * [4]); regex "too small|smaller than"
    P(TP, "test_pool_invalid_size", (1, 1, 4), 6, 2, padding=0, dim=1),
    # "Given input size: (1x1x4). Calculated output size: (1x1x0). Output size is too small"
    # (avg_pool1d goes through avg_pool2d, hence the 2x1x4 wording)
    P(TP, "test_pool_invalid_size", (1, 1, 4, 4), 6, 2, padding=0, dim=2),
    # "Given input size: (1x4x4). Calculated output size: (1x0x0). Output size is too small"
    P(TP, "test_pool_invalid_size", (1, 1, 4, 4, 4), 6, 2, padding=0, dim=3),
    # "input image (T: 4 H: 4 W: 4) smaller than kernel size (kT: 6 kH: 6 kW: 6)"

    # test_pooling.py::test_AvgPool2d_empty: "test with empty non-batch input", regex "3D or 4D"
    P(TP, "test_AvgPool2d_empty", (16, 0, 20, 32), 3, 2, dim=2),
    # "Expected 3D or 4D (batch mode) tensor with optional 0 dim batch size for input, but got:[16, 0, 20, 32]"

    # common_methods_invocations.py::error_inputs_avg_pool1d, x = torch.rand([0, 1, 49])
    P(CMI, "error_inputs_avg_pool1d", (0, 1, 49), 2, 50, padding=-1, dim=1),
    # "pad must be non-negative, but got pad: -1"
    P(CMI, "error_inputs_avg_pool1d", (0, 1, 49), 2, 50, padding=4, dim=1),
    # "pad should be at most half of effective kernel size, but got pad=4, kernel_size=2 and dilation=1"

    # common_methods_invocations.py::error_inputs_avg_pool2d, x = torch.rand([0, 1, 49]) (3-d input)
    P(CMI, "error_inputs_avg_pool2d", (0, 1, 49), 2, 50, padding=-1, dim=2),
    # "pad must be non-negative, but got pad: -1"
    P(CMI, "error_inputs_avg_pool2d", (0, 1, 49), (3, 2), 50, padding=-1, dim=2),
    # "pad must be non-negative, but got pad: -1"
    P(CMI, "error_inputs_avg_pool2d", (0, 1, 49), 2, 50, padding=4, dim=2),
    # "pad should be at most half of effective kernel size, but got pad=4, kernel_size=2 and dilation=1"
    P(CMI, "error_inputs_avg_pool2d", (0, 1, 49), (3, 2), 50, padding=4, dim=2),
    # "pad should be at most half of effective kernel size, but got pad=4, kernel_size=3 and dilation=1"
    P(CMI, "error_inputs_avg_pool2d", (3, 3, 3), (2, 2), None, divisor_override=0, dim=2),
    # "divisor must be not zero"

    # common_methods_invocations.py::error_inputs_avg_pool3d, x = torch.rand([0, 1, 49, 50])
    P(CMI, "error_inputs_avg_pool3d", (0, 1, 49, 50), 2, 50, padding=-1, dim=3),
    # "pad must be non-negative, but got pad: -1"
    P(CMI, "error_inputs_avg_pool3d", (0, 1, 49, 50), (3, 2, 2), 50, padding=-1, dim=3),
    # "pad must be non-negative, but got pad: -1"
    P(CMI, "error_inputs_avg_pool3d", (0, 1, 49, 50), 2, 50, padding=4, dim=3),
    # "pad should be at most half of effective kernel size, but got pad=4, kernel_size=2 and dilation=1"
    P(CMI, "error_inputs_avg_pool3d", (0, 1, 49, 50), (3, 2, 2), 50, padding=4, dim=3),
    # "pad should be at most half of effective kernel size, but got pad=4, kernel_size=3 and dilation=1"
    P(CMI, "error_inputs_avg_pool3d", (3, 3, 3, 3), (2, 2, 2), None, divisor_override=0, dim=3),
    # "divisor must be not zero"
    P(CMI, "error_inputs_avg_pool3d", (0, 1, 49), 2, 50, padding=0, dim=3),
    # "non-empty 4D or 5D (batch mode) tensor expected for input"
)

# Regexes the PyTorch tests themselves assert for the REJECTED entries (same order), so a
# checker can match messages without parsing comments.
REJECTED_REGEX: tuple[str, ...] = (
    r"stride should not be zero|stride must be greater than zero",
) * 3 + (
    r"too small|smaller than",
) * 3 + (
    r"3D or 4D",
    r"pad must be non-negative",
    r"pad should be at most half of effective kernel size",
    r"pad must be non-negative",
    r"pad must be non-negative",
    r"pad should be at most half of effective kernel size",
    r"pad should be at most half of effective kernel size",
    r"divisor must be not zero",
    r"pad must be non-negative",
    r"pad must be non-negative",
    r"pad should be at most half of effective kernel size",
    r"pad should be at most half of effective kernel size",
    r"divisor must be not zero",
    r"non-empty 4D or 5D",
)

assert len(REJECTED_REGEX) == len(REJECTED)
assert all(c.dim in (1, 2, 3) for c in CONFIGS + LARGE + REJECTED)
