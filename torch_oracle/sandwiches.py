"""Oracles for the sandwich layers: the torch functions of each layer, chained, with autograd
through the chain (``F.linear``, ``F.conv2d``, ``torch.batch_norm``, ``F.relu``,
``F.max_pool2d``); the conversions are those of the layers' own adapters (w is (D, M) for the
affine layer; the batch normalization's running statistics in the contract's conventions, from
the normalization's own input).

How far a correct computation may differ is the error model's (refcheck/error_models/sandwiches.py).
"""
import math

import torch.nn.functional as F

from ._autograd import autograd, tensor
from .layers import batch_norm, running_statistics


def _linear(x, w, b):
    return F.linear(x.reshape(x.shape[0], math.prod(x.shape[1:])), w.T, b)  # not -1: N may be 0


def _conv(x, w, b, conv_param):
    return F.conv2d(x, w, b, stride=int(conv_param["stride"]), padding=int(conv_param["pad"]))  # whole floats


def _pool(x, pool_param):
    return F.max_pool2d(x, (int(pool_param["pool_height"]), int(pool_param["pool_width"])),
                        stride=int(pool_param["stride"]))


def affine_relu(x, w, b, dout):
    """``F.relu(F.linear(x.reshape(N, -1), w.T, b))``."""
    return autograd(lambda x, w, b: F.relu(_linear(x, w, b)), dict(x=x, w=w, b=b), ("out",), (dout,))


def affine_bn_relu(x, w, b, gamma, beta, bn_param, dout):
    """``F.relu(torch.batch_norm(F.linear(...)))``, running statistics as the batchnorm adapter."""
    expected = autograd(lambda x, w, b, gamma, beta: F.relu(batch_norm(_linear(x, w, b), gamma, beta, bn_param)),
                        dict(x=x, w=w, b=b, gamma=gamma, beta=beta), ("out",), (dout,))
    expected.update(running_statistics(_linear(tensor(x), tensor(w), tensor(b)), bn_param))
    return expected


def conv_relu(x, w, b, conv_param, dout):
    """``F.relu(F.conv2d(x, w, b, stride, padding))``."""
    return autograd(lambda x, w, b: F.relu(_conv(x, w, b, conv_param)), dict(x=x, w=w, b=b), ("out",), (dout,))


def conv_relu_pool(x, w, b, conv_param, pool_param, dout):
    """``F.max_pool2d(F.relu(F.conv2d(...)))``: a window's gradient goes to its first maximum; the
    maxima the generator can tie are ReLU's zeros, whose gradient is 0 whichever takes it."""
    return autograd(lambda x, w, b: _pool(F.relu(_conv(x, w, b, conv_param)), pool_param),
                    dict(x=x, w=w, b=b), ("out",), (dout,))


def _conv_bn(x, w, b, gamma, beta, conv_param, bn_param, pool_param, dout):
    def chain(x, w, b, gamma, beta):
        out = F.relu(batch_norm(_conv(x, w, b, conv_param), gamma, beta, bn_param))
        return _pool(out, pool_param) if pool_param else out
    expected = autograd(chain, dict(x=x, w=w, b=b, gamma=gamma, beta=beta), ("out",), (dout,))
    expected.update(running_statistics(_conv(tensor(x), tensor(w), tensor(b), conv_param), bn_param))
    return expected


def conv_bn_relu(x, w, b, gamma, beta, conv_param, bn_param, dout):
    """``F.relu(torch.batch_norm(F.conv2d(...)))`` per channel, running statistics as batchnorm's."""
    return _conv_bn(x, w, b, gamma, beta, conv_param, bn_param, None, dout)


def conv_bn_relu_pool(x, w, b, gamma, beta, conv_param, bn_param, pool_param, dout):
    """``F.max_pool2d(F.relu(torch.batch_norm(F.conv2d(...))))``, running statistics as batchnorm's."""
    return _conv_bn(x, w, b, gamma, beta, conv_param, bn_param, pool_param, dout)
