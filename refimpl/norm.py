"""Normalization layers: batch, layer, spatial batch and group normalization (CS231n ``layers.py``).

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


@v.float16_as_float32
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
    bn_param = v.params("bn_param", bn_param, required=True)
    mode = v.choice("bn_param['mode']", bn_param.get("mode"), {"train", "test"})
    eps = v.positive("bn_param['eps']", bn_param.get("eps", 1e-5))
    momentum = v.number("bn_param['momentum']", bn_param.get("momentum", 0.9))
    running_mean = _param_vector(
        "bn_param['running_mean']", bn_param.get("running_mean", np.zeros(d, x.dtype)), d)
    running_var = _param_vector(
        "bn_param['running_var']", bn_param.get("running_var", np.zeros(d, x.dtype)), d)
    # float16 state is read in float32, as float16 inputs are computed: std = sqrt(var + eps) and
    # momentum * running must not round to float16 on the way
    running_mean, running_var = (r.astype(np.float32) if r.dtype == np.float16 else r
                                 for r in (running_mean, running_var))

    if mode == "train":
        if n == 0:
            raise ValueError(f"x must hold at least one sample in train mode, got shape {x.shape}")
        mean = x.mean(axis=0)
        xc = x - mean
        var = np.einsum("ij,ij->j", xc, xc) / n  # the biased variance, from the centred x
        bn_param["running_mean"] = momentum * running_mean + (1 - momentum) * mean
        bn_param["running_var"] = momentum * running_var + (1 - momentum) * var
    else:
        xc = x - running_mean
        var = running_var
    std = np.sqrt(var + eps)
    # out = gamma * xhat + beta with xhat = xc / std, the division folded into gamma
    out = xc * (gamma / std)
    out += beta
    return out, (mode, xc, std, gamma)


@v.float16_as_float32
def batchnorm_backward(dout, cache):
    """Gradients of batchnorm_forward, stage by stage through its computation graph.

    Returns dx (N, D), dgamma (D,), dbeta (D,). Also handles test mode (fixed statistics).
    """
    mode, xc, std, gamma = cache
    dout = v.floats("dout", dout)
    v.shape("dout", dout, xc.shape, " (the forward's output)")
    xhat = xc / std
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


@v.float16_as_float32
def batchnorm_backward_alt(dout, cache):
    """Gradients of batchnorm_forward in closed form:
    ``dx = (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat)) / std`` with ``dxhat = dout * gamma``;
    since gamma is constant down each column, ``sum(dxhat) = gamma * dbeta`` and
    ``sum(dxhat * xhat) = gamma * dgamma``, so ``dx = gamma / std * (dout - (dbeta + xhat * dgamma) / N)``;
    xhat = xc / std is never formed: the division rides on per-column factors.
    """
    mode, xc, std, gamma = cache
    dout = v.floats("dout", dout)
    v.shape("dout", dout, xc.shape, " (the forward's output)")
    dbeta = dout.sum(axis=0)
    dgamma = np.einsum("ij,ij->j", dout, xc) / std
    if mode == "test":
        return dout * (gamma / std), dgamma, dbeta
    n = xc.shape[0]
    dx = xc * (dgamma / (n * std))
    dx += dbeta / n
    np.subtract(dout, dx, out=dx)
    dx *= gamma / std
    return dx, dgamma, dbeta


@v.float16_as_float32
def layernorm_forward(x, gamma, beta, ln_param):
    """Layer normalization of x (N, D): each row normalized over its D features; gamma, beta (D,).

    ln_param: 'eps' (1e-5), or None for the defaults. No running statistics; train and test behave the same.
    torch: ``F.layer_norm(x, (D,), gamma, beta, eps)``.
    """
    x = v.floats("x", x, ndim=2)
    d = x.shape[1]
    gamma, beta = _param_vector("gamma", gamma, d), _param_vector("beta", beta, d)
    eps = v.positive("ln_param['eps']", v.params("ln_param", ln_param).get("eps", 1e-5))
    std = np.sqrt(x.var(axis=1, keepdims=True) + eps)
    xhat = (x - x.mean(axis=1, keepdims=True)) / std
    return gamma * xhat + beta, (xhat, gamma, std)


@v.float16_as_float32
def layernorm_backward(dout, cache):
    """Gradients of layernorm_forward: dx (N, D), dgamma (D,), dbeta (D,)."""
    xhat, gamma, std = cache
    dout = v.floats("dout", dout)
    v.shape("dout", dout, xhat.shape, " (the forward's output)")
    dx = _normalize_backward(dout * gamma, xhat, 1 / std, axis=1)
    return dx, (dout * xhat).sum(axis=0), dout.sum(axis=0)


def _channels_last(x):
    """(N, C, H, W) -> (N*H*W, C): one row per pixel, one column per channel."""
    return x.transpose(0, 2, 3, 1).reshape(-1, x.shape[1])


def _channels_first(rows, shape):
    n, c, h, w = shape
    return rows.reshape(n, h, w, c).transpose(0, 3, 1, 2)


@v.float16_as_float32
def spatial_batchnorm_forward(x, gamma, beta, bn_param):
    """Batch normalization of x (N, C, H, W) per channel, over N, H and W; gamma, beta (C,).

    bn_param as batchnorm_forward (the running statistics have one entry per channel).
    torch: ``F.batch_norm`` on the 4-D input, with batchnorm_forward's conversions.
    """
    x = v.floats("x", x, ndim=4)
    out, cache = batchnorm_forward(_channels_last(x), gamma, beta, bn_param)
    return _channels_first(out, x.shape), (x.shape, cache)


@v.float16_as_float32
def spatial_batchnorm_backward(dout, cache):
    """Gradients of spatial_batchnorm_forward: dx (N, C, H, W), dgamma (C,), dbeta (C,)."""
    shape, bn_cache = cache
    dout = v.floats("dout", dout, ndim=4)
    v.shape("dout", dout, shape, " (the forward's output)")
    dx, dgamma, dbeta = batchnorm_backward_alt(_channels_last(dout), bn_cache)
    return _channels_first(dx, shape), dgamma, dbeta


def _groups(a, G):
    """(N, C, H, W) -> (N, G, C/G * H * W), also for N = 0 (where reshape cannot infer -1)."""
    n, c, h, w = a.shape
    return a.reshape(n, G, c // G * h * w)


@v.float16_as_float32
def spatial_groupnorm_forward(x, gamma, beta, G, gn_param):
    """Group normalization of x (N, C, H, W): the C channels split into G groups of C/G, each
    sample's group normalized over its channels and pixels; gamma, beta (1, C, 1, 1) per channel.

    gn_param: 'eps' (1e-5), or None for the defaults. torch: ``F.group_norm(x, G, gamma.ravel(), beta.ravel(), eps)``.
    """
    x = v.floats("x", x, ndim=4)
    n, c, h, w = x.shape
    G = v.whole("G", G, minimum=1)
    if c % G:
        raise ValueError(f"G must be a positive divisor of the {c} channels of x {x.shape}, got {G!r}")
    gamma, beta = v.floats("gamma", gamma), v.floats("beta", beta)
    v.shape("gamma", gamma, (1, c, 1, 1), " (one entry per channel)")
    v.shape("beta", beta, (1, c, 1, 1), " (one entry per channel)")
    eps = v.positive("gn_param['eps']", v.params("gn_param", gn_param).get("eps", 1e-5))
    xg = _groups(x, G)
    std = np.sqrt(xg.var(axis=2, keepdims=True) + eps)
    xhat = ((xg - xg.mean(axis=2, keepdims=True)) / std).reshape(x.shape)
    return gamma * xhat + beta, (xhat, gamma, std, G)


@v.float16_as_float32
def spatial_groupnorm_backward(dout, cache):
    """Gradients of spatial_groupnorm_forward: dx (N, C, H, W), dgamma and dbeta (1, C, 1, 1)."""
    xhat, gamma, std, G = cache
    dout = v.floats("dout", dout, ndim=4)
    v.shape("dout", dout, xhat.shape, " (the forward's output)")
    dx = _normalize_backward(_groups(dout * gamma, G), _groups(xhat, G), 1 / std, axis=2)
    dgamma = (dout * xhat).sum(axis=(0, 2, 3), keepdims=True)
    return dx.reshape(xhat.shape), dgamma, dout.sum(axis=(0, 2, 3), keepdims=True)
