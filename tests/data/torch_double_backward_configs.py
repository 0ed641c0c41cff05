"""Double-backward configurations from PyTorch's ``test/nn/test_convolution.py`` (data; read by
tests/test_second_order.py). ``run_conv_double_back_test`` builds ``nn.Conv2d(chan_in, chan_out, kern,
stride, padding, dilation, groups)`` on a ``batch × chan_in × inp_size × inp_size`` input and runs
gradgradcheck; each entry is (source, batch, chan_in, chan_out, kern, inp_size, stride, padding, dilation,
groups). ``test_conv3d_same_padding_backward`` (pytorch#70702) runs gradgradcheck on conv3d with
padding='same': there as (source, input shape, kernel shape, padding, dilation).
"""

from __future__ import annotations

from itertools import product

TC = "test_convolution.py"

CONV2D = (
    # test_conv_double_backward: [(3, 5, [1, 2]), (4, 9, [1])] × stride 1, padding 2, chan_in 2, chan_out 3
    [(f"{TC}::test_conv_double_backward", 1, 2, 3, k, n, 1, 2, d, 1)
     for k, n, ds in [(3, 5, [1, 2]), (4, 9, [1])] for d in ds]
    # test_conv_double_backward_groups
    + [(f"{TC}::test_conv_double_backward_groups", 2, 4, 8, 3, 6, 1, 2, 1, 2)]
    # test_conv_double_backward_stride: [(3, 5, [1, 2]), (3, 7, [1])] × stride 2, padding 0/1, 1 → 2 channels
    + [(f"{TC}::test_conv_double_backward_stride", 2, 1, 2, k, n, 2, p, d, 1)
       for k, n, ds in [(3, 5, [1, 2]), (3, 7, [1])] for p, d in product([0, 1], ds)]
)

SAME_3D = [
    (f"{TC}::test_conv3d_same_padding_backward", (1, 1, 1, 11, 12), (1, 1, 1, 2, 5), "same", 2),
    (f"{TC}::test_conv3d_same_padding_backward", (1, 1, 1, 11, 12), (1, 1, 1, 4, 4), "same", 1),
]
