"""Bad and unusual inputs of GIoU / DIoU / CIoU, the GIoU and focal losses, batched NMS and COCO
evaluation."""
import numpy as np

from ._entries import INF, NAN, computes, pixels, put, rejects, reversed_box

_BOXES = dict(N=2, M=3, real=0)  # boxes1 (2, 4), boxes2 (3, 4), integer corners


def _pairwise_entries():
    """GIoU, DIoU and CIoU take the same boxes, and torchvision treats them alike."""
    return [
        rejects("boxes of 3 columns (torchvision: an IndexError)",
                r"boxes1 must have shape \(N, 4\) with rows x1, y1, x2, y2, got \(2, 3\)", boxes1=np.zeros((2, 3))),
        rejects("boxes2 1-D", r"boxes2 must have shape \(N, 4\) .*got \(4,\)", boxes2=np.zeros(4)),
        rejects("x2 < x1 (torchvision: NaN)", r"boxes1 must have x2 >= x1 and y2 >= y1 in every row, got row 0",
                sizes=_BOXES, boxes1=reversed_box("boxes1")),
        rejects("y2 < y1 in boxes2", r"boxes2 must have x2 >= x1 and y2 >= y1 in every row, got row 0 "
                r"\[0.0, 3.0, 2.0, 1.0\]", sizes=_BOXES, boxes2=np.array([[0, 3, 2, 1.0]])),
        rejects("boxes of strings", r"boxes1 must be a real floating array, got dtype <U1", boxes1=np.full((1, 4), "a")),
        rejects("complex boxes2", r"boxes2 must be a real floating array, got dtype complex128", sizes=_BOXES,
                boxes2=lambda a: a["boxes2"] + 0j),
        rejects("ragged boxes", r"boxes1 must be an array of numbers, got list", boxes1=[[0, 0, 1, 1], [0, 0, 1]]),
        computes("no boxes", sizes=dict(_BOXES, N=0)),
        computes("no boxes on either side", sizes=dict(_BOXES, N=0, M=0)),
        computes("no boxes as [] (the nested list of none)", sizes=_BOXES, boxes2=[]),
        computes("integer corners", sizes=_BOXES, boxes1=lambda a: a["boxes1"].astype(np.int64)),
        computes("NaN coordinate: NaN, as torchvision", sizes=_BOXES, boxes1=put("boxes1", NAN)),
        computes("inf coordinate: NaN, as torchvision", sizes=_BOXES, boxes1=put("boxes1", INF, at=2)),
        computes("two zero-area boxes: NaN (0 / 0), as torchvision", boxes1=np.array([[1.0, 1, 1, 1], [0, 0, 0, 3]]),
                 boxes2=np.array([[1.0, 1, 1, 1], [0, 0, 2, 2]])),
        computes("float16 300-pixel boxes (areas above 65504)", dtype="float16",
                 boxes1=np.array([[0.0, 0, 300, 300], [10, 10, 310, 300]], np.float16),
                 boxes2=np.array([[0.0, 0, 300, 300], [20, 5, 290, 310]], np.float16)),
    ]


_PAIRS = dict(N=3, near=1)  # pred, target (3, 4)
_FOCAL = dict(shape=1, alpha=0, gamma=0, mag=1)  # x, targets (4, 3); alpha 0.25, gamma 2


def _logit(value, target):
    """x with ``value`` at element 0, whose target is ``target``."""
    return dict(sizes=_FOCAL, x=put("x", value), targets=put("targets", target))


_BATCHED = dict(n=6, clusters=2, classes=2, ties=0, k=8)  # boxes (6, 4), threshold 0.5
_CLUSTERS = dict(n=20, clusters=2, classes=2, ties=0, k=8)
_COCO = dict(images=3, classes=3, gt=4, fp=3, crowd=1, ties=0, thr=0, maxdet=0, per_class=0)  # image 0: 7 detections, 4 truths


def _image(name, drop=(), **updates):
    """A copy of the per-image dicts ``name`` (preds or targets) whose first image has the keys in
    ``drop`` removed and the others replaced (a value, or a function of that image's dict, such as
    ``put(key, value)``)."""
    def change(args):
        images = [dict(d) for d in args[name]]
        first = images[0]
        first.update({k: u(first) if callable(u) else u for k, u in updates.items()})
        for key in drop:
            del first[key]
        return type(args[name])(images)
    return change


def _every_image(name, key, fn):
    return lambda args: type(args[name])({**d, key: fn(d[key])} for d in args[name])


BAD_INPUTS = {
    "generalized_box_iou": _pairwise_entries(),
    "distance_box_iou": _pairwise_entries(),
    "complete_box_iou": _pairwise_entries(),
    "generalized_box_iou_loss": [
        rejects("target of another length (torchvision: an IndexError)",
                r"target must have shape \(3, 4\) \(one target per box of pred\), got \(2, 4\)", sizes=_PAIRS,
                target=np.zeros((2, 4))),
        rejects("pred of 5 columns", r"pred must have shape \(N, 4\) .*got \(3, 5\)", sizes=_PAIRS,
                pred=np.zeros((3, 5))),
        rejects("x2 < x1 in pred (torchvision: a loss near 2)",
                r"pred must have x2 >= x1 and y2 >= y1 in every row, got row 0", sizes=_PAIRS,
                pred=reversed_box("pred")),
        rejects("y2 < y1 in target", r"target must have x2 >= x1 and y2 >= y1 in every row, got row 1", sizes=_PAIRS,
                target=reversed_box("target", 1, axis="y")),
        rejects("complex target", r"target must be a real floating array, got dtype complex128", sizes=_PAIRS,
                target=lambda a: a["target"] + 0j),
        computes("no pairs: loss 0, as torchvision", pred=np.zeros((0, 4)), target=np.zeros((0, 4))),
        computes("identical boxes (every coordinate a tie: halves, as autograd)", sizes=_PAIRS,
                 pred=lambda a: a["target"].copy()),
        computes("NaN in pred: NaN loss, NaN gradient in its row, as torchvision", sizes=_PAIRS,
                 pred=put("pred", NAN)),
        computes("float16 boxes of 600 pixels (areas above 65504)", dtype="float16", sizes=_PAIRS,
                 pred=pixels("pred", scale=10.0, offset=0.0), target=pixels("target", scale=10.0, offset=0.0)),
    ],
    "sigmoid_focal_loss": [
        rejects("alpha 2 (torchvision raises)", r"alpha must lie in \[0, 1\], or be -1 to disable the weighting, got 2",
                sizes=_FOCAL, alpha=2),
        rejects("alpha -0.5 (torchvision raises)", r"alpha must lie in \[0, 1\], .*got -0.5", sizes=_FOCAL, alpha=-0.5),
        rejects("alpha NaN (torchvision raises)", r"alpha must be a number, got nan", sizes=_FOCAL, alpha=NAN),
        rejects("alpha a string", r"alpha must be a number, got '0.25'", sizes=_FOCAL, alpha="0.25"),
        rejects("alpha True", r"alpha must be a number, got True", sizes=_FOCAL, alpha=True),
        rejects("gamma -1 (a confident right answer's loss is infinite)", r"gamma must be >= 0, got -1", sizes=_FOCAL,
                gamma=-1),
        rejects("gamma NaN (torch: NaN)", r"gamma must be a number >= 0, got nan", sizes=_FOCAL, gamma=NAN),
        rejects("gamma inf (torch: NaN gradients)", r"gamma must be finite, got inf", sizes=_FOCAL, gamma=INF),
        rejects("gamma a string", r"gamma must be a number >= 0, got '2'", sizes=_FOCAL, gamma="2"),
        rejects("targets of another shape (torch raises)",
                r"targets must have shape \(4, 3\) \(one per element of x\), got \(3, 4\)", sizes=_FOCAL,
                targets=np.zeros((3, 4))),
        rejects("targets that would broadcast (torch raises)", r"targets must have shape \(4, 3\) .*got \(3,\)",
                sizes=_FOCAL, targets=np.zeros(3)),
        rejects("target 2 (not a probability)", r"targets must lie in \[0, 1\], got values in \[0.0, 2.0\]",
                sizes=_FOCAL, targets=lambda a: np.where(np.arange(12).reshape(4, 3) == 0, 2.0, 0.0)),
        rejects("NaN target", r"targets must lie in \[0, 1\]", sizes=_FOCAL, targets=put("targets", NAN)),
        rejects("complex targets", r"targets must be a real floating array, got dtype complex128", sizes=_FOCAL,
                targets=lambda a: a["targets"] + 0j),
        rejects("empty x: the mean is undefined (torchvision: NaN)", r"x must not be empty", x=np.zeros(0),
                targets=np.zeros(0)),
        computes("alpha -1 turns the weighting off", sizes=_FOCAL, alpha=-1),
        computes("alpha 1 and gamma 0 as integers", sizes=_FOCAL, alpha=1, gamma=0),
        computes("fractional gamma", sizes=_FOCAL, gamma=0.5),
        computes("0/1 integer targets", sizes=_FOCAL, targets=lambda a: a["targets"].astype(np.int64)),
        computes("boolean targets", sizes=_FOCAL, targets=lambda a: a["targets"].astype(bool)),
        computes("NaN logit: NaN loss, NaN gradient there", sizes=_FOCAL, x=put("x", NAN)),
        computes("inf logit whose target is 0: an infinite loss, as torch", **_logit(INF, 0.0)),
        computes("inf logit whose target is 1: NaN, as torch", **_logit(INF, 1.0)),
        computes("-inf logit: NaN, as torch", **_logit(-INF, 0.0)),
        computes("logit 1e4, no overflow", **_logit(1e4, 0.0)),
    ],
    "batched_nms": [
        rejects("float idxs (torchvision takes them)", r"idxs must hold integers, got dtype float64", sizes=_BATCHED,
                idxs=lambda a: a["idxs"] * 1.0),
        rejects("one idx short", r"idxs must have shape \(6,\) \(one category index per box of boxes \(6, 4\)\), "
                r"got \(5,\)", sizes=_BATCHED, idxs=lambda a: a["idxs"][:5]),
        rejects("one score short", r"scores must have shape \(6,\) \(one per box of boxes \(6, 4\)\), got \(5,\)",
                sizes=_BATCHED, scores=lambda a: a["scores"][:5]),
        rejects("scores 2-D (torchvision raises)", r"scores must be 1-D, got shape \(6, 1\)", sizes=_BATCHED,
                scores=lambda a: a["scores"][:, None]),
        rejects("x2 < x1", r"boxes must have x2 >= x1 and y2 >= y1 in every row, got row 1", sizes=_BATCHED,
                boxes=reversed_box("boxes", 1)),
        rejects("boxes of 5 columns", r"boxes must have shape \(N, 4\) .*got \(6, 5\)", sizes=_BATCHED,
                boxes=np.zeros((6, 5))),
        rejects("negative threshold (torchvision: every overlap suppresses)", r"iou_threshold must be >= 0, got -0.1",
                sizes=_BATCHED, iou_threshold=-0.1),
        rejects("NaN threshold (torchvision: nothing suppressed)", r"iou_threshold must be a number >= 0, got nan",
                sizes=_BATCHED, iou_threshold=NAN),
        rejects("threshold a string (torchvision raises)", r"iou_threshold must be a number >= 0, got '0.5'",
                sizes=_BATCHED, iou_threshold="0.5"),
        computes("no boxes", sizes=dict(_BATCHED, n=0)),
        computes("no boxes as [] (nested lists)", boxes=[], scores=[], idxs=[]),
        computes("NaN scores first, as torchvision", sizes=_CLUSTERS, scores=put("scores", NAN, at=[3, 7])),
        computes("NaN coordinate: neither suppresses nor is suppressed, as torchvision's per-class path",
                 sizes=_CLUSTERS, boxes=put("boxes", NAN, at=4)),
        computes("inf coordinate, as torchvision's per-class path", sizes=_CLUSTERS, boxes=put("boxes", INF, at=2)),
        computes("int32 idxs", sizes=_CLUSTERS, idxs=lambda a: a["idxs"].astype(np.int32)),
        computes("uint8 idxs", sizes=_CLUSTERS, idxs=lambda a: a["idxs"].astype(np.uint8)),
        computes("integer scores (ties)", sizes=_CLUSTERS, scores=lambda a: (a["scores"] * 4).astype(np.int64)),
        computes("threshold above 1: nothing suppressed", sizes=_CLUSTERS, iou_threshold=1.5),
    ],
    "coco_map": [
        rejects("preds one dict, not a list (torchmetrics raises)",
                r"preds and targets must be lists with one dict per image, got dict and Images", sizes=_COCO,
                preds=lambda a: a["preds"][0]),
        rejects("one target short (torchmetrics raises)",
                r"preds and targets must have one entry per image each, got 3 and 2", sizes=_COCO,
                targets=lambda a: a["targets"][:2]),
        rejects("an image a list, not a dict", r"preds\[\.\.\.\] must be a dict per image, got list", sizes=_COCO,
                preds=lambda a: [list(a["preds"][0].values()), *a["preds"][1:]]),
        rejects("scores missing (torchmetrics raises)", r"preds\[0\]\['scores'\] is missing", sizes=_COCO,
                preds=_image("preds", drop=("scores",))),
        rejects("a target's labels missing", r"targets\[0\]\['labels'\] is missing", sizes=_COCO,
                targets=_image("targets", drop=("labels",))),
        rejects("float labels (torchmetrics raises)",
                r"preds\[0\]\['labels'\] must hold integer class labels, got dtype float64", sizes=_COCO,
                preds=_image("preds", labels=lambda d: d["labels"] + 0.5)),
        rejects("float ground-truth labels", r"targets\[0\]\['labels'\] must hold integer class labels, got dtype "
                r"float64", sizes=_COCO, targets=_image("targets", labels=lambda d: d["labels"] * 1.0)),
        rejects("one score short (torchmetrics raises)", r"preds\[0\]\['scores'\] must have shape \(7,\) \(one per box "
                r"of preds\[0\]\['boxes'\] \(7, 4\)\), got \(4,\)", sizes=_COCO,
                preds=_image("preds", scores=lambda d: d["scores"][:4])),
        rejects("a target's label short", r"targets\[0\]\['labels'\] must have shape \(4,\) \(one per box of "
                r"targets\[0\]\['boxes'\]\), got \(3,\)", sizes=_COCO,
                targets=_image("targets", labels=lambda d: d["labels"][:3])),
        rejects("labels 2-D (torchmetrics raises)", r"preds\[0\]\['labels'\] must have shape \(7,\) .*got \(7, 1\)",
                sizes=_COCO, preds=_image("preds", labels=lambda d: d["labels"][:, None])),
        rejects("scores 2-D", r"preds\[0\]\['scores'\] must be 1-D, got shape \(7, 1\)", sizes=_COCO,
                preds=_image("preds", scores=lambda d: d["scores"][:, None])),
        rejects("boxes of 5 columns (torchmetrics raises)",
                r"preds\[0\]\['boxes'\] must have shape \(N, 4\) with rows x1, y1, x2, y2, got \(7, 5\)", sizes=_COCO,
                preds=_image("preds", boxes=np.zeros((7, 5)))),
        rejects("x2 < x1 in a detection (torchmetrics: a false positive)",
                r"preds\[0\]\['boxes'\] must have x2 >= x1 and y2 >= y1 in every row, got row 0", sizes=_COCO,
                preds=_image("preds", boxes=lambda d: d["boxes"][:, [2, 1, 0, 3]])),
        rejects("y2 < y1 in the ground truth (torchmetrics: an ignored box)",
                r"targets\[0\]\['boxes'\] must have x2 >= x1 and y2 >= y1 in every row, got row 0", sizes=_COCO,
                targets=_image("targets", boxes=lambda d: d["boxes"][:, [0, 3, 2, 1]])),
        rejects("NaN box (pycocotools matches it)", r"preds\[0\]\['boxes'\] must be finite, got nan at \[0, 0\]",
                sizes=_COCO, preds=_image("preds", boxes=put("boxes", NAN))),
        rejects("inf ground-truth box (torchmetrics: outside every area range)",
                r"targets\[0\]\['boxes'\] must be finite, got inf at \[0, 2\]", sizes=_COCO,
                targets=_image("targets", boxes=put("boxes", INF, at=2))),
        rejects("NaN score (torchmetrics ranks it first)", r"preds\[0\]\['scores'\] holds NaN", sizes=_COCO,
                preds=_image("preds", scores=put("scores", NAN))),
        rejects("complex boxes", r"preds\[0\]\['boxes'\] must be a real floating array, got dtype complex128",
                sizes=_COCO, preds=_image("preds", boxes=lambda d: d["boxes"] + 0j)),
        rejects("iscrowd 2 (torchmetrics: a crowd)", r"targets\[0\]\['iscrowd'\] must hold 0/1 \(or booleans\), got "
                r"values \[0 2\]", sizes=_COCO, targets=_image("targets", iscrowd=lambda d: d["iscrowd"] * 2)),
        rejects("iscrowd one short", r"targets\[0\]\['iscrowd'\] must have shape \(4,\) .*got \(3,\)", sizes=_COCO,
                targets=_image("targets", iscrowd=lambda d: d["iscrowd"][:3])),
        rejects("threshold 1.5 (torchmetrics: map_50 -1)",
                r"iou_thresholds must be a non-empty list of values in \[0, 1\], got \[0.5, 1.5\]", sizes=_COCO,
                iou_thresholds=[0.5, 1.5]),
        rejects("threshold NaN", r"iou_thresholds must be a non-empty list of values in \[0, 1\], got \[nan\]",
                sizes=_COCO, iou_thresholds=[NAN]),
        rejects("no thresholds", r"iou_thresholds must be a non-empty list of values in \[0, 1\], got \[\]",
                sizes=_COCO, iou_thresholds=[]),
        rejects("thresholds as strings (torchmetrics takes them)", r"iou_thresholds must be a real floating array, "
                r"got dtype <U3", sizes=_COCO, iou_thresholds=["0.5"]),
        rejects("one threshold, not a list (torchmetrics raises)", r"iou_thresholds must be 1-D, got shape \(\)",
                sizes=_COCO, iou_thresholds=0.5),
        rejects("two max_detections (torchmetrics raises)",
                r"max_detections must be three positive whole numbers, got \(1, 10\)", sizes=_COCO,
                max_detections=(1, 10)),
        rejects("max_detections a number", r"max_detections must be three positive whole numbers, got 100",
                sizes=_COCO, max_detections=100),
        rejects("max_detections 0", r"max_detections\[0\] must be a whole number >= 1, got 0", sizes=_COCO,
                max_detections=(0, 10, 100)),
        rejects("max_detections 2.5", r"max_detections\[1\] must be a whole number >= 1, got 2.5", sizes=_COCO,
                max_detections=(1, 2.5, 100)),
        rejects("class_metrics 'yes' (torchmetrics raises)", r"class_metrics must be True or False, got 'yes'",
                sizes=_COCO, class_metrics="yes"),
        computes("no images", token="no_images"),
        computes("images without detections or ground truth", token="empty_images"),
        computes("no detections at all", token="no_detections"),
        computes("an image's detections as [] (nested lists)", sizes=_COCO,
                 preds=_image("preds", boxes=[], scores=[], labels=[])),
        computes("integer boxes", sizes=_COCO, preds=_every_image("preds", "boxes", lambda b: b.astype(np.int64)),
                 targets=_every_image("targets", "boxes", lambda b: b.astype(np.int64))),
        computes("inf score: the highest", sizes=_COCO, preds=_image("preds", scores=put("scores", INF))),
        computes("negative class ids (any integer is a class)", sizes=dict(_COCO, per_class=1),
                 preds=_every_image("preds", "labels", lambda x: x - 5),
                 targets=_every_image("targets", "labels", lambda x: x - 5)),
        computes("iscrowd as booleans", sizes=_COCO, targets=_every_image("targets", "iscrowd", lambda c: c.astype(bool))),
        computes("a repeated threshold", sizes=_COCO, iou_thresholds=[0.5, 0.5, 0.75]),
        computes("thresholds out of order", sizes=_COCO, iou_thresholds=[0.75, 0.3, 0.5]),
        computes("max_detections out of order", sizes=_COCO, max_detections=(100, 1, 10)),
        computes("a repeated max_detections", sizes=_COCO, max_detections=(10, 10, 100)),
        computes("max_detections as whole floats", sizes=_COCO, max_detections=(1.0, 10.0, 100.0)),
        computes("class_metrics a NumPy bool", sizes=_COCO, class_metrics=np.True_),
    ],
}
