"""Oracles for average pooling and transposed convolution (NCHW): torch.nn.functional + autograd."""
import torch.nn.functional as F

from ._autograd import autograd


def avg_pool(x, pool_param, dout):
    """``F.avg_pool2d(x, (pool_height, pool_width), stride, padding=pad, count_include_pad=True)``
    (whole-number sizes such as 2.0 as ints: torch takes ints only)."""
    ph, pw, stride = (int(pool_param[k]) for k in ("pool_height", "pool_width", "stride"))
    pad = int(pool_param.get("pad", 0))
    return autograd(lambda x: F.avg_pool2d(x, (ph, pw), stride=stride, padding=pad, count_include_pad=True),
                    dict(x=x), ("out",), (dout,))


def conv_transpose(x, w, b, conv_param, dout):
    """``F.conv_transpose2d(x, w, b, stride, padding=pad, output_padding=output_padding)``: the
    same (C_in, C_out, HH, WW) weight layout as the contract (whole-number sizes as ints)."""
    stride, pad, extra = int(conv_param["stride"]), int(conv_param["pad"]), int(conv_param.get("output_padding", 0))
    return autograd(lambda x, w, b: F.conv_transpose2d(x, w, b, stride=stride, padding=pad, output_padding=extra),
                    dict(x=x, w=w, b=b), ("out",), (dout,))
