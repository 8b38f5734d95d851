"""The formulas as textbooks and lecture notes print them: softmax probabilities exp(s) / sum
exp(s) (after subtracting each row's maximum) and then -log of the correct class's probability,
and the k-NN distance sqrt(|x|^2 + |y|^2 - 2 x.y) with no loop, clamped at 0. Both are right on
ordinary inputs and earn the contract's warnings elsewhere: the log of a probability that
underflowed is inf on extreme scores, and identical rows are not exactly 0 apart."""
import numpy as np

EXTREME = ("is non-finite on extreme inputs",)
WARNINGS = {"softmax_loss": EXTREME, "softmax_loss_naive": EXTREME, "softmax_loss_vectorized": EXTREME,
            "temporal_softmax_loss": EXTREME, "compute_distances": ("not exactly 0 for identical rows",)}


def _probs(scores):
    e = np.exp(scores - np.max(scores, axis=-1, keepdims=True))
    return e / np.sum(e, axis=-1, keepdims=True)


def softmax_loss(x, y):
    n = x.shape[0]
    probs = _probs(x)
    loss = -np.sum(np.log(probs[np.arange(n), y])) / n
    dx = probs.copy()
    dx[np.arange(n), y] -= 1
    return loss, dx / n


def softmax_loss_naive(W, X, y, reg):
    loss, dW = 0.0, np.zeros_like(W)
    n, c = X.shape[0], W.shape[1]
    for i in range(n):
        scores = X[i].dot(W)
        scores -= np.max(scores)
        p = np.exp(scores) / np.sum(np.exp(scores))
        loss += -np.log(p[y[i]])
        for j in range(c):
            dW[:, j] += (p[j] - (j == y[i])) * X[i]
    return W.dtype.type(loss / n + reg * np.sum(W * W)), dW / n + 2 * reg * W


def softmax_loss_vectorized(W, X, y, reg):
    loss, dscores = softmax_loss(X.dot(W), y)
    return loss + reg * np.sum(W * W), X.T.dot(dscores) + 2 * reg * W


def temporal_softmax_loss(x, y, mask):
    n, t, v = x.shape
    flat, y_flat, mask_flat = x.reshape(n * t, v), y.reshape(n * t), mask.reshape(n * t)
    probs = _probs(flat)
    loss = -np.sum(mask_flat * np.log(probs[np.arange(n * t), y_flat])) / n
    dx = probs.copy()
    dx[np.arange(n * t), y_flat] -= 1
    dx /= n
    dx *= mask_flat[:, None]
    return loss, dx.reshape(n, t, v)


def compute_distances(X, Y):
    sq = np.sum(X ** 2, axis=1)[:, None] + np.sum(Y ** 2, axis=1)[None, :] - 2 * X.dot(Y.T)
    return np.sqrt(np.maximum(sq, 0))
