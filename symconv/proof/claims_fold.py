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

from ..derivation import ops
from .claims import MAX_OPERATORS, MAX_VALUE, ClaimError, ClaimProof, _short, leaves, parse
from .grammar import terms
from .presburger_fold import fixed_of, prove


def prove_fold_claim(spec: Any, text: str) -> ClaimProof:
    """``∂L/∂x = claim`` for an :class:`~symconv.derivation.spec_fold.UnfoldSpec` or
    :class:`~symconv.derivation.spec_fold.FoldSpec`: the claim grammar's operators, unfold and fold among them,
    over g alone."""
    form = parse(text, spec.ndim)
    if leaves(form) - {"g"}:
        raise ClaimError(f"the formula reads {', '.join(sorted(leaves(form) - {'g'}))}; ∂L/∂x of {spec.op} is "
                         f"made of g alone")
    count = sum(not isinstance(n, (ops.Tensor, ops.AddBias)) for n in ops.nodes(form))
    if count > MAX_OPERATORS:
        raise ClaimError(f"{count} operators; a claim has at most {MAX_OPERATORS}")
    for node in ops.nodes(form):
        for what, value, _ in ops.parameters(node):
            if isinstance(value, int) and abs(value) > MAX_VALUE[what]:
                raise ClaimError(f"{what} {_short(value)} in {_short(node)}: at most {MAX_VALUE[what]:,}")
    proof = prove(spec.op, spec.ndim, tuple(spec.stride), tuple(spec.dilation), {"grad_input": terms(form)},
                  fixed_of(spec))
    return ClaimProof(text, "x", form, proof)
