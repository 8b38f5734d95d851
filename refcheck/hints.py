"""Hints: which known mistake or foreign convention a failing result matches.

The mutants of the failing function (refcheck.mutants) run on the failing case; when one of them
produces what the implementation under test produced (within the row's tolerance), its sentence
is the hint.
"""
import refimpl

from . import mutants
from .calls import Malformed
from .judge import input_scale, compare
from . import tolerances


def _matches(row, checked, expected):
    scale = input_scale(checked.inputs)
    for key in row.call.keys(expected):
        want = expected[key]
        try:
            got, want = want(checked.run.outputs) if callable(want) else (checked.run.outputs[key], want)
        except KeyError:
            return False
        tol = tolerances.lookup(row.name, key, checked.case.dtype)
        if compare(key, got, want, tol, scale)[0] != "pass":
            return False
    return True


def find(row, checked):
    """The hints whose mutant reproduces ``checked.run`` on ``checked.inputs``, joined; or None."""
    if checked.run is None:
        return None
    found = []
    for m in mutants.by_target(row.name):
        if m.view is not None:
            expected = m.view(**checked.inputs.args, **checked.inputs.douts)
        else:
            get = lambda name, m=m: m.fn if name == m.target else getattr(refimpl, name)
            try:
                expected = row.call(get, checked.inputs).outputs
            except (Malformed, Exception):  # noqa: BLE001 - a mutant that cannot run matches nothing
                continue
        if _matches(row, checked, expected) and m.hint not in found:
            found.append(m.hint)
    return " Or: ".join(found) if found else None
