"""Mutants of the linear classifiers and k-NN distances."""
import numpy as np

import refimpl

from . import mutant

HALF_REG = ("The L2 gradient is reg * W; the loss reg * sum(W**2) has gradient 2 * reg * W "
            "(reg * W belongs to a 0.5 * reg * sum(W**2) loss).")


def _half_reg_gradient(rule):
    def wrong(W, X, y, reg):
        loss, dW = rule(W, X, y, reg)
        return loss, dW - reg * W
    return wrong


for _name in ("softmax_loss_naive", "softmax_loss_vectorized", "svm_loss_naive", "svm_loss_vectorized"):
    _fn = _half_reg_gradient(getattr(refimpl, _name))
    _fn.__name__ = f"{_name}_half_reg_gradient"
    mutant(_name, HALF_REG)(_fn)


@mutant("svm_loss_vectorized", "The data loss is summed over the batch, not averaged (divide by N).")
def svm_loss_vectorized_not_averaged(W, X, y, reg):
    loss, dscores = refimpl.svm_loss(X @ W, y)
    n = X.shape[0]
    return W.dtype.type(n * loss + reg * np.sum(W * W)), n * (X.T @ dscores) + 2 * reg * W


@mutant("softmax_loss_naive", "The scores are exponentiated without subtracting their maximum: exp "
                              "overflows for large scores.")
def softmax_loss_naive_no_shift(W, X, y, reg):
    scores = X @ W
    probs = np.exp(scores) / np.exp(scores).sum(axis=1, keepdims=True)
    n = X.shape[0]
    loss = -np.log(probs[np.arange(n), y]).mean() + reg * np.sum(W * W)
    probs[np.arange(n), y] -= 1
    return W.dtype.type(loss), X.T @ probs / n + 2 * reg * W


@mutant("compute_distances", "The squared distances from |x|^2 + |y|^2 - 2 x.y are not clamped at "
                             "0: rounding makes some slightly negative and sqrt gives NaN.")
def compute_distances_unclamped(X, Y):
    sq = (X * X).sum(axis=1)[:, None] + (Y * Y).sum(axis=1)[None, :] - 2 * X @ Y.T
    return np.sqrt(sq)


@mutant("compute_distances", "dists is not exactly 0 for identical rows", level="warn")
def compute_distances_no_exact_zero(X, Y):
    sq = (X * X).sum(axis=1)[:, None] + (Y * Y).sum(axis=1)[None, :] - 2 * X @ Y.T
    return np.sqrt(np.maximum(sq, 0))


GLOBAL_MAX = ("The maximum subtracted is the whole array's (x.max()), not each row's: rows whose scores sit "
              "at different levels underflow to 0 / 0 (use x.max(axis=1, keepdims=True)).")


@mutant("softmax_loss_vectorized", GLOBAL_MAX)
def softmax_loss_vectorized_global_max(W, X, y, reg):
    scores = X @ W
    probs = np.exp(scores - scores.max())
    probs /= probs.sum(axis=1, keepdims=True)
    n = X.shape[0]
    loss = -np.log(probs[np.arange(n), y]).mean() + reg * np.sum(W * W)
    probs[np.arange(n), y] -= 1
    return W.dtype.type(loss), X.T @ probs / n + 2 * reg * W


@mutant("softmax_loss_naive", GLOBAL_MAX)
def softmax_loss_naive_global_max(W, X, y, reg):
    scores = X @ W
    scores = scores - scores.max()
    n, loss, dW = X.shape[0], 0.0, np.zeros_like(W)
    for i in range(n):
        p = np.exp(scores[i]) / np.exp(scores[i]).sum()
        loss -= np.log(p[y[i]])
        p[y[i]] -= 1
        dW += np.outer(X[i], p)
    return W.dtype.type(loss / n + reg * np.sum(W * W)), dW / n + 2 * reg * W


@mutant("svm_loss_naive", "The loss is accumulated in float32 for float64 inputs (a np.float32 "
                          "accumulator): compute in the inputs' dtype.")
def svm_loss_naive_float32_loss(W, X, y, reg):
    loss, dW = refimpl.svm_loss_naive(W, X, y, reg)
    scores = X @ W
    total = np.float32(0)
    for i in range(X.shape[0]):
        for j in range(W.shape[1]):
            margin = scores[i, j] - scores[i, y[i]] + 1
            if j != y[i] and margin > 0:
                total += np.float32(margin)
    return W.dtype.type(total / X.shape[0] + reg * np.sum(W * W)), dW
