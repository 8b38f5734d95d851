"""How the implementation under test is called. This is the only code that runs the user's
functions; it turns whatever they return into plain NumPy arrays and notes, so that everything
after it (comparison, verdicts, hints) never touches user objects. Under isolation it runs in the
worker process.

A call object has ``needs`` (the contract names it calls, in order), ``compares`` (which output
keys the row judges) and ``__call__(get, inputs) -> Run``, where ``get(name)`` returns the
implementation's function.
"""
import copy
from dataclasses import dataclass, field

import numpy as np


class Malformed(Exception):
    """The implementation returned the wrong structure (an `error` verdict)."""


@dataclass
class Run:
    outputs: dict = field(default_factory=dict)     # key -> np.ndarray (copied at return time)
    untyped: set = field(default_factory=set)       # keys that were Python scalars (no dtype)
    warnings: list = field(default_factory=list)    # hazards that do not change results
    violations: list = field(default_factory=list)  # contract breaches that fail the case


def describe(value):
    if isinstance(value, (tuple, list)):
        return f"a {type(value).__name__} of {len(value)}"
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape}"
    return f"a {type(value).__name__}"


def to_array(run, key, value):
    """Store a copy of ``value`` as ``run.outputs[key]``; anything not array-like is Malformed."""
    if isinstance(value, (bool, int, float)):
        run.untyped.add(key)
    try:
        arr = np.array(value, copy=True)
    except Exception as exc:  # noqa: BLE001 - any failure to convert is the implementation's
        raise Malformed(f"{key} is {describe(value)}, not an array ({exc})") from None
    if arr.dtype.kind not in "biuf":
        raise Malformed(f"{key} is {describe(value)} of dtype {arr.dtype}, not a numeric array")
    run.outputs[key] = arr


def unpack(value, names, who):
    """Split a function's return value into the contract's names (one name: no tuple)."""
    if len(names) == 1:
        return {names[0]: value}
    if not isinstance(value, (tuple, list)) or len(value) != len(names):
        raise Malformed(f"{who} returned {describe(value)}, expected a tuple ({', '.join(names)})")
    return dict(zip(names, value))


def snapshot(values):
    return {k: a.copy() for k, a in values.items() if isinstance(a, np.ndarray)}


def note_modified(run, before, after, who):
    for k, old in before.items():
        if not np.array_equal(old, after[k], equal_nan=True):
            run.warnings.append(f"{who} modified its argument {k} in place")


def store_results(run, results, state_args=()):
    """Outputs by name (the cache stays opaque), then the arrays of state dicts such as bn_param."""
    for name, value in results.items():
        if name != "cache":
            to_array(run, name, value)
    for arg_name, state in state_args:
        if not isinstance(state, dict):
            continue
        for k, value in state.items():
            if isinstance(value, np.ndarray):
                to_array(run, f"{arg_name}['{k}']", value)


class Forward:
    """``name(*args)`` returning the contract's names; dict arguments (bn_param) report their arrays."""

    def __init__(self, name, returns):
        self.name, self.returns = name, returns.split()
        self.needs = (name,)
        self.compares = tuple(r for r in self.returns if r != "cache")

    def keys(self, expected):
        """The judged outputs: the returns (those the oracle gives) and the state in dict arguments."""
        return [k for k in expected if k in self.compares or "['" in k]

    def __call__(self, get, inputs):
        run = Run()
        args = copy.deepcopy(inputs.args)
        before = snapshot(args)
        results = unpack(get(self.name)(*args.values()), self.returns, self.name)
        note_modified(run, before, args, self.name)
        store_results(run, results, [(k, a) for k, a in args.items() if isinstance(a, dict)])
        return run


class Backward:
    """``forward(*args)`` then ``name(*douts, cache)``: a backward judged on its own forward's cache."""

    def __init__(self, name, forward, returns, forward_returns="out cache"):
        self.name, self.forward = name, Forward(forward, forward_returns)
        self.returns = returns.split()
        self.needs = (forward, name)
        self.compares = tuple(self.returns)

    def keys(self, expected):
        return list(self.compares)

    def __call__(self, get, inputs):
        run = Run()
        args = copy.deepcopy(inputs.args)
        fwd = unpack(get(self.forward.name)(*args.values()), self.forward.returns, self.forward.name)
        if "cache" not in fwd:
            raise Malformed(f"{self.forward.name} returned no cache")
        douts = {k: a.copy() for k, a in inputs.douts.items()}
        before = snapshot(douts)
        results = unpack(get(self.name)(*douts.values(), fwd["cache"]), self.returns, self.name)
        note_modified(run, before, douts, self.name)
        # the forward's own outputs ride along: some oracles judge the backward against them
        store_results(run, {f"forward {k}": v for k, v in fwd.items() if k != "cache"})
        store_results(run, results)
        return run
