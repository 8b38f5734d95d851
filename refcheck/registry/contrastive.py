"""Rows for SimCLR's contrastive loss (CS231n assignment 3, ``simclr/contrastive_loss.py``): the
cosine similarities and the NT-Xent loss.

Vectors are never zero (a zero vector has no direction: 0 / 0); the edges hold one sample (the
loss of a single pair is 0: its one other sample is its positive), one feature (every
similarity is +-1), identical and parallel views (positives of similarity 1), large values and a
small temperature, where exp(s / tau) overflows float32 without a max-shift (extreme: a
non-finite loss there only warns)."""
import numpy as np

from ..cases import generator
from . import forward

TAUS = (0.05, 0.1, 0.5, 1.0, 2.0)


def directions(c, *shape, scale=1.0):
    """Values in the case's dtype whose rows (last axis) are never all zero."""
    v = c.raw(*shape)
    zero = ~np.any(v != 0, axis=-1)
    v[zero, 0] = 1.0
    return c.cast(v * scale)


@generator(D=(1, 8), edges={"one_feature": {"D": 1}, "parallel": {}, "opposite": {}, "large_values": {},
                            "wide": {"D": 8}})
def vector_pair(c):
    """z_i, z_j (D,); parallel: z_j = 2 z_i (similarity 1); opposite: z_j = -z_i; large values ~1e4."""
    z_i = directions(c, c.D, scale=1e4 if c.edge == "large_values" else 1.0)
    z_j = {"parallel": 2 * z_i, "opposite": -z_i}.get(c.edge)
    return dict(z_i=z_i, z_j=directions(c, c.D) if z_j is None else z_j), {}


def _views(c):
    left = directions(c, c.N, c.D, scale=1e3 if c.edge == "large_values" else 1.0)
    if c.edge == "identical_views":
        right = left.copy()
    elif c.edge == "parallel_views":
        right = c.cast(3 * left.astype(np.float64))
    else:
        right = directions(c, c.N, c.D)
    return left, right


VIEW_EDGES = {"one_pair": {"N": 1}, "one_feature": {"D": 1}, "identical_views": {}, "parallel_views": {},
              "large_values": {}, "many_samples": {"N": 8}}


@generator(N=(1, 8), D=(1, 8), edges=VIEW_EDGES)
def view_pairs(c):
    """out_left, out_right (N, D): the two augmented views of N samples."""
    left, right = _views(c)
    return dict(out_left=left, out_right=right), {}


@generator(M=(1, 12), D=(1, 8), edges={"one_row": {"M": 1}, "one_feature": {"D": 1}, "repeated_rows": {},
                                       "large_values": {}})
def stacked(c):
    """out (M, D), the 2N stacked views; repeated_rows: the second half repeats the first."""
    out = directions(c, c.M, c.D, scale=1e3 if c.edge == "large_values" else 1.0)
    if c.edge == "repeated_rows":
        out[c.M // 2:2 * (c.M // 2)] = out[:c.M // 2]
    return dict(out=out), {}


@generator(N=(1, 8), D=(1, 8), tau=(0, len(TAUS) - 1), edges={
    **VIEW_EDGES, "small_tau": {}, "unit_tau": {"tau": 3}, "cold": {"tau": 0}})
def views(c):
    """out_left, out_right (N, D) and the temperature tau (0.05 to 2); small_tau: 0.01, where
    exp(1 / tau) = e^100 overflows float32 (extreme)."""
    left, right = _views(c)
    tau = 0.01 if c.edge == "small_tau" else TAUS[c.tau]
    if c.edge == "small_tau":
        c.extreme = True
        c.note = "tau = 0.01: exp(s / tau) reaches e^100, beyond float32's range, unless shifted by the row max"
    return dict(out_left=left, out_right=right, tau=tau), {}


ROWS = [
    forward("sim(z_i, z_j) -> s", vector_pair, "contrastive:sim"),
    forward("sim_positive_pairs(out_left, out_right) -> pos_pairs", view_pairs, "contrastive:sim_positive_pairs"),
    forward("compute_sim_matrix(out) -> sim_matrix", stacked, "contrastive:compute_sim_matrix"),
    forward("simclr_loss_naive(out_left, out_right, tau) -> loss, dout_left, dout_right", views,
            "contrastive:simclr_loss"),
    forward("simclr_loss_vectorized(out_left, out_right, tau) -> loss, dout_left, dout_right", views,
            "contrastive:simclr_loss"),
]
