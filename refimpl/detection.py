"""Detection utilities: box IoU, non-maximum suppression, average precision and COCO-style mAP.

Boxes are (x1, y1, x2, y2) rows. By default a box covers [x1, x2) x [y1, y2) (width x2 - x1, as
torchvision); ``pixel_inclusive=True`` is the VOC / Fast R-CNN "+1" convention (width x2 - x1 + 1),
applied by moving x2 and y2 one pixel out before the usual arithmetic.
"""
import numpy as np

from . import _validate as v
from .coco import dataset_map


def _inclusive(boxes, pixel_inclusive):
    if not pixel_inclusive:
        return boxes
    return boxes + np.array([0, 0, 1, 1], dtype=boxes.dtype)


def _iou_columns(a, b):
    """IoU from corner columns a = (x1, y1, x2, y2) and b, broadcast against each other, with
    torchvision's arithmetic in the boxes' dtype: overlaps are clamped at 0 on each axis before
    they multiply (boxes disjoint on both axes do not make a positive area), union = area_a +
    area_b - intersection, and 0 / 0 (two zero-area boxes) gives 0; a NaN coordinate gives NaN."""
    ax1, ay1, ax2, ay2 = a
    bx1, by1, bx2, by2 = b
    w = np.minimum(ax2, bx2) - np.maximum(ax1, bx1)
    h = np.minimum(ay2, by2) - np.maximum(ay1, by1)
    inter = np.maximum(w, 0) * np.maximum(h, 0)
    union = (ax2 - ax1) * (ay2 - ay1) + (bx2 - bx1) * (by2 - by1) - inter
    return np.divide(inter, union, out=np.zeros_like(inter), where=union != 0)  # NaN stays NaN


def _iou(a, b):
    """IoU of boxes a (..., 4) against b (..., 4), broadcast (see _iou_columns)."""
    return _iou_columns(np.moveaxis(a, -1, 0), np.moveaxis(b, -1, 0))


@v.float16_as_float32
def box_iou(boxes1, boxes2, pixel_inclusive=False):
    """IoU matrix (N, M) of boxes1 (N, 4) against boxes2 (M, 4).

    torch: ``torchvision.ops.box_iou``, which gives NaN (0 / 0) where both boxes have zero area;
    here that IoU is 0, as for any two boxes that do not overlap.
    """
    b1 = _inclusive(v.boxes("boxes1", boxes1, pixel_inclusive), pixel_inclusive)
    b2 = _inclusive(v.boxes("boxes2", boxes2, pixel_inclusive), pixel_inclusive)
    return _iou(b1[:, None, :], b2[None, :, :])


def _sweep(corners):
    """The boxes' order by x1 and, at each position of it, how many later boxes start before this
    one ends: the candidates for overlapping it (sweep and prune along x)."""
    by_x = np.argsort(corners[0], kind="stable").astype(np.int32)
    x1, x2 = corners[0, by_x], corners[2, by_x]
    later = np.maximum(np.searchsorted(x1, x2, side="left") - np.arange(len(by_x)) - 1, 0)
    return by_x, later


def _overlapping_pairs(corners, by_x, later, chunk=1 << 20):
    """Index pairs (i, j) of the boxes whose rectangles overlap (open intervals on both axes), about
    ``chunk`` candidates at a time: the sweep's candidates, less those apart along y."""
    x1, y1, x2, y2 = corners[:, by_x]  # positions below are in x order
    ends = np.cumsum(later)
    start = 0
    while start < len(by_x):
        stop = max(int(np.searchsorted(ends, ends[start] - later[start] + chunk, side="right")), start + 1)
        counts = later[start:stop]
        p = np.repeat(np.arange(start, stop, dtype=np.int32), counts)
        q = p + 1 + np.arange(len(p), dtype=np.int32) - np.repeat((np.cumsum(counts) - counts).astype(np.int32), counts)
        overlap_y = (np.repeat(y1[start:stop], counts) < y2[q]) & (y1[q] < np.repeat(y2[start:stop], counts))
        yield by_x[p[overlap_y]], by_x[q[overlap_y]]
        start = stop


@v.float16_as_float32
def nms(boxes, scores, iou_threshold, pixel_inclusive=False):
    """Greedy non-maximum suppression; returns the kept indices (int64) by decreasing score.

    Boxes are visited by decreasing score (equal scores: lower index first; NaN scores first, as
    torchvision); a box is dropped when
    its IoU with an already kept box is > iou_threshold (equal is kept). The IoU is computed in the
    boxes' dtype, the kept box's operand first, and compared with the threshold in float64, exactly
    as ``torchvision.ops.nms``. Only overlapping pairs are compared (the others have IoU 0), all at
    once; then one pass in score order keeps a box unless a kept box suppressed it. Time and memory
    grow with the number of overlapping pairs (chunked), so a crowd of mutually overlapping boxes
    costs more than the same number spread over an image.
    """
    boxes = _inclusive(v.boxes("boxes", boxes, pixel_inclusive), pixel_inclusive)
    scores = v.floats("scores", scores, ndim=1)
    v.shape("scores", scores, (len(boxes),), f" (one per box of boxes {boxes.shape})")
    threshold = np.float64(v.number("iou_threshold", iou_threshold, low=0))
    return _greedy(boxes, _by_score(scores), lambda iou: iou > threshold)


def _by_score(scores):
    """Indices by decreasing score, equal scores lower index first, NaN scores first (torch's
    descending sort, which torchvision and torchmetrics use, ranks NaN above everything)."""
    order = np.argsort(-scores, kind="stable")  # NaN last
    nan = np.isnan(scores[order])
    return np.concatenate([order[nan], order[~nan]]) if nan.any() else order


def _greedy(boxes, order, suppresses):
    """Greedy suppression visiting the boxes in ``order``; ``suppresses(iou)`` says which IoUs with
    a kept box drop a box (see nms)."""
    rank = np.empty(len(order), np.int64)
    rank[order] = np.arange(len(order))
    corners = boxes.T.copy()  # columns x1, y1, x2, y2: gathering columns beats gathering rows
    keepers, victims = [np.zeros(0, np.int64)], [np.zeros(0, np.int64)]
    for a, b in _overlapping_pairs(corners, *_sweep(corners)):
        keeper = np.where(rank[a] < rank[b], a, b)  # the box visited first might suppress the other
        victim = a + b - keeper
        hit = suppresses(_iou_columns(corners[:, keeper], corners[:, victim]))
        keepers.append(keeper[hit])
        victims.append(victim[hit])
    keepers, victims = np.concatenate(keepers), np.concatenate(victims)
    by_keeper = np.argsort(keepers, kind="stable")
    victims = victims[by_keeper].tolist()
    bounds = np.searchsorted(keepers[by_keeper], np.arange(len(order) + 1)).tolist()
    suppressed, keep = bytearray(len(order)), []
    for i in order.tolist():  # in score order: a box survives unless a kept box suppressed it
        if not suppressed[i]:
            keep.append(i)
            for j in victims[bounds[i]:bounds[i + 1]]:
                suppressed[j] = 1
    return np.array(keep, dtype=np.int64)


@v.float16_as_float32
def py_cpu_nms(dets, thresh):
    """Fast R-CNN's signature: dets (N, 5) rows x1, y1, x2, y2, score; returns the kept indices
    as a list. The "+1" pixel convention, as Fast R-CNN: ``nms(..., pixel_inclusive=True)``."""
    dets = v.floats("dets", dets)
    if dets.ndim != 2 or dets.shape[1] != 5:
        raise ValueError(f"dets must have shape (N, 5) with rows x1, y1, x2, y2, score, got {dets.shape}")
    v.boxes("dets[:, :4]", dets[:, :4], pixel_inclusive=True)  # errors under this function's names
    v.number("thresh", thresh, low=0)
    return nms(dets[:, :4], dets[:, 4], thresh, pixel_inclusive=True).tolist()


def _binary_labels(name, labels, n):
    labels = np.asarray(labels)
    if labels.shape != (n,):
        raise ValueError(f"{name} must have shape ({n},) like scores, got {labels.shape}")
    if labels.size and not np.isin(labels, (0, 1)).all():
        raise ValueError(f"{name} must hold 0/1 (or booleans), got values {np.unique(labels)[:5]}")
    return labels.astype(bool)


@v.float16_as_float32
def average_precision(scores, labels):
    """Non-interpolated average precision, ``AP = sum_j P_j (R_j - R_{j-1})`` over the distinct
    score thresholds j (a group of equal scores enters together), R_0 = 0. scores, labels: (N,);
    labels are 0/1. With no positive label, AP is 0. A NaN score ranks above every other, and
    each NaN is a threshold of its own (NaN != NaN), as in torchmetrics. torch: torchmetrics'
    binary average precision.
    """
    scores = v.floats("scores", scores, ndim=1)
    labels = _binary_labels("labels", labels, len(scores))
    v.nonempty("scores", scores, 0, "score")  # torchmetrics raises too
    if not labels.any():
        return scores.dtype.type(0.0)
    order = _by_score(scores)
    scores, labels = scores[order], labels[order]
    last_of_group = np.r_[scores[1:] != scores[:-1], True]
    tp = np.cumsum(labels)[last_of_group]
    seen = np.flatnonzero(last_of_group) + 1
    precision, recall = tp / seen, tp / tp[-1]
    return scores.dtype.type(np.sum(np.diff(recall, prepend=0) * precision))


COCO_RECALL_THRESHOLDS = np.linspace(0.0, 1.0, 101)
COCO_MAX_DETECTIONS = 100


def _class_ap(pred_boxes, pred_scores, gt_boxes, iou_threshold):
    """COCO's AP of one class in one image: the top 100 detections by score (stable), each matched
    greedily to the unmatched ground truth of highest IoU >= threshold (ties: the later one, as
    pycocotools), then precision made monotone and read at 101 recall points."""
    order = np.argsort(-pred_scores, kind="stable")[:COCO_MAX_DETECTIONS]
    if len(order) == 0:
        return 0.0
    ious = _iou(pred_boxes[order][:, None, :], gt_boxes[None, :, :]).astype(np.float64)
    matched = np.zeros(len(gt_boxes), bool)
    tp = np.zeros(len(order), bool)
    for d, row in enumerate(ious):
        candidates = np.where(~matched & (row >= min(iou_threshold, 1 - 1e-10)), row, -1)
        if candidates.max(initial=-1) >= 0:
            g = len(candidates) - 1 - np.argmax(candidates[::-1])
            matched[g], tp[d] = True, True
    tps, fps = np.cumsum(tp), np.cumsum(~tp)
    recall = tps / len(gt_boxes)
    precision = tps / (tps + fps + np.spacing(1))
    precision = np.maximum.accumulate(precision[::-1])[::-1]
    at = np.searchsorted(recall, COCO_RECALL_THRESHOLDS, side="left")
    return np.where(at < len(precision), precision[np.minimum(at, len(precision) - 1)], 0).mean()


@v.float16_as_float32
def mean_average_precision(pred_boxes, pred_scores, pred_labels, gt_boxes, gt_labels, iou_threshold=0.5):
    """COCO-style mAP of one image at one IoU threshold: the mean, over the classes that have
    ground truth, of each class's 101-point interpolated AP (see _class_ap); a class with ground
    truth and no detection scores 0, a class with detections only is not counted. Returns -1 when
    no class has ground truth (COCO's "undefined"). Boxes are x1, y1, x2, y2 (no "+1"), finite, with
    x2 >= x1 and y2 >= y1; scores finite; labels integers; iou_threshold in [0, 1].
    torch: ``torchmetrics.detection.MeanAveragePrecision(iou_thresholds=[t], rec_thresholds=<101
    float64 points>, backend='pycocotools')['map']``.

    A dataset: each argument a list with one array per image (pred_boxes[i] (K_i, 4), ...); the
    detections of all images are pooled per class, as ``coco_map(...)['map']`` at this threshold.
    """
    if isinstance(pred_boxes, (list, tuple)) and (len(pred_boxes) == 0 or np.ndim(pred_boxes[0]) == 2):
        return dataset_map(pred_boxes, pred_scores, pred_labels, gt_boxes, gt_labels, iou_threshold)
    pred_boxes, gt_boxes = v.boxes("pred_boxes", pred_boxes), v.boxes("gt_boxes", gt_boxes)
    pred_scores = v.floats("pred_scores", pred_scores, ndim=1)
    v.shape("pred_scores", pred_scores, (len(pred_boxes),), f" (one per box of pred_boxes {pred_boxes.shape})")
    # integer class ids (torchmetrics rejects float labels; any integer is a class)
    pred_labels = v.integers("pred_labels", pred_labels, (len(pred_boxes),),
                             f" (one per box of pred_boxes {pred_boxes.shape})")
    gt_labels = v.integers("gt_labels", gt_labels, (len(gt_boxes),), f" (one per box of gt_boxes {gt_boxes.shape})")
    iou_threshold = v.number("iou_threshold", iou_threshold, 0, 1)
    # finite: pycocotools matches a NaN box as if it overlapped
    for name, a in (("pred_boxes", pred_boxes), ("gt_boxes", gt_boxes), ("pred_scores", pred_scores)):
        v.finite(name, a)
    aps = [_class_ap(pred_boxes[pred_labels == c].astype(np.float64), pred_scores[pred_labels == c],
                     gt_boxes[gt_labels == c].astype(np.float64), iou_threshold)
           for c in np.unique(gt_labels)]
    return pred_scores.dtype.type(np.mean(aps) if aps else -1.0)
