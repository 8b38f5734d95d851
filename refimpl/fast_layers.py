"""Fast convolution and max pooling (CS231n ``fast_layers.py``): the naive layers' contract, computed
with strided views of the input (im2col without copying windows one by one) and one matrix
product, so BLAS does the arithmetic.
"""
import numpy as np
from numpy.lib.stride_tricks import as_strided

from . import _validate as v
from .conv import _conv_args, _pad, _pool_args


def _windows(x, hh, ww, stride, h_out, w_out):
    """A read-only view (N, C, hh, ww, h_out, w_out) of every window of x (N, C, H, W)."""
    sn, sc, sh, sw = x.strides
    return as_strided(x, x.shape[:2] + (hh, ww, h_out, w_out),
                      (sn, sc, sh, sw, sh * stride, sw * stride), writeable=False)


def conv_forward_fast(x, w, b, conv_param):
    """As conv_forward_naive: x (N, C, H, W), w (F, C, HH, WW), b (F,) -> out (N, F, H', W')."""
    x, w, b, stride, pad, h_out, w_out = _conv_args(x, w, b, conv_param)
    f, _, hh, ww = w.shape
    n = x.shape[0]
    # cols: (C*HH*WW, N*H'*W'), one column per output position
    cols = _windows(_pad(x, pad), hh, ww, stride, h_out, w_out).transpose(1, 2, 3, 0, 4, 5)
    cols = np.ascontiguousarray(cols).reshape(-1, n * h_out * w_out)
    out = (w.reshape(f, -1) @ cols).reshape(f, n, h_out, w_out).transpose(1, 0, 2, 3) + b[:, None, None]
    return np.ascontiguousarray(out), (x.shape, w, stride, pad, cols)


def conv_backward_fast(dout, cache):
    """As conv_backward_naive: dx (N, C, H, W), dw (F, C, HH, WW), db (F,)."""
    x_shape, w, stride, pad, cols = cache
    n, c, h, wd = x_shape
    f, _, hh, ww = w.shape
    h_out, w_out = 1 + (h + 2 * pad - hh) // stride, 1 + (wd + 2 * pad - ww) // stride
    dout = v.floats("dout", dout, ndim=4)
    v.shape("dout", dout, (n, f, h_out, w_out), " (the forward's output)")
    dout_rows = dout.transpose(1, 0, 2, 3).reshape(f, -1)
    dw = (dout_rows @ cols.T).reshape(w.shape)
    dcols = (w.reshape(f, -1).T @ dout_rows).reshape(c, hh, ww, n, h_out, w_out)
    dxp = np.zeros((n, c, h + 2 * pad, wd + 2 * pad), dtype=dcols.dtype)
    for i in range(hh):  # col2im: each kernel offset adds its strided grid of gradients
        for j in range(ww):
            dxp[:, :, i:i + stride * h_out:stride, j:j + stride * w_out:stride] += dcols[:, i, j].transpose(1, 0, 2, 3)
    return dxp[:, :, pad:pad + h, pad:pad + wd].copy(), dw, dout.sum(axis=(0, 2, 3))


def max_pool_forward_fast(x, pool_param):
    """As max_pool_forward_naive: x (N, C, H, W) -> out (N, C, H', W')."""
    x, ph, pw, stride, h_out, w_out = _pool_args(x, pool_param)
    windows = _windows(x, ph, pw, stride, h_out, w_out)
    flat = windows.transpose(0, 1, 4, 5, 2, 3).reshape(x.shape[:2] + (h_out, w_out, ph * pw))
    first = flat.argmax(axis=-1)  # among ties, the first in row-major order (as torch)
    out = np.take_along_axis(flat, first[..., None], axis=-1)[..., 0]
    return out, (x.shape, first, (ph, pw, stride))


def max_pool_backward_fast(dout, cache):
    """As max_pool_backward_naive: each window's gradient to its first maximum; overlaps add up."""
    x_shape, first, (ph, pw, stride) = cache
    dout = v.floats("dout", dout, ndim=4)
    v.shape("dout", dout, first.shape, " (the forward's output)")
    h_out, w_out = first.shape[2:]
    dx = np.zeros(x_shape, dtype=dout.dtype)
    for k in range(ph * pw):
        i, j = divmod(k, pw)
        dx[:, :, i:i + stride * h_out:stride, j:j + stride * w_out:stride] += np.where(first == k, dout, 0)
    return dx
