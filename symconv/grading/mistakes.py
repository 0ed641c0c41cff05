r"""The usual mistakes behind a wrong numeric answer to problem 2, each as the wrong value it produces.

A wrong answer is explained by a mistake when it equals, entry for entry, the value that mistake produces
(exactly, or within the answer's written precision when it was written with decimals: the same test as a
correct answer). Each wrong value is built from the homework's own solution
(:mod:`symconv.homework.solution`), by transforming a correct value or by running the solution's own backward
steps (:func:`~symconv.homework.solution.fc_backward`, :func:`~symconv.homework.solution.conv_backward`) from a
wrong intermediate; nothing here computes a gradient of its own. Each is built only when a wrong answer asks
for it, once per solution.

==========================  =================================================================================
mistake                     the wrong value, for the parts it concerns
==========================  =================================================================================
``transposed``              a matrix's rows and columns exchanged: an 8×5 answer for a 5×8 part (named from
                            the shape alone, the entries compared after transposing back), or a square
                            matrix (each channel's) transposed
``sign_flipped``            L or a gradient negated (y − p for p − y, and everything after it)
``kernel_flipped``          conv1 computed with every kernel rotated by 180° (a convolution, where the
                            template operation is a cross-correlation), and relu1, fc1, p, L and the
                            gradients down to ∂L/∂conv1 and ∂L/∂W from it
``softmax_for_gradient``    p where p − y belongs: ∂L/∂fc1 (or ∂L/∂p, or the fc bias's gradient) answered
                            with p, and the gradients after it computed from p
``relu_mask``               ReLU's mask forgotten: ∂L/∂conv1 taken as ∂L/∂relu1, and the gradients after
                            it; or the mask applied to the wrong tensor: to ∂L/∂relu1 (answered with
                            ∂L/∂conv1), or taken from the gradient's sign
                            (∂L/∂relu1 > 0) or inverted (conv1 ≤ 0) instead of conv1 > 0 (relu1 > 0 is the
                            same mask as conv1 > 0, so taking it from relu1 is no mistake); or ReLU left out,
                            conv1 used where relu1 belongs: relu1 answered with conv1, fc1 computed from
                            conv1, ∂L/∂W = ∂L/∂fc1 · conv1ᵀ. The verdict's sentence says which.
``flatten_order``           relu1 flattened in another order than (channel, row, column): channel last
                            (row, column, channel), column-major within each channel, or column-major
                            throughout; ∂L/∂W's columns, fc1, and the gradients back to relu1 follow it.
                            Also ∂L/∂W's entries listed column by column (column-major) where they are
                            read row by row
``log_base_10``             L with log₁₀ instead of ln, and every gradient after it (÷ ln 10)
``fc_scale``                the fc weights' common factor left out (all 1/10 used as 1: fc1 = 396 for 39.6),
                            and every part after fc1: the homework solved again without the factor
``wrong_target``            the one-hot target on another class (y₂ for y₃), and every part after L: the
                            homework solved again with that target (the sentence names the class)
==========================  =================================================================================

A wrong value that is all zeros or equal to the correct value names no mistake: an answer of zeros is more
often a guess than the trace of one mistake, and a correct answer has no mistake to name.

>>> from symconv.homework.inputs import load
>>> from symconv.homework.solution import solve
>>> sol = solve(load())
>>> [c.mistake for c in candidates(sol, "dL_dfc1")]
['sign_flipped', 'softmax_for_gradient', 'log_base_10', 'wrong_target', 'wrong_target', 'wrong_target', 'wrong_target']
>>> [str(v) for v in next(c for c in candidates(sol, "dL_dfc1") if c.mistake == "sign_flipped").exact()]
['-1/5', '-1/5', '4/5', '-1/5', '-1/5']
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

import numpy as np
import sympy as sp

from ..derivation.exprs import as_expr
from ..homework.solution import (Linear, Solution, _exact_conv, _ints, _softmax_basis, conv_backward,
                                 fc_backward, relu_mask, rule, solve)

#: Every mistake a numeric answer's verdict can name, in the order they are tried (the first that explains an
#: answer is named).
MISTAKES = ("transposed", "sign_flipped", "kernel_flipped", "softmax_for_gradient", "relu_mask",
            "flatten_order", "log_base_10", "fc_scale", "wrong_target")
#: Named by the grader from the answer itself, after every mistake above was tried (:mod:`.grade`): a channel
#: stated alone, a decimal rounded too coarsely, exactly one entry wrong.
SHAPE_MISTAKES = ("missing_channel", "rounded", "one_entry")
_AFTER_FC1 = ("dL_drelu1", "dL_dconv1", "dL_dW", "dL_dh", "dL_dx", "dL_dconv_bias", "dL_dfc_bias")
_AFTER_CONV1 = ("dL_dh", "dL_dx", "dL_dconv_bias")
# what a flipped kernel changes downstream of conv1 (its own gradients would follow a convolution's rules)
_FROM_CONV1 = ("fc1", "p", "L", "dL_dp", "dL_dfc1", "dL_drelu1", "dL_dconv1", "dL_dW", "dL_dfc_bias")
# what the fc weights' scale changes (every part from fc1 on), and what the target class changes (from L on)
_FROM_FC1 = ("fc1", "p", "L", "dL_dp", "dL_dfc1", "dL_drelu1", "dL_dconv1", "dL_dW", "dL_dh", "dL_dx",
             "dL_dconv_bias", "dL_dfc_bias")
_FROM_L = _FROM_FC1[2:]


@dataclass(frozen=True)
class Candidate:
    """A wrong value of one part: the mistake that produces it (a key of :data:`MISTAKES`), its entries in
    float64 (to rule it out quickly), a function giving its exact entries (built only when the floats agree)
    and the wording key of the sentence that names it (``m.MISTAKE``, or a variant of it)."""

    mistake: str
    floats: np.ndarray
    exact: Callable[[], np.ndarray] = field(compare=False)
    words: Any = ""        # a wording key, or (key, values) for a sentence that names something

    @property
    def sentence(self) -> Any:
        return self.words or "m." + self.mistake


def _float(v: Any) -> float:
    v = as_expr(v)
    return v.p / v.q if v.is_Rational else float(sp.N(v, 30))


def floats(a: Any) -> np.ndarray:
    """Entries as float64 (correctly rounded for rationals)."""
    a = np.asarray(a, dtype=object)
    return np.vectorize(_float, otypes=[float])(a) if a.size else np.zeros(a.shape)


def _flipped_kernels(h: np.ndarray) -> np.ndarray:
    """Every kernel rotated by 180° on its spatial axes (what a convolution uses)."""
    return h[(slice(None), slice(None)) + (slice(None, None, -1),) * (h.ndim - 2)]


class _Variants:
    """The solution's backward steps rerun from one wrong intermediate each, computed on demand."""

    def __init__(self, sol: Solution) -> None:
        self.sol = sol
        self._done: dict[tuple[str, int], dict[str, Linear]] = {}
        self._flipped: Solution | None = None
        self._other: dict[Any, Solution] = {}

    @property
    def _fc1_gradient(self) -> tuple[np.ndarray, dict[Any, Any]]:
        sol = self.sol
        back = sol.local.get("E", {})
        g = sol.local["in_E"]["dL_dfc1"] if back else sol.exact["dL_dfc1"]
        return _softmax_basis(g, back, sol.exact["fc1"])[1], back

    def scale(self) -> Any:
        """The fc weights' common factor (1/10 for weights all 1/10; the gcd of the numerators over the lcm of
        the denominators), None when it is 1: a student who leaves it out computes fc1 with W / scale."""
        w = [as_expr(v) for v in np.asarray(self.sol.homework.fc_weight, dtype=object).reshape(-1)]
        if not w or not all(v.is_Rational for v in w) or all(v == 0 for v in w):
            return None
        num = math.gcd(*(int(v.p) for v in w if v != 0))
        den = math.lcm(*(int(v.q) for v in w))
        factor = sp.Rational(num, den)
        return None if factor == 1 else factor

    def rescaled(self) -> Solution:
        """The homework solved with the fc weights' scale left out (the solution's own steps from there on)."""
        if "scale" not in self._other:
            hw = self.sol.homework
            self._other["scale"] = solve(dataclasses.replace(hw, fc_weight=np.vectorize(
                lambda v: as_expr(v) / self.scale(), otypes=[object])(hw.fc_weight)))
        return self._other["scale"]

    def retargeted(self, target: int) -> Solution:
        """The homework solved with the one-hot target on another class (1-based, as the homework's)."""
        if target not in self._other:
            self._other[target] = solve(dataclasses.replace(self.sol.homework, target=target))
        return self._other[target]

    def flipped(self) -> Solution:
        """The homework solved with every kernel rotated by 180° (a convolution computed for conv1)."""
        if self._flipped is None:
            hw = self.sol.homework
            self._flipped = solve(dataclasses.replace(hw, h=_flipped_kernels(hw.h)))
        return self._flipped

    def perms(self) -> list[np.ndarray]:
        """Other orders of flattening relu1 (C, H, W): perm[k] is the (channel, row, column) position of the
        k-th entry taken; each order's inverse is among them."""
        shape = self.sol.exact["relu1"].shape
        if len(shape) != 3:
            return []
        idx = np.arange(math.prod(shape)).reshape(shape)
        out: list[np.ndarray] = []
        for axes in ((1, 2, 0), (2, 0, 1), (0, 2, 1), (2, 1, 0)):   # channel last (and back), column-major
            perm = idx.transpose(axes).reshape(-1)
            if any((perm == q).all() for q in out) or (perm == np.arange(perm.size)).all():
                continue
            out.append(perm)
        return out

    def get(self, kind: str, k: int = 0) -> dict[str, Linear]:
        if (kind, k) not in self._done:
            self._done[kind, k] = self._build(kind, k)
        return self._done[kind, k]

    def _build(self, kind: str, k: int) -> dict[str, Linear]:
        sol, hw = self.sol, self.sol.homework
        conv1, relu1 = sol.exact["conv1"], sol.exact["relu1"]
        r, shape = relu1.reshape(-1), relu1.shape
        drelu1 = sol.linear["dL_drelu1"]
        mask = relu_mask(conv1)
        if kind == "softmax_for_gradient":               # dL/dfc1 + y = p: N + y s over the basis
            N, _ = self._fc1_gradient
            y = np.array(sol.local["y"], dtype=object)
            G, dG = _ints(N + np.outer(y, np.array(sol.basis.s, dtype=object)))
            out = fc_backward(hw, r, G, dG, shape)
            out["dL_dconv1"] = Linear(out["dL_drelu1"].coef * mask[..., None], out["dL_drelu1"].den)
            out.update(conv_backward(hw, sol.derivation, out["dL_dconv1"]))
            return out
        if kind in ("relu_mask_missing", "relu_mask_wrong"):
            if kind == "relu_mask_missing":
                wrong = np.ones(mask.shape, dtype=object)
            elif k == 0:
                wrong = 1 - mask
            else:
                wrong = (sol.floats("dL_drelu1") > 0).astype(int).astype(object)
            dconv1 = Linear(drelu1.coef * wrong[..., None], drelu1.den)
            return {"dL_dconv1": dconv1, **conv_backward(hw, sol.derivation, dconv1)}
        N, _ = self._fc1_gradient
        G, dG = _ints(N)
        if kind == "no_relu":
            return {"dL_dW": fc_backward(hw, conv1.reshape(-1), G, dG, shape)["dL_dW"]}
        perm = self.perms()[k]                            # flatten_order
        coef = drelu1.coef.reshape((-1, drelu1.coef.shape[-1]))[perm].reshape(drelu1.coef.shape)
        out = {"dL_dW": fc_backward(hw, r[perm], G, dG, shape)["dL_dW"],
               "dL_drelu1": Linear(coef, drelu1.den), "dL_dconv1": Linear(coef * mask[..., None], drelu1.den)}
        out.update(conv_backward(hw, sol.derivation, out["dL_dconv1"]))
        return out


def with_mistake(reason: Any, sentences: list[Any]) -> tuple[str, dict[str, Any]]:
    """A grade's reason (a wording key and its values) followed by the mistakes named, given as the wording
    keys of their sentences (``m.MISTAKE``); for :class:`symconv.grading.grade.Grade`'s ``reason``."""
    said = [s if isinstance(s, tuple) else ("w", s) for s in sentences]     # (key, values) names something
    what: Any = said[0]
    for more in said[1:]:
        what = ("g.and", {"a": what, "b": more})
    return "g.with_mistake", {"detail": reason, "mistake": what}


_VARIANTS: dict[int, tuple[Solution, _Variants]] = {}


def _variants(sol: Solution) -> _Variants:
    """One :class:`_Variants` per solution (the solution kept alongside, so that its id is not reused)."""
    held = _VARIANTS.get(id(sol))
    if held is None or held[0] is not sol:
        if len(_VARIANTS) > 8:
            _VARIANTS.clear()
        held = _VARIANTS[id(sol)] = (sol, _Variants(sol))
    return held[1]


def candidates(sol: Solution, part: str) -> Iterator[Candidate]:
    """The wrong values of ``part`` that :data:`MISTAKES` produce, in that order, each built when asked for
    (the first that explains an answer ends the search); none that is all zeros or equal to the correct
    value."""
    if part not in sol.exact:
        return
    want = sol.floats(part)
    for c in _candidates(sol, part):
        if c.floats.shape == want.shape and np.any(c.floats != 0) and not np.array_equal(c.floats, want):
            yield c


def _from_linear(sol: Solution, mistake: str, lin: Linear, words: str = "") -> Candidate:
    return Candidate(mistake, sol.floats_of(lin), lambda: lin.entries(sol.basis.values, sol.basis.s), words)


def _fixed(mistake: str, value: np.ndarray, words: str = "") -> Candidate:
    return Candidate(mistake, floats(value), lambda: value, words)


def _candidates(sol: Solution, part: str) -> Iterator[Candidate]:
    E, F = sol.exact[part], sol.floats(part)
    if E.ndim >= 2 and E.shape[-1] == E.shape[-2]:
        yield Candidate("transposed", np.swapaxes(F, -1, -2), lambda: np.swapaxes(E, -1, -2))
    if part == "L" or part.startswith("dL_"):
        yield Candidate("sign_flipped", -F, lambda: -E)
    if hasattr(sol.homework, "layers"):      # a network of layers: only the mistakes that apply to any part
        yield from _any_network(part, E, F)
        return
    hw, conv1 = sol.homework, sol.exact["conv1"]
    if part in ("conv1", "relu1"):
        flipped = _exact_conv(hw.x[None], _flipped_kernels(hw.h), hw.spec, hw.conv_bias)[0]
        yield _fixed("kernel_flipped", flipped if part == "conv1" else np.maximum(flipped, 0).astype(object))
    variants = _variants(sol)
    if part in _FROM_CONV1:          # the homework solved again from the flipped kernels' conv1
        other = variants.flipped()
        yield Candidate("kernel_flipped", other.floats(part), lambda: other.exact[part])
    if part in ("dL_dp", "dL_dfc1", "dL_dfc_bias"):
        yield _fixed("softmax_for_gradient", sol.exact["p"])
    elif part in _AFTER_FC1:
        yield _from_linear(sol, "softmax_for_gradient", variants.get("softmax_for_gradient")[part])
    if part == "dL_drelu1":          # the mask applied one step early: dL/drelu1 answered with dL/dconv1
        yield _fixed("relu_mask", sol.exact["dL_dconv1"], "m.relu_mask_early")
    if part == "dL_dconv1" or part in _AFTER_CONV1:
        missing = variants.get("relu_mask_missing")[part]
        yield _from_linear(sol, "relu_mask", missing, "m.relu_mask_missing")
        for k in (0, 1):
            wrong = variants.get("relu_mask_wrong", k)[part]
            yield _from_linear(sol, "relu_mask", wrong, "m.relu_mask_wrong")
    m, n = hw.fc_weight.shape
    bias = hw.fc_bias if hw.fc_bias is not None else np.full(m, sp.Integer(0), dtype=object)

    def fc(r: np.ndarray) -> np.ndarray:
        return np.asarray(rule("fc", True)(hw.fc_weight, r, bias, np.arange(m), n), dtype=object)
    if part == "relu1":
        yield _fixed("relu_mask", conv1, "m.no_relu")
    elif part == "fc1":
        yield _fixed("relu_mask", fc(conv1.reshape(-1)), "m.no_relu")
    elif part == "dL_dW":
        yield _from_linear(sol, "relu_mask", variants.get("no_relu")["dL_dW"], "m.no_relu")
    if part == "dL_dW":              # its entries listed column by column, read row by row
        yield _fixed("flatten_order", np.asarray(E).T.reshape(E.shape), "m.flatten_order_matrix")
    r = sol.exact["relu1"].reshape(-1)
    for k, perm in enumerate(variants.perms()):
        if part in ("conv1", "relu1"):
            yield _fixed("flatten_order", E.reshape(-1)[perm].reshape(E.shape), "m.flatten_order_entries")
        elif part == "fc1":
            yield _fixed("flatten_order", fc(r[perm]))
        elif part in ("dL_drelu1", "dL_dconv1", "dL_dW") or part in _AFTER_CONV1:
            yield _from_linear(sol, "flatten_order", variants.get("flatten_order", k)[part])
    if part == "L" or part.startswith("dL_"):
        ln10 = sp.log(10)
        yield Candidate("log_base_10", F / math.log(10), lambda: np.vectorize(lambda v: as_expr(v) / ln10,
                                                                         otypes=[object])(E).reshape(E.shape))
    if part in _FROM_FC1 and variants.scale() is not None:        # fc1 = W relu1 without W's factor
        scaled = variants.rescaled()
        yield Candidate("fc_scale", scaled.floats(part), lambda: scaled.exact[part],
                        ("m.fc_scale", {"scale": str(variants.scale())}))
    if part in _FROM_L:             # the one-hot target on another class, and every part after L from it
        for t in range(1, hw.fc_weight.shape[0] + 1):
            if t != hw.target:
                moved = variants.retargeted(t)
                yield Candidate("wrong_target", moved.floats(part), lambda moved=moved: moved.exact[part],
                                ("m.wrong_target", {"given": t, "want": hw.target}))


def _any_network(part: str, E: np.ndarray, F: np.ndarray) -> Iterator[Candidate]:
    """The usual mistakes a homework network's parts are checked for, whatever its layers: the sign and the
    logarithm's base (transposed is offered before, for every part). The seed's own mistakes (its flatten
    order, the fc weights' scale, ...) name its layers and are not offered."""
    if part == "L" or part.startswith("dL_"):
        ln10 = sp.log(10)
        yield Candidate("log_base_10", F / math.log(10), lambda: np.vectorize(lambda v: as_expr(v) / ln10,
                                                                         otypes=[object])(E).reshape(E.shape))
