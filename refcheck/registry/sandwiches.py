"""Rows for the sandwich layers (CS231n ``layer_utils.py``; EECS 498's ``*_ReLU*`` classes)."""
import numpy as np

from ..cases import generator
from . import backward, forward
from .conv import conv
from .layers import affine, batchnorm_params


@generator(N=(1, 6), K=(1, 3), d1=(1, 4), d2=(1, 3), d3=(1, 2), M=(1, 6), test=(0, 1), custom=(0, 1), fresh=(0, 1),
           edges={"one_sample": {"N": 1, "test": 0}, "test_mode": {"test": 1, "fresh": 0}})
def affine_bn(c):
    """affine's inputs plus batch normalization's gamma, beta (M,) and bn_param (see batchnorm),
    with w drawn so that the normalization's input varies over the batch (see spread_weights)."""
    x = c.randn(c.N, *[c.d1, c.d2, c.d3][:c.K])
    x2 = x.reshape(c.N, int(np.prod(x.shape[1:]))).astype(np.float64)  # not -1: N may be 0
    w = spread_weights(c, (x2.shape[1], c.M), lambda w: x2 @ w, axes=(0,))
    return (dict(x=x, w=w, b=c.randn(c.M), gamma=c.randn(c.M), beta=c.randn(c.M), bn_param=sandwich_bn_params(c, c.M)),
            dict(dout=c.grad(c.N, c.M)))


def sandwich_bn_params(c, channels):
    """bn_param as the batchnorm rows' (see batchnorm_params), except that test mode always has
    running statistics: with the default running_var of 0 a test-mode normalization multiplies
    the layer below's rounding by 1/sqrt(eps) = 316, beyond what the layer's own inputs bound
    (the batchnorm rows, whose input is the case's own array, test that default)."""
    bn_param = batchnorm_params(c, channels)
    if bn_param["mode"] == "test" and "running_var" not in bn_param:
        bn_param.update(running_mean=c.randn(channels), running_var=c.cast(c.rng.uniform(0.5, 2, channels)))
    return bn_param


def spread_weights(c, shape, layer, axes, min_std=0.25, tries=30):
    """Weights (drawn again, up to ``tries`` times) for which every channel of ``layer(w)`` has a
    standard deviation of at least ``min_std`` over ``axes``: a train-mode batch normalization
    divides by it, and on a channel that barely varies a correct float32 computation loses
    eps * |a| / std, far more than its inputs' scale (the batchnorm rows' own inputs vary by
    construction). One value per channel (std exactly 0) is left as it is."""
    for _ in range(tries):
        w = c.randn(*shape)
        a = layer(w.astype(np.float64))
        if a.size == 0 or np.prod([a.shape[i] for i in axes]) == 1 or a.std(axis=axes).min() >= min_std:
            break
    return w


affine_bn_train = affine_bn.variant(test=(0, 0))


def _conv_case(c, bn, pool):
    """Convolution inputs as the conv rows' (H = max(1, HH - 2*pad) + dh), then the batch norm's
    gamma, beta (F,) and the pool: windows of at most 2 x 2 that fit the convolution's output.
    Simple cases add distinct thousandths to x, so that no two pooled values tie by accident.
    Under a batch normalization the padding is at most the kernel's size - 1, so that every
    window sees the input: a channel made of padding alone is constant, and its normalization
    amplifies rounding by 1/sqrt(eps)."""
    pad = min(c.pad, c.HH - 1, c.WW - 1) if bn else c.pad
    h, w = max(1, c.HH - 2 * pad) + c.dh, max(1, c.WW - 2 * pad) + c.dw
    h_out, w_out = 1 + (h + 2 * pad - c.HH) // c.stride, 1 + (w + 2 * pad - c.WW) // c.stride
    shape = (c.N, c.C, h, w)
    x = c.cast(c.raw(*shape) + (np.arange(np.prod(shape)).reshape(shape) * 1e-3 if c.simple and pool else 0))
    wshape = (c.F, c.C, c.HH, c.WW)
    weights = (spread_weights(c, wshape, lambda w: _conv(x.astype(np.float64), w, pad, c.stride), axes=(0, 2, 3))
               if bn else c.randn(*wshape))
    args = dict(x=x, w=weights, b=c.randn(c.F))
    if bn:
        args.update(gamma=c.randn(c.F), beta=c.randn(c.F))
    args["conv_param"] = {"stride": c.stride, "pad": pad}
    if bn:
        args["bn_param"] = sandwich_bn_params(c, c.F)
    if pool:
        ph, pw = min(c.ph, h_out), min(c.pw, w_out)
        args["pool_param"] = {"pool_height": ph, "pool_width": pw, "stride": c.pstride}
        h_out, w_out = 1 + (h_out - ph) // c.pstride, 1 + (w_out - pw) // c.pstride
    return args, dict(dout=c.grad(c.N, c.F, h_out, w_out))


def _conv(x, w, pad, stride):
    """The convolution (no bias) as NumPy windows, for spread_weights."""
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    windows = np.lib.stride_tricks.sliding_window_view(xp, w.shape[2:], axis=(2, 3))[:, :, ::stride, ::stride]
    return np.einsum("nchwij,fcij->nfhw", windows, w)


CONV_SIZES = dict(N=(1, 3), C=(1, 3), F=(1, 3), HH=(1, 3), WW=(1, 3), pad=(0, 1), stride=(1, 2), dh=(0, 4), dw=(0, 4))
POOL_SIZES = dict(ph=(1, 2), pw=(1, 2), pstride=(1, 2))
BN_SIZES = dict(test=(0, 1), custom=(0, 1), fresh=(0, 1))


@generator(**CONV_SIZES, **POOL_SIZES, edges={"pad_zero": {"pad": 0}, "overlap": {"ph": 2, "pw": 2, "pstride": 1},
                                             "one_sample": {"N": 1}})
def conv_pool(c):
    return _conv_case(c, bn=False, pool=True)


@generator(**CONV_SIZES, **BN_SIZES, edges={"one_sample": {"N": 1, "test": 0}, "test_mode": {"test": 1, "fresh": 0}})
def conv_bn(c):
    return _conv_case(c, bn=True, pool=False)


@generator(**CONV_SIZES, **BN_SIZES, **POOL_SIZES, edges={
    "one_sample": {"N": 1, "test": 0}, "test_mode": {"test": 1, "fresh": 0}, "overlap": {"ph": 2, "pw": 2, "pstride": 1}})
def conv_bn_pool(c):
    return _conv_case(c, bn=True, pool=True)


conv_bn_train, conv_bn_pool_train = conv_bn.variant(test=(0, 0)), conv_bn_pool.variant(test=(0, 0))

ROWS = [
    forward("affine_relu_forward(x, w, b) -> out, cache", affine, "sandwiches:affine_relu"),
    backward("affine_relu_backward(dout, cache) -> dx, dw, db", affine, "sandwiches:affine_relu",
             "affine_relu_forward"),
    forward("affine_bn_relu_forward(x, w, b, gamma, beta, bn_param) -> out, cache", affine_bn,
            "sandwiches:affine_bn_relu"),
    backward("affine_bn_relu_backward(dout, cache) -> dx, dw, db, dgamma, dbeta", affine_bn_train,
             "sandwiches:affine_bn_relu", "affine_bn_relu_forward"),
    forward("conv_relu_forward(x, w, b, conv_param) -> out, cache", conv, "sandwiches:conv_relu"),
    backward("conv_relu_backward(dout, cache) -> dx, dw, db", conv, "sandwiches:conv_relu", "conv_relu_forward"),
    forward("conv_relu_pool_forward(x, w, b, conv_param, pool_param) -> out, cache", conv_pool,
            "sandwiches:conv_relu_pool"),
    backward("conv_relu_pool_backward(dout, cache) -> dx, dw, db", conv_pool, "sandwiches:conv_relu_pool",
             "conv_relu_pool_forward"),
    forward("conv_bn_relu_forward(x, w, b, gamma, beta, conv_param, bn_param) -> out, cache", conv_bn,
            "sandwiches:conv_bn_relu"),
    backward("conv_bn_relu_backward(dout, cache) -> dx, dw, db, dgamma, dbeta", conv_bn_train,
             "sandwiches:conv_bn_relu", "conv_bn_relu_forward"),
    forward("conv_bn_relu_pool_forward(x, w, b, gamma, beta, conv_param, bn_param, pool_param) -> out, cache",
            conv_bn_pool, "sandwiches:conv_bn_relu_pool"),
    backward("conv_bn_relu_pool_backward(dout, cache) -> dx, dw, db, dgamma, dbeta", conv_bn_pool_train,
             "sandwiches:conv_bn_relu_pool", "conv_bn_relu_pool_forward"),
]
