"""Hypotheses about convolution and pooling shapes: an output size rounded instead of floored,
computed without the padding or with the height's numbers for the width; a dx cropped with
[pad:-pad] (empty when pad = 0), cropped twice or not at all."""
import math

import numpy as np

from ..mutants.conv import PAD_CROP
from . import EXCEPTION, Match, hypothesis

FORWARDS = ("conv_forward_naive", "conv_forward_fast", "max_pool_forward_naive", "max_pool_forward_fast",
            "avg_pool_forward")
BACKWARDS = ("conv_backward_naive", "conv_backward_fast", "avg_pool_backward")


def _geometry(s):
    """(H, W, KH, KW, pad, stride, the size's formula and the window's names) of a case."""
    a = s.args
    h, w = a["x"].shape[2:]
    if "conv_param" in a:
        kh, kw = a["w"].shape[2:]
        p = a["conv_param"]
        return h, w, kh, kw, p["pad"], p["stride"], ("H + 2 * pad - HH", "HH", "WW")
    p = a["pool_param"]
    pad = p.get("pad", 0)
    inner = "H + 2 * pad - pool_height" if "pad" in p else "H - pool_height"
    return h, w, p["pool_height"], p["pool_width"], pad, p["stride"], (inner, "pool_height", "pool_width")


def _size(length, window, pad, stride, how):
    q = (length + 2 * pad - window) / stride
    return 1 + {"floor": math.floor, "ceil": math.ceil, "round": round}[how](q)


def _variants(h, w, kh, kw, pad, stride):
    """(H', W') as each known mistake computes them."""
    floor = (_size(h, kh, pad, stride, "floor"), _size(w, kw, pad, stride, "floor"))
    return {
        "round": (_size(h, kh, pad, stride, "round"), _size(w, kw, pad, stride, "round")),
        "ceil": (_size(h, kh, pad, stride, "ceil"), _size(w, kw, pad, stride, "ceil")),
        "no pad": (_size(h, kh, 0, stride, "floor"), _size(w, kw, 0, stride, "floor")),
        "window height": (floor[0], _size(w, kh, pad, stride, "floor")),
        "input height": (floor[0], _size(h, kw, pad, stride, "floor")),
    }


WINDOW_PAST_THE_EDGE = ("zero-size array", "could not be broadcast")


def _rounding_raised(s):
    """The call raised as a loop does over a window past the input's edge (an empty maximum, a
    window smaller than the kernel), on a case where round() or ceil give a larger size than floor."""
    message = s.outcome.message
    if not any(text in message for text in WINDOW_PAST_THE_EDGE):
        return None
    h, w, kh, kw, pad, stride, (inner, _, _) = _geometry(s)
    floor = (_size(h, kh, pad, stride, "floor"), _size(w, kw, pad, stride, "floor"))
    larger = frozenset(name for name in ("round", "ceil")
                       if any(a > b for a, b in zip(_variants(h, w, kh, kw, pad, stride)[name], floor)))
    if not larger:
        return None
    return Match(frozenset([EXCEPTION]), "size rounded", _rounded_hint(larger, inner),
                 f"it raised ({message.split(' (')[0]}) as a loop over a last window past the input's edge "
                 f"does, on a case where round() or ceil give one more window than the floor", tags=larger,
                 render=lambda t, inner=inner: _rounded_hint(t, inner))


def _rounded_hint(tags, inner):
    how = " or ".join("round()" if t == "round" else "ceil" for t in sorted(tags, reverse=True))
    return (f"The output size is rounded ({how}) where it must be floored: H' = 1 + ({inner}) // stride, one "
            f"smaller wherever the stride does not divide {inner}.")


@hypothesis(*FORWARDS)
def output_size(s):
    """out's (H', W') is what a known wrong formula gives (and N, C are right)."""
    if EXCEPTION in s.failing:
        return _rounding_raised(s)
    actual, want = s.outputs.get("out"), s.expected.get("out")
    if "out" not in s.failing or actual is None or not isinstance(want, np.ndarray) or actual.ndim != 4 \
            or actual.shape == want.shape or actual.shape[:2] != want.shape[:2]:
        return []
    h, w, kh, kw, pad, stride, (inner, kh_name, kw_name) = _geometry(s)
    got = tuple(actual.shape[2:])
    matched = {name for name, size in _variants(h, w, kh, kw, pad, stride).items() if size == got}
    formula = f"H' = 1 + ({inner}) // stride"
    found = []
    rounded = frozenset(matched & {"round", "ceil"})
    if rounded:
        found.append(Match(frozenset(["out"]), "size rounded", _rounded_hint(rounded, inner),
                           f"out has (H', W') = {got}, as 1 + round(q) or 1 + ceil(q) with q = ({inner}) / stride "
                           f"give; the floor gives {tuple(want.shape[2:])}", tags=rounded,
                           render=lambda t, inner=inner: _rounded_hint(t, inner)))
    if "no pad" in matched and pad:
        found.append(Match(frozenset(["out"]), "size no pad",
                           f"The output size leaves out the padding: {formula}.",
                           f"out has (H', W') = {got}, as the formula without 2 * pad gives"))
    width = inner.replace("H", "W", 1).replace(kh_name, kw_name)
    for name, numbers in (("window height", kh_name), ("input height", "H")):
        if name in matched:
            found.append(Match(frozenset(["out"]), f"size {name}",
                               f"W' is computed from {numbers}: W' = 1 + ({width})"
                               f" // stride.",
                               f"out has W' = {got[1]}, as the width's formula with {numbers} gives; "
                               f"the contract's gives {want.shape[3]}"))
    return found


@hypothesis(*BACKWARDS)
def dx_cropped(s):
    """dx's (H, W) is the padded gradient cropped wrongly: [pad:-pad] with pad = 0 (empty), twice,
    or not at all."""
    actual, want = s.outputs.get("dx"), s.expected.get("dx")
    if "dx" not in s.failing or actual is None or not isinstance(want, np.ndarray) or actual.ndim != 4 \
            or actual.shape == want.shape or actual.shape[:2] != want.shape[:2]:
        return None
    param = s.args.get("conv_param") or s.args.get("pool_param")
    pad = param.get("pad", 0)
    h, w = want.shape[2:]
    got = actual.shape[2:]
    if pad == 0 and 0 in got:
        return Match(frozenset(["dx"]), "pad crop", PAD_CROP,
                     f"dx has shape {actual.shape} with pad = 0, the expected {want.shape} cropped by [0:-0]")
    if got == (h + 2 * pad, w + 2 * pad) and s.ratio("dx", actual[:, :, pad:pad + h, pad:pad + w], want) <= 1:
        return Match(frozenset(["dx"]), "pad kept",
                     "dx keeps the padding: return dx_pad[:, :, pad:pad + H, pad:pad + W] (its middle is right).",
                     f"dx has shape {actual.shape}, the expected one with 2 * pad added, and its middle is right")
    if pad and got == (h - 2 * pad, w - 2 * pad):
        return Match(frozenset(["dx"]), "pad cropped twice",
                     "dx is cropped by pad once too often: crop the padded gradient once, "
                     "dx_pad[:, :, pad:pad + H, pad:pad + W].",
                     f"dx has shape {actual.shape}, the expected {want.shape} with 2 * pad removed")
    return None
