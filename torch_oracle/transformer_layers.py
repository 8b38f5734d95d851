"""Oracles for CS231n 2025's feed-forward block and patch embedding: torch's nn.Linear and GELU
modules (weights set by name: ``weight = W.T``), the patches cut with torch's reshape/permute,
float64, gradients by autograd."""
import torch.nn.functional as F

from ._autograd import autograd


def feed_forward(x, W1, b1, W2, b2, dout):
    """``F.linear(F.gelu(F.linear(x, W1.T, b1)), W2.T, b2)`` (GELU's erf form)."""
    return autograd(lambda x, W1, b1, W2, b2: F.linear(F.gelu(F.linear(x, W1.T, b1)), W2.T, b2),
                    dict(x=x, W1=W1, b1=b1, W2=W2, b2=b2), ("out",), (dout,))


def patch_embedding(x, w, b, patch_size, dout):
    """Patches (N, C, H/P, P, W/P, P) -> (N, H/P, W/P, C, P, P), flattened, then F.linear."""
    p = int(patch_size)

    def fn(x, w, b):
        n, c, hh, ww = x.shape
        patches = x.reshape(n, c, hh // p, p, ww // p, p).permute(0, 2, 4, 1, 3, 5).reshape(n, (hh // p) * (ww // p), c * p * p)
        return F.linear(patches, w.T, b)
    return autograd(fn, dict(x=x, w=w, b=b), ("out",), (dout,))
