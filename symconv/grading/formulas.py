r"""Problem 1's formula answers: ∂L/∂x and ∂L/∂h written as closed forms, graded for every size.

Two answer labels hold formulas (every other ``ans:`` label holds numbers, see :mod:`.grade`):

- ``\label{ans:dL_dx_formula}``: a formula for ∂L/∂x;
- ``\label{ans:dL_dh_formula}``: a formula for ∂L/∂h.

Each is read in the homework's notation, translated into the grammar of :mod:`symconv.proof.grammar`, and
proved or refuted as read (the tree itself, never a reprint of it) by :func:`~symconv.proof.claims.prove_form`
for problem 1's convolution (:func:`~symconv.homework.solution.problem1_spec`: 3×3 kernel, padding 1, stride 1,
the homework's channel counts) for every batch size, channel count and input size, within a claim's limits
and 2 s. A refutation carries the smallest
counterexample; a wrong formula also names the mistake when one of the usual ones explains it exactly: the
formula with that one mistake corrected is itself proved (see :func:`diagnose`).

How the homework's notation is read (everything else is the claim grammar, symconv's printed forms
included):

========================================================  ========================================================
written                                                   read as
========================================================  ========================================================
``\frac{\partial L}{\partial y}``, ``\frac{dL}{dy}``,      g (∂L/∂y); ``\mathbf{y}``, ``\mathcal{L}`` too; a channel
``\partial L/\partial y``, ``\delta``, ``\nabla_y L``      subscript (``y_o``, ``x_c``) reads it per channel, strictly
                                                          (:mod:`.channel_forms`)
``A \otimes B`` (also ``\star``, ``\ast``, ``*``,          the homework's template operation: a correlation that
``\operatorname{conv}(A, B)``)                            pads A by the problem's padding (1) unless the formula
                                                          states a padding; for ∂L/∂h it sums over the batch
``h^{\text{rotate } 180^\circ}``, ``h^{rot180}``,          rot180(h)
``\mathrm{rot180}(h)``, ``\operatorname{rot}_{180}(h)``,
``\operatorname{flip}(h)``, ``\mathrm{rot}(h, 180^\circ)``
``h^T``, ``h^{\top}``, ``\operatorname{swap}(h)``,         swap_io(h) (the kernel's channel axes exchanged)
``h_{c,o}`` (input channel first), ``\sum_o`` with
``h_{o,c}`` (the per-channel form)
``\operatorname{pad}_1(A)``, ``\mathrm{pad}(A, 1)``,       pad(A, 1); a stated padding (``padding 1``, ``p = 1``,
``\text{padding } 1``, ``填充 1``, ``same``/``full``       ``same`` = 1, ``full`` = K − 1) pads the first operand
========================================================  ========================================================

For ∂L/∂h, ``∂L/∂y ⊗ x`` (∂L/∂y first, as the homework's formula (6) writes it) gives the kernel's channel
axes in (C_in, C_out) order; it is read with them exchanged back, as :mod:`symconv.proof.seed` reads (6).

The text is only read by regular expressions and the claim parser: never evaluated.

>>> print(read_formula(r"\frac{\partial L}{\partial y} \otimes \mathrm{rot180}(h^T)", "x", ConvSpec(2, 2, 3, padding=1)))
correlate(pad(g, 1), rot180(swap_io(h)))
>>> print(read_formula(r"x \otimes \frac{\partial L}{\partial y}", "h", ConvSpec(2, 2, 3, padding=1)))
batch_correlate(pad(x, 1), g)
"""

from __future__ import annotations

import dataclasses
import functools
import re
from typing import Any, Callable

from ..derivation import ops
from ..derivation.spec import ConvSpec
from ..errors import SymconvError
from .answers import time_budget
from ..proof.claims import ClaimError, ClaimProof, parse, prove_form, size_values
from ..proof.index_sums import IndexSum
from ..proof.witness import MAX_ENTRIES

PARTS = {"dL_dx_formula": "x", "dL_dh_formula": "h"}
TARGETS = {"x": "grad_input", "h": "grad_weight"}
#: The mistakes a formula's verdict can name; each one's sentence is ``m.KEY`` in :mod:`symconv.wording`.
#: Corrected formulas proved at most, to name a formula's mistakes (each proof takes about a millisecond).
MAX_DIAGNOSES = 600
MISTAKES = ("no_rotation", "extra_rotation", "no_swap", "extra_swap", "pad_off_by_one", "no_dilation",
            # named in index sums only (:func:`symconv.proof.index_judge.explain`)
            "missing_channel_sum", "missing_batch_sum", "missing_sum", "bounds_cut", "shifted_index",
            "flipped_sign")


# ------------------------------------------------------------------------------------------ reading

_INSIDE = r"(?:[^{}]|\{(?:[^{}]|\{[^{}]*\})*\})*"     # what a {group} holds: groups two deep
_BRACED = r"\{" + _INSIDE + r"\}"


def _strip_answer(text: str) -> str:
    """The formula: labels, alignment and sizing commands dropped, the right-hand side of the last ``=``."""
    from ..proof.index_reader import expand_macros
    text = expand_macros(text)
    text = re.sub(r"\\(?:label|tag\*?)\s*\{[^{}]*\}|\\nonumber|\\notag|\\displaystyle|\\limits", " ", text)
    text = re.sub(r"(?<!\\)%.*", " ", text)
    text = text.replace("&", " ").replace("\\\\", " ")
    text = re.sub(r"\\[,;:! ]|\\q?quad(?![A-Za-z])|~", " ", text)    # TeX's spaces: a space
    text = re.sub(r"\\(?:left|right)\s*\.", " ", text)
    text = re.sub(r"\\(?:left|right|bigl|bigr|Bigl|Bigr|biggl|biggr|big|Big|bigg|Bigg)(?![A-Za-z])", " ", text)
    text = re.sub(r"\\[dt]frac(?![A-Za-z])", r"\\frac", text)
    text = re.sub(r"\\(?:mathbf|boldsymbol|bm|mathit|mathcal|vec)\s*\{\s*([A-Za-z])\s*\}", r"\1", text)
    text = re.sub(r"\\(?:mathbf|boldsymbol|bm)\s+([A-Za-z])\b", r"\1", text)
    return text


_WORD = r"\\(?:text|textrm|mathrm|mbox|textit|operatorname\*?)\s*\{(" + _INSIDE + r")\}"
_PAD_WORDS = re.compile(r"padding|padded|\bpad\b|填充|补零|零填充|补\s*0", re.I)


_QUALIFIER = re.compile(r"\\(?:text|textrm|mbox)\s*\{\s*[,，;；:：]?\s*(?:where|with|i\.\s*e\.|其中|即|这里)", re.I)


_OPTION_WORDS = re.compile(r"(padding|padded|\bpad\b|填充|补零|零填充|补\s*0|\bvalid\b|strides?|步长|步幅|"
                           r"dilations?|dilated|膨胀|空洞|扩张|groups?\b|分组|组数)", re.I)
_NUMBER = re.compile(r"[-−]?\s*\d+(?:\.\d+)?")
_SIDE = re.compile(r"([-−]?\s*\d+)\s*(?:on\s+)?(?:the\s+)?(left|top|low|start|before|左|上|前|right|bottom|high|end|"
                   r"after|右|下|后)", re.I)


def _integer(number: str, what: str) -> int:
    value = number.replace("−", "-").replace(" ", "")
    if not re.fullmatch(r"-?\d+", value):
        raise ClaimError(f"the formula states {what} {value}, which is not an integer: not read")
    return int(value)


def _option(key: str, segment: str, spec: ConvSpec, before: str = "") -> Any:
    """The value one stated option gives (``segment`` is the text after its word, up to the next option word;
    ``before`` the words before it, as in "no padding" or "full padding"): a padding (an integer, negative = a
    crop, or ``(low, high)``), a stride, dilation or group count."""
    numbers = _NUMBER.findall(segment)
    low_text = (before + " " + segment).lower()
    if key == "padding":
        sides = _SIDE.findall(segment)
        if len(numbers) == 2 and len(sides) == 2:
            ends = {("high" if w.lower() in ("right", "bottom", "high", "end", "after", "右", "下", "后") else "low"):
                    _integer(n, "padding") for n, w in sides}
            if len(ends) == 2:
                return (ends["low"], ends["high"])
        if len(numbers) > 1:
            raise ClaimError(f"the formula states a padding it does not read ({' '.join(segment.split())[:60]})")
        if numbers:
            return _integer(numbers[0], "padding")
        if "same" in low_text:
            return int(spec.pads[0][0])
        if "full" in low_text:
            return int(spec.kernel_size[0]) - 1
        if "valid" in low_text or "no " in low_text or "无" in low_text:
            return 0
        return None
    if len(numbers) != 1:
        raise ClaimError(f"the formula states a {key} it does not read ({' '.join(segment.split())[:60]})")
    value = _integer(numbers[0], key)
    if value < 1:
        raise ClaimError(f"the formula states {key} {value}: it must be at least 1")
    return value


def _stated_padding(text: str, spec: ConvSpec) -> tuple[str, Any, dict[str, int]]:
    r"""The text without its statements of the operation's parameters (``\text{padding } 1``, ``(p = 1)``,
    ``填充 1``, ``\text{(stride 2)}``, ``\text{(valid)}`` ...), the padding it states (``same`` is the problem's,
    ``full`` is K − 1, ``valid`` or ``no padding`` 0, a negative one a crop, ``1 on the left, 2 on the right``
    the pair (1, 2)) and the other parameters it states (stride, dilation, groups). A stated parameter becomes
    part of the formula that is proved, never dropped: one it cannot read (``padding 1.5``) raises
    :class:`ClaimError`, so that the answer is unparsed naming it."""
    found: list[Any] = []
    options: dict[str, list[int]] = {}

    def word(m: re.Match[str]) -> str:
        inner = m.group(1)
        after = m.group(2) or ""
        said = list(_OPTION_WORDS.finditer(inner))
        if not said or m.group(3):                               # pad followed by '_' or '(' is an operator
            return m.group(0)
        read_any = False
        for k, w in enumerate(said):
            end = said[k + 1].start() if k + 1 < len(said) else len(inner)
            segment = inner[w.end():end] + (after if k + 1 == len(said) else "")
            name = w.group(1).lower()
            if re.match(r"stride|步", name):
                key = "stride"
            elif re.match(r"dilat|膨胀|空洞|扩张", name):
                key = "dilation"
            elif re.match(r"group|分组|组数", name):
                key = "groups"
            else:
                key = "padding"
            if name == "valid":
                segment = "valid"
            value = _option(key, segment, spec, inner[said[k - 1].end() if k else 0:w.start()])
            if value is None:
                continue
            read_any = True
            if key == "padding":
                found.append(value)
            else:
                options.setdefault(key, []).append(value)
        return " " if read_any else m.group(0)
    text = re.sub(_WORD + r"(\s*[=:：]?\s*\$?\s*[-−]?\d+(?:\.\d+)?)?(\s*[_(])?", word, text)
    # "(p = 1)" at the end: searched in the last 200 characters only, with each space matched by one part of
    # the pattern (a run of 5,000 spaces took the overlapping \s* minutes to try)
    tail = len(text) - len(text[-200:])
    m = re.search(r"[,;]?(?:\s|\\q?quad|\\[,;:]|~)*(?:\(\s*)?(?:p|P|padding|pad)\s*=\s*([-−]?\d+(?:\.\d+)?)"
                  r"(?:\s*\))?(?:\s*[.,;])?\s*$", text[tail:])
    if m:
        found.append(_integer(m.group(1), "padding"))
        text = text[:tail + m.start()]
    if len(set(found)) > 1:
        raise ClaimError(f"the formula states two paddings ({', '.join(map(str, sorted(set(found), key=str)))})")
    for key, values in options.items():
        if len(set(values)) > 1:
            raise ClaimError(f"the formula states two values of {key} ({', '.join(map(str, sorted(set(values))))})")
    text = re.sub(r"\(\s*[,;]?\s*\)", " ", text)             # what a statement in parentheses leaves
    return text, (found[0] if found else None), {k: v[0] for k, v in options.items()}


_G = (r"\\frac\s*\{\s*(?:\\partial|d|\\mathrm\s*\{\s*d\s*\}|∂)\s*(?:L|E|J|\\ell)\s*\}\s*"
      r"\{\s*(?:\\partial|d|\\mathrm\s*\{\s*d\s*\}|∂)\s*[yY]\s*(?:_\s*(?:\{[^{}]*\}|[A-Za-z0-9]))?\s*\}"
      r"|(?:\\partial|∂|d)\s*(?:L|E|\\ell)\s*/\s*(?:\\partial|∂|d)\s*[yY](?![A-Za-z])"
      r"|\\nabla\s*_\s*(?:\{\s*[yY]\s*\}|[yY])\s*(?:L|E|\\ell)(?![A-Za-z])"
      r"|\\partial\s*_\s*(?:\{\s*[yY]\s*\}|[yY])\s*L(?![A-Za-z])"
      r"|\\delta(?![A-Za-z])(?:\s*_\s*(?:\{\s*[yY]\s*\}|[yY]))?(?:\s*\^\s*\{\s*\(\s*l\s*\)\s*\})?")
_ROT = re.compile(r"rot|flip|180|旋转|翻转", re.I)
_T = re.compile(r"(?:^|[\s,{}])(?:T|\\top|\\intercal|\\mathsf\s*\{\s*T\s*\}|\\mathrm\s*\{\s*T\s*\}|"
                r"\\text\s*\{\s*T\s*\}|'|swap)(?=$|[\s,{}])")
_OPWORDS = {"rot": "rot", "rot180": "rot", "rotate": "rot", "rotate180": "rot", "rot180°": "rot", "flip": "rot",
            "flip180": "rot", "rotation": "rot", "swap": "swap", "swapio": "swap", "swap_io": "swap",
            "transpose": "swap", "pad": "pad", "zeropad": "pad", "padding": "pad", "conv": "conv",
            "conv2d": "conv", "corr": "conv", "corr2d": "conv", "xcorr": "conv", "correlate": "correlate",
            "batch_correlate": "batch_correlate", "dilate": "dilate", "sum": "sum", "sum_axes": "sum_axes"}
_TOKENS = [
    ("space", re.compile(r"\s+|\\[,;:! ]|\\q?quad(?![A-Za-z])|~")),
    ("g", re.compile(_G)),
    # Limits may hold braces two deep: \sum_{o=0}^{C_{\mathrm{out}}-1}.
    ("sum", re.compile(rf"\\sum(?![A-Za-z])\s*(?:_\s*({_BRACED}|[A-Za-z]))?(?:\s*\^\s*(?:{_BRACED}|\S))?")),
    ("word", re.compile(_WORD)),
    ("word", re.compile(r"(batch_correlate|correlate|swap_io|sum_axes|rot180|rotate|rot|flip|swap|pad|dilate|"
                        r"conv2d|conv|xcorr|corr)(?![A-Za-z0-9])")),
    ("otimes", re.compile(r"\\otimes(?![A-Za-z])|⊗|\\star(?![A-Za-z])|\\ast(?![A-Za-z])|\\circledast(?![A-Za-z])"
                          r"|\*")),
    ("sup", re.compile(r"\^\s*(" + _BRACED + r"|\\[A-Za-z]+|.)")),
    ("sub", re.compile(r"_\s*(\{(?:[^{}]|\{[^{}]*\})*\}|\\[A-Za-z]+|[A-Za-z0-9])")),
    ("tensor", re.compile(r"[xhgX](?![A-Za-z])")),
    ("(", re.compile(r"\(|\\\{")),
    (")", re.compile(r"\)|\\\}")),
    ("other", re.compile(r"\\[A-Za-z]+|[0-9]+|[A-Za-z]+|.")),
]
_IN = {"c", "i", "ci", "cin", "c_in", "c_i", "in", "k"}
_OUT = {"o", "j", "co", "cout", "c_out", "c_o", "out", "m"}


def _unbrace(s: str) -> str:
    s = s.strip()
    return s[1:-1].strip() if s.startswith("{") and s.endswith("}") else s


def _channel_pair(sub: str) -> tuple[str, str] | None:
    text = re.sub(r"\\(?:text|mathrm)\s*\{([^{}]*)\}", r"\1", _unbrace(sub)).replace(" ", "")
    text = re.sub(r"[{}]", "", text)
    parts = text.split(",") if "," in text else list(text) if len(text) == 2 else [text]
    return (parts[0].lower(), parts[1].lower()) if len(parts) == 2 else None


@dataclasses.dataclass(frozen=True)
class _Channels:
    """The channels a formula states: each operand's channel subscript (tensor, written) in the order
    written, and the indices under Σ. ``stated`` when g or x carries one (or the left side does): the formula
    is then read per channel (:mod:`.channel_forms`), strictly."""

    subs: tuple[tuple[str, str], ...] = ()
    summed: tuple[str, ...] = ()
    stated: bool = False


def _translate(text: str, lhs_channels: bool = False) -> tuple[str, bool, _Channels]:
    """The formula in the claim grammar, whether it used the homework's operation (⊗ and its spellings,
    conv) rather than symconv's explicit ``correlate``, and the channels it states."""
    toks: list[list[str]] = []            # [kind, text] in the claim grammar: atom, call, (, ), otimes, raw
    summed: set[str] = set()
    summed_all: list[str] = []
    subs: list[tuple[str, str]] = []
    h_pairs: list[tuple[int, tuple[str, str]]] = []
    homework_op, pos = False, 0
    while pos < len(text):
        for kind, rule in _TOKENS:
            m = rule.match(text, pos)
            if m:
                break
        pos = m.end()                                                  # type: ignore[union-attr]
        word = m.group(0)                                              # type: ignore[union-attr]
        if kind == "space":
            continue
        if kind == "g":
            toks.append(["atom", "g"])
            inner = re.search(r"[yY]\s*_\s*(\{[^{}]*\}|[A-Za-z0-9])", word)
            if inner and not word.startswith("\\delta"):
                subs.append(("g", inner.group(1)))                     # ∂L/∂y_o: g's channel
        elif kind == "tensor":
            toks.append(["atom", word.lower()])
        elif kind == "sum":
            if m.group(1):                                             # type: ignore[union-attr]
                summed.add(re.split(r"[=\s]", _unbrace(m.group(1)))[0].lower())  # type: ignore[union-attr]
                summed_all.extend(n.strip().lower() for n in re.split(r"=", _unbrace(
                    m.group(1)))[0].split(","))                        # type: ignore[union-attr]
        elif kind == "word":
            name = _OPWORDS.get((m.group(1) or "").replace(" ", "").replace("\\", "").lower())  # type: ignore
            if name is None:
                continue                                               # text around the maths
            if name in ("correlate", "batch_correlate", "dilate", "sum_axes"):
                toks.append(["call", name])
            elif name == "conv":
                homework_op = True
                toks.append(["call", "conv"])
            elif name != "sum":
                toks.append(["call", name, ""])
        elif kind == "otimes":
            homework_op = True
            toks.append(["otimes", r"\otimes"])
        elif kind == "sup":
            toks.append(["sup", _unbrace(m.group(1))])                 # type: ignore[union-attr]
        elif kind == "sub":
            toks.append(["sub", m.group(1)])                           # type: ignore[union-attr]
        elif kind in "()":
            toks.append([kind, kind])
        else:
            toks.append(["raw", word])
    # subscripts: an operator's (rot_{180}, pad_{1}, swap_{io}), a tensor's (channels, rot)
    out: list[list[str]] = []
    for t in toks:
        prev = out[-1] if out else None
        if t[0] == "sub" and prev is not None and prev[0] == "call" and len(prev) == 3:
            prev[2] = _unbrace(t[1])
            continue
        if t[0] == "sub" and prev is not None and prev[0] == "atom":
            content = _unbrace(t[1])
            if _ROT.search(content):
                out.append(["sup", "rot"])
            elif prev[1] == "h":
                subs.append(("h", t[1]))
                pair = _channel_pair(t[1])
                if pair is None:
                    raise ClaimError(f"h_{{{content}}}: expected two channel indices such as h_{{o,c}}")
                h_pairs.append((len(out) - 1, pair))
            else:
                subs.append((prev[1], t[1]))                           # a channel index of g or x
            continue
        if t[0] == "sup" and prev is not None and prev[0] == "call":
            if _ROT.search(t[1]):
                continue                                               # \operatorname{rot}^{180}
        out.append(t)
    # channels are stated when g or x carries one, or when the left side does and this side indexes h
    channels = _Channels(tuple(subs), tuple(summed_all),
                         any(t in ("g", "x") for t, _ in subs) or (lhs_channels and bool(subs)))
    if channels.stated:                  # read per channel by .channel_forms: no swap inferred from names
        return " ".join(_emit(_postfix(out))), homework_op, channels
    for i, (a, b) in h_pairs:
        if summed:
            swap = a in summed and b not in summed
            if not swap and not (b in summed and a not in summed):
                raise ClaimError(f"h_{{{a},{b}}}: neither index is the summed channel "
                                 f"({', '.join(sorted(summed))})")
        elif a in _IN and b in _OUT:
            swap = True
        elif a in _OUT and b in _IN:
            swap = False
        else:
            raise ClaimError(f"h_{{{a},{b}}}: cannot tell the input channel from the output channel "
                             f"(write h_{{o,c}} or h_{{c,o}})")
        if swap:
            out[i:i + 1] = [["call", "swap", ""], ["(", "("], ["atom", "h"], [")", ")"]]
            h_pairs = [(j + 3 if j > i else j, p) for j, p in h_pairs]
    out = _postfix(out)
    return " ".join(_emit(out)), homework_op, channels


def _span_start(toks: list[list[str]], end: int) -> int:
    """Where the operand ending at ``end`` (inclusive) begins: an atom, or ( ... ) with its call."""
    if toks[end][0] != ")":
        return end
    depth = 0
    for i in range(end, -1, -1):
        depth += toks[i][0] == ")"
        depth -= toks[i][0] == "("
        if depth == 0:
            return i - 1 if i > 0 and toks[i - 1][0] == "call" else i
    raise ClaimError("')' has no matching '('")


def _postfix(toks: list[list[str]]) -> list[list[str]]:
    """``A^{T}``, ``A^{rot 180°}``: the superscript's operators put in front of A."""
    out: list[list[str]] = []
    for t in toks:
        if t[0] != "sup":
            out.append(t)
            continue
        content = t[1]
        rot, swap = bool(_ROT.search(content)), bool(_T.search(" " + content + " "))
        if not (rot or swap) or not out or out[-1][0] not in ("atom", ")"):
            raise ClaimError(f"superscript ^{{{content}}}: expected a rotation (^{{rot180}}) or a channel "
                             f"swap (^T)")
        start = _span_start(out, len(out) - 1)
        inner = out[start:]
        for name, on in (("swap", swap), ("rot", rot)):
            if on:
                inner = [["call", name, ""], ["(", "("]] + inner + [[")", ")"]]
        out[start:] = inner
    # an operator written without parentheses takes the operand that follows it
    i = 0
    while i < len(out):
        if out[i][0] == "call" and (i + 1 >= len(out) or out[i + 1][0] != "("):
            j = i + 1
            if j >= len(out):
                raise ClaimError(f"{out[i][1]}: nothing to apply it to")
            end = j
            if out[j][0] == "call":
                depth = 0
                for end in range(j + 1, len(out)):
                    depth += out[end][0] == "("
                    depth -= out[end][0] == ")"
                    if depth == 0:
                        break
            elif out[j][0] == "(":
                depth = 0
                for end in range(j, len(out)):
                    depth += out[end][0] == "("
                    depth -= out[end][0] == ")"
                    if depth == 0:
                        break
            out[j:end + 1] = [["(", "("]] + out[j:end + 1] + [[")", ")"]]
        i += 1
    return out


def _emit(toks: list[list[str]]) -> list[str]:
    words: list[str] = []
    for i, t in enumerate(toks):
        if t[0] == "call":
            name = t[1]
            if name == "rot":
                words.append("rot180")
            elif name == "swap":
                words.append("swap_io")
            elif name == "pad":
                width = re.sub(r"[{}]", "", t[2]) if len(t) > 2 else ""
                if width:
                    words.append(rf"\operatorname{{pad}}_{{{width}}}")
                else:
                    words.append("pad")                                 # pad(A, w)
            elif name == "conv":
                words.append("CONV")
            else:
                words.append(name)
        else:
            words.append(t[1])
    text = " ".join(words)
    # conv(A, B) is A ⊗ B: the homework's operation
    while "CONV" in text:
        text = re.sub(r"CONV\s*\(", "__CONV__(", text, count=1)
        start = text.index("__CONV__(") + len("__CONV__(")
        depth, comma = 1, None
        for k in range(start, len(text)):
            if text[k] == "(":
                depth += 1
            elif text[k] == ")":
                depth -= 1
                if depth == 0:
                    break
            elif text[k] == "," and depth == 1 and comma is None:
                comma = k
        if comma is None:
            raise ClaimError("conv(A, B): expected two operands")
        text = text[:comma] + r" \otimes " + text[comma + 1:]
        text = text.replace("__CONV__(", "(", 1)
    return [text]


def _walk(expr: ops.Expr, fn: Callable[[ops.Expr], ops.Expr | None]) -> ops.Expr:
    """``expr`` with ``fn`` applied top-down: where it returns a tree, that replaces the node."""
    new = fn(expr)
    if new is not None:
        return new
    changes = {f.name: _walk(getattr(expr, f.name), fn) for f in dataclasses.fields(expr)  # type: ignore
               if isinstance(getattr(expr, f.name), ops.Expr)}
    return dataclasses.replace(expr, **changes) if changes else expr  # type: ignore[type-var]


def _nodes(expr: ops.Expr) -> list[ops.Expr]:
    out = [expr]
    for f in dataclasses.fields(expr):  # type: ignore[arg-type]
        v = getattr(expr, f.name)
        if isinstance(v, ops.Expr):
            out += _nodes(v)
    return out


def _leaves(expr: ops.Expr) -> set[str]:
    return {n.name for n in _nodes(expr) if isinstance(n, ops.Tensor)}


def _sides(text: str) -> list[str]:
    """The sides of ``A = B = …`` split at each ``=`` outside braces and parentheses."""
    depth, cut, out = 0, 0, []
    for i, ch in enumerate(text):
        if ch in "{([":
            depth += 1
        elif ch in "})]":
            depth -= 1
        elif ch == "=" and depth == 0 and (i == 0 or text[i - 1] != "\\"):
            out.append(text[cut:i])
            cut = i + 1
    out.append(text[cut:])
    return [side.strip().rstrip(".,;").strip() for side in out]


_LHS_SUB = re.compile(r"(?:\\partial|∂|d)\s*[xhXH]\s*_\s*(\{(?:[^{}]|\{[^{}]*\})*\}|[A-Za-z])")


def read_formula(latex: str, wrt: str, spec: ConvSpec) -> ops.Expr:
    """The closed form a formula answer states for ∂L/∂wrt (``x`` or ``h``), read as the module explains:
    its last side. Raises :class:`~symconv.proof.claims.ClaimError` for a formula it cannot read."""
    last = read_sides(latex, wrt, spec)[-1]
    if isinstance(last, ClaimError):
        raise last
    return last


def read_sides(latex: str, wrt: str, spec: ConvSpec) -> list[ops.Expr | ClaimError]:
    """Every right-hand side of ``∂L/∂x = A = B = …`` read (or the reason it cannot be), in order. A side
    with channel subscripts is an :class:`~symconv.proof.index_sums.IndexSum` (:mod:`.channel_forms`)."""
    text, stated, options = _stated_padding(_strip_answer(latex), spec)
    cut = _QUALIFIER.search(text)            # "\text{，其中 } h^T \text{ 表示 ...}": a remark to the end
    sides = _sides(text[:cut.start()] if cut else text)
    lhs, rights = (sides[0], sides[1:]) if len(sides) > 1 else ("", sides)
    m = _LHS_SUB.search(lhs)
    from .channel_forms import channel_names
    out: list[ops.Expr | ClaimError] = []
    for side in rights:
        try:
            names = channel_names(m.group(1)) if m else []
            out.append(_read_side(side, names, stated, options, wrt, spec))
        except ClaimError as exc:
            out.append(exc)
    return out


def channel_mistakes(latex: str, wrt: str, spec: ConvSpec) -> tuple[str, ...]:
    """The usual mistake whose correction makes a per-channel formula's last side proved (see
    :func:`.channel_forms.variants`); () when none does."""
    from ..proof.index_judge import holds
    from .channel_forms import to_index_sum, variants
    text, stated, options = _stated_padding(_strip_answer(latex), spec)
    cut = _QUALIFIER.search(text)
    sides = _sides(text[:cut.start()] if cut else text)
    m = _LHS_SUB.search(sides[0]) if len(sides) > 1 else None
    from .channel_forms import channel_names
    lhs = channel_names(m.group(1)) if m else []
    recipe: list[Any] = []
    _read_side(sides[-1], lhs, stated, options, wrt, spec, recipe)
    if not recipe:
        return ()
    form, channels, width, side = recipe
    for name, fixed, subs, w in variants(form, channels.subs, width, spec.ndim):
        try:
            if holds(spec, to_index_sum(fixed, subs, lhs, channels.summed, spec, wrt, w, side)):
                return (name,)
        except ClaimError:
            continue
    return ()


def _read_side(text: str, lhs: list[str], stated: int | tuple[int, int] | None, options: dict[str, int],
               wrt: str, spec: ConvSpec, recipe: list[Any] | None = None) -> ops.Expr:
    """One right-hand side read; ``lhs`` holds the left side's channel indices, ``stated`` and ``options`` the
    padding and the stride, dilation or groups a remark states. A per-channel side also leaves what it was read
    from in ``recipe`` (to name a mistake)."""
    text = re.sub(r",\s*180\s*(?:\^\s*\{?\s*\\circ\s*\}?|°|\\degree)?\s*\)", ")", text)   # rot(h, 180°)
    if not text:
        raise ClaimError("the formula is empty")
    try:
        form, homework_op = parse(text, spec.ndim), not re.search(r"correlate\s*\(", text)
    except ClaimError as first:
        try:
            claim, homework_op, channels = _translate(text, bool(lhs))
            form = parse(claim, spec.ndim)
        except ClaimError as exc:
            raise (first if "unknown" in str(exc) or "unexpected" in str(exc) else exc) from None
        if channels.stated:
            from .channel_forms import to_index_sum
            if options or isinstance(stated, tuple):
                # a per-channel ⊗ is read at stride 1, one group, the same padding on both sides; never ignored
                raise ClaimError("a formula with channel subscripts states a stride, dilation, groups or an uneven "
                                 "padding, which this reader cannot combine")
            width = stated if stated is not None else spec.pads[0][0] if homework_op else 0
            if recipe is not None:
                recipe[:] = [form, channels, int(width), text]
            return to_index_sum(form, channels.subs, lhs, channels.summed, spec, wrt, int(width), text)
    has_pad = any(isinstance(n, ops.Pad) for n in _nodes(form))
    width = stated if stated is not None else None if has_pad or not homework_op else spec.pads[0][0]
    widths = None if width is None else (width if isinstance(width, tuple) else (width, width))

    def reading(e: ops.Expr) -> ops.Expr | None:
        if not isinstance(e, ops.Correlate | ops.BatchCorrelate):
            return None
        data, kernel = e.data, e.kernel
        if widths is not None:
            data = ops.Pad(data, (widths,) * spec.ndim) if widths != (0, 0) else data
        cls = type(e)
        if wrt == "h" and homework_op and cls is ops.Correlate:
            cls = ops.BatchCorrelate
        stride = (options["stride"],) * spec.ndim if "stride" in options else e.stride
        dilation = (options["dilation"],) * spec.ndim if "dilation" in options else e.dilation
        new: ops.Expr = cls(data, kernel, stride, dilation, options.get("groups", e.groups))
        if wrt == "h" and homework_op and "g" in _leaves(e.data) and "x" in _leaves(e.kernel):
            new = ops.SwapIO(new)                # ∂L/∂y ⊗ x: (C_in, C_out) back to the kernel's order
        return new
    if width is not None or options or (wrt == "h" and homework_op):
        # every outermost ⊗ of the formula is the operation read (A + A: both), stated parameters included
        if any(isinstance(n, ops.Correlate | ops.BatchCorrelate) for n in _nodes(form)):
            form = _walk(form, reading)
        elif width or options:
            raise ClaimError("a padding is stated but the formula has no ⊗ to apply it to")
    return form


# ------------------------------------------------------------------------------------------ judging

@functools.lru_cache(maxsize=8)
def true_forms(spec: ConvSpec) -> dict[str, ops.Expr]:
    from ..derivation.forms import derive_forms
    d = derive_forms(spec)
    return {"x": d.grad_input, "h": d.grad_weight}


def _proves(spec: ConvSpec, wrt: str, form: ops.Expr) -> bool:
    try:
        return prove_form(spec, wrt, form).ok
    except SymconvError:
        return False


def concrete_counterexample(spec: ConvSpec, wrt: str, form: ops.Expr) -> str | None:
    """For a formula the affine reading cannot express: the first of a few small sizes where it differs
    from the true closed form on random integers (exact arithmetic), described; None when none differs."""
    import numpy as np

    from ..derivation.numeric import conv
    rng = np.random.default_rng(13)
    truth = true_forms(spec)[wrt]
    kernel = tuple(int(k) for k in spec.kernel_size)                       # type: ignore[union-attr]
    for n, c_in, c_out, size in ((1, spec.in_channels, spec.out_channels, 4), (1, 1, 2, 3), (2, 2, 3, 5)):
        small = dataclasses.replace(spec, in_channels=c_in, out_channels=c_out)
        x = rng.integers(-9, 10, (n, c_in) + (size,) * spec.ndim).astype(object)
        h = rng.integers(-9, 10, (c_out, c_in) + kernel).astype(object)
        g = rng.integers(-9, 10, conv(x, h, small).shape).astype(object)
        env = {"x": x, "h": h, "g": g}
        want = truth.evaluate(env)
        where = f"at N = {n}, C_in = {c_in}, C_out = {c_out}, input {'x'.join([str(size)] * spec.ndim)}"
        sizes = size_values(small, n, (size,) * spec.ndim)
        try:
            if ops.largest(form, {k: v.shape for k, v in env.items()}, sizes) > MAX_ENTRIES:
                return None                  # too large to evaluate here: the formula stays undecided
            got = form.evaluate(env, sizes)
        except (ValueError, IndexError, KeyError, ZeroDivisionError, SymconvError) as exc:
            return f"{where}: the formula cannot be evaluated ({exc})"
        if got.shape != want.shape:
            return f"{where}: the formula's result has shape {got.shape} but ∂L/∂{wrt} has {want.shape}"
        for idx in np.ndindex(*want.shape):
            if got[idx] != want[idx]:
                return (f"{where} on random integers: ∂L/∂{wrt}{list(map(int, idx))} is {want[idx]}, the "
                        f"formula gives {got[idx]}")
    return None


def _fixes(spec: ConvSpec, wrt: str, form: ops.Expr) -> list[tuple[str, ops.Expr]]:
    """Single corrections of ``form``, each named by the mistake it undoes."""
    nodes = _nodes(form)
    has_rot = any(isinstance(n, ops.Rot180) for n in nodes)
    has_swap = any(isinstance(n, ops.SwapIO) for n in nodes)
    out: list[tuple[str, ops.Expr]] = []

    def substitute(name: str, wrap: Callable[[ops.Expr], ops.Expr]) -> ops.Expr:
        return _walk(form, lambda e: wrap(e) if isinstance(e, ops.Tensor) and e.name == name else None)
    # rot180 and swap_io are involutions: replacing h by rot180(h) adds a missing rotation or undoes one
    for name in ("h", "g", "x"):
        if name in _leaves(form) and name != wrt:
            out.append(("extra_rotation" if has_rot else "no_rotation",
                        substitute(name, lambda e: ops.Rot180(e, spec.ndim))))
    if wrt == "x" and "h" in _leaves(form):
        out.append(("extra_swap" if has_swap else "no_swap", substitute("h", lambda e: ops.SwapIO(e))))
    if wrt == "h":
        out.append(("extra_swap" if has_swap else "no_swap", ops.SwapIO(form)))
    pads = [n for n in nodes if isinstance(n, ops.Pad)]
    for p in pads:
        for dlo, dhi in ((1, 1), (-1, -1), (1, -1), (-1, 1)):
            widths = tuple((lo + dlo, hi + dhi) for lo, hi in p.widths)  # type: ignore[operator]
            out.append(("pad_off_by_one", _walk(form, lambda e, p=p, widths=widths:
                                                ops.Pad(e.arg, widths) if e is p else None)))  # type: ignore
    if not pads:
        corr = [n for n in nodes if isinstance(n, ops.Correlate | ops.BatchCorrelate)]
        if corr:
            c = corr[0]
            out.append(("pad_off_by_one", _walk(form, lambda e: dataclasses.replace(
                e, data=ops.Pad(e.data, ((1, 1),) * spec.ndim)) if e is c else None)))  # type: ignore
    if any(s != 1 for s in spec.stride) and not any(isinstance(n, ops.Dilate) for n in nodes):
        if wrt == "x":
            out.append(("no_dilation", substitute("g", lambda e: ops.Dilate(e, tuple(spec.stride)))))
        else:
            out.append(("no_dilation", _walk(form, lambda e: dataclasses.replace(e, dilation=tuple(spec.stride))
                                             if isinstance(e, ops.BatchCorrelate) else None)))  # type: ignore
    return out


def diagnose(spec: ConvSpec, wrt: str, form: ops.Expr) -> tuple[str, ...]:
    """The mistakes (one, or two together) whose correction makes ``form`` proved for every size; () when
    none of :data:`MISTAKES` explains it.

    >>> spec = ConvSpec(2, 2, 3, padding=1)
    >>> diagnose(spec, "x", parse("correlate(pad(g, 1), swap_io(h))", 2))
    ('no_rotation',)
    >>> diagnose(spec, "x", parse("correlate(pad(g, 1), h)", 2))
    ('no_rotation', 'no_swap')
    """
    first = _fixes(spec, wrt, form)
    for kind, fixed in first:
        if _proves(spec, wrt, fixed):
            return (kind,)
    tried = len(first)
    for kind, fixed in first:
        for kind2, fixed2 in _fixes(spec, wrt, fixed):
            tried += 1
            if tried > MAX_DIAGNOSES:             # a formula this far off names no mistake (the 2 s bound)
                return ()
            if kind2 != kind and _proves(spec, wrt, fixed2):
                return tuple(sorted((kind, kind2)))
    return ()


def grade_formula(part: str, latex: str, solution: Any, grade_class: type, strict_channels: bool = False) -> Any:
    """The grade (a ``grade_class``: :class:`symconv.grading.grade.Grade`, passed in so that this module needs
    no import of it) of a formula answer (``dL_dx_formula`` or ``dL_dh_formula``) against problem 1 of the
    solution's homework: ``correct`` when proved for every size, ``wrong`` with the smallest counterexample
    (and the mistake, when one explains it: ``mistake`` holds comma-separated keys of :data:`MISTAKES`),
    ``unparsed`` when it cannot be read.

    A formula in index notation (∂L/∂x_{c,i,j} = Σ ..., one line or a derivation) is read by
    :mod:`symconv.proof.index_reader` and judged line by line (:func:`grade_index`).
    A bare ⊗ between ∂L/∂y and the kernel for ∂L/∂x implies the channel swap, as the homework's (2) indexes
    ``h_{in_i, out_j}``: such a formula is correct with a note, unless ``strict_channels``."""
    from ..homework.solution import problem1_spec
    from .mistakes import with_mistake
    if part not in PARTS:
        return grade_class(part, "unparsed", "", latex.strip(),
                           ("fa.unknown", {"part": repr(part), "known": ", ".join(PARTS)}))
    wrt = PARTS[part]
    spec = problem1_spec(solution.homework)
    expected = str(true_forms(spec)[wrt])
    given = " ".join(re.sub(r"\\label\s*\{[^{}]*\}", " ", latex).split())
    from ..proof.index_reader import looks_like_index_sum
    as_index = None
    if looks_like_index_sum(latex):
        as_index = grade_index(part, latex, spec, expected, given, grade_class)
        if as_index.verdict != "unparsed":
            return as_index
        # not an index sum after all (Σ_o ∂L/∂y_o * rot180(h_{o,c}) is a closed form per channel): read it so
    try:
        with time_budget():                  # 2 s to read and prove it, the isl calls included
            sides = read_sides(latex, wrt, spec)
            form = sides[-1]
            if isinstance(form, ClaimError):
                raise form
            false_side = _false_side(spec, wrt, sides[:-1], latex, strict_channels)
            if not isinstance(form, IndexSum):
                implied = None if strict_channels else _swap_implied(wrt, form, latex)
                form = implied or form
                proof: ClaimProof = prove_form(spec, wrt, form, text=given)
    except SymconvError as exc:
        return as_index or grade_class(part, "unparsed", expected, given, _plain(str(exc)))
    if isinstance(form, IndexSum):           # channels stated: judged per channel, strictly
        per_channel = form
        return _chained(grade_index(part, latex, spec, expected, given, grade_class,
                                    reader=lambda: _one_step(wrt, per_channel)), false_side)
    if false_side is not None and proof.ok:
        return _chained(grade_class(part, "correct", expected, given, ("fa.proved", {
            "wrt": wrt, "form": _plain(str(form)), "statement": _plain(str(proof.statement))})), false_side)
    read = {"wrt": wrt, "form": _plain(str(form))}
    if proof.ok:
        return grade_class(part, "correct", expected, given, _noted(("fa.proved", {**read, "statement": _plain(
            str(proof.statement))}), implied))
    if proof.counterexample is None:
        try:
            with time_budget():
                found = concrete_counterexample(spec, wrt, form)
        except SymconvError:
            found = None
        if found is None:
            return grade_class(part, "unparsed", expected, given, ("fa.undecided", {**read, "detail": _plain(
                str(proof.detail))}))
        return grade_class(part, "wrong", expected, given, ("fa.refuted_here", {
            **read, "found": _plain(found), "detail": _plain(str(proof.detail))}))
    reason: tuple[str, dict[str, Any]] = ("fa.refuted", {**read,
                                                         "counterexample": _plain(str(proof.counterexample))})
    try:
        with time_budget():                  # a budget of its own: naming a mistake never costs the verdict
            mistakes = diagnose(spec, wrt, form)
    except SymconvError:
        mistakes = ()
    if mistakes:
        reason = with_mistake(reason, ["m." + m for m in mistakes])
    return grade_class(part, "wrong", expected, given, _noted(reason, implied), ",".join(mistakes))


def _one_step(wrt: str, s: IndexSum) -> Any:
    from ..proof.index_reader import Derivation
    return Derivation(wrt, (s,), (s.reading,), True, (s.text,))


def _false_side(spec: ConvSpec, wrt: str, sides: list[Any], latex: str, strict: bool) -> Any:
    """The first side of a chain ``∂L/∂x = A = B = …`` before the last that is refuted, as a step note
    (every side states ∂L/∂x: side k is the first false one exactly when it does not follow from side
    k − 1); None when each holds or cannot be read (an unread side keeps the chain's answer)."""
    from ..proof.index_judge import judge
    for k, side in enumerate(sides, 1):
        if isinstance(side, ClaimError):
            continue
        if isinstance(side, IndexSum):
            v = judge(spec, _one_step(wrt, side))
            ok, words = v.verdict != "refuted", v.words
        else:
            side = (None if strict else _swap_implied(wrt, side, latex)) or side
            proof = prove_form(spec, wrt, side)
            ok, words = proof.ok or proof.counterexample is None, str(proof.counterexample)
        if not ok:
            return ("fa.step_wrong" if k > 1 else "fa.step1_wrong",
                    {"n": k, "before": k - 1, "detail": _plain(words)})
    return None


def _chained(grade: Any, false_side: Any) -> Any:
    """A chain's grade: wrong, naming its false side, when one is; the last side's reading as the note."""
    if false_side is None:
        return grade
    return dataclasses.replace(grade, verdict="wrong", reason=("fa.with_note", {
        "detail": false_side, "note": grade.reason}))


def _noted(reason: Any, implied: ops.Expr | None) -> Any:
    return ("fa.with_note", {"detail": reason, "note": ("w", "fa.swap_implied")}) if implied is not None \
        else reason


_EXPLICIT_CHANNELS = re.compile(r"\^\s*\{?\s*(?:T\b|\\top|\\intercal|\\mathsf\s*\{?\s*T)|swap|transpose|"
                                r"h\s*_\s*\{|h\s*_\s*[a-z]|\\sum", re.I)


def _swap_implied(wrt: str, form: ops.Expr, latex: str) -> ops.Expr | None:
    """The formula with the kernel's channels exchanged, when the course's convention applies: a bare ⊗ (no
    ``^T``, ``swap``, channel indices or sum over channels written) between ∂L/∂y and the kernel for ∂L/∂x
    means summing over the output channels, as the homework's (2) indexes h_{in_i, out_j}. None otherwise."""
    if wrt != "x" or _EXPLICIT_CHANNELS.search(latex) or any(isinstance(n, ops.SwapIO) for n in _nodes(form)):
        return None
    corr = [n for n in _nodes(form) if isinstance(n, ops.Correlate)]
    if len(corr) != 1 or "g" not in _leaves(corr[0].data) or _leaves(corr[0].kernel) != {"h"}:
        return None
    return _walk(form, lambda e: ops.SwapIO(e) if isinstance(e, ops.Tensor) and e.name == "h" else None)


def read_claim(spec: ConvSpec, wrt: str, text: str) -> tuple[str, Any]:
    """``verify --claim``'s one entry to every notation ``check`` reads: ("index", an
    :class:`~symconv.proof.index_judge.IndexVerdict`) for an index sum, else ("form", a
    :class:`~symconv.proof.claims.ClaimProof`): the claim grammar first (symconv's printed forms), then the
    homework's LaTeX (``h^T``, ``\\otimes``, ``\\frac{\\partial L}{\\partial y}``) as :func:`read_formula`
    reads it for ∂L/∂x and ∂L/∂h."""
    from ..proof.claims import prove_claim
    from ..proof.index_judge import judge
    from ..proof.grammar import MAX_LENGTH
    from ..proof.index_reader import looks_like_index_sum, read_derivation
    if len(text) > MAX_LENGTH:      # before any reader: the LaTeX readers' patterns are not meant for 10^4+
        raise ClaimError(f"{len(text)} characters; a claim has at most {MAX_LENGTH}")
    if wrt in PARTS.values() and looks_like_index_sum(text):
        return "index", judge(spec, read_derivation(text, spec, wrt))
    try:
        return "form", prove_claim(spec, wrt, text)
    except ClaimError as first:
        if wrt not in PARTS.values():
            raise
        try:
            form = read_formula(text, wrt, spec)
        except ClaimError:
            raise first from None
    return "form", prove_form(spec, wrt, form, text=text)


def grade_index(part: str, latex: str, spec: ConvSpec, expected: str, given: str, grade_class: type,
                reader: Callable[[], Any] | None = None) -> Any:
    """An index-notation formula (or a derivation of several lines) graded for every size: ``correct`` when
    its last line is proved (with a note when a step before it does not follow, or when the formula did not
    say where its indices start and a reading was assumed), ``wrong`` with the counterexample in the
    student's own indices and the first wrong step, ``unparsed`` when it cannot be read."""
    from ..proof.index_judge import judge
    from ..proof.index_reader import read_derivation
    wrt = PARTS[part]
    try:
        with time_budget():              # 2 s to read it and prove every line, the isl calls included
            d = reader() if reader is not None else read_derivation(latex, spec, wrt)
            v = judge(spec, d)
    except SymconvError as exc:
        return grade_class(part, "unparsed", expected, given, _plain(str(exc)))
    reading = _plain(v.reading.words())
    wrong = v.first_wrong
    step_note: Any = None
    if wrong is not None:
        step_note = ("fa.step_wrong" if wrong.number > 1 else "fa.step1_wrong",
                     {"n": wrong.number, "before": wrong.number - 1, "detail": _plain(wrong.words)})
    if v.verdict == "proved":
        reason: Any = ("fa.index_proved", {"wrt": wrt, "steps": len(d.steps), "reading": reading,
                                           "statement": _plain(v.statement)})
        if v.assumed:
            reason = ("fa.with_note", {"detail": reason, "note": ("fa.reading_assumed", {
                "reading": _plain(v.open_words)})})
        if step_note is not None:
            reason = ("fa.with_note", {"detail": reason, "note": step_note})
        return grade_class(part, "correct", expected, given, reason)
    if v.verdict == "undecided":
        return grade_class(part, "unparsed", expected, given, ("fa.index_undecided", {
            "wrt": wrt, "detail": _plain(v.words)}))
    reason = ("fa.index_refuted", {"wrt": wrt, "reading": reading, "counterexample": _plain(v.words)})
    from ..proof.index_judge import explain
    from .mistakes import with_mistake
    sentences: list[Any] = []
    try:
        with time_budget():              # a budget of its own: naming a mistake never costs the verdict
            if reader is None:
                found = explain(spec, v.sums[-1])
                mistakes: tuple[str, ...] = (found.name,) if found else ()
                sentences = [(found.key, {k: _plain(t) for k, t in found.values.items()})] if found else []
            else:
                mistakes = channel_mistakes(latex, wrt, spec)
    except SymconvError:
        mistakes, sentences = (), []
    if mistakes:
        reason = with_mistake(reason, sentences or ["m." + m for m in mistakes])
    if step_note is not None:
        reason = ("fa.with_note", {"detail": reason, "note": step_note})
    return grade_class(part, "wrong", expected, given, reason, ",".join(mistakes))


def _plain(text: str) -> str:
    """A detail in ASCII where the proofs' messages use symbols (∂L/∂x, g·h): the English sheet's PDF is
    built with pdfLaTeX, which has no glyphs for them."""
    for sym, plain in (("∂", "d"), ("·", "*"), ("°", " degrees"), ("⊗", "(x)"), ("−", "-"), ("≠", "!="),
                      ("δ", "delta"), ("…", "...")):
        text = text.replace(sym, plain)
    return text


__all__ = ["MISTAKES", "PARTS", "diagnose", "grade_formula", "grade_index", "read_claim", "read_formula"]
