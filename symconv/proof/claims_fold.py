"""``verify --claim FORM --op unfold|fold --wrt x``: a person's ∂L/∂x of unfold or fold, proved or refuted for
every N, C and image size at the configuration's kernel, stride, padding and dilation (:mod:`.presburger_fold`).

>>> from symconv.derivation.spec_fold import FoldSpec
>>> prove_fold_claim(FoldSpec(1, output_size=5, kernel_size=2), "unfold(g, 2)").verdict
'proved'
>>> print(prove_fold_claim(FoldSpec(1, output_size=5, kernel_size=2), "unfold(g, 2, padding=1)").counterexample)
at C = 1, H = 2, K = 2, P = 0, blocks = 1: ∂L/∂x: the formula's result has shape (1, 1, 2, 3) but x has (1, 1, 2, 1)
"""

from __future__ import annotations

from typing import Any

from .claims import ClaimProof, one_input_claim
from .grammar import terms
from .presburger_fold import fixed_of, prove


def prove_fold_claim(spec: Any, text: str) -> ClaimProof:
    """``∂L/∂x = claim`` for an :class:`~symconv.derivation.spec_fold.UnfoldSpec` or
    :class:`~symconv.derivation.spec_fold.FoldSpec`: the claim grammar's operators, unfold and fold among them,
    over g alone."""
    form = one_input_claim(spec, text)
    proof = prove(spec.op, spec.ndim, tuple(spec.stride), tuple(spec.dilation), {"grad_input": terms(form)},
                  fixed_of(spec))
    return ClaimProof(text, "x", form, proof)
