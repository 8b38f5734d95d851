"""One training step (forward, backward, SGD update) of a small convnet built from refimpl's fast
layers, and the same network in torch (nn.Sequential, optim.SGD) on the same inputs and weights.
Used by bench.py: ``agreement`` checks that the two compute the same loss and gradients (the
input's included: CS231n's conv_backward_fast always returns it, so torch computes it too),
``steps`` returns the two step functions that are timed.
"""
import math

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

import refimpl

POOL = {"pool_height": 2, "pool_width": 2, "stride": 2}

# layers: ("conv", filters, kernel, pad) (stride 1), ("relu",), ("pool",) (2x2, stride 2), ("affine", outputs);
# the scores end in softmax_loss / F.cross_entropy
NETWORKS = {
    # CS231n's ThreeLayerConvNet (assignment 2, ConvolutionalNetworks.ipynb): conv - relu - 2x2 max
    # pool - affine - relu - affine - softmax, with its default sizes
    "three-layer convnet (conv 32 7x7 - relu - pool - affine 100 - relu - affine 10)": [
        ("conv", 32, 7, 3), ("relu",), ("pool",), ("affine", 100), ("relu",), ("affine", 10)],
    "VGG-style 3x3 stack ([conv 32 3x3 - relu] x2 - pool - [conv 64 3x3 - relu] x2 - pool - affine 10)": [
        ("conv", 32, 3, 1), ("relu",), ("conv", 32, 3, 1), ("relu",), ("pool",),
        ("conv", 64, 3, 1), ("relu",), ("conv", 64, 3, 1), ("relu",), ("pool",), ("affine", 10)],
}
INPUT = (50, 3, 32, 32)  # N = 50 CIFAR-10-sized images, as the CS231n notebook trains with
CLASSES = 10
LEARNING_RATE = 1e-3


def make(layers, dtype, seed=0):
    """He-initialized weights (w as refimpl lays them out: conv (F, C, k, k), affine (D, M)),
    small random biases, inputs and labels."""
    rng = np.random.default_rng(seed)
    (n, c, h, w), d = INPUT, None
    params = []
    for layer in layers:
        if layer[0] == "conv":
            _, f, k, _ = layer
            params += [rng.standard_normal((f, c, k, k)) * math.sqrt(2 / (c * k * k)), 0.01 * rng.standard_normal(f)]
            c = f
        elif layer[0] == "pool":
            h, w = h // 2, w // 2
        elif layer[0] == "affine":
            d = d or c * h * w
            params += [rng.standard_normal((d, layer[1])) * math.sqrt(2 / d), 0.01 * rng.standard_normal(layer[1])]
            d = layer[1]
    x = rng.standard_normal(INPUT)
    y = rng.integers(0, CLASSES, n)
    return [p.astype(dtype) for p in params], x.astype(dtype), y


def refimpl_step(layers, params, x, y):
    """One step in place on ``params``; returns (loss, [dx] + the parameters' gradients)."""
    caches, a, it = [], x, iter(params)
    for layer in layers:
        if layer[0] == "conv":
            a, cache = refimpl.conv_forward_fast(a, next(it), next(it), {"stride": 1, "pad": layer[3]})
        elif layer[0] == "relu":
            a, cache = refimpl.relu_forward(a)
        elif layer[0] == "pool":
            a, cache = refimpl.max_pool_forward_fast(a, POOL)
        else:
            a, cache = refimpl.affine_forward(a, next(it), next(it))
        caches.append(cache)
    loss, d = refimpl.softmax_loss(a, y)
    grads = []
    for layer, cache in zip(reversed(layers), reversed(caches)):
        if layer[0] == "conv":
            d, dw, db = refimpl.conv_backward_fast(d, cache)
            grads += [db, dw]
        elif layer[0] == "relu":
            d = refimpl.relu_backward(d, cache)
        elif layer[0] == "pool":
            d = refimpl.max_pool_backward_fast(d, cache)
        else:
            d, dw, db = refimpl.affine_backward(d, cache)
            grads += [db, dw]
    grads = grads[::-1]
    config = {"learning_rate": LEARNING_RATE}
    params[:] = [refimpl.sgd(p, g, config)[0] for p, g in zip(params, grads)]
    return loss, [d] + grads


def torch_network(layers, params):
    """The same network as an nn.Sequential holding copies of ``params`` (affine w transposed)."""
    modules, it, c, flat = [], iter(params), INPUT[1], False
    for layer in layers:
        if layer[0] == "conv":
            w, b = next(it), next(it)
            conv = nn.Conv2d(c, layer[1], layer[2], padding=layer[3])
            conv.weight.data, conv.bias.data, c = torch.tensor(w), torch.tensor(b), layer[1]
            modules.append(conv)
        elif layer[0] == "relu":
            modules.append(nn.ReLU())
        elif layer[0] == "pool":
            modules.append(nn.MaxPool2d(2, 2))
        else:
            w, b = next(it), next(it)
            if not flat:
                modules.append(nn.Flatten())
                flat = True
            linear = nn.Linear(*w.shape)
            linear.weight.data, linear.bias.data = torch.tensor(w.T.copy()), torch.tensor(b)
            modules.append(linear)
    return nn.Sequential(*modules)


def torch_step_fn(layers, params, x, y, input_grad=True):
    """A function doing one step of the torch network (with the input's gradient unless
    ``input_grad`` is False, as a torch training loop would), and one returning the gradients
    ([dx] + the parameters', in refimpl's layouts; dx is None without the input's gradient)."""
    model = torch_network(layers, params)
    optimizer = torch.optim.SGD(model.parameters(), lr=LEARNING_RATE)
    xt, yt = torch.tensor(x, requires_grad=input_grad), torch.tensor(y)

    def step():
        optimizer.zero_grad(set_to_none=True)
        xt.grad = None
        loss = F.cross_entropy(model(xt), yt)
        loss.backward()
        optimizer.step()
        return loss

    def grads():
        out = [xt.grad]
        for m in model:
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                out += [m.weight.grad.T if isinstance(m, nn.Linear) else m.weight.grad, m.bias.grad]
        return [None if g is None else g.detach().numpy() for g in out]
    return step, grads


def agreement(layers, dtype, input_grad=True):
    """The worst relative difference ||refimpl - torch|| / ||torch|| over the loss, dx (with
    ``input_grad``) and every parameter's gradient after one step from the same weights, and the
    name of that output."""
    params, x, y = make(layers, dtype)
    loss, ours = refimpl_step(layers, [p.copy() for p in params], x, y)
    step, grads = torch_step_fn(layers, params, x, y, input_grad)
    theirs_loss = step().item()
    names = ["dx"] + [f"{kind}{i}" for i in range(len(params) // 2) for kind in ("dw", "db")]
    worst = (abs(loss - theirs_loss) / abs(theirs_loss), "loss")
    for name, a, b in zip(names, ours, grads()):
        if b is not None:
            worst = max(worst, (np.linalg.norm(a - b) / np.linalg.norm(b), name))
    return worst


def steps(layers, dtype, input_grad=True):
    """(refimpl's step, torch's step): fresh networks from the same weights, for timing."""
    params, x, y = make(layers, dtype)
    ours_params = [p.copy() for p in params]
    torch_step, _ = torch_step_fn(layers, params, x, y, input_grad)
    return (lambda: refimpl_step(layers, ours_params, x, y)), torch_step
