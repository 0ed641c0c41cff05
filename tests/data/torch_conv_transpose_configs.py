"""Transposed-convolution configurations taken from PyTorch's own tests (data; read by
tests/test_conv_transpose.py).

Every entry names the PyTorch test it comes from. The shapes are PyTorch's: ``input_shape`` is
(N, C_in, *spatial) and ``weight_shape`` is (C_in, C_out / groups, *kernel) (a transposed convolution's
kernel); ``bias`` is whether the test passes a bias (``nn.ConvTransposeNd`` has one unless ``bias=False``).
The table was written by hand from reading, in pytorch/pytorch:

- ``torch/testing/_internal/common_nn.py``: the ``ConvTranspose1d``/``2d``/``3d`` dicts of ``module_tests``
  and ``new_module_tests`` (``desc`` or ``fullname`` is quoted; ``constructor_args`` are
  (in, out, kernel, stride, padding, output_padding, groups, bias, dilation));
- ``torch/testing/_internal/common_methods_invocations.py``: ``sample_inputs_conv_transpose1d`` (its batched
  samples; the unbatched copies of the same samples are left out: symconv's arrays always have a batch axis);
- ``test/nn/test_convolution.py``: ``test_ConvTranspose2d_output_size`` (``nn.ConvTranspose2d(3, 4, 3, 3, 0,
  2)`` on a 2×3×6×6 input asked for every output size 18-20 per axis: output padding 0-2 per axis).

``ISSUES`` holds the configurations of PyTorch bug reports about transposed convolutions' gradients.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import product
from typing import Union

Axes = Union[int, tuple[int, ...]]

NN = "common_nn.py"
OPS = "common_methods_invocations.py"
TC = "test_convolution.py"


@dataclass(frozen=True)
class Config:
    source: str                    # "<file>::<test>" in PyTorch
    input_shape: tuple[int, ...]
    weight_shape: tuple[int, ...]
    bias: bool
    stride: Axes = 1
    padding: Axes = 0
    output_padding: Axes = 0
    dilation: Axes = 1
    groups: int = 1

    @property
    def ndim(self) -> int:
        return len(self.input_shape) - 2

    @property
    def in_channels(self) -> int:
        return self.weight_shape[0]

    @property
    def out_channels(self) -> int:
        return self.weight_shape[1] * self.groups

    @property
    def kernel_size(self) -> tuple[int, ...]:
        return self.weight_shape[2:]

    @property
    def name(self) -> str:
        def axes(v: object) -> str:
            return "x".join(map(str, v)) if isinstance(v, tuple) else str(v)
        return (f"{self.source}[x{axes(self.input_shape)}_w{axes(self.weight_shape)}_s{axes(self.stride)}"
                f"_p{axes(self.padding)}_op{axes(self.output_padding)}_d{axes(self.dilation)}_g{self.groups}"
                f"{'_b' if self.bias else ''}]")


C = Config

CONFIGS: list[Config] = [
    # ---- common_nn.py: ConvTranspose1d ----------------------------------------------------------
    # fullname='ConvTranspose1d': nn.ConvTranspose1d(3, 4, kernel_size=3, stride=(3,), padding=1,
    # output_padding=(1,)), input_size=(1, 3, 7)
    C(f"{NN}::ConvTranspose1d", (1, 3, 7), (3, 4, 3), True, stride=3, padding=1, output_padding=1),
    # module_name='ConvTranspose1d', constructor_args=(3, 4, 3, 2, 1, 1, 1, False), desc='no_bias'
    C(f"{NN}::ConvTranspose1d_no_bias", (1, 3, 6), (3, 4, 3), False, stride=2, padding=1, output_padding=1),
    # constructor_args=(3, 4, 3, 2, 1, 1, 1, True, 2), desc='dilated'
    C(f"{NN}::ConvTranspose1d_dilated", (1, 3, 6), (3, 4, 3), True, stride=2, padding=1, output_padding=1,
      dilation=2),
    # fullname='ConvTranspose1d_groups': nn.ConvTranspose1d(4, 6, 3, stride=(3,), padding=1,
    # output_padding=(1,), groups=2), input_size=(2, 4, 7)
    C(f"{NN}::ConvTranspose1d_groups", (2, 4, 7), (4, 3, 3), True, stride=3, padding=1, output_padding=1,
      groups=2),
    # ---- common_nn.py: ConvTranspose2d ----------------------------------------------------------
    # constructor_args=(3, 4, 3, (3, 2), 1, (1, 1)), input_size=(1, 3, 7, 6)
    C(f"{NN}::ConvTranspose2d", (1, 3, 7, 6), (3, 4, 3, 3), True, stride=(3, 2), padding=1,
      output_padding=(1, 1)),
    # constructor_args=(3, 4, 3, (2, 3), 1, (1, 1), 1, False, (2, 2)), desc='dilated'
    C(f"{NN}::ConvTranspose2d_dilated", (1, 3, 6, 7), (3, 4, 3, 3), False, stride=(2, 3), padding=1,
      output_padding=(1, 1), dilation=(2, 2)),
    # constructor_args=(3, 4, 3, (2, 3), 1, (1, 1), 1, False), desc='no_bias'
    C(f"{NN}::ConvTranspose2d_no_bias", (1, 3, 6, 7), (3, 4, 3, 3), False, stride=(2, 3), padding=1,
      output_padding=(1, 1)),
    # fullname='ConvTranspose2d_groups': nn.ConvTranspose2d(2, 4, (2, 3), groups=2), input_size=(1, 2, 4, 5)
    C(f"{NN}::ConvTranspose2d_groups", (1, 2, 4, 5), (2, 2, 2, 3), True, groups=2),
    # ---- common_nn.py: ConvTranspose3d ----------------------------------------------------------
    # constructor_args=(2, 3, (2, 3, 2)), input_size=(1, 2, 4, 5, 4)
    C(f"{NN}::ConvTranspose3d", (1, 2, 4, 5, 4), (2, 3, 2, 3, 2), True),
    # constructor_args=(2, 3, (2, 3, 2), 1, 0, 0, 1, True, (2, 2, 2)), desc='dilated'
    C(f"{NN}::ConvTranspose3d_dilated", (1, 2, 4, 5, 4), (2, 3, 2, 3, 2), True, dilation=(2, 2, 2)),
    # older module_tests: constructor_args=(2, 3, (2, 2, 2)), input_size=(1, 2, 4, 4, 4)
    C(f"{NN}::ConvTranspose3d (module_tests)", (1, 2, 4, 4, 4), (2, 3, 2, 2, 2), True),
    # ---- common_methods_invocations.py: sample_inputs_conv_transpose1d (batched) ----------------
    C(f"{OPS}::sample_inputs_conv_transpose1d[0]", (1, 3, 4), (3, 3, 3), True, stride=2, padding=2,
      output_padding=1),
    C(f"{OPS}::sample_inputs_conv_transpose1d[1]", (2, 2, 4), (2, 2, 4), True, stride=3, padding=1,
      output_padding=2, groups=2, dilation=4),
    C(f"{OPS}::sample_inputs_conv_transpose1d[2]", (1, 1, 4), (1, 1, 4), True, stride=2, padding=1,
      output_padding=1, dilation=2),
    C(f"{OPS}::sample_inputs_conv_transpose1d[3]", (1, 1, 4), (1, 2, 3), False, stride=2, padding=1,
      output_padding=1),
    C(f"{OPS}::sample_inputs_conv_transpose1d[4]", (1, 4, 5), (4, 8, 3), False),
]

# test_convolution.py::test_ConvTranspose2d_output_size: m = nn.ConvTranspose2d(3, 4, 3, 3, 0, 2) on
# torch.randn(2, 3, 6, 6) with output_size (h, w) for 18 <= h, w <= 20, i.e. output padding h - 18, w - 18.
CONFIGS += [C(f"{TC}::test_ConvTranspose2d_output_size", (2, 3, 6, 6), (3, 4, 3, 3), True, stride=3,
              output_padding=(r, q)) for r, q in product(range(3), repeat=2)]

# Bug reports, at the parameters their titles name (kernel size, stride, output padding, dilation) with
# channel counts and input sizes chosen here: pytorch#63314, a wrong ∂L/∂x for ConvTranspose2d with
# kernel_size=1, stride=2 on CPU; pytorch#5112, output_padding with dilation (a segfault).
ISSUES: list[Config] = [
    C("pytorch#63314", (1, 3, 4, 4), (3, 3, 1, 1), True, stride=2, output_padding=1),
    C("pytorch#5112", (1, 2, 5, 5), (2, 2, 3, 3), True, stride=1, padding=1, output_padding=1, dilation=2),
]
