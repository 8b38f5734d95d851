"""The log-probabilities as x - logsumexp(x), the way torch users write them (``logits -
torch.logsumexp(logits, dim=1, keepdim=True)``, scipy's ``logsumexp``) and many NumPy answers
copy: the log-sum-exp max + log(sum(exp(x - max))) is rounded at its own size, the offset's, and
every log-probability inherits that rounding (the probabilities exp(log p) as relative error; no
normalization cancels it). In the inputs' dtype."""
import numpy as np


def _log_probs(x, axis=-1):
    top = x.max(axis=axis, keepdims=True)
    return x - (top + np.log(np.exp(x - top).sum(axis=axis, keepdims=True)))


def softmax_forward(x):
    out = np.exp(_log_probs(x))
    return out, out


def softmax_backward(dout, cache):
    p = cache
    return p * (dout - (dout * p).sum(axis=-1, keepdims=True))


def log_softmax_forward(x):
    out = _log_probs(x)
    return out, out


def log_softmax_backward(dout, cache):
    return dout - np.exp(cache) * dout.sum(axis=-1, keepdims=True)


def _nll(logp, y):
    """(mean negative log-likelihood, its gradient with respect to the scores)."""
    n = len(logp)
    rows = np.arange(n)
    dx = np.exp(logp)
    dx[rows, y] -= 1
    return -logp[rows, y].mean(), dx / n


def softmax_loss(x, y):
    return _nll(_log_probs(x, axis=1), y)


def softmax_loss_vectorized(W, X, y, reg):
    loss, dscores = _nll(_log_probs(X @ W, axis=1), y)
    return loss + reg * (W * W).sum(), X.T @ dscores + 2 * reg * W


def temporal_softmax_loss(x, y, mask):
    n, t, v = x.shape
    logp = _log_probs(x.reshape(n * t, v), axis=1)
    m = mask.reshape(-1).astype(x.dtype)
    rows, labels = np.arange(n * t), y.reshape(-1)
    loss = -(m * logp[rows, labels]).sum() / n
    dx = np.exp(logp)
    dx[rows, labels] -= 1
    return loss, (dx * (m[:, None] / n)).reshape(x.shape)


def cross_entropy_loss(x, y, label_smoothing=0.0, ignore_index=-100):
    n, c = x.shape
    logp = _log_probs(x, axis=1)
    kept = y != ignore_index
    target = np.zeros_like(x)
    target[np.flatnonzero(kept), y[kept]] = 1 - label_smoothing
    target += label_smoothing / c
    target *= kept[:, None]
    count = int(kept.sum())
    with np.errstate(invalid="ignore"):
        loss = -(target * logp).sum() / x.dtype.type(count)  # every row ignored: 0 / 0, NaN as torch
    return loss, (np.exp(logp) * kept[:, None] - target) / max(count, 1)
