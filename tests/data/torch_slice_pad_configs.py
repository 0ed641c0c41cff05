"""Slicing and constant-padding configurations (data; read by tests/test_slice_pad.py).

Padding, from PyTorch's ``torch/testing/_internal/common_nn.py`` (``module_tests``/``new_module_tests``):
``ZeroPad2d``, ``ConstantPad1d``/``2d``/``3d`` (the constant's value, 2.0 in those entries, does not enter
the gradient). F.pad lists its widths from the last axis back; here they are per spatial axis, first axis
first: ``ZeroPad2d((1, 2, 3, 4))`` is ((3, 4), (1, 2)). The ``negative_dims`` entry (a crop) is left out:
symconv's padding widths are non-negative.

Slicing: ``sample_inputs_getitem`` of ``common_methods_invocations.py`` slices ``slice(0, 3)`` from a
length-5 axis (there the first axis, here a spatial one); the strided and open-ended slices were chosen here,
to have every remainder of the length by the step.
"""

from __future__ import annotations

NN = "common_nn.py"
OPS = "common_methods_invocations.py"

# (source, input shape (N, C, *spatial), pads per spatial axis)
PADS = [
    (f"{NN}::ZeroPad2d", (2, 3, 4, 4), ((3, 4), (1, 2))),
    (f"{NN}::ConstantPad1d", (2, 3, 4), ((1, 2),)),
    (f"{NN}::ConstantPad2d", (2, 3, 4, 4), ((3, 4), (1, 2))),
    (f"{NN}::ConstantPad3d", (2, 3, 4, 4, 5), ((1, 0), (3, 4), (1, 2))),
]

# (source, input shape, start, stop (None: to the end), step), per spatial axis or once for every axis
SLICES = [
    (f"{OPS}::sample_inputs_getitem[slice(0, 3)]", (1, 1, 5), 0, 3, 1),
    ("chosen here", (2, 3, 8), 1, None, 2),
    ("chosen here", (2, 3, 7), 1, None, 2),
    ("chosen here", (1, 2, 6, 9), (0, 2), (5, None), (3, 2)),
    ("chosen here", (1, 1, 4, 5, 7), 1, None, (1, 2, 3)),
    ("chosen here", (1, 1, 10), 3, 10, 4),
]
