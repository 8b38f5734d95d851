"""``refcheck PATH``: verify a module's functions against the PyTorch oracles.

Exit status: 0 when every function found passes, 1 when any fails or errors, 2 for a usage or
import problem.
"""
from .parallel import pin_threads

pin_threads()  # before NumPy and torch start their thread pools: see refcheck.parallel

import argparse  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402

from .cases import PROFILES, Case, seeds_for  # noqa: E402
from .run import Usage, make_impl, plan_options, select  # noqa: E402,F401 (plan_options, select: part of this module's API)
from .text import HEADER, table_row, tail  # noqa: E402


def parse_args(argv):
    p = argparse.ArgumentParser(
        prog="refcheck", description="Check a module's implementations of the refimpl contract "
        "(CS231n names and signatures) against PyTorch, function by function.")
    p.add_argument("path", help="a .py file or an importable module name")
    p.add_argument("--json", metavar="FILE", help="also write the verdicts as JSON to FILE")
    p.add_argument("--only", metavar="NAME,...", help="check only these functions")
    p.add_argument("--case", metavar="ID", help="run one case (as printed in a repro line) and show it")
    p.add_argument("--seeds", type=int, metavar="N", help="randomized cases per dtype (overrides --profile)")
    p.add_argument("--profile", choices=sorted(PROFILES),
                   help="quick (20 seeds, default) or thorough (100); also $REFCHECK_PROFILE")
    p.add_argument("-n", dest="workers", type=int, default=1, metavar="WORKERS",
                   help="check functions in this many processes (default 1)")
    p.add_argument("--strict", action="store_true", help="warnings count as failures")
    p.add_argument("--timeout", type=float, default=None, metavar="SECONDS",
                   help="time limit per call of the implementation (default 20)")
    p.add_argument("--isolate", action="store_true",
                   help="run the implementation in a worker process: crashes, hangs and huge allocations "
                        "become errors, and nothing it patches can change a verdict (not a sandbox)")
    p.add_argument("--memory", type=int, default=None, metavar="MB",
                   help="with --isolate, the memory the implementation may allocate (default 2048)")
    p.add_argument("--no-shrink", action="store_true", help="report the first failing case as found")
    p.add_argument("--course", metavar="NAME",
                   help="the course whose names and conventions the module follows: cs231n, cs231n-2025, "
                        "eecs498 (default: detected from the names it defines)")
    p.add_argument("--map", action="append", metavar="NAME=FUNCTION,...",
                   help="the module's own names for contract functions, e.g. my_softmax=softmax_loss or "
                        "'Net.forward=affine_forward -> out' (also [tool.refcheck.map] in pyproject.toml)")
    p.add_argument("--arrays", choices=("numpy", "torch"),
                   help="call the functions with NumPy arrays or torch tensors (default: detected)")
    p.add_argument("--device", default=None, metavar="DEVICE",
                   help="with torch tensors, the device they are put on: cpu (default) or cuda")
    return p.parse_args(argv)


def run_one_case(impl, names, case_id):
    from . import engine, hints
    from .registry import ROWS
    case = Case.parse(case_id)
    bad = False
    for name in names:
        checked = engine.check_case(impl, ROWS[name], case)
        status = checked.outcome.status
        if status == "pass":
            extra = f"; warnings: {'; '.join(checked.outcome.warnings)}" if checked.outcome.warnings else ""
            print(f"{name} passes case {case.id} (worst error {checked.outcome.worst:.3g} of the "
                  f"tolerance){extra}\n  inputs: {engine.describe_inputs(checked.inputs)}")
        else:
            bad = True
            hint = hints.find(ROWS[name], checked) if status == "fail" else None
            print(engine.case_report(name, checked, impl.label, hint))
    return 1 if bad else 0


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    from .loader import ImportProblem
    try:
        names = select(args.only)
        seeds = args.seeds if args.seeds is not None else seeds_for(args.profile)
        args.options = plan_options(args.path, args.course, args.map, args.arrays, args.device)
        impl = make_impl(args.path, args.timeout, args.isolate, args.memory, args.options)
    except (Usage, ImportProblem, ValueError) as exc:
        print(f"refcheck: {exc}", file=sys.stderr)
        return 2
    try:
        return _run(args, impl, names, seeds)
    except ValueError as exc:
        print(f"refcheck: {exc}", file=sys.stderr)
        return 2
    finally:
        impl.close()


def _run(args, impl, names, seeds):
    if args.case:
        return run_one_case(impl, names, args.case)

    from . import run
    print(f"refcheck {args.path}: {len(names)} functions, {seeds} randomized cases per dtype "
          f"(float64, float32) plus edge cases; {impl.plan.describe()}", file=sys.stderr)
    print(HEADER)

    def show(result):
        if result.status != "missing":
            print(table_row(result), flush=True)

    report = run.run(impl, names, seeds, args.strict, not args.no_shrink, workers=args.workers,
                     worker_args=(args.path, args.timeout, args.isolate, args.memory, args.options),
                     on_result=show)
    for line in tail(report):
        print(line)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report.to_json(), f, indent=2)
    return 1 if report.problems else 0


if __name__ == "__main__":
    sys.exit(main())
