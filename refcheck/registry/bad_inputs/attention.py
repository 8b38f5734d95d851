"""Bad and unusual inputs of attention, positional encodings and the KV-cache step (with the
building blocks of activations.py)."""
import numpy as np

from . import activations
from ._entries import INF, NAN, computes, param, put, rejects

_SDPA = dict(lead=1, N=2, S=3, T=5, d=4, dv=6, mode=1, mshape=0, scaled=0)  # q (2, 3, 4), k (2, 5, 4), v (2, 5, 6)
_SDPA_NO_MASK = dict(_SDPA, mode=0)
_KEY0_BLOCKED = np.array([[False, True, True, True, True]] * 3)
_MHA = dict(N=1, S=2, T=3, heads=1, hd=2, mask=1, boolean=1)  # E = 4, 2 heads, attn_mask (2, 3)
_ROPE = dict(lead=1, N=2, T=3, half=2, start=0, kind=0, il=0, theta=0)  # x (2, 3, 4), positions (3,)
_KV = dict(N=1, H=2, T=3, d=4)  # q, k, v (1, 2, 3, 4), fed as (1, 2, 1, 4) steps


def _cache(k_shape, v_shape=None, dtype=float):
    return {"k": np.zeros(k_shape, dtype), "v": np.zeros(v_shape or k_shape, dtype)}


BAD_INPUTS = {
    **activations.BAD_INPUTS,
    "scaled_dot_product_attention_forward": [
        rejects("k of another d", r"k must have shape \(2, 5, 4\) \(q \(2, 3, 4\) sets the leading axes and d\), "
                r"got \(2, 5, 3\)", sizes=_SDPA, k=np.zeros((2, 5, 3))),
        rejects("k of other leading axes", r"k must have shape \(2, 5, 4\) .*got \(3, 5, 4\)", sizes=_SDPA,
                k=np.zeros((3, 5, 4))),
        rejects("v of another T", r"v must have shape \(2, 5, 6\) \(k \(2, 5, 4\) sets the leading axes and T\), "
                r"got \(2, 4, 6\)", sizes=_SDPA, v=np.zeros((2, 4, 6))),
        rejects("q 1-D (torch: at least 2-D)", r"q must have at least 2 dimensions, got shape \(4,\)", sizes=_SDPA,
                q=np.zeros(4)),
        rejects("a mask with is_causal=True (torch raises)",
                r"mask must be None when is_causal=True .*got a mask of shape \(3, 5\)", sizes=_SDPA, is_causal=True),
        rejects("integer mask (torch: boolean or floating)",
                r"mask must be boolean \(True = may attend\) or floating \(added\), got dtype int64", sizes=_SDPA,
                mask=lambda a: a["mask"].astype(np.int64)),
        rejects("complex mask", r"mask must be boolean .*got dtype complex128", sizes=_SDPA,
                mask=lambda a: a["mask"] + 0j),
        rejects("mask of another T", r"mask must broadcast to the scores' shape \(2, 3, 5\), got \(3, 4\)",
                sizes=_SDPA, mask=np.ones((3, 4), bool)),
        rejects("mask larger than the scores (torch raises)",
                r"mask must broadcast to the scores' shape \(2, 3, 5\), got \(2, 2, 3, 5\)", sizes=_SDPA,
                mask=np.ones((2, 2, 3, 5), bool)),
        rejects("is_causal 1 (torch: must be a bool)", r"is_causal must be True or False, got 1", sizes=_SDPA_NO_MASK,
                is_causal=1),
        rejects("is_causal None", r"is_causal must be True or False, got None", sizes=_SDPA_NO_MASK, is_causal=None),
        rejects("scale NaN", r"scale must be a finite number, got nan", sizes=_SDPA, scale=NAN),
        rejects("scale inf (torch: NaN)", r"scale must be a finite number, got inf", sizes=_SDPA, scale=INF),
        rejects("scale a string", r"scale must be a finite number, got '1'", sizes=_SDPA, scale="1"),
        computes("fully masked row: zeros, as torch", token="fully_masked_row"),
        computes("fully masked row of -inf added", token="fully_masked_additive"),
        computes("S = 1", sizes=dict(_SDPA, S=1)),
        computes("T = 1", sizes=dict(_SDPA, T=1)),
        computes("no keys (T = 0): zeros, as torch", sizes=dict(_SDPA_NO_MASK, T=0)),
        computes("no keys, causal", sizes=dict(_SDPA_NO_MASK, T=0), is_causal=True),
        computes("no queries (S = 0)", sizes=dict(_SDPA_NO_MASK, S=0)),
        computes("empty batch", sizes=dict(_SDPA, N=0)),
        computes("d = 0: uniform weights, as torch", sizes=dict(_SDPA_NO_MASK, d=0)),
        computes("mask of shape (T,), broadcast as torch", sizes=_SDPA, mask=np.array([True, False, True, True, False])),
        computes("float32 mask added to float64 scores", sizes=_SDPA,
                 mask=lambda a: np.where(a["mask"], 0.5, -INF).astype(np.float32)),
        computes("negative scale (torch accepts it)", sizes=_SDPA, scale=-1.0),
        computes("NaN in q: its query's output NaN", sizes=_SDPA, q=put("q", NAN)),
        computes("NaN in k at a blocked key: NaN, as torch (NaN - inf)", sizes=_SDPA, mask=_KEY0_BLOCKED,
                 k=put("k", NAN)),
        computes("NaN in v at a blocked key: NaN (0 * NaN), as torch", sizes=_SDPA, mask=_KEY0_BLOCKED,
                 v=put("v", NAN)),
    ],
    "scaled_dot_product_attention_backward": [
        rejects("dout of another shape", r"dout must have shape \(2, 3, 6\) \(the forward's output\), got \(2, 3, 5\)",
                sizes=_SDPA, dout=np.zeros((2, 3, 5))),
        computes("fully masked row: zero gradients, as torch", token="fully_masked_row"),
        computes("S = 1", sizes=dict(_SDPA, S=1)),
        computes("T = 1", sizes=dict(_SDPA, T=1)),
        computes("no keys (T = 0)", sizes=dict(_SDPA_NO_MASK, T=0)),
        computes("empty batch", sizes=dict(_SDPA, N=0)),
        computes("d = 0", sizes=dict(_SDPA_NO_MASK, d=0)),
        computes("NaN in dout", sizes=_SDPA, dout=put("dout", NAN)),
        computes("NaN in k: NaN even where blocked (torch adds its masks)", sizes=_SDPA, k=put("k", NAN)),
    ],
    "multi_head_attention_forward": [
        rejects("num_heads does not divide E", r"num_heads must be a positive divisor of E = 4, got 3", sizes=_MHA,
                num_heads=3),
        rejects("num_heads 0 (torch: must be > 0)", r"num_heads must be a whole number >= 1, got 0", sizes=_MHA,
                num_heads=0),
        rejects("num_heads 1.5", r"num_heads must be a whole number >= 1, got 1.5", sizes=_MHA, num_heads=1.5),
        rejects("E = 0 (torch: embed_dim must be > 0)", r"query must hold at least one feature \(E >= 1\), "
                r"got shape \(1, 2, 0\)", sizes=_MHA, query=np.zeros((1, 2, 0)), key=np.zeros((1, 3, 0)),
                value=np.zeros((1, 3, 0))),
        rejects("key of another E", r"key must have shape \(1, 3, 4\) \(query \(1, 2, 4\) sets N and E\), "
                r"got \(1, 3, 5\)", sizes=_MHA, key=np.zeros((1, 3, 5))),
        rejects("value of another T (torch: key and value shapes differ)",
                r"value must have shape \(1, 3, 4\) \(as key\), got \(1, 2, 4\)", sizes=_MHA, value=np.zeros((1, 2, 4))),
        rejects("query 2-D (torch's unbatched form, not the contract's)", r"query must be 3-D, got shape \(2, 4\)", sizes=_MHA, query=np.zeros((2, 4))),
        rejects("a parameter missing", r"params must hold the keys Wq, bq, Wk, bk, Wv, bv, Wo, bo, missing Wk",
                sizes=_MHA, params=lambda a: {k: w for k, w in a["params"].items() if k != "Wk"}),
        rejects("params None", r"params must be a dict, got NoneType", sizes=_MHA, params=None),
        rejects("Wk of another shape", r"params\['Wk'\] must have shape \(4, 4\) \(E = 4\), got \(4, 3\)", sizes=_MHA,
                params=param("params", Wk=np.zeros((4, 3)))),
        rejects("attn_mask transposed (torch raises)",
                r"attn_mask must have shape \(2, 3\) \(S queries by T keys\), got \(3, 2\)", sizes=_MHA,
                attn_mask=np.ones((3, 2), bool)),
        rejects("complex attn_mask", r"attn_mask must be a boolean or real mask, got dtype complex128", sizes=_MHA,
                attn_mask=lambda a: a["attn_mask"] + 0j),
        rejects("attn_mask of strings", r"attn_mask must be a boolean or real mask, got dtype <U1", sizes=_MHA,
                attn_mask=np.full((2, 3), "a")),
        computes("fully masked row: out = bo, as torch", token="fully_masked_row"),
        computes("S = 1", sizes=dict(_MHA, S=1)),
        computes("T = 1", sizes=dict(_MHA, T=1)),
        computes("no keys (T = 0): out = bo, as torch", sizes=dict(_MHA, T=0, mask=0)),
        computes("empty batch", sizes=dict(_MHA, N=0)),
        computes("0/1 integer attn_mask", sizes=_MHA, attn_mask=lambda a: a["attn_mask"].astype(np.int64)),
        computes("num_heads 2.0, a whole number", sizes=_MHA, num_heads=2.0),
        computes("NaN in query", sizes=_MHA, query=put("query", NAN)),
        computes("NaN in a blocked key: NaN, as torch", sizes=_MHA, attn_mask=np.array([[0, 1, 1], [0, 1, 1]]),
                 key=put("key", NAN)),
    ],
    "multi_head_attention_backward": [
        rejects("dout of another shape", r"dout must have shape \(1, 2, 4\) \(the forward's output\), got \(1, 2, 3\)",
                sizes=_MHA, dout=np.zeros((1, 2, 3))),
        computes("fully masked row", token="fully_masked_row"),
        computes("no keys (T = 0)", sizes=dict(_MHA, T=0, mask=0)),
        computes("empty batch", sizes=dict(_MHA, N=0)),
        computes("NaN in dout", sizes=_MHA, dout=put("dout", NAN)),
    ],
    "positional_encoding": [
        rejects("odd embed_dim", r"embed_dim must be even \(a sine and a cosine column per frequency\), got 5",
                embed_dim=5),
        rejects("max_len 2.5", r"max_len must be a whole number >= 0, got 2.5", max_len=2.5),
        rejects("negative max_len", r"max_len must be a whole number >= 0, got -1", max_len=-1),
        rejects("max_len a string", r"max_len must be a whole number >= 0, got '4'", max_len="4"),
        rejects("embed_dim True", r"embed_dim must be a whole number >= 0, got True", embed_dim=True),
        rejects("complex embed_dim", r"embed_dim must be a whole number >= 0, got \(4\+0j\)", embed_dim=4 + 0j),
        computes("max_len 0: no rows", max_len=0),
        computes("embed_dim 0: no columns", embed_dim=0),
        computes("whole floats 3.0 and 4.0", max_len=3.0, embed_dim=4.0),
    ],
    "rope_forward": [
        rejects("odd d", r"x must have an even last axis \(pairs of features\), got shape \(2, 3, 5\)", sizes=_ROPE,
                x=np.zeros((2, 3, 5))),
        rejects("x 1-D", r"x must have at least 2 dimensions, got shape \(4,\)", sizes=_ROPE, x=np.zeros(4)),
        rejects("positions of another T", r"positions must have T = 3 entries on its last axis and broadcast to "
                r"x.shape\[:-1\] = \(2, 3\), got shape \(4,\)", sizes=_ROPE, positions=np.arange(4)),
        rejects("positions that do not broadcast", r"positions must have T = 3 .*got shape \(3, 3\)", sizes=_ROPE,
                positions=np.zeros((3, 3), int)),
        rejects("NaN position", r"positions must be finite, got nan at \[1\]", sizes=_ROPE,
                positions=np.array([0.0, NAN, 2.0])),
        rejects("boolean positions", r"positions must be numbers, got dtype bool", sizes=_ROPE,
                positions=np.array([True, False, True])),
        rejects("complex positions", r"positions must be numbers, got dtype complex128", sizes=_ROPE,
                positions=np.arange(3) + 0j),
        rejects("theta 0", r"theta must be > 0, got 0", sizes=_ROPE, theta=0),
        rejects("negative theta", r"theta must be > 0, got -10000.0", sizes=_ROPE, theta=-10000.0),
        rejects("theta NaN", r"theta must be a number > 0, got nan", sizes=_ROPE, theta=NAN),
        rejects("interleaved 1 (not a flag)", r"interleaved must be True or False, got 1", sizes=_ROPE, interleaved=1),
        rejects("interleaved 'yes'", r"interleaved must be True or False, got 'yes'", sizes=_ROPE, interleaved="yes"),
        computes("fractional positions (position interpolation)", sizes=_ROPE,
                 positions=lambda a: a["positions"] * 0.5),
        computes("negative positions", sizes=_ROPE, positions=lambda a: a["positions"] - 10),
        computes("T = 1", sizes=dict(_ROPE, T=1)),
        computes("no tokens (T = 0)", sizes=dict(_ROPE, T=0)),
        computes("no tokens, interleaved", sizes=dict(_ROPE, T=0, il=1)),
        computes("empty batch", sizes=dict(_ROPE, N=0)),
        computes("NaN in x", sizes=_ROPE, x=put("x", NAN)),
    ],
    "rope_backward": [
        rejects("dout of another shape", r"dout must have shape \(2, 3, 4\) \(the forward's output\), got \(2, 4, 3\)",
                sizes=_ROPE, dout=np.zeros((2, 4, 3))),
        computes("no tokens (T = 0)", sizes=dict(_ROPE, T=0)),
        computes("empty batch", sizes=dict(_ROPE, N=0)),
        computes("NaN in dout", sizes=_ROPE, dout=put("dout", NAN)),
    ],
    "kv_cache_attention_step": [
        rejects("k_t of another d", r"k_t must have shape \(1, 2, 1, 4\) \(as q_t\), got \(1, 2, 1, 5\)", sizes=_KV,
                k=np.zeros((1, 2, 3, 5))),
        rejects("v_t of other heads", r"v_t must have shape \(1, 2, 1, 4\) \(q_t \(1, 2, 1, 4\) sets the leading "
                r"axes\), got \(1, 3, 1, 4\)", sizes=_KV, v=np.zeros((1, 3, 3, 4))),
        rejects("cache a list", r"cache must be a dict, got list", sizes=_KV, cache=[np.zeros((1, 2, 1, 4))] * 2),
        rejects("cache without 'v'", r"cache must be None or the dict \{'k': \.\.\., 'v': \.\.\.\} a previous step "
                r"returned, got the keys \['k'\]", sizes=_KV, cache={"k": np.zeros((1, 2, 1, 4))}),
        rejects("cache['k'] of another d", r"cache\['k'\] must have shape \(1, 2, 2, 4\) \(q_t \(1, 2, 1, 4\)\), "
                r"got \(1, 2, 2, 3\)", sizes=_KV, cache=_cache((1, 2, 2, 3), (1, 2, 2, 4))),
        rejects("cache['k'] of other heads", r"cache\['k'\] must have shape \(1, 2, 2, 4\) .*got \(1, 3, 2, 4\)",
                sizes=_KV, cache=_cache((1, 3, 2, 4), (1, 2, 2, 4))),
        rejects("cache['v'] one token short", r"cache\['v'\] must have shape \(1, 2, 2, 4\) \(cache\['k'\] "
                r"\(1, 2, 2, 4\) and v_t \(1, 2, 1, 4\)\), got \(1, 2, 1, 4\)", sizes=_KV,
                cache=_cache((1, 2, 2, 4), (1, 2, 1, 4))),
        rejects("cache['k'] 3-D", r"cache\['k'\] must be 4-D, got shape \(2, 2, 4\)", sizes=_KV,
                cache=_cache((2, 2, 4), (1, 2, 2, 4))),
        rejects("complex cache", r"cache\['k'\] must be a real floating array, got dtype complex128", sizes=_KV,
                cache=_cache((1, 2, 2, 4), dtype=complex)),
        computes("resumes from a cache of earlier keys and values", sizes=_KV,
                 cache=lambda a: {"k": a["k"][:, :, ::-1].copy(), "v": a["v"][:, :, ::-1].copy()}),
        computes("an empty cache, as None", sizes=_KV, cache=lambda a: _cache((1, 2, 0, 4))),
        computes("one step (T = 1)", sizes=dict(_KV, T=1)),
        computes("empty batch", sizes=dict(_KV, N=0)),
        computes("d = 0: uniform weights, as torch", sizes=dict(_KV, d=0)),
        # the first key: every step sees it (the oracle's causal SDPA adds its mask, so a NaN in a later
        # key would reach the earlier rows too, which no decoding step can see)
        computes("NaN in the first key: every step NaN, as torch", sizes=_KV, k=put("k", NAN)),
    ],
}
