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

from .errors import DerivationError, InputError, SymconvError


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


CONV_MUTANTS = ("no_rotation", "no_swap", "pad_off_by_one", "no_dilation")   # symconv.proof.mutants.KINDS
UNARY_OPS = ("slice", "pad", "unfold", "fold", "avg_pool")   # one input, x: derive and --claim --wrt x only


def _add_spec_options(p: argparse.ArgumentParser) -> None:
    # Kernel, stride, padding and dilation are range-checked by ConvSpec, whose message names the field.
    p.add_argument("--kernel-size", type=_per_axis("--kernel-size"), default=3, metavar="K",
                   help="kernel size: one integer, or one per spatial axis such as 3,5 (default: 3)")
    p.add_argument("--stride", type=_per_axis("--stride"), default=None, metavar="S",
                   help="stride: one integer or one per axis (default: 1; avg_pool: the kernel size)")
    p.add_argument("--padding", type=_padding, default=None, metavar="P|valid|same|full",
                   help="zero padding: an integer, comma-separated integers (one per axis), or valid/same/full "
                        "(default: 1, the homework's problem 1; avg_pool, unfold and fold: 0, as PyTorch)")
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
    p.add_argument("--op", choices=("conv", "conv_transpose", "slice", "pad", "unfold", "fold", "avg_pool"),
                   default="conv",
                   help="the layer: conv (PyTorch's ConvNd), conv_transpose (ConvTransposeNd, its kernel laid "
                        "out C_in x C_out/groups), slice (x[..., start:stop:step] on every spatial axis), pad "
                        "(zero padding: --padding before, --padding-high after), unfold (F.unfold, im2col), "
                        "fold (F.fold, col2im; needs --output-size) or avg_pool (AvgPoolNd: --kernel-size, "
                        "--stride, --padding and the three flags below) (default: conv)")
    p.add_argument("--ceil-mode", action="store_true", default=None,
                   help="avg_pool only: round the output length up (PyTorch's ceil_mode)")
    p.add_argument("--count-include-pad", action=argparse.BooleanOptionalAction, default=None,
                   help="avg_pool only: divide by the window's length counting the padding, or "
                        "(--no-count-include-pad) by its real entries (default: counting the padding)")
    p.add_argument("--divisor-override", type=_divisor, default=None, metavar="N",
                   help="avg_pool only: divide every window's sum by N (a non-zero integer)")
    p.add_argument("--output-padding", type=_per_axis("--output-padding", 0), default=0, metavar="R",
                   help="conv_transpose only: outputs added after each axis, below the stride or the dilation "
                        "(default: 0)")
    p.add_argument("--start", type=_per_axis("--start", 0), default=None, metavar="A",
                   help="slice only: the first index kept on each axis (default: 0)")
    p.add_argument("--stop", type=_stop, default=None, metavar="B|end",
                   help="slice only: the index the slice stops before, or end (default: end)")
    p.add_argument("--step", type=_per_axis("--step"), default=None, metavar="S",
                   help="slice only: the step (default: 1)")
    p.add_argument("--padding-high", type=_per_axis("--padding-high", 0), default=None, metavar="Q",
                   help="pad only: the zeros after each axis (default: as many as --padding puts before it)")
    p.add_argument("--output-size", type=_per_axis("--output-size", 1, MAX_INPUT_SIZE), default=None,
                   metavar="H", help="fold only: the image's size, one integer or one per axis")


def _stop(text: str) -> Any:
    """--stop: ``end``, or non-negative integers, one per axis or once."""
    parts = [p.strip() for p in text.split(",")]
    try:
        values = tuple(None if p == "end" else int(p) for p in parts)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--stop takes integers or end, comma-separated; got {text!r}") from None
    return values[0] if len(values) == 1 else values


def _divisor(text: str) -> int:
    """--divisor-override: a whole number (read by int, never evaluated), its range checked by the spec."""
    try:
        return int(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"--divisor-override takes a non-zero integer, got {text!r}") from None


_POOL_FLAGS = ("ceil_mode", "count_include_pad", "divisor_override")


def _pool_spec(args: argparse.Namespace) -> Any:
    from .derivation.spec import AvgPoolSpec
    if args.output_padding != 0:
        raise InputError("--output-padding: only with --op conv_transpose")
    if isinstance(args.padding, str):
        raise InputError("--padding: --op avg_pool takes integers, one per axis or once")
    # PyTorch's AvgPoolNd has none of these: an option given for it would be silently ignored.
    for name, given in (("dilation", args.dilation not in (1, (1,) * args.ndim)), ("groups", args.groups != 1),
                        ("bias", args.bias), ("in-channels", args.in_channels is not None),
                        ("out-channels", args.out_channels is not None)):
        if given:
            raise InputError(f"--{name}: --op avg_pool has no {name.replace('-', ' ')} (PyTorch's AvgPoolNd)")
    return AvgPoolSpec(args.ndim, args.kernel_size, args.stride, 0 if args.padding is None else args.padding,
                       bool(args.ceil_mode), args.count_include_pad is not False, args.divisor_override)


def _spec(args: argparse.Namespace) -> Any:
    from .derivation.spec import ConvSpec, PadSpec, SliceSpec
    pool_only = [name for name in _POOL_FLAGS if getattr(args, name, None) is not None]
    if args.op != "avg_pool" and pool_only:
        raise InputError(f"--{pool_only[0].replace('_', '-')}: only with --op avg_pool")
    if args.op == "avg_pool":
        return _pool_spec(args)
    if args.padding is None:     # the seed's convolution pads by 1; F.unfold and F.fold, like PyTorch, by 0
        args.padding = 0 if args.op in ("unfold", "fold") else 1
    if args.stride is None:
        args.stride = 1
    slice_only = [name for name in ("start", "stop", "step") if getattr(args, name) is not None]
    if args.op != "slice" and slice_only:
        raise InputError(f"--{slice_only[0]}: only with --op slice")
    if args.op != "pad" and args.padding_high is not None:
        raise InputError("--padding-high: only with --op pad")
    if args.op in ("unfold", "fold") or getattr(args, "output_size", None) is not None:
        return _window_spec(args)
    if args.op == "slice":
        return SliceSpec(args.ndim, 0 if args.start is None else args.start, args.stop,
                         1 if args.step is None else args.step)
    if args.op == "pad":
        if isinstance(args.padding, str):
            raise InputError("--padding: --op pad takes integers, one per axis or once")
        low = args.padding if isinstance(args.padding, tuple) else (args.padding,) * args.ndim
        high = args.padding_high if args.padding_high is not None else low
        high = high if isinstance(high, tuple) else (high,) * args.ndim
        if len(low) != args.ndim or len(high) != args.ndim:
            raise InputError(f"--padding: one value or one per spatial axis ({args.ndim} here)")
        return PadSpec(args.ndim, tuple(zip(low, high)))
    groups = args.groups
    cin = args.in_channels if args.in_channels is not None else 2 * groups
    cout = args.out_channels if args.out_channels is not None else cin
    if args.op == "conv":
        if args.output_padding != 0:
            raise InputError("--output-padding: only with --op conv_transpose")
        return ConvSpec(cin, cout, args.kernel_size, stride=args.stride, padding=args.padding,
                        dilation=args.dilation, groups=groups, ndim=args.ndim, bias=args.bias)
    return ConvSpec(cin, cout, args.kernel_size, stride=args.stride, padding=args.padding,
                    dilation=args.dilation, groups=groups, ndim=args.ndim, bias=args.bias, transposed=True,
                    output_padding=args.output_padding)


def _window_spec(args: argparse.Namespace) -> Any:
    """--op unfold|fold: F.unfold's or F.fold's configuration (no channels, groups or bias to set)."""
    from .derivation.spec_fold import FoldSpec, UnfoldSpec
    if args.op != "fold" and args.output_size is not None:
        raise InputError("--output-size: only with --op fold")
    if args.op == "fold" and args.output_size is None:
        raise InputError("--output-size: --op fold needs the image's size (F.fold's output_size)")
    for option, given in (("--groups", args.groups != 1), ("--bias", args.bias), ("--output-padding",
                          args.output_padding != 0), ("--in-channels", args.in_channels is not None),
                          ("--out-channels", args.out_channels is not None)):
        if given:
            raise InputError(f"{option}: not with --op {args.op} (it keeps the channels)")
    if isinstance(args.padding, str):
        raise InputError(f"--padding: --op {args.op} takes integers, one per axis or once")
    window = dict(kernel_size=args.kernel_size, dilation=args.dilation, padding=args.padding, stride=args.stride)
    if args.op == "unfold":
        return UnfoldSpec(args.ndim, **window)
    return FoldSpec(args.ndim, args.output_size, **window)


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
    if args.order == 2:
        if spec.op != "conv":
            raise InputError("--order 2: only with --op conv")
        return _derive_second(args, spec)
    if spec.op in UNARY_OPS:
        return _derive_unary(args, spec)
    out = _out_dir(args)
    derivation = derive(spec)
    homework_like = spec.ndim == 2 and spec.groups == 1 and set(spec.stride) == {1} \
        and set(spec.dilation) == {1} and spec.in_channels == spec.out_channels and not spec.transposed
    seed = seed_claims(spec) if homework_like else None
    if args.json:
        print(_json(derivation_json(derivation, seed)))
    else:
        for name, form in derivation.closed_forms.items():
            print(f"dL/d{ {'grad_input': 'x', 'grad_weight': 'h', 'grad_bias': 'b'}[name]} = {form}")
    if out is None:
        return 0
    from .report.derivation import figure_files, render, report_title     # the report stage: only to write one
    tex, md = render(derivation, report_title(spec, args.lang), seed, args.lang)
    return _write(out, f"conv_backward_{spec.describe()}", tex, md, not args.no_pdf, args.lang,
                  figure_files(spec, args.lang), quiet=args.json)


_WRT = {"grad_input": "x", "grad_weight": "h", "grad_bias": "b"}


_SECOND = {"grad_input": ("gI", "x"), "grad_weight": ("gW", "h"), "grad_output": ("ggO", "g")}


def _derive_second(args: argparse.Namespace, spec: Any) -> int:
    """``derive --order 2``: the double backward derived by the engine, each form proved for every size, and
    its report (en/zh) unless --json."""
    from .derivation.second import derive_second_order
    from .proof.attach import prove_second_order
    out = _out_dir(args)
    d = derive_second_order(spec)
    proofs = prove_second_order(d)
    failed = [f"{k}: {p.counterexample or p.results[0].detail}" for k, p in proofs.items() if not p.ok]
    if failed:
        raise DerivationError(f"the double backward of {spec.describe()} failed its proof: {failed[0]}")
    shown = d.shown()
    if args.json:
        print(_json({"spec": spec.describe(), "order": 2,
                     "closed_forms": {k: {"name": _SECOND[k][0], "form": v, "wrt": _SECOND[k][1]}
                                      for k, v in shown.items()},
                     "steps": [{"target": s.target, "rule": s.rule, "latex": s.latex} for s in d.steps],
                     "proof": {k: {"ok": p.ok, "statement": p.statement} for k, p in proofs.items()}}))
    else:
        for k, v in shown.items():
            print(f"{_SECOND[k][0]} = {v}")
    if out is None:
        return 0
    from .report.second import render_second        # the report stage: only to write one
    tex, md = render_second(d, proofs, args.lang)
    return _write(out, f"conv_double_backward_{spec.describe()}", tex, md, not args.no_pdf, args.lang,
                  quiet=args.json)


def _derive_unary(args: argparse.Namespace, spec: Any) -> int:
    """``derive --op slice|pad|unfold|fold|avg_pool``: ∂L/∂x printed (or --json), and the report as the
    convolution's."""
    from .proof.attach import derive_pool, derive_unary
    from .proof.presburger_fold import derive_fold
    out = _out_dir(args)
    d = (derive_fold(spec) if spec.op in ("unfold", "fold") else derive_pool(spec) if spec.op == "avg_pool"
         else derive_unary(spec))
    if not args.json:
        print(f"dL/dx = {d.grad_input}")
    else:
        described = {"op": spec.op, "ndim": spec.ndim}
        if spec.op in ("unfold", "fold"):       # (the columns in the unflattened view (N, C, K..., L...))
            described.update({f: list(getattr(spec, f)) for f in ("kernel_size", "stride", "padding", "dilation")})
            if spec.op == "fold":
                described.update(output_size=list(spec.output_size_), blocks=list(spec.blocks))
        else:
            described.update({"start": list(spec.start), "stop": list(spec.stop), "step": list(spec.step)}
                             if spec.op == "slice" else _pool_json(spec) if spec.op == "avg_pool"
                             else {"padding": [list(p) for p in spec.pads]})
        general = d.general.closed["grad_input"]
        print(_json({
            "spec": described,
            "closed_forms": {"grad_input": {"form": str(d.grad_input), "latex": d.grad_input.to_latex(),
                                            "wrt": "x"}},
            "general": {"grad_input": {"form": str(general), "latex": general.to_latex()}},
            "steps": [{"target": st.target, "rule": st.rule, "latex": st.latex, "note": st.note} for st in d.steps],
            "proof": {"ok": d.proof.ok, "statement": d.proof.statement,
                      "results": {"grad_input": {"ok": True, "counterexample": None, "detail": ""}},
                      "general": {"ok": d.general_proof.ok, "statement": d.general_proof.statement}},
        }))
    if out is None:
        return 0
    from .report.derivation import render, report_title
    tex, md = render(d, report_title(spec, args.lang), None, args.lang)  # type: ignore[arg-type]
    stem = spec.describe().replace(f"{spec.op}_", f"{spec.op}_backward_", 1)
    return _write(out, stem, tex, md, not args.no_pdf, args.lang, {}, quiet=args.json)


def _pool_json(spec: Any) -> dict[str, Any]:
    return {"kernel_size": list(spec.kernel_size), "stride": list(spec.stride), "padding": list(spec.padding),
            "ceil_mode": spec.ceil_mode, "count_include_pad": spec.count_include_pad,
            "divisor_override": spec.divisor_override}


def derivation_json(derivation: Any, seed: Any) -> dict[str, Any]:
    spec = derivation.spec
    from .report.derivation import seed_claim_text
    described = {"in_channels": spec.in_channels, "out_channels": spec.out_channels,
                 "kernel_size": list(spec.kernel_size), "stride": list(spec.stride),
                 "padding": [list(p) for p in spec.pads], "dilation": list(spec.dilation),
                 "groups": spec.groups, "ndim": spec.ndim, "bias": spec.bias}
    if spec.transposed:
        described.update(op=spec.op, output_padding=list(spec.output_padding))
    return {
        "spec": described,
        # Each form with the --wrt under which `verify --claim` proves it back.
        "closed_forms": {k: {"form": str(f), "latex": f.to_latex(), "wrt": _WRT[k]}
                         for k, f in derivation.closed_forms.items()},
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
        for line in degenerate_lines(solution, args.lang):
            print(line)
    # A failed check (or a NaN) is the run's failure: exit 1, after the report that shows it is written.
    status = 1 if failed else 0
    if out is None:
        return status
    from .homework.solution import problem1_spec
    from .report.derivation import figure_files
    from .report.homework import render         # the report stage is loaded only to write a report
    if hasattr(homework, "layers"):             # a network of layers (issue 21)
        from .report.network import render
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
    doc = {"title": s.homework.title, "parts": parts, "checks": checks,
           "relu_ties": [list(t) for t in s.relu_ties],
           "relu_from_exact": [list(t) for t in s.relu_from_exact]}
    if hasattr(s, "degenerate"):     # a network of layers (the seed's document is unchanged)
        doc["pool_ties"] = [[name, *idx] for name, idx in s.pool_ties]
        doc["degenerate"] = [{"part": d.part, "kind": d.kind, "reason": d.reason, "layer": d.layer}
                             for d in s.degenerate]
    return doc


def degenerate_lines(s: Any, lang: str = "en") -> list[str]:
    """A network's degenerate parts for the terminal, one line each (none for the seed's format)."""
    from .wording import w
    out = []
    for d in getattr(s, "degenerate", []):
        layer = s.homework.output(d.layer) if d.layer else None
        W = layer.weight_name if layer is not None and layer.weight_name else "W"
        out.append(w("net.t.line", lang, part=d.part, what=w("net.t." + d.kind, lang),
                     why=w("net.t." + d.reason, lang, W=W, layer=d.layer)))
    return out


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
    if args.gradebook is not None and (args.variants is None or out is None):
        raise InputError("--gradebook: only with --variants DIR and --out DIR (the roster and points come from "
                         "the variants)")
    if args.variants is not None:
        if args.against is not None:
            raise InputError("--against: not with --variants (each sheet is graded against its student's variant)")
        return _check_class(args, out, _variants_folder(args.variants))
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


def cmd_variants(args: argparse.Namespace) -> int:
    """Every student's variant (:mod:`.homework.variants`): ``sheets/`` holds each student's homework file
    and problem sheet (.tex, .md, .pdf), ``keys/`` each answer key (``homework --json``'s layout), and
    ``variants.json`` the roster, the points, and every draw rejected with its reasons."""
    import hashlib

    from .grading.gradebook import Progress
    from .homework.inputs import read_user_file
    from .homework.roster import file_stems, numbered, read_roster
    from .homework.variants import make_variant, plan, to_toml
    from .report.output import Staging, out_folder
    from .report.problems import problem_sheet

    out = out_folder(args.out)
    for sub in ("keys", "sheets"):      # written into, never through a link (out's own files are replaced)
        if (out / sub).is_symlink() or ((out / sub).exists() and not (out / sub).is_dir()):
            raise InputError(f"--out: {out / sub} is a link or not a folder; symconv variants writes sheets/ and "
                             f"keys/ there itself")
    path = Path(args.homework)
    p = plan(read_user_file(path), path.stem)
    roster = numbered(int(args.students)) if args.students.strip().isdigit() else read_roster(args.students)
    stems = file_stems([s.id for s in roster])
    taken: dict[str, dict[str, str]] = {}
    progress = Progress(len(roster))
    listed: list[dict[str, Any]] = []
    status = 0
    with Staging(out / "keys") as keys, Staging(out / "sheets") as sheets:
        texs = []
        for s in roster:
            progress.step(s.id)
            v = make_variant(p, args.seed, s.id, taken)
            stem = stems[s.id]
            text = to_toml(v.data, f"{p.title}: the variant of student {json.dumps(s.id, ensure_ascii=False)} "
                                   f"(symconv variants, seed {args.seed}, draw {v.attempt})").encode("utf-8")
            sheets.path(f"homework_{stem}.toml").write_bytes(text)
            tex, md = problem_sheet(v.data, p.slots, p.points, s.id, s.name, p.title, args.lang)
            sheets.path(f"problems_{stem}.tex").write_text(tex, encoding="utf-8")
            sheets.path(f"problems_{stem}.md").write_text(md, encoding="utf-8")
            texs.append(sheets.path(f"problems_{stem}.tex"))
            keys.path(f"key_{stem}.json").write_text(json.dumps(solution_json(v.solution), indent=2) + "\n",
                                                      encoding="utf-8")
            listed.append({"id": s.id, "name": s.name, "email": s.email, "section": s.section, "login": s.login,
                           "homework": f"sheets/homework_{stem}.toml", "sheet": f"sheets/problems_{stem}.tex",
                           "key": f"keys/key_{stem}.json", "sha256": hashlib.sha256(text).hexdigest(),
                           "draw": v.attempt, "rejected": v.rejected})
        progress.close()
        if not args.no_pdf:
            status = _compile_all(texs, args.lang, args.jobs or os.cpu_count() or 1)
        keys.commit()
        sheets.commit()
    summary = {"homework": path.name, "title": p.title, "seed": args.seed, "lang": args.lang,
               "points": {k: str(v) for k, v in p.points.items()},
               "rules": {"allow_relu_zero": p.variants.allow_relu_zero,
                         "allow_pool_ties": p.variants.allow_pool_ties, "max_digits": p.variants.max_digits},
               "drawn": {k: ({"values": [str(x) for x in v.values]} if v.values else
                             {"low": v.low, "high": v.high, "denominator": v.denominator})
                         for k, v in p.variants.ranges.items()},
               "rejected": sum(len(e["rejected"]) for e in listed), "students": listed}
    with Staging(out) as stage:
        stage.path("variants.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n",
                                               encoding="utf-8")
        stage.commit()
    from .wording import w
    print(w("var.done", args.lang, n=len(listed), out=out, rejected=summary["rejected"]))
    return status


def _compile_all(texs: list[Path], lang: str, jobs: int) -> int:
    """Each problem sheet's PDF, ``jobs`` LaTeX runs at a time (threads: each waits on its own LaTeX); 1 when
    one failed (said on stderr; its .tex and .md are kept)."""
    from concurrent.futures import ThreadPoolExecutor

    from .report.pdf import compile_pdf
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        results = list(pool.map(lambda t: compile_pdf(t, lang), texs))
    said: set[str] = set()
    for r in results:
        if r.path is None and r.message not in said:
            said.add(r.message)
            print(r.message, file=sys.stderr)
    return 1 if any(r.failed for r in results) else 0


def _check_class(args: argparse.Namespace, out: Path | None, variants: Any = None) -> int:
    """Many sheets (or a folder): each read, graded and rendered in a worker of its own with its own bounds
    (:mod:`.grading.isolated`), ``--jobs`` at a time, so that whatever happens to one sheet (unreadable, a
    crash, a time-out, a TeX failure) is that sheet's ``error`` row, on stderr and in the gradebook; every
    other sheet is graded and written. Paths named like sheets that are not read (a FIFO, a device, a folder)
    are reported too. With ``variants`` (``--variants DIR``), each sheet is matched to its student and graded
    against that student's own homework (:func:`_variant_calls`)."""
    from .grading.gradebook import Gradebook, Progress, find_sheets, sheet_stems, students, visible
    from .grading.isolated import in_workers
    from .homework.inputs import load
    from .homework.solution import solve
    from .report.output import Staging
    from .report.pdf import compile_pdf

    files, passed_over = find_sheets(args.answers)
    for path, why in passed_over:
        print(f"symconv: skipped {path}: {why}", file=sys.stderr)
    if not files:
        raise InputError(f"{', '.join(args.answers)}: no .tex or .toml answer sheets")
    book = Gradebook()
    for path, why in passed_over:
        if not why.startswith(("a folder", "the same file")):   # a FIFO or device named like a sheet: a row
            book.fail(str(path), f"{path}: {why}")
    if variants is None:
        solution = solve(load(args.against or _packaged_homework()))
        names = students(files)
        calls = [(_graded_sheet, (f, solution, args.lang, out is not None, args.strict_channels)) for f in files]
    else:
        names, calls = _variant_calls(args, files, variants, book, out is not None)
        files = list(names)
        variants["sheet_of"] = {str(f): sid for f, sid in names.items()}
    stems = sheet_stems(names.values())
    rendered: dict[str, tuple[str, str]] = {}
    _warm_reader()
    progress = Progress(len(files))
    outcomes = in_workers(lambda work, *a: work(*a), [(work,) + a for work, a in calls], args.jobs or 1,
                          lambda k, _: progress.step(files[k].name))
    for f, done in zip(files, outcomes):
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
            if variants is not None:
                _class_files(args, stage, _classbook(variants, book))
            for name in stage.commit():
                print(_wrote(out / name, args.lang), file=sys.stderr if args.json else sys.stdout)
        status = max(status, book.exit_status())
    print(book.to_json().rstrip() if args.json else book.table())
    if variants is not None and not args.json:
        print(_points_table(_classbook(variants, book)))
    return status


# Answers of the forms a class writes (matrices, tuples, decimals, exponents, fractions, logarithms): read once
# before the workers fork, they leave the LaTeX parser's prediction tables (ANTLR's DFA, built lazily on first
# use) filled, so each worker starts warm: a sheet of matrices took 2.5 s cold and 0.85 s warm, and a cold first
# answer could spend its 2 s budget on the tables alone on a loaded machine.
WARM_ANSWERS = (r"\begin{bmatrix}-0.5 & 1.25 \\ 2 & -3\end{bmatrix}, \begin{bmatrix}1 & 0 \\ 0 & 1\end{bmatrix}",
                r"(0.5, -1.25e-05, 0)^T", r"-2.5 \times 10^{-10}", r"\frac{1}{2} \cdot \ln 5 + e^{-3}",
                r"\begin{pmatrix} \dfrac{1}{5} & -\tfrac{3}{10} \end{pmatrix}")


def _warm_reader() -> None:
    """The LaTeX reader used here, before the workers fork (:data:`WARM_ANSWERS`)."""
    from .grading.answers import parse_answer
    for text in WARM_ANSWERS:
        try:
            parse_answer(text)
        except Exception:        # a warm-up only: whatever it meets, the sheets themselves are read later
            pass


def _variants_folder(text: str) -> dict[str, Any]:
    """``--variants DIR``: its ``variants.json`` (written by ``symconv variants``) read and checked; each
    student's homework file is found from the id (never from a path in the JSON)."""
    from .homework.roster import file_stems
    folder = Path(text)
    path = folder / "variants.json"
    try:
        with path.open("rb") as f:
            data = json.loads(f.read(50_000_000).decode("utf-8"))
        students = data["students"]
        ids = [str(s["id"]) for s in students]
        stems = file_stems(ids)
        info = {"folder": folder, "title": str(data["title"]), "points": {str(k): str(v) for k, v in
                                                                          data["points"].items()},
                "students": [{"id": str(s["id"]), "name": str(s["name"]), "email": str(s.get("email", "")),
                              "section": str(s.get("section", "")), "login": str(s.get("login", "")),
                              "sha256": str(s["sha256"]), "homework": folder / "sheets" /
                              f"homework_{stems[str(s['id'])]}.toml"} for s in students]}
    except FileNotFoundError:
        raise InputError(f"--variants: {path}: no such file (run symconv variants HOMEWORK --out {text} first)") \
            from None
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise InputError(f"--variants: {path}: not a variants summary written by symconv variants "
                         f"({exc.__class__.__name__}: {' '.join(str(exc).split())[:100]})") from None
    return info


def _variant_calls(args: argparse.Namespace, files: list[Path], variants: dict[str, Any], book: Any,
                   render: bool) -> tuple[dict[Path, str], list[tuple[Any, tuple[Any, ...]]]]:
    """Each sheet matched to its roster student (:func:`.grading.classbook.match_student`); a sheet that
    matches nobody, or a second sheet of one student, is its error row. The first homework is solved here,
    so that every worker starts with the derivation cached."""
    from .grading.classbook import match_student
    from .homework.inputs import load
    from .homework.solution import solve
    by_id = {s["id"]: s for s in variants["students"]}
    names: dict[Path, str] = {}
    calls: list[tuple[Any, tuple[Any, ...]]] = []
    first: dict[str, Path] = {}
    asked = list(variants["points"])
    for f in files:
        try:
            with f.open("rb") as handle:
                head = handle.read(1_000_000).decode("utf-8", "replace")
        except OSError as exc:
            book.fail(str(f), f"{f}: cannot be read ({exc.__class__.__name__})")
            continue
        sid, how = match_student(f.name, head, by_id)
        if sid is None:
            book.fail(str(f), f"{f}: {how}")
        elif sid in first:
            book.fail(str(f), f"{f}: a second sheet of student {sid} (the first: {first[sid].name})")
        else:
            first[sid] = f
            names[f] = sid
            s = by_id[sid]
            calls.append((_graded_variant, (f, s["homework"], s["sha256"], asked, args.lang, render,
                                            args.strict_channels)))
    if calls:
        try:
            solve(load(calls[0][1][1]))          # warms the caches every worker inherits
        except SymconvError:
            pass                                  # that sheet's worker says what is wrong
    return names, calls


def _graded_variant(path: Path, homework: Path, sha256: str, asked: list[str], lang: str, render: bool,
                    strict_channels: bool) -> tuple[list[Any], tuple[str, str] | None]:
    """One sheet graded against its student's homework (in a worker): the homework file must be the one
    ``symconv variants`` wrote (its SHA-256), ``student`` is not a part, and a part the homework does not
    ask is not ``missing``."""
    import dataclasses
    import hashlib

    from .grading.answers import read_answers
    from .grading.classbook import asked_grades
    from .grading.grade import grade
    from .grading.gradebook import detail_of
    from .homework.inputs import load
    from .homework.solution import solve
    from .report.grading import sheet

    try:
        data = homework.read_bytes()
    except OSError as exc:
        raise InputError(f"{homework}: its student's homework cannot be read ({exc.__class__.__name__})") from None
    if hashlib.sha256(data).hexdigest() != sha256:
        raise InputError(f"{homework}: changed since symconv variants wrote it (its SHA-256 differs)")
    solution = solve(load(homework))
    answers = dict(read_answers(path))
    answers.pop("student", None)
    grades = asked_grades(grade(answers, solution, strict_channels), asked)
    texts = sheet(grades, path.name, lang) if render else None
    return [dataclasses.replace(g, reason=detail_of(g)) for g in grades], texts


def _classbook(variants: dict[str, Any], book: Any) -> Any:
    """The class by roster: each student's grades, or the note saying why there are none."""
    from fractions import Fraction

    from .grading.classbook import ClassBook, Entry
    graded = {s.student: s for s in book.sheets}
    owner = variants.get("sheet_of", {})
    notes = {owner[f]: m for f, m in book.errors if f in owner}
    cb = ClassBook(variants["title"], {p: Fraction(v) for p, v in variants["points"].items()})
    for s in variants["students"]:
        sheet = graded.get(s["id"])
        note = "" if sheet is not None else notes.get(s["id"], "no sheet")
        cb.entries.append(Entry(s["id"], s["name"], s["email"], s["section"], s["login"],
                                None if sheet is None else sheet.grades, note))
    return cb


def _class_files(args: argparse.Namespace, stage: Any, cb: Any) -> None:
    """The wide gradebook (always, with a BOM for Excel) and ``--gradebook``'s import layout."""
    stage.path("gradebook_wide.csv").write_text(cb.wide_csv(), encoding="utf-8", newline="")
    stage.path("gradebook_points.json").write_text(json.dumps(cb.to_dict(), indent=2, ensure_ascii=False) + "\n",
                                                   encoding="utf-8")
    if args.gradebook == "canvas":
        stage.path("gradebook_canvas.csv").write_text(cb.canvas_csv(), encoding="utf-8", newline="")
    elif args.gradebook == "moodle":
        stage.path("gradebook_moodle.csv").write_text(cb.moodle_csv(), encoding="utf-8", newline="")


def _points_table(cb: Any) -> str:
    from .grading.classbook import points_text
    from .grading.gradebook import visible
    rows = [(visible(e.id), points_text(t) if (t := cb.total(e)) is not None else "-") for e in cb.entries]
    width = max([len(r[0]) for r in rows] + [2])
    return "\n".join([f"{'id':<{width}}  points (of {points_text(cb.possible)})"] +
                     [f"{i:<{width}}  {t}" for i, t in rows])


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
    if args.order == 2:
        raise InputError("--order 2: verify states a claim of the double backward (--claim FORM --wrt x|h|g); "
                         "derive --order 2 proves its forms")
    if args.all_sizes and not args.sweep:
        raise InputError("--all-sizes: only with --sweep (a single configuration is proved for every size by "
                         "symconv derive)")
    if args.sweep:
        if not args.all_sizes and args.mutant and args.mutant not in CONV_MUTANTS:
            # The grid holds convolutions only: another operator's mutant would change nothing there and
            # every configuration would read "proved" (a self-test that cannot fail).
            raise InputError(f"--mutant {args.mutant}: it changes another operator's gradient, not the "
                             "convolution's that --sweep checks; use --sweep --all-sizes")
        return _all_sizes(args) if args.all_sizes else _sweep(args)
    if args.jobs is not None:
        raise InputError("--jobs: only --sweep runs in parallel; a single verification uses one process")
    from .derivation.forms import derive_forms
    from .proof.exact import small_input_size
    from .proof.mutants import mutate_derivation
    from .proof.checks import verify

    spec = _spec(args)
    if spec.op in UNARY_OPS:
        raise InputError(f"--op {spec.op}: verify it with --claim FORM --wrt x (for every size), or with derive")
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
    if args.order == 2:
        from .proof.claims import prove_second_claim
        if spec.op != "conv":
            raise InputError("--order 2: only with --op conv")
        kind, result = "form", prove_second_claim(spec, args.wrt, args.claim)
    elif args.wrt == "g":
        raise InputError("--wrt g: only with --order 2 (ggO of the double backward)")
    elif spec.op in UNARY_OPS:
        from .proof.claims import prove_pool_claim, prove_unary_claim
        from .proof.claims_fold import prove_fold_claim
        from .proof.grammar import MAX_LENGTH, ClaimError
        if len(args.claim) > MAX_LENGTH:
            raise ClaimError(f"{len(args.claim)} characters; a claim has at most {MAX_LENGTH}")
        if args.wrt != "x":
            raise InputError(f"--wrt {args.wrt}: {spec.op} has one input, x")
        prover = (prove_fold_claim if spec.op in ("unfold", "fold") else prove_pool_claim if spec.op == "avg_pool"
                  else prove_unary_claim)
        kind, result = "form", prover(spec, args.claim)
    elif spec.transposed:
        # The claim grammar (symconv's printed forms and their LaTeX); the homework's notations and index
        # sums read a convolution's definition.
        from .proof.claims import prove_claim
        from .proof.grammar import MAX_LENGTH, ClaimError
        if len(args.claim) > MAX_LENGTH:
            raise ClaimError(f"{len(args.claim)} characters; a claim has at most {MAX_LENGTH}")
        kind, result = "form", prove_claim(spec, args.wrt, args.claim)
    else:
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
    from .proof.presburger import Sweep
    from .proof.presburger_fold import ALL_OPS as OPS, sweep as all_sizes
    from .proof.presburger_pool import sweep as pool_sizes
    # Every operator; a mutant only where it belongs (the transposed convolution's own, unfold's and fold's,
    # average pooling's, or the convolution's).
    ops_ = OPS + ("avg_pool",) if not args.mutant else ("conv_transpose",) if args.mutant in _TRANSPOSED_MUTANTS \
        else ("avg_pool",) if args.mutant in _POOL_MUTANTS else ("conv",)
    ops_ = _FOLD_MUTANTS.get(args.mutant, ops_)
    kw = dict(ndims=tuple(args.sweep_ndim), jobs=args.jobs or 1, mutant=args.mutant)
    parts = ([all_sizes(**kw, ops_=tuple(o for o in ops_ if o != "avg_pool"))] if ops_ != ("avg_pool",) else []) \
        + ([pool_sizes(**kw)] if "avg_pool" in ops_ else [])       # average pooling's families: presburger_pool
    result = Sweep(tuple(p for r in parts for p in r.proofs), sum(r.seconds for r in parts),
                   sum(r.cpu_seconds for r in parts))
    op = lambda p: "conv_transpose" if p.transposed else p.op  # noqa: E731
    failures = [{"family": (f"{p.op} {p.ndim}d step={p.stride}" if p.op == "slice" else f"pad {p.ndim}d")
                 if p.op in ("slice", "pad") else
                 f"{p.op} {p.ndim}d stride={p.stride} dilation={p.dilation}" if p.op in ("unfold", "fold") else
                 f"avg_pool {p.ndim}d {p.statement.split(' at ')[-1]}" if p.op == "avg_pool" else
                 f"{op(p) + ' ' if p.transposed else ''}{p.ndim}d grouped={p.grouped} bias={p.bias} "
                 f"stride={p.stride} dilation={p.dilation}",
                 "counterexample": str(p.counterexample or p.results[0].detail)}
                for p in result.failures]
    total = len(result.proofs)
    by_op = {name: {"total": sum(op(p) == name for p in result.proofs),
                    "proved": sum(op(p) == name and p.ok for p in result.proofs)} for name in ops_}
    if args.json:
        print(_json({"total": total, "proved": total - len(failures), "failed": len(failures),
                     "wall_seconds": result.seconds, "cpu_seconds": result.cpu_seconds, "by_op": by_op,
                     "failures": failures[:20]}))
    else:
        print(f"{total - len(failures)} of {total} families proved for every size in {result.seconds:.1f} s "
              f"({result.cpu_seconds:.1f} s of processor time)")
        for name, counts in by_op.items():
            print(f"  {name}: {counts['proved']} of {counts['total']}")
        for f in failures[:5]:
            print(f"FAILED {f['family']}: {f['counterexample']}")
    return 0 if not failures else 1


_TRANSPOSED_MUTANTS = ("output_padding_wrong_side", "extra_rotation")     # symconv.proof.mutants.TRANSPOSED_KINDS
# symconv.proof.mutants.FOLD_KINDS: the operator whose gradient each changes (unfold's is a fold)
_FOLD_MUTANTS = {"fold_padding_off_by_one": ("unfold",), "unfold_stride_dilation_swapped": ("fold",),
                 "missing_window": ("unfold", "fold")}
_POOL_MUTANTS = ("divisor_off_by_one", "count_include_pad_flipped")         # symconv.proof.mutants.POOL_KINDS


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
    d.add_argument("--order", type=int, choices=(1, 2), default=1,
                   help="2: the double backward (gI, gW, ggO of PyTorch's _convolution_double_backward), derived "
                        "step by step, proved for every size, and its report (default: 1)")
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
    c.add_argument("--variants", metavar="DIR", default=None,
                   help="grade each sheet against its own student's variant (the folder symconv variants wrote); "
                        "a sheet is matched by the roster id in its file name or a student = \"ID\" line")
    c.add_argument("--jobs", type=_per_axis("--jobs", 1, MAX_JOBS, single=True), default=None, metavar="N",
                   help="sheets graded at once, each in its own worker (default: 1)")
    c.add_argument("--gradebook", choices=("canvas", "moodle", "csv"), default=None,
                   help="with --variants and --out: also write the gradebook in Canvas's or Moodle's import "
                        "layout (csv: the wide gradebook alone, which is always written)")
    c.add_argument("--strict-channels", action="store_true",
                   help="judge a formula's channels by the letter: a bare ⊗ between dL/dy and the kernel does not "
                        "imply the channel swap (by default it does, as in the homework's (2))")
    _add_report_options(c, None, "print every verdict as JSON")
    c.set_defaults(run=cmd_check)
    va = sub.add_parser("variants", help="write every student's own variant: homework, problem sheet, answer key",
                        **_help("symconv variants my_homework.toml --students roster.csv --seed 2026 --out class",
                                "symconv variants my_homework.toml --students 30 --seed 1 --out class --no-pdf"))
    va.add_argument("homework", help="homework TOML with a [variants] table (the ranges to draw from)")
    va.add_argument("--students", required=True, metavar="ROSTER.csv|N",
                    help="a roster CSV with id and name columns, or a number of students (ids s001, s002, ...)")
    va.add_argument("--seed", type=_per_axis("--seed", 0, 2 ** 63 - 1, single=True), required=True, metavar="S",
                    help="the class's seed: the same seed and student id always give the same numbers")
    va.add_argument("--out", required=True, metavar="DIR", help="folder for sheets/, keys/ and variants.json")
    va.add_argument("--lang", choices=("en", "zh"), default="en", help="problem sheets' language (default: en)")
    va.add_argument("--no-pdf", action="store_true", help="do not compile the problem sheets' PDFs")
    va.add_argument("--jobs", type=_per_axis("--jobs", 1, MAX_JOBS, single=True), default=None, metavar="N",
                    help="PDFs compiled at once (default: one per core)")
    va.set_defaults(run=cmd_variants)
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
    v.add_argument("--mutant", choices=("no_rotation", "no_swap", "pad_off_by_one", "no_dilation",
                                            "output_padding_wrong_side", "extra_rotation",
                                            "fold_padding_off_by_one", "unfold_stride_dilation_swapped",
                                            "missing_window", "divisor_off_by_one", "count_include_pad_flipped"),
                   help="self-test: check a deliberately wrong closed form instead (must fail)")
    v.add_argument("--claim", metavar="FORM",
                   help="prove or refute your own formula for every size: symconv's operator syntax or its LaTeX, "
                        "e.g. \"correlate(pad(g, 1), rot180(swap_io(h)))\", the homework's LaTeX (h^T, \\otimes) "
                        "or an index sum, as check reads them (needs --wrt)")
    v.add_argument("--wrt", choices=("x", "h", "b", "g"),
                   help="the gradient a --claim states: dL/dx, dL/dh or dL/db; with --order 2: gI (x), gW (h) or "
                        "ggO (g) of the double backward")
    v.add_argument("--order", type=int, choices=(1, 2), default=1,
                   help="2: --claim states a result of the double backward (PyTorch's _convolution_double_backward)"
                        ", reading g, x, h and the directions ggI, ggW, ggb (default: 1)")
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
