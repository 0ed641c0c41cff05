"""The values a homework file holds, read exactly with errors that name the field: numbers (never evaluated),
arrays, integers in a range, sections and fields, the nearest valid key. Shared by the seed's format
(:mod:`.inputs`) and networks of layers (:mod:`.layers`)."""

from __future__ import annotations

import difflib
import json
import re
from decimal import Decimal
from fractions import Fraction
from typing import Any

import numpy as np
import sympy as sp

from ..errors import InputError

MAX_DIGITS = 40              # numerators and denominators below 10**MAX_DIGITS
MAX_INPUT_ENTRIES = 4096     # C_in x H x W
MAX_KERNEL_ENTRIES = 4096    # C_out x C_in x K x K
MAX_FC_ENTRIES = 20_000      # out_features x n (the exact work is linear in it: about 3 s at 18,000)
MAX_OUT_FEATURES = 20        # classes: the softmax and its report grow with their square
_EXPONENT = re.compile(r"[eE]\s*([+-]?[0-9_]+)$")


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


def _key(key: str) -> str:
    r"""A key as TOML would need it written: bare when it can be, else quoted (no newline reaches a message).
    Characters that do not print (a bidi override, a zero-width space) are escaped: in a terminal they would
    reorder or hide the message around them.

    >>> print(_key("dL_dx"), _key("a b"), _key("x\u202ey"))
    dL_dx "a b" "x\u202ey"
    """
    if re.fullmatch(r"[A-Za-z0-9_-]+", key):
        return key
    quoted = json.dumps(key, ensure_ascii=False)
    return "".join(c if c.isprintable() else f"\\u{ord(c):04x}" if ord(c) < 0x10000 else f"\\U{ord(c):08x}"
                   for c in quoted)


def _nearest(key: str, names: list[str], strip: bool = False) -> str | None:
    """The valid name closest to ``key``, ignoring case; with ``strip``, compared without the section."""
    folded = {(n.split(".", 1)[-1] if strip else n).lower(): n for n in names}
    if key.lower() in folded:
        return folded[key.lower()]
    match = difflib.get_close_matches(key.lower(), list(folded), n=1, cutoff=0.6)
    return folded[match[0]] if match else None


def _vector(value: Any, field: str, size: int, what: str) -> np.ndarray:
    if isinstance(value, list):
        v = array(value, field, 1, what)
        if v.shape != (size,):
            raise InputError(f"{field}: expected {size} number{'s' * (size != 1)} ({what}), got {v.shape[0]}")
        return v
    return np.full((size,), number(value, field), dtype=object)
