"""Correct implementations of other styles pass the new rows: torch's in-place clipping (with a
warning), a coco_map written on pycocotools directly, results shaped as torchmetrics shapes
them, and a stateful learning-rate scheduler."""
import contextlib
import io
import math
import types

import numpy as np

import refimpl
from refcheck.cases import seeds_for
from refcheck.engine import Implementation, check_function
from refcheck.registry import ROWS


def verdict(name, fn, strict=False):
    module = types.ModuleType(f"user_{name}")
    setattr(module, name, fn)
    return check_function(Implementation(module, module.__name__), name, ROWS[name].gen.cases(seeds_for()), strict)


def clip_in_place(grads, max_norm):
    """torch.nn.utils.clip_grad_norm_'s way: scale the given arrays and return them."""
    total = math.sqrt(sum(float(np.sum(np.asarray(g, np.float64) ** 2)) for g in grads))
    factor = min(1.0, max_norm / (total + 1e-6))
    for g in grads:
        g *= g.dtype.type(factor)
    return grads, np.float64(total).astype(grads[0].dtype) if grads else 0.0


def test_clipping_in_place_passes_with_a_warning():
    report = verdict("clip_grad_norm", clip_in_place)
    assert report.status == "pass", report.message
    assert any("modified its argument grads[0] in place" in w for w in report.warnings)
    assert verdict("clip_grad_norm", clip_in_place, strict=True).status == "fail"


def coco_map_with_pycocotools(preds, targets, iou_thresholds=None, max_detections=(1, 10, 100), class_metrics=False):
    """A coco_map on pycocotools' COCOeval directly (its float64 stats; per class, the means of its
    precision and recall arrays), as many projects write it."""
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval
    labels = sorted({int(x) for d in list(preds) + list(targets) for x in d["labels"]})
    gt, dt, images = [], [], [{"id": i} for i in range(len(preds))]
    for i, (p, t) in enumerate(zip(preds, targets)):
        crowd = t.get("iscrowd", np.zeros(len(t["labels"])))
        for (x1, y1, x2, y2), lab, c in zip(np.asarray(t["boxes"], np.float64), t["labels"], crowd):
            gt.append(dict(id=len(gt) + 1, image_id=i, category_id=int(lab), bbox=[x1, y1, x2 - x1, y2 - y1],
                           area=(x2 - x1) * (y2 - y1), iscrowd=int(c)))
        for (x1, y1, x2, y2), s, lab in zip(np.asarray(p["boxes"], np.float64), p["scores"], p["labels"]):
            dt.append(dict(id=len(dt) + 1, image_id=i, category_id=int(lab), bbox=[x1, y1, x2 - x1, y2 - y1],
                           area=(x2 - x1) * (y2 - y1), score=float(s), iscrowd=0))
    max_dets = sorted(max_detections)
    keys = ["map", "map_50", "map_75", "map_small", "map_medium", "map_large", *(f"mar_{m}" for m in max_dets),
            "mar_small", "mar_medium", "mar_large"]
    dtype = np.result_type(*[d[k] for d in preds for k in ("boxes", "scores")], *[t["boxes"] for t in targets]) \
        if preds else np.dtype(np.float64)
    out = dict.fromkeys(keys, -1.0)
    per_class = {}
    if images:
        cocos = []
        for anns in (gt, dt):
            c = COCO()
            c.dataset = dict(images=images, annotations=anns, categories=[{"id": k} for k in labels])
            with contextlib.redirect_stdout(io.StringIO()):
                c.createIndex()
            cocos.append(c)

        e = COCOeval(cocos[0], cocos[1], iouType="bbox")
        if iou_thresholds is not None:
            e.params.iouThrs = np.asarray(iou_thresholds, np.float64)
        e.params.maxDets = max_dets
        with contextlib.redirect_stdout(io.StringIO()):
            e.evaluate(), e.accumulate(), e.summarize()
        out = dict(zip(keys, e.stats))
        mean = lambda s: float(np.mean(s[s > -1])) if (s > -1).any() else -1.0
        at = [i for i, m in enumerate(max_dets) if m == 100], [i for i, m in enumerate(max_dets) if m == max_dets[2]]
        per_class = {k: (mean(e.eval["precision"][:, :, i, 0][..., at[0]]), mean(e.eval["recall"][:, i, 0][..., at[1]]))
                     for i, k in enumerate(labels)}
    result = {k: dtype.type(v) for k, v in out.items()}
    if class_metrics:
        result["map_per_class"] = np.array([per_class[k][0] for k in labels], dtype)
        result[f"mar_{max_dets[2]}_per_class"] = np.array([per_class[k][1] for k in labels], dtype)
        result["classes"] = np.array(labels)
    return result


def test_coco_map_written_on_pycocotools_passes():
    report = verdict("coco_map", coco_map_with_pycocotools)
    assert report.status == "pass" and not report.warnings, report.message


def test_a_coco_map_wrapping_torchmetrics_passes():
    """torchmetrics' numbers are float32: they pass the float64 cases within their rounding."""
    from torch_oracle import coco as tm

    def coco_map(preds, targets, iou_thresholds=None, max_detections=(1, 10, 100), class_metrics=False):
        r = tm.torchmetrics_result(preds, targets, tm.IOU_THRESHOLDS if iou_thresholds is None else iou_thresholds,
                                   sorted(max_detections), class_metrics)
        return {k: v.numpy() for k, v in r.items() if k.startswith(("map", "mar", "classes"))}
    report = verdict("coco_map", coco_map)
    assert report.status == "pass", report.message


def test_results_shaped_as_torchmetrics_shapes_them_pass():
    def squeezed(*args):
        out = refimpl.coco_map(*args)
        return {k: (np.asarray(v).reshape(()) if np.size(v) == 1 else np.asarray(v)[None] if np.ndim(v) == 0 else v)
                for k, v in out.items()}
    report = verdict("coco_map", squeezed)
    assert report.status == "pass", report.message


def test_a_stateful_scheduler_passes():
    """A training loop's scheduler, stepped from 0 on every call (torch's recursive forms)."""
    def lr_schedule(name, step, base_lr, **kw):
        if name != "CosineAnnealingLR":
            return refimpl.lr_schedule(name, step, base_lr, **kw)
        T, eta = kw["T_max"], kw.get("eta_min", 0.0)
        lr = base_lr
        for t in range(1, step + 1):
            if (t - 1 - T) % (2 * T) == 0:
                lr = lr + (base_lr - eta) * (1 - math.cos(math.pi / T)) / 2
            else:
                lr = (1 + math.cos(math.pi * t / T)) / (1 + math.cos(math.pi * (t - 1) / T)) * (lr - eta) + eta
        return lr
    assert verdict("lr_schedule", lr_schedule).status == "pass"
