"""Reading homework files: unknown keys, the packaged homework, number limits, sloppy but valid text."""

from __future__ import annotations

import tomllib
from decimal import Decimal
from pathlib import Path

import pytest
import sympy as sp

from symconv.errors import InputError, SymconvError
from symconv.homework.inputs import FIELDS, MAX_FC_ENTRIES, load, number, packaged, parse

ROOT = Path(__file__).resolve().parents[1]
SMALL = {"input": {"x": [[[1, 2, 0], [0, 1, 3], [2, 1, 1]]]}, "conv": {"h": [[[[1, -1], [0, 1]]]]},
         "fc": {"out_features": 3, "weight": "1/10"}, "loss": {"target": 2}}


def _with(section: str, key: str, value: object) -> dict:
    data = {k: dict(v) for k, v in SMALL.items()}
    if section:
        data[section][key] = value
    else:
        data[key] = value
    return data


@pytest.mark.parametrize("section,key,message", [
    ("conv", "paddng", r"^conv\.paddng: unknown field \(did you mean conv\.padding\?\)$"),
    ("conv", "strid", r"^conv\.strid: unknown field \(did you mean conv\.stride\?\)$"),
    ("conv", "Stride", r"^conv\.Stride: unknown field \(did you mean conv\.stride\?\)$"),
    ("conv", "dilaton", r"^conv\.dilaton: unknown field \(did you mean conv\.dilation\?\)$"),
    ("conv", "kernel", r"^conv\.kernel: unknown field \(valid: h, stride, padding, dilation, bias\)$"),
    ("input", "X", r"^input\.X: unknown field \(did you mean input\.x\?\)$"),
    ("fc", "out_feature", r"^fc\.out_features?: unknown field \(did you mean fc\.out_features\?\)$"),
    ("fc", "weights", r"^fc\.weights: unknown field \(did you mean fc\.weight\?\)$"),
    ("fc", "biass", r"^fc\.biass: unknown field \(did you mean fc\.bias\?\)$"),
    ("loss", "traget", r"^loss\.traget: unknown field \(did you mean loss\.target\?\)$"),
    ("loss", "y", r"^loss\.y: unknown field \(valid: target\)$"),
    ("", "titel", r"^titel: unknown field \(did you mean title\?\)$"),
    ("", "Input", r"^Input: unknown field \(did you mean input\?\)$"),
    ("", "stride", r"^stride: unknown field \(did you mean conv\.stride\?\)$"),     # written before [conv]
    ("", "target", r"^target: unknown field \(did you mean loss\.target\?\)$"),
    ("", "optimizer", r"^optimizer: unknown field \(valid: title, input, conv, fc, loss, problem1, variants, points\)$"),
    ("", "a\nb", r'^"a\\nb": unknown field'),                                           # quoted key: one line
])
def test_unknown_keys_are_errors_with_the_nearest_valid_key(section, key, message):
    with pytest.raises(InputError, match=message):
        parse(_with(section, key, 1), "hw")


def test_unknown_keys_are_reported_before_anything_else():
    # A misspelt section is named as such, not as "[conv]: missing section".
    data = {"input": SMALL["input"], "Conv": SMALL["conv"]}
    with pytest.raises(InputError, match=r"^Conv: unknown field \(did you mean conv\?\)$"):
        parse(data, "hw")


def test_every_field_of_the_format_is_accepted():
    data = _with("conv", "stride", 1)
    data["title"] = "t"
    data["conv"].update(padding="valid", dilation=1, bias=[0])
    data["fc"]["bias"] = 0
    data["problem1"] = {key: 1 for key in FIELDS["problem1"]}
    data["variants"] = {"x": {"low": 0, "high": 1}}        # read by symconv.homework.variants (issue 21)
    data["points"] = {"L": 1}
    hw = parse(data, "hw")
    assert set(FIELDS[""]) == set(data) and hw.conv_bias is not None and hw.fc_bias is not None
    assert hw.problem1 is not None and hw.problem1.kernel_size == (1, 1)


def test_packaged_homework_loads_from_any_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert packaged().read_bytes() == (ROOT / "derivations" / "homework11.toml").read_bytes()
    hw = load()
    assert hw.title == "Homework 11" and hw.name == "homework11" and hw.target == 3
    from symconv.homework import solve
    assert "| `fc1` | $\\begin{bmatrix} \\frac{198}{5}" in solve(load())._repr_markdown_()   # README's Jupyter example


def test_cli_uses_the_public_packaged_homework():
    from symconv import cli
    assert cli._packaged_homework() == packaged()


@pytest.mark.parametrize("value,expected", [
    ("1/10", sp.Rational(1, 10)), (" 1 / 10 ", sp.Rational(1, 10)), ("-0.8", sp.Rational(-4, 5)),
    (Decimal("0.1"), sp.Rational(1, 10)), (0.25, sp.Rational(1, 4)), ("1e-5", sp.Rational(1, 100000)),
    (10 ** 39, sp.Integer(10) ** 39), ("1/" + "9" * 39, sp.Rational(1, 10 ** 39 - 1)),
])
def test_numbers(value, expected):
    assert number(value, "f") == expected


@pytest.mark.parametrize("value,message", [
    ("2**10", r"^f: '2\*\*10' is not a number"),
    ("1/0", r"^f: '1/0' is not a number"),
    ("0,1", r"^f: '0,1' is not a number"),
    ("", r"^f: '' is not a number"),
    (True, r"^f: expected a number, got true$"),
    ({"a": 1}, r"^f: expected a number, got a table$"),
    ([1], r"^f: expected a number, got a list$"),
    (Decimal("NaN"), r"^f: NaN is not a finite number$"),
    (Decimal("-Infinity"), r"^f: -Infinity is not a finite number$"),
    (Decimal("1e999999999"), r"^f: 1E\+999999999 is out of range \(numerators and denominators must be below "
                             r"10\^40\)$"),
    ("1e999999999", r"^f: '1e999999999' is out of range"),       # never builds 10**999999999
    ("1E-99999", r"^f: '1E-99999' is out of range"),
    (10 ** 40, r"^f: 10{29}\.\.\. is out of range"),                # long values are shortened
    ("1/" + "1" * 41, r"^f: '1/1{27}\.\.\. is out of range"),
    ("9" * 200, r"^f: '9{29}\.\.\. is out of range"),
])
def test_bad_numbers(value, message):
    with pytest.raises(InputError, match=message):
        number(value, "f")


@pytest.mark.parametrize("data,message", [
    ({"input": {"x": [[[0] * 65] * 64]}}, r"^input\.x: 1 x 64 x 65 = 4160 entries, more than the limit of 4096$"),
    ({"input": {"x": [[[0] * 3] * 3]}, "conv": {"h": [[[[0] * 33] * 33]] * 4}},
     r"^conv\.h: 4 x 1 x 33 x 33 = 4356 entries, more than the limit of 4096$"),
    ({"input": {"x": [[[0] * 64] * 64]}, "conv": {"h": [[[[1]]]]}, "fc": {"out_features": 5, "weight": 0}},
     rf"^fc\.out_features: 5 outputs x the 4096 entries of relu1 = 20480 weights, more than the limit of "
     rf"{MAX_FC_ENTRIES}$"),
    (_with("loss", "target", 0), r"^loss\.target: expected a class from 1 to 3, got 0 \(classes are numbered "
                                 r"from 1, as the homework writes y_3 = 1\)$"),
    (_with("loss", "target", 4), r"^loss\.target: expected a class from 1 to 3, got 4$"),
    (_with("loss", "target", True), r"^loss\.target: expected an integer from 1 to 3, got true$"),
    (_with("loss", "target", [0, 1, 0]), r"^loss\.target: expected an integer from 1 to 3, got a list$"),
    (_with("conv", "stride", Decimal("1.0")), r"^conv\.stride: expected a positive integer, got 1\.0$"),
    (_with("conv", "padding", [1, 1]), r"^conv\.padding: expected an integer >= 0 or valid/same/full, got a list$"),
    (_with("conv", "padding", "half"), r"^conv\.padding: expected a non-negative integer or valid/same/full, "
                                       r"got 'half'$"),
    (_with("conv", "bias", [0, 1]), r"^conv\.bias: expected 1 number \(one per output channel\), got 2$"),
    (_with("fc", "out_features", "3"), r"^fc\.out_features: expected an integer from 1 to 20, got '3'$"),
    ({"input": {"x": [[1, 2], [3, 4]]}}, r"^input\.x: \[0\]\[0\] should be a non-empty list \(C_in x H x W\), "
                                         r"got a number$"),
])
def test_bad_fields(data, message):
    with pytest.raises(InputError, match=message):
        parse(data, "hw")


@pytest.mark.parametrize("padding", ["Same", " same ", "VALID", "Full"])
def test_padding_mode_in_any_case(padding):
    data = _with("conv", "padding", padding)
    assert parse(data, "hw").spec.padding == padding.strip().lower()


def test_bom_and_windows_line_endings(tmp_path):
    text = (ROOT / "derivations" / "homework11.toml").read_text(encoding="utf-8")
    path = tmp_path / "win.toml"
    path.write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode("utf-8"))
    assert load(path).fc_weight[0, 0] == sp.Rational(1, 10)


@pytest.mark.parametrize("data,message", [
    (b"# \xb5\xda\xc8\xfd\n[input]\n", r"^.*gbk\.toml: not UTF-8 text \(byte 2\); save it as UTF-8$"),
])
def test_unreadable_files(tmp_path, data, message):
    (tmp_path / "gbk.toml").write_bytes(data)
    with pytest.raises(InputError, match=message):
        load(tmp_path / "gbk.toml")
    with pytest.raises(InputError, match=r"is a folder, not a file$"):
        load(tmp_path)


def test_every_error_is_a_symconv_error():
    assert issubclass(InputError, SymconvError)
    with pytest.raises(SymconvError):
        parse(tomllib.loads("[input]\nx = 'abc'\n"), "hw")


@pytest.mark.parametrize("value", ["1_0", "١٢", "１２", "1e1_0", "0x10", "١/٢"])
def test_only_ascii_numbers_are_read(value):
    """Issue 10: Fraction alone reads '1_0' as 10 and other scripts' digits as numbers."""
    with pytest.raises(InputError, match=r"is not a number"):
        number(value, "fc.weight")
