"""Rows for affine, ReLU, the losses, batch normalization and dropout."""
import copy

import numpy as np

from ..calls import Forward, store_results, unpack
from ..cases import Property, generator
from . import _properties as props
from . import Row, backward, forward


@generator(N=(1, 6), K=(1, 3), d1=(1, 5), d2=(1, 4), d3=(1, 3), M=(1, 7),
           edges={"one_sample": {"N": 1}, "flat_input": {"K": 1}})
def affine(c):
    x = c.randn(c.N, *[c.d1, c.d2, c.d3][:c.K])
    w = c.randn(int(np.prod(x.shape[1:])), c.M)
    return dict(x=x, w=w, b=c.randn(c.M)), dict(dout=c.grad(c.N, c.M))


affine.declare(props.one("N"), props.one("K", "x is flat (K = 1: shape (N, D))"))


@generator(K=(1, 4), d1=(1, 6), d2=(1, 5), d3=(1, 4), d4=(1, 3), edges={"exact_zeros": {}})
def relu(c):
    shape = [c.d1, c.d2, c.d3, c.d4][:c.K]
    x = c.randn(*shape)
    if c.edge == "exact_zeros":
        x[c.rng.random(x.shape) < 0.4] = 0
    return dict(x=x), dict(dout=c.grad(*shape))


relu.declare(props.any_value("x", lambda x: (x == 0).any(), "x holds exact zeros", "x holds no exact zeros"))

ROW_OFFSETS_NOTE = ("the rows' scores sit at different levels (row i near 400 * k_i, k_i from 0 to 3), each "
                    "row ordinary on its own: subtracting the whole array's maximum instead of each row's "
                    "underflows the lower rows to 0 / 0")


def row_levels(c, n):
    """k_i in 0..3 per row, the first row at 0 and the last at 3 (when there are two rows)."""
    k = c.rng.integers(0, 4, n)
    k[0], k[-1] = 0, 3
    c.note = ROW_OFFSETS_NOTE
    return k


@generator(N=(1, 8), C=(2, 10), edges={
    "one_sample": {"N": 1}, "two_classes": {"C": 2}, "label_ends": {},
    "huge_offset": {}, "row_offsets": {"N": 4}, "huge_scores": {}, "far_below": {}, "kinks": {}})
def scores(c):
    """Class scores; the edges hold labels at both ends, a common offset of 1e3 and rows at
    different offsets (ordinary: a softmax without max-subtraction overflows on the first, one
    that subtracts the array's maximum instead of each row's underflows on the second), spreads of
    1e4 and a correct class 800 below the row maximum (extreme: only log-sum-exp stays finite),
    and integer scores where hinge margins are exactly 0."""
    x = c.raw(c.N, c.C)
    y = c.labels(c.N, c.C)
    if c.edge == "label_ends":
        y = np.where(np.arange(c.N) % 2, c.C - 1, 0)
    elif c.edge == "huge_offset":
        x += 1e3
    elif c.edge == "row_offsets":
        x += 400.0 * row_levels(c, c.N)[:, None]
    elif c.edge == "huge_scores":
        x, c.extreme = 1e4 * x, True
    elif c.edge == "far_below":
        x[np.arange(c.N), y] -= 800
        c.extreme = True
    elif c.edge == "kinks":
        x = c.rng.integers(-2, 3, size=(c.N, c.C))
    return dict(x=c.cast(x), y=y), {}


def score_properties(common="huge_offset", scores_of=lambda args: args["x"]):
    """The offsets and spreads of scores (the edges of softmax_loss's and the classifiers' cases,
    ``common`` the one with a common offset of 1e3), as properties."""
    large = Property("some score is large (|score| > 100)", "every score is small (|score| <= 100)",
                     lambda v: bool(np.abs(scores_of(v.args)).max(initial=0) > 100), edges=("seed",))
    return (large,props.edge("row_offsets", "the rows' scores sit at different offsets (row_offsets)",
                       "the scores share one offset", flips=(common, "seed")),
            props.edge(common, f"the scores share an offset of 1e3 ({common})", "the scores are small"),
            props.edge("far_below", "the correct class scores 800 below the row maximum (far_below)",
                       "the scores are ordinary"),
            props.edge("huge_scores", "the scores spread over 1e4 (huge_scores)", "the scores are ordinary"),
            props.one("N"))


scores.declare(*score_properties(),
               props.edge("kinks", "the scores are integers (hinge margins exactly 0: kinks)", "the scores are random"))


@generator(N=(1, 8), D=(1, 6), test=(0, 1), custom=(0, 1), fresh=(0, 1), knobs={"unit_affine": (0, 1)}, edges={
    "one_sample": {"N": 1, "test": 0}, "constant_feature": {"test": 0}, "test_mode": {"test": 1, "fresh": 0},
    "default_params": {"custom": 0, "fresh": 1}})
def batchnorm(c):
    """(N, D) inputs; custom=1 sets non-default eps and momentum, fresh=1 leaves the running
    statistics to their defaults (zeros). The knob unit_affine=1 sets gamma = 1 and beta = 0 (what
    the course's own check uses), for the diagnosis."""
    x = c.cast(2 * c.raw(c.N, c.D) + c.raw(c.D))
    if c.edge == "constant_feature":
        x[:, 0] = x[0, 0]
    gamma, beta, bn_param = c.randn(c.D), c.randn(c.D), batchnorm_params(c, c.D)
    if c.unit_affine:
        gamma, beta = c.cast(np.ones(c.D)), c.cast(np.zeros(c.D))
    return dict(x=x, gamma=gamma, beta=beta, bn_param=bn_param), dict(dout=c.grad(c.N, c.D))


batchnorm.declare(
    Property("bn_param's mode is 'test'", "bn_param's mode is 'train'", lambda v: v.test == 1, vary=("test",)),
    Property("gamma and beta are random", "gamma = 1 and beta = 0", lambda v: v.unit_affine == 0,
             vary=("unit_affine",)),
    props.one("N"),
    Property("the running statistics are left to their defaults", "the running statistics are given",
             lambda v: v.fresh == 1, vary=("fresh",)),
    Property("eps and momentum are not the defaults", "eps and momentum are the defaults",
             lambda v: v.custom == 1, vary=("custom",)))


def batchnorm_params(c, channels):
    """bn_param for the sizes test, custom and fresh (see batchnorm)."""
    bn_param = {"mode": "test" if c.test else "train"}
    if c.custom:
        bn_param.update(eps=float(c.rng.choice([1e-3, 1e-2, 0.5])), momentum=float(c.uniform(0.1, 0.99, cast=False)))
    if not c.fresh:
        bn_param.update(running_mean=c.randn(channels), running_var=c.uniform(0.5, 2, channels))
    return bn_param


# the backward functions are judged in train mode (CS231n's cache does not cover test mode)
batchnorm_train = batchnorm.variant(test=(0, 0))

KEEP_PROBABILITIES = (0.25, 0.3, 0.6, 0.75, 0.9, 1.0)  # not 0.5, where p and 1 - p coincide


@generator(N=(1, 8), D=(1, 12), pk=(0, len(KEEP_PROBABILITIES) - 1), seeded=(0, 1), test=(0, 1), edges={
    "keep_rate": {}, "test_mode": {"test": 1}, "keep_all": {"pk": len(KEEP_PROBABILITIES) - 1, "test": 0}})
def dropout(c):
    """x has no zeros, so the kept elements can be read off the output. keep_rate: 200,000
    elements at p = 0.3, enough to bound the kept fraction (see tolerances)."""
    shape = (400, 500) if c.edge == "keep_rate" else (c.N, c.D)
    p = 0.3 if c.edge == "keep_rate" else KEEP_PROBABILITIES[c.pk]
    param = {"mode": "test" if c.test and c.edge != "keep_rate" else "train", "p": p}
    if c.seeded:
        param["seed"] = int(c.rng.integers(0, 2**31))
    return dict(x=c.nonzero(*shape), dropout_param=param), dict(dout=c.grad(*shape))


dropout.declare(Property("dropout_param's mode is 'test'", "dropout_param's mode is 'train'",
                         lambda v: v.args["dropout_param"]["mode"] == "test", vary=("test",)),
                Property("a seed is given", "no seed is given", lambda v: v.seeded == 1, vary=("seeded",)))


class DropoutForward(Forward):
    """With a seed, calls the forward twice: the same seed must give the same output."""

    def __init__(self):
        super().__init__("dropout_forward(x, dropout_param) -> out, cache")
        self.compares = ("out", "out_again", "keep_rate")

    def __call__(self, get, inputs):
        run = super().__call__(get, inputs)
        if "seed" in inputs.args["dropout_param"]:
            again = unpack(self.signature.invoke(get(self.name), copy.deepcopy(inputs.args)), self.returns,
                           self.name)
            store_results(run, {"out_again": again["out"]})
        return run


ROWS = [
    forward("affine_forward(x, w, b) -> out, cache", affine, "layers:affine"),
    backward("affine_backward(dout, cache) -> dx, dw, db", affine, "layers:affine", "affine_forward"),
    forward("relu_forward(x) -> out, cache", relu, "layers:relu"),
    backward("relu_backward(dout, cache) -> dx", relu, "layers:relu", "relu_forward"),
    forward("softmax_loss(x, y) -> loss, dx", scores, "layers:softmax_loss"),
    forward("svm_loss(x, y) -> loss, dx", scores, "layers:svm_loss"),
    forward("batchnorm_forward(x, gamma, beta, bn_param) -> out, cache", batchnorm, "layers:batchnorm"),
    backward("batchnorm_backward(dout, cache) -> dx, dgamma, dbeta", batchnorm_train, "layers:batchnorm",
             "batchnorm_forward"),
    backward("batchnorm_backward_alt(dout, cache) -> dx, dgamma, dbeta", batchnorm_train, "layers:batchnorm",
             "batchnorm_forward"),
    Row("dropout_forward", dropout, "layers:dropout", DropoutForward()),
    backward("dropout_backward(dout, cache) -> dx", dropout, "layers:dropout", "dropout_forward"),
]
