"""``symconv verify --sweep``: the exact proof over a grid of configurations, in parallel.

The grid: ndim 1-3, kernel 1-5, stride 1-3, padding 0-3 and valid/same/full, dilation 1-3, one or two
groups, with and without bias, at two small input sizes per configuration (the smallest giving two outputs
per axis, and one giving three outputs plus the largest remainder the stride allows; both at least the
dilated kernel's span, so that every kernel entry meets the data).
"""

from __future__ import annotations

import functools
import itertools
import multiprocessing
import os
import sys
import time
from dataclasses import dataclass
from typing import Any, Callable, Iterator

from ..derivation import threads
from ..derivation.forms import derive_forms, derive_general
from ..errors import InputError, SpecError
from .mutants import mutate_derivation
from .exact import small_input_size
from ..derivation.spec import ConvSpec
from .checks import verify


@dataclass(frozen=True)
class Case:
    spec: ConvSpec
    input_size: tuple[int, ...]


def grid(ndims: tuple[int, ...] = (1, 2, 3), kernels: tuple[int, ...] = (1, 2, 3, 4, 5),
         strides: tuple[int, ...] = (1, 2, 3), paddings: tuple[Any, ...] = (0, 1, 2, 3, "valid", "same", "full"),
         dilations: tuple[int, ...] = (1, 2, 3), groups: tuple[int, ...] = (1, 2),
         biases: tuple[bool, ...] = (False, True)) -> Iterator[Case]:
    for nd, k, s, p, d, g, b in itertools.product(ndims, kernels, strides, paddings, dilations, groups, biases):
        if p == "same" and s != 1:
            continue
        spec = ConvSpec(2 * g, 3 * g, k, stride=s, padding=p, dilation=d, groups=g, ndim=nd, bias=b)
        # At least the kernel's span per axis, so that every kernel entry meets the data somewhere.
        span = tuple(d * (k - 1) + 1 for _ in range(nd))
        sizes = {tuple(map(max, small_input_size(spec, 2), span)),
                 tuple(map(max, small_input_size(spec, 3, s - 1), span))}
        for size in sorted(sizes):
            try:
                spec.output_size(size)
            except SpecError:
                continue
            yield Case(spec, size)


@dataclass(frozen=True)
class Outcome:
    case: Case
    ok: bool
    checked: int
    seconds: float
    detail: str


_MUTANT: str | None = None


@functools.lru_cache(maxsize=64)
def _closed_forms(spec: ConvSpec) -> Any:
    # A configuration comes at two sizes, one after the other: derive its closed forms once.
    return derive_forms(spec)


def run_case(case: Case) -> Outcome:
    d = _closed_forms(case.spec)
    if _MUTANT:
        try:
            d = mutate_derivation(d, _MUTANT)
        except SpecError:       # the mutant leaves this configuration's closed forms as they are
            return Outcome(case, True, 0, 0.0, f"{_MUTANT} does not apply to this configuration")
    v = verify(case.spec, case.input_size, derivation=d)
    return Outcome(case, v.ok, v.checked, v.seconds, v.detail)


def _init(mutant: str | None, worker: bool = False) -> None:
    global _MUTANT
    _MUTANT = mutant
    if worker:                          # the workers use the cores: one BLAS thread each
        threads.worker()


def sweep(cases: list[Case], jobs: int | None = None, mutant: str | None = None,
          progress: Callable[[int, int], None] | None = None) -> list[Outcome]:
    """Prove every case exactly; the symbolic derivations are made once, before the workers fork."""
    for nd, grouped, bias in {(c.spec.ndim, c.spec.groups > 1, c.spec.bias) for c in cases}:
        derive_general(nd, grouped, bias)
    if jobs is not None and jobs < 1:
        raise InputError(f"jobs must be a positive integer, got {jobs}")
    jobs = jobs or os.cpu_count() or 1
    out: list[Outcome] = []
    if jobs == 1:
        _init(mutant)
        for c in cases:
            out.append(run_case(c))
            if progress:
                progress(len(out), len(cases))
        _init(None)
        return out
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(jobs, initializer=_init, initargs=(mutant, True)) as pool:
        for outcome in pool.imap(run_case, cases, chunksize=16):
            out.append(outcome)
            if progress:
                progress(len(out), len(cases))
    return out


def progress_bar(done: int, total: int, started: list[float] = []) -> None:  # noqa: B006 (start time)
    if not started:
        started.append(time.perf_counter())
    if done % 50 and done != total:
        return
    width = 30
    filled = width * done // total
    elapsed = time.perf_counter() - started[0]
    sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} {elapsed:5.1f}s")
    if done == total:
        sys.stderr.write("\n")
        started.clear()
    sys.stderr.flush()
