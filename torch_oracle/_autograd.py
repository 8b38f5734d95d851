"""Helpers for the adapters: NumPy in, float64 torch, NumPy float64 out."""
import numpy as np
import torch


def tensor(a, grad=False):
    """A float64 copy of ``a`` (float32 inputs upcast exactly)."""
    return torch.tensor(np.asarray(a, dtype=np.float64), requires_grad=grad)


def labels(y):
    return torch.as_tensor(np.asarray(y, dtype=np.int64))


def numpy(t):
    return t.detach().numpy().copy()


def autograd(fn, inputs, outs, douts=None):
    """Run ``fn(**leaves)`` on float64 copies of ``inputs`` and backpropagate.

    ``outs`` names fn's results; ``douts`` are the upstream gradients, one per result (a scalar
    loss needs none). Returns the results under their names and each input's gradient as
    ``"d" + name``.
    """
    leaves = {k: tensor(a, grad=True) for k, a in inputs.items()}
    results = fn(**leaves)
    results = results if isinstance(results, tuple) else (results,)
    grad_outputs = None if douts is None else [tensor(d) for d in douts]
    grads = torch.autograd.grad(results, list(leaves.values()), grad_outputs=grad_outputs,
                                allow_unused=True)
    expected = {name: numpy(r) for name, r in zip(outs, results)}
    for (k, leaf), g in zip(leaves.items(), grads):
        expected["d" + k] = numpy(g) if g is not None else np.zeros(leaf.shape)
    return expected


def as_dparams(expected, names):
    """autograd's gradients of a dict argument's entries, ``"d" + name``, renamed as the contract
    judges them: ``dparams['name']``."""
    return {(f"dparams['{k[1:]}']" if k[1:] in names else k): a for k, a in expected.items()}
