"""Mutants of the blocks of CS231n 2025's transformer_layers.py: the feed-forward block's activation
(ReLU, or GELU's tanh form, for nn.GELU()'s exact one), the patches' layout (flattened
channel-last, or cut by a bare reshape), and the encoder and decoder layers' structure (pre-norm,
no residual, the mask not passed, cross-attention to the target itself). Each keeps refimpl's
cache for its backward."""
import math

import numpy as np

import refimpl
from . import mutant
from .activations import _cached


def _ffn(x, W1, b1, W2, b2, activation):
    a = np.asarray(x, np.float64) @ W1 + b1
    out = activation(a) @ W2 + b2
    return out.astype(np.result_type(x, W1)), _cached(refimpl.feed_forward_forward, x, W1, b1, W2, b2)


@mutant("feed_forward_forward", "The feed-forward block applies ReLU; CS231n 2025's FeedForwardNetwork uses "
                                "GELU (nn.GELU(): x Phi(x)) between fc1 and fc2.")
def feed_forward_relu(x, W1, b1, W2, b2):
    return _ffn(x, W1, b1, W2, b2, lambda a: np.maximum(a, 0))


@mutant("feed_forward_forward", "GELU's tanh approximation is used; nn.GELU() (and the contract) is the exact "
                                "erf form, approximate='none'.")
def feed_forward_tanh_gelu(x, W1, b1, W2, b2):
    return _ffn(x, W1, b1, W2, b2, lambda a: 0.5 * a * (1 + np.tanh(math.sqrt(2 / math.pi) * (a + 0.044715 * a ** 3))))


def _patched(x, w, b, patch_size, cut):
    x = np.asarray(x)
    out = cut(x, int(patch_size)) @ w + b
    return out.astype(np.result_type(x, w)), _cached(refimpl.patch_embedding_forward, x, w, b, patch_size)


@mutant("patch_embedding_forward", "Each patch is flattened channel-last (its rows, its columns, then C); "
                                   "PatchEmbedding flattens channel-major: permute to (N, H/P, W/P, C, P, P), "
                                   "then reshape.")
def patch_embedding_channel_last(x, w, b, patch_size):
    def cut(x, p):
        n, c, hh, ww = x.shape
        return x.reshape(n, c, hh // p, p, ww // p, p).transpose(0, 2, 4, 3, 5, 1).reshape(n, -1, c * p * p)
    return _patched(x, w, b, patch_size, cut)


@mutant("patch_embedding_forward", "The image is reshaped straight to (N, num_patches, C * P * P), which mixes "
                                   "pixels of different patches: reshape to (N, C, H/P, P, W/P, P) and permute "
                                   "(0, 2, 4, 1, 3, 5) first.")
def patch_embedding_bare_reshape(x, w, b, patch_size):
    def cut(x, p):
        n, c, hh, ww = x.shape
        return x.reshape(n, (hh // p) * (ww // p), c * p * p)
    return _patched(x, w, b, patch_size, cut)


# ---- the encoder and decoder layers -----------------------------------------------------------

def _layer(x, memory, params, num_heads, mask, pre_norm=False, residual=True, cross_from_self=False,
           mask_ignored=False):
    """The post-norm layer of refimpl.transformer_layers with one thing changed; memory None: the
    encoder's. Returns the output and refimpl's cache (for the backward)."""
    dtype = np.result_type(x, *params.values())
    p = {k: np.asarray(a, np.float64) for k, a in params.items()}
    h = int(num_heads)
    mask = None if mask is None or mask_ignored else mask

    def norm(y, name):
        d = y.shape[-1]
        out, _ = refimpl.layernorm_forward(y.reshape(-1, d), p[f"{name}_gamma"], p[f"{name}_beta"], {"eps": 1e-5})
        return out.reshape(y.shape)

    def attention(q, kv, block, m):
        sub = {k[len(block) + 1:]: a for k, a in p.items() if k.startswith(block + "_")}
        return refimpl.multi_head_attention_forward(q, kv, kv, sub, h, m)[0]

    def ffn(y):
        return refimpl.feed_forward_forward(y, p["ffn_W1"], p["ffn_b1"], p["ffn_W2"], p["ffn_b2"])[0]

    blocks = [("norm_self", lambda y: attention(y, y, "self_attn", mask))]
    if memory is not None:
        mem = np.asarray(memory, np.float64)
        blocks.append(("norm_cross", lambda y: attention(y, y if cross_from_self else mem, "cross_attn", None)))
    blocks.append(("norm_ffn", ffn))
    y = np.asarray(x, np.float64)
    for name, block in blocks:
        if pre_norm:
            y = y + block(norm(y, name))
        else:
            y = norm(y + block(y) if residual else block(y), name)
    return y.astype(dtype)


def _encoder(src, params, num_heads, src_mask=None, **change):
    return (_layer(src, None, params, num_heads, src_mask, **change),
            _cached(refimpl.transformer_encoder_layer_forward, src, params, num_heads, src_mask))


def _decoder(tgt, memory, params, num_heads, tgt_mask=None, **change):
    return (_layer(tgt, memory, params, num_heads, tgt_mask, **change),
            _cached(refimpl.transformer_decoder_layer_forward, tgt, memory, params, num_heads, tgt_mask))


@mutant("transformer_encoder_layer_forward", "Each block is pre-norm, x + block(norm(x)); CS231n 2025's "
                                             "layers are post-norm: x = norm(x + dropout(block(x))).")
def transformer_encoder_layer_pre_norm(src, params, num_heads, src_mask=None):
    return _encoder(src, params, num_heads, src_mask, pre_norm=True)


@mutant("transformer_encoder_layer_forward", "A block's output is normalized without its input added: the "
                                             "residual connection is missing (norm(x + block(x)), not "
                                             "norm(block(x))).")
def transformer_encoder_layer_no_residual(src, params, num_heads, src_mask=None):
    return _encoder(src, params, num_heads, src_mask, residual=False)


@mutant("transformer_encoder_layer_forward", "src_mask is not passed to the self-attention: every position "
                                             "attends to every other (self_attn(src, src, src, "
                                             "attn_mask=src_mask)).")
def transformer_encoder_layer_mask_ignored(src, params, num_heads, src_mask=None):
    return _encoder(src, params, num_heads, src_mask, mask_ignored=True)


@mutant("transformer_decoder_layer_forward", "The cross-attention takes its keys and values from the target "
                                             "sequence itself; they come from memory, the encoder's output: "
                                             "cross_attn(query=tgt, key=memory, value=memory).")
def transformer_decoder_layer_cross_from_self(tgt, memory, params, num_heads, tgt_mask=None):
    return _decoder(tgt, memory, params, num_heads, tgt_mask, cross_from_self=True)


@mutant("transformer_decoder_layer_forward", "tgt_mask is not passed to the self-attention: each target "
                                             "position sees the later ones (self_attn(tgt, tgt, tgt, "
                                             "attn_mask=tgt_mask)).")
def transformer_decoder_layer_mask_ignored(tgt, memory, params, num_heads, tgt_mask=None):
    return _decoder(tgt, memory, params, num_heads, tgt_mask, mask_ignored=True)


@mutant("transformer_decoder_layer_forward", "Each block is pre-norm, x + block(norm(x)); CS231n 2025's "
                                             "layers are post-norm: x = norm(x + dropout(block(x))).")
def transformer_decoder_layer_pre_norm(tgt, memory, params, num_heads, tgt_mask=None):
    return _decoder(tgt, memory, params, num_heads, tgt_mask, pre_norm=True)
