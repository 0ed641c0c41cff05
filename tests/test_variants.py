"""Issue 21, items 3-5: a variant for every student (``symconv variants``), graded against its own key
(``symconv check --variants``), and a gradebook an LMS imports.

Oracles: every answer key is compared with PyTorch autograd in float64 on the student's own file; students'
sheets are written here from the keys the way students write (decimals, tuples, channel matrices), some
with the usual mistakes, and the expected points are counted from what each sheet was made to get right.
"""

from __future__ import annotations

import csv
import io
import json
import re
import tomllib
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest

from conftest import homework_by_torch, needs_torch
from symconv.cli import main
from symconv.errors import InputError
from symconv.homework.inputs import load, packaged, parse, toml_loads
from symconv.homework.roster import file_stems, read_text
from symconv.homework.solution import solve
from symconv.homework.variants import degeneracies, draw, make_variant, plan, read_variants, to_toml

SEED_TEXT = packaged().read_text(encoding="utf-8")
RANGES = """
[variants]
x = { low = -3, high = 3 }
h = { values = [-1, 0, 1] }
W = { low = -5, high = 5, denominator = 10 }
"""


def homework(tmp_path: Path, extra: str = RANGES, base: str = SEED_TEXT) -> Path:
    path = tmp_path / "hw.toml"
    path.write_text(base + extra, encoding="utf-8")
    return path


def run(capsys, *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


# --- drawing -------------------------------------------------------------------------------------------

def test_the_seed_file_reads_with_variants_and_points_tables():
    # inputs.py knows the two tables (a key it does not know is still an error)
    data = tomllib.loads(SEED_TEXT + RANGES + "[points]\nL = 2\n")
    assert parse(data, "hw").title == "Homework 11"


def test_a_students_numbers_depend_on_the_seed_and_the_id_alone(tmp_path):
    p = plan(homework(tmp_path).read_text(encoding="utf-8"), "hw")
    alone = make_variant(p, 11, "s042", {})
    taken: dict[str, dict[str, str]] = {}
    for other in ("s001", "zz", "s900"):          # other students drawn first: a shared generator would shift
        make_variant(p, 11, other, taken)
    in_class = make_variant(p, 11, "s042", taken)
    assert to_toml(alone.data) == to_toml(in_class.data)
    assert to_toml(make_variant(p, 12, "s042", {}).data) != to_toml(alone.data)


def test_tensors_not_named_keep_the_files_values_and_a_scalar_weight_drawn_becomes_a_matrix(tmp_path):
    p = plan(homework(tmp_path, "[variants]\nW = { low = -5, high = 5, denominator = 10 }\n").read_text(), "hw")
    v = make_variant(p, 3, "a", {})
    base = tomllib.loads(SEED_TEXT)
    assert v.data["input"]["x"] == base["input"]["x"] and v.data["conv"]["h"] == base["conv"]["h"]
    W = np.array(v.data["fc"]["weight"], dtype=object)
    assert W.shape == (5, 8)
    assert all(v10 in {f"{k}/10" for k in range(-5, 6)} | {str(k) for k in range(-5, 6)} | set(range(-5, 6))
               or re.fullmatch(r"-?\d/\d+", str(v10)) for v10 in W.reshape(-1))


def test_the_seeds_equal_fc_rows_are_degenerate_for_every_draw_of_x_and_named(tmp_path, capsys):
    # W = 1/10 everywhere: dL/drelu1 = 0.1 * sum(p - y) = 0 whatever x is, so no draw of x alone passes
    path = homework(tmp_path, "[variants]\nx = { low = -3, high = 3 }\n")
    status, out, err = run(capsys, "variants", str(path), "--students", "2", "--seed", "1",
                           "--out", str(tmp_path / "o"), "--no-pdf")
    assert status == 2 and out == ""
    assert re.fullmatch(r"symconv: error: variants: student 's001': none of 200 draws passed the rules \(the last: "
                        r".*dL_drelu1 is zero in every entry.*\); widen the ranges under \[variants\] or draw "
                        r"more tensors\n", err)
    assert not (tmp_path / "o" / "variants.json").exists()


def test_each_rule_rejects_its_degenerate_variant():
    hw = load()
    s = solve(hw)                                       # the seed: zero gradients, no ReLU tie, uniform p
    rules = read_variants({"x": {"low": 0, "high": 1}}, {"x": (2, 4, 4)})
    reasons = dict((k, v) for k, v in degeneracies(s, list(s.exact), rules)[::-1])
    assert {"var.zero", "var.uniform"} <= set(reasons)
    assert reasons["var.uniform"] == {"n": 5}
    zeros = {v["part"] for k, v in degeneracies(s, list(s.exact), rules) if k == "var.zero"}
    assert zeros == {"dL_drelu1", "dL_dconv1", "dL_dh", "dL_dx"}     # as ∂L/∂relu1 = 0.1·Σ(p − y) = 0
    # a ReLU input exactly 0: x all zero makes conv1 zero everywhere
    data = tomllib.loads(SEED_TEXT)
    data["input"]["x"] = [[[0] * 4] * 4] * 2
    tie = solve(parse(data, "hw"))
    assert ("var.relu_zero" in [k for k, _ in degeneracies(tie, [], rules)])
    allowed = read_variants({"x": {"low": 0, "high": 1}, "allow_relu_zero": True}, {"x": (2, 4, 4)})
    assert "var.relu_zero" not in [k for k, _ in degeneracies(tie, [], allowed)]
    tight = read_variants({"x": {"low": 0, "high": 1}, "max_digits": 1}, {"x": (2, 4, 4)})
    assert ("var.digits", {"part": "conv1", "n": 3, "max": 1}) in degeneracies(s, [], tight)   # conv1 has -108



def test_a_part_near_zero_is_rejected_unless_allow_tiny():
    """A saturated softmax (the target's logit 30 above the others) makes every gradient ~1e-13: a 4-place
    answer reads 0 for all of them. Such a draw is rejected (var.tiny), not given to a student."""
    data = tomllib.loads(SEED_TEXT)
    data["fc"]["bias"] = [0, 0, 30, 0, 0]                     # target = 3 (1-based): the third class
    s = solve(parse(data, "hw"))
    largest = float(np.max(np.abs(s.floats("dL_dfc1"))))
    assert 0 < largest < 1e-4                                  # p_3 = 1 − 4·e^{−30}: near zero, not zero
    rules = read_variants({"x": {"low": 0, "high": 1}}, {"x": (2, 4, 4)})
    tiny = {v["part"] for k, v in degeneracies(s, ["dL_dfc1", "dL_dW", "L"], rules) if k == "var.tiny"}
    assert tiny == {"dL_dfc1", "dL_dW", "L"}                   # L = −log p_3 ≈ 4·e^{−30} too
    allowed = read_variants({"x": {"low": 0, "high": 1}, "allow_tiny": True}, {"x": (2, 4, 4)})
    assert "var.tiny" not in [k for k, _ in degeneracies(s, ["dL_dfc1"], allowed)]
    seed = solve(load())                                        # the seed: L = log 5, not near zero
    assert "var.tiny" not in [k for k, _ in degeneracies(seed, ["L", "p"], rules)]

@needs_torch
def test_two_hundred_students_share_no_answer_key_part_and_every_key_is_pytorchs(tmp_path, capsys):
    path = homework(tmp_path)
    status, out, err = run(capsys, "variants", str(path), "--students", "200", "--seed", "2026",
                           "--out", str(tmp_path / "c"), "--no-pdf")
    assert status == 0, err
    summary = json.loads((tmp_path / "c" / "variants.json").read_text(encoding="utf-8"))
    seen: dict[tuple[str, str], str] = {}
    for s in summary["students"]:
        key = json.loads((tmp_path / "c" / s["key"]).read_text(encoding="utf-8"))
        for part, v in key["parts"].items():
            text = json.dumps(v["exact"])
            assert (part, text) not in seen, f"{s['id']} and {seen[(part, text)]} share {part}"
            seen[(part, text)] = s["id"]
            assert not all(e == "0" for e in np.array(v["exact"], dtype=object).reshape(-1)), (s["id"], part)
    # every fifth key against PyTorch autograd on that student's own file
    for s in summary["students"][::40]:
        hw = load(tmp_path / "c" / s["homework"])
        torch_parts = homework_by_torch(hw)
        key = json.loads((tmp_path / "c" / s["key"]).read_text(encoding="utf-8"))
        for part, want in torch_parts.items():
            got = np.array(key["parts"][part]["float"], dtype=float)
            np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12, err_msg=f"{s['id']} {part}")
        assert not any(c == 0 for c in np.array(key["parts"]["conv1"]["float"]).reshape(-1))   # no ReLU tie


def test_the_written_toml_reads_back_to_the_same_homework():
    data = toml_loads(SEED_TEXT, "hw", parse_float=Decimal)
    data["title"] = 'Quote " back\\slash\n\x7f tab\t 张三'
    data["fc"]["bias"] = Decimal("0.5")
    again = parse(tomllib.loads(to_toml(data, "a comment\nover two lines"), parse_float=Decimal), "hw")
    first = parse(data, "hw")
    assert again.title == first.title
    assert (again.fc_weight == first.fc_weight).all() and (again.fc_bias == first.fc_bias).all()
    assert (again.x == first.x).all() and (again.h == first.h).all()


# --- hostile ranges and rosters ------------------------------------------------------------------------

@pytest.mark.parametrize("table,message", [
    ("x = { low = 3, high = -3 }", r"variants\.x\.low: 3 is above high \(-3\)"),
    ("x = { low = -3 }", r"variants\.x\.high: missing field"),
    ("x = { low = 0, high = 1, denominator = 0 }", r"variants\.x\.denominator: expected an integer from 1"),
    ("x = { low = 0.5, high = 1 }", r"variants\.x\.low: expected an integer"),
    ("x = { low = 0, high = 10000000 }", r"variants\.x\.high: expected an integer from -1,000,000 to 1,000,000"),
    ("x = { values = [] }", r"variants\.x\.values: expected a non-empty list of numbers, got an empty list"),
    ("x = { values = [1, \"2**10\"] }", r"variants\.x\.values\[1\]: '2\*\*10' is not a number"),
    ("x = { values = [1], low = 0 }", r"variants\.x\.low: not with values"),
    ("x = { lwo = 0, high = 1 }", r"variants\.x\.lwo: unknown field \(did you mean variants\.x\.low\?\)"),
    ("conv1 = { low = 0, high = 1 }", r"variants\.conv1: no tensor of this homework is named 'conv1'"),
    ("X = { low = 0, high = 1 }", r"variants\.X: no tensor of this homework is named 'X' \(did you mean"),
    ("x = 3", r"variants\.x: expected a table such as"),
    ("allow_relu_zero = 1\nx = { low = 0, high = 1 }", r"variants\.allow_relu_zero: expected true or false"),
    ("max_digits = 0\nx = { low = 0, high = 1 }", r"variants\.max_digits: expected an integer from 1 to 1000"),
    ("allow_relu_zero = true", r"variants: names no tensor to draw"),
    ("\"\\u202ex\" = { low = 0, high = 1 }", r'variants\.\"\\u202ex\": no tensor'),
    ("x = { low = 0, high = 1 }\n[points]\nLL = 1", r"points\.LL: no part of this homework is named 'LL' "
                                                     r"\(did you mean points\.L\?\)"),
    ("x = { low = 0, high = 1 }\n[points]\nL = -1", r"points\.L: -1 is not a number of points"),
    ("x = { low = 0, high = 1 }\n[points]\nL = \"1/3\"", r"points\.L: '1/3' is not a number of points"),
    ("x = { low = 0, high = 1 }\n[points]\nL = 0.125", r"points\.L: 0\.125 is not a number of points"),
])
def test_a_hostile_range_is_one_line_naming_the_field(tmp_path, capsys, table, message):
    path = homework(tmp_path, "[variants]\n" + table + "\n")
    status, out, err = run(capsys, "variants", str(path), "--students", "2", "--seed", "1",
                           "--out", str(tmp_path / "o"), "--no-pdf")
    assert status == 2 and out == ""
    assert re.fullmatch(r"symconv: error: " + message + r".*\n", err), err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_a_file_without_variants_is_one_line(tmp_path, capsys):
    status, _, err = run(capsys, "variants", str(homework(tmp_path, "")), "--students", "2", "--seed", "1",
                         "--out", str(tmp_path / "o"))
    assert status == 2 and re.fullmatch(r"symconv: error: hw: no \[variants\] table: .*\n", err)


@pytest.mark.parametrize("roster,message", [
    (b"name,email\nAda,a@x\n", r"r\.csv: line 1: no 'id' column \(the header is 'name', 'email'"),
    (b"id,name\n,Ada\n", r"r\.csv: line 2: id: empty"),
    (b"id,name\ns1,Ada\nS1,Bob\n", r"r\.csv: line 3: id: 'S1' repeats line 2's 's1'"),
    (b"id,name\ns1,A\x07da\n", r"r\.csv: line 2: name: holds the control character U\+0007"),
    ("id,name\ns1,Ada\u202eevil\n".encode(), r"r\.csv: line 2: name: holds the control character U\+202E"),
    (b"id,name\ns1,\xff\n", r".*r\.csv: not UTF-8 text \(byte 11\); save it as UTF-8"),
    (b"", r"r\.csv: an empty roster"),
    (b"id,name\n", r"r\.csv: no students \(only a header\)"),
    (b"id,id,name\n1,2,a\n", r"r\.csv: line 1: the header has two id columns"),
    (("id,name\n" + "x" * 65 + ",a\n").encode(), r"r\.csv: line 2: id: 65 characters, more than the limit of 64"),
])
def test_a_hostile_roster_is_one_line_naming_the_line_and_field(tmp_path, capsys, roster, message):
    (tmp_path / "r.csv").write_bytes(roster)
    status, out, err = run(capsys, "variants", str(homework(tmp_path)), "--students", str(tmp_path / "r.csv"),
                           "--seed", "1", "--out", str(tmp_path / "o"), "--no-pdf")
    assert status == 2 and out == ""
    assert re.fullmatch(r"symconv: error: " + message + r".*\n", err), err


def test_a_roster_with_a_bom_windows_lines_and_other_columns_reads():
    text = "\ufeffStudent ID,Full Name,Email,Section\r\ns1, Ada ,a@x.org,A\r\n\r\n张三,,z@x.org,B\r\n"
    students = read_text(text, "r.csv")
    assert [(s.id, s.name, s.email, s.section) for s in students] == [
        ("s1", "Ada", "a@x.org", "A"), ("张三", "张三", "z@x.org", "B")]


def test_ids_become_safe_file_names():
    stems = file_stems(["../x", "a/b", "-rf", ".", "S1", "s1_", "CON", "张三"])
    assert all("/" not in s and s not in (".", "..") and not s.startswith(("-", ".")) for s in stems.values())
    assert stems["张三"] == "张三" and stems["S1"] == "S1"
    assert len({s.casefold() for s in stems.values()}) == len(stems)


# --- a class graded against its own keys --------------------------------------------------------------

def _num(v: float) -> str:
    """A float as a notebook prints it (a double in full, or its shortest form), the way students paste it."""
    return "0" if v == 0 else repr(float(v))


def _latex(a, transpose: bool = False) -> str:
    """A value as a student writes it: decimals, a tuple for a vector, channel matrices for a 3-D tensor,
    every kernel matrix in (out, in) order for a 4-D one."""
    a = np.array(a, dtype=float)
    if transpose:
        a = a.T
    if a.ndim == 0:
        return _num(float(a))
    if a.ndim == 1:
        return "(" + ", ".join(_num(v) for v in a) + ")^T"
    if a.ndim == 2:
        return r"\begin{bmatrix}" + r" \\ ".join(" & ".join(_num(v) for v in r) for r in a) + r"\end{bmatrix}"
    return ", ".join(_latex(c) for c in a.reshape((-1,) + a.shape[-2:]))


MISTAKES = {   # part -> (how the wrong answer is written from the key, the mistake the grader must name)
    "dL_dfc1": (lambda k: _latex(-np.array(k["dL_dfc1"]["float"])), "sign_flipped"),
    "L": (lambda k: _num(float(k["L"]["float"]) / np.log(10)), "log_base_10"),
    "dL_dW": (lambda k: _latex(k["dL_dW"]["float"], transpose=True), "transposed"),
    "dL_dconv1": (lambda k: _latex(k["dL_drelu1"]["float"]), "relu_mask"),
}


def _sheet(key: dict, student_line: str | None, wrong: tuple[str, ...] = (), skip: tuple[str, ...] = ()) -> str:
    parts = key["parts"]
    lines = [f'% student = "{student_line}"'] if student_line is not None else []
    lines.append(r"\documentclass{article}\begin{document}")
    for part, v in parts.items():
        if part in skip:
            continue
        body = MISTAKES[part][0](parts) if part in wrong else _latex(v["float"])
        lines.append(f"\\begin{{equation}}\\label{{ans:{part}}}\n{body}\n\\end{{equation}}")
    return "\n".join(lines + [r"\end{document}"]) + "\n"


ROSTER = ("id,name,email,section\n"
          "s001,Ada Lovelace,ada@uni.edu,A\n"
          "s002,张三,zhang@uni.edu,A\n"
          "s003,\"O'Brien, \\textbf{Pat} & Co\",pat@uni.edu,B\n"
          "s004,=HYPERLINK(\"x\"),eq@uni.edu,B\n"
          "2024-17,Zoë #5 $x$,zoe@uni.edu,B\n"
          "s006,Li Wei,li@uni.edu,A\n"
          "s007,Nobody Handed In,no@uni.edu,A\n")


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """6 sheets (of a roster of 7) written from the students' keys, graded by check --variants."""
    tmp = tmp_path_factory.mktemp("class")
    (tmp / "roster.csv").write_text("\ufeff" + ROSTER, encoding="utf-8")
    (tmp / "hw.toml").write_text(SEED_TEXT + RANGES + "[points]\n" + "\n".join(
        f"{p} = {2 if p in ('dL_dh', 'dL_dx') else 1}" for p in
        ("conv1", "relu1", "fc1", "p", "L", "dL_dp", "dL_dfc1", "dL_drelu1", "dL_dconv1", "dL_dW", "dL_dh", "dL_dx"))
        + "\n", encoding="utf-8")
    assert main(["variants", str(tmp / "hw.toml"), "--students", str(tmp / "roster.csv"), "--seed", "21",
                 "--out", str(tmp / "class"), "--no-pdf"]) == 0
    summary = json.loads((tmp / "class" / "variants.json").read_text(encoding="utf-8"))
    keys = {s["id"]: json.loads((tmp / "class" / s["key"]).read_text(encoding="utf-8")) for s in summary["students"]}
    sheets = tmp / "sheets"
    sheets.mkdir()
    plan_ = {   # file name, whose key it is written from, the student line, wrong parts, parts left out
        "s001.tex": ("s001", None, (), ()),                                   # all right, by file name
        "answers-S002-final.tex": ("s002", None, ("L",), ()),                # matched by its name, any case
        "pat.tex": ("s003", "s003", ("dL_dfc1", "dL_dW"), ()),                # by its student line
        "eq.tex": ("s001", "s004", (), ()),                                  # s001's numbers: s004 copied
        "zoe-2024-17.tex": ("2024-17", None, ("dL_dconv1",), ("dL_dx",)),
        "li.tex": ("s006", "s006", (), ("dL_dp",)),
    }
    for name, (whose, line, wrong, skip) in plan_.items():
        (sheets / name).write_text(_sheet(keys[whose]["parts"] and keys[whose], line, wrong, skip), encoding="utf-8")
    (sheets / "stranger.tex").write_text(_sheet(keys["s001"], "s999"), encoding="utf-8")
    out = tmp / "graded"
    status = main(["check", str(sheets), "--variants", str(tmp / "class"), "--out", str(out), "--no-pdf",
                   "--jobs", "2", "--gradebook", "canvas"])
    canvas = (out / "gradebook_canvas.csv").read_text(encoding="utf-8")
    assert main(["check", str(sheets / "s001.tex"), str(sheets / "li.tex"), "--variants", str(tmp / "class"),
                 "--out", str(tmp / "moodle"), "--no-pdf", "--gradebook", "moodle"]) == 0   # missing is no fault
    return {"status": status, "out": out, "canvas": canvas, "tmp": tmp, "summary": summary,
            "moodle": (tmp / "moodle" / "gradebook_moodle.csv").read_text(encoding="utf-8")}


def test_each_sheet_is_graded_against_its_own_students_key(graded):
    book = json.loads((graded["out"] / "gradebook.json").read_text(encoding="utf-8"))
    verdicts = {s["student"]: {p["part"]: (p["verdict"], p["mistake"]) for p in s["parts"]} for s in book["students"]}
    assert set(verdicts) == {"s001", "s002", "s003", "s004", "2024-17", "s006"}
    assert all(v == ("correct", "") for v in verdicts["s001"].values())
    assert verdicts["s002"]["L"] == ("wrong", "log_base_10")
    assert sum(v[0] == "correct" for v in verdicts["s002"].values()) == 11
    assert verdicts["s003"]["dL_dfc1"] == ("wrong", "sign_flipped")
    assert verdicts["s003"]["dL_dW"][0] == "wrong" and "transposed" in verdicts["s003"]["dL_dW"][1]
    # s004 handed in s001's numbers: wrong against s004's own key wherever the numbers differ
    assert sum(v[0] == "wrong" for v in verdicts["s004"].values()) >= 10
    assert verdicts["2024-17"]["dL_dconv1"] == ("wrong", "relu_mask")
    assert verdicts["2024-17"]["dL_dx"][0] == "missing" and verdicts["s006"]["dL_dp"][0] == "missing"
    assert [e["file"] for e in book["errors"]] == [str(graded["tmp"] / "sheets" / "stranger.tex")]
    assert "names no student of the roster" in book["errors"][0]["error"]
    assert graded["status"] == 1


def _points(graded) -> dict[str, float]:
    return {"s001": 14, "s002": 13, "s003": 12, "s004": None, "2024-17": 11, "s006": 13, "s007": None}


def test_the_wide_gradebook_has_points_totals_and_mistakes_and_a_bom(graded):
    raw = (graded["out"] / "gradebook_wide.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    by = {r["id"]: r for r in rows}
    assert [r["id"] for r in rows] == ["s001", "s002", "s003", "s004", "2024-17", "s006", "s007"]
    assert by["s001"]["total"] == "14" and by["s001"]["dL_dh"] == "2" and by["s001"]["mistakes"] == ""
    assert by["s002"]["total"] == "13" and by["s002"]["L"] == "0" and by["s002"]["mistakes"] == "L: log_base_10"
    assert by["s003"]["total"] == "12"
    assert by["2024-17"]["total"] == "11" and by["2024-17"]["dL_dx"] == "0"      # relu_mask and dL_dx missing
    assert by["s006"]["total"] == "13"
    assert by["s007"]["total"] == "" and by["s007"]["note"] == "no sheet"
    assert by["s003"]["name"] == "O'Brien, \\textbf{Pat} & Co"
    assert by["s004"]["name"] == "'=HYPERLINK(\"x\")"          # made inert for a spreadsheet
    s004 = int(by["s004"]["total"])
    assert s004 <= 4                     # only the parts s001's numbers happen to share with s004's


def test_the_canvas_csv_reads_back_in_its_import_layout(graded):
    rows = list(csv.reader(io.StringIO(graded["canvas"])))
    assert rows[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "Homework 11"]
    assert rows[1][0] == "Points Possible" and rows[1][5] == "14"
    by = {r[2]: r for r in rows[2:]}
    assert by["s001"] == ["Ada Lovelace", "", "s001", "", "A", "14"]
    assert by["s002"][0] == "张三" and by["s002"][5] == "13"
    assert by["2024-17"][5] == "11" and by["s007"][5] == ""
    assert not graded["canvas"].startswith("\ufeff")


def test_the_moodle_csv_reads_back_with_its_identifier_columns(graded):
    rows = list(csv.reader(io.StringIO(graded["moodle"])))
    assert rows[0] == ["ID number", "Email address", "Full name", "Homework 11"]
    by = {r[0]: r for r in rows[1:]}
    assert by["s001"] == ["s001", "ada@uni.edu", "Ada Lovelace", "14"]
    assert by["s006"][3] == "13" and by["s002"][3] == ""       # s002 handed nothing in this run


def test_parts_the_homework_does_not_ask_are_not_missing(tmp_path, capsys):
    path = homework(tmp_path, RANGES + "[points]\nL = 2\np = 1\n")
    assert main(["variants", str(path), "--students", "1", "--seed", "4", "--out", str(tmp_path / "c"),
                 "--no-pdf"]) == 0
    key = json.loads((tmp_path / "c" / "keys" / "key_s001.json").read_text(encoding="utf-8"))
    (tmp_path / "s001.toml").write_text(f'student = "s001"\nL = "{_num(key["parts"]["L"]["float"])}"\n',
                                        encoding="utf-8")
    capsys.readouterr()
    status, out, _ = run(capsys, "check", str(tmp_path / "s001.toml"), str(tmp_path / "s001.toml"),
                         "--variants", str(tmp_path / "c"), "--json")
    book = json.loads(out)
    assert [(p["part"], p["verdict"]) for p in book["students"][0]["parts"]] == [("p", "missing"), ("L", "correct")]
    assert status == 0


def test_a_changed_homework_file_is_that_sheets_error(tmp_path, capsys):
    path = homework(tmp_path)
    assert main(["variants", str(path), "--students", "2", "--seed", "4", "--out", str(tmp_path / "c"),
                 "--no-pdf"]) == 0
    hw = tmp_path / "c" / "sheets" / "homework_s001.toml"
    hw.write_text(hw.read_text(encoding="utf-8").replace("target = 3", "target = 2"), encoding="utf-8")
    (tmp_path / "s001.tex").write_text("\\begin{equation}\\label{ans:L} 1 \\end{equation}\n", encoding="utf-8")
    (tmp_path / "s002.tex").write_text("\\begin{equation}\\label{ans:L} 1 \\end{equation}\n", encoding="utf-8")
    capsys.readouterr()
    status, out, err = run(capsys, "check", str(tmp_path / "s001.tex"), str(tmp_path / "s002.tex"),
                           "--variants", str(tmp_path / "c"))
    assert "homework_s001.toml: changed since symconv variants wrote it" in err
    assert status == 1 and "s002" in out


def test_gradebook_needs_variants_and_out(tmp_path, capsys):
    status, _, err = run(capsys, "check", "x.tex", "--gradebook", "canvas")
    assert status == 2 and err.startswith("symconv: error: --gradebook: only with --variants DIR and --out DIR")
    status, _, err = run(capsys, "check", "x.tex", "--variants", str(tmp_path))
    assert status == 2 and re.match(r"symconv: error: --variants: .*variants\.json: no such file", err)


def test_problem_sheets_escape_names_and_compile(graded):
    tex = (graded["tmp"] / "class" / "sheets" / "problems_s003.tex").read_text(encoding="utf-8")
    assert r"\textbf{Pat}" not in tex and r"\textbackslash{}textbf\{Pat\} \& Co" in tex
    md = (graded["tmp"] / "class" / "sheets" / "problems_2024-17.md").read_text(encoding="utf-8")
    assert r"Zoë \#5 \$x\$" in md


def test_workers_at_once_keep_the_order_and_each_ones_error():
    from symconv.grading.isolated import in_workers
    seen: list[int] = []
    out = in_workers(lambda k: 10 // k, [(k,) for k in (5, 0, 2, 1)], jobs=3, done=lambda k, _: seen.append(k))
    assert [o.value for o in out] == [2, None, 5, 10]
    assert out[1].error == "ZeroDivisionError: integer division or modulo by zero"
    assert sorted(seen) == [0, 1, 2, 3]



def test_a_linked_keys_folder_is_never_written_through(tmp_path, capsys):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (tmp_path / "o").mkdir()
    (tmp_path / "o" / "keys").symlink_to(elsewhere)
    status, _, err = run(capsys, "variants", str(homework(tmp_path)), "--students", "1", "--seed", "1",
                         "--out", str(tmp_path / "o"), "--no-pdf")
    assert status == 2 and re.fullmatch(r"symconv: error: --out: .*keys is a link or not a folder; .*\n", err)
    assert list(elsewhere.iterdir()) == []
