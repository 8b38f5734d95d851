"""Bad and unusual inputs of the sandwich layers (CS231n layer_utils.py, EECS 498's *_ReLU*
classes): each is reported under the sandwich's own argument names (dout against the forward's
output, pool_param against the convolution's output it pools), and the layers' unusual inputs
(empty batches, NaN) go through the whole chain as torch's chained functions take them."""
import numpy as np

from ._entries import NAN, computes, param, put, rejects


_AFFINE = dict(N=2, K=2, d1=3, d2=2, M=4)  # x (2, 3, 2), w (6, 4), b (4,)
_AFFINE_BN = dict(_AFFINE, test=0, custom=0, fresh=0)
_CONV = dict(N=2, C=2, F=3, HH=3, WW=3, pad=1, stride=1, dh=2, dw=2)  # x (2, 2, 3, 3) with pad 1: out (2, 3, 3, 3)
_POOL = dict(ph=2, pw=2, pstride=1)  # the 3 x 3 convolution output pooled to 2 x 2
_CONV_BN = dict(_CONV, test=0, custom=0, fresh=0)


BAD_INPUTS = {
    "affine_relu_forward": [
        rejects("w rows differ from x's features", r"w must have shape \(6, 4\).*got \(5, 4\)", sizes=_AFFINE,
                w=np.zeros((5, 4))),
        rejects("b of another length", r"b must have shape \(4,\).*got \(3,\)", sizes=_AFFINE, b=np.zeros(3)),
        computes("empty batch", sizes=dict(_AFFINE, N=0)),
        computes("NaN in x", x=put("x", NAN)),
    ],
    "affine_relu_backward": [
        rejects("dout of another shape", r"dout must have shape \(2, 4\) \(the forward's output\), got \(2, 5\)",
                sizes=_AFFINE, dout=np.zeros((2, 5))),
        computes("empty batch", sizes=dict(_AFFINE, N=0)),
        computes("NaN in dout", dout=put("dout", NAN)),
    ],
    "affine_bn_relu_forward": [
        rejects("gamma of another length", r"gamma must have shape \(4,\).*got \(3,\)", sizes=_AFFINE_BN,
                gamma=np.ones(3)),
        rejects("bn_param None", r"bn_param must be a dict, got NoneType", bn_param=None),
        rejects("unknown mode", r"bn_param\['mode'\] .*got 'eval'", bn_param=param("bn_param", mode="eval")),
        rejects("empty batch in train mode: the mean is undefined",
                r"x must hold at least one sample in train mode, got shape \(0, 4\)", sizes=dict(_AFFINE_BN, N=0)),
        computes("empty batch in test mode", sizes=dict(_AFFINE_BN, N=0, test=1)),
        computes("NaN in x (train)", sizes=_AFFINE_BN, x=put("x", NAN)),
    ],
    "affine_bn_relu_backward": [
        rejects("dout of another shape", r"dout must have shape \(2, 4\) \(the forward's output\), got \(4, 2\)",
                sizes=_AFFINE_BN, dout=np.zeros((4, 2))),
        computes("NaN in dout", sizes=_AFFINE_BN, dout=put("dout", NAN)),
    ],
    "conv_relu_forward": [
        rejects("kernel larger than the padded input", r"window 7 is larger than the \(padded\) input 5", sizes=_CONV,
                w=np.zeros((3, 2, 7, 3))),
        rejects("channels differ", r"w must have x's 2 channels in axis 1, got w \(3, 1, 3, 3\)", sizes=_CONV,
                w=np.zeros((3, 1, 3, 3))),
        rejects("conv_param None", r"conv_param must be a dict, got NoneType", conv_param=None),
        computes("empty batch", sizes=dict(_CONV, N=0)),
        computes("NaN in x", x=put("x", NAN)),
    ],
    "conv_relu_backward": [
        rejects("dout of another shape",
                r"dout must have shape \(2, 3, 3, 3\) \(the forward's output\), got \(2, 3, 3, 2\)", sizes=_CONV,
                dout=np.zeros((2, 3, 3, 2))),
        computes("empty batch", sizes=dict(_CONV, N=0)),
        computes("NaN in dout", dout=put("dout", NAN)),
    ],
    "conv_relu_pool_forward": [
        rejects("pool window larger than the convolution's output",
                r"pooling the convolution's output \(2, 3, 3, 3\): .*window 4 is larger than the \(padded\) input 3",
                sizes=dict(_CONV, **_POOL), pool_param={"pool_height": 4, "pool_width": 2, "stride": 1}),
        rejects("pool_param None", r"pool_param must be a dict, got NoneType", pool_param=None),
        rejects("pool stride 0.5", r"pool_param\['stride'\] .*got 0.5",
                pool_param={"pool_height": 1, "pool_width": 1, "stride": 0.5}),
        computes("pool sizes as whole floats", sizes=dict(_CONV, **_POOL),
                 pool_param={"pool_height": 2.0, "pool_width": 2.0, "stride": 1.0}),
        computes("empty batch", sizes=dict(_CONV, **_POOL, N=0)),
        computes("NaN in x", sizes=dict(_CONV, **_POOL), x=put("x", NAN)),
    ],
    "conv_relu_pool_backward": [
        rejects("dout of another shape",
                r"dout must have shape \(2, 3, 2, 2\) \(the forward's output\), got \(2, 3, 2, 3\)",
                sizes=dict(_CONV, **_POOL), dout=np.zeros((2, 3, 2, 3))),
        computes("NaN in dout", sizes=dict(_CONV, **_POOL), dout=put("dout", NAN)),
        computes("empty batch", sizes=dict(_CONV, **_POOL, N=0)),
    ],
    "conv_bn_relu_forward": [
        rejects("gamma of another length", r"gamma must have shape \(3,\).*got \(2,\)", sizes=_CONV_BN,
                gamma=np.ones(2)),
        rejects("bn_param None", r"bn_param must be a dict, got NoneType", bn_param=None),
        rejects("stride 0", r"conv_param\['stride'\] must be a whole number >= 1, got 0",
                conv_param={"stride": 0, "pad": 1}),
        rejects("empty batch in train mode", r"x must hold at least one sample in train mode",
                sizes=dict(_CONV_BN, N=0)),
        computes("empty batch in test mode", sizes=dict(_CONV_BN, N=0, test=1)),
        computes("NaN in x (train)", sizes=_CONV_BN, x=put("x", NAN)),
    ],
    "conv_bn_relu_backward": [
        rejects("dout of another shape",
                r"dout must have shape \(2, 3, 3, 3\) \(the forward's output\), got \(2, 3, 1, 3\)",
                sizes=_CONV_BN, dout=np.zeros((2, 3, 1, 3))),
        computes("NaN in dout", sizes=_CONV_BN, dout=put("dout", NAN)),
    ],
    "conv_bn_relu_pool_forward": [
        rejects("pool window larger than the convolution's output",
                r"pooling the convolution's output \(2, 3, 3, 3\): .*window 5 is larger than the \(padded\) input 3",
                sizes=dict(_CONV_BN, **_POOL), pool_param={"pool_height": 2, "pool_width": 5, "stride": 1}),
        rejects("mode missing", r"bn_param\['mode'\] must be one of \['test', 'train'\], got None", bn_param={}),
        computes("empty batch in test mode", sizes=dict(_CONV_BN, **_POOL, N=0, test=1)),
        computes("NaN in x (train)", sizes=dict(_CONV_BN, **_POOL), x=put("x", NAN)),
    ],
    "conv_bn_relu_pool_backward": [
        rejects("dout of another shape",
                r"dout must have shape \(2, 3, 2, 2\) \(the forward's output\), got \(2, 2, 2, 2\)",
                sizes=dict(_CONV_BN, **_POOL), dout=np.zeros((2, 2, 2, 2))),
        computes("NaN in dout", sizes=dict(_CONV_BN, **_POOL), dout=put("dout", NAN)),
    ],
}
