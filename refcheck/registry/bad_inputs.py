"""Bad and unusual inputs of every contract function, beside the registry (OpInfo's
``error_inputs``): what refimpl must reject, and what it must compute as the oracle does.

An entry starts from one case of the function's row (``token`` and ``dtype``, with ``sizes``
pinned), replaces some arguments or upstream gradients (a value, or a function of the case's
arguments returning one) and says either which ValueError refimpl raises (``rejects``: the regex
names the argument and its value or shape, which is what torch rejects or what would be garbage)
or that refimpl computes what the oracle computes (``computes``: judged like any case, with the
row's tolerances). tests/test_validation.py runs every entry; besides them it runs every function
here on float16 (computed in float32, returned as float16), on Fortran-ordered, non-contiguous and
read-only arrays and on nested lists (LAYOUTS), rejects a complex array in its first floating
argument, checks that a backward reads nothing from the forward's dict arguments, and fails for
a registry row that has no entry of each kind here.

Adding a function: its entries in BAD_INPUTS, nothing else.
"""
from dataclasses import dataclass, field

import numpy as np

from ..cases import Case
from .optim import STATE as OPTIM_STATE

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


def reversed_box(name, row=0):
    """A copy of the boxes ``name`` whose row ``row`` has x1 and x2 swapped (so x2 < x1)."""
    def change(args):
        a = np.array(args[name])
        a[row, [0, 2]] = a[row, [2, 0]]
        return a
    return change


def param(name, **updates):
    """A copy of the dict argument ``name`` with some keys replaced."""
    return lambda args: {**args[name], **updates}


def pixels(name, scale=60.0, offset=128.0):
    """Argument ``name`` moved to pixel range (``offset + scale * value``), in its own dtype: sums
    of squares there overflow float16's 65504."""
    return lambda args: (np.asarray(args[name], np.float32) * scale + offset).astype(np.asarray(args[name]).dtype)


def _read_only(a):
    a = a.copy()
    a.setflags(write=False)
    return a


# Layouts every function must accept, with the values unchanged: each array argument (and each
# array in a dict argument, except as lists) is handed over in this form.
LAYOUTS = {
    "fortran_order": np.asfortranarray,
    "non_contiguous": lambda a: np.repeat(a, 2, axis=-1)[..., ::2] if a.ndim else a,
    "read_only": _read_only,
    "nested_lists": lambda a: a.tolist(),
}
# Sizes pinned in the float16 and layout cases (default: the row's seed0 case as it is). An update
# rule takes one step in float16: the oracle's trajectory is never rounded to float16 between steps.
LAYOUT_SIZES = {rule: {"steps": 1} for rule in OPTIM_STATE}


# ---- layers -----------------------------------------------------------------------------------
_AFFINE = dict(N=2, K=2, d1=3, d2=2, M=4)  # x (2, 3, 2), w (6, 4), b (4,)
_BN = dict(N=4, D=3, test=0, custom=0, fresh=0)
_CONV = dict(N=2, C=2, F=3, HH=3, WW=3, pad=1, stride=1, dh=2, dw=2)  # x (2, 2, 3, 3) with pad 1
_CONV32 = dict(_CONV, C=32, F=32)
_POOL = dict(N=2, C=2, ph=2, pw=2, stride=2, dh=2, dw=2)  # x (2, 2, 4, 4)

_SCORES = [
    rejects("y out of range", r"y must lie in \[0, 3\).*\[0, 3\]", sizes=dict(N=2, C=3), y=np.array([0, 3])),
    rejects("negative label", r"y must lie in \[0, 3\)", sizes=dict(N=2, C=3), y=np.array([-1, 0])),
    rejects("float labels", r"y must hold integer class labels, got dtype float64", y=lambda a: a["y"] * 1.0),
    rejects("y too long", r"y must have shape \(2,\), got \(3,\)", sizes=dict(N=2, C=3), y=np.array([0, 1, 2])),
    rejects("x not 2-D", r"x must be 2-D, got shape \(3,\)", x=np.zeros(3)),
    rejects("empty batch: the mean is undefined", r"x must have at least one row.*\(0, 3\)",
            x=np.zeros((0, 3)), y=np.zeros(0, int)),
    computes("NaN score", x=put("x", NAN, at=1)),
    computes("inf score", x=put("x", INF, at=1)),
]

_BATCHNORM_BACKWARD = [
    rejects("dout of another shape", r"dout must have shape \(4, 3\) \(the forward's output\), got \(3, 4\)",
            sizes=_BN, dout=np.zeros((3, 4))),
    computes("NaN in dout", dout=put("dout", NAN)),
    computes("NaN in x", x=put("x", NAN)),
]

_DROPOUT = dict(N=3, D=4, pk=2, seeded=1, test=0)

LAYERS = {
    "affine_forward": [
        rejects("w rows differ from x's features", r"w must have shape \(6, 4\).*got \(5, 4\)", sizes=_AFFINE,
                w=np.zeros((5, 4))),
        rejects("b of another length", r"b must have shape \(4,\).*got \(3,\)", sizes=_AFFINE, b=np.zeros(3)),
        rejects("x a scalar", r"x must have at least 1 dimensions, got shape \(\)", x=np.zeros(())),
        rejects("ragged x", r"x must be an array of numbers, got list", x=[[1.0, 2.0], [3.0]]),
        rejects("x of strings", r"x must be a real floating array, got dtype <U1", x=np.array([["a"]])),
        computes("empty batch", sizes=dict(N=0)),
        computes("NaN in x", x=put("x", NAN)),
        computes("inf in x", x=put("x", INF)),
    ],
    "affine_backward": [
        rejects("dout of another shape", r"dout must have shape \(2, 4\).*got \(2, 5\)", sizes=_AFFINE,
                dout=np.zeros((2, 5))),
        computes("empty batch", sizes=dict(N=0)),
        computes("NaN in dout", dout=put("dout", NAN)),
    ],
    "relu_forward": [
        rejects("x of strings", r"x must be a real floating array, got dtype <U1", x=np.array(["a", "b"])),
        rejects("x None", r"x must be a real floating array, got dtype object", x=None),
        computes("empty input", sizes=dict(d1=0)),
        computes("NaN and inf in x", x=put("x", [NAN, INF], at=[0, 1])),
    ],
    "relu_backward": [
        rejects("dout of another shape", r"dout must have shape \(2, 3\).*got \(3, 2\)", sizes=dict(K=2, d1=2, d2=3),
                dout=np.zeros((3, 2))),
        computes("NaN in x passes the gradient, as torch's x <= 0 test", x=put("x", NAN)),
        computes("NaN in dout", dout=put("dout", NAN)),
        computes("NaN and inf in dout wherever x <= 0: the gradient there is 0",
                 dout=lambda a: np.where(np.asarray(a["x"]) <= 0, np.where(np.asarray(a["x"]) < -0.5, INF, NAN), a["dout"])),
        computes("empty input", sizes=dict(d1=0)),
    ],
    "softmax_loss": _SCORES,
    "svm_loss": _SCORES,
    "batchnorm_forward": [
        rejects("mode missing", r"bn_param\['mode'\] must be one of \['test', 'train'\], got None",
                bn_param={}),
        rejects("unknown mode", r"bn_param\['mode'\] .*got 'eval'", bn_param=param("bn_param", mode="eval")),
        rejects("bn_param None", r"bn_param must be a dict, got NoneType", bn_param=None),
        rejects("gamma of another length", r"gamma must have shape \(3,\).*got \(2,\)", sizes=_BN, gamma=np.ones(2)),
        rejects("running_var of another length", r"bn_param\['running_var'\] must have shape \(3,\).*got \(4,\)",
                sizes=_BN, bn_param=param("bn_param", running_var=np.ones(4))),
        rejects("x 4-D", r"x must be 2-D, got shape \(1, 2, 4, 4\)", x=np.zeros((1, 2, 4, 4))),
        rejects("negative eps", r"bn_param\['eps'\] must be > 0, got -1", bn_param=param("bn_param", eps=-1)),
        rejects("momentum a string", r"bn_param\['momentum'\] must be a number, got '0.9'",
                bn_param=param("bn_param", momentum="0.9")),
        rejects("empty batch in train mode: the mean is undefined",
                r"x must hold at least one sample in train mode, got shape \(0, 3\)", sizes=dict(_BN, N=0)),
        computes("empty batch in test mode", sizes=dict(_BN, N=0, test=1)),
        computes("NaN in x (train)", sizes=_BN, x=put("x", NAN)),
        computes("float16 pixel range (variance above 65504)", dtype="float16", sizes=_BN, x=pixels("x")),
    ],
    "batchnorm_backward": _BATCHNORM_BACKWARD,
    "batchnorm_backward_alt": _BATCHNORM_BACKWARD,
    "dropout_forward": [
        rejects("p = 2 in test mode (torch checks p in eval mode too)",
                r"dropout_param\['p'\] \(keep probability\) must be >= 0 and <= 1, got 2",
                dropout_param={"p": 2, "mode": "test"}),
        rejects("p a string", r"dropout_param\['p'\] \(keep probability\) must be a number.*got '0.5'",
                dropout_param={"p": "0.5", "mode": "train"}),
        rejects("p NaN", r"dropout_param\['p'\] .*got nan", dropout_param={"p": NAN, "mode": "train"}),
        rejects("p missing", r"dropout_param\['p'\] .*got None", dropout_param={"mode": "train"}),
        rejects("p above one", r"dropout_param\['p'\] .*got 1.5", dropout_param={"p": 1.5, "mode": "train"}),
        rejects("unknown mode", r"dropout_param\['mode'\] .*got 'eval'", dropout_param={"p": 0.5, "mode": "eval"}),
        rejects("dropout_param None", r"dropout_param must be a dict, got NoneType", dropout_param=None),
        computes("p = 0 keeps nothing (torch's drop probability 1: zeros)", sizes=_DROPOUT,
                 dropout_param=param("dropout_param", p=0.0)),
        computes("NaN in x", sizes=_DROPOUT, x=put("x", NAN)),
        computes("empty batch", sizes=dict(_DROPOUT, N=0)),
    ],
    "dropout_backward": [
        rejects("dout of another shape", r"dout must have shape \(3, 4\).*got \(4, 3\)", sizes=_DROPOUT,
                dout=np.zeros((4, 3))),
        computes("p = 0", sizes=_DROPOUT, dropout_param=param("dropout_param", p=0.0)),
        computes("NaN in dout", sizes=_DROPOUT, dout=put("dout", NAN)),
        computes("empty batch", sizes=dict(_DROPOUT, N=0)),
    ],
}

# ---- normalization ----------------------------------------------------------------------------
_LN = dict(N=3, D=4, custom=0)
_SBN = dict(N=2, C=3, H=2, W=2, test=0, custom=0, fresh=0)
_GN = dict(N=2, G=2, Cg=2, H=2, W=3, custom=0)  # C = 4

NORM = {
    "layernorm_forward": [
        rejects("gamma of another length", r"gamma must have shape \(4,\).*got \(3,\)", sizes=_LN, gamma=np.ones(3)),
        rejects("x 1-D", r"x must be 2-D, got shape \(4,\)", x=np.zeros(4)),
        rejects("negative eps", r"ln_param\['eps'\] must be > 0, got -1", ln_param={"eps": -1}),
        rejects("ln_param a string", r"ln_param must be a dict, got str", ln_param="eps"),
        computes("ln_param None: the defaults", ln_param=None),
        computes("empty batch", sizes=dict(N=0)),
        computes("NaN in x", x=put("x", NAN)),
        computes("float16 pixel range", dtype="float16", x=pixels("x")),
    ],
    "layernorm_backward": [
        rejects("dout of another shape", r"dout must have shape \(3, 4\).*got \(4, 3\)", sizes=_LN,
                dout=np.zeros((4, 3))),
        computes("empty batch", sizes=dict(N=0)),
        computes("NaN in dout", dout=put("dout", NAN)),
    ],
    "spatial_batchnorm_forward": [
        rejects("x 2-D", r"x must be 4-D, got shape \(2, 3\)", x=np.zeros((2, 3))),
        rejects("gamma of another length", r"gamma must have shape \(3,\).*got \(4,\)", sizes=_SBN, gamma=np.ones(4)),
        rejects("empty batch in train mode", r"x must hold at least one sample in train mode",
                sizes=dict(_SBN, N=0)),
        computes("empty batch in test mode", sizes=dict(_SBN, N=0, test=1)),
        computes("NaN in x", sizes=_SBN, x=put("x", NAN)),
        computes("float16 pixel range (running_var above 65504)", dtype="float16", sizes=dict(_SBN, N=3, H=4, W=4),
                 x=pixels("x")),
    ],
    "spatial_batchnorm_backward": [
        rejects("dout of another shape", r"dout must have shape \(2, 3, 2, 2\).*got \(2, 3, 2, 1\)", sizes=_SBN,
                dout=np.zeros((2, 3, 2, 1))),
        computes("NaN in dout", sizes=_SBN, dout=put("dout", NAN)),
    ],
    "spatial_groupnorm_forward": [
        rejects("G does not divide C", r"G must be a positive divisor of the 4 channels.*got 3", sizes=_GN, G=3),
        rejects("G = 1.5", r"G must be a whole number >= 1, got 1.5", G=1.5),
        rejects("G = 0", r"G must be a whole number >= 1, got 0", G=0),
        rejects("gamma (C,) instead of (1, C, 1, 1)", r"gamma must have shape \(1, 4, 1, 1\).*got \(4,\)", sizes=_GN,
                gamma=np.ones(4)),
        rejects("negative eps", r"gn_param\['eps'\] must be > 0, got -0.1", gn_param={"eps": -0.1}),
        computes("G = 2.0, a whole number", sizes=_GN, G=2.0),
        computes("gn_param None", gn_param=None),
        computes("empty batch", sizes=dict(_GN, N=0)),
        computes("NaN in x", x=put("x", NAN)),
        computes("float16 pixel range", dtype="float16", sizes=dict(_GN, H=4, W=4), x=pixels("x")),
    ],
    "spatial_groupnorm_backward": [
        rejects("dout of another shape", r"dout must have shape \(2, 4, 2, 3\).*got \(2, 4, 3, 2\)", sizes=_GN,
                dout=np.zeros((2, 4, 3, 2))),
        computes("empty batch", sizes=dict(_GN, N=0)),
        computes("NaN in dout", dout=put("dout", NAN)),
    ],
}

# ---- convolution and pooling ------------------------------------------------------------------
_CONV_FORWARD = [
    rejects("kernel larger than the padded input", r"window 7 is larger than the \(padded\) input 5", sizes=_CONV,
            w=np.zeros((3, 2, 7, 3))),
    rejects("channels differ", r"w must have x's 2 channels in axis 1, got w \(3, 1, 3, 3\)", sizes=_CONV,
            w=np.zeros((3, 1, 3, 3))),
    rejects("one bias short", r"b must have shape \(3,\).*got \(2,\)", sizes=_CONV, b=np.zeros(2)),
    rejects("x 3-D", r"x must be 4-D, got shape \(2, 3, 3\)", x=np.zeros((2, 3, 3))),
    rejects("stride 0", r"conv_param\['stride'\] must be a whole number >= 1, got 0",
            conv_param={"stride": 0, "pad": 1}),
    rejects("stride 1.5 (not truncated to 1)", r"conv_param\['stride'\] must be a whole number >= 1, got 1.5",
            conv_param={"stride": 1.5, "pad": 1}),
    rejects("stride 0.5", r"conv_param\['stride'\] .*got 0.5", conv_param={"stride": 0.5, "pad": 1}),
    rejects("stride inf", r"conv_param\['stride'\] .*got inf", conv_param={"stride": INF, "pad": 1}),
    rejects("stride True", r"conv_param\['stride'\] .*got True", conv_param={"stride": True, "pad": 1}),
    rejects("pad 1.5", r"conv_param\['pad'\] must be a whole number >= 0, got 1.5",
            conv_param={"stride": 1, "pad": 1.5}),
    rejects("pad -1", r"conv_param\['pad'\] .*got -1", conv_param={"stride": 1, "pad": -1}),
    rejects("stride missing", r"conv_param\['stride'\] .*got None", conv_param={"pad": 1}),
    rejects("conv_param None", r"conv_param must be a dict, got NoneType", conv_param=None),
    computes("stride 2.0 and pad 1.0, whole numbers", sizes=dict(_CONV, stride=2),
             conv_param={"stride": 2.0, "pad": 1.0}),
    computes("empty batch", sizes=dict(N=0)),
    computes("NaN in x", x=put("x", NAN)),
    # 32 channels in and out, 3x3, stride 1: the layer refimpl's fast conv computes by Winograd,
    # whose transforms would turn inf - inf into NaNs where torch's products give +-inf
    computes("inf and -inf in x of a 32-channel 3x3 layer", sizes=_CONV32, x=put("x", [INF, -INF], at=[0, 10])),
    computes("NaN in w of a 32-channel 3x3 layer", sizes=_CONV32, w=put("w", NAN, at=4)),
]
_CONV_BACKWARD = [
    rejects("dout of another shape", r"dout must have shape \(2, 3, 3, 3\).*got \(2, 3, 3, 2\)", sizes=_CONV,
            dout=np.zeros((2, 3, 3, 2))),
    computes("empty batch", sizes=dict(N=0)),
    computes("NaN in dout", dout=put("dout", NAN)),
    computes("NaN in x", x=put("x", NAN)),
    computes("inf and -inf in dout of a 32-channel 3x3 layer", sizes=_CONV32,
             dout=put("dout", [INF, -INF], at=[0, 10])),
    computes("inf in x of a 32-channel 3x3 layer", sizes=_CONV32, x=put("x", INF, at=5)),
]
_POOL_FORWARD = [
    rejects("window larger than x", r"window 5 is larger than the \(padded\) input 4", sizes=_POOL,
            pool_param={"pool_height": 5, "pool_width": 2, "stride": 1}),
    rejects("stride missing", r"pool_param\['stride'\] must be a whole number >= 1, got None",
            pool_param={"pool_height": 2, "pool_width": 2}),
    rejects("pool_height 2.5 (not truncated to 2)", r"pool_param\['pool_height'\] .*got 2.5",
            pool_param={"pool_height": 2.5, "pool_width": 2, "stride": 2}),
    rejects("pool_width a string", r"pool_param\['pool_width'\] .*got '2'",
            pool_param={"pool_height": 2, "pool_width": "2", "stride": 2}),
    rejects("stride 0.5", r"pool_param\['stride'\] .*got 0.5",
            pool_param={"pool_height": 2, "pool_width": 2, "stride": 0.5}),
    rejects("pool_param None", r"pool_param must be a dict, got NoneType", pool_param=None),
    computes("sizes as whole floats", sizes=_POOL, pool_param={"pool_height": 2.0, "pool_width": 2.0, "stride": 2.0}),
    computes("empty batch", sizes=dict(N=0)),
    computes("NaN in x", x=put("x", NAN)),
]
_POOL_BACKWARD = [
    rejects("dout of another shape", r"dout must have shape \(2, 2, 2, 2\).*got \(2, 2, 2, 3\)", sizes=_POOL,
            dout=np.zeros((2, 2, 2, 3))),
    computes("a NaN takes its window's gradient", sizes=_POOL, x=put("x", NAN, at=5)),
    computes("NaN in overlapping windows", sizes=dict(_POOL, ph=3, pw=3, stride=1), x=put("x", NAN, at=5)),
    computes("NaN in dout", dout=put("dout", NAN)),
    computes("empty batch", sizes=dict(N=0)),
]

CONV = {
    "conv_forward_naive": _CONV_FORWARD, "conv_backward_naive": _CONV_BACKWARD,
    "max_pool_forward_naive": _POOL_FORWARD, "max_pool_backward_naive": _POOL_BACKWARD,
    "conv_forward_fast": _CONV_FORWARD, "conv_backward_fast": _CONV_BACKWARD,
    "max_pool_forward_fast": _POOL_FORWARD, "max_pool_backward_fast": _POOL_BACKWARD,
}

# ---- linear classifiers and k-NN --------------------------------------------------------------
_CLASSIFIER = dict(N=2, D=4, C=3, regk=1)
_CLASSIFIER_ENTRIES = [
    rejects("X's columns differ from W's rows", r"X's columns must match W's rows, got X \(2, 5\) and W \(4, 3\)",
            sizes=_CLASSIFIER, X=np.zeros((2, 5))),
    rejects("label out of range", r"y must lie in \[0, 3\), got values in \[0, 3\]", sizes=_CLASSIFIER,
            y=np.array([0, 3])),
    rejects("negative reg", r"reg must be >= 0, got -0.1", reg=-0.1),
    rejects("reg a string", r"reg must be a number >= 0, got '0.1'", reg="0.1"),
    rejects("empty batch: the mean is undefined", r"X must hold at least one sample, got shape \(0, 4\)",
            sizes=_CLASSIFIER, X=np.zeros((0, 4)), y=np.zeros(0, int)),
    computes("NaN in X", X=put("X", NAN)),
    computes("NaN in W", W=put("W", NAN)),
]

CLASSIFIERS = {
    "softmax_loss_naive": _CLASSIFIER_ENTRIES, "softmax_loss_vectorized": _CLASSIFIER_ENTRIES,
    "svm_loss_naive": _CLASSIFIER_ENTRIES, "svm_loss_vectorized": _CLASSIFIER_ENTRIES,
    "compute_distances": [
        rejects("columns differ", r"X and Y must have the same number of columns, got X \(2, 3\) and Y \(4, 2\)",
                X=np.zeros((2, 3)), Y=np.zeros((4, 2))),
        rejects("X 1-D", r"X must be 2-D, got shape \(3,\)", X=np.zeros(3)),
        computes("inf and NaN rows: inf where torch gives inf", sizes=dict(N=3, M=3, D=2),
                 X=np.array([[INF, 0.0], [1.0, 2.0], [NAN, 0.0]]), Y=np.array([[1.0, 0.0], [INF, 1.0], [3.0, 4.0]])),
        computes("float32 rows near 1e20: identical ones exactly 0, the others finite", dtype="float32",
                 sizes=dict(N=3, M=2, D=3), X=lambda a: np.array([[1e20] * 3, [3e19] * 3, [1.0] * 3], np.float32),
                 Y=lambda a: np.array([[1e20] * 3, [1.0] * 3], np.float32)),
        computes("float16 pixel range (squares above 65504)", dtype="float16", X=pixels("X"), Y=pixels("Y")),
        computes("empty X", sizes=dict(N=0)),
        computes("no columns", sizes=dict(D=0)),
    ],
}

# ---- recurrent layers -------------------------------------------------------------------------
_STEP = dict(N=2, D=3, H=4)
_SEQ = dict(N=2, T=3, D=3, H=4)


def _step_entries(gates):
    return [
        rejects("prev_h of another batch",
                r"prev_h must have shape \(2, 4\) \(one row per row of x \(2, 3\)\), got \(3, 4\)",
                sizes=_STEP, prev_h=np.zeros((3, 4))),
        rejects("Wx of another width", rf"Wx must have shape \(3, {4 * gates}\)", sizes=_STEP, Wx=np.zeros((3, 5))),
        rejects("b of another length", rf"b must have shape \({4 * gates},\)", sizes=_STEP, b=np.zeros(3)),
        rejects("x 3-D", r"x must be 2-D, got shape \(2, 1, 3\)", sizes=_STEP, x=np.zeros((2, 1, 3))),
        computes("empty batch", sizes=dict(N=0)),
        computes("NaN in x", x=put("x", NAN)),
    ], [
        rejects("dnext_h of another shape", r"dnext_h must have shape \(2, 4\).*got \(4, 2\)", sizes=_STEP,
                dnext_h=np.zeros((4, 2))),
        computes("empty batch", sizes=dict(N=0)),
        computes("NaN in dnext_h", dnext_h=put("dnext_h", NAN)),
    ]


def _sequence_entries(gates):
    return [
        rejects("T = 0 (torch: sequence length must be > 0)",
                r"x must hold at least one time step, got shape \(2, 0, 3\)",
                sizes=_SEQ, x=np.zeros((2, 0, 3))),
        rejects("h0 of another batch", r"h0 must have shape \(2, 4\).*got \(3, 4\)", sizes=_SEQ, h0=np.zeros((3, 4))),
        rejects("Wh of another shape", rf"Wh must have shape \(4, {4 * gates}\)", sizes=_SEQ,
                Wh=np.zeros((4, 4 * gates + 1))),
        computes("empty batch", sizes=dict(N=0)),
        computes("NaN in x", x=put("x", NAN)),
    ], [
        rejects("dh of another shape", r"dh must have shape \(2, 3, 4\).*got \(2, 4, 3\)", sizes=_SEQ,
                dh=np.zeros((2, 4, 3))),
        computes("empty batch", sizes=dict(N=0)),
        computes("NaN in dh", dh=put("dh", NAN)),
    ]


_RNN_STEP, _RNN_STEP_BACKWARD = _step_entries(1)
_LSTM_STEP, _LSTM_STEP_BACKWARD = _step_entries(4)
_RNN, _RNN_BACKWARD = _sequence_entries(1)
_LSTM, _LSTM_BACKWARD = _sequence_entries(4)
_WORDS = dict(N=2, T=3, V=5, D=4)
_TEMPORAL = dict(N=2, T=3, D=4, M=5)
_CAPTIONS = dict(N=2, T=3, V=4)

RNN = {
    "rnn_step_forward": _RNN_STEP, "rnn_step_backward": _RNN_STEP_BACKWARD,
    "rnn_forward": _RNN, "rnn_backward": _RNN_BACKWARD,
    "lstm_step_forward": _LSTM_STEP + [
        rejects("prev_c of another shape", r"prev_c must have shape \(2, 4\) \(the shape of prev_h\), got \(2, 3\)",
                sizes=_STEP, prev_c=np.zeros((2, 3)))],
    "lstm_step_backward": _LSTM_STEP_BACKWARD + [
        rejects("dnext_c of another shape", r"dnext_c must have shape \(2, 4\).*got \(2, 1\)", sizes=_STEP,
                dnext_c=np.zeros((2, 1))),
        computes("NaN in dnext_c", dnext_c=put("dnext_c", NAN))],
    "lstm_forward": _LSTM, "lstm_backward": _LSTM_BACKWARD,
    "word_embedding_forward": [
        rejects("float word indices", r"x must be an \(N, T\) array of integer word indices, got float64",
                x=lambda a: a["x"] * 1.0),
        rejects("index past the vocabulary", r"x must index the 5 rows of W \(5, 4\), got values in \[0, 5\]",
                sizes=_WORDS, x=np.array([[0, 5, 1]])),
        rejects("W 1-D", r"W must be 2-D, got shape \(5,\)", sizes=_WORDS, W=np.zeros(5)),
        computes("empty batch", sizes=dict(N=0)),
        computes("NaN in W", W=put("W", NAN)),
    ],
    "word_embedding_backward": [
        rejects("dout of another shape", r"dout must have shape \(2, 3, 4\).*got \(2, 3, 5\)", sizes=_WORDS,
                dout=np.zeros((2, 3, 5))),
        computes("empty batch", sizes=dict(N=0)),
        computes("NaN in dout", dout=put("dout", NAN)),
    ],
    "temporal_affine_forward": [
        rejects("w rows differ from x's features", r"w must have shape \(4, 5\).*got \(3, 5\)", sizes=_TEMPORAL,
                w=np.zeros((3, 5))),
        rejects("x 2-D", r"x must be 3-D, got shape \(2, 4\)", x=np.zeros((2, 4))),
        computes("empty batch", sizes=dict(N=0)),
        computes("NaN in x", x=put("x", NAN)),
    ],
    "temporal_affine_backward": [
        rejects("dout of another shape", r"dout must have shape \(2, 3, 5\).*got \(2, 3, 4\)", sizes=_TEMPORAL,
                dout=np.zeros((2, 3, 4))),
        computes("empty batch", sizes=dict(N=0)),
        computes("NaN in dout", dout=put("dout", NAN)),
    ],
    "temporal_softmax_loss": [
        rejects("complex mask", r"mask must be a boolean or real mask, got dtype complex128",
                mask=lambda a: a["mask"] + 0j),
        rejects("mask of another shape", r"mask must have shape \(2, 3\), got \(3, 2\)", sizes=_CAPTIONS,
                mask=np.ones((3, 2), bool)),
        rejects("word out of range", r"y must lie in \[0, 4\)", sizes=_CAPTIONS, y=np.full((2, 3), 4)),
        rejects("empty batch: the loss divides by N", r"x must hold at least one sequence.*\(0, 3, 4\)",
                sizes=dict(_CAPTIONS, N=0)),
        computes("0/1 integer mask", mask=lambda a: a["mask"].astype(int)),
        computes("NaN in x", x=put("x", NAN)),
        computes("no time steps", sizes=dict(T=0)),
    ],
}

# ---- update rules -----------------------------------------------------------------------------
_RULE = dict(schedule=0, custom=0, partial=0)  # the config is the entry's, never the generator's
_W34 = dict(_RULE, rank=3, steps=3)  # w (3, 4)


def _hyper(key, value, match):
    return rejects(f"{key} = {value!r}", rf"config\['{key}'\] {match}", sizes=_RULE, config={key: value})


def _rule_entries(state, hyper):
    """Entries shared by the update rules: torch.optim's checks of the hyper-parameters in
    ``hyper``, the carried state in ``state`` of a shape that broadcasts against w, NaN gradients."""
    entries = [
        _hyper("learning_rate", -0.1, r"must be >= 0, got -0.1"),
        _hyper("learning_rate", "1e-2", r"must be a number >= 0, got '1e-2'"),
        _hyper("learning_rate", NAN, r"must be a number >= 0, got nan"),
        rejects("dw of another shape", r"dw must have shape \(3, 4\) \(the shape of w\), got \(4,\)", sizes=_W34,
                dws=lambda a: a["dws"][..., 0, :]),
        rejects("config a list", r"config must be a dict, got list", sizes=_RULE, config=[0.1]),
        computes("learning_rate 0 (torch accepts it)", sizes=_W34, config={"learning_rate": 0.0}),
        computes("NaN gradient", sizes=_W34, dws=put("dws", NAN, at=5)),
        computes("w of no elements", sizes=dict(_W34, steps=2), w=np.zeros((0, 4)), dws=np.zeros((2, 0, 4))),
    ]
    for key, value, match in hyper:
        entries.append(_hyper(key, value, match))
    for key in state:
        if key == "t":
            entries += [_hyper("t", -1, r"must be a whole number >= 0, got -1"),
                        _hyper("t", 1.5, r"must be a whole number >= 0, got 1.5")]
            continue
        for bad in ((4,), (3, 1), (1, 4)):
            entries.append(rejects(f"{key} of shape {bad}, which broadcasts against w (3, 4)",
                                   rf"config\['{key}'\] must have shape \(3, 4\) \(the shape of w\), got \({bad[0]},",
                                   sizes=_W34, config={key: np.zeros(bad)}))
    return entries


_MOMENTUM = [("momentum", -0.5, r"must be >= 0, got -0.5")]
_ADAM = [("beta1", 1.0, r"must be >= 0 and < 1, got 1.0"), ("beta1", -0.1, r"must be >= 0 and < 1, got -0.1"),
         ("beta2", 1.5, r"must be >= 0 and < 1, got 1.5"), ("epsilon", -1e-8, r"must be >= 0, got -1e-08")]
OPTIM = {
    "sgd": _rule_entries((), []),
    "sgd_momentum": _rule_entries(("velocity",), _MOMENTUM),
    "sgd_nesterov": _rule_entries(("velocity",), _MOMENTUM + [
        ("momentum", 0.0, r"must be > 0, got 0.0")]),  # torch: Nesterov momentum requires a momentum
    "rmsprop": _rule_entries(("cache",), [("decay_rate", -0.1, r"must be >= 0, got -0.1"),
                                                     ("epsilon", -1.0, r"must be >= 0, got -1.0")]),
    "adagrad": _rule_entries(("cache",), [("epsilon", -1.0, r"must be >= 0, got -1.0")]),
    "adam": _rule_entries(("m", "v", "t"), _ADAM),
    "adamw": _rule_entries(("m", "v", "t"), _ADAM + [
        ("weight_decay", -0.01, r"must be >= 0, got -0.01"), ("weight_decay", NAN, r"must be a number >= 0, got nan")]),
}

# ---- detection --------------------------------------------------------------------------------
_BOX = np.array([[0.0, 0.0, 2.0, 2.0]])
_DET = dict(classes=1, gt=2, fp=2, k=8, half=1)

DETECTION = {
    "box_iou": [
        rejects("boxes of 3 columns", r"boxes1 must have shape \(N, 4\) with rows x1, y1, x2, y2, got \(2, 3\)",
                boxes1=np.zeros((2, 3))),
        rejects("x2 < x1", r"boxes2 must have x2 >= x1 and y2 >= y1 in every row, got row 0 \[2.0, 0.0, 0.0, 2.0\]",
                boxes2=np.array([[2.0, 0, 0, 2]]), pixel_inclusive=False),
        rejects("x2 < x1 - 1 with the +1 convention", r"boxes1 must have x2 >= x1 - 1 and y2 >= y1 - 1",
                boxes1=np.array([[3.0, 0, 1, 2]]), pixel_inclusive=True),
        computes("x2 = x1 - 1 with the +1 convention: zero width", boxes1=np.array([[3.0, 0, 2, 2]]),
                 pixel_inclusive=True),
        computes("NaN coordinate: NaN IoU, as torchvision", boxes1=np.array([[0.0, 0, 2, 2], [NAN, 0, 2, 2]]),
                 boxes2=np.array([[1.0, 1, 3, 3], [0, 0, 2, 2]]), pixel_inclusive=False),
        computes("float16 300-pixel boxes (areas above 65504)", dtype="float16",
                 boxes1=np.array([[0.0, 0, 300, 300], [10, 10, 310, 300]], np.float16),
                 boxes2=np.array([[0.0, 0, 300, 300]], np.float16), pixel_inclusive=False),
        computes("no boxes", sizes=dict(N=0)),
    ],
    "nms": [
        rejects("NaN threshold", r"iou_threshold must be a number >= 0, got nan", iou_threshold=NAN),
        rejects("negative threshold", r"iou_threshold must be >= 0, got -0.1", iou_threshold=-0.1),
        rejects("one score short", r"scores must have shape \(4,\) \(one per box of boxes \(4, 4\)\), got \(3,\)",
                sizes=dict(n=4), scores=lambda a: a["scores"][:3]),
        rejects("x2 < x1", r"boxes must have x2 >= x1 and y2 >= y1 in every row, got row 1", sizes=dict(n=4, incl=0),
                boxes=reversed_box("boxes", 1)),
        computes("NaN scores are visited first, as torchvision", sizes=dict(n=20, clusters=2),
                 scores=put("scores", NAN, at=[3, 7])),
        computes("NaN coordinate: neither suppresses nor is suppressed", sizes=dict(n=20, clusters=2),
                 boxes=put("boxes", NAN, at=4)),
        computes("no boxes", sizes=dict(n=0)),
    ],
    "py_cpu_nms": [
        rejects("dets of 4 columns", r"dets must have shape \(N, 5\) with rows x1, y1, x2, y2, score, got \(4, 4\)",
                dets=np.zeros((4, 4))),
        rejects("NaN threshold", r"thresh must be a number >= 0, got nan", thresh=NAN),
        rejects("x2 < x1 - 1", r"dets\[:, :4\] must have x2 >= x1 - 1 .*got row 0 \[5.0, 0.0, 1.0, 2.0\]",
                dets=np.array([[5.0, 0, 1, 2, 0.5]])),
        computes("NaN score", sizes=dict(n=20, clusters=2), dets=put("dets", NAN, at=5 * 3 + 4)),
        computes("no boxes", sizes=dict(n=0)),
    ],
    "average_precision": [
        rejects("labels 0/1/2", r"labels must hold 0/1 \(or booleans\)",
                labels=lambda a: np.full(len(a["labels"]), 2)),
        rejects("one label short", r"labels must have shape \(5,\) like scores, got \(4,\)", sizes=dict(n=5),
                labels=lambda a: a["labels"][:4]),
        rejects("no scores (torchmetrics raises)", r"scores must hold at least one score, got shape \(0,\)",
                scores=np.zeros(0), labels=np.zeros(0, int)),
        computes("a NaN score ranks first, as torchmetrics", sizes=dict(n=12, pos=2), scores=put("scores", NAN, at=4)),
        computes("inf score", sizes=dict(n=12, pos=2), scores=put("scores", INF, at=4)),
    ],
    "mean_average_precision": [
        rejects("threshold 2.0", r"iou_threshold must be >= 0 and <= 1, got 2.0", iou_threshold=2.0),
        rejects("threshold NaN", r"iou_threshold must be a number >= 0 and <= 1, got nan", iou_threshold=NAN),
        rejects("float predicted labels", r"pred_labels must hold integers, got dtype float64", sizes=_DET,
                pred_labels=lambda a: a["pred_labels"] + 0.5),
        rejects("float ground-truth labels", r"gt_labels must hold integers, got dtype float64", sizes=_DET,
                gt_labels=lambda a: a["gt_labels"] * 1.0),
        rejects("x2 < x1 in the ground truth", r"gt_boxes must have x2 >= x1 and y2 >= y1 in every row", sizes=_DET,
                gt_boxes=reversed_box("gt_boxes")),
        rejects("NaN box (pycocotools would match it)", r"pred_boxes must be finite, got nan", sizes=_DET,
                pred_boxes=put("pred_boxes", NAN, at=2)),
        rejects("NaN score", r"pred_scores must be finite, got nan", sizes=_DET, pred_scores=put("pred_scores", NAN)),
        rejects("one label short", r"pred_labels must have shape \(4,\) \(one per box of pred_boxes \(4, 4\)\)",
                sizes=_DET, pred_labels=lambda a: a["pred_labels"][:3]),
        computes("no predictions", token="no_predictions"),
        computes("threshold 1.0", sizes=_DET, iou_threshold=1.0),
        computes("negative class ids (any integer is a class)", sizes=dict(_DET, classes=2),
                 pred_labels=lambda a: a["pred_labels"] - 1, gt_labels=lambda a: a["gt_labels"] - 1),
    ],
}

# ---- attention and transformer building blocks ------------------------------------------------
_ROWS = dict(K=2, a=2, C=3)  # x (2, 3)


def _softmax_entries():
    return [
        rejects("x a scalar (torch: 1.0; the contract has a class axis)", r"x must have at least 1 dimensions, got shape \(\)", x=np.zeros(())),
        rejects("no classes (torch: empty; a distribution needs a class)",
                r"x must have at least one entry on its last axis, got shape \(2, 0\)", x=np.zeros((2, 0))),
        rejects("x of strings", r"x must be a real floating array, got dtype <U1", x=np.array([["a"]])),
        computes("empty leading axis", sizes=dict(_ROWS, a=0)),
        computes("NaN in a row: that row NaN, as torch", sizes=_ROWS, x=put("x", NAN)),
        computes("inf in a row: that row NaN, as torch", sizes=_ROWS, x=put("x", INF, at=4)),
        computes("-inf score (a blocked class)", sizes=_ROWS, x=put("x", -INF, at=1)),
    ], [
        rejects("dout of another shape", r"dout must have shape \(2, 3\) \(the forward's output\), got \(3, 2\)",
                sizes=_ROWS, dout=np.zeros((3, 2))),
        computes("empty leading axis", sizes=dict(_ROWS, a=0)),
        computes("NaN in dout", sizes=_ROWS, dout=put("dout", NAN)),
        computes("NaN in x", sizes=_ROWS, x=put("x", NAN)),
        computes("-inf score (a blocked class)", sizes=_ROWS, x=put("x", -INF, at=1)),
    ]


_SOFTMAX, _SOFTMAX_BACKWARD = _softmax_entries()
_ELEMENTS = dict(K=2, d1=2, d2=3)  # x (2, 3)
_TAILS = put("x", [NAN, INF, -INF], at=[0, 1, 2])  # torch: gelu(-inf) and silu(-inf) NaN, their slopes at inf NaN


def _elementwise_entries(forms):
    """``forms``: the sizes of each form of the activation (GELU's erf and tanh forms)."""
    forward_ = [rejects("x of strings", r"x must be a real floating array, got dtype <U1", x=np.array(["a"])),
                rejects("x None", r"x must be a real floating array, got dtype object", x=None),
                computes("empty input", sizes=dict(_ELEMENTS, d1=0))]
    backward_ = [rejects("dout of another shape", r"dout must have shape \(2, 3\) \(the forward's output\), got \(3, 2\)",
                         sizes=_ELEMENTS, dout=np.zeros((3, 2))),
                 computes("empty input", sizes=dict(_ELEMENTS, d1=0)),
                 computes("NaN in dout", sizes=_ELEMENTS, dout=put("dout", NAN))]
    for form, sizes in forms.items():
        forward_.append(computes(f"NaN and +-inf in x{form}, as torch", sizes=dict(_ELEMENTS, **sizes), x=_TAILS))
        backward_.append(computes(f"NaN and +-inf in x{form}, as torch", sizes=dict(_ELEMENTS, **sizes), x=_TAILS))
    return forward_, backward_


_GELU, _GELU_BACKWARD = _elementwise_entries({" (erf form)": {"form": 0}, " (tanh form)": {"form": 1}})
_SILU, _SILU_BACKWARD = _elementwise_entries({"": {}})
_GELU += [
    rejects("unknown approximate", r"approximate must be one of \['none', 'tanh'\], got 'fast'", approximate="fast"),
    rejects("approximate 'TANH' (torch is case-sensitive)", r"approximate must be one of .*got 'TANH'",
            approximate="TANH"),
    rejects("approximate None (torch: must be a string)", r"approximate must be one of .*got None", approximate=None),
    rejects("approximate a list", r"approximate must be one of .*got \['tanh'\]", approximate=["tanh"]),
]
_RMS = dict(K=2, a=2, D=3, eps=1)  # x (2, 3), gamma (3,), eps 1e-5
_SWIGLU = dict(K=2, a=2, D=3, H=4)  # x (2, 3), W1 and W3 (3, 4), W2 (4, 3)
_CE = dict(N=3, C=4, smooth=0, ign=2)  # x (3, 4), y (3,)
_CE_SMOOTH = dict(_CE, smooth=2)  # and label_smoothing 0.1
_CE_IGNORE = dict(_CE, ign=1)  # and label_smoothing 0.0, ignore_index a class
_SDPA = dict(lead=1, N=2, S=3, T=5, d=4, dv=6, mode=1, mshape=0, scaled=0)  # q (2, 3, 4), k (2, 5, 4), v (2, 5, 6)
_SDPA_NO_MASK = dict(_SDPA, mode=0)
_KEY0_BLOCKED = np.array([[False, True, True, True, True]] * 3)
_MHA = dict(N=1, S=2, T=3, heads=1, hd=2, mask=1, boolean=1)  # E = 4, 2 heads, attn_mask (2, 3)
_ROPE = dict(lead=1, N=2, T=3, half=2, start=0, kind=0, il=0, theta=0)  # x (2, 3, 4), positions (3,)
_KV = dict(N=1, H=2, T=3, d=4)  # q, k, v (1, 2, 3, 4), fed as (1, 2, 1, 4) steps


def _cache(k_shape, v_shape=None, dtype=float):
    return {"k": np.zeros(k_shape, dtype), "v": np.zeros(v_shape or k_shape, dtype)}


ATTENTION = {
    "softmax_forward": _SOFTMAX, "softmax_backward": _SOFTMAX_BACKWARD,
    "log_softmax_forward": _SOFTMAX, "log_softmax_backward": _SOFTMAX_BACKWARD,
    "gelu_forward": _GELU, "gelu_backward": _GELU_BACKWARD,
    "silu_forward": _SILU, "silu_backward": _SILU_BACKWARD,
    "rms_norm_forward": [
        rejects("gamma of another length", r"gamma must have shape \(3,\) \(the last axis of x \(2, 3\)\), got \(4,\)",
                sizes=_RMS, gamma=np.ones(4)),
        rejects("gamma 2-D", r"gamma must be 1-D, got shape \(1, 3\)", sizes=_RMS, gamma=np.ones((1, 3))),
        rejects("x a scalar (torch: normalized_shape must be at least 1-D)",
                r"x must have at least 1 dimensions, got shape \(\)", x=np.zeros(())),
        rejects("eps = 0 (torch: NaN for a zero row)", r"eps must be > 0, got 0.0", sizes=_RMS, eps=0.0),
        rejects("negative eps (torch: NaN)", r"eps must be > 0, got -1e-05", sizes=_RMS, eps=-1e-5),
        rejects("eps NaN", r"eps must be > 0, got nan", sizes=_RMS, eps=NAN),
        rejects("eps a string", r"eps must be a number, got '1e-5'", sizes=_RMS, eps="1e-5"),
        computes("empty leading axis", sizes=dict(_RMS, a=0)),
        computes("NaN in x: its row NaN", sizes=_RMS, x=put("x", NAN)),
        computes("float16 pixel range (x^2 above 65504)", dtype="float16", sizes=_RMS, x=pixels("x")),
    ],
    "rms_norm_backward": [
        rejects("dout of another shape", r"dout must have shape \(2, 3\) \(the forward's output\), got \(3, 2\)",
                sizes=_RMS, dout=np.zeros((3, 2))),
        computes("empty leading axis", sizes=dict(_RMS, a=0)),
        computes("NaN in dout", sizes=_RMS, dout=put("dout", NAN)),
        computes("NaN in x", sizes=_RMS, x=put("x", NAN)),
    ],
    "swiglu_forward": [
        rejects("W1 rows differ from x's features", r"W1 must have shape \(3, 4\) \(rows = the last axis of x \(2, 3\)\), "
                r"got \(2, 4\)", sizes=_SWIGLU, W1=np.zeros((2, 4))),
        rejects("W3 of another width", r"W3 must have shape \(3, 4\) \(as W1\), got \(3, 5\)", sizes=_SWIGLU,
                W3=np.zeros((3, 5))),
        rejects("W2 not W1's transpose", r"W2 must have shape \(4, 3\) \(W1 \(3, 4\) transposed\), got \(3, 4\)",
                sizes=_SWIGLU, W2=np.zeros((3, 4))),
        rejects("W1 1-D", r"W1 must be 2-D, got shape \(3,\)", W1=np.zeros(3)),
        rejects("x a scalar", r"x must have at least 1 dimensions, got shape \(\)", x=np.zeros(())),
        computes("empty leading axis", sizes=dict(_SWIGLU, a=0)),
        computes("NaN in x", sizes=_SWIGLU, x=put("x", NAN)),
    ],
    "swiglu_backward": [
        rejects("dout of another shape", r"dout must have shape \(2, 3\) \(the forward's output\), got \(2, 4\)",
                sizes=_SWIGLU, dout=np.zeros((2, 4))),
        computes("empty leading axis", sizes=dict(_SWIGLU, a=0)),
        computes("NaN in dout", sizes=_SWIGLU, dout=put("dout", NAN)),
    ],
    "cross_entropy_loss": [
        rejects("float labels (torch: expected Long)", r"y must hold integers, got dtype float64", sizes=_CE,
                y=lambda a: a["y"] * 1.0),
        rejects("boolean labels", r"y must hold integers, got dtype bool", sizes=_CE, y=np.array([True, False, True])),
        rejects("label out of range", r"y \(other than ignore_index\) must lie in \[0, 4\), got values in \[0, 4\]",
                sizes=_CE, y=np.array([0, 4, 1])),
        rejects("negative label other than ignore_index", r"y \(other than ignore_index\) must lie in \[0, 4\), "
                r"got values in \[-1, 2\]", sizes=_CE, y=np.array([-1, 2, 1])),
        rejects("y (N, 1) (torch: multi-target not supported)",
                r"y must have shape \(3,\) \(one label per row of x \(3, 4\)\), got \(3, 1\)", sizes=_CE,
                y=np.zeros((3, 1), int)),
        rejects("x 1-D (torch's unbatched form, not the contract's (N, C))", r"x must be 2-D, got shape \(4,\)",
                sizes=_CE, x=np.zeros(4)),
        rejects("empty batch: the mean is undefined (torch: NaN)",
                r"x must have at least one row and one class, got shape \(0, 4\)", sizes=_CE, x=np.zeros((0, 4)),
                y=np.zeros(0, int)),
        rejects("label_smoothing 1.5", r"label_smoothing must be >= 0 and <= 1, got 1.5", sizes=_CE_SMOOTH,
                label_smoothing=1.5),
        rejects("label_smoothing -0.1 (torch ignores it)", r"label_smoothing must be >= 0 and <= 1, got -0.1",
                sizes=_CE_SMOOTH, label_smoothing=-0.1),
        rejects("label_smoothing NaN", r"label_smoothing must be a number >= 0 and <= 1, got nan", sizes=_CE_SMOOTH,
                label_smoothing=NAN),
        rejects("label_smoothing a string", r"label_smoothing must be a number .*got '0.1'", sizes=_CE_SMOOTH,
                label_smoothing="0.1"),
        rejects("ignore_index 1.5 (torch: must be an int)", r"ignore_index must be an integer, got 1.5",
                sizes=_CE_IGNORE, ignore_index=1.5),
        rejects("ignore_index 1.0", r"ignore_index must be an integer, got 1.0", sizes=_CE_IGNORE, ignore_index=1.0),
        rejects("ignore_index True", r"ignore_index must be an integer, got True", sizes=_CE_IGNORE, ignore_index=True),
        computes("every label ignored: NaN loss and zero dx, as torch", sizes=_CE, y=np.full(3, -100)),
        computes("ignore_index -1 ignores the label -1", sizes=_CE_IGNORE, y=np.array([0, -1, 2]), ignore_index=-1),
        computes("ignore_index outside the classes, unused", sizes=_CE_IGNORE, ignore_index=7),
        computes("uint8 labels (torch takes Byte)", sizes=_CE, y=lambda a: a["y"].astype(np.uint8)),
        computes("NaN score: NaN loss", sizes=_CE, x=put("x", NAN)),
        computes("NaN score in an ignored row: a finite loss, as torch", sizes=_CE, y=np.array([0, -100, 2]),
                 x=put("x", NAN, at=6)),
        computes("NaN score in an ignored row, smoothed", sizes=_CE_SMOOTH, y=np.array([0, -100, 2]),
                 x=put("x", NAN, at=6)),
        computes("-inf score where the target is 0: a finite loss, as torch", sizes=_CE, y=np.array([0, 1, 2]),
                 x=put("x", -INF, at=6)),
        computes("-inf score, smoothed: an infinite loss, as torch", sizes=_CE_SMOOTH, y=np.array([0, 1, 2]),
                 x=put("x", -INF, at=6)),
        computes("one class", sizes=dict(_CE, C=1), y=np.zeros(3, int)),
    ],
    "scaled_dot_product_attention_forward": [
        rejects("k of another d", r"k must have shape \(2, 5, 4\) \(q \(2, 3, 4\) sets the leading axes and d\), "
                r"got \(2, 5, 3\)", sizes=_SDPA, k=np.zeros((2, 5, 3))),
        rejects("k of other leading axes", r"k must have shape \(2, 5, 4\) .*got \(3, 5, 4\)", sizes=_SDPA,
                k=np.zeros((3, 5, 4))),
        rejects("v of another T", r"v must have shape \(2, 5, 6\) \(k \(2, 5, 4\) sets the leading axes and T\), "
                r"got \(2, 4, 6\)", sizes=_SDPA, v=np.zeros((2, 4, 6))),
        rejects("q 1-D (torch: at least 2-D)", r"q must have at least 2 dimensions, got shape \(4,\)", sizes=_SDPA,
                q=np.zeros(4)),
        rejects("a mask with is_causal=True (torch raises)",
                r"mask must be None when is_causal=True .*got a mask of shape \(3, 5\)", sizes=_SDPA, is_causal=True),
        rejects("integer mask (torch: boolean or floating)",
                r"mask must be boolean \(True = may attend\) or floating \(added\), got dtype int64", sizes=_SDPA,
                mask=lambda a: a["mask"].astype(np.int64)),
        rejects("complex mask", r"mask must be boolean .*got dtype complex128", sizes=_SDPA,
                mask=lambda a: a["mask"] + 0j),
        rejects("mask of another T", r"mask must broadcast to the scores' shape \(2, 3, 5\), got \(3, 4\)",
                sizes=_SDPA, mask=np.ones((3, 4), bool)),
        rejects("mask larger than the scores (torch raises)",
                r"mask must broadcast to the scores' shape \(2, 3, 5\), got \(2, 2, 3, 5\)", sizes=_SDPA,
                mask=np.ones((2, 2, 3, 5), bool)),
        rejects("is_causal 1 (torch: must be a bool)", r"is_causal must be True or False, got 1", sizes=_SDPA_NO_MASK,
                is_causal=1),
        rejects("is_causal None", r"is_causal must be True or False, got None", sizes=_SDPA_NO_MASK, is_causal=None),
        rejects("scale NaN", r"scale must be a finite number, got nan", sizes=_SDPA, scale=NAN),
        rejects("scale inf (torch: NaN)", r"scale must be a finite number, got inf", sizes=_SDPA, scale=INF),
        rejects("scale a string", r"scale must be a finite number, got '1'", sizes=_SDPA, scale="1"),
        computes("fully masked row: zeros, as torch", token="fully_masked_row"),
        computes("fully masked row of -inf added", token="fully_masked_additive"),
        computes("S = 1", sizes=dict(_SDPA, S=1)),
        computes("T = 1", sizes=dict(_SDPA, T=1)),
        computes("no keys (T = 0): zeros, as torch", sizes=dict(_SDPA_NO_MASK, T=0)),
        computes("no keys, causal", sizes=dict(_SDPA_NO_MASK, T=0), is_causal=True),
        computes("no queries (S = 0)", sizes=dict(_SDPA_NO_MASK, S=0)),
        computes("empty batch", sizes=dict(_SDPA, N=0)),
        computes("d = 0: uniform weights, as torch", sizes=dict(_SDPA_NO_MASK, d=0)),
        computes("mask of shape (T,), broadcast as torch", sizes=_SDPA, mask=np.array([True, False, True, True, False])),
        computes("float32 mask added to float64 scores", sizes=_SDPA,
                 mask=lambda a: np.where(a["mask"], 0.5, -INF).astype(np.float32)),
        computes("negative scale (torch accepts it)", sizes=_SDPA, scale=-1.0),
        computes("NaN in q: its query's output NaN", sizes=_SDPA, q=put("q", NAN)),
        computes("NaN in k at a blocked key: NaN, as torch (NaN - inf)", sizes=_SDPA, mask=_KEY0_BLOCKED,
                 k=put("k", NAN)),
        computes("NaN in v at a blocked key: NaN (0 * NaN), as torch", sizes=_SDPA, mask=_KEY0_BLOCKED,
                 v=put("v", NAN)),
    ],
    "scaled_dot_product_attention_backward": [
        rejects("dout of another shape", r"dout must have shape \(2, 3, 6\) \(the forward's output\), got \(2, 3, 5\)",
                sizes=_SDPA, dout=np.zeros((2, 3, 5))),
        computes("fully masked row: zero gradients, as torch", token="fully_masked_row"),
        computes("S = 1", sizes=dict(_SDPA, S=1)),
        computes("T = 1", sizes=dict(_SDPA, T=1)),
        computes("no keys (T = 0)", sizes=dict(_SDPA_NO_MASK, T=0)),
        computes("empty batch", sizes=dict(_SDPA, N=0)),
        computes("d = 0", sizes=dict(_SDPA_NO_MASK, d=0)),
        computes("NaN in dout", sizes=_SDPA, dout=put("dout", NAN)),
        computes("NaN in k: NaN even where blocked (torch adds its masks)", sizes=_SDPA, k=put("k", NAN)),
    ],
    "multi_head_attention_forward": [
        rejects("num_heads does not divide E", r"num_heads must be a positive divisor of E = 4, got 3", sizes=_MHA,
                num_heads=3),
        rejects("num_heads 0 (torch: must be > 0)", r"num_heads must be a whole number >= 1, got 0", sizes=_MHA,
                num_heads=0),
        rejects("num_heads 1.5", r"num_heads must be a whole number >= 1, got 1.5", sizes=_MHA, num_heads=1.5),
        rejects("E = 0 (torch: embed_dim must be > 0)", r"query must hold at least one feature \(E >= 1\), "
                r"got shape \(1, 2, 0\)", sizes=_MHA, query=np.zeros((1, 2, 0)), key=np.zeros((1, 3, 0)),
                value=np.zeros((1, 3, 0))),
        rejects("key of another E", r"key must have shape \(1, 3, 4\) \(query \(1, 2, 4\) sets N and E\), "
                r"got \(1, 3, 5\)", sizes=_MHA, key=np.zeros((1, 3, 5))),
        rejects("value of another T (torch: key and value shapes differ)",
                r"value must have shape \(1, 3, 4\) \(as key\), got \(1, 2, 4\)", sizes=_MHA, value=np.zeros((1, 2, 4))),
        rejects("query 2-D (torch's unbatched form, not the contract's)", r"query must be 3-D, got shape \(2, 4\)", sizes=_MHA, query=np.zeros((2, 4))),
        rejects("a parameter missing", r"params must hold the keys Wq, bq, Wk, bk, Wv, bv, Wo, bo, missing Wk",
                sizes=_MHA, params=lambda a: {k: w for k, w in a["params"].items() if k != "Wk"}),
        rejects("params None", r"params must be a dict, got NoneType", sizes=_MHA, params=None),
        rejects("Wk of another shape", r"params\['Wk'\] must have shape \(4, 4\) \(E = 4\), got \(4, 3\)", sizes=_MHA,
                params=param("params", Wk=np.zeros((4, 3)))),
        rejects("attn_mask transposed (torch raises)",
                r"attn_mask must have shape \(2, 3\) \(S queries by T keys\), got \(3, 2\)", sizes=_MHA,
                attn_mask=np.ones((3, 2), bool)),
        rejects("complex attn_mask", r"attn_mask must be a boolean or real mask, got dtype complex128", sizes=_MHA,
                attn_mask=lambda a: a["attn_mask"] + 0j),
        rejects("attn_mask of strings", r"attn_mask must be a boolean or real mask, got dtype <U1", sizes=_MHA,
                attn_mask=np.full((2, 3), "a")),
        computes("fully masked row: out = bo, as torch", token="fully_masked_row"),
        computes("S = 1", sizes=dict(_MHA, S=1)),
        computes("T = 1", sizes=dict(_MHA, T=1)),
        computes("no keys (T = 0): out = bo, as torch", sizes=dict(_MHA, T=0, mask=0)),
        computes("empty batch", sizes=dict(_MHA, N=0)),
        computes("0/1 integer attn_mask", sizes=_MHA, attn_mask=lambda a: a["attn_mask"].astype(np.int64)),
        computes("num_heads 2.0, a whole number", sizes=_MHA, num_heads=2.0),
        computes("NaN in query", sizes=_MHA, query=put("query", NAN)),
        computes("NaN in a blocked key: NaN, as torch", sizes=_MHA, attn_mask=np.array([[0, 1, 1], [0, 1, 1]]),
                 key=put("key", NAN)),
    ],
    "multi_head_attention_backward": [
        rejects("dout of another shape", r"dout must have shape \(1, 2, 4\) \(the forward's output\), got \(1, 2, 3\)",
                sizes=_MHA, dout=np.zeros((1, 2, 3))),
        computes("fully masked row", token="fully_masked_row"),
        computes("no keys (T = 0)", sizes=dict(_MHA, T=0, mask=0)),
        computes("empty batch", sizes=dict(_MHA, N=0)),
        computes("NaN in dout", sizes=_MHA, dout=put("dout", NAN)),
    ],
    "positional_encoding": [
        rejects("odd embed_dim", r"embed_dim must be even \(a sine and a cosine column per frequency\), got 5",
                embed_dim=5),
        rejects("max_len 2.5", r"max_len must be a whole number >= 0, got 2.5", max_len=2.5),
        rejects("negative max_len", r"max_len must be a whole number >= 0, got -1", max_len=-1),
        rejects("max_len a string", r"max_len must be a whole number >= 0, got '4'", max_len="4"),
        rejects("embed_dim True", r"embed_dim must be a whole number >= 0, got True", embed_dim=True),
        rejects("complex embed_dim", r"embed_dim must be a whole number >= 0, got \(4\+0j\)", embed_dim=4 + 0j),
        computes("max_len 0: no rows", max_len=0),
        computes("embed_dim 0: no columns", embed_dim=0),
        computes("whole floats 3.0 and 4.0", max_len=3.0, embed_dim=4.0),
    ],
    "rope_forward": [
        rejects("odd d", r"x must have an even last axis \(pairs of features\), got shape \(2, 3, 5\)", sizes=_ROPE,
                x=np.zeros((2, 3, 5))),
        rejects("x 1-D", r"x must have at least 2 dimensions, got shape \(4,\)", sizes=_ROPE, x=np.zeros(4)),
        rejects("positions of another T", r"positions must have T = 3 entries on its last axis and broadcast to "
                r"x.shape\[:-1\] = \(2, 3\), got shape \(4,\)", sizes=_ROPE, positions=np.arange(4)),
        rejects("positions that do not broadcast", r"positions must have T = 3 .*got shape \(3, 3\)", sizes=_ROPE,
                positions=np.zeros((3, 3), int)),
        rejects("NaN position", r"positions must be finite, got nan at \[1\]", sizes=_ROPE,
                positions=np.array([0.0, NAN, 2.0])),
        rejects("boolean positions", r"positions must be numbers, got dtype bool", sizes=_ROPE,
                positions=np.array([True, False, True])),
        rejects("complex positions", r"positions must be numbers, got dtype complex128", sizes=_ROPE,
                positions=np.arange(3) + 0j),
        rejects("theta 0", r"theta must be > 0, got 0", sizes=_ROPE, theta=0),
        rejects("negative theta", r"theta must be > 0, got -10000.0", sizes=_ROPE, theta=-10000.0),
        rejects("theta NaN", r"theta must be a number > 0, got nan", sizes=_ROPE, theta=NAN),
        rejects("interleaved 1 (not a flag)", r"interleaved must be True or False, got 1", sizes=_ROPE, interleaved=1),
        rejects("interleaved 'yes'", r"interleaved must be True or False, got 'yes'", sizes=_ROPE, interleaved="yes"),
        computes("fractional positions (position interpolation)", sizes=_ROPE,
                 positions=lambda a: a["positions"] * 0.5),
        computes("negative positions", sizes=_ROPE, positions=lambda a: a["positions"] - 10),
        computes("T = 1", sizes=dict(_ROPE, T=1)),
        computes("no tokens (T = 0)", sizes=dict(_ROPE, T=0)),
        computes("no tokens, interleaved", sizes=dict(_ROPE, T=0, il=1)),
        computes("empty batch", sizes=dict(_ROPE, N=0)),
        computes("NaN in x", sizes=_ROPE, x=put("x", NAN)),
    ],
    "rope_backward": [
        rejects("dout of another shape", r"dout must have shape \(2, 3, 4\) \(the forward's output\), got \(2, 4, 3\)",
                sizes=_ROPE, dout=np.zeros((2, 4, 3))),
        computes("no tokens (T = 0)", sizes=dict(_ROPE, T=0)),
        computes("empty batch", sizes=dict(_ROPE, N=0)),
        computes("NaN in dout", sizes=_ROPE, dout=put("dout", NAN)),
    ],
    "kv_cache_attention_step": [
        rejects("k_t of another d", r"k_t must have shape \(1, 2, 1, 4\) \(as q_t\), got \(1, 2, 1, 5\)", sizes=_KV,
                k=np.zeros((1, 2, 3, 5))),
        rejects("v_t of other heads", r"v_t must have shape \(1, 2, 1, 4\) \(q_t \(1, 2, 1, 4\) sets the leading "
                r"axes\), got \(1, 3, 1, 4\)", sizes=_KV, v=np.zeros((1, 3, 3, 4))),
        rejects("cache a list", r"cache must be a dict, got list", sizes=_KV, cache=[np.zeros((1, 2, 1, 4))] * 2),
        rejects("cache without 'v'", r"cache must be None or the dict \{'k': \.\.\., 'v': \.\.\.\} a previous step "
                r"returned, got the keys \['k'\]", sizes=_KV, cache={"k": np.zeros((1, 2, 1, 4))}),
        rejects("cache['k'] of another d", r"cache\['k'\] must have shape \(1, 2, 2, 4\) \(q_t \(1, 2, 1, 4\)\), "
                r"got \(1, 2, 2, 3\)", sizes=_KV, cache=_cache((1, 2, 2, 3), (1, 2, 2, 4))),
        rejects("cache['k'] of other heads", r"cache\['k'\] must have shape \(1, 2, 2, 4\) .*got \(1, 3, 2, 4\)",
                sizes=_KV, cache=_cache((1, 3, 2, 4), (1, 2, 2, 4))),
        rejects("cache['v'] one token short", r"cache\['v'\] must have shape \(1, 2, 2, 4\) \(cache\['k'\] "
                r"\(1, 2, 2, 4\) and v_t \(1, 2, 1, 4\)\), got \(1, 2, 1, 4\)", sizes=_KV,
                cache=_cache((1, 2, 2, 4), (1, 2, 1, 4))),
        rejects("cache['k'] 3-D", r"cache\['k'\] must be 4-D, got shape \(2, 2, 4\)", sizes=_KV,
                cache=_cache((2, 2, 4), (1, 2, 2, 4))),
        rejects("complex cache", r"cache\['k'\] must be a real floating array, got dtype complex128", sizes=_KV,
                cache=_cache((1, 2, 2, 4), dtype=complex)),
        computes("resumes from a cache of earlier keys and values", sizes=_KV,
                 cache=lambda a: {"k": a["k"][:, :, ::-1].copy(), "v": a["v"][:, :, ::-1].copy()}),
        computes("an empty cache, as None", sizes=_KV, cache=lambda a: _cache((1, 2, 0, 4))),
        computes("one step (T = 1)", sizes=dict(_KV, T=1)),
        computes("empty batch", sizes=dict(_KV, N=0)),
        computes("d = 0: uniform weights, as torch", sizes=dict(_KV, d=0)),
        # the first key: every step sees it (the oracle's causal SDPA adds its mask, so a NaN in a later
        # key would reach the earlier rows too, which no decoding step can see)
        computes("NaN in the first key: every step NaN, as torch", sizes=_KV, k=put("k", NAN)),
    ],
}

BAD_INPUTS = {**LAYERS, **NORM, **CONV, **CLASSIFIERS, **RNN, **OPTIM, **DETECTION, **ATTENTION}
