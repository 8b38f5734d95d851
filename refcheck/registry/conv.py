"""Rows for convolution and max pooling."""

from ..cases import Property, generator
from . import _properties as props
from . import backward, forward


@generator(N=(1, 3), C=(1, 3), F=(1, 4), HH=(1, 4), WW=(1, 4), pad=(0, 2), stride=(1, 3),
           dh=(0, 5), dw=(0, 5), edges={
               "pad_zero": {"pad": 0}, "stride_two": {"stride": 2, "dh": 4, "dw": 3},
               "one_by_one": {"HH": 1, "WW": 1}, "full_window": {"pad": 0, "dh": 0, "dw": 0},
               "one_sample": {"N": 1},
               # the most common CNN layer (VGG's "same" 3x3) and a "valid" one with odd outputs:
               # the shapes Winograd F(2x2, 3x3) computes
               "three_by_three": {"HH": 3, "WW": 3, "stride": 1, "pad": 1, "C": 3, "F": 4, "dh": 4, "dw": 5},
               "three_by_three_valid": {"HH": 3, "WW": 3, "stride": 1, "pad": 0, "dh": 4, "dw": 1}})
def conv(c):
    """H = max(1, HH - 2*pad) + dh, so every combination of sizes is a valid convolution."""
    h, w = max(1, c.HH - 2 * c.pad) + c.dh, max(1, c.WW - 2 * c.pad) + c.dw
    h_out, w_out = 1 + (h + 2 * c.pad - c.HH) // c.stride, 1 + (w + 2 * c.pad - c.WW) // c.stride
    x = c.randn(c.N, c.C, h, w)
    wts = c.randn(c.F, c.C, c.HH, c.WW)
    return (dict(x=x, w=wts, b=c.randn(c.F), conv_param={"stride": c.stride, "pad": c.pad}),
            dict(dout=c.grad(c.N, c.F, h_out, w_out)))


def _hw(v):
    return v.args["x"].shape[-2:]


conv.declare(
    props.zero("pad", "pad = 0", "pad > 0"),
    props.remainder(_hw, lambda v: v.args["w"].shape[-2:], lambda v: v.pad, lambda v: v.stride,
                    vary=("dh", "dw", "stride")),
    props.non_square(_hw, "input (H != W)", vary=("dh", "dw")),
    props.non_square(lambda v: (v.HH, v.WW), "kernel (HH != WW)", vary=("HH", "WW")),
    Property("stride > 1", "stride = 1", lambda v: v.stride > 1, vary=("stride",)),
    props.one("N"))


@generator(N=(1, 3), C=(1, 3), ph=(1, 3), pw=(1, 3), stride=(1, 3), dh=(0, 5), dw=(0, 5), edges={
    "overlap": {"ph": 3, "pw": 2, "stride": 1}, "stride_two": {"ph": 2, "pw": 2, "stride": 2},
    "ties": {"ph": 2, "pw": 2, "stride": 2}, "ties_overlap": {"ph": 3, "pw": 3, "stride": 1},
    "one_pixel": {"ph": 1, "pw": 1, "stride": 1}})
def pool(c):
    """H = pool_height + dh. The ties edges draw x from {0, 1, 2} so that windows hold several
    maxima (any one of them may take the gradient)."""
    h, w = c.ph + c.dh, c.pw + c.dw
    h_out, w_out = 1 + (h - c.ph) // c.stride, 1 + (w - c.pw) // c.stride
    if c.edge in ("ties", "ties_overlap"):
        x = c.cast(c.rng.integers(0, 3, size=(c.N, c.C, h, w)))
    else:
        x = c.randn(c.N, c.C, h, w)
    param = {"pool_height": c.ph, "pool_width": c.pw, "stride": c.stride}
    return dict(x=x, pool_param=param), dict(dout=c.grad(c.N, c.C, h_out, w_out))


def _tied_window(v):
    """Some pooling window holds its maximum more than once."""
    x, p = v.args["x"], v.args["pool_param"]
    ph, pw, s = p["pool_height"], p["pool_width"], p["stride"]
    for i in range(0, x.shape[2] - ph + 1, s):
        for j in range(0, x.shape[3] - pw + 1, s):
            window = x[:, :, i:i + ph, j:j + pw].reshape(x.shape[0], x.shape[1], -1)
            if ((window == window.max(axis=2, keepdims=True)).sum(axis=2) > 1).any():
                return True
    return False


pool.declare(
    Property("the windows overlap (stride < pool size)", "the windows do not overlap",
             lambda v: v.stride < max(v.ph, v.pw), vary=("stride", "ph", "pw")),
    Property("a window holds tied maxima", "no window holds tied maxima", _tied_window, edges=("seed",)),
    props.remainder(_hw, lambda v: (v.ph, v.pw), lambda v: 0, lambda v: v.stride, vary=("dh", "dw", "stride"),
                    sizes=("H - pool_height", "W - pool_width")),
    props.non_square(lambda v: (v.ph, v.pw), "window (pool_height != pool_width)", vary=("ph", "pw")),
    props.non_square(_hw, "input (H != W)", vary=("dh", "dw")))


ROWS = [
    forward("conv_forward_naive(x, w, b, conv_param) -> out, cache", conv, "conv:conv"),
    backward("conv_backward_naive(dout, cache) -> dx, dw, db", conv, "conv:conv", "conv_forward_naive"),
    forward("max_pool_forward_naive(x, pool_param) -> out, cache", pool, "conv:max_pool"),
    backward("max_pool_backward_naive(dout, cache) -> dx", pool, "conv:max_pool", "max_pool_forward_naive"),
    forward("conv_forward_fast(x, w, b, conv_param) -> out, cache", conv, "conv:conv"),
    backward("conv_backward_fast(dout, cache) -> dx, dw, db", conv, "conv:conv", "conv_forward_fast"),
    forward("max_pool_forward_fast(x, pool_param) -> out, cache", pool, "conv:max_pool"),
    backward("max_pool_backward_fast(dout, cache) -> dx", pool, "conv:max_pool", "max_pool_forward_fast"),
]
