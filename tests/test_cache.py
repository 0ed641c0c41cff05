"""The on-disk cache of structure-level derivations: where it lives, that it is used only after its hash
checks, and that it can be turned off or deleted."""

from __future__ import annotations

import json
import subprocess
import sys

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
