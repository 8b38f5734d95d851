"""Fully connected layers, ReLU, the two classification losses and dropout (CS231n ``layers.py``).

Every forward returns ``(out, cache)``; its backward takes ``(dout, cache)``. Arrays keep their
floating dtype (float32 in, float32 out; float16 is computed in float32 and returned as float16)
and are never modified in place.
"""
import math

import numpy as np

from . import _validate as v


def _rows(x):
    """x (N, d1, ..., dk) as (N, d1*...*dk), also for N = 0 (where reshape cannot infer -1)."""
    return x.reshape(x.shape[0], math.prod(x.shape[1:]))


@v.float16_as_float32
def affine_forward(x, w, b):
    """``out = x.reshape(N, D) @ w + b``.

    x: (N, d1, ..., dk) with D = d1*...*dk; w: (D, M); b: (M,). Returns out (N, M).
    torch: ``F.linear(x.reshape(N, -1), w.T, b)`` (torch stores the weight as (M, D)).
    """
    x = v.floats("x", x, min_ndim=1)
    w = v.floats("w", w, ndim=2)
    b = v.floats("b", b, ndim=1)
    x2 = _rows(x)
    v.shape("w", w, (x2.shape[1], w.shape[1]), f" (rows = prod(x.shape[1:]) of x {x.shape})")
    v.shape("b", b, (w.shape[1],), f" (columns of w {w.shape})")
    out = x2 @ w + b
    return out, (x, w)


@v.float16_as_float32
def affine_backward(dout, cache):
    """Gradients of affine_forward: dx (x.shape), dw (D, M), db (M,)."""
    x, w = cache
    dout = v.floats("dout", dout, ndim=2)
    v.shape("dout", dout, (x.shape[0], w.shape[1]), " (the forward's output)")
    x2 = _rows(x)
    dx = (dout @ w.T).reshape(x.shape)
    dw = x2.T @ dout
    db = dout.sum(axis=0)
    return dx, dw, db


@v.float16_as_float32
def relu_forward(x):
    """``max(x, 0)`` elementwise; any shape."""
    x = v.floats("x", x)
    return np.maximum(x, 0), x


@v.float16_as_float32
def relu_backward(dout, cache):
    """``dout`` where the input was > 0, else 0: the gradient at exactly 0 is 0, as in torch
    (and, as torch's ``x <= 0`` test, a NaN input passes the gradient through)."""
    x = cache
    dout = v.floats("dout", dout)
    v.shape("dout", dout, x.shape, " (the forward's input)")
    passes = ~(x <= 0)
    dx = dout * passes  # a product: np.where on a random mask takes 10x as long (7 ms for 1.6M floats)
    if not np.isfinite(dout).all():  # 0 * NaN is NaN, where the gradient is 0 (x <= 0) whatever dout holds
        dx[~passes] = 0
    return dx


def _scores_and_labels(x, y):
    x = v.floats("x", x, ndim=2)
    if x.shape[0] == 0 or x.shape[1] == 0:
        raise ValueError(f"x must have at least one row and one class, got shape {x.shape}")
    return x, v.labels("y", y, x.shape[0], x.shape[1])


@v.float16_as_float32
def softmax_loss(x, y):
    """Mean cross-entropy of scores x (N, C) against labels y (N,) in [0, C); returns (loss, dx).

    Computed through log-sum-exp after subtracting each row's maximum, so scores around 1e4
    stay finite. torch: ``F.cross_entropy(x, y)`` (reduction 'mean').
    """
    x, y = _scores_and_labels(x, y)
    n = x.shape[0]
    rows = np.arange(n)
    shifted = x - x.max(axis=1, keepdims=True)
    correct = shifted[rows, y]
    probs = np.exp(shifted, out=shifted)  # in place: the shifted scores are not needed again
    sums = probs.sum(axis=1, keepdims=True)
    loss = np.mean(np.log(sums[:, 0]) - correct)
    dx = probs
    dx /= sums * n
    dx[rows, y] -= 1 / n
    return x.dtype.type(loss), dx


@v.float16_as_float32
def svm_loss(x, y):
    """Multiclass hinge loss with margin 1: ``sum_{j != y} max(0, x_j - x_y + 1)``, averaged over N.

    A margin of exactly 0 contributes no gradient (torch's convention). torch:
    ``F.multi_margin_loss(x, y, margin=1)`` divides by C as well as by N; this loss does not.
    """
    x, y = _scores_and_labels(x, y)
    n = x.shape[0]
    rows = np.arange(n)
    margins = np.fmax(x - x[rows, y][:, None] + 1, 0)  # fmax: a NaN margin counts 0, as torch's `z > 0` test
    margins[rows, y] = 0
    loss = margins.sum() / n
    active = (margins > 0).astype(x.dtype)
    active[rows, y] = -active.sum(axis=1)
    dx = active / n
    return x.dtype.type(loss), dx


@v.float16_as_float32
def dropout_forward(x, dropout_param):
    """Inverted dropout: keep each element with probability p and scale the kept ones by 1/p.

    dropout_param: 'p' = probability of KEEPING an element (torch's p is the drop probability),
    'mode' = 'train' | 'test' (test mode is the identity), optional 'seed' for a reproducible mask
    (drawn from a generator of its own, leaving numpy's global random state alone; without a
    seed the mask comes from the global state, so np.random.seed makes it repeatable). x: any shape.
    p must lie in [0, 1] in either mode (torch checks its p in eval mode too); p = 0 gives zeros.
    """
    x = v.floats("x", x)
    dropout_param = v.params("dropout_param", dropout_param, required=True)
    p = v.number("dropout_param['p'] (keep probability)", dropout_param.get("p"), 0, 1)
    mode = v.choice("dropout_param['mode']", dropout_param.get("mode"), {"train", "test"})
    if mode == "test":
        return x.copy(), (mode, None)
    seed = dropout_param.get("seed")
    rng = np.random if seed is None else np.random.default_rng(seed)
    keep = rng.random(x.shape) < p
    # p = 0 keeps nothing: zeros, as torch's dropout with drop probability 1
    mask = keep.astype(x.dtype) / x.dtype.type(p) if p else np.zeros_like(x)
    return x * mask, (mode, mask)


@v.float16_as_float32
def dropout_backward(dout, cache):
    """dx = dout * mask / p with the forward's own mask; the identity in test mode."""
    mode, mask = cache
    dout = v.floats("dout", dout)
    if mode == "test":
        return dout.copy()
    v.shape("dout", dout, mask.shape, " (the forward's input)")
    return dout * mask
