"""The grading stage: answers written in LaTeX read (:mod:`.answers`, latex2sympy2 behind one module) and
graded against the exact homework solution (:mod:`.grade`)."""
