"""Oracle for AUROC: torchmetrics' binary_auroc.

Conversions:
- torchmetrics treats scores outside [0, 1] as logits and applies a sigmoid, which rounds large
  logits (|x| > ~37 in float64, ~17 in float32) to exactly 0 or 1 and so merges distinct scores
  into ties. The area depends only on the scores' order, so the adapter hands it the
  tie-preserving ranks of the raw scores, scaled into [0, 1]. A NaN score ranks highest, where
  torchmetrics' descending sort puts it; several NaNs share that rank (torchmetrics would order
  them as its sort happens to);
- torchmetrics divides its integer counts of true and false positives into rates, which gives
  torch's default dtype (float32, about 6e-8 off); the adapter runs it with float64 as the
  default dtype, so the area is exact.
"""
import warnings

import numpy as np
import torch

from ._autograd import labels as int_tensor, tensor
from .detection import _dense_ranks


def auroc(scores, labels):
    """``torchmetrics.functional.classification.binary_auroc(ranks, labels, thresholds=None)``; 0
    (torchmetrics' value, with a warning) when a class is absent."""
    from torchmetrics.functional.classification import binary_auroc
    default = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "no positive/negative samples": the area is 0, as the contract says
            area = binary_auroc(tensor(_dense_ranks(scores)), int_tensor(np.asarray(labels, dtype=np.int64)),
                                thresholds=None)
    finally:
        torch.set_default_dtype(default)
    return {"auroc": np.float64(float(area) + 0.0)}
