"""Normalization layers: batch normalization (CS231n ``layers.py``).

Conventions that differ from torch (the oracle adapter converts them):
- ``momentum`` weights the OLD running value: ``running = momentum * running + (1 - momentum) * batch``
  (torch's ``momentum`` is ``1 - momentum`` here);
- ``running_var`` is updated with the biased batch variance (torch uses the unbiased one).
"""
import numpy as np

from . import _validate as v


def _param_vector(name, a, d):
    a = v.floats(name, a, ndim=1)
    v.shape(name, a, (d,), " (one entry per feature)")
    return a


def _normalize_backward(dxhat, xhat, inv_std, axis):
    """dx of ``xhat = (x - mean) * inv_std`` with mean and variance taken over ``axis``."""
    return inv_std * (dxhat - dxhat.mean(axis=axis, keepdims=True)
                      - xhat * (dxhat * xhat).mean(axis=axis, keepdims=True))


def batchnorm_forward(x, gamma, beta, bn_param):
    """Batch normalization of x (N, D) over the batch axis; returns (out, cache).

    bn_param: 'mode' 'train' | 'test' (required), 'eps' (1e-5), 'momentum' (0.9), 'running_mean'
    and 'running_var' (zeros(D) when absent). In train mode the batch statistics normalize x and
    new running statistics are stored in bn_param (new arrays; the old ones are not modified);
    test mode normalizes with the running statistics.
    """
    x = v.floats("x", x, ndim=2)
    n, d = x.shape
    gamma = _param_vector("gamma", gamma, d)
    beta = _param_vector("beta", beta, d)
    mode = v.choice("bn_param['mode']", bn_param.get("mode"), {"train", "test"})
    eps = v.positive("bn_param['eps']", bn_param.get("eps", 1e-5))
    momentum = bn_param.get("momentum", 0.9)
    running_mean = _param_vector(
        "bn_param['running_mean']", bn_param.get("running_mean", np.zeros(d, x.dtype)), d)
    running_var = _param_vector(
        "bn_param['running_var']", bn_param.get("running_var", np.zeros(d, x.dtype)), d)

    if mode == "train":
        if n == 0:
            raise ValueError(f"x must hold at least one sample in train mode, got shape {x.shape}")
        mean = x.mean(axis=0)
        var = x.var(axis=0)
        bn_param["running_mean"] = momentum * running_mean + (1 - momentum) * mean
        bn_param["running_var"] = momentum * running_var + (1 - momentum) * var
    else:
        mean, var = running_mean, running_var
    xc = x - mean
    std = np.sqrt(var + eps)
    xhat = xc / std
    out = gamma * xhat + beta
    return out, (mode, xc, std, xhat, gamma)


def batchnorm_backward(dout, cache):
    """Gradients of batchnorm_forward, stage by stage through its computation graph.

    Returns dx (N, D), dgamma (D,), dbeta (D,). Also handles test mode (fixed statistics).
    """
    mode, xc, std, xhat, gamma = cache
    dout = v.floats("dout", dout)
    v.shape("dout", dout, xhat.shape, " (the forward's output)")
    dbeta = dout.sum(axis=0)
    dgamma = (dout * xhat).sum(axis=0)
    dxhat = dout * gamma
    if mode == "test":
        return dxhat / std, dgamma, dbeta
    n = xc.shape[0]
    # xhat = xc / std, std = sqrt(var + eps), var = mean(xc**2), xc = x - mean(x)
    dstd = -(dxhat * xc).sum(axis=0) / std**2
    dvar = dstd / (2 * std)
    dxc = dxhat / std + 2 * xc * dvar / n
    dx = dxc - dxc.mean(axis=0)
    return dx, dgamma, dbeta


def batchnorm_backward_alt(dout, cache):
    """Gradients of batchnorm_forward in closed form:
    ``dx = (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat)) / std`` with ``dxhat = dout * gamma``.
    """
    mode, xc, std, xhat, gamma = cache
    dout = v.floats("dout", dout)
    v.shape("dout", dout, xhat.shape, " (the forward's output)")
    dxhat = dout * gamma
    if mode == "test":
        dx = dxhat / std
    else:
        dx = _normalize_backward(dxhat, xhat, 1 / std, axis=0)
    return dx, (dout * xhat).sum(axis=0), dout.sum(axis=0)
