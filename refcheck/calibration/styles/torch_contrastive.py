"""SimCLR's contrastive loss as CS231n 2025 has students write it (transcribed from the formula,
not copied): torch in the inputs' own dtype (float32 stays float32), the naive loss a loop over
the positive pairs whose denominators add exp(s / tau) without a max-shift, the vectorized one
through the similarity matrix with the diagonal masked out; gradients by autograd. Without the
shift, exp(1 / tau) overflows float32 at tau = 0.01 (the extreme small_tau case): the contract's
warning there, nothing else."""
import numpy as np
import torch

torch.set_num_threads(1)

EXTREME = ("non-finite on extreme inputs",)
WARNINGS = {"simclr_loss_naive": EXTREME, "simclr_loss_vectorized": EXTREME}


def _t(a, grad=False):
    return torch.tensor(np.asarray(a), requires_grad=grad)


def _sim(z_i, z_j):
    return torch.dot(z_i, z_j) / (torch.linalg.norm(z_i) * torch.linalg.norm(z_j))


def sim(z_i, z_j):
    return _sim(_t(z_i), _t(z_j)).numpy()


def _positive_pairs(left, right):
    return ((left * right).sum(dim=1) / (torch.linalg.norm(left, dim=1) * torch.linalg.norm(right, dim=1)))[:, None]


def sim_positive_pairs(out_left, out_right):
    return _positive_pairs(_t(out_left), _t(out_right)).numpy()


def _matrix(out):
    norms = torch.linalg.norm(out, dim=1)
    return (out @ out.T) / (norms[:, None] * norms[None, :])


def compute_sim_matrix(out):
    return _matrix(_t(out)).numpy()


def _with_gradients(loss_fn, out_left, out_right, tau):
    left, right = _t(out_left, True), _t(out_right, True)
    loss = loss_fn(left, right, tau)
    dleft, dright = torch.autograd.grad(loss, (left, right))
    return loss.detach().numpy(), dleft.numpy(), dright.numpy()


def _naive(left, right, tau):
    n = left.shape[0]
    out = torch.cat([left, right])
    total = 0
    for k in range(n):
        for a, b in ((k, k + n), (k + n, k)):
            denominator = sum(torch.exp(_sim(out[a], out[i]) / tau) for i in range(2 * n) if i != a)
            total = total - torch.log(torch.exp(_sim(out[a], out[b]) / tau) / denominator)
    return total / (2 * n)


def _vectorized(left, right, tau):
    n = left.shape[0]
    exponential = torch.exp(_matrix(torch.cat([left, right])) / tau)
    mask = ~torch.eye(2 * n, dtype=torch.bool)
    denominator = exponential.masked_select(mask).view(2 * n, -1).sum(dim=1, keepdim=True)
    numerator = torch.exp(_positive_pairs(left, right) / tau).repeat(2, 1)
    return -torch.log(numerator / denominator).sum() / (2 * n)


def simclr_loss_naive(out_left, out_right, tau):
    return _with_gradients(_naive, out_left, out_right, tau)


def simclr_loss_vectorized(out_left, out_right, tau):
    return _with_gradients(_vectorized, out_left, out_right, tau)
