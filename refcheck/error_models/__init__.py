"""The error models of refcheck.tolerances: for each output they cover, the magnitude of what a
correct floating-point computation of each element rounds, in the output's units (a correct
computation's error is then a modest multiple of u times it: tolerances.MODELED). Each model is
registered with ``@model(functions..., keys=..., reason=...)``; its reason is the tolerance's, and
docs/API.md shows it. ``fn(args, expected, u)``: the case's arguments (and upstream gradients) by
name, the oracle's arrays by key, the dtype's unit roundoff.

This module holds the models of the CS231n functions and the detection utilities; the families
added later have a module each (``attention``, ``detection_more``, ``interview``, ``sandwiches``),
imported at the end."""
import numpy as np

from ..tolerances import Tier, model


def _f(a):
    return np.abs(np.asarray(a, dtype=np.float64))


@model("affine_forward", "affine_backward", keys=("out", "dx", "dw", "db"),
       reason="sums of products: a correct sum's error is a multiple of u times the sum of the "
              "products' magnitudes, |x| @ |w| + |b| and its gradients' counterparts")
def _affine(a, e, u):
    x, w = _f(a["x"]), _f(a["w"])
    x2 = x.reshape(len(x), w.shape[0])  # not -1: N may be 0
    out = {"out": x2 @ w + _f(a["b"])}
    if "dout" in a:
        g = _f(a["dout"])
        out.update(dx=(g @ w.T).reshape(x.shape), dw=x2.T @ g, db=g.sum(axis=0))
    return out


@model("temporal_affine_forward", "temporal_affine_backward", keys=("out", "dx", "dw", "db"),
       reason="as affine, at every step")
def _temporal_affine(a, e, u):
    x, w = _f(a["x"]), _f(a["w"])
    out = {"out": x @ w + _f(a["b"])}
    if "dout" in a:
        g = _f(a["dout"])
        out.update(dx=g @ w.T, dw=x.reshape(-1, x.shape[-1]).T @ g.reshape(-1, g.shape[-1]),
                   db=g.sum(axis=(0, 1)))
    return out


def _windows(xp, hh, ww, stride, h_out, w_out):
    v = np.lib.stride_tricks.sliding_window_view(xp, (hh, ww), axis=(2, 3))
    return v[:, :, ::stride, ::stride][:, :, :h_out, :w_out]


@model("conv_forward_naive", "conv_backward_naive", "conv_forward_fast", "conv_backward_fast",
       keys=("out", "dx", "dw", "db"),
       reason="sums of products over each window: the convolution of |x| with |w| plus |b|, and "
              "its gradients' counterparts")
def _conv(a, e, u):
    x, w, b = _f(a["x"]), _f(a["w"]), _f(a["b"])
    stride, pad = int(a["conv_param"]["stride"]), int(a["conv_param"]["pad"])  # whole floats are sizes
    hh, ww = w.shape[2:]
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    h_out, w_out = 1 + (xp.shape[2] - hh) // stride, 1 + (xp.shape[3] - ww) // stride
    win = _windows(xp, hh, ww, stride, h_out, w_out)
    out = {"out": np.einsum("ncijpq,fcpq->nfij", win, w) + b[None, :, None, None]}
    if "dout" in a:
        g = _f(a["dout"])
        dxp = np.zeros_like(xp)
        for p in range(hh):
            for q in range(ww):
                dxp[:, :, p:p + stride * h_out:stride, q:q + stride * w_out:stride] += np.einsum(
                    "nfij,fc->ncij", g, w[:, :, p, q])
        out.update(dx=dxp[:, :, pad:pad + x.shape[2], pad:pad + x.shape[3]],
                   dw=np.einsum("nfij,ncijpq->fcpq", g, win), db=g.sum(axis=(0, 2, 3)))
    return out


@model("max_pool_forward_naive", "max_pool_backward_naive", "max_pool_forward_fast",
       "max_pool_backward_fast", keys=("out", "dx"),
       reason="the output copies an input (exact); dx adds up the gradients of the windows that "
              "share a maximum: their magnitudes, routed to every maximum of each window")
def _max_pool(a, e, u):
    x = np.asarray(a["x"], dtype=np.float64)
    p = a["pool_param"]
    ph, pw, s = (int(p[k]) for k in ("pool_height", "pool_width", "stride"))  # whole floats are sizes
    h_out, w_out = 1 + (x.shape[2] - ph) // s, 1 + (x.shape[3] - pw) // s
    out = {"out": np.zeros((x.shape[0], x.shape[1], h_out, w_out))}
    if "dout" in a:
        g, dx = _f(a["dout"]), np.zeros(x.shape)
        for i in range(h_out):
            for j in range(w_out):
                win = x[:, :, i * s:i * s + ph, j * s:j * s + pw]
                is_max = win == win.max(axis=(2, 3), keepdims=True)
                dx[:, :, i * s:i * s + ph, j * s:j * s + pw] += is_max * g[:, :, i, j][:, :, None, None]
        out["dx"] = dx
    return out


@model("word_embedding_forward", "word_embedding_backward", keys=("out", "dW"),
       reason="the output copies rows of W (exact); dW adds up the gradients of repeated words")
def _embedding(a, e, u):
    out = {"out": np.zeros(np.shape(a["x"]) + (np.shape(a["W"])[1],))}
    if "dout" in a:
        dW = np.zeros(np.shape(a["W"]))
        np.add.at(dW, np.asarray(a["x"]), _f(a["dout"]))
        out["dW"] = dW
    return out


@model("relu_forward", "relu_backward", keys=("out", "dx"), reason="max(x, 0) and its mask are exact")
def _relu(a, e, u):
    return {"out": np.zeros(np.shape(a["x"])), "dx": np.zeros(np.shape(a["x"]))}


@model("dropout_forward", "dropout_backward", keys=("out", "out_again", "dx"),
       reason="one division (or multiplication by a mask of 1/p) per element")
def _dropout(a, e, u):
    p = a["dropout_param"]["p"]
    return {"out": _f(a["x"]) / p, "out_again": np.zeros(np.shape(a["x"])), "dx": _f(a["dout"]) / p}


def _ema_magnitude(decay, incoming, state):
    """Magnitudes that enter s_t = decay * s_{t-1} + incoming_t, step by step: what was rounded
    before (decayed), the decayed state and the incoming term that are added, and the result."""
    out, carried, previous = np.zeros_like(state), 0.0, 0.0
    for t in range(len(state)):
        carried = decay * carried + decay * previous + incoming[t] + np.abs(state[t])
        out[t], previous = carried, np.abs(state[t])
    return out


def _update_rule_model(rule):
    """next_w: every step rounds w + step (|w| and |step| a few times) and carries the errors of
    the state that made the step; the state: an exponential average of what entered it."""
    def fn(a, e, u):
        from torch_oracle.optim import DEFAULTS  # the contract's defaults, as the oracle states them
        c = {**DEFAULTS[rule], **(a["config"] or {})}
        dws = np.asarray(a["dws"], dtype=np.float64)
        steps, tail = len(dws), (1,) * (dws.ndim - 1)
        lr = (np.full(steps, c["learning_rate"]) if a["schedule"] is None
              else np.asarray(a["schedule"], dtype=np.float64)).reshape((steps,) + tail)
        w = e["next_w"]
        prev = np.concatenate([np.asarray(a["w"], dtype=np.float64)[None], w[:-1]])
        step = np.abs(w - prev)
        out, state_error = {}, 0.0
        if rule in ("sgd_momentum", "sgd_nesterov"):
            v = e["config['velocity']"]
            out["config['velocity']"] = m_v = _ema_magnitude(c["momentum"], lr * np.abs(dws), v)
            state_error = m_v if rule == "sgd_momentum" else c["momentum"] * m_v + lr * np.abs(dws)
        elif rule in ("rmsprop", "adagrad"):
            cache = e["config['cache']"]
            d = c.get("decay_rate", 1.0)
            out["config['cache']"] = m_c = _ema_magnitude(d, (1 - d if rule == "rmsprop" else 1.0) * dws ** 2, cache)
            state_error = step * np.divide(m_c, 2 * cache, out=np.zeros_like(m_c), where=cache > 0)
        elif rule in ("adam", "adamw"):
            b1, b2 = c["beta1"], c["beta2"]
            m, v = e["config['m']"], e["config['v']"]
            out["config['m']"] = m_m = _ema_magnitude(b1, (1 - b1) * np.abs(dws), m)
            out["config['v']"] = m_v = _ema_magnitude(b2, (1 - b2) * dws ** 2, v)
            out["config['t']"] = np.zeros_like(e["config['t']"])
            t = np.arange(1, steps + 1, dtype=np.float64).reshape((steps,) + tail)
            denominator = np.sqrt(v / (1 - b2 ** t)) + c["epsilon"]
            state_error = (step * np.divide(m_v, 2 * v, out=np.zeros_like(m_v), where=v > 0)
                           + lr * m_m / (1 - b1 ** t) / denominator)
            if rule == "adamw":
                state_error = state_error + lr * c["weight_decay"] * np.abs(prev)
        out["next_w"] = np.cumsum(np.abs(prev) + 4 * step + state_error, axis=0)
        return out
    return fn


for _rule, _state in (("sgd", ()), ("sgd_momentum", ("velocity",)), ("sgd_nesterov", ("velocity",)),
                      ("rmsprop", ("cache",)), ("adagrad", ("cache",)), ("adam", ("m", "v", "t")),
                      ("adamw", ("m", "v", "t"))):
    model(_rule, keys=("next_w",) + tuple(f"config['{k}']" for k in _state),
          reason="a trajectory: each step rounds w + step, and the errors of every step stay in w; the "
                 "state is an exponential average whose every term rounds")(_update_rule_model(_rule))


def _normalization(x, gamma, beta, dout, eps, reduce, param_sum, mean=None, var=None):
    """Magnitudes of a normalization ``gamma * (x - mean) / sqrt(var + eps) + beta`` and of its
    gradients. ``reduce(a)`` averages over the statistics' axes (broadcast back to x's shape),
    ``param_sum(a)`` sums down to gamma's shape; mean and var are given in test mode. What x - mean
    rounds (|x| + |mean|) is amplified by 1/std, which is 1/sqrt(eps) for a constant feature."""
    x = np.asarray(x, dtype=np.float64)
    g, b = _f(gamma), _f(beta)
    if mean is None:
        mean = reduce(x)
        var = reduce((x - mean) ** 2)
    std = np.sqrt(var + eps)
    xhat = np.abs(x - mean) / std
    m_xhat = (np.abs(x) + np.abs(mean)) / std + 2 * xhat        # x - mean, then the division
    out = {"out": g * m_xhat + b}
    if dout is not None:
        dy = _f(dout)
        gd = g * dy
        terms = gd + reduce(gd) + m_xhat * reduce(gd * m_xhat)     # dout - mean(dout) - xhat mean(dout xhat)
        out.update(dx=(terms + xhat * reduce(gd * xhat)) / std, dgamma=param_sum(dy * m_xhat),
                   dbeta=param_sum(dy))
    return out


def _running(bn_param, mean, var, x_sq, e):
    """Magnitudes of the running statistics momentum * old + (1 - momentum) * batch."""
    mom = bn_param.get("momentum", 0.9)
    old_mean, old_var = (_f(bn_param.get(k, 0.0)) for k in ("running_mean", "running_var"))
    return {"bn_param['running_mean']": mom * old_mean + (1 - mom) * (np.abs(mean) + x_sq[0])
            + np.abs(e.get("bn_param['running_mean']", 0.0)),
            "bn_param['running_var']": mom * old_var + (1 - mom) * (var + x_sq[1])
            + np.abs(e.get("bn_param['running_var']", 0.0))}


def _batchnorm_like(a, e, axes):
    """Batch normalization over ``axes`` (per channel: axis 1 kept), train or test mode."""
    x, p = np.asarray(a["x"], dtype=np.float64), a["bn_param"]
    eps, keep = p.get("eps", 1e-5), tuple(i for i in range(x.ndim) if i not in axes)
    shape = [1] * x.ndim
    shape[keep[0]] = x.shape[keep[0]]

    def reduce(v):
        return np.broadcast_to(v.mean(axis=axes, keepdims=True), x.shape)

    def param_sum(v):
        return v.sum(axis=axes)

    gamma, beta = (np.reshape(a[k], shape) for k in ("gamma", "beta"))
    if p["mode"] == "test":
        mean, var = (np.reshape(np.asarray(p.get(k, np.zeros(x.shape[keep[0]])), dtype=np.float64), shape)
                     for k in ("running_mean", "running_var"))
        out = _normalization(x, gamma, beta, None, eps, reduce, param_sum, mean, var)
        return {**out, **{k: np.abs(v) for k, v in e.items() if k.startswith("bn_param")}}  # unchanged
    out = _normalization(x, gamma, beta, a.get("dout"), eps, reduce, param_sum)
    batch_mean = x.mean(axis=axes)
    batch_var = x.var(axis=axes)
    x_abs = np.abs(x).mean(axis=axes)
    x_sq = (x_abs, ((np.abs(x) + np.abs(batch_mean).reshape(shape)) ** 2).mean(axis=axes))
    out.update(_running(p, batch_mean, batch_var, x_sq, e))
    return out


@model("batchnorm_forward", "batchnorm_backward", "batchnorm_backward_alt",
       keys=("out", "dx", "dgamma", "dbeta", "bn_param['running_mean']", "bn_param['running_var']"),
       reason="what x - mean rounds, amplified by 1/sqrt(var + eps) (1/sqrt(eps) for a constant "
              "feature or one sample: gamma * dout / sqrt(eps) then cancels in dx)")
def _batchnorm(a, e, u):
    return _batchnorm_like(a, e, (0,))


@model("spatial_batchnorm_forward", "spatial_batchnorm_backward",
       keys=("out", "dx", "dgamma", "dbeta", "bn_param['running_mean']", "bn_param['running_var']"),
       reason="as batchnorm, per channel over N, H and W")
def _spatial_batchnorm(a, e, u):
    return _batchnorm_like(a, e, (0, 2, 3))


@model("layernorm_forward", "layernorm_backward", keys=("out", "dx", "dgamma", "dbeta"),
       reason="as batchnorm, per row over its features")
def _layernorm(a, e, u):
    x = np.asarray(a["x"], dtype=np.float64)

    def reduce(v):
        return np.broadcast_to(v.mean(axis=1, keepdims=True), x.shape)

    return _normalization(x, a["gamma"], a["beta"], a.get("dout"), (a["ln_param"] or {}).get("eps", 1e-5), reduce,
                          lambda v: v.sum(axis=0))


@model("spatial_groupnorm_forward", "spatial_groupnorm_backward", keys=("out", "dx", "dgamma", "dbeta"),
       reason="as batchnorm, per sample and group over its channels and pixels")
def _groupnorm(a, e, u):
    x, G = np.asarray(a["x"], dtype=np.float64), int(a["G"])  # a whole float is a group count

    def reduce(v):
        grouped = v.reshape(v.shape[0], G, int(np.prod(v.shape[1:])) // G)  # not -1: N may be 0
        return np.broadcast_to(grouped.mean(axis=2, keepdims=True), grouped.shape).reshape(x.shape)

    return _normalization(x, a["gamma"], a["beta"], a.get("dout"), (a["gn_param"] or {}).get("eps", 1e-5), reduce,
                          lambda v: v.sum(axis=(0, 2, 3), keepdims=True))


def lse_rounding(top, lsum, u):
    """What log p = x - logsumexp(x) loses beside the shifted form's rounding: the log-sum-exp
    top + lsum (top the row's maximum, lsum = log sum exp(x - top)) rounded at its own size, but
    never by more than the lsum it adds to the exact top (a one-hot row's is top exactly)."""
    return np.minimum(np.abs(top + lsum), np.abs(lsum) / u)


def _softmax_rows(scores, y, rounding, u):
    """Magnitudes of a mean cross-entropy over rows of ``scores`` (R, C) with labels y (R,), and of
    its gradient with respect to the scores (before the 1/R of the mean). ``rounding`` (R, C)
    bounds what the shifted scores s = scores - max already carry (0 for given scores). What
    exp(s) rounds is relative, u * (1 + |s|); the probabilities inherit it, and the loss
    log(sum exp(s)) - s_y inherits it in absolute terms. The other common form, log p = scores -
    logsumexp(scores) (torch.logsumexp, scipy's), rounds the log-sum-exp at its own size, the
    offset's: |lse| enters every log-probability as absolute error (p as relative error; see
    lse_rounding)."""
    top = scores.max(axis=1, keepdims=True)
    s = scores - top
    p = np.exp(s)
    rows = np.arange(len(s))
    carried = rounding[rows, np.argmax(scores, axis=1)][:, None]
    # scores that already carry the offset's size (X @ W rounds to u |X| @ |W| >= |max|) hold it
    lse = np.maximum(lse_rounding(top, np.log(p.sum(axis=1, keepdims=True)), u) - carried, 0)
    p /= p.sum(axis=1, keepdims=True)
    sr = np.abs(s) + rounding + carried + lse   # s and its error
    spread = (p * sr).sum(axis=1, keepdims=True)                                   # the sum's share
    dscores = p * (1 + sr + spread)
    dscores[rows, y] += 1
    loss = np.abs(s[rows, y]) + sr[rows, y] + np.log(np.exp(s).sum(axis=1)) + spread[:, 0] + 1
    return loss, dscores


@model("softmax_loss", keys=("loss", "dx"),
       reason="the probabilities are as exact as the shifted scores x - max(x) (each rounded to "
              "u * |x - max|), or as x - logsumexp(x), whose log-sum-exp rounds at the offset's size; the "
              "loss carries that rounding as absolute error")
def _softmax_loss(a, e, u):
    x, y = np.asarray(a["x"], dtype=np.float64), np.asarray(a["y"])
    loss, dscores = _softmax_rows(x, y, np.zeros(x.shape), u)
    return {"loss": loss.mean(), "dx": dscores / len(x)}


@model("temporal_softmax_loss", keys=("loss", "dx"),
       reason="as softmax_loss, at every unmasked step; the sum is divided by N")
def _temporal_softmax_loss(a, e, u):
    x, y, mask = np.asarray(a["x"], dtype=np.float64), np.asarray(a["y"]), np.asarray(a["mask"], dtype=np.float64)
    n, t, v = x.shape
    loss, dscores = _softmax_rows(x.reshape(-1, v), y.reshape(-1), np.zeros((n * t, v)), u)
    keep = mask.reshape(-1)
    return {"loss": (keep * loss).sum() / n, "dx": (dscores * keep[:, None] / n).reshape(x.shape)}


def _classifier(a):
    W, X = np.asarray(a["W"], dtype=np.float64), np.asarray(a["X"], dtype=np.float64)
    return W, X, np.asarray(a["y"]), a["reg"], np.abs(X) @ np.abs(W)


@model("softmax_loss_naive", "softmax_loss_vectorized", keys=("loss", "dW"),
       reason="as softmax_loss on the scores X @ W, which round to u * (|X| @ |W|) first: with "
              "scores near 1e3 that, not the offset itself, is what the probabilities lose")
def _softmax_classifier(a, e, u):
    W, X, y, reg, A = _classifier(a)
    loss, dscores = _softmax_rows(X @ W, y, A, u)
    n = len(X)
    g = dscores / n + np.abs(dscores - np.eye(W.shape[1])[y]) / n
    return {"loss": loss.mean() + reg * (W * W).sum(), "dW": np.abs(X).T @ g + 2 * reg * np.abs(W)}


def _hinge(scores, y, rounding):
    """Magnitudes of the mean multiclass hinge loss over rows of scores (margin 1): each active
    margin s_j - s_y + 1 rounds its two terms and its sum; the gradient's entries are counts / N."""
    rows = np.arange(len(scores))
    d = scores - scores[rows, y][:, None]
    active = (d + 1 > 0)
    active[rows, y] = False
    terms = np.abs(d) + np.abs(d + 1) + rounding + rounding[rows, y][:, None]
    return (active * terms).sum(axis=1).mean()


@model("svm_loss", keys=("loss", "dx"),
       reason="margins x_j - x_y + 1 are differences of given scores (each rounded to u * |x_j - x_y|), "
              "not of the scores' size; the gradient holds counts / N")
def _svm_loss(a, e, u):
    x, y = np.asarray(a["x"], dtype=np.float64), np.asarray(a["y"])
    return {"loss": _hinge(x, y, np.zeros(x.shape)), "dx": np.zeros(x.shape)}


@model("svm_loss_naive", "svm_loss_vectorized", keys=("loss", "dW"),
       reason="as svm_loss on the scores X @ W (which round to u * (|X| @ |W|)); dW = X.T @ counts / N")
def _svm_classifier(a, e, u):
    W, X, y, reg, A = _classifier(a)
    rows = np.arange(len(X))
    scores = X @ W
    active = (scores - scores[rows, y][:, None] + 1 > 0).astype(np.float64)
    active[rows, y] = 0
    counts = active.copy()
    counts[rows, y] = active.sum(axis=1)
    return {"loss": _hinge(scores, y, A) + reg * (W * W).sum(),
            "dW": np.abs(X).T @ counts / len(X) + 2 * reg * np.abs(W)}


@model("compute_distances", keys=("dists",),
       reason="from the differences, a distance is as exact as its terms; the textbook "
              "sqrt(|x|^2 + |y|^2 - 2 x.y) rounds the squared distance to u * (|x|^2 + |y|^2), whose "
              "square root is what a distance near 0 can be off: within that bound identical rows "
              "that are not exactly 0 pass with a warning")
def _distances(a, e, u):
    X, Y = np.asarray(a["X"], dtype=np.float64), np.asarray(a["Y"], dtype=np.float64)
    M = 2 * ((X * X).sum(axis=1)[:, None] + (Y * Y).sum(axis=1)[None, :])   # |x|^2 + |y|^2 + 2 |x.y|
    d = np.sqrt(np.maximum(((X[:, None, :] - Y[None, :, :]) ** 2).sum(axis=2), 0))
    with np.errstate(divide="ignore", invalid="ignore"):
        cancellation = np.where(d > 0, np.minimum(M / np.where(d > 0, d, 1), np.sqrt(M / u)), 0.0)
    strict = d + cancellation
    return {"dists": Tier(strict, d + np.sqrt(M / u) * (d == 0) + cancellation,
                          "dists is not exactly 0 for identical rows (within the cancellation bound of "
                          "|x|^2 + |y|^2 - 2 x.y; computing close pairs from their differences gives 0)")}


@model("box_iou", keys=("iou",),
       reason="corners are exact inputs, so widths, heights and areas round once each (relative); "
              "the union a1 + a2 - inter cancels by at most (a1 + a2 + inter) / union")
def _box_iou(a, e, u):
    b1, b2 = (np.asarray(a[k], dtype=np.float64).reshape(-1, 4) for k in ("boxes1", "boxes2"))
    if a.get("pixel_inclusive"):
        b1, b2 = b1 + [0, 0, 1, 1], b2 + [0, 0, 1, 1]
    area = lambda b: np.abs((b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1]))
    wh = np.clip(np.minimum(b1[:, None, 2:], b2[None, :, 2:]) - np.maximum(b1[:, None, :2], b2[None, :, :2]), 0, None)
    inter = wh[..., 0] * wh[..., 1]
    total = area(b1)[:, None] + area(b2)[None, :]
    union = total - inter
    iou = np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)
    return {"iou": iou * (4 + np.divide(total + inter, union, out=np.zeros_like(inter), where=union > 0))}


class Run:
    """Running error analysis: a value and the magnitude of what computing it rounds (a correct
    computation's error is a modest multiple of u times it). Inputs are exact (magnitude 0); each
    operation adds the magnitude of its own result and carries its operands' through its partial
    derivatives, first order. Carried errors of independent roundings add like a random walk, in
    quadrature (a bound that adds them up is ~sqrt(steps) too loose on a long recurrence)."""

    def __init__(self, value, magnitude=None):
        self.v = np.asarray(value, dtype=np.float64)
        self.m = np.zeros(self.v.shape) if magnitude is None else magnitude

    @property
    def T(self):
        return Run(self.v.T, self.m.T)

    def __add__(self, other):
        v = self.v + other.v
        return Run(v, np.hypot(self.m, other.m) + np.abs(v))

    def __mul__(self, other):
        v = self.v * other.v
        return Run(v, np.hypot(np.abs(self.v) * other.m, np.abs(other.v) * self.m) + np.abs(v))

    def __matmul__(self, other):
        a, b = np.abs(self.v), np.abs(other.v)
        carried = np.sqrt(self.m ** 2 @ b ** 2 + a ** 2 @ other.m ** 2)
        return Run(self.v @ other.v, carried + a @ b)

    def one_minus(self):
        v = 1 - self.v
        return Run(v, self.m + np.abs(v))  # one operand carries an error: nothing to add in quadrature

    def neg(self):
        return Run(-self.v, self.m)

    def tanh(self):
        t = np.tanh(self.v)
        return Run(t, (1 - t * t) * self.m + np.abs(t))

    def sigmoid(self):
        s = 1 / (1 + np.exp(-self.v))
        return Run(s, s * (1 - s) * self.m + np.abs(s))

    def sum0(self):
        return Run(self.v.sum(axis=0), np.sqrt((self.m ** 2).sum(axis=0)) + np.abs(self.v).sum(axis=0))

    def cols(self, i, n):
        return Run(self.v[:, i * n:(i + 1) * n], self.m[:, i * n:(i + 1) * n])


def _concat(parts):
    return Run(np.concatenate([p.v for p in parts], axis=1), np.concatenate([p.m for p in parts], axis=1))


def _rnn_step(x, h, Wx, Wh, b):
    next_h = (x @ Wx + h @ Wh + b).tanh()
    return next_h


def _rnn_step_back(dnext, x, h, Wx, Wh, next_h):
    da = dnext * (next_h * next_h).one_minus()
    return da @ Wx.T, da @ Wh.T, x.T @ da, h.T @ da, da.sum0()


def _lstm_step(x, h, c, Wx, Wh, b):
    a, n = x @ Wx + h @ Wh + b, h.v.shape[1]
    i, f, o, g = a.cols(0, n).sigmoid(), a.cols(1, n).sigmoid(), a.cols(2, n).sigmoid(), a.cols(3, n).tanh()
    next_c = f * c + i * g
    tc = next_c.tanh()
    return o * tc, next_c, (i, f, o, g, tc)


def _lstm_step_back(dnext_h, dnext_c, x, h, c, Wx, Wh, gates):
    i, f, o, g, tc = gates
    dc = dnext_c + dnext_h * o * (tc * tc).one_minus()
    da = _concat([dc * g * i * i.one_minus(), dc * c * f * f.one_minus(), dnext_h * tc * o * o.one_minus(),
                  dc * i * (g * g).one_minus()])
    return da @ Wx.T, da @ Wh.T, dc * f, x.T @ da, h.T @ da, da.sum0()


@model("rnn_step_forward", "rnn_step_backward", keys=("next_h", "dx", "dprev_h", "dWx", "dWh", "db"),
       reason="running error analysis of tanh(x @ Wx + prev_h @ Wh + b) and its backward: sums of products "
              "and what tanh' carries")
def _rnn_step_model(a, e, u):
    x, h, Wx, Wh, b = (Run(a[k]) for k in ("x", "prev_h", "Wx", "Wh", "b"))
    next_h = _rnn_step(x, h, Wx, Wh, b)
    out = {"next_h": next_h.m}
    if "dnext_h" in a:
        grads = _rnn_step_back(Run(a["dnext_h"]), x, h, Wx, Wh, next_h)
        out.update(zip(("dx", "dprev_h", "dWx", "dWh", "db"), (g.m for g in grads)))
    return out


@model("lstm_step_forward", "lstm_step_backward",
       keys=("next_h", "next_c", "dx", "dprev_h", "dprev_c", "dWx", "dWh", "db"),
       reason="running error analysis of the LSTM cell (four gates, the cell update and tanh) and its backward")
def _lstm_step_model(a, e, u):
    x, h, c, Wx, Wh, b = (Run(a[k]) for k in ("x", "prev_h", "prev_c", "Wx", "Wh", "b"))
    next_h, next_c, gates = _lstm_step(x, h, c, Wx, Wh, b)
    out = {"next_h": next_h.m, "next_c": next_c.m}
    if "dnext_h" in a:
        grads = _lstm_step_back(Run(a["dnext_h"]), Run(a["dnext_c"]), x, h, c, Wx, Wh, gates)
        out.update(zip(("dx", "dprev_h", "dprev_c", "dWx", "dWh", "db"), (g.m for g in grads)))
    return out


def _sequence_model(lstm):
    """Running error analysis of a whole recurrence: forward over the steps, then backward through
    time, the errors of every step carried to the next."""
    def fn(a, e, u):
        x, h0, Wx, Wh, b = (np.asarray(a[k], dtype=np.float64) for k in ("x", "h0", "Wx", "Wh", "b"))
        Wx, Wh, b = Run(Wx), Run(Wh), Run(b)
        steps, h, c = x.shape[1], Run(h0), Run(np.zeros(h0.shape))
        states, hs = [], []
        for t in range(steps):
            xt = Run(x[:, t])
            if lstm:
                nh, nc, gates = _lstm_step(xt, h, c, Wx, Wh, b)
                states.append((xt, h, c, gates))
                c = nc
            else:
                nh = _rnn_step(xt, h, Wx, Wh, b)
                states.append((xt, h, nh))
            h = nh
            hs.append(h.m)
        out = {"h": np.stack(hs, axis=1)}
        if "dh" in a:
            dh = np.asarray(a["dh"], dtype=np.float64)
            zero = Run(np.zeros(h0.shape))
            dprev_h, dprev_c, dx = zero, zero, [None] * steps
            dWx, dWh, db = Run(np.zeros(Wx.v.shape)), Run(np.zeros(Wh.v.shape)), Run(np.zeros(b.v.shape))
            for t in reversed(range(steps)):
                dnext = Run(dh[:, t]) + dprev_h
                if lstm:
                    xt, hp, cp, gates = states[t]
                    dxt, dprev_h, dprev_c, gWx, gWh, gb = _lstm_step_back(dnext, dprev_c, xt, hp, cp, Wx, Wh, gates)
                else:
                    xt, hp, nh = states[t]
                    dxt, dprev_h, gWx, gWh, gb = _rnn_step_back(dnext, xt, hp, Wx, Wh, nh)
                dx[t], dWx, dWh, db = dxt.m, dWx + gWx, dWh + gWh, db + gb
            out.update(dx=np.stack(dx, axis=1), dh0=dprev_h.m, dWx=dWx.m, dWh=dWh.m, db=db.m)
        return out
    return fn


model("rnn_forward", "rnn_backward", keys=("h", "dx", "dh0", "dWx", "dWh", "db"),
      reason="running error analysis of the recurrence, forward and back through time")(_sequence_model(False))
model("lstm_forward", "lstm_backward", keys=("h", "dx", "dh0", "dWx", "dWh", "db"),
      reason="running error analysis of the LSTM recurrence, forward and back through time")(_sequence_model(True))


from . import attention, detection_more, interview, sandwiches  # noqa: E402,F401 (their models register too)
