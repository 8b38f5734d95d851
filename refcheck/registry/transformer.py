"""Rows for the blocks of CS231n 2025's ``transformer_layers.py`` that the attention family does
not hold: the feed-forward block (FeedForwardNetwork) and the patch embedding (PatchEmbedding).
The course's classes are nn.Modules; refcheck.course_data binds them to these rows."""
from ..cases import generator
from . import backward, forward


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


ROWS = [
    forward("feed_forward_forward(x, W1, b1, W2, b2) -> out, cache", feed_forward, "transformer_layers:feed_forward"),
    backward("feed_forward_backward(dout, cache) -> dx, dW1, db1, dW2, db2", feed_forward,
             "transformer_layers:feed_forward", "feed_forward_forward"),
    forward("patch_embedding_forward(x, w, b, patch_size) -> out, cache", patches, "transformer_layers:patch_embedding"),
    backward("patch_embedding_backward(dout, cache) -> dx, dw, db", patches, "transformer_layers:patch_embedding",
             "patch_embedding_forward"),
]
