"""Rows for the recurrent layers, word embeddings and the temporal layers."""
import numpy as np

from ..cases import generator
from . import _properties as props
from . import backward, forward
from .layers import row_levels


def _weights(c, gates):
    """Wx (D, gates*H), Wh (H, gates*H), b: scaled so that the gates are neither saturated nor flat."""
    H = c.H
    return (c.randn(c.D, gates * H, scale=0.6), c.randn(H, gates * H, scale=0.6), c.randn(gates * H, scale=0.5))


@generator(N=(1, 4), D=(1, 5), H=(1, 5), edges={"one_sample": {"N": 1}, "one_unit": {"H": 1}, "saturated": {}})
def rnn_step(c):
    """saturated: inputs ten times larger, so tanh sits near +-1."""
    Wx, Wh, b = _weights(c, 1)
    x = c.randn(c.N, c.D, scale=10.0 if c.edge == "saturated" else 1.0)
    return dict(x=x, prev_h=c.randn(c.N, c.H, scale=0.5), Wx=Wx, Wh=Wh, b=b), dict(dnext_h=c.grad(c.N, c.H))


STEP_PROPERTIES = (props.one("N"), props.one("H"), props.edge("saturated", "the inputs saturate tanh (saturated)",
                                                               "the inputs are ordinary"))
rnn_step.declare(*STEP_PROPERTIES)


@generator(N=(1, 4), D=(1, 5), H=(1, 5), edges={"one_sample": {"N": 1}, "one_unit": {"H": 1}, "saturated": {}})
def lstm_step(c):
    Wx, Wh, b = _weights(c, 4)
    x = c.randn(c.N, c.D, scale=10.0 if c.edge == "saturated" else 1.0)
    return (dict(x=x, prev_h=c.randn(c.N, c.H, scale=0.5), prev_c=c.randn(c.N, c.H), Wx=Wx, Wh=Wh, b=b),
            dict(dnext_h=c.grad(c.N, c.H), dnext_c=c.grad(c.N, c.H)))


lstm_step.declare(*STEP_PROPERTIES)


def _sequence_gen(gates):
    @generator(N=(1, 3), T=(1, 6), D=(1, 4), H=(1, 4), edges={"one_step": {"T": 1}, "one_sample": {"N": 1},
                                                               "long_sequence": {"T": 12}})
    def sequence(c):
        Wx, Wh, b = _weights(c, gates)
        return (dict(x=c.randn(c.N, c.T, c.D), h0=c.randn(c.N, c.H, scale=0.5), Wx=Wx, Wh=Wh, b=b),
                dict(dh=c.grad(c.N, c.T, c.H)))
    sequence.name = f"sequence_{gates}"
    return sequence.declare(props.one("T", "there is one step (T = 1)"), props.one("N"))


rnn_sequence, lstm_sequence = _sequence_gen(1), _sequence_gen(4)


@generator(N=(1, 4), T=(1, 6), V=(2, 10), D=(1, 5), edges={"repeated_words": {}, "vocabulary_ends": {}})
def words(c):
    x = c.rng.integers(0, c.V, (c.N, c.T))
    if c.edge == "repeated_words":
        x[:] = c.rng.integers(0, c.V)
    elif c.edge == "vocabulary_ends":
        x = np.where(c.rng.random((c.N, c.T)) < 0.5, 0, c.V - 1)
    return dict(x=x, W=c.randn(c.V, c.D)), dict(dout=c.grad(c.N, c.T, c.D))


words.declare(props.any_value("x", lambda x: np.unique(x).size < x.size, "a word appears more than once",
                              "every word appears once", vary=("V", "N", "T")))


@generator(N=(1, 4), T=(1, 5), D=(1, 5), M=(1, 6), edges={"one_step": {"T": 1}})
def temporal(c):
    return dict(x=c.randn(c.N, c.T, c.D), w=c.randn(c.D, c.M), b=c.randn(c.M)), dict(dout=c.grad(c.N, c.T, c.M))


@generator(N=(1, 4), T=(1, 5), V=(2, 8), edges={"all_masked": {}, "none_masked": {}, "huge_offset": {},
                                                "row_offsets": {"N": 2, "T": 3}, "huge_scores": {},
                                                "far_below": {}, "one_sample": {"N": 1}})
def captions(c):
    """Scores of each word at each step; as softmax_loss's edges: a common offset of 1e3 and steps
    at different offsets (ordinary), spreads of 1e4 and the correct word 800 below the others
    (extreme)."""
    x = c.raw(c.N, c.T, c.V)
    mask = c.rng.random((c.N, c.T)) < 0.7
    y = c.rng.integers(0, c.V, (c.N, c.T))
    if c.edge == "all_masked":
        mask[:] = False
    elif c.edge == "none_masked":
        mask[:] = True
    elif c.edge == "huge_offset":
        x += 1e3
    elif c.edge == "row_offsets":
        x += 400.0 * row_levels(c, c.N * c.T).reshape(c.N, c.T, 1)
    elif c.edge == "huge_scores":
        x, c.extreme = 1e4 * x, True
    elif c.edge == "far_below":
        np.put_along_axis(x, y[..., None], np.take_along_axis(x, y[..., None], axis=2) - 800, axis=2)
        c.extreme = True
    return dict(x=c.cast(x), y=y, mask=mask), {}


captions.declare(props.any_value("mask", lambda m: not m.all(), "some steps are masked out", "no step is masked out"),
                 props.edge("row_offsets", "the steps' scores sit at different offsets (row_offsets)",
                            "the scores share one offset", flips=("huge_offset", "seed")),
                 props.edge("huge_offset", "the scores share an offset of 1e3 (huge_offset)", "the scores are small"),
                 props.edge("far_below", "the correct word scores 800 below the maximum (far_below)",
                            "the scores are ordinary"))


ROWS = [
    forward("rnn_step_forward(x, prev_h, Wx, Wh, b) -> next_h, cache", rnn_step, "rnn:rnn_step"),
    backward("rnn_step_backward(dnext_h, cache) -> dx, dprev_h, dWx, dWh, db", rnn_step, "rnn:rnn_step",
             "rnn_step_forward", forward_returns="next_h cache"),
    forward("rnn_forward(x, h0, Wx, Wh, b) -> h, cache", rnn_sequence, "rnn:rnn"),
    backward("rnn_backward(dh, cache) -> dx, dh0, dWx, dWh, db", rnn_sequence, "rnn:rnn", "rnn_forward",
             forward_returns="h cache"),
    forward("lstm_step_forward(x, prev_h, prev_c, Wx, Wh, b) -> next_h, next_c, cache", lstm_step,
            "rnn:lstm_step"),
    backward("lstm_step_backward(dnext_h, dnext_c, cache) -> dx, dprev_h, dprev_c, dWx, dWh, db", lstm_step,
             "rnn:lstm_step", "lstm_step_forward", forward_returns="next_h next_c cache"),
    forward("lstm_forward(x, h0, Wx, Wh, b) -> h, cache", lstm_sequence, "rnn:lstm"),
    backward("lstm_backward(dh, cache) -> dx, dh0, dWx, dWh, db", lstm_sequence, "rnn:lstm", "lstm_forward",
             forward_returns="h cache"),
    forward("word_embedding_forward(x, W) -> out, cache", words, "layers:embedding"),
    backward("word_embedding_backward(dout, cache) -> dW", words, "layers:embedding", "word_embedding_forward"),
    forward("temporal_affine_forward(x, w, b) -> out, cache", temporal, "layers:temporal_affine"),
    backward("temporal_affine_backward(dout, cache) -> dx, dw, db", temporal, "layers:temporal_affine",
             "temporal_affine_forward"),
    forward("temporal_softmax_loss(x, y, mask) -> loss, dx", captions, "layers:temporal_softmax_loss"),
]
