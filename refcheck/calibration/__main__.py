"""``python -m refcheck.calibration``: print the calibration table; exit 1 when a rule is broken."""
from ..parallel import pin_threads

pin_threads()  # before NumPy and torch start their thread pools

import argparse  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

from ..profiles import PROFILES, seeds_for  # noqa: E402
from . import HEADROOM, TIGHTNESS, calibrate, table  # noqa: E402


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m refcheck.calibration", description=__doc__)
    p.add_argument("--profile", choices=sorted(PROFILES), default="thorough")
    p.add_argument("--only", metavar="NAME,...", help="these functions only")
    p.add_argument("--styles", metavar="NAME,...", help="these styles only (refimpl is one)")
    args = p.parse_args(argv)
    start = time.perf_counter()
    result = calibrate(seeds_for(args.profile), args.only and args.only.split(","),
                       args.styles and args.styles.split(","))
    print(table(result))
    print(f"\n{result.cases} cases ({args.profile} profile) in {time.perf_counter() - start:.0f} s; rules: "
          f"worst / allowed <= {HEADROOM} and, where nonzero, >= {TIGHTNESS}")
    for style, name, case, status, message in result.problems:
        print(f"PROBLEM: style {style}: {name} {status} on case {case}: {message}")
    for name, key, dtype, w, why in result.violations():
        print(f"VIOLATION: {name} {key} {dtype}: {w.ratio:.3g} ({why}; style {w.style}, case {w.case})")
    return 1 if result.problems or result.violations() else 0


if __name__ == "__main__":
    sys.exit(main())
