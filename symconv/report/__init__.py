"""The report stage: a small document model (:mod:`.doc`) rendered to LaTeX and Markdown (:mod:`.latex`),
compiled safely (:mod:`.pdf`) and written atomically (:mod:`.output`); every sentence in both languages
(:mod:`symconv.wording`); the figure (:mod:`.figure`); the assemblies of each report: :mod:`.derivation`
(``symconv derive``), :mod:`.homework` (``symconv homework``), :mod:`.grading` (``symconv check``).

A new report section goes in the assembly of its report, its sentences in :mod:`symconv.wording`.
"""
