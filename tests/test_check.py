"""symconv check: the homework's own answers, altered and garbled copies, notations, parser pitfalls."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import sympy as sp

from symconv.grading.answers import ParseError, parse_answer, read_tex_answers

ANSWERS = Path(__file__).parent / "data" / "homework_answers.tex"


def _check(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "symconv", "check", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=300)


def test_the_homework_answers_are_all_correct(tmp_path):
    done = _check(str(ANSWERS), "--json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    verdicts = {k: v["verdict"] for k, v in doc["parts"].items()}
    assert verdicts.pop("dL_dx") == "missing"
    assert set(verdicts.values()) == {"correct"} and len(verdicts) == 11
    assert doc["summary"] == {"correct": 11, "wrong": 0, "unparsed": 0, "missing": 1}


def test_three_altered_values_are_exactly_three_wrong(tmp_path):
    text = ANSWERS.read_text(encoding="utf-8")
    text = text.replace(r"\begin{bmatrix} 98 & 100 \\ 100 & 98 \end{bmatrix}" "\n\\end{equation}\n"
                        r"\begin{equation}\label{ans:relu1}",
                        r"\begin{bmatrix} 98 & 101 \\ 100 & 98 \end{bmatrix}" "\n\\end{equation}\n"
                        r"\begin{equation}\label{ans:relu1}")
    text = text.replace(r"L = -\log(0.2)", r"L = -\log(0.25)")
    text = text.replace(r"-78.4 & -80 & -80 & -78.4", r"-78.4 & -80 & -81 & -78.4")
    (tmp_path / "altered.tex").write_text(text, encoding="utf-8")
    done = _check("altered.tex", "--json", cwd=tmp_path)
    assert done.returncode == 1
    parts = json.loads(done.stdout)["parts"]
    wrong = sorted(k for k, v in parts.items() if v["verdict"] == "wrong")
    assert wrong == ["L", "conv1", "dL_dW"]
    assert "[1, 0, 1]: given 101, expected 100" in parts["conv1"]["detail"]
    assert "[2, 6]: given -81, expected -80" in parts["dL_dW"]["detail"]


def test_a_garbled_part_is_unparsed_and_the_rest_graded(tmp_path):
    text = ANSWERS.read_text(encoding="utf-8").replace(r"p = [0.2 \quad", r"p = [0.2 \quad \frac{")
    (tmp_path / "garbled.tex").write_text(text, encoding="utf-8")
    done = _check("garbled.tex", "--json", cwd=tmp_path)
    assert done.returncode == 1
    parts = json.loads(done.stdout)["parts"]
    assert parts["p"]["verdict"] == "unparsed"
    assert parts["p"]["detail"] and "frac" in parts["p"]["given"]
    assert sum(v["verdict"] == "correct" for v in parts.values()) == 10


@pytest.mark.parametrize("latex,expected", [
    (r"x = 3", 3),
    (r"x = 0.2", sp.Rational(1, 5)),
    (r"x = -\frac{4}{5}", sp.Rational(-4, 5)),
    (r"L = -\log(0.2)", sp.log(5)),                  # natural, not base 10
    (r"L = \ln 5", sp.log(5)),
    (r"y = e^{2} - \exp(2)", 0),
    (r"y = \frac{\partial L}{\partial p} = a = 7", 7),   # the last right-hand side is the answer
])
def test_scalar_notations(latex, expected):
    assert sp.simplify(parse_answer(latex).value - expected) == 0


@pytest.mark.parametrize("latex", [
    r"v = [1 \quad 2 \quad 3]^T",
    r"v = [1 \; 2 \; 3]",
    r"v = \left[1 \quad 2 \quad 3\right]^{T}",
    r"v = \begin{bmatrix} 1 & 2 & 3 \end{bmatrix}^T",
    r"v = \begin{pmatrix} 1 \\ 2 \\ 3 \end{pmatrix}",
    r"v = \begin{bmatrix} 1 \\ 2 \\ 3 \end{bmatrix}",
])
def test_vector_notations_are_vectors_not_products(latex):
    assert list(parse_answer(latex).value) == [1, 2, 3]


def test_channels_separated_by_commas():
    v = parse_answer(r"c = \begin{bmatrix} 1 & 2 \\ 3 & 4 \end{bmatrix}, \begin{bmatrix} 5 & 6 \\ 7 & 8 \end{bmatrix}")
    assert v.value.shape == (2, 2, 2) and v.value[1, 1, 0] == 7


def test_unknowns_and_garbage_are_parse_errors():
    with pytest.raises(ParseError, match=r"^the answer still has unknowns: p_3$"):
        parse_answer(r"x = -\frac{1}{p_3}")
    with pytest.raises(ParseError, match=r"^unbalanced: '\{' at column 10 \('\{'\) is never closed$"):
        parse_answer(r"x = \frac{")
    with pytest.raises(ParseError, match=r"^latex2sympy2 could not read it at column 9 \('& 3'\) of '3 \+ & 3'$"):
        parse_answer(r"x = 3 + & 3")


def test_rounded_decimals_are_accepted_within_their_precision(tmp_path):
    (tmp_path / "a.toml").write_text('L = "1.609"\np = "[0.2 \\\\quad 0.2 \\\\quad 0.2 \\\\quad 0.2 \\\\quad 0.2]"\n'
                                     'fc1 = "39.7"\n', encoding="utf-8")
    done = _check("a.toml", "--json", cwd=tmp_path)
    parts = json.loads(done.stdout)["parts"]
    assert parts["L"]["verdict"] == "correct" and "rounding to 3 decimal places" in parts["L"]["detail"]
    assert parts["p"]["verdict"] == "correct" and parts["p"]["detail"] == "exactly equal"
    assert parts["fc1"]["verdict"] == "wrong"
    assert done.returncode == 1


def test_input_is_never_followed():
    found = read_tex_answers("\\input{/etc/passwd}\n\\begin{equation}\\label{ans:L} L = \\ln 5 \\end{equation}\n"
                             "% \\begin{equation}\\label{ans:p} p = 1 \\end{equation}\n")
    assert found == {"L": r"\label{ans:L} L = \ln 5 "}


@pytest.mark.parametrize("name,content,pattern", [
    ("missing.tex", None, r"^symconv: error: missing.tex: no such file$"),
    ("answers.txt", "x", r"^symconv: error: answers.txt: answers must be a .tex or .toml file$"),
    ("empty.tex", "no answers here", r"^symconv: error: empty.tex: no labelled answers"),
    ("bad.toml", "L = [", r"^symconv: error: bad.toml: not valid TOML"),
])
def test_unusable_files_exit_2(tmp_path, name, content, pattern):
    if content is not None:
        (tmp_path / name).write_text(content, encoding="utf-8")
    done = _check(name, cwd=tmp_path)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert re.match(pattern, done.stderr.strip()), done.stderr


def test_grading_sheet(tmp_path):
    done = _check(str(ANSWERS), "--out", "sheet", "--no-pdf", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    md = (tmp_path / "sheet" / "grades_homework_answers.md").read_text(encoding="utf-8")
    assert "| $\\mathrm{conv}_1$ | correct | exactly equal |" in md        # a part as the homework writes it
    tex = (tmp_path / "sheet" / "grades_homework_answers.tex").read_text(encoding="utf-8")
    assert r"$\partial L / \partial x$ & missing & no answer given" in tex
    assert "ans:" not in tex and "ans:" not in md


def test_sheet_escapes_the_given_text(tmp_path):
    (tmp_path / "evil.toml").write_text('L = "\\\\end{verbatim} \\\\input{/etc/passwd} ```"\n', encoding="utf-8")
    done = _check("evil.toml", "--out", "o", "--no-pdf", cwd=tmp_path)
    assert done.returncode == 1
    tex = (tmp_path / "o" / "grades_evil.tex").read_text(encoding="utf-8")
    assert r"\input{" not in tex and r"\end{verbatim}" not in tex
    shown = tex.replace(r"\allowbreak{}", "").replace("%\n", "")    # the break points inside a long run
    assert r"\textbackslash{}input\{/etc/passwd\}" in shown
    line = [ln for ln in done.stdout.splitlines() if ln.startswith("L ")][0]
    assert "unparsed" in line and r"unbalanced: '\end{verbatim}' at column 1" in line


VARIANT = Path(__file__).parent / "data" / "variant_3ch_stride2.toml"


def test_bias_answers_are_graded(tmp_path):
    (tmp_path / "b.toml").write_text('dL_dconv_bias = "[1 \\\\quad 2]^T"\ndL_dfc_bias = "[0 \\\\quad 0 \\\\quad 0 '
                                     '\\\\quad 0]^T"\n', encoding="utf-8")
    done = _check("b.toml", "--against", str(VARIANT), "--json", cwd=tmp_path)
    assert done.returncode == 1, done.stdout
    parts = json.loads(done.stdout)["parts"]
    assert parts["dL_dconv_bias"]["verdict"] == "wrong" and parts["dL_dfc_bias"]["verdict"] == "wrong"
    assert parts["dL_dfc_bias"]["detail"].startswith("4 entries differ")
    assert list(parts)[-2:] == ["dL_dconv_bias", "dL_dfc_bias"]


def test_a_bias_answer_without_a_bias_is_unknown(tmp_path):
    (tmp_path / "b.toml").write_text('L = "\\\\ln 5"\ndL_dfc_bias = "0"\n', encoding="utf-8")
    done = _check("b.toml", "--json", cwd=tmp_path)
    assert done.returncode == 1
    parts = json.loads(done.stdout)["parts"]
    assert parts["L"]["verdict"] == "correct"
    assert parts["dL_dfc_bias"]["verdict"] == "unparsed"
    assert parts["dL_dfc_bias"]["detail"].startswith("unknown part 'dL_dfc_bias'; known: conv1, ")
    assert "dL_dfc_bias" not in parts["dL_dfc_bias"]["detail"].split("known: ")[1]


def test_one_entry_differs_is_singular(tmp_path):
    (tmp_path / "a.toml").write_text('fc1 = "[39.6 \\\\quad 39.6 \\\\quad 39.6 \\\\quad 39.6 \\\\quad 39.7]"\n',
                                     encoding="utf-8")
    done = _check("a.toml", "--json", cwd=tmp_path)
    assert json.loads(done.stdout)["parts"]["fc1"]["detail"].startswith("1 entry differs: [4]: given")
    done = _check("a.toml", "--json", "--lang", "zh", cwd=tmp_path)     # JSON stays English
    assert json.loads(done.stdout)["parts"]["fc1"]["detail"].startswith("1 entry differs")


EVIL_KEY = "dL_dconv1<img src=x onerror=alert(1)>[a](http://e.vil) `x` | y \\\\textbf{z}"


def test_part_names_are_escaped_in_the_sheet(tmp_path):
    (tmp_path / "evil.toml").write_text(f'"{EVIL_KEY}" = "1"\ndL_dconv1 = "\\\\frac{{"\nfc1 = "3"\n',
                                        encoding="utf-8")
    done = _check("evil.toml", "--out", "o", "--no-pdf", cwd=tmp_path)
    assert done.returncode == 1
    tex = (tmp_path / "o" / "grades_evil.tex").read_text(encoding="utf-8")
    md = (tmp_path / "o" / "grades_evil.md").read_text(encoding="utf-8")
    # Known parts are headed as the homework writes them; the hostile key stays escaped text.
    assert r"\subsection*{$\partial L / \partial \mathrm{conv}_1$}" in tex
    assert r"\subsection*{$\mathrm{fc}_1$}" in tex
    assert r"\textbf{z}" not in tex and r"\textbackslash{}textbf\{z\}" in tex
    for bad in ("<img", "](http", "\n### dL_dconv1<", "`x`", "\\textbf{z}"):
        assert bad not in md, bad
    assert "### $\\partial L / \\partial \\mathrm{conv}_1$\n" in md
    row = [line for line in md.splitlines() if line.startswith("| ") and "onerror" in line][0]
    assert row.replace("\\|", "").count("|") == 4       # the key's own | is escaped: still three cells


def test_rows_typed_one_per_line_stay_rows():
    value = parse_answer("W = \\begin{bmatrix}\n 1 & 2 \\\\\n 3 & 4 \\\\\n 5 & 6\n\\end{bmatrix}").value
    assert value.shape == (3, 2) and value[2, 0] == 5
    assert parse_answer("L &= -\\ln(0.2) \\\\\n &= \\ln 5").value == sp.log(5)   # a displayed line break
