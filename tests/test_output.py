"""--out: problems are one line and exit 2 before any work; files appear only when the run has made them
all; a symbolic link in the folder is replaced, never followed; --json output is strict JSON."""

from __future__ import annotations

import json
import re

import pytest

from symconv import cli
from symconv.cli import main


@pytest.mark.parametrize("out,message", [("", "the folder name is empty"), ("afile", "exists and is not a folder"),
                                         ("afile/sub", "is not a folder"), ("/dev/null", "is not a folder")])
def test_bad_out_is_refused_before_any_work(out, message, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "afile").write_text("")
    monkeypatch.setattr("symconv.proof.attach.derive", lambda *a, **k: pytest.fail("work started"))
    assert main(["derive", "--no-pdf", "--out", out]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("symconv: error: --out: ") and message in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["afile"]


def test_a_symlink_in_out_is_replaced_not_followed(tmp_path, capsys):
    target = tmp_path / "precious.txt"
    target.write_text("keep me")
    out = tmp_path / "out"
    out.mkdir()
    (out / "conv_backward_2d_k3_s1_p1_d1.md").symlink_to(target)
    assert main(["derive", "--no-pdf", "--out", str(out)]) == 0
    assert target.read_text() == "keep me"
    md = out / "conv_backward_2d_k3_s1_p1_d1.md"
    assert not md.is_symlink() and md.read_text().startswith("#")


def test_a_failing_run_leaves_nothing(tmp_path, monkeypatch, capsys):
    def broken(*args, **kwargs):
        raise RuntimeError("the PDF step broke")
    monkeypatch.setattr("symconv.report.pdf.compile_pdf", broken)
    with pytest.raises(RuntimeError):
        main(["derive", "--out", str(tmp_path / "out")])
    assert list((tmp_path / "out").iterdir()) == []          # no .svg, no .tex, no staging folder


def test_failed_pdf_is_exit_1_with_the_reason_on_stderr(tmp_path, monkeypatch, capsys):
    from symconv.report.pdf import PdfResult
    monkeypatch.setattr("symconv.report.pdf.compile_pdf", lambda tex, lang="en": PdfResult(
        None, f"no PDF: LaTeX failed on {tex.name}: ! Undefined control sequence. l.12 \\foo", True))
    assert main(["derive", "--out", str(tmp_path)]) == 1
    captured = capsys.readouterr()
    assert "! Undefined control sequence" in captured.err and "Undefined" not in captured.out
    assert {p.suffix for p in tmp_path.iterdir()} == {".tex", ".md", ".svg"}   # the sources are still written


def test_json_is_strict(capsys):
    assert json.loads(cli._json({"a": 1.5}))
    with pytest.raises(cli.InputError, match=r"^--json: a value is too large"):
        cli._json({"a": float("inf")})
    with pytest.raises(cli.InputError):
        cli._json([float("nan")])


def _capped(limit_bytes: int):
    import resource

    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (limit_bytes, limit_bytes))
    return cap


def test_a_file_name_never_reaches_latexmk_as_an_option(tmp_path):
    """Issue 10: latexmk read './-pdflatex=...;touch PWNED;true.toml' as its -pdflatex= option and ran touch.
    The name is now never an argument: the source is compiled as report.tex in a private folder."""
    import shutil
    import subprocess
    import sys
    from pathlib import Path
    if not shutil.which("latexmk"):
        pytest.skip("latexmk is not installed")
    root = Path(__file__).resolve().parents[1]
    name = "-pdflatex=touch PWNED;true.toml"
    (tmp_path / name).write_bytes((root / "derivations" / "homework11.toml").read_bytes())
    done = subprocess.run([sys.executable, "-m", "symconv", "homework", f"./{name}", "--out", "out"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=600)
    assert "Traceback" not in done.stderr
    assert not any(p.name == "PWNED" for p in tmp_path.rglob("*")) and not (root / "PWNED").exists()
    assert done.returncode == 0 and (tmp_path / "out" / "-pdflatex=touch PWNED;true.pdf").exists()


@pytest.mark.parametrize("args,message", [
    (["verify", "--input-size", "4096", "--batch", "1024", "--in-channels", "4096", "--out-channels", "4096"],
     "over the limit"),
    (["verify", "--method", "finite-difference", "--input-size", "4096"], "over the limit of 20,000"),
    (["derive", "--kernel-size", "100000", "--no-pdf"], "kernel_size must be at most 1024"),
    (["derive", "--kernel-size", "300", "--ndim", "3", "--no-pdf"], "choose a smaller kernel size"),
    (["homework", "/dev/zero", "--no-pdf"], "/dev/zero: not a regular file"),
])
def test_impossible_work_is_refused_under_a_memory_cap(args, message, tmp_path):
    """Run as a separate process under a 2 GiB address-space cap: refused at once (exit 2, one line), never
    a MemoryError or a traceback."""
    import subprocess
    import sys
    done = subprocess.run([sys.executable, "-m", "symconv", *args], cwd=tmp_path, capture_output=True, text=True,
                          timeout=120, preexec_fn=_capped(2 * 2**30))
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr and "MemoryError" not in done.stderr
    assert done.stderr.count("\n") == 1 and message in done.stderr
    assert list(tmp_path.iterdir()) == []


# ------------------------------------------------------------------------------- faults of the output
# Every command, with its standard output on a full device, closed, or unable to show a character, and
# with --out on a disk that fills up: one line on stderr, a non-zero exit, no traceback.

import errno
import os
import resource
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ANSWERS = str(ROOT / "tests" / "data" / "homework_answers.tex")
COMMANDS = {"homework": ["homework", "--no-pdf"], "derive": ["derive", "--no-pdf"], "verify": ["verify"],
            "check": ["check", ANSWERS, "--no-pdf"]}


def _symconv(args, tmp_path, stdout=subprocess.PIPE, env=None, preexec_fn=None):
    env = dict(os.environ, PYTHONPATH=str(ROOT), **(env or {}))
    return subprocess.run([sys.executable, "-m", "symconv", *args], cwd=tmp_path, stdout=stdout,
                          stderr=subprocess.PIPE, text=True, env=env, preexec_fn=preexec_fn, timeout=600)


def _one_line(done, pattern):
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr and done.stderr.count("\n") == 1, done.stderr
    assert re.fullmatch(pattern, done.stderr.strip()), done.stderr


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_stdout_on_a_full_device_is_one_line(command, tmp_path):
    with open("/dev/full", "w") as full:
        done = _symconv(COMMANDS[command], tmp_path, stdout=full)
    _one_line(done, r"symconv: error: cannot write to standard output \(No space left on device\)")


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_a_closed_stdout_is_one_line(command, tmp_path):
    done = _symconv(COMMANDS[command], tmp_path, stdout=None, preexec_fn=lambda: os.close(1))   # `>&-`
    _one_line(done, r"symconv: error: standard output is closed, .*")
    assert list(tmp_path.iterdir()) == []            # refused before any work: no reports/ written


@pytest.mark.parametrize("command,args", [
    ("homework", ["homework", "作业.toml", "--no-pdf", "--out", "out"]),
    ("derive", ["derive", "--no-pdf", "--lang", "zh", "--out", "报告"]),
    ("verify", ["verify", "--claim", "correlate(pad(g, 1), rot180(swap_io(h)))", "--wrt", "x"]),
    ("check", ["check", ANSWERS, "--no-pdf", "--lang", "zh", "--out", "成绩"])])
def test_an_encoding_that_cannot_show_the_output_is_one_line(command, args, tmp_path):
    (tmp_path / "作业.toml").write_bytes((ROOT / "derivations" / "homework11.toml").read_bytes())
    done = _symconv(args, tmp_path, env={"PYTHONIOENCODING": "ascii"})
    _one_line(done, r"symconv: error: standard output's encoding \(ascii\) cannot show the character "
                    r"U\+[0-9A-F]{4}; set PYTHONIOENCODING=utf-8 or use a UTF-8 locale")


def test_the_c_locale_still_shows_chinese(tmp_path):
    # Python reads the C locale as UTF-8 (PEP 538/540): a Chinese folder name is shown, not refused.
    done = _symconv(["derive", "--no-pdf", "--lang", "zh", "--out", "报告"], tmp_path,
                    env={"LANG": "C", "LC_ALL": "C"})
    assert done.returncode == 0 and "已写入 报告/conv_backward_2d_k3_s1_p1_d1_zh.tex" in done.stdout, done.stderr


@pytest.mark.parametrize("command", ["homework", "derive", "check"])
def test_a_disk_that_fills_up_under_out_is_one_line(command, tmp_path, monkeypatch, capsys):
    out = tmp_path / "out"
    out.mkdir()
    (out / "kept.txt").write_text("from an earlier run")
    real = Path.write_text

    def full(self, *args, **kwargs):
        if out in self.parents:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real(self, *args, **kwargs)
    monkeypatch.setattr(Path, "write_text", full)
    assert main([*COMMANDS[command], "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err == f"symconv: error: --out: cannot write into {out} (No space left on device)\n"
    assert sorted(p.name for p in out.iterdir()) == ["kept.txt"]      # nothing half-written, nothing lost


@pytest.mark.parametrize("command", ["homework", "derive", "check"])
def test_a_file_size_limit_under_out_is_one_line(command, tmp_path):
    """The kernel refuses the write (RLIMIT_FSIZE: EFBIG; Python ignores SIGXFSZ), as a full disk would."""
    def small_files():
        resource.setrlimit(resource.RLIMIT_FSIZE, (500, 500))   # below every report
    done = _symconv([*COMMANDS[command], "--out", "out"], tmp_path, preexec_fn=small_files,
                    env={"PYTHONDONTWRITEBYTECODE": "1"})
    _one_line(done, r"symconv: error: --out: cannot write into out \(File too large\)")
    assert list((tmp_path / "out").iterdir()) == []
