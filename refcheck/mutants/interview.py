"""Mutants of average pooling, transposed convolution, AUROC, gradient clipping and schedules."""
import bisect
import math

import numpy as np

import refimpl
from refimpl import pooling as rp, training as rt

from . import mutant


def _param(pool_param):
    return (pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"], pool_param.get("pad", 0))


@mutant("avg_pool_forward", "Windows are divided by their count of real (unpadded) pixels (torch's "
                            "count_include_pad=False); the contract divides by pool_height * pool_width, "
                            "padding included.")
def avg_pool_excludes_padding(x, pool_param):
    out, cache = refimpl.avg_pool_forward(x, pool_param)
    ph, pw, stride, pad = _param(pool_param)
    ones = np.ones((1, 1) + np.shape(x)[2:], dtype=out.dtype)
    real = refimpl.avg_pool_forward(ones, pool_param)[0]  # the share of each window inside the input
    return out / real, cache


@mutant("avg_pool_forward", "The window is summed, not averaged: divide by pool_height * pool_width.")
def avg_pool_sums(x, pool_param):
    out, cache = refimpl.avg_pool_forward(x, pool_param)
    ph, pw, _, _ = _param(pool_param)
    return out * out.dtype.type(ph * pw), cache


@mutant("avg_pool_backward", "The gradient is not divided by the window size: each of its ph * pw cells gets "
                             "dout / (ph * pw).")
def avg_pool_backward_undivided(dout, cache):
    _, _, ph, pw, _, _ = cache
    dx = refimpl.avg_pool_backward(dout, cache)
    return dx * dx.dtype.type(ph * pw)


@mutant("avg_pool_backward", "Where windows overlap (stride < pool size) their gradients are assigned, "
                             "overwriting each other; they should add up.")
def avg_pool_backward_assigned(dout, cache):
    shape, dtype, ph, pw, stride, pad = cache
    dout = np.asarray(dout)
    dxp = np.zeros(shape[:2] + (shape[2] + 2 * pad, shape[3] + 2 * pad), dtype=np.result_type(dtype, dout))
    for i in range(dout.shape[2]):
        for j in range(dout.shape[3]):
            share = (dout[:, :, i, j] / (ph * pw))[:, :, None, None]
            dxp[:, :, i * stride:i * stride + ph, j * stride:j * stride + pw] = share
    return dxp[:, :, pad:pad + shape[2], pad:pad + shape[3]].copy()


@mutant("conv_transpose_forward", "The kernel is flipped: x[i, j] adds x[i, j] * w[c, f, kh, kw] at output "
                                  "(i*stride - pad + kh, j*stride - pad + kw). Written as a convolution of the "
                                  "zero-inserted input, the kernel must be flipped; scattering uses it as given.")
def conv_transpose_flipped_kernel(x, w, b, conv_param):
    out, _ = refimpl.conv_transpose_forward(x, np.asarray(w)[:, :, ::-1, ::-1], b, conv_param)
    return out, refimpl.conv_transpose_forward(x, w, b, conv_param)[1]


@mutant("conv_transpose_forward", "w is read in conv2d's layout (C_out, C_in, HH, WW); conv_transpose2d's "
                                  "weight is (C_in, C_out, HH, WW): w[c, f] connects input channel c to output f.")
def conv_transpose_conv2d_layout(x, w, b, conv_param):
    w = np.asarray(w)
    as_conv2d = w.reshape(w.shape[1], w.shape[0], *w.shape[2:])  # the same memory, indexed [f, c]
    out, _ = refimpl.conv_transpose_forward(x, as_conv2d.transpose(1, 0, 2, 3), b, conv_param)
    return out, refimpl.conv_transpose_forward(x, w, b, conv_param)[1]


@mutant("conv_transpose_forward", "output_padding is ignored: it adds that many rows and columns at the bottom "
                                  "and right (H' = (H - 1) * stride - 2 * pad + HH + output_padding).")
def conv_transpose_no_output_padding(x, w, b, conv_param):
    out, _ = refimpl.conv_transpose_forward(x, w, b, dict(conv_param, output_padding=0))
    return out, refimpl.conv_transpose_forward(x, w, b, conv_param)[1]


@mutant("conv_transpose_forward", "output_padding is added at the top and left; torch adds it at the bottom and right.")
def conv_transpose_output_padding_top_left(x, w, b, conv_param):
    out, cache = refimpl.conv_transpose_forward(x, w, b, conv_param)
    extra, pad = conv_param.get("output_padding", 0), conv_param["pad"]
    if not extra:
        return out, cache
    full, _ = refimpl.conv_transpose_forward(x, w, b, dict(conv_param, pad=0, output_padding=0))
    h, wd = out.shape[2:]
    shifted = np.zeros_like(out) + np.asarray(b, out.dtype)[None, :, None, None]
    rows, cols = slice(max(pad - extra, 0), pad - extra + h), slice(max(pad - extra, 0), pad - extra + wd)
    part = full[:, :, rows, cols]
    shifted[:, :, h - part.shape[2]:, wd - part.shape[3]:] = part
    return shifted, cache


@mutant("conv_transpose_backward", "db is averaged over the batch and positions; it should be summed.")
def conv_transpose_backward_db_mean(dout, cache):
    dx, dw, db = refimpl.conv_transpose_backward(dout, cache)
    return dx, dw, db / (dout.shape[0] * dout.shape[2] * dout.shape[3])


@mutant("conv_transpose_backward", "dw is returned in conv2d's layout (F, C, HH, WW); it must have w's "
                                   "(C_in, C_out, HH, WW) layout.")
def conv_transpose_backward_dw_transposed(dout, cache):
    dx, dw, db = refimpl.conv_transpose_backward(dout, cache)
    return dx, dw.transpose(1, 0, 2, 3).copy(), db


@mutant("conv_transpose_backward", "dx uses the flipped kernel (the forward's scatter reads w as given).")
def conv_transpose_backward_flipped_dx(dout, cache):
    x, w, stride, pad, extra = cache
    dx = refimpl.conv_transpose_backward(dout, (x, w[:, :, ::-1, ::-1].copy(), stride, pad, extra))[0]
    _, dw, db = refimpl.conv_transpose_backward(dout, cache)
    return dx, dw, db


def _pairs_auroc(scores, labels, tie):
    s, y = np.asarray(scores, np.float64), np.asarray(labels).astype(bool)
    pos, neg = s[y], s[~y]
    if not len(pos) or not len(neg):
        return np.asarray(scores).dtype.type(0.0)
    wins = (pos[:, None] > neg[None, :]).sum() + tie * (pos[:, None] == neg[None, :]).sum()
    return np.asarray(scores).dtype.type(wins / (len(pos) * len(neg)))


@mutant("auroc", "Ties are counted as losses (a positive must score strictly higher); a tie counts half.")
def auroc_ties_lose(scores, labels):
    return _pairs_auroc(scores, labels, 0.0)


@mutant("auroc", "Ties are counted as wins; a tie between a positive and a negative counts half.")
def auroc_ties_win(scores, labels):
    return _pairs_auroc(scores, labels, 1.0)


@mutant("auroc", "The scores went through a sigmoid in float32 (as torchmetrics does to scores outside [0, 1]): "
                 "large logits round to 1 and tie; the area must be that of the raw scores' ranking.")
def auroc_sigmoid(scores, labels):
    s = np.asarray(scores)
    squashed = (1 / (1 + np.exp(-s.astype(np.float32)))).astype(np.float32)
    return s.dtype.type(refimpl.auroc(squashed, labels))


@mutant("auroc", "Without positives or without negatives the area is reported as 0.5; the contract (torchmetrics) "
                 "gives 0.0 there.")
def auroc_undefined_half(scores, labels):
    y = np.asarray(labels)
    if y.all() or not y.any():
        return np.asarray(scores).dtype.type(0.5)
    return refimpl.auroc(scores, labels)


@mutant("clip_grad_norm", "Each gradient is clipped by its own norm; clipping uses the global norm of all "
                          "gradients together (one factor for all).")
def clip_each_separately(grads, max_norm):
    clipped = [refimpl.clip_grad_norm([g], max_norm)[0][0] for g in grads]
    return clipped, refimpl.clip_grad_norm(grads, max_norm)[1]


@mutant("clip_grad_norm", "The factor is max_norm / total_norm; torch divides by total_norm + 1e-6.")
def clip_without_eps(grads, max_norm):
    clipped, total = refimpl.clip_grad_norm(grads, max_norm)
    if not grads:
        return clipped, total
    factor = min(1.0, max_norm / float(total)) if total else 1.0
    return [np.asarray(g) * np.asarray(g).dtype.type(factor) for g in grads], total


@mutant("clip_grad_norm", "total_norm is returned after clipping; torch returns the norm before it.")
def clip_returns_clipped_norm(grads, max_norm):
    clipped, total = refimpl.clip_grad_norm(grads, max_norm)
    return clipped, type(total)(np.sqrt(sum(np.sum(np.asarray(g, np.float64) ** 2) for g in clipped)))


@mutant("clip_grad_norm", "The norms of the gradients are added; the global norm is the square root of the sum of "
                          "their squares.")
def clip_sums_norms(grads, max_norm):
    if not grads:
        return refimpl.clip_grad_norm(grads, max_norm)
    total = sum(float(np.linalg.norm(np.asarray(g, np.float64))) for g in grads)
    factor = min(1.0, max_norm / (total + 1e-6))
    dtype = np.result_type(*grads)
    return [np.asarray(g) * np.asarray(g).dtype.type(factor) for g in grads], dtype.type(total)


def _schedule_mutant(name, schedule, hint, wrong):
    """lr_schedule with one schedule's closed form replaced by ``wrong(step, base_lr, **kw)``."""
    def fn(sched, step, base_lr, **kw):
        if sched != schedule:
            return refimpl.lr_schedule(sched, step, base_lr, **kw)
        refimpl.lr_schedule(sched, step, base_lr, **kw)  # the same checks
        return float(wrong(step, base_lr, **kw))
    fn.__name__ = name
    mutant("lr_schedule", hint)(fn)


_schedule_mutant("cosine_off_by_one", "CosineAnnealingLR", "The cosine schedule is one step ahead: at step t it is "
                 "eta_min + (base_lr - eta_min)(1 + cos(pi t / T_max)) / 2, so step 0 gives base_lr.",
                 lambda step, base_lr, T_max, eta_min=0.0: rt._cosine_annealing_lr(step + 1, base_lr, T_max, eta_min))
_schedule_mutant("cosine_stops_at_t_max", "CosineAnnealingLR", "The cosine schedule stays at eta_min after T_max; "
                 "torch's keeps following the cosine (it rises again towards base_lr).",
                 lambda step, base_lr, T_max, eta_min=0.0:
                 rt._cosine_annealing_lr(min(step, T_max), base_lr, T_max, eta_min))
_schedule_mutant("step_lr_off_by_one", "StepLR", "StepLR decays one step early: the rate is base_lr * gamma ** "
                 "(step // step_size), first decayed at step == step_size.",
                 lambda step, base_lr, step_size, gamma=0.1: base_lr * gamma ** ((step + 1) // step_size))
_schedule_mutant("multistep_lr_late", "MultiStepLR", "MultiStepLR decays one step after each milestone; torch's "
                 "rate is already decayed at step == milestone (bisect_right).",
                 lambda step, base_lr, milestones, gamma=0.1:
                 base_lr * gamma ** bisect.bisect_left(sorted(milestones), step))
_schedule_mutant("linear_lr_keeps_going", "LinearLR", "LinearLR keeps changing after total_iters; the factor stays "
                 "at end_factor from step total_iters on.",
                 lambda step, base_lr, start_factor=1 / 3, end_factor=1.0, total_iters=5:
                 base_lr * (start_factor + (end_factor - start_factor) * step / total_iters))


def _one_cycle_without_minus_one(step, base_lr, max_lr, total_steps=None, pct_start=0.3, anneal_strategy="cos",
                                 div_factor=25.0, final_div_factor=1e4, three_phase=False, **_):
    """OneCycleLR with its phase ends at pct_start * total_steps (torch: ... - 1)."""
    initial, peak = max_lr / div_factor, max_lr
    low = initial / final_div_factor
    if three_phase:
        phases = [(pct_start * total_steps, initial, peak), (2 * pct_start * total_steps, peak, initial),
                  (total_steps, initial, low)]
    else:
        phases = [(pct_start * total_steps, initial, peak), (total_steps, peak, low)]
    begin = 0.0
    for i, (end, a, b) in enumerate(phases):
        if step <= end or i == len(phases) - 1:
            frac = (step - begin) / (end - begin)
            return (b - a) * frac + a if anneal_strategy == "linear" else b + (a - b) / 2 * (math.cos(math.pi * frac) + 1)
        begin = end


_schedule_mutant("one_cycle_phase_end", "OneCycleLR", "OneCycleLR's phases end one step late: torch's warm-up ends "
                 "at step pct_start * total_steps - 1 and the schedule at total_steps - 1.", _one_cycle_without_minus_one)
