"""Gradients frameworks once shipped wrong, stated as claims and refuted for every size.

Each entry is a closed form as a bug wrote it, for a configuration where the bug shows, with the source
that reported it. :func:`refute` proves or refutes it like any ``verify --claim``; every one is refuted,
with the smallest counterexample, and ``tests/test_history.py`` confirms each counterexample against PyTorch
autograd at its sizes.

>>> bug = BUGS["pytorch_gI_output_padding"]
>>> print(refute(bug).counterexample)
at C_in = 1, C_out = 1, H = 2, K = 3, P = 1: ∂L/∂x: the formula's result has shape (1, 1, 1) but x has (1, 1, 2)
"""

from __future__ import annotations

from dataclasses import dataclass

from ..derivation.spec import ConvSpec
from .claims import ClaimProof, prove_claim


@dataclass(frozen=True)
class Bug:
    """A wrong gradient as a claim: where it was reported, the configuration, the gradient and the formula."""

    name: str
    source: str
    what: str
    spec: ConvSpec
    wrt: str
    claim: str


BUGS = {b.name: b for b in (
    Bug("jax_563_undilated_window", "jax#563 (fixed in jax PR #567)",
        "the input gradient's padding computed from the undilated window K − 1 − P where the dilated "
        "window D(K − 1) − P belongs",
        ConvSpec(1, 1, 3, padding=1, dilation=2, ndim=1), "x",
        "correlate(pad(g, 1), rot180(swap_io(h)), dilation=2)"),
    Bug("pytorch_51430_no_group_split", "pytorch#51430",
        "a weight gradient computed without the group split (one correlation over every channel)",
        ConvSpec(2, 2, 3, padding=1, groups=2, ndim=1), "h",
        "batch_correlate(pad(x, 1), g)"),
    Bug("transposed_wrong_stride_phase", "pytorch#63314 (ConvTranspose2d with kernel_size=1, stride=2)",
        "a transposed convolution's input gradient reading g at the wrong stride phase (the odd outputs, "
        "where the even ones belong)",
        ConvSpec(1, 1, 1, stride=2, ndim=1, transposed=True, output_padding=1), "x",
        "correlate(pad(g, (-1, 0)), h, stride=2)"),
    Bug("pytorch_gI_output_padding", "aten/src/ATen/native/Convolution.cpp, _convolution_double_backward "
        "(\"TODO: figure out why this needs to be computed\")",
        "the input gradient as a transposed convolution of g without the output padding PyTorch recomputes, "
        "(H + 2P − D(K − 1) − 1) mod S",
        ConvSpec(1, 1, 3, stride=2, padding=1, ndim=1), "x",
        "correlate(pad(dilate(g, 2), 1), rot180(swap_io(h)))"),
)}


def refute(bug: Bug) -> ClaimProof:
    """The bug's claim proved or refuted for every size at its configuration (as ``verify --claim``)."""
    return prove_claim(bug.spec, bug.wrt, bug.claim)
