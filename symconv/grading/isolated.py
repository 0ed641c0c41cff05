"""One sheet of a class in a worker of its own: whatever happens to it stays with it.

``symconv check`` on a class runs each sheet's reading, grading and rendering in a forked child process with
its own bounds (a wall-clock time, processor time and address space); the child sends back its result
(pickled, through a pipe) or one line saying what went wrong. A time-out, a crash (a signal), memory or
recursion exhausted, or a bug become that sheet's error; the other sheets are graded as if nothing happened.
Where ``fork`` does not exist, the work runs in this process and only exceptions are caught.

>>> isolated(sum, [1, 2, 3]).value
6
>>> isolated(int, "x").error
"ValueError: invalid literal for int() with base 10: 'x'"
"""

from __future__ import annotations

import faulthandler
import os
import pickle
import select
import signal
import sys
import threading
import time
import warnings
from dataclasses import dataclass
from typing import Any, Callable

from ..derivation import threads
from ..errors import SymconvError

SHEET_SECONDS = 300.0            # wall-clock per sheet: every answer has 2 s, a formula its prover's bounds
SHEET_MEMORY = 2 << 30           # bytes of address space a sheet may add to what the process had
MAX_RESULT_BYTES = 256 << 20     # what a worker may send back
_FORKING = threading.Lock()


@dataclass(frozen=True)
class Outcome:
    """The work's value, or (``value`` None) the one line saying why there is none."""

    value: Any = None
    error: str = ""


def _line(exc: BaseException) -> str:
    if isinstance(exc, MemoryError):
        return f"needed more than the {SHEET_MEMORY >> 20:,} MB of memory a sheet may use"
    if isinstance(exc, RecursionError):
        return "nested too deeply to be read (Python's recursion limit)"
    text = " ".join(str(exc).split())[:300]
    return text if isinstance(exc, SymconvError) else f"{exc.__class__.__name__}: {text}"


def isolated(work: Callable[..., Any], *args: Any, seconds: float | None = None,
             memory: int | None = None) -> Outcome:
    """``work(*args)`` in a forked child within ``seconds`` of wall-clock time (and as much processor time)
    and ``memory`` bytes more address space (default :data:`SHEET_SECONDS`, :data:`SHEET_MEMORY`)."""
    seconds = SHEET_SECONDS if seconds is None else seconds
    memory = SHEET_MEMORY if memory is None else memory
    if not hasattr(os, "fork"):
        try:
            return Outcome(work(*args))
        except Exception as exc:            # MemoryError and RecursionError too: one sheet's, not the class's
            return Outcome(None, _line(exc))
    # One fork at a time (in_workers calls this from threads), and from the pipe's making to the parent's
    # closing of its write end: a child forked in between would hold another sheet's write end, and that
    # sheet's reply would not end until this child did.
    with _FORKING:
        read, write = os.pipe()
        for stream in (sys.stdout, sys.stderr):     # nothing buffered is written twice (by the child too)
            stream.flush()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)      # Python 3.12 warns on fork with threads
            pid = os.fork()
        if pid != 0:
            os.close(write)
    if pid == 0:                                                  # the child: never returns
        status = 1
        try:
            os.close(read)
            faulthandler.disable()    # a crash is reported by the parent, in one line, not by a dump here
            threads.worker()          # one BLAS thread, as in every worker (see derivation.threads)
            _limit(seconds, memory)
            try:
                reply = ("ok", work(*args))
            except Exception as exc:
                reply = ("error", _line(exc))
            data = pickle.dumps(reply, protocol=pickle.HIGHEST_PROTOCOL)
            with os.fdopen(write, "wb") as pipe:
                pipe.write(data)
            status = 0
        finally:
            os._exit(status)          # no atexit handlers, no flush of the parent's buffers
    try:
        data, late = _read(read, pid, seconds)
    finally:
        os.close(read)
    if late:
        return Outcome(None, f"took longer than {seconds:g} s (the limit per sheet)")
    _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        if sig in (signal.SIGXCPU, signal.SIGKILL):
            return Outcome(None, f"stopped after {seconds:g} s of processor time (the limit per sheet)"
                           if sig == signal.SIGXCPU else "stopped by SIGKILL (out of memory?)")
        return Outcome(None, f"the worker grading it crashed ({signal.Signals(sig).name})")
    if data is None:
        return Outcome(None, f"sent back more than {MAX_RESULT_BYTES >> 20} MB")
    try:
        kind, value = pickle.loads(data)
    except Exception:          # the child died half-way through writing
        return Outcome(None, f"the worker grading it stopped (exit status {os.WEXITSTATUS(status)})")
    return Outcome(value) if kind == "ok" else Outcome(None, value)


def _read(fd: int, pid: int, seconds: float) -> tuple[bytes | None, bool]:
    """Everything the child writes, until it closes the pipe; (None, False) when it is too much, (_, True)
    when the time is up (the child is then killed and reaped)."""
    chunks: list[bytes] = []
    size, deadline = 0, time.monotonic() + seconds
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                _kill(pid)
                return None, True
            ready, _, _ = select.select([fd], [], [], left)
            if not ready:
                continue
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                return b"".join(chunks), False
            size += len(chunk)
            if size > MAX_RESULT_BYTES:
                _kill(pid)
                return None, False
            chunks.append(chunk)
    except BaseException:          # Ctrl-C in the parent: the child goes too
        _kill(pid)
        raise


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    except (ProcessLookupError, ChildProcessError):
        pass


def _limit(seconds: float, memory: int) -> None:
    """The child's bounds: processor time (SIGXCPU, then SIGKILL), and address space beyond what it has now."""
    try:
        import resource
    except ImportError:           # no resource module: the wall-clock time still bounds it
        return
    cpu = max(1, int(seconds + 0.999))
    _set(resource, resource.RLIMIT_CPU, cpu, cpu + 5)
    try:
        with open("/proc/self/statm") as f:
            have = int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return                    # the address space in use is unknown: no limit rather than a wrong one
    _set(resource, resource.RLIMIT_AS, have + memory, have + memory)


def _set(resource: Any, which: int, soft: int, hard: int) -> None:
    _, old_hard = resource.getrlimit(which)
    if old_hard != resource.RLIM_INFINITY:
        soft, hard = min(soft, old_hard), min(hard, old_hard)
    try:
        resource.setrlimit(which, (soft, hard))
    except (ValueError, OSError):
        pass


def in_workers(work: Callable[..., Any], calls: list[tuple[Any, ...]], jobs: int = 1,
               done: Callable[[int, Outcome], None] | None = None) -> list[Outcome]:
    """:func:`isolated` ``work(*args)`` for each ``args`` of ``calls``, ``jobs`` children at a time (each
    waited on by a thread of this process, which only sleeps in ``select``), in the order of ``calls``;
    ``done(k, outcome)`` is called as each finishes (a progress bar)."""
    results: list[Outcome | None] = [None] * len(calls)
    if jobs <= 1 or len(calls) <= 1:
        for k, args in enumerate(calls):
            results[k] = isolated(work, *args)
            if done is not None:
                done(k, results[k])       # type: ignore[arg-type]
        return results                    # type: ignore[return-value]
    from concurrent.futures import ThreadPoolExecutor, as_completed
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = {pool.submit(isolated, work, *args): k for k, args in enumerate(calls)}
        for future in as_completed(futures):
            k = futures[future]
            results[k] = future.result()
            if done is not None:
                done(k, results[k])       # type: ignore[arg-type]
    return results                        # type: ignore[return-value]
