"""Error models of refcheck.registry.transformer: the feed-forward block by running error analysis
(sums of products, and GELU's rounding as its own model states it), the patch embedding as an
affine layer on the rearranged patches (the rearrangement is exact), and the encoder and decoder
layers as the running error analysis of their blocks in turn: multi-head attention
(refcheck.error_models.attention), the residual sum, LayerNorm (what its input carries,
amplified by gamma / std, and its own rounding) and the feed-forward block, then the backward
through the same blocks in reverse."""
import math

import numpy as np

from refimpl.transformer_layers import (DECODER_BLOCKS, DECODER_PARAM_KEYS, ENCODER_BLOCKS, ENCODER_PARAM_KEYS,
                                       LAYER_NORM_EPS)

from ..tolerances import model
from . import Run, _f
from .attention import _gelu_terms, _normal_pdf, _reshape, _sub, _sum_last, mha_run


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


def _ffn_run(x2, W1, b1, W2, b2):
    """Runs of gelu(x2 @ W1 + b1) @ W2 + b2 on rows x2 (M, D): (out, backward), backward(g) giving
    the Runs of dx, dW1, db1, dW2, db2."""
    pre = x2 @ W1 + b1
    h, slope = _gelu_run(pre)

    def backward(g):
        da = (g @ W2.T) * slope
        return {"dx": da @ W1.T, "dW1": x2.T @ da, "db1": da.sum0(), "dW2": h.T @ g, "db2": g.sum0()}
    return h @ W2 + b2, backward


@model("feed_forward_forward", "feed_forward_backward", keys=("out", "dx", "dW1", "db1", "dW2", "db2"),
       reason="running error analysis of gelu(x @ W1 + b1) @ W2 + b2 and its backward: sums of products, "
              "and GELU's rounding (1 + erf cancelling where the pre-activation is negative)")
def _feed_forward(a, e, u):
    x = np.asarray(a["x"], dtype=np.float64)
    d = x.shape[-1]
    o, backward = _ffn_run(Run(x.reshape(-1, d)), *(Run(a[k]) for k in ("W1", "b1", "W2", "b2")))
    out = {"out": o.m.reshape(x.shape)}
    if "dout" in a:
        grads = backward(Run(np.asarray(a["dout"], dtype=np.float64).reshape(-1, d)))
        out.update({k: r.m for k, r in grads.items()})
        out["dx"] = out["dx"].reshape(x.shape)
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


def _scaled(r, c):
    return r * Run(np.asarray(c, dtype=np.float64))


def _div(a, b):
    """a / b: what each carries, relative, and the quotient's own rounding."""
    q = a.v / b.v
    return Run(q, np.hypot(a.m / np.abs(b.v), np.abs(q) * b.m / np.abs(b.v)) + np.abs(q))


def _sqrt(r):
    v = np.sqrt(r.v)
    return Run(v, r.m / (2 * v) + v)


def _projected(xhat, std, m):
    """What errors m (one per feature, independent) become through LayerNorm's Jacobian
    (I - 1/D - xhat xhat^T / D) / std, in quadrature: the Jacobian projects out the mean and the
    xhat direction, so on a few features (D = 2: none left) most of an error never gets through."""
    d = xhat.shape[-1]
    jac = np.eye(d) - 1 / d - xhat[..., :, None] * xhat[..., None, :] / d
    return np.sqrt(np.einsum("...ij,...j->...i", jac ** 2, m ** 2)) / std


def _jacobian_rounding(y, std, m):
    """What the computed Jacobian's own rounding does to errors m: |J_ij| rounds to about (1 + (|y_i|
    + |mean|)(|y_j| + |mean|) / (D std^2)) / std (the centred form, or torch's fused one on the
    uncentred y). Second order (u times this), it is all that is left where the exact Jacobian
    is 0: a constant row, where 1/std = 1/sqrt(eps)."""
    d = y.shape[-1]
    a = np.abs(y) + np.abs(y.mean(axis=-1, keepdims=True))
    return (m.sum(axis=-1, keepdims=True) + a * (a * m).sum(axis=-1, keepdims=True) / (d * std ** 2)) / std


def _layer_norm_run(y, gamma, beta, u):
    """Runs of LayerNorm over the last axis (two-pass statistics, eps 1e-5): (out, backward),
    backward(g) giving the Runs of dy, dgamma, dbeta. Its own rounding is the running error
    analysis of the statistics and xhat = (y - mean) / std on y as given (1/sqrt(eps) amplifying
    it for a constant row); what y carries (and, backward, what g carries) goes through the
    Jacobian (_projected). A row of one feature (D = 1) has xhat = 0 and a zero Jacobian: dy and
    dgamma = sum(g xhat) are then 0 but for products of what the factors carry (second order, u
    m_a m_b in the magnitude's units), which first-order propagation alone drops."""
    d = y.v.shape[-1]
    exact = Run(y.v)
    centred = _sub(exact, _scaled(_sum_last(exact), 1 / d))
    var = _scaled(_sum_last(centred * centred), 1 / d)
    std = _sqrt(var + Run(np.full(var.v.shape, LAYER_NORM_EPS)))
    xhat = _div(centred, std)
    xhat.m = np.hypot(xhat.m, _projected(xhat.v, std.v, y.m)) + u * _jacobian_rounding(y.v, std.v, y.m)

    def backward(g):
        gd = g * gamma
        exact_gd = Run(gd.v, np.abs(gd.v))  # gd's own rounding alone: what g carries is projected below
        own = _div(_sub(_sub(exact_gd, _scaled(_sum_last(exact_gd), 1 / d)),
                        xhat * _scaled(_sum_last(exact_gd * xhat), 1 / d)), std)
        dy = Run(own.v, np.hypot(own.m, _projected(xhat.v, std.v, np.abs(gamma.v) * g.m))
                 + u * _jacobian_rounding(y.v, std.v, gd.m))
        rows = lambda r: _reshape(r, -1, d)   # noqa: E731
        dgamma = (rows(g) * rows(xhat)).sum0()
        dgamma.m = dgamma.m + u * (rows(g).m * rows(xhat).m).sum(axis=0)
        return dy, dgamma, rows(g).sum0()
    return xhat * gamma + beta, backward


def _layer_model(a, u, first, blocks, keys):
    """The post-norm layer's Runs block by block: x = LayerNorm(x + block(x)), blocks as
    refimpl.transformer_layers' (block, norm, the key/value input or None for x itself)."""
    p = {k: Run(a["params"][k]) for k in keys}
    h = int(a["num_heads"])  # a whole float is a head count
    inputs = {first: Run(a[first])}
    if "memory" in a:
        inputs["memory"] = Run(a["memory"])
    x = inputs[first]
    n, s, d = x.v.shape
    mask = a.get(f"{first}_mask")
    steps = []
    for block, norm, source in blocks:
        if block == "ffn":
            out2, back = _ffn_run(_reshape(x, -1, d), *(p[f"ffn_{k}"] for k in ("W1", "b1", "W2", "b2")))
            sub = _reshape(out2, n, s, d)
        else:
            memory = x if source is None else inputs[source]
            sub, back = mha_run(x, memory, memory, {k[len(block) + 1:]: r for k, r in p.items()
                                                    if k.startswith(block + "_")}, h,
                                mask if source is None else None, u)
        x, norm_back = _layer_norm_run(x + sub, p[f"{norm}_gamma"], p[f"{norm}_beta"], u)
        steps.append((block, norm, source, back, norm_back))
    out = {"out": x.m}
    if "dout" not in a:
        return out
    g, into = Run(a["dout"]), {}
    for block, norm, source, back, norm_back in reversed(steps):
        dy, dgamma, dbeta = norm_back(g)
        out[f"dparams['{norm}_gamma']"], out[f"dparams['{norm}_beta']"] = dgamma.m, dbeta.m
        if block == "ffn":
            grads = back(_reshape(dy, -1, d))
            dsub = _reshape(grads.pop("dx"), n, s, d)
            out.update({f"dparams['ffn_{k[1:]}']": r.m for k, r in grads.items()})
        else:
            grads = back(dy)
            dq, dk, dv = grads.pop("dquery"), grads.pop("dkey"), grads.pop("dvalue")
            out.update({f"dparams['{block}_{k}']": r.m for k, r in grads.items()})
            if source is None:
                dsub = dq + dk + dv
            else:
                dsub = dq
                into[source] = dk + dv if source not in into else into[source] + dk + dv
        g = dy + dsub
    out[f"d{first}"] = g.m
    out.update({f"d{name}": r.m for name, r in into.items()})
    return out


@model("transformer_encoder_layer_forward", "transformer_encoder_layer_backward",
       keys=("out", "dsrc", *(f"dparams['{k}']" for k in ENCODER_PARAM_KEYS)),
       reason="running error analysis of the post-norm blocks in turn (multi-head attention, the residual "
              "sum, LayerNorm amplifying what its input carries by gamma / std, the feed-forward block) "
              "and of their backward in reverse")
def _encoder_layer(a, e, u):
    return _layer_model(a, u, "src", ENCODER_BLOCKS, ENCODER_PARAM_KEYS)


@model("transformer_decoder_layer_forward", "transformer_decoder_layer_backward",
       keys=("out", "dtgt", "dmemory", *(f"dparams['{k}']" for k in DECODER_PARAM_KEYS)),
       reason="as the encoder layer's, with the cross-attention block (its key and value the memory, "
              "whose gradient sums both)")
def _decoder_layer(a, e, u):
    return _layer_model(a, u, "tgt", DECODER_BLOCKS, DECODER_PARAM_KEYS)
