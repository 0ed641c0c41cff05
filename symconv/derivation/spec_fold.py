"""The configurations of ``unfold`` (im2col) and ``fold`` (col2im): frozen, validated, hashable, as
:class:`~symconv.derivation.spec.ConvSpec`.

PyTorch's ``F.unfold``/``F.fold`` take 2 spatial axes only (4-D batched input, or 3-D unbatched); the index
expressions do not care, so ``ndim`` may be 1, 2 or 3 here (1-D and 3-D are checked against a plain loop,
not against PyTorch). PyTorch's refusals are refused with one line naming the field: a kernel size, stride
or dilation below 1, a negative padding, and a configuration that leaves no sliding block. An output size
of 0, which PyTorch's ``fold`` accepts when the padding still leaves blocks (its result is empty), is
refused as well: every size here is at least 1.

>>> UnfoldSpec(2, kernel_size=3, padding=1, stride=2).output_size((5, 6))
(3, 3)
>>> FoldSpec(2, output_size=(4, 5), kernel_size=2).blocks
(3, 4)
>>> FoldSpec(2, output_size=1, kernel_size=3)
Traceback (most recent call last):
...
symconv.errors.SpecError: output_size: (1, 1) with kernel_size (3, 3), dilation (1, 1), padding (0, 0) and stride (1, 1) leaves no sliding block on spatial axis 1 (PyTorch refuses it)
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import SpecError
from .spec import MAX_PADDING, PerAxis, _is_int, _per_axis

MAX_SIZE = 1 << 20          # a fold's output size per axis (README "Limits")


def blocks(size: tuple[int, ...], kernel: tuple[int, ...], dilation: tuple[int, ...], padding: tuple[int, ...],
           stride: tuple[int, ...]) -> tuple[int, ...]:
    """The sliding blocks per axis: ⌊(H + 2P − D(K − 1) − 1)/S⌋ + 1, as PyTorch's im2col computes them."""
    return tuple((n + 2 * p - d * (k - 1) - 1) // s + 1
                 for n, k, d, p, s in zip(size, kernel, dilation, padding, stride))


def _ndim(value: object) -> int:
    if not _is_int(value) or value not in (1, 2, 3):
        raise SpecError(f"ndim must be 1, 2 or 3, got {value!r}")
    return value  # type: ignore[return-value]


def _batched(shape: tuple[int, ...], rank: int, op: str) -> tuple[int, ...]:
    """A batched shape of ``rank`` axes (an unbatched one gets N = 1), every axis but the batch non-empty."""
    shape = tuple(shape)
    if len(shape) == rank - 1:
        shape = (1,) + shape
    if len(shape) != rank or not all(_is_int(n) and n >= 0 for n in shape) or 0 in shape[1:]:
        raise SpecError(f"input: {op} expects {rank - 1} or {rank} axes, every one but the batch non-empty, got "
                        f"{tuple(shape)}")
    return shape


@dataclass(frozen=True)
class _WindowSpec:
    ndim: int = 2
    kernel_size: PerAxis = 1
    dilation: PerAxis = 1
    padding: PerAxis = 0
    stride: PerAxis = 1
    transposed = False

    def _validate(self) -> None:
        _ndim(self.ndim)
        for name, least, most in (("kernel_size", 1, None), ("dilation", 1, None), ("stride", 1, None),
                                  ("padding", 0, MAX_PADDING)):
            args = (name, getattr(self, name), self.ndim, least) + ((most,) if most else ())
            object.__setattr__(self, name, _per_axis(*args))

    def _blocks(self, size: tuple[int, ...], field: str) -> tuple[int, ...]:
        found = blocks(size, self.kernel_size, self.dilation, self.padding, self.stride)  # type: ignore[arg-type]
        for axis, n in enumerate(found):
            if n < 1:
                raise SpecError(f"{field}: {tuple(size)} with kernel_size {self.kernel_size}, dilation "
                                f"{self.dilation}, padding {self.padding} and stride {self.stride} leaves no "
                                f"sliding block on spatial axis {axis + 1} (PyTorch refuses it)")
        return found

    def _describe(self) -> str:
        def axes(v: tuple[int, ...]) -> str:
            return str(v[0]) if len(set(v)) == 1 else "x".join(map(str, v))
        return (f"{self.ndim}d_k{axes(self.kernel_size)}_s{axes(self.stride)}_p{axes(self.padding)}"  # type: ignore
                f"_d{axes(self.dilation)}")  # type: ignore[arg-type]


@dataclass(frozen=True)
class UnfoldSpec(_WindowSpec):
    """PyTorch's ``F.unfold(x, kernel_size, dilation, padding, stride)``: every sliding block of x as a column."""

    op = "unfold"

    def __post_init__(self) -> None:
        self._validate()

    def output_size(self, input_size: tuple[int, ...]) -> tuple[int, ...]:
        """The blocks per axis (the unflattened view's L...; PyTorch's last axis has their product)."""
        if len(input_size) != self.ndim or not all(_is_int(n) and n >= 1 for n in input_size):
            raise SpecError(f"input size must be {self.ndim} positive integers, got {tuple(input_size)}")
        return self._blocks(tuple(input_size), "input size")

    def input_view(self, shape: tuple[int, ...]) -> tuple[int, ...]:
        """PyTorch's input shape, (N, C, H...) or unbatched (C, H...), as (N, C, H...); refused as F.unfold
        refuses it (an empty axis other than the batch, no block)."""
        shape = _batched(shape, self.ndim + 2, "unfold")
        self.output_size(shape[2:])
        return shape

    def describe(self) -> str:
        return "unfold_" + self._describe()


@dataclass(frozen=True)
class FoldSpec(_WindowSpec):
    """PyTorch's ``F.fold(y, output_size, kernel_size, dilation, padding, stride)``: columns summed back into
    an image of ``output_size``, overlapping windows adding up."""

    output_size_: PerAxis = 1
    op = "fold"

    def __init__(self, ndim: int = 2, output_size: PerAxis = 1, kernel_size: PerAxis = 1, dilation: PerAxis = 1,
                 padding: PerAxis = 0, stride: PerAxis = 1, output_size_: PerAxis | None = None) -> None:
        # PyTorch's argument order (output_size before kernel_size); the field is output_size_ because
        # output_size(input_size) is every spec's method (dataclasses.replace passes it by that name).
        output_size = output_size if output_size_ is None else output_size_
        for name, value in (("ndim", ndim), ("kernel_size", kernel_size), ("dilation", dilation),
                            ("padding", padding), ("stride", stride), ("output_size_", output_size)):
            object.__setattr__(self, name, value)
        self._validate()
        object.__setattr__(self, "output_size_", _per_axis("output_size", output_size, self.ndim, 1, MAX_SIZE))
        self._blocks(self.output_size_, "output_size")  # type: ignore[arg-type]

    @property
    def blocks(self) -> tuple[int, ...]:
        return blocks(self.output_size_, self.kernel_size, self.dilation, self.padding,  # type: ignore[arg-type]
                      self.stride)  # type: ignore[arg-type]

    def output_size(self, input_size: tuple[int, ...] = ()) -> tuple[int, ...]:
        """The image's size (fixed by the spec; ``input_size``, the kernel and block axes, must match)."""
        want = tuple(self.kernel_size) + self.blocks  # type: ignore[arg-type]
        if input_size and tuple(input_size) != want:
            raise SpecError(f"input size: fold to {self.output_size_} takes kernel and block axes {want}, "
                            f"got {tuple(input_size)}")
        return tuple(self.output_size_)  # type: ignore[arg-type]

    def input_view(self, shape: tuple[int, ...]) -> tuple[int, ...]:
        """PyTorch's input shape, (N, C·∏K, ∏L) or unbatched (C·∏K, ∏L), as the unflattened (N, C, K..., L...);
        refused as F.fold refuses it (channels not divisible by ∏K, another number of blocks)."""
        n, cols, blocks = _batched(shape, 3, "fold")
        per = 1
        for k in self.kernel_size:  # type: ignore[union-attr]
            per *= k
        if cols % per:
            raise SpecError(f"input: dimension 1 ({cols}) must be divisible by the product of kernel_size "
                            f"{self.kernel_size} ({per})")
        want = 1
        for b in self.blocks:
            want *= b
        if blocks != want:
            raise SpecError(f"input: dimension 2 ({blocks}) must match the calculated number of sliding blocks "
                            f"{' * '.join(map(str, self.blocks))} = {want}")
        return (n, cols // per) + tuple(self.kernel_size) + self.blocks  # type: ignore[arg-type]

    def describe(self) -> str:
        o = self.output_size_
        return f"fold_o{o[0] if len(set(o)) == 1 else 'x'.join(map(str, o))}_" + self._describe()  # type: ignore
