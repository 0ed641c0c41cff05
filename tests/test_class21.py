"""Issue 21's teacher loop with sheets written blind (tests/data/class21/README.md): `symconv variants` for six
students, one sheet each written by a tester who read only the README and solved each student's numbers with
NumPy/PyTorch, then `symconv check --variants` grades each sheet against its own key. The verdicts, mistakes and
points in expected.toml were fixed before any grading run.

First run (before any fix): 71 of 72 verdicts and 26 of 26 mistakes; the miss was s104's L written exactly as
``\\ln(e^{0.3} + …) - 0.6``, equal to the key's ``\\ln(1 + e^{-1.2} + …) + 1.5`` but left apart by
``sp.simplify`` (now: exp of the difference expands to 1)."""

from __future__ import annotations

import csv
import functools
import json
import tomllib
from pathlib import Path

import pytest

from symconv.cli import main

DATA = Path(__file__).parent / "data" / "class21"
EXPECTED = tomllib.loads((DATA / "expected.toml").read_text(encoding="utf-8"))
POINTS = EXPECTED.pop("points")


@functools.lru_cache(maxsize=1)
def _graded(tmp: str) -> dict:  # type: ignore[type-arg]
    out = Path(tmp)
    assert main(["variants", str(DATA / "hw.toml"), "--students", str(DATA / "roster.csv"), "--seed", "2026",
                 "--out", str(out / "class"), "--no-pdf"]) == 0
    sheets = sorted(str(p) for p in (DATA / "sheets").glob("*.tex"))
    main(["check", *sheets, "--variants", str(out / "class"), "--out", str(out / "graded"), "--no-pdf",
          "--jobs", "2", "--gradebook", "canvas"])
    doc = json.loads((out / "graded" / "gradebook.json").read_text(encoding="utf-8"))
    doc["canvas"] = (out / "graded" / "gradebook_canvas.csv").read_text(encoding="utf-8")
    return doc


@pytest.fixture(scope="module")
def graded(tmp_path_factory):  # type: ignore[no-untyped-def]
    return _graded(str(tmp_path_factory.mktemp("class21")))


def _cases() -> list:  # type: ignore[type-arg]
    return [pytest.param(stem, part, want, id=f"{stem}-{part}")
            for stem, parts in EXPECTED.items() for part, want in parts.items()]


@pytest.mark.parametrize("stem,part,want", _cases())
def test_each_part_graded_against_its_own_students_key(graded, stem, part, want):
    student = next(s for s in graded["students"] if Path(s["file"]).stem == stem)
    got = next(p for p in student["parts"] if p["part"] == part)
    assert got["verdict"] == want["verdict"], f"{stem} {part}: {got['verdict']} ({got['detail']})"
    if "mistake" in want:
        assert want["mistake"] in got["mistake"].split(","), f"{stem} {part}: mistake {got['mistake']!r}"


def test_points_per_student_and_the_canvas_import(graded):
    assert len(EXPECTED) == 6 and sum(len(p) for p in EXPECTED.values()) == 72
    assert not graded["errors"]
    got = {s["student"]: sum(p["verdict"] == "correct" for p in s["parts"]) for s in graded["students"]}
    assert got == POINTS
    rows = list(csv.DictReader(graded["canvas"].splitlines()))
    by_id = {r["SIS User ID"]: r for r in rows if r["SIS User ID"]}
    title = next(k for k in rows[0] if k not in ("Student", "ID", "SIS User ID", "SIS Login ID", "Section"))
    assert {k: float(r[title]) for k, r in by_id.items()} == {k: float(v) for k, v in POINTS.items()}
