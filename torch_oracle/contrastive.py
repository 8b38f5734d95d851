"""Oracles for SimCLR's contrastive loss (CS231n assignment 3): torch has no NT-Xent built-in, so
each is a separate torch transcription of the published formula (Chen et al. 2020, eq. 1), in
float64, gradients by autograd. The loss is ``F.cross_entropy`` over the temperature-scaled
cosine similarities of the 2N stacked views with each sample's own column removed, the target
being its other view. The similarities are the plain formula x . y / (|x| |y|), not
``F.cosine_similarity`` (which clamps each norm at eps: the same on the cases, which have no
zero vectors, but not the formula where a norm is 0)."""
import torch
import torch.nn.functional as F

from ._autograd import autograd, numpy, tensor


def _cosine(a, b):
    """(M, K) similarities of the rows of a (M, D) and b (K, D)."""
    return (a @ b.T) / (a.norm(dim=1)[:, None] * b.norm(dim=1)[None, :])


def sim(z_i, z_j):
    return {"s": numpy((tensor(z_i) @ tensor(z_j)) / (tensor(z_i).norm() * tensor(z_j).norm()))}


def sim_positive_pairs(out_left, out_right):
    a, b = tensor(out_left), tensor(out_right)
    return {"pos_pairs": numpy(((a * b).sum(dim=1) / (a.norm(dim=1) * b.norm(dim=1)))[:, None])}


def compute_sim_matrix(out):
    a = tensor(out)
    return {"sim_matrix": numpy(_cosine(a, a))}


def _nt_xent(out_left, out_right, tau):
    z = torch.cat([out_left, out_right])
    n2, n = len(z), len(out_left)
    logits = _cosine(z, z) / tau
    others = ~torch.eye(n2, dtype=torch.bool)
    without_self = logits[others].reshape(n2, n2 - 1)
    # sample k's positive k + N sits one column to the left once column k is removed (k < N)
    target = torch.cat([torch.arange(n, n2) - 1, torch.arange(n)])
    return F.cross_entropy(without_self, target)


def simclr_loss(out_left, out_right, tau):
    """The NT-Xent loss and its gradients dout_left, dout_right."""
    return autograd(lambda out_left, out_right: _nt_xent(out_left, out_right, float(tau)),
                    dict(out_left=out_left, out_right=out_right), ("loss",))
