"""Explicit loops, as a first attempt at each assignment is written: every sum accumulated one term
at a time in the input's dtype (float32 terms into a float32 accumulator), the least accurate
ordinary rounding there is (no pairwise sums, no BLAS blocking)."""
import numpy as np


def _dot(a, b, start=None):
    """sum(a * b) over two 1-D arrays, term by term in their dtype."""
    total = a.dtype.type(0) if start is None else start
    for p, q in zip(a, b):
        total = total + p * q
    return total


def _sum(a):
    total = a.dtype.type(0)
    for v in a.ravel():
        total = total + v
    return total


def affine_forward(x, w, b):
    xr = x.reshape(x.shape[0], -1)
    out = np.empty((x.shape[0], w.shape[1]), dtype=x.dtype)
    for n in range(xr.shape[0]):
        for m in range(w.shape[1]):
            out[n, m] = _dot(xr[n], w[:, m], b[m])
    return out, (x, w)


def affine_backward(dout, cache):
    x, w = cache
    xr = x.reshape(x.shape[0], -1)
    dx, dw, db = np.empty_like(xr), np.empty_like(w), np.empty_like(w[0])
    for n in range(xr.shape[0]):
        for d in range(w.shape[0]):
            dx[n, d] = _dot(dout[n], w[d])
    for d in range(w.shape[0]):
        for m in range(w.shape[1]):
            dw[d, m] = _dot(xr[:, d], dout[:, m])
    for m in range(w.shape[1]):
        db[m] = _sum(dout[:, m])
    return dx.reshape(x.shape), dw, db


def softmax_loss(x, y):
    n = x.shape[0]
    loss, dx = x.dtype.type(0), np.empty_like(x)
    for i in range(n):
        shifted = x[i] - x[i].max()
        e = np.exp(shifted)
        total = _sum(e)
        loss = loss + (np.log(total) - shifted[y[i]])
        dx[i] = e / total
        dx[i, y[i]] -= 1
    return loss / n, dx / n


def svm_loss(x, y):
    n, c = x.shape
    loss, dx = x.dtype.type(0), np.zeros_like(x)
    for i in range(n):
        for j in range(c):
            if j == y[i]:
                continue
            margin = x[i, j] - x[i, y[i]] + 1
            if margin > 0:
                loss = loss + margin
                dx[i, j] += 1
                dx[i, y[i]] -= 1
    return loss / n, dx / n


def softmax_loss_naive(W, X, y, reg):
    n, c = X.shape[0], W.shape[1]
    loss, dW = W.dtype.type(0), np.zeros_like(W)
    for i in range(n):
        scores = np.array([_dot(X[i], W[:, j]) for j in range(c)])
        shifted = scores - scores.max()
        e = np.exp(shifted)
        total = _sum(e)
        loss = loss + (np.log(total) - shifted[y[i]])
        for j in range(c):
            dW[:, j] += (e[j] / total - (j == y[i])) * X[i]
    return loss / n + reg * _sum(W * W), dW / n + 2 * reg * W


def svm_loss_naive(W, X, y, reg):
    n, c = X.shape[0], W.shape[1]
    loss, dW = W.dtype.type(0), np.zeros_like(W)
    for i in range(n):
        scores = [_dot(X[i], W[:, j]) for j in range(c)]
        for j in range(c):
            if j == y[i]:
                continue
            margin = scores[j] - scores[y[i]] + 1
            if margin > 0:
                loss = loss + margin
                dW[:, j] += X[i]
                dW[:, y[i]] -= X[i]
    return loss / n + reg * _sum(W * W), dW / n + 2 * reg * W


def compute_distances(X, Y):
    dists = np.empty((X.shape[0], Y.shape[0]), dtype=X.dtype)
    for i in range(X.shape[0]):
        for j in range(Y.shape[0]):
            d = X[i] - Y[j]
            dists[i, j] = np.sqrt(_dot(d, d))
    return dists


def conv_forward_naive(x, w, b, conv_param):
    s, pad = conv_param["stride"], conv_param["pad"]
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    f, _, hh, ww = w.shape
    h_out, w_out = 1 + (xp.shape[2] - hh) // s, 1 + (xp.shape[3] - ww) // s
    out = np.empty((x.shape[0], f, h_out, w_out), dtype=x.dtype)
    for n in range(x.shape[0]):
        for k in range(f):
            for i in range(h_out):
                for j in range(w_out):
                    window = xp[n, :, i * s:i * s + hh, j * s:j * s + ww]
                    out[n, k, i, j] = _dot(window.ravel(), w[k].ravel(), b[k])
    return out, (x, w, conv_param)


def conv_backward_naive(dout, cache):
    x, w, conv_param = cache
    s, pad = conv_param["stride"], conv_param["pad"]
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    dxp, dw, db = np.zeros_like(xp), np.zeros_like(w), np.zeros_like(w[:, 0, 0, 0])
    hh, ww = w.shape[2:]
    for n in range(dout.shape[0]):
        for k in range(dout.shape[1]):
            for i in range(dout.shape[2]):
                for j in range(dout.shape[3]):
                    g = dout[n, k, i, j]
                    dxp[n, :, i * s:i * s + hh, j * s:j * s + ww] += g * w[k]
                    dw[k] += g * xp[n, :, i * s:i * s + hh, j * s:j * s + ww]
                    db[k] += g
    return dxp[:, :, pad:pad + x.shape[2], pad:pad + x.shape[3]], dw, db


def max_pool_forward_naive(x, pool_param):
    ph, pw, s = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    h_out, w_out = 1 + (x.shape[2] - ph) // s, 1 + (x.shape[3] - pw) // s
    out = np.empty(x.shape[:2] + (h_out, w_out), dtype=x.dtype)
    for n in range(x.shape[0]):
        for c in range(x.shape[1]):
            for i in range(h_out):
                for j in range(w_out):
                    out[n, c, i, j] = x[n, c, i * s:i * s + ph, j * s:j * s + pw].max()
    return out, (x, pool_param)


def max_pool_backward_naive(dout, cache):
    x, pool_param = cache
    ph, pw, s = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    dx = np.zeros_like(x)
    for n in range(dout.shape[0]):
        for c in range(dout.shape[1]):
            for i in range(dout.shape[2]):
                for j in range(dout.shape[3]):
                    window = x[n, c, i * s:i * s + ph, j * s:j * s + pw]
                    r, q = np.unravel_index(np.argmax(window), window.shape)
                    dx[n, c, i * s + r, j * s + q] += dout[n, c, i, j]
    return dx


def _moments(column):
    """Mean and biased variance of a 1-D array, accumulated term by term (two passes)."""
    n = column.dtype.type(len(column))
    mean = _sum(column) / n
    centred = column - mean
    return mean, _dot(centred, centred) / n


def batchnorm_forward(x, gamma, beta, bn_param):
    mode, eps, momentum = bn_param["mode"], bn_param.get("eps", 1e-5), bn_param.get("momentum", 0.9)
    d = x.shape[1]
    running_mean = bn_param.get("running_mean", np.zeros(d, dtype=x.dtype))
    running_var = bn_param.get("running_var", np.zeros(d, dtype=x.dtype))
    out, xhat, std = np.empty_like(x), np.empty_like(x), np.empty(d, dtype=x.dtype)
    means, variances = np.empty(d, dtype=x.dtype), np.empty(d, dtype=x.dtype)
    for j in range(d):
        if mode == "train":
            means[j], variances[j] = _moments(x[:, j])
        else:
            means[j], variances[j] = running_mean[j], running_var[j]
        std[j] = np.sqrt(variances[j] + x.dtype.type(eps))
        xhat[:, j] = (x[:, j] - means[j]) / std[j]
        out[:, j] = gamma[j] * xhat[:, j] + beta[j]
    if mode == "train":
        bn_param["running_mean"] = momentum * running_mean + (1 - momentum) * means
        bn_param["running_var"] = momentum * running_var + (1 - momentum) * variances
    return out, (xhat, gamma, std)


def batchnorm_backward(dout, cache):
    xhat, gamma, std = cache
    n, d = dout.shape
    dx, dgamma, dbeta = np.empty_like(dout), np.empty_like(gamma), np.empty_like(gamma)
    for j in range(d):
        dbeta[j] = _sum(dout[:, j])
        dgamma[j] = _dot(dout[:, j], xhat[:, j])
        dxhat = dout[:, j] * gamma[j]
        sum_dxhat, sum_dxhat_xhat = _sum(dxhat), _dot(dxhat, xhat[:, j])
        dx[:, j] = (n * dxhat - sum_dxhat - xhat[:, j] * sum_dxhat_xhat) / (n * std[j])
    return dx, dgamma, dbeta


def layernorm_forward(x, gamma, beta, ln_param):
    eps = ln_param.get("eps", 1e-5)
    out, xhat, std = np.empty_like(x), np.empty_like(x), np.empty(x.shape[0], dtype=x.dtype)
    for i in range(x.shape[0]):
        mean, var = _moments(x[i])
        std[i] = np.sqrt(var + x.dtype.type(eps))
        xhat[i] = (x[i] - mean) / std[i]
        out[i] = gamma * xhat[i] + beta
    return out, (xhat, gamma, std)


def layernorm_backward(dout, cache):
    xhat, gamma, std = cache
    n, d = dout.shape
    dx = np.empty_like(dout)
    for i in range(n):
        dxhat = dout[i] * gamma
        dx[i] = (d * dxhat - _sum(dxhat) - xhat[i] * _dot(dxhat, xhat[i])) / (d * std[i])
    dgamma = np.array([_dot(dout[:, j], xhat[:, j]) for j in range(d)], dtype=dout.dtype)
    dbeta = np.array([_sum(dout[:, j]) for j in range(d)], dtype=dout.dtype)
    return dx, dgamma, dbeta


def rnn_step_forward(x, prev_h, Wx, Wh, b):
    n, h = prev_h.shape
    a = np.empty((n, h), dtype=x.dtype)
    for i in range(n):
        for k in range(h):
            a[i, k] = _dot(prev_h[i], Wh[:, k], _dot(x[i], Wx[:, k], b[k]))
    next_h = np.tanh(a)
    return next_h, (x, prev_h, Wx, Wh, next_h)


def rnn_step_backward(dnext_h, cache):
    x, prev_h, Wx, Wh, next_h = cache
    da = dnext_h * (1 - next_h * next_h)
    dx = np.array([[_dot(da[i], Wx[d]) for d in range(Wx.shape[0])] for i in range(len(x))], dtype=x.dtype)
    dprev_h = np.array([[_dot(da[i], Wh[k]) for k in range(Wh.shape[0])] for i in range(len(x))], dtype=x.dtype)
    dWx = np.array([[_dot(x[:, d], da[:, k]) for k in range(Wx.shape[1])] for d in range(Wx.shape[0])],
                   dtype=x.dtype)
    dWh = np.array([[_dot(prev_h[:, j], da[:, k]) for k in range(Wh.shape[1])] for j in range(Wh.shape[0])],
                   dtype=x.dtype)
    db = np.array([_sum(da[:, k]) for k in range(da.shape[1])], dtype=x.dtype)
    return dx.reshape(x.shape), dprev_h.reshape(prev_h.shape), dWx.reshape(Wx.shape), dWh.reshape(Wh.shape), db


def word_embedding_forward(x, W):
    out = np.empty(x.shape + (W.shape[1],), dtype=W.dtype)
    for n in range(x.shape[0]):
        for t in range(x.shape[1]):
            out[n, t] = W[x[n, t]]
    return out, (x, W.shape)


def word_embedding_backward(dout, cache):
    x, shape = cache
    dW = np.zeros(shape, dtype=dout.dtype)
    for n in range(x.shape[0]):
        for t in range(x.shape[1]):
            dW[x[n, t]] += dout[n, t]
    return dW


def temporal_softmax_loss(x, y, mask):
    n, t, v = x.shape
    loss, dx = x.dtype.type(0), np.zeros_like(x)
    for i in range(n):
        for s in range(t):
            if not mask[i, s]:
                continue
            shifted = x[i, s] - x[i, s].max()
            e = np.exp(shifted)
            total = _sum(e)
            loss = loss + (np.log(total) - shifted[y[i, s]])
            dx[i, s] = e / total
            dx[i, s, y[i, s]] -= 1
    return loss / n, dx / n


from ..layer_utils import sandwiches  # noqa: E402 (the sandwiches chained from the layers above)

globals().update(sandwiches(globals()))
