"""The on-disk cache of structure-level derivations: where it lives, that it is used only after its hash
checks, and that it can be turned off or deleted."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from symconv.derivation import forms


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.delenv("SYMCONV_CACHE", raising=False)
    return tmp_path / "symconv"


def general():
    return forms.derive_general(1, False, False)


def test_the_folder_honours_xdg_and_can_be_turned_off(cache, monkeypatch):
    assert forms.cache_folder() == cache
    monkeypatch.setenv("SYMCONV_CACHE", "0")
    assert forms.cache_folder() is None
    forms._store("k", general())
    assert not cache.exists()


def test_a_stored_derivation_reads_back_equal(cache):
    forms._store("k", general())
    back = forms._load("k")
    assert back is not None and back.closed == general().closed and back.steps == general().steps


@pytest.mark.parametrize("change", ["payload", "source", "version", "header"])
def test_a_file_that_fails_its_check_is_not_trusted(cache, change):
    forms._store("k", general())
    path = cache / "k.pickle"
    head, _, payload = path.read_bytes().partition(b"\n")
    header = json.loads(head)
    if change == "payload":
        payload = payload[:-1] + bytes([payload[-1] ^ 1])
    elif change == "header":
        head = b"not json"
    else:
        header[change] = "0" * 8
    path.write_bytes((head if change == "header" else json.dumps(header).encode()) + b"\n" + payload)
    assert forms._load("k") is None


def test_a_missing_or_deleted_cache_derives_again(cache):
    assert forms._load("absent") is None
    code = ("from symconv.derivation.forms import derive_general; "
            "print(derive_general(1, False, False).closed['grad_input'])")
    first = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert sorted(p.name for p in cache.iterdir()) == ["general-1d-plain-nobias-0.pickle"]
    again = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    for p in cache.iterdir():
        p.unlink()
    cache.rmdir()
    fresh = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert first.stdout == again.stdout == fresh.stdout != ""


def test_the_homework_layer_rules_are_stored_and_read_back_equal(cache):
    from symconv.derivation import store
    from symconv.homework import solution
    sources = (Path(solution.__file__).resolve(),)
    fresh = solution._layer_definitions()
    store.save("homework-layers", fresh, sources)
    back = store.load("homework-layers", sources, dict)
    assert back is not None and set(back) == set(fresh)
    assert all(back[k] == fresh[k] for k in ("fc_vjp_r", "fc_vjp_W", "softmax_vjp", "dloss", "drelu", "args"))
    assert store.load("homework-layers", sources, list) is None                 # another type: never returned
    assert store.load("homework-layers", sources + (Path(store.__file__),), dict) is None   # other sources


def test_a_cold_start_does_not_load_numpys_optional_submodules(cache):
    # lambdify's "numpy" module runs `from numpy import *` (testing, f2py, ma ...: ~50 ms); symconv never asks it.
    code = ("import sys; from symconv.homework import load, solve; from symconv.report.homework import render; "
            "render(solve(load())); print(sorted(m for m in ('numpy.f2py', 'numpy.testing', 'numpy.ma') "
            "if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_the_commands_proofs_are_stored_and_read_back_equal(cache):
    from symconv.derivation.spec import ConvSpec
    from symconv.proof import attach, stored
    spec = ConvSpec(2, 2, 3, padding=1, ndim=1)
    stored.derive.cache_clear()
    first = stored.derive(spec)
    names = sorted(p.name.split("-")[0] for p in cache.iterdir() if p.name.endswith(".pickle"))
    assert "derive" in names
    code = ("from symconv.derivation.spec import ConvSpec; from symconv.proof import stored; "
            "d = stored.derive(ConvSpec(2, 2, 3, padding=1, ndim=1)); print(d.proof.ok, d.proof.statement)")
    again = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert again.stdout.strip() == f"True {first.proof.statement}"
    fresh = attach.derive(spec)
    assert first.closed_forms == fresh.closed_forms
    assert (first.proof.results, first.proof.statement) == (fresh.proof.results, fresh.proof.statement)
    assert stored.evaluator_checks(spec) == attach.evaluator_checks(spec)


def test_a_refused_derivation_is_never_stored(cache, monkeypatch):
    import dataclasses
    from symconv import DerivationError
    from symconv.derivation import forms
    from symconv.derivation.spec import ConvSpec
    from symconv.proof import attach, mutants, stored
    real = forms.derive_forms

    def wrong(spec):
        d = real(spec)
        return dataclasses.replace(d, grad_input=mutants.mutate(d.grad_input, "no_rotation"))
    monkeypatch.setattr(attach, "derive_forms", wrong)
    stored.derive.cache_clear()
    spec = ConvSpec(2, 2, 3, padding=1, ndim=1, stride=2)
    for _ in range(2):
        with pytest.raises(DerivationError, match=r"failed their proof for every size"):
            stored.derive(spec)
    assert not any(p.name.startswith("derive-") for p in cache.glob("*.pickle"))
    stored.derive.cache_clear()
