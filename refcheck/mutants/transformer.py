"""Mutants of the feed-forward block and the patch embedding (CS231n 2025's transformer_layers.py):
the activation (ReLU, or GELU's tanh form, for nn.GELU()'s exact one) and the patches' layout
(flattened channel-last, or cut by a bare reshape). Each keeps refimpl's cache for its backward."""
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
