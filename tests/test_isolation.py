r"""One sheet never loses the class (issue 18, item 4): each sheet is read, graded and rendered in a worker of
its own, and whatever happens to it (a crash, a time-out, memory or recursion exhausted, a TeX failure, a path
that is no sheet) becomes its ``error`` row on stderr and in the gradebook while every other sheet is graded and
written. Hostile sheets (tests/data/class_hostile/) with the verdict each must get; the graded sheet's PDF
compiles whatever the student typed; graded-sheet names are unique and short; CSV cells are inert."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import unicodedata
from pathlib import Path

import pytest

from symconv.cli import main
from symconv.grading import isolated as iso
from symconv.grading.gradebook import Gradebook, find_sheets, sheet_stems
from symconv.grading.grade import Grade
from symconv.report.latex import code_latex

DATA = Path(__file__).parent / "data"
HOSTILE = DATA / "class_hostile"
HAS_LATEX = shutil.which("xelatex") is not None and (shutil.which("latexmk") or shutil.which("pdflatex"))
LONG = "x" * 246 + ".toml"          # a 251-character file name: grades_<it>.tex would pass NAME_MAX
CR = "\r=2+5.tex"                    # a file name a spreadsheet would run as a formula

# file in tests/data/class_hostile/ -> {part: (verdict, anchored pattern of the detail)} for its answers
EXPECTED: dict[str, dict[str, tuple[str, str]]] = {
    "toml_int.toml": {"p": ("unparsed", r"^a number of 4,301 digits \(the limit is 4,300\)$"),
                      "L": ("correct", r"^exactly equal$")},
    "toml_nested.toml": {"p": ("unparsed", r"^arrays or tables nested 600 deep \(the limit is 32\)$"),
                         "L": ("correct", r"^exactly equal$")},
    "blank_line.toml": {"L": ("unparsed", r"^unbalanced: '\}' at column 11"),
                        "p": ("unparsed", r"^unbalanced: '\{' at column 9")},
    # 49,000 line breaks are read in about 1 s: on a loaded machine the 2 s budget may end it first
    "backslashes.toml": {"L": ("unparsed", r"^(no mathematics in the answer|reading and grading it took longer "
                                           r"than the time budget of 2 s)")},
    "amp_unicode.toml": {"L": ("unparsed", r"^the answer is 98,000 characters long \(the limit is 50,000")},
    "p_q.tex.tex": {"L": ("correct", r"^exactly equal$")},
}


def test_the_folder_is_the_table():
    assert sorted(p.name for p in HOSTILE.iterdir()) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_hostile_sheet_gets_its_verdicts(name):
    from symconv.grading.answers import read_answers
    from symconv.grading.grade import grade
    from symconv.homework.inputs import load
    from symconv.homework.solution import solve

    got = {g.part: g for g in grade(read_answers(HOSTILE / name), solve(load()))}
    for part, (verdict, pattern) in EXPECTED[name].items():
        assert got[part].verdict == verdict and re.match(pattern, got[part].detail), (part, got[part])


def _run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return code, out.getvalue(), err.getvalue()


def _rows(out: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO((out / "gradebook.csv").read_text(encoding="utf-8"))))


def _hostile_class(tmp_path: Path) -> Path:
    cls = tmp_path / "class"
    shutil.copytree(HOSTILE, cls)
    shutil.copy(DATA / "homework_answers.tex", cls / "alice.tex")
    shutil.copy(HOSTILE / "toml_int.toml", cls / LONG)
    (cls / CR).write_text("\\begin{equation}\\label{ans:L} L = 3 \\end{equation}\n", encoding="utf-8")
    os.mkfifo(cls / "fifo.tex")                            # would block a reader forever
    os.symlink("/dev/zero", cls / "zero.tex")              # endless
    os.symlink(cls / "gone.tex", cls / "dangling.toml")    # a link to nothing
    (cls / "folder.tex").mkdir()
    for sub in ("p", "r"):                                 # p/q.tex and p_q.tex.tex both wrote grades_p_q.tex.*
        (tmp_path / sub).mkdir()
        shutil.copy(HOSTILE / "p_q.tex.tex", tmp_path / sub / "q.tex")
    return cls


@pytest.mark.skipif(not HAS_LATEX, reason="no LaTeX on this machine")
def test_a_hostile_class_is_graded_and_written(tmp_path):
    cls = _hostile_class(tmp_path)
    done = subprocess.run([sys.executable, "-m", "symconv", "check", "class", "p/q.tex", "r/q.tex", "--out", "out"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=1800)
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    for name in ("fifo.tex", "zero.tex", "dangling.toml", "folder.tex"):      # every path passed over is said
        assert re.search(rf"^symconv: skipped class/{name}: ", done.stderr, re.M), (name, done.stderr)
    out = tmp_path / "out"
    rows = _rows(out)
    by_file = {}
    for r in rows:
        by_file.setdefault(r["file"], {})[r["part"]] = r
    for name, parts in EXPECTED.items():
        for part, (verdict, pattern) in parts.items():
            row = by_file[f"class/{name}"][part]
            assert row["verdict"] == verdict and re.match(pattern, row["detail"]), (name, row)
    assert by_file[f"class/{LONG}"]["p"]["verdict"] == "unparsed"
    assert by_file["class/ =2+5.tex"]["L"]["verdict"] == "wrong"          # its CR a space in the CSV
    assert {p: by_file[p]["L"]["verdict"] for p in ("p/q.tex", "r/q.tex")} == {"p/q.tex": "correct",
                                                                                "r/q.tex": "correct"}
    errors = {r["file"]: r["detail"] for r in rows if r["verdict"] == "error"}
    assert set(errors) == {"class/fifo.tex", "class/zero.tex", "class/dangling.toml"}, errors
    assert "a FIFO" in errors["class/fifo.tex"] and "a device" in errors["class/zero.tex"]
    # every graded sheet written, compiled, under its own short and unique name
    students = json.loads((out / "gradebook.json").read_text(encoding="utf-8"))["students"]
    assert len(students) == len(EXPECTED) + 5                      # alice, the long name, the CR one, p/q, r/q
    pdfs = sorted(p for p in out.iterdir() if p.suffix == ".pdf")
    assert len(pdfs) == len(students), sorted(p.name for p in out.iterdir())
    assert all(len(p.name.encode()) <= 100 and p.name.isprintable() for p in out.iterdir())
    # no cell a spreadsheet would run: no line breaks or tabs left inside, none starts a formula
    for r in rows:
        for cell in r.values():
            assert not any(unicodedata.category(ch) == "Cc" for ch in cell), cell
            assert cell.lstrip()[:1] not in ("=", "+", "-", "@"), cell
    assert any(r["student"] == "' =2+5" for r in rows)


def test_a_blank_line_in_an_unparsed_answer_still_gives_a_pdf(tmp_path):
    if not HAS_LATEX:
        pytest.skip("no LaTeX on this machine")
    shutil.copy(HOSTILE / "blank_line.toml", tmp_path / "blank.toml")
    code, out, err = _run(["check", str(tmp_path / "blank.toml"), "--out", str(tmp_path / "o")])
    assert code == 1 and "LaTeX failed" not in err, err          # was: There's no line here to end
    assert (tmp_path / "o" / "grades_blank.pdf").exists()


def test_a_long_name_is_shortened_in_single_sheet_mode(tmp_path):
    shutil.copy(HOSTILE / "toml_int.toml", tmp_path / LONG)
    code, out, err = _run(["check", str(tmp_path / LONG), "--out", str(tmp_path / "o"), "--no-pdf"])
    assert code == 1, err
    names = sorted(p.name for p in (tmp_path / "o").iterdir())
    assert len(names) == 2 and all(n.startswith("grades_xxx") and len(n) <= 100 for n in names), names


# ------------------------------------------------------------------ what happens inside one sheet's worker

def _misbehaving_grade(real):                         # type: ignore[no-untyped-def]
    """grade() that does to its sheet what the sheet's name says (the others are graded as usual)."""
    def grade(answers, solution, strict_channels=False):  # type: ignore[no-untyped-def]
        text = " ".join(answers.values())
        if "CRASH" in text:
            os.kill(os.getpid(), signal.SIGSEGV)
        if "HANG" in text:
            time.sleep(3600)
        if "MEMORY" in text:
            return [bytearray(1 << 31)]
        if "DEEP" in text:
            def down(n):                              # type: ignore[no-untyped-def]
                return down(n + 1) + 1
            down(0)
        if "BUG" in text:
            raise KeyError("b")
        return real(answers, solution, strict_channels)
    return grade


def test_whatever_happens_to_one_sheet_is_its_error_row(tmp_path, monkeypatch):
    import symconv.grading.grade as grading
    monkeypatch.setattr(grading, "grade", _misbehaving_grade(grading.grade))
    monkeypatch.setattr(iso, "SHEET_SECONDS", 3.0)
    monkeypatch.setattr(iso, "SHEET_MEMORY", 512 << 20)
    cls = tmp_path / "class"
    cls.mkdir()
    shutil.copy(DATA / "homework_answers.tex", cls / "alice.tex")
    for word in ("CRASH", "HANG", "MEMORY", "DEEP", "BUG"):
        (cls / f"{word.lower()}.toml").write_text(f'L = "\\\\text{{{word}}}"\n', encoding="utf-8")
    code, out, err = _run(["check", str(cls), "--out", str(tmp_path / "out"), "--no-pdf"])
    assert code == 1 and "Traceback" not in err, err
    rows = _rows(tmp_path / "out")
    errors = {Path(r["file"]).stem: r["detail"] for r in rows if r["verdict"] == "error"}
    assert re.search(r"crashed \(SIGSEGV\)$", errors["crash"]), errors
    assert re.search(r"took longer than 3 s \(the limit per sheet\)$", errors["hang"]), errors
    assert re.search(r"needed more than the 512 MB of memory a sheet may use$", errors["memory"]), errors
    assert re.search(r"nested too deeply to be read", errors["deep"]), errors
    assert re.search(r"KeyError: 'b'$", errors["bug"]), errors
    assert all(f"symconv: skipped {cls / n}.toml: " in err for n in errors), err
    alice = [r for r in rows if r["student"] == "alice"]
    assert len(alice) == 12 and sum(r["verdict"] == "correct" for r in alice) == 11
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "gradebook.csv", "gradebook.json", "grades_alice.md", "grades_alice.tex"]


def test_a_tex_failure_is_that_sheets_error(tmp_path, monkeypatch):
    import symconv.report.pdf as pdf
    real = pdf.compile_pdf

    def compile_pdf(tex, lang="en"):                   # type: ignore[no-untyped-def]
        if "bob" in tex.name:
            return pdf.PdfResult(None, f"no PDF: LaTeX failed on {tex.name}: ! Emergency stop.", True)
        return real(tex, lang) if HAS_LATEX else pdf.PdfResult(None, "no PDF: not here")
    monkeypatch.setattr(pdf, "compile_pdf", compile_pdf)
    for name in ("alice", "bob"):
        shutil.copy(DATA / "homework_answers.tex", tmp_path / f"{name}.tex")
    code, out, err = _run(["check", str(tmp_path / "alice.tex"), str(tmp_path / "bob.tex"),
                           "--out", str(tmp_path / "out")])
    assert code == 1 and "Emergency stop" in err
    rows = _rows(tmp_path / "out")
    bob = [r for r in rows if r["student"] == "bob"]
    assert [r["detail"] for r in bob if r["verdict"] == "error"] == [
        f"{tmp_path / 'bob.tex'}: no PDF: LaTeX failed on grades_bob.tex: ! Emergency stop."]
    assert sum(r["verdict"] == "correct" for r in bob) == 11        # its grades are kept
    assert (tmp_path / "out" / "grades_bob.tex").exists()
    if HAS_LATEX:
        assert (tmp_path / "out" / "grades_alice.pdf").exists()


def test_isolated_returns_the_value_or_one_line():
    assert iso.isolated(sorted, [3, 1, 2]).value == [1, 2, 3]
    assert iso.isolated(int, "x").error == "ValueError: invalid literal for int() with base 10: 'x'"
    assert iso.isolated(time.sleep, 60, seconds=0.5).error == "took longer than 0.5 s (the limit per sheet)"


# ------------------------------------------------------------------ names, paths, cells, TeX

def test_graded_sheet_names_are_unique_and_short():
    names = ["p/q.tex", "p_q.tex", "Alice", "alice", "x" * 251, "é" * 200, "a\\b", "tab\there"]
    stems = sheet_stems(names)
    assert len({s.casefold() for s in stems.values()}) == len(names)
    assert all(len(s.encode()) <= 80 and s.isprintable() and "/" not in s and "\\" not in s
               for s in stems.values())
    assert stems["p_q.tex"] == "p_q.tex" and stems["p/q.tex"].startswith("p_q.tex-")


def test_paths_named_like_sheets_that_are_not_read_are_said(tmp_path):
    (tmp_path / "a.tex").write_text("x", encoding="utf-8")
    (tmp_path / "notes.txt").write_text("x", encoding="utf-8")
    os.mkfifo(tmp_path / "f.toml")
    (tmp_path / "d.tex").mkdir()
    found, skipped = find_sheets([tmp_path])
    assert [p.name for p in found] == ["a.tex"]
    assert {p.name: why for p, why in skipped} == {
        "d.tex": "a folder, not a sheet (folders inside are not searched)", "f.toml": "a FIFO, not a regular file"}


def test_a_named_fifo_never_hangs_the_class(tmp_path):
    os.mkfifo(tmp_path / "f.tex")
    shutil.copy(DATA / "homework_answers.tex", tmp_path / "a.tex")
    code, out, err = _run(["check", str(tmp_path / "f.tex"), str(tmp_path / "a.tex"), "--json"])
    assert code == 1
    assert json.loads(out)["errors"] == [{"file": str(tmp_path / "f.tex"),
                                          "error": f"{tmp_path / 'f.tex'}: not a regular file"}]


@pytest.mark.parametrize("name,cell", [("\r=2+5", "' =2+5"), ("a\n=1+1", "a =1+1"), ("\t@x", "' @x"),
                                       ("-1", "'-1"), ("ok\u2028+1", "ok +1"), ("1 entry", "1 entry")])
def test_csv_cells_are_inert(name, cell):
    book = Gradebook()
    book.add(name, "f.tex", [Grade("L", "wrong", "", "", "=HYPERLINK(1)\r\n-2")])
    row = next(csv.DictReader(io.StringIO(book.to_csv())))
    assert row["student"] == cell and row["detail"] == "'=HYPERLINK(1)  -2"
    assert json.loads(book.to_json())["students"][0]["student"] == name     # the JSON keeps every character


@pytest.mark.parametrize("text", ["a\n\nb", "\n\nstarts blank", "\\" * 49_000, "&é" * 49_000, "x " * 30_000])
def test_code_is_quoted_for_tex(text):
    tex = code_latex(text)
    assert "\n\n" not in tex.strip()                                     # no paragraph break, no empty \\ line
    assert max(len(line) for line in tex.splitlines()) < 2_000          # pdfTeX reads lines of 200,000 bytes
    body = tex.replace(r"\allowbreak{}", "").replace("%\n", "")
    assert re.fullmatch(r"(?:[^\\&]|\\(?:textbackslash\{\}|&|mbox\{\}|\\|ttfamily|begin\{flushleft\}|"
                        r"end\{flushleft\}| ))*", body), body[:200]      # nothing but escapes and break points
