"""Winograd F(2x2, 3x3) for 3x3 stride-1 convolutions (Lavin and Gray, "Fast Algorithms for
Convolutional Neural Networks", 2016), used by ``fast_layers``.

Each 4x4 tile ``d`` of the padded input (tiles overlap by 2) gives a 2x2 tile of the output as
``Y = A^T [(G g G^T) * (B^T d B)] A`` for each 3x3 filter ``g``: with U = G g G^T and V = B^T d B
computed once per filter and once per tile, the sum over channels becomes 16 matrix products
``M[k] = U[k] (F, C) @ V[k] (C, tiles)``, one per position k of the 4x4 tile: 16 multiplies per 4
outputs where im2col's product does 36, 2.25x fewer. The transforms are additions and
subtractions only (G has halves), done as whole-array passes over strided views.

Layout: the input is moved to (C, rows, cols, N), batch last, so every pass runs over contiguous
runs of N elements, and the tiles (the GEMM's columns) are ordered (tile row, tile column, n).
The transforms run on one slice of channels (or filters) per thread (refimpl._threads); the 16
products are left to BLAS, which threads them itself.

Backward: dx is the same algorithm on dout (padded by 2 - pad) with the filters flipped and
their channel axes swapped; dw = G^T [sum over tiles of (A dY A^T) * V] G, from the V the
forward computed.
"""
import numpy as np

from . import _threads

G = np.array([[1.0, 0.0, 0.0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0.0, 0.0, 1.0]])


def tiles(size):
    """Tiles along an axis whose (3x3, stride 1) output has ``size`` entries: ceil(size / 2)."""
    return (size + 1) // 2


BATCH_BLOCK = 8  # images per transposing copy: short runs in both arrays (measured 2.3x faster than one copy)


def batch_last(x, pad, rows, cols):
    """x (N, C, H, W) zero-padded and moved to the layout (C, 2, rows, 2, cols, N) the transforms
    read: pixel (i, j) of the padded image (x's (i - pad, j - pad)) sits at
    [:, i % 2, i // 2, j % 2, j // 2, :], so a tile's row (or column) k of every tile is one
    contiguous slab [k % 2, k // 2 : k // 2 + tiles]. Copied one slice of the channels per thread."""
    n, c, h, w = x.shape
    xt = np.zeros((c, 2, rows, 2, cols, n), dtype=x.dtype)
    parts = []
    for pr in (0, 1):
        for pc in (0, 1):
            h0, w0 = (pr - pad) % 2, (pc - pad) % 2  # x's first row (column) of this parity
            nh, nw = len(range(h0, h, 2)), len(range(w0, w, 2))
            i0, j0 = (h0 + pad) // 2, (w0 + pad) // 2
            parts.append(((h0, w0), xt[:, pr, i0:i0 + nh, pc, j0:j0 + nw]))

    def move(s):
        for (h0, w0), dst in parts:
            for b in range(0, n, BATCH_BLOCK):
                nb = slice(b, b + BATCH_BLOCK)
                np.copyto(dst[s, ..., nb], x[nb, s, h0::2, w0::2].transpose(1, 2, 3, 0))
    _threads.split(move, c, x.size)
    return xt


def batch_first(y, b, n, h_out, w_out):
    """out (N, F, h_out, w_out) = y + b (b None: y) for y (F, >= h_out, >= w_out, N), one slice
    of the batch per thread."""
    f = y.shape[0]
    out = np.empty((n, f, h_out, w_out), dtype=y.dtype if b is None else np.result_type(y, b))

    def move(s):
        for i in range(s.start, s.stop, BATCH_BLOCK):
            nb = slice(i, min(i + BATCH_BLOCK, s.stop))
            src = y[:, :h_out, :w_out, nb].transpose(3, 0, 1, 2)
            if b is None:
                np.copyto(out[nb], src)
            else:
                np.add(src, b[:, None, None], out=out[nb])
    _threads.split(move, n, out.size)
    return out


def _blocks(s, per_item, budget=1 << 19):
    """Sub-slices of the slice s holding about ``budget`` bytes of temporaries each (``per_item``
    bytes per entry): a transform's temporaries are then read back from the cache, not memory."""
    step = max(1, budget // max(1, per_item))
    return [slice(i, min(i + step, s.stop)) for i in range(s.start, s.stop, step)]


def filters(w):
    """U (16, F, C) = G g G^T for every filter g = w[f, c] (F, C, 3, 3)."""
    g = G.astype(w.dtype)
    return np.ascontiguousarray(np.einsum("ai,fcij,bj->abfc", g, w, g, optimize=True).reshape(16, *w.shape[:2]))


def filters_backward(du, shape):
    """dw (F, C, 3, 3) = G^T dU G: the gradient of ``filters`` for dU (16, F, C)."""
    g = G.astype(du.dtype)
    return np.einsum("ai,abfc,bj->fcij", g, du.reshape(4, 4, *shape[:2]), g, optimize=True)


def inputs(xt, th, tw):
    """V (16, C, th*tw*N) = B^T d B for every 4x4 tile d of xt (C, 2, >= th + 1, 2, >= tw + 1, N)."""
    c, n = xt.shape[0], xt.shape[-1]
    v = np.empty((16, c, th, tw, n), dtype=xt.dtype)

    def transform(part):
        for s in _blocks(part, 4 * xt[0, 0, :th].nbytes):
            _inputs(xt, v, s, th, tw)
    _threads.split(transform, c, v.size)
    return v.reshape(16, c, th * tw * n)


def _inputs(xt, v, s, th, tw):
    rows = [xt[s, i % 2, i // 2:i // 2 + th] for i in range(4)]  # row i of every tile: (c, th, 2, cols, N)
    t = np.empty((4,) + rows[0].shape, dtype=xt.dtype)
    np.subtract(rows[0], rows[2], out=t[0])   # B^T = [[1, 0, -1, 0],
    np.add(rows[1], rows[2], out=t[1])        #        [0, 1, 1, 0],
    np.subtract(rows[2], rows[1], out=t[2])   #        [0, -1, 1, 0],
    np.subtract(rows[1], rows[3], out=t[3])   #        [0, 1, 0, -1]], on rows, then on columns
    for a in range(4):
        col = [t[a][:, :, j % 2, j // 2:j // 2 + tw] for j in range(4)]  # column j: (c, th, tw, N)
        np.subtract(col[0], col[2], out=v[4 * a, s])
        np.add(col[1], col[2], out=v[4 * a + 1, s])
        np.subtract(col[2], col[1], out=v[4 * a + 2, s])
        np.subtract(col[1], col[3], out=v[4 * a + 3, s])


def outputs(m, th, tw, n):
    """Y = A^T M A for every tile: m (16, F, th*tw*N) -> y (F, 2*th, 2*tw, N)."""
    f = m.shape[1]
    m = m.reshape(4, 4, f, th, tw, n)
    y = np.empty((f, 2 * th, 2 * tw, n), dtype=m.dtype)

    def transform(part):
        for s in _blocks(part, 8 * m[0, 0, 0].nbytes):
            # A^T = [[1, 1, 1, 0], [0, 1, -1, -1]], on rows (the first axis of m), then on columns
            r = np.empty((2, 4) + m[0, 0, s].shape, dtype=m.dtype)
            np.add(m[0, :, s], m[1, :, s], out=r[0])
            r[0] += m[2, :, s]
            np.subtract(m[1, :, s], m[2, :, s], out=r[1])
            r[1] -= m[3, :, s]
            for i in range(2):
                left, right = y[s, i::2, 0::2], y[s, i::2, 1::2]
                np.add(r[i, 0], r[i, 1], out=left)
                left += r[i, 2]
                np.subtract(r[i, 1], r[i, 2], out=right)
                right -= r[i, 3]
    _threads.split(transform, f, m.size)
    return y


def outputs_backward(dyt, offset, th, tw):
    """dM (16, F, th*tw*N) = A dY A^T for every 2x2 tile dY of the output gradient, held in
    dyt (F, 2, rows, 2, cols, N) (the layout of ``batch_last``) from padded pixel (offset, offset)
    on: the gradient of ``outputs``."""
    f, n = dyt.shape[0], dyt.shape[-1]
    dm = np.empty((4, 4, f, th, tw, n), dtype=dyt.dtype)
    r0, r1 = offset, offset + 1

    def transform(part):
        for s in _blocks(part, 3 * dyt[0, 0, :th].nbytes):
            _outputs_backward(dyt, dm, s, r0, r1, th, tw)
    _threads.split(transform, f, dm.size)
    return dm.reshape(16, f, th * tw * n)


def _outputs_backward(dyt, dm, s, r0, r1, th, tw):
    # A = [[1, 0], [1, 1], [1, -1], [0, -1]], on rows, then on columns
    y0 = dyt[s, r0 % 2, r0 // 2:r0 // 2 + th]  # row 0 of every output tile: (f, th, 2, cols, N)
    y1 = dyt[s, r1 % 2, r1 // 2:r1 // 2 + th]
    e = np.empty((3,) + y0.shape, dtype=dyt.dtype)
    np.add(y0, y1, out=e[0])
    np.subtract(y0, y1, out=e[1])
    np.negative(y1, out=e[2])
    for a, ea in enumerate((y0, *e)):
        c0, c1 = ea[:, :, r0 % 2, r0 // 2:r0 // 2 + tw], ea[:, :, r1 % 2, r1 // 2:r1 // 2 + tw]
        np.copyto(dm[a, 0, s], c0)
        np.add(c0, c1, out=dm[a, 1, s])
        np.subtract(c0, c1, out=dm[a, 2, s])
        np.negative(c1, out=dm[a, 3, s])


def conv(xt, u, th, tw, n):
    """The convolution of xt (the layout of ``batch_last``) with the filters U (16, F, C):
    returns (y (F, 2*th, 2*tw, N), V), without the bias."""
    v = inputs(xt, th, tw)
    return outputs(np.matmul(u, v), th, tw, n), v
