"""``derive(spec)``: the closed forms of the derivation stage, with their proof for every size attached.

The derivation stage derives (every rewrite step checked as it is taken); this stage proves. The concrete
forms are proved by Presburger arithmetic (:mod:`.presburger`) for every batch size, channel count and
input size at the spec's kernel size, padding, groups, stride and dilation, and the structure's general
forms, of which they are an instance, for every kernel size, padding and group count too. That proof reads each operator
as an affine relation; the NumPy/exact evaluator, a second reading of the same operators, is checked too,
by the exact monomial comparison (:mod:`.exact`) at three small sizes (one output position per axis, two
with the stride's largest remainder, three). Both are cached, so a repeated ``derive`` of the same
configuration costs milliseconds.

>>> from symconv import ConvSpec
>>> d = derive(ConvSpec(2, 2, 3, padding=1))
>>> print(d.grad_input)
correlate(pad(g, 1), rot180(swap_io(h)))
>>> d.proof.statement
'for every N, C_in, C_out, H, W at K = 3, P = 1, stride 1, dilation 1'
>>> d.general_proof.statement
'for every N, C_in, C_out, H, W, K, P_low, P_high at stride 1, dilation 1'
"""

from __future__ import annotations

import functools
from dataclasses import replace

from typing import Any

from ..derivation.forms import Derivation, UnaryDerivation, derive_forms, derive_unary_forms, renamed
from ..derivation.second import SecondOrder
from ..derivation.spec import ConvSpec
from ..errors import DerivationError, InputError, SymconvError
from . import presburger
from .checks import work_estimate
from .exact import exact, few_channels, small_input_size


def prove_forms(d: Derivation) -> presburger.Proof:
    """The derivation's concrete closed forms proved for every size at its configuration."""
    spec = d.spec
    grouped = spec.groups > 1
    fixed = presburger.Fixed(tuple(spec.kernel_size), tuple(spec.pads),  # type: ignore[arg-type]
                             spec.groups if grouped else None,
                             tuple(spec.output_padding) if spec.transposed else None)  # type: ignore[arg-type]
    return presburger.prove(spec.ndim, grouped, spec.bias, tuple(spec.stride),  # type: ignore[arg-type]
                            tuple(spec.dilation), d.closed_forms, fixed,  # type: ignore[arg-type]
                            transposed=spec.transposed)


def derive(spec: ConvSpec, prove: bool = True) -> Derivation:
    """The closed forms of ∂L/∂x, ∂L/∂h (and ∂L/∂b) for ``spec``, with their proof for every size.

    A form that fails its proof is never returned: :class:`DerivationError` names the counterexample.
    """
    found = derive_forms(spec)
    if not prove:
        return found
    proof = prove_forms(found)
    if not proof.ok:
        raise DerivationError(f"the closed forms of {spec.describe()} failed their proof for every size: "
                              f"{proof.counterexample or proof}")
    general = prove_general(found)
    if not general.ok:
        raise DerivationError(f"the general closed forms of {spec.describe()} failed their proof for every "
                              f"size: {general.counterexample or general}")
    failed = [detail for _, ok, _, detail in evaluator_checks(spec) if not ok]
    if failed:
        raise DerivationError(f"the closed forms of {spec.describe()} failed their exact proof: {failed[0]}")
    return replace(found, proof=proof, general_proof=general)


def prove_general(d: Derivation) -> presburger.Proof:
    """The structure's general forms proved for every size, kernel size, padding (low and high) and group
    count at the derivation's stride and dilation. The concrete forms are these with the sizes put in
    (:func:`symconv.derivation.forms.derive_forms`), so this proof covers every configuration of the
    structure at that stride and dilation; :func:`prove_forms` proves the concrete forms themselves."""
    spec = d.spec
    return presburger.prove(spec.ndim, spec.groups > 1, spec.bias, tuple(spec.stride),  # type: ignore[arg-type]
                            tuple(spec.dilation), transposed=spec.transposed)  # type: ignore[arg-type]


@functools.lru_cache(maxsize=1024)
def evaluator_checks(spec: ConvSpec) -> tuple[tuple[tuple[int, ...], bool, int, str], ...]:
    """The evaluator's reading of the forms checked exactly at three small sizes (one output position per
    axis, two with the stride's largest remainder, three), with :func:`few_channels`: (input size, ok,
    monomials compared, detail) each. The derive report shows the last as its second opinion."""
    small = few_channels(spec)
    forms = derive_forms(small)
    sizes = [small_input_size(small, outputs, remainder)
             for outputs, remainder in ((1, 0), (2, max(spec.stride) - 1), (3, 0))]  # type: ignore[arg-type]
    for size in sizes:                     # refused from the sizes alone, before any work (stated limit)
        work, limit, what = work_estimate(small, size, 1, "exact")
        if work > limit:
            raise InputError(f"{spec.describe()}: the exact check at its smallest input "
                             f"{'x'.join(map(str, size))} needs {work:,} {what}, over the limit of {limit:,}; "
                             f"choose a smaller kernel size or dilation")
    return tuple((size, *exact(forms, size)) for size in sizes)


def unary_fixed(spec: Any) -> tuple[Any, ...]:
    """A slicing's (start, stop) or a padding's (low, high) per axis, as the prover fixes them."""
    if spec.op == "pad":
        return tuple(spec.pads)
    return tuple(zip(spec.start, spec.stop))


def derive_unary(spec: Any, prove: bool = True) -> UnaryDerivation:
    """∂L/∂x of a slicing or a constant padding (:func:`symconv.derivation.forms.derive_unary_forms`), proved
    for every N, C and input size at the spec's parameters, and its general form for every start, output
    length (slicing, at the spec's step) or padding.

    >>> from symconv.derivation.spec import SliceSpec
    >>> d = derive_unary(SliceSpec(1, start=1, step=2))
    >>> print(d.grad_input, "|", d.proof.statement)
    pad(dilate(g, 2), (1, H mod 2)) | for every N, C and every H ≥ 2 at start = 1, stop = end, step = 2
    """
    found = derive_unary_forms(spec)
    if not prove:
        return found
    step = tuple(spec.step) if spec.op == "slice" else None
    proof = presburger.prove_unary(spec.op, spec.ndim, step, found.closed_forms, unary_fixed(spec))
    general = presburger.prove_unary(spec.op, spec.ndim, step)
    for p in (proof, general):
        if not p.ok:
            raise DerivationError(f"the closed form of {spec.describe()} failed its proof for every size: "
                                  f"{p.counterexample or p.results[0].detail}")
    return replace(found, proof=proof, general_proof=general)


def prove_second_order(d: SecondOrder) -> dict[str, presburger.Proof]:
    """The double backward's forms proved for every N, C_in, C_out and input size at the configuration: each
    read back as the first-order form it is an instance of (ggW read as h, ggI as x; each term of ggO as
    the forward pass, ∂L/∂g = y), which is what L's linearity in x and h makes them (see
    :class:`symconv.derivation.second.SecondOrder`)."""
    spec = d.spec
    grouped = spec.groups > 1
    fixed = presburger.Fixed(tuple(spec.kernel_size), tuple(spec.pads),  # type: ignore[arg-type]
                             spec.groups if grouped else None)
    back = {"ggW": "h", "ggI": "x"}

    def one(target: str, form: Any) -> presburger.Proof:
        return presburger.prove(spec.ndim, grouped, False, tuple(spec.stride),  # type: ignore[arg-type]
                                tuple(spec.dilation), {target: form}, fixed, [target])  # type: ignore[arg-type]
    out = {"grad_input": one("grad_input", renamed(d.grad_input, back)),
           "grad_weight": one("grad_weight", renamed(d.grad_weight, back))}
    for k, term in enumerate(d.grad_output):
        out[f"grad_output[{k}]"] = one("grad_output", renamed(term, back))
    return out


def derive_pool(spec: Any, prove: bool = True) -> Any:
    """∂L/∂x of average pooling (:func:`symconv.derivation.pooling.derive_pool_forms`), proved for every N, C
    and input size at the spec's parameters, and its general form for every P ≤ K/2 at its kernel, stride
    and flags (:mod:`.presburger_pool`).

    >>> from symconv.derivation.spec import AvgPoolSpec
    >>> d = derive_pool(AvgPoolSpec(1, 3, stride=2, padding=1))
    >>> print(d.grad_input, "|", d.proof.statement)
    sum_windows(pad(dilate(divide(g, 3), 2), (1, ((H + 1) mod 2) + 1)), 3) | for every N, C, H (a non-empty output) at kernel 3, stride 2, padding 1, padding counted
    """
    from ..derivation.pooling import derive_pool_forms
    from .presburger_pool import PoolFamily, prove_pool, prove_spec
    found = derive_pool_forms(spec)
    if not prove:
        return found
    proof = prove_spec(spec, found.grad_input)
    general = prove_pool(PoolFamily.of(spec, fixed=False))
    for p in (proof, general):
        if not p.ok:
            raise DerivationError(f"the closed form of {spec.describe()} failed its proof for every size: "
                                  f"{p.counterexample or p.results[0].detail}")
    return replace(found, proof=proof, general_proof=general)


def check_second_order(d: SecondOrder, seed: int = 22) -> tuple[tuple[int, ...], bool, int, str]:
    """A second opinion on the double backward at one small input, exact (Python integers): the engine's
    forms against the first-order closed forms read with ggW for h and ggI for x, and ggO against the forward
    passes of (ggI, h) and (x, ggW) (plus ggb) — L's linearity, an identity the engine never used.

    Returns (input size, whether they agree, entries compared, where they differ)."""
    import numpy as np
    from ..derivation import ops
    from .exact import small_input_size
    spec = d.spec
    size = tuple(small_input_size(spec, 3))
    rng = np.random.default_rng(seed)
    ints = lambda shape: np.vectorize(int, otypes=[object])(rng.integers(-5, 6, shape))  # noqa: E731
    x = ints((1, spec.in_channels) + size)
    h = ints(spec.weight_channels + tuple(spec.kernel_size))  # type: ignore[operator]
    g = ints((1, spec.out_channels) + spec.output_size(size))
    ggI, ggW = ints(x.shape), ints(h.shape)
    ggb = ints((spec.out_channels,)) if spec.bias else None
    got = d.evaluate(x, h, g, ggI, ggW, ggb)
    first = d.first
    sizes = first.sizes(x, g)
    forward = ops.Correlate(ops.pad(ops.Tensor("x"), spec.pads), ops.Tensor("h"), tuple(spec.stride),  # type: ignore
                            tuple(spec.dilation), spec.groups)  # type: ignore[arg-type]
    want = {"grad_input": first.grad_input.evaluate({"g": g, "h": ggW}, sizes),
            "grad_weight": first.grad_weight.evaluate({"x": ggI, "g": g}, sizes),
            "grad_output": forward.evaluate({"x": ggI, "h": h}, sizes) + forward.evaluate({"x": x, "h": ggW}, sizes)}
    if ggb is not None:
        want["grad_output"] = want["grad_output"] + ggb.reshape((1, -1) + (1,) * spec.ndim)
    checked = 0
    for key, value in want.items():
        if got[key].shape != value.shape:
            return size, False, checked, f"{key}: shape {got[key].shape}, expected {value.shape}"
        differ = np.argwhere(np.asarray(got[key] != value))
        if len(differ):
            at = tuple(int(i) for i in differ[0])
            return size, False, checked, f"{key}{list(at)}: {got[key][at]} != {value[at]}"
        checked += value.size
    return size, True, checked, ""


def unary_check(spec: Any, seed: int = 22, derivation: Any = None) -> tuple[tuple[int, ...], bool, int, str]:
    """A second opinion on ∂L/∂x of an operator of one input (slicing, constant padding, unfold, fold, average
    pooling) at one small input, exact (Python integers and fractions): the closed form's evaluator against
    the derivative of the definition, L = Σ g·y with y made from each unit input e_u by an independent forward
    pass (NumPy's own slicing or padding; plain loops for unfold, fold and the pooling windows), as L is
    linear in x, ∂L/∂x[u] = L(e_u). ``derivation`` is the derived object (derived here when not given).

    Returns (input size, whether they agree, entries compared, where they differ).

    >>> from symconv.derivation.spec import SliceSpec, AvgPoolSpec
    >>> unary_check(SliceSpec(1, start=1, step=2))
    ((7,), True, 14, '')
    >>> unary_check(AvgPoolSpec(1, 3, stride=2, padding=1, count_include_pad=False))
    ((6,), True, 12, '')
    """
    import numpy as np
    size, make = _forward(spec)
    rng = np.random.default_rng(seed)
    x_shape = (1, 2) + size
    y_shape = make(np.zeros(x_shape, dtype=object)).shape
    g = np.vectorize(int, otypes=[object])(rng.integers(-5, 6, y_shape))
    x = np.zeros(x_shape, dtype=object)
    if derivation is None:
        derivation = _derived(spec)
    try:
        got = derivation.evaluate(x, g)["grad_input"]
    except (ValueError, IndexError, SymconvError) as exc:      # a wrong form may not even evaluate here
        return size, False, 0, f"the closed form cannot be evaluated: {exc}"
    want = np.zeros(x_shape, dtype=object)
    for flat in range(want.size):
        unit = np.zeros(want.size, dtype=object)
        unit[flat] = 1
        want.reshape(-1)[flat] = (g * make(unit.reshape(x_shape))).sum()
    if got.shape != want.shape:
        return size, False, 0, f"shape {got.shape}, the derivative's {want.shape}"
    differ = np.argwhere(np.asarray(got != want))
    if len(differ):
        at = tuple(int(i) for i in differ[0])
        return size, False, want.size, f"entry {list(at)}: {got[at]} != {want[at]}"
    return size, True, want.size, ""


def _derived(spec: Any) -> Any:
    if spec.op in ("unfold", "fold"):
        from ..derivation.unfold import derive_fold_forms
        return derive_fold_forms(spec)
    if spec.op == "avg_pool":
        from ..derivation.pooling import derive_pool_forms
        return derive_pool_forms(spec)
    return derive_unary_forms(spec)


def _forward(spec: Any) -> tuple[tuple[int, ...], Any]:
    """A small input size and the operator's forward pass on it, written independently of the engine."""
    import numpy as np
    if spec.op == "slice":
        # three outputs and one entry past the last read (the stop, when given, must fit)
        size = tuple(max(a + 2 * s + 2, b or 0) for a, b, s in zip(spec.start, spec.stop, spec.step))
        window = tuple(slice(a, b, s) for a, b, s in zip(spec.start, spec.stop, spec.step))
        return size, lambda v: v[(slice(None), slice(None)) + window]
    if spec.op == "pad":
        return (3,) * spec.ndim, lambda v: np.pad(v, ((0, 0), (0, 0)) + tuple(spec.pads))
    if spec.op == "unfold":
        from .presburger_fold import unfold_loop
        # two blocks on each axis (one more stride than the dilated kernel needs, less the padding)
        size = tuple(max(1, d * (k - 1) + 1 - 2 * p + s) for k, s, d, p in
                     zip(spec.kernel_size, spec.stride, spec.dilation, spec.padding))
        return size, lambda v: unfold_loop(v, tuple(spec.kernel_size), tuple(spec.stride), tuple(spec.dilation),
                                           tuple(spec.padding))
    if spec.op == "fold":
        from .presburger_fold import fold_loop
        size = tuple(spec.kernel_size) + tuple(spec.blocks)
        return size, lambda v: fold_loop(v, tuple(spec.output_size_), tuple(spec.stride), tuple(spec.dilation),
                                         tuple(spec.padding))
    # average pooling: three windows and one more entry, each window's sum over the entries inside the input
    size = tuple(2 * s + k - 2 * p + 1 for k, s, p in zip(spec.kernel_size, spec.stride, spec.padding))
    return size, lambda v: _avg_pool_loop(v, spec)


def _avg_pool_loop(x: Any, spec: Any) -> Any:
    """PyTorch's average pooling by plain loops (its CPU kernel's reading): window i starts at S·i − P and
    ends at min(S·i − P + K, H + P); the divisor is divisor_override, else that window's length
    (count_include_pad) or the number of its entries inside x."""
    import itertools
    import numpy as np
    import sympy as sp
    size = x.shape[2:]
    outs = spec.output_size(tuple(size))
    y = np.zeros(x.shape[:2] + outs, dtype=object)
    for i in itertools.product(*map(range, outs)):
        lo = [s * ii - p for s, ii, p in zip(spec.stride, i, spec.padding)]
        hi = [min(a + k, n + p) for a, k, n, p in zip(lo, spec.kernel_size, size, spec.padding)]
        inside = [range(max(a, 0), min(b, n)) for a, b, n in zip(lo, hi, size)]
        if spec.divisor_override is not None:
            divisor = spec.divisor_override
        elif spec.count_include_pad:
            divisor = int(np.prod([b - a for a, b in zip(lo, hi)]))
        else:
            divisor = int(np.prod([len(r) for r in inside]))
        total = sum(x[(slice(None), slice(None)) + j] for j in itertools.product(*inside))
        y[(slice(None), slice(None)) + i] = total * sp.Rational(1, divisor)
    return y
