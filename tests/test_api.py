"""The Python API as the package docstring and the README promise it: every name of ``symconv.__all__`` is
run, each module the docstring names is an attribute after ``import symconv``, and
``Derivation.to_latex()`` gives the step-by-step derivation the ``derive`` report prints."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import sympy as sp

import symconv
from conftest import needs_torch, torch_grads

ROOT = Path(__file__).resolve().parents[1]
SPEC_ARGS = dict(in_channels=4, out_channels=6, kernel_size=3, stride=2, padding=1, groups=2, bias=True)


def test_every_name_in_all_is_an_attribute_and_documented():
    for name in symconv.__all__:
        assert getattr(symconv, name) is not None, name
        assert re.search(rf"\b{re.escape(name)}\b", symconv.__doc__), f"{name}: not in the docstring"
    assert set(symconv.__all__) <= set(dir(symconv))


@pytest.mark.parametrize("module,names", [
    ("numeric", ["conv", "central_difference", "finite_difference_grads"]),
    ("inputs", ["load", "packaged", "parse", "Homework"]),
    ("homework", ["load", "solve", "Solution"]),
    ("grading", [])])
def test_public_modules_are_attributes_after_import_symconv(module, names):
    code = (f"import symconv, types; m = symconv.{module}; assert isinstance(m, types.ModuleType); "
            f"print([callable(getattr(m, n)) for n in {names!r}])")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str([True] * len(names))


def test_import_symconv_stays_cheap():
    # The public modules are attributes without being imported up front: SymPy and NumPy wait for first use.
    code = ("import sys, symconv; print(sorted(m for m in ('sympy', 'numpy', 'symconv.numeric', "
            "'symconv.inputs') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert done.stdout.strip() == "[]"


def test_an_unknown_attribute_is_still_an_attribute_error():
    with pytest.raises(AttributeError, match=r"^module 'symconv' has no attribute 'nonsense'$"):
        symconv.nonsense  # noqa: B018


def test_star_import_gives_every_name():
    space: dict[str, object] = {}
    exec("from symconv import *", space)      # the test's own constant text: the star import under test
    assert set(symconv.__all__) <= set(space)


# ------------------------------------------------------------------ the docstring's promises, one by one

@pytest.fixture(scope="module")
def derivation():
    return symconv.derive(symconv.ConvSpec(**SPEC_ARGS))


def _arrays(seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((1, 4, 9, 9)), rng.standard_normal((6, 2, 3, 3))


def test_convspec_is_frozen_and_validated():
    spec = symconv.ConvSpec(**SPEC_ARGS)
    assert hash(spec) == hash(symconv.ConvSpec(**SPEC_ARGS))
    with pytest.raises(Exception):
        spec.stride = (1, 1)          # type: ignore[misc]
    with pytest.raises(symconv.SpecError, match=r"^stride"):
        symconv.ConvSpec(2, 2, 3, stride=0)
    assert issubclass(symconv.SpecError, symconv.SymconvError)


def test_derive_gives_closed_forms_checked_and_proved(derivation):
    assert isinstance(derivation, symconv.Derivation)
    assert derivation.proof.ok and derivation.general_proof.ok
    assert derivation.proof.statement.startswith("for every N")
    assert set(derivation.closed_forms) == {"grad_input", "grad_weight", "grad_bias"}
    assert len(derivation.steps) > 5 and all(step.latex for step in derivation.steps)


@needs_torch
def test_evaluate_and_numeric_conv_agree_with_pytorch(derivation):
    x, h = _arrays()
    spec = derivation.spec
    b = np.arange(6, dtype=np.float64)
    y = symconv.numeric.conv(x, h, spec, b)
    import torch
    want = torch.nn.functional.conv2d(torch.tensor(x), torch.tensor(h), torch.tensor(b), stride=2, padding=1,
                                      groups=2).numpy()
    np.testing.assert_allclose(y, want, rtol=1e-12, atol=1e-12)
    g = np.random.default_rng(1).standard_normal(y.shape)
    got = derivation.evaluate(x=x, h=h, g=g)
    oracle = torch_grads(spec, x, h, g, b)
    for name in ("grad_input", "grad_weight", "grad_bias"):
        np.testing.assert_allclose(got[name], oracle[name], rtol=1e-10, atol=1e-10)


def test_evaluate_is_exact_on_rationals_and_matches_finite_differences(derivation):
    spec = derivation.spec
    rng = np.random.default_rng(2)
    x = rng.integers(-3, 4, (1, 4, 5, 5))
    h = rng.integers(-3, 4, (6, 2, 3, 3))
    g = rng.integers(-3, 4, (1, 6, 3, 3))
    exact = derivation.evaluate(x=x.astype(object) * sp.Rational(1, 3), h=h.astype(object),
                                g=g.astype(object))
    assert all(isinstance(v, sp.Rational) for v in exact["grad_weight"].ravel())
    fd = symconv.numeric.finite_difference_grads(spec, x / 3, h, g, np.zeros(6))
    for name in ("grad_input", "grad_weight", "grad_bias"):
        np.testing.assert_allclose(exact[name].astype(float), fd[name], atol=1e-6)
    with pytest.raises(symconv.InputError, match=r"^h must have shape"):
        derivation.evaluate(x=x, h=h[:, :1], g=g)


@pytest.mark.parametrize("method", ["exact", "identity", "finite-difference",
                                    pytest.param("torch", marks=needs_torch)])
def test_verify_by_every_method(method):
    result = symconv.verify(symconv.ConvSpec(2, 2, 3, padding=1), (4, 4), method=method)
    assert isinstance(result, symconv.Verification)
    assert result.ok and result.method == method and result.checked > 0, result.detail


def test_verify_without_pytorch_is_unsupported(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)           # `import torch` raises ImportError
    with pytest.raises(symconv.UnsupportedError, match=r"^method 'torch' needs PyTorch"):
        symconv.verify(symconv.ConvSpec(2, 2, 3, padding=1), (4, 4), method="torch")


def test_a_refused_derivation_is_a_derivation_error(monkeypatch):
    import dataclasses
    from symconv.derivation import forms
    from symconv.proof import attach, mutants
    real = forms.derive_forms

    def wrong(spec):
        d = real(spec)
        return dataclasses.replace(d, grad_input=mutants.mutate(d.grad_input, "no_rotation"))
    monkeypatch.setattr(attach, "derive_forms", wrong)
    attach_cache = getattr(attach.derive, "cache_clear", None)
    if attach_cache:
        attach_cache()
    with pytest.raises(symconv.DerivationError):
        symconv.derive(symconv.ConvSpec(2, 2, 3, padding=1, ndim=1, stride=3))
    if attach_cache:
        attach_cache()


def test_the_homework_is_solved_exactly():
    # README: fc1 = 198/5, p = 1/5, L = log 5 (checked by hand in the homework's own answers)
    solution = symconv.homework.solve(symconv.inputs.load())
    assert solution.exact["fc1"][0] == sp.Rational(198, 5) and solution.exact["p"][0] == sp.Rational(1, 5)
    assert solution.exact["L"][()] == sp.log(5)
    assert symconv.inputs.packaged().is_file()
    with pytest.raises(symconv.InputError,
                       match=r"conv\.paddng: unknown field \(did you mean conv\.padding\?\)"):
        symconv.inputs.parse({"conv": {"paddng": 1}}, "mine")


def test_a_key_that_does_not_print_is_escaped_in_its_message():
    """A bidi override in a key would reorder the terminal's line around it: the message shows it escaped."""
    with pytest.raises(symconv.InputError) as err:
        symconv.inputs.parse({"a\u202eb\u200b": 1}, "mine")
    assert str(err.value).startswith('"a\\u202eb\\u200b": unknown field (')
    assert str(err.value).isprintable()


def test_answers_are_read_and_graded():
    import symconv.grading.answers
    import symconv.grading.grade
    answers = symconv.grading.answers.read_answers(ROOT / "tests" / "data" / "homework_answers.tex")
    grades = symconv.grading.grade.grade(answers, symconv.homework.solve(symconv.inputs.load()))
    verdicts = [g.verdict for g in grades]
    assert verdicts.count("correct") == 11 and verdicts.count("missing") == 1   # README's check example


# ----------------------------------------------------------------------------- Derivation.to_latex()

def _report_tex(d, lang="en"):
    from symconv.report.derivation import render
    return render(d, "title", None, lang)[0]


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("args", [dict(in_channels=2, out_channels=2, kernel_size=3, padding=1), SPEC_ARGS,
                                  dict(in_channels=1, out_channels=2, kernel_size=2, stride=2, ndim=1)])
def test_to_latex_is_the_reports_derivation(args, lang):
    d = symconv.derive(symconv.ConvSpec(**args))
    fragment = d.to_latex(lang)
    report = _report_tex(d, lang)
    from symconv.wording import w
    first_step = f"\\section*{{{w('h.' + d.steps[0].target, lang)}}}"
    closed, steps = fragment[:fragment.index(first_step)], fragment[fragment.index(first_step):]
    head, general = closed.split(w("every_size", lang))
    assert head.strip() in report and general.strip() in report and steps.strip() in report
    from symconv.derivation.layout import display          # a long product set with breaks between factors
    assert all(display(step.latex) in fragment for step in d.steps)
    from symconv.derivation.layout import form_latex
    assert all(form_latex(form) in fragment for form in d.closed_forms.values())
    assert fragment.count(w("step", lang, n=1, rule=d.steps[0].rule_text(lang))) == 1
    assert "documentclass" not in fragment and "\\begin{document}" not in fragment


def test_to_latex_needs_no_proof():
    from symconv.derivation.forms import derive_forms
    d = derive_forms(symconv.ConvSpec(2, 2, 3, padding=1))
    assert d.proof is None and d.to_latex() == symconv.derive(symconv.ConvSpec(2, 2, 3, padding=1)).to_latex()


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex is not installed")
def test_to_latex_compiles_in_a_document_of_ones_own(tmp_path):
    fragment = symconv.derive(symconv.ConvSpec(**SPEC_ARGS)).to_latex()
    (tmp_path / "steps.tex").write_text(fragment, encoding="utf-8")
    (tmp_path / "paper.tex").write_text("\\documentclass{article}\n\\usepackage{amsmath,amssymb,adjustbox}\n"
                                        "\\begin{document}\n\\input{steps}\n\\end{document}\n",
                                        encoding="utf-8")
    done = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "paper.tex"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0 and (tmp_path / "paper.pdf").stat().st_size > 0, done.stdout[-2000:]
