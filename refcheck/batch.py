"""Batch mode: a whole class's submissions at once (``refcheck submissions/*.py --summary results.csv``).

Each submission is checked as ``refcheck PATH --isolate`` would check it (isolated by default:
submissions are untrusted) and gives a run.Report; the summary has one row per submission and one
column per function (pass, fail, error or missing, ``pass (warning)`` for a pass with warnings).

The oracle's results depend on the case alone, not on the submission, so a process computes each
case's once (``refcheck.expected``, keyed by the registry's row and the case id) and every
submission it checks reuses them. ``-n`` spreads the submissions over that many processes (each
with its own cache). Spreading a class over several machines is a job for an existing tool: give
each machine a shard of the list (a CI matrix) and concatenate the CSVs (see the README).
"""
import csv
import os
import re
import time
from concurrent.futures import ProcessPoolExecutor

from . import expected
from .parallel import pin_threads, worker_context


def check_submission(path, names, seeds, strict=False, minimize=True, timeout=None, memory=None,
                     isolate=True, course=None, maps=None, arrays=None, device=None, details=False,
                     on_result=None):
    """The Report of one submission; one that cannot be imported (or whose options are wrong)
    gives a Report whose ``problem`` says why, every function an error."""
    from . import run
    from .engine import Report as Result
    from .loader import ImportProblem
    start = time.perf_counter()
    try:
        options = run.plan_options(path, course, maps, arrays, device)
        impl = run.make_impl(path, timeout, isolate, memory, options)
    except (ImportProblem, ValueError) as exc:
        return run.Report(path, [Result(n, "error", message=str(exc)) for n in names],
                          seeds=seeds, seconds=time.perf_counter() - start, problem=str(exc))
    try:
        return run.run(impl, names, seeds, strict, minimize, details, on_result=on_result)
    finally:
        impl.close()


def _init_pool():
    pin_threads()


def _check_job(job):
    path, kwargs = job
    return check_submission(path, **kwargs)


def check_all(paths, names, seeds, workers=1, on_report=None, progress_for=None, stats=None, **kwargs):
    """Reports of every submission in ``paths``'s order; ``on_report(index, report)`` as each
    finishes (in order); in one process, ``progress_for(index, path)`` gives each submission's
    on_result callback (see run.run) and ``stats`` (a dict) receives the oracle cache's counts."""
    reports = []
    jobs = [(p, dict(kwargs, names=names, seeds=seeds)) for p in paths]
    if workers > 1 and len(paths) > 1:
        pin_threads()
        with ProcessPoolExecutor(min(workers, len(paths)), mp_context=worker_context(torch=True),
                                 initializer=_init_pool) as pool:
            for i, report in enumerate(pool.map(_check_job, jobs)):
                reports.append(report)
                if on_report:
                    on_report(i, report)
    else:
        before = dict(expected.counts)
        for i, (path, job) in enumerate(jobs):
            on_result = progress_for(i, path) if progress_for else None
            reports.append(check_submission(path, **job, on_result=on_result))
            if on_report:
                on_report(i, reports[-1])
        if stats is not None:
            stats.update({k: expected.counts[k] - before[k] for k in before})
    return reports


# ---- the summary ------------------------------------------------------------------------------

def columns(reports, only=None):
    """The functions of the summary: those asked for, else every one some submission defines."""
    if only:
        return list(only)
    seen = []
    for report in reports:
        for r in report.results:
            if r.status != "missing" and r.name not in seen and not report.problem:
                seen.append(r.name)
    from .registry import ROWS
    return [n for n in ROWS if n in seen]


def cell(report, name):
    try:
        r = report[name]
    except KeyError:
        return "missing"
    return f"{r.status} (warning)" if r.status == "pass" and r.warnings else r.status


def _notes(report, names):
    if report.problem:
        return report.problem
    warned = [f"{n}: {'; '.join(report[n].warnings)}" for n in names
              if cell(report, n) == "pass (warning)"]
    return " | ".join(warned)


def rows(reports, names):
    """The summary table: a header, then one row per submission."""
    yield ["submission", *names, "pass", "fail", "error", "missing", "warnings / problem"]
    for report in reports:
        cells = [cell(report, n) for n in names]
        counts = [sum(c.split()[0] == s for c in cells) for s in ("pass", "fail", "error", "missing")]
        yield [report.implementation, *cells, *map(str, counts), _notes(report, names)]


def write_summary(path, reports, names):
    table = list(rows(reports, names))
    with open(path, "w", newline="") as f:
        if path.endswith(".md"):
            def line(cells):
                return "| " + " | ".join(c.replace("|", "\\|").replace("\n", " ") for c in cells) + " |\n"
            f.write(line(table[0]) + line(["---"] * len(table[0])) + "".join(line(r) for r in table[1:]))
        else:
            csv.writer(f).writerows(table)


def file_stems(paths):
    """A file name per submission: its stem, or its path with separators replaced when two stems
    are the same."""
    stems = [os.path.splitext(os.path.basename(p))[0] for p in paths]
    return [s if stems.count(s) == 1 else re.sub(r"[^\w.-]+", "_", os.path.splitext(p)[0]).strip("_")
            for s, p in zip(stems, paths)]


# ---- the command line (refcheck.cli hands its parsed arguments over) ------------------------

def main(args):
    """``refcheck A.py B.py ... --summary results.csv``: exit 0 when every submission passes
    every function it defines, 1 otherwise, 2 for a usage problem."""
    import json
    import sys
    from . import run
    from .cases import seeds_for
    from .progress import Functions, Progress
    try:
        names = run.select(args.only)
        seeds = args.seeds if args.seeds is not None else seeds_for(args.profile)
    except (run.Usage, ValueError) as exc:
        print(f"refcheck: {exc}", file=sys.stderr)
        return 2
    summaries = args.summary or []
    bad = [s for s in summaries if not s.endswith((".csv", ".md"))]
    if bad:
        print(f"refcheck: a summary is a .csv or .md file, not {', '.join(bad)}", file=sys.stderr)
        return 2
    json_dir = args.json_dir or (os.path.splitext(summaries[0])[0] + "-json" if summaries else None)
    for directory in (json_dir, args.html_dir):
        if directory:
            os.makedirs(directory, exist_ok=True)
    stems = file_stems(args.paths)
    progress = Progress()
    total = len(args.paths)
    print(f"refcheck: {total} submissions, {len(names)} functions each, {seeds} randomized cases per "
          f"dtype, {'isolated' if not args.no_isolate else 'in this process'}, {args.workers} process"
          f"{'es' if args.workers > 1 else ''}", file=sys.stderr)
    width = max(len(p) for p in args.paths)

    def done(i, report):
        progress.clear()
        print(f"{report.implementation:{width}}  " + (f"cannot be checked: {report.problem}" if report.problem
                                                       else report.summary_line()), flush=True)
        if json_dir:
            with open(os.path.join(json_dir, stems[i] + ".json"), "w") as f:
                json.dump(report.to_json(), f, indent=2)
        if args.html_dir:
            from .html import document
            with open(os.path.join(args.html_dir, stems[i] + ".html"), "w", encoding="utf-8") as f:
                f.write(document(report))
        progress.show(f"submissions {i + 1}/{total}")

    kwargs = dict(strict=args.strict, minimize=not args.no_shrink, timeout=args.timeout, memory=args.memory,
                  isolate=not args.no_isolate, course=args.course, maps=args.map, arrays=args.arrays,
                  device=args.device, details=bool(args.html_dir))
    if args.workers <= 1:  # one process: the functions' progress within each submission too
        kwargs["progress_for"] = lambda i, path: Functions(len(names), progress,
                                                           prefix=f"submission {i + 1}/{total} {path}: ")
    stats = {}
    reports = check_all(args.paths, names, seeds, args.workers, done, stats=stats, **kwargs)
    progress.clear()
    if stats:
        print(f"oracle results: {stats['computed']} cases computed, {stats['reused']} reused", file=sys.stderr)
    names = columns(reports, args.only and names)
    for path in summaries:
        write_summary(path, reports, names)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"submissions": [r.to_json() for r in reports]}, f, indent=2)
    failing = [r for r in reports if r.problem or r.problems]
    print(f"\n{total - len(failing)} of {total} submissions pass every function they define"
          + (f"; summary: {', '.join(summaries)}" if summaries else ""))
    return 1 if failing else 0
