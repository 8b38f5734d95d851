"""The error of correct convolutions against refcheck's judge, by style and channel count: the worst
|actual - oracle| / allowed (1 = at the tolerance) over randomized 3x3 stride-1 cases with
C = F channels, for refimpl's naive conv (loops of np.tensordot), the fast conv's im2col path
and its Winograd path, forward (out) and backward (dx, dw, db).

    python benchmarks/conv_error.py [--seeds 10] [--dtype float32] [--channels 3 16 32 64 128]
"""
import argparse
import dataclasses

import refimpl
from refimpl import fast_layers
from refcheck.cases import Case
from refcheck.engine import Implementation, check_case
from refcheck.registry import ROWS

STYLES = ("naive", "im2col", "winograd")


def worst(style, kind, channels, dtype, seeds):
    name = f"conv_{kind}_{'naive' if style == 'naive' else 'fast'}"
    gen = ROWS[name].gen.variant(C=(channels, channels), F=(channels, channels), HH=(3, 3), WW=(3, 3),
                                 stride=(1, 1), dh=(2, 8), dw=(2, 8), N=(1, 2))
    row, impl = dataclasses.replace(ROWS[name], gen=gen), Implementation(refimpl, "refimpl")
    chosen, fast_layers._path = fast_layers._path, (lambda *args: style) if style != "naive" else fast_layers._path
    try:
        return max(check_case(impl, row, Case(dtype, f"seed{i}")).outcome.worst for i in range(seeds))
    finally:
        fast_layers._path = chosen


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seeds", type=int, default=10)
    p.add_argument("--dtype", default="float32")
    p.add_argument("--channels", type=int, nargs="+", default=[3, 16, 32, 64, 128])
    args = p.parse_args(argv)
    print(f"worst error / allowed, {args.dtype}, {args.seeds} cases each (1 = at the tolerance)")
    print("| C = F | " + " | ".join(f"{s} {k}" for s in STYLES for k in ("forward", "backward")) + " |")
    print("|---" * (1 + 2 * len(STYLES)) + "|")
    for c in args.channels:
        cells = [f"{worst(s, k, c, args.dtype, args.seeds):.3f}" for s in STYLES for k in ("forward", "backward")]
        print(f"| {c} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
