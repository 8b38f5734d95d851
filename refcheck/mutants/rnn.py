"""Mutants of the recurrent layers, word embeddings and the temporal layers."""
import numpy as np

import refimpl
from refimpl.rnn_layers import _sigmoid

from ..diagnosis.rnn import gate_order_hint
from . import mutant


@mutant("rnn_step_backward", "The tanh derivative is taken at the wrong point: d tanh(a) = 1 - tanh(a)**2 "
                             "= 1 - next_h**2.")
def rnn_step_backward_wrong_tanh_derivative(dnext_h, cache):
    x, prev_h, Wx, Wh, next_h = cache
    da = dnext_h * (1 - np.tanh(next_h) ** 2)
    return da @ Wx.T, da @ Wh.T, x.T @ da, prev_h.T @ da, da.sum(axis=0)


@mutant("rnn_forward", "h0 is ignored (the first step starts from zeros).")
def rnn_forward_ignores_h0(x, h0, Wx, Wh, b):
    h, _ = refimpl.rnn_forward(x, np.zeros_like(h0), Wx, Wh, b)
    return h, refimpl.rnn_forward(x, h0, Wx, Wh, b)[1]


@mutant("rnn_backward", "Each step's upstream dh[:, t] is not added to the gradient flowing back from "
                        "later steps; only the last step receives dh.")
def rnn_backward_only_last_dh(dh, cache):
    only_last = np.zeros_like(dh)
    only_last[:, -1] = dh[:, -1]
    return refimpl.rnn_backward(only_last, cache)


def _torch_gate_order(x, prev_h, prev_c, Wx, Wh, b):
    a = x @ Wx + prev_h @ Wh + b
    i, f, g, o = np.split(a, 4, axis=1)  # torch's i, f, g, o
    next_c = _sigmoid(f) * prev_c + _sigmoid(i) * np.tanh(g)
    return _sigmoid(o) * np.tanh(next_c), next_c


@mutant("lstm_step_forward", gate_order_hint(("i", "f", "g", "o")))
def lstm_step_forward_torch_gate_order(x, prev_h, prev_c, Wx, Wh, b):
    next_h, next_c = _torch_gate_order(x, prev_h, prev_c, Wx, Wh, b)
    return next_h, next_c, refimpl.lstm_step_forward(x, prev_h, prev_c, Wx, Wh, b)[2]


@mutant("lstm_step_backward", "dprev_c misses the forget gate: dprev_c = dc * f.")
def lstm_step_backward_no_forget_gate(dnext_h, dnext_c, cache):
    dx, dprev_h, dprev_c, dWx, dWh, db = refimpl.lstm_step_backward(dnext_h, dnext_c, cache)
    f = cache[6]
    return dx, dprev_h, dprev_c / f, dWx, dWh, db


@mutant("lstm_forward", gate_order_hint(("i", "f", "g", "o")))
def lstm_forward_torch_gate_order(x, h0, Wx, Wh, b):
    h, prev_c, out = h0, np.zeros_like(h0), []
    for t in range(x.shape[1]):
        h, prev_c = _torch_gate_order(x[:, t], h, prev_c, Wx, Wh, b)
        out.append(h)
    return np.stack(out, axis=1), refimpl.lstm_forward(x, h0, Wx, Wh, b)[1]


@mutant("lstm_backward", "Each step's upstream dh[:, t] is not added to the gradient flowing back from "
                         "later steps; only the last step receives dh.")
def lstm_backward_only_last_dh(dh, cache):
    only_last = np.zeros_like(dh)
    only_last[:, -1] = dh[:, -1]
    return refimpl.lstm_backward(only_last, cache)


@mutant("word_embedding_backward", "dW is assigned (dW[x] = dout) instead of accumulated: a word that "
                                   "appears several times must add up its gradients (np.add.at).")
def word_embedding_backward_assigned(dout, cache):
    x, w_shape = cache
    dW = np.zeros(w_shape, dtype=dout.dtype)
    dW[x] = dout
    return dW


@mutant("temporal_softmax_loss", "The loss is divided by the number of unmasked steps; the contract "
                                 "divides by N.")
def temporal_softmax_loss_mask_mean(x, y, mask):
    loss, dx = refimpl.temporal_softmax_loss(x, y, mask)
    with np.errstate(all="ignore"):  # as students write it: all steps masked out gives 0 / 0
        scale = np.float64(x.shape[0]) / np.sum(mask)
    return (loss * scale).astype(loss.dtype), (dx * scale).astype(dx.dtype)


@mutant("temporal_softmax_loss", "The mask is ignored: masked-out steps must not count.")
def temporal_softmax_loss_ignores_mask(x, y, mask):
    return refimpl.temporal_softmax_loss(x, y, np.ones_like(mask))


@mutant("temporal_affine_backward", "db is averaged over the batch and steps; it should be summed.")
def temporal_affine_backward_db_mean(dout, cache):
    dx, dw, db = refimpl.temporal_affine_backward(dout, cache)
    return dx, dw, db / (dout.shape[0] * dout.shape[1])


@mutant("temporal_softmax_loss", "The maximum subtracted is the whole array's (x.max()), not each step's: "
                                 "steps whose scores sit at different levels underflow to 0 / 0 (use "
                                 "x.max(axis=-1, keepdims=True)).")
def temporal_softmax_loss_global_max(x, y, mask):
    n, t, v = x.shape
    flat, words, keep = x.reshape(-1, v), y.reshape(-1), mask.reshape(-1)
    probs = np.exp(flat - flat.max())
    probs /= probs.sum(axis=1, keepdims=True)
    loss = -(keep * np.log(probs[np.arange(n * t), words])).sum() / n
    probs[np.arange(n * t), words] -= 1
    return x.dtype.type(loss), (probs * keep[:, None] / n).reshape(x.shape)
