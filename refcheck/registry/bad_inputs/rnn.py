"""Bad and unusual inputs of the recurrent layers."""
import numpy as np

from ._entries import NAN, computes, put, rejects


_STEP = dict(N=2, D=3, H=4)
_SEQ = dict(N=2, T=3, D=3, H=4)


def _step_entries(gates):
    return [
        rejects("prev_h of another batch",
                r"prev_h must have shape \(2, 4\) \(one row per row of x \(2, 3\)\), got \(3, 4\)",
                sizes=_STEP, prev_h=np.zeros((3, 4))),
        rejects("Wx of another width", rf"Wx must have shape \(3, {4 * gates}\)", sizes=_STEP, Wx=np.zeros((3, 5))),
        rejects("b of another length", rf"b must have shape \({4 * gates},\)", sizes=_STEP, b=np.zeros(3)),
        rejects("x 3-D", r"x must be 2-D, got shape \(2, 1, 3\)", sizes=_STEP, x=np.zeros((2, 1, 3))),
        computes("empty batch", sizes=dict(N=0)),
        computes("NaN in x", x=put("x", NAN)),
    ], [
        rejects("dnext_h of another shape", r"dnext_h must have shape \(2, 4\).*got \(4, 2\)", sizes=_STEP,
                dnext_h=np.zeros((4, 2))),
        computes("empty batch", sizes=dict(N=0)),
        computes("NaN in dnext_h", dnext_h=put("dnext_h", NAN)),
    ]


def _sequence_entries(gates):
    return [
        rejects("T = 0 (torch: sequence length must be > 0)",
                r"x must hold at least one time step, got shape \(2, 0, 3\)",
                sizes=_SEQ, x=np.zeros((2, 0, 3))),
        rejects("h0 of another batch", r"h0 must have shape \(2, 4\).*got \(3, 4\)", sizes=_SEQ, h0=np.zeros((3, 4))),
        rejects("Wh of another shape", rf"Wh must have shape \(4, {4 * gates}\)", sizes=_SEQ,
                Wh=np.zeros((4, 4 * gates + 1))),
        computes("empty batch", sizes=dict(N=0)),
        computes("NaN in x", x=put("x", NAN)),
    ], [
        rejects("dh of another shape", r"dh must have shape \(2, 3, 4\).*got \(2, 4, 3\)", sizes=_SEQ,
                dh=np.zeros((2, 4, 3))),
        computes("empty batch", sizes=dict(N=0)),
        computes("NaN in dh", dh=put("dh", NAN)),
    ]


_RNN_STEP, _RNN_STEP_BACKWARD = _step_entries(1)
_LSTM_STEP, _LSTM_STEP_BACKWARD = _step_entries(4)
_RNN, _RNN_BACKWARD = _sequence_entries(1)
_LSTM, _LSTM_BACKWARD = _sequence_entries(4)
_WORDS = dict(N=2, T=3, V=5, D=4)
_TEMPORAL = dict(N=2, T=3, D=4, M=5)
_CAPTIONS = dict(N=2, T=3, V=4)

BAD_INPUTS = {
    "rnn_step_forward": _RNN_STEP, "rnn_step_backward": _RNN_STEP_BACKWARD,
    "rnn_forward": _RNN, "rnn_backward": _RNN_BACKWARD,
    "lstm_step_forward": _LSTM_STEP + [
        rejects("prev_c of another shape", r"prev_c must have shape \(2, 4\) \(the shape of prev_h\), got \(2, 3\)",
                sizes=_STEP, prev_c=np.zeros((2, 3)))],
    "lstm_step_backward": _LSTM_STEP_BACKWARD + [
        rejects("dnext_c of another shape", r"dnext_c must have shape \(2, 4\).*got \(2, 1\)", sizes=_STEP,
                dnext_c=np.zeros((2, 1))),
        computes("NaN in dnext_c", dnext_c=put("dnext_c", NAN))],
    "lstm_forward": _LSTM, "lstm_backward": _LSTM_BACKWARD,
    "word_embedding_forward": [
        rejects("float word indices", r"x must be an \(N, T\) array of integer word indices, got float64",
                x=lambda a: a["x"] * 1.0),
        rejects("index past the vocabulary", r"x must index the 5 rows of W \(5, 4\), got values in \[0, 5\]",
                sizes=_WORDS, x=np.array([[0, 5, 1]])),
        rejects("W 1-D", r"W must be 2-D, got shape \(5,\)", sizes=_WORDS, W=np.zeros(5)),
        computes("empty batch", sizes=dict(N=0)),
        computes("NaN in W", W=put("W", NAN)),
    ],
    "word_embedding_backward": [
        rejects("dout of another shape", r"dout must have shape \(2, 3, 4\).*got \(2, 3, 5\)", sizes=_WORDS,
                dout=np.zeros((2, 3, 5))),
        computes("empty batch", sizes=dict(N=0)),
        computes("NaN in dout", dout=put("dout", NAN)),
    ],
    "temporal_affine_forward": [
        rejects("w rows differ from x's features", r"w must have shape \(4, 5\).*got \(3, 5\)", sizes=_TEMPORAL,
                w=np.zeros((3, 5))),
        rejects("x 2-D", r"x must be 3-D, got shape \(2, 4\)", x=np.zeros((2, 4))),
        computes("empty batch", sizes=dict(N=0)),
        computes("NaN in x", x=put("x", NAN)),
    ],
    "temporal_affine_backward": [
        rejects("dout of another shape", r"dout must have shape \(2, 3, 5\).*got \(2, 3, 4\)", sizes=_TEMPORAL,
                dout=np.zeros((2, 3, 4))),
        computes("empty batch", sizes=dict(N=0)),
        computes("NaN in dout", dout=put("dout", NAN)),
    ],
    "temporal_softmax_loss": [
        rejects("complex mask", r"mask must be a boolean or real mask, got dtype complex128",
                mask=lambda a: a["mask"] + 0j),
        rejects("mask of another shape", r"mask must have shape \(2, 3\), got \(3, 2\)", sizes=_CAPTIONS,
                mask=np.ones((3, 2), bool)),
        rejects("word out of range", r"y must lie in \[0, 4\)", sizes=_CAPTIONS, y=np.full((2, 3), 4)),
        rejects("empty batch: the loss divides by N", r"x must hold at least one sequence.*\(0, 3, 4\)",
                sizes=dict(_CAPTIONS, N=0)),
        computes("0/1 integer mask", mask=lambda a: a["mask"].astype(int)),
        computes("NaN in x", x=put("x", NAN)),
        computes("no time steps", sizes=dict(T=0)),
    ],
}
