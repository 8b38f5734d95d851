"""First-order update rules (CS231n ``optim.py``) and the ones people reach for next.

Each rule takes ``(w, dw, config=None)`` and returns ``(next_w, config)``. ``config`` holds the
hyper-parameters (defaults filled in on the first call) and the state carried between calls; it is
updated in place and returned. ``w`` and ``dw`` are never modified: next_w is a new array.
Hyper-parameters torch.optim rejects are rejected (a negative learning rate, momentum, decay rate,
epsilon or weight decay; betas outside [0, 1); Nesterov without momentum), and so are NaN, a state
array whose shape is not w's, and a step count t that is not a whole number >= 0. float16 w and dw
are computed in float32; next_w is float16, the state in config float32.

Relation to torch.optim (same trajectories; the oracle converts the state):
- sgd_momentum, sgd_nesterov: velocity = -learning_rate * torch's momentum_buffer. CS231n keeps
  the learning rate inside the velocity, torch applies it at each step, so the two disagree after
  the learning rate changes between steps;
- rmsprop: cache = torch's square_avg (alpha = decay_rate); adagrad: cache = torch's sum;
- adam, adamw: m, v, t = torch's exp_avg, exp_avg_sq, step (t counts steps taken, incremented
  before use); adamw decays w by (1 - learning_rate * weight_decay) before the Adam step.
"""
import numpy as np

from . import _validate as v


# The hyper-parameters' ranges, as torch.optim checks them (NaN is rejected too): (low, high, high_open).
LIMITS = {"learning_rate": (0, None, False), "momentum": (0, None, False), "decay_rate": (0, None, False),
          "epsilon": (0, None, False), "weight_decay": (0, None, False),
          "beta1": (0, 1, True), "beta2": (0, 1, True)}


def _start(w, dw, config, **defaults):
    w = v.floats("w", w)
    dw = v.floats("dw", dw)
    v.shape("dw", dw, w.shape, " (the shape of w)")
    config = v.params("config", config)
    for key, value in defaults.items():
        config.setdefault(key, value)
        low, high, high_open = LIMITS[key]
        v.number(f"config['{key}']", config[key], low, high, high_open=high_open)
    return w, dw, config


def _state(config, key, w):
    """The state array ``key`` (zeros like w on the first step), which must have w's shape."""
    value = config.get(key)
    return np.zeros_like(w) if value is None else v.state(f"config['{key}']", value, w)


@v.float16_as_float32
def sgd(w, dw, config=None):
    """``w - learning_rate * dw``. config: learning_rate (1e-2). torch: ``optim.SGD``."""
    w, dw, config = _start(w, dw, config, learning_rate=1e-2)
    return w - config["learning_rate"] * dw, config


@v.float16_as_float32
def sgd_momentum(w, dw, config=None):
    """``velocity = momentum * velocity - learning_rate * dw; next_w = w + velocity``.

    config: learning_rate (1e-2), momentum (0.9), velocity (zeros). torch: ``optim.SGD(momentum=)``.
    """
    w, dw, config = _start(w, dw, config, learning_rate=1e-2, momentum=0.9)
    velocity = config["momentum"] * _state(config, "velocity", w) - config["learning_rate"] * dw
    config["velocity"] = velocity
    return w + velocity, config


@v.float16_as_float32
def sgd_nesterov(w, dw, config=None):
    """Nesterov momentum: velocity as sgd_momentum, ``next_w = w + momentum * velocity - learning_rate * dw``.

    config: learning_rate (1e-2), momentum (0.9), velocity (zeros). torch: ``optim.SGD(momentum=, nesterov=True)``.
    """
    w, dw, config = _start(w, dw, config, learning_rate=1e-2, momentum=0.9)
    v.number("config['momentum']", config["momentum"], 0, low_open=True)  # torch: Nesterov needs momentum > 0
    step = config["learning_rate"] * dw
    velocity = config["momentum"] * _state(config, "velocity", w) - step
    config["velocity"] = velocity
    return w + config["momentum"] * velocity - step, config


@v.float16_as_float32
def rmsprop(w, dw, config=None):
    """``cache = decay_rate * cache + (1 - decay_rate) * dw**2; next_w = w - learning_rate * dw / (sqrt(cache) + epsilon)``.

    config: learning_rate (1e-2), decay_rate (0.99), epsilon (1e-8), cache (zeros).
    torch: ``optim.RMSprop(alpha=decay_rate, eps=epsilon)``.
    """
    w, dw, config = _start(w, dw, config, learning_rate=1e-2, decay_rate=0.99, epsilon=1e-8)
    decay = config["decay_rate"]
    cache = decay * _state(config, "cache", w) + (1 - decay) * dw * dw
    config["cache"] = cache
    return w - config["learning_rate"] * dw / (np.sqrt(cache) + config["epsilon"]), config


@v.float16_as_float32
def adagrad(w, dw, config=None):
    """``cache = cache + dw**2; next_w = w - learning_rate * dw / (sqrt(cache) + epsilon)``.

    config: learning_rate (1e-2), epsilon (1e-10), cache (zeros). torch: ``optim.Adagrad(eps=epsilon)``
    (lr_decay 0, initial_accumulator_value 0).
    """
    w, dw, config = _start(w, dw, config, learning_rate=1e-2, epsilon=1e-10)
    cache = _state(config, "cache", w) + dw * dw
    config["cache"] = cache
    return w - config["learning_rate"] * dw / (np.sqrt(cache) + config["epsilon"]), config


def _adam_step(w, dw, config):
    b1, b2 = config["beta1"], config["beta2"]
    config["t"] = t = v.whole("config['t']", config.get("t", 0), minimum=0) + 1
    config["m"] = m = b1 * _state(config, "m", w) + (1 - b1) * dw
    config["v"] = vv = b2 * _state(config, "v", w) + (1 - b2) * dw * dw
    m_hat = m / (1 - b1**t)
    v_hat = vv / (1 - b2**t)
    return config["learning_rate"] * m_hat / (np.sqrt(v_hat) + config["epsilon"])


@v.float16_as_float32
def adam(w, dw, config=None):
    """Adam with bias correction: ``next_w = w - learning_rate * m_hat / (sqrt(v_hat) + epsilon)``.

    config: learning_rate (1e-3), beta1 (0.9), beta2 (0.999), epsilon (1e-8), m and v (zeros), t (0;
    incremented before use, so the first step uses t = 1). torch: ``optim.Adam``.
    """
    w, dw, config = _start(w, dw, config, learning_rate=1e-3, beta1=0.9, beta2=0.999, epsilon=1e-8)
    return w - _adam_step(w, dw, config), config


@v.float16_as_float32
def adamw(w, dw, config=None):
    """Adam with decoupled weight decay: ``w * (1 - learning_rate * weight_decay)`` minus the Adam step.

    config: as adam plus weight_decay (1e-2). torch: ``optim.AdamW``.
    """
    w, dw, config = _start(w, dw, config, learning_rate=1e-3, beta1=0.9, beta2=0.999, epsilon=1e-8,
                           weight_decay=1e-2)
    decayed = w * (1 - config["learning_rate"] * config["weight_decay"])
    return decayed - _adam_step(w, dw, config), config
