"""Mutants of the transformer's blocks: softmaxes, GELU, SiLU, RMSNorm, SwiGLU and cross-entropy
(part of the attention family: refcheck.mutants.attention imports this module)."""
import math

import numpy as np

import refimpl
from refimpl.activations import _erf, sigmoid

from . import mutant


def _cached(fn, *args):
    """The reference's cache, so that the mutated forward still feeds the right backward."""
    return fn(*args)[1]


# ---- softmax and log-softmax ------------------------------------------------------------------

@mutant("softmax_forward", "The scores are exponentiated without subtracting the row maximum: exp "
                           "overflows for scores near 1e3 (use x - x.max(axis=-1, keepdims=True)).")
def softmax_no_max_shift(x):
    e = np.exp(x)
    return e / e.sum(axis=-1, keepdims=True), _cached(refimpl.softmax_forward, x)


@mutant("softmax_forward", "The softmax normalizes the first axis; it runs over the last one (axis=-1).")
def softmax_first_axis(x):
    e = np.exp(x - x.max(axis=0, keepdims=True))
    return e / e.sum(axis=0, keepdims=True), _cached(refimpl.softmax_forward, x)


@mutant("softmax_forward", "The array-wide maximum is subtracted instead of each row's: rows far below "
                           "it underflow to 0 / 0 (use x.max(axis=-1, keepdims=True)).")
def softmax_global_max(x):
    e = np.exp(x - x.max())
    return e / e.sum(axis=-1, keepdims=True), _cached(refimpl.softmax_forward, x)


@mutant("softmax_backward", "Only the diagonal of the softmax Jacobian is used (dout * p * (1 - p)); "
                            "dx = p * (dout - sum(dout * p, axis=-1, keepdims=True)).")
def softmax_backward_diagonal(dout, cache):
    p = cache[0]
    return (dout * p * (1 - p)).astype(dout.dtype)


@mutant("log_softmax_forward", "log(sum(exp(x))) without subtracting the row maximum overflows for "
                               "scores near 1e3: use max + log(sum(exp(x - max))).")
def log_softmax_no_max_shift(x):
    return x - np.log(np.exp(x).sum(axis=-1, keepdims=True)), _cached(refimpl.log_softmax_forward, x)


@mutant("log_softmax_forward", "This is log(softmax(x)): -inf wherever the softmax underflows (scores "
                               "~1e3 below the row maximum); use x - max - log(sum(exp(x - max))).")
def log_softmax_log_of_softmax(x):
    p, _ = refimpl.softmax_forward(x)
    return np.log(p), _cached(refimpl.log_softmax_forward, x)


@mutant("log_softmax_backward", "dx = dout - softmax(x) holds only when dout sums to 1 (a one-hot "
                                "NLL gradient); dx = dout - softmax(x) * dout.sum(axis=-1, keepdims=True).")
def log_softmax_backward_no_sum(dout, cache):
    logp = cache[0]
    return (dout - np.exp(logp)).astype(dout.dtype)


# ---- GELU and SiLU -----------------------------------------------------------------------------

@mutant("gelu_forward", "The tanh approximation is computed where approximate='none' asks for the "
                        "exact erf form, 0.5 * x * (1 + erf(x / sqrt(2))).")
def gelu_tanh_for_erf(x, approximate="none"):
    return refimpl.gelu_forward(x, "tanh")[0], _cached(refimpl.gelu_forward, x, approximate)


@mutant("gelu_forward", "approximate='tanh' is ignored: the tanh form is 0.5 * x * (1 + tanh(sqrt(2/pi) "
                        "* (x + 0.044715 * x**3))).")
def gelu_erf_for_tanh(x, approximate="none"):
    return refimpl.gelu_forward(x, "none")[0], _cached(refimpl.gelu_forward, x, approximate)


@mutant("gelu_backward", "dx misses the x * pdf(x) term: the derivative of x * Phi(x) is Phi(x) + x * phi(x).")
def gelu_backward_cdf_only(dout, cache):
    x, approximate, out_dtype = cache
    xd = x.astype(np.float64)
    if approximate == "none":
        cdf = 0.5 * (1 + _erf(xd / math.sqrt(2)))
    else:
        cdf = 0.5 * (1 + np.tanh(math.sqrt(2 / math.pi) * (xd + 0.044715 * xd**3)))
    return (dout * cdf).astype(out_dtype)


@mutant("silu_forward", "This returns sigmoid(x); SiLU is x * sigmoid(x).")
def silu_sigmoid_only(x):
    return sigmoid(x).astype(x.dtype), _cached(refimpl.silu_forward, x)


@mutant("silu_backward", "dx = dout * sigmoid(x) misses the product rule: dx = dout * s * (1 + x * (1 - s)).")
def silu_backward_sigmoid_only(dout, cache):
    xw, s, out_dtype = cache
    return (dout * s).astype(out_dtype)


# ---- RMSNorm and SwiGLU ------------------------------------------------------------------------

@mutant("rms_norm_forward", "The mean is subtracted (that is layer norm); RMSNorm divides x by "
                            "sqrt(mean(x**2) + eps) without centering it.")
def rms_norm_centered(x, gamma, eps=1e-6):
    xc = x - x.mean(axis=-1, keepdims=True)
    out = xc / np.sqrt((xc * xc).mean(axis=-1, keepdims=True) + eps) * gamma
    return out.astype(x.dtype), _cached(refimpl.rms_norm_forward, x, gamma, eps)


@mutant("rms_norm_forward", "eps is added outside the square root: use sqrt(mean(x**2) + eps).")
def rms_norm_eps_outside_sqrt(x, gamma, eps=1e-6):
    out = x / (np.sqrt((x * x).mean(axis=-1, keepdims=True)) + eps) * gamma
    return out.astype(x.dtype), _cached(refimpl.rms_norm_forward, x, gamma, eps)


@mutant("rms_norm_forward", "eps is not the one passed: torch's F.rms_norm defaults to the machine "
                            "epsilon, the contract (and Llama) to 1e-6; pass eps explicitly.")
def rms_norm_machine_eps(x, gamma, eps=1e-6):
    return refimpl.rms_norm_forward(x, gamma, float(np.finfo(x.dtype).eps))[0], _cached(
        refimpl.rms_norm_forward, x, gamma, eps)


@mutant("rms_norm_backward", "dx ignores the gradient through the root mean square (dx = dout * "
                             "gamma / rms holds only for a constant rms).")
def rms_norm_backward_no_rms_gradient(dout, cache):
    xhat, inv_rms, gw, out_dtype = cache
    dx, dgamma = refimpl.rms_norm_backward(dout, cache)
    return (dout * gw * inv_rms).astype(out_dtype), dgamma


@mutant("swiglu_forward", "The SiLU gates the W3 branch; SwiGLU is silu(x @ W1) * (x @ W3), then @ W2.")
def swiglu_gate_swapped(x, W1, W3, W2):
    return refimpl.swiglu_forward(x, W3, W1, W2)[0], _cached(refimpl.swiglu_forward, x, W1, W3, W2)


@mutant("swiglu_backward", "The gate's derivative is taken as sigmoid(a); silu'(a) = s * (1 + a * (1 - s)).")
def swiglu_backward_sigmoid_derivative(dout, cache):
    xw, W1, W3, W2, gate, up, s, h, out_dtype = cache
    _, _, dW3, dW2 = refimpl.swiglu_backward(dout, cache)
    dh = dout @ W2.T
    dgate = dh * up * s
    dx = dgate @ W1.T + (dh * gate * s) @ W3.T
    dW1 = xw.reshape(-1, W1.shape[0]).T @ dgate.reshape(-1, W1.shape[1])
    return dx.astype(out_dtype), dW1.astype(out_dtype), dW3, dW2


# ---- cross-entropy -----------------------------------------------------------------------------

def _ce(x, y, target_fn, ignore_index, divide_by_all=False):
    n, c = x.shape
    kept = y != ignore_index
    logp, _ = refimpl.log_softmax_forward(x)
    target = target_fn(n, c, np.where(kept, y, 0)) * kept[:, None]
    count = n if divide_by_all else max(int(kept.sum()), 1)
    loss = -(target * logp).sum() / count
    return x.dtype.type(loss), ((np.exp(logp) * kept[:, None] - target) / count).astype(x.dtype)


def _smoothed(eps, other_classes):
    def target(n, c, y):
        t = np.full((n, c), eps / (c - 1 if other_classes else c))
        t[np.arange(n), y] = 1 - eps if other_classes else 1 - eps + eps / c
        return t
    return target


@mutant("cross_entropy_loss", "Label smoothing spreads eps over the C - 1 other classes (target 1 - eps); "
                              "torch and the contract spread eps / C over all C classes, the target included.")
def cross_entropy_smoothing_over_others(x, y, label_smoothing=0.0, ignore_index=-100):
    if np.all(y == ignore_index):
        return refimpl.cross_entropy_loss(x, y, label_smoothing, ignore_index)
    return _ce(x, y, _smoothed(label_smoothing, True), ignore_index)


@mutant("cross_entropy_loss", "Ignored rows are counted in the mean: divide by the number of rows whose "
                              "label is not ignore_index.")
def cross_entropy_mean_over_all_rows(x, y, label_smoothing=0.0, ignore_index=-100):
    if np.all(y == ignore_index):
        return refimpl.cross_entropy_loss(x, y, label_smoothing, ignore_index)
    return _ce(x, y, _smoothed(label_smoothing, False), ignore_index, divide_by_all=True)


@mutant("cross_entropy_loss", "label_smoothing is ignored.")
def cross_entropy_no_smoothing(x, y, label_smoothing=0.0, ignore_index=-100):
    return refimpl.cross_entropy_loss(x, y, 0.0, ignore_index)
