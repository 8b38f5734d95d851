"""An entry of the bad-input table and the helpers that build one (see the package's docstring)."""
from dataclasses import dataclass, field

import numpy as np

from ...cases import Case

NAN, INF = float("nan"), float("inf")


@dataclass(frozen=True)
class Entry:
    label: str
    change: dict                                # argument or upstream gradient -> value or fn(args)
    match: str = None                           # rejects: the ValueError's message matches this
    sizes: dict = field(default_factory=dict)   # sizes pinned in the base case
    dtype: str = "float64"
    token: str = "seed0"

    @property
    def rejects(self):
        return self.match is not None

    def inputs(self, row):
        """The case and the changed inputs (refcheck.cases.Inputs) of this entry for ``row``."""
        gen = row.gen.variant(**{k: (n, n) for k, n in self.sizes.items()}) if self.sizes else row.gen
        case = Case(self.dtype, self.token)
        inputs = gen(case)
        current = {**inputs.args, **inputs.douts}
        for name, value in self.change.items():
            where = inputs.args if name in inputs.args else inputs.douts
            if name not in where:
                raise KeyError(f"{row.name} has no argument {name!r} to change ({self.label})")
            where[name] = value(current) if callable(value) else value
        return case, inputs


def rejects(label, match, sizes=None, dtype="float64", token="seed0", **change):
    return Entry(label, change, match, sizes or {}, dtype, token)


def computes(label, sizes=None, dtype="float64", token="seed0", **change):
    return Entry(label, change, None, sizes or {}, dtype, token)


def put(name, value, at=0):
    """A copy of argument ``name`` with ``value`` at flat index ``at`` (or values at indices)."""
    def change(args):
        a = np.array(args[name])
        a.flat[at] = value
        return a
    return change


def reversed_box(name, row=0, axis="x"):
    """A copy of the boxes ``name`` whose row ``row`` has x1 and x2 (axis "y": y1 and y2) swapped,
    so x2 < x1 (y2 < y1)."""
    cols = [0, 2] if axis == "x" else [1, 3]

    def change(args):
        a = np.array(args[name])
        a[row, cols] = a[row, cols[::-1]]
        return a
    return change


def param(name, **updates):
    """A copy of the dict argument ``name`` with some keys replaced."""
    return lambda args: {**args[name], **updates}


def pixels(name, scale=60.0, offset=128.0):
    """Argument ``name`` moved to pixel range (``offset + scale * value``), in its own dtype: sums
    of squares there overflow float16's 65504."""
    return lambda args: (np.asarray(args[name], np.float32) * scale + offset).astype(np.asarray(args[name]).dtype)
