"""Report assembly for ``symconv derive``: the closed forms, every step, the proofs and the seed's claims."""

from __future__ import annotations

from typing import Any

from . import ops
from .derivation import Derivation
from .doc import Block, Figure, Heading, Math, Mono, Para, Table, to_latex, to_markdown, user_text
from .figure import svg, tikz
from .proof import Proof
from .seed import SeedClaim
from .wording import w

_SYMBOL = {"grad_input": "x", "grad_weight": "h", "grad_bias": "b"}


def _axes(values: Any) -> str:
    values = tuple(values)
    return str(values[0]) if len(set(values)) == 1 else " x ".join(map(str, values))


def spec_table(d: Derivation, lang: str = "en") -> Table:
    s = d.spec
    rows = [(w("f.ndim", lang), str(s.ndim)), (w("f.channels", lang), f"{s.in_channels} / {s.out_channels}"),
            (w("f.kernel", lang), _axes(s.kernel_size)), (w("f.stride", lang), _axes(s.stride)),
            (w("f.padding", lang), ", ".join(f"({lo}, {hi})" for lo, hi in s.pads)
             + (f" ({s.padding})" if isinstance(s.padding, str) else "")),
            (w("f.dilation", lang), _axes(s.dilation)), (w("f.groups", lang), str(s.groups)),
            (w("f.bias", lang), w("yes" if s.bias else "no", lang))]
    return Table((w("field", lang), w("value", lang)), tuple(rows))


def closed_form_blocks(d: Derivation, lang: str = "en") -> list[Block]:
    blocks: list[Block] = [Para(w("legend", lang))]
    rows = []
    for name, form in d.closed_forms.items():
        blocks.append(Math(rf"\frac{{\partial L}}{{\partial {_SYMBOL[name]}}} = {form.to_latex()}"))
        rows.append((f"$\\partial L / \\partial {_SYMBOL[name]}$", Mono(str(form))))
    blocks.append(Table((w("gradient", lang), w("closed_form", lang)), tuple(rows)))
    return blocks


def seed_claim_text(c: SeedClaim, lang: str = "en") -> str:
    if c.error:
        return w("seed.error", lang, error=c.error)
    if c.holds:
        return w("seed.equal", lang, total=c.total)
    if c.shape:
        return w("seed.shape", lang, got=c.shape[0], want=c.shape[1])
    return w("seed.differ1" if c.differ == 1 else "seed.differ", lang, differ=c.differ, total=c.total, at=c.at, got=c.got, want=c.want)


def derivation_blocks(d: Derivation, proofs: list[Proof] | None = None,
                      seed: list[SeedClaim] | None = None, lang: str = "en") -> list[Block]:
    blocks: list[Block] = [Heading(w("h.configuration", lang), 2), spec_table(d, lang),
                           Heading(w("h.closed_forms", lang), 2)]
    blocks += closed_form_blocks(d, lang)
    blocks += [Heading(w("h.figure", lang), 2),
               Figure(tikz(d.spec, lang), figure_name(d.spec, lang), w("fig.caption", lang))]
    blocks.append(Para(w("every_size", lang)))
    for name, form in d.general.closed.items():
        blocks.append(Math(rf"\frac{{\partial L}}{{\partial {_SYMBOL[name]}}} = {form.to_latex()}"))
    current = None
    for number, step in enumerate(d.steps, start=1):
        if step.target != current:
            current = step.target
            blocks.append(Heading(w("h." + step.target, lang), 2))
        blocks.append(Para(w("step", lang, n=number, rule=step.rule_text(lang))))
        blocks.append(Math(step.latex))
        if step.note_text(lang):
            blocks.append(Para(w("where", lang, note=step.note_text(lang))))
    if proofs:
        blocks.append(Heading(w("h.proof", lang), 2))
        blocks.append(Para(w("proof.intro", lang)))
        blocks.append(Table((w("result", lang), w("detail", lang)), tuple(
            (w("proved" if p.ok else "failed", lang),
             w("proof.detail", lang, checked=p.checked, size=p.size) if p.ok else p.detail) for p in proofs)))
    if seed:
        blocks.append(Heading(w("h.seed", lang), 2))
        dy = {"g": r"\frac{\partial L}{\partial y}"}
        blocks.append(Para(w("seed.notation", lang)))
        for name, form in d.closed_forms.items():
            blocks.append(Math(rf"\frac{{\partial L}}{{\partial {_SYMBOL[name]}}} = "
                               f"{ops.rename(form, dy).to_latex()}"))
        blocks.append(Para(w("seed.intro", lang)))
        for c in seed:
            verdict = w("holds" if c.holds else "does_not_hold", lang)
            blocks.append(Para(f"{w('seed.' + c.label, lang)}: {verdict}."))
            blocks.append(Math(c.formula))
            blocks.append(Para(seed_claim_text(c, lang) + ("." if lang == "en" else "。")))
    return blocks


def figure_name(spec: Any, lang: str = "en") -> str:
    """The SVG's file name, written beside the .md that shows it."""
    return f"fig_{spec.describe()}{'' if lang == 'en' else '_' + lang}.svg"


def figure_files(spec: Any, lang: str = "en") -> dict[str, str]:
    return {figure_name(spec, lang): svg(spec, lang)}


def derivation_latex(d: Derivation, lang: str = "en") -> str:
    return to_latex(derivation_blocks(d, lang=lang), "", full=False, lang=lang)


def render(d: Derivation, title: str, proofs: list[Proof], seed: list[SeedClaim] | None,
           lang: str = "en") -> tuple[str, str]:
    """(.tex, .md) of a derivation report."""
    blocks = derivation_blocks(d, proofs, seed, lang)
    return to_latex(blocks, user_text(title), lang=lang), to_markdown(blocks, user_text(title))
