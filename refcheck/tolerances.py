"""Every tolerance lives here, each with its reason: what a correct floating-point computation of
each judged output can lose. Never loosen an entry to make a test pass: find out why it differs.

An element passes when

    |actual - expected| <= rtol * |expected| + atol * magnitude

with rtol and atol multiples of the unit roundoff ``u`` of the case's dtype (2**-53 for float64,
2**-24 for float32; the expected values are computed in float64 from the exact inputs, so a
float32 case bounds the error of a float32 computation, a float64 case the difference of two
float64 ones; a float16 case is judged as float32 plus one rounding to float16, see
``COMPUTED_IN``). ``magnitude`` is the size of what a correct computation of that element rounds:

- **By default** (``DEFAULT``), the case's input scale: the largest finite magnitude among its
  floating inputs, at least 1. Sound for any new row without work, but loose where the inputs are
  large and the output is not (a softmax of scores near 1e3), and blind to amplification (a
  normalization's 1/sqrt(var + eps)).
- **With an error model** (``MODELS``), per element: a small function of the case's arguments
  (and, where convenient, the oracle's values) that returns, for each output it covers, the
  magnitudes that actually enter that element, such as sum |x_k| |w_k| for a dot product, the
  rounding of the shifted scores for softmax probabilities, 1/sqrt(var + eps) for a
  normalization's gradient. Those outputs use ``MODELED``. To state an output's error model, add a
  function to the ``refcheck/error_models`` package (beside this table: every model is there,
  one module per family beyond the CS231n ones) with ``@model(functions..., keys=...,
  reason=...)``; for a composite formula, evaluating it on ``error_models.Run`` values (running
  error analysis) gives the magnitudes.
- A model may return a ``Tier`` instead of a magnitude: a strict bound and a lenient one; an error
  between them passes with the tier's warning (``--strict`` fails it). The textbook distance
  formula's cancellation at identical rows is the one such tier.
- ``OVERRIDES`` keyed by (function, key, dtype or None) replace the tolerance of one output, with
  its reason: statistics and oracles that round in float32 themselves (``scaled=False``: the
  bound is absolute).

The constants are calibrated (``make calibrate``, ``refcheck/calibration/``) on correct
implementations of several styles: every correct style passes every output with at least 5x
headroom, and no output allows more than about 100x the worst error any of them makes
(tests/test_calibration.py keeps both true).
"""
from dataclasses import dataclass

import numpy as np

from refimpl.transformer_layers import DECODER_PARAM_KEYS

from .expected import derived

U = {"float64": 2.0 ** -53, "float32": 2.0 ** -24}
TINY = {"float64": 2.0 ** -1022, "float32": 2.0 ** -126}  # smallest normal: what underflow loses


@dataclass(frozen=True)
class Tol:
    rtol: float
    atol: float
    scaled: bool = True     # False: atol is absolute (statistics, not computed values)
    floor: float = 0.0      # absolute, whatever the magnitude (float16's subnormal spacing)

    def allowed(self, expected_abs, magnitude):
        return self.atol * (magnitude if self.scaled else 1.0) + self.rtol * expected_abs + self.floor

    def __str__(self):
        return (f"rtol {self.rtol:.3g}, atol {self.atol:.3g}" + ("" if self.scaled else " (unscaled)")
                + (f", floor {self.floor:.3g}" if self.floor else ""))


def in_ulps(dtype, rtol, atol):
    """A tolerance of ``rtol`` and ``atol`` units of the dtype's unit roundoff."""
    return Tol(rtol=rtol * U[dtype], atol=atol * U[dtype])


# Outputs without an error model: magnitude = the input scale. Values are a few roundings deep;
# gradients (a backward pass through the same operations and a reduction more) twice as deep.
# Calibrated on the recurrent layers before they had a model of their own (worst / allowed
# 0.02 to 0.19 over every style, thorough profile): today every floating output of the contract
# has a model or an override, so this is the default a new row starts from.
DEFAULT = {dt: {"value": in_ulps(dt, 64, 16), "grad": in_ulps(dt, 128, 32)} for dt in U}

# Outputs with an error model: the model's magnitude already holds the terms that round, so one
# constant covers the growth of a correct computation's error with the number of operations.
MODELED = {dt: in_ulps(dt, 16, 16) for dt in U}

# float16 inputs are computed in float32 and the result rounded to float16 once (API.md,
# "Everywhere"). A float16 case is therefore judged as the float32 case of the same inputs (the
# same model, float32's u and underflow) plus that one rounding: half a float16 ulp, 2**-11 of
# the result, and below float16's smallest normal (2**-14) half its subnormal spacing, 2**-25,
# whatever the magnitude. Only refimpl's strictness tests run float16 cases (tests/test_validation.py).
COMPUTED_IN = {"float16": "float32"}


def rounded_to_float16(tol):
    """The tolerance of a float32 computation whose result is then rounded to float16 once."""
    return Tol(rtol=tol.rtol + 2.0 ** -11, atol=tol.atol, scaled=tol.scaled, floor=tol.floor + 2.0 ** -25)

# Output names that are gradients: the rest (out, loss, dists, state) are values.
GRADIENTS = frozenset({
    "dx", "dw", "db", "dW", "dgamma", "dbeta", "dprev_h", "dprev_c", "dWx", "dWh", "dh0",
    "dW1", "dW2", "dW3", "dq", "dk", "dv", "dquery", "dkey", "dvalue",
    "dparams['Wq']", "dparams['bq']", "dparams['Wk']", "dparams['bk']", "dparams['Wv']", "dparams['bv']",
    "dparams['Wo']", "dparams['bo']",
})

# (function, output key, dtype or None for both) -> (Tol, reason)
OVERRIDES = {
    ("dropout_forward", "keep_rate", None): (
        Tol(rtol=0.0, atol=0.0082, scaled=False),
        "the kept fraction of 200,000 elements at p = 0.3 is binomial with sd 0.001025: 8 sd bound "
        "the fraction of a correct dropout with odds below 1e-15 per run; p used as the drop "
        "probability keeps 0.7"),
    ("average_precision", "ap", None): (
        Tol(rtol=2e-6, atol=2e-7, scaled=False),
        "torchmetrics accumulates its precision-recall curve in float32 (even for float64 scores): "
        "the oracle itself carries float32 rounding of the ~N terms of the sum"),
    ("mean_average_precision", "map", None): (
        Tol(rtol=0.0, atol=2e-7, scaled=False),
        "torchmetrics returns map as a float32 tensor: half an ulp at 1.0 is 6e-8"),
    ("positional_encoding", "pe", None): (
        MODELED["float32"],
        "no input fixes pe's precision (the arguments are two sizes): NumPy's float64 and torch's "
        "default float32 are both right, so both case dtypes judge at float32's tolerance (the "
        "magnitudes, the angles' rounding, are the error model's)"),
    ("lr_schedule", "lr", None): (
        MODELED["float64"],
        "no input has the case's dtype (a name, a step count, Python floats): torch's schedulers and a "
        "NumPy or Python one compute the rates in float64, so both case dtypes judge at float64's "
        "tolerance (the magnitudes, the oracle's recursion, are the error model's)"),
}

# issue 16 (detection, more; pooling, metrics, schedules): the GIoU loss's gradient is named dpred,
# and coco_map's numbers may carry float32 rounding. The mar_<m> keys are named after the
# max_detections of the coco_map generator (tests/test_coco_contract.py checks every judged key).
GRADIENTS = GRADIENTS | {"dpred"}
GRADIENTS = GRADIENTS | {"dout_left", "dout_right", "db1", "db2"}  # SimCLR's two views; the feed-forward biases
GRADIENTS = GRADIENTS | {"dsrc", "dtgt", "dmemory"} | {  # the transformer layers' (their params: the decoder's keys)
    f"dparams['{k}']" for k in DECODER_PARAM_KEYS}
COCO_KEYS = ("map", "map_50", "map_75", "map_small", "map_medium", "map_large", "mar_small", "mar_medium",
             "mar_large", "map_per_class", *(f"mar_{m}" for m in (1, 2, 3, 4, 10, 100)),
             *(f"mar_{m}_per_class" for m in (4, 100)))
OVERRIDES.update({("coco_map", key, None): (
    Tol(rtol=8 * U["float32"], atol=0.0, scaled=False),
    "the oracle is exact (float64), but torchmetrics, which implementations wrap, reports every number "
    "as float32: one rounding, at most 2**-24 of the value (half an ulp), which changes no reported "
    "digit; relative, so that a small recall is held to its own rounding (an absolute 2e-7 allowed "
    "100 times it on a recall of 0.01)") for key in COCO_KEYS})


@dataclass(frozen=True)
class Model:
    fn: object          # fn(args, expected, u) -> {key: magnitude array or Tier}
    keys: tuple         # the outputs it covers; "grads[*]": grads[0], grads[1], ... (a list's items)
    reason: str

    def covers(self, key):
        return key in self.keys or any(k.endswith("[*]") and key.startswith(k[:-2]) and key.endswith("]")
                                       and key[len(k) - 2:-1].isdigit() for k in self.keys)


@dataclass(frozen=True)
class Tier:
    """A strict magnitude and a lenient one: an error between the two bounds passes with ``warning``."""
    strict: object
    lenient: object
    warning: str


MODELS = {}     # function -> Model


def model(*functions, keys, reason):
    """Register the decorated function as the error model of ``keys`` of each of ``functions``."""
    def register(fn):
        for name in functions:
            if name in MODELS:
                raise ValueError(f"{name} has two error models")
            MODELS[name] = Model(fn, tuple(keys), reason)
        return fn
    return register


def lookup(function, key, dtype):
    if dtype in COMPUTED_IN and (function, key, dtype) not in OVERRIDES:
        return rounded_to_float16(lookup(function, key, COMPUTED_IN[dtype]))
    for k in ((function, key, dtype), (function, key, None)):
        if k in OVERRIDES:
            return OVERRIDES[k][0]
    m = MODELS.get(function)
    if m is not None and m.covers(key):
        return MODELED[dtype]
    return DEFAULT[dtype]["grad" if key in GRADIENTS else "value"]


def input_scale(inputs):
    """Largest magnitude among the floating inputs, at least 1 (the default magnitude)."""
    scale = 1.0
    for value in list(inputs.args.values()) + list(inputs.douts.values()):
        if isinstance(value, np.ndarray) and value.dtype.kind == "f" and value.size:
            finite = value[np.isfinite(value)]
            if finite.size:
                scale = max(scale, float(np.abs(finite).max()))
    return scale


class Bounds:
    """The tolerance and the magnitude of every output of one case: ``bounds(key) -> (Tol, magnitude)``.
    A model runs once per case, when the first output it covers is judged."""

    def __init__(self, function, dtype, inputs, expected):
        self.function, self.dtype, self.inputs, self.expected = function, dtype, inputs, expected
        # once per oracle result of the memo (refcheck.expected): every style, mutant or rerun
        # of a case is judged with the same bounds
        self.scale = derived(expected, "input scale", lambda: input_scale(inputs))
        self._modeled = None

    def __call__(self, key):
        tol = lookup(self.function, key, self.dtype)
        m = MODELS.get(self.function)
        if m is None or not m.covers(key):
            return tol, self.scale
        computed = COMPUTED_IN.get(self.dtype, self.dtype)
        if self._modeled is None:
            self._modeled = derived(self.expected, ("model", self.function, computed), lambda: self._model(computed))
        if key not in self._modeled:
            raise RuntimeError(f"the error model of {self.function} gives no magnitude for {key}")
        return tol, _finite(self._modeled[key], self.scale, TINY[computed] / U[computed])

    def _model(self, computed):
        from torch_oracle.views import primary
        arrays = {k: np.asarray(primary(v)) for k, v in self.expected.items() if not callable(primary(v))}
        with np.errstate(all="ignore"):
            return MODELS[self.function].fn({**self.inputs.args, **self.inputs.douts}, arrays, U[computed])


def _finite(magnitude, fallback, floor):
    """A model's magnitude plus the underflow floor (a result below the dtype's smallest normal
    loses its digits: exp(-200) is 0 in float32), with non-finite entries (inputs holding inf or
    NaN) set to the input scale."""
    if isinstance(magnitude, Tier):
        return Tier(_finite(magnitude.strict, fallback, floor), _finite(magnitude.lenient, fallback, floor),
                    magnitude.warning)
    m = np.asarray(magnitude, dtype=np.float64)
    return np.where(np.isfinite(m), m, fallback) + floor


# The meta-test that checks the oracles' gradients against central finite differences (step
# FD_STEP, float64): truncation error ~ step**2 * |f'''| and rounding ~ 1e-16 * |f| / step, both
# far below this on the small O(1) cases it uses.
FD_STEP = 1e-6
FINITE_DIFFERENCES = Tol(rtol=1e-6, atol=1e-8)


from . import error_models  # noqa: E402,F401 (registers every model in MODELS)
