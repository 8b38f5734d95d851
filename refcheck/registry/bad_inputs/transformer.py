"""Bad and unusual inputs of the feed-forward block and the patch embedding."""
import numpy as np

from ._entries import INF, NAN, computes, put, rejects

_FFN = dict(K=2, a=3, D=2, F=4)      # x (3, 2), W1 (2, 4), W2 (4, 2)
_PATCH = dict(N=1, C=2, P=2, grid=2, E=3)  # x (1, 2, 4, 4), w (8, 3)


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
}
