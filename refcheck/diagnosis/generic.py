"""Hypotheses that hold whatever the function: an output exactly zero, a known factor off, the
right values in the wrong shape, float32 precision on a float64 case, a forward that is already
wrong under its backward, a size computed as a float."""
import numpy as np

from .. import tolerances
from . import EXCEPTION, Match, hypothesis


def zero_hint(key):
    """The sentence for an output left at zeros (the zoo's mutants of that mistake use it too)."""
    if key in tolerances.GRADIENTS:
        return (f"{key} is exactly 0 everywhere: it is never computed (the array stays as initialized, "
                f"e.g. np.zeros_like); compute {key}.")
    return f"{key} is exactly 0 everywhere: nothing is ever written into it; compute {key}."


@hypothesis(rank=2)
def output_all_zero(s):
    found = []
    for key in s.failing:
        actual = s.outputs.get(key)
        if actual is None or actual.size == 0 or actual.dtype.kind != "f" or np.any(actual != 0):
            continue
        if s.explains(key, np.zeros_like(actual)):
            found.append(Match(frozenset([key]), f"zero {key}", zero_hint(key), f"{key} is exactly 0 everywhere"))
    return found


# Factors that name a mistake: (reading, factor from the sizes) over the sizes a case has.
def _factors(sizes):
    yield "-1", -1.0
    yield "2", 2.0
    yield "1/2", 0.5
    for name, value in sizes.items():
        if len(name) <= 2 and name[0].isupper() and value >= 2:
            yield name, float(value)
            yield f"1/{name}", 1.0 / value


def _scale_hint(key, tags):
    tags = sorted(tags)
    if tags == ["-1"]:
        return f"{key} has the wrong sign (it is exactly minus the expected value): negate it."
    if tags == ["2"]:
        return f"{key} is exactly twice the expected value: remove the extra factor 2."
    if tags == ["1/2"]:
        return f"{key} is exactly half the expected value: a factor 2 is missing."
    names = [t for t in tags if "/" not in t]
    inverse = [t[2:] for t in tags if t.startswith("1/")]
    if names:
        which = " or ".join(names)
        return f"{key} is exactly {which} times the expected value: divide it by {which} (or stop multiplying by it)."
    which = " or ".join(inverse)
    return f"{key} is exactly 1/{which} of the expected value: it is divided by {which} where it should not be."


@hypothesis(rank=2)
def output_scaled(s):
    """``key`` = c * oracle for a factor c that a size or a constant names."""
    found = []
    for key in s.failing:
        actual = s.outputs.get(key)
        want = s.expected.get(key)
        if actual is None or not isinstance(want, np.ndarray) or want.dtype.kind != "f" or actual.shape != want.shape:
            continue
        e, a = want.astype(np.float64), actual.astype(np.float64)
        ok = np.isfinite(e) & np.isfinite(a)
        if not ok.any() or not np.any(e[ok]):
            continue
        c = float(np.dot(a[ok], e[ok]) / np.dot(e[ok], e[ok]))
        tags = frozenset(name for name, f in _factors(s.sizes) if abs(c - f) <= 1e-3 * abs(f)
                         and s.explains(key, e * f))
        if tags:
            found.append(Match(frozenset([key]), f"scale {key}", _scale_hint(key, tags),
                               f"residual: {key} = {c:.6g} * the expected value", tags=tags,
                               render=lambda t, key=key: _scale_hint(key, t)))
    return found


@hypothesis(rank=2)
def right_values_wrong_shape(s):
    """The values are right, in another shape: a size-1 axis more or less, or transposed."""
    found = []
    for key in s.failing:
        actual, want = s.outputs.get(key), s.expected.get(key)
        if actual is None or not isinstance(want, np.ndarray) or actual.shape == want.shape:
            continue
        fixes = []
        if actual.size == want.size and [d for d in actual.shape if d != 1] == [d for d in want.shape if d != 1]:
            fixes.append(("reshape", actual.reshape(want.shape)))
        if actual.ndim == 2 and actual.T.shape == want.shape and actual.shape[0] != actual.shape[1]:
            fixes.append(("transpose", actual.T))
        for how, fixed in fixes:
            if s.ratio(key, fixed, want) <= 1:
                change = (f"reshape it to {want.shape}" if how == "reshape" else "transpose it")
                found.append(Match(frozenset([key]), f"shape {key}",
                                   f"{key} has shape {actual.shape}, not {want.shape}, though its values are right: "
                                   f"{change}.", f"{key}'s values, {how}d, equal the oracle's"))
                break
    return found


FLOAT32_HINT = ("The results are right only to float32 precision on float64 inputs: part of the computation "
                "runs in float32 (in torch, a tensor created without dtype=, such as torch.zeros(...), "
                "torch.rand(...) or a bool mask divided by a float, is float32 by default; in NumPy, an "
                "astype(np.float32) or a float32 buffer); keep the inputs' dtype (dtype=x.dtype, zeros_like).")


def _passes(s, key, outputs, dtype):
    """Whether ``outputs`` pass the oracle's ``key`` at ``dtype``'s tolerance, judged as the judge
    does (the row's error model, its accepted conventions, extreme inputs); None when the
    comparison cannot be made."""
    from ..judge import _judge_key
    try:
        tol, magnitude = tolerances.Bounds(s.row.name, dtype, s.inputs, s.expected)(key)
        return _judge_key(key, s.expected[key], outputs, tol, magnitude, s.inputs.extreme)[0] == "pass"
    except Exception:  # noqa: BLE001 - a view that needs other outputs: no finding
        return None


@hypothesis()
def float32_precision(s):
    """On a float64 case every output is right within float32's tolerance (issue 14's finding)."""
    if s.dtype != "float64" or s.run is None or s.outcome.status == "pass":
        return None
    keys = [k for k in s.row.call.keys(s.expected) if k in s.outputs or callable(s.expected[k])]
    if not keys or any(np.asarray(s.outputs[k]).dtype.kind not in "fc" for k in keys if k in s.outputs):
        return None
    if not all(_passes(s, k, s.outputs, "float32") for k in keys):
        return None
    return Match(frozenset(s.failing), "float32", FLOAT32_HINT,
                 "every output is within float32's tolerance of the oracle on this float64 case")


def wrong_forward_hint(key):
    return (f"The forward's {key} already differs from the oracle on this case: the gradients are taken on "
            f"it (its own cache, or autograd through it), so fix the forward first.")


@hypothesis()
def forward_already_wrong(s):
    """A backward's own forward (its outputs ride along as ``forward <k>``) already differs (issue
    14's finding)."""
    if s.run is None:
        return None
    outputs = {k[len("forward "):]: v for k, v in s.outputs.items()
               if k.startswith("forward ") and k[len("forward "):] not in s.row.call.compares}
    for key in outputs:
        if key in s.expected and _passes(s, key, outputs, s.dtype) is False:
            return Match(frozenset(s.failing), f"forward {key}", wrong_forward_hint(key),
                         f"the forward's own {key} (returned with the cache) differs from the oracle's")
    return None


FLOAT_SIZE = ("A size or an index is a float: true division (/) gives a float even where it divides evenly; "
              "compute sizes such as H' = 1 + (H + 2 * pad - HH) // stride with floor division (//).")
FLOAT_SIZE_MESSAGES = ("'float' object cannot be interpreted as an integer", "slice indices must be integers",
                       "only integers, slices", "must be an integer, not float",
                       "'float' object is not subscriptable")


@hypothesis()
def float_size(s):
    """The call raised the error Python and NumPy give for a float used as a size or an index."""
    message = s.outcome.message if EXCEPTION in s.failing else ""
    if not message.startswith(("TypeError", "IndexError")) or not any(t in message for t in FLOAT_SIZE_MESSAGES):
        return None
    return Match(frozenset([EXCEPTION]), "float size", FLOAT_SIZE, f"the exception: {message.split(' (')[0]}")
