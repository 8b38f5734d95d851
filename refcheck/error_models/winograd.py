"""What Winograd F(2x2, 3x3) rounds: the magnitudes of the convolution error model on the shapes a
Winograd implementation computes (3x3 filters, stride 1), used by ``error_models._conv``.

Winograd (Lavin and Gray 2016) computes each 2x2 output tile Y from the 4x4 input tile d under it
(tiles from output (0, 0) on, overlapping by 2) as

    Y = A^T [ sum_c (G g_c G^T) * (B^T d_c B) ] A        (* elementwise, g_c the 3x3 filter)

with A^T = [[1, 1, 1, 0], [0, 1, -1, -1]], G = [[1, 0, 0], [1/2, 1/2, 1/2], [1/2, -1/2, 1/2],
[0, 0, 1]], B^T = [[1, 0, -1, 0], [0, 1, 1, 0], [0, -1, 1, 0], [0, 1, 0, -1]]. The transforms are
exact in exact arithmetic, but their intermediate values are sums of several inputs that cancel
only in the end; each rounds at its own size (Barabasz, Anderson, Soodhalter and Gregg 2020 bound
the error by the products of the transforms' norms, ||A^T|| ||G|| ||B^T||, times ||g|| ||d||).
Componentwise, to first order in u (the halves of G are exact; a row of B^T has two nonzeros,
one addition per pass and two passes; G's and A^T's rows at most three, two additions per pass):

    |V^ - V| <= gamma_2 |B^T| |d| |B|,    |U^ - U| <= gamma_4 |G| |g| |G^T|,
    the products and the sum over C: gamma_(C+1) sum_c |U_c| * |V_c|,  the output: gamma_4 |A^T| |M| |A|
    =>  |Y^ - Y| <= gamma_(C+11) |A^T| ( sum_c (|G| |g_c| |G^T|) * (|B^T| |d_c| |B|) ) |A|

(gamma_k = k u / (1 - k u)). Written per output element (i, j) of its tile, that magnitude is

    sum_c sum_{p,q,r,s} T[i, p, r] T[j, q, s] |g_c[p, q]| |d_c[r, s]|,
    T[i, p, r] = sum_a |A^T[i, a]| |G[a, p]| |B^T[a, r]|.

The same sum without absolute values is 1 where r = i + p and 0 elsewhere (the convolution
itself): T keeps each direct term |g[p, q]| |d[i + p, j + q]| with weight 1 and adds the terms
that cancel, 8 weights per row against the direct sum's 3, so the magnitude is at least the
direct convolution's, and up to ~(8/3)^2 = 7x it, more where the direct terms are small beside
the tile's other inputs (a corner pixel of dx, where one product enters, is computed from a tile
holding its neighbours). The constant growth (gamma_(C+11)) is MODELED's, as for the direct sums.

The backward passes of a Winograd implementation are Winograd too, in two common forms; the error
model takes the larger magnitude of each (and of the direct sums), element by element:
- dx as the same algorithm on dout zero-padded by 2 - pad, with the filters flipped and their
  channel axes swapped (refimpl.fast_layers; tiles from dx's (0, 0) on), or as the forward's
  transpose (dV = sum_f U_f * (A dY A^T), then B dV B^T added into every tile's 4x4 pixels):
  the same T, summed over the tiles that hold the pixel;
- dw = G^T [ sum over tiles of (A dY A^T) * (B^T d B) ] G: sum_{tiles,i,j,r,s} T[i, p, r]
  T[j, q, s] |dY[i, j]| |d[r, s]| for filter entry (p, q).
"""
import numpy as np

A_T = np.array([[1.0, 1.0, 1.0, 0.0], [0.0, 1.0, -1.0, -1.0]])
G = np.array([[1.0, 0.0, 0.0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0.0, 0.0, 1.0]])
B_T = np.array([[1.0, 0.0, -1.0, 0.0], [0.0, 1.0, 1.0, 0.0], [0.0, -1.0, 1.0, 0.0], [0.0, 1.0, 0.0, -1.0]])
T = np.einsum("ia,ap,ar->ipr", np.abs(A_T), np.abs(G), np.abs(B_T))  # (2 outputs, 3 taps, 4 inputs)
EXACT = np.einsum("ia,ap,ar->ipr", A_T, G, B_T)  # the same without absolute values: 1 where r = i + p
# Every function below takes the weights t (T by default): given EXACT and signed arrays they
# compute the convolution and its gradients themselves (tests/test_fast_layers.py checks it).


def applies(w_shape, stride):
    """The shapes a Winograd F(2x2, 3x3) implementation is used on: 3x3 filters, stride 1."""
    return tuple(w_shape[2:]) == (3, 3) and stride == 1


def _tiles(size):
    return (size + 1) // 2


def _tile_inputs(xp, th, tw):
    """(N, C, th, tw, 4, 4): the 4x4 input tile under each 2x2 output tile of xp (N, C, H, W),
    zeros past its end (an odd output's last tile reads one row beyond)."""
    n, c, h, w = xp.shape
    full = np.zeros((n, c, 2 * th + 2, 2 * tw + 2))
    full[:, :, :min(h, 2 * th + 2), :min(w, 2 * tw + 2)] = xp[:, :, :2 * th + 2, :2 * tw + 2]
    v = np.lib.stride_tricks.sliding_window_view(full, (4, 4), axis=(2, 3))
    return v[:, :, ::2, ::2][:, :, :th, :tw]


def _tile_outputs(y, th, tw):
    """(N, F, th, tw, 2, 2): y (N, F, h_out, w_out) cut into 2x2 tiles, zeros past its end."""
    n, f, h, w = y.shape
    full = np.zeros((n, f, 2 * th, 2 * tw))
    full[:, :, :h, :w] = y
    return full.reshape(n, f, th, 2, tw, 2).transpose(0, 1, 2, 4, 3, 5)


def _effective(w, t):
    """(F, C, 2, 2, 4, 4): |w| spread by t over each output position (i, j) of a tile's 4x4 inputs."""
    return np.einsum("ipr,jqs,fcpq->fcijrs", t, t, w)


def forward(xp, w, h_out, w_out, t=T):
    """sum_c |A^T| (|G| |w| |G^T| * |B^T| |xp| |B|) |A| for each output (N, F, h_out, w_out), of
    |xp| (N, C, H, W) already padded and |w| (F, C, 3, 3)."""
    th, tw = _tiles(h_out), _tiles(w_out)
    m = np.einsum("nctuRS,fcijRS->nftiuj", _tile_inputs(xp, th, tw), _effective(w, t))
    return m.reshape(xp.shape[0], w.shape[0], 2 * th, 2 * tw)[:, :, :h_out, :w_out]


def backward(xp, w, g, pad, h, wd, t=T, combine=np.maximum):
    """(dx, dw) magnitudes of the two Winograd backward forms (the module's docstring) for |xp|
    (padded by pad), |w| and |dout| g: dx ``combine`` of the transposed forward's and the
    flipped-filter convolution's (their larger), (N, C, h, wd); dw (F, C, 3, 3)."""
    n, f, h_out, w_out = g.shape
    th, tw = _tiles(h_out), _tiles(w_out)
    gt = _tile_outputs(g, th, tw)                                    # (N, F, th, tw, 2, 2)
    dw = np.einsum("nftuij,nctuyz,ipy,jqz->fcpq", gt, _tile_inputs(xp, th, tw), t, t)
    # the transposed forward: each tile's 4x4 input gradient, added where tiles overlap
    e = np.einsum("nftuij,fcijRS->nctuRS", gt, _effective(w, t))
    dxp = np.zeros((n, w.shape[1], 2 * th + 2, 2 * tw + 2))
    for r in range(4):
        for s in range(4):
            dxp[:, :, r:r + 2 * th:2, s:s + 2 * tw:2] += e[:, :, :, :, r, s]
    transposed = dxp[:, :, pad:pad + h, pad:pad + wd]
    # the flipped filters on dout padded by 2 - pad: dout padded by 2, read from row pad on
    g2 = np.pad(g, ((0, 0), (0, 0), (2, 2), (2, 2)))[:, :, pad:, pad:]
    flipped = forward(g2, w[:, :, ::-1, ::-1].transpose(1, 0, 2, 3), h, wd, t)
    return combine(transposed, flipped), dw
