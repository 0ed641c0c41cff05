"""symconv check with many sheets or a folder: the gradebook (CSV, JSON), one graded sheet per student, an
unreadable sheet reported and skipped, the exit status over the class."""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

from symconv.grading.gradebook import Gradebook, Progress, sheets, students

DATA = Path(__file__).parent / "data"


def _check(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "symconv", "check", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=600)


def _class(tmp_path: Path) -> Path:
    folder = tmp_path / "class"
    folder.mkdir()
    shutil.copy(DATA / "homework_answers.tex", folder / "alice.tex")
    shutil.copy(DATA / "sheets" / "s10_sophia.tex", folder / "sophia.tex")
    (folder / "bob.tex").write_text("no answers here", encoding="utf-8")
    (folder / "=cmd.toml").write_text('L = "\\\\ln 4"\n', encoding="utf-8")
    (folder / "notes.txt").write_text("ignored", encoding="utf-8")
    return folder


def test_a_folder_gives_a_gradebook_and_a_sheet_per_student(tmp_path):
    folder = _class(tmp_path)
    done = _check(str(folder), "--out", "out", "--no-pdf", cwd=tmp_path)
    assert done.returncode == 1, done.stderr               # bob is unreadable, =cmd is wrong
    assert "skipped" in done.stderr and "bob.tex" in done.stderr and "Traceback" not in done.stderr
    out = tmp_path / "out"
    names = sorted(p.name for p in out.iterdir())
    assert names == ["gradebook.csv", "gradebook.json", "grades_=cmd.md", "grades_=cmd.tex", "grades_alice.md",
                     "grades_alice.tex", "grades_sophia.md", "grades_sophia.tex"]
    rows = list(csv.DictReader(io.StringIO((out / "gradebook.csv").read_text(encoding="utf-8"))))
    assert {r["student"] for r in rows} == {"alice", "sophia", "'=cmd", "bob"}   # a formula cell is defused
    sophia = {r["part"]: r for r in rows if r["student"] == "sophia"}
    assert sophia["dL_dx_formula"]["verdict"] == "correct" and sophia["L"]["verdict"] == "correct"
    assert [r["verdict"] for r in rows if r["student"] == "bob"] == ["error"]
    doc = json.loads((out / "gradebook.json").read_text(encoding="utf-8"))
    assert [s["student"] for s in doc["students"]] == ["=cmd", "alice", "sophia"]
    assert doc["students"][1]["summary"] == {"correct": 11, "wrong": 0, "unparsed": 0, "missing": 1}
    assert doc["errors"][0]["file"].endswith("bob.tex")


def test_a_formula_mistake_reaches_the_gradebook(tmp_path):
    done = _check(str(DATA / "sheets" / "s07_chen_jie.tex"), str(DATA / "sheets" / "s18_mia.toml"), "--json",
                  cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    doc = json.loads(done.stdout)
    mia = {p["part"]: p for p in doc["students"][1]["parts"]}
    # g ⊗ h: the swap is implied by the bare ⊗ (issue 19), the rotation is missing
    assert mia["dL_dx_formula"]["verdict"] == "wrong" and mia["dL_dx_formula"]["mistake"] == "no_rotation"
    assert "refuted, at C_in = " in mia["dL_dx_formula"]["detail"]
    # --strict-channels reaches each sheet's worker: the channels judged by the letter
    done = _check(str(DATA / "sheets" / "s07_chen_jie.tex"), str(DATA / "sheets" / "s18_mia.toml"), "--json",
                  "--strict-channels", cwd=tmp_path)
    mia = {p["part"]: p for p in json.loads(done.stdout)["students"][1]["parts"]}
    assert mia["dL_dx_formula"]["mistake"] == "no_rotation,no_swap"


def test_all_correct_is_0_and_nothing_readable_is_2(tmp_path):
    done = _check(str(DATA / "homework_answers.tex"), str(DATA / "sheets" / "s10_sophia.tex"), cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    (tmp_path / "a.tex").write_text("nothing", encoding="utf-8")
    (tmp_path / "b.toml").write_text("L = [", encoding="utf-8")
    done = _check("a.tex", "b.toml", cwd=tmp_path)
    assert done.returncode == 2 and done.stderr.count("skipped") == 2 and "Traceback" not in done.stderr


def test_one_file_keeps_the_single_sheet_output(tmp_path):
    done = _check(str(DATA / "homework_answers.tex"), "--json", cwd=tmp_path)
    assert done.returncode == 0 and "parts" in json.loads(done.stdout)


def test_students_and_sheets(tmp_path):
    (tmp_path / "a.tex").write_text("x")
    (tmp_path / "a.toml").write_text("x")
    (tmp_path / "b.txt").write_text("x")
    found = sheets([tmp_path, tmp_path / "a.tex"])
    assert [p.name for p in found] == ["a.tex", "a.toml"]
    assert list(students(found).values()) == ["a.tex", "a.toml"]


def test_progress_bar_only_on_a_terminal():
    quiet = io.StringIO()
    bar = Progress(2, quiet)
    bar.step("a.tex")
    assert quiet.getvalue() == ""
    shown = io.StringIO()
    bar = Progress(2, shown, width=4, force=True)
    bar.step("a.tex\x1b[2J")
    assert "[##..] 1/2 a.tex[2J" in shown.getvalue() and "\x1b[2J" not in shown.getvalue()


def test_exit_status():
    book = Gradebook()
    assert book.exit_status() == 0
    book.fail("x.tex", "x.tex: no such file")
    assert book.exit_status() == 2


def test_a_newline_in_a_file_name_does_not_forge_a_summary_row(tmp_path):
    # hostile18b c01: "weak\nzz_fake  12 0 0 0.toml" printed whole put a row "zz_fake 12 0 0 0" in the table
    folder = tmp_path / "class"
    folder.mkdir()
    shutil.copy(DATA / "homework_answers.tex", folder / "good.tex")
    (folder / "weak\nzz_fake          12         0         0         0.toml").write_text(
        'L = "\\\\ln 4"\n', encoding="utf-8")
    done = _check(str(folder), cwd=tmp_path)
    assert "Traceback" not in done.stderr
    lines = done.stdout.splitlines()
    assert not any(line.startswith("zz_fake") for line in lines), done.stdout
    assert any(line.startswith("weak\\nzz_fake") for line in lines), done.stdout     # the name, escaped
    assert lines[-1].startswith("2 sheets graded")
    book = Gradebook()
    book.fail("a\rb.tex", "a\rb.tex: unreadable\n forged")
    assert "a\\rb.tex: unreadable\\n forged" in book.table() and "\r" not in book.table()
