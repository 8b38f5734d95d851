"""Winograd F(2x2, 3x3) (Lavin and Gray 2016), as cuDNN and NNPACK compute 3x3 stride-1
convolutions, in two forms that round differently:

- ``conv_forward_naive`` / ``conv_backward_naive`` (and the sandwiches chained from them): the
  paper's matrix form written out, V = B^T d B, U = G g G^T, Y = A^T [sum_c U * V] A per 2x2
  output tile; dx as the forward's transpose (B [sum_f U * A dY A^T] B^T added into each tile's
  4x4 pixels), dw = G^T [sum over tiles of (A dY A^T) * V] G.
- ``conv_forward_fast`` / ``conv_backward_fast``: refimpl's fast layers with Winograd on every
  3x3 stride-1 convolution (refimpl uses it from 32 channels on; the registry's cases have fewer),
  whose dx is Winograd on dout with the flipped filters.

Other shapes are refimpl's (Winograd F(2x2, 3x3) computes 3x3 stride-1 convolutions only)."""
import numpy as np

import refimpl
from refimpl import fast_layers

from ..layer_utils import sandwiches

A_T = np.array([[1.0, 1.0, 1.0, 0.0], [0.0, 1.0, -1.0, -1.0]])
G = np.array([[1.0, 0.0, 0.0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0.0, 0.0, 1.0]])
B_T = np.array([[1.0, 0.0, -1.0, 0.0], [0.0, 1.0, 1.0, 0.0], [0.0, -1.0, 1.0, 0.0], [0.0, 1.0, 0.0, -1.0]])


def _winograd(w, conv_param):
    return w.shape[2:] == (3, 3) and conv_param["stride"] == 1


def _tiles(xp, th, tw):
    """(N, C, th, tw, 4, 4): the input tiles (stride 2) of xp, zero-extended past its end."""
    n, c, h, w = xp.shape
    full = np.zeros((n, c, 2 * th + 2, 2 * tw + 2), dtype=xp.dtype)
    full[:, :, :h, :w] = xp[:, :, :2 * th + 2, :2 * tw + 2]
    return np.lib.stride_tricks.sliding_window_view(full, (4, 4), axis=(2, 3))[:, :, ::2, ::2][:, :, :th, :tw]


def conv_forward_naive(x, w, b, conv_param):
    if not _winograd(w, conv_param):
        return refimpl.conv_forward_naive(x, w, b, conv_param)
    pad = conv_param["pad"]
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    h_out, w_out = xp.shape[2] - 2, xp.shape[3] - 2
    th, tw = (h_out + 1) // 2, (w_out + 1) // 2
    at, g, bt = (m.astype(x.dtype) for m in (A_T, G, B_T))
    v = np.einsum("ax,nctuxy,by->nctuab", bt, _tiles(xp, th, tw), bt, optimize=True)  # B^T d B
    u = np.einsum("ap,fcpq,bq->fcab", g, w, g, optimize=True)                            # G g G^T
    m = np.einsum("fcab,nctuab->nftuab", u, v, optimize=True)                            # sum over c
    y = np.einsum("ia,nftuab,jb->nftiuj", at, m, at, optimize=True)                      # A^T M A
    out = y.reshape(x.shape[0], w.shape[0], 2 * th, 2 * tw)[:, :, :h_out, :w_out] + b[None, :, None, None]
    return out, ("winograd", x, w, conv_param, v, u)


def conv_backward_naive(dout, cache):
    if not (isinstance(cache[0], str) and cache[0] == "winograd"):
        return refimpl.conv_backward_naive(dout, cache)
    _, x, w, conv_param, v, u = cache
    pad = conv_param["pad"]
    n, f, h_out, w_out = dout.shape
    th, tw = v.shape[2:4]
    at, g, bt = (m.astype(dout.dtype) for m in (A_T, G, B_T))
    dy = np.zeros((n, f, 2 * th, 2 * tw), dtype=dout.dtype)
    dy[:, :, :h_out, :w_out] = dout
    dy = dy.reshape(n, f, th, 2, tw, 2).transpose(0, 1, 2, 4, 3, 5)                     # (n, f, t, u, 2, 2)
    dm = np.einsum("ia,nftuij,jb->nftuab", at, dy, at, optimize=True)                   # A dY A^T
    dw = np.einsum("ap,fcab,bq->fcpq", g, np.einsum("nftuab,nctuab->fcab", dm, v, optimize=True), g,
                   optimize=True)
    dv = np.einsum("fcab,nftuab->nctuab", u, dm, optimize=True)
    dd = np.einsum("ax,nctuab,by->nctuxy", bt, dv, bt, optimize=True)                    # B dV B^T
    dxp = np.zeros((n, x.shape[1], 2 * th + 2, 2 * tw + 2), dtype=dout.dtype)
    for r in range(4):
        for s in range(4):
            dxp[:, :, r:r + 2 * th:2, s:s + 2 * tw:2] += dd[..., r, s]
    dx = dxp[:, :, pad:pad + x.shape[2], pad:pad + x.shape[3]]
    return np.ascontiguousarray(dx), dw, dout.sum(axis=(0, 2, 3))


def conv_forward_fast(x, w, b, conv_param):
    minimum = fast_layers.WINOGRAD_MIN_CHANNELS
    fast_layers.WINOGRAD_MIN_CHANNELS = 1  # every 3x3 stride-1 case (the calibration runs serially)
    try:
        return refimpl.conv_forward_fast(x, w, b, conv_param)
    finally:
        fast_layers.WINOGRAD_MIN_CHANNELS = minimum


conv_backward_fast = refimpl.conv_backward_fast  # the forward's cache names the path

globals().update(sandwiches({
    "conv_forward_naive": conv_forward_naive, "conv_backward_naive": conv_backward_naive,
    **{k: getattr(refimpl, k) for k in ("max_pool_forward_naive", "max_pool_backward_naive",
                                        "spatial_batchnorm_forward", "spatial_batchnorm_backward")}}))
