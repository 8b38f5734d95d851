"""``np.einsum`` where others write ``@``, ``dot`` or ``tensordot``: its own summation order (no
BLAS), for the products of the affine, convolutional, recurrent and classifier layers."""
import numpy as np


def affine_forward(x, w, b):
    return np.einsum("nd,dm->nm", x.reshape(x.shape[0], -1), w) + b, (x, w)


def affine_backward(dout, cache):
    x, w = cache
    xr = x.reshape(x.shape[0], -1)
    return (np.einsum("nm,dm->nd", dout, w).reshape(x.shape), np.einsum("nd,nm->dm", xr, dout),
            np.einsum("nm->m", dout))


def _windows(xp, hh, ww, stride, h_out, w_out):
    v = np.lib.stride_tricks.sliding_window_view(xp, (hh, ww), axis=(2, 3))
    return v[:, :, ::stride, ::stride][:, :, :h_out, :w_out]


def conv_forward_naive(x, w, b, conv_param):
    stride, pad = conv_param["stride"], conv_param["pad"]
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    hh, ww = w.shape[2:]
    h_out, w_out = 1 + (xp.shape[2] - hh) // stride, 1 + (xp.shape[3] - ww) // stride
    out = np.einsum("ncijpq,fcpq->nfij", _windows(xp, hh, ww, stride, h_out, w_out), w) + b[None, :, None, None]
    return out, (x, w, conv_param)


def conv_backward_naive(dout, cache):
    x, w, conv_param = cache
    stride, pad = conv_param["stride"], conv_param["pad"]
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    hh, ww = w.shape[2:]
    h_out, w_out = dout.shape[2:]
    dw = np.einsum("nfij,ncijpq->fcpq", dout, _windows(xp, hh, ww, stride, h_out, w_out))
    dxp = np.zeros_like(xp)
    for p in range(hh):
        for q in range(ww):
            dxp[:, :, p:p + stride * h_out:stride, q:q + stride * w_out:stride] += np.einsum(
                "nfij,fc->ncij", dout, w[:, :, p, q])
    return dxp[:, :, pad:pad + x.shape[2], pad:pad + x.shape[3]], dw, np.einsum("nfij->f", dout)


conv_forward_fast, conv_backward_fast = conv_forward_naive, conv_backward_naive


def temporal_affine_forward(x, w, b):
    return np.einsum("ntd,dm->ntm", x, w) + b, (x, w)


def temporal_affine_backward(dout, cache):
    x, w = cache
    return np.einsum("ntm,dm->ntd", dout, w), np.einsum("ntd,ntm->dm", x, dout), np.einsum("ntm->m", dout)


def _softmax(scores, y):
    n = scores.shape[0]
    shifted = scores - scores.max(axis=1, keepdims=True)
    e = np.exp(shifted)
    z = np.einsum("nc->n", e)
    loss = np.einsum("n->", np.log(z) - shifted[np.arange(n), y]) / n
    d = e / z[:, None]
    d[np.arange(n), y] -= 1
    return loss, d / n


def softmax_loss_vectorized(W, X, y, reg):
    loss, dscores = _softmax(np.einsum("nd,dc->nc", X, W), y)
    return loss + reg * np.einsum("dc,dc->", W, W), np.einsum("nd,nc->dc", X, dscores) + 2 * reg * W


def svm_loss_vectorized(W, X, y, reg):
    scores = np.einsum("nd,dc->nc", X, W)
    n = X.shape[0]
    margins = np.maximum(0, scores - scores[np.arange(n), y][:, None] + 1)
    margins[np.arange(n), y] = 0
    counts = (margins > 0).astype(W.dtype)
    counts[np.arange(n), y] = -np.einsum("nc->n", counts)
    return (np.einsum("nc->", margins) / n + reg * np.einsum("dc,dc->", W, W),
            np.einsum("nd,nc->dc", X, counts) / n + 2 * reg * W)


def compute_distances(X, Y):
    d = X[:, None, :] - Y[None, :, :]
    return np.sqrt(np.einsum("ijk,ijk->ij", d, d))


def rnn_step_forward(x, prev_h, Wx, Wh, b):
    next_h = np.tanh(np.einsum("nd,dh->nh", x, Wx) + np.einsum("nk,kh->nh", prev_h, Wh) + b)
    return next_h, (x, prev_h, Wx, Wh, next_h)


def rnn_step_backward(dnext_h, cache):
    x, prev_h, Wx, Wh, next_h = cache
    da = dnext_h * (1 - next_h ** 2)
    return (np.einsum("nh,dh->nd", da, Wx), np.einsum("nh,kh->nk", da, Wh), np.einsum("nd,nh->dh", x, da),
            np.einsum("nk,nh->kh", prev_h, da), np.einsum("nh->h", da))


def _sigmoid(a):
    return 1 / (1 + np.exp(-a))


def lstm_step_forward(x, prev_h, prev_c, Wx, Wh, b):
    a = np.einsum("nd,dg->ng", x, Wx) + np.einsum("nk,kg->ng", prev_h, Wh) + b
    i, f, o, g = np.split(a, 4, axis=1)
    i, f, o, g = _sigmoid(i), _sigmoid(f), _sigmoid(o), np.tanh(g)
    next_c = f * prev_c + i * g
    next_h = o * np.tanh(next_c)
    return next_h, next_c, (x, prev_h, prev_c, Wx, Wh, i, f, o, g, next_c)


def lstm_step_backward(dnext_h, dnext_c, cache):
    x, prev_h, prev_c, Wx, Wh, i, f, o, g, next_c = cache
    t = np.tanh(next_c)
    dc = dnext_c + dnext_h * o * (1 - t * t)
    da = np.concatenate([dc * g * i * (1 - i), dc * prev_c * f * (1 - f), dnext_h * t * o * (1 - o),
                         dc * i * (1 - g * g)], axis=1)
    return (np.einsum("ng,dg->nd", da, Wx), np.einsum("ng,kg->nk", da, Wh), dc * f,
            np.einsum("nd,ng->dg", x, da), np.einsum("nk,ng->kg", prev_h, da), np.einsum("ng->g", da))
