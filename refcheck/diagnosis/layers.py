"""Hypotheses about the losses and batch normalization: a log clamped at some eps, the maximum
subtracted over the whole array instead of each row, batchnorm's gamma and beta left out, eps
outside the square root, the unbiased variance (a factor N / (N - 1))."""
import numpy as np

from .. import tolerances
from ..mutants import MUTANTS, all_mutants
from ..mutants.layers import (BN_EPS_OUTSIDE, NO_AFFINE, TEST_NO_AFFINE, UNBIASED_RUNNING_VAR,
                              log_clamp_hint)
from . import Match, hypothesis

SOFTMAX_LOSSES = ("softmax_loss", "softmax_loss_naive", "softmax_loss_vectorized", "temporal_softmax_loss")
EPSILONS = (1e-300, 1e-100, 1e-50, 1e-40, 1e-30, 1e-20, 1e-16, 1e-15, 1e-12, 1e-10, 1e-9, 1e-8, 1e-7, 1e-6, 1e-5)


def _rows(s):
    """(scores (R, C) in the case's dtype, labels (R,), weights (R,), divisor) of a softmax loss:
    loss = sum(weights * row losses) / divisor + the L2 term."""
    a = s.args
    if s.row.name == "temporal_softmax_loss":
        x = a["x"]
        return x.reshape(-1, x.shape[-1]), a["y"].reshape(-1), a["mask"].reshape(-1).astype(np.float64), x.shape[0]
    scores = a["x"] if s.row.name == "softmax_loss" else a["X"] @ a["W"]
    return scores, a["y"], np.ones(scores.shape[0]), scores.shape[0]


def _l2(s):
    return s.args["reg"] * np.sum(s.args["W"].astype(np.float64) ** 2) if "reg" in s.args else 0.0


@hypothesis(*SOFTMAX_LOSSES)
def log_clamped(s):
    """loss = the mean of per-row losses capped near -log(eps): log(p + eps) or log(max(p, eps))."""
    if "loss" not in s.failing:
        return None
    actual = s.outputs.get("loss")
    if actual is None or actual.size != 1 or not np.isfinite(actual).all():
        return None
    scores, y, weights, divisor = _rows(s)
    z = scores.astype(np.float64)
    z = z - z.max(axis=1, keepdims=True)
    row_loss = np.log(np.exp(z).sum(axis=1)) - z[np.arange(len(y)), y]
    l2, candidates = _l2(s), []
    for eps in EPSILONS:
        if (weights * row_loss).max(initial=0) <= -np.log(eps):  # no row reaches the cap: no change
            continue
        for capped in (np.minimum(row_loss, -np.log(eps)), -np.log(np.exp(-row_loss) + eps)):
            want = np.float64(np.sum(weights * capped) / divisor + l2)
            candidates.append((abs(float(actual) - want), eps, want))
    if not candidates:
        return None
    _, eps, want = min(candidates)  # only the nearest clamp is judged
    if not s.explains("loss", want):
        return None
    return Match(frozenset(["loss"]), f"log clamp {eps:g}", log_clamp_hint(eps),
                 f"residual: loss = the mean of the rows' losses capped at -log({eps:g}) = {-np.log(eps):.3g}")


GLOBAL_MAX_DEFAULT = ("The maximum subtracted is the whole array's (x.max()), not each row's: rows far below it "
                      "underflow to 0 / 0 (use x.max(axis=-1, keepdims=True)).")
GLOBAL_MAX_FUNCTIONS = SOFTMAX_LOSSES + ("softmax_forward", "log_softmax_forward")


def _global_max_hint(name):
    all_mutants()
    return next((m.hint for m in MUTANTS.values() if m.target == name and m.name.endswith("global_max")),
                GLOBAL_MAX_DEFAULT)


def _agrees_but_non_finite(s, key, predicted, slack):
    """The output is non-finite exactly where ``predicted`` is (NaN or inf alike: 0 / 0 and
    log(0) give either, by the order of operations) and within ``slack`` of it elsewhere."""
    actual = s.outputs.get(key)
    predicted = np.asarray(predicted, dtype=np.float64)
    if actual is None or actual.shape != predicted.shape:
        return False
    bad = ~np.isfinite(predicted)
    if not bad.any() or not np.array_equal(~np.isfinite(actual), bad):
        return False
    return bool(np.all(bad | (np.abs(actual - predicted) <= slack)))


@hypothesis(*GLOBAL_MAX_FUNCTIONS)
def global_max(s):
    """The softmax with the array's maximum subtracted, computed in the case's dtype: the rows whose
    own maximum is so far below it that every exp underflows are non-finite, the rest right."""
    name, a = s.row.name, s.args
    if name in ("softmax_forward", "log_softmax_forward"):
        x = a["x"]
        scores, shape = x.reshape(-1, x.shape[-1]) if x.ndim else x.reshape(1, 1), x.shape
    else:
        scores, y, weights, divisor = _rows(s)
    with np.errstate(all="ignore"):
        e = np.exp(scores - scores.max())
        total = e.sum(axis=1, keepdims=True)
        if not (total == 0).any():
            return None
        p = (e / total).astype(np.float64)
        # the rows that do not underflow are right to the precision their offset below the
        # maximum leaves (exp of differences of numbers that large): u * (1 + offset), per row
        offset = (scores.max() - scores.max(axis=1, keepdims=True)).astype(np.float64)
        u = tolerances.U[s.dtype]
        if name == "softmax_forward":
            predicted = {"out": p.reshape(shape)}
            slack = {"out": (64 * u * (1 + offset) * (p + 1)).reshape(shape)}
        elif name == "log_softmax_forward":
            predicted = {"out": (scores - scores.max() - np.log(total)).astype(np.float64).reshape(shape)}
            slack = {"out": np.broadcast_to(64 * u * (1 + offset) * (1 + np.abs(predicted["out"]).reshape(p.shape)),
                                            p.shape).reshape(shape)}
        else:
            rows = np.arange(len(y))
            loss = -np.sum(weights * np.log(p[rows, y])) / divisor + _l2(s)
            d = p.copy()
            d[rows, y] -= 1
            d *= weights[:, None] / divisor
            row_slack = 64 * u * (1 + offset) * (np.abs(d) + 1 / divisor)
            if name == "softmax_loss":
                predicted, slack = {"loss": loss, "dx": d}, {"dx": row_slack}
            elif name == "temporal_softmax_loss":
                shape = a["x"].shape
                predicted, slack = {"loss": loss, "dx": d.reshape(shape)}, {"dx": row_slack.reshape(shape)}
            else:
                dW = a["X"].T.astype(np.float64) @ d + 2 * a["reg"] * a["W"]
                predicted = {"loss": loss, "dW": dW}
                slack = {"dW": 64 * u * (1 + offset.max()) * (np.abs(a["X"]).T @ np.abs(d) + 1)}
    keys = frozenset(k for k, want in predicted.items()
                     if k in s.failing and _agrees_but_non_finite(s, k, want, slack.get(k, 0)))
    if not keys - {"loss"}:  # a non-finite loss alone has other causes: the rows must show where
        return None
    n_bad = int((total == 0).sum())
    rows = f"{n_bad} rows whose scores sit" if n_bad > 1 else "the row whose scores sit"
    return Match(keys, "global max", _global_max_hint(name),
                 f"residual: {rows} far below the array's maximum (every exp underflows to 0 in {s.dtype}) "
                 f"{'are' if n_bad > 1 else 'is'} non-finite, as with the array's maximum subtracted; the other "
                 f"rows are right")


BATCHNORMS = ("batchnorm_forward", "spatial_batchnorm_forward")


def _bn(s):
    """(x as (M, C) float64 rows, a function taking (M, C) back to x's shape, mode, eps, momentum)."""
    x, p = s.args["x"].astype(np.float64), s.args["bn_param"]
    if x.ndim == 4:
        n, c, h, w = x.shape
        rows, back = x.transpose(0, 2, 3, 1).reshape(-1, c), lambda r: r.reshape(n, h, w, c).transpose(0, 3, 1, 2)
    else:
        rows, back = x, lambda r: r
    return rows, back, p["mode"], p.get("eps", 1e-5), p.get("momentum", 0.9)


def _running(s, key, c):
    value = s.args["bn_param"].get(key)
    return np.zeros(c) if value is None else np.asarray(value, dtype=np.float64)


@hypothesis(*BATCHNORMS)
def batchnorm_without_affine(s):
    """out equals the oracle's with gamma = 1 and beta = 0."""
    if "out" not in s.failing:
        return None
    gamma, beta = s.args["gamma"], s.args["beta"]
    want = s.reference(gamma=np.ones_like(gamma), beta=np.zeros_like(beta))["out"]
    if not s.explains("out", want):
        return None
    test = s.args["bn_param"]["mode"] == "test"
    return Match(frozenset(["out"]), "no affine", TEST_NO_AFFINE if test else NO_AFFINE,
                 f"residual: out equals the oracle's with gamma = 1 and beta = 0 ({s.args['bn_param']['mode']} mode)")


@hypothesis(*BATCHNORMS)
def batchnorm_unbiased(s):
    """running_var, or the normalization itself, with the unbiased variance: a factor M / (M - 1)."""
    rows, back, mode, eps, momentum = _bn(s)
    m = rows.shape[0]
    if mode != "train" or m < 2:
        return []
    var = rows.var(axis=0)
    found, key = [], "bn_param['running_var']"
    if key in s.failing:
        old = _running(s, "running_var", rows.shape[1])
        want = momentum * old + (1 - momentum) * var * m / (m - 1)
        if s.explains(key, want):
            found.append(Match(frozenset([key]), "unbiased running_var", UNBIASED_RUNNING_VAR,
                               f"residual: running_var - the oracle's = (1 - momentum) * var / (N - 1) (N = {m}): "
                               f"the factor N / (N - 1) of the unbiased variance"))
    if "out" in s.failing:
        gamma, beta = s.args["gamma"].reshape(-1), s.args["beta"].reshape(-1)
        xhat = (rows - rows.mean(axis=0)) / np.sqrt(var * m / (m - 1) + eps)
        if s.explains("out", back(gamma * xhat + beta)):
            found.append(Match(frozenset(["out"]), "unbiased normalization",
                               "The batch is normalized with the unbiased variance (ddof=1); batch normalization "
                               "uses the biased one: x.var(axis=0).",
                               f"residual: out equals the normalization by sqrt(var * N / (N - 1) + eps) (N = {m})"))
    return found


@hypothesis(*BATCHNORMS)
def batchnorm_eps_outside(s):
    """out = gamma * (x - mean) / (sqrt(var) + eps) + beta."""
    if "out" not in s.failing:
        return None
    rows, back, mode, eps, _ = _bn(s)
    c = rows.shape[1]
    if mode == "train":
        mean, var = rows.mean(axis=0), rows.var(axis=0)
    else:
        mean, var = _running(s, "running_mean", c), _running(s, "running_var", c)
    gamma, beta = s.args["gamma"].reshape(-1), s.args["beta"].reshape(-1)
    want = back(gamma * (rows - mean) / (np.sqrt(var) + eps) + beta)
    if s.explains("out", want):
        return Match(frozenset(["out"]), "eps outside", BN_EPS_OUTSIDE,
                     "residual: out equals the normalization by sqrt(var) + eps")
    return None
