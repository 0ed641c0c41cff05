"""The proof stage: closed forms proved for every size (isl), proved exactly at one size, and tested against
independent oracles; the sweeps, the mutants that every check must catch, the seed's own claims, and claims
that anyone writes.

- :mod:`.attach` — ``derive(spec)``: the derivation stage's forms with their proof for every size.
- :mod:`.presburger` — the proof for every size; :mod:`.claims` — a claim's parser and its proof.
- :mod:`.exact` — the exact proof at one size; :mod:`.checks` — ``verify`` by any method.
- :mod:`.sweep`, :mod:`.mutants`, :mod:`.seed`.
"""
