"""Bad and unusual inputs of convolution and max pooling (naive and fast)."""
import numpy as np

from ._entries import INF, NAN, computes, put, rejects


_CONV = dict(N=2, C=2, F=3, HH=3, WW=3, pad=1, stride=1, dh=2, dw=2)  # x (2, 2, 3, 3) with pad 1
_CONV32 = dict(_CONV, C=32, F=32)
_POOL = dict(N=2, C=2, ph=2, pw=2, stride=2, dh=2, dw=2)  # x (2, 2, 4, 4)
_CONV_FORWARD = [
    rejects("kernel larger than the padded input", r"window 7 is larger than the \(padded\) input 5", sizes=_CONV,
            w=np.zeros((3, 2, 7, 3))),
    rejects("channels differ", r"w must have x's 2 channels in axis 1, got w \(3, 1, 3, 3\)", sizes=_CONV,
            w=np.zeros((3, 1, 3, 3))),
    rejects("one bias short", r"b must have shape \(3,\).*got \(2,\)", sizes=_CONV, b=np.zeros(2)),
    rejects("x 3-D", r"x must be 4-D, got shape \(2, 3, 3\)", x=np.zeros((2, 3, 3))),
    rejects("stride 0", r"conv_param\['stride'\] must be a whole number >= 1, got 0",
            conv_param={"stride": 0, "pad": 1}),
    rejects("stride 1.5 (not truncated to 1)", r"conv_param\['stride'\] must be a whole number >= 1, got 1.5",
            conv_param={"stride": 1.5, "pad": 1}),
    rejects("stride 0.5", r"conv_param\['stride'\] .*got 0.5", conv_param={"stride": 0.5, "pad": 1}),
    rejects("stride inf", r"conv_param\['stride'\] .*got inf", conv_param={"stride": INF, "pad": 1}),
    rejects("stride True", r"conv_param\['stride'\] .*got True", conv_param={"stride": True, "pad": 1}),
    rejects("pad 1.5", r"conv_param\['pad'\] must be a whole number >= 0, got 1.5",
            conv_param={"stride": 1, "pad": 1.5}),
    rejects("pad -1", r"conv_param\['pad'\] .*got -1", conv_param={"stride": 1, "pad": -1}),
    rejects("stride missing", r"conv_param\['stride'\] .*got None", conv_param={"pad": 1}),
    rejects("conv_param None", r"conv_param must be a dict, got NoneType", conv_param=None),
    computes("stride 2.0 and pad 1.0, whole numbers", sizes=dict(_CONV, stride=2),
             conv_param={"stride": 2.0, "pad": 1.0}),
    computes("empty batch", sizes=dict(N=0)),
    computes("NaN in x", x=put("x", NAN)),
    # 32 channels in and out, 3x3, stride 1: the layer refimpl's fast conv computes by Winograd,
    # whose transforms would turn inf - inf into NaNs where torch's products give +-inf
    computes("inf and -inf in x of a 32-channel 3x3 layer", sizes=_CONV32, x=put("x", [INF, -INF], at=[0, 10])),
    computes("NaN in w of a 32-channel 3x3 layer", sizes=_CONV32, w=put("w", NAN, at=4)),
]
_CONV_BACKWARD = [
    rejects("dout of another shape", r"dout must have shape \(2, 3, 3, 3\).*got \(2, 3, 3, 2\)", sizes=_CONV,
            dout=np.zeros((2, 3, 3, 2))),
    computes("empty batch", sizes=dict(N=0)),
    computes("NaN in dout", dout=put("dout", NAN)),
    computes("NaN in x", x=put("x", NAN)),
    computes("inf and -inf in dout of a 32-channel 3x3 layer", sizes=_CONV32,
             dout=put("dout", [INF, -INF], at=[0, 10])),
    computes("inf in x of a 32-channel 3x3 layer", sizes=_CONV32, x=put("x", INF, at=5)),
]
_POOL_FORWARD = [
    rejects("window larger than x", r"window 5 is larger than the \(padded\) input 4", sizes=_POOL,
            pool_param={"pool_height": 5, "pool_width": 2, "stride": 1}),
    rejects("stride missing", r"pool_param\['stride'\] must be a whole number >= 1, got None",
            pool_param={"pool_height": 2, "pool_width": 2}),
    rejects("pool_height 2.5 (not truncated to 2)", r"pool_param\['pool_height'\] .*got 2.5",
            pool_param={"pool_height": 2.5, "pool_width": 2, "stride": 2}),
    rejects("pool_width a string", r"pool_param\['pool_width'\] .*got '2'",
            pool_param={"pool_height": 2, "pool_width": "2", "stride": 2}),
    rejects("stride 0.5", r"pool_param\['stride'\] .*got 0.5",
            pool_param={"pool_height": 2, "pool_width": 2, "stride": 0.5}),
    rejects("pool_param None", r"pool_param must be a dict, got NoneType", pool_param=None),
    computes("sizes as whole floats", sizes=_POOL, pool_param={"pool_height": 2.0, "pool_width": 2.0, "stride": 2.0}),
    computes("empty batch", sizes=dict(N=0)),
    computes("NaN in x", x=put("x", NAN)),
]
_POOL_BACKWARD = [
    rejects("dout of another shape", r"dout must have shape \(2, 2, 2, 2\).*got \(2, 2, 2, 3\)", sizes=_POOL,
            dout=np.zeros((2, 2, 2, 3))),
    computes("a NaN takes its window's gradient", sizes=_POOL, x=put("x", NAN, at=5)),
    computes("NaN in overlapping windows", sizes=dict(_POOL, ph=3, pw=3, stride=1), x=put("x", NAN, at=5)),
    computes("NaN in dout", dout=put("dout", NAN)),
    computes("empty batch", sizes=dict(N=0)),
]

BAD_INPUTS = {
    "conv_forward_naive": _CONV_FORWARD, "conv_backward_naive": _CONV_BACKWARD,
    "max_pool_forward_naive": _POOL_FORWARD, "max_pool_backward_naive": _POOL_BACKWARD,
    "conv_forward_fast": _CONV_FORWARD, "conv_backward_fast": _CONV_BACKWARD,
    "max_pool_forward_fast": _POOL_FORWARD, "max_pool_backward_fast": _POOL_BACKWARD,
}
