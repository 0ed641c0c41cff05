"""An on-disk cache of pure results that are slow to compute: a structure's derivation (:mod:`.forms`), the
homework's layer rules (:mod:`symconv.homework.solution`), the commands' proofs (:mod:`symconv.proof.stored`).

One file per key in :func:`cache_folder`: a JSON header line ``{"version", "source", "sha256"}`` and the
pickled value. A file is used only when the package version and the SHA-256 of the source files that
computed the value (with SymPy's version: the value holds SymPy objects) equal this installation's, and the
payload's SHA-256 equals the header's; anything else (another version, edited code, a truncated or altered
file) is computed again and overwritten. Deleting the folder is always safe.

Pickle runs code, so nobody else may be able to put a file where symconv reads one:

- the folder must be a real folder (not a symbolic link), owned by this user and not writable by group or
  others; otherwise the cache is off for the run, with one warning on stderr. It is opened once, without
  following a link, and every file is opened relative to that descriptor, so renaming or replacing the
  folder (or its parents) afterwards changes nothing;
- a file is opened once with ``O_NOFOLLOW | O_NONBLOCK`` (a link is refused, a FIFO cannot block), checked
  with ``fstat`` on that descriptor (a regular file, owned by this user, not writable by others, at most
  :data:`MAX_BYTES`) and read from that same descriptor: what was checked is what is unpickled;
- a relative ``XDG_CACHE_HOME`` is ignored, as the XDG specification asks;
- a file is written under a fresh name (``O_EXCL | O_NOFOLLOW``, mode 0600) and renamed over the old one,
  which replaces a link rather than following it.

>>> import tempfile
>>> before = dict(os.environ)
>>> os.environ.update(XDG_CACHE_HOME=tempfile.mkdtemp(), SYMCONV_CACHE="1")
>>> sources = (Path(__file__),)
>>> load("example", sources, dict) is None
True
>>> save("example", {"answer": 42}, sources)
>>> load("example", sources, dict)
{'answer': 42}
>>> load("example", sources, list) is None          # a value of another type is never returned
True
>>> os.environ.clear(); os.environ.update(before)
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
import os
import pickle
import re
import secrets
import stat
import sys
from pathlib import Path
from typing import Any, Iterator, Sequence
from contextlib import contextmanager

from ..wording import w

PACKAGE = Path(__file__).resolve().parent.parent


# The largest file read back: the biggest value stored (a 3-D grouped structure's derivation, a
# configuration's proved derivation) is about 12 KB; the cap keeps a planted or runaway file from being read
# whole.
MAX_BYTES = 16 * 1024 * 1024
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_WARNED: set[str] = set()     # folders already warned about in this process (one warning per run)


def cache_folder() -> Path | None:
    """``$XDG_CACHE_HOME/symconv`` (default ``~/.cache/symconv``; a relative ``XDG_CACHE_HOME`` is ignored);
    None when ``SYMCONV_CACHE=0`` or when no absolute folder can be named."""
    if os.environ.get("SYMCONV_CACHE", "1") == "0":
        return None
    root = os.environ.get("XDG_CACHE_HOME", "")
    if not os.path.isabs(root):
        root = os.path.join(os.path.expanduser("~"), ".cache")
    return Path(root) / "symconv" if os.path.isabs(root) else None


def _warn(folder: Path, reason: str) -> None:
    if str(folder) not in _WARNED:
        _WARNED.add(str(folder))
        print(w("cache.off", folder=folder, reason=w("cache." + reason)), file=sys.stderr)


def _mine(st: os.stat_result) -> bool:
    """Owned by this user and writable by nobody else (always true where there are no user ids)."""
    return not hasattr(os, "getuid") or (st.st_uid == os.getuid() and not st.st_mode & 0o022)


@contextmanager
def _folder(create: bool) -> Iterator[int | None]:
    """A descriptor of the cache folder when it is safe to use (see above), else None (warned once when the
    folder exists but is unsafe). ``create`` makes it (mode 0700) when it is missing."""
    folder = cache_folder()
    fd = None
    if folder is not None:
        try:
            if create and not os.path.lexists(folder):
                folder.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
                os.mkdir(folder, 0o700)
        except OSError:
            pass                      # a read-only disk: this is a cache; the open below says the rest
        try:
            fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | _NOFOLLOW | getattr(os, "O_CLOEXEC", 0))
        except FileNotFoundError:
            pass
        except OSError:
            _warn(folder, "link" if os.path.islink(folder) else "not_folder")
        else:
            st = os.fstat(fd)
            if not stat.S_ISDIR(st.st_mode) or not _mine(st):
                _warn(folder, "not_folder" if not stat.S_ISDIR(st.st_mode) else
                      "owner" if hasattr(os, "getuid") and st.st_uid != os.getuid() else "writable")
                os.close(fd)
                fd = None
    try:
        yield fd
    finally:
        if fd is not None:
            os.close(fd)


def _read(name: str, folder: int) -> bytes | None:
    """The bytes of ``name`` in ``folder`` if it is a regular file of this user's, not writable by others,
    at most MAX_BYTES: checked on the descriptor that is then read (no second lookup by name)."""
    fd = os.open(name, os.O_RDONLY | _NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0), dir_fd=folder)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or not _mine(st) or st.st_size > MAX_BYTES:
            return None
        chunks, total = [], 0
        while total <= MAX_BYTES:         # the file may grow after fstat: read at most one byte past the cap
            chunk = os.read(fd, min(1 << 20, MAX_BYTES + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
        return b"".join(chunks) if total <= MAX_BYTES else None
    finally:
        os.close(fd)


@functools.lru_cache(maxsize=16)
def fingerprint(sources: tuple[Path, ...]) -> tuple[str, str]:
    """The package version (``__version__`` as written in symconv/__init__.py, read as text: asking
    importlib.metadata costs ~70 ms) and the SHA-256 of ``sources``, that file, errors.py, this file (how a
    value is pickled) and SymPy's version."""
    import sympy
    digest = hashlib.sha256(f"sympy {sympy.__version__}\0".encode())
    ver = "unknown"
    always = [PACKAGE / "__init__.py", PACKAGE / "errors.py"]
    for path in sorted(set(sources) | {Path(__file__).resolve()}) + always:
        text = path.read_bytes()
        digest.update(path.name.encode() + b"\0" + text + b"\0")
        if path == PACKAGE / "__init__.py":
            found = re.search(rb'^__version__ = "([^"]+)"', text, re.M)
            ver = found.group(1).decode() if found else ver
    return ver, digest.hexdigest()


def load(key: str, sources: Sequence[Path], kind: type) -> Any:
    """The value stored under ``key`` if its file passes every check above and it is a ``kind``; else None."""
    with _folder(create=False) as folder:
        if folder is None:
            return None
        try:
            data = _read(f"{key}.pickle", folder)
            if data is None:
                return None
            head, _, payload = data.partition(b"\n")
            header = json.loads(head)
            ver, source = fingerprint(tuple(sources))
            if not isinstance(header, dict) \
                    or (header.get("version"), header.get("source")) != (ver, source) \
                    or header.get("sha256") != hashlib.sha256(payload).hexdigest():
                return None
            value = pickle.loads(payload)     # symconv's own file: checked on its descriptor, hash verified
        except Exception:                     # missing, unreadable, malformed: compute again
            return None
    return value if isinstance(value, kind) else None


def _from_args(cls: Any, args: tuple[Any, ...]) -> Any:
    """A SymPy sum or product rebuilt from the arguments it had when stored, which are already in SymPy's
    canonical order: not flattened again. Unpickled the usual way (``Add(*args)``), every sum would be
    evaluated anew, and ``Add.flatten`` imports ``sympy.tensor.tensor`` and ``sympy.combinatorics`` (~20 ms)
    on its first call, which a warm run otherwise never makes."""
    return cls._from_args(args)


class _Pickler(pickle.Pickler):
    """Pickle with SymPy's ``Add`` and ``Mul`` stored as :func:`_from_args` calls (exactly these classes:
    a subclass may keep more than its arguments)."""

    def reducer_override(self, obj: Any) -> Any:
        if type(obj) in _ASSOC:
            return _from_args, (type(obj), obj.args)
        return NotImplemented


_ASSOC: tuple[type, ...] = ()


def _dumps(value: Any) -> bytes:
    global _ASSOC
    if not _ASSOC and "sympy" in sys.modules:     # a value without SymPy objects does not import SymPy
        from sympy import Add, Mul
        _ASSOC = (Add, Mul)
    buffer = io.BytesIO()
    _Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump(value)
    return buffer.getvalue()


def save(key: str, value: Any, sources: Sequence[Path]) -> None:
    """Store ``value`` under ``key`` (atomically); a read-only or full disk is ignored: this is a cache."""
    if cache_folder() is None:
        return
    try:
        payload = _dumps(value)
    except Exception:                     # a value that cannot be pickled is simply not kept
        return
    if len(payload) > MAX_BYTES:
        return
    ver, source = fingerprint(tuple(sources))
    header = json.dumps({"version": ver, "source": source, "sha256": hashlib.sha256(payload).hexdigest()})
    with _folder(create=True) as folder:
        if folder is None:
            return
        tmp = f".{key}.{secrets.token_hex(8)}.tmp"
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | getattr(os, "O_CLOEXEC", 0),
                         0o600, dir_fd=folder)
            with os.fdopen(fd, "wb") as f:
                f.write(header.encode() + b"\n" + payload)
            # atomic: a reader sees the old file or the new one; a link at the name is replaced, not followed
            os.replace(tmp, f"{key}.pickle", src_dir_fd=folder, dst_dir_fd=folder)
        except Exception:
            try:
                os.unlink(tmp, dir_fd=folder)
            except OSError:
                pass
