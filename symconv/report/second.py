"""Report assembly for ``symconv derive --order 2``: the double backward's closed forms, every step of the
engine's derivation of them, their proof for every size and an exact second opinion."""

from __future__ import annotations

from typing import Any

from ..derivation.second import SecondOrder
from ..proof.attach import check_second_order
from .derivation import _sizes_as_math, spec_table, statement_text, step_blocks, title_name
from .doc import Block, Heading, Math, Mono, Para, Table, Words, to_latex, to_markdown, user_text
from ..wording import w

_LHS = {"grad_input": r"\mathit{gI}", "grad_weight": r"\mathit{gW}", "grad_output": r"\mathit{ggO}"}


def _form_latex(d: SecondOrder, name: str) -> str:
    form = d.closed_forms[name]
    if name != "grad_output":
        return form.to_latex()
    return " + ".join([t.to_latex() for t in form] + ([r"\mathit{ggb}"] if d.general.bias_term else []))


def second_blocks(d: SecondOrder, proofs: dict[str, Any], lang: str = "en") -> list[Block]:
    shown = d.shown()
    blocks: list[Block] = [Heading(w("h.configuration", lang), 2), spec_table(d, lang),  # type: ignore[arg-type]
                           Heading(w("h.closed_forms", lang), 2), Para(w("second.intro", lang)),
                           Para(w("legend", lang))]
    for name in d.closed_forms:
        blocks.append(Math(f"{_LHS[name]} = {_form_latex(d, name)}"))
    if d.general.bias_term:
        blocks.append(Para(w("second.ggb", lang)))
    blocks.append(Table((w("second.result", lang), w("second.form", lang)),
                        tuple((f"${_LHS[k]}$", Mono(v)) for k, v in shown.items())))
    blocks.append(Heading(w("h2.steps", lang), 2))
    blocks += step_blocks(d.steps, lang, level=3, heads="h2.")
    blocks.append(Heading(w("h.proof", lang), 2))
    statement = next(iter(proofs.values())).statement
    blocks.append(Para(w("second.proof", lang, statement=_sizes_as_math(statement_text(statement, lang), lang))))
    rows = []
    for key, p in proofs.items():
        name, _, k = key.partition("[")
        cell = f"${_LHS[name]}$" + (f" ({w('second.term', lang, k=int(k.rstrip(']')) + 1)})" if k else "")
        rows.append((cell, w("proved" if p.ok else "failed", lang),
                     _sizes_as_math(statement_text(p.statement, lang), lang) if p.ok
                     else Words(str(p.counterexample or p.results[0].detail), lang)))
    blocks.append(Table((w("second.result", lang), w("verdict", lang), w("detail", lang)), tuple(rows)))
    size, ok, checked, detail = check_second_order(d)
    blocks.append(Para(w("second.check", lang, size="$" + r" \times ".join(map(str, size)) + "$", checked=checked,
                         verdict="" if ok else w("second.check.failed", lang,
                                                                detail=detail.replace("_", r"\_")))))
    return blocks


def render_second(d: SecondOrder, proofs: dict[str, Any], lang: str = "en") -> tuple[str, str]:
    """(.tex, .md) of the double backward's report."""
    title = w("derive.title_second", lang, name=title_name(d.spec, lang))
    blocks = second_blocks(d, proofs, lang)
    return to_latex(blocks, user_text(title), lang=lang), to_markdown(blocks, user_text(title))
