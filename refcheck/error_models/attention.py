"""Error models of the attention family (refcheck.registry.attention and .activations): running
error analysis (``Run``) of the softmaxes, SwiGLU and attention, forward and backward as refimpl
and torch compute them, and small closed forms for the elementwise activations, RMSNorm and the
angles of the positional encodings and RoPE."""
import math

import numpy as np

from ..tolerances import model
from . import Run, _f, lse_rounding


def _swap(r):
    """The last two axes exchanged (a batched transpose)."""
    return Run(np.swapaxes(r.v, -1, -2), np.swapaxes(r.m, -1, -2))


def _sum_last(r):
    """Sum over the last axis, kept: what the terms carried (in quadrature) and what the sum rounds."""
    return Run(r.v.sum(axis=-1, keepdims=True),
               np.sqrt((r.m ** 2).sum(axis=-1, keepdims=True)) + np.abs(r.v).sum(axis=-1, keepdims=True))


def _sub(a, b):
    return a + b.neg()


def _reshape(r, *shape):
    return Run(r.v.reshape(*shape), r.m.reshape(*shape))


def _transpose(r, *axes):
    return Run(r.v.transpose(*axes), r.m.transpose(*axes))


def _masked(scores, allowed):
    """Scores where ``allowed``, -inf (exactly, nothing carried) elsewhere."""
    return Run(np.where(allowed, scores.v, -np.inf), np.where(allowed, scores.m, 0.0))


def softmax(s, u):
    """Softmax over the last axis of a Run of scores (-inf where a key is blocked; a row with no
    finite score gives 0, as torch's SDPA). p_j = exp(s_j - max) / sum_k exp(s_k - max): an error
    ds in the scores moves p_j by p_j (ds_j - sum_k p_k ds_k) (the shift by max cancels exactly),
    the subtraction s - max rounds to |s - max|, and exp, the sum and the division round p itself.
    The form p = exp(s - logsumexp(s)) rounds the log-sum-exp at its own size (the offset's): a
    relative error of |lse| in every p, which no normalization cancels (see lse_rounding)."""
    finite = np.isfinite(s.v)
    live = finite.any(axis=-1, keepdims=True)
    top = np.where(live, np.max(np.where(finite, s.v, -np.inf), axis=-1, keepdims=True, initial=-np.inf), 0.0)
    shifted = np.where(finite, s.v - top, -np.inf)
    e = np.exp(shifted)
    p = np.where(live, e / np.where(live, e.sum(axis=-1, keepdims=True), 1.0), 0.0)
    ds = np.where(finite, np.hypot(np.where(finite, s.m, 0.0), np.where(finite, shifted, 0.0)), 0.0)
    pd = p * ds
    carried = p * np.sqrt(np.maximum(((1 - p) * ds) ** 2 + (pd ** 2).sum(axis=-1, keepdims=True) - pd ** 2, 0.0))
    lse = np.where(live, lse_rounding(top, np.log(np.where(live, e.sum(axis=-1, keepdims=True), 1.0)), u), 0.0)
    return Run(p, carried + 3 * p + p * lse)


def _softmax_backward(p, g):
    """dx = p * (g - sum(p * g)) over the last axis."""
    return p * _sub(g, _sum_last(p * g))


@model("softmax_forward", "softmax_backward", keys=("out", "dx"),
       reason="running error analysis: the probabilities are as exact as the shifted scores x - max "
              "(each rounded to u |x - max|), or as x - logsumexp(x), whose log-sum-exp rounds at the "
              "offset's size; dx = p (dout - sum p dout)")
def _softmax(a, e, u):
    p = softmax(Run(a["x"]), u)
    out = {"out": p.m}
    if "dout" in a:
        out["dx"] = _softmax_backward(p, Run(a["dout"])).m
    return out


def _log_softmax(x, u):
    """log p = (x - max) - log(sum exp(x - max)) over the last axis: (value, magnitude, p). The
    subtraction rounds to |x - max|, the sum's relative rounding and the shifted scores' errors
    (weighted by p) reach the log as absolute error, then the result rounds. The form x -
    logsumexp(x) rounds the log-sum-exp at the offset's size (lse_rounding) as absolute error."""
    x = np.asarray(x, dtype=np.float64)
    top = x.max(axis=-1, keepdims=True)
    s = x - top
    lse = np.log(np.exp(s).sum(axis=-1, keepdims=True))
    logp = s - lse
    p = np.exp(logp)
    spread = (p * np.abs(s)).sum(axis=-1, keepdims=True)
    return logp, np.abs(s) + spread + np.abs(lse) + lse_rounding(top, lse, u) + np.abs(logp) + 1, p


@model("log_softmax_forward", "log_softmax_backward", keys=("out", "dx"),
       reason="the shifted scores x - max, the log of their exponentials' sum and the difference "
              "each round at their own size; x - logsumexp(x) rounds the log-sum-exp at the offset's; "
              "dx = dout - exp(out) sum(dout) carries what exp(out) inherits from out")
def _log_softmax_model(a, e, u):
    logp, m, p = _log_softmax(a["x"], u)
    out = {"out": m}
    if "dout" in a:
        g = _f(a["dout"])
        total = g.sum(axis=-1, keepdims=True)
        out["dx"] = g + p * (1 + m) * np.abs(np.asarray(a["dout"], dtype=np.float64).sum(axis=-1, keepdims=True)) \
            + p * total
    return out


@model("cross_entropy_loss", keys=("loss", "dx"),
       reason="as log_softmax on each row, the smoothed target (1 - eps) onehot + eps / C taking a "
              "weighted sum of log p over the kept rows (its terms round), dx = (p - target) / count")
def _cross_entropy(a, e, u):
    x, y = np.asarray(a["x"], dtype=np.float64), np.asarray(a["y"])
    n, c = x.shape
    eps, ignore = float(a.get("label_smoothing", 0.0)), a.get("ignore_index", -100)
    kept = (y != ignore).astype(np.float64)
    count = max(kept.sum(), 1.0)
    target = np.full((n, c), eps / c)
    target[np.arange(n), np.where(kept > 0, y, 0)] += 1 - eps
    target *= kept[:, None]
    logp, m, p = _log_softmax(x, u)
    terms = target * (m + np.abs(logp))
    return {"loss": terms.sum() / count + np.abs(target * logp).sum() / count,
            "dx": (p * (1 + m) * kept[:, None] + target) / count}


# ---- elementwise activations: the argument's rounding times the derivative, and the form's own --

_SQRT_2_OVER_PI, _CUBIC = math.sqrt(2 / math.pi), 0.044715


def _normal_pdf(x):
    return np.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)


def _gelu_terms(x, approximate):
    """(value's magnitude per |x|, derivative's magnitude) of GELU at x: x * Phi(x) with the erf
    (1 + erf(x / sqrt 2) cancels to an absolute error of u for x << 0; the argument's rounding
    moves Phi by phi(x) |x| u) or the tanh form (the cubic's rounding c (|x| + 3 k |x|^3) moves
    t = tanh(a) by (1 - t^2) times it)."""
    if approximate == "tanh":
        t = np.tanh(_SQRT_2_OVER_PI * (x + _CUBIC * x ** 3))
        da = _SQRT_2_OVER_PI * (np.abs(x) + 3 * _CUBIC * np.abs(x) ** 3)     # what a rounds
        slope = _SQRT_2_OVER_PI * (1 + 3 * _CUBIC * x * x)                  # a'
        value = 2 + 0.5 * (1 - t * t) * da
        grad = 2 + (1 - t * t) * ((0.5 + np.abs(x * t) * slope) * da + 0.5 * np.abs(x) * slope)
        return value, grad
    pdf = _normal_pdf(x)
    return 2 + np.abs(x) * pdf, 2 + np.abs(x) * pdf * (3 + 2 * x * x)


@model("gelu_forward", "gelu_backward", keys=("out", "dx"),
       reason="x Phi(x): the argument's rounding moves Phi by phi(x) |x| u, and 1 + erf (or 1 + tanh) "
              "cancels to an absolute error of u where x << 0; dx = dout (Phi + x phi), likewise")
def _gelu(a, e, u):
    x = np.asarray(a["x"], dtype=np.float64)
    value, grad = _gelu_terms(x, a.get("approximate", "none"))
    out = {"out": np.abs(x) * value}
    if "dout" in a:
        out["dx"] = _f(a["dout"]) * grad
    return out


@model("silu_forward", "silu_backward", keys=("out", "dx"),
       reason="x sigmoid(x): exp(-|x|) is off by u |x| relative, which moves s by s (1 - s) |x| u; "
              "dx = dout s (1 + x (1 - s)) carries it through 1 + x (1 - 2 s)")
def _silu(a, e, u):
    x = np.asarray(a["x"], dtype=np.float64)
    s = 1 / (1 + np.exp(-x))
    ds = s * (1 - s) * np.abs(x)
    out = {"out": np.abs(x) * (1 + ds)}
    if "dout" in a:
        out["dx"] = _f(a["dout"]) * (2 + ds * (2 + np.abs(1 + x * (1 - 2 * s))))
    return out


@model("rms_norm_forward", "rms_norm_backward", keys=("out", "dx", "dgamma"),
       reason="x / sqrt(mean(x^2) + eps) * gamma: the mean of D squares rounds (relative, ~sqrt(D) u), "
              "and the backward's dxhat - xhat mean(dxhat xhat) cancels at the size of its terms, "
              "amplified by 1 / rms (1 / sqrt(eps) for a zero row)")
def _rms_norm(a, e, u):
    x, gamma = np.asarray(a["x"], dtype=np.float64), _f(a["gamma"])
    d = x.shape[-1]
    inv = 1 / np.sqrt((x * x).mean(axis=-1, keepdims=True) + float(a.get("eps", 1e-6)))
    xhat = np.abs(x) * inv
    depth = 2 + math.sqrt(d)
    out = {"out": xhat * gamma * depth}
    if "dout" in a:
        g = _f(a["dout"])
        dxhat = g * gamma
        inner = (dxhat * xhat).mean(axis=-1, keepdims=True)
        out["dx"] = inv * (dxhat + xhat * inner * (1 + 2 * depth))
        out["dgamma"] = (g * xhat).reshape(-1, d).sum(axis=0) * depth
    return out


@model("swiglu_forward", "swiglu_backward", keys=("out", "dx", "dW1", "dW3", "dW2"),
       reason="running error analysis of (silu(x @ W1) * (x @ W3)) @ W2 and its backward: sums of "
              "products and what the sigmoid carries")
def _swiglu(a, e, u):
    x = np.asarray(a["x"], dtype=np.float64)
    d = x.shape[-1]
    x2, W1, W3, W2 = Run(x.reshape(-1, d)), Run(a["W1"]), Run(a["W3"]), Run(a["W2"])
    gate, up = x2 @ W1, x2 @ W3
    s = gate.sigmoid()
    h = gate * s * up
    out = {"out": (h @ W2).m.reshape(x.shape)}
    if "dout" in a:
        g = Run(np.asarray(a["dout"], dtype=np.float64).reshape(-1, d))
        dh = g @ W2.T
        dup = dh * gate * s
        dgate = dh * up * s * (gate * s.one_minus()).neg().one_minus()      # 1 + gate (1 - s)
        out.update(dx=(dgate @ W1.T + dup @ W3.T).m.reshape(x.shape), dW1=(x2.T @ dgate).m,
                   dW3=(x2.T @ dup).m, dW2=(h.T @ g).m)
    return out


# ---- attention -----------------------------------------------------------------------------------

def _default_scale(d):
    """1 / sqrt(d); with d = 0 the scores are empty sums, exactly 0 whatever the scale."""
    return 1 / math.sqrt(d) if d else 1.0


def _scale(r, c):
    """r times a constant that is itself rounded (1 / sqrt(d)): one more relative rounding."""
    return r * Run(c, np.abs(np.asarray(c, dtype=np.float64)))


def _attention(q, k, v, allowed, scale, u):
    """Runs of softmax(scale q k^T, masked) @ v: (out, p) with the pieces the backward needs."""
    scores = _scale(q @ _swap(k), scale)
    if allowed is not None:
        scores = _masked(scores, allowed) if allowed.dtype == bool else scores + Run(allowed)
    p = softmax(scores, u)
    return p @ v, p


def _attention_backward(q, k, v, p, g, scale):
    """dq, dk, dv of out = p @ v with p = softmax(scale q k^T): as refimpl and autograd compute them."""
    dv = _swap(p) @ g
    ds = _softmax_backward(p, g @ _swap(v))
    return _scale(ds @ k, scale), _scale(_swap(ds) @ q, scale), dv


def _allowed(mask, is_causal, s, t):
    """The boolean mask (True = may attend), a float mask as it is, or None."""
    if is_causal:
        return np.tri(s, t, dtype=bool)
    if mask is None:
        return None
    mask = np.asarray(mask)
    return mask if mask.dtype == bool else mask.astype(np.float64)


@model("scaled_dot_product_attention_forward", "scaled_dot_product_attention_backward",
       keys=("out", "dq", "dk", "dv"),
       reason="running error analysis of softmax(scale q k^T + mask) @ v and its backward: the scores "
              "round as sums of products, the probabilities as the shifted scores (not their size), and "
              "the outputs as sums of products again")
def _sdpa(a, e, u):
    q, k, v = Run(a["q"]), Run(a["k"]), Run(a["v"])
    scale = a.get("scale") or _default_scale(q.v.shape[-1])
    allowed = _allowed(a.get("mask"), a.get("is_causal", False), q.v.shape[-2], k.v.shape[-2])
    o, p = _attention(q, k, v, allowed, scale, u)
    out = {"out": o.m}
    if "dout" in a:
        out.update(zip(("dq", "dk", "dv"), (r.m for r in _attention_backward(q, k, v, p, Run(a["dout"]), scale))))
    return out


@model("kv_cache_attention_step", keys=("out_t",),
       reason="as causal attention over the whole sequence: each step attends q_t to the keys so far")
def _kv_cache(a, e, u):
    q, k, v = Run(a["q"]), Run(a["k"]), Run(a["v"])
    t = q.v.shape[-2]
    return {"out_t": _attention(q, k, v, np.tri(t, t, dtype=bool), _default_scale(q.v.shape[-1]), u)[0].m}


PARAM_KEYS = ("Wq", "bq", "Wk", "bk", "Wv", "bv", "Wo", "bo")


def mha_run(query, key, value, params, h, attn_mask, u):
    """Runs of multi-head attention (multi_head_attention_forward's layout: params of Runs by Wq,
    bq, ...; attn_mask 0 = blocked; a query with no allowed key gets uniform weights, the -1e9
    fill the contract accepts beside attention to nothing): (out, backward), where backward(g)
    gives the Runs of dquery, dkey, dvalue and of the parameters' gradients by their keys."""
    n, s, width = query.v.shape
    t, hd = key.v.shape[1], width // h

    def split(r):       # (N, L, E) -> (N, h, L, hd)
        return _transpose(_reshape(r, n, r.v.shape[1], h, hd), 0, 2, 1, 3)

    def merge(r):       # (N, h, L, hd) -> (N, L, E)
        return _reshape(_transpose(r, 0, 2, 1, 3), n, r.v.shape[2], width)

    def project(x, w, b):
        return x @ params[w] + params[b]

    allowed = None
    if attn_mask is not None:
        allowed = np.asarray(attn_mask) != 0
        allowed = allowed | ~allowed.any(axis=1, keepdims=True)     # no allowed key: uniform weights
    Q, K, V = (split(project(x, "W" + c, "b" + c)) for x, c in ((query, "q"), (key, "k"), (value, "v")))
    heads, p = _attention(Q, K, V, allowed, 1 / math.sqrt(hd), u)
    merged = merge(heads)

    def backward(g):
        flat = lambda r: _reshape(r, -1, width)   # noqa: E731 (N * L rows, for the weights' sums)

        def through_attention(g):
            dmerged = g @ params["Wo"].T
            return [merge(r) for r in _attention_backward(Q, K, V, p, split(dmerged), 1 / math.sqrt(hd))]
        dQ, dK, dV = through_attention(g)
        grads = {"Wo": flat(merged).T @ flat(g), "bo": flat(g).sum0()}
        for x, dx, c, name in ((query, dQ, "q", "dquery"), (key, dK, "k", "dkey"), (value, dV, "v", "dvalue")):
            grads[name] = dx @ params["W" + c].T
            grads[f"W{c}"] = flat(x).T @ flat(dx)
            grads[f"b{c}"] = flat(dx).sum0()
        if np.any(g.m):
            # dbk is 0 whatever g is (a query's softmax ignores a shift all its scores share): what
            # g carries cancels in it exactly, and only the attention's own rounding of the g it
            # is given is left (a g as large as g's value and what it may carry)
            given = Run(g.v + np.where(g.v < 0, -1.0, 1.0) * u * g.m)
            grads["bk"] = flat(through_attention(given)[1]).sum0()
        return grads
    return project(merged, "Wo", "bo"), backward


@model("multi_head_attention_forward", "multi_head_attention_backward",
       keys=("out", "dquery", "dkey", "dvalue", *(f"dparams['{k}']" for k in PARAM_KEYS)),
       reason="running error analysis of the projections, each head's attention and the output "
              "projection, and of their backward; a query with no allowed key is modelled with "
              "uniform weights (the -1e9 fill the contract accepts beside attention to nothing)")
def _mha(a, e, u):
    params = {k: Run(a["params"][k]) for k in PARAM_KEYS}
    o, backward = mha_run(Run(a["query"]), Run(a["key"]), Run(a["value"]), params, int(a["num_heads"]),
                          a.get("attn_mask"), u)
    out = {"out": o.m}
    if "dout" in a:
        grads = backward(Run(a["dout"]))
        out.update({(k if k.startswith("d") else f"dparams['{k}']"): r.m for k, r in grads.items()})
    return out


def _angle_rounding(angles, exponent, theta):
    """What an angle p * theta^(-e) computed in the working precision is off by, in units of u:
    the exponent e = 2i/d rounds (relative u, so theta^(-e) is off by u * e * |ln theta|), the
    power, its inverse and the product with p round once each: |angle| * (3 + e * |ln theta|).
    Its sine and cosine inherit that absolute error, beside their own rounding."""
    return np.abs(angles) * (3 + exponent * abs(math.log(theta)))


@model("positional_encoding", keys=("pe",),
       reason="sin and cos of the angles p / 10000^(2i/D): an angle computed in float32 (torch's "
              "default dtype, CS231n's code) is off by u |angle| (3 + (2i/D) ln 10000), which its sine "
              "and cosine carry beside their own rounding")
def _positional_encoding(a, e, u):
    max_len, d = int(a["max_len"]), int(a["embed_dim"])  # whole floats are sizes
    exponent = np.arange(0, d, 2) / d
    angles = np.arange(max_len)[:, None] * 10000.0 ** -exponent
    return {"pe": np.repeat(1 + _angle_rounding(angles, exponent, 10000.0), 2, axis=1)}  # columns 2i, 2i+1


@model("rope_forward", "rope_backward", keys=("out", "dx"),
       reason="each pair (a, b) is rotated by p * theta^(-2i/d): a cos - b sin and a sin + b cos carry "
              "(|a| + |b|) times the angle's rounding, u |angle| (3 + (2i/d) ln theta) (HF and Llama "
              "compute the angles in the input's dtype), beside the products' own; dx rotates dout back")
def _rope(a, e, u):
    x = np.asarray(a["x"], dtype=np.float64)
    d, theta = x.shape[-1], float(a.get("theta", 10000.0))
    exponent = np.arange(0, d, 2) / d
    angles = np.asarray(a["positions"], dtype=np.float64)[..., None] * theta ** -exponent
    per_angle = 1 + _angle_rounding(angles, exponent, theta)

    def rotated(v):
        v = np.abs(np.asarray(v, dtype=np.float64))
        if a.get("interleaved", False):
            m = np.empty(v.shape)
            m[..., 0::2] = m[..., 1::2] = (v[..., 0::2] + v[..., 1::2]) * per_angle
            return m
        m = (v[..., :d // 2] + v[..., d // 2:]) * per_angle
        return np.concatenate([m, m], axis=-1)

    out = {"out": rotated(x)}
    if "dout" in a:
        out["dx"] = rotated(a["dout"])
    return out
