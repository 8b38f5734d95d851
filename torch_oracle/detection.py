"""Oracles for the detection utilities: torchvision.ops and torchmetrics (pycocotools backend).

Conversions:
- the "+1" pixel convention: x2 and y2 move one pixel out (an exact shift for the coordinates the
  generators draw), then torchvision's exclusive arithmetic applies;
- box_iou: torchvision's 0 / 0 (two zero-area boxes) is NaN; the contract says 0, and the
  verifier accepts either there;
- nms: torchvision leaves the order of equal scores unspecified; the contract visits them lower
  index first, which the adapter enforces by handing torchvision distinct rank scores in that
  order (the boxes, the IoU arithmetic and the threshold are torchvision's); NaN scores come
  first, as torchvision's sort puts them. An implementation
  that breaks ties differently passes when its result is torchvision's for some order of the
  tied boxes (compared by kept scores);
- average_precision: torchmetrics applies a sigmoid to scores outside [0, 1]; the adapter hands
  it the scores' tie-preserving ranks in [0, 1] instead (AP depends only on the order);
- mean_average_precision: float64 boxes, and the 101 recall thresholds passed explicitly in
  float64 (torchmetrics' own default is a float32 linspace, which moves map by up to 1e-2
  whenever a recall lands exactly on a threshold).
"""
import contextlib
import io
import warnings

import numpy as np
import torch

from ._autograd import labels as int_tensor, numpy, tensor
from .views import Mismatch

REC_THRESHOLDS = np.linspace(0.0, 1.0, 101).tolist()


def _shift(boxes, pixel_inclusive):
    b = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    return b + np.array([0, 0, 1, 1]) if pixel_inclusive else b


def _union_is_zero(b1, b2):
    area = lambda b: (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    lt, rb = np.maximum(b1[:, None, :2], b2[None, :, :2]), np.minimum(b1[:, None, 2:], b2[None, :, 2:])
    inter = np.prod(np.clip(rb - lt, 0, None), axis=-1)
    return area(b1)[:, None] + area(b2)[None, :] - inter == 0


def box_iou(boxes1, boxes2, pixel_inclusive=False):
    """``torchvision.ops.box_iou`` in float64; where both boxes have zero area (torchvision: NaN)
    the contract's 0 and NaN are both accepted."""
    from torchvision.ops import box_iou as tv_box_iou
    b1, b2 = _shift(boxes1, pixel_inclusive), _shift(boxes2, pixel_inclusive)
    iou = numpy(tv_box_iou(tensor(b1), tensor(b2)))
    undefined = _union_is_zero(b1, b2)
    iou[undefined] = 0.0

    def view(a):
        got = np.asarray(a["iou"], dtype=np.float64)
        if got.shape == iou.shape:
            got = np.where(undefined & np.isnan(got), 0.0, got)
        return got, iou
    return {"iou": view}


def _torchvision_nms(boxes, scores, threshold, first=()):
    """Kept indices, equal scores visited with the boxes of ``first`` before the others (in that
    order), then lower index first: torchvision's suppression with its tie order made explicit
    by handing it distinct rank scores."""
    from torchvision.ops import nms as tv_nms
    n = len(scores)
    priority = np.full(n, len(first))
    priority[np.asarray(first, dtype=np.int64)] = np.arange(len(first))
    scores = np.asarray(scores, dtype=np.float64)
    nan = np.isnan(scores)  # torch's descending sort puts NaN first; lexsort would put it last
    order = np.lexsort((np.arange(n), priority, np.where(nan, 0, -scores), ~nan))
    ranks = torch.arange(n, 0, -1, dtype=torch.float64)
    boxes_t = torch.as_tensor(np.ascontiguousarray(boxes[order]))
    return order[tv_nms(boxes_t, ranks.to(boxes_t.dtype), float(threshold)).numpy()]


def _first_difference(got, expected, scores):
    i = next((k for k, (a, b) in enumerate(zip(got, expected)) if a != b), min(len(got), len(expected)))
    if i < len(got) and i < len(expected):
        return (f"position {i} holds box {got[i]} (score {scores[got[i]]:.6g}) where the oracle keeps box "
                f"{expected[i]} (score {scores[expected[i]]:.6g})")
    extra, who = (got, "only the implementation") if len(got) > len(expected) else (expected, "only the oracle")
    return f"{who} keeps box {extra[i]} (score {scores[extra[i]]:.6g}) at position {i}"


def _nms_expected(boxes, scores, threshold, key):
    """The contract's kept list; another one passes when it is torchvision's result for another
    order of equal scores: visiting each group of equal scores with the implementation's kept
    boxes first reproduces any valid greedy result exactly, and no invalid one."""
    expected = _torchvision_nms(boxes, scores, threshold)

    def view(a):
        got = np.asarray(a[key]).reshape(-1)
        if got.size == 0:  # an empty list has no integer dtype of its own
            got = got.astype(np.int64)
        if got.dtype.kind not in "iu":
            raise Mismatch(f"kept indices must be integers, got dtype {got.dtype}")
        if np.array_equal(got, expected):
            return got, expected
        if len(np.unique(got)) != len(got) or (got.size and (got.min() < 0 or got.max() >= len(scores))):
            raise Mismatch(f"kept indices repeat or fall outside the {len(scores)} boxes: {got.tolist()[:12]}")
        if np.array_equal(_torchvision_nms(boxes, scores, threshold, first=got), got):
            return scores[got], scores[got]  # another order of equal scores: compared by kept scores
        raise Mismatch(f"kept {len(got)} boxes, the oracle {len(expected)}: "
                       f"{_first_difference(got.tolist(), expected.tolist(), scores)}")
    return {key: view}


def _nms_dtype(boxes):
    return np.promote_types(np.asarray(boxes).dtype, np.float32)


def nms(boxes, scores, iou_threshold, pixel_inclusive=False):
    """``torchvision.ops.nms`` in the boxes' dtype (its IoU arithmetic is the contract's), with
    the conversions of the module docstring; float16 boxes in float32, as the contract computes
    float16 (torchvision's CPU nms has no float16 kernel)."""
    dtype = _nms_dtype(boxes)
    shifted = _shift(boxes, pixel_inclusive).astype(dtype)
    return _nms_expected(shifted, np.asarray(scores, dtype=np.float64), iou_threshold, "keep")


def py_cpu_nms(dets, thresh):
    """``nms(dets[:, :4], dets[:, 4], thresh, pixel_inclusive=True)`` through torchvision."""
    dets = np.asarray(dets)
    shifted = _shift(dets[:, :4], True).astype(_nms_dtype(dets))
    return _nms_expected(shifted, dets[:, 4].astype(np.float64), thresh, "keep")


def _dense_ranks(scores):
    values, ranks = np.unique(np.asarray(scores, dtype=np.float64), return_inverse=True)
    return ranks / max(len(values) - 1, 1)


def average_precision(scores, labels):
    """``torchmetrics.functional.classification.binary_average_precision`` on the scores' ranks."""
    from torchmetrics.functional.classification import binary_average_precision
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "no positive samples": AP is 0, as the contract says
        ap = binary_average_precision(tensor(_dense_ranks(scores)), int_tensor(np.asarray(labels, dtype=np.int64)))
    return {"ap": np.float64(float(ap) + 0.0)}  # + 0.0: torchmetrics gives -0.0 without positives


def mean_average_precision(pred_boxes, pred_scores, pred_labels, gt_boxes, gt_labels, iou_threshold=0.5):
    """``torchmetrics.detection.MeanAveragePrecision(iou_thresholds=[t], rec_thresholds=REC_THRESHOLDS,
    backend='pycocotools')['map']`` on one image, or on each image of lists (float64 boxes)."""
    from torchmetrics.detection import MeanAveragePrecision
    metric = MeanAveragePrecision(iou_type="bbox", box_format="xyxy", iou_thresholds=[float(iou_threshold)],
                                  rec_thresholds=REC_THRESHOLDS, backend="pycocotools")
    images = zip(pred_boxes, pred_scores, pred_labels, gt_boxes, gt_labels) if isinstance(pred_boxes, list) else \
        [(pred_boxes, pred_scores, pred_labels, gt_boxes, gt_labels)]  # a list: one entry per image
    preds, targets = [], []
    for boxes, scores, labels, gt, gt_labels_i in images:
        preds.append(dict(boxes=tensor(_shift(boxes, False)), scores=tensor(scores), labels=int_tensor(labels)))
        targets.append(dict(boxes=tensor(_shift(gt, False)), labels=int_tensor(gt_labels_i)))
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")  # more than 100 detections: COCO keeps the top 100, as the contract
        metric.update(preds, targets)
        return {"map": np.float64(metric.compute()["map"].item())}
