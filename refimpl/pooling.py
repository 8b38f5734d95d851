"""Average pooling and transposed convolution on NCHW arrays.

Both loop over the window (kernel) offsets, not over output positions: each offset is one strided
slice of the whole batch, so the loops are as short as the window is small. Sizes (pool sizes,
stride, pad, output_padding) are whole numbers (2.0 is 2, 1.5 an error); float16 is computed in
float32 and returned as float16.
"""
import numpy as np

from . import _validate as v
from .conv import _window_count


def _pool_args(x, pool_param):
    x = v.floats("x", x, ndim=4)
    pool_param = v.params("pool_param", pool_param, required=True)
    ph = v.whole("pool_param['pool_height']", pool_param.get("pool_height"), minimum=1)
    pw = v.whole("pool_param['pool_width']", pool_param.get("pool_width"), minimum=1)
    stride = v.whole("pool_param['stride']", pool_param.get("stride"), minimum=1)
    pad = v.whole("pool_param['pad']", pool_param.get("pad", 0), minimum=0)
    if pad > ph // 2 or pad > pw // 2:
        raise ValueError(f"pool_param['pad'] {pad} must be at most half the window "
                         f"({ph} x {pw}), as torch's avg_pool2d requires")
    h_out = _window_count(f"pool height vs x {x.shape} with pad {pad}", x.shape[2] + 2 * pad, ph, stride)
    w_out = _window_count(f"pool width vs x {x.shape} with pad {pad}", x.shape[3] + 2 * pad, pw, stride)
    return x, ph, pw, stride, pad, h_out, w_out


def _offsets(ph, pw, stride, h_out, w_out):
    """(slice of rows, slice of columns) of the padded input that each window offset reads."""
    for di in range(ph):
        for dj in range(pw):
            yield (slice(di, di + stride * (h_out - 1) + 1, stride), slice(dj, dj + stride * (w_out - 1) + 1, stride))


@v.float16_as_float32
def avg_pool_forward(x, pool_param):
    """Mean over pool_height x pool_width windows of x (N, C, H, W), every 'stride' pixels, after
    padding every side with 'pad' zeros (default 0, at most half the window, as torch).

    The padded zeros count: every window divides by pool_height * pool_width (torch's
    count_include_pad=True). H' = 1 + (H + 2*pad - pool_height) // stride. Returns out (N, C, H', W').
    torch: ``F.avg_pool2d(x, (ph, pw), stride, pad, count_include_pad=True)``.
    """
    x, ph, pw, stride, pad, h_out, w_out = _pool_args(x, pool_param)
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    out = np.zeros(x.shape[:2] + (h_out, w_out), dtype=x.dtype)
    for rows, cols in _offsets(ph, pw, stride, h_out, w_out):
        out += xp[:, :, rows, cols]
    return out / x.dtype.type(ph * pw), (x.shape, x.dtype, ph, pw, stride, pad)


@v.float16_as_float32
def avg_pool_backward(dout, cache):
    """Each window's gradient spread evenly over its ph * pw cells (padding included, then cut
    off); overlapping windows add up. Returns dx (N, C, H, W)."""
    shape, dtype, ph, pw, stride, pad = cache
    h_out = 1 + (shape[2] + 2 * pad - ph) // stride
    w_out = 1 + (shape[3] + 2 * pad - pw) // stride
    dout = v.floats("dout", dout, ndim=4)
    v.shape("dout", dout, shape[:2] + (h_out, w_out), " (the forward's output)")
    share = dout / np.result_type(dtype, dout).type(ph * pw)
    dxp = np.zeros(shape[:2] + (shape[2] + 2 * pad, shape[3] + 2 * pad), dtype=np.result_type(dtype, dout))
    for rows, cols in _offsets(ph, pw, stride, h_out, w_out):
        dxp[:, :, rows, cols] += share
    return dxp[:, :, pad:pad + shape[2], pad:pad + shape[3]].copy()


def _transpose_args(x, w, b, conv_param):
    x = v.floats("x", x, ndim=4)
    w = v.floats("w", w, ndim=4)
    b = v.floats("b", b, ndim=1)
    if w.shape[0] != x.shape[1]:
        raise ValueError(f"w must be (C_in, C_out, HH, WW) with x's {x.shape[1]} channels in axis 0, "
                         f"got w {w.shape} for x {x.shape}")
    v.shape("b", b, (w.shape[1],), f" (one bias per output channel of w {w.shape})")
    conv_param = v.params("conv_param", conv_param, required=True)
    stride = v.whole("conv_param['stride']", conv_param.get("stride"), minimum=1)
    pad = v.whole("conv_param['pad']", conv_param.get("pad"), minimum=0)
    extra = v.whole("conv_param['output_padding']", conv_param.get("output_padding", 0), minimum=0)
    if extra >= stride:
        raise ValueError(f"conv_param['output_padding'] {extra} must be smaller than the stride {stride}, "
                         "as torch requires")
    h_out = (x.shape[2] - 1) * stride - 2 * pad + w.shape[2] + extra
    w_out = (x.shape[3] - 1) * stride - 2 * pad + w.shape[3] + extra
    if h_out < 1 or w_out < 1:
        raise ValueError(f"conv_param['pad'] {pad} leaves no output for x {x.shape} and w {w.shape} "
                         f"(output {h_out} x {w_out})")
    return x, w, b, stride, pad, extra, h_out, w_out


def _canvas_shape(x_shape, w_shape, stride, extra):
    """Every position the scatter writes to (before pad is cut off), plus output_padding."""
    return tuple((x_shape[k] - 1) * stride + w_shape[k] + extra for k in (2, 3))


@v.float16_as_float32
def conv_transpose_forward(x, w, b, conv_param):
    """Transposed convolution (the gradient of conv2d with respect to its input, as a layer):
    every input pixel x[n, c, i, j] adds x[n, c, i, j] * w[c, :, :, :] to the output window at
    (i*stride - pad, j*stride - pad), plus b.

    x (N, C, H, W), w (C, F, HH, WW): torch's layout (in, out), not conv2d's (out, in); b (F,).
    conv_param: 'stride' (>= 1), 'pad' (>= 0, cut from every side), 'output_padding' (default 0,
    < stride: extra rows and columns at the bottom and right). H' = (H - 1) * stride - 2*pad + HH +
    output_padding. Returns out (N, F, H', W').
    torch: ``F.conv_transpose2d(x, w, b, stride, padding=pad, output_padding=output_padding)``.
    """
    x, w, b, stride, pad, extra, h_out, w_out = _transpose_args(x, w, b, conv_param)
    dtype = np.result_type(x, w, b)
    canvas = np.zeros((x.shape[0], w.shape[1]) + _canvas_shape(x.shape, w.shape, stride, extra), dtype=dtype)
    h, wd = x.shape[2:]
    for kh in range(w.shape[2]):
        for kw in range(w.shape[3]):
            rows, cols = slice(kh, kh + stride * (h - 1) + 1, stride), slice(kw, kw + stride * (wd - 1) + 1, stride)
            canvas[:, :, rows, cols] += np.moveaxis(np.tensordot(x, w[:, :, kh, kw], axes=([1], [0])), 3, 1)
    out = canvas[:, :, pad:pad + h_out, pad:pad + w_out] + b[None, :, None, None]
    return out, (x, w, stride, pad, extra)


@v.float16_as_float32
def conv_transpose_backward(dout, cache):
    """Gradients of conv_transpose_forward: dx (N, C, H, W), dw (C, F, HH, WW), db (F,)."""
    x, w, stride, pad, extra = cache
    dout = v.floats("dout", dout, ndim=4)
    canvas_shape = _canvas_shape(x.shape, w.shape, stride, extra)
    out_shape = tuple(s - 2 * pad for s in canvas_shape)
    v.shape("dout", dout, (x.shape[0], w.shape[1]) + out_shape, " (the forward's output)")
    dtype = np.result_type(x, w, dout)
    dcanvas = np.zeros((x.shape[0], w.shape[1]) + canvas_shape, dtype=dtype)
    dcanvas[:, :, pad:pad + out_shape[0], pad:pad + out_shape[1]] = dout
    dx, dw = np.zeros(x.shape, dtype=dtype), np.zeros(w.shape, dtype=dtype)
    h, wd = x.shape[2:]
    for kh in range(w.shape[2]):
        for kw in range(w.shape[3]):
            rows, cols = slice(kh, kh + stride * (h - 1) + 1, stride), slice(kw, kw + stride * (wd - 1) + 1, stride)
            window = dcanvas[:, :, rows, cols]  # (N, F, H, W): what x[:, :, i, j] reached through w[:, :, kh, kw]
            dx += np.moveaxis(np.tensordot(window, w[:, :, kh, kw], axes=([1], [1])), 3, 1)
            dw[:, :, kh, kw] = np.tensordot(x, window, axes=([0, 2, 3], [0, 2, 3]))
    return dx, dw, dout.sum(axis=(0, 2, 3))
