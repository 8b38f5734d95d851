"""Rows for GIoU / DIoU / CIoU, the GIoU and focal losses, batched NMS and COCO evaluation.

Boxes with integer corners keep every IoU a ratio of exact integers (see registry.detection), so
keep/drop and match decisions never hinge on rounding; the losses draw real-valued corners
instead, so that no coordinate of a prediction ties with its target's (max and min have no
derivative there, and torch's autograd splits it in halves where a hand-written backward picks a
side). COCO scenes are small datasets built to reach every rule of ``refimpl.coco``.
"""
import copy
from collections.abc import Mapping

import numpy as np

from ..calls import Malformed, Run, Signature, describe, to_array, unchanged
from ..cases import generator
from . import Row, forward
from ._values import Images
from .detection import clustered_boxes, random_boxes


@generator(N=(0, 8), M=(0, 8), real=(0, 1), edges={
    "empty_first": {"N": 0}, "empty_second": {"M": 0}, "disjoint_both_axes": {}, "contained": {},
    "identical": {"N": 3}, "zero_area": {}, "tiny_boxes": {"real": 1}, "far_offset": {"real": 1}})
def box_sets(c):
    """Boxes with positive width and height (real=1: real-valued corners); zero_area pairs boxes of
    zero width or height with ordinary ones only (two zero-area boxes have no IoU: 0 / 0);
    tiny_boxes (sides ~1e-3) make torchvision's eps of 1e-7 visible; far_offset puts small boxes
    near 1e4."""
    if c.real:
        b1, b2 = (c.rng.uniform(0, 50, (n, 4)) for n in (c.N, c.M))
        b1[:, 2:] += b1[:, :2] + 0.5
        b2[:, 2:] += b2[:, :2] + 0.5
    else:
        b1, b2 = random_boxes(c, c.N, span=64, max_side=32), random_boxes(c, c.M, span=64, max_side=32)
    if c.edge == "disjoint_both_axes":
        b1, b2 = np.array([[0, 0, 2, 2.0]]), np.array([[5, 5, 7, 7], [10, 0, 12, 2], [0, 10, 2, 12], [3, 3, 9, 9.0]])
    elif c.edge == "contained":
        b1, b2 = np.array([[0, 0, 10, 10.0], [2, 2, 4, 4]]), np.array([[2, 2, 4, 4], [0, 0, 10, 10], [0, 0, 5, 10.0]])
    elif c.edge == "identical":
        b2 = b1.copy()
    elif c.edge == "zero_area":
        b1 = np.array([[1, 1, 1, 5], [0, 0, 4, 0], [3, 3, 6, 3], [2, 1, 2, 2.0]])
        b2 = np.array([[0, 0, 4, 4], [1, 1, 3, 6], [5, 5, 9, 7.0]])
    elif c.edge == "tiny_boxes":
        b1, b2 = b1 * 1e-4, b2 * 1e-4
    elif c.edge == "far_offset":
        b1, b2 = b1 / 10 + 1e4, b2 / 10 + 1e4
    return dict(boxes1=c.cast(b1.reshape(-1, 4)), boxes2=c.cast(b2.reshape(-1, 4))), {}


def _real_boxes(c, n, span=40.0):
    xy = c.rng.uniform(0, span, (n, 2))
    return np.concatenate([xy, xy + c.rng.uniform(1, span / 2, (n, 2))], axis=1)


@generator(N=(1, 12), near=(0, 1), edges={
    "one_pair": {"N": 1}, "disjoint": {}, "contained": {}, "nearly_identical": {}, "tiny_boxes": {},
    "mixed": {"N": 12}})
def box_pairs(c):
    """Real-valued pred and target boxes; near=1 jitters each target into its prediction (mostly
    overlapping pairs), else both are independent (many disjoint ones)."""
    target = _real_boxes(c, c.N)
    pred = target + c.rng.uniform(-4, 4, target.shape) if c.near else _real_boxes(c, c.N)
    pred[:, 2:] = np.maximum(pred[:, 2:], pred[:, :2] + 0.25)
    if c.edge == "disjoint":
        pred = target + np.array([1, 1, 1, 1]) * (target[:, 2:3] - target[:, 0:1] + c.rng.uniform(1, 5, (c.N, 1)))
    elif c.edge == "contained":
        w = target[:, 2:] - target[:, :2]
        pred = np.concatenate([target[:, :2] + w * 0.2, target[:, 2:] - w * c.rng.uniform(0.1, 0.3, w.shape)], axis=1)
    elif c.edge == "nearly_identical":
        pred = target + c.rng.uniform(-1e-3, 1e-3, target.shape)
    elif c.edge == "tiny_boxes":
        pred, target = pred * 1e-4, target * 1e-4
    elif c.edge == "mixed":
        pred[::2] = target[::2] + c.rng.uniform(-2, 2, target[::2].shape)
        pred[:, 2:] = np.maximum(pred[:, 2:], pred[:, :2] + 0.25)
    return dict(pred=c.cast(pred), target=c.cast(target)), {}


ALPHAS, GAMMAS = (0.25, 0.5, 0.0, 1.0, -1.0), (2.0, 0.0, 1.0, 1.5, 3.0)
FOCAL_SHAPES = ((7,), (4, 3), (2, 3, 5), (1,))


@generator(shape=(0, 3), alpha=(0, 4), gamma=(0, 4), mag=(0, 2), edges={
    "defaults": {"alpha": 0, "gamma": 0}, "no_weighting": {"alpha": 4}, "plain_bce": {"gamma": 1},
    "all_positive": {}, "all_negative": {}, "soft_targets": {}, "large_logits": {"mag": 2},
    "huge_logits": {}, "one_element": {"shape": 3}})
def focal(c):
    """Logits of scale 1, 4 or 15 (mag), 0/1 targets, alpha and gamma from ALPHAS and GAMMAS;
    huge_logits reaches |x| ~ 100, where log(sigmoid(x)) underflows in float32."""
    shape = FOCAL_SHAPES[c.shape]
    x = c.raw(*shape) * (1.0, 4.0, 15.0)[c.mag]
    targets = (c.rng.random(shape) < 0.4).astype(np.float64)
    if c.edge == "all_positive":
        targets[...] = 1
    elif c.edge == "all_negative":
        targets[...] = 0
    elif c.edge == "soft_targets":
        targets = c.rng.uniform(0, 1, shape)
    elif c.edge == "huge_logits":
        x = np.sign(x) * c.rng.uniform(50, 120, shape)
    return dict(x=c.cast(x), targets=c.cast(targets), alpha=ALPHAS[c.alpha], gamma=GAMMAS[c.gamma]), {}


@generator(n=(0, 60), clusters=(1, 5), classes=(1, 4), ties=(0, 1), k=(4, 12), edges={
    "no_boxes": {"n": 0}, "one_box": {"n": 1}, "one_class": {"classes": 1}, "own_classes": {"n": 20},
    "negative_coordinates": {"n": 30, "clusters": 2, "classes": 3}, "tied_scores": {"ties": 1}, "sparse_ids": {},
    "identical_boxes": {"n": 8}, "at_threshold": {}, "many_boxes": {"n": 60}})
def batched(c):
    """Clustered integer boxes, scores, category ids in [0, classes) and a threshold k / 16;
    own_classes gives every box its own id, sparse_ids uses negative and large ids, many_boxes
    (3,000 boxes) takes torchvision past its 1,000-box offset path to its per-class one."""
    n = 3000 if c.edge == "many_boxes" else c.n
    boxes = clustered_boxes(c, n, 150 if c.edge == "many_boxes" else c.clusters)
    scores = c.rng.uniform(0, 1, n)
    idxs = c.rng.integers(0, c.classes, n)
    threshold = c.k / 16
    if c.ties or c.edge == "tied_scores":
        scores = np.round(scores * 3) / 3
    if c.edge == "own_classes":
        idxs = np.arange(n)
    elif c.edge == "sparse_ids":
        idxs = np.array([-7, 0, 3, 1000])[c.rng.integers(0, 4, n)]
    elif c.edge == "negative_coordinates":  # large boxes reaching past the image's left and top edges
        corner = c.rng.integers(-110, -90, (n, 2))
        boxes, threshold = np.concatenate([corner, corner + c.rng.integers(95, 105, (n, 2))], axis=1), 0.5
    elif c.edge == "identical_boxes":
        boxes = np.repeat(boxes[:1], n, axis=0)
    elif c.edge == "at_threshold":  # IoU exactly 0.5 within a class; the same boxes in two classes
        boxes = np.array([[0, 0, 4, 1], [0, 0, 2, 1], [0, 0, 2, 1], [20, 0, 36, 1], [20, 0, 29, 1.0]])
        scores, idxs, threshold = np.array([0.9, 0.8, 0.85, 0.7, 0.6]), np.array([0, 0, 1, 0, 0]), 0.5
    return dict(boxes=c.cast(boxes.reshape(-1, 4)), scores=c.cast(scores), idxs=idxs.astype(np.int64),
                iou_threshold=threshold), {}


# ---- COCO scenes ------------------------------------------------------------------------------

SIDES = ((4, 31), (32, 95), (96, 220))           # small, medium and large boxes
BOUNDARY_SIDES = ((32, 32), (16, 64), (96, 96), (48, 192), (31, 33), (95, 97))  # areas 32^2, 96^2 and next to them
THRESHOLDS = (None, [0.5], [0.3, 0.55, 0.75], [0.75, 0.85, 0.95])
MAX_DETECTIONS = ((1, 10, 100), (1, 3, 100), (1, 2, 4))


def _scene_boxes(c, n, exact_area=0.0):
    """Integer boxes in a 640 x 480 image, sides from every COCO size range; exact_area is the
    share whose areas lie on or next to the size ranges' bounds."""
    u = c.rng.random((7, n))
    lo, hi = np.array(SIDES).T
    size = (u[0] * 3).astype(np.int64)
    w, h = lo[size] + (u[1] * (hi - lo)[size]).astype(np.int64), lo[size] + (u[2] * (hi - lo)[size]).astype(np.int64)
    bound = np.array(BOUNDARY_SIDES)[(u[3] * len(BOUNDARY_SIDES)).astype(np.int64)].reshape(-1, 2)
    exact = u[4] < exact_area
    w, h = np.where(exact, bound[:, 0], w), np.where(exact, bound[:, 1], h)
    x = (u[5] * (640 - w.clip(max=600))).astype(np.int64)
    y = (u[6] * (480 - h.clip(max=440))).astype(np.int64)
    return np.stack([x, y, x + w, y + h], axis=1).astype(np.float64).reshape(-1, 4)


def _jittered(c, boxes, spread=0.12):
    """Detections near the ground truth: each corner moved by up to ``spread`` of the box's size."""
    wh = boxes[:, 2:] - boxes[:, :2]
    jitter = np.round(c.rng.uniform(-spread, spread, boxes.shape) * np.concatenate([wh, wh], axis=1))
    out = boxes + jitter
    out[:, 2:] = np.maximum(out[:, 2:], out[:, :2] + 1)
    return out


def _scene_image(c, n_gt, n_fp, classes, crowd, exact_area):
    gt = _scene_boxes(c, n_gt, exact_area)
    gt_labels = c.rng.integers(0, classes, n_gt)
    iscrowd = (c.rng.random(n_gt) < 0.25) & bool(crowd)
    found = c.rng.random(n_gt) < 0.8
    hits = _jittered(c, gt[found])
    labels = gt_labels[found].copy()
    relabel = c.rng.random(len(labels)) < 0.1
    labels[relabel] = c.rng.integers(0, classes + 1, int(relabel.sum()))
    twice = c.rng.random(len(hits)) < 0.2  # duplicates: a second detection of the same object
    exact_copy = (c.rng.random(len(hits)) < exact_area)
    hits[exact_copy] = gt[found][exact_copy]  # detections with the boundary areas themselves
    false = _scene_boxes(c, n_fp)
    boxes = np.concatenate([hits, _jittered(c, hits[twice]), false])
    # label `classes` has detections only
    labels = np.concatenate([labels, labels[twice], c.rng.integers(0, classes + 1, n_fp)])
    return boxes, labels, gt, gt_labels, iscrowd


@generator(images=(1, 6), classes=(1, 3), gt=(0, 5), fp=(0, 6), crowd=(0, 1), ties=(0, 1), thr=(0, 3),
           maxdet=(0, 2), per_class=(0, 1), edges={
               "no_images": {"images": 1}, "empty_images": {"images": 6}, "one_image": {"images": 1},
               "no_detections": {"fp": 0}, "no_ground_truth": {"gt": 0}, "perfect": {"fp": 0, "crowd": 0},
               "crowds": {"crowd": 1, "gt": 5}, "area_bounds": {"thr": 0}, "tied_scores": {"ties": 1},
               "at_thresholds": {"thr": 0, "maxdet": 0}, "recall_on_grid": {"thr": 1, "maxdet": 0},
               "over_max_detections": {"maxdet": 0, "images": 2, "classes": 3},
               "small_max_detections": {"maxdet": 2, "fp": 6},
               "map_undefined": {"maxdet": 2}, "class_metrics": {"per_class": 1, "classes": 3}})
def scenes(c):
    """A dataset of `images` images: `gt` ground-truth boxes of `classes` classes in the first
    image, up to `gt` in the others (crowd=1: about a quarter of them crowds), 80% found by
    jittered detections (some relabelled, some detected twice), and up to `fp` false positives;
    label `classes` has detections only. Scores are uniform, or multiples of 1/4 (ties=1, across
    images too)."""
    preds, targets = Images(), Images()
    thresholds, max_dets = THRESHOLDS[c.thr], MAX_DETECTIONS[c.maxdet]
    for i in range(0 if c.edge == "no_images" else c.images):
        empty = c.edge == "empty_images" and i % 2 == 0
        n_gt = 0 if empty else c.gt if i == 0 else int(c.rng.integers(0, c.gt + 1))
        n_fp = 0 if empty else int(c.rng.integers(0, c.fp + 1))
        boxes, labels, gt, gt_labels, crowd = _scene_image(
            c, n_gt, n_fp, c.classes, c.crowd, 0.6 if c.edge == "area_bounds" else 0.1)
        if c.edge == "no_detections":
            boxes, labels = boxes[:0], labels[:0]
        elif c.edge == "no_ground_truth":
            gt, gt_labels, crowd = gt[:0], gt_labels[:0], crowd[:0]
        elif c.edge == "perfect":
            boxes, labels = gt.copy(), gt_labels.copy()
        elif c.edge == "crowds":  # detections inside each crowd, several per crowd
            inside = gt[crowd][np.repeat(np.arange(int(crowd.sum())), 3)]
            w = np.repeat(inside[:, 2:] - inside[:, :2], 2, axis=1)[:, [0, 2, 1, 3]]
            inside = inside + np.round(w * c.rng.uniform(0, 0.3, inside.shape) * [1, 1, -1, -1])
            boxes = np.concatenate([boxes, inside])
            labels = np.concatenate([labels, np.repeat(gt_labels[crowd], 3)])
        elif c.edge == "over_max_detections":  # 150 in one class; 60 in each of three classes
            extra = _scene_boxes(c, 150 if i == 0 else 180)
            boxes = np.concatenate([boxes, extra])
            labels = np.concatenate([labels, np.zeros(150, np.int64) if i == 0 else np.repeat(np.arange(3), 60)])
        elif c.edge == "at_thresholds":  # IoUs of exactly 0.55, 0.6, 0.75, 0.85 and 0.9 with 20 x 10 boxes
            gt = np.array([[100.0 * k, 0, 100.0 * k + 20, 10] for k in range(5)])
            gt_labels, crowd = np.zeros(5, np.int64), np.zeros(5, bool)
            boxes, labels = gt.copy(), gt_labels.copy()
            boxes[:, 2] -= [9, 8, 5, 3, 2]
        elif c.edge == "recall_on_grid":  # 7 of 10 found: recall 0.7 sits on the grid point 0.70
            gt = np.array([[10.0 * k, 0, 10.0 * k + 5, 5] for k in range(10)])
            gt_labels, crowd = np.zeros(10, np.int64), np.zeros(10, bool)
            boxes, labels = gt[:7].copy(), gt_labels[:7].copy()
        preds.append({"boxes": c.cast(boxes.reshape(-1, 4)), "scores": None, "labels": labels.astype(np.int64)})
        targets.append({"boxes": c.cast(gt.reshape(-1, 4)), "labels": gt_labels.astype(np.int64)})
        if c.crowd or c.edge == "crowds":
            targets[-1]["iscrowd"] = crowd.astype(np.int64)
    for p in preds:
        scores = c.rng.uniform(0, 1, len(p["boxes"]))
        p["scores"] = c.cast(np.round(scores * 4) / 4 if c.ties else scores)
    return dict(preds=preds, targets=targets, iou_thresholds=thresholds, max_detections=max_dets,
                class_metrics=bool(c.per_class)), {}


def _arrays(value, path):
    """(path, array) for the arrays nested in lists and dicts."""
    if isinstance(value, np.ndarray):
        yield path, value
    elif isinstance(value, Mapping):
        for k, item in value.items():
            yield from _arrays(item, f"{path}[{k!r}]")
    elif isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            yield from _arrays(item, f"{path}[{i}]")


class Metrics:
    """``coco_map(preds, targets, ...) -> metrics``: a dict of metrics (torchmetrics' style), each
    value an output under its key (values that are not numbers are errors only under the
    contract's keys, map*, mar* and classes). Arrays nested in the arguments must not be modified
    (a warning)."""

    def __init__(self, signature):
        self.signature = Signature.parse(signature)
        self.name, self.needs, self.compares = self.signature.name, (self.signature.name,), ()
        self.returns = list(self.signature.returns)

    def keys(self, expected):
        return list(expected)

    def __call__(self, get, inputs):
        run = Run()
        args = copy.deepcopy(inputs.args)
        before = {p: a.copy() for k, value in args.items() for p, a in _arrays(value, k)}
        result = self.signature.invoke(get(self.name), args)
        if not isinstance(result, Mapping):
            raise Malformed(f"{self.name} returned {describe(result)}, expected a dict of metrics")
        after = {p: a for k, value in args.items() for p, a in _arrays(value, k)}
        for p, old in before.items():
            if p not in after or not unchanged(old, after[p]):
                run.warnings.append(f"{self.name} modified its argument {p} in place")
        for key, value in result.items():
            try:
                to_array(run, str(key), value)
            except Malformed:
                if str(key).startswith(("map", "mar", "classes")):
                    raise
        return run


ROWS = [
    forward("generalized_box_iou(boxes1, boxes2) -> giou", box_sets, "boxes:generalized_box_iou"),
    forward("distance_box_iou(boxes1, boxes2) -> diou", box_sets, "boxes:distance_box_iou"),
    forward("complete_box_iou(boxes1, boxes2) -> ciou", box_sets, "boxes:complete_box_iou"),
    forward("generalized_box_iou_loss(pred, target) -> loss, dpred", box_pairs, "boxes:generalized_box_iou_loss"),
    forward("sigmoid_focal_loss(x, targets, alpha, gamma) -> loss, dx", focal, "boxes:sigmoid_focal_loss"),
    forward("batched_nms(boxes, scores, idxs, iou_threshold) -> keep", batched, "boxes:batched_nms"),
    Row("coco_map", scenes, "coco:coco_map",
        Metrics("coco_map(preds, targets, iou_thresholds, max_detections, class_metrics) -> metrics")),
]
