"""Recurrent layers, word embeddings and the temporal layers (CS231n ``rnn_layers.py``).

Shapes: N sequences of T steps, D input features, H hidden units, V words, M outputs. Weights are
(in, out): Wx (D, H), Wh (H, H) for a vanilla RNN; (D, 4H), (H, 4H) and b (4H,) for an LSTM,
whose gate blocks are ordered i, f, o, g (torch's LSTM orders them i, f, g, o and stores the
transposed weights). Sequences are batch first: x (N, T, D), h (N, T, H).
"""
import numpy as np

from . import _validate as v


def _sigmoid(a):
    """1 / (1 + exp(-a)) without overflow for large |a|."""
    e = np.exp(-np.abs(a))
    return np.where(a >= 0, 1 / (1 + e), e / (1 + e))


def _step_args(x, prev_h, Wx, Wh, b, gates):
    x, prev_h = v.floats("x", x, ndim=2), v.floats("prev_h", prev_h, ndim=2)
    Wx, Wh, b = v.floats("Wx", Wx, ndim=2), v.floats("Wh", Wh, ndim=2), v.floats("b", b, ndim=1)
    h = prev_h.shape[1]
    v.shape("prev_h", prev_h, (x.shape[0], h), f" (one row per row of x {x.shape})")
    v.shape("Wx", Wx, (x.shape[1], gates * h), f" (x has {x.shape[1]} features, prev_h {h} units)")
    v.shape("Wh", Wh, (h, gates * h), f" (prev_h has {h} units)")
    v.shape("b", b, (gates * h,), f" ({gates} x the {h} hidden units)")
    return x, prev_h, Wx, Wh, b


@v.float16_as_float32
def rnn_step_forward(x, prev_h, Wx, Wh, b):
    """``next_h = tanh(x @ Wx + prev_h @ Wh + b)``; x (N, D), prev_h (N, H). torch: ``nn.RNNCell``
    with weight_ih = Wx.T, weight_hh = Wh.T, bias_ih = b, bias_hh = 0."""
    x, prev_h, Wx, Wh, b = _step_args(x, prev_h, Wx, Wh, b, 1)
    next_h = np.tanh(x @ Wx + prev_h @ Wh + b)
    return next_h, (x, prev_h, Wx, Wh, next_h)


@v.float16_as_float32
def rnn_step_backward(dnext_h, cache):
    """Gradients of rnn_step_forward: dx, dprev_h, dWx, dWh, db."""
    x, prev_h, Wx, Wh, next_h = cache
    dnext_h = v.floats("dnext_h", dnext_h)
    v.shape("dnext_h", dnext_h, next_h.shape, " (the forward's next_h)")
    da = dnext_h * (1 - next_h * next_h)
    return da @ Wx.T, da @ Wh.T, x.T @ da, prev_h.T @ da, da.sum(axis=0)


def _sequence(x, h0, name="x"):
    x = v.floats(name, x, ndim=3)
    h0 = v.floats("h0", h0, ndim=2)
    v.shape("h0", h0, (x.shape[0], h0.shape[1]), f" (one row per sequence of {name} {x.shape})")
    v.nonempty(name, x, 1, "time step")  # T = 0: torch's RNN and LSTM raise as well
    return x, h0


@v.float16_as_float32
def rnn_forward(x, h0, Wx, Wh, b):
    """A vanilla RNN over x (N, T, D) from h0 (N, H); returns every hidden state h (N, T, H).
    torch: ``nn.RNN(D, H, batch_first=True)`` with the weights as rnn_step_forward."""
    x, h0 = _sequence(x, h0)
    h, caches, prev = [], [], h0
    for t in range(x.shape[1]):
        prev, cache = rnn_step_forward(x[:, t], prev, Wx, Wh, b)
        h.append(prev)
        caches.append(cache)
    return np.stack(h, axis=1), caches


@v.float16_as_float32
def rnn_backward(dh, cache):
    """Gradients of rnn_forward given dh (N, T, H), the upstream gradient of every hidden state
    (each step adds its own dh[:, t] to the gradient flowing back from later steps).
    Returns dx (N, T, D), dh0 (N, H), dWx, dWh, db."""
    dh = v.floats("dh", dh, ndim=3)
    n, t_len, h = len(cache[0][1]), len(cache), cache[0][1].shape[1]
    v.shape("dh", dh, (n, t_len, h), " (the forward's h)")
    dx, dWx, dWh, db = [], 0, 0, 0
    dprev = np.zeros((n, h), dh.dtype)
    for t in reversed(range(t_len)):
        dx_t, dprev, dWx_t, dWh_t, db_t = rnn_step_backward(dh[:, t] + dprev, cache[t])
        dx.append(dx_t)
        dWx, dWh, db = dWx + dWx_t, dWh + dWh_t, db + db_t
    return np.stack(dx[::-1], axis=1), dprev, dWx, dWh, db


@v.float16_as_float32
def lstm_step_forward(x, prev_h, prev_c, Wx, Wh, b):
    """One LSTM step with gates i, f, o, g (in that order in Wx, Wh, b):
    ``next_c = f * prev_c + i * g; next_h = o * tanh(next_c)``. Returns next_h, next_c, cache.
    torch: ``nn.LSTMCell`` with the gate blocks reordered to i, f, g, o and transposed."""
    x, prev_h, Wx, Wh, b = _step_args(x, prev_h, Wx, Wh, b, 4)
    prev_c = v.floats("prev_c", prev_c)
    v.shape("prev_c", prev_c, prev_h.shape, " (the shape of prev_h)")
    a = x @ Wx + prev_h @ Wh + b
    i, f, o, g = np.split(a, 4, axis=1)
    i, f, o, g = _sigmoid(i), _sigmoid(f), _sigmoid(o), np.tanh(g)
    next_c = f * prev_c + i * g
    tanh_c = np.tanh(next_c)
    return o * tanh_c, next_c, (x, prev_h, prev_c, Wx, Wh, i, f, o, g, tanh_c)


@v.float16_as_float32
def lstm_step_backward(dnext_h, dnext_c, cache):
    """Gradients of lstm_step_forward: dx, dprev_h, dprev_c, dWx, dWh, db."""
    x, prev_h, prev_c, Wx, Wh, i, f, o, g, tanh_c = cache
    dnext_h, dnext_c = v.floats("dnext_h", dnext_h), v.floats("dnext_c", dnext_c)
    v.shape("dnext_h", dnext_h, prev_h.shape, " (the forward's next_h)")
    v.shape("dnext_c", dnext_c, prev_h.shape, " (the forward's next_c)")
    dc = dnext_c + dnext_h * o * (1 - tanh_c * tanh_c)
    da = np.concatenate([dc * g * i * (1 - i), dc * prev_c * f * (1 - f),
                         dnext_h * tanh_c * o * (1 - o), dc * i * (1 - g * g)], axis=1)
    return da @ Wx.T, da @ Wh.T, dc * f, x.T @ da, prev_h.T @ da, da.sum(axis=0)


@v.float16_as_float32
def lstm_forward(x, h0, Wx, Wh, b):
    """An LSTM over x (N, T, D) from h0 (N, H) and c0 = 0; returns every hidden state h (N, T, H).
    torch: ``nn.LSTM(D, H, batch_first=True)`` with the weights as lstm_step_forward."""
    x, h0 = _sequence(x, h0)
    h, caches, prev_h, prev_c = [], [], h0, np.zeros_like(h0)
    for t in range(x.shape[1]):
        prev_h, prev_c, cache = lstm_step_forward(x[:, t], prev_h, prev_c, Wx, Wh, b)
        h.append(prev_h)
        caches.append(cache)
    return np.stack(h, axis=1), caches


@v.float16_as_float32
def lstm_backward(dh, cache):
    """Gradients of lstm_forward given dh (N, T, H): dx (N, T, D), dh0 (N, H), dWx, dWh, db."""
    dh = v.floats("dh", dh, ndim=3)
    n, h = cache[0][1].shape
    v.shape("dh", dh, (n, len(cache), h), " (the forward's h)")
    dx, dWx, dWh, db = [], 0, 0, 0
    dprev_h = dprev_c = np.zeros((n, h), dh.dtype)
    for t in reversed(range(len(cache))):
        dx_t, dprev_h, dprev_c, dWx_t, dWh_t, db_t = lstm_step_backward(dh[:, t] + dprev_h, dprev_c, cache[t])
        dx.append(dx_t)
        dWx, dWh, db = dWx + dWx_t, dWh + dWh_t, db + db_t
    return np.stack(dx[::-1], axis=1), dprev_h, dWx, dWh, db


@v.float16_as_float32
def word_embedding_forward(x, W):
    """Rows of W (V, D) picked by the integer words x (N, T): out (N, T, D). torch: ``F.embedding``."""
    x = np.asarray(x)
    W = v.floats("W", W, ndim=2)
    if x.dtype.kind not in "iu" or x.ndim != 2:
        raise ValueError(f"x must be an (N, T) array of integer word indices, got {x.dtype} {x.shape}")
    if x.size and (x.min() < 0 or x.max() >= W.shape[0]):
        raise ValueError(f"x must index the {W.shape[0]} rows of W {W.shape}, got values in [{x.min()}, {x.max()}]")
    return W[x], (x, W.shape)


@v.float16_as_float32
def word_embedding_backward(dout, cache):
    """dW (V, D): every occurrence of a word adds its dout row (repeated words accumulate)."""
    x, w_shape = cache
    dout = v.floats("dout", dout)
    v.shape("dout", dout, x.shape + (w_shape[1],), " (the forward's output)")
    dW = np.zeros(w_shape, dtype=dout.dtype)
    np.add.at(dW, x, dout)
    return dW


@v.float16_as_float32
def temporal_affine_forward(x, w, b):
    """An affine layer at every step: x (N, T, D), w (D, M), b (M,) -> out (N, T, M).
    torch: ``F.linear(x, w.T, b)``."""
    x, w, b = v.floats("x", x, ndim=3), v.floats("w", w, ndim=2), v.floats("b", b, ndim=1)
    v.shape("w", w, (x.shape[2], w.shape[1]), f" (rows = the {x.shape[2]} features of x {x.shape})")
    v.shape("b", b, (w.shape[1],), f" (columns of w {w.shape})")
    return x @ w + b, (x, w)


@v.float16_as_float32
def temporal_affine_backward(dout, cache):
    """Gradients of temporal_affine_forward: dx (N, T, D), dw (D, M), db (M,)."""
    x, w = cache
    dout = v.floats("dout", dout, ndim=3)
    v.shape("dout", dout, x.shape[:2] + (w.shape[1],), " (the forward's output)")
    return dout @ w.T, x.reshape(-1, x.shape[2]).T @ dout.reshape(-1, w.shape[1]), dout.sum(axis=(0, 1))


@v.float16_as_float32
def temporal_softmax_loss(x, y, mask):
    """Softmax loss of scores x (N, T, V) against words y (N, T), counting the steps where mask
    (N, T) is true; the sum is divided by N (not by the number of unmasked steps).
    Returns (loss, dx). torch: ``(F.cross_entropy(x, y, reduction='none') * mask).sum() / N``."""
    x = v.floats("x", x, ndim=3)
    n, t, vocab = x.shape
    y = v.labels("y", y, n, vocab, y_shape=(n, t))
    mask = v.mask("mask", mask, (n, t))
    v.nonempty("x", x, 0, "sequence (the loss is divided by N)")
    flat = x.reshape(-1, vocab)
    shifted = flat - flat.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    rows, words, keep = np.arange(n * t), y.reshape(-1), mask.reshape(-1).astype(x.dtype)
    loss = -(keep * log_probs[rows, words]).sum() / n
    dx = np.exp(log_probs)
    dx[rows, words] -= 1
    dx *= keep[:, None] / n
    return x.dtype.type(loss), dx.reshape(x.shape)
