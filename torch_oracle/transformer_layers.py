"""Oracles for CS231n 2025's feed-forward block and patch embedding: torch's nn.Linear and GELU
modules (weights set by name: ``weight = W.T``), the patches cut with torch's reshape/permute,
float64, gradients by autograd; the encoder and decoder layers: torch's own nn.TransformerEncoderLayer
and nn.TransformerDecoderLayer (post-norm, GELU) with the same weights."""
import functools

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.func import functional_call
from torch.nn.attention import SDPBackend, sdpa_kernel

from ._autograd import as_dparams, autograd


def feed_forward(x, W1, b1, W2, b2, dout):
    """``F.linear(F.gelu(F.linear(x, W1.T, b1)), W2.T, b2)`` (GELU's erf form)."""
    return autograd(lambda x, W1, b1, W2, b2: F.linear(F.gelu(F.linear(x, W1.T, b1)), W2.T, b2),
                    dict(x=x, W1=W1, b1=b1, W2=W2, b2=b2), ("out",), (dout,))


def patch_embedding(x, w, b, patch_size, dout):
    """Patches (N, C, H/P, P, W/P, P) -> (N, H/P, W/P, C, P, P), flattened, then F.linear."""
    p = int(patch_size)

    def fn(x, w, b):
        n, c, hh, ww = x.shape
        patches = x.reshape(n, c, hh // p, p, ww // p, p).permute(0, 2, 4, 1, 3, 5).reshape(n, (hh // p) * (ww // p), c * p * p)
        return F.linear(patches, w.T, b)
    return autograd(fn, dict(x=x, w=w, b=b), ("out",), (dout,))


@functools.lru_cache(maxsize=None)
def _layer_module(kind, d, num_heads, f):
    layer = nn.TransformerEncoderLayer if kind == "encoder" else nn.TransformerDecoderLayer
    return layer(d, num_heads, f, dropout=0.0, activation="gelu", batch_first=True, norm_first=False,
                 layer_norm_eps=1e-5, dtype=torch.float64).eval()


_ATTENTION = {"self_attn": "self_attn", "cross_attn": "multihead_attn"}
_NORMS = {"encoder": {"norm_self": "norm1", "norm_ffn": "norm2"},
          "decoder": {"norm_self": "norm1", "norm_cross": "norm2", "norm_ffn": "norm3"}}


def _torch_weights(kind, p):
    """The contract's params (x @ W + b) as the torch layer's state: packed in_proj, weight = W.T."""
    weights = {"linear1.weight": p["ffn_W1"].T, "linear1.bias": p["ffn_b1"],
               "linear2.weight": p["ffn_W2"].T, "linear2.bias": p["ffn_b2"]}
    for block, module in _ATTENTION.items():
        if f"{block}_Wq" in p:
            weights[f"{module}.in_proj_weight"] = torch.cat([p[f"{block}_W{c}"].T for c in "qkv"])
            weights[f"{module}.in_proj_bias"] = torch.cat([p[f"{block}_b{c}"] for c in "qkv"])
            weights[f"{module}.out_proj.weight"] = p[f"{block}_Wo"].T
            weights[f"{module}.out_proj.bias"] = p[f"{block}_bo"]
    for norm, module in _NORMS[kind].items():
        weights[f"{module}.weight"], weights[f"{module}.bias"] = p[f"{norm}_gamma"], p[f"{norm}_beta"]
    return weights


def _layer(kind, inputs, params, num_heads, mask, dout):
    names = list(params)
    blocked = None if mask is None else torch.as_tensor(np.asarray(mask) == 0)
    first = next(iter(inputs.values()))
    module = _layer_module(kind, first.shape[-1], int(num_heads), np.shape(params["ffn_W1"])[1])

    def fn(**leaves):
        p = {k: leaves[k] for k in names}
        args = [leaves[k] for k in inputs]
        kwargs = {"src_mask" if kind == "encoder" else "tgt_mask": blocked}
        with sdpa_kernel(SDPBackend.MATH):
            return functional_call(module, _torch_weights(kind, p), tuple(args), kwargs)
    expected = autograd(fn, {**inputs, **params}, ("out",), (dout,))
    return as_dparams(expected, names)


def transformer_encoder_layer(src, params, num_heads, dout, src_mask=None):
    """``nn.TransformerEncoderLayer(D, num_heads, F, dropout=0, activation='gelu', batch_first=True)``
    (post-norm) through ``torch.func.functional_call`` with the contract's weights: in_proj_weight
    = [Wq.T; Wk.T; Wv.T], linear1 = (W1.T, b1), norm1 = norm_self, norm2 = norm_ffn; the mask
    converted: torch's boolean src_mask is ``src_mask == 0`` (True = blocked)."""
    return _layer("encoder", {"src": src}, params, num_heads, src_mask, dout)


def transformer_decoder_layer(tgt, memory, params, num_heads, dout, tgt_mask=None):
    """``nn.TransformerDecoderLayer`` as the encoder's, multihead_attn = cross_attn, norm1, norm2,
    norm3 = norm_self, norm_cross, norm_ffn; no memory mask."""
    return _layer("decoder", {"tgt": tgt, "memory": memory}, params, num_heads, tgt_mask, dout)
