"""Index sums judged for every size: the last line against the definition's derivative, each line of a
derivation against the one before, the reading of the student's numbers chosen, the counterexample written
back in the student's index names and numbering, and the usual mistakes named (see :mod:`.index_sums`)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
import sympy as sp

from ..derivation.index import Symbols
from ..derivation.spec import ConvSpec
from ..errors import UnsupportedError
from .grammar import ClaimError
from .index_reader import Derivation
from .index_sums import IndexSum, Reading, index_expr

# ------------------------------------------------------------------------------------------ the verdict

def _structure(spec: ConvSpec, target: str) -> Any:
    from . import presburger
    grouped = spec.groups > 1
    if grouped:
        raise UnsupportedError("an index sum is read for one group")
    fixed = presburger.Fixed(tuple(spec.kernel_size), tuple(spec.pads))  # type: ignore[arg-type]
    term, free = presburger.derivative_term(spec.ndim, False, spec.bias, target)
    return presburger._definition(spec.ndim, False, tuple(spec.stride), tuple(spec.dilation),  # type: ignore
                                  target, term, free, fixed)


_TARGET = {"x": "grad_input", "h": "grad_weight"}


def _found(spec: ConvSpec, s: IndexSum, against: IndexSum | None) -> tuple[Any, list[Any]]:
    """(the structure compared with, the failures: [] when ``s`` equals the definition's derivative, or
    ``against``'s sum, for every size)."""
    from . import presburger
    st = _structure(spec, s.target)
    if against is not None:
        rel = presburger.form_relation(st.space, against, s.target).intersect_params(st.context)
        st = dataclasses.replace(st, definition=rel)
    return st, presburger._refute(st, _TARGET[s.target], (s,))


def holds(spec: ConvSpec, s: IndexSum, against: IndexSum | None = None) -> bool:
    """Whether the sum equals ∂L/∂target (or the sum ``against``) for every size; False when undecided."""
    from .presburger import _Mismatch
    try:
        return not _found(spec, s, against)[1]
    except (UnsupportedError, _Mismatch, ClaimError):
        return False


@dataclass(frozen=True)
class Step:
    """One line of a derivation checked: ``ok``, or where it fails (``words``: in the student's indices)."""

    number: int
    ok: bool
    words: str = ""


@dataclass(frozen=True)
class IndexVerdict:
    """An index formula (or derivation) judged for every size: ``verdict`` of its last line against the
    definition (``proved``, ``refuted``, ``undecided``), the reading of its numbers used (``assumed`` when
    the formula did not decide it), each step's check, and the counterexample in the student's indices."""

    derivation: Derivation
    reading: Reading
    assumed: bool
    verdict: str
    statement: str
    words: str
    steps: tuple[Step, ...]
    counterexample: Any = None
    sums: tuple[IndexSum, ...] = ()
    open_words: str = ""          # what the formula left open, as it was read

    @property
    def first_wrong(self) -> Step | None:
        return next((s for s in self.steps if not s.ok), None)


def judge(spec: ConvSpec, d: Derivation) -> IndexVerdict:
    """The derivation's last line proved or refuted against the definition's derivative, and, when it has
    several lines, each line against the one before (the first against the definition), for every size."""
    from .claims import prove_form
    steps = d.steps
    chosen = next((r for r in d.readings if holds(spec, d.at(r)[-1])), None)
    assumed = len(d.readings) > 1
    if chosen is None and len(steps) == 1:
        chosen = d.readings[0]
    elif chosen is None:
        # the reading under which most lines follow (the first from the definition), the likeliest first
        def held(r: Reading) -> int:
            at = d.at(r)
            return sum(holds(spec, s, at[k - 1] if k else None) for k, s in enumerate(at))
        likely = d.readings[:6]              # the 2 s budget: six readings at most
        chosen = max(likely, key=lambda r: (held(r), -likely.index(r)))
    at = d.at(chosen)
    proof = prove_form(spec, d.target, at[-1], text=at[-1].text)
    if proof.ok:
        verdict, words = "proved", ""
    elif proof.counterexample is not None:
        verdict, words = "refuted", student_words(proof.counterexample, at[-1])
    else:
        verdict, words = "undecided", proof.detail
    checked = []
    if len(at) > 1:
        for k, s in enumerate(at):
            if k == 0:
                ok = holds(spec, s) if not (k == len(at) - 1) else proof.ok
                words_k = "" if ok else _step_words(spec, s, None)
            else:
                ok = holds(spec, s, at[k - 1])
                words_k = "" if ok else _step_words(spec, s, at[k - 1])
            checked.append(Step(k + 1, ok, words_k))
    return IndexVerdict(d, chosen, assumed and proof.ok, verdict, proof.statement, words, tuple(checked),
                        proof.counterexample, at, _assumed_words(d.readings, chosen))


def _assumed_words(readings: Sequence[Reading], chosen: Reading) -> str:
    """What the formula left open and how it was read: "kernel positions 0-based", "indices 1-based, ..."."""
    parts = []
    if len({r.data for r in readings}) > 1:
        parts.append(f"indices {chosen.data}-based")
    if len({r.kernel for r in readings}) > 1:
        parts.append("kernel positions " + ("centred" if chosen.kernel is None else f"{chosen.kernel}-based"))
    if len({r.wh for r in readings}) > 1:
        parts.append("W the first spatial axis and H the second" if chosen.wh else
                     "H the first spatial axis and W the second")
    return ", ".join(parts)


def _step_words(spec: ConvSpec, s: IndexSum, before: IndexSum | None) -> str:
    """Where ``s`` differs from the line before (or the definition): the smallest sizes, in the student's
    indices; the difference confirmed by evaluating both sums there."""
    from . import presburger
    try:
        st, found = _found(spec, s, before)
    except presburger._Mismatch as exc:
        return str(exc)
    except (UnsupportedError, ClaimError) as exc:
        return f"not decided ({exc})"
    if not found:
        return ""
    cx = presburger._counterexample(st, _TARGET[s.target], (s,), found)
    text = student_words(cx, s, "the line before" if before is not None else "the definition")
    if before is not None and not _differs(cx, s, before):
        return f"{text} (not confirmed by evaluating both lines there)"
    return text


def _differs(cx: Any, a: IndexSum, b: IndexSum) -> bool:
    """Both sums evaluated on the same random integers at the counterexample's sizes differ."""
    sym = Symbols(cx.ndim, True)
    sizes = cx.symbol_values(sym)
    out = tuple(sizes[s] for s in sym.Ho)
    rng = np.random.default_rng(19)
    env = {"x": rng.integers(-50, 51, (cx.batch, cx.in_channels) + cx.input_size),
           "h": rng.integers(-50, 51, (cx.out_channels, cx.in_channels) + cx.kernel_size),
           "g": rng.integers(-50, 51, (cx.batch, cx.out_channels) + out)}
    try:
        return bool(np.any(a.evaluate(env, sizes) != b.evaluate(env, sizes)))
    except (ValueError, IndexError, UnsupportedError):
        return False


def student_index(s: IndexSum, tensor: str, index: Sequence[int], swapped: bool = False) -> str:
    """A 0-based PyTorch index written on the student's scale and in the student's order (the batch index
    left out when the student wrote none)."""
    idx = list(index)
    lead = 0
    if tensor in ("x", "g") and not s.batch:
        idx, lead = idx[1:], 1
    vals = [v + s._offset(tensor, k + lead) for k, v in enumerate(idx)]
    if tensor == "h" and swapped:
        vals = [vals[1], vals[0]] + vals[2:]
    return ",".join(map(str, vals))


def student_words(cx: Any, s: IndexSum, other: str = "the definition") -> str:
    """A counterexample (:class:`~.presburger.Counterexample`) in the student's own index names and scale:
    "at C_in = 1, C_out = 2, H = 1, W = 1: ∂L/∂x_{c,i,j} at c = 0, i = 0, j = 0 should contain
    ∂L/∂y_{1,0,0}·h_{1,0,1,1} but the sum gives …"."""
    target = s.target
    names = [str(v) for v in s.free]
    lhs_swapped = target == "h" and _lhs_swapped(s)
    entry_vals = student_index(s, target, cx.entry, lhs_swapped).split(",") if cx.entry else []
    if lhs_swapped:
        names = [names[1], names[0]] + names[2:]
    where = ", ".join(f"{n} = {v}" for n, v in zip(names, entry_vals))
    lhs = f"∂L/∂{target}_{{{','.join(names)}}}" + (f" at {where}" if where else "")
    g_show = next((f.written for f in s.factors if f.tensor == "g" and not f.derived), "∂L/∂y")
    swapped = any(f.swapped for f in s.factors if f.tensor == "h")

    def mono(m: Sequence[tuple[str, tuple[int, ...]]]) -> str:
        return "·".join(f"{g_show if t == 'g' else t}_{{{student_index(s, t, i, swapped)}}}" for t, i in m)
    at = f"at {_where(cx)}: "
    fixed = [str(v) for v, lo, _ in s.bounds if lo == "first"]
    scale = f" ({', '.join(fixed)} not summed over: read at {'its' if len(fixed) == 1 else 'their'} first " \
            f"value)" if fixed else ""
    if cx.kind == "missing":
        gives = " + ".join(mono(m) for m in cx.formula) or "0"
        return at + f"{lhs} should contain {mono(cx.monomial)} but the sum gives {gives}{scale}"
    if cx.kind == "extra":
        gives = " + ".join(mono(m) for m in cx.formula) or "0"
        return at + f"{lhs} should not contain {mono(cx.monomial)}, which the sum gives; {other} gives " \
                    f"{gives}{scale}"
    if cx.kind == "doubled":
        return at + f"the sum counts {mono(cx.monomial)} in {lhs} {cx.count} times; {other} has it once{scale}"
    return at + cx.reason.replace("the formula", "the sum")


def _lhs_swapped(s: IndexSum) -> bool:
    return s.lhs_swapped


def _where(cx: Any) -> str:
    """The sizes without the fixed kernel and padding (problem 1's 3×3, padding 1 is the question's)."""
    return cx.where()


def diagnose(spec: ConvSpec, s: IndexSum) -> tuple[str, ...]:
    """The usual mistake (:data:`symconv.grading.formulas.MISTAKES`' names) whose correction makes the sum
    proved for every size, read as the sum was; () when none explains it. See :func:`explain`."""
    found = explain(spec, s)
    return (found.name,) if found is not None else ()


@dataclass(frozen=True)
class Mistake:
    """A mistake named in an index sum: its name, its sentence (a wording key ``m.…`` and the values, in the
    student's own index names) and the corrected sum, which is proved for every size (the witness: the
    sentence is only said when its correction holds)."""

    name: str
    key: str
    values: dict[str, str]
    fixed: IndexSum


def _text(e: Any, s: IndexSum | None = None) -> str:
    """An index expression as a student writes it: ``i-m+1`` (SymPy's order, no spaces), sizes named as the
    homework names them (H, W, C_in, C_out, K, N; H and W as the student's reading assigns them)."""
    e = index_expr(e)
    sizes = {sym: sp.Symbol(name) for sym, name in _size_names(s).items()} if s is not None else {}
    return str(e.xreplace(sizes)).replace(" ", "")


def _size_names(s: IndexSum) -> dict[Any, str]:
    sym = Symbols(s.ndim, False)
    names: dict[Any, str] = {sym.N: "N", sym.C: "C_in", sym.O: "C_out"}
    axes = ("H", "W") if s.ndim == 2 else ("H", "W", "D")[:s.ndim]
    if s.ndim == 2 and s.reading.wh:
        axes = ("W", "H")
    for k, a in enumerate(axes):
        names[sym.H[k]] = a
        names[sym.Ho[k]] = a + "'"
        names[sym.K[k]] = "K"
        names[sym.P[k]] = "P"
    return names


def _spatial(s: IndexSum, f: Any) -> range:
    """The positions of a factor's spatial indices (after the batch and channel indices)."""
    lead = 2 if f.tensor == "h" or s.batch else 1
    return range(lead, len(f.index))


def _shown(s: IndexSum, f: Any, index: Sequence[Any]) -> str:
    name = f.written if f.tensor == "g" else f.tensor
    return f"{name}_{{{','.join(_text(e, s) for e in index)}}}"


def _kernel_symbols(s: IndexSum) -> set[Any]:
    """The letters that number kernel positions (h's spatial indices, or ∂L/∂h's own)."""
    if s.target == "h":
        return set(s.free[2:])
    return {v for f in s.factors if f.tensor == "h" and not f.derived for e in f.index[2:]
            for v in index_expr(e).free_symbols if len(index_expr(e).free_symbols) == 1}


def _var(s: IndexSum, e: Any) -> str:
    """The letter an index expression moves along, as a teacher says it: the image position (i in i-m+1 and in
    i+m-1, whether i is the entry's own index or summed), the entry's own index first."""
    syms = sorted(index_expr(e).free_symbols - set(_size_names(s)), key=str)
    data = [v for v in syms if v not in _kernel_symbols(s)] or syms
    own = [v for v in data if v in s.free]
    return str((own or data or ["?"])[0])


def explain(spec: ConvSpec, s: IndexSum) -> Mistake | None:
    r"""The first usual mistake whose correction makes the sum proved for every size, with its sentence; or
    None.

    Tried in order: for ∂L/∂x the kernel's positions not reversed (``no_rotation``: h_{…, m} should be
    h_{…, K−1−m}) or its channels not exchanged (``no_swap``); for ∂L/∂h the kernel's positions reversed
    (``extra_rotation``); then, for either, a sum left out (an index the student never summed: over the output
    channels ``missing_channel_sum``, the images ``missing_batch_sum``, another index ``missing_sum``), a
    stated bound that cuts a term (``bounds_cut``: ∑ to H−2 where H−1 belongs), one factor's index shifted
    (``shifted_index``: i+m where i+m−1 belongs, on every spatial axis or one), an offset's sign flipped
    (``flipped_sign``: i−m+1 where i+m−1 belongs). Each correction is proved by the same prover as the
    formula itself; the first that holds is named. A sum that holds has no mistake (a correction that only
    adds terms outside the tensors would hold too).

    >>> from symconv.proof.index_reader import read_derivation
    >>> spec = ConvSpec(2, 2, 3, padding=1)
    >>> d = read_derivation(r"\frac{\partial L}{\partial h_{o,c,m,n}} = \sum_{i=0}^{H-2}\sum_{j=0}^{W-1} "
    ...                     r"\frac{\partial L}{\partial y_{o,i,j}} x_{c,i+m-1,j+n-1}", spec)
    >>> m = explain(spec, judge(spec, d).sums[-1])
    >>> m.name, m.values
    ('bounds_cut', {'var': 'i', 'bound': 'H-2', 'term': 'H-1'})
    >>> m = explain(spec, judge(spec, read_derivation(r"\frac{\partial L}{\partial h_{o,c,m,n}} = \sum_{i,j} "
    ...     r"\frac{\partial L}{\partial y_{o,i,j}} x_{c,i+m,j+n}, \quad m,n \in \{0,1,2\}", spec)).sums[-1])
    >>> m.name, m.values["var"], m.values["wrote"], m.values["right"]
    ('shifted_index', 'i, j', 'x_{c,i+m,j+n}', 'x_{c,i+m-1,j+n-1}')
    """
    if holds(spec, s):
        return None
    for m in _corrections(s):
        if holds(spec, m.fixed):
            return m
    return None


def _with_index(s: IndexSum, f: Any, index: tuple[Any, ...]) -> IndexSum:
    return dataclasses.replace(s, factors=tuple(dataclasses.replace(g, index=index) if g is f else g
                                                for g in s.factors))


def _corrections(s: IndexSum) -> Any:
    """Each single correction of ``s``, as an unproved :class:`Mistake` (generated lazily, in order)."""
    plain = [f for f in s.factors if not f.derived]
    if s.target == "x":
        yield Mistake("no_rotation", "m.no_rotation", {}, dataclasses.replace(s, factors=tuple(
            dataclasses.replace(f, index=f.index[:2] + tuple(
                (k - 1) + 2 * s._offset("h", 2 + a) - e for a, (k, e) in enumerate(zip(s.kernel, f.index[2:]))))
            if f.tensor == "h" and not f.derived else f for f in s.factors)))
        yield Mistake("no_swap", "m.no_swap", {}, dataclasses.replace(s, factors=tuple(
            dataclasses.replace(f, index=(f.index[1], f.index[0]) + f.index[2:]) if f.tensor == "h"
            and not f.derived else f for f in s.factors)))
    else:
        flip = {v: (k - 1) + 2 * s._offset("h", 2 + a) - v for a, (k, v) in enumerate(zip(s.kernel, s.free[2:]))}
        yield Mistake("extra_rotation", "m.extra_rotation", {}, dataclasses.replace(
            s, factors=tuple(dataclasses.replace(f, index=tuple(index_expr(e).xreplace(flip) for e in f.index))
                             for f in s.factors),
            conds=tuple(c.xreplace(flip) for c in s.conds),
            bounds=tuple((v, lo if not isinstance(lo, sp.Basic) else lo.xreplace(flip),
                          hi if not isinstance(hi, sp.Basic) else hi.xreplace(flip)) for v, lo, hi in s.bounds)))
    # a sum left out: the index the student never summed (read at its first value) summed over every value
    for k, (v, lo, _) in enumerate(s.bounds):
        if lo != "first":
            continue
        bounds = s.bounds[:k] + ((v, None, None),) + s.bounds[k + 1:]
        where = {(f.tensor, a) for f in plain for a, e in enumerate(f.index) if index_expr(e) == v}
        lead = 1 if s.batch else 0
        if ("g", lead) in where and s.target == "x":
            name = "missing_channel_sum"
        elif s.batch and (("g", 0) in where or ("x", 0) in where):
            name = "missing_batch_sum"
        else:
            name = "missing_sum"
        yield Mistake(name, "m." + name, {"var": str(v)}, dataclasses.replace(s, bounds=bounds))
    # a stated bound one short: the term just past it restored
    for k, (v, lo, hi) in enumerate(s.bounds):
        if isinstance(hi, sp.Basic):
            bounds = s.bounds[:k] + ((v, lo, hi + 1),) + s.bounds[k + 1:]
            yield Mistake("bounds_cut", "m.bounds_cut_high", {"var": str(v), "bound": _text(hi, s),
                                                              "term": _text(hi + 1, s)},
                          dataclasses.replace(s, bounds=bounds))
        if isinstance(lo, sp.Basic):
            bounds = s.bounds[:k] + ((v, lo - 1, hi),) + s.bounds[k + 1:]
            yield Mistake("bounds_cut", "m.bounds_cut_low", {"var": str(v), "bound": _text(lo, s),
                                                             "term": _text(lo - 1, s)},
                          dataclasses.replace(s, bounds=bounds))
    # one factor's index shifted: every spatial axis by the same amount, then one axis (the factor that holds
    # the entry's own index first: its shift is the one a student makes)
    own = set(s.free)
    order = sorted(plain, key=lambda f: not any(index_expr(e).free_symbols & own for e in f.index[2:]))
    for f in order:
        axes = list(_spatial(s, f))
        for group in [axes] + ([[a] for a in axes] if len(axes) > 1 else []):
            for d in (1, -1, 2, -2):
                index = tuple(sp.expand(index_expr(e) + d) if a in group else e
                              for a, e in enumerate(f.index))
                yield Mistake("shifted_index", "m.shifted_index", {
                    "k": str(abs(d)), "var": ", ".join(_var(s, f.index[a]) for a in group),
                    "wrote": _shown(s, f, f.index), "right": _shown(s, f, index)}, _with_index(s, f, index))
    # an offset's sign flipped: b + r where b - r belongs, b the letter it moves along (i in i+m-1)
    for f in order:
        axes = [a for a in _spatial(s, f) if len(index_expr(f.index[a]).free_symbols) > 1]
        for group in [axes] + ([[a] for a in axes] if len(axes) > 1 else []):
            if not group:
                continue
            index = list(f.index)
            for a in group:
                e = sp.expand(index_expr(f.index[a]))
                v = next(x for x in e.free_symbols if str(x) == _var(s, e))
                index[a] = sp.expand(2 * e.coeff(v) * v - e)
            yield Mistake("flipped_sign", "m.flipped_sign", {
                "var": ", ".join(_var(s, f.index[a]) for a in group),
                "wrote": _shown(s, f, f.index), "right": _shown(s, f, index)},
                _with_index(s, f, tuple(index)))
