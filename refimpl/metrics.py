"""Ranking metrics: the area under the ROC curve."""
import numpy as np

from . import _validate as v
from .detection import _binary_labels


@v.float16_as_float32
def auroc(scores, labels):
    """Area under the ROC curve of scores (N,) for 0/1 labels (N,): the probability that a random
    positive scores above a random negative, ties counting half (the Mann-Whitney U statistic
    from average ranks; the trapezoidal area under the exact ROC curve). Without positives or
    without negatives the area is undefined: 0.0, as torchmetrics (which warns); without scores
    it is an error (torchmetrics raises). A NaN score ranks above every other, as torchmetrics'
    descending sort puts it, and NaN scores tie with each other (torchmetrics orders several
    NaNs as its sort happens to).
    torch: ``torchmetrics.functional.classification.binary_auroc(thresholds=None)`` on the
    scores' ranks (it would squash raw scores outside [0, 1] with a sigmoid).
    """
    scores = v.floats("scores", scores, ndim=1)
    labels = _binary_labels("labels", labels, len(scores))
    v.nonempty("scores", scores, 0, "score")
    n_pos = int(labels.sum())
    n_neg = len(labels) - n_pos
    if n_pos == 0 or n_neg == 0:
        return scores.dtype.type(0.0)
    _, group, counts = np.unique(scores, return_inverse=True, return_counts=True)  # NaN last, one group
    average_rank = (np.cumsum(counts) - (counts - 1) / 2.0)[group]  # 1-based, ties share their mean
    u = average_rank[labels].sum() - n_pos * (n_pos + 1) / 2.0
    return scores.dtype.type(u / (n_pos * n_neg))
