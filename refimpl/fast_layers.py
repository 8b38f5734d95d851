"""Fast convolution and max pooling (CS231n ``fast_layers.py``): the naive layers' contract,
computed so that BLAS does the arithmetic and both cores do the rest.

- 3x3 stride-1 convolutions (pad <= 2) with at least 32 channels in and out: Winograd
  F(2x2, 3x3), 2.25x fewer multiplies than im2col (refimpl._winograd).
- Every other convolution: im2col on the channel-major padded input (strided views, no window
  copied one by one) and one matrix product; dx's product and col2im run one slice of the batch
  at a time, so that col2im reads the product from the cache. A NaN or inf anywhere in x or w
  takes this path too (and a non-finite dout sends Winograd's backward to it): it propagates
  exactly as torch's products do, where Winograd's transforms would mix an inf with its
  neighbours (inf - inf) into NaNs that torch does not give.
- Max pooling: a running maximum over the window offsets, each a strided pass (no window copied);
  the backward finds each window's first maximum in one-byte passes and scatters the gradients
  in one np.bincount.

The passes that are not matrix products (im2col and col2im, the transforms, the transposes,
pooling) run on one slice of the batch or of the channels per thread (refimpl._threads: the
thread count follows REFIMPL_NUM_THREADS / OMP_NUM_THREADS; one thread runs everything in
order and gives the same bits); the products are BLAS's, which threads them itself.
"""
import itertools

import numpy as np
from numpy.lib.stride_tricks import as_strided

from . import _threads
from . import _validate as v
from . import _winograd as wino
from .conv import _conv_args, _pool_args


def _windows(x, hh, ww, stride, h_out, w_out):
    """A read-only view (N, C, hh, ww, h_out, w_out) of every window of x (N, C, H, W)."""
    sn, sc, sh, sw = x.strides
    return as_strided(x, x.shape[:2] + (hh, ww, h_out, w_out),
                      (sn, sc, sh, sw, sh * stride, sw * stride), writeable=False)


def _finite(*arrays):
    """True when no array holds a NaN or an inf (one summing pass each: a non-finite value makes
    the sum non-finite; a finite sum that overflows only sends the input to the exact path)."""
    with np.errstate(over="ignore", invalid="ignore"):
        return all(np.isfinite(np.sum(a)) for a in arrays)


def _padded(x, pad):
    """x (N, C, H, W) zero-padded and channel-major, (C, N, H + 2*pad, W + 2*pad): the layout of
    im2col's rows, so that no pass transposes (N, C) again. One slice of the batch per thread."""
    n, c, h, w = x.shape
    xp = np.zeros((c, n, h + 2 * pad, w + 2 * pad), dtype=x.dtype)

    def copy(s):
        np.copyto(xp[:, s, pad:pad + h, pad:pad + w], x[s].transpose(1, 0, 2, 3))
    _threads.split(copy, n, x.size)
    return xp


def _im2col(xp, hh, ww, stride, h_out, w_out):
    """cols (C*hh*ww, N*h_out*w_out) of the channel-major padded xp: one column per output position."""
    c, n = xp.shape[:2]
    cols = np.empty((c, hh, ww, n, h_out, w_out), dtype=xp.dtype)
    windows = _windows(xp, hh, ww, stride, h_out, w_out)  # (C, N, hh, ww, h_out, w_out)

    def copy(s):
        np.copyto(cols[s], windows[s].transpose(0, 2, 3, 1, 4, 5))
    _threads.split(copy, c, cols.size)
    return cols.reshape(c * hh * ww, n * h_out * w_out)


def _batch_first(y, b):
    """out (N, F, H', W') = y + b for the product's y (F, N, H', W'), one slice of the batch per thread."""
    out = np.empty((y.shape[1], y.shape[0]) + y.shape[2:], dtype=np.result_type(y, b))

    def move(s):
        np.add(y[:, s].transpose(1, 0, 2, 3), b[:, None, None], out=out[s])
    _threads.split(move, len(out), out.size)
    return out


def _path(x, w, stride, pad):
    """'winograd' or 'im2col': see the module's docstring."""
    if (w.shape[2:] == (3, 3) and stride == 1 and pad <= 2
            and min(x.shape[1], w.shape[0]) >= WINOGRAD_MIN_CHANNELS and _finite(x, w)):
        return "winograd"
    return "im2col"


# Below 32 channels in or out, the transforms (which grow with C + F) cost more than the 2.25x
# fewer multiplies (which grow with C * F) save: measured one thread, N=50, 32x32, 3x3, float32
# im2col / Winograd fwd+bwd: 13.5 / 53.5 ms at C = 3, F = 32; 98 / 99 ms at C = F = 32; at
# C = F = 64, 16x16: 96 / 54 ms.
WINOGRAD_MIN_CHANNELS = 32


@v.float16_as_float32
def conv_forward_fast(x, w, b, conv_param):
    """As conv_forward_naive: x (N, C, H, W), w (F, C, HH, WW), b (F,) -> out (N, F, H', W')."""
    x, w, b, stride, pad, h_out, w_out = _conv_args(x, w, b, conv_param)
    dtype = np.result_type(x, w, b)
    x, w = x.astype(dtype, copy=False), w.astype(dtype, copy=False)
    n, f = x.shape[0], w.shape[0]
    path = _path(x, w, stride, pad)
    if path == "winograd":
        th, tw = wino.tiles(h_out), wino.tiles(w_out)
        xt = wino.batch_last(x, pad, th + 1, tw + 1)
        y, tiles = wino.conv(xt, wino.filters(w), th, tw, n)
        return wino.batch_first(y, b, n, h_out, w_out), ("winograd", x, w, pad, tiles)
    hh, ww = w.shape[2:]
    cols = _im2col(_padded(x, pad), hh, ww, stride, h_out, w_out)
    y = (w.reshape(f, -1) @ cols).reshape(f, n, h_out, w_out)
    return _batch_first(y, b), ("im2col", x.shape, w, stride, pad, cols)


def _dout(dout, n, f, h_out, w_out):
    dout = v.floats("dout", dout, ndim=4)
    v.shape("dout", dout, (n, f, h_out, w_out), " (the forward's output)")
    return dout


@v.float16_as_float32
def conv_backward_fast(dout, cache):
    """As conv_backward_naive: dx (N, C, H, W), dw (F, C, HH, WW), db (F,)."""
    if cache[0] == "winograd":
        _, x, w, pad, tiles = cache
        n, c, h, wd = x.shape
        dout = _dout(dout, n, w.shape[0], h + 2 * pad - 2, wd + 2 * pad - 2)
        if _finite(dout):
            return _winograd_backward(dout, x, w, pad, tiles)
        cache = ("im2col", x.shape, w, 1, pad, _im2col(_padded(x, pad), 3, 3, 1, *dout.shape[2:]))
    _, x_shape, w, stride, pad, cols = cache
    n, c, h, wd = x_shape
    f, _, hh, ww = w.shape
    h_out, w_out = 1 + (h + 2 * pad - hh) // stride, 1 + (wd + 2 * pad - ww) // stride
    dout = _dout(dout, n, f, h_out, w_out)
    dtype = np.result_type(cols, dout)
    rows = np.empty((f, n, h_out, w_out), dtype=dtype)

    def transpose(s):
        np.copyto(rows[:, s], dout[s].transpose(1, 0, 2, 3))
    _threads.split(transpose, n, rows.size)
    dw = (rows.reshape(f, -1) @ cols.T).reshape(w.shape)
    wt = w.reshape(f, -1).T
    dxp = np.zeros((c, n, h + 2 * pad, wd + 2 * pad), dtype=dtype)  # channel-major, as cols
    # dcols = w.T @ rows one slice of the batch at a time, so that col2im reads it from the cache
    step = max(1, CHUNK_BYTES // max(1, cols.itemsize * cols.shape[0] * h_out * w_out))
    for start in range(0, n, step):
        batch = slice(start, min(start + step, n))
        dcols = (wt @ rows[:, batch].reshape(f, -1)).reshape(c, hh, ww, -1, h_out, w_out)
        target = dxp[:, batch]

        def col2im(s):  # each kernel offset adds its strided grid of gradients
            for i in range(hh):
                for j in range(ww):
                    target[:, s, i:i + stride * h_out:stride, j:j + stride * w_out:stride] += dcols[:, i, j, s]
        _threads.split(col2im, batch.stop - batch.start, dcols.size)
    dx = np.empty(x_shape, dtype=dtype)

    def move(s):
        np.copyto(dx[s], dxp[:, s, pad:pad + h, pad:pad + wd].transpose(1, 0, 2, 3))
    _threads.split(move, n, dx.size)
    return dx, dw, dout.sum(axis=(0, 2, 3))


CHUNK_BYTES = 1 << 22  # dcols of one slice of the batch: a few MB, read back from the cache


def _winograd_backward(dout, x, w, pad, tiles):
    """dx by Winograd on dout padded by 2 - pad with the flipped, transposed filters; dw from the
    forward's transformed tiles and the transformed dout."""
    n, c, h, wd = x.shape
    h_out, w_out = dout.shape[2:]
    th, tw = wino.tiles(h_out), wino.tiles(w_out)
    dtype = np.result_type(tiles, dout, w)
    q = 2 - pad
    dth, dtw = wino.tiles(h), wino.tiles(wd)
    dyt = wino.batch_last(dout.astype(dtype, copy=False), q, dth + 1, dtw + 1)
    du = np.matmul(wino.outputs_backward(dyt, q, th, tw), tiles.transpose(0, 2, 1))
    dw = wino.filters_backward(du, w.shape)
    flipped = np.ascontiguousarray(w[:, :, ::-1, ::-1].transpose(1, 0, 2, 3), dtype=dtype)
    y, _ = wino.conv(dyt, wino.filters(flipped), dth, dtw, n)
    return wino.batch_first(y, None, n, h, wd), dw.astype(dtype, copy=False), dout.sum(axis=(0, 2, 3))


def _tap(a, i, j, stride, h_out, w_out):
    """The (N, C, H', W') strided view of a holding each window's element at offset (i, j)."""
    return a[:, :, i:i + stride * (h_out - 1) + 1:stride, j:j + stride * (w_out - 1) + 1:stride]


def _cache_sized_batches(x, part, budget=1 << 18):
    """Slices of the batch slice ``part`` whose share of x takes about ``budget`` bytes: every
    offset's pass over such a slice hits the cache instead of memory."""
    per = max(1, budget // max(1, x[:1].nbytes))
    return [slice(i, min(i + per, part.stop)) for i in range(part.start, part.stop, per)]


@v.float16_as_float32
def max_pool_forward_fast(x, pool_param):
    """As max_pool_forward_naive: x (N, C, H, W) -> out (N, C, H', W'), as the running maximum over
    the pool_height * pool_width offsets of the windows (no window is copied)."""
    x, ph, pw, stride, h_out, w_out = _pool_args(x, pool_param)
    out = np.empty(x.shape[:2] + (h_out, w_out), dtype=x.dtype)

    def pool(part):
        for batch in _cache_sized_batches(x, part):
            xb, ob = x[batch], out[batch]
            np.copyto(ob, _tap(xb, 0, 0, stride, h_out, w_out))
            for i, j in itertools.product(range(ph), range(pw)):
                np.maximum(ob, _tap(xb, i, j, stride, h_out, w_out), out=ob)
    _threads.split(pool, len(x), x.size)
    return out, (x, out, (ph, pw, stride))


@v.float16_as_float32
def max_pool_backward_fast(dout, cache):
    """As max_pool_backward_naive: each window's gradient goes to the first offset (in row-major
    order) holding its maximum, as torch; a NaN is the maximum of its window (np.maximum
    propagated it) and takes the gradient; overlapping windows add up."""
    x, out, (ph, pw, stride) = cache
    dout = v.floats("dout", dout, ndim=4)
    v.shape("dout", dout, out.shape, " (the forward's output)")
    dx = np.empty(x.shape, dtype=dout.dtype)

    def route(part):
        for batch in _cache_sized_batches(x, part, budget=1 << 20):
            _scatter_to_first_maxima(x[batch], out[batch], dout[batch], dx[batch], ph, pw, stride)
    _threads.split(route, len(x), x.size)
    return dx


def _scatter_to_first_maxima(xb, ob, gb, dxb, ph, pw, stride):
    """dxb = each window's gradient gb added at its first maximum: the offset k of that maximum is
    K - max over offsets of (K - k) * [tap_k == max] (one-byte passes), then one scatter-add
    (np.bincount, summing in float64: a pixel shared by overlapping windows gets their gradients'
    sum rounded once; a NaN or inf in gb reaches only its own pixel)."""
    n, c, h, w = xb.shape
    h_out, w_out = ob.shape[2:]
    offsets = list(itertools.product(range(ph), range(pw)))
    nan = np.isnan(ob).any()  # NaN == NaN is False: a NaN maximum is found by isnan
    weight, term, hit = (np.zeros(ob.shape, dtype=np.uint16), np.empty(ob.shape, dtype=np.uint16),
                         np.empty(ob.shape, dtype=bool))
    for k, (i, j) in enumerate(offsets):
        tap = _tap(xb, i, j, stride, h_out, w_out)
        np.equal(tap, ob, out=hit)
        if nan:
            hit |= np.isnan(tap)
        np.multiply(hit.view(np.uint8), np.uint16(len(offsets) - k), out=term)  # bool * uint16 keeps the GIL
        np.maximum(weight, term, out=weight)
    first = len(offsets) - weight.astype(np.intp)
    corner = ((np.arange(n * c)[:, None, None] * h + stride * np.arange(h_out)[:, None]) * w
              + stride * np.arange(w_out))  # flat index of each window's top-left pixel
    pixel = corner.reshape(ob.shape) + np.array([i * w + j for i, j in offsets])[first]
    dxb[...] = np.bincount(pixel.ravel(), weights=gb.ravel(), minlength=dxb.size).reshape(dxb.shape)
