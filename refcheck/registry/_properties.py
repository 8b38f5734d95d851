"""Builders of the diagnostic properties the generators declare (refcheck.cases.Property): the
questions the differential diagnosis asks of a failing function's cases ("does it fail only when
pad = 0?"). Each generator declares its own beside it, in its family's module. A property's two
labels complete "it fails only when ...": "pad = 0", "the input is not square (H != W)"."""
import numpy as np

from ..cases import Property


def one(size, what=None):
    """``size`` = 1 (``what``, e.g. "x is flat (K = 1)", says it otherwise)."""
    return Property(what or f"{size} = 1", f"{size} > 1", lambda v: getattr(v, size) == 1, vary=(size,))


def zero(size, yes, no):
    return Property(yes, no, lambda v: getattr(v, size) == 0, vary=(size,))


def edge(name, yes, no, flips=("seed",)):
    """The case is the edge ``name``; flipped to the same sizes in ``flips`` (seed: randomized)."""
    return Property(yes, no, lambda v: v.edge == name, edges=flips)


def remainder(shape_of, window_of, pad_of, stride_of, vary, sizes=("H + 2 * pad - HH", "W + 2 * pad - WW")):
    """The stride does not divide H + 2 * pad - HH (or the same along W): a last window that would
    hang over the edge, where a size computed with round() or ceil instead of floor shows."""
    def holds(v):
        h, w = shape_of(v)
        hh, ww = window_of(v)
        p, s = pad_of(v), stride_of(v)
        return (h + 2 * p - hh) % s != 0 or (w + 2 * p - ww) % s != 0
    return Property(f"the stride does not divide {sizes[0]} (or {sizes[1]})",
                    f"the stride divides {sizes[0]} and {sizes[1]}", holds, vary=vary)


def non_square(shape_of, what, vary):
    """``what``: "input (H != W)" gives "the input (H != W) is not square"."""
    name, _, detail = what.partition(" (")
    detail = f" ({detail}" if detail else ""
    return Property(f"the {name} is not square{detail}", f"the {name} is square",
                    lambda v: shape_of(v)[0] != shape_of(v)[1], vary=vary)


def any_value(arg, test, yes, no, vary=()):
    """A property of an argument's values (exact zeros, ties); flipped by drawing other values."""
    return Property(yes, no, lambda v: bool(test(np.asarray(v.args[arg]))), vary=vary, edges=("seed",))
