"""Convolution configurations taken from PyTorch's own tests (data; read by tests/test_outside_configs.py).

Every entry names the PyTorch test it comes from. The shapes are PyTorch's: ``input_shape`` is
(N, C_in, *spatial) and ``weight_shape`` is (C_out, C_in / groups, *kernel); ``bias`` is whether the test
passes a bias (``nn.ConvNd`` has one unless ``bias=False``). ``padding`` is what the test passes to PyTorch,
including the strings "valid" and "same". The table was written by hand from reading, in pytorch/pytorch:

- ``test/nn/test_convolution.py`` (``TestConvolutionNN``, ``TestConvolutionNNDeviceType``),
- ``torch/testing/_internal/common_nn.py`` (the ``Conv1d``/``Conv2d``/``Conv3d`` dicts of ``module_tests``
  and ``new_module_tests``: ``desc`` or ``fullname`` is quoted),
- ``torch/testing/_internal/common_methods_invocations.py`` (``sample_inputs_conv1d``,
  ``sample_inputs_conv2d``, ``sample_inputs_conv3d``) and ``opinfo/definitions``
  (``sample_inputs_convolution``).

``CONFIGS`` holds single configurations; ``FAMILIES`` holds the product loops some PyTorch tests run (kept as
loops, the way the test states them). ``REJECTED`` holds configurations PyTorch refuses (a kernel larger than
the padded input, 'same' with a stride): symconv must refuse them too.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import product
from typing import Union

Axes = Union[int, tuple[int, ...]]

TC = "test_convolution.py"
NN = "common_nn.py"
OPS = "common_methods_invocations.py"


@dataclass(frozen=True)
class Config:
    source: str                    # "<file>::<test>" in PyTorch
    input_shape: tuple[int, ...]
    weight_shape: tuple[int, ...]
    bias: bool
    stride: Axes = 1
    padding: Union[Axes, str] = 0
    dilation: Axes = 1
    groups: int = 1
    family: str = ""               # set for members of a product loop

    @property
    def ndim(self) -> int:
        return len(self.input_shape) - 2

    @property
    def name(self) -> str:
        def axes(v: object) -> str:
            return "x".join(map(str, v)) if isinstance(v, tuple) else str(v)
        return (f"{self.source}[x{axes(self.input_shape)}_w{axes(self.weight_shape)}_s{axes(self.stride)}"
                f"_p{axes(self.padding)}_d{axes(self.dilation)}_g{self.groups}{'_b' if self.bias else ''}]")


C = Config

CONFIGS: list[Config] = [
    # ---- common_nn.py: Conv1d entries -------------------------------------------------------------
    C(f"{NN}::Conv1d", (2, 4, 10), (5, 4, 3), True),
    C(f"{NN}::Conv1d_stride", (2, 4, 10), (5, 4, 3), True, stride=2),
    C(f"{NN}::Conv1d_pad1", (2, 4, 10), (5, 4, 3), True, padding=1),
    C(f"{NN}::Conv1d_pad2", (2, 4, 10), (5, 4, 5), True, padding=2),
    C(f"{NN}::Conv1d_pad1size1", (1, 4, 1), (4, 4, 3), True, padding=1),
    C(f"{NN}::Conv1d_pad2size1", (1, 4, 1), (4, 4, 5), True, padding=2),
    C(f"{NN}::Conv1d_zero_batch", (0, 4, 10), (5, 4, 3), True),
    C(f"{NN}::Conv1d_dilated", (2, 4, 10), (5, 4, 3), True, dilation=2),
    C(f"{NN}::Conv1d_groups", (2, 4, 6), (6, 2, 3), True, groups=2),
    C(f"{NN}::Conv1d_pad_valid", (2, 4, 10), (5, 4, 3), True, padding="valid"),
    C(f"{NN}::Conv1d_pad_same", (2, 4, 10), (5, 4, 3), True, padding="same"),
    C(f"{NN}::Conv1d_pad_same2", (2, 4, 10), (5, 4, 4), True, padding="same"),
    C(f"{NN}::Conv1d_pad_same_dilated", (2, 4, 10), (5, 4, 4), True, padding="same", dilation=2),
    # ---- common_nn.py: Conv2d entries -------------------------------------------------------------
    C(f"{NN}::Conv2d", (2, 3, 7, 5), (4, 3, 3, 2), True),
    C(f"{NN}::Conv2d_strided", (2, 3, 6, 6), (4, 3, 3, 3), True, stride=(2, 2)),
    C(f"{NN}::Conv2d_padding", (2, 3, 6, 6), (4, 3, 3, 3), True, stride=(2, 2), padding=(1, 1)),
    C(f"{NN}::Conv2d_dilated", (2, 3, 8, 8), (2, 3, 3, 3), True, stride=(2, 2), padding=(1, 1),
      dilation=(2, 2)),
    C(f"{NN}::Conv2d_no_bias", (2, 3, 6, 5), (4, 3, 3, 2), False),
    C(f"{NN}::Conv2d_zero_batch", (0, 3, 7, 5), (4, 3, 3, 2), True),
    C(f"{NN}::Conv2d_groups", (2, 4, 6, 5), (6, 2, 3, 2), True, groups=2),
    C(f"{NN}::Conv2d_pad_valid", (2, 2, 6, 5), (4, 2, 3, 4), True, padding="valid"),
    C(f"{NN}::Conv2d_pad_same", (2, 2, 6, 5), (4, 2, 3, 4), True, padding="same"),
    C(f"{NN}::Conv2d_pad_same_dilated", (2, 2, 6, 5), (4, 2, 3, 4), True, padding="same", dilation=2),
    C(f"{NN}::Conv2d_depthwise", (2, 4, 6, 6), (4, 1, 3, 3), True, groups=4),
    C(f"{NN}::Conv2d_depthwise_with_multiplier", (2, 4, 6, 6), (8, 1, 3, 3), True, groups=4),
    C(f"{NN}::Conv2d_depthwise_strided", (2, 4, 6, 6), (4, 1, 3, 3), True, stride=(2, 2), groups=4),
    C(f"{NN}::Conv2d_depthwise_padded", (2, 4, 6, 6), (4, 1, 3, 3), True, padding=(1, 1), groups=4),
    C(f"{NN}::Conv2d_depthwise_dilated", (2, 4, 5, 5), (4, 1, 2, 2), True, dilation=(2, 2), groups=4),
    # ---- common_nn.py: Conv3d entries -------------------------------------------------------------
    C(f"{NN}::Conv3d", (1, 2, 4, 5, 4), (3, 2, 2, 3, 2), True),
    C(f"{NN}::Conv3d_no_bias", (1, 2, 3, 4, 5), (3, 2, 2, 3, 4), False),
    C(f"{NN}::Conv3d_1x1x1_no_bias", (1, 2, 3, 4, 5), (3, 2, 1, 1, 1), False),
    C(f"{NN}::Conv3d_stride", (2, 3, 5, 5, 5), (4, 3, 2, 2, 2), True, stride=2),
    C(f"{NN}::Conv3d_stride_padding", (2, 3, 5, 5, 5), (4, 3, 2, 2, 2), True, stride=2, padding=1),
    C(f"{NN}::Conv3d_zero_batch", (0, 3, 3, 4, 5), (4, 3, 2, 3, 4), True),
    C(f"{NN}::Conv3d_groups", (1, 2, 4, 5, 4), (4, 1, 3, 3, 3), True, groups=2),
    C(f"{NN}::Conv3d_dilated", (2, 3, 5, 5, 5), (4, 3, 2, 2, 2), True, dilation=2),
    C(f"{NN}::Conv3d_dilated_strided", (2, 3, 5, 5, 5), (4, 3, 2, 2, 2), True, stride=2, dilation=2),
    C(f"{NN}::Conv3d_pad_valid", (2, 3, 6, 5, 4), (4, 3, 2, 3, 4), True, padding="valid"),
    C(f"{NN}::Conv3d_pad_same", (2, 3, 6, 5, 4), (4, 3, 2, 3, 4), True, padding="same"),
    C(f"{NN}::Conv3d_pad_same_dilated", (2, 3, 6, 5, 4), (4, 3, 2, 3, 4), True, padding="same", dilation=2),
    # ---- common_methods_invocations.py: sample_inputs_conv1d ---------------------------------------
    C(f"{OPS}::sample_inputs_conv1d", (1, 3, 4), (3, 3, 3), True, stride=(2,), padding=2),
    C(f"{OPS}::sample_inputs_conv1d", (2, 4, 8), (2, 2, 3), True, stride=3, padding=1, dilation=2, groups=2),
    C(f"{OPS}::sample_inputs_conv1d", (1, 4, 5), (1, 4, 3), False, stride=(2,), padding="valid"),
    C(f"{OPS}::sample_inputs_conv1d", (2, 2, 4), (2, 1, 4), True, padding="same", dilation=(2,), groups=2),
    C(f"{OPS}::sample_inputs_conv1d", (1, 4, 5), (3, 4, 3), False),
    # ---- common_methods_invocations.py: sample_inputs_conv2d ---------------------------------------
    C(f"{OPS}::sample_inputs_conv2d", (1, 3, 4, 4), (3, 3, 3, 3), True, stride=(2, 2), padding=2),
    C(f"{OPS}::sample_inputs_conv2d", (2, 4, 8, 8), (2, 2, 3, 3), True, stride=(3, 2), padding=(2, 1),
      dilation=(4, 4), groups=2),
    C(f"{OPS}::sample_inputs_conv2d", (1, 4, 5, 5), (1, 4, 2, 3), True, stride=2, padding=1, dilation=(2, 3)),
    C(f"{OPS}::sample_inputs_conv2d", (1, 2, 4, 3), (4, 2, 3, 4), False, stride=2, padding=1),
    C(f"{OPS}::sample_inputs_conv2d", (1, 4, 5, 5), (1, 4, 2, 3), True, stride=2, padding="valid"),
    C(f"{OPS}::sample_inputs_conv2d", (1, 4, 5, 5), (1, 4, 2, 3), True, padding="same", dilation=3),
    C(f"{OPS}::sample_inputs_conv2d", (2, 4, 6, 6), (8, 1, 3, 3), False, groups=4),
    C(f"{OPS}::sample_inputs_conv2d", (2, 4, 6, 6), (4, 1, 3, 3), True, stride=(3, 2), groups=4),
    C(f"{OPS}::sample_inputs_conv2d", (1, 4, 5, 5), (3, 4, 3, 3), False),
    # ---- common_methods_invocations.py: sample_inputs_conv3d ---------------------------------------
    C(f"{OPS}::sample_inputs_conv3d", (1, 1, 4, 4, 4), (1, 1, 1, 1, 1), True, padding="same"),
    C(f"{OPS}::sample_inputs_conv3d", (1, 1, 4, 4, 4), (1, 1, 4, 4, 4), True, stride=(2, 2, 2)),
    C(f"{OPS}::sample_inputs_conv3d", (1, 1, 5, 5, 5), (1, 1, 3, 3, 3), True, dilation=2),
    C(f"{OPS}::sample_inputs_conv3d", (1, 1, 1, 1, 10), (1, 1, 1, 1, 4), False, padding="valid"),
    C(f"{OPS}::sample_inputs_conv3d", (1, 1, 10, 11, 12), (1, 1, 1, 2, 5), False, padding="same"),
    C(f"{OPS}::sample_inputs_conv3d", (1, 1, 10, 11, 12), (1, 1, 1, 2, 5), False, padding="same", dilation=2),
    C(f"{OPS}::sample_inputs_conv3d", (1, 1, 10, 11, 12), (1, 1, 4, 4, 4), False, padding="same", dilation=3),
    C(f"{OPS}::sample_inputs_conv3d", (3, 9, 3, 1, 9), (3, 3, 3, 1, 9), True, groups=3),
    C(f"{OPS}::sample_inputs_conv3d", (3, 9, 3, 1, 9), (3, 3, 3, 1, 9), True, stride=(2, 2, 2), groups=3),
    # ---- opinfo/definitions: sample_inputs_convolution (the non-transposed cases) ------------------
    C("opinfo::sample_inputs_convolution", (1, 3, 224, 224), (32, 3, 3, 3), False, stride=(2, 2),
      padding=(1, 1)),
    # ---- test_convolution.py: 'same' / 'valid' against explicit padding ----------------------------
    C(f"{TC}::test_Conv1d_module_same_padding", (1, 1, 20), (1, 1, 10), True, padding="same"),
    C(f"{TC}::test_Conv1d_module_same_padding", (1, 1, 20), (1, 1, 10), True, padding="same", dilation=2),
    C(f"{TC}::test_Conv2d_module_same_padding", (1, 1, 9, 20), (1, 1, 5, 10), True, padding="same"),
    C(f"{TC}::test_Conv2d_module_same_padding", (1, 1, 9, 20), (1, 1, 3, 4), True, padding="same",
      dilation=(1, 2)),
    C(f"{TC}::test_Conv3d_module_same_padding", (1, 1, 4, 4, 4), (1, 1, 2, 3, 4), True, padding="same"),
    C(f"{TC}::test_Conv3d_module_same_padding", (1, 1, 4, 4, 4), (1, 1, 2, 3, 4), True, padding="same",
      dilation=(3, 2, 1)),
    C(f"{TC}::test_conv1d_same_padding", (1, 1, 12), (1, 1, 3), False, padding="same"),
    C(f"{TC}::test_conv1d_same_padding", (1, 1, 12), (1, 1, 4), False, padding="same", dilation=2),
    C(f"{TC}::test_conv1d_same_padding", (1, 1, 12), (1, 1, 4), False, padding="same", dilation=3),
    C(f"{TC}::test_conv2d_same_padding", (1, 1, 10, 11), (1, 1, 4, 5), False, padding="same"),
    C(f"{TC}::test_conv2d_same_padding", (1, 1, 10, 11), (1, 1, 3, 4), False, padding="same", dilation=2),
    C(f"{TC}::test_conv2d_same_padding", (1, 1, 10, 11), (1, 1, 4, 4), False, padding="same", dilation=3),
    C(f"{TC}::test_conv1d_same_padding_backward", (1, 1, 12), (1, 1, 4), False, padding="same"),
    C(f"{TC}::test_conv2d_same_padding_backward", (1, 1, 10, 11), (1, 1, 4, 5), False, padding="same",
      dilation=2),
    C(f"{TC}::test_conv2d_same_padding_backward", (1, 1, 10, 11), (1, 1, 4, 4), False, padding="same"),
    C(f"{TC}::test_conv3d_same_padding_backward", (1, 1, 1, 11, 12), (1, 1, 1, 2, 5), False, padding="same",
      dilation=2),
    C(f"{TC}::test_conv3d_same_padding_backward", (1, 1, 1, 11, 12), (1, 1, 1, 4, 4), False, padding="same"),
    C(f"{TC}::test_conv1d_valid_padding", (1, 1, 10), (1, 1, 4), False, padding="valid"),
    C(f"{TC}::test_conv2d_valid_padding", (1, 1, 1, 10), (1, 1, 1, 4), False, padding="valid"),
    C(f"{TC}::test_conv1d_vs_scipy", (1, 1, 10), (1, 1, 5), False, padding="same"),
    C(f"{TC}::test_conv2d_vs_scipy", (1, 1, 5, 10), (1, 1, 2, 4), False, padding="same"),
    C(f"{TC}::test_conv2d_vs_scipy", (1, 1, 5, 10), (1, 1, 3, 5), False, padding="valid"),
    C(f"{TC}::test_conv3d_vs_scipy", (1, 1, 5, 5, 10), (1, 1, 2, 2, 4), False, padding="same"),
    C(f"{TC}::test_conv3d_vs_scipy", (1, 1, 5, 5, 10), (1, 1, 2, 3, 5), False, padding="valid"),
    # ---- test_convolution.py: groups ---------------------------------------------------------------
    C(f"{TC}::test_Conv2d_groups_nobias", (2, 4, 6, 6), (4, 2, 3, 3), False, groups=2),
    C(f"{TC}::test_Conv2d_groups_nobias_v2", (2, 4, 6, 6), (16, 2, 3, 3), False, groups=2),
    C(f"{TC}::test_Conv3d_groups_nobias", (2, 4, 6, 6, 6), (16, 2, 3, 3, 3), False, groups=2),
    C(f"{TC}::test_Conv3d_groups_wbias", (2, 4, 6, 6, 6), (16, 2, 3, 3, 3), True, groups=2),
    C(f"{TC}::test_Conv2d_naive_groups", (2, 4, 6, 6), (4, 2, 3, 3), True, groups=2),
    C(f"{TC}::test_Conv2d_depthwise_naive_groups", (2, 2, 6, 6), (2, 1, 3, 3), True, groups=2),
    C(f"{TC}::test_Conv2d_depthwise_naive_groups", (2, 2, 6, 6), (4, 1, 3, 3), True, groups=2),
    C(f"{TC}::test_Conv3d_depthwise_naive_groups", (2, 2, 6, 6, 6), (2, 1, 3, 3, 3), True, groups=2),
    C(f"{TC}::test_Conv3d_depthwise_naive_groups", (2, 2, 6, 6, 6), (4, 1, 3, 3, 3), True, groups=2),
    C(f"{TC}::test_Conv2d_backward_depthwise", (2, 2, 4, 20), (2, 1, 3, 5), False, stride=(1, 10), groups=2),
    C(f"{TC}::test_grouped_conv_cudnn_nhwc_support", (16, 16, 8, 8), (8, 4, 3, 3), False, padding=(1, 1),
      groups=4),
    C(f"{TC}::test_group_conv_empty", (0, 4, 4, 4), (4, 1, 3, 3), True, stride=2, padding=1, groups=4),
    C(f"{TC}::test_conv3d_issue_120406", (2, 3, 8, 9, 26), (3, 1, 1, 1, 17), False, groups=3),
    # input (1, 1, 16).transpose(1, 2): 16 channels of length 1, a 32-wide kernel, padding 16
    C(f"{TC}::test_conv1d_issue_120547", (1, 16, 1), (16, 1, 32), True, padding=16, groups=16),
    # ---- test_convolution.py: single outputs, 1x1 kernels, odd corners -----------------------------
    C(f"{TC}::test_Conv2d_1x1", (1, 2, 5, 5), (2, 2, 1, 1), False),
    C(f"{TC}::test_Conv2d_size_1_kernel", (2, 3, 5, 5), (3, 3, 1, 1), True),
    C(f"{TC}::test_contig_wrong_stride_cudnn", (1, 16, 5, 5), (1, 16, 1, 1), False),
    C(f"{TC}::test_cudnn_noncontiguous_weight", (1, 1, 3), (1, 1, 2), False, stride=2, dilation=2),
    C(f"{TC}::test_conv_cudnn_nhwc_support", (1, 16, 1, 1), (8, 16, 3, 3), False, stride=(2, 1),
      padding=(1, 1)),
    C(f"{TC}::test_conv_double_backward_strided_with_3D_input_and_weight", (2, 3, 6), (3, 3, 3), True,
      stride=(2,), padding=(1,)),
    C(f"{TC}::test_functional_grad_conv", (1, 1, 5), (1, 1, 3), False, dilation=2),
    C(f"{TC}::test_functional_grad_conv", (1, 1, 5, 5), (1, 1, 3, 3), False, dilation=2),
    C(f"{TC}::test_functional_grad_conv", (1, 1, 5, 5, 5), (1, 1, 3, 3, 3), False, dilation=2),
    C(f"{TC}::test_conv_double_backward_no_bias", (2, 2, 5, 5), (4, 2, 3, 3), True, stride=2, padding=1),
    C(f"{TC}::test_conv_double_backward_groups", (2, 4, 6, 6), (8, 2, 3, 3), True, padding=2, groups=2),
    C(f"{TC}::test_cudnn_non_contiguous", (192, 16, 50), (32, 16, 2), True),
    C(f"{TC}::test_conv_ic1_channels_last_for_oneDNN", (2, 1, 100, 100), (64, 1, 3, 3), False,
      padding=(1, 1)),
    C(f"{TC}::test_conv_noncontig_weights_and_bias", (1, 3, 224, 224), (64, 3, 7, 7), True, stride=2,
      padding=3),
    C(f"{TC}::test_conv_noncontig_weights_and_bias", (1, 3, 224, 224), (64, 3, 7, 7), False, stride=2,
      padding=3),
    # x = rand(1, 2, 321, 201, 1).transpose(1, 4)[..., 0]: one channel of 321 x 201
    C(f"{TC}::test_conv_contiguous_for_oneDNN", (1, 1, 321, 201), (128, 1, 5, 2), True, stride=(2, 1),
      padding=(0, 1)),
    # image (1, 1024, 1024, 3).permute(0, 3, 1, 2), kernel (3, 1, 1, 2r + 1), groups = 3 (radius 0 and 4)
    C(f"{TC}::test_permute_conv2d_issue_120211", (1, 3, 1024, 1024), (3, 1, 1, 1), False, groups=3),
    C(f"{TC}::test_permute_conv2d_issue_120211", (1, 3, 1024, 1024), (3, 1, 1, 9), False, groups=3),
]


def _thnn_conv_strided_padded_dilated() -> list[Config]:
    # test_thnn_conv_strided_padded_dilated: conv2d and conv3d, input (1, 2, 4...), weight (2, 2, 1...), bias
    src = f"{TC}::test_thnn_conv_strided_padded_dilated"
    return [C(src, (1, 2) + (4,) * nd, (2, 2) + (1,) * nd, True, stride=s, padding=p, dilation=d, family=src)
            for nd in (2, 3) for s, p, d in ((2, 0, 1), (1, 1, 1), (2, 1, 1), (1, 0, 2))]


def _grad_conv() -> list[Config]:
    # run_grad_conv_test (test_grad_conv{1,2,3}d_{input,weight}): chan 2 -> 3, dilation 1
    src = f"{TC}::run_grad_conv_test"
    return [C(src, (batch, 2) + (size,) * nd, (3, 2) + (kern,) * nd, bias, stride=stride, padding=padding,
              family=src)
            for nd in (1, 2, 3) for kern, size in ((3, 6), (3, 7), (4, 9))
            for batch, stride, padding, bias in product((1, 2), (1, 2), (0, 1, 2), (True, False))]


def _functional_grad_conv2d() -> list[Config]:
    # test_functional_grad_conv2d: batch 4, 8 -> 16 channels, 32 x 32, padding kernel // 2, no bias
    src = f"{TC}::test_functional_grad_conv2d"
    return [C(src, (4, 8, 32, 32), (16, 8 // g, k, k), False, stride=s, padding=k // 2, dilation=d, groups=g,
              family=src)
            for s, k, g, d in product((1, 2), (1, 3, 5), (1, 2, 4), (1, 2))]


def _conv1d_same_padding_sizes() -> list[Config]:
    # test_conv1d_same_padding: in_size 50..54, kernel 1, 2, 3, 8, dilation 1..3, stride 1
    src = f"{TC}::test_conv1d_same_padding"
    return [C(src, (1, 1, n), (1, 1, k), False, padding="same", dilation=d, family=src)
            for n, k, d in product(range(50, 55), (1, 2, 3, 8), range(1, 4))]


def _conv_double_backward() -> list[Config]:
    # run_conv_double_back_test callers: test_conv_double_backward (batch 1, stride 1, pad 2, 2 -> 3) and
    # test_conv_double_backward_stride (batch 2, stride 2, pad 0/1, 1 -> 2); square 2-D inputs, bias
    out = [C(f"{TC}::test_conv_double_backward", (1, 2, n, n), (3, 2, k, k), True, padding=2, dilation=d,
             family=f"{TC}::test_conv_double_backward")
           for k, n, dils in ((3, 5, (1, 2)), (4, 9, (1,))) for d in dils]
    src = f"{TC}::test_conv_double_backward_stride"
    out += [C(src, (2, 1, n, n), (2, 1, k, k), True, stride=2, padding=p, dilation=d, family=src)
            for k, n, dils in ((3, 5, (1, 2)), (3, 7, (1,))) for d in dils for p in (0, 1)]
    return out


def _conv_backend() -> list[Config]:
    # test_conv_backend: C_in 6 -> C_out 12, kernel 3, padding 0; groups 3 (slow/mkldnn) or 6 (depthwise);
    # stride 2 when strided, dilation 2 when dilated; with and without bias; and the empty batch
    src = f"{TC}::test_conv_backend"
    shapes = {1: (2, 6, 7), 2: (2, 6, 7, 8), 3: (2, 6, 7, 8, 9)}
    out = [C(src, shapes[nd], (12, 6 // g) + (3,) * nd, bias, stride=2 if strided else 1,
             dilation=2 if dilated else 1, groups=g, family=src)
           for nd in (1, 2, 3) for g in (3, 6) for dilated, strided, bias in product((False, True), repeat=3)]
    out += [C(src, (0,) + shapes[nd][1:], (12, 2) + (3,) * nd, bias, groups=3, family=src)
            for nd in (1, 2, 3) for bias in (False, True)]
    return out


def _channels_last_helpers() -> list[Config]:
    # test_conv_thnn_nhwc (Conv2d), test_conv_cudnn_nhwc, test_conv_cudnn_ndhwc: (n, c, *size, out, k, d, g)
    thnn = [(2, 8, (4, 4), 4, 3, 1, 1), (2, 8, (4, 4), 8, 3, 1, 8), (2, 1, (10, 10), 8, 3, 1, 1),
            (1, 16, (56, 56), 16, 1, 1, 1), (1, 16, (56, 56), 16, 1, 1, 16), (2, 8, (11, 13), 16, 3, 2, 1),
            (2, 16, (11, 13), 32, 3, 2, 16)]
    cudnn = [(2, 8, (4, 4), 4, 3, 1, 1), (2, 8, (4, 4), 8, 3, 1, 8), (1, 16, (56, 56), 16, 3, 1, 1),
             (1, 16, (56, 56), 16, 3, 1, 16)]
    ndhwc = [(2, 8, (4, 4, 4), 4, 3, 1, 1), (2, 8, (4, 4, 4), 8, 3, 1, 8), (1, 16, (18, 18, 18), 16, 3, 1, 1),
             (1, 16, (18, 18, 18), 16, 3, 1, 16)]
    out = []
    for test, rows in (("test_conv_thnn_nhwc", thnn), ("test_conv_cudnn_nhwc", cudnn),
                       ("test_conv_cudnn_ndhwc", ndhwc)):
        src = f"{TC}::{test}"
        out += [C(src, (n, c) + size, (o, c // g) + (k,) * len(size), True, dilation=d, groups=g, family=src)
                for n, c, size, o, k, d, g in rows]
    return out


def _one_dnn_depthwise() -> list[Config]:
    # test_Conv2d_OneDNN: depthwise, (1, G, 6, 6), kernel 3, stride 2, padding 1, G in 24, 48, 23, 25, no bias
    src = f"{TC}::test_Conv2d_OneDNN"
    return [C(src, (1, g, 6, 6), (g, 1, 3, 3), False, stride=2, padding=1, dilation=d, groups=g, family=src)
            for g in (24, 48, 23, 25) for d in (1, 2)]


def _small_modules() -> list[Config]:
    # test_conv_shapecheck (the accepted cases, input batch 3), test_conv_noncontig_weights (nc = 3, kernel 3,
    # input 5 per axis, groups 1 or 3), test_conv_cudnn_mismatch_memory_format (Conv2d(c, k, filter)),
    # test_conv2d_no_grad (Conv2d(g, 8, 3, groups=g) on (b, g, 8, 8))
    shape = f"{TC}::test_conv_shapecheck"
    out = [C(shape, (3, 1, 2), (1, 1, 2), True, family=shape),
           C(shape, (3, 1, 2), (1, 1, 2), True, stride=2, family=shape),
           C(shape, (3, 1, 2), (1, 1, 3), True, stride=2, padding=1, family=shape),
           C(shape, (3, 1, 3, 3), (1, 1, 3, 3), True, family=shape),
           C(shape, (3, 1, 2, 2), (1, 1, 3, 3), True, padding=1, family=shape),
           C(shape, (3, 1, 3, 3, 3), (1, 1, 3, 3, 3), True, family=shape),
           C(shape, (3, 1, 2, 2, 2), (1, 1, 3, 3, 3), True, padding=1, family=shape)]
    nc = f"{TC}::test_conv_noncontig_weights"
    out += [C(nc, (1, 3) + (5,) * nd, (3, 3 // g) + (3,) * nd, False, groups=g, family=nc)
            for nd in (1, 2, 3) for g in (1, 3)]
    mm = f"{TC}::test_conv_cudnn_mismatch_memory_format"
    out += [C(mm, (n, c, h, w), (k, c, f, f), True, family=mm)
            for n, c, h, w, k, f in ((4, 2, 8, 8, 4, 2), (4, 1, 8, 8, 4, 2), (1, 1, 8, 8, 4, 2),
                                     (4, 2, 2, 8, 4, 1), (4, 2, 1, 8, 4, 1), (4, 2, 8, 8, 4, 1),
                                     (4, 1, 8, 8, 4, 1))]
    ng = f"{TC}::test_conv2d_no_grad"
    out += [C(ng, (b, g, 8, 8), (8, 1, 3, 3), True, groups=g, family=ng)
            for b in (1, 2, 3) for g in (1, 2, 4)]
    # test_cudnn_convolution_relu: input (b, g, *image), weight (8, g, *kernel), groups 1, no bias
    cr = f"{TC}::test_cudnn_convolution_relu"
    out += [C(cr, (b, g) + img, (8, g) + k, False, family=cr)
            for b, g in product((1, 2, 3), (1, 2, 4))
            for img, k in (((1, 1), (1, 1)), ((8, 8), (1, 1)), ((8, 8), (3, 3)))]
    return out


def _downsample_upsample() -> list[Config]:
    # test_ConvTranspose2d_output_size_downsample_upsample: the forward Conv2d(3, 2, k, s, p, d) on
    # (2, 3, h, w), h in 13..23, w in 13..16 (here the ends and the middle of each range)
    src = f"{TC}::test_ConvTranspose2d_output_size_downsample_upsample"
    return [C(src, (2, 3, h, w), (2, 3, k, k), True, stride=s, padding=p, dilation=d, family=src)
            for h, w in ((13, 13), (18, 16), (23, 14)) for k in range(2, 5) for d in range(1, 5)
            for s in range(1, 4) for p in range(3)]


FAMILIES: list[Config] = (_thnn_conv_strided_padded_dilated() + _grad_conv() + _functional_grad_conv2d()
                          + _conv1d_same_padding_sizes() + _conv_double_backward() + _conv_backend()
                          + _channels_last_helpers() + _one_dnn_depthwise() + _small_modules()
                          + _downsample_upsample())

# PyTorch raises on these; so must symconv (a SpecError from ConvSpec or from output_size).
REJECTED: list[Config] = [
    C(f"{TC}::test_invalid_conv1d", (1, 3, 4), (33, 3, 10), True),
    C(f"{TC}::test_invalid_conv2d", (1, 1, 4, 4), (1, 1, 3, 3), True, stride=2, dilation=2),
    C(f"{TC}::test_invalid_conv2d", (1, 3, 1, 1), (33, 3, 10, 10), True),
    C(f"{TC}::test_invalid_conv3d", (1, 1, 4, 4, 4), (1, 1, 3, 3, 3), True, stride=2, dilation=2),
    C(f"{TC}::test_conv_shapecheck", (3, 1, 2), (1, 1, 3), True),
    C(f"{TC}::test_conv_shapecheck", (3, 1, 2), (1, 1, 3), True, stride=2),
    C(f"{TC}::test_conv_shapecheck", (3, 1, 2, 2), (1, 1, 3, 3), True),
    C(f"{TC}::test_conv_shapecheck", (3, 1, 2, 2, 2), (1, 1, 3, 3, 3), True),
    C(f"{TC}::test_Conv1d_module_same_padding", (1, 3, 20), (33, 3, 10), True, stride=2, padding="same"),
    C(f"{TC}::test_Conv2d_module_same_padding", (1, 3, 20, 20), (33, 3, 10, 10), True, stride=(1, 3),
      padding="same"),
    C(f"{TC}::test_Conv2d_module_same_padding", (1, 3, 20, 20), (33, 3, 10, 10), True, stride=(4, 1),
      padding="same"),
    C(f"{TC}::test_Conv3d_module_same_padding", (1, 3, 20, 20, 20), (33, 3, 10, 10, 10), True,
      stride=(1, 4, 1), padding="same"),
]
