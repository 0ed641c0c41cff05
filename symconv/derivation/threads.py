"""How many threads NumPy's BLAS (OpenBLAS) may use: chosen for the machine as it is now, not inherited.

On a machine whose cores are shared, OpenBLAS's default (one thread per core) makes a matrix product wait
for a thread whose core another process holds: on 2 cores with one other busy process, the identity test
took 2.6x PyTorch's time with two BLAS threads and 0.7x with one. So:

- in a worker process (a sweep's, a class's sheet): one BLAS thread, for the worker's life (:func:`worker`);
  the workers already use the cores;
- in a single process: as many threads as there are idle cores (:func:`chosen`), at most the cores this
  process may run on;
- ``SYMCONV_THREADS=N``: N threads, in both.

threadpoolctl (the library scikit-learn uses for the same purpose) sets the limit on the BLAS that NumPy
loaded, whatever its vendor, and reads it back (``threadpool_info()``):

>>> from threadpoolctl import threadpool_info
>>> with blas(1):
...     sorted({lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"})
[1]
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from typing import Any, Iterator

from ..errors import InputError

SMALL = 1 << 20                      # multiply-adds below which a product is not worth a thread choice
_WORKER = False                      # set in a worker process: one thread for its life
_CHOSEN: list[Any] = []              # (monotonic time, threads): the choice, kept for a second


def cores() -> int:
    """The cores this process may run on (its affinity mask, not the machine's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def _busy_elsewhere() -> float:
    """Runnable threads of other processes right now (Linux: /proc/loadavg's running count less this
    process's own running threads); elsewhere the 1-minute load average. The load average is not used where
    the count exists: it lags a minute behind a job that starts or stops, and counts this process too."""
    try:
        with open("/proc/loadavg", encoding="ascii") as f:
            running = int(f.read().split()[3].split("/")[0])
        own = 0
        for task in os.listdir("/proc/self/task"):
            try:
                with open(f"/proc/self/task/{task}/stat", encoding="ascii", errors="replace") as f:
                    own += f.read().rpartition(")")[2].split()[0] == "R"
            except OSError:
                continue
        return max(0, running - max(own, 1))
    except (OSError, ValueError, IndexError):
        try:
            return os.getloadavg()[0]
        except OSError:
            return 0.0


def override() -> int | None:
    """``SYMCONV_THREADS`` as a positive integer, None when unset or empty."""
    text = os.environ.get("SYMCONV_THREADS", "").strip()
    if not text:
        return None
    if not text.isdigit() or int(text) < 1:
        raise InputError(f"SYMCONV_THREADS must be a positive integer (the BLAS threads to use), got {text!r}")
    return int(text)


def chosen() -> int:
    """The BLAS threads for a product in this process: ``SYMCONV_THREADS``; 1 in a worker; else the idle
    cores (the cores less the other processes running now, rounded down), between 1 and the cores. The
    choice is made again at most once a second (reading /proc takes a fraction of a millisecond)."""
    forced = override()
    if forced is not None or _WORKER:
        return forced or 1
    now = time.monotonic()
    if _CHOSEN and now - _CHOSEN[0] < 1.0:
        return int(_CHOSEN[1])
    n = cores()
    threads = max(1, min(n, n - int(_busy_elsewhere())))
    _CHOSEN[:] = [now, threads]
    return threads


_CONTROLLER: list[Any] = []


def _blas() -> Any:
    """threadpoolctl's view of the BLAS NumPy loaded (made once: finding the libraries takes ~5 ms)."""
    if not _CONTROLLER:
        import numpy  # noqa: F401  (its BLAS must be loaded to be found)
        from threadpoolctl import ThreadpoolController
        _CONTROLLER.append(ThreadpoolController().select(user_api="blas"))
    return _CONTROLLER[0]


@contextlib.contextmanager
def blas(threads: int | None = None) -> Iterator[None]:
    """Within the block, NumPy's BLAS uses ``threads`` threads (default :func:`chosen`)."""
    with _blas().limit(limits=max(1, chosen() if threads is None else threads)):
        yield


def worker() -> None:
    """In a worker process (the initializer of a pool, or a forked child): one BLAS thread from now on
    (``SYMCONV_THREADS`` when set), for a BLAS loaded later too (the variables OpenBLAS, MKL and OpenMP
    read when they load)."""
    global _WORKER
    _WORKER = True
    threads = str(chosen())
    for name in ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "OMP_NUM_THREADS"):
        os.environ[name] = threads
    if "numpy" in sys.modules:
        _blas().limit(limits=int(threads))       # not a context manager: the limit stays for the process
