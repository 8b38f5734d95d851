"""Oracles for GIoU / DIoU / CIoU, the GIoU loss, the focal loss and batched NMS: torchvision.ops.

Conversions:
- batched_nms: torchvision (up to 1,000 boxes on CPU) offsets each class's boxes by
  idx * (max coordinate + 1), which keeps classes apart only when no coordinate is negative; the
  adapter first translates the boxes so that the smallest coordinate is 0 (exact for the
  generators' integer corners, and IoU does not change under translation). A NaN or inf
  coordinate makes every offset box non-finite there, so nothing is suppressed in any class: for
  such boxes the adapter runs torchvision's per-class path (``_batched_nms_vanilla``, what it
  runs beyond 1,000 boxes), where a NaN box neither suppresses nor is suppressed, as in nms.
  Equal scores: as for nms, the contract's order (lower index first) is made explicit with
  distinct rank scores, NaN scores first (torchvision's descending sort puts them there), and
  another order of the tied boxes passes when torchvision, visiting them in that order, keeps
  exactly what the implementation kept (compared by kept scores); float16 boxes in float32, as
  for nms (torchvision's CPU nms has no float16 kernel);
- the losses: ``reduction="mean"``, gradients by autograd (float64). At a tie of two coordinates
  autograd splits the gradient of max / min in halves; the generators avoid such ties.
"""
import numpy as np
import torch

from ._autograd import autograd, numpy, tensor
from .detection import _first_difference, _nms_dtype
from .views import Mismatch


def _corners(boxes):
    """float64 (N, 4) boxes; [] (no boxes, as a nested list) is (0, 4)."""
    return tensor(boxes).reshape(-1, 4)


def generalized_box_iou(boxes1, boxes2):
    """``torchvision.ops.generalized_box_iou`` in float64."""
    from torchvision.ops import generalized_box_iou as tv
    return {"giou": numpy(tv(_corners(boxes1), _corners(boxes2)))}


def distance_box_iou(boxes1, boxes2):
    """``torchvision.ops.distance_box_iou`` (eps 1e-7) in float64."""
    from torchvision.ops import distance_box_iou as tv
    return {"diou": numpy(tv(_corners(boxes1), _corners(boxes2)))}


def complete_box_iou(boxes1, boxes2):
    """``torchvision.ops.complete_box_iou`` (eps 1e-7) in float64."""
    from torchvision.ops import complete_box_iou as tv
    return {"ciou": numpy(tv(_corners(boxes1), _corners(boxes2)))}


def generalized_box_iou_loss(pred, target):
    """``torchvision.ops.generalized_box_iou_loss(pred, target, reduction='mean')`` + autograd (the
    target is a constant)."""
    from torchvision.ops import generalized_box_iou_loss as tv
    t = tensor(target)
    return autograd(lambda pred: tv(pred, t, reduction="mean"), dict(pred=pred), ("loss",))


def sigmoid_focal_loss(x, targets, alpha=0.25, gamma=2.0):
    """``torchvision.ops.sigmoid_focal_loss(x, targets, alpha, gamma, reduction='mean')`` + autograd."""
    from torchvision.ops import sigmoid_focal_loss as tv
    t = tensor(targets)
    return autograd(lambda x: tv(x, t, alpha=alpha, gamma=gamma, reduction="mean"), dict(x=x), ("loss",))


def _torchvision_batched_nms(boxes, scores, idxs, threshold, first=()):
    """torchvision.ops.batched_nms on translated boxes (non-finite ones: its per-class path), NaN
    scores first, equal scores visited with ``first``'s boxes first (in that order), then lower
    index first."""
    from torchvision.ops import batched_nms
    from torchvision.ops.boxes import _batched_nms_vanilla
    n = len(scores)
    priority = np.full(n, len(first))
    priority[np.asarray(first, dtype=np.int64)] = np.arange(len(first))
    nan = np.isnan(scores)
    order = np.lexsort((np.arange(n), priority, np.where(nan, 0, -scores), ~nan))
    finite = np.isfinite(boxes).all()
    shifted = boxes - boxes.min() if boxes.size and finite else boxes
    ranks = torch.arange(n, 0, -1, dtype=torch.float64)
    boxes_t = torch.as_tensor(np.ascontiguousarray(shifted[order]))
    kept = (batched_nms if finite else _batched_nms_vanilla)(
        boxes_t, ranks.to(boxes_t.dtype), torch.as_tensor(np.asarray(idxs, dtype=np.int64)[order]), float(threshold))
    return order[kept.numpy()]


def batched_nms(boxes, scores, idxs, iou_threshold):
    """``torchvision.ops.batched_nms`` in the boxes' dtype, with the conversions of the module docstring."""
    boxes = np.asarray(boxes).astype(_nms_dtype(boxes)).reshape(-1, 4)
    scores = np.asarray(scores, dtype=np.float64)
    expected = _torchvision_batched_nms(boxes, scores, idxs, iou_threshold)

    def view(a):
        got = np.asarray(a["keep"]).reshape(-1)
        if got.size == 0:
            got = got.astype(np.int64)
        if got.dtype.kind not in "iu":
            raise Mismatch(f"kept indices must be integers, got dtype {got.dtype}")
        if np.array_equal(got, expected):
            return got, expected
        if len(np.unique(got)) != len(got) or (got.size and (got.min() < 0 or got.max() >= len(scores))):
            raise Mismatch(f"kept indices repeat or fall outside the {len(scores)} boxes: {got.tolist()[:12]}")
        if np.array_equal(_torchvision_batched_nms(boxes, scores, idxs, iou_threshold, first=got), got):
            return scores[got], scores[got]
        raise Mismatch(f"kept {len(got)} boxes, the oracle {len(expected)}: "
                       f"{_first_difference(got.tolist(), expected.tolist(), scores)}")
    return {"keep": view}
