"""Mutants of convolution and max pooling."""
import numpy as np

import refimpl

from ..diagnosis.generic import FLOAT_SIZE, zero_hint
from . import mutant


@mutant("conv_forward_naive", "The kernel is flipped (a true convolution); torch's conv2d is a "
                              "cross-correlation: use w as given.")
def conv_forward_flipped_kernel(x, w, b, conv_param):
    out, _ = refimpl.conv_forward_naive(x, w[:, :, ::-1, ::-1], b, conv_param)
    return out, refimpl.conv_forward_naive(x, w, b, conv_param)[1]


@mutant("conv_forward_naive", "The bias b is not added to the output.")
def conv_forward_no_bias(x, w, b, conv_param):
    out, cache = refimpl.conv_forward_naive(x, w, b, conv_param)
    return out - b[None, :, None, None], cache


@mutant("conv_backward_naive", "dw is flipped relative to w (the gradient of a true convolution).")
def conv_backward_flipped_dw(dout, cache):
    dx, dw, db = refimpl.conv_backward_naive(dout, cache)
    return dx, dw[:, :, ::-1, ::-1].copy(), db


@mutant("conv_backward_naive", "db is averaged over the batch and positions; it should be summed.")
def conv_backward_db_mean(dout, cache):
    dx, dw, db = refimpl.conv_backward_naive(dout, cache)
    return dx, dw, db / (dout.shape[0] * dout.shape[2] * dout.shape[3])


@mutant("max_pool_forward_naive", "Windows are averaged, not maxed.")
def max_pool_forward_average(x, pool_param):
    out, cache = refimpl.max_pool_forward_naive(x, pool_param)
    ph, pw, s = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    for i in range(out.shape[2]):
        for j in range(out.shape[3]):
            out[:, :, i, j] = x[:, :, i * s:i * s + ph, j * s:j * s + pw].mean(axis=(2, 3))
    return out, cache


def _pool_windows(x, pool_param, dout):
    ph, pw, s = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    for i in range(dout.shape[2]):
        for j in range(dout.shape[3]):
            yield (slice(i * s, i * s + ph), slice(j * s, j * s + pw)), dout[:, :, i, j]


@mutant("max_pool_backward_naive", "Every tied maximum of a window receives the gradient; exactly one "
                                   "of them should (torch: the first in row-major order).")
def max_pool_backward_all_ties(dout, cache):
    x, pool_param = cache
    dx = np.zeros_like(x)
    for (rows, cols), g in _pool_windows(x, pool_param, dout):
        window = x[:, :, rows, cols]
        dx[:, :, rows, cols] += (window == window.max(axis=(2, 3), keepdims=True)) * g[:, :, None, None]
    return dx


@mutant("max_pool_backward_naive", "Where windows overlap (stride < pool size) their gradients are "
                                   "assigned, overwriting each other; they should add up.")
def max_pool_backward_overlap_assigned(dout, cache):
    x, pool_param = cache
    dx = np.zeros_like(x)
    for (rows, cols), g in _pool_windows(x, pool_param, dout):
        window = x[:, :, rows, cols]
        n, c, h, w = window.shape
        first = np.zeros(window.shape, bool).reshape(n, c, -1)
        np.put_along_axis(first, window.reshape(n, c, -1).argmax(axis=2)[..., None], True, axis=2)
        first = first.reshape(window.shape)
        region = dx[:, :, rows, cols]
        region[first] = np.broadcast_to(g[:, :, None, None], window.shape)[first]
    return dx


PAD_CROP = ("dx is cropped with dx_pad[:, :, pad:-pad, pad:-pad], which is empty when pad = 0 (-0 is 0): crop "
            "with dx_pad[:, :, pad:pad + H, pad:pad + W].")


@mutant("conv_backward_naive", PAD_CROP)
def conv_backward_crop_minus_pad(dout, cache):
    dx, dw, db = refimpl.conv_backward_naive(dout, cache)
    pad = cache[3]
    dx_pad = np.pad(dx, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    return dx_pad[:, :, pad:-pad, pad:-pad], dw, db


@mutant("conv_backward_naive", zero_hint("dw"))
def conv_backward_dw_zeros(dout, cache):
    dx, dw, db = refimpl.conv_backward_naive(dout, cache)
    return dx, np.zeros_like(dw), db


@mutant("conv_forward_naive", FLOAT_SIZE)
def conv_forward_true_division(x, w, b, conv_param):
    stride, pad = conv_param["stride"], conv_param["pad"]
    h_out = 1 + (x.shape[2] + 2 * pad - w.shape[2]) / stride
    w_out = 1 + (x.shape[3] + 2 * pad - w.shape[3]) / stride
    out = np.zeros((x.shape[0], w.shape[0], h_out, w_out), dtype=x.dtype)  # TypeError: a float size
    return out, None


def _max_pool_loops(x, pool_param, h_out, w_out):
    """A student's loops over the windows of an output of the given size: a window that runs past
    the input's edge is cut short (and its maximum taken over what is left)."""
    ph, pw, s = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    out = np.zeros((x.shape[0], x.shape[1], h_out, w_out), dtype=x.dtype)
    for i in range(h_out):
        for j in range(w_out):
            out[:, :, i, j] = x[:, :, i * s:i * s + ph, j * s:j * s + pw].max(axis=(2, 3))
    return out


@mutant("max_pool_forward_naive", "The output size is rounded with round() where it must be floored: "
                                  "H' = 1 + (H - pool_height) // stride.")
def max_pool_forward_rounded_size(x, pool_param):
    ph, pw, s = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    h_out, w_out = 1 + round((x.shape[2] - ph) / s), 1 + round((x.shape[3] - pw) / s)
    return _max_pool_loops(x, pool_param, h_out, w_out), refimpl.max_pool_forward_naive(x, pool_param)[1]


@mutant("max_pool_forward_naive", "W' is computed from pool_height: W' = 1 + (W - pool_width) // stride.")
def max_pool_forward_width_from_pool_height(x, pool_param):
    ph, s = pool_param["pool_height"], pool_param["stride"]
    h_out, w_out = 1 + (x.shape[2] - ph) // s, 1 + (x.shape[3] - ph) // s
    return _max_pool_loops(x, pool_param, h_out, w_out), refimpl.max_pool_forward_naive(x, pool_param)[1]
