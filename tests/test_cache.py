"""The on-disk cache of structure-level derivations: where it lives, that it is used only after its hash
checks, and that it can be turned off or deleted."""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import stat
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
    other = Path(store.__file__).with_name("spec.py")               # (the store's own source is always in)
    assert store.load("homework-layers", sources + (other,), dict) is None      # other sources


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


# ------------------------------------------------------------------------------------- planted files
# Pickle runs code: each test below plants a file whose header and hash are valid (so only the folder's and
# the file's checks stand in the way) and whose unpickling would create ``marker``. The planted pickle must
# never run, and the value read must still be the right one (or be computed again).

SOURCES = (Path(__file__).resolve(),)


class _Plant:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.mkdir, (str(self.marker),))


def _planted(marker: Path, padding: bytes = b"") -> bytes:
    """A cache file that passes every hash check; unpickling it creates ``marker``. ``padding`` after the
    pickle's STOP is ignored by pickle (a large file that still loads)."""
    from symconv.derivation import store
    payload = pickle.dumps(_Plant(marker)) + padding
    ver, source = store.fingerprint(SOURCES)
    header = {"version": ver, "source": source, "sha256": hashlib.sha256(payload).hexdigest()}
    return json.dumps(header).encode() + b"\n" + payload


@pytest.fixture
def planted(tmp_path, monkeypatch):
    """(cache folder, a planted file outside it, the marker its pickle would create)."""
    from symconv.derivation import store
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("SYMCONV_CACHE", raising=False)
    monkeypatch.setattr(store, "_WARNED", set(), raising=False)
    marker = tmp_path / "the-planted-pickle-ran"
    evil = tmp_path / "elsewhere" / "evil.pickle"
    evil.parent.mkdir()
    evil.write_bytes(_planted(marker))
    return tmp_path / "xdg" / "symconv", evil, marker


def test_a_symbolic_link_in_the_folder_is_not_followed(planted):
    from symconv.derivation import store
    folder, evil, marker = planted
    store.save("k", {"answer": 42}, SOURCES)
    (folder / "k.pickle").unlink()
    (folder / "k.pickle").symlink_to(evil)           # owner and mode of the target are this user's
    assert store.load("k", SOURCES, dict) is None
    assert not marker.exists()
    store.save("k", {"answer": 42}, SOURCES)         # the link is replaced, its target never written
    assert not (folder / "k.pickle").is_symlink() and evil.read_bytes() == _planted(marker)
    assert store.load("k", SOURCES, dict) == {"answer": 42}


def test_a_linked_folder_turns_the_cache_off_with_one_warning(planted, capsys):
    from symconv.derivation import store
    folder, evil, marker = planted
    folder.parent.mkdir()
    os.rename(evil, evil.parent / "k.pickle")
    folder.symlink_to(evil.parent, target_is_directory=True)     # ~/.cache/symconv -> someone's folder
    assert store.load("k", SOURCES, dict) is None
    store.save("k2", {"answer": 42}, SOURCES)
    assert store.load("k2", SOURCES, dict) is None
    assert not marker.exists() and not (evil.parent / "k2.pickle").exists()
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and err[0].startswith("symconv: warning: the cache ") and "symbolic link" in err[0]


@pytest.mark.parametrize("mode", [0o777, 0o720, 0o702])
def test_a_folder_others_can_write_to_turns_the_cache_off(planted, capsys, mode):
    from symconv.derivation import store
    folder, evil, marker = planted
    folder.mkdir(parents=True)
    os.rename(evil, folder / "k.pickle")
    folder.chmod(mode)
    assert store.load("k", SOURCES, dict) is None and not marker.exists()
    store.save("k", {"answer": 42}, SOURCES)          # nothing written there either
    assert (folder / "k.pickle").read_bytes() == _planted(marker)
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and "group or others can write to it" in err[0]


def test_a_folder_that_is_a_file_turns_the_cache_off(planted, capsys):
    from symconv.derivation import store
    folder, _, marker = planted
    folder.parent.mkdir()
    folder.write_text("not a folder")
    store.save("k", {"answer": 42}, SOURCES)
    assert store.load("k", SOURCES, dict) is None and folder.read_text() == "not a folder"
    assert "not a folder" in capsys.readouterr().err


def test_a_folder_of_another_user_turns_the_cache_off(planted, capsys, monkeypatch):
    # One user cannot chown: the folder and its file are made "another user's" by changing who we are.
    from symconv.derivation import store
    folder, evil, marker = planted
    folder.mkdir(parents=True, mode=0o700)
    os.rename(evil, folder / "k.pickle")
    me = os.getuid()
    monkeypatch.setattr(os, "getuid", lambda: me + 1)
    assert store.load("k", SOURCES, dict) is None and not marker.exists()
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and "belongs to another user" in err[0]


@pytest.mark.parametrize("mode", [0o666, 0o622, 0o660])
def test_a_file_others_can_write_to_is_not_read(planted, mode):
    from symconv.derivation import store
    folder, evil, marker = planted
    store.save("k", {"answer": 42}, SOURCES)
    os.replace(evil, folder / "k.pickle")
    (folder / "k.pickle").chmod(mode)
    assert store.load("k", SOURCES, dict) is None and not marker.exists()


def test_a_fifo_does_not_hang(planted, tmp_path):
    folder, _, marker = planted
    folder.mkdir(parents=True, mode=0o700)
    os.mkfifo(folder / "k.pickle")
    code = ("from pathlib import Path; from symconv.derivation import store; "
            f"print(store.load('k', (Path({str(Path(__file__).resolve())!r}),), dict))")
    # a guard against the old hang, not a measurement: the load returns at once or never
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          env=dict(os.environ))
    assert done.returncode == 0 and done.stdout.strip() == "None", done.stderr


def test_an_oversized_file_is_not_read(planted, monkeypatch):
    from symconv.derivation import store
    folder, _, marker = planted
    monkeypatch.setattr(store, "MAX_BYTES", 4096, raising=False)
    folder.mkdir(parents=True, mode=0o700)
    (folder / "k.pickle").write_bytes(_planted(marker, padding=b"\0" * 8192))   # valid hash, over the cap
    assert store.load("k", SOURCES, dict) is None and not marker.exists()
    store.save("big", {"a": "x" * 8192}, SOURCES)      # nor written: it could never be read back
    assert not (folder / "big.pickle").exists()
    store.save("k", {"answer": 42}, SOURCES)
    assert store.load("k", SOURCES, dict) == {"answer": 42}


def test_a_file_swapped_after_its_check_is_not_what_is_read(planted, monkeypatch):
    """The file is replaced by a link to the planted one right after its owner and mode were checked (the
    race an attacker wins by retrying); what is unpickled must be the file that was checked."""
    from symconv.derivation import store
    folder, evil, marker = planted
    store.save("k", {"answer": 42}, SOURCES)
    target = folder / "k.pickle"
    good = target.stat().st_ino
    swapped = []

    def swap_after(real):
        def check(*args, **kwargs):
            result = real(*args, **kwargs)
            if not swapped and stat.S_ISREG(result.st_mode) and result.st_ino == good:
                swapped.append(True)
                os.unlink(target)
                target.symlink_to(evil)
            return result
        return check
    monkeypatch.setattr(os, "stat", swap_after(os.stat))
    monkeypatch.setattr(os, "fstat", swap_after(os.fstat))
    assert store.load("k", SOURCES, dict) == {"answer": 42}
    assert swapped and not marker.exists()


def test_a_relative_xdg_cache_home_is_ignored(planted, tmp_path, monkeypatch):
    from symconv.derivation import store
    _, evil, marker = planted
    work = tmp_path / "work"
    (work / "rel" / "symconv").mkdir(parents=True, mode=0o700)
    os.rename(evil, work / "rel" / "symconv" / "k.pickle")
    monkeypatch.chdir(work)
    monkeypatch.setenv("XDG_CACHE_HOME", "rel")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert store.cache_folder() == tmp_path / "home" / ".cache" / "symconv"
    assert store.load("k", SOURCES, dict) is None and not marker.exists()
    store.save("k", {"answer": 42}, SOURCES)
    assert store.load("k", SOURCES, dict) == {"answer": 42}
    assert (tmp_path / "home" / ".cache" / "symconv" / "k.pickle").is_file()


def test_a_command_with_a_planted_cache_is_still_right(planted, tmp_path):
    """End to end: the derive command with its cache folder linked to a folder full of planted files (every
    name it would read) prints the right closed forms, one warning, and runs none of them."""
    folder, evil, marker = planted
    folder.parent.mkdir()
    folder.symlink_to(evil.parent, target_is_directory=True)
    clean = dict(os.environ, XDG_CACHE_HOME=str(tmp_path / "clean"))
    want = subprocess.run([sys.executable, "-m", "symconv", "derive", "--ndim", "1", "--json"],
                          capture_output=True, text=True, env=clean, cwd=tmp_path, check=True)
    names = [p.name for p in (tmp_path / "clean" / "symconv").glob("*.pickle")]
    assert names
    for name in names:
        (evil.parent / name).write_bytes(_planted_for(name, marker, tmp_path / "clean" / "symconv"))
    done = subprocess.run([sys.executable, "-m", "symconv", "derive", "--ndim", "1", "--json"],
                          capture_output=True, text=True, env=dict(os.environ), cwd=tmp_path)
    assert done.returncode == 0 and done.stdout == want.stdout
    assert not marker.exists()
    assert [line for line in done.stderr.splitlines() if line] == [
        line for line in done.stderr.splitlines() if line.startswith("symconv: warning: the cache ")]
    assert len(done.stderr.splitlines()) == 1


def _planted_for(name: str, marker: Path, genuine: Path) -> bytes:
    """The genuine file's header (so its version and source hash pass) over a payload that runs code."""
    head = json.loads((genuine / name).read_bytes().partition(b"\n")[0])
    payload = pickle.dumps(_Plant(marker))
    head["sha256"] = hashlib.sha256(payload).hexdigest()
    return json.dumps(head).encode() + b"\n" + payload
