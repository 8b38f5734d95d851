"""The sandwich layers of a style, chained from the style's own layers as CS231n's layer_utils.py
chains the student's (and EECS 498's Linear_ReLU, Conv_BatchNorm_ReLU_Pool, ... classes chain
theirs): a style that writes the layers a sandwich is made of gets that sandwich, so the
sandwiches are calibrated on the loops' and the staged graphs' rounding as well as refimpl's.
The convolutions and poolings are the style's naive ones; the ReLU, exact whoever writes it, is
``np.maximum`` and its mask where the style writes none."""
import numpy as np


def _relu_forward(x):
    return np.maximum(x, 0), x


def _relu_backward(dout, x):
    return np.where(x > 0, dout, 0).astype(dout.dtype)


def sandwiches(layers):
    """{name: function} of the sandwiches that ``layers`` (a style's namespace) can chain."""
    f = dict(layers)
    relu, relu_back = f.get("relu_forward", _relu_forward), f.get("relu_backward", _relu_backward)
    out = {}

    def chain(name, linear, norm=None, pool=False):
        """``name``_forward / _backward: ``linear`` ("affine" or "conv"), the normalization ``norm``,
        the ReLU, the pooling; the arguments after x, w, b in the contract's order."""
        lin = ("affine_forward", "affine_backward") if linear == "affine" else ("conv_forward_naive",
                                                                                "conv_backward_naive")
        needed = [*lin] + ([f"{norm}_forward", f"{norm}_backward"] if norm else []) + \
            (["max_pool_forward_naive", "max_pool_backward_naive"] if pool else [])
        if not all(n in f for n in needed):
            return
        names = (["gamma", "beta"] if norm else []) + (["conv_param"] if linear == "conv" else []) + \
            (["bn_param"] if norm else []) + (["pool_param"] if pool else [])

        def forward(x, w, b, *rest):
            p = dict(zip(names, rest))
            a, lin_cache = f[lin[0]](x, w, b, *([p["conv_param"]] if linear == "conv" else []))
            caches = [lin_cache]
            if norm:
                a, bn_cache = f[f"{norm}_forward"](a, p["gamma"], p["beta"], p["bn_param"])
                caches.append(bn_cache)
            a, relu_cache = relu(a)
            caches.append(relu_cache)
            if pool:
                a, pool_cache = f["max_pool_forward_naive"](a, p["pool_param"])
                caches.append(pool_cache)
            return a, tuple(caches)

        def backward(dout, cache):
            caches = list(cache)
            if pool:
                dout = f["max_pool_backward_naive"](dout, caches.pop())
            dout = relu_back(dout, caches.pop())
            norm_grads = ()
            if norm:
                dout, dgamma, dbeta = f[f"{norm}_backward"](dout, caches.pop())
                norm_grads = (dgamma, dbeta)
            return (*f[lin[1]](dout, caches.pop()), *norm_grads)

        out[f"{name}_forward"], out[f"{name}_backward"] = forward, backward

    chain("affine_relu", "affine")
    chain("affine_bn_relu", "affine", norm="batchnorm")
    chain("conv_relu", "conv")
    chain("conv_relu_pool", "conv", pool=True)
    chain("conv_bn_relu", "conv", norm="spatial_batchnorm")
    chain("conv_bn_relu_pool", "conv", norm="spatial_batchnorm", pool=True)
    return out
