"""The transformer's elementwise and row-wise building blocks: softmax, log-softmax, GELU, SiLU,
RMSNorm, the SwiGLU feed-forward block and cross-entropy with label smoothing and ignore_index.

CS231n style: a forward returns ``(out, cache)``, its backward takes ``(dout, cache)`` and returns
the gradients in argument order. Shapes may carry any leading axes (``...``); the softmaxes and
RMSNorm work over the last one. float32 stays float32; float16 is computed in float32 and returned
as float16 (as torch does on CPU); no argument is modified.
"""
import math

import numpy as np

from . import _validate as v


def working_dtypes(*arrays):
    """``(returned, computed)``: the inputs' common floating dtype, and float32 in place of float16."""
    out = np.result_type(*arrays)
    return out, np.dtype(np.float32) if out == np.float16 else out


def _floats(name, a, min_ndim=1):
    return v.floats(name, a, min_ndim=min_ndim)


def _rows(name, x):
    """x (..., C) with C >= 1: a softmax over an empty axis is undefined."""
    x = _floats(name, x)
    if x.shape[-1] == 0:
        raise ValueError(f"{name} must have at least one entry on its last axis, got shape {x.shape}")
    return x


def _dout(dout, shape, dtype):
    dout = v.floats("dout", dout)
    v.shape("dout", dout, shape, " (the forward's output)")
    return dout.astype(dtype, copy=False)


def softmax_forward(x):
    """``exp(x) / sum(exp(x))`` over the last axis of x (..., C), after subtracting each row's
    maximum (finite for scores near 1e4 and rows at different offsets). torch: ``torch.softmax(x, -1)``."""
    x = _rows("x", x)
    out_dtype, work = working_dtypes(x)
    xw = x.astype(work, copy=False)
    e = np.exp(xw - xw.max(axis=-1, keepdims=True))
    p = e / e.sum(axis=-1, keepdims=True)
    return p.astype(out_dtype, copy=False), (p, out_dtype)


def softmax_backward(dout, cache):
    """dx = p * (dout - sum(dout * p)) over the last axis (the softmax Jacobian applied to dout)."""
    p, out_dtype = cache
    dout = _dout(dout, p.shape, p.dtype)
    dx = p * (dout - (dout * p).sum(axis=-1, keepdims=True))
    return dx.astype(out_dtype, copy=False)


def log_softmax_forward(x):
    """``x - max - log(sum(exp(x - max)))`` over the last axis of x (..., C): finite wherever x is,
    even where the softmax underflows to 0. torch: ``torch.log_softmax(x, -1)``."""
    x = _rows("x", x)
    out_dtype, work = working_dtypes(x)
    xw = x.astype(work, copy=False)
    shifted = xw - xw.max(axis=-1, keepdims=True)
    logp = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
    return logp.astype(out_dtype, copy=False), (logp, out_dtype)


def log_softmax_backward(dout, cache):
    """dx = dout - softmax(x) * sum(dout) over the last axis."""
    logp, out_dtype = cache
    dout = _dout(dout, logp.shape, logp.dtype)
    dx = dout - np.exp(logp) * dout.sum(axis=-1, keepdims=True)
    return dx.astype(out_dtype, copy=False)


_erf = np.vectorize(math.erf, otypes=[np.float64])
_SQRT_2_OVER_PI = math.sqrt(2 / math.pi)
_TANH_CUBIC = 0.044715


def gelu_forward(x, approximate="none"):
    """GELU of x (any shape): ``x * Phi(x)`` with Phi the standard normal CDF, exactly
    (``approximate="none"``: ``0.5 * x * (1 + erf(x / sqrt(2)))``) or in the tanh form
    (``"tanh"``: ``0.5 * x * (1 + tanh(sqrt(2/pi) * (x + 0.044715 x^3)))``).
    torch: ``F.gelu(x, approximate=...)``. erf is Python's math.erf, computed in float64."""
    x = _floats("x", x, min_ndim=0)
    v.choice("approximate", approximate, {"none", "tanh"})
    out_dtype, work = working_dtypes(x)
    if approximate == "none":
        xd = x.astype(np.float64)
        out = 0.5 * xd * (1 + _erf(xd / math.sqrt(2)))
    else:
        xw = x.astype(work, copy=False)
        out = 0.5 * xw * (1 + np.tanh(_SQRT_2_OVER_PI * (xw + _TANH_CUBIC * xw**3)))
    return out.astype(out_dtype), (x, approximate, out_dtype)


def gelu_backward(dout, cache):
    """dx = dout * (Phi(x) + x * phi(x)) (erf form), or the derivative of the tanh form."""
    x, approximate, out_dtype = cache
    dout = _dout(dout, x.shape, np.float64 if approximate == "none" else working_dtypes(x)[1])
    if approximate == "none":
        xd = x.astype(np.float64)
        cdf = 0.5 * (1 + _erf(xd / math.sqrt(2)))
        pdf = np.exp(-0.5 * xd * xd) / math.sqrt(2 * math.pi)
        dx = dout * (cdf + xd * pdf)
    else:
        xw = x.astype(dout.dtype, copy=False)
        t = np.tanh(_SQRT_2_OVER_PI * (xw + _TANH_CUBIC * xw**3))
        dx = dout * (0.5 * (1 + t) + 0.5 * xw * (1 - t * t) * _SQRT_2_OVER_PI * (1 + 3 * _TANH_CUBIC * xw * xw))
    return dx.astype(out_dtype)


def sigmoid(x):
    """``1 / (1 + exp(-x))`` through exp(-|x|), which never overflows."""
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


def silu_forward(x):
    """SiLU (swish) of x (any shape): ``x * sigmoid(x)``. torch: ``F.silu``."""
    x = _floats("x", x, min_ndim=0)
    out_dtype, work = working_dtypes(x)
    xw = x.astype(work, copy=False)
    s = sigmoid(xw)
    return (xw * s).astype(out_dtype, copy=False), (xw, s, out_dtype)


def silu_backward(dout, cache):
    """dx = dout * s * (1 + x * (1 - s)) with s = sigmoid(x)."""
    xw, s, out_dtype = cache
    dout = _dout(dout, xw.shape, xw.dtype)
    return (dout * s * (1 + xw * (1 - s))).astype(out_dtype, copy=False)


def rms_norm_forward(x, gamma, eps=1e-6):
    """RMSNorm over the last axis of x (..., D): ``x / sqrt(mean(x^2) + eps) * gamma``, gamma (D,);
    the mean is not subtracted; eps > 0. torch: ``F.rms_norm(x, (D,), gamma, eps)`` (whose eps
    defaults to the dtype's machine epsilon, not 1e-6, and may be 0 or negative: a zero or small
    row is NaN there)."""
    x = _floats("x", x)
    d = x.shape[-1]
    gamma = v.floats("gamma", gamma, ndim=1)
    v.shape("gamma", gamma, (d,), f" (the last axis of x {x.shape})")
    eps = v.positive("eps", eps)
    out_dtype, work = working_dtypes(x, gamma)
    xw, gw = x.astype(work, copy=False), gamma.astype(work, copy=False)
    inv_rms = 1 / np.sqrt((xw * xw).mean(axis=-1, keepdims=True) + eps)
    xhat = xw * inv_rms
    return (xhat * gw).astype(out_dtype, copy=False), (xhat, inv_rms, gw, out_dtype)


def rms_norm_backward(dout, cache):
    """Gradients of rms_norm_forward: dx (..., D) and dgamma (D,) (summed over the leading axes)."""
    xhat, inv_rms, gw, out_dtype = cache
    dout = _dout(dout, xhat.shape, xhat.dtype)
    dxhat = dout * gw
    dx = inv_rms * (dxhat - xhat * (dxhat * xhat).mean(axis=-1, keepdims=True))
    dgamma = (dout * xhat).reshape(-1, xhat.shape[-1]).sum(axis=0)
    return dx.astype(out_dtype, copy=False), dgamma.astype(out_dtype, copy=False)


def swiglu_forward(x, W1, W3, W2):
    """The SwiGLU feed-forward block: ``(silu(x @ W1) * (x @ W3)) @ W2`` for x (..., D), W1 and W3
    (D, H), W2 (H, D): the ``x @ W`` layout (torch's nn.Linear stores weights as (out, in)).
    The gate is the W1 branch. torch: ``(F.silu(x @ W1) * (x @ W3)) @ W2``."""
    x = _floats("x", x)
    W1, W3, W2 = (v.floats(n, a, ndim=2) for n, a in (("W1", W1), ("W3", W3), ("W2", W2)))
    d = x.shape[-1]
    v.shape("W1", W1, (d, W1.shape[1]), f" (rows = the last axis of x {x.shape})")
    v.shape("W3", W3, W1.shape, " (as W1)")
    v.shape("W2", W2, (W1.shape[1], d), f" (W1 {W1.shape} transposed)")
    out_dtype, work = working_dtypes(x, W1, W3, W2)
    xw, W1, W3, W2 = (a.astype(work, copy=False) for a in (x, W1, W3, W2))
    gate, up = xw @ W1, xw @ W3
    s = sigmoid(gate)
    h = gate * s * up
    return (h @ W2).astype(out_dtype, copy=False), (xw, W1, W3, W2, gate, up, s, h, out_dtype)


def swiglu_backward(dout, cache):
    """Gradients of swiglu_forward: dx (..., D), dW1 (D, H), dW3 (D, H), dW2 (H, D)."""
    xw, W1, W3, W2, gate, up, s, h, out_dtype = cache
    dout = _dout(dout, xw.shape, xw.dtype)
    d, hidden = W1.shape
    dh = dout @ W2.T
    dup = dh * gate * s
    dgate = dh * up * s * (1 + gate * (1 - s))
    dx = dgate @ W1.T + dup @ W3.T
    x2 = xw.reshape(-1, d)
    dW1 = x2.T @ dgate.reshape(-1, hidden)
    dW3 = x2.T @ dup.reshape(-1, hidden)
    dW2 = h.reshape(-1, hidden).T @ dout.reshape(-1, d)
    return tuple(a.astype(out_dtype, copy=False) for a in (dx, dW1, dW3, dW2))


def cross_entropy_loss(x, y, label_smoothing=0.0, ignore_index=-100):
    """Mean cross-entropy of scores x (N, C) against labels y (N,); returns (loss, dx).

    Rows whose label is ``ignore_index`` count for nothing (the mean runs over the others); every
    other label lies in [0, C). With label smoothing eps the target is ``(1 - eps) * onehot + eps / C``:
    uniform over all C classes, the target included (not eps / (C - 1) over the others).
    Through log-sum-exp, so large scores stay finite. When every label is ignored the mean is
    0 / 0: loss NaN and dx 0, as torch. torch: ``F.cross_entropy(x, y, label_smoothing=,
    ignore_index=)``.
    """
    x = v.floats("x", x, ndim=2)
    n, c = x.shape
    if n == 0 or c == 0:
        raise ValueError(f"x must have at least one row and one class, got shape {x.shape}")
    if not isinstance(ignore_index, (int, np.integer)) or isinstance(ignore_index, bool):
        raise ValueError(f"ignore_index must be an integer, got {ignore_index!r}")
    label_smoothing = v.number("label_smoothing", label_smoothing, 0, 1)
    y = v.integers("y", y, (n,), f" (one label per row of x {x.shape})")
    kept = y != ignore_index
    count = int(kept.sum())
    v.labels("y (other than ignore_index)", y[kept], count, c)
    out_dtype, work = working_dtypes(x)
    logp, _ = log_softmax_forward(x.astype(work, copy=False))
    target = np.full((n, c), label_smoothing / c, dtype=work)
    target[np.arange(n), np.where(kept, y, 0)] += 1 - label_smoothing
    target *= kept[:, None]
    if count == 0:
        return out_dtype.type(np.nan), np.zeros((n, c), out_dtype)
    # a target of 0 takes nothing from log p, as in torch: not an ignored row's NaN, not a -inf score
    loss = -(target * np.where(target > 0, logp, 0)).sum() / count
    dx = (np.exp(logp) * kept[:, None] - target) / count
    return out_dtype.type(loss), dx.astype(out_dtype, copy=False)
