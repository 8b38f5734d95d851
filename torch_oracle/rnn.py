"""Oracles for the recurrent layers: torch's own modules with the contract's weights copied in.

The contract's weights are (in, out) and torch's (out, in): weight_ih = Wx.T, weight_hh = Wh.T,
bias_ih = b, bias_hh = 0. The contract's LSTM gate blocks are i, f, o, g; torch's are i, f, g, o,
so the last two blocks swap on the way in (and the gradients come back through the same swap,
by autograd). The modules run through ``torch.func.functional_call`` with those tensors, so the
gradients land on the contract's Wx, Wh and b.
"""
import torch
from torch import nn
from torch.func import functional_call

from ._autograd import autograd


def _torch_gates(W, gates):
    """(in, gates * H) in the contract's gate order -> torch's (gates * H, in)."""
    if gates == 1:
        return W.T
    i, f, o, g = W.chunk(4, dim=-1)
    return torch.cat([i, f, g, o], dim=-1).T


def _params(Wx, Wh, b, gates, suffix=""):
    return {f"weight_ih{suffix}": _torch_gates(Wx, gates), f"weight_hh{suffix}": _torch_gates(Wh, gates),
            f"bias_ih{suffix}": _torch_gates(b[None, :], gates)[:, 0],
            f"bias_hh{suffix}": torch.zeros(b.shape[0], dtype=torch.float64)}


def rnn_step(x, prev_h, Wx, Wh, b, dnext_h):
    """``nn.RNNCell(D, H)`` (tanh) with the weights copied in."""
    cell = nn.RNNCell(Wx.shape[0], Wx.shape[1], dtype=torch.float64)
    return autograd(lambda x, prev_h, Wx, Wh, b: functional_call(cell, _params(Wx, Wh, b, 1), (x, prev_h)),
                    dict(x=x, prev_h=prev_h, Wx=Wx, Wh=Wh, b=b), ("next_h",), (dnext_h,))


def rnn(x, h0, Wx, Wh, b, dh):
    """``nn.RNN(D, H, batch_first=True)`` with the weights copied in; h is every step's output."""
    net = nn.RNN(Wx.shape[0], Wx.shape[1], batch_first=True, dtype=torch.float64)
    return autograd(lambda x, h0, Wx, Wh, b: functional_call(net, _params(Wx, Wh, b, 1, "_l0"), (x, h0[None]))[0],
                    dict(x=x, h0=h0, Wx=Wx, Wh=Wh, b=b), ("h",), (dh,))


def lstm_step(x, prev_h, prev_c, Wx, Wh, b, dnext_h, dnext_c):
    """``nn.LSTMCell(D, H)`` with the weights copied in, gate blocks i, f, o, g -> i, f, g, o."""
    cell = nn.LSTMCell(Wx.shape[0], Wx.shape[1] // 4, dtype=torch.float64)
    return autograd(
        lambda x, prev_h, prev_c, Wx, Wh, b: functional_call(cell, _params(Wx, Wh, b, 4), (x, (prev_h, prev_c))),
        dict(x=x, prev_h=prev_h, prev_c=prev_c, Wx=Wx, Wh=Wh, b=b), ("next_h", "next_c"), (dnext_h, dnext_c))


def lstm(x, h0, Wx, Wh, b, dh):
    """``nn.LSTM(D, H, batch_first=True)`` from (h0, c0 = 0), weights as lstm_step."""
    net = nn.LSTM(Wx.shape[0], Wx.shape[1] // 4, batch_first=True, dtype=torch.float64)
    c0 = torch.zeros(1, *h0.shape, dtype=torch.float64)
    return autograd(
        lambda x, h0, Wx, Wh, b: functional_call(net, _params(Wx, Wh, b, 4, "_l0"), (x, (h0[None], c0)))[0],
        dict(x=x, h0=h0, Wx=Wx, Wh=Wh, b=b), ("h",), (dh,))
