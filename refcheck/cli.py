"""``refcheck PATH``: verify a module's functions against the PyTorch oracles.

Exit status: 0 when every function found passes, 1 when any fails or errors, 2 for a usage or
import problem.
"""
from .parallel import pin_threads

pin_threads()  # before NumPy and torch start their thread pools: see refcheck.parallel

import argparse  # noqa: E402
import json  # noqa: E402
import multiprocessing  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from concurrent.futures import ProcessPoolExecutor  # noqa: E402

from .cases import PROFILES, Case, seeds_for  # noqa: E402

STATUS_LABEL = {"pass": "pass", "fail": "FAIL", "error": "ERROR", "missing": "missing"}


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


def plan_options(path, course=None, maps=None, arrays=None, device=None):
    """The options that steer how the module is called (refcheck.courses.resolve_plan), with the
    [tool.refcheck] table of the pyproject.toml nearest to it; a bad map, course or device is a
    ValueError here, before the module is imported."""
    from .courses import check_options, parse_map, pyproject_settings
    options = {"course": course, "name_map": parse_map(maps), "arrays": arrays, "device": device,
               "settings": pyproject_settings(path if path.endswith(".py") or "/" in path else ".")}
    check_options(**options)
    return options


class Usage(Exception):
    pass


def select(only):
    from .registry import ROWS
    if not only:
        return list(ROWS)
    names = [n.strip() for n in only.split(",") if n.strip()]
    unknown = [n for n in names if n not in ROWS]
    if unknown:
        raise Usage(f"unknown function(s) {', '.join(unknown)}; the contract's functions are: "
                    + ", ".join(ROWS))
    return names


_worker_impl = None


def _make_impl(path, timeout, isolate=False, memory=None, options=None):
    from .engine import DEFAULT_TIMEOUT, Implementation
    if isolate:
        from .isolate import DEFAULT_MEMORY_MB, IsolatedImplementation
        return IsolatedImplementation(path, path, timeout, memory or DEFAULT_MEMORY_MB, options)
    from .loader import load, probe
    probe(path)
    return Implementation(load(path), path, timeout or DEFAULT_TIMEOUT, options=options)


def _init_worker(path, timeout, isolate, memory, options=None):
    global _worker_impl
    _worker_impl = _make_impl(path, timeout, isolate, memory, options)


def _check_in_worker(job):
    from .engine import check_function
    name, cases, strict, minimize = job
    return check_function(_worker_impl, name, cases, strict, minimize)


def table_row(r):
    worst = "" if r.status in ("missing", "error") or not r.cases else f"{r.worst:9.3g}"
    notes = [r.hint or ("; ".join(r.warnings) and f"warning: {'; '.join(r.warnings)}")]
    if r.not_judged and r.cases:
        notes.append(f"not judged on {r.not_judged} cases: {r.not_judged_reason}")
    return f"{r.name:28} {STATUS_LABEL[r.status]:8} {r.cases:5} {worst:>9}  {'; '.join(n for n in notes if n)}"


def to_json(path, reports):
    summary = {s: sum(r.status == s for r in reports) for s in ("pass", "fail", "error", "missing")}
    functions = {r.name: {"status": r.status, "cases": r.cases, "failed": r.failed,
                          "message": r.message, "repro": r.repro, "hint": r.hint, "evidence": r.evidence,
                          "warnings": r.warnings, "worst": r.worst, "seconds": round(r.seconds, 4),
                          "not_judged": r.not_judged, "not_judged_reason": r.not_judged_reason}
                 for r in reports}
    return {"implementation": path, "functions": functions, "summary": summary}


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
            diagnosis = hints.diagnose(ROWS[name], checked)
            print(engine.case_report(name, checked, impl.label, diagnosis.hint, diagnosis.evidence))
    return 1 if bad else 0


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    from .loader import ImportProblem
    try:
        names = select(args.only)
        seeds = args.seeds if args.seeds is not None else seeds_for(args.profile)
        args.options = plan_options(args.path, args.course, args.map, args.arrays, args.device)
        impl = _make_impl(args.path, args.timeout, args.isolate, args.memory, args.options)
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

    from .engine import check_function
    from .registry import ROWS
    jobs = [(n, ROWS[n].gen.cases(seeds), args.strict, not args.no_shrink) for n in names]
    print(f"refcheck {args.path}: {len(names)} functions, {seeds} randomized cases per dtype "
          f"(float64, float32) plus edge cases; {impl.plan.describe()}", file=sys.stderr)
    print(f"{'function':28} {'status':8} {'cases':>5} {'worst/tol':>9}  hint")
    start = time.perf_counter()
    reports = []
    def show(report):
        reports.append(report)
        if report.status != "missing":
            print(table_row(report), flush=True)

    if args.workers > 1:
        # spawned workers with one thread each (they inherit this process's pinned environment):
        # forked ones inherit the parent's thread pools and oversubscribe the cores (measured: -n 2
        # took 2.2x as long as -n 1 that way)
        pin_threads()
        with ProcessPoolExecutor(args.workers, mp_context=multiprocessing.get_context("spawn"),
                                 initializer=_init_worker,
                                 initargs=(args.path, args.timeout, args.isolate, args.memory,
                                           args.options)) as pool:
            for report in pool.map(_check_in_worker, jobs):
                show(report)
    else:
        for name, cases, strict, minimize in jobs:
            show(check_function(impl, name, cases, strict, minimize))

    missing = [r.name for r in reports if r.status == "missing"]
    if missing:
        print(f"not defined (not checked): {', '.join(missing)}")
    problems = [r for r in reports if r.status in ("fail", "error")]
    for r in problems:
        print("\n" + r.message)
    summary = to_json(args.path, reports)["summary"]
    print(f"\n{summary['pass']} pass, {summary['fail']} fail, {summary['error']} error, "
          f"{summary['missing']} missing ({time.perf_counter() - start:.1f} s)")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(to_json(args.path, reports), f, indent=2)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
