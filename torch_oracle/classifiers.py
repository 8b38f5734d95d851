"""Oracles for the linear classifiers and k-NN distances."""
import numpy as np
import torch
import torch.nn.functional as F

from ._autograd import autograd, labels, numpy, tensor


def softmax_classifier(W, X, y, reg):
    """``F.cross_entropy(X @ W, y) + reg * (W * W).sum()``; dW by autograd."""
    X, y = tensor(X), labels(y)
    return autograd(lambda W: F.cross_entropy(X @ W, y) + reg * (W * W).sum(), dict(W=W), ("loss",))


def svm_classifier(W, X, y, reg):
    """``F.multi_margin_loss(X @ W, y, margin=1) * C + reg * (W * W).sum()`` (torch divides the
    hinge sum by C as well as N); dW by autograd."""
    X, y, c = tensor(X), labels(y), np.shape(W)[1]
    return autograd(lambda W: F.multi_margin_loss(X @ W, y, margin=1.0) * c + reg * (W * W).sum(),
                    dict(W=W), ("loss",))


def distances(X, Y):
    """``torch.cdist(p=2, compute_mode='donot_use_mm_for_euclid_dist')`` in float64: from the
    differences, so identical rows give exactly 0."""
    return {"dists": numpy(torch.cdist(tensor(X), tensor(Y), p=2.0,
                                       compute_mode="donot_use_mm_for_euclid_dist"))}
