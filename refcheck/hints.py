"""Hints: which known mistake or foreign convention a failing result matches.

The mutants of the failing function (refcheck.mutants) run on the failing case; when one of them
produces what the implementation under test produced (within the row's tolerance), its sentence
is the hint.
"""
import warnings

import numpy as np

import refimpl

from . import mutants
from .judge import compare, views
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
    found = []
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for m in mutants.by_target(row.name):
            hint = _hint_if_matched(m, row, checked)
            if hint and also is not None and also.run is not None and also is not checked:
                hint = _hint_if_matched(m, row, also)
            if hint and hint not in found:
                found.append(hint)
    return " Or: ".join(found) if found else None


def _hint_if_matched(m, row, checked):
    if m.matches is not None:
        return m.hint if m.matches(checked.inputs, checked.run.outputs) else None
    get = lambda name: m.fn if name == m.target else getattr(refimpl, name)
    try:
        return m.hint if _matches(row, checked, row.call(get, checked.inputs).outputs) else None
    except Exception:  # noqa: BLE001 - a mutant that cannot run on this case matches nothing
        return None
