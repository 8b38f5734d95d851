"""Linear classifiers and k-NN distances (CS231n assignment 1).

The L2 term is ``reg * sum(W**2)``, so its gradient is ``2 * reg * W`` (not ``0.5 * reg``).
"""
import numpy as np

from . import _validate as v
from .layers import softmax_loss, svm_loss


def _classifier_args(W, X, y, reg):
    v.number("reg", reg, low=0)
    W = v.floats("W", W, ndim=2)
    X = v.floats("X", X, ndim=2)
    if X.shape[1] != W.shape[0]:
        raise ValueError(f"X's columns must match W's rows, got X {X.shape} and W {W.shape}")
    if X.shape[0] == 0:
        raise ValueError(f"X must hold at least one sample, got shape {X.shape}")
    y = v.labels("y", y, X.shape[0], W.shape[1])
    return W, X, y


def _plus_l2(W, reg, loss, dW):
    """The data loss and gradient plus the L2 term ``reg * sum(W**2)`` and its gradient ``2 * reg * W``."""
    return W.dtype.type(loss + reg * np.sum(W * W)), dW + 2 * reg * W


@v.float16_as_float32
def softmax_loss_naive(W, X, y, reg):
    """Softmax (cross-entropy) loss of scores X @ W with explicit loops over samples and classes.

    W: (D, C), X: (N, D), y: (N,) in [0, C). Returns (loss, dW): mean cross-entropy + reg * sum(W**2),
    each row's loss taken as log-sum-exp of its shifted scores minus the correct one (finite when
    the correct class scores far below the others). torch: ``F.cross_entropy(X @ W, y) + reg * (W * W).sum()``.
    """
    W, X, y = _classifier_args(W, X, y, reg)
    n, num_classes = X.shape[0], W.shape[1]
    loss = 0.0
    dW = np.zeros_like(W)
    for i in range(n):
        scores = X[i] @ W
        shifted = scores - scores.max()
        exp = np.exp(shifted)
        total = exp.sum()
        loss += np.log(total) - shifted[y[i]]  # log-sum-exp: finite even where probs[y] underflows
        for k in range(num_classes):
            dW[:, k] += (exp[k] / total - (k == y[i])) * X[i]
    return _plus_l2(W, reg, loss / n, dW / n)


@v.float16_as_float32
def softmax_loss_vectorized(W, X, y, reg):
    """softmax_loss_naive without loops: ``softmax_loss(X @ W, y)`` plus the L2 term."""
    W, X, y = _classifier_args(W, X, y, reg)
    loss, dscores = softmax_loss(X @ W, y)
    return _plus_l2(W, reg, loss, X.T @ dscores)


@v.float16_as_float32
def svm_loss_naive(W, X, y, reg):
    """Multiclass SVM (hinge, margin 1) loss of scores X @ W with explicit loops.

    Returns (loss, dW): ``mean_i sum_{j != y_i} max(0, s_j - s_{y_i} + 1) + reg * sum(W**2)``;
    a margin of exactly 0 adds no gradient.
    """
    W, X, y = _classifier_args(W, X, y, reg)
    n, num_classes = X.shape[0], W.shape[1]
    loss = 0.0
    dW = np.zeros_like(W)
    for i in range(n):
        scores = X[i] @ W
        dscores = np.zeros(num_classes, W.dtype)
        for j in range(num_classes):
            if j == y[i]:
                continue
            margin = scores[j] - scores[y[i]] + 1
            if margin > 0:
                loss += margin
                dscores[j] += 1
                dscores[y[i]] -= 1
        dW += np.outer(X[i], dscores)  # every row of X enters, as in X.T @ dscores (a NaN in X shows)
    return _plus_l2(W, reg, loss / n, dW / n)


@v.float16_as_float32
def svm_loss_vectorized(W, X, y, reg):
    """svm_loss_naive without loops: ``svm_loss(X @ W, y)`` plus the L2 term."""
    W, X, y = _classifier_args(W, X, y, reg)
    loss, dscores = svm_loss(X @ W, y)
    return _plus_l2(W, reg, loss, X.T @ dscores)


@v.float16_as_float32
def compute_distances(X, Y):
    """Euclidean distances between the rows of X (N, D) and Y (M, D); returns dists (N, M).

    Uses ``|x|^2 + |y|^2 - 2 x.y`` (one matrix product) and recomputes from the differences every
    pair where that expansion cancels badly (squared distance below 1/16 of ``|x|^2 + |y|^2``) or
    is not finite (it overflowed, or the rows hold inf or NaN), so identical rows give exactly 0,
    close rows keep their relative accuracy, nothing is NaN for finite rows, and inf and NaN come
    out as torch's (inf - inf is NaN). The recomputed pairs are summed in float64, so float32 rows
    near 1e20 (whose squares overflow float32) still give their finite distance.
    torch: ``torch.cdist(X, Y, p=2, compute_mode='donot_use_mm_for_euclid_dist')``.
    """
    X = v.floats("X", X, ndim=2)
    Y = v.floats("Y", Y, ndim=2)
    if X.shape[1] != Y.shape[1]:
        raise ValueError(f"X and Y must have the same number of columns, got X {X.shape} and Y {Y.shape}")
    with np.errstate(over="ignore", invalid="ignore"):  # the pairs where it happens are recomputed
        xx = (X * X).sum(axis=1)[:, None]
        yy = (Y * Y).sum(axis=1)[None, :]
        sq = np.maximum(xx + yy - 2 * (X @ Y.T), 0)
        i, j = np.nonzero(~np.isfinite(sq) | (sq * 16 < xx + yy))
        dists = np.sqrt(sq)
        dists[i, j] = np.sqrt((np.subtract(X[i], Y[j], dtype=np.float64) ** 2).sum(axis=1))
    return dists
