"""The new functions (detection, more; pooling, metrics, schedules) are strict too: bad input
raises ValueError naming the argument, and empty batches give empty results where they are
defined."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F

import refimpl as r

f = np.zeros
box = np.array([[0, 0, 2, 2.0]])
img = f((1, 2, 4, 4))
pool = {"pool_height": 2, "pool_width": 2, "stride": 2}
tconv = {"stride": 2, "pad": 0}
image = dict(boxes=box, scores=np.array([0.5]), labels=np.array([0]))
truth = dict(boxes=box, labels=np.array([0]))

BAD = [
    ("giou boxes1 columns", lambda: r.generalized_box_iou(f((2, 3)), box), r"boxes1 .*\(N, 4\).*\(2, 3\)"),
    ("diou boxes2 rank", lambda: r.distance_box_iou(box, f(4)), r"boxes2 .*\(4,\)"),
    ("ciou boxes1 dtype", lambda: r.complete_box_iou(np.array([["a"] * 4]), box), r"boxes1 .*dtype"),
    ("giou loss shapes", lambda: r.generalized_box_iou_loss(box, f((2, 4))), r"target .*\(1, 4\).*\(2, 4\)"),
    ("giou loss empty", lambda: r.generalized_box_iou_loss(f((0, 4)), f((0, 4))), r"pred .*empty batch"),
    ("focal targets shape", lambda: r.sigmoid_focal_loss(f(3), f(4)), r"targets .*\(3,\).*\(4,\)"),
    ("focal targets range", lambda: r.sigmoid_focal_loss(f(2), np.array([0, 2.0])), r"targets must lie in \[0, 1\]"),
    ("focal alpha", lambda: r.sigmoid_focal_loss(f(2), f(2), alpha=2), r"alpha .*2"),
    ("focal gamma", lambda: r.sigmoid_focal_loss(f(2), f(2), gamma=-1), r"gamma .*-1"),
    ("focal empty", lambda: r.sigmoid_focal_loss(f(0), f(0)), r"x must not be empty"),
    ("batched_nms idxs dtype", lambda: r.batched_nms(box, np.ones(1), np.ones(1), 0.5), r"idxs .*integer"),
    ("batched_nms idxs shape", lambda: r.batched_nms(box, np.ones(1), np.zeros(2, int), 0.5), r"idxs .*\(1,\).*\(2,\)"),
    ("batched_nms threshold", lambda: r.batched_nms(f((0, 4)), f(0), f(0, int), -0.1), r"iou_threshold .*-0.1"),
    ("coco preds type", lambda: r.coco_map(image, [truth]), r"preds and targets must be lists"),
    ("coco lengths", lambda: r.coco_map([image], []), r"one entry per image.*1 and 0"),
    ("coco missing scores", lambda: r.coco_map([dict(boxes=box, labels=np.array([0]))], [truth]),
     r"preds\[0\]\['scores'\] is missing"),
    ("coco scores shape", lambda: r.coco_map([dict(image, scores=f(2))], [truth]), r"preds\[0\]\['scores'\] .*\(1,\)"),
    ("coco float labels", lambda: r.coco_map([image], [dict(truth, labels=np.array([0.0]))]),
     r"targets\[0\]\['labels'\] .*integer"),
    ("coco iscrowd values", lambda: r.coco_map([image], [dict(truth, iscrowd=np.array([2]))]),
     r"targets\[0\]\['iscrowd'\] .*0/1"),
    ("coco nan box", lambda: r.coco_map([dict(image, boxes=np.full((1, 4), np.nan))], [truth]),
     r"preds\[0\]\['boxes'\] holds NaN"),
    ("coco thresholds", lambda: r.coco_map([image], [truth], iou_thresholds=[0.5, 1.5]), r"iou_thresholds .*\[0, 1\]"),
    ("coco max detections", lambda: r.coco_map([image], [truth], max_detections=(1, 10)), r"max_detections .*three"),
    ("map lists lengths", lambda: r.mean_average_precision([box], [np.ones(1)] * 2, [np.zeros(1, int)], [box],
                                                           [np.zeros(1, int)]), r"pred_scores .*1 images.*of 2"),
    ("map lists names", lambda: r.mean_average_precision([box], [f(2)], [np.zeros(1, int)], [box], [np.zeros(1, int)]),
     r"pred_scores\[0\] .*\(1,\)"),
    ("avg pool pad", lambda: r.avg_pool_forward(img, dict(pool, pad=2)), r"pool_param\['pad'\] 2 .*half"),
    ("avg pool stride fraction", lambda: r.avg_pool_forward(img, dict(pool, stride=1.5)),
     r"pool_param\['stride'\] must be a whole number"),
    ("avg pool too large", lambda: r.avg_pool_forward(img, dict(pool, pool_height=5)), r"window 5 .*larger than .* 4"),
    ("avg pool stride missing", lambda: r.avg_pool_forward(img, {"pool_height": 2, "pool_width": 2}),
     r"pool_param\['stride'\]"),
    ("tconv channels", lambda: r.conv_transpose_forward(img, f((3, 2, 3, 3)), f(2), tconv), r"w .*2 channels in axis 0"),
    ("tconv bias", lambda: r.conv_transpose_forward(img, f((2, 3, 3, 3)), f(2), tconv), r"b .*\(3,\).*\(2,\)"),
    ("tconv output padding", lambda: r.conv_transpose_forward(img, f((2, 3, 3, 3)), f(3), dict(tconv, output_padding=2)),
     r"output_padding'\] 2 .*smaller than the stride 2"),
    ("tconv no output", lambda: r.conv_transpose_forward(img, f((2, 3, 1, 1)), f(3), {"stride": 1, "pad": 3}),
     r"pad'\] 3 leaves no output"),
    ("auroc labels", lambda: r.auroc(f(3), np.array([0, 1, 2])), r"labels must hold 0/1"),
    ("auroc nan", lambda: r.auroc(np.array([0.0, np.nan]), np.array([0, 1])), r"scores holds NaN"),
    ("clip grads type", lambda: r.clip_grad_norm(f(3), 1.0), r"grads must be a list"),
    ("clip max norm", lambda: r.clip_grad_norm([f(3)], -1.0), r"max_norm .*-1"),
    ("schedule name", lambda: r.lr_schedule("CosineLR", 1, 0.1), r"name must be one of .*CosineAnnealingLR"),
    ("schedule unknown kw", lambda: r.lr_schedule("StepLR", 1, 0.1, step_size=2, gama=0.5), r"StepLR .*unknown: gama"),
    ("schedule missing kw", lambda: r.lr_schedule("CosineAnnealingLR", 1, 0.1), r"missing: T_max"),
    ("schedule step fraction", lambda: r.lr_schedule("StepLR", 1.5, 0.1, step_size=2), r"step must be a whole number"),
    ("schedule base_lr", lambda: r.lr_schedule("StepLR", 1, -0.1, step_size=2), r"base_lr .*-0.1"),
    ("schedule beyond one cycle", lambda: r.lr_schedule("OneCycleLR", 11, 0.1, max_lr=1.0, total_steps=10),
     r"step 11 is beyond total_steps 10"),
    ("schedule empty phase", lambda: r.lr_schedule("OneCycleLR", 0, 0.1, max_lr=1.0, total_steps=10, pct_start=0.1),
     r"empty phase"),
]


@pytest.mark.parametrize("call,pattern", [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_input_raises_value_error(call, pattern):
    with pytest.raises(ValueError, match=pattern):
        call()


def test_empty_batches_give_empty_results_as_torch():
    x, dout = f((0, 2, 5, 5)), f((0, 2, 2, 2))
    out, cache = r.avg_pool_forward(x, pool)
    assert out.shape == tuple(F.avg_pool2d(torch.tensor(x), 2, 2).shape) == (0, 2, 2, 2)
    assert r.avg_pool_backward(dout, cache).shape == x.shape
    w, b = f((2, 3, 3, 3)), f(3)
    out, cache = r.conv_transpose_forward(x, w, b, tconv)
    assert out.shape == tuple(F.conv_transpose2d(torch.tensor(x), torch.tensor(w), stride=2).shape)
    dx, dw, db = r.conv_transpose_backward(np.zeros(out.shape), cache)
    assert dx.shape == x.shape and dw.shape == w.shape and not dw.any() and not db.any()
    for fn in (r.generalized_box_iou, r.distance_box_iou, r.complete_box_iou):
        assert fn(f((0, 4)), box).shape == (0, 1)
    assert r.batched_nms(f((0, 4)), f(0), f(0, int), 0.5).dtype == np.int64
    assert r.clip_grad_norm([], 1.0) == ([], 0.0)
    assert r.coco_map([], [])["map"] == -1


def test_inputs_are_not_modified():
    rng = np.random.default_rng(0)
    grads = [rng.standard_normal(3), rng.standard_normal((2, 2))]
    kept = [g.copy() for g in grads]
    clipped, _ = r.clip_grad_norm(grads, 0.1)
    assert all(np.array_equal(g, k) for g, k in zip(grads, kept)) and not np.shares_memory(clipped[0], grads[0])
    preds, targets = [dict(image)], [dict(truth, iscrowd=np.array([1]))]
    r.coco_map(preds, targets, class_metrics=True)
    assert np.array_equal(preds[0]["boxes"], box) and np.array_equal(targets[0]["iscrowd"], [1])
