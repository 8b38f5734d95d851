"""Bad and unusual inputs of the detection utilities (IoU, NMS, AP, mAP)."""
import numpy as np

from ._entries import INF, NAN, computes, put, rejects, reversed_box


_DET = dict(classes=1, gt=2, fp=2, k=8, half=1)

BAD_INPUTS = {
    "box_iou": [
        rejects("boxes of 3 columns", r"boxes1 must have shape \(N, 4\) with rows x1, y1, x2, y2, got \(2, 3\)",
                boxes1=np.zeros((2, 3))),
        rejects("x2 < x1", r"boxes2 must have x2 >= x1 and y2 >= y1 in every row, got row 0 \[2.0, 0.0, 0.0, 2.0\]",
                boxes2=np.array([[2.0, 0, 0, 2]]), pixel_inclusive=False),
        rejects("x2 < x1 - 1 with the +1 convention", r"boxes1 must have x2 >= x1 - 1 and y2 >= y1 - 1",
                boxes1=np.array([[3.0, 0, 1, 2]]), pixel_inclusive=True),
        computes("x2 = x1 - 1 with the +1 convention: zero width", boxes1=np.array([[3.0, 0, 2, 2]]),
                 pixel_inclusive=True),
        computes("NaN coordinate: NaN IoU, as torchvision", boxes1=np.array([[0.0, 0, 2, 2], [NAN, 0, 2, 2]]),
                 boxes2=np.array([[1.0, 1, 3, 3], [0, 0, 2, 2]]), pixel_inclusive=False),
        computes("float16 300-pixel boxes (areas above 65504)", dtype="float16",
                 boxes1=np.array([[0.0, 0, 300, 300], [10, 10, 310, 300]], np.float16),
                 boxes2=np.array([[0.0, 0, 300, 300]], np.float16), pixel_inclusive=False),
        computes("no boxes", sizes=dict(N=0)),
    ],
    "nms": [
        rejects("NaN threshold", r"iou_threshold must be a number >= 0, got nan", iou_threshold=NAN),
        rejects("negative threshold", r"iou_threshold must be >= 0, got -0.1", iou_threshold=-0.1),
        rejects("one score short", r"scores must have shape \(4,\) \(one per box of boxes \(4, 4\)\), got \(3,\)",
                sizes=dict(n=4), scores=lambda a: a["scores"][:3]),
        rejects("x2 < x1", r"boxes must have x2 >= x1 and y2 >= y1 in every row, got row 1", sizes=dict(n=4, incl=0),
                boxes=reversed_box("boxes", 1)),
        computes("NaN scores are visited first, as torchvision", sizes=dict(n=20, clusters=2),
                 scores=put("scores", NAN, at=[3, 7])),
        computes("NaN coordinate: neither suppresses nor is suppressed", sizes=dict(n=20, clusters=2),
                 boxes=put("boxes", NAN, at=4)),
        computes("no boxes", sizes=dict(n=0)),
    ],
    "py_cpu_nms": [
        rejects("dets of 4 columns", r"dets must have shape \(N, 5\) with rows x1, y1, x2, y2, score, got \(4, 4\)",
                dets=np.zeros((4, 4))),
        rejects("NaN threshold", r"thresh must be a number >= 0, got nan", thresh=NAN),
        rejects("x2 < x1 - 1", r"dets\[:, :4\] must have x2 >= x1 - 1 .*got row 0 \[5.0, 0.0, 1.0, 2.0\]",
                dets=np.array([[5.0, 0, 1, 2, 0.5]])),
        computes("NaN score", sizes=dict(n=20, clusters=2), dets=put("dets", NAN, at=5 * 3 + 4)),
        computes("no boxes", sizes=dict(n=0)),
    ],
    "average_precision": [
        rejects("labels 0/1/2", r"labels must hold 0/1 \(or booleans\)",
                labels=lambda a: np.full(len(a["labels"]), 2)),
        rejects("one label short", r"labels must have shape \(5,\) like scores, got \(4,\)", sizes=dict(n=5),
                labels=lambda a: a["labels"][:4]),
        rejects("no scores (torchmetrics raises)", r"scores must hold at least one score, got shape \(0,\)",
                scores=np.zeros(0), labels=np.zeros(0, int)),
        computes("a NaN score ranks first, as torchmetrics", sizes=dict(n=12, pos=2), scores=put("scores", NAN, at=4)),
        computes("inf score", sizes=dict(n=12, pos=2), scores=put("scores", INF, at=4)),
    ],
    "mean_average_precision": [
        rejects("threshold 2.0", r"iou_threshold must be >= 0 and <= 1, got 2.0", iou_threshold=2.0),
        rejects("threshold NaN", r"iou_threshold must be a number >= 0 and <= 1, got nan", iou_threshold=NAN),
        rejects("float predicted labels", r"pred_labels must hold integers, got dtype float64", sizes=_DET,
                pred_labels=lambda a: a["pred_labels"] + 0.5),
        rejects("float ground-truth labels", r"gt_labels must hold integers, got dtype float64", sizes=_DET,
                gt_labels=lambda a: a["gt_labels"] * 1.0),
        rejects("x2 < x1 in the ground truth", r"gt_boxes must have x2 >= x1 and y2 >= y1 in every row", sizes=_DET,
                gt_boxes=reversed_box("gt_boxes")),
        rejects("NaN box (pycocotools would match it)", r"pred_boxes must be finite, got nan", sizes=_DET,
                pred_boxes=put("pred_boxes", NAN, at=2)),
        rejects("NaN score", r"pred_scores must be finite, got nan", sizes=_DET, pred_scores=put("pred_scores", NAN)),
        rejects("one label short", r"pred_labels must have shape \(4,\) \(one per box of pred_boxes \(4, 4\)\)",
                sizes=_DET, pred_labels=lambda a: a["pred_labels"][:3]),
        computes("no predictions", token="no_predictions"),
        computes("threshold 1.0", sizes=_DET, iou_threshold=1.0),
        computes("negative class ids (any integer is a class)", sizes=dict(_DET, classes=2),
                 pred_labels=lambda a: a["pred_labels"] - 1, gt_labels=lambda a: a["gt_labels"] - 1),
        # a dataset: lists of per-image arrays (4 images)
        rejects("a dataset's scores one image short",
                r"pred_scores must be a list with one array per image like pred_boxes \(4 images\), got list of 3",
                token="dataset", pred_scores=lambda a: a["pred_scores"][:3]),
        rejects("a dataset image's scores one short", r"pred_scores\[1\] must have shape \(3,\) \(one per box of "
                r"pred_boxes\[1\] \(3, 4\)\), got \(2,\)", token="dataset",
                pred_scores=lambda a: [a["pred_scores"][0], a["pred_scores"][1][:2], *a["pred_scores"][2:]]),
        rejects("a dataset's threshold a string", r"iou_threshold must be a number >= 0 and <= 1, got '0.5'",
                token="dataset", iou_threshold="0.5"),
        computes("a dataset with an image of no boxes", token="dataset"),
    ],
}
