"""More detection utilities: GIoU, DIoU and CIoU, the GIoU loss, the focal loss and class-aware NMS.

Boxes are (x1, y1, x2, y2) rows with width x2 - x1 (torchvision's convention, no "+1"). Each
function follows torchvision's arithmetic in the boxes' dtype, its eps included where it uses one:
generalized_box_iou has none (two zero-area boxes give 0 / 0 = NaN there, as torchvision),
distance_box_iou and complete_box_iou add 1e-7 to the enclosing diagonal (and CIoU to its alpha's
denominator), generalized_box_iou_loss adds 1e-7 to the union and the enclosing area.
"""
import math

import numpy as np

from . import _validate as v
from .detection import _by_score, nms

EPS = 1e-7  # torchvision's default eps


def _corners(b1, b2):
    """Columns of b1 (N, 1) and b2 (1, M) for pairwise arithmetic: x1, y1, x2, y2 each."""
    return [b1[:, None, i] for i in range(4)], [b2[None, :, i] for i in range(4)]


def _iou_and_enclosing(b1, b2):
    """Pairwise IoU (torchvision's box_iou arithmetic), union and the enclosing box's sides."""
    (ax1, ay1, ax2, ay2), (bx1, by1, bx2, by2) = _corners(b1, b2)
    w = np.maximum(np.minimum(ax2, bx2) - np.maximum(ax1, bx1), 0)
    h = np.maximum(np.minimum(ay2, by2) - np.maximum(ay1, by1), 0)
    inter = w * h
    union = (ax2 - ax1) * (ay2 - ay1) + (bx2 - bx1) * (by2 - by1) - inter
    cw = np.maximum(np.maximum(ax2, bx2) - np.minimum(ax1, bx1), 0)
    ch = np.maximum(np.maximum(ay2, by2) - np.minimum(ay1, by1), 0)
    return inter / union, union, cw, ch


def _pair(boxes1, boxes2):
    return v.boxes("boxes1", boxes1), v.boxes("boxes2", boxes2)


@v.float16_as_float32
def generalized_box_iou(boxes1, boxes2):
    """GIoU matrix (N, M): ``IoU - (C - U) / C`` with C the area of the smallest box enclosing both
    and U the union; in [-1, 1]. torch: ``torchvision.ops.generalized_box_iou`` (no eps)."""
    b1, b2 = _pair(boxes1, boxes2)
    with np.errstate(invalid="ignore", divide="ignore"):
        iou, union, cw, ch = _iou_and_enclosing(b1, b2)
        enclosing = cw * ch
        return iou - (enclosing - union) / enclosing


def _diou(b1, b2):
    iou, _, cw, ch = _iou_and_enclosing(b1, b2)
    (ax1, ay1, ax2, ay2), (bx1, by1, bx2, by2) = _corners(b1, b2)
    diagonal = cw**2 + ch**2 + EPS
    centres = ((ax1 + ax2) / 2 - (bx1 + bx2) / 2) ** 2 + ((ay1 + ay2) / 2 - (by1 + by2) / 2) ** 2
    return iou - centres / diagonal, iou


@v.float16_as_float32
def distance_box_iou(boxes1, boxes2):
    """DIoU matrix (N, M): ``IoU - d^2 / (c^2 + eps)`` with d the distance between the boxes'
    centres and c the diagonal of the enclosing box; eps = 1e-7. torch:
    ``torchvision.ops.distance_box_iou``."""
    b1, b2 = _pair(boxes1, boxes2)
    with np.errstate(invalid="ignore", divide="ignore"):
        return _diou(b1, b2)[0]


@v.float16_as_float32
def complete_box_iou(boxes1, boxes2):
    """CIoU matrix (N, M): ``DIoU - alpha * v`` with ``v = 4 / pi^2 (atan(w1 / h1) - atan(w2 / h2))^2``
    (aspect ratios) and ``alpha = v / (1 - IoU + v + eps)``; eps = 1e-7. torch:
    ``torchvision.ops.complete_box_iou``."""
    b1, b2 = _pair(boxes1, boxes2)
    with np.errstate(invalid="ignore", divide="ignore"):
        diou, iou = _diou(b1, b2)
        (ax1, ay1, ax2, ay2), (bx1, by1, bx2, by2) = _corners(b1, b2)
        aspect = (4 / np.pi**2) * (np.arctan((ax2 - ax1) / (ay2 - ay1)) - np.arctan((bx2 - bx1) / (by2 - by1))) ** 2
        alpha = aspect / (1 - iou + aspect + EPS)
        return diou - alpha * aspect


def _max_grad(a, b):
    """d max(a, b) / da as torch's autograd takes it: 1 where a > b, 1/2 at a tie, 0 below."""
    return np.where(a > b, 1.0, np.where(a == b, 0.5, 0.0)).astype(a.dtype)


@v.float16_as_float32
def generalized_box_iou_loss(pred, target):
    """Mean over the N pairs of ``1 - GIoU(pred_i, target_i)``, and its gradient dpred (N, 4).

    As torchvision's loss: IoU = I / (U + eps), penalty (C - U) / (C + eps), eps = 1e-7, and the
    intersection counts (and carries a gradient) only where the boxes overlap with positive width
    and height. At a tie of two coordinates (max and min are not differentiable there) the
    gradient is split in halves, as torch's autograd does. No boxes (N = 0): loss 0 and an empty
    dpred, as torchvision (its mean of no pairs is 0, so an image without boxes adds nothing).
    torch: ``torchvision.ops.generalized_box_iou_loss(reduction='mean')`` + autograd.
    """
    p, t = v.boxes("pred", pred), v.boxes("target", target)
    v.shape("target", t, p.shape, " (one target per box of pred)")
    if len(p) == 0:
        return p.dtype.type(0.0), np.zeros((0, 4), p.dtype)
    x1, y1, x2, y2 = p.T
    gx1, gy1, gx2, gy2 = t.T
    ix1, iy1, ix2, iy2 = np.maximum(x1, gx1), np.maximum(y1, gy1), np.minimum(x2, gx2), np.minimum(y2, gy2)
    overlap = (iy2 > iy1) & (ix2 > ix1)
    iw, ih = np.where(overlap, ix2 - ix1, 0), np.where(overlap, iy2 - iy1, 0)
    inter = iw * ih
    union = (x2 - x1) * (y2 - y1) + (gx2 - gx1) * (gy2 - gy1) - inter
    cw, ch = np.maximum(x2, gx2) - np.minimum(x1, gx1), np.maximum(y2, gy2) - np.minimum(y1, gy1)
    enclosing = cw * ch
    loss = 1 - (inter / (union + EPS) - (enclosing - union) / (enclosing + EPS))
    # gradients of I, C and the predicted area with respect to x1, y1, x2, y2 (rows)
    d_inter = np.stack([-ih * _max_grad(x1, gx1), -iw * _max_grad(y1, gy1),
                        ih * _max_grad(-x2, -gx2), iw * _max_grad(-y2, -gy2)])
    d_encl = np.stack([-ch * _max_grad(-x1, -gx1), -cw * _max_grad(-y1, -gy1),
                       ch * _max_grad(x2, gx2), cw * _max_grad(y2, gy2)])
    d_area = np.stack([-(y2 - y1), -(x2 - x1), y2 - y1, x2 - x1])
    d_union = d_area - d_inter
    d_iou = d_inter / (union + EPS) - inter * d_union / (union + EPS) ** 2
    d_penalty = (d_encl - d_union) / (enclosing + EPS) - (enclosing - union) * d_encl / (enclosing + EPS) ** 2
    dpred = ((d_penalty - d_iou) / len(p)).T
    return loss.mean(dtype=p.dtype), np.ascontiguousarray(dpred, dtype=p.dtype)


def _sigmoid(x):
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


@v.float16_as_float32
def sigmoid_focal_loss(x, targets, alpha=0.25, gamma=2.0):
    """RetinaNet's focal loss, the mean over every element, and its gradient dx.

    ``p = sigmoid(x)``, ``p_t = p t + (1 - p)(1 - t)``, ``loss = alpha_t (1 - p_t)^gamma BCE(x, t)``
    with ``alpha_t = alpha t + (1 - alpha)(1 - t)``; alpha = -1 turns the weighting off (torchvision
    rejects other values outside [0, 1]); gamma finite and >= 0 (a negative one makes a
    confident right answer's loss infinite). The cross-entropy is torch's stable
    ``(1 - t) x + max(-x, 0) + log(1 + exp(-|x|))``, so an infinite logit gives inf or NaN exactly
    where torch's does. x: any shape; targets: the same shape, in [0, 1]. An empty x is an
    error (the mean is undefined; torchvision: NaN).
    torch: ``torchvision.ops.sigmoid_focal_loss(reduction='mean')`` + autograd.
    """
    x = v.floats("x", x)
    t = v.floats("targets", targets)
    v.shape("targets", t, x.shape, " (one per element of x)")
    if x.size == 0:
        raise ValueError("x must not be empty: the mean over an empty batch is undefined")
    if t.size and not ((t >= 0) & (t <= 1)).all():
        raise ValueError(f"targets must lie in [0, 1], got values in [{t.min()}, {t.max()}]")
    if not (0 <= v.number("alpha", alpha) <= 1 or alpha == -1):
        raise ValueError(f"alpha must lie in [0, 1], or be -1 to disable the weighting, got {alpha!r}")
    if math.isinf(v.number("gamma", gamma, low=0)):
        raise ValueError(f"gamma must be finite, got {gamma!r} (torch's gradient is NaN everywhere)")
    t = t.astype(x.dtype, copy=False)
    p = _sigmoid(x)
    ce = (1 - t) * x + np.maximum(-x, 0) + np.log1p(np.exp(-np.abs(x)))
    p_t = p * t + (1 - p) * (1 - t)
    modulating = (1 - p_t) ** gamma
    weight = alpha * t + (1 - alpha) * (1 - t) if alpha >= 0 else np.ones_like(x)
    loss = (weight * ce * modulating).mean(dtype=x.dtype)
    d_modulating = 0 if gamma == 0 else -gamma * (1 - p_t) ** (gamma - 1) * p * (1 - p) * (2 * t - 1)
    dx = weight * ((p - t) * modulating + ce * d_modulating) / x.size
    return x.dtype.type(loss), dx.astype(x.dtype, copy=False)


@v.float16_as_float32
def batched_nms(boxes, scores, idxs, iou_threshold):
    """Class-aware NMS: ``nms`` within each value of idxs (boxes of different idxs never suppress
    each other); returns the kept indices (int64) by decreasing score, equal scores lower index
    first, NaN scores first (as torchvision). torchvision's ``batched_nms`` reaches the same by
    offsetting each class's boxes by idx * (max coordinate + 1), which separates the classes only
    when every coordinate is finite and none negative (its adapter translates the boxes first, and
    takes torchvision's per-class path for non-finite ones); here each class runs on its own.
    torch: ``torchvision.ops.batched_nms``."""
    boxes = v.boxes("boxes", boxes)
    scores = v.floats("scores", scores, ndim=1)
    v.shape("scores", scores, (len(boxes),), f" (one per box of boxes {boxes.shape})")
    if isinstance(idxs, (list, tuple)) and len(idxs) == 0:
        idxs = np.zeros(0, np.int64)  # [] (no boxes) holds no category, of no dtype
    idxs = v.integers("idxs", idxs, (len(boxes),), f" (one category index per box of boxes {boxes.shape})")
    v.number("iou_threshold", iou_threshold, low=0)
    kept = [np.zeros(0, np.int64)]
    for c in np.unique(idxs):
        members = np.flatnonzero(idxs == c)
        kept.append(members[nms(boxes[members], scores[members], iou_threshold)])
    keep = np.sort(np.concatenate(kept))
    return keep[_by_score(scores[keep])]
