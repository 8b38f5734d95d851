"""Two blocks of CS231n 2025's ``transformer_layers.py``, CS231n style (a forward returns
``(out, cache)``, its backward the gradients in argument order), in the ``x @ W + b`` layout
(torch's nn.Linear stores ``weight = W.T``):

- the feed-forward block ``FeedForwardNetwork``: ``gelu(x @ W1 + b1) @ W2 + b2``, GELU's erf
  form (``nn.GELU()``'s default), dropout off;
- ``PatchEmbedding``: the image cut into non-overlapping patch_size x patch_size patches, in
  row-major order, each flattened channel-major (C, then the patch's rows, then its columns: a
  reshape to (N, C, H/P, P, W/P, P) and a permute to (N, H/P, W/P, C, P, P)), then ``@ w + b``.
"""
import math

import numpy as np

from . import _validate as v
from .activations import _erf, working_dtypes


def _dout(dout, shape, dtype):
    dout = v.floats("dout", dout)
    v.shape("dout", dout, shape, " (the forward's output)")
    return dout.astype(dtype, copy=False)


def feed_forward_forward(x, W1, b1, W2, b2):
    """``gelu(x @ W1 + b1) @ W2 + b2`` for x (..., D), W1 (D, F), b1 (F,), W2 (F, D), b2 (D,).
    torch: ``fc2(F.gelu(fc1(x)))`` with fc1.weight = W1.T, fc2.weight = W2.T."""
    x = v.floats("x", x, min_ndim=1)
    W1, W2 = v.floats("W1", W1, ndim=2), v.floats("W2", W2, ndim=2)
    b1, b2 = v.floats("b1", b1, ndim=1), v.floats("b2", b2, ndim=1)
    d = x.shape[-1]
    v.shape("W1", W1, (d, W1.shape[1]), f" (rows = the last axis of x {x.shape})")
    v.shape("b1", b1, (W1.shape[1],), f" (the columns of W1 {W1.shape})")
    v.shape("W2", W2, (W1.shape[1], d), f" (W1 {W1.shape} transposed)")
    v.shape("b2", b2, (d,), f" (the last axis of x {x.shape})")
    out_dtype, work = working_dtypes(x, W1, b1, W2, b2)
    xw, W1w, b1w, W2w, b2w = (a.astype(work, copy=False) for a in (x, W1, b1, W2, b2))
    a = xw @ W1w + b1w
    ad = a.astype(np.float64)
    h = (0.5 * ad * (1 + _erf(ad / math.sqrt(2)))).astype(work)
    out = h @ W2w + b2w
    return out.astype(out_dtype, copy=False), (xw, W1w, W2w, a, h, out_dtype)


def feed_forward_backward(dout, cache):
    """dx (..., D), dW1 (D, F), db1 (F,), dW2 (F, D), db2 (D,)."""
    xw, W1, W2, a, h, out_dtype = cache
    dout = _dout(dout, xw.shape, xw.dtype)
    d, f = W1.shape
    ad = a.astype(np.float64)
    slope = (0.5 * (1 + _erf(ad / math.sqrt(2))) + ad * np.exp(-0.5 * ad * ad) / math.sqrt(2 * math.pi))
    dh = dout @ W2.T
    da = dh * slope.astype(xw.dtype)
    dx = da @ W1.T
    g2, da2 = dout.reshape(-1, d), da.reshape(-1, f)
    grads = (dx, xw.reshape(-1, d).T @ da2, da2.sum(axis=0), h.reshape(-1, f).T @ g2, g2.sum(axis=0))
    return tuple(g.astype(out_dtype, copy=False) for g in grads)


def _patches(x, p):
    n, c, hh, ww = x.shape
    return (x.reshape(n, c, hh // p, p, ww // p, p).transpose(0, 2, 4, 1, 3, 5)
            .reshape(n, (hh // p) * (ww // p), c * p * p))


def patch_embedding_forward(x, w, b, patch_size):
    """x (N, C, H, W) with H and W multiples of patch_size, w (C * P * P, E), b (E,): out (N,
    (H/P) (W/P), E). CS231n's PatchEmbedding takes square images (img_size); the contract allows
    H != W. torch: ``proj(patches)`` with proj.weight = w.T."""
    x = v.floats("x", x, ndim=4)
    w, b = v.floats("w", w, ndim=2), v.floats("b", b, ndim=1)
    p = v.whole("patch_size", patch_size, 1)
    n, c, hh, ww = x.shape
    if hh % p or ww % p:
        raise ValueError(f"patch_size {p} must divide the image's height and width, got x {x.shape}")
    v.shape("w", w, (c * p * p, w.shape[1]), f" (rows = C * patch_size^2 = {c * p * p})")
    v.shape("b", b, (w.shape[1],), f" (the columns of w {w.shape})")
    out_dtype, work = working_dtypes(x, w, b)
    patches = _patches(x.astype(work, copy=False), p)
    out = patches @ w.astype(work, copy=False) + b.astype(work, copy=False)
    return out.astype(out_dtype, copy=False), (patches, w.astype(work, copy=False), x.shape, p, out_dtype)


def patch_embedding_backward(dout, cache):
    """dx (N, C, H, W), dw (C * P * P, E), db (E,)."""
    patches, w, shape, p, out_dtype = cache
    dout = _dout(dout, patches.shape[:2] + (w.shape[1],), patches.dtype)
    n, c, hh, ww = shape
    dpatches = dout @ w.T
    dx = dpatches.reshape(n, hh // p, ww // p, c, p, p).transpose(0, 3, 1, 4, 2, 5).reshape(shape)
    e = w.shape[1]
    grads = (dx, patches.reshape(-1, w.shape[0]).T @ dout.reshape(-1, e), dout.reshape(-1, e).sum(axis=0))
    return tuple(g.astype(out_dtype, copy=False) for g in grads)
