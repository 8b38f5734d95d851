"""Mutants of layer, spatial batch and group normalization and of the fast layers."""
import numpy as np

import refimpl

from . import mutant


@mutant("layernorm_forward", "The statistics are taken over the batch (axis 0, batch norm); layer norm "
                             "normalizes each sample over its features (axis 1).")
def layernorm_over_batch(x, gamma, beta, ln_param):
    out, _ = refimpl.batchnorm_forward(x, gamma, beta, {"mode": "train", "eps": ln_param.get("eps", 1e-5)})
    return out, refimpl.layernorm_forward(x, gamma, beta, ln_param)[1]


@mutant("layernorm_backward", "dx ignores the gradient through each row's mean and variance.")
def layernorm_backward_no_stats_gradient(dout, cache):
    xhat, gamma, std = cache
    dx, dgamma, dbeta = refimpl.layernorm_backward(dout, cache)
    return dout * gamma / std, dgamma, dbeta


@mutant("spatial_batchnorm_forward", "x is reshaped to (N*H*W, C) without moving the channels last "
                                     "first: transpose to (N, H, W, C) before reshaping.")
def spatial_batchnorm_no_transpose(x, gamma, beta, bn_param):
    n, c, h, w = x.shape
    right = refimpl.spatial_batchnorm_forward(x, gamma, beta, dict(bn_param))
    out, _ = refimpl.batchnorm_forward(x.reshape(-1, c), gamma, beta, bn_param)
    return out.reshape(x.shape), right[1]


@mutant("spatial_batchnorm_backward", "dout is reshaped to (N*H*W, C) without moving the channels "
                                      "last first: transpose to (N, H, W, C) before reshaping.")
def spatial_batchnorm_backward_no_transpose(dout, cache):
    shape, bn_cache = cache
    dx, dgamma, dbeta = refimpl.batchnorm_backward_alt(dout.reshape(-1, shape[1]), bn_cache)
    return dx.reshape(shape), dgamma, dbeta


@mutant("spatial_groupnorm_forward", "The group statistics also run over the batch axis; each "
                                     "sample's groups are normalized on their own.")
def groupnorm_over_batch(x, gamma, beta, G, gn_param):
    n, c, h, w = x.shape
    xg = x.reshape(n, G, -1)
    mean, var = xg.mean(axis=(0, 2), keepdims=True), xg.var(axis=(0, 2), keepdims=True)
    xhat = ((xg - mean) / np.sqrt(var + gn_param.get("eps", 1e-5))).reshape(x.shape)
    return gamma * xhat + beta, refimpl.spatial_groupnorm_forward(x, gamma, beta, G, gn_param)[1]


@mutant("spatial_groupnorm_backward", "dx ignores the gradient through each group's mean and variance.")
def groupnorm_backward_no_stats_gradient(dout, cache):
    xhat, gamma, std, G = cache
    dx, dgamma, dbeta = refimpl.spatial_groupnorm_backward(dout, cache)
    return ((dout * gamma).reshape(dout.shape[0], G, -1) / std).reshape(dout.shape), dgamma, dbeta


@mutant("conv_forward_fast", "The kernel is flipped (a true convolution); torch's conv2d is a "
                             "cross-correlation: use w as given.")
def conv_forward_fast_flipped(x, w, b, conv_param):
    out, _ = refimpl.conv_forward_fast(x, w[:, :, ::-1, ::-1], b, conv_param)
    return out, refimpl.conv_forward_fast(x, w, b, conv_param)[1]


@mutant("conv_backward_fast", "dw is flipped relative to w (the gradient of a true convolution).")
def conv_backward_fast_flipped_dw(dout, cache):
    dx, dw, db = refimpl.conv_backward_fast(dout, cache)
    return dx, dw[:, :, ::-1, ::-1].copy(), db


@mutant("max_pool_forward_fast", "Windows are averaged, not maxed.")
def max_pool_forward_fast_average(x, pool_param):
    ph, pw, s = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    out, cache = refimpl.max_pool_forward_fast(x, pool_param)
    windows = np.lib.stride_tricks.sliding_window_view(x, (ph, pw), axis=(2, 3))[:, :, ::s, ::s]
    return windows.mean(axis=(4, 5))[:, :, :out.shape[2], :out.shape[3]].astype(x.dtype), cache


@mutant("max_pool_backward_fast", "Where windows overlap (stride < pool size) their gradients are "
                                  "assigned, overwriting each other; they should add up.")
def max_pool_backward_fast_assigned(dout, cache):
    x, out, (ph, pw, stride) = cache
    h_out, w_out = out.shape[2:]
    dx = np.zeros(x.shape, dtype=dout.dtype)
    claimed = np.zeros(out.shape, dtype=bool)
    for i in range(ph):
        for j in range(pw):
            rows, cols = slice(i, i + stride * h_out, stride), slice(j, j + stride * w_out, stride)
            first = (x[:, :, rows, cols] == out) & ~claimed
            claimed |= first
            dx[:, :, rows, cols][first] = dout[first]  # assigned: an overlapping window's gradient is lost
    return dx
