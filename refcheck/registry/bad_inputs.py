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
]
_CONV_BACKWARD = [
    rejects("dout of another shape", r"dout must have shape \(2, 3, 3, 3\).*got \(2, 3, 3, 2\)", sizes=_CONV,
            dout=np.zeros((2, 3, 3, 2))),
    computes("empty batch", sizes=dict(N=0)),
    computes("NaN in dout", dout=put("dout", NAN)),
    computes("NaN in x", x=put("x", NAN)),
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

BAD_INPUTS = {**LAYERS, **NORM, **CONV, **CLASSIFIERS, **RNN, **OPTIM, **DETECTION}
