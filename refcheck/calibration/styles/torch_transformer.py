"""CS231n 2025's feed-forward block and patch embedding as its nn.Modules compute them: torch in
the inputs' own dtype (float32 stays float32), nn.Linear's F.linear with weight = W.T, nn.GELU,
the patches cut by reshape and permute; each backward by autograd through its forward."""
import numpy as np
import torch
import torch.nn.functional as F

torch.set_num_threads(1)


def _pair(fn, n_leaves):
    def forward(*args):
        leaves = [torch.tensor(np.asarray(a), requires_grad=True) for a in args[:n_leaves]]
        out = fn(*leaves, *args[n_leaves:])
        return out.detach().numpy(), (leaves, out)

    def backward(dout, cache):
        leaves, out = cache
        return tuple(g.numpy() for g in torch.autograd.grad(out, leaves, torch.from_numpy(np.asarray(dout))))
    return forward, backward


def _patch_embedding(x, w, b, patch_size):
    n, c, hh, ww = x.shape
    p = int(patch_size)
    patches = x.reshape(n, c, hh // p, p, ww // p, p).permute(0, 2, 4, 1, 3, 5).reshape(n, (hh // p) * (ww // p), c * p * p)
    return F.linear(patches, w.T, b)


feed_forward_forward, feed_forward_backward = _pair(
    lambda x, W1, b1, W2, b2: F.linear(F.gelu(F.linear(x, W1.T, b1)), W2.T, b2), 5)
patch_embedding_forward, patch_embedding_backward = _pair(_patch_embedding, 3)
