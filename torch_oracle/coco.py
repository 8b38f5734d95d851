"""Oracle for COCO evaluation over a dataset: ``torchmetrics.detection.MeanAveragePrecision`` with
the pycocotools backend, which runs ``COCOeval`` itself.

Conversions:
- thresholds in float64: the IoU thresholds (default pycocotools' ``np.linspace(.5, .95, 10)``)
  and the 101 recall thresholds are passed explicitly. torchmetrics' own defaults are float32
  ``torch.linspace`` grids (0.550000011920929 > 0.55, 0.699999988 < 0.7, ...), which move the
  results wherever an IoU or a recall lands exactly on a grid point, as integer boxes often do
  (tests/test_coco_contract.py measures how often);
- exact values: torchmetrics rounds every summary number to float32; the adapter asks for its
  extended summary (pycocotools' float64 precision (T, R, K, A, M) and recall (T, K, A, M)
  arrays) and takes each number from them as ``COCOeval.summarize`` does (the mean of the entries
  > -1 of the key's slice), checking that it rounds to torchmetrics' float32 value;
- shapes: torchmetrics squeezes a value of one element to 0-d (map_per_class of one class); the
  verifier accepts any shape with the expected number of elements for every key.

One evaluation costs 10-50 ms, and the verifier asks again for the same scene (a mutant's hint,
the shrinker, the zoo's repeated run): results are kept by a digest of the inputs' content.
"""
import contextlib
import hashlib
import io
import warnings
from collections import OrderedDict

import numpy as np
import torch

from ._autograd import labels as int_tensor, tensor

IOU_THRESHOLDS = np.linspace(0.5, 0.95, 10)  # restated from pycocotools' Params, not imported from refimpl
REC_THRESHOLDS = np.linspace(0.0, 1.0, 101)
AREAS = {"all": 0, "small": 1, "medium": 2, "large": 3}


def _summary(precision, recall, thresholds, max_dets, ap, iou=None, area="all", m=100):
    """``COCOeval.summarize._summarize`` on the float64 arrays."""
    a, mind = AREAS[area], [i for i, d in enumerate(max_dets) if d == m]
    if ap:
        s = precision if iou is None else precision[np.where(iou == thresholds)[0]]
        s = s[:, :, :, a, :][..., mind]
    else:
        s = recall if iou is None else recall[np.where(iou == thresholds)[0]]
        s = s[:, :, a, :][..., mind]
    return -1.0 if len(s[s > -1]) == 0 else float(np.mean(s[s > -1]))


def _stats(precision, recall, thresholds, max_dets):
    """The twelve numbers of ``COCOeval.summarize`` for bounding boxes, in its order."""
    s = lambda *args, **kw: _summary(precision, recall, thresholds, max_dets, *args, **kw)
    last = max_dets[2]
    return [s(1), s(1, iou=0.5, m=last), s(1, iou=0.75, m=last), s(1, area="small", m=last),
            s(1, area="medium", m=last), s(1, area="large", m=last), s(0, m=max_dets[0]), s(0, m=max_dets[1]),
            s(0, m=last), s(0, area="small", m=last), s(0, area="medium", m=last), s(0, area="large", m=last)]


def _lenient(key, want):
    """A view accepting any shape with the expected number of elements (torchmetrics squeezes)."""
    def view(a):
        got = np.asarray(a[key])
        return (got.reshape(want.shape) if got.size == want.size else got), want
    return view


def torchmetrics_result(preds, targets, iou_thresholds, max_detections, class_metrics, rec_thresholds=REC_THRESHOLDS):
    """torchmetrics' MeanAveragePrecision (pycocotools backend, extended summary) on float64 tensors."""
    from torchmetrics.detection import MeanAveragePrecision
    metric = MeanAveragePrecision(
        iou_type="bbox", box_format="xyxy", backend="pycocotools", class_metrics=bool(class_metrics),
        extended_summary=True, max_detection_thresholds=[int(m) for m in max_detections],
        iou_thresholds=None if iou_thresholds is None else [float(t) for t in iou_thresholds],
        rec_thresholds=None if rec_thresholds is None else [float(r) for r in rec_thresholds])
    metric.warn_on_many_detections = False
    box = lambda b: tensor(np.asarray(b, np.float64).reshape(-1, 4))
    tm_preds = [dict(boxes=box(p["boxes"]), scores=tensor(np.asarray(p["scores"])), labels=int_tensor(p["labels"]))
                for p in preds]
    tm_targets = [dict(boxes=box(t["boxes"]), labels=int_tensor(t["labels"]),
                       **({"iscrowd": int_tensor(np.asarray(t["iscrowd"]).astype(np.int64))} if "iscrowd" in t else {}))
                  for t in targets]
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        metric.update(tm_preds, tm_targets)
        return metric.compute()


_CACHE = OrderedDict()


def _digest(*values):
    h = hashlib.sha1()
    stack = list(values)
    while stack:
        v = stack.pop()
        if isinstance(v, dict):
            stack += [f"dict{len(v)}", *v.keys(), *v.values()]
        elif isinstance(v, (list, tuple)):
            stack += [f"list{len(v)}", *v]
        elif isinstance(v, np.ndarray):
            h.update(f"{v.dtype}{v.shape}".encode())
            h.update(np.ascontiguousarray(v).tobytes())
        else:
            h.update(repr(v).encode())
    return h.hexdigest()


def coco_map(preds, targets, iou_thresholds=None, max_detections=(1, 10, 100), class_metrics=False):
    """``torchmetrics.detection.MeanAveragePrecision(backend='pycocotools', iou_thresholds=<float64>,
    rec_thresholds=<101 float64 points>, max_detection_thresholds=..., class_metrics=...,
    extended_summary=True)``, each number taken in float64 from pycocotools' precision and recall
    arrays (see the module docstring)."""
    key = _digest(preds, targets, iou_thresholds, max_detections, class_metrics)
    if key not in _CACHE:
        _CACHE[key] = _coco_map(preds, targets, iou_thresholds, max_detections, class_metrics)
        while len(_CACHE) > 512:
            _CACHE.popitem(last=False)
    return dict(_CACHE[key])


def _coco_map(preds, targets, iou_thresholds, max_detections, class_metrics):
    thresholds = IOU_THRESHOLDS if iou_thresholds is None else np.asarray(iou_thresholds, np.float64).reshape(-1)
    max_dets = sorted(int(m) for m in max_detections)
    result = torchmetrics_result(preds, targets, thresholds, max_dets, class_metrics)
    keys = ["map", "map_50", "map_75", "map_small", "map_medium", "map_large",
            *(f"mar_{m}" for m in max_dets), "mar_small", "mar_medium", "mar_large"]
    classes = result["classes"].numpy().reshape(-1).astype(np.int64)
    if "precision" in result:
        precision, recall = result["precision"].numpy(), result["recall"].numpy()
        values = _stats(precision, recall, thresholds, max_dets)
        per_class = [(_summary(precision[:, :, [k]], recall[:, [k]], thresholds, max_dets, 1),
                      _summary(precision[:, :, [k]], recall[:, [k]], thresholds, max_dets, 0, m=max_dets[2]))
                     for k in range(len(classes))]
    else:  # no image at all: torchmetrics reports -1 everywhere and no per-class values
        values, per_class = [-1.0] * 12, []
    for key, value in zip(keys, values):
        if np.float32(value) != result[key].item():
            raise AssertionError(f"the float64 {key} {value!r} does not round to torchmetrics' {result[key].item()!r}")
    expected = {k: np.float64(x) for k, x in zip(keys, values)}
    if class_metrics:
        per_class = np.array(per_class, np.float64).reshape(-1, 2)
        for col, key in enumerate(("map_per_class", f"mar_{max_dets[2]}_per_class")):
            theirs = result.get(key, torch.zeros(0)).numpy().reshape(-1)
            if not np.array_equal(per_class[:, col].astype(np.float32), theirs):
                raise AssertionError(f"the float64 {key} {per_class[:, col]} does not round to torchmetrics' {theirs}")
            expected[key] = per_class[:, col].copy()
        expected["classes"] = classes
    return {k: _lenient(k, np.asarray(x)) for k, x in expected.items()}
