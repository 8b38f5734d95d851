"""Sandwich layers: a forward that chains the layers it is named after and returns ``(out,
cache)``, its backward that runs theirs in reverse (CS231n ``layer_utils.py``; EECS 498's
``Linear_ReLU``, ``Conv_ReLU_Pool``, ``Linear_BatchNorm_ReLU``, ... classes). The convolutions
and the pooling are the fast ones, as in CS231n; the batch normalizations update ``bn_param``.
float16 is computed in float32 through the whole chain and rounded once at the end (as torch on
CPU), and bad input is reported under the sandwich's argument names: ``dout`` against the
forward's output, ``pool_param`` against the convolution's output it pools.
"""
import contextlib

from . import _validate as v
from .fast_layers import conv_backward_fast, conv_forward_fast, max_pool_backward_fast, max_pool_forward_fast
from .layers import affine_backward, affine_forward, relu_backward, relu_forward
from .norm import batchnorm_backward, batchnorm_forward, spatial_batchnorm_backward, spatial_batchnorm_forward


def _dout(dout, relu_cache):
    """dout checked against the forward's output, the ReLU's input (its cache)."""
    dout = v.floats("dout", dout)
    v.shape("dout", dout, relu_cache.shape, " (the forward's output)")
    return dout


@contextlib.contextmanager
def _pooling(s):
    """A pooling error names what is pooled: the convolution's output, not the sandwich's x."""
    try:
        yield
    except ValueError as exc:
        raise ValueError(f"pooling the convolution's output {s.shape}: {exc}") from None


@v.float16_as_float32
def affine_relu_forward(x, w, b):
    """``relu(affine(x, w, b))``; shapes as affine_forward."""
    a, fc_cache = affine_forward(x, w, b)
    out, relu_cache = relu_forward(a)
    return out, (fc_cache, relu_cache)


@v.float16_as_float32
def affine_relu_backward(dout, cache):
    """dx, dw, db of affine_relu_forward."""
    fc_cache, relu_cache = cache
    return affine_backward(relu_backward(_dout(dout, relu_cache), relu_cache), fc_cache)


@v.float16_as_float32
def affine_bn_relu_forward(x, w, b, gamma, beta, bn_param):
    """``relu(batchnorm(affine(x, w, b), gamma, beta, bn_param))``; gamma, beta: (M,)."""
    a, fc_cache = affine_forward(x, w, b)
    an, bn_cache = batchnorm_forward(a, gamma, beta, bn_param)
    out, relu_cache = relu_forward(an)
    return out, (fc_cache, bn_cache, relu_cache)


@v.float16_as_float32
def affine_bn_relu_backward(dout, cache):
    """dx, dw, db, dgamma, dbeta of affine_bn_relu_forward (train mode)."""
    fc_cache, bn_cache, relu_cache = cache
    da, dgamma, dbeta = batchnorm_backward(relu_backward(_dout(dout, relu_cache), relu_cache), bn_cache)
    dx, dw, db = affine_backward(da, fc_cache)
    return dx, dw, db, dgamma, dbeta


@v.float16_as_float32
def conv_relu_forward(x, w, b, conv_param):
    """``relu(conv(x, w, b, conv_param))``; shapes as conv_forward_naive."""
    a, conv_cache = conv_forward_fast(x, w, b, conv_param)
    out, relu_cache = relu_forward(a)
    return out, (conv_cache, relu_cache)


@v.float16_as_float32
def conv_relu_backward(dout, cache):
    """dx, dw, db of conv_relu_forward."""
    conv_cache, relu_cache = cache
    return conv_backward_fast(relu_backward(_dout(dout, relu_cache), relu_cache), conv_cache)


@v.float16_as_float32
def conv_relu_pool_forward(x, w, b, conv_param, pool_param):
    """``max_pool(relu(conv(x, w, b, conv_param)), pool_param)``."""
    a, conv_cache = conv_forward_fast(x, w, b, conv_param)
    s, relu_cache = relu_forward(a)
    with _pooling(s):
        out, pool_cache = max_pool_forward_fast(s, pool_param)
    return out, (conv_cache, relu_cache, pool_cache)


@v.float16_as_float32
def conv_relu_pool_backward(dout, cache):
    """dx, dw, db of conv_relu_pool_forward."""
    conv_cache, relu_cache, pool_cache = cache
    ds = max_pool_backward_fast(dout, pool_cache)
    return conv_backward_fast(relu_backward(ds, relu_cache), conv_cache)


@v.float16_as_float32
def conv_bn_relu_forward(x, w, b, gamma, beta, conv_param, bn_param):
    """``relu(spatial_batchnorm(conv(x, w, b, conv_param), gamma, beta, bn_param))``; gamma, beta: (F,)."""
    a, conv_cache = conv_forward_fast(x, w, b, conv_param)
    an, bn_cache = spatial_batchnorm_forward(a, gamma, beta, bn_param)
    out, relu_cache = relu_forward(an)
    return out, (conv_cache, bn_cache, relu_cache)


@v.float16_as_float32
def conv_bn_relu_backward(dout, cache):
    """dx, dw, db, dgamma, dbeta of conv_bn_relu_forward (train mode)."""
    conv_cache, bn_cache, relu_cache = cache
    da, dgamma, dbeta = spatial_batchnorm_backward(relu_backward(_dout(dout, relu_cache), relu_cache), bn_cache)
    dx, dw, db = conv_backward_fast(da, conv_cache)
    return dx, dw, db, dgamma, dbeta


@v.float16_as_float32
def conv_bn_relu_pool_forward(x, w, b, gamma, beta, conv_param, bn_param, pool_param):
    """``max_pool(relu(spatial_batchnorm(conv(x, w, b, conv_param), gamma, beta, bn_param)), pool_param)``
    (EECS 498's Conv_BatchNorm_ReLU_Pool; CS231n has no such layer)."""
    a, conv_cache = conv_forward_fast(x, w, b, conv_param)
    an, bn_cache = spatial_batchnorm_forward(a, gamma, beta, bn_param)
    s, relu_cache = relu_forward(an)
    with _pooling(s):
        out, pool_cache = max_pool_forward_fast(s, pool_param)
    return out, (conv_cache, bn_cache, relu_cache, pool_cache)


@v.float16_as_float32
def conv_bn_relu_pool_backward(dout, cache):
    """dx, dw, db, dgamma, dbeta of conv_bn_relu_pool_forward (train mode)."""
    conv_cache, bn_cache, relu_cache, pool_cache = cache
    ds = max_pool_backward_fast(dout, pool_cache)
    da, dgamma, dbeta = spatial_batchnorm_backward(relu_backward(ds, relu_cache), bn_cache)
    dx, dw, db = conv_backward_fast(da, conv_cache)
    return dx, dw, db, dgamma, dbeta
