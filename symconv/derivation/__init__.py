"""The derivation stage: a convolution's configuration (:mod:`.spec`) → SymPy index expressions
(:mod:`.index`) → the rewriting engine (:mod:`.engine`, every step checked) → closed forms
(:mod:`.forms`) built from operators (:mod:`.ops`, each read three ways: NumPy, exact, affine relation via
:mod:`.affine`) → evaluated (:mod:`.numeric`). Nothing here proves or renders: the stages above do.

A new operator goes in :mod:`.ops`; a new rewrite rule in :mod:`.engine`.
"""
