"""Attention: scaled dot-product attention, CS231n 2025's multi-head attention, sinusoidal
positional encodings, rotary embeddings (RoPE) and one decoding step with a KV cache.

Conventions (the oracle adapters convert where torch differs):
- a boolean ``mask`` is True where a query may attend (torch's SDPA); ``multi_head_attention``'s
  ``attn_mask`` is CS231n's, 0 = blocked (``nn.MultiheadAttention``'s boolean mask is True = blocked);
- a query with no allowed key attends to nothing: its output is 0 and so are its gradients, as
  torch's SDPA (its ``_safe_softmax``) gives for boolean and -inf masks;
- causal attention is aligned top-left, as torch's ``is_causal``: query i sees keys j <= i, also
  when S != T;
- a mask is added to the scores (-inf where blocked), as torch adds it: a NaN score stays NaN
  where blocked (NaN in, NaN out, as torch's math kernel; its fused causal kernel skips the keys);
- weights are used as ``x @ W + b`` (W (in, out); nn.Linear stores (out, in)).
"""
import math

import numpy as np

from . import _validate as val
from .activations import working_dtypes


def _number(name, value):
    if not isinstance(value, (int, float, np.integer, np.floating)) or isinstance(value, bool) \
            or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    return float(value)


def _default_scale(d):
    """1 / sqrt(d); for d = 0 every score is 0, and any scale gives torch's uniform weights."""
    return 1 / math.sqrt(max(d, 1))


def _attention(q, k, v_, allowed=None, additive=None, scale=1.0):
    """softmax(q @ k^T * scale + additive, where allowed) @ v over the last two axes; rows with no
    allowed key (every score -inf) get zero weights. Returns (out, weights)."""
    scores = (q @ np.swapaxes(k, -1, -2)) * scale
    if additive is not None:
        scores = scores + additive
    if allowed is not None:  # added as -inf, as torch adds its masks: a NaN score stays NaN where blocked
        scores = scores + np.where(allowed, 0, -np.inf).astype(scores.dtype)
    top = np.max(scores, axis=-1, keepdims=True, initial=-np.inf)
    e = np.exp(scores - np.where(top == -np.inf, 0, top))  # an all -inf row stays -inf: exp gives 0
    total = e.sum(axis=-1, keepdims=True)
    weights = e / np.where(total == 0, 1, total)
    return weights @ v_, weights


def _attention_backward(dout, q, k, v_, weights, scale):
    """dq, dk, dv of _attention (weights of 0 pass no gradient)."""
    dv = np.swapaxes(weights, -1, -2) @ dout
    dweights = dout @ np.swapaxes(v_, -1, -2)
    dscores = weights * (dweights - (dweights * weights).sum(axis=-1, keepdims=True)) * scale
    return dscores @ k, np.swapaxes(dscores, -1, -2) @ q, dv


def scaled_dot_product_attention_forward(q, k, v, mask=None, is_causal=False, scale=None):
    """``softmax(q @ k^T * scale + mask) @ v`` over the last two axes.

    q (..., S, d), k (..., T, d), v (..., T, dv) with the same leading axes (batch, heads, ...);
    returns out (..., S, dv). mask: boolean, True where query i may attend to key j (torch's SDPA
    convention), or floating, added to the scores (-inf blocks); broadcastable to (..., S, T).
    is_causal: query i sees keys j <= i (top-left aligned when S != T, as torch); not together
    with a mask (torch raises too). scale defaults to 1 / sqrt(d). A query with no allowed key
    gives 0 (and passes no gradient), as torch's SDPA. torch: ``F.scaled_dot_product_attention``.
    """
    q, k, v_ = (val.floats(n, a, min_ndim=2) for n, a in (("q", q), ("k", k), ("v", v)))
    lead, (s, d), t = q.shape[:-2], q.shape[-2:], k.shape[-2]
    val.shape("k", k, (*lead, t, d), f" (q {q.shape} sets the leading axes and d)")
    val.shape("v", v_, (*lead, t, v_.shape[-1]), f" (k {k.shape} sets the leading axes and T)")
    is_causal = val.flag("is_causal", is_causal)
    scale = _default_scale(d) if scale is None else _number("scale", scale)
    out_dtype, work = working_dtypes(q, k, v_)
    allowed = additive = None
    if mask is not None:
        if is_causal:
            raise ValueError(f"mask must be None when is_causal=True (torch raises too), got a mask of shape "
                             f"{np.shape(mask)}: pass one of them")
        mask = np.asarray(mask)
        if mask.dtype.kind not in "bf":
            raise ValueError(f"mask must be boolean (True = may attend) or floating (added), got dtype {mask.dtype}")
        try:
            fits = np.broadcast_shapes(mask.shape, (*lead, s, t)) == (*lead, s, t)
        except ValueError:
            fits = False
        if not fits:
            raise ValueError(f"mask must broadcast to the scores' shape {(*lead, s, t)}, got {mask.shape}")
        if mask.dtype == bool:
            allowed = mask
        else:
            additive = mask.astype(work, copy=False)
    elif is_causal:
        allowed = np.tri(s, t, dtype=bool)
    qw, kw, vw = (a.astype(work, copy=False) for a in (q, k, v_))
    out, weights = _attention(qw, kw, vw, allowed, additive, scale)
    return out.astype(out_dtype, copy=False), (qw, kw, vw, weights, scale, out_dtype)


def scaled_dot_product_attention_backward(dout, cache):
    """Gradients of scaled_dot_product_attention_forward: dq, dk, dv (the mask gets none)."""
    qw, kw, vw, weights, scale, out_dtype = cache
    dout = val.floats("dout", dout)
    val.shape("dout", dout, (*qw.shape[:-1], vw.shape[-1]), " (the forward's output)")
    grads = _attention_backward(dout.astype(qw.dtype, copy=False), qw, kw, vw, weights, scale)
    return tuple(g.astype(out_dtype, copy=False) for g in grads)


PARAM_KEYS = ("Wq", "bq", "Wk", "bk", "Wv", "bv", "Wo", "bo")


def _heads(x, h):
    """(N, L, E) -> (N, h, L, E / h): each head's slice of the features, heads before positions."""
    n, length, e = x.shape
    return x.reshape(n, length, h, e // h).transpose(0, 2, 1, 3)


def _merge(x):
    """(N, h, L, e) -> (N, L, h * e), the inverse of _heads."""
    n, h, length, e = x.shape
    return x.transpose(0, 2, 1, 3).reshape(n, length, h * e)


def multi_head_attention_forward(query, key, value, params, num_heads, attn_mask=None):
    """Multi-head attention as CS231n 2025's ``MultiHeadAttention.forward`` (dropout off).

    query (N, S, E), key and value (N, T, E); params: a dict of Wq, bq, Wk, bk, Wv, bv, Wo, bo,
    each W (E, E) used as ``x @ W + b``. The projections are split into num_heads heads of
    E / num_heads features; each head attends with scale 1 / sqrt(E / num_heads); the heads are
    concatenated and projected by Wo, bo. attn_mask (S, T): 0 where query i may NOT attend to
    key j (CS231n). A query with no allowed key attends to nothing (its output is bo), as torch.
    Returns out (N, S, E). torch: ``nn.MultiheadAttention(E, num_heads, batch_first=True)`` with
    in_proj_weight = [Wq.T; Wk.T; Wv.T] and a boolean attn_mask that is True where blocked.
    """
    query, key, value = (val.floats(n, a, ndim=3) for n, a in (("query", query), ("key", key), ("value", value)))
    val.nonempty("query", query, 2, "feature (E >= 1)")
    n, s, e = query.shape
    t = key.shape[1]
    val.shape("key", key, (n, t, e), f" (query {query.shape} sets N and E)")
    val.shape("value", value, key.shape, " (as key)")
    missing = [name for name in PARAM_KEYS if name not in val.params("params", params, required=True)]
    if missing:
        raise ValueError(f"params must hold the keys {', '.join(PARAM_KEYS)}, missing {', '.join(missing)}")
    h = val.whole("num_heads", num_heads, 1)
    if e % h:
        raise ValueError(f"num_heads must be a positive divisor of E = {e}, got {num_heads!r}")
    p = {}
    for name in PARAM_KEYS:
        p[name] = val.floats(f"params['{name}']", params[name])
        val.shape(f"params['{name}']", p[name], (e, e) if name[0] == "W" else (e,), f" (E = {e})")
    allowed = None
    if attn_mask is not None:
        allowed = val.mask("attn_mask", attn_mask, (s, t), " (S queries by T keys)") != 0
    out_dtype, work = working_dtypes(query, key, value, *p.values())
    x = {name: a.astype(work, copy=False) for name, a in (("query", query), ("key", key), ("value", value))}
    p = {name: a.astype(work, copy=False) for name, a in p.items()}
    q = _heads(x["query"] @ p["Wq"] + p["bq"], h)
    k = _heads(x["key"] @ p["Wk"] + p["bk"], h)
    v_ = _heads(x["value"] @ p["Wv"] + p["bv"], h)
    scale = 1 / math.sqrt(e // h)
    heads, weights = _attention(q, k, v_, allowed, None, scale)
    merged = _merge(heads)
    out = merged @ p["Wo"] + p["bo"]
    return out.astype(out_dtype, copy=False), (x, p, q, k, v_, weights, merged, scale, out_dtype)


def multi_head_attention_backward(dout, cache):
    """Gradients of multi_head_attention_forward: dquery (N, S, E), dkey and dvalue (N, T, E),
    and dparams, a dict with the keys of params (dWq, dbq, ... in params' shapes)."""
    x, p, q, k, v_, weights, merged, scale, out_dtype = cache
    dout = val.floats("dout", dout)
    val.shape("dout", dout, x["query"].shape, " (the forward's output)")
    dout = dout.astype(merged.dtype, copy=False)
    e = dout.shape[-1]
    flat = lambda a: a.reshape(-1, e)
    grads = {"Wo": flat(merged).T @ flat(dout), "bo": flat(dout).sum(axis=0)}
    dq, dk, dv = _attention_backward(_heads(dout @ p["Wo"].T, q.shape[1]), q, k, v_, weights, scale)
    dx = {}
    for name, d in (("query", dq), ("key", dk), ("value", dv)):
        d = _merge(d)
        w = "W" + name[0]
        grads[w], grads["b" + name[0]] = flat(x[name]).T @ flat(d), flat(d).sum(axis=0)
        dx[name] = d @ p[w].T
    dparams = {name: grads[name].astype(out_dtype, copy=False) for name in PARAM_KEYS}
    return (*(dx[n].astype(out_dtype, copy=False) for n in ("query", "key", "value")), dparams)


def positional_encoding(max_len, embed_dim):
    """The sinusoidal positional encodings of "Attention Is All You Need", CS231n 2025's layout:
    ``pe[p, 2i] = sin(p / 10000^(2i / D))`` and ``pe[p, 2i + 1] = cos(p / 10000^(2i / D))``
    (sine on even, cosine on odd columns; a pair shares its exponent). embed_dim D must be even
    (CS231n asserts it). Returns pe (max_len, D), float64. No torch built-in: the oracle is the
    formula written in torch."""
    max_len, d = val.whole("max_len", max_len), val.whole("embed_dim", embed_dim)
    if d % 2:
        raise ValueError(f"embed_dim must be even (a sine and a cosine column per frequency), got {d}")
    angles = np.arange(max_len, dtype=np.float64)[:, None] / 10000.0 ** (np.arange(0, d, 2) / d)
    pe = np.empty((max_len, d))
    pe[:, 0::2], pe[:, 1::2] = np.sin(angles), np.cos(angles)
    return pe


def _rotate(x, cos, sin, interleaved):
    """Rotate each pair of features of x by the angle whose cos and sin are given (…, T, d/2)."""
    if interleaved:
        a, b = x[..., 0::2], x[..., 1::2]
        out = np.empty_like(x)
        out[..., 0::2], out[..., 1::2] = a * cos - b * sin, a * sin + b * cos
        return out
    a, b = np.split(x, 2, axis=-1)
    return np.concatenate([a * cos - b * sin, b * cos + a * sin], axis=-1)


def rope_forward(x, positions, theta=10000.0, interleaved=False):
    """Rotary position embedding of x (..., T, d), d even: feature pair i of the token at position
    p is rotated by the angle ``p * theta^(-2i / d)``.

    positions: T numbers (any start, any order; integers usually), or an array broadcastable to
    x.shape[:-1] with T last (one row of positions per batch entry). The pairs are
    (i, i + d/2) by default (the half-split layout of GPT-NeoX and HF's ``rotate_half``), or
    (2i, 2i + 1) with interleaved=True (Meta's Llama reference, a complex multiply). Angles are
    computed in float64. No torch built-in: the oracles are HF's and Llama's forms written in torch.
    """
    x = val.floats("x", x, min_ndim=2)
    t, d = x.shape[-2:]
    if d % 2:
        raise ValueError(f"x must have an even last axis (pairs of features), got shape {x.shape}")
    positions = np.asarray(positions)
    if positions.dtype.kind not in "iuf":
        raise ValueError(f"positions must be numbers, got dtype {positions.dtype}")
    try:
        fits = positions.ndim >= 1 and np.broadcast_shapes(positions.shape, x.shape[:-1]) == x.shape[:-1]
    except ValueError:
        fits = False
    if not fits or positions.shape[-1] != t:
        raise ValueError(f"positions must have T = {t} entries on its last axis and broadcast to "
                         f"x.shape[:-1] = {x.shape[:-1]}, got shape {positions.shape}")
    val.finite("positions", positions)
    theta = float(val.number("theta", theta, low=0, low_open=True))
    interleaved = val.flag("interleaved", interleaved)
    out_dtype, work = working_dtypes(x)
    angles = positions.astype(np.float64)[..., None] * theta ** (-np.arange(0, d, 2) / d)
    cos, sin = np.cos(angles).astype(work), np.sin(angles).astype(work)
    out = _rotate(x.astype(work, copy=False), cos, sin, interleaved)
    return out.astype(out_dtype, copy=False), (cos, sin, interleaved, x.shape, out_dtype)


def rope_backward(dout, cache):
    """dx: dout rotated back (by the negative angles): the rotation's transpose."""
    cos, sin, interleaved, shape, out_dtype = cache
    dout = val.floats("dout", dout)
    val.shape("dout", dout, shape, " (the forward's output)")
    dx = _rotate(dout.astype(cos.dtype, copy=False), cos, -sin, interleaved)
    return dx.astype(out_dtype, copy=False)


def kv_cache_attention_step(q_t, k_t, v_t, cache=None):
    """One decoding step of causal attention with a KV cache.

    q_t, k_t, v_t (N, H, 1, d) (any leading axes): the newest token's query, key and value.
    cache: None on the first step, else what the previous step returned, a dict {'k': (N, H, t, d),
    'v': (N, H, t, d)} of the keys and values so far. k_t and v_t are appended first, then q_t
    attends to all t + 1 keys (scale 1 / sqrt(d)). Returns (out_t (N, H, 1, d), the new cache);
    the old cache is not modified. T steps from cache=None give causal attention row by row.
    torch: ``F.scaled_dot_product_attention(q, k, v, is_causal=True)`` on the whole sequence.
    """
    q_t, k_t, v_t = (val.floats(n, a, min_ndim=2) for n, a in (("q_t", q_t), ("k_t", k_t), ("v_t", v_t)))
    if q_t.shape[-2] != 1:
        raise ValueError(f"q_t must hold one token (axis -2 of size 1), got shape {q_t.shape}")
    val.shape("k_t", k_t, q_t.shape, " (as q_t)")
    val.shape("v_t", v_t, (*q_t.shape[:-1], v_t.shape[-1]), f" (q_t {q_t.shape} sets the leading axes)")
    if cache is None:
        keys, values = k_t.copy(), v_t.copy()
    else:
        if {"k", "v"} - set(val.params("cache", cache, required=True)):
            raise ValueError(f"cache must be None or the dict {{'k': ..., 'v': ...}} a previous step returned, "
                             f"got the keys {sorted(cache, key=str)}")
        old_k, old_v = (val.floats(f"cache['{n}']", cache[n], ndim=q_t.ndim) for n in "kv")
        val.shape("cache['k']", old_k, (*q_t.shape[:-2], old_k.shape[-2], q_t.shape[-1]), f" (q_t {q_t.shape})")
        val.shape("cache['v']", old_v, (*old_k.shape[:-1], v_t.shape[-1]),
                  f" (cache['k'] {old_k.shape} and v_t {v_t.shape})")
        keys, values = np.concatenate([old_k, k_t], axis=-2), np.concatenate([old_v, v_t], axis=-2)
    out_dtype, work = working_dtypes(q_t, keys, values)
    out, _ = _attention(q_t.astype(work), keys.astype(work), values.astype(work), scale=_default_scale(q_t.shape[-1]))
    return out.astype(out_dtype, copy=False), {"k": keys, "v": values}
