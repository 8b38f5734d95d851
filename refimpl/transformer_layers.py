"""Two blocks of CS231n 2025's ``transformer_layers.py``, CS231n style (a forward returns
``(out, cache)``, its backward the gradients in argument order), in the ``x @ W + b`` layout
(torch's nn.Linear stores ``weight = W.T``):

- the feed-forward block ``FeedForwardNetwork``: ``gelu(x @ W1 + b1) @ W2 + b2``, GELU's erf
  form (``nn.GELU()``'s default), dropout off;
- ``PatchEmbedding``: the image cut into non-overlapping patch_size x patch_size patches, in
  row-major order, each flattened channel-major (C, then the patch's rows, then its columns: a
  reshape to (N, C, H/P, P, W/P, P) and a permute to (N, H/P, W/P, C, P, P)), then ``@ w + b``.
"""
import math

import numpy as np

from . import _validate as v
from .activations import _erf, working_dtypes


def _dout(dout, shape, dtype):
    dout = v.floats("dout", dout)
    v.shape("dout", dout, shape, " (the forward's output)")
    return dout.astype(dtype, copy=False)


def feed_forward_forward(x, W1, b1, W2, b2):
    """``gelu(x @ W1 + b1) @ W2 + b2`` for x (..., D), W1 (D, F), b1 (F,), W2 (F, D), b2 (D,).
    torch: ``fc2(F.gelu(fc1(x)))`` with fc1.weight = W1.T, fc2.weight = W2.T."""
    x = v.floats("x", x, min_ndim=1)
    W1, W2 = v.floats("W1", W1, ndim=2), v.floats("W2", W2, ndim=2)
    b1, b2 = v.floats("b1", b1, ndim=1), v.floats("b2", b2, ndim=1)
    d = x.shape[-1]
    v.shape("W1", W1, (d, W1.shape[1]), f" (rows = the last axis of x {x.shape})")
    v.shape("b1", b1, (W1.shape[1],), f" (the columns of W1 {W1.shape})")
    v.shape("W2", W2, (W1.shape[1], d), f" (W1 {W1.shape} transposed)")
    v.shape("b2", b2, (d,), f" (the last axis of x {x.shape})")
    out_dtype, work = working_dtypes(x, W1, b1, W2, b2)
    xw, W1w, b1w, W2w, b2w = (a.astype(work, copy=False) for a in (x, W1, b1, W2, b2))
    a = xw @ W1w + b1w
    ad = a.astype(np.float64)
    h = (0.5 * ad * (1 + _erf(ad / math.sqrt(2)))).astype(work)
    out = h @ W2w + b2w
    return out.astype(out_dtype, copy=False), (xw, W1w, W2w, a, h, out_dtype)


def feed_forward_backward(dout, cache):
    """dx (..., D), dW1 (D, F), db1 (F,), dW2 (F, D), db2 (D,)."""
    xw, W1, W2, a, h, out_dtype = cache
    dout = _dout(dout, xw.shape, xw.dtype)
    d, f = W1.shape
    ad = a.astype(np.float64)
    slope = (0.5 * (1 + _erf(ad / math.sqrt(2))) + ad * np.exp(-0.5 * ad * ad) / math.sqrt(2 * math.pi))
    dh = dout @ W2.T
    da = dh * slope.astype(xw.dtype)
    dx = da @ W1.T
    g2, da2 = dout.reshape(-1, d), da.reshape(-1, f)
    grads = (dx, xw.reshape(-1, d).T @ da2, da2.sum(axis=0), h.reshape(-1, f).T @ g2, g2.sum(axis=0))
    return tuple(g.astype(out_dtype, copy=False) for g in grads)


def _patches(x, p):
    n, c, hh, ww = x.shape
    return (x.reshape(n, c, hh // p, p, ww // p, p).transpose(0, 2, 4, 1, 3, 5)
            .reshape(n, (hh // p) * (ww // p), c * p * p))


def patch_embedding_forward(x, w, b, patch_size):
    """x (N, C, H, W) with H and W multiples of patch_size, w (C * P * P, E), b (E,): out (N,
    (H/P) (W/P), E). CS231n's PatchEmbedding takes square images (img_size); the contract allows
    H != W. torch: ``proj(patches)`` with proj.weight = w.T."""
    x = v.floats("x", x, ndim=4)
    w, b = v.floats("w", w, ndim=2), v.floats("b", b, ndim=1)
    p = v.whole("patch_size", patch_size, 1)
    n, c, hh, ww = x.shape
    if hh % p or ww % p:
        raise ValueError(f"patch_size {p} must divide the image's height and width, got x {x.shape}")
    v.shape("w", w, (c * p * p, w.shape[1]), f" (rows = C * patch_size^2 = {c * p * p})")
    v.shape("b", b, (w.shape[1],), f" (the columns of w {w.shape})")
    out_dtype, work = working_dtypes(x, w, b)
    patches = _patches(x.astype(work, copy=False), p)
    out = patches @ w.astype(work, copy=False) + b.astype(work, copy=False)
    return out.astype(out_dtype, copy=False), (patches, w.astype(work, copy=False), x.shape, p, out_dtype)


def patch_embedding_backward(dout, cache):
    """dx (N, C, H, W), dw (C * P * P, E), db (E,)."""
    patches, w, shape, p, out_dtype = cache
    dout = _dout(dout, patches.shape[:2] + (w.shape[1],), patches.dtype)
    n, c, hh, ww = shape
    dpatches = dout @ w.T
    dx = dpatches.reshape(n, hh // p, ww // p, c, p, p).transpose(0, 3, 1, 4, 2, 5).reshape(shape)
    e = w.shape[1]
    grads = (dx, patches.reshape(-1, w.shape[0]).T @ dout.reshape(-1, e), dout.reshape(-1, e).sum(axis=0))
    return tuple(g.astype(out_dtype, copy=False) for g in grads)


# ---- the encoder and decoder layers: post-norm blocks of the pieces above ---------------------
ATTENTION_KEYS = ("Wq", "bq", "Wk", "bk", "Wv", "bv", "Wo", "bo")
NORM_KEYS = ("gamma", "beta")
FFN_KEYS = ("W1", "b1", "W2", "b2")
LAYER_NORM_EPS = 1e-5  # nn.LayerNorm's default


def _keys(blocks):
    return tuple(f"{block}_{k}" for block, keys in blocks for k in keys)


ENCODER_PARAM_KEYS = _keys((("self_attn", ATTENTION_KEYS), ("norm_self", NORM_KEYS), ("ffn", FFN_KEYS),
                            ("norm_ffn", NORM_KEYS)))
DECODER_PARAM_KEYS = _keys((("self_attn", ATTENTION_KEYS), ("norm_self", NORM_KEYS), ("cross_attn", ATTENTION_KEYS),
                            ("norm_cross", NORM_KEYS), ("ffn", FFN_KEYS), ("norm_ffn", NORM_KEYS)))
# the layers' blocks in order: (block, its LayerNorm, the input its keys and values come from, None
# for the block's own input)
ENCODER_BLOCKS = (("self_attn", "norm_self", None), ("ffn", "norm_ffn", None))
DECODER_BLOCKS = (("self_attn", "norm_self", None), ("cross_attn", "norm_cross", "memory"), ("ffn", "norm_ffn", None))


def _layer_params(params, keys, d):
    """params' arrays by key, checked against the width d, in the working dtype."""
    v.params("params", params, required=True)
    missing = [k for k in keys if k not in params]
    if missing:
        raise ValueError(f"params must hold the keys {', '.join(keys)}; missing {', '.join(missing)}")
    f = None
    out = {}
    for k in keys:
        a = v.floats(f"params['{k}']", params[k])
        if k == "ffn_W1":
            v.floats(f"params['{k}']", a, ndim=2)
            f = a.shape[1]
        short = k.rsplit("_", 1)[1]
        want = {"W1": (d, f), "b1": (f,), "W2": (f, d)}.get(short, (d, d) if short[0] == "W" else (d,))
        v.shape(f"params['{k}']", a, want, f" (the model's width D = {d})")
        out[k] = a
    return out


def _block(p, block):
    return {k[len(block) + 1:]: a for k, a in p.items() if k.startswith(block + "_")}


def _residual_norm(x, sub, gamma, beta):
    """LayerNorm(x + sub) over the last axis: (out, cache)."""
    from .norm import layernorm_forward
    shape = x.shape
    out, cache = layernorm_forward((x + sub).reshape(-1, shape[-1]), gamma, beta, {"eps": LAYER_NORM_EPS})
    return out.reshape(shape), cache


def _residual_norm_backward(dout, cache):
    """d(x + sub) = dx = dsub, dgamma, dbeta."""
    from .norm import layernorm_backward
    dy, dgamma, dbeta = layernorm_backward(dout.reshape(-1, dout.shape[-1]), cache)
    return dy.reshape(dout.shape), dgamma, dbeta


def _attention_block(x, memory, p, block, h, mask):
    from .attention import multi_head_attention_forward
    return multi_head_attention_forward(x, memory, memory, _block(p, block), h, mask)


def _layer_forward(inputs, params, num_heads, mask, keys, blocks):
    """The post-norm layer: for each block, x = LayerNorm(x + block(x)); blocks name the attention
    blocks in order (their key/value: the layer's own x, or the "memory" input)."""
    inputs = {n: v.floats(n, a, ndim=3) for n, a in inputs.items()}
    x = next(iter(inputs.values()))
    name = next(iter(inputs))
    v.nonempty(name, x, 2, "feature (D >= 1)")
    n, s, d = x.shape
    if "memory" in inputs:
        mem = inputs["memory"]
        if mem.shape[0] != n or mem.shape[2] != d:
            raise ValueError(f"memory must have shape ({n}, T, {d}) (N and D of tgt {x.shape}), got {mem.shape}")
    h = v.whole("num_heads", num_heads, 1)
    if d % h:
        raise ValueError(f"num_heads must be a positive divisor of D = {d}, got {num_heads!r}")
    if mask is not None:
        mask_name = "src_mask" if name == "src" else "tgt_mask"
        mask = v.mask(mask_name, mask, (s, s), f" ({name}'s S = {s} queries by as many keys)")
    p = _layer_params(params, keys, d)
    out_dtype, work = working_dtypes(*inputs.values(), *p.values())
    p = {k: a.astype(work, copy=False) for k, a in p.items()}
    inputs = {k: a.astype(work, copy=False) for k, a in inputs.items()}
    x, caches = inputs[name], []
    for block, norm, source in blocks:
        if block == "ffn":
            sub, cache = feed_forward_forward(x, p["ffn_W1"], p["ffn_b1"], p["ffn_W2"], p["ffn_b2"])
        else:
            memory = x if source is None else inputs[source]
            sub, cache = _attention_block(x, memory, p, block, h, mask if source is None else None)
        x, norm_cache = _residual_norm(x, sub, p[f"{norm}_gamma"], p[f"{norm}_beta"])
        caches.append((block, norm, source, cache, norm_cache))
    return x.astype(out_dtype, copy=False), (caches, keys, tuple(inputs), x.shape, out_dtype)


def _layer_backward(dout, cache):
    from .attention import multi_head_attention_backward
    caches, keys, names, shape, out_dtype = cache
    dout = _dout(dout, shape, caches[-1][4][0].dtype)
    grads = {k: None for k in keys}
    dsources = {}
    dx = dout
    for block, norm, source, sub_cache, norm_cache in reversed(caches):
        dy, grads[f"{norm}_gamma"], grads[f"{norm}_beta"] = _residual_norm_backward(dx, norm_cache)
        if block == "ffn":
            dsub_x, *dw = feed_forward_backward(dy, sub_cache)
            grads.update(zip(("ffn_W1", "ffn_b1", "ffn_W2", "ffn_b2"), dw))
        else:
            dq, dk, dv, dp = multi_head_attention_backward(dy, sub_cache)
            grads.update({f"{block}_{k}": a for k, a in dp.items()})
            if source is None:
                dsub_x = dq + dk + dv
            else:
                dsub_x = dq
                dsources[source] = dsources.get(source, 0) + dk + dv
        dx = dy + dsub_x
    dparams = {k: grads[k].astype(out_dtype, copy=False) for k in keys}
    extra = [np.asarray(dsources[n]).astype(out_dtype, copy=False) for n in names[1:]]
    return (dx.astype(out_dtype, copy=False), *extra, dparams)


def transformer_encoder_layer_forward(src, params, num_heads, src_mask=None):
    """CS231n 2025's ``TransformerEncoderLayer.forward`` (post-norm, dropout off):
    ``x = LayerNorm(src + MHA(src, src, src, src_mask))``, ``out = LayerNorm(x + FFN(x))``.

    src (N, S, D); params: a dict of ``self_attn_{Wq,bq,Wk,bk,Wv,bv,Wo,bo}`` (as
    multi_head_attention_forward's, W (D, D) used as ``x @ W + b``), ``norm_self_{gamma,beta}``,
    ``ffn_{W1,b1,W2,b2}`` (feed_forward_forward's, W1 (D, F)) and ``norm_ffn_{gamma,beta}`` (D,);
    LayerNorm's eps 1e-5; src_mask (S, S): 0 where query i may NOT attend to key j (CS231n).
    Returns out (N, S, D). torch: ``nn.TransformerEncoderLayer(D, num_heads, F, dropout=0,
    activation='gelu', batch_first=True)`` (norm1 = norm_self, norm2 = norm_ffn) with the boolean
    mask ``src_mask == 0`` (True = blocked)."""
    return _layer_forward({"src": src}, params, num_heads, src_mask, ENCODER_PARAM_KEYS, ENCODER_BLOCKS)


def transformer_encoder_layer_backward(dout, cache):
    """dsrc (N, S, D) and dparams, a dict with params' keys."""
    return _layer_backward(dout, cache)


def transformer_decoder_layer_forward(tgt, memory, params, num_heads, tgt_mask=None):
    """CS231n 2025's ``TransformerDecoderLayer.forward`` (post-norm, dropout off):
    ``x = LayerNorm(tgt + MHA(tgt, tgt, tgt, tgt_mask))``, ``x = LayerNorm(x + MHA(x, memory,
    memory))``, ``out = LayerNorm(x + FFN(x))``.

    tgt (N, T, D), memory (N, S, D); params: the encoder layer's keys plus
    ``cross_attn_{Wq,...,bo}`` and ``norm_cross_{gamma,beta}``; tgt_mask (T, T), 0 = blocked (the
    cross-attention takes no mask). Returns out (N, T, D). torch: ``nn.TransformerDecoderLayer(D,
    num_heads, F, dropout=0, activation='gelu', batch_first=True)`` (norm1, norm2, norm3 = norm_self,
    norm_cross, norm_ffn; multihead_attn = cross_attn)."""
    return _layer_forward({"tgt": tgt, "memory": memory}, params, num_heads, tgt_mask, DECODER_PARAM_KEYS,
                          DECODER_BLOCKS)


def transformer_decoder_layer_backward(dout, cache):
    """dtgt (N, T, D), dmemory (N, S, D) and dparams, a dict with params' keys."""
    return _layer_backward(dout, cache)
