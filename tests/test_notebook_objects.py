"""Notebook objects (issue 20, item 4): short reprs, steps that render one by one, a solution table of one
row per part. nbconvert is not among the test extras, so the ``_repr_*`` outputs Jupyter would show are
rendered directly."""

from __future__ import annotations

from pathlib import Path

import pytest

import symconv
from symconv.homework import solve
from symconv.inputs import load
from symconv.wording import w

DATA = Path(__file__).parent / "data"
CONFIGS = [dict(in_channels=2, out_channels=2, kernel_size=3, padding=1),
           dict(in_channels=4, out_channels=6, kernel_size=(3, 2), stride=(2, 1), dilation=(1, 2), groups=2,
                bias=True, padding=(1, 0)),
           dict(in_channels=1, out_channels=1, kernel_size=2, stride=3, ndim=1, padding="full")]


@pytest.fixture(scope="module")
def variant():
    return solve(load(DATA / "variant_3ch_stride2.toml"))


@pytest.mark.parametrize("args", CONFIGS)
def test_reprs_are_short_and_say_what_it_is(args):
    d = symconv.derive(symconv.ConvSpec(**args))
    text = repr(d)
    assert len(text) <= 300 and text.startswith(f"<Derivation {d.spec.describe()}: dL/dx = ")
    assert str(d.grad_input) in text or text.endswith("…>")
    for form in d.closed_forms.values():
        assert len(repr(form)) <= 300 and str(form) in repr(form) and "arg=" not in repr(form)
    assert all(len(repr(step)) <= 300 for step in d.steps)
    assert len(repr(d.show_steps())) <= 300


def test_the_solution_repr_is_short(variant):
    text = repr(variant)
    assert len(text) <= 300 and text.startswith("<Solution of ") and "L = 2.76083" in text


def test_a_step_renders_its_rule_in_words_and_its_equation():
    d = symconv.derive(symconv.ConvSpec(2, 2, 3, padding=1))
    step = d.steps[4]
    md = step._repr_markdown_()
    assert md.startswith(f"**{step.rule}**") and f"$$\n{step.latex}\n$$" in md
    assert "latex=" not in md and "Step(" not in repr(step)


def test_show_steps_renders_every_step_numbered():
    d = symconv.derive(symconv.ConvSpec(2, 2, 3, padding=1))
    md = d.show_steps()._repr_markdown_()
    assert all(step.latex in md for step in d.steps)
    assert md.count("$$\n") == 2 * len(d.steps)
    last = w("step", "en", n=len(d.steps), rule=d.steps[-1].rule_text("en"))
    assert last in md
    assert w("step", "zh", n=1, rule=d.steps[0].rule_text("zh")) in d.show_steps("zh")._repr_markdown_()


def test_the_solution_table_keeps_one_row_per_part(variant):
    md = variant._repr_markdown_()
    rows = md.splitlines()
    assert len(rows) == 2 + len(variant.exact)            # a header, a rule, then one line per part
    assert all(row.count(" | ") == 3 for row in rows[2:])
    assert r"(2\times3\times3\times3)" in md               # dL/dh by its first entries and its shape
    assert max(len(row) for row in rows) < 400             # long exact entries are shown by their value
