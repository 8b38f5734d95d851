"""Hints: which known mistake or foreign convention a failing result matches.

The mutants of the failing function (refcheck.mutants) run on the failing case; when one of them
produces what the implementation under test produced (within the row's tolerance), its sentence
is the hint. When none does, two findings that hold whatever the function: the forward the row
runs first (whose outputs ride along as ``forward <name>``) already differs from the oracle, so
the gradients taken on it follow; or every result is right to float32 precision on a float64
case, the mark of a tensor created in torch's default dtype.
"""
import warnings

import numpy as np

import refimpl

from . import mutants
from .judge import _judge_key, compare, views
from . import tolerances


def _matches(row, checked, expected):
    """The implementation's outputs equal the mutant's (``expected``) within the row's tolerance."""
    bounds = tolerances.Bounds(row.name, checked.case.dtype, checked.inputs, expected)
    for key in row.call.keys(expected):
        try:
            got, want = views(key, expected[key], checked.run.outputs)
        except KeyError:
            return False
        tol, magnitude = bounds(key)
        if isinstance(magnitude, tolerances.Tier):
            magnitude = magnitude.lenient
        if compare(key, got, want, tol, magnitude)[0] != "pass":
            return False
    return True


def find(row, checked, also=None):
    """The hints whose mutant reproduces ``checked.run`` on ``checked.inputs`` (and on ``also``'s,
    another failing case, when given: a tiny shrunk case can match a mistake by coincidence),
    joined; or None."""
    if checked.run is None:
        return None
    from .courses import COURSES  # a course states some mistakes in its own conventions' words
    words = COURSES[checked.run.course].hints if getattr(checked.run, "course", None) in COURSES else {}
    found = []
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for m in mutants.by_target(row.name):
            hint = _hint_if_matched(m, row, checked)
            if hint and also is not None and also.run is not None and also is not checked:
                hint = _hint_if_matched(m, row, also)
            hint = words.get(m.name, hint) if hint else hint
            if hint and hint not in found:
                found.append(hint)
        if not found:
            found = [h for h in (_float32_rounding(row, checked), _wrong_forward(row, checked)) if h][:1]
    return " Or: ".join(found) if found else None


def _compares(row, checked, key, expected, outputs, dtype):
    """Whether ``outputs`` pass the oracle's ``expected[key]`` at ``dtype``'s tolerance (the row's
    error model, its accepted conventions); None when the comparison cannot be made."""
    try:
        tol, magnitude = tolerances.Bounds(row.name, dtype, checked.inputs, expected)(key)
        status = _judge_key(key, expected[key], outputs, tol, magnitude, checked.inputs.extreme)[0]
    except Exception:  # noqa: BLE001 - a view that needs other outputs: no finding
        return None
    return status == "pass"


def _wrong_forward(row, checked):
    """The forward's own outputs (``forward <k>``) differ from the oracle's ``<k>``."""
    outputs = {k[len("forward "):]: v for k, v in checked.run.outputs.items()
               if k.startswith("forward ") and k[len("forward "):] not in row.call.compares}
    if not outputs:
        return None
    expected = row.expected(checked.inputs)
    for key in outputs:
        if key in expected and _compares(row, checked, key, expected, outputs, checked.case.dtype) is False:
            return (f"The forward's {key} already differs from the oracle on this case: the gradients are "
                    f"taken on it (its own cache, or autograd through it), so fix the forward first.")
    return None


def _float32_rounding(row, checked):
    """On a float64 case every result is right within the float32 tolerances."""
    if checked.case.dtype != "float64":
        return None
    expected = row.expected(checked.inputs)
    keys = [k for k in row.call.keys(expected) if k in checked.run.outputs or callable(expected[k])]
    if not keys or any(np.asarray(checked.run.outputs.get(k, 0.0)).dtype.kind not in "fc" for k in keys
                       if k in checked.run.outputs):
        return None
    if all(_compares(row, checked, k, expected, checked.run.outputs, "float32") for k in keys):
        return ("The results are right only to float32 precision on float64 inputs: part of the computation "
                "runs in float32 (in torch, a tensor created without dtype=, such as torch.zeros(...), "
                "torch.rand(...) or a bool mask divided by a float, is float32 by default; in NumPy, an "
                "astype(np.float32) or a float32 buffer); keep the inputs' dtype (dtype=x.dtype, zeros_like).")
    return None


def _hint_if_matched(m, row, checked):
    if m.matches is not None:
        return m.hint if m.matches(checked.inputs, checked.run.outputs) else None
    get = lambda name: m.fn if name == m.target else getattr(refimpl, name)
    try:
        return m.hint if _matches(row, checked, row.call(get, checked.inputs).outputs) else None
    except Exception:  # noqa: BLE001 - a mutant that cannot run on this case matches nothing
        return None
