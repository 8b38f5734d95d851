"""Oracles for the update rules: the torch.optim optimizer run over the same gradient sequence.

Each adapter takes the initial w, the gradients of every step stacked as ``dws`` (steps, *w.shape),
the initial config (hyper-parameters only, or None for the contract's defaults) and an optional
learning rate per step (``schedule``). It returns the parameter after every step as ``next_w``
(stacked) and the contract's state after every step as ``config['<key>']``, converted from torch's
optimizer state. The tolerance's scale is the parameters' largest magnitude for next_w, and the
state is judged in units of the gradients' scale (``max |dw|`` or its square, tolerance scale 1),
so a moment of 1e-16 is compared as carefully as one of 1.

The contract's defaults are restated here, not imported from refimpl: the oracle stays independent
of the reference it judges.
"""
import numpy as np
import torch

from ._autograd import numpy, tensor

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
    """The contract's state from torch's: (key, value, power of the gradient scale it carries)."""
    if rule in ("sgd_momentum", "sgd_nesterov"):
        return [("velocity", -lr * state["momentum_buffer"], 1)]
    if rule == "rmsprop":
        return [("cache", state["square_avg"], 2)]
    if rule == "adagrad":
        return [("cache", state["sum"], 2)]
    if rule in ("adam", "adamw"):
        return [("m", state["exp_avg"], 1), ("v", state["exp_avg_sq"], 2), ("t", state["step"], 0)]
    return []


def trajectory(rule, w, dws, config, schedule):
    c = {**DEFAULTS[rule], **(config or {})}
    param = torch.nn.Parameter(tensor(w))
    opt = _optimizer(rule, param, c)
    next_w, states, powers = [], {}, {}
    for step, g in enumerate(dws):
        if schedule is not None:
            opt.param_groups[0]["lr"] = float(schedule[step])
        param.grad = tensor(g)
        opt.step()
        next_w.append(numpy(param))
        for key, value, power in _contract_state(rule, opt.state[param], opt.param_groups[0]["lr"]):
            states.setdefault(key, []).append(numpy(torch.as_tensor(value, dtype=torch.float64)))
            powers[key] = power
    next_w = np.stack(next_w)
    w_scale = max(1.0, float(np.abs(next_w).max(initial=0)), float(np.abs(w).max(initial=0)))
    expected = {"next_w": lambda a: (a["next_w"], next_w, w_scale)}
    unit = float(np.abs(dws).max(initial=0)) or 1.0  # all-zero gradients leave the state at 0 in any unit
    for key, values in states.items():
        name, scale = f"config['{key}']", unit ** powers[key]
        want = np.stack(values) / scale
        expected[name] = (lambda a, name=name, want=want, scale=scale:
                          (np.asarray(a[name], dtype=np.float64) / scale, want, 1.0))
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
