"""Error models of refcheck.registry.contrastive: cosine similarities (a dot product over two
norms) and the NT-Xent loss (a log-sum-exp of similarities over tau, and its gradient back
through the softmax, the division by tau and the normalization)."""
import numpy as np

from ..tolerances import model
from . import _f


def _cosine_magnitudes(a, b):
    """s (M, K) and the magnitudes its rounding scales with: the dot product's sum of |products|
    and the norms', relative to |a| |b|."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    norms = np.linalg.norm(a, axis=-1)[:, None] * np.linalg.norm(b, axis=-1)[None, :]
    s = (a @ b.T) / norms
    return s, (np.abs(a) @ np.abs(b).T) / norms + 2 * np.abs(s)


@model("sim", keys=("s",),
       reason="a dot product over two norms: u times the products' magnitudes over |z_i| |z_j|, and "
              "twice |s| for the norms and the division")
def _sim(a, e, u):
    return {"s": _cosine_magnitudes(np.atleast_2d(a["z_i"]), np.atleast_2d(a["z_j"]))[1][0, 0]}


@model("sim_positive_pairs", keys=("pos_pairs",), reason="as sim, for each row's pair")
def _pairs(a, e, u):
    return {"pos_pairs": np.diagonal(_cosine_magnitudes(a["out_left"], a["out_right"])[1]).copy()[:, None]}


@model("compute_sim_matrix", keys=("sim_matrix",), reason="as sim, for every pair of rows")
def _matrix(a, e, u):
    return {"sim_matrix": _cosine_magnitudes(a["out"], a["out"])[1]}


@model("simclr_loss_naive", "simclr_loss_vectorized", keys=("loss", "dout_left", "dout_right"),
       reason="the similarities' rounding over tau enters each log-sum-exp weighted by the softmax "
              "(and the positive's in full), beside |lse| and |s / tau|; the gradient carries the "
              "softmax's error (each p's share of the rounding of s / tau) through (G + G^T) z / tau "
              "and the normalization's projection, over |x|")
def _simclr(a, e, u):
    x = np.concatenate([np.asarray(a["out_left"], np.float64), np.asarray(a["out_right"], np.float64)])
    tau = float(a["tau"])
    n2, n = len(x), len(x) // 2
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    z = x / norms
    s, m_s = _cosine_magnitudes(x, x)
    others = ~np.eye(n2, dtype=bool)
    logits = np.where(others, s / tau, -np.inf)
    lse = np.log(np.exp(logits - logits.max(1, keepdims=True)).sum(1)) + logits.max(1)
    p = np.exp(logits - lse[:, None])
    positive = np.concatenate([np.arange(n, n2), np.arange(n)])
    rows = np.arange(n2)
    onehot = np.zeros((n2, n2))
    onehot[rows, positive] = 1
    m_logits = np.where(others, m_s / tau + np.abs(s) / tau, 0)
    spread = (p * m_logits).sum(1, keepdims=True)
    loss = (np.abs(lse) + np.abs(logits[rows, positive]) + spread[:, 0] + m_logits[rows, positive]).sum() / n2
    g = np.abs(p - onehot) / n2
    m_g = (p * (1 + m_logits + spread) + onehot) / n2
    m_dz = ((m_g + m_g.T) @ np.abs(z) + (g + g.T) @ np.abs(z)) / tau
    m_dx = (m_dz + np.abs(z) * (np.abs(z) * m_dz).sum(1, keepdims=True)) / norms
    return {"loss": loss, "dout_left": m_dx[:n], "dout_right": m_dx[n:]}
