"""Report assembly for ``symconv derive``: the closed forms, every step, the proofs and the seed's claims."""

from __future__ import annotations

from typing import Any

from . import ops
from .derivation import Derivation
from .doc import Block, Heading, Math, Mono, Para, Table, to_latex, to_markdown, user_text
from .proof import Proof
from .seed import SeedClaim

_SYMBOL = {"grad_input": "x", "grad_weight": "h", "grad_bias": "b"}
_TITLE = {"definition": "Definition", "grad_input": r"Gradient with respect to the input $x$",
          "grad_weight": r"Gradient with respect to the kernel $h$",
          "grad_bias": r"Gradient with respect to the bias $b$"}


def _axes(values: Any) -> str:
    values = tuple(values)
    return str(values[0]) if len(set(values)) == 1 else " x ".join(map(str, values))


def spec_table(d: Derivation) -> Table:
    s = d.spec
    rows = [("spatial axes", str(s.ndim)), ("channels in / out", f"{s.in_channels} / {s.out_channels}"),
            ("kernel size $K$", _axes(s.kernel_size)), ("stride $S$", _axes(s.stride)),
            ("padding $P$ (low, high)", ", ".join(f"({lo}, {hi})" for lo, hi in s.pads)
             + (f" ({s.padding})" if isinstance(s.padding, str) else "")),
            ("dilation $D$", _axes(s.dilation)), ("groups $G$", str(s.groups)), ("bias", "yes" if s.bias else "no")]
    return Table(("field", "value"), tuple(rows))


def closed_form_blocks(d: Derivation) -> list[Block]:
    blocks: list[Block] = [Para(
        r"Operators: $a \otimes k$ is the template operation (cross-correlation, no flip) summed over the "
        r"input channels of each group, $a \otimes_{\Sigma n} k$ the same correlation summed over the batch "
        r"with both channel axes kept; $\operatorname{rot180}$ reverses every spatial axis, "
        r"$\operatorname{swap}_{io}$ exchanges a kernel's input and output channel axes (per group), "
        r"$\operatorname{dilate}_S$ puts $S-1$ zeros between neighbours, $\operatorname{pad}_{(l, r)}$ adds "
        r"zeros (a negative width crops); $s$ and $d$ under $\otimes$ are its stride and dilation. "
        r"$g = \partial L / \partial y$.")]
    rows = []
    for name, form in d.closed_forms.items():
        blocks.append(Math(rf"\frac{{\partial L}}{{\partial {_SYMBOL[name]}}} = {form.to_latex()}"))
        rows.append((f"$\\partial L / \\partial {_SYMBOL[name]}$", Mono(str(form))))
    blocks.append(Table(("gradient", "closed form"), tuple(rows)))
    return blocks


def derivation_blocks(d: Derivation, proofs: list[Proof] | None = None,
                      seed: list[SeedClaim] | None = None) -> list[Block]:
    blocks: list[Block] = [Heading("Configuration", 2), spec_table(d), Heading("Closed forms", 2)]
    blocks += closed_form_blocks(d)
    blocks.append(Para("For every size (every size a symbol; the configuration above substitutes its values):"))
    for name, form in d.general.closed.items():
        blocks.append(Math(rf"\frac{{\partial L}}{{\partial {_SYMBOL[name]}}} = {form.to_latex()}"))
    current = None
    number = 0
    for step in d.steps:
        if step.target != current:
            current = step.target
            blocks.append(Heading(_TITLE[step.target], 2))
        number += 1
        blocks.append(Para(f"Step {number}: {step.rule}."))
        blocks.append(Math(step.latex))
        if step.note:
            blocks.append(Para(f"where {step.note}."))
    if proofs:
        blocks.append(Heading("Proof at concrete sizes", 2))
        blocks.append(Para("Every entry of every gradient, from the closed form's exact evaluator with one "
                           "variable per entry of x, h, g (and b), against the derivative of L, an exact "
                           "integer polynomial summed out from the definition:"))
        blocks.append(Table(("result", "detail"), tuple(("proved" if p.ok else "FAILED", p.detail)
                                                        for p in proofs)))
    if seed:
        blocks.append(Heading("The homework's own formulas (3) and (6)", 2))
        dy = {"g": r"\frac{\partial L}{\partial y}"}
        blocks.append(Para("The result in the homework's notation, with the channel swap and the padding "
                           "made explicit:"))
        for name, form in d.closed_forms.items():
            blocks.append(Math(rf"\frac{{\partial L}}{{\partial {_SYMBOL[name]}}} = {ops.rename(form, dy).to_latex()}"))
        blocks.append(Para(r"Each reading, with $\partial L/\partial y$ padded by $K-1-P$, is compared with "
                           r"the closed form above on random integers in $[-3, 3]$ (seed 11), input "
                           r"$1 \times C_{in} \times 4 \times 4$."))
        for c in seed:
            blocks.append(Para(f"{c.label}: {'holds' if c.holds else 'does not hold'}."))
            blocks.append(Math(c.formula))
            blocks.append(Para(c.detail + "."))
    return blocks


def derivation_latex(d: Derivation) -> str:
    return to_latex(derivation_blocks(d), "", full=False)


def render(d: Derivation, title: str, proofs: list[Proof], seed: list[SeedClaim] | None) -> tuple[str, str]:
    """(.tex, .md) of a derivation report."""
    blocks = derivation_blocks(d, proofs, seed)
    return to_latex(blocks, user_text(title)), to_markdown(blocks, user_text(title))
