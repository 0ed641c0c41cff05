"""A homework's variants: every student's own numbers, drawn from the ranges the file states, each checked
non-degenerate by rule before it is kept.

The homework file names the tensors to draw under ``[variants]``, by their part name (the name ``X`` whose
gradient is the part ``dL_dX``: ``x``, ``h``, ``W``, ``conv_bias``, ...), and the points of each part under
``[points]``::

    [variants]
    x = { low = -3, high = 3 }                    # integers in [low, high]
    h = { values = [-1, 0, 1] }                   # drawn from a set (numbers as the file writes them)
    W = { low = -5, high = 5, denominator = 10 }  # fractions k/10, k in [low, high]
    [points]
    L = 2          # the parts asked and their points (without [points]: every part, 1 point each)
    dL_dh = 3

A tensor not named keeps the file's values. A variant is kept only when no asked part is zero in every
entry, no ReLU input is exactly 0 (``allow_relu_zero = true`` allows it), no max-pool window ties
(``allow_pool_ties = true``), no asked part is *near* zero (its largest entry below :data:`TINY` in absolute
value, as a saturated softmax makes the gradients: ``allow_tiny = true`` allows it), softmax's output is not
uniform, every rational in an exact value has at most
``max_digits`` digits (default :data:`MAX_DIGITS`), every check passes, and no asked part equals another
student's. A rejected draw is recorded with its reasons and the next one is tried.

Reproducible: attempt ``k`` of student ``id`` is drawn by a generator seeded with SHA-256 of
(seed, id, k), never by a shared generator's state, so a student's numbers do not depend on the roster's
order or size (unless a draw equalled an earlier student's part: then the later student draws again, and
``variants.json`` says so).

>>> import tomllib
>>> from symconv.homework.inputs import packaged
>>> base = tomllib.loads(packaged().read_text(encoding="utf-8"))
>>> ranges = read_variants({"x": {"low": -3, "high": 3}}, {"x": (2, 4, 4)})
>>> drawn = draw(base, ranges, {"x": ("input", "x")}, seed=1, student="s001", attempt=0)
>>> drawn == draw(base, ranges, {"x": ("input", "x")}, seed=1, student="s001", attempt=0)
True
>>> drawn["input"]["x"] != base["input"]["x"], drawn["conv"]["h"] == base["conv"]["h"]
(True, True)
"""

from __future__ import annotations

import copy
import difflib
import hashlib
import json
import random
import re
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any

import numpy as np
import sympy as sp

from ..errors import InputError
from .fields import _kind, _show
from .inputs import number

MAX_DIGITS = 30          # digits of a numerator or denominator in a variant's exact values (max_digits)
MAX_ATTEMPTS = 200       # draws per student before the ranges are declared too narrow
MAX_BOUND = 10 ** 6      # |low|, |high|, a denominator
MAX_VALUES = 1000        # entries of a values = [...] set
TINY = 1e-4               # an asked part whose every entry is this small reads 0 at four decimals (allow_tiny)
OPTIONS = ("allow_relu_zero", "allow_pool_ties", "allow_tiny", "max_digits")
RANGE_KEYS = ("low", "high", "denominator", "values")


@dataclass(frozen=True)
class Range:
    """Where one tensor's entries are drawn from: integers k/denominator with k in [low, high], or a set."""

    low: int = 0
    high: int = 0
    denominator: int = 1
    values: tuple[Fraction, ...] = ()

    def draw(self, rng: random.Random) -> Fraction:
        if self.values:
            return self.values[rng.randrange(len(self.values))]
        return Fraction(rng.randrange(self.low, self.high + 1), self.denominator)


@dataclass(frozen=True)
class Variants:
    """The ``[variants]`` table read: a range per tensor name, and the rules' options."""

    ranges: dict[str, Range]
    allow_relu_zero: bool = False
    allow_pool_ties: bool = False
    allow_tiny: bool = False
    max_digits: int = MAX_DIGITS


def tensor_slots(data: dict[str, Any]) -> dict[str, tuple[Any, ...]]:
    """Where each tensor a variant may draw sits in the homework file, by its part name: ``x`` in
    ``[input]``; the seed's ``h``, ``W`` and biases (``conv_bias``, ``fc_bias``) in ``[conv]`` and ``[fc]``;
    in a network, each ``[[layer]]``'s weight under its ``weight_name`` (default ``h``, ``h2``, ... for
    convolutions, ``W``, ``W2``, ... for linear layers) and its bias under ``bias_name`` (default
    ``conv_bias``, ``conv_bias2``, ... and ``fc_bias``, ``fc_bias2``, ..., as :mod:`.layers` names them)."""
    slots: dict[str, tuple[Any, ...]] = {"x": ("input", "x")}
    if isinstance(data.get("conv"), dict):
        slots.update({"h": ("conv", "h"), "conv_bias": ("conv", "bias")})
    if isinstance(data.get("fc"), dict):
        slots.update({"W": ("fc", "weight"), "fc_bias": ("fc", "bias")})
    layers = data.get("layer")
    counts = {"conv": 0, "linear": 0}
    for k, layer in enumerate(layers if isinstance(layers, list) else []):
        kind = layer.get("type") if isinstance(layer, dict) else None
        if kind not in counts:
            continue
        counts[kind] += 1
        n = counts[kind]
        default = ("h" if kind == "conv" else "W") + (str(n) if n > 1 else "")
        name = layer.get("weight_name", default)
        if isinstance(name, str):
            slots[name] = ("layer", k, "weight")
        if "bias" in layer:
            family = "conv_bias" if kind == "conv" else "fc_bias"
            bias = layer.get("bias_name", family + (str(n) if n > 1 else ""))
            if isinstance(bias, str):
                slots[bias] = ("layer", k, "bias")
    return slots


def tensor_shapes(parts: dict[str, np.ndarray], slots: dict[str, tuple[Any, ...]]) -> dict[str, tuple[int, ...]]:
    """The shape of each tensor that has a slot and a gradient part (``dL_dX`` has the shape of ``X``)."""
    return {name: tuple(parts[f"dL_d{name}"].shape) for name in slots if f"dL_d{name}" in parts}


def read_variants(table: Any, shapes: dict[str, tuple[int, ...]]) -> Variants:
    """``[variants]`` checked: each key a tensor of ``shapes`` or an option of :data:`OPTIONS`;
    :class:`InputError` naming the field otherwise.

    >>> read_variants({"x": {"low": 3, "high": -3}}, {"x": (1,)})
    Traceback (most recent call last):
    ...
    symconv.errors.InputError: variants.x.low: 3 is above high (-3)
    """
    if not isinstance(table, dict):
        raise InputError(f"variants: expected a table [variants], got {_kind(table)}")
    ranges: dict[str, Range] = {}
    options: dict[str, Any] = {}
    for key, spec in table.items():
        where = f"variants.{_key(key)}"
        if key in OPTIONS:
            options[key] = _option(key, spec, where)
            continue
        if key not in shapes:
            folded = {n.casefold(): n for n in list(shapes) + list(OPTIONS)}
            near = [folded[key.casefold()]] if key.casefold() in folded else \
                difflib.get_close_matches(key, list(shapes) + list(OPTIONS), n=1, cutoff=0.6)
            hint = f"did you mean variants.{near[0]}?" if near else \
                f"the tensors of this homework are {', '.join(shapes)}; options: {', '.join(OPTIONS)}"
            raise InputError(f"{where}: no tensor of this homework is named {key!r} ({hint})")
        ranges[key] = _range(spec, where)
    if not ranges:
        raise InputError("variants: names no tensor to draw (write e.g. x = { low = -3, high = 3 })")
    return Variants(ranges, **options)


def _option(key: str, value: Any, where: str) -> Any:
    if key == "max_digits":
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 1000:
            raise InputError(f"{where}: expected an integer from 1 to 1000, got {_show(value)}")
        return value
    if not isinstance(value, bool):
        raise InputError(f"{where}: expected true or false, got {_show(value)}")
    return value


def _range(spec: Any, where: str) -> Range:
    if not isinstance(spec, dict):
        raise InputError(f"{where}: expected a table such as {{ low = -3, high = 3 }} or "
                         f"{{ values = [-1, 0, 1] }}, got {_kind(spec)}")
    for key in spec:
        if key not in RANGE_KEYS:
            near = difflib.get_close_matches(key, RANGE_KEYS, n=1, cutoff=0.6)
            hint = f"did you mean {where}.{near[0]}?" if near else f"valid: {', '.join(RANGE_KEYS)}"
            raise InputError(f"{where}.{_key(key)}: unknown field ({hint})")
    if "values" in spec:
        extra = [k for k in ("low", "high", "denominator") if k in spec]
        if extra:
            raise InputError(f"{where}.{extra[0]}: not with values (a set, or a range: one of the two)")
        values = spec["values"]
        if not isinstance(values, list) or not values:
            raise InputError(f"{where}.values: expected a non-empty list of numbers, got "
                             f"{'an empty list' if values == [] else _kind(values)}")
        if len(values) > MAX_VALUES:
            raise InputError(f"{where}.values: {len(values)} values, more than the limit of {MAX_VALUES}")
        drawn = tuple(Fraction(int(v.p), int(v.q)) for v in
                      (number(v, f"{where}.values[{k}]") for k, v in enumerate(values)))
        return Range(values=drawn)
    for key in ("low", "high"):
        if key not in spec:
            raise InputError(f"{where}.{key}: missing field (a range needs low and high, or values)")
    low, high = (_bounded(spec[k], f"{where}.{k}", -MAX_BOUND) for k in ("low", "high"))
    if low > high:
        raise InputError(f"{where}.low: {low} is above high ({high})")
    den = _bounded(spec.get("denominator", 1), f"{where}.denominator", 1)
    return Range(low, high, den)


def _bounded(value: Any, where: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= MAX_BOUND:
        raise InputError(f"{where}: expected an integer from {minimum:,} to {MAX_BOUND:,}, got {_show(value)}")
    return value


def read_points(table: Any, parts: list[str]) -> dict[str, Fraction]:
    """``[points]``: the parts asked and their points (each a number >= 0 with at most two decimal places,
    as a gradebook shows it); without the table every part of ``parts`` is asked, 1 point each.

    >>> read_points(None, ["p", "L"])
    {'p': Fraction(1, 1), 'L': Fraction(1, 1)}
    >>> read_points({"L": "1/3"}, ["p", "L"])
    Traceback (most recent call last):
    ...
    symconv.errors.InputError: points.L: '1/3' is not a number of points (a number >= 0 with at most two decimal places)
    """
    if table is None:
        return {p: Fraction(1) for p in parts}
    if not isinstance(table, dict):
        raise InputError(f"points: expected a table [points], got {_kind(table)}")
    if not table:
        raise InputError("points: asks no part (name each part asked and its points, e.g. L = 2)")
    known = list(parts) + ["dL_dx_formula", "dL_dh_formula"]
    out: dict[str, Fraction] = {}
    for key, value in table.items():
        where = f"points.{_key(key)}"
        if key not in known:
            near = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
            hint = f"did you mean points.{near[0]}?" if near else f"the parts are {', '.join(known)}"
            raise InputError(f"{where}: no part of this homework is named {key!r} ({hint})")
        v = number(value, where)
        f = Fraction(int(v.p), int(v.q))
        if f < 0 or (f * 100).denominator != 1 or f > 10 ** 6:
            raise InputError(f"{where}: {_show(value)} is not a number of points (a number >= 0 with at most "
                             f"two decimal places)")
        out[key] = f
    return out


def _seeded(seed: int, student: str, attempt: int) -> random.Random:
    """The generator of one draw: SHA-256 of (seed, student, attempt), so that a student's numbers depend
    on nothing else (not on who else is in the class, nor in which order)."""
    digest = hashlib.sha256(json.dumps(["symconv-variants", seed, student, attempt]).encode()).digest()
    return random.Random(int.from_bytes(digest, "big"))


def draw(base: dict[str, Any], variants: Variants, slots: dict[str, tuple[Any, ...]], seed: int, student: str,
         attempt: int, shapes: dict[str, tuple[int, ...]] | None = None) -> dict[str, Any]:
    """The homework file's data with each tensor of ``variants`` drawn (in the order the file names them);
    ``shapes`` (default: the file's own nested lists) gives each tensor's shape, so that a scalar fully
    connected weight drawn becomes a matrix. ``[variants]`` is dropped from the result."""
    rng = _seeded(seed, student, attempt)
    data = copy.deepcopy(base)
    data.pop("variants", None)
    for name, rng_range in variants.ranges.items():
        path = slots[name]
        shape = shapes[name] if shapes is not None else np.shape(_get(base, path))
        values = [_toml_number(rng_range.draw(rng)) for _ in range(int(np.prod(shape, dtype=np.int64)))]
        _set(data, path, np.array(values, dtype=object).reshape(shape).tolist() if shape else values[0])
    return data


def _get(data: Any, path: tuple[Any, ...]) -> Any:
    for key in path:
        data = data[key]
    return data


def _set(data: Any, path: tuple[Any, ...], value: Any) -> None:
    for key in path[:-1]:
        data = data[key]
    data[path[-1]] = value


def _toml_number(f: Fraction) -> int | str:
    """An integer as itself, a fraction as the string the homework format reads ("-3/10")."""
    return f.numerator if f.denominator == 1 else f"{f.numerator}/{f.denominator}"


def degeneracies(solution: Any, asked: list[str], variants: Variants) -> list[tuple[str, dict[str, Any]]]:
    """Why a solved variant is not kept (wording keys and values, :mod:`symconv.wording` ``var.*``); empty
    when it is kept. Generic over part names: an asked part zero in every entry, a ReLU input exactly 0, a
    max-pool tie (a solution's ``pool_ties``, when it has them), an asked part below :data:`TINY` in every
    entry, softmax's ``p`` uniform, a rational over
    ``max_digits`` digits, a failed check."""
    reasons: list[tuple[str, dict[str, Any]]] = []
    exact = solution.exact
    for part in asked:
        if part in exact and exact[part].size and all(v == 0 for v in exact[part].reshape(-1)):
            reasons.append(("var.zero", {"part": part}))
        elif part in exact and exact[part].size and not variants.allow_tiny:
            largest = float(np.max(np.abs(solution.floats(part))))
            if largest < TINY:
                reasons.append(("var.tiny", {"part": part, "v": f"{largest:.2g}", "tiny": f"{TINY:g}"}))
    if not variants.allow_relu_zero and getattr(solution, "relu_ties", None):
        reasons.append(("var.relu_zero", {"where": _where(solution.relu_ties)}))
    if not variants.allow_pool_ties and getattr(solution, "pool_ties", None):
        reasons.append(("var.pool_tie", {"where": _where(solution.pool_ties)}))
    p = exact.get("p")
    if p is not None and p.size > 1 and all(v == p.reshape(-1)[0] for v in p.reshape(-1)):
        reasons.append(("var.uniform", {"n": p.size}))
    for part in exact:
        digits = _longest(exact[part])
        if digits > variants.max_digits:
            reasons.append(("var.digits", {"part": part, "n": digits, "max": variants.max_digits}))
            break
    for part, against in solution.failed_checks():
        reasons.append(("var.check", {"part": part, "check": against}))
    return reasons


def _where(entries: Any) -> str:
    shown = [f"({', '.join(map(str, t))})" if isinstance(t, tuple) else str(t) for t in list(entries)[:3]]
    return ", ".join(shown) + (", ..." if len(entries) > 3 else "")


def _longest(a: np.ndarray) -> int:
    """The most digits of a numerator or denominator in any entry of ``a`` (exponents' rationals too)."""
    most = 0
    for v in a.reshape(-1):
        for r in (v.atoms(sp.Rational) if isinstance(v, sp.Basic) else (sp.Rational(v),)):
            most = max(most, len(str(abs(int(r.p)))), len(str(int(r.q))))
    return most


def fingerprints(solution: Any, asked: list[str]) -> dict[str, str]:
    """Each asked part's exact value as a short digest (two students whose digests agree share the part)."""
    return {part: hashlib.sha256("|".join(map(str, solution.texts(part).reshape(-1))).encode()).hexdigest()[:24]
            for part in asked if part in solution.exact}


@dataclass
class Variant:
    """One student's kept draw: the homework data, its solution, and every draw rejected before it."""

    data: dict[str, Any]
    solution: Any
    attempt: int
    rejected: list[dict[str, Any]] = field(default_factory=list)


def _key(key: str) -> str:
    """A key as TOML writes it: bare when it can be, else quoted with every character outside ASCII escaped
    (a bidi override in a key must not reorder the message that names it)."""
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else json.dumps(key)


def to_toml(data: dict[str, Any], comment: str = "") -> str:
    r"""A homework's data as TOML that :func:`symconv.homework.inputs.load` reads back to the same values:
    scalars first, then each table, then each array of tables; strings quoted as TOML basic strings (every
    control character escaped), keys bare when they can be.

    >>> print(to_toml({"title": "a\"b", "input": {"x": [[1, "1/2"]]}, "layer": [{"type": "relu"}]}), end="")
    title = "a\"b"
    <BLANKLINE>
    [input]
    x = [[1, "1/2"]]
    <BLANKLINE>
    [[layer]]
    type = "relu"
    """
    lines = [f"# {line}" for line in comment.splitlines()]
    _emit(data, (), lines)
    return "\n".join(lines).lstrip("\n") + "\n"


def _emit(table: dict[str, Any], prefix: tuple[str, ...], lines: list[str]) -> None:
    tables = {k: v for k, v in table.items() if isinstance(v, dict)}
    arrays = {k: v for k, v in table.items()
              if isinstance(v, list) and v and all(isinstance(e, dict) for e in v)}
    for key, value in table.items():
        if key not in tables and key not in arrays:
            lines.append(f"{_key(key)} = {_value(value)}")
    for key, value in tables.items():
        lines += ["", f"[{'.'.join(_key(k) for k in prefix + (key,))}]"]
        _emit(value, prefix + (key,), lines)
    for key, entries in arrays.items():
        for entry in entries:
            lines += ["", f"[[{'.'.join(_key(k) for k in prefix + (key,))}]]"]
            _emit(entry, prefix + (key,), lines)


def _value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, Decimal):
        if not v.is_finite():
            return "nan" if v.is_nan() else "inf" if v > 0 else "-inf"
        return str(v) if any(c in str(v) for c in ".eE") else f"{v}.0"
    if isinstance(v, float):
        return repr(v) if v == v and abs(v) != float("inf") else ("nan" if v != v else "inf" if v > 0 else "-inf")
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False).replace("\x7f", "\\u007f")
    if isinstance(v, list):
        return "[" + ", ".join(_value(e) for e in v) + "]"
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{_key(k)} = {_value(e)}" for k, e in v.items()) + " }"
    return json.dumps(str(v), ensure_ascii=False)


@dataclass
class Plan:
    """A homework file read for variants: its data, the tensors drawn and where they sit, the parts asked
    and their points."""

    base: dict[str, Any]
    name: str
    title: str
    variants: Variants
    slots: dict[str, tuple[Any, ...]]
    shapes: dict[str, tuple[int, ...]]
    points: dict[str, Fraction]

    @property
    def asked(self) -> list[str]:
        return list(self.points)


def plan(text: str, name: str) -> Plan:
    """The homework file's text read and checked for variants (the file itself solved once, as
    ``symconv homework`` would, so that a bad file is named before any student's draw)."""
    from .inputs import parse, toml_loads
    from .solution import solve

    data = toml_loads(text, name, parse_float=Decimal)
    homework = parse(data, name)
    if "variants" not in data:
        raise InputError(f"{name}: no [variants] table: name the tensors to draw, e.g. [variants] "
                         f"x = {{ low = -3, high = 3 }}")
    parts = solve(homework).exact
    slots = tensor_slots(data)
    shapes = tensor_shapes(parts, slots)
    variants = read_variants(data["variants"], shapes)
    return Plan(data, name, homework.title, variants, slots, shapes, read_points(data.get("points"), list(parts)))


def make_variant(p: Plan, seed: int, student: str, taken: dict[str, dict[str, str]],
                 attempts: int = MAX_ATTEMPTS) -> Variant:
    """Student ``student``'s variant: draws 0, 1, 2, ... until one passes :func:`degeneracies` and shares
    no asked part with a student in ``taken`` (part -> digest -> student, updated here); each rejected draw
    is recorded with its reasons (English). :class:`InputError` when ``attempts`` draws all fail."""
    from ..wording import w
    from .inputs import parse, toml_loads
    from .solution import solve

    rejected: list[dict[str, Any]] = []
    for attempt in range(attempts):
        data = draw(p.base, p.variants, p.slots, seed, student, attempt, p.shapes)
        # The solution is the file's as a student's copy will be read: written, then read back.
        solution = solve(parse(toml_loads(to_toml(data), p.name, parse_float=Decimal), p.name))
        reasons = degeneracies(solution, p.asked, p.variants)
        digests = fingerprints(solution, p.asked) if not reasons else {}
        reasons += [("var.shared", {"part": part, "other": taken[part][d]})
                    for part, d in digests.items() if d in taken.get(part, {})][:1]
        if not reasons:
            for part, d in digests.items():
                taken.setdefault(part, {})[d] = student
            return Variant(data, solution, attempt, rejected)
        rejected.append({"attempt": attempt, "reasons": [w(k, **v) for k, v in reasons]})
    last = "; ".join(rejected[-1]["reasons"]) if rejected else ""
    raise InputError(f"variants: student {student!r}: none of {attempts} draws passed the rules (the last: "
                     f"{last}); widen the ranges under [variants] or draw more tensors")
