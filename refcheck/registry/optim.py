"""Rows for the update rules: whole trajectories against torch.optim."""
import copy

import numpy as np

from ..calls import Malformed, Run, Signature, to_array, unchanged, unpack
from ..cases import Gen, Property
from . import Row

STATE = {"sgd": (), "sgd_momentum": ("velocity",), "sgd_nesterov": ("velocity",), "rmsprop": ("cache",),
         "adagrad": ("cache",), "adam": ("m", "v", "t"), "adamw": ("m", "v", "t")}

# Non-default hyper-parameters: the range each is drawn from when a case customizes them.
HYPER = {"learning_rate": (1e-4, 1e-1), "momentum": (0.5, 0.99), "decay_rate": (0.5, 0.999),
         "beta1": (0.5, 0.95), "beta2": (0.9, 0.9999), "epsilon": (1e-10, 1e-4), "weight_decay": (0.0, 0.1)}
KEYS = {"sgd": ("learning_rate",), "sgd_momentum": ("learning_rate", "momentum"),
        "sgd_nesterov": ("learning_rate", "momentum"), "rmsprop": ("learning_rate", "decay_rate", "epsilon"),
        "adagrad": ("learning_rate", "epsilon"), "adam": ("learning_rate", "beta1", "beta2", "epsilon"),
        "adamw": ("learning_rate", "beta1", "beta2", "epsilon", "weight_decay")}
# CS231n momentum keeps the learning rate inside the velocity while torch applies it per step, so
# the two formulations part ways once the learning rate changes: those rules keep a fixed one.
SCHEDULE_AGREES = {"sgd", "rmsprop", "adagrad", "adam", "adamw"}
SHAPES = ((), (1,), (7,), (3, 4), (2, 3, 2, 2))


def optim_gen(rule):
    """Trajectories of 1..100 steps on w of shape SHAPES[rank]; gradients of magnitude 10**(mag - 8)
    (1e-8 .. 1e3: epsilon placement only shows on small gradients), per element when mixed=1."""
    def gen(c):
        shape = SHAPES[c.rank]
        w = c.randn(*shape)
        scales = 10.0 ** (c.rng.uniform(-8, 3, size=shape) if c.mixed else c.mag - 8)
        dws = c.cast(c.raw(c.steps, *shape) * scales)
        config = None
        if c.custom:
            config = {k: float(np.exp(c.rng.uniform(*np.log(HYPER[k])))) if k in ("learning_rate", "epsilon")
                      else float(c.uniform(*HYPER[k], cast=False)) for k in KEYS[rule]}
        elif c.partial:
            config = {"learning_rate": 10.0 ** -int(c.rng.integers(1, 4))}
        schedule = None
        if c.schedule:
            schedule = 10.0 ** c.rng.uniform(-4, -1, size=c.steps)
        return dict(w=w, dws=dws, config=config, schedule=schedule), {}
    gen.__name__ = f"optim_{rule}"
    sizes = dict(steps=(1, 100), rank=(0, len(SHAPES) - 1), mag=(0, 11), mixed=(0, 1), custom=(0, 1),
                 partial=(0, 1), schedule=(0, 1 if rule in SCHEDULE_AGREES else 0))
    edges = {"one_step": {"steps": 1}, "long_run": {"steps": 100, "mixed": 1},
             "tiny_gradients": {"mag": 0, "mixed": 0, "steps": 30}, "huge_gradients": {"mag": 11, "mixed": 0},
             "scalar": {"rank": 0}, "defaults": {"custom": 0, "partial": 0}}
    if rule in SCHEDULE_AGREES:
        edges["lr_changes"] = {"schedule": 1, "steps": 40}
    gen = Gen(gen, sizes, edges).declare(
        Property("there is more than one step", "there is one step", lambda v: v.steps > 1, vary=("steps",)),
        Property("config is None or sets only the learning rate", "config sets every hyper-parameter",
                 lambda v: v.custom == 0, vary=("custom",)),
        Property("the gradients are tiny (|dw| < 1e-4)", "the gradients are not tiny",
                 lambda v: np.abs(v.args["dws"]).max(initial=0) < 1e-4, vary=("mag", "mixed")))
    if rule in SCHEDULE_AGREES:
        gen.declare(Property("the learning rate changes between steps", "the learning rate is fixed",
                             lambda v: v.schedule == 1, vary=("schedule",)))
    return gen


class Trajectory:
    """Calls ``rule(w, dw, config)`` once per step, feeding next_w and config back as a training loop
    would, and records next_w and the state after every step. ``dw`` must not be modified (a
    failure); modifying ``w`` in place is a warning when next_w is that same array, else a failure."""

    def __init__(self, rule):
        self.signature = Signature.parse(f"{rule}(w, dw, config) -> next_w, config")
        self.name, self.needs, self.returns = rule, (rule,), self.signature.returns
        self.compares = ("next_w",) + tuple(f"config['{k}']" for k in STATE[rule])

    def keys(self, expected):
        return list(self.compares)

    def invocations(self, inputs):
        """(signature, arguments) of the first step (tests/test_calls.py)."""
        return [(self.signature, {"w": inputs.args["w"], "dw": np.array(inputs.args["dws"][0]),
                                  "config": copy.deepcopy(inputs.args["config"])})]

    def __call__(self, get, inputs):
        rule, run = get(self.name), Run()
        w = inputs.args["w"].copy()
        config = copy.deepcopy(inputs.args["config"])
        schedule = inputs.args["schedule"]
        history = {k: [] for k in self.compares}
        warned = False  # of w updated in place and returned: said once, not checked again
        for step, dw in enumerate(inputs.args["dws"]):
            dw = np.array(dw)  # a 0-d array for scalar parameters, not a NumPy scalar
            if schedule is not None:
                config = {} if config is None else config
                config["learning_rate"] = float(schedule[step])
            dw_arg, w_before = dw.copy(), w.copy()
            returned = unpack(self.signature.invoke(rule, {"w": w, "dw": dw_arg, "config": config}),
                              ["next_w", "config"], self.name)
            next_w, config = returned["next_w"], returned["config"]
            if not unchanged(dw, dw_arg):
                run.violations.append(f"{self.name} modified dw in place (step {step + 1})")
            if isinstance(w, np.ndarray) and not (warned and next_w is w) and not unchanged(w_before, w):
                if next_w is w:
                    run.warnings.append(f"{self.name} updates w in place (and returns it)")
                    warned = True
                else:
                    run.violations.append(f"{self.name} modified w in place but returned another array "
                                          f"(step {step + 1})")
            if not isinstance(config, dict):
                raise Malformed(f"{self.name} returned config as {type(config).__name__}, not a dict")
            history["next_w"].append(np.array(next_w, copy=True))
            for key in STATE[self.name]:
                if key not in config:
                    raise Malformed(f"{self.name}'s config has no {key!r} after step {step + 1}")
                history[f"config['{key}']"].append(np.array(config[key], copy=True))
            w = next_w
        for key, values in history.items():
            try:
                stacked = np.stack(values)
            except ValueError as exc:
                raise Malformed(f"{key} changes shape between steps ({exc})") from None
            to_array(run, key, stacked)
        return run


ROWS = [Row(rule, optim_gen(rule), f"optim:{rule}", Trajectory(rule)) for rule in STATE]
