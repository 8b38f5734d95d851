"""Error models of refcheck.registry.transformer: the feed-forward block by running error analysis
(sums of products, and GELU's rounding as its own model states it), the patch embedding as an
affine layer on the rearranged patches (the rearrangement is exact)."""
import math

import numpy as np

from ..tolerances import model
from . import Run, _f
from .attention import _gelu_terms, _normal_pdf


def _gelu_run(a):
    """GELU of a Run: its own rounding (refcheck.error_models.attention's terms) plus what the
    argument carries, through the slope Phi + x phi."""
    x = a.v
    cdf = 0.5 * (1 + np.vectorize(math.erf, otypes=[np.float64])(x / math.sqrt(2)))
    pdf = _normal_pdf(x)
    value, grad = _gelu_terms(x, "none")
    slope = cdf + x * pdf
    h = Run(x * cdf, np.abs(slope) * a.m + np.abs(x) * value)
    curvature = np.abs(pdf * (2 - x * x))
    return h, Run(slope, curvature * a.m + grad)


@model("feed_forward_forward", "feed_forward_backward", keys=("out", "dx", "dW1", "db1", "dW2", "db2"),
       reason="running error analysis of gelu(x @ W1 + b1) @ W2 + b2 and its backward: sums of products, "
              "and GELU's rounding (1 + erf cancelling where the pre-activation is negative)")
def _feed_forward(a, e, u):
    x = np.asarray(a["x"], dtype=np.float64)
    d = x.shape[-1]
    x2, W1, b1, W2, b2 = Run(x.reshape(-1, d)), Run(a["W1"]), Run(a["b1"]), Run(a["W2"]), Run(a["b2"])
    pre = x2 @ W1 + b1
    h, slope = _gelu_run(pre)
    out = {"out": (h @ W2 + b2).m.reshape(x.shape)}
    if "dout" in a:
        g = Run(np.asarray(a["dout"], dtype=np.float64).reshape(-1, d))
        da = (g @ W2.T) * slope
        out.update(dx=(da @ W1.T).m.reshape(x.shape), dW1=(x2.T @ da).m, db1=da.sum0().m, dW2=(h.T @ g).m,
                   db2=g.sum0().m)
    return out


@model("patch_embedding_forward", "patch_embedding_backward", keys=("out", "dx", "dw", "db"),
       reason="an affine layer on the patches: |patches| @ |w| + |b| and its gradients' counterparts (cutting "
              "the image into patches is exact)")
def _patch_embedding(a, e, u):
    x, w = _f(a["x"]), _f(a["w"])
    p = int(a["patch_size"])  # whole floats are sizes
    n, c, hh, ww = x.shape
    patches = x.reshape(n, c, hh // p, p, ww // p, p).transpose(0, 2, 4, 1, 3, 5).reshape(n, (hh // p) * (ww // p), c * p * p)
    out = {"out": patches @ w + _f(a["b"])}
    if "dout" in a:
        g = _f(a["dout"])
        dx = (g @ w.T).reshape(n, hh // p, ww // p, c, p, p).transpose(0, 3, 1, 4, 2, 5).reshape(x.shape)
        out.update(dx=dx, dw=patches.reshape(-1, w.shape[0]).T @ g.reshape(-1, w.shape[1]),
                   db=g.reshape(-1, w.shape[1]).sum(axis=0))
    return out
