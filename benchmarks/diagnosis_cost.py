"""What the diagnosis costs on a module: for each function, the implementation's calls and the
CPU time of ``check_function`` with the diagnosis and without it (``hints.diagnose`` replaced by
an empty Diagnosis), in this process (CPU time, not wall: the machine may be shared), the quick
profile's cases, after one warm-up pass over every function (imports, first calls). A passing function must cost
nothing extra (the diagnosis runs only on failing functions).

    python benchmarks/diagnosis_cost.py [MODULE] [--repeats 3] [--only f,g]

A benchmark, not a test: it prints medians and never fails for timing.
"""
import argparse
import os
import statistics
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from refcheck import diagnosis, engine, hints  # noqa: E402
from refcheck.cases import seeds_for  # noqa: E402
from refcheck.loader import load  # noqa: E402
from refcheck.registry import ROWS  # noqa: E402


def measure(impl, name, diagnose):
    """(report, implementation calls, seconds) of one check_function."""
    calls = [0]
    execute = impl.execute

    def counted(*a):
        calls[0] += 1
        return execute(*a)

    impl.execute = counted
    original = hints.diagnose
    if not diagnose:
        hints.diagnose = lambda *a, **k: diagnosis.Diagnosis()
    try:
        start = time.process_time()
        report = engine.check_function(impl, name, ROWS[name].gen.cases(seeds_for()))
        return report, calls[0], time.process_time() - start
    finally:
        hints.diagnose, impl.execute = original, execute


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("module", nargs="?", default=os.path.join(ROOT, "examples", "layers_with_mistakes.py"))
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--only", default=None)
    args = parser.parse_args(argv)
    impl = engine.Implementation(load(args.module), os.path.relpath(args.module, ROOT))
    names = args.only.split(",") if args.only else [n for n in ROWS if impl.defines(n)]
    for name in names:
        measure(impl, name, True)
    print(f"{'function':28} {'status':6} {'calls':>6} {'+diag':>6} {'cpu s':>7} {'+diag s':>8}  hint")
    totals = [0.0, 0.0]
    for name in names:
        runs = {flag: [measure(impl, name, flag) for _ in range(args.repeats)] for flag in (False, True)}
        plain, diag = runs[False][0], runs[True][0]
        t0 = statistics.median(r[2] for r in runs[False])
        t1 = statistics.median(r[2] for r in runs[True])
        totals[0] += t0
        totals[1] += t1
        print(f"{name:28} {diag[0].status:6} {plain[1]:6d} {diag[1] - plain[1]:+6d} {t0:7.3f} {t1 - t0:+8.3f}  "
              f"{'yes' if diag[0].hint else '-'}")
    print(f"{'total':28} {'':6} {'':6} {'':6} {totals[0]:7.3f} {totals[1] - totals[0]:+8.3f}")


if __name__ == "__main__":
    main()
