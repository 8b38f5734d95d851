"""Comparison of an implementation's outputs with the oracle's, element by element.

Runs on plain arrays only (never on user objects). An expected entry is an array, a function of
all the actual outputs returning ``(actual_view, expected_view)`` (how an oracle judges what
depends on the implementation's own choices: dropout's mask, which tied maximum takes a pooling
gradient, the order of equal NMS scores), or a ``Lenient`` pair of those (a convention accepted
with a warning). How far apart actual and expected may be is ``refcheck.tolerances``'s.
"""
from dataclasses import dataclass, field

import numpy as np

from torch_oracle.views import Lenient, Mismatch

from . import tolerances
from .tolerances import Tier, input_scale  # noqa: F401 (input_scale: part of this module's API)


@dataclass
class Outcome:
    status: str                      # "pass" | "fail" | "error"
    message: str = ""
    worst: float = 0.0               # largest |diff| / allowed over compared elements (1 = at tolerance)
    compared: int = 0                # value comparisons that ran
    warnings: list = field(default_factory=list)
    key: str = None                  # the output that failed
    fatal: bool = False              # hung or crashed: the function's other cases are not run
    kind: str = None                 # how it failed: "non-finite", "value", "shape", "violation", ...
    ratios: dict = field(default_factory=dict)  # output -> its worst |diff| / allowed


def _fmt(x):
    return f"{x:.6g}" if isinstance(x, (float, np.floating)) else str(x)


def _index(key, shape, flat):
    return key if not shape else f"{key}[{', '.join(map(str, np.unravel_index(flat, shape)))}]"


def _magnitude_for(magnitude, shape):
    """The magnitude broadcast to the output's shape (its largest value if it cannot be)."""
    m = np.asarray(magnitude, dtype=np.float64)
    try:
        return np.broadcast_to(m, shape)
    except ValueError:
        return np.full(shape, float(m.max()) if m.size else 0.0)


def compare(key, actual, expected, tol, magnitude, extreme=False):
    """Returns (status, message, worst ratio, warnings) for one output; ``magnitude`` is a scalar
    or an array of the output's shape (see refcheck.tolerances)."""
    actual, expected = np.asarray(actual), np.asarray(expected)
    if actual.shape != expected.shape:
        return "error", f"{key} has shape {actual.shape}, expected {expected.shape}", np.inf, []
    if expected.dtype.kind in "biu":
        bad = actual != expected
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            return "fail", (f"{_index(key, expected.shape, i)}: actual {actual.flat[i]}, expected "
                            f"{expected.flat[i]}; {int(bad.sum())} of {bad.size} differ"), np.inf, []
        return "pass", "", 0.0, []
    a = actual.astype(np.float64)
    e = expected.astype(np.float64)
    warnings = []
    finite_e = np.isfinite(e)
    # with every value finite on both sides (nearly every comparison) the NaN and inf masks are
    # all False: skipped, as nan_to_num where every ratio is finite (a tenth of a case's time)
    special = nonfinite = None
    if not (finite_e.all() and np.isfinite(a).all()):
        both_nan = np.isnan(a) & np.isnan(e)
        same_inf = np.isinf(a) & (a == e)
        nonfinite = ~np.isfinite(a) & finite_e
        if extreme and nonfinite.any():
            warnings.append(f"{key} is non-finite on extreme inputs")
        special = both_nan | same_inf | (extreme & nonfinite)
        e_abs = np.abs(np.where(finite_e, e, 0))
    else:
        e_abs = np.abs(e)
    # a scalar magnitude (most outputs) broadcasts in tol.allowed as its broadcast array would
    scalar = isinstance(magnitude, (float, int, np.floating))
    m = float(magnitude) if scalar else _magnitude_for(magnitude, e.shape)
    allowed = tol.allowed(e_abs, m)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        diff = np.abs(a - e)
        ratio = np.where(diff == 0, 0.0, diff / allowed)
    if not np.isfinite(ratio).all():
        ratio = np.nan_to_num(ratio, nan=np.inf)
    if special is not None:
        ratio = np.where(special, 0.0, ratio)
    if ratio.size == 0:
        return "pass", "", 0.0, warnings
    i = int(np.argmax(ratio))
    worst = float(ratio.flat[i])
    if worst <= 1:
        return "pass", "", worst, warnings
    n_bad = int((ratio > 1).sum())
    what = ("is non-finite where the oracle is finite" if nonfinite is not None and nonfinite.flat[i]
            else "differs from the oracle")
    scale = f", magnitude {m if scalar else m.flat[i]:.3g}" if tol.scaled else ""
    message = (f"{key} {what}: worst element {_index(key, e.shape, i)}: actual {_fmt(a.flat[i])}, "
               f"expected {_fmt(e.flat[i])}, |diff| {abs(a.flat[i] - e.flat[i]):.3g} > allowed "
               f"{allowed.flat[i]:.3g} ({tol}{scale}); {n_bad} of {ratio.size} elements beyond tolerance")
    return "fail", message, worst, warnings


def views(key, want, outputs):
    """``(actual, expected)`` for one expected entry: an array compared with the output of the same
    name, or a view of all the outputs (see the module docstring). Raises KeyError for a missing
    output and Mismatch from a view."""
    with np.errstate(all="ignore"):
        view = want(outputs) if callable(want) else (outputs[key], want)
    if len(view) != 2:
        raise ValueError(f"the view of {key} returned {len(view)} values; a view returns (actual, expected) "
                         f"and the error model lives in refcheck.tolerances")
    return view


def _judge_key(key, entry, outputs, tol, magnitude, extreme):
    """(status, message, worst, warnings, floating) of one output (floating: the expected view is
    a floating array), trying a Lenient entry's alternative and a Tier's lenient bound when the
    strict comparison fails."""
    primary, alternative = (entry.primary, entry.alternative) if isinstance(entry, Lenient) else (entry, None)
    strict = magnitude.strict if isinstance(magnitude, Tier) else magnitude
    got, want = views(key, primary, outputs)
    floating = np.asarray(want).dtype.kind == "f"
    result = compare(key, got, want, tol, strict, extreme)
    other = None
    if alternative is not None:
        try:
            other = compare(key, *views(key, alternative, outputs), tol, strict, extreme)
        except Mismatch:
            other = None
    if result[0] != "fail":
        # the worst ratio is against the nearer accepted convention: rounding, not the convention
        worst = min(result[2], other[2]) if other is not None and other[0] == "pass" else result[2]
        return result[0], result[1], worst, result[3], floating
    if isinstance(magnitude, Tier):
        lenient = compare(key, got, want, tol, magnitude.lenient, extreme)
        if lenient[0] == "pass":
            return "pass", "", lenient[2], lenient[3] + [magnitude.warning], floating
    if other is not None and other[0] == "pass":
        return "pass", "", other[2], other[3] + [entry.warning], floating
    return (*result, floating)


def judge(function, case, inputs, run, expected, keys):
    """The outcome of one case: ``run`` from calls, ``expected`` from the oracle, ``keys`` compared."""
    bounds = tolerances.Bounds(function, case.dtype, inputs, expected)
    outcome = Outcome("pass", warnings=list(run.warnings))
    failures = []
    for key in keys:
        entry = expected[key]
        try:
            tol, magnitude = bounds(key)
            status, message, worst, warnings, floating = _judge_key(
                key, entry, run.outputs, tol, magnitude, inputs.extreme)
        except KeyError as exc:
            return Outcome("error", f"the implementation did not produce {exc.args[0]}",
                           warnings=outcome.warnings, kind="missing output")
        except Mismatch as exc:
            failures.append((key, f"{key}: {exc}", "mismatch"))
            outcome.worst, outcome.compared = np.inf, outcome.compared + 1
            outcome.ratios[key] = np.inf
            continue
        raw = run.outputs.get(key)
        if (case.dtype == "float32" and raw is not None and raw.dtype == np.float64
                and key not in run.untyped and floating):
            outcome.warnings.append(f"{key} is float64 for float32 inputs")
        outcome.compared += 1
        outcome.warnings += [w for w in warnings if w not in outcome.warnings]
        outcome.worst = max(outcome.worst, worst)
        outcome.ratios[key] = worst
        if status == "error":
            outcome.status, outcome.message, outcome.key, outcome.kind = status, message, key, "shape"
            return outcome
        if status == "fail":
            failures.append((key, message, "non-finite" if "is non-finite where" in message else "value"))
    failures += [(None, v, "violation") for v in run.violations]
    if failures:
        outcome.status, outcome.key, outcome.kind = "fail", failures[0][0], failures[0][2]
        outcome.message = "\n".join(m for _, m, _ in failures)
    return outcome
