"""BLAS threads chosen, not inherited (issue 23): one thread in every worker of a sweep and of a class, the
idle cores in a single process, ``SYMCONV_THREADS`` over both. Read back through threadpoolctl's
``threadpool_info()`` inside the workers themselves; nothing here is timed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from threadpoolctl import threadpool_info, threadpool_limits

from symconv.derivation import threads
from symconv.errors import InputError
from symconv.grading.isolated import isolated
from symconv.proof import presburger
from symconv.proof import sweep as concrete

ROOT = Path(__file__).resolve().parents[1]


def blas_threads(*_: object) -> int:
    """The threads of the BLAS NumPy loaded, as threadpoolctl reads them in this process."""
    found = [lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"]
    assert found, "NumPy's BLAS is not visible to threadpoolctl"
    return max(found)


def family_threads(family: object) -> tuple[int, float]:
    """In place of an all-sizes proof: the worker's BLAS threads (a module-level function: it is pickled)."""
    return blas_threads(), 0.0


@pytest.fixture
def two_threads(monkeypatch):
    """The parent at two BLAS threads (OpenBLAS's default on 2 cores), as the workers would inherit it."""
    monkeypatch.delenv("SYMCONV_THREADS", raising=False)
    for name in ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "OMP_NUM_THREADS"):
        monkeypatch.delenv(name, raising=False)
    with threadpool_limits(limits=2, user_api="blas"):
        assert blas_threads() == 2
        yield


def test_concrete_sweep_workers_use_one_blas_thread(two_threads, monkeypatch):
    monkeypatch.setattr(concrete, "run_case", blas_threads)
    cases = list(concrete.grid(ndims=(1,), kernels=(1,), strides=(1,), paddings=(0,), dilations=(1,), groups=(1,)))
    assert concrete.sweep(cases, jobs=2) == [1] * len(cases)
    assert blas_threads() == 2                            # the parent keeps its own


def test_all_sizes_sweep_workers_use_one_blas_thread(two_threads, monkeypatch):
    monkeypatch.setattr(presburger, "_prove_family", family_threads)
    swept = presburger.sweep(ndims=(1,), values=(1,), jobs=2)
    assert swept.proofs and set(swept.proofs) == {1}
    assert blas_threads() == 2


def test_class_grading_worker_uses_one_blas_thread(two_threads):
    assert isolated(blas_threads).value == 1
    assert blas_threads() == 2


def test_symconv_threads_overrides_the_workers(two_threads, monkeypatch):
    monkeypatch.setenv("SYMCONV_THREADS", "2")
    assert isolated(blas_threads).value == 2


def test_single_process_takes_the_idle_cores(monkeypatch):
    monkeypatch.delenv("SYMCONV_THREADS", raising=False)
    monkeypatch.setattr(threads, "_CHOSEN", [])
    monkeypatch.setattr(threads, "cores", lambda: 2)
    monkeypatch.setattr(threads, "_busy_elsewhere", lambda: 0)
    assert threads.chosen() == 2
    for busy, want in ((1, 1), (1.7, 1), (6, 1)):            # never fewer than one, never more than the cores
        monkeypatch.setattr(threads, "_CHOSEN", [])
        monkeypatch.setattr(threads, "_busy_elsewhere", lambda busy=busy: busy)
        assert threads.chosen() == want
    monkeypatch.setenv("SYMCONV_THREADS", "3")
    assert threads.chosen() == 3


def test_blas_block_sets_and_restores(monkeypatch):
    monkeypatch.delenv("SYMCONV_THREADS", raising=False)
    with threadpool_limits(limits=2, user_api="blas"):
        with threads.blas(1):
            assert blas_threads() == 1
        assert blas_threads() == 2


def test_the_convolution_product_runs_with_the_chosen_threads(monkeypatch):
    """The im2col product of evaluate() reads the choice (here forced to one thread) inside the product."""
    from symconv import ConvSpec, derive
    seen = []
    real = np.matmul

    def spy(a, b):
        seen.append(blas_threads())
        return real(a, b)
    monkeypatch.setenv("SYMCONV_THREADS", "1")
    d = derive(ConvSpec(8, 8, 3, padding=1))
    x, h, g = np.ones((2, 8, 32, 32)), np.ones((8, 8, 3, 3)), np.ones((2, 8, 32, 32))   # 1.2 M multiply-adds
    with threadpool_limits(limits=2, user_api="blas"):
        monkeypatch.setattr("symconv.derivation.ops.np.matmul", spy)
        d.evaluate(x, h, g)
    assert seen and set(seen) == {1}


def test_cores_follow_the_affinity_mask():
    assert 1 <= threads.cores() <= (os.cpu_count() or 1)
    if hasattr(os, "sched_getaffinity"):
        assert threads.cores() == len(os.sched_getaffinity(0))


@pytest.mark.parametrize("bad", ["0", "-1", "two", "1.5"])
def test_bad_symconv_threads_is_one_line(monkeypatch, bad):
    monkeypatch.setenv("SYMCONV_THREADS", bad)
    with pytest.raises(InputError, match=r"^SYMCONV_THREADS must be a positive integer"):
        threads.chosen()


def test_bad_symconv_threads_on_the_command_line(tmp_path):
    env = dict(os.environ, SYMCONV_THREADS="zero", PYTHONPATH=str(ROOT), XDG_CACHE_HOME=str(tmp_path))
    res = subprocess.run([sys.executable, "-m", "symconv", "derive", "--no-pdf", "--out", str(tmp_path)],
                         capture_output=True, text=True, env=env)
    assert res.returncode == 2
    assert res.stderr.splitlines() == [
        "symconv: error: SYMCONV_THREADS must be a positive integer (the BLAS threads to use), got 'zero'"]


def test_the_identity_tests_inner_products_run_with_the_chosen_threads(monkeypatch):
    """Its BLAS dot products of a million entries are threaded too: they run inside the chosen limit."""
    from symconv import ConvSpec, derive
    from symconv.proof.checks import verify
    seen = []
    real = np.vdot

    def spy(a, b):
        seen.append(blas_threads())
        return real(a, b)
    monkeypatch.setenv("SYMCONV_THREADS", "1")
    spec = ConvSpec(2, 2, 3, padding=1)
    d = derive(spec)
    with threadpool_limits(limits=2, user_api="blas"):
        monkeypatch.setattr(np, "vdot", spy)
        assert verify(spec, (5, 5), batch=2, method="identity", derivation=d, trials=1).ok
    assert seen and set(seen) == {1}


def test_a_small_product_does_not_load_threadpoolctl():
    """The homework's products are tiny: its run needs no thread choice (nor threadpoolctl's ~10 ms)."""
    code = ("import sys; import numpy as np; from symconv import ConvSpec, derive; "
            "d = derive(ConvSpec(2, 2, 3, padding=1)); x = np.ones((1, 2, 4, 4)); "
            "d.evaluate(x, np.ones((2, 2, 3, 3)), x); print('threadpoolctl' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


# ------------------------------------------------------------- the commands themselves, through main()

def _recording(real, log: Path):
    """``real`` that first appends the BLAS threads of the process it runs in to ``log`` (one line each: the
    workers are forked, so each writes its own line). Named as ``real`` (functools.wraps), the pool pickles
    it by that name and its workers find it where the test put it."""
    import functools

    @functools.wraps(real)
    def work(*args, **kwargs):
        with open(log, "a", encoding="ascii") as f:
            f.write(f"{blas_threads()} {os.getpid()}\n")
        return real(*args, **kwargs)
    return work


def _logged(log: Path) -> tuple[list[int], set[int]]:
    lines = [line.split() for line in log.read_text(encoding="ascii").splitlines()]
    return [int(t) for t, _ in lines], {int(p) for _, p in lines}


def _main(argv: list[str]) -> int:
    import contextlib
    import io
    from symconv.cli import main
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        return main(argv)


def test_verify_sweep_runs_its_workers_with_one_blas_thread(two_threads, monkeypatch, tmp_path):
    """`symconv verify --sweep --jobs 2`: every configuration is proved in a worker with one BLAS thread."""
    log = tmp_path / "threads.log"
    real_grid = concrete.grid
    monkeypatch.setattr(concrete, "grid", lambda **kw: list(real_grid(**kw))[:6])
    monkeypatch.setattr(concrete, "run_case", _recording(concrete.run_case, log))
    assert _main(["verify", "--sweep", "--sweep-ndim", "1", "--jobs", "2"]) == 0
    seen, pids = _logged(log)
    assert seen == [1] * 6 and os.getpid() not in pids
    assert blas_threads() == 2


def test_verify_sweep_all_sizes_runs_its_workers_with_one_blas_thread(two_threads, monkeypatch, tmp_path):
    """`symconv verify --sweep --all-sizes --jobs 2`: every family is proved in a worker with one thread."""
    log = tmp_path / "threads.log"
    real_families = presburger.families
    monkeypatch.setattr(presburger, "families", lambda *a: list(real_families(*a))[:4])
    monkeypatch.setattr(presburger, "_prove_family", _recording(presburger._prove_family, log))
    assert _main(["verify", "--sweep", "--all-sizes", "--sweep-ndim", "1", "--jobs", "2"]) == 0
    seen, pids = _logged(log)
    assert seen == [1] * 4 and os.getpid() not in pids
    assert blas_threads() == 2


def test_check_grades_each_sheet_of_a_class_with_one_blas_thread(two_threads, monkeypatch, tmp_path):
    """`symconv check FOLDER`: each sheet is read, graded and rendered in a worker with one BLAS thread
    (`check` has no --jobs: the sheets' workers run one after another)."""
    import shutil
    import symconv.grading.grade as grading
    log = tmp_path / "threads.log"
    monkeypatch.setattr(grading, "grade", _recording(grading.grade, log))
    cls = tmp_path / "class"
    cls.mkdir()
    for name in ("alice", "bob"):
        shutil.copy(ROOT / "tests" / "data" / "homework_answers.tex", cls / f"{name}.tex")
    assert _main(["check", str(cls), "--out", str(tmp_path / "out"), "--no-pdf"]) in (0, 1)
    seen, pids = _logged(log)
    assert seen == [1, 1] and len(pids) == 2 and os.getpid() not in pids
    assert blas_threads() == 2
