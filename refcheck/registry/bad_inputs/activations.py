"""Bad and unusual inputs of the transformer's building blocks (softmaxes, GELU, SiLU, RMSNorm,
SwiGLU, cross-entropy), part of the attention family."""
import numpy as np

from ._entries import INF, NAN, computes, pixels, put, rejects


_ROWS = dict(K=2, a=2, C=3)  # x (2, 3)


def _softmax_entries():
    return [
        rejects("x a scalar (torch: 1.0; the contract has a class axis)", r"x must have at least 1 dimensions, got shape \(\)", x=np.zeros(())),
        rejects("no classes (torch: empty; a distribution needs a class)",
                r"x must have at least one entry on its last axis, got shape \(2, 0\)", x=np.zeros((2, 0))),
        rejects("x of strings", r"x must be a real floating array, got dtype <U1", x=np.array([["a"]])),
        computes("empty leading axis", sizes=dict(_ROWS, a=0)),
        computes("NaN in a row: that row NaN, as torch", sizes=_ROWS, x=put("x", NAN)),
        computes("inf in a row: that row NaN, as torch", sizes=_ROWS, x=put("x", INF, at=4)),
        computes("-inf score (a blocked class)", sizes=_ROWS, x=put("x", -INF, at=1)),
    ], [
        rejects("dout of another shape", r"dout must have shape \(2, 3\) \(the forward's output\), got \(3, 2\)",
                sizes=_ROWS, dout=np.zeros((3, 2))),
        computes("empty leading axis", sizes=dict(_ROWS, a=0)),
        computes("NaN in dout", sizes=_ROWS, dout=put("dout", NAN)),
        computes("NaN in x", sizes=_ROWS, x=put("x", NAN)),
        computes("-inf score (a blocked class)", sizes=_ROWS, x=put("x", -INF, at=1)),
    ]


_SOFTMAX, _SOFTMAX_BACKWARD = _softmax_entries()
_ELEMENTS = dict(K=2, d1=2, d2=3)  # x (2, 3)
_TAILS = put("x", [NAN, INF, -INF], at=[0, 1, 2])  # torch: gelu(-inf) and silu(-inf) NaN, their slopes at inf NaN


def _elementwise_entries(forms):
    """``forms``: the sizes of each form of the activation (GELU's erf and tanh forms)."""
    forward_ = [rejects("x of strings", r"x must be a real floating array, got dtype <U1", x=np.array(["a"])),
                rejects("x None", r"x must be a real floating array, got dtype object", x=None),
                computes("empty input", sizes=dict(_ELEMENTS, d1=0))]
    backward_ = [rejects("dout of another shape", r"dout must have shape \(2, 3\) \(the forward's output\), got \(3, 2\)",
                         sizes=_ELEMENTS, dout=np.zeros((3, 2))),
                 computes("empty input", sizes=dict(_ELEMENTS, d1=0)),
                 computes("NaN in dout", sizes=_ELEMENTS, dout=put("dout", NAN))]
    for form, sizes in forms.items():
        forward_.append(computes(f"NaN and +-inf in x{form}, as torch", sizes=dict(_ELEMENTS, **sizes), x=_TAILS))
        backward_.append(computes(f"NaN and +-inf in x{form}, as torch", sizes=dict(_ELEMENTS, **sizes), x=_TAILS))
    return forward_, backward_


_GELU, _GELU_BACKWARD = _elementwise_entries({" (erf form)": {"form": 0}, " (tanh form)": {"form": 1}})
_SILU, _SILU_BACKWARD = _elementwise_entries({"": {}})
_GELU += [
    rejects("unknown approximate", r"approximate must be one of \['none', 'tanh'\], got 'fast'", approximate="fast"),
    rejects("approximate 'TANH' (torch is case-sensitive)", r"approximate must be one of .*got 'TANH'",
            approximate="TANH"),
    rejects("approximate None (torch: must be a string)", r"approximate must be one of .*got None", approximate=None),
    rejects("approximate a list", r"approximate must be one of .*got \['tanh'\]", approximate=["tanh"]),
]
_RMS = dict(K=2, a=2, D=3, eps=1)  # x (2, 3), gamma (3,), eps 1e-5
_SWIGLU = dict(K=2, a=2, D=3, H=4)  # x (2, 3), W1 and W3 (3, 4), W2 (4, 3)
_CE = dict(N=3, C=4, smooth=0, ign=2)  # x (3, 4), y (3,)
_CE_SMOOTH = dict(_CE, smooth=2)  # and label_smoothing 0.1
_CE_IGNORE = dict(_CE, ign=1)  # and label_smoothing 0.0, ignore_index a class
BAD_INPUTS = {
    "softmax_forward": _SOFTMAX, "softmax_backward": _SOFTMAX_BACKWARD,
    "log_softmax_forward": _SOFTMAX, "log_softmax_backward": _SOFTMAX_BACKWARD,
    "gelu_forward": _GELU, "gelu_backward": _GELU_BACKWARD,
    "silu_forward": _SILU, "silu_backward": _SILU_BACKWARD,
    "rms_norm_forward": [
        rejects("gamma of another length", r"gamma must have shape \(3,\) \(the last axis of x \(2, 3\)\), got \(4,\)",
                sizes=_RMS, gamma=np.ones(4)),
        rejects("gamma 2-D", r"gamma must be 1-D, got shape \(1, 3\)", sizes=_RMS, gamma=np.ones((1, 3))),
        rejects("x a scalar (torch: normalized_shape must be at least 1-D)",
                r"x must have at least 1 dimensions, got shape \(\)", x=np.zeros(())),
        rejects("eps = 0 (torch: NaN for a zero row)", r"eps must be > 0, got 0.0", sizes=_RMS, eps=0.0),
        rejects("negative eps (torch: NaN)", r"eps must be > 0, got -1e-05", sizes=_RMS, eps=-1e-5),
        rejects("eps NaN", r"eps must be > 0, got nan", sizes=_RMS, eps=NAN),
        rejects("eps a string", r"eps must be a number, got '1e-5'", sizes=_RMS, eps="1e-5"),
        computes("empty leading axis", sizes=dict(_RMS, a=0)),
        computes("NaN in x: its row NaN", sizes=_RMS, x=put("x", NAN)),
        computes("float16 pixel range (x^2 above 65504)", dtype="float16", sizes=_RMS, x=pixels("x")),
    ],
    "rms_norm_backward": [
        rejects("dout of another shape", r"dout must have shape \(2, 3\) \(the forward's output\), got \(3, 2\)",
                sizes=_RMS, dout=np.zeros((3, 2))),
        computes("empty leading axis", sizes=dict(_RMS, a=0)),
        computes("NaN in dout", sizes=_RMS, dout=put("dout", NAN)),
        computes("NaN in x", sizes=_RMS, x=put("x", NAN)),
    ],
    "swiglu_forward": [
        rejects("W1 rows differ from x's features", r"W1 must have shape \(3, 4\) \(rows = the last axis of x \(2, 3\)\), "
                r"got \(2, 4\)", sizes=_SWIGLU, W1=np.zeros((2, 4))),
        rejects("W3 of another width", r"W3 must have shape \(3, 4\) \(as W1\), got \(3, 5\)", sizes=_SWIGLU,
                W3=np.zeros((3, 5))),
        rejects("W2 not W1's transpose", r"W2 must have shape \(4, 3\) \(W1 \(3, 4\) transposed\), got \(3, 4\)",
                sizes=_SWIGLU, W2=np.zeros((3, 4))),
        rejects("W1 1-D", r"W1 must be 2-D, got shape \(3,\)", W1=np.zeros(3)),
        rejects("x a scalar", r"x must have at least 1 dimensions, got shape \(\)", x=np.zeros(())),
        computes("empty leading axis", sizes=dict(_SWIGLU, a=0)),
        computes("NaN in x", sizes=_SWIGLU, x=put("x", NAN)),
    ],
    "swiglu_backward": [
        rejects("dout of another shape", r"dout must have shape \(2, 3\) \(the forward's output\), got \(2, 4\)",
                sizes=_SWIGLU, dout=np.zeros((2, 4))),
        computes("empty leading axis", sizes=dict(_SWIGLU, a=0)),
        computes("NaN in dout", sizes=_SWIGLU, dout=put("dout", NAN)),
    ],
    "cross_entropy_loss": [
        rejects("float labels (torch: expected Long)", r"y must hold integers, got dtype float64", sizes=_CE,
                y=lambda a: a["y"] * 1.0),
        rejects("boolean labels", r"y must hold integers, got dtype bool", sizes=_CE, y=np.array([True, False, True])),
        rejects("label out of range", r"y \(other than ignore_index\) must lie in \[0, 4\), got values in \[0, 4\]",
                sizes=_CE, y=np.array([0, 4, 1])),
        rejects("negative label other than ignore_index", r"y \(other than ignore_index\) must lie in \[0, 4\), "
                r"got values in \[-1, 2\]", sizes=_CE, y=np.array([-1, 2, 1])),
        rejects("y (N, 1) (torch: multi-target not supported)",
                r"y must have shape \(3,\) \(one label per row of x \(3, 4\)\), got \(3, 1\)", sizes=_CE,
                y=np.zeros((3, 1), int)),
        rejects("x 1-D (torch's unbatched form, not the contract's (N, C))", r"x must be 2-D, got shape \(4,\)",
                sizes=_CE, x=np.zeros(4)),
        rejects("empty batch: the mean is undefined (torch: NaN)",
                r"x must have at least one row and one class, got shape \(0, 4\)", sizes=_CE, x=np.zeros((0, 4)),
                y=np.zeros(0, int)),
        rejects("label_smoothing 1.5", r"label_smoothing must be >= 0 and <= 1, got 1.5", sizes=_CE_SMOOTH,
                label_smoothing=1.5),
        rejects("label_smoothing -0.1 (torch ignores it)", r"label_smoothing must be >= 0 and <= 1, got -0.1",
                sizes=_CE_SMOOTH, label_smoothing=-0.1),
        rejects("label_smoothing NaN", r"label_smoothing must be a number >= 0 and <= 1, got nan", sizes=_CE_SMOOTH,
                label_smoothing=NAN),
        rejects("label_smoothing a string", r"label_smoothing must be a number .*got '0.1'", sizes=_CE_SMOOTH,
                label_smoothing="0.1"),
        rejects("ignore_index 1.5 (torch: must be an int)", r"ignore_index must be an integer, got 1.5",
                sizes=_CE_IGNORE, ignore_index=1.5),
        rejects("ignore_index 1.0", r"ignore_index must be an integer, got 1.0", sizes=_CE_IGNORE, ignore_index=1.0),
        rejects("ignore_index True", r"ignore_index must be an integer, got True", sizes=_CE_IGNORE, ignore_index=True),
        computes("every label ignored: NaN loss and zero dx, as torch", sizes=_CE, y=np.full(3, -100)),
        computes("ignore_index -1 ignores the label -1", sizes=_CE_IGNORE, y=np.array([0, -1, 2]), ignore_index=-1),
        computes("ignore_index outside the classes, unused", sizes=_CE_IGNORE, ignore_index=7),
        computes("uint8 labels (torch takes Byte)", sizes=_CE, y=lambda a: a["y"].astype(np.uint8)),
        computes("NaN score: NaN loss", sizes=_CE, x=put("x", NAN)),
        computes("NaN score in an ignored row: a finite loss, as torch", sizes=_CE, y=np.array([0, -100, 2]),
                 x=put("x", NAN, at=6)),
        computes("NaN score in an ignored row, smoothed", sizes=_CE_SMOOTH, y=np.array([0, -100, 2]),
                 x=put("x", NAN, at=6)),
        computes("-inf score where the target is 0: a finite loss, as torch", sizes=_CE, y=np.array([0, 1, 2]),
                 x=put("x", -INF, at=6)),
        computes("-inf score, smoothed: an infinite loss, as torch", sizes=_CE_SMOOTH, y=np.array([0, 1, 2]),
                 x=put("x", -INF, at=6)),
        computes("one class", sizes=dict(_CE, C=1), y=np.zeros(3, int)),
    ],
}
