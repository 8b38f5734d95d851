"""An attention module written from scratch, the way an interview answer might look, with three
classic mistakes for `refcheck` to report on (`make verify IMPL=examples/attention_with_mistakes.py`).

Written independently of refimpl, in NumPy: the positional encodings, RMSNorm, RoPE and the
KV-cache step are right; the softmax, scaled dot-product attention and multi-head attention each
hide one well-known mistake, which the verifier should name in its hint.
"""
import numpy as np


def softmax_forward(x):
    e = np.exp(x)  # mistake: no max-subtraction, so exp overflows for scores near 1e3
    out = e / np.sum(e, axis=-1, keepdims=True)
    return out, out


def masked_softmax(scores, allowed):
    """Softmax over the last axis where allowed; a row with nothing allowed gets all-zero weights."""
    scores = np.where(allowed, scores, -np.inf)
    top = np.max(scores, axis=-1, keepdims=True)
    top = np.where(np.isfinite(top), top, 0)
    e = np.exp(scores - top) * allowed
    total = np.sum(e, axis=-1, keepdims=True)
    return e / np.where(total > 0, total, 1)


def scaled_dot_product_attention_forward(q, k, v, mask=None, is_causal=False, scale=None):
    d = q.shape[-1]
    scale = 1 / d ** 0.5 if scale is None else scale
    scores = np.einsum("...sd,...td->...st", q, k) * scale
    allowed = np.ones(scores.shape, dtype=bool)
    if is_causal:
        allowed = np.tril(allowed)
    if mask is not None:
        if mask.dtype == bool:
            allowed = allowed & ~mask  # mistake: True taken as "blocked" (nn.MultiheadAttention's convention)
        else:
            scores = scores + mask
    weights = masked_softmax(scores, allowed & (scores > -np.inf))
    out = np.einsum("...st,...tv->...sv", weights, v)
    return out.astype(q.dtype), (q, k, v, weights)


def multi_head_attention_forward(query, key, value, params, num_heads, attn_mask=None):
    N, S, E = query.shape
    T = key.shape[1]
    head_dim = E // num_heads

    def split(x, length):
        return x.reshape(N, length, num_heads, head_dim).transpose(0, 2, 1, 3)

    Q = split(query @ params["Wq"] + params["bq"], S)
    K = split(key @ params["Wk"] + params["bk"], T)
    V = split(value @ params["Wv"] + params["bv"], T)
    scores = Q @ K.transpose(0, 1, 3, 2) / E ** 0.5  # mistake: sqrt(E), not sqrt(head_dim)
    allowed = np.ones((S, T), dtype=bool) if attn_mask is None else np.asarray(attn_mask) != 0
    weights = masked_softmax(scores, np.broadcast_to(allowed, scores.shape))
    heads = (weights @ V).transpose(0, 2, 1, 3).reshape(N, S, E)
    out = heads @ params["Wo"] + params["bo"]
    return out, (query, key, value, weights)


def positional_encoding(max_len, embed_dim):
    pe = np.zeros((max_len, embed_dim))
    position = np.arange(max_len)[:, None]
    div_term = np.exp(np.arange(0, embed_dim, 2) * (-np.log(10000.0) / embed_dim))
    pe[:, 0::2] = np.sin(position * div_term)
    pe[:, 1::2] = np.cos(position * div_term)
    return pe


def rms_norm_forward(x, gamma, eps=1e-6):
    rms = np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + eps)
    xhat = x / rms
    return xhat * gamma, (xhat, rms, gamma)


def rms_norm_backward(dout, cache):
    xhat, rms, gamma = cache
    D = xhat.shape[-1]
    dxhat = dout * gamma
    dx = (dxhat - xhat * np.sum(dxhat * xhat, axis=-1, keepdims=True) / D) / rms
    dgamma = np.sum(dout * xhat, axis=tuple(range(dout.ndim - 1)))
    return dx, dgamma


def rope_forward(x, positions, theta=10000.0, interleaved=False):
    d = x.shape[-1]
    inv_freq = 1.0 / theta ** (np.arange(0, d, 2) / d)
    angles = np.asarray(positions)[..., None] * inv_freq
    cos, sin = np.cos(angles).astype(x.dtype), np.sin(angles).astype(x.dtype)
    out = rotate(x, cos, sin, interleaved)
    return out, (cos, sin, interleaved)


def rope_backward(dout, cache):
    cos, sin, interleaved = cache
    return rotate(dout, cos, -sin, interleaved)


def rotate(x, cos, sin, interleaved):
    if interleaved:
        x1, x2 = x[..., 0::2], x[..., 1::2]
        return np.stack([x1 * cos - x2 * sin, x1 * sin + x2 * cos], axis=-1).reshape(x.shape)
    half = x.shape[-1] // 2
    x1, x2 = x[..., :half], x[..., half:]
    return np.concatenate([x1 * cos - x2 * sin, x2 * cos + x1 * sin], axis=-1)


def kv_cache_attention_step(q_t, k_t, v_t, cache=None):
    if cache is None:
        keys, values = k_t, v_t
    else:
        keys, values = np.concatenate([cache[0], k_t], axis=2), np.concatenate([cache[1], v_t], axis=2)
    scores = q_t @ keys.transpose(0, 1, 3, 2) / q_t.shape[-1] ** 0.5
    weights = np.exp(scores - scores.max(axis=-1, keepdims=True))
    weights /= weights.sum(axis=-1, keepdims=True)
    return weights @ values, (keys, values)
