"""symconv.verify: every method proves the closed forms and catches every mutant."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from symconv import ConvSpec, InputError
from symconv import derive
from symconv.proof.mutants import KINDS, mutate_derivation
from symconv.proof.sweep import grid, sweep
from symconv.proof.checks import verify

from conftest import needs_torch

SPECS = [
    (ConvSpec(2, 2, 3, padding=1), (5, 5)),
    (ConvSpec(2, 4, (3, 2), stride=(2, 3), padding=(1, 2), dilation=(2, 1), groups=2, bias=True), (8, 9)),
    (ConvSpec(2, 3, 3, stride=2, padding="full", ndim=1, bias=True), (7,)),
    (ConvSpec(2, 2, 2, stride=2, padding=1, ndim=3), (4, 5, 4)),
]
METHODS = ["exact", "identity", "finite-difference", pytest.param("torch", marks=needs_torch)]


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("spec,size", SPECS, ids=[s.describe() for s, _ in SPECS])
def test_every_method_accepts_the_closed_forms(spec, size, method):
    v = verify(spec, size, batch=2, method=method)
    assert v.ok, v.detail
    assert v.method == method and v.checked > 0 and v.seconds >= 0


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("kind", KINDS)
def test_every_method_catches_every_mutant(method, kind):
    spec, size = SPECS[1]   # has a rotation, a channel swap, padding and a stride dilation
    mutant = mutate_derivation(derive(spec, prove=False), kind)
    v = verify(spec, size, batch=2, method=method, derivation=mutant)
    assert not v.ok
    assert v.detail


def test_exact_failure_names_the_entries():
    spec, size = SPECS[0]
    v = verify(spec, size, derivation=mutate_derivation(derive(spec, prove=False), "no_rotation"))
    assert v.detail.startswith("grad_input: ")
    assert "missing from the closed form: x[0, " in v.detail


def test_identity_states_its_error_probability():
    v = verify(*SPECS[0], method="identity")
    assert "probability <= " in v.detail


def test_bad_method_and_batch():
    with pytest.raises(InputError, match=r"^method must be one of exact, identity"):
        verify(*SPECS[0], method="guess")
    with pytest.raises(InputError, match=r"^batch must be a positive integer, got 0$"):
        verify(*SPECS[0], batch=0)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(nd=st.integers(1, 3), k=st.integers(1, 4), s=st.integers(1, 3), d=st.integers(1, 3),
       p=st.sampled_from([0, 1, 2, 3, "valid", "full", "same"]), g=st.sampled_from([1, 2]), b=st.booleans(),
       extra=st.integers(0, 3), batch=st.integers(1, 2))
def test_property_exact_and_identity_hold(nd, k, s, d, p, g, b, extra, batch):
    if p == "same":
        s = 1
    spec = ConvSpec(g, 2 * g, k, stride=s, padding=p, dilation=d, groups=g, ndim=nd, bias=b)
    size = tuple(max(1, d * (k - 1) + 1 - lo - hi) + extra for lo, hi in spec.pads)
    assert verify(spec, size, batch=batch).ok
    assert verify(spec, size, batch=batch, method="identity").ok


def test_small_sweep_proves_everything_and_fails_a_mutant():
    cases = list(grid(ndims=(1, 2), kernels=(1, 3), strides=(1, 2), paddings=(0, "same", "full"),
                      dilations=(1, 2)))
    assert len(cases) > 50
    outcomes = sweep(cases, jobs=2)
    assert all(o.ok for o in outcomes), [o.detail for o in outcomes if not o.ok][:3]
    bad = sweep(cases, jobs=2, mutant="no_rotation")
    # Rotating a kernel of one entry changes nothing; every larger kernel must fail.
    assert all(o.ok == (o.case.spec.kernel_size[0] == 1) for o in bad)


@pytest.mark.parametrize("kind", ["extra_rotation", "missing_window", "divisor_off_by_one"])
def test_the_grid_sweep_refuses_another_operators_mutant(kind, capsys):
    """The grid sweep checks convolutions: another operator's mutant changes none of them, and the sweep
    reported every configuration proved (with 0 monomials). It is refused, pointing to --all-sizes."""
    from symconv.cli import CONV_MUTANTS, main
    assert CONV_MUTANTS == KINDS                 # the grid's own mutants are the convolution's
    assert main(["verify", "--sweep", "--mutant", kind, "--sweep-ndim", "1"]) == 2
    assert capsys.readouterr().err.strip() == (
        f"symconv: error: --mutant {kind}: it changes another operator's gradient, not the convolution's that "
        "--sweep checks; use --sweep --all-sizes")


def test_cli_sweep_json_and_mutant_exit_status(tmp_path):
    run = lambda *a: subprocess.run([sys.executable, "-m", "symconv", "verify", *a],  # noqa: E731
                                    capture_output=True, text=True, cwd=tmp_path, timeout=600)
    ok = run("--sweep", "--sweep-ndim", "1", "--json")
    assert ok.returncode == 0, ok.stderr
    doc = json.loads(ok.stdout)
    assert doc["total"] == doc["proved"] > 1000 and doc["failed"] == 0
    bad = run("--mutant", "pad_off_by_one")
    assert bad.returncode == 1 and bad.stdout.startswith("FAILED")
