"""``refcheck PATH``: verify a module's functions against the PyTorch oracles (argument parsing and
printing; the run itself is refcheck.run, the text refcheck.text).

Exit status: 0 every function checked passes; 1 a function fails or errors; 2 a usage problem, a
module that cannot be imported, or one that defines none of the functions looked for.
"""
from .parallel import pin_threads

pin_threads()  # before NumPy and torch start their thread pools: see refcheck.parallel

import argparse  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402

from .cases import PROFILES, Case, seeds_for  # noqa: E402
from .run import Usage, make_impl, plan_options, select  # noqa: E402,F401 (plan_options: part of this module's API)

EXIT_STATUS = """exit status:
  0  every function checked passes (warnings allowed unless --strict)
  1  a function fails or errors
  2  a usage problem, a module that cannot be imported, or one that defines none
     of the functions looked for"""


def _number(kind, minimum, strict):
    """An argparse type: a ``kind`` greater than (``strict``) or at least ``minimum``."""
    def parse(text):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {'a whole number' if kind is int else 'a number'}, "
                                             f"got {text!r}") from None
        if value < minimum or (strict and value == minimum) or value != value:
            raise argparse.ArgumentTypeError(f"must be {'greater than' if strict else 'at least'} {minimum}, "
                                             f"got {text}")
        return value
    return parse


def _version():
    from importlib import metadata
    try:
        return metadata.version("refimpl")
    except metadata.PackageNotFoundError:
        return "unknown (not installed)"


def parse_args(argv):
    p = argparse.ArgumentParser(
        prog="refcheck", description="Check a module's implementations of the refimpl contract "
        "(CS231n names and signatures) against PyTorch, function by function.",
        epilog=EXIT_STATUS, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("path", nargs="*", help="a .py file or an importable module name (dotted names are "
                                           "imported from the current folder too); several: batch mode "
                                           "(one summary row per submission, isolated)")
    p.add_argument("--version", action="version", version=f"refcheck (refimpl) {_version()}")
    p.add_argument("--list", action="store_true", help="list the contract's functions by file and exit")
    p.add_argument("--json", metavar="FILE", help="also write the verdicts as JSON to FILE ('-': to stdout, "
                                                  "the report going to stderr)")
    p.add_argument("--only", metavar="NAME,...", help="check only these functions")
    p.add_argument("--case", metavar="ID", help="run one case (as printed in a repro line) and show it")
    p.add_argument("--seeds", type=_number(int, 0, False), metavar="N",
                   help="randomized cases per dtype, 0 or more (overrides --profile)")
    p.add_argument("--profile", choices=sorted(PROFILES),
                   help="quick (20 seeds, default) or thorough (100); also $REFCHECK_PROFILE")
    p.add_argument("-n", dest="workers", type=_number(int, 1, False), default=1, metavar="WORKERS",
                   help="check functions in this many processes (default 1)")
    p.add_argument("--strict", action="store_true", help="warnings count as failures")
    p.add_argument("--timeout", type=_number(float, 0, True), default=None, metavar="SECONDS",
                   help="time limit per call of the implementation, above 0 (default 20)")
    p.add_argument("--isolate", action="store_true",
                   help="run the implementation in a worker process: crashes, hangs and huge allocations "
                        "become errors, and nothing it patches can change a verdict (not a sandbox)")
    p.add_argument("--memory", type=_number(int, 0, True), default=None, metavar="MB",
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
    p.add_argument("--color", choices=("auto", "always", "never"), default="auto",
                   help="colour the report: auto (default) on a terminal unless $NO_COLOR is set")
    p.add_argument("--html", metavar="FILE", help="also write a self-contained HTML report (pictures of "
                   "each failure need matplotlib: pip install 'refimpl[report]')")
    batch = p.add_argument_group("batch mode (several paths, or --summary): a whole class's submissions")
    batch.add_argument("--summary", action="append", metavar="FILE",
                       help="one row per submission, one column per function: FILE.csv or FILE.md (repeatable)")
    batch.add_argument("--json-dir", metavar="DIR", help="one JSON report per submission (default: "
                       "next to the first --summary, in <its name>-json/)")
    batch.add_argument("--html-dir", metavar="DIR", help="one HTML report per submission")
    batch.add_argument("--no-isolate", action="store_true",
                       help="import the submissions into this process (faster; only for trusted code)")
    args = p.parse_args(argv)
    if not args.path and not args.list:
        p.error("the path of the module to check is required (or --list, --version)")
    args.paths, args.path = args.path, (args.path[0] if args.path else None)
    args.batch = len(args.paths) > 1 or bool(args.summary or args.html_dir or args.json_dir)
    if not args.batch and args.no_isolate:
        p.error("--no-isolate is for the batch mode (a single path runs in this process unless --isolate)")
    if args.batch and (args.case or args.html):
        p.error("--case and --html take one path (batch mode: --html-dir)")
    return args


def list_contract(out):
    """The contract's functions by the file they are written in, one line each (the signature)."""
    from .registry import FAMILIES, family_rows
    from .text import FILES, wrap
    groups = {}
    for family, _ in FAMILIES:
        groups.setdefault(FILES.get(family, family), []).extend(family_rows(family))
    for file, rows in groups.items():
        print(f"{file} ({len(rows)})", file=out)
        for row in rows:
            signature = getattr(row.call, "signature", None)
            text = str(signature) if signature is not None and signature.declared else row.name
            print(wrap(f"  {text}").replace("\n    ", "\n      "), file=out)


def select_names(only):
    """select() with "did you mean" for the names it does not know."""
    from .registry import ROWS
    from .suggest import did_you_mean
    try:
        return select(only)
    except Usage:
        names = [n.strip() for n in only.split(",") if n.strip()]
        unknown = [f"{n}{did_you_mean(n, ROWS)}" for n in names if n not in ROWS]
        raise Usage(f"--only: unknown function{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}; "
                    f"refcheck --list shows the contract's functions") from None


def parse_case(case_id, names):
    """The case of ``--case``, checked against each named function's cases."""
    from .registry import ROWS
    from .suggest import did_you_mean
    case = Case.parse(case_id)
    for name in names:
        edges = ROWS[name].gen.edges
        if case.seed is None and case.token not in edges:
            raise Usage(f"--case: {name} has no case {case.token!r}{did_you_mean(case.token, edges)}; its cases "
                        f"are seed<K> and the edges {', '.join(edges)}")
    return case


def run_one_case(impl, names, case, out=None):
    out = out or sys.stdout
    from . import engine, hints
    from .registry import ROWS
    from .suggest import looked_for
    from .text import wrap
    bad = False
    for name in names:
        checked = engine.check_case(impl, ROWS[name], case)
        status = checked.outcome.status
        if status == "missing":
            raise Usage(f"--case: {name} is not defined in {impl.label} (looked for "
                        f"{looked_for(impl, [name])[name]})")
        if status == "pass":
            warned = checked.outcome.warnings
            lines = [f"{name} passes case {case.id}" + (", with warnings:" if warned else "")]
            lines += [f"  warning: {w}" for w in warned]
            lines.append(f"  worst error: {checked.outcome.worst:.3g} of the tolerance")
            lines.append(f"  inputs: {engine.describe_inputs(checked.inputs)}")
            print(wrap("\n".join(lines)), file=out)
        else:
            bad = True
            diagnosis = hints.diagnose(ROWS[name], checked)
            print(wrap(engine.case_report(name, checked, impl.label, diagnosis.hint, diagnosis.evidence)), file=out)
    return 1 if bad else 0


def main(argv=None):
    try:
        return _main(argv)
    except BrokenPipeError:  # `refcheck --list | head`: the reader left; say nothing more
        import os
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


def _main(argv):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if args.list:
        list_contract(sys.stdout)
        return 0
    from .loader import ImportProblem
    if args.batch:
        from .batch import main as batch_main
        return batch_main(args)
    try:
        names = select_names(args.only)
        case = parse_case(args.case, names) if args.case else None
        seeds = args.seeds if args.seeds is not None else seeds_for(args.profile)
        args.options = plan_options(args.path, args.course, args.map, args.arrays, args.device)
        if args.workers > 1:  # the -n workers' server imports torch, before --isolate's worker starts it
            from .parallel import worker_context
            worker_context(torch=True)
        impl = make_impl(args.path, args.timeout, args.isolate, args.memory, args.options)
    except (Usage, ImportProblem, ValueError) as exc:
        print(f"refcheck: {exc}", file=sys.stderr)
        return 2
    try:
        return _run(args, impl, names, seeds, case)
    except (Usage, ValueError) as exc:
        print(f"refcheck: {exc}", file=sys.stderr)
        return 2
    finally:
        impl.close()


def _run(args, impl, names, seeds, case):
    from . import run
    from .progress import Functions, Progress
    from .suggest import looked_for, nothing_found
    from .text import Style, Table, tail, wrap
    nothing = nothing_found(impl, names)
    if nothing:
        print(wrap(f"refcheck: {nothing}"), file=sys.stderr)
        return 2
    if case is not None:
        return run_one_case(impl, names, case)

    out = sys.stderr if args.json == "-" else sys.stdout
    style = Style.for_stream(out, args.color)
    wanted = looked_for(impl, names)
    defined = [n for n in names if impl.defines(wanted[n])]
    of = "functions asked for" if args.only else "contract functions"
    print(wrap(f"refcheck {args.path}: {len(defined)} of the {len(names)} {of} defined, {seeds} randomized "
               f"cases per dtype (float64, float32) plus edge cases; {impl.plan.describe()}"), file=sys.stderr)
    table = Table(defined, style)
    print(table.header(), file=out)

    def show(result):
        if result.status != "missing":
            print(table.row(result), file=out, flush=True)

    progress = Progress()
    report = run.run(impl, names, seeds, args.strict, not args.no_shrink, details=bool(args.html),
                     workers=args.workers,
                     worker_args=(args.path, args.timeout, args.isolate, args.memory, args.options),
                     on_result=Functions(len(names), progress, show))
    progress.clear()
    print("\n".join(tail(report, style)), file=out)
    if args.json == "-":
        json.dump(report.to_json(), sys.stdout, indent=2)
        print()
    elif args.json:
        with open(args.json, "w") as f:
            json.dump(report.to_json(), f, indent=2)
    if args.html:
        from .html import document
        with open(args.html, "w", encoding="utf-8") as f:
            f.write(document(report))
    return 1 if report.problems else 0


if __name__ == "__main__":
    sys.exit(main())
