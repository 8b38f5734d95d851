"""Explicit loops for the later families (detection, more; pooling, metrics, schedules), as
``loops`` is for the CS231n ones: every sum accumulated one term at a time in the input's dtype,
pairs of boxes one at a time, each schedule stepped from the last rate as a training loop does,
and other arrangements of the same formulas (the focal loss through log-sigmoids, 1 - p_t
without cancellation; AUROC as a trapezoid under the ROC curve in the input's dtype)."""
import math

import numpy as np


def _sum(values, dtype):
    total = dtype.type(0)
    for v in np.ravel(values):
        total = total + v
    return total


# ---- average pooling and transposed convolution: one output (or input) element at a time -----

def avg_pool_forward(x, pool_param):
    ph, pw, s = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    pad = pool_param.get("pad", 0)
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    h_out, w_out = 1 + (xp.shape[2] - ph) // s, 1 + (xp.shape[3] - pw) // s
    out = np.empty(x.shape[:2] + (h_out, w_out), dtype=x.dtype)
    for n, c, i, j in np.ndindex(out.shape):
        out[n, c, i, j] = _sum(xp[n, c, i * s:i * s + ph, j * s:j * s + pw], x.dtype) / x.dtype.type(ph * pw)
    return out, (x.shape, x.dtype, ph, pw, s, pad)


def avg_pool_backward(dout, cache):
    shape, dtype, ph, pw, s, pad = cache
    dxp = np.zeros(shape[:2] + (shape[2] + 2 * pad, shape[3] + 2 * pad), dtype=dtype)
    for n, c, i, j in np.ndindex(dout.shape):
        dxp[n, c, i * s:i * s + ph, j * s:j * s + pw] += dout[n, c, i, j] / dtype.type(ph * pw)
    return dxp[:, :, pad:pad + shape[2], pad:pad + shape[3]].copy()


def conv_transpose_forward(x, w, b, conv_param):
    """out[n, f, p, q] = b[f] + sum over (c, i, j, kh, kw) with i s + kh - pad = p of x w, in that order."""
    s, pad, extra = conv_param["stride"], conv_param["pad"], conv_param.get("output_padding", 0)
    n_, c_, h, wd = x.shape
    f_, hh, ww = w.shape[1:]
    h_out, w_out = (h - 1) * s - 2 * pad + hh + extra, (wd - 1) * s - 2 * pad + ww + extra
    out = np.empty((n_, f_, h_out, w_out), dtype=x.dtype)
    for n, f, p, q in np.ndindex(out.shape):
        total = b[f]
        for c in range(c_):
            for kh in range(hh):
                i, r = divmod(p + pad - kh, s)
                if r or not 0 <= i < h:
                    continue
                for kw in range(ww):
                    j, r = divmod(q + pad - kw, s)
                    if not r and 0 <= j < wd:
                        total = total + x[n, c, i, j] * w[c, f, kh, kw]
        out[n, f, p, q] = total
    return out, (x, w, s, pad)


def conv_transpose_backward(dout, cache):
    x, w, s, pad = cache
    n_, c_, h, wd = x.shape
    f_, hh, ww = w.shape[1:]
    h_out, w_out = dout.shape[2:]

    def reached(i, j, kh, kw):
        p, q = i * s + kh - pad, j * s + kw - pad
        return (p, q) if 0 <= p < h_out and 0 <= q < w_out else None

    dx, dw = np.empty_like(x), np.empty_like(w)
    for n, c, i, j in np.ndindex(x.shape):
        total = x.dtype.type(0)
        for f in range(f_):
            for kh in range(hh):
                for kw in range(ww):
                    at = reached(i, j, kh, kw)
                    if at:
                        total = total + dout[n, f, at[0], at[1]] * w[c, f, kh, kw]
        dx[n, c, i, j] = total
    for c, f, kh, kw in np.ndindex(w.shape):
        total = x.dtype.type(0)
        for n in range(n_):
            for i in range(h):
                for j in range(wd):
                    at = reached(i, j, kh, kw)
                    if at:
                        total = total + x[n, c, i, j] * dout[n, f, at[0], at[1]]
        dw[c, f, kh, kw] = total
    db = np.array([_sum(dout[:, f], dout.dtype) for f in range(f_)], dtype=dout.dtype)
    return dx, dw, db


# ---- the IoU family, one pair at a time, in the boxes' dtype --------------------------------

def _pairwise(b1, b2, fn):
    out = np.empty((len(b1), len(b2)), dtype=np.result_type(b1, b2))
    for i, j in np.ndindex(out.shape):
        out[i, j] = fn(b1[i], b2[j])
    return out


def _iou_parts(a, b):
    """(iou, union, enclosing width, enclosing height) of two boxes; NaN for two empty boxes."""
    iw = max(min(a[2], b[2]) - max(a[0], b[0]), 0)
    ih = max(min(a[3], b[3]) - max(a[1], b[1]), 0)
    inter = iw * ih
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    with np.errstate(invalid="ignore", divide="ignore"):
        iou = inter / union
    return iou, union, max(a[2], b[2]) - min(a[0], b[0]), max(a[3], b[3]) - min(a[1], b[1])


def generalized_box_iou(boxes1, boxes2):
    def giou(a, b):
        iou, union, cw, ch = _iou_parts(a, b)
        c = cw * ch
        with np.errstate(invalid="ignore", divide="ignore"):
            return iou - (c - union) / c
    return _pairwise(boxes1, boxes2, giou)


def _diou(a, b):
    iou, _, cw, ch = _iou_parts(a, b)
    eps = a.dtype.type(1e-7)
    dx = (a[0] + a[2] - b[0] - b[2]) / 2     # the centres' difference, in one expression
    dy = (a[1] + a[3] - b[1] - b[3]) / 2
    return iou - (dx * dx + dy * dy) / (cw * cw + ch * ch + eps), iou


def distance_box_iou(boxes1, boxes2):
    return _pairwise(boxes1, boxes2, lambda a, b: _diou(a, b)[0])


def complete_box_iou(boxes1, boxes2):
    def ciou(a, b):
        diou, iou = _diou(a, b)
        with np.errstate(invalid="ignore", divide="ignore"):
            v = a.dtype.type(4 / math.pi ** 2) * (np.arctan((a[2] - a[0]) / (a[3] - a[1]))
                                                    - np.arctan((b[2] - b[0]) / (b[3] - b[1]))) ** 2
        alpha = v / (1 - iou + v + a.dtype.type(1e-7))
        return diou - alpha * v
    return _pairwise(boxes1, boxes2, ciou)


def generalized_box_iou_loss(pred, target):
    """Mean 1 - GIoU with torchvision's eps, and its gradient pair by pair (no coordinate ties)."""
    dt = pred.dtype
    eps, n = dt.type(1e-7), len(pred)
    total, dpred = dt.type(0), np.zeros_like(pred)
    for k, (p, g) in enumerate(zip(pred, target)):
        iw, ih = min(p[2], g[2]) - max(p[0], g[0]), min(p[3], g[3]) - max(p[1], g[1])
        overlap = iw > 0 and ih > 0
        iw, ih = (iw, ih) if overlap else (dt.type(0), dt.type(0))
        pw, ph = p[2] - p[0], p[3] - p[1]
        inter = iw * ih
        u = pw * ph + (g[2] - g[0]) * (g[3] - g[1]) - inter + eps
        cw, ch = max(p[2], g[2]) - min(p[0], g[0]), max(p[3], g[3]) - min(p[1], g[1])
        c = cw * ch + eps
        total = total + (1 - inter / u + (c - u) / c)
        d_inter = np.array([-ih * (p[0] > g[0]), -iw * (p[1] > g[1]), ih * (p[2] < g[2]), iw * (p[3] < g[3])], dt)
        d_encl = np.array([-ch * (p[0] < g[0]), -cw * (p[1] < g[1]), ch * (p[2] > g[2]), cw * (p[3] > g[3])], dt)
        d_union = np.array([-ph, -pw, ph, pw], dt) - d_inter
        # d/dp of 1 - I/u + (c - u)/c = 2 - I/u - u/c, with u = U + eps and c = C + eps
        dpred[k] = (-(d_inter * u - inter * d_union) / (u * u) - (d_union * c - u * d_encl) / (c * c)) / n
    return total / n, dpred


def _softplus(z):
    return np.maximum(z, 0) + np.log1p(np.exp(-np.abs(z)))


def sigmoid_focal_loss(x, targets, alpha=0.25, gamma=2.0):
    """ce = t softplus(-x) + (1 - t) softplus(x); 1 - p_t = t (1 - p) + (1 - t) p, each p from its
    own exp (no 1 - p cancellation); the gradient by the chain rule through those forms."""
    t = targets.astype(x.dtype)
    with np.errstate(over="ignore"):                       # exp(120) is inf in float32: q = 0
        p, q = 1 / (1 + np.exp(-x)), 1 / (1 + np.exp(x))   # sigmoid(x), sigmoid(-x)
    ce = t * _softplus(-x) + (1 - t) * _softplus(x)
    omp = t * q + (1 - t) * p
    w = alpha * t + (1 - alpha) * (1 - t) if alpha >= 0 else np.ones_like(x)
    modulating = omp ** gamma
    loss = _sum(w * ce * modulating, x.dtype) / x.dtype.type(x.size)
    d_omp = (1 - 2 * t) * p * q                              # d(1 - p_t)/dx
    d_mod = gamma * omp ** (gamma - 1) * d_omp if gamma else np.zeros_like(x)
    dx = w * ((p - t) * modulating + ce * d_mod) / x.dtype.type(x.size)
    return loss, dx.astype(x.dtype)


def batched_nms(boxes, scores, idxs, iou_threshold):
    """Greedy NMS per category, pair by pair."""
    order = sorted(range(len(scores)), key=lambda i: (-float(scores[i]), i))
    kept = []
    for i in order:
        if all(idxs[j] != idxs[i] or not _iou_parts(boxes[i], boxes[j])[0] > iou_threshold for j in kept):
            kept.append(i)
    return np.array(kept, dtype=np.int64)


# ---- metrics and the training loop ---------------------------------------------------------

def auroc(scores, labels):
    """The trapezoid under the ROC curve, threshold by threshold from the highest, in the dtype."""
    dt = scores.dtype
    labels = np.asarray(labels)
    pos, neg = int(labels.sum()), int(len(labels) - labels.sum())
    if not pos or not neg:
        return dt.type(0)
    area, tp, fp, last_tpr, last_fpr = dt.type(0), 0, 0, dt.type(0), dt.type(0)
    for threshold in np.unique(scores)[::-1]:
        at = scores == threshold
        tp, fp = tp + int(labels[at].sum()), fp + int((1 - labels[at]).sum())
        tpr, fpr = dt.type(tp) / dt.type(pos), dt.type(fp) / dt.type(neg)
        area = area + (fpr - last_fpr) * (tpr + last_tpr) / dt.type(2)
        last_tpr, last_fpr = tpr, fpr
    return area


def clip_grad_norm(grads, max_norm):
    """The squares of every element summed one at a time (not a norm of norms)."""
    if not grads:
        return [], np.float64(0.0)
    dt = np.result_type(*grads)
    total = dt.type(0)
    for g in grads:
        for v in np.ravel(g):
            total = total + v * v
    total = np.sqrt(total)
    factor = min(dt.type(max_norm) / (total + dt.type(1e-6)), dt.type(1))
    return [g * g.dtype.type(factor) for g in grads], total


def lr_schedule(name, step, base_lr, **kw):
    """Stepped from the initial rate, each step from the last one, as a training loop would."""
    lr = base_lr
    if name == "OneCycleLR":
        return _one_cycle(step, **kw)
    if name == "LinearLR":
        start, end, total = kw.get("start_factor", 1 / 3), kw.get("end_factor", 1.0), kw.get("total_iters", 5)
        lr = base_lr * start
        for t in range(1, min(step, total) + 1):
            lr = lr * (start + (end - start) * t / total) / (start + (end - start) * (t - 1) / total)
        return lr
    for t in range(1, step + 1):
        if name == "StepLR":
            lr = lr * kw.get("gamma", 0.1) if t % kw["step_size"] == 0 else lr
        elif name == "MultiStepLR":
            lr = lr * kw.get("gamma", 0.1) ** list(kw["milestones"]).count(t)
        elif name == "ExponentialLR":
            lr = lr * kw["gamma"]
        elif name == "CosineAnnealingLR":
            eta, T = kw.get("eta_min", 0.0), kw["T_max"]
            if (t - 1 - T) % (2 * T) == 0:     # the last rate is eta_min: from the closed form instead
                lr = eta + (base_lr - eta) * (1 + math.cos(math.pi * t / T)) / 2
            else:
                lr = eta + (lr - eta) * (1 + math.cos(math.pi * t / T)) / (1 + math.cos(math.pi * (t - 1) / T))
    return lr


def _one_cycle(step, max_lr, total_steps, pct_start=0.3, anneal_strategy="cos", div_factor=25.0,
               final_div_factor=1e4, three_phase=False, **_):
    initial = max_lr / div_factor
    low = initial / final_div_factor
    if three_phase:
        phases = [(pct_start * total_steps - 1, initial, max_lr), (2 * pct_start * total_steps - 2, max_lr, initial),
                  (total_steps - 1, initial, low)]
    else:
        phases = [(pct_start * total_steps - 1, initial, max_lr), (total_steps - 1, max_lr, low)]
    begin = 0.0
    for i, (end, a, b) in enumerate(phases):
        if step <= end or i == len(phases) - 1:
            frac = (step - begin) / (end - begin)
            if anneal_strategy == "linear":
                return a + (b - a) * frac
            return b + (a - b) * (1 + math.cos(math.pi * frac)) / 2
        begin = end
