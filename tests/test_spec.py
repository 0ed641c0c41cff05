import pytest

from symconv import ConvSpec, SpecError, SymconvError


def test_fields_are_normalised_and_hashable():
    a = ConvSpec(2, 2, 3, padding=1)
    b = ConvSpec(2, 2, (3, 3), padding=(1, 1), stride=[1, 1])
    assert a == b and hash(a) == hash(b)
    assert a.kernel_size == (3, 3) and a.pads == ((1, 1), (1, 1))


@pytest.mark.parametrize("padding,kernel,dilation,pads", [
    ("valid", 3, 1, ((0, 0),)),
    ("full", 3, 2, ((4, 4),)),
    ("same", 3, 1, ((1, 1),)),
    ("same", 4, 1, ((1, 2),)),     # PyTorch: the odd zero goes at the end
    ("same", 2, 3, ((1, 2),)),
])
def test_named_padding(padding, kernel, dilation, pads):
    assert ConvSpec(1, 1, kernel, padding=padding, dilation=dilation, ndim=1).pads == pads


def test_output_size_matches_the_formula():
    spec = ConvSpec(1, 1, 3, stride=2, padding=1, dilation=2, ndim=1)
    assert spec.output_size((10,)) == ((10 + 2 - 2 * 2 - 1) // 2 + 1,)


@pytest.mark.parametrize("kwargs,pattern", [
    (dict(stride=0), r"^stride must be a positive integer or one per spatial axis \(2 here\), got 0$"),
    (dict(stride=(1, 2, 3)), r"^stride must be .* got \(1, 2, 3\)$"),
    (dict(kernel_size=0), r"^kernel_size must be a positive integer"),
    (dict(dilation=-1), r"^dilation must be a positive integer"),
    (dict(padding=-1), r"^padding must be a non-negative integer"),
    (dict(padding="half"), r"^padding must be an integer, one per axis, or one of valid, same, full; got 'half'$"),
    (dict(padding="same", stride=2), r"^padding 'same' needs stride 1"),
    (dict(ndim=4), r"^ndim must be 1, 2 or 3, got 4$"),
    (dict(groups=0), r"^groups must be a positive integer, got 0$"),
    (dict(groups=3), r"^in_channels must be divisible by groups \(3\), got 2$"),
    (dict(in_channels=0), r"^in_channels must be a positive integer, got 0$"),
    (dict(out_channels=True), r"^out_channels must be a positive integer, got True$"),
    (dict(bias="yes"), r"^bias must be true or false, got 'yes'$"),
])
def test_spec_errors_name_the_field(kwargs, pattern):
    args = dict(in_channels=2, out_channels=2, kernel_size=3) | kwargs
    with pytest.raises(SpecError, match=pattern):
        ConvSpec(**args)


def test_kernel_larger_than_padded_input():
    with pytest.raises(SymconvError, match=r"^kernel_size: the dilated kernel \(5\) is larger"):
        ConvSpec(1, 1, 3, dilation=2, ndim=1).output_size((4,))
