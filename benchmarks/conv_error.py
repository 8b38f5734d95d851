"""The error of correct convolutions against refcheck's judge, by style and channel count: the worst
|actual - oracle| / allowed (1 = at the tolerance) over randomized 3x3 stride-1 cases with
C = F channels, for refimpl's naive conv (loops of np.tensordot), the fast conv's im2col path
and its Winograd path (dx by Winograd on dout with the flipped filters), and the calibration's
Winograd style in the paper's matrix form (dx as the forward's transpose), forward (out) and
backward (dx, dw, db). The allowed error is the conv error model's: on these shapes the larger of
the direct sums and Winograd's magnitude (refcheck/error_models/winograd.py).

    python benchmarks/conv_error.py [--seeds 10] [--dtype float32] [--channels 3 16 32 64 128]
"""
import argparse
import dataclasses

import refimpl
from refimpl import fast_layers
from refcheck.calibration.styles import winograd as matrix_form
from refcheck.cases import Case
from refcheck.engine import Implementation, check_case
from refcheck.registry import ROWS

STYLES = ("naive", "im2col", "winograd", "matrix")


def worst(style, kind, channels, dtype, seeds):
    """The worst over ``seeds`` randomized cases with C = F = channels, or (channels None) over the
    registry's edge cases that have 3x3 stride-1 shapes (pad 0, a full window, N = 1, ...)."""
    name = f"conv_{kind}_{'naive' if style in ('naive', 'matrix') else 'fast'}"
    sizes = {} if channels is None else dict(C=(channels, channels), F=(channels, channels), dh=(2, 8), dw=(2, 8),
                                             N=(1, 2))
    gen = ROWS[name].gen.variant(HH=(3, 3), WW=(3, 3), stride=(1, 1), **sizes)
    cases = ([Case(dtype, f"seed{i}") for i in range(seeds)] if channels is not None
             else [Case(dtype, edge) for edge in gen.edges])
    row = dataclasses.replace(ROWS[name], gen=gen)
    impl = Implementation(matrix_form, "matrix") if style == "matrix" else Implementation(refimpl, "refimpl")
    chosen = fast_layers._path
    if style in ("im2col", "winograd"):
        fast_layers._path = lambda *args: style
    try:
        return max(check_case(impl, row, case).outcome.worst for case in cases)
    finally:
        fast_layers._path = chosen


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seeds", type=int, default=10)
    p.add_argument("--dtype", default="float32", choices=("float32", "float64"))
    p.add_argument("--channels", type=int, nargs="+", default=[3, 16, 32, 64, 128])
    args = p.parse_args(argv)
    print(f"worst error / allowed, {args.dtype}, {args.seeds} cases each (1 = at the tolerance)")
    print("| C = F | " + " | ".join(f"{s} {k}" for s in STYLES for k in ("forward", "backward")) + " |")
    print("|---" * (1 + 2 * len(STYLES)) + "|")
    for c in [*args.channels, None]:
        cells = [f"{worst(s, k, c, args.dtype, args.seeds):.3f}" for s in STYLES for k in ("forward", "backward")]
        label = c if c is not None else "edges (" + ", ".join(ROWS["conv_forward_naive"].gen.variant(
            HH=(3, 3), WW=(3, 3), stride=(1, 1)).edges) + ")"
        print(f"| {label} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
