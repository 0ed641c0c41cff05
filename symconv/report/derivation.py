"""Report assembly for ``symconv derive``: the closed forms, every step, the proofs and the seed's claims."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from ..derivation import ops
from ..derivation.forms import Derivation, derive_general
from ..derivation.layout import form_latex, gradient_displays
from ..derivation.pooling import Divide, Divisor
from ..derivation.spec import pool_output_length
from .doc import Block, Figure, Heading, Lines, Math, Mono, Para, Table, Words, to_latex, to_markdown, user_text
from ..derivation.spec import ConvSpec
from ..derivation import store
from ..grading.grade import Grade
from .figure import svg, tikz
from ..proof.attach import unary_check
from ..proof.stored import evaluator_checks
from ..proof.seed import SeedClaim
from ..wording import w

_SYMBOL = {"grad_input": "x", "grad_weight": "h", "grad_bias": "b"}


def _axes(values: Any) -> str:
    values = tuple(values)
    return str(values[0]) if len(set(values)) == 1 else " x ".join(map(str, values))


def spec_table(d: Derivation, lang: str = "en") -> Table:
    s = d.spec
    if s.op in ("unfold", "fold"):
        rows = [(w("f.op", lang), user_text(s.op)), (w("f.ndim", lang), str(s.ndim)),
                (w("f.kernel", lang), _axes(s.kernel_size)), (w("f.stride", lang), _axes(s.stride)),
                (w("f.window_padding", lang), _axes(s.padding)), (w("f.dilation", lang), _axes(s.dilation))]
        if s.op == "fold":
            rows += [(w("f.output_size", lang), _axes(s.output_size_)), (w("f.blocks", lang), _axes(s.blocks))]
        return Table((w("field", lang), w("value", lang)), tuple(rows))
    if s.op in ("slice", "pad"):
        rows = [(w("f.op", lang), user_text(s.op)), (w("f.ndim", lang), str(s.ndim))]
        if s.op == "slice":
            rows += [(w("f.slice", lang), user_text(", ".join(
                f"({a}, {'end' if b is None else b}, {st})" for a, b, st in zip(s.start, s.stop, s.step))))]
        else:
            rows += [(w("f.padding", lang), ", ".join(f"({lo}, {hi})" for lo, hi in s.pads))]
        return Table((w("field", lang), w("value", lang)), tuple(rows))
    if s.op == "avg_pool":
        return Table((w("field", lang), w("value", lang)), (
            (w("f.op", lang), user_text(s.op)), (w("f.ndim", lang), str(s.ndim)),
            (w("f.pool_kernel", lang), _axes(s.kernel_size)), (w("f.stride", lang), _axes(s.stride)),
            (w("f.pool_padding", lang), _axes(s.padding)),
            (w("f.ceil_mode", lang), w("yes" if s.ceil_mode else "no", lang)),
            (w("f.count_include_pad", lang), w("yes" if s.count_include_pad else "no", lang)),
            (w("f.divisor_override", lang), w("none", lang) if s.divisor_override is None
             else str(s.divisor_override))))
    rows = [(w("f.ndim", lang), str(s.ndim)), (w("f.channels", lang), f"{s.in_channels} / {s.out_channels}"),
            (w("f.kernel", lang), _axes(s.kernel_size)), (w("f.stride", lang), _axes(s.stride)),
            (w("f.padding", lang), ", ".join(f"({lo}, {hi})" for lo, hi in s.pads)
             + (f" ({s.padding})" if isinstance(s.padding, str) else "")),
            (w("f.dilation", lang), _axes(s.dilation)), (w("f.groups", lang), str(s.groups)),
            (w("f.bias", lang), w("yes" if s.bias else "no", lang))]
    if s.transposed:
        rows.insert(0, (w("f.op", lang), user_text(s.op)))
        rows.insert(5, (w("f.output_padding", lang), _axes(s.output_padding)))
    return Table((w("field", lang), w("value", lang)), tuple(rows))


def _divisor(form: ops.Expr) -> Divisor | None:
    """The divisor of the first ``divide`` in ``form`` (average pooling's), or None."""
    if isinstance(form, Divide):
        return form.divisor
    for f in fields(form):
        part = getattr(form, f.name)
        found = _divisor(part) if isinstance(part, ops.Expr) else None
        if found is not None:
            return found
    return None


def pool_divisor_blocks(d: Derivation, lang: str = "en") -> list[Block]:
    """Average pooling's divisor in words, and its values at the second opinion's input: the number a
    student checks first."""
    divisor, s = _divisor(d.grad_input), d.spec
    if divisor is None:
        return []
    if divisor.kind == "constant":
        key = "pool.divisor.kernel" if s.divisor_override is None else "pool.divisor.override"
        return [Para(w(key, lang, value=divisor.value))]
    size = unary_check(s, derivation=d)[0]
    sizes = {length: n for length, n in zip(divisor.length, size)}
    per_axis = [divisor.axis_counts(k, pool_output_length(n, s.kernel_size[k], s.stride[k], s.padding[k],
                                                          s.ceil_mode), sizes) for k, n in enumerate(size)]
    shown = ["(" + ", ".join(map(str, counts)) + ")" for counts in per_axis]
    sep = "；" if lang == "zh" else "; "
    values = w("pool.divisor.values", lang, size="$" + r" \times ".join(map(str, size)) + "$",
               values=shown[0]) if len(shown) == 1 else \
        w("pool.divisor.values.axes", lang, size="$" + r" \times ".join(map(str, size)) + "$",
          values=sep.join(w("pool.divisor.axis", lang, k=k + 1, values=v) for k, v in enumerate(shown)))
    return [Para(w("pool.divisor." + divisor.kind, lang) + ("" if lang == "zh" else " ") + values)]


def closed_form_blocks(d: Derivation, lang: str = "en") -> list[Block]:
    blocks: list[Block] = [Para(w(d.legend_key, lang))]
    rows = []
    for name, form in d.closed_forms.items():
        blocks += gradient_blocks(_SYMBOL[name], form)
        # A bias gradient in the table as in its display (a sum over the batch and the positions, in words):
        # its program form names axes by number.
        cell = Mono(str(form)) if form_latex(form) == form.to_latex() else \
            f"${form_latex(form)}$ ({w('summed_positions', lang)})"
        rows.append((f"$\\partial L / \\partial {_SYMBOL[name]}$", cell))
    blocks.append(Table((w("gradient", lang), w("closed_form", lang)), tuple(rows)))
    if d.spec.op == "avg_pool":
        blocks += pool_divisor_blocks(d, lang)
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
    at = "(" + c.at.strip("[]").replace(" ", "") + ")"      # an entry's index, not a Python list
    return w("seed.differ1" if c.differ == 1 else "seed.differ", lang, differ=c.differ, total=c.total, at=at,
             got=c.got, want=c.want)


def statement_text(statement: str, lang: str = "en") -> str:
    """The proof's statement ("for every N, C_in ... at K = 3, P = 1, stride 1, dilation 1") in ``lang``."""
    if lang != "zh":
        return statement
    for en, zh in (("proved for every ", "已证明：对任意 "), ("refuted, at ", "被否定：在 "), ("，at ", "：在 "),
                   ("已证明 for every ", "已证明：对任意 "), ("read as ", "读作 "),
                   (" (a non-empty output)", "（输出非空）"), (" and every ", " 及任意 "),
                   ("has operands whose input channels per group differ", "的两个操作数每组的输入通道数不同"),
                   ("refuted at ", "被否定：在 "), ("undecided", "未判定"), ("for every ", "对任意 "), (" at ", "，在 "), ("stride", "步长"),
                   ("dilation", "膨胀"), ("should contain", "应含"), ("but the formula gives", "但公式给出"),
                   ("the formula cannot be evaluated", "公式无法求值"),
                   # average pooling's (symconv.proof.presburger_pool.PoolFamily.words)
                   ("P up to K/2", "P（不超过 K/2）"), ("ceil mode", "向上取整"), ("padding counted", "除数计入填充"),
                   ("real entries counted", "除数只计真实元素"), ("divisor ", "除数 "), ("kernel ", "窗口 "),
                   ("padding ", "填充 ")):
        statement = statement.replace(en, zh)
    return statement


def _sizes_as_math(statement: str, lang: str = "en") -> str:
    """Sizes with an index (C_in, H_1, P_low) as math: a paragraph is LaTeX and Markdown at once; in Chinese
    the list's commas full-width (a statement holds no closed form, whose commas would stay)."""
    statement = re.sub(r"\b([A-Z])_(\w+)\b", r"$\1_{\\mathrm{\2}}$", statement)
    statement = statement.replace(" ≥ ", r" $\geq$ ")         # no text font of pdfLaTeX's has the glyph
    return statement.replace(", ", "，") if lang == "zh" else statement


def _plain(text: str) -> str:
    """A verdict sentence in characters every TeX engine sets: ∂L/∂x as dL/dx, a product's dot as *."""
    return text.replace("∂", "d").replace("·", "*")


def _gradient_cell(target: str) -> str | Mono:
    """A gradient as the reader writes it (∂L/∂x), not the program's name (grad_input)."""
    return f"$\\partial L / \\partial {_SYMBOL[target]}$" if target in _SYMBOL else Mono(target)


def proof_blocks(d: Derivation, lang: str = "en") -> list[Block]:
    """The proof for every size: what was proved, the obligation per gradient, and a second opinion."""
    p = d.proof
    unary = d.spec.op in ("slice", "pad", "unfold", "fold", "avg_pool")     # one input: pairs, not monomials
    blocks: list[Block] = [Heading(w("h.proof", lang), 2), Para(w("proof.intro.unary" if unary else "proof.intro", lang))]
    once = w("proof.once.unary" if unary else "proof.once", lang)
    for name, form in d.closed_forms.items():
        t = _SYMBOL[name]
        blocks.append(Math(rf"\mathcal{{M}}\!\left(\frac{{\partial L}}{{\partial {t}}}\right) = "
                           rf"\mathcal{{M}}\!\left({form_latex(form)}\right), \allowbreak\quad \text{{{once}}}"))
    blocks.append(Table((w("gradient", lang), w("result", lang), w("detail", lang)), tuple(
        (_gradient_cell(r.target), w("proved" if r.ok else "failed", lang),
         _sizes_as_math(statement_text(p.statement, lang), lang) if r.ok else Words(str(r.counterexample or r.detail), lang))
        for r in p.results)))
    if d.spec.op == "avg_pool":          # its terms carry a weight 1/d(i): proved apart (presburger_pool)
        blocks.append(Para(w("proof.divisor", lang)))
    blocks.append(Para(w("proof.statement", lang, statement=_sizes_as_math(statement_text(p.statement, lang), lang))))
    if unary:       # the closed form's evaluator against the definition's derivative, entry by entry
        size, ok, checked, detail = unary_check(d.spec, derivation=d)
        key = "proof.detail.unary" if d.spec.op in ("slice", "pad") else "proof.detail.windows"
        verdict = w(key, lang, checked=checked) if ok else detail
    else:
        size, ok, checked, detail = evaluator_checks(d.spec)[-1]     # derive() ran it: cached, or stored
        verdict = w("proof.detail", lang, checked=checked) if ok else detail
    blocks.append(Para(w("proof.second", lang, size="$" + r" \times ".join(map(str, size)) + "$", verdict=verdict)))
    return blocks


def derivation_blocks(d: Derivation, seed: list[SeedClaim] | None = None, lang: str = "en") -> list[Block]:
    blocks: list[Block] = [Heading(w("h.configuration", lang), 2), spec_table(d, lang),
                           Heading(w("h.closed_forms", lang), 2)]
    blocks += closed_form_blocks(d, lang)
    unit = at_unit_stride(d)
    caption = w("fig.caption" if unit is None else "fig.caption.unit", lang)
    if d.spec.op == "conv":             # the figure draws a convolution's windows
        blocks += [Heading(w("h.figure", lang), 2), Figure(tikz(d.spec, lang), figure_name(d.spec, lang), caption)]
    if unit is not None:
        # The reader's own case, stride 1 and dilation 1, reads like a textbook: no S, D or output-size
        # symbol before the appendix, which holds the forms and the steps for every stride and dilation.
        blocks.append(Para(w("every_size.unit", lang)))
        for name, form in (unit.shown or unit.closed).items():
            blocks += gradient_blocks(_SYMBOL[name], form, general=True)
        blocks += _general_proved(d, lang)
        blocks.append(Para(w("steps.unit", lang)))
        blocks += step_blocks(unit.steps, lang)
    else:
        blocks += _general_forms(d, lang)
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
        blocks += seed_blocks(d.spec, seed, lang)
    if unit is not None:
        blocks += [Heading(w("h.appendix", lang), 2),
                   Para(w("appendix.forms", lang) + ("" if lang == "zh" else " ") + w("appendix.stride_legend", lang)),
                   *_general_forms(d, lang, proved=False),      # the proof is stated once, above
                   *step_blocks(d.steps, lang)]
    return blocks


def _general_forms(d: Derivation, lang: str, proved: bool = True) -> list[Block]:
    """The forms for every size, stride and dilation, and what proved them."""
    blocks: list[Block] = [Para(w("every_size", lang))]
    for name, form in d.general.closed.items():
        blocks += gradient_blocks(_SYMBOL[name], form, general=True)
    return blocks + (_general_proved(d, lang) if proved else [])


def _general_proved(d: Derivation, lang: str) -> list[Block]:
    if d.general_proof is None or not d.general_proof.ok:
        return []
    # unfold's and fold's 3-D families in the sweep are a representative set (presburger_fold.families)
    key = ("general.proved_pool" if d.spec.op == "avg_pool" else
           "general.proved.windows3d" if d.spec.op in ("unfold", "fold") and d.spec.ndim == 3 else
           "general.proved.windows" if d.spec.op in ("unfold", "fold") else
           f"general.proved.{d.spec.op}" if d.spec.op in ("slice", "pad") else "general.proved")
    return [Para(w(key, lang, statement=_sizes_as_math(statement_text(d.general_proof.statement, lang), lang)))]


# The homework's answers as written, by the part of a sheet that holds them (symconv check's names).
_SEED_PARTS = {"(3) as written": ("dL_dx_formula", "x"), "(6) as written": ("dL_dh_formula", "h")}


@dataclass(frozen=True)
class _Problem1:
    """What :func:`~symconv.grading.formulas.grade_formula` reads of a solution: its homework's problem-1
    setting (``problem1_spec(solution.homework)`` is ``homework.problem1``)."""

    problem1: ConvSpec

    @property
    def homework(self) -> "_Problem1":
        return self


def seed_grades(spec: ConvSpec, seed: list[SeedClaim]) -> list[tuple[SeedClaim, Any, Any]]:
    """(claim, grade, strict grade) of (3) and (6) as written, each graded by ``symconv check``'s own
    :func:`grade_formula` (by the course's ⊗ convention, and with ``--strict-channels``): the report says
    what the grader says, from the grader. Kept in the hash-checked store like the proofs (a warm run
    proves nothing again, and loads no isl)."""
    claims = {c.label: c for c in seed if c.label in _SEED_PARTS}
    what = repr((spec, sorted((label, c.formula) for label, c in claims.items())))
    key = f"seed-grades-{hashlib.sha256(what.encode()).hexdigest()[:32]}"
    found = store.load(key, _GRADER_SOURCES, tuple)
    if found is not None and len(found) == 2 and found[0] == spec:
        grades = found[1]
    else:
        from ..grading.formulas import grade_formula      # only to grade: it proves, with isl
        grades = []
        for label, c in claims.items():
            part, wrt = _SEED_PARTS[label]
            answer = rf"\frac{{\partial L}}{{\partial {wrt}}} = {c.formula}"
            grades.append((label, grade_formula(part, answer, _Problem1(spec), Grade),
                           grade_formula(part, answer, _Problem1(spec), Grade, strict_channels=True)))
        grades = tuple(grades)
        store.save(key, (spec, grades), _GRADER_SOURCES)
    return [(claims[label], grade, strict) for label, grade, strict in grades]


# The code a seed grade depends on: the grader's, the proofs' and the derivation's (and the homework's
# problem-1 setting, which the grader reads).
_PACKAGE = Path(__file__).resolve().parent.parent
_GRADER_SOURCES = tuple(sorted(p for stage in ("derivation", "proof", "homework", "grading")
                               for p in (_PACKAGE / stage).glob("*.py")))


def _swap_implied(grade: Any) -> bool:
    reason = grade.reason
    return isinstance(reason, tuple) and reason[0] == "fa.with_note" and reason[1].get("note") == ("w", "fa.swap_implied")


def _inner(grade: Any) -> Any:
    """The grade with its detail alone: the channel-swap note and the mistake are said in the verdict."""
    while isinstance(grade.reason, tuple) and grade.reason[0] in ("fa.with_note", "g.with_mistake") \
            and (grade.reason[0] == "g.with_mistake" or _swap_implied(grade)):
        grade = replace(grade, reason=grade.reason[1]["detail"])
    return grade


def seed_blocks(spec: ConvSpec, seed: list[SeedClaim], lang: str = "en") -> list[Block]:
    """(3) and (6) as the grader grades them, then each reading tested on the file's own channel counts."""
    end = "。" if lang == "zh" else "."
    blocks: list[Block] = [Para(w("seed.graded", lang))]
    for c, grade, strict in seed_grades(spec, seed):
        reading = w("seed." + c.label, lang)
        verdict = w("v." + grade.verdict, lang)
        if _swap_implied(grade):
            text = w("seed.graded.convention", lang, reading=reading, verdict=verdict)
        else:
            text = w("seed.graded.verdict", lang, reading=reading, verdict=verdict)
        mistake = grade.mistake_text(lang)
        if mistake:
            text += w("seed.graded.mistake", lang, mistake=mistake)
        blocks += [Para(text + end), Math(c.formula)]
        if strict.verdict != grade.verdict:
            blocks.append(Para(w("seed.graded.strict", lang, verdict=w("v." + strict.verdict, lang),
                                 mistake=strict.mistake_text(lang) or w("n/a", lang))))
        detail = statement_text(_inner(grade).detail_text(lang), lang)
        blocks.append(Para(Words(w("seed.graded.detail", lang, detail=detail), lang)))
    first = seed[0]
    if first.x_shape:
        shape = r" \times ".join(map(str, first.x_shape))
        blocks.append(Para(w("seed.intro.channels", lang, shape=shape, c_in=first.x_shape[1],
                             c_out=first.out_channels)
                           + (w("seed.channels_cut", lang, c_in=spec.in_channels, c_out=spec.out_channels)
                              if first.channels_cut else "")))
    else:
        blocks.append(Para(w("seed.intro", lang)))
    for c in seed:
        verdict = w("holds" if c.holds else "does_not_hold", lang)
        blocks.append(Para(w("seed.verdict", lang, reading=w("seed.show." + c.label, lang), verdict=verdict)))
        blocks.append(Math(c.formula))
        blocks.append(Para(Words(seed_claim_text(c, lang) + end, lang)))
    return blocks


def at_unit_stride(d: Derivation) -> Any:
    """The derivation at stride 1 and dilation 1 (S and D are the number 1 throughout, checked step by step
    like the general one) when the configuration has them, else None."""
    s = d.spec
    if s.op not in ("conv", "conv_transpose") or set(s.stride) != {1} or set(s.dilation) != {1}:
        return None
    return derive_general(s.ndim, s.groups > 1, s.bias, unit=True, symmetric=all(lo == hi for lo, hi in s.pads),
                          transposed=s.transposed)


def step_blocks(steps: Any, lang: str = "en", level: int = 2, heads: str = "h.") -> list[Block]:
    """Every step, numbered, under a heading per gradient (``heads`` + its target: the double backward's
    results are headed ``h2.``): its rule in words, its equation, its note."""
    blocks: list[Block] = []
    current = None
    for number, step in enumerate(steps, start=1):
        if step.target != current:
            current = step.target
            blocks.append(Heading(w(heads + step.target, lang), level))
        blocks.append(Para(w("step", lang, n=number, rule=step.rule_text(lang))))
        blocks.append(Math(step.latex))
        if step.note_text(lang):
            blocks.append(Para(w("where", lang, note=step.note_text(lang))))
    return blocks


def title_name(spec: ConvSpec, lang: str = "en") -> str:
    """The configuration in a report's title, in words ("2-D, 3×3 kernel, stride 1, padding 1"), not the
    file stem (2d_k3_s1_p1_d1)."""
    axes = (lambda v: str(v[0]) if len(set(v)) == 1 else "×".join(map(str, v)))
    parts = [w("title.ndim", lang, n=spec.ndim), w("title.kernel", lang, k="×".join(map(str, spec.kernel_size))),
             w("title.stride", lang, s=axes(spec.stride)),
             w("title.padding", lang, p=", ".join(f"({lo}, {hi})" for lo, hi in spec.pads)
               if len({v for pair in spec.pads for v in pair}) > 1 else str(spec.pads[0][0]))]
    if set(spec.dilation) != {1}:
        parts.append(w("title.dilation", lang, d=axes(spec.dilation)))
    if spec.groups > 1:
        parts.append(w("title.groups", lang, g=spec.groups))
    if spec.bias:
        parts.append(w("title.bias", lang))
    return ("，" if lang == "zh" else ", ").join(parts)


def report_title(spec: Any, lang: str = "en") -> str:
    """A derive report's title: the operator and its configuration in words (``Backward pass of strided
    slicing x[..., 1::2]``), never the file stem.

    >>> from symconv.derivation.spec import SliceSpec, PadSpec
    >>> report_title(SliceSpec(2, start=(1, 0), stop=(None, 5), step=(2, 1)))
    'Backward pass of strided slicing x[..., 1::2, :5]'
    >>> report_title(PadSpec(1, ((1, 2),)), "zh")
    '常数填充 (1, 2) 的反向传播'
    >>> from symconv.derivation.spec import AvgPoolSpec
    >>> report_title(AvgPoolSpec(1, 3, stride=2, padding=1, ceil_mode=True, count_include_pad=False))
    'Backward pass of average pooling (1-D, 3 window, stride 2, padding 1, ceil mode, real entries counted)'
    """
    if spec.op == "slice":
        def one(a: int, b: Any, s: int) -> str:
            text = f"{a or ''}:{'' if b is None else b}" + (f":{s}" if s != 1 else "")
            return text
        return w("derive.title_slice", lang, name="x[..., " + ", ".join(
            one(a, b, s) for a, b, s in zip(spec.start, spec.stop, spec.step)) + "]")
    if spec.op == "pad":
        pads = {tuple(p) for p in spec.pads}
        name = ", ".join(f"({lo}, {hi})" for lo, hi in (spec.pads[:1] if len(pads) == 1 else spec.pads))
        return w("derive.title_pad", lang, name=name)
    axes = (lambda v: str(v[0]) if len(set(v)) == 1 else "×".join(map(str, v)))  # noqa: E731
    sep = "，" if lang == "zh" else ", "
    if spec.transposed:
        return w("derive.title_transposed", lang, name=title_name(spec, lang) + sep
                 + w("title.output_padding", lang, r=axes(spec.output_padding)))
    if spec.op in ("avg_pool", "unfold", "fold"):
        size = w("title.window" if spec.op == "avg_pool" else "title.kernel", lang,
                 k="×".join(map(str, spec.kernel_size)))          # pooling has a window, no kernel tensor
        parts = [w("title.ndim", lang, n=spec.ndim), size, w("title.stride", lang, s=axes(spec.stride)),
                 w("title.padding", lang, p=axes(spec.padding))]
        if spec.op != "avg_pool" and set(spec.dilation) != {1}:
            parts.append(w("title.dilation", lang, d=axes(spec.dilation)))
        if spec.op == "avg_pool":
            parts += ([w("title.ceil_mode", lang)] if spec.ceil_mode else []) + [
                w("title.divisor_override", lang, d=spec.divisor_override) if spec.divisor_override is not None
                else w("title.count_include_pad" if spec.count_include_pad else "title.count_real", lang)]
        key = "derive.title_" + spec.op
        extra = {"size": "×".join(map(str, spec.output_size_))} if spec.op == "fold" else {}
        return w(key, lang, name=sep.join(parts), **extra)
    return w("derive.title", lang, name=title_name(spec, lang))


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
