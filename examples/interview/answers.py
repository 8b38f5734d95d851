"""Interview answers written with torch tensors under names of their own: a softmax cross-entropy,
an LSTM cell and pairwise distances, each only a forward (the verifier takes the gradients by
autograd through it). The pyproject.toml next to this file maps the names onto the contract's
([tool.refcheck.map]), so ``make verify IMPL=examples/interview/answers.py`` needs no flags.

The cross-entropy and the distances are right; the LSTM cell hides a classic mistake.
"""
import torch


def cross_entropy(logits, labels):
    """Mean cross-entropy of (N, C) scores, stable for large scores."""
    log_probs = logits - torch.logsumexp(logits, dim=1, keepdim=True)
    return -log_probs[torch.arange(logits.shape[0]), labels].mean()


def lstm_cell(x, h, c, Wx, Wh, b):
    """One LSTM step with weights (D, 4H), (H, 4H), (4H,) in the CS231n layout."""
    a = x @ Wx + h @ Wh + b
    i, f, g, o = a.chunk(4, dim=1)  # mistake: torch's gate order; these weights are i, f, o, g
    c_next = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
    h_next = torch.sigmoid(o) * torch.tanh(c_next)
    return h_next, c_next


def pairwise_distances(X, Y):
    """Euclidean distances between the rows of X (N, D) and Y (M, D), from the differences (so
    identical rows give exactly 0)."""
    return ((X[:, None, :] - Y[None, :, :]) ** 2).sum(-1).sqrt()
