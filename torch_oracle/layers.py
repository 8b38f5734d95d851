"""Oracles for the fully connected layers, ReLU, the losses, batch normalization and dropout.

Each adapter takes the contract's arguments plus the upstream gradients and returns float64
expected values: the outputs under the contract's names, each input's gradient as ``d<name>``,
and state that the contract keeps in a dict as ``<dict>['<key>']``.
"""
import math

import numpy as np
import torch
import torch.nn.functional as F

from ._autograd import autograd, labels, numpy, tensor
from .views import Lenient


def affine(x, w, b, dout):
    """``F.linear(x.reshape(N, D), w.T, b)``: torch's weight is (M, D), the contract's w is (D, M)
    (D spelled out: reshape cannot infer -1 for an empty batch)."""
    return autograd(lambda x, w, b: F.linear(x.reshape(x.shape[0], math.prod(x.shape[1:])), w.T, b),
                    dict(x=x, w=w, b=b), ("out",), (dout,))


RELU_AT_ZERO = ("relu_backward passes the gradient where x is exactly 0 (mask x >= 0); torch and refimpl "
                "give 0 there, and any value in [0, 1] is a valid subgradient at the kink")


def relu(x, dout):
    """``F.relu``; its gradient at exactly 0 is 0. A dx that passes dout where x is exactly 0 (mask
    ``x >= 0``) is accepted with a warning: any value in [0, 1] is a subgradient there."""
    expected = autograd(lambda x: F.relu(x), dict(x=x), ("out",), (dout,))
    at_zero = np.where(np.asarray(x) >= 0, np.asarray(dout, dtype=np.float64), 0.0)
    expected["dx"] = Lenient(expected["dx"], at_zero, RELU_AT_ZERO)
    return expected


def softmax_loss(x, y):
    """``F.cross_entropy(x, y)`` (mean over N)."""
    return autograd(lambda x: F.cross_entropy(x, labels(y)), dict(x=x), ("loss",))


def svm_loss(x, y):
    """``F.multi_margin_loss(x, y, margin=1) * C``: torch also divides by the number of classes."""
    c = np.shape(x)[1]
    return autograd(lambda x: F.multi_margin_loss(x, labels(y), margin=1.0) * c, dict(x=x), ("loss",))


def batchnorm(x, gamma, beta, bn_param, dout):
    """``torch.batch_norm`` (the op under ``F.batch_norm``, which refuses one sample per channel in
    training; the op itself does not). Converted: the contract's momentum weights the old running
    value (torch's momentum is 1 - momentum) and running_var takes the biased batch variance
    (torch: unbiased), so the running statistics are computed here from torch.mean/torch.var.
    Works for (N, D) and, per channel, for (N, C, H, W).
    """
    expected = autograd(lambda x, gamma, beta: batch_norm(x, gamma, beta, bn_param),
                        dict(x=x, gamma=gamma, beta=beta), ("out",), (dout,))
    expected.update(running_statistics(tensor(x), bn_param))
    return expected


def batch_norm(x, gamma, beta, bn_param):
    """``torch.batch_norm`` of float64 tensors in bn_param's mode (test mode: its running
    statistics, zeros by default)."""
    training = bn_param["mode"] == "train"
    channels = x.shape[1]
    running_mean = tensor(bn_param.get("running_mean", np.zeros(channels)))
    running_var = tensor(bn_param.get("running_var", np.zeros(channels)))
    return torch.batch_norm(x, gamma, beta, None if training else running_mean, None if training else running_var,
                            training, 0.0, bn_param.get("eps", 1e-5), False)


def running_statistics(x, bn_param):
    """The contract's ``bn_param['running_mean']`` and ``['running_var']`` after a forward on the
    float64 tensor x (see batchnorm); none in test mode without state given."""
    training = bn_param["mode"] == "train"
    momentum, channels = bn_param.get("momentum", 0.9), x.shape[1]
    running_mean = tensor(bn_param.get("running_mean", np.zeros(channels)))
    running_var = tensor(bn_param.get("running_var", np.zeros(channels)))
    if training:
        per_channel = x.detach().transpose(0, 1).reshape(channels, -1)
        running_mean = momentum * running_mean + (1 - momentum) * per_channel.mean(1)
        running_var = momentum * running_var + (1 - momentum) * per_channel.var(1, unbiased=False)
    elif "running_mean" not in bn_param:
        return {}  # test mode leaves the state alone; nothing to judge when none was given
    return {"bn_param['running_mean']": numpy(running_mean), "bn_param['running_var']": numpy(running_var)}


def _kept(out, x):
    """The implementation's keep mask, read off its output (x holds no zeros)."""
    out = np.asarray(out)
    return out != 0 if out.shape == np.shape(x) else np.ones(np.shape(x), bool)


def dropout(x, dropout_param, dout):
    """Inverted dropout, judged on the implementation's own mask (torch's random stream cannot be
    shared): a kept element must be x / p (the contract's p keeps; torch's p drops), a dropped one
    0; dx is dout / p where kept. With a seed, a second call must give the same output; on large
    inputs the kept fraction must be p (within the keep_rate tolerance). Test mode: the identity.
    """
    p, mode = dropout_param["p"], dropout_param["mode"]
    if mode == "test":
        return {"out": tensor(x).numpy(), "dx": tensor(dout).numpy(), "forward out": tensor(x).numpy()}
    scaled_x, scaled_dout = numpy(tensor(x) / p), numpy(tensor(dout) / p)
    expected = {
        "out": lambda a: (a["out"], np.where(_kept(a["out"], x), scaled_x, 0.0)),
        "dx": lambda a: (a["dx"], np.where(_kept(a["forward out"], x), scaled_dout, 0.0)),
    }
    if "seed" in dropout_param:
        expected["out_again"] = lambda a: (a["out_again"], a["out"])
    if np.size(x) >= 100_000:
        expected["keep_rate"] = lambda a: (np.mean(_kept(a["out"], x)), p)
    return expected


def layernorm(x, gamma, beta, ln_param, dout):
    """``F.layer_norm(x, (D,), gamma, beta, eps)``."""
    eps = (ln_param or {}).get("eps", 1e-5)  # None: the defaults, as refimpl
    return autograd(lambda x, gamma, beta: F.layer_norm(x, x.shape[1:], gamma, beta, eps),
                    dict(x=x, gamma=gamma, beta=beta), ("out",), (dout,))


def groupnorm(x, gamma, beta, G, gn_param, dout):
    """``torch.group_norm`` (the op under ``F.group_norm``, which refuses groups of one value; the
    op itself does not); the contract's gamma and beta are (1, C, 1, 1), torch's (C,), so their
    gradients come back in the contract's shape. G may be a whole float (2.0): passed as an int."""
    eps = (gn_param or {}).get("eps", 1e-5)
    G = int(G)
    return autograd(lambda x, gamma, beta: torch.group_norm(x, G, gamma.reshape(-1), beta.reshape(-1), eps, False),
                    dict(x=x, gamma=gamma, beta=beta), ("out",), (dout,))


def embedding(x, W, dout):
    """``F.embedding(x, W)``: repeated words accumulate into dW."""
    return autograd(lambda W: F.embedding(labels(x), W), dict(W=W), ("out",), (dout,))


def temporal_affine(x, w, b, dout):
    """``F.linear(x, w.T, b)`` on (N, T, D)."""
    return autograd(lambda x, w, b: F.linear(x, w.T, b), dict(x=x, w=w, b=b), ("out",), (dout,))


def temporal_softmax_loss(x, y, mask):
    """``(F.cross_entropy(x, y, reduction='none') * mask).sum() / N`` over the flattened steps."""
    n, t, v = np.shape(x)
    keep = tensor(np.asarray(mask, dtype=np.float64).reshape(-1))
    return autograd(lambda x: (F.cross_entropy(x.reshape(-1, v), labels(y).reshape(-1), reduction="none")
                               * keep).sum() / n, dict(x=x), ("loss",))
