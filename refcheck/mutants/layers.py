"""Mutants of affine, ReLU, the losses, batch normalization and dropout."""
import warnings

import numpy as np

import refimpl
from torch_oracle.layers import RELU_AT_ZERO

from ..diagnosis.generic import zero_hint
from . import mutant


def log_clamp_hint(eps):
    """The sentence for a log clamped at ``eps`` (the diagnosis finds the eps of a user's clamp)."""
    return (f"The log is clamped at {eps:g} (log(p + {eps:g}) or log(max(p, {eps:g}))): where the correct class's "
            f"probability underflows below it the loss is capped at {-np.log(eps):.3g}, finite but wrong; take "
            f"log p from log-sum-exp: log p_y = s_y - log(sum(exp(s))) with s = x - max(x).")


UNBIASED_RUNNING_VAR = ("running_var is updated with the unbiased batch variance (torch's convention); the "
                        "contract uses the biased one (x.var(axis=0)).")
TEST_NO_AFFINE = ("Test mode leaves out gamma and beta: out = gamma * (x - running_mean) / sqrt(running_var + "
                  "eps) + beta (a check with gamma = 1 and beta = 0 cannot see it).")
NO_AFFINE = "gamma and beta are not applied: out = gamma * xhat + beta."
BN_EPS_OUTSIDE = "eps is added outside the square root: use sqrt(var + eps)."
RUNNING_STATS_2D = ("running_mean and running_var are stored with shape (1, D); bn_param keeps them as (D,) "
                    "(take the batch mean over axis 0 without keepdims).")


@mutant("affine_forward", "The bias b is not added to the output.")
def affine_forward_no_bias(x, w, b):
    out, cache = refimpl.affine_forward(x, w, b)
    return out - b, cache


@mutant("affine_backward", "db averages dout over the batch; it should sum it (db = dout.sum(axis=0)).")
def affine_backward_db_mean(dout, cache):
    dx, dw, db = refimpl.affine_backward(dout, cache)
    return dx, dw, db / dout.shape[0]


@mutant("relu_backward", RELU_AT_ZERO, level="warn")
def relu_backward_at_zero(dout, cache):
    return np.where(cache >= 0, dout, 0).astype(dout.dtype)


@mutant("relu_backward", "The gradient also passes where the input is negative: dx is dout where x > 0 "
                         "and 0 elsewhere (the mask is the forward's input, not dout).")
def relu_backward_mask_from_dout(dout, cache):
    return np.where(dout > 0, dout, 0).astype(dout.dtype)


def _softmax_probs_naive(x):
    e = np.exp(x)
    return e / e.sum(axis=1, keepdims=True)


@mutant("softmax_loss", "The scores are exponentiated without subtracting each row's maximum: exp "
                        "overflows for large scores (use x - x.max(axis=1, keepdims=True)).")
def softmax_loss_no_max_shift(x, y):
    n = x.shape[0]
    probs = _softmax_probs_naive(x)
    loss = -np.log(probs[np.arange(n), y]).mean()
    dx = probs.copy()
    dx[np.arange(n), y] -= 1
    return x.dtype.type(loss), dx / n


@mutant("softmax_loss", "The maximum subtracted is the whole array's (x.max()), not each row's: rows "
                        "whose scores sit at different levels underflow to 0 / 0 (use x.max(axis=1, "
                        "keepdims=True)).")
def softmax_loss_global_max(x, y):
    n = x.shape[0]
    probs = np.exp(x - x.max())
    probs /= probs.sum(axis=1, keepdims=True)
    loss = -np.log(probs[np.arange(n), y]).mean()
    probs[np.arange(n), y] -= 1
    return x.dtype.type(loss), probs / n


@mutant("softmax_loss", "The log of the correct class's probability is clamped (log(max(p, eps))): where "
                        "it scores far below the row's maximum the loss is capped, finite but wrong; "
                        "take log-sum-exp: loss = log(sum(exp(s))) - s_y with s = x - max(x).")
def softmax_loss_clamped_log(x, y):
    n = x.shape[0]
    shifted = x - x.max(axis=1, keepdims=True)
    probs = np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True)
    loss = -np.log(np.maximum(probs[np.arange(n), y], 1e-12)).mean()
    probs[np.arange(n), y] -= 1
    return x.dtype.type(loss), probs / n


@mutant("softmax_loss", log_clamp_hint(1e-20))
def softmax_loss_log_plus_eps(x, y):
    n = x.shape[0]
    shifted = x - x.max(axis=1, keepdims=True)
    probs = np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True)
    loss = -np.log(probs[np.arange(n), y] + 1e-20).mean()
    probs[np.arange(n), y] -= 1
    return x.dtype.type(loss), probs / n


@mutant("softmax_loss", "dx is about 1% off where the scores are large (|x| >= 100) though right on "
                        "small ones: the gradient depends only on the differences between a row's scores.")
def softmax_loss_dx_off_on_large_scores(x, y):
    loss, dx = refimpl.softmax_loss(x, y)
    return loss, dx * x.dtype.type(1.01 if np.abs(x).max() >= 100 else 1.0)


@mutant("softmax_loss", "dx is not divided by N, though the loss is the mean over the batch.")
def softmax_loss_dx_not_averaged(x, y):
    loss, dx = refimpl.softmax_loss(x, y)
    return loss, dx * x.shape[0]


@mutant("svm_loss", "The loss and gradient are divided by the number of classes C as well as N: that is "
                    "torch's multi_margin_loss; the contract sums over classes.")
def svm_loss_divided_by_classes(x, y):
    loss, dx = refimpl.svm_loss(x, y)
    return loss / x.shape[1], dx / x.shape[1]


@mutant("svm_loss", "A margin of exactly 0 is counted in the gradient; only margins > 0 contribute.")
def svm_loss_gradient_at_zero_margin(x, y):
    n, rows = x.shape[0], np.arange(x.shape[0])
    margins = x - x[rows, y][:, None] + 1
    margins[rows, y] = -1
    loss = np.maximum(0, margins).sum() / n
    active = (margins >= 0).astype(x.dtype)
    active[rows, y] = -active.sum(axis=1)
    return x.dtype.type(loss), active / n


@mutant("svm_loss", "The correct class's own margin (always 1) is added to the loss.")
def svm_loss_counts_correct_class(x, y):
    loss, dx = refimpl.svm_loss(x, y)
    return loss + 1, dx


@mutant("batchnorm_forward", UNBIASED_RUNNING_VAR)
def batchnorm_unbiased_running_var(x, gamma, beta, bn_param):
    old = bn_param.get("running_var", np.zeros(x.shape[1], x.dtype))
    out, cache = refimpl.batchnorm_forward(x, gamma, beta, bn_param)
    if bn_param["mode"] == "train":  # one sample: NaN, as torch.var and np.var(ddof=1) give
        m = bn_param.get("momentum", 0.9)
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            bn_param["running_var"] = m * old + (1 - m) * x.var(axis=0, ddof=1)
    return out, cache


@mutant("batchnorm_forward", "momentum weights the new batch statistics (torch's convention); the "
                             "contract's running = momentum * running + (1 - momentum) * batch.")
def batchnorm_momentum_swapped(x, gamma, beta, bn_param):
    params = dict(bn_param, momentum=1 - bn_param.get("momentum", 0.9))
    out, cache = refimpl.batchnorm_forward(x, gamma, beta, params)
    bn_param.update({k: params[k] for k in ("running_mean", "running_var") if k in params})
    return out, cache


@mutant("batchnorm_forward", "Test mode normalizes with the batch's statistics instead of the running ones.")
def batchnorm_test_uses_batch_stats(x, gamma, beta, bn_param):
    out, cache = refimpl.batchnorm_forward(x, gamma, beta, dict(bn_param, mode="train"))
    if bn_param["mode"] == "train":
        return refimpl.batchnorm_forward(x, gamma, beta, bn_param)
    return out, cache


@mutant("batchnorm_forward", BN_EPS_OUTSIDE)
def batchnorm_eps_outside_sqrt(x, gamma, beta, bn_param):
    out, cache = refimpl.batchnorm_forward(x, gamma, beta, bn_param)
    mode, xc, std, g = cache
    eps = bn_param.get("eps", 1e-5)
    var = std**2 - eps
    return gamma * xc / (np.sqrt(np.maximum(var, 0)) + eps) + beta, cache


@mutant("batchnorm_forward", TEST_NO_AFFINE)
def batchnorm_test_mode_no_affine(x, gamma, beta, bn_param):
    out, cache = refimpl.batchnorm_forward(x, gamma, beta, bn_param)
    if bn_param["mode"] == "test":
        _, xc, std, _ = cache
        out = (xc / std).astype(x.dtype)
    return out, cache


@mutant("batchnorm_forward", RUNNING_STATS_2D)
def batchnorm_running_stats_2d(x, gamma, beta, bn_param):
    out, cache = refimpl.batchnorm_forward(x, gamma, beta, bn_param)
    if bn_param["mode"] == "train":
        bn_param["running_mean"] = bn_param["running_mean"].reshape(1, -1)
        bn_param["running_var"] = bn_param["running_var"].reshape(1, -1)
    return out, cache


@mutant("batchnorm_forward", f"{TEST_NO_AFFINE} {UNBIASED_RUNNING_VAR}",
        combines=("batchnorm_test_mode_no_affine", "batchnorm_unbiased_running_var"))
def batchnorm_test_no_affine_unbiased_running_var(x, gamma, beta, bn_param):
    out, cache = batchnorm_unbiased_running_var(x, gamma, beta, bn_param)
    if bn_param["mode"] == "test":
        _, xc, std, _ = cache
        out = (xc / std).astype(x.dtype)
    return out, cache


@mutant("affine_backward", zero_hint("dw"))
def affine_backward_dw_zeros(dout, cache):
    dx, dw, db = refimpl.affine_backward(dout, cache)
    return dx, np.zeros_like(dw), db


@mutant("layernorm_forward", "eps is missing: divide by sqrt(var + eps), not sqrt(var).")
def layernorm_forward_no_eps(x, gamma, beta, ln_param):
    out, cache = refimpl.layernorm_forward(x, gamma, beta, ln_param)
    xc = x - x.mean(axis=1, keepdims=True)
    return gamma * (xc / np.sqrt(x.var(axis=1, keepdims=True))) + beta, cache


@mutant("batchnorm_backward", "dx ignores the gradient through the batch mean and variance "
                              "(dx = dout * gamma / std holds only in test mode).")
def batchnorm_backward_no_stats_gradient(dout, cache):
    mode, xc, std, gamma = cache
    dx, dgamma, dbeta = refimpl.batchnorm_backward(dout, cache)
    return dout * gamma / std, dgamma, dbeta


@mutant("batchnorm_backward_alt", "dx misses the term from the batch mean (- mean(dxhat)).")
def batchnorm_backward_alt_no_mean_term(dout, cache):
    mode, xc, std, gamma = cache
    xhat = xc / std
    dxhat = dout * gamma
    dx = (dxhat - xhat * (dxhat * xhat).mean(axis=0)) / std
    return dx, (dout * xhat).sum(axis=0), dout.sum(axis=0)


@mutant("batchnorm_backward_alt", "dgamma and dbeta are swapped.")
def batchnorm_backward_alt_swapped(dout, cache):
    dx, dgamma, dbeta = refimpl.batchnorm_backward_alt(dout, cache)
    return dx, dbeta, dgamma


def _kept(out):
    return np.asarray(out) != 0


def _within_tolerance(function, key, actual, expected, inputs):
    """actual matches expected by the tolerance table, as the judge would compare them."""
    from .. import tolerances
    from ..judge import compare
    tol, magnitude = tolerances.Bounds(function, inputs.args["x"].dtype.name, inputs, {key: expected})(key)
    return compare(key, actual, expected, tol, magnitude)[0] == "pass"


def _dropout_scaled_by(factor, mode="train"):
    """matches(): in ``mode``, the output is x * factor(p) where kept (on the implementation's own
    mask). Randomness stays out of the hint: it is read off the output, never drawn again."""
    def matches(inputs, outputs):
        x, param = inputs.args["x"], inputs.args["dropout_param"]
        out = outputs.get("out")
        if out is None or out.shape != x.shape or param["mode"] != mode:
            return False
        want = np.where(_kept(out), x.astype(np.float64) * factor(param["p"]), 0)
        return _within_tolerance("dropout_forward", "out", out, want, inputs)
    return matches


@mutant("dropout_forward", "p is used as the probability of dropping (torch's convention); in the "
                           "contract p is the probability of keeping: keep with rand < p, scale by 1/p.",
        matches=_dropout_scaled_by(lambda p: 1 / (1 - p) if p < 1 else np.inf))
def dropout_p_drops(x, dropout_param):
    p, mode = dropout_param["p"], dropout_param["mode"]
    if mode == "test":
        return x.copy(), (mode, None)
    seed = dropout_param.get("seed")
    kept = (np.random if seed is None else np.random.default_rng(seed)).random(x.shape) >= p
    out = x * kept / (1 - p) if p < 1 else np.zeros_like(x)
    return out.astype(x.dtype), (mode, (kept / p).astype(x.dtype))  # the cache stays right


@mutant("dropout_forward", "The kept units are not scaled by 1/p (non-inverted dropout); inverted "
                           "dropout divides by p at train time so test time is the identity.",
        matches=_dropout_scaled_by(lambda p: 1.0))
def dropout_not_inverted(x, dropout_param):
    out, (mode, mask) = refimpl.dropout_forward(x, dropout_param)
    if mode == "test":
        return out, (mode, mask)
    return out * x.dtype.type(dropout_param["p"]), (mode, mask)  # the cache stays right


@mutant("dropout_forward", "dropout_param['seed'] is ignored: two calls with the same seed give "
                           "different masks.",
        matches=lambda inputs, out: "out_again" in out and not np.array_equal(out["out"], out["out_again"]))
def dropout_ignores_seed(x, dropout_param):
    return refimpl.dropout_forward(x, {k: v for k, v in dropout_param.items() if k != "seed"})


@mutant("dropout_forward", "Test mode drops units too; at test time dropout is the identity.",
        matches=_dropout_scaled_by(lambda p: 1 / p, mode="test"))
def dropout_in_test_mode(x, dropout_param):
    out, cache = refimpl.dropout_forward(x, dict(dropout_param, mode="train"))
    return out, (dropout_param["mode"], cache[1] if dropout_param["mode"] == "train" else None)


@mutant("dropout_backward", "dx is dout where kept but not divided by p, so it does not match the "
                            "forward's scaling.",
        matches=lambda inputs, out: (
            inputs.args["dropout_param"]["mode"] == "train" and out.get("dx") is not None
            and out["dx"].shape == inputs.douts["dout"].shape
            and _within_tolerance("dropout_backward", "dx", out["dx"],
                                  np.where(_kept(out["forward out"]), inputs.douts["dout"], 0), inputs)))
def dropout_backward_unscaled(dout, cache):
    mode, mask = cache
    return dout.copy() if mode == "test" else dout * (mask != 0)
