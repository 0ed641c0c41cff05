"""Fuzzing the command line with homework files and options nobody designed (Hypothesis), and a corpus of
hand-written hostile or sloppy homework files (tests/data/homeworks/) with the outcome each must give.

A rejected input must give exit status 2, exactly one line on stderr starting ``symconv: error:`` that names
the offending field or option, no traceback, and no file written. A valid homework must solve and its .tex
must compile to a PDF.

The default run is derandomized with modest example counts (about a minute here); a long run:

    SYMCONV_FUZZ=full .venv/bin/python -m pytest tests/test_fuzz.py
"""

from __future__ import annotations

import contextlib
import copy
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from symconv.cli import main

FULL = os.environ.get("SYMCONV_FUZZ") == "full"
CORPUS = Path(__file__).parent / "data" / "homeworks"
ANSWERS = Path(__file__).parent / "data" / "homework_answers.tex"
HAS_LATEX = shutil.which("latexmk") is not None or shutil.which("pdflatex") is not None


def _settings(ci: int, full: int, shrink: bool = True) -> settings:
    """Derandomized and small by default (a fixed, fast CI run); random and long with SYMCONV_FUZZ=full.
    Without ``shrink`` a failure is reported as found (shrinking a case that compiles a PDF takes minutes)."""
    phases = [p for p in Phase if shrink or p not in (Phase.shrink, Phase.explain)]
    return settings(max_examples=full if FULL else ci, derandomize=not FULL, deadline=None, database=None,
                    phases=phases,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.filter_too_much])


# ---------------------------------------------------------------- running the CLI in-process

def run(argv: list[str]) -> tuple[int, str, str]:
    """``symconv.cli.main(argv)`` with its stdout and stderr captured; argparse's exit becomes a status."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
    return code, out.getvalue(), err.getvalue()


def files_in(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


def assert_rejected(code: int, out: str, err: str, names: str | None, written: set[str]) -> str:
    """Exit 2, one line ``symconv: error: ...`` naming ``names`` (a regex), no traceback, nothing written."""
    assert "Traceback" not in out + err, err
    assert code == 2, (code, out, err)
    lines = err.splitlines()
    assert len(lines) == 1 and err.endswith("\n"), err
    assert lines[0].startswith("symconv: error: "), lines[0]
    if names is not None:
        assert re.search(names, lines[0]), (names, lines[0])
    assert out == "", out
    assert not written, written
    return lines[0]


@contextlib.contextmanager
def workdir():
    """A fresh empty folder as the current directory (so a stray relative write would be seen)."""
    with tempfile.TemporaryDirectory(prefix="symconv-fuzz-") as tmp, contextlib.chdir(tmp):
        yield Path(tmp)


# ---------------------------------------------------------------- writing TOML (no writer in the stdlib)

def _key(k: str) -> str:
    return k if re.fullmatch(r"[A-Za-z0-9_-]+", k) else json.dumps(k)


def _value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, Decimal) and not v.is_finite():       # TOML spells them nan, inf, -inf
        return "nan" if v.is_nan() else ("-inf" if v < 0 else "inf")
    if isinstance(v, (int, Decimal)):
        return str(v)
    if isinstance(v, float):
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v)
    if isinstance(v, list):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{_key(k)} = {_value(x)}" for k, x in v.items()) + "}"
    raise TypeError(v)


def to_toml(doc: dict[str, Any]) -> str:
    top = [f"{_key(k)} = {_value(v)}" for k, v in doc.items() if not isinstance(v, dict)]
    sections = [f"\n[{_key(k)}]\n" + "".join(f"{_key(f)} = {_value(x)}\n" for f, x in v.items())
                for k, v in doc.items() if isinstance(v, dict)]
    return "\n".join(top) + "\n" + "".join(sections)


# ---------------------------------------------------------------- valid homework files

def number_text(n: int) -> st.SearchStrategy[Any]:
    """The value n/denominator written as a TOML integer, a TOML decimal or a fraction string."""
    return st.one_of(st.just(n), st.sampled_from(["0.5", "-0.25", "1.5", "0.1"]).map(Decimal),
                     st.sampled_from(["1/10", "-3/2", "3/4", "1/2", "-2/3", "1/3"]))


small_number = st.integers(-3, 3).flatmap(number_text)


def tensor(shape: tuple[int, ...], entries: st.SearchStrategy[Any] = small_number) -> st.SearchStrategy[Any]:
    if not shape:
        return entries
    return st.lists(tensor(shape[1:], entries), min_size=shape[0], max_size=shape[0])


@st.composite
def homeworks(draw: Any, max_channels: int = 3, max_size: int = 6) -> dict[str, Any]:
    """A valid homework: 1-3 channels, 3x3 to 6x6 input, kernel 1-3, stride 1-2, padding 0-1, optional biases,
    fc out_features 2-5 (its weights a scalar or a full matrix)."""
    cin = draw(st.integers(1, max_channels))
    cout = draw(st.integers(1, max_channels))
    H, W = draw(st.integers(3, max_size)), draw(st.integers(3, max_size))
    K = draw(st.integers(1, 3))
    stride = draw(st.integers(1, 2))
    padding = draw(st.sampled_from([0, 1, "valid", "Same"] if stride == 1 else [0, 1, "valid"]))
    pad = {0: 0, 1: 1, "valid": 0, "Same": (K - 1) / 2}[padding]
    out = [int((n + 2 * pad - K) // stride + 1) for n in (H, W)]
    n = cout * out[0] * out[1]
    m = draw(st.integers(2, 5))
    conv: dict[str, Any] = {"h": draw(tensor((cout, cin, K, K))), "stride": stride, "padding": padding}
    if draw(st.booleans()):
        conv["bias"] = draw(tensor((cout,)))
    fc: dict[str, Any] = {"out_features": m,
                          "weight": draw(st.one_of(small_number, tensor((m, n), st.integers(-2, 2))))}
    if draw(st.booleans()):
        fc["bias"] = draw(st.one_of(small_number, tensor((m,))))
    return {"title": draw(st.sampled_from(["Quiz", "Homework 11, variant B", "50% & $x$ #1"])),
            "input": {"x": draw(tensor((cin, H, W), st.integers(-5, 5)))}, "conv": conv, "fc": fc,
            "loss": {"target": draw(st.integers(1, m))}}


def _solve_ok(doc: dict[str, Any], extra: list[str]) -> tuple[Path, str]:
    with workdir() as tmp:
        (tmp / "hw.toml").write_text(to_toml(doc), encoding="utf-8")
        code, out, err = run(["homework", "hw.toml", "--out", "out", *extra])
        assert "Traceback" not in out + err
        assert code == 0, (err, to_toml(doc))
        return tmp, out


@pytest.mark.skipif(not HAS_LATEX, reason="no LaTeX on this machine")
@_settings(ci=6, full=60, shrink=False)
@given(doc=homeworks())
def test_valid_homework_solves_and_its_pdf_compiles(doc):
    with workdir() as tmp:
        (tmp / "hw.toml").write_text(to_toml(doc), encoding="utf-8")
        code, out, err = run(["homework", "hw.toml", "--out", "out"])
        assert "Traceback" not in out + err
        assert code == 0, (err, to_toml(doc))
        assert {"out/hw.tex", "out/hw.md", "out/hw.pdf"} <= files_in(tmp), files_in(tmp)
        assert (tmp / "out" / "hw.pdf").read_bytes().startswith(b"%PDF")


@_settings(ci=8, full=200, shrink=False)
@given(doc=homeworks(max_channels=2, max_size=5))
def test_valid_homework_json_without_pdf(doc):
    with workdir() as tmp:
        (tmp / "hw.toml").write_text(to_toml(doc), encoding="utf-8")
        code, out, err = run(["homework", "hw.toml", "--json", "--no-pdf"])
        if code == 2 and "--json: a value is too large" in err:
            return      # the known NaN finite-difference check of dL_dp (test_json_with_a_tiny_target_probability)
        assert code == 0 and "Traceback" not in err, err
        parts = json.loads(out)["parts"]
        assert parts["p"]["shape"] == [doc["fc"]["out_features"]]
        assert abs(sum(parts["p"]["float"]) - 1) < 1e-12
        assert ("dL_dconv_bias" in parts) == ("bias" in doc["conv"])
        assert files_in(tmp) == {"hw.toml"}                     # --json without --out writes no file


def test_tiny_target_probability():
    # Found by the fuzz: fc1 = (6, -6) gives p_2 = 1/(1 + e^12) ~ 6e-6, below the finite-difference step; its
    # check was NaN and the report raised ValueError (fixed in homework.py/homework_report.py, kept as a test).
    doc = {"input": {"x": [[[6]]]}, "conv": {"h": [[[[1]]]]}, "fc": {"out_features": 2, "weight": [[1], [-1]]},
           "loss": {"target": 2}}
    with workdir() as tmp:
        (tmp / "hw.toml").write_text(to_toml(doc), encoding="utf-8")
        code, out, err = run(["homework", "hw.toml", "--out", "out", "--no-pdf"])
        assert code == 0 and (tmp / "out" / "hw.tex").exists()


def test_json_with_a_tiny_target_probability():
    # fc1 = (20, -20): p_2 = e^-40 / (1 + e^-40) ~ 4e-18; every exact value is fine.
    doc = {"input": {"x": [[[20]]]}, "conv": {"h": [[[[1]]]]}, "fc": {"out_features": 2, "weight": [[1], [-1]]},
           "loss": {"target": 2}}
    with workdir() as tmp:
        (tmp / "hw.toml").write_text(to_toml(doc), encoding="utf-8")
        code, out, err = run(["homework", "hw.toml", "--json", "--no-pdf"])
        assert code == 0, err
        assert json.loads(out)["checks"]["dL_dp"]["finite_difference"] is not None


def test_thirds_in_the_kernel():
    # Found by the fuzz (tests/data/homeworks is for files that finish); 2 x 4 x 6 input, one 3 x 3 kernel.
    doc = {"input": {"x": [[[3, 5, 0, 2, 0, -4], [2, 3, 4, -2, 4, -4], [-3, -3, -5, 4, 5, 3],
                            [-5, -5, -4, 5, -4, -4]],
                           [[0, 4, -1, 2, -4, -2], [-5, 0, 2, 5, 0, 2], [3, -5, 5, -3, -1, 5],
                            [5, 4, 5, -5, 2, -4]]]},
           "conv": {"h": [[[[1, 0, Decimal("0.5")], ["-2/3", "3/4", Decimal("0.1")], [Decimal("0.5"), -2, "3/4"]],
                           [[1, -1, 3], [Decimal("0.5"), 3, "-2/3"], [Decimal("-0.25"), -3, 3]]]],
                    "padding": "valid"},
           "fc": {"out_features": 5, "weight": [[1, -2, 1, 2, 2, 0, 1, -1], [-2, 0, -1, 0, 1, -2, -1, 2],
                                                [2, -1, -2, 2, 1, -1, 0, -2], [0, 1, -2, -1, 0, -1, -2, -1],
                                                [2, -1, -2, 0, -1, -2, 0, 2]]},
           "loss": {"target": 5}}
    with workdir() as tmp:
        (tmp / "hw.toml").write_text(to_toml(doc), encoding="utf-8")
        assert run(["homework", "hw.toml", "--out", "out", "--no-pdf"])[0] == 0


# ---------------------------------------------------------------- bad homework files

SCALAR_INTS = {("conv", "stride"): 1, ("conv", "dilation"): 1, ("conv", "padding"): 0,
               ("fc", "out_features"): 1, ("loss", "target"): 1}
REQUIRED = [("input", "x"), ("conv", "h"), ("fc", "out_features"), ("fc", "weight"), ("loss", "target")]
VALID_KEYS = {"": ["title", "input", "conv", "fc", "loss"], "input": ["x"],
              "conv": ["h", "stride", "padding", "dilation", "bias"], "fc": ["out_features", "weight", "bias"],
              "loss": ["target"]}
not_a_number = st.one_of(
    st.sampled_from(["abc", "1/0", "2**3", "__import__('os')", "1,5", "0x10", "1/2/3", "", " ", "nan", "inf",
                     "1e99999999", "-", "½", "1 0", "3.4.5", "\\frac{1}{2}", "e", "1e", "/"]),
    st.booleans(), st.dictionaries(st.sampled_from(["a", "value"]), st.integers(0, 3), min_size=1, max_size=2),
    st.sampled_from([Decimal("NaN"), Decimal("Infinity"), Decimal("-Infinity"), Decimal("1e999"),
                     10 ** 45, -(10 ** 41)]),
    st.text(st.characters(blacklist_categories=["Cs"]), min_size=1, max_size=8).filter(
        lambda t: not re.fullmatch(r"\s*[-+]?[0-9_.]+([eE][-+]?\d+)?\s*(/\s*\d+\s*)?", t)),
)


def _typo(word: str) -> st.SearchStrategy[str]:
    edits = [word[:i] + word[i + 1:] for i in range(len(word))] + \
            [word[:i] + word[i] + word[i:] for i in range(len(word))] + \
            [word[:i] + word[i + 1] + word[i] + word[i + 2:] for i in range(len(word) - 1)] + \
            [word + "s", word.capitalize(), word.upper()]
    return st.sampled_from(sorted({e for e in edits if e and e != word}))


def _paths(v: Any, path: str = "") -> list[str]:
    """The index paths of the numbers in a nested list, as the messages write them ("[0][1][2]")."""
    if isinstance(v, list):
        return [p for k, x in enumerate(v) for p in _paths(x, f"{path}[{k}]")]
    return [path]


def _set(v: Any, path: str, new: Any) -> None:
    keys = [int(k) for k in re.findall(r"\d+", path)]
    for k in keys[:-1]:
        v = v[k]
    v[keys[-1]] = new


@st.composite
def bad_homeworks(draw: Any) -> tuple[str, str | None]:
    """(TOML text, regex the error line must match) for a homework with one mistake."""
    doc = copy.deepcopy(draw(homeworks(max_channels=2, max_size=4)))
    kind = draw(st.sampled_from(["typo", "unknown", "missing_section", "missing_field", "bad_int", "bad_number",
                                 "ragged", "shape", "kernel_too_large", "target", "huge", "not_table",
                                 "title", "broken_toml", "nested_table", "bool"]))
    if kind == "typo":
        sec = draw(st.sampled_from([s for s in VALID_KEYS if s and doc.get(s)]))
        key = draw(st.sampled_from([k for k in doc[sec]]))
        typo = draw(_typo(key).filter(lambda t: t not in VALID_KEYS[sec]))
        doc[sec][typo] = doc[sec].pop(key)
        return to_toml(doc), rf"^symconv: error: {sec}\.{re.escape(typo)}: unknown field \("
    if kind == "unknown":
        sec = draw(st.sampled_from(list(VALID_KEYS)))
        key = draw(st.from_regex(r"[A-Za-z_][A-Za-z0-9_-]{0,10}", fullmatch=True).filter(
            lambda k: k not in VALID_KEYS[sec] and k not in VALID_KEYS[""]))
        (doc[sec] if sec else doc)[key] = draw(st.one_of(st.integers(0, 3), st.just("same")))
        if not sec:      # a top-level key must come before the sections: to_toml puts scalars first
            return to_toml(doc), rf"^symconv: error: {re.escape(key)}: unknown field \("
        return to_toml(doc), rf"^symconv: error: {sec}\.{re.escape(key)}: unknown field \("
    if kind == "missing_section":
        sec = draw(st.sampled_from(["input", "conv", "fc", "loss"]))
        del doc[sec]
        return to_toml(doc), rf"^symconv: error: \[{sec}\]: missing section$"
    if kind == "missing_field":
        sec, key = draw(st.sampled_from(REQUIRED))
        del doc[sec][key]
        return to_toml(doc), rf"^symconv: error: {sec}\.{key}: missing field$"
    if kind in ("bad_int", "bool", "nested_table"):
        sec, key = draw(st.sampled_from(sorted(SCALAR_INTS)))
        if kind == "bool":
            bad = draw(st.booleans())
        elif kind == "nested_table":
            bad = {"value": 1}
        else:
            low = SCALAR_INTS[sec, key]
            bad = draw(st.one_of(st.integers(-10 ** 6, low - 1), st.sampled_from([Decimal("1.0"), Decimal("1.5"),
                                                                                   "1", "2", "one", [1], [1, 1]])))
        doc[sec][key] = bad
        return to_toml(doc), rf"^symconv: error: {sec}\.{key}: "
    if kind == "bad_number":
        where = draw(st.sampled_from(["input.x", "conv.h", "fc.weight", "conv.bias", "fc.bias"]))
        sec, key = where.split(".")
        value = doc[sec].get(key, 0)
        doc[sec][key] = value
        bad = draw(not_a_number)
        if isinstance(value, list):
            path = draw(st.sampled_from(_paths(value)))
            _set(value, path, bad)
        else:
            path, doc[sec][key] = "", bad
        if isinstance(bad, dict) and path:
            return to_toml(doc), rf"^symconv: error: {re.escape(where + path)}: expected a number, got a table$"
        return to_toml(doc), rf"^symconv: error: {re.escape(where + path)}: "
    if kind == "ragged":
        where = draw(st.sampled_from(["input.x", "conv.h"]))
        sec, key = where.split(".")
        path = draw(st.sampled_from(_paths(doc[sec][key])))
        keys = [int(k) for k in re.findall(r"\d+", path)]
        row = doc[sec][key]
        for k in keys[:-1]:
            row = row[k]
        if len(row) > 1 and draw(st.booleans()):
            row.pop()
        else:
            row.append(1)
        return to_toml(doc), rf"^symconv: error: {re.escape(where)}: "
    if kind == "shape":
        what = draw(st.sampled_from(["h_channels", "conv_bias", "fc_weight", "fc_bias"]))
        if what == "h_channels":
            doc["conv"]["h"] = [c + [c[0]] for c in doc["conv"]["h"]]
            return to_toml(doc), r"^symconv: error: conv\.h: has \d+ input channels, input\.x has \d+ channels$"
        if what == "conv_bias":
            doc["conv"]["bias"] = [0] * (len(doc["conv"]["h"]) + draw(st.integers(1, 3)))
            return to_toml(doc), r"^symconv: error: conv\.bias: expected \d+ numbers? \(one per output channel\)"
        if what == "fc_weight":
            doc["fc"]["weight"] = [[1] * draw(st.integers(1, 3))] * doc["fc"]["out_features"]
            return to_toml(doc), r"^symconv: error: fc\.weight: expected a \d+ x \d+ matrix"
        doc["fc"]["bias"] = [0] * (doc["fc"]["out_features"] + 1)
        return to_toml(doc), r"^symconv: error: fc\.bias: expected \d+ numbers"
    if kind == "kernel_too_large":
        H = len(doc["input"]["x"][0])
        K = draw(st.integers(H + 1, H + 3))
        cin = len(doc["input"]["x"])
        doc["conv"].update(h=[[[[1] * K] * K] * cin], padding=0, stride=1)
        doc["conv"].pop("bias", None)
        return to_toml(doc), r"^symconv: error: conv: kernel_size: the dilated kernel \(\d+\) is larger"
    if kind == "target":
        m = doc["fc"]["out_features"]
        doc["loss"]["target"] = draw(st.one_of(st.just(0), st.integers(m + 1, m + 100), st.integers(-100, -1)))
        return to_toml(doc), rf"^symconv: error: loss\.target: expected a class from 1 to {m}, got "
    if kind == "huge":
        what = draw(st.sampled_from(["x", "fc", "number"]))
        if what == "x":
            doc["input"]["x"] = [[[0] * 65] * 64] * len(doc["input"]["x"])
            return to_toml(doc), r"^symconv: error: input\.x: .* more than the limit of 4096$"
        if what == "fc":
            doc["input"]["x"] = [[[1] * 40] * 40] * len(doc["input"]["x"])
            doc["fc"]["weight"] = "1/10"
            doc["conv"]["padding"] = "valid"
            doc["fc"]["out_features"] = 25
            return to_toml(doc), r"^symconv: error: fc\.out_features: expected an integer from 1 to 20, got 25$"
        doc["fc"]["weight"] = draw(st.sampled_from(["1" + "0" * 40, "1/" + "3" * 45, "1e-50", "12345e40"]))
        return to_toml(doc), r"^symconv: error: fc\.weight: .* is out of range"
    if kind == "not_table":
        sec = draw(st.sampled_from(["input", "conv", "fc", "loss"]))
        rest = {k: v for k, v in doc.items() if k != sec}
        return to_toml({sec: draw(st.sampled_from([1, "x", [1, 2]])), **rest}), \
            rf"^symconv: error: {sec}: expected a table \[{sec}\], got "
    if kind == "title":
        doc["title"] = draw(st.sampled_from([1, [1], True, Decimal("1.5")]))
        return to_toml(doc), r"^symconv: error: title: expected a string, got "
    text = to_toml(doc)                                   # broken TOML: cut inside the x array
    start = text.index("x = [") + 4
    return text[:draw(st.integers(start, start + 6))] + "\n", r"^symconv: error: hw\.toml: not valid TOML \("


@_settings(ci=150, full=5000)
@given(case=bad_homeworks())
def test_bad_homework_is_one_line_exit_2_nothing_written(case):
    text, names = case
    with workdir() as tmp:
        (tmp / "hw.toml").write_text(text, encoding="utf-8")
        code, out, err = run(["homework", "hw.toml", "--out", "out"])
        assert_rejected(code, out, err, names, files_in(tmp) - {"hw.toml"})
        code, out, err = run(["check", str(ANSWERS), "--against", "hw.toml", "--out", "out"])
        assert_rejected(code, out, err, names, files_in(tmp) - {"hw.toml"})


# ---------------------------------------------------------------- bad command lines

POSITIVE = ["--kernel-size", "--stride", "--dilation", "--groups", "--in-channels", "--out-channels"]
VERIFY_ONLY = ["--input-size", "--batch", "--jobs"]
non_integer = st.one_of(
    st.sampled_from(["", "two", "1.5", "1e3", "3,", ",3", "1,,2", "0x3", "3 x 3", "3x3", "(3, 3)", "[3]", "--",
                     "½", "NaN", "3;rm -rf /"]),
    st.text(st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00"), min_size=1, max_size=6)
    .filter(lambda t: not re.fullmatch(r"[\d\s,+_-]*", t) and t.strip().lower() not in ("valid", "same", "full")
            and not t.startswith("-")),
)


def _name(option: str) -> str:
    """The option as a message may name it: --input-size, input_size or "input size"."""
    return "(" + option + "|" + option[2:].replace("-", "[-_ ]") + ")"


@st.composite
def bad_command_lines(draw: Any) -> tuple[list[str], str]:
    command = draw(st.sampled_from(["derive", "verify"]))
    options = POSITIVE + ["--padding", "--ndim"] + (VERIFY_ONLY + ["--method", "--mutant"] if command == "verify"
                                                   else ["--lang"])
    option = draw(st.sampled_from(options))
    if option in ("--ndim", "--method", "--mutant", "--lang"):
        value = draw(st.one_of(st.sampled_from(["0", "4", "Exact", "torch2", "en_US", "zh-CN", ""]), non_integer)
                     .filter(lambda v: v not in ("1", "2", "3")))
    elif option == "--padding":
        value = draw(st.one_of(non_integer, st.integers(-5, -1).map(str), st.sampled_from(["half", "1,-1"])))
    elif option in ("--batch", "--jobs", "--input-size", "--groups", "--in-channels", "--out-channels"):
        value = draw(st.one_of(non_integer, st.integers(-5, 0).map(str),
                               st.sampled_from(["5000", "100000", "99999999999999999999"])))
    else:
        value = draw(st.one_of(non_integer, st.integers(-5, 0).map(str), st.sampled_from(["1,0", "0,1"])))
    argv = [command, f"{option}={value}"]
    if command == "derive":
        argv += ["--no-pdf", "--out", "out"]
    return argv, _name(option)


@_settings(ci=150, full=3000)
@given(case=bad_command_lines())
def test_bad_option_is_one_line_exit_2_nothing_written(case):
    argv, names = case
    with workdir() as tmp:
        code, out, err = run(argv)
        assert_rejected(code, out, err, names, files_in(tmp))


@pytest.mark.parametrize("argv,names", [
    (["derive", "--stride", "1,1,1", "--no-pdf", "--out", "out"], "stride"),
    (["derive", "--ndim", "1", "--kernel-size", "3,3", "--no-pdf", "--out", "out"], "kernel_size"),
    (["derive", "--padding", "same", "--stride", "2", "--no-pdf", "--out", "out"], "padding"),
    (["derive", "--groups", "3", "--in-channels", "4", "--no-pdf", "--out", "out"], "in_channels"),
    (["verify", "--input-size", "3,3,3"], "input size"),
    (["verify", "--stirde", "2"], "--stirde"),
    (["verify", "--sweep-ndim", "4"], "--sweep-ndim"),
    (["homework", "missing.toml", "--out", "out"], "missing.toml"),
    (["homework", ".", "--out", "out"], r"\.: is a folder"),
    (["homework", "--lang", "fr"], "--lang"),
    (["check", "missing.tex", "--out", "out"], "missing.tex"),
    (["check", str(ANSWERS), "--against", "missing.toml", "--out", "out"], "missing.toml"),
    (["frobnicate"], "frobnicate"),
    ([], "command"),
])
def test_bad_command_lines_named(argv, names):
    with workdir() as tmp:
        code, out, err = run(argv)
        assert_rejected(code, out, err, names, files_in(tmp))


def test_padding_message_lists_every_valid_form():
    code, out, err = run(["derive", "--padding", "foo"])
    assert err == ("symconv: error: argument --padding: --padding must be an integer, comma-separated integers, "
                   "or valid/same/full, got 'foo'\n")


@pytest.mark.parametrize("command", ["derive", "verify"])
def test_help_shows_every_default(command):
    code, out, err = run([command, "--help"])
    assert code == 0
    text = " ".join(out.split())
    for option in ["--kernel-size", "--stride", "--padding", "--dilation", "--groups", "--ndim", "--in-channels",
                   "--out-channels", "--bias"] + (["--input-size", "--batch", "--method"] if command == "verify"
                                                  else []):
        help_text = text.split(f" {option} ", 1)[1].split(" --", 1)[0]
        assert "(default: " in help_text, (option, help_text)


def test_closed_stdout_ends_quietly(monkeypatch):
    class Closed(io.StringIO):
        def write(self, s: str) -> int:
            raise BrokenPipeError(32, "Broken pipe")

        def flush(self) -> None:
            raise BrokenPipeError(32, "Broken pipe")

    err = io.StringIO()
    monkeypatch.setattr(sys, "stdout", Closed())
    with contextlib.redirect_stderr(err):
        code = main(["derive", "--ndim", "1", "--no-pdf", "--json"])
    assert code == 1 and err.getvalue() == ""


# ---------------------------------------------------------------- the same, through a real process

def _process(args: list[str], cwd: Path, **kw: Any) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "symconv", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=300, **kw)


@pytest.mark.parametrize("name,args", [
    ("bad file", ["homework", str(CORPUS / "typo_paddng.toml"), "--out", "out"]),
    ("bad option", ["verify", "--batch", "0"]),
    ("bad spec", ["derive", "--padding", "same", "--stride", "2", "--out", "out"]),
    ("huge number", ["homework", str(CORPUS / "weight_1e999.toml"), "--out", "out"]),
])
def test_no_traceback_reaches_a_real_stderr(tmp_path, name, args):
    done = _process(args, tmp_path)
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    assert len(done.stderr.splitlines()) == 1 and done.stderr.startswith("symconv: error: ")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("args", [["derive", "--help"], ["derive", "--ndim", "1", "--no-pdf", "--json"]])
def test_a_closed_pipe_is_quiet(tmp_path, args):
    proc = subprocess.Popen([sys.executable, "-m", "symconv", *args], cwd=tmp_path, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    proc.stdout.close()                       # the reader left before anything was written (`| head -0`)
    err = proc.stderr.read().decode()
    proc.wait(timeout=300)
    assert err == "", err
    assert proc.returncode in (0, 1)


# ---------------------------------------------------------------- the corpus

# file, exit status, regex of stderr's one line (for status 2) or None; "pdf" compiles it too.
CORPUS_OUTCOMES = [
    ("typo_paddng.toml", 2, r"conv\.paddng: unknown field \(did you mean conv\.padding\?\)$"),
    ("typo_strid.toml", 2, r"conv\.strid: unknown field \(did you mean conv\.stride\?\)$"),
    ("typo_out_feature.toml", 2, r"fc\.out_feature: unknown field \(did you mean fc\.out_features\?\)$"),
    ("typo_section_Conv.toml", 2, r"Conv: unknown field \(did you mean conv\?\)$"),
    ("stride_before_section.toml", 2, r"stride: unknown field \(did you mean conv\.stride\?\)$"),
    ("padding_Same.toml", 0, None),
    ("padding_half.toml", 2, r"conv\.padding: expected a non-negative integer or valid/same/full, got 'half'$"),
    ("padding_list.toml", 2, r"conv\.padding: expected an integer >= 0 or valid/same/full, got a list$"),
    ("negative_padding.toml", 2, r"conv\.padding: expected an integer >= 0, got -1$"),
    ("weight_decimal.toml", 0, None),
    ("weight_fraction_padded.toml", 0, None),
    ("weight_fraction_spaces.toml", 0, None),
    ("exponent_string.toml", 0, None),
    ("weight_expression.toml", 2, r"fc\.weight: '1/10 \+ 0' is not a number \(write an integer, a decimal or a "
                                  r"fraction such as \"1/10\"\)$"),
    ("weight_percent.toml", 2, r"fc\.weight: '10%' is not a number"),
    ("weight_comma_decimal.toml", 2, r"fc\.weight: '0,1' is not a number"),
    ("weight_1e999.toml", 2, r"fc\.weight: 1E\+999 is out of range \(numerators and denominators must be below "
                             r"10\^40\)$"),
    ("weight_nan.toml", 2, r"fc\.weight: NaN is not a finite number$"),
    ("weight_4301_digits.toml", 2, r"weight_4301_digits\.toml: fc\.weight: a number of 4,301 digits \(the limit is "
                                   r"4,300\)$"),
    ("x_nested_600.toml", 2, r"x_nested_600\.toml: input\.x: arrays or tables nested 600 deep \(the limit is 32\)$"),
    ("weight_table.toml", 2, r"fc\.weight: expected a number, got a table$"),
    ("weight_transposed.toml", 2, r"fc\.weight: expected a 3 x 4 matrix \(out_features x the 4 entries of "
                                  r"relu1\), got 4 x 3$"),
    ("crlf.toml", 0, None),
    ("bom.toml", 0, "pdf"),
    ("trailing_commas.toml", 0, None),
    ("trailing_comma_inline_table.toml", 2, r"trailing_comma_inline_table\.toml: not valid TOML \("),
    ("chinese_comments.toml", 0, None),
    ("tabs.toml", 0, None),
    ("gbk_comments.toml", 2, r"gbk_comments\.toml: not UTF-8 text \(byte 2\); save it as UTF-8$"),
    ("target_zero.toml", 2, r"loss\.target: expected a class from 1 to 3, got 0 \(classes are numbered from 1"),
    ("target_0based_past_end.toml", 2, r"loss\.target: expected a class from 1 to 3, got 4$"),
    ("target_last_class.toml", 0, None),
    ("target_one_hot.toml", 2, r"loss\.target: expected an integer from 1 to 3, got a list$"),
    ("target_bool.toml", 2, r"loss\.target: expected an integer from 1 to 3, got true$"),
    ("target_string.toml", 2, r"loss\.target: expected an integer from 1 to 3, got '2'$"),
    ("stride_float.toml", 2, r"conv\.stride: expected a positive integer, got 1\.0$"),
    ("x_without_channel_axis.toml", 2, r"input\.x: \[0\]\[0\] should be a non-empty list \(C_in x H x W\), "
                                       r"got a number$"),
    ("x_ragged.toml", 2, r"input\.x: ragged array: \[0\]\[1\] has shape \[2\], \[0\]\[0\] has \[3\]"),
    ("x_string_entry.toml", 2, r"input\.x\[0\]\[1\]\[1\]: 'one' is not a number"),
    ("kernel_larger_than_input.toml", 2, r"conv: kernel_size: the dilated kernel \(4\) is larger than the padded "
                                         r"input \(3 \+ 0 \+ 0\) on spatial axis 1$"),
    ("kernel_wrong_channels.toml", 2, r"conv\.h: has 2 input channels, input\.x has 1 channels$"),
    ("conv_bias_too_many.toml", 2, r"conv\.bias: expected 1 number \(one per output channel\), got 2$"),
    ("duplicate_key.toml", 2, r"duplicate_key\.toml: not valid TOML \(Cannot overwrite a value"),
    ("missing_loss.toml", 2, r"\[loss\]: missing section$"),
    ("empty.toml", 2, r"\[input\]: missing section$"),
    ("too_many_weights.toml", 2, r"fc\.out_features: expected an integer from 1 to 20, got 60$"),
    ("latex_in_title.toml", 0, "pdf"),
    ("all_optional_fields.toml", 0, "pdf"),
    ("chinese_title.toml", 0, "pdf"),        # a CJK title in an English report: built with XeLaTeX
]


def test_corpus_table_covers_every_file():
    listed = {c.values[0] if hasattr(c, "values") else c[0] for c in CORPUS_OUTCOMES}
    assert listed == {p.name for p in CORPUS.glob("*.toml")}


@pytest.mark.parametrize("name,status,expect", CORPUS_OUTCOMES)
def test_corpus(name, status, expect):
    pdf = expect == "pdf"
    if pdf and not HAS_LATEX:
        pytest.skip("no LaTeX on this machine")
    with workdir() as tmp:
        shutil.copyfile(CORPUS / name, tmp / name)
        code, out, err = run(["homework", name, "--out", "out"] + ([] if pdf else ["--no-pdf"]))
        if status == 2:
            line = assert_rejected(code, out, err, None, files_in(tmp) - {name})
            assert re.match(r"symconv: error: " + expect, line), line
        else:
            assert code == status and "Traceback" not in err, err
            stem = Path(name).stem
            assert {f"out/{stem}.tex", f"out/{stem}.md"} <= files_in(tmp)
            if pdf:
                assert (tmp / "out" / f"{stem}.pdf").exists(), out + err
