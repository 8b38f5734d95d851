"""COCO detection evaluation over a dataset, as pycocotools' ``COCOeval`` computes it (evaluate,
accumulate, summarize), with torchmetrics' input format and result keys.

The rules, each where hand-written evaluation code tends to go quietly wrong:
- boxes are x1, y1, x2, y2 (no "+1"); IoU and areas use pycocotools' double arithmetic on
  (x, y, w, h) with w = x2 - x1; a crowd ground truth's IoU is intersection / detection area;
- per image and per class, the detections are ordered by decreasing score (equal scores: input
  order) and only the first ``max_detections[-1]`` are evaluated; the smaller limits take the
  first ones of those (per image *and* per class, as pycocotools, not per image);
- per IoU threshold t and area range, each detection in turn matches the ground truth of highest
  IoU >= min(t, 1 - 1e-10) among those not yet matched (crowds can match again); a regular ground
  truth beats any ignored one (crowd, or area outside the range), equal IoUs go to the later box;
- a detection matched to an ignored ground truth, or unmatched with its area outside the range,
  is ignored; area ranges are closed: an area of exactly 32^2 counts as small and as medium;
- per class, the detections of all images are pooled and sorted by score (equal scores: image
  order, then rank), precision is made monotone from the right and read at the 101 recall points
  (``searchsorted(recall, r, side='left')``, 0 past the last recall); recall is the final one;
- a class without regular ground truth (in the area range) is undefined (-1) and left out of the
  means; a mean with nothing to average is -1. ``map`` reads the 100-detection limit, so it is -1
  unless 100 is among ``max_detections``; the other precision keys read ``max_detections[-1]``.
"""
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from . import _validate as v

IOU_THRESHOLDS = np.linspace(0.5, 0.95, 10)   # pycocotools' grid (its 0.9 is 0.8999999999999999)
RECALL_THRESHOLDS = np.linspace(0.0, 1.0, 101)
AREA_RANGES = ((0.0, 1e10), (0.0, 32.0**2), (32.0**2, 96.0**2), (96.0**2, 1e10))  # all, small, medium, large
AREA_NAMES = ("all", "small", "medium", "large")
PRED_NAMES = {"boxes": "preds[{i}]['boxes']", "scores": "preds[{i}]['scores']", "labels": "preds[{i}]['labels']"}
GT_NAMES = {"boxes": "targets[{i}]['boxes']", "labels": "targets[{i}]['labels']", "iscrowd": "targets[{i}]['iscrowd']"}


@dataclass
class Dataset:
    """Every image's detections and ground truth, concatenated in image order (boxes float64)."""
    det_boxes: np.ndarray
    det_scores: np.ndarray
    det_class: np.ndarray     # index into classes
    det_image: np.ndarray
    gt_boxes: np.ndarray
    gt_class: np.ndarray
    gt_image: np.ndarray
    gt_crowd: np.ndarray
    classes: np.ndarray       # the labels that occur (in predictions or ground truth), sorted
    n_images: int
    dtype: np.dtype           # of the results: float32 only when every box and score array is


def _image_boxes(name, boxes):
    """Finite corner rows (pycocotools matches a NaN box as if it overlapped, and an infinite
    one falls outside every area range), x2 >= x1 and y2 >= y1 (reversed corners: negative areas)."""
    return v.finite(name, v.boxes(name, boxes))


def _image_labels(name, labels, n, boxes_name):
    labels = np.asarray(labels)
    if labels.dtype.kind not in "iu" and not (labels.size == 0 and labels.dtype.kind == "f"):
        raise ValueError(f"{name} must hold integer class labels, got dtype {labels.dtype}")
    v.shape(name, labels, (n,), f" (one per box of {boxes_name})")
    return labels.astype(np.int64)


def _entry(d, key, name):
    if not isinstance(d, Mapping):
        raise ValueError(f"{name.split('[')[0]}[...] must be a dict per image, got {type(d).__name__}")
    if key not in d:
        raise ValueError(f"{name} is missing")
    return d[key]


def dataset(preds, targets, pred_names=PRED_NAMES, gt_names=GT_NAMES):
    """Validates and concatenates per-image dicts: preds ``boxes (K, 4), scores (K,), labels (K,)``,
    targets ``boxes (G, 4), labels (G,)`` and optional ``iscrowd (G,)`` (0/1 or booleans)."""
    if not isinstance(preds, (list, tuple)) or not isinstance(targets, (list, tuple)):
        raise ValueError(f"preds and targets must be lists with one dict per image, got "
                         f"{type(preds).__name__} and {type(targets).__name__}")
    if len(preds) != len(targets):
        raise ValueError(f"preds and targets must have one entry per image each, got {len(preds)} and {len(targets)}")
    parts = {k: [] for k in ("db", "ds", "dl", "gb", "gl", "gc")}
    floating = []
    for i, (p, t) in enumerate(zip(preds, targets)):
        pn = {k: s.format(i=i) for k, s in pred_names.items()}
        gn = {k: s.format(i=i) for k, s in gt_names.items()}
        boxes = _image_boxes(pn["boxes"], _entry(p, "boxes", pn["boxes"]))
        scores = v.floats(pn["scores"], _entry(p, "scores", pn["scores"]), ndim=1)
        v.shape(pn["scores"], scores, (len(boxes),), f" (one per box of {pn['boxes']} {boxes.shape})")
        if np.isnan(scores).any():
            raise ValueError(f"{pn['scores']} holds NaN")
        labels = _image_labels(pn["labels"], _entry(p, "labels", pn["labels"]), len(boxes), pn["boxes"])
        gt_boxes = _image_boxes(gn["boxes"], _entry(t, "boxes", gn["boxes"]))
        gt_labels = _image_labels(gn["labels"], _entry(t, "labels", gn["labels"]), len(gt_boxes), gn["boxes"])
        crowd = np.asarray(t.get("iscrowd", np.zeros(len(gt_boxes), bool)))
        v.shape(gn["iscrowd"], crowd, (len(gt_boxes),), f" (one per box of {gn['boxes']})")
        if crowd.size and not ((crowd == 0) | (crowd == 1)).all():
            raise ValueError(f"{gn['iscrowd']} must hold 0/1 (or booleans), got values {np.unique(crowd)[:5]}")
        floating += [a for a in (boxes, scores, gt_boxes) if a.dtype.kind == "f"]
        for key, value in zip(parts, (boxes, scores, labels, gt_boxes, gt_labels, crowd.astype(bool))):
            parts[key].append(value)
    cat = {k: np.concatenate(a) if a else np.zeros((0, 4) if k in ("db", "gb") else 0) for k, a in parts.items()}
    classes, index = np.unique(np.concatenate([cat["dl"], cat["gl"]]).astype(np.int64), return_inverse=True)
    n_det = len(cat["dl"])
    counts = lambda key: [len(a) for a in parts[key]]
    return Dataset(
        det_boxes=cat["db"].astype(np.float64), det_scores=cat["ds"].astype(np.float64),
        det_class=index[:n_det], det_image=np.repeat(np.arange(len(preds)), counts("ds")),
        gt_boxes=cat["gb"].astype(np.float64), gt_class=index[n_det:],
        gt_image=np.repeat(np.arange(len(preds)), counts("gl")), gt_crowd=cat["gc"].astype(bool),
        classes=classes, n_images=len(preds),
        dtype=np.result_type(*floating) if floating else np.dtype(np.float64))


def _xywh(boxes):
    """pycocotools' box format: x, y, w = x2 - x1, h = y2 - y1 (torchmetrics converts so)."""
    return boxes[:, 0], boxes[:, 1], boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]


def box_areas(boxes):
    _, _, w, h = _xywh(boxes)
    return w * h


def coco_iou(det_boxes, gt_boxes, crowd):
    """IoU of paired rows as pycocotools' ``bbIou`` computes it in C: overlaps from x + w, zero
    unless both are positive, union = det area + gt area - intersection, or the detection's area
    for a crowd ground truth."""
    dx, dy, dw, dh = _xywh(det_boxes)
    gx, gy, gw, gh = _xywh(gt_boxes)
    w = np.minimum(dw + dx, gw + gx) - np.maximum(dx, gx)
    h = np.minimum(dh + dy, gh + gy) - np.maximum(dy, gy)
    overlap = (w > 0) & (h > 0)
    inter = np.where(overlap, w * h, 0.0)
    det_area = dw * dh
    union = np.where(crowd, det_area, det_area + gw * gh - inter)
    return np.divide(inter, union, out=np.zeros_like(inter), where=overlap)


def top_detections(data, max_det):
    """The detections pycocotools evaluates: per (image, class), by decreasing score (equal
    scores: input order), the first ``max_det``. Returns their indices, grouped by (image, class)
    in rank order, and each one's rank in its group."""
    n_classes = len(data.classes)
    group = data.det_image * n_classes + data.det_class
    order = np.lexsort((np.arange(len(group)), -data.det_scores, group))
    starts = np.searchsorted(group[order], group[order], side="left")
    rank = np.arange(len(order)) - starts
    keep = rank < max_det
    return order[keep], rank[keep]


def candidate_pairs(data, dets, min_threshold):
    """(detection position in ``dets``, ground-truth index, IoU) for every pair of one image and
    class whose IoU is at least ``min_threshold`` (no other pair can ever match)."""
    n_classes = len(data.classes)
    gt_group = data.gt_image * n_classes + data.gt_class
    gt_order = np.argsort(gt_group, kind="stable")
    counts = np.bincount(gt_group, minlength=data.n_images * n_classes)
    starts = np.cumsum(counts) - counts
    det_group = data.det_image[dets] * n_classes + data.det_class[dets]
    n = counts[det_group] if len(dets) else np.zeros(0, np.int64)
    p_det = np.repeat(np.arange(len(dets)), n)
    offsets = np.arange(len(p_det)) - np.repeat(np.cumsum(n) - n, n)
    p_gt = gt_order[np.repeat(starts[det_group], n) + offsets]
    iou = coco_iou(data.det_boxes[dets][p_det], data.gt_boxes[p_gt], data.gt_crowd[p_gt])
    keep = iou >= min_threshold
    return p_det[keep], p_gt[keep], iou[keep]


def regular_ground_truth(data, area_ranges=AREA_RANGES):
    """(A, G): which ground truth counts in each area range (not a crowd, area inside, closed)."""
    area = box_areas(data.gt_boxes)
    inside = np.array([(area >= lo) & (area <= hi) for lo, hi in area_ranges]).reshape(len(area_ranges), -1)
    return inside & ~data.gt_crowd


def outside_areas(data, dets, area_ranges=AREA_RANGES):
    """(A, D): which evaluated detections lie outside each area range (ignored when unmatched)."""
    area = box_areas(data.det_boxes[dets])
    return np.array([(area < lo) | (area > hi) for lo, hi in area_ranges]).reshape(len(area_ranges), -1)


def match(data, dets, rank, pairs, regular, thresholds):
    """Greedy matching for every area range and threshold at once, rank by rank: the detections
    of one rank belong to different (image, class) groups, so they never compete. Returns
    ``matched`` and ``to_ignored`` (A, T, D): matched at all, and matched to an ignored ground truth."""
    p_det, p_gt, iou = pairs
    limits = np.minimum(np.asarray(thresholds, np.float64), 1 - 1e-10)[:, None]
    n_areas, n_thr = len(regular), len(limits)
    matched = np.zeros((n_areas, n_thr, len(dets)), bool)
    to_ignored = np.zeros_like(matched)
    taken = np.zeros((n_areas, n_thr, len(data.gt_boxes)), bool)
    crowd = data.gt_crowd[p_gt]
    pair_rank = rank[p_det]
    for a in range(n_areas):
        reg = regular[a][p_gt]
        # within a detection, the last valid pair is the best: regular first, then IoU, then later box
        order = np.lexsort((p_gt, iou, reg, p_det, pair_rank))
        d_s, g_s, iou_s, reg_s, crowd_s = p_det[order], p_gt[order], iou[order], reg[order], crowd[order]
        bounds = np.searchsorted(pair_rank[order], np.arange(pair_rank.max(initial=-1) + 2))
        for lo, hi in zip(bounds[:-1], bounds[1:]):
            if lo == hi:
                continue
            d, g = d_s[lo:hi], g_s[lo:hi]
            firsts = np.flatnonzero(np.r_[True, d[1:] != d[:-1]])
            valid = (iou_s[lo:hi] >= limits) & (crowd_s[lo:hi] | ~taken[a][:, g])
            best = np.maximum.reduceat(np.where(valid, np.arange(hi - lo), -1), firsts, axis=1)
            t, k = np.nonzero(best >= 0)
            pick = best[t, k]
            taken[a, t, g[pick]] = True
            matched[a, t, d[firsts[k]]] = True
            to_ignored[a, t, d[firsts[k]]] = ~reg_s[lo:hi][pick]
    return matched, to_ignored


def curve(tp, fp, n_gt, rec_thresholds):
    """Precision at the recall thresholds (..., R) and the final recall (...) of pooled,
    score-sorted true/false positive flags (..., n) against n_gt regular ground truths (broadcast
    against the leading axes), as ``COCOeval.accumulate``."""
    tps, fps = np.cumsum(tp, axis=-1, dtype=np.float64), np.cumsum(fp, axis=-1, dtype=np.float64)
    n = tp.shape[-1]
    rc = tps / n_gt[..., None]
    pr = tps / (fps + tps + np.spacing(1))
    pr = np.flip(np.maximum.accumulate(np.flip(pr, -1), axis=-1), -1)
    if n == 0:
        return np.zeros(tp.shape[:-1] + (len(rec_thresholds),)), np.zeros(tp.shape[:-1])
    if rc.size * len(rec_thresholds) <= 1 << 20:  # searchsorted(side='left') row by row, all rows at once
        at = (rc[..., None, :] < np.asarray(rec_thresholds)[:, None]).sum(axis=-1)
    else:
        at = np.stack([np.searchsorted(rc[i], rec_thresholds, side="left") for i in np.ndindex(rc.shape[:-1])])
        at = at.reshape(rc.shape[:-1] + (len(rec_thresholds),))
    return np.where(at < n, np.take_along_axis(pr, np.minimum(at, n - 1), axis=-1), 0.0), rc[..., -1]


def accumulate(data, dets, rank, matched, to_ignored, outside, regular, max_dets,
               rec_thresholds=RECALL_THRESHOLDS):
    """precision (T, R, K, A, M) and recall (T, K, A, M), -1 where a class has no regular ground
    truth, as ``COCOeval.accumulate``."""
    n_areas, n_thr = matched.shape[:2]
    n_classes = len(data.classes)
    precision = -np.ones((n_thr, len(rec_thresholds), n_classes, n_areas, len(max_dets)))
    recall = -np.ones((n_thr, n_classes, n_areas, len(max_dets)))
    n_gt = np.array([np.bincount(data.gt_class[r], minlength=n_classes) for r in regular]).reshape(n_areas, n_classes)
    cls = data.det_class[dets]
    order = np.lexsort((rank, data.det_image[dets], -data.det_scores[dets], cls))
    bounds = np.searchsorted(cls[order], np.arange(n_classes + 1))
    hits = matched[:, :, order]  # pooled per class, by score: each class a slice
    ignored = to_ignored[:, :, order] | (~hits & outside[:, None, order])
    tps, fps, ranks = hits & ~ignored, ~hits & ~ignored, rank[order]
    for k in range(n_classes):
        areas = np.flatnonzero(n_gt[:, k])
        if not len(areas):
            continue
        pooled = slice(bounds[k], bounds[k + 1])
        tp, fp = tps[areas, :, pooled], fps[areas, :, pooled]                # (A', T, n)
        for m, limit in enumerate(max_dets):
            first = ranks[pooled] < limit
            p, r = curve(tp[..., first], fp[..., first], n_gt[areas, k][:, None], rec_thresholds)
            precision[:, :, k, areas, m] = p.transpose(1, 2, 0)
            recall[:, k, areas, m] = r.T
    return precision, recall


def evaluate(data, thresholds, max_dets, rec_thresholds=RECALL_THRESHOLDS, area_ranges=AREA_RANGES):
    """COCOeval.evaluate and accumulate: precision (T, R, K, A, M) and recall (T, K, A, M)."""
    dets, rank = top_detections(data, max_dets[-1])
    regular = regular_ground_truth(data, area_ranges)
    pairs = candidate_pairs(data, dets, min(np.min(thresholds), 1 - 1e-10))
    matched, to_ignored = match(data, dets, rank, pairs, regular, thresholds)
    return accumulate(data, dets, rank, matched, to_ignored, outside_areas(data, dets, area_ranges), regular,
                      max_dets, rec_thresholds)


def _mean(s):
    s = s[s > -1]
    return float(np.mean(s)) if s.size else -1.0


def summarize(precision, recall, thresholds, max_dets, classes, class_metrics, dtype):
    """COCOeval.summarize's twelve numbers under torchmetrics' keys (and the per-class ones)."""
    thresholds = np.asarray(thresholds, np.float64)
    at_100 = [i for i, m in enumerate(max_dets) if m == 100]
    last = [i for i, m in enumerate(max_dets) if m == max_dets[2]]
    at = lambda t: np.flatnonzero(thresholds == t)

    def ap(t=None, area=0, m=last):
        s = precision if t is None else precision[at(t)]
        return _mean(s[:, :, :, area][..., m])

    def ar(area=0, m=last):
        return _mean(recall[:, :, area][..., m])

    out = {"map": ap(m=at_100), "map_50": ap(0.5), "map_75": ap(0.75),
           "map_small": ap(area=1), "map_medium": ap(area=2), "map_large": ap(area=3)}
    for i, limit in enumerate(max_dets):
        out[f"mar_{limit}"] = ar(m=[j for j, m in enumerate(max_dets) if m == limit])
    out.update(mar_small=ar(1), mar_medium=ar(2), mar_large=ar(3))
    out = {k: dtype.type(x) for k, x in out.items()}
    if class_metrics:
        k = range(len(classes))
        out["map_per_class"] = np.array([_mean(precision[:, :, i, 0][..., at_100]) for i in k], dtype)
        out[f"mar_{max_dets[2]}_per_class"] = np.array([_mean(recall[:, i, 0][..., last]) for i in k], dtype)
        out["classes"] = classes.astype(np.int64)
    return out


def _thresholds(iou_thresholds):
    if iou_thresholds is None:
        return IOU_THRESHOLDS
    t = v.floats("iou_thresholds", iou_thresholds, ndim=1)
    if t.size == 0 or not ((t >= 0) & (t <= 1)).all():
        raise ValueError(f"iou_thresholds must be a non-empty list of values in [0, 1], got {iou_thresholds!r}")
    return t.astype(np.float64)


def _max_detections(max_detections):
    if not isinstance(max_detections, (list, tuple, np.ndarray)) or len(max_detections) != 3:
        raise ValueError(f"max_detections must be three positive whole numbers, got {max_detections!r}")
    return sorted(v.whole(f"max_detections[{i}]", m, minimum=1) for i, m in enumerate(max_detections))


def coco_map(preds, targets, iou_thresholds=None, max_detections=(1, 10, 100), class_metrics=False):
    """COCO's detection summary over a dataset, as ``pycocotools.COCOeval`` (see the module's rules).

    preds: a list with one dict per image, ``boxes (K, 4)`` x1, y1, x2, y2, ``scores (K,)``,
    ``labels (K,)`` ints; targets: the same length, ``boxes (G, 4)``, ``labels (G,)`` and optional
    ``iscrowd (G,)`` (0/1). Boxes are finite with x2 >= x1 and y2 >= y1, scores not NaN (inf is
    the highest score). iou_thresholds: a list of values in [0, 1], default 0.50:0.05:0.95
    (pycocotools' float64 grid); max_detections: three whole numbers >= 1, sorted here
    (torchmetrics sorts them too). Returns a dict with
    torchmetrics' keys: map, map_50, map_75, map_small, map_medium, map_large, mar_<m> for each
    max_detections value m, mar_small, mar_medium, mar_large; with class_metrics also
    map_per_class (K,), mar_<last>_per_class (K,) and classes (K,), over every label that occurs.
    Undefined values are -1. Values are float32 when every box and score array is float32, float16
    when every one is float16 (computed in float64 all the same).
    torch: ``torchmetrics.detection.MeanAveragePrecision(backend='pycocotools')`` with the same
    thresholds in float64 (its own default grids are float32).
    """
    thresholds = _thresholds(iou_thresholds)
    max_dets = _max_detections(max_detections)
    class_metrics = v.flag("class_metrics", class_metrics)
    data = dataset(preds, targets)
    precision, recall = evaluate(data, thresholds, max_dets)
    return summarize(precision, recall, thresholds, max_dets, data.classes, class_metrics, data.dtype)


def dataset_map(pred_boxes, pred_scores, pred_labels, gt_boxes, gt_labels, iou_threshold):
    """``mean_average_precision`` on lists of per-image arrays: coco_map's ``map`` at one threshold."""
    lists = dict(pred_boxes=pred_boxes, pred_scores=pred_scores, pred_labels=pred_labels,
                 gt_boxes=gt_boxes, gt_labels=gt_labels)
    for name, value in lists.items():
        if not isinstance(value, (list, tuple)) or len(value) != len(pred_boxes):
            raise ValueError(f"{name} must be a list with one array per image like pred_boxes "
                             f"({len(pred_boxes)} images), got {type(value).__name__}"
                             + (f" of {len(value)}" if isinstance(value, (list, tuple)) else ""))
    threshold = np.float64(v.number("iou_threshold", iou_threshold, 0, 1))
    preds = [dict(boxes=b, scores=s, labels=lab) for b, s, lab in zip(pred_boxes, pred_scores, pred_labels)]
    targets = [dict(boxes=b, labels=lab) for b, lab in zip(gt_boxes, gt_labels)]
    data = dataset(preds, targets, {k: f"{n}[{{i}}]" for k, n in (("boxes", "pred_boxes"), ("scores", "pred_scores"),
                                                                   ("labels", "pred_labels"))},
                   {k: f"{n}[{{i}}]" for k, n in (("boxes", "gt_boxes"), ("labels", "gt_labels"),
                                                  ("iscrowd", "iscrowd"))})
    precision, recall = evaluate(data, [threshold], [1, 10, 100])
    return summarize(precision, recall, [threshold], [1, 10, 100], data.classes, False, data.dtype)["map"]
