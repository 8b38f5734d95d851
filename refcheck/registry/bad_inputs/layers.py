"""Bad and unusual inputs of the layers and losses (CS231n assignment 2)."""
import numpy as np

from ._entries import INF, NAN, computes, param, pixels, put, rejects


_AFFINE = dict(N=2, K=2, d1=3, d2=2, M=4)  # x (2, 3, 2), w (6, 4), b (4,)
_BN = dict(N=4, D=3, test=0, custom=0, fresh=0)

_SCORES = [
    rejects("y out of range", r"y must lie in \[0, 3\).*\[0, 3\]", sizes=dict(N=2, C=3), y=np.array([0, 3])),
    rejects("negative label", r"y must lie in \[0, 3\)", sizes=dict(N=2, C=3), y=np.array([-1, 0])),
    rejects("float labels", r"y must hold integer class labels, got dtype float64", y=lambda a: a["y"] * 1.0),
    rejects("y too long", r"y must have shape \(2,\), got \(3,\)", sizes=dict(N=2, C=3), y=np.array([0, 1, 2])),
    rejects("x not 2-D", r"x must be 2-D, got shape \(3,\)", x=np.zeros(3)),
    rejects("empty batch: the mean is undefined", r"x must have at least one row.*\(0, 3\)",
            x=np.zeros((0, 3)), y=np.zeros(0, int)),
    computes("NaN score", x=put("x", NAN, at=1)),
    computes("inf score", x=put("x", INF, at=1)),
]

_BATCHNORM_BACKWARD = [
    rejects("dout of another shape", r"dout must have shape \(4, 3\) \(the forward's output\), got \(3, 4\)",
            sizes=_BN, dout=np.zeros((3, 4))),
    computes("NaN in dout", dout=put("dout", NAN)),
    computes("NaN in x", x=put("x", NAN)),
]

_DROPOUT = dict(N=3, D=4, pk=2, seeded=1, test=0)

BAD_INPUTS = {
    "affine_forward": [
        rejects("w rows differ from x's features", r"w must have shape \(6, 4\).*got \(5, 4\)", sizes=_AFFINE,
                w=np.zeros((5, 4))),
        rejects("b of another length", r"b must have shape \(4,\).*got \(3,\)", sizes=_AFFINE, b=np.zeros(3)),
        rejects("x a scalar", r"x must have at least 1 dimensions, got shape \(\)", x=np.zeros(())),
        rejects("ragged x", r"x must be an array of numbers, got list", x=[[1.0, 2.0], [3.0]]),
        rejects("x of strings", r"x must be a real floating array, got dtype <U1", x=np.array([["a"]])),
        computes("empty batch", sizes=dict(N=0)),
        computes("NaN in x", x=put("x", NAN)),
        computes("inf in x", x=put("x", INF)),
    ],
    "affine_backward": [
        rejects("dout of another shape", r"dout must have shape \(2, 4\).*got \(2, 5\)", sizes=_AFFINE,
                dout=np.zeros((2, 5))),
        computes("empty batch", sizes=dict(N=0)),
        computes("NaN in dout", dout=put("dout", NAN)),
    ],
    "relu_forward": [
        rejects("x of strings", r"x must be a real floating array, got dtype <U1", x=np.array(["a", "b"])),
        rejects("x None", r"x must be a real floating array, got dtype object", x=None),
        computes("empty input", sizes=dict(d1=0)),
        computes("NaN and inf in x", x=put("x", [NAN, INF], at=[0, 1])),
    ],
    "relu_backward": [
        rejects("dout of another shape", r"dout must have shape \(2, 3\).*got \(3, 2\)", sizes=dict(K=2, d1=2, d2=3),
                dout=np.zeros((3, 2))),
        computes("NaN in x passes the gradient, as torch's x <= 0 test", x=put("x", NAN)),
        computes("NaN in dout", dout=put("dout", NAN)),
        computes("NaN and inf in dout wherever x <= 0: the gradient there is 0",
                 dout=lambda a: np.where(np.asarray(a["x"]) <= 0, np.where(np.asarray(a["x"]) < -0.5, INF, NAN), a["dout"])),
        computes("empty input", sizes=dict(d1=0)),
    ],
    "softmax_loss": _SCORES,
    "svm_loss": _SCORES,
    "batchnorm_forward": [
        rejects("mode missing", r"bn_param\['mode'\] must be one of \['test', 'train'\], got None",
                bn_param={}),
        rejects("unknown mode", r"bn_param\['mode'\] .*got 'eval'", bn_param=param("bn_param", mode="eval")),
        rejects("bn_param None", r"bn_param must be a dict, got NoneType", bn_param=None),
        rejects("gamma of another length", r"gamma must have shape \(3,\).*got \(2,\)", sizes=_BN, gamma=np.ones(2)),
        rejects("running_var of another length", r"bn_param\['running_var'\] must have shape \(3,\).*got \(4,\)",
                sizes=_BN, bn_param=param("bn_param", running_var=np.ones(4))),
        rejects("x 4-D", r"x must be 2-D, got shape \(1, 2, 4, 4\)", x=np.zeros((1, 2, 4, 4))),
        rejects("negative eps", r"bn_param\['eps'\] must be > 0, got -1", bn_param=param("bn_param", eps=-1)),
        rejects("momentum a string", r"bn_param\['momentum'\] must be a number, got '0.9'",
                bn_param=param("bn_param", momentum="0.9")),
        rejects("empty batch in train mode: the mean is undefined",
                r"x must hold at least one sample in train mode, got shape \(0, 3\)", sizes=dict(_BN, N=0)),
        computes("empty batch in test mode", sizes=dict(_BN, N=0, test=1)),
        computes("NaN in x (train)", sizes=_BN, x=put("x", NAN)),
        computes("float16 pixel range (variance above 65504)", dtype="float16", sizes=_BN, x=pixels("x")),
    ],
    "batchnorm_backward": _BATCHNORM_BACKWARD,
    "batchnorm_backward_alt": _BATCHNORM_BACKWARD,
    "dropout_forward": [
        rejects("p = 2 in test mode (torch checks p in eval mode too)",
                r"dropout_param\['p'\] \(keep probability\) must be >= 0 and <= 1, got 2",
                dropout_param={"p": 2, "mode": "test"}),
        rejects("p a string", r"dropout_param\['p'\] \(keep probability\) must be a number.*got '0.5'",
                dropout_param={"p": "0.5", "mode": "train"}),
        rejects("p NaN", r"dropout_param\['p'\] .*got nan", dropout_param={"p": NAN, "mode": "train"}),
        rejects("p missing", r"dropout_param\['p'\] .*got None", dropout_param={"mode": "train"}),
        rejects("p above one", r"dropout_param\['p'\] .*got 1.5", dropout_param={"p": 1.5, "mode": "train"}),
        rejects("unknown mode", r"dropout_param\['mode'\] .*got 'eval'", dropout_param={"p": 0.5, "mode": "eval"}),
        rejects("dropout_param None", r"dropout_param must be a dict, got NoneType", dropout_param=None),
        computes("p = 0 keeps nothing (torch's drop probability 1: zeros)", sizes=_DROPOUT,
                 dropout_param=param("dropout_param", p=0.0)),
        computes("NaN in x", sizes=_DROPOUT, x=put("x", NAN)),
        computes("empty batch", sizes=dict(_DROPOUT, N=0)),
    ],
    "dropout_backward": [
        rejects("dout of another shape", r"dout must have shape \(3, 4\).*got \(4, 3\)", sizes=_DROPOUT,
                dout=np.zeros((4, 3))),
        computes("p = 0", sizes=_DROPOUT, dropout_param=param("dropout_param", p=0.0)),
        computes("NaN in dout", sizes=_DROPOUT, dout=put("dout", NAN)),
        computes("empty batch", sizes=dict(_DROPOUT, N=0)),
    ],
}
