"""The command line: ``symconv homework``, ``symconv derive``, ``symconv verify``, ``symconv check``.

Each command reads like its pipeline: build, derive, verify, render. A :class:`SymconvError` becomes one line
on stderr and exit status 2, and so does a fault of the output (standard output closed, on a full device or
in an encoding that cannot show a character; ``--out`` on a full disk); anything else is a bug and keeps its
traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any, Sequence

from .errors import InputError, SymconvError


class _Parser(argparse.ArgumentParser):
    """Options are taken only as spelled: with abbreviations, ``--in`` would mean ``--in-channels`` today and
    be ambiguous (or mean another option) once an option is added."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"symconv: error: {message}{self._nearest(message)}\n")

    def _nearest(self, message: str) -> str:
        """" (did you mean --stride?)" for a mistyped option or command, as the TOML reader does for keys."""
        import difflib
        import re
        words = re.findall(r"(?<![\w-])--?[\w-]+", message.split("unrecognized arguments:")[-1]) \
            if "unrecognized arguments:" in message else re.findall(r"invalid choice: '([^']*)'", message)
        known = self._known()
        for word in words:
            near = difflib.get_close_matches(word.split("=")[0], known, n=1, cutoff=0.6)
            if near:
                return f" (did you mean {near[0]}?)"
        return ""

    def _known(self) -> list[str]:
        """Every option and command this parser and its commands take."""
        names: list[str] = []
        for action in self._actions:
            names += [o for o in action.option_strings if o.startswith("--")]
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    names += [name] + sub._known()
        return sorted(set(names))


def _per_axis(field: str, minimum: int | None = None, maximum: int | None = None, single: bool = False,
              modes: str = "") -> Any:
    """An argparse type: an integer or comma-separated integers (one per spatial axis; ``single``: one
    integer only), each from ``minimum`` to ``maximum`` when given; the message names the option."""
    if single:
        what = "an integer"
    else:
        what = "an integer or comma-separated integers" if not modes else \
            f"an integer, comma-separated integers, or {modes}"
    if minimum is not None:
        bound = f"from {minimum} to {maximum}" if maximum is not None else f">= {minimum}"
        what += f" {bound}" if single else f", each {bound}"

    def parse(text: str) -> Any:
        parts = text.split(",")
        try:
            values = tuple(int(p) for p in parts)
        except ValueError:
            values = ()
        if not values or (single and len(values) > 1) \
                or (minimum is not None and min(values) < minimum) \
                or (maximum is not None and max(values) > maximum):
            raise argparse.ArgumentTypeError(f"{field} must be {what}, got {text!r}")
        return values[0] if len(values) == 1 else values
    return parse


def _padding(text: str) -> Any:
    if text.strip().lower() in ("valid", "same", "full"):
        return text.strip().lower()
    return _per_axis("--padding", modes="valid/same/full")(text)


MAX_CHANNELS = 4096      # stated limits of the command line, checked before any work starts
MAX_BATCH = 1024
MAX_INPUT_SIZE = 4096
MAX_JOBS = 64               # worker processes: more than enough for any machine's cores


def _add_spec_options(p: argparse.ArgumentParser) -> None:
    # Kernel, stride, padding and dilation are range-checked by ConvSpec, whose message names the field.
    p.add_argument("--kernel-size", type=_per_axis("--kernel-size"), default=3, metavar="K",
                   help="kernel size: one integer, or one per spatial axis such as 3,5 (default: 3)")
    p.add_argument("--stride", type=_per_axis("--stride"), default=1, metavar="S",
                   help="stride: one integer or one per axis (default: 1)")
    p.add_argument("--padding", type=_padding, default=1, metavar="P|valid|same|full",
                   help="zero padding: an integer, comma-separated integers (one per axis), or valid/same/full "
                        "(default: 1, the homework's problem 1)")
    p.add_argument("--dilation", type=_per_axis("--dilation"), default=1, metavar="D",
                   help="kernel dilation: one integer or one per axis (default: 1)")
    p.add_argument("--groups", type=_per_axis("--groups", 1, MAX_CHANNELS, single=True), default=1, metavar="G",
                   help="channel groups; both channel counts must be divisible by it (default: 1)")
    p.add_argument("--ndim", type=int, choices=(1, 2, 3), default=2,
                   help="number of spatial axes (default: 2)")
    p.add_argument("--in-channels", type=_per_axis("--in-channels", 1, MAX_CHANNELS, single=True), default=None,
                   metavar="C", help="input channels (default: 2 x groups)")
    p.add_argument("--out-channels", type=_per_axis("--out-channels", 1, MAX_CHANNELS, single=True),
                   default=None, metavar="C", help="output channels (default: as many as the input channels)")
    p.add_argument("--bias", action="store_true", help="the layer has a bias (default: no bias)")


def _spec(args: argparse.Namespace) -> Any:
    from .derivation.spec import ConvSpec
    groups = args.groups
    cin = args.in_channels if args.in_channels is not None else 2 * groups
    cout = args.out_channels if args.out_channels is not None else cin
    return ConvSpec(cin, cout, args.kernel_size, stride=args.stride, padding=args.padding,
                    dilation=args.dilation, groups=groups, ndim=args.ndim, bias=args.bias)


def _write(out: Path, stem: str, tex: str, md: str, pdf: bool, lang: str = "en",
           extra: dict[str, str] | None = None, quiet: bool = False) -> int:
    """Write the report files, compile the PDF, say what was written; 1 when LaTeX failed, else 0.

    Everything is built in a temporary folder inside ``out`` and moved in at the end (:mod:`.output`). A
    failed PDF is an error: its message (with LaTeX's first error line) goes to stderr; the .tex and .md
    are still written.
    """
    from .report.output import Staging
    from .report.pdf import compile_pdf
    if lang != "en":
        stem = f"{stem}_{lang}"
    with Staging(out) as stage:
        for name, text in {**(extra or {}), f"{stem}.tex": tex, f"{stem}.md": md}.items():
            stage.path(name).write_text(text, encoding="utf-8")
        result = compile_pdf(stage.path(f"{stem}.tex"), lang) if pdf else None
        for name in stage.commit():
            print(_wrote(out / name, lang), file=sys.stderr if quiet else sys.stdout)
    if result is not None and result.path is None:
        print(result.message, file=sys.stderr)
    return 1 if result is not None and result.failed else 0


def _wrote(path: Path, lang: str) -> str:
    from .wording import w
    return w("t.wrote", lang, path=path)


def _out_dir(args: argparse.Namespace) -> Path | None:
    """Where reports go, checked before any work: --out when given; else reports/, except with --json
    (JSON alone, no files)."""
    from .report.output import out_folder
    if args.out is not None:
        return out_folder(args.out)
    return None if args.json else out_folder("reports")


def _json(value: Any) -> str:
    """Strict JSON: a value too large for a float (inf) or undefined (nan) is an input error, not NaN."""
    try:
        return json.dumps(value, indent=2, allow_nan=False)
    except ValueError:
        raise InputError("--json: a value is too large or too small for a JSON number (it overflows a "
                         "float); run without --json for the exact values") from None


def cmd_derive(args: argparse.Namespace) -> int:
    from .proof.stored import derive, seed_claims    # every proof, or its hash-checked stored result

    spec = _spec(args)
    out = _out_dir(args)
    derivation = derive(spec)
    homework_like = spec.ndim == 2 and spec.groups == 1 and set(spec.stride) == {1} \
        and set(spec.dilation) == {1} and spec.in_channels == spec.out_channels
    seed = seed_claims(spec) if homework_like else None
    if args.json:
        print(_json(derivation_json(derivation, seed)))
    else:
        for name, form in derivation.closed_forms.items():
            print(f"dL/d{ {'grad_input': 'x', 'grad_weight': 'h', 'grad_bias': 'b'}[name]} = {form}")
    if out is None:
        return 0
    from .report.derivation import figure_files, render     # the report stage: only to write a report
    from .wording import w
    tex, md = render(derivation, w("derive.title", args.lang, name=spec.describe()), seed, args.lang)
    return _write(out, f"conv_backward_{spec.describe()}", tex, md, not args.no_pdf, args.lang,
                  figure_files(spec, args.lang), quiet=args.json)


def derivation_json(derivation: Any, seed: Any) -> dict[str, Any]:
    spec = derivation.spec
    from .report.derivation import seed_claim_text
    return {
        "spec": {"in_channels": spec.in_channels, "out_channels": spec.out_channels,
                 "kernel_size": list(spec.kernel_size), "stride": list(spec.stride),
                 "padding": [list(p) for p in spec.pads], "dilation": list(spec.dilation),
                 "groups": spec.groups, "ndim": spec.ndim, "bias": spec.bias},
        "closed_forms": {k: {"form": str(f), "latex": f.to_latex()} for k, f in derivation.closed_forms.items()},
        "general": {k: {"form": str(f), "latex": f.to_latex()} for k, f in derivation.general.closed.items()},
        "steps": [{"target": s.target, "rule": s.rule, "latex": s.latex, "note": s.note}
                  for s in derivation.steps],
        "proof": {"ok": derivation.proof.ok, "statement": derivation.proof.statement,
                  "results": {r.target: {"ok": r.ok, "counterexample": None if r.counterexample is None
                                         else str(r.counterexample), "detail": r.detail}
                              for r in derivation.proof.results},
                  "general": {"ok": derivation.general_proof.ok,
                              "statement": derivation.general_proof.statement}},
        "seed": [{"claim": c.label, "holds": c.holds, "detail": seed_claim_text(c)} for c in seed or []],
    }


def cmd_homework(args: argparse.Namespace) -> int:
    from .homework.solution import solve
    from .homework.inputs import load

    out = _out_dir(args)
    homework = load(args.file or _packaged_homework())
    solution = solve(homework)
    failed = solution.failed_checks()
    if args.json:
        print(_json(solution_json(solution)))
    else:
        print(summary_table(solution, args.lang))
    # A failed check (or a NaN) is the run's failure: exit 1, after the report that shows it is written.
    status = 1 if failed else 0
    if out is None:
        return status
    from .homework.solution import problem1_spec
    from .report.derivation import figure_files
    from .report.homework import render         # the report stage is loaded only to write a report
    tex, md = render(solution, args.lang)
    return max(status, _write(out, homework.name, tex, md, not args.no_pdf, args.lang,
                              figure_files(problem1_spec(homework), args.lang), quiet=args.json))


def _packaged_homework() -> Path:
    from .homework.inputs import packaged
    return packaged()


def _finite(v: float | None) -> float | None:
    """A float for JSON: None where it is not finite (beyond float64's range, or NaN)."""
    return v if v is None or abs(v) < float("inf") else None    # NaN compares false too


def _check_json(c: Any) -> dict[str, Any] | None:
    if c is None:
        return None
    return {"max_error": _finite(c.error), "magnitude": _finite(c.magnitude), "bound": _finite(c.bound),
            "passed": c.passed}


def solution_json(s: Any) -> dict[str, Any]:
    import numpy as np
    from .homework.solution import any_digits
    # The solution's own texts and floats (correctly rounded for rationals, from 256-bit exponentials after
    # the softmax): SymPy's printer and evalf per entry took about a minute at a 2x32x32 input. "exact" keeps
    # every digit (JSON is for programs); "float" is null where a value is beyond float64's range.
    with any_digits():
        parts = {name: {"shape": list(v.shape), "exact": s.texts(name).tolist(),
                        "float": [_finite(f) for f in s.floats(name).reshape(-1).tolist()]}
                 for name, v in s.exact.items()}
    for name, v in s.exact.items():
        parts[name]["float"] = np.array(parts[name]["float"], dtype=object).reshape(v.shape).tolist()
    checks = {name: {"float64": _check_json(s.check(name, "float64")),
                     "finite_difference": _check_json(s.check(name, "finite-difference"))} for name in s.exact}
    return {"title": s.homework.title, "parts": parts, "checks": checks,
            "relu_ties": [list(t) for t in s.relu_ties],
            "relu_from_exact": [list(t) for t in s.relu_from_exact]}


def _check_cell(s: Any, name: str, against: str, lang: str = "en") -> str:
    """A measured error for the terminal; FAILED and the bound beside one that exceeds it (or is NaN)."""
    from .wording import w
    c = s.check(name, against)
    if c is None:
        return "-"
    return f"{c.error:.1e}" if c.passed else w("hw.terminal.cell_failed", lang, error=f"{c.error:.1e}",
                                               bound=f"{c.bound:.0e}")


COLUMNS = 100   # the terminal summary's width: long values are cut with "…" (the files hold them whole)


def _cells(text: str) -> int:
    """Terminal columns ``text`` takes (a Chinese character takes two)."""
    import unicodedata
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _fit(text: str, width: int) -> str:
    """``text`` cut to ``width`` terminal columns, the cut marked with "…"."""
    if _cells(text) <= width:
        return text
    out = ""
    for ch in text:
        if _cells(out + ch) > width - 1:
            break
        out += ch
    return out + "…"


def summary_table(s: Any, lang: str = "en") -> str:
    import sympy as sp
    from .report.numbers import short_str
    from .wording import w
    rows = [(w("part", lang), w("shape", lang), w("t.exact", lang), "float64", w("t.fd", lang))]
    for name, v in s.exact.items():
        flat = v.reshape(-1)
        shown = ", ".join(short_str(e) for e in flat[:4]) + (", ..." if flat.size > 4 else "")  # only those shown
        rows.append((name, "x".join(map(str, v.shape)) or w("scalar", lang), shown,
                     _check_cell(s, name, "float64", lang), _check_cell(s, name, "finite-difference", lang)))
    widths = [max(_cells(r[k]) for r in rows) for k in range(5)]
    widths[2] = max(10, min(widths[2], COLUMNS - sum(widths) + widths[2] - 2 * 4))
    lines = ["  ".join(_fit(c, wd) + " " * (wd - _cells(_fit(c, wd))) for c, wd in zip(r, widths)).rstrip()
             for r in rows]
    lines.insert(1, "  ".join("-" * wd for wd in widths))
    L = s.exact["L"][()]
    value = f" ~ {float(sp.N(L, 30)):.6g}"
    lines.append(_fit(f"L = {short_str(L)}", COLUMNS - len(value)) + value)
    failed = s.failed_checks()
    lines.append(w("hw.terminal.failed", lang, n=len(failed), which=", ".join(f"{n} {c}" for n, c in failed))
                 if failed else w("hw.terminal.passed", lang))
    return "\n".join(lines)


def cmd_check(args: argparse.Namespace) -> int:
    from .grading.answers import read_answers
    from .grading.grade import exit_status, grade, summary, table
    from .report.grading import sheet
    from .homework.solution import solve
    from .homework.inputs import load

    from .report.output import out_folder
    out = out_folder(args.out) if args.out is not None else None
    if len(args.answers) > 1 or Path(args.answers[0]).is_dir():
        return _check_class(args, out)
    args.answers = args.answers[0]
    answers = read_answers(args.answers)
    solution = solve(load(args.against or _packaged_homework()))
    grades = grade(answers, solution, args.strict_channels)
    if args.json:
        print(_json({"parts": {g.part: {"verdict": g.verdict, "mistake": g.mistake, "expected": g.expected,
                                             "given": g.given, "detail": g.detail} for g in grades},
                          "summary": summary(grades)}))
    else:
        print(table(grades, args.lang))
    status = exit_status(grades)
    if out is not None:
        from .grading.gradebook import sheet_stems
        stem = Path(args.answers).stem
        tex, md = sheet(grades, Path(args.answers).name, args.lang)
        if _write(out, f"grades_{sheet_stems([stem])[stem]}", tex, md, not args.no_pdf, args.lang,
                  quiet=args.json):
            status = max(status, 1)
    return status


def _check_class(args: argparse.Namespace, out: Path | None) -> int:
    """Many sheets (or a folder): each read, graded and rendered in a worker of its own with its own bounds
    (:mod:`.grading.isolated`), so that whatever happens to one sheet (unreadable, a crash, a time-out, a TeX
    failure) is that sheet's ``error`` row, on stderr and in the gradebook; every other sheet is graded and
    written. Paths named like sheets that are not read (a FIFO, a device, a folder) are reported too."""
    from .grading.gradebook import Gradebook, Progress, find_sheets, sheet_stems, students, visible
    from .grading.isolated import isolated
    from .homework.inputs import load
    from .homework.solution import solve
    from .report.output import Staging
    from .report.pdf import compile_pdf

    files, passed_over = find_sheets(args.answers)
    for path, why in passed_over:
        print(f"symconv: skipped {path}: {why}", file=sys.stderr)
    if not files:
        raise InputError(f"{', '.join(args.answers)}: no .tex or .toml answer sheets")
    solution = solve(load(args.against or _packaged_homework()))
    names, book, progress = students(files), Gradebook(), Progress(len(files))
    for path, why in passed_over:
        if not why.startswith(("a folder", "the same file")):   # a FIFO or device named like a sheet: a row
            book.fail(str(path), f"{path}: {why}")
    stems = sheet_stems(names.values())
    rendered: dict[str, tuple[str, str]] = {}
    for f in files:
        progress.step(f.name)
        done = isolated(_graded_sheet, f, solution, args.lang, out is not None, args.strict_channels)
        if done.error:
            book.fail(str(f), done.error if done.error.startswith(str(f)) else f"{f}: {done.error}")
            continue
        grades, texts = done.value
        book.add(names[f], str(f), grades)
        if texts is not None:
            rendered[str(f)] = texts
    progress.close()
    for f, message in book.errors:
        if not any(str(p) == f for p, _ in passed_over):
            print(f"symconv: skipped {visible(f)}: {visible(message)}", file=sys.stderr)
    status = book.exit_status()
    if out is not None and book.sheets:
        suffix = "" if args.lang == "en" else f"_{args.lang}"
        said: set[str] = set()
        with Staging(out) as stage:
            for s in book.sheets:
                if s.file not in rendered:
                    continue
                stem = f"grades_{stems[s.student]}{suffix}"
                tex, md = rendered[s.file]
                stage.path(f"{stem}.tex").write_text(tex, encoding="utf-8")
                stage.path(f"{stem}.md").write_text(md, encoding="utf-8")
                if not args.no_pdf:
                    result = compile_pdf(stage.path(f"{stem}.tex"), args.lang)
                    if result.failed:               # this sheet's TeX failed: its error, not the class's
                        book.fail(s.file, f"{s.file}: {result.message}")
                        print(f"symconv: {result.message}", file=sys.stderr)
                    elif result.path is None and result.message not in said:
                        said.add(result.message)
                        print(result.message, file=sys.stderr)
            stage.path("gradebook.csv").write_text(book.to_csv(), encoding="utf-8")
            stage.path("gradebook.json").write_text(book.to_json(), encoding="utf-8")
            for name in stage.commit():
                print(_wrote(out / name, args.lang), file=sys.stderr if args.json else sys.stdout)
        status = max(status, book.exit_status())
    print(book.to_json().rstrip() if args.json else book.table())
    return status


def _graded_sheet(path: Path, solution: Any, lang: str, render: bool, strict_channels: bool = False
                  ) -> tuple[list[Any], tuple[str, str] | None]:
    """One sheet read, graded and (when ``render``) written as its graded sheet's .tex and .md; in a worker
    (:func:`_check_class`). The grades come back worded (English details, as the gradebook keeps them)."""
    import dataclasses

    from .grading.answers import read_answers
    from .grading.grade import grade
    from .grading.gradebook import detail_of
    from .report.grading import sheet

    grades = grade(read_answers(path), solution, strict_channels)
    texts = sheet(grades, path.name, lang) if render else None
    return [dataclasses.replace(g, reason=detail_of(g)) for g in grades], texts


def cmd_verify(args: argparse.Namespace) -> int:
    if args.claim is not None or args.wrt is not None:
        return _claim(args)
    if args.all_sizes and not args.sweep:
        raise InputError("--all-sizes: only with --sweep (a single configuration is proved for every size by "
                         "symconv derive)")
    if args.sweep:
        return _all_sizes(args) if args.all_sizes else _sweep(args)
    if args.jobs is not None:
        raise InputError("--jobs: only --sweep runs in parallel; a single verification uses one process")
    from .derivation.forms import derive_forms
    from .proof.exact import small_input_size
    from .proof.mutants import mutate_derivation
    from .proof.checks import verify

    spec = _spec(args)
    size = (args.input_size if isinstance(args.input_size, tuple) else (args.input_size,)) if args.input_size \
        else small_input_size(spec, 3)
    if len(size) == 1 and spec.ndim > 1:
        size = size * spec.ndim
    from .proof.checks import check_work
    check_work(spec, tuple(size), args.batch, args.method)       # before any work
    derivation = derive_forms(spec)
    if args.mutant:
        from .errors import SpecError
        from .proof.mutants import same_values
        mutant = mutate_derivation(derivation, args.mutant)
        if same_values(derivation, mutant, size, args.batch):
            raise SpecError(f"--mutant {args.mutant} gives the true gradients of {spec.describe()} at input "
                            f"{'x'.join(map(str, size))}: it is no mutant here; choose a configuration it changes")
        derivation = mutant
    v = verify(spec, size, batch=args.batch, method=args.method, derivation=derivation)
    if args.json:
        print(_json({"spec": spec.describe(), "input_size": list(size), "batch": args.batch,
                          "ok": v.ok, "method": v.method, "checked": v.checked, "seconds": v.seconds,
                          "detail": v.detail}))
    else:
        print(f"{'ok' if v.ok else 'FAILED'}  {spec.describe()}  input {'x'.join(map(str, size))}  "
              f"{v.method}: {v.detail} ({v.seconds:.3f} s)")
    return 0 if v.ok else 1


def _claim(args: argparse.Namespace) -> int:
    """``verify --claim FORM --wrt x``: the user's formula proved or refuted for every size, in any notation
    ``check`` reads (the claim grammar, symconv's printed forms, the homework's LaTeX, index sums)."""
    from .grading.formulas import read_claim
    if args.claim is None or args.wrt is None:
        raise InputError("--claim and --wrt go together: --claim FORM --wrt x|h|b")
    if args.mutant or args.sweep:
        raise InputError("--claim: not with --mutant or --sweep")
    spec = _spec(args)
    kind, result = read_claim(spec, args.wrt, args.claim)
    if kind == "index":
        steps = [{"step": s.number, "holds": s.ok, "detail": s.words} for s in result.steps]
        if args.json:
            print(_json({"spec": spec.describe(), "claim": args.claim, "wrt": args.wrt, "verdict": result.verdict,
                         "form": "index sum", "reading": result.reading.words(), "statement": result.statement,
                         "counterexample": result.words or None, "steps": steps}))
        else:
            head = f"∂L/∂{args.wrt} as an index sum ({result.reading.words()})"
            print(f"{head}: proved {result.statement}" if result.verdict == "proved" else
                  f"{head}: refuted, {result.words}" if result.verdict == "refuted" else
                  f"{head}: not decided ({result.words})")
            for s in result.steps:
                print(f"  step {s.number}: {'holds' if s.ok else 'does not follow: ' + s.words}")
        return 0 if result.verdict == "proved" else 1
    c = result.counterexample
    if args.json:
        print(_json({"spec": spec.describe(), "claim": args.claim, "wrt": args.wrt, "verdict": result.verdict,
                     "form": str(result.form), "statement": result.statement,
                     "counterexample": None if c is None else str(c), "detail": result.detail}))
    else:
        print(result)
    return 0 if result.verdict == "proved" else 1


def _all_sizes(args: argparse.Namespace) -> int:
    """``verify --sweep --all-sizes``: every structure at every stride and dilation, for every size."""
    from .proof.presburger import sweep as all_sizes
    result = all_sizes(ndims=tuple(args.sweep_ndim), jobs=args.jobs or 1, mutant=args.mutant)
    failures = [{"family": f"{p.ndim}d grouped={p.grouped} bias={p.bias} stride={p.stride} "
                           f"dilation={p.dilation}", "counterexample": str(p.counterexample)}
                for p in result.failures]
    total = len(result.proofs)
    if args.json:
        print(_json({"total": total, "proved": total - len(failures), "failed": len(failures),
                     "wall_seconds": result.seconds, "cpu_seconds": result.cpu_seconds,
                     "failures": failures[:20]}))
    else:
        print(f"{total - len(failures)} of {total} families proved for every size in {result.seconds:.1f} s "
              f"({result.cpu_seconds:.1f} s of processor time)")
        for f in failures[:5]:
            print(f"FAILED {f['family']}: {f['counterexample']}")
    return 0 if not failures else 1


def _sweep(args: argparse.Namespace) -> int:
    import time

    from .proof.sweep import grid, progress_bar, sweep

    cases = list(grid(ndims=tuple(args.sweep_ndim)))
    start = time.perf_counter()
    # The bar is redrawn in place: on a terminal only (a log or a pipe gets the summary lines alone).
    outcomes = sweep(cases, jobs=args.jobs, mutant=args.mutant,
                     progress=None if args.json or not sys.stderr.isatty() else progress_bar)
    wall = time.perf_counter() - start
    by: dict[int, dict[str, Any]] = {}
    for o in outcomes:
        row = by.setdefault(o.case.spec.ndim, {"configurations": 0, "proved": 0, "failed": 0, "monomials": 0,
                                               "seconds": 0.0})
        row["configurations"] += 1
        row["proved" if o.ok else "failed"] += 1
        row["monomials"] += o.checked
        row["seconds"] += o.seconds
    failures = [{"spec": o.case.spec.describe(), "input_size": list(o.case.input_size), "detail": o.detail}
                for o in outcomes if not o.ok]
    proved = sum(o.ok for o in outcomes)
    if args.json:
        print(_json({"total": len(outcomes), "proved": proved, "failed": len(failures),
                          "wall_seconds": wall, "by_ndim": by, "failures": failures[:20]}))
    else:
        print(f"{'ndim':>4}  {'configs':>7}  {'proved':>6}  {'failed':>6}  {'monomials':>11}  {'cpu s':>7}")
        for nd, row in sorted(by.items()):
            print(f"{nd:>4}  {row['configurations']:>7}  {row['proved']:>6}  {row['failed']:>6}  "
                  f"{row['monomials']:>11}  {row['seconds']:>7.1f}")
        print(f"{proved} of {len(outcomes)} configurations proved exactly in {wall:.1f} s")
        for f in failures[:5]:
            print(f"FAILED {f['spec']} input {f['input_size']}: {f['detail']}")
    return 0 if not failures else 1


def _add_report_options(p: argparse.ArgumentParser, out: str | None, json_help: str) -> None:
    p.add_argument("--out", default=None, help="folder for the .tex/.md/.pdf"
                   + (f" (default: {out}/, or none with --json)" if out else " (default: none is written)"))
    p.add_argument("--json", action="store_true", help=json_help)
    p.add_argument("--lang", choices=("en", "zh"), default="en", help="report language (default: en)")
    p.add_argument("--no-pdf", action="store_true", help="do not compile the PDF")


def _examples(*lines: str) -> str:
    return "examples:\n" + "\n".join(f"  {line}" for line in lines)


def _help(*examples: str) -> dict[str, Any]:
    """A command's --help ends with examples (kept as written: a raw description formatter)."""
    return {"epilog": _examples(*examples), "formatter_class": argparse.RawDescriptionHelpFormatter}


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="symconv", description="Derive, prove and explain the backward pass of "
                                                 "convolutions symbolically.",
                     epilog=_examples("symconv derive --stride 2 --padding 1", "symconv homework --lang zh"),
                     formatter_class=argparse.RawDescriptionHelpFormatter)
    # The package (imported before any of its modules) holds the version; no import runs up the stages.
    version = sys.modules[__package__ or "symconv"].__version__
    parser.add_argument("--version", action="version", version=f"symconv {version}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    d = sub.add_parser("derive", help="derive the closed forms of a convolution's gradients", **_help(
        "symconv derive --kernel-size 3 --padding 1", "symconv derive --ndim 1 --stride 2 --no-pdf --json"))
    _add_spec_options(d)
    _add_report_options(d, "reports", "print the closed forms and steps as JSON")
    d.set_defaults(run=cmd_derive)
    h = sub.add_parser("homework", help="solve the homework exactly and write the report", **_help(
        "symconv homework", "symconv homework my_homework.toml --out reports --lang zh"))
    h.add_argument("file", nargs="?", help="homework TOML (default: the packaged homework11.toml)")
    _add_report_options(h, "reports", "print every part and check as JSON")
    h.set_defaults(run=cmd_homework)
    c = sub.add_parser("check", help="grade answers written in LaTeX against the exact solution", **_help(
        "symconv check answers.tex", "symconv check class/ --against my_homework.toml --out graded"))
    c.add_argument("answers", nargs="+", help=".tex file with \\label{ans:PART} in each answer, or .toml of "
                                              "PART = LaTeX; several files or a folder grade a class")
    c.add_argument("--against", help="homework TOML to grade against (default: the packaged homework)")
    c.add_argument("--strict-channels", action="store_true",
                   help="judge a formula's channels by the letter: a bare ⊗ between dL/dy and the kernel does not "
                        "imply the channel swap (by default it does, as in the homework's (2))")
    _add_report_options(c, None, "print every verdict as JSON")
    c.set_defaults(run=cmd_check)
    v = sub.add_parser("verify", help="prove (or test) the closed forms at a size, or over a grid (--sweep)",
                       **_help("symconv verify --stride 2 --input-size 7 --method torch",
                               "symconv verify --claim \"correlate(pad(g, 1), rot180(swap_io(h)))\" --wrt x"))
    _add_spec_options(v)
    v.add_argument("--input-size", type=_per_axis("--input-size", 1, MAX_INPUT_SIZE), default=None,
                   metavar="H[,W[,D]]", help="spatial input size: one integer for every axis, or one per axis "
                                             "(default: a small size where every kernel entry is used)")
    v.add_argument("--batch", type=_per_axis("--batch", 1, MAX_BATCH, single=True), default=1, metavar="N",
                   help="batch size (default: 1)")
    v.add_argument("--method", choices=("exact", "identity", "finite-difference", "torch"), default="exact",
                   help="exact: a proof, entry by entry, as polynomials; identity: the adjoint identity on "
                        "random integers; finite-difference or torch: compare with that oracle (default: exact)")
    v.add_argument("--json", action="store_true", help="print the result as JSON")
    v.add_argument("--sweep", action="store_true", help="prove every configuration of the grid exactly")
    v.add_argument("--sweep-ndim", type=int, nargs="+", choices=(1, 2, 3), default=[1, 2, 3],
                   help="spatial ranks in the sweep (default: 1 2 3)")
    v.add_argument("--jobs", type=_per_axis("--jobs", 1, MAX_JOBS, single=True), default=None, metavar="N",
                   help="worker processes for --sweep (default: one per core)")
    v.add_argument("--mutant", choices=("no_rotation", "no_swap", "pad_off_by_one", "no_dilation"),
                   help="self-test: check a deliberately wrong closed form instead (must fail)")
    v.add_argument("--claim", metavar="FORM",
                   help="prove or refute your own formula for every size: symconv's operator syntax or its LaTeX, "
                        "e.g. \"correlate(pad(g, 1), rot180(swap_io(h)))\", the homework's LaTeX (h^T, \\otimes) "
                        "or an index sum, as check reads them (needs --wrt)")
    v.add_argument("--wrt", choices=("x", "h", "b"), help="the gradient a --claim states: dL/dx, dL/dh or dL/db")
    v.add_argument("--all-sizes", action="store_true",
                   help="with --sweep: prove every structure (ndim, groups, bias) at every per-axis stride and "
                        "dilation in 1-3 for every size (isl), instead of the concrete grid")
    v.set_defaults(run=cmd_verify)
    return parser


class _OutputFault(Exception):
    """Standard output cannot take what a command prints (full disk, an I/O error, an encoding that cannot
    show a character); carries the one line that says so."""


class _Stdout:
    """``sys.stdout`` while a command runs: a fault writing to it becomes :class:`_OutputFault`, so that
    :func:`main` tells it apart from a bug (an ``OSError`` elsewhere keeps its traceback). A closed pipe
    stays a ``BrokenPipeError`` (``symconv ... | head`` ends quietly)."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def _guard(self, call: Any, *args: Any) -> Any:
        from .wording import w
        try:
            return call(*args)
        except UnicodeEncodeError as exc:
            char = exc.object[exc.start:exc.end][:1]
            raise _OutputFault(w("out.encoding", encoding=exc.encoding, char=f"U+{ord(char):04X}")) from None
        except BrokenPipeError:
            raise
        except OSError as exc:
            raise _OutputFault(w("out.stdout", reason=exc.strerror or exc)) from None

    def write(self, text: str) -> int:
        return self._guard(self._stream.write, text)

    def flush(self) -> None:
        self._guard(self._stream.flush)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def _silence(stream: Any) -> None:
    """Point ``stream``'s descriptor at /dev/null, so that the interpreter's last flush of what is still
    buffered does not fail again (Python's documented recipe for a closed pipe)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, stream.fileno())
    except (OSError, ValueError, AttributeError):    # stdout without a file descriptor (captured)
        pass


def main(argv: Sequence[str] | None = None) -> int:
    from .wording import w
    real = sys.stdout
    if real is None:                  # started with stdout closed (`>&-`): Python leaves it None
        print(w("out.closed"), file=sys.stderr)
        return 2
    sys.stdout = _Stdout(real)
    try:
        return _run(argv)
    except BrokenPipeError:
        # `symconv ... | head` closed the pipe: exit quietly.
        _silence(real)
        return 1
    except _OutputFault as exc:
        print(f"symconv: error: {exc}", file=sys.stderr)
        try:
            real.flush()              # what was printed before a character it cannot show
        except (OSError, ValueError):
            _silence(real)            # a full or failing device: drop the rest quietly
        return 2
    finally:
        sys.stdout = real


def _run(argv: Sequence[str] | None) -> int:
    try:
        args = build_parser().parse_args(argv)
    except SystemExit:
        sys.stdout.flush()      # --help wrote to stdout: a fault surfaces here, not at exit
        raise
    try:
        from .derivation.threads import override
        override()              # a bad SYMCONV_THREADS is one line here, before any worker starts
        status = int(args.run(args))
    except SymconvError as exc:
        message = " ".join(str(exc).splitlines())     # one line, whatever the message quotes
        print(f"symconv: error: {message}", file=sys.stderr)
        status = 2
    sys.stdout.flush()      # a fault writing the output surfaces here, inside main's handlers
    return status


_COMMANDS = ("homework", "derive", "verify", "check")      # each imports SymPy and NumPy


def _preload() -> None:
    """SymPy and NumPy, imported before a command with the garbage collector paused, then frozen. The
    ~300,000 objects their import creates are module state, never garbage: the collections that their
    allocations set off during the import find nothing and cost 30-50 ms (a sixth of ``import sympy``);
    frozen (``gc.freeze``), later collections and forked workers leave them alone too."""
    import gc
    gc.disable()
    try:
        import numpy  # noqa: F401
        import sympy  # noqa: F401
    finally:
        gc.enable()
    gc.freeze()


def program() -> None:
    """The ``symconv`` program (its console script and ``python -m symconv``): :func:`main`, then the end
    of the process without the interpreter's teardown. Freeing SymPy's and NumPy's objects one by one takes
    40-60 ms of a warm ``symconv homework``'s 0.4 s, and a process that is ending needs none of it (mypy
    ends the same way). What matters in a normal exit still happens: the atexit handlers run (worker pools,
    temporary folders; every file symconv writes is closed by then), and standard output and error are
    flushed; when a flush fails, or ``main`` raises (``--help``, a bug), Python ends the process as usual."""
    if sys.argv[1:2] and sys.argv[1] in _COMMANDS:
        _preload()
    status = main()
    import atexit
    atexit._run_exitfuncs()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError, AttributeError):
        sys.exit(status)
    os._exit(status)


if __name__ == "__main__":
    program()
