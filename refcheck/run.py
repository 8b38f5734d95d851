"""The run layer: ``check(target, ...) -> Report``, one implementation checked function by function.

Everything that checks a whole implementation goes through here: the ``refcheck`` command, the
pytest plugin (``make_impl``), ``refcheck.check`` in a notebook, the HTML report and the batch
mode. They differ only in how they render the ``Report``.

``target`` is a path (a .py file or an importable module name), a module object, or a function
(``check(my_nms, as_="nms")``: it need not live in a file, a notebook cell will do).
"""
import contextlib
import importlib
import inspect
import re
import time
import types
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

from .parallel import pin_threads, worker_context

STATUSES = ("pass", "fail", "error", "missing")


class Usage(Exception):
    """A request no implementation can satisfy (an unknown function name, ...)."""


def plan_options(path, course=None, maps=None, arrays=None, device=None):
    """The options that steer how the module is called (refcheck.courses.resolve_plan), with the
    [tool.refcheck] table of the pyproject.toml nearest to it; a bad map, course or device is a
    ValueError here, before the module is imported."""
    from .courses import check_options, parse_map, pyproject_settings
    path = path if isinstance(path, str) else "."
    options = {"course": course, "name_map": parse_map(maps), "arrays": arrays, "device": device,
               "settings": pyproject_settings(path if path.endswith(".py") or "/" in path else ".")}
    check_options(**options)
    return options


def select(only):
    """The contract functions to check: all of them, or ``only`` (a comma-separated string or a
    list of names)."""
    from .registry import ROWS
    if not only:
        return list(ROWS)
    names = [n.strip() for n in (only.split(",") if isinstance(only, str) else only) if n.strip()]
    unknown = [n for n in names if n not in ROWS]
    if unknown:
        raise Usage(f"unknown function(s) {', '.join(unknown)}; the contract's functions are: "
                    + ", ".join(ROWS))
    return names


def make_impl(path, timeout=None, isolate=False, memory=None, options=None, torch=None):
    """The implementation at ``path``, in this process (imported once in a throwaway process
    first: see loader.probe) or, with ``isolate``, in a worker process (``torch``: see
    IsolatedImplementation)."""
    from .engine import DEFAULT_TIMEOUT, Implementation
    if isolate:
        from .isolate import DEFAULT_MEMORY_MB, IsolatedImplementation
        return IsolatedImplementation(path, path, timeout, memory or DEFAULT_MEMORY_MB, options, torch)
    from .loader import load, probe
    probe(path, meanwhile=_import_torch if _names_torch(path) else None)
    return Implementation(load(path), path, timeout or DEFAULT_TIMEOUT, options=options)


def _names_torch(path):
    """Whether the .py file at ``path`` imports torch (an ``import torch`` or ``from torch ...``
    line): its import here, 2-3 s, can then overlap the probe's. A guess that decides nothing
    else (a module that imports torch imports it anyway); a NumPy module that only mentions torch
    in a comment is not warmed (a ``-n`` run's process would not import torch for it)."""
    if not (isinstance(path, str) and path.endswith(".py")):
        return False
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return re.search(r"^\s*(?:import|from)\s+torch\b", f.read(), re.M) is not None
    except OSError:
        return False


def _import_torch():
    try:
        importlib.import_module("torch")
    except Exception:  # noqa: BLE001 - a broken torch is the module's import problem, reported by load()
        pass


def module_of(function, name):
    """A module holding ``function`` under the contract name ``name``, with the modules its code
    refers to (numpy, torch: they decide how it is called), and nothing else of its globals."""
    module = types.ModuleType(getattr(function, "__module__", None) or "__main__")
    for key, value in getattr(function, "__globals__", {}).items():
        if inspect.ismodule(value):
            setattr(module, key, value)
    setattr(module, name, function)
    return module


# ---- the report ---------------------------------------------------------------------------------

@dataclass
class Report:
    """One implementation's verdicts: ``results`` (refcheck.engine.Report per function, in the
    order checked) and what the JSON holds; ``pictures`` (function -> refcheck.pictures.Failure)
    when the run kept the failing cases' arrays (``details=True``)."""
    implementation: str
    results: list = field(default_factory=list)
    seeds: int = 0
    plan: str = ""
    seconds: float = 0.0
    pictures: dict = field(default_factory=dict)
    problem: str = ""               # why the implementation could not be checked at all (batch mode)

    def __getitem__(self, name):
        for r in self.results:
            if r.name == name:
                return r
        raise KeyError(name)

    @property
    def summary(self):
        return {s: sum(r.status == s for r in self.results) for s in STATUSES}

    @property
    def problems(self):
        return [r for r in self.results if r.status in ("fail", "error")]

    def to_json(self):
        functions = {r.name: {"status": r.status, "cases": r.cases, "failed": r.failed,
                              "message": r.message, "repro": r.repro, "hint": r.hint, "evidence": r.evidence,
                              "warnings": r.warnings, "worst": r.worst, "seconds": round(r.seconds, 4),
                              "not_judged": r.not_judged, "not_judged_reason": r.not_judged_reason,
                              "warning_cases": r.warning_cases}
                     for r in self.results}
        data = {"implementation": self.implementation, "functions": functions, "summary": self.summary}
        return dict(data, problem=self.problem) if self.problem else data

    def summary_line(self):
        s = self.summary
        return (f"{s['pass']} pass, {s['fail']} fail, {s['error']} error, {s['missing']} missing "
                f"({self.seconds:.1f} s)")

    def __str__(self):
        from .text import render
        return render(self)

    def _repr_html_(self):
        from .html import fragment
        return fragment(self)


# ---- the run ------------------------------------------------------------------------------------

def failure_picture(impl, result):
    """The arrays of a failing function's smallest failing case (refcheck.pictures.Failure), or
    None when there is nothing to draw (an error, a missing function, no repro case)."""
    if result.status != "fail" or "--case " not in result.repro:
        return None
    from .pictures import capture
    return capture(impl, result.name, result.repro.rsplit("--case ", 1)[1].split()[0])


def check_one(impl, name, seeds, strict=False, minimize=True, details=False):
    """``(engine.Report, picture or None)`` of one function."""
    from .engine import check_function
    from .registry import ROWS
    result = check_function(impl, name, ROWS[name].gen.cases(seeds), strict, minimize)
    return result, failure_picture(impl, result) if details else None


_worker_impl = None


def _init_worker(path, timeout, isolate, memory, options=None, torch=None):
    global _worker_impl
    _worker_impl = make_impl(path, timeout, isolate, memory, options, torch)


def _check_in_worker(job):
    return check_one(_worker_impl, *job)


def run(impl, names, seeds, strict=False, minimize=True, details=False, workers=1, worker_args=None,
        on_result=None):
    """Check ``names`` on ``impl``; ``on_result(result)`` is called as each function finishes.
    With ``workers > 1`` the functions are spread over that many worker processes, each building
    its own implementation from ``worker_args`` (path, timeout, isolate, memory, options)."""
    from .cases import seeds_for
    seeds = seeds if seeds is not None else seeds_for(None)
    report = Report(impl.label, seeds=seeds, plan=impl.plan.describe())
    start = time.perf_counter()
    jobs = [(n, seeds, strict, minimize, details) for n in names]

    def keep(result, picture):
        report.results.append(result)
        if picture is not None:
            report.pictures[result.name] = picture
        if on_result is not None:
            on_result(result)

    if workers > 1 and worker_args is not None:
        # workers with one thread each, forked from a server that imported torch and the oracles
        # once (refcheck.parallel.worker_context), not from this process: forked from it, they
        # would inherit its thread pools and oversubscribe the cores (measured: -n 2 took 2.2x as
        # long as -n 1 that way); spawned, each paid 2-3 s of imports
        pin_threads()
        # an isolated module's workers, started by each -n worker (which has torch for the
        # oracles), come from a server that imports torch only if the module works in torch
        # (3 s a -n worker for a NumPy module otherwise)
        initargs = (*worker_args, getattr(impl, "uses_torch", None))
        with ProcessPoolExecutor(workers, mp_context=worker_context(torch=True),
                                 initializer=_init_worker, initargs=initargs) as pool:
            for result, picture in pool.map(_check_in_worker, jobs):
                keep(result, picture)
    else:
        for job in jobs:
            keep(*check_one(impl, *job))
    report.seconds = time.perf_counter() - start
    return report


def run_case(impl, names, case_id, strict=False, details=False):
    """The Report of ``names`` on the one case ``case_id`` (a repro line's)."""
    from . import engine, hints
    from .cases import Case
    from .registry import ROWS
    case = Case.parse(case_id)
    report = Report(impl.label, plan=impl.plan.describe())
    start = time.perf_counter()
    for name in names:
        checked = engine.check_case(impl, ROWS[name], case)
        outcome = checked.outcome
        result = engine.Report(name, outcome.status, cases=int(outcome.status != "missing"), worst=outcome.worst,
                               warnings=list(outcome.warnings), message=outcome.message)
        if result.status == "pass" and strict and result.warnings:
            result.status = "fail"
        if result.status in ("fail", "error"):
            result.failed = 1
            diagnosis = hints.diagnose(ROWS[name], checked)
            result.hint, result.evidence = diagnosis.hint, diagnosis.evidence
            result.message = engine.case_report(name, checked, impl.label, result.hint, result.evidence)
            result.repro = engine.repro_command(impl.label, name, case)
        report.results.append(result)
        picture = failure_picture(impl, result) if details else None
        if picture is not None:
            report.pictures[name] = picture
    report.seconds = time.perf_counter() - start
    return report


def _python_repros(report, call):
    """Repro lines as Python calls (``call(function, case_id)``), for a target that is not a file."""
    for r in report.results:
        if "--case " in r.repro:
            line = call(r.name, r.repro.rsplit("--case ", 1)[1].split()[0])
            r.message, r.repro = r.message.replace(r.repro, line), line


@contextlib.contextmanager
def torch_one_thread():
    """One torch thread while a check runs in a caller's process (a notebook's), the caller's
    thread count put back after: the cases' arrays are tiny and thread pools only contend, but
    the caller's own torch work must not be left single-threaded. (NumPy's BLAS pool cannot be
    resized once started; a command line pins it before: refcheck.parallel.)"""
    import torch
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def check(target, only=None, course=None, *, as_=None, seeds=None, profile=None, strict=False,
          timeout=None, isolate=False, memory=None, shrink=True, maps=None, arrays=None, device=None,
          workers=1, details=True, on_result=None, case=None):
    """Check ``target`` against the oracles and return its Report (see the module docstring).

    ``only``: the functions to check (names, a list or comma-separated; default all, or ``as_`` for
    a function); ``course``, ``maps``, ``arrays``, ``device``: how it is called (as ``refcheck
    --course/--map/--arrays/--device``); ``seeds`` or ``profile``: how many randomized cases;
    ``isolate``: run it in a worker process (a path only); ``details``: keep the failing cases'
    arrays for the pictures of the HTML display; ``case``: run that one case (a repro line's)."""
    from .cases import seeds_for
    from .engine import DEFAULT_TIMEOUT, Implementation
    repro = None
    if callable(target) and not isinstance(target, (str, types.ModuleType)):
        name, own = as_ or getattr(target, "__name__", None), getattr(target, "__name__", "function")
        target, only = module_of(target, name), only or [name]
        label = name if own == name else f"{own} (as {name})"
        repro = lambda fn, case_id: f"refcheck.check({own}, as_={fn!r}, case={case_id!r})"  # noqa: E731
    elif isinstance(target, types.ModuleType):
        label = getattr(target, "__file__", None) or target.__name__
        module = target.__name__
        repro = lambda fn, case_id: f"refcheck.check({module}, only={fn!r}, case={case_id!r})"  # noqa: E731
    else:
        label = str(target)
    names = select(only)
    seeds = seeds if seeds is not None else seeds_for(profile)
    options = plan_options(label if isinstance(target, str) else ".", course, maps, arrays, device)
    if isinstance(target, types.ModuleType):
        if isolate:
            raise ValueError("isolate needs a path: a module object cannot be sent to a worker process")
        impl = Implementation(target, label, timeout or DEFAULT_TIMEOUT, options=options)
        worker_args = None
    else:
        impl = make_impl(target, timeout, isolate, memory, options)
        worker_args = (target, timeout, isolate, memory, options)
    try:
        with torch_one_thread():
            if case is not None:
                report = run_case(impl, names, case, strict, details)
            else:
                report = run(impl, names, seeds, strict, shrink, details, workers, worker_args, on_result)
    finally:
        impl.close()
    if repro is not None:
        _python_repros(report, repro)
    return report
