"""Error models of refcheck.registry.sandwiches: the layers' own models chained. A sandwich's
linear layer (affine or convolution) rounds its output to u times the sums of products' magnitudes
(|x| @ |w| + |b|); a batch normalization above it amplifies that rounding, and what x - mean
rounds, by 1/std; the ReLU and the max pooling copy values (their magnitudes pass through, the
pooling's from its window's maximum); the way back routes |dout| through the pooling's maxima and
the ReLU's mask, through the normalization's gradient terms (each of size |gamma dout| / std,
including the forward's rounding that xhat carries), and through the linear layer's absolute
values into dx, dw and db."""
import numpy as np

from ..tolerances import model
from . import _affine, _conv, _running, _windows


def _linear_values(kind, a):
    """The linear layer's output in float64, and ``linear(g, squared=False)``: the layer's
    magnitudes given the magnitudes ``g`` of the gradient that reaches it (None: the forward's
    only); squared, the sums of squares of its products, for errors that add in quadrature."""
    x, w, b = (np.asarray(a[k], dtype=np.float64) for k in ("x", "w", "b"))
    if kind == "affine":
        out = x.reshape(len(x), w.shape[0]) @ w + b  # not -1: N may be 0
        model_of, extra = _affine, {}
    else:
        stride, pad = int(a["conv_param"]["stride"]), int(a["conv_param"]["pad"])
        hh, ww = w.shape[2:]
        xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
        h_out, w_out = 1 + (xp.shape[2] - hh) // stride, 1 + (xp.shape[3] - ww) // stride
        out = np.einsum("ncijpq,fcpq->nfij", _windows(xp, hh, ww, stride, h_out, w_out), w) + b[None, :, None, None]
        model_of, extra = _conv, {"conv_param": a["conv_param"]}

    def linear(g, squared=False):
        args = dict(x=x ** 2, w=w ** 2, b=b ** 2) if squared else dict(x=x, w=w, b=b)
        if g is not None:
            args["dout"] = g ** 2 if squared else g
        result = model_of({**args, **extra}, None, None)
        return {k: np.sqrt(v) for k, v in result.items()} if squared else result
    return out, linear


def _pool_windows(p, shape):
    ph, pw, s = (int(p[k]) for k in ("pool_height", "pool_width", "stride"))  # whole floats are sizes
    h_out, w_out = 1 + (shape[2] - ph) // s, 1 + (shape[3] - pw) // s
    for i in range(h_out):
        for j in range(w_out):
            yield i, j, (slice(None), slice(None), slice(i * s, i * s + ph), slice(j * s, j * s + pw))


def _pool(values, magnitudes, p):
    """The pooled magnitudes: each window's largest (the maximum it copies is one of its values)."""
    shape = values.shape
    out = np.zeros(shape[:2] + (1 + (shape[2] - int(p["pool_height"])) // int(p["stride"]),
                                1 + (shape[3] - int(p["pool_width"])) // int(p["stride"])))
    for i, j, win in _pool_windows(p, shape):
        out[:, :, i, j] = magnitudes[win].max(axis=(2, 3)) if magnitudes[win].size else 0.0
    return out


def _unpool(values, g, p):
    """|dout| routed to every maximum of each window (ties: any one may take it), added up where
    windows overlap."""
    routed = np.zeros(values.shape)
    for i, j, win in _pool_windows(p, values.shape):
        window = values[win]
        if window.size:
            is_max = window == window.max(axis=(2, 3), keepdims=True)
            routed[win] += is_max * g[:, :, i, j][:, :, None, None]
    return routed


def _sandwich(kind, norm, pool):
    def fn(a, e, u):
        pre, linear = _linear_values(kind, a)
        m_pre = linear(None)["out"]
        y, m_y, stats = pre, m_pre, None
        if norm:
            axes = (0,) if kind == "affine" else (0, 2, 3)
            shape = [1] * pre.ndim
            shape[1] = pre.shape[1]
            p = a["bn_param"]
            eps = p.get("eps", 1e-5)
            gamma, beta = (np.reshape(np.asarray(a[k], dtype=np.float64), shape) for k in ("gamma", "beta"))

            def reduce(v):
                return np.broadcast_to(v.mean(axis=axes, keepdims=True), v.shape)

            if p["mode"] == "train":
                mean = reduce(pre)
                var = reduce((pre - mean) ** 2)
                carried = m_pre + reduce(m_pre)         # a's rounding, in a - mean(a)
            else:
                mean, var = (np.reshape(np.asarray(p.get(k, np.zeros(pre.shape[1])), dtype=np.float64), shape)
                             for k in ("running_mean", "running_var"))  # refimpl's defaults: zeros
                carried = m_pre
            std = np.sqrt(var + eps)
            xhat = (pre - mean) / std
            m_xhat = (np.abs(pre) + np.abs(mean) + carried) / std + 2 * np.abs(xhat)
            y, m_y = gamma * xhat + beta, np.abs(gamma) * m_xhat + np.abs(beta)
            stats = (axes, shape, gamma, std, xhat, m_xhat, mean)
        r = np.maximum(y, 0)
        out = {"out": _pool(r, m_y, a["pool_param"]) if pool else m_y}
        if norm:
            axes, shape, _, _, _, _, mean = stats
            if a["bn_param"]["mode"] == "train":
                level = np.abs(pre) + m_pre
                x_sq = (level.mean(axis=axes), ((level + np.abs(mean)) ** 2).mean(axis=axes))
                out.update(_running(a["bn_param"], pre.mean(axis=axes), pre.var(axis=axes), x_sq, e))
            else:
                out.update({k: np.abs(v) for k, v in e.items() if k.startswith("bn_param")})  # unchanged
        if "dout" in a and not (norm and a["bn_param"]["mode"] == "test"):  # backwards: train mode only
            dout = np.asarray(a["dout"], dtype=np.float64)
            dy = (_unpool(r, dout, a["pool_param"]) if pool else dout) * (y > 0)   # exact: copies
            if not norm:
                grads = linear(np.abs(dy))
            else:
                axes, shape, gamma, std, xhat, m_xhat, _ = stats
                g, gd = np.abs(dy), np.abs(gamma * dy)
                ax = np.abs(xhat)
                # dy - mean(dy) - xhat * mean(dy xhat), to first order in xhat's rounding m_xhat
                m_dpre = (gd + gd.mean(axis=axes, keepdims=True) + m_xhat * (gd * ax).mean(axis=axes, keepdims=True)
                          + ax * (gd * m_xhat).mean(axis=axes, keepdims=True)) / std
                dpre = gamma / std * (dy - dy.mean(axis=axes, keepdims=True)
                                      - xhat * (dy * xhat).mean(axis=axes, keepdims=True))
                out.update(dgamma=(g * m_xhat).sum(axis=axes), dbeta=g.sum(axis=axes))
                # dpre's rounding, one independent error per element, adds up in quadrature in the
                # linear layer's sums (its terms cancel: db is 0 in exact arithmetic); the sums'
                # own rounding is that of the products of the actual dpre
                carried, own = linear(m_dpre, squared=True), linear(np.abs(dpre))
                grads = {k: carried[k] + own[k] for k in ("dx", "dw", "db")}
            out.update(dx=grads["dx"], dw=grads["dw"], db=grads["db"])
        return out
    return fn


_KEYS = ("out", "dx", "dw", "db")
_BN_KEYS = _KEYS + ("dgamma", "dbeta", "bn_param['running_mean']", "bn_param['running_var']")

model("affine_relu_forward", "affine_relu_backward", keys=_KEYS,
      reason="the affine layer's sums of products; the ReLU's mask copies them")(_sandwich("affine", False, False))
model("conv_relu_forward", "conv_relu_backward", keys=_KEYS,
      reason="the convolution's sums of products; the ReLU's mask copies them")(_sandwich("conv", False, False))
model("conv_relu_pool_forward", "conv_relu_pool_backward", keys=_KEYS,
      reason="the convolution's sums of products, copied by the ReLU and the pooling; dout routed to "
             "each window's maxima")(_sandwich("conv", False, True))
_BN_REASON = ("the linear layer's rounding and what x - mean rounds, amplified by 1/std; the way back, the "
              "normalization's gradient terms |gamma dout| / std carried through the linear layer's |w| and |x|")
model("affine_bn_relu_forward", "affine_bn_relu_backward", keys=_BN_KEYS,
      reason=_BN_REASON)(_sandwich("affine", True, False))
model("conv_bn_relu_forward", "conv_bn_relu_backward", keys=_BN_KEYS,
      reason=_BN_REASON + " (per channel)")(_sandwich("conv", True, False))
model("conv_bn_relu_pool_forward", "conv_bn_relu_pool_backward", keys=_BN_KEYS,
      reason=_BN_REASON + " (per channel), then the pooling's maxima")(_sandwich("conv", True, True))
