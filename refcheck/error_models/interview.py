"""Error models of refcheck.registry.interview: average pooling and transposed convolution (sums
of products, as the convolution's), AUROC (a trapezoidal sum), gradient clipping (a norm of
norms) and the learning-rate schedules (torch's recursions, whose rounding the oracle carries)."""
import math

import numpy as np

from ..tolerances import model
from . import _f


def _pool_sizes(p):
    return (int(p[k]) for k in ("pool_height", "pool_width", "stride")), int(p.get("pad", 0))


def _offsets(kh, kw, stride, h, w):
    """(kh, kw offset, rows, columns): the strided slice of a (padded) canvas each offset reaches."""
    for i in range(kh):
        for j in range(kw):
            yield i, j, slice(i, i + stride * (h - 1) + 1, stride), slice(j, j + stride * (w - 1) + 1, stride)


@model("avg_pool_forward", "avg_pool_backward", keys=("out", "dx"),
       reason="a window's sum of |x| (padding counted) over its size, and dx the shares of |dout| "
              "of every window that covers a pixel")
def _avg_pool(a, e, u):
    x = _f(a["x"])
    (ph, pw, s), pad = _pool_sizes(a["pool_param"])
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    h_out, w_out = 1 + (xp.shape[2] - ph) // s, 1 + (xp.shape[3] - pw) // s
    out = np.zeros(x.shape[:2] + (h_out, w_out))
    dxp = np.zeros(xp.shape)
    g = _f(a["dout"]) / (ph * pw) if "dout" in a else None
    for _, _, rows, cols in _offsets(ph, pw, s, h_out, w_out):
        out += xp[:, :, rows, cols]
        if g is not None:
            dxp[:, :, rows, cols] += g
    result = {"out": out / (ph * pw)}
    if g is not None:
        result["dx"] = dxp[:, :, pad:pad + x.shape[2], pad:pad + x.shape[3]]
    return result


@model("conv_transpose_forward", "conv_transpose_backward", keys=("out", "dx", "dw", "db"),
       reason="sums of products: the transposed convolution of |x| with |w| plus |b|, and its "
              "gradients' counterparts (the convolution of |dout| with |w|, the correlation of |x| "
              "with |dout|)")
def _conv_transpose(a, e, u):
    x, w, b = _f(a["x"]), _f(a["w"]), _f(a["b"])
    p = a["conv_param"]
    s, pad, extra = int(p["stride"]), int(p["pad"]), int(p.get("output_padding", 0))
    n, _, h, wd = x.shape
    canvas = np.zeros((n, w.shape[1], (h - 1) * s + w.shape[2] + extra, (wd - 1) * s + w.shape[3] + extra))
    h_out, w_out = canvas.shape[2] - 2 * pad, canvas.shape[3] - 2 * pad
    for i, j, rows, cols in _offsets(w.shape[2], w.shape[3], s, h, wd):
        canvas[:, :, rows, cols] += np.einsum("nchw,cf->nfhw", x, w[:, :, i, j])
    result = {"out": canvas[:, :, pad:pad + h_out, pad:pad + w_out] + b[None, :, None, None]}
    if "dout" in a:
        g = _f(a["dout"])
        dcanvas = np.zeros(canvas.shape)
        dcanvas[:, :, pad:pad + h_out, pad:pad + w_out] = g
        dx, dw = np.zeros(x.shape), np.zeros(w.shape)
        for i, j, rows, cols in _offsets(w.shape[2], w.shape[3], s, h, wd):
            window = dcanvas[:, :, rows, cols]
            dx += np.einsum("nfhw,cf->nchw", window, w[:, :, i, j])
            dw[:, :, i, j] = np.einsum("nchw,nfhw->cf", x, window)
        result.update(dx=dx, dw=dw, db=g.sum(axis=(0, 2, 3)))
    return result


@model("auroc", keys=("auroc",),
       reason="a trapezoidal sum of one term per distinct score (the oracle's, torchmetrics'), each "
              "positive and rounding: the sum's error grows as the square root of their number")
def _auroc(a, e, u):
    area = float(np.abs(e["auroc"]))
    distinct = len(np.unique(np.asarray(a["scores"], dtype=np.float64)))
    return {"auroc": area * (1 + math.sqrt(distinct))}


@model("clip_grad_norm", keys=("grads[*]", "total_norm"),
       reason="total_norm = sqrt of a sum of n squares (relative rounding ~sqrt(n) u, per gradient and "
              "over their norms); each clipped gradient inherits it through max_norm / (total_norm + "
              "1e-6), relative")
def _clip_grad_norm(a, e, u):
    grads = [np.asarray(g, dtype=np.float64) for g in a["grads"]]
    depth = 3 + math.sqrt(sum(g.size for g in grads))
    total = float(np.abs(e["total_norm"]))
    out = {"total_norm": total * depth}
    for i, g in enumerate(grads):
        out[f"grads[{i}]"] = np.abs(e.get(f"grads[{i}]", g)) * depth
    return out


def _one_cycle_phases(kw):
    """torch's OneCycleLR phases: (end_step, start lr, end lr) and the annealing form."""
    total = (int(kw["total_steps"]) if kw.get("total_steps") is not None
             else int(kw["epochs"]) * int(kw["steps_per_epoch"]))
    pct, initial = float(kw.get("pct_start", 0.3)), float(kw["max_lr"]) / float(kw.get("div_factor", 25.0))
    lrs = dict(initial=initial, max=float(kw["max_lr"]), min=initial / float(kw.get("final_div_factor", 1e4)))
    if kw.get("three_phase", False):
        ends = [(pct * total - 1, "initial", "max"), (2 * pct * total - 2, "max", "initial"),
                (total - 1, "initial", "min")]
    else:
        ends = [(pct * total - 1, "initial", "max"), (total - 1, "max", "min")]
    return [(end, lrs[s], lrs[f]) for end, s, f in ends], kw.get("anneal_strategy", "cos")


def _one_cycle(kw, steps):
    """Each rate computed afresh: end + (start - end) / 2 (cos(pi pct) + 1), or a line: its terms'
    size, and the angle pi * pct (pct rounding) moving the cosine by up to pi u."""
    phases, form = _one_cycle_phases(kw)
    m = np.zeros(steps + 1)
    for t in range(steps + 1):
        for i, (end, start_lr, end_lr) in enumerate(phases):
            if t <= end or i == len(phases) - 1:
                m[t] = (abs(start_lr) + abs(end_lr)) * ((3 + math.pi) if form == "cos" else 3)
                break
    return m


def _recursion(name, kw, base, lr):
    """What torch's recursion (one step from the last rate) has accumulated by each step, in units
    of u: each step's own rounding, and the earlier error carried by the step's factor."""
    m = np.zeros(len(lr))
    m[0] = lr[0] * (2 if name == "LinearLR" else 1)
    T, eta = int(kw.get("T_max", 1)), float(kw.get("eta_min", 0.0))
    start, end, total = (float(kw.get("start_factor", 1.0 / 3)), float(kw.get("end_factor", 1.0)),
                         int(kw.get("total_iters", 5)))
    for t in range(1, len(lr)):
        prev = m[t - 1]
        if name in ("StepLR", "MultiStepLR", "ExponentialLR"):   # lr * gamma^k when it changes
            m[t] = prev * lr[t] / lr[t - 1] + 2 * lr[t] if lr[t] != lr[t - 1] and lr[t - 1] else prev
        elif name == "CosineAnnealingLR":
            if (t - 1 - T) % (2 * T) == 0:                     # torch's branch at the period's end
                m[t] = prev + lr[t] + lr[t - 1] + 3 * abs(base - eta) * (1 - math.cos(math.pi / T)) / 2
                continue
            now, before = math.pi * t / T, math.pi * (t - 1) / T
            den = 1 + math.cos(before)
            r = (1 + math.cos(now)) / den
            r_err = (2 + now) / abs(den) + abs(r) * ((2 + before) / abs(den) + 1)   # absolute, per u
            m[t] = abs(r) * (prev + lr[t - 1] + eta) + r_err * abs(lr[t - 1] - eta) + lr[t] + eta
        elif name == "LinearLR":
            if t > total:
                m[t] = prev
                continue
            diff = end - start
            den = total * start + (t - 1) * diff
            delta = diff / den
            d_err = abs(delta) * (3 + 2 * (total * start + (t - 1) * abs(diff)) / abs(den)
                                  + (abs(end) + abs(start)) / max(abs(diff), 1e-300))
            m[t] = abs(1 + delta) * prev + lr[t - 1] * (d_err + abs(1 + delta)) + lr[t]
    return m


@model("lr_schedule", keys=("lr",),
       reason="the oracle is torch's scheduler, which computes most rates recursively from the last one "
              "(StepLR, MultiStepLR, ExponentialLR, CosineAnnealingLR, LinearLR): its rounding, step by "
              "step, with what each step's factor carries (the cosine's ratio amplifies near the end of "
              "a period); OneCycleLR's rates are computed afresh")
def _lr_schedule(a, e, u):
    lr = np.abs(np.asarray(e["lr"], dtype=np.float64))
    name, kw = a["name"], a["kw"]
    if name == "OneCycleLR":
        return {"lr": _one_cycle(kw, len(lr) - 1) + lr}
    return {"lr": _recursion(name, kw, float(a["base_lr"]), lr) + lr}
