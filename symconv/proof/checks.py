"""``verify(spec, input_size)``: prove or test the closed forms at any size.

Methods:

- ``"exact"``: every entry of ∂L/∂x, ∂L/∂h, ∂L/∂b proved identical, as a polynomial in the entries of x, h,
  g, to the derivative of the definition. L is trilinear, so a derivative is a set of monomials: the
  definition's are enumerated from its index expression, the closed form's from its operators evaluated on
  entry *numbers* (pad, dilate, rot180 and swap_io only move entries, so each result entry names its source)
  and the correlation's windows. The two sorted monomial lists must be equal. Work is done in chunks, so
  memory stays bounded.
- ``"identity"``: ⟨g, y⟩ = ⟨∂L/∂x, x⟩ = ⟨∂L/∂h, h⟩ (= ⟨∂L/∂b, b⟩ + ...) on random integers, in float64 where
  every partial sum is an exactly representable integer, repeated; a wrong closed form passes one trial with
  probability at most 3/(2R+1) (Schwartz–Zippel: a nonzero polynomial of degree 3).
- ``"finite-difference"``: float64 central differences, small sizes.
- ``"torch"``: entrywise against PyTorch autograd (PyTorch must be installed).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..derivation import threads
from ..derivation.forms import Derivation, derive_forms
from ..derivation.numeric import conv, finite_difference_grads
from ..derivation.spec import ConvSpec
from ..errors import InputError, UnsupportedError
from .exact import exact

METHODS = ("exact", "identity", "finite-difference", "torch")


@dataclass(frozen=True)
class Verification:
    ok: bool
    method: str
    checked: int
    seconds: float
    detail: str


def verify(spec: ConvSpec, input_size: tuple[int, ...], batch: int = 1, method: str = "exact",
           derivation: Derivation | None = None, trials: int = 3, seed: int = 0) -> Verification:
    """Check the closed forms of ``spec`` at one size by ``method``."""
    if method not in METHODS:
        raise InputError(f"method must be one of {', '.join(METHODS)}, got {method!r}")
    input_size = tuple(input_size)
    spec.output_size(input_size)  # SpecError when the kernel does not fit
    if batch < 1:
        raise InputError(f"batch must be a positive integer, got {batch}")
    check_work(spec, input_size, batch, method)
    d = derivation or derive_forms(spec)
    start = time.perf_counter()
    run = {"exact": exact, "identity": _identity, "finite-difference": _finite_difference,
           "torch": _torch}[method]
    try:
        ok, checked, detail = run(d, input_size, batch, trials=trials, seed=seed)
    except (ValueError, IndexError) as exc:   # a closed form whose shapes do not even fit
        ok, checked, detail = False, 0, f"the closed forms cannot be evaluated at this size: {exc}"
    return Verification(ok, method, checked, time.perf_counter() - start, detail)


# Stated limits (README, "Limits"), checked from the sizes alone, before anything is allocated.
MAX_MONOMIALS = 40_000_000        # exact: chunked, about 0.5 GiB at the peak at any size; bounded by time
MAX_ENTRIES = 50_000_000          # identity, torch: entries of x or of y (400 MB each in float64)
MAX_FD_ENTRIES = 20_000           # finite differences: two forward passes per entry of x and h


def work_estimate(spec: ConvSpec, input_size: tuple[int, ...], batch: int, method: str) -> tuple[int, int, str]:
    """(the work, its stated limit, what is counted) of checking ``spec`` at this size by ``method``."""
    out = spec.output_size(input_size)
    taps = int(np.prod(spec.kernel_size))  # type: ignore[arg-type]
    x = batch * spec.in_channels * int(np.prod(input_size))
    y = batch * spec.out_channels * int(np.prod(out))
    h = spec.out_channels * spec.in_channels // spec.groups * taps
    if method == "exact":
        # A convolution's output entry meets C_in/G channels of taps; a transposed one's input entry meets
        # C_out/G channels of taps (the same monomials, counted from the side that gathers them).
        work = (x * spec.out_channels if spec.transposed else y * spec.in_channels) // spec.groups * taps
        work, limit, what = work, MAX_MONOMIALS, "monomials per gradient"
    elif method == "finite-difference":
        work, limit, what = x + h, MAX_FD_ENTRIES, "entries of x and h (two forward passes each)"
    else:
        work, limit, what = max(x, y), MAX_ENTRIES, "entries in x or y"
    return work, limit, what


def check_work(spec: ConvSpec, input_size: tuple[int, ...], batch: int, method: str) -> None:
    """Refuse, from the sizes alone, work over the stated limits: :class:`InputError` naming the estimate."""
    work, limit, what = work_estimate(spec, input_size, batch, method)
    if work > limit:
        raise InputError(f"--method {method}: this size needs {work:,} {what}, over the limit of {limit:,}; "
                         f"choose a smaller --input-size, --batch or channel count")


# ---------------------------------------------------------------------------------------------- identity

def _identity(d: Derivation, input_size: tuple[int, ...], batch: int, trials: int = 3,
              seed: int = 0, **_: Any) -> tuple[bool, int, str]:
    """⟨g, y⟩ = ⟨∂L/∂x, x⟩ = ⟨∂L/∂h, h⟩ on random integers in [-R, R], exactly, at BLAS speed.

    Exactness: every product and partial sum (inside the im2col matrix products of the forward pass and
    the closed forms, and in the inner products, in any order of summation) is an integer of magnitude at
    most terms · (window + 1) · R³; R is chosen so that this is below 2^53, where float64 represents every
    integer and adds them without rounding. So the equalities are tested exactly, and a wrong closed form
    (a nonzero polynomial of degree 3) passes one trial with probability at most 3/(2R+1) (Schwartz–Zippel).
    """
    spec = d.spec
    out = spec.output_size(input_size)
    terms = int(np.prod(out)) * spec.out_channels * batch
    window = spec.in_channels // spec.groups * int(np.prod(spec.kernel_size))
    # Every partial sum is at most terms * window * R^3 (plus the bias term); below 2^53 it is exact in
    # float64 and BLAS may be used.
    R = int(((2 ** 53) / (terms * (window + 1))) ** (1 / 3))
    R = max(1, min(R, 1000))
    rng = np.random.default_rng(seed)
    with threads.blas():        # the inner products (BLAS dot) too, not only the convolutions' products
        return _identity_trials(d, input_size, batch, trials, rng, R, out)


def _identity_trials(d: Derivation, input_size: tuple[int, ...], batch: int, trials: int, rng: Any, R: int,
                     out: tuple[int, ...]) -> tuple[bool, int, str]:
    """:func:`_identity`'s trials, at magnitude ``R``."""
    spec = d.spec
    dtype = np.float64
    checked = 0
    for _ in range(trials):
        x = rng.integers(-R, R + 1, (batch, spec.in_channels) + input_size).astype(dtype)
        h = rng.integers(-R, R + 1, spec.weight_channels + tuple(spec.kernel_size)).astype(dtype)  # type: ignore
        g = rng.integers(-R, R + 1, (batch, spec.out_channels) + out).astype(dtype)
        y = conv(x, h, spec)
        grads = d.evaluate(x, h, g)
        lhs = float(np.vdot(g, y))
        for name, other in (("grad_input", x), ("grad_weight", h)):
            rhs = float(np.vdot(grads[name], other))
            if lhs != rhs:
                return False, checked, (f"<g, conv(x, h)> = {lhs:.0f} but <{name}, "
                                        f"{'x' if name == 'grad_input' else 'h'}> = {rhs:.0f}")
            checked += 1
        if spec.bias:
            b = rng.integers(-R, R + 1, spec.out_channels).astype(dtype)
            lhs_b = float(np.vdot(g.sum(axis=(0,) + tuple(range(2, g.ndim))), b))
            rhs_b = float(np.vdot(grads["grad_bias"], b))
            if lhs_b != rhs_b:
                return False, checked, f"<g, b> = {lhs_b:.0f} but <grad_bias, b> = {rhs_b:.0f}"
            checked += 1
    p = 3 / (2 * R + 1)
    return True, checked, (f"{checked} adjoint identities held exactly on random integers in [-{R}, {R}]; "
                           f"a wrong closed form passes all {trials} trials with probability <= {p ** trials:.1e}")


# ------------------------------------------------------------------------------------- numeric oracles

def _arrays(d: Derivation, input_size: tuple[int, ...], batch: int, seed: int) -> tuple[np.ndarray, ...]:
    spec = d.spec
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((batch, spec.in_channels) + input_size)
    h = rng.standard_normal(spec.weight_channels + tuple(spec.kernel_size))  # type: ignore[operator]
    g = rng.standard_normal((batch, spec.out_channels) + spec.output_size(input_size))
    b = rng.standard_normal(spec.out_channels) if spec.bias else None
    return x, h, g, b


def _compare(ours: dict[str, np.ndarray], theirs: dict[str, np.ndarray], tol: float) -> tuple[bool, int, str]:
    checked = 0
    for name, want in theirs.items():
        got = ours[name]
        if got.shape != want.shape:
            return False, checked, f"{name} has shape {got.shape}, expected {want.shape}"
        err = np.abs(got - want)
        if err.size and err.max() > tol * (1 + np.abs(want).max()):
            idx = np.unravel_index(int(err.argmax()), err.shape)
            return False, checked, f"{name}{list(idx)}: closed form {got[idx]:.6g}, oracle {want[idx]:.6g}"
        checked += want.size
    return True, checked, f"{checked} entries within {tol:g} (relative) of the oracle"


def _finite_difference(d: Derivation, input_size: tuple[int, ...], batch: int, seed: int = 0,
                       **_: Any) -> tuple[bool, int, str]:
    x, h, g, b = _arrays(d, input_size, batch, seed)
    return _compare(d.evaluate(x, h, g), finite_difference_grads(d.spec, x, h, g, b), 1e-5)


def _torch(d: Derivation, input_size: tuple[int, ...], batch: int, seed: int = 0,
           **_: Any) -> tuple[bool, int, str]:
    try:
        import torch
    except ImportError:
        raise UnsupportedError("method 'torch' needs PyTorch: pip install torch") from None
    spec = d.spec
    x, h, g, b = _arrays(d, input_size, batch, seed)
    fn = {1: torch.nn.functional.conv1d, 2: torch.nn.functional.conv2d, 3: torch.nn.functional.conv3d}[spec.ndim]
    tx, th = (torch.tensor(v, requires_grad=True) for v in (x, h))
    tb = None if b is None else torch.tensor(b, requires_grad=True)
    if spec.transposed:
        fn = {1: torch.nn.functional.conv_transpose1d, 2: torch.nn.functional.conv_transpose2d,
              3: torch.nn.functional.conv_transpose3d}[spec.ndim]
        y = fn(tx, th, tb, stride=spec.stride, padding=spec.padding, output_padding=spec.output_padding,
               groups=spec.groups, dilation=spec.dilation)
    else:
        y = fn(tx, th, tb, stride=spec.stride, padding=torch_padding(spec), dilation=spec.dilation,
               groups=spec.groups)
    (y * torch.tensor(g)).sum().backward()
    theirs = {"grad_input": tx.grad.numpy(), "grad_weight": th.grad.numpy()}
    if tb is not None:
        theirs["grad_bias"] = tb.grad.numpy()
    return _compare(d.evaluate(x, h, g), theirs, 1e-9)


def torch_padding(spec: ConvSpec) -> Any:
    """The padding as the user asked for it, in PyTorch's own terms (never our resolved widths): an int or a
    tuple, ``'same'`` or ``'valid'``; ``'full'``, which PyTorch lacks, is its definition D(K-1) per axis."""
    if spec.padding == "full":
        return tuple(d * (k - 1) for k, d in zip(spec.kernel_size, spec.dilation))  # type: ignore[arg-type]
    return spec.padding
