"""Bad and unusual inputs of SimCLR's similarities and NT-Xent loss."""
import numpy as np

from ._entries import INF, NAN, computes, put, rejects

_VIEWS = dict(N=2, D=3)  # out_left, out_right (2, 3)


def _zero_row(name):
    def change(args):
        a = np.array(args[name])
        a[0] = 0
        return a
    return change


def _loss_entries():
    return [
        rejects("tau 0", r"tau must be > 0, got 0", sizes=_VIEWS, tau=0),
        rejects("tau negative", r"tau must be > 0, got -0.5", sizes=_VIEWS, tau=-0.5),
        rejects("tau NaN", r"tau must be a number > 0, got nan", sizes=_VIEWS, tau=NAN),
        rejects("tau True", r"tau must be a number > 0, got True", sizes=_VIEWS, tau=True),
        rejects("views of different sizes", r"out_right must have shape \(2, 3\) \(one positive per row of out_left "
                r"\(2, 3\)\), got \(3, 3\)", sizes=_VIEWS, out_right=np.ones((3, 3))),
        rejects("out_right 1-D", r"out_right must be 2-D, got shape \(3,\)", sizes=_VIEWS, out_right=np.ones(3)),
        rejects("no samples", r"out_left must have at least one row and one feature, got shape \(0, 3\)",
                sizes=_VIEWS, out_left=np.ones((0, 3)), out_right=np.ones((0, 3))),
        rejects("no features (no direction)", r"out_left must have at least one row and one feature, got shape "
                r"\(2, 0\)", sizes=_VIEWS, out_left=np.ones((2, 0)), out_right=np.ones((2, 0))),
        computes("a zero vector: 0 / 0, NaN as the formula", sizes=_VIEWS, out_left=_zero_row("out_left")),
        computes("NaN in out_right", sizes=_VIEWS, out_right=put("out_right", NAN)),
        computes("tau as an integer", sizes=_VIEWS, tau=1),
        computes("tau inf: every logit 0", sizes=_VIEWS, tau=INF),
    ]


BAD_INPUTS = {
    "sim": [
        rejects("z_i 2-D (the course's docstring says 1xD; its torch.dot takes 1-D)",
                r"z_i must be 1-D, got shape \(1, 3\)", sizes=dict(D=3), z_i=np.ones((1, 3))),
        rejects("sizes differ", r"z_j must have shape \(3,\) \(the size of z_i \(3,\)\), got \(2,\)", sizes=dict(D=3),
                z_j=np.ones(2)),
        rejects("empty vectors", r"z_i must have at least one feature, got shape \(0,\)", z_i=np.ones(0),
                z_j=np.ones(0)),
        rejects("z_j of strings", r"z_j must be a real floating array, got dtype <U1", z_j=np.array(["a"])),
        computes("a zero vector: NaN", sizes=dict(D=3), z_j=np.zeros(3)),
        computes("inf in z_i: NaN", sizes=dict(D=3), z_i=put("z_i", INF)),
    ],
    "sim_positive_pairs": [
        rejects("views of different sizes", r"out_right must have shape \(2, 3\) \(one positive per row of out_left "
                r"\(2, 3\)\), got \(2, 2\)", sizes=_VIEWS, out_right=np.ones((2, 2))),
        rejects("out_left 3-D", r"out_left must be 2-D, got shape \(1, 2, 3\)", sizes=_VIEWS,
                out_left=np.ones((1, 2, 3))),
        computes("a zero vector: that row NaN", sizes=_VIEWS, out_right=_zero_row("out_right")),
        computes("NaN in out_left", sizes=_VIEWS, out_left=put("out_left", NAN)),
    ],
    "compute_sim_matrix": [
        rejects("out 1-D", r"out must be 2-D, got shape \(3,\)", out=np.ones(3)),
        rejects("no rows", r"out must have at least one row and one feature, got shape \(0, 2\)", out=np.ones((0, 2))),
        computes("a zero vector: its row and column NaN", sizes=dict(M=3, D=2), out=_zero_row("out")),
        computes("inf in out", sizes=dict(M=3, D=2), out=put("out", INF, at=3)),
    ],
    "simclr_loss_naive": _loss_entries(),
    "simclr_loss_vectorized": _loss_entries(),
}
