"""Rows for the blocks of CS231n 2025's ``transformer_layers.py`` that the attention family does
not hold: the feed-forward block (FeedForwardNetwork), the patch embedding (PatchEmbedding), and
the post-norm encoder and decoder layers built of them (TransformerEncoderLayer,
TransformerDecoderLayer). The course's classes are nn.Modules; refcheck.course_data binds them to
these rows."""
import numpy as np

from refimpl.transformer_layers import DECODER_PARAM_KEYS, ENCODER_PARAM_KEYS

from ..cases import generator
from . import Row, backward, forward
from .attention import ParamsBackward, ParamsForward, _some_allowed


@generator(K=(1, 3), a=(1, 3), b=(1, 4), D=(1, 6), F=(1, 8), edges={
    "one_token": {"K": 1}, "one_hidden": {"F": 1}, "one_feature": {"D": 1}, "sequences": {"K": 3},
    "negative_preactivations": {}})
def feed_forward(c):
    """x (..., D) (one to three axes: (N, T, D) as the course's), W1 (D, F), W2 (F, D) scaled by
    1 / sqrt(fan-in); negative_preactivations: b1 = -3, where GELU is nearly 0 and 1 + erf cancels."""
    shape = [c.a, c.b][:c.K - 1] + [c.D]
    b1 = c.cast([-3.0] * c.F) if c.edge == "negative_preactivations" else c.randn(c.F)
    return (dict(x=c.randn(*shape), W1=c.randn(c.D, c.F, scale=c.D ** -0.5), b1=b1,
                 W2=c.randn(c.F, c.D, scale=c.F ** -0.5), b2=c.randn(c.D)), dict(dout=c.grad(*shape)))


@generator(N=(1, 3), C=(1, 3), P=(1, 3), grid=(1, 3), E=(1, 6), edges={
    "one_patch": {"grid": 1}, "pixel_patches": {"P": 1}, "one_channel": {"C": 1},
    "three_channels": {"C": 3, "P": 2}, "wide_grid": {"grid": 3, "P": 1}, "one_image": {"N": 1}})
def patches(c):
    """x (N, C, S, S), S = grid * P: a grid x grid of patches of P x P pixels (square images, as the
    course's PatchEmbedding(img_size, ...) asserts; refimpl takes H != W too); w (C P P, E)."""
    k, side = c.C * c.P * c.P, c.grid * c.P
    return (dict(x=c.randn(c.N, c.C, side, side), w=c.randn(k, c.E, scale=k ** -0.5), b=c.randn(c.E),
                 patch_size=c.P), dict(dout=c.grad(c.N, c.grid * c.grid, c.E)))


LAYER_HEADS = (1, 2, 3)
LAYER_SIZES = dict(N=(1, 2), S=(1, 5), heads=(0, 2), hd=(1, 3), F=(1, 8), mask=(0, 2), boolean=(0, 1))
LAYER_EDGES = {
    "one_token": {"S": 1}, "one_head": {"heads": 0}, "three_heads": {"heads": 2}, "one_sample": {"N": 1},
    "width_one": {"heads": 0, "hd": 1}, "one_hidden": {"F": 1}, "causal": {"mask": 2, "S": 4},
    "no_mask": {"mask": 0}, "long_sequence": {"S": 9, "mask": 2}}


def _layer(c, decoder):
    """src / tgt (N, S, D), D = heads * hd (1 to 3 heads); memory (N, M, D) for the decoder; weights
    scaled by 1 / sqrt(fan-in), LayerNorm's gamma near 1 and beta near 0; the mask (S, S): 0 none, 1
    random (0 = blocked, every query keeps a key: a fully masked row is multi-head attention's edge),
    2 causal (the decoder's usual tgt_mask); boolean: bool, or 0/1 floats. width_one: D = 1, where
    each LayerNorm sees a constant row (out = beta, its rounding amplified by 1/sqrt(eps))."""
    h = LAYER_HEADS[c.heads]
    d = h * c.hd
    params = {}
    for name in DECODER_PARAM_KEYS if decoder else ENCODER_PARAM_KEYS:
        short = name.rsplit("_", 1)[1]
        if short == "W1":
            params[name] = c.randn(d, c.F, scale=d ** -0.5)
        elif short == "W2":
            params[name] = c.randn(c.F, d, scale=c.F ** -0.5)
        elif short[0] == "W":
            params[name] = c.randn(d, d, scale=d ** -0.5)
        elif short == "b1":
            params[name] = c.randn(c.F, scale=0.5)
        elif short == "gamma":
            params[name] = c.cast(1 + 0.2 * c.raw(d))
        else:
            params[name] = c.randn(d, scale=0.5 if short[0] == "b" else 0.2)
    mask = None
    if c.mask == 1:
        mask = _some_allowed(c, c.rng.random((c.S, c.S)) < 0.6)
    elif c.mask == 2:
        mask = np.tri(c.S, c.S, dtype=bool)
    if mask is not None and not c.boolean:
        mask = c.cast(mask)
    first, mask_name = ("tgt", "tgt_mask") if decoder else ("src", "src_mask")
    args = {first: c.randn(c.N, c.S, d)}
    if decoder:
        args["memory"] = c.randn(c.N, c.M, d)
    args.update(params=params, num_heads=h)
    if c.edge != "no_mask":
        args[mask_name] = mask
    return args, dict(dout=c.grad(c.N, c.S, d))


@generator(edges=LAYER_EDGES, **LAYER_SIZES)
def encoder_layer(c):
    """The encoder layer's src (N, S, D), params, num_heads and src_mask (see _layer)."""
    return _layer(c, decoder=False)


@generator(edges={**LAYER_EDGES, "one_memory_token": {"M": 1}, "memory_longer": {"S": 2, "M": 6}},
           M=(1, 5), **LAYER_SIZES)
def decoder_layer(c):
    """The decoder layer's tgt (N, S, D) (S: the target's length, the contract's T), memory (N, M,
    D), params, num_heads and tgt_mask (see _layer)."""
    return _layer(c, decoder=True)


ROWS = [
    forward("feed_forward_forward(x, W1, b1, W2, b2) -> out, cache", feed_forward, "transformer_layers:feed_forward"),
    backward("feed_forward_backward(dout, cache) -> dx, dW1, db1, dW2, db2", feed_forward,
             "transformer_layers:feed_forward", "feed_forward_forward"),
    forward("patch_embedding_forward(x, w, b, patch_size) -> out, cache", patches, "transformer_layers:patch_embedding"),
    backward("patch_embedding_backward(dout, cache) -> dx, dw, db", patches, "transformer_layers:patch_embedding",
             "patch_embedding_forward"),
    Row("transformer_encoder_layer_forward", encoder_layer, "transformer_layers:transformer_encoder_layer",
        ParamsForward("transformer_encoder_layer_forward(src, params, num_heads, src_mask=...) -> out, cache")),
    Row("transformer_encoder_layer_backward", encoder_layer, "transformer_layers:transformer_encoder_layer",
        ParamsBackward("transformer_encoder_layer_backward(dout, cache) -> dsrc, dparams",
                       "transformer_encoder_layer_forward", ENCODER_PARAM_KEYS)),
    Row("transformer_decoder_layer_forward", decoder_layer, "transformer_layers:transformer_decoder_layer",
        ParamsForward("transformer_decoder_layer_forward(tgt, memory, params, num_heads, tgt_mask=...) -> out, cache")),
    Row("transformer_decoder_layer_backward", decoder_layer, "transformer_layers:transformer_decoder_layer",
        ParamsBackward("transformer_decoder_layer_backward(dout, cache) -> dtgt, dmemory, dparams",
                       "transformer_decoder_layer_forward", DECODER_PARAM_KEYS)),
]
