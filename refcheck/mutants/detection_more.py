"""Mutants of GIoU / DIoU / CIoU, the GIoU and focal losses, batched NMS and COCO evaluation."""
import dataclasses

import numpy as np

import refimpl
from refimpl import boxes as rb, coco as cc, detection as d

from . import mutant


def _pairwise(boxes1, boxes2):
    b1, b2 = np.asarray(boxes1), np.asarray(boxes2)
    (ax1, ay1, ax2, ay2), (bx1, by1, bx2, by2) = rb._corners(b1, b2)
    iou, union, cw, ch = rb._iou_and_enclosing(b1, b2)
    return iou, union, cw * ch, ((ax1 + ax2 - bx1 - bx2) / 2) ** 2 + ((ay1 + ay2 - by1 - by2) / 2) ** 2, cw**2 + ch**2


@mutant("generalized_box_iou", "The penalty is divided by the union: GIoU = IoU - (C - U) / C, with C the "
                               "area of the smallest enclosing box.")
def giou_penalty_over_union(boxes1, boxes2):
    with np.errstate(all="ignore"):
        iou, union, encl, _, _ = _pairwise(boxes1, boxes2)
        return iou - (encl - union) / union


@mutant("generalized_box_iou", "The penalty subtracts the intersection from the enclosing area; it is "
                               "(C - U) / C with U the union.")
def giou_penalty_with_intersection(boxes1, boxes2):
    with np.errstate(all="ignore"):
        iou, union, encl, _, _ = _pairwise(boxes1, boxes2)
        return iou - (encl - iou * union) / encl


@mutant("distance_box_iou", "The centres' distance is not squared: DIoU = IoU - d^2 / (c^2 + eps).")
def diou_distance_not_squared(boxes1, boxes2):
    with np.errstate(all="ignore"):
        iou, _, _, d2, c2 = _pairwise(boxes1, boxes2)
        return iou - np.sqrt(d2) / (c2 + rb.EPS)


@mutant("distance_box_iou", "eps is missing: torchvision divides by c^2 + 1e-7 (the enclosing diagonal "
                            "squared plus eps), which shows on tiny boxes.")
def diou_without_eps(boxes1, boxes2):
    with np.errstate(all="ignore"):
        iou, _, _, d2, c2 = _pairwise(boxes1, boxes2)
        return iou - d2 / c2


def _aspect(boxes1, boxes2):
    (ax1, ay1, ax2, ay2), (bx1, by1, bx2, by2) = rb._corners(np.asarray(boxes1), np.asarray(boxes2))
    return (np.arctan((ax2 - ax1) / (ay2 - ay1)) - np.arctan((bx2 - bx1) / (by2 - by1))) ** 2


@mutant("complete_box_iou", "The aspect term v lacks its factor 4 / pi^2: v = 4 / pi^2 (atan(w1/h1) - atan(w2/h2))^2.")
def ciou_without_four_over_pi_squared(boxes1, boxes2):
    with np.errstate(all="ignore"):
        diou = refimpl.distance_box_iou(boxes1, boxes2)
        iou = _pairwise(boxes1, boxes2)[0]
        v = _aspect(boxes1, boxes2).astype(diou.dtype)
        return diou - v / (1 - iou + v + rb.EPS) * v


@mutant("complete_box_iou", "The aspect term is subtracted without its weight alpha = v / (1 - IoU + v + eps).")
def ciou_without_alpha(boxes1, boxes2):
    with np.errstate(all="ignore"):
        aspect = (4 / np.pi**2 * _aspect(boxes1, boxes2)).astype(np.asarray(boxes1).dtype)
        return refimpl.distance_box_iou(boxes1, boxes2) - aspect


@mutant("generalized_box_iou_loss", "The loss is summed over the pairs; torchvision's reduction='mean' averages it.")
def giou_loss_summed(pred, target):
    loss, dpred = refimpl.generalized_box_iou_loss(pred, target)
    n = np.asarray(pred).shape[0]
    return loss * n, dpred * n


@mutant("generalized_box_iou_loss", "dpred treats the enclosing box as a constant; its corners move with pred "
                                    "too (d max(x2, x2g) / dx2, ...).")
def giou_loss_constant_enclosing(pred, target):
    loss, dpred = refimpl.generalized_box_iou_loss(pred, target)
    p, t = np.asarray(pred), np.asarray(target)
    (x1, y1, x2, y2), (gx1, gy1, gx2, gy2) = p.T, t.T
    cw, ch = np.maximum(x2, gx2) - np.minimum(x1, gx1), np.maximum(y2, gy2) - np.minimum(y1, gy1)
    iw = np.clip(np.minimum(x2, gx2) - np.maximum(x1, gx1), 0, None)
    ih = np.clip(np.minimum(y2, gy2) - np.maximum(y1, gy1), 0, None)
    enclosing, union = cw * ch, (x2 - x1) * (y2 - y1) + (gx2 - gx1) * (gy2 - gy1) - iw * ih
    d_encl = np.stack([-ch * rb._max_grad(-x1, -gx1), -cw * rb._max_grad(-y1, -gy1),
                       ch * rb._max_grad(x2, gx2), cw * rb._max_grad(y2, gy2)])
    # the part of d penalty / dpred that flows through C, dropped
    through_c = d_encl / (enclosing + rb.EPS) - (enclosing - union) * d_encl / (enclosing + rb.EPS) ** 2
    return loss, (dpred - through_c.T / len(p)).astype(dpred.dtype)


@mutant("generalized_box_iou_loss", "eps is missing: torchvision's loss divides by U + 1e-7 and C + 1e-7, "
                                    "which shows on tiny boxes.")
def giou_loss_without_eps(pred, target):
    p = np.asarray(pred)
    scale = p.dtype.type(1e4)  # the same loss on boxes 1e4 times larger makes eps negligible
    loss, dpred = refimpl.generalized_box_iou_loss(p * scale, np.asarray(target) * scale)
    return loss, dpred * scale


def _focal(x, targets, alpha, gamma, weight=None, modulating=None, reduce=np.mean, stable=True, chain=True):
    x, t = np.asarray(x), np.asarray(targets).astype(np.asarray(x).dtype)
    p = rb._sigmoid(x)
    with np.errstate(all="ignore"):
        ce = np.maximum(x, 0) - x * t + np.log1p(np.exp(-np.abs(x))) if stable else \
            -(t * np.log(p) + (1 - t) * np.log(1 - p))
        p_t = p * t + (1 - p) * (1 - t)
        base = 1 - p_t if modulating is None else modulating(p, t)
        w = (alpha * t + (1 - alpha) * (1 - t) if alpha >= 0 else 1.0) if weight is None else weight(t)
        loss = w * ce * base**gamma
        d_base = -p * (1 - p) * (2 * t - 1) if modulating is None else -p * (1 - p)
        d_mod = 0 if gamma == 0 or not chain else gamma * base ** (gamma - 1) * d_base
        dx = w * ((p - t) * base**gamma + ce * d_mod) * (1 / x.size if reduce is np.mean else 1)
    return x.dtype.type(reduce(loss)), (dx * np.ones_like(x)).astype(x.dtype)


@mutant("sigmoid_focal_loss", "alpha weights the negatives: alpha_t = alpha for targets 1 and 1 - alpha for 0.")
def focal_alpha_swapped(x, targets, alpha=0.25, gamma=2.0):
    return _focal(x, targets, alpha, gamma, weight=lambda t: (1 - alpha) * t + alpha * (1 - t) if alpha >= 0 else 1.0)


@mutant("sigmoid_focal_loss", "The modulating factor is (1 - p)^gamma for every element; it is (1 - p_t)^gamma, "
                              "with p_t = p for targets 1 and 1 - p for 0.")
def focal_modulates_with_p(x, targets, alpha=0.25, gamma=2.0):
    return _focal(x, targets, alpha, gamma, modulating=lambda p, t: 1 - p)


@mutant("sigmoid_focal_loss", "The loss is summed; torchvision's reduction='mean' averages over every element.")
def focal_summed(x, targets, alpha=0.25, gamma=2.0):
    return _focal(x, targets, alpha, gamma, reduce=np.sum)


@mutant("sigmoid_focal_loss", "The cross-entropy is -log(sigmoid(x)), which underflows for large logits; use "
                              "max(x, 0) - x t + log(1 + exp(-|x|)).")
def focal_unstable_log(x, targets, alpha=0.25, gamma=2.0):
    return _focal(x, targets, alpha, gamma, stable=False)


@mutant("sigmoid_focal_loss", "dx treats the modulating factor (1 - p_t)^gamma as a constant; its derivative "
                              "-gamma (1 - p_t)^(gamma - 1) dp_t/dx is part of the gradient.")
def focal_dx_constant_modulation(x, targets, alpha=0.25, gamma=2.0):
    return _focal(x, targets, alpha, gamma, chain=False)


@mutant("batched_nms", "idxs are ignored: boxes of different categories suppress each other (this is plain nms).")
def batched_nms_ignores_idxs(boxes, scores, idxs, iou_threshold):
    return refimpl.nms(boxes, scores, iou_threshold)


@mutant("batched_nms", "The kept indices are grouped by category; they should be sorted by decreasing score.")
def batched_nms_grouped_by_class(boxes, scores, idxs, iou_threshold):
    keep = refimpl.batched_nms(boxes, scores, idxs, iou_threshold)
    return keep[np.argsort(np.asarray(idxs)[keep], kind="stable")]


@mutant("batched_nms", "Categories are kept apart by torchvision's offset trick, idx * (max coordinate + 1), which "
                       "fails with negative coordinates: offset by idx * (max - min + 1), or run nms per category.")
def batched_nms_offset_trick(boxes, scores, idxs, iou_threshold):
    b = np.asarray(boxes)
    offsets = np.asarray(idxs).astype(b.dtype) * ((b.max() if b.size else 0) + 1)
    return refimpl.nms(b + offsets[:, None], scores, iou_threshold)


@mutant("batched_nms", "Boxes are dropped at IoU == threshold (>=); only IoU > threshold suppresses.")
def batched_nms_drops_at_threshold(boxes, scores, idxs, iou_threshold):
    b, s, ids = np.asarray(boxes), np.asarray(scores), np.asarray(idxs)
    kept = [np.zeros(0, np.int64)]
    for c in np.unique(ids):
        m = np.flatnonzero(ids == c)
        kept.append(m[d._greedy(b[m], np.argsort(-s[m], kind="stable"), lambda iou: iou >= iou_threshold)])
    keep = np.concatenate(kept)
    return keep[np.lexsort((keep, -s[keep]))]


# ---- COCO evaluation --------------------------------------------------------------------------

def _loop_match(data, dets, rank, regular, thresholds, strict=False, rematch=False, crowd_iou=True):
    """``COCOeval.evaluateImg``'s matching loop, transcribed, with a mistake switched on by a flag."""
    n_classes = len(data.classes)
    matched = np.zeros((len(regular), len(thresholds), len(dets)), bool)
    to_ignored = np.zeros_like(matched)
    det_group = data.det_image[dets] * n_classes + data.det_class[dets]
    gt_group = data.gt_image * n_classes + data.gt_class
    for g in np.unique(det_group):
        ds, gs = np.flatnonzero(det_group == g), np.flatnonzero(gt_group == g)
        if not len(gs):
            continue
        crowd = data.gt_crowd[gs] & crowd_iou
        ious = cc.coco_iou(np.repeat(data.det_boxes[dets[ds]], len(gs), 0), np.tile(data.gt_boxes[gs], (len(ds), 1)),
                           np.tile(crowd, len(ds))).reshape(len(ds), len(gs))
        for a, reg in enumerate(regular):
            order = np.argsort(~reg[gs], kind="stable")
            for ti, t in enumerate(thresholds):
                taken = np.zeros(len(gs), bool)
                for di, det in enumerate(ds):
                    best, m = min(t, 1 - 1e-10), -1
                    for gi in order:
                        if taken[gi] and not data.gt_crowd[gs[gi]] and not rematch:
                            continue
                        if m > -1 and reg[gs[m]] and not reg[gs[gi]]:
                            break
                        if ious[di, gi] < best or (strict and ious[di, gi] <= min(t, 1 - 1e-10)):
                            continue
                        best, m = ious[di, gi], gi
                    if m > -1:
                        taken[m] = matched[a, ti, det] = True
                        to_ignored[a, ti, det] = not reg[gs[m]]
    return matched, to_ignored


def _coco(preds, targets, iou_thresholds=None, max_detections=(1, 10, 100), class_metrics=False, *, transform=None,
          rec_thresholds=cc.RECALL_THRESHOLDS, area_ranges=cc.AREA_RANGES, top=cc.top_detections, matcher=None,
          outside=cc.outside_areas, undefined=None):
    """refimpl's coco_map, stage by stage, with one stage replaced."""
    thresholds, max_dets = cc._thresholds(iou_thresholds), cc._max_detections(max_detections)
    data = cc.dataset(preds, targets)
    thresholds = thresholds if transform is None else transform.get("thresholds", lambda t: t)(thresholds)
    data = data if transform is None else transform.get("data", lambda x: x)(data)
    dets, rank = top(data, max_dets[-1])
    regular = cc.regular_ground_truth(data, area_ranges)
    if matcher is None:
        pairs = cc.candidate_pairs(data, dets, min(np.min(thresholds), 1 - 1e-10))
        matched, to_ignored = cc.match(data, dets, rank, pairs, regular, thresholds)
    else:
        matched, to_ignored = matcher(data, dets, rank, regular, thresholds)
    precision, recall = cc.accumulate(data, dets, rank, matched, to_ignored, outside(data, dets, area_ranges), regular,
                                      max_dets, rec_thresholds)
    if undefined is not None:
        precision, recall = np.where(precision == -1, undefined, precision), np.where(recall == -1, undefined, recall)
    return cc.summarize(precision, recall, thresholds, max_dets, data.classes, class_metrics, data.dtype)


def _coco_mutant(name, hint, **stages):
    def wrong(preds, targets, iou_thresholds=None, max_detections=(1, 10, 100), class_metrics=False):
        return _coco(preds, targets, iou_thresholds, max_detections, class_metrics, **stages)
    wrong.__name__ = name
    mutant("coco_map", hint)(wrong)


def _ranked_by(key):
    """A replacement for top_detections ranking within the groups ``key(data)`` instead."""
    def top(data, max_det):
        group = key(data)
        order = np.lexsort((np.arange(len(group)), -data.det_scores, group))
        rank = np.arange(len(order)) - np.searchsorted(group[order], group[order], side="left")
        # matching visits each (image, class) group in rank order; a dataset-wide rank keeps that order
        keep = rank < max_det
        return order[keep], rank[keep]
    return top


def _reversed_within_images(data):
    """The detections of each image in reverse input order (a stable sort then meets ties reversed)."""
    order = np.lexsort((-np.arange(len(data.det_image)), data.det_image))
    return dataclasses.replace(data, det_boxes=data.det_boxes[order], det_scores=data.det_scores[order],
                               det_class=data.det_class[order], det_image=data.det_image[order])


_coco_mutant("coco_voc11", "Precision is read at 11 recall points (VOC 2007); COCO reads it at 101 "
                           "(0, 0.01, ..., 1).", rec_thresholds=np.linspace(0, 1, 11))
_coco_mutant("coco_float32_recall_grid", "The recall thresholds are a float32 grid (torchmetrics' default "
             "torch.linspace): 0.7 becomes 0.699999988, so a recall of exactly 0.7 reads the next precision; use "
             "pycocotools' float64 np.linspace(0, 1, 101).",
             rec_thresholds=cc.RECALL_THRESHOLDS.astype(np.float32).astype(np.float64))
_coco_mutant("coco_float32_iou_grid", "The IoU thresholds are float32 (torchmetrics' default torch.linspace): "
             "0.55 becomes 0.550000012, so an IoU of exactly 0.55 no longer matches; use pycocotools' float64 "
             "np.linspace(0.5, 0.95, 10).",
             transform={"thresholds": lambda t: np.asarray(t).astype(np.float32).astype(np.float64)})
_coco_mutant("coco_strict_threshold", "A detection matches only at IoU > threshold; COCO matches at IoU >= threshold.",
             matcher=lambda *a: _loop_match(*a, strict=True))
_coco_mutant("coco_rematches_ground_truth", "A ground-truth box is matched more than once: each matches one "
             "detection at most (later ones are false positives); only crowds match again.",
             matcher=lambda *a: _loop_match(*a, rematch=True))
_coco_mutant("coco_crowd_iou_union", "A crowd's IoU is intersection over union; pycocotools divides by the "
             "detection's own area for crowd ground truth.", matcher=lambda *a: _loop_match(*a, crowd_iou=False))
_coco_mutant("coco_ignores_iscrowd", "iscrowd is ignored: a crowd box is no object to find (not a miss), and the "
             "detections it matches (any number) are ignored, not true positives.",
             transform={"data": lambda x: dataclasses.replace(x, gt_crowd=np.zeros_like(x.gt_crowd))})
_coco_mutant("coco_max_detections_over_dataset", "max_detections is applied over the whole dataset (per class); "
             "COCO applies it per image (and per class): each image keeps its own top detections.",
             top=_ranked_by(lambda x: x.det_class))
_coco_mutant("coco_max_detections_over_classes", "max_detections counts an image's detections of all classes; "
             "pycocotools applies it per image and per class.", top=_ranked_by(lambda x: x.det_image))
_coco_mutant("coco_plus_one", "Boxes use the \"+1\" pixel convention (width x2 - x1 + 1); COCO's width is x2 - x1.",
             transform={"data": lambda x: dataclasses.replace(x, det_boxes=x.det_boxes + [0, 0, 1, 1],
                                                               gt_boxes=x.gt_boxes + [0, 0, 1, 1])})
_coco_mutant("coco_open_area_ranges", "Area ranges are half-open (small: area < 32^2); pycocotools' are closed: "
             "an area of exactly 32^2 is small and medium, exactly 96^2 medium and large.",
             area_ranges=((0.0, 1e10), (0.0, np.nextafter(1024.0, 0)), (1024.0, np.nextafter(9216.0, 0)), (9216.0, 1e10)))
_coco_mutant("coco_unmatched_outside_area_count", "Unmatched detections outside an area range count as false "
             "positives there; COCO ignores them (map_small judges small detections only).",
             outside=lambda data, dets, ranges: np.zeros((len(ranges), len(dets)), bool))
_coco_mutant("coco_undefined_classes_as_zero", "Classes (or size ranges) without ground truth are averaged in as 0; "
             "COCO marks them -1 and leaves them out of the means.", undefined=0.0)
_coco_mutant("coco_ties_reversed", "Equal scores are visited in reverse input order (argsort(scores)[::-1]); "
             "pycocotools sorts stably by decreasing score: equal scores keep the input order.",
             transform={"data": _reversed_within_images})


@mutant("coco_map", "AP and AR are averaged over images; COCO pools the detections of all images per class "
                    "before computing precision and recall.")
def coco_averages_images(preds, targets, iou_thresholds=None, max_detections=(1, 10, 100), class_metrics=False):
    pooled = refimpl.coco_map(preds, targets, iou_thresholds, max_detections, class_metrics)
    per_image = [refimpl.coco_map([p], [t], iou_thresholds, max_detections, class_metrics)
                 for p, t in zip(preds, targets)]
    out = {}
    for key, value in pooled.items():
        if key in ("map_per_class", "classes") or key.endswith("_per_class"):
            continue
        values = [float(r[key]) for r in per_image if r[key] > -1]
        out[key] = type(value)(np.mean(values) if values else -1.0)
    if class_metrics:
        for key in ("map_per_class", f"mar_{sorted(max_detections)[2]}_per_class"):
            out[key] = np.array([np.mean([float(r[key][list(r["classes"]).index(c)]) for r in per_image
                                          if c in r["classes"] and r[key][list(r["classes"]).index(c)] > -1] or [-1.0])
                                 for c in pooled["classes"]], dtype=pooled[key].dtype)
        out["classes"] = pooled["classes"]
    return out


@mutant("mean_average_precision", "A list of images is evaluated image by image and the values averaged; COCO pools "
                                  "the detections of all images per class first.")
def map_averages_images(pred_boxes, pred_scores, pred_labels, gt_boxes, gt_labels, iou_threshold=0.5):
    if not isinstance(pred_boxes, list):
        return refimpl.mean_average_precision(pred_boxes, pred_scores, pred_labels, gt_boxes, gt_labels, iou_threshold)
    values = [refimpl.mean_average_precision(*image, iou_threshold)
              for image in zip(pred_boxes, pred_scores, pred_labels, gt_boxes, gt_labels)]
    defined = [float(x) for x in values if x > -1]
    return pred_scores[0].dtype.type(np.mean(defined) if defined else -1.0)
