"""COCO evaluation and class-aware NMS specifics the generic check cannot show: what torchmetrics'
own float32 grids do, why batched_nms' oracle translates boxes, the list form of
mean_average_precision, and coco_map on the benchmark's scale."""
import numpy as np
import pytest
import torch

import refimpl
from refcheck.cases import Case
from refcheck.registry import ROWS
from torch_oracle import coco as oracle

KEYS = ["map", "map_50", "map_75", "map_small", "map_medium", "map_large",
        "mar_1", "mar_10", "mar_100", "mar_small", "mar_medium", "mar_large"]


def scene(token, dtype="float64"):
    return ROWS["coco_map"].gen(Case(dtype, token)).args


def moved(args, iou_thresholds, rec_thresholds):
    """The largest change of the twelve numbers when torchmetrics runs with these grids (None: its
    own float32 default) instead of pycocotools' float64 ones."""
    run = lambda iou, rec: oracle.torchmetrics_result(args["preds"], args["targets"], iou, [1, 10, 100], False,
                                                      rec_thresholds=rec)
    exact, other = run(oracle.IOU_THRESHOLDS, oracle.REC_THRESHOLDS), run(iou_thresholds, rec_thresholds)
    return max(abs(other[k].item() - exact[k].item()) for k in KEYS)


def test_torchmetrics_default_recall_grid_moves_the_results_of_random_scenes():
    # a recall that lands exactly on a grid point (7 of 10, 1 of 2...) reads the next precision
    # under the float32 grid; on the generator's first 100 scenes some number moves in 16 (the
    # README's figure), in 4 of these 20
    changes = [moved(scene(f"seed{i}"), oracle.IOU_THRESHOLDS, None) for i in range(20)]
    print(f"float32 recall grid: {sum(c > 1e-6 for c in changes)} of 20 scenes move, by up to {max(changes):.3g}")
    assert sum(c > 1e-6 for c in changes) >= 1
    assert moved(scene("recall_on_grid"), oracle.IOU_THRESHOLDS, None) > 1e-3


def test_torchmetrics_default_iou_grid_misses_iou_exactly_on_a_threshold():
    # IoUs of exactly 0.55, 0.6 and 0.85: torchmetrics' float32 thresholds lie just above them
    assert torch.linspace(0.5, 0.95, 10)[1].item() > 0.55 == oracle.IOU_THRESHOLDS[1]
    assert moved(scene("at_thresholds"), None, oracle.REC_THRESHOLDS) > 1e-3


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_refimpl_agrees_with_torchmetrics_to_float32_rounding_on_every_number(dtype):
    # the adapter checks its float64 numbers against torchmetrics' own float32 ones; refimpl's
    # agree with the float64 numbers (the generic check) and so with torchmetrics' to rounding
    for token in ("seed0", "seed1", "crowds", "area_bounds", "over_max_detections", "class_metrics"):
        args = scene(token, dtype)
        ours = refimpl.coco_map(**args)
        thresholds = args["iou_thresholds"] or oracle.IOU_THRESHOLDS
        theirs = oracle.torchmetrics_result(args["preds"], args["targets"], thresholds, sorted(args["max_detections"]),
                                            args["class_metrics"])
        for key, value in ours.items():
            np.testing.assert_allclose(np.asarray(value, np.float64).reshape(-1),
                                       theirs[key].numpy().reshape(-1), rtol=0, atol=1.2e-7, err_msg=f"{token} {key}")


def test_every_judged_coco_key_has_its_float32_rounding_tolerance():
    from refcheck import tolerances
    from refcheck.cases import seeds_for
    row = ROWS["coco_map"]
    keys = {k for case in row.gen.cases(seeds_for()) for k in row.expected(row.gen(case))} - {"classes"}  # exact
    assert keys <= {k for fn, k, _ in tolerances.OVERRIDES if fn == "coco_map"}, "add the new keys to COCO_KEYS"


def test_torchvision_batched_nms_lets_classes_suppress_each_other_with_negative_coordinates():
    from torchvision.ops import batched_nms
    args = ROWS["batched_nms"].gen(Case("float64", "negative_coordinates")).args
    theirs = batched_nms(torch.tensor(args["boxes"]), torch.tensor(args["scores"]), torch.tensor(args["idxs"]),
                         args["iou_threshold"]).numpy()
    per_class = refimpl.batched_nms(**args)
    assert len(theirs) < len(per_class), "torchvision's offset trick no longer merges classes here"
    assert set(np.unique(args["idxs"][per_class])) == set(np.unique(args["idxs"]))  # one box per class at least


def test_mean_average_precision_on_lists_pools_the_images_as_coco_map():
    args = ROWS["mean_average_precision"].gen(Case("float64", "dataset")).args
    preds = [dict(boxes=b, scores=s, labels=lab) for b, s, lab in zip(args["pred_boxes"], args["pred_scores"],
                                                                      args["pred_labels"])]
    targets = [dict(boxes=b, labels=lab) for b, lab in zip(args["gt_boxes"], args["gt_labels"])]
    pooled = refimpl.mean_average_precision(**args)
    assert pooled == refimpl.coco_map(preds, targets, iou_thresholds=[args["iou_threshold"]])["map"]
    lists = [args[k] for k in ("pred_boxes", "pred_scores", "pred_labels", "gt_boxes", "gt_labels")]
    per_image = [refimpl.mean_average_precision(*image, args["iou_threshold"]) for image in zip(*lists)]
    assert abs(pooled - np.mean([v for v in per_image if v > -1])) > 1e-3  # pooling is not averaging


def test_mean_average_precision_of_one_image_is_the_same_as_a_list_or_not():
    args = ROWS["mean_average_precision"].gen(Case("float64", "seed3")).args
    one = refimpl.mean_average_precision(**args)
    as_list = {k: [v] if isinstance(v, np.ndarray) else v for k, v in args.items()}
    assert refimpl.mean_average_precision(**as_list) == pytest.approx(one, abs=1e-12)


def test_coco_map_on_many_images_matches_its_loop_transcription():
    """Random images at 200 detections each (more than 100 per image and class) against the
    mutants' loop transcription of COCOeval's matcher, which has no rank-by-rank vectorization."""
    from refcheck.mutants import detection_more as m
    rng = np.random.default_rng(7)
    preds, targets = [], []
    for _ in range(30):
        g = rng.integers(0, 12)
        gt = np.concatenate([xy := rng.integers(0, 400, (g, 2)), xy + rng.integers(4, 150, (g, 2))], axis=1)
        det = np.concatenate([gt[rng.integers(0, max(g, 1), 200 * (g > 0))] + rng.integers(-8, 9, (200 * (g > 0), 4))])
        det[:, 2:] = np.maximum(det[:, 2:], det[:, :2] + 1)
        preds.append(dict(boxes=det.astype(float), scores=np.round(rng.random(len(det)), 2),
                          labels=rng.integers(0, 2, len(det))))
        targets.append(dict(boxes=gt.astype(float), labels=rng.integers(0, 2, g), iscrowd=rng.random(g) < 0.1))
    fast = refimpl.coco_map(preds, targets, class_metrics=True)
    slow = m._coco(preds, targets, class_metrics=True, matcher=m._loop_match)
    for key in fast:
        np.testing.assert_array_equal(fast[key], slow[key], err_msg=key)
