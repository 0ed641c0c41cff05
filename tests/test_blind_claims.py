"""Claims about the operators beyond one convolution, written blind (issue 22).

`tests/data/claims22/` was written by a tester who read only the README (never symconv's code, never running
it): 60 claims about ∂L/∂x of conv_transpose, slice, pad, unfold, fold and avg_pool, half right and half wrong
the way people get them wrong, each decided by the tester's own NumPy reading of the README's operators
against PyTorch autograd at every size up to 14 (1-D) or 8×8 (2-D) — `check_claims.py` reruns that. First
run: 60 of 60 verdicts agreed; one smallest counterexample did not (c55: ceil_mode's input shorter than the
window, H = 1, was outside the prover's domain; fixed). Here every verdict must agree with the tester's, and
every refutation's sizes must be the tester's smallest failing sizes where both range over the same sizes
(fold's tester fixed the output size, the prover does not).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from symconv.cli import main

CLAIMS = [json.loads(line) for line in
          (Path(__file__).parent / "data" / "claims22" / "claims.jsonl").read_text(encoding="utf-8").splitlines()]


def _sizes(where: str) -> dict[str, int]:
    """'C = 1, H = 2, W = 3, P = 1' → the input sizes, named as the tester names them (H or H_1, H_2)."""
    found = dict(re.findall(r"\b(H|W|H_1|H_2)\s*=\s*(\d+)", where))
    if "W" in found:
        return {"H_1": int(found["H"]), "H_2": int(found["W"])}
    return {k: int(v) for k, v in found.items()}


@pytest.mark.parametrize("claim", CLAIMS, ids=[c["id"] for c in CLAIMS])
def test_a_blind_claim_gets_the_testers_verdict(claim, capsys):
    status = main(["verify", *claim["args"], "--claim", claim["claim"], "--wrt", claim["wrt"], "--json"])
    out = json.loads(capsys.readouterr().out)
    assert out["verdict"] == claim["expected"], (claim["note"], out)
    assert status == (0 if claim["expected"] == "proved" else 1)
    smallest = claim["smallest_failing"]
    if claim["expected"] == "refuted" and "--op" in claim["args"] and "fold" not in claim["args"]:
        theirs = {k: v for k, v in smallest.items() if k in ("H", "H_1", "H_2")}
        assert _sizes(out["counterexample"]) == theirs, (out["counterexample"], smallest)
