"""Rows for IoU, NMS, average precision and mAP.

Random boxes have integer corners in [0, 256) (as pixel boxes do) and IoU thresholds are multiples
of 1/16: every IoU is then a ratio of exactly represented integers, and either it equals the
threshold (both dtypes agree, equal is kept) or it lies further from it than any rounding, so the
keep/drop decisions of every correct implementation, float32 or float64, agree with the oracle.
"""
import numpy as np

from ..cases import generator
from . import forward
from ._values import Arrays


def random_boxes(c, n, span=256, max_side=64):
    x1, y1 = c.rng.integers(0, span, n), c.rng.integers(0, span, n)
    w, h = c.rng.integers(1, max_side, n), c.rng.integers(1, max_side, n)
    return np.stack([x1, y1, x1 + w, y1 + h], axis=1).astype(np.float64)


def clustered_boxes(c, n, clusters):
    """Boxes jittered around a few centres, so that many overlap well beyond any threshold; the
    image grows with the number of clusters (about 10 clusters per 100 x 100 pixels)."""
    centres = random_boxes(c, clusters, span=max(192, int(32 * np.sqrt(clusters))), max_side=64)
    which = c.rng.integers(0, clusters, n)
    jitter = c.rng.integers(-4, 5, (n, 4))
    boxes = centres[which] + jitter
    boxes[:, 2:] = np.maximum(boxes[:, 2:], boxes[:, :2] + 1)
    return boxes


@generator(N=(0, 10), M=(0, 10), real=(0, 1), incl=(0, 1), edges={
    "empty_first": {"N": 0}, "empty_second": {"M": 0}, "disjoint_both_axes": {}, "touching": {"incl": 0},
    "touching_inclusive": {"incl": 1}, "zero_area": {}, "identical": {}, "contained": {}})
def box_pairs(c):
    """real=1 draws real-valued corners (IoU values only; no threshold involved)."""
    if c.real:
        b1, b2 = (c.uniform(0, 50, n, 4, cast=False) for n in (c.N, c.M))
        b1[:, 2:] += b1[:, :2]
        b2[:, 2:] += b2[:, :2]
    else:
        b1, b2 = random_boxes(c, c.N, span=64, max_side=32), random_boxes(c, c.M, span=64, max_side=32)
    if c.edge == "disjoint_both_axes":  # overlaps negative on both axes: their product is positive
        b1, b2 = np.array([[0, 0, 2, 2.0]]), np.array([[5, 5, 7, 7], [10, 0, 12, 2], [0, 10, 2, 12], [3, 3, 9, 9.0]])
    elif c.edge in ("touching", "touching_inclusive"):
        b1, b2 = np.array([[0, 0, 2, 2.0]]), np.array([[2, 0, 4, 2], [0, 2, 2, 4], [2, 2, 5, 5], [1, 1, 3, 3.0]])
    elif c.edge == "zero_area":
        b1 = np.array([[1, 1, 1, 5], [0, 0, 4, 4], [2, 2, 2, 2], [7, 7, 7, 7.0]])
        b2 = np.array([[1, 1, 1, 5], [0, 0, 4, 0], [2, 2, 2, 2], [0, 0, 3, 3], [9, 9, 9, 9.0]])
    elif c.edge == "identical":
        b2 = b1.copy()
    elif c.edge == "contained":
        b1, b2 = np.array([[0, 0, 10, 10.0]]), np.array([[2, 2, 4, 4], [0, 0, 10, 10], [0, 0, 5, 10.0]])
    return dict(boxes1=c.cast(b1), boxes2=c.cast(b2), pixel_inclusive=bool(c.incl)), {}


def _nms_case(c):
    """Clustered boxes, scores, a threshold k / 16 and the edge cases shared by both NMS rows."""
    boxes = clustered_boxes(c, c.n, c.clusters)
    scores = c.rng.uniform(0, 1, c.n)
    threshold = c.k / 16
    if c.ties or c.edge == "tied_scores":
        scores = np.round(scores * 3) / 3
    if c.edge == "at_threshold":  # IoUs exactly 0.5 (kept at threshold 0.5) and 0.5625 (dropped)
        boxes = np.array([[0, 0, 4, 1], [0, 0, 2, 1], [20, 0, 36, 1], [20, 0, 29, 1], [50, 50, 60, 60.0]])
        if c.incl:
            boxes[:, 2:] -= 1
        scores, threshold = np.array([0.9, 0.8, 0.7, 0.6, 0.5]), 0.5
    elif c.edge == "identical_boxes":
        boxes = np.repeat(boxes[:1], c.n, axis=0)
    elif c.edge == "zero_area":
        boxes[::2, 2] = boxes[::2, 0]
    return boxes, scores, threshold


NMS_SIZES = dict(n=(0, 80), clusters=(1, 6), ties=(0, 1), k=(4, 12), incl=(0, 1))
NMS_EDGES = {"no_boxes": {"n": 0}, "one_box": {"n": 1}, "many_boxes": {"n": 10_000, "clusters": 500},
             "at_threshold": {"incl": 0}, "at_threshold_inclusive": {"incl": 1}, "tied_scores": {"clusters": 2},
             "identical_boxes": {"n": 6}, "zero_area": {"n": 12, "clusters": 1}}


@generator(**NMS_SIZES, edges=NMS_EDGES)
def nms_boxes(c):
    if c.edge == "at_threshold_inclusive":
        c.edge = "at_threshold"
    boxes, scores, threshold = _nms_case(c)
    return dict(boxes=c.cast(boxes), scores=c.cast(scores), iou_threshold=threshold,
                pixel_inclusive=bool(c.incl)), {}


@generator(**{**NMS_SIZES, "incl": (1, 1)}, edges={k: v for k, v in NMS_EDGES.items() if k != "at_threshold"})
def dets(c):
    """Fast R-CNN's (N, 5) rows; always the "+1" convention."""
    if c.edge == "at_threshold_inclusive":
        c.edge = "at_threshold"
    boxes, scores, threshold = _nms_case(c)
    return dict(dets=c.cast(np.concatenate([boxes, scores[:, None]], axis=1).reshape(-1, 5)),
                thresh=threshold), {}


@generator(n=(1, 60), pos=(0, 4), ties=(0, 1), edges={
    "no_positives": {}, "all_positives": {}, "single": {"n": 1}, "tied_scores": {"ties": 1, "n": 40},
    "perfect_ranking": {}, "worst_ranking": {}})
def ranked(c):
    """Scores and 0/1 labels; pos sets the share of positives (0.1 .. 0.9)."""
    scores = c.rng.standard_normal(c.n)
    if c.ties:
        scores = np.round(scores * 2) / 2
    labels = (c.rng.random(c.n) < (0.1, 0.3, 0.5, 0.7, 0.9)[c.pos]).astype(np.int64)
    if c.edge == "no_positives":
        labels[:] = 0
    elif c.edge == "all_positives":
        labels[:] = 1
    elif c.edge in ("perfect_ranking", "worst_ranking"):
        labels = (scores > np.median(scores)).astype(np.int64)
        if c.edge == "worst_ranking":
            labels = 1 - labels
    return dict(scores=c.cast(scores), labels=labels), {}


@generator(classes=(1, 4), gt=(0, 5), fp=(0, 10), k=(4, 12), half=(0, 1), edges={
    "no_ground_truth": {"gt": 0}, "no_predictions": {"fp": 0}, "over_max_detections": {"classes": 1, "gt": 5},
    "at_threshold": {}, "duplicate_detections": {"gt": 3}, "tied_scores": {},
    "class_only_in_predictions": {"classes": 2, "gt": 2, "fp": 3}, "nothing": {"gt": 0, "fp": 0},
    "dataset": {"classes": 2, "gt": 4, "fp": 6}, "dataset_tied_scores": {"classes": 3, "gt": 3, "fp": 4}})
def detections(c):
    """gt ground-truth boxes per class; each gets a detection jittered from it (a hit or a miss
    depending on the threshold), plus fp random detections; half=1 uses the threshold 0.5."""
    gt_boxes = random_boxes(c, c.gt * c.classes, span=200, max_side=48)
    gt_labels = np.repeat(np.arange(c.classes), c.gt)
    hits = gt_boxes + c.rng.integers(-6, 7, gt_boxes.shape)
    hits[:, 2:] = np.maximum(hits[:, 2:], hits[:, :2] + 1)
    false = random_boxes(c, c.fp, span=200, max_side=48)
    pred_boxes = np.concatenate([hits, false])
    pred_labels = np.concatenate([gt_labels, c.rng.integers(0, c.classes, c.fp)])
    threshold = 0.5 if c.half else c.k / 16
    if c.edge == "no_predictions" or c.edge == "nothing":
        pred_boxes, pred_labels = pred_boxes[:0], pred_labels[:0]
    elif c.edge == "over_max_detections":
        pred_boxes = np.concatenate([pred_boxes, random_boxes(c, 150, span=200, max_side=48)])
        pred_labels = np.zeros(len(pred_boxes), np.int64)
    elif c.edge == "at_threshold":  # IoU exactly 0.5 with its ground truth: a match at threshold 0.5
        gt_boxes, gt_labels = np.array([[0, 0, 4, 4], [10, 10, 20, 20.0]]), np.array([0, 0])
        pred_boxes, pred_labels, threshold = np.array([[0, 0, 2, 4], [10, 10, 20, 20.0]]), np.array([0, 0]), 0.5
    elif c.edge == "duplicate_detections":
        pred_boxes, pred_labels = np.concatenate([pred_boxes, hits]), np.concatenate([pred_labels, gt_labels])
    elif c.edge == "class_only_in_predictions":
        pred_labels = np.concatenate([pred_labels[:len(gt_labels)], np.full(c.fp, c.classes)])
    if c.edge == "no_ground_truth":
        gt_boxes, gt_labels = gt_boxes[:0], gt_labels[:0]
    scores = c.rng.uniform(0, 1, len(pred_boxes))
    if c.edge in ("tied_scores", "dataset_tied_scores"):
        scores = np.round(scores * 2) / 2
    if c.edge and c.edge.startswith("dataset"):  # the same boxes spread over 4 images, given as lists
        return _as_dataset(c, pred_boxes, scores, pred_labels, gt_boxes, gt_labels, threshold), {}
    return dict(pred_boxes=c.cast(pred_boxes.reshape(-1, 4)), pred_scores=c.cast(scores),
                pred_labels=pred_labels.astype(np.int64), gt_boxes=c.cast(gt_boxes.reshape(-1, 4)),
                gt_labels=gt_labels.astype(np.int64), iou_threshold=threshold), {}


def _as_dataset(c, pred_boxes, scores, pred_labels, gt_boxes, gt_labels, threshold, images=4):
    """mean_average_precision's list form: each ground-truth box in a random image, with its
    jittered detection; false positives in random images (image 0 none: an empty image)."""
    gt_image = c.rng.integers(1, images, len(gt_boxes))
    pred_image = np.concatenate([gt_image, c.rng.integers(1, images, len(pred_boxes) - len(gt_boxes))])
    split = lambda a, where: [a[where == i] for i in range(images)]
    return dict(pred_boxes=Arrays(c.cast(b.reshape(-1, 4)) for b in split(pred_boxes, pred_image)),
                pred_scores=Arrays(c.cast(s) for s in split(scores, pred_image)),
                pred_labels=Arrays(lab.astype(np.int64) for lab in split(pred_labels, pred_image)),
                gt_boxes=Arrays(c.cast(b.reshape(-1, 4)) for b in split(gt_boxes, gt_image)),
                gt_labels=Arrays(lab.astype(np.int64) for lab in split(gt_labels, gt_image)), iou_threshold=threshold)


ROWS = [
    forward("box_iou(boxes1, boxes2, pixel_inclusive) -> iou", box_pairs, "detection:box_iou"),
    forward("nms(boxes, scores, iou_threshold, pixel_inclusive) -> keep", nms_boxes, "detection:nms"),
    forward("py_cpu_nms(dets, thresh) -> keep", dets, "detection:py_cpu_nms"),
    forward("average_precision(scores, labels) -> ap", ranked, "detection:average_precision"),
    forward("mean_average_precision(pred_boxes, pred_scores, pred_labels, gt_boxes, gt_labels, iou_threshold)"
            " -> map", detections, "detection:mean_average_precision"),
]
