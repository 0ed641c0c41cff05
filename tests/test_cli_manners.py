"""CLI manners (issue 20, item 5): --version, the nearest option for a mistyped one, examples at the end of
every --help, a progress bar only on a terminal, a terminal summary within 100 columns, and --lang zh for
what the terminal shows as well as for the files."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest

from symconv import __version__
from symconv.cli import COLUMNS, main

DATA = Path(__file__).parent / "data"


def _columns(text: str) -> int:
    return max(sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in line)
               for line in text.splitlines())


def test_version(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["--version"])
    assert stop.value.code == 0 and capsys.readouterr().out.strip() == f"symconv {__version__}"


@pytest.mark.parametrize("argv, near", [
    (["derive", "--strid", "2"], "--stride"), (["derive", "--paddng=1"], "--padding"),
    (["homework", "--lagn", "zh"], "--lang"), (["derve"], "derive"),
    (["check", "a.tex", "--agains", "x"], "--against"),
])
def test_a_mistyped_option_gets_the_nearest_valid_one(capsys, argv, near):
    with pytest.raises(SystemExit) as stop:
        main(argv)
    err = capsys.readouterr().err
    assert stop.value.code == 2 and err.count("\n") == 1
    assert err.rstrip().endswith(f"(did you mean {near}?)"), err


def test_no_suggestion_for_an_option_like_nothing(capsys):
    with pytest.raises(SystemExit):
        main(["derive", "--zzzzqqq"])
    assert "did you mean" not in capsys.readouterr().err


@pytest.mark.parametrize("command", [[], ["derive"], ["homework"], ["check"], ["verify"]])
def test_help_ends_with_two_examples(capsys, command):
    with pytest.raises(SystemExit):
        main([*command, "--help"])
    lines = capsys.readouterr().out.rstrip().splitlines()
    assert lines[-3] == "examples:" and all(line.startswith("  symconv ") for line in lines[-2:])


@pytest.mark.parametrize("tty", [False, True])
def test_the_sweep_draws_its_bar_only_on_a_terminal(monkeypatch, capsys, tty):
    import symconv.proof.sweep as sweep_module
    seen = {}

    def fake_sweep(cases, jobs=None, mutant=None, progress=None):
        seen["progress"] = progress
        return []
    monkeypatch.setattr(sweep_module, "sweep", fake_sweep)
    monkeypatch.setattr("sys.stderr.isatty", lambda: tty, raising=False)
    main(["verify", "--sweep", "--sweep-ndim", "1"])
    assert (seen["progress"] is sweep_module.progress_bar) == tty
    assert "0 of 0 configurations" in capsys.readouterr().out      # the summary line, either way


@pytest.mark.parametrize("lang, header", [("en", "exact (first entries)"), ("zh", "精确值（前几个）")])
def test_the_terminal_summary_fits_100_columns_in_the_readers_language(tmp_path, capsys, lang, header):
    # The 3-channel stride-2 homework with biases and 4 classes: its softmax made lines of ~600 columns.
    main(["homework", str(DATA / "variant_3ch_stride2.toml"), "--no-pdf", "--out", str(tmp_path),
          "--lang", lang])
    out = capsys.readouterr().out
    assert _columns(out) <= COLUMNS == 100
    assert header in out and "…" in out                        # long values are cut, and say so
    assert ("已写入" in out) == (lang == "zh")


def test_check_speaks_chinese_on_the_terminal(tmp_path, capsys):
    sheet = tmp_path / "s.toml"
    sheet.write_text('fc1 = "0"\n', encoding="utf-8")
    main(["check", str(sheet), "--lang", "zh"])
    out = capsys.readouterr().out
    assert out.startswith("部分") and "错误" in out and "缺失" in out and "未作答" in out
