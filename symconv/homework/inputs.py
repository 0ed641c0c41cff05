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

import difflib
import json
import re
import tomllib
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import sympy as sp

from ..derivation.spec import ConvSpec
from ..errors import InputError, SpecError

#: The keys a homework file may hold: top-level fields and, per section, the section's fields.
FIELDS: dict[str, tuple[str, ...]] = {
    "": ("title", "input", "conv", "fc", "loss"),
    "input": ("x",),
    "conv": ("h", "stride", "padding", "dilation", "bias"),
    "fc": ("out_features", "weight", "bias"),
    "loss": ("target",),
}
MAX_DIGITS = 40              # numerators and denominators below 10**MAX_DIGITS
MAX_INPUT_ENTRIES = 4096     # C_in x H x W
MAX_KERNEL_ENTRIES = 4096    # C_out x C_in x K x K
MAX_FC_ENTRIES = 20_000      # out_features x n (the exact work is linear in it: about 3 s at 18,000)
MAX_OUT_FEATURES = 20        # classes: the softmax and its report grow with their square
_EXPONENT = re.compile(r"[eE]\s*([+-]?[0-9_]+)$")


def packaged() -> Path:
    """The path of the homework file shipped inside the package (a copy of ``derivations/homework11.toml``).

    >>> packaged().name
    'homework11.toml'
    """
    from importlib.resources import files
    return Path(str(files("symconv.homework.data").joinpath("homework11.toml")))


_ASCII_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?(?:/[0-9]+)?", re.ASCII)


def number(value: Any, field: str) -> sp.Rational:
    """An exact rational from a TOML value; :class:`InputError` naming ``field`` otherwise."""
    if isinstance(value, bool):
        raise InputError(f"{field}: expected a number, got {str(value).lower()}")
    if isinstance(value, float):   # parsed without parse_float=Decimal: its shortest repr is what was written
        value = Decimal(repr(value))
    if isinstance(value, (int, Decimal)):
        if isinstance(value, Decimal) and not value.is_finite():
            raise InputError(f"{field}: {value} is not a finite number")
        if isinstance(value, Decimal) and abs(value.adjusted()) >= MAX_DIGITS:   # before 10**exponent is built
            raise _out_of_range(field, value)
        f = Fraction(value)
    elif isinstance(value, str):
        text = re.sub(r"\s*/\s*", "/", value.strip())      # "1 / 10" as a hurried student writes it
        exponent = _EXPONENT.search(text)
        if len(text) > 2 * MAX_DIGITS + 10 or (exponent and abs(int(exponent[1])) >= MAX_DIGITS):
            raise _out_of_range(field, value)
        try:
            # Fraction alone would also take "1_0", Arabic-Indic or full-width digits: only what a number
            # is written as in ASCII is read.
            if not _ASCII_NUMBER.fullmatch(text):
                raise ValueError(text)
            f = Fraction(text)
        except (ValueError, ZeroDivisionError):
            raise InputError(f"{field}: {value!r} is not a number (write an integer, a decimal or a fraction "
                             f"such as \"1/10\")") from None
    else:
        raise InputError(f"{field}: expected a number, got {_kind(value)}")
    if max(abs(f.numerator), f.denominator) >= 10 ** MAX_DIGITS:
        raise _out_of_range(field, value)
    return sp.Rational(f.numerator, f.denominator)


def _out_of_range(field: str, value: Any) -> InputError:
    shown = repr(value) if isinstance(value, str) else str(value)
    if len(shown) > 40:
        shown = shown[:30] + "..."
    return InputError(f"{field}: {shown} is out of range (numerators and denominators must be below "
                      f"10^{MAX_DIGITS})")


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float, Decimal)):
        return "a number"
    return {list: "a list", dict: "a table", str: "a string"}.get(type(value), type(value).__name__)


def _show(value: Any) -> str:
    """A value as the user wrote it in TOML, short."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (int, Decimal)):
        return str(value)
    if isinstance(value, str):
        return repr(value) if len(value) <= 40 else repr(value[:30]) + "..."
    return _kind(value)


def array(value: Any, field: str, ndim: int, what: str) -> np.ndarray:
    """A rectangular nested list of numbers with ``ndim`` axes, as an object array of rationals."""
    def shape_of(v: Any, depth: int, path: str) -> tuple[int, ...]:
        if depth == ndim:
            if isinstance(v, list):
                raise InputError(f"{field}: {path or 'the value'} should be a number ({what}), got a list")
            return ()
        if not isinstance(v, list) or not v:
            raise InputError(f"{field}: {path or 'the value'} should be a non-empty list ({what}), "
                             f"got {_kind(v) if v != [] else 'an empty list'}")
        shapes = [shape_of(item, depth + 1, f"{path}[{k}]") for k, item in enumerate(v)]
        for k, s in enumerate(shapes):
            if s != shapes[0]:
                raise InputError(f"{field}: ragged array: {path}[{k}] has shape {list(s)}, {path}[0] has "
                                 f"{list(shapes[0])} ({what})")
        return (len(v),) + shapes[0]

    shape = shape_of(value, 0, "")
    flat: list[Any] = []

    def collect(v: Any, path: str) -> None:
        if isinstance(v, list):
            for k, item in enumerate(v):
                collect(item, f"{path}[{k}]")
        else:
            flat.append(number(v, f"{field}{path}"))
    collect(value, "")
    return np.array(flat, dtype=object).reshape(shape)


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


def _section(data: dict[str, Any], name: str) -> dict[str, Any]:
    if name not in data:
        raise InputError(f"[{name}]: missing section")
    if not isinstance(data[name], dict):
        raise InputError(f"{name}: expected a table [{name}], got {_kind(data[name])}")
    return data[name]


def _field(section: dict[str, Any], sname: str, name: str) -> Any:
    if name not in section:
        raise InputError(f"{sname}.{name}: missing field")
    return section[name]


def _int(value: Any, field: str, minimum: int, maximum: int | None = None, also: str = "") -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum \
            or (maximum is not None and value > maximum):
        what = "a positive integer" if minimum == 1 else f"an integer >= {minimum}"
        if maximum is not None:
            what = f"an integer from {minimum} to {maximum}"
        raise InputError(f"{field}: expected {what}{also}, got {_show(value)}")
    return value


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


def _key(key: str) -> str:
    """A key as TOML would need it written: bare when it can be, else quoted (no newline reaches a message)."""
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else json.dumps(key, ensure_ascii=False)


def _nearest(key: str, names: list[str], strip: bool = False) -> str | None:
    """The valid name closest to ``key``, ignoring case; with ``strip``, compared without the section."""
    folded = {(n.split(".", 1)[-1] if strip else n).lower(): n for n in names}
    if key.lower() in folded:
        return folded[key.lower()]
    match = difflib.get_close_matches(key.lower(), list(folded), n=1, cutoff=0.6)
    return folded[match[0]] if match else None


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


def load(path: str | Path | None = None) -> Homework:
    """Read and validate a homework file (default: the packaged homework, :func:`packaged`);
    :class:`InputError` (one line, naming the field) otherwise.

    >>> load().title
    'Homework 11'
    """
    path = packaged() if path is None else Path(path)
    text = read_user_file(path)
    try:
        data = tomllib.loads(text, parse_float=Decimal)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{path.name}: not valid TOML ({exc})") from None
    return parse(data, path.stem)


def parse(data: dict[str, Any], name: str) -> Homework:
    """A validated :class:`Homework` from a TOML document's dict (``name`` is the default title)."""
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
    return Homework(name, title, x, h, spec, conv_bias, W, fc_bias, target)


def _vector(value: Any, field: str, size: int, what: str) -> np.ndarray:
    if isinstance(value, list):
        v = array(value, field, 1, what)
        if v.shape != (size,):
            raise InputError(f"{field}: expected {size} number{'s' * (size != 1)} ({what}), got {v.shape[0]}")
        return v
    return np.full((size,), number(value, field), dtype=object)
