"""Mutants of SimCLR's contrastive loss: the classic mistakes of CS231n's contrastive_loss.py (the
sample itself left in its denominator, the mean over N pairs instead of 2N samples, plain dot
products for similarities, tau multiplied in) and of its similarity helpers. The gradients are
those of the mistaken loss (what autograd gives a student who made it)."""
import numpy as np

import refimpl
from . import mutant


def _nt_xent(out_left, out_right, tau, keep_self=False, pairs=False, normalize=True, times_tau=False):
    """The loss and its gradients with one mistake: ``keep_self`` sums exp over every sample,
    itself included; ``pairs`` divides by N; ``normalize=False`` uses dot products; ``times_tau``
    multiplies the similarities by tau."""
    left, right = np.asarray(out_left), np.asarray(out_right)
    dtype = np.result_type(left, right)
    x = np.concatenate([left, right]).astype(np.float64)
    n2, n = len(x), len(left)
    norms = np.linalg.norm(x, axis=1, keepdims=True) if normalize else np.ones((n2, 1))
    z = x / norms
    scale = tau if times_tau else 1 / tau
    logits = z @ z.T * scale
    allowed = np.ones((n2, n2), bool) if keep_self else ~np.eye(n2, dtype=bool)
    shifted = np.where(allowed, logits - np.max(np.where(allowed, logits, -np.inf), axis=1, keepdims=True), -np.inf)
    exp = np.exp(shifted)
    total = exp.sum(axis=1, keepdims=True)
    positive, rows = np.concatenate([np.arange(n, n2), np.arange(n)]), np.arange(n2)
    count = n if pairs else n2
    loss = (np.log(total[:, 0]) - shifted[rows, positive]).sum() / count
    g = exp / total
    g[rows, positive] -= 1
    dz = (g + g.T) @ z * scale / count
    dx = (dz - z * (z * dz).sum(axis=1, keepdims=True)) / norms if normalize else dz
    dx = dx.astype(dtype)
    return dtype.type(loss), dx[:n], dx[n:]


LOSS_MISTAKES = {
    "self_in_denominator": (dict(keep_self=True), "The denominator includes the sample itself (k = i, exp(1 / tau)); "
                                                  "sum exp(s / tau) over the 2N - 1 other samples only."),
    "mean_over_pairs": (dict(pairs=True), "The loss is divided by N, the number of pairs; it is the mean over all "
                                          "2N augmented samples (l(k, k+N) + l(k+N, k), summed over k, over 2N)."),
    "dot_products": (dict(normalize=False), "The similarities are plain dot products: divide z_i . z_j by "
                                            "|z_i| |z_j| (cosine similarity) before the temperature."),
    "times_tau": (dict(times_tau=True), "The similarities are multiplied by tau; the temperature divides: "
                                        "exp(s / tau)."),
}

# the loop's classic mistakes on the naive loss, the matrix form's on the vectorized one (each mutant
# costs the suite a full check of its function: not every mistake on both)
ON = {"simclr_loss_naive": ("self_in_denominator", "mean_over_pairs", "times_tau"),
      "simclr_loss_vectorized": ("self_in_denominator", "dot_products")}

for _target, _names in ON.items():
    for _name in _names:
        _kwargs, _hint = LOSS_MISTAKES[_name]
        def _fn(out_left, out_right, tau, _kwargs=_kwargs):
            return _nt_xent(out_left, out_right, tau, **_kwargs)
        _fn.__name__ = f"{_target.replace('simclr_loss_', 'simclr_')}_{_name}"
        mutant(_target, _hint)(_fn)


@mutant("sim", "Only one vector's norm divides the dot product: s = z_i . z_j / (|z_i| |z_j|).")
def sim_one_norm(z_i, z_j):
    z_i, z_j = np.asarray(z_i), np.asarray(z_j)
    return (z_i @ z_j / np.linalg.norm(z_i)).astype(np.result_type(z_i, z_j))


@mutant("sim", "The dot product is divided by |z_i|^2 |z_j|^2 (squared norms); divide by |z_i| |z_j|.")
def sim_squared_norms(z_i, z_j):
    z_i, z_j = np.asarray(z_i), np.asarray(z_j)
    return (z_i @ z_j / (z_i @ z_i * (z_j @ z_j))).astype(np.result_type(z_i, z_j))


@mutant("compute_sim_matrix", "The matrix holds plain dot products out @ out.T: divide each entry by both "
                              "rows' norms (norms[:, None] * norms[None, :]).")
def sim_matrix_unnormalized(out):
    out = np.asarray(out)
    return out @ out.T


@mutant("sim_positive_pairs", "Each pair's dot product is divided by the product of the two matrices' overall "
                              "norms; divide row k by |out_left[k]| |out_right[k]|.")
def sim_positive_pairs_global_norms(out_left, out_right):
    a, b = np.asarray(out_left), np.asarray(out_right)
    return ((a * b).sum(axis=1) / (np.linalg.norm(a) * np.linalg.norm(b)))[:, None].astype(np.result_type(a, b))


_ = refimpl  # the mutants replace refimpl's functions of these names (refcheck.mutants)
