"""A homework network of layers, read from a file's ``[input]``, ``[[layer]]`` and ``[loss]`` (issue 21).

Each layer is one small class: its fields as the file writes them, its output shape, and its parameters
(tensors with part names). The arithmetic (forward, the derived backward rules) is in :mod:`.network`.

>>> net = parse_network({"input": {"x": [[1, -2, 3]]},
...     "layer": [{"type": "conv", "weight": [[[1, 1]]]}, {"type": "relu"}, {"type": "flatten"},
...               {"type": "linear", "out_features": 2, "weight": "1/2"}],
...     "loss": {"type": "cross_entropy", "target": 1}}, "net")
>>> [(layer.name, layer.out_shape) for layer in net.layers]
[('conv1', (1, 2)), ('relu1', (1, 2)), ('', (2,)), ('fc1', (2,))]
>>> [name for layer in net.layers for name in layer.params]
['h', 'W']

A field that does not fit is one line naming the layer and the field:

>>> parse_network({"input": {"x": [[1, 2]]}, "layer": [{"type": "max_pool", "kernel_size": 3}],
...                "loss": {"type": "mse", "target": [[0]]}}, "net")
Traceback (most recent call last):
...
symconv.errors.InputError: layer 1 (pool1).kernel_size: the window (3) is larger than the padded input (2 + 0 + 0) on axis 1
"""

from __future__ import annotations

import functools
import itertools
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sympy as sp

from ..derivation.spec import ConvSpec
from ..errors import InputError, SpecError
from .fields import (MAX_FC_ENTRIES, MAX_INPUT_ENTRIES, MAX_KERNEL_ENTRIES, _field, _int, _key, _kind, _nearest,
                     _section, _show, _vector, array, number)

#: The fields of each layer type (``type`` and, except flatten's, ``name`` in every one).
LAYER_FIELDS: dict[str, tuple[str, ...]] = {
    "conv": ("weight", "stride", "padding", "dilation", "groups", "bias", "weight_name", "bias_name"),
    "relu": (), "leaky_relu": ("slope",), "sigmoid": (), "tanh": (),
    "max_pool": ("kernel_size", "stride", "padding"), "avg_pool": ("kernel_size", "stride", "padding"),
    "flatten": (),
    "linear": ("out_features", "weight", "bias", "weight_name", "bias_name"),
}
LOSS_FIELDS = {"cross_entropy": ("target",), "mse": ("target", "reduction")}
#: Top-level sections of a network file; sections other engineers add to :data:`FIELDS` (not conv/fc) too.
NETWORK_TOP = ("title", "input", "layer", "loss", "problem1")
MAX_LAYERS = 16
MAX_ENTRIES = MAX_INPUT_ENTRIES     # of every layer's output
MAX_CLASSES = 20                    # cross-entropy's classes (softmax grows with their square)
MAX_SMOOTH_ENTRIES = 256            # of each output from the first sigmoid or tanh on: exact sums of exponentials
# The default output name of each type: the family and its position among that family (conv1, relu2, pool1).
FAMILY = {"conv": "conv", "relu": "relu", "leaky_relu": "lrelu", "sigmoid": "sigmoid", "tanh": "tanh",
          "max_pool": "pool", "avg_pool": "pool", "linear": "fc"}
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,31}")
RESERVED = ("x", "p", "L")


@dataclass(frozen=True)
class Layer:
    """One layer: ``name`` its output's part name ("" for flatten, whose output is its input's entries),
    ``where`` how messages name it (``layer 2 (relu1)``), ``params`` its tensors by part name."""

    type: str
    name: str
    where: str
    in_shape: tuple[int, ...]
    out_shape: tuple[int, ...]
    params: dict[str, np.ndarray] = field(default_factory=dict)
    weight_name: str = ""
    bias_name: str = ""
    spec: ConvSpec | None = None                 # conv
    slope: Any = None                            # leaky_relu
    window: tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]] | None = None   # pools: (K, S, P)

    @property
    def weight(self) -> np.ndarray:
        return self.params[self.weight_name]

    @property
    def bias(self) -> np.ndarray | None:
        return self.params.get(self.bias_name) if self.bias_name else None


@dataclass(frozen=True)
class Loss:
    type: str                      # cross_entropy or mse
    target: Any                    # a 1-based class (cross_entropy) or a tensor of the last output's shape
    reduction: str = "mean"


@dataclass(frozen=True)
class Network:
    """A homework's network: the input, the layers in order, the loss. ``spec`` and ``problem1`` serve
    problem 1 as :class:`~symconv.homework.inputs.Homework`'s do (the first convolution's channels)."""

    name: str
    title: str
    x: np.ndarray
    layers: tuple[Layer, ...]
    loss: Loss
    problem1: ConvSpec | None = None

    @property
    def spec(self) -> ConvSpec:
        conv = next((layer.spec for layer in self.layers if layer.spec is not None), None)
        return conv or ConvSpec(self.x.shape[0], self.x.shape[0], 3, padding=1)

    @property
    def target(self) -> Any:
        return self.loss.target

    def output(self, name: str) -> Layer | None:
        return next((layer for layer in self.layers if layer.name == name), None)


def is_network(data: dict[str, Any]) -> bool:
    return "layer" in data


def parse_network(data: dict[str, Any], name: str, sections: tuple[str, ...] = (),
                  problem1: Any = None) -> Network:
    """A validated :class:`Network` from a TOML document's dict; one-line :class:`InputError` otherwise.
    ``sections``: the seed format's top-level keys (:data:`symconv.homework.inputs.FIELDS`), those other than
    conv and fc valid here too; ``problem1`` reads ``[problem1]`` as the seed's format does."""
    top = NETWORK_TOP + tuple(k for k in sections if k not in ("conv", "fc") + NETWORK_TOP)
    for key in data:
        if key not in top:
            if key in ("conv", "fc"):
                raise InputError(f"{key}: a file lists its layers either as [[layer]] or as [conv] and [fc], "
                                 f"not both")
            close = _nearest(key, list(top))
            hint = f"did you mean {close}?" if close else "valid: " + ", ".join(top)
            raise InputError(f"{_key(key)}: unknown field ({hint})")
    title = data.get("title", name)
    if not isinstance(title, str):
        raise InputError(f"title: expected a string, got {_kind(title)}")
    inp = _section(data, "input")
    for key in inp:
        if key != "x":
            raise InputError(f"input.{_key(key)}: unknown field (valid: x)")
    x = _any_array(_field(inp, "input", "x"), "input.x")
    if x.size > MAX_INPUT_ENTRIES:
        raise InputError(f"input.x: {x.size} entries, more than the limit of {MAX_INPUT_ENTRIES}")
    layers_data = data["layer"]
    if not isinstance(layers_data, list) or not layers_data or not all(isinstance(v, dict) for v in layers_data):
        raise InputError("layer: expected one or more [[layer]] tables")
    if len(layers_data) > MAX_LAYERS:
        raise InputError(f"layer: {len(layers_data)} layers, more than the limit of {MAX_LAYERS}")
    shape = tuple(x.shape)
    layers: list[Layer] = []
    counts: dict[str, int] = {}
    used = {"x": "input.x"}
    smooth = False
    for k, spec in enumerate(layers_data, 1):
        layer = _layer(spec, k, shape, counts, used)
        layers.append(layer)
        shape = layer.out_shape
        smooth = smooth or layer.type in ("sigmoid", "tanh")
        if smooth and int(np.prod(shape)) > MAX_SMOOTH_ENTRIES:
            raise InputError(f"{layer.where}: its output has {int(np.prod(shape))} entries from a sigmoid or tanh "
                             f"on, more than the limit of {MAX_SMOOTH_ENTRIES} (their exact values hold "
                             f"exponentials)")
    loss = _loss(_section(data, "loss"), shape, layers)
    net = Network(name, title, x, tuple(layers), loss)
    if "problem1" in data and problem1 is not None:
        return Network(name, title, x, tuple(layers), loss, problem1(data["problem1"], net.spec))
    return net


def _any_array(value: Any, field: str) -> np.ndarray:
    """A rectangular nested list of numbers of any depth (its first entries decide the depth)."""
    depth, v = 0, value
    while isinstance(v, list) and v:
        depth, v = depth + 1, v[0]
    if depth == 0:
        raise InputError(f"{field}: expected a non-empty list of numbers, got {_kind(value)}")
    return array(value, field, depth, "a tensor")


def _take_name(value: Any, where: str, key: str, default: str, used: dict[str, str]) -> str:
    if value is None:
        value = default
    if not isinstance(value, str) or not _NAME.fullmatch(value):
        raise InputError(f"{where}.{key}: expected a name of letters, digits and _ (starting with a letter, at most "
                         f"32), got {_show(value)}")
    if value in RESERVED or value in used or value.startswith("dL_"):
        why = f"already names {used[value]}" if value in used else "is reserved"
        raise InputError(f"{where}.{key}: {value!r} {why}; choose another name")
    used[value] = f"{where}.{key}"
    return value


def _layer(spec: dict[str, Any], k: int, shape: tuple[int, ...], counts: dict[str, int],
           used: dict[str, str]) -> Layer:
    kind = spec.get("type")
    if not isinstance(kind, str) or kind not in LAYER_FIELDS:
        close = _nearest(kind, list(LAYER_FIELDS)) if isinstance(kind, str) else None
        hint = f"did you mean {close}?" if close else f"valid: {', '.join(LAYER_FIELDS)}"
        what = "missing field" if kind is None else f"unknown layer type {_show(kind)}"
        raise InputError(f"layer {k}.type: {what} ({hint})")
    family = FAMILY.get(kind, "")
    if family:
        counts[family] = counts.get(family, 0) + 1
    default = f"{family}{counts[family]}" if family else ""
    allowed = ("type", "name") + LAYER_FIELDS[kind] if kind != "flatten" else ("type",)
    given = spec.get("name")
    shown = given if isinstance(given, str) and _NAME.fullmatch(given) else default or "flatten"
    where = f"layer {k} ({shown})"
    for key in spec:
        if key not in allowed:
            close = _nearest(key, list(allowed))
            hint = f"did you mean {close}?" if close else f"valid for {kind}: {', '.join(allowed)}"
            raise InputError(f"{where}.{_key(key)}: unknown field ({hint})")
    name = "" if kind == "flatten" else _take_name(spec.get("name"), where, "name", default, used)
    if kind == "conv":
        return _conv(spec, where, name, shape, counts["conv"], used)
    if kind == "linear":
        return _linear(spec, where, name, shape, counts["fc"], used)
    if kind in ("max_pool", "avg_pool"):
        return _pool(spec, kind, where, name, shape)
    if kind == "flatten":
        return Layer(kind, "", where, shape, (int(np.prod(shape)),))
    slope = None
    if kind == "leaky_relu":
        slope = number(spec.get("slope", "1/100"), f"{where}.slope")
        if slope < 0:
            raise InputError(f"{where}.slope: expected a number >= 0, got {slope}")
    return Layer(kind, name, where, shape, shape, slope=slope)


def _need(spec: dict[str, Any], where: str, key: str) -> Any:
    if key not in spec:
        raise InputError(f"{where}.{key}: missing field")
    return spec[key]


def _conv(spec: dict[str, Any], where: str, name: str, shape: tuple[int, ...], n: int,
          used: dict[str, str]) -> Layer:
    w = _any_array(_need(spec, where, "weight"), f"{where}.weight")
    if w.size > MAX_KERNEL_ENTRIES:
        raise InputError(f"{where}.weight: {w.size} entries, more than the limit of {MAX_KERNEL_ENTRIES}")
    if not 3 <= w.ndim <= 5:
        raise InputError(f"{where}.weight: expected C_out x C_in/groups x K (1-D to 3-D kernels), got "
                         f"{w.ndim} axes")
    ndim = w.ndim - 2
    if len(shape) != ndim + 1:
        raise InputError(f"{where}.weight: a {ndim}-D kernel needs an input of C x {ndim} spatial axes, its input "
                         f"has shape {list(shape)}")
    groups = _int(spec.get("groups", 1), f"{where}.groups", 1, 64)
    padding = spec.get("padding", 0)
    if isinstance(padding, str):
        if padding.strip().lower() not in ("valid", "same", "full"):
            raise InputError(f"{where}.padding: expected a non-negative integer or valid/same/full, "
                             f"got {_show(padding)}")
        padding = padding.strip().lower()
    else:
        padding = _per_axis_field(padding, f"{where}.padding", ndim, 0)
    stride = _per_axis_field(spec.get("stride", 1), f"{where}.stride", ndim, 1)
    dilation = _per_axis_field(spec.get("dilation", 1), f"{where}.dilation", ndim, 1)
    if shape[0] != w.shape[1] * groups:
        raise InputError(f"{where}.weight: takes {w.shape[1] * groups} input channels (C_in/groups = {w.shape[1]}, "
                         f"groups = {groups}), its input has {shape[0]}")
    if w.shape[0] % groups:
        raise InputError(f"{where}.groups: {w.shape[0]} output channels are not divisible by {groups} groups")
    bias = None
    if "bias" in spec:
        bias = _vector(spec["bias"], f"{where}.bias", w.shape[0], "one per output channel")
    try:
        cs = ConvSpec(shape[0], w.shape[0], w.shape[2:], stride=stride, padding=padding, dilation=dilation,
                      groups=groups, ndim=ndim, bias=bias is not None)
        out = cs.output_size(shape[1:])
    except SpecError as exc:
        field_ = str(exc).split(" ", 1)[0].rstrip(":")
        raise InputError(f"{where}.{field_ if field_ in spec or field_ == 'kernel_size' else 'weight'}: "
                         f"{exc}") from None
    wname = _take_name(spec.get("weight_name"), where, "weight_name", "h" if n == 1 else f"h{n}", used)
    params = {wname: w}
    bname = ""
    if bias is not None:
        bname = _take_name(spec.get("bias_name"), where, "bias_name", "conv_bias" if n == 1 else f"conv_bias{n}", used)
        params[bname] = bias
    out_shape = (w.shape[0],) + tuple(out)
    _entries(out_shape, where)
    return Layer("conv", name, where, shape, out_shape, params, wname, bname, spec=cs)


def _per_axis_field(value: Any, field_: str, ndim: int, minimum: int) -> int | tuple[int, ...]:
    if isinstance(value, list):
        if len(value) != ndim:
            raise InputError(f"{field_}: expected {ndim} values (one per spatial axis), got {len(value)}")
        return tuple(_int(v, field_, minimum, 64) for v in value)
    return _int(value, field_, minimum, 64)


def _entries(shape: tuple[int, ...], where: str) -> None:
    if int(np.prod(shape)) > MAX_ENTRIES:
        raise InputError(f"{where}: its output has {int(np.prod(shape))} entries, more than the limit of {MAX_ENTRIES}")


def _linear(spec: dict[str, Any], where: str, name: str, shape: tuple[int, ...], n_fc: int,
            used: dict[str, str]) -> Layer:
    if len(shape) != 1:
        raise InputError(f"{where}.type: a linear layer takes a vector, its input has shape {list(shape)} "
                         f"(put a flatten layer before it)")
    n = shape[0]
    m = _int(_need(spec, where, "out_features"), f"{where}.out_features", 1, MAX_ENTRIES)
    if m * n > MAX_FC_ENTRIES:
        raise InputError(f"{where}.out_features: {m} x {n} = {m * n} weights, more than the limit of {MAX_FC_ENTRIES}")
    weight = _need(spec, where, "weight")
    if isinstance(weight, list):
        W = array(weight, f"{where}.weight", 2, "out_features x in_features")
        if W.shape != (m, n):
            raise InputError(f"{where}.weight: expected a {m} x {n} matrix (out_features x the {n} entries of its "
                             f"input), got {' x '.join(map(str, W.shape))}")
    else:
        W = np.full((m, n), number(weight, f"{where}.weight"), dtype=object)
    wname = _take_name(spec.get("weight_name"), where, "weight_name", "W" if n_fc == 1 else f"W{n_fc}", used)
    params = {wname: W}
    bname = ""
    if "bias" in spec:
        bname = _take_name(spec.get("bias_name"), where, "bias_name", "fc_bias" if n_fc == 1 else f"fc_bias{n_fc}",
                           used)
        params[bname] = _vector(spec["bias"], f"{where}.bias", m, "one per output")
    return Layer("linear", name, where, shape, (m,), params, wname, bname)


def _pool(spec: dict[str, Any], kind: str, where: str, name: str, shape: tuple[int, ...]) -> Layer:
    ndim = len(shape) - 1
    if not 1 <= ndim <= 3:
        raise InputError(f"{where}.type: pooling takes C x 1 to 3 spatial axes, its input has shape {list(shape)}")
    K = _axes(_per_axis_field(_need(spec, where, "kernel_size"), f"{where}.kernel_size", ndim, 1), ndim)
    S = _axes(_per_axis_field(spec.get("stride", list(K)), f"{where}.stride", ndim, 1), ndim)
    P = _axes(_per_axis_field(spec.get("padding", 0), f"{where}.padding", ndim, 0), ndim)
    for a, (k, p) in enumerate(zip(K, P)):
        if 2 * p > k:     # PyTorch's rule: every window then holds an entry of the input
            raise InputError(f"{where}.padding: {p} on axis {a + 1} is more than half the window ({k})")
    out = []
    for a, (n, k, s, p) in enumerate(zip(shape[1:], K, S, P)):
        if n + 2 * p < k:
            raise InputError(f"{where}.kernel_size: the window ({k}) is larger than the padded input "
                             f"({n} + {p} + {p}) on axis {a + 1}")
        out.append((n + 2 * p - k) // s + 1)
    return Layer(kind, name, where, shape, (shape[0],) + tuple(out), window=(K, S, P))


def _axes(v: int | tuple[int, ...], ndim: int) -> tuple[int, ...]:
    return v if isinstance(v, tuple) else (v,) * ndim


def _loss(section: dict[str, Any], shape: tuple[int, ...], layers: list[Layer]) -> Loss:
    kind = section.get("type", "cross_entropy")
    if kind not in LOSS_FIELDS:
        close = _nearest(kind, list(LOSS_FIELDS)) if isinstance(kind, str) else None
        raise InputError(f"loss.type: unknown loss {_show(kind)} "
                         f"({f'did you mean {close}?' if close else 'valid: cross_entropy, mse'})")
    for key in section:
        if key not in ("type",) + LOSS_FIELDS[kind]:
            close = _nearest(key, list(("type",) + LOSS_FIELDS[kind]))
            hint = f"did you mean loss.{close}?" if close else "valid: type, " + ", ".join(LOSS_FIELDS[kind])
            raise InputError(f"loss.{_key(key)}: unknown field ({hint})")
    last = layers[-1].where if layers else "input.x"
    if "target" not in section:
        raise InputError("loss.target: missing field")
    if kind == "cross_entropy":
        if len(shape) != 1:
            raise InputError(f"loss.type: cross_entropy takes a vector of scores, {last} gives shape {list(shape)}")
        m = shape[0]
        if m > MAX_CLASSES:
            raise InputError(f"loss.type: cross_entropy over {m} classes, more than the limit of {MAX_CLASSES}")
        target = section["target"]
        if isinstance(target, int) and not isinstance(target, bool) and not 1 <= target <= m:
            zero = " (classes are numbered from 1)" if target == 0 else ""
            raise InputError(f"loss.target: expected a class from 1 to {m}, got {target}{zero}")
        return Loss(kind, _int(target, "loss.target", 1, m))
    target = _any_array(section["target"], "loss.target")
    if target.shape != shape:
        raise InputError(f"loss.target: expected shape {list(shape)} (the output of {last}), got {list(target.shape)}")
    reduction = section.get("reduction", "mean")
    if reduction not in ("mean", "sum"):
        raise InputError(f"loss.reduction: expected mean or sum, got {_show(reduction)}")
    return Loss(kind, target, reduction)



@functools.lru_cache(maxsize=64)
def windows(shape: tuple[int, ...], K: tuple[int, ...], S: tuple[int, ...], P: tuple[int, ...]) -> np.ndarray:
    """For each output entry (C-order, channels first) the flat indices of its window's entries in the input
    (scan order: the last axis fastest), -1 where the window lies in the padding."""
    C, sizes = shape[0], shape[1:]
    out_sizes = [(n + 2 * p - k) // s + 1 for n, k, s, p in zip(sizes, K, S, P)]
    rows = []
    for c in range(C):
        for pos in itertools.product(*map(range, out_sizes)):
            row = []
            for off in itertools.product(*map(range, K)):
                at = [q * s - p + o for q, s, p, o in zip(pos, S, P, off)]
                inside = all(0 <= v < n for v, n in zip(at, sizes))
                row.append(int(np.ravel_multi_index((c, *at), shape)) if inside else -1)
            rows.append(row)
    return np.array(rows, dtype=np.int64)
