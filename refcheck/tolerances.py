"""Every tolerance lives here: one table per dtype, values and gradients kept separately, and each
override with its reason. Never loosen an entry to make a test pass: find out why it differs.

An element passes when ``|actual - expected| <= atol * scale + rtol * |expected|``, where ``scale``
is the largest magnitude among the case's floating inputs (at least 1): rounding errors of a
correct implementation grow with the size of what it computes with, so an offset of 1e4 added
to every score widens the absolute band by 1e4 and nothing else does.

The expected values are computed in float64 (float32 cases upcast their float32 inputs exactly),
so the float32 rows bound the error of a float32 computation, not a difference of two roundings.
"""
from dataclasses import dataclass


@dataclass(frozen=True)
class Tol:
    rtol: float
    atol: float
    scaled: bool = True     # False: atol is absolute (statistics, not computed values)

    def allowed(self, expected_abs, scale):
        return self.atol * (scale if self.scaled else 1.0) + self.rtol * expected_abs

    def __str__(self):
        return f"rtol {self.rtol:g}, atol {self.atol:g}" + ("" if self.scaled else " (unscaled)")


DEFAULT = {
    "float64": {"value": Tol(rtol=1e-9, atol=1e-11), "grad": Tol(rtol=1e-9, atol=1e-11)},
    "float32": {"value": Tol(rtol=2e-5, atol=2e-6), "grad": Tol(rtol=1e-4, atol=1e-5)},
    # float16 inputs are computed in float32 and the result rounded to float16 once (API.md,
    # "Everywhere"): the float32 rows' atol bounds the computation, and the rounding adds half an
    # ulp, 2**-11 = 4.9e-4 relative (rtol: two of them; float16's subnormal spacing, 6e-8, stays
    # below atol). Only refimpl's strictness tests run float16 cases (tests/test_validation.py).
    "float16": {"value": Tol(rtol=1e-3, atol=2e-6), "grad": Tol(rtol=1e-3, atol=1e-5)},
}

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
    ("average_precision", "ap", "float16"): (
        Tol(rtol=1e-3, atol=2e-7, scaled=False),
        "float16 scores give a float16 AP: the float32 row's bound plus half an ulp (4.9e-4 relative)"),
    ("mean_average_precision", "map", "float16"): (
        Tol(rtol=1e-3, atol=2e-7, scaled=False),
        "float16 scores give a float16 map: the float32 row's bound plus half an ulp (4.9e-4 relative)"),
    # The attention family's overrides, together. (RoPE needs none: its oracle's views scale the
    # tolerance by max|x or dout| * max|position|, the magnitude a float32 angle's error enters with.)
    ("positional_encoding", "pe", None): (
        DEFAULT["float32"]["value"],
        "no input fixes pe's precision (the arguments are two sizes): NumPy's float64 and torch's "
        "default float32 are both right, so both case dtypes judge at float32's tolerance. The "
        "oracle scales it by the largest angle, max_len - 1: a float32 angle p / 10000^(2i/D) carries "
        "a few eps * p of absolute error into sin and cos (CS231n's float32 code: up to 0.65 eps * "
        "max_len measured up to max_len 5000, against the 33 eps * max_len allowed)"),
}

# issue 16 (detection, more; pooling, metrics, schedules): the GIoU loss's gradient is named dpred,
# and coco_map's numbers may carry float32 rounding. The mar_<m> keys are named after the
# max_detections of the coco_map generator (tests/test_coco_contract.py checks every judged key).
GRADIENTS = GRADIENTS | {"dpred"}
COCO_KEYS = ("map", "map_50", "map_75", "map_small", "map_medium", "map_large", "mar_small", "mar_medium",
             "mar_large", "map_per_class", *(f"mar_{m}" for m in (1, 2, 3, 4, 10, 100)),
             *(f"mar_{m}_per_class" for m in (4, 100)))
OVERRIDES.update({("coco_map", key, None): (
    Tol(rtol=0.0, atol=2e-7, scaled=False),
    "the oracle is exact (float64), but torchmetrics, which implementations wrap, reports every number "
    "as float32: half an ulp at 1.0 is 6e-8, and such rounding changes no reported digit") for key in COCO_KEYS})
OVERRIDES.update({("coco_map", key, "float16"): (
    Tol(rtol=1e-3, atol=2e-7, scaled=False),
    "float16 boxes and scores give float16 numbers: the float32 row's bound plus half an ulp (4.9e-4 relative)")
    for key in COCO_KEYS})


def lookup(function, key, dtype):
    for k in ((function, key, dtype), (function, key, None)):
        if k in OVERRIDES:
            return OVERRIDES[k][0]
    return DEFAULT[dtype]["grad" if key in GRADIENTS else "value"]

# The meta-test that checks the oracles' gradients against central finite differences (step
# FD_STEP, float64): truncation error ~ step**2 * |f'''| and rounding ~ 1e-16 * |f| / step, both
# far below this on the small O(1) cases it uses.
FD_STEP = 1e-6
FINITE_DIFFERENCES = Tol(rtol=1e-6, atol=1e-8)
