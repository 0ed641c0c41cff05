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
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import sympy as sp

from .errors import InputError, SpecError
from .spec import ConvSpec


def number(value: Any, field: str) -> sp.Rational:
    """An exact rational from a TOML value; :class:`InputError` naming ``field`` otherwise."""
    if isinstance(value, bool):
        raise InputError(f"{field}: expected a number, got {str(value).lower()}")
    if isinstance(value, float):   # parsed without parse_float=Decimal: its shortest repr is what was written
        value = Decimal(repr(value))
    if isinstance(value, (int, Decimal)):
        if isinstance(value, Decimal) and not value.is_finite():
            raise InputError(f"{field}: {value} is not a finite number")
        f = Fraction(value)
    elif isinstance(value, str):
        try:
            f = Fraction(value.strip())
        except (ValueError, ZeroDivisionError):
            raise InputError(f"{field}: {value!r} is not a number (write an integer, a decimal or a fraction "
                             f"such as \"1/10\")") from None
    else:
        raise InputError(f"{field}: expected a number, got {_kind(value)}")
    return sp.Rational(f.numerator, f.denominator)


def _kind(value: Any) -> str:
    return {list: "a list", dict: "a table", str: "a string"}.get(type(value), type(value).__name__)


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


def _int(value: Any, field: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        what = "a positive integer" if minimum == 1 else f"an integer >= {minimum}"
        raise InputError(f"{field}: expected {what}, got {value!r}")
    return value


def read_user_file(path: Path) -> str:
    """A user's text file, or :class:`InputError` naming it."""
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot be read ({exc.__class__.__name__})") from None


def load(path: str | Path) -> Homework:
    """Read and validate a homework file; :class:`InputError` (one line, naming the field) otherwise."""
    path = Path(path)
    text = read_user_file(path)
    try:
        data = tomllib.loads(text, parse_float=Decimal)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{path.name}: not valid TOML ({exc})") from None
    return parse(data, path.stem)


def parse(data: dict[str, Any], name: str) -> Homework:
    title = data.get("title", name)
    if not isinstance(title, str):
        raise InputError(f"title: expected a string, got {_kind(title)}")
    x = array(_field(_section(data, "input"), "input", "x"), "input.x", 3, "C_in x H x W")
    conv = _section(data, "conv")
    h = array(_field(conv, "conv", "h"), "conv.h", 4, "C_out x C_in x K x K")
    if h.shape[1] != x.shape[0]:
        raise InputError(f"conv.h: has {h.shape[1]} input channels, input.x has {x.shape[0]} channels")
    stride = _int(conv.get("stride", 1), "conv.stride", 1)
    dilation = _int(conv.get("dilation", 1), "conv.dilation", 1)
    padding = conv.get("padding", 0)
    if isinstance(padding, str):
        if padding.lower() not in ("valid", "same", "full"):
            raise InputError(f"conv.padding: expected a non-negative integer or valid/same/full, got {padding!r}")
        padding = padding.lower()
    else:
        padding = _int(padding, "conv.padding", 0)
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
    m = _int(_field(fc, "fc", "out_features"), "fc.out_features", 1)
    weight = _field(fc, "fc", "weight")
    if isinstance(weight, list):
        W = array(weight, "fc.weight", 2, "out_features x n")
        if W.shape != (m, n):
            raise InputError(f"fc.weight: expected a {m} x {n} matrix (out_features x the {n} entries of "
                             f"relu1), got {W.shape[0]} x {W.shape[1]}")
    else:
        W = np.full((m, n), number(weight, "fc.weight"), dtype=object)
    fc_bias = None if "bias" not in fc else _vector(fc["bias"], "fc.bias", m, "one per output")
    target = _int(_field(_section(data, "loss"), "loss", "target"), "loss.target", 1)
    if target > m:
        raise InputError(f"loss.target: expected a class from 1 to {m}, got {target}")
    return Homework(name, title, x, h, spec, conv_bias, W, fc_bias, target)


def _vector(value: Any, field: str, size: int, what: str) -> np.ndarray:
    if isinstance(value, list):
        v = array(value, field, 1, what)
        if v.shape != (size,):
            raise InputError(f"{field}: expected {size} numbers ({what}), got {v.shape[0]}")
        return v
    return np.full((size,), number(value, field), dtype=object)
