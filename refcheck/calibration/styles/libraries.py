"""Written on the libraries people reach for, in the inputs' own dtype: torchvision.ops for the
IoU family, the GIoU and focal losses (gradients by autograd) and batched NMS, torch's
clip_grad_norm_, and pycocotools' COCOeval for coco_map (its COCO objects built from the
per-image dicts; the float64 IoU and recall thresholds passed explicitly, as the contract asks;
the numbers returned in float32 for float32 boxes and scores).
What a wrapper must still do for the contract is done: boxes are translated to non-negative
coordinates before batched_nms (its offset trick needs them), clip_grad_norm_ works on copies."""
import contextlib
import io
import warnings

import numpy as np
import torch
import torchvision.ops as ops

torch.set_num_threads(1)

IOU_THRESHOLDS = np.linspace(0.5, 0.95, 10)
REC_THRESHOLDS = np.linspace(0.0, 1.0, 101)
KEYS = ("map", "map_50", "map_75", "map_small", "map_medium", "map_large")


def _quiet():
    stack = contextlib.ExitStack()
    stack.enter_context(contextlib.redirect_stdout(io.StringIO()))
    stack.enter_context(warnings.catch_warnings())
    warnings.simplefilter("ignore")
    return stack


def _mean(a):
    a = a[a > -1]
    return float(np.mean(a)) if a.size else -1.0


def coco_map(preds, targets, iou_thresholds=None, max_detections=(1, 10, 100), class_metrics=False):
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval
    thresholds = IOU_THRESHOLDS if iou_thresholds is None else np.asarray(iou_thresholds, np.float64).reshape(-1)
    max_dets = sorted(int(m) for m in max_detections)
    labels = [np.asarray(d["labels"]).reshape(-1) for d in (*preds, *targets)]
    classes = np.unique(np.concatenate(labels)).astype(np.int64) if labels else np.zeros(0, np.int64)
    images = [{"id": i} for i in range(len(targets))]
    categories = [{"id": int(c)} for c in classes]

    def dataset(items, detections):
        anns = []
        for i, d in enumerate(items):
            boxes = np.asarray(d["boxes"], np.float64).reshape(-1, 4)
            crowd = np.asarray(d.get("iscrowd", np.zeros(len(boxes))))
            for k, (x1, y1, x2, y2) in enumerate(boxes):
                ann = {"id": len(anns) + 1, "image_id": i, "category_id": int(d["labels"][k]),
                       "bbox": [x1, y1, x2 - x1, y2 - y1], "area": (x2 - x1) * (y2 - y1),
                       "iscrowd": 0 if detections else int(crowd[k])}
                if detections:
                    ann["score"] = float(d["scores"][k])
                anns.append(ann)
        coco = COCO()
        coco.dataset = {"images": images, "annotations": anns, "categories": categories}
        coco.createIndex()
        return coco

    out = {k: -1.0 for k in KEYS}
    out.update({f"mar_{m}": -1.0 for m in max_dets})
    out.update(mar_small=-1.0, mar_medium=-1.0, mar_large=-1.0)
    per_class = np.zeros((0, 2))
    if images and categories:
        with _quiet():
            evaluation = COCOeval(dataset(targets, False), dataset(preds, True), "bbox")
            params = evaluation.params
            params.iouThrs, params.recThrs, params.maxDets = thresholds, REC_THRESHOLDS, max_dets
            params.imgIds, params.catIds = [im["id"] for im in images], [int(c) for c in classes]
            evaluation.evaluate()
            evaluation.accumulate()
            evaluation.summarize()
        stats = evaluation.stats
        out.update(zip(KEYS, stats[:6]))
        out.update({f"mar_{m}": stats[6 + i] for i, m in enumerate(max_dets)})
        out.update(zip(("mar_small", "mar_medium", "mar_large"), stats[9:12]))
        precision, recall = evaluation.eval["precision"], evaluation.eval["recall"]
        at_100 = [i for i, m in enumerate(max_dets) if m == 100]
        last = [i for i, m in enumerate(max_dets) if m == max_dets[2]]
        per_class = np.array([[_mean(precision[:, :, k, 0][..., at_100]), _mean(recall[:, k, 0][..., last])]
                              for k in range(len(classes))]).reshape(-1, 2)
    floats = [np.asarray(d[k]) for d in (*preds, *targets) for k in ("boxes", "scores") if k in d]
    dtype = np.float32 if floats and all(a.dtype == np.float32 for a in floats) else np.float64  # as the inputs
    result = {k: dtype(v) for k, v in out.items()}
    if class_metrics:
        result["map_per_class"] = per_class[:, 0].astype(dtype)
        result[f"mar_{max_dets[2]}_per_class"] = per_class[:, 1].astype(dtype)
        result["classes"] = classes
    return result


def _t(a):
    if isinstance(a, torch.Tensor):  # refcheck's probe of which arrays a module takes sends tensors
        return a.clone()
    return torch.from_numpy(np.array(a))  # a copy, 0-d arrays kept 0-d


def generalized_box_iou(boxes1, boxes2):
    return ops.generalized_box_iou(_t(boxes1), _t(boxes2)).numpy()


def distance_box_iou(boxes1, boxes2):
    return ops.distance_box_iou(_t(boxes1), _t(boxes2)).numpy()


def complete_box_iou(boxes1, boxes2):
    return ops.complete_box_iou(_t(boxes1), _t(boxes2)).numpy()


def _loss_and_grad(fn, x, *args):
    leaf = _t(x).clone().requires_grad_(True)
    loss = fn(leaf, *args)
    (grad,) = torch.autograd.grad(loss, leaf)
    return loss.detach().numpy(), grad.numpy()


def generalized_box_iou_loss(pred, target):
    return _loss_and_grad(lambda p, t: ops.generalized_box_iou_loss(p, t, reduction="mean"), pred, _t(target))


def sigmoid_focal_loss(x, targets, alpha=0.25, gamma=2.0):
    return _loss_and_grad(lambda z, t: ops.sigmoid_focal_loss(z, t, alpha=alpha, gamma=gamma, reduction="mean"),
                          x, _t(targets))


def batched_nms(boxes, scores, idxs, iou_threshold):
    shifted = boxes - boxes.min() if boxes.size else boxes
    return ops.batched_nms(_t(shifted), _t(scores), _t(np.asarray(idxs, np.int64)), float(iou_threshold)).numpy()


def clip_grad_norm(grads, max_norm):
    params = [torch.nn.Parameter(torch.zeros(np.shape(g), dtype=_t(g).dtype)) for g in grads]
    for p, g in zip(params, grads):
        p.grad = _t(g).clone()
    total = torch.nn.utils.clip_grad_norm_(params, max_norm, norm_type=2)
    return [p.grad.numpy() for p in params], total.numpy()
