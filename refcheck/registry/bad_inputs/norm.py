"""Bad and unusual inputs of the normalization layers."""
import numpy as np

from ._entries import NAN, computes, pixels, put, rejects


_LN = dict(N=3, D=4, custom=0)
_SBN = dict(N=2, C=3, H=2, W=2, test=0, custom=0, fresh=0)
_GN = dict(N=2, G=2, Cg=2, H=2, W=3, custom=0)  # C = 4

BAD_INPUTS = {
    "layernorm_forward": [
        rejects("gamma of another length", r"gamma must have shape \(4,\).*got \(3,\)", sizes=_LN, gamma=np.ones(3)),
        rejects("x 1-D", r"x must be 2-D, got shape \(4,\)", x=np.zeros(4)),
        rejects("negative eps", r"ln_param\['eps'\] must be > 0, got -1", ln_param={"eps": -1}),
        rejects("ln_param a string", r"ln_param must be a dict, got str", ln_param="eps"),
        computes("ln_param None: the defaults", ln_param=None),
        computes("empty batch", sizes=dict(N=0)),
        computes("NaN in x", x=put("x", NAN)),
        computes("float16 pixel range", dtype="float16", x=pixels("x")),
    ],
    "layernorm_backward": [
        rejects("dout of another shape", r"dout must have shape \(3, 4\).*got \(4, 3\)", sizes=_LN,
                dout=np.zeros((4, 3))),
        computes("empty batch", sizes=dict(N=0)),
        computes("NaN in dout", dout=put("dout", NAN)),
    ],
    "spatial_batchnorm_forward": [
        rejects("x 2-D", r"x must be 4-D, got shape \(2, 3\)", x=np.zeros((2, 3))),
        rejects("gamma of another length", r"gamma must have shape \(3,\).*got \(4,\)", sizes=_SBN, gamma=np.ones(4)),
        rejects("empty batch in train mode", r"x must hold at least one sample in train mode",
                sizes=dict(_SBN, N=0)),
        computes("empty batch in test mode", sizes=dict(_SBN, N=0, test=1)),
        computes("NaN in x", sizes=_SBN, x=put("x", NAN)),
        computes("float16 pixel range (running_var above 65504)", dtype="float16", sizes=dict(_SBN, N=3, H=4, W=4),
                 x=pixels("x")),
    ],
    "spatial_batchnorm_backward": [
        rejects("dout of another shape", r"dout must have shape \(2, 3, 2, 2\).*got \(2, 3, 2, 1\)", sizes=_SBN,
                dout=np.zeros((2, 3, 2, 1))),
        computes("NaN in dout", sizes=_SBN, dout=put("dout", NAN)),
    ],
    "spatial_groupnorm_forward": [
        rejects("G does not divide C", r"G must be a positive divisor of the 4 channels.*got 3", sizes=_GN, G=3),
        rejects("G = 1.5", r"G must be a whole number >= 1, got 1.5", G=1.5),
        rejects("G = 0", r"G must be a whole number >= 1, got 0", G=0),
        rejects("gamma (C,) instead of (1, C, 1, 1)", r"gamma must have shape \(1, 4, 1, 1\).*got \(4,\)", sizes=_GN,
                gamma=np.ones(4)),
        rejects("negative eps", r"gn_param\['eps'\] must be > 0, got -0.1", gn_param={"eps": -0.1}),
        computes("G = 2.0, a whole number", sizes=_GN, G=2.0),
        computes("gn_param None", gn_param=None),
        computes("empty batch", sizes=dict(_GN, N=0)),
        computes("NaN in x", x=put("x", NAN)),
        computes("float16 pixel range", dtype="float16", sizes=dict(_GN, H=4, W=4), x=pixels("x")),
    ],
    "spatial_groupnorm_backward": [
        rejects("dout of another shape", r"dout must have shape \(2, 4, 2, 3\).*got \(2, 4, 3, 2\)", sizes=_GN,
                dout=np.zeros((2, 4, 3, 2))),
        computes("empty batch", sizes=dict(_GN, N=0)),
        computes("NaN in dout", dout=put("dout", NAN)),
    ],
}
