"""Rows for the linear classifiers and k-NN distances."""
import numpy as np

from ..cases import generator
from . import _properties as props
from . import forward
from .layers import row_levels, score_properties


@generator(N=(1, 8), D=(1, 8), C=(2, 6), regk=(0, 3), edges={
    "no_reg": {"regk": 0}, "label_ends": {}, "kinks": {}, "one_sample": {"N": 1},
    "bias_offset": {"regk": 0}, "row_offsets": {"regk": 0, "N": 4}, "huge_scores": {"regk": 0},
    "far_below": {"regk": 0}})
def classifier(c):
    """W (D, C), X (N, D). kinks: integer X and W, so hinge margins are often exactly 0. With the
    bias trick (X's first column a constant, W's first row a bias): bias_offset puts every score
    near 1e3 and row_offsets row i's near 400 * k_i (ordinary inputs: exp without max-subtraction
    overflows on the first, a maximum taken over the whole array instead of each row underflows
    on the second); huge_scores spreads every row's scores over 1e4 * (C - 1) and far_below puts
    class 0, every row's label, 800 below the others (extreme: only log-sum-exp stays finite)."""
    W, X = c.raw(c.D, c.C) * 0.5, c.raw(c.N, c.D)
    if c.edge == "kinks":
        W, X = c.rng.integers(-1, 2, (c.D, c.C)), c.rng.integers(-2, 3, (c.N, c.D))
    elif c.edge == "bias_offset":
        X[:, 0], W[0] = 1.0, 1e3 + W[0]
    elif c.edge == "row_offsets":
        X[:, 0], W[0] = row_levels(c, c.N), 400 + W[0]
    elif c.edge == "huge_scores":
        X[:, 0], W[0] = 1.0, 1e4 * (np.arange(c.C) - (c.C - 1) / 2) + W[0]
        c.extreme = True
    elif c.edge == "far_below":
        X[:, 0], W[0] = 1.0, np.where(np.arange(c.C) == 0, -800.0, 0.0)
        c.extreme = True
    W, X = c.cast(W), c.cast(X)
    y = np.where(np.arange(c.N) % 2, c.C - 1, 0) if c.edge == "label_ends" else c.labels(c.N, c.C)
    if c.edge == "far_below":
        y = np.zeros(c.N, dtype=np.int64)
    reg = (0.0, 1e-3, 0.1, 2.5)[c.regk]
    return dict(W=W, X=X, y=y, reg=reg), {}


classifier.declare(props.zero("regk", "reg = 0", "reg > 0"),
                   *score_properties("bias_offset", lambda args: args["X"].astype(np.float64) @ args["W"]),
                   props.edge("kinks", "X and W are integers (hinge margins exactly 0: kinks)",
                              "X and W are random"))


@generator(N=(1, 8), M=(1, 8), D=(1, 40), edges={
    "identical_rows": {"N": 8, "M": 8, "D": 37}, "zero_rows": {}, "one_column": {"D": 1}})
def point_sets(c):
    """identical_rows: Y repeats X's rows, long enough (D = 37) that |x|^2 + |y|^2 - 2 x.y rounds
    both above and below 0 for some of them."""
    X, Y = c.randn(c.N, c.D, scale=3.0), c.randn(c.M, c.D, scale=3.0)
    if c.edge == "identical_rows":
        Y[: min(c.N, c.M)] = X[: min(c.N, c.M)]
        Y[-1] = X[0]
    elif c.edge == "zero_rows":
        X[0], Y[-1] = 0, 0
    return dict(X=X, Y=Y), {}


ROWS = [
    forward("softmax_loss_naive(W, X, y, reg) -> loss, dW", classifier, "classifiers:softmax_classifier"),
    forward("softmax_loss_vectorized(W, X, y, reg) -> loss, dW", classifier, "classifiers:softmax_classifier"),
    forward("svm_loss_naive(W, X, y, reg) -> loss, dW", classifier, "classifiers:svm_classifier"),
    forward("svm_loss_vectorized(W, X, y, reg) -> loss, dW", classifier, "classifiers:svm_classifier"),
    forward("compute_distances(X, Y) -> dists", point_sets, "classifiers:distances"),
]
