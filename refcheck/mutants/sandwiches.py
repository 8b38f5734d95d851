"""Mutants of the sandwich layers."""
import copy

import numpy as np

import refimpl

from . import mutant


@mutant("affine_relu_backward", "The ReLU's mask is not applied on the way back: the gradient flows where the "
                                "affine output was negative.")
def affine_relu_backward_no_mask(dout, cache):
    fc_cache, _ = cache
    return refimpl.affine_backward(dout, fc_cache)


@mutant("conv_bn_relu_forward", "The ReLU comes before the batch normalization (conv - relu - bn); the layer "
                                "is conv - bn - relu.")
def conv_relu_bn_forward(x, w, b, gamma, beta, conv_param, bn_param):
    a, _ = refimpl.conv_forward_fast(x, w, b, conv_param)
    r, _ = refimpl.relu_forward(a)
    out, _ = refimpl.spatial_batchnorm_forward(r, gamma, beta, bn_param)
    _, cache = refimpl.conv_bn_relu_forward(x, w, b, gamma, beta, conv_param, copy.deepcopy(bn_param))
    return out, cache  # the cache stays right


@mutant("conv_relu_pool_backward", "The pooling's gradient is spread evenly over each window (average pooling's "
                                   "backward); max pooling sends it to the window's maximum.")
def conv_relu_pool_backward_average(dout, cache):
    conv_cache, relu_cache, pool_cache = cache
    x, _, (ph, pw, stride) = pool_cache  # refimpl's max_pool_forward_fast cache
    ds = np.zeros(x.shape, dtype=dout.dtype)
    for i in range(dout.shape[2]):
        for j in range(dout.shape[3]):
            ds[:, :, i * stride:i * stride + ph, j * stride:j * stride + pw] += dout[:, :, i:i + 1, j:j + 1] / (ph * pw)
    return refimpl.conv_backward_fast(refimpl.relu_backward(ds, relu_cache), conv_cache)
