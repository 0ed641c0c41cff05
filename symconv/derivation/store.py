"""An on-disk cache of pure results that are slow to compute: a structure's derivation (:mod:`.forms`), the
homework's layer rules (:mod:`symconv.homework.solution`).

One file per key in :func:`cache_folder`: a JSON header line ``{"version", "source", "sha256"}`` and the
pickled value. A file is used only when the package version and the SHA-256 of the source files that
computed the value (with SymPy's version: the value holds SymPy objects) equal this installation's, and the
payload's SHA-256 equals the header's; anything else (another version, edited code, a truncated or altered
file) is computed again and overwritten. Deleting the folder is always safe. Pickle can run code, so a file
is read only from this folder, owned by this user and not writable by others, and after those checks.

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
import json
import os
import pickle
import re
import tempfile
from pathlib import Path
from typing import Any, Sequence

PACKAGE = Path(__file__).resolve().parent.parent


def cache_folder() -> Path | None:
    """``$XDG_CACHE_HOME/symconv`` (default ``~/.cache/symconv``); None when ``SYMCONV_CACHE=0``."""
    if os.environ.get("SYMCONV_CACHE", "1") == "0":
        return None
    root = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(root) / "symconv"


@functools.lru_cache(maxsize=16)
def fingerprint(sources: tuple[Path, ...]) -> tuple[str, str]:
    """The package version (``__version__`` as written in symconv/__init__.py, read as text: asking
    importlib.metadata costs ~70 ms) and the SHA-256 of ``sources``, that file, errors.py and SymPy's
    version."""
    import sympy
    digest = hashlib.sha256(f"sympy {sympy.__version__}\0".encode())
    ver = "unknown"
    for path in sorted(set(sources)) + [PACKAGE / "__init__.py", PACKAGE / "errors.py"]:
        text = path.read_bytes()
        digest.update(path.name.encode() + b"\0" + text + b"\0")
        if path == PACKAGE / "__init__.py":
            found = re.search(rb'^__version__ = "([^"]+)"', text, re.M)
            ver = found.group(1).decode() if found else ver
    return ver, digest.hexdigest()


def load(key: str, sources: Sequence[Path], kind: type) -> Any:
    """The value stored under ``key`` if its file passes every check above and it is a ``kind``; else None."""
    folder = cache_folder()
    if folder is None:
        return None
    path = folder / f"{key}.pickle"
    try:
        st = path.stat()
        if hasattr(os, "getuid") and (st.st_uid != os.getuid() or st.st_mode & 0o022):
            return None
        head, _, payload = path.read_bytes().partition(b"\n")
        header = json.loads(head)
        ver, source = fingerprint(tuple(sources))
        if (header.get("version"), header.get("source")) != (ver, source) \
                or header.get("sha256") != hashlib.sha256(payload).hexdigest():
            return None
        value = pickle.loads(payload)     # symconv's own file, hash verified (see above)
    except Exception:                     # missing, unreadable, malformed: compute again
        return None
    return value if isinstance(value, kind) else None


def save(key: str, value: Any, sources: Sequence[Path]) -> None:
    """Store ``value`` under ``key`` (atomically); a read-only or full disk is ignored: this is a cache."""
    folder = cache_folder()
    if folder is None:
        return
    tmp = None
    try:
        payload = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        ver, source = fingerprint(tuple(sources))
        header = json.dumps({"version": ver, "source": source, "sha256": hashlib.sha256(payload).hexdigest()})
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, tmp = tempfile.mkstemp(prefix=f".{key}.", dir=folder)
        with os.fdopen(fd, "wb") as f:
            f.write(header.encode() + b"\n" + payload)
        os.replace(tmp, folder / f"{key}.pickle")      # atomic: a reader sees the old file or the new one
    except Exception:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass
