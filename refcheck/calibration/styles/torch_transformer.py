"""CS231n 2025's feed-forward block, patch embedding and encoder and decoder layers as its
nn.Modules compute them: torch in the inputs' own dtype (float32 stays float32), nn.Linear's
F.linear with weight = W.T, nn.GELU, the patches cut by reshape and permute, the layers'
attention written out as the course's MultiHeadAttention (masked_fill(-inf), softmax, heads by
view and transpose) and F.layer_norm; each backward by autograd through its forward."""
import math

import numpy as np
import torch
import torch.nn.functional as F

from .torch_attention import _pair  # forward runs fn on autograd leaves, backward by autograd

torch.set_num_threads(1)


def _patch_embedding(x, w, b, patch_size):
    n, c, hh, ww = x.shape
    p = int(patch_size)
    patches = x.reshape(n, c, hh // p, p, ww // p, p).permute(0, 2, 4, 1, 3, 5).reshape(n, (hh // p) * (ww // p), c * p * p)
    return F.linear(patches, w.T, b)


feed_forward_forward, feed_forward_backward = _pair(
    lambda x, W1, b1, W2, b2: F.linear(F.gelu(F.linear(x, W1.T, b1)), W2.T, b2), 5)
patch_embedding_forward, patch_embedding_backward = _pair(_patch_embedding, 3)


def _attention(q_in, kv, p, block, h, mask):
    n, s, e = q_in.shape
    d = e // h

    def heads(x, w):
        return F.linear(x, p[f"{block}_W{w}"].T, p[f"{block}_b{w}"]).view(n, x.shape[1], h, d).transpose(1, 2)
    scores = heads(q_in, "q") @ heads(kv, "k").transpose(-2, -1) / math.sqrt(d)
    if mask is not None:
        scores = scores.masked_fill(torch.as_tensor(np.asarray(mask)) == 0, float("-inf"))
    out = (torch.softmax(scores, dim=-1) @ heads(kv, "v")).transpose(1, 2).reshape(n, s, e)
    return F.linear(out, p[f"{block}_Wo"].T, p[f"{block}_bo"])


def _layer(x, memory, p, h, mask):
    def norm(y, name):
        return F.layer_norm(y, (y.shape[-1],), p[f"{name}_gamma"], p[f"{name}_beta"], 1e-5)
    x = norm(x + _attention(x, x, p, "self_attn", int(h), mask), "norm_self")
    if memory is not None:
        x = norm(x + _attention(x, memory, p, "cross_attn", int(h), None), "norm_cross")
    ffn = F.linear(F.gelu(F.linear(x, p["ffn_W1"].T, p["ffn_b1"])), p["ffn_W2"].T, p["ffn_b2"])
    return norm(x + ffn, "norm_ffn")


def _layer_pair(inputs):
    """forward(*inputs, params, num_heads, mask) and its backward, params a dict (dparams back)."""
    def forward(*args):
        given, (params, num_heads), mask = args[:inputs], args[inputs:inputs + 2], args[inputs + 2:]
        leaves = [torch.tensor(np.asarray(a), requires_grad=True) for a in given]
        p = {k: torch.tensor(np.asarray(a), requires_grad=True) for k, a in params.items()}
        out = _layer(leaves[0], leaves[1] if inputs == 2 else None, p, num_heads, mask[0] if mask else None)
        return out.detach().numpy(), (leaves, p, out)

    def backward(dout, cache):
        leaves, p, out = cache
        grads = torch.autograd.grad(out, [*leaves, *p.values()], torch.from_numpy(np.asarray(dout)))
        grads = [g.numpy() for g in grads]
        return (*grads[:len(leaves)], dict(zip(p, grads[len(leaves):])))
    return forward, backward


transformer_encoder_layer_forward, transformer_encoder_layer_backward = _layer_pair(1)
transformer_decoder_layer_forward, transformer_decoder_layer_backward = _layer_pair(2)
