"""A warm run imports and computes only what it uses (issue 23): no isl for stored proofs, no lambdify (nor
the code printers it loads, sympy.codegen) for the stored layer rules, which must be the very functions
lambdify makes. Nothing here is timed (the times are bench/run.py's)."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import sympy as sp

from symconv.homework import rules as solution   # the layer rules moved to rules.py (shared with networks)


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.delenv("SYMCONV_CACHE", raising=False)
    return tmp_path


LOADED = ("import sys; from symconv.cli import main; status = main({argv!r}); "
          "print(status, sorted(m for m in ('islpy', 'sympy.codegen.ast') "
          "if m in sys.modules), file=sys.stderr)")


def modules_loaded(argv: list[str]) -> str:
    done = subprocess.run([sys.executable, "-c", LOADED.format(argv=argv)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stderr.strip().splitlines()[-1]


@pytest.mark.parametrize("command", [["homework"], ["derive"]])
def test_a_warm_run_loads_neither_isl_nor_lambdify(cache, tmp_path, command):
    argv = [*command, "--no-pdf", "--out", str(tmp_path / "out")]
    first = modules_loaded(argv)                    # fills the cache: the proofs run, isl with them
    assert first.startswith("0 ") and "islpy" in first
    assert modules_loaded(argv) == "0 []"


def test_every_layer_rule_is_stored_as_the_code_lambdify_wrote(cache):
    solution._SOURCES.clear()
    stored = solution._rule_sources()
    names = solution.layer_definitions()["args"]
    assert set(stored) == {(n, mode) for n in names for mode in (True, False, "mpf")}
    # Read back in a fresh process-like state: the same dict from the cache, no lambdify needed.
    solution._SOURCES.clear()
    assert solution._rule_sources() == stored


def sample_args(name: str, exact: bool | str) -> list:
    """Arguments for rule ``name``: m = 3 classes, n = 4 entries of relu1; exact rationals, floats or mpf."""
    import mpmath
    def num(vals):
        if exact == "mpf":
            return np.array([mpmath.mpf(v) for v in vals], dtype=object)
        return np.array([sp.Rational(v) for v in vals], dtype=object) if exact else np.array(vals, float)
    W = np.array([[num([1, -2, 3, 1])[j] for j in range(4)] for _ in range(3)], dtype=object if exact else float)
    r, g3, g4 = num([2, 0, 1, 3]), num([1, 2, -1]), num([1, -1, 2, 1])
    f, q, y = num([1, 2, 3]), num([0.25, 0.25, 0.5]), np.array([0, 1, 0], dtype=object if exact else float)
    i3, i4 = np.arange(3), np.arange(4)
    return {"relu": [num([-1, 0, 2])], "drelu": [num([-1, 0, 2])], "fc": [W, r, num([1, 1, 1]), i3, 4],
            "fc_vjp_r": [W, g3, i4, 3], "fc_vjp_W": [g3, r, i3[:, None], i4[None, :]], "fc_vjp_b": [g3, i3],
            "softmax": [f, i3, 3], "softmax_vjp": [f, g3, i3, 3], "loss": [y, q, 3], "dloss": [y, q, i3]}[name]


@pytest.mark.parametrize("exact", [True, False, "mpf"])
def test_a_stored_rule_computes_what_lambdify_computes(cache, exact):
    solution._SOURCES.clear()
    for name, mode in solution._rule_sources():
        if mode != exact:
            continue
        ours = solution._compiled(solution._SOURCES[name, mode], mode)
        theirs = solution._lambdified(name, mode)
        args = sample_args(name, mode)
        if name in ("relu", "drelu"):                  # elementwise on scalars, as _elementwise uses them
            got = [ours(v) for v in args[0]]
            want = [theirs(v) for v in args[0]]
        else:
            got, want = ours(*args), theirs(*args)
        assert np.array_equal(np.asarray(got, dtype=object), np.asarray(want, dtype=object)), name


def test_a_rule_whose_names_differ_is_not_stored(cache, monkeypatch):
    """A name of lambdify's code bound to another object in symconv's namespace: that rule stays lambdify's."""
    real = solution._namespace
    monkeypatch.setattr(solution, "_namespace",
                        lambda exact: {**real(exact), "exp": np.exp} if exact is True else real(exact))
    solution._SOURCES.clear()
    stored = solution._rule_sources()
    assert ("softmax", True) not in stored and ("softmax", False) in stored
    assert ("fc", True) in stored                     # reads no exp
    solution._SOURCES.clear()


SYMPY_EXTRA = ("import sys; from symconv.cli import main; status = main({argv!r}); "
               "print(status, sorted(m for m in ('sympy.tensor.tensor', 'sympy.combinatorics') "
               "if m in sys.modules), file=sys.stderr)")


@pytest.mark.parametrize("command", [["homework"], ["derive"]])
def test_a_warm_run_builds_no_sympy_sum(cache, tmp_path, command):
    """SymPy's first sum (Add.flatten) imports sympy.tensor.tensor and sympy.combinatorics, which `import
    sympy` does not: a warm run reads its stored sums without flattening them again, and the homework's
    equal logits give integers, not a sum of exp(198/5)."""
    argv = [*command, "--no-pdf", "--out", str(tmp_path / "out")]
    modules_loaded(argv)                            # fills the cache
    done = subprocess.run([sys.executable, "-c", SYMPY_EXTRA.format(argv=argv)], capture_output=True,
                          text=True)
    assert done.returncode == 0, done.stderr
    assert done.stderr.strip().splitlines()[-1] == "0 []"


def test_a_stored_sum_is_read_back_without_flattening(cache, monkeypatch):
    """The store keeps SymPy's Add and Mul as the arguments they had: read back equal (same arguments in
    the same order, same hash), and Add.flatten / Mul.flatten are never called while loading."""
    from pathlib import Path
    from symconv.derivation import store
    i, j, n = sp.symbols("i j n", integer=True)
    x = sp.IndexedBase("x")
    value = {"sum": i + 2 * j - 1, "product": -3 * i * x[i + j - 1] / n,
             "nested": sp.Sum(x[i] * (i + n), (i, 0, n - 1))}
    sources = (Path(store.__file__),)
    store.save("flatten-test", value, sources)

    def refuse(*args):
        raise AssertionError("flattened while loading")
    monkeypatch.setattr(sp.Add, "flatten", classmethod(refuse))
    monkeypatch.setattr(sp.Mul, "flatten", classmethod(refuse))
    back = store.load("flatten-test", sources, dict)
    monkeypatch.undo()
    assert back is not None and back == value
    for key in value:
        assert back[key].args == value[key].args and hash(back[key]) == hash(value[key])
        assert sp.srepr(back[key]) == sp.srepr(value[key])
    assert back["sum"] - (i + 2 * j - 1) == 0          # and it still computes as SymPy's own


PROGRAM = """
import atexit, sys
class Teardown:
    def __del__(self):
        sys.stderr.write("teardown\\n")
kept = Teardown()                                   # freed only by the interpreter's teardown
atexit.register(lambda: sys.stderr.write("atexit\\n"))
sys.argv = ["symconv", *{argv!r}]
from symconv.cli import program
program()
"""


@pytest.mark.parametrize("argv, status", [(["derive", "--json"], 0),
                                          (["derive", "--stride", "0", "--json"], 2)])
def test_the_program_ends_without_the_interpreters_teardown(cache, argv, status):
    """`symconv` and `python -m symconv` end after main() without freeing every object (SymPy's and NumPy's
    take 40-60 ms): the atexit handlers still run, standard output arrives whole, the status is main's."""
    done = subprocess.run([sys.executable, "-c", PROGRAM.format(argv=argv)], capture_output=True, text=True)
    assert done.returncode == status, done.stderr
    assert done.stderr.splitlines()[-1] == "atexit"
    assert "teardown" not in done.stderr
    if status == 0:
        import json
        assert json.loads(done.stdout)["closed_forms"]["grad_input"]["form"] == \
            "correlate(pad(g, 1), rot180(swap_io(h)))"
    else:
        assert done.stderr.splitlines()[0].startswith("symconv: error: stride must be")


def test_python_m_symconv_is_the_program():
    from pathlib import Path
    import tomllib
    root = Path(__file__).resolve().parents[1]
    assert (root / "symconv" / "__main__.py").read_text().strip().endswith("program()")
    scripts = tomllib.loads((root / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts == {"symconv": "symconv.cli:program"}


def test_how_a_value_is_pickled_is_part_of_every_fingerprint(tmp_path, monkeypatch):
    """A value stored by another version of the store (as Add(*args), before sums were kept as their
    arguments) is computed again, whatever sources the caller names."""
    from pathlib import Path
    from symconv.derivation import store
    source = tmp_path / "layers.py"
    source.write_text("x = 1\n")
    store.fingerprint.cache_clear()
    before = store.fingerprint((source,))
    copy = tmp_path / "store.py"
    copy.write_text(Path(store.__file__).read_text() + "\n# another way to pickle\n")
    monkeypatch.setattr(store, "__file__", str(copy))
    store.fingerprint.cache_clear()
    assert store.fingerprint((source,))[1] != before[1]
    store.fingerprint.cache_clear()


PRELOAD = """
import gc, sys
import symconv.cli as cli
seen = []
real = cli.main
def main(argv=None):
    seen.append(("sympy" in sys.modules, "numpy" in sys.modules, gc.isenabled(), gc.get_freeze_count() > 0))
    return real(argv)
cli.main = main
sys.argv = ["symconv", *{argv!r}]
import atexit
atexit.register(lambda: print(seen, file=sys.stderr))
cli.program()
"""


@pytest.mark.parametrize("argv, preloaded", [(["derive", "--json"], True), (["--version"], False)])
def test_a_command_imports_sympy_and_numpy_with_the_collector_paused(cache, argv, preloaded):
    """Before a command runs, SymPy and NumPy are imported with the garbage collector paused, which is on
    again (their objects frozen) when the command starts; `--version` imports neither."""
    done = subprocess.run([sys.executable, "-c", PRELOAD.format(argv=argv)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    want = [(True, True, True, True)] if preloaded else [(False, False, True, False)]
    assert done.stderr.strip().splitlines()[-1] == repr(want)
