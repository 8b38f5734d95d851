"""Oracles for the attention family: torch's own functions where it has them (softmax, log_softmax,
gelu, silu, rms_norm, cross_entropy, scaled_dot_product_attention, nn.MultiheadAttention), and
separate torch transcriptions of the published formulas where it has none (the sinusoidal
encodings, HF's and Llama's RoPE, SwiGLU). Gradients by autograd, everything in float64.

What torch really does, and what the adapters therefore pass:
- ``F.scaled_dot_product_attention`` on CPU picks its flash kernel for float64 when d == dv; the
  adapters force the math kernel (``sdpa_kernel(SDPBackend.MATH)``), which scales q and k by
  sqrt(scale) each and ends in ``_safe_softmax``: a row of scores that are all -inf (a query with
  no allowed key, boolean or -inf mask alike) gives weights 0, an output of 0 and zero gradients;
- ``nn.MultiheadAttention`` packs ``in_proj_weight = [Wq.T; Wk.T; Wv.T]`` (q, k, v order,
  (out, in) layout) and its boolean attn_mask is True where blocked. With need_weights=True it
  computes the softmax itself (a fully masked row gives NaN) and returns the weights averaged over
  the heads; with need_weights=False, as here, it calls SDPA (a fully masked row gives 0);
- ``F.rms_norm``'s eps defaults to None, the dtype's machine epsilon: the adapter passes the
  contract's eps (1e-6 by default).
"""
import functools
import math

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.func import functional_call
from torch.nn.attention import SDPBackend, sdpa_kernel

from ._autograd import as_dparams, autograd, labels, numpy, tensor


def softmax(x, dout):
    """``torch.softmax(x, -1)``."""
    return autograd(lambda x: torch.softmax(x, -1), dict(x=x), ("out",), (dout,))


def log_softmax(x, dout):
    """``torch.log_softmax(x, -1)``."""
    return autograd(lambda x: torch.log_softmax(x, -1), dict(x=x), ("out",), (dout,))


def gelu(x, dout, approximate="none"):
    """``F.gelu(x, approximate=approximate)``."""
    return autograd(lambda x: F.gelu(x, approximate=approximate), dict(x=x), ("out",), (dout,))


def silu(x, dout):
    """``F.silu``."""
    return autograd(lambda x: F.silu(x), dict(x=x), ("out",), (dout,))


def rms_norm(x, gamma, dout, eps=1e-6):
    """``F.rms_norm(x, (D,), gamma, eps)`` with the contract's eps passed explicitly (torch's
    default is the machine epsilon)."""
    return autograd(lambda x, gamma: F.rms_norm(x, (x.shape[-1],), gamma, eps),
                    dict(x=x, gamma=gamma), ("out",), (dout,))


def swiglu(x, W1, W3, W2, dout):
    """``(F.silu(x @ W1) * (x @ W3)) @ W2`` (the x @ W layout: nn.Linear's weights transposed)."""
    return autograd(lambda x, W1, W3, W2: (F.silu(x @ W1) * (x @ W3)) @ W2,
                    dict(x=x, W1=W1, W3=W3, W2=W2), ("out",), (dout,))


def cross_entropy(x, y, label_smoothing=0.0, ignore_index=-100):
    """``F.cross_entropy(x, y, label_smoothing=, ignore_index=)`` (mean over the non-ignored rows;
    smoothing is eps / C over all C classes). Every label ignored: torch's loss is NaN (0 / 0)
    and dx 0; a loss of 0 is accepted there too."""
    expected = autograd(lambda x: F.cross_entropy(x, labels(y), label_smoothing=label_smoothing,
                                                  ignore_index=ignore_index), dict(x=x), ("loss",))
    if np.all(np.asarray(y) == ignore_index):
        expected["loss"] = lambda a: (a["loss"], np.where(np.asarray(a["loss"]) == 0, 0.0, np.nan))
    return expected


def sdpa(q, k, v, dout, mask=None, is_causal=False, scale=None):
    """``F.scaled_dot_product_attention(q, k, v, attn_mask=mask, is_causal=, scale=)`` on the math
    kernel (a boolean mask is True where a query may attend, as the contract)."""
    attn_mask = None if mask is None else torch.as_tensor(np.asarray(mask) if np.asarray(mask).dtype == bool
                                                         else np.asarray(mask, dtype=np.float64))

    def fn(q, k, v):
        with sdpa_kernel(SDPBackend.MATH):
            return F.scaled_dot_product_attention(q, k, v, attn_mask=attn_mask, is_causal=is_causal, scale=scale)
    return autograd(fn, dict(q=q, k=k, v=v), ("out",), (dout,))


@functools.lru_cache(maxsize=None)
def _mha_module(embed_dim, num_heads):
    return nn.MultiheadAttention(embed_dim, num_heads, dropout=0.0, batch_first=True, dtype=torch.float64)


def _mha_torch(query, key, value, params, num_heads, blocked):
    """nn.MultiheadAttention with the contract's weights packed in (need_weights=False: SDPA)."""
    weights = {"in_proj_weight": torch.cat([params["Wq"].T, params["Wk"].T, params["Wv"].T]),
               "in_proj_bias": torch.cat([params["bq"], params["bk"], params["bv"]]),
               "out_proj.weight": params["Wo"].T, "out_proj.bias": params["bo"]}
    module = _mha_module(query.shape[-1], num_heads)
    with sdpa_kernel(SDPBackend.MATH):
        return functional_call(module, weights, (query, key, value),
                               dict(attn_mask=blocked, need_weights=False))[0]


def _mha_filled(query, key, value, params, num_heads, blocked, fill):
    """CS231n's MultiHeadAttention.forward written in torch, blocked scores replaced by ``fill``."""
    n, s, e = query.shape
    split = lambda x: x.reshape(n, x.shape[1], num_heads, e // num_heads).transpose(1, 2)
    q, k, v = (split(x @ params["W" + c] + params["b" + c]) for x, c in ((query, "q"), (key, "k"), (value, "v")))
    scores = (q @ k.transpose(-2, -1) / math.sqrt(e // num_heads)).masked_fill(blocked, fill)
    heads = torch.softmax(scores, -1) @ v
    return heads.transpose(1, 2).reshape(n, s, e) @ params["Wo"] + params["bo"]


def _mha_expected(forward, query, key, value, params, num_heads, blocked, dout):
    names = ("Wq", "bq", "Wk", "bk", "Wv", "bv", "Wo", "bo")
    expected = autograd(
        lambda query, key, value, **p: forward(query, key, value, p, num_heads, blocked),
        dict(query=query, key=key, value=value, **{n: params[n] for n in names}), ("out",), (dout,))
    return as_dparams(expected, names)


def multi_head_attention(query, key, value, params, num_heads, dout, attn_mask=None):
    """``nn.MultiheadAttention(E, num_heads, batch_first=True)`` (dropout 0, need_weights=False)
    through ``torch.func.functional_call`` with in_proj_weight = [Wq.T; Wk.T; Wv.T], in_proj_bias
    = [bq; bk; bv], out_proj = (Wo.T, bo), and the mask converted: torch's boolean attn_mask is
    ``attn_mask == 0`` (True = blocked). dparams come back under ``dparams['Wq']`` and so on.
    A query with no allowed key: torch's out there is bo (attention to nothing). Also accepted:
    uniform weights over every key (a finite fill such as -1e9; CS231n's code written in torch
    with that fill is the oracle then, whichever of the two conventions is nearer to the
    implementation's own results: its out for the forward, its gradients together for the
    backward), and NaN (a fill of -inf, CS231n's masked_fill: a warning, as for non-finite
    results on extreme inputs)."""
    num_heads = int(num_heads)  # a whole float (2.0) is a head count in the contract, not in torch
    blocked = None if attn_mask is None else torch.as_tensor(np.asarray(attn_mask) == 0)
    expected = _mha_expected(_mha_torch, query, key, value, params, num_heads, blocked, dout)
    empty = None if blocked is None else blocked.all(dim=1).numpy()
    if empty is None or not empty.any():
        return expected
    uniform = _mha_expected(functools.partial(_mha_filled, fill=-1e9), query, key, value, params, num_heads,
                            blocked, dout)

    def distance(a, candidate, keys):
        total = 0.0
        for k in keys:
            got = np.asarray(a[k], dtype=np.float64)
            if got.shape != candidate[k].shape:
                return np.inf
            total += np.nan_to_num(np.abs(got - candidate[k]), nan=0.0).max(initial=0) / (1 + np.abs(candidate[k]).max())
        return total

    def view(key_):
        def pick(a):  # the convention nearest to the implementation's own results, judged jointly
            keys = [k for k in expected if k != "out" and k in a] or ["out"]
            if any(k not in a for k in keys):
                return a[key_], expected[key_]
            near = min((expected, uniform), key=lambda candidate: distance(a, candidate, keys))
            return a[key_], near[key_]
        return pick
    return {k: view(k) for k in expected}


def positional_encoding(max_len, embed_dim):
    """The formula in torch (no built-in): ``pe[p, 2i] = sin(p / 10000^(2i/D))``, ``pe[p, 2i+1] =
    cos(...)``. (How far a correct table may be off, its angles rounded, is refcheck.error_models'.)"""
    max_len, embed_dim = int(max_len), int(embed_dim)  # whole floats (4.0) are sizes in the contract
    position = torch.arange(max_len, dtype=torch.float64)[:, None]
    angle = position / torch.pow(10000.0, torch.arange(0, embed_dim, 2, dtype=torch.float64) / embed_dim)
    pe = torch.zeros(max_len, embed_dim, dtype=torch.float64)
    pe[:, 0::2], pe[:, 1::2] = torch.sin(angle), torch.cos(angle)
    pe = numpy(pe)
    return {"pe": pe}


def _rotate_half(x):
    """HF transformers' rotate_half: (x1, x2) -> (-x2, x1) on the two halves of the last axis."""
    x1, x2 = x[..., :x.shape[-1] // 2], x[..., x.shape[-1] // 2:]
    return torch.cat((-x2, x1), dim=-1)


def _rope_half_split(x, positions, theta):
    """HF's apply_rotary_pos_emb: ``x * cos + rotate_half(x) * sin`` with emb = cat(freqs, freqs)."""
    d = x.shape[-1]
    inv_freq = 1.0 / theta ** (torch.arange(0, d, 2, dtype=torch.float64) / d)
    freqs = positions[..., None] * inv_freq
    emb = torch.cat((freqs, freqs), dim=-1)
    return x * emb.cos() + _rotate_half(x) * emb.sin()


def _rope_interleaved(x, positions, theta):
    """Meta Llama's apply_rotary_emb: pairs (2i, 2i+1) as complex numbers times polar(1, freqs)."""
    d = x.shape[-1]
    freqs = positions[..., None] * (1.0 / theta ** (torch.arange(0, d, 2, dtype=torch.float64) / d))
    freqs_cis = torch.polar(torch.ones_like(freqs), freqs)
    x_ = torch.view_as_complex(x.reshape(*x.shape[:-1], d // 2, 2))  # not -1: T may be 0
    return torch.view_as_real(x_ * freqs_cis).flatten(-2)


def rope(x, positions, dout, theta=10000.0, interleaved=False):
    """HF's rotate_half form (half-split, the default) or Llama's complex form (interleaved=True),
    each written in torch; dx by autograd. (An angle p * theta^(-2i/d) computed in float32, as HF
    and Llama compute it, carries u * |p| of absolute error: refcheck.error_models states it.)"""
    pos = torch.as_tensor(np.asarray(positions, dtype=np.float64))
    form = _rope_interleaved if interleaved else _rope_half_split
    return autograd(lambda x: form(x, pos, float(theta)), dict(x=x), ("out",), (dout,))


def kv_cache(q, k, v, cache=None):
    """``F.scaled_dot_product_attention(q, k, v, is_causal=True)`` (math kernel) on the whole
    sequences (N, H, T, d): step t's out_t must be row t. After a cache of P earlier keys and
    values (refimpl's dict {'k', 'v'}), they come first and query t sees the keys j <= P + t."""
    keys, values, causal, mask = tensor(k), tensor(v), True, None
    if cache is not None:
        keys, values = torch.cat([tensor(cache["k"]), keys], -2), torch.cat([tensor(cache["v"]), values], -2)
        past = keys.shape[-2] - q.shape[-2]
        causal, mask = False, torch.ones(q.shape[-2], keys.shape[-2], dtype=torch.bool).tril(past)
    with sdpa_kernel(SDPBackend.MATH):
        out = F.scaled_dot_product_attention(tensor(q), keys, values, attn_mask=mask, is_causal=causal)
    return {"out_t": numpy(out)}
