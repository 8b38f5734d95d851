"""Bad and unusual inputs of average pooling, transposed convolution, AUROC, gradient clipping and
learning-rate schedules."""
import numpy as np

from ._entries import INF, NAN, computes, pixels, put, rejects

_AVG = dict(N=2, C=2, ph=2, pw=2, stride=2, pad=0, dh=2, dw=2)  # x (2, 2, 4, 4), out (2, 2, 2, 2)
_WINDOW = {"pool_height": 2, "pool_width": 2, "stride": 2}


def _pool(**updates):
    return {**_WINDOW, **updates}


_TCONV = dict(N=2, C=2, F=3, HH=3, WW=3, stride=2, pad=0, extra=0, dh=1, dw=1)  # x (2, 2, 2, 2), w (2, 3, 3, 3)


def _tconv(**updates):
    return {"stride": 2, "pad": 0, **updates}


_SCORED = dict(n=12, pos=2, ties=0)
_CLIP = dict(count=2, mag=1, ratio=0)  # grads (3,) and (2, 4)


def _grad(i, value, at=0):
    """A copy of the gradients with ``value`` at flat index ``at`` of grads[i]."""
    return lambda args: [put("g", value, at)({"g": g}) if k == i else g for k, g in enumerate(args["grads"])]


def _schedule(name, steps=6, base_lr=0.1, **kw):
    """lr_schedule(name, step, base_lr, **kw) at every step from 0 to ``steps``."""
    return dict(name=name, steps=steps, base_lr=base_lr, kw=kw)


_ONE_CYCLE = dict(max_lr=1.0, total_steps=10)

BAD_INPUTS = {
    "avg_pool_forward": [
        rejects("pad more than half the window (torch raises)",
                r"pool_param\['pad'\] 2 must be at most half the window \(2 x 2\)", sizes=_AVG, pool_param=_pool(pad=2)),
        rejects("window larger than the padded input (torch raises)", r"window 5 is larger than the \(padded\) input 4",
                sizes=_AVG, pool_param=_pool(pool_height=5)),
        rejects("stride 1.5 (torch raises)", r"pool_param\['stride'\] must be a whole number >= 1, got 1.5", sizes=_AVG,
                pool_param=_pool(stride=1.5)),
        rejects("stride 0 (torch raises)", r"pool_param\['stride'\] must be a whole number >= 1, got 0", sizes=_AVG,
                pool_param=_pool(stride=0)),
        rejects("pool_height 2.5", r"pool_param\['pool_height'\] must be a whole number >= 1, got 2.5", sizes=_AVG,
                pool_param=_pool(pool_height=2.5)),
        rejects("pad -1 (torch raises)", r"pool_param\['pad'\] must be a whole number >= 0, got -1", sizes=_AVG,
                pool_param=_pool(pad=-1)),
        rejects("pad 0.5", r"pool_param\['pad'\] must be a whole number >= 0, got 0.5", sizes=_AVG,
                pool_param=_pool(pad=0.5)),
        rejects("stride missing", r"pool_param\['stride'\] must be a whole number >= 1, got None", sizes=_AVG,
                pool_param={"pool_height": 2, "pool_width": 2}),
        rejects("pool_param None", r"pool_param must be a dict, got NoneType", pool_param=None),
        rejects("x 3-D (torch's unbatched form, not the contract's)", r"x must be 4-D, got shape \(2, 4, 4\)",
                x=np.zeros((2, 4, 4))),
        computes("pad missing: 0", sizes=_AVG, pool_param=dict(_WINDOW)),
        computes("sizes as whole floats", sizes=dict(_AVG, pad=1),
                 pool_param={"pool_height": 2.0, "pool_width": 2.0, "stride": 2.0, "pad": 1.0}),
        computes("empty batch", sizes=dict(_AVG, N=0)),
        computes("NaN in x", sizes=_AVG, x=put("x", NAN)),
        computes("inf and -inf in one window: NaN, as torch", sizes=_AVG, x=put("x", [INF, -INF], at=[0, 1])),
        computes("float16 pixel range (window sums above 65504)", dtype="float16",
                 sizes=dict(_AVG, ph=4, pw=4, stride=1, dh=1, dw=1), x=pixels("x", offset=5000.0)),
    ],
    "avg_pool_backward": [
        rejects("dout of another shape", r"dout must have shape \(2, 2, 2, 2\) \(the forward's output\), "
                r"got \(2, 2, 2, 3\)", sizes=_AVG, dout=np.zeros((2, 2, 2, 3))),
        rejects("dout 3-D", r"dout must be 4-D, got shape \(2, 2, 2\)", sizes=_AVG, dout=np.zeros((2, 2, 2))),
        computes("empty batch", sizes=dict(_AVG, N=0)),
        computes("NaN in dout", sizes=_AVG, dout=put("dout", NAN)),
        computes("NaN in x (the gradient does not read x)", sizes=_AVG, x=put("x", NAN)),
        computes("padded, overlapping windows", sizes=dict(_AVG, ph=3, pw=3, stride=1, pad=1)),
    ],
    "conv_transpose_forward": [
        rejects("w in conv2d's layout (C_out, C_in, ...) (torch raises)",
                r"w must be \(C_in, C_out, HH, WW\) with x's 2 channels in axis 0, got w \(3, 2, 3, 3\) "
                r"for x \(2, 2, 2, 2\)", sizes=_TCONV, w=np.zeros((3, 2, 3, 3))),
        rejects("b of another length", r"b must have shape \(3,\) \(one bias per output channel of w \(2, 3, 3, 3\)\), "
                r"got \(2,\)", sizes=_TCONV, b=np.zeros(2)),
        rejects("output_padding equal to the stride (torch raises)",
                r"conv_param\['output_padding'\] 2 must be smaller than the stride 2", sizes=_TCONV,
                conv_param=_tconv(output_padding=2)),
        rejects("output_padding 1 with stride 1 (torch raises)",
                r"conv_param\['output_padding'\] 1 must be smaller than the stride 1", sizes=_TCONV,
                conv_param=_tconv(stride=1, output_padding=1)),
        rejects("pad that leaves no output (torch raises)", r"conv_param\['pad'\] 3 leaves no output for x "
                r"\(2, 2, 2, 2\) and w \(2, 3, 3, 3\) \(output -2 x -2\)", sizes=_TCONV, conv_param=_tconv(stride=1, pad=3)),
        rejects("stride 1.5 (torch raises)", r"conv_param\['stride'\] must be a whole number >= 1, got 1.5", sizes=_TCONV,
                conv_param=_tconv(stride=1.5)),
        rejects("stride 0 (torch raises)", r"conv_param\['stride'\] must be a whole number >= 1, got 0", sizes=_TCONV,
                conv_param=_tconv(stride=0)),
        rejects("pad -1 (torch raises)", r"conv_param\['pad'\] must be a whole number >= 0, got -1", sizes=_TCONV,
                conv_param=_tconv(pad=-1)),
        rejects("output_padding 0.5", r"conv_param\['output_padding'\] must be a whole number >= 0, got 0.5",
                sizes=_TCONV, conv_param=_tconv(output_padding=0.5)),
        rejects("pad missing", r"conv_param\['pad'\] must be a whole number >= 0, got None", sizes=_TCONV,
                conv_param={"stride": 2}),
        rejects("conv_param None", r"conv_param must be a dict, got NoneType", conv_param=None),
        rejects("x 3-D (torch's unbatched form, not the contract's)", r"x must be 4-D, got shape \(2, 2, 2\)",
                sizes=_TCONV, x=np.zeros((2, 2, 2))),
        rejects("w 3-D", r"w must be 4-D, got shape \(2, 3, 3\)", sizes=_TCONV, w=np.zeros((2, 3, 3))),
        computes("output_padding missing: 0", sizes=_TCONV, conv_param=_tconv()),
        computes("sizes as whole floats", sizes=dict(_TCONV, pad=1, extra=1),
                 conv_param={"stride": 2.0, "pad": 1.0, "output_padding": 1.0}),
        computes("empty batch", sizes=dict(_TCONV, N=0)),
        computes("NaN in x", sizes=_TCONV, x=put("x", NAN)),
        computes("NaN in w", sizes=_TCONV, w=put("w", NAN)),
    ],
    "conv_transpose_backward": [
        rejects("dout of another shape", r"dout must have shape \(2, 3, 5, 5\) \(the forward's output\), "
                r"got \(2, 3, 5, 4\)", sizes=_TCONV, dout=np.zeros((2, 3, 5, 4))),
        computes("empty batch", sizes=dict(_TCONV, N=0)),
        computes("NaN in dout", sizes=_TCONV, dout=put("dout", NAN)),
        computes("NaN in x", sizes=_TCONV, x=put("x", NAN)),
        computes("output_padding (rows that no input reaches)", sizes=dict(_TCONV, extra=1)),
    ],
    "auroc": [
        rejects("labels 0/1/2 (torchmetrics raises)", r"labels must hold 0/1 \(or booleans\), got values \[2\]",
                sizes=_SCORED, labels=np.full(12, 2)),
        rejects("labels 0.5", r"labels must hold 0/1 \(or booleans\), got values \[0.  0.5\]", sizes=_SCORED,
                labels=lambda a: a["labels"] * 0.5),
        rejects("one label short", r"labels must have shape \(12,\) like scores, got \(11,\)", sizes=_SCORED,
                labels=lambda a: a["labels"][:11]),
        rejects("scores 2-D", r"scores must be 1-D, got shape \(12, 1\)", sizes=_SCORED,
                scores=lambda a: a["scores"][:, None]),
        rejects("no scores (torchmetrics raises)", r"scores must hold at least one score, got shape \(0,\)",
                scores=np.zeros(0), labels=np.zeros(0, int)),
        rejects("scores of strings", r"scores must be a real floating array, got dtype <U1", sizes=_SCORED,
                scores=np.full(12, "a")),
        computes("a NaN score ranks first, as torchmetrics", sizes=_SCORED, scores=put("scores", NAN, at=4)),
        computes("a positive and a negative NaN score tie", sizes=_SCORED, scores=put("scores", [NAN, NAN], at=[0, 1])),
        computes("inf and -inf scores", sizes=_SCORED, scores=put("scores", [INF, -INF], at=[0, 1])),
        computes("boolean labels", sizes=_SCORED, labels=lambda a: a["labels"].astype(bool)),
        computes("0/1 float labels", sizes=_SCORED, labels=lambda a: a["labels"] * 1.0),
        computes("one class only: 0, as torchmetrics", sizes=_SCORED, labels=np.ones(12, int)),
        computes("one score", scores=np.array([0.5]), labels=np.array([1])),
    ],
    "clip_grad_norm": [
        rejects("grads an array, not a list", r"grads must be a list of arrays, got ndarray", grads=np.zeros(3)),
        rejects("max_norm negative (torch flips every gradient)", r"max_norm must be >= 0, got -1.0", sizes=_CLIP,
                max_norm=-1.0),
        rejects("max_norm NaN (torch: every gradient NaN)", r"max_norm must be a number >= 0, got nan", sizes=_CLIP,
                max_norm=NAN),
        rejects("max_norm a string (torch takes '1.0')", r"max_norm must be a number >= 0, got '1.0'", sizes=_CLIP,
                max_norm="1.0"),
        rejects("a complex gradient", r"grads\[1\] must be a real floating array, got dtype complex128", sizes=_CLIP,
                grads=lambda a: [a["grads"][0], a["grads"][1] + 0j]),
        rejects("a ragged gradient", r"grads\[1\] must be an array of numbers, got list", sizes=_CLIP,
                grads=lambda a: [a["grads"][0], [[1.0, 2.0], [3.0]]]),
        computes("no gradients: total_norm 0, as torch", grads=[]),
        computes("max_norm inf: unchanged", sizes=_CLIP, max_norm=INF),
        computes("max_norm 0: zeros", sizes=_CLIP, max_norm=0),
        computes("NaN in a gradient: every gradient NaN, as torch", sizes=_CLIP, grads=_grad(1, NAN, at=3)),
        computes("inf in a gradient: there NaN, elsewhere 0, as torch", sizes=_CLIP, grads=_grad(0, INF)),
        computes("a gradient with no elements", sizes=_CLIP, grads=lambda a: [*a["grads"], np.zeros((0, 3))]),
        computes("float16 pixel-range gradients (squares above 65504)", dtype="float16", sizes=_CLIP,
                 grads=lambda a: [pixels("g")({"g": g}) for g in a["grads"]]),
    ],
    "lr_schedule": [
        rejects("unknown name", r"name must be one of \['CosineAnnealingLR', .*\], got 'CosineLR'",
                **_schedule("CosineLR")),
        rejects("name in lower case", r"name must be one of .*got 'steplr'", **_schedule("steplr", step_size=2)),
        rejects("an unknown keyword (a typo)", r"StepLR takes the keyword arguments step_size, gamma; unknown: gama",
                **_schedule("StepLR", step_size=2, gama=0.5)),
        rejects("another schedule's keyword", r"ExponentialLR takes the keyword arguments gamma; unknown: T_max",
                **_schedule("ExponentialLR", gamma=0.9, T_max=5)),
        rejects("a required keyword missing", r"CosineAnnealingLR takes the keyword arguments T_max, eta_min; "
                r"missing: T_max", **_schedule("CosineAnnealingLR")),
        rejects("base_lr negative (torch.optim raises)", r"base_lr must be >= 0, got -0.1",
                **_schedule("StepLR", base_lr=-0.1, step_size=2)),
        rejects("base_lr NaN", r"base_lr must be a number >= 0, got nan", **_schedule("StepLR", base_lr=NAN, step_size=2)),
        rejects("base_lr a string", r"base_lr must be a number >= 0, got '0.1'",
                **_schedule("StepLR", base_lr="0.1", step_size=2)),
        rejects("step_size 0 (torch divides by zero)", r"step_size must be a whole number >= 1, got 0",
                **_schedule("StepLR", step_size=0)),
        rejects("step_size 1.5", r"step_size must be a whole number >= 1, got 1.5", **_schedule("StepLR", step_size=1.5)),
        rejects("gamma negative (torch flips the rate's sign)", r"gamma must be >= 0, got -0.5",
                **_schedule("StepLR", step_size=1, gamma=-0.5)),
        rejects("gamma NaN (torch: NaN rates)", r"gamma must be a number >= 0, got nan",
                **_schedule("ExponentialLR", gamma=NAN)),
        rejects("milestones a number (torch raises)", r"milestones must be a list of steps, got 5",
                **_schedule("MultiStepLR", milestones=5)),
        rejects("milestone 1.5 (torch never reaches it)", r"milestones\[0\] must be a whole number >= 0, got 1.5",
                **_schedule("MultiStepLR", milestones=[1.5])),
        rejects("negative milestone", r"milestones\[0\] must be a whole number >= 0, got -1",
                **_schedule("MultiStepLR", milestones=[-1, 2])),
        rejects("T_max 0 (torch divides by zero)", r"T_max must be a whole number >= 1, got 0",
                **_schedule("CosineAnnealingLR", T_max=0)),
        rejects("T_max 2.5", r"T_max must be a whole number >= 1, got 2.5", **_schedule("CosineAnnealingLR", T_max=2.5)),
        rejects("eta_min negative (torch: negative rates)", r"eta_min must be >= 0, got -1.0",
                **_schedule("CosineAnnealingLR", T_max=2, eta_min=-1.0)),
        rejects("start_factor 0 (torch raises)", r"start_factor must be > 0 and <= 1, got 0",
                **_schedule("LinearLR", start_factor=0)),
        rejects("end_factor 1.5 (torch raises)", r"end_factor must be >= 0 and <= 1, got 1.5",
                **_schedule("LinearLR", end_factor=1.5)),
        rejects("total_iters -1", r"total_iters must be a whole number >= 0, got -1", **_schedule("LinearLR", total_iters=-1)),
        rejects("OneCycleLR beyond total_steps (torch raises)", r"step 11 is beyond total_steps 10",
                **_schedule("OneCycleLR", steps=11, **_ONE_CYCLE)),
        rejects("OneCycleLR without total_steps (torch raises)",
                r"OneCycleLR needs total_steps, or epochs and steps_per_epoch", **_schedule("OneCycleLR", max_lr=1.0)),
        rejects("total_steps 1.5 (torch raises)", r"total_steps must be a whole number >= 1, got 1.5",
                **_schedule("OneCycleLR", max_lr=1.0, total_steps=1.5)),
        rejects("pct_start 1.5 (torch raises)", r"pct_start must be >= 0 and <= 1, got 1.5",
                **_schedule("OneCycleLR", pct_start=1.5, **_ONE_CYCLE)),
        rejects("anneal_strategy 'cosine' (torch raises)", r"anneal_strategy must be one of \['cos', 'linear'\], got "
                r"'cosine'", **_schedule("OneCycleLR", anneal_strategy="cosine", **_ONE_CYCLE)),
        rejects("div_factor 0 (torch divides by zero)", r"div_factor must be > 0, got 0",
                **_schedule("OneCycleLR", div_factor=0, **_ONE_CYCLE)),
        rejects("max_lr negative (torch: negative rates)", r"max_lr must be >= 0, got -1.0",
                **_schedule("OneCycleLR", max_lr=-1.0, total_steps=10)),
        rejects("three_phase 'yes'", r"three_phase must be True or False, got 'yes'",
                **_schedule("OneCycleLR", three_phase="yes", **_ONE_CYCLE)),
        rejects("a phase of no steps (torch divides by zero)", r"pct_start 0.1 with total_steps 10 makes an empty phase",
                **_schedule("OneCycleLR", pct_start=0.1, **_ONE_CYCLE)),
        computes("step 0 only: base_lr", **_schedule("StepLR", steps=0, step_size=2)),
        computes("base_lr 0", **_schedule("StepLR", base_lr=0.0, step_size=2)),
        computes("sizes as whole floats", **_schedule("StepLR", steps=8, step_size=2.0, gamma=0.5)),
        computes("T_max as a whole float", **_schedule("CosineAnnealingLR", steps=8, T_max=6.0)),
        computes("milestones out of order (torch's are a set)", **_schedule("MultiStepLR", steps=10, milestones=[7, 3])),
        computes("milestones a tuple, one repeated", **_schedule("MultiStepLR", steps=10, milestones=(3, 7, 7))),
        computes("eta_min above base_lr: the rate rises, as torch", **_schedule("CosineAnnealingLR", T_max=2, eta_min=0.5)),
        computes("LinearLR total_iters 0: start_factor throughout", **_schedule("LinearLR", total_iters=0)),
        computes("LinearLR decaying", **_schedule("LinearLR", start_factor=1.0, end_factor=0.1, total_iters=4)),
        computes("ExponentialLR gamma 0", **_schedule("ExponentialLR", gamma=0.0)),
        computes("ExponentialLR gamma above 1: a growing rate", **_schedule("ExponentialLR", gamma=1.5)),
        computes("OneCycleLR from epochs and steps_per_epoch", **_schedule("OneCycleLR", max_lr=1.0, epochs=2,
                                                                            steps_per_epoch=3)),
        computes("OneCycleLR to its last step", **_schedule("OneCycleLR", steps=10, **_ONE_CYCLE)),
        computes("three_phase a NumPy bool", **_schedule("OneCycleLR", steps=10, three_phase=np.True_, **_ONE_CYCLE)),
    ],
}
