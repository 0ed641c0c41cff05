"""Compile a .tex file to PDF safely: no shell escape, in a temporary folder, with a time limit.

The user's file name never reaches LaTeX or latexmk: the source is copied to a fixed name (``report.tex``)
inside the temporary folder, so no name can be read as an option. The PDF is reproducible:
SOURCE_DATE_EPOCH and FORCE_SOURCE_DATE fix the dates pdfTeX writes into it.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .latex import needs_unicode_engine

TIME_LIMIT = 120  # seconds for one compilation


def latex_engine(xelatex: bool = False) -> list[str] | None:
    """The command that will build a PDF (XeLaTeX for Chinese), or None when none is on the PATH."""
    engine = "xelatex" if xelatex else "pdflatex"
    if shutil.which("latexmk") and shutil.which(engine):
        return ["latexmk", "-xelatex" if xelatex else "-pdf", "-no-shell-escape", "-interaction=nonstopmode",
                "-halt-on-error", "-quiet"]
    if shutil.which(engine):
        return [engine, "-no-shell-escape", "-interaction=nonstopmode", "-halt-on-error"]
    return None


def first_error(log: str) -> str:
    """LaTeX's first error on one line: the line starting with "!" and the "l.N ..." line that says where.

    >>> first_error("x\\n! Undefined control sequence.\\n<recently read> \\\\foo \\n\\nl.12 \\\\foo\\n      bar\\n")
    '! Undefined control sequence. (l.12 \\\\foo)'
    """
    lines = log.splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith("!")), None)
    if start is None:
        return " ".join(line.strip() for line in lines[-3:] if line.strip()) or "no log"
    where = next((line.strip() for line in lines[start + 1:start + 30] if re.match(r"l\.\d+", line)), "")
    return " ".join(lines[start].split()) + (f" ({' '.join(where.split())})" if where else "")


@dataclass(frozen=True)
class PdfResult:
    """What a compilation gave: the PDF's path (None when none was built), a one-line message, and whether
    LaTeX ran and failed (a failure is an error; LaTeX missing from the machine is not)."""

    path: Path | None
    message: str
    failed: bool = False


def compile_pdf(tex: Path, lang: str = "en") -> PdfResult:
    """Build ``tex``'s PDF beside it (with XeLaTeX for Chinese, and for any source beyond ASCII)."""
    xelatex = lang == "zh" or needs_unicode_engine(tex.read_text(encoding="utf-8"))
    cmd = latex_engine(xelatex=xelatex)
    if cmd is None:
        need = "xelatex" if xelatex else "latexmk or pdflatex"
        return PdfResult(None, f"no PDF: {need} is not on the PATH")
    env = dict(os.environ, SOURCE_DATE_EPOCH="0", FORCE_SOURCE_DATE="1", openout_any="p", openin_any="p",
               shell_escape="f")
    with tempfile.TemporaryDirectory(prefix="symconv-tex-") as tmp:
        work = Path(tmp) / "report.tex"      # a fixed name: the user's file name is never an argument
        shutil.copyfile(tex, work)
        runs = 1 if cmd[0] == "latexmk" else 2
        for _ in range(runs):
            try:
                done = subprocess.run(cmd + [work.name], cwd=tmp, env=env, stdin=subprocess.DEVNULL,
                                      capture_output=True, text=True, timeout=TIME_LIMIT)
            except subprocess.TimeoutExpired:
                return PdfResult(None, f"no PDF: LaTeX took longer than {TIME_LIMIT} s on {tex.name}", True)
            if done.returncode != 0:
                log = work.with_suffix(".log")
                text = log.read_text(errors="replace") if log.exists() else done.stdout
                return PdfResult(None, f"no PDF: LaTeX failed on {tex.name}: {first_error(text)}", True)
        pdf = tex.with_suffix(".pdf")
        shutil.copyfile(work.with_suffix(".pdf"), pdf)
    return PdfResult(pdf, f"wrote {pdf}")
