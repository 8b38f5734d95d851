"""The algebraically simplified forms: the one-line batch/layer/group normalization backward of
the ``_alt`` exercise (terms distributed over 1/std, written with sqrt in one place and
**-0.5 in another, so that with zero variance two terms of size gamma * dout / sqrt(eps)
cancel to an ulp), and the vectorized losses written with masks and matrix products."""
import numpy as np


def batchnorm_forward(x, gamma, beta, bn_param):
    mode, eps, momentum = bn_param["mode"], bn_param.get("eps", 1e-5), bn_param.get("momentum", 0.9)
    d = x.shape[1]
    running_mean = bn_param.get("running_mean", np.zeros(d, dtype=x.dtype))
    running_var = bn_param.get("running_var", np.zeros(d, dtype=x.dtype))
    if mode == "train":
        mu, var = x.mean(axis=0), x.var(axis=0)
        bn_param["running_mean"] = momentum * running_mean + (1 - momentum) * mu
        bn_param["running_var"] = momentum * running_var + (1 - momentum) * var
    else:
        mu, var = running_mean, running_var
    xhat = (x - mu) / np.sqrt(var + eps)
    return gamma * xhat + beta, (x, mu, var, eps, gamma, xhat)


def batchnorm_backward_alt(dout, cache):
    x, mu, var, eps, gamma, xhat = cache
    n = dout.shape[0]
    dbeta = dout.sum(axis=0)
    dgamma = (dout * xhat).sum(axis=0)
    dx = (gamma * dout / np.sqrt(var + eps) - gamma * dbeta / n * (var + eps) ** -0.5
          - gamma * (x - mu) * (var + eps) ** -1.5 * (dout * (x - mu)).sum(axis=0) / n)
    return dx, dgamma, dbeta


batchnorm_backward = batchnorm_backward_alt


def layernorm_forward(x, gamma, beta, ln_param):
    eps = ln_param.get("eps", 1e-5)
    mu, var = x.mean(axis=1, keepdims=True), x.var(axis=1, keepdims=True)
    xhat = (x - mu) / np.sqrt(var + eps)
    return gamma * xhat + beta, (x, mu, var, eps, gamma, xhat)


def layernorm_backward(dout, cache):
    x, mu, var, eps, gamma, xhat = cache
    d = dout.shape[1]
    dxhat = dout * gamma
    dx = (1.0 / d) * (var + eps) ** -0.5 * (d * dxhat - dxhat.sum(axis=1, keepdims=True)
                                            - xhat * (dxhat * xhat).sum(axis=1, keepdims=True))
    return dx, (dout * xhat).sum(axis=0), dout.sum(axis=0)


def spatial_batchnorm_forward(x, gamma, beta, bn_param):
    n, c, h, w = x.shape
    out, cache = batchnorm_forward(x.transpose(0, 2, 3, 1).reshape(-1, c), gamma, beta, bn_param)
    return out.reshape(n, h, w, c).transpose(0, 3, 1, 2), cache


def spatial_batchnorm_backward(dout, cache):
    n, c, h, w = dout.shape
    dx, dgamma, dbeta = batchnorm_backward_alt(dout.transpose(0, 2, 3, 1).reshape(-1, c), cache)
    return dx.reshape(n, h, w, c).transpose(0, 3, 1, 2), dgamma, dbeta


def spatial_groupnorm_forward(x, gamma, beta, G, gn_param):
    eps = gn_param.get("eps", 1e-5)
    n, c, h, w = x.shape
    xg = x.reshape(n, G, -1)
    mu, var = xg.mean(axis=2, keepdims=True), xg.var(axis=2, keepdims=True)
    xhat = ((xg - mu) / np.sqrt(var + eps)).reshape(x.shape)
    return gamma * xhat + beta, (G, var, eps, gamma, xhat)


def spatial_groupnorm_backward(dout, cache):
    G, var, eps, gamma, xhat = cache
    n, c, h, w = dout.shape
    dbeta = dout.sum(axis=(0, 2, 3), keepdims=True)
    dgamma = (dout * xhat).sum(axis=(0, 2, 3), keepdims=True)
    dxhat = (dout * gamma).reshape(n, G, -1)
    xh = xhat.reshape(n, G, -1)
    m = dxhat.shape[2]
    dx = (dxhat - dxhat.sum(axis=2, keepdims=True) / m - xh * (dxhat * xh).sum(axis=2, keepdims=True) / m)
    return (dx / np.sqrt(var + eps)).reshape(dout.shape), dgamma, dbeta


def softmax_loss(x, y):
    n = x.shape[0]
    shifted = x - x.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    onehot = np.zeros_like(x)
    onehot[np.arange(n), y] = 1
    return -(onehot * log_probs).sum() / n, (np.exp(log_probs) - onehot) / n


def svm_loss(x, y):
    n = x.shape[0]
    correct = x[np.arange(n), y][:, None]
    margins = np.maximum(0, x - correct + 1)
    margins[np.arange(n), y] = 0
    binary = (margins > 0).astype(x.dtype)
    binary[np.arange(n), y] = -binary.sum(axis=1)
    return margins.sum() / n, binary / n


def softmax_loss_vectorized(W, X, y, reg):
    loss, dscores = softmax_loss(X.dot(W), y)
    return loss + reg * np.sum(W * W), X.T.dot(dscores) + 2 * reg * W


def svm_loss_vectorized(W, X, y, reg):
    loss, dscores = svm_loss(X.dot(W), y)
    return loss + reg * np.sum(W * W), X.T.dot(dscores) + 2 * reg * W


def compute_distances(X, Y):
    """No loop, from the differences (broadcast)."""
    return np.sqrt(((X[:, None, :] - Y[None, :, :]) ** 2).sum(axis=2))
