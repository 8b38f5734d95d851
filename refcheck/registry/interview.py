"""Rows for average pooling, transposed convolution, AUROC, gradient clipping and learning-rate
schedules: the rest of what interview lists ask for."""
import copy

import numpy as np

from ..calls import Malformed, Run, Signature, describe, note_modified, to_array, unpack
from ..cases import Property, generator
from . import _properties as props
from . import Row, backward, forward
from ._values import Arrays


@generator(N=(1, 3), C=(1, 3), ph=(1, 4), pw=(1, 4), stride=(1, 3), pad=(0, 2), dh=(0, 5), dw=(0, 5), edges={
    "pad_one": {"ph": 3, "pw": 3, "pad": 1}, "pad_two": {"ph": 4, "pw": 5, "pad": 2, "stride": 2},
    "overlap": {"ph": 3, "pw": 2, "stride": 1}, "stride_beyond_window": {"ph": 2, "pw": 1, "stride": 3},
    "one_pixel": {"ph": 1, "pw": 1, "stride": 1}, "whole_input": {"dh": 0, "dw": 0, "pad": 0}})
def avg_pool(c):
    """H = pool_height + dh; the pad is at most half the window (torch's rule): min(pad, ph // 2,
    pw // 2), so every combination of sizes is valid."""
    pad = min(c.pad, c.ph // 2, c.pw // 2)
    h, w = c.ph + c.dh, c.pw + c.dw
    h_out, w_out = 1 + (h + 2 * pad - c.ph) // c.stride, 1 + (w + 2 * pad - c.pw) // c.stride
    param = {"pool_height": c.ph, "pool_width": c.pw, "stride": c.stride, "pad": pad}
    return dict(x=c.randn(c.N, c.C, h, w), pool_param=param), dict(dout=c.grad(c.N, c.C, h_out, w_out))


avg_pool.declare(
    props.zero("pad", "pad = 0", "pad > 0"),
    props.remainder(lambda v: v.args["x"].shape[-2:], lambda v: (v.ph, v.pw),
                    lambda v: v.args["pool_param"]["pad"], lambda v: v.stride, vary=("dh", "dw", "stride"),
                    sizes=("H + 2 * pad - pool_height", "W + 2 * pad - pool_width")),
    props.non_square(lambda v: (v.ph, v.pw), "window (pool_height != pool_width)", vary=("ph", "pw")))


@generator(N=(1, 3), C=(1, 3), F=(1, 3), HH=(1, 4), WW=(1, 4), stride=(1, 3), pad=(0, 2), extra=(0, 2),
           dh=(0, 3), dw=(0, 3), edges={
               "output_padding": {"stride": 2, "extra": 1}, "stride_three": {"stride": 3, "extra": 2, "pad": 1},
               "same_channels": {"C": 2, "F": 2}, "one_by_one": {"HH": 1, "WW": 1, "stride": 2},
               "pad_zero": {"pad": 0, "extra": 0}, "one_sample": {"N": 1}, "non_square": {"HH": 1, "WW": 4}})
def conv_transpose(c):
    """output_padding = min(extra, stride - 1) (torch requires it below the stride) and
    H = 1 + ceil(2 * pad / stride) + dh, so that the output is never empty."""
    extra = min(c.extra, c.stride - 1)
    h, w = 1 + -(-2 * c.pad // c.stride) + c.dh, 1 + -(-2 * c.pad // c.stride) + c.dw
    h_out = (h - 1) * c.stride - 2 * c.pad + c.HH + extra
    w_out = (w - 1) * c.stride - 2 * c.pad + c.WW + extra
    param = {"stride": c.stride, "pad": c.pad, "output_padding": extra}
    return (dict(x=c.randn(c.N, c.C, h, w), w=c.randn(c.C, c.F, c.HH, c.WW), b=c.randn(c.F), conv_param=param),
            dict(dout=c.grad(c.N, c.F, h_out, w_out)))


conv_transpose.declare(props.zero("pad", "pad = 0", "pad > 0"),
                       Property("output_padding = 0", "output_padding > 0",
                                lambda v: v.args["conv_param"]["output_padding"] == 0, vary=("extra", "stride")),
                       props.non_square(lambda v: (v.HH, v.WW), "kernel (HH != WW)", vary=("HH", "WW")))


@generator(n=(2, 60), pos=(0, 4), ties=(0, 1), edges={
    "no_positives": {}, "no_negatives": {}, "single": {"n": 2}, "tied_scores": {"ties": 1, "n": 40},
    "all_tied": {"n": 12}, "perfect_ranking": {}, "worst_ranking": {}, "large_logits": {"n": 40},
    "huge_offset": {}})
def scored(c):
    """Scores and 0/1 labels (pos sets the share of positives); large_logits spreads distinct
    scores over [20, 60], where a sigmoid rounds them to 1 (torchmetrics' trap); huge_offset adds 1e6."""
    scores = c.rng.standard_normal(c.n)
    if c.ties:
        scores = np.round(scores * 2) / 2
    labels = (c.rng.random(c.n) < (0.1, 0.3, 0.5, 0.7, 0.9)[c.pos]).astype(np.int64)
    labels[:2] = [0, 1]  # both classes, unless an edge says otherwise
    if c.edge == "no_positives":
        labels[:] = 0
    elif c.edge == "no_negatives":
        labels[:] = 1
    elif c.edge == "all_tied":
        scores[:] = 0.5
    elif c.edge in ("perfect_ranking", "worst_ranking"):
        labels = (scores > np.median(scores)).astype(np.int64)
        if c.edge == "worst_ranking":
            labels = 1 - labels
    elif c.edge == "large_logits":
        scores = c.rng.uniform(20, 60, c.n)
    elif c.edge == "huge_offset":
        scores = np.round(scores * 8) / 8 + 1e6  # exact in float64 and, with ties, in float32
    return dict(scores=c.cast(scores), labels=labels), {}


GRAD_SHAPES = ((3,), (2, 4), (), (5, 1, 2), (1,))


@generator(count=(1, 4), mag=(0, 3), ratio=(0, 2), edges={
    "no_grads": {}, "one_scalar": {"count": 1}, "at_max_norm": {}, "under_max_norm": {"ratio": 2},
    "zero_grads": {}, "mixed_scales": {"count": 4}, "max_norm_zero": {}})
def grad_lists(c):
    """`count` gradients of the shapes GRAD_SHAPES, magnitude 10**(2 mag - 3); max_norm is a
    quarter, the whole or four times the total norm (ratio)."""
    shapes = [GRAD_SHAPES[(i + (c.edge == "one_scalar") * 2) % len(GRAD_SHAPES)] for i in range(c.count)]
    raw = [c.raw(*s) * 10.0 ** (2 * c.mag - 3) for s in shapes]
    if c.edge == "no_grads":
        raw = []
    elif c.edge == "zero_grads":
        raw = [np.zeros_like(g) for g in raw]
    elif c.edge == "mixed_scales":
        raw = [g * 10.0 ** (3 * i - 4) for i, g in enumerate(raw)]
    grads = Arrays(c.cast(g) for g in raw)
    total = float(np.sqrt(sum(np.sum(g.astype(np.float64) ** 2) for g in grads)))
    max_norm = total * (0.25, 1.0, 4.0)[c.ratio] if total else 1.0
    if c.edge == "at_max_norm":
        max_norm = total
    elif c.edge == "max_norm_zero":
        max_norm = 0.0
    return dict(grads=grads, max_norm=max_norm), {}


def _schedule_kw(c, name):
    """Constructor arguments for one schedule, drawn from the case's stream."""
    r = c.rng
    if name == "StepLR":
        return dict(step_size=int(r.integers(1, 8)), gamma=float(r.uniform(0.1, 0.9)))
    if name == "MultiStepLR":
        milestones = sorted(r.integers(1, 30, int(r.integers(1, 4))).tolist())
        return dict(milestones=milestones, gamma=float(r.uniform(0.1, 0.9)))
    if name == "ExponentialLR":
        return dict(gamma=float(r.uniform(0.8, 0.99)))
    if name == "CosineAnnealingLR":
        return dict(T_max=int(r.integers(3, 25)), eta_min=float(r.choice([0.0, 1e-4])))
    if name == "LinearLR":
        return dict(start_factor=float(r.uniform(0.05, 1.0)), end_factor=float(r.uniform(0.0, 1.0)),
                    total_iters=int(r.integers(1, 15)))
    total = int(r.integers(20, 80))
    return dict(max_lr=float(r.uniform(0.05, 1.0)), total_steps=total, pct_start=float(r.uniform(0.1, 0.5)),
                anneal_strategy=str(r.choice(["cos", "linear"])), three_phase=bool(r.integers(0, 2)),
                div_factor=float(r.uniform(5, 30)), final_div_factor=float(r.uniform(1e2, 1e4)))


SCHEDULES = ("StepLR", "MultiStepLR", "ExponentialLR", "CosineAnnealingLR", "LinearLR", "OneCycleLR")


@generator(sched=(0, 5), steps=(0, 60), defaults=(0, 1), edges={
    "steplr_every_step": {"sched": 0}, "repeated_milestones": {"sched": 1}, "cosine_past_t_max": {"sched": 3},
    "linear_defaults": {"sched": 4, "defaults": 1}, "one_cycle_defaults": {"sched": 5, "defaults": 1},
    "one_cycle_three_phase": {"sched": 5}, "first_step_only": {"steps": 0}})
def schedules(c):
    """A schedule (sched indexes SCHEDULES) with random constructor arguments (defaults=1: only
    the required ones), judged at every step from 0 to `steps`; OneCycleLR runs to its total_steps
    at most (torch raises beyond it)."""
    name = SCHEDULES[c.sched]
    kw = _schedule_kw(c, name)
    steps = c.steps
    if c.defaults:
        kw = {k: kw[k] for k in ("step_size", "milestones", "gamma", "T_max", "max_lr", "total_steps") if k in kw
              and not (name != "ExponentialLR" and k == "gamma")}
    if c.edge == "steplr_every_step":
        kw["step_size"] = 1
    elif c.edge == "repeated_milestones":
        kw["milestones"] = [3, 3, 7, 20]
    elif c.edge == "cosine_past_t_max":
        kw["T_max"], steps = 6, 40
    elif c.edge == "one_cycle_three_phase":
        kw.update(three_phase=True, total_steps=30, pct_start=0.3)
        steps = 30
    if name == "OneCycleLR":
        steps = min(steps, kw["total_steps"])
    return dict(name=name, steps=steps, base_lr=float(10.0 ** c.rng.uniform(-3, 0)), kw=kw), {}


class Clipped:
    """``clip_grad_norm(grads, max_norm)`` returning (clipped grads, total_norm): each clipped
    gradient is an output, ``grads[i]``. Modifying the given gradients in place (torch's
    clip_grad_norm_ does) is a warning."""

    def __init__(self, signature):
        self.signature = Signature.parse(signature)
        self.name, self.needs, self.returns = self.signature.name, (self.signature.name,), list(self.signature.returns)
        self.compares = ("total_norm",)

    def keys(self, expected):
        return list(expected)

    def __call__(self, get, inputs):
        run = Run()
        args = copy.deepcopy(inputs.args)
        before = {f"grads[{i}]": g.copy() for i, g in enumerate(args["grads"])}
        results = unpack(self.signature.invoke(get(self.name), args), self.returns, self.name)
        note_modified(run, before, {f"grads[{i}]": g for i, g in enumerate(args["grads"])}, self.name)
        clipped = results["grads"]
        if not isinstance(clipped, (list, tuple)) or len(clipped) != len(before):
            raise Malformed(f"{self.name} returned grads as {describe(clipped)}, expected a list of {len(before)} arrays")
        for i, g in enumerate(clipped):
            to_array(run, f"grads[{i}]", g)
        to_array(run, "total_norm", results["total_norm"])
        return run


class Schedule:
    """``lr_schedule(name, step, base_lr, **kw)`` at every step from 0 to ``steps``: the rates,
    stacked, are the output ``lr``."""

    def __init__(self, signature):
        self.signature = Signature.parse(signature)
        self.name, self.needs, self.compares = self.signature.name, (self.signature.name,), ("lr",)
        self.returns = list(self.signature.returns)

    def keys(self, expected):
        return ["lr"]

    def step_args(self, inputs, step):
        """The arguments of the call at ``step`` by name (the case holds the number of steps)."""
        a = inputs.args
        return {"name": a["name"], "step": step, "base_lr": a["base_lr"], "kw": copy.deepcopy(a["kw"])}

    def invocations(self, inputs):
        """(signature, arguments) of the first call (tests/test_calls.py)."""
        return [(self.signature, self.step_args(inputs, 0))]

    def __call__(self, get, inputs):
        run, a = Run(), inputs.args
        fn = get(self.name)
        lrs = []
        for step in range(a["steps"] + 1):
            value = self.signature.invoke(fn, self.step_args(inputs, step))
            try:
                lrs.append(float(np.asarray(value, dtype=np.float64).reshape(())))
            except (TypeError, ValueError):
                raise Malformed(f"{self.name} returned {describe(value)} at step {step}, not a number") from None
        to_array(run, "lr", np.array(lrs))
        run.untyped.add("lr")  # learning rates carry no dtype of the case
        return run


ROWS = [
    forward("avg_pool_forward(x, pool_param) -> out, cache", avg_pool, "pooling:avg_pool"),
    backward("avg_pool_backward(dout, cache) -> dx", avg_pool, "pooling:avg_pool", "avg_pool_forward"),
    forward("conv_transpose_forward(x, w, b, conv_param) -> out, cache", conv_transpose, "pooling:conv_transpose"),
    backward("conv_transpose_backward(dout, cache) -> dx, dw, db", conv_transpose, "pooling:conv_transpose",
             "conv_transpose_forward"),
    forward("auroc(scores, labels) -> auroc", scored, "metrics:auroc"),
    Row("clip_grad_norm", grad_lists, "training:clip_grad_norm", Clipped("clip_grad_norm(grads, max_norm) -> grads, total_norm")),
    Row("lr_schedule", schedules, "training:lr_schedule", Schedule("lr_schedule(name, step, base_lr, **kw) -> lr")),
]
