"""Writing a run's files: the folder checked before any work, the files built in a temporary folder inside
it and moved in (``os.replace``) only when the run has produced them all.

So a run that fails half-way leaves nothing behind, a file in ``--out`` that is a symbolic link is replaced
rather than followed (its target is never written), and a bad ``--out`` is one line naming it, before any
work is done. A disk that fills up (or a folder that becomes read-only) while the files are built is one
line too, ``--out: cannot write into DIR (No space left on device)``, and the folder keeps what it had.

>>> out_folder("")
Traceback (most recent call last):
...
symconv.errors.InputError: --out: the folder name is empty
"""

from __future__ import annotations

import errno
import os
import shutil
import tempfile
from pathlib import Path
from types import TracebackType

from ..errors import InputError

# Faults of the disk or the folder, not of symconv: a full disk, a quota, a read-only or failing device, a
# folder whose permissions changed during the run. Any other OSError is a bug and keeps its traceback.
_WRITE_FAULTS = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS, errno.EIO, errno.EACCES, errno.EPERM,
                 errno.ENAMETOOLONG}


def out_folder(text: str) -> Path:
    """The ``--out`` folder, checked: it exists as a writable folder, or can be created."""
    if not text.strip():
        raise InputError("--out: the folder name is empty")
    path = Path(text)
    if path.exists() or path.is_symlink():
        if not path.is_dir():
            raise InputError(f"--out: {text} exists and is not a folder")
        if not os.access(path, os.W_OK | os.X_OK):
            raise InputError(f"--out: {text} is not writable")
        return path
    parent = path.absolute().parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        raise InputError(f"--out: cannot create {text}: {parent} is not a folder")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise InputError(f"--out: cannot create {text}: {parent} is not writable")
    return path


class Staging:
    """A temporary folder inside ``out``; :meth:`commit` moves its files into ``out``.

    >>> import tempfile, pathlib
    >>> out = pathlib.Path(tempfile.mkdtemp())
    >>> with Staging(out) as stage:
    ...     _ = stage.path("a.txt").write_text("hi")
    ...     stage.commit()
    ['a.txt']
    >>> sorted(p.name for p in out.iterdir())
    ['a.txt']
    """

    def __init__(self, out: Path) -> None:
        self.out = out
        self.tmp: Path | None = None

    def __enter__(self) -> "Staging":
        try:
            self.out.mkdir(parents=True, exist_ok=True)
            self.tmp = Path(tempfile.mkdtemp(prefix=".symconv-", dir=self.out))
        except OSError as exc:
            raise InputError(f"--out: cannot write into {self.out} ({exc.strerror or exc})") from None
        return self

    def path(self, name: str) -> Path:
        """Where to build ``name`` (a name symconv chose, never a user's path)."""
        assert self.tmp is not None and "/" not in name and name not in ("", ".", "..")
        return self.tmp / name

    def commit(self) -> list[str]:
        """Move every built file into ``out`` (replacing, never following, what is there); their names."""
        assert self.tmp is not None
        names = sorted(p.name for p in self.tmp.iterdir() if p.is_file())
        try:
            for name in names:
                os.replace(self.tmp / name, self.out / name)
        except OSError as exc:
            raise InputError(f"--out: cannot write into {self.out} ({exc.strerror or exc})") from None
        return names

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self.tmp is not None:
            shutil.rmtree(self.tmp, ignore_errors=True)     # a half-built run leaves nothing behind
        if isinstance(exc, OSError) and exc.errno in _WRITE_FAULTS:
            raise InputError(f"--out: cannot write into {self.out} ({exc.strerror or exc})") from None
