"""SimCLR's contrastive loss (CS231n assignment 3, ``simclr/contrastive_loss.py``): cosine
similarities and the NT-Xent loss of Chen et al. 2020, "A Simple Framework for Contrastive
Learning of Visual Representations", eq. 1.

The two views of N samples, ``out_left`` and ``out_right`` (N, D), stack into z (2N, D); sample
k's positive is k + N (and k + N's is k). With s(i, j) = z_i . z_j / (|z_i| |z_j|),

    l(i, j) = -log( exp(s(i, j) / tau) / sum_{k != i} exp(s(i, k) / tau) )
    L = 1 / (2N) * sum_k [ l(k, k + N) + l(k + N, k) ]

The loss returns ``(loss, dout_left, dout_right)`` (CS231n's torch functions return the loss
alone and leave the gradients to autograd; the verifier takes them so for that course). A zero
vector has no direction: its similarities are 0 / 0 = NaN, as the formula (torch's
``F.cosine_similarity`` clamps the norms instead). torch has no built-in NT-Xent loss.
"""
import numpy as np

from . import _validate as v
from .activations import working_dtypes


def _rows(name, a, ndim=2):
    """Vectors (the rows of a 2-D array, or one 1-D array) with at least one feature: an empty
    vector has no direction."""
    a = v.floats(name, a, ndim=ndim)
    if a.shape[-1] == 0 or (ndim == 2 and a.shape[0] == 0):
        raise ValueError(f"{name} must have at least one {'row and one ' if ndim == 2 else ''}feature, "
                         f"got shape {a.shape}")
    return a


def _pair(out_left, out_right):
    out_left = _rows("out_left", out_left)
    out_right = _rows("out_right", v.floats("out_right", out_right))
    v.shape("out_right", out_right, out_left.shape, f" (one positive per row of out_left {out_left.shape})")
    return out_left, out_right


def _cosines(a, b):
    """Row-wise similarities of a (M, D) and b (K, D): (M, K)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return (a @ b.T) / (np.linalg.norm(a, axis=1)[:, None] * np.linalg.norm(b, axis=1)[None, :])


@v.float16_as_float32
def sim(z_i, z_j):
    """The normalized dot product z_i . z_j / (|z_i| |z_j|) of two vectors (D,): a scalar of their
    dtype. torch: ``F.cosine_similarity(z_i, z_j, dim=0)`` (which clamps the norms at eps)."""
    z_i = _rows("z_i", z_i, ndim=1)
    z_j = v.floats("z_j", z_j, ndim=1)
    v.shape("z_j", z_j, z_i.shape, f" (the size of z_i {z_i.shape})")
    out_dtype, work = working_dtypes(z_i, z_j)
    value = _cosines(z_i.astype(work, copy=False)[None], z_j.astype(work, copy=False)[None])[0, 0]
    return out_dtype.type(value)


@v.float16_as_float32
def sim_positive_pairs(out_left, out_right):
    """s(out_left[k], out_right[k]) for every row k: (N, 1), as CS231n's (keepdims)."""
    out_left, out_right = _pair(out_left, out_right)
    out_dtype, work = working_dtypes(out_left, out_right)
    a, b = out_left.astype(work, copy=False), out_right.astype(work, copy=False)
    with np.errstate(invalid="ignore", divide="ignore"):
        pairs = (a * b).sum(axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))
    return pairs[:, None].astype(out_dtype, copy=False)


@v.float16_as_float32
def compute_sim_matrix(out):
    """s(out[i], out[j]) for every pair of rows of out (M, D): (M, M), symmetric."""
    out = _rows("out", out)
    out_dtype, work = working_dtypes(out)
    a = out.astype(work, copy=False)
    return _cosines(a, a).astype(out_dtype, copy=False)


def _nt_xent(out_left, out_right, tau):
    """(loss, dout_left, dout_right) of the module docstring's formula, with log-sum-exp over each
    row's other samples (so a small tau does not overflow exp)."""
    out_left, out_right = _pair(out_left, out_right)
    tau = v.number("tau", tau, 0, None, low_open=True)
    out_dtype, work = working_dtypes(out_left, out_right)
    x = np.concatenate([out_left, out_right]).astype(work, copy=False)
    n2, n = len(x), len(out_left)
    with np.errstate(invalid="ignore", divide="ignore"):
        norms = np.linalg.norm(x, axis=1, keepdims=True)
        z = x / norms
    logits = (z @ z.T) / tau
    others = ~np.eye(n2, dtype=bool)
    positive = np.concatenate([np.arange(n, n2), np.arange(n)])
    shifted = logits - np.max(logits, axis=1, where=others, initial=-np.inf, keepdims=True)
    exp = np.where(others, np.exp(np.where(others, shifted, 0)), 0)
    total = exp.sum(axis=1, keepdims=True)
    rows = np.arange(n2)
    loss = (np.log(total[:, 0]) - shifted[rows, positive]).sum() / n2
    g = exp / total
    g[rows, positive] -= 1
    g /= n2
    dz = (g + g.T) @ z / tau
    with np.errstate(invalid="ignore", divide="ignore"):
        dx = (dz - z * (z * dz).sum(axis=1, keepdims=True)) / norms
    dx = dx.astype(out_dtype, copy=False)
    return out_dtype.type(loss), dx[:n], dx[n:]


@v.float16_as_float32
def simclr_loss_naive(out_left, out_right, tau):
    """The NT-Xent loss of the module docstring (CS231n writes it as a loop over the positive
    pairs): ``(loss, dout_left, dout_right)``; out_left, out_right (N, D), tau > 0."""
    return _nt_xent(out_left, out_right, tau)


@v.float16_as_float32
def simclr_loss_vectorized(out_left, out_right, tau):
    """As simclr_loss_naive, without loops (CS231n's vectorized version; its ``device`` argument,
    where the mask is built, is torch's concern, not the contract's)."""
    return _nt_xent(out_left, out_right, tau)
