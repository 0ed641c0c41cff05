"""Reading a homework file (TOML) into exact numbers, with errors that name the field.

Numbers are TOML integers, TOML floats read as their exact decimal (``0.1`` is 1/10), or strings holding an
integer, a decimal or a fraction (``"1/10"``, ``"-0.8"``), parsed by :class:`fractions.Fraction` and never
evaluated.

>>> number("1/10", "fc.weight")
1/10
>>> number("2**10", "fc.weight")
Traceback (most recent call last):
...
symconv.errors.InputError: fc.weight: '2**10' is not a number (write an integer, a decimal or a fraction such as "1/10")

Every key must be one the format knows; a misspelt key is an error that suggests the nearest valid one
(a silently ignored ``paddng = 1`` would solve a different problem):

>>> parse({"input": {"x": [[[1]]]}, "conv": {"h": [[[[1]]]], "paddng": 1}}, "hw")
Traceback (most recent call last):
...
symconv.errors.InputError: conv.paddng: unknown field (did you mean conv.padding?)

Sizes are checked against stated limits before any work starts: every number's numerator and denominator
below 10**40 (:data:`MAX_DIGITS`), at most :data:`MAX_INPUT_ENTRIES` entries in ``input.x``,
:data:`MAX_FC_ENTRIES` weights in the fully connected layer and :data:`MAX_OUT_FEATURES` classes (the exact
work is about linear in the entries; a 2 x 32 x 32 input with 10 classes is solved in a few seconds).
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import sympy as sp

from ..derivation.spec import ConvSpec
from ..errors import InputError, SpecError
from .fields import (MAX_DIGITS, MAX_FC_ENTRIES, MAX_INPUT_ENTRIES, MAX_KERNEL_ENTRIES, MAX_OUT_FEATURES,  # noqa: F401
                     _field, _int, _key, _kind, _nearest, _out_of_range, _section, _show, _vector, array, number)

#: The keys a homework file may hold: top-level fields and, per section, the section's fields.
FIELDS: dict[str, tuple[str, ...]] = {
    "": ("title", "input", "conv", "fc", "loss", "problem1"),
    "input": ("x",),
    "conv": ("h", "stride", "padding", "dilation", "bias"),
    "fc": ("out_features", "weight", "bias"),
    "loss": ("target",),
    "problem1": ("kernel_size", "stride", "padding", "dilation", "groups", "in_channels", "out_channels"),
}
# [variants] and [points] are read by symconv.homework.variants (symconv variants, check --variants).
FIELDS[""] += ("variants", "points")


def packaged() -> Path:
    """The path of the homework file shipped inside the package (a copy of ``derivations/homework11.toml``).

    >>> packaged().name
    'homework11.toml'
    """
    from importlib.resources import files
    return Path(str(files("symconv.homework.data").joinpath("homework11.toml")))


@dataclass(frozen=True)
class Homework:
    """Problem 2's data: conv -> ReLU -> fully connected -> softmax -> cross-entropy."""

    name: str
    title: str
    x: np.ndarray            # C_in x H x W
    h: np.ndarray            # C_out x C_in x K1 x K2
    spec: ConvSpec
    conv_bias: np.ndarray | None
    fc_weight: np.ndarray    # out_features x n
    fc_bias: np.ndarray | None
    target: int              # 1-based
    problem1: ConvSpec | None = None   # problem 1's convolution, from [problem1]; None: the seed's setting


def _unknown_keys(data: dict[str, Any]) -> None:
    """:class:`InputError` for the first key the format does not know, with the nearest valid key."""
    qualified = [f"{sec}.{key}" for sec, keys in FIELDS.items() if sec for key in keys]
    for key, value in data.items():
        if key not in FIELDS[""]:
            # A section's field written before the first [section] header lands at the top level.
            close = _nearest(key, list(FIELDS[""]) + qualified) or _nearest(key, qualified, strip=True)
            hint = f"did you mean {close}?" if close else f"valid: {', '.join(FIELDS[''])}"
            raise InputError(f"{_key(key)}: unknown field ({hint})")
        if key in FIELDS and isinstance(value, dict):
            for sub in value:
                if sub not in FIELDS[key]:
                    close = _nearest(sub, list(FIELDS[key]))
                    hint = f"did you mean {key}.{close}?" if close else f"valid: {', '.join(FIELDS[key])}"
                    raise InputError(f"{key}.{_key(sub)}: unknown field ({hint})")


MAX_FILE_BYTES = 2_000_000      # a homework file (20,000 weights written as fractions fit in well under this)


def read_user_file(path: Path) -> str:
    """A user's text file, or :class:`InputError` naming it. Only a regular file is read, and at most
    :data:`MAX_FILE_BYTES` of it (so /dev/zero or a growing file stops at once)."""
    try:
        if path.exists() and not path.is_dir() and not path.is_file():
            raise InputError(f"{path}: not a regular file")
        with path.open("rb") as f:
            data = f.read(MAX_FILE_BYTES + 1)
        if len(data) > MAX_FILE_BYTES:
            raise InputError(f"{path}: more than {MAX_FILE_BYTES:,} bytes (the limit for a homework file)")
        return data.decode("utf-8-sig")   # -sig: a byte-order mark (Windows Notepad) is dropped
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not UTF-8 text (byte {exc.start}); save it as UTF-8") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a folder, not a file") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.__class__.__name__})") from None


MAX_TOML_DIGITS = 4_300      # digits of one number as written (tomllib converts integers: Python's int-to-str limit)
MAX_TOML_DEPTH = 32          # arrays and inline tables nested in one value (tomllib reads them recursively)

_KEY_PART = r"""(?:"(?:[^"\\\n]|\\.)*"|'[^'\n]*'|[A-Za-z0-9_-]+)"""
_TOML_KEY = re.compile(rf"[ \t]*({_KEY_PART}(?:[ \t]*\.[ \t]*{_KEY_PART})*)[ \t]*=")
_TOML_HEADER = re.compile(r"[ \t]*\[\[?[ \t]*([^\]\n]*?)[ \t]*\]\]?")


@dataclass(frozen=True)
class TomlEntry:
    """A ``key = value`` line of a TOML text: its field (``section.key``, or the key at the top), where its
    value stands, and what in the value is over a limit ("" when nothing)."""

    field: str
    start: int
    end: int
    problem: str = ""


def toml_limits(text: str) -> list[TomlEntry]:
    r"""Every ``key = value`` of a TOML text, each with what in its value is over :data:`MAX_TOML_DIGITS` or
    :data:`MAX_TOML_DEPTH`, found in the raw text before :mod:`tomllib` sees it: tomllib converts a
    4,301-digit integer (ValueError) and recurses into nested arrays (RecursionError), so those limits
    cannot be checked on its result.

    >>> [e.problem for e in toml_limits("a = 1\nb = [[[1]]]\n[t]\nc = " + "9" * 4301) if e.problem]
    ['a number of 4,301 digits (the limit is 4,300)']
    >>> toml_limits("x = " + "[" * 40 + "]" * 40)[0].problem
    'arrays or tables nested 40 deep (the limit is 32)'
    """
    entries: list[TomlEntry] = []
    section, field, start, problem = "", "", -1, ""
    depth = deepest = 0
    i, n, line_start = 0, len(text), True

    def close(end: int) -> None:
        nonlocal start, problem, deepest
        if start >= 0:
            if not problem and deepest > MAX_TOML_DEPTH:
                problem = f"arrays or tables nested {deepest:,} deep (the limit is {MAX_TOML_DEPTH})"
            entries.append(TomlEntry(field, start, end, problem))
        start, problem, deepest = -1, "", 0

    while i < n:
        ch = text[i]
        if line_start and depth == 0:
            line_start = False
            header = _TOML_HEADER.match(text, i)
            key = _TOML_KEY.match(text, i)
            if header and not key:
                close(i)
                section = header.group(1).strip()
                i = header.end()
                continue
            if key:
                close(i)
                name = key.group(1)
                if name[:1] in "\"'" and name[-1:] == name[:1] and len(name) > 1 and "." not in name:
                    name = name[1:-1]          # a quoted key: its text (what tomllib reads, escapes aside)
                field, start = (f"{section}.{name}" if section else name), key.end()
                i = key.end()
                continue
        if ch == "\n":
            line_start = True
            if depth == 0:
                close(i)
            i += 1
        elif ch == "#":
            i = _end_of(text, "\n", i + 1, escapes=False)
        elif text.startswith('"""', i) or text.startswith("'''", i):
            i = _end_of(text, text[i:i + 3], i + 3, escapes=ch == '"')
        elif ch in "\"'":
            i = _end_of(text, ch, i + 1, escapes=ch == '"', line=True)
        elif ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
            i += 1
        elif ch in "]}":
            depth = max(depth - 1, 0)
            i += 1
        elif ch.isdigit() and ch.isascii():
            j = i
            while j < n and (text[j] in "0123456789_"):
                j += 1
            digits = sum(c != "_" for c in text[i:j])
            if digits > MAX_TOML_DIGITS and not problem:
                problem = f"a number of {digits:,} digits (the limit is {MAX_TOML_DIGITS:,})"
            i = j
        else:
            i += 1
    close(n)
    return entries


def _end_of(text: str, quote: str, i: int, escapes: bool, line: bool = False) -> int:
    """The index just past the ``quote`` that ends a string (or comment) begun before ``i``; at a newline
    for a one-line string (TOML's error, left to tomllib), or at the end."""
    while i < len(text):
        if escapes and text[i] == "\\":
            i += 2
            continue
        if text.startswith(quote, i):
            return i + len(quote) if quote != "\n" else i
        if line and text[i] == "\n":
            return i
        i += 1
    return len(text)


def toml_loads(text: str, name: str, **options: Any) -> dict[str, Any]:
    """:func:`tomllib.loads` once :func:`toml_limits` found nothing over a limit; every problem, and TOML's own
    errors, an :class:`InputError` of one line naming the file (and the field)."""
    bad = next((e for e in toml_limits(text) if e.problem), None)
    if bad is not None:
        raise InputError(f"{name}: {bad.field}: {bad.problem}")
    try:
        return tomllib.loads(text, **options)
    except (tomllib.TOMLDecodeError, ValueError, RecursionError) as exc:   # a limit the scan missed: never a traceback
        raise InputError(f"{name}: not valid TOML ({' '.join(str(exc).split())[:200]})") from None


def load(path: str | Path | None = None) -> Homework:
    """Read and validate a homework file (default: the packaged homework, :func:`packaged`);
    :class:`InputError` (one line, naming the field) otherwise.

    >>> load().title
    'Homework 11'
    """
    path = packaged() if path is None else Path(path)
    text = read_user_file(path)
    return parse(toml_loads(text, path.name, parse_float=Decimal), path.stem)


def parse(data: dict[str, Any], name: str) -> Homework:
    """A validated :class:`Homework` from a TOML document's dict (``name`` is the default title); a file that
    lists ``[[layer]]`` tables is a network (:func:`symconv.homework.layers.parse_network`)."""
    if "layer" in data:
        from .layers import parse_network
        return parse_network(data, name, FIELDS[""], _problem1)       # type: ignore[return-value]
    _unknown_keys(data)
    title = data.get("title", name)
    if not isinstance(title, str):
        raise InputError(f"title: expected a string, got {_kind(title)}")
    x = array(_field(_section(data, "input"), "input", "x"), "input.x", 3, "C_in x H x W")
    if x.size > MAX_INPUT_ENTRIES:
        raise InputError(f"input.x: {' x '.join(map(str, x.shape))} = {x.size} entries, more than the limit "
                         f"of {MAX_INPUT_ENTRIES}")
    conv = _section(data, "conv")
    h = array(_field(conv, "conv", "h"), "conv.h", 4, "C_out x C_in x K x K")
    if h.size > MAX_KERNEL_ENTRIES:
        raise InputError(f"conv.h: {' x '.join(map(str, h.shape))} = {h.size} entries, more than the limit "
                         f"of {MAX_KERNEL_ENTRIES}")
    if h.shape[1] != x.shape[0]:
        raise InputError(f"conv.h: has {h.shape[1]} input channels, input.x has {x.shape[0]} channels")
    stride = _int(conv.get("stride", 1), "conv.stride", 1)
    dilation = _int(conv.get("dilation", 1), "conv.dilation", 1)
    padding = conv.get("padding", 0)
    if isinstance(padding, str):
        if padding.strip().lower() not in ("valid", "same", "full"):
            raise InputError(f"conv.padding: expected a non-negative integer or valid/same/full, "
                             f"got {_show(padding)}")
        padding = padding.strip().lower()
    else:
        padding = _int(padding, "conv.padding", 0, also="" if isinstance(padding, int) else " or valid/same/full")
    conv_bias = None
    if "bias" in conv:
        conv_bias = _vector(conv["bias"], "conv.bias", h.shape[0], "one per output channel")
    try:
        spec = ConvSpec(x.shape[0], h.shape[0], h.shape[2:], stride=stride, padding=padding,
                        dilation=dilation, bias=conv_bias is not None)
        out = spec.output_size(x.shape[1:])
    except SpecError as exc:
        raise InputError(f"conv: {exc}") from None
    n = h.shape[0] * out[0] * out[1]
    fc = _section(data, "fc")
    m = _int(_field(fc, "fc", "out_features"), "fc.out_features", 1, MAX_OUT_FEATURES)
    if m * n > MAX_FC_ENTRIES:
        raise InputError(f"fc.out_features: {m} outputs x the {n} entries of relu1 = {m * n} weights, more "
                         f"than the limit of {MAX_FC_ENTRIES}")
    weight = _field(fc, "fc", "weight")
    if isinstance(weight, list):
        W = array(weight, "fc.weight", 2, "out_features x n")
        if W.shape != (m, n):
            raise InputError(f"fc.weight: expected a {m} x {n} matrix (out_features x the {n} entries of "
                             f"relu1), got {W.shape[0]} x {W.shape[1]}")
    else:
        W = np.full((m, n), number(weight, "fc.weight"), dtype=object)
    fc_bias = None if "bias" not in fc else _vector(fc["bias"], "fc.bias", m, "one per output")
    target = _field(_section(data, "loss"), "loss", "target")
    if isinstance(target, int) and not isinstance(target, bool) and not 1 <= target <= m:
        zero = " (classes are numbered from 1, as the homework writes y_3 = 1)" if target == 0 else ""
        raise InputError(f"loss.target: expected a class from 1 to {m}, got {target}{zero}")
    target = _int(target, "loss.target", 1, m)
    problem1 = _problem1(data["problem1"], spec) if "problem1" in data else None
    return Homework(name, title, x, h, spec, conv_bias, W, fc_bias, target, problem1)


def _problem1(section: Any, conv: ConvSpec) -> ConvSpec:
    """Problem 1's convolution from ``[problem1]``: each field defaults to the seed's setting (3x3 kernel,
    padding 1, stride 1, dilation 1, one group) and the channels to problem 2's."""
    if not isinstance(section, dict):
        raise InputError(f"problem1: expected a table [problem1], got {_kind(section)}")
    values = {key: _int(section[key], f"problem1.{key}", 0 if key == "padding" else 1, 64)
              for key in FIELDS["problem1"] if key in section}
    try:
        return ConvSpec(values.get("in_channels", conv.in_channels), values.get("out_channels", conv.out_channels),
                        values.get("kernel_size", 3), stride=values.get("stride", 1),
                        padding=values.get("padding", 1), dilation=values.get("dilation", 1),
                        groups=values.get("groups", 1))
    except SpecError as exc:
        raise InputError(f"problem1: {exc}") from None


