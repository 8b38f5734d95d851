"""Bad and unusual inputs of the feed-forward block, the patch embedding and the encoder and decoder
layers."""
import numpy as np

from ._entries import INF, NAN, computes, param, put, rejects

_FFN = dict(K=2, a=3, D=2, F=4)      # x (3, 2), W1 (2, 4), W2 (4, 2)
_PATCH = dict(N=1, C=2, P=2, grid=2, E=3)  # x (1, 2, 4, 4), w (8, 3)
_LAYER = dict(N=1, S=3, heads=1, hd=2, F=3, mask=2, boolean=1)  # src (1, 3, 4): 2 heads, causal mask
_DECODER = dict(_LAYER, M=2)                                      # memory (1, 2, 4)


def _without(key):
    return lambda a: {k: w for k, w in a["params"].items() if k != key}


def _non_square(args):
    return np.concatenate([args["x"], args["x"][..., :2]], axis=-1)  # (1, 2, 4, 6)


BAD_INPUTS = {
    "feed_forward_forward": [
        rejects("W1 of the wrong width", r"W1 must have shape \(2, 4\) \(rows = the last axis of x \(3, 2\)\), got "
                r"\(3, 4\)", sizes=_FFN, W1=np.ones((3, 4))),
        rejects("b1 missing a hidden unit", r"b1 must have shape \(4,\) \(the columns of W1 \(2, 4\)\), got \(3,\)",
                sizes=_FFN, b1=np.ones(3)),
        rejects("W2 not W1's transpose shape", r"W2 must have shape \(4, 2\) \(W1 \(2, 4\) transposed\), got \(2, 4\)",
                sizes=_FFN, W2=np.ones((2, 4))),
        rejects("b2 2-D", r"b2 must be 1-D, got shape \(1, 2\)", sizes=_FFN, b2=np.ones((1, 2))),
        rejects("x a scalar", r"x must have at least 1 dimensions, got shape \(\)", sizes=_FFN, x=np.float64(1.0)),
        computes("empty batch", sizes=dict(_FFN, a=0)),
        computes("NaN in x: that token NaN", sizes=_FFN, x=put("x", NAN)),
        computes("inf in b1", sizes=_FFN, b1=put("b1", INF)),
    ],
    "feed_forward_backward": [
        rejects("dout of another shape", r"dout must have shape \(3, 2\) \(the forward's output\), got \(2, 3\)",
                sizes=_FFN, dout=np.ones((2, 3))),
        computes("empty batch", sizes=dict(_FFN, a=0)),
        computes("NaN in dout", sizes=_FFN, dout=put("dout", NAN)),
    ],
    "patch_embedding_forward": [
        rejects("patch_size not dividing the image", r"patch_size 3 must divide the image's height and width, got x "
                r"\(1, 2, 4, 4\)", sizes=_PATCH, patch_size=3),
        rejects("patch_size 0", r"patch_size must be a whole number >= 1, got 0", sizes=_PATCH, patch_size=0),
        rejects("patch_size 1.5", r"patch_size must be a whole number >= 1, got 1.5", sizes=_PATCH, patch_size=1.5),
        rejects("w of the wrong height", r"w must have shape \(8, 3\) \(rows = C \* patch_size\^2 = 8\), got \(4, 3\)",
                sizes=_PATCH, w=np.ones((4, 3))),
        rejects("x 3-D (one image without its batch axis)", r"x must be 4-D, got shape \(2, 4, 4\)", sizes=_PATCH,
                x=np.ones((2, 4, 4))),
        computes("a non-square image (the course asserts square ones)", sizes=_PATCH, x=_non_square,
                 dout=np.ones((1, 6, 3))),
        computes("patch_size as a whole float", sizes=_PATCH, patch_size=2.0),
        computes("NaN in x: that patch NaN", sizes=_PATCH, x=put("x", NAN)),
        computes("empty batch", sizes=dict(_PATCH, N=0)),
    ],
    "patch_embedding_backward": [
        rejects("dout of another shape", r"dout must have shape \(1, 4, 3\) \(the forward's output\), got \(1, 3, 4\)",
                sizes=_PATCH, dout=np.ones((1, 3, 4))),
        computes("empty batch", sizes=dict(_PATCH, N=0)),
        computes("NaN in dout", sizes=_PATCH, dout=put("dout", NAN)),
    ],
    "transformer_encoder_layer_forward": [
        rejects("num_heads does not divide D", r"num_heads must be a positive divisor of D = 4, got 3", sizes=_LAYER,
                num_heads=3),
        rejects("num_heads 1.5", r"num_heads must be a whole number >= 1, got 1.5", sizes=_LAYER, num_heads=1.5),
        rejects("src 2-D (one sequence without its batch axis)", r"src must be 3-D, got shape \(3, 4\)", sizes=_LAYER,
                src=np.zeros((3, 4))),
        rejects("D = 0", r"src must hold at least one feature \(D >= 1\), got shape \(1, 3, 0\)", sizes=_LAYER,
                src=np.zeros((1, 3, 0))),
        rejects("a LayerNorm's parameters missing", r"params must hold the keys self_attn_Wq, .*; missing "
                r"norm_ffn_gamma", sizes=_LAYER, params=_without("norm_ffn_gamma")),
        rejects("the MultiHeadAttention's keys without their block's prefix", r"missing self_attn_Wq",
                sizes=_LAYER, params=lambda a: {("Wq" if k == "self_attn_Wq" else k): w for k, w in a["params"].items()}),
        rejects("ffn_W2 not ffn_W1's transpose shape", r"params\['ffn_W2'\] must have shape \(3, 4\) \(the model's "
                r"width D = 4\), got \(4, 3\)", sizes=_LAYER, params=param("params", ffn_W2=np.zeros((4, 3)))),
        rejects("gamma 2-D", r"params\['norm_self_gamma'\] must have shape \(4,\) \(the model's width D = 4\), got "
                r"\(1, 4\)", sizes=_LAYER, params=param("params", norm_self_gamma=np.ones((1, 4)))),
        rejects("src_mask (S, S + 1)", r"src_mask must have shape \(3, 3\) \(src's S = 3 queries by as many keys\), "
                r"got \(3, 4\)", sizes=_LAYER, src_mask=np.ones((3, 4), bool)),
        rejects("params a list", r"params must be a dict, got list", sizes=_LAYER, params=[]),
        computes("one token", sizes=dict(_LAYER, S=1)),
        computes("no mask", sizes=dict(_LAYER, mask=0)),
        computes("a 0/1 float mask", sizes=dict(_LAYER, boolean=0)),
        computes("empty batch", sizes=dict(_LAYER, N=0)),
        computes("NaN in src: that sequence NaN", sizes=_LAYER, src=put("src", NAN)),
    ],
    "transformer_encoder_layer_backward": [
        rejects("dout of another shape", r"dout must have shape \(1, 3, 4\) \(the forward's output\), got \(1, 4, 3\)",
                sizes=_LAYER, dout=np.ones((1, 4, 3))),
        computes("empty batch", sizes=dict(_LAYER, N=0)),
        computes("NaN in dout", sizes=_LAYER, dout=put("dout", NAN)),
    ],
    "transformer_decoder_layer_forward": [
        rejects("memory of another width", r"memory must have shape \(1, T, 4\) \(N and D of tgt \(1, 3, 4\)\), got "
                r"\(1, 2, 5\)", sizes=_DECODER, memory=np.zeros((1, 2, 5))),
        rejects("memory of another batch", r"memory must have shape \(1, T, 4\)", sizes=_DECODER,
                memory=np.zeros((2, 2, 4))),
        rejects("the cross-attention's parameters missing (an encoder's params)", r"missing cross_attn_Wq, ",
                sizes=_DECODER, params=lambda a: {k: w for k, w in a["params"].items() if "cross" not in k}),
        rejects("tgt_mask (T, S) (the cross-attention takes none)", r"tgt_mask must have shape \(3, 3\)",
                sizes=_DECODER, tgt_mask=np.ones((3, 2), bool)),
        computes("one memory token", sizes=dict(_DECODER, M=1)),
        computes("memory longer than tgt", sizes=dict(_DECODER, S=2, M=5)),
        computes("empty batch", sizes=dict(_DECODER, N=0)),
        computes("inf in memory: NaN through the cross-attention", sizes=_DECODER, memory=put("memory", INF)),
    ],
    "transformer_decoder_layer_backward": [
        rejects("dout of memory's shape", r"dout must have shape \(1, 3, 4\) \(the forward's output\), got \(1, 2, 4\)",
                sizes=_DECODER, dout=np.ones((1, 2, 4))),
        computes("empty batch", sizes=dict(_DECODER, N=0)),
    ],
}
