"""Detection specifics the generic check cannot show: refimpl's exact tie order, the verifier's
leniency on other tie orders, and why the mAP oracle passes its recall thresholds in float64."""
import types

import numpy as np
import pytest
import torch

import refimpl
from refcheck.cases import Case, seeds_for
from refcheck.engine import Implementation, check_function
from refcheck.registry import ROWS
from torch_oracle import detection as oracle


@pytest.mark.parametrize("token", ["tied_scores", "identical_boxes", "many_boxes", "seed0", "seed1", "seed5"])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_refimpl_nms_keeps_lower_index_first_exactly_as_the_converted_torchvision(token, dtype):
    for case in (Case(dtype, token), Case(dtype, token, (("ties", 1),))):
        a = ROWS["nms"].gen(case).args
        boxes = a["boxes"] + np.array([0, 0, 1, 1], a["boxes"].dtype) * a["pixel_inclusive"]
        expected = oracle._torchvision_nms(boxes, a["scores"].astype(np.float64), a["iou_threshold"])
        np.testing.assert_array_equal(refimpl.nms(**a), expected)


def fast_rcnn_tie_order(dets, thresh):
    """Fast R-CNN's py_cpu_nms visits equal scores highest index first (argsort()[::-1])."""
    x1, y1, x2, y2, scores = (dets[:, i] for i in range(5))
    areas = (x2 - x1 + 1) * (y2 - y1 + 1)
    order = np.argsort(scores, kind="stable")[::-1]
    keep = []
    while order.size > 0:
        i = order[0]
        keep.append(int(i))
        xx1, yy1 = np.maximum(x1[i], x1[order[1:]]), np.maximum(y1[i], y1[order[1:]])
        xx2, yy2 = np.minimum(x2[i], x2[order[1:]]), np.minimum(y2[i], y2[order[1:]])
        inter = np.maximum(0.0, xx2 - xx1 + 1) * np.maximum(0.0, yy2 - yy1 + 1)
        ovr = inter / (areas[i] + areas[order[1:]] - inter)
        order = order[np.where(ovr <= thresh)[0] + 1]
    return keep


def test_another_order_of_equal_scores_passes_and_is_really_different():
    module = types.ModuleType("fast_rcnn")
    module.py_cpu_nms = fast_rcnn_tie_order
    cases = ROWS["py_cpu_nms"].gen.cases(seeds_for())
    report = check_function(Implementation(module, "fast_rcnn"), "py_cpu_nms", cases)
    assert report.status == "pass", report.message
    differs = [c for c in cases if fast_rcnn_tie_order(**ROWS["py_cpu_nms"].gen(c).args)
               != refimpl.py_cpu_nms(**ROWS["py_cpu_nms"].gen(c).args)]
    assert differs, "no case exercises a different tie order"


def coco_map(thresholds, found, total):
    """One class, `total` ground-truth boxes, the first `found` of them detected exactly."""
    from torchmetrics.detection import MeanAveragePrecision
    gt = torch.tensor([[10.0 * i, 0, 10.0 * i + 5, 5] for i in range(total)], dtype=torch.float64)
    metric = MeanAveragePrecision(iou_thresholds=[0.5], rec_thresholds=thresholds, backend="pycocotools")
    metric.update([dict(boxes=gt[:found], scores=torch.linspace(1, 0.5, found, dtype=torch.float64),
                        labels=torch.zeros(found, dtype=torch.long))],
                  [dict(boxes=gt, labels=torch.zeros(total, dtype=torch.long))])
    return metric.compute()["map"].item()


def test_torchmetrics_default_recall_thresholds_are_float32_and_move_map():
    # recall 7/10 lands on a threshold: pycocotools' float64 grid point is 0.7000000000000001 > 0.7
    # (no precision there), torchmetrics' float32 one is 0.699999988 < 0.7 (precision 1 there)
    default = coco_map(None, 7, 10)
    explicit = coco_map(oracle.REC_THRESHOLDS, 7, 10)
    ours = refimpl.mean_average_precision(np.array([[10.0 * i, 0, 10.0 * i + 5, 5] for i in range(7)]),
                                          np.linspace(1, 0.5, 7), np.zeros(7, int),
                                          np.array([[10.0 * i, 0, 10.0 * i + 5, 5] for i in range(10)]),
                                          np.zeros(10, int))
    assert abs(default - explicit) > 5e-3
    assert abs(ours - explicit) < 1e-7

