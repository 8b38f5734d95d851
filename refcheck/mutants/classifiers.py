"""Mutants of the linear classifiers and k-NN distances."""
import numpy as np

import refimpl

from . import mutant
from .layers import log_clamp_hint

HALF_REG = ("The L2 gradient is reg * W; the loss reg * sum(W**2) has gradient 2 * reg * W "
            "(reg * W belongs to a 0.5 * reg * sum(W**2) loss).")
NO_REG_LOSS = ("The L2 term is never added to the loss: add reg * np.sum(W * W) to it (the data loss is "
               "right).")
HALF_REG_LOSS = ("The L2 term is added as 0.5 * reg * sum(W**2); the contract's loss adds reg * np.sum(W * W) "
                 "(whose gradient is 2 * reg * W).")
REG_LOSS_PER_SAMPLE = ("The L2 term is added once per sample (N times, inside the loop over samples): add "
                       "reg * np.sum(W * W) once.")
NO_REG_GRADIENT = "dW misses the L2 gradient: add 2 * reg * W (the gradient of reg * np.sum(W * W))."
REG_GRADIENT_PER_SAMPLE = ("The L2 gradient 2 * reg * W is added once per sample (N times, inside the loop "
                           "over samples): add it once, after dividing the data gradient by N.")
CLASSIFIERS = ("softmax_loss_naive", "softmax_loss_vectorized", "svm_loss_naive", "svm_loss_vectorized")

# How each of those mistakes changes (loss, dW) of a rule: the L2 term's coefficient in the loss
# (1 in the contract) and its gradient's in dW (2), as functions of N.
REG_MISTAKES = {
    "half_reg_gradient": (HALF_REG, lambda n: 1, lambda n: 1),
    "no_reg_loss": (NO_REG_LOSS, lambda n: 0, lambda n: 2),
    "half_reg_loss": (HALF_REG_LOSS, lambda n: 0.5, lambda n: 2),
    "reg_loss_per_sample": (REG_LOSS_PER_SAMPLE, lambda n: n, lambda n: 2),
    "no_reg_gradient": (NO_REG_GRADIENT, lambda n: 1, lambda n: 0),
    "reg_gradient_per_sample": (REG_GRADIENT_PER_SAMPLE, lambda n: 1, lambda n: 2 * n),
}
# Two at once, as real code has them: the 0.5 * reg convention throughout (loss and gradient), the
# L2 term computed and then never used, and the regularization written inside the sample loop.
REG_COMBINATIONS = {
    "half_reg_convention": (("half_reg_loss", "half_reg_gradient"), lambda n: 0.5, lambda n: 1),
    "reg_never_added": (("no_reg_loss", "no_reg_gradient"), lambda n: 0, lambda n: 0),
    "reg_per_sample": (("reg_loss_per_sample", "reg_gradient_per_sample"), lambda n: n, lambda n: 2 * n),
}


def _with_reg(rule, loss_coef, grad_coef):
    """``rule`` with its L2 term and gradient multiplied by other coefficients than 1 and 2."""
    def wrong(W, X, y, reg):
        loss, dW = rule(W, X, y, reg)
        n, term = X.shape[0], reg * np.sum(W * W)
        return W.dtype.type(loss + (loss_coef(n) - 1) * term), dW + (grad_coef(n) - 2) * reg * W
    return wrong


for _name in CLASSIFIERS:
    for _kind, (_hint, _loss, _grad) in REG_MISTAKES.items():
        _fn = _with_reg(getattr(refimpl, _name), _loss, _grad)
        _fn.__name__ = f"{_name}_{_kind}"
        mutant(_name, _hint)(_fn)
    for _kind, (_parts, _loss, _grad) in REG_COMBINATIONS.items():
        _fn = _with_reg(getattr(refimpl, _name), _loss, _grad)
        _fn.__name__ = f"{_name}_{_kind}"
        mutant(_name, " ".join(REG_MISTAKES[p][0] for p in _parts),
               combines=tuple(f"{_name}_{p}" for p in _parts))(_fn)


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


@mutant("softmax_loss_vectorized", log_clamp_hint(1e-20))
def softmax_loss_vectorized_log_plus_eps(W, X, y, reg):
    scores = X @ W
    shifted = scores - scores.max(axis=1, keepdims=True)
    probs = np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True)
    n = X.shape[0]
    loss = -np.log(probs[np.arange(n), y] + 1e-20).mean() + reg * np.sum(W * W)
    probs[np.arange(n), y] -= 1
    return W.dtype.type(loss), X.T @ probs / n + 2 * reg * W
