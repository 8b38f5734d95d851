"""Rows for the transformer's elementwise and row-wise blocks: softmax, log-softmax, GELU, SiLU,
RMSNorm, SwiGLU and cross-entropy (part of the attention family: refcheck.registry.attention
lists these rows first)."""
import numpy as np

from ..cases import generator
from . import _properties as props
from . import backward, forward


@generator(K=(1, 3), a=(1, 4), b=(1, 3), C=(1, 7), edges={
    "one_class": {"C": 1}, "one_row": {"K": 1}, "huge_offset": {}, "huge_scores": {},
    "row_offsets": {"K": 2, "a": 3}, "exact_ties": {}})
def rows(c):
    """x (..., C) for the softmaxes: a common offset of 1e3 (exp overflows without the
    max-subtraction), a spread of 1e4 (the softmax underflows, the log-softmax must not) and rows
    at different offsets (one row near 1e3: subtracting the array-wide maximum underflows the rest)."""
    shape = [c.a, c.b][:c.K - 1] + [c.C]
    x = c.raw(*shape)
    if c.edge == "huge_offset":
        x += 1e3
    elif c.edge == "huge_scores":
        x *= 1e4
    elif c.edge == "row_offsets":
        x[0] += 1e3
    elif c.edge == "exact_ties":
        x = np.round(x)
    return dict(x=c.cast(x)), dict(dout=c.grad(*shape))


rows.declare(props.edge("row_offsets", "the rows sit at different offsets (row_offsets)", "the rows share one offset",
                        flips=("huge_offset", "seed")),
             props.edge("huge_offset", "the scores share an offset of 1e3 (huge_offset)", "the scores are small"),
             props.edge("huge_scores", "the scores spread over 1e4 (huge_scores)", "the scores are ordinary"),
             props.one("C", "there is one class (C = 1)"))


def _elementwise(c):
    if c.edge == "scalar":
        return c.randn(), c.grad()
    shape = [c.d1, c.d2, c.d3][:c.K]
    x = c.raw(*shape)
    if c.edge == "exact_zeros":
        x[c.rng.random(x.shape) < 0.4] = 0
    elif c.edge == "large_inputs":  # the tails: sigmoid(-30), erf(+-20)
        x *= 30
    return c.cast(x), c.grad(*shape)


ELEMENTWISE = dict(K=(1, 3), d1=(1, 5), d2=(1, 4), d3=(1, 3))
ELEMENTWISE_EDGES = {"exact_zeros": {}, "large_inputs": {}, "scalar": {}}


@generator(**ELEMENTWISE, form=(0, 1), edges={**ELEMENTWISE_EDGES, "erf_form": {"form": 0},
                                              "tanh_form": {"form": 1}, "default_form": {}})
def gelu(c):
    """form: 0 approximate='none' (erf), 1 'tanh'; default_form leaves approximate out."""
    x, dout = _elementwise(c)
    args = dict(x=x) if c.edge == "default_form" else dict(x=x, approximate=("none", "tanh")[c.form])
    return args, dict(dout=dout)


@generator(**ELEMENTWISE, edges=ELEMENTWISE_EDGES)
def silu(c):
    x, dout = _elementwise(c)
    return dict(x=x), dict(dout=dout)


@generator(K=(1, 3), a=(1, 4), b=(1, 3), D=(1, 10), eps=(0, 2), edges={
    "zero_row": {}, "one_feature": {"D": 1}, "default_eps": {"eps": 0}, "large_eps": {"eps": 2},
    "small_inputs": {"eps": 0}})
def rms_norm(c):
    """eps: 0 the default (not passed), 1 1e-5, 2 0.1. small_inputs: x near 1e-3, where the
    mean square is comparable to eps."""
    shape = [c.a, c.b][:c.K - 1] + [c.D]
    x = c.raw(*shape) * (1e-3 if c.edge == "small_inputs" else 1.0)
    if c.edge == "zero_row":
        x.reshape(-1, c.D)[0] = 0
    args = dict(x=c.cast(x), gamma=c.randn(c.D))
    if c.eps:
        args["eps"] = (1e-5, 0.1)[c.eps - 1]
    return args, dict(dout=c.grad(*shape))


@generator(K=(1, 3), a=(1, 3), b=(1, 3), D=(1, 6), H=(1, 8), edges={
    "one_token": {"K": 1}, "one_hidden": {"H": 1}, "one_feature": {"D": 1}})
def swiglu(c):
    """x (..., D); weights scaled by 1 / sqrt(fan-in), as initialized in practice."""
    shape = [c.a, c.b][:c.K - 1] + [c.D]
    return (dict(x=c.randn(*shape), W1=c.randn(c.D, c.H, scale=c.D ** -0.5), W3=c.randn(c.D, c.H, scale=c.D ** -0.5),
                 W2=c.randn(c.H, c.D, scale=c.H ** -0.5)), dict(dout=c.grad(*shape)))


@generator(N=(1, 8), C=(2, 10), smooth=(0, 2), ign=(0, 2), edges={
    "one_sample": {"N": 1}, "two_classes": {"C": 2}, "label_ends": {"ign": 2}, "smoothing_zero": {"ign": 2},
    "smoothing_one": {}, "all_ignored": {"ign": 0}, "ignore_a_class": {"ign": 1}, "huge_offset": {},
    "huge_scores": {}, "defaults": {"ign": 2}})
def cross_entropy(c):
    """smooth: 0 none, 1 a random eps in (0, 1), 2 eps = 0.1; ign: 0 some labels -100 (the default
    ignore_index), 1 ignore_index set to a class (its rows ignored), 2 nothing ignored.
    huge_scores (a spread of 1e4) is extreme: only log-sum-exp stays finite there."""
    x = c.raw(c.N, c.C)
    y = c.labels(c.N, c.C)
    smoothing = {0: 0.0, 1: float(c.rng.uniform(0.01, 0.99)), 2: 0.1}[c.smooth]
    ignore_index = -100
    if c.ign == 0:
        y[c.rng.random(c.N) < 0.3] = -100
    elif c.ign == 1:
        ignore_index = int(c.rng.integers(0, c.C))
    if c.edge == "label_ends":
        y = np.where(np.arange(c.N) % 2, c.C - 1, 0)
    elif c.edge in ("smoothing_zero", "smoothing_one"):
        smoothing = float(c.edge == "smoothing_one")
    elif c.edge == "all_ignored":
        y[:] = -100
        c.extreme = True  # a mean over no rows: NaN (torch) or 0; a NaN dx only warns
    elif c.edge == "huge_offset":
        x += 1e3
    elif c.edge == "huge_scores":
        x, c.extreme = 1e4 * x, True
    args = dict(x=c.cast(x), y=y)
    if c.edge == "defaults":
        return args, {}
    if c.smooth or c.ign == 1 or c.edge in ("smoothing_zero", "smoothing_one"):
        args["label_smoothing"] = smoothing
    if c.ign == 1:
        args["ignore_index"] = ignore_index
    return args, {}


def _pair(forward_signature, gen, oracle, grads):
    """A forward ``name_forward(...) -> out, cache`` and its ``name_backward(dout, cache) -> grads``."""
    name = forward_signature.split("(")[0][:-len("_forward")]
    return [forward(f"{forward_signature} -> out, cache", gen, oracle),
            backward(f"{name}_backward(dout, cache) -> {grads}", gen, oracle, f"{name}_forward")]


ROWS = [
    *_pair("softmax_forward(x)", rows, "attention:softmax", "dx"),
    *_pair("log_softmax_forward(x)", rows, "attention:log_softmax", "dx"),
    *_pair("gelu_forward(x, approximate=...)", gelu, "attention:gelu", "dx"),
    *_pair("silu_forward(x)", silu, "attention:silu", "dx"),
    *_pair("rms_norm_forward(x, gamma, eps=...)", rms_norm, "attention:rms_norm", "dx, dgamma"),
    *_pair("swiglu_forward(x, W1, W3, W2)", swiglu, "attention:swiglu", "dx, dW1, dW3, dW2"),
    forward("cross_entropy_loss(x, y, label_smoothing=..., ignore_index=...) -> loss, dx", cross_entropy,
            "attention:cross_entropy"),
]
