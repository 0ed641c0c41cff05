"""The convolution's configuration: a frozen, validated, hashable :class:`ConvSpec`.

Per-axis fields (``kernel_size``, ``stride``, ``dilation``) are stored as tuples with one int per spatial
axis; ``padding`` keeps what the user asked for (an int, a tuple, or ``"valid"``/``"same"``/``"full"``) and
:attr:`ConvSpec.pads` gives the resolved ``(low, high)`` pair per axis.

>>> spec = ConvSpec(2, 2, 3, padding=1)
>>> spec.kernel_size, spec.pads
((3, 3), ((1, 1), (1, 1)))
>>> ConvSpec(1, 1, 4, ndim=1, padding="same").pads   # even kernel: PyTorch puts the extra zero on the right
((1, 2),)
>>> ConvSpec(1, 1, 3, stride=0)
Traceback (most recent call last):
...
symconv.errors.SpecError: stride must be a positive integer or one per spatial axis (2 here), got 0
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Union

from ..errors import SpecError

PerAxis = Union[int, tuple[int, ...]]
PADDING_MODES = ("valid", "same", "full")


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


# Stated limits (README "Limits"): far beyond any layer in use, and small enough that no size reaches NumPy
# as a request for terabytes.
MAX_PER_AXIS = 1024        # kernel size, stride, dilation
MAX_PADDING = 4096


def _per_axis(name: str, value: object, ndim: int, minimum: int, maximum: int = MAX_PER_AXIS) -> tuple[int, ...]:
    what = "a positive integer" if minimum == 1 else "a non-negative integer"
    raw = value
    if isinstance(value, list):
        value = tuple(value)
    if _is_int(value):
        value = (value,) * ndim
    if (not isinstance(value, tuple) or len(value) != ndim
            or not all(_is_int(v) and v >= minimum for v in value)):
        raise SpecError(f"{name} must be {what} or one per spatial axis ({ndim} here), got {raw!r}")
    if max(value) > maximum:
        raise SpecError(f"{name} must be at most {maximum} (a stated limit), got {max(value)}")
    return value


@dataclass(frozen=True)
class ConvSpec:
    """A convolution layer as PyTorch's ``ConvNd`` describes it (cross-correlation, no kernel flip)."""

    in_channels: int
    out_channels: int
    kernel_size: PerAxis
    stride: PerAxis = 1
    padding: Union[PerAxis, str] = 0
    dilation: PerAxis = 1
    groups: int = 1
    ndim: int = 2
    bias: bool = False
    # A transposed convolution (PyTorch's ConvTransposeNd): y is the adjoint of x ⊗ h, h laid out
    # (C_in, C_out/groups, *kernel), and output_padding adds that many outputs after each axis.
    transposed: bool = False
    output_padding: PerAxis = 0

    def __post_init__(self) -> None:
        if not _is_int(self.ndim) or self.ndim not in (1, 2, 3):
            raise SpecError(f"ndim must be 1, 2 or 3, got {self.ndim!r}")
        if not _is_int(self.groups) or self.groups < 1:
            raise SpecError(f"groups must be a positive integer, got {self.groups!r}")
        for name in ("in_channels", "out_channels"):
            value = getattr(self, name)
            if not _is_int(value) or value < 1:
                raise SpecError(f"{name} must be a positive integer, got {value!r}")
            if value % self.groups:
                raise SpecError(f"{name} must be divisible by groups ({self.groups}), got {value}")
        if not isinstance(self.bias, bool):
            raise SpecError(f"bias must be true or false, got {self.bias!r}")
        for name, minimum in (("kernel_size", 1), ("stride", 1), ("dilation", 1)):
            object.__setattr__(self, name, _per_axis(name, getattr(self, name), self.ndim, minimum))
        padding = self.padding
        if isinstance(padding, str):
            if padding not in PADDING_MODES:
                raise SpecError(f"padding must be an integer, one per axis, or one of "
                                f"{', '.join(PADDING_MODES)}; got {padding!r}")
            if padding == "same" and any(s != 1 for s in self.stride):  # type: ignore[union-attr]
                raise SpecError(f"padding 'same' needs stride 1, got stride {self.stride}")
        else:
            object.__setattr__(self, "padding", _per_axis("padding", padding, self.ndim, 0, MAX_PADDING))
        if not isinstance(self.transposed, bool):
            raise SpecError(f"transposed must be true or false, got {self.transposed!r}")
        object.__setattr__(self, "output_padding", _per_axis("output_padding", self.output_padding, self.ndim, 0))
        if self.transposed:
            if isinstance(padding, str):
                raise SpecError(f"padding of a transposed convolution must be an integer or one per axis, "
                                f"got {padding!r}")
            for r, s, d in zip(self.output_padding, self.stride, self.dilation):  # type: ignore[arg-type]
                if r >= max(s, d):      # PyTorch's rule: beyond it the extra outputs would read no input
                    raise SpecError(f"output_padding must be smaller than the stride or the dilation, got "
                                    f"{r} with stride {s}, dilation {d}")
        elif any(self.output_padding):  # type: ignore[arg-type]
            raise SpecError("output_padding is only for a transposed convolution (--op conv_transpose)")

    @property
    def pads(self) -> tuple[tuple[int, int], ...]:
        """The zero padding ``(low, high)`` added on each spatial axis."""
        if isinstance(self.padding, tuple):
            return tuple((p, p) for p in self.padding)
        spans = [d * (k - 1) for d, k in zip(self.dilation, self.kernel_size)]  # type: ignore[arg-type]
        if self.padding == "valid":
            return tuple((0, 0) for _ in spans)
        if self.padding == "full":
            return tuple((s, s) for s in spans)
        return tuple((s // 2, s - s // 2) for s in spans)

    @property
    def op(self) -> str:
        """The operator's name on the command line: ``conv`` or ``conv_transpose``."""
        return "conv_transpose" if self.transposed else "conv"

    @property
    def weight_channels(self) -> tuple[int, int]:
        """The kernel's first two axes: (C_out, C_in/G), or (C_in, C_out/G) when transposed."""
        if self.transposed:
            return self.in_channels, self.out_channels // self.groups
        return self.out_channels, self.in_channels // self.groups

    def output_size(self, input_size: tuple[int, ...]) -> tuple[int, ...]:
        """Spatial output size for a spatial input size; :class:`SpecError` when the kernel does not fit."""
        if len(input_size) != self.ndim:
            raise SpecError(f"input size must have {self.ndim} spatial axes, got {tuple(input_size)}")
        if self.transposed:
            return self._transposed_size(tuple(input_size))
        out = []
        for axis, (n, k, s, d, (lo, hi)) in enumerate(zip(input_size, self.kernel_size, self.stride,
                                                          self.dilation, self.pads)):  # type: ignore[arg-type]
            span = d * (k - 1) + 1
            if n + lo + hi < span:
                raise SpecError(f"kernel_size: the dilated kernel ({span}) is larger than the padded input "
                                f"({n} + {lo} + {hi}) on spatial axis {axis + 1}")
            out.append((n + lo + hi - span) // s + 1)
        return tuple(out)

    def _transposed_size(self, input_size: tuple[int, ...]) -> tuple[int, ...]:
        # (H - 1)·S - 2P + D(K - 1) + output_padding + 1, as PyTorch's ConvTransposeNd.
        out = []
        for axis, (n, k, s, d, (lo, hi), r) in enumerate(zip(
                input_size, self.kernel_size, self.stride, self.dilation, self.pads,  # type: ignore[arg-type]
                self.output_padding)):  # type: ignore[arg-type]
            size = (n - 1) * s - lo - hi + d * (k - 1) + r + 1
            if size < 1:
                raise SpecError(f"padding: the transposed convolution's output would be empty ({size}) on "
                                f"spatial axis {axis + 1}")
            out.append(size)
        return tuple(out)

    def describe(self) -> str:
        """A short plain-text summary, used in report titles and file names."""
        def axes(v: tuple[int, ...]) -> str:
            return str(v[0]) if len(set(v)) == 1 else "x".join(map(str, v))
        pad = self.padding if isinstance(self.padding, str) else axes(self.padding)  # type: ignore[arg-type]
        parts = [f"{self.ndim}d", f"k{axes(self.kernel_size)}", f"s{axes(self.stride)}",  # type: ignore[arg-type]
                 f"p{pad}", f"d{axes(self.dilation)}"]  # type: ignore[arg-type]
        if self.transposed:
            parts.insert(0, "transposed")
            if any(self.output_padding):  # type: ignore[arg-type]
                parts.insert(5, f"op{axes(self.output_padding)}")  # type: ignore[arg-type]
        if self.groups > 1:
            parts.append(f"g{self.groups}")
        if self.bias:
            parts.append("bias")
        return "_".join(parts)


def _optional_axes(name: str, value: object, ndim: int) -> tuple[int | None, ...]:
    """``None`` or a non-negative integer, once or one per spatial axis."""
    if value is None or _is_int(value):
        value = (value,) * ndim
    if isinstance(value, list):
        value = tuple(value)
    if not isinstance(value, tuple) or len(value) != ndim or not all(
            v is None or _is_int(v) and 0 <= v <= MAX_PADDING for v in value):
        raise SpecError(f"{name} must be a non-negative integer (at most {MAX_PADDING}) or one per spatial axis "
                        f"({ndim} here), got {value!r}")
    return value  # type: ignore[return-value]


@dataclass(frozen=True)
class SliceSpec:
    """Strided slicing ``x[..., start:stop:step]`` on every spatial axis (``stop`` None: to the end), as
    PyTorch's basic indexing; the batch and channel axes are kept.

    >>> SliceSpec(1, start=1, step=2).output_size((8,))
    (4,)
    """

    ndim: int = 2
    start: PerAxis = 0
    stop: Union[int, None, tuple[Union[int, None], ...]] = None
    step: PerAxis = 1
    op = "slice"
    transposed = False

    def __post_init__(self) -> None:
        if not _is_int(self.ndim) or self.ndim not in (1, 2, 3):
            raise SpecError(f"ndim must be 1, 2 or 3, got {self.ndim!r}")
        object.__setattr__(self, "start", _per_axis("start", self.start, self.ndim, 0, MAX_PADDING))
        object.__setattr__(self, "step", _per_axis("step", self.step, self.ndim, 1))
        object.__setattr__(self, "stop", _optional_axes("stop", self.stop, self.ndim))
        for a, b in zip(self.start, self.stop):  # type: ignore[arg-type]
            if b is not None and b <= a:
                raise SpecError(f"stop must be larger than start, got start {a}, stop {b}")

    def output_size(self, input_size: tuple[int, ...]) -> tuple[int, ...]:
        if len(input_size) != self.ndim:
            raise SpecError(f"input size must have {self.ndim} spatial axes, got {tuple(input_size)}")
        out = []
        for axis, (n, a, b, s) in enumerate(zip(input_size, self.start, self.stop, self.step)):  # type: ignore
            if b is not None and n < b:
                raise SpecError(f"stop: the input ({n}) is shorter than stop ({b}) on spatial axis {axis + 1}")
            if n <= a:
                raise SpecError(f"start: the input ({n}) has no entry at start ({a}) on spatial axis {axis + 1}")
            out.append(len(range(a, n if b is None else b, s)))
        return tuple(out)

    def describe(self) -> str:
        def axes(v: tuple[object, ...]) -> str:
            shown = ["end" if e is None else str(e) for e in v]
            return shown[0] if len(set(shown)) == 1 else "x".join(shown)
        return (f"slice_{self.ndim}d_a{axes(self.start)}_b{axes(self.stop)}"  # type: ignore[arg-type]
                f"_s{axes(self.step)}")  # type: ignore[arg-type]


@dataclass(frozen=True)
class PadSpec:
    """Constant (zero) padding ``(low, high)`` on every spatial axis (PyTorch's ``F.pad`` with value 0, its
    widths given per axis from the first spatial axis on, not in F.pad's last-axis-first order).

    >>> PadSpec(1, ((1, 2),)).output_size((4,))
    (7,)
    """

    ndim: int = 2
    pads: tuple[tuple[int, int], ...] = ((0, 0), (0, 0))
    op = "pad"
    transposed = False

    def __post_init__(self) -> None:
        if not _is_int(self.ndim) or self.ndim not in (1, 2, 3):
            raise SpecError(f"ndim must be 1, 2 or 3, got {self.ndim!r}")
        pads = self.pads
        if _is_int(pads):
            pads = ((pads, pads),) * self.ndim
        elif isinstance(pads, (tuple, list)) and len(pads) == 2 and all(_is_int(v) for v in pads):
            pads = (tuple(pads),) * self.ndim
        if not isinstance(pads, (tuple, list)) or len(pads) != self.ndim or not all(
                isinstance(p, (tuple, list)) and len(p) == 2 and all(_is_int(v) and 0 <= v <= MAX_PADDING for v in p)
                for p in pads):
            raise SpecError(f"pads must be a non-negative integer, a (low, high) pair or one pair per spatial axis "
                            f"({self.ndim} here), at most {MAX_PADDING}; got {self.pads!r}")
        object.__setattr__(self, "pads", tuple(tuple(p) for p in pads))

    def output_size(self, input_size: tuple[int, ...]) -> tuple[int, ...]:
        if len(input_size) != self.ndim:
            raise SpecError(f"input size must have {self.ndim} spatial axes, got {tuple(input_size)}")
        return tuple(n + lo + hi for n, (lo, hi) in zip(input_size, self.pads))

    def describe(self) -> str:
        widths = [f"{lo}-{hi}" if lo != hi else str(lo) for lo, hi in self.pads]
        return f"pad_{self.ndim}d_p{widths[0] if len(set(widths)) == 1 else 'x'.join(widths)}"


def pool_output_length(n: int, k: int, s: int, p: int, ceil_mode: bool) -> int:
    """PyTorch's ``pooling_output_shape`` (aten/src/ATen/native/Pool.h, dilation 1): ⌊(n + 2p − k)/s⌋ + 1,
    rounded up under ``ceil_mode``, where the last window must then start inside the input or the left
    padding ((out − 1)·s < n + p), else it is dropped.

    >>> pool_output_length(5, 2, 2, 0, False), pool_output_length(5, 2, 2, 0, True)
    (2, 3)
    >>> pool_output_length(4, 3, 2, 1, True)   # a third window would start at 3 = n + p − 2 ... kept
    3
    """
    out = (n + 2 * p - k + ((s - 1) if ceil_mode else 0)) // s + 1
    if ceil_mode and (out - 1) * s >= n + p:
        out -= 1
    return out


@dataclass(frozen=True)
class AvgPoolSpec:
    """Average pooling as PyTorch's ``AvgPoolNd``: a window of ``kernel_size`` every ``stride`` entries
    (default: the kernel size) over the input padded by ``padding`` zeros (at most half the kernel),
    ``ceil_mode`` rounding the output length up, each window's sum divided by ``divisor_override`` when given,
    else by its length clipped at the padded input (``count_include_pad=True``) or by the count of real
    entries in it (``False``).

    >>> AvgPoolSpec(1, 3, stride=2, padding=1).output_size((6,))
    (3,)
    >>> AvgPoolSpec(1, 3, padding=2)
    Traceback (most recent call last):
    ...
    symconv.errors.SpecError: padding must be at most half the kernel size (3 on spatial axis 1), got 2
    """

    ndim: int = 2
    kernel_size: PerAxis = 2
    stride: Union[PerAxis, None] = None
    padding: PerAxis = 0
    ceil_mode: bool = False
    count_include_pad: bool = True
    divisor_override: Union[int, None] = None
    op = "avg_pool"
    transposed = False

    def __post_init__(self) -> None:
        if not _is_int(self.ndim) or self.ndim not in (1, 2, 3):
            raise SpecError(f"ndim must be 1, 2 or 3, got {self.ndim!r}")
        kernel = _per_axis("kernel_size", self.kernel_size, self.ndim, 1)
        object.__setattr__(self, "kernel_size", kernel)
        stride = kernel if self.stride is None else _per_axis("stride", self.stride, self.ndim, 1)
        object.__setattr__(self, "stride", stride)
        padding = _per_axis("padding", self.padding, self.ndim, 0, MAX_PADDING)
        for axis, (p, k) in enumerate(zip(padding, kernel)):
            if 2 * p > k:      # PyTorch: "pad should be at most half of effective kernel size"
                raise SpecError(f"padding must be at most half the kernel size ({k} on spatial axis {axis + 1}), "
                                f"got {p}")
        object.__setattr__(self, "padding", padding)
        for name in ("ceil_mode", "count_include_pad"):
            if not isinstance(getattr(self, name), bool):
                raise SpecError(f"{name} must be true or false, got {getattr(self, name)!r}")
        d = self.divisor_override
        # PyTorch refuses only 0 ("divisor must be not zero"); a negative divisor is taken as given.
        if d is not None and (not _is_int(d) or d == 0 or abs(d) > MAX_PADDING):
            raise SpecError(f"divisor_override must be a non-zero integer (at most {MAX_PADDING} in size) or none, "
                            f"got {d!r}")

    def output_size(self, input_size: tuple[int, ...]) -> tuple[int, ...]:
        if len(input_size) != self.ndim:
            raise SpecError(f"input size must have {self.ndim} spatial axes, got {tuple(input_size)}")
        out = []
        for axis, (n, k, s, p) in enumerate(zip(input_size, self.kernel_size, self.stride,  # type: ignore
                                                self.padding)):  # type: ignore[arg-type]
            length = pool_output_length(n, k, s, p, self.ceil_mode)
            if length < 1:
                raise SpecError(f"input size: {n} with padding {p} is shorter than the kernel ({k}) on spatial axis "
                                f"{axis + 1}")
            out.append(length)
        return tuple(out)

    def check_input(self, shape: tuple[int, ...]) -> tuple[int, ...]:
        """The output's shape for an input (N, C, *spatial), as PyTorch checks it: N may be 0, no other
        axis; the output must not be empty."""
        shape = tuple(shape)
        if len(shape) != self.ndim + 2:
            raise SpecError(f"input shape must be (N, C) and {self.ndim} spatial axes, got {shape}")
        if any(n < 1 for n in shape[1:]) or shape[0] < 0:
            raise SpecError(f"input shape: only the batch axis may be empty, got {shape}")
        return shape[:2] + self.output_size(shape[2:])

    def describe(self) -> str:
        def axes(v: tuple[int, ...]) -> str:
            return str(v[0]) if len(set(v)) == 1 else "x".join(map(str, v))
        parts = [f"avg_pool_{self.ndim}d_k{axes(self.kernel_size)}",  # type: ignore[arg-type]
                 f"s{axes(self.stride)}", f"p{axes(self.padding)}"]  # type: ignore[arg-type]
        if self.ceil_mode:
            parts.append("ceil")
        if not self.count_include_pad:
            parts.append("nopad")
        if self.divisor_override is not None:
            parts.append(f"div{self.divisor_override}")
        return "_".join(parts)
