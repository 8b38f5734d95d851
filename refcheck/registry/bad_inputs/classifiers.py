"""Bad and unusual inputs of the linear classifiers and k-NN distances."""
import numpy as np

from ._entries import INF, NAN, computes, pixels, put, rejects


_CLASSIFIER = dict(N=2, D=4, C=3, regk=1)
_CLASSIFIER_ENTRIES = [
    rejects("X's columns differ from W's rows", r"X's columns must match W's rows, got X \(2, 5\) and W \(4, 3\)",
            sizes=_CLASSIFIER, X=np.zeros((2, 5))),
    rejects("label out of range", r"y must lie in \[0, 3\), got values in \[0, 3\]", sizes=_CLASSIFIER,
            y=np.array([0, 3])),
    rejects("negative reg", r"reg must be >= 0, got -0.1", reg=-0.1),
    rejects("reg a string", r"reg must be a number >= 0, got '0.1'", reg="0.1"),
    rejects("empty batch: the mean is undefined", r"X must hold at least one sample, got shape \(0, 4\)",
            sizes=_CLASSIFIER, X=np.zeros((0, 4)), y=np.zeros(0, int)),
    computes("NaN in X", X=put("X", NAN)),
    computes("NaN in W", W=put("W", NAN)),
]

BAD_INPUTS = {
    "softmax_loss_naive": _CLASSIFIER_ENTRIES, "softmax_loss_vectorized": _CLASSIFIER_ENTRIES,
    "svm_loss_naive": _CLASSIFIER_ENTRIES, "svm_loss_vectorized": _CLASSIFIER_ENTRIES,
    "compute_distances": [
        rejects("columns differ", r"X and Y must have the same number of columns, got X \(2, 3\) and Y \(4, 2\)",
                X=np.zeros((2, 3)), Y=np.zeros((4, 2))),
        rejects("X 1-D", r"X must be 2-D, got shape \(3,\)", X=np.zeros(3)),
        computes("inf and NaN rows: inf where torch gives inf", sizes=dict(N=3, M=3, D=2),
                 X=np.array([[INF, 0.0], [1.0, 2.0], [NAN, 0.0]]), Y=np.array([[1.0, 0.0], [INF, 1.0], [3.0, 4.0]])),
        computes("float32 rows near 1e20: identical ones exactly 0, the others finite", dtype="float32",
                 sizes=dict(N=3, M=2, D=3), X=lambda a: np.array([[1e20] * 3, [3e19] * 3, [1.0] * 3], np.float32),
                 Y=lambda a: np.array([[1e20] * 3, [1.0] * 3], np.float32)),
        computes("float16 pixel range (squares above 65504)", dtype="float16", X=pixels("X"), Y=pixels("Y")),
        computes("empty X", sizes=dict(N=0)),
        computes("no columns", sizes=dict(D=0)),
    ],
}
