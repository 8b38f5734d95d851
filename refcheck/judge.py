"""Comparison of an implementation's outputs with the oracle's, element by element.

Runs on plain arrays only (never on user objects). An expected entry is either an array or a
function of all the actual outputs returning ``(actual_view, expected_view)``: that is how an
oracle judges what depends on the implementation's own choices (dropout's mask, which tied
maximum takes a pooling gradient, the order of equal NMS scores). A view may return a third
element, the scale for the tolerance (see refcheck.tolerances) when the inputs' largest magnitude
is not the yardstick (an optimizer's parameters and its state in units of the gradients).
"""
from dataclasses import dataclass, field

import numpy as np

from torch_oracle.views import Mismatch

from . import tolerances


@dataclass
class Outcome:
    status: str                      # "pass" | "fail" | "error"
    message: str = ""
    worst: float = 0.0               # largest |diff| / allowed over compared elements (1 = at tolerance)
    compared: int = 0                # value comparisons that ran
    warnings: list = field(default_factory=list)
    key: str = None                  # the output that failed
    fatal: bool = False              # hung or crashed: the function's other cases are not run


def input_scale(inputs):
    """Largest magnitude among the floating inputs, at least 1 (see tolerances)."""
    scale = 1.0
    for value in list(inputs.args.values()) + list(inputs.douts.values()):
        if isinstance(value, np.ndarray) and value.dtype.kind == "f" and value.size:
            finite = value[np.isfinite(value)]
            if finite.size:
                scale = max(scale, float(np.abs(finite).max()))
    return scale


def _fmt(x):
    return f"{x:.6g}" if isinstance(x, (float, np.floating)) else str(x)


def _index(key, shape, flat):
    return key if not shape else f"{key}[{', '.join(map(str, np.unravel_index(flat, shape)))}]"


def compare(key, actual, expected, tol, scale, extreme=False):
    """Returns (status, message, worst ratio, warnings) for one output."""
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
    both_nan = np.isnan(a) & np.isnan(e)
    same_inf = np.isinf(a) & (a == e)
    nonfinite = ~np.isfinite(a) & np.isfinite(e)
    if extreme and nonfinite.any():
        warnings.append(f"{key} is non-finite on extreme inputs")
    allowed = tol.allowed(np.abs(np.where(np.isfinite(e), e, 0)), scale)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        ratio = np.abs(a - e) / allowed
    ratio = np.where(both_nan | same_inf | (extreme & nonfinite), 0.0, np.nan_to_num(ratio, nan=np.inf))
    if ratio.size == 0:
        return "pass", "", 0.0, warnings
    i = int(np.argmax(ratio))
    worst = float(ratio.flat[i])
    if worst <= 1:
        return "pass", "", worst, warnings
    n_bad = int((ratio > 1).sum())
    what = "is non-finite where the oracle is finite" if nonfinite.flat[i] else "differs from the oracle"
    message = (f"{key} {what}: worst element {_index(key, e.shape, i)}: actual {_fmt(a.flat[i])}, "
               f"expected {_fmt(e.flat[i])}, |diff| {abs(a.flat[i] - e.flat[i]):.3g} > allowed "
               f"{allowed.flat[i]:.3g} ({tol}{f', scale {scale:.3g}' if tol.scaled else ''}); {n_bad} of {ratio.size} elements "
               f"beyond tolerance")
    return "fail", message, worst, warnings


def views(key, want, outputs, scale):
    """``(actual, expected, scale)`` for one expected entry: an array compared with the output of
    the same name, or a view of all the outputs (see the module docstring). Raises KeyError for a
    missing output and Mismatch from a view."""
    with np.errstate(all="ignore"):
        view = want(outputs) if callable(want) else (outputs[key], want)
    return view if len(view) == 3 else (*view, scale)


def judge(function, case, inputs, run, expected, keys):
    """The outcome of one case: ``run`` from calls, ``expected`` from the oracle, ``keys`` compared."""
    scale = input_scale(inputs)
    outcome = Outcome("pass", warnings=list(run.warnings))
    failures = []
    for key in keys:
        try:
            got, want, key_scale = views(key, expected[key], run.outputs, scale)
        except KeyError as exc:
            return Outcome("error", f"the implementation did not produce {exc.args[0]}",
                           warnings=outcome.warnings)
        except Mismatch as exc:
            failures.append((key, f"{key}: {exc}"))
            outcome.worst, outcome.compared = np.inf, outcome.compared + 1
            continue
        raw = run.outputs.get(key)
        if (case.dtype == "float32" and raw is not None and raw.dtype == np.float64
                and key not in run.untyped and np.asarray(want).dtype.kind == "f"):
            outcome.warnings.append(f"{key} is float64 for float32 inputs")
        status, message, worst, warnings = compare(
            key, got, want, tolerances.lookup(function, key, case.dtype), key_scale, inputs.extreme)
        outcome.compared += 1
        outcome.warnings += warnings
        outcome.worst = max(outcome.worst, worst)
        if status == "error":
            outcome.status, outcome.message, outcome.key = status, message, key
            return outcome
        if status == "fail":
            failures.append((key, message))
    failures += [(None, v) for v in run.violations]
    if failures:
        outcome.status, outcome.key = "fail", failures[0][0]
        outcome.message = "\n".join(m for _, m in failures)
    return outcome
