"""Training-loop utilities: gradient clipping by the global norm and learning-rate schedules."""
import bisect
import inspect
import math

import numpy as np

from . import _validate as v


def clip_grad_norm(grads, max_norm):
    """Scale every gradient by ``min(1, max_norm / (total_norm + 1e-6))``, total_norm being the L2
    norm of all the gradients together (the norm of their norms), not of each one on its own.

    grads: a list of arrays of any shapes. Returns (a list of new arrays, total_norm); the inputs
    are not modified (torch's clip_grad_norm_ scales in place). The factor applies even at
    total_norm == max_norm (slightly below 1, as torch); NaN or inf norms propagate (a NaN
    gradient makes every gradient NaN, an inf one zeroes the others, as torch). max_norm >= 0
    (torch accepts a negative one, which flips every gradient). float16 gradients are computed in
    float32 and returned as float16 (their sums of squares would overflow 65504).
    torch: ``torch.nn.utils.clip_grad_norm_(params, max_norm, norm_type=2)``.
    """
    if not isinstance(grads, (list, tuple)):
        raise ValueError(f"grads must be a list of arrays, got {type(grads).__name__}")
    grads = [v.floats(f"grads[{i}]", g) for i, g in enumerate(grads)]
    v.number("max_norm", max_norm, low=0)
    if not grads:
        return [], np.float64(0.0)
    wide = [g.astype(np.float32) if g.dtype == np.float16 else g for g in grads]
    dtype = np.result_type(*wide)
    norms = np.array([np.linalg.norm(g.reshape(-1)) for g in wide], dtype=dtype)
    with np.errstate(invalid="ignore", over="ignore"):
        total = np.linalg.norm(norms)
        factor = np.minimum(dtype.type(max_norm) / (total + dtype.type(1e-6)), dtype.type(1.0))
        clipped = [(w * w.dtype.type(factor)).astype(g.dtype) for g, w in zip(grads, wide)]
    return clipped, np.result_type(*grads).type(total)


def _number(name, value, low, high=None, low_open=False):
    """A real number >= low (> low when low_open) and <= high, as a float."""
    return float(v.number(name, value, low, high, low_open=low_open))


def _step_lr(step, base_lr, step_size, gamma=0.1):
    return base_lr * _number("gamma", gamma, 0) ** (step // v.whole("step_size", step_size, 1))


def _multi_step_lr(step, base_lr, milestones, gamma=0.1):
    if isinstance(milestones, np.ndarray) and milestones.ndim == 1:
        milestones = milestones.tolist()
    if not isinstance(milestones, (list, tuple)):
        raise ValueError(f"milestones must be a list of steps, got {milestones!r}")
    milestones = sorted(v.whole(f"milestones[{i}]", m, 0) for i, m in enumerate(milestones))
    return base_lr * _number("gamma", gamma, 0) ** bisect.bisect_right(milestones, step)


def _exponential_lr(step, base_lr, gamma):
    return base_lr * _number("gamma", gamma, 0) ** step


def _cosine_annealing_lr(step, base_lr, T_max, eta_min=0.0):
    T_max, eta_min = v.whole("T_max", T_max, 1), _number("eta_min", eta_min, 0)
    return eta_min + (base_lr - eta_min) * (1 + math.cos(math.pi * step / T_max)) / 2


def _linear_lr(step, base_lr, start_factor=1.0 / 3, end_factor=1.0, total_iters=5):
    start = _number("start_factor", start_factor, 0, 1, low_open=True)
    end = _number("end_factor", end_factor, 0, 1)
    total = v.whole("total_iters", total_iters, 0)
    return base_lr * (start + (end - start) * min(total, step) / total if total else start)


def _one_cycle_lr(step, base_lr, max_lr, total_steps=None, epochs=None, steps_per_epoch=None, pct_start=0.3,
                  anneal_strategy="cos", cycle_momentum=True, base_momentum=0.85, max_momentum=0.95,
                  div_factor=25.0, final_div_factor=1e4, three_phase=False):
    if total_steps is None:
        if epochs is None or steps_per_epoch is None:
            raise ValueError("OneCycleLR needs total_steps, or epochs and steps_per_epoch")
        total_steps = v.whole("epochs", epochs, 1) * v.whole("steps_per_epoch", steps_per_epoch, 1)
    total = v.whole("total_steps", total_steps, 1)
    pct = _number("pct_start", pct_start, 0, 1)
    v.choice("anneal_strategy", anneal_strategy, {"cos", "linear"})
    three_phase = v.flag("three_phase", three_phase)
    if step > total:
        raise ValueError(f"step {step} is beyond total_steps {total} (torch raises as well)")
    initial = _number("max_lr", max_lr, 0) / _number("div_factor", div_factor, 0, low_open=True)
    lrs = {"initial": initial, "max": float(max_lr), "min": initial / _number("final_div_factor", final_div_factor, 0,
                                                                                  low_open=True)}
    if three_phase:
        phases = [(pct * total - 1, "initial", "max"), (2 * pct * total - 2, "max", "initial"),
                  (total - 1, "initial", "min")]
    else:
        phases = [(pct * total - 1, "initial", "max"), (total - 1, "max", "min")]
    begin = 0.0
    for i, (end, start_lr, end_lr) in enumerate(phases):
        if step <= end or i == len(phases) - 1:
            if end == begin:
                raise ValueError(f"pct_start {pct} with total_steps {total} makes an empty phase (torch divides by zero)")
            frac = (step - begin) / (end - begin)
            a, b = lrs[start_lr], lrs[end_lr]
            if anneal_strategy == "linear":
                return (b - a) * frac + a
            return b + (a - b) / 2.0 * (math.cos(math.pi * frac) + 1)
        begin = end


SCHEDULES = {"StepLR": _step_lr, "MultiStepLR": _multi_step_lr, "ExponentialLR": _exponential_lr,
             "CosineAnnealingLR": _cosine_annealing_lr, "OneCycleLR": _one_cycle_lr, "LinearLR": _linear_lr}


def lr_schedule(name, step, base_lr, **kw):
    """The learning rate after ``step`` scheduler steps (step 0: the initial one), in closed form.

    name and keyword arguments as torch's constructors: StepLR(step_size, gamma=0.1),
    MultiStepLR(milestones, gamma=0.1), ExponentialLR(gamma), CosineAnnealingLR(T_max,
    eta_min=0; ``eta_min + (base_lr - eta_min)(1 + cos(pi step / T_max)) / 2``, which keeps going
    past T_max as torch's does), LinearLR(start_factor=1/3, end_factor=1, total_iters=5),
    OneCycleLR(max_lr, total_steps or epochs and steps_per_epoch, pct_start=0.3,
    anneal_strategy='cos', div_factor=25, final_div_factor=1e4, three_phase=False; it ignores
    base_lr, as torch overwrites the optimizer's lr with max_lr / div_factor, and its momentum
    arguments do not change the learning rate). torch computes most of these recursively, step
    by step: the same values up to rounding.
    torch: ``torch.optim.lr_scheduler.<name>(optimizer, **kw)`` stepped ``step`` times.
    """
    v.choice("name", name, set(SCHEDULES))
    step = v.whole("step", step, 0)
    base_lr = _number("base_lr", base_lr, 0)
    params = inspect.signature(SCHEDULES[name]).parameters
    unknown = sorted(set(kw) - set(params))
    missing = [p for p, spec in params.items() if spec.default is spec.empty and p not in kw
               and p not in ("step", "base_lr")]
    if unknown or missing:
        takes = ", ".join(p for p in params if p not in ("step", "base_lr"))
        raise ValueError(f"{name} takes the keyword arguments {takes}"
                         f"{'; unknown: ' + ', '.join(unknown) if unknown else ''}"
                         f"{'; missing: ' + ', '.join(missing) if missing else ''}")
    return float(SCHEDULES[name](step, base_lr, **kw))
