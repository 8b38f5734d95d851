"""Oracles for the sandwich layers: the torch functions of each layer, chained, with autograd
through the chain (``F.linear``, ``F.conv2d``, ``torch.batch_norm``, ``F.relu``,
``F.max_pool2d``); the conversions are those of the layers' own adapters (w is (D, M) for the
affine layer; the batch normalization's running statistics in the contract's conventions, from
the normalization's own input).

Through a train-mode batch normalization the gradients of the layer below (dx, dw, db) are sums
of the normalization's gradient terms, each of size |dout * gamma| / std: a correct float32
computation loses eps times the sum of those terms, whatever the inputs' scale (db, exactly 0,
comes out as float32 noise of about eps * N*H*W * |terms|). Those three gradients are judged
with the largest sum of |terms| entering them as the tolerance's scale (refcheck.tolerances
explains the scale; torch_oracle.views the third element of a view).
"""
import torch
import torch.nn.functional as F

from ._autograd import autograd, tensor
from .layers import batch_norm, running_statistics


def _linear(x, w, b):
    return F.linear(x.reshape(x.shape[0], -1), w.T, b)


def _conv(x, w, b, conv_param):
    return F.conv2d(x, w, b, stride=conv_param["stride"], padding=conv_param["pad"])


def _pool(x, pool_param):
    return F.max_pool2d(x, (pool_param["pool_height"], pool_param["pool_width"]), stride=pool_param["stride"])


def affine_relu(x, w, b, dout):
    """``F.relu(F.linear(x.reshape(N, -1), w.T, b))``."""
    return autograd(lambda x, w, b: F.relu(_linear(x, w, b)), dict(x=x, w=w, b=b), ("out",), (dout,))


def _term_scales(lin, x, w, b, gamma, beta, bn_param, after, dout):
    """Train mode: for dx, dw and db, the largest sum of |terms| a correct computation adds up
    (the normalization's gradient terms, |dxhat| + mean|dxhat| + |xhat| mean|dxhat xhat|, over
    the standard deviation, carried through the linear layer's absolute values)."""
    x, w, b, gamma, beta = (tensor(v) for v in (x, w, b, gamma, beta))
    a = lin(x, w, b)
    axes = [0] + list(range(2, a.ndim))
    std = torch.sqrt(a.var(axes, unbiased=False, keepdim=True) + bn_param.get("eps", 1e-5))
    xhat = ((a - a.mean(axes, keepdim=True)) / std).requires_grad_()
    shape = [1, -1] + [1] * (a.ndim - 2)
    (dxhat,) = torch.autograd.grad(after(gamma.reshape(shape) * xhat + beta.reshape(shape)), xhat, tensor(dout))
    terms = (dxhat.abs() + dxhat.abs().mean(axes, keepdim=True)
             + xhat.abs() * (dxhat * xhat).abs().mean(axes, keepdim=True)) / std
    leaves = [v.abs().requires_grad_() for v in (x, w, b)]
    sums = torch.autograd.grad(lin(*leaves), leaves, terms.detach())
    return {k: float(g.max()) if g.numel() else 0.0 for k, g in zip(("dx", "dw", "db"), sums)}


def _judged_by_terms(expected, scales, inputs):
    """dx, dw, db compared with the sums of their terms as the tolerance's scale (at least the
    inputs' largest magnitude, the scale everywhere else)."""
    floor = max([1.0] + [float(abs(v).max()) for v in inputs if getattr(v, "size", 0)])
    for key, scale in scales.items():
        want = expected[key]
        expected[key] = lambda a, key=key, want=want, scale=max(floor, scale): (a[key], want, scale)
    return expected


def affine_bn_relu(x, w, b, gamma, beta, bn_param, dout):
    """``F.relu(torch.batch_norm(F.linear(...)))``, running statistics as the batchnorm adapter;
    in train mode dx, dw, db are judged on the scale of their terms (module docstring)."""
    expected = autograd(lambda x, w, b, gamma, beta: F.relu(batch_norm(_linear(x, w, b), gamma, beta, bn_param)),
                        dict(x=x, w=w, b=b, gamma=gamma, beta=beta), ("out",), (dout,))
    expected.update(running_statistics(_linear(tensor(x), tensor(w), tensor(b)), bn_param))
    if bn_param["mode"] == "train":
        scales = _term_scales(_linear, x, w, b, gamma, beta, bn_param, F.relu, dout)
        _judged_by_terms(expected, scales, (x, w, b, gamma, beta, dout))
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
    if bn_param["mode"] == "train":
        after = (lambda t: _pool(F.relu(t), pool_param)) if pool_param else F.relu
        scales = _term_scales(lambda x, w, b: _conv(x, w, b, conv_param), x, w, b, gamma, beta, bn_param, after, dout)
        _judged_by_terms(expected, scales, (x, w, b, gamma, beta, dout))
    return expected


def conv_bn_relu(x, w, b, gamma, beta, conv_param, bn_param, dout):
    """``F.relu(torch.batch_norm(F.conv2d(...)))`` per channel, running statistics as batchnorm's;
    in train mode dx, dw, db are judged on the scale of their terms (module docstring)."""
    return _conv_bn(x, w, b, gamma, beta, conv_param, bn_param, None, dout)


def conv_bn_relu_pool(x, w, b, gamma, beta, conv_param, bn_param, pool_param, dout):
    """``F.max_pool2d(F.relu(torch.batch_norm(F.conv2d(...))))``, running statistics as batchnorm's;
    in train mode dx, dw, db are judged on the scale of their terms (module docstring)."""
    return _conv_bn(x, w, b, gamma, beta, conv_param, bn_param, pool_param, dout)
