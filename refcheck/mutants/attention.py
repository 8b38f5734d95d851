"""Mutants of the attention family: those of its blocks (refcheck.mutants.activations, imported
here), then attention's classic mistakes (scale, mask polarity and placement, causal offsets,
head splitting, fully masked rows), positional encodings, RoPE layouts and the KV cache."""
import math

import numpy as np

import refimpl
from refimpl import attention as ra
from . import activations, mutant  # noqa: F401 - importing activations registers its mutants


_cached = activations._cached


# ---- scaled dot-product attention --------------------------------------------------------------

def _sdpa_parts(q, k, mask, is_causal):
    """(allowed, additive) as the reference reads them."""
    s, t = q.shape[-2], k.shape[-2]
    if mask is None:
        return (np.tri(s, t, dtype=bool) if is_causal else None), None
    mask = np.asarray(mask)
    return (mask, None) if mask.dtype == bool else (None, mask.astype(q.dtype))


def _sdpa_scores(q, k, mask, is_causal, scale):
    allowed, additive = _sdpa_parts(q, k, mask, is_causal)
    scores = (q @ np.swapaxes(k, -1, -2)) * (1 / math.sqrt(q.shape[-1]) if scale is None else scale)
    if additive is not None:
        scores = scores + additive
    return scores, allowed


def _sdpa_with(weights_fn):
    """A forward from weights_fn(scores, allowed) -> weights, with the reference's cache."""
    def forward(q, k, v, mask=None, is_causal=False, scale=None):
        scores, allowed = _sdpa_scores(q, k, mask, is_causal, scale)
        out = weights_fn(scores, allowed) @ v
        return out.astype(q.dtype), _cached(refimpl.scaled_dot_product_attention_forward, q, k, v, mask, is_causal,
                                            scale)
    return forward


def _softmax(scores, axis=-1):
    e = np.exp(scores - scores.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


@mutant("scaled_dot_product_attention_forward", "The scores are divided by d, not sqrt(d) "
                                                "(scale = 1 / sqrt(d), d the query/key feature size).")
def sdpa_scale_by_d(q, k, v, mask=None, is_causal=False, scale=None):
    return refimpl.scaled_dot_product_attention_forward(q, k, v, mask, is_causal, 1 / q.shape[-1] if scale is None
                                                        else scale)[0], _cached(
        refimpl.scaled_dot_product_attention_forward, q, k, v, mask, is_causal, scale)


@mutant("scaled_dot_product_attention_forward", "The scores are not scaled (default scale 1 / sqrt(d)).")
def sdpa_unscaled(q, k, v, mask=None, is_causal=False, scale=None):
    return refimpl.scaled_dot_product_attention_forward(q, k, v, mask, is_causal, 1.0 if scale is None
                                                        else scale)[0], _cached(
        refimpl.scaled_dot_product_attention_forward, q, k, v, mask, is_causal, scale)


@mutant("scaled_dot_product_attention_forward", "scale is ignored (1 / sqrt(d) is used whatever is passed).")
def sdpa_scale_ignored(q, k, v, mask=None, is_causal=False, scale=None):
    return refimpl.scaled_dot_product_attention_forward(q, k, v, mask, is_causal)[0], _cached(
        refimpl.scaled_dot_product_attention_forward, q, k, v, mask, is_causal, scale)


@mutant("scaled_dot_product_attention_forward", "The boolean mask's polarity is inverted: in torch's SDPA "
                                                "(and the contract) True means the query MAY attend; "
                                                "True = blocked is nn.MultiheadAttention's convention.")
def sdpa_mask_inverted(q, k, v, mask=None, is_causal=False, scale=None):
    flipped = ~np.asarray(mask) if mask is not None and np.asarray(mask).dtype == bool else mask
    return refimpl.scaled_dot_product_attention_forward(q, k, v, flipped, is_causal, scale)[0], _cached(
        refimpl.scaled_dot_product_attention_forward, q, k, v, mask, is_causal, scale)


@mutant("scaled_dot_product_attention_forward", "The mask is applied after the softmax (weights zeroed "
                                                "without renormalizing); mask the scores before it.")
def sdpa_mask_after_softmax(q, k, v, mask=None, is_causal=False, scale=None):
    return _sdpa_with(lambda s, allowed: _softmax(s) * (1 if allowed is None else allowed))(
        q, k, v, mask, is_causal, scale)


@mutant("scaled_dot_product_attention_forward", "An additive float mask is used as a boolean one "
                                                "(nonzero = attend); a float mask is added to the scores.")
def sdpa_float_mask_as_boolean(q, k, v, mask=None, is_causal=False, scale=None):
    as_bool = mask != 0 if mask is not None and np.asarray(mask).dtype.kind == "f" else mask
    return refimpl.scaled_dot_product_attention_forward(q, k, v, as_bool, is_causal, scale)[0], _cached(
        refimpl.scaled_dot_product_attention_forward, q, k, v, mask, is_causal, scale)


def _causal_offset(name, offset, hint):
    """A causal forward whose query i sees keys j <= i + offset(S, T)."""
    def forward(q, k, v, mask=None, is_causal=False, scale=None):
        if not is_causal:
            return refimpl.scaled_dot_product_attention_forward(q, k, v, mask, is_causal, scale)
        s, t = q.shape[-2], k.shape[-2]
        shifted = np.tri(s, t, offset(s, t), dtype=bool)
        return refimpl.scaled_dot_product_attention_forward(q, k, v, shifted, False, scale)[0], _cached(
            refimpl.scaled_dot_product_attention_forward, q, k, v, mask, is_causal, scale)
    forward.__name__ = name
    return mutant("scaled_dot_product_attention_forward", hint)(forward)


_causal_offset("sdpa_causal_sees_next", lambda s, t: 1, "The causal mask is shifted by one: query i sees "
               "keys j <= i + 1; it must see j <= i (np.tril(..., k=0)).")
_causal_offset("sdpa_causal_excludes_self", lambda s, t: -1, "The causal mask is shifted by one: query i must "
               "see keys j <= i, itself included (np.tril(..., k=0), not k=-1).")
_causal_offset("sdpa_causal_bottom_right", lambda s, t: t - s, "The causal mask is aligned bottom-right "
               "(query i sees keys j <= i + T - S, flash-attn's and KV-cache style); torch's is_causal aligns "
               "it top-left: j <= i.")


@mutant("scaled_dot_product_attention_forward", "The softmax normalizes over the queries (axis -2); each "
                                                "query's weights over the keys (axis -1) must sum to 1.")
def sdpa_softmax_over_queries(q, k, v, mask=None, is_causal=False, scale=None):
    def weights(s, allowed):
        s = s if allowed is None else np.where(allowed, s, -1e30)
        return _softmax(s, axis=-2) * (1 if allowed is None else allowed)
    return _sdpa_with(weights)(q, k, v, mask, is_causal, scale)


@mutant("scaled_dot_product_attention_forward", "The scores are exponentiated without subtracting the "
                                                "row maximum: exp overflows for large scores.")
def sdpa_no_max_shift(q, k, v, mask=None, is_causal=False, scale=None):
    def weights(s, allowed):
        e = np.exp(s) * (1 if allowed is None else allowed)
        return e / e.sum(axis=-1, keepdims=True)
    return _sdpa_with(weights)(q, k, v, mask, is_causal, scale)


@mutant("scaled_dot_product_attention_forward", "A query with no allowed key gives NaN (a softmax of "
                                                "scores all -inf); torch's SDPA gives weights 0 there, so "
                                                "its output is 0: zero the rows that have no allowed key.")
def sdpa_fully_masked_nan(q, k, v, mask=None, is_causal=False, scale=None):
    return _sdpa_with(lambda s, allowed: _softmax(s if allowed is None else np.where(allowed, s, -np.inf)))(
        q, k, v, mask, is_causal, scale)


@mutant("scaled_dot_product_attention_forward", "A query with no allowed key attends uniformly to every "
                                                "key (blocked scores filled with a finite -1e9); torch's "
                                                "SDPA gives weights 0 there, so its output is 0.")
def sdpa_fully_masked_uniform(q, k, v, mask=None, is_causal=False, scale=None):
    return _sdpa_with(lambda s, allowed: _softmax(s if allowed is None else np.where(allowed, s, -1e9)))(
        q, k, v, mask, is_causal, scale)


@mutant("scaled_dot_product_attention_backward", "Only the diagonal of the softmax Jacobian is used "
                                                 "(dp * p * (1 - p)); dscores = p * (dp - sum(dp * p, axis=-1)).")
def sdpa_backward_diagonal(dout, cache):
    qw, kw, vw, weights, scale, out_dtype = cache
    dv = np.swapaxes(weights, -1, -2) @ dout
    dscores = (dout @ np.swapaxes(vw, -1, -2)) * weights * (1 - weights) * scale
    return tuple(a.astype(out_dtype) for a in (dscores @ kw, np.swapaxes(dscores, -1, -2) @ qw, dv))


@mutant("scaled_dot_product_attention_backward", "dq and dk miss the scale factor (the scores are "
                                                 "q @ k.T * scale, so both gradients carry it).")
def sdpa_backward_unscaled(dout, cache):
    dq, dk, dv = refimpl.scaled_dot_product_attention_backward(dout, cache)
    return (dq / cache[4]).astype(dq.dtype), (dk / cache[4]).astype(dk.dtype), dv


# ---- multi-head attention ----------------------------------------------------------------------

def _mha(query, key, value, params, num_heads, attn_mask, split=ra._heads, merge=ra._merge, scale=None,
         allowed_fn=None):
    """The reference's forward with one piece replaced."""
    n, s, e = query.shape
    q = split(query @ params["Wq"] + params["bq"], num_heads)
    k = split(key @ params["Wk"] + params["bk"], num_heads)
    v = split(value @ params["Wv"] + params["bv"], num_heads)
    allowed = None if attn_mask is None else (allowed_fn or (lambda m: m != 0))(np.asarray(attn_mask))
    heads, _ = ra._attention(q, k, v, allowed, None, scale or 1 / math.sqrt(e // num_heads))
    out = merge(heads) @ params["Wo"] + params["bo"]
    return out.astype(query.dtype), _cached(refimpl.multi_head_attention_forward, query, key, value, params,
                                            num_heads, attn_mask)


@mutant("multi_head_attention_forward", "The scores are scaled by 1 / sqrt(E), the model's width; each "
                                        "head's scale is 1 / sqrt(E / num_heads), its own feature size.")
def mha_scale_by_embed_dim(query, key, value, params, num_heads, attn_mask=None):
    return _mha(query, key, value, params, num_heads, attn_mask, scale=1 / math.sqrt(query.shape[-1]))


def _split_without_transpose(x, h):
    n, length, e = x.shape
    return x.reshape(n, h, length, e // h)


def _merge_without_transpose(x):
    n, h, length, e = x.shape
    return x.reshape(n, length, h * e)


@mutant("multi_head_attention_forward", "The heads are split by reshaping (N, L, E) straight to "
                                        "(N, H, L, E/H): reshape to (N, L, H, E/H), then transpose(0, 2, 1, 3) "
                                        "(and back before the output projection).")
def mha_heads_without_transpose(query, key, value, params, num_heads, attn_mask=None):
    return _mha(query, key, value, params, num_heads, attn_mask, split=_split_without_transpose,
                merge=_merge_without_transpose)


@mutant("multi_head_attention_forward", "attn_mask's polarity is inverted: in CS231n's convention 0 means "
                                        "blocked (nonzero = may attend).")
def mha_mask_inverted(query, key, value, params, num_heads, attn_mask=None):
    return _mha(query, key, value, params, num_heads, attn_mask, allowed_fn=lambda m: m == 0)


@mutant("multi_head_attention_forward", "The output projection (Wo, bo) is not applied to the "
                                        "concatenated heads.")
def mha_no_output_projection(query, key, value, params, num_heads, attn_mask=None):
    identity = dict(params, Wo=np.eye(query.shape[-1], dtype=params["Wo"].dtype), bo=np.zeros_like(params["bo"]))
    out = _mha(query, key, value, identity, num_heads, attn_mask)[0]
    return out, _cached(refimpl.multi_head_attention_forward, query, key, value, params, num_heads, attn_mask)


@mutant("multi_head_attention_backward", "dparams['Wq'], ['Wk'], ['Wv'] and ['Wo'] are transposed: with "
                                         "x @ W, dW = x.T @ dy, of W's shape (E_in, E_out).")
def mha_backward_transposed_weights(dout, cache):
    dquery, dkey, dvalue, dparams = refimpl.multi_head_attention_backward(dout, cache)
    return dquery, dkey, dvalue, {k: (g.T.copy() if k[0] == "W" else g) for k, g in dparams.items()}


# ---- positional encodings and RoPE ---------------------------------------------------------------

def _angles(max_len, exponents, d):
    return np.arange(max_len)[:, None] / 10000.0 ** (exponents / d)


@mutant("positional_encoding", "Sine and cosine are swapped: sine goes on the even columns "
                               "(pe[:, 0::2] = sin), cosine on the odd ones.")
def positional_encoding_cos_first(max_len, embed_dim):
    angles, pe = _angles(max_len, np.arange(0, embed_dim, 2), embed_dim), np.empty((max_len, embed_dim))
    pe[:, 0::2], pe[:, 1::2] = np.cos(angles), np.sin(angles)
    return pe


@mutant("positional_encoding", "Each column uses its own index j in 10000^(j / D); a sine-cosine pair "
                               "shares the exponent 2i (exponents 0, 0, 2, 2, 4, 4, ...).")
def positional_encoding_column_exponent(max_len, embed_dim):
    angles, pe = _angles(max_len, np.arange(embed_dim), embed_dim), np.empty((max_len, embed_dim))
    pe[:, 0::2], pe[:, 1::2] = np.sin(angles[:, 0::2]), np.cos(angles[:, 1::2])
    return pe


@mutant("positional_encoding", "The sines fill the first half of the columns and the cosines the second "
                               "(tensor2tensor's layout); CS231n interleaves them: sine on even, cosine on odd.")
def positional_encoding_halves(max_len, embed_dim):
    angles = _angles(max_len, np.arange(0, embed_dim, 2), embed_dim)
    return np.concatenate([np.sin(angles), np.cos(angles)], axis=1)


@mutant("rope_forward", "The rotation pairs use the other layout: the default pairs feature i with "
                        "i + d/2 (half-split, GPT-NeoX and HF's rotate_half); interleaved=True pairs 2i with "
                        "2i + 1 (Meta Llama).")
def rope_layout_swapped(x, positions, theta=10000.0, interleaved=False):
    return refimpl.rope_forward(x, positions, theta, not interleaved)[0], _cached(
        refimpl.rope_forward, x, positions, theta, interleaved)


@mutant("rope_forward", "positions is ignored (arange(T) is used): rotate token t by its own position.")
def rope_positions_ignored(x, positions, theta=10000.0, interleaved=False):
    return refimpl.rope_forward(x, np.arange(x.shape[-2]), theta, interleaved)[0], _cached(
        refimpl.rope_forward, x, positions, theta, interleaved)


@mutant("rope_forward", "The frequency of pair i is theta^(-i / d); it is theta^(-2i / d).")
def rope_frequency_exponent(x, positions, theta=10000.0, interleaved=False):
    # (theta ** 0.5) ** (-2i / d) = theta ** (-i / d)
    return refimpl.rope_forward(x, positions, theta ** 0.5, interleaved)[0], _cached(
        refimpl.rope_forward, x, positions, theta, interleaved)


@mutant("rope_backward", "dx rotates dout forwards again; the gradient of a rotation is the rotation back "
                         "(by the negative angle).")
def rope_backward_forward_rotation(dout, cache):
    cos, sin, interleaved, shape, out_dtype = cache
    return ra._rotate(dout, cos, sin, interleaved).astype(out_dtype)


# ---- KV cache ------------------------------------------------------------------------------------

@mutant("kv_cache_attention_step", "The new token's key and value are appended after attending: a "
                                   "token must attend to itself as well (append k_t, v_t first).")
def kv_cache_appends_after_attending(q_t, k_t, v_t, cache=None):
    if cache is None:
        out = np.zeros(q_t.shape[:-1] + v_t.shape[-1:], q_t.dtype)
        keys, values = k_t.copy(), v_t.copy()
    else:
        out, _ = ra._attention(q_t, cache["k"], cache["v"], scale=1 / math.sqrt(q_t.shape[-1]))
        keys, values = np.concatenate([cache["k"], k_t], -2), np.concatenate([cache["v"], v_t], -2)
    return out.astype(q_t.dtype), {"k": keys, "v": values}


@mutant("kv_cache_attention_step", "The cache is not kept: each step attends to its own token only "
                                   "(return the keys and values so far and feed them back).")
def kv_cache_not_kept(q_t, k_t, v_t, cache=None):
    return refimpl.kv_cache_attention_step(q_t, k_t, v_t, None)
