"""Report assembly for ``symconv derive``: the closed forms, every step, the proofs and the seed's claims."""

from __future__ import annotations

import re
from typing import Any

from ..derivation import ops
from ..derivation.forms import Derivation, derive_general
from ..derivation.layout import gradient_displays
from .doc import Block, Figure, Heading, Lines, Math, Mono, Para, Table, UserText, to_latex, to_markdown, user_text
from .figure import svg, tikz
from ..proof.stored import evaluator_checks
from ..proof.seed import SeedClaim
from ..wording import w

_SYMBOL = {"grad_input": "x", "grad_weight": "h", "grad_bias": "b"}


def _axes(values: Any) -> str:
    values = tuple(values)
    return str(values[0]) if len(set(values)) == 1 else " x ".join(map(str, values))


def spec_table(d: Derivation, lang: str = "en") -> Table:
    s = d.spec
    if s.op in ("slice", "pad"):
        rows = [(w("f.op", lang), UserText(s.op)), (w("f.ndim", lang), str(s.ndim))]
        if s.op == "slice":
            rows += [(w("f.slice", lang), UserText(", ".join(
                f"({a}, {'end' if b is None else b}, {st})" for a, b, st in zip(s.start, s.stop, s.step))))]
        else:
            rows += [(w("f.padding", lang), ", ".join(f"({lo}, {hi})" for lo, hi in s.pads))]
        return Table((w("field", lang), w("value", lang)), tuple(rows))
    rows = [(w("f.ndim", lang), str(s.ndim)), (w("f.channels", lang), f"{s.in_channels} / {s.out_channels}"),
            (w("f.kernel", lang), _axes(s.kernel_size)), (w("f.stride", lang), _axes(s.stride)),
            (w("f.padding", lang), ", ".join(f"({lo}, {hi})" for lo, hi in s.pads)
             + (f" ({s.padding})" if isinstance(s.padding, str) else "")),
            (w("f.dilation", lang), _axes(s.dilation)), (w("f.groups", lang), str(s.groups)),
            (w("f.bias", lang), w("yes" if s.bias else "no", lang))]
    if s.transposed:
        rows.insert(0, (w("f.op", lang), UserText(s.op)))
        rows.insert(5, (w("f.output_padding", lang), _axes(s.output_padding)))
    return Table((w("field", lang), w("value", lang)), tuple(rows))


def closed_form_blocks(d: Derivation, lang: str = "en") -> list[Block]:
    blocks: list[Block] = [Para(w("legend", lang))]
    rows = []
    for name, form in d.closed_forms.items():
        blocks += gradient_blocks(_SYMBOL[name], form)
        rows.append((f"$\\partial L / \\partial {_SYMBOL[name]}$", Mono(str(form))))
    blocks.append(Table((w("gradient", lang), w("closed_form", lang)), tuple(rows)))
    return blocks


def gradient_blocks(symbol: str, form: ops.Expr, general: bool = False) -> list[Block]:
    """``∂L/∂symbol = form``; a form for every size with its long padding widths named and listed below
    (as ``Derivation.to_latex``)."""
    equation, widths = gradient_displays(symbol, form, general)
    return [Math(equation)] + ([Lines(f"q_{{{symbol}}}", widths)] if widths else [])


def seed_claim_text(c: SeedClaim, lang: str = "en") -> str:
    if c.error:
        return w("seed.error", lang, error=c.error)
    if c.holds:
        return w("seed.equal", lang, total=c.total)
    if c.shape:
        return w("seed.shape", lang, got=c.shape[0], want=c.shape[1])
    return w("seed.differ1" if c.differ == 1 else "seed.differ", lang, differ=c.differ, total=c.total, at=c.at, got=c.got, want=c.want)


def statement_text(statement: str, lang: str = "en") -> str:
    """The proof's statement ("for every N, C_in ... at K = 3, P = 1, stride 1, dilation 1") in ``lang``."""
    if lang != "zh":
        return statement
    for en, zh in (("proved for every ", "已证明：对任意 "), ("refuted, at ", "被否定：在 "),
                   ("refuted at ", "被否定：在 "), ("undecided", "未判定"), ("for every ", "对任意 "), (" at ", "，在 "), ("stride", "步长"),
                   ("dilation", "膨胀"), ("should contain", "应含"), ("but the formula gives", "但公式给出"),
                   ("the formula cannot be evaluated", "公式无法求值")):
        statement = statement.replace(en, zh)
    return statement


def _sizes_as_math(statement: str) -> str:
    """Sizes with an index (C_in, H_1, P_low) as math: a paragraph is LaTeX and Markdown at once."""
    return re.sub(r"\b([A-Z])_(\w+)\b", r"$\1_{\\mathrm{\2}}$", statement)


def _plain(text: str) -> str:
    """A verdict sentence in characters every TeX engine sets: ∂L/∂x as dL/dx, a product's dot as *."""
    return text.replace("∂", "d").replace("·", "*")


def _gradient_cell(target: str) -> str | Mono:
    """A gradient as the reader writes it (∂L/∂x), not the program's name (grad_input)."""
    return f"$\\partial L / \\partial {_SYMBOL[target]}$" if target in _SYMBOL else Mono(target)


def proof_blocks(d: Derivation, lang: str = "en") -> list[Block]:
    """The proof for every size: what was proved, the obligation per gradient, and a second opinion."""
    p = d.proof
    blocks: list[Block] = [Heading(w("h.proof", lang), 2), Para(w("proof.intro", lang))]
    once = w("proof.once", lang)
    for name, form in d.closed_forms.items():
        t = _SYMBOL[name]
        blocks.append(Math(rf"\mathcal{{M}}\!\left(\frac{{\partial L}}{{\partial {t}}}\right) = "
                           rf"\mathcal{{M}}\!\left({form.to_latex()}\right), \allowbreak\quad \text{{{once}}}"))
    blocks.append(Table((w("gradient", lang), w("result", lang), w("detail", lang)), tuple(
        (_gradient_cell(r.target), w("proved" if r.ok else "failed", lang),
         _sizes_as_math(statement_text(p.statement, lang)) if r.ok else UserText(str(r.counterexample or r.detail)))
        for r in p.results)))
    blocks.append(Para(w("proof.statement", lang, statement=_sizes_as_math(statement_text(p.statement, lang)))))
    if d.spec.op in ("slice", "pad"):       # no exact second opinion for these yet
        return blocks
    size, ok, checked, detail = evaluator_checks(d.spec)[-1]     # derive() ran it: cached, or stored
    verdict = w("proof.detail", lang, checked=checked) if ok else detail
    blocks.append(Para(w("proof.second", lang, size="x".join(map(str, size)), verdict=verdict)))
    return blocks


def derivation_blocks(d: Derivation, seed: list[SeedClaim] | None = None, lang: str = "en") -> list[Block]:
    blocks: list[Block] = [Heading(w("h.configuration", lang), 2), spec_table(d, lang),
                           Heading(w("h.closed_forms", lang), 2)]
    blocks += closed_form_blocks(d, lang)
    if d.spec.op == "conv":             # the figure draws a convolution's windows
        blocks += [Heading(w("h.figure", lang), 2),
                   Figure(tikz(d.spec, lang), figure_name(d.spec, lang), w("fig.caption", lang))]
    blocks.append(Para(w("every_size", lang)))
    for name, form in d.general.closed.items():
        blocks += gradient_blocks(_SYMBOL[name], form, general=True)
    if d.general_proof is not None and d.general_proof.ok:
        blocks.append(Para(w("general.proved", lang, statement=_sizes_as_math(
            statement_text(d.general_proof.statement, lang)))))
    unit = at_unit_stride(d)
    if unit is not None:
        # The reader's own case, stride 1 and dilation 1, reads like a textbook; every stride in the appendix.
        blocks.append(Para(w("steps.unit", lang)))
        blocks += step_blocks(unit.steps, lang)
    else:
        blocks += step_blocks(d.steps, lang)
    if d.proof is not None:
        blocks += proof_blocks(d, lang)
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
            blocks.append(Para(w("seed.verdict", lang, reading=w("seed." + c.label, lang), verdict=verdict)))
            blocks.append(Math(c.formula))
            blocks.append(Para(seed_claim_text(c, lang) + ("." if lang == "en" else "。")))
        if any(c.every_size for c in seed):
            blocks.append(Para(w("seed.every_size", lang)))
            blocks.append(Table((w("reading", lang), w("every_size_verdict", lang)), tuple(
                (w("seed." + c.label, lang), UserText(_plain(statement_text(c.every_size, lang)))) for c in seed)))
    if unit is not None:
        blocks += [Heading(w("h.appendix", lang), 2), Para(w("appendix.intro", lang)),
                   *step_blocks(d.steps, lang)]
    return blocks


def at_unit_stride(d: Derivation) -> Any:
    """The derivation at stride 1 and dilation 1 (S and D are the number 1 throughout, checked step by step
    like the general one) when the configuration has them, else None."""
    s = d.spec
    if s.op not in ("conv", "conv_transpose") or set(s.stride) != {1} or set(s.dilation) != {1}:
        return None
    return derive_general(s.ndim, s.groups > 1, s.bias, unit=True, transposed=s.transposed)


def step_blocks(steps: Any, lang: str = "en", level: int = 2) -> list[Block]:
    """Every step, numbered, under a heading per gradient: its rule in words, its equation, its note."""
    blocks: list[Block] = []
    current = None
    for number, step in enumerate(steps, start=1):
        if step.target != current:
            current = step.target
            blocks.append(Heading(w("h." + step.target, lang), level))
        blocks.append(Para(w("step", lang, n=number, rule=step.rule_text(lang))))
        blocks.append(Math(step.latex))
        if step.note_text(lang):
            blocks.append(Para(w("where", lang, note=step.note_text(lang))))
    return blocks


def figure_name(spec: Any, lang: str = "en") -> str:
    """The SVG's file name, written beside the .md that shows it."""
    return f"fig_{spec.describe()}{'' if lang == 'en' else '_' + lang}.svg"


def figure_files(spec: Any, lang: str = "en") -> dict[str, str]:
    return {figure_name(spec, lang): svg(spec, lang)} if spec.op == "conv" else {}


def derivation_latex(d: Derivation, lang: str = "en") -> str:
    return to_latex(derivation_blocks(d, lang=lang), "", full=False, lang=lang)


def render(d: Derivation, title: str, seed: list[SeedClaim] | None, lang: str = "en") -> tuple[str, str]:
    """(.tex, .md) of a derivation report."""
    blocks = derivation_blocks(d, seed, lang)
    return to_latex(blocks, user_text(title), lang=lang), to_markdown(blocks, user_text(title))
