"""CS231n 2025's feed-forward block and patch embedding as its nn.Modules compute them: torch in
the inputs' own dtype (float32 stays float32), nn.Linear's F.linear with weight = W.T, nn.GELU,
the patches cut by reshape and permute; each backward by autograd through its forward."""
import torch
import torch.nn.functional as F

from .torch_attention import _pair  # forward runs fn on autograd leaves, backward by autograd

torch.set_num_threads(1)


def _patch_embedding(x, w, b, patch_size):
    n, c, hh, ww = x.shape
    p = int(patch_size)
    patches = x.reshape(n, c, hh // p, p, ww // p, p).permute(0, 2, 4, 1, 3, 5).reshape(n, (hh // p) * (ww // p), c * p * p)
    return F.linear(patches, w.T, b)


feed_forward_forward, feed_forward_backward = _pair(
    lambda x, W1, b1, W2, b2: F.linear(F.gelu(F.linear(x, W1.T, b1)), W2.T, b2), 5)
patch_embedding_forward, patch_embedding_backward = _pair(_patch_embedding, 3)
