"""Mutants of IoU, NMS, average precision and mAP."""
import numpy as np

import refimpl
from refimpl import detection as d

from . import mutant


def _iou_unclamped(a, b):
    wh = np.minimum(a[..., 2:], b[..., 2:]) - np.maximum(a[..., :2], b[..., :2])
    inter = wh[..., 0] * wh[..., 1]
    union = (a[..., 2] - a[..., 0]) * (a[..., 3] - a[..., 1]) + (b[..., 2] - b[..., 0]) * (b[..., 3] - b[..., 1]) - inter
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(union != 0, inter / union, 0)


@mutant("box_iou", "Overlaps are not clamped at 0 before they multiply: disjoint boxes get a negative "
                   "intersection, or a positive one when disjoint on both axes (clamp width and height at 0).")
def box_iou_negative_overlaps(boxes1, boxes2, pixel_inclusive=False):
    b1, b2 = d._inclusive(np.asarray(boxes1), pixel_inclusive), d._inclusive(np.asarray(boxes2), pixel_inclusive)
    return _iou_unclamped(b1[:, None, :], b2[None, :, :]).astype(b1.dtype)


@mutant("box_iou", "The \"+1\" pixel convention (width x2 - x1 + 1) is used when pixel_inclusive is "
                   "False; torchvision's boxes have width x2 - x1.")
def box_iou_always_inclusive(boxes1, boxes2, pixel_inclusive=False):
    return refimpl.box_iou(boxes1, boxes2, pixel_inclusive=True)


@mutant("box_iou", "pixel_inclusive=True is ignored: the VOC convention's width is x2 - x1 + 1.")
def box_iou_never_inclusive(boxes1, boxes2, pixel_inclusive=False):
    return refimpl.box_iou(boxes1, boxes2)


@mutant("nms", "Boxes are dropped at IoU == threshold (>=); only IoU > threshold suppresses.")
def nms_drops_at_threshold(boxes, scores, iou_threshold, pixel_inclusive=False):
    boxes = d._inclusive(np.asarray(boxes), pixel_inclusive)
    return d._greedy(boxes, np.argsort(-np.asarray(scores), kind="stable"), lambda iou: iou >= iou_threshold)


@mutant("nms", "Boxes are visited in index order, not by decreasing score.")
def nms_unsorted(boxes, scores, iou_threshold, pixel_inclusive=False):
    boxes = d._inclusive(np.asarray(boxes), pixel_inclusive)
    return d._greedy(boxes, np.arange(len(boxes)), lambda iou: iou > iou_threshold)


@mutant("nms", "The kept indices are returned in index order; they should be by decreasing score.")
def nms_sorted_indices(boxes, scores, iou_threshold, pixel_inclusive=False):
    return np.sort(refimpl.nms(boxes, scores, iou_threshold, pixel_inclusive))


@mutant("nms", "pixel_inclusive=True is ignored: with the \"+1\" convention widths are x2 - x1 + 1.")
def nms_never_inclusive(boxes, scores, iou_threshold, pixel_inclusive=False):
    return refimpl.nms(boxes, scores, iou_threshold)


@mutant("py_cpu_nms", "The \"+1\" pixel convention is missing: Fast R-CNN's boxes have width x2 - x1 + 1.")
def py_cpu_nms_exclusive(dets, thresh):
    dets = np.asarray(dets)
    return refimpl.nms(dets[:, :4], dets[:, 4], thresh).tolist()


@mutant("py_cpu_nms", "Boxes are dropped at IoU == thresh (>=); Fast R-CNN keeps ovr <= thresh.")
def py_cpu_nms_drops_at_threshold(dets, thresh):
    dets = np.asarray(dets)
    return nms_drops_at_threshold(dets[:, :4], dets[:, 4], thresh, True).tolist()


def _ap_from_curve(scores, labels, per_item=False, envelope=False):
    order = np.argsort(-scores, kind="stable")
    s, lab = scores[order], np.asarray(labels, bool)[order]
    if not lab.any():
        return scores.dtype.type(0.0)
    last = np.ones(len(s), bool) if per_item else np.r_[s[1:] != s[:-1], True]
    tp = np.cumsum(lab)[last]
    precision, recall = tp / (np.flatnonzero(last) + 1), tp / tp[-1]
    if envelope:
        precision = np.maximum.accumulate(precision[::-1])[::-1]
    return scores.dtype.type(np.sum(np.diff(recall, prepend=0) * precision))


@mutant("average_precision", "Precision is interpolated (made monotone, as VOC and COCO do); the "
                             "contract's AP is the plain sum of P_j (R_j - R_{j-1}).")
def average_precision_interpolated(scores, labels):
    return _ap_from_curve(np.asarray(scores), labels, envelope=True)


@mutant("average_precision", "Equal scores are ranked one by one (in input order); a group of equal "
                             "scores is one threshold and enters the curve together.")
def average_precision_ties_split(scores, labels):
    return _ap_from_curve(np.asarray(scores), labels, per_item=True)


def _map_with(class_ap, name):
    """refimpl's mean over the classes with ground truth, around a wrong per-class AP."""
    def wrong(pred_boxes, pred_scores, pred_labels, gt_boxes, gt_labels, iou_threshold=0.5):
        if isinstance(pred_boxes, list):  # a dataset (lists of per-image arrays): the mistake is one image's
            return refimpl.mean_average_precision(pred_boxes, pred_scores, pred_labels, gt_boxes, gt_labels,
                                                  iou_threshold)
        pb, gb = np.asarray(pred_boxes, np.float64), np.asarray(gt_boxes, np.float64)
        ps, pl, gl = np.asarray(pred_scores), np.asarray(pred_labels), np.asarray(gt_labels)
        aps = [class_ap(pb[pl == c], ps[pl == c], gb[gl == c], iou_threshold) for c in np.unique(gl)]
        return ps.dtype.type(np.mean(aps) if aps else -1.0)
    wrong.__name__ = name
    return wrong


def _voc11(pred_boxes, pred_scores, gt_boxes, iou_threshold):
    recall, precision = _pr_curve(pred_boxes, pred_scores, gt_boxes, iou_threshold)
    return np.mean([precision[recall >= r].max(initial=0) for r in np.linspace(0, 1, 11)])


def _pr_curve(pred_boxes, pred_scores, gt_boxes, iou_threshold, strict=False, rematch=False):
    order = np.argsort(-pred_scores, kind="stable")[:100]
    ious = d._iou(pred_boxes[order][:, None, :], gt_boxes[None, :, :])
    matched = np.zeros(len(gt_boxes), bool)
    tp = np.zeros(len(order), bool)
    for k, row in enumerate(ious):
        ok = (row > iou_threshold) if strict else (row >= iou_threshold)
        if not rematch:
            ok &= ~matched
        if ok.any():
            g = np.argmax(np.where(ok, row, -1))
            matched[g], tp[k] = True, True
    tps = np.cumsum(tp)
    return tps / max(len(gt_boxes), 1), tps / (np.arange(len(tp)) + 1)


def _coco101(**kw):
    def class_ap(pred_boxes, pred_scores, gt_boxes, iou_threshold):
        recall, precision = _pr_curve(pred_boxes, pred_scores, gt_boxes, iou_threshold, **kw)
        if not len(recall):
            return 0.0
        precision = np.maximum.accumulate(precision[::-1])[::-1]
        at = np.searchsorted(recall, d.COCO_RECALL_THRESHOLDS, side="left")
        return np.where(at < len(precision), precision[np.minimum(at, len(precision) - 1)], 0).mean()
    return class_ap


mutant("mean_average_precision", "Precision is read at 11 recall points (VOC 2007); COCO reads it at "
                                 "101 points (0, 0.01, ..., 1).")(_map_with(_voc11, "map_voc11"))
mutant("mean_average_precision", "A detection matches only at IoU > threshold; COCO matches at IoU >= "
                                 "threshold.")(_map_with(_coco101(strict=True), "map_strict_threshold"))
mutant("mean_average_precision", "A ground-truth box is matched more than once: each may match only one "
                                 "detection, later ones are false positives.")(
    _map_with(_coco101(rematch=True), "map_rematches_ground_truth"))


@mutant("mean_average_precision", "Classes that appear only in the predictions are averaged in (with AP 0); "
                                  "COCO averages over the classes that have ground truth.")
def map_counts_prediction_only_classes(pred_boxes, pred_scores, pred_labels, gt_boxes, gt_labels, iou_threshold=0.5):
    value = refimpl.mean_average_precision(pred_boxes, pred_scores, pred_labels, gt_boxes, gt_labels, iou_threshold)
    with_gt = set(np.unique(gt_labels).tolist())
    extra = len(set(np.unique(pred_labels).tolist()) - with_gt)
    if not with_gt or not extra:
        return value
    return type(value)(value * len(with_gt) / (len(with_gt) + extra))
