"""Mutants of the update rules."""
import numpy as np

import refimpl

from . import mutant

EPS_INSIDE = ("epsilon is inside the square root: use sqrt(cache) + epsilon (it shows on small gradients).")


@mutant("sgd", "config['learning_rate'] is ignored (a fixed 1e-2 is used).")
def sgd_fixed_rate(w, dw, config=None):
    config = {} if config is None else config
    config.setdefault("learning_rate", 1e-2)
    return w - 1e-2 * dw, config


@mutant("sgd_momentum", "velocity holds torch's momentum_buffer (velocity = momentum * velocity + dw, "
                        "w -= learning_rate * velocity); the contract's velocity includes "
                        "-learning_rate (velocity = momentum * velocity - learning_rate * dw; w += velocity).")
def sgd_momentum_torch_buffer(w, dw, config=None):
    config = {} if config is None else config
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("momentum", 0.9)
    v = config["momentum"] * config.get("velocity", np.zeros_like(w)) + dw
    config["velocity"] = v
    return w - config["learning_rate"] * v, config


@mutant("sgd_momentum", "The velocity's sign is flipped (stored as +learning_rate * dw and subtracted).")
def sgd_momentum_velocity_sign(w, dw, config=None):
    config = {} if config is None else config
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("momentum", 0.9)
    v = config["momentum"] * config.get("velocity", np.zeros_like(w)) + config["learning_rate"] * dw
    config["velocity"] = v
    return w - v, config


@mutant("sgd_nesterov", "This is plain momentum (w + velocity); Nesterov steps to "
                        "w + momentum * velocity - learning_rate * dw.")
def sgd_nesterov_plain(w, dw, config=None):
    return refimpl.sgd_momentum(w, dw, config)


@mutant("rmsprop", EPS_INSIDE)
def rmsprop_eps_inside(w, dw, config=None):
    config = refimpl.rmsprop(w, dw, config)[1]
    return w - config["learning_rate"] * dw / np.sqrt(config["cache"] + config["epsilon"]), config


@mutant("rmsprop", "decay_rate weights the new squared gradient; it should weight the old cache.")
def rmsprop_decay_swapped(w, dw, config=None):
    config = {} if config is None else config
    for k, v in dict(learning_rate=1e-2, decay_rate=0.99, epsilon=1e-8).items():
        config.setdefault(k, v)
    d = config["decay_rate"]
    config["cache"] = (1 - d) * config.get("cache", np.zeros_like(w)) + d * dw * dw
    return w - config["learning_rate"] * dw / (np.sqrt(config["cache"]) + config["epsilon"]), config


@mutant("adagrad", EPS_INSIDE)
def adagrad_eps_inside(w, dw, config=None):
    config = refimpl.adagrad(w, dw, config)[1]
    return w - config["learning_rate"] * dw / np.sqrt(config["cache"] + config["epsilon"]), config


def _adam_parts(w, dw, config):
    config = {} if config is None else config
    for k, v in dict(learning_rate=1e-3, beta1=0.9, beta2=0.999, epsilon=1e-8).items():
        config.setdefault(k, v)
    b1, b2 = config["beta1"], config["beta2"]
    config["m"] = b1 * config.get("m", np.zeros_like(w)) + (1 - b1) * dw
    config["v"] = b2 * config.get("v", np.zeros_like(w)) + (1 - b2) * dw * dw
    return config, b1, b2


@mutant("adam", "No bias correction: divide m by (1 - beta1**t) and v by (1 - beta2**t).")
def adam_no_bias_correction(w, dw, config=None):
    config, b1, b2 = _adam_parts(w, dw, config)
    config["t"] = config.get("t", 0) + 1
    return w - config["learning_rate"] * config["m"] / (np.sqrt(config["v"]) + config["epsilon"]), config


@mutant("adam", "The bias correction is one step late: increment t before using it (the first step uses t = 1).")
def adam_bias_correction_late(w, dw, config=None):
    config, b1, b2 = _adam_parts(w, dw, config)
    t = config.get("t", 0)
    t_used = max(t, 1)  # t = 0 would divide by zero: the late correction reuses t = 1 once
    config["t"] = t + 1
    m_hat, v_hat = config["m"] / (1 - b1**t_used), config["v"] / (1 - b2**t_used)
    return w - config["learning_rate"] * m_hat / (np.sqrt(v_hat) + config["epsilon"]), config


@mutant("adam", EPS_INSIDE.replace("cache", "v_hat"))
def adam_eps_inside(w, dw, config=None):
    config, b1, b2 = _adam_parts(w, dw, config)
    config["t"] = t = config.get("t", 0) + 1
    m_hat, v_hat = config["m"] / (1 - b1**t), config["v"] / (1 - b2**t)
    return w - config["learning_rate"] * m_hat / np.sqrt(v_hat + config["epsilon"]), config


@mutant("adamw", "The weight decay is added to the gradient (Adam with L2, torch's Adam(weight_decay=)); "
                 "AdamW decays w directly: w * (1 - learning_rate * weight_decay).")
def adamw_l2_in_gradient(w, dw, config=None):
    config = {} if config is None else config
    config.setdefault("weight_decay", 1e-2)
    wd = config["weight_decay"]
    return refimpl.adam(w, dw + wd * w, config)


@mutant("sgd_momentum", "dw is modified in place (scaled by the learning rate); an update rule must "
                        "leave dw untouched.")
def sgd_momentum_scales_dw_in_place(w, dw, config=None):
    config = {} if config is None else config
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("momentum", 0.9)
    dw *= config["learning_rate"]
    v = config["momentum"] * config.get("velocity", np.zeros_like(w)) - dw
    config["velocity"] = v
    return w + v, config


T_NEVER_INCREMENTED = ("t is never incremented: config['t'] must count the steps (t = config['t'] + 1, then "
                       "store it back) so that the bias correction divides by 1 - beta**t of this step.")
T_STARTS_AT_ONE = ("t starts at 1 and is incremented before it is used, so the first step uses t = 2: start "
                   "from config.setdefault('t', 0).")


@mutant("adam", T_NEVER_INCREMENTED)
def adam_t_never_incremented(w, dw, config=None):
    config, b1, b2 = _adam_parts(w, dw, config)
    t = config.setdefault("t", 0) + 1   # used, never stored
    m_hat, v_hat = config["m"] / (1 - b1**t), config["v"] / (1 - b2**t)
    return w - config["learning_rate"] * m_hat / (np.sqrt(v_hat) + config["epsilon"]), config


@mutant("adam", T_STARTS_AT_ONE)
def adam_t_starts_at_one(w, dw, config=None):
    config, b1, b2 = _adam_parts(w, dw, config)
    config["t"] = t = config.get("t", 1) + 1
    m_hat, v_hat = config["m"] / (1 - b1**t), config["v"] / (1 - b2**t)
    return w - config["learning_rate"] * m_hat / (np.sqrt(v_hat) + config["epsilon"]), config


@mutant("adam", "No bias correction: divide m by (1 - beta1**t) and v by (1 - beta2**t). " + T_NEVER_INCREMENTED,
        combines=("adam_no_bias_correction", "adam_t_never_incremented"))
def adam_no_bias_correction_t_never_incremented(w, dw, config=None):
    config, b1, b2 = _adam_parts(w, dw, config)
    config.setdefault("t", 0)
    return w - config["learning_rate"] * config["m"] / (np.sqrt(config["v"]) + config["epsilon"]), config
