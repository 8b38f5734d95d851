"""Convolution and max pooling on NCHW arrays, the loop-over-output-positions references
(CS231n ``layers.py``).

Output sizes: ``H' = 1 + (H + 2*pad - HH) // stride`` (floor, as torch), same for the width.
"""
import numpy as np

from . import _validate as v


def _window_count(name, size, window, stride):
    if window > size:
        raise ValueError(f"{name}: window {window} is larger than the (padded) input {size}")
    return 1 + (size - window) // stride


def _conv_args(x, w, b, conv_param):
    x = v.floats("x", x, ndim=4)
    w = v.floats("w", w, ndim=4)
    b = v.floats("b", b, ndim=1)
    if w.shape[1] != x.shape[1]:
        raise ValueError(f"w must have x's {x.shape[1]} channels in axis 1, got w {w.shape} for x {x.shape}")
    v.shape("b", b, (w.shape[0],), f" (one bias per filter of w {w.shape})")
    conv_param = v.params("conv_param", conv_param, required=True)
    stride = v.whole("conv_param['stride']", conv_param.get("stride"), minimum=1)
    pad = v.whole("conv_param['pad']", conv_param.get("pad"), minimum=0)
    h_out = _window_count(f"w {w.shape} height vs x {x.shape} with pad {pad}", x.shape[2] + 2 * pad,
                          w.shape[2], stride)
    w_out = _window_count(f"w {w.shape} width vs x {x.shape} with pad {pad}", x.shape[3] + 2 * pad,
                          w.shape[3], stride)
    return x, w, b, stride, pad, h_out, w_out


def _pad(x, pad):
    return np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))


@v.float16_as_float32
def conv_forward_naive(x, w, b, conv_param):
    """Cross-correlation (no kernel flip, as torch) of x (N, C, H, W) with w (F, C, HH, WW) plus b (F,).

    conv_param: 'stride' (>= 1) and 'pad' (>= 0, zeros on every side). Returns out (N, F, H', W').
    torch: ``F.conv2d(x, w, b, stride=stride, padding=pad)``.
    """
    x, w, b, stride, pad, h_out, w_out = _conv_args(x, w, b, conv_param)
    xp = _pad(x, pad)
    hh, ww = w.shape[2:]
    out = np.empty((x.shape[0], w.shape[0], h_out, w_out), dtype=np.result_type(x, w, b))
    for i in range(h_out):
        for j in range(w_out):
            window = xp[:, :, i * stride:i * stride + hh, j * stride:j * stride + ww]
            out[:, :, i, j] = np.tensordot(window, w, axes=([1, 2, 3], [1, 2, 3])) + b
    return out, (x, w, stride, pad)


@v.float16_as_float32
def conv_backward_naive(dout, cache):
    """Gradients of conv_forward_naive: dx (N, C, H, W), dw (F, C, HH, WW), db (F,)."""
    x, w, stride, pad = cache
    dout = v.floats("dout", dout, ndim=4)
    xp = _pad(x, pad)
    hh, ww = w.shape[2:]
    h_out = 1 + (xp.shape[2] - hh) // stride
    w_out = 1 + (xp.shape[3] - ww) // stride
    v.shape("dout", dout, (x.shape[0], w.shape[0], h_out, w_out), " (the forward's output)")
    dxp = np.zeros_like(xp, dtype=np.result_type(xp, dout))
    dw = np.zeros_like(w, dtype=np.result_type(w, dout))
    for i in range(h_out):
        for j in range(w_out):
            rows = slice(i * stride, i * stride + hh)
            cols = slice(j * stride, j * stride + ww)
            g = dout[:, :, i, j]  # (N, F)
            dw += np.tensordot(g, xp[:, :, rows, cols], axes=([0], [0]))
            dxp[:, :, rows, cols] += np.tensordot(g, w, axes=([1], [0]))
    dx = dxp[:, :, pad:pad + x.shape[2], pad:pad + x.shape[3]]
    return dx, dw, dout.sum(axis=(0, 2, 3))


def _pool_args(x, pool_param):
    x = v.floats("x", x, ndim=4)
    pool_param = v.params("pool_param", pool_param, required=True)
    ph = v.whole("pool_param['pool_height']", pool_param.get("pool_height"), minimum=1)
    pw = v.whole("pool_param['pool_width']", pool_param.get("pool_width"), minimum=1)
    stride = v.whole("pool_param['stride']", pool_param.get("stride"), minimum=1)
    h_out = _window_count(f"pool height vs x {x.shape}", x.shape[2], ph, stride)
    w_out = _window_count(f"pool width vs x {x.shape}", x.shape[3], pw, stride)
    return x, ph, pw, stride, h_out, w_out


@v.float16_as_float32
def max_pool_forward_naive(x, pool_param):
    """Max over pool_height x pool_width windows of x (N, C, H, W) every 'stride' pixels, no padding.

    Windows overlap when stride < pool size. torch: ``F.max_pool2d(x, (ph, pw), stride)``.
    """
    x, ph, pw, stride, h_out, w_out = _pool_args(x, pool_param)
    out = np.empty(x.shape[:2] + (h_out, w_out), dtype=x.dtype)
    for i in range(h_out):
        for j in range(w_out):
            out[:, :, i, j] = x[:, :, i * stride:i * stride + ph, j * stride:j * stride + pw].max(axis=(2, 3))
    # the sizes as read now: a caller changing pool_param before the backward changes nothing
    return out, (x, {"pool_height": ph, "pool_width": pw, "stride": stride})


@v.float16_as_float32
def max_pool_backward_naive(dout, cache):
    """Each window's gradient goes to its maximum (among ties: the first in row-major order, as
    torch; a NaN counts as the maximum); overlapping windows add up. Returns dx (N, C, H, W)."""
    x, pool_param = cache
    x, ph, pw, stride, h_out, w_out = _pool_args(x, pool_param)
    dout = v.floats("dout", dout, ndim=4)
    v.shape("dout", dout, x.shape[:2] + (h_out, w_out), " (the forward's output)")
    n, c = x.shape[:2]
    dx = np.zeros_like(x, dtype=np.result_type(x, dout))
    nn, cc = np.meshgrid(np.arange(n), np.arange(c), indexing="ij")
    for i in range(h_out):
        for j in range(w_out):
            window = x[:, :, i * stride:i * stride + ph, j * stride:j * stride + pw]
            di, dj = np.divmod(window.reshape(n, c, ph * pw).argmax(axis=2), pw)
            dx[nn, cc, i * stride + di, j * stride + dj] += dout[:, :, i, j]
    return dx
