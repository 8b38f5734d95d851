"""Fast convolution and max pooling (CS231n ``fast_layers.py``): the naive layers' contract, computed
with strided views of the input (im2col without copying windows one by one) and one matrix
product, so BLAS does the arithmetic.
"""
import itertools

import numpy as np
from numpy.lib.stride_tricks import as_strided

from . import _validate as v
from .conv import _conv_args, _pad, _pool_args


def _windows(x, hh, ww, stride, h_out, w_out):
    """A read-only view (N, C, hh, ww, h_out, w_out) of every window of x (N, C, H, W)."""
    sn, sc, sh, sw = x.strides
    return as_strided(x, x.shape[:2] + (hh, ww, h_out, w_out),
                      (sn, sc, sh, sw, sh * stride, sw * stride), writeable=False)


@v.float16_as_float32
def conv_forward_fast(x, w, b, conv_param):
    """As conv_forward_naive: x (N, C, H, W), w (F, C, HH, WW), b (F,) -> out (N, F, H', W')."""
    x, w, b, stride, pad, h_out, w_out = _conv_args(x, w, b, conv_param)
    f, _, hh, ww = w.shape
    n = x.shape[0]
    # cols: (C*HH*WW, N*H'*W'), one column per output position
    cols = _windows(_pad(x, pad), hh, ww, stride, h_out, w_out).transpose(1, 2, 3, 0, 4, 5)
    cols = np.ascontiguousarray(cols).reshape(x.shape[1] * hh * ww, n * h_out * w_out)
    out = np.empty((n, f, h_out, w_out), dtype=np.result_type(x, w, b))
    # the bias is added while the product moves from (F, N, ...) to the (N, F, ...) layout: one pass
    np.add((w.reshape(f, -1) @ cols).reshape(f, n, h_out, w_out).transpose(1, 0, 2, 3), b[:, None, None], out=out)
    return out, (x.shape, w, stride, pad, cols)


@v.float16_as_float32
def conv_backward_fast(dout, cache):
    """As conv_backward_naive: dx (N, C, H, W), dw (F, C, HH, WW), db (F,)."""
    x_shape, w, stride, pad, cols = cache
    n, c, h, wd = x_shape
    f, _, hh, ww = w.shape
    h_out, w_out = 1 + (h + 2 * pad - hh) // stride, 1 + (wd + 2 * pad - ww) // stride
    dout = v.floats("dout", dout, ndim=4)
    v.shape("dout", dout, (n, f, h_out, w_out), " (the forward's output)")
    dout_rows = dout.transpose(1, 0, 2, 3).reshape(f, n * h_out * w_out)
    dw = (dout_rows @ cols.T).reshape(w.shape)
    dcols = (w.reshape(f, -1).T @ dout_rows).reshape(c, hh, ww, n, h_out, w_out)
    dxp = np.zeros((n, c, h + 2 * pad, wd + 2 * pad), dtype=dcols.dtype)
    for i in range(hh):  # col2im: each kernel offset adds its strided grid of gradients
        for j in range(ww):
            dxp[:, :, i:i + stride * h_out:stride, j:j + stride * w_out:stride] += dcols[:, i, j].transpose(1, 0, 2, 3)
    return dxp[:, :, pad:pad + h, pad:pad + wd], dw, dout.sum(axis=(0, 2, 3))


def _tap(a, i, j, stride, h_out, w_out):
    """The (N, C, H', W') strided view of a holding each window's element at offset (i, j)."""
    return a[:, :, i:i + stride * (h_out - 1) + 1:stride, j:j + stride * (w_out - 1) + 1:stride]


def _cache_sized_batches(x, budget=1 << 18):
    """Slices of the batch whose part of x takes about ``budget`` bytes: every offset's pass over a
    slice then hits the cache instead of memory."""
    per = max(1, budget // max(1, x[:1].nbytes))
    return [slice(i, i + per) for i in range(0, len(x), per)]


@v.float16_as_float32
def max_pool_forward_fast(x, pool_param):
    """As max_pool_forward_naive: x (N, C, H, W) -> out (N, C, H', W'), as the running maximum over
    the pool_height * pool_width offsets of the windows (no window is copied)."""
    x, ph, pw, stride, h_out, w_out = _pool_args(x, pool_param)
    out = np.empty(x.shape[:2] + (h_out, w_out), dtype=x.dtype)
    for batch in _cache_sized_batches(x):
        xb, ob = x[batch], out[batch]
        np.copyto(ob, _tap(xb, 0, 0, stride, h_out, w_out))
        for i, j in itertools.product(range(ph), range(pw)):
            np.maximum(ob, _tap(xb, i, j, stride, h_out, w_out), out=ob)
    return out, (x, out, (ph, pw, stride))


@v.float16_as_float32
def max_pool_backward_fast(dout, cache):
    """As max_pool_backward_naive: the offsets are visited in row-major order and the first one
    holding a window's maximum takes its gradient (as torch); a NaN is the maximum of its window
    (np.maximum propagates it) and takes the gradient; overlapping windows add up."""
    x, out, (ph, pw, stride) = cache
    dout = v.floats("dout", dout, ndim=4)
    v.shape("dout", dout, out.shape, " (the forward's output)")
    h_out, w_out = out.shape[2:]
    dx = np.zeros(x.shape, dtype=dout.dtype)
    overlapping = stride < ph or stride < pw
    finite = np.isfinite(dout).all()
    for batch in _cache_sized_batches(x):
        xb, ob, gb, dxb = x[batch], out[batch], dout[batch], dx[batch]
        unclaimed = np.ones(ob.shape, dtype=bool)
        has_nan = np.isnan(ob).any()  # NaN == NaN is False: those windows are claimed by isnan
        for i, j in itertools.product(range(ph), range(pw)):
            tap = _tap(xb, i, j, stride, h_out, w_out)
            first = tap == ob
            if has_nan:
                first |= np.isnan(tap)
            first &= unclaimed
            unclaimed ^= first
            dx_tap = _tap(dxb, i, j, stride, h_out, w_out)
            if not finite:  # 0 * NaN is NaN: a non-finite dout must reach only the claiming offsets
                dx_tap += np.where(first, gb, 0)
            elif overlapping:
                dx_tap += gb * first  # dense products: much faster than masked scatters
            else:  # the offsets of disjoint windows never meet: write, do not add
                np.multiply(gb, first, out=dx_tap)
    return dx
