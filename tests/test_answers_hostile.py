"""Hostile answers (tests/data/answers/): each file's verdict or exit status, each bounded in time, never a
traceback. Text after an unmatched bracket is never dropped, towers and factorials are refused before they are
evaluated, files and numbers over their limits are refused with the limit named (issue 10)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from symconv.grading.answers import MAX_FILE_BYTES, ParseError, parse_answer, read_answers
from symconv.grading.grade import grade
from symconv.errors import InputError
from symconv.homework.inputs import load
from symconv.homework.solution import solve

CORPUS = Path(__file__).parent / "data" / "answers"
SECONDS = 4.0          # the per-answer budget is 2 s; the rest is margin for a loaded machine

# file -> (part, verdict, anchored pattern of the detail); or (None, "exit 2", pattern of the error)
EXPECTED: dict[str, tuple[str | None, str, str]] = {
    "junk_brace.toml": ("L", "unparsed", r"^unbalanced: '\}' at column 7 \('\} \+ 100'\) closes nothing$"),
    "junk_paren.toml": ("p", "unparsed", r"^unbalanced: '\)' at column \d+ \('\) \\cdot 0'\) closes nothing$"),
    "junk_times.toml": ("p", "unparsed", r"^unbalanced: '\}' at column \d+ \('\} \\times 1000'\) closes nothing$"),
    "junk_unread.toml": ("L", "unparsed", r"^latex2sympy2 could not read it past column 7 \('& 100'\)"),
    "tower.toml": ("L", "unparsed", r"^a power with exponent 10000000000 \(the limit is 100,000\)$"),
    "tower9.toml": ("L", "unparsed", r"^a power with exponent 387420489 \(the limit is 100,000\)$"),
    "factorial.toml": ("L", "unparsed", r"^factorial of 10000000 \(only of whole numbers up to 1,000\)$"),
    "sum_unbounded.toml": ("L", "unparsed", r"^a sum or product of 1,000,000,000 terms \(the limit is 1,000\)$"),
    "eye.toml": ("L", "unparsed", r"^\\operatorname\{eye\} at column 1 is not read in answers"),
    "binom.toml": ("L", "unparsed", r"^\\binom at column 1: binomial coefficients are not read"),
    "enotation.toml": ("L", "unparsed", r"^a power of ten with exponent 1000000000 at column 1 \(the limit is 4,300"),
    "infinite.toml": ("L", "unparsed", r"^not a finite number: zoo"),
    "complex.toml": ("L", "wrong", r"^1 entry differs: \[\]: given sqrt\(2\)\*I/2, expected log\(5\)$"),
    "wrong_shape.toml": ("p", "wrong", r"^shape \[2, 2\], expected \[5\]$"),
    "comparison.toml": ("L", "unparsed", r"^not a number: 1 < 2"),
    "integral.toml": ("L", "unparsed", r"^integrals are not evaluated in answers$"),
    "unknown_function.toml": ("L", "unparsed", r"^f\(3\) is an unknown function$"),
    "matrix_power.toml": ("p", "unparsed", r"^powers of matrices are not read in answers$"),
    "sin_300.toml": ("L", "unparsed", r"^more than 20 commands in a row at column 1"),
    "sin_nested_300.toml": ("L", "unparsed", r"^nested more than 40 levels deep at column \d+"),
    "digits_5000.toml": ("L", "unparsed", r"^a number of 5,000 digits at column 1 \(the limit is 4,300 digits, "
                                          r"Python's int-to-str limit\)$"),
    "decimal_40000.toml": ("L", "unparsed", r"^a number of 40,001 digits at column 1 \(the limit is 4,300"),
    "long_sum.toml": ("L", "unparsed", r"^an entry with 4,999 operators \(the limit is 200 per entry\)$"),
    "fine.toml": ("L", "correct", r"^exactly equal$"),
    "repeated_key.toml": (None, "exit 2", r"^repeated_key.toml: 'L' is given twice; answer each part once$"),
    "repeated_label.tex": (None, "exit 2", r"^repeated_label.tex: \\label\{ans:L\} is used twice"),
    "repeated_label_one_block.tex": (None, "exit 2", r"^repeated_label_one_block.tex: \\label\{ans:L\} is used"),
    "unbalanced_env.tex": ("relu1", "unparsed", r"^unbalanced: '\\end\{pmatrix\}' at column \d+ \('\\end\{pmatrix\}"
                                                r"'\) closes '\\begin\{bmatrix\}' of column \d+$"),
    "left_right.tex": ("L", "unparsed", r"^unbalanced: '\\left' at column \d+ \('\\left\( \\ln 5'\) is never closed$"),
}

_SOLUTION = []


def _solution():  # type: ignore[no-untyped-def]
    if not _SOLUTION:
        _SOLUTION.append(solve(load()))
    return _SOLUTION[0]


def test_the_corpus_is_the_table():
    assert sorted(p.name for p in CORPUS.iterdir()) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_hostile_answer(name):
    part, verdict, pattern = EXPECTED[name]
    solution = _solution()
    start = time.monotonic()
    if part is None:
        with pytest.raises(InputError) as info:
            read_answers(CORPUS / name)
        assert re.match(pattern, str(info.value)), str(info.value)
        return
    grades = {g.part: g for g in grade(read_answers(CORPUS / name), solution)}
    elapsed = time.monotonic() - start
    got = grades[part]
    assert (got.verdict, got.detail) == (verdict, got.detail) and re.match(pattern, got.detail), got.detail
    assert "\n" not in got.detail
    assert elapsed < SECONDS, f"{name}: {elapsed:.1f} s"


def _check(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "symconv", "check", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=120)


@pytest.mark.parametrize("name", ["junk_brace.toml", "tower.toml", "factorial.toml", "complex.toml",
                                  "wrong_shape.toml", "repeated_label.tex", "sin_nested_300.toml"])
def test_no_traceback_from_the_command(name, tmp_path):
    part, verdict, _ = EXPECTED[name]
    done = _check(str(CORPUS / name), "--json", cwd=tmp_path)
    assert "Traceback" not in done.stderr, done.stderr
    if part is None:
        assert done.returncode == 2 and done.stderr.startswith("symconv: error: ") and done.stdout == ""
    else:
        assert done.returncode == 1
        assert json.loads(done.stdout)["parts"][part]["verdict"] == verdict


@pytest.mark.parametrize("latex", [r"\ln 5 } + 100", r"[0.2 \quad 0.2 \quad 0.2 \quad 0.2 \quad 0.2]^T ) \cdot 0",
                                   r"[0.2 \quad 0.2 \quad 0.2 \quad 0.2 \quad 0.2]^T } \times 1000",
                                   r"\ln 5 ] 100", r"\ln 5 & 100", r"0_{2} + 1"])
def test_trailing_text_is_never_dropped(latex):
    with pytest.raises(ParseError):
        parse_answer("x = " + latex)


def test_a_file_over_the_limit_is_exit_2_before_reading(tmp_path):
    big = tmp_path / "big.toml"
    big.write_text('L = "' + " + ".join(["1"] * (MAX_FILE_BYTES // 4)) + '"\n', encoding="utf-8")
    start = time.monotonic()
    done = _check("big.toml", cwd=tmp_path)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert re.match(r"^symconv: error: big.toml: [\d,]+ bytes \(the limit is 1,000,000 bytes per answer file\)$",
                    done.stderr.strip()), done.stderr
    assert time.monotonic() - start < 30


def test_a_device_is_not_read(tmp_path):
    with pytest.raises(InputError, match=r"^/dev/zero\.tex: no such file$|^/dev/zero: answers must be"):
        read_answers("/dev/zero")
    link = tmp_path / "zero.tex"
    link.symlink_to("/dev/zero")
    with pytest.raises(InputError, match=r"zero.tex: not a regular file$"):
        read_answers(link)


def test_a_sum_just_under_the_file_limit_is_unparsed_quickly():
    start = time.monotonic()
    with pytest.raises(ParseError, match=r"^the answer is [\d,]+ characters long \(the limit is 50,000 per answer\)$"):
        parse_answer("x = " + " + ".join(["1"] * 200_000))
    with pytest.raises(ParseError, match=r"^the answer is"):
        parse_answer("x = 0." + "3" * 100_000)
    assert time.monotonic() - start < SECONDS


def test_the_time_budget_stops_slow_work():
    from symconv.grading.answers import time_budget
    start = time.monotonic()
    with pytest.raises(ParseError, match=r"^reading and grading it took longer than the time budget of 0.2 s"):
        with time_budget(0.2):
            while True:
                pass
    assert time.monotonic() - start < 2


def test_the_time_budget_counts_cpu_time_not_waiting():
    """Time spent waiting (a busy machine's other jobs hold the cores) is not the answer's: the budget is CPU
    time (a wall-clock alarm marked answers over budget at load 10)."""
    from symconv.grading.answers import time_budget
    with time_budget(0.2):
        time.sleep(0.5)                 # no CPU used: still within 0.2 s of CPU
    with pytest.raises(ParseError, match=r"time budget of 0.2 s"):
        with time_budget(0.2):
            time.sleep(0.3)
            while True:
                pass
