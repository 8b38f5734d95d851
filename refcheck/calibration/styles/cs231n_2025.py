"""The update rules CS231n 2025 ships already written in ``optim.py`` (transcribed from the
formulas they use, not copied): they update w in place and return it, keep their state arrays
in place too, and its Adam is the paper's "efficient" form, the bias corrections folded into the
step size lr * sqrt(1 - beta2**t) / (1 - beta1**t) and epsilon added to sqrt(v). Both earn the
contract's warnings, nothing else."""
import numpy as np

IN_PLACE = "updates w in place"
WARNINGS = {"sgd": (IN_PLACE,), "sgd_momentum": (IN_PLACE,), "rmsprop": (IN_PLACE,),
            "adam": (IN_PLACE, "efficient' form")}


def sgd(w, dw, config=None):
    config = {} if config is None else config
    config.setdefault("learning_rate", 1e-2)
    w -= config["learning_rate"] * dw
    return w, config


def sgd_momentum(w, dw, config=None):
    config = {} if config is None else config
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("momentum", 0.9)
    velocity = config.get("velocity", np.zeros_like(w))
    velocity *= config["momentum"]
    velocity -= config["learning_rate"] * dw
    w += velocity
    config["velocity"] = velocity
    return w, config


def rmsprop(w, dw, config=None):
    config = {} if config is None else config
    for key, value in (("learning_rate", 1e-2), ("decay_rate", 0.99), ("epsilon", 1e-8)):
        config.setdefault(key, value)
    config.setdefault("cache", np.zeros_like(w))
    rho = config["decay_rate"]
    config["cache"] *= rho
    config["cache"] += (1 - rho) * dw ** 2
    w += -(config["learning_rate"] * dw) / (np.sqrt(config["cache"]) + config["epsilon"])
    return w, config


def adam(w, dw, config=None):
    config = {} if config is None else config
    for key, value in (("learning_rate", 1e-3), ("beta1", 0.9), ("beta2", 0.999), ("epsilon", 1e-8)):
        config.setdefault(key, value)
    for key in ("m", "v"):
        config.setdefault(key, np.zeros_like(w))
    config.setdefault("t", 0)
    b1, b2 = config["beta1"], config["beta2"]
    m = b1 * config["m"] + (1 - b1) * dw
    v = b2 * config["v"] + (1 - b2) * dw * dw
    t = config["t"] + 1
    step_size = config["learning_rate"] * np.sqrt(1 - b2 ** t) / (1 - b1 ** t)
    w -= step_size * (m / (np.sqrt(v) + config["epsilon"]))
    config.update(m=m, v=v, t=t)
    return w, config
