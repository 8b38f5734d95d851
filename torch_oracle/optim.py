"""Oracles for the update rules: the torch.optim optimizer run over the same gradient sequence.

Each adapter takes the initial w, the gradients of every step stacked as ``dws`` (steps, *w.shape),
the initial config (hyper-parameters only, or None for the contract's defaults) and an optional
learning rate per step (``schedule``). It returns the parameter after every step as ``next_w``
(stacked) and the contract's state after every step as ``config['<key>']``, converted from torch's
optimizer state. Adam also accepts, with a warning, the Adam paper's "efficient" form (epsilon
added to sqrt(v), the bias corrections folded into the step size): torch's Adam with
eps / sqrt(1 - beta2**t) at step t.

The contract's defaults are restated here, not imported from refimpl: the oracle stays independent
of the reference it judges.
"""
import math

import numpy as np
import torch

from ._autograd import numpy, tensor
from ._eager import eager, step as eager_step
from .views import Lenient

DEFAULTS = {
    "sgd": dict(learning_rate=1e-2),
    "sgd_momentum": dict(learning_rate=1e-2, momentum=0.9),
    "sgd_nesterov": dict(learning_rate=1e-2, momentum=0.9),
    "rmsprop": dict(learning_rate=1e-2, decay_rate=0.99, epsilon=1e-8),
    "adagrad": dict(learning_rate=1e-2, epsilon=1e-10),
    "adam": dict(learning_rate=1e-3, beta1=0.9, beta2=0.999, epsilon=1e-8),
    "adamw": dict(learning_rate=1e-3, beta1=0.9, beta2=0.999, epsilon=1e-8, weight_decay=1e-2),
}


def _optimizer(rule, param, c):
    lr = c["learning_rate"]
    if rule == "sgd":
        return torch.optim.SGD([param], lr=lr)
    if rule in ("sgd_momentum", "sgd_nesterov"):
        return torch.optim.SGD([param], lr=lr, momentum=c["momentum"], nesterov=rule == "sgd_nesterov")
    if rule == "rmsprop":
        return torch.optim.RMSprop([param], lr=lr, alpha=c["decay_rate"], eps=c["epsilon"])
    if rule == "adagrad":
        return torch.optim.Adagrad([param], lr=lr, eps=c["epsilon"])
    betas = (c["beta1"], c["beta2"])
    if rule == "adam":
        return torch.optim.Adam([param], lr=lr, betas=betas, eps=c["epsilon"])
    return torch.optim.AdamW([param], lr=lr, betas=betas, eps=c["epsilon"], weight_decay=c["weight_decay"])


def _contract_state(rule, state, lr):
    """The contract's state from torch's: (key, value) pairs."""
    if rule in ("sgd_momentum", "sgd_nesterov"):
        return [("velocity", -lr * state["momentum_buffer"])]
    if rule == "rmsprop":
        return [("cache", state["square_avg"])]
    if rule == "adagrad":
        return [("cache", state["sum"])]
    if rule in ("adam", "adamw"):
        return [("m", state["exp_avg"]), ("v", state["exp_avg_sq"]), ("t", state["step"])]
    return []


def _run(rule, w, dws, c, schedule, eps_at=None):
    """next_w after every step (stacked) and the contract's state after every step, by key;
    ``eps_at(t)``, when given, sets the optimizer's eps before step t."""
    param = torch.nn.Parameter(tensor(w))
    next_w, states = [], {}
    with eager():
        opt = _optimizer(rule, param, c)
        for step, g in enumerate(dws):
            if schedule is not None:
                opt.param_groups[0]["lr"] = float(schedule[step])
            if eps_at is not None:
                opt.param_groups[0]["eps"] = eps_at(step + 1)
            param.grad = tensor(g)
            eager_step(opt)
            next_w.append(numpy(param))
            for key, value in _contract_state(rule, opt.state[param], opt.param_groups[0]["lr"]):
                states.setdefault(key, []).append(numpy(torch.as_tensor(value, dtype=torch.float64)))
    return np.stack(next_w), {k: np.stack(v) for k, v in states.items()}


EFFICIENT_ADAM = ("adam adds epsilon to sqrt(v) and folds the bias corrections into the step size (the "
                  "Adam paper's 'efficient' form, as CS231n's optim.py does): that is torch's Adam with "
                  "epsilon / sqrt(1 - beta2**t), which differs on small gradients; torch.optim.Adam adds "
                  "epsilon to sqrt(v_hat)")


def trajectory(rule, w, dws, config, schedule):
    c = {**DEFAULTS[rule], **(config or {})}
    next_w, states = _run(rule, w, dws, c, schedule)
    expected = {"next_w": next_w, **{f"config['{k}']": v for k, v in states.items()}}
    if rule == "adam":
        # the paper's step lr * sqrt(1 - b2^t) / (1 - b1^t) * m / (sqrt(v) + eps) is torch's
        # lr * m_hat / (sqrt(v_hat) + eps / sqrt(1 - b2^t)): same moments, another denominator
        b2 = c["beta2"]
        efficient, _ = _run(rule, w, dws, c, schedule, eps_at=lambda t: c["epsilon"] / math.sqrt(1 - b2 ** t))
        expected["next_w"] = Lenient(next_w, efficient, EFFICIENT_ADAM)
    return expected


ORACLES = {
    "sgd": "optim.SGD(lr)",
    "sgd_momentum": "optim.SGD(lr, momentum); velocity = -learning_rate * momentum_buffer",
    "sgd_nesterov": "optim.SGD(lr, momentum, nesterov=True); velocity = -learning_rate * momentum_buffer",
    "rmsprop": "optim.RMSprop(lr, alpha=decay_rate, eps=epsilon); cache = square_avg",
    "adagrad": "optim.Adagrad(lr, eps=epsilon); cache = sum",
    "adam": "optim.Adam(lr, betas=(beta1, beta2), eps=epsilon); m, v, t = exp_avg, exp_avg_sq, step",
    "adamw": "optim.AdamW(lr, betas, eps, weight_decay); m, v, t = exp_avg, exp_avg_sq, step",
}


def _adapter(rule):
    def adapter(w, dws, config, schedule):
        return trajectory(rule, w, dws, config, schedule)
    adapter.__name__ = rule
    adapter.__doc__ = f"``{ORACLES[rule]}``, stepped over the same gradients (see the module docstring)."
    return adapter


sgd, sgd_momentum, sgd_nesterov, rmsprop, adagrad, adam, adamw = map(_adapter, DEFAULTS)
