"""The staged computation graphs CS231n teaches: every forward keeps each intermediate node, and
its backward walks the graph back node by node (batch normalization's nine steps, the gates of
an LSTM one by one, recurrences that call the step functions), as most students write them."""
import numpy as np


def affine_forward(x, w, b):
    out = x.reshape(x.shape[0], -1).dot(w) + b
    return out, (x, w, b)


def affine_backward(dout, cache):
    x, w, b = cache
    return dout.dot(w.T).reshape(x.shape), x.reshape(x.shape[0], -1).T.dot(dout), np.sum(dout, axis=0)


def softmax_loss(x, y):
    """log-softmax staged: shifted, log of the normalizer, log-probabilities."""
    shifted = x - np.max(x, axis=1, keepdims=True)
    log_z = np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
    log_probs = shifted - log_z
    n = x.shape[0]
    loss = -np.sum(log_probs[np.arange(n), y]) / n
    dx = np.exp(log_probs)
    dx[np.arange(n), y] -= 1
    return loss, dx / n


def batchnorm_forward(x, gamma, beta, bn_param):
    mode, eps, momentum = bn_param["mode"], bn_param.get("eps", 1e-5), bn_param.get("momentum", 0.9)
    n, d = x.shape
    running_mean = bn_param.get("running_mean", np.zeros(d, dtype=x.dtype))
    running_var = bn_param.get("running_var", np.zeros(d, dtype=x.dtype))
    if mode == "train":
        mu = 1.0 / n * np.sum(x, axis=0)                 # step 1
        xmu = x - mu                                     # step 2
        sq = xmu ** 2                                    # step 3
        var = 1.0 / n * np.sum(sq, axis=0)               # step 4
        sqrtvar = np.sqrt(var + eps)                     # step 5
        ivar = 1.0 / sqrtvar                             # step 6
        xhat = xmu * ivar                                # step 7
        out = gamma * xhat + beta                        # steps 8 and 9
        bn_param["running_mean"] = momentum * running_mean + (1 - momentum) * mu
        bn_param["running_var"] = momentum * running_var + (1 - momentum) * var
        return out, (xhat, gamma, xmu, ivar, sqrtvar, var, eps)
    xhat = (x - running_mean) / np.sqrt(running_var + eps)
    return gamma * xhat + beta, None


def batchnorm_backward(dout, cache):
    xhat, gamma, xmu, ivar, sqrtvar, var, eps = cache
    n = dout.shape[0]
    dbeta = np.sum(dout, axis=0)
    dgammax = dout
    dgamma = np.sum(dgammax * xhat, axis=0)
    dxhat = dgammax * gamma
    divar = np.sum(dxhat * xmu, axis=0)
    dxmu1 = dxhat * ivar
    dsqrtvar = -1.0 / (sqrtvar ** 2) * divar
    dvar = 0.5 * 1.0 / np.sqrt(var + eps) * dsqrtvar
    dsq = 1.0 / n * np.ones_like(dout) * dvar
    dxmu2 = 2 * xmu * dsq
    dx1 = dxmu1 + dxmu2
    dmu = -1 * np.sum(dx1, axis=0)
    dx2 = 1.0 / n * np.ones_like(dout) * dmu
    return dx1 + dx2, dgamma, dbeta


def layernorm_forward(x, gamma, beta, ln_param):
    """Layer normalization as batch normalization of x.T (the trick many students use)."""
    eps = ln_param.get("eps", 1e-5)
    xt = x.T
    d = xt.shape[0]
    mu = 1.0 / d * np.sum(xt, axis=0)
    xmu = xt - mu
    var = 1.0 / d * np.sum(xmu ** 2, axis=0)
    sqrtvar = np.sqrt(var + eps)
    ivar = 1.0 / sqrtvar
    xhat = xmu * ivar
    out = gamma * xhat.T + beta
    return out, (xhat, gamma, xmu, ivar, sqrtvar, var, eps)


def layernorm_backward(dout, cache):
    xhat, gamma, xmu, ivar, sqrtvar, var, eps = cache
    dbeta = np.sum(dout, axis=0)
    dgamma = np.sum(dout * xhat.T, axis=0)
    dxhat = (dout * gamma).T
    d = dxhat.shape[0]
    divar = np.sum(dxhat * xmu, axis=0)
    dxmu1 = dxhat * ivar
    dsqrtvar = -1.0 / (sqrtvar ** 2) * divar
    dvar = 0.5 * 1.0 / np.sqrt(var + eps) * dsqrtvar
    dxmu2 = 2 * xmu * (1.0 / d * np.ones_like(dxhat) * dvar)
    dx1 = dxmu1 + dxmu2
    dx = dx1 + 1.0 / d * np.ones_like(dxhat) * (-np.sum(dx1, axis=0))
    return dx.T, dgamma, dbeta


def spatial_batchnorm_forward(x, gamma, beta, bn_param):
    n, c, h, w = x.shape
    out, cache = batchnorm_forward(x.transpose(0, 2, 3, 1).reshape(-1, c), gamma, beta, bn_param)
    return out.reshape(n, h, w, c).transpose(0, 3, 1, 2), cache


def spatial_batchnorm_backward(dout, cache):
    n, c, h, w = dout.shape
    dx, dgamma, dbeta = batchnorm_backward(dout.transpose(0, 2, 3, 1).reshape(-1, c), cache)
    return dx.reshape(n, h, w, c).transpose(0, 3, 1, 2), dgamma, dbeta


def spatial_groupnorm_forward(x, gamma, beta, G, gn_param):
    """Each sample's groups as the columns of a layer norm: x reshaped to (N * G, C/G * H * W)."""
    n, c, h, w = x.shape
    out, cache = layernorm_forward(x.reshape(n * G, -1), np.ones(1, x.dtype), np.zeros(1, x.dtype), gn_param)
    return gamma * out.reshape(x.shape) + beta, (cache, out.reshape(x.shape), gamma, G)


def spatial_groupnorm_backward(dout, cache):
    ln_cache, xhat, gamma, G = cache
    n, c, h, w = dout.shape
    dbeta = np.sum(dout, axis=(0, 2, 3), keepdims=True)
    dgamma = np.sum(dout * xhat, axis=(0, 2, 3), keepdims=True)
    dx, _, _ = layernorm_backward((dout * gamma).reshape(n * G, -1), ln_cache)
    return dx.reshape(dout.shape), dgamma, dbeta


def conv_forward_naive(x, w, b, conv_param):
    stride, pad = conv_param["stride"], conv_param["pad"]
    n, c, h, wd = x.shape
    f, _, hh, ww = w.shape
    h_out, w_out = 1 + (h + 2 * pad - hh) // stride, 1 + (wd + 2 * pad - ww) // stride
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), mode="constant")
    out = np.zeros((n, f, h_out, w_out), dtype=x.dtype)
    for i in range(n):
        for k in range(f):
            for r in range(h_out):
                for q in range(w_out):
                    window = xp[i, :, r * stride:r * stride + hh, q * stride:q * stride + ww]
                    out[i, k, r, q] = np.sum(window * w[k]) + b[k]
    return out, (x, w, b, conv_param)


def conv_backward_naive(dout, cache):
    x, w, b, conv_param = cache
    stride, pad = conv_param["stride"], conv_param["pad"]
    f, _, hh, ww = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), mode="constant")
    dxp, dw = np.zeros_like(xp), np.zeros_like(w)
    db = np.sum(dout, axis=(0, 2, 3))
    for i in range(dout.shape[0]):
        for k in range(f):
            for r in range(dout.shape[2]):
                for q in range(dout.shape[3]):
                    rows, cols = slice(r * stride, r * stride + hh), slice(q * stride, q * stride + ww)
                    dw[k] += xp[i, :, rows, cols] * dout[i, k, r, q]
                    dxp[i, :, rows, cols] += w[k] * dout[i, k, r, q]
    return dxp[:, :, pad:pad + x.shape[2], pad:pad + x.shape[3]], dw, db


def max_pool_forward_naive(x, pool_param):
    ph, pw, s = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    n, c, h, w = x.shape
    h_out, w_out = 1 + (h - ph) // s, 1 + (w - pw) // s
    out = np.zeros((n, c, h_out, w_out), dtype=x.dtype)
    for r in range(h_out):
        for q in range(w_out):
            out[:, :, r, q] = np.max(x[:, :, r * s:r * s + ph, q * s:q * s + pw], axis=(2, 3))
    return out, (x, pool_param)


def max_pool_backward_naive(dout, cache):
    """The mask of each window's maxima, keeping only the first when several tie."""
    x, pool_param = cache
    ph, pw, s = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    dx = np.zeros_like(x)
    n, c = x.shape[:2]
    for r in range(dout.shape[2]):
        for q in range(dout.shape[3]):
            window = x[:, :, r * s:r * s + ph, q * s:q * s + pw].reshape(n, c, -1)
            mask = np.zeros_like(window)
            mask[np.arange(n)[:, None], np.arange(c)[None, :], np.argmax(window, axis=2)] = 1
            dx[:, :, r * s:r * s + ph, q * s:q * s + pw] += (mask * dout[:, :, r, q][:, :, None]).reshape(
                n, c, ph, pw)
    return dx


def rnn_step_forward(x, prev_h, Wx, Wh, b):
    a = prev_h.dot(Wh) + x.dot(Wx) + b
    next_h = np.tanh(a)
    return next_h, (x, prev_h, Wx, Wh, next_h)


def rnn_step_backward(dnext_h, cache):
    x, prev_h, Wx, Wh, next_h = cache
    da = dnext_h * (1 - next_h ** 2)
    return da.dot(Wx.T), da.dot(Wh.T), x.T.dot(da), prev_h.T.dot(da), np.sum(da, axis=0)


def rnn_forward(x, h0, Wx, Wh, b):
    n, t, _ = x.shape
    h, caches, prev = np.zeros((n, t, h0.shape[1]), dtype=x.dtype), [], h0
    for s in range(t):
        prev, cache = rnn_step_forward(x[:, s, :], prev, Wx, Wh, b)
        h[:, s, :] = prev
        caches.append(cache)
    return h, caches


def rnn_backward(dh, caches):
    n, t, hd = dh.shape
    x0 = caches[0][0]
    dx = np.zeros((n, t, x0.shape[1]), dtype=dh.dtype)
    dWx, dWh = np.zeros_like(caches[0][2]), np.zeros_like(caches[0][3])
    db, dprev = np.zeros(hd, dtype=dh.dtype), np.zeros((n, hd), dtype=dh.dtype)
    for s in reversed(range(t)):
        dx[:, s, :], dprev, dWx_s, dWh_s, db_s = rnn_step_backward(dh[:, s, :] + dprev, caches[s])
        dWx += dWx_s
        dWh += dWh_s
        db += db_s
    return dx, dprev, dWx, dWh, db


def _sigmoid(a):
    return 1 / (1 + np.exp(-a))


def lstm_step_forward(x, prev_h, prev_c, Wx, Wh, b):
    h = prev_h.shape[1]
    a = x.dot(Wx) + prev_h.dot(Wh) + b
    ai, af, ao, ag = a[:, :h], a[:, h:2 * h], a[:, 2 * h:3 * h], a[:, 3 * h:]
    i, f, o, g = _sigmoid(ai), _sigmoid(af), _sigmoid(ao), np.tanh(ag)
    next_c = f * prev_c + i * g
    tanh_c = np.tanh(next_c)
    next_h = o * tanh_c
    return next_h, next_c, (x, prev_h, prev_c, Wx, Wh, i, f, o, g, next_c, tanh_c)


def lstm_step_backward(dnext_h, dnext_c, cache):
    x, prev_h, prev_c, Wx, Wh, i, f, o, g, next_c, tanh_c = cache
    do = dnext_h * tanh_c
    dc = dnext_c + dnext_h * o * (1 - tanh_c ** 2)
    df, di, dg, dprev_c = dc * prev_c, dc * g, dc * i, dc * f
    dai, daf, dao, dag = di * i * (1 - i), df * f * (1 - f), do * o * (1 - o), dg * (1 - g ** 2)
    da = np.hstack((dai, daf, dao, dag))
    return da.dot(Wx.T), da.dot(Wh.T), dprev_c, x.T.dot(da), prev_h.T.dot(da), np.sum(da, axis=0)


def lstm_forward(x, h0, Wx, Wh, b):
    n, t, _ = x.shape
    h, caches = np.zeros((n, t, h0.shape[1]), dtype=x.dtype), []
    prev_h, prev_c = h0, np.zeros_like(h0)
    for s in range(t):
        prev_h, prev_c, cache = lstm_step_forward(x[:, s, :], prev_h, prev_c, Wx, Wh, b)
        h[:, s, :] = prev_h
        caches.append(cache)
    return h, caches


def lstm_backward(dh, caches):
    n, t, hd = dh.shape
    dx = np.zeros((n, t, caches[0][0].shape[1]), dtype=dh.dtype)
    dWx, dWh = np.zeros_like(caches[0][3]), np.zeros_like(caches[0][4])
    db = np.zeros(4 * hd, dtype=dh.dtype)
    dprev_h, dprev_c = np.zeros((n, hd), dtype=dh.dtype), np.zeros((n, hd), dtype=dh.dtype)
    for s in reversed(range(t)):
        dx[:, s, :], dprev_h, dprev_c, dWx_s, dWh_s, db_s = lstm_step_backward(
            dh[:, s, :] + dprev_h, dprev_c, caches[s])
        dWx += dWx_s
        dWh += dWh_s
        db += db_s
    return dx, dprev_h, dWx, dWh, db


def temporal_affine_forward(x, w, b):
    n, t, d = x.shape
    out = x.reshape(n * t, d).dot(w).reshape(n, t, -1) + b
    return out, (x, w, b, out)


def temporal_affine_backward(dout, cache):
    x, w, b, out = cache
    n, t, d = x.shape
    m = b.shape[0]
    dx = dout.reshape(n * t, m).dot(w.T).reshape(n, t, d)
    dw = dout.reshape(n * t, m).T.dot(x.reshape(n * t, d)).T
    return dx, dw, dout.sum(axis=(0, 1))


from ..layer_utils import sandwiches  # noqa: E402 (the sandwiches chained from the layers above)

globals().update(sandwiches(globals()))
